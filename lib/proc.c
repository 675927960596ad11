#include "proc.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "xalloc.h"

int
cc_proc_start_time (pid_t pid, uint64_t *start, cc_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/stat", (int) pid);
  cleanup_free char *text = NULL;
  char *p;

  if (cc_read_file (path, &text, NULL, err) < 0)
    return -1;
  /* comm may hold spaces and parentheses: fields start after the last ')'.  */
  p = strrchr (text, ')');
  if (p == NULL)
    return cc_error_make (err, EINVAL, "parse `%s`", path);
  p++;
  for (int field = 2; field < 22; field++)
    {
      p = strchr (p + 1, ' ');
      if (p == NULL)
        return cc_error_make (err, EINVAL, "parse `%s`", path);
    }
  *start = strtoull (p + 1, NULL, 10);
  return 0;
}

bool
cc_proc_is_alive (pid_t pid, uint64_t start)
{
  uint64_t now = 0;

  if (pid <= 0)
    return false;
  if (cc_proc_start_time (pid, &now, NULL) < 0)
    return false;
  return start == 0 || now == start;
}

int
cc_proc_kill (pid_t pid, uint64_t start, int sig)
{
  if (! cc_proc_is_alive (pid, start))
    {
      errno = ESRCH;
      return -1;
    }
  return kill (pid, sig);
}
