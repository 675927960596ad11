/* Output of the model: YAML in the shape of `docker compose config`
   (2-space indent, sequences indented under their key, strings quoted
   where a YAML reader would mistype them) and JSON with 2-space indent.  */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compose/model.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

/* Words YAML 1.1 or 1.2 reads as booleans or null.  */
static const char *const special_words[] = {
  "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
};

static bool
is_special_word (const char *s)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (special_words); i++)
    if (strcasecmp (s, special_words[i]) == 0)
      return true;
  return false;
}

/* Integers, floats, hex/octal, .inf/.nan and 1.1 sexagesimals like 22:22.  */
static bool
looks_numeric (const char *s)
{
  cleanup_free char *plain = xstrdup (s);
  char *w = plain, *end;
  bool only_digits_colons = true;

  for (const char *r = s; *r; r++)
    {
      if (*r != '_')
        *w++ = *r;
      if (! isdigit ((unsigned char)*r) && *r != ':' && *r != '_')
        only_digits_colons = false;
    }
  *w = '\0';
  if (only_digits_colons && isdigit ((unsigned char)s[0]))
    return true;
  if (strcasecmp (plain, ".inf") == 0 || strcasecmp (plain, "-.inf") == 0 || strcasecmp (plain, "+.inf") == 0
      || strcasecmp (plain, ".nan") == 0)
    return true;
  /* 0o17 (YAML 1.2 octal) and 0b101 (YAML 1.1 binary).  */
  if (plain[0] == '0' && (plain[1] == 'o' || plain[1] == 'b') && plain[2]
      && strspn (plain + 2, plain[1] == 'o' ? "01234567" : "01") == strlen (plain + 2))
    return true;
  /* strtod also takes "inf", "nan" and hex floats, which YAML does not.  */
  if (! isdigit ((unsigned char)plain[0])
      && ! (strchr ("+-.", plain[0]) && plain[0] && isdigit ((unsigned char)plain[1])))
    return false;
  strtod (plain, &end);
  return end != plain && *end == '\0';
}

bool
cc_yaml_needs_quotes (const char *s)
{
  size_t len = strlen (s);

  if (len == 0 || is_special_word (s) || looks_numeric (s))
    return true;
  /* "-", "?" and ":" start a plain scalar unless a space follows ("--flag" is fine).  */
  if (strchr ("-?:", s[0]) && (s[1] == '\0' || s[1] == ' ' || strncmp (s, "---", 3) == 0))
    return true;
  if (strchr (",[]{}#&*!|>'\"%@` ", s[0]) || s[len - 1] == ' ' || s[len - 1] == ':')
    return true;
  if (strstr (s, ": ") || strstr (s, " #"))
    return true;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return true;
  return false;
}

/* Docker Compose doubles every `$` of an interpolated model so its output
   can be read again without a second interpolation.  */
static char *
escape_dollars (const char *s)
{
  struct cc_buf b = { 0 };

  for (; *s; s++)
    {
      if (*s == '$')
        cc_buf_putc (&b, '$');
      cc_buf_putc (&b, *s);
    }
  return cc_buf_steal (&b);
}

static void
put_string (struct cc_buf *b, const char *raw, bool escape)
{
  cleanup_free char *s = escape ? escape_dollars (raw) : xstrdup (raw);
  cJSON *tmp;
  char *q;

  if (! cc_yaml_needs_quotes (s))
    {
      cc_buf_puts (b, s);
      return;
    }
  /* JSON string escapes are valid YAML double-quoted escapes.  */
  tmp = cJSON_CreateString (s);
  q = cJSON_PrintUnformatted (tmp);
  cc_buf_puts (b, q);
  free (q);
  cJSON_Delete (tmp);
}

static void
put_number (struct cc_buf *b, const cJSON *j)
{
  char *s = cJSON_PrintUnformatted (j);

  cc_buf_puts (b, s);
  free (s);
}

