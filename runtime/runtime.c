/* The runtime's public operations (runtime.h): each one reads the
   state from disk, acts, and returns; the monitor does the rest.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/mount.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/gzip.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/proc.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/install.h"
#include "runtime/internal.h"

static void
sleep_ms (long ms)
{
  nanosleep (&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L }, NULL);
}

/* A process of ours to signal and wait for: the pid and start time the
   state recorded, and its pidfd, so a recycled pid is never signalled.
   Without pidfd_open (valgrind, kernels before 5.3) the pid is checked
   against its start time before each use instead.  */
struct proc_ref
{
  pid_t pid;
  uint64_t start;
  int fd; /* -1: no pidfd */
};

static void
proc_ref_close (struct proc_ref *p)
{
  if (p->fd >= 0)
    close (p->fd);
  p->fd = -1;
}

#define cleanup_proc_ref __attribute__ ((cleanup (proc_ref_close)))

/* A monitor's teardown is bounded by cc_cgroup_rmdir's retries (5 s a
   cgroup directory, runtime/cgroup.c), and they overlap.  */
#define OLD_MONITOR_WAIT_MS 10000
/* How long a SIGKILLed container may take to be recorded down (see
   wait_kill_recorded).  */
#define KILL_WAIT_MS 10000

/* Running, not a zombie: a zombie has exited.  */
static bool
proc_running (const struct proc_ref *p)
{
  cleanup_free char *path = xasprintf ("/proc/%d/stat", (int)p->pid);
  cleanup_free char *text = NULL;
  uint64_t now = 0;
  const char *state;

  if (cc_read_file (path, &text, NULL, NULL) < 0 || cc_proc_parse_start_time (text, &now) < 0
      || (p->start != 0 && now != p->start) || (state = strrchr (text, ')')) == NULL)
    return false;
  return state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

/* False when PID is not (any more) the process that started at START.  */
static bool
proc_open (pid_t pid, uint64_t start, struct proc_ref *p)
{
  *p = (struct proc_ref){ .pid = pid, .start = start, .fd = -1 };
  if (pid <= 0)
    return false;
  p->fd = (int)syscall (SYS_pidfd_open, pid, 0);
  if (p->fd < 0 && errno != ENOSYS)
    return false;
  if (! cc_runtime_proc_alive (pid, start))
    {
      proc_ref_close (p);
      return false;
    }
  return true;
}

static int
proc_signal (const struct proc_ref *p, int sig)
{
  if (p->fd >= 0)
    return (int)syscall (SYS_pidfd_send_signal, p->fd, sig, NULL, 0);
  return cc_proc_kill (p->pid, p->start, sig);
}

/* True when the process exited within TIMEOUT_MS (< 0: wait forever).
   Zombies count as exited.  */
static bool
proc_wait (const struct proc_ref *p, int64_t timeout_ms)
{
  struct pollfd pfd = { p->fd, POLLIN, 0 };
  int64_t deadline = cc_runtime_now_ms () + timeout_ms;
  long pause_ms = 1;

  for (;;)
    {
      int64_t left = timeout_ms < 0 ? -1 : deadline - cc_runtime_now_ms ();
      int r;
      if (timeout_ms >= 0 && left < 0)
        left = 0;
      if (p->fd < 0)
        {
          if (! proc_running (p))
            return true;
          if (left == 0)
            return false;
          sleep_ms (left > 0 && left < pause_ms ? left : pause_ms);
          pause_ms = pause_ms < 20 ? pause_ms * 2 : 20;
          continue;
        }
      r = poll (&pfd, 1, (int)(left > 0x7fffffff ? 0x7fffffff : left));
      if (r > 0)
        return true;
      if (r == 0 || (r < 0 && errno != EINTR))
        return false;
    }
}

static bool
monitor_alive (const cJSON *st)
{
  return cc_runtime_proc_alive ((pid_t)cc_json_get_int (st, "monitor_pid", 0),
                                (uint64_t)cc_json_get_int (st, "monitor_start", 0));
}

static bool
is_frozen (const char *id)
{
  cleanup_free char *cgname = cc_cgroup_path_of (id);

  return cc_cgroup_ops_get ()->is_frozen (cgname) == 1;
}

int
cc_runtime_state (const char *id, cJSON **out, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL;
  const char *status;

  if (cc_runtime_check_id (id, err) < 0)
    return -1;
  if (cc_runtime_state_load (id, &st, err) < 0)
    return cc_error_wrap (err, "container `%s`", id);
  status = cc_json_get_string (st, "status");
  if (status && strcmp (status, "exited") != 0 && ! monitor_alive (st))
    {
      /* The monitor died without recording an exit (killed, or the host
         rebooted and /run survived): the container is gone with it.  */
      cc_json_set_string (st, "status", "exited");
      if (cc_json_get_string (st, "error") == NULL)
        cc_json_set_string (st, "error", "the monitor exited unexpectedly");
    }
  else if (status && strcmp (status, "running") == 0 && is_frozen (id))
    cc_json_set_string (st, "status", "paused");
  *out = steal_pointer (&st);
  return 0;
}

static int
load_status (const char *id, cJSON **st, const char **status, cc_error_t *err)
{
  if (cc_runtime_state (id, st, err) < 0)
    return -1;
  *status = cc_json_get_string (*st, "status");
  if (*status == NULL)
    *status = "unknown";
  return 0;
}

/* The helper program (the monitor, or another mode of it): fork, fork
   again (so it is nobody's child), exec it.  It answers with one JSON
   line on descriptor 3 and finds PASS_FD, if any, as descriptor 4.  An
   exec that fails writes its errno to EXEC_FD instead, a close-on-exec
   pipe: nothing there means the exec went through.  */
static void __attribute__ ((noreturn))
exec_helper (const char *path, char *const *argv, int status_fd, int exec_fd, int pass_fd)
{
  int e;

  /* Out of the way of the dup2s below, still close-on-exec.  */
  if (exec_fd <= CC_RUNTIME_HELPER_PASS_FD)
    exec_fd = fcntl (exec_fd, F_DUPFD_CLOEXEC, CC_RUNTIME_HELPER_PASS_FD + 1);
  if (pass_fd >= 0 && pass_fd <= CC_RUNTIME_HELPER_STATUS_FD)
    pass_fd = fcntl (pass_fd, F_DUPFD_CLOEXEC, CC_RUNTIME_HELPER_PASS_FD + 1);
  if (status_fd != CC_RUNTIME_HELPER_STATUS_FD)
    {
      dup2 (status_fd, CC_RUNTIME_HELPER_STATUS_FD);
      close (status_fd);
    }
  else
    fcntl (CC_RUNTIME_HELPER_STATUS_FD, F_SETFD, 0);
  if (pass_fd >= 0 && pass_fd != CC_RUNTIME_HELPER_PASS_FD)
    dup2 (pass_fd, CC_RUNTIME_HELPER_PASS_FD);
  else if (pass_fd >= 0)
    fcntl (CC_RUNTIME_HELPER_PASS_FD, F_SETFD, 0);
  /* Whatever the caller had open is not the helper's business: closed
     by the exec, so EXEC_FD stays usable until then (on a kernel older
     than 5.11 they stay open in the helper, which runs no user code).  */
  close_range (pass_fd >= 0 ? CC_RUNTIME_HELPER_PASS_FD + 1 : CC_RUNTIME_HELPER_STATUS_FD + 1, ~0U,
               CLOSE_RANGE_CLOEXEC);
  execv (path, argv);
  e = errno;
  if (write (exec_fd, &e, sizeof (e)) < 0)
    _exit (126);
  _exit (127);
}

/* Why the helper never reported: its exec failed (the errno is in the
   pipe, written before the process exited and so before the status
   pipe's EOF), or it died on its own.  */
static int
monitor_silent (int exec_rd, const char *path, cc_error_t *err)
{
  int e;

  if (read (exec_rd, &e, sizeof (e)) == (ssize_t)sizeof (e))
    return cc_error_make (err, e, "exec `%s`", path);
  return cc_error_make (err, EPIPE, "the monitor exited before reporting");
}

static int
read_report (int fd, int exec_rd, const char *path, pid_t *pid, cc_error_t *err)
{
  cleanup_buf struct cc_buf b = { 0 };
  cleanup_cjson cJSON *j = NULL;
  char chunk[4096];
  ssize_t n;

  while ((n = read (fd, chunk, sizeof (chunk))) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cc_error_make (err, errno, "read the monitor's report");
      cc_buf_append (&b, chunk, (size_t)n);
      /* One line: EOF would also wait for every process that inherited
         the pipe.  */
      if (memchr (chunk, '\n', (size_t)n))
        break;
    }
  if (b.len == 0)
    return monitor_silent (exec_rd, path, err);
  if (cc_json_parse (b.data, "the monitor's report", &j, err) < 0)
    return -1;
  if (cc_json_get_string (j, "error"))
    return cc_error_make (err, (int)cc_json_get_int (j, "errno", 0), "%s", cc_json_get_string (j, "error"));
  /* Started, with something to say (the DNS responder: a namespace it
     could not serve).  */
  if (cc_json_get_string (j, "warning"))
    cc_warn ("%s", cc_json_get_string (j, "warning"));
  *pid = (pid_t)cc_json_get_int (j, "pid", 0);
  return 0;
}

/* ARGS after the program's name, the first one a part's name
   ("runtime", "network") as in `ccompose-monitor runtime monitor ...`.  */
static int
spawn_helper (char *const *args, int pass_fd, cc_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_strv char **argv = NULL;
  int p[2], e[2];
  /* Held until the exec is over: no cleaner removes the program before.  */
  cleanup_close int lock = -1;
  cleanup_close int rd = -1, wr = -1, exec_rd = -1, exec_wr = -1;
  pid_t child, pid = 0;
  int status;

  if (cc_runtime_install_monitor (&path, &lock, err) < 0)
    return -1;
  cc_strv_append (&argv, "ccompose-monitor");
  for (char *const *a = args; *a; a++)
    cc_strv_append (&argv, *a);
  if (pipe2 (p, O_CLOEXEC) < 0)
    return cc_error_make (err, errno, "pipe");
  rd = p[0], wr = p[1];
  /* Non-blocking: read only once the helper is gone, when a failed
     exec has long written its errno, and other children of ours (the
     engine starts several containers at once) may still hold the write
     end.  */
  if (pipe2 (e, O_CLOEXEC | O_NONBLOCK) < 0)
    return cc_error_make (err, errno, "pipe");
  exec_rd = e[0], exec_wr = e[1];
  child = fork ();
  if (child < 0)
    return cc_error_make (err, errno, "fork");
  if (child == 0)
    {
      close (rd);
      close (exec_rd);
      if (fork () == 0)
        exec_helper (path, argv, wr, exec_wr, pass_fd);
      _exit (0);
    }
  close (get_and_reset (&wr));
  close (get_and_reset (&exec_wr));
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  return read_report (rd, exec_rd, path, &pid, err);
}

int
cc_runtime_spawn_helper (char *const *args, int pass_fd, cc_error_t *err)
{
  return spawn_helper (args, pass_fd, err);
}

static int
spawn_monitor (const char *id, bool start_now, cc_error_t *err)
{
  char fdbuf[16];
  char *args[] = { (char *)"runtime",
                   (char *)"monitor",
                   (char *)"--status-fd",
                   fdbuf,
                   start_now ? (char *)"--start" : (char *)id,
                   start_now ? (char *)id : NULL,
                   NULL };

  snprintf (fdbuf, sizeof (fdbuf), "%d", CC_RUNTIME_HELPER_STATUS_FD);
  /* The callers name the container.  */
  return spawn_helper (args, -1, err);
}

static int
write_initial_state (const char *id, cc_error_t *err)
{
  cleanup_cjson cJSON *st = cJSON_CreateObject ();

  cc_json_set_string (st, "id", id);
  cc_json_set_string (st, "status", "creating");
  cc_json_set_int (st, "restart_count", 0);
  return cc_runtime_state_save (id, st, err);
}

static int
make_fifo (const char *id, cc_error_t *err)
{
  cleanup_free char *fifo = cc_runtime_file (id, "exec.fifo");

  unlink (fifo);
  /* World-writable so a non-root PID 1 can reopen it; the 0700 state
     directory keeps everyone else out.  */
  if (mkfifo (fifo, 0622) < 0 || chmod (fifo, 0622) < 0)
    return cc_error_make (err, errno, "mkfifo `%s`", fifo);
  return 0;
}

int
cc_runtime_create (const char *id, const struct cc_runtime_spec *spec, cc_error_t *err)
{
  cleanup_free char *dir = NULL, *spec_path = NULL, *parent = NULL;
  cleanup_cjson cJSON *json = NULL;
  cleanup_runtime_spec struct cc_runtime_spec *checked = NULL;

  if (cc_runtime_check_id (id, err) < 0)
    return -1;
  /* What the monitor will read back, checked now so a bad spec from the
     engine fails here and not in a detached process.  */
  json = cc_runtime_spec_to_json (spec);
  if (cc_runtime_spec_from_json (json, &checked, err) < 0)
    return -1;
  dir = cc_runtime_dir (id);
  for (char **s = spec->sysctls; s && *s; s++)
    {
      cleanup_free char *key = xstrndup (*s, (size_t)(strchr (*s, '=') - *s));
      if (cc_sysctl_check (key, spec, err) < 0)
        return -1;
    }
  /* Host device nodes resolved now, so that a bad one fails `up` rather
     than a detached monitor (which resolves them again when it starts).  */
  for (char **d = spec->resources.devices; d && *d; d++)
    if (cc_dev_resolve (*d, &(struct cc_dev_node){ 0 }, err) < 0)
      return -1;
  /* mkdir claims the id: of two concurrent creates, one fails here.  */
  parent = cc_path_dirname (dir);
  if (cc_mkdir_p (parent, 0700, err) < 0)
    return -1;
  if (mkdir (dir, 0700) < 0)
    return errno == EEXIST ? cc_error_make (err, EEXIST, "already exists")
                           : cc_error_make (err, errno, "mkdir `%s`", dir);
  spec_path = cc_paths_container_spec (id);
  if (cc_json_save_file (spec_path, json, err) < 0 || write_initial_state (id, err) < 0 || make_fifo (id, err) < 0)
    return -1;
  return spawn_monitor (id, false, err);
}

/* `start` has unblocked the fifo: the monitor records running (or the
   exec failure) right after.  */
static int
wait_started (const char *id, cc_error_t *err)
{
  for (int i = 0; i < 10000; i++)
    {
      cleanup_cjson cJSON *st = NULL;
      const char *status, *error;
      if (load_status (id, &st, &status, err) < 0)
        return -1;
      error = cc_json_get_string (st, "error");
      if (error)
        return cc_error_make (err, 0, "container `%s`: %s", id, error);
      if (strcmp (status, "created") != 0)
        return 0;
      sleep_ms (1);
    }
  return cc_error_make (err, ETIMEDOUT, "container `%s` did not start", id);
}

/* The monitor records a death before start as soon as it reaps it.  */
static bool
still_created (const char *id)
{
  cleanup_cjson cJSON *st = NULL;
  const char *status;

  if (cc_runtime_state (id, &st, NULL) < 0)
    return false;
  status = cc_json_get_string (st, "status");
  return status && strcmp (status, "created") == 0;
}

/* A container being started: its exec fifo, open while its PID 1 is let
   go, and who that PID 1 is.  */
struct starting
{
  int fifo_fd; /* -1: nothing to read */
  pid_t pid;
  uint64_t pid_start;
  bool pending; /* a start to confirm */
};

/* Opening the read end lets PID 1's open for writing return.
   Non-blocking: a PID 1 that died while waiting would never open the
   other end, and a blocking open would wait forever.  */
static int
open_fifo (const char *id, const cJSON *st, struct starting *s, cc_error_t *err)
{
  cleanup_free char *fifo = cc_runtime_file (id, "exec.fifo");

  s->fifo_fd = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (s->fifo_fd < 0)
    return cc_error_make (err, errno, "open `%s`", fifo);
  s->pid = (pid_t)cc_json_get_int (st, "pid", 0);
  s->pid_start = (uint64_t)cc_json_get_int (st, "pid_start", 0);
  return 0;
}

/* PID 1 writes one byte and goes on to exec.  */
static int
read_fifo (const char *id, struct starting *s, cc_error_t *err)
{
  cleanup_free char *fifo = cc_runtime_file (id, "exec.fifo");
  cleanup_close int fd = get_and_reset (&s->fifo_fd);
  char c;

  for (int i = 0; i < 100; i++)
    {
      struct pollfd p = { fd, POLLIN, 0 };
      if (poll (&p, 1, 100) > 0 && read (fd, &c, 1) == 1)
        {
          unlink (fifo);
          return 0;
        }
      if (! cc_runtime_proc_alive (s->pid, s->pid_start) || ! still_created (id))
        return cc_error_make (err, EPIPE, "container `%s` exited before it started", id);
    }
  return cc_error_make (err, ETIMEDOUT, "container `%s` did not start: PID %d %s", id, (int)s->pid,
                        cc_runtime_proc_alive (s->pid, s->pid_start) ? "is still waiting" : "is gone");
}

/* Lets ID go: its PID 1 execs (created) or a new monitor runs it again
   from the same spec (exited).  */
/* The monitor records the exit first and tears the container down after
   (runtime/monitor.c finish): its cgroup removal kills whatever is in
   the cgroup, which a new monitor's container of the same id would
   already have joined.  */
static int
wait_old_monitor (const char *id, const cJSON *st, cc_error_t *err)
{
  cleanup_proc_ref struct proc_ref mon = { .fd = -1 };
  pid_t pid = (pid_t)cc_json_get_int (st, "monitor_pid", 0);

  if (proc_open (pid, (uint64_t)cc_json_get_int (st, "monitor_start", 0), &mon)
      && ! proc_wait (&mon, OLD_MONITOR_WAIT_MS))
    return cc_error_make (err, ETIMEDOUT, "container `%s`: its previous monitor (pid %d) is still tearing it down", id,
                          (int)pid);
  return 0;
}

static int
release (const char *id, struct starting *s, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL;
  cleanup_free char *marker = NULL;
  const char *status;

  if (load_status (id, &st, &status, err) < 0)
    return -1;
  if (strcmp (status, "running") == 0 || strcmp (status, "restarting") == 0)
    return 0;
  if (strcmp (status, "paused") == 0)
    return cc_error_make (err, EINVAL, "container `%s` is paused: unpause it", id);
  if (strcmp (status, "created") == 0)
    {
      s->pending = true;
      return open_fifo (id, st, s, err);
    }
  marker = cc_runtime_file (id, "stopped");
  unlink (marker);
  if (wait_old_monitor (id, st, err) < 0)
    return -1;
  if (spawn_monitor (id, true, err) < 0)
    return cc_error_wrap (err, "container `%s`", id);
  s->pending = true;
  return 0;
}

static int
confirm (const char *id, struct starting *s, cc_error_t *err)
{
  if (! s->pending)
    return 0;
  if (s->fifo_fd >= 0 && read_fifo (id, s, err) < 0)
    return -1;
  return wait_started (id, err);
}

static void
starting_release (struct starting **v)
{
  for (struct starting *s = *v; s && s->pid >= 0; s++)
    if (s->fifo_fd >= 0)
      close (s->fifo_fd);
  free (*v);
}

/* All are let go before any is confirmed: their execs overlap instead of
   queuing behind each other's confirmation.  */
int
cc_runtime_start_many (char *const *ids, cc_error_t *err)
{
  size_t n = cc_strv_len (ids);
  __attribute__ ((cleanup (starting_release))) struct starting *v = xzalloc ((n + 1) * sizeof (*v));

  for (size_t i = 0; i <= n; i++)
    v[i] = (struct starting){ .fifo_fd = -1, .pid = i < n ? 0 : -1 };
  for (size_t i = 0; i < n; i++)
    if (release (ids[i], &v[i], err) < 0)
      return -1;
  for (size_t i = 0; i < n; i++)
    if (confirm (ids[i], &v[i], err) < 0)
      return -1;
  return 0;
}

int
cc_runtime_start (const char *id, cc_error_t *err)
{
  char *ids[] = { (char *)id, NULL };

  return cc_runtime_start_many (ids, err);
}

int
cc_runtime_run (const char *id, const struct cc_runtime_spec *spec, cc_error_t *err)
{
  if (cc_runtime_create (id, spec, err) < 0)
    return -1;
  return cc_runtime_start (id, err);
}

int
cc_runtime_wait (const char *id, int64_t timeout_ms, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL, *after = NULL;
  cleanup_proc_ref struct proc_ref mon = { .fd = -1 };

  if (cc_runtime_check_id (id, err) < 0 || cc_runtime_state_load (id, &st, err) < 0)
    return -1;
  if (proc_open ((pid_t)cc_json_get_int (st, "monitor_pid", 0), (uint64_t)cc_json_get_int (st, "monitor_start", 0),
                 &mon)
      && ! proc_wait (&mon, timeout_ms))
    return cc_error_make (err, ETIMEDOUT, "container `%s` still running", id);
  if (cc_runtime_state (id, &after, err) < 0)
    return -1;
  if (cc_json_get_int (after, "exit_code", -1) < 0)
    return cc_error_make (err, 0, "container `%s` ended without an exit code: %s", id,
                          cc_json_get_string (after, "error") ? cc_json_get_string (after, "error") : "unknown");
  return (int)cc_json_get_int (after, "exit_code", -1);
}

/* Whether PID has a handler for SIG: bit SIG-1 of SigCgt.  */
static bool
catches_signal (pid_t pid, int sig)
{
  cleanup_free char *path = xasprintf ("/proc/%d/status", (int)pid);
  cleanup_free char *text = NULL;
  const char *line;

  if (cc_read_file (path, &text, NULL, NULL) < 0 || (line = strstr (text, "\nSigCgt:")) == NULL)
    return false;
  return (strtoull (line + 8, NULL, 16) >> (sig - 1)) & 1;
}

static int
mark_stopped (const char *id, cc_error_t *err)
{
  cleanup_free char *marker = cc_runtime_file (id, "stopped");

  return cc_write_file_atomic (marker, "", 0, 0600, err);
}

int
cc_runtime_request_stop (const char *id, cc_error_t *err)
{
  return mark_stopped (id, err);
}

bool
cc_runtime_stop_requested (const char *id)
{
  cleanup_free char *marker = cc_runtime_file (id, "stopped");

  return cc_file_exists (marker);
}

/* Tell the monitor about the marker now (SIGUSR1): a restart waiting
   out its backoff is called off at once.  */
static void
poke_monitor (const char *id)
{
  cleanup_cjson cJSON *st = NULL;
  cleanup_proc_ref struct proc_ref mon = { .fd = -1 };

  if (cc_runtime_state_load (id, &st, NULL) < 0)
    return;
  if (proc_open ((pid_t)cc_json_get_int (st, "monitor_pid", 0), (uint64_t)cc_json_get_int (st, "monitor_start", 0),
                 &mon))
    proc_signal (&mon, SIGUSR1);
}

static int
stop_signal_of (const char *id, int64_t *grace_ms, int *sig)
{
  cleanup_free char *spec_path = cc_paths_container_spec (id);
  cleanup_runtime_spec struct cc_runtime_spec *s = NULL;

  *sig = SIGTERM;
  if (cc_runtime_spec_load (spec_path, &s, NULL) < 0)
    return -1;
  *sig = s->stop_signal;
  if (*grace_ms < 0)
    *grace_ms = s->stop_grace_ms;
  return 0;
}

/* A namespace's PID 1 drops the signals it has no handler for, and one
   started a moment ago may not have installed its handlers yet (`up -d`
   then `down` at once: 3 of 50 containers waited out their 10 s grace
   period with an init that forwards SIGTERM).  While the signal is not
   caught, look every 5 ms and send it again once it is; a PID 1 that
   never catches it waits out the grace period as before.  */
static bool
wait_resending (const struct proc_ref *p, pid_t pid, int sig, bool *caught, int64_t grace_ms)
{
  /* < 0: no deadline, as proc_wait reads it.  */
  int64_t deadline = grace_ms < 0 ? INT64_MAX : cc_runtime_now_ms () + grace_ms;

  while (! *caught)
    {
      int64_t left = deadline - cc_runtime_now_ms ();
      if (left <= 0)
        return false;
      if (proc_wait (p, left < 5 ? left : 5))
        return true;
      *caught = catches_signal (pid, sig);
      if (*caught)
        proc_signal (p, sig);
    }
  if (grace_ms < 0)
    return proc_wait (p, -1);
  return proc_wait (p, deadline > cc_runtime_now_ms () ? deadline - cc_runtime_now_ms () : 0);
}

/* One round: signal the PID 1 the state names, wait out the grace
   period, kill.  */
static void
stop_pid1 (const char *id, const cJSON *st, int sig, int64_t grace_ms, struct cc_runtime_stop_report *r)
{
  const char *status = cc_json_get_string (st, "status");
  pid_t pid = (pid_t)cc_json_get_int (st, "pid", 0);
  cleanup_free char *cgname = cc_cgroup_path_of (id);
  cleanup_proc_ref struct proc_ref p1 = { .fd = -1 };

  if (! proc_open (pid, (uint64_t)cc_json_get_int (st, "pid_start", 0), &p1) || status == NULL
      || strcmp (status, "exited") == 0)
    return;
  /* Created: nothing of the user's runs yet, and a PID 1 without
     handlers would make us wait out the grace period for nothing.  */
  if (strcmp (status, "created") == 0)
    {
      proc_signal (&p1, SIGKILL);
      proc_wait (&p1, 10000);
      return;
    }
  r->was_running = true;
  r->signal_caught = catches_signal (pid, sig);
  proc_signal (&p1, sig);
  if (strcmp (status, "paused") == 0)
    cc_cgroup_ops_get ()->freeze (cgname, false, NULL);
  if (wait_resending (&p1, pid, sig, &r->signal_caught, grace_ms))
    return;
  r->killed = true;
  cc_cgroup_ops_get ()->kill_all (cgname, SIGKILL, NULL);
  proc_signal (&p1, SIGKILL);
  proc_wait (&p1, 10000);
}

int
cc_runtime_stop (const char *id, int64_t grace_ms, struct cc_runtime_stop_report *r, cc_error_t *err)
{
  int64_t t0 = cc_runtime_now_ms ();
  int sig;

  memset (r, 0, sizeof (*r));
  if (cc_runtime_check_id (id, err) < 0)
    return -1;
  /* The marker first: from now on the monitor restarts nothing, so the
     pid read below is the last one, but for a restart already under way,
     which the second round catches.  */
  if (mark_stopped (id, err) < 0)
    return cc_error_wrap (err, "container `%s`", id);
  poke_monitor (id);
  stop_signal_of (id, &grace_ms, &sig);
  for (int round = 0; round < 3; round++)
    {
      cleanup_cjson cJSON *st = NULL;
      const char *status;
      if (load_status (id, &st, &status, err) < 0)
        return -1;
      if (strcmp (status, "exited") == 0)
        break;
      stop_pid1 (id, st, sig, grace_ms, r);
      cc_runtime_wait (id, 10000, NULL);
    }
  r->elapsed_ms = cc_runtime_now_ms () - t0;
  return 0;
}

/* Docker's kill with SIGKILL returns once the container is down (moby
   waits for it to stop), and so does ours: a `start` right after must
   find it exited, not still recorded as running and about to die.
   Down is what the monitor records, a moment after PID 1 is gone; a
   restart policy may already have brought it back with a new PID 1.  */
static void
wait_kill_recorded (const char *id, const struct proc_ref *p1)
{
  int64_t deadline = cc_runtime_now_ms () + KILL_WAIT_MS;

  if (! proc_wait (p1, KILL_WAIT_MS))
    return;
  while (cc_runtime_now_ms () < deadline)
    {
      cleanup_cjson cJSON *st = NULL;
      if (cc_runtime_state (id, &st, NULL) < 0 || (pid_t)cc_json_get_int (st, "pid", 0) != p1->pid
          || strcmp (cc_json_get_string (st, "status") ?: "", "running") != 0)
        return;
      sleep_ms (2);
    }
}

int
cc_runtime_kill (const char *id, int sig, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL;
  const char *status;

  if (load_status (id, &st, &status, err) < 0)
    return -1;
  if (strcmp (status, "running") != 0 && strcmp (status, "paused") != 0 && strcmp (status, "created") != 0)
    return cc_error_make (err, EINVAL, "container `%s` is not running (%s)", id, status);
  cleanup_proc_ref struct proc_ref p1 = { .fd = -1 };
  if (! proc_open ((pid_t)cc_json_get_int (st, "pid", 0), (uint64_t)cc_json_get_int (st, "pid_start", 0), &p1))
    return cc_error_make (err, ESRCH, "kill container `%s`", id);
  if (proc_signal (&p1, sig) < 0)
    return cc_error_make (err, errno, "kill container `%s`", id);
  if (sig == SIGKILL && strcmp (status, "running") == 0)
    wait_kill_recorded (id, &p1);
  return 0;
}

int
cc_runtime_open_root (const char *id, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL;
  cleanup_proc_ref struct proc_ref p1 = { .fd = -1 };
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  const char *status;

  if (load_status (id, &st, &status, err) < 0)
    return -1;
  if (strcmp (status, "running") != 0 && strcmp (status, "paused") != 0)
    return cc_error_make (err, EINVAL, "container `%s` is not running (%s)", id, status);
  if (! proc_open ((pid_t)cc_json_get_int (st, "pid", 0), (uint64_t)cc_json_get_int (st, "pid_start", 0), &p1))
    return cc_error_make (err, ESRCH, "container `%s` is not running", id);
  path = xasprintf ("/proc/%d/root", (int)p1.pid);
  fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return cc_error_make (err, errno, "open the root of container `%s`", id);
  /* The pid could have been recycled between the check and the open: the
     root is ours only when PID 1 is still the one the state names.  */
  if (! cc_runtime_proc_alive (p1.pid, p1.start))
    return cc_error_make (err, ESRCH, "container `%s` exited", id);
  return get_and_reset (&fd);
}

static int
overlay_set (int fs, const char *key, const char *value, cc_error_t *err)
{
  if (syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, value, 0) < 0)
    return cc_error_make (err, errno, "overlay option %s `%s`", key, value);
  return 0;
}

