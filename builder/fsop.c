/* COPY, ADD and WORKDIR.  They run in a forked child of the build, in a
   private mount namespace of its own: the stage's layers are mounted as
   an overlay whose upper directory becomes the step's layer (so the
   layer is the same kind of tree a RUN leaves, parent directories copied
   up by the kernel), and a `--from` stage or image is mounted read-only
   beside it.  The mounts die with the child's namespace: a build killed
   at any point leaves none on the host.

   Every path is resolved inside its root (RESOLVE_IN_ROOT): a symlink in
   the context, in the source stage or in the image under construction
   (`/app -> /etc`, `/x -> ../../..`) resolves as it would inside the
   container, never to the host.  Entries are then written relative to
   directory descriptors with O_NOFOLLOW / O_EXCL.

   BuildKit's copy semantics: a directory copies its contents; a file
   goes to DEST, or into it when DEST ends with `/` or is a directory;
   missing parents are made 0755 (owned as --chown says); files from the
   context become root's, files from a stage keep their owners; --chown
   and --chmod apply to every entry copied; hard links within what is
   copied stay links; ADD unpacks a local tar archive (plain or
   compressed) with the store's safe extraction; ADD of a URL gives a
   0600 file.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder/exec.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/file.h"
#include "lib/pool.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

struct link_seen
{
  dev_t dev;
  ino_t ino;
  char *dest; /* relative to the root */
};

struct copy
{
  int rootfd;                           /* the image being built */
  int srcfd;                            /* the context, or the --from tree */
  const struct cc_dockerignore *ignore; /* context sources only */
  bool keep_owner;                      /* --from: owners as in the source */
  bool has_owner;                       /* --chown */
  uid_t uid;
  gid_t gid;
  bool has_mode;
  mode_t mode;
  struct link_seen *links;
  size_t n_links;
};

/* ---- mounting (in the child) -------------------------------------------- */

