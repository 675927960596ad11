/* --chown and USER names, looked up in the image being built (its
   /etc/passwd and /etc/group, read inside its root), as BuildKit does.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/exec.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define ID_FILE_MAX (4 << 20)

static bool
parse_id (const char *s, unsigned long *out)
{
  char *end = NULL;

  if (*s == '\0' || strspn (s, "0123456789") != strlen (s))
    return false;
  errno = 0;
  *out = strtoul (s, &end, 10);
  return errno == 0 && *out <= 0xfffffffeUL;
}

/* Field 3 (and 4) of the line of NAME in FILE (passwd or group format).  */
static int
lookup (int rootfd, const char *file, const char *name, unsigned long *id, unsigned long *gid, cc_error_t *err)
{
  cleanup_close int fd = cc_bld_open_in_root (rootfd, file, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  cleanup_free char *text = NULL;
  cleanup_strv char **lines = NULL;

  if (fd < 0 || cc_read_fd_max (fd, file, ID_FILE_MAX, &text, NULL, NULL) < 0)
    return cc_error_make (err, ENOENT, "unable to find user %s: no matching entries in %s file", name,
                          strstr (file, "group") ? "group" : "passwd");
  lines = cc_strv_split (text, '\n', true);
  for (char **l = lines; *l; l++)
    {
      cleanup_strv char **f = cc_strv_split (*l, ':', false);
      if (cc_strv_len (f) < 3 || strcmp (f[0], name) != 0 || ! parse_id (f[2], id))
        continue;
      if (gid && (cc_strv_len (f) < 4 || ! parse_id (f[3], gid)))
        *gid = 0;
      return 0;
    }
  return cc_error_make (err, ENOENT, "unable to find %s %s: no matching entries in %s file",
                        strstr (file, "group") ? "group" : "user", name, strstr (file, "group") ? "group" : "passwd");
}

int
cc_bld_resolve_owner (int rootfd, const char *spec, uid_t *uid, gid_t *gid, cc_error_t *err)
{
  cleanup_free char *user = xstrdup (spec);
  char *group = strchr (user, ':');
  unsigned long u = 0, g = 0, primary = 0;

  if (group)
    *group++ = '\0';
  if (! parse_id (user, &u) && lookup (rootfd, "/etc/passwd", user, &u, &primary, err) < 0)
    return -1;
  /* Docker: a user without a group gets the group of the same number.  */
  g = u;
  if (group && *group && ! parse_id (group, &g) && lookup (rootfd, "/etc/group", group, &g, NULL, err) < 0)
    return -1;
  *uid = (uid_t)u;
  *gid = (gid_t)g;
  return 0;
}
