/* The build context: what COPY and ADD sources name in it, and the
   digests their cache keys use.

   Paths resolve inside the context as BuildKit resolves them (its
   context is a root of its own): openat2 with RESOLVE_IN_ROOT, so `..`
   stops at the top and a symlink pointing out (`/etc/passwd`,
   `../../x`) resolves to a path inside the context, which is then
   usually "not found" -- never to a file of the host.  What
   .dockerignore excludes does not exist for COPY.

   Digests cover names, types, modes, link targets and contents, never
   times or owners (COPY from the context gives root-owned files).  The
   contents are read only for files the stat cache does not know: it
   remembers, per context directory, each file's (dev, inode, size,
   mtime, ctime) with its sha256, so a warm rebuild reads no file.  A
   file changed in any way changes one of those; a file written in the
   last two seconds is not remembered (it could change again within the
   same timestamp).  The context is walked file by file, never held in
   memory, whatever its size.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "builder/exec.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define RACY_S 2

struct stat_entry
{
  char *path;
  uint64_t dev, ino, size;
  int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
  char *sha;
  bool used;
  struct stat_entry *next;
};

struct cc_bld_context
{
  char *dir;
  int fd;
  struct cc_dockerignore *ignore;
  char *cache_path;
  struct stat_entry **buckets;
  size_t n_buckets;
  bool dirty;
};

/* ---- resolution -------------------------------------------------------- */

int
cc_bld_open_in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };

  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  return (int)syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
}

bool
cc_bld_ignored (const struct cc_dockerignore *ignore, const char *path)
{
  bool excluded = false;
  cleanup_error cc_error_t err = NULL;

  if (ignore == NULL || *path == '\0')
    return false;
  if (cc_dockerignore_excludes (ignore, path, &excluded, &err) < 0)
    return false;
  return excluded;
}

