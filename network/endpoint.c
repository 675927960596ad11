/* Containers on networks: attach, detach, publish.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/firewall.h"
#include "network/hostns.h"
#include "network/hostport.h"
#include "network/ipam.h"
#include "network/link.h"
#include "network/netimpl.h"
#include "network/network.h"
#include "network/state.h"

static bool
ifname_taken (const cJSON *root, const char *netns, const char *name)
{
  for (const cJSON *net = cc_net_first (root, "networks"); net; net = net->next)
    for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
      if (strcmp (cc_json_get_string (m, "netns") ?: "", netns) == 0
          && strcmp (cc_json_get_string (m, "ifname") ?: "", name) == 0)
        return true;
  return false;
}

/* The name the endpoint asks for (compose's interface_name), or eth0 for
   the first network of a namespace, eth1 for the next (or the network's
   container_iface_prefix and its index)... skipping the names its other
   networks ask for.  */
static int
choose_ifname (const cJSON *root, const cJSON *net, const char *netns, const struct cc_net_endpoint *ep, char **out,
               cc_error_t *err)
{
  if (ep->ifname)
    {
      if (ifname_taken (root, netns, ep->ifname))
        return cc_error_make (err, EEXIST, "interface `%s` already exists in container `%s`", ep->ifname,
                              ep->container);
      *out = xstrdup (ep->ifname);
      return 0;
    }
  for (int k = 0;; k++)
    {
      char *name = xasprintf ("%s%d", cc_net_options_iface_prefix (net), k);
      if (! ifname_taken (root, netns, name) && ! cc_strv_contains (ep->reserved_ifnames, name))
        {
          *out = name;
          return 0;
        }
      free (name);
    }
}

static int
choose_ip (const cJSON *net, const char *fixed, char **out, cc_error_t *err)
{
  cleanup_free uint32_t *used = NULL;
  size_t n = 0;
  struct cc_ipv4_net subnet, range;
  const char *range_s = cc_json_get_string (net, "ip_range");
  uint32_t gw = 0, ip = 0;
  const cJSON *m;

  if (cc_ipv4_net_parse (cc_json_get_string (net, "subnet"), &subnet, err) < 0
      || (range_s && cc_ipv4_net_parse (range_s, &range, err) < 0))
    return -1;
  cc_ipv4_parse (cc_json_get_string (net, "gateway"), &gw);
  for (m = cc_net_first (net, "members"); m; m = m->next)
    {
      used = xreallocarray (used, n + 1, sizeof (*used));
      if (cc_ipv4_parse (cc_json_get_string (m, "ip"), &used[n]) == 0)
        n++;
    }
  cc_net_options_reserved (net, &used, &n);
  if (fixed && cc_ipv4_parse (fixed, &ip) < 0)
    return cc_error_make (err, EINVAL, "invalid ipv4_address `%s`", fixed);
  if (cc_net_options_check_fixed (net, fixed, err) < 0)
    return -1;
  if (fixed ? cc_ipam_check_address (&subnet, gw, used, n, ip, err) < 0
            : cc_ipam_pick_address (&subnet, range_s ? &range : NULL, gw, used, n, &ip, err) < 0)
    return -1;
  *out = cc_ipv4_format (ip);
  return 0;
}

/* The member's IPv6 address on a network with "subnet6" (issue 17).  */
static int
choose_ip6 (const cJSON *net, const char *fixed, char **out, cc_error_t *err)
{
  cleanup_free struct in6_addr *used = NULL;
  size_t n = 0;
  struct cc_ipv6_net subnet, range;
  const char *range_s = cc_json_get_string (net, "ip_range6");
  struct in6_addr gw, ip;

  if (cc_ipv6_net_parse (cc_json_get_string (net, "subnet6"), &subnet, err) < 0
      || (range_s && cc_ipv6_net_parse (range_s, &range, err) < 0)
      || cc_ipv6_parse (cc_json_get_string (net, "gateway6"), &gw) < 0)
    return cc_error_make (err, EINVAL, "network state: bad IPv6 subnet or gateway");
  for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
    {
      used = xreallocarray (used, n + 1, sizeof (*used));
      if (cc_ipv6_parse (cc_json_get_string (m, "ip6"), &used[n]) == 0)
        n++;
    }
  if (fixed && cc_ipv6_parse (fixed, &ip) < 0)
    return cc_error_make (err, EINVAL, "invalid ipv6_address `%s`", fixed);
  if (fixed ? cc_ipam_check_address6 (&subnet, &gw, used, n, &ip, err) < 0
            : cc_ipam_pick_address6 (&subnet, range_s ? &range : NULL, &gw, used, n, &ip, err) < 0)
    return -1;
  *out = cc_ipv6_format (&ip);
  return 0;
}

