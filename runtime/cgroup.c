/* cgroups: pick the backend for this host's layout (crun's
   detect_cgroup_mode), and the file helpers the backends share.  */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* unified: cgroup2 at /sys/fs/cgroup.  hybrid: v1 controllers, plus a
   controller-less cgroup2 at /sys/fs/cgroup/unified (this machine).
   legacy: v1 only.  */
const struct cc_cgroup_ops *
cc_cgroup_ops_get (void)
{
  static const struct cc_cgroup_ops *ops;
  struct statfs st;

  if (ops)
    return ops;
  if (statfs ("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    ops = &cc_cgroup_ops_v2;
  else if (statfs ("/sys/fs/cgroup/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    ops = &cc_cgroup_ops_hybrid;
  else
    ops = &cc_cgroup_ops_v1;
  return ops;
}

int
cc_cgroup_write (const char *dir, const char *file, const char *value, cc_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  if (write (fd, value, strlen (value)) < 0)
    return cc_error_make (err, errno, "write `%s` to `%s`", value, path);
  return 0;
}

int
cc_cgroup_write_int (const char *dir, const char *file, int64_t value, cc_error_t *err)
{
  char buf[32];

  snprintf (buf, sizeof (buf), "%" PRId64, value);
  return cc_cgroup_write (dir, file, buf, err);
}

int
cc_cgroup_enter_fd (int leaf_fd, pid_t pid, cc_error_t *err)
{
  cleanup_close int fd = openat (leaf_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", (int)pid);

  if (fd < 0)
    return cc_error_make (err, errno, "open cgroup.procs of the cgroup2 leaf");
  if (write (fd, buf, (size_t)len) < 0)
    return cc_error_make (err, errno, "write %d to cgroup.procs of the cgroup2 leaf", (int)pid);
  return 0;
}

int
cc_cgroup_open_dir (const char *dir, int *fd, cc_error_t *err)
{
  *fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return cc_error_make (err, errno, "open cgroup `%s`", dir);
  return 0;
}

/* The number after "KEY " in a flat keyed file (memory.events,
   memory.oom_control, cgroup.events); 0 when absent.  */
uint64_t
cc_cgroup_read_key (const char *dir, const char *file, const char *key)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_free char *text = NULL;
  cleanup_strv char **lines = NULL;
  size_t klen = strlen (key);

  if (cc_read_file (path, &text, NULL, NULL) < 0)
    return 0;
  lines = cc_strv_split (text, '\n', true);
  for (char **l = lines; *l; l++)
    if (strncmp (*l, key, klen) == 0 && (*l)[klen] == ' ')
      return strtoull (*l + klen + 1, NULL, 10);
  return 0;
}

int
cc_cgroup_kill_procs (const char *dir, int sig)
{
  cleanup_free char *path = xasprintf ("%s/cgroup.procs", dir);
  cleanup_free char *text = NULL;
  cleanup_strv char **pids = NULL;
  int n = 0;

  if (cc_read_file (path, &text, NULL, NULL) < 0)
    return 0;
  pids = cc_strv_split (text, '\n', true);
  for (char **p = pids; *p; p++)
    if (kill ((pid_t)atoi (*p), sig) == 0)
      n++;
  return n;
}

/* rmdir fails with EBUSY while dying processes are still charged to the
   cgroup; they go within milliseconds (crun retries the same way).  */
int
cc_cgroup_rmdir (const char *dir, cc_error_t *err)
{
  for (int i = 0; i < 500; i++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        break;
      cc_cgroup_kill_procs (dir, SIGKILL);
      nanosleep (&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    }
  return cc_error_make (err, errno, "remove cgroup `%s`", dir);
}

int
cc_cgroup_mkdir (const char *dir, cc_error_t *err)
{
  cleanup_free char *parent = cc_path_dirname (dir);

  for (int i = 0; i < 5; i++)
    {
      if (mkdir (parent, 0755) < 0 && errno != EEXIST)
        return cc_error_make (err, errno, "create cgroup `%s`", parent);
      if (mkdir (dir, 0755) == 0 || errno == EEXIST)
        return 0;
      if (errno != ENOENT)
        break;
    }
  return cc_error_make (err, errno, "create cgroup `%s`", dir);
}

void
cc_cgroup_rmdir_parent (const char *dir)
{
  cleanup_free char *parent = cc_path_dirname (dir);

  if (rmdir (parent) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY)
    cc_debug ("remove cgroup `%s`: %m", parent);
}

int
cc_cgroup_remove (const char *dir, cc_error_t *err)
{
  if (cc_cgroup_rmdir (dir, err) < 0)
    return -1;
  cc_cgroup_rmdir_parent (dir);
  return 0;
}

bool
cc_cgroup_kill_at_once (const char *dir, int sig)
{
  return sig == SIGKILL && cc_cgroup_write (dir, "cgroup.kill", "1", NULL) == 0;
}

/* crun's convert_shares_to_weight: maps [2, 262144] onto [1, 10000]
   with 1024 -> 100 the same as systemd.  */
uint64_t
cc_cgroup_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  double l = __builtin_log2 ((double)shares);
  double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return (uint64_t)__builtin_ceil (__builtin_pow (10, exponent));
}

int64_t
cc_cgroup_read_int (const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_free char *text = NULL;
  char *end = NULL;
  long long v;

  if (cc_read_file (path, &text, NULL, NULL) < 0)
    return -1;
  v = strtoll (text, &end, 10);
  return end == text ? -1 : (int64_t)v;
}

int
cc_cgroup_block_device (const char *entry, char *dev, int64_t *n, cc_error_t *err)
{
  const char *sp = strrchr (entry, ' ');
  cleanup_free char *path = sp ? xstrndup (entry, (size_t)(sp - entry)) : NULL;
  char *end = NULL;
  struct stat st;

  if (path == NULL || sp[1] == '\0')
    return cc_error_make (err, EINVAL, "blkio entry `%s` is not `PATH N`", entry);
  *n = strtoll (sp + 1, &end, 10);
  if (*end != '\0' || *n < 0)
    return cc_error_make (err, EINVAL, "blkio entry `%s`: `%s` is not a number", entry, sp + 1);
  if (stat (path, &st) < 0)
    return cc_error_make (err, errno, "blkio device `%s`", path);
  if (! S_ISBLK (st.st_mode))
    return cc_error_make (err, ENOTBLK, "blkio device `%s`", path);
  snprintf (dev, 32, "%u:%u", major (st.st_rdev), minor (st.st_rdev));
  return 0;
}

const char *
cc_cgroup_first_file (const char *dir, const char *const *files)
{
  for (; *files; files++)
    {
      cleanup_free char *p = xasprintf ("%s/%s", dir, *files);
      if (cc_file_exists (p))
        return *files;
    }
  return NULL;
}
