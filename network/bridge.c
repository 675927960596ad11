/* One Linux bridge per compose network.  */
#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/paths.h"
#include "lib/xalloc.h"
#include "network/link.h"
#include "network/netimpl.h"

char *
cc_bridge_name (const char *tag, const char *project, const char *network, unsigned salt)
{
  char s[16];
  const char *parts[] = { "bridge", tag, project, network, s };

  snprintf (s, sizeof (s), "%u", salt);
  /* "cc" + 13 hex digits = 15 characters, the kernel's IFNAMSIZ - 1.  */
  return xasprintf ("cc%013llx", (unsigned long long)(cc_paths_hash (parts, CC_N_ELEMENTS (parts)) >> 12));
}

/* A locally administered unicast MAC derived from the name.  Setting it
   at creation marks it as assigned, so the kernel no longer gives the bridge
   the lowest MAC of its ports, which changes as containers come and go and
   breaks neighbours' ARP caches.  */
static struct nl_addr *
bridge_mac (const char *name)
{
  const char *parts[] = { "mac", name };
  uint64_t h = cc_paths_hash (parts, 2);
  unsigned char mac[6];
  struct nl_addr *a;

  for (int i = 0; i < 6; i++)
    mac[i] = (unsigned char)(h >> (8 * i));
  mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02);
  a = nl_addr_build (AF_LLC, mac, sizeof (mac));
  if (a == NULL)
    abort ();
  return a;
}

static int
add_bridge_link (struct nl_sock *sk, const char *name, int mtu, uint32_t group, cc_error_t *err)
{
  struct rtnl_link *l = rtnl_link_bridge_alloc ();
  struct nl_addr *mac = bridge_mac (name);
  int r;

  rtnl_link_set_name (l, name);
  rtnl_link_set_addr (l, mac);
  if (mtu > 0)
    rtnl_link_set_mtu (l, (unsigned)mtu);
  /* At creation, not after: a crash can then leave no bridge outside the
     group that teardown deletes.  */
  if (group)
    rtnl_link_set_group (l, group);
  r = rtnl_link_add (sk, l, NLM_F_CREATE | NLM_F_EXCL);
  nl_addr_put (mac);
  rtnl_link_put (l);
  if (r == -NLE_EXIST)
    return 0;
  if (r < 0)
    return cc_nl_error (err, r, "create bridge `%s`", name);
  return 0;
}

int
cc_bridge_create (struct nl_sock *sk, const char *name, const char *alias, int mtu, uint32_t group, uint32_t gateway,
                  int prefix, cc_error_t *err)
{
  int ifindex;

  if (add_bridge_link (sk, name, mtu, group, err) < 0)
    return -1;
  cc_crash_point ("bridge created");
  ifindex = cc_nl_link_index (sk, name);
  if (ifindex < 0)
    return cc_error_make (err, ENODEV, "bridge `%s` vanished after creation", name);
  if (cc_nl_link_set_alias (sk, ifindex, alias, err) < 0)
    return -1;
  /* Gateway 0: an IPv6-only network (issue 15), whose bridge has no
     IPv4 address.  */
  if (gateway != 0 && cc_nl_addr_add (sk, ifindex, gateway, prefix, err) < 0)
    return cc_error_wrap (err, "bridge `%s`", name);
  return cc_nl_link_up (sk, ifindex, err);
}

/* A port published on 127.0.0.1 is DNATed from the host's loopback to a
   container and masqueraded to the bridge's address; the kernel takes
   the replies, de-NATed back to 127.0.0.1, only from a link with
   route_localnet on.  The same switch lets a container address the
   host's loopback: the caller turns it on only once the firewall drops
   that (rules.c, add_loopback_guard), and off before the guard goes.  */
int
cc_bridge_route_localnet (const char *name, bool on, cc_error_t *err)
{
  cleanup_free char *key = xasprintf ("ipv4/conf/%s/route_localnet", name);
  cc_error_t e = NULL;

  if (cc_sysctl_write (key, on ? "1" : "0", &e) == 0)
    return 0;
  /* Off for a bridge that is not there (a crash before its creation).  */
  if (! on && e->status == ENOENT)
    {
      cc_error_release (&e);
      return 0;
    }
  return cc_net_give_errors (err, &e);
}
