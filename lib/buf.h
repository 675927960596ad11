/* A growable byte buffer, always NUL-terminated.  */
#ifndef CC_LIB_BUF_H
#define CC_LIB_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct cc_buf
{
  char *data;
  size_t len;
  size_t cap;
};

void cc_buf_append (struct cc_buf *b, const void *data, size_t len);
void cc_buf_puts (struct cc_buf *b, const char *s);
void cc_buf_putc (struct cc_buf *b, char c);
void cc_buf_printf (struct cc_buf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void cc_buf_vprintf (struct cc_buf *b, const char *fmt, va_list ap) __attribute__ ((format (printf, 2, 0)));
/* Hand the NUL-terminated contents over to the caller; the buffer is
   left empty.  */
char *cc_buf_steal (struct cc_buf *b);
void cc_buf_reset (struct cc_buf *b);

static inline void
cleanup_buf_fn (struct cc_buf *b)
{
  cc_buf_reset (b);
}
#define cleanup_buf __attribute__ ((cleanup (cleanup_buf_fn)))

#endif
