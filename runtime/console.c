/* `attach` to a container whose service has `tty` or `stdin_open`: the
   monitor keeps the pty's master (or the write end of PID 1's stdin)
   and listens on `console` in the container's state directory; an
   attaching client connects there, at any time and as often as it
   likes.

   client                            monitor
   connect ------------------------> accept (root only: the directory is)
            <----------------------- 'h' + flags (terminal, stdin open)
   'w' + struct winsize -----------> TIOCSWINSZ on the master
   'd' + bytes (keystrokes) -------> written to the master or stdin pipe
            <----------------------- '1' / '2' + bytes: the output
   the detach keys: close           EOF when the container stops

   Nothing of the client crosses: no descriptor is ever passed, only
   bytes and a window size, and the client writes the output to its
   stdout without interpreting it.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"
#include "runtime/runtime.h"

#define CONSOLE_NAME "console"
#define CHUNK 16384

enum
{
  HELLO_TERMINAL = 1,
  HELLO_STDIN = 2,
};

/* The socket's address through the directory's descriptor: unix socket
   paths are limited to 108 bytes, state roots are not.  */
static int
console_address (const char *id, struct sockaddr_un *sa, int *dirfd, cc_error_t *err)
{
  cleanup_free char *dir = cc_runtime_file (id, "");

  *dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*dirfd < 0)
    return cc_error_make (err, errno, "open `%s`", dir);
  memset (sa, 0, sizeof (*sa));
  sa->sun_family = AF_UNIX;
  snprintf (sa->sun_path, sizeof (sa->sun_path), "/proc/self/fd/%d/" CONSOLE_NAME, *dirfd);
  return 0;
}

/* ---- the monitor's side --------------------------------------------------- */

int
cc_console_listen (struct cc_console *c, const char *id, cc_error_t *err)
{
  cleanup_close int dirfd = -1, fd = -1;
  struct sockaddr_un sa;

  if (console_address (id, &sa, &dirfd, err) < 0)
    return -1;
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return cc_error_make (err, errno, "socket");
  /* A monitor that died left its socket: the restarted one takes over.  */
  unlinkat (dirfd, CONSOLE_NAME, 0);
  if (bind (fd, (struct sockaddr *)&sa, sizeof (sa)) < 0 || listen (fd, CC_CONSOLE_MAX) < 0)
    return cc_error_make (err, errno, "listen on the console of `%s`", id);
  c->listen_fd = get_and_reset (&fd);
  return 0;
}

static void
drop_client (struct cc_console *c, size_t i)
{
  close (c->clients[i]);
  c->clients[i] = c->clients[--c->n];
}

