/* Rolling updates of replicas (issue 16), batch by batch as
   update_config says (parallelism, delay, order).  start-first: the
   batch's new replicas are recorded, created out of the balancer,
   started and awaited (healthy, or running without a healthcheck, then
   `monitor` more); they join the balancer, then the old ones retire:
   they leave the balancer, drain (their open connections finish, within
   stop_grace_period) and stop.  stop-first: the old ones retire first.
   A retired replica is kept, stopped, until the whole update is done:
   it is the previous image and configuration, ready to come back.

   A new replica that fails (not ready in time, exited, or unhealthy
   within `monitor`) is removed, its old one comes back if it had
   retired, and failure_action applies: `continue` goes on, `pause`
   stops with the service half updated (the next `up` resumes), and
   `rollback` brings the replaced replicas back, batch by batch as
   rollback_config says: the old replica starts again and serves, the
   new one retires and goes.

   Each step is recorded before it is taken (the new entry before its
   container exists, "retired" before a replica leaves the balancer), so
   a crash at any step leaves old and new replicas in the state: the
   next `up` keeps as many as wanted, retired ones last (state.c), and
   removes the rest, and `down` removes all.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"
#include "runtime/runtime.h"

/* How long a new replica may take to be ready when --wait-timeout does
   not say: its healthcheck's start period and retries fit in it.  */
#define READY_TIMEOUT_MS 120000
/* A draining replica counts as idle once it shows no connection twice
   this far apart: a connection whose DNAT was chosen just before the
   replica left may not have reached its socket at the first look.  */
#define DRAIN_CONFIRM_MS 100

/* One pass over replicas: the update, or its rollback.  */
struct pass
{
  const struct cc_roll *r;
  const struct cc_update_config *cfg;
  const char *what; /* "update_config", "rollback_config" */
  bool stop_first;
};

static int64_t
or_default (int64_t v, int64_t dflt)
{
  return v >= 0 ? v : dflt;
}

static void
sleep_ms (int64_t ms)
{
  if (ms > 0)
    nanosleep (&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L }, NULL);
}

/* 1 ready, 0 not yet, -1 failed (with ERR).  */
static int
ready (const char *name, cc_error_t *err)
{
  cleanup_free char *health = NULL;
  cleanup_free char *status = cc_engine_container_status (name, &health);

  if (strcmp (status, "running") != 0 && strcmp (status, "created") != 0 && strcmp (status, "restarting") != 0)
    {
      cleanup_free char *logs = cc_engine_last_log_lines (name, 10);
      return cc_error_make (err, 0, "container %s is %s; last log lines:\n%s", name, status, logs);
    }
  if (health && strcmp (health, "unhealthy") == 0)
    {
      cleanup_free char *out = cc_engine_last_health_output (name);
      return cc_error_make (err, 0, "container %s is unhealthy (last healthcheck: %s)", name, out);
    }
  return strcmp (status, "running") == 0 && (health == NULL || strcmp (health, "healthy") == 0);
}

static int
wait_ready (const struct cc_roll *r, const char *name, cc_error_t *err)
{
  int64_t limit = r->wait_timeout_ms > 0 ? r->wait_timeout_ms : READY_TIMEOUT_MS;
  int64_t deadline = cc_engine_now_ms () + limit;
  int step = 0, ret;

  while ((ret = ready (name, err)) == 0)
    {
      if (cc_engine_interrupted)
        return cc_error_make (err, EINTR, "interrupted while waiting for container %s", name);
      if (cc_engine_now_ms () >= deadline)
        return cc_error_make (err, ETIMEDOUT, "container %s was not ready within %lld s", name,
                              (long long)(limit / 1000));
      cc_engine_backoff (&step);
    }
  return ret < 0 ? -1 : 0;
}

