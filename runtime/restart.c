/* Docker's restart manager (moby restartmanager): whether to restart,
   and the backoff between restarts.  */
#include "runtime/internal.h"

#define BACKOFF_START_MS 100
#define BACKOFF_MAX_MS 60000
/* A run this long proves the container healthy: the backoff resets.  */
#define BACKOFF_RESET_RUN_MS 10000

bool
cc_restart_wanted (const struct cc_runtime_spec *s, int restart_count, int exit_code, bool stopped_by_user)
{
  if (stopped_by_user)
    return false;
  switch (s->restart)
    {
    case CC_RESTART_ALWAYS:
    case CC_RESTART_UNLESS_STOPPED:
      return true;
    case CC_RESTART_ON_FAILURE:
      return exit_code != 0 && (s->restart_max == 0 || restart_count < s->restart_max);
    case CC_RESTART_NO:
    default:
      return false;
    }
}

int64_t
cc_restart_next_delay (int64_t prev_delay_ms, int64_t ran_ms)
{
  int64_t next;

  if (ran_ms >= BACKOFF_RESET_RUN_MS || prev_delay_ms <= 0)
    return BACKOFF_START_MS;
  next = prev_delay_ms * 2;
  return next > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : next;
}
