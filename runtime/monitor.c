/* The per-container monitor, the small ccompose-monitor program
   (runtime/monitor/main.c; also `ccompose runtime monitor <id>`; ps
   shows `ccompose-monitor <id>`): the container's parent and subreaper.  It
   creates the cgroups, clones the container, pumps its stdout/stderr
   into the json-file log, records the exit (code, time, OOM kill),
   restarts it per policy keeping the same network namespace, and runs
   the healthcheck.  It exits once the container has stopped for good.

   Only the monitor writes state.json after create; `stop` leaves a
   `stopped` marker so the restart policy stands down, `delete` sends
   SIGTERM.  */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <link.h>
#include <linux/close_range.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

/* Docker splits lines longer than this into partial records.  */
#define LOG_CHUNK 16384

struct stream
{
  const char *name;
  int fd;
  struct cc_buf line;
};

struct probe
{
  pid_t pid;
  int fd;
  struct cc_buf out;
  char *start;
  int64_t deadline;
  bool timed_out;
};

struct monitor
{
  const char *id;
  char *cgname;
  struct cc_runtime_spec *spec;
  const struct cc_cgroup_ops *cg;
  cJSON *state;
  struct cc_jsonlog log;
  struct cc_syslog sink; /* the syslog driver's socket (fd -1: none) */
  struct stream out, err;
  struct stream tty;         /* the master of PID 1's terminal (runtime/attach.c) */
  int in_fd;                 /* the write end of PID 1's stdin (stdin_open), or -1 */
  struct cc_console console; /* `attach` (runtime/console.c) */
  struct cc_proxy proxy;     /* ports on ::1 (runtime/proxy.c) */
  int sigfd;
  int sync_fd;
  int netns_fd;
  int attach_fd; /* the caller of `run`: the first run's stdio, the terminal's output */
  bool attach_given;
  pid_t pid;
  int64_t started_ms;
  uint64_t oom_before;
  bool deleting;
  bool done;
  int64_t restart_at; /* 0: none pending */
  int64_t restart_delay;
  int64_t next_probe; /* 0: none scheduled */
  int early_probes;   /* scheduled since the start, for the start period's ramp */
  int64_t start_period_end;
  int64_t release_at; /* 0: memory released since the last event */
  struct probe probe;
  char *notified; /* "status/health" the on_change program last heard of */
};

static void
run_on_change (struct monitor *m, const char *from, const char *to)
{
  char **argv = m->spec->on_change;
  sigset_t none;
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  char code[32];

  snprintf (code, sizeof (code), "%lld", (long long)cc_json_get_int (m->state, "exit_code", 0));
  setenv (CC_RUNTIME_CHANGE_ID, m->id, 1);
  setenv (CC_RUNTIME_CHANGE_FROM, from, 1);
  setenv (CC_RUNTIME_CHANGE_TO, to, 1);
  setenv (CC_RUNTIME_CHANGE_EXIT, code, 1);

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  setsid ();
  for (int i = 0; null >= 0 && i < 3; i++)
    dup2 (null, i);
  close_range (3, ~0U, 0);
  execv (argv[0], argv);
  _exit (127);
}

/* Issue 16: a replica that turns unhealthy, or stops, leaves its
   balancer at once, not at the next ccompose command: the spec's
   on_change program runs after the state that shows the change is
   saved, detached (its own session, no descriptor of ours), reaped with
   the other children (reap).  */
static void
notify_change (struct monitor *m)
{
  const cJSON *h = cJSON_GetObjectItemCaseSensitive (m->state, "health");
  const char *hs = h ? cc_json_get_string (h, "Status") : NULL;
  cleanup_free char *now = xasprintf ("%s/%s", cc_json_get_string (m->state, "status") ?: "", hs ?: "");

  cleanup_free char *before = NULL;

  if (m->spec == NULL || m->spec->on_change == NULL || strcmp (m->notified ?: "created/", now) == 0)
    return;
  before = m->notified ?: xstrdup ("created/");
  m->notified = steal_pointer (&now);
  if (fork () == 0)
    run_on_change (m, before, m->notified);
}

static void
save_state (struct monitor *m)
{
  cleanup_error cc_error_t err = NULL;

  if (cc_runtime_state_save (m->id, m->state, &err) < 0)
    cc_error_print (&err);
  notify_change (m);
}

static void
set_status (struct monitor *m, const char *status)
{
  cc_json_set_string (m->state, "status", status);
}

