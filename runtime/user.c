/* `user:` resolved through the image's /etc/passwd and /etc/group, read
   from inside the root (never through a symlink out of it).  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

void
cc_user_release (struct cc_user *u)
{
  free (u->groups);
  free (u->home);
  u->groups = NULL;
  u->home = NULL;
}

static bool
parse_id (const char *s, unsigned long *out)
{
  char *end = NULL;

  if (s == NULL || *s < '0' || *s > '9')
    return false;
  errno = 0;
  *out = strtoul (s, &end, 10);
  return errno == 0 && *end == '\0' && *out < 0xFFFFFFFFUL;
}

/* The fields of the line of a passwd/group TEXT whose field KEY_FIELD is
   KEY (NULL when absent).  */
static char **
find_entry (const char *text, size_t key_field, const char *key, size_t min_fields)
{
  cleanup_strv char **lines = cc_strv_split (text ? text : "", '\n', true);

  for (char **l = lines; *l; l++)
    {
      char **f;
      if ((*l)[0] == '#')
        continue;
      f = cc_strv_split (*l, ':', false);
      if (cc_strv_len (f) >= min_fields && strcmp (f[key_field], key) == 0)
        return f;
      cc_strv_free (f);
    }
  return NULL;
}

static void
add_group (struct cc_user *u, gid_t gid)
{
  for (size_t i = 0; i < u->n_groups; i++)
    if (u->groups[i] == gid)
      return;
  u->groups = xreallocarray (u->groups, u->n_groups + 1, sizeof (gid_t));
  u->groups[u->n_groups++] = gid;
}

/* Supplementary groups: every group that lists NAME as a member.  */
static void
add_member_groups (struct cc_user *u, const char *group, const char *name)
{
  cleanup_strv char **lines = cc_strv_split (group ? group : "", '\n', true);

  for (char **l = lines; *l; l++)
    {
      cleanup_strv char **f = cc_strv_split (*l, ':', false);
      cleanup_strv char **members = NULL;
      unsigned long gid;

      if (cc_strv_len (f) < 4 || ! parse_id (f[2], &gid))
        continue;
      members = cc_strv_split (f[3], ',', true);
      if (cc_strv_contains (members, name))
        add_group (u, (gid_t)gid);
    }
}

static int
resolve_group (const char *spec, const char *group, gid_t *gid, cc_error_t *err)
{
  unsigned long n;
  cleanup_strv char **g = NULL;

  if (parse_id (spec, &n))
    {
      *gid = (gid_t)n;
      return 0;
    }
  g = find_entry (group, 0, spec, 3);
  if (g == NULL || ! parse_id (g[2], &n))
    return cc_error_make (err, ENOENT, "unable to find group `%s`: no matching entries in group file", spec);
  *gid = (gid_t)n;
  return 0;
}

/* Docker's --group-add (runc's GetAdditionalGroups): a group of the
   container's /etc/group by name or number, else a number the file need
   not list; an unknown name is an error.  */
static int
add_extra_groups (struct cc_user *u, char *const *extra, const char *group, cc_error_t *err)
{
  for (char *const *g = extra; g && *g; g++)
    {
      cleanup_strv char **byname = find_entry (group, 0, *g, 3);
      unsigned long n;

      if (byname && parse_id (byname[2], &n))
        add_group (u, (gid_t)n);
      else if (parse_id (*g, &n))
        add_group (u, (gid_t)n);
      else
        return cc_error_make (err, ENOENT, "group_add: unable to find group `%s`: no matching entries in group file",
                              *g);
    }
  return 0;
}

static int
resolve_user (const char *spec, const char *passwd, const char *group, struct cc_user *out, cc_error_t *err)
{
  cleanup_free char *user = xstrdup (spec && *spec ? spec : "0");
  char *grp = strchr (user, ':');
  cleanup_strv char **pw = NULL;
  unsigned long n;

  memset (out, 0, sizeof (*out));
  if (grp)
    *grp++ = '\0';
  if (*user == '\0' || (grp && *grp == '\0'))
    return cc_error_make (err, EINVAL, "invalid user `%s`", spec);
  if (parse_id (user, &n))
    {
      char buf[32];
      snprintf (buf, sizeof (buf), "%lu", n);
      out->uid = (uid_t)n;
      pw = find_entry (passwd, 2, buf, 7);
    }
  else
    {
      pw = find_entry (passwd, 0, user, 7);
      if (pw == NULL || ! parse_id (pw[2], &n))
        return cc_error_make (err, ENOENT, "unable to find user `%s`: no matching entries in passwd file", user);
      out->uid = (uid_t)n;
    }
  if (pw && parse_id (pw[3], &n))
    out->gid = (gid_t)n;
  out->home = xstrdup (pw && pw[5][0] ? pw[5] : "/");
  if (grp && resolve_group (grp, group, &out->gid, err) < 0)
    {
      cc_user_release (out);
      return -1;
    }
  add_group (out, out->gid);
  /* runc's GetExecUser, as Docker runs it: the groups that list the user
     only when `user:` names no group; `1000:1000` gets that group alone.  */
  if (pw && grp == NULL)
    add_member_groups (out, group, pw[0]);
  return 0;
}

int
cc_user_resolve_text (const char *spec, char *const *extra_groups, const char *passwd, const char *group,
                      struct cc_user *out, cc_error_t *err)
{
  if (resolve_user (spec, passwd, group, out, err) < 0)
    return -1;
  if (add_extra_groups (out, extra_groups, group, err) < 0)
    {
      cc_user_release (out);
      return -1;
    }
  return 0;
}

/* A missing file is an empty one (scratch images have none); a huge
   one is refused rather than read.  */
static int
read_in_root (int rootfd, const char *path, char **out, cc_error_t *err)
{
  cleanup_close int fd = -1;
  cc_error_t local = NULL;
  struct stat st;

  fd = cc_open_in_root (rootfd, path, O_RDONLY, 0, &local);
  if (fd < 0)
    {
      int e = local->status;
      cc_error_release (&local);
      if (e == ENOENT)
        return 0;
      return cc_error_make (err, e, "open `%s` in the container", path);
    }
  if (fstat (fd, &st) < 0 || ! S_ISREG (st.st_mode) || st.st_size > 16 * 1024 * 1024)
    return cc_error_make (err, EINVAL, "`%s` in the container is not a regular file of sane size", path);
  char self[64];
  snprintf (self, sizeof (self), "/proc/self/fd/%d", fd);
  return cc_read_file (self, out, NULL, err) < 0 ? -1 : 0;
}

int
cc_user_resolve (int rootfd, const char *spec, char *const *extra_groups, struct cc_user *out, cc_error_t *err)
{
  cleanup_free char *passwd = NULL, *group = NULL;

  if (read_in_root (rootfd, "/etc/passwd", &passwd, err) < 0 || read_in_root (rootfd, "/etc/group", &group, err) < 0)
    return -1;
  return cc_user_resolve_text (spec, extra_groups, passwd, group, out, err);
}
