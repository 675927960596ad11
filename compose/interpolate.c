/* Variable interpolation with Docker Compose's syntax: $VAR, ${VAR},
   ${VAR:-d}, ${VAR-d}, ${VAR:?msg}, ${VAR?msg}, ${VAR:+alt}, ${VAR+alt},
   nested words, and $$ for a literal dollar.  A `$` followed by anything
   else stays as written, as in Docker Compose; `$name` inside a password
   or a hash is what surprises users, so the warning for
   an unset variable in such text says how to keep the `$`.  */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "compose/load.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ${A:-${B:-${C...}}} deeper than this is not a real file.  */
#define MAX_NESTING 32

/* One warning per unset variable for the whole run, as Docker Compose.  */
static char **warned;

void
cc_interpolate_reset_warnings (void)
{
  cc_strv_free (warned);
  warned = NULL;
}

struct interp
{
  cc_lookup_fn lookup;
  void *data;
  const struct cc_node *at;
  const char *text;
  int depth;
};

static bool
is_name_start (char c)
{
  return c == '_' || isalpha ((unsigned char)c);
}

static bool
is_name_char (char c)
{
  return c == '_' || isalnum ((unsigned char)c);
}

/* Whether a quoted scalar's text is exactly what is written between its
   quotes: printable ASCII with nothing an escape could have produced.  */
static bool
is_verbatim (const char *text)
{
  for (const unsigned char *p = (const unsigned char *)text; *p; p++)
    if (*p < 0x20 || *p > 0x7e || *p == '\\' || *p == '\'' || *p == '"')
      return false;
  return true;
}

/* Position of WHERE: exact when the scalar's columns map one to one onto
   its text (plain, or quoted without escapes, on one line); the scalar's
   start otherwise.  */
static struct cc_node
position_of (const struct interp *it, const char *where)
{
  struct cc_node pos = { 0 };
  int offset = (int)(where - it->text);

  if (it->at == NULL)
    return pos;
  pos.file = it->at->file;
  pos.line = it->at->line;
  pos.col = it->at->col;
  if (strchr (it->text, '\n'))
    return pos;
  if (! it->at->quoted)
    pos.col += offset;
  else if (it->at->flow_quoted && is_verbatim (it->text))
    pos.col += 1 + offset;
  return pos;
}

static bool
looks_like_hash (const char *text)
{
  /* bcrypt ($2a$, $2b$, $2y$), md5-crypt ($1$), apr1, sha-crypt ($5$, $6$).  */
  return strstr (text, "$2a$") || strstr (text, "$2b$") || strstr (text, "$2y$") || strstr (text, "$1$")
         || strstr (text, "$apr1$") || strstr (text, "$5$") || strstr (text, "$6$");
}

static const char *
dollar_hint (const char *text)
{
  if (looks_like_hash (text))
    return " (this looks like a password hash: write `$$` for each literal `$`)";
  return " (write `$$` for a literal `$`)";
}

/* WHERE is the `$` of the reference; AFTER follows a `$name` (not a
   `${name}`, whose closing brace ends it unambiguously).  */
static void
warn_unset (const struct interp *it, const char *where, const char *after, const char *name)
{
  struct cc_node pos = position_of (it, where);
  /* "pa$word" or "$salt$hash": the `$` was probably meant literally.  */
  bool literal_dollar
      = looks_like_hash (it->text) || (where > it->text && isalnum ((unsigned char)where[-1])) || *after == '$';

  if (cc_strv_contains (warned, name))
    return;
  cc_strv_append (&warned, name);
  cc_warn_at (it->at ? &pos : NULL, "variable `%s` is not set, using an empty string%s", name,
              literal_dollar ? dollar_hint (it->text) : "");
}

static int __attribute__ ((format (printf, 4, 5)))
fail_at (const struct interp *it, const char *where, cc_error_t *err, const char *fmt, ...)
{
  struct cc_node pos = position_of (it, where);
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = xvasprintf (fmt, ap);
  va_end (ap);
  return cc_error_at (err, it->at ? &pos : NULL, "%s", msg);
}

static int expand (struct interp *it, const char **pp, bool nested, bool eval, struct cc_buf *out, cc_error_t *err);

enum op
{
  OP_NONE,
  OP_DEFAULT,   /* - */
  OP_REQUIRE,   /* ? */
  OP_ALTERNATE, /* + */
};

static const char op_chars[] = { [OP_DEFAULT] = '-', [OP_REQUIRE] = '?', [OP_ALTERNATE] = '+' };

static enum op
parse_op (const char **pp, bool *colon)
{
  const char *p = *pp;

  *colon = *p == ':';
  if (*colon)
    p++;
  for (enum op o = OP_DEFAULT; o <= OP_ALTERNATE; o++)
    if (*p == op_chars[o])
      {
        *pp = p + 1;
        return o;
      }
  return OP_NONE;
}

/* Whether the word after the operator is used, given the variable's value.  */
static bool
word_applies (enum op op, bool colon, const char *value)
{
  bool set = value != NULL, set_nonempty = set && *value;

  switch (op)
    {
    case OP_DEFAULT:
    case OP_REQUIRE:
      return colon ? ! set_nonempty : ! set;
    case OP_ALTERNATE:
      return colon ? set_nonempty : set;
    default:
      return false;
    }
}

