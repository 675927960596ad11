/* One container process: cloned by the monitor into its namespaces and
   taken to the point right before execve.

   monitor                                  container child
   clone3(NEWPID|NEWNS|NEWUTS|NEWIPC[|NEWNET]
          |INTO_CGROUP: the cgroup2 leaf)   joins its v1 cgroups itself
   rlimits, oom_score_adj (and the
   cgroup2 leaf if clone3 could not)
   sync 1 ----------------------------------> unshare(NEWCGROUP), netns, sysctls,
                                              mounts + pivot_root, hostname,
                                              user, caps, seccomp
   sync 2 <---------------------------------- ready (or {errno, message})
   (create returns; `start` opens exec.fifo)  wait on exec.fifo
   sync 3 <---------------------------------- started; stdin or a terminal
                                              from `run`'s caller if asked
                                              (runtime/attach.c); execve: the
                                              socket closes on exec, or carries
                                              {errno, message} if it failed
   EOF without "started" means the process died before it was started.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/proc.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

struct child_args
{
  const char *id;
  const char *cgname;
  const struct cc_runtime_spec *spec;
  int sync_fd;
  int netns_fd;
  int stdout_fd, stderr_fd;
  int attach_fd; /* -1, or the caller of `run` (runtime/attach.c) */
  int stdin_fd;  /* -1, or the read end of the monitor's stdin pipe */
  bool start_now;
  const struct cc_ns_shares *shares;
};

/* The host's /dev/null holds the place of stdin until the container's
   own exists (null_stdin): open files must not land on fd 0 meanwhile.  */
static int
setup_stdio (const struct child_args *a, cc_error_t *err)
{
  cleanup_close int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  if (null < 0)
    return cc_error_make (err, errno, "open /dev/null");
  if (dup2 (null, 0) < 0 || dup2 (a->stdout_fd, 1) < 0 || dup2 (a->stderr_fd, 2) < 0)
    return cc_error_make (err, errno, "dup2 stdio");
  return 0;
}

/* The container's own /dev/null (runtime/dev.c), once it is our root:
   the host's would be a descriptor of the host in the container, and
   its root (CAP_FOWNER) could chmod the host's node through
   /proc/1/fd/0 (issue 12).  */
static int
null_stdin (cc_error_t *err)
{
  cleanup_close int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  if (null < 0)
    return cc_error_make (err, errno, "open /dev/null in the container");
  if (dup2 (null, 0) < 0)
    return cc_error_make (err, errno, "dup2 stdin");
  return 0;
}

static int
join_network (const struct child_args *a, cc_error_t *err)
{
  if (a->netns_fd < 0)
    return cc_ns_loopback_up (err);
  if (setns (a->netns_fd, CLONE_NEWNET) < 0)
    return cc_error_make (err, errno, "join network namespace");
  return 0;
}

/* ipc and uts of another container: joined before /dev/mqueue is
   mounted (it belongs to the IPC namespace of whoever mounts it).  */
static int
join_shared (const struct cc_ns_shares *sh, cc_error_t *err)
{
  if (sh->ipc_fd >= 0 && setns (sh->ipc_fd, CLONE_NEWIPC) < 0)
    return cc_error_make (err, errno, "join the shared ipc namespace");
  if (sh->uts_fd >= 0 && setns (sh->uts_fd, CLONE_NEWUTS) < 0)
    return cc_error_make (err, errno, "join the shared uts namespace");
  return 0;
}

/* A shared UTS namespace keeps its owner's names: `uts: host` must
   never rename the host (Docker refuses a hostname with it).  */
static int
set_names (const struct cc_runtime_spec *s, cc_error_t *err)
{
  if (cc_ns_mode_kind (s->uts_mode) != CC_NS_OWN)
    return 0;
  if (s->hostname && sethostname (s->hostname, strlen (s->hostname)) < 0)
    return cc_error_make (err, errno, "sethostname `%s`", s->hostname);
  if (s->domainname && setdomainname (s->domainname, strlen (s->domainname)) < 0)
    return cc_error_make (err, errno, "setdomainname `%s`", s->domainname);
  return 0;
}

