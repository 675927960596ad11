#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "paths.h"
#include "strv.h"
#include "xalloc.h"

/* Read FD to its end, failing with EFBIG past MAX bytes.  */
static int
read_fd_max (int fd, size_t max, char **out, size_t *len)
{
  struct cc_buf b = { 0 };
  char chunk[65536];

  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof (chunk));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          cc_buf_reset (&b);
          return -1;
        }
      if (n == 0)
        break;
      if ((size_t)n > max - b.len)
        {
          cc_buf_reset (&b);
          errno = EFBIG;
          return -1;
        }
      cc_buf_append (&b, chunk, (size_t)n);
    }
  if (len)
    *len = b.len;
  *out = cc_buf_steal (&b);
  return 0;
}

static int
read_fd (int fd, char **out, size_t *len)
{
  return read_fd_max (fd, SIZE_MAX, out, len);
}

/* What a path names, for the error that refuses it.  */
static const char *
kind_name (mode_t mode)
{
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISSOCK (mode))
    return "a socket";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISDIR (mode))
    return "a directory";
  return "not a file";
}

static int
check_kind (const char *path, mode_t mode, bool pipes_too, cc_error_t *err)
{
  if (S_ISREG (mode) || (pipes_too && S_ISFIFO (mode)))
    return 0;
  return cc_error_make (err, EINVAL, "read `%s`: not a regular file (%s)", path, kind_name (mode));
}

static int
read_fd_capped (int fd, const char *what, size_t max, char **out, size_t *len, cc_error_t *err)
{
  if (read_fd_max (fd, max, out, len) == 0)
    return 0;
  if (errno == EFBIG)
    return cc_error_make (err, EFBIG, "read `%s`: larger than %zu bytes", what, max);
  return cc_error_make (err, errno, "read `%s`", what);
}

int
cc_check_regular_file (const char *path, cc_error_t *err)
{
  struct stat st;

  if (stat (path, &st) < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  return check_kind (path, st.st_mode, false, err);
}

/* The type is checked before open: opening a device can have side
   effects (a tape rewinds, a tty becomes the controlling terminal), and
   opening a FIFO waits for a writer, maybe forever.  When pipes are not
   wanted the open does not wait (O_NONBLOCK), in case the path became
   one in between.  */
static int
read_user_file (const char *path, size_t max, bool pipes_too, char **out, size_t *len, cc_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;

  if (stat (path, &st) < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  if (check_kind (path, st.st_mode, pipes_too, err) < 0)
    return -1;
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (pipes_too ? 0 : O_NONBLOCK));
  if (fd < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  /* Again on what was opened: the path may have been swapped since.  */
  if (fstat (fd, &st) < 0)
    return cc_error_make (err, errno, "stat `%s`", path);
  if (check_kind (path, st.st_mode, pipes_too, err) < 0)
    return -1;
  return read_fd_capped (fd, path, max, out, len, err);
}

int
cc_read_file_max (const char *path, size_t max, char **out, size_t *len, cc_error_t *err)
{
  return read_user_file (path, max, true, out, len, err);
}

int
cc_read_regular_file_max (const char *path, size_t max, char **out, size_t *len, cc_error_t *err)
{
  return read_user_file (path, max, false, out, len, err);
}

int
cc_read_fd_max (int fd, const char *what, size_t max, char **out, size_t *len, cc_error_t *err)
{
  return read_fd_capped (fd, what, max, out, len, err);
}

int
cc_read_file_at (int dirfd, const char *path, char **out, size_t *len, cc_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  if (read_fd (fd, out, len) < 0)
    return cc_error_make (err, errno, "read `%s`", path);
  return 0;
}

int
cc_read_file (const char *path, char **out, size_t *len, cc_error_t *err)
{
  return cc_read_file_at (AT_FDCWD, path, out, len, err);
}

int
cc_write_all (int fd, const void *data, size_t len)
{
  const char *p = data;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      p += n;
      len -= (size_t)n;
    }
  return 0;
}

/* What the state directory describes (processes, mounts, links, rules)
   is gone after a reboot, so its files need only survive a crash of the
   process, and the rename alone does that: the page cache outlives the
   process.  /run is tmpfs on most hosts, where fsync costs nothing; where
   it is a disk (this project's CI machine), an fsync per save cost 1 to 3
   ms, several times per container.  Data files (images, volumes) are
   fsynced.  */
static bool
needs_fsync (const char *path)
{
  const char *state = cc_state_dir ();
  size_t n = strlen (state);

  return ! (strncmp (path, state, n) == 0 && path[n] == '/');
}

/* The mount point of the filesystem PATH (which may not exist yet) is
   on: the highest ancestor on the same device.  */
static char *
mount_point_of (const char *path)
{
  cleanup_free char *dir = cc_path_dirname (path);
  struct stat st, up;

  while (stat (dir, &st) < 0)
    {
      char *parent = cc_path_dirname (dir);
      bool top = strcmp (parent, dir) == 0;
      free (dir);
      dir = parent;
      if (top)
        return NULL;
    }
  for (;;)
    {
      cleanup_free char *parent = cc_path_dirname (dir);
      if (strcmp (parent, dir) == 0 || stat (parent, &up) < 0 || up.st_dev != st.st_dev)
        return steal_pointer (&dir);
      free (dir);
      dir = steal_pointer (&parent);
    }
}

/* A write that found no space names the filesystem that is full, and how
   full: on /run, the state root shares a small tmpfs with the whole
   system (issue 12, item 9).  */
static int
write_failed (cc_error_t *err, int status, const char *what, const char *path)
{
  cleanup_free char *mnt = NULL;
  struct statvfs vfs;

  if ((status == ENOSPC || status == EDQUOT) && (mnt = mount_point_of (path)) != NULL && statvfs (mnt, &vfs) == 0)
    return cc_error_make (err, status, "%s `%s`: the filesystem mounted on `%s` is full (%llu of %llu KiB free)", what,
                          path, mnt, (unsigned long long)vfs.f_bavail * vfs.f_frsize / 1024,
                          (unsigned long long)vfs.f_blocks * vfs.f_frsize / 1024);
  return cc_error_make (err, status, "%s `%s`", what, path);
}

static int
write_atomic (const char *path, const void *data, size_t len, mode_t mode, bool sync, cc_error_t *err)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp.%d", path, (int)getpid ());
  cleanup_close int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

  if (fd < 0)
    return write_failed (err, errno, "create", tmp);
  /* Closed before the rename: a file still open for writing when it
     appears under its name cannot be executed (ETXTBSY), and a program
     such as the monitor is run by other processes the moment it exists.  */
  if (cc_write_all (fd, data, len) < 0 || (sync && fsync (fd) < 0) || close (get_and_reset (&fd)) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return write_failed (err, saved, "write", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return cc_error_make (err, saved, "rename `%s` to `%s`", tmp, path);
    }
  return 0;
}

/* Bind mounts of single files (/etc/hosts) pin the inode: a rename would
   leave the container with the old file.  */
int
cc_write_file_in_place (const char *path, const void *data, size_t len, cc_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

  if (fd < 0)
    return write_failed (err, errno, "open", path);
  /* Write first, then cut: a reader never sees an empty file.  */
  if (cc_write_all (fd, data, len) < 0 || ftruncate (fd, (off_t)len) < 0)
    return write_failed (err, errno, "write", path);
  return 0;
}

int
cc_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, cc_error_t *err)
{
  return write_atomic (path, data, len, mode, needs_fsync (path), err);
}