static int
mount_layers (char *const *lowers, const char *upper, const char *work, const char *at, cc_error_t *err)
{
  cleanup_free char *lower = cc_strv_join (lowers, ":");
  cleanup_free char *data = NULL;

  if (upper == NULL && cc_strv_len (lowers) == 1)
    {
      if (mount (lowers[0], at, NULL, MS_BIND, NULL) < 0
          || mount (NULL, at, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        return cc_error_make (err, errno, "bind `%s` on `%s`", lowers[0], at);
      return 0;
    }
  data
      = upper ? xasprintf ("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work) : xasprintf ("lowerdir=%s", lower);
  if (strlen (data) >= (size_t)sysconf (_SC_PAGESIZE))
    return cc_error_make (err, E2BIG, "overlay options longer than a page (%zu layers)", cc_strv_len (lowers));
  if (mount ("overlay", at, "overlay", upper ? 0 : MS_RDONLY, data) < 0)
    return cc_error_make (err, errno, "mount overlay on `%s`", at);
  return 0;
}

/* ---- owners and metadata -------------------------------------------------- */

static void
owner_of (const struct copy *c, const struct stat *st, uid_t *uid, gid_t *gid)
{
  if (c->has_owner)
    {
      *uid = c->uid;
      *gid = c->gid;
    }
  else if (c->keep_owner)
    {
      *uid = st->st_uid;
      *gid = st->st_gid;
    }
  else
    *uid = *gid = 0;
}

static void
copy_xattrs (int src, int dst)
{
  char list[8192];
  ssize_t n = flistxattr (src, list, sizeof (list));

  for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen (list + off) + 1)
    {
      const char *name = list + off;
      char value[65536];
      ssize_t v;
      if (strncmp (name, "trusted.overlay.", 16) == 0 || strncmp (name, "user.overlay.", 13) == 0)
        continue;
      v = fgetxattr (src, name, value, sizeof (value));
      if (v >= 0)
        fsetxattr (dst, name, value, (size_t)v, 0);
    }
}

/* Ownership first: chown clears setuid bits and file capabilities.  */
static int
set_meta_fd (const struct copy *c, int src, int fd, const struct stat *st, const char *what, cc_error_t *err)
{
  uid_t uid;
  gid_t gid;
  mode_t mode = c->has_mode ? c->mode : st->st_mode & 07777;

  owner_of (c, st, &uid, &gid);
  if (fchown (fd, uid, gid) < 0)
    return cc_error_make (err, errno, "chown `%s`", what);
  if (fchmod (fd, mode) < 0)
    return cc_error_make (err, errno, "chmod `%s`", what);
  if (src >= 0)
    copy_xattrs (src, fd);
  return 0;
}

/* ---- writing entries ------------------------------------------------------ */

static int
remove_entry (int dirfd, const char *name, bool keep_dir, cc_error_t *err)
{
  struct stat st;
  cleanup_free char *self = NULL;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : cc_error_make (err, errno, "stat `%s`", name);
  if (S_ISDIR (st.st_mode))
    {
      if (keep_dir)
        return 0;
      self = xasprintf ("/proc/self/fd/%d/%s", dirfd, name);
      return cc_rm_rf (self, err);
    }
  if (unlinkat (dirfd, name, 0) < 0)
    return cc_error_make (err, errno, "remove `%s`", name);
  return 0;
}

static int
copy_data (int in, int out, const char *what, cc_error_t *err)
{
  char buf[65536];

  for (;;)
    {
      ssize_t n = copy_file_range (in, NULL, out, NULL, 1 << 30, 0);
      if (n == 0)
        return 0;
      if (n > 0)
        continue;
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return cc_error_make (err, errno, "copy `%s`", what);
      break;
    }
  for (;;)
    {
      ssize_t n = read (in, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cc_error_make (err, errno, "read `%s`", what);
      if (n == 0)
        return 0;
      if (cc_write_all (out, buf, (size_t)n) < 0)
        return cc_error_make (err, errno, "write `%s`", what);
    }
}

static char *
rel_join (const char *a, const char *b)
{
  return *a ? xasprintf ("%s/%s", a, b) : xstrdup (b);
}

/* A hard link to an entry copied before, when SRC is one.  */
static int
try_link (struct copy *c, const struct stat *st, int dirfd, const char *name, const char *dest_rel, bool *linked,
          cc_error_t *err)
{
  *linked = false;
  if (st->st_nlink < 2)
    return 0;
  for (size_t i = 0; i < c->n_links; i++)
    if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
      {
        cleanup_free char *dir = cc_path_dirname (c->links[i].dest);
        cleanup_free char *base = cc_path_basename (c->links[i].dest);
        cleanup_close int dfd = cc_bld_open_in_root (c->rootfd, dir, O_PATH | O_DIRECTORY);
        if (dfd < 0 || linkat (dfd, base, dirfd, name, 0) < 0)
          return cc_error_make (err, errno, "hard link `%s`", dest_rel);
        *linked = true;
        return 0;
      }
  c->links = xreallocarray (c->links, c->n_links + 1, sizeof (*c->links));
  c->links[c->n_links++] = (struct link_seen){ st->st_dev, st->st_ino, xstrdup (dest_rel) };
  return 0;
}

static int copy_dir_contents (struct copy *c, int srcdir, const char *src_rel, const char *dest_rel,
                              const struct cc_dockerignore_state *ist, cc_error_t *err);

static int
copy_file (struct copy *c, int srcfd, const struct stat *st, int dirfd, const char *name, const char *dest_rel,
           cc_error_t *err)
{
  cleanup_close int out = -1;
  bool linked;

  if (remove_entry (dirfd, name, false, err) < 0 || try_link (c, st, dirfd, name, dest_rel, &linked, err) < 0)
    return -1;
  if (linked)
    return 0;
  out = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return cc_error_make (err, errno, "create `/%s`", dest_rel);
  if (copy_data (srcfd, out, dest_rel, err) < 0)
    return -1;
  return set_meta_fd (c, srcfd, out, st, dest_rel, err);
}

static int
make_dir (struct copy *c, int dirfd, const char *name, const struct stat *st, const char *dest_rel, int src,
          cc_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat cur;

  if (fstatat (dirfd, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 && ! S_ISDIR (cur.st_mode) && ! (S_ISLNK (cur.st_mode)))
    if (remove_entry (dirfd, name, false, err) < 0)
      return -1;
  if (mkdirat (dirfd, name, 0755) < 0 && errno != EEXIST)
    return cc_error_make (err, errno, "mkdir `/%s`", dest_rel);
  /* An existing symlink to a directory is followed, inside the root.  */
  fd = cc_bld_open_in_root (c->rootfd, dest_rel, O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return cc_error_make (err, errno, "open `/%s`", dest_rel);
  return set_meta_fd (c, src, fd, st, dest_rel, err);
}

static int
copy_special (struct copy *c, int srcdir, const char *sname, const struct stat *st, int dirfd, const char *name,
              const char *dest_rel, cc_error_t *err)
{
  uid_t uid;
  gid_t gid;

  if (remove_entry (dirfd, name, false, err) < 0)
    return -1;
  owner_of (c, st, &uid, &gid);
  if (S_ISLNK (st->st_mode))
    {
      char target[4097];
      ssize_t n = readlinkat (srcdir, sname, target, sizeof (target) - 1);
      if (n < 0)
        return cc_error_make (err, errno, "readlink `%s`", sname);
      target[n] = '\0';
      if (symlinkat (target, dirfd, name) < 0)
        return cc_error_make (err, errno, "symlink `/%s`", dest_rel);
    }
  else if (mknodat (dirfd, name, st->st_mode & (S_IFMT | 07777), st->st_rdev) < 0)
    return cc_error_make (err, errno, "mknod `/%s`", dest_rel);
  if (fchownat (dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return cc_error_make (err, errno, "chown `/%s`", dest_rel);
  if (! S_ISLNK (st->st_mode) && fchmodat (dirfd, name, c->has_mode ? c->mode : st->st_mode & 07777, 0) < 0)
    return cc_error_make (err, errno, "chmod `/%s`", dest_rel);
  return 0;
}

/* Copy entry SNAME of SRCDIR (SRC_REL from the source root) to NAME in
   DIRFD (DEST_REL from the image root).  */
static int
copy_entry (struct copy *c, int srcdir, const char *sname, const char *src_rel, int dirfd, const char *name,
            const char *dest_rel, const struct cc_dockerignore_state *parent, cc_error_t *err)
{
  struct stat st;
  bool excluded = false;
  struct cc_dockerignore_state own = { NULL };
  int ret;

  if (fstatat (srcdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return cc_error_make (err, errno, "stat `%s`", src_rel);
  if (c->ignore
      && cc_dockerignore_walk (c->ignore, src_rel, parent, &excluded, S_ISDIR (st.st_mode) ? &own : NULL, err) < 0)
    return -1;
  if (S_ISDIR (st.st_mode))
    {
      cleanup_close int sfd = -1;
      if (excluded && cc_dockerignore_can_skip_dir (c->ignore, src_rel))
        {
          cc_dockerignore_state_release (&own);
          return 0;
        }
      sfd = openat (srcdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      ret = sfd < 0 ? cc_error_make (err, errno, "open `%s`", src_rel)
                    : (make_dir (c, dirfd, name, &st, dest_rel, sfd, err) < 0
                           ? -1
                           : copy_dir_contents (c, sfd, src_rel, dest_rel, &own, err));
      cc_dockerignore_state_release (&own);
      return ret;
    }
  if (excluded)
    return 0;
  if (S_ISREG (st.st_mode))
    {
      cleanup_close int sfd = openat (srcdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
      if (sfd < 0)
        return cc_error_make (err, errno, "open `%s`", src_rel);
      return copy_file (c, sfd, &st, dirfd, name, dest_rel, err);
    }
  if (S_ISSOCK (st.st_mode))
    return 0;
  return copy_special (c, srcdir, sname, &st, dirfd, name, dest_rel, err);
}

static int
copy_dir_contents (struct copy *c, int srcdir, const char *src_rel, const char *dest_rel,
                   const struct cc_dockerignore_state *ist, cc_error_t *err)
{
  cleanup_close int dfd = cc_bld_open_in_root (c->rootfd, dest_rel, O_RDONLY | O_DIRECTORY);
  cleanup_close int dup_fd = openat (srcdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (dfd < 0)
    return cc_error_make (err, errno, "open `/%s`", dest_rel);
  if (dup_fd < 0 || (d = fdopendir (dup_fd)) == NULL)
    return cc_error_make (err, errno, "read `%s`", src_rel);
  dup_fd = -1;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *s = NULL, *t = NULL;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      s = rel_join (src_rel, de->d_name);
      t = rel_join (dest_rel, de->d_name);
      if (copy_entry (c, dirfd (d), de->d_name, s, dfd, de->d_name, t, ist, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- destinations ----------------------------------------------------------- */

/* Make DEST_REL and its missing parents (0755, owned as --chown says).  */
static int
mkdir_all (struct copy *c, const char *dest_rel, cc_error_t *err)
{
  cleanup_strv char **parts = cc_strv_split (dest_rel, '/', true);
  cleanup_free char *sofar = xstrdup ("");

  for (char **p = parts; *p; p++)
    {
      cleanup_free char *next = rel_join (sofar, *p);
      cleanup_close int fd = cc_bld_open_in_root (c->rootfd, next, O_PATH | O_DIRECTORY);
      if (fd < 0)
        {
          cleanup_close int parent = cc_bld_open_in_root (c->rootfd, sofar, O_PATH | O_DIRECTORY);
          uid_t uid = c->has_owner ? c->uid : 0;
          gid_t gid = c->has_owner ? c->gid : 0;
          if (parent < 0 || (mkdirat (parent, *p, 0755) < 0 && errno != EEXIST))
            return cc_error_make (err, errno, "mkdir `/%s`", next);
          if (fchownat (parent, *p, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
            return cc_error_make (err, errno, "chown `/%s`", next);
        }
      free (sofar);
      sofar = steal_pointer (&next);
    }
  return 0;
}

static bool
is_dir_in_root (int rootfd, const char *rel)
{
  cleanup_close int fd = cc_bld_open_in_root (rootfd, rel, O_PATH | O_DIRECTORY);

  return fd >= 0;
}

/* Where a file named BASE goes: into DEST when it names a directory.  */
static char *
file_dest (struct copy *c, const char *dest, const char *base, bool into)
{
  cleanup_free char *clean = cc_bld_path_clean (dest);
  const char *rel = clean + strspn (clean, "/");

  if (into || is_dir_in_root (c->rootfd, rel))
    return rel_join (rel, base);
  return xstrdup (rel);
}

static int
write_file_at (struct copy *c, int srcfd, const struct stat *st, const char *dest_rel, cc_error_t *err)
{
  cleanup_free char *dir = cc_path_dirname (dest_rel);
  cleanup_free char *base = cc_path_basename (dest_rel);
  cleanup_close int dfd = -1;

  if (strcmp (dir, ".") == 0)
    {
      free (dir);
      dir = xstrdup ("");
    }
  if (mkdir_all (c, dir, err) < 0)
    return -1;
  dfd = cc_bld_open_in_root (c->rootfd, dir, O_RDONLY | O_DIRECTORY);
  if (dfd < 0)
    return cc_error_make (err, errno, "open `/%s`", dir);
  return copy_file (c, srcfd, st, dfd, base, dest_rel, err);
}

/* ---- sources ------------------------------------------------------------------ */

static bool
is_archive (int fd)
{
  unsigned char m[512];
  ssize_t n = pread (fd, m, sizeof (m), 0);

  if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
    return true;
  if (n >= 3 && memcmp (m, "BZh", 3) == 0)
    return true;
  if (n >= 6
      && memcmp (m,
                 "\xfd"
                 "7zXZ\0",
                 6)
             == 0)
    return true;
  if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
    return true;
  return n >= 262 && memcmp (m + 257, "ustar", 5) == 0;
}

static int
unpack_archive (struct copy *c, int fd, const char *dest, cc_error_t *err)
{
  cleanup_free char *clean = cc_bld_path_clean (dest);
  const char *rel = clean + strspn (clean, "/");
  cleanup_close int dfd = -1;

  if (mkdir_all (c, rel, err) < 0)
    return -1;
  dfd = cc_bld_open_in_root (c->rootfd, rel, O_RDONLY | O_DIRECTORY);
  if (dfd < 0)
    return cc_error_make (err, errno, "open `/%s`", rel);
  if (cc_layer_extract (fd, dfd, CC_LAYER_OWNERS | CC_LAYER_DEVICES, NULL, NULL, NULL, NULL, err) < 0)
    return -1;
  return 0;
}

/* One matched path REL of the source root.  */
static int
copy_match (struct copy *c, const struct cc_builder_step *step, const char *rel, bool into, cc_error_t *err)
{
  cleanup_close int fd = cc_bld_open_in_root (c->srcfd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  cleanup_free char *base = NULL;
  cleanup_free char *target = NULL;
  struct stat st;
  struct cc_dockerignore_state ist = { NULL };
  int ret;

  if (fd < 0 || fstat (fd, &st) < 0)
    return cc_error_make (err, errno, "\"/%s\": not found", rel);
  if (S_ISDIR (st.st_mode))
    {
      cleanup_free char *clean = cc_bld_path_clean (step->dest);
      const char *drel = clean + strspn (clean, "/");
      if (mkdir_all (c, drel, err) < 0 || (c->ignore && cc_bld_ignore_state (c->ignore, rel, &ist, err) < 0))
        return -1;
      /* The contents, not the directory: DEST keeps its own metadata.  */
      ret = copy_dir_contents (c, fd, rel, drel, &ist, err);
      cc_dockerignore_state_release (&ist);
      return ret;
    }
  if (step->kind == CC_STEP_ADD && S_ISREG (st.st_mode) && is_archive (fd))
    return unpack_archive (c, fd, step->dest, err);
  base = cc_path_basename (*rel ? rel : ".");
  target = file_dest (c, step->dest, base, into);
  return write_file_at (c, fd, &st, target, err);
}

static int
copy_source (struct copy *c, const struct cc_builder_step *step, const struct cc_builder_source *src, bool into,
             cc_error_t *err)
{
  cleanup_strv char **hits = NULL;

  if (cc_bld_expand (c->srcfd, c->ignore, src->path, &hits, err) < 0)
    return -1;
  if (hits[0] == NULL)
    return cc_error_make (err, ENOENT, "\"%s\": not found", src->path);
  for (char **h = hits; *h; h++)
    if (copy_match (c, step, *h, into, err) < 0)
      return -1;
  return 0;
}

/* A heredoc or a downloaded file: bytes of our own, written as a file.  */
static int
copy_bytes_file (struct copy *c, const struct cc_builder_step *step, int fd, mode_t mode, const char *name, bool into,
                 cc_error_t *err)
{
  cleanup_free char *target = file_dest (c, step->dest, name, into);
  struct stat st = { .st_mode = S_IFREG | mode, .st_uid = 0, .st_gid = 0 };
  bool keep = c->keep_owner;
  int ret;

  c->keep_owner = false;
  ret = write_file_at (c, fd, &st, target, err);
  c->keep_owner = keep;
  return ret;
}

static int
copy_heredoc (struct copy *c, const struct cc_builder_step *step, const struct cc_builder_source *src, bool into,
              cc_error_t *err)
{
  int p[2];
  size_t len = strlen (src->content);
  int ret;

  /* A memfd reads like a file for copy_data.  */
  p[0] = memfd_create ("heredoc", MFD_CLOEXEC);
  if (p[0] < 0)
    return cc_error_make (err, errno, "memfd");
  if (cc_write_all (p[0], src->content, len) < 0 || lseek (p[0], 0, SEEK_SET) < 0)
    {
      close (p[0]);
      return cc_error_make (err, errno, "write heredoc");
    }
  ret = copy_bytes_file (c, step, p[0], 0644, src->filename, into, err);
  close (p[0]);
  return ret;
}

static int
copy_download (struct copy *c, const struct cc_builder_step *step, const struct cc_builder_source *src,
               const char *path, bool into, cc_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  return copy_bytes_file (c, step, fd, 0600, src->filename, into, err);
}

static int
do_copy (struct copy *c, const struct cc_builder_step *step, char *const *downloads, cc_error_t *err)
{
  size_t len = strlen (step->dest);
  /* Several sources, or wildcards: DEST is a directory.  */
  bool into = (len > 0 && step->dest[len - 1] == '/') || step->n_sources > 1
              || (step->n_sources == 1 && cc_builder_has_wildcards (step->sources[0].path ?: ""));
  size_t dl = 0;

  if (step->chown && cc_bld_resolve_owner (c->rootfd, step->chown, &c->uid, &c->gid, err) < 0)
    return -1;
  c->has_owner = step->chown != NULL;
  c->has_mode = step->has_chmod;
  c->mode = step->chmod;
  for (size_t i = 0; i < step->n_sources; i++)
    {
      const struct cc_builder_source *src = &step->sources[i];
      int ret;
      switch (src->kind)
        {
        case CC_SRC_HEREDOC:
          ret = copy_heredoc (c, step, src, into, err);
          break;
        case CC_SRC_URL:
          ret = copy_download (c, step, src, downloads[dl++], into, err);
          break;
        default:
          ret = copy_source (c, step, src, into, err);
        }
      if (ret < 0)
        return -1;
    }
  return 0;
}

static int
do_workdir (struct copy *c, const struct cc_builder_step *step, cc_error_t *err)
{
  cleanup_free char *clean = cc_bld_path_clean (step->dest);

  if (step->user && *step->user && cc_bld_resolve_owner (c->rootfd, step->user, &c->uid, &c->gid, err) < 0)
    return -1;
  c->has_owner = step->user && *step->user;
  return mkdir_all (c, clean + strspn (clean, "/"), err);
}

/* ---- the child ------------------------------------------------------------------ */

struct job
{
  struct cc_bld_env *e;
  const struct cc_builder_step *step;
  char **lowers;     /* the stage */
  char **src_lowers; /* --from, or NULL */
  const char *dir;
  char *const *downloads;
};

/* The step, once its root (and its --from tree) are open.  */
static int
do_step (struct job *j, int rootfd, int srcfd, cc_error_t *err)
{
  struct copy c = { .rootfd = rootfd, .srcfd = -1 };
  int ret;

  if (j->step->kind == CC_STEP_WORKDIR)
    return do_workdir (&c, j->step, err);
  if (cc_bld_named_context (j->e, j->step->from_image))
    c.srcfd = cc_bld_context_fd (cc_bld_named_context (j->e, j->step->from_image));
  else if (j->src_lowers)
    {
      c.srcfd = srcfd;
      c.keep_owner = true;
    }
  else if (j->e->context)
    {
      c.srcfd = cc_bld_context_fd (j->e->context);
      c.ignore = cc_bld_context_ignore (j->e->context);
    }
  ret = do_copy (&c, j->step, j->downloads, err);
  for (size_t i = 0; i < c.n_links; i++)
    free (c.links[i].dest);
  free (c.links);
  return ret;
}

/* A detached overlay (the new mount API: it is in no mount namespace and
   goes when its descriptor closes, even if we are killed), open as a
   directory; 1 when this kernel cannot make one (no `lowerdir+`, before
   Linux 6.8), so the caller mounts in a namespace of its own instead.  */
static int
detached_overlay (char *const *lowers, const char *upper, const char *work, int *out, cc_error_t *err)
{
  cleanup_close int fs = (int)syscall (SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  cleanup_close int mnt = -1;

  *out = -1;
  if (fs < 0)
    return 1;
  for (char *const *l = lowers; *l; l++)
    if (syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir+", *l, 0) < 0)
      return 1;
  if (upper
      && (syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0
          || syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0))
    return cc_error_make (err, errno, "overlay upper `%s`", upper);
  if (syscall (SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return cc_error_make (err, errno, "create an overlay over `%s`", lowers[0]);
  mnt = (int)syscall (SYS_fsmount, fs, FSMOUNT_CLOEXEC, upper ? 0 : MOUNT_ATTR_RDONLY);
  if (mnt < 0)
    return cc_error_make (err, errno, "mount an overlay over `%s`", lowers[0]);
  *out = openat (mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*out < 0)
    return cc_error_make (err, errno, "open the overlay over `%s`", lowers[0]);
  return 0;
}

/* A read-only view of LOWERS: one layer is its directory as it is.  */
static int
detached_tree (char *const *lowers, int *out, cc_error_t *err)
{
  if (cc_strv_len (lowers) == 1)
    {
      *out = open (lowers[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      return *out < 0 ? cc_error_make (err, errno, "open `%s`", lowers[0]) : 0;
    }
  return detached_overlay (lowers, NULL, NULL, out, err);
}

static void *
close_fd_thread (void *opaque)
{
  close ((int)(intptr_t)opaque);
  return NULL;
}

/* The last descriptor of a detached mount takes the mount with it, and
   that waits for an RCU grace period (10 ms and more on a busy host):
   closed on a thread of its own while the build goes on.  Nothing
   follows the mount through the tree afterwards, so the layer can be
   read meanwhile.  */
static void
close_later (int *fd)
{
  pthread_t t;
  pthread_attr_t attr;

  if (*fd < 0)
    return;
  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize (&attr, 64 * 1024);
  if (pthread_create (&t, &attr, close_fd_thread, (void *)(intptr_t)*fd) != 0)
    close (*fd);
  pthread_attr_destroy (&attr);
  *fd = -1;
}

/* In this process, over detached mounts: 1 when unsupported.  */
static int
step_detached (struct job *j, cc_error_t *err)
{
  cleanup_free char *upper = cc_path_join (j->dir, "diff");
  cleanup_free char *work = cc_path_join (j->dir, "work");
  cleanup_close int rootfd = -1, srcfd = -1;
  int ret = detached_overlay (j->lowers, upper, work, &rootfd, err);

  if (ret != 0)
    return ret;
  if (j->src_lowers && (ret = detached_tree (j->src_lowers, &srcfd, err)) != 0)
    return ret < 0 ? -1 : cc_error_make (err, ENOTSUP, "cannot mount the --from tree");
  ret = do_step (j, rootfd, srcfd, err);
  close_later (&rootfd);
  close_later (&srcfd);
  return ret;
}

/* In a child, in a mount namespace of its own (older kernels).  */
static int
child_work (struct job *j, cc_error_t *err)
{
  cleanup_free char *root = cc_path_join (j->dir, "root");
  cleanup_free char *src = cc_path_join (j->dir, "src");
  cleanup_free char *upper = cc_path_join (j->dir, "diff");
  cleanup_free char *work = cc_path_join (j->dir, "work");
  cleanup_close int rootfd = -1, srcfd = -1;

  if (unshare (CLONE_NEWNS) < 0)
    return cc_error_make (err, errno, "unshare the mount namespace");
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return cc_error_make (err, errno, "make / private");
  if (mount_layers (j->lowers, upper, work, root, err) < 0)
    return -1;
  rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return cc_error_make (err, errno, "open `%s`", root);
  if (j->src_lowers)
    {
      if (mount_layers (j->src_lowers, NULL, NULL, src, err) < 0)
        return -1;
      srcfd = open (src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (srcfd < 0)
        return cc_error_make (err, errno, "open `%s`", src);
    }
  return do_step (j, rootfd, srcfd, err);
}

static int
child_entry (void *opaque, cc_error_t *err)
{
  return child_work (opaque, err);
}

static int
make_dirs (const char *dir, cc_error_t *err)
{
  static const char *const subdirs[] = { "diff", "work", "root", "src" };

  for (size_t i = 0; i < CC_N_ELEMENTS (subdirs); i++)
    {
      cleanup_free char *p = cc_path_join (dir, subdirs[i]);
      if (mkdir (p, 0755) < 0 && errno != EEXIST)
        return cc_error_make (err, errno, "create `%s`", p);
    }
  return 0;
}

/* What is left once the child is gone: only diff/ becomes the layer.  */
static int
drop_scratch (const char *dir, cc_error_t *err)
{
  static const char *const subdirs[] = { "work", "root", "src" };

  for (size_t i = 0; i < CC_N_ELEMENTS (subdirs); i++)
    {
      cleanup_free char *p = cc_path_join (dir, subdirs[i]);
      if (cc_rm_rf (p, err) < 0)
        return -1;
    }
  return 0;
}

static char **
source_lowers (struct cc_bld_env *e, const struct cc_builder_step *step, cc_error_t *err)
{
  const struct cc_bld_state *src = NULL;

  if (step->from_stage >= 0)
    src = e->stages[step->from_stage];
  else if (step->from_image)
    src = cc_bld_image_state (e, step->from_image);
  else
    return NULL;
  if (src == NULL)
    {
      cc_error_make (err, 0, "COPY --from: the source is not built");
      return NULL;
    }
  return cc_bld_lowers (e, src, err);
}

int
cc_bld_fsop (struct cc_bld_env *e, const struct cc_builder_step *step, const struct cc_bld_state *state,
             const char *dir, char *const *downloads, cc_error_t *err)
{
  cleanup_strv char **lowers = cc_bld_lowers (e, state, err);
  cleanup_strv char **src_lowers = NULL;
  struct job j = { e, step, NULL, NULL, dir, downloads };
  int ret;

  if (lowers == NULL || make_dirs (dir, err) < 0)
    return -1;
  if (step->kind != CC_STEP_WORKDIR && (step->from_stage >= 0 || step->from_image)
      && ! cc_bld_named_context (e, step->from_image))
    {
      src_lowers = source_lowers (e, step, err);
      if (src_lowers == NULL)
        return -1;
    }
  j.lowers = lowers;
  j.src_lowers = src_lowers;
  cc_crash_point ("build copy");
  /* A namespace of our own costs its teardown (RCU grace periods, tens of
     milliseconds): detached mounts first.  */
  ret = step_detached (&j, err);
  if (ret == 1 && cc_pool_run_one (child_entry, &j, err) < 0)
    return -1;
  if (ret < 0)
    return -1;
  return drop_scratch (dir, err);
}

/* ---- a path out of a stage, for RUN --mount=type=bind,from=... ----------------- */

struct extract_job
{
  int context_fd; /* the source when LOWERS is NULL */
  char **lowers;
  const char *path;
  const char *dest;
  const char *mnt;
};

/* Copy PATH of the tree at SRCFD into the directory DEST.  */
static int
extract_from (struct extract_job *x, int srcfd, cc_error_t *err)
{
  cleanup_close int destfd = open (x->dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1;
  struct copy c = { .keep_owner = x->lowers != NULL, .srcfd = srcfd, .rootfd = destfd };
  struct stat st;
  int ret;

  if (destfd < 0)
    return cc_error_make (err, errno, "open `%s`", x->dest);
  fd = cc_bld_open_in_root (srcfd, x->path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0 || fstat (fd, &st) < 0)
    return cc_error_make (err, errno, "\"%s\": not found", x->path);
  if (S_ISDIR (st.st_mode))
    {
      struct cc_dockerignore_state ist = { NULL };
      cleanup_free char *clean = cc_bld_path_clean (x->path);
      if (fchown (destfd, st.st_uid, st.st_gid) < 0 || fchmod (destfd, st.st_mode & 07777) < 0)
        return cc_error_make (err, errno, "set owner of `%s`", x->dest);
      ret = copy_dir_contents (&c, fd, clean + strspn (clean, "/"), "", &ist, err);
    }
  else
    ret = copy_file (&c, fd, &st, destfd, "file", "file", err);
  for (size_t i = 0; i < c.n_links; i++)
    free (c.links[i].dest);
  free (c.links);
  return ret;
}

static int
extract_child (void *opaque, cc_error_t *err)
{
  struct extract_job *x = opaque;
  cleanup_close int srcfd = -1;

  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return cc_error_make (err, errno, "private mount namespace");
  if (mount_layers (x->lowers, NULL, NULL, x->mnt, err) < 0)
    return -1;
  srcfd = open (x->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (srcfd < 0)
    return cc_error_make (err, errno, "open `%s`", x->mnt);
  return extract_from (x, srcfd, err);
}

int
cc_bld_extract_path (struct cc_bld_env *e, const struct cc_bld_state *state, const char *path, const char *dest,
                     cc_error_t *err)
{
  cleanup_strv char **lowers = state ? cc_bld_lowers (e, state, err) : NULL;
  cleanup_free char *mnt = xasprintf ("%s.mnt", dest);
  struct extract_job x = { e->context ? cc_bld_context_fd (e->context) : -1, lowers, path, dest, mnt };
  cleanup_close int srcfd = -1;
  int ret;

  if (state && lowers == NULL)
    return -1;
  if (mkdir (dest, 0755) < 0 && errno != EEXIST)
    return cc_error_make (err, errno, "create `%s`", dest);
  if (lowers == NULL)
    return extract_from (&x, x.context_fd, err);
  ret = detached_tree (lowers, &srcfd, err);
  if (ret == 0)
    {
      ret = extract_from (&x, srcfd, err);
      close_later (&srcfd);
      return ret;
    }
  if (ret < 0)
    return -1;
  if (mkdir (mnt, 0755) < 0 && errno != EEXIST)
    return cc_error_make (err, errno, "create `%s`", mnt);
  ret = cc_pool_run_one (extract_child, &x, err);
  rmdir (mnt);
  return ret;
}