/* `monitor`: the replica must stay ready this long.  */
static int
monitor (const struct pass *ps, const char *name, cc_error_t *err)
{
  int64_t end = cc_engine_now_ms () + or_default (ps->cfg->monitor_ms, 0);
  int step = 0;

  do
    {
      if (ready (name, err) <= 0)
        return cc_error_wrap (err, "during %s.monitor", ps->what);
      if (cc_engine_now_ms () >= end)
        return 0;
      cc_engine_backoff (&step);
    }
  while (true);
}

/* The step a ready replica reached (issue 16: the progress shows each
   replica's step); the image's HEALTHCHECK counts as the file's.  */
static const char *
ready_word (const char *name)
{
  cleanup_free char *health = NULL;
  cleanup_free char *status = cc_engine_container_status (name, &health);

  return health ? "Healthy" : "Running";
}

/* Wait for each of NAMES to be ready and stay so through `monitor`;
   how many failed in *FAILED, the first failure in ERR.  */
static int
await (const struct pass *ps, char *const *names, size_t *failed, cc_error_t *err)
{
  cc_error_t first = NULL;

  *failed = 0;
  for (char *const *n = names; *n; n++)
    {
      cc_error_t e = NULL;
      if (wait_ready (ps->r, *n, &e) < 0 || monitor (ps, *n, &e) < 0)
        {
          cc_engine_progress ("Container", *n, "Failed");
          if (first == NULL)
            first = e;
          else
            cc_error_release (&e);
          (*failed)++;
          continue;
        }
      cc_engine_progress ("Container", *n, ready_word (*n));
    }
  if (first == NULL)
    return 0;
  *err = first;
  return -1;
}

static int
pid_of (const char *name)
{
  cleanup_cjson cJSON *st = NULL;

  if (cc_runtime_state (name, &st, NULL) < 0)
    return -1;
  return (int)cc_json_get_int (st, "pid", -1);
}

static int
open_connections (const struct cc_service *svc, int pid)
{
  int total = 0;

  for (size_t i = 0; i < svc->n_ports; i++)
    for (unsigned p = svc->ports[i].target; p <= svc->ports[i].target_end || p == svc->ports[i].target; p++)
      {
        int n = cc_network_open_connections (pid, p);
        if (n < 0)
          return 0; /* gone: nothing left to drain */
        total += n;
      }
  return total;
}

/* Open connections of NAME finish: they keep their backend (conntrack),
   the balancer gives it no new one.  Bounded by the stop timeout or the
   service's stop_grace_period, as Docker bounds a stop.  */
static void
drain (const struct cc_roll *r, const char *name)
{
  int64_t grace = r->stop_timeout_ms >= 0 ? r->stop_timeout_ms : or_default (r->svc->stop_grace_period_ms, 10000);
  int64_t deadline = cc_engine_now_ms () + grace;
  int pid = pid_of (name), idle = 0;

  cc_engine_progress ("Container", name, "Draining");
  while (pid > 0 && idle < 2 && cc_engine_now_ms () < deadline && ! cc_engine_interrupted)
    {
      idle = open_connections (r->svc, pid) == 0 ? idle + 1 : 0;
      if (idle < 2)
        sleep_ms (DRAIN_CONFIRM_MS);
    }
  cc_engine_progress ("Container", name, idle >= 2 || pid <= 0 ? "Drained" : "Drain timed out");
}

static cJSON *
containers (const struct cc_roll *r)
{
  return cc_state_section (r->st, "containers");
}

static cJSON *
entry_of (const struct cc_roll *r, const char *name)
{
  return cJSON_GetObjectItemCaseSensitive (containers (r), name);
}

/* "retired" on the entries of NAMES, saved: a crash from here on leaves
   them behind the replicas that serve (state.c).  */
static int
mark_retired (const struct cc_roll *r, char *const *names, bool retired, cc_error_t *err)
{
  for (char *const *n = names; *n; n++)
    {
      cJSON *e = entry_of (r, *n);
      if (e && retired)
        cc_json_set_bool (e, "retired", true);
      else if (e)
        cJSON_DeleteItemFromObjectCaseSensitive (e, "retired");
    }
  return cc_state_save (r->st, err);
}

