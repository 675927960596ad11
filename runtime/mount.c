/* The container's root: overlay or bind, /proc, /sys, /dev, user mounts,
   masked and read-only paths, the /etc files, pivot_root.  Runs in the
   container child, inside its new mount namespace, so nothing here is
   ever visible on the host and nothing is left behind when it dies.

   Every target inside the root is opened through a directory fd with
   openat2 (RESOLVE_IN_ROOT) and mounted on through /proc/self/fd/N: an
   image's symlink (/etc -> /host/etc, /proc -> /) can never redirect a
   mount outside the root.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/mountinfo.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

/* Docker's lists (daemon/pkg/oci/defaults.go): kernel interfaces that
   leak host data or allow host changes from a container.  */
const char *const cc_masked_paths[] = {
  "/proc/acpi",
  "/proc/asound",
  "/proc/interrupts",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/sys/devices/virtual/powercap",
  "/sys/firmware",
  NULL,
};
const char *const cc_readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static int
openat2_in_root (int rootfd, const char *path, int flags, mode_t mode)
{
  struct open_how how = {
    .flags = (uint64_t)(flags | O_CLOEXEC),
    .mode = (flags & O_CREAT) ? mode : 0,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };

  return (int)syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
}

/* Without openat2 (kernels before 5.6): walk the components and refuse
   any symlink, which is stricter but never unsafe.  */
static int
open_walk_nofollow (int rootfd, const char *path, int flags, mode_t mode)
{
  cleanup_strv char **parts = cc_strv_split (path, '/', true);
  int cur = dup (rootfd);

  for (size_t i = 0; parts[i] && cur >= 0; i++)
    {
      bool last = parts[i + 1] == NULL;
      int f = last ? flags | O_NOFOLLOW : O_PATH | O_DIRECTORY | O_NOFOLLOW;
      int next;
      if (strcmp (parts[i], "..") == 0)
        {
          close (cur);
          errno = EPERM;
          return -1;
        }
      next = openat (cur, parts[i], f | O_CLOEXEC, mode);
      close (cur);
      cur = next;
    }
  return cur;
}

int
cc_open_in_root (int rootfd, const char *path, int flags, mode_t mode, cc_error_t *err)
{
  const char *rel = path;
  int fd;

  while (*rel == '/')
    rel++;
  if (*rel == '\0')
    rel = ".";
  fd = openat2_in_root (rootfd, rel, flags, mode);
  if (fd < 0 && errno == ENOSYS)
    fd = open_walk_nofollow (rootfd, rel, flags, mode);
  if (fd < 0)
    return cc_error_make (err, errno, "open `%s` in the container root", path);
  return fd;
}

