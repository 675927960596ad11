/* Terminals of processes in a container, shared by `exec -t` and
   `run`'s PID 1: the pty comes from the container's own devpts (so
   `tty` names /dev/pts/N as the container sees it) and its master is
   handed to the caller over a unix socket (runc's console socket); the
   caller copies between its terminal and the master.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "runtime/internal.h"

union fd_cmsg
{
  char buf[CMSG_SPACE (sizeof (int))];
  struct cmsghdr align;
};

int
cc_fd_send (int sock, char tag, int fd, cc_error_t *err)
{
  struct iovec iov = { &tag, 1 };
  /* Zeroed: the header's padding goes to the kernel too.  */
  union fd_cmsg u = { 0 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  struct cmsghdr *c;

  if (fd >= 0)
    {
      msg.msg_control = u.buf;
      msg.msg_controllen = sizeof (u.buf);
      c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  while (sendmsg (sock, &msg, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return cc_error_make (err, errno, "send over the attach socket");
  return 0;
}

ssize_t
cc_recv_with_fd (int sock, void *buf, size_t len, int flags, int *fd)
{
  struct iovec iov = { buf, len };
  union fd_cmsg u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf) };
  struct cmsghdr *c;
  ssize_t n;

  *fd = -1;
  while ((n = recvmsg (sock, &msg, flags | MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
    ;
  if (n < 0)
    return -1;
  c = CMSG_FIRSTHDR (&msg);
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN (sizeof (int)))
    memcpy (fd, CMSG_DATA (c), sizeof (int));
  return n;
}

int
cc_fd_receive (int sock, char *tag, int *fd)
{
  ssize_t n = cc_recv_with_fd (sock, tag, 1, 0, fd);

  if (n <= 0 && *fd >= 0)
    close (get_and_reset (fd));
  return n <= 0 ? -1 : 0;
}

int
cc_tty_open (int *master_out, int *slave_out, cc_error_t *err)
{
  cleanup_close int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  char name[64];
  int slave;

  if (master < 0 || unlockpt (master) < 0 || ptsname_r (master, name, sizeof (name)) != 0)
    return cc_error_make (err, errno, "allocate a pty in the container");
  slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return cc_error_make (err, errno, "open `%s`", name);
  *master_out = get_and_reset (&master);
  *slave_out = slave;
  return 0;
}

void
cc_tty_become_stdio (int slave)
{
  ioctl (slave, TIOCSCTTY, 0);
  for (int i = 0; i < 3; i++)
    dup2 (slave, i);
}

static void
copy_once (int from, int to, bool *open_)
{
  char buf[4096];
  ssize_t n = read (from, buf, sizeof (buf));

  if (n < 0 && errno == EINTR)
    return;
  if (n <= 0 || cc_write_all (to, buf, (size_t)n) < 0)
    *open_ = false;
}

/* Our terminal's size onto the pty, when it changed (checked every
   round: no SIGWINCH handler to install in the caller).  */
static void
sync_winsize (int master, struct winsize *last)
{
  struct winsize ws;

  if (ioctl (0, TIOCGWINSZ, &ws) == 0 && memcmp (&ws, last, sizeof (ws)) != 0)
    {
      ioctl (master, TIOCSWINSZ, &ws);
      *last = ws;
    }
}

/* What the process wrote before it went.  */
static void
drain (int output)
{
  struct pollfd p = { output, POLLIN, 0 };
  bool open_ = true;

  while (open_ && poll (&p, 1, 0) > 0 && (p.revents & POLLIN))
    copy_once (output, 1, &open_);
}

void
cc_tty_relay (int master, int output, const struct cc_tty_relay_hooks *h)
{
  struct termios saved, raw;
  struct winsize size = { 0 };
  bool have_tty = tcgetattr (0, &saved) == 0, in_open = true, out_open = true;

  /* Raw: ^C, ^Z and ^\ reach the container's terminal as bytes, and its
     line discipline signals the container's foreground process.  */
  if (have_tty)
    {
      raw = saved;
      cfmakeraw (&raw);
      tcsetattr (0, TCSANOW, &raw);
      sync_winsize (master, &size);
    }
  if (h && h->ready)
    h->ready (h->opaque);
  while (out_open)
    {
      struct pollfd p[2] = { { output, POLLIN, 0 }, { in_open ? 0 : -1, POLLIN, 0 } };
      if (poll (p, 2, 100) < 0 && errno != EINTR)
        break;
      if (have_tty)
        sync_winsize (master, &size);
      if (h && h->tick)
        h->tick (h->opaque);
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        copy_once (output, 1, &out_open);
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
        copy_once (0, master, &in_open);
      if (h && h->gone && h->gone (h->opaque))
        break;
    }
  drain (output);
  if (have_tty)
    tcsetattr (0, TCSANOW, &saved);
}
