/* A service's config with `run`'s command-line changes, as Docker
   Compose applies them: the JSON the one-off container is recorded with,
   from which its view is read.  */
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

/* KEY=VALUE pairs into the object OBJ (environment, labels).  */
static void
set_pairs (cJSON *obj, char *const *pairs)
{
  for (char *const *e = pairs; e && *e; e++)
    {
      cleanup_free char *key = xstrndup (*e, strcspn (*e, "="));
      cc_json_set_string (obj, key, strchr (*e, '=') ? strchr (*e, '=') + 1 : "");
    }
}

/* cJSON array KEY of SVC, made when missing.  */
static cJSON *
array_at (cJSON *svc, const char *key)
{
  cJSON *a = cJSON_GetObjectItemCaseSensitive (svc, key);

  if (! cJSON_IsArray (a))
    cc_json_set (svc, key, a = cJSON_CreateArray ());
  return a;
}

/* --cap-add, --cap-drop, -l, --pull: added to the service's own, as
   Docker Compose merges them.  */
static void
override_security (cJSON *svc, const struct cc_service_override *o)
{
  cJSON *labels = cJSON_GetObjectItemCaseSensitive (svc, "labels");

  for (char *const *c = o->cap_add; c && *c; c++)
    cJSON_AddItemToArray (array_at (svc, "cap_add"), cJSON_CreateString (*c));
  for (char *const *c = o->cap_drop; c && *c; c++)
    cJSON_AddItemToArray (array_at (svc, "cap_drop"), cJSON_CreateString (*c));
  if (o->labels && *o->labels && ! cJSON_IsObject (labels))
    cc_json_set (svc, "labels", labels = cJSON_CreateObject ());
  set_pairs (labels, o->labels);
  if (o->pull_policy)
    {
      /* The command line's policy replaces the file's period with it.  */
      cJSON_DeleteItemFromObjectCaseSensitive (svc, "pull_refresh_after");
      cc_json_set_string (svc, "pull_policy", o->pull_policy);
    }
}

/* -v: the short syntax, as a volumes: entry (its target replaces one the
   service mounts there).  */
static int
override_volumes (cJSON *svc, const struct cc_service_override *o, const char *project_dir, cc_error_t *err)
{
  for (char *const *v = o->volumes; v && *v; v++)
    {
      cJSON *m = NULL, *list = array_at (svc, "volumes");
      const char *target;
      if (cc_volume_parse_short (*v, project_dir, &m, err) < 0)
        return cc_error_wrap (err, "--volume `%s`", *v);
      target = cc_json_get_string (m, "target");
      for (int i = cJSON_GetArraySize (list) - 1; i >= 0; i--)
        if (target && strcmp (cc_json_get_string (cJSON_GetArrayItem (list, i), "target") ?: "", target) == 0)
          cJSON_DeleteItemFromArray (list, i);
      cJSON_AddItemToArray (list, m);
    }
  return 0;
}

static void
override_process (cJSON *svc, const struct cc_service_override *o)
{
  cJSON *env = cJSON_GetObjectItemCaseSensitive (svc, "environment");

  if (o->command && *o->command)
    cc_json_set (svc, "command", cc_json_from_strv (o->command));
  if (o->entrypoint)
    {
      cc_json_set (svc, "entrypoint", cc_json_from_strv (o->entrypoint));
      if (! (o->command && *o->command))
        cc_json_set (svc, "command", cJSON_CreateNull ());
    }
  if (env == NULL || ! cJSON_IsObject (env))
    cc_json_set (svc, "environment", env = cJSON_CreateObject ());
  set_pairs (env, o->env);
  if (o->user)
    cc_json_set_string (svc, "user", o->user);
  if (o->workdir)
    cc_json_set_string (svc, "working_dir", o->workdir);
}

/* Docker: a one-off container publishes nothing unless asked, and is
   never restarted.  */
static int
override_ports (cJSON *svc, const struct cc_service_override *o, cc_error_t *err)
{
  cJSON *ports;

  if (! o->service_ports)
    cJSON_DeleteItemFromObjectCaseSensitive (svc, "ports");
  if (o->publish == NULL || *o->publish == NULL)
    return 0;
  ports = cJSON_GetObjectItemCaseSensitive (svc, "ports");
  if (ports == NULL)
    cc_json_set (svc, "ports", ports = cJSON_CreateArray ());
  /* The one grammar, as the file's ports: one entry per container port.  */
  for (char *const *p = o->publish; *p; p++)
    if (cc_ports_parse_short (*p, ports, err) < 0)
      return cc_error_wrap (err, "--publish `%s`", *p);
  return 0;
}

int
cc_compose_override (const cJSON *service, const struct cc_service_override *o, const char *project_dir, cJSON **out,
                     cc_error_t *err)
{
  cleanup_cjson cJSON *svc = cJSON_Duplicate (service, true);

  override_process (svc, o);
  override_security (svc, o);
  if (override_ports (svc, o, err) < 0 || override_volumes (svc, o, project_dir, err) < 0)
    return -1;
  cJSON_DeleteItemFromObjectCaseSensitive (svc, "restart");
  cJSON_DeleteItemFromObjectCaseSensitive (svc, "container_name");
  *out = steal_pointer (&svc);
  return 0;
}
