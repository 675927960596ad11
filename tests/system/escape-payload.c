/* Escape attempts from inside a container, one per table entry: each
   tries something a default container must not be able to do and prints
   one line, `blocked NAME: reason` or `ESCAPED NAME: what happened`.
   Nothing here changes the host even when it succeeds: writes are only
   opens for writing, links are the container's own, mounts are in its own
   namespace.

   Usage: escape-payload all|NAME... [--host-file PATH] [--host-pid PID]
                                      [--block MAJ:MIN] [--monitor-comm NAME]
                                      [--inject TEXT] [--report PATH]
                                      [--ro-root PATH] [--localnet-port PORT]...
   --report writes the lines to PATH (made in the container) instead of
   stdout, for a process whose stdout nobody reads (`exec -d`).
   Exit status: the number of attempts that escaped.  */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/reboot.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct args
{
  const char *host_file; /* a file that exists only on the host */
  long host_pid;         /* a process outside the container */
  dev_t block;           /* the host's root block device */
  const char *monitor_comm;
  const char *inject;               /* what tiocsti pushes into a terminal's input */
  const char *ro_root;              /* a read-only bind of a host tree with submounts */
  unsigned short localnet_ports[8]; /* loopback ports of the host to probe */
  size_t n_localnet;
};

static struct args A = { .host_file = "/nonexistent-host-file",
                         .host_pid = 1,
                         .monitor_comm = "ccompose-mon",
                         .inject = "#ccompose-escape-tiocsti",
                         .ro_root = "/host" };
static FILE *report;

/* Outcome of one attempt: 0 blocked (errno kept), 1 escaped.  */
static char detail[512];

static int
blocked_if (int ret)
{
  if (ret < 0)
    {
      snprintf (detail, sizeof (detail), "%s", strerror (errno));
      return 0;
    }
  snprintf (detail, sizeof (detail), "succeeded");
  return 1;
}

static int
try_mount (void)
{
  mkdir ("/tmp/escape-mnt", 0700);
  int r = mount ("escape", "/tmp/escape-mnt", "tmpfs", 0, "size=64k");
  if (r == 0)
    umount2 ("/tmp/escape-mnt", MNT_DETACH);
  return blocked_if (r);
}

static int
try_umount (void)
{
  /* /proc/kcore is masked by a bind of /dev/null: unmounting it would
     expose the host's memory image.  */
  return blocked_if (umount2 ("/proc/kcore", MNT_DETACH));
}

static int refused (long r);

/* Refused by seccomp even with CAP_SYS_ADMIN, as in Docker: any answer
   but EPERM came from the kernel's own checks.  */
static int
try_pivot_root (void)
{
  mkdir ("/tmp/escape-old", 0700);
  return refused (syscall (SYS_pivot_root, "/", "/tmp/escape-old"));
}

static int
try_module (void)
{
  int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  int r = (int)syscall (SYS_finit_module, fd, "", 0);
  if (r < 0 && errno != EPERM)
    r = (int)syscall (SYS_init_module, NULL, 0, "");
  close (fd);
  /* Without a module image, only EPERM proves the call was refused.  */
  if (r < 0 && errno != EPERM)
    {
      snprintf (detail, sizeof (detail), "reached the kernel loader (%s)", strerror (errno));
      return 1;
    }
  return blocked_if (r);
}

static int
try_kexec (void)
{
  int r = (int)syscall (SYS_kexec_load, 0UL, 0UL, NULL, 0UL);
  if (r < 0 && errno != EPERM)
    {
      snprintf (detail, sizeof (detail), "reached kexec (%s)", strerror (errno));
      return 1;
    }
  return blocked_if (r);
}

static int
try_reboot (void)
{
  /* CAD_OFF only changes what ctrl-alt-del does; the permission check
     comes first.  */
  return blocked_if (
      (int)syscall (SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, NULL));
}

static bool
comm_is (const char *pid, const char *name)
{
  char path[300], comm[64] = "";
  FILE *f;

  snprintf (path, sizeof (path), "/proc/%s/comm", pid);
  if ((f = fopen (path, "re")) == NULL)
    return false;
  if (fgets (comm, sizeof (comm), f))
    comm[strcspn (comm, "\n")] = '\0';
  fclose (f);
  return strcmp (comm, name) == 0;
}

static int
try_host_processes (void)
{
  DIR *d = opendir ("/proc");
  struct dirent *de;
  int count = 0, monitor = 0;

  if (d == NULL)
    return blocked_if (-1);
  while ((de = readdir (d)) != NULL)
    if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
      {
        count++;
        monitor += comm_is (de->d_name, A.monitor_comm);
      }
  closedir (d);
  snprintf (detail, sizeof (detail), "%d processes visible%s", count, monitor ? ", the monitor among them" : "");
  return count > 4 || monitor > 0;
}

static int
try_host_file (void)
{
  int fd = open (A.host_file, O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    close (fd);
  return blocked_if (fd);
}

static int
try_open_write (const char *path)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0)
    close (fd);
  return blocked_if (fd);
}

static int
try_proc_sys (void)
{
  return try_open_write ("/proc/sys/vm/swappiness");
}

static int
try_sysrq (void)
{
  return try_open_write ("/proc/sysrq-trigger");
}