static bool
is_empty_container (const cJSON *j)
{
  return (cJSON_IsObject (j) || cJSON_IsArray (j)) && j->child == NULL;
}

static void
put_scalar (struct cc_buf *b, const cJSON *j, bool escape)
{
  if (cJSON_IsString (j))
    put_string (b, j->valuestring, escape);
  else if (cJSON_IsNumber (j))
    put_number (b, j);
  else if (cJSON_IsBool (j))
    cc_buf_puts (b, cJSON_IsTrue (j) ? "true" : "false");
  else if (cJSON_IsObject (j))
    cc_buf_puts (b, "{}");
  else if (cJSON_IsArray (j))
    cc_buf_puts (b, "[]");
  else
    cc_buf_puts (b, "null");
}

/* How a document is printed: `config` doubles dollars and follows Docker
   Compose's omissions; other documents are printed as they are.  */
struct yaml_style
{
  bool escape;
  bool compose_quirks;
};

static void emit (struct cc_buf *b, const cJSON *j, int indent, bool inline_first, const struct yaml_style *st);

static bool
is_one_of (const char *s, const char *const *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (s, list[i]) == 0)
      return true;
  return false;
}

/* Docker Compose's JSON and YAML differ where Go's encoders do: struct
   fields (not pointers) that yaml.v3 drops when empty but encoding/json
   prints as {}, and command/entrypoint, which only JSON prints as null.  */
static bool
is_omitted_in_yaml (const cJSON *member)
{
  static const char *const empty_structs[] = { "ipam", "resources", "placement" };
  static const char *const null_commands[] = { "command", "entrypoint" };

  if (cJSON_IsObject (member) && member->child == NULL)
    return is_one_of (member->string, empty_structs, CC_N_ELEMENTS (empty_structs));
  if (cJSON_IsNull (member))
    return is_one_of (member->string, null_commands, CC_N_ELEMENTS (null_commands));
  return false;
}

static void
indent_to (struct cc_buf *b, int n)
{
  for (int i = 0; i < n; i++)
    cc_buf_putc (b, ' ');
}

/* A container value after "key:" or "- ": nested on the next lines, or
   inline when empty or scalar.  */
/* Multi-line text reads best as a literal block, as Docker Compose prints
   it; only when no line starts with a space (that would need an
   indentation indicator) and nothing needs escaping.  */
