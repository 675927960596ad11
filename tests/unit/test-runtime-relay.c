/* Unit tests for runtime/relay.c with real pipes and a forked child in
   the place of the program in the container: streams copied apart and
   whole, stdin's EOF passed on, a destination that breaks ends only its
   stream (and the program sees EPIPE), and a process left behind
   writing forever neither keeps the relay nor gets more through once the
   program exited, with a pidfd or without one.  */
/* cmocka needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/file.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

/* The program's side and ours of its three pipes, and the caller's
   stdio (pipes too, so the test can feed and read them).  */
struct rig
{
  int prog[3], ours[3];
  int caller_in_w, caller_in_r;   /* the test writes, the relay reads */
  int caller_out_r, caller_out_w; /* the relay writes, the test reads */
  int caller_err_r, caller_err_w;
};

static void
pipe_or_die (int fds[2])
{
  assert_int_equal (pipe2 (fds, O_CLOEXEC), 0);
}

static void
rig_open (struct rig *g)
{
  int p[2];

  for (int i = 0; i < 3; i++)
    {
      pipe_or_die (p);
      g->prog[i] = p[i == 0 ? 0 : 1];
      g->ours[i] = p[i == 0 ? 1 : 0];
      fcntl (g->ours[i], F_SETFL, O_NONBLOCK);
    }
  pipe_or_die (p);
  g->caller_in_r = p[0], g->caller_in_w = p[1];
  pipe_or_die (p);
  g->caller_out_r = p[0], g->caller_out_w = p[1];
  pipe_or_die (p);
  g->caller_err_r = p[0], g->caller_err_w = p[1];
}

/* In a helper child of the test: only KEEP left open beyond stdio, so
   no stray copy of a pipe end holds off an EOF.  */
static void
keep_only (int keep)
{
  for (int fd = 3; fd < 1024; fd++)
    if (fd != keep)
      close (fd);
}

/* The child: stdio from the rig, everything else closed, then FN.  */
static pid_t
spawn (struct rig *g, void (*fn) (void))
{
  pid_t pid = fork ();

  assert_true (pid >= 0);
  if (pid == 0)
    {
      for (int i = 0; i < 3; i++)
        dup2 (g->prog[i], i);
      for (int fd = 3; fd < 1024; fd++)
        close (fd);
      signal (SIGPIPE, SIG_DFL);
      fn ();
      _exit (0);
    }
  for (int i = 0; i < 3; i++)
    close (get_and_reset (&g->prog[i]));
  return pid;
}

