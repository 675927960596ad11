/* Stopping containers: reverse dependency order, parallel within a level,
   one job of the engine's pool (parallel.c) per container running
   cc_runtime_stop while the parent shows
   a countdown for those that wait out their grace period, says when PID 1
   has no handler for the stop signal (pid_namespaces(7): an init process
   only gets the signals it handles, so the grace period is pure waiting),
   and turns a second Ctrl-C into SIGKILL.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/visible.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

struct stopping
{
  char *name;
  bool stopped; /* its job is done */
  int64_t grace_ms;
};

/* One level being stopped.  */
struct level
{
  struct stopping *v;
  size_t n;
  const struct cc_stop_opts *o;
  const cJSON *containers; /* the state's entries */
  bool killed;             /* after a second Ctrl-C */
  int64_t last_tick;
};

/* The program the user named: argv[0]'s last component.  Not comm: a
   multi-call binary that re-executes itself through /proc/self/exe (as
   busybox's shell does for `exec sleep`) has comm "exe" until it renames
   itself, which says nothing to the user.  PID 1 is the container's, and
   what it wrote there is shown on the user's terminal.  */
static char *
pid1_program (pid_t pid)
{
  cleanup_free char *path = xasprintf ("/proc/%d/cmdline", pid);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  char buf[256], *slash;
  ssize_t n;

  if (fd < 0 || (n = read (fd, buf, sizeof buf - 1)) <= 0 || buf[0] == '\0')
    return NULL;
  buf[n] = '\0';
  slash = strrchr (buf, '/');
  return cc_make_visible (xstrdup (slash ? slash + 1 : buf), "");
}

/* Does the container's PID 1 catch SIG?  -1 when it cannot be told.  */
static int
pid1_catches (const char *name, int sig, char **program)
{
  cleanup_cjson cJSON *st = NULL;
  cleanup_free char *status_path = NULL, *text = NULL;
  const char *line;
  pid_t pid;

  *program = NULL;
  if (cc_runtime_state (name, &st, NULL) < 0 || (pid = (pid_t)cc_json_get_int (st, "pid", 0)) <= 0)
    return -1;
  status_path = xasprintf ("/proc/%d/status", pid);
  *program = pid1_program (pid);
  if (cc_read_file (status_path, &text, NULL, NULL) < 0 || (line = strstr (text, "SigCgt:")) == NULL)
    return -1;
  return (strtoull (line + 7, NULL, 16) >> (sig - 1)) & 1;
}

static int64_t
grace_of (const char *name, int64_t timeout_ms, int *sig)
{
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;

  *sig = SIGTERM;
  if (cc_runtime_spec_of (name, &spec, NULL) < 0)
    return timeout_ms >= 0 ? timeout_ms : 10000;
  *sig = spec->stop_signal ? spec->stop_signal : SIGTERM;
  return timeout_ms >= 0 ? timeout_ms : spec->stop_grace_ms;
}

static void
warn_unhandled (struct stopping *s, int sig)
{
  cleanup_free char *program = NULL;

  if (pid1_catches (s->name, sig, &program) != 0)
    return;
  cc_notice (" ! %s: PID 1 (`%s`) does not handle SIG%s, so it waits out its %.0f s grace period before SIGKILL; "
             "add `init: true` to the service or `exec` in its entrypoint",
             s->name, program ? program : "?", sigabbrev_np (sig) ? sigabbrev_np (sig) : "?",
             (double)s->grace_ms / 1000);
}

/* In the pool's child.  Ctrl-C is the parent's to handle: a second one
   turns into SIGKILL there.  */
static int
stop_job (void *opaque, const char *name, cc_error_t *err)
{
  const struct level *l = opaque;
  struct cc_runtime_stop_report r;

  signal (SIGINT, SIG_IGN);
  /* As Compose: a failed pre_stop hook leaves the container running.  */
  if (cc_engine_pre_stop (cJSON_GetObjectItemCaseSensitive (l->containers, name), name, err) < 0
      || cc_runtime_stop (name, l->o->timeout_ms, &r, err) < 0)
    return -1;
  cc_engine_container_event (name, "stop", NULL, NULL);
  return 0;
}

