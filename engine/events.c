/* `events`: a journal per project, <state>/projects/<name>/events.jsonl,
   one JSON object per line with the fields `docker compose events --json`
   prints.  The engine appends what commands do (create, kill, stop,
   pause, unpause, destroy); each container's monitor runs
   `ccompose -p PROJECT journal` (or `balance`) when its status or health
   changes, with the change in its environment (runtime/monitor.c), which
   appends start, die and health_status.  Appends are single O_APPEND
   writes, so concurrent writers never interleave within a line; `events`
   follows the file from its end.  */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/clock.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

#define JOURNAL "events.jsonl"
/* The state root is a tmpfs: a restart loop must not fill it.  Past this
   size the journal is emptied in place, by whichever writer sees it
   first (a monitor may not make a new file, see append_event), and a
   follower starts again from its beginning.  `events` shows only what
   happens while it follows, so nothing it could show is lost.  */
#define JOURNAL_MAX (4 * 1024 * 1024)
#define JOURNAL_RESERVE (1024 * 1024)
#define FOLLOW_POLL_MS 50

static char *
journal_path (const char *project)
{
  cleanup_free char *dir = cc_paths_project (project);
  return xasprintf ("%s/" JOURNAL, dir);
}

/* NAME's entry in PROJECT's saved state, for a writer without it (the
   monitors' `journal`, kill, pause, stop).  */
static cJSON *
recorded_entry (const char *project, const char *name)
{
  cleanup_free char *path = cc_paths_project_state (project), *text = NULL;
  cleanup_cjson cJSON *st = NULL;
  cJSON *containers;

  if (cc_read_file (path, &text, NULL, NULL) < 0 || (st = cJSON_Parse (text)) == NULL)
    return NULL;
  containers = cJSON_GetObjectItemCaseSensitive (st, "containers");
  return cJSON_DetachItemFromObjectCaseSensitive (containers, name);
}

/* Docker's attributes of a container event: its labels (Compose drops
   its own com.docker.compose.* ones), image and name.  */
static cJSON *
attributes_of (const char *name, const cJSON *entry)
{
  cleanup_cjson cJSON *labels = entry ? cc_engine_container_labels (name, entry) : NULL;
  cJSON *attrs = cJSON_CreateObject ();

  for (const cJSON *l = labels ? labels->child : NULL; l; l = l->next)
    if (cJSON_IsString (l) && strncmp (l->string, "com.docker.compose.", 19) != 0)
      cc_json_set_string (attrs, l->string, l->valuestring);
  if (cc_json_get_string (entry, "image"))
    cc_json_set_string (attrs, "image", cc_json_get_string (entry, "image"));
  cc_json_set_string (attrs, "name", name);
  return attrs;
}

/* Past JOURNAL_MAX, emptied before this line goes in.  */
static void
cap_journal (int fd)
{
  struct stat st;

  if (fstat (fd, &st) == 0 && st.st_size > JOURNAL_MAX && ftruncate (fd, 0) < 0)
    cc_debug ("events: cannot empty the journal: %s", strerror (errno));
}

/* The journal lives in the state root beside what the engine must still
   write to finish: a `down` on a nearly full root would otherwise spend
   the space each removal frees on events, and fail to save the state
   that says what is left.  So events give way first: none is recorded
   while less than 1 MiB is free.  */
static bool
room_for_events (int fd)
{
  struct statvfs fs;
  uint64_t free_bytes;

  if (fstatvfs (fd, &fs) < 0)
    return true;
  free_bytes = (uint64_t)fs.f_bavail * fs.f_frsize;
  if (free_bytes >= JOURNAL_RESERVE)
    return true;
  cc_debug ("events: not recorded, %" PRIu64 " KiB free in the state root", free_bytes / 1024);
  return false;
}

/* Only the engine's commands, which hold the project's lock or made its
   directory, may create the journal: a monitor's `journal` making a file
   while `down` removes the directory would leave it behind (rmdir: not
   empty).  Compose shows no event of one-off (`run`) containers.  */
static void
append_event (const char *project, const char *name, const cJSON *entry, const char *action, const char *key,
              const char *value, bool may_create)
{
  cleanup_cjson cJSON *loaded = entry ? NULL : recorded_entry (project, name);
  cleanup_free char *path = journal_path (project), *time_text = cc_now_rfc3339_nano (), *line = NULL;
  cleanup_cjson cJSON *ev = cJSON_CreateObject ();
  cleanup_close int fd = -1;
  cJSON *attrs;

  entry = entry ?: loaded;
  if (cc_json_get_bool (entry, "oneoff", false))
    return;
  attrs = attributes_of (name, entry);
  if (key && value)
    cc_json_set_string (attrs, key, value);
  cc_json_set_string (ev, "time", time_text);
  cc_json_set_string (ev, "type", "container");
  cc_json_set_string (ev, "service", cc_json_get_string (entry, "service") ?: "");
  /* Containers made before ids were recorded go by their name.  */
  cc_json_set_string (ev, "id", cc_json_get_string (entry, "id") ?: name);
  cc_json_set_string (ev, "action", action);
  cJSON_AddItemToObject (ev, "attributes", attrs);
  line = cJSON_PrintUnformatted (ev);
  /* No project directory: the project is gone (down), nothing to tell.  */
  fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | (may_create ? O_CREAT : 0), 0600);
  if (fd < 0 || ! room_for_events (fd))
    return;
  cap_journal (fd);
  line = xrealloc (line, strlen (line) + 2);
  strcat (line, "\n");
  cc_write_all (fd, line, strlen (line));
}