static bool
gone (void *opaque)
{
  siginfo_t info = { 0 };

  return waitid (P_PID, (id_t) * (pid_t *)opaque, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0;
}

/* Relays until PID is gone; its wait status.  */
static int
relay (struct rig *g, pid_t pid, bool use_pidfd)
{
  cleanup_free struct cc_relay *r = xmalloc (sizeof (*r));
  cleanup_close int pidfd = use_pidfd ? (int)syscall (SYS_pidfd_open, pid, 0) : -1;
  int status;

  signal (SIGPIPE, SIG_IGN);
  cc_relay_init (r, &cc_relay_sys_ops);
  cc_relay_add (r, CC_RELAY_STDIN, g->caller_in_r, false, g->ours[0], true);
  cc_relay_add (r, CC_RELAY_STDOUT, g->ours[1], true, g->caller_out_w, false);
  cc_relay_add (r, CC_RELAY_STDERR, g->ours[2], true, g->caller_err_w, false);
  cc_relay_run (r, pidfd, gone, &pid);
  signal (SIGPIPE, SIG_DFL);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  return status;
}

static char *
slurp (int fd)
{
  cleanup_free char *out = NULL;
  size_t len = 0;

  assert_int_equal (cc_read_fd_max (fd, "test", 1 << 24, &out, &len, NULL), 0);
  return steal_pointer (&out);
}

/* Upper case of stdin to stdout, its length to stderr.  */
static void
shout (void)
{
  char buf[4096];
  ssize_t n;
  size_t total = 0;

  while ((n = read (0, buf, sizeof (buf))) > 0)
    {
      for (ssize_t i = 0; i < n; i++)
        buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
      cc_write_all (1, buf, (size_t)n);
      total += (size_t)n;
    }
  dprintf (2, "%zu bytes", total);
}

static void
test_streams_apart_and_whole (void **ctx)
{
  struct rig g;
  cleanup_free char *input = xmalloc (300001), *out = NULL, *err = NULL;
  pid_t pid;
  int status;

  (void)ctx;
  for (size_t i = 0; i < 300000; i++)
    input[i] = (char)('a' + i % 26);
  input[300000] = '\0';
  rig_open (&g);
  pid = spawn (&g, shout);
  /* More than the pipes hold: the relay keeps both sides moving.  */
  pid_t feeder = fork ();
  if (feeder == 0)
    {
      keep_only (g.caller_in_w);
      cc_write_all (g.caller_in_w, input, 300000);
      _exit (0);
    }
  close (g.caller_in_w);
  pid_t reader = fork ();
  if (reader == 0)
    {
      keep_only (g.caller_out_r);
      cleanup_free char *got = slurp (g.caller_out_r);
      _exit (strlen (got) == 300000 && got[0] == 'A' && got[299999] == 'A' + 299999 % 26 ? 0 : 1);
    }
  close (g.caller_out_r);
  status = relay (&g, pid, true);
  close (g.caller_out_w);
  close (g.caller_err_w);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  assert_int_equal (waitpid (reader, &status, 0), reader);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  waitpid (feeder, NULL, 0);
  err = slurp (g.caller_err_r);
  assert_string_equal (err, "300000 bytes");
  close (g.caller_in_r);
  close (g.caller_err_r);
}

/* Writes its stdout until that fails, then says so on stderr.  */
static void
write_until_epipe (void)
{
  char buf[4096];

  memset (buf, 'y', sizeof (buf));
  signal (SIGPIPE, SIG_IGN);
  while (write (1, buf, sizeof (buf)) > 0)
    ;
  dprintf (2, "stdout: %s", strerror (errno));
}

static void
test_a_broken_destination_ends_only_its_stream (void **ctx)
{
  struct rig g;
  cleanup_free char *err = NULL;
  int status;
  pid_t pid;

  (void)ctx;
  rig_open (&g);
  close (g.caller_in_w);
  /* Nobody reads the caller's stdout.  */
  close (g.caller_out_r);
  pid = spawn (&g, write_until_epipe);
  status = relay (&g, pid, true);
  close (g.caller_out_w);
  close (g.caller_err_w);
  assert_true (WIFEXITED (status));
  err = slurp (g.caller_err_r);
  assert_string_equal (err, "stdout: Broken pipe");
  close (g.caller_in_r);
  close (g.caller_err_r);
}

/* Leaves a child writing forever, which tells when a write failed by
   exiting.  */
static void
leave_a_writer (void)
{
  cc_write_all (1, "fg\n", 3);
  if (fork () == 0)
    {
      signal (SIGPIPE, SIG_IGN);
      while (write (1, "bg\n", 3) == 3)
        ;
      _exit (0);
    }
}

static void
leaves_a_writer (bool use_pidfd)
{
  struct rig g;
  cleanup_free char *out = NULL;
  int status;
  pid_t pid;

  rig_open (&g);
  close (g.caller_in_w);
  pid = spawn (&g, leave_a_writer);
  /* Our stdout drained meanwhile, so only the budget ends the relay.  */
  pid_t reader = fork ();
  if (reader == 0)
    {
      keep_only (g.caller_out_r);
      cleanup_free char *got = slurp (g.caller_out_r);
      _exit (strncmp (got, "fg\n", 3) == 0 ? 0 : 1);
    }
  close (g.caller_out_r);
  status = relay (&g, pid, use_pidfd);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  /* Our copies closed: the reader sees EOF although the writer lives
     on, and the writer's next write fails.  */
  close (g.caller_out_w);
  assert_int_equal (waitpid (reader, &status, 0), reader);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  close (g.caller_in_r);
  close (g.caller_err_w);
  close (g.caller_err_r);
}

static void
test_a_process_left_behind_is_cut_off (void **ctx)
{
  (void)ctx;
  leaves_a_writer (true);
}

static void
test_without_a_pidfd_too (void **ctx)
{
  (void)ctx;
  leaves_a_writer (false);
}

/* A port the kernel has free on 127.0.0.1 now.  */
static unsigned
free_port (void)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof (sa);
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  assert_true (fd >= 0);
  assert_int_equal (bind (fd, (struct sockaddr *)&sa, sizeof (sa)), 0);
  assert_int_equal (getsockname (fd, (struct sockaddr *)&sa, &len), 0);
  close (fd);
  return ntohs (sa.sin_port);
}

/* The monitor's TCP relay (runtime/proxy.c): "HOST:CONTAINER" listens on
   ::1, "ADDRESS:HOST:CONTAINER" on that IPv4 address (the IPv4 host
   ports of a container with no IPv4 address, issue 15); anything else
   is refused before a socket is made.  */
static void
test_proxy_listens_where_told (void **state)
{
  static const char *const bad[]
      = { "80",           "0.0.0.0:80",   "::1:80:80",        "1.2.3.999:80:80",         "x:80:80",
          "0.0.0.0:0:80", "0.0.0.0:80:0", "0.0.0.0:80:80:80", "123456789012345678:80:80" };
  struct cc_proxy x;
  unsigned port = free_port ();
  cleanup_free char *spec = xasprintf ("127.0.0.1:%u:80", port);
  char *ports[] = { spec, NULL };
  struct sockaddr_in sa;
  socklen_t len = sizeof (sa);

  (void)state;
  cc_proxy_init (&x);
  assert_int_equal (cc_proxy_listen (&x, ports, NULL), 0);
  assert_int_equal (x.n_listeners, 1);
  assert_int_equal (getsockname (x.listeners[0].fd, (struct sockaddr *)&sa, &len), 0);
  assert_int_equal (sa.sin_family, AF_INET);
  assert_int_equal (ntohl (sa.sin_addr.s_addr), INADDR_LOOPBACK);
  assert_int_equal (ntohs (sa.sin_port), port);
  assert_int_equal (x.listeners[0].target, 80);
  cc_proxy_close (&x);
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      cleanup_error cc_error_t err = NULL;
      char *one[] = { (char *)bad[i], NULL };

      cc_proxy_init (&x);
      if (cc_proxy_listen (&x, one, &err) == 0)
        fail_msg ("`%s` was taken", bad[i]);
      assert_int_equal (x.n_listeners, 0);
      cc_proxy_close (&x);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_streams_apart_and_whole),
    cmocka_unit_test (test_a_broken_destination_ends_only_its_stream),
    cmocka_unit_test (test_a_process_left_behind_is_cut_off),
    cmocka_unit_test (test_without_a_pidfd_too),
    cmocka_unit_test (test_proxy_listens_where_told),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
