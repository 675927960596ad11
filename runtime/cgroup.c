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

/* Make ROOT/REL and every missing directory above it, running STEP on
   ROOT and on each ancestor before its child exists (cgroup v2 delegates
   controllers top-down; a v1 cpuset child needs its parent's cpus).  The
   first ancestor made here goes in *TOP.  1: a concurrent teardown
   removed an ancestor meanwhile, try again.  */
/* A step failed on DIR because the last container's teardown elsewhere
   removed it: the whole chain is made again.  */
static bool
gone_meanwhile (const char *dir, cc_error_t *err)
{
  if (access (dir, F_OK) == 0 || errno != ENOENT)
    return false;
  cc_error_release (err);
  return true;
}

static int
make_chain (const char *root, const char *rel, cc_cgroup_step_fn step, char **top, cc_error_t *err)
{
  cleanup_strv char **parts = cc_strv_split (rel, '/', true);
  cleanup_free char *dir = xstrdup (root);

  for (char **p = parts; *p; p++)
    {
      if (step && step (dir, err) < 0)
        return gone_meanwhile (dir, err) ? 1 : -1;
      char *next = xasprintf ("%s/%s", dir, *p);
      free (dir);
      dir = next;
      if (mkdir (dir, 0755) == 0)
        {
          if (*top == NULL && p[1])
            *top = xstrdup (dir);
          continue;
        }
      if (errno == ENOENT)
        return 1;
      if (errno != EEXIST)
        return cc_error_make (err, errno, "create cgroup `%s`", dir);
    }
  return 0;
}

static bool
is_default_parent (const char *rel)
{
  size_t n = strlen (CC_CGROUP_PARENT);
  return strncmp (rel, CC_CGROUP_PARENT, n) == 0 && rel[n] == '/' && strchr (rel + n + 1, '/') == NULL;
}

/* A cgroup_parent directory ccompose made is remembered under the state
   root, keyed by its path, so the last container's teardown removes it
   and never one that was there before.  */
static char *
parent_marker (const char *parent_dir)
{
  uint64_t h = 14695981039346656037u;

  for (const unsigned char *p = (const unsigned char *)parent_dir; *p; p++)
    h = (h ^ *p) * 1099511628211u;
  return xasprintf ("%s/cgroup-parents/%016" PRIx64, cc_state_dir (), h);
}

static int
remember_parent (const char *parent_dir, const char *top, cc_error_t *err)
{
  cleanup_free char *marker = parent_marker (parent_dir);
  cleanup_free char *dir = cc_path_dirname (marker);

  if (mkdir (dir, 0700) < 0 && errno != EEXIST)
    return cc_error_make (err, errno, "create `%s`", dir);
  return cc_write_file_atomic (marker, top, strlen (top), 0600, err);
}

int
cc_cgroup_make (const char *root, const char *rel, cc_cgroup_step_fn step, cc_error_t *err)
{
  cleanup_free char *top = NULL;

  for (int i = 0; i < 5; i++)
    {
      int ret = make_chain (root, rel, step, &top, err);
      if (ret < 0)
        return -1;
      if (ret > 0)
        continue;
      if (top == NULL || is_default_parent (rel))
        return 0;
      cleanup_free char *leaf = xasprintf ("%s/%s", root, rel);
      cleanup_free char *parent = cc_path_dirname (leaf);
      return remember_parent (parent, top, err);
    }
  return cc_error_make (err, ENOENT, "create cgroup `%s/%s`", root, rel);
}

/* The parent dirs ccompose made, deepest first, once empty; the marker
   goes with the last.  Busy (another container) is fine.  */
static void
release_parent (const char *parent_dir)
{
  cleanup_free char *marker = parent_marker (parent_dir);
  cleanup_free char *top = NULL, *dir = xstrdup (parent_dir);
  size_t n;

  if (cc_read_file (marker, &top, NULL, NULL) < 0)
    return;
  n = strlen (top);
  if (strncmp (dir, top, n) != 0 || (dir[n] != '\0' && dir[n] != '/'))
    return;
  while (strlen (dir) >= n)
    {
      if (rmdir (dir) < 0 && errno != ENOENT)
        return;
      char *up = cc_path_dirname (dir);
      free (dir);
      dir = up;
    }
  unlink (marker);
  cleanup_free char *markers = cc_path_dirname (marker);
  rmdir (markers);
}

void
cc_cgroup_rmdir_parent (const char *dir)
{
  cleanup_free char *parent = cc_path_dirname (dir);

  if (rmdir (parent) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY)
    cc_debug ("remove cgroup `%s`: %m", parent);
}

int
cc_cgroup_remove (const char *root, const char *rel, cc_error_t *err)
{
  cleanup_free char *dir = xasprintf ("%s/%s", root, rel);
  cleanup_free char *parent = NULL;

  if (cc_cgroup_rmdir (dir, err) < 0)
    return -1;
  if (is_default_parent (rel))
    {
      cc_cgroup_rmdir_parent (dir);
      return 0;
    }
  parent = cc_path_dirname (dir);
  release_parent (parent);
  return 0;
}

char *
cc_cgroup_path (const char *parent, const char *id)
{
  cleanup_free char *leaf = cc_paths_cgroup_name (id);
  cleanup_strv char **parts = NULL;
  cleanup_free char *joined = NULL;

  if (parent == NULL || cc_cgroup_check_parent (parent, NULL) < 0)
    return xasprintf (CC_CGROUP_PARENT "/%s", leaf);
  parts = cc_strv_split (parent, '/', true);
  joined = cc_strv_join (parts, "/");
  return xasprintf ("%s/%s", joined, leaf);
}

char *
cc_cgroup_path_of (const char *id)
{
  cleanup_runtime_spec struct cc_runtime_spec *s = NULL;

  if (cc_runtime_spec_of (id, &s, NULL) < 0)
    return cc_cgroup_path (NULL, id);
  return cc_cgroup_path (s->cgroup_parent, id);
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