static void
set_now (struct monitor *m, const char *key)
{
  struct timespec ts;
  cleanup_free char *t = NULL;

  clock_gettime (CLOCK_REALTIME, &ts);
  t = cc_runtime_timestamp (&ts);
  cc_json_set_string (m->state, key, t);
}

/* Logs.  */

static void
log_record (struct monitor *m, struct stream *s, const char *data, size_t len)
{
  cleanup_error cc_error_t err = NULL;

  if (m->sink.fd >= 0)
    cc_syslog_write (&m->sink, s == &m->err, data, len);
  /* The `none` driver keeps nothing (m->log never opened).  */
  if (m->log.path == NULL)
    return;
  if (cc_jsonlog_write (&m->log, s->name, data, len, &err) < 0)
    cc_debug ("%s", err->msg);
}

/* The syslog driver: the socket, and Docker's "dual logging" cache
   that `logs` reads unless disabled.  */
static int
open_sink (struct monitor *m, cc_error_t *err)
{
  const struct cc_runtime_spec *s = m->spec;
  const struct
  {
    const char *name;
    enum cc_syslog_format format;
  } formats[] = { { "rfc5424", CC_SYSLOG_RFC5424 }, { "rfc5424micro", CC_SYSLOG_RFC5424MICRO } };
  char host[256] = "";

  gethostname (host, sizeof (host) - 1);
  m->sink.fmt = (struct cc_syslog_fmt){ .facility = s->log_facility,
                                        .tag = xstrdup (s->log_tag ?: m->id),
                                        .hostname = xstrdup (*host ? host : "-"),
                                        .pid = getpid () };
  for (size_t i = 0; s->log_format && i < CC_N_ELEMENTS (formats); i++)
    if (strcmp (formats[i].name, s->log_format) == 0)
      m->sink.fmt.format = formats[i].format;
  /* Blocking: a backlog of 64 KiB, then the container waits (its pipes
     are not read); non-blocking: max-buffer-size, then lines are lost.  */
  m->sink.max_pending = s->log_nonblocking ? s->log_max_buffer : 65536;
  return cc_syslog_open (&m->sink, s->log_address, err);
}

static bool
driver_is (const struct cc_runtime_spec *s, const char *name)
{
  return s->log_driver && strcmp (s->log_driver, name) == 0;
}

static int
open_log (struct monitor *m, const char *path, cc_error_t *err)
{
  const struct cc_runtime_spec *s = m->spec;
  const struct cc_jsonlog_opts o = { s->log_max_size, s->log_max_file, s->log_compress, s->log_attrs };

  if (driver_is (s, "syslog") && open_sink (m, err) < 0)
    return -1;
  if (driver_is (s, "none") || (driver_is (s, "syslog") && s->log_cache_disabled))
    return 0;
  return cc_jsonlog_open (&m->log, path, &o, err);
}

/* A blocking sink that is behind holds the container's output back.  */
static bool
sink_is_behind (const struct monitor *m)
{
  return ! m->spec->log_nonblocking && cc_syslog_full (&m->sink, LOG_CHUNK);
}

/* Emit each complete line, and any run that reached LOG_CHUNK.  */
static void
log_lines (struct monitor *m, struct stream *s, bool flush)
{
  size_t start = 0;

  for (size_t i = 0; i < s->line.len; i++)
    if (s->line.data[i] == '\n' || i + 1 - start >= LOG_CHUNK)
      {
        log_record (m, s, s->line.data + start, i + 1 - start);
        start = i + 1;
      }
  if (flush && start < s->line.len)
    {
      log_record (m, s, s->line.data + start, s->line.len - start);
      start = s->line.len;
    }
  if (start == 0)
    return;
  memmove (s->line.data, s->line.data + start, s->line.len - start);
  s->line.len -= start;
  s->line.data[s->line.len] = '\0';
}

/* The terminal's output to `run`'s caller too, in messages its relay
   reads whole.  Blocking: a caller that does not read holds the
   program up, as a terminal would; one that went away is dropped.  */
