/* The stdio of a process in a container, relayed through pipes (issue
   12): it gets the read end of one pipe as stdin and the write ends of
   two as stdout and stderr, never a descriptor of the caller's.  The
   caller's terminal would take TIOCSTI, and a file its shell redirected
   to could be read, chmod'ed through /proc/self/fd, and written to by a
   background process long after the command returned.  Docker and
   conmon relay the same way.

   Each stream copies FROM to TO through a buffer of its own, one read or
   write per ready descriptor, so a stream that waits (a slow reader of
   our stdout, a process that does not read its stdin) never holds up
   the others.  A stream ends on EOF of its source or on an error of its
   destination, and then closes the pipe end we own: the program sees EOF
   on stdin, or EPIPE on a stdout nobody reads any more.  Once the
   process exited, what its pipes already hold is copied and no more (a
   background process writing forever cannot keep the caller), and our
   ends close: whatever it left behind gets EOF or EPIPE, never the
   caller's files.

   The copying is driven by the poll results given to it and does its
   I/O through an ops table, so fuzz/fuzz-relay.c can feed it any
   sequence of chunks, closes and errors.  */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "runtime/internal.h"

static ssize_t
sys_read (void *opaque, int fd, void *buf, size_t len)
{
  (void)opaque;
  return read (fd, buf, len);
}

static ssize_t
sys_write (void *opaque, int fd, const void *buf, size_t len)
{
  (void)opaque;
  return write (fd, buf, len);
}

static int64_t
sys_pending (void *opaque, int fd)
{
  int n = 0;

  (void)opaque;
  return ioctl (fd, FIONREAD, &n) < 0 ? 0 : n;
}

static void
sys_close (void *opaque, int fd)
{
  (void)opaque;
  close (fd);
}

const struct cc_relay_ops cc_relay_sys_ops = { sys_read, sys_write, sys_pending, sys_close, NULL };

/* Field by field: the buffers are left untouched (exec is on the hot
   path of healthchecks, and most programs write little).  */
void
cc_relay_init (struct cc_relay *r, const struct cc_relay_ops *ops)
{
  r->ops = ops;
  r->exited = false;
  for (int i = 0; i < CC_RELAY_N; i++)
    {
      struct cc_relay_stream *s = &r->s[i];
      s->from = s->to = -1;
      s->own_from = s->own_to = s->eof = s->broken = false;
      s->budget = -1;
      s->start = s->end = 0;
      s->read_total = s->written_total = 0;
    }
}

void
cc_relay_add (struct cc_relay *r, enum cc_relay_index i, int from, bool own_from, int to, bool own_to)
{
  struct cc_relay_stream *s = &r->s[i];

  s->from = from;
  s->to = to;
  s->own_from = own_from;
  s->own_to = own_to;
}

static bool
is_empty (const struct cc_relay_stream *s)
{
  return s->start == s->end;
}

static bool
wants_read (const struct cc_relay_stream *s)
{
  return s->from >= 0 && s->to >= 0 && ! s->eof && ! s->broken && s->budget != 0 && is_empty (s);
}

static bool
wants_write (const struct cc_relay_stream *s)
{
  return s->to >= 0 && ! s->broken && ! is_empty (s);
}

bool
cc_relay_stream_done (const struct cc_relay_stream *s)
{
  return ! wants_read (s) && ! wants_write (s);
}

bool
cc_relay_done (const struct cc_relay *r)
{
  for (int i = 0; i < CC_RELAY_N; i++)
    if (! cc_relay_stream_done (&r->s[i]))
      return false;
  return r->exited;
}

static void
close_owned (struct cc_relay *r, struct cc_relay_stream *s)
{
  if (s->own_from && s->from >= 0)
    r->ops->close (r->ops->opaque, s->from);
  if (s->own_to && s->to >= 0)
    r->ops->close (r->ops->opaque, s->to);
  s->from = s->to = -1;
  s->start = s->end = 0;
}

