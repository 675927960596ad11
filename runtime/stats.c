/* `stats`: one reading of a container's counters, from its cgroups (the
   backend's `stats` op: v1 and hybrid read the controllers' files, v2
   the unified ones) and its network namespace's /proc/PID/net/dev.  */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

uint64_t
cc_cgroup_read_u64 (const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_free char *text = NULL;

  if (cc_read_file (path, &text, NULL, NULL) < 0)
    return 0;
  /* v2 writes "max" for no limit: 0 here, as for a missing file.  */
  return strtoull (text, NULL, 10);
}

/* Sum the fields NAME=N (v2 io.stat) or the lines "MAJ:MIN NAME N" (v1
   blkio.throttle.io_service_bytes) of FILE over every device.  */
uint64_t
cc_cgroup_sum_io (const char *dir, const char *file, const char *name)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_free char *text = NULL;
  cleanup_strv char **lines = NULL;
  size_t len = strlen (name);
  uint64_t sum = 0;

  if (cc_read_file (path, &text, NULL, NULL) < 0)
    return 0;
  lines = cc_strv_split (text, '\n', true);
  for (char **l = lines; *l; l++)
    {
      cleanup_strv char **words = cc_strv_split (*l, ' ', true);
      for (size_t i = 1; words[i]; i++)
        {
          if (strncmp (words[i], name, len) == 0 && words[i][len] == '=')
            sum += strtoull (words[i] + len + 1, NULL, 10);
          else if (strcmp (words[i], name) == 0 && words[i + 1])
            sum += strtoull (words[i + 1], NULL, 10);
        }
    }
  return sum;
}

/* Received and sent bytes of every interface but lo, as the container's
   network namespace counts them.  */
static void
net_io (pid_t pid, struct cc_runtime_stats *s)
{
  cleanup_free char *path = xasprintf ("/proc/%d/net/dev", (int)pid);
  cleanup_free char *text = NULL;
  cleanup_strv char **lines = NULL;

  if (cc_read_file (path, &text, NULL, NULL) < 0)
    return;
  lines = cc_strv_split (text, '\n', true);
  for (char **l = lines; *l; l++)
    {
      char ifname[64];
      unsigned long long v[9];
      if (sscanf (*l, " %63[^:]: %llu %llu %llu %llu %llu %llu %llu %llu %llu", ifname, &v[0], &v[1], &v[2], &v[3],
                  &v[4], &v[5], &v[6], &v[7], &v[8])
              != 10
          || strcmp (ifname, "lo") == 0)
        continue;
      s->net_rx += v[0];
      s->net_tx += v[8];
    }
}

int
cc_runtime_stats (const char *id, struct cc_runtime_stats *s, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL;
  cleanup_free char *cgname = NULL;
  const char *status;

  memset (s, 0, sizeof (*s));
  if (cc_runtime_state (id, &st, err) < 0)
    return -1;
  status = cc_json_get_string (st, "status");
  s->running = status && (strcmp (status, "running") == 0 || strcmp (status, "paused") == 0);
  if (! s->running)
    return 0;
  cgname = cc_cgroup_path_of (id);
  cc_cgroup_ops_get ()->stats (cgname, s);
  net_io ((pid_t)cc_json_get_int (st, "pid", 0), s);
  return 0;
}