static int
remove_replica (const struct cc_roll *r, const char *name, cc_error_t *err)
{
  const cJSON *entry = entry_of (r, name);

  if (entry && cc_engine_remove_resources (r->p->name, entry, name, r->stop_timeout_ms, err) < 0)
    return -1;
  cJSON_DeleteItemFromObjectCaseSensitive (containers (r), name);
  if (cc_state_save (r->st, err) < 0)
    return -1;
  cc_engine_progress ("Container", name, "Removed");
  return 0;
}

static int
remove_all (const struct cc_roll *r, char *const *names, cc_error_t *err)
{
  for (char *const *n = names; *n; n++)
    if (remove_replica (r, *n, err) < 0)
      return -1;
  return 0;
}

/* NAMES leave the balancer and DNS, drain and stop; kept, stopped.  */
static int
retire (const struct cc_roll *r, char *const *names, cc_error_t *err)
{
  if (*names == NULL)
    return 0;
  if (mark_retired (r, names, true, err) < 0 || cc_engine_leave_balancer (r->p->name, names, err) < 0)
    return -1;
  for (char *const *n = names; *n; n++)
    cc_engine_progress ("Container", *n, "Left the balancer");
  cc_crash_point ("roll left");
  for (char *const *n = names; *n; n++)
    drain (r, *n);
  for (char *const *n = names; *n; n++)
    {
      struct cc_runtime_stop_report rep;
      cleanup_error cc_error_t e = NULL;
      /* Already stopped or gone: what matters is that it does not run.  */
      cc_runtime_stop (*n, r->stop_timeout_ms, &rep, &e);
      cc_engine_progress ("Container", *n, "Stopped");
    }
  return 0;
}

/* Ready ones join the balancer and DNS (their monitors may have put
   them in already: once more changes nothing).  */
static int
join (const struct cc_roll *r, char *const *names, cc_error_t *err)
{
  if (cc_engine_balance (r->p->name, err) < 0)
    return -1;
  for (char *const *n = names; *n; n++)
    cc_engine_progress ("Container", *n, "In the balancer");
  cc_crash_point ("roll joined");
  return 0;
}

/* Record, create and start NAMES (new replicas of BATCH), out of the
   balancer.  */
static int
start_new (const struct cc_roll *r, const struct cc_action *const *batch, char *const *names, cc_error_t *err)
{
  for (size_t i = 0; names[i]; i++)
    cc_json_set (containers (r), names[i], r->entry (r->opaque, batch[i]));
  if (cc_state_save (r->st, err) < 0)
    return -1;
  for (size_t i = 0; names[i]; i++)
    {
      cJSON *entry = entry_of (r, names[i]);
      cleanup_free char *word = xasprintf ("Created (replaces %s)", batch[i]->replaces);
      if (cc_engine_create_container (r->p, r->svc, entry, names[i], err) < 0)
        return cc_error_wrap (err, "container `%s`", names[i]);
      cc_json_set_string (entry, "status", "created");
      cc_engine_progress ("Container", names[i], word);
    }
  cc_crash_point ("roll created");
  if (cc_state_save (r->st, err) < 0 || cc_runtime_start_many (names, err) < 0)
    return -1;
  for (char *const *n = names; *n; n++)
    cc_engine_progress ("Container", *n, "Started");
  return 0;
}

/* Retired replicas NAMES start again and serve.  */
static int
reinstate (const struct pass *ps, char *const *names, size_t *failed, cc_error_t *err)
{
  *failed = 0;
  if (*names == NULL)
    return 0;
  if (mark_retired (ps->r, names, false, err) < 0 || cc_runtime_start_many (names, err) < 0)
    {
      *failed = cc_strv_len (names);
      return -1;
    }
  for (char *const *n = names; *n; n++)
    cc_engine_progress ("Container", *n, "Started");
  cc_crash_point ("roll reinstated");
  if (await (ps, names, failed, err) < 0)
    return -1;
  return join (ps->r, names, err);
}

