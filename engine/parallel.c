/* Run one job per item in forked children, at most LIMIT at a time.  Fork
   rather than threads: the network and runtime code keep process-wide
   state (netlink sockets, libiptc handles, signal masks) that is not
   meant to be shared between threads, and a child that fails cannot
   leave the parent half-changed.  Each child reports its error message
   over a pipe; the parent collects them all and goes on.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

struct slot
{
  pid_t pid;
  int fd;
  const char *item;
  struct cc_buf msg;
};

static void __attribute__ ((noreturn))
run_child (int fd, cc_engine_job_fn fn, void *opaque, const char *item, pid_t parent)
{
  cc_error_t err = NULL;

  /* A job must not outlive its command: a killed `up` followed by `down`
     would otherwise race a child still creating a container.  */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != parent)
    _exit (1);

  if (fn (opaque, item, &err) < 0)
    {
      char *text = err ? cc_error_string (err) : xstrdup ("failed");
      cc_write_all (fd, text, strlen (text));
      _exit (1);
    }
  _exit (0);
}

static int
spawn (struct slot *s, cc_engine_job_fn fn, void *opaque, const char *item, cc_error_t *err)
{
  int p[2];

  if (pipe2 (p, O_CLOEXEC) < 0)
    return cc_error_make (err, errno, "pipe");
  fflush (stdout);
  fflush (stderr);
  pid_t parent = getpid ();

  s->pid = fork ();
  if (s->pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return cc_error_make (err, errno, "fork");
    }
  if (s->pid == 0)
    {
      close (p[0]);
      run_child (p[1], fn, opaque, item, parent);
    }
  close (p[1]);
  s->fd = p[0];
  s->item = item;
  memset (&s->msg, 0, sizeof (s->msg));
  return 0;
}

/* Read the child's report to EOF, reap it, append its failure.  */
static void
finish (struct slot *s, cc_error_t *list)
{
  char buf[4096];
  ssize_t n;
  int status = 0;

  while ((n = read (s->fd, buf, sizeof (buf))) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      cc_buf_append (&s->msg, buf, (size_t)n);
    }
  close (s->fd);
  while (waitpid (s->pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (! WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      cc_error_t one = NULL;
      cc_error_make (&one, 0, "%s", s->msg.len ? s->msg.data : "the job died");
      cc_error_append (list, &one);
    }
  cc_buf_reset (&s->msg);
  s->pid = 0;
}

int
cc_engine_run_parallel (char *const *items, int limit, cc_engine_job_fn fn, void *opaque, cc_error_t *err)
{
  size_t n = cc_strv_len (items), next = 0, running = 0;
  size_t width = limit < 1 || (size_t)limit > n ? n : (size_t)limit;
  cleanup_free struct slot *slots = xzalloc ((width + 1) * sizeof (*slots));
  cc_error_t list = NULL;

  /* One item: no fork needed, the error keeps its structure.  */
  if (n == 1)
    return fn (opaque, items[0], err);
  while (next < n || running > 0)
    {
      for (size_t i = 0; i < width && next < n; i++)
        if (slots[i].pid == 0)
          {
            if (spawn (&slots[i], fn, opaque, items[next], &list) < 0)
              break;
            next++;
            running++;
          }
      if (running == 0)
        break;
      {
        struct pollfd pfds[width];
        size_t map[width], np = 0;
        for (size_t i = 0; i < width; i++)
          if (slots[i].pid)
            {
              pfds[np] = (struct pollfd){ .fd = slots[i].fd, .events = POLLIN };
              map[np++] = i;
            }
        if (poll (pfds, np, -1) < 0 && errno != EINTR)
          break;
        for (size_t k = 0; k < np; k++)
          if (pfds[k].revents & (POLLHUP | POLLERR | POLLIN))
            {
              finish (&slots[map[k]], &list);
              running--;
            }
      }
    }
  if (list == NULL)
    return 0;
  *err = list;
  return -1;
}