/* The first of these the kernel has: each is root-writable on the host.  */
static int
try_sys (void)
{
  static const char *const files[] = { "/sys/kernel/uevent_helper", "/sys/kernel/mm/transparent_hugepage/enabled",
                                       "/sys/kernel/profiling", "/sys/power/state" };
  for (size_t i = 0; i < sizeof (files) / sizeof (files[0]); i++)
    if (access (files[i], F_OK) == 0)
      return try_open_write (files[i]);
  return try_open_write (files[0]);
}

static int
try_cgroup_write (void)
{
  int r = mkdir ("/sys/fs/cgroup/escape", 0755);
  if (r == 0)
    rmdir ("/sys/fs/cgroup/escape");
  return blocked_if (r);
}

/* Taking the container's own loopback down needs CAP_NET_ADMIN, as does
   any change to links, routes or iptables.  */
static int
try_link (void)
{
  struct ifreq ifr = { 0 };
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

  if (s < 0)
    return blocked_if (-1);
  snprintf (ifr.ifr_name, IFNAMSIZ, "lo");
  r = ioctl (s, SIOCGIFFLAGS, &ifr);
  if (r == 0)
    r = ioctl (s, SIOCSIFFLAGS, &ifr); /* the same flags: a no-op when allowed */
  close (s);
  return blocked_if (r);
}

static int
try_iptables (void)
{
  /* IPT_SO_SET_REPLACE (64) checks CAP_NET_ADMIN before it reads the
     (here empty) table: EPERM is refused, anything else got through.  */
  char junk[64] = { 0 };
  int s = socket (AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW), r;

  if (s < 0)
    return blocked_if (-1);
  r = setsockopt (s, SOL_IP, 64, junk, sizeof (junk));
  close (s);
  if (r < 0 && errno != EPERM)
    {
      snprintf (detail, sizeof (detail), "reached the iptables table parser (%s)", strerror (errno));
      return 1;
    }
  return blocked_if (r);
}

static int
try_userns (void)
{
  pid_t pid = fork ();
  int status;

  if (pid == 0)
    _exit (unshare (CLONE_NEWUSER) == 0 ? 0 : errno);
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return blocked_if (-1);
  errno = WIFEXITED (status) ? WEXITSTATUS (status) : EINTR;
  return blocked_if (errno == 0 ? 0 : -1);
}

static int
try_ptrace (void)
{
  long r = ptrace (PTRACE_ATTACH, (pid_t)A.host_pid, NULL, NULL);
  if (r == 0)
    ptrace (PTRACE_DETACH, (pid_t)A.host_pid, NULL, NULL);
  return blocked_if ((int)r);
}

