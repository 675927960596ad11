/* The network namespace a network lives in (hostns.h): its identity, how
   to find and enter it again, and the ip_forward ccompose changed in it.  */
#include "network/hostns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/mountinfo.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/link.h"
#include "network/state.h"

/* /proc/self would name the thread group leader's namespace: a thread
   that entered another one must see its own.  */
#define SELF_NETNS "/proc/thread-self/ns/net"

static bool
str_eq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

static char *
id_of (const struct stat *sb)
{
  return xasprintf ("%lu:%lu", (unsigned long)sb->st_dev, (unsigned long)sb->st_ino);
}

char *
cc_hostns_current (void)
{
  struct stat sb;

  if (stat (SELF_NETNS, &sb) < 0)
    return NULL;
  return id_of (&sb);
}

bool
cc_hostns_is_here (const cJSON *net, const char *here)
{
  return here == NULL || cc_net_lives_in (net, here);
}

static bool
parse_id (const char *id, dev_t *dev, ino_t *ino)
{
  unsigned long d, i;
  char extra;

  if (id == NULL || sscanf (id, "%lu:%lu%c", &d, &i, &extra) != 2)
    return false;
  *dev = (dev_t)d;
  *ino = (ino_t)i;
  return true;
}

/* PATH opened when it is the namespace DEV:INO, otherwise -1.  */
static int
open_if_same (const char *path, dev_t dev, ino_t ino)
{
  struct stat sb;
  int fd;

  if (stat (path, &sb) < 0 || sb.st_dev != dev || sb.st_ino != ino)
    return -1;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  /* A process may have left it between the two looks.  */
  if (fd >= 0 && (fstat (fd, &sb) < 0 || sb.st_dev != dev || sb.st_ino != ino))
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Where namespace ID can still be reached from here: a file bound to it
   (`ip netns add`, netns handles) or a process in it.  The namespace, or
   -1 when nothing has it any more; *WHERE (may be NULL) names the file.  */
static int
open_by_id (const char *id, char **where)
{
  cleanup_strv char **mounts = NULL;
  cleanup_dir DIR *proc = NULL;
  struct dirent *de;
  dev_t dev;
  ino_t ino;
  int fd;

  if (! parse_id (id, &dev, &ino))
    return -1;
  if (cc_mountinfo_of_type ("nsfs", &mounts, NULL) == 0)
    for (char **m = mounts; *m; m++)
      if ((fd = open_if_same (*m, dev, ino)) >= 0)
        {
          if (where)
            *where = xstrdup (*m);
          return fd;
        }
  proc = opendir ("/proc");
  while (proc && (de = readdir (proc)) != NULL)
    {
      cleanup_free char *path = NULL;

      if (de->d_name[0] < '0' || de->d_name[0] > '9')
        continue;
      path = xasprintf ("/proc/%s/ns/net", de->d_name);
      if ((fd = open_if_same (path, dev, ino)) >= 0)
        {
          if (where)
            *where = steal_pointer (&path);
          return fd;
        }
    }
  return -1;
}

bool
cc_hostns_exists (const char *id)
{
  cleanup_close int fd = open_by_id (id, NULL);

  return fd >= 0;
}

static char *
short_name (const char *id)
{
  dev_t dev;
  ino_t ino;

  if (! parse_id (id, &dev, &ino))
    return xasprintf ("`%s`", id ? id : "?");
  return xasprintf ("net:[%lu]", (unsigned long)ino);
}

char *
cc_hostns_describe (const char *id)
{
  cleanup_free char *name = short_name (id), *where = NULL;
  cleanup_close int fd = open_by_id (id, &where);

  return where ? xasprintf ("%s (%s)", name, where) : xstrdup (name);
}

int
cc_hostns_refuse (const cJSON *net, const char *here, cc_error_t *err)
{
  cleanup_free char *there = cc_hostns_describe (cc_json_get_string (net, "host_netns"));
  cleanup_free char *mine = short_name (here);

  return cc_error_make (err, 0,
                        "network `%s_%s` lives in network namespace %s, not in this one (%s): run ccompose there, "
                        "or bring the project down first",
                        cc_json_get_string (net, "project"), cc_json_get_string (net, "name"), there, mine);
}

int
cc_hostns_enter (const char *id, struct cc_hostns_visit *v, cc_error_t *err)
{
  cleanup_free char *here = cc_hostns_current ();
  cleanup_close int target = -1, home = -1;

  v->home = -1;
  if (id == NULL || here == NULL || strcmp (id, here) == 0)
    return CC_HOSTNS_ENTERED;
  target = open_by_id (id, NULL);
  if (target < 0)
    return CC_HOSTNS_GONE;
  home = open (SELF_NETNS, O_RDONLY | O_CLOEXEC);
  if (home < 0)
    return cc_error_make (err, errno, "open `%s`", SELF_NETNS);
  if (setns (target, CLONE_NEWNET) < 0)
    return cc_error_make (err, errno, "enter network namespace %s", id);
  v->home = get_and_reset (&home);
  return CC_HOSTNS_ENTERED;
}

void
cc_hostns_leave (struct cc_hostns_visit *v)
{
  if (v->home < 0)
    return;
  if (setns (v->home, CLONE_NEWNET) < 0)
    {
      fprintf (stderr, "ccompose: cannot return to the network namespace of the caller: %s\n", strerror (errno));
      abort ();
    }
  close (v->home);
  v->home = -1;
}

static void
add_unique (char ***v, const char *id)
{
  if (id && ! cc_strv_contains (*v, id))
    cc_strv_append (v, id);
}

char **
cc_hostns_recorded (const cJSON *root)
{
  cleanup_free char *here = cc_hostns_current ();
  char **v = xzalloc (sizeof (char *));
  const cJSON *e;

  add_unique (&v, here);
  for (e = cc_net_first (root, "networks"); e; e = e->next)
    add_unique (&v, cc_json_get_string (e, "host_netns"));
  for (e = cc_net_first (root, "forwarding"); e; e = e->next)
    add_unique (&v, cc_json_get_string (e, "host_netns"));
  return v;
}

/* ip_forward.  */

static cJSON *
forwarding_entry (const cJSON *root, const char *id)
{
  cJSON *e;

  for (e = cc_net_first (root, "forwarding"); e; e = e->next)
    if (str_eq (cc_json_get_string (e, "host_netns"), id))
      return e;
  return NULL;
}

bool
cc_hostns_has_network (const cJSON *root, const char *id)
{
  const cJSON *net;

  for (net = cc_net_first (root, "networks"); net; net = net->next)
    if (cc_hostns_is_here (net, id))
      return true;
  return false;
}

static void
add_forwarding (cJSON *root, const char *id, const char *before)
{
  cJSON *e = cJSON_CreateObject ();

  cc_json_set_string (e, "host_netns", id);
  if (before)
    cc_json_set_string (e, "before", before);
  cJSON_AddItemToArray (cc_net_state_array (root, "forwarding"), e);
}

/* The switches and the field of the entry that keeps each one's value.  */
static const struct
{
  const char *key, *field;
} forwarding_keys[] = {
  { "ipv4/ip_forward", "before" },
  { "ipv6/conf/all/forwarding", "before6" },
};

static int
forwarding_on_one (struct cc_net_state *st, const char *here, size_t k, cc_error_t *err)
{
  cleanup_free char *before = NULL;
  cJSON *e;

  if (cc_sysctl_read (forwarding_keys[k].key, &before, err) < 0)
    return -1;
  if (strcmp (before, "1") == 0)
    return 0;
  e = forwarding_entry (st->root, here);
  if (e == NULL)
    {
      add_forwarding (st->root, here, NULL);
      e = forwarding_entry (st->root, here);
    }
  /* Turned off behind our back since: what it was before us stays.  */
  if (! cJSON_HasObjectItem (e, forwarding_keys[k].field))
    {
      cc_json_set_string (e, forwarding_keys[k].field, before);
      if (cc_net_state_save (st, err) < 0)
        return -1;
    }
  return cc_sysctl_write (forwarding_keys[k].key, "1", err);
}

int
cc_hostns_forwarding_on (struct cc_net_state *st, bool ipv6, cc_error_t *err)
{
  cleanup_free char *here = cc_hostns_current ();

  if (here == NULL)
    return cc_error_make (err, ENOENT, "identify the network namespace: `%s` is missing", SELF_NETNS);
  for (size_t k = 0; k < (ipv6 ? 2u : 1u); k++)
    if (forwarding_on_one (st, here, k, err) < 0)
      return -1;
  return 0;
}

bool
cc_hostns_forwarding_unneeded (const cJSON *root)
{
  cleanup_free char *here = cc_hostns_current ();

  return forwarding_entry (root, here) != NULL && ! cc_hostns_has_network (root, here);
}

int
cc_hostns_forwarding_restore (cJSON *root, cc_error_t *err)
{
  cleanup_free char *here = cc_hostns_current ();
  cJSON *e = forwarding_entry (root, here);

  if (e == NULL || cc_hostns_has_network (root, here))
    return 0;
  for (size_t k = 0; k < CC_N_ELEMENTS (forwarding_keys); k++)
    if (cJSON_HasObjectItem (e, forwarding_keys[k].field)
        && cc_sysctl_write (forwarding_keys[k].key, cc_json_get_string (e, forwarding_keys[k].field) ?: "0", err) < 0)
      return -1;
  cc_net_state_remove (cc_net_state_array (root, "forwarding"), e);
  return 0;
}

bool
cc_hostns_forwarding_recorded (const cJSON *root, const char *id)
{
  return forwarding_entry (root, id) != NULL;
}

void
cc_hostns_forwarding_forget (cJSON *root, const char *id)
{
  cJSON *e = forwarding_entry (root, id);

  if (e)
    cc_net_state_remove (cc_net_state_array (root, "forwarding"), e);
}

void
cc_hostns_migrate (cJSON *root)
{
  cleanup_free char *here = NULL;

  if (! cJSON_HasObjectItem (root, "ip_forward_changed"))
    return;
  here = cc_json_get_bool (root, "ip_forward_changed", false) ? cc_hostns_current () : NULL;
  if (here && forwarding_entry (root, here) == NULL)
    add_forwarding (root, here, "0");
  cJSON_DeleteItemFromObjectCaseSensitive (root, "ip_forward_changed");
}