static void
forward_output (struct monitor *m, const char *data, size_t len)
{
  for (size_t off = 0; m->attach_fd >= 0 && off < len;)
    {
      size_t chunk = len - off < 4096 ? len - off : 4096;
      ssize_t n = send (m->attach_fd, data + off, chunk, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        close (get_and_reset (&m->attach_fd));
      off += chunk;
    }
}

/* The caller's relay ends when the connection does.  */
static void
detach_caller (struct monitor *m)
{
  if (m->attach_fd >= 0)
    close (get_and_reset (&m->attach_fd));
}

static void
pump (struct monitor *m, struct stream *s)
{
  char buf[65536];
  ssize_t n;

  if (s->fd < 0)
    return;
  n = read (s->fd, buf, sizeof (buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
    {
      close (s->fd);
      s->fd = -1;
      log_lines (m, s, true);
      if (s == &m->tty)
        detach_caller (m);
      return;
    }
  if (s == &m->tty)
    forward_output (m, buf, (size_t)n);
  cc_console_broadcast (&m->console, s == &m->err ? '2' : '1', buf, (size_t)n);
  cc_buf_append (&s->line, buf, (size_t)n);
  log_lines (m, s, false);
}

/* After the container is gone: what it wrote is still in the pipes.  */
static void
drain (struct monitor *m, struct stream *s)
{
  for (int i = 0; s->fd >= 0 && i < 1024; i++)
    {
      int fd = s->fd;
      pump (m, s);
      if (s->fd == fd)
        {
          struct pollfd p = { fd, POLLIN, 0 };
          if (poll (&p, 1, 0) <= 0)
            break;
        }
    }
  if (s->fd >= 0)
    close (s->fd);
  s->fd = -1;
  log_lines (m, s, true);
}

/* Starting a container.  */

static void
keep_netns (struct monitor *m)
{
  cleanup_free char *path = NULL;

  if (m->netns_fd >= 0)
    return;
  /* The first run made a new network namespace; restarts keep it so the
     container keeps its addresses (ARCHITECTURE.md, "Process model").  */
  path = xasprintf ("/proc/%d/ns/net", (int)m->pid);
  m->netns_fd = open (path, O_RDONLY | O_CLOEXEC);
}

static int
spawn (struct monitor *m, bool start_now, cc_error_t *err)
{
  struct cc_container c;
  uint64_t start = 0;
  int ret;

  if (m->cg->create (m->cgname, &m->spec->resources, ! m->spec->privileged, err) < 0)
    return -1;
  /* A restart runs detached: whoever was attached saw the end.  */
  ret = cc_container_spawn (m->id, m->spec, m->netns_fd, m->attach_given ? -1 : m->attach_fd, start_now, &c, err);
  m->attach_given = true;
  if (ret < 0)
    {
      m->cg->destroy (m->cgname, NULL);
      return -1;
    }
  m->pid = c.pid;
  m->sync_fd = c.sync_fd;
  m->out.fd = c.out_fd;
  m->err.fd = c.err_fd;
  m->in_fd = c.in_fd;
  fcntl (m->in_fd, F_SETFL, O_NONBLOCK);
  fcntl (m->out.fd, F_SETFL, O_NONBLOCK);
  fcntl (m->err.fd, F_SETFL, O_NONBLOCK);
  m->oom_before = m->cg->oom_kills (m->cgname);
  keep_netns (m);
  cc_runtime_proc_start (m->pid, &start);
  cc_json_set_int (m->state, "pid", m->pid);
  cc_json_set_int (m->state, "pid_start", (int64_t)start);
  cc_json_set (m->state, "error", cJSON_CreateNull ());
  set_status (m, "created");
  return 0;
}

static void
schedule_probe (struct monitor *m, int64_t now)
{
  bool starting = now < m->start_period_end;

  m->next_probe = m->spec->health.test ? now + cc_health_next_ms (&m->spec->health, starting, m->early_probes++) : 0;
}

static void
mark_running (struct monitor *m)
{
  m->started_ms = cc_runtime_now_ms ();
  m->start_period_end = m->started_ms + m->spec->health.start_period_ms;
  m->early_probes = 0;
  set_status (m, "running");
  set_now (m, "started_at");
  if (m->spec->health.test)
    {
      cJSON *h = cJSON_CreateObject ();
      cc_json_set_string (h, "Status", "starting");
      cc_json_set_int (h, "FailingStreak", 0);
      cc_json_set (h, "Log", cJSON_CreateArray ());
      cc_json_set (m->state, "health", h);
    }
  schedule_probe (m, m->started_ms);
  save_state (m);
}

/* sync 3: "started" as the process goes to execve, then the socket
   closes at exec, or carries the exec's failure.  A close without
   "started" is a process that died (was killed) before its start.  */
static void
on_sync (struct monitor *m)
{
  for (;;)
    {
      struct cc_sync_msg msg;
      int fd;
      ssize_t n = cc_recv_with_fd (m->sync_fd, &msg, sizeof (msg) - 1, MSG_DONTWAIT, &fd);

      if (n < 0 && errno == EAGAIN)
        return;
      if (n == 1 && ((char *)&msg)[0] == CC_ATTACH_TTY_TAG && fd >= 0 && m->tty.fd < 0)
        {
          m->tty.fd = fd;
          fcntl (fd, F_SETFL, O_NONBLOCK);
          continue;
        }
      if (fd >= 0)
        close (fd);
      if (n <= (ssize_t)offsetof (struct cc_sync_msg, text))
        {
          close (m->sync_fd);
          m->sync_fd = -1;
          /* Exec'd without a terminal: the caller only fed stdin.  */
          if (m->tty.fd < 0)
            detach_caller (m);
          return;
        }
      ((char *)&msg)[n] = '\0';
      if (msg.type == CC_SYNC_OK)
        mark_running (m);
      else
        {
          cc_json_set_string (m->state, "error", msg.text);
          save_state (m);
        }
    }
}

/* Healthchecks.  */

static char **
probe_args (const struct cc_runtime_health *h)
{
  char **args = NULL;

  if (strcmp (h->test[0], "CMD-SHELL") == 0)
    {
      cc_strv_append (&args, "/bin/sh");
      cc_strv_append (&args, "-c");
      cc_strv_append (&args, h->test[1]);
      return args;
    }
  return cc_strv_dup (h->test + 1);
}

static void
start_probe (struct monitor *m, int64_t now)
{
  cleanup_strv char **args = probe_args (&m->spec->health);
  struct cc_runtime_exec_opts o = { .args = args };
  cleanup_error cc_error_t err = NULL;
  struct timespec ts;
  int p[2];

  m->next_probe = 0;
  if (pipe2 (p, O_CLOEXEC) < 0)
    return;
  /* No report descriptor: why a probe could not start is its output,
     which the health log records as Docker's does.  */
  struct cc_exec_io io = { -1, p[1], p[1], -1, -1 };
  if (cc_exec_spawn (m->id, m->spec, m->pid, &o, &io, &m->probe.pid, &err) < 0)
    {
      close (p[0]);
      close (p[1]);
      schedule_probe (m, now);
      return;
    }
  close (p[1]);
  m->probe.fd = p[0];
  fcntl (m->probe.fd, F_SETFL, O_NONBLOCK);
  clock_gettime (CLOCK_REALTIME, &ts);
  free (m->probe.start);
  m->probe.start = cc_runtime_timestamp (&ts);
  m->probe.deadline = now + m->spec->health.timeout_ms;
  m->probe.timed_out = false;
  cc_buf_reset (&m->probe.out);
}

static void
read_probe (struct monitor *m)
{
  char buf[4096];
  ssize_t n;

  while (m->probe.fd >= 0 && (n = read (m->probe.fd, buf, sizeof (buf))) != 0)
    {
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN)
            return;
          break;
        }
      if (m->probe.out.len < 4096)
        cc_buf_append (&m->probe.out, buf, (size_t)n);
    }
  if (m->probe.fd >= 0)
    close (m->probe.fd);
  m->probe.fd = -1;
}

static void
probe_done (struct monitor *m, int status)
{
  int64_t now = cc_runtime_now_ms ();
  cJSON *h = cJSON_GetObjectItemCaseSensitive (m->state, "health");
  int code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  struct timespec ts;
  cleanup_free char *end = NULL;
  cleanup_free char *timeout_msg = NULL;
  bool starting = now < m->start_period_end;

  read_probe (m);
  m->probe.pid = 0;
  clock_gettime (CLOCK_REALTIME, &ts);
  end = cc_runtime_timestamp (&ts);
  if (m->probe.timed_out)
    timeout_msg = xasprintf ("Health check exceeded timeout (%lldms)", (long long)m->spec->health.timeout_ms);
  if (h && strcmp (cc_json_get_string (m->state, "status"), "running") == 0)
    {
      cc_health_record (h, &m->spec->health, m->probe.timed_out ? -1 : code,
                        timeout_msg ? timeout_msg : (m->probe.out.data ? m->probe.out.data : ""), m->probe.start, end,
                        starting);
      /* A healthy probe ends the start period, as in Docker.  */
      if (code == 0 && ! m->probe.timed_out)
        m->start_period_end = 0;
      save_state (m);
      schedule_probe (m, now);
    }
}

static void
check_probe_timeout (struct monitor *m, int64_t now)
{
  if (m->probe.pid > 0 && ! m->probe.timed_out && now >= m->probe.deadline)
    {
      m->probe.timed_out = true;
      kill (m->probe.pid, SIGKILL);
    }
}

/* The container's exit.  */

static bool
stopped_by_user (struct monitor *m)
{
  cleanup_free char *marker = cc_runtime_file (m->id, "stopped");

  return m->deleting || cc_file_exists (marker);
}

static void
finish (struct monitor *m)
{
  m->cg->destroy (m->cgname, NULL);
  m->done = true;
}

static void
container_exited (struct monitor *m, int status)
{
  int code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  bool oom = m->cg->oom_kills (m->cgname) > m->oom_before;
  int restarts = (int)cc_json_get_int (m->state, "restart_count", 0);
  int64_t ran = m->started_ms ? cc_runtime_now_ms () - m->started_ms : 0;

  m->pid = 0;
  drain (m, &m->out);
  drain (m, &m->err);
  drain (m, &m->tty);
  detach_caller (m);
  if (m->in_fd >= 0)
    close (get_and_reset (&m->in_fd));
  if (m->sync_fd >= 0)
    on_sync (m);
  if (m->probe.pid > 0)
    kill (m->probe.pid, SIGKILL);
  m->next_probe = 0;
  cc_json_set_int (m->state, "exit_code", code);
  cc_json_set_bool (m->state, "oom_killed", oom);
  set_now (m, "finished_at");
  m->started_ms = 0;
  if (! cc_restart_wanted (m->spec, restarts, code, stopped_by_user (m)))
    {
      set_status (m, "exited");
      save_state (m);
      finish (m);
    }
  else
    {
      m->restart_delay = cc_restart_next_delay (m->restart_delay, ran);
      m->restart_at = cc_runtime_now_ms () + m->restart_delay;
      cc_json_set_int (m->state, "restart_count", restarts + 1);
      set_status (m, "restarting");
      save_state (m);
    }
  /* After the exit is recorded: `attach` reports the code it finds.  */
  cc_console_drop_all (&m->console);
}

static void
restart (struct monitor *m)
{
  cleanup_error cc_error_t err = NULL;

  m->restart_at = 0;
  if (stopped_by_user (m))
    {
      set_status (m, "exited");
      save_state (m);
      finish (m);
      return;
    }
  if (spawn (m, true, &err) < 0)
    {
      cc_json_set_string (m->state, "error", err->msg);
      set_status (m, "exited");
      save_state (m);
      finish (m);
      return;
    }
  save_state (m);
}

static void
reap (struct monitor *m)
{
  int status;
  pid_t pid;

  while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
    {
      if (pid == m->pid)
        container_exited (m, status);
      else if (pid == m->probe.pid)
        probe_done (m, status);
    }
}

static void
on_signal (struct monitor *m)
{
  struct signalfd_siginfo si;

  while (read (m->sigfd, &si, sizeof (si)) == sizeof (si))
    {
      if (si.ssi_signo == SIGCHLD)
        continue;
      /* `stop` between two runs: the pending restart is called off now,
         not when its backoff (up to a minute) runs out.  */
      if (si.ssi_signo == SIGUSR1)
        {
          if (m->restart_at > 0)
            restart (m);
          continue;
        }
      /* `delete`: no restart, kill everything, record the exit.  */
      m->deleting = true;
      m->restart_at = 0;
      if (m->pid > 0)
        m->cg->kill_all (m->cgname, SIGKILL, NULL);
      else
        m->done = true;
    }
  reap (m);
}

/* Resident memory.  Loading the monitor and starting a container fault
   in much of libc, libseccomp, libcap and the runtime's own code (in
   large folios), shared with every other process yet counted in each
   monitor's RSS.  Between events the monitor runs a few libc calls, so
   a second after an event it unmaps the read-only pages of every
   loaded object: they stay in the page cache and fault back in on the
   next restart or healthcheck.  Only segments without PF_W qualify:
   their pages are never copied on write (a library with text
   relocations excepted), so dropping them loses nothing; RELRO lives
   in the writable segment and is left alone.  */
#define RELEASE_IDLE_MS 1000

static bool
has_text_relocations (const struct dl_phdr_info *info)
{
  for (int i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW (Dyn) *d = (const void *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);

      if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
        continue;
      for (; d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_TEXTREL || (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL)))
          return true;
    }
  return false;
}