int
cc_write_file_replace (const char *path, const void *data, size_t len, mode_t mode, cc_error_t *err)
{
  return write_atomic (path, data, len, mode, false, err);
}

int
cc_mkdir_p (const char *path, mode_t mode, cc_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);

  for (char *p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return write_failed (err, errno, "mkdir", copy);
      *p = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return write_failed (err, errno, "mkdir", copy);
  return 0;
}

bool
cc_file_exists (const char *path)
{
  return access (path, F_OK) == 0;
}

bool
cc_is_dir (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

char *
cc_path_join (const char *a, const char *b)
{
  size_t la = strlen (a);

  if (b[0] == '/')
    return xstrdup (b);
  if (la > 0 && a[la - 1] == '/')
    return xasprintf ("%s%s", a, b);
  return xasprintf ("%s/%s", a, b);
}

char *
cc_path_dirname (const char *path)
{
  const char *slash = strrchr (path, '/');

  if (slash == NULL)
    return xstrdup (".");
  if (slash == path)
    return xstrdup ("/");
  return xstrndup (path, (size_t)(slash - path));
}

char *
cc_path_basename (const char *path)
{
  const char *slash = strrchr (path, '/');

  return xstrdup (slash ? slash + 1 : path);
}

char *
cc_path_clean (const char *path)
{
  cleanup_strv char **parts = cc_strv_split (path, '/', true);
  cleanup_strv char **out = xzalloc (sizeof (char *));
  bool absolute = path[0] == '/';
  struct cc_buf b = { 0 };
  size_t n;

  for (size_t i = 0; parts[i]; i++)
    {
      if (strcmp (parts[i], ".") == 0)
        continue;
      n = cc_strv_len (out);
      if (strcmp (parts[i], "..") == 0)
        {
          if (n > 0 && strcmp (out[n - 1], "..") != 0)
            {
              free (out[n - 1]);
              out[n - 1] = NULL;
              continue;
            }
          if (absolute)
            continue;
        }
      cc_strv_append (&out, parts[i]);
    }
  if (absolute)
    cc_buf_putc (&b, '/');
  for (size_t i = 0; out[i]; i++)
    {
      if (i)
        cc_buf_putc (&b, '/');
      cc_buf_puts (&b, out[i]);
    }
  if (b.len == 0)
    cc_buf_putc (&b, '.');
  return cc_buf_steal (&b);
}
