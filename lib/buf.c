#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void
reserve (struct cc_buf *b, size_t extra)
{
  size_t need = b->len + extra + 1;

  if (need <= b->cap)
    return;
  b->cap = b->cap ? b->cap : 64;
  while (b->cap < need)
    b->cap *= 2;
  b->data = xrealloc (b->data, b->cap);
}

void
cc_buf_append (struct cc_buf *b, const void *data, size_t len)
{
  reserve (b, len);
  memcpy (b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void
cc_buf_puts (struct cc_buf *b, const char *s)
{
  cc_buf_append (b, s, strlen (s));
}

void
cc_buf_putc (struct cc_buf *b, char c)
{
  cc_buf_append (b, &c, 1);
}

void
cc_buf_vprintf (struct cc_buf *b, const char *fmt, va_list ap)
{
  va_list copy;
  int n;

  va_copy (copy, ap);
  n = vsnprintf (NULL, 0, fmt, copy);
  va_end (copy);
  if (n < 0)
    return;
  reserve (b, (size_t)n);
  vsnprintf (b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

void
cc_buf_printf (struct cc_buf *b, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  cc_buf_vprintf (b, fmt, ap);
  va_end (ap);
}

char *
cc_buf_steal (struct cc_buf *b)
{
  char *r = b->data ? b->data : xstrdup ("");

  b->data = NULL;
  b->len = b->cap = 0;
  return r;
}

void
cc_buf_reset (struct cc_buf *b)
{
  free (b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
