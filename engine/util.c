/* Small helpers shared by the engine: container names, clocks.  */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

char *
cc_engine_service_container_name (const char *project, const struct cc_service *svc, int number)
{
  if (svc->container_name && number == 1)
    return xstrdup (svc->container_name);
  return cc_paths_container_name (project, svc->name, number);
}

char *
cc_engine_recorded_container_name (const cJSON *state, const char *project, const char *service, int number)
{
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (state, "containers");

  for (const cJSON *c = containers ? containers->child : NULL; c; c = c->next)
    if (strcmp (cc_json_get_string (c, "service") ?: "", service) == 0 && ! cc_json_get_bool (c, "oneoff", false)
        && cc_json_get_int (c, "number", 0) == number)
      return xstrdup (c->string);
  /* A rolling update gives new replicas new numbers (web-4 while web-1
     goes): --index N is then the Nth replica by number.  */
  cleanup_strv char **all = cc_state_container_names (state, service, false);
  if (number >= 1 && (size_t)number <= cc_strv_len (all))
    return xstrdup (all[number - 1]);
  return cc_paths_container_name (project, service, number);
}

int64_t
cc_engine_now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waiting on another process's state: a look every millisecond for the
   first 32 (about the time a quick dependency takes to turn healthy, and
   a look costs ~0.1 ms), then the pace doubles up to 20 ms so a long
   wait costs next to nothing.  Doubling from the start left gaps of 4
   to 16 ms just where conditions are met.  A watch (inotify) is no
   cheaper: closing one that has seen events waits out an SRCU grace
   period, 10-15 ms measured, which is the latency it was to save.  */
static long
backoff_ms (int *step)
{
  int s = (*step)++;

  return s < 32 ? 1 : s < 36 ? 1L << (s - 31) : 20;
}

void
cc_engine_backoff (int *step)
{
  long ms = backoff_ms (step);

  nanosleep (&(struct timespec){ .tv_nsec = ms * 1000000L }, NULL);
}

/* The same pause, cut short by an event on FDS (entries < 0 are
   skipped, as poll does): a waiter with something to watch wakes at the
   change, and still looks again at the backoff's pace in case an event
   is missed or the watch could not be set up.  Returns poll's result.  */
int
cc_engine_backoff_on (int *step, struct pollfd *fds, size_t n)
{
  long ms = backoff_ms (step);

  for (size_t i = 0; i < n; i++)
    if (fds[i].fd >= 0)
      return poll (fds, n, (int)ms);
  nanosleep (&(struct timespec){ .tv_nsec = ms * 1000000L }, NULL);
  return 0;
}

/* label=KEY or label=KEY=VALUE; label!=... is the negation (prune).  */
bool
cc_engine_label_matches (const cJSON *v, const char *want)
{
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive (v, "Labels");
  cleanup_free char *key = xstrndup (want, strcspn (want, "="));
  const char *eq = strchr (want, '='), *have = cc_json_get_string (labels, key);

  if (! cJSON_HasObjectItem (labels, key))
    return false;
  return eq == NULL || (have && strcmp (have, eq + 1) == 0);
}

/* Docker's filters: OR within a key, AND across keys.  */
int
cc_engine_filters_pass (const cJSON *v, char *const *filters, cc_engine_filter_fn match, bool *ok, cc_error_t *err)
{
  cleanup_strv char **keys = NULL;

  *ok = true;
  for (char *const *f = filters; f && *f; f++)
    {
      cleanup_free char *key = xstrndup (*f, strcspn (*f, "="));
      if (! cc_strv_contains (keys, key))
        cc_strv_append (&keys, key);
    }
  for (char **k = keys; k && *k && *ok; k++)
    {
      bool any = false;
      for (char *const *f = filters; f && *f; f++)
        {
          size_t len = strcspn (*f, "=");
          if (strlen (*k) != len || strncmp (*f, *k, len) != 0)
            continue;
          if ((*f)[len] != '=')
            return cc_error_make (err, EINVAL, "bad format of filter (expected name=value): %s", *f);
          if (match (v, *k, *f + len + 1, err))
            any = true;
          if (err && *err)
            return -1;
        }
      *ok = any;
    }
  return 0;
}
