/* Where a container's files live, and its state.json.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/proc.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

/* Ids become path components and process titles: keep them to the
   characters Docker accepts for names.  */
int
cc_runtime_check_id (const char *id, cc_error_t *err)
{
  size_t n = id ? strlen (id) : 0;

  if (n == 0 || n > 128)
    return cc_error_make (err, EINVAL, "container id must have 1 to 128 characters");
  if (strspn (id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n || id[0] == '.'
      || id[0] == '-')
    return cc_error_make (err, EINVAL, "invalid container id `%s` (allowed: [a-zA-Z0-9][a-zA-Z0-9_.-]*)", id);
  return 0;
}

char *
cc_runtime_dir (const char *id)
{
  return cc_paths_container (id);
}

char *
cc_runtime_file (const char *id, const char *name)
{
  return cc_paths_container_file (id, name);
}

char *
cc_runtime_log_dir (const char *id)
{
  return cc_paths_container_data (id);
}

char *
cc_runtime_state_path (const char *id)
{
  return cc_runtime_file (id, "state.json");
}

char *
cc_runtime_log_path (const char *id)
{
  return cc_paths_container_log (id);
}

int
cc_runtime_state_load (const char *id, cJSON **out, cc_error_t *err)
{
  cleanup_free char *path = cc_runtime_state_path (id);

  return cc_json_load_file (path, out, err);
}

int
cc_runtime_state_save (const char *id, const cJSON *state, cc_error_t *err)
{
  cleanup_free char *path = cc_runtime_state_path (id);

  return cc_json_save_file (path, state, err);
}

char *
cc_runtime_timestamp (const struct timespec *ts)
{
  struct tm tm;
  char buf[64];

  gmtime_r (&ts->tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", buf, (long)ts->tv_nsec);
}

int64_t
cc_runtime_now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cc_runtime_proc_start (pid_t pid, uint64_t *start)
{
  return cc_proc_start_time (pid, start, NULL);
}

bool
cc_runtime_proc_alive (pid_t pid, uint64_t start)
{
  return cc_proc_is_alive (pid, start);
}