static void
stop_done (void *opaque, size_t index, cc_error_t *err)
{
  struct level *l = opaque;

  l->v[index].stopped = true;
  if (*err)
    cc_error_wrap (err, "stop container `%s`", l->v[index].name);
  else if (! l->o->quiet)
    cc_engine_progress ("Container", l->v[index].name, "Stopped");
}

static void
countdown (const struct level *l, int64_t elapsed)
{
  for (size_t i = 0; i < l->n; i++)
    if (! l->v[i].stopped && l->v[i].grace_ms > 1000)
      cc_notice ("   %s: stopping, %lld s left before SIGKILL", l->v[i].name,
                 (long long)((l->v[i].grace_ms - elapsed + 999) / 1000));
}

/* Between looks at the stopping children: a second Ctrl-C kills what is
   left, and the countdown goes on once a second.  */
static void
stop_tick (void *opaque, int64_t elapsed)
{
  struct level *l = opaque;

  if (! l->killed && l->o->force && *l->o->force)
    {
      l->killed = true;
      for (size_t i = 0; i < l->n; i++)
        if (! l->v[i].stopped)
          {
            cc_runtime_kill (l->v[i].name, SIGKILL, NULL);
            cc_engine_progress ("Container", l->v[i].name, "Killed");
          }
    }
  if (l->o->explain && elapsed - l->last_tick >= 1000)
    {
      l->last_tick = elapsed;
      countdown (l, elapsed);
    }
}

/* One level: all at once, then watch.  */
static int
stop_group (const cJSON *containers, char *const *names, const struct cc_stop_opts *o, cc_error_t *list)
{
  size_t n = cc_strv_len (names);
  cleanup_free struct stopping *v = xzalloc ((n + 1) * sizeof (*v));
  struct level l = { .v = v, .n = n, .o = o, .containers = containers };
  const struct cc_engine_pool pool = { .fn = stop_job, .opaque = &l, .done = stop_done, .tick = stop_tick };
  cc_error_t e = NULL;

  for (size_t i = 0; i < n; i++)
    {
      int sig;
      v[i].name = names[i];
      v[i].grace_ms = grace_of (names[i], o->timeout_ms, &sig);
      if (o->explain)
        warn_unhandled (&v[i], sig);
    }
  if (cc_engine_pool_run (names, &pool, &e) < 0)
    cc_error_append (list, &e);
  return 0;
}

int
cc_engine_stop (const cJSON *state, char *const *names, const struct cc_stop_opts *o, cc_error_t *err)
{
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (state, "containers");
  cc_error_t list = NULL;
  int max = 0;

  /* A replica that is stopping gets no new connection; the ones it has
     get its stop grace period.  Not said here when that fails: leaving
     writes the stop marker the stop below writes first, whose failure
     is reported once, for its container.  */
  if (o->project && cc_engine_leave_balancer (o->project, names, &list) < 0)
    cc_error_release (&list);

  for (char *const *n = names; *n; n++)
    {
      int l = (int)cc_json_get_int (cJSON_GetObjectItemCaseSensitive (containers, *n), "level", 0);
      max = l > max ? l : max;
    }
  for (int l = max; l >= 0; l--)
    {
      cleanup_strv char **group = xzalloc (sizeof (char *));
      for (char *const *n = names; *n; n++)
        if (cc_json_get_int (cJSON_GetObjectItemCaseSensitive (containers, *n), "level", 0) == l)
          cc_strv_append (&group, *n);
      if (*group)
        stop_group (containers, group, o, &list);
    }
  /* A stopped `unless-stopped` service stays stopped after a reboot.  */
  cc_engine_boot_record (state, NULL);
  if (list == NULL)
    return 0;
  *err = list;
  return -1;
}
