/* The networks as `docker network inspect` shows them (issue 15): the
   records of the network state (state.h) in Docker's JSON shape, and
   `network rm` of the networks `network create` made.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/ipam.h"
#include "network/link.h"
#include "network/netimpl.h"
#include "network/network.h"
#include "network/state.h"

static const char *
full_name (const cJSON *net, char **implied)
{
  const char *full = cc_json_get_string (net, "full_name");

  if (full)
    return full;
  *implied = cc_paths_resource_name (cc_json_get_string (net, "project") ?: "", cc_json_get_string (net, "name") ?: "");
  return *implied;
}

/* One IPAM.Config entry: Docker writes IPRange only when one was given.  */
static void
add_ipam_config (cJSON *config, const cJSON *net, const char *suffix)
{
  cleanup_free char *subnet_k = xasprintf ("subnet%s", suffix), *gw_k = xasprintf ("gateway%s", suffix),
                    *range_k = xasprintf ("ip_range%s", suffix);
  const char *subnet = cc_json_get_string (net, subnet_k);
  cJSON *c, *aux;

  if (subnet == NULL)
    return;
  c = cJSON_CreateObject ();
  cc_json_set_string (c, "Subnet", subnet);
  if (cc_json_get_string (net, range_k))
    cc_json_set_string (c, "IPRange", cc_json_get_string (net, range_k));
  cc_json_set_string (c, "Gateway", cc_json_get_string (net, gw_k) ?: "");
  if (*suffix == '\0' && (aux = cc_net_options_aux_inspect (net)) != NULL)
    cc_json_set (c, "AuxiliaryAddresses", aux);
  cJSON_AddItemToArray (config, c);
}

static cJSON *
ipam_of (const cJSON *net)
{
  cJSON *ipam = cJSON_CreateObject (), *config = cJSON_CreateArray ();

  cc_json_set_string (ipam, "Driver", "default");
  cc_json_set (ipam, "Options", cJSON_CreateObject ());
  add_ipam_config (config, net, "");
  add_ipam_config (config, net, "6");
  cc_json_set (ipam, "Config", config);
  return ipam;
}

/* "ADDRESS/PREFIX" of IP on the subnet SUBNET_KEY of NET, or "".  */
static char *
with_prefix (const cJSON *net, const char *subnet_key, const char *ip)
{
  const char *subnet = cc_json_get_string (net, subnet_key), *slash = subnet ? strchr (subnet, '/') : NULL;

  return ip && slash ? xasprintf ("%s%s", ip, slash) : xstrdup ("");
}

/* Docker keys them by container id; ccompose's containers are known by
   name in the network state, so the name is the key too.  */
static cJSON *
containers_of (const cJSON *net)
{
  cJSON *out = cJSON_CreateObject ();

  for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
    {
      uint32_t ip = 0;
      cleanup_free char *v4 = with_prefix (net, "subnet", cc_json_get_string (m, "ip"));
      cleanup_free char *v6 = with_prefix (net, "subnet6", cc_json_get_string (m, "ip6"));
      cleanup_free char *mac = NULL;
      cJSON *c = cJSON_CreateObject ();

      cc_ipv4_parse (cc_json_get_string (m, "ip"), &ip);
      mac = cc_veth_peer_mac (cc_json_get_string (m, "mac"), ip);
      cc_json_set_string (c, "Name", cc_json_get_string (m, "container") ?: "");
      cc_json_set_string (c, "EndpointID", "");
      cc_json_set_string (c, "MacAddress", mac ?: "");
      cc_json_set_string (c, "IPv4Address", v4);
      cc_json_set_string (c, "IPv6Address", v6);
      cc_json_set (out, cc_json_get_string (m, "container") ?: "?", c);
    }
  return out;
}

static cJSON *
options_of (const cJSON *net)
{
  cJSON *o = cJSON_CreateObject ();
  int mtu = (int)cc_json_get_int (net, "mtu", 0);

  if (mtu > 0)
    {
      cleanup_free char *text = xasprintf ("%d", mtu);
      cc_json_set_string (o, CC_NET_DRIVER_OPT_MTU, text);
    }
  cc_net_options_inspect (net, o);
  return o;
}