static void
set_or_remove (cJSON *m, const char *key, const char *value)
{
  if (value)
    cc_json_set_string (m, key, value);
  else
    cJSON_DeleteItemFromObjectCaseSensitive (m, key);
}

/* What an attach may change on a container already attached: names,
   hosts file and ports.  Its address and interfaces stay.  */
static void
set_names_and_ports (cJSON *m, const struct cc_net_endpoint *ep, const struct cc_net_port *ports)
{
  cc_json_set_string (m, "service", ep->service ? ep->service : "");
  cc_json_set_int (m, "number", ep->number);
  if (ep->oneoff)
    cc_json_set_bool (m, "oneoff", true);
  else
    cJSON_DeleteItemFromObjectCaseSensitive (m, "oneoff");
  set_or_remove (m, "hostname", ep->hostname);
  set_or_remove (m, "domainname", ep->domainname);
  set_or_remove (m, "hosts_path", ep->hosts_path);
  cc_json_set (m, "aliases", cc_json_from_strv (ep->aliases));
  cc_json_set (m, "extra_hosts", cc_json_from_strv (ep->extra_hosts));
  if (ep->dns && *ep->dns)
    cc_json_set (m, "dns", cc_json_from_strv (ep->dns));
  else
    cJSON_DeleteItemFromObjectCaseSensitive (m, "dns");
  cc_json_set (m, "ports", cc_net_ports_to_json (ports, ep->n_ports));
}

/* The MAC a member's interface has: recorded when given, else derived
   from its address.  */
static char *
member_mac (const cJSON *m)
{
  uint32_t ip = 0;

  cc_ipv4_parse (cc_json_get_string (m, "ip"), &ip);
  return cc_veth_peer_mac (cc_json_get_string (m, "mac"), ip);
}

/* A member with no IPv4 address (issue 15) has its MAC derived from the
   low 32 bits of its IPv6 one, recorded as if given: the bridge's other
   members have distinct addresses in one subnet, hence distinct MACs.  */
static char *
ipv6_only_mac (const char *ip6)
{
  struct in6_addr a;

  if (ip6 == NULL || cc_ipv6_parse (ip6, &a) < 0)
    return NULL;
  return cc_veth_peer_mac (NULL, (uint32_t)a.s6_addr[12] << 24 | (uint32_t)a.s6_addr[13] << 16
                                     | (uint32_t)a.s6_addr[14] << 8 | a.s6_addr[15]);
}

/* A MAC given by the compose file, checked against the interfaces
   already on the network: one MAC twice on a bridge sends each frame to
   whichever the bridge learnt last.  */
static int
choose_mac (const cJSON *net, const struct cc_net_endpoint *ep, const char *ip, char **out, cc_error_t *err)
{
  uint32_t a = 0;

  *out = NULL;
  if (ep->mac_address == NULL)
    return 0;
  cc_ipv4_parse (ip, &a);
  if ((*out = cc_veth_peer_mac (ep->mac_address, a)) == NULL)
    return cc_error_make (err, EINVAL, "invalid mac_address `%s` (a unicast address, as 02:42:ac:11:00:02)",
                          ep->mac_address);
  for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
    {
      cleanup_free char *have = member_mac (m);
      if (have && strcmp (have, *out) == 0 && strcmp (cc_json_get_string (m, "container") ?: "", ep->container))
        return cc_error_make (err, EADDRINUSE, "mac_address `%s` is already used by container `%s` on network `%s`",
                              ep->mac_address, cc_json_get_string (m, "container") ?: "",
                              cc_json_get_string (net, "name"));
    }
  return 0;
}