static int
try_block_device (void)
{
  int fd, r;

  unlink ("/tmp/escape-disk");
  r = mknod ("/tmp/escape-disk", S_IFBLK | 0600, A.block);
  /* mknod itself is allowed (CAP_MKNOD, as in Docker); the device cgroup
     must refuse the open.  */
  fd = open (r == 0 ? "/tmp/escape-disk" : "/dev/sda", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    close (fd);
  unlink ("/tmp/escape-disk");
  return blocked_if (fd);
}

/* The classic chroot escape: chroot into a subdirectory, walk up past it,
   chroot to where that lands.  After pivot_root the old root is gone, so
   the walk stops at the container's own root.  */
static int
try_chroot (void)
{
  pid_t pid = fork ();
  int status;

  if (pid == 0)
    {
      mkdir ("/tmp/escape-chroot", 0700);
      if (chroot ("/tmp/escape-chroot") < 0)
        _exit (errno);
      for (int i = 0; i < 64; i++)
        if (chdir ("..") < 0)
          _exit (errno);
      if (chroot (".") < 0)
        _exit (errno);
      _exit (access (A.host_file, F_OK) == 0 ? 0 : ENOENT);
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return blocked_if (-1);
  errno = WIFEXITED (status) ? WEXITSTATUS (status) : EINTR;
  return blocked_if (errno == 0 ? 0 : -1);
}

static int
try_open_by_handle (void)
{
  struct
  {
    unsigned int bytes;
    int type;
    unsigned char f[8];
  } h = { 8, 1, { 0 } };
  int fd = (int)syscall (SYS_open_by_handle_at, AT_FDCWD, &h, O_RDONLY);
  if (fd >= 0)
    close (fd);
  if (fd < 0 && errno != EPERM)
    {
      snprintf (detail, sizeof (detail), "reached the handle lookup (%s)", strerror (errno));
      return 1;
    }
  return blocked_if (fd);
}

/* File descriptors a container starts with beyond stdio: a directory or
   file of the host left open by the runtime is a way out
   (CVE-2024-21626).  */
static int
try_leaked_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *de;
  int leaked = 0;

  if (d == NULL)
    return blocked_if (-1);
  detail[0] = '\0';
  while ((de = readdir (d)) != NULL)
    {
      char path[300], target[256] = "";
      int fd = atoi (de->d_name);

      if (de->d_name[0] == '.' || fd <= 2 || fd == dirfd (d))
        continue;
      snprintf (path, sizeof (path), "/proc/self/fd/%s", de->d_name);
      if (readlink (path, target, sizeof (target) - 1) < 0)
        continue;
      leaked++;
      snprintf (detail + strlen (detail), sizeof (detail) - strlen (detail), "fd %d -> %s; ", fd, target);
    }
  closedir (d);
  if (! leaked)
    snprintf (detail, sizeof (detail), "only stdio open");
  return leaked > 0;
}

/* The process's stdio (issue 12): only pipes whose other end ccompose
   relays, the container's own /dev/null, or a pty of the container's
   devpts.  A descriptor of the caller's (its terminal, a file its shell
   redirected to) would let the container type into the host's shell or
   read and change a host file.  */
static bool
same_inode (const struct stat *a, const char *path)
{
  struct stat b;

  return stat (path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

static bool
on_container_devpts (const struct stat *st)
{
  struct stat ptmx;

  return S_ISCHR (st->st_mode) && stat ("/dev/pts/ptmx", &ptmx) == 0 && st->st_dev == ptmx.st_dev;
}

/* Appends what FD is to DETAIL; false when the host's.  */
static bool
stdio_is_ours (int fd)
{
  char path[64], target[256] = "";
  struct stat st;
  bool ours;

  snprintf (path, sizeof (path), "/proc/self/fd/%d", fd);
  if (fstat (fd, &st) < 0)
    {
      snprintf (detail + strlen (detail), sizeof (detail) - strlen (detail), "fd %d closed; ", fd);
      return true;
    }
  if (readlink (path, target, sizeof (target) - 1) < 0)
    snprintf (target, sizeof (target), "?");
  ours = S_ISFIFO (st.st_mode) || same_inode (&st, "/dev/null") || on_container_devpts (&st);
  snprintf (detail + strlen (detail), sizeof (detail) - strlen (detail), "fd %d -> %s%s; ", fd, target,
            ours ? "" : " (not a pipe, the container's /dev/null or its pty)");
  return ours;
}

static int
try_stdio (void)
{
  int escaped = 0;

  detail[0] = '\0';
  for (int fd = 0; fd < 3; fd++)
    escaped |= ! stdio_is_ours (fd);
  return escaped;
}

/* A regular file as stdio (`exec ... >> /root/log`): its earlier
   content through /proc/self/fd/N, its mode and owner (set to what they
   are: the permission is the point, the file stays as it was).  */
static int
try_stdio_file (void)
{
  int escaped = 0;

  detail[0] = '\0';
  for (int fd = 0; fd < 3; fd++)
    {
      char path[64], buf[64];
      struct stat st;
      int rfd;

      if (fstat (fd, &st) < 0 || ! S_ISREG (st.st_mode))
        continue;
      snprintf (path, sizeof (path), "/proc/self/fd/%d", fd);
      rfd = open (path, O_RDONLY | O_CLOEXEC);
      ssize_t n = rfd >= 0 ? pread (rfd, buf, sizeof (buf), 0) : -1;
      if (rfd >= 0)
        close (rfd);
      bool chmod_ok = chmod (path, st.st_mode & 07777) == 0;
      bool chown_ok = chown (path, st.st_uid, st.st_gid) == 0;
      snprintf (detail + strlen (detail), sizeof (detail) - strlen (detail),
                "fd %d is a file: read %zd bytes of its content, chmod %s, chown %s; ", fd, n,
                chmod_ok ? "allowed" : "refused", chown_ok ? "allowed" : "refused");
      escaped |= n > 0 || chmod_ok || chown_ok;
    }
  if (detail[0] == '\0')
    snprintf (detail, sizeof (detail), "no stdio is a file");
  return escaped;
}

/* tty_nr of /proc/self/stat: 0 without a controlling terminal.  */
static long
controlling_tty (void)
{
  char buf[1024];
  int fd = open ("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read (fd, buf, sizeof (buf) - 1) : -1;
  long tty = -1;
  char *p;

  if (fd >= 0)
    close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  p = strrchr (buf, ')');
  if (p == NULL || sscanf (p + 2, "%*c %*d %*d %*d %ld", &tty) != 1)
    return -1;
  return tty;
}

/* A session led by a process outside the container (getsid gives 0:
   the leader has no pid here) shares the caller's terminal and job
   control; its own session, with no terminal or one of the container's,
   does not.  */
static int
try_session (void)
{
  pid_t sid = getsid (0);
  long tty = controlling_tty ();
  int fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  pid_t tty_sid = -1;

  if (fd >= 0)
    {
      if (ioctl (fd, TIOCGSID, &tty_sid) < 0)
        tty_sid = -1;
      close (fd);
    }
  if (tty == 0)
    snprintf (detail, sizeof (detail), "session %d of pid %d, no controlling terminal", (int)sid, (int)getpid ());
  else
    snprintf (detail, sizeof (detail), "session %d of pid %d, controlling terminal %ld:%ld of session %d", (int)sid,
              (int)getpid (), (long)major ((dev_t)tty), (long)minor ((dev_t)tty), (int)tty_sid);
  return sid == 0 || (fd >= 0 && tty_sid == 0);
}

/* Characters pushed into the input of a terminal on stdio or the
   controlling one: when that terminal is the caller's, its shell reads
   them as typed once the command returns (the kernel allows it where
   dev.tty.legacy_tiocsti is 1, as on kernels before 6.2).  */
static bool
push_input (int fd, const char *name)
{
  bool pushed = true;

  for (const char *c = A.inject; *c && pushed; c++)
    pushed = ioctl (fd, TIOCSTI, c) == 0;
  if (pushed)
    pushed = ioctl (fd, TIOCSTI, "\n") == 0;
  snprintf (detail + strlen (detail), sizeof (detail) - strlen (detail), "%s: %s; ", name,
            pushed ? "pushed" : strerror (errno));
  return pushed;
}

static int
try_tiocsti (void)
{
  static const char *const names[] = { "fd 0", "fd 1", "fd 2" };
  int escaped = 0, tty;

  detail[0] = '\0';
  for (int fd = 0; fd < 3; fd++)
    escaped |= push_input (fd, names[fd]);
  tty = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty < 0)
    snprintf (detail + strlen (detail), sizeof (detail) - strlen (detail), "/dev/tty: %s", strerror (errno));
  else
    {
      escaped |= push_input (tty, "/dev/tty");
      close (tty);
    }
  return escaped;
}

/* CVE-2019-5736: while a runtime process joins the container (exec), its
   /proc/PID/exe is the host's binary.  Watch for new processes for
   EXE_RACE_SECONDS and try to open their executable; the test runs
   `exec` meanwhile.  */
#define EXE_RACE_SECONDS 5

static bool
exe_is_foreign (const char *pid)
{
  char path[300];
  struct stat self, other;
  int fd;

  snprintf (path, sizeof (path), "/proc/%s/exe", pid);
  if ((fd = open (path, O_RDONLY | O_CLOEXEC)) < 0)
    return false;
  /* Executables of the container itself are fine: compare with files
     the container can name.  */
  bool foreign = fstat (fd, &other) == 0 && ! (stat ("/escape", &self) == 0 && self.st_ino == other.st_ino)
                 && ! (stat ("/payload", &self) == 0 && self.st_ino == other.st_ino)
                 && ! (stat ("/bin/busybox", &self) == 0 && self.st_ino == other.st_ino);
  if (foreign)
    snprintf (detail, sizeof (detail), "opened the executable of pid %s (inode %lu), not a file of the container", pid,
              (unsigned long)other.st_ino);
  close (fd);
  return foreign;
}

static int
try_exe_race (void)
{
  time_t end = time (NULL) + EXE_RACE_SECONDS;
  char self[16];

  snprintf (self, sizeof (self), "%d", (int)getpid ());
  snprintf (detail, sizeof (detail), "no foreign executable opened in %d s", EXE_RACE_SECONDS);
  printf ("watching\n");
  while (time (NULL) < end)
    {
      DIR *d = opendir ("/proc");
      struct dirent *de;

      while (d && (de = readdir (d)) != NULL)
        if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && strcmp (de->d_name, self) != 0
            && strcmp (de->d_name, "1") != 0 && exe_is_foreign (de->d_name))
          {
            closedir (d);
            return 1;
          }
      if (d)
        closedir (d);
    }
  return 0;
}

/* ---- calls the default seccomp profile refuses, as Docker's does ---------- */

/* runtime/seccomp.c answers EPERM, Docker's default errno: any other
   outcome, even an error, means the call reached the kernel.  */
static int
refused (long r)
{
  if (r < 0 && errno == EPERM)
    return blocked_if (-1);
  if (r < 0)
    snprintf (detail, sizeof (detail), "reached the kernel (%s)", strerror (errno));
  else
    snprintf (detail, sizeof (detail), "succeeded (%ld)", r);
  return 1;
}

/* Turning address space randomisation off makes the next exec
   predictable (Docker allows only the personas 0, 8, 0x20000, 0x20008
   and the query 0xffffffff).  */
static int
try_personality (void)
{
  long old = syscall (SYS_personality, 0x0040000UL /* ADDR_NO_RANDOMIZE */);
  int escaped = refused (old);
  if (escaped && old >= 0)
    syscall (SYS_personality, (unsigned long)old);
  return escaped;
}

/* One family twice: as the int the kernel reads, and with garbage in
   the upper half of the register, which the kernel drops.  */
static int
try_socket_family (int family, int type)
{
  long r = syscall (SYS_socket, family, type | SOCK_CLOEXEC, 0);
  if (r >= 0)
    close ((int)r);
  if (refused (r))
    return 1;
  r = syscall (SYS_socket, (1UL << 32) | (unsigned long)family, type | SOCK_CLOEXEC, 0);
  if (r >= 0)
    close ((int)r);
  if (refused (r))
    {
      snprintf (detail + strlen (detail), sizeof (detail) - strlen (detail), " with the upper bits set");
      return 1;
    }
  return 0;
}

/* AF_VSOCK reaches the hypervisor's host, outside every namespace.  */
static int
try_vsock (void)
{
  return try_socket_family (40 /* AF_VSOCK */, SOCK_STREAM);
}

/* AF_ALG: the kernel crypto API, a large attack surface.  */
static int
try_af_alg (void)
{
  return try_socket_family (38 /* AF_ALG */, SOCK_SEQPACKET);
}

/* NUMA memory policy: without CAP_SYS_NICE in Docker.  */
static char page[1 << 16] __attribute__ ((aligned (1 << 12)));

static int
try_mbind (void)
{
  return refused (syscall (SYS_mbind, page, 4096UL, 0 /* MPOL_DEFAULT */, NULL, 0UL, 0U));
}

static int
try_set_mempolicy (void)
{
  return refused (syscall (SYS_set_mempolicy, 0 /* MPOL_DEFAULT */, NULL, 0UL));
}

static int
try_get_mempolicy (void)
{
  int mode;
  return refused (syscall (SYS_get_mempolicy, &mode, NULL, 0UL, NULL, 0UL));
}

static int
try_mempolicy_home_node (void)
{
  return refused (syscall (450 /* set_mempolicy_home_node */, page, 4096UL, 0UL, 0UL));
}

/* Moving pages between nodes: never, even with CAP_SYS_NICE.  */
static int
try_move_pages (void)
{
  return refused (syscall (SYS_move_pages, 0, 0UL, NULL, NULL, NULL, 0));
}

static int
try_migrate_pages (void)
{
  unsigned long nodes = 1;
  return refused (syscall (SYS_migrate_pages, 0, 8UL * sizeof (nodes), &nodes, &nodes));
}

/* A user-mode userfaultfd needs no privilege, and stalls the kernel on
   a page fault at a moment of the caller's choosing (Docker: never).  */
static int
try_userfaultfd (void)
{
  long fd = syscall (SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */);
  if (fd >= 0)
    close ((int)fd);
  return refused (fd);
}

static int
try_pidfd_getfd (void)
{
  long pidfd = syscall (SYS_pidfd_open, getpid (), 0), fd;
  if (pidfd < 0)
    return refused (pidfd);
  fd = syscall (SYS_pidfd_getfd, pidfd, 1, 0);
  if (fd >= 0)
    close ((int)fd);
  close ((int)pidfd);
  return refused (fd);
}

static int
try_process_madvise (void)
{
  struct iovec iov = { page, 4096 };
  long pidfd = syscall (SYS_pidfd_open, getpid (), 0), r;
  if (pidfd < 0)
    return refused (pidfd);
  r = syscall (SYS_process_madvise, pidfd, &iov, 1UL, 20 /* MADV_COLD */, 0U);
  close ((int)pidfd);
  return refused (r);
}

static int
try_quotactl_fd (void)
{
  int fd = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fmt;
  long r = syscall (SYS_quotactl_fd, fd, 0x800004U /* QCMD (Q_GETFMT, USRQUOTA) */, 0, &fmt);
  close (fd);
  return refused (r);
}

/* Calls newer than libseccomp knows by name (Linux 6.8, 6.15), by the
   number every architecture gives them.  */
static int
try_lsm_attr (void)
{
  unsigned long long ids[32];
  unsigned int size = sizeof (ids);
  return refused (syscall (461 /* lsm_list_modules */, ids, &size, 0U));
}

static int
try_open_tree_attr (void)
{
  long fd = syscall (467 /* open_tree_attr */, AT_FDCWD, "/", 0U, NULL, 0UL);
  if (fd >= 0)
    close ((int)fd);
  return refused (fd);
}

/* Obsolete or never implemented: no reason to reach the kernel.  */
static const long obsolete_calls[] = { 156 /* _sysctl */, 183 /* afs_syscall */, 181 /* getpmsg */,
                                       182 /* putpmsg */, 185 /* security */,    139 /* sysfs */,
                                       184 /* tuxcall */, 136 /* ustat */,       236 /* vserver */ };

static int
try_obsolete_calls (void)
{
  for (size_t i = 0; i < sizeof (obsolete_calls) / sizeof (obsolete_calls[0]); i++)
    {
      unsigned long buf[8] = { 0 };
      /* sysfs (3) counts filesystem types; ustat reads into buf.  */
      long r = syscall (obsolete_calls[i], obsolete_calls[i] == 139 ? 3UL : 0UL, buf, 0UL);
      if (refused (r))
        {
          snprintf (detail + strlen (detail), sizeof (detail) - strlen (detail), ": syscall %ld", obsolete_calls[i]);
          return 1;
        }
    }
  return 0;
}

/* A 64-bit process can still make i386 calls through int 0x80, which
   seccomp sees under the i386 architecture: the old calls Docker's
   profile leaves out there.  */
#ifdef __x86_64__
static long
i386_call (long nr, long a, long b)
{
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b) : "memory");
  if (r < 0 && r > -4096)
    {
      errno = (int)-r;
      return -1;
    }
  return r;
}