/* One layer per "lowerdir+" (Linux 6.5): fsconfig caps a string at 256
   bytes, which one "lowerdir" list of store paths outgrows at once.  */
static int
mount_overlay_detached (const struct cc_runtime_spec *s, cc_error_t *err)
{
  cleanup_close int fs = (int)syscall (SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  int mnt;

  if (fs < 0)
    return cc_error_make (err, errno, "open an overlay filesystem");
  for (size_t i = 0; s->layers && s->layers[i]; i++)
    if (overlay_set (fs, "lowerdir+", s->layers[i], err) < 0)
      return -1;
  if (overlay_set (fs, "upperdir", s->upper, err) < 0 || overlay_set (fs, "workdir", s->work, err) < 0)
    return -1;
  if (syscall (SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return cc_error_make (err, errno, "create the overlay");
  mnt = (int)syscall (SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
  if (mnt < 0)
    return cc_error_make (err, errno, "mount the overlay");
  return mnt;
}

/* The mount is detached from the start: it shows in no mount table and
   goes away with its last descriptor, so nothing is left to undo.  */
static int
open_root_at_rest (const char *id, char ***mount_targets, cc_error_t *err)
{
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;
  cleanup_strv char **targets = NULL;
  int fd;

  *mount_targets = NULL;
  if (cc_runtime_spec_of (id, &spec, err) < 0)
    return -1;
  fd = spec->rootfs ? open (spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC) : mount_overlay_detached (spec, err);
  if (fd < 0)
    return spec->rootfs ? cc_error_make (err, errno, "open the root of container `%s`", id)
                        : cc_error_wrap (err, "the root of container `%s`", id);
  for (size_t i = 0; i < spec->n_mounts; i++)
    cc_strv_append (&targets, spec->mounts[i].target);
  *mount_targets = steal_pointer (&targets);
  return fd;
}

int
cc_runtime_open_any_root (const char *id, char ***mount_targets, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL;
  const char *status;

  *mount_targets = NULL;
  if (load_status (id, &st, &status, err) < 0)
    return -1;
  if (strcmp (status, "running") == 0 || strcmp (status, "paused") == 0)
    return cc_runtime_open_root (id, err);
  return open_root_at_rest (id, mount_targets, err);
}

static int
set_frozen (const char *id, bool frozen, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL;
  const char *status;

  if (load_status (id, &st, &status, err) < 0)
    return -1;
  if (strcmp (status, frozen ? "running" : "paused") != 0)
    return cc_error_make (err, EINVAL, "container `%s` is %s", id, status);
  cleanup_free char *cgname = cc_cgroup_path_of (id);

  return cc_cgroup_ops_get ()->freeze (cgname, frozen, err);
}

int
cc_runtime_pause (const char *id, cc_error_t *err)
{
  return set_frozen (id, true, err);
}

int
cc_runtime_unpause (const char *id, cc_error_t *err)
{
  return set_frozen (id, false, err);
}

/* The monitor kills the container on SIGTERM and records the exit; a
   monitor that does not go is killed too.  */
static void
stop_monitor (const cJSON *st)
{
  cleanup_proc_ref struct proc_ref mon = { .fd = -1 };

  if (! proc_open ((pid_t)cc_json_get_int (st, "monitor_pid", 0), (uint64_t)cc_json_get_int (st, "monitor_start", 0),
                   &mon))
    return;
  proc_signal (&mon, SIGTERM);
  if (! proc_wait (&mon, 5000))
    {
      proc_signal (&mon, SIGKILL);
      proc_wait (&mon, 5000);
    }
}

static bool
is_inside (const char *path, const char *dir)
{
  size_t n = strlen (dir);

  return strncmp (path, dir, n) == 0 && path[n] == '/';
}

/* Upper and work dirs elsewhere than the container's data directory
   (which goes whole after this, and would report a failure twice).  */
static void
remove_upper (const char *id, const char *data_dir, cc_error_t *list)
{
  cleanup_free char *spec_path = cc_paths_container_spec (id);
  cleanup_runtime_spec struct cc_runtime_spec *s = NULL;
  const char *dirs[2];

  if (cc_runtime_spec_load (spec_path, &s, NULL) < 0)
    return;
  dirs[0] = s->upper;
  dirs[1] = s->work;
  for (size_t i = 0; i < CC_N_ELEMENTS (dirs); i++)
    {
      cc_error_t one = NULL;
      if (dirs[i] && ! is_inside (dirs[i], data_dir) && cc_rm_rf (dirs[i], &one) < 0)
        cc_error_append (list, &one);
    }
}

int
cc_runtime_delete (const char *id, cc_error_t *err)
{
  cleanup_free char *dir = NULL, *log_dir = NULL, *cgname = NULL;
  cleanup_cjson cJSON *st = NULL;
  cc_error_t list = NULL, one = NULL;

  if (cc_runtime_check_id (id, err) < 0)
    return -1;
  dir = cc_runtime_dir (id);
  log_dir = cc_runtime_log_dir (id);
  cgname = cc_cgroup_path_of (id);
  if (cc_runtime_state_load (id, &st, NULL) == 0)
    stop_monitor (st);
  if (cc_cgroup_ops_get ()->destroy (cgname, &one) < 0)
    cc_error_append (&list, &one);
  remove_upper (id, log_dir, &list);
  if (cc_rm_rf (dir, &one) < 0)
    cc_error_append (&list, &one);
  if (cc_rm_rf (log_dir, &one) < 0)
    cc_error_append (&list, &one);
  if (list == NULL)
    return 0;
  if (err)
    *err = list;
  else
    cc_error_release (&list);
  return cc_error_wrap (err, "delete container `%s`", id);
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

int
cc_runtime_list (char ***ids, cc_error_t *err)
{
  cleanup_free char *dir = cc_paths_containers ();
  cleanup_dir DIR *d = opendir (dir);
  char **v = xzalloc (sizeof (char *));
  struct dirent *de;

  if (d == NULL && errno != ENOENT)
    {
      free (v);
      return cc_error_make (err, errno, "open `%s`", dir);
    }
  while (d && (de = readdir (d)) != NULL)
    if (de->d_name[0] != '.' && cc_runtime_check_id (de->d_name, NULL) == 0)
      cc_strv_append (&v, de->d_name);
  qsort (v, cc_strv_len (v), sizeof (char *), compare_strings);
  *ids = v;
  return 0;
}

static int
print_log_text (const char *text, int out_fd, int err_fd, cc_error_t *err)
{
  cleanup_strv char **lines = cc_strv_split (text, '\n', true);

  for (char **l = lines; *l; l++)
    {
      cleanup_free char *stream = NULL, *msg = NULL;
      if (cc_jsonlog_decode (*l, &stream, &msg) < 0)
        continue;
      if (cc_write_all (strcmp (stream, "stderr") == 0 ? err_fd : out_fd, msg, strlen (msg)) < 0)
        return cc_error_make (err, errno, "write");
    }
  return 0;
}

/* PATH, or PATH.gz as `compress` leaves a rotated file.  */
static int
print_log_file (const char *path, int out_fd, int err_fd, cc_error_t *err)
{
  cleanup_free char *text = NULL, *gz = xasprintf ("%s.gz", path);
  cleanup_close int fd = -1;

  if (cc_file_exists (path))
    {
      if (cc_read_file (path, &text, NULL, err) < 0)
        return -1;
      return print_log_text (text, out_fd, err_fd, err);
    }
  if (! cc_file_exists (gz))
    return 0;
  fd = cc_gunzip_file (gz, err);
  if (fd < 0 || cc_read_fd_max (fd, gz, SIZE_MAX, &text, NULL, err) < 0)
    return -1;
  return print_log_text (text, out_fd, err_fd, err);
}

int
cc_runtime_logs (const char *id, int out_fd, int err_fd, cc_error_t *err)
{
  cleanup_free char *path = NULL;

  if (cc_runtime_check_id (id, err) < 0)
    return -1;
  path = cc_runtime_log_path (id);
  for (int i = 100; i >= 1; i--)
    {
      cleanup_free char *rotated = xasprintf ("%s.%d", path, i);
      if (print_log_file (rotated, out_fd, err_fd, err) < 0)
        return -1;
    }
  return print_log_file (path, out_fd, err_fd, err);
}