static bool
fits_literal_block (const char *s)
{
  if (strchr (s, '\n') == NULL || s[0] == ' ' || s[0] == '\n')
    return false;
  for (const char *p = s; *p; p++)
    {
      if (((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
        return false;
      if (*p == '\n' && p[1] == ' ')
        return false;
      if (*p == ' ' && (p[1] == '\n' || p[1] == '\0'))
        return false;
    }
  return true;
}

static void
put_literal_block (struct cc_buf *b, const char *raw, int indent, bool escape)
{
  cleanup_free char *s = escape ? escape_dollars (raw) : xstrdup (raw);
  size_t len = strlen (s), trailing = 0;

  while (trailing < len && s[len - 1 - trailing] == '\n')
    trailing++;
  /* Chomping: "|-" no final newline, "|" one, "|+" keep them all.  */
  cc_buf_puts (b, trailing == 0 ? " |-\n" : trailing == 1 ? " |\n" : " |+\n");
  s[len - trailing] = '\0';
  for (char *line = s, *nl; line; line = nl ? nl + 1 : NULL)
    {
      nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      if (*line)
        {
          indent_to (b, indent);
          cc_buf_puts (b, line);
        }
      cc_buf_putc (b, '\n');
    }
  for (size_t i = 1; i < trailing; i++)
    cc_buf_putc (b, '\n');
}

static void
emit_value (struct cc_buf *b, const cJSON *v, int indent, const struct yaml_style *st)
{
  if (cJSON_IsString (v) && fits_literal_block (v->valuestring))
    {
      put_literal_block (b, v->valuestring, indent, st->escape);
      return;
    }
  if (is_empty_container (v) || ! (cJSON_IsObject (v) || cJSON_IsArray (v)))
    {
      cc_buf_putc (b, ' ');
      put_scalar (b, v, st->escape);
      cc_buf_putc (b, '\n');
      return;
    }
  cc_buf_putc (b, '\n');
  emit (b, v, indent, false, st);
}

/* INLINE_FIRST: the first line continues after "- ".  */
static void
emit (struct cc_buf *b, const cJSON *j, int indent, bool inline_first, const struct yaml_style *st)
{
  /* The first line printed continues after "- " when INLINE_FIRST.  */
  bool continues_line = inline_first;

  for (const cJSON *it = j->child; it; it = it->next)
    {
      if (cJSON_IsObject (j) && st->compose_quirks && is_omitted_in_yaml (it))
        continue;
      if (! continues_line)
        indent_to (b, indent);
      continues_line = false;
      if (cJSON_IsObject (j))
        {
          put_string (b, it->string, false);
          cc_buf_putc (b, ':');
          emit_value (b, it, indent + 2, st);
          continue;
        }
      cc_buf_puts (b, "-");
      if ((cJSON_IsObject (it) || cJSON_IsArray (it)) && ! is_empty_container (it))
        {
          cc_buf_putc (b, ' ');
          emit (b, it, indent + 2, true, st);
        }
      else
        emit_value (b, it, indent + 2, st);
    }
}

char *
cc_render_yaml (const cJSON *model, bool escape)
{
  cleanup_buf struct cc_buf b = { 0 };
  const struct yaml_style st = { .escape = escape, .compose_quirks = true };

  emit (&b, model, 0, false, &st);
  return cc_buf_steal (&b);
}

char *
cc_compose_render_yaml_document (const cJSON *doc)
{
  cleanup_buf struct cc_buf b = { 0 };
  const struct yaml_style st = { .escape = false, .compose_quirks = false };

  emit (&b, doc, 0, false, &st);
  return cc_buf_steal (&b);
}

static void
emit_json (struct cc_buf *b, const cJSON *j, int indent, bool escape)
{
  bool obj = cJSON_IsObject (j);

  if (cJSON_IsString (j) && escape)
    {
      cleanup_free char *e = escape_dollars (j->valuestring);
      cJSON *tmp = cJSON_CreateString (e);
      char *s = cJSON_PrintUnformatted (tmp);
      cc_buf_puts (b, s);
      free (s);
      cJSON_Delete (tmp);
      return;
    }
  if (! (obj || cJSON_IsArray (j)) || j->child == NULL)
    {
      char *s = cJSON_PrintUnformatted (j);
      cc_buf_puts (b, s);
      free (s);
      return;
    }
  cc_buf_puts (b, obj ? "{\n" : "[\n");
  for (const cJSON *it = j->child; it; it = it->next)
    {
      indent_to (b, indent + 2);
      if (obj)
        {
          cJSON *k = cJSON_CreateString (it->string);
          char *ks = cJSON_PrintUnformatted (k);
          cc_buf_printf (b, "%s: ", ks);
          free (ks);
          cJSON_Delete (k);
        }
      emit_json (b, it, indent + 2, escape);
      cc_buf_puts (b, it->next ? ",\n" : "\n");
    }
  indent_to (b, indent);
  cc_buf_puts (b, obj ? "}" : "]");
}

char *
cc_render_json (const cJSON *model, bool escape)
{
  cleanup_buf struct cc_buf b = { 0 };

  emit_json (&b, model, 0, escape);
  cc_buf_putc (&b, '\n');
  return cc_buf_steal (&b);
}

char *
cc_compose_render_yaml (const cJSON *model)
{
  return cc_render_yaml (model, false);
}

char *
cc_compose_render_json (const cJSON *model)
{
  return cc_render_json (model, false);
}

char *
cc_compose_render (const cJSON *model, bool json, bool escape_dollars)
{
  return json ? cc_render_json (model, escape_dollars) : cc_render_yaml (model, escape_dollars);
}
