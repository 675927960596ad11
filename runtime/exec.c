/* Processes inside a container: the final steps shared by PID 1 and
   by `exec`/healthchecks (user, environment, cwd, capabilities,
   seccomp), and joining a running container.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *
env_get (char *const *env, const char *key)
{
  size_t n = strlen (key);

  for (; env && *env; env++)
    if (strncmp (*env, key, n) == 0 && (*env)[n] == '=')
      return *env + n + 1;
  return NULL;
}

/* Set KEY=VALUE in ENV (ENTRY is "KEY=VALUE"), replacing an earlier one.  */
static void
env_put (char ***env, const char *entry)
{
  size_t n = (size_t)(strchr (entry, '=') - entry);

  for (char **e = *env; e && *e; e++)
    if (strncmp (*e, entry, n + 1) == 0)
      {
        free (*e);
        *e = xstrdup (entry);
        return;
      }
  cc_strv_append (env, entry);
}

static char **
build_env (const struct cc_exec_target *t, const struct cc_user *u)
{
  char **env = xzalloc (sizeof (char *));

  for (char **e = t->spec->env; e && *e; e++)
    env_put (&env, *e);
  for (char **e = t->extra_env; e && *e; e++)
    if (strchr (*e, '='))
      env_put (&env, *e);
  if (env_get (env, "PATH") == NULL)
    cc_strv_push (&env, xstrdup ("PATH=" DEFAULT_PATH));
  if (env_get (env, "HOSTNAME") == NULL && t->spec->hostname)
    cc_strv_push (&env, xasprintf ("HOSTNAME=%s", t->spec->hostname));
  if (env_get (env, "HOME") == NULL)
    cc_strv_push (&env, xasprintf ("HOME=%s", u->home ? u->home : "/"));
  return env;
}

static bool
is_executable_file (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISREG (st.st_mode) && access (path, X_OK) == 0;
}

char *
cc_exec_find (char *const *env, const char *file)
{
  const char *path = env_get (env, "PATH");
  cleanup_strv char **dirs = NULL;

  if (strchr (file, '/'))
    return is_executable_file (file) ? xstrdup (file) : NULL;
  dirs = cc_strv_split (path ? path : DEFAULT_PATH, ':', true);
  for (char **d = dirs; *d; d++)
    {
      char *candidate = xasprintf ("%s/%s", *d, file);
      if (is_executable_file (candidate))
        return candidate;
      free (candidate);
    }
  return NULL;
}

/* Docker creates a missing working directory.  */
static int
enter_cwd (int rootfd, const char *cwd, cc_error_t *err)
{
  cleanup_close int fd = -1;

  if (chdir (cwd) == 0)
    return 0;
  if (errno != ENOENT)
    return cc_error_make (err, errno, "chdir `%s`", cwd);
  fd = cc_mkpath_in_root (rootfd, cwd, true, err);
  if (fd < 0)
    return -1;
  if (chdir (cwd) < 0)
    return cc_error_make (err, errno, "chdir `%s`", cwd);
  return 0;
}

static int
find_program (const struct cc_exec_target *t, char **env, char **path_out, cc_error_t *err)
{
  char *path = cc_exec_find (env, t->args[0]);

  if (path)
    {
      *path_out = path;
      return 0;
    }
  if (strchr (t->args[0], '/'))
    return cc_error_make (err, ENOENT, "exec: `%s` in the container", t->args[0]);
  return cc_error_make (err, ENOENT, "exec: `%s`: executable file not found in $PATH of the container (%s)", t->args[0],
                        env_get (env, "PATH"));
}

/* Without no_new_privs the filter must go in while CAP_SYS_ADMIN is
   still held; with it, as late as possible (crun does the same).  */
