/* Allocation wrappers: running out of memory aborts.  */
#ifndef CC_LIB_XALLOC_H
#define CC_LIB_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc (size_t size) __attribute__ ((malloc, returns_nonnull));
void *xzalloc (size_t size) __attribute__ ((malloc, returns_nonnull));
void *xrealloc (void *ptr, size_t size) __attribute__ ((returns_nonnull));
void *xreallocarray (void *ptr, size_t n, size_t size) __attribute__ ((returns_nonnull));
char *xstrdup (const char *s) __attribute__ ((malloc));
char *xstrndup (const char *s, size_t n) __attribute__ ((malloc, returns_nonnull));
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), malloc, returns_nonnull));
char *xvasprintf (const char *fmt, va_list ap) __attribute__ ((format (printf, 1, 0), malloc, returns_nonnull));
void *xmemdup (const void *p, size_t n) __attribute__ ((malloc, returns_nonnull));

#endif