/* The failed batch's new replicas go (out of the balancer first: one
   may have served before it failed); old ones that retired come back.  */
static void
undo_batch (const struct pass *ps, char *const *news, char *const *olds)
{
  cleanup_error cc_error_t e = NULL;
  size_t failed;

  if (cc_engine_leave_balancer (ps->r->p->name, news, &e) < 0 || remove_all (ps->r, news, &e) < 0)
    cc_error_print (&e);
  if (ps->stop_first && reinstate (ps, olds, &failed, &e) < 0)
    cc_error_print (&e);
}

/* One batch of the update: 0 done, -1 failed, with *FAILED new
   replicas that did not come up (0: what failed is not theirs).  */
static int
update_batch (const struct pass *ps, const struct cc_action *const *batch, char *const *news, char *const *olds,
              size_t *failed, cc_error_t *err)
{
  *failed = 0;
  if (ps->stop_first && retire (ps->r, olds, err) < 0)
    return -1;
  *failed = cc_strv_len (news);
  if (start_new (ps->r, batch, news, err) < 0 || await (ps, news, failed, err) < 0)
    return -1;
  *failed = 0;
  if (join (ps->r, news, err) < 0 || (! ps->stop_first && retire (ps->r, olds, err) < 0))
    return -1;
  return 0;
}

/* One batch of the rollback: the old replicas back, the new ones out.  */
static int
rollback_batch (const struct pass *ps, char *const *news, char *const *olds, size_t *failed, cc_error_t *err)
{
  if (ps->stop_first && (retire (ps->r, news, err) < 0 || remove_all (ps->r, news, err) < 0))
    return -1;
  if (reinstate (ps, olds, failed, err) < 0)
    return -1;
  if (! ps->stop_first && (retire (ps->r, news, err) < 0 || remove_all (ps->r, news, err) < 0))
    return -1;
  return 0;
}

static bool
stop_first (const struct cc_update_config *c)
{
  return c->order && strcmp (c->order, "stop-first") == 0;
}

static size_t
per_batch (const struct cc_update_config *c, size_t total)
{
  /* 0 is every replica at once, as in Swarm; unset is one.  */
  return c->parallelism > 0 ? (size_t)c->parallelism : c->parallelism == 0 ? total : 1;
}

/* Whether failures so far stay within what CFG tolerates.  */
static bool
tolerated (const struct cc_update_config *c, size_t failures, size_t total)
{
  double ratio = total ? (double)failures / (double)total : 1.0;

  return (c->failure_action && strcmp (c->failure_action, "continue") == 0) || ratio <= c->max_failure_ratio;
}

static void
warn_and_go_on (const struct pass *ps, cc_error_t *err)
{
  cleanup_free char *msg = cc_error_string (*err);

  cc_warn ("service `%s`: a replica failed, %s goes on (%s.failure_action): %s", ps->r->svc->name,
           strcmp (ps->what, "update_config") == 0 ? "the update" : "the rollback", ps->what, msg);
  cc_error_release (err);
}

static char **
slice (char *const *v, size_t at, size_t n)
{
  char **out = xzalloc (sizeof (char *));

  for (size_t i = at; i < at + n && v[i]; i++)
    cc_strv_append (&out, v[i]);
  return out;
}

/* The replicas replaced so far, new and old, pair by pair.  */
struct replaced
{
  char **news, **olds;
};

static void
replaced_release (struct replaced *d)
{
  cc_strv_free (d->news);
  cc_strv_free (d->olds);
}

#define cleanup_replaced __attribute__ ((cleanup (replaced_release)))

