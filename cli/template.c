/* Docker's --format: the forms of Go templates people use with the
   volume commands, a `table` with Docker's column alignment (its
   tabwriter: cells padded by 3, at least 10 wide), and JSON as Go prints
   it.  */
#include "cli/template.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ---- JSON as Go prints it ------------------------------------------------ */

static void put_json (struct cc_buf *b, const cJSON *j, int depth, bool indent);

static void
put_string (struct cc_buf *b, const char *s)
{
  cc_buf_putc (b, '"');
  for (const unsigned char *c = (const unsigned char *)s; *c; c++)
    if (*c == '"' || *c == '\\')
      cc_buf_printf (b, "\\%c", *c);
    else if (*c == '\n')
      cc_buf_puts (b, "\\n");
    else if (*c == '\t')
      cc_buf_puts (b, "\\t");
    else if (*c < 0x20 || *c == '<' || *c == '>' || *c == '&')
      cc_buf_printf (b, "\\u%04x", *c); /* Go escapes HTML characters too */
    else
      cc_buf_putc (b, (char)*c);
  cc_buf_putc (b, '"');
}

static void
newline (struct cc_buf *b, int depth, bool indent)
{
  if (! indent)
    return;
  cc_buf_putc (b, '\n');
  for (int i = 0; i < depth; i++)
    cc_buf_puts (b, "    ");
}

static void
put_container (struct cc_buf *b, const cJSON *j, int depth, bool indent)
{
  bool obj = cJSON_IsObject (j);

  cc_buf_putc (b, obj ? '{' : '[');
  if (j->child == NULL)
    {
      cc_buf_putc (b, obj ? '}' : ']');
      return;
    }
  for (const cJSON *it = j->child; it; it = it->next)
    {
      newline (b, depth + 1, indent);
      if (obj)
        {
          put_string (b, it->string);
          cc_buf_puts (b, indent ? ": " : ":");
        }
      put_json (b, it, depth + 1, indent);
      if (it->next)
        cc_buf_putc (b, ',');
    }
  newline (b, depth, indent);
  cc_buf_putc (b, obj ? '}' : ']');
}

static void
put_json (struct cc_buf *b, const cJSON *j, int depth, bool indent)
{
  if (cJSON_IsObject (j) || cJSON_IsArray (j))
    put_container (b, j, depth, indent);
  else if (cJSON_IsString (j))
    put_string (b, j->valuestring);
  else if (cJSON_IsNumber (j))
    cc_buf_printf (b, "%.17g", j->valuedouble);
  else if (cJSON_IsBool (j))
    cc_buf_puts (b, cJSON_IsTrue (j) ? "true" : "false");
  else
    cc_buf_puts (b, "null");
}

char *
cli_json_indent (const cJSON *j)
{
  struct cc_buf b = { 0 };

  put_json (&b, j, 0, true);
  return cc_buf_steal (&b);
}

static char *
json_compact (const cJSON *j)
{
  struct cc_buf b = { 0 };

  put_json (&b, j, 0, false);
  return cc_buf_steal (&b);
}

/* ---- one action: {{...}} ------------------------------------------------------ */

/* What Go's text/template prints for a value: strings as they are, maps
   as map[k:v ...], a missing field as <no value>.  */
static void
put_value (struct cc_buf *b, const cJSON *v)
{
  if (v == NULL)
    cc_buf_puts (b, "<no value>");
  else if (cJSON_IsString (v))
    cc_buf_puts (b, v->valuestring);
  else if (cJSON_IsNull (v))
    cc_buf_puts (b, "map[]"); /* the nil maps of Docker's structs (Labels, Options) */
  else if (cJSON_IsObject (v))
    {
      cc_buf_puts (b, "map[");
      for (const cJSON *it = v->child; it; it = it->next)
        {
          cc_buf_printf (b, "%s%s:", it == v->child ? "" : " ", it->string);
          put_value (b, it);
        }
      cc_buf_putc (b, ']');
    }
  else if (cJSON_IsArray (v))
    {
      cc_buf_putc (b, '[');
      for (const cJSON *it = v->child; it; it = it->next)
        {
          if (it != v->child)
            cc_buf_putc (b, ' ');
          put_value (b, it);
        }
      cc_buf_putc (b, ']');
    }
  else
    put_json (b, v, 0, false);
}