static const long i386_legacy[]
    = { 48 /* signal */, 34 /* nice */, 68 /* sgetmask */, 17 /* break */, 112 /* idle */, 58 /* ulimit */ };

static int
try_i386_legacy (void)
{
  /* signal (SIGURG, SIG_DFL) and nice (0) change nothing.  */
  static const long first[] = { 23, 0, 0, 0, 0, 0 };
  for (size_t i = 0; i < sizeof (i386_legacy) / sizeof (i386_legacy[0]); i++)
    if (refused (i386_call (i386_legacy[i], first[i], 0)))
      {
        snprintf (detail + strlen (detail), sizeof (detail) - strlen (detail), ": i386 call %ld", i386_legacy[i]);
        return 1;
      }
  return 0;
}
#else
static int
try_i386_legacy (void)
{
  snprintf (detail, sizeof (detail), "not an x86-64 machine");
  return 0;
}
#endif

/* Docker refuses swapon even with CAP_SYS_ADMIN.  */
static int
try_swapon (void)
{
  return refused (syscall (SYS_swapon, "/nonexistent-swap", 0));
}

/* A read-only bind of a host tree must be read-only in every mount below
   it too: the host's /dev/shm, /proc/sys or cgroup files under
   `/:/host:ro` would otherwise be writable.  Each mount at or below
   ro_root must carry the read-only flag and refuse a new file.  */