static int
create_component (int parentfd, const char *name, bool is_dir)
{
  if (is_dir)
    return mkdirat (parentfd, name, 0755) < 0 && errno != EEXIST ? -1 : 0;
  int fd = openat (parentfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno == EEXIST ? 0 : -1;
  close (fd);
  return 0;
}

/* PATH with its component I replaced by the target of the symlink found
   there (relative to the directory holding it), and the rest appended;
   lexically cleaned, so it can never climb above the root.  */
static char *
follow_dangling (int dirfd, char **parts, size_t i, const char *prefix)
{
  char target[4096];
  ssize_t n = readlinkat (dirfd, parts[i], target, sizeof (target) - 1);
  cleanup_free char *dir = NULL, *rest = NULL, *joined = NULL;

  if (n <= 0)
    return NULL;
  target[n] = '\0';
  dir = cc_path_dirname (prefix);
  rest = cc_strv_join (parts + i + 1, "/");
  joined = target[0] == '/' ? xasprintf ("%s/%s", target, rest) : xasprintf ("%s/%s/%s", dir, target, rest);
  return cc_path_clean (joined);
}

/* A component that exists but cannot be opened is a dangling symlink
   (an image's /etc/resolv.conf -> ../run/...): make its target instead,
   inside the root, as runc does for mount targets.  */
static int
mkpath_in_root (int rootfd, const char *path, bool is_dir, int depth, cc_error_t *err)
{
  cleanup_strv char **parts = cc_strv_split (path, '/', true);
  cleanup_free char *prefix = xstrdup ("");
  cleanup_close int cur = dup (rootfd);

  for (size_t i = 0; parts[i]; i++)
    {
      bool last = parts[i + 1] == NULL;
      char *next_prefix = xasprintf ("%s/%s", prefix, parts[i]);
      int fd;

      free (prefix);
      prefix = next_prefix;
      fd = openat2_in_root (rootfd, prefix, O_PATH, 0);
      if (fd < 0 && errno == ENOENT)
        {
          if (create_component (cur, parts[i], ! last || is_dir) < 0)
            return cc_error_make (err, errno, "create `%s` in the container root", prefix);
          fd = openat2_in_root (rootfd, prefix, O_PATH, 0);
        }
      if (fd < 0 && errno == ENOENT && depth < 8)
        {
          cleanup_free char *target = follow_dangling (cur, parts, i, prefix);
          if (target)
            return mkpath_in_root (rootfd, target, is_dir, depth + 1, err);
        }
      if (fd < 0)
        return cc_error_make (err, errno, "open `%s` in the container root", prefix);
      close (cur);
      cur = fd;
    }
  return get_and_reset (&cur);
}

int
cc_mkpath_in_root (int rootfd, const char *path, bool is_dir, cc_error_t *err)
{
  return mkpath_in_root (rootfd, path, is_dir, 0, err);
}

static const struct
{
  const char *name;
  unsigned long set, clear;
  bool propagation;
} mount_flags[] = {
  { "ro", MS_RDONLY, 0, false },
  { "rw", 0, MS_RDONLY, false },
  { "nosuid", MS_NOSUID, 0, false },
  { "suid", 0, MS_NOSUID, false },
  { "nodev", MS_NODEV, 0, false },
  { "dev", 0, MS_NODEV, false },
  { "noexec", MS_NOEXEC, 0, false },
  { "exec", 0, MS_NOEXEC, false },
  { "relatime", MS_RELATIME, 0, false },
  { "noatime", MS_NOATIME, 0, false },
  { "strictatime", MS_STRICTATIME, 0, false },
  { "bind", 0, 0, false },
  { "rbind", 0, 0, false },
  /* bind.recursive (read by mount_bind): `disabled` binds without the
     source's submounts, `writable` makes only the top mount read-only.  */
  { "norbind", 0, 0, false },
  { "ro-top", 0, 0, false },
  { "private", MS_PRIVATE, 0, true },
  { "rprivate", MS_PRIVATE | MS_REC, 0, true },
  { "slave", MS_SLAVE, 0, true },
  { "rslave", MS_SLAVE | MS_REC, 0, true },
  { "shared", MS_SHARED, 0, true },
  { "rshared", MS_SHARED | MS_REC, 0, true },
};

/* tmpfs options passed through as mount data.  */
static const char *const data_options[] = { "size=", "mode=", "uid=", "gid=", "nr_inodes=", "nr_blocks=" };

static bool
is_data_option (const char *o)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (data_options); i++)
    if (strncmp (o, data_options[i], strlen (data_options[i])) == 0)
      return strchr (o, ',') == NULL;
  return false;
}

int
cc_mount_parse_options (char *const *options, unsigned long *flags, unsigned long *propagation, char **data,
                        bool *create_host_path, cc_error_t *err)
{
  cleanup_free char *d = NULL;

  *flags = 0;
  *propagation = 0;
  *create_host_path = false;
  for (char *const *o = options; o && *o; o++)
    {
      size_t i;
      if (strcmp (*o, "create_host_path") == 0)
        {
          *create_host_path = true;
          continue;
        }
      /* Read where the source is opened (open_source).  */
      if (strncmp (*o, "subpath=", 8) == 0)
        continue;
      if (is_data_option (*o))
        {
          char *n = d ? xasprintf ("%s,%s", d, *o) : xstrdup (*o);
          free (d);
          d = n;
          continue;
        }
      for (i = 0; i < CC_N_ELEMENTS (mount_flags); i++)
        if (strcmp (mount_flags[i].name, *o) == 0)
          break;
      if (i == CC_N_ELEMENTS (mount_flags))
        return cc_error_make (err, EINVAL, "unknown mount option `%s`", *o);
      if (mount_flags[i].propagation)
        *propagation = mount_flags[i].set;
      else
        *flags = (*flags | mount_flags[i].set) & ~mount_flags[i].clear;
    }
  *data = steal_pointer (&d);
  return 0;
}

static int
mount_fd (const char *source, int targetfd, const char *type, unsigned long flags, const char *data, const char *what,
          cc_error_t *err)
{
  char target[64];

  snprintf (target, sizeof (target), "/proc/self/fd/%d", targetfd);
  if (mount (source, target, type, flags, data) < 0)
    return cc_error_make (err, errno, "mount %s on `%s`", type ? type : "bind", what);
  return 0;
}

/* Bind mounts ignore most flags on the first call: apply them with a
   remount of the new mount point (read-only binds, nosuid...).  */
