#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "visible.h"
#include "xalloc.h"

/* Messages quote paths, names, user input and container output: what
   could drive the terminal they are printed on becomes `?` as they are
   made (so state files and logs that keep them are clean too).  Newlines
   and tabs stay: a message may rightly span lines (a container's last
   log lines, a file excerpt, a teardown list).  */
#define MESSAGE_KEEP "\n\t"

int
cc_error_makev (cc_error_t *err, int status, const char *fmt, va_list ap)
{
  cc_error_t e;

  /* Nobody asked for details: do not even format them.  */
  if (err == NULL)
    return -1;
  e = xzalloc (sizeof (*e));
  e->status = status;
  e->msg = cc_make_visible (xvasprintf (fmt, ap), MESSAGE_KEEP);
  if (*err != NULL)
    cc_error_release (err);
  *err = e;
  return -1;
}

int
cc_error_make (cc_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = cc_error_makev (err, status, fmt, ap);
  va_end (ap);
  return ret;
}

int
cc_error_wrap (cc_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *ctx, *msg;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  ctx = cc_make_visible (xvasprintf (fmt, ap), MESSAGE_KEEP);
  va_end (ap);
  msg = xasprintf ("%s: %s", ctx, (*err)->msg);
  free (ctx);
  free ((*err)->msg);
  (*err)->msg = msg;
  return -1;
}

char *
cc_error_string (const cc_error_t err)
{
  if (err == NULL)
    return xstrdup ("unknown error");
  if (err->status > 0)
    return xasprintf ("%s: %s", err->msg, strerror (err->status));
  return xstrdup (err->msg);
}

void
cc_error_print (cc_error_t *err)
{
  char *s;

  if (err == NULL || *err == NULL)
    return;
  s = cc_error_string (*err);
  fprintf (stderr, "ccompose: %s\n", s);
  free (s);
}

void
cc_error_release (cc_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

void
cc_error_append (cc_error_t *list, cc_error_t *err)
{
  char *s, *msg;

  if (err == NULL || *err == NULL)
    return;
  if (*list == NULL)
    {
      *list = *err;
      *err = NULL;
      return;
    }
  s = cc_error_string (*err);
  msg = xasprintf ("%s\n  %s", (*list)->msg, s);
  free (s);
  free ((*list)->msg);
  (*list)->msg = msg;
  /* A list has many causes: the status of the first one no longer
     describes the whole message.  */
  (*list)->status = 0;
  cc_error_release (err);
}
