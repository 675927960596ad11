/* Docker's syslog log driver (issue 15): each line of the container's
   output as one syslog message, from the monitor, never the container
   (it gets no descriptor of the sink).  Formats as Docker's srslog
   writes them:
     rfc3164 over a unix socket: <PRI>Mmm dd hh:mm:ss TAG[PID]: MSG
     rfc3164 over the network:   <PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG
     rfc5424:      <PRI>1 RFC3339 HOST TAG PID TAG - MSG
     rfc5424micro: the same with microseconds
   with PRI = facility * 8 + 6 (stdout, info) or 3 (stderr, err), and a
   newline after each message on a stream socket.  The socket is
   non-blocking: a sink that is gone or slow never holds the monitor up;
   what it cannot take waits in a bounded buffer, beyond which records
   are dropped.  */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

static const char *const months[]
    = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* A message holds no line break and no NUL: a receiver would read what
   follows as a new message with forged fields.  The monitor splits at
   newlines already; a carriage return or NUL becomes a space.  */
static void
append_text (struct cc_buf *b, const char *data, size_t len)
{
  if (len && data[len - 1] == '\n')
    len--;
  for (size_t i = 0; i < len; i++)
    {
      char c = data[i];
      cc_buf_append (b, c == '\n' || c == '\r' || c == '\0' ? " " : &c, 1);
    }
}

