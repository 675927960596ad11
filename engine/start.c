/* Starting existing containers (`start`, `restart`): level by level, each
   level after its dependencies' conditions hold, as `up` does.  */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

static int
wait_dependencies (const struct cc_project *p, const cJSON *state, const char *service, cc_error_t *err)
{
  const struct cc_service *svc = cc_project_service (p, service);

  for (size_t i = 0; svc && i < svc->n_depends_on; i++)
    {
      const struct cc_dependency *d = &svc->depends_on[i];
      cleanup_strv char **has = cc_state_container_names (state, d->service, false);
      if (*has == NULL)
        continue;
      if (cc_engine_wait_condition (state, d->service, d->condition, -1, err) < 0)
        {
          if (! d->required)
            {
              cc_error_release (err);
              continue;
            }
          return cc_error_wrap (err, "dependency failed to start for service `%s`", service);
        }
    }
  return 0;
}

static bool
runtime_has (const char *name)
{
  cleanup_free char *path = cc_runtime_state_path (name);

  return access (path, F_OK) == 0;
}

static int
start_levels (const struct cc_project *p, const cJSON *state, char *const *names, cc_error_t *err)
{
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (state, "containers");
  int max = 0;

  for (char *const *n = names; *n; n++)
    {
      int l = (int)cc_json_get_int (cJSON_GetObjectItemCaseSensitive (containers, *n), "level", 0);
      max = l > max ? l : max;
    }
  for (int l = 0; l <= max; l++)
    for (char *const *n = names; *n; n++)
      {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive (containers, *n);
        const char *service = cc_json_get_string (e, "service");
        if (cc_json_get_int (e, "level", 0) != l)
          continue;
        /* The old version a rolling update replaced, kept only for a
           rollback (rolling.c): after a crash, starting it would serve
           the old version beside the new; the next `up` finishes.  */
        if (cc_json_get_bool (e, "retired", false))
          {
            cc_engine_progress ("Container", *n, "Retired by an update (`up` finishes it)");
            continue;
          }
        /* Recorded but never made: a command was killed between the
           two (apply.c and rolling.c record a container, then create it);
           `up` makes it.  */
        if (! runtime_has (*n))
          {
            cc_warn ("container `%s` was never created (an interrupted command): `ccompose up` creates it", *n);
            continue;
          }
        if (p && service && wait_dependencies (p, state, service, err) < 0)
          return -1;
        if (cc_runtime_start (*n, err) < 0 || cc_engine_post_start (e, *n, err) < 0)
          return -1;
        cc_engine_progress ("Container", *n, "Started");
      }
  return 0;
}

int
cc_engine_start (const struct cc_project *p, const cJSON *state, char *const *names, cc_error_t *err)
{
  int ret = start_levels (p, state, names, err);

  /* Even after a failure: what did start comes back after a reboot.  */
  cc_engine_boot_record (state, p);
  return ret;
}

/* Compose drops the depends_on edges without `restart: true`, then adds
   the dependents of what it restarts along the edges left.  */
static bool
restarts_with (const struct cc_service *svc, char *const *set)
{
  for (size_t i = 0; i < svc->n_depends_on; i++)
    if (svc->depends_on[i].restart && cc_strv_contains (set, svc->depends_on[i].service))
      return true;
  return false;
}

char **
cc_engine_restart_set (const struct cc_project *p, char *const *services)
{
  char **set = cc_strv_dup (services);
  cleanup_strv char **all = cc_project_service_names (p);
  bool grew = true;

  while (grew)
    {
      grew = false;
      for (char **s = all; *s; s++)
        if (! cc_strv_contains (set, *s) && restarts_with (cc_project_service (p, *s), set))
          {
            cc_strv_append (&set, *s);
            grew = true;
          }
    }
  return set;
}
