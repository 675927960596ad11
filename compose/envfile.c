/* .env and env_file parser with Docker Compose v2's dotenv rules:
   `#` comments, `export KEY=...`, KEY=VALUE or KEY: VALUE, single quotes
   literal, double quotes with escapes and interpolation, unquoted values
   trimmed with ` #` starting a comment and interpolated, a bare KEY
   taking its value from the lookup environment.  Quoted values may span
   lines.  Interpolation sees the lookup environment first, then the
   variables defined earlier in the same file.  */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "compose/load.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/xalloc.h"

struct envparser
{
  const char *file; /* interned */
  const char *p;
  int line;
  const char *line_start;
  const struct cc_env *lookup;
  struct cc_env *vars;
};

static int __attribute__ ((format (printf, 4, 5)))
fail_line (const struct envparser *ep, int line, cc_error_t *err, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = xvasprintf (fmt, ap);
  va_end (ap);
  return cc_error_make (err, 0, "%s:%d: %s", ep->file, line, msg);
}

static void
newline (struct envparser *ep)
{
  ep->line++;
  ep->line_start = ep->p + 1;
}

static bool
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void
skip_blanks (struct envparser *ep)
{
  while (is_blank (*ep->p))
    ep->p++;
}

static void
skip_to_eol (struct envparser *ep)
{
  while (*ep->p && *ep->p != '\n')
    ep->p++;
}

/* Skip empty lines and comment lines; false at the end of the text.  */
static bool
next_statement (struct envparser *ep)
{
  for (;;)
    {
      skip_blanks (ep);
      if (*ep->p == '#')
        skip_to_eol (ep);
      if (*ep->p != '\n')
        return *ep->p != '\0';
      newline (ep);
      ep->p++;
    }
}

static bool
is_key_char (char c)
{
  return isalnum ((unsigned char)c) || c == '_' || c == '.' || c == '-' || c == '[' || c == ']'
         || ((unsigned char)c >= 0x80);
}

static bool
at_eol (const char *p)
{
  return *p == '\0' || *p == '\n' || (*p == '\r' && (p[1] == '\n' || p[1] == '\0'));
}

static int
parse_key (struct envparser *ep, char **key, bool *bare, cc_error_t *err)
{
  const char *start, *end;

  if (strncmp (ep->p, "export", 6) == 0 && (ep->p[6] == ' ' || ep->p[6] == '\t'))
    {
      ep->p += 6;
      skip_blanks (ep);
    }
  start = ep->p;
  while (is_key_char (*ep->p))
    ep->p++;
  end = ep->p;
  skip_blanks (ep);
  *bare = at_eol (ep->p);
  if (! *bare && *ep->p != '=' && *ep->p != ':')
    {
      if (end != ep->p && is_key_char (*ep->p))
        return fail_line (ep, ep->line, err, "variable name cannot contain a space");
      return fail_line (ep, ep->line, err, "unexpected character `%c` in variable name", *ep->p);
    }
  if (end == start)
    return fail_line (ep, ep->line, err, "missing variable name before `%c`", *ep->p);
  *key = xstrndup (start, (size_t)(end - start));
  if (! *bare)
    ep->p++;
  return 0;
}

static const char *
lookup_both (void *data, const char *name)
{
  const struct envparser *ep = data;
  const char *v = cc_env_get (ep->lookup, name);

  return v ? v : cc_env_get (ep->vars, name);
}

static int
interpolate (struct envparser *ep, const char *raw, int line, int col, bool quoted, char **out, cc_error_t *err)
{
  struct cc_node at = { .file = ep->file, .line = line, .col = col, .quoted = quoted };

  return cc_interpolate_string_lookup (raw, lookup_both, ep, &at, out, err);
}

/* Double-quote escapes; `\$` becomes `$$` so interpolation leaves a `$`.  */
static const struct
{
  char c;
  const char *to;
} escapes[] = {
  { 'n', "\n" }, { 't', "\t" }, { 'r', "\r" }, { '\\', "\\" }, { '"', "\"" },
  { '$', "$$" }, { 'a', "\a" }, { 'b', "\b" }, { 'f', "\f" },  { 'v', "\v" },
};

static void
put_escape (struct cc_buf *b, char c)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (escapes); i++)
    if (escapes[i].c == c)
      {
        cc_buf_puts (b, escapes[i].to);
        return;
      }
  /* Unknown escapes stay as written, as Docker Compose keeps them.  */
  cc_buf_putc (b, '\\');
  cc_buf_putc (b, c);
}

static int
parse_quoted (struct envparser *ep, char **value, cc_error_t *err)
{
  cleanup_buf struct cc_buf b = { 0 };
  char q = *ep->p++;
  int line = ep->line, col = (int)(ep->p - ep->line_start);

  for (; *ep->p != q; ep->p++)
    {
      if (*ep->p == '\0')
        return fail_line (ep, line, err, "unterminated quoted value: missing the closing %c", q);
      if (*ep->p == '\n')
        newline (ep);
      if (*ep->p != '\\' || ep->p[1] == '\0')
        cc_buf_putc (&b, *ep->p);
      else if (ep->p[1] == q)
        cc_buf_putc (&b, *++ep->p);
      else if (q == '"')
        put_escape (&b, *++ep->p);
      else
        cc_buf_putc (&b, *ep->p);
    }
  ep->p++;
  skip_blanks (ep);
  if (*ep->p == '#')
    skip_to_eol (ep);
  if (! at_eol (ep->p))
    return fail_line (ep, ep->line, err, "unexpected text after the closing quote");
  cc_buf_puts (&b, "");
  if (q == '\'')
    {
      *value = cc_buf_steal (&b);
      return 0;
    }
  return interpolate (ep, b.data, line, col, true, value, err);
}

