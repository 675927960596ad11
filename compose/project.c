/* From the loaded document to the immutable model: normalize, apply
   profiles, fill project-wide defaults, validate.  */
#include <stdlib.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static void
cleanup_loaded_fn (struct cc_loaded **l)
{
  if (*l)
    cc_loaded_free (*l);
}
#define cleanup_loaded __attribute__ ((cleanup (cleanup_loaded_fn)))

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
  struct cc_project *p;

  if (cc_norm_document (&n, l->root, &model, err) < 0)
    return -1;
  cc_model_implicit_deps (model);
  if (cc_apply_profiles (model, l->root, opts, err) < 0)
    return -1;
  cc_model_finish (model, l->project_name);
  if (cc_validate_project (model, l->root, err) < 0)
    return -1;
  p = xzalloc (sizeof (*p));
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
