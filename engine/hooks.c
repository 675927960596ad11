/* Compose's lifecycle hooks: `post_start` after a container started (a
   failure fails the command, with the hook's output), `pre_stop` before
   its stop signal (stop, down, recreate).  Both go through exec's path
   (runtime/exec.c): the container's namespaces, cgroups and security
   settings, a session of their own, no descriptor or terminal of ours;
   their output is collected, not relayed.  The hooks are read from the
   container's state entry, the config it was created with, so `down`
   and `stop` need no compose file.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

static char **
env_of (const struct cc_kv_list *l)
{
  char **env = xzalloc (sizeof (char *));

  for (size_t i = 0; i < l->n; i++)
    if (l->items[i].value)
      cc_strv_push (&env, xasprintf ("%s=%s", l->items[i].name, l->items[i].value));
  return env;
}

int
cc_engine_run_hook (const char *name, const char *what, const struct cc_hook *h, cc_error_t *err)
{
  cleanup_strv char **env = env_of (&h->environment);
  cleanup_free char *output = NULL;
  struct cc_runtime_exec_opts o = {
    .args = (char **)h->command,
    .env = env,
    .user = h->user,
    .cwd = h->working_dir,
    .privileged = h->privileged,
    .output = &output,
  };
  int code;

  if (h->command == NULL || h->command[0] == NULL)
    return cc_error_make (err, EINVAL, "%s hook without a command", what);
  code = cc_runtime_exec (name, &o, err);
  if (code < 0)
    return cc_error_wrap (err, "%s hook `%s`", what, h->command[0]);
  if (code == 0)
    return 0;
  cc_error_release (err);
  return cc_error_make (err, 0, "%s hook `%s` exited with status %d%s%s", what, h->command[0], code,
                        output && *output ? ":\n" : "", output ? output : "");
}

static int
run_hooks (const char *name, const char *what, const struct cc_hook *h, size_t n, cc_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    if (cc_engine_run_hook (name, what, &h[i], err) < 0)
      return cc_error_wrap (err, "container `%s`", name);
  return 0;
}

/* The view of the config ENTRY recorded; NULL without one.  */
static int
service_of (const cJSON *entry, const char *name, struct cc_service **out, cc_error_t *err)
{
  const cJSON *config = cJSON_GetObjectItemCaseSensitive (entry, "config");

  *out = NULL;
  if (! cJSON_IsObject (config))
    return 0;
  return cc_service_new (cc_json_get_string (entry, "service") ?: name, config, NULL, out, err);
}

int
cc_engine_post_start (const cJSON *entry, const char *name, cc_error_t *err)
{
  cleanup_service struct cc_service *svc = NULL;

  if (service_of (entry, name, &svc, err) < 0)
    return -1;
  return svc ? run_hooks (name, "post_start", svc->post_start, svc->n_post_start, err) : 0;
}

int
cc_engine_pre_stop (const cJSON *entry, const char *name, cc_error_t *err)
{
  cleanup_service struct cc_service *svc = NULL;
  cleanup_free char *status = NULL;

  if (service_of (entry, name, &svc, err) < 0)
    return -1;
  if (svc == NULL || svc->n_pre_stop == 0)
    return 0;
  /* As Compose: a container that is not running has nothing to stop.  */
  status = cc_engine_container_status (name, NULL);
  if (strcmp (status, "running") != 0)
    return 0;
  return run_hooks (name, "pre_stop", svc->pre_stop, svc->n_pre_stop, err);
}
