/* The engine's one pool of forked jobs: one job per item, at most LIMIT
   at a time.  Fork rather than threads: the network and runtime code
   keep process-wide state (netlink sockets, libiptc handles, signal
   masks) that is not meant to be shared between threads, and a child
   that fails cannot leave the parent half-changed.  No child prints:
   each sends its error to the parent over a pipe, and the parent gives
   it its context, collects them all and goes on.  */
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
  size_t index;
  struct cc_buf msg;
};

static void __attribute__ ((noreturn))
run_child (int fd, const struct cc_engine_pool *p, const char *item, pid_t parent)
{
  cc_error_t err = NULL;

  /* A job must not outlive its command: a killed `up` followed by `down`
     would otherwise race a child still creating a container.  */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != parent)
    _exit (1);

  if (p->fn (p->opaque, item, &err) < 0)
    {
      char *text = err ? cc_error_string (err) : xstrdup ("failed");
      cc_write_all (fd, text, strlen (text));
      _exit (1);
    }
  _exit (0);
}

static int
spawn (struct slot *s, const struct cc_engine_pool *p, char *const *items, size_t index, cc_error_t *err)
{
  pid_t parent = getpid ();
  int fds[2];

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return cc_error_make (err, errno, "pipe");
  fflush (stdout);
  fflush (stderr);
  s->pid = fork ();
  if (s->pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return cc_error_make (err, errno, "fork");
    }
  if (s->pid == 0)
    {
      close (fds[0]);
      run_child (fds[1], p, items[index], parent);
    }
  close (fds[1]);
  s->fd = fds[0];
  s->index = index;
  memset (&s->msg, 0, sizeof (s->msg));
  return 0;
}

/* Read the child's report to EOF, reap it, hand its failure (with the
   context DONE gives it) to LIST.  */
static void
finish (struct slot *s, const struct cc_engine_pool *p, cc_error_t *list)
{
  char buf[4096];
  ssize_t n;
  int status = 0;
  cc_error_t one = NULL;

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
    cc_error_make (&one, 0, "%s", s->msg.len ? s->msg.data : "the job died");
  if (p->done)
    p->done (p->opaque, s->index, &one);
  if (one)
    cc_error_append (list, &one);
  cc_buf_reset (&s->msg);
  s->pid = 0;
}

/* Until a child is done, or with TICK the next backoff look.  */
static void
wait_and_finish (struct slot *slots, size_t width, const struct cc_engine_pool *p, int *step, size_t *running,
                 cc_error_t *list)
{
  struct pollfd pfds[width];
  size_t map[width], np = 0;

  for (size_t i = 0; i < width; i++)
    if (slots[i].pid)
      {
        pfds[np] = (struct pollfd){ .fd = slots[i].fd, .events = POLLIN };
        map[np++] = i;
      }
  if ((p->tick ? cc_engine_backoff_on (step, pfds, np) : poll (pfds, np, -1)) < 0)
    return;
  for (size_t k = 0; k < np; k++)
    if (pfds[k].revents & (POLLHUP | POLLERR | POLLIN))
      {
        finish (&slots[map[k]], p, list);
        (*running)--;
      }
}

int
cc_engine_pool_run (char *const *items, const struct cc_engine_pool *p, cc_error_t *err)
{
  size_t n = cc_strv_len (items), next = 0, running = 0;
  size_t width = p->limit < 1 || (size_t)p->limit > n ? n : (size_t)p->limit;
  cleanup_free struct slot *slots = xzalloc ((width + 1) * sizeof (*slots));
  int64_t t0 = cc_engine_now_ms ();
  cc_error_t list = NULL;
  int step = 0;

  while (next < n || running > 0)
    {
      for (size_t i = 0; i < width && next < n; i++)
        if (slots[i].pid == 0)
          {
            if (spawn (&slots[i], p, items, next, &list) < 0)
              break;
            next++;
            running++;
          }
      if (running == 0)
        break;
      wait_and_finish (slots, width, p, &step, &running, &list);
      if (p->tick && running > 0)
        p->tick (p->opaque, cc_engine_now_ms () - t0);
    }
  if (list == NULL)
    return 0;
  *err = list;
  return -1;
}

int
cc_engine_run_parallel (char *const *items, int limit, cc_engine_job_fn fn, void *opaque, cc_error_t *err)
{
  const struct cc_engine_pool p = { .fn = fn, .opaque = opaque, .limit = limit };

  /* One item: no fork needed, the error keeps its structure.  */
  if (cc_strv_len (items) == 1)
    return fn (opaque, items[0], err);
  return cc_engine_pool_run (items, &p, err);
}
