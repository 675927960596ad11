/* `system check`: the residue check (ARCHITECTURE.md, "Crash safety").
   It finds every host resource carrying ccompose's names that belongs to
   no live project of the state root, and with FIX removes it.

   A live project is one with a state file under projects/<name>/; a
   container is claimed when a live project's state names it.  Each part
   judges what it owns (runtime: containers, monitors, cgroups; network:
   records, links, netns files and firewall rules, in every namespace the
   root's networks live in, and the embedded DNS's responders; image: the
   store's temporary files; builder: builds whose process is dead;
   volumes: driver mounts no container uses and users no live project
   has); the engine judges its own project directories, the mounts under the two
   roots and the containers' data directories.  Resources of ANOTHER
   state root are not judged (parallel tests run with private roots)
   unless ALL walks every root found on the host; ALL also reports, once,
   cgroups no root records and monitors whose root is gone, which belong
   to no root that could be asked.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "builder/builder.h"
#include "engine/engine.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/finding.h"
#include "lib/mountinfo.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"
#include "runtime/runtime.h"
#include "volumes/volumes.h"

/* One pass over one state root.  */
struct scan
{
  struct cc_residue_scope scope;
  char **projects, **claimed, **containers, **roots;
  struct cc_findings found;
  cc_error_t errors; /* what could not be read or removed */
};

static void
scan_release (struct scan *s)
{
  cc_strv_free (s->projects);
  cc_strv_free (s->claimed);
  cc_strv_free (s->containers);
  cc_strv_free (s->roots);
  cc_findings_release (&s->found);
  cc_error_release (&s->errors);
}
#define cleanup_scan __attribute__ ((cleanup (scan_release)))

/* Every state root on the host: those with state on disk and those of
   running monitors.  */
static char **
state_roots (void)
{
  char **roots = cc_paths_state_roots ();
  cleanup_strv char **monitors = cc_runtime_monitor_roots ();

  for (char **r = monitors; *r; r++)
    cc_strv_append (&roots, *r);
  cc_strv_sort_unique (roots);
  return roots;
}

/* ---- what is alive ------------------------------------------------------ */

static void
claim_containers_of (struct scan *s, const char *project)
{
  cleanup_state struct cc_state *st = NULL;
  cc_error_t e = NULL;
  const cJSON *c;

  if (cc_state_open (project, false, &st, &e) < 0)
    {
      cc_error_append (&s->errors, &e);
      return;
    }
  cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive (st->json, "containers"))
      cc_strv_append (&s->claimed, c->string);
}

/* Containers a boot record names come back with `system boot`, which
   removes what the others left (engine/boot.c): after a reboot their
   writable layers and logs are not residue.  One the runtime still knows
   did not go through a reboot: without a project claiming it, it is
   residue as any other.  */
static void
claim_boot_records (struct scan *s)
{
  cleanup_strv char **names = NULL;
  cc_error_t e = NULL;

  if (cc_engine_boot_containers (&names, &e) < 0)
    {
      cc_error_append (&s->errors, &e);
      return;
    }
  for (char **n = names; *n; n++)
    if (! cc_strv_contains (s->containers, *n))
      cc_strv_append (&s->claimed, *n);
}

static int
load_live (struct scan *s, cc_error_t *err)
{
  s->claimed = xzalloc (sizeof (char *));
  if (cc_state_projects (&s->projects, err) < 0 || cc_runtime_list (&s->containers, err) < 0)
    return -1;
  for (char **p = s->projects; *p; p++)
    claim_containers_of (s, *p);
  /* A running build owns its containers and its build network's project
     (builder/record.c): they are alive as long as the build is.  */
  cc_builder_claims (&s->claimed, &s->projects);
  claim_boot_records (s);
  s->roots = state_roots ();
  s->scope.projects = s->projects;
  s->scope.claimed = s->claimed;
  s->scope.containers = s->containers;
  s->scope.roots = s->roots;
  return 0;
}

/* ---- the engine's own scanners ------------------------------------------ */

/* A project directory without state.json: a crash between taking the lock
   and the first save, or a `down` cut short.  */
