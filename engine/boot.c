/* Reboot survival (issue 15): `restart: always` and `unless-stopped`
   outlive a host reboot, as Docker's daemon restarts such containers when
   it starts.  Project state lives under the state root (/run), gone after
   a reboot, so what `system boot` needs is recorded under the data root:

     <data>/boot/<project>/compose.json   the normalised model
     <data>/boot/<project>/record.json    {"project", "directory",
                                           "services": {"<svc>": replicas},
                                           "containers": [names before]}

   (lib/paths.c names them.)

   A snapshot of the model rather than the files and flags to load again:
   after a reboot Docker restarts the containers it has, configured as
   they were created, whatever the compose files say by then; and the
   model keeps what the `up` got from its caller (shell variables,
   --env-file, profiles) that systemd's `system boot` has none of.  The
   project directory is kept for what the model still reads from it at
   load (env_file, build contexts, bind sources).

   Which services come back follows Docker's restart manager: `always`
   unless never started (created only), `unless-stopped` only when it was
   running (a user's stop or kill keeps it stopped).  The record is made
   again after each command that changes that (up, start, stop, restart,
   rm) and goes with `down`.  */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"
#include "volumes/volumes.h"

static char *
boot_dir (const char *project)
{
  return project ? cc_paths_boot (project) : cc_paths_boot_dir ();
}

static bool
is_live (const char *status)
{
  static const char *const live[] = { "running", "restarting", "paused" };

  for (size_t i = 0; i < CC_N_ELEMENTS (live); i++)
    if (strcmp (status, live[i]) == 0)
      return true;
  return false;
}

/* `restart:`, else deploy.restart_policy's condition `any` (its
   default), which the engine runs as `always` (engine/container.c).  */
static const char *
restart_of (const cJSON *config)
{
  const cJSON *policy
      = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (config, "deploy"), "restart_policy");
  const char *condition = cc_json_get_string (policy, "condition");

  if (cc_json_get_string (config, "restart") || ! cJSON_IsObject (policy))
    return cc_json_get_string (config, "restart");
  return condition == NULL || strcmp (condition, "any") == 0 ? "always" : NULL;
}

/* Docker's restart manager at daemon start: `always` once started,
   `unless-stopped` unless stopped by hand.  */
static bool
comes_back (const char *name, const cJSON *entry)
{
  const char *restart = restart_of (cJSON_GetObjectItemCaseSensitive (entry, "config"));
  cleanup_free char *status = NULL;

  if (restart == NULL || cc_json_get_bool (entry, "oneoff", false))
    return false;
  if (strcmp (restart, "always") != 0 && strcmp (restart, "unless-stopped") != 0)
    return false;
  status = cc_engine_container_status (name, NULL);
  if (strcmp (restart, "always") == 0)
    return strcmp (status, "created") != 0 && strcmp (status, "missing") != 0;
  return is_live (status);
}

/* {"<service>": replicas} of the services that come back.  */
static cJSON *
services_to_boot (const cJSON *state)
{
  cleanup_cjson cJSON *replicas = cJSON_CreateObject ();
  cJSON *wanted = cJSON_CreateObject ();
  const cJSON *c;

  cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive (state, "containers"))
  {
    const char *svc = cc_json_get_string (c, "service");
    if (svc == NULL || cc_json_get_bool (c, "oneoff", false))
      continue;
    cc_json_set_int (replicas, svc, cc_json_get_int (replicas, svc, 0) + 1);
    if (comes_back (c->string, c))
      cc_json_set_bool (wanted, svc, true);
  }
  for (cJSON *s = wanted->child; s; s = s->next)
    {
      s->type = cJSON_Number;
      cJSON_SetNumberValue (s, (double)cc_json_get_int (replicas, s->string, 1));
    }
  cc_json_sort_keys (wanted);
  return wanted;
}

/* Every container of the state, one-off ones too: those that do not come
   back leave their data-root part behind after a reboot.  */
static cJSON *
container_names (const cJSON *state)
{
  cJSON *names = cJSON_CreateArray ();
  const cJSON *c;

  cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive (state, "containers"))
      cJSON_AddItemToArray (names, cJSON_CreateString (c->string));
  return names;
}

static int
write_snapshot (const char *dir, const struct cc_project *p, cc_error_t *err)
{
  cleanup_free char *path = cc_path_join (dir, "compose.json");
  cleanup_free char *text = NULL;

  if (p == NULL)
    {
      if (cc_file_exists (path))
        return 0;
      return cc_error_make (err, ENOENT, "no compose model on record: run `ccompose up` with the compose file");
    }
  text = cc_compose_render (p->model, true, true);
  /* 0600: the model holds the services' environment.  */
  return cc_write_file_atomic (path, text, strlen (text), 0600, err);
}