static int
record_member (struct cc_net_state *st, cJSON *net, const struct cc_net_endpoint *ep, const struct cc_net_port *ports,
               cJSON **out, cc_error_t *err)
{
  cleanup_free char *netns = ep->netns_path ? xstrdup (ep->netns_path) : cc_netns_path (ep->container);
  cleanup_free char *ip = NULL, *ip6 = NULL, *mac = NULL;
  cleanup_free char *veth = cc_veth_name (cc_paths_net_tag (), ep->project, ep->network, ep->container);
  cleanup_free char *ifname = NULL;
  cJSON *m;

  if (! cc_file_exists (netns))
    return cc_error_make (err, ENOENT, "network namespace `%s` does not exist", netns);
  if (ep->ipv4_address && ! cc_net_has_ipv4 (net))
    return cc_error_make (err, EINVAL, "ipv4_address `%s`: network `%s` has IPv4 disabled (enable_ipv4)",
                          ep->ipv4_address, cc_json_get_string (net, "name"));
  if (cc_net_has_ipv4 (net) && choose_ip (net, ep->ipv4_address, &ip, err) < 0)
    return -1;
  if (choose_mac (net, ep, ip, &mac, err) < 0)
    return -1;
  if (ep->ipv6_address && cc_json_get_string (net, "subnet6") == NULL)
    return cc_error_make (err, EINVAL, "ipv6_address `%s`: network `%s` has no IPv6 (enable_ipv6)", ep->ipv6_address,
                          cc_json_get_string (net, "name"));
  if (cc_json_get_string (net, "subnet6") && choose_ip6 (net, ep->ipv6_address, &ip6, err) < 0)
    return -1;
  if (ip == NULL && mac == NULL)
    mac = ipv6_only_mac (ip6);
  if (choose_ifname (st->root, net, netns, ep, &ifname, err) < 0)
    return -1;
  m = cJSON_CreateObject ();
  cc_json_set_string (m, "container", ep->container);
  cc_json_set_string (m, "netns", netns);
  cc_json_set_string (m, "ifname", ifname);
  cc_json_set_string (m, "host_veth", veth);
  if (ip)
    cc_json_set_string (m, "ip", ip);
  if (ip6)
    cc_json_set_string (m, "ip6", ip6);
  if (mac)
    cc_json_set_string (m, "mac", mac);
  if (ep->link_local_ips && *ep->link_local_ips)
    cc_json_set (m, "link_local_ips", cc_json_from_strv (ep->link_local_ips));
  if (ep->no_gateway)
    cc_json_set_bool (m, "gateway", false);
  if (ep->ipv4_gateway)
    cc_json_set_bool (m, "gateway4", ep->ipv4_gateway > 0);
  set_names_and_ports (m, ep, ports);
  if (ep->held)
    cc_json_set_bool (m, "serving", false);
  cJSON_AddItemToArray (cc_net_state_array (net, "members"), m);
  *out = m;
  return 0;
}

/* The member's IPv6 address (issue 17), without DAD (cc_nl_addr_add6).  */
static int
configure_ipv6 (struct nl_sock *sk, int idx, const cJSON *net, const cJSON *m, cc_error_t *err)
{
  struct cc_ipv6_net subnet;
  struct in6_addr ip;

  if (cc_json_get_string (m, "ip6") == NULL)
    return 0;
  if (cc_ipv6_net_parse (cc_json_get_string (net, "subnet6"), &subnet, err) < 0
      || cc_ipv6_parse (cc_json_get_string (m, "ip6"), &ip) < 0)
    return cc_error_make (err, EINVAL, "network state: bad IPv6 address");
  return cc_nl_addr_add6 (sk, idx, &ip, subnet.prefix, err);
}

static int
default_route6 (struct nl_sock *sk, int idx, const cJSON *net, cc_error_t *err)
{
  struct in6_addr gw;

  if (cc_ipv6_parse (cc_json_get_string (net, "gateway6"), &gw) < 0)
    return cc_error_make (err, EINVAL, "network state: bad IPv6 gateway");
  return cc_nl_default_route6 (sk, idx, &gw, err);
}

/* Docker's masks for link-local addresses: 169.254.0.0/16, fe80::/64.  */
static int
add_link_local (struct nl_sock *sk, int idx, const cJSON *m, cc_error_t *err)
{
  for (const cJSON *a = cc_net_first (m, "link_local_ips"); a; a = a->next)
    {
      uint32_t ip4;
      struct in6_addr ip6;
      const char *s = cJSON_IsString (a) ? a->valuestring : "";

      if (cc_ipv4_parse (s, &ip4) == 0)
        {
          if (cc_nl_addr_add (sk, idx, ip4, 16, err) < 0)
            return -1;
        }
      else if (cc_ipv6_parse (s, &ip6) == 0)
        {
          if (cc_nl_addr_add6 (sk, idx, &ip6, 64, err) < 0)
            return -1;
        }
      else
        return cc_error_make (err, EINVAL, "invalid link_local_ips entry `%s`", s);
    }
  return 0;
}

