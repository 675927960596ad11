/* `up` without -d: create and start the project, then follow the logs of
   the containers it runs until they stop or Ctrl-C: the first stops
   gracefully what this up runs, with a countdown, the second kills.
   With --abort-on-container-exit the first container to stop does what
   Ctrl-C does.  The CLI gives the printer and says how lines look.  */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/logs.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

static volatile sig_atomic_t interrupts;

static void
on_interrupt (int sig)
{
  (void)sig;
  interrupts++;
  cc_engine_interrupted = 1;
}

struct attach
{
  const struct cc_up_attach *o;
  const cJSON *state;
  char **names;  /* attached containers */
  char **labels; /* "web-1" */
  int *service_index;
  const char *exited;         /* --abort-on-container-exit: the first that stopped */
  int exit_code;              /* and its exit code */
  struct cc_watcher *watcher; /* up --watch */
};

static void
attach_release (struct attach *a)
{
  cc_strv_free (a->names);
  cc_strv_free (a->labels);
  free (a->service_index);
  cc_engine_watch_close (a->watcher);
}

/* up --watch: the watcher acts between two reads of the logs; its
   failures are warnings, as `watch`'s are.  */
static void
tick_watcher (struct attach *a)
{
  cc_error_t e = NULL;

  if (a->watcher && cc_engine_watch_tick (a->watcher, &e) < 0)
    {
      cc_warn ("watch: %s", e->msg);
      cc_error_release (&e);
    }
}

static void
print_line (void *opaque, const struct cc_log_line *l)
{
  struct attach *a = opaque;
  a->o->print (a->o->opaque, l);
}

/* The exit code the runtime recorded for NAME; 1 when it recorded none
   (a monitor killed before the exit), as a failure.  */
static int
exit_code_of_container (const char *name)
{
  cleanup_cjson cJSON *st = NULL;

  if (cc_runtime_state (name, &st, NULL) < 0)
    return 1;
  return (int)cc_json_get_int (st, "exit_code", 1);
}

static bool
should_stop (void *opaque)
{
  struct attach *a = opaque;

  if (interrupts)
    return true;
  tick_watcher (a);
  if (! a->o->abort_on_exit && ! a->o->abort_on_failure)
    return false;
  for (char **n = a->names; *n; n++)
    {
      cleanup_free char *status = cc_engine_container_status (*n, NULL);
      int code;
      if (strcmp (status, "exited") != 0)
        continue;
      /* --abort-on-container-failure lets a clean exit be, as Compose.  */
      code = exit_code_of_container (*n);
      if (! a->o->abort_on_exit && code == 0)
        continue;
      a->exited = *n;
      a->exit_code = code;
      return true;
    }
  return false;
}

/* As Compose: --attach names the services outright; without it every
   service but those with `attach: false`; --no-attach leaves out either.  */
static bool
is_attached (const struct cc_up_attach *o, const struct cc_project *p, const char *service)
{
  const struct cc_service *svc = cc_project_service (p, service);

  if (o->attach && ! cc_strv_contains (o->attach, service))
    return false;
  if (o->attach == NULL && svc && svc->attach == 0)
    return false;
  return ! cc_strv_contains (o->no_attach, service);
}

/* The label of each attached container ("service-N"), and the index of its service
   in the project's order.  */
static void
setup_attach (struct attach *a, const struct cc_project *p, char **all)
{
  cleanup_strv char **services = cc_project_service_names (p);
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (a->state, "containers");
  size_t n = cc_strv_len (all);

  a->names = xzalloc (sizeof (char *));
  a->labels = xzalloc (sizeof (char *));
  a->service_index = xzalloc ((n + 1) * sizeof (int));
  n = 0;
  for (char **c = all; *c; c++)
    {
      const cJSON *e = cJSON_GetObjectItemCaseSensitive (containers, *c);
      const char *svc = cc_json_get_string (e, "service");
      if (svc == NULL || ! is_attached (a->o, p, svc))
        continue;
      cc_strv_append (&a->names, *c);
      cc_strv_push (&a->labels, cc_engine_log_label (p->name, *c, e));
      for (int i = 0; services[i]; i++)
        if (strcmp (services[i], svc) == 0)
          a->service_index[n] = i;
      n++;
    }
}

static int
exit_code_of (const cJSON *state, const char *service)
{
  cleanup_strv char **names = cc_state_container_names (state, service, false);

  return *names ? exit_code_of_container (names[0]) : 1;
}

