/* The one pool of forked jobs: lib/pool.h says why fork and how errors
   travel.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/pool.h"
#include "lib/xalloc.h"

struct slot
{
  pid_t pid;
  int fd;
  size_t index;
  struct cc_buf msg;
};

static void __attribute__ ((noreturn)) run_child (int fd, const struct cc_pool *p, size_t index, pid_t parent)
{
  cc_error_t err = NULL;

  /* A job must not outlive its command: a killed `up` followed by `down`
     would otherwise race a child still creating a container, and a
     killed build would leave a helper writing into its layers.  */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != parent)
    _exit (1);
  if (p->fn (p->opaque, index, &err) < 0)
    {
      char *text = err ? cc_error_string (err) : xstrdup ("failed");
      cc_write_all (fd, text, strlen (text));
      _exit (1);
    }
  _exit (0);
}

static int
spawn (struct slot *s, const struct cc_pool *p, size_t index, cc_error_t *err)
{
  pid_t parent = getpid ();
  int fds[2];

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return cc_error_make (err, errno, "pipe");
  /* What stdio holds would otherwise be written twice.  */
  fflush (NULL);
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
      run_child (fds[1], p, index, parent);
    }
  close (fds[1]);
  s->fd = fds[0];
  s->index = index;
  memset (&s->msg, 0, sizeof (s->msg));
  return 0;
}

/* The error of a child that said nothing.  */
static void
status_error (int status, cc_error_t *err)
{
  if (WIFSIGNALED (status))
    cc_error_make (err, 0, "the job was killed by signal %d", WTERMSIG (status));
  else
    cc_error_make (err, 0, "the job ended with status %d", WEXITSTATUS (status));
}

/* Read the child's report to EOF, reap it, hand its failure (with the
   context DONE gives it) to LIST.  */
static void
finish (struct slot *s, const struct cc_pool *p, cc_error_t *list)
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
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    ;
  else if (s->msg.len)
    cc_error_make (&one, 0, "%s", s->msg.data);
  else
    status_error (status, &one);
  if (p->done)
    p->done (p->opaque, s->index, &one);
  if (one)
    cc_error_append (list, &one);
  cc_buf_reset (&s->msg);
  s->pid = 0;
}

static void
terminate_running (const struct slot *slots, size_t width)
{
  for (size_t i = 0; i < width; i++)
    if (slots[i].pid > 0)
      kill (slots[i].pid, SIGTERM);
}

/* Until a child is done (or WAIT returns early).  */
static void
wait_and_finish (struct slot *slots, size_t width, const struct cc_pool *p, size_t *running, cc_error_t *list)
{
  struct pollfd pfds[width];
  size_t map[width], np = 0;
  int r;

  for (size_t i = 0; i < width; i++)
    if (slots[i].pid)
      {
        pfds[np] = (struct pollfd){ .fd = slots[i].fd, .events = POLLIN };
        map[np++] = i;
      }
  r = p->wait ? p->wait (p->opaque, pfds, np) : poll (pfds, np, -1);
  if (r < 0 && errno == EINTR && p->interrupted && p->interrupted (p->opaque))
    terminate_running (slots, width);
  if (r < 0)
    return;
  for (size_t k = 0; k < np; k++)
    if (pfds[k].revents & (POLLHUP | POLLERR | POLLIN))
      {
        finish (&slots[map[k]], p, list);
        (*running)--;
      }
}

int
cc_pool_run (const struct cc_pool *p, cc_error_t *err)
{
  size_t next = 0, running = 0;
  size_t width = p->limit < 1 || (size_t)p->limit > p->n ? p->n : (size_t)p->limit;
  cleanup_free struct slot *slots = xzalloc ((width + 1) * sizeof (*slots));
  cc_error_t list = NULL;

  while (next < p->n || running > 0)
    {
      for (size_t i = 0; i < width && next < p->n && ! (p->stop_on_error && list); i++)
        if (slots[i].pid == 0)
          {
            if (spawn (&slots[i], p, next, &list) < 0)
              break;
            next++;
            running++;
          }
      if (running == 0)
        break;
      wait_and_finish (slots, width, p, &running, &list);
      if (p->tick && running > 0)
        p->tick (p->opaque);
    }
  if (list == NULL)
    return 0;
  *err = list;
  return -1;
}

struct one
{
  int (*fn) (void *opaque, cc_error_t *err);
  void *opaque;
};

static int
run_one (void *opaque, size_t index, cc_error_t *err)
{
  struct one *o = opaque;

  (void)index;
  return o->fn (o->opaque, err);
}

int
cc_pool_run_one (int (*fn) (void *opaque, cc_error_t *err), void *opaque, cc_error_t *err)
{
  struct one o = { fn, opaque };
  const struct cc_pool p = { .fn = run_one, .opaque = &o, .n = 1, .limit = 1 };

  return cc_pool_run (&p, err);
}