void
cc_console_accept (struct cc_console *c, bool terminal, bool stdin_open)
{
  char hello[2] = { 'h', (char)((terminal ? HELLO_TERMINAL : 0) | (stdin_open ? HELLO_STDIN : 0)) };
  int big = 1 << 20;
  int fd;

  while ((fd = accept4 (c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
    {
      if (c->n == CC_CONSOLE_MAX || send (fd, hello, sizeof (hello), MSG_NOSIGNAL) < 0)
        {
          close (fd);
          continue;
        }
      /* Room for bursts of output: a client that still cannot keep up
         is dropped rather than let it hold the container up.  */
      setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof (big));
      c->clients[c->n++] = fd;
    }
}

void
cc_console_broadcast (struct cc_console *c, char stream, const char *data, size_t len)
{
  char msg[1 + CHUNK];

  for (size_t off = 0; off < len;)
    {
      size_t chunk = len - off < CHUNK ? len - off : CHUNK;
      msg[0] = stream;
      memcpy (msg + 1, data + off, chunk);
      for (size_t i = 0; i < c->n;)
        if (send (c->clients[i], msg, chunk + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EINTR)
          drop_client (c, i);
        else
          i++;
      off += chunk;
    }
}

/* Keystrokes into a full terminal or pipe: a short wait, then they are
   lost, as the monitor must never block on its container.  */
static void
write_input (int fd, const char *data, size_t len)
{
  while (fd >= 0 && len > 0)
    {
      ssize_t n = write (fd, data, len);
      struct pollfd p = { fd, POLLOUT, 0 };
      if (n > 0)
        {
          data += n;
          len -= (size_t)n;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0 || errno != EAGAIN || poll (&p, 1, 100) <= 0)
        return;
    }
}

void
cc_console_read (struct cc_console *c, size_t i, int terminal_fd, int input_fd)
{
  char msg[1 + CHUNK];
  ssize_t n = recv (c->clients[i], msg, sizeof (msg), MSG_DONTWAIT);
  struct winsize ws;

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
    {
      drop_client (c, i);
      return;
    }
  if (msg[0] == 'd')
    write_input (input_fd, msg + 1, (size_t)n - 1);
  else if (msg[0] == 'w' && n == 1 + (ssize_t)sizeof (ws) && terminal_fd >= 0)
    {
      memcpy (&ws, msg + 1, sizeof (ws));
      ioctl (terminal_fd, TIOCSWINSZ, &ws);
    }
}

void
cc_console_drop_all (struct cc_console *c)
{
  while (c->n > 0)
    drop_client (c, c->n - 1);
}

void
cc_console_close (struct cc_console *c, const char *id)
{
  cleanup_free char *path = NULL;

  cc_console_drop_all (c);
  if (c->listen_fd < 0)
    return;
  close (get_and_reset (&c->listen_fd));
  /* A later attach finds no console and reads the logs.  */
  path = cc_runtime_file (id, CONSOLE_NAME);
  unlink (path);
}

/* ---- the client's side ---------------------------------------------------- */

/* Docker's --detach-keys: comma separated, each a single character,
   `DEL`, or `ctrl-` and one of a-z @ [ \ ] ^ _.  */
static int
parse_key (const char *k, unsigned char *out)
{
  static const char ctrl_signs[] = "@[\\]^_";
  const char *sign;

  if (strlen (k) == 1 || strcmp (k, "DEL") == 0)
    {
      *out = k[1] ? 127 : (unsigned char)k[0];
      return 0;
    }
  if (strncmp (k, "ctrl-", 5) != 0 || strlen (k) != 6)
    return -1;
  if (k[5] >= 'a' && k[5] <= 'z')
    *out = (unsigned char)(k[5] - 'a' + 1);
  else if ((sign = strchr (ctrl_signs, k[5])) != NULL)
    *out = sign == ctrl_signs ? 0 : (unsigned char)(27 + (sign - ctrl_signs) - 1);
  else
    return -1;
  return 0;
}

int
cc_runtime_detach_keys_parse (const char *spec, struct cc_detach_keys *keys, cc_error_t *err)
{
  cleanup_free char *copy = xstrdup (spec ? spec : "ctrl-p,ctrl-q");
  char *save = NULL;

  keys->n = 0;
  for (char *k = strtok_r (copy, ",", &save); k; k = strtok_r (NULL, ",", &save))
    if (keys->n == sizeof (keys->seq) || parse_key (k, &keys->seq[keys->n++]) < 0)
      return cc_error_make (err, EINVAL, "invalid detach keys `%s`", spec);
  if (keys->n == 0)
    return cc_error_make (err, EINVAL, "invalid detach keys `%s`", spec);
  return 0;
}

struct client
{
  int sock;
  bool terminal, stdin_open, raw, reading;
  struct cc_detach_keys keys;
  size_t matched; /* how much of the detach keys was typed last */
  struct winsize size;
};

static int
send_msg (int sock, char tag, const void *data, size_t len)
{
  char msg[1 + CHUNK];

  msg[0] = tag;
  memcpy (msg + 1, data, len);
  while (send (sock, msg, len + 1, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

static void
sync_size (struct client *cl)
{
  struct winsize ws;

  if (cl->terminal && ioctl (0, TIOCGWINSZ, &ws) == 0 && memcmp (&ws, &cl->size, sizeof (ws)) != 0
      && send_msg (cl->sock, 'w', &ws, sizeof (ws)) == 0)
    cl->size = ws;
}

/* Our keystrokes to the container, all but the detach keys: a prefix of
   them is held back until the next key says whether they complete it
   (then we detach) or not (then they go too, as Docker does).  True:
   detached.  */
static bool
forward_input (struct client *cl, const unsigned char *in, size_t len)
{
  unsigned char out[2 * CHUNK];
  size_t n = 0;

  for (size_t i = 0; i < len; i++)
    {
      if (in[i] == cl->keys.seq[cl->matched])
        {
          if (++cl->matched == cl->keys.n)
            {
              send_msg (cl->sock, 'd', out, n);
              return true;
            }
          continue;
        }
      memcpy (out + n, cl->keys.seq, cl->matched);
      n += cl->matched;
      cl->matched = in[i] == cl->keys.seq[0] ? 1 : 0;
      if (cl->matched == 0)
        out[n++] = in[i];
    }
  for (size_t off = 0; off < n; off += CHUNK)
    if (send_msg (cl->sock, 'd', out + off, n - off < CHUNK ? n - off : CHUNK) < 0)
      return false;
  return false;
}

/* True: detached.  */
static bool
read_input (struct client *cl)
{
  unsigned char buf[CHUNK];
  ssize_t n = read (0, buf, sizeof (buf));

  if (n < 0 && errno == EINTR)
    return false;
  /* Our EOF is not the container's: its stdin stays open for the next
     client, as with Docker's stdin_once false.  */
  if (n <= 0)
    {
      cl->reading = false;
      return false;
    }
  return forward_input (cl, buf, (size_t)n);
}

/* False: the container's output ended.  */
static bool
write_output (struct client *cl)
{
  char msg[1 + CHUNK];
  ssize_t n = recv (cl->sock, msg, sizeof (msg), 0);

  if (n < 0 && errno == EINTR)
    return true;
  if (n <= 0)
    return false;
  /* Bytes only, never interpreted here: whatever escape sequences the
     container writes are our terminal's business, as with Docker.  */
  if (cc_write_all (msg[0] == '2' ? 2 : 1, msg + 1, (size_t)n - 1) < 0)
    return false;
  return true;
}

static int
connect_console (const char *id, struct client *cl, cc_error_t *err)
{
  cleanup_close int dirfd = -1, fd = -1;
  struct sockaddr_un sa;
  char hello[2];

  if (cc_runtime_check_id (id, err) < 0 || console_address (id, &sa, &dirfd, err) < 0)
    return -1;
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return cc_error_make (err, errno, "socket");
  if (connect (fd, (struct sockaddr *)&sa, sizeof (sa)) < 0)
    return cc_error_make (err, errno, "connect to the console of `%s`", id);
  if (recv (fd, hello, sizeof (hello), 0) != 2 || hello[0] != 'h')
    return cc_error_make (err, EPROTO, "the console of `%s` closed", id);
  cl->terminal = hello[1] & HELLO_TERMINAL;
  cl->stdin_open = hello[1] & HELLO_STDIN;
  cl->sock = get_and_reset (&fd);
  return 0;
}

bool
cc_runtime_has_console (const char *id)
{
  cleanup_free char *path = cc_runtime_file (id, CONSOLE_NAME);

  return cc_runtime_check_id (id, NULL) == 0 && access (path, F_OK) == 0;
}

static int
relay (struct client *cl, const struct cc_console_opts *o)
{
  while (true)
    {
      struct pollfd p[2] = { { cl->sock, POLLIN, 0 }, { cl->reading ? 0 : -1, POLLIN, 0 } };
      if (poll (p, 2, 100) < 0 && errno != EINTR)
        return 0;
      if (o->tick && o->tick (o->opaque))
        return CC_CONSOLE_DETACHED;
      if (cl->raw)
        sync_size (cl);
      if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && ! write_output (cl))
        return 0;
      if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && read_input (cl))
        return CC_CONSOLE_DETACHED;
    }
}

int
cc_runtime_console (const char *id, const struct cc_console_opts *o, cc_error_t *err)
{
  struct client cl = { .sock = -1 };
  struct termios saved, raw;
  int ret;

  if (cc_runtime_detach_keys_parse (o->detach_keys, &cl.keys, err) < 0 || connect_console (id, &cl, err) < 0)
    return -1;
  cl.reading = cl.stdin_open && ! o->no_stdin;
  /* Raw, as `docker attach`: ^C and the detach keys travel as bytes and
     the container's line discipline does the rest.  */
  if (cl.reading && cl.terminal && tcgetattr (0, &saved) == 0)
    {
      raw = saved;
      cfmakeraw (&raw);
      cl.raw = tcsetattr (0, TCSANOW, &raw) == 0;
      sync_size (&cl);
    }
  ret = relay (&cl, o);
  if (cl.raw)
    tcsetattr (0, TCSANOW, &saved);
  close (cl.sock);
  return ret;
}