/* ".A.B" in ROW; "." is ROW itself.  */
static const cJSON *
lookup (const cJSON *row, const char *path, cc_error_t *err)
{
  cleanup_strv char **parts = NULL;
  const cJSON *v = row;

  if (path[0] != '.')
    {
      cc_error_make (err, EINVAL, "template: unknown function or value `%s`", path);
      return NULL;
    }
  if (path[1] == '\0')
    return row;
  parts = cc_strv_split (path + 1, '.', false);
  for (char **p = parts; *p && v; p++)
    v = cJSON_GetObjectItemCaseSensitive (v, *p);
  return v;
}

/* A quoted argument: "key".  */
static char *
quoted_arg (const char *s)
{
  size_t n = strlen (s);

  if (n < 2 || s[0] != '"' || s[n - 1] != '"')
    return NULL;
  return xstrndup (s + 1, n - 2);
}

static int
run_action (struct cc_buf *b, const char *action, const cJSON *row, const cJSON *labels, cc_error_t *err)
{
  cleanup_strv char **words = cc_strv_split (action, ' ', true);
  size_t n = cc_strv_len (words);
  const cJSON *v;

  if (n == 0)
    return cc_error_make (err, EINVAL, "template: empty action");
  if (strcmp (words[0], "json") == 0 && n == 2)
    {
      cleanup_free char *text = NULL;
      if ((v = lookup (row, words[1], err)) == NULL && err && *err)
        return -1;
      text = v ? json_compact (v) : xstrdup ("null");
      cc_buf_puts (b, text);
      return 0;
    }
  if ((strcmp (words[0], "index") == 0 && n == 3) || (strcmp (words[0], ".Label") == 0 && n == 2))
    {
      cleanup_free char *key = quoted_arg (words[n - 1]);
      const char *from = strcmp (words[0], "index") == 0 ? words[1] : NULL;
      const cJSON *map = from ? lookup (row, from, err) : labels;
      if (key == NULL)
        return cc_error_make (err, EINVAL, "template: `%s` wants a quoted key", words[0]);
      v = cJSON_GetObjectItemCaseSensitive (map, key);
      cc_buf_puts (b, cJSON_IsString (v) ? v->valuestring : "");
      return 0;
    }
  if (n != 1)
    return cc_error_make (err, EINVAL, "template: unknown function `%s`", words[0]);
  v = lookup (row, words[0], err);
  if (v == NULL && err && *err)
    return -1;
  put_value (b, v);
  return 0;
}

/* FORMAT with every {{action}} replaced by its value for ROW.  */
static int
render (const char *format, const cJSON *row, const cJSON *labels, char **out, cc_error_t *err)
{
  cleanup_buf struct cc_buf b = { 0 };
  const char *p = format;

  while (*p)
    {
      const char *open = strstr (p, "{{"), *close;
      cleanup_free char *action = NULL;
      size_t len;
      if (open == NULL)
        {
          cc_buf_puts (&b, p);
          break;
        }
      cc_buf_append (&b, p, (size_t)(open - p));
      if ((close = strstr (open + 2, "}}")) == NULL)
        return cc_error_make (err, EINVAL, "template: unclosed action");
      /* {{- and -}} trim nothing here: the formats in use have no blanks
         around actions to trim.  */
      open += 2;
      if (*open == '-')
        open++;
      len = (size_t)(close - open);
      if (len && open[len - 1] == '-')
        len--;
      action = xstrndup (open, len);
      if (run_action (&b, action, row, labels, err) < 0)
        return -1;
      p = close + 2;
    }
  *out = b.len ? cc_buf_steal (&b) : xstrdup ("");
  return 0;
}

