/* Reading and following the json-file logs the monitors write.  A follower
   tracks a container by name, not by file: when the file is rotated or the
   container recreated, it drains the old file to its end, then reads the
   new one from its start, so no line is lost.  Restarts write on into the
   same file.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/logs.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/gzip.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

struct source
{
  char *name;
  char *path;
  int fd;
  ino_t ino;
  struct cc_buf partial;
  int index;
  bool done;
};

static void
source_release (struct source *s)
{
  if (s->fd >= 0)
    close (s->fd);
  free (s->name);
  free (s->path);
  cc_buf_reset (&s->partial);
}

static bool
in_window (const struct cc_log_opts *o, const char *time)
{
  if (time == NULL)
    return true;
  /* RFC 3339 with the same zone compares as text.  */
  if (o->since && strcmp (time, o->since) < 0)
    return false;
  if (o->until && strcmp (time, o->until) >= 0)
    return false;
  return true;
}

static void
emit_record (const struct cc_log_opts *o, struct source *s, const char *text, size_t len)
{
  cleanup_cjson cJSON *j = cJSON_ParseWithLength (text, len);
  const char *log, *stream, *time;
  struct cc_log_line line;
  size_t l;

  if (j == NULL)
    return;
  log = cc_json_get_string (j, "log");
  stream = cc_json_get_string (j, "stream");
  time = cc_json_get_string (j, "time");
  if (log == NULL || ! in_window (o, time))
    return;
  l = strlen (log);
  if (l && log[l - 1] == '\n')
    l--;
  line = (struct cc_log_line){
    .container = s->name, .index = s->index, .stream = stream ? stream : "stdout", .time = time, .text = log, .len = l
  };
  o->fn (o->opaque, &line);
}

/* Whole records of BUF go out; a trailing partial one waits for more.  */
static void
drain (const struct cc_log_opts *o, struct source *s)
{
  char chunk[65536];
  ssize_t n;

  while ((n = read (s->fd, chunk, sizeof (chunk))) > 0)
    {
      char *start, *nl;
      size_t used = 0;
      cc_buf_append (&s->partial, chunk, (size_t)n);
      start = s->partial.data;
      while ((nl = memchr (start + used, '\n', s->partial.len - used)))
        {
          emit_record (o, s, start + used, (size_t)(nl - (start + used)));
          used = (size_t)(nl - start) + 1;
        }
      if (used)
        {
          memmove (s->partial.data, s->partial.data + used, s->partial.len - used);
          s->partial.len -= used;
          s->partial.data[s->partial.len] = '\0';
        }
    }
}

static void
reopen_if_replaced (struct source *s)
{
  struct stat st;

  if (stat (s->path, &st) < 0 || (s->fd >= 0 && st.st_ino == s->ino))
    return;
  if (s->fd >= 0)
    close (s->fd);
  s->fd = open (s->path, O_RDONLY | O_CLOEXEC);
  s->ino = st.st_ino;
  cc_buf_reset (&s->partial);
}

/* Rotated file I, gzipped with `compress` (<file>.I.gz), or -1.  */
static int
open_rotated (const char *path, int i)
{
  cleanup_free char *p = xasprintf ("%s.%d", path, i), *gz = xasprintf ("%s.%d.gz", path, i);
  cleanup_error cc_error_t err = NULL;
  int fd = open (p, O_RDONLY | O_CLOEXEC);

  if (fd >= 0 || access (gz, F_OK) < 0)
    return fd;
  return cc_gunzip_file (gz, &err);
}

/* Rotated files (.N ... .1) hold older lines: read them first (the
   runtime keeps at most 100 files).  */
static void
read_rotated (const struct cc_log_opts *o, struct source *s)
{
  for (int i = 99; i >= 1; i--)
    {
      struct source r = { .name = s->name, .index = s->index, .fd = open_rotated (s->path, i) };
      if (r.fd < 0)
        continue;
      drain (o, &r);
      close (r.fd);
      cc_buf_reset (&r.partial);
    }
}

static bool
has_stopped (const char *name)
{
  cleanup_free char *status = cc_engine_container_status (name, NULL);
  return strcmp (status, "exited") == 0 || strcmp (status, "missing") == 0 || strcmp (status, "created") == 0;
}

/* --tail N: collect every line, then emit the last N of each container.  */
struct tail
{
  const struct cc_log_opts *o;
  struct cc_log_line *lines;
  char **texts;
  size_t n, cap;
};

