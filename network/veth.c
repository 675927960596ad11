/* veth pairs: host end on the bridge, peer created directly inside the
   container's namespace under its final name, so no interface ever shows
   up in the host namespace under a temporary name (netavark does the same).  */
#include <ctype.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/paths.h"
#include "lib/xalloc.h"
#include "network/link.h"

char *
cc_veth_name (const char *tag, const char *project, const char *network, const char *container)
{
  const char *parts[] = { "veth", tag, project, network, container };

  return xasprintf ("cc%013llx", (unsigned long long)(cc_paths_hash (parts, CC_N_ELEMENTS (parts)) >> 12));
}

/* Six hex bytes separated by `:` or `-`.  */
static bool
parse_mac (const char *s, unsigned char mac[6])
{
  for (int i = 0; i < 6; i++, s += 3)
    {
      char byte[3] = { s[0], s[0] ? s[1] : '\0', '\0' };
      if (! isxdigit ((unsigned char)byte[0]) || ! isxdigit ((unsigned char)byte[1]))
        return false;
      if (i < 5 ? s[2] != ':' && s[2] != '-' : s[2] != '\0')
        return false;
      mac[i] = (unsigned char)strtoul (byte, NULL, 16);
    }
  return true;
}

/* Without a given MAC, 02:cc:<the four bytes of the address>: a container
   that is recreated with the same address keeps its MAC, so its
   neighbours' ARP caches stay right (Docker derived MACs from addresses
   for the same reason).  A given one must be unicast and not zero
   (is_valid_ether_addr in the kernel).  */
static bool
peer_mac_bytes (const char *given, uint32_t ip, unsigned char mac[6])
{
  static const unsigned char zero[6];

  if (given)
    return parse_mac (given, mac) && (mac[0] & 1) == 0 && memcmp (mac, zero, sizeof (zero)) != 0;
  mac[0] = 0x02;
  mac[1] = 0xcc;
  mac[2] = (unsigned char)(ip >> 24);
  mac[3] = (unsigned char)(ip >> 16);
  mac[4] = (unsigned char)(ip >> 8);
  mac[5] = (unsigned char)ip;
  return true;
}

char *
cc_veth_peer_mac (const char *given, uint32_t ip)
{
  unsigned char m[6];

  if (! peer_mac_bytes (given, ip, m))
    return NULL;
  return xasprintf ("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int
add_pair (struct nl_sock *sk, const struct cc_veth *v, int master)
{
  struct rtnl_link *l, *peer;
  unsigned char bytes[6];
  struct nl_addr *mac;
  int r;

  if (! peer_mac_bytes (v->mac, v->peer_ip, bytes))
    return -NLE_INVAL;
  if ((l = rtnl_link_veth_alloc ()) == NULL || (mac = nl_addr_build (AF_LLC, bytes, sizeof (bytes))) == NULL)
    abort ();
  peer = rtnl_link_veth_get_peer (l);
  rtnl_link_set_name (l, v->host_name);
  rtnl_link_set_master (l, master);
  /* Only the host end: the group delete runs in the host namespace, and
     deleting one end of a pair deletes the other.  */
  if (v->group)
    rtnl_link_set_group (l, v->group);
  rtnl_link_set_name (peer, v->peer_name);
  rtnl_link_set_ns_fd (peer, v->netns_fd);
  rtnl_link_set_addr (peer, mac);
  if (v->mtu > 0)
    {
      rtnl_link_set_mtu (l, (unsigned)v->mtu);
      rtnl_link_set_mtu (peer, (unsigned)v->mtu);
    }
  r = rtnl_link_add (sk, l, NLM_F_CREATE | NLM_F_EXCL);
  nl_addr_put (mac);
  rtnl_link_put (peer);
  rtnl_link_veth_release (l);
  return r;
}

/* Hairpin on the bridge port: a container reaching its own published
   port through the host has its packets sent back out the port they came
   in on, which a bridge refuses by default.  */
static int
set_hairpin (struct nl_sock *sk, int ifindex, const char *name, cc_error_t *err)
{
  struct rtnl_link *orig = rtnl_link_alloc ();
  struct rtnl_link *change = rtnl_link_alloc ();
  int r;

  rtnl_link_set_ifindex (orig, ifindex);
  rtnl_link_set_family (orig, AF_BRIDGE);
  rtnl_link_set_ifindex (change, ifindex);
  rtnl_link_set_family (change, AF_BRIDGE);
  r = rtnl_link_bridge_set_flags (change, RTNL_BRIDGE_HAIRPIN_MODE);
  if (r >= 0)
    r = rtnl_link_change (sk, orig, change, 0);
  rtnl_link_put (orig);
  rtnl_link_put (change);
  if (r < 0)
    return cc_nl_error (err, r, "set hairpin mode on `%s`", name);
  return 0;
}

/* enable_icc: false (issue 15): an isolated bridge port forwards to no
   other isolated port, only to the bridge itself (the gateway, and the
   way out) and to ports that are not isolated (linux/if_link.h,
   IFLA_BRPORT_ISOLATED).  Unlike Docker's iptables drop, it holds
   whether or not br_netfilter passes bridged frames to the firewall.
   libnl has no setter for it: the request is written here.  */
static int
set_isolated (struct nl_sock *sk, int ifindex, const char *name, cc_error_t *err)
{
  struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
  struct nl_msg *msg = nlmsg_alloc_simple (RTM_SETLINK, 0);
  struct nlattr *info;
  int r;

  if (msg == NULL)
    abort ();
  if (nlmsg_append (msg, &ifi, sizeof (ifi), NLMSG_ALIGNTO) < 0
      || (info = nla_nest_start (msg, IFLA_PROTINFO | NLA_F_NESTED)) == NULL
      || nla_put_u8 (msg, IFLA_BRPORT_ISOLATED, 1) < 0 || nla_nest_end (msg, info) < 0)
    {
      nlmsg_free (msg);
      return cc_error_make (err, ENOMEM, "isolate bridge port `%s`: message too long", name);
    }
  r = nl_send_sync (sk, msg);
  if (r < 0)
    return cc_nl_error (err, r, "isolate bridge port `%s`", name);
  return 0;
}

int
cc_veth_create (struct nl_sock *sk, const struct cc_veth *v, cc_error_t *err)
{
  int master = cc_nl_link_index (sk, v->bridge);
  int r;

  if (master < 0)
    return cc_error_make (err, ENODEV, "bridge `%s` does not exist", v->bridge);
  /* A crash between creation and the state update leaves the pair behind;
     the name is ours (recorded before use), so replace it.  */
  if (cc_nl_link_delete (sk, v->host_name, err) < 0)
    return -1;
  r = add_pair (sk, v, master);
  if (r == -NLE_EXIST)
    return cc_error_make (err, EEXIST, "create veth `%s`: `%s` already exists in the container", v->host_name,
                          v->peer_name);
  if (r < 0)
    return cc_nl_error (err, r, "create veth `%s`", v->host_name);
  cc_crash_point ("veth created");
  r = cc_nl_link_index (sk, v->host_name);
  if (r < 0)
    return cc_error_make (err, ENODEV, "veth `%s` vanished after creation", v->host_name);
  if (cc_nl_link_set_alias (sk, r, v->alias, err) < 0 || set_hairpin (sk, r, v->host_name, err) < 0)
    return -1;
  if (v->isolated && set_isolated (sk, r, v->host_name, err) < 0)
    return -1;
  return cc_nl_link_up (sk, r, err);
}
