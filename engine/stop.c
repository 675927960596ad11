/* Stopping containers: reverse dependency order, parallel within a level,
   one child per container running cc_runtime_stop while the parent shows
   a countdown for those that wait out their grace period, says when PID 1
   has no handler for the stop signal (pid_namespaces(7): an init process
   only gets the signals it handles, so the grace period is pure waiting),
   and turns a second Ctrl-C into SIGKILL.  */
#include <errno.h>
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
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

struct stopping
{
  char *name;
  pid_t child;
  int pidfd; /* readable once CHILD has exited; -1: none (polled) */
  int64_t grace_ms;
  bool warned;
};

/* Does the container's PID 1 catch SIG?  -1 when it cannot be told.  */
static int
pid1_catches (const char *name, int sig, char **comm)
{
  cleanup_cjson cJSON *st = NULL;
  cleanup_free char *status_path = NULL, *text = NULL, *comm_path = NULL;
  const char *line;
  pid_t pid;

  *comm = NULL;
  if (cc_runtime_state (name, &st, NULL) < 0 || (pid = (pid_t)cc_json_get_int (st, "pid", 0)) <= 0)
    return -1;
  status_path = xasprintf ("/proc/%d/status", pid);
  comm_path = xasprintf ("/proc/%d/comm", pid);
  if (cc_read_file (comm_path, comm, NULL, NULL) == 0)
    (*comm)[strcspn (*comm, "\n")] = '\0';
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
  cleanup_free char *comm = NULL;

  s->warned = true;
  if (pid1_catches (s->name, sig, &comm) != 0)
    return;
  fprintf (stderr,
           " ! %s: PID 1 (`%s`) does not handle SIG%s, so it waits out its %.0f s grace period before SIGKILL; "
           "add `init: true` to the service or `exec` in its entrypoint\n",
           s->name, comm ? comm : "?", sigabbrev_np (sig) ? sigabbrev_np (sig) : "?", (double)s->grace_ms / 1000);
}

static pid_t
spawn_stop (const char *name, int64_t timeout_ms)
{
  pid_t pid;

  pid_t parent = getpid ();

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid == 0)
    {
      struct cc_runtime_stop_report r;
      cc_error_t err = NULL;
      signal (SIGINT, SIG_IGN);
      if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != parent)
        _exit (1);
      if (cc_runtime_stop (name, timeout_ms, &r, &err) < 0)
        {
          cc_error_print (&err);
          _exit (1);
        }
      _exit (0);
    }
  return pid;
}

static size_t
reap (struct stopping *v, size_t n, cc_error_t *list, bool quiet)
{
  size_t running = 0;

  for (size_t i = 0; i < n; i++)
    {
      int status;
      if (v[i].child <= 0)
        continue;
      if (waitpid (v[i].child, &status, WNOHANG) == v[i].child)
        {
          v[i].child = 0;
          if (v[i].pidfd >= 0)
            close (get_and_reset (&v[i].pidfd));
          if (! WIFEXITED (status) || WEXITSTATUS (status) != 0)
            {
              cc_error_t one = NULL;
              cc_error_make (&one, 0, "stop container `%s` failed", v[i].name);
              cc_error_append (list, &one);
            }
          else if (! quiet)
            cc_engine_progress ("Container", v[i].name, "Stopped");
          continue;
        }
      running++;
    }
  return running;
}

static void
countdown (struct stopping *v, size_t n, int64_t elapsed)
{
  for (size_t i = 0; i < n; i++)
    if (v[i].child > 0 && v[i].grace_ms > 1000)
      fprintf (stderr, "   %s: stopping, %lld s left before SIGKILL\n", v[i].name,
               (long long)((v[i].grace_ms - elapsed + 999) / 1000));
}

/* Until a stop child exits (its pidfd turns readable) or the next
   backoff look, which also serves the countdown and a second Ctrl-C.  */
static void
wait_for_any (struct stopping *v, size_t n, int *step)
{
  cleanup_free struct pollfd *fds = xzalloc ((n + 1) * sizeof (*fds));

  for (size_t i = 0; i < n; i++)
    fds[i] = (struct pollfd){ .fd = v[i].pidfd, .events = POLLIN };
  cc_engine_backoff_on (step, fds, n);
}

/* One level: all at once, then watch.  */
static int
stop_group (char *const *names, const struct cc_stop_opts *o, cc_error_t *list)
{
  size_t n = cc_strv_len (names);
  cleanup_free struct stopping *v = xzalloc ((n + 1) * sizeof (*v));
  int64_t t0 = cc_engine_now_ms (), last_tick = 0;
  bool killed = false;
  int step = 0;

  for (size_t i = 0; i < n; i++)
    {
      int sig;
      v[i].name = names[i];
      v[i].grace_ms = grace_of (names[i], o->timeout_ms, &sig);
      if (o->explain)
        warn_unhandled (&v[i], sig);
      v[i].child = spawn_stop (names[i], o->timeout_ms);
      v[i].pidfd = v[i].child > 0 ? (int)syscall (SYS_pidfd_open, v[i].child, 0) : -1;
    }
  while (reap (v, n, list, o->quiet) > 0)
    {
      int64_t elapsed = cc_engine_now_ms () - t0;
      if (! killed && o->force && *o->force)
        {
          killed = true;
          for (size_t i = 0; i < n; i++)
            if (v[i].child > 0)
              {
                cc_runtime_kill (v[i].name, SIGKILL, NULL);
                cc_engine_progress ("Container", v[i].name, "Killed");
              }
        }
      if (o->explain && elapsed - last_tick >= 1000)
        {
          last_tick = elapsed;
          countdown (v, n, elapsed);
        }
      wait_for_any (v, n, &step);
    }
  return 0;
}

int
cc_engine_stop (const cJSON *state, char *const *names, const struct cc_stop_opts *o, cc_error_t *err)
{
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (state, "containers");
  cc_error_t list = NULL;
  int max = 0;

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
        stop_group (group, o, &list);
    }
  if (list == NULL)
    return 0;
  *err = list;
  return -1;
}