static int
boot_record (const cJSON *state, const struct cc_project *p, cc_error_t *err)
{
  const char *project = cc_json_get_string (state, "project");
  const char *directory = p ? p->directory : cc_json_get_string (state, "directory");
  cleanup_cjson cJSON *services = services_to_boot (state);
  cleanup_cjson cJSON *record = cJSON_CreateObject ();
  cleanup_free char *dir = NULL, *path = NULL;

  if (project == NULL)
    return 0;
  dir = boot_dir (project);
  /* Nothing comes back: a record only when there was one, its snapshot
     kept for a `start` without the compose file.  */
  if (services->child == NULL && ! cc_is_dir (dir))
    return 0;
  path = cc_path_join (dir, "record.json");
  cc_json_set_string (record, "project", project);
  cc_json_set_string (record, "directory", directory ? directory : "");
  cc_json_set (record, "services", steal_pointer (&services));
  cc_json_set (record, "containers", container_names (state));
  if (cc_mkdir_p (dir, 0700, err) < 0 || write_snapshot (dir, p, err) < 0 || cc_json_save_file (path, record, err) < 0)
    return cc_error_wrap (err, "record project `%s` for `system boot`", project);
  return 0;
}

void
cc_engine_boot_record (const cJSON *state, const struct cc_project *p)
{
  cc_error_t err = NULL;

  /* The command itself succeeded: a record it could not write is said,
     not made its failure.  */
  if (boot_record (state, p, &err) < 0)
    {
      cc_warn ("%s", err->msg);
      cc_error_release (&err);
    }
}

/* ---- `system boot` ---------------------------------------------------------- */

struct boot_target
{
  char *directory;
  char **services, **scale;
  char **containers; /* before the reboot */
};

static void
boot_target_release (struct boot_target *t)
{
  free (t->directory);
  cc_strv_free (t->containers);
  cc_strv_free (t->services);
  cc_strv_free (t->scale);
}
#define cleanup_boot_target __attribute__ ((cleanup (boot_target_release)))

static int
read_record (const char *dir, struct boot_target *t, cc_error_t *err)
{
  cleanup_free char *path = cc_path_join (dir, "record.json");
  cleanup_cjson cJSON *record = NULL;
  const cJSON *services, *s;

  if (cc_json_load_file (path, &record, err) < 0)
    return -1;
  services = cJSON_GetObjectItemCaseSensitive (record, "services");
  t->directory = xstrdup (cc_json_get_string (record, "directory") ?: "");
  t->containers = xzalloc (sizeof (char *));
  cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive (record, "containers"))
  {
    if (cJSON_IsString (s))
      cc_strv_append (&t->containers, s->valuestring);
  }
  t->services = xzalloc (sizeof (char *));
  t->scale = xzalloc (sizeof (char *));
  cJSON_ArrayForEach (s, services)
  {
    cc_strv_append (&t->services, s->string);
    cc_strv_push (&t->scale, xasprintf ("%s=%lld", s->string, (long long)cc_json_get_int (services, s->string, 1)));
  }
  return 0;
}

/* What the containers of CONTAINERS that LIVE (a state's "containers",
   may be NULL) does not name left on the data root: their directory,
   logs, volume users and image pins.  After a reboot they died with the
   host; Docker would keep them as exited containers, but ccompose's live
   under the state root the reboot emptied, so this goes as `down` would
   remove it.  */
static int
remove_leftovers (char *const *containers, const cJSON *live, cc_error_t *err)
{
  cc_error_t list = NULL, one = NULL;

  for (char *const *n = containers; *n; n++)
    {
      if (cJSON_GetObjectItemCaseSensitive (live, *n))
        continue;
      if (cc_runtime_delete (*n, &one) < 0 || cc_volumes_detach (*n, &one) < 0 || cc_image_unpin (*n, &one) < 0)
        cc_error_append (&list, &one);
    }
  if (list == NULL)
    return 0;
  *err = list;
  return -1;
}

static int
remove_dead (const char *project, char *const *containers, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;

  if (cc_state_open (project, true, &st, err) < 0)
    return -1;
  return remove_leftovers (containers, cJSON_GetObjectItemCaseSensitive (st->json, "containers"), err);
}

/* `down` removed every container the state names: what a reboot left of
   the others on record goes too, so a `down` after a reboot, instead of
   `system boot`, leaves nothing.  */