static int
remount_bind (int fd, unsigned long flags, const char *what, cc_error_t *err)
{
  if ((flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) == 0)
    return 0;
  return mount_fd (NULL, fd, NULL, MS_REMOUNT | MS_BIND | flags, NULL, what, err);
}

struct fs_mount
{
  const char *target;
  const char *type;
  unsigned long flags;
  const char *data;
};

static int
mount_fs (int rootfd, const struct fs_mount *m, cc_error_t *err)
{
  cleanup_close int fd = cc_mkpath_in_root (rootfd, m->target, true, err);

  if (fd < 0)
    return -1;
  return mount_fd (m->type, fd, m->type, m->flags, m->data, m->target, err);
}

/* /sys/fs/cgroup as Docker shows it: the container's own cgroups (the
   cgroup namespace makes them the root), read-only.  v2: one cgroup2
   mount.  v1 and hybrid: a tmpfs holding one mount per controller
   hierarchy the host has, with the host's option sets (co-mounted
   controllers must be mounted together) and its compatibility links.
   Named hierarchies (name=systemd) are not ours and stay out.  */
struct cgroup_fs
{
  char *dir;  /* basename under /sys/fs/cgroup */
  char *opts; /* controllers, e.g. "cpu,cpuacct" */
};

static void
cgroup_fs_free (struct cgroup_fs *fs)
{
  for (struct cgroup_fs *f = fs; f && f->dir; f++)
    {
      free (f->dir);
      free (f->opts);
    }
  free (fs);
}

struct cgroup_fs_list
{
  struct cgroup_fs *fs;
  size_t n;
};

/* A v1 hierarchy mounted directly under /sys/fs/cgroup.  */
static void
add_cgroup_v1 (const struct cc_mountpoint *m, void *data)
{
  struct cgroup_fs_list *l = data;
  const char *opts = m->super_options;

  if (strcmp (m->fstype, "cgroup") != 0 || strstr (opts, "name="))
    return;
  if (strncmp (m->target, "/sys/fs/cgroup/", 15) != 0 || strchr (m->target + 15, '/'))
    return;
  if (strncmp (opts, "rw,", 3) == 0 || strncmp (opts, "ro,", 3) == 0)
    opts += 3;
  l->fs = xreallocarray (l->fs, l->n + 2, sizeof (*l->fs));
  l->fs[l->n].dir = xstrdup (m->target + 15);
  l->fs[l->n].opts = xstrdup (opts);
  memset (&l->fs[++l->n], 0, sizeof (*l->fs));
}

/* The v1 hierarchies mounted directly under /sys/fs/cgroup.  */
static struct cgroup_fs *
host_cgroup_v1 (void)
{
  struct cgroup_fs_list l = { .fs = xzalloc (sizeof (*l.fs)) };

  cc_mountinfo_each (add_cgroup_v1, &l, NULL);
  return l.fs;
}

static void
copy_cgroup_links (int cgfd)
{
  cleanup_dir DIR *d = opendir ("/sys/fs/cgroup");
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    {
      char target[256];
      ssize_t n;
      if (de->d_type != DT_LNK)
        continue;
      n = readlinkat (dirfd (d), de->d_name, target, sizeof (target) - 1);
      if (n <= 0 || memchr (target, '/', (size_t)n))
        continue;
      target[n] = '\0';
      symlinkat (target, cgfd, de->d_name);
    }
}

static int mount_bind (int rootfd, const struct cc_runtime_mount *m, int tree, unsigned long flags,
                       unsigned long propagation, bool create, cc_error_t *err);

/* `cgroup: host` keeps the host's cgroup namespace, in which a cgroup
   mount would show the host's whole hierarchy: bind the container's own
   cgroup there instead, as runc does without a cgroup namespace.  A
   hierarchy the container has no cgroup of its own in stays empty.  */
static int
bind_own_cgroup (int rootfd, const char *hierarchy, const char *target, const char *cgname, unsigned long ro,
                 cc_error_t *err)
{
  cleanup_free char *source = xasprintf ("%s/%s", hierarchy, cgname);
  struct cc_runtime_mount m = { .type = (char *)"bind", .source = source, .target = (char *)target };

  if (! cc_is_dir (source))
    return 0;
  return mount_bind (rootfd, &m, -1, ro | MS_NOSUID | MS_NOEXEC | MS_NODEV, 0, false, err);
}

