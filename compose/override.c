/* A service's config with `run`'s command-line changes, as Docker
   Compose applies them: the JSON the one-off container is recorded with,
   from which its view is read.  */
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

static void
override_process (cJSON *svc, const struct cc_service_override *o)
{
  cJSON *env = cJSON_GetObjectItemCaseSensitive (svc, "environment");

  if (o->command && *o->command)
    cc_json_set (svc, "command", cc_json_from_strv (o->command));
  if (o->entrypoint)
    {
      cc_json_set (svc, "entrypoint", cc_json_from_strv ((char *[]){ (char *)o->entrypoint, NULL }));
      if (! (o->command && *o->command))
        cc_json_set (svc, "command", cJSON_CreateNull ());
    }
  if (env == NULL || ! cJSON_IsObject (env))
    cc_json_set (svc, "environment", env = cJSON_CreateObject ());
  for (char *const *e = o->env; e && *e; e++)
    {
      cleanup_free char *key = xstrndup (*e, strcspn (*e, "="));
      cc_json_set_string (env, key, strchr (*e, '=') ? strchr (*e, '=') + 1 : "");
    }
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
cc_compose_override (const cJSON *service, const struct cc_service_override *o, cJSON **out, cc_error_t *err)
{
  cleanup_cjson cJSON *svc = cJSON_Duplicate (service, true);

  override_process (svc, o);
  if (override_ports (svc, o, err) < 0)
    return -1;
  cJSON_DeleteItemFromObjectCaseSensitive (svc, "restart");
  cJSON_DeleteItemFromObjectCaseSensitive (svc, "container_name");
  *out = steal_pointer (&svc);
  return 0;
}