static bool
exists_in_root (int rootfd, const char *path)
{
  cleanup_close int fd = cc_bld_open_in_root (rootfd, path, O_PATH);

  return fd >= 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The entries of directory PATH (relative) in ROOTFD, sorted.  */
static char **
list_dir (int rootfd, const char *path)
{
  cleanup_close int fd = cc_bld_open_in_root (rootfd, path, O_RDONLY | O_DIRECTORY);
  cleanup_dir DIR *d = NULL;
  struct cc_bld_vec v = { 0 };
  struct dirent *de;
  char **out;

  if (fd >= 0 && (d = fdopendir (fd)) != NULL)
    {
      fd = -1;
      while ((de = readdir (d)) != NULL)
        if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
          cc_bld_vec_push (&v, xstrdup (de->d_name));
    }
  out = cc_bld_vec_steal (&v);
  qsort (out, cc_strv_len (out), sizeof (char *), cmp_str);
  return out;
}

static char *
join_rel (const char *a, const char *b)
{
  return *a ? xasprintf ("%s/%s", a, b) : xstrdup (b);
}

/* Expand one element at a time: CANDIDATES (relative paths) become
   their children matching ELEMENT.  */
static int
expand_element (int rootfd, char ***candidates, const char *element, cc_error_t *err)
{
  struct cc_bld_vec next = { 0 };

  for (char **c = *candidates; *c; c++)
    {
      cleanup_strv char **names = NULL;
      if (! cc_builder_has_wildcards (element))
        {
          cc_bld_vec_push (&next, join_rel (*c, element));
          continue;
        }
      names = list_dir (rootfd, *c);
      for (char **n = names; *n; n++)
        {
          bool hit = false;
          if (cc_builder_path_match (element, *n, &hit, err) < 0)
            {
              cc_bld_vec_release (&next);
              return -1;
            }
          if (hit)
            cc_bld_vec_push (&next, join_rel (*c, *n));
        }
    }
  cc_strv_free (*candidates);
  *candidates = cc_bld_vec_steal (&next);
  return 0;
}

int
cc_bld_expand (int rootfd, const struct cc_dockerignore *ignore, const char *pattern, char ***out, cc_error_t *err)
{
  cleanup_free char *clean = cc_bld_path_clean (pattern);
  cleanup_strv char **parts = cc_strv_split (clean, '/', true);
  cleanup_strv char **cands = xzalloc (2 * sizeof (char *));
  struct cc_bld_vec hits = { 0 };

  cands[0] = xstrdup ("");
  for (char **p = parts; *p; p++)
    if (strcmp (*p, ".") != 0 && expand_element (rootfd, &cands, *p, err) < 0)
      return -1;
  for (char **c = cands; *c; c++)
    if (exists_in_root (rootfd, *c) && ! cc_bld_ignored (ignore, *c))
      cc_bld_vec_push (&hits, xstrdup (*c));
  *out = cc_bld_vec_steal (&hits);
  return 0;
}

/* ---- the stat cache ------------------------------------------------------ */

static uint64_t
fnv (const char *s)
{
  uint64_t h = 1469598103934665603ULL;

  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static struct stat_entry *
cache_find (struct cc_bld_context *c, const char *path)
{
  for (struct stat_entry *e = c->buckets[fnv (path) % c->n_buckets]; e; e = e->next)
    if (strcmp (e->path, path) == 0)
      return e;
  return NULL;
}

static struct stat_entry *
cache_add (struct cc_bld_context *c, const char *path)
{
  struct stat_entry *e = xzalloc (sizeof (*e));
  size_t b = fnv (path) % c->n_buckets;

  e->path = xstrdup (path);
  e->next = c->buckets[b];
  c->buckets[b] = e;
  return e;
}

/* One line per file: "dev ino size ms mns cs cns sha len:path\n".  */
static void
cache_load (struct cc_bld_context *c)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  char *p, *end;

  if (cc_read_file (c->cache_path, &text, &len, NULL) < 0)
    return;
  p = text;
  end = text + len;
  while (p < end)
    {
      unsigned long long dev, ino, size, plen;
      long long ms, mns, cs, cns;
      char sha[72];
      int used = 0;
      struct stat_entry *e;
      if (sscanf (p, "%llu %llu %llu %lld %lld %lld %lld %71s %llu:%n", &dev, &ino, &size, &ms, &mns, &cs, &cns, sha,
                  &plen, &used)
              != 9
          || used == 0 || plen > (unsigned long long)(end - p - used - 1))
        return;
      p += used;
      {
        cleanup_free char *path = xstrndup (p, plen);
        e = cache_find (c, path) ?: cache_add (c, path);
      }
      e->dev = dev;
      e->ino = ino;
      e->size = size;
      e->mtime_s = ms;
      e->mtime_ns = mns;
      e->ctime_s = cs;
      e->ctime_ns = cns;
      free (e->sha);
      e->sha = xstrdup (sha);
      p += plen + 1;
    }
}

static void
cache_save (struct cc_bld_context *c)
{
  cleanup_buf struct cc_buf b = { 0 };
  cleanup_free char *dir = NULL;
  cleanup_error cc_error_t err = NULL;
  bool dropped = false;

  for (size_t i = 0; i < c->n_buckets; i++)
    for (struct stat_entry *e = c->buckets[i]; e; e = e->next)
      {
        if (! e->used || e->sha == NULL)
          {
            dropped = true;
            continue;
          }
        cc_buf_printf (&b, "%llu %llu %llu %lld %lld %lld %lld %s %zu:%s\n", (unsigned long long)e->dev,
                       (unsigned long long)e->ino, (unsigned long long)e->size, (long long)e->mtime_s,
                       (long long)e->mtime_ns, (long long)e->ctime_s, (long long)e->ctime_ns, e->sha, strlen (e->path),
                       e->path);
      }
  if (! c->dirty && ! dropped)
    return;
  dir = cc_path_dirname (c->cache_path);
  if (cc_mkdir_p (dir, 0700, &err) == 0)
    cc_write_file_atomic (c->cache_path, b.data ? b.data : "", b.len, 0600, &err);
}

static bool
same_stat (const struct stat_entry *e, const struct stat *st)
{
  return e->sha && e->dev == (uint64_t)st->st_dev && e->ino == (uint64_t)st->st_ino && e->size == (uint64_t)st->st_size
         && e->mtime_s == st->st_mtim.tv_sec && e->mtime_ns == st->st_mtim.tv_nsec && e->ctime_s == st->st_ctim.tv_sec
         && e->ctime_ns == st->st_ctim.tv_nsec;
}

/* The sha256 of regular file NAME in DIRFD (relative path PATH); NAME
   NULL: PATH itself, resolved in the context's root (a source reached
   through a symlink).  */
static int
file_sha (struct cc_bld_context *c, int dirfd, const char *name, const char *path, const struct stat *st,
          const char **sha, cc_error_t *err)
{
  struct stat_entry *e = cache_find (c, path);
  cleanup_close int fd = -1;
  char *got = NULL;
  time_t now = time (NULL);

  if (e && same_stat (e, st))
    {
      e->used = true;
      *sha = e->sha;
      return 0;
    }
  fd = name ? openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
            : cc_bld_open_in_root (c->fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return cc_error_make (err, errno, "open `%s` in the build context", path);
  if (cc_bld_hash_fd (fd, &got, err) < 0)
    return cc_error_wrap (err, "`%s` in the build context", path);
  if (e == NULL)
    e = cache_add (c, path);
  free (e->sha);
  e->sha = got;
  e->used = true;
  *sha = got;
  e->dev = e->ino = 0;
  /* Written in the last seconds: it could change again within the same
     timestamp, so it is hashed again next time.  */
  if (now - st->st_mtim.tv_sec < RACY_S || now - st->st_ctim.tv_sec < RACY_S)
    return 0;
  e->dev = st->st_dev;
  e->ino = st->st_ino;
  e->size = (uint64_t)st->st_size;
  e->mtime_s = st->st_mtim.tv_sec;
  e->mtime_ns = st->st_mtim.tv_nsec;
  e->ctime_s = st->st_ctim.tv_sec;
  e->ctime_ns = st->st_ctim.tv_nsec;
  c->dirty = true;
  return 0;
}

/* ---- digests ------------------------------------------------------------- */

struct digest_walk
{
  struct cc_bld_context *c;
  struct cc_bld_vec lines;
};

static void
add_line (struct digest_walk *w, const char *path, mode_t mode, const char *link, const char *sha)
{
  cc_bld_vec_push (&w->lines, xasprintf ("%zu:%s|%o|%zu:%s|%s", strlen (path), path, (unsigned)mode,
                                         link ? strlen (link) : 0, link ? link : "", sha ? sha : "-"));
}

static int digest_dir (struct digest_walk *w, int fd, const char *path, const struct cc_dockerignore_state *st,
                       cc_error_t *err);

static int
digest_entry (struct digest_walk *w, int dirfd, const char *name, const char *path,
              const struct cc_dockerignore_state *parent, cc_error_t *err)
{
  struct stat st;
  bool excluded = false;
  struct cc_dockerignore_state own = { NULL };
  char link[4097];
  int ret = 0;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return cc_error_make (err, errno, "stat `%s` in the build context", path);
  if (w->c->ignore
      && cc_dockerignore_walk (w->c->ignore, path, parent, &excluded, S_ISDIR (st.st_mode) ? &own : NULL, err) < 0)
    return -1;
  if (excluded && S_ISDIR (st.st_mode) && cc_dockerignore_can_skip_dir (w->c->ignore, path))
    {
      cc_dockerignore_state_release (&own);
      return 0;
    }
  if (S_ISDIR (st.st_mode))
    {
      cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (! excluded)
        add_line (w, path, st.st_mode, NULL, NULL);
      ret = fd < 0 ? cc_error_make (err, errno, "open `%s` in the build context", path)
                   : digest_dir (w, fd, path, &own, err);
      cc_dockerignore_state_release (&own);
      return ret;
    }
  if (excluded)
    return 0;
  if (S_ISREG (st.st_mode))
    {
      const char *sha = NULL;
      if (file_sha (w->c, dirfd, name, path, &st, &sha, err) < 0)
        return -1;
      add_line (w, path, st.st_mode, NULL, sha);
      return 0;
    }
  if (S_ISLNK (st.st_mode))
    {
      ssize_t n = readlinkat (dirfd, name, link, sizeof (link) - 1);
      if (n < 0)
        return cc_error_make (err, errno, "readlink `%s` in the build context", path);
      link[n] = '\0';
      add_line (w, path, st.st_mode, link, NULL);
      return 0;
    }
  add_line (w, path, st.st_mode, NULL, NULL);
  return 0;
}

static int
digest_dir (struct digest_walk *w, int fd, const char *path, const struct cc_dockerignore_state *st, cc_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  cleanup_close int dup_fd = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct dirent *de;

  if (dup_fd < 0 || (d = fdopendir (dup_fd)) == NULL)
    return cc_error_make (err, errno, "read `%s` in the build context", *path ? path : ".");
  dup_fd = -1;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *child = NULL;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      child = join_rel (path, de->d_name);
      if (digest_entry (w, dirfd (d), de->d_name, child, st, err) < 0)
        return -1;
    }
  return 0;
}

int
cc_bld_ignore_state (const struct cc_dockerignore *ig, const char *path, struct cc_dockerignore_state *out,
                     cc_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);
  struct cc_dockerignore_state st = { NULL };
  bool excluded = false;

  memset (out, 0, sizeof (*out));
  if (ig == NULL || *path == '\0')
    return 0;
  for (char *p = copy;; p++)
    if (*p == '/' || *p == '\0')
      {
        char saved = *p;
        struct cc_dockerignore_state next = { NULL };
        *p = '\0';
        if (cc_dockerignore_walk (ig, copy, &st, &excluded, &next, err) < 0)
          {
            cc_dockerignore_state_release (&st);
            return -1;
          }
        cc_dockerignore_state_release (&st);
        st = next;
        if (saved == '\0')
          break;
        *p = saved;
      }
  *out = st;
  return 0;
}

