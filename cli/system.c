/* `ccompose system check [--fix] [--all] [--format text|json]`: the residue
   check (DESIGN.md §8).  It lists every host resource carrying ccompose's
   names (§4) that belongs to no live project of the state root, and with
   --fix removes it.

   A live project is one with a state file under projects/<name>/; a
   container is claimed when a live project's state names it.  Everything
   else of this root is residue: containers nobody claims (their monitor,
   cgroups, state and logs go with cc_runtime_delete), network records,
   links, netns files and iptables rules of dead projects, in every
   network namespace the root's networks live in (network/'s
   cc_network_residue), project directories without state, mounts under
   the state and data roots, log directories without a container.
   Resources of ANOTHER state root are not judged (parallel tests run with
   private roots) unless --all walks every root found on the host; --all
   also reports, once, cgroups no root records and monitors whose root is
   gone, which belong to no root that could be asked.  */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "builder/builder.h"
#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/mountinfo.h"
#include "lib/paths.h"
#include "lib/proc.h"
#include "lib/residue.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"
#include "runtime/runtime.h"
#include "volumes/volumes.h"

static const char usage[]
    = "Usage: ccompose system [OPTIONS] COMMAND\n\n"
      "Host-wide maintenance\n\n"
      "Commands:\n"
      "  check [--fix] [--all] [--format text|json]\n"
      "        List host resources with ccompose's names (iptables chains and rules, cc* interfaces,\n"
      "        mounts, netns files, cgroups, monitor processes, state files) that belong to no live\n"
      "        project; --fix removes them.  Rules and interfaces are looked for in every network\n"
      "        namespace the root's networks live in.  --all judges every state root on the host,\n"
      "        not only this one (CCOMPOSE_STATE_DIR, CCOMPOSE_DATA_DIR).  Firewall rules live networks\n"
      "        need and another tool took away (\"missing: ...\"), or another firewall's forward drop\n"
      "        they are not yet accepted in, are problems too; --fix puts them back.\n"
      "        Exit status: 0 nothing left, 1 residue remains (or the check failed).\n";

struct finding
{
  const char *kind;
  char *what;
};

/* One pass over one state root.  */
struct scan
{
  bool fix;
  bool foreign;      /* --all: a root other than the caller's */
  bool orphans;      /* --all, once: judge what no root records */
  char **projects;   /* live projects */
  char **claimed;    /* containers their states name */
  char **containers; /* container ids recorded in this root */
  char **roots;      /* every state root on the host */
  struct finding *found;
  size_t n_found;
  cc_error_t errors; /* what could not be read or removed */
};

static void
scan_release (struct scan *s)
{
  cc_strv_free (s->projects);
  cc_strv_free (s->claimed);
  cc_strv_free (s->containers);
  cc_strv_free (s->roots);
  for (size_t i = 0; i < s->n_found; i++)
    free (s->found[i].what);
  free (s->found);
  cc_error_release (&s->errors);
}
#define cleanup_scan __attribute__ ((cleanup (scan_release)))

static void
found (struct scan *s, const char *kind, char *what)
{
  s->found = xrealloc (s->found, (s->n_found + 1) * sizeof (*s->found));
  s->found[s->n_found++] = (struct finding){ kind, what };
}

static void
failed (struct scan *s, cc_error_t *e)
{
  cc_error_append (&s->errors, e);
}

static bool
is_strictly_under (const char *path, const char *dir)
{
  size_t n = strlen (dir);
  return strncmp (path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

static char *
state_path (const char *name)
{
  return cc_path_join (cc_state_dir (), name);
}

static char *
data_path (const char *name)
{
  return cc_path_join (cc_data_dir (), name);
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
      failed (s, &e);
      return;
    }
  cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive (st->json, "containers"))
      cc_strv_append (&s->claimed, c->string);
}

/* A running build owns its containers and its build network's project
   (builder/record.c): they are alive as long as the build is.  */
static void
claim_builds (struct scan *s)
{
  cleanup_strv char **found = NULL;
  cc_error_t e = NULL;

  if (cc_builder_residue (false, &found, &s->claimed, &s->projects, &e) < 0)
    failed (s, &e);
}