static int
configure_inside (int nsfd, const cJSON *net, const cJSON *m, cc_error_t *err)
{
  cleanup_nl_sock struct nl_sock *sk = NULL;
  const char *ifname = cc_json_get_string (m, "ifname");
  struct cc_ipv4_net subnet = { 0, 0 };
  uint32_t ip = 0, gw = 0;
  bool v4 = cc_net_has_ipv4 (net);
  int idx;

  /* An IPv6-only network (issue 15) gives no IPv4 address or route.  */
  if (v4
      && (cc_ipv4_net_parse (cc_json_get_string (net, "subnet"), &subnet, err) < 0
          || cc_ipv4_parse (cc_json_get_string (m, "ip"), &ip) < 0
          || cc_ipv4_parse (cc_json_get_string (net, "gateway"), &gw) < 0))
    return cc_error_make (err, EINVAL, "network state: bad address");
  if (cc_nl_open (nsfd, &sk, err) < 0 || cc_nl_link_up (sk, 1, err) < 0)
    return -1;
  idx = cc_nl_link_index (sk, ifname);
  if (idx < 0)
    return cc_error_make (err, ENODEV, "`%s` missing in the container", ifname);
  if ((v4 && cc_nl_addr_add (sk, idx, ip, subnet.prefix, err) < 0) || cc_nl_link_up (sk, idx, err) < 0)
    return -1;
  cc_crash_point ("container address");
  if (configure_ipv6 (sk, idx, net, m, err) < 0 || add_link_local (sk, idx, m, err) < 0)
    return -1;
  /* An internal network has no way out: no default route through it; nor
     has a network whose gw_priority another's outranks.  */
  if (cc_json_get_bool (net, "internal", false))
    return 0;
  if (v4 && cc_json_get_bool (m, "gateway4", cc_json_get_bool (m, "gateway", true))
      && cc_nl_default_route (sk, idx, gw, err) < 0)
    return -1;
  if (! cc_json_get_bool (m, "gateway", true))
    return 0;
  return cc_json_get_string (m, "ip6") ? default_route6 (sk, idx, net, err) : 0;
}

static int
setup_member (const cJSON *net, const cJSON *m, cc_error_t *err)
{
  cleanup_close int nsfd = -1;
  cleanup_nl_sock struct nl_sock *sk = NULL;
  cleanup_free char *alias = cc_net_link_alias (cc_json_get_string (net, "project"), cc_json_get_string (net, "name"),
                                                cc_json_get_string (m, "container"));
  struct cc_veth v = {
    .host_name = cc_json_get_string (m, "host_veth"),
    .bridge = cc_json_get_string (net, "bridge"),
    .peer_name = cc_json_get_string (m, "ifname"),
    .alias = alias,
    .mtu = (int)cc_json_get_int (net, "mtu", 0),
    .group = cc_net_group_of (net),
    .mac = cc_json_get_string (m, "mac"),
    .isolated = ! cc_json_get_bool (net, "icc", true),
  };

  if (cc_json_get_string (m, "ip") && cc_ipv4_parse (cc_json_get_string (m, "ip"), &v.peer_ip) < 0)
    return cc_error_make (err, EINVAL, "network state: bad address of `%s`", cc_json_get_string (m, "container"));
  if (cc_netns_open (cc_json_get_string (m, "netns"), &nsfd, err) < 0 || cc_nl_open (-1, &sk, err) < 0)
    return -1;
  v.netns_fd = nsfd;
  if (cc_veth_create (sk, &v, err) < 0)
    return -1;
  return configure_inside (nsfd, net, m, err);
}

static void
fill_attachment (const cJSON *net, const cJSON *m, struct cc_net_attachment *out)
{
  struct cc_ipv4_net subnet = { 0, 0 };

  if (out == NULL)
    return;
  cc_ipv4_net_parse (cc_json_get_string (net, "subnet"), &subnet, NULL);
  out->ifname = xstrdup (cc_json_get_string (m, "ifname"));
  out->ip = xstrdup (cc_json_get_string (m, "ip") ?: "");
  out->gateway = xstrdup (cc_json_get_string (net, "gateway") ?: "");
  out->prefix = subnet.prefix;
}

static cJSON *
find_network (struct cc_net_state *st, const char *project, const char *network, cc_error_t *err)
{
  cJSON *net = cc_net_state_find_network (st->root, project, network);

  if (net == NULL)
    cc_error_make (err, ENOENT, "network `%s_%s` does not exist", project, network);
  return net;
}

/* Resolved under the lock that records the member, so the network cannot
   go between the lookup and the record.  */
static cJSON *
find_external (struct cc_net_state *st, const struct cc_net_endpoint *ep, cc_error_t *err)
{
  cJSON *net = cc_net_state_find_by_full_name (st->root, ep->external_name);

  if (net == NULL)
    cc_error_make (err, ENOENT, "network %s declared as external, but could not be found", ep->external_name);
  return net;
}

