/* Removing a tree that a container (or a layer, or a user) wrote.

   The walk is iterative and holds at most three descriptors whatever the
   depth: a recursive walk kept one per level, so a container that made
   a 60,000-level tree had `down` fail with EMFILE, leave the tree, and
   print the failure once per level (issue 12, item 5).  Each directory
   is read once: its files go at once, its subdirectories are listed,
   and the walk descends into them one by one by name.  It climbs back
   through "..", checked against the device and inode recorded on the
   way down, so a directory moved away meanwhile stops the walk instead
   of sending it elsewhere.

   Never followed: a symlink (removed as a link; O_NOFOLLOW on every
   open).  Never entered: another mount (a bind mount's contents are the
   user's data), told by the mount id where the kernel reports one, else
   by the device.  Directories without permission bits (an overlay work
   dir is d---------) are given u+rwx first, without following a link.
   Only the first failure is reported, with its path; the ones it causes
   (every ancestor of a kept directory is not empty) are not.  */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "file.h"
#include "xalloc.h"

struct id
{
  dev_t dev;
  ino_t ino;
  uint64_t mnt; /* 0: the kernel does not say */
  mode_t mode;
};

struct level
{
  char *name; /* in its parent; NULL for the root */
  struct id id;
  char **subdirs; /* still to remove */
  size_t n_subdirs, cap_subdirs;
};

struct walk
{
  const char *root;
  struct id top;
  struct level *levels;
  size_t depth, cap;
  cc_error_t first;
  size_t more;    /* failures after the first */
  size_t refills; /* directories found refilled, emptied again */
};

static int
identify (int fd, struct id *id)
{
  struct statx stx;

  if (statx (fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_INO | STATX_MNT_ID, &stx) < 0)
    return -1;
  id->dev = makedev (stx.stx_dev_major, stx.stx_dev_minor);
  id->ino = stx.stx_ino;
  id->mnt = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
  id->mode = stx.stx_mode;
  return 0;
}

static bool
same_mount (const struct id *a, const struct id *b)
{
  if (a->mnt && b->mnt)
    return a->mnt == b->mnt;
  return a->dev == b->dev;
}

/* The path of NAME in the current directory, for messages: at most a few
   components of a deep tree, and how many were left out.  */
#define SHOWN_AT_EACH_END 3

static char *
display_path (const struct walk *w, const char *name)
{
  struct cc_buf b = { 0 };
  size_t n = w->depth; /* levels[1..n) have names */

  cc_buf_puts (&b, w->root);
  for (size_t i = 1; i < n; i++)
    {
      if (n - 1 > 2 * SHOWN_AT_EACH_END && i == SHOWN_AT_EACH_END + 1)
        {
          size_t hidden = n - 1 - 2 * SHOWN_AT_EACH_END;
          cc_buf_printf (&b, "/...(%zu more levels)...", hidden);
          i += hidden - 1;
          continue;
        }
      cc_buf_printf (&b, "/%s", w->levels[i].name);
    }
  if (name)
    cc_buf_printf (&b, "/%s", name);
  return cc_buf_steal (&b);
}

/* Record a failure at NAME of the current directory (NULL: the directory
   itself), as "BEFORE`PATH`AFTER".  */
static void
failed (struct walk *w, int status, const char *before, const char *name, const char *after)
{
  cleanup_free char *path = NULL;

  if (w->first)
    {
      /* The ancestors of what could not go cannot go either.  */
      if (status != ENOTEMPTY)
        w->more++;
      return;
    }
  path = display_path (w, name);
  cc_error_make (&w->first, status, "%s`%s`%s", before, path, after);
}

static void
add_subdir (struct level *l, const char *name)
{
  if (l->n_subdirs == l->cap_subdirs)
    {
      l->cap_subdirs = l->cap_subdirs ? 2 * l->cap_subdirs : 4;
      l->subdirs = xreallocarray (l->subdirs, l->cap_subdirs, sizeof (char *));
    }
  l->subdirs[l->n_subdirs++] = xstrdup (name);
}