static int
release_object (struct dl_phdr_info *info, size_t size, void *data)
{
  uintptr_t page = (uintptr_t)sysconf (_SC_PAGESIZE), vdso = (uintptr_t)data;
  struct
  {
    uintptr_t start, end;
  } ranges[16];
  size_t n = 0;

  (void)size;
  /* The vDSO is the kernel's, not a file.  */
  if ((uintptr_t)info->dlpi_phdr - vdso < page || has_text_relocations (info))
    return 0;
  /* Collect first: the program headers live in the first segment.  */
  for (int i = 0; i < info->dlpi_phnum && n < CC_N_ELEMENTS (ranges); i++)
    {
      const ElfW (Phdr) *ph = &info->dlpi_phdr[i];
      uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;

      if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
        continue;
      /* Whole pages inside the segment only.  */
      ranges[n].start = (start + page - 1) & ~(page - 1);
      ranges[n].end = end & ~(page - 1);
      n++;
    }
  for (size_t i = 0; i < n; i++)
    if (ranges[i].end > ranges[i].start)
      madvise ((void *)ranges[i].start, ranges[i].end - ranges[i].start, MADV_DONTNEED);
  return 0;
}

static void
release_memory (void)
{
  malloc_trim (0);
  dl_iterate_phdr (release_object, (void *)getauxval (AT_SYSINFO_EHDR));
}

