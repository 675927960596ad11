/* A step's result becomes a layer: the tree it wrote (a RUN's overlay
   upper directory, or the tree COPY, ADD and WORKDIR wrote through an
   overlay the same way) is turned into a deterministic tar, its sha256
   is the diff id, and both are renamed into the image store.

   The tree is in overlay format and the tar in OCI format (image-spec
   layer.md): a 0:0 character device is a whiteout, written as an empty
   `.wh.NAME`; a directory marked trusted.overlay.opaque gets a
   `.wh..wh..opq` entry right after it.  Overlay's private xattrs
   (origin, impure, redirect...) never reach the tar.

   Deterministic: entries sorted by name within each directory (the
   order BuildKit's differ walks an upper directory in), numeric owners
   and no names, every time set to the build's epoch (SOURCE_DATE_EPOCH,
   else 0) in the tar AND in the tree that becomes the store's unpacked
   layer, so a container of the image sees what a load of its tar would
   give; no atime or ctime; USTAR headers, with a PAX header for what
   USTAR cannot hold (long or non-ASCII names and link targets, xattrs,
   big ids and sizes), as Go's archive/tar writes them for BuildKit.

   The tree was written by a container: nothing in it is followed.
   Every entry is opened beneath its directory (openat2 RESOLVE_BENEATH,
   no symlinks), a regular file first as O_PATH and read only once it is
   known to be the file stat saw (a FIFO or a device swapped in meanwhile
   is never opened), and a FIFO or device is never opened at all.

   `commit` tars a running container's upper directory the same way
   (cc_builder_tar_upper), but leaves it as it is: times come from the files
   and nothing is written to them (issue 15), and the tar may take no
   more than the free space of the filesystem it is written to, so a
   huge sparse file is an error, not a full disk.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder/builder.h"
#include "builder/exec.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define BLOCK 512
#define OUTBUF (256 * 1024)
#define OPAQUE_XATTR "trusted.overlay.opaque"
/* Up to this many files, a layer is made durable file by file (its own
   data only); past it, one syncfs (whatever else the filesystem holds).  */
#define SYNC_FILES_MAX 64

struct hardlink
{
  dev_t dev;
  ino_t ino;
  char *path;
};

struct tarw
{
  int fd;
  struct cc_bld_hash *hash;
  char *buf;
  size_t len;
  int64_t epoch;
  bool keep;      /* commit: the tree is left as it is, times from the files */
  int64_t room;   /* bytes the tar may still take; < 0: no bound */
  int synced;     /* files fsynced one by one so far (< SYNC_FILES_MAX) */
  int64_t size;   /* bytes of regular files */
  size_t entries; /* entries written */
  struct hardlink *links;
  size_t n_links;
  int error;         /* errno of the first write failure */
  char *const *made; /* commit: mount points the runtime made, "/etc/hosts" */
};

static void
tw_flush (struct tarw *t)
{
  if (t->len == 0)
    return;
  cc_bld_hash_update (t->hash, t->buf, t->len);
  if (t->error == 0 && cc_write_all (t->fd, t->buf, t->len) < 0)
    t->error = errno ? errno : EIO;
  t->len = 0;
}

static void
tw_put (struct tarw *t, const void *data, size_t n)
{
  const char *p = data;

  while (n > 0)
    {
      size_t room = OUTBUF - t->len, k = n < room ? n : room;
      memcpy (t->buf + t->len, p, k);
      t->len += k;
      p += k;
      n -= k;
      if (t->len == OUTBUF)
        tw_flush (t);
    }
}

static void
tw_pad (struct tarw *t, uint64_t n)
{
  static const char zeros[BLOCK];
  size_t r = (size_t)(n % BLOCK);

  if (r)
    tw_put (t, zeros, BLOCK - r);
}

/* ---- headers ----------------------------------------------------------- */

struct entry
{
  const char *path; /* in the tar: no leading `./`, directories end in `/` */
  char type;        /* '0' file, '1' hard link, '2' symlink, '3' chr, '4' blk, '5' dir, '6' fifo */
  uint32_t mode;
  uint64_t uid, gid, size;
  const char *link;
  int64_t mtime;
  unsigned devmajor, devminor;
  char **xattrs; /* "name\0value" pairs as PAX records want them: NAME=VALUE strings */
  size_t *xattr_lens;
};