static int
try_ro_submount (const char *mnt)
{
  char probe[4200];
  struct statvfs sv;
  int fd;

  if (statvfs (mnt, &sv) < 0)
    return blocked_if (-1);
  snprintf (probe, sizeof (probe), "%s/.escape-probe", mnt);
  fd = open (probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      close (fd);
      unlink (probe);
    }
  if (! (sv.f_flag & ST_RDONLY) || fd >= 0)
    {
      snprintf (detail, sizeof (detail), "%.200s is writable%s", mnt, fd >= 0 ? " (created a file)" : "");
      return 1;
    }
  return 0;
}

static int
try_ro_bind (void)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  size_t root_len = strlen (A.ro_root);
  char line[4096], mnt[4096];
  int count = 0;

  if (f == NULL)
    return blocked_if (-1);
  while (fgets (line, sizeof (line), f))
    if (sscanf (line, "%*s %*s %*s %*s %4095s", mnt) == 1 && strncmp (mnt, A.ro_root, root_len) == 0
        && (mnt[root_len] == '\0' || mnt[root_len] == '/'))
      {
        count++;
        if (try_ro_submount (mnt))
          {
            fclose (f);
            return 1;
          }
      }
  fclose (f);
  if (count == 0)
    return blocked_if (-1);
  snprintf (detail, sizeof (detail), "%d mounts at or below %s, all read-only", count, A.ro_root);
  return 0;
}

