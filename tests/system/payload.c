/* The test payload: one static program with a subcommand per thing a
   runtime test needs to observe from inside a container (like crun's
   tests/init.c).  Usage: payload SUBCOMMAND [ARGS...]  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int
cat (int argc, char **argv)
{
  for (int i = 0; i < argc; i++)
    {
      char buf[4096];
      ssize_t n;
      int fd = open (argv[i], O_RDONLY);
      if (fd < 0)
        {
          printf ("open %s: %s\n", argv[i], strerror (errno));
          return 1;
        }
      while ((n = read (fd, buf, sizeof (buf))) > 0)
        fwrite (buf, 1, (size_t)n, stdout);
      if (n < 0)
        {
          printf ("read %s: %s\n", argv[i], strerror (errno));
          return 1;
        }
      close (fd);
    }
  return 0;
}

/* One line of /proc/self/status, e.g. "CapEff".  */
static int
status_field (const char *key)
{
  char line[512];
  FILE *f = fopen ("/proc/self/status", "r");

  if (f == NULL)
    return 1;
  while (fgets (line, sizeof (line), f))
    if (strncmp (line, key, strlen (key)) == 0 && line[strlen (key)] == ':')
      {
        fputs (line, stdout);
        fclose (f);
        return 0;
      }
  fclose (f);
  return 1;
}

static int
report (const char *what, long r)
{
  printf ("%s: %s\n", what, r < 0 ? strerror (errno) : "ok");
  return r < 0 ? 1 : 0;
}

static int
try_mount (void)
{
  return report ("mount", mount ("tmpfs", "/tmp", "tmpfs", 0, NULL));
}

static int
try_userns (void)
{
  return report ("unshare", unshare (CLONE_NEWUSER));
}

static int
try_ptrace (void)
{
  /* PTRACE_TRACEME: harmless, and always allowed without seccomp.  */
  return report ("ptrace", syscall (SYS_ptrace, 0, 0, 0, 0));
}

static int
try_clone_newuser (void)
{
  long r = syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);

  if (r == 0)
    _exit (0);
  if (r > 0)
    waitpid ((pid_t)r, NULL, 0);
  return report ("clone-newuser", r);
}

static int
try_keyctl (void)
{
  /* KEYCTL_GET_KEYRING_ID of the session keyring.  */
  return report ("keyctl", syscall (SYS_keyctl, 0, -3, 0));
}

/* Touch every page so the memory is really charged.  */
static int
alloc_mb (long mb)
{
  for (long i = 0; i < mb; i++)
    {
      char *p = malloc (1 << 20);
      if (p == NULL)
        return 3;
      memset (p, 1, 1 << 20);
    }
  printf ("allocated %ld MiB\n", mb);
  return 0;
}

/* Fork until refused, bounded by COUNT; prints how many succeeded.  */
static int
forks (long count)
{
  long ok = 0;

  for (long i = 0; i < count; i++)
    {
      pid_t pid = fork ();
      if (pid < 0)
        {
          printf ("fork failed after %ld: %s\n", ok, strerror (errno));
          fflush (stdout);
          kill (0, SIGKILL);
          return 0;
        }
      if (pid == 0)
        {
          pause ();
          _exit (0);
        }
      ok++;
    }
  printf ("forked %ld\n", ok);
  fflush (stdout);
  kill (0, SIGKILL);
  return 0;
}

static int
busy (long ms)
{
  struct timespec t0, t;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  do
    clock_gettime (CLOCK_MONOTONIC, &t);
  while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
  return 0;
}

static volatile sig_atomic_t got;

static void
on_signal (int sig)
{
  got = sig;
}

static int
sleep_s (double s, bool handle_term)
{
  struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

  if (handle_term)
    signal (SIGTERM, on_signal);
  printf ("sleeping\n");
  fflush (stdout);
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    if (got)
      {
        printf ("got signal %d\n", (int)got);
        return 0;
      }
  return 0;
}

static int
ignore_term (void)
{
  signal (SIGTERM, SIG_IGN);
  printf ("ignoring SIGTERM\n");
  fflush (stdout);
  while (pause () < 0)
    ;
  return 0;
}

int
main (int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : "";
  long n = argc > 2 ? atol (argv[2]) : 0;

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (strcmp (cmd, "pid") == 0)
    return printf ("%d\n", (int)getpid ()) < 0;
  if (strcmp (cmd, "ids") == 0)
    return printf ("%d %d\n", (int)getuid (), (int)getgid ()) < 0;
  if (strcmp (cmd, "cat") == 0)
    return cat (argc - 2, argv + 2);
  if (strcmp (cmd, "status") == 0 && argc > 2)
    return status_field (argv[2]);
  if (strcmp (cmd, "mount") == 0)
    return try_mount ();
  if (strcmp (cmd, "userns") == 0)
    return try_userns ();
  if (strcmp (cmd, "keyctl") == 0)
    return try_keyctl ();
  if (strcmp (cmd, "ptrace") == 0)
    return try_ptrace ();
  if (strcmp (cmd, "clone-newuser") == 0)
    return try_clone_newuser ();
  if (strcmp (cmd, "alloc") == 0)
    return alloc_mb (n);
  if (strcmp (cmd, "forks") == 0)
    return forks (n);
  if (strcmp (cmd, "busy") == 0)
    return busy (n);
  if (strcmp (cmd, "sleep") == 0)
    return sleep_s (argc > 2 ? atof (argv[2]) : 1, false);
  if (strcmp (cmd, "sleep-term") == 0)
    return sleep_s (argc > 2 ? atof (argv[2]) : 1, true);
  if (strcmp (cmd, "ignore-term") == 0)
    return ignore_term ();
  if (strcmp (cmd, "exit") == 0)
    return (int)n;
  if (strcmp (cmd, "echo") == 0)
    {
      for (int i = 2; i < argc; i++)
        printf ("%s%s", argv[i], i + 1 < argc ? " " : "\n");
      return 0;
    }
  fprintf (stderr, "payload: unknown command `%s`\n", cmd);
  return 2;
}
