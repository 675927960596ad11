/* The runtime's part of the residue check (engine/residue.c runs it):
   containers no live project claims, monitor processes and cgroups of
   containers that are gone.  A process is killed only when its pid AND
   start time are on record (a pid may have been recycled), and a cgroup
   that still holds a process is reported, never removed.  */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/finding.h"
#include "lib/json.h"
#include "lib/mountinfo.h"
#include "lib/paths.h"
#include "lib/proc.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"
#include "runtime/runtime.h"

#define MONITOR_PREFIX "ccompose-monitor "

/* ---- what is on the host ------------------------------------------------- */

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
read_monitor (pid_t pid, struct cc_monitor_proc *m)
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
cc_monitor_procs (struct cc_monitor_proc **out, size_t *n, cc_error_t *err)
{
  cleanup_dir DIR *d = opendir ("/proc");
  struct cc_monitor_proc *v = NULL;
  struct dirent *de;
  size_t count = 0;

  if (d == NULL)
    return cc_error_make (err, errno, "open `/proc`");
  while ((de = readdir (d)) != NULL)
    {
      struct cc_monitor_proc m = { 0 };
      char *end;
      long pid = strtol (de->d_name, &end, 10);

      if (*end != '\0' || pid <= 0 || pid == getpid () || ! read_monitor ((pid_t)pid, &m))
        continue;
      v = xreallocarray (v, count + 1, sizeof (*v));
      v[count++] = m;
    }
  *out = v;
  *n = count;
  return 0;
}

void
cc_monitor_procs_free (struct cc_monitor_proc *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (m[i].id);
      free (m[i].state_dir);
    }
  free (m);
}

char **
cc_runtime_monitor_roots (void)
{
  char **roots = xzalloc (sizeof (char *));
  struct cc_monitor_proc *mons = NULL;
  size_t n = 0;

  if (cc_monitor_procs (&mons, &n, NULL) == 0)
    for (size_t i = 0; i < n; i++)
      cc_strv_append (&roots, mons[i].state_dir);
  cc_monitor_procs_free (mons, n);
  return roots;
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
  base = cc_path_join (m->target, CC_CGROUP_PARENT);
  if ((d = opendir (base)) == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      cc_strv_push (found, cc_path_join (base, de->d_name));
}

int
cc_cgroup_residue_dirs (char ***out, cc_error_t *err)
{
  char **found = xzalloc (sizeof (char *));

  if (cc_mountinfo_each (collect_cgroup, &found, err) < 0)
    {
      cc_strv_free (found);
      return -1;
    }
  cc_strv_sort_unique (found);
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
cc_cgroup_busy (const char *dir)
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
      if (cc_cgroup_busy (sub))
        return true;
    }
  return false;
}

int
cc_cgroup_remove_tree (const char *dir, cc_error_t *err)
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
      if (cc_cgroup_remove_tree (sub, err) < 0)
        return -1;
    }
  if (rmdir (dir) < 0 && errno != ENOENT)
    return cc_error_make (err, errno, "remove cgroup `%s`", dir);
  return 0;
}

/* ---- the judgements ------------------------------------------------------ */

static bool
is_claimed (const struct cc_residue_scope *s, const char *id)
{
  return cc_strv_contains (s->claimed, id);
}

void
cc_runtime_residue_containers (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors)
{
  cc_error_t e = NULL;

  for (char *const *id = s->containers; *id; id++)
    {
      cleanup_cjson cJSON *st = NULL;
      const char *status = "unknown";

      if (is_claimed (s, *id))
        continue;
      if (cc_runtime_state (*id, &st, NULL) == 0 && cc_json_get_string (st, "status"))
        status = cc_json_get_string (st, "status");
      cc_findings_add (out, "container", true, xstrdup (*id), xasprintf ("%s, no live project claims it", status));
      if (s->fix && cc_runtime_delete (*id, &e) < 0)
        cc_error_append (errors, &e);
    }
}

/* The identity the container's state records for its monitor.  */
static bool
monitor_is_recorded (const char *id, pid_t pid, uint64_t start)
{
  cleanup_cjson cJSON *st = NULL;

  if (cc_runtime_state (id, &st, NULL) < 0)
    return false;
  return cc_json_get_int (st, "monitor_pid", -1) == pid && (uint64_t)cc_json_get_int (st, "monitor_start", -1) == start;
}

