/* Reboot survival (issue 15): `restart: always` and `unless-stopped`
   outlive a host reboot, as Docker's daemon restarts such containers when
   it starts.  Project state lives under the state root (/run), gone after
   a reboot, so what `system boot` needs is recorded under the data root:

     cc_data_dir()/boot/<project>/compose.json   the normalised model
     cc_data_dir()/boot/<project>/record.json    {"project", "directory",
                                                  "services": {"<svc>": replicas}}

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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static char *
boot_dir (const char *project)
{
  return project ? xasprintf ("%s/boot/%s", cc_data_dir (), project) : xasprintf ("%s/boot", cc_data_dir ());
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

/* Docker's restart manager at daemon start: `always` once started,
   `unless-stopped` unless stopped by hand.  */
static bool
comes_back (const char *name, const cJSON *entry)
{
  const char *restart = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (entry, "config"), "restart");
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

int
cc_engine_boot_forget (const char *project, cc_error_t *err)
{
  cleanup_free char *dir = boot_dir (project);

  if (cc_rm_rf (dir, err) < 0)
    return cc_error_wrap (err, "forget project `%s` for `system boot`", project);
  return 0;
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
