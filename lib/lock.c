/* Waiting on a lock, out loud.  Every `up` of every project takes the
   image store's lock, and a command holding it for long (a hostile
   image, issue 12 item 10) left the others hanging without a word.  A
   command that has waited a second says once, on stderr, which lock it
   waits for and who holds it: the holders are read from /proc/locks
   (the kernel's list, so nothing is written for it, and a lock file on
   a full filesystem needs no room).  The wait itself stays a blocking
   flock, so a released lock is taken at once; a thread makes the
   announcement, and only when the lock was not free at the first try.  */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "file.h"
#include "log.h"
#include "visible.h"
#include "xalloc.h"

#define ANNOUNCE_AFTER_MS 1000
#define CMDLINE_SHOWN 200

/* "pid 123 (ccompose up -d)": the command line, shortened and safe to
   print (it is anyone's).  */
static void
describe_pid (struct cc_buf *o, pid_t pid)
{
  cleanup_free char *path = xasprintf ("/proc/%d/cmdline", (int)pid);
  cleanup_free char *text = NULL;
  size_t len = 0;

  cc_buf_printf (o, "pid %d", (int)pid);
  if (cc_read_file (path, &text, &len, NULL) < 0 || len == 0)
    return;
  for (size_t i = 0; i + 1 < len; i++)
    if (text[i] == '\0')
      text[i] = ' ';
  if (strlen (text) > CMDLINE_SHOWN)
    strcpy (text + CMDLINE_SHOWN - 3, "...");
  cc_buf_printf (o, " (%s)", cc_make_visible (text, ""));
}

/* The processes /proc/locks names as holding a lock on the file of FD;
   waiters (the lines with "->") are not holders.  */
static char *
holders_of (int fd)
{
  cleanup_fclose FILE *f = fopen ("/proc/locks", "re");
  cleanup_free char *line = NULL;
  cleanup_buf struct cc_buf o = { 0 };
  struct stat st;
  size_t cap = 0;
  int n = 0;

  if (f == NULL || fstat (fd, &st) < 0)
    return NULL;
  while (getline (&line, &cap, f) > 0)
    {
      unsigned int major, minor;
      unsigned long long ino;
      int pid;

      if (strstr (line, "->") != NULL
          || sscanf (line, "%*d: %*s %*s %*s %d %x:%x:%llu", &pid, &major, &minor, &ino) != 4)
        continue;
      if (ino != (unsigned long long)st.st_ino || makedev (major, minor) != st.st_dev || pid == getpid ())
        continue;
      cc_buf_puts (&o, n++ ? ", " : "");
      describe_pid (&o, pid);
    }
  return n ? cc_buf_steal (&o) : NULL;
}

struct waiter
{
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool done;
  int fd;
  const char *path;
};

static void *
announce (void *opaque)
{
  struct waiter *w = opaque;
  struct timespec deadline;
  int ret = 0;

  clock_gettime (CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += ANNOUNCE_AFTER_MS / 1000;
  pthread_mutex_lock (&w->mu);
  while (! w->done && ret != ETIMEDOUT)
    ret = pthread_cond_timedwait (&w->cv, &w->mu, &deadline);
  if (! w->done)
    {
      cleanup_free char *who = holders_of (w->fd);
      cc_warn ("waiting for the lock `%s`, held by %s", w->path, who ? who : "another process");
    }
  pthread_mutex_unlock (&w->mu);
  return NULL;
}

static int
flock_blocking (int fd, int op)
{
  while (flock (fd, op) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

static void
stop_announcing (struct waiter *w, pthread_t thread)
{
  pthread_mutex_lock (&w->mu);
  w->done = true;
  pthread_cond_signal (&w->cv);
  pthread_mutex_unlock (&w->mu);
  pthread_join (thread, NULL);
}

int
cc_flock_wait (int fd, int op, const char *path, cc_error_t *err)
{
  struct waiter w = { .fd = fd, .path = path };
  pthread_condattr_t attr;
  pthread_t thread;
  int ret;

  if (flock (fd, op | LOCK_NB) == 0)
    return 0;
  if (errno != EWOULDBLOCK && errno != EINTR)
    return cc_error_make (err, errno, "lock `%s`", path);
  pthread_mutex_init (&w.mu, NULL);
  pthread_condattr_init (&attr);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  pthread_cond_init (&w.cv, &attr);
  pthread_condattr_destroy (&attr);
  if (pthread_create (&thread, NULL, announce, &w) != 0)
    ret = flock_blocking (fd, op) < 0 ? errno : 0;
  else
    {
      ret = flock_blocking (fd, op) < 0 ? errno : 0;
      stop_announcing (&w, thread);
    }
  if (ret != 0)
    ret = cc_error_make (err, ret, "lock `%s`", path);
  pthread_cond_destroy (&w.cv);
  pthread_mutex_destroy (&w.mu);
  return ret;
}

int
cc_lock_path (const char *path, bool block, int *fd_out, cc_error_t *err)
{
  cleanup_close int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0)
    return cc_error_make (err, errno, "open lock `%s`", path);
  if (block ? cc_flock_wait (fd, LOCK_EX, path, err) < 0 : flock (fd, LOCK_EX | LOCK_NB) < 0)
    return block ? -1 : cc_error_make (err, errno, "lock `%s`", path);
  *fd_out = get_and_reset (&fd);
  return 0;
}