/* A matched source: followed if it is a symlink (BuildKit follows the
   source path itself), then walked without following anything.  */
static int
digest_source (struct digest_walk *w, const char *path, cc_error_t *err)
{
  cleanup_close int fd = cc_bld_open_in_root (w->c->fd, path, O_PATH);
  struct cc_dockerignore_state st = { NULL };
  struct stat sb;
  int ret;

  if (fd < 0 || fstat (fd, &sb) < 0)
    return cc_error_make (err, errno, "\"/%s\": not found", path);
  if (S_ISREG (sb.st_mode))
    {
      const char *sha = NULL;
      if (file_sha (w->c, -1, NULL, path, &sb, &sha, err) < 0)
        return -1;
      add_line (w, path, sb.st_mode, NULL, sha);
      return 0;
    }
  if (! S_ISDIR (sb.st_mode))
    {
      add_line (w, path, sb.st_mode, NULL, NULL);
      return 0;
    }
  {
    cleanup_close int dfd = cc_bld_open_in_root (w->c->fd, path, O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
      return cc_error_make (err, errno, "open `%s` in the build context", path);
    if (cc_bld_ignore_state (w->c->ignore, path, &st, err) < 0)
      return -1;
    add_line (w, path, sb.st_mode, NULL, NULL);
    ret = digest_dir (w, dfd, path, &st, err);
    cc_dockerignore_state_release (&st);
  }
  return ret;
}

int
cc_bld_context_digest (struct cc_bld_context *c, const char *pattern, char **digest, cc_error_t *err)
{
  cleanup_strv char **hits = NULL;
  struct digest_walk w = { .c = c };
  char **lines;
  int ret = 0;

  if (cc_bld_expand (c->fd, c->ignore, pattern, &hits, err) < 0)
    return -1;
  if (hits[0] == NULL)
    return cc_error_make (err, ENOENT, "\"%s\": not found", pattern);
  for (char **h = hits; *h && ret == 0; h++)
    ret = digest_source (&w, *h, err);
  lines = cc_bld_vec_steal (&w.lines);
  if (ret == 0)
    *digest = cc_builder_tree_digest (lines, cc_strv_len (lines));
  cc_strv_free (lines);
  return ret;
}

/* ---- open and close ------------------------------------------------------- */

int
cc_bld_context_open (const char *dir, struct cc_dockerignore *ignore, struct cc_bld_context **out, cc_error_t *err)
{
  struct cc_bld_context *c = xzalloc (sizeof (*c));
  cleanup_free char *real = realpath (dir, NULL);
  cleanup_free char *tag = NULL;

  c->fd = -1;
  c->ignore = ignore;
  c->n_buckets = 4096;
  c->buckets = xzalloc (c->n_buckets * sizeof (*c->buckets));
  *out = c;
  if (real == NULL)
    return cc_error_make (err, errno, "build context `%s`", dir);
  c->dir = xstrdup (real);
  c->fd = open (real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c->fd < 0)
    return cc_error_make (err, errno, "open the build context `%s`", dir);
  tag = cc_bld_hash_data (real, strlen (real));
  c->cache_path = cc_paths_builder ("context/%.32s", tag + 7);
  cache_load (c);
  return 0;
}

void
cc_bld_context_close (struct cc_bld_context *c)
{
  if (c == NULL)
    return;
  if (c->cache_path)
    cache_save (c);
  for (size_t i = 0; i < c->n_buckets; i++)
    for (struct stat_entry *e = c->buckets[i], *next; e; e = next)
      {
        next = e->next;
        free (e->path);
        free (e->sha);
        free (e);
      }
  free (c->buckets);
  if (c->fd >= 0)
    close (c->fd);
  if (c->ignore)
    cc_dockerignore_free (c->ignore);
  free (c->cache_path);
  free (c->dir);
  free (c);
}

int
cc_bld_context_fd (const struct cc_bld_context *c)
{
  return c->fd;
}

const char *
cc_bld_context_dir (const struct cc_bld_context *c)
{
  return c->dir;
}

const struct cc_dockerignore *
cc_bld_context_ignore (const struct cc_bld_context *c)
{
  return c->ignore;
}