/* Whatever woke us faulted pages back in: release them a second after
   the first wakeup that follows a release, so at most once a second
   however much a container logs.  */
static void
idle_release (struct monitor *m, int64_t now)
{
  if (m->release_at == 0)
    m->release_at = now + RELEASE_IDLE_MS;
  else if (now >= m->release_at)
    {
      release_memory ();
      m->release_at = 0;
    }
}

static int
poll_timeout (struct monitor *m, int64_t now)
{
  int64_t t = -1;
  int64_t deadlines[] = { m->restart_at, m->next_probe, m->probe.pid > 0 ? m->probe.deadline : 0, m->release_at };

  for (size_t i = 0; i < CC_N_ELEMENTS (deadlines); i++)
    if (deadlines[i] > 0 && (t < 0 || deadlines[i] - now < t))
      t = deadlines[i] - now < 0 ? 0 : deadlines[i] - now;
  return (int)t;
}

/* Clients of the console, after a fixed part of N_FIXED entries.  */
static void
serve_console (struct monitor *m, const struct pollfd *p, size_t n_fixed)
{
  /* Keystrokes only where the service keeps stdin open, as Docker
     attaches stdin only then.  */
  int input = ! m->spec->stdin_open ? -1 : m->tty.fd >= 0 ? m->tty.fd : m->in_fd;

  /* From the last: a dropped client takes the last one's place.  */
  for (size_t i = m->console.n; i-- > 0;)
    if (p[n_fixed + 1 + i].revents)
      cc_console_read (&m->console, i, m->tty.fd, input);
  if (p[n_fixed].revents)
    cc_console_accept (&m->console, m->spec->terminal, m->spec->stdin_open);
}