static void
read_some (struct cc_relay *r, struct cc_relay_stream *s)
{
  size_t room = sizeof (s->buf);
  ssize_t n;

  if (s->budget >= 0 && (uint64_t)s->budget < room)
    room = (size_t)s->budget;
  n = r->ops->read (r->ops->opaque, s->from, s->buf, room);
  if (n > 0)
    {
      s->start = 0;
      s->end = (size_t)n;
      s->read_total += (uint64_t)n;
      if (s->budget > 0)
        s->budget -= n;
    }
  else if (n == 0 || (errno != EINTR && errno != EAGAIN))
    s->eof = true;
}

/* A destination that takes nothing (an error, or 0 bytes of a write
   that asked for more) is broken: what was not written is dropped.  */
static void
write_some (struct cc_relay *r, struct cc_relay_stream *s)
{
  ssize_t n = r->ops->write (r->ops->opaque, s->to, s->buf + s->start, s->end - s->start);

  if (n > 0)
    {
      s->start += (size_t)n;
      s->written_total += (uint64_t)n;
      if (is_empty (s))
        s->start = s->end = 0;
    }
  else if (n == 0 || (errno != EINTR && errno != EAGAIN))
    {
      s->broken = true;
      s->start = s->end = 0;
    }
}

/* Anything but "nothing to report" (POLLHUP, POLLERR, POLLNVAL too): the
   read or write that follows says what it is.  */
static bool
ready (const struct pollfd *p)
{
  return p->fd >= 0 && p->revents != 0;
}

void
cc_relay_poll_fds (const struct cc_relay *r, struct pollfd p[CC_RELAY_POLL_FDS])
{
  for (int i = 0; i < CC_RELAY_N; i++)
    {
      const struct cc_relay_stream *s = &r->s[i];
      p[2 * i] = (struct pollfd){ wants_read (s) ? s->from : -1, POLLIN, 0 };
      p[2 * i + 1] = (struct pollfd){ wants_write (s) ? s->to : -1, POLLOUT, 0 };
    }
}

void
cc_relay_dispatch (struct cc_relay *r, const struct pollfd p[CC_RELAY_POLL_FDS])
{
  for (int i = 0; i < CC_RELAY_N; i++)
    {
      struct cc_relay_stream *s = &r->s[i];
      if (ready (&p[2 * i]) && wants_read (s))
        read_some (r, s);
      if (ready (&p[2 * i + 1]) && wants_write (s))
        write_some (r, s);
      if (cc_relay_stream_done (s))
        close_owned (r, s);
    }
}

/* What the exited process's pipes hold now is all that is still
   copied; input for it is dropped.  */
void
cc_relay_exit (struct cc_relay *r)
{
  r->exited = true;
  for (int i = 0; i < CC_RELAY_N; i++)
    {
      struct cc_relay_stream *s = &r->s[i];
      if (s->from >= 0 && s->own_from && ! s->eof && ! s->broken)
        {
          int64_t n = r->ops->pending (r->ops->opaque, s->from);
          s->budget = n > 0 ? n : 0;
        }
      else if (! s->own_from)
        s->broken = true;
      if (cc_relay_stream_done (s))
        close_owned (r, s);
    }
}

void
cc_relay_close (struct cc_relay *r)
{
  for (int i = 0; i < CC_RELAY_N; i++)
    close_owned (r, &r->s[i]);
}

/* GONE_FD turns readable when the process is gone (a pidfd); without
   one (valgrind has no pidfd_open) GONE is asked every few ms.  */
void
cc_relay_run (struct cc_relay *r, int gone_fd, bool (*gone) (void *opaque), void *opaque)
{
  enum
  {
    GONE_POLL_MS = 10
  };

  while (! cc_relay_done (r))
    {
      struct pollfd p[CC_RELAY_POLL_FDS + 1];
      int timeout = r->exited || gone_fd >= 0 ? -1 : GONE_POLL_MS;

      cc_relay_poll_fds (r, p);
      p[CC_RELAY_POLL_FDS] = (struct pollfd){ r->exited ? -1 : gone_fd, POLLIN, 0 };
      if (poll (p, CC_RELAY_POLL_FDS + 1, timeout) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      cc_relay_dispatch (r, p);
      if (! r->exited && (gone_fd >= 0 ? p[CC_RELAY_POLL_FDS].revents != 0 : gone (opaque)))
        cc_relay_exit (r);
    }
  cc_relay_close (r);
}
