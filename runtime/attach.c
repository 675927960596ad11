/* Attaching the caller's stdin, or a terminal, to a container's PID 1
   (`ccompose run`).

   caller (CLI)                 monitor                 PID 1 (before execve)
   listen on containers/.attach-<hash of id>
   cc_runtime_create ---------> connect (first run only),
                                unlink the socket file,
                                fd passed to the clone
   cc_runtime_start  --------------------------------> started (sync 3)
   accept
   'i' + read end of a pipe  -----------------------> stdin = the pipe
   (a helper process copies our stdin into the pipe until EOF)
   or
   't'                       -----------------------> pty from the container's
                                                       devpts, slave = stdio
                             <----------------------- 'p' + master
                                <- sync: 'T' + master
   raw mode, window size, 'g' ----------------------> execve
   our input -> master          master -> json log
   stdout <------------------- + the connection
   until the monitor closes the connection (the pty closed)

   The monitor reads the terminal, as Docker's daemon does: the output is
   logged, and a caller that goes away leaves the program running, its
   terminal still open.

   Found by the container's id rather than named in the spec: the
   container connects while it is created, before anyone could hand it a
   descriptor, and nothing but `run` asks for it.  The exchange happens
   after the start is confirmed, so `start` never waits for the caller;
   a caller that goes away leaves PID 1 detached (stdin /dev/null).  */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/paths.h"
#include "lib/proc.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

/* Signals to the caller go to PID 1, as `docker run`'s sig-proxy (a
   terminal's own ^C travels as a byte).  */