/* The fixed entries, the console's clients, then the proxy's.  */
enum
{
  POLL_FIXED = 8,
  POLL_PROXY = POLL_FIXED + CC_CONSOLE_MAX,
};

static void
run_loop (struct monitor *m)
{
  size_t n_poll = POLL_PROXY + CC_PROXY_POLL_FDS (&m->proxy);
  cleanup_free struct pollfd *p = xreallocarray (NULL, n_poll, sizeof (*p));

  while (! m->done)
    {
      int64_t now = cc_runtime_now_ms ();
      const short in = sink_is_behind (m) ? 0 : POLLIN;
      const struct pollfd fixed[POLL_FIXED] = {
        { m->sigfd, POLLIN, 0 },
        { m->out.fd, in, 0 },
        { m->err.fd, in, 0 },
        { m->sync_fd, POLLIN, 0 },
        { m->probe.fd, POLLIN, 0 },
        { m->tty.fd, in, 0 },
        { m->sink.pending.len ? m->sink.fd : -1, POLLOUT, 0 },
        { m->console.listen_fd, POLLIN, 0 },
      };
      memcpy (p, fixed, sizeof (fixed));
      for (size_t i = 0; i < CC_CONSOLE_MAX; i++)
        p[POLL_FIXED + i] = (struct pollfd){ i < m->console.n ? m->console.clients[i] : -1, POLLIN, 0 };
      cc_proxy_poll_fds (&m->proxy, p + POLL_PROXY);
      if (poll (p, n_poll, poll_timeout (m, now)) < 0 && errno != EINTR)
        break;
      now = cc_runtime_now_ms ();
      if (p[1].revents)
        pump (m, &m->out);
      if (p[2].revents)
        pump (m, &m->err);
      if (p[3].revents)
        on_sync (m);
      if (p[4].revents)
        read_probe (m);
      if (p[5].revents)
        pump (m, &m->tty);
      if (p[6].revents)
        cc_syslog_on_writable (&m->sink);
      serve_console (m, p, 7);
      cc_proxy_dispatch (&m->proxy, p + POLL_PROXY, m->netns_fd);
      if (p[0].revents)
        on_signal (m);
      if (m->restart_at > 0 && now >= m->restart_at)
        restart (m);
      if (m->next_probe > 0 && now >= m->next_probe && m->probe.pid == 0 && m->pid > 0)
        start_probe (m, now);
      check_probe_timeout (m, now);
      idle_release (m, now);
    }
}