/* The args of PID 1: the embedded init in front when asked for.  */
static char **
process_args (const struct cc_runtime_spec *s)
{
  char **args = NULL;

  if (s->init)
    {
      cc_strv_append (&args, "/dev/init");
      cc_strv_append (&args, "--");
    }
  for (char **a = s->args; *a; a++)
    cc_strv_append (&args, *a);
  return args;
}

/* Everything up to sync 2; the returned fd is the exec fifo (O_PATH,
   opened before the host's filesystem went away), or -1.  */
static int
child_setup (const struct child_args *a, char **args, char **path, char ***env, int *fifo_fd, cc_error_t *err)
{
  const struct cc_runtime_spec *s = a->spec;
  cleanup_free char *root = cc_runtime_file (a->id, "rootfs");
  cleanup_free char *init = cc_runtime_file (a->id, "init");
  cleanup_free char *fifo = cc_runtime_file (a->id, "exec.fifo");
  struct cc_mount_ctx mctx = {
    .spec = s, .root = root, .init_path = s->init ? init : NULL, .cgname = a->cgname, .shm_tree = a->shares->shm_tree
  };
  struct cc_exec_target t = { .spec = s, .args = args, .user = s->user, .cwd = s->cwd };

  if (! s->cgroupns_host && unshare (CLONE_NEWCGROUP) < 0)
    return cc_error_make (err, errno, "unshare the cgroup namespace");
  if (join_shared (a->shares, err) < 0 || join_network (a, err) < 0 || cc_sysctl_apply (s, err) < 0)
    return -1;
  if (! a->start_now)
    {
      *fifo_fd = open (fifo, O_PATH | O_CLOEXEC);
      if (*fifo_fd < 0)
        return cc_error_make (err, errno, "open `%s`", fifo);
    }
  if (cc_mount_rootfs (&mctx, err) < 0 || null_stdin (err) < 0 || set_names (s, err) < 0)
    return -1;
  return cc_exec_prepare (&t, path, env, err);
}