char *
cc_syslog_encode (const struct cc_syslog_fmt *f, bool is_stderr, const char *data, size_t len,
                  const struct timespec *ts, size_t *out_len)
{
  struct cc_buf b = { 0 };
  int pri = f->facility * 8 + (is_stderr ? 3 : 6);
  struct tm tm;

  if (f->format == CC_SYSLOG_RFC3164)
    {
      localtime_r (&ts->tv_sec, &tm);
      cc_buf_printf (&b, "<%d>%s %2d %02d:%02d:%02d ", pri, months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
      if (! f->local)
        cc_buf_printf (&b, "%s ", f->hostname);
      cc_buf_printf (&b, "%s[%d]: ", f->tag, f->pid);
    }
  else
    {
      gmtime_r (&ts->tv_sec, &tm);
      cc_buf_printf (&b, "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d", pri, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
      if (f->format == CC_SYSLOG_RFC5424MICRO)
        cc_buf_printf (&b, ".%06ld", ts->tv_nsec / 1000);
      cc_buf_printf (&b, "Z %s %s %d %s - ", f->hostname, f->tag, f->pid, f->tag);
    }
  append_text (&b, data, len);
  if (f->stream)
    cc_buf_puts (&b, "\n");
  *out_len = b.len;
  return cc_buf_steal (&b);
}

/* ---- the socket ----------------------------------------------------------------------- */

static const struct
{
  const char *scheme;
  int family, type;
} schemes[] = {
  { "unix://", AF_UNIX, SOCK_STREAM },
  { "unixgram://", AF_UNIX, SOCK_DGRAM },
  { "udp://", AF_INET, SOCK_DGRAM },
  { "tcp://", AF_INET, SOCK_STREAM },
};

static int
connect_unix (int type, const char *path, cc_error_t *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int fd = socket (AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

  if (strlen (path) >= sizeof (sa.sun_path))
    return cc_error_make (err, ENAMETOOLONG, "syslog address `%s`", path);
  strcpy (sa.sun_path, path);
  if (fd < 0 || connect (fd, (struct sockaddr *)&sa, sizeof (sa)) < 0)
    return cc_error_make (err, errno, "connect to syslog `%s`", path);
  return get_and_reset (&fd);
}

/* A stream connection in progress: made within 2 s, or the error; a
   sink that is not there fails the start, as Docker's dial does.  */
static int
connected (int fd)
{
  struct pollfd p = { fd, POLLOUT, 0 };
  int e = 0;
  socklen_t l = sizeof (e);

  if (poll (&p, 1, 2000) <= 0)
    return ETIMEDOUT;
  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
    return errno;
  return e;
}

/* HOST:PORT.  */
static int
connect_inet (int type, const char *hostport, const char *address, cc_error_t *err)
{
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = type }, *ai = NULL;
  cleanup_free char *host = xstrdup (hostport);
  char *colon = strrchr (host, ':');
  int r, fd;

  /* Docker's default port.  */
  if (colon)
    *colon = '\0';
  r = getaddrinfo (host, colon ? colon + 1 : "514", &hints, &ai);
  if (r != 0)
    return cc_error_make (err, EINVAL, "syslog address `%s`: %s", address, gai_strerror (r));
  fd = socket (ai->ai_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  r = fd < 0 ? errno : connect (fd, ai->ai_addr, ai->ai_addrlen) < 0 ? errno : 0;
  freeaddrinfo (ai);
  if (r == EINPROGRESS)
    r = connected (fd);
  if (r != 0)
    {
      if (fd >= 0)
        close (fd);
      return cc_error_make (err, r, "failed to connect to syslog `%s`", address);
    }
  return fd;
}

/* The local syslog as Docker finds it: /dev/log, datagram then stream.  */
static int
connect_local (struct cc_syslog *s, cc_error_t *err)
{
  cleanup_error cc_error_t first = NULL;

  s->fd = connect_unix (SOCK_DGRAM, "/dev/log", &first);
  if (s->fd >= 0)
    return 0;
  s->fmt.stream = true;
  s->fd = connect_unix (SOCK_STREAM, "/dev/log", err);
  return s->fd < 0 ? -1 : 0;
}

int
cc_syslog_open (struct cc_syslog *s, const char *address, cc_error_t *err)
{
  s->fd = -1;
  s->fmt.local = address == NULL || strncmp (address, "unix", 4) == 0;
  if (address == NULL)
    return connect_local (s, err);
  for (size_t i = 0; i < sizeof (schemes) / sizeof (schemes[0]); i++)
    {
      size_t n = strlen (schemes[i].scheme);
      if (strncmp (address, schemes[i].scheme, n) != 0)
        continue;
      s->fmt.stream = schemes[i].type == SOCK_STREAM;
      s->fd = schemes[i].family == AF_UNIX ? connect_unix (schemes[i].type, address + n, err)
                                           : connect_inet (schemes[i].type, address + n, address, err);
      return s->fd < 0 ? -1 : 0;
    }
  return cc_error_make (err, EINVAL, "unsupported syslog address `%s`", address);
}

/* Send what waits; a socket that is gone drops it.  */
static void
flush (struct cc_syslog *s)
{
  while (s->fd >= 0 && s->pending.len > 0)
    {
      ssize_t n = send (s->fd, s->pending.data, s->pending.len, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n <= 0)
        {
          s->pending.len = 0;
          return;
        }
      memmove (s->pending.data, s->pending.data + n, s->pending.len - (size_t)n);
      s->pending.len -= (size_t)n;
    }
}

void
cc_syslog_write (struct cc_syslog *s, bool is_stderr, const char *data, size_t len)
{
  struct timespec ts;
  size_t n;
  cleanup_free char *msg = NULL;

  if (s->fd < 0)
    return;
  clock_gettime (CLOCK_REALTIME, &ts);
  msg = cc_syslog_encode (&s->fmt, is_stderr, data, len, &ts, &n);
  if (! s->fmt.stream)
    {
      /* One datagram per message; one the receiver cannot take now is
         lost, as with any datagram.  */
      send (s->fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL);
      return;
    }
  flush (s);
  if (s->pending.len + n > (size_t)s->max_pending)
    {
      s->dropped++;
      return;
    }
  cc_buf_append (&s->pending, msg, n);
  flush (s);
}

bool
cc_syslog_full (const struct cc_syslog *s, size_t margin)
{
  return s->fd >= 0 && s->fmt.stream && s->pending.len + margin > (size_t)s->max_pending;
}

void
cc_syslog_on_writable (struct cc_syslog *s)
{
  flush (s);
}

void
cc_syslog_close (struct cc_syslog *s)
{
  if (s->fd >= 0)
    close (s->fd);
  s->fd = -1;
  cc_buf_reset (&s->pending);
  free (s->fmt.tag);
  free (s->fmt.hostname);
  s->fmt.tag = s->fmt.hostname = NULL;
}