static int
mount_cgroup_hierarchy (int rootfd, const struct cgroup_fs *f, const struct cc_mount_ctx *ctx, unsigned long ro,
                        cc_error_t *err)
{
  cleanup_free char *target = xasprintf ("/sys/fs/cgroup/%s", f->dir);
  const struct fs_mount m = { target, "cgroup", MS_NOSUID | MS_NOEXEC | MS_NODEV | ro, f->opts };

  if (ctx->spec->cgroupns_host)
    return bind_own_cgroup (rootfd, target, target, ctx->cgname, ro, err);
  return mount_fs (rootfd, &m, err);
}

static int
mount_cgroup_v1 (int rootfd, const struct cc_mount_ctx *ctx, unsigned long ro, cc_error_t *err)
{
  const struct fs_mount tmp = { "/sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=755" };
  struct cgroup_fs *fs = host_cgroup_v1 ();
  cleanup_close int cgfd = -1;
  int ret = 0;

  if (mount_fs (rootfd, &tmp, err) < 0)
    {
      cgroup_fs_free (fs);
      return -1;
    }
  cgfd = cc_open_in_root (rootfd, "/sys/fs/cgroup", O_RDONLY | O_DIRECTORY, 0, err);
  for (struct cgroup_fs *f = fs; ret == 0 && cgfd >= 0 && f->dir; f++)
    ret = mount_cgroup_hierarchy (rootfd, f, ctx, ro, err);
  cgroup_fs_free (fs);
  if (cgfd < 0 || ret < 0)
    return -1;
  copy_cgroup_links (cgfd);
  return mount_fd (NULL, cgfd, NULL, MS_REMOUNT | MS_NOSUID | MS_NOEXEC | MS_NODEV | ro, "mode=755", "/sys/fs/cgroup",
                   err);
}