/* Blocks until `start` opens the fifo for reading.  */
static int
wait_for_start (int fifo_fd, cc_error_t *err)
{
  char self[64];
  cleanup_close int fd = -1;

  if (fifo_fd < 0)
    return 0;
  snprintf (self, sizeof (self), "/proc/self/fd/%d", fifo_fd);
  fd = open (self, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return cc_error_make (err, errno, "open the exec fifo");
  if (write (fd, "0", 1) != 1)
    return cc_error_make (err, errno, "write the exec fifo");
  return 0;
}

static int
compare_ints (const void *x, const void *y)
{
  return *(const int *)x - *(const int *)y;
}

/* The monitor's other fds (its status pipe above all: the caller reads
   it to EOF) must not live on in the container.  */
static void
close_other_fds (const struct child_args *a)
{
  int keep[] = { a->sync_fd,  a->netns_fd,       a->stdout_fd,      a->stderr_fd,       a->attach_fd,
                 a->stdin_fd, a->shares->ipc_fd, a->shares->uts_fd, a->shares->shm_tree };
  unsigned int from = 3;

  qsort (keep, CC_N_ELEMENTS (keep), sizeof (int), compare_ints);
  for (size_t i = 0; i < CC_N_ELEMENTS (keep); i++)
    {
      if (keep[i] < (int)from)
        continue;
      if ((unsigned int)keep[i] > from)
        close_range (from, (unsigned int)keep[i] - 1, 0);
      from = (unsigned int)keep[i] + 1;
    }
  close_range (from, ~0U, 0);
}

/* `run`'s caller first (its -t or -T wins over the service's keys, as
   in Docker Compose); else the service's tty or kept stdin.  */
static int
attach_stdio (const struct child_args *a, cc_error_t *err)
{
  int taken = cc_attach_stdio (a->attach_fd, a->sync_fd, err);

  if (taken != 0)
    return taken;
  if (a->spec->terminal)
    return cc_attach_own_tty (a->sync_fd, err);
  if (a->stdin_fd >= 0 && dup2 (a->stdin_fd, 0) < 0)
    return cc_error_make (err, errno, "dup2 stdin");
  return 0;
}

static void __attribute__ ((noreturn)) child_main (const struct child_args *a)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *path = NULL;
  cleanup_strv char **env = NULL;
  cleanup_strv char **args = process_args (a->spec);
  cleanup_close int fifo_fd = -1;
  /* First of all, while single-threaded (the one thread is the whole
     process) and before the cgroup namespace is unshared.  A failure
     waits for sync 1 and is the answer of sync 2: sending it earlier and
     exiting would fail the parent's send of sync 1 instead.  */
  int joined = cc_cgroup_ops_get ()->enter_self (a->cgname, &err);

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* Host binary until execve: keep /proc/1/exe closed to the container.  */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  cc_reset_signals ();
  close_other_fds (a);
  setsid ();
  umask (0);
  /* sync 1: cgroups and limits in place.  */
  if (cc_sync_wait (a->sync_fd, joined < 0 ? NULL : &err) < 0)
    _exit (1);
  if (joined < 0 || setup_stdio (a, &err) < 0 || child_setup (a, args, &path, &env, &fifo_fd, &err) < 0)
    {
      /* sync 2: ready to exec.  */
      cc_sync_send_error (a->sync_fd, &err);
      _exit (127);
    }
  /* sync 2: ready to exec.  */
  cc_sync_send_ok (a->sync_fd);
  if (wait_for_start (fifo_fd, &err) < 0)
    {
      cc_sync_send_error (a->sync_fd, &err);
      _exit (127);
    }
  /* sync 3: started (the socket then closes at execve, or carries the
     exec's failure).  */
  cc_sync_send_ok (a->sync_fd);
  /* Only now: the caller of `run` takes its end once the start is
     confirmed, so start never waits on it.  */
  if (attach_stdio (a, &err) < 0)
    {
      cc_sync_send_error (a->sync_fd, &err);
      _exit (127);
    }
  umask (022);
  cc_close_extra_fds ();
  execve (path, args, env);
  /* sync 3: the exec failed.  */
  cc_error_make (&err, errno, "exec `%s`", path);
  cc_sync_send_error (a->sync_fd, &err);
  _exit (127);
}

static unsigned long
clone_flags (int netns_fd, const struct cc_ns_shares *sh)
{
  unsigned long flags = CLONE_NEWNS | sh->unshare;

  return netns_fd < 0 ? flags | CLONE_NEWNET : flags;
}

/* A pid namespace cannot be entered by the process itself, only by its
   next child (setns(2)): the monitor points its children at the shared
   one for the clone, then back at its own.  */
static int
clone_container (unsigned long flags, int leaf_fd, const struct cc_ns_shares *sh, bool *in_cgroup, pid_t *pid,
                 cc_error_t *err)
{
  cleanup_close int own = -1;

  if (sh->pid_fd >= 0)
    {
      own = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      if (own < 0)
        return cc_error_make (err, errno, "open /proc/self/ns/pid");
      if (setns (sh->pid_fd, CLONE_NEWPID) < 0)
        return cc_error_make (err, errno, "join the shared pid namespace");
    }
  *pid = cc_ns_clone_into (flags, leaf_fd, in_cgroup);
  if (*pid < 0)
    cc_error_make (err, errno, "clone the container process");
  /* The child has what it needs: the monitor's later children (exec
     helpers, probes) start from its own namespace again.  */
  if (*pid != 0 && own >= 0 && setns (own, CLONE_NEWPID) < 0)
    return cc_error_make (err, errno, "return to the monitor's pid namespace");
  return *pid < 0 ? -1 : 0;
}

/* Children inherit the monitor's lowered oom_score_adj; a container
   must be the first thing the OOM killer considers, not the last: the
   spec's value (Docker's 0 by default).  Only a value the service asked
   for is an error: going below the process's current score needs
   CAP_SYS_RESOURCE (proc(5)).  */