/* ufw or firewalld: their rules sit in INPUT, which DNATed traffic never
   crosses, so they do not filter published ports (a classic surprise).  */
static const char *
host_firewall (void)
{
  cleanup_free char *ufw = NULL;

  if (cc_read_file ("/etc/ufw/ufw.conf", &ufw, NULL, NULL) == 0 && strstr (ufw, "\nENABLED=yes"))
    return "ufw";
  if (cc_file_exists ("/run/firewalld/firewalld.pid") || cc_file_exists ("/var/run/firewalld.pid"))
    return "firewalld";
  return NULL;
}

static void
warn_unfiltered_ports (const struct cc_net_endpoint *ep, const struct cc_net_port *ports)
{
  const char *fw = ep->n_ports ? host_firewall () : NULL;

  for (size_t i = 0; fw && i < ep->n_ports; i++)
    if (ports[i].host_ip[0] == '\0' || strcmp (ports[i].host_ip, "0.0.0.0") == 0)
      cc_warn ("port %u of `%s` is reachable from the network and %s does not filter it; publish it on "
               "127.0.0.1 to keep it local",
               ports[i].host_port, ep->container, fw);
}

/* What wiring one container needs of its network and its record:
   copies, since the state is no longer held while the links are made.  */
struct wiring
{
  cJSON *net, *m;
};

static void
wirings_free (struct wiring **w)
{
  for (size_t i = 0; *w && ((*w)[i].net || (*w)[i].m); i++)
    {
      cJSON_Delete ((*w)[i].net);
      cJSON_Delete ((*w)[i].m);
    }
  free (*w);
}
#define cleanup_wirings __attribute__ ((cleanup (wirings_free)))

static cJSON *
network_view (const cJSON *net)
{
  static const char *const keys[]
      = { "project", "name", "bridge", "subnet", "gateway", "internal", "mtu", "group", "subnet6", "gateway6", "icc" };
  cJSON *v = cJSON_CreateObject ();

  for (size_t i = 0; i < CC_N_ELEMENTS (keys); i++)
    {
      const cJSON *x = cJSON_GetObjectItemCaseSensitive (net, keys[i]);
      if (x)
        cJSON_AddItemToObject (v, keys[i], cJSON_Duplicate (x, true));
    }
  return v;
}

/* Check and record one container (in memory: the caller saves).  */
static int
record_one (struct cc_net_state *st, const struct cc_net_endpoint *ep, struct wiring *w, cc_error_t *err)
{
  cleanup_free struct cc_net_port *ports = xzalloc ((ep->n_ports + 1) * sizeof (*ports));
  cleanup_free char *here = cc_hostns_current ();
  cJSON *net, *m;

  if (ep->container == NULL || *ep->container == '\0' || strchr (ep->container, ' '))
    return cc_error_make (err, EINVAL, "invalid container name `%s`", ep->container ? ep->container : "");
  if ((net = ep->external_name ? find_external (st, ep, err) : find_network (st, ep->project, ep->network, err))
      == NULL)
    return -1;
  /* Its bridge, and the rules that would publish the ports, are there.  */
  if (! cc_hostns_is_here (net, here))
    return cc_hostns_refuse (net, here, err);
  m = cc_net_state_find_member (net, ep->container);
  /* An internal network publishes nothing: no port to take from others.  */
  if (ep->n_ports && cc_json_get_bool (net, "internal", false))
    {
      cc_warn ("network `%s_%s` is internal: ports of `%s` are not published", ep->project, ep->network, ep->container);
      memcpy (ports, ep->ports, ep->n_ports * sizeof (*ports));
    }
  else if (cc_hostport_choose (st->root, m, ep, ports, err) < 0)
    return -1;
  else
    {
      cc_net_options_host_binding (net, ports, ep->n_ports);
      warn_unfiltered_ports (ep, ports);
    }
  if (m)
    set_names_and_ports (m, ep, ports);
  else if (record_member (st, net, ep, ports, &m, err) < 0)
    return -1;
  /* A project naming its own network as external joins it as usual:
     marking the member as foreign would misfile its own membership.  */
  if (ep->external_name && strcmp (cc_json_get_string (net, "project") ?: "", ep->project) != 0)
    {
      cc_json_set_string (m, "project", ep->project);
      cc_json_set_string (m, "key", ep->network);
    }
  w->net = network_view (net);
  w->m = cJSON_Duplicate (m, true);
  return 0;
}

/* Under the lock, and saved once before anything is created: every
   endpoint, with its address chosen.  Nothing is recorded when one fails.  */
