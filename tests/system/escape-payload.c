/* Escape attempts from inside a container, one per table entry: each
   tries something a default container must not be able to do and prints
   one line, `blocked NAME: reason` or `ESCAPED NAME: what happened`.
   Nothing here changes the host even when it succeeds: writes are only
   opens for writing, links are the container's own, mounts are in its own
   namespace.

   Usage: escape-payload all|NAME... [--host-file PATH] [--host-pid PID]
                                      [--block MAJ:MIN] [--monitor-comm NAME]
   Exit status: the number of attempts that escaped.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <net/if.h>
#include <netinet/in.h>
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
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct args
{
  const char *host_file; /* a file that exists only on the host */
  long host_pid;         /* a process outside the container */
  dev_t block;           /* the host's root block device */
  const char *monitor_comm;
};

static struct args A = { .host_file = "/nonexistent-host-file", .host_pid = 1, .monitor_comm = "ccompose-mon" };

/* Outcome of one attempt: 0 blocked (errno kept), 1 escaped.  */
static char detail[256];

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

static int
try_pivot_root (void)
{
  mkdir ("/tmp/escape-old", 0700);
  return blocked_if ((int)syscall (SYS_pivot_root, "/", "/tmp/escape-old"));
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
  /* Not part of `all`: it needs the test to run exec meanwhile.  */
  { "exe-race", try_exe_race },
};

static int
run (const struct attempt *a)
{
  int escaped;

  detail[0] = '\0';
  escaped = a->fn ();
  printf ("%s %s: %s\n", escaped ? "ESCAPED" : "blocked", a->name, detail);
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
  /* Some attempts (pivot_root, ptrace) would hurt a host if they worked:
     run only as one of the first processes of a new pid namespace.  */
  if (getpid () > 16)
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
      if ((strcmp (names[k], "all") == 0 && attempts[t].fn != try_exe_race) || strcmp (names[k], attempts[t].name) == 0)
        {
          escaped += run (&attempts[t]);
          break;
        }
  return escaped;
}
