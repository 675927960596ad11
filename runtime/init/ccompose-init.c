/* ccompose-init: PID 1 of a container started with `init: true`.
   Built statically and embedded in ccompose (runtime/module.mk), then
   bind-mounted read-only on /dev/init.  It starts the command, forwards
   every catchable signal to it, reaps every zombie that the kernel hands
   to PID 1, and exits with the command's status (128+N for a signal),
   as tini and docker-init do.  Usage: /dev/init -- CMD [ARGS...]  */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int
status_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + WTERMSIG (status);
}

static pid_t
spawn (char **argv, const sigset_t *old)
{
  pid_t pid = fork ();

  if (pid != 0)
    return pid;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigprocmask (SIG_SETMASK, old, NULL);
  /* A new process group, so a terminal's ^C reaches the whole job.  */
  setpgid (0, 0);
  execvp (argv[0], argv);
  fprintf (stderr, "ccompose-init: exec `%s`: %s\n", argv[0], strerror (errno));
  _exit (errno == ENOENT ? 127 : 126);
}

/* Reap everything that is ready; returns the child's status once it
   has exited, -1 before.  */
static int
reap (pid_t child)
{
  int status, code = -1;
  pid_t pid;

  while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
    if (pid == child)
      code = status_code (status);
  return code;
}

static void
noop (int sig)
{
  (void)sig;
}

/* Signals stay blocked and are taken with sigwaitinfo; the handlers are
   there so that /proc/1/status (SigCgt) tells the truth: PID 1 handles
   them, and `stop` need not wait for the grace period.  */
static void
install_handlers (void)
{
  struct sigaction sa = { .sa_handler = noop };

  sigemptyset (&sa.sa_mask);
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction (sig, &sa, NULL);
}

int
main (int argc, char **argv)
{
  sigset_t all, old;
  int code = -1;
  pid_t child;

  if (argc > 1 && strcmp (argv[1], "--") == 0)
    argv++, argc--;
  if (argc < 2)
    {
      fputs ("usage: ccompose-init -- CMD [ARGS...]\n", stderr);
      return 2;
    }
  sigfillset (&all);
  sigprocmask (SIG_SETMASK, &all, &old);
  install_handlers ();
  child = spawn (argv + 1, &old);
  if (child < 0)
    return 126;
  while (code < 0)
    {
      siginfo_t info;
      if (sigwaitinfo (&all, &info) < 0)
        continue;
      if (info.si_signo == SIGCHLD)
        code = reap (child);
      else
        kill (child, info.si_signo);
    }
  /* Orphans the command left behind die with the pid namespace.  */
  return code;
}
