/* Layer extraction: a tar stream (plain, gzip or zstd) becomes a
   directory usable as an overlayfs lowerdir.

   Every entry is written relative to the layer's directory fd.  Parent
   directories are opened with openat2 (RESOLVE_BENEATH |
   RESOLVE_NO_SYMLINKS), so a `..`, an absolute path or a symlink planted
   by an earlier entry can never make a write land outside; final
   components are created with O_EXCL / O_NOFOLLOW and never followed.
   Whiteouts become what overlayfs understands (OCI image-spec layer.md):
   `.wh.NAME` a 0:0 character device, `.wh..wh..opq` the
   trusted.overlay.opaque xattr on its directory.

   The stream is read once: an outer libarchive reader (raw format, all
   filters) hashes the compressed bytes as they come from the fd and
   decompresses; an inner tar reader hashes the uncompressed bytes (the
   diff id) as it consumes them.  */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/internal.h"
#include "lib/cleanup.h"
#include "lib/dynlib.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"
#define CHUNK (128 * 1024)

static void
cleanup_archive_fn (struct archive **a)
{
  if (*a)
    archive_read_free (*a);
}
#define cleanup_archive __attribute__ ((cleanup (cleanup_archive_fn)))

/* ---- paths ------------------------------------------------------------ */

char *
cc_layer_clean_path (const char *p, cc_error_t *err)
{
  cleanup_strv char **parts = NULL;
  cleanup_strv char **out = xzalloc (sizeof (char *));

  if (p == NULL || *p == '\0')
    {
      cc_error_make (err, 0, "empty path in layer");
      return NULL;
    }
  if (p[0] == '/')
    {
      cc_error_make (err, 0, "refusing absolute path `%s` in layer", p);
      return NULL;
    }
  parts = cc_strv_split (p, '/', true);
  for (size_t i = 0; parts[i]; i++)
    {
      if (strcmp (parts[i], ".") == 0)
        continue;
      if (strcmp (parts[i], "..") == 0)
        {
          cc_error_make (err, 0, "refusing path `%s` in layer: it contains `..`", p);
          return NULL;
        }
      cc_strv_append (&out, parts[i]);
    }
  return cc_strv_join (out, "/");
}

int
cc_layer_whiteout (const char *path, enum cc_whiteout_kind *kind, char **target, cc_error_t *err)
{
  const char *slash = strrchr (path, '/');
  const char *base = slash ? slash + 1 : path;
  cleanup_free char *dir = slash ? xstrndup (path, (size_t)(slash - path)) : xstrdup ("");
  const char *hidden;

  *kind = CC_WHITEOUT_NONE;
  *target = NULL;
  if (strncmp (base, WHITEOUT_PREFIX, strlen (WHITEOUT_PREFIX)) != 0)
    return 0;
  if (strcmp (base, WHITEOUT_OPAQUE) == 0)
    {
      *kind = CC_WHITEOUT_OPAQUE;
      *target = steal_pointer (&dir);
      return 0;
    }
  if (strncmp (base, WHITEOUT_META_PREFIX, strlen (WHITEOUT_META_PREFIX)) == 0)
    {
      *kind = CC_WHITEOUT_IGNORED;
      return 0;
    }
  hidden = base + strlen (WHITEOUT_PREFIX);
  if (*hidden == '\0' || strcmp (hidden, ".") == 0 || strcmp (hidden, "..") == 0)
    return cc_error_make (err, 0, "refusing whiteout `%s`: it names no file in its directory", path);
  *kind = CC_WHITEOUT_FILE;
  *target = *dir ? xasprintf ("%s/%s", dir, hidden) : xstrdup (hidden);
  return 0;
}

/* Split a clean path into its directory ("" for the top) and last name.  */
static void
split_path (const char *path, char **dir, const char **name)
{
  const char *slash = strrchr (path, '/');

  *dir = slash ? xstrndup (path, (size_t)(slash - path)) : xstrdup ("");
  *name = slash ? slash + 1 : path;
}