int
cc_engine_boot_forget (const char *project, cc_error_t *err)
{
  cleanup_free char *dir = boot_dir (project);
  cleanup_boot_target struct boot_target t = { 0 };

  if (! cc_is_dir (dir))
    return 0;
  if (read_record (dir, &t, err) == 0 && remove_leftovers (t.containers, NULL, err) < 0)
    return cc_error_wrap (err, "project `%s`: remove what its containers left before a reboot", project);
  cc_error_release (err);
  if (cc_rm_rf (dir, err) < 0)
    return cc_error_wrap (err, "forget project `%s` for `system boot`", project);
  return 0;
}

/* `up -d` of the services on record, from the snapshot: dependency order
   among them, no dependency they do not need (Docker restarts only the
   containers whose policy says so), and never a pull or a build.
   Returns 1 when nothing on record comes back.  */
static int
boot_project (const char *project, const struct cc_boot_opts *o, cc_error_t *err)
{
  cleanup_boot_target struct boot_target t = { 0 };
  cleanup_project struct cc_project *p = NULL;
  cleanup_free char *dir = boot_dir (project);
  cleanup_free char *snapshot = cc_path_join (dir, "compose.json");
  char *files[] = { snapshot, NULL };
  /* The snapshot holds only what an `up` accepted, --ignore-unsupported
     or not.  */
  struct cc_compose_options co = { .files = files, .project_name = project, .ignore_unsupported = true };
  struct cc_up_opts uo = { .no_deps = true, .pull = "never", .timeout_ms = -1, .wait_timeout_ms = -1 };
  int ret;

  if (read_record (dir, &t, err) < 0)
    return -1;
  if (*t.services == NULL)
    return 1;
  if (! cc_is_dir (t.directory))
    return cc_error_make (err, ENOENT, "skipped: project directory `%s` is gone", t.directory);
  co.project_directory = t.directory;
  co.services = t.services;
  uo.services = t.services;
  uo.scale = t.scale;
  uo.parallel = o->parallel;
  ret = cc_compose_load (&co, &p, err) < 0 || cc_engine_up (p, &uo, err) < 0 ? -1 : 0;
  cc_strv_free (uo.started);
  if (ret < 0)
    return cc_error_wrap (err, "skipped");
  if (remove_dead (project, t.containers, err) < 0)
    return cc_error_wrap (err, "remove what its containers that did not come back left");
  return 0;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static int
recorded_projects (char ***out, cc_error_t *err)
{
  cleanup_free char *dir = boot_dir (NULL);
  cleanup_dir DIR *d = opendir (dir);
  struct cc_strv_builder b = { 0 };
  struct dirent *de;

  if (d == NULL && errno != ENOENT)
    return cc_error_make (err, errno, "open `%s`", dir);
  while (d && (de = readdir (d)))
    if (de->d_name[0] != '.')
      cc_strv_builder_append (&b, de->d_name);
  *out = cc_strv_builder_steal (&b);
  qsort (*out, cc_strv_len (*out), sizeof (char *), compare_strings);
  return 0;
}

int
cc_engine_boot_containers (char ***out, cc_error_t *err)
{
  cleanup_strv char **projects = NULL;
  struct cc_strv_builder b = { 0 };

  if (recorded_projects (&projects, err) < 0)
    return -1;
  for (char **name = projects; *name; name++)
    {
      cleanup_free char *dir = boot_dir (*name);
      cleanup_boot_target struct boot_target t = { 0 };
      cc_error_t e = NULL;

      /* An unreadable record claims nothing: `system boot` reports it.  */
      if (read_record (dir, &t, &e) < 0)
        {
          cc_error_release (&e);
          continue;
        }
      for (char **c = t.containers; *c; c++)
        cc_strv_builder_append (&b, *c);
    }
  *out = cc_strv_builder_steal (&b);
  return 0;
}

int
cc_engine_boot (const struct cc_boot_opts *o, cc_error_t *err)
{
  cleanup_strv char **projects = NULL;
  cc_error_t list = NULL, one = NULL;

  if (recorded_projects (&projects, err) < 0)
    return -1;
  for (char **name = projects; *name; name++)
    {
      int ret = boot_project (*name, o, &one);
      if (ret >= 0)
        {
          if (ret == 0)
            cc_notice (" \u2714 Project %s  Started", *name);
          continue;
        }
      cc_error_wrap (&one, "project `%s`", *name);
      cc_notice (" \u2718 Project %s  Failed", *name);
      cc_error_append (&list, &one);
    }
  if (list == NULL)
    return 0;
  *err = list;
  return cc_error_wrap (err, "system boot");
}
