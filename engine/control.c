/* One running container of a project, as `kill`, `pause`, `unpause`,
   `wait` and `attach` act on it: the CLI picks the containers and prints,
   the engine acts.  */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/logs.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "runtime/runtime.h"

int
cc_engine_parse_signal (const char *text, int *sig, cc_error_t *err)
{
  return cc_runtime_parse_signal (text, sig, err);
}

int
cc_engine_kill (const char *name, int sig, cc_error_t *err)
{
  char number[16];

  if (cc_runtime_kill (name, sig, err) < 0)
    return -1;
  snprintf (number, sizeof (number), "%d", sig);
  cc_engine_container_event (name, "kill", "signal", number);
  return 0;
}

int
cc_engine_pause (const char *name, cc_error_t *err)
{
  if (cc_runtime_pause (name, err) < 0)
    return -1;
  cc_engine_container_event (name, "pause", NULL, NULL);
  return 0;
}

int
cc_engine_unpause (const char *name, cc_error_t *err)
{
  if (cc_runtime_unpause (name, err) < 0)
    return -1;
  cc_engine_container_event (name, "unpause", NULL, NULL);
  return 0;
}

int
cc_engine_wait_exit (const char *name, cc_error_t *err)
{
  return cc_runtime_wait (name, -1, err);
}

/* ---- attach ------------------------------------------------------------- */

static volatile sig_atomic_t received;

static void
on_signal (int sig)
{
  received = sig;
}

struct attach
{
  const char *name;
  bool sig_proxy;
  cc_log_fn fn; /* the caller's printer, with its OPAQUE */
  void *opaque;
};

static void
print_line (void *opaque, const struct cc_log_line *l)
{
  struct attach *a = opaque;
  a->fn (a->opaque, l);
}

/* Called between reads: a signal is passed on, or ends the attach.  */
static bool
should_stop (void *opaque)
{
  struct attach *a = opaque;
  int sig = received;

  if (sig == 0)
    return false;
  received = 0;
  if (! a->sig_proxy)
    return true;
  cc_runtime_kill (a->name, sig, NULL);
  return false;
}

/* The exit code once the container stopped; 0 while it runs (detached).  */
static int
attach_result (const char *name, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL;
  const char *status;
  int64_t code;

  if (cc_runtime_state (name, &st, err) < 0)
    return -1;
  code = cc_json_get_int (st, "exit_code", -1);
  status = cc_json_get_string (st, "status");
  if (strcmp (status ? status : "", "exited") != 0 || code < 0)
    return 0;
  return (int)code;
}

/* A terminal or a kept stdin, through the monitor: 0 and the result
   in *CODE; 1: there is none (or its monitor is gone), the logs are
   what is left.  */
static int
attach_console (struct attach *a, const struct cc_attach_opts *o, int *code, cc_error_t *err)
{
  struct cc_console_opts co
      = { .detach_keys = o->detach_keys, .no_stdin = o->no_stdin, .tick = should_stop, .opaque = a };
  int ret;

  if (! cc_runtime_has_console (a->name))
    return 1;
  ret = cc_runtime_console (a->name, &co, err);
  if (ret < 0 && ((*err)->status == ECONNREFUSED || (*err)->status == ENOENT))
    {
      cc_error_release (err);
      return 1;
    }
  if (ret < 0)
    return -1;
  *code = ret == CC_CONSOLE_DETACHED ? 0 : attach_result (a->name, err);
  return *code < 0 ? -1 : 0;
}

int
cc_engine_check_detach_keys (const char *keys, cc_error_t *err)
{
  struct cc_detach_keys k;

  return cc_runtime_detach_keys_parse (keys, &k, err);
}

int
cc_engine_attach (const char *name, const struct cc_attach_opts *o, cc_error_t *err)
{
  struct attach a = { .name = name, .sig_proxy = o->sig_proxy, .fn = o->fn, .opaque = o->opaque };
  char *names[] = { (char *)name, NULL };
  struct cc_log_opts lo
      = { .follow = true, .tail = 0, .settle_ms = 0, .fn = print_line, .should_stop = should_stop, .opaque = &a };
  struct sigaction sa = { .sa_handler = on_signal };
  int ret, code = 0;

  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  ret = attach_console (&a, o, &code, err);
  if (ret <= 0)
    return ret < 0 ? -1 : code;
  if (cc_engine_logs (names, &lo, err) < 0)
    return -1;
  return attach_result (name, err);
}

/* ---- exec ---------------------------------------------------------------- */

static struct cc_runtime_exec_opts
runtime_exec_opts (const struct cc_exec_opts *o)
{
  return (struct cc_runtime_exec_opts){
    .args = o->args,
    .env = o->env,
    .user = o->user,
    .cwd = o->cwd,
    .tty = o->tty,
    .detach = o->detach,
  };
}

/* `exec -d`: the process that waits for the command holds the caller's
   terminal no longer than the caller does (a session of its own, stdio
   /dev/null, reparented at once); the command itself gets the
   container's /dev/null.  */
static int
exec_detached (const char *name, const struct cc_runtime_exec_opts *ro, cc_error_t *err)
{
  pid_t pid;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    return cc_error_make (err, errno, "fork");
  if (pid == 0)
    {
      cc_error_t ignored = NULL;
      setsid ();
      if (fork () != 0)
        _exit (0);
      freopen ("/dev/null", "r", stdin);
      freopen ("/dev/null", "w", stdout);
      freopen ("/dev/null", "w", stderr);
      _exit (cc_runtime_exec (name, ro, &ignored) < 0 ? 1 : 0);
    }
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return 0;
}

int
cc_engine_exec (const char *name, const struct cc_exec_opts *o, cc_error_t *err)
{
  struct cc_runtime_exec_opts ro = runtime_exec_opts (o);

  if (o->detach)
    return exec_detached (name, &ro, err);
  fflush (stdout);
  return cc_runtime_exec (name, &ro, err);
}