/* CVE-2020-8558: a host that routes 127.0.0.0/8 arriving on a bridge
   (route_localnet) lets a container reach the host's loopback.  A TCP SYN
   to 127.0.0.1 in a frame addressed to the gateway's MAC reaches services
   bound to 127.0.0.1 only, and ports other projects publish on 127.0.0.1.
   It needs only CAP_NET_RAW, which a default container has.  Any TCP
   answer (SYN-ACK or RST) means the host's stack took the packet.  */
#define LOCALNET_WAIT_MS 2000

struct link_info
{
  char ifname[IFNAMSIZ];
  int ifindex;
  struct in_addr self, gateway;
  unsigned char mac[ETH_ALEN], gw_mac[ETH_ALEN];
};

/* The interface and gateway of the default route.  */
static bool
default_route (struct link_info *l)
{
  FILE *f = fopen ("/proc/net/route", "re");
  char line[256];
  bool found = false;

  if (f == NULL)
    return false;
  while (! found && fgets (line, sizeof (line), f))
    {
      char ifname[IFNAMSIZ];
      unsigned dest, gw;

      /* The kernel prints the addresses' bytes as one hex word in host
         order: scanning them back gives the bytes as they were.  */
      if (sscanf (line, "%15s %x %x", ifname, &dest, &gw) == 3 && dest == 0 && gw != 0)
        {
          snprintf (l->ifname, sizeof (l->ifname), "%s", ifname);
          l->gateway.s_addr = gw;
          found = true;
        }
    }
  fclose (f);
  return found;
}

static bool
link_addresses (struct link_info *l)
{
  struct ifreq ifr = { 0 };
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  bool ok;

  if (s < 0)
    return false;
  snprintf (ifr.ifr_name, IFNAMSIZ, "%s", l->ifname);
  ok = ioctl (s, SIOCGIFADDR, &ifr) == 0;
  if (ok)
    memcpy (&l->self, &((struct sockaddr_in *)(void *)&ifr.ifr_addr)->sin_addr, sizeof (l->self));
  ok = ok && ioctl (s, SIOCGIFHWADDR, &ifr) == 0;
  if (ok)
    memcpy (l->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
  close (s);
  l->ifindex = (int)if_nametoindex (l->ifname);
  return ok && l->ifindex > 0;
}

static bool
arp_lookup (struct in_addr ip, unsigned char mac[ETH_ALEN])
{
  FILE *f = fopen ("/proc/net/arp", "re");
  char line[256], want[INET_ADDRSTRLEN];
  bool found = false;

  if (f == NULL)
    return false;
  inet_ntop (AF_INET, &ip, want, sizeof (want));
  while (! found && fgets (line, sizeof (line), f))
    {
      char addr[64], hw[64];
      unsigned flags, m[ETH_ALEN];

      /* ATF_COM (2): the entry is complete.  */
      if (sscanf (line, "%63s %*s %x %63s", addr, &flags, hw) != 3 || strcmp (addr, want) != 0 || ! (flags & 2)
          || sscanf (hw, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != ETH_ALEN)
        continue;
      for (int i = 0; i < ETH_ALEN; i++)
        mac[i] = (unsigned char)m[i];
      found = true;
    }
  fclose (f);
  return found;
}

/* A datagram to the gateway has the kernel resolve its MAC.  */
static bool
gateway_mac (struct link_info *l)
{
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (9), .sin_addr = l->gateway };
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (s >= 0)
    {
      (void)! sendto (s, "", 0, 0, (struct sockaddr *)&to, sizeof (to));
      close (s);
    }
  for (int i = 0; i < 200; i++)
    {
      if (arp_lookup (l->gateway, l->gw_mac))
        return true;
      usleep (10000);
    }
  return false;
}

static uint16_t
inet_checksum (const unsigned char *p, size_t len)
{
  uint32_t sum = 0;

  for (; len > 1; p += 2, len -= 2)
    sum += (uint32_t)(p[0] << 8 | p[1]);
  if (len)
    sum += (uint32_t)p[0] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return htons ((uint16_t)~sum);
}

#define SYN_FRAME_LEN (sizeof (struct ether_header) + sizeof (struct iphdr) + sizeof (struct tcphdr))

/* Ethernet to the gateway, IPv4 from our address to 127.0.0.1, TCP SYN.  */
static void
build_syn (const struct link_info *l, uint16_t sport, uint16_t dport, unsigned char frame[SYN_FRAME_LEN])
{
  struct ether_header eth = { .ether_type = htons (ETHERTYPE_IP) };
  struct iphdr ip = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_TCP };
  struct tcphdr tcp = { .source = htons (sport), .dest = htons (dport), .doff = 5, .syn = 1 };
  unsigned char pseudo[12 + sizeof (tcp)];

  memcpy (eth.ether_dhost, l->gw_mac, ETH_ALEN);
  memcpy (eth.ether_shost, l->mac, ETH_ALEN);
  ip.tot_len = htons (sizeof (ip) + sizeof (tcp));
  ip.id = htons (sport);
  ip.saddr = l->self.s_addr;
  ip.daddr = htonl (INADDR_LOOPBACK);
  ip.check = inet_checksum ((const unsigned char *)&ip, sizeof (ip));
  tcp.seq = htonl (0x63630000u | sport);
  tcp.window = htons (64240);
  /* The checksum covers a pseudo header: addresses, zero, protocol, length.  */
  memcpy (pseudo, &ip.saddr, 4);
  memcpy (pseudo + 4, &ip.daddr, 4);
  pseudo[8] = 0;
  pseudo[9] = IPPROTO_TCP;
  pseudo[10] = 0;
  pseudo[11] = sizeof (tcp);
  memcpy (pseudo + 12, &tcp, sizeof (tcp));
  tcp.check = inet_checksum (pseudo, sizeof (pseudo));
  memcpy (frame, &eth, sizeof (eth));
  memcpy (frame + sizeof (eth), &ip, sizeof (ip));
  memcpy (frame + sizeof (eth) + sizeof (ip), &tcp, sizeof (tcp));
}

