/* `config --variables` and `--environment`: the variables the compose
   files use, as written, and the environment they are read from.  The
   variables are reported as compose-go's ExtractVariables reports them:
   a name, its default (`-`, `:-`), its alternate value (`+`, `:+`) and
   whether it is required (`?`, `:?`), the operands read for variables in
   turn.  */
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static size_t
name_len (const char *s)
{
  size_t n = 0;

  if (! (s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return 0;
  while (s[n] == '_' || (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9'))
    n++;
  return n;
}

/* The `}` closing the `{` at S, or NULL.  */
static const char *
closing_brace (const char *s)
{
  int depth = 0;

  for (const char *p = s; *p; p++)
    if (*p == '{')
      depth++;
    else if (*p == '}' && --depth == 0)
      return p;
  return NULL;
}

/* A variable used once more: required as soon as one use requires it;
   the first default and alternate value found are kept.  */
static void
combine (cJSON *vars, const char *name, const char *dflt, const char *alt, bool required)
{
  cJSON *v = cJSON_GetObjectItemCaseSensitive (vars, name);

  if (v == NULL)
    {
      v = cJSON_CreateObject ();
      cc_json_set_string (v, "Name", name);
      cc_json_set_string (v, "DefaultValue", "");
      cc_json_set_string (v, "PresenceValue", "");
      cc_json_set_bool (v, "Required", false);
      cJSON_AddItemToObject (vars, name, v);
    }
  if (required)
    cc_json_set_bool (v, "Required", true);
  if (dflt && *dflt && ! *cc_json_get_string (v, "DefaultValue"))
    cc_json_set_string (v, "DefaultValue", dflt);
  if (alt && *alt && ! *cc_json_get_string (v, "PresenceValue"))
    cc_json_set_string (v, "PresenceValue", alt);
}

/* The operators after the name inside `${...}`, longest first.  */
static const struct
{
  const char *op;
  enum
  {
    OPERAND_DEFAULT,
    OPERAND_ALTERNATE,
    OPERAND_MESSAGE,
  } kind;
} operators[] = {
  { ":?", OPERAND_MESSAGE }, { "?", OPERAND_MESSAGE },    { ":-", OPERAND_DEFAULT },
  { "-", OPERAND_DEFAULT },  { ":+", OPERAND_ALTERNATE }, { "+", OPERAND_ALTERNATE },
};

static void
braced (const char *inner, size_t len, cJSON *vars)
{
  size_t n = name_len (inner);
  cleanup_free char *name = xstrndup (inner, n);
  cleanup_free char *operand = NULL;

  if (n == 0)
    return;
  for (size_t i = 0; n < len && i < CC_N_ELEMENTS (operators); i++)
    {
      size_t l = strlen (operators[i].op);
      if (strncmp (inner + n, operators[i].op, l) != 0)
        continue;
      operand = xstrndup (inner + n + l, len - n - l);
      combine (vars, name, operators[i].kind == OPERAND_DEFAULT ? operand : NULL,
               operators[i].kind == OPERAND_ALTERNATE ? operand : NULL, operators[i].kind == OPERAND_MESSAGE);
      cc_variables_extract (operand, vars);
      return;
    }
  combine (vars, name, NULL, NULL, false);
}

void
cc_variables_extract (const char *s, cJSON *vars)
{
  for (const char *p = strchr (s, '$'); p; p = strchr (p, '$'))
    {
      const char *end;
      size_t n;

      if (p[1] == '$')
        p += 2;
      else if (p[1] == '{' && (end = closing_brace (p + 1)) != NULL)
        {
          braced (p + 2, (size_t)(end - p - 2), vars);
          p = end + 1;
        }
      else if ((n = name_len (p + 1)) > 0)
        {
          cleanup_free char *name = xstrndup (p + 1, n);
          combine (vars, name, NULL, NULL, false);
          p += 1 + n;
        }
      else
        p++;
    }
}

/* Values only: a key is never interpolated.  */
static void
extract_tree (const struct cc_node *n, cJSON *vars)
{
  if (n->kind == CC_NODE_SCALAR)
    {
      if (! n->is_null)
        cc_variables_extract (n->value, vars);
      return;
    }
  for (size_t i = 0; i < n->len; i++)
    extract_tree (n->items[i], vars);
}

int
cc_compose_variables (const struct cc_compose_options *opts, cJSON **out, cc_error_t *err)
{
  struct cc_compose_options raw = *opts;
  cleanup_loaded struct cc_loaded *l = NULL;
  cJSON *vars;

  raw.no_interpolate = true;
  if (cc_compose_load_tree (&raw, &l, err) < 0)
    return -1;
  vars = cJSON_CreateObject ();
  extract_tree (l->root, vars);
  cc_json_sort_keys (vars);
  *out = vars;
  return 0;
}

int
cc_compose_environment (const struct cc_compose_options *opts, char ***out, cc_error_t *err)
{
  cleanup_loaded struct cc_loaded *l = NULL;
  cleanup_project struct cc_project *p = NULL;
  char **env;

  /* The project must load, as for any other view.  */
  if (cc_compose_load_tree (opts, &l, err) < 0 || cc_project_from_tree (opts, l, &p, err) < 0)
    return -1;
  env = cc_env_to_strv (l->env);
  cc_strv_sort_unique (env);
  *out = env;
  return 0;
}