static int
open_beneath (int rootfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = (uint64_t)(flags | O_CLOEXEC),
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };

  if (*path == '\0')
    path = ".";
  return (int)syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
}

/* The directory DIR (clean, relative) under ROOTFD, creating missing
   components as 0755 directories when CREATE.  */
static int
open_dir (int rootfd, const char *dir, bool create, const char *entry, cc_error_t *err)
{
  cleanup_strv char **parts = NULL;
  cleanup_close int fd = open_beneath (rootfd, dir, O_PATH | O_DIRECTORY);

  if (fd >= 0)
    return get_and_reset (&fd);
  if (errno == ELOOP || errno == EXDEV)
    return cc_error_make (err, 0, "refusing `%s` in layer: its path goes through a symlink", entry);
  if (errno != ENOENT || ! create)
    return cc_error_make (err, errno, "open directory `%s` in layer", dir);
  fd = open_beneath (rootfd, "", O_PATH | O_DIRECTORY);
  parts = cc_strv_split (dir, '/', true);
  for (size_t i = 0; fd >= 0 && parts[i]; i++)
    {
      int next;
      if (mkdirat (fd, parts[i], 0755) < 0 && errno != EEXIST)
        return cc_error_make (err, errno, "mkdir `%s` in layer", dir);
      next = open_beneath (fd, parts[i], O_PATH | O_DIRECTORY);
      if (next < 0 && (errno == ELOOP || errno == ENOTDIR))
        return cc_error_make (err, 0, "refusing `%s` in layer: its path goes through a symlink or a file", entry);
      close (fd);
      fd = next;
    }
  if (fd < 0)
    return cc_error_make (err, errno, "open directory `%s` in layer", dir);
  return get_and_reset (&fd);
}

/* ---- writing entries -------------------------------------------------- */

struct extract
{
  int rootfd;
  int flags;
  int64_t size;
  struct dir_time
  {
    char *path;
    struct timespec mtime;
  } * dirs;
  size_t n_dirs;
};

/* Remove NAME in PARENT whatever it is, so an entry can take its place.  */
static int
remove_existing (int parent, const char *name, cc_error_t *err)
{
  struct stat st;
  cleanup_close int fd = -1;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : cc_error_make (err, errno, "stat `%s` in layer", name);
  if (! S_ISDIR (st.st_mode))
    return unlinkat (parent, name, 0) < 0 ? cc_error_make (err, errno, "unlink `%s` in layer", name) : 0;
  fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    return cc_error_make (err, errno, "open `%s` in layer", name);
  fd = -1; /* owned by D now */
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0
        && remove_existing (dirfd (d), de->d_name, err) < 0)
      return -1;
  return unlinkat (parent, name, AT_REMOVEDIR) < 0 ? cc_error_make (err, errno, "rmdir `%s` in layer", name) : 0;
}

static bool
is_allowed_xattr (const char *name)
{
  /* Overlay's own xattrs (opaque, redirect, metacopy) in a layer would let
     it reach into other layers: only our whiteout conversion sets them.  */
  return strncmp (name, "trusted.overlay.", 16) != 0 && strncmp (name, "user.overlay.", 13) != 0;
}

static int
set_xattrs (int fd, struct archive_entry *e, const char *path, cc_error_t *err)
{
  const char *name;
  const void *value;
  size_t size;

  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      if (! is_allowed_xattr (name))
        continue;
      if (fsetxattr (fd, name, value, size, 0) < 0)
        return cc_error_make (err, errno, "set xattr `%s` on `%s`", name, path);
    }
  return 0;
}