static void
collect (void *opaque, const struct cc_log_line *line)
{
  struct tail *t = opaque;

  if (t->n == t->cap)
    {
      t->cap = t->cap ? 2 * t->cap : 256;
      t->lines = xreallocarray (t->lines, t->cap, sizeof (*t->lines));
      t->texts = xreallocarray (t->texts, t->cap * 3, sizeof (char *));
    }
  t->lines[t->n] = *line;
  t->texts[3 * t->n] = xstrndup (line->text, line->len);
  t->texts[3 * t->n + 1] = line->time ? xstrdup (line->time) : NULL;
  t->texts[3 * t->n + 2] = xstrdup (line->stream);
  t->lines[t->n].text = t->texts[3 * t->n];
  t->lines[t->n].time = t->texts[3 * t->n + 1];
  t->lines[t->n].stream = t->texts[3 * t->n + 2];
  t->n++;
}

static void
read_history (const struct cc_log_opts *o, struct source *s)
{
  struct cc_log_opts copy = *o;
  struct tail t = { .o = o };

  if (o->tail < 0)
    {
      read_rotated (o, s);
      drain (o, s);
      return;
    }
  copy.fn = collect;
  copy.opaque = &t;
  read_rotated (&copy, s);
  drain (&copy, s);
  for (size_t i = t.n > (size_t)o->tail ? t.n - (size_t)o->tail : 0; i < t.n; i++)
    o->fn (o->opaque, &t.lines[i]);
  for (size_t i = 0; i < 3 * t.n; i++)
    free (t.texts[i]);
  free (t.texts);
  free (t.lines);
}

/* A container whose driver keeps nothing (`none`, syslog without its
   cache) has no logs to read:
   Docker Compose warns and goes on with the others, as here.  */
static bool
log_readable (const char *name)
{
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;
  cleanup_error cc_error_t err = NULL;

  if (cc_runtime_spec_of (name, &spec, &err) < 0 || spec->log_driver == NULL)
    return true;
  if (strcmp (spec->log_driver, "none") != 0
      && ! (strcmp (spec->log_driver, "syslog") == 0 && spec->log_cache_disabled))
    return true;
  cc_warn ("Can't retrieve logs for \"%s\": configured logging driver does not support reading", name);
  return false;
}

char *
cc_engine_log_label (const char *project, const char *name, const cJSON *entry)
{
  const char *service = cc_json_get_string (entry, "service");
  cleanup_free char *fallback = NULL;

  if (service == NULL)
    return xstrdup (name);
  fallback = cc_paths_container_name (project, service, (int)cc_json_get_int (entry, "number", 1));
  /* (with --compatibility the default name, hence the label, has `_`) */
  return xstrdup (strcmp (fallback, name) == 0 ? name + strlen (project) + 1 : name);
}

int
cc_engine_logs (char *const *names, const struct cc_log_opts *o, cc_error_t *err)
{
  size_t n = cc_strv_len (names);
  cleanup_free struct source *src = xzalloc ((n + 1) * sizeof (*src));
  int64_t done_since = -1;
  bool all_done;

  (void)err;
  for (size_t i = 0; i < n; i++)
    {
      src[i] = (struct source){
        .name = xstrdup (names[i]), .path = cc_runtime_log_path (names[i]), .fd = -1, .index = (int)i
      };
      if (! log_readable (names[i]))
        {
          src[i].done = true;
          continue;
        }
      reopen_if_replaced (&src[i]);
      if (src[i].fd >= 0)
        read_history (o, &src[i]);
    }
  while (o->follow)
    {
      all_done = true;
      for (size_t i = 0; i < n; i++)
        {
          bool stopped = src[i].done || has_stopped (src[i].name);
          if (src[i].done)
            continue;
          if (src[i].fd >= 0)
            drain (o, &src[i]);
          reopen_if_replaced (&src[i]);
          if (src[i].fd >= 0)
            drain (o, &src[i]);
          if (! stopped)
            all_done = false;
        }
      /* `restart` stops, then starts: a stop must last a moment before the
         follower believes it, or it would quit in the gap and lose lines.  */
      if (! all_done)
        done_since = -1;
      else if (done_since < 0)
        done_since = cc_engine_now_ms ();
      if (all_done && ! o->keep_following && cc_engine_now_ms () - done_since >= o->settle_ms)
        break;
      if (o->should_stop && o->should_stop (o->opaque))
        break;
      usleep (50000);
    }
  for (size_t i = 0; i < n; i++)
    source_release (&src[i]);
  return 0;
}