/* rollback_config: the replaced replicas get their old ones back.  */
static int
roll_back (const struct cc_roll *r, const struct replaced *d, cc_error_t *err)
{
  const struct cc_update_config *c = &r->svc->deploy.rollback_config;
  const struct pass ps = { r, c, "rollback_config", stop_first (c) };
  size_t total = cc_strv_len (d->news), per = per_batch (c, total), failures = 0;

  for (size_t at = 0; at < total; at += per)
    {
      size_t n = total - at < per ? total - at : per, failed = 0;
      cleanup_strv char **news = slice (d->news, at, n);
      cleanup_strv char **olds = slice (d->olds, at, n);

      if (at > 0)
        sleep_ms (or_default (c->delay_ms, 0));
      if (rollback_batch (&ps, news, olds, &failed, err) == 0)
        continue;
      failures += failed;
      /* Swarm's default failure_action of a rollback is pause.  */
      if (failed == 0 || ! tolerated (c, failures, total))
        return cc_error_wrap (err, "rollback paused (rollback_config.failure_action)");
      warn_and_go_on (&ps, err);
    }
  return 0;
}

static const char *
failure_action (const struct cc_update_config *c)
{
  /* Swarm's default.  */
  return c->failure_action ? c->failure_action : "pause";
}

/* The update failed beyond what it tolerates: pause or roll back.  */
static int
give_up (const struct cc_roll *r, const struct replaced *d, cc_error_t *err)
{
  size_t done = cc_strv_len (d->news);

  if (strcmp (failure_action (&r->svc->deploy.update_config), "rollback") != 0)
    {
      cleanup_error cc_error_t e = NULL;
      if (remove_all (r, d->olds, &e) < 0)
        cc_error_print (&e);
      return cc_error_wrap (err,
                            "service `%s`: update paused after %zu of %zu replicas (update_config.failure_action: "
                            "pause); the next `up` resumes it",
                            r->svc->name, done, r->n);
    }
  cc_warn ("service `%s`: update failed, rolling back %zu replaced replicas", r->svc->name, done);
  if (roll_back (r, d, err) < 0)
    return cc_error_wrap (err, "service `%s`: update failed, then", r->svc->name);
  return cc_error_wrap (err, "service `%s`: update rolled back (update_config.failure_action: rollback)", r->svc->name);
}

int
cc_engine_roll (const struct cc_roll *r, cc_error_t *err)
{
  const struct cc_update_config *u = &r->svc->deploy.update_config;
  const struct pass ps = { r, u, "update_config", stop_first (u) };
  cleanup_replaced struct replaced d = { xzalloc (sizeof (char *)), xzalloc (sizeof (char *)) };
  size_t per = per_batch (u, r->n), failures = 0;

  for (size_t at = 0; at < r->n; at += per)
    {
      size_t n = r->n - at < per ? r->n - at : per, failed = 0;
      const struct cc_action *const *batch = r->actions + at;
      cleanup_strv char **news = xzalloc (sizeof (char *));
      cleanup_strv char **olds = xzalloc (sizeof (char *));

      for (size_t i = 0; i < n; i++)
        {
          cc_strv_append (&news, batch[i]->name);
          cc_strv_append (&olds, batch[i]->replaces);
        }
      if (at > 0)
        sleep_ms (or_default (u->delay_ms, 0));
      if (update_batch (&ps, batch, news, olds, &failed, err) == 0)
        {
          for (size_t i = 0; i < n; i++)
            {
              cc_strv_append (&d.news, news[i]);
              cc_strv_append (&d.olds, olds[i]);
            }
          continue;
        }
      if (failed == 0)
        return -1;
      undo_batch (&ps, news, olds);
      failures += failed;
      if (! tolerated (u, failures, r->n))
        return give_up (r, &d, err);
      warn_and_go_on (&ps, err);
    }
  /* Done: the replaced replicas are not coming back.  */
  return remove_all (r, d.olds, err);
}