static bool
is_ascii (const char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s >= 0x80)
      return false;
  return true;
}

static void
octal (char *field, size_t width, uint64_t v)
{
  char tmp[32];

  snprintf (tmp, sizeof (tmp), "%0*llo", (int)(width - 1), (unsigned long long)v);
  memcpy (field, tmp, width - 1);
  field[width - 1] = '\0';
}

/* One PAX record: "LEN KEY=VALUE\n", LEN counting itself.  */
static void
pax_record (struct cc_buf *b, const char *key, const void *value, size_t vlen)
{
  size_t base = strlen (key) + vlen + 3, len = base;
  char digits[24];

  for (;;)
    {
      size_t n = (size_t)snprintf (digits, sizeof (digits), "%zu", len);
      if (base + n == len)
        break;
      len = base + n;
    }
  cc_buf_printf (b, "%s %s=", digits, key);
  cc_buf_append (b, value, vlen);
  cc_buf_putc (b, '\n');
}

static void
write_header (struct tarw *t, const char *name, char type, uint32_t mode, uint64_t uid, uint64_t gid, uint64_t size,
              const char *link, int64_t mtime, unsigned major, unsigned minor)
{
  char h[BLOCK];
  unsigned sum = 0;

  memset (h, 0, sizeof (h));
  strncpy (h, name, 100);
  octal (h + 100, 8, mode & 07777);
  octal (h + 108, 8, uid > 07777777 ? 0 : uid);
  octal (h + 116, 8, gid > 07777777 ? 0 : gid);
  octal (h + 124, 12, size > 077777777777ULL ? 0 : size);
  octal (h + 136, 12, mtime > 0 && mtime <= 077777777777LL ? (uint64_t)mtime : 0);
  memset (h + 148, ' ', 8);
  h[156] = type;
  if (link)
    strncpy (h + 157, link, 100);
  memcpy (h + 257,
          "ustar\0"
          "00",
          8);
  if (type == '3' || type == '4')
    {
      octal (h + 329, 8, major);
      octal (h + 337, 8, minor);
    }
  for (size_t i = 0; i < BLOCK; i++)
    sum += (unsigned char)h[i];
  snprintf (h + 148, 8, "%06o", sum);
  h[155] = ' ';
  tw_put (t, h, BLOCK);
}

static void
write_entry_header (struct tarw *t, const struct entry *e)
{
  cleanup_buf struct cc_buf pax = { 0 };
  bool long_path = strlen (e->path) > 100 || ! is_ascii (e->path);
  bool long_link = e->link && (strlen (e->link) > 100 || ! is_ascii (e->link));

  if (long_path)
    pax_record (&pax, "path", e->path, strlen (e->path));
  if (long_link)
    pax_record (&pax, "linkpath", e->link, strlen (e->link));
  if (e->uid > 07777777)
    {
      char v[24];
      snprintf (v, sizeof (v), "%llu", (unsigned long long)e->uid);
      pax_record (&pax, "uid", v, strlen (v));
    }
  if (e->gid > 07777777)
    {
      char v[24];
      snprintf (v, sizeof (v), "%llu", (unsigned long long)e->gid);
      pax_record (&pax, "gid", v, strlen (v));
    }
  if (e->size > 077777777777ULL)
    {
      char v[24];
      snprintf (v, sizeof (v), "%llu", (unsigned long long)e->size);
      pax_record (&pax, "size", v, strlen (v));
    }
  for (size_t i = 0; e->xattrs && e->xattrs[i]; i++)
    {
      const char *name = e->xattrs[i];
      cleanup_free char *key = xasprintf ("SCHILY.xattr.%s", name);
      pax_record (&pax, key, name + strlen (name) + 1, e->xattr_lens[i]);
    }
  if (pax.len > 0)
    {
      write_header (t, "PaxHeaders.0", 'x', 0644, 0, 0, pax.len, NULL, e->mtime, 0, 0);
      tw_put (t, pax.data, pax.len);
      tw_pad (t, pax.len);
    }
  write_header (t, e->path, e->type, e->mode, e->uid, e->gid, e->size, e->link, e->mtime, e->devmajor, e->devminor);
  t->entries++;
}

