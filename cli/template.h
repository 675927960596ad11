/* Docker's --format for the commands that take it (volume ls, volume
   inspect, volumes): `table`, `json`, or a Go template, of which the
   forms people use with these commands are read: {{.Field}},
   {{.Field.Sub}}, {{json .}}, {{json .Field}}, {{index .Field "key"}},
   {{.Label "key"}}, with `table ` in front for a header and aligned
   columns, and \t, \n as Docker reads them.  */
#ifndef CC_CLI_TEMPLATE_H
#define CC_CLI_TEMPLATE_H

#include <cJSON.h>
#include <stdbool.h>

#include "lib/error.h"

/* A field's column title (`Name` -> "VOLUME NAME"); fields not listed
   are titled in capitals.  */
struct cli_header
{
  const char *field, *title;
};

/* Print ROWS (objects) as FORMAT says, each row through its template;
   HEADERS (N of them) title the columns of a `table` format.  LABELS,
   when not NULL, holds for each row the object `{{.Label "key"}}` looks
   in; else a row's own "Labels" member.  */
int cli_format_rows (const char *format, const cJSON *rows, const struct cli_header *headers, size_t n,
                     const cJSON *labels, cc_error_t *err);

/* Go's json.MarshalIndent (J, "", "    "), as `docker ... inspect` prints.  */
char *cli_json_indent (const cJSON *j);

#endif
