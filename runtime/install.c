/* The monitor program on disk (install.h).

   Each build installs its own monitor once, under the data directory (on
   disk: the state directory is RAM, and may be small), named by the start
   of its sha256: all monitors of a build map the same file and share its
   pages, and a newer ccompose never replaces the program older monitors
   run.  That leaves one file of about 1.2 MB per build ever used, so a
   build that installs its program removes the others nobody needs, and
   it must not break an older ccompose running at the same moment:

   - A live monitor keeps its program: a process whose /proc/PID/exe is
     the file.  (The kernel would keep a deleted program's inode for it,
     but the space would only come back when it exits, unseen.)
   - A ccompose between finding its program and the exec is invisible in
     /proc.  It holds a shared flock on the program from the moment it
     checks it until the exec is over (the monitor has then reported, so
     /proc shows it), and the cleaner takes the exclusive lock without
     waiting before it looks at /proc and unlinks.  With its lock held,
     the installer checks that the name still leads to the file it
     locked: a program removed just before is installed again instead of
     failing the exec with ENOENT.
   - A ccompose older than this scheme takes no lock.  Its window is the
     few microseconds from its stat to its exec, and losing it fails one
     create; the cleaner runs only when a build installs its program for
     the first time, so that is a once-per-upgrade risk, not a steady one.  */
#include "runtime/install.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/xalloc.h"

#define MONITOR_PREFIX "ccompose-monitor-"
#define MONITOR_HASH_LEN 16
/* Installs in a row that another build's cleaner may undo before we
   hold the program; it only removes a program nobody holds, so a second
   one already meets a held file but for a third build's cleaner.  */
#define INSTALL_ATTEMPTS 3

/* The monitor is a program of its own, embedded (runtime/monitor/main.c
   says why).  Weak: the monitor links this file too and embeds nothing.  */
extern const char cc_monitor_id[] __attribute__ ((weak));
extern const char cc_monitor_blob_start[] __attribute__ ((weak));
extern const char cc_monitor_blob_end[] __attribute__ ((weak));

bool
cc_runtime_is_monitor_name (const char *name)
{
  const char *hash = name + strlen (MONITOR_PREFIX);

  if (strncmp (name, MONITOR_PREFIX, strlen (MONITOR_PREFIX)) != 0 || strlen (hash) != MONITOR_HASH_LEN)
    return false;
  return strspn (hash, "0123456789abcdef") == MONITOR_HASH_LEN;
}

static bool
same_file (const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* 1 with *FD_OUT holding a shared lock when PATH is a whole program (LEN
   bytes, executable) and still the file its name leads to; 0 when it
   has to be installed.  */
static int
lock_installed (const char *path, size_t len, int *fd_out, cc_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat locked, named;

  if (fd < 0)
    return errno == ENOENT || errno == ELOOP ? 0 : cc_error_make (err, errno, "open `%s`", path);
  if (cc_flock_wait (fd, LOCK_SH, path, err) < 0)
    return -1;
  if (fstat (fd, &locked) < 0)
    return cc_error_make (err, errno, "stat `%s`", path);
  if (stat (path, &named) < 0)
    return errno == ENOENT ? 0 : cc_error_make (err, errno, "stat `%s`", path);
  if (! same_file (&locked, &named) || ! S_ISREG (locked.st_mode) || (size_t)locked.st_size != len
      || (locked.st_mode & 0111) == 0)
    return 0;
  *fd_out = get_and_reset (&fd);
  return 1;
}

int
cc_runtime_install_monitor (char **out, int *lock_fd, cc_error_t *err)
{
  size_t len = cc_monitor_blob_start ? (size_t)(cc_monitor_blob_end - cc_monitor_blob_start) : 0;
  cleanup_free char *dir = NULL, *name = NULL, *path = NULL;
  bool installed = false;

  if (len == 0)
    return cc_error_make (err, ENOENT, "ccompose was built without its monitor");
  dir = cc_paths_monitor_bin_dir ();
  name = xasprintf (MONITOR_PREFIX "%s", cc_monitor_id);
  path = cc_path_join (dir, name);
  for (int i = 0; i < INSTALL_ATTEMPTS; i++)
    {
      int held = lock_installed (path, len, lock_fd, err);
      if (held < 0)
        return cc_error_wrap (err, "install the monitor");
      if (held > 0)
        {
          if (installed)
            cc_runtime_remove_stale_monitors (dir, name);
          *out = steal_pointer (&path);
          return 0;
        }
      if (cc_mkdir_p (dir, 0700, err) < 0 || cc_write_file_atomic (path, cc_monitor_blob_start, len, 0555, err) < 0)
        return cc_error_wrap (err, "install the monitor");
      installed = true;
    }
  return cc_error_make (err, EAGAIN, "install the monitor: `%s` was removed each time it was written", path);
}

/* Whether a live process runs the program behind PROG.  */
static bool
is_running (const struct stat *prog)
{
  cleanup_dir DIR *d = opendir ("/proc");
  struct dirent *de;

  /* Cannot tell: keep the program.  */
  if (d == NULL)
    return true;
  while ((de = readdir (d)) != NULL)
    {
      char exe[sizeof (de->d_name) + sizeof ("/proc//exe")];
      struct stat st;
      if (de->d_name[0] < '1' || de->d_name[0] > '9')
        continue;
      snprintf (exe, sizeof (exe), "/proc/%s/exe", de->d_name);
      if (stat (exe, &st) == 0 && same_file (&st, prog))
        return true;
    }
  return false;
}

/* Unlink NAME (in DFD) unless an installer holds it or a process runs it.
   The unlink happens under the exclusive lock, so an installer that gets
   its shared lock after it finds the name gone.  */
static bool
remove_if_unused (int dfd, const char *name)
{
  cleanup_close int fd = openat (dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat locked, named;

  if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) < 0 || fstat (fd, &locked) < 0 || is_running (&locked))
    return false;
  if (fstatat (dfd, name, &named, AT_SYMLINK_NOFOLLOW) < 0 || ! same_file (&locked, &named))
    return false;
  return unlinkat (dfd, name, 0) == 0;
}

int
cc_runtime_remove_stale_monitors (const char *dir, const char *keep)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  int removed = 0;

  if (d == NULL)
    return 0;
  while ((de = readdir (d)) != NULL)
    if (cc_runtime_is_monitor_name (de->d_name) && strcmp (de->d_name, keep) != 0
        && remove_if_unused (dirfd (d), de->d_name))
      removed++;
  if (removed > 0)
    cc_debug ("removed %d monitor programs of other builds from `%s`", removed, dir);
  return removed;
}