static cJSON *
inspect_one (const cJSON *net)
{
  cleanup_free char *implied = NULL;
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive (net, "labels");
  cJSON *o = cJSON_CreateObject ();

  cc_json_set_string (o, "Name", full_name (net, &implied));
  cc_json_set_string (o, "Id", cc_json_get_string (net, "id") ?: "");
  cc_json_set_string (o, "Created", cc_json_get_string (net, "created") ?: "0001-01-01T00:00:00Z");
  cc_json_set_string (o, "Scope", "local");
  cc_json_set_string (o, "Driver", "bridge");
  cc_json_set_bool (o, "EnableIPv4", cc_net_has_ipv4 (net));
  cc_json_set_bool (o, "EnableIPv6", cc_json_get_string (net, "subnet6") != NULL);
  cc_json_set (o, "IPAM", ipam_of (net));
  cc_json_set_bool (o, "Internal", cc_json_get_bool (net, "internal", false));
  cc_json_set_bool (o, "Attachable", false);
  cc_json_set_bool (o, "Ingress", false);
  cc_json_set (o, "ConfigFrom", cJSON_CreateObject ());
  cc_json_set_string (cJSON_GetObjectItemCaseSensitive (o, "ConfigFrom"), "Network", "");
  cc_json_set_bool (o, "ConfigOnly", false);
  cc_json_set (o, "Containers", containers_of (net));
  cc_json_set (o, "Options", options_of (net));
  cc_json_set (o, "Labels", cJSON_IsObject (labels) ? cJSON_Duplicate (labels, true) : cJSON_CreateObject ());
  return o;
}

static int
by_name (const void *a, const void *b)
{
  const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

  return strcmp (cc_json_get_string (x, "Name"), cc_json_get_string (y, "Name"));
}

int
cc_network_inspect_all (cJSON **out, char ***projects, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cleanup_free cJSON **v = NULL;
  size_t n = 0;
  cJSON *arr;

  if (cc_net_state_open (&st, err) < 0)
    return -1;
  for (const cJSON *net = cc_net_first (st.root, "networks"); net; net = net->next)
    {
      cJSON *o = inspect_one (net);
      /* Carried through the sort, taken off below.  */
      cc_json_set_string (o, "\x01project", cc_json_get_string (net, "project") ?: "");
      v = xreallocarray (v, n + 1, sizeof (*v));
      v[n++] = o;
    }
  if (n > 1)
    qsort (v, n, sizeof (*v), by_name);
  arr = cJSON_CreateArray ();
  *projects = xzalloc (sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      cJSON *p = cJSON_DetachItemFromObjectCaseSensitive (v[i], "\x01project");
      cc_strv_append (projects, cJSON_IsString (p) ? p->valuestring : "");
      cJSON_Delete (p);
      cJSON_AddItemToArray (arr, v[i]);
    }
  *out = arr;
  return 0;
}

/* Docker refuses to remove a network with endpoints; the message names
   them, which Docker's does not.  */
static int
refuse_in_use (const cJSON *net, const char *name, cc_error_t *err)
{
  cleanup_strv char **users = NULL;
  cleanup_free char *joined = NULL;

  for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
    cc_strv_push (&users, xasprintf ("%s (project %s)", cc_json_get_string (m, "container") ?: "?",
                                     cc_net_member_project (net, m) ?: "?"));
  if (users == NULL)
    return 0;
  joined = cc_strv_join (users, ", ");
  return cc_error_make (err, EBUSY, "error while removing network: network %s has active endpoints: %s", name, joined);
}

static cJSON *
find_by_name_or_id (cJSON *root, const char *what)
{
  cJSON *net = cc_net_state_find_by_full_name (root, what);

  for (cJSON *n = cc_net_first (root, "networks"); net == NULL && n; n = n->next)
    if (strlen (what) >= 12 && strncmp (cc_json_get_string (n, "id") ?: "", what, strlen (what)) == 0)
      net = n;
  return net;
}

int
cc_network_remove_standalone (const char *what, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cleanup_free char *implied = NULL;
  const char *project, *name;
  cJSON *net;

  if (cc_net_state_open (&st, err) < 0)
    return -1;
  net = find_by_name_or_id (st.root, what);
  if (net == NULL)
    return cc_error_make (err, ENOENT, "network %s not found", what);
  project = cc_json_get_string (net, "project") ?: "";
  name = full_name (net, &implied);
  if (strcmp (project, CC_NET_STANDALONE) != 0)
    return cc_error_make (err, EPERM, "network %s belongs to project %s: `ccompose -p %s down` removes it", name,
                          project, project);
  if (refuse_in_use (net, name, err) < 0)
    return -1;
  if (cc_net_remove_locked (&st, net, err) < 0)
    return cc_error_wrap (err, "remove network `%s`", name);
  return 0;
}