static int
set_oom_score (pid_t pid, int64_t adj, cc_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/oom_score_adj", (int)pid);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  char value[32];
  int len = snprintf (value, sizeof (value), "%lld", (long long)adj);

  if (fd >= 0 && write (fd, value, (size_t)len) == len)
    return 0;
  if (adj == 0)
    {
      cc_debug ("reset oom_score_adj of %d: %m", (int)pid);
      return 0;
    }
  return cc_error_make (err, errno, "oom_score_adj: write `%s` to `%s`%s", value, path,
                        errno == EACCES ? " (a score below the current one needs CAP_SYS_RESOURCE)" : "");
}

/* LEAF_FD >= 0: the child was born outside its cgroup2 leaf (clone3
   could not place it) and is moved the slow way.  */
static int
parent_setup (const struct cc_runtime_spec *s, pid_t pid, int leaf_fd, cc_error_t *err)
{
  if (leaf_fd >= 0 && cc_cgroup_enter_fd (leaf_fd, pid, err) < 0)
    return -1;
  if (cc_rlimit_apply (pid, s->rlimits, s->n_rlimits, err) < 0)
    return -1;
  return set_oom_score (pid, s->oom_score_adj, err);
}

int
cc_container_spawn (const char *id, const struct cc_runtime_spec *s, int netns_fd, int attach_fd, bool start_now,
                    struct cc_container *c, cc_error_t *err)
{
  int sv[2], out[2], errp[2], in[2];
  cleanup_close int parent_fd = -1, child_fd = -1, out_r = -1, out_w = -1, err_r = -1, err_w = -1;
  cleanup_close int in_r = -1, in_w = -1;
  cleanup_close int leaf_fd = -1;
  cleanup_free char *cgname = cc_cgroup_path (s->cgroup_parent, id);
  cleanup_ns_shares struct cc_ns_shares shares = { .pid_fd = -1, .ipc_fd = -1, .uts_fd = -1, .shm_tree = -1 };
  bool in_cgroup;
  /* Killed and reaped on any failure below, until the start completed.  */
  cleanup_pid pid_t pid = -1;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return cc_error_make (err, errno, "socketpair");
  parent_fd = sv[0];
  child_fd = sv[1];
  if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0)
    return cc_error_make (err, errno, "pipe");
  out_r = out[0], out_w = out[1], err_r = errp[0], err_w = errp[1];
  /* A pipe, as stdout's: `attach` writes into it through the monitor,
     and it stays open while nobody is attached, as Docker's.  */
  if (s->stdin_open && ! s->terminal)
    {
      if (pipe2 (in, O_CLOEXEC) < 0)
        return cc_error_make (err, errno, "pipe");
      in_r = in[0], in_w = in[1];
    }
  if (cc_cgroup_ops_get ()->open_leaf (cgname, &leaf_fd, err) < 0 || cc_ns_shares_open (s, &shares, err) < 0)
    return -1;
  if (clone_container (clone_flags (netns_fd, &shares), leaf_fd, &shares, &in_cgroup, &pid, err) < 0)
    return -1;
  if (pid == 0)
    {
      struct child_args a = { id, cgname, s, child_fd, netns_fd, out_w, err_w, attach_fd, in_r, start_now, &shares };
      close (parent_fd);
      child_main (&a);
    }
  /* Only the child may hold its end: were the parent to keep it, a child
     that dies before sync 2 would never show as EOF and the wait below
     would hang forever.  */
  close (get_and_reset (&child_fd));
  if (parent_setup (s, pid, in_cgroup ? -1 : leaf_fd, err) < 0)
    return -1;
  /* sync 1: cgroups and limits in place.  */
  /* sync 2: ready to exec.  */
  if (cc_sync_send_ok (parent_fd) < 0 || cc_sync_wait (parent_fd, err) < 0)
    return -1;
  c->pid = get_and_reset (&pid);
  c->sync_fd = get_and_reset (&parent_fd);
  c->out_fd = get_and_reset (&out_r);
  c->err_fd = get_and_reset (&err_r);
  c->in_fd = get_and_reset (&in_w);
  return 0;
}