static int
mount_cgroups (int rootfd, const struct cc_mount_ctx *ctx, cc_error_t *err)
{
  unsigned long ro = ctx->spec->privileged ? 0 : MS_RDONLY;

  if (strcmp (cc_cgroup_ops_get ()->name, "v2") == 0)
    {
      const struct fs_mount m = { "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NOEXEC | MS_NODEV | ro, NULL };
      if (ctx->spec->cgroupns_host)
        return bind_own_cgroup (rootfd, "/sys/fs/cgroup", "/sys/fs/cgroup", ctx->cgname, ro, err);
      return mount_fs (rootfd, &m, err);
    }
  return mount_cgroup_v1 (rootfd, ctx, ro, err);
}

/* ipc: service:x shares x's /dev/shm, ipc: host the host's
   (cc_ns_shares_open cloned it).  */
static int
attach_shared_shm (int rootfd, int tree, cc_error_t *err)
{
  cleanup_close int target = cc_mkpath_in_root (rootfd, "/dev/shm", true, err);

  if (target < 0)
    return -1;
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return cc_error_make (err, errno, "attach the shared /dev/shm");
  return 0;
}

static int
mount_proc_and_dev (int rootfd, const struct cc_mount_ctx *ctx, cc_error_t *err)
{
  const struct cc_runtime_spec *s = ctx->spec;
  cleanup_free char *shm = xasprintf ("mode=1777,size=%lld", (long long)s->shm_size);
  const unsigned long sys_ro = s->privileged ? 0 : MS_RDONLY;
  const struct fs_mount fs[] = {
    { "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL },
    { "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k" },
  };
  const struct fs_mount under_dev[] = {
    { "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5" },
    { "/dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, shm },
    { "/dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL },
    { "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | sys_ro, NULL },
  };
  cleanup_close int devfd = -1;

  for (size_t i = 0; i < CC_N_ELEMENTS (fs); i++)
    if (mount_fs (rootfd, &fs[i], err) < 0)
      return -1;
  devfd = cc_open_in_root (rootfd, "/dev", O_RDONLY | O_DIRECTORY, 0, err);
  if (devfd < 0 || cc_dev_populate (devfd, s->resources.devices, err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (under_dev); i++)
    if (ctx->shm_tree >= 0 && strcmp (under_dev[i].target, "/dev/shm") == 0)
      {
        if (attach_shared_shm (rootfd, ctx->shm_tree, err) < 0)
          return -1;
      }
    else if (mount_fs (rootfd, &under_dev[i], err) < 0)
      return -1;
  return mount_cgroups (rootfd, ctx, err);
}

static int
prepare_host_source (const struct cc_runtime_mount *m, bool create, cc_error_t *err)
{
  if (cc_file_exists (m->source))
    return 0;
  if (! create)
    return cc_error_make (err, ENOENT, "bind source `%s` does not exist", m->source);
  return cc_mkdir_p (m->source, 0755, err);
}

/* A read-only bind is read-only all the way down, as in Docker 25: the
   remount above changes only its top mount, and every mount below the
   source (`/:/host:ro` brings the host's /proc, /sys, /dev/shm and
   cgroup mounts) would stay writable.  Private first, unless the mount
   asks for a propagation, so that a mount the host adds below the
   source later does not arrive writable.  */
static int
make_readonly_below (int fd, unsigned long propagation, const char *what, cc_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

  if (! propagation && mount_fd (NULL, fd, NULL, MS_PRIVATE | MS_REC, NULL, what, err) < 0)
    return -1;
  if (mount_setattr (fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) == 0)
    return 0;
  if (errno == ENOSYS)
    return cc_error_make (err, errno,
                          "make the bind on `%s` read-only below its top mount (mount_setattr needs Linux 5.12)", what);
  return cc_error_make (err, errno, "make the bind on `%s` read-only below its top mount", what);
}

static bool
has_option (char *const *options, const char *name)
{
  for (char *const *o = options; o && *o; o++)
    if (strcmp (*o, name) == 0)
      return true;
  return false;
}

/* The bind's source as a descriptor.  A volume's `subpath=` (issue 15)
   resolves beneath the source, so neither `..` nor a symlink a
   container planted in the volume (absolute, or climbing) leads out of
   it; the mount then goes through this descriptor, so nothing can swap
   a component between the check and the mount.  */
static int
open_source (const struct cc_runtime_mount *m, int *fd, cc_error_t *err)
{
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
  const char *sub = NULL;
  cleanup_close int root = -1;

  for (char *const *o = m->options; o && *o; o++)
    if (strncmp (*o, "subpath=", 8) == 0)
      sub = *o + 8;
  *fd = open (m->source, O_PATH | O_CLOEXEC);
  if (*fd < 0)
    return cc_error_make (err, errno, "open bind source `%s`", m->source);
  if (sub == NULL)
    return 0;
  root = get_and_reset (fd);
  *fd = (int)syscall (SYS_openat2, root, sub, &how, sizeof (how));
  if (*fd < 0)
    {
      /* A one-layer image's mount is a bind of its layer (mount_image).  */
      const char *what = strcmp (m->type, "image") == 0 ? "image" : "volume";
      return cc_error_make (err, errno, "%s subpath `%s` of `%s`%s%s", what, sub, m->source,
                            errno == EXDEV ? ": it leads out of the " : "", errno == EXDEV ? what : "");
    }
  return 0;
}

static bool
is_shared_bind (const struct cc_runtime_mount *m)
{
  return strcmp (m->type, "bind") == 0 && (has_option (m->options, "shared") || has_option (m->options, "rshared"));
}

/* A shared bind must stay a peer of the host's mount, so that what the
   container mounts below it reaches the host (and back), as with
   Docker's rshared.  cc_mount_rootfs makes `/` a recursive slave first;
   a bind made after that would be a slave.  So the source is cloned
   before, detached (open_tree keeps the clone in its peer group), and
   attached here.  */
static int
clone_shared_source (const struct cc_runtime_mount *m, int *tree, cc_error_t *err)
{
  unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
  bool create;
  unsigned long f, p;
  cleanup_free char *data = NULL;
  cleanup_close int source = -1;

  if (cc_mount_parse_options (m->options, &f, &p, &data, &create, err) < 0 || prepare_host_source (m, create, err) < 0
      || open_source (m, &source, err) < 0)
    return -1;
  if (! has_option (m->options, "norbind"))
    flags |= AT_RECURSIVE;
  *tree = open_tree (source, "", flags);
  if (*tree < 0)
    return cc_error_make (err, errno, "clone the mount of `%s`", m->source);
  return 0;
}

static int
attach_bind (const struct cc_runtime_mount *m, int tree, int source, int target, cc_error_t *err)
{
  char path[64];

  snprintf (path, sizeof (path), "/proc/self/fd/%d", source);
  if (tree < 0)
    return mount_fd (path, target, NULL, has_option (m->options, "norbind") ? MS_BIND : MS_BIND | MS_REC, NULL,
                     m->target, err);
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return cc_error_make (err, errno, "attach the bind on `%s`", m->target);
  return 0;
}

static int
mount_bind (int rootfd, const struct cc_runtime_mount *m, int tree, unsigned long flags, unsigned long propagation,
            bool create, cc_error_t *err)
{
  cleanup_close int target = -1, source = -1;
  struct stat st;

  if (tree < 0 && (prepare_host_source (m, create, err) < 0 || open_source (m, &source, err) < 0))
    return -1;
  /* A clone is attached after pivot, where the source's path means
     something else: ask the clone (or the source's descriptor).  */
  target
      = cc_mkpath_in_root (rootfd, m->target, fstat (tree >= 0 ? tree : source, &st) == 0 && S_ISDIR (st.st_mode), err);
  if (target < 0)
    return -1;
  if (attach_bind (m, tree, source, target, err) < 0)
    return -1;
  /* Reopen: the fd still names the directory under the new mount.  */
  close (target);
  target = cc_open_in_root (rootfd, m->target, O_PATH, 0, err);
  if (target < 0 || remount_bind (target, flags, m->target, err) < 0)
    return -1;
  if ((flags & MS_RDONLY) && ! has_option (m->options, "ro-top")
      && make_readonly_below (target, propagation, m->target, err) < 0)
    return -1;
  if (propagation && mount_fd (NULL, target, NULL, propagation, NULL, m->target, err) < 0)
    return -1;
  return 0;
}

/* `image.subpath` of an image mounted as an overlay on M->target: that
   directory bound over it.  It resolves beneath the image's root, so a
   symlink the image holds (to `/`, or climbing `../../etc`) cannot lead
   the mount out of the image (test-image-subpath.sh); the bind goes
   through the descriptor checked.  */
static int
narrow_to_subpath (int rootfd, const struct cc_runtime_mount *m, unsigned long flags, cc_error_t *err)
{
  struct open_how how
      = { .flags = O_PATH | O_CLOEXEC | O_DIRECTORY, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
  const char *sub = NULL;
  cleanup_close int top = -1, dir = -1;
  char path[64];

  for (char *const *o = m->options; o && *o; o++)
    if (strncmp (*o, "subpath=", 8) == 0)
      sub = *o + 8;
  if (sub == NULL)
    return 0;
  top = cc_open_in_root (rootfd, m->target, O_PATH, 0, err);
  if (top < 0)
    return -1;
  dir = (int)syscall (SYS_openat2, top, sub, &how, sizeof (how));
  if (dir < 0)
    return cc_error_make (err, errno, "image subpath `%s` on `%s`%s", sub, m->target,
                          errno == EXDEV ? ": it leads out of the image" : "");
  snprintf (path, sizeof (path), "/proc/self/fd/%d", dir);
  if (mount_fd (path, top, NULL, MS_BIND, NULL, m->target, err) < 0)
    return -1;
  close (top);
  top = cc_open_in_root (rootfd, m->target, O_PATH, 0, err);
  if (top < 0)
    return -1;
  return remount_bind (top, flags, m->target, err);
}

/* An image's files (compose `type: image`), never writable: its layers
   as a lower-only overlay.  overlayfs wants two lower layers at least
   when there is no upper one, so a one-layer image is a bind of it.  */
static int
mount_image (int rootfd, const struct cc_runtime_mount *m, unsigned long flags, cc_error_t *err)
{
  cleanup_free char *data = NULL;

  flags |= MS_RDONLY;
  if (strchr (m->source, ':') == NULL)
    return mount_bind (rootfd, m, -1, flags, 0, false, err);
  data = xasprintf ("lowerdir=%s", m->source);
  if (strlen (data) >= (size_t)sysconf (_SC_PAGESIZE))
    return cc_error_make (err, E2BIG, "image mount on `%s`: overlay options longer than a page", m->target);
  const struct fs_mount fs = { m->target, "overlay", flags, data };
  if (mount_fs (rootfd, &fs, err) < 0)
    return -1;
  return narrow_to_subpath (rootfd, m, flags, err);
}

static int
mount_user (int rootfd, const struct cc_runtime_mount *m, int tree, cc_error_t *err)
{
  unsigned long flags, propagation;
  cleanup_free char *data = NULL;
  bool create;

  if (cc_mount_parse_options (m->options, &flags, &propagation, &data, &create, err) < 0)
    return cc_error_wrap (err, "mount on `%s`", m->target);
  if (strcmp (m->type, "bind") == 0)
    return mount_bind (rootfd, m, tree, flags, propagation, create, err);
  if (strcmp (m->type, "image") == 0)
    return mount_image (rootfd, m, flags, err);
  const struct fs_mount fs = { m->target, "tmpfs", flags, data };
  return mount_fs (rootfd, &fs, err);
}

static int
bind_file (int rootfd, const char *source, const char *target, bool ro, cc_error_t *err)
{
  struct cc_runtime_mount m = { .type = (char *)"bind", .source = (char *)source, .target = (char *)target };

  return mount_bind (rootfd, &m, -1, ro ? MS_RDONLY | MS_NOSUID | MS_NODEV : 0, 0, false, err);
}

static int
mount_etc_files (int rootfd, const struct cc_mount_ctx *ctx, cc_error_t *err)
{
  const struct cc_runtime_spec *s = ctx->spec;
  const struct
  {
    const char *source, *target;
  } files[] = {
    { s->hosts_file, "/etc/hosts" },
    { s->resolv_conf, "/etc/resolv.conf" },
    { s->hostname_file, "/etc/hostname" },
  };

  for (size_t i = 0; i < CC_N_ELEMENTS (files); i++)
    if (files[i].source && bind_file (rootfd, files[i].source, files[i].target, s->read_only, err) < 0)
      return -1;
  if (ctx->init_path && bind_file (rootfd, ctx->init_path, "/dev/init", true, err) < 0)
    return -1;
  return 0;
}

/* A masked directory gets an empty read-only tmpfs, a masked file
   /dev/null: both read as empty, as in Docker.  */
static int
mask_path (int rootfd, const char *path, cc_error_t *err)
{
  cleanup_close int fd = openat2_in_root (rootfd, path + 1, O_PATH | O_NOFOLLOW, 0);
  struct stat st;

  if (fd < 0)
    return errno == ENOENT ? 0 : cc_error_make (err, errno, "open masked path `%s`", path);
  if (fstat (fd, &st) < 0)
    return cc_error_make (err, errno, "stat `%s`", path);
  if (S_ISDIR (st.st_mode))
    return mount_fd ("tmpfs", fd, "tmpfs", MS_RDONLY, "size=0,nr_inodes=1", path, err);
  /* The container's own /dev/null, made above.  */
  cleanup_close int null = cc_open_in_root (rootfd, "/dev/null", O_PATH, 0, err);
  char source[64];
  if (null < 0)
    return -1;
  snprintf (source, sizeof (source), "/proc/self/fd/%d", null);
  return mount_fd (source, fd, NULL, MS_BIND, NULL, path, err);
}

static int
readonly_path (int rootfd, const char *path, cc_error_t *err)
{
  cleanup_close int fd = openat2_in_root (rootfd, path + 1, O_PATH | O_NOFOLLOW, 0);
  char self[64];

  if (fd < 0)
    return errno == ENOENT ? 0 : cc_error_make (err, errno, "open read-only path `%s`", path);
  snprintf (self, sizeof (self), "/proc/self/fd/%d", fd);
  if (mount (self, self, NULL, MS_BIND | MS_REC, NULL) < 0)
    return cc_error_make (err, errno, "bind `%s`", path);
  close (fd);
  fd = openat2_in_root (rootfd, path + 1, O_PATH | O_NOFOLLOW, 0);
  if (fd < 0)
    return cc_error_make (err, errno, "reopen `%s`", path);
  return mount_fd (NULL, fd, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, path,
                   err);
}

/* Docker also masks every cpu's thermal_throttle (a host power side
   channel); the cpus are only known at run time.  */
static int
mask_thermal_throttle (int rootfd, cc_error_t *err)
{
  cleanup_close int fd = openat2_in_root (rootfd, "sys/devices/system/cpu", O_RDONLY | O_DIRECTORY, 0);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (fd < 0)
    return 0;
  d = fdopendir (get_and_reset (&fd));
  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL;
      if (strncmp (de->d_name, "cpu", 3) != 0 || de->d_name[3] < '0' || de->d_name[3] > '9')
        continue;
      path = xasprintf ("/sys/devices/system/cpu/%s/thermal_throttle", de->d_name);
      if (mask_path (rootfd, path, err) < 0)
        return -1;
    }
  return 0;
}

static int
protect_paths (int rootfd, const struct cc_runtime_spec *s, cc_error_t *err)
{
  if (s->privileged)
    return 0;
  for (size_t i = 0; cc_masked_paths[i]; i++)
    if (mask_path (rootfd, cc_masked_paths[i], err) < 0)
      return -1;
  if (mask_thermal_throttle (rootfd, err) < 0)
    return -1;
  for (size_t i = 0; cc_readonly_paths[i]; i++)
    if (readonly_path (rootfd, cc_readonly_paths[i], err) < 0)
      return -1;
  return 0;
}

/* overlayfs takes all of its options in one page (moby checks the same).  */
static int
mount_root (const struct cc_mount_ctx *ctx, cc_error_t *err)
{
  const struct cc_runtime_spec *s = ctx->spec;
  cleanup_free char *lower = NULL, *data = NULL;

  if (s->rootfs)
    {
      if (mount (s->rootfs, ctx->root, NULL, MS_BIND | MS_REC, NULL) < 0)
        return cc_error_make (err, errno, "bind rootfs `%s`", s->rootfs);
      return 0;
    }
  lower = cc_strv_join (s->layers, ":");
  data = xasprintf ("lowerdir=%s,upperdir=%s,workdir=%s", lower, s->upper, s->work);
  if (strlen (data) >= (size_t)sysconf (_SC_PAGESIZE))
    return cc_error_make (err, E2BIG, "overlay options longer than a page (%zu layers)", cc_strv_len (s->layers));
  if (mount ("overlay", ctx->root, "overlay", 0, data) < 0)
    return cc_error_make (err, errno, "mount overlay on `%s` (lowerdir=%s)", ctx->root, lower);
  return 0;
}

/* pivot_root(".", ".") stacks the old root on the new one; detaching it
   leaves only the container's tree (crun's do_pivot).  */
static int
pivot (int rootfd, cc_error_t *err)
{
  if (fchdir (rootfd) < 0)
    return cc_error_make (err, errno, "chdir to the new root");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return cc_error_make (err, errno, "pivot_root");
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return cc_error_make (err, errno, "make the old root a slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return cc_error_make (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return cc_error_make (err, errno, "chdir /");
  return 0;
}

static int
finish_root (const struct cc_runtime_spec *s, cc_error_t *err)
{
  if (s->read_only && mount (NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
    return cc_error_make (err, errno, "remount the root read-only");
  return 0;
}

/* One descriptor per user mount: the detached clone of a shared bind's
   source, -1 for the others.  */
struct trees
{
  int *fd;
  size_t n;
};

static void
trees_close (struct trees *t)
{
  for (size_t i = 0; i < t->n; i++)
    if (t->fd[i] >= 0)
      close (t->fd[i]);
  free (t->fd);
}
#define cleanup_trees __attribute__ ((cleanup (trees_close)))

static int
clone_shared_sources (const struct cc_runtime_spec *s, struct trees *t, cc_error_t *err)
{
  t->fd = xmalloc ((s->n_mounts + 1) * sizeof (int));
  for (t->n = 0; t->n < s->n_mounts; t->n++)
    {
      const struct cc_runtime_mount *m = &s->mounts[t->n];
      t->fd[t->n] = -1;
      if (is_shared_bind (m) && clone_shared_source (m, &t->fd[t->n], err) < 0)
        {
          t->n++;
          return cc_error_wrap (err, "mount on `%s`", m->target);
        }
    }
  return 0;
}

/* After pivot: the old root is made a recursive slave before it goes,
   which would make a shared bind made before it a slave too.  */
static int
attach_shared (const struct cc_runtime_spec *s, struct trees *t, cc_error_t *err)
{
  cleanup_close int rootfd = -1;

  for (size_t i = 0; i < t->n; i++)
    {
      if (t->fd[i] < 0)
        continue;
      if (rootfd < 0 && (rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return cc_error_make (err, errno, "open /");
      if (mount_user (rootfd, &s->mounts[i], t->fd[i], err) < 0)
        return -1;
    }
  return 0;
}

int
cc_mount_rootfs (const struct cc_mount_ctx *ctx, cc_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_trees struct trees trees = { NULL, 0 };

  if (clone_shared_sources (ctx->spec, &trees, err) < 0)
    return -1;
  /* Slave, as runc and bubblewrap: host unmounts still reach us, our
     mounts never reach the host (but below a shared bind, asked for).  */
  if (mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return cc_error_make (err, errno, "make / a recursive slave");
  if (mount_root (ctx, err) < 0)
    return -1;
  rootfd = open (ctx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return cc_error_make (err, errno, "open `%s`", ctx->root);
  if (mount_proc_and_dev (rootfd, ctx, err) < 0)
    return -1;
  for (size_t i = 0; i < ctx->spec->n_mounts; i++)
    if (trees.fd[i] < 0 && mount_user (rootfd, &ctx->spec->mounts[i], -1, err) < 0)
      return -1;
  if (mount_etc_files (rootfd, ctx, err) < 0 || protect_paths (rootfd, ctx->spec, err) < 0)
    return -1;
  if (pivot (rootfd, err) < 0)
    return -1;
  if (attach_shared (ctx->spec, &trees, err) < 0)
    return -1;
  return finish_root (ctx->spec, err);
}
