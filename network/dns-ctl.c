/* The responders of the embedded DNS as ccompose sees them (dns.h):
   start, stop, tell them the network state changed, find residue.

   The record of a project's responder is network/dns/<project>.pid
   under the state root, made before the responder exists and flocked
   from then on by whoever holds it: the command starting the responder,
   then the responder itself, which inherits the lock and writes "PID
   START PROJECT" into it.  So the lock says whether a responder runs
   (a dead one released it), the file says one should, and its contents
   say which process to kill, checked against its start time.  Its
   control socket is <project>.sock beside it.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/proc.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/dns.h"
#include "network/netimpl.h"
#include "network/network.h"
#include "network/state.h"

#define RECORD_SUFFIX ".pid"
#define SOCKET_SUFFIX ".sock"
#define SYNC_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 5000

static char *
dns_file (const char *project, const char *suffix)
{
  cleanup_free char *dir = cc_net_dns_dir (), *base = cc_net_dns_base (project);

  return xasprintf ("%s/%s%s", dir, base, suffix);
}

static int64_t
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms (long ms)
{
  nanosleep (&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L }, NULL);
}

/* Whether a responder holds the record open as FD.  */
static bool
is_held (int fd)
{
  if (flock (fd, LOCK_SH | LOCK_NB) == 0)
    {
      flock (fd, LOCK_UN);
      return false;
    }
  return errno == EWOULDBLOCK;
}

struct identity
{
  pid_t pid;
  uint64_t start;
  char project[256];
};

static bool
read_identity (int fd, struct identity *id)
{
  char text[512];
  ssize_t n = pread (fd, text, sizeof (text) - 1, 0);
  unsigned long long start = 0;
  int pid = 0;

  memset (id, 0, sizeof (*id));
  if (n <= 0)
    return false;
  text[n] = '\0';
  if (sscanf (text, "%d %llu %255s", &pid, &start, id->project) < 2)
    return false;
  id->pid = (pid_t)pid;
  id->start = start;
  return true;
}

static int
write_claim (int fd, const char *project, cc_error_t *err)
{
  cleanup_free char *text = xasprintf ("0 0 %s\n", project);

  if (ftruncate (fd, 0) < 0 || pwrite (fd, text, strlen (text), 0) != (ssize_t)strlen (text))
    return cc_error_make (err, errno, "write the DNS responder's record of `%s`", project);
  return 0;
}