/* Docker reads \t and \n in a format as a tab and a newline.  */
static char *
unescape (const char *s)
{
  struct cc_buf b = { 0 };

  for (; *s; s++)
    if (s[0] == '\\' && (s[1] == 't' || s[1] == 'n'))
      cc_buf_putc (&b, *++s == 't' ? '\t' : '\n');
    else
      cc_buf_putc (&b, *s);
  return b.len ? cc_buf_steal (&b) : xstrdup ("");
}

/* ---- tables ---------------------------------------------------------------- */

/* The header of a table format: each {{.Field}} by its title, the text
   between actions as it is.  */
static char *
header_of (const char *format, const struct cli_header *headers, size_t n)
{
  struct cc_buf b = { 0 };
  const char *p = format;

  while (*p)
    {
      const char *open = strstr (p, "{{"), *close = open ? strstr (open, "}}") : NULL;
      cleanup_free char *action = NULL;
      const char *title = NULL;
      if (close == NULL)
        {
          cc_buf_puts (&b, p);
          break;
        }
      cc_buf_append (&b, p, (size_t)(open - p));
      action = xstrndup (open + 2, (size_t)(close - open - 2));
      {
        char *a = action;
        while (*a == ' ' || *a == '-')
          a++;
        for (size_t i = 0; a[0] == '.' && i < n; i++)
          if (strncmp (a + 1, headers[i].field, strlen (headers[i].field)) == 0)
            title = headers[i].title;
        if (title)
          cc_buf_puts (&b, title);
        else
          for (const char *c = a[0] == '.' ? a + 1 : a; *c && *c != ' ' && *c != '}'; c++)
            cc_buf_putc (&b, (char)toupper ((unsigned char)*c));
      }
      p = close + 2;
    }
  return b.len ? cc_buf_steal (&b) : xstrdup ("");
}

/* Docker's tabwriter (minwidth 10, padding 3): each tab-ended cell
   padded to its column's width, the text after the last tab as it is.  */
static void
print_aligned (char *const *lines)
{
  size_t widths[64] = { 0 };

  for (char *const *l = lines; *l; l++)
    {
      cleanup_strv char **cells = cc_strv_split (*l, '\t', false);
      for (size_t i = 0; cells[i] && cells[i + 1] && i < CC_N_ELEMENTS (widths); i++)
        {
          size_t w = strlen (cells[i]) + 3;
          widths[i] = w > widths[i] ? w : widths[i];
        }
    }
  for (char *const *l = lines; *l; l++)
    {
      cleanup_strv char **cells = cc_strv_split (*l, '\t', false);
      for (size_t i = 0; cells[i]; i++)
        {
          if (cells[i + 1] && i < CC_N_ELEMENTS (widths))
            printf ("%-*s", (int)(widths[i] < 10 ? 10 : widths[i]), cells[i]);
          else
            printf ("%s", cells[i]);
        }
      putchar ('\n');
    }
}

int
cli_format_rows (const char *format, const cJSON *rows, const struct cli_header *headers, size_t n, const cJSON *labels,
                 cc_error_t *err)
{
  bool table = strncmp (format, "table", 5) == 0 && (format[5] == '\0' || format[5] == ' ');
  cleanup_free char *body = NULL;
  cleanup_strv char **lines = xzalloc (sizeof (char *));

  if (strcmp (format, "json") == 0)
    {
      /* One object per line, as the docker CLI prints lists.  */
      for (const cJSON *r = rows->child; r; r = r->next)
        {
          cleanup_free char *text = json_compact (r);
          puts (text);
        }
      return 0;
    }
  body = unescape (table ? format + 5 + (format[5] == ' ') : format);
  if (table)
    cc_strv_push (&lines, header_of (body, headers, n));
  for (const cJSON *r = rows->child, *l = labels ? labels->child : NULL; r; r = r->next, l = l ? l->next : NULL)
    {
      char *line = NULL;
      if (render (body, r, labels ? l : cJSON_GetObjectItemCaseSensitive (r, "Labels"), &line, err) < 0)
        return -1;
      cc_strv_push (&lines, line);
    }
  if (table)
    print_aligned (lines);
  else
    for (char **l = lines; *l; l++)
      puts (*l);
  return 0;
}
