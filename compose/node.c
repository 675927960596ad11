/* The document tree: construction, copies, and errors that point at a
   node's position in its source file.  */
#include "compose/node.h"
#include "compose/service.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/visible.h"
#include "lib/xalloc.h"

/* Interned file names and the text of every loaded file.  Both live as
   long as the process: nodes point at the names, errors quote the text.  */
struct source
{
  char *file;
  char *text;
  size_t len;
};
static struct source *sources;
static size_t n_sources;

static struct source *
find_source (const char *file)
{
  for (size_t i = 0; i < n_sources; i++)
    if (sources[i].file == file || strcmp (sources[i].file, file) == 0)
      return &sources[i];
  return NULL;
}

const char *
cc_node_intern_file (const char *path)
{
  struct source *s;

  if (path == NULL)
    return NULL;
  s = find_source (path);
  if (s)
    return s->file;
  sources = xreallocarray (sources, n_sources + 1, sizeof (*sources));
  sources[n_sources] = (struct source){ .file = xstrdup (path) };
  return sources[n_sources++].file;
}

void
cc_node_remember_source (const char *file, const char *text, size_t len)
{
  struct source *s = find_source (cc_node_intern_file (file));

  free (s->text);
  s->text = xmemdup (text, len + 1);
  s->text[len] = '\0';
  s->len = len;
}

static struct cc_node *
node_new (enum cc_node_kind kind, const struct cc_node *at)
{
  struct cc_node *n = xzalloc (sizeof (*n));

  n->kind = kind;
  if (at)
    {
      n->file = at->file;
      n->line = at->line;
      n->col = at->col;
    }
  return n;
}

struct cc_node *
cc_node_new_scalar (const char *value, const struct cc_node *at)
{
  struct cc_node *n = node_new (CC_NODE_SCALAR, at);

  n->value = xstrdup (value ? value : "");
  return n;
}

struct cc_node *
cc_node_new_seq (const struct cc_node *at)
{
  return node_new (CC_NODE_SEQ, at);
}

struct cc_node *
cc_node_new_map (const struct cc_node *at)
{
  return node_new (CC_NODE_MAP, at);
}

/* Arrays grow by doubling; the capacity is implied by the length, so the
   node needs no extra field (and ASan's always-moving realloc does not
   make building a long list quadratic).  */
static size_t
capacity_for (size_t len)
{
  size_t c = 4;

  while (c < len)
    c *= 2;
  return c;
}

static void
grow (struct cc_node *n)
{
  size_t cap;

  if (n->items != NULL && n->len < capacity_for (n->len))
    return;
  cap = capacity_for (n->len + 1);
  n->items = xreallocarray (n->items, cap, sizeof (*n->items));
  if (n->kind == CC_NODE_MAP)
    n->keys = xreallocarray (n->keys, cap, sizeof (*n->keys));
}

void
cc_node_seq_append (struct cc_node *seq, struct cc_node *item)
{
  grow (seq);
  seq->items[seq->len++] = item;
}

static ssize_t
map_index (const struct cc_node *map, const char *key)
{
  if (map == NULL || map->kind != CC_NODE_MAP)
    return -1;
  for (size_t i = 0; i < map->len; i++)
    if (strcmp (map->keys[i]->value, key) == 0)
      return (ssize_t)i;
  return -1;
}

void
cc_node_map_set (struct cc_node *map, const char *key, struct cc_node *value)
{
  ssize_t i = map_index (map, key);

  if (i >= 0)
    {
      cc_node_free (map->items[i]);
      map->items[i] = value;
      return;
    }
  grow (map);
  map->keys[map->len] = cc_node_new_scalar (key, value ? value : map);
  map->items[map->len++] = value;
}

void
cc_node_map_remove (struct cc_node *map, const char *key)
{
  ssize_t i = map_index (map, key);

  if (i < 0)
    return;
  cc_node_free (map->keys[i]);
  cc_node_free (map->items[i]);
  memmove (&map->keys[i], &map->keys[i + 1], (map->len - (size_t)i - 1) * sizeof (*map->keys));
  memmove (&map->items[i], &map->items[i + 1], (map->len - (size_t)i - 1) * sizeof (*map->items));
  map->len--;
}