static bool
same_file (int fd, const char *path)
{
  struct stat a, b;

  return fstat (fd, &a) == 0 && stat (path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* 1 with *FD the locked record when no responder runs (it must be
   started), 0 when one does.  With ONLY_EXISTING a missing record is
   not made: a repair racing a `down` (which removes the record under
   its lock) must not bring back what `down` stopped.  */
static int
claim (const char *project, bool only_existing, int *fd_out, cc_error_t *err)
{
  cleanup_free char *dir = cc_net_dns_dir (), *path = dns_file (project, RECORD_SUFFIX);

  if (! only_existing && cc_mkdir_p (dir, 0700, err) < 0)
    return -1;
  for (int attempt = 0; attempt < 3; attempt++)
    {
      cleanup_close int fd = open (path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (only_existing ? 0 : O_CREAT), 0600);
      if (fd < 0 && only_existing && errno == ENOENT)
        return 0;
      if (fd < 0)
        return cc_error_make (err, errno, "open `%s`", path);
      if (flock (fd, LOCK_EX | LOCK_NB) < 0)
        return errno == EWOULDBLOCK ? 0 : cc_error_make (err, errno, "lock `%s`", path);
      /* A stop removed it between our open and our lock: take the new one.  */
      if (! same_file (fd, path))
        continue;
      if (write_claim (fd, project, err) < 0)
        return -1;
      *fd_out = get_and_reset (&fd);
      return 1;
    }
  return cc_error_make (err, EAGAIN, "claim `%s`: it was removed each time", path);
}

static bool
record_exists (const char *project)
{
  cleanup_free char *path = dns_file (project, RECORD_SUFFIX);

  return cc_file_exists (path);
}

/* Connected to PROJECT's responder in *FD; 0 with *FD = -1 when none
   listens.  */
static int
control_connect (const char *project, int *fd_out, cc_error_t *err)
{
  cleanup_free char *dir = cc_net_dns_dir (), *base = cc_net_dns_base (project);
  cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = -1;
  struct sockaddr_un a = { .sun_family = AF_UNIX };

  *fd_out = -1;
  if (dfd < 0)
    return errno == ENOENT ? 0 : cc_error_make (err, errno, "open `%s`", dir);
  snprintf (a.sun_path, sizeof (a.sun_path), "/proc/self/fd/%d/%s" SOCKET_SUFFIX, dfd, base);
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return cc_error_make (err, errno, "socket");
  if (connect (fd, (struct sockaddr *)&a, sizeof (a)) < 0)
    return errno == ENOENT || errno == ECONNREFUSED
               ? 0
               : cc_error_make (err, errno, "connect to the DNS responder of `%s`", project);
  *fd_out = get_and_reset (&fd);
  return 0;
}

/* REQUEST to PROJECT's responder, its answer in *REPLY (NULL when no
   responder runs).  */
static int
control_call (const char *project, const char *request, char **reply, cc_error_t *err)
{
  cleanup_close int fd = -1;
  char buf[8192];
  struct pollfd p;
  ssize_t n;

  *reply = NULL;
  if (control_connect (project, &fd, err) < 0)
    return -1;
  if (fd < 0)
    return 0;
  if (send (fd, request, strlen (request), MSG_NOSIGNAL) < 0)
    return cc_error_make (err, errno, "ask the DNS responder of `%s`", project);
  p = (struct pollfd){ fd, POLLIN, 0 };
  if (poll (&p, 1, SYNC_TIMEOUT_MS) != 1)
    return cc_error_make (err, ETIMEDOUT, "the DNS responder of `%s` did not answer `%s`", project, request);
  n = recv (fd, buf, sizeof (buf) - 1, 0);
  if (n <= 0)
    return cc_error_make (err, n < 0 ? errno : EPIPE, "the DNS responder of `%s` did not answer `%s`", project,
                          request);
  buf[n] = '\0';
  *reply = xstrdup (buf);
  return 0;
}

/* The responder reads the network state again; returns once it did.  */
static int
dns_sync (const char *project, cc_error_t *err)
{
  cleanup_free char *reply = NULL;

  if (control_call (project, "sync", &reply, err) < 0)
    return -1;
  if (reply && strncmp (reply, "error: ", 7) == 0)
    return cc_error_make (err, 0, "DNS responder of `%s`: %s", project, reply + 7);
  return 0;
}

void
cc_net_dns_notify (char *const *projects)
{
  for (char *const *p = projects; p && *p; p++)
    {
      cc_error_t e = NULL;
      if (dns_sync (*p, &e) < 0)
        {
          cc_warn ("%s", e->msg);
          cc_error_release (&e);
        }
    }
}

/* The projects with a container, or the network itself, on NET.  */
static void
projects_on (const cJSON *net, char ***out)
{
  const char *owner = cc_json_get_string (net, "project");

  if (owner && ! cc_strv_contains (*out, owner))
    cc_strv_append (out, owner);
  for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
    {
      const char *p = cc_net_member_project (net, m);
      if (p && ! cc_strv_contains (*out, p))
        cc_strv_append (out, p);
    }
}

char **
cc_net_dns_affected (const cJSON *root, char *const *projects)
{
  char **out = xzalloc (sizeof (char *));

  for (const cJSON *net = cc_net_first (root, "networks"); net; net = net->next)
    {
      bool touched = cc_strv_contains (projects, cc_json_get_string (net, "project") ?: "");
      for (const cJSON *m = cc_net_first (net, "members"); m && ! touched; m = m->next)
        touched = cc_strv_contains (projects, cc_net_member_project (net, m) ?: "");
      if (touched)
        projects_on (net, &out);
    }
  for (char *const *p = projects; p && *p; p++)
    if (! cc_strv_contains (out, *p))
      cc_strv_append (&out, *p);
  return out;
}

int
cc_network_dns_ensure (const char *project, bool only_if_recorded, cc_net_spawn_fn spawn, cc_error_t *err)
{
  cleanup_close int fd = -1;
  char *args[] = { (char *)"network",   (char *)"dns", (char *)"--status-fd", (char *)"3",
                   (char *)"--lock-fd", (char *)"4",   (char *)project,       NULL };
  int claimed;

  if (only_if_recorded && ! record_exists (project))
    return 0;
  claimed = claim (project, only_if_recorded, &fd, err);
  if (claimed <= 0)
    return claimed;
  cc_crash_point ("dns responder recorded");
  if (spawn (args, fd, err) < 0)
    return cc_error_wrap (err, "start the DNS responder of project `%s`", project);
  cc_crash_point ("dns responder started");
  return 0;
}

/* Wait for the process holding FD's lock to go; the lock is ours then.  */
static bool
wait_released (int fd, int64_t timeout_ms)
{
  int64_t deadline = now_ms () + timeout_ms;
  long pause = 1;

  while (flock (fd, LOCK_EX | LOCK_NB) < 0)
    {
      if (errno != EWOULDBLOCK || now_ms () >= deadline)
        return false;
      sleep_ms (pause);
      pause = pause < 20 ? pause * 2 : 20;
    }
  return true;
}

/* The identity of a responder that holds its record: a moment after
   its start it has written it.  */
static bool
wait_identity (int fd, struct identity *id)
{
  for (int i = 0; i < 200; i++)
    {
      if (read_identity (fd, id) && id->pid > 0)
        return true;
      if (! is_held (fd))
        return false;
      sleep_ms (5);
    }
  return false;
}

static void
remove_files (const char *project)
{
  cleanup_free char *record = dns_file (project, RECORD_SUFFIX), *sock = dns_file (project, SOCKET_SUFFIX);

  unlink (sock);
  unlink (record);
}

int
cc_network_dns_stop (const char *project, cc_error_t *err)
{
  cleanup_free char *path = dns_file (project, RECORD_SUFFIX);
  cleanup_close int fd = open (path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  struct identity id;

  if (fd < 0)
    {
      if (errno != ENOENT)
        return cc_error_make (err, errno, "open `%s`", path);
      remove_files (project);
      return 0;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) < 0)
    {
      if (errno != EWOULDBLOCK)
        return cc_error_make (err, errno, "lock `%s`", path);
      /* Killed, not asked: its sockets go with it at once, and nothing
         it holds needs saving.  Only the process the record names, at
         the start time it names.  */
      if (wait_identity (fd, &id))
        cc_proc_kill (id.pid, id.start, SIGKILL);
      if (! wait_released (fd, STOP_TIMEOUT_MS))
        return cc_error_make (err, EBUSY, "the DNS responder of project `%s` (pid %d) did not exit", project,
                              (int)id.pid);
    }
  /* Under our lock: a start now waits for it, then makes a new record.  */
  remove_files (project);
  return 0;
}

int
cc_network_dns_stats (const char *project, char **json, cc_error_t *err)
{
  if (control_call (project, "stats", json, err) < 0)
    return -1;
  if (*json == NULL)
    return cc_error_make (err, ESRCH, "no DNS responder runs for project `%s`", project);
  return 0;
}

/* ---- residue ---------------------------------------------------------------- */

struct record
{
  char *project;
  bool held;
  struct identity id;
};

static bool
has_suffix (const char *name, const char *suffix)
{
  size_t n = strlen (name), s = strlen (suffix);

  return n > s && strcmp (name + n - s, suffix) == 0;
}

static bool
read_record (const char *dir, const char *name, struct record *r)
{
  cleanup_free char *path = cc_path_join (dir, name);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

  memset (r, 0, sizeof (*r));
  if (fd < 0)
    return false;
  r->held = is_held (fd);
  if (read_identity (fd, &r->id) && r->id.project[0])
    r->project = xstrdup (r->id.project);
  else
    r->project = xstrndup (name, strlen (name) - strlen (RECORD_SUFFIX));
  return true;
}

static void
judge_record (const struct record *r, bool fix, char *const *live, cc_net_spawn_fn spawn, char ***found,
              cc_error_t *list)
{
  cc_error_t e = NULL;

  if (live == NULL || cc_strv_contains (live, r->project))
    {
      if (r->held)
        return;
      /* A live project's responder died: its containers resolve
         nothing until it is back.  */
      cc_strv_push (found, xasprintf ("missing: DNS responder of project %s (not running)", r->project));
      if (fix && spawn && cc_network_dns_ensure (r->project, true, spawn, &e) < 0)
        cc_error_append (list, &e);
      return;
    }
  if (r->held)
    cc_strv_push (found, xasprintf ("DNS responder of project %s (pid %d), which is gone", r->project, (int)r->id.pid));
  else
    cc_strv_push (found, xasprintf ("record of the DNS responder of project %s, which is gone", r->project));
  if (fix && cc_network_dns_stop (r->project, &e) < 0)
    cc_error_append (list, &e);
}

/* A socket file without its record: a stop cut short.  */
static void
judge_socket (const char *dir, const char *name, bool fix, char ***found)
{
  cleanup_free char *base = xstrndup (name, strlen (name) - strlen (SOCKET_SUFFIX));
  cleanup_free char *record = xasprintf ("%s/%s" RECORD_SUFFIX, dir, base);
  cleanup_free char *path = cc_path_join (dir, name);

  if (cc_file_exists (record))
    return;
  cc_strv_push (found, xasprintf ("%s (no responder)", path));
  if (fix)
    unlink (path);
}

int
cc_network_dns_residue (bool fix, char *const *live, cc_net_spawn_fn spawn, char ***found, cc_error_t *err)
{
  cleanup_free char *dir = cc_net_dns_dir ();
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  cc_error_t list = NULL;

  while (d && (de = readdir (d)) != NULL)
    {
      struct record r;
      if (has_suffix (de->d_name, SOCKET_SUFFIX))
        judge_socket (dir, de->d_name, fix, found);
      if (! has_suffix (de->d_name, RECORD_SUFFIX) || ! read_record (dir, de->d_name, &r))
        continue;
      judge_record (&r, fix, live, spawn, found, &list);
      free (r.project);
    }
  return list ? cc_net_give_errors (err, &list) : 0;
}