/* ---- the walk ----------------------------------------------------------- */

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The names in directory FD, sorted.  */
static int
sorted_names (int fd, int flags, char ***out, cc_error_t *err)
{
  cleanup_close int dup_fd = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags);
  cleanup_dir DIR *d = NULL;
  struct cc_bld_vec v = { 0 };
  struct dirent *de;

  if (dup_fd < 0 || (d = fdopendir (dup_fd)) == NULL)
    return cc_error_make (err, errno, "read directory");
  dup_fd = -1;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      cc_bld_vec_push (&v, xstrdup (de->d_name));
  *out = cc_bld_vec_steal (&v);
  qsort (*out, cc_strv_len (*out), sizeof (char *), cmp_names);
  return 0;
}

static bool
is_private_xattr (const char *name)
{
  return strncmp (name, "trusted.overlay.", 16) == 0 || strncmp (name, "user.overlay.", 13) == 0;
}

/* The xattrs of NAME in DIRFD worth keeping, sorted by name (Go writes
   PAX records sorted), as "name\0value".  */
static void
read_xattrs (int dirfd, const char *name, struct entry *e)
{
  cleanup_free char *path = xasprintf ("/proc/self/fd/%d/%s", dirfd, name);
  cleanup_free char *list = NULL;
  struct cc_bld_vec v = { 0 };
  size_t *lens = NULL, n = 0;
  ssize_t len = llistxattr (path, NULL, 0);

  if (len <= 0)
    return;
  list = xmalloc ((size_t)len + 1);
  len = llistxattr (path, list, (size_t)len);
  for (ssize_t off = 0; len > 0 && off < len; off += (ssize_t)strlen (list + off) + 1)
    {
      const char *x = list + off;
      ssize_t vlen;
      char *pair;
      if (is_private_xattr (x))
        continue;
      vlen = lgetxattr (path, x, NULL, 0);
      if (vlen < 0)
        continue;
      pair = xmalloc (strlen (x) + 1 + (size_t)vlen + 1);
      strcpy (pair, x);
      vlen = lgetxattr (path, x, pair + strlen (x) + 1, (size_t)vlen);
      if (vlen < 0)
        {
          free (pair);
          continue;
        }
      cc_bld_vec_push (&v, pair);
      lens = xreallocarray (lens, n + 1, sizeof (*lens));
      lens[n++] = (size_t)vlen;
    }
  if (n == 0)
    {
      cc_bld_vec_release (&v);
      free (lens);
      return;
    }
  e->xattrs = cc_bld_vec_steal (&v);
  /* Sort the pairs and their lengths together.  */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp (e->xattrs[j - 1], e->xattrs[j]) > 0; j--)
      {
        char *tp = e->xattrs[j];
        size_t tl = lens[j];
        e->xattrs[j] = e->xattrs[j - 1];
        lens[j] = lens[j - 1];
        e->xattrs[j - 1] = tp;
        lens[j - 1] = tl;
      }
  e->xattr_lens = lens;
}

static void
entry_release (struct entry *e)
{
  cc_strv_free (e->xattrs);
  free (e->xattr_lens);
}

static bool
is_opaque (int fd)
{
  char v[4] = { 0 };

  return fgetxattr (fd, OPAQUE_XATTR, v, sizeof (v)) == 1 && v[0] == 'y';
}

static const char *
hardlink_of (struct tarw *t, const struct stat *st, const char *path)
{
  if (st->st_nlink < 2)
    return NULL;
  for (size_t i = 0; i < t->n_links; i++)
    if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino)
      return t->links[i].path;
  t->links = xreallocarray (t->links, t->n_links + 1, sizeof (*t->links));
  t->links[t->n_links++] = (struct hardlink){ st->st_dev, st->st_ino, xstrdup (path) };
  return NULL;
}

/* commit reads without touching even the access times (root may:
   O_NOATIME needs CAP_FOWNER for others' files).  */
static int
read_flags (const struct tarw *t)
{
  return t->keep ? O_NOATIME : 0;
}

/* NAME in DIRFD, never through a symlink nor out of DIRFD.  */
static int
open_beneath (int dirfd, const char *name, int flags)
{
  struct open_how how = {
    /* openat2 takes no other flag beside O_PATH.  */
    .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY)),
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };

  return (int)syscall (SYS_openat2, dirfd, name, &how, sizeof (how));
}

/* The regular file stat saw as ST, opened for reading only once an O_PATH
   descriptor shows it is still that file: whatever the container swapped
   in meanwhile (a FIFO that would block, a device whose open acts) is
   never opened.  */