struct cc_node *
cc_node_map_get (const struct cc_node *map, const char *key)
{
  ssize_t i = map_index (map, key);

  return i < 0 ? NULL : map->items[i];
}

const char *
cc_node_map_get_string (const struct cc_node *map, const char *key)
{
  struct cc_node *n = cc_node_map_get (map, key);

  return n && n->kind == CC_NODE_SCALAR ? n->value : NULL;
}

struct cc_node *
cc_node_dup (const struct cc_node *n)
{
  struct cc_node *d;

  if (n == NULL)
    return NULL;
  d = xmemdup (n, sizeof (*n));
  d->value = n->value ? xstrdup (n->value) : NULL;
  d->keys = NULL;
  d->items = NULL;
  if (n->len == 0)
    return d;
  d->items = xreallocarray (NULL, capacity_for (n->len), sizeof (*d->items));
  if (n->kind == CC_NODE_MAP)
    d->keys = xreallocarray (NULL, capacity_for (n->len), sizeof (*d->keys));
  for (size_t i = 0; i < n->len; i++)
    {
      d->items[i] = cc_node_dup (n->items[i]);
      if (n->kind == CC_NODE_MAP)
        d->keys[i] = cc_node_dup (n->keys[i]);
    }
  return d;
}

void
cc_node_free (struct cc_node *n)
{
  if (n == NULL)
    return;
  for (size_t i = 0; i < n->len; i++)
    {
      cc_node_free (n->items[i]);
      if (n->keys)
        cc_node_free (n->keys[i]);
    }
  free (n->items);
  free (n->keys);
  free (n->value);
  free (n);
}

bool
cc_node_equal (const struct cc_node *a, const struct cc_node *b)
{
  if (a->kind != b->kind || a->len != b->len)
    return false;
  if (a->kind == CC_NODE_SCALAR)
    return strcmp (a->value, b->value) == 0;
  for (size_t i = 0; i < a->len; i++)
    {
      if (a->kind == CC_NODE_MAP && strcmp (a->keys[i]->value, b->keys[i]->value) != 0)
        return false;
      if (! cc_node_equal (a->items[i], b->items[i]))
        return false;
    }
  return true;
}

size_t
cc_node_count (const struct cc_node *n)
{
  size_t c = 1;

  if (n == NULL)
    return 0;
  for (size_t i = 0; i < n->len; i++)
    c += cc_node_count (n->items[i]) + (n->keys ? 1 : 0);
  return c;
}

/* Lines longer than this are shown as a window around the column, so a
   hostile one-line file does not flood the terminal.  */
#define EXCERPT_WIDTH 100

static const char *
line_start (const struct source *s, int line)
{
  const char *p = s->text, *end = s->text + s->len;

  for (int l = 1; l < line; l++)
    {
      p = memchr (p, '\n', (size_t)(end - p));
      if (p == NULL)
        return NULL;
      p++;
    }
  return p;
}

/* Byte offset of the COL-th character (1-based; libyaml counts
   characters, not bytes).  */
static size_t
column_offset (const char *p, size_t len, int col)
{
  size_t off = 0;

  for (int c = 1; c < col && off < len; c++)
    {
      off++;
      while (off < len && ((unsigned char)p[off] & 0xC0) == 0x80)
        off++;
    }
  return off;
}

/* Copy a source line to the message with control characters and invalid
   UTF-8 shown as `?` (the error may be about exactly those bytes, and an
   input file must not drive the user's terminal), or for the caret line,
   the whitespace that lines the caret up under it.  */
static void
put_visible (struct cc_buf *b, const char *p, size_t n, bool caret_line)
{
  for (size_t i = 0; i < n;)
    {
      const unsigned char *u = (const unsigned char *)p + i;
      size_t len = cc_utf8_sequence_len (u, n - i);
      bool control = cc_is_terminal_control (u, len, "\t");

      if (caret_line)
        cc_buf_putc (b, *u == '\t' ? '\t' : ' ');
      else if (len == 0 || control)
        cc_buf_putc (b, '?');
      else
        cc_buf_append (b, p + i, len);
      i += len ? len : 1;
    }
}

