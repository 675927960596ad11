/* Namespaces: clone, setns, and the parent/child sync channel.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/openat2.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/proc.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"
#include "runtime/runtime.h"

/* clone without a new stack behaves like fork, with namespace flags: the
   child continues here, as crun's syscall_clone does.  */
pid_t
cc_ns_clone (unsigned long flags)
{
  return (pid_t)syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/* Kernels before 5.3 have no clone3 (ENOSYS); before 5.7 its args end
   before the cgroup field (E2BIG) or it rejects the flag (EINVAL).  */
static bool
cannot_clone_into_cgroup (int error)
{
  return error == ENOSYS || error == E2BIG || error == EINVAL;
}

/* glibc has no clone3 wrapper; without a stack it returns in the child
   like fork, as cc_ns_clone does.  */
pid_t
cc_ns_clone_into (unsigned long flags, int cgroup_fd, bool *in_cgroup)
{
  static bool unsupported;
  struct clone_args args = {
    .flags = flags | CLONE_INTO_CGROUP,
    .exit_signal = SIGCHLD,
    .cgroup = (uint64_t)cgroup_fd,
  };
  pid_t pid;

  *in_cgroup = false;
  if (cgroup_fd >= 0 && ! unsupported)
    {
      pid = (pid_t)syscall (SYS_clone3, &args, sizeof (args));
      if (pid >= 0)
        {
          *in_cgroup = true;
          return pid;
        }
      if (! cannot_clone_into_cgroup (errno))
        return -1;
      unsupported = true;
    }
  return cc_ns_clone (flags);
}

int
cc_sync_send_ok (int fd)
{
  struct cc_sync_msg m = { .type = CC_SYNC_OK };

  return send (fd, &m, offsetof (struct cc_sync_msg, text) + 1, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int
cc_sync_send_error (int fd, cc_error_t *err)
{
  struct cc_sync_msg m = { .type = CC_SYNC_ERROR };
  size_t len;

  m.status = err && *err ? (*err)->status : 0;
  snprintf (m.text, sizeof (m.text), "%s", err && *err ? (*err)->msg : "unknown error");
  len = strlen (m.text);
  return send (fd, &m, offsetof (struct cc_sync_msg, text) + len + 1, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int
cc_sync_wait (int fd, cc_error_t *err)
{
  struct cc_sync_msg m;
  ssize_t n;

  do
    n = recv (fd, &m, sizeof (m) - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return cc_error_make (err, errno, "read sync socket");
  if (n == 0)
    return cc_error_make (err, EPIPE, "the container process exited during setup");
  if ((size_t)n <= offsetof (struct cc_sync_msg, text))
    return cc_error_make (err, EPROTO, "short sync message");
  ((char *)&m)[n] = '\0';
  if (m.type == CC_SYNC_OK)
    return 0;
  return cc_error_make (err, m.status, "%s", m.text);
}

int
cc_sync_read_report (int fd, cc_error_t *err)
{
  struct cc_sync_msg m;
  ssize_t n;

  do
    n = recv (fd, &m, sizeof (m) - 1, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n <= (ssize_t)offsetof (struct cc_sync_msg, text) || m.type != CC_SYNC_ERROR)
    return 0;
  ((char *)&m)[n] = '\0';
  return cc_error_make (err, m.status, "%s", m.text);
}

/* The monitor blocks and ignores signals it handles itself; execve
   keeps both the mask and ignored dispositions, so a container would
   start deaf to SIGTERM.  */
void
cc_reset_signals (void)
{
  sigset_t none;

  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

/* Nothing but stdio crosses into the container's program: a caller's
   descriptor of a host directory would be a way out (CVE-2024-21626).
   Marked close-on-exec, so what the last steps still use stays valid.  */
void
cc_close_extra_fds (void)
{
  if (close_range (3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return;
  for (int fd = 3; fd < 65536; fd++)
    fcntl (fd, F_SETFD, FD_CLOEXEC);
}

/* Order matters: the user namespace is never joined (we do not create
   one), the mount namespace last because it changes our root.  */
static const struct
{
  const char *name;
  int type;
} join_order[] = {
  { "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
  { "net", CLONE_NEWNET },       { "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS },
};

int
cc_ns_join (pid_t pid, cc_error_t *err)
{
  int fds[CC_N_ELEMENTS (join_order)];
  int ret = 0;

  /* Open every handle while /proc is still the host's.  */
  for (size_t i = 0; i < CC_N_ELEMENTS (join_order); i++)
    {
      cleanup_free char *path = xasprintf ("/proc/%d/ns/%s", (int)pid, join_order[i].name);
      fds[i] = open (path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        {
          ret = cc_error_make (err, errno, "open `%s`", path);
          for (size_t k = 0; k < i; k++)
            close (fds[k]);
          return ret;
        }
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (join_order); i++)
    {
      if (ret == 0 && setns (fds[i], join_order[i].type) < 0)
        ret = cc_error_make (err, errno, "setns %s namespace of pid %d", join_order[i].name, (int)pid);
      close (fds[i]);
    }
  return ret;
}

/* A new network namespace has lo down; crun brings it up too, since
   programs expect 127.0.0.1 to work.  */
int
cc_ns_loopback_up (cc_error_t *err)
{
  cleanup_close int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = { 0 };

  if (s < 0)
    return cc_error_make (err, errno, "socket");
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
    return cc_error_make (err, errno, "SIOCGIFFLAGS lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl (s, SIOCSIFFLAGS, &ifr) < 0)
    return cc_error_make (err, errno, "bring lo up");
  return 0;
}

/* The process of container ID, which must exist (created or running):
   its namespaces are what a sharer joins.  */
static int
container_process (const char *id, pid_t *pid, cc_error_t *err)
{
  cleanup_cjson cJSON *st = NULL;
  const char *status;
  uint64_t start;

  if (cc_runtime_state (id, &st, err) < 0)
    return -1;
  status = cc_json_get_string (st, "status");
  *pid = (pid_t)cc_json_get_int (st, "pid", 0);
  start = (uint64_t)cc_json_get_int (st, "pid_start", 0);
  if (status == NULL || strcmp (status, "exited") == 0 || *pid <= 0 || ! cc_proc_is_alive (*pid, start))
    return cc_error_make (err, ESRCH, "container `%s` is not running", id);
  return 0;
}

static int
open_shared (const char *mode, const char *ns, int *fd, cc_error_t *err)
{
  cleanup_free char *path = NULL;
  pid_t pid;

  if (container_process (mode + 10, &pid, err) < 0)
    return cc_error_wrap (err, "join the %s namespace of `%s`", ns, mode + 10);
  path = xasprintf ("/proc/%d/ns/%s", (int)pid, ns);
  *fd = open (path, O_RDONLY | O_CLOEXEC);
  if (*fd < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  return 0;
}

/* The /dev/shm of the calling process's mount namespace, never through
   a symlink, a tmpfs, cloned detached in *TREE: that mount alone (no
   AT_RECURSIVE), so nothing mounted below it comes along.  0 or an
   errno.  */
static int
clone_own_shm (int *tree)
{
  cleanup_close int shm = -1;
  struct statfs st;
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };

  if ((shm = (int)syscall (SYS_openat2, AT_FDCWD, "/dev/shm", &how, sizeof (how))) < 0)
    return errno;
  if (fstatfs (shm, &st) < 0 || st.f_type != TMPFS_MAGIC)
    return ENOTSUP;
  if ((*tree = open_tree (shm, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)) < 0)
    return errno;
  return 0;
}

/* In a helper that joined the donor's mount namespace: its /dev/shm,
   never through a symlink the donor planted, cloned and sent back.  */
static int __attribute__ ((noreturn)) clone_shm_in (int mnt_fd, int sock)
{
  cleanup_close int tree = -1;
  int e = 0;

  if (setns (mnt_fd, CLONE_NEWNS) < 0)
    e = errno;
  else
    e = clone_own_shm (&tree);
  if (e == 0 && cc_fd_send (sock, 'm', tree, NULL) < 0)
    e = errno;
  _exit (e);
}

/* `ipc: host`: Docker binds the host's /dev/shm too, where POSIX shared
   memory lives.  Without setuid files or devices, whatever the host's
   mount allows; private, as a clone of a shared mount would otherwise
   be its peer and bring the host's later mounts below it.  */
static int
clone_host_shm (int *tree, cc_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, .propagation = MS_PRIVATE };
  int e = clone_own_shm (tree);

  if (e != 0)
    return cc_error_make (err, e, "clone the host's /dev/shm mount");
  if (mount_setattr (*tree, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
    {
      e = errno;
      close (get_and_reset (tree));
      return cc_error_make (err, e, "make the host's /dev/shm nosuid,nodev");
    }
  return 0;
}

/* Docker's shareable IPC: POSIX shared memory lives in /dev/shm, not in
   the IPC namespace, so a sharer mounts the donor's /dev/shm too.  A
   mount of another mount namespace cannot be cloned from here
   (open_tree: EINVAL), hence the helper.  */
static int
clone_donor_shm (const char *id, int *tree, cc_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int mnt_fd = -1;
  int sv[2], status = 0;
  char tag = 0;
  pid_t pid, helper;

  if (container_process (id, &pid, err) < 0)
    return cc_error_wrap (err, "share the /dev/shm of `%s`", id);
  path = xasprintf ("/proc/%d/ns/mnt", (int)pid);
  mnt_fd = open (path, O_RDONLY | O_CLOEXEC);
  if (mnt_fd < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return cc_error_make (err, errno, "socketpair");
  cleanup_close int mine = sv[0], theirs = sv[1];
  helper = fork ();
  if (helper < 0)
    return cc_error_make (err, errno, "fork");
  if (helper == 0)
    clone_shm_in (mnt_fd, theirs);
  close (get_and_reset (&theirs));
  if (cc_fd_receive (mine, &tag, tree) < 0)
    *tree = -1;
  while (waitpid (helper, &status, 0) < 0 && errno == EINTR)
    ;
  if (*tree >= 0)
    return 0;
  return cc_error_make (err, WIFEXITED (status) && WEXITSTATUS (status) ? WEXITSTATUS (status) : EIO,
                        "clone the /dev/shm mount of `%s`", id);
}

int
cc_ns_shares_open (const struct cc_runtime_spec *s, struct cc_ns_shares *sh, cc_error_t *err)
{
  const struct
  {
    const char *mode, *ns;
    unsigned long flag;
    int *fd;
  } shares[] = {
    { s->pid_mode, "pid", CLONE_NEWPID, &sh->pid_fd },
    { s->ipc_mode, "ipc", CLONE_NEWIPC, &sh->ipc_fd },
    { s->uts_mode, "uts", CLONE_NEWUTS, &sh->uts_fd },
  };

  *sh = (struct cc_ns_shares){ .pid_fd = -1, .ipc_fd = -1, .uts_fd = -1, .shm_tree = -1 };
  for (size_t i = 0; i < CC_N_ELEMENTS (shares); i++)
    switch (cc_ns_mode_kind (shares[i].mode))
      {
      case CC_NS_OWN:
        sh->unshare |= shares[i].flag;
        break;
      case CC_NS_CONTAINER:
        if (open_shared (shares[i].mode, shares[i].ns, shares[i].fd, err) < 0)
          {
            cc_ns_shares_close (sh);
            return -1;
          }
        break;
      default:
        break;
      }
  int ipc = cc_ns_mode_kind (s->ipc_mode);
  if ((ipc == CC_NS_CONTAINER && clone_donor_shm (s->ipc_mode + 10, &sh->shm_tree, err) < 0)
      || (ipc == CC_NS_HOST && clone_host_shm (&sh->shm_tree, err) < 0))
    {
      cc_ns_shares_close (sh);
      return -1;
    }
  return 0;
}

void
cc_ns_shares_close (struct cc_ns_shares *sh)
{
  int *fds[] = { &sh->pid_fd, &sh->ipc_fd, &sh->uts_fd, &sh->shm_tree };

  for (size_t i = 0; i < CC_N_ELEMENTS (fds); i++)
    if (*fds[i] >= 0)
      close (get_and_reset (fds[i]));
}