static int
apply_security (const struct cc_runtime_spec *s, bool privileged, const struct cc_user *u, cc_error_t *err)
{
  /* Privileged widens the capabilities only: the container's seccomp
     filter and no_new_privs stay, as for `docker exec --privileged`.  */
  struct cc_runtime_spec for_caps = *s;
  uint64_t caps;

  for_caps.privileged = s->privileged || privileged;
  if (cc_caps_compute (&for_caps, &caps, err) < 0)
    return -1;
  if (! s->no_new_privileges && cc_seccomp_apply (s, caps, err) < 0)
    return -1;
  if (cc_caps_apply (caps, u, err) < 0)
    return -1;
  if (s->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return cc_error_make (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  if (s->no_new_privileges && cc_seccomp_apply (s, caps, err) < 0)
    return -1;
  return 0;
}

int
cc_exec_prepare (const struct cc_exec_target *t, char **path_out, char ***env_out, cc_error_t *err)
{
  cleanup_close int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_strv char **env = NULL;
  cleanup_free char *path = NULL;
  struct cc_user u = { 0 };
  int ret;

  if (rootfd < 0)
    return cc_error_make (err, errno, "open /");
  if (cc_user_resolve (rootfd, t->user, t->spec->group_add, &u, err) < 0)
    return -1;
  env = build_env (t, &u);
  ret = enter_cwd (rootfd, t->cwd ? t->cwd : "/", err);
  if (ret == 0)
    ret = find_program (t, env, &path, err);
  if (ret == 0)
    ret = apply_security (t->spec, t->privileged, &u, err);
  cc_user_release (&u);
  if (ret < 0)
    return -1;
  *path_out = steal_pointer (&path);
  *env_out = steal_pointer (&env);
  return 0;
}

static int
exit_status (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

/* A session of its own, without a controlling terminal unless it is
   SLAVE (>= 0: a pty of the container's devpts, all of stdio): the
   caller's terminal takes TIOCSTI and job control signals from its
   session's processes (issue 12).  Stdio not given is the container's
   /dev/null (we are past its mount namespace), never the host's.  */
static void
setup_exec_stdio (const struct cc_exec_io *io, int slave)
{
  const int fds[3] = { io->in_fd, io->out_fd, io->err_fd };
  cleanup_close int null = -1;

  setsid ();
  if (slave >= 0)
    {
      cc_tty_become_stdio (slave);
      return;
    }
  for (int i = 0; i < 3; i++)
    {
      if (fds[i] < 0 && null < 0)
        null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      dup2 (fds[i] >= 0 ? fds[i] : null, i);
    }
}

static int
make_container_pty (int sock, int *slave, cc_error_t *err)
{
  cleanup_close int master = -1;

  if (cc_tty_open (&master, slave, err) < 0)
    return -1;
  return cc_fd_send (sock, 'p', master, err);
}

/* Why the program could not start goes to the process that waits for it
   (sync: failed); with nobody to read it, to the program's stderr.  No
   child prints where a parent can say it with context.  */
static void
report_failure (const struct cc_exec_io *io, cc_error_t *err)
{
  if (io->report_fd >= 0)
    cc_sync_send_error (io->report_fd, err);
  else
    cc_error_print (err);
}

/* The last process: already in every namespace.  */
static void __attribute__ ((noreturn))
exec_inner (const struct cc_runtime_spec *s, const struct cc_runtime_exec_opts *o, const struct cc_exec_io *io,
            int slave)
{
  cleanup_error cc_error_t err = NULL;
  char *path = NULL;
  char **env = NULL;
  struct cc_exec_target t = {
    .spec = s,
    .args = o->args,
    .extra_env = o->env,
    .user = o->user ? o->user : s->user,
    .cwd = o->cwd ? o->cwd : s->cwd,
    .privileged = o->privileged,
  };
  /* Our parent is outside the pid namespace: 0 here, until it dies and
     the container's init adopts us.  */
  pid_t parent = getppid ();

  cc_reset_signals ();
  setup_exec_stdio (io, slave);
  if (cc_exec_prepare (&t, &path, &env, &err) < 0)
    {
      /* sync: failed.  */
      report_failure (io, &err);
      /* Docker's exec: a program that cannot be started (not found
         either) is 126; only a shell says 127 (issue 15).  */
      _exit (126);
    }
  /* When the joining process goes (a healthcheck past its timeout, an
     interrupted exec), so does the program.  Set only now: switching
     the user clears it.  */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (137);
  /* Marked close-on-exec, not closed: the report descriptor is still
     there to say why an execve failed, and closes with a successful one.  */
  cc_close_extra_fds ();
  execve (path, o->args, env);
  cc_error_make (&err, errno, "exec `%s`", path);
  /* sync: failed.  */
  report_failure (io, &err);
  _exit (126);
}

/* The v1 hierarchies by the process itself (single-threaded: just
   cloned); the cgroup2 leaf only when clone3 could not place us there
   at birth (LEAF_FD >= 0).  internal.h says why.  A function of its own
   so the name is freed before the middle process ends in _exit, where
   no cleanup runs.  */
static int
enter_cgroup (const char *id, int leaf_fd, cc_error_t *err)
{
  cleanup_free char *cgname = cc_cgroup_path_of (id);

  if (cc_cgroup_ops_get ()->enter_self (cgname, err) < 0)
    return -1;
  return leaf_fd >= 0 ? cc_cgroup_enter_fd (leaf_fd, getpid (), err) : 0;
}

/* The middle process: joins the cgroups and namespaces, then forks so
   the process that runs is inside the pid namespace too.  */
static void __attribute__ ((noreturn))
exec_middle (const char *id, int leaf_fd, const struct cc_runtime_spec *s, pid_t target,
             const struct cc_runtime_exec_opts *o, const struct cc_exec_io *io)
{
  cleanup_error cc_error_t err = NULL;
  int status, slave = -1;
  pid_t pid;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* Until execve the process that enters the container runs the host's
     ccompose binary; non-dumpable, its /proc/PID/exe cannot be opened
     from inside (CVE-2019-5736).  execve makes the program dumpable.  */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* The container's ulimits bind what runs in it through exec too, as
     in Docker; set here, the process forked below inherits them.  */
  if (enter_cgroup (id, leaf_fd, &err) < 0 || cc_rlimit_apply (getpid (), s->rlimits, s->n_rlimits, &err) < 0
      || cc_ns_join (target, &err) < 0 || (io->pty_sock >= 0 && make_container_pty (io->pty_sock, &slave, &err) < 0))
    {
      if (io->report_fd < 0 && io->err_fd >= 0)
        dup2 (io->err_fd, 2);
      /* sync: failed.  */
      report_failure (io, &err);
      _exit (126);
    }
  pid = fork ();
  if (pid < 0)
    _exit (126);
  if (pid == 0)
    exec_inner (s, o, io, slave);
  /* Only the program holds its stdio now: its end of a pipe closes
     when it (and what it started) closes it, not when we exit.  */
  close_range (0, ~0U, 0);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      _exit (126);
  _exit (exit_status (status));
}

static int
open_leaf (const char *id, int *fd, cc_error_t *err)
{
  cleanup_free char *cgname = cc_cgroup_path_of (id);

  return cc_cgroup_ops_get ()->open_leaf (cgname, fd, err);
}

/* The middle process is born in the container's cgroup2 leaf.  */
int
cc_exec_spawn (const char *id, const struct cc_runtime_spec *s, pid_t target, const struct cc_runtime_exec_opts *o,
               const struct cc_exec_io *io, pid_t *pid_out, cc_error_t *err)
{
  cleanup_close int leaf_fd = -1;
  bool in_cgroup;
  pid_t pid;

  if (open_leaf (id, &leaf_fd, err) < 0)
    return -1;
  cc_seccomp_prepare (s);
  pid = cc_ns_clone_into (0, leaf_fd, &in_cgroup);
  if (pid < 0)
    return cc_error_make (err, errno, "fork");
  if (pid == 0)
    exec_middle (id, in_cgroup ? -1 : leaf_fd, s, target, o, io);
  *pid_out = pid;
  return 0;
}

/* Library entry point: the state names PID 1, the spec its settings.  */

static int
running_pid (const char *id, pid_t *pid, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL;
  const char *status;

  if (cc_runtime_state (id, &st, err) < 0)
    return -1;
  status = cc_json_get_string (st, "status");
  if (status == NULL || (strcmp (status, "running") != 0))
    return cc_error_make (err, EINVAL, "container `%s` is not running (%s)", id, status ? status : "unknown");
  *pid = (pid_t)cc_json_get_int (st, "pid", 0);
  return 0;
}

/* The exec'd process is gone, even if something it started still holds
   its pipes (the relay's check where there is no pidfd).  */
static bool
exec_gone (void *opaque)
{
  siginfo_t info = { 0 };

  /* waitid: waitpid refuses WNOWAIT (EINVAL), and the status must stay
     for wait_exit.  */
  return waitid (P_PID, (id_t) * (pid_t *)opaque, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0;
}

static int
wait_exit (pid_t pid, cc_error_t *err)
{
  int status;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return cc_error_make (err, errno, "waitpid");
  return exit_status (status);
}

/* The socket a program that cannot start reports through: ours in
   FDS[0], its end in FDS[1].  */
static int
open_report (int fds[2], cc_error_t *err)
{
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return cc_error_make (err, errno, "socketpair");
  return 0;
}

/* Its exit status, and in *ERR why it could not start, when it could not
   (sync: failed).  */
static int
wait_and_report (pid_t pid, int report_fd, cc_error_t *err)
{
  int code = wait_exit (pid, err);

  if (code >= 0)
    cc_sync_read_report (report_fd, err);
  return code;
}

/* One pipe per stream: the program's ends in CHILD (its stdin, stdout,
   stderr), ours in OURS.  */
struct exec_pipes
{
  int child[3], ours[3];
};

static void
exec_pipes_close (struct exec_pipes *p)
{
  for (int i = 0; i < 3; i++)
    {
      if (p->child[i] >= 0)
        close (p->child[i]);
      if (p->ours[i] >= 0)
        close (p->ours[i]);
    }
}
#define cleanup_exec_pipes __attribute__ ((cleanup (exec_pipes_close)))

/* A caller started with stdio closed would have a pipe land on fd 0, 1
   or 2, where the relay reads and writes the caller's.  */
static void
fill_closed_stdio (void)
{
  for (int fd = 0; fd < 3; fd++)
    if (fcntl (fd, F_GETFD) < 0 && errno == EBADF && open ("/dev/null", O_RDWR) < 0)
      return;
}

/* WANTED[i]: a pipe for stream i.  Ours are non-blocking: the relay
   never waits on the program, only on the caller.  */
static int
make_pipes (struct exec_pipes *p, const bool wanted[3], cc_error_t *err)
{
  fill_closed_stdio ();
  for (int i = 0; i < 3; i++)
    {
      int fds[2];
      if (! wanted[i])
        continue;
      if (pipe2 (fds, O_CLOEXEC) < 0)
        return cc_error_make (err, errno, "pipe");
      /* stdin: the program reads; stdout, stderr: it writes.  */
      p->child[i] = fds[i == 0 ? 0 : 1];
      p->ours[i] = fds[i == 0 ? 1 : 0];
      fcntl (p->ours[i], F_SETFL, O_NONBLOCK);
    }
  return 0;
}

/* Copies until the process PID is gone and what it left in its pipes is
   out; a reader of ours that went away (EPIPE) ends only its stream.  */
static void
relay (struct cc_relay *r, pid_t pid)
{
  struct sigaction ignore = { .sa_handler = SIG_IGN }, saved;
  cleanup_close int pidfd = (int)syscall (SYS_pidfd_open, pid, 0);

  sigaction (SIGPIPE, &ignore, &saved);
  cc_relay_run (r, pidfd, exec_gone, &pid);
  sigaction (SIGPIPE, &saved, NULL);
}

/* The program's ends are its alone once it started.  */
static void
close_child_ends (struct exec_pipes *p)
{
  for (int i = 0; i < 3; i++)
    if (p->child[i] >= 0)
      close (get_and_reset (&p->child[i]));
}

static int
exec_with_pipes (const char *id, const struct cc_runtime_spec *s, pid_t target, const struct cc_runtime_exec_opts *o,
                 cc_error_t *err)
{
  cleanup_exec_pipes struct exec_pipes p = { { -1, -1, -1 }, { -1, -1, -1 } };
  cleanup_free struct cc_relay *r = xmalloc (sizeof (*r));
  cleanup_close int report = -1, child_report = -1;
  struct cc_exec_io io;
  int sv[2];
  pid_t pid;

  if (make_pipes (&p, (const bool[3]){ true, true, true }, err) < 0 || open_report (sv, err) < 0)
    return -1;
  report = sv[0];
  child_report = sv[1];
  io = (struct cc_exec_io){ p.child[0], p.child[1], p.child[2], -1, child_report };
  if (cc_exec_spawn (id, s, target, o, &io, &pid, err) < 0)
    return -1;
  close (get_and_reset (&child_report));
  close_child_ends (&p);
  cc_relay_init (r, &cc_relay_sys_ops);
  cc_relay_add (r, CC_RELAY_STDIN, STDIN_FILENO, false, get_and_reset (&p.ours[0]), true);
  cc_relay_add (r, CC_RELAY_STDOUT, get_and_reset (&p.ours[1]), true, STDOUT_FILENO, false);
  cc_relay_add (r, CC_RELAY_STDERR, get_and_reset (&p.ours[2]), true, STDERR_FILENO, false);
  relay (r, pid);
  return wait_and_report (pid, report, err);
}

/* A hook's output: the program's pipes relayed into a memfd of ours
   (never handed to the program), read back once it exited.  Sealed at
   64 KiB: past it the writes fail and the relay drops the stream, so a
   chatty program cannot fill our memory.  */
#define MAX_OUTPUT (64 * 1024)

static int
open_output (int *fd, cc_error_t *err)
{
  cleanup_close int mem = memfd_create ("ccompose-exec-output", MFD_CLOEXEC | MFD_ALLOW_SEALING);

  if (mem < 0)
    return cc_error_make (err, errno, "memfd_create");
  if (ftruncate (mem, MAX_OUTPUT) < 0 || fcntl (mem, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
    return cc_error_make (err, errno, "seal the exec's output file");
  *fd = get_and_reset (&mem);
  return 0;
}

static char *
read_output (int fd)
{
  off_t len = lseek (fd, 0, SEEK_CUR);
  char *buf = xmalloc (MAX_OUTPUT + 1);
  ssize_t n = len > 0 ? pread (fd, buf, (size_t)len, 0) : 0;

  buf[n > 0 ? n : 0] = '\0';
  return buf;
}

static int
exec_collecting (const char *id, const struct cc_runtime_spec *s, pid_t target, const struct cc_runtime_exec_opts *o,
                 cc_error_t *err)
{
  cleanup_exec_pipes struct exec_pipes p = { { -1, -1, -1 }, { -1, -1, -1 } };
  cleanup_free struct cc_relay *r = xmalloc (sizeof (*r));
  cleanup_close int report = -1, child_report = -1, mem = -1;
  struct cc_exec_io io;
  int sv[2], code;
  pid_t pid;

  if (open_output (&mem, err) < 0 || make_pipes (&p, (const bool[3]){ false, true, true }, err) < 0
      || open_report (sv, err) < 0)
    return -1;
  report = sv[0];
  child_report = sv[1];
  io = (struct cc_exec_io){ -1, p.child[1], p.child[2], -1, child_report };
  if (cc_exec_spawn (id, s, target, o, &io, &pid, err) < 0)
    return -1;
  close (get_and_reset (&child_report));
  close_child_ends (&p);
  cc_relay_init (r, &cc_relay_sys_ops);
  cc_relay_add (r, CC_RELAY_STDOUT, get_and_reset (&p.ours[1]), true, mem, false);
  cc_relay_add (r, CC_RELAY_STDERR, get_and_reset (&p.ours[2]), true, mem, false);
  relay (r, pid);
  code = wait_and_report (pid, report, err);
  *o->output = read_output (mem);
  return code;
}

/* The program gets a pty of the container's devpts, its master comes to
   us over a socket; why it could not start, over another.  */
static int
exec_with_tty (const char *id, const struct cc_runtime_spec *s, pid_t target, const struct cc_runtime_exec_opts *o,
               cc_error_t *err)
{
  cleanup_exec_pipes struct exec_pipes p = { { -1, -1, -1 }, { -1, -1, -1 } };
  cleanup_free struct cc_relay *r = xmalloc (sizeof (*r));
  cleanup_close int master = -1, parent_sock = -1, child_sock = -1, report = -1, child_report = -1;
  struct cc_exec_io io;
  int sv[2], rv[2];
  pid_t pid;
  char tag;

  if (make_pipes (&p, (const bool[3]){ false, false, true }, err) < 0 || open_report (rv, err) < 0)
    return -1;
  report = rv[0];
  child_report = rv[1];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return cc_error_make (err, errno, "socketpair");
  parent_sock = sv[0];
  child_sock = sv[1];
  io = (struct cc_exec_io){ -1, -1, p.child[2], child_sock, child_report };
  if (cc_exec_spawn (id, s, target, o, &io, &pid, err) < 0)
    return -1;
  close (get_and_reset (&child_sock));
  close (get_and_reset (&child_report));
  close_child_ends (&p);
  /* Until the terminal closes: output the program wrote just before it
     exited may still be on its way through the pty when the exit is
     seen.  No master: the process failed before it had a terminal; its
     error comes through the pipe, its status below.  */
  if (cc_fd_receive (parent_sock, &tag, &master) == 0 && master >= 0)
    cc_tty_relay (master, master, NULL);
  cc_relay_init (r, &cc_relay_sys_ops);
  cc_relay_add (r, CC_RELAY_STDERR, get_and_reset (&p.ours[2]), true, STDERR_FILENO, false);
  relay (r, pid);
  return wait_and_report (pid, report, err);
}

/* `exec -d`: nobody reads the program's output.  */
static int
exec_detached (const char *id, const struct cc_runtime_spec *s, pid_t target, const struct cc_runtime_exec_opts *o,
               cc_error_t *err)
{
  cleanup_close int report = -1, child_report = -1;
  struct cc_exec_io io;
  int sv[2];
  pid_t pid;

  if (open_report (sv, err) < 0)
    return -1;
  report = sv[0];
  child_report = sv[1];
  io = (struct cc_exec_io){ -1, -1, -1, -1, child_report };
  if (cc_exec_spawn (id, s, target, o, &io, &pid, err) < 0)
    return -1;
  close (get_and_reset (&child_report));
  return wait_and_report (pid, report, err);
}

int
cc_runtime_exec (const char *id, const struct cc_runtime_exec_opts *o, cc_error_t *err)
{
  cleanup_runtime_spec struct cc_runtime_spec *s = NULL;
  cleanup_free char *spec_path = NULL;
  pid_t target = 0;

  if (cc_runtime_check_id (id, err) < 0 || running_pid (id, &target, err) < 0)
    return -1;
  if (o->args == NULL || o->args[0] == NULL)
    return cc_error_make (err, EINVAL, "exec needs a command");
  spec_path = cc_paths_container_spec (id);
  if (cc_runtime_spec_load (spec_path, &s, err) < 0)
    return -1;
  if (o->detach)
    return exec_detached (id, s, target, o, err);
  if (o->output)
    return exec_collecting (id, s, target, o, err);
  if (o->tty)
    return exec_with_tty (id, s, target, o, err);
  return exec_with_pipes (id, s, target, o, err);
}