/* "\n  <line>\n  <caret>" for AT, or nothing when its source is unknown.  */
static void
append_excerpt (struct cc_buf *b, const struct cc_node *at)
{
  const struct source *s = at->file ? find_source (at->file) : NULL;
  const char *p, *eol;
  size_t len, caret, from = 0, to;

  if (s == NULL || s->text == NULL || at->line < 1)
    return;
  p = line_start (s, at->line);
  if (p == NULL)
    return;
  eol = memchr (p, '\n', (size_t)(s->text + s->len - p));
  len = eol ? (size_t)(eol - p) : (size_t)(s->text + s->len - p);
  if (len > 0 && p[len - 1] == '\r')
    len--;
  caret = column_offset (p, len, at->col);
  if (caret > EXCERPT_WIDTH)
    from = caret - EXCERPT_WIDTH / 2;
  to = from + EXCERPT_WIDTH < len ? from + EXCERPT_WIDTH : len;
  while (from > 0 && ((unsigned char)p[from] & 0xC0) == 0x80)
    from--;
  cc_buf_puts (b, "\n  ");
  put_visible (b, p + from, to - from, false);
  cc_buf_puts (b, "\n  ");
  put_visible (b, p + from, caret - from, true);
  cc_buf_putc (b, '^');
}

static void
append_position (struct cc_buf *b, const struct cc_node *at)
{
  if (at == NULL || at->file == NULL)
    return;
  if (at->line > 0)
    cc_buf_printf (b, "%s:%d:%d: ", at->file, at->line, at->col);
  else
    cc_buf_printf (b, "%s: ", at->file);
}

/* Position and message, made visible: both quote names and values from
   the input file (a key may hold an escape sequence).  */
static void __attribute__ ((format (printf, 3, 0)))
append_message (struct cc_buf *b, const struct cc_node *at, const char *fmt, va_list ap)
{
  cleanup_buf struct cc_buf raw = { 0 };

  append_position (&raw, at);
  cc_buf_vprintf (&raw, fmt, ap);
  if (raw.data)
    put_visible (b, raw.data, raw.len, false);
}

int
cc_error_at (cc_error_t *err, const struct cc_node *at, const char *fmt, ...)
{
  cleanup_buf struct cc_buf b = { 0 };
  va_list ap;

  va_start (ap, fmt);
  append_message (&b, at, fmt, ap);
  va_end (ap);
  if (at)
    append_excerpt (&b, at);
  return cc_error_make (err, 0, "%s", b.data ? b.data : "");
}

/* The message for AT (none: no position), with its line's excerpt when
   EXCERPT: errors show the line, warnings only name it.  */
static void __attribute__ ((format (printf, 4, 0)))
message_at (struct cc_buf *b, const struct cc_pos *at, bool excerpt, const char *fmt, va_list ap)
{
  struct cc_node node = { .kind = CC_NODE_SCALAR, .value = (char *)"" };
  bool placed = at && at->file;

  if (placed)
    node.file = at->file, node.line = at->line, node.col = at->col;
  append_message (b, placed ? &node : NULL, fmt, ap);
  if (excerpt && placed)
    append_excerpt (b, &node);
}

int
cc_compose_error_at (cc_error_t *err, const struct cc_pos *at, const char *fmt, ...)
{
  cleanup_buf struct cc_buf b = { 0 };
  va_list ap;

  va_start (ap, fmt);
  message_at (&b, at, true, fmt, ap);
  va_end (ap);
  return cc_error_make (err, 0, "%s", b.data ? b.data : "");
}

void
cc_compose_warn_at (const struct cc_pos *at, const char *fmt, ...)
{
  cleanup_buf struct cc_buf b = { 0 };
  va_list ap;

  va_start (ap, fmt);
  message_at (&b, at, false, fmt, ap);
  va_end (ap);
  cc_warn ("%s", b.data ? b.data : "");
}

void
cc_warn_at (const struct cc_node *at, const char *fmt, ...)
{
  cleanup_buf struct cc_buf b = { 0 };
  va_list ap;

  va_start (ap, fmt);
  append_message (&b, at, fmt, ap);
  va_end (ap);
  cc_warn ("%s", b.data ? b.data : "");
}