static int
record_all (const struct cc_net_endpoint *eps, size_t n, struct wiring *w, char ***projects, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };

  if (cc_net_state_open (&st, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      /* The caller names the network and, for one endpoint, the container.  */
      if (record_one (&st, &eps[i], &w[i], err) < 0)
        return n > 1 ? cc_error_wrap (err, "container `%s`", eps[i].container ?: "") : -1;
      if (! cc_strv_contains (*projects, eps[i].project))
        cc_strv_append (projects, eps[i].project);
    }
  return cc_net_state_save (&st, err);
}

/* Under the lock again, from the state as it is now (other attaches may
   have come and gone): one firewall commit, the new members' own hosts
   files; then, once the lock is released, the embedded DNS of every
   project on their networks reads the state again (cc_net_state_close),
   so a container's peers resolve it before it starts.  */
static int
publish_state (const struct cc_net_endpoint *eps, size_t n, char *const *projects, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cc_error_t list = NULL, e = NULL;

  if (cc_net_state_open (&st, err) < 0 || cc_firewall_sync (st.root, err) < 0)
    return -1;
  cc_crash_point ("member firewall");
  for (size_t i = 0; i < n; i++)
    if (cc_hosts_write_one (st.root, eps[i].project, eps[i].container, &e) < 0)
      cc_error_append (&list, &e);
  for (char *const *p = projects; p && *p; p++)
    cc_net_state_notify_dns (&st, *p);
  return list ? cc_net_give_errors (err, &list) : 0;
}

/* The network lock is held only to record and to publish: the links and
   addresses, the slow part, are made without it.  Their names belong to
   one container each, so parallel attaches never touch each other's.  */
int
cc_network_attach_many (const struct cc_net_endpoint *eps, size_t n, struct cc_net_attachment *out, cc_error_t *err)
{
  cleanup_wirings struct wiring *w = xzalloc ((n + 1) * sizeof (*w));
  cleanup_strv char **projects = NULL;

  if (record_all (eps, n, w, &projects, err) < 0)
    return -1;
  cc_crash_point ("member recorded");
  for (size_t i = 0; i < n; i++)
    if (setup_member (w[i].net, w[i].m, err) < 0)
      return n > 1 ? cc_error_wrap (err, "container `%s`", eps[i].container) : -1;
  if (publish_state (eps, n, projects, err) < 0)
    return -1;
  for (size_t i = 0; out && i < n; i++)
    fill_attachment (w[i].net, w[i].m, &out[i]);
  return 0;
}

int
cc_network_attach (const struct cc_net_endpoint *ep, struct cc_net_attachment *out, cc_error_t *err)
{
  return cc_network_attach_many (ep, 1, out, err);
}

/* Rules first (the builder no longer sees the members), then the veths,
   in the namespace the network lives in; the records go only when
   everything is gone, so a failure can be retried.  A namespace that is
   gone took the veths' host ends with it.  */
static int
detach_entered (struct cc_net_state *st, cJSON *net, cJSON **detach, size_t n, bool gone, cc_error_t *err)
{
  cJSON *members = cc_net_state_array (net, "members");
  cleanup_nl_sock struct nl_sock *sk = NULL;
  cc_error_t list = NULL, e = NULL;

  /* The responders of everyone on the network forget them once the
     state is closed (cc_net_state_close).  */
  cc_net_state_notify_dns (st, cc_json_get_string (net, "project"));
  for (size_t i = 0; i < n; i++)
    {
      cc_net_state_notify_dns (st, cc_net_member_project (net, detach[i]));
      cJSON_DetachItemViaPointer (members, detach[i]);
    }
  if (! gone && cc_firewall_sync (st->root, &e) < 0)
    cc_error_append (&list, &e);
  if (! gone && cc_nl_open (-1, &sk, &e) < 0)
    cc_error_append (&list, &e);
  /* Deleting the host end deletes the pair.  */
  for (size_t i = 0; sk && i < n; i++)
    if (cc_nl_link_delete (sk, cc_json_get_string (detach[i], "host_veth"), &e) < 0)
      cc_error_append (&list, &e);
  for (size_t i = 0; i < n; i++)
    if (list)
      cJSON_AddItemToArray (members, detach[i]);
    else
      cJSON_Delete (detach[i]);
  if (list)
    return cc_net_give_errors (err, &list);
  /* Their veths gone, namespaces a remove left waiting can go.  */
  if (cc_net_release_doomed (st->root, &e) < 0)
    cc_error_append (&list, &e);
  if (cc_net_state_save (st, &e) < 0)
    cc_error_append (&list, &e);
  return list ? cc_net_give_errors (err, &list) : 0;
}

