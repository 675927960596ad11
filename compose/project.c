/* From the loaded document to the immutable model: normalize, apply
   profiles, fill project-wide defaults, validate.  */
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

int
cc_project_from_tree (const struct cc_compose_options *opts, const struct cc_loaded *l, struct cc_project **out,
                      cc_error_t *err)
{
  struct cc_norm n = {
    .opts = opts,
    .project_name = l->project_name,
    .project_dir = l->project_dir,
    .env = l->env,
  };
  cleanup_cjson cJSON *model = NULL;
  struct cc_model_view *view = NULL;
  struct cc_project *p;

  if (cc_norm_document (&n, l->root, &model, err) < 0)
    return -1;
  if (! opts->no_normalize)
    cc_model_implicit_deps (model);
  if (cc_apply_profiles (model, l->root, opts, err) < 0 || cc_norm_external_refs (&n, model, l->root, err) < 0)
    return -1;
  cc_model_finish (model, opts->no_normalize ? NULL : l->project_name);
  if (cc_validate_project (model, l->root, ! opts->no_consistency, err) < 0
      || cc_model_view_new (model, l->root, &view, err) < 0)
    return -1;
  p = xzalloc (sizeof (*p));
  p->view = view;
  p->name = xstrdup (l->project_name);
  p->directory = xstrdup (l->project_dir);
  p->files = l->files ? cc_strv_dup (l->files) : xzalloc (sizeof (char *));
  p->model = steal_pointer (&model);
  p->tree = cc_node_dup (l->root);
  *out = p;
  return 0;
}

int
cc_compose_load (const struct cc_compose_options *opts, struct cc_project **out, cc_error_t *err)
{
  cleanup_loaded struct cc_loaded *l = NULL;

  if (cc_compose_load_tree (opts, &l, err) < 0)
    return -1;
  return cc_project_from_tree (opts, l, out, err);
}

void
cc_project_free (struct cc_project *p)
{
  if (p == NULL)
    return;
  free (p->name);
  free (p->directory);
  cc_strv_free (p->files);
  cc_model_view_free (p->view);
  cJSON_Delete (p->model);
  if (p->tree)
    cc_node_free (p->tree);
  free (p);
}

char *
cc_project_where (const struct cc_project *p, const char *service, const char *key)
{
  const struct cc_node *svc = cc_node_entry (cc_node_path (p->tree, "services", NULL), service);
  const struct cc_node *at = key ? cc_node_path (p->tree, "services", service, key, NULL) : svc;

  if (at == NULL)
    at = svc;
  if (at == NULL || at->file == NULL)
    return NULL;
  return xasprintf ("%s:%d:%d", at->file, at->line, at->col);
}

bool
cc_project_sets (const struct cc_project *p, const char *service, const char *key, const char *subkey)
{
  return cc_node_path (p->tree, "services", service, key, subkey, NULL) != NULL;
}

static const struct cc_node *
env_file_path_node (const struct cc_node *entry)
{
  return entry->kind == CC_NODE_MAP ? cc_node_map_get (entry, "path") : entry;
}

/* The variables one env_file entry sets, into VARS (NAME -> path); a
   missing optional file sets none, as the loader treats it.  */
static int
collect_env_file (const struct cc_project *p, const struct cc_node *entry, cJSON *vars, cc_error_t *err)
{
  const struct cc_node *pathn = env_file_path_node (entry);
  cleanup_free char *path = NULL;
  cleanup_strv char **kv = NULL;

  if (pathn == NULL || pathn->kind != CC_NODE_SCALAR || pathn->is_null)
    return 0;
  path = cc_resolve_host_path (pathn->value, p->directory);
  if (! cc_file_exists (path))
    return 0;
  if (cc_envfile_parse (path, false, NULL, &kv, err) < 0)
    return cc_error_relocate (err, pathn, "env_file");
  for (char **e = kv; e && *e; e++)
    {
      char *eq = strchr (*e, '=');
      cleanup_free char *name = eq ? xstrndup (*e, (size_t)(eq - *e)) : xstrdup (*e);
      cc_json_set_string (vars, name, path);
    }
  return 0;
}

/* Whether an `environment:` node (a map, or a list of NAME=VALUE and bare
   NAME) sets NAME.  */
static bool
environment_sets (const struct cc_node *own, const char *name)
{
  size_t l = strlen (name);

  for (size_t i = 0; own && i < own->len; i++)
    {
      const struct cc_node *k = own->kind == CC_NODE_MAP ? own->keys[i] : own->items[i];
      if (k->kind == CC_NODE_SCALAR && strncmp (k->value, name, l) == 0
          && (k->value[l] == '\0' || (own->kind == CC_NODE_SEQ && k->value[l] == '=')))
        return true;
    }
  return false;
}

int
cc_project_env_file_vars (const struct cc_project *p, const char *service, cJSON **out, cc_error_t *err)
{
  const struct cc_node *files = cc_node_path (p->tree, "services", service, "env_file", NULL);
  const struct cc_node *own = cc_node_path (p->tree, "services", service, "environment", NULL);
  const cJSON *env = cJSON_GetObjectItemCaseSensitive (cc_project_service_json (p, service), "environment");
  cleanup_cjson cJSON *vars = cJSON_CreateObject ();
  cJSON *it;

  if (files && files->kind == CC_NODE_SEQ)
    {
      for (size_t i = 0; i < files->len; i++)
        if (collect_env_file (p, files->items[i], vars, err) < 0)
          return -1;
    }
  else if (files && collect_env_file (p, files, vars, err) < 0)
    return -1;
  /* `environment:` wins over env files; a name the model lost (a bare
     name with no value) is not the file's either.  */
  it = vars->child;
  while (it)
    {
      cJSON *next = it->next;
      if (environment_sets (own, it->string) || ! cJSON_GetObjectItemCaseSensitive (env, it->string))
        cJSON_Delete (cJSON_DetachItemViaPointer (vars, it));
      it = next;
    }
  *out = steal_pointer (&vars);
  return 0;
}
