/* `cp` and `export`: files between a container and the host, as Docker
   copies them: the source becomes a tar stream, and the stream is
   extracted at the destination.

   A container's paths are the container's to define, so they are
   resolved under its root (/proc/PID/root, or its own files alone when
   it does not run: cc_runtime_open_any_root) with
   openat2 RESOLVE_IN_ROOT: a symlink it planted, absolute or through
   `..`, resolves as it would inside the container and can never reach
   the host's files.  Below the resolved source every entry is opened
   with O_NOFOLLOW relative to its directory's descriptor (symlinks are
   copied as symlinks), and the extractor (cc_layer_extract, image/layer.c)
   writes below the resolved destination without following any symlink.
   The host side is the caller's and resolves as any path would.  */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/engine.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/dynlib.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

#define CHUNK (128 * 1024)

/* One end of a copy: the container's root, or the host (ROOTFD < 0).  */
struct side
{
  int rootfd;
  const char *label; /* "web-1:" or "" in messages */
};

static int
open_at (const struct side *s, const char *path, int flags)
{
  struct open_how how = {
    .flags = (uint64_t)(flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };

  if (s->rootfd < 0)
    return openat (AT_FDCWD, path, flags | O_CLOEXEC);
  return (int)syscall (SYS_openat2, s->rootfd, *path ? path : "/", &how, sizeof (how));
}

/* Another descriptor of what the O_PATH descriptor FD names, for I/O:
   the magic link names that very inode, never a path to resolve again.  */
static int
reopen (int fd, int flags)
{
  char path[64];

  snprintf (path, sizeof (path), "/proc/self/fd/%d", fd);
  return open (path, flags | O_CLOEXEC);
}

static void
cleanup_archive_write_fn (struct archive **a)
{
  if (*a)
    archive_write_free (*a);
}
#define cleanup_archive_write __attribute__ ((cleanup (cleanup_archive_write_fn)))

static void
cleanup_entry_fn (struct archive_entry **e)
{
  if (*e)
    archive_entry_free (*e);
}
#define cleanup_entry __attribute__ ((cleanup (cleanup_entry_fn)))

/* ---- the source as a tar stream ---------------------------------------- */

static la_ssize_t
write_out (struct archive *a, void *opaque, const void *buf, size_t len)
{
  int fd = *(int *)opaque;
  size_t done = 0;

  while (done < len)
    {
      /* A socket to the extractor: MSG_NOSIGNAL, so an extractor that
         gave up makes this an error rather than a SIGPIPE.  */
      ssize_t n = send (fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
      if (n < 0 && errno == ENOTSOCK)
        n = write (fd, (const char *)buf + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          archive_set_error (a, errno, "write the tar stream");
          return -1;
        }
      done += (size_t)n;
    }
  return (la_ssize_t)len;
}

static int
archive_fail (struct archive *a, const char *what, const char *path, cc_error_t *err)
{
  return cc_error_make (err, archive_errno (a) > 0 ? archive_errno (a) : EIO, "%s `%s`: %s", what, path,
                        archive_error_string (a) ?: "?");
}

static int
copy_data (struct archive *a, int fd, const char *path, cc_error_t *err)
{
  cleanup_free char *buf = xmalloc (CHUNK);
  ssize_t n;

  while ((n = read (fd, buf, CHUNK)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cc_error_make (err, errno, "read `%s`", path);
      if (archive_write_data (a, buf, (size_t)n) < 0)
        return archive_fail (a, "write", path, err);
    }
  return 0;
}

/* What a walk carries: with ONE_FS, the device of its top, whose mounts
   it does not enter (`export`: the container's own files, not its
   volumes, binds, /proc or /sys).  */
struct walk
{
  struct archive *a;
  bool one_fs;
  dev_t dev;
};

static int add_node (struct walk *w, int fd, const char *name, cc_error_t *err);

/* The entries of the directory FD (O_PATH) under PREFIX ("" for none).  */
static int
add_children (struct walk *w, int fd, const char *prefix, cc_error_t *err)
{
  cleanup_close int dfd = reopen (fd, O_RDONLY | O_DIRECTORY);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (dfd < 0 || (d = fdopendir (dfd)) == NULL)
    return cc_error_make (err, errno, "open directory `%s`", *prefix ? prefix : ".");
  dfd = -1; /* owned by D now */
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL;
      cleanup_close int child = -1;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      path = *prefix ? xasprintf ("%s/%s", prefix, de->d_name) : xstrdup (de->d_name);
      child = openat (dirfd (d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0)
        return cc_error_make (err, errno, "open `%s`", path);
      if (add_node (w, child, path, err) < 0)
        return -1;
    }
  return errno ? cc_error_make (err, errno, "read directory `%s`", prefix) : 0;
}

static int
set_link (struct archive_entry *e, int fd, const char *name, cc_error_t *err)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (fd, "", target, sizeof (target) - 1);

  if (n < 0)
    return cc_error_make (err, errno, "read symlink `%s`", name);
  target[n] = '\0';
  archive_entry_set_symlink (e, target);
  return 0;
}

/* FD (O_PATH, never a followed symlink) as entry NAME, and what is below
   it.  */
static int
add_node (struct walk *w, int fd, const char *name, cc_error_t *err)
{
  cleanup_entry struct archive_entry *e = archive_entry_new ();
  cleanup_close int data = -1;
  struct archive *a = w->a;
  struct stat st;
  bool mounted;

  if (fstat (fd, &st) < 0)
    return cc_error_make (err, errno, "stat `%s`", name);
  /* A mount point stays as the empty directory it covers; a file
     mounted on (/etc/hosts) is left out.  */
  mounted = w->one_fs && st.st_dev != w->dev;
  if (mounted && ! S_ISDIR (st.st_mode))
    return 0;
  if (! S_ISREG (st.st_mode) && ! S_ISDIR (st.st_mode) && ! S_ISLNK (st.st_mode))
    {
      cc_warn ("cp: skipping `%s`: not a file, directory or symlink", name);
      return 0;
    }
  archive_entry_set_pathname (e, *name ? name : ".");
  archive_entry_set_filetype (e, st.st_mode & S_IFMT);
  archive_entry_set_perm (e, st.st_mode & 07777);
  archive_entry_set_uid (e, st.st_uid);
  archive_entry_set_gid (e, st.st_gid);
  archive_entry_set_mtime (e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  archive_entry_set_size (e, S_ISREG (st.st_mode) ? st.st_size : 0);
  if (S_ISLNK (st.st_mode) && set_link (e, fd, name, err) < 0)
    return -1;
  if (S_ISREG (st.st_mode) && (data = reopen (fd, O_RDONLY)) < 0)
    return cc_error_make (err, errno, "open `%s`", name);
  if (archive_write_header (a, e) < ARCHIVE_WARN)
    return archive_fail (a, "write the header of", name, err);
  if (data >= 0 && copy_data (a, data, name, err) < 0)
    return -1;
  if (S_ISDIR (st.st_mode) && ! mounted)
    return add_children (w, fd, name, err);
  return 0;
}

struct tar_job
{
  const struct side *side;
  const char *path; /* the source, in SIDE */
  const char *name; /* its entry's name; NULL: only its children */
  bool follow;      /* -L: a symlink source is copied as its target */
  bool one_fs;      /* stay on the source's filesystem (export) */
  int fd;           /* where the stream goes (closed once written) */
  cc_error_t err;
};

static int
write_tar (struct tar_job *j)
{
  cleanup_archive_write struct archive *a = archive_write_new ();
  cleanup_close int src = open_at (j->side, j->path, O_PATH | (j->follow ? 0 : O_NOFOLLOW));
  struct walk w = { .a = a, .one_fs = j->one_fs };
  struct stat st;
  int ret;

  if (src < 0 || fstat (src, &st) < 0)
    return cc_error_make (&j->err, errno, "copy `%s%s`", j->side->label, j->path);
  w.dev = st.st_dev;
  archive_write_set_format_pax_restricted (a);
  if (archive_write_open (a, &j->fd, NULL, write_out, NULL) != ARCHIVE_OK)
    return archive_fail (a, "open the tar stream of", j->path, &j->err);
  ret = j->name ? add_node (&w, src, j->name, &j->err) : add_children (&w, src, "", &j->err);
  if (ret < 0)
    return cc_error_wrap (&j->err, "copy `%s%s`", j->side->label, j->path);
  if (archive_write_close (a) != ARCHIVE_OK)
    return archive_fail (a, "finish the tar stream of", j->path, &j->err);
  return 0;
}

static void *
tar_thread (void *opaque)
{
  struct tar_job *j = opaque;

  write_tar (j);
  close (j->fd);
  j->fd = -1;
  return NULL;
}

/* ---- where the stream goes --------------------------------------------- */

static bool
is_dir_at (const struct side *s, const char *path, bool *exists)
{
  cleanup_close int fd = open_at (s, path, O_PATH);
  struct stat st;

  *exists = fd >= 0 && fstat (fd, &st) == 0;
  return *exists && S_ISDIR (st.st_mode);
}

/* PATH without its trailing slashes ("/" stays).  */
static char *
trimmed_of (const char *path)
{
  size_t len = strlen (path);

  while (len > 1 && path[len - 1] == '/')
    len--;
  return xstrndup (path, len);
}

static char *
base_of (const char *path)
{
  cleanup_free char *trimmed = trimmed_of (path);
  const char *b = strrchr (trimmed, '/');

  return xstrdup (b && b[1] ? b + 1 : trimmed);
}

static char *
dir_of (const char *path)
{
  cleanup_free char *trimmed = trimmed_of (path);
  const char *slash = strrchr (trimmed, '/');

  if (slash == NULL)
    return xstrdup (".");
  return slash == trimmed ? xstrdup ("/") : xstrndup (trimmed, (size_t)(slash - trimmed));
}

static bool
ends_with (const char *s, const char *tail)
{
  size_t n = strlen (s), m = strlen (tail);
  return n >= m && strcmp (s + n - m, tail) == 0;
}

/* Docker's rules: into an existing directory under the source's name (its
   content alone for `SRC/.`); over an existing file; as a new DEST whose
   parent exists.  *DIR is where to extract, *NAME the top entry's name
   (NULL: the source's children directly in *DIR).  */
static int
place (const struct side *src, const char *src_path, bool follow, const struct side *dst, const char *dst_path,
       char **dir, char **name, cc_error_t *err)
{
  bool src_dir, dst_exists, parent_exists;
  cleanup_close int probe = open_at (src, src_path, O_PATH | (follow ? 0 : O_NOFOLLOW));
  struct stat st;

  if (probe < 0 || fstat (probe, &st) < 0)
    return cc_error_make (err, errno, "copy `%s%s`", src->label, src_path);
  src_dir = S_ISDIR (st.st_mode);
  if (is_dir_at (dst, dst_path, &dst_exists))
    {
      *dir = xstrdup (dst_path);
      *name = src_dir && ends_with (src_path, "/.") ? NULL : base_of (src_path);
      return 0;
    }
  if (dst_exists && src_dir)
    return cc_error_make (err, ENOTDIR, "cannot copy directory `%s%s` to file `%s%s`", src->label, src_path, dst->label,
                          dst_path);
  if (! dst_exists && ends_with (dst_path, "/"))
    return cc_error_make (err, ENOENT, "destination directory `%s%s` does not exist", dst->label, dst_path);
  *dir = dir_of (dst_path);
  if (! is_dir_at (dst, *dir, &parent_exists))
    return cc_error_make (err, ENOENT, "destination directory `%s%s` does not exist", dst->label, *dir);
  *name = base_of (dst_path);
  return 0;
}

static int
extract_into (const struct side *dst, const char *dir, int fd, bool owners, cc_error_t *err)
{
  cleanup_close int dirfd = open_at (dst, dir, O_RDONLY | O_DIRECTORY);

  if (dirfd < 0)
    return cc_error_make (err, errno, "open destination directory `%s%s`", dst->label, dir);
  if (cc_layer_extract (fd, dirfd, owners ? CC_LAYER_OWNERS : 0, NULL, NULL, NULL, NULL, err) < 0)
    return cc_error_wrap (err, "copy into `%s%s`", dst->label, dir);
  return 0;
}

/* SRC's tar stream, written by a thread, extracted at DST as it comes.  */
static int
copy_tree (const struct side *src, const struct cc_cp_opts *o, const struct side *dst, cc_error_t *err)
{
  cleanup_free char *dir = NULL, *name = NULL;
  cleanup_close int rd = -1;
  struct tar_job j = { .side = src, .path = o->src, .follow = o->follow_link, .fd = -1 };
  int sv[2], ret;
  pthread_t t;

  if (place (src, o->src, o->follow_link, dst, o->dest, &dir, &name, err) < 0)
    return -1;
  j.name = name;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return cc_error_make (err, errno, "socketpair");
  rd = sv[0];
  j.fd = sv[1];
  if ((errno = pthread_create (&t, NULL, tar_thread, &j)) != 0)
    {
      close (j.fd);
      return cc_error_make (err, errno, "start the copy");
    }
  ret = extract_into (dst, dir, rd, o->archive, err);
  /* An extractor that stopped early must not leave the writer blocked.  */
  shutdown (rd, SHUT_RDWR);
  pthread_join (t, NULL);
  if (j.err)
    {
      cc_error_release (err);
      *err = steal_pointer (&j.err);
      return -1;
    }
  return ret;
}

/* `SERVICE:SRC -`: the tar stream itself on stdout.  */
static int
copy_to_stdout (const struct side *src, const struct cc_cp_opts *o, cc_error_t *err)
{
  cleanup_free char *name = ends_with (o->src, "/.") ? NULL : base_of (o->src);
  struct tar_job j = { .side = src, .path = o->src, .name = name, .follow = o->follow_link, .fd = STDOUT_FILENO };

  if (write_tar (&j) < 0)
    {
      *err = steal_pointer (&j.err);
      return -1;
    }
  return 0;
}

/* `- SERVICE:DEST`: a tar stream on stdin, extracted in the directory DEST.  */
static int
copy_from_stdin (const struct side *dst, const struct cc_cp_opts *o, cc_error_t *err)
{
  bool exists;

  if (! is_dir_at (dst, o->dest, &exists))
    return cc_error_make (err, ENOTDIR, "destination `%s%s` must be a directory", dst->label, o->dest);
  return extract_into (dst, o->dest, STDIN_FILENO, o->archive, err);
}

/* PATH as the container names it, "." and ".." folded by string: enough
   to compare with its mount targets, never used to open anything.  */
static char *
folded (const char *path)
{
  cleanup_strv char **parts = cc_strv_split (path, '/', true);
  cleanup_strv char **kept = NULL;
  cleanup_free char *joined = NULL;

  for (size_t i = 0; parts[i]; i++)
    {
      size_t n = cc_strv_len (kept);

      if (strcmp (parts[i], ".") == 0)
        continue;
      if (strcmp (parts[i], "..") != 0)
        cc_strv_append (&kept, parts[i]);
      else if (n > 0)
        {
          free (kept[n - 1]);
          kept[n - 1] = NULL;
        }
    }
  joined = kept ? cc_strv_join (kept, "/") : xstrdup ("");
  return xasprintf ("/%s", joined);
}

static bool
within (const char *path, const char *dir)
{
  size_t n = strlen (dir);

  return strcmp (dir, "/") == 0 || (strncmp (path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

/* A stopped container has no volumes, binds or tmpfs mounted: what its
   image left under their targets would be copied instead, so any path
   that holds one or lies on one is refused.  */
static int
check_off_mounts (const struct cc_cp_opts *o, char *const *targets, cc_error_t *err)
{
  cleanup_free char *path = folded (o->to_container ? o->dest : o->src);

  for (size_t i = 0; targets && targets[i]; i++)
    if (within (path, targets[i]) || within (targets[i], path))
      return cc_error_make (err, EBUSY,
                            "copy `%s` of stopped container `%s`: its mount `%s` is there only while it runs; "
                            "start it first",
                            path, o->container, targets[i]);
  return 0;
}

int
cc_engine_cp (const struct cc_cp_opts *o, cc_error_t *err)
{
  cleanup_free char *label = xasprintf ("%s:", o->container);
  cleanup_strv char **mount_targets = NULL;
  cleanup_close int rootfd = -1;
  struct side host = { .rootfd = -1, .label = "" };
  struct side box = { .label = label };

  if (cc_dynlib_load (&cc_dynlib_archive, err) < 0)
    return -1;
  rootfd = cc_runtime_open_any_root (o->container, &mount_targets, err);
  if (rootfd < 0 || check_off_mounts (o, mount_targets, err) < 0)
    return -1;
  box.rootfd = rootfd;
  if (o->to_container)
    return strcmp (o->src, "-") == 0 ? copy_from_stdin (&box, o, err) : copy_tree (&host, o, &box, err);
  return strcmp (o->dest, "-") == 0 ? copy_to_stdout (&box, o, err) : copy_tree (&box, o, &host, err);
}

int
cc_engine_export (const char *container, const char *output, cc_error_t *err)
{
  cleanup_free char *label = xasprintf ("%s:", container);
  cleanup_strv char **mount_targets = NULL;
  cleanup_close int rootfd = -1, out = -1;
  struct side box = { .label = label };
  struct tar_job j = { .side = &box, .path = "/", .one_fs = true, .fd = STDOUT_FILENO };

  if (cc_dynlib_load (&cc_dynlib_archive, err) < 0)
    return -1;
  /* Mounts are left out in any case, so a stopped container exports the
     same files as a running one.  */
  rootfd = cc_runtime_open_any_root (container, &mount_targets, err);
  if (rootfd < 0)
    return -1;
  box.rootfd = rootfd;
  if (output && (out = open (output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
    return cc_error_make (err, errno, "export `%s`: open `%s`", container, output);
  if (out >= 0)
    j.fd = out;
  if (write_tar (&j) < 0)
    {
      *err = steal_pointer (&j.err);
      return cc_error_wrap (err, "export `%s`", container);
    }
  return 0;
}