int
cc_net_detach_locked (struct cc_net_state *st, cJSON *net, cJSON **detach, size_t n, cc_error_t *err)
{
  cleanup_hostns_visit struct cc_hostns_visit v = CC_HOSTNS_VISIT_INIT;
  int where = cc_hostns_enter (cc_json_get_string (net, "host_netns"), &v, err);

  if (where < 0)
    return -1;
  return detach_entered (st, net, detach, n, where == CC_HOSTNS_GONE, err);
}

/* NETWORK is PROJECT's key for another project's network: each container
   is found by its membership (one at a time: they are few, and the
   network is found per member).  */
static int
detach_external (struct cc_net_state *st, const char *project, const char *network, char *const *containers,
                 cc_error_t *err)
{
  cc_error_t list = NULL, e = NULL;

  for (char *const *c = containers; c && *c; c++)
    {
      cJSON *net = NULL, *m = cc_net_state_find_membership (st->root, project, network, *c, &net);
      if (m && cc_net_detach_locked (st, net, &m, 1, &e) < 0)
        cc_error_append (&list, &e);
    }
  if (list == NULL)
    return 0;
  cc_net_give_errors (err, &list);
  return cc_error_wrap (err, "detach from external network `%s`", network);
}

int
cc_network_detach_many (const char *project, const char *network, char *const *containers, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cleanup_free cJSON **found = xzalloc ((cc_strv_len (containers) + 1) * sizeof (*found));
  size_t n = 0;
  cJSON *net, *m;

  if (cc_net_state_open (&st, err) < 0)
    return -1;
  net = cc_net_state_find_network (st.root, project, network);
  for (char *const *c = containers; net && c && *c; c++)
    if ((m = cc_net_state_find_member (net, *c)) != NULL)
      found[n++] = m;
  if (net == NULL)
    return detach_external (&st, project, network, containers, err);
  if (n == 0)
    return 0;
  if (cc_net_detach_locked (&st, net, found, n, err) < 0)
    return cc_error_wrap (err, "detach from `%s_%s`", project, network);
  return 0;
}

int
cc_network_detach (const char *project, const char *network, const char *container, cc_error_t *err)
{
  char *one[] = { (char *)container, NULL };

  return cc_network_detach_many (project, network, one, err);
}

int
cc_network_publish (const char *project, const char *network, const char *container, const struct cc_net_port *ports,
                    size_t n, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cleanup_free struct cc_net_port *chosen = xzalloc ((n + 1) * sizeof (*chosen));
  struct cc_net_endpoint ep
      = { .project = project, .network = network, .container = container, .ports = ports, .n_ports = n };
  cleanup_free char *here = cc_hostns_current ();
  cJSON *net, *m;

  if (cc_net_state_open (&st, err) < 0 || (net = find_network (&st, project, network, err)) == NULL)
    return -1;
  if (! cc_hostns_is_here (net, here))
    return cc_hostns_refuse (net, here, err);
  m = cc_net_state_find_member (net, container);
  if (m == NULL)
    return cc_error_make (err, ENOENT, "container `%s` is not on network `%s_%s`", container, project, network);
  ep.service = cc_json_get_string (m, "service");
  if (cc_hostport_choose (st.root, m, &ep, chosen, err) < 0)
    return -1;
  cc_json_set (m, "ports", cc_net_ports_to_json (chosen, n));
  if (cc_net_state_save (&st, err) < 0 || cc_firewall_sync (st.root, err) < 0)
    return cc_error_wrap (err, "publish ports of `%s`", container);
  return 0;
}

/* Set "serving" of M to WANT; whether it changed.  */
static bool
set_serving (cJSON *m, bool want)
{
  if (cc_json_get_bool (m, "serving", true) == want && cJSON_HasObjectItem (m, "serving"))
    return false;
  cc_json_set_bool (m, "serving", want);
  return true;
}

int
cc_network_set_serving (const char *project, char *const *containers, cc_net_serving_fn serving, void *opaque,
                        cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  bool changed = false;

  if (containers == NULL || containers[0] == NULL)
    return 0;
  if (cc_net_state_open (&st, err) < 0)
    return -1;
  for (cJSON *net = cc_net_first (st.root, "networks"); net; net = net->next)
    for (size_t i = 0; containers[i]; i++)
      {
        cJSON *m = cc_net_state_find_member (net, containers[i]);

        if (m && strcmp (cc_net_member_project (net, m) ?: "", project) == 0
            && set_serving (m, serving (containers[i], opaque)))
          changed = true;
      }
  if (! changed)
    return 0;
  /* The embedded DNS answers only what serves (dns-records.c): told
     once the lock is released, before this returns.  */
  cc_net_state_notify_dns (&st, project);
  if (cc_net_state_save (&st, err) < 0 || cc_firewall_sync (st.root, err) < 0)
    return cc_error_wrap (err, "balance the published ports of project `%s`", project);
  return 0;
}

