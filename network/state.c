/* The network state document and its lock.  */
#include "network/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/dns.h"
#include "network/hostns.h"
#include "network/link.h"

static bool
is_empty (const char *path)
{
  struct stat sb;

  return stat (path, &sb) == 0 && S_ISREG (sb.st_mode) && sb.st_size == 0;
}

char *
cc_net_state_file (void)
{
  return cc_paths_network_state ();
}

int
cc_net_state_open (struct cc_net_state *st, cc_error_t *err)
{
  cleanup_free char *dir = cc_paths_network_dir ();
  cleanup_free char *lock = cc_paths_network_lock ();

  st->lock_fd = -1;
  st->root = NULL;
  st->path = cc_net_state_file ();
  if (cc_mkdir_p (dir, 0700, err) < 0)
    return -1;
  if (cc_lock_path (lock, true, &st->lock_fd, err) < 0)
    return -1;
  /* Empty: what a power cut can leave of an unsynced save (see below) on
     a /run that is not tmpfs; the links and rules it described went with
     the machine.  */
  if (! cc_file_exists (st->path) || is_empty (st->path))
    {
      st->root = cJSON_CreateObject ();
      return 0;
    }
  if (cc_json_load_file (st->path, &st->root, err) < 0)
    return -1;
  cc_hostns_migrate (st->root);
  return 0;
}

/* Atomic, and not fsynced: it lives under the state directory (see
   cc_write_file_atomic).  Where /run is not tmpfs, an fsync cost 2.7 ms
   per save, under the network lock, twice per container.  */
int
cc_net_state_save (struct cc_net_state *st, cc_error_t *err)
{
  return cc_json_save_file (st->path, st->root, err);
}

void
cc_net_state_notify_dns (struct cc_net_state *st, const char *project)
{
  if (project && *project && ! cc_strv_contains (st->dns_notify, project))
    cc_strv_append (&st->dns_notify, project);
}

/* The lock goes first: the responders told here read the state without
   it, and must not hold up the next command that needs it.  */
void
cc_net_state_close (struct cc_net_state *st)
{
  cleanup_strv char **affected = NULL;

  if (st->lock_fd >= 0)
    close (st->lock_fd);
  st->lock_fd = -1;
  if (st->dns_notify && st->root)
    affected = cc_net_dns_affected (st->root, st->dns_notify);
  cc_strv_free (st->dns_notify);
  st->dns_notify = NULL;
  if (st->root)
    cJSON_Delete (st->root);
  st->root = NULL;
  free (st->path);
  st->path = NULL;
  cc_net_dns_notify (affected);
}

cJSON *
cc_net_state_array (cJSON *root, const char *key)
{
  cJSON *a = cJSON_GetObjectItemCaseSensitive (root, key);

  if (cJSON_IsArray (a))
    return a;
  a = cJSON_CreateArray ();
  cc_json_set (root, key, a);
  return a;
}

static bool
str_eq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

cJSON *
cc_net_state_find_network (cJSON *root, const char *project, const char *name)
{
  cJSON *n;

  for (n = cc_net_first (root, "networks"); n; n = n->next)
    if (str_eq (cc_json_get_string (n, "project"), project) && str_eq (cc_json_get_string (n, "name"), name))
      return n;
  return NULL;
}

cJSON *
cc_net_state_find_member (cJSON *net, const char *container)
{
  cJSON *m;

  for (m = cc_net_first (net, "members"); m; m = m->next)
    if (str_eq (cc_json_get_string (m, "container"), container))
      return m;
  return NULL;
}

cJSON *
cc_net_state_find_by_full_name (cJSON *root, const char *full_name)
{
  cJSON *n;

  for (n = cc_net_first (root, "networks"); n; n = n->next)
    {
      const char *full = cc_json_get_string (n, "full_name");
      cleanup_free char *implied = full ? NULL
                                        : cc_paths_resource_name (cc_json_get_string (n, "project") ?: "",
                                                                  cc_json_get_string (n, "name") ?: "");
      if (str_eq (full ? full : implied, full_name))
        return n;
    }
  return NULL;
}

bool
cc_net_lives_in (const cJSON *net, const char *host_netns)
{
  const char *id = cc_json_get_string (net, "host_netns");

  return id == NULL || str_eq (id, host_netns);
}

const char *
cc_net_member_project (const cJSON *net, const cJSON *m)
{
  const char *own = cc_json_get_string (m, "project");

  return own ? own : cc_json_get_string (net, "project");
}

static const char *
member_key (const cJSON *net, const cJSON *m)
{
  const char *key = cc_json_get_string (m, "key");

  return key ? key : cc_json_get_string (net, "name");
}

cJSON *
cc_net_state_find_membership (cJSON *root, const char *project, const char *network, const char *container,
                              cJSON **net_out)
{
  cJSON *n, *m;

  for (n = cc_net_first (root, "networks"); n; n = n->next)
    if ((m = cc_net_state_find_member (n, container)) != NULL && str_eq (cc_net_member_project (n, m), project)
        && str_eq (member_key (n, m), network))
      {
        *net_out = n;
        return m;
      }
  return NULL;
}

void
cc_net_state_remove (cJSON *arr, cJSON *item)
{
  cJSON_Delete (cJSON_DetachItemViaPointer (arr, item));
}

static const char *const proto_names[] = { [CC_NET_TCP] = "tcp", [CC_NET_UDP] = "udp" };

cJSON *
cc_net_ports_to_json (const struct cc_net_port *ports, size_t n)
{
  cJSON *arr = cJSON_CreateArray ();

  for (size_t i = 0; i < n; i++)
    {
      cJSON *p = cJSON_CreateObject ();

      cc_json_set_string (p, "proto", proto_names[ports[i].proto]);
      cc_json_set_string (p, "host_ip", ports[i].host_ip);
      cc_json_set_int (p, "host_port", ports[i].host_port);
      cc_json_set_int (p, "host_port_end", ports[i].host_port_end);
      cc_json_set_int (p, "container_port", ports[i].container_port);
      cc_json_set_int (p, "container_port_end", ports[i].container_port_end);
      cJSON_AddItemToArray (arr, p);
    }
  return arr;
}

int
cc_net_port_from_json (const cJSON *j, struct cc_net_port *out, cc_error_t *err)
{
  const char *proto = cc_json_get_string (j, "proto");
  const char *ip = cc_json_get_string (j, "host_ip");

  memset (out, 0, sizeof (*out));
  out->proto = str_eq (proto, "udp") ? CC_NET_UDP : CC_NET_TCP;
  if (ip && strlen (ip) >= sizeof (out->host_ip))
    return cc_error_make (err, EINVAL, "state: invalid host address `%s`", ip);
  snprintf (out->host_ip, sizeof (out->host_ip), "%s", ip ? ip : "");
  out->host_port = (uint16_t)cc_json_get_int (j, "host_port", 0);
  out->host_port_end = (uint16_t)cc_json_get_int (j, "host_port_end", out->host_port);
  out->container_port = (uint16_t)cc_json_get_int (j, "container_port", 0);
  out->container_port_end = (uint16_t)cc_json_get_int (j, "container_port_end", out->container_port);
  return 0;
}

bool
cc_net_has_ipv4 (const cJSON *net)
{
  return cc_json_get_string (net, "subnet") != NULL;
}
