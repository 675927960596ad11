/* The stdio relay of `exec` (runtime/relay.c) against a scripted kernel:
   the input decides, one byte at a time, which descriptors poll reports
   ready, what each read returns (a chunk, EOF, EAGAIN, EINTR, EIO), what
   each write takes (part, all, EAGAIN, EINTR, EPIPE, nothing), when the
   process exits and how much its pipes still hold then.  Once the input
   runs out, every descriptor is ready, the program's pipes never end (a
   background process writing forever) and the caller takes everything.

   Checked: each stream delivers its source's bytes in order, none lost
   or doubled unless its destination broke; a stream that ended closes
   the pipe end it owns at once (EOF to the program's stdin, EPIPE to a
   stdout nobody reads) and never the caller's descriptors; after the
   exit no more is read than the pipe held; the relay ends within a
   bounded number of rounds once the input is exhausted.  */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "lib/cleanup.h"
#include "runtime/internal.h"

CC_FUZZ_QUIET_INIT

/* Descriptors: the caller's stdin, stdout, stderr and our pipe ends.  */
enum
{
  CALLER_IN = 100,
  PIPE_IN = 101,
  PIPE_OUT = 110,
  CALLER_OUT = 111,
  PIPE_ERR = 120,
  CALLER_ERR = 121,
  MAX_ROUNDS_AFTER_INPUT = 100000,
};

struct end
{
  int fd;
  bool owned, closed;
  bool eof;         /* a source that said EOF says it again */
  bool broken;      /* a sink that said EPIPE says it again */
  uint64_t count;   /* bytes produced, or taken */
  uint64_t pending; /* what the pipe held when the process exited */
};

struct script
{
  const uint8_t *data;
  size_t size, pos;
  struct end ends[6];
};

static bool
exhausted (const struct script *s)
{
  return s->pos >= s->size;
}

static uint8_t
next (struct script *s)
{
  return exhausted (s) ? 0 : s->data[s->pos++];
}

static struct end *
end_of (struct script *s, int fd)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (s->ends); i++)
    if (s->ends[i].fd == fd)
      return &s->ends[i];
  abort ();
}

/* The byte at OFFSET of the stream whose source is FD.  */
static uint8_t
pattern (int fd, uint64_t offset)
{
  return (uint8_t)(offset * 131u + (offset >> 8) + (uint64_t)fd * 17u);
}

static int
sink_source (int sink)
{
  return sink == PIPE_IN ? CALLER_IN : sink == CALLER_OUT ? PIPE_OUT : PIPE_ERR;
}

static ssize_t
fail_with (int e)
{
  errno = e;
  return -1;
}

static ssize_t
fake_read (void *opaque, int fd, void *buf, size_t len)
{
  struct script *s = opaque;
  struct end *e = end_of (s, fd);
  uint8_t b = next (s);
  size_t n;

  if (e->closed || len == 0)
    abort ();
  if (e->eof)
    return 0;
  if (exhausted (s))
    n = len < 1000 ? len : 1000;
  else
    switch (b % 8)
      {
      case 0:
        e->eof = true;
        return 0;
      case 1:
        return fail_with (EAGAIN);
      case 2:
        return fail_with (EINTR);
      case 3:
        return fail_with (EIO);
      default:
        n = (size_t)(b >> 3) * 97 + next (s) + 1;
        n = n < len ? n : len;
      }
  for (size_t i = 0; i < n; i++)
    ((uint8_t *)buf)[i] = pattern (fd, e->count + i);
  e->count += n;
  return (ssize_t)n;
}

static ssize_t
fake_write (void *opaque, int fd, const void *buf, size_t len)
{
  struct script *s = opaque;
  struct end *e = end_of (s, fd);
  uint8_t b = next (s);
  size_t n;

  if (e->closed || len == 0)
    abort ();
  if (e->broken)
    return fail_with (EPIPE);
  if (exhausted (s))
    n = len;
  else
    switch (b % 8)
      {
      case 0:
        e->broken = true;
        return fail_with (EPIPE);
      case 1:
        return fail_with (EAGAIN);
      case 2:
        return fail_with (EINTR);
      case 3:
        return 0;
      default:
        n = (size_t)(b >> 3) * 211 + next (s) + 1;
        n = n < len ? n : len;
      }
  /* In order, each byte once: the source's bytes from where we were.  */
  for (size_t i = 0; i < n; i++)
    if (((const uint8_t *)buf)[i] != pattern (sink_source (fd), e->count + i))
      abort ();
  e->count += n;
  return (ssize_t)n;
}