static int
load_live (struct scan *s, cc_error_t *err)
{
  s->claimed = xzalloc (sizeof (char *));
  if (cc_state_projects (&s->projects, err) < 0 || cc_runtime_list (&s->containers, err) < 0)
    return -1;
  for (char **p = s->projects; *p; p++)
    claim_containers_of (s, *p);
  claim_builds (s);
  s->roots = cc_residue_state_roots ();
  return 0;
}

static bool
is_claimed (const struct scan *s, const char *id)
{
  return cc_strv_contains (s->claimed, id);
}

/* A state root other than ours that records container ID.  */
static bool
recorded_elsewhere (const struct scan *s, const char *id)
{
  for (char **r = s->roots; *r; r++)
    {
      cleanup_free char *dir = NULL;

      if (strcmp (*r, cc_state_dir ()) == 0)
        continue;
      dir = xasprintf ("%s/containers/%s", *r, id);
      if (cc_is_dir (dir))
        return true;
    }
  return false;
}

/* Some state root on the host records the container of cgroup NAME.  */
static bool
cgroup_is_recorded (const struct scan *s, const char *name)
{
  cleanup_free char *stripped = cc_paths_cgroup_strip_suffix (name);

  return cc_strv_contains (s->containers, name) || recorded_elsewhere (s, name)
         || (stripped && (cc_strv_contains (s->containers, stripped) || recorded_elsewhere (s, stripped)));
}

/* ---- the checks, in the order --fix must run them ------------------------ */

/* A project directory without state.json: a crash between taking the lock
   and the first save, or a `down` cut short.  */
static void
check_project_dirs (struct scan *s)
{
  cleanup_free char *dir = state_path ("projects");
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
      found (s, "project-state", xasprintf ("%s (no state.json)", pdir));
      if (! s->fix)
        continue;
      /* A command holding the lock is about to write the state.  */
      lock = cc_path_join (pdir, "lock");
      if (cc_lock_path (lock, false, &lock_fd, &e) < 0 || cc_rm_rf (pdir, &e) < 0)
        failed (s, &e);
    }
}

/* Builds killed before they could clean up (their lock is free): their
   containers, build network, image pins and scratch directories.  */
static void
check_builds (struct scan *s)
{
  cleanup_strv char **lines = NULL;
  cc_error_t e = NULL;

  if (s->foreign)
    return;
  if (cc_builder_residue (s->fix, &lines, NULL, NULL, &e) < 0)
    failed (s, &e);
  for (char **l = lines; l && *l; l++)
    found (s, "build", xstrdup (*l));
}

static void
check_containers (struct scan *s)
{
  cc_error_t e = NULL;

  for (char **id = s->containers; *id; id++)
    {
      cleanup_cjson cJSON *st = NULL;
      const char *status = "unknown";

      if (is_claimed (s, *id))
        continue;
      if (cc_runtime_state (*id, &st, NULL) == 0 && cc_json_get_string (st, "status"))
        status = cc_json_get_string (st, "status");
      found (s, "container", xasprintf ("%s (%s, no live project claims it)", *id, status));
      if (s->fix && cc_runtime_delete (*id, &e) < 0)
        failed (s, &e);
    }
}

static void
check_network (struct scan *s)
{
  cleanup_strv char **lines = NULL;
  cleanup_free char *dir = state_path ("network");
  cc_error_t e = NULL;

  /* Opening the network state creates it: a read-only look at another
     root (--all) must not write into it.  */
  if (s->foreign && ! cc_is_dir (dir))
    return;
  if (cc_network_residue (s->fix, s->projects, &lines, &e) < 0)
    failed (s, &e);
  for (char **l = lines; l && *l; l++)
    found (s, "network", xstrdup (*l));
}

/* Driver mounts of volumes no container uses, and users no live project
   has (volumes/residue.c).  */