static void
level_release (struct level *l)
{
  for (size_t i = 0; i < l->n_subdirs; i++)
    free (l->subdirs[i]);
  free (l->subdirs);
  free (l->name);
  memset (l, 0, sizeof (*l));
}

static void
walk_release (struct walk *w)
{
  while (w->depth > 0)
    level_release (&w->levels[--w->depth]);
  free (w->levels);
  cc_error_release (&w->first);
}
#define cleanup_walk __attribute__ ((cleanup (walk_release)))

static void
push_level (struct walk *w, const char *name, const struct id *id)
{
  if (w->depth == w->cap)
    {
      w->cap = w->cap ? 2 * w->cap : 16;
      w->levels = xreallocarray (w->levels, w->cap, sizeof (*w->levels));
    }
  w->levels[w->depth++] = (struct level){ .name = name ? xstrdup (name) : NULL, .id = *id };
}

static void
pop_level (struct walk *w)
{
  level_release (&w->levels[--w->depth]);
}

static bool
is_dot (const char *name)
{
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

static void
unlink_entry (struct walk *w, int fd, const char *name)
{
  if (unlinkat (fd, name, 0) == 0 || errno == ENOENT)
    return;
  if (errno == EISDIR)
    add_subdir (&w->levels[w->depth - 1], name);
  else if (errno == EBUSY)
    failed (w, EBUSY, "", name, " is a mount point");
  else
    failed (w, errno, "unlink ", name, "");
}

/* Remove the files of the top level, open as FD, and list its
   subdirectories.  Owner rwx first, so that this works without
   CAP_DAC_OVERRIDE too.  */
static void
empty_level (struct walk *w, int fd)
{
  const struct id *id = &w->levels[w->depth - 1].id;
  int copy;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if ((id->mode & S_IRWXU) != S_IRWXU)
    fchmod (fd, (id->mode & 07777) | S_IRWXU);
  copy = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  d = copy >= 0 ? fdopendir (copy) : NULL;
  if (d == NULL)
    {
      failed (w, errno, "open ", NULL, "");
      if (copy >= 0)
        close (copy);
      return;
    }
  for (errno = 0; (de = readdir (d)) != NULL; errno = 0)
    {
      if (is_dot (de->d_name))
        continue;
      if (de->d_type == DT_DIR)
        add_subdir (&w->levels[w->depth - 1], de->d_name);
      else
        unlink_entry (w, fd, de->d_name);
    }
  if (errno != 0)
    failed (w, errno, "read ", NULL, "");
}

/* A directory we may not read or search: u+rwx through an O_PATH
   descriptor, which follows no link, then open it.  */
static int
open_locked_dir (int parent, const char *name, const struct id *top)
{
  cleanup_close int path_fd = openat (parent, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  char proc_path[64];
  struct id id;

  if (path_fd < 0 || identify (path_fd, &id) < 0)
    return -1;
  if (top && ! same_mount (&id, top))
    {
      errno = EACCES;
      return -1;
    }
  snprintf (proc_path, sizeof (proc_path), "/proc/self/fd/%d", path_fd);
  if (chmod (proc_path, (id.mode & 07777) | S_IRWXU) < 0)
    {
      errno = EACCES;
      return -1;
    }
  return openat (path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Open the subdirectory NAME of the top level FD to descend into it, or
   deal with what it turned out to be.  */
static int
enter (struct walk *w, int fd, const char *name, struct id *id)
{
  cleanup_close int child = openat (fd, name, O_RDONLY | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);

  if (child < 0 && errno == EACCES)
    child = open_locked_dir (fd, name, &w->top);
  if (child < 0)
    {
      /* Gone, or replaced by a link or a file since it was listed.  */
      if (errno == ELOOP || errno == ENOTDIR)
        unlink_entry (w, fd, name);
      else if (errno != ENOENT)
        failed (w, errno, "open ", name, "");
      return -1;
    }
  if (identify (child, id) < 0)
    {
      failed (w, errno, "stat ", name, "");
      return -1;
    }
  if (! same_mount (id, &w->top))
    {
      failed (w, EBUSY, "", name, " is a mount point");
      return -1;
    }
  return get_and_reset (&child);
}

/* The parent of the top level FD, which must be the directory recorded
   on the way down.  */
static int
climb (struct walk *w, int fd)
{
  const struct id *want = &w->levels[w->depth - 2].id;
  cleanup_close int parent = openat (fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct id got;

  if (parent < 0 || identify (parent, &got) < 0)
    {
      failed (w, errno, "open the parent of ", NULL, "");
      return -1;
    }
  if (got.dev != want->dev || got.ino != want->ino)
    {
      failed (w, ESTALE, "", NULL, " was moved while it was being removed");
      return -1;
    }
  return get_and_reset (&parent);
}

/* A writer may add to a directory while it is emptied (a hosts file
   rewritten for a container that is going): emptied again, a few times
   at most.  */
#define MAX_REFILLS 8

static bool
is_refilled (struct walk *w, int status)
{
  return status == ENOTEMPTY && w->first == NULL && w->refills++ < MAX_REFILLS;
}

/* Descend into the next subdirectory of the top level, or, when none is
   left, climb to its parent and remove it there.  *FD follows; false
   when the walk is over (back at the root, or unable to climb).  */
static bool
step (struct walk *w, int *fd)
{
  struct level *top = &w->levels[w->depth - 1];
  struct id id;
  int next;

  while (top->n_subdirs > 0)
    {
      cleanup_free char *name = top->subdirs[--top->n_subdirs];

      next = enter (w, *fd, name, &id);
      if (next < 0)
        continue;
      close (*fd);
      *fd = next;
      push_level (w, name, &id);
      empty_level (w, *fd);
      return true;
    }
  if (w->depth == 1 || (next = climb (w, *fd)) < 0)
    return false;
  close (*fd);
  *fd = next;
  if (unlinkat (*fd, top->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    {
      int saved = errno;
      cleanup_free char *name = steal_pointer (&top->name);

      pop_level (w);
      if (is_refilled (w, saved))
        add_subdir (&w->levels[w->depth - 1], name);
      else
        failed (w, saved, "rmdir ", name, "");
      return true;
    }
  pop_level (w);
  return true;
}

/* One pass over the tree; false when it must be made again.  */
static bool
remove_once (struct walk *w, const char *path)
{
  cleanup_close int fd = open (path, O_RDONLY | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 && errno == EACCES)
    fd = open_locked_dir (AT_FDCWD, path, NULL);
  if (fd < 0)
    {
      if (errno != ENOENT)
        failed (w, errno, "open ", NULL, "");
      return true;
    }
  if (identify (fd, &w->top) < 0)
    {
      failed (w, errno, "stat ", NULL, "");
      return true;
    }
  push_level (w, NULL, &w->top);
  empty_level (w, fd);
  while (step (w, &fd))
    ;
  if (w->depth > 1)
    return true;
  pop_level (w);
  close (get_and_reset (&fd));
  if (rmdir (path) == 0 || errno == ENOENT)
    return true;
  if (is_refilled (w, errno))
    return false;
  failed (w, errno, "rmdir ", NULL, "");
  return true;
}

int
cc_rm_rf (const char *path, cc_error_t *err)
{
  cleanup_walk struct walk w = { .root = path };
  struct stat st;

  if (lstat (path, &st) < 0)
    return errno == ENOENT ? 0 : cc_error_make (err, errno, "stat `%s`", path);
  if (! S_ISDIR (st.st_mode))
    {
      if (unlink (path) == 0 || errno == ENOENT)
        return 0;
      if (errno == EBUSY)
        return cc_error_make (err, EBUSY, "`%s` is a mount point", path);
      return cc_error_make (err, errno, "unlink `%s`", path);
    }
  while (! remove_once (&w, path))
    ;
  if (w.first == NULL)
    return 0;
  if (w.more > 0)
    {
      char *msg = xasprintf ("%s (and %zu more failures)", w.first->msg, w.more);
      free (w.first->msg);
      w.first->msg = msg;
    }
  if (err)
    *err = steal_pointer (&w.first);
  return -1;
}