static int64_t
fake_pending (void *opaque, int fd)
{
  struct script *s = opaque;
  struct end *e = end_of (s, fd);

  if (e->closed)
    abort ();
  e->pending = (uint64_t)next (s) * 37;
  e->pending += next (s);
  return (int64_t)e->pending;
}

static void
fake_close (void *opaque, int fd)
{
  struct end *e = end_of (opaque, fd);

  if (! e->owned || e->closed)
    abort ();
  e->closed = true;
}

/* A stream that ended has let go of its pipe at once.  */
static void
check_streams (const struct cc_relay *r, struct script *s)
{
  static const int pipes[CC_RELAY_N] = { PIPE_IN, PIPE_OUT, PIPE_ERR };

  for (int i = 0; i < CC_RELAY_N; i++)
    {
      const struct cc_relay_stream *st = &r->s[i];
      if (st->written_total > st->read_total)
        abort ();
      if (cc_relay_stream_done (st) && ! end_of (s, pipes[i])->closed)
        abort ();
    }
}

static void
round_of (struct cc_relay *r, struct script *s)
{
  struct pollfd p[CC_RELAY_POLL_FDS];

  cc_relay_poll_fds (r, p);
  for (int i = 0; i < CC_RELAY_POLL_FDS; i++)
    {
      static const short kinds[] = { 0, POLLIN, POLLOUT, POLLHUP, POLLERR, POLLNVAL };
      size_t b = exhausted (s) ? (size_t)(1 + i % 2) : next (s) % CC_N_ELEMENTS (kinds);
      p[i].revents = p[i].fd >= 0 ? kinds[b] : 0;
    }
  cc_relay_dispatch (r, p);
  check_streams (r, s);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct script s = {
    .data = data,
    .size = size,
    .ends = { { .fd = CALLER_IN },
              { .fd = PIPE_IN, .owned = true },
              { .fd = PIPE_OUT, .owned = true },
              { .fd = CALLER_OUT },
              { .fd = PIPE_ERR, .owned = true },
              { .fd = CALLER_ERR } },
  };
  const struct cc_relay_ops ops = { fake_read, fake_write, fake_pending, fake_close, &s };
  struct cc_relay *r = malloc (sizeof (*r));
  uint64_t limit[CC_RELAY_N];
  long rounds = 0;

  if (r == NULL)
    return 0;
  cc_relay_init (r, &ops);
  cc_relay_add (r, CC_RELAY_STDIN, CALLER_IN, false, PIPE_IN, true);
  cc_relay_add (r, CC_RELAY_STDOUT, PIPE_OUT, true, CALLER_OUT, false);
  cc_relay_add (r, CC_RELAY_STDERR, PIPE_ERR, true, CALLER_ERR, false);
  /* The process runs while the input says so (0xff: it exits).  */
  while (! exhausted (&s) && next (&s) != 0xff)
    round_of (r, &s);
  for (int i = 0; i < CC_RELAY_N; i++)
    limit[i] = r->s[i].read_total;
  cc_relay_exit (r);
  limit[CC_RELAY_STDOUT] += end_of (&s, PIPE_OUT)->pending;
  limit[CC_RELAY_STDERR] += end_of (&s, PIPE_ERR)->pending;
  check_streams (r, &s);
  while (! cc_relay_done (r))
    {
      round_of (r, &s);
      if (exhausted (&s) && ++rounds > MAX_ROUNDS_AFTER_INPUT)
        abort ();
    }
  for (int i = 0; i < CC_RELAY_N; i++)
    {
      const struct cc_relay_stream *st = &r->s[i];
      /* No more than the pipe held at the exit; all of it unless the
         destination broke (stdin's is dropped at the exit).  */
      if (st->read_total > limit[i] || (! st->broken && st->written_total != st->read_total))
        abort ();
    }
  cc_relay_close (r);
  if (! s.ends[1].closed || ! s.ends[2].closed || ! s.ends[4].closed || s.ends[0].closed || s.ends[3].closed
      || s.ends[5].closed)
    abort ();
  free (r);
  return 0;
}