static const int proxied[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
static volatile sig_atomic_t pending_signal;

struct cc_runtime_attach
{
  struct sigaction saved[CC_N_ELEMENTS (proxied)];
  bool proxying;
  char *id;
  char *path;    /* the socket file until the container connected */
  int listen_fd; /* until then */
  int conn_fd;
  pid_t helper; /* copies our stdin into the container's */
};

/* FNV-1a: unix socket paths are limited to 108 bytes, ids to 128.  */
static uint64_t
id_hash (const char *id)
{
  uint64_t h = 0xcbf29ce484222325ULL;

  for (const unsigned char *c = (const unsigned char *)id; *c; c++)
    h = (h ^ *c) * 0x100000001b3ULL;
  return h;
}

char *
cc_attach_socket_name (const char *id)
{
  return xasprintf (".attach-%016llx", (unsigned long long)id_hash (id));
}

static char *
containers_dir (void)
{
  return cc_paths_containers ();
}

/* The socket's address through a directory descriptor, short whatever
   the state directory's length.  */
static void
socket_address (int dirfd, const char *name, struct sockaddr_un *sa)
{
  memset (sa, 0, sizeof (*sa));
  sa->sun_family = AF_UNIX;
  snprintf (sa->sun_path, sizeof (sa->sun_path), "/proc/self/fd/%d/%s", dirfd, name);
}

int
cc_attach_connect (const char *id)
{
  cleanup_free char *dir = containers_dir (), *name = cc_attach_socket_name (id);
  cleanup_free char *path = cc_path_join (dir, name);
  cleanup_close int dirfd = -1, fd = -1;
  struct sockaddr_un sa;

  /* Every container is created through here: one lookup when nobody
     waits for it.  */
  if (access (path, F_OK) < 0)
    return -1;
  dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return -1;
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  socket_address (dirfd, name, &sa);
  if (fd < 0 || connect (fd, (struct sockaddr *)&sa, sizeof (sa)) < 0)
    return -1;
  /* Connected: nobody needs the name any more, and a caller killed
     before its accept leaves nothing behind.  */
  unlinkat (dirfd, name, 0);
  return get_and_reset (&fd);
}

static void
receive_go (int sock)
{
  char tag;
  int fd;

  if (cc_fd_receive (sock, &tag, &fd) == 0 && fd >= 0)
    close (fd);
}

static int
attach_tty (int sock, int sync_fd, cc_error_t *err)
{
  cleanup_close int master = -1, slave = -1;

  if (cc_tty_open (&master, &slave, err) < 0)
    return -1;
  cc_tty_become_stdio (slave);
  /* The caller first: output only comes after its 'g'.  */
  if (cc_fd_send (sock, 'p', master, err) < 0 || cc_fd_send (sync_fd, CC_ATTACH_TTY_TAG, master, err) < 0)
    return -1;
  /* The caller sets the window size first: the program starts with
     the right one.  */
  receive_go (sock);
  return 0;
}

int
cc_attach_stdio (int sock, int sync_fd, cc_error_t *err)
{
  cleanup_close int fd = -1;
  char tag;

  if (sock < 0 || cc_fd_receive (sock, &tag, &fd) < 0)
    return 0;
  if (tag == 'i' && fd >= 0)
    return dup2 (fd, 0) < 0 ? cc_error_make (err, errno, "attach stdin") : 1;
  if (tag == 't')
    return attach_tty (sock, sync_fd, err) < 0 ? -1 : 1;
  return 0;
}

/* The service's own `tty`: the master goes to the monitor alone, which
   keeps it for the logs and `attach` (runtime/console.c).  */
int
cc_attach_own_tty (int sync_fd, cc_error_t *err)
{
  cleanup_close int master = -1, slave = -1;

  if (cc_tty_open (&master, &slave, err) < 0)
    return -1;
  cc_tty_become_stdio (slave);
  return cc_fd_send (sync_fd, CC_ATTACH_TTY_TAG, master, err);
}

/* The caller's side.  */

static void
on_proxied (int sig)
{
  pending_signal = sig;
}

static void
proxy_signals (struct cc_runtime_attach *a)
{
  struct sigaction sa = { .sa_handler = on_proxied };

  if (a->proxying)
    return;
  pending_signal = 0;
  for (size_t i = 0; i < CC_N_ELEMENTS (proxied); i++)
    sigaction (proxied[i], &sa, &a->saved[i]);
  a->proxying = true;
}

static void
stop_proxying (struct cc_runtime_attach *a)
{
  if (! a->proxying)
    return;
  for (size_t i = 0; i < CC_N_ELEMENTS (proxied); i++)
    sigaction (proxied[i], &a->saved[i], NULL);
  a->proxying = false;
}

void
cc_runtime_attach_forward_signals (struct cc_runtime_attach *a)
{
  cc_error_t ignored = NULL;
  int sig = pending_signal;

  if (sig == 0 || a == NULL)
    return;
  pending_signal = 0;
  if (cc_runtime_kill (a->id, sig, &ignored) < 0)
    cc_error_release (&ignored);
}

void
cc_runtime_attach_close (struct cc_runtime_attach *a)
{
  if (a == NULL)
    return;
  stop_proxying (a);
  cc_proc_kill_and_reap (&a->helper);
  if (a->listen_fd >= 0)
    {
      unlink (a->path);
      close (a->listen_fd);
    }
  if (a->conn_fd >= 0)
    close (a->conn_fd);
  free (a->path);
  free (a->id);
  free (a);
}

int
cc_runtime_attach_open (const char *id, struct cc_runtime_attach **out, cc_error_t *err)
{
  cleanup_free char *dir = containers_dir (), *name = NULL;
  cleanup_close int dirfd = -1;
  cleanup_runtime_attach struct cc_runtime_attach *a = xzalloc (sizeof (*a));
  struct sockaddr_un sa;

  a->listen_fd = a->conn_fd = -1;
  a->id = xstrdup (id);
  if (cc_runtime_check_id (id, err) < 0 || cc_mkdir_p (dir, 0700, err) < 0)
    return -1;
  dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return cc_error_make (err, errno, "open `%s`", dir);
  name = cc_attach_socket_name (id);
  a->path = cc_path_join (dir, name);
  a->listen_fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (a->listen_fd < 0)
    return cc_error_make (err, errno, "socket");
  /* Left by a caller that was killed: ids of one-off containers are
     not reused while they exist, so nobody listens there.  */
  unlinkat (dirfd, name, 0);
  socket_address (dirfd, name, &sa);
  if (bind (a->listen_fd, (struct sockaddr *)&sa, sizeof (sa)) < 0 || listen (a->listen_fd, 1) < 0)
    return cc_error_make (err, errno, "listen on `%s`", a->path);
  *out = steal_pointer (&a);
  return 0;
}

/* Created and started: the container connected while it was created.  */
static int
accept_container (struct cc_runtime_attach *a, cc_error_t *err)
{
  if (a->conn_fd >= 0)
    return 0;
  int e;

  a->conn_fd = accept4 (a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  e = errno;
  unlink (a->path);
  close (get_and_reset (&a->listen_fd));
  if (a->conn_fd < 0)
    return cc_error_make (err, e == EAGAIN ? ENOTCONN : e, "container `%s` did not attach", a->id);
  return 0;
}

static void __attribute__ ((noreturn)) copy_stdin (int to)
{
  char buf[65536];
  ssize_t n;

  /* It may block on our stdin for long: it holds nothing else (a lock
     of the caller's would outlive the caller).  */
  if (to > 3)
    close_range (3, (unsigned int)to - 1, 0);
  close_range ((unsigned int)to + 1, ~0U, 0);
  signal (SIGPIPE, SIG_DFL);
  while ((n = read (0, buf, sizeof (buf))) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 || cc_write_all (to, buf, (size_t)n) < 0)
        break;
    }
  _exit (0);
}

int
cc_runtime_attach_stdin (struct cc_runtime_attach *a, cc_error_t *err)
{
  int p[2];
  cleanup_close int rd = -1, wr = -1;

  if (accept_container (a, err) < 0)
    return -1;
  if (pipe2 (p, O_CLOEXEC) < 0)
    return cc_error_make (err, errno, "pipe");
  rd = p[0], wr = p[1];
  if (cc_fd_send (a->conn_fd, 'i', rd, err) < 0)
    return -1;
  close (get_and_reset (&rd));
  /* Before the fork: a ^C on our terminal reaches the helper too, and
     must not end the container's stdin.  */
  proxy_signals (a);
  /* A process of its own: the caller's thread follows the logs.  Its
     end of the pipe is the only one left, so our EOF is the
     container's.  */
  a->helper = fork ();
  if (a->helper < 0)
    return cc_error_make (err, errno, "fork");
  if (a->helper == 0)
    copy_stdin (wr);
  return 0;
}

static void
send_go (void *opaque)
{
  struct cc_runtime_attach *a = opaque;
  cc_error_t ignored = NULL;

  if (cc_fd_send (a->conn_fd, 'g', -1, &ignored) < 0)
    cc_error_release (&ignored);
}

static void
forward_signal (void *opaque)
{
  cc_runtime_attach_forward_signals (opaque);
}

int
cc_runtime_attach_tty (struct cc_runtime_attach *a, cc_error_t *err)
{
  struct cc_tty_relay_hooks h = { .ready = send_go, .tick = forward_signal, .opaque = a };
  cleanup_close int master = -1;
  char tag;

  if (accept_container (a, err) < 0 || cc_fd_send (a->conn_fd, 't', -1, err) < 0)
    return -1;
  if (cc_fd_receive (a->conn_fd, &tag, &master) < 0 || tag != 'p' || master < 0)
    return cc_error_make (err, EPROTO, "container `%s` sent no terminal", a->id);
  proxy_signals (a);
  /* Input straight to the terminal, output from the monitor.  */
  cc_tty_relay (master, a->conn_fd, &h);
  stop_proxying (a);
  return 0;
}
