/* environment and env_file.  Literal values stay in the pod spec;
   variables from env files go to a ConfigMap `<service>-env`, and every
   variable that looks secret, from either, to a Secret `<service>-env`.
   One env entry per variable (not envFrom), so precedence is the
   compose file's and no name is skipped silently.  */
#include <ctype.h>
#include <string.h>

#include "convert/internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

/* Kubernetes before 1.34 takes [-._a-zA-Z][-._a-zA-Z0-9]* only.  */
static bool
is_env_name (const char *s)
{
  if (*s == '\0' || isdigit ((unsigned char)*s))
    return false;
  for (const char *p = s; *p; p++)
    if (! isalnum ((unsigned char)*p) && ! strchr ("-._", *p))
      return false;
  return true;
}

static cJSON *
env_ref (const char *kind, const char *object, const char *key)
{
  cJSON *from = cJSON_CreateObject ();
  cJSON *ref = cJSON_CreateObject ();

  cc_json_set_string (ref, "name", object);
  cc_json_set_string (ref, "key", key);
  cc_json_set (from, kind, ref);
  return from;
}

/* VALUE with the names of services that Kubernetes knows by another name
   rewritten; *RENAMED set when one was.  */
static char *
rename_services (struct cv *c, const struct cv_svc *s, const char *value, bool *renamed)
{
  char *text = xstrdup (value);

  for (char **r = s->refs; r && *r; r++)
    {
      struct cv_svc *t = cv_find (c, *r);
      if (t && strcmp (t->name, t->k8s) != 0 && cv_text_names (text, t->name))
        {
          char *next = cv_text_rename (text, t->name, t->k8s);
          free (text);
          text = next;
          *renamed = true;
        }
    }
  return text;
}

struct env_counts
{
  size_t literal, config, secret, unset, renamed;
};

static void
add_var (struct cv *c, struct cv_svc *s, const cJSON *var, struct env_counts *n)
{
  cleanup_free char *object = xasprintf ("%s-env", s->k8s);
  cleanup_free char *value = NULL;
  cJSON *e = cJSON_CreateObject ();
  bool renamed = false;

  value = rename_services (c, s, var->valuestring, &renamed);
  n->renamed += renamed;
  cc_json_set_string (e, "name", var->string);
  if (cv_env_is_secret (var->string, value))
    {
      if (s->env_secret == NULL)
        s->env_secret = cJSON_CreateObject ();
      cc_json_set_string (s->env_secret, var->string, value);
      cc_json_set (e, "valueFrom", env_ref ("secretKeyRef", object, var->string));
      n->secret++;
    }
  else if (cJSON_GetObjectItemCaseSensitive (s->env_files, var->string))
    {
      if (s->env_config == NULL)
        s->env_config = cJSON_CreateObject ();
      cc_json_set_string (s->env_config, var->string, value);
      cc_json_set (e, "valueFrom", env_ref ("configMapKeyRef", object, var->string));
      n->config++;
    }
  else
    {
      cleanup_free char *escaped = cv_escape_dollars (value);
      cc_json_set_string (e, "value", escaped);
      n->literal++;
    }
  cJSON_AddItemToArray (cv_container_list (s, "env"), e);
}

static void
note_env_files (struct cv *c, struct cv_svc *s, const struct env_counts *n)
{
  size_t from_files = (size_t)cJSON_GetArraySize (s->env_files), secret_from_files = 0;

  if (! cc_project_sets (c->p, s->name, "env_file", NULL))
    return;
  for (const cJSON *f = s->env_files->child; f; f = f->next)
    secret_from_files += cJSON_GetObjectItemCaseSensitive (s->env_secret, f->string) != NULL;
  (void)n;
  cv_note (c, s, "env_file", CC_CONVERT_CONVERTED,
           "%zu variable(s) in ConfigMap `%s-env`, %zu that look secret in Secret `%s-env` (the manifest holds their "
           "values: keep it out of version control)",
           from_files - secret_from_files, s->k8s, secret_from_files, s->k8s);
}

static char *
env_summary (const struct cv_svc *s, const struct env_counts *n)
{
  struct cc_buf b = { 0 };

  cc_buf_printf (&b, "container env: %zu value(s)", n->literal);
  if (n->config)
    cc_buf_printf (&b, ", %zu from ConfigMap `%s-env`", n->config, s->k8s);
  if (n->secret)
    cc_buf_printf (&b, ", %zu from Secret `%s-env` (they look secret)", n->secret, s->k8s);
  if (n->unset)
    cc_buf_puts (&b, "; variables without a value are left unset, as compose leaves them");
  if (n->renamed)
    cc_buf_puts (&b, "; service names in values rewritten to their Kubernetes names");
  return cc_buf_steal (&b);
}

int
cv_key_env (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  struct env_counts n = { 0 };
  cleanup_free char *summary = NULL;

  if (cc_project_env_file_vars (c->p, s->name, &s->env_files, err) < 0)
    return -1;
  for (const cJSON *var = v->child; var; var = var->next)
    {
      if (! cJSON_IsString (var))
        {
          n.unset++;
          continue;
        }
      if (! is_env_name (var->string))
        {
          cleanup_free char *sub = xasprintf ("%s.%s", key, var->string);
          cv_note (c, s, sub, CC_CONVERT_DROPPED,
                   "not a variable name Kubernetes 1.30 takes ([-._a-zA-Z][-._a-zA-Z0-9]*)");
          continue;
        }
      add_var (c, s, var, &n);
    }
  summary = env_summary (s, &n);
  cv_note (c, s, key, n.renamed ? CC_CONVERT_APPROXIMATED : CC_CONVERT_CONVERTED, "%s", summary);
  note_env_files (c, s, &n);
  return 0;
}
