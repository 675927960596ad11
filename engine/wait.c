/* depends_on conditions: service_started, service_healthy,
   service_completed_successfully, judged from the runtime's state.  A
   failure says which condition failed and why: the last healthcheck's
   output, or the exit code and the last log lines.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

enum verdict
{
  PENDING,
  MET,
  FAILED,
};

static bool
has_healthcheck (const char *name)
{
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;

  return cc_runtime_spec_of (name, &spec, NULL) == 0 && spec->health.test != NULL;
}

static enum verdict
exited_verdict (const char *name, const cJSON *st, bool zero_is_success, cc_error_t *err)
{
  int64_t code = cc_json_get_int (st, "exit_code", -1);
  cleanup_free char *logs = NULL;

  if (zero_is_success && code == 0)
    return MET;
  logs = cc_engine_last_log_lines (name, 20);
  cc_error_make (err, 0, "container %s exited (%lld)%s%s", name, (long long)code, *logs ? "; last log lines:\n" : "",
                 logs);
  return FAILED;
}

static enum verdict
judge (const char *name, enum cc_depends_condition condition, bool healthcheck, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL;
  const char *status, *health;

  if (cc_runtime_state (name, &st, NULL) < 0)
    {
      cc_error_make (err, ENOENT, "container %s does not exist", name);
      return FAILED;
    }
  status = cc_json_get_string (st, "status");
  health = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (st, "health"), "Status");
  if (status == NULL || strcmp (status, "created") == 0)
    return PENDING;
  if (condition == CC_DEPENDS_COMPLETED)
    return strcmp (status, "exited") == 0 ? exited_verdict (name, st, true, err) : PENDING;
  if (condition != CC_DEPENDS_HEALTHY)
    return MET;
  if (! healthcheck)
    {
      cc_error_make (err, EINVAL, "condition service_healthy: container %s has no healthcheck configured", name);
      return FAILED;
    }
  if (health && strcmp (health, "healthy") == 0)
    return MET;
  if (strcmp (status, "exited") == 0)
    return exited_verdict (name, st, false, err);
  if (health && strcmp (health, "unhealthy") == 0)
    {
      cleanup_free char *out = cc_engine_last_health_output (name);
      cc_error_make (err, 0, "container %s is unhealthy (last healthcheck: %s)", name, out);
      return FAILED;
    }
  return PENDING;
}

volatile sig_atomic_t cc_engine_interrupted;

int
cc_engine_wait_condition (const cJSON *state, const char *service, enum cc_depends_condition condition,
                          int64_t timeout_ms, cc_error_t *err)
{
  cleanup_strv char **names = cc_state_container_names (state, service, false);
  const char *what = cc_depends_condition_name (condition);
  int64_t t0 = cc_engine_now_ms ();

  if (*names == NULL)
    return cc_error_make (err, ENOENT, "service `%s` has no container", service);
  for (char **n = names; *n; n++)
    {
      bool healthcheck = has_healthcheck (*n);
      int step = 0;
      enum verdict v;
      while ((v = judge (*n, condition, healthcheck, err)) == PENDING)
        {
          if (timeout_ms >= 0 && cc_engine_now_ms () - t0 > timeout_ms)
            return cc_error_make (err, ETIMEDOUT, "container %s: %s not met after %lld ms", *n, what,
                                  (long long)timeout_ms);
          if (cc_engine_interrupted)
            return cc_error_make (err, EINTR, "interrupted while waiting for container %s: %s", *n, what);
          cc_engine_backoff (&step);
        }
      if (v == FAILED)
        return cc_error_wrap (err, "%s", what);
    }
  return 0;
}

/* `up --wait`, `start --wait`: running (and healthy when there is a
   healthcheck), or a one-shot that exited 0: that is success, not
   failure.  */
int
cc_engine_wait_ready (char *const *names, int64_t timeout_ms, cc_error_t *err)
{
  int64_t t0 = cc_engine_now_ms ();

  for (char *const *n = names; *n; n++)
    {
      cleanup_free char *status = NULL, *health = NULL;
      int step = 0;
      int64_t running_since = -1;
      for (;;)
        {
          free (status), free (health);
          status = cc_engine_container_status (*n, &health);
          if (strcmp (status, "exited") == 0)
            break;
          if (strcmp (status, "running") == 0 && health && strcmp (health, "healthy") == 0)
            break;
          /* Without a healthcheck, running must last a moment: a one-shot
             that fails at once is a failure, not a success.  */
          if (strcmp (status, "running") != 0 || health)
            running_since = -1;
          else if (running_since < 0)
            running_since = cc_engine_now_ms ();
          else if (cc_engine_now_ms () - running_since >= 250)
            break;
          if (health && strcmp (health, "unhealthy") == 0)
            {
              cleanup_free char *out = cc_engine_last_health_output (*n);
              return cc_error_make (err, 0, "container %s is unhealthy (last healthcheck: %s)", *n, out);
            }
          if (timeout_ms >= 0 && cc_engine_now_ms () - t0 > timeout_ms)
            return cc_error_make (err, ETIMEDOUT, "container %s is not ready after %lld s (status %s%s%s)", *n,
                                  (long long)(timeout_ms / 1000), status, health ? ", health " : "",
                                  health ? health : "");
          if (cc_engine_interrupted)
            return cc_error_make (err, EINTR, "interrupted while waiting for container %s", *n);
          cc_engine_backoff (&step);
        }
      if (strcmp (status, "exited") == 0)
        {
          cleanup_cjson cJSON *st = NULL;
          int64_t code = cc_runtime_state (*n, &st, NULL) == 0 ? cc_json_get_int (st, "exit_code", -1) : -1;
          if (code != 0)
            {
              cleanup_free char *logs = cc_engine_last_log_lines (*n, 20);
              return cc_error_make (err, 0, "container %s exited with code %lld; last log lines:\n%s", *n,
                                    (long long)code, logs);
            }
          cc_engine_progress ("Container", *n, "Exited (0)");
        }
      else
        cc_engine_progress ("Container", *n, health ? "Healthy" : "Running");
    }
  return 0;
}