/* Setup.  */

/* ps shows the whole argv area: overwrite it with the name (Docker
   users look for `ccompose-monitor <container>`).  */
static void
set_title (const char *id, char **argv)
{
  char *start = program_invocation_name, *end;
  size_t room;
  char comm[16];

  if (argv == NULL || argv[0] == NULL)
    return;
  end = argv[cc_strv_len (argv) - 1];
  end += strlen (end);
  if (end <= start)
    return;
  room = (size_t)(end - start);
  memset (start, 0, room);
  snprintf (start, room, "ccompose-monitor %s", id);
  snprintf (comm, sizeof (comm), "ccompose-mon");
  prctl (PR_SET_NAME, comm);
}

static void
detach_process (void)
{
  cleanup_close int fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

  setsid ();
  prctl (PR_SET_CHILD_SUBREAPER, 1);
  /* Lowering needs CAP_SYS_RESOURCE: best effort, as conmon.  */
  if (fd >= 0 && write (fd, "-1000", 5) < 0)
    cc_debug ("lower oom_score_adj: %m");
  /* Only `delete` (SIGTERM) ends the monitor: a terminal's ^C or hangup
     during startup, before setsid took effect, must not.  */
  signal (SIGPIPE, SIG_IGN);
  signal (SIGINT, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
}

static int
open_signals (struct monitor *m, cc_error_t *err)
{
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGUSR1);
  sigprocmask (SIG_BLOCK, &set, NULL);
  m->sigfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (m->sigfd < 0)
    return cc_error_make (err, errno, "signalfd");
  return 0;
}

static int
prepare (struct monitor *m, cc_error_t *err)
{
  cleanup_free char *spec_path = cc_paths_container_spec (m->id);
  cleanup_free char *root = cc_runtime_file (m->id, "rootfs");
  cleanup_free char *init = cc_runtime_file (m->id, "init");
  cleanup_free char *log_dir = cc_runtime_log_dir (m->id);
  cleanup_free char *log_path = cc_runtime_log_path (m->id);
  uint64_t start = 0;

  if (open_signals (m, err) < 0 || cc_runtime_spec_load (spec_path, &m->spec, err) < 0
      || cc_runtime_state_load (m->id, &m->state, err) < 0)
    return -1;
  m->cgname = cc_cgroup_path (m->spec->cgroup_parent, m->id);
  if (cc_mkdir_p (root, 0755, err) < 0 || cc_mkdir_p (log_dir, 0750, err) < 0)
    return -1;
  if (m->spec->init && cc_init_install (init, err) < 0)
    return -1;
  if (open_log (m, log_path, err) < 0)
    return -1;
  if (m->spec->netns)
    {
      /* "host": the network namespace we were started in.  */
      const char *path = cc_runtime_netns_is_host (m->spec) ? "/proc/self/ns/net" : m->spec->netns;
      m->netns_fd = open (path, O_RDONLY | O_CLOEXEC);
      if (m->netns_fd < 0)
        return cc_error_make (err, errno, "open network namespace `%s`", m->spec->netns);
    }
  if ((m->spec->terminal || m->spec->stdin_open) && cc_console_listen (&m->console, m->id, err) < 0)
    return -1;
  /* Bound before the caller hears of success: a port another holds
     fails `up` at once (issue 17).  */
  if (cc_proxy_listen (&m->proxy, m->spec->loopback6_ports, err) < 0)
    return -1;
  cc_seccomp_prepare (m->spec);
  cc_runtime_proc_start (getpid (), &start);
  /* The leaf name, as before cgroup_parent; the parent is in the spec.  */
  cc_json_set_string (m->state, "cgroup", strrchr (m->cgname, '/') + 1);
  cc_json_set_int (m->state, "monitor_pid", getpid ());
  cc_json_set_int (m->state, "monitor_start", (int64_t)start);
  return 0;
}

