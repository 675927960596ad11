#include "mountinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strv.h"
#include "xalloc.h"

#define MOUNTINFO "/proc/self/mountinfo"

static const char *mountinfo_path = MOUNTINFO;

void
cc_mountinfo_set_path (const char *path)
{
  mountinfo_path = path ? path : MOUNTINFO;
}

static bool
is_octal (char c)
{
  return c >= '0' && c <= '7';
}

/* mountinfo escapes space, tab, newline and backslash as \ooo.  */
static char *
unescape_octal (const char *s)
{
  char *out = xmalloc (strlen (s) + 1), *w = out;

  while (*s)
    {
      if (s[0] == '\\' && is_octal (s[1]) && is_octal (s[2]) && is_octal (s[3]))
        {
          *w++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
          s += 4;
        }
      else
        *w++ = *s++;
    }
  *w = '\0';
  return out;
}

/* "ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE
   SUPER-OPTIONS": field 5 before the " - " separator, three after it.  */
static int
parse_line (char *line, char **target, const char **fstype, const char **super)
{
  char *save = NULL, *tok, *mnt = NULL;
  char *sep = strstr (line, " - ");
  int field = 0;

  if (sep == NULL)
    return -1;
  *sep = '\0';
  for (tok = strtok_r (line, " ", &save); tok && field < 5; tok = strtok_r (NULL, " ", &save))
    if (++field == 5)
      mnt = tok;
  *fstype = strtok_r (sep + 3, " ", &save);
  if (mnt == NULL || *fstype == NULL)
    return -1;
  if (strtok_r (NULL, " ", &save) == NULL || (*super = strtok_r (NULL, " ", &save)) == NULL)
    *super = "";
  *target = unescape_octal (mnt);
  return 0;
}

int
cc_mountinfo_each (cc_mountpoint_fn fn, void *data, cc_error_t *err)
{
  cleanup_fclose FILE *f = fopen (mountinfo_path, "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  if (f == NULL)
    return cc_error_make (err, errno, "open `%s`", mountinfo_path);
  while (getline (&line, &cap, f) > 0)
    {
      cleanup_free char *target = NULL;
      struct cc_mountpoint m = { 0 };

      line[strcspn (line, "\n")] = '\0';
      if (parse_line (line, &target, &m.fstype, &m.super_options) < 0)
        continue;
      m.target = target;
      fn (&m, data);
    }
  return 0;
}

static bool
is_strictly_under (const char *path, const char *root)
{
  size_t n = strlen (root);

  while (n > 1 && root[n - 1] == '/')
    n--;
  return strncmp (path, root, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

struct under
{
  char *const *roots;
  char **found;
};

static void
collect_under (const struct cc_mountpoint *m, void *data)
{
  struct under *u = data;

  for (char *const *r = u->roots; *r; r++)
    if (is_strictly_under (m->target, *r))
      {
        cc_strv_append (&u->found, m->target);
        return;
      }
}

static int
compare_deepest_first (const void *a, const void *b)
{
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  size_t lx = strlen (x), ly = strlen (y);

  if (lx != ly)
    return lx < ly ? 1 : -1;
  return strcmp (x, y);
}

int
cc_mountinfo_under (char *const *roots, char ***out, cc_error_t *err)
{
  struct under u = { .roots = roots, .found = xzalloc (sizeof (char *)) };

  if (cc_mountinfo_each (collect_under, &u, err) < 0)
    {
      cc_strv_free (u.found);
      return -1;
    }
  /* A mount point mounted over twice is listed once.  */
  cc_strv_sort_unique (u.found);
  qsort (u.found, cc_strv_len (u.found), sizeof (char *), compare_deepest_first);
  *out = u.found;
  return 0;
}

struct of_type
{
  const char *fstype;
  char **found;
};

static void
collect_of_type (const struct cc_mountpoint *m, void *data)
{
  struct of_type *t = data;

  if (strcmp (m->fstype, t->fstype) == 0)
    cc_strv_append (&t->found, m->target);
}

int
cc_mountinfo_of_type (const char *fstype, char ***out, cc_error_t *err)
{
  struct of_type t = { .fstype = fstype, .found = xzalloc (sizeof (char *)) };

  if (cc_mountinfo_each (collect_of_type, &t, err) < 0)
    {
      cc_strv_free (t.found);
      return -1;
    }
  *out = t.found;
  return 0;
}