void
cc_engine_event (const char *project, const char *name, const cJSON *entry, const char *action, const char *key,
                 const char *value)
{
  append_event (project, name, entry, action, key, value, true);
}

void
cc_engine_container_event (const char *name, const char *action, const char *key, const char *value)
{
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;
  cc_error_t e = NULL;

  if (cc_runtime_spec_of (name, &spec, &e) < 0 || spec->owner == NULL)
    {
      cc_error_release (&e);
      return;
    }
  append_event (spec->owner, name, NULL, action, key, value, false);
}

/* What the monitor's environment says changed (runtime/monitor.c,
   notify_change): "STATUS/HEALTH" before and after.  */
static const char *
split_health (char *text)
{
  char *slash = strchr (text, '/');
  if (slash == NULL)
    return "";
  *slash = '\0';
  return slash + 1;
}

static bool
is_up (const char *status)
{
  return strcmp (status, "running") == 0 || strcmp (status, "paused") == 0;
}

void
cc_engine_journal_change (const char *project)
{
  const char *id = getenv (CC_RUNTIME_CHANGE_ID), *from_env = getenv (CC_RUNTIME_CHANGE_FROM);
  const char *to_env = getenv (CC_RUNTIME_CHANGE_TO), *exit_code = getenv (CC_RUNTIME_CHANGE_EXIT);
  cleanup_free char *from = xstrdup (from_env ?: "created/"), *to = xstrdup (to_env ?: "");
  const char *from_health = split_health (from), *to_health = split_health (to);

  if (id == NULL || to_env == NULL)
    return;
  if (strcmp (to, "running") == 0 && ! is_up (from))
    append_event (project, id, NULL, "start", NULL, NULL, false);
  else if (! is_up (to) && strcmp (to, "created") != 0 && is_up (from))
    append_event (project, id, NULL, "die", "exitCode", exit_code ?: "", false);
  /* Docker tells of a verdict, not of the start period.  */
  if (*to_health && strcmp (to_health, "starting") != 0 && strcmp (from_health, to_health) != 0 && is_up (to))
    {
      cleanup_free char *action = xasprintf ("health_status: %s", to_health);
      append_event (project, id, NULL, action, NULL, NULL, false);
    }
}

/* ---- following ------------------------------------------------------------ */

static bool
wanted (const cJSON *ev, char *const *services)
{
  const char *service = cc_json_get_string (ev, "service");
  return services == NULL || *services == NULL || (service && cc_strv_contains (services, service));
}

/* The lines of FD from *OFF on, each complete one handed to FN.  */
static int
read_new (int fd, off_t *off, char **partial, char *const *services, cc_event_fn fn, void *opaque)
{
  char buf[65536];
  ssize_t n;

  while ((n = pread (fd, buf, sizeof (buf) - 1, *off)) > 0)
    {
      char *start = buf, *nl;
      buf[n] = '\0';
      *off += n;
      while ((nl = strchr (start, '\n')) != NULL)
        {
          cleanup_free char *line = NULL;
          cleanup_cjson cJSON *ev = NULL;
          *nl = '\0';
          line = xasprintf ("%s%s", *partial ?: "", start);
          free (*partial), *partial = NULL;
          start = nl + 1;
          if ((ev = cJSON_Parse (line)) != NULL && wanted (ev, services) && fn (opaque, ev) < 0)
            return -1;
        }
      if (*start)
        {
          char *more = xasprintf ("%s%s", *partial ?: "", start);
          free (*partial);
          *partial = more;
        }
    }
  return 0;
}

int
cc_engine_events_follow (const char *project, char *const *services, cc_event_fn fn, void *opaque, cc_error_t *err)
{
  cleanup_free char *path = journal_path (project), *partial = NULL;
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st, now;
  off_t off = 0;

  /* Events from now on, as Docker's: the file there now from its end; a
     file made later (the first `up`, one after a `down`) whole.  */
  if (fd >= 0 && fstat (fd, &st) < 0)
    return cc_error_make (err, errno, "stat `%s`", path);
  if (fd >= 0)
    off = st.st_size;
  for (;;)
    {
      if (fd < 0 && (fd = open (path, O_RDONLY | O_CLOEXEC)) >= 0)
        {
          if (fstat (fd, &st) < 0)
            return cc_error_make (err, errno, "stat `%s`", path);
          off = 0;
        }
      if (fd >= 0 && read_new (fd, &off, &partial, services, fn, opaque) < 0)
        return 0;
      /* Emptied at its size limit (cap_journal): from its start again.  */
      if (fd >= 0 && fstat (fd, &now) == 0 && now.st_size < off)
        {
          off = 0;
          free (partial), partial = NULL;
          continue;
        }
      if (fd >= 0 && (stat (path, &now) < 0 || now.st_ino != st.st_ino))
        {
          /* Replaced: what the old file got last, then the new one.  */
          if (read_new (fd, &off, &partial, services, fn, opaque) < 0)
            return 0;
          close (fd);
          fd = -1;
          continue;
        }
      nanosleep (&(struct timespec){ 0, FOLLOW_POLL_MS * 1000000L }, NULL);
    }
}
