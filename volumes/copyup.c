/* The copy of the image's content into an empty volume at its first use,
   as Docker does: the layers merged bottom to top, whiteouts honoured,
   each layer read with RESOLVE_IN_ROOT so that none of its symlinks can
   point the copy at the host.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/paths.h"
#include "lib/xalloc.h"
#include "volumes/volumes.h"

static bool
is_empty_dir (const char *path)
{
  cleanup_dir DIR *d = opendir (path);
  struct dirent *de;

  while (d && (de = readdir (d)))
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      return false;
  return true;
}

/* An overlay whiteout: a 0/0 character device hides the lower file.  */
static bool
is_whiteout (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && st->st_rdev == 0;
}

static int copy_tree (int src_dir, int dst_dir, cc_error_t *err);

static int
copy_file (int src_dir, const char *name, int dst_dir, const struct stat *st, cc_error_t *err)
{
  cleanup_close int in = openat (src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int out = -1;
  char buf[65536];
  ssize_t n;

  if (in < 0)
    return cc_error_make (err, errno, "open `%s`", name);
  unlinkat (dst_dir, name, 0);
  out = openat (dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
  if (out < 0)
    return cc_error_make (err, errno, "create `%s`", name);
  while ((n = read (in, buf, sizeof (buf))) > 0)
    if (cc_write_all (out, buf, (size_t)n) < 0)
      return cc_error_make (err, errno, "write `%s`", name);
  if (n < 0)
    return cc_error_make (err, errno, "read `%s`", name);
  if (fchown (out, st->st_uid, st->st_gid) < 0 || fchmod (out, st->st_mode & 07777) < 0)
    return cc_error_make (err, errno, "set owner of `%s`", name);
  return 0;
}

static int
copy_entry (int src_dir, const char *name, int dst_dir, cc_error_t *err)
{
  struct stat st;
  char target[4096];
  ssize_t len;

  if (fstatat (src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return cc_error_make (err, errno, "stat `%s`", name);
  if (is_whiteout (&st))
    {
      if (unlinkat (dst_dir, name, 0) < 0 && errno == EISDIR)
        unlinkat (dst_dir, name, AT_REMOVEDIR);
      return 0;
    }
  if (S_ISDIR (st.st_mode))
    {
      cleanup_close int s = -1, d = -1;
      if (mkdirat (dst_dir, name, st.st_mode & 07777) < 0 && errno != EEXIST)
        return cc_error_make (err, errno, "mkdir `%s`", name);
      s = openat (src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      d = openat (dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || d < 0)
        return cc_error_make (err, errno, "open directory `%s`", name);
      if (fchown (d, st.st_uid, st.st_gid) < 0)
        return cc_error_make (err, errno, "chown `%s`", name);
      return copy_tree (s, d, err);
    }
  if (S_ISLNK (st.st_mode))
    {
      len = readlinkat (src_dir, name, target, sizeof (target) - 1);
      if (len < 0)
        return cc_error_make (err, errno, "readlink `%s`", name);
      target[len] = '\0';
      unlinkat (dst_dir, name, 0);
      if (symlinkat (target, dst_dir, name) < 0)
        return cc_error_make (err, errno, "symlink `%s`", name);
      return 0;
    }
  if (S_ISREG (st.st_mode))
    return copy_file (src_dir, name, dst_dir, &st, err);
  /* Devices, fifos and sockets are not copied into volumes.  */
  return 0;
}

static int
copy_tree (int src_dir, int dst_dir, cc_error_t *err)
{
  int fd = dup (src_dir);
  cleanup_dir DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  struct dirent *de;

  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return cc_error_make (err, errno, "read directory");
    }
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (copy_entry (src_dir, de->d_name, dst_dir, err) < 0)
        return -1;
    }
  return 0;
}

/* TARGET inside a layer, symlinks resolved as if the layer were /.  */
static int
open_in_layer (int root, const char *target)
{
  struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };

  return (int)syscall (SYS_openat2, root, target, &how, sizeof (how));
}

/* The volume takes the owner and mode of the image's directory (the
   topmost layer's) as Docker's copyOwnership does: a `user: app`
   service can write to a volume mounted on its own directory.  */
static int
take_owner (int dst, const struct stat *st, const char *what, cc_error_t *err)
{
  if (fchown (dst, st->st_uid, st->st_gid) < 0 || fchmod (dst, st->st_mode & 07777) < 0)
    return cc_error_make (err, errno, "set the owner and mode of volume `%s`", what);
  return 0;
}

/* The image's directory TARGET, merged over the layers bottom to top, is
   copied into an empty volume directory DATA (WHAT names it in errors).
   Paths inside a layer resolve with RESOLVE_IN_ROOT, so a layer's symlink
   cannot point the copy at the host.  */
int
cc_volume_copy_up_into (const char *data, const char *what, char *const *layers, const char *target, cc_error_t *err)
{
  cleanup_free char *clean = cc_path_clean (target);
  cleanup_close int dst = -1;
  struct stat top;
  bool found = false;
  size_t n = 0;

  if (! is_empty_dir (data))
    return 0;
  dst = open (data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dst < 0)
    return cc_error_make (err, errno, "open volume `%s`", what);
  while (layers && layers[n])
    n++;
  for (size_t i = n; i-- > 0;)
    {
      cleanup_close int root = open (layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      cleanup_close int src = -1;
      if (root < 0)
        return cc_error_make (err, errno, "open layer `%s`", layers[i]);
      src = open_in_layer (root, clean);
      if (src < 0)
        continue;
      if (fstat (src, &top) < 0)
        return cc_error_make (err, errno, "stat `%s` in the image", target);
      found = true;
      if (copy_tree (src, dst, err) < 0)
        return cc_error_wrap (err, "copy `%s` from the image into volume `%s`", target, what);
    }
  return found ? take_owner (dst, &top, what, err) : 0;
}

int
cc_volume_copy_up (const char *full_name, char *const *layers, const char *target, cc_error_t *err)
{
  cleanup_free char *path = cc_volume_path (full_name);
  cleanup_free char *data = cc_path_join (path, "_data");

  return cc_volume_copy_up_into (data, full_name, layers, target, err);
}