static int
member_ports (const cJSON *m, struct cc_net_port **out, size_t *n, cc_error_t *err)
{
  const cJSON *ports = cJSON_GetObjectItemCaseSensitive (m, "ports");

  *out = xzalloc (((size_t)cJSON_GetArraySize (ports) + 1) * sizeof (**out));
  for (const cJSON *pj = cc_net_first (m, "ports"); pj; pj = pj->next)
    if (cc_net_port_from_json (pj, &(*out)[(*n)++], err) < 0)
      return -1;
  return 0;
}

void
cc_net_backends_free (struct cc_net_backend *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].container);
      free (v[i].ip);
    }
  free (v);
}

static bool
binds_every_address (const char *ip)
{
  return ip[0] == '\0' || strcmp (ip, "0.0.0.0") == 0;
}

static bool
publishes (const struct cc_net_port *p, enum cc_net_proto proto, const char *host_ip, unsigned host_port)
{
  bool all = binds_every_address (host_ip);

  return p->proto == proto && p->host_port != 0 && p->host_port <= host_port && host_port <= p->host_port_end
         && binds_every_address (p->host_ip) == all && (all || strcmp (p->host_ip, host_ip) == 0);
}

static void
add_backend (struct cc_net_backend **out, size_t *n, const cJSON *m, const struct cc_net_port *p, unsigned host_port)
{
  struct cc_net_backend *b;

  *out = xreallocarray (*out, *n + 1, sizeof (**out));
  b = &(*out)[(*n)++];
  b->container = xstrdup (cc_json_get_string (m, "container"));
  b->ip = xstrdup (cc_json_get_string (m, "ip") ?: "");
  b->port
      = p->container_port_end == p->container_port ? p->container_port : p->container_port + (host_port - p->host_port);
  b->serving = cc_json_get_bool (m, "serving", true);
}

/* The network state as it is now, without its lock (NULL when there is
   none yet): `ps` and `port` read it for every container, and a lock
   would queue them behind an `up` that holds it.  */
static int
read_state_unlocked (cJSON **root, cc_error_t *err)
{
  cleanup_free char *path = cc_net_state_file ();

  *root = NULL;
  if (! cc_file_exists (path))
    return 0;
  return cc_json_load_file (path, root, err);
}

int
cc_network_port_backends (const char *project, enum cc_net_proto proto, const char *host_ip, unsigned host_port,
                          struct cc_net_backend **out, size_t *n, cc_error_t *err)
{
  cleanup_cjson cJSON *root = NULL;

  *out = NULL;
  *n = 0;
  if (read_state_unlocked (&root, err) < 0)
    return -1;
  for (const cJSON *net = cc_net_first (root, "networks"); net; net = net->next)
    for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
      for (const cJSON *pj = cc_net_first (m, "ports"); pj; pj = pj->next)
        {
          struct cc_net_port p;

          if (strcmp (cc_net_member_project (net, m) ?: "", project) == 0 && cc_json_get_string (m, "container")
              && cc_net_port_from_json (pj, &p, NULL) == 0 && publishes (&p, proto, host_ip, host_port))
            add_backend (out, n, m, &p, host_port);
        }
  return 0;
}

int
cc_network_container_ports (const char *project, const char *container, struct cc_net_port **out, size_t *n, bool *ipv4,
                            bool *ipv6, cc_error_t *err)
{
  cleanup_cjson cJSON *root = NULL;

  *out = NULL;
  *n = 0;
  *ipv4 = true;
  *ipv6 = false;
  if (read_state_unlocked (&root, err) < 0)
    return -1;
  for (const cJSON *net = cc_net_first (root, "networks"); net; net = net->next)
    for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
      if (cc_net_first (m, "ports") && strcmp (cc_json_get_string (m, "container") ?: "", container) == 0
          && strcmp (cc_net_member_project (net, m) ?: "", project) == 0)
        {
          /* As the rule builder publishes (rules.c, publishes_on).  */
          *ipv6 = cc_json_get_string (net, "subnet6") && cc_json_get_string (m, "ip6");
          *ipv4 = cc_json_get_string (m, "ip") != NULL;
          return member_ports (m, out, n, err);
        }
  return 0;
}
