#include "crash.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void
cc_crash_point (const char *what)
{
  static long count;
  const char *at = getenv ("CCOMPOSE_CRASH_AT");
  const char *trace = getenv ("CCOMPOSE_CRASH_TRACE");

  if ((at == NULL || *at == '\0') && trace == NULL)
    return;
  count++;
  if (trace)
    fprintf (stderr, "crash-point %ld %s\n", count, what);
  if (at && count == strtol (at, NULL, 10))
    {
      fflush (NULL);
      kill (getpid (), SIGKILL);
    }
}