static int
parse_unquoted (struct envparser *ep, char **value, cc_error_t *err)
{
  const char *start = ep->p, *end, *comment;
  cleanup_free char *raw = NULL;
  int col = (int)(ep->p - ep->line_start) + 1;

  skip_to_eol (ep);
  end = ep->p;
  raw = xstrndup (start, (size_t)(end - start));
  comment = strstr (raw, " #");
  if (comment)
    raw[comment - raw] = '\0';
  for (size_t n = strlen (raw); n > 0 && isspace ((unsigned char)raw[n - 1]); n--)
    raw[n - 1] = '\0';
  return interpolate (ep, raw, ep->line, col, false, value, err);
}

static int
parse_statement (struct envparser *ep, cc_error_t *err)
{
  cleanup_free char *key = NULL;
  cleanup_free char *value = NULL;
  int line = ep->line;
  bool bare;

  if (parse_key (ep, &key, &bare, err) < 0)
    return -1;
  if (bare)
    {
      const char *v = cc_env_get (ep->lookup, key);

      if (v)
        cc_env_set (ep->vars, key, v, true);
      return 0;
    }
  skip_blanks (ep);
  if ((*ep->p == '"' || *ep->p == '\'') ? parse_quoted (ep, &value, err) < 0 : parse_unquoted (ep, &value, err) < 0)
    return -1;
  if (isdigit ((unsigned char)key[0]))
    {
      cc_warn ("%s:%d: ignoring `%s`: a variable name cannot start with a digit", ep->file, line, key);
      return 0;
    }
  cc_env_set (ep->vars, key, value, true);
  return 0;
}

int
cc_envfile_parse_string (const char *name, const char *text, const struct cc_env *lookup, char ***out, cc_error_t *err)
{
  cleanup_env struct cc_env *vars = cc_env_new ();
  struct envparser ep = {
    .file = cc_node_intern_file (name), .p = text, .line = 1, .line_start = text, .lookup = lookup, .vars = vars
  };

  /* Editors on Windows add a byte-order mark; it is not part of a name.  */
  if (strncmp (ep.p, "\xEF\xBB\xBF", 3) == 0)
    ep.p += 3;
  while (next_statement (&ep))
    if (parse_statement (&ep, err) < 0)
      return -1;
  *out = cc_env_to_strv (vars);
  return 0;
}

static int
read_text (const char *path, bool pipes_too, char **text, cc_error_t *err)
{
  size_t len = 0;
  int ret = pipes_too ? cc_read_file_max (path, CC_ENV_FILE_MAX, text, &len, err)
                      : cc_read_regular_file_max (path, CC_ENV_FILE_MAX, text, &len, err);

  if (ret < 0)
    return -1;
  if (strlen (*text) != len)
    return cc_error_make (err, 0, "%s: NUL byte in the file: not a text file?", path);
  return 0;
}

int
cc_envfile_parse (const char *path, bool pipes_too, const struct cc_env *lookup, char ***out, cc_error_t *err)
{
  cleanup_free char *text = NULL;

  if (read_text (path, pipes_too, &text, err) < 0)
    return -1;
  return cc_envfile_parse_string (path, text, lookup, out, err);
}

/* One line of `format: raw`: docker run --env-file's rules (docker/cli's
   kvfile), which Docker Compose registers as that format.  */
static int
raw_line (const char *path, int n, const char *line, const struct cc_env *lookup, struct cc_env *vars, cc_error_t *err)
{
  const char *eq;
  cleanup_free char *name = NULL;

  line += strspn (line, " \t\n\v\f\r");
  if (*line == '\0' || *line == '#')
    return 0;
  eq = strchr (line, '=');
  name = eq ? xstrndup (line, (size_t)(eq - line)) : xstrdup (line);
  if (*name == '\0')
    return cc_error_make (err, 0, "%s:%d: no variable name on the line", path, n);
  if (strpbrk (name, " \t\n\v\f\r"))
    return cc_error_make (err, 0, "%s:%d: variable `%s` contains whitespace", path, n, name);
  if (eq)
    cc_env_set (vars, name, eq + 1, true);
  else if (lookup && cc_env_get (lookup, name))
    cc_env_set (vars, name, cc_env_get (lookup, name), true);
  return 0;
}

int
cc_envfile_parse_raw (const char *path, const struct cc_env *lookup, char ***out, cc_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_env struct cc_env *vars = cc_env_new ();
  char *nl = NULL;
  int n = 0;

  if (read_text (path, false, &text, err) < 0)
    return -1;
  for (char *line = strncmp (text, "\xEF\xBB\xBF", 3) == 0 ? text + 3 : text; line; line = nl ? nl + 1 : NULL)
    {
      size_t len;
      nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      len = strlen (line);
      if (len > 0 && line[len - 1] == '\r')
        line[len - 1] = '\0';
      if (raw_line (path, ++n, line, lookup, vars, err) < 0)
        return -1;
    }
  *out = cc_env_to_strv (vars);
  return 0;
}
