/* Docker's json-file log driver: one JSON object per line,
   {"log":"text\n","stream":"stdout","attrs":{...},"time":"RFC 3339 nanoseconds"}
   ("attrs" only when the options ask for some), rotated by size into
   <file>.1 ... <file>.<max_file - 1>, gzipped as <file>.N.gz with
   `compress`.  The `local` driver keeps the same files (issue 15 lets
   its on-disk format be ours).  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/gzip.h"
#include "lib/json.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

/* Length of the valid UTF-8 sequence at P (of at most LEFT bytes), or 0.  */
static size_t
utf8_len (const unsigned char *p, size_t left)
{
  size_t n;
  unsigned int cp;

  if (p[0] < 0x80)
    return 1;
  if ((p[0] & 0xE0) == 0xC0)
    n = 2, cp = p[0] & 0x1F;
  else if ((p[0] & 0xF0) == 0xE0)
    n = 3, cp = p[0] & 0x0F;
  else if ((p[0] & 0xF8) == 0xF0)
    n = 4, cp = p[0] & 0x07;
  else
    return 0;
  if (n > left)
    return 0;
  for (size_t i = 1; i < n; i++)
    {
      if ((p[i] & 0xC0) != 0x80)
        return 0;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
  /* Overlong forms, surrogates and values past U+10FFFF are invalid.  */
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF
      || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

/* As Go's encoding/json, which Docker uses: <, > and & escaped too,
   invalid UTF-8 replaced by U+FFFD.  */
static void
escape (struct cc_buf *b, const char *data, size_t len)
{
  const unsigned char *p = (const unsigned char *)data;

  for (size_t i = 0; i < len;)
    {
      unsigned char c = p[i];
      size_t n;
      switch (c)
        {
        case '"':
          cc_buf_puts (b, "\\\"");
          i++;
          continue;
        case '\\':
          cc_buf_puts (b, "\\\\");
          i++;
          continue;
        case '\n':
          cc_buf_puts (b, "\\n");
          i++;
          continue;
        case '\r':
          cc_buf_puts (b, "\\r");
          i++;
          continue;
        case '\t':
          cc_buf_puts (b, "\\t");
          i++;
          continue;
        default:
          break;
        }
      if (c < 0x20 || c == '<' || c == '>' || c == '&')
        {
          cc_buf_printf (b, "\\u%04x", c);
          i++;
          continue;
        }
      n = utf8_len (p + i, len - i);
      if (n == 0)
        {
          cc_buf_puts (b, "\\ufffd");
          i++;
          continue;
        }
      cc_buf_append (b, p + i, n);
      i += n;
    }
}

char *
cc_jsonlog_encode (const char *data, size_t len, const char *stream, const char *attrs, const struct timespec *ts)
{
  struct cc_buf b = { 0 };
  cleanup_free char *time = cc_runtime_timestamp (ts);

  cc_buf_puts (&b, "{\"log\":\"");
  escape (&b, data, len);
  cc_buf_printf (&b, "\",\"stream\":\"%s\",", stream);
  if (attrs)
    cc_buf_printf (&b, "\"attrs\":%s,", attrs);
  cc_buf_printf (&b, "\"time\":\"%s\"}\n", time);
  return cc_buf_steal (&b);
}

char *
cc_jsonlog_attrs (char *const *attrs)
{
  struct cc_buf b = { 0 };

  if (attrs == NULL || *attrs == NULL)
    return NULL;
  cc_buf_puts (&b, "{");
  for (char *const *a = attrs; *a; a++)
    {
      const char *eq = strchr (*a, '=');
      if (eq == NULL)
        continue;
      cc_buf_puts (&b, a == attrs ? "\"" : ",\"");
      escape (&b, *a, (size_t)(eq - *a));
      cc_buf_puts (&b, "\":\"");
      escape (&b, eq + 1, strlen (eq + 1));
      cc_buf_puts (&b, "\"");
    }
  cc_buf_puts (&b, "}");
  return cc_buf_steal (&b);
}

int
cc_jsonlog_decode (const char *line, char **stream, char **text)
{
  cleanup_cjson cJSON *j = cJSON_Parse (line);
  const char *s, *t;

  if (j == NULL)
    return -1;
  s = cc_json_get_string (j, "stream");
  t = cc_json_get_string (j, "log");
  if (s == NULL || t == NULL)
    return -1;
  *stream = xstrdup (s);
  *text = xstrdup (t);
  return 0;
}

static int
open_log (struct cc_jsonlog *l, cc_error_t *err)
{
  struct stat st;

  l->fd = open (l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (l->fd < 0)
    return cc_error_make (err, errno, "open log `%s`", l->path);
  l->size = fstat (l->fd, &st) == 0 ? st.st_size : 0;
  return 0;
}

int
cc_jsonlog_open (struct cc_jsonlog *l, const char *path, const struct cc_jsonlog_opts *o, cc_error_t *err)
{
  l->path = xstrdup (path);
  l->max_size = o->max_size;
  l->max_file = o->max_file < 1 ? 1 : o->max_file;
  l->compress = o->compress;
  l->attrs = cc_jsonlog_attrs (o->attrs);
  return open_log (l, err);
}

static char *
rotated_name (const struct cc_jsonlog *l, int i)
{
  return xasprintf ("%s.%d%s", l->path, i, l->compress ? ".gz" : "");
}

/* file.(n-2) -> file.(n-1), ..., file -> file.1 (then file.1.gz with
   compress, as Docker's); with max_file 1 the file simply starts over,
   as Docker's does.  */
static int
rotate (struct cc_jsonlog *l, cc_error_t *err)
{
  cleanup_free char *first = xasprintf ("%s.1", l->path);

  close (l->fd);
  l->fd = -1;
  for (int i = l->max_file - 1; i >= 2; i--)
    {
      cleanup_free char *from = rotated_name (l, i - 1), *to = rotated_name (l, i);
      if (rename (from, to) < 0 && errno != ENOENT)
        return cc_error_make (err, errno, "rotate `%s`", from);
    }
  if (l->max_file > 1 && rename (l->path, first) < 0 && errno != ENOENT)
    return cc_error_make (err, errno, "rotate `%s`", l->path);
  if (l->max_file == 1 && truncate (l->path, 0) < 0 && errno != ENOENT)
    return cc_error_make (err, errno, "truncate `%s`", l->path);
  if (l->max_file > 1 && l->compress)
    {
      cleanup_free char *gz = rotated_name (l, 1);
      if (cc_gzip_file (first, gz, err) < 0)
        return -1;
      unlink (first);
    }
  return open_log (l, err);
}

int
cc_jsonlog_write (struct cc_jsonlog *l, const char *stream, const char *data, size_t len, cc_error_t *err)
{
  struct timespec ts;
  cleanup_free char *line = NULL;
  size_t n;

  clock_gettime (CLOCK_REALTIME, &ts);
  line = cc_jsonlog_encode (data, len, stream, l->attrs, &ts);
  n = strlen (line);
  if (l->max_size > 0 && l->size > 0 && l->size + (int64_t)n > l->max_size && rotate (l, err) < 0)
    return -1;
  if (l->fd < 0 && open_log (l, err) < 0)
    return -1;
  if (cc_write_all (l->fd, line, n) < 0)
    return cc_error_make (err, errno, "write log `%s`", l->path);
  l->size += (int64_t)n;
  return 0;
}

void
cc_jsonlog_close (struct cc_jsonlog *l)
{
  if (l->fd >= 0)
    close (l->fd);
  l->fd = -1;
  free (l->path);
  l->path = NULL;
  free (l->attrs);
  l->attrs = NULL;
}