static long
ms_since (const struct timespec *t0)
{
  struct timespec now;

  clock_gettime (CLOCK_MONOTONIC, &now);
  return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* What came back from DPORT to SPORT within LOCALNET_WAIT_MS, or NULL.  */
static const char *
await_answer (int s, const struct link_info *l, uint16_t sport, uint16_t dport)
{
  struct timespec t0;
  struct pollfd p = { .fd = s, .events = POLLIN };
  long left;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  while ((left = LOCALNET_WAIT_MS - ms_since (&t0)) > 0 && poll (&p, 1, (int)left) > 0)
    {
      unsigned char buf[2048];
      struct sockaddr_ll from;
      socklen_t fl = sizeof (from);
      ssize_t n = recvfrom (s, buf, sizeof (buf), 0, (struct sockaddr *)&from, &fl);
      struct iphdr ip;
      struct tcphdr tcp;

      if (n < (ssize_t)SYN_FRAME_LEN || from.sll_pkttype == PACKET_OUTGOING)
        continue;
      memcpy (&ip, buf + sizeof (struct ether_header), sizeof (ip));
      if (ip.protocol != IPPROTO_TCP || ip.daddr != l->self.s_addr
          || sizeof (struct ether_header) + ip.ihl * 4u + sizeof (tcp) > (size_t)n)
        continue;
      memcpy (&tcp, buf + sizeof (struct ether_header) + ip.ihl * 4u, sizeof (tcp));
      if (ntohs (tcp.source) == dport && ntohs (tcp.dest) == sport)
        return tcp.rst ? "RST" : tcp.syn && tcp.ack ? "SYN-ACK" : "a TCP segment";
    }
  return NULL;
}

static int
try_localnet (void)
{
  struct link_info l = { 0 };
  struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons (ETH_P_IP), .sll_halen = ETH_ALEN };
  int s, escaped = 0;

  if (A.n_localnet == 0 || ! default_route (&l) || ! link_addresses (&l) || ! gateway_mac (&l))
    {
      snprintf (detail, sizeof (detail), "cannot probe: no port given, or no default route or gateway");
      return 0;
    }
  s = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons (ETH_P_IP));
  if (s < 0)
    return blocked_if (-1);
  to.sll_ifindex = l.ifindex;
  memcpy (to.sll_addr, l.gw_mac, ETH_ALEN);
  if (bind (s, (struct sockaddr *)&to, sizeof (to)) < 0)
    {
      close (s);
      return blocked_if (-1);
    }
  detail[0] = '\0';
  for (size_t i = 0; i < A.n_localnet; i++)
    {
      uint16_t sport = (uint16_t)(40000 + (getpid () * 16 + (int)i) % 20000), dport = A.localnet_ports[i];
      unsigned char frame[SYN_FRAME_LEN];
      const char *answer;

      build_syn (&l, sport, dport, frame);
      if (sendto (s, frame, sizeof (frame), 0, (struct sockaddr *)&to, sizeof (to)) < 0)
        {
          snprintf (detail + strlen (detail), sizeof (detail) - strlen (detail), "send to 127.0.0.1:%u: %s; ", dport,
                    strerror (errno));
          continue;
        }
      answer = await_answer (s, &l, sport, dport);
      escaped |= answer != NULL;
      snprintf (detail + strlen (detail), sizeof (detail) - strlen (detail), "127.0.0.1:%u %s%s; ", dport,
                answer ? "answered with " : "no answer", answer ? answer : "");
    }
  close (s);
  return escaped;
}

