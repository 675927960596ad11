/* Build progress, as BuildKit prints it.  plain: one numbered vertex per
   step (`#7 [web 2/5] RUN make`), its output streamed with the time since
   the step started (`#7 0.213 ok`), then `#7 DONE 0.3s`, `#7 CACHED` or
   `#7 ERROR: ...`.  tty: one line per step once it ends (`=> [web 2/5]
   RUN make  0.3s`, `=> CACHED [web 1/5] ...`), the running step's output
   streamed indented.  quiet: nothing.  Lines are written whole with one
   write each, so stages built in parallel by forked children interleave
   by lines, never inside one.  */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builder/exec.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

int64_t
cc_bld_now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
emit (struct cc_bld_progress *p, const char *text)
{
  if (p->mode == CC_PROGRESS_QUIET)
    return;
  fputs (text, p->out);
  fflush (p->out);
}

void
cc_bld_progress_line (struct cc_bld_progress *p, const char *fmt, ...)
{
  cleanup_free char *text = NULL;
  cleanup_free char *line = NULL;
  va_list ap;

  va_start (ap, fmt);
  text = xvasprintf (fmt, ap);
  va_end (ap);
  line = xasprintf ("%s\n", text);
  emit (p, line);
}

void
cc_bld_vertex_start (struct cc_bld_vertex *v, struct cc_bld_progress *p, int number, const char *name)
{
  memset (v, 0, sizeof (*v));
  v->p = p;
  v->number = number;
  v->name = xstrdup (name);
  v->start_ms = cc_bld_now_ms ();
  if (p->mode == CC_PROGRESS_PLAIN)
    cc_bld_progress_line (p, "#%d %s", number, name);
}

void
cc_bld_vertex_cached (struct cc_bld_vertex *v)
{
  if (v->p->mode == CC_PROGRESS_PLAIN)
    cc_bld_progress_line (v->p, "#%d CACHED", v->number);
  else
    cc_bld_progress_line (v->p, " => CACHED %s", v->name);
}

static double
elapsed (const struct cc_bld_vertex *v)
{
  return (double)(cc_bld_now_ms () - v->start_ms) / 1000.0;
}

static void
keep_tail (struct cc_bld_vertex *v, const char *line, size_t len)
{
  size_t n = sizeof (v->tail) / sizeof (v->tail[0]);

  free (v->tail[v->next_tail]);
  v->tail[v->next_tail] = xstrndup (line, len);
  v->next_tail = (v->next_tail + 1) % n;
  if (v->n_tail < n)
    v->n_tail++;
}

static void
output_line (struct cc_bld_vertex *v, const char *line, size_t len)
{
  keep_tail (v, line, len);
  if (v->p->mode == CC_PROGRESS_PLAIN)
    cc_bld_progress_line (v->p, "#%d %.3f %.*s", v->number, elapsed (v), (int)len, line);
  else if (v->p->mode == CC_PROGRESS_TTY)
    cc_bld_progress_line (v->p, " => => # %.*s", (int)len, line);
}

void
cc_bld_vertex_output (struct cc_bld_vertex *v, const char *data, size_t len)
{
  cc_buf_append (&v->partial, data, len);
  for (;;)
    {
      char *nl = memchr (v->partial.data, '\n', v->partial.len);
      size_t n;
      if (nl == NULL)
        break;
      n = (size_t)(nl - v->partial.data);
      output_line (v, v->partial.data, n);
      memmove (v->partial.data, nl + 1, v->partial.len - n - 1);
      v->partial.len -= n + 1;
      v->partial.data[v->partial.len] = '\0';
    }
}

static void
flush_partial (struct cc_bld_vertex *v)
{
  if (v->partial.len > 0)
    output_line (v, v->partial.data, v->partial.len);
  cc_buf_reset (&v->partial);
}

void
cc_bld_vertex_done (struct cc_bld_vertex *v)
{
  flush_partial (v);
  if (v->p->mode == CC_PROGRESS_PLAIN)
    cc_bld_progress_line (v->p, "#%d DONE %.1fs", v->number, elapsed (v));
  else
    cc_bld_progress_line (v->p, " => %s  %.1fs", v->name, elapsed (v));
}

void
cc_bld_vertex_error (struct cc_bld_vertex *v, const char *msg)
{
  flush_partial (v);
  if (v->p->mode == CC_PROGRESS_PLAIN)
    cc_bld_progress_line (v->p, "#%d ERROR: %s", v->number, msg);
  else
    cc_bld_progress_line (v->p, " => ERROR %s  %.1fs", v->name, elapsed (v));
}

char *
cc_bld_vertex_tail (struct cc_bld_vertex *v)
{
  struct cc_buf b = { 0 };
  size_t n = sizeof (v->tail) / sizeof (v->tail[0]);
  size_t first = v->n_tail < n ? 0 : v->next_tail;

  flush_partial (v);
  for (size_t i = 0; i < v->n_tail; i++)
    {
      cc_buf_printf (&b, "%s%s", i ? "\n" : "", v->tail[(first + i) % n]);
    }
  return cc_buf_steal (&b);
}

void
cc_bld_vertex_release (struct cc_bld_vertex *v)
{
  for (size_t i = 0; i < sizeof (v->tail) / sizeof (v->tail[0]); i++)
    free (v->tail[i]);
  free (v->name);
  cc_buf_reset (&v->partial);
  memset (v, 0, sizeof (*v));
}
