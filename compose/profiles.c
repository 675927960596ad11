/* profiles: a service with `profiles:` is part of the project only when
   one of them is enabled (--profile, COMPOSE_PROFILES; `*` enables all)
   or when it is named on the command line, which also brings in what it
   depends on.  */
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static bool
profile_enabled (const cJSON *svc, char *const *profiles)
{
  const cJSON *list = cJSON_GetObjectItemCaseSensitive (svc, "profiles");

  if (list == NULL || cJSON_GetArraySize (list) == 0)
    return true;
  for (const cJSON *p = list->child; p; p = p->next)
    if (cc_strv_contains (profiles, "*") || cc_strv_contains (profiles, p->valuestring))
      return true;
  return false;
}

/* Named services and, transitively, their dependencies.  */
static void
mark_named (const cJSON *services, const char *name, char ***named)
{
  const cJSON *deps
      = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (services, name), "depends_on");

  if (cc_strv_contains (*named, name))
    return;
  cc_strv_append (named, name);
  for (const cJSON *d = deps ? deps->child : NULL; d; d = d->next)
    mark_named (services, d->string, named);
}

/* A kept service may not need a dropped one, unless `required: false`.  */
static const struct cc_node *
dependency_node (const struct cc_node *root, const char *svc, const char *dep)
{
  return cc_node_entry (cc_node_path (root, "services", svc, "depends_on", NULL), dep);
}

static int
drop_dependencies (cJSON *services, const struct cc_service_index *ix, const struct cc_node *root, char *const *dropped,
                   cc_error_t *err)
{
  for (cJSON *svc = services->child; svc; svc = svc->next)
    {
      cJSON *deps = cJSON_GetObjectItemCaseSensitive (svc, "depends_on");
      cJSON *d = deps ? deps->child : NULL;
      while (d)
        {
          cJSON *next = d->next;
          /* An optional dependency on a service that does not exist at all
             is dropped with a warning, as Docker Compose does; a required
             one is left for validation to report.  */
          bool is_dropped = ! cc_service_index_get (ix, d->string) && cc_strv_contains (dropped, d->string);
          if (! is_dropped && ! cc_service_index_get (ix, d->string) && ! cc_json_get_bool (d, "required", true))
            {
              cc_warn_at (dependency_node (root, svc->string, d->string),
                          "service `%s`: optional dependency `%s` is not defined: ignored", svc->string, d->string);
              cJSON_Delete (cJSON_DetachItemViaPointer (deps, d));
            }
          else if (is_dropped)
            {
              if (cc_json_get_bool (d, "required", true))
                return cc_error_at (err, dependency_node (root, svc->string, d->string) ?: root,
                                    "service `%s` depends on `%s`, which no enabled profile selects "
                                    "(enable one of its profiles, or set `required: false`)",
                                    svc->string, d->string);
              cJSON_Delete (cJSON_DetachItemViaPointer (deps, d));
            }
          d = next;
        }
      /* Go omits an empty map.  */
      if (deps && deps->child == NULL)
        cJSON_DeleteItemFromObjectCaseSensitive (svc, "depends_on");
    }
  return 0;
}

int
cc_apply_profiles (cJSON *model, const struct cc_node *root, const struct cc_compose_options *opts, cc_error_t *err)
{
  cJSON *services = cJSON_GetObjectItemCaseSensitive (model, "services");
  cleanup_strv char **named = xzalloc (sizeof (char *));
  cleanup_strv char **dropped = xzalloc (sizeof (char *));
  struct cc_service_index ix = { 0 };
  cJSON *svc;
  int ret;

  if (services == NULL)
    return 0;
  for (char **s = opts ? opts->services : NULL; s && *s; s++)
    if (cJSON_GetObjectItemCaseSensitive (services, *s))
      mark_named (services, *s, &named);
  svc = services->child;
  while (svc)
    {
      cJSON *next = svc->next;
      if (! profile_enabled (svc, opts ? opts->profiles : NULL) && ! cc_strv_contains (named, svc->string))
        {
          cc_strv_append (&dropped, svc->string);
          cJSON_Delete (cJSON_DetachItemViaPointer (services, svc));
        }
      svc = next;
    }
  cc_service_index_init (&ix, model);
  ret = drop_dependencies (services, &ix, root, dropped, err);
  cc_service_index_release (&ix);
  return ret;
}