static const struct attempt
{
  const char *name;
  int (*fn) (void);
} attempts[] = {
  { "mount", try_mount },
  { "umount", try_umount },
  { "pivot_root", try_pivot_root },
  { "module", try_module },
  { "kexec", try_kexec },
  { "reboot", try_reboot },
  { "host-processes", try_host_processes },
  { "host-file", try_host_file },
  { "proc-sys", try_proc_sys },
  { "sysrq-trigger", try_sysrq },
  { "sys", try_sys },
  { "cgroup-write", try_cgroup_write },
  { "link", try_link },
  { "iptables", try_iptables },
  { "userns", try_userns },
  { "ptrace", try_ptrace },
  { "block-device", try_block_device },
  { "chroot", try_chroot },
  { "open-by-handle", try_open_by_handle },
  { "leaked-fds", try_leaked_fds },
  { "stdio", try_stdio },
  { "stdio-file", try_stdio_file },
  { "session", try_session },
  { "personality", try_personality },
  { "vsock", try_vsock },
  { "af-alg", try_af_alg },
  { "mbind", try_mbind },
  { "set-mempolicy", try_set_mempolicy },
  { "get-mempolicy", try_get_mempolicy },
  { "mempolicy-home-node", try_mempolicy_home_node },
  { "move-pages", try_move_pages },
  { "migrate-pages", try_migrate_pages },
  { "userfaultfd", try_userfaultfd },
  { "pidfd-getfd", try_pidfd_getfd },
  { "process-madvise", try_process_madvise },
  { "quotactl-fd", try_quotactl_fd },
  { "lsm-attr", try_lsm_attr },
  { "open-tree-attr", try_open_tree_attr },
  { "obsolete-calls", try_obsolete_calls },
  { "i386-legacy", try_i386_legacy },
  { "swapon", try_swapon },
  /* Not part of `all` (is_in_all): these need the test to run exec
     meanwhile, a read-only bind at ro_root, or listeners on the host's
     loopback; tiocsti, when it works, types into a terminal.  */
  { "exe-race", try_exe_race },
  { "ro-bind", try_ro_bind },
  { "tiocsti", try_tiocsti },
  { "localnet", try_localnet },
};

static bool
is_in_all (const struct attempt *a)
{
  return a->fn != try_exe_race && a->fn != try_ro_bind && a->fn != try_tiocsti && a->fn != try_localnet;
}

static int
run (const struct attempt *a)
{
  int escaped;

  detail[0] = '\0';
  escaped = a->fn ();
  fprintf (report, "%s %s: %s\n", escaped ? "ESCAPED" : "blocked", a->name, detail);
  return escaped;
}

static bool
parse_option (int *i, int argc, char **argv)
{
  unsigned maj, min;

  if (*i + 1 >= argc)
    return false;
  if (strcmp (argv[*i], "--host-file") == 0)
    A.host_file = argv[++*i];
  else if (strcmp (argv[*i], "--host-pid") == 0)
    A.host_pid = atol (argv[++*i]);
  else if (strcmp (argv[*i], "--monitor-comm") == 0)
    A.monitor_comm = argv[++*i];
  else if (strcmp (argv[*i], "--inject") == 0)
    A.inject = argv[++*i];
  else if (strcmp (argv[*i], "--report") == 0)
    {
      report = fopen (argv[++*i], "we");
      if (report == NULL)
        return false;
      setvbuf (report, NULL, _IOLBF, 0);
    }
  else if (strcmp (argv[*i], "--ro-root") == 0)
    A.ro_root = argv[++*i];
  else if (strcmp (argv[*i], "--localnet-port") == 0
           && A.n_localnet < sizeof (A.localnet_ports) / sizeof (A.localnet_ports[0]))
    A.localnet_ports[A.n_localnet++] = (unsigned short)atoi (argv[++*i]);
  else if (strcmp (argv[*i], "--block") == 0 && sscanf (argv[*i + 1], "%u:%u", &maj, &min) == 2)
    {
      A.block = makedev (maj, min);
      ++*i;
    }
  else
    return false;
  return true;
}

int
main (int argc, char **argv)
{
  const char *names[64];
  size_t n = 0;
  int escaped = 0;

  setvbuf (stdout, NULL, _IOLBF, 0);
  report = stdout;
  /* Some attempts (pivot_root, ptrace) would hurt a host if they worked:
     run only as one of the first processes of a new pid namespace, or
     as a process `exec` started there (its parent, outside the
     namespace, has no pid in it: 0).  */
  if (getpid () > 16 && getppid () != 0)
    {
      fprintf (stderr, "escape-payload: pid %d: not inside a container, refusing\n", (int)getpid ());
      return 125;
    }
  for (int i = 1; i < argc; i++)
    {
      bool ok = strncmp (argv[i], "--", 2) == 0 ? parse_option (&i, argc, argv) : n < 64;
      if (! ok)
        {
          fprintf (stderr, "escape-payload: bad argument `%s`\n", argv[i]);
          return 125;
        }
      if (strncmp (argv[i], "--", 2) != 0)
        names[n++] = argv[i];
    }
  for (size_t t = 0; t < sizeof (attempts) / sizeof (attempts[0]); t++)
    for (size_t k = 0; k < n; k++)
      if ((strcmp (names[k], "all") == 0 && is_in_all (&attempts[t])) || strcmp (names[k], attempts[t].name) == 0)
        {
          escaped += run (&attempts[t]);
          break;
        }
  return escaped;
}
