#include "proc.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cleanup.h"
#include "file.h"
#include "xalloc.h"

int
cc_proc_parse_start_time (const char *stat, uint64_t *start)
{
  /* comm may hold spaces and parentheses: fields start after the last ')'.  */
  const char *p = strrchr (stat, ')');

  if (p == NULL)
    return -1;
  p++;
  /* p now precedes field 3; each step moves to the space before the next field.  */
  for (int field = 3; field < 22; field++)
    {
      p = strchr (p + 1, ' ');
      if (p == NULL)
        return -1;
    }
  *start = strtoull (p + 1, NULL, 10);
  return 0;
}

int
cc_proc_start_time (pid_t pid, uint64_t *start, cc_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/stat", (int)pid);
  cleanup_free char *text = NULL;

  if (cc_read_file (path, &text, NULL, err) < 0)
    return -1;
  if (cc_proc_parse_start_time (text, start) < 0)
    return cc_error_make (err, EINVAL, "parse `%s`", path);
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

void
cc_proc_kill_and_reap (pid_t *pid)
{
  int saved = errno;

  if (*pid > 0)
    {
      kill (*pid, SIGKILL);
      while (waitpid (*pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  *pid = -1;
  errno = saved;
}