/* One JSON line to whoever started us: the pid, or the error.  */
static void
report (int fd, pid_t pid, cc_error_t err)
{
  cleanup_cjson cJSON *j = cJSON_CreateObject ();
  cleanup_free char *text = NULL;

  if (fd < 0)
    return;
  if (err)
    {
      cc_json_set_string (j, "error", err->msg);
      cc_json_set_int (j, "errno", err->status);
    }
  else
    cc_json_set_int (j, "pid", pid);
  text = cJSON_PrintUnformatted (j);
  if (cc_write_all (fd, text, strlen (text)) < 0 || cc_write_all (fd, "\n", 1) < 0)
    cc_debug ("report to the caller: %m");
  close (fd);
}

static void
quiet_stdio (void)
{
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);

  for (int i = 0; i < 3; i++)
    dup2 (null, i);
  close (null);
}

static void
monitor_release (struct monitor *m)
{
  cc_jsonlog_close (&m->log);
  cc_syslog_close (&m->sink);
  cc_buf_reset (&m->out.line);
  cc_buf_reset (&m->err.line);
  cc_buf_reset (&m->tty.line);
  if (m->tty.fd >= 0)
    close (m->tty.fd);
  cc_buf_reset (&m->probe.out);
  free (m->probe.start);
  free (m->cgname);
  free (m->notified);
  if (m->state)
    cJSON_Delete (m->state);
  if (m->spec)
    cc_runtime_spec_free (m->spec);
  if (m->sigfd >= 0)
    close (m->sigfd);
  if (m->netns_fd >= 0)
    close (m->netns_fd);
  if (m->attach_fd >= 0)
    close (m->attach_fd);
  if (m->in_fd >= 0)
    close (m->in_fd);
  cc_console_close (&m->console, m->id);
  cc_proxy_close (&m->proxy);
}

/* The monitor's options, read alike by ccompose-monitor and `ccompose
   runtime monitor`: [--status-fd N] [--start] ID.  */
int
cc_runtime_monitor_args (int argc, char **argv, int *status_fd, bool *start_now, const char **id)
{
  static const struct option opts[]
      = { { "status-fd", required_argument, NULL, 'f' }, { "start", no_argument, NULL, 's' }, { NULL, 0, NULL, 0 } };
  int c;

  *status_fd = -1;
  *start_now = false;
  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        *status_fd = atoi (optarg);
        break;
      case 's':
        *start_now = true;
        break;
      default:
        return -1;
      }
  if (optind != argc - 1)
    return -1;
  *id = argv[optind];
  return 0;
}

int
cc_runtime_monitor_main (const char *id_arg, int status_fd, bool start_now, char **argv)
{
  /* The title overwrites argv, where ID_ARG lives.  */
  cleanup_free char *id = xstrdup (id_arg);
  cleanup_error cc_error_t err = NULL;
  struct monitor m = {
    .id = id,
    .cg = cc_cgroup_ops_get (),
    .out = { "stdout", -1, { 0 } },
    .err = { "stderr", -1, { 0 } },
    .tty = { "stdout", -1, { 0 } },
    .sigfd = -1,
    .sync_fd = -1,
    .netns_fd = -1,
    .attach_fd = -1,
    .in_fd = -1,
    .console = { .listen_fd = -1 },
    .probe = { .fd = -1 },
    .log = { .fd = -1 },
    .sink = { .fd = -1 },
  };

  cc_proxy_init (&m.proxy);
  if (status_fd >= 0)
    fcntl (status_fd, F_SETFD, FD_CLOEXEC);
  set_title (id, argv);
  detach_process ();
  /* Only a create: `start` of a stopped container runs it detached.  */
  if (! start_now)
    m.attach_fd = cc_attach_connect (id);
  if (prepare (&m, &err) < 0 || spawn (&m, start_now, &err) < 0)
    {
      if (m.state)
        {
          cc_json_set_string (m.state, "error", err->msg);
          set_status (&m, "exited");
          save_state (&m);
        }
      report (status_fd, 0, err);
      monitor_release (&m);
      return 1;
    }
  save_state (&m);
  report (status_fd, m.pid, NULL);
  quiet_stdio ();
  run_loop (&m);
  monitor_release (&m);
  return 0;
}