static int
open_regular (int dirfd, const char *name, const struct stat *st, int flags, const char *path, cc_error_t *err)
{
  cleanup_close int pfd = open_beneath (dirfd, name, O_PATH);
  cleanup_free char *proc = NULL;
  struct stat now;
  int fd;

  if (pfd < 0 || fstat (pfd, &now) < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  if (! S_ISREG (now.st_mode) || now.st_ino != st->st_ino || now.st_dev != st->st_dev)
    return cc_error_make (err, EAGAIN, "open `%s`: it was replaced while it was archived", path);
  proc = xasprintf ("/proc/self/fd/%d", pfd);
  fd = open (proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);
  if (fd < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  return fd;
}

static int
copy_file (struct tarw *t, int dirfd, const char *name, const struct stat *st, const char *path, cc_error_t *err)
{
  cleanup_close int fd = open_regular (dirfd, name, st, read_flags (t), path, err);
  char buf[65536];
  uint64_t size = (uint64_t)st->st_size, left = size;

  if (fd < 0)
    return -1;
  if (t->room >= 0 && st->st_size > t->room)
    return cc_error_make (err, ENOSPC, "`%s` has %lld bytes, more than the %lld free for the layer", path,
                          (long long)st->st_size, (long long)t->room);
  if (t->room >= 0)
    t->room -= st->st_size;
  while (left > 0)
    {
      if (t->error)
        return cc_error_make (err, t->error, "write the layer");
      ssize_t n = read (fd, buf, left < sizeof (buf) ? left : sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cc_error_make (err, errno, "read `%s`", path);
      if (n == 0)
        return cc_error_make (err, EIO, "`%s` shrank while it was archived", path);
      tw_put (t, buf, (size_t)n);
      left -= (uint64_t)n;
    }
  tw_pad (t, size);
  if (! t->keep && t->synced >= 0 && t->synced < SYNC_FILES_MAX && fdatasync (fd) == 0)
    t->synced++;
  else
    t->synced = -1;
  return 0;
}

static int
set_epoch (struct tarw *t, int dirfd, const char *name, cc_error_t *err)
{
  struct timespec ts[2] = { { t->epoch, 0 }, { t->epoch, 0 } };

  if (t->keep)
    return 0;
  if (utimensat (dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return cc_error_make (err, errno, "set the times of `%s`", name);
  return 0;
}

static int walk_dir (struct tarw *t, int fd, const char *prefix, cc_error_t *err);

static int
write_whiteout (struct tarw *t, const char *prefix, const char *name, int64_t mtime)
{
  cleanup_free char *path = xasprintf ("%s.wh.%s", prefix, name);
  struct entry e = { .path = path, .type = '0', .mode = 0, .mtime = mtime };

  write_entry_header (t, &e);
  return 0;
}

static int
write_dir (struct tarw *t, int dirfd, const char *name, const struct stat *st, struct entry *e, cc_error_t *err)
{
  cleanup_close int fd = open_beneath (dirfd, name, O_RDONLY | O_DIRECTORY | read_flags (t));
  cleanup_free char *opq = NULL;

  (void)st;
  if (fd < 0)
    return cc_error_make (err, errno, "open `%s`", e->path);
  write_entry_header (t, e);
  if (is_opaque (fd))
    {
      opq = xasprintf ("%s.wh..wh..opq", e->path);
      struct entry w = { .path = opq, .type = '0', .mode = 0, .mtime = e->mtime };
      write_entry_header (t, &w);
    }
  return walk_dir (t, fd, e->path, err);
}

/* REL ("etc/hosts", "etc") is a mount point the runtime made, or a
   directory on the way to one.  */
static bool
on_made_path (const struct tarw *t, const char *rel)
{
  size_t n = strlen (rel);

  for (char *const *m = t->made; m && *m; m++)
    {
      const char *path = *m + strspn (*m, "/");
      if (strncmp (path, rel, n) == 0 && (path[n] == '\0' || path[n] == '/'))
        return true;
    }
  return false;
}

/* Docker's init layer, which its commit leaves out: what the runtime
   made for its mounts (an empty file, a directory with only such
   things, nothing opaque) is not the container's change.  A file the
   container wrote there is hidden under the mount and cannot be one.  */
static bool
runtime_made (const struct tarw *t, int dirfd, const char *name, const char *rel, const struct stat *st)
{
  cleanup_close int fd = -1;
  cleanup_strv char **names = NULL;

  if (! on_made_path (t, rel))
    return false;
  if (S_ISREG (st->st_mode))
    return st->st_size == 0;
  if (! S_ISDIR (st->st_mode))
    return false;
  fd = open_beneath (dirfd, name, O_RDONLY | O_DIRECTORY | read_flags (t));
  if (fd < 0 || is_opaque (fd) || sorted_names (fd, read_flags (t), &names, NULL) < 0)
    return false;
  for (char **n = names; *n; n++)
    {
      cleanup_free char *sub = xasprintf ("%s/%s", rel, *n);
      struct stat cst;
      if (fstatat (fd, *n, &cst, AT_SYMLINK_NOFOLLOW) < 0 || ! runtime_made (t, fd, *n, sub, &cst))
        return false;
    }
  return true;
}

static int
write_one (struct tarw *t, int dirfd, const char *prefix, const char *name, cc_error_t *err)
{
  struct stat st;
  struct entry e = { 0 };
  cleanup_free char *path = NULL;
  char target[4097];
  const char *first;
  int ret = 0;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return cc_error_make (err, errno, "stat `%s%s`", prefix, name);
  if (S_ISCHR (st.st_mode) && major (st.st_rdev) == 0 && minor (st.st_rdev) == 0)
    return write_whiteout (t, prefix, name, t->keep ? st.st_mtime : t->epoch) < 0 ? -1
                                                                                  : set_epoch (t, dirfd, name, err);
  path = xasprintf ("%s%s", prefix, name);
  if (t->made && runtime_made (t, dirfd, name, path, &st))
    return 0;
  if (S_ISDIR (st.st_mode))
    {
      free (path);
      path = xasprintf ("%s%s/", prefix, name);
    }
  e = (struct entry){ .path = path,
                      .mode = st.st_mode & 07777,
                      .uid = st.st_uid,
                      .gid = st.st_gid,
                      .mtime = t->keep ? st.st_mtime : t->epoch };
  read_xattrs (dirfd, name, &e);
  if (S_ISREG (st.st_mode) && (first = hardlink_of (t, &st, path)) != NULL)
    {
      e.type = '1';
      e.link = first;
      write_entry_header (t, &e);
    }
  else if (S_ISREG (st.st_mode))
    {
      e.type = '0';
      e.size = (uint64_t)st.st_size;
      write_entry_header (t, &e);
      ret = copy_file (t, dirfd, name, &st, path, err);
      t->size += st.st_size;
    }
  else if (S_ISLNK (st.st_mode))
    {
      ssize_t n = readlinkat (dirfd, name, target, sizeof (target) - 1);
      if (n < 0)
        ret = cc_error_make (err, errno, "readlink `%s`", path);
      else
        {
          target[n] = '\0';
          e.type = '2';
          e.link = target;
          write_entry_header (t, &e);
        }
    }
  else if (S_ISDIR (st.st_mode))
    {
      e.type = '5';
      ret = write_dir (t, dirfd, name, &st, &e, err);
    }
  else if (S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode) || S_ISFIFO (st.st_mode))
    {
      e.type = S_ISCHR (st.st_mode) ? '3' : S_ISBLK (st.st_mode) ? '4' : '6';
      e.devmajor = major (st.st_rdev);
      e.devminor = minor (st.st_rdev);
      write_entry_header (t, &e);
    }
  /* Sockets are not archived (Go's tar cannot write them either).  */
  entry_release (&e);
  if (ret < 0)
    return -1;
  return set_epoch (t, dirfd, name, err);
}

static int
walk_dir (struct tarw *t, int fd, const char *prefix, cc_error_t *err)
{
  cleanup_strv char **names = NULL;

  if (sorted_names (fd, read_flags (t), &names, err) < 0)
    return cc_error_wrap (err, "`%s`", *prefix ? prefix : "/");
  for (char **n = names; *n; n++)
    if (write_one (t, fd, prefix, *n, err) < 0)
      return -1;
  /* Its entries, durable before the layer is published.  */
  if (! t->keep && t->synced >= 0 && fsync (fd) < 0)
    t->synced = -1;
  return 0;
}

static void
tarw_release (struct tarw *t)
{
  for (size_t i = 0; i < t->n_links; i++)
    free (t->links[i].path);
  free (t->links);
  free (t->buf);
  if (t->hash)
    cc_bld_hash_free (t->hash);
}

/* The walk of the tree open at FD into T, and the tar's end.  */
static int
tar_fd (struct tarw *t, int fd, const char *tree, cc_error_t *err)
{
  static const char zeros[2 * BLOCK];

  if (walk_dir (t, fd, "", err) < 0)
    return -1;
  tw_put (t, zeros, sizeof (zeros));
  tw_flush (t);
  if (t->error)
    return cc_error_make (err, t->error, "write the layer of `%s`", tree);
  return 0;
}

static int
tar_tree (const char *tree, int out_fd, int64_t epoch, char **diff_id, int64_t *size, size_t *entries, bool *synced,
          cc_error_t *err)
{
  struct tarw t = { .fd = out_fd, .hash = cc_bld_hash_new (), .buf = xmalloc (OUTBUF), .epoch = epoch, .room = -1 };
  cleanup_close int fd = open (tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct timespec ts[2] = { { epoch, 0 }, { epoch, 0 } };
  int ret;

  if (fd < 0)
    {
      tarw_release (&t);
      return cc_error_make (err, errno, "open `%s`", tree);
    }
  ret = tar_fd (&t, fd, tree, err);
  if (ret == 0)
    {
      futimens (fd, ts);
      *diff_id = cc_bld_hash_final (t.hash);
      t.hash = NULL;
      *size = t.size;
      *entries = t.entries;
      if (synced)
        *synced = t.synced >= 0;
    }
  tarw_release (&t);
  return ret;
}

int
cc_bld_tar_tree (const char *tree, int out_fd, int64_t epoch, char **diff_id, int64_t *size, size_t *entries,
                 cc_error_t *err)
{
  return tar_tree (tree, out_fd, epoch, diff_id, size, entries, NULL, err);
}

int
cc_builder_tar_upper (int dirfd, int out_fd, char *const *made, char **diff_id, size_t *entries, cc_error_t *err)
{
  struct tarw t
      = { .fd = out_fd, .hash = cc_bld_hash_new (), .buf = xmalloc (OUTBUF), .keep = true, .synced = -1, .made = made };
  struct statvfs vfs;
  int ret;

  *diff_id = NULL;
  *entries = 0;
  t.room = fstatvfs (out_fd, &vfs) == 0 ? (int64_t)(vfs.f_bavail * vfs.f_frsize) : -1;
  ret = tar_fd (&t, dirfd, "the upper directory", err);
  if (ret == 0)
    {
      *diff_id = cc_bld_hash_final (t.hash);
      t.hash = NULL;
      *entries = t.entries;
    }
  tarw_release (&t);
  return ret;
}

/* ---- committing a step's tree ------------------------------------------- */

int
cc_bld_layer_commit (const char *dir, int64_t epoch, const char *hold, char **diff_id, cc_error_t *err)
{
  cleanup_free char *tree = cc_path_join (dir, "diff");
  cleanup_free char *tar = cc_path_join (dir, "layer.tar");
  cleanup_free char *got = NULL;
  cleanup_close int fd = open (tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int64_t size = 0;
  size_t entries = 0;
  bool synced = false;

  *diff_id = NULL;
  if (fd < 0)
    return cc_error_make (err, errno, "create `%s`", tar);
  if (tar_tree (tree, fd, epoch, &got, &size, &entries, &synced, err) < 0)
    return -1;
  /* A step that changed nothing still has its layer, the empty tar
     (diff id sha256:5f70bf18...): BuildKit keeps it, and marks the history
     entry as a layer (checked by tests/system/test-build-diff.sh).  */
  (void)entries;
  /* The rename publishes the layer: its tree and its tar must be on disk
     first.  */
  if (synced ? fsync (fd) < 0 : syncfs (fd) < 0)
    return cc_error_make (err, errno, "sync `%s`", tar);
  /* Held before it is published, so no GC in between can sweep it.  */
  {
    char *ids[] = { got, NULL };
    if (cc_image_hold (hold, ids, err) < 0)
      return -1;
  }
  if (cc_image_publish_layer (dir, tar, got, size, err) < 0)
    return -1;
  cc_crash_point ("build layer committed");
  *diff_id = steal_pointer (&got);
  return 0;
}