static int
stop_all (const struct attach *a, char **names, cc_error_t *err)
{
  struct cc_stop_opts so = { .timeout_ms = a->o->timeout_ms, .explain = true, .force = &interrupts };

  /* force fires on the second interrupt: count this one out.  */
  if (interrupts)
    {
      cc_notice ("Gracefully stopping... (press Ctrl+C again to force)");
      interrupts = 0;
    }
  return cc_engine_stop (a->state, names, &so, err);
}

static int
follow (const struct cc_project *p, const struct cc_up_attach *o, char **all, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;
  struct attach a = { .o = o };
  struct cc_log_opts lo = { .follow = true,
                            .tail = -1,
                            .since = o->since,
                            .settle_ms = 1500,
                            .fn = print_line,
                            .should_stop = should_stop,
                            .opaque = &a };
  cleanup_free char *list = NULL;
  bool was_interrupted;
  int ret = 0;

  if (cc_state_open (p->name, false, &st, err) < 0)
    return -1;
  a.state = st->json;
  if (o->watch && cc_engine_watch_open (p, o->watch, &a.watcher, err) < 0)
    return -1;
  /* Watching goes on while every container is stopped, as Compose's.  */
  lo.keep_following = a.watcher != NULL;
  setup_attach (&a, p, all);
  if (o->attaching)
    o->attaching (o->opaque, a.labels, a.service_index);
  list = cc_strv_join (a.labels, ", ");
  cc_notice ("Attaching to %s", *list ? list : "nothing");
  cc_engine_logs (a.names, &lo, err);
  was_interrupted = interrupts > 0;
  if (was_interrupted || a.exited)
    {
      if (a.exited)
        cc_notice ("%s exited: aborting", a.exited);
      if (stop_all (&a, all, err) < 0)
        ret = -1;
    }
  if (o->exit_code_from)
    ret = ret < 0 ? ret : exit_code_of (st->json, o->exit_code_from);
  else if (a.exited && ret == 0)
    ret = a.exit_code;
  else if (was_interrupted && ret == 0)
    ret = 130;
  attach_release (&a);
  return ret;
}

/* Ctrl-C while up was still starting things (waiting for a dependency):
   what it had started is stopped, as the contract says.  */
static int
stop_started (const struct cc_project *p, struct cc_up_opts *up, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;
  cleanup_strv char **started = steal_pointer (&up->started);
  struct cc_stop_opts so = { .timeout_ms = up->timeout_ms, .explain = true, .force = &interrupts };
  cleanup_free char *why = cc_error_string (*err);

  cc_notice ("ccompose: %s", why);
  cc_error_release (err);
  cc_notice ("Gracefully stopping... (press Ctrl+C again to force)");
  interrupts = 0;
  if (started && *started && cc_state_open (p->name, false, &st, err) == 0
      && cc_engine_stop (st->json, started, &so, err) < 0)
    return -1;
  return 130;
}

/* Every container of the services this up runs.  */
static char **
project_containers (const struct cc_project *p, const struct cc_up_opts *up, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;
  cleanup_strv char **services = NULL;
  char **v = xzalloc (sizeof (char *));

  if (cc_state_open (p->name, false, &st, err) < 0)
    return v;
  if (up->no_deps && up->services && *up->services)
    services = cc_strv_dup (up->services);
  else if (cc_compose_select (p, up->services, &services, err) < 0)
    return v;
  for (char **s = services; *s; s++)
    {
      cleanup_strv char **names = cc_state_container_names (st->json, *s, false);
      for (char **n = names; *n; n++)
        cc_strv_append (&v, *n);
    }
  return v;
}

/* Attaching shows what ran since this up began, not the history of
   containers that were already there (second precision, as the logs').  */
static void
now_rfc3339 (char *buf, size_t len)
{
  time_t t = time (NULL);
  struct tm tm;

  gmtime_r (&t, &tm);
  strftime (buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

int
cc_engine_up_attached (const struct cc_project *p, struct cc_up_opts *up, struct cc_up_attach *o, cc_error_t *err)
{
  struct sigaction sa = { .sa_handler = on_interrupt };
  cleanup_strv char **all = NULL;
  char since[32];
  int ret;

  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  now_rfc3339 (since, sizeof (since));
  o->since = since;
  ret = cc_engine_up (p, up, err);
  if (ret < 0 && interrupts)
    return stop_started (p, up, err);
  cc_strv_free (steal_pointer (&up->started));
  if (ret < 0)
    return -1;
  if (up->dry_run || up->no_start)
    return 0;
  all = project_containers (p, up, err);
  return follow (p, o, all, err);
}
