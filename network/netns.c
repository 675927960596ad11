/* Persistent network namespaces: a namespace stays alive while a file is
   bind-mounted over /proc/<pid>/ns/net, as `ip netns add` does, but
   without running ip: a child unshares and binds its own namespace.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/xalloc.h"
#include "network/link.h"
#include "network/netimpl.h"
#include "network/state.h"

char *
cc_netns_path (const char *name)
{
  cleanup_free char *dir = cc_paths_netns_dir ();

  return cc_path_join (dir, name);
}

int
cc_netns_open (const char *path, int *fd, cc_error_t *err)
{
  *fd = open (path, O_RDONLY | O_CLOEXEC);
  if (*fd < 0)
    return cc_error_make (err, errno, "open network namespace `%s`", path);
  return 0;
}

static bool
is_bound (const char *path)
{
  struct statfs s;

  return statfs (path, &s) == 0 && s.f_type == NSFS_MAGIC;
}

static bool
is_valid_name (const char *name)
{
  return name && *name && strchr (name, '/') == NULL && strcmp (name, ".") != 0 && strcmp (name, "..") != 0;
}

/* The child only makes async-signal-safe syscalls: the caller may have
   threads.  It reports errno (0 = success) over the pipe.  */
static void __attribute__ ((noreturn)) bind_child (const char *path, int report)
{
  int e = 0;

  if (unshare (CLONE_NEWNET) < 0 || mount ("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
    e = errno;
  (void)! write (report, &e, sizeof (e));
  _exit (e ? 1 : 0);
}

static int
bind_new_netns (const char *path, cc_error_t *err)
{
  cleanup_close int file = open (path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
  int fds[2], e = 0, status;
  ssize_t n;
  pid_t pid;

  if (file < 0)
    return cc_error_make (err, errno, "create netns file `%s`", path);
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return cc_error_make (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return cc_error_make (err, errno, "fork");
    }
  if (pid == 0)
    bind_child (path, fds[1]);
  close (fds[1]);
  n = read (fds[0], &e, sizeof (e));
  close (fds[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (n != sizeof (e))
    return cc_error_make (err, EIO, "netns child for `%s` died", path);
  if (e)
    return cc_error_make (err, e, "bind network namespace on `%s`", path);
  return 0;
}

static int
loopback_up (const char *path, cc_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_nl_sock struct nl_sock *sk = NULL;

  if (cc_netns_open (path, &fd, err) < 0 || cc_nl_open (fd, &sk, err) < 0)
    return -1;
  /* lo is ifindex 1 in every new network namespace.  */
  return cc_nl_link_up (sk, 1, err);
}

static void
record_netns (cJSON *root, const char *project, const char *name, const char *path)
{
  cJSON *arr = cc_net_state_array (root, "netns");
  cJSON *e;

  for (e = arr ? arr->child : NULL; e; e = e->next)
    if (strcmp (cc_json_get_string (e, "name") ?: "", name) == 0)
      return;
  e = cJSON_CreateObject ();
  cc_json_set_string (e, "name", name);
  cc_json_set_string (e, "project", project ? project : "");
  cc_json_set_string (e, "path", path);
  cJSON_AddItemToArray (arr, e);
}

static cJSON *
find_netns (cJSON *root, const char *name)
{
  cJSON *e;

  for (e = cc_net_first (root, "netns"); e; e = e->next)
    if (strcmp (cc_json_get_string (e, "name") ?: "", name) == 0)
      return e;
  return NULL;
}

bool
cc_net_netns_in_use (const cJSON *root, const char *path)
{
  const cJSON *net, *m;

  for (net = cc_net_first (root, "networks"); net; net = net->next)
    for (m = cc_net_first (net, "members"); m; m = m->next)
      if (strcmp (cc_json_get_string (m, "netns") ?: "", path) == 0)
        return true;
  return false;
}

int
cc_net_release_doomed (cJSON *root, cc_error_t *err)
{
  cJSON *arr = cc_net_state_array (root, "netns");
  cJSON *e, *next;
  cc_error_t list = NULL, one = NULL;

  for (e = arr->child; e; e = next)
    {
      const char *path = cc_json_get_string (e, "path") ?: "";

      next = e->next;
      if (! cc_json_get_bool (e, "doomed", false) || cc_net_netns_in_use (root, path))
        continue;
      if (cc_netns_unbind (path, &one) < 0)
        cc_error_append (&list, &one);
      else
        cc_net_state_remove (arr, e);
    }
  return list ? cc_net_give_errors (err, &list) : 0;
}

/* Under the network lock: only the record.  A namespace left doomed by a
   remove (its links not yet deleted) is replaced: its old links must not
   meet the new ones.  */
static int
record_netns_locked (const char *project, const char *name, const char *path, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cleanup_free char *dir = cc_paths_netns_dir ();
  cJSON *old;

  if (cc_net_state_open (&st, err) < 0)
    return -1;
  old = find_netns (st.root, name);
  if (old && cc_json_get_bool (old, "doomed", false))
    {
      if (cc_netns_unbind (path, err) < 0)
        return -1;
      cJSON_DeleteItemFromObjectCaseSensitive (old, "doomed");
    }
  record_netns (st.root, project, name, path);
  if (cc_net_state_save (&st, err) < 0 || cc_mkdir_p (dir, 0700, err) < 0)
    return -1;
  return 0;
}

/* The namespace is made without the network lock (a fork and an unshare:
   3 ms each, which 50 parallel containers would otherwise queue for).  Its
   file is this container's alone; the engine never creates one name twice
   at once.  */
int
cc_netns_create (const char *project, const char *name, char **path_out, cc_error_t *err)
{
  cleanup_free char *path = cc_netns_path (name);

  if (! is_valid_name (name))
    return cc_error_make (err, EINVAL, "invalid network namespace name `%s`", name ? name : "");
  if (record_netns_locked (project, name, path, err) < 0)
    return -1;
  cc_crash_point ("netns recorded");
  if (! is_bound (path) && bind_new_netns (path, err) < 0)
    return -1;
  if (loopback_up (path, err) < 0)
    return cc_error_wrap (err, "network namespace `%s`", name);
  if (path_out)
    *path_out = steal_pointer (&path);
  return 0;
}

/* Unmount and unlink; both already done is success.  */
int
cc_netns_unbind (const char *path, cc_error_t *err)
{
  if (umount2 (path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return cc_error_make (err, errno, "unmount network namespace `%s`", path);
  if (unlink (path) < 0 && errno != ENOENT)
    return cc_error_make (err, errno, "remove `%s`", path);
  return 0;
}

int
cc_netns_remove (const char *name, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cleanup_free char *path = cc_netns_path (name);
  cJSON *arr, *e, *next;

  if (! is_valid_name (name))
    return cc_error_make (err, EINVAL, "invalid network namespace name `%s`", name ? name : "");
  if (cc_net_state_open (&st, err) < 0)
    return -1;
  /* Still holding a veth of a recorded network (down removes containers
     before their networks): doomed, and unbound once the network's links
     are gone.  Unbinding first would have the kernel delete the veth pair
     on its own, in the background, holding the rtnl lock that the batch
     delete of the network's links then waits for (about 30 ms for two
     containers).  */
  if (cc_net_netns_in_use (st.root, path) && (e = find_netns (st.root, name)) != NULL)
    {
      cc_json_set_bool (e, "doomed", true);
      return cc_net_state_save (&st, err);
    }
  if (cc_netns_unbind (path, err) < 0)
    return -1;
  arr = cc_net_state_array (st.root, "netns");
  for (e = arr->child; e; e = next)
    {
      next = e->next;
      if (strcmp (cc_json_get_string (e, "name") ?: "", name) == 0)
        cc_net_state_remove (arr, e);
    }
  return cc_net_state_save (&st, err);
}