static void
project_dirs (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors)
{
  cleanup_free char *dir = cc_paths_projects ();
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  cc_error_t e = NULL;

  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *pdir = NULL, *lock = NULL;
      cleanup_close int lock_fd = -1;

      if (de->d_name[0] == '.' || cc_strv_contains (s->projects, de->d_name))
        continue;
      pdir = cc_path_join (dir, de->d_name);
      cc_findings_add (out, "project-state", true, xstrdup (pdir), xstrdup ("no state.json"));
      if (! s->fix)
        continue;
      /* A command holding the lock is about to write the state.  */
      lock = cc_paths_project_lock (de->d_name);
      if (cc_lock_path (lock, false, &lock_fd, &e) < 0 || cc_rm_rf (pdir, &e) < 0)
        cc_error_append (errors, &e);
    }
}

static bool
is_strictly_under (const char *path, const char *dir)
{
  size_t n = strlen (dir);
  return strncmp (path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

static bool
is_claimed (const struct cc_residue_scope *s, const char *name)
{
  return cc_strv_contains (s->claimed, name);
}

static bool
is_live_project (const struct cc_residue_scope *s, const char *name)
{
  return cc_strv_contains (s->projects, name);
}

/* Mounts of live things: a claimed container's directories, a live
   project's directory, and netns handles (network/ judges those).  */
static bool
mount_is_owned (const struct cc_residue_scope *s, const char *mnt)
{
  cleanup_free char *netns = cc_paths_netns_dir ();
  cleanup_free char *containers = cc_paths_containers ();
  cleanup_free char *data = cc_paths_container_data_root ();
  cleanup_free char *projects = cc_paths_projects ();
  const struct
  {
    const char *dir;
    bool (*is_live) (const struct cc_residue_scope *s, const char *name);
  } owners[] = { { containers, is_claimed }, { data, is_claimed }, { projects, is_live_project } };

  /* network/ judges the netns handles, volumes/ its driver mounts.  */
  if (is_strictly_under (mnt, netns) || cc_volumes_owns_mount (mnt))
    return true;
  for (size_t i = 0; i < CC_N_ELEMENTS (owners); i++)
    if (is_strictly_under (mnt, owners[i].dir))
      {
        const char *rest = mnt + strlen (owners[i].dir) + 1;
        cleanup_free char *name = xstrndup (rest, strcspn (rest, "/"));
        return owners[i].is_live (s, name);
      }
  return false;
}

static void
mounts (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors)
{
  char *roots[] = { (char *)cc_state_dir (), (char *)cc_data_dir (), NULL };
  cleanup_strv char **found = NULL;
  cc_error_t e = NULL;

  if (cc_mountinfo_under (roots, &found, &e) < 0)
    {
      cc_error_append (errors, &e);
      return;
    }
  for (char **m = found; *m; m++)
    {
      if (mount_is_owned (s, *m))
        continue;
      cc_findings_add (out, "mount", true, xstrdup (*m), NULL);
      if (s->fix && umount2 (*m, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        {
          cc_error_make (&e, errno, "unmount `%s`", *m);
          cc_error_append (errors, &e);
        }
    }
}

static void
network (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors)
{
  cleanup_free char *dir = cc_paths_network_dir ();
  cc_error_t e = NULL;

  /* Opening the network state creates it: a read-only look at another
     root (--all) must not write into it.  */
  if (s->foreign && ! cc_is_dir (dir))
    return;
  if (cc_network_residue (s->fix, s->projects, out, &e) < 0)
    cc_error_append (errors, &e);
}

/* The embedded DNS's responders (issue 16): those of projects that are
   gone, and those live projects need that died ("missing: ..."; FIX
   starts them again).  */
static void
dns_responders (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors)
{
  cleanup_strv char **lines = NULL;
  cc_error_t e = NULL;

  if (cc_network_dns_residue (s->fix, s->projects, cc_runtime_spawn_helper, &lines, &e) < 0)
    cc_error_append (errors, &e);
  for (char **l = lines; l && *l; l++)
    cc_findings_add (out, "dns", true, xstrdup (*l), NULL);
}

/* Containers' directories under the data root (logs, overlay upper and
   work, the files bound on /etc/hosts, resolv.conf, hostname) that this
   root no longer records.  A live project's container whose runtime
   record is not made yet (an `up` under way or killed) is its `down`'s
   to remove.  */
static void
data_dirs (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors)
{
  cleanup_free char *dir = cc_paths_container_data_root ();
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  cc_error_t e = NULL;

  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL;

      if (de->d_name[0] == '.' || cc_strv_contains (s->containers, de->d_name) || is_claimed (s, de->d_name))
        continue;
      path = cc_path_join (dir, de->d_name);
      cc_findings_add (out, "logs", true, xstrdup (path), xstrdup ("no such container"));
      if (s->fix && cc_rm_rf (path, &e) < 0)
        cc_error_append (errors, &e);
    }
}

typedef void (*scanner_fn) (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors);

/* In the order a fix must run them: mounts first, since a container's
   directory cannot go while something is mounted in it.  */
static const scanner_fn scanners[] = {
  project_dirs,
  cc_builder_residue,
  mounts,
  cc_volumes_residue,
  cc_runtime_residue_containers,
  network,
  dns_responders,
  cc_runtime_residue_monitors,
  cc_runtime_residue_cgroups,
  data_dirs,
  cc_image_residue,
};

static int
scan_root (struct scan *s, bool fix, bool foreign, bool orphans, cc_error_t *err)
{
  s->scope.fix = fix;
  s->scope.foreign = foreign;
  s->scope.orphans = orphans;
  if (load_live (s, err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (scanners); i++)
    scanners[i](&s->scope, &s->found, &s->errors);
  return 0;
}

/* ---- one root, every root ------------------------------------------------ */

struct walk
{
  bool fix, all;
  bool orphans_judged; /* --all: what no root records is judged once */
  const char *own_root;
  cc_residue_report_fn fn;
  void *opaque;
};

static int
check_one_root (struct walk *w, cc_error_t *err)
{
  cleanup_scan struct scan first = { 0 };
  cleanup_scan struct scan after = { 0 };
  cleanup_free char *errors = NULL;
  bool foreign = ! cc_paths_same_root (w->own_root, cc_state_dir ());
  bool orphans = w->all && ! w->orphans_judged;
  struct cc_residue_root r = { .state_dir = cc_state_dir (), .data_dir = cc_data_dir () };

  w->orphans_judged |= orphans;
  if (scan_root (&first, w->fix, foreign, orphans, err) < 0)
    return cc_error_wrap (err, "system check of `%s`", cc_state_dir ());
  /* After a fix, look again: what is still there is what counts.  */
  if (w->fix && scan_root (&after, false, foreign, orphans, err) < 0)
    return cc_error_wrap (err, "system check of `%s`", cc_state_dir ());
  r.found = first.found;
  r.left = w->fix ? after.found : first.found;
  errors = (w->fix ? after.errors : first.errors) ? cc_error_string (w->fix ? after.errors : first.errors) : NULL;
  r.errors = errors;
  w->fn (&r, w->opaque);
  return 0;
}

int
cc_engine_residue_check (bool fix, bool all, cc_residue_report_fn fn, void *opaque, cc_error_t *err)
{
  cleanup_free char *own_root = xstrdup (cc_state_dir ());
  struct walk w = { .fix = fix, .all = all, .own_root = own_root, .fn = fn, .opaque = opaque };
  cleanup_strv char **roots = NULL;
  int ret = 0;

  if (! all)
    return check_one_root (&w, err);
  /* Each root in turn, as if the command had been run with it.  */
  roots = state_roots ();
  for (char **root = roots; *root && ret == 0; root++)
    {
      cleanup_free char *data = cc_paths_data_root_for (*root);
      cc_paths_use_roots (*root, data);
      ret = check_one_root (&w, err);
    }
  cc_paths_use_roots (NULL, NULL);
  return ret;
}
