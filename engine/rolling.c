/* Rolling updates of replicas (issue 16), start-first: for each batch of
   update_config.parallelism replicas, the new ones are recorded, created
   out of the balancer, started and awaited (healthy, or running without
   a healthcheck, then update_config.monitor more); they join the
   balancer, the old ones leave it, drain (their open connections finish,
   within stop_grace_period) and stop.  A new replica that fails is
   removed and the failure action applies: its old replica never left,
   so the service keeps every backend it had.

   Each step is recorded before it is taken (the new entry before its
   container exists, the old entry until its container is gone), so a
   crash at any step leaves old and new replicas both in the state: the
   next `up` keeps as many as wanted and removes the rest, and `down`
   removes all.  */
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

/* update_config.monitor: the new replica must stay ready this long.  */
static int
monitor (const struct cc_roll *r, const char *name, cc_error_t *err)
{
  int64_t end = cc_engine_now_ms () + or_default (r->svc->deploy.update_config.monitor_ms, 0);
  int step = 0;

  do
    {
      if (ready (name, err) <= 0)
        return cc_error_wrap (err, "during update_config.monitor");
      if (cc_engine_now_ms () >= end)
        return 0;
      cc_engine_backoff (&step);
    }
  while (true);
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

/* Open connections of OLD finish: they keep their backend (conntrack),
   the balancer gives it no new one.  Bounded by the stop timeout or the
   service's stop_grace_period, as Docker bounds a stop.  */
static void
drain (const struct cc_roll *r, const char *old)
{
  int64_t grace = r->stop_timeout_ms >= 0 ? r->stop_timeout_ms : or_default (r->svc->stop_grace_period_ms, 10000);
  int64_t deadline = cc_engine_now_ms () + grace;
  int pid = pid_of (old), idle = 0;

  cc_engine_progress ("Container", old, "Draining");

  while (pid > 0 && idle < 2 && cc_engine_now_ms () < deadline && ! cc_engine_interrupted)
    {
      idle = open_connections (r->svc, pid) == 0 ? idle + 1 : 0;
      if (idle < 2)
        sleep_ms (DRAIN_CONFIRM_MS);
    }
  cc_engine_progress ("Container", old, idle >= 2 || pid <= 0 ? "Drained" : "Drain timed out");
}

static cJSON *
containers (const struct cc_roll *r)
{
  return cc_state_section (r->st, "containers");
}

static int
forget (const struct cc_roll *r, const char *name, cc_error_t *err)
{
  cJSON_DeleteItemFromObjectCaseSensitive (containers (r), name);
  return cc_state_save (r->st, err);
}

static int
remove_replica (const struct cc_roll *r, const char *name, cc_error_t *err)
{
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive (containers (r), name);

  if (entry && cc_engine_remove_resources (r->p->name, entry, name, r->stop_timeout_ms, err) < 0)
    return -1;
  return forget (r, name, err);
}

/* Record, create and start the batch's new replicas, out of the balancer.  */
static int
start_new (const struct cc_roll *r, const struct cc_action *const *batch, size_t n, cc_error_t *err)
{
  cleanup_strv char **names = xzalloc (sizeof (char *));

  for (size_t i = 0; i < n; i++)
    {
      cc_json_set (containers (r), batch[i]->name, r->entry (r->opaque, batch[i]));
      cc_strv_append (&names, batch[i]->name);
    }
  if (cc_state_save (r->st, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      const cJSON *entry = cJSON_GetObjectItemCaseSensitive (containers (r), batch[i]->name);
      cleanup_free char *word = xasprintf ("Created (replaces %s)", batch[i]->replaces);
      if (cc_engine_create_container (r->p, r->svc, entry, batch[i]->name, err) < 0)
        return cc_error_wrap (err, "container `%s`", batch[i]->name);
      cc_json_set_string ((cJSON *)entry, "status", "created");
      cc_engine_progress ("Container", batch[i]->name, word);
    }
  cc_crash_point ("roll created");
  if (cc_state_save (r->st, err) < 0 || cc_runtime_start_many (names, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    cc_engine_progress ("Container", batch[i]->name, "Started");
  return 0;
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

static int
await_new (const struct cc_roll *r, const struct cc_action *const *batch, size_t n, size_t *failed, cc_error_t *err)
{
  cc_error_t first = NULL;

  *failed = 0;
  for (size_t i = 0; i < n; i++)
    {
      cc_error_t e = NULL;
      if (wait_ready (r, batch[i]->name, &e) < 0 || monitor (r, batch[i]->name, &e) < 0)
        {
          cc_engine_progress ("Container", batch[i]->name, "Failed");
          if (first == NULL)
            first = e;
          else
            cc_error_release (&e);
          (*failed)++;
          continue;
        }
      cc_engine_progress ("Container", batch[i]->name, ready_word (batch[i]->name));
    }
  if (first == NULL)
    return 0;
  *err = first;
  return -1;
}

/* New replicas in, then the old ones out, drained, stopped.  */
static int
hand_over (const struct cc_roll *r, const struct cc_action *const *batch, size_t n, cc_error_t *err)
{
  cleanup_strv char **old = xzalloc (sizeof (char *));

  if (cc_engine_balance (r->p->name, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      cc_engine_progress ("Container", batch[i]->name, "In the balancer");
      cc_strv_append (&old, batch[i]->replaces);
    }
  cc_crash_point ("roll joined");
  if (cc_engine_leave_balancer (r->p->name, old, err) < 0)
    return -1;
  for (char **o = old; *o; o++)
    cc_engine_progress ("Container", *o, "Left the balancer");
  cc_crash_point ("roll left");
  for (char **o = old; *o; o++)
    drain (r, *o);
  for (char **o = old; *o; o++)
    {
      cc_engine_progress ("Container", *o, "Stopping");
      if (remove_replica (r, *o, err) < 0)
        return -1;
      cc_engine_progress ("Container", *o, "Removed");
    }
  return 0;
}

/* The batch's new replicas go; their old ones never left the balancer.  */
static void
undo_batch (const struct cc_roll *r, const struct cc_action *const *batch, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      cleanup_error cc_error_t e = NULL;
      if (remove_replica (r, batch[i]->name, &e) < 0)
        cc_error_print (&e);
      else
        cc_engine_progress ("Container", batch[i]->name, "Removed (rolled back)");
    }
}

static const char *
failure_action (const struct cc_roll *r)
{
  const char *a = r->svc->deploy.update_config.failure_action;

  /* Swarm's default.  */
  return a ? a : "pause";
}

/* A failed batch: 0 to go on (continue, or failures within
   max_failure_ratio), else -1 with ERR saying what was done.  */
static int
on_failure (const struct cc_roll *r, const struct cc_action *const *batch, size_t n, size_t failures, size_t total,
            cc_error_t *err)
{
  const char *action = failure_action (r);
  double ratio = total ? (double)failures / (double)total : 1.0;

  undo_batch (r, batch, n);
  if (strcmp (action, "continue") == 0 || ratio <= r->svc->deploy.update_config.max_failure_ratio)
    {
      cleanup_free char *msg = cc_error_string (*err);
      cc_warn ("service `%s`: update of a replica failed, continuing: %s", r->svc->name, msg);
      cc_error_release (err);
      return 0;
    }
  if (strcmp (action, "rollback") == 0)
    return cc_error_wrap (err,
                          "service `%s`: update rolled back (the replicas not yet replaced keep the previous "
                          "configuration; replaced ones stay updated)",
                          r->svc->name);
  return cc_error_wrap (err,
                        "service `%s`: update paused (failure_action: pause); the replicas not yet replaced "
                        "keep the previous configuration",
                        r->svc->name);
}

int
cc_engine_roll (const struct cc_roll *r, cc_error_t *err)
{
  const struct cc_update_config *u = &r->svc->deploy.update_config;
  size_t per = u->parallelism > 0 ? (size_t)u->parallelism : u->parallelism == 0 ? r->n : 1;
  size_t failures = 0;

  for (size_t at = 0; at < r->n; at += per)
    {
      size_t n = r->n - at < per ? r->n - at : per, failed = 0;
      const struct cc_action *const *batch = r->actions + at;

      if (at > 0)
        sleep_ms (or_default (u->delay_ms, 0));
      if (start_new (r, batch, n, err) < 0 || await_new (r, batch, n, &failed, err) < 0)
        {
          failures += failed ? failed : n;
          if (on_failure (r, batch, n, failures, r->n, err) < 0)
            return -1;
          continue;
        }
      if (hand_over (r, batch, n, err) < 0)
        return -1;
    }
  return 0;
}
