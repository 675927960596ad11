/* Network sysctls.  /proc/sys/net shows the namespace of the process
   that opens it, so these act on the caller's current namespace.  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"
#include "network/link.h"

static char *
sysctl_path (const char *key)
{
  return xasprintf ("/proc/sys/net/%s", key);
}

int
cc_sysctl_read (const char *key, char **value, cc_error_t *err)
{
  cleanup_free char *path = sysctl_path (key);
  char *v = NULL;
  size_t len = 0;

  if (cc_read_file (path, &v, &len, err) < 0)
    return -1;
  while (len > 0 && (v[len - 1] == '\n' || v[len - 1] == ' '))
    v[--len] = '\0';
  *value = v;
  return 0;
}

int
cc_sysctl_write (const char *key, const char *value, cc_error_t *err)
{
  cleanup_free char *path = sysctl_path (key);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    return cc_error_make (err, errno, "open sysctl `%s`", path);
  if (cc_write_all (fd, value, strlen (value)) < 0)
    return cc_error_make (err, errno, "write `%s` to sysctl `%s`", value, path);
  return 0;
}
