/* The container's /dev: a small tmpfs with the standard devices and
   links, never the host's devices.  */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/cleanup.h"
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
cc_dev_populate (int devfd, cc_error_t *err)
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
  return 0;
}
