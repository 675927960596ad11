/* Output of the listing commands (images, ls): rows built as JSON
   objects, printed as Docker Compose prints them: a padded table, one
   column alone (-q), or the JSON array (--format json).  */
#ifndef CC_CLI_TABLE_H
#define CC_CLI_TABLE_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

struct cli_column
{
  const char *title;
  int width;       /* padded to, but for the last column */
  int max;         /* characters shown at most, 0 = all */
  const char *key; /* the row's string member shown... */
  /* ...or, when set, the text this returns (freshly allocated).  */
  char *(*show) (const cJSON *row);
};

/* Check the value of --format (table or json) for COMMAND: 0 with *JSON
   set, or the usage error's exit code.  */
int cli_table_format (const char *command, const char *value, bool *json);

/* Print ROWS: as one line of JSON when JSON, else QUIET's column alone
   when QUIET is set, else COLS under a header.  */
void cli_table_print (const cJSON *rows, const struct cli_column *cols, size_t n_cols, bool json,
                      const struct cli_column *quiet);

#endif