/* Ownership first: chown clears setuid bits and file capabilities.  */
static int
set_meta_fd (struct extract *x, int fd, struct archive_entry *e, const char *path, bool times, cc_error_t *err)
{
  struct timespec ts[2] = { { archive_entry_mtime (e), archive_entry_mtime_nsec (e) },
                            { archive_entry_mtime (e), archive_entry_mtime_nsec (e) } };

  if ((x->flags & CC_LAYER_OWNERS) && fchown (fd, (uid_t)archive_entry_uid (e), (gid_t)archive_entry_gid (e)) < 0)
    return cc_error_make (err, errno, "chown `%s`", path);
  if (fchmod (fd, archive_entry_perm (e) & 07777) < 0)
    return cc_error_make (err, errno, "chmod `%s`", path);
  if (set_xattrs (fd, e, path, err) < 0)
    return -1;
  if (times && futimens (fd, ts) < 0)
    return cc_error_make (err, errno, "set times of `%s`", path);
  return 0;
}

static int
set_meta_at (struct extract *x, int parent, const char *name, struct archive_entry *e, bool symlink, cc_error_t *err)
{
  struct timespec ts[2] = { { archive_entry_mtime (e), archive_entry_mtime_nsec (e) },
                            { archive_entry_mtime (e), archive_entry_mtime_nsec (e) } };

  if ((x->flags & CC_LAYER_OWNERS)
      && fchownat (parent, name, (uid_t)archive_entry_uid (e), (gid_t)archive_entry_gid (e), AT_SYMLINK_NOFOLLOW) < 0)
    return cc_error_make (err, errno, "chown `%s`", name);
  /* A symlink's mode means nothing, and fchmodat cannot avoid following it.  */
  if (! symlink && fchmodat (parent, name, archive_entry_perm (e) & 07777, 0) < 0)
    return cc_error_make (err, errno, "chmod `%s`", name);
  if (utimensat (parent, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return cc_error_make (err, errno, "set times of `%s`", name);
  return 0;
}

/* A full disk first shows as a short write that leaves errno alone (it
   held whatever libarchive last put there, often ENOENT): keep writing
   until the kernel reports the real cause.  Returns 0 or an errno.  */
static int
pwrite_all (int fd, const char *buf, size_t len, off_t off)
{
  while (len > 0)
    {
      ssize_t n = pwrite (fd, buf, len, off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return errno;
      if (n == 0)
        return EIO;
      buf += n;
      len -= (size_t)n;
      off += n;
    }
  return 0;
}

static int
write_data (struct archive *a, int fd, const char *path, cc_error_t *err)
{
  const void *buf;
  size_t len;
  la_int64_t off;
  int r, saved;

  while ((r = archive_read_data_block (a, &buf, &len, &off)) == ARCHIVE_OK)
    if (len > 0 && (saved = pwrite_all (fd, buf, len, off)) != 0)
      return cc_error_make (err, saved, "write `%s`", path);
  if (r != ARCHIVE_EOF)
    return cc_error_make (err, archive_errno (a) > 0 ? archive_errno (a) : EIO, "read `%s` from layer: %s", path,
                          archive_error_string (a) ?: "truncated");
  return 0;
}

static int
write_file (struct extract *x, struct archive *a, int parent, const char *name, struct archive_entry *e,
            const char *path, cc_error_t *err)
{
  cleanup_close int fd = openat (parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

  if (fd < 0)
    return cc_error_make (err, errno, "create `%s`", path);
  if (write_data (a, fd, path, err) < 0)
    return -1;
  /* Sparse entries end in a hole: the size is the entry's, not the last write's.  */
  if (ftruncate (fd, archive_entry_size (e)) < 0)
    return cc_error_make (err, errno, "truncate `%s`", path);
  x->size += archive_entry_size (e);
  return set_meta_fd (x, fd, e, path, true, err);
}

static int
write_dir (struct extract *x, int parent, const char *name, struct archive_entry *e, const char *path, cc_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;

  if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && ! S_ISDIR (st.st_mode)
      && remove_existing (parent, name, err) < 0)
    return -1;
  if (mkdirat (parent, name, 0700) < 0 && errno != EEXIST)
    return cc_error_make (err, errno, "mkdir `%s`", path);
  fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  if (set_meta_fd (x, fd, e, path, false, err) < 0)
    return -1;
  /* Children written later would bump the mtime: set it at the end.  */
  x->dirs = xreallocarray (x->dirs, x->n_dirs + 1, sizeof (*x->dirs));
  x->dirs[x->n_dirs].path = xstrdup (path);
  x->dirs[x->n_dirs].mtime = (struct timespec){ archive_entry_mtime (e), archive_entry_mtime_nsec (e) };
  x->n_dirs++;
  return 0;
}

static int
write_hardlink (struct extract *x, int parent, const char *name, const char *target, const char *path, cc_error_t *err)
{
  cleanup_free char *clean = cc_layer_clean_path (target, err);
  cleanup_free char *tdir = NULL;
  cleanup_close int tparent = -1;
  const char *tname;

  if (clean == NULL)
    return cc_error_wrap (err, "hard link `%s`", path);
  split_path (clean, &tdir, &tname);
  tparent = open_dir (x->rootfd, tdir, false, clean, err);
  if (tparent < 0)
    return cc_error_wrap (err, "hard link `%s` to `%s`", path, target);
  if (linkat (tparent, tname, parent, name, 0) < 0)
    return cc_error_make (err, errno, "hard link `%s` to `%s` (the target must be in the same layer)", path, target);
  return 0;
}

static int
write_special (struct extract *x, int parent, const char *name, struct archive_entry *e, const char *path,
               cc_error_t *err)
{
  mode_t type = archive_entry_filetype (e);

  if (type == AE_IFSOCK)
    return 0;
  if (type != AE_IFIFO && ! (x->flags & CC_LAYER_DEVICES))
    return cc_error_make (err, 0, "refusing device node `%s` here", path);
  if (mknodat (parent, name, type | 0600, archive_entry_rdev (e)) < 0)
    return cc_error_make (err, errno, "mknod `%s`", path);
  return set_meta_at (x, parent, name, e, false, err);
}

static int
write_entry (struct extract *x, struct archive *a, struct archive_entry *e, const char *path, cc_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_close int parent = -1;
  const char *name;
  const char *hardlink = archive_entry_hardlink (e);
  mode_t type = archive_entry_filetype (e);

  split_path (path, &dir, &name);
  parent = open_dir (x->rootfd, dir, true, path, err);
  if (parent < 0)
    return -1;
  if (type == AE_IFDIR)
    return write_dir (x, parent, name, e, path, err);
  if (remove_existing (parent, name, err) < 0)
    return -1;
  if (hardlink)
    return write_hardlink (x, parent, name, hardlink, path, err);
  switch (type)
    {
    case AE_IFREG:
      return write_file (x, a, parent, name, e, path, err);
    case AE_IFLNK:
      /* The target is left as it is: it only ever resolves inside the
         container's root, never while extracting.  */
      if (symlinkat (archive_entry_symlink (e) ?: "", parent, name) < 0)
        return cc_error_make (err, errno, "symlink `%s`", path);
      return set_meta_at (x, parent, name, e, true, err);
    default:
      return write_special (x, parent, name, e, path, err);
    }
}

static int
apply_whiteout (struct extract *x, enum cc_whiteout_kind kind, const char *target, const char *entry, cc_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_close int parent = -1;
  cleanup_close int fd = -1;
  const char *name;

  if (kind == CC_WHITEOUT_OPAQUE)
    {
      parent = open_dir (x->rootfd, target, true, entry, err);
      if (parent < 0)
        return -1;
      fd = open_beneath (parent, "", O_RDONLY | O_DIRECTORY);
      if (fd < 0 || fsetxattr (fd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
        return cc_error_make (err, errno, "mark `%s` opaque", *target ? target : "/");
      return 0;
    }
  split_path (target, &dir, &name);
  parent = open_dir (x->rootfd, dir, true, entry, err);
  if (parent < 0 || remove_existing (parent, name, err) < 0)
    return -1;
  if (mknodat (parent, name, S_IFCHR | 0, makedev (0, 0)) < 0)
    return cc_error_make (err, errno, "create whiteout for `%s`", target);
  return 0;
}

static int
root_meta (struct extract *x, struct archive_entry *e, cc_error_t *err)
{
  cleanup_close int fd = open_beneath (x->rootfd, "", O_RDONLY | O_DIRECTORY);

  if (archive_entry_filetype (e) != AE_IFDIR)
    return cc_error_make (err, 0, "refusing a non-directory as the layer's root");
  if (fd < 0)
    return cc_error_make (err, errno, "open the layer root");
  return set_meta_fd (x, fd, e, "/", false, err);
}

static int
extract_entry (struct extract *x, struct archive *a, struct archive_entry *e, cc_error_t *err)
{
  cleanup_free char *path = cc_layer_clean_path (archive_entry_pathname (e), err);
  cleanup_free char *target = NULL;
  enum cc_whiteout_kind kind = CC_WHITEOUT_NONE;

  if (path == NULL)
    return -1;
  if (*path == '\0')
    return root_meta (x, e, err);
  if ((x->flags & CC_LAYER_WHITEOUTS) && cc_layer_whiteout (path, &kind, &target, err) < 0)
    return -1;
  if (kind == CC_WHITEOUT_IGNORED)
    return 0;
  if (kind != CC_WHITEOUT_NONE)
    return apply_whiteout (x, kind, target, path, err);
  return write_entry (x, a, e, path, err);
}

static int
fix_dir_times (struct extract *x, cc_error_t *err)
{
  for (size_t i = x->n_dirs; i-- > 0;)
    {
      struct timespec ts[2] = { x->dirs[i].mtime, x->dirs[i].mtime };
      cleanup_close int fd = open_beneath (x->rootfd, x->dirs[i].path, O_RDONLY | O_DIRECTORY);
      if (fd < 0)
        continue; /* replaced by a later entry */
      if (futimens (fd, ts) < 0)
        return cc_error_make (err, errno, "set times of `%s`", x->dirs[i].path);
    }
  return 0;
}

static void
extract_release (struct extract *x)
{
  for (size_t i = 0; i < x->n_dirs; i++)
    free (x->dirs[i].path);
  free (x->dirs);
}

/* ---- the two-stage reader ---------------------------------------------- */

struct reader
{
  int fd;
  struct archive *outer;
  struct cc_sha256 *compressed;
  struct cc_sha256 *uncompressed;
  char in[CHUNK];
  char out[CHUNK];
};

static la_ssize_t
outer_read (struct archive *a, void *opaque, const void **buf)
{
  struct reader *r = opaque;
  ssize_t n;

  do
    n = read (r->fd, r->in, sizeof (r->in));
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      archive_set_error (a, errno, "read layer blob");
      return -1;
    }
  cc_sha256_update (r->compressed, r->in, (size_t)n);
  *buf = r->in;
  return n;
}

static la_ssize_t
inner_read (struct archive *a, void *opaque, const void **buf)
{
  struct reader *r = opaque;
  la_ssize_t n = archive_read_data (r->outer, r->out, sizeof (r->out));

  if (n < 0)
    {
      archive_set_error (a, archive_errno (r->outer) > 0 ? archive_errno (r->outer) : EIO, "%s",
                         archive_error_string (r->outer) ?: "decompression failed");
      return -1;
    }
  cc_sha256_update (r->uncompressed, r->out, (size_t)n);
  *buf = r->out;
  return n;
}

/* Hash whatever follows the tar's end marker, then whatever follows the
   compressed stream: both digests cover the whole blob.  */
static int
drain (struct reader *r, cc_error_t *err)
{
  const void *buf;
  la_ssize_t n;

  while ((n = inner_read (r->outer, r, &buf)) > 0)
    ;
  if (n < 0)
    return cc_error_make (err, EIO, "read layer: %s", archive_error_string (r->outer) ?: "decompression failed");
  while ((n = outer_read (r->outer, r, &buf)) > 0)
    ;
  return n < 0 ? cc_error_make (err, errno, "read layer blob") : 0;
}

static int
open_outer (struct reader *r, struct archive **out, cc_error_t *err)
{
  cleanup_archive struct archive *a = archive_read_new ();
  struct archive_entry *e;

  archive_read_support_filter_all (a);
  archive_read_support_format_raw (a);
  if (archive_read_open (a, r, NULL, outer_read, NULL) != ARCHIVE_OK || archive_read_next_header (a, &e) != ARCHIVE_OK)
    return cc_error_make (err, 0, "open layer: %s", archive_error_string (a) ?: "unreadable");
  *out = steal_pointer (&a);
  return 0;
}

static int
open_inner (struct reader *r, struct archive **out, cc_error_t *err)
{
  cleanup_archive struct archive *a = archive_read_new ();

  archive_read_support_format_tar (a);
  if (archive_read_open (a, r, NULL, inner_read, NULL) != ARCHIVE_OK)
    return cc_error_make (err, 0, "open layer: not a tar archive (%s)", archive_error_string (a) ?: "?");
  *out = steal_pointer (&a);
  return 0;
}

static int
extract_all (struct extract *x, struct archive *tar, cc_error_t *err)
{
  struct archive_entry *e;
  int r;

  while ((r = archive_read_next_header (tar, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    if (extract_entry (x, tar, e, err) < 0)
      return -1;
  if (r != ARCHIVE_EOF)
    return cc_error_make (err, archive_errno (tar) > 0 ? archive_errno (tar) : EIO, "read layer: %s",
                          archive_error_string (tar) ?: "truncated or corrupt archive");
  return fix_dir_times (x, err);
}

static int
check_digest (const char *what, const char *want, const char *got, cc_error_t *err)
{
  if (want && strcmp (want, got) != 0)
    return cc_error_make (err, 0, "%s mismatch: expected %s, got %s", what, want, got);
  return 0;
}

int
cc_layer_extract (int fd, int dirfd, int flags, const char *digest, const char *diff_id, char **diff_id_out,
                  int64_t *size_out, cc_error_t *err)
{
  cleanup_free struct reader *r = xzalloc (sizeof (*r));
  cleanup_sha256 struct cc_sha256 *c = cc_sha256_new ();
  cleanup_sha256 struct cc_sha256 *u = cc_sha256_new ();
  cleanup_archive struct archive *outer = NULL;
  cleanup_archive struct archive *tar = NULL;
  cleanup_free char *got_digest = NULL;
  cleanup_free char *got_diff = NULL;
  struct extract x = { .rootfd = dirfd, .flags = flags };
  int ret;

  r->fd = fd;
  r->compressed = c;
  r->uncompressed = u;
  /* libarchive is opened on first use (lib/dynlib.h): a missing one is
     this layer's error, not an exit.  */
  if (cc_dynlib_load (&cc_dynlib_archive, err) < 0 || open_outer (r, &outer, err) < 0)
    return -1;
  r->outer = outer;
  if (open_inner (r, &tar, err) < 0)
    return -1;
  ret = extract_all (&x, tar, err);
  extract_release (&x);
  if (ret < 0 || drain (r, err) < 0)
    return -1;
  got_digest = cc_sha256_final (c);
  got_diff = cc_sha256_final (u);
  if (check_digest ("layer digest", digest, got_digest, err) < 0
      || check_digest ("layer diff id", diff_id, got_diff, err) < 0)
    return -1;
  if (diff_id_out)
    *diff_id_out = steal_pointer (&got_diff);
  if (size_out)
    *size_out = x.size;
  return 0;
}
