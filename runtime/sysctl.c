/* sysctls: only those that belong to a namespace the container owns
   (its ipc and net namespaces), as Docker validates them; anything else
   would change the host and is an error.  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

static const char *const ipc_keys[] = {
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
  "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

int
cc_sysctl_check (const char *key, const struct cc_runtime_spec *s, cc_error_t *err)
{
  size_t n = strlen (key);

  if (n == 0 || strspn (key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n
      || strstr (key, "..") || key[0] == '.' || key[n - 1] == '.')
    return cc_error_make (err, EINVAL, "invalid sysctl name `%s`", key);
  for (size_t i = 0; i < CC_N_ELEMENTS (ipc_keys); i++)
    if (strcmp (key, ipc_keys[i]) == 0)
      return 0;
  if (strncmp (key, "fs.mqueue.", 10) == 0)
    return 0;
  if (strncmp (key, "net.", 4) == 0)
    return cc_runtime_netns_is_host (s)
               ? cc_error_make (err, EPERM, "sysctl `%s`: the container shares the host's network namespace", key)
               : 0;
  return cc_error_make (err, EPERM, "sysctl `%s` is not namespaced: it would change the host", key);
}

static int
write_one (const char *entry, const struct cc_runtime_spec *s, cc_error_t *err)
{
  cleanup_free char *key = xstrdup (entry);
  char *value = strchr (key, '=');
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;

  *value++ = '\0';
  if (cc_sysctl_check (key, s, err) < 0)
    return -1;
  path = xasprintf ("/proc/sys/%s", key);
  for (char *p = path + 10; *p; p++)
    if (*p == '.')
      *p = '/';
  fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return cc_error_make (err, errno, "sysctl `%s`", key);
  if (cc_write_all (fd, value, strlen (value)) < 0)
    return cc_error_make (err, errno, "sysctl `%s` = `%s`", key, value);
  return 0;
}

int
cc_sysctl_apply (const struct cc_runtime_spec *s, cc_error_t *err)
{
  for (char **e = s->sysctls; e && *e; e++)
    if (write_one (*e, s, err) < 0)
      return -1;
  return 0;
}
