#include "cli/table.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

int
cli_table_format (const char *command, const char *value, bool *json)
{
  if (strcmp (value, "json") != 0 && strcmp (value, "table") != 0)
    return cli_usage_error (command, "invalid --format `%s` (table, json)", value);
  *json = strcmp (value, "json") == 0;
  return 0;
}

static char *
cell_text (const cJSON *row, const struct cli_column *col)
{
  const char *s;

  if (col->show)
    return col->show (row);
  s = cc_json_get_string (row, col->key);
  return xstrdup (s ? s : "");
}

/* TEXT padded to the column's width (but in the last column) and, when
   it is a value, cut to the column's maximum; then the separator or the
   newline.  */
static void
print_cell (const char *text, const struct cli_column *col, bool is_value, bool last)
{
  int max = is_value && col->max > 0 ? col->max : INT_MAX;

  if (last)
    printf ("%.*s\n", max, text);
  else
    printf ("%-*.*s ", col->width, max, text);
}

/* ROW's cells, or the header when ROW is NULL.  */
static void
print_row (const cJSON *row, const struct cli_column *cols, size_t n_cols)
{
  for (size_t i = 0; i < n_cols; i++)
    {
      cleanup_free char *text = row ? cell_text (row, &cols[i]) : xstrdup (cols[i].title);
      print_cell (text, &cols[i], row != NULL, i + 1 == n_cols);
    }
}

void
cli_table_print (const cJSON *rows, const struct cli_column *cols, size_t n_cols, bool json,
                 const struct cli_column *quiet)
{
  if (json)
    {
      cleanup_free char *text = cJSON_PrintUnformatted (rows);
      puts (text);
      return;
    }
  if (quiet == NULL)
    print_row (NULL, cols, n_cols);
  for (const cJSON *r = rows->child; r; r = r->next)
    if (quiet)
      print_row (r, quiet, 1);
    else
      print_row (r, cols, n_cols);
}
