/* Small helpers shared by the engine: compose durations, names, clocks.  */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/xalloc.h"

static const struct
{
  const char *unit;
  double ms;
} duration_units[] = {
  /* Longest first, so "ms" is not read as "m".  */
  { "ms", 1 }, { "us", 0.001 }, { "µs", 0.001 }, { "ns", 0.000001 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
};

static int
unit_at (const char *p, double *ms, size_t *len)
{
  for (size_t i = 0; i < sizeof (duration_units) / sizeof (duration_units[0]); i++)
    {
      size_t l = strlen (duration_units[i].unit);
      if (strncmp (p, duration_units[i].unit, l) == 0)
        {
          *ms = duration_units[i].ms;
          *len = l;
          return 0;
        }
    }
  return -1;
}

/* TOTAL_MS came from strtod, so it may be huge, "inf" or "nan": casting
   any of those to int64_t is undefined.  A limit of 1e12 ms (~31 years)
   is far above any timeout and far below the int64 range.  */
static int
duration_in_range (const char *text, double total_ms, int64_t *ms, cc_error_t *err)
{
  if (! (total_ms >= 0 && total_ms <= 1e12))
    return cc_error_make (err, ERANGE, "duration `%s` is out of range (at most 1e12 ms)", text);
  *ms = (int64_t)total_ms;
  return 0;
}

int
cc_engine_parse_duration (const char *text, int64_t *ms, cc_error_t *err)
{
  const char *p = text;
  double total = 0;
  char *end;

  if (text == NULL || *text == '\0')
    return cc_error_make (err, EINVAL, "empty duration");
  /* A bare number is seconds, as the compose spec allows for integers.  */
  total = strtod (text, &end);
  if (*end == '\0' && end != text && total >= 0)
    return duration_in_range (text, total * 1000, ms, err);
  total = 0;
  while (*p)
    {
      double v = strtod (p, &end), unit;
      size_t len;
      /* `! (v >= 0)` also refuses "nan", which strtod accepts.  */
      if (end == p || ! (v >= 0) || unit_at (end, &unit, &len) < 0)
        return cc_error_make (err, EINVAL, "invalid duration `%s` (examples: 1m30s, 500ms, 10s)", text);
      total += v * unit;
      p = end + len;
    }
  return duration_in_range (text, total, ms, err);
}

char *
cc_engine_container_name (const char *project, const char *service, int number)
{
  return xasprintf ("%s-%s-%d", project, service, number);
}

int64_t
cc_engine_now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waiting on another process's state: a look every millisecond for the
   first 32 (about the time a quick dependency takes to turn healthy, and
   a look costs ~0.1 ms), then the pace doubles up to 20 ms so a long
   wait costs next to nothing.  Doubling from the start left gaps of 4
   to 16 ms just where conditions are met.  A watch (inotify) is no
   cheaper: closing one that has seen events waits out an SRCU grace
   period, 10-15 ms measured, which is the latency it was to save.  */
static long
backoff_ms (int *step)
{
  int s = (*step)++;

  return s < 32 ? 1 : s < 36 ? 1L << (s - 31) : 20;
}

void
cc_engine_backoff (int *step)
{
  long ms = backoff_ms (step);

  nanosleep (&(struct timespec){ .tv_nsec = ms * 1000000L }, NULL);
}

/* The same pause, cut short by an event on FDS (entries < 0 are
   skipped, as poll does): a waiter with something to watch wakes at the
   change, and still looks again at the backoff's pace in case an event
   is missed or the watch could not be set up.  Returns poll's result.  */
int
cc_engine_backoff_on (int *step, struct pollfd *fds, size_t n)
{
  long ms = backoff_ms (step);

  for (size_t i = 0; i < n; i++)
    if (fds[i].fd >= 0)
      return poll (fds, n, (int)ms);
  nanosleep (&(struct timespec){ .tv_nsec = ms * 1000000L }, NULL);
  return 0;
}