static void
check_volumes (struct scan *s)
{
  cleanup_strv char **lines = NULL;
  cc_error_t e = NULL;

  if (cc_volumes_residue (s->fix, s->claimed, &lines, &e) < 0)
    failed (s, &e);
  for (char **l = lines; l && *l; l++)
    found (s, "volume", xstrdup (*l));
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

static bool
same_root (const char *a, const char *b)
{
  cleanup_free char *x = cc_path_clean (a), *y = cc_path_clean (b);
  return strcmp (x, y) == 0;
}

static void
judge_monitor (struct scan *s, const struct cc_residue_monitor *m)
{
  bool recorded = monitor_is_recorded (m->id, m->pid, m->start);

  if (recorded && is_claimed (s, m->id))
    return;
  found (s, "monitor",
         xasprintf ("pid %d (container %s, %s)", (int)m->pid, m->id,
                    recorded ? "no live project claims it" : "no record of this process"));
  if (! s->fix)
    return;
  /* Only a process whose pid AND start time are on record is ours to
     kill: anything else may be a recycled pid.  */
  if (! recorded)
    {
      cc_error_t e = NULL;
      cc_error_make (&e, 0, "monitor pid %d of `%s`: not killed, its identity is not recorded", (int)m->pid, m->id);
      failed (s, &e);
      return;
    }
  cc_proc_kill (m->pid, m->start, SIGKILL);
}

static void
check_monitors (struct scan *s)
{
  struct cc_residue_monitor *mons = NULL;
  size_t n = 0;
  cc_error_t e = NULL;

  if (cc_residue_monitors (&mons, &n, &e) < 0)
    {
      failed (s, &e);
      return;
    }
  for (size_t i = 0; i < n; i++)
    {
      if (same_root (mons[i].state_dir, cc_state_dir ()))
        judge_monitor (s, &mons[i]);
      else if (s->orphans && ! cc_is_dir (mons[i].state_dir))
        found (s, "monitor",
               xasprintf ("pid %d (container %s, its state root `%s` is gone)", (int)mons[i].pid, mons[i].id,
                          mons[i].state_dir));
    }
  cc_residue_monitors_free (mons, n);
}

static void
remove_cgroup (struct scan *s, const char *dir, bool busy)
{
  cc_error_t e = NULL;

  if (busy)
    cc_error_make (&e, EBUSY, "cgroup `%s`: not removed, it still has processes", dir);
  else
    cc_residue_cgroup_remove (dir, &e);
  if (e)
    failed (s, &e);
}

/* A cgroup named for this root whose container it no longer records.
   Cgroups no root records at all are judged only under --all: whose they
   were cannot be known.  */
static void
check_cgroups (struct scan *s)
{
  cleanup_strv char **dirs = NULL;
  cc_error_t e = NULL;

  if (cc_residue_cgroup_dirs (&dirs, &e) < 0)
    {
      failed (s, &e);
      return;
    }
  for (char **d = dirs; *d; d++)
    {
      cleanup_free char *name = cc_path_basename (*d);
      cleanup_free char *id = cc_paths_cgroup_id (name, cc_state_dir ());
      bool busy;

      if (id ? cc_strv_contains (s->containers, id) : ! s->orphans || cgroup_is_recorded (s, name))
        continue;
      busy = cc_residue_cgroup_busy (*d);
      found (s, "cgroup",
             xasprintf ("%s (%s%s)", *d,
                        id ? "no such container in this root" : "no container record in any state root",
                        busy ? ", has processes" : ""));
      if (s->fix)
        remove_cgroup (s, *d, busy);
    }
}

static bool
is_live_project (const struct scan *s, const char *name)
{
  return cc_strv_contains (s->projects, name);
}

/* Mounts of live things: a claimed container's directories, a live
   project's directory, and netns handles (network/ judges those).  */
static bool
mount_is_owned (const struct scan *s, const char *mnt)
{
  cleanup_free char *netns = state_path ("netns");
  cleanup_free char *containers = state_path ("containers");
  cleanup_free char *logs = data_path ("containers");
  cleanup_free char *projects = state_path ("projects");
  const struct
  {
    const char *dir;
    bool (*is_live) (const struct scan *s, const char *name);
  } owners[] = { { containers, is_claimed }, { logs, is_claimed }, { projects, is_live_project } };

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
check_mounts (struct scan *s)
{
  char *roots[] = { (char *)cc_state_dir (), (char *)cc_data_dir (), NULL };
  cleanup_strv char **mounts = NULL;
  cc_error_t e = NULL;

  if (cc_mountinfo_under (roots, &mounts, &e) < 0)
    {
      failed (s, &e);
      return;
    }
  for (char **m = mounts; *m; m++)
    {
      if (mount_is_owned (s, *m))
        continue;
      found (s, "mount", xstrdup (*m));
      if (s->fix && umount2 (*m, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        {
          cc_error_make (&e, errno, "unmount `%s`", *m);
          failed (s, &e);
        }
    }
}

/* Containers' directories under the data root (logs, overlay upper and
   work, the files bound on /etc/hosts, resolv.conf, hostname) that this
   root no longer records.  A live project's container whose runtime
   record is not made yet (an `up` under way or killed) is its `down`'s
   to remove.  */
static void
check_logs (struct scan *s)
{
  cleanup_free char *dir = data_path ("containers");
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  cc_error_t e = NULL;

  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL;

      if (de->d_name[0] == '.' || cc_strv_contains (s->containers, de->d_name) || is_claimed (s, de->d_name))
        continue;
      path = cc_path_join (dir, de->d_name);
      found (s, "logs", xasprintf ("%s (no such container)", path));
      if (s->fix && cc_rm_rf (path, &e) < 0)
        failed (s, &e);
    }
}

static void (*const checks[]) (struct scan *s) = {
  /* Mounts first: a container's directory cannot go while something is
     mounted in it.  */
  check_project_dirs, check_builds,   check_mounts,  check_volumes, check_containers,
  check_network,      check_monitors, check_cgroups, check_logs,
};

static int
scan_root (struct scan *s, bool fix, bool foreign, bool orphans, cc_error_t *err)
{
  s->fix = fix;
  s->foreign = foreign;
  s->orphans = orphans;
  if (load_live (s, err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (checks); i++)
    checks[i](s);
  return 0;
}

/* ---- output ------------------------------------------------------------- */

static cJSON *
findings_json (const struct scan *s)
{
  cJSON *arr = cJSON_CreateArray ();

  for (size_t i = 0; i < s->n_found; i++)
    {
      cJSON *o = cJSON_CreateObject ();
      cc_json_set_string (o, "kind", s->found[i].kind);
      cc_json_set_string (o, "what", s->found[i].what);
      cJSON_AddItemToArray (arr, o);
    }
  return arr;
}

static void
print_findings (const struct scan *s, const char *verb)
{
  for (size_t i = 0; i < s->n_found; i++)
    printf ("%s%-13s %s\n", verb, s->found[i].kind, s->found[i].what);
}

struct report
{
  bool json;
  bool all;            /* several roots: a header line for each */
  bool orphans_judged; /* --all: resources no root records, judged once */
  char *own_root;      /* the caller's state root */
  cJSON *roots;        /* JSON output, one object per root */
  bool dirty;
};

static void
report_root (struct report *r, const struct scan *first, const struct scan *after, bool fix)
{
  const struct scan *left = fix ? after : first;
  cleanup_free char *errors = left->errors ? cc_error_string (left->errors) : NULL;

  r->dirty |= left->n_found > 0 || left->errors != NULL;
  if (r->json)
    {
      cJSON *o = cJSON_CreateObject ();
      cc_json_set_string (o, "state_dir", cc_state_dir ());
      cc_json_set_string (o, "data_dir", cc_data_dir ());
      cc_json_set (o, "residue", findings_json (left));
      if (fix)
        cc_json_set (o, "fixed", findings_json (first));
      if (errors)
        cc_json_set_string (o, "error", errors);
      cJSON_AddItemToArray (r->roots, o);
      return;
    }
  if (fix)
    print_findings (first, "removing ");
  print_findings (left, fix ? "left      " : "");
  if (errors)
    fprintf (stderr, "ccompose: system check of `%s`: %s\n", cc_state_dir (), errors);
  if (left->n_found == 0 && errors == NULL)
    printf ("no residue in %s (data %s)\n", cc_state_dir (), cc_data_dir ());
}

static int
check_one_root (struct report *r, bool fix, cc_error_t *err)
{
  cleanup_scan struct scan first = { 0 };
  cleanup_scan struct scan after = { 0 };
  bool foreign = ! same_root (r->own_root, cc_state_dir ());

  if (r->all && ! r->json)
    printf ("== state root %s\n", cc_state_dir ());
  bool orphans = r->all && ! r->orphans_judged;

  r->orphans_judged |= orphans;
  if (scan_root (&first, fix, foreign, orphans, err) < 0)
    return cc_error_wrap (err, "system check of `%s`", cc_state_dir ());
  /* After a fix, look again: what is still there is what counts.  */
  if (fix && scan_root (&after, false, foreign, orphans, err) < 0)
    return cc_error_wrap (err, "system check of `%s`", cc_state_dir ());
  report_root (r, &first, &after, fix);
  return 0;
}

/* --all: each root in turn, as if the command had been run with it.  */
static int
check_all_roots (struct report *r, bool fix, cc_error_t *err)
{
  cleanup_free char *saved_state = getenv (CC_STATE_DIR_ENV) ? xstrdup (getenv (CC_STATE_DIR_ENV)) : NULL;
  cleanup_free char *saved_data = getenv (CC_DATA_DIR_ENV) ? xstrdup (getenv (CC_DATA_DIR_ENV)) : NULL;
  cleanup_strv char **roots = cc_residue_state_roots ();
  int ret = 0;

  for (char **root = roots; *root && ret == 0; root++)
    {
      cleanup_free char *data = cc_paths_data_root_for (*root);
      setenv (CC_STATE_DIR_ENV, *root, 1);
      setenv (CC_DATA_DIR_ENV, data, 1);
      ret = check_one_root (r, fix, err);
    }
  saved_state ? setenv (CC_STATE_DIR_ENV, saved_state, 1) : unsetenv (CC_STATE_DIR_ENV);
  saved_data ? setenv (CC_DATA_DIR_ENV, saved_data, 1) : unsetenv (CC_DATA_DIR_ENV);
  return ret;
}

static int
cmd_check (int argc, char **argv)
{
  static const struct option opts[] = {
    { "fix", no_argument, NULL, 'f' },
    { "all", no_argument, NULL, 'a' },
    { "format", required_argument, NULL, 'F' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error cc_error_t err = NULL;
  cleanup_cjson cJSON *roots = cJSON_CreateArray ();
  cleanup_free char *own_root = xstrdup (cc_state_dir ());
  struct report r = { .roots = roots, .own_root = own_root };
  bool fix = false, all = false;
  int c;

  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        fix = true;
        break;
      case 'a':
        all = true;
        break;
      case 'F':
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "text") != 0 && strcmp (optarg, "table") != 0)
          return cli_usage_error ("system check", "--format: want text or json, not `%s`", optarg);
        r.json = strcmp (optarg, "json") == 0;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("system check", "unknown option");
      }
  if (optind < argc)
    return cli_usage_error ("system check", "unexpected argument `%s`", argv[optind]);
  r.all = all;
  if ((all ? check_all_roots (&r, fix, &err) : check_one_root (&r, fix, &err)) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  if (r.json)
    {
      cleanup_free char *text = NULL;
      cleanup_cjson cJSON *doc = cJSON_CreateObject ();
      cJSON_AddBoolToObject (doc, "clean", ! r.dirty);
      cc_json_set (doc, "roots", steal_pointer (&roots));
      text = cJSON_Print (doc);
      puts (text);
    }
  return r.dirty ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int
cli_cmd_system (struct cli_global *g, int argc, char **argv)
{
  (void)g;
  if (argc < 2 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    {
      fputs (usage, argc < 2 ? stderr : stdout);
      return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
  if (strcmp (argv[1], "check") == 0)
    return cmd_check (argc - 1, argv + 1);
  return cli_usage_error ("system", "unknown command `%s`", argv[1]);
}