static int
expand_operator (struct interp *it, const char **pp, const char *open, const char *name, bool eval, struct cc_buf *out,
                 cc_error_t *err)
{
  cleanup_buf struct cc_buf word = { 0 };
  const char *value = eval ? it->lookup (it->data, name) : NULL;
  bool colon, applies;
  enum op op = parse_op (pp, &colon);

  if (op == OP_NONE)
    {
      if (**pp == '\0')
        return fail_at (it, open, err, "unterminated `${`: missing `}`");
      return fail_at (it, *pp, err, "invalid interpolation: unexpected character in `${%s...}`", name);
    }
  applies = eval && word_applies (op, colon, value);
  if (it->depth >= MAX_NESTING)
    return fail_at (it, open, err, "interpolation nested deeper than %d levels", MAX_NESTING);
  it->depth++;
  if (expand (it, pp, true, applies, &word, err) < 0)
    return -1;
  it->depth--;
  if (**pp != '}')
    return fail_at (it, open, err, "unterminated `${`: missing `}`");
  (*pp)++;
  if (! eval)
    return 0;
  if (op == OP_REQUIRE && applies)
    return fail_at (it, open, err, "required variable `%s` is missing a value%s%s", name, word.len ? ": " : "",
                    word.len ? word.data : "");
  /* An applicable word replaces the value; otherwise `+` yields nothing
     and the others the value itself.  */
  if (applies)
    cc_buf_puts (out, word.data ? word.data : "");
  else if (op != OP_ALTERNATE)
    cc_buf_puts (out, value);
  return 0;
}

static int
expand_braced (struct interp *it, const char **pp, bool eval, struct cc_buf *out, cc_error_t *err)
{
  const char *open = *pp, *p = *pp + 2, *name_start = p;
  cleanup_free char *name = NULL;

  if (! is_name_start (*p))
    {
      if (*p == '\0')
        return fail_at (it, open, err, "unterminated `${`: missing a variable name");
      return fail_at (it, p, err, "invalid interpolation: `${` must be followed by a variable name");
    }
  while (is_name_char (*p))
    p++;
  name = xstrndup (name_start, (size_t)(p - name_start));
  if (*p == '}')
    {
      const char *value = eval ? it->lookup (it->data, name) : "";

      if (value == NULL)
        warn_unset (it, open, "", name);
      cc_buf_puts (out, value ? value : "");
      *pp = p + 1;
      return 0;
    }
  *pp = p;
  return expand_operator (it, pp, open, name, eval, out, err);
}

static int
expand_dollar (struct interp *it, const char **pp, bool eval, struct cc_buf *out, cc_error_t *err)
{
  const char *p = *pp, *name_start = p + 1, *value;
  cleanup_free char *name = NULL;

  if (p[1] == '$')
    {
      cc_buf_putc (out, '$');
      *pp = p + 2;
      return 0;
    }
  if (p[1] == '{')
    return expand_braced (it, pp, eval, out, err);
  if (! is_name_start (p[1]))
    {
      cc_buf_putc (out, '$');
      *pp = p + 1;
      return 0;
    }
  for (p = name_start; is_name_char (*p); p++)
    ;
  name = xstrndup (name_start, (size_t)(p - name_start));
  value = eval ? it->lookup (it->data, name) : "";
  if (value == NULL)
    warn_unset (it, *pp, p, name);
  cc_buf_puts (out, value ? value : "");
  *pp = p;
  return 0;
}

/* Copy text to OUT expanding `$` forms, up to the end or, when NESTED,
   up to the `}` that closes the enclosing `${`.  EVAL false only parses
   (a default that is not used must still be well formed, but must not
   fail on its own `:?` or warn).  */
static int
expand (struct interp *it, const char **pp, bool nested, bool eval, struct cc_buf *out, cc_error_t *err)
{
  const char *p = *pp;

  while (*p && ! (nested && *p == '}'))
    {
      const char *lit = p;

      while (*p && *p != '$' && ! (nested && *p == '}'))
        p++;
      if (eval)
        cc_buf_append (out, lit, (size_t)(p - lit));
      if (*p == '$' && expand_dollar (it, &p, eval, out, err) < 0)
        return -1;
    }
  *pp = p;
  return 0;
}

int
cc_interpolate_string_lookup (const char *in, cc_lookup_fn lookup, void *data, const struct cc_node *at, char **out,
                              cc_error_t *err)
{
  struct interp it = { .lookup = lookup, .data = data, .at = at, .text = in };
  cleanup_buf struct cc_buf b = { 0 };
  const char *p = in;

  if (expand (&it, &p, false, true, &b, err) < 0)
    return -1;
  cc_buf_puts (&b, "");
  *out = cc_buf_steal (&b);
  return 0;
}

static const char *
env_lookup (void *data, const char *name)
{
  return cc_env_get (data, name);
}

int
cc_interpolate_string (const char *in, const struct cc_env *env, const struct cc_node *at, char **out, cc_error_t *err)
{
  return cc_interpolate_string_lookup (in, env_lookup, (void *)env, at, out, err);
}

int
cc_interpolate_tree (struct cc_node *root, const struct cc_env *env, cc_error_t *err)
{
  char *value = NULL;

  if (root == NULL)
    return 0;
  if (root->kind != CC_NODE_SCALAR)
    {
      for (size_t i = 0; i < root->len; i++)
        if (cc_interpolate_tree (root->items[i], env, err) < 0)
          return -1;
      return 0;
    }
  if (strchr (root->value, '$') == NULL)
    return 0;
  if (cc_interpolate_string (root->value, env, root, &value, err) < 0)
    return -1;
  free (root->value);
  root->value = value;
  return 0;
}
