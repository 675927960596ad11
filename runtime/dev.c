/* The container's /dev: a small tmpfs with the standard devices and
   links, never the host's devices.  */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/device.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

/* The set every runtime creates (crun's needed_devs, runc's default
   devices); the device cgroup allows exactly these.  */
static const struct
{
  const char *name;
  unsigned int major, minor;
} devices[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct
{
  const char *name, *target;
} links[] = {
  { "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },         { "core", "/proc/kcore" },
};

int
cc_dev_parse (const char *entry, struct cc_dev_node *out, cc_error_t *err)
{
  struct cc_dev_node local;
  const char *c1 = strchr (entry, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  size_t hlen = c1 ? (size_t)(c1 - entry) : 0, plen = c2 ? (size_t)(c2 - c1 - 1) : 0;

  if (out == NULL)
    out = &local;
  memset (out, 0, sizeof (*out));
  if (c2 == NULL || strchr (c2 + 1, ':') || hlen >= sizeof (out->host) || plen >= sizeof (out->path))
    return cc_error_make (err, EINVAL, "device `%s` is not HOST:CONTAINER:PERMS", entry);
  memcpy (out->host, entry, hlen);
  memcpy (out->path, c1 + 1, plen);
  snprintf (out->perms, sizeof (out->perms), "%s", c2 + 1);
  if (out->host[0] != '/')
    return cc_error_make (err, EINVAL, "device `%s`: the host path must be absolute", entry);
  if (! cc_device_target_ok (out->path))
    return cc_error_make (err, EINVAL, "device `%s`: the container path must be below /dev, without `..`", entry);
  if (strlen (c2 + 1) >= sizeof (out->perms) || ! cc_device_mode_ok (c2 + 1))
    return cc_error_make (err, EINVAL, "device `%s`: permissions must be of `rwm`", entry);
  return 0;
}

int
cc_dev_check_rule (const char *rule, cc_error_t *err)
{
  if (! cc_device_rule_ok (rule))
    return cc_error_make (err, EINVAL, "device rule `%s` is not `TYPE MAJOR:MINOR PERMS`", rule);
  return 0;
}

/* Docker makes the node from the host's after symlinks; a host path that
   is no device node under /dev (a regular file, a symlink out to one, a
   node planted elsewhere) would hand the container something else.  */
int
cc_dev_resolve (const char *entry, struct cc_dev_node *out, cc_error_t *err)
{
  cleanup_free char *real = NULL;
  struct stat st;

  if (cc_dev_parse (entry, out, err) < 0)
    return -1;
  real = realpath (out->host, NULL);
  if (real == NULL)
    return cc_error_make (err, errno, "device `%s`", out->host);
  if (strncmp (real, "/dev/", 5) != 0)
    return cc_error_make (err, EINVAL, "device `%s` resolves to `%s`, which is not under /dev", out->host, real);
  if (stat (real, &st) < 0)
    return cc_error_make (err, errno, "device `%s`", out->host);
  if (! S_ISCHR (st.st_mode) && ! S_ISBLK (st.st_mode))
    return cc_error_make (err, ENODEV, "device `%s` is not a character or block device node", out->host);
  out->type = S_ISCHR (st.st_mode) ? 'c' : 'b';
  out->major = major (st.st_rdev);
  out->minor = minor (st.st_rdev);
  out->mode = st.st_mode & 07777;
  out->uid = st.st_uid;
  out->gid = st.st_gid;
  return 0;
}

/* The directories above a device below /dev (e.g. /dev/snd/), on the
   fresh tmpfs: nothing in it is a symlink of the container's yet.  */
static int
open_parent (int devfd, const char *rel, const char **leaf, cc_error_t *err)
{
  cleanup_free char *dirs = xstrdup (rel);
  char *slash = strrchr (dirs, '/'), *part, *save = NULL;
  int fd = fcntl (devfd, F_DUPFD_CLOEXEC, 3);

  *leaf = strrchr (rel, '/') ? strrchr (rel, '/') + 1 : rel;
  if (slash == NULL)
    return fd;
  *slash = '\0';
  for (part = strtok_r (dirs, "/", &save); part && fd >= 0; part = strtok_r (NULL, "/", &save))
    {
      int next;
      if (mkdirat (fd, part, 0755) < 0 && errno != EEXIST)
        break;
      next = openat (fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close (fd);
      fd = next;
    }
  if (fd < 0 || part != NULL)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      return cc_error_make (err, e, "create the directories of `/dev/%s`", rel);
    }
  return fd;
}

static int
make_device (int devfd, const char *entry, cc_error_t *err)
{
  struct cc_dev_node d;
  cleanup_close int dirfd = -1;
  const char *leaf = NULL;
  mode_t type;

  if (cc_dev_resolve (entry, &d, err) < 0)
    return -1;
  type = d.type == 'c' ? S_IFCHR : S_IFBLK;
  dirfd = open_parent (devfd, d.path + 5, &leaf, err);
  if (dirfd < 0)
    return -1;
  /* A device named like a standard one replaces it, as in runc.  */
  if (unlinkat (dirfd, leaf, 0) < 0 && errno != ENOENT)
    return cc_error_make (err, errno, "replace `%s`", d.path);
  if (mknodat (dirfd, leaf, type | d.mode, makedev (d.major, d.minor)) < 0)
    return cc_error_make (err, errno, "mknod `%s`", d.path);
  if (fchmodat (dirfd, leaf, d.mode, 0) < 0 || fchownat (dirfd, leaf, d.uid, d.gid, AT_SYMLINK_NOFOLLOW) < 0)
    return cc_error_make (err, errno, "set the mode and owner of `%s`", d.path);
  return 0;
}

int
cc_dev_populate (int devfd, char *const *extra, cc_error_t *err)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (devices); i++)
    {
      if (mknodat (devfd, devices[i].name, S_IFCHR | 0666, makedev (devices[i].major, devices[i].minor)) < 0)
        return cc_error_make (err, errno, "mknod /dev/%s", devices[i].name);
      /* mknod honours the umask; the mode must be exact.  */
      if (fchmodat (devfd, devices[i].name, 0666, 0) < 0)
        return cc_error_make (err, errno, "chmod /dev/%s", devices[i].name);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (links); i++)
    if (symlinkat (links[i].target, devfd, links[i].name) < 0)
      return cc_error_make (err, errno, "symlink /dev/%s", links[i].name);
  for (char *const *d = extra; d && *d; d++)
    if (make_device (devfd, *d, err) < 0)
      return -1;
  return 0;
}
