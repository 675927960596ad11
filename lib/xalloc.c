#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void __attribute__ ((noreturn)) oom (void)
{
  fputs ("ccompose: out of memory\n", stderr);
  abort ();
}

void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xzalloc (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xrealloc (void *ptr, size_t size)
{
  void *p = realloc (ptr, size ? size : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xreallocarray (void *ptr, size_t n, size_t size)
{
  void *p = reallocarray (ptr, n ? n : 1, size ? size : 1);
  if (p == NULL)
    oom ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *p;

  if (s == NULL)
    return NULL;
  p = strdup (s);
  if (p == NULL)
    oom ();
  return p;
}

char *
xstrndup (const char *s, size_t n)
{
  char *p = strndup (s, n);
  if (p == NULL)
    oom ();
  return p;
}

void *
xmemdup (const void *src, size_t n)
{
  void *p = xmalloc (n);
  memcpy (p, src, n);
  return p;
}

char *
xvasprintf (const char *fmt, va_list ap)
{
  char *p;

  if (vasprintf (&p, fmt, ap) < 0)
    oom ();
  return p;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *p;

  va_start (ap, fmt);
  p = xvasprintf (fmt, ap);
  va_end (ap);
  return p;
}
