/* Host scanners for the residue check.  */
#include "residue.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "mountinfo.h"
#include "paths.h"
#include "proc.h"
#include "strv.h"
#include "xalloc.h"

#define MONITOR_PREFIX "ccompose-monitor "
#define CGROUP_DIR_NAME "ccompose"

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static void
sort_unique (char **v)
{
  size_t n = cc_strv_len (v), w = 0;

  qsort (v, n, sizeof (char *), compare_strings);
  for (size_t r = 0; r < n; r++)
    {
      if (w > 0 && strcmp (v[w - 1], v[r]) == 0)
        {
          free (v[r]);
          continue;
        }
      v[w++] = v[r];
    }
  v[w] = NULL;
}

static void
collect_cgroup (const struct cc_mountpoint *m, void *data)
{
  char ***found = data;
  cleanup_free char *base = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (strcmp (m->fstype, "cgroup") != 0 && strcmp (m->fstype, "cgroup2") != 0)
    return;
  base = cc_path_join (m->target, CGROUP_DIR_NAME);
  if ((d = opendir (base)) == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      cc_strv_push (found, cc_path_join (base, de->d_name));
}

int
cc_residue_cgroup_dirs (char ***out, cc_error_t *err)
{
  char **found = xzalloc (sizeof (char *));

  if (cc_mountinfo_each (collect_cgroup, &found, err) < 0)
    {
      cc_strv_free (found);
      return -1;
    }
  sort_unique (found);
  *out = found;
  return 0;
}

static bool
procs_file_has_pid (const char *dir)
{
  cleanup_free char *path = cc_path_join (dir, "cgroup.procs");
  cleanup_free char *text = NULL;

  if (cc_read_file (path, &text, NULL, NULL) < 0)
    return false;
  for (const char *c = text; *c; c++)
    if (isdigit ((unsigned char)*c))
      return true;
  return false;
}

bool
cc_residue_cgroup_busy (const char *dir)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  if (procs_file_has_pid (dir))
    return true;
  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;

      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = cc_path_join (dir, de->d_name);
      if (cc_residue_cgroup_busy (sub))
        return true;
    }
  return false;
}

int
cc_residue_cgroup_remove (const char *dir, cc_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return errno == ENOENT ? 0 : cc_error_make (err, errno, "open cgroup `%s`", dir);
  /* A cgroup directory holds only kernel files, which rmdir takes with it;
     child cgroups must go first.  */
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;

      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = cc_path_join (dir, de->d_name);
      if (cc_residue_cgroup_remove (sub, err) < 0)
        return -1;
    }
  if (rmdir (dir) < 0 && errno != ENOENT)
    return cc_error_make (err, errno, "remove cgroup `%s`", dir);
  return 0;
}

/* NAME=VALUE from a NUL-separated environ file, or NULL.  */
static char *
environ_get (const char *text, size_t len, const char *name)
{
  size_t nlen = strlen (name);

  for (size_t i = 0; i < len; i += strlen (text + i) + 1)
    if (strncmp (text + i, name, nlen) == 0 && text[i + nlen] == '=')
      return xstrdup (text + i + nlen + 1);
  return NULL;
}

static bool
read_monitor (pid_t pid, struct cc_residue_monitor *m)
{
  cleanup_free char *cmdline_path = xasprintf ("/proc/%d/cmdline", (int)pid);
  cleanup_free char *environ_path = xasprintf ("/proc/%d/environ", (int)pid);
  cleanup_free char *cmdline = NULL;
  cleanup_free char *env = NULL;
  size_t env_len = 0;
  char *state;

  if (cc_read_file (cmdline_path, &cmdline, NULL, NULL) < 0
      || strncmp (cmdline, MONITOR_PREFIX, strlen (MONITOR_PREFIX)) != 0)
    return false;
  if (cc_proc_start_time (pid, &m->start, NULL) < 0)
    return false;
  if (cc_read_file (environ_path, &env, &env_len, NULL) < 0)
    env_len = 0;
  state = env_len ? environ_get (env, env_len, CC_STATE_DIR_ENV) : NULL;
  if (state && *state == '\0')
    {
      free (state);
      state = NULL;
    }
  m->pid = pid;
  m->id = xstrndup (cmdline + strlen (MONITOR_PREFIX), strcspn (cmdline + strlen (MONITOR_PREFIX), " "));
  m->state_dir = state ? state : xstrdup (CC_STATE_DIR_DEFAULT);
  return true;
}

int
cc_residue_monitors (struct cc_residue_monitor **out, size_t *n, cc_error_t *err)
{
  cleanup_dir DIR *d = opendir ("/proc");
  struct cc_residue_monitor *v = NULL;
  struct dirent *de;
  size_t count = 0;

  if (d == NULL)
    return cc_error_make (err, errno, "open `/proc`");
  while ((de = readdir (d)) != NULL)
    {
      struct cc_residue_monitor m = { 0 };
      char *end;
      long pid = strtol (de->d_name, &end, 10);

      if (*end != '\0' || pid <= 0 || pid == getpid () || ! read_monitor ((pid_t)pid, &m))
        continue;
      v = xrealloc (v, (count + 1) * sizeof (*v));
      v[count++] = m;
    }
  *out = v;
  *n = count;
  return 0;
}

void
cc_residue_monitors_free (struct cc_residue_monitor *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (m[i].id);
      free (m[i].state_dir);
    }
  free (m);
}

char **
cc_residue_state_roots (void)
{
  char **roots = cc_paths_state_roots ();
  struct cc_residue_monitor *mons = NULL;
  size_t n = 0;

  if (cc_residue_monitors (&mons, &n, NULL) == 0)
    for (size_t i = 0; i < n; i++)
      cc_strv_append (&roots, mons[i].state_dir);
  cc_residue_monitors_free (mons, n);
  sort_unique (roots);
  return roots;
}