static void
judge_monitor (const struct cc_residue_scope *s, const struct cc_monitor_proc *m, struct cc_findings *out,
               cc_error_t *errors)
{
  bool recorded = monitor_is_recorded (m->id, m->pid, m->start);
  cc_error_t e = NULL;

  if (recorded && is_claimed (s, m->id))
    return;
  cc_findings_add (
      out, "monitor", recorded, xasprintf ("pid %d", (int)m->pid),
      xasprintf ("container %s, %s", m->id, recorded ? "no live project claims it" : "no record of this process"));
  if (! s->fix)
    return;
  if (! recorded)
    {
      cc_error_make (&e, 0, "monitor pid %d of `%s`: not killed, its identity is not recorded", (int)m->pid, m->id);
      cc_error_append (errors, &e);
      return;
    }
  cc_proc_kill (m->pid, m->start, SIGKILL);
}

void
cc_runtime_residue_monitors (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors)
{
  struct cc_monitor_proc *mons = NULL;
  size_t n = 0;
  cc_error_t e = NULL;

  if (cc_monitor_procs (&mons, &n, &e) < 0)
    {
      cc_error_append (errors, &e);
      return;
    }
  for (size_t i = 0; i < n; i++)
    {
      if (cc_paths_same_root (mons[i].state_dir, cc_state_dir ()))
        judge_monitor (s, &mons[i], out, errors);
      else if (s->orphans && ! cc_is_dir (mons[i].state_dir))
        cc_findings_add (out, "monitor", false, xasprintf ("pid %d", (int)mons[i].pid),
                         xasprintf ("container %s, its state root `%s` is gone", mons[i].id, mons[i].state_dir));
    }
  cc_monitor_procs_free (mons, n);
}

/* A state root other than ours that records container ID.  */
static bool
recorded_elsewhere (const struct cc_residue_scope *s, const char *id)
{
  for (char *const *r = s->roots; *r; r++)
    {
      cleanup_free char *dir = NULL;

      if (strcmp (*r, cc_state_dir ()) == 0)
        continue;
      dir = cc_paths_container_in (*r, id);
      if (cc_is_dir (dir))
        return true;
    }
  return false;
}

/* Some state root on the host records the container of cgroup NAME.  */
static bool
cgroup_is_recorded (const struct cc_residue_scope *s, const char *name)
{
  cleanup_free char *stripped = cc_paths_cgroup_strip_suffix (name);

  return cc_strv_contains (s->containers, name) || recorded_elsewhere (s, name)
         || (stripped && (cc_strv_contains (s->containers, stripped) || recorded_elsewhere (s, stripped)));
}

static void
remove_cgroup (const char *dir, bool busy, cc_error_t *errors)
{
  cc_error_t e = NULL;

  if (busy)
    cc_error_make (&e, EBUSY, "cgroup `%s`: not removed, it still has processes", dir);
  else
    cc_cgroup_remove_tree (dir, &e);
  if (e)
    cc_error_append (errors, &e);
}

/* A cgroup named for this root whose container it no longer records.
   Cgroups no root records at all are judged only with ORPHANS: whose
   they were cannot be known.  */
void
cc_runtime_residue_cgroups (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors)
{
  cleanup_strv char **dirs = NULL;
  cc_error_t e = NULL;

  if (cc_cgroup_residue_dirs (&dirs, &e) < 0)
    {
      cc_error_append (errors, &e);
      return;
    }
  for (char **d = dirs; *d; d++)
    {
      cleanup_free char *name = cc_path_basename (*d);
      cleanup_free char *id = cc_paths_cgroup_id (name, cc_state_dir ());
      bool busy;

      if (id ? cc_strv_contains (s->containers, id) : ! s->orphans || cgroup_is_recorded (s, name))
        continue;
      busy = cc_cgroup_busy (*d);
      cc_findings_add (out, "cgroup", ! busy, xstrdup (*d),
                       xasprintf ("%s%s",
                                  id ? "no such container in this root" : "no container record in any state root",
                                  busy ? ", has processes" : ""));
      if (s->fix)
        remove_cgroup (*d, busy, errors);
    }
}
