/* Thin wrappers over libnl-route: sockets per namespace, route and address
   dumps, links, addresses, routes.  libnl's NLE_* codes stop here.  */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/link.h"

static const struct
{
  int nle;
  int err;
} nle_errno[] = {
  { NLE_EXIST, EEXIST },        { NLE_NODEV, ENODEV },         { NLE_PERM, EPERM },
  { NLE_BUSY, EBUSY },          { NLE_NOMEM, ENOMEM },         { NLE_INVAL, EINVAL },
  { NLE_OBJ_NOTFOUND, ENOENT }, { NLE_NOADDR, EADDRNOTAVAIL }, { NLE_OPNOTSUPP, EOPNOTSUPP },
  { NLE_RANGE, ERANGE },        { NLE_AGAIN, EAGAIN },         { NLE_AF_NOSUPPORT, EAFNOSUPPORT },
};

int
cc_nl_error (cc_error_t *err, int nlerr, const char *fmt, ...)
{
  cleanup_free char *what = NULL;
  va_list ap;
  int code = nlerr < 0 ? -nlerr : nlerr;

  va_start (ap, fmt);
  what = xvasprintf (fmt, ap);
  va_end (ap);
  for (size_t i = 0; i < CC_N_ELEMENTS (nle_errno); i++)
    if (nle_errno[i].nle == code)
      return cc_error_make (err, nle_errno[i].err, "%s", what);
  return cc_error_make (err, 0, "%s: %s", what, nl_geterror (code));
}

void
cc_nl_sock_free (struct nl_sock *sk)
{
  nl_socket_free (sk);
}

static int
connect_here (struct nl_sock **out, cc_error_t *err)
{
  struct nl_sock *sk = nl_socket_alloc ();
  int r;

  if (sk == NULL)
    return cc_error_make (err, ENOMEM, "allocate netlink socket");
  r = nl_connect (sk, NETLINK_ROUTE);
  if (r < 0)
    {
      nl_socket_free (sk);
      return cc_nl_error (err, r, "connect rtnetlink socket");
    }
  *out = sk;
  return 0;
}

int
cc_nl_open (int netns_fd, struct nl_sock **out, cc_error_t *err)
{
  cleanup_close int self = -1;
  int r;

  if (netns_fd < 0)
    return connect_here (out, err);
  self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return cc_error_make (err, errno, "open `/proc/thread-self/ns/net`");
  if (setns (netns_fd, CLONE_NEWNET) < 0)
    return cc_error_make (err, errno, "enter network namespace");
  r = connect_here (out, err);
  /* Staying in the container's namespace would send every later
     operation of this thread to the wrong place: there is no recovery.  */
  if (setns (self, CLONE_NEWNET) < 0)
    abort ();
  return r;
}

static void
free_cache (struct nl_cache **c)
{
  if (*c)
    nl_cache_free (*c);
}
#define cleanup_nl_cache __attribute__ ((cleanup (free_cache)))

static void
free_link (struct rtnl_link **l)
{
  if (*l)
    rtnl_link_put (*l);
}
#define cleanup_rtnl_link __attribute__ ((cleanup (free_link)))

static uint32_t
nl_addr_ipv4 (struct nl_addr *a)
{
  uint32_t be = 0;

  if (a && nl_addr_get_len (a) == 4)
    memcpy (&be, nl_addr_get_binary_addr (a), 4);
  return ntohl (be);
}

static void
push_route (struct cc_ipam_route **v, size_t *n, uint32_t addr, int prefix, char *desc)
{
  *v = xreallocarray (*v, *n + 1, sizeof (**v));
  (*v)[*n].net.addr = addr & cc_ipv4_mask (prefix);
  (*v)[*n].net.prefix = prefix;
  (*v)[*n].desc = desc;
  (*n)++;
}

static char *
describe_route (struct nl_cache *links, struct rtnl_route *r, uint32_t dst, int prefix)
{
  struct rtnl_nexthop *nh = rtnl_route_get_nnexthops (r) > 0 ? rtnl_route_nexthop_n (r, 0) : NULL;
  cleanup_free char *d = cc_ipv4_format (dst);
  cleanup_free char *via = NULL;
  char dev[IF_NAMESIZE + 1] = "?";

  if (nh == NULL)
    return xasprintf ("%s/%d", d, prefix);
  rtnl_link_i2name (links, rtnl_route_nh_get_ifindex (nh), dev, sizeof (dev));
  if (rtnl_route_nh_get_gateway (nh))
    {
      cleanup_free char *gw = cc_ipv4_format (nl_addr_ipv4 (rtnl_route_nh_get_gateway (nh)));
      return xasprintf ("%s/%d via %s dev %s", d, prefix, gw, dev);
    }
  return xasprintf ("%s/%d dev %s", d, prefix, dev);
}

static int
dump_main_routes (struct nl_sock *sk, struct nl_cache *links, struct cc_ipam_route **v, size_t *n, cc_error_t *err)
{
  cleanup_nl_cache struct nl_cache *cache = NULL;
  int r = rtnl_route_alloc_cache (sk, AF_INET, 0, &cache);

  if (r < 0)
    return cc_nl_error (err, r, "dump routes");
  for (struct nl_object *o = nl_cache_get_first (cache); o; o = nl_cache_get_next (o))
    {
      struct rtnl_route *rt = (struct rtnl_route *)o;
      struct nl_addr *dst = rtnl_route_get_dst (rt);
      int prefix = dst ? (int)nl_addr_get_prefixlen (dst) : 0;
      uint32_t a = nl_addr_ipv4 (dst);

      /* A default route overlaps everything: it is no reason to refuse.  */
      if (rtnl_route_get_table (rt) != RT_TABLE_MAIN || rtnl_route_get_type (rt) != RTN_UNICAST || prefix == 0)
        continue;
      push_route (v, n, a, prefix, describe_route (links, rt, a, prefix));
    }
  return 0;
}

static int
dump_addresses (struct nl_sock *sk, struct nl_cache *links, struct cc_ipam_route **v, size_t *n, cc_error_t *err)
{
  cleanup_nl_cache struct nl_cache *cache = NULL;
  int r = rtnl_addr_alloc_cache (sk, &cache);

  if (r < 0)
    return cc_nl_error (err, r, "dump addresses");
  for (struct nl_object *o = nl_cache_get_first (cache); o; o = nl_cache_get_next (o))
    {
      struct rtnl_addr *ad = (struct rtnl_addr *)o;
      uint32_t a = nl_addr_ipv4 (rtnl_addr_get_local (ad));
      int prefix = rtnl_addr_get_prefixlen (ad);
      char dev[IF_NAMESIZE + 1] = "?";
      cleanup_free char *s = NULL;

      if (rtnl_addr_get_family (ad) != AF_INET || (a >> 24) == 127)
        continue;
      rtnl_link_i2name (links, rtnl_addr_get_ifindex (ad), dev, sizeof (dev));
      s = cc_ipv4_format (a);
      push_route (v, n, a, prefix, xasprintf ("%s/%d on %s", s, prefix, dev));
    }
  return 0;
}

int
cc_nl_dump_routes (struct nl_sock *sk, struct cc_ipam_route **out, size_t *n, cc_error_t *err)
{
  cleanup_nl_cache struct nl_cache *links = NULL;
  struct cc_ipam_route *v = NULL;
  size_t count = 0;
  int r = rtnl_link_alloc_cache (sk, AF_UNSPEC, &links);

  if (r < 0)
    return cc_nl_error (err, r, "dump links");
  if (dump_main_routes (sk, links, &v, &count, err) < 0 || dump_addresses (sk, links, &v, &count, err) < 0)
    {
      cc_ipam_routes_free (v, count);
      return -1;
    }
  *out = v;
  *n = count;
  return 0;
}

int
cc_nl_link_index (struct nl_sock *sk, const char *name)
{
  cleanup_rtnl_link struct rtnl_link *l = NULL;

  if (rtnl_link_get_kernel (sk, 0, name, &l) < 0)
    return -1;
  return rtnl_link_get_ifindex (l);
}

int
cc_nl_link_up (struct nl_sock *sk, int ifindex, cc_error_t *err)
{
  cleanup_rtnl_link struct rtnl_link *l = NULL;
  cleanup_rtnl_link struct rtnl_link *change = rtnl_link_alloc ();
  int r = rtnl_link_get_kernel (sk, ifindex, NULL, &l);

  if (r < 0)
    return cc_nl_error (err, r, "find link %d", ifindex);
  rtnl_link_set_flags (change, IFF_UP);
  r = rtnl_link_change (sk, l, change, 0);
  if (r < 0)
    return cc_nl_error (err, r, "set link `%s` up", rtnl_link_get_name (l));
  return 0;
}

int
cc_nl_link_set_alias (struct nl_sock *sk, int ifindex, const char *alias, cc_error_t *err)
{
  cleanup_rtnl_link struct rtnl_link *l = NULL;
  cleanup_rtnl_link struct rtnl_link *change = rtnl_link_alloc ();
  int r = rtnl_link_get_kernel (sk, ifindex, NULL, &l);

  if (r < 0)
    return cc_nl_error (err, r, "find link %d", ifindex);
  rtnl_link_set_ifalias (change, alias);
  r = rtnl_link_change (sk, l, change, 0);
  if (r < 0)
    return cc_nl_error (err, r, "set alias of `%s`", rtnl_link_get_name (l));
  return 0;
}

int
cc_nl_link_delete (struct nl_sock *sk, const char *name, cc_error_t *err)
{
  cleanup_rtnl_link struct rtnl_link *l = rtnl_link_alloc ();
  int r;

  rtnl_link_set_name (l, name);
  r = rtnl_link_delete (sk, l);
  if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
    return cc_nl_error (err, r, "delete link `%s`", name);
  return 0;
}

static struct nl_addr *
ipv4_nl_addr (uint32_t a, int prefix)
{
  uint32_t be = htonl (a);
  struct nl_addr *n = nl_addr_build (AF_INET, &be, 4);

  if (n == NULL)
    abort ();
  nl_addr_set_prefixlen (n, prefix);
  return n;
}

/* LOCAL (taken) on IFINDEX; an address already there is no error.  */
static int
add_address (struct nl_sock *sk, int family, int ifindex, struct nl_addr *local, unsigned int flags)
{
  struct rtnl_addr *ad = rtnl_addr_alloc ();
  int r;

  rtnl_addr_set_ifindex (ad, ifindex);
  rtnl_addr_set_family (ad, family);
  if (flags)
    rtnl_addr_set_flags (ad, flags);
  r = rtnl_addr_set_local (ad, local);
  if (r >= 0)
    r = rtnl_addr_add (sk, ad, 0);
  nl_addr_put (local);
  rtnl_addr_put (ad);
  return r == -NLE_EXIST ? 0 : r;
}

int
cc_nl_addr_add (struct nl_sock *sk, int ifindex, uint32_t addr, int prefix, cc_error_t *err)
{
  int r = add_address (sk, AF_INET, ifindex, ipv4_nl_addr (addr, prefix), 0);

  if (r < 0)
    {
      cleanup_free char *s = cc_ipv4_format (addr);
      return cc_nl_error (err, r, "add address %s/%d", s, prefix);
    }
  return 0;
}

/* A default route of FAMILY through VIA on IFINDEX; takes both
   addresses.  The first network's gateway wins, as in Docker: an
   existing default route is no error.  */
static int
add_default_route (struct nl_sock *sk, int family, int ifindex, struct nl_addr *dst, struct nl_addr *via)
{
  struct rtnl_route *rt = rtnl_route_alloc ();
  struct rtnl_nexthop *nh = rtnl_route_nh_alloc ();
  int r;

  rtnl_route_set_family (rt, (uint8_t)family);
  rtnl_route_set_table (rt, RT_TABLE_MAIN);
  rtnl_route_set_dst (rt, dst);
  rtnl_route_nh_set_gateway (nh, via);
  rtnl_route_nh_set_ifindex (nh, ifindex);
  rtnl_route_add_nexthop (rt, nh);
  r = rtnl_route_add (sk, rt, NLM_F_EXCL);
  nl_addr_put (dst);
  nl_addr_put (via);
  rtnl_route_put (rt);
  return r == -NLE_EXIST ? 0 : r;
}

int
cc_nl_default_route (struct nl_sock *sk, int ifindex, uint32_t gw, cc_error_t *err)
{
  int r = add_default_route (sk, AF_INET, ifindex, ipv4_nl_addr (0, 0), ipv4_nl_addr (gw, 32));

  if (r < 0)
    {
      cleanup_free char *s = cc_ipv4_format (gw);
      return cc_nl_error (err, r, "add default route via %s", s);
    }
  return 0;
}

/* The names and aliases ("" when none) of the links KEEP accepts.  */
static int
links_where (struct nl_sock *sk, bool (*keep) (struct rtnl_link *l, const void *arg), const void *arg, char ***names,
             char ***aliases, cc_error_t *err)
{
  cleanup_nl_cache struct nl_cache *links = NULL;
  int r = rtnl_link_alloc_cache (sk, AF_UNSPEC, &links);

  if (r < 0)
    return cc_nl_error (err, r, "dump links");
  for (struct nl_object *o = nl_cache_get_first (links); o; o = nl_cache_get_next (o))
    {
      struct rtnl_link *l = (struct rtnl_link *)o;
      if (! keep (l, arg))
        continue;
      cc_strv_append (names, rtnl_link_get_name (l));
      cc_strv_append (aliases, rtnl_link_get_ifalias (l) ?: "");
    }
  return 0;
}

static bool
alias_has_prefix (struct rtnl_link *l, const void *prefix)
{
  const char *alias = rtnl_link_get_ifalias (l);

  return alias && strncmp (alias, prefix, strlen (prefix)) == 0;
}

static bool
in_group (struct rtnl_link *l, const void *group)
{
  return rtnl_link_get_group (l) == *(const uint32_t *)group;
}

int
cc_nl_links_with_alias (struct nl_sock *sk, const char *prefix, char ***names, char ***aliases, cc_error_t *err)
{
  return links_where (sk, alias_has_prefix, prefix, names, aliases, err);
}

int
cc_nl_links_in_group (struct nl_sock *sk, uint32_t group, char ***names, char ***aliases, cc_error_t *err)
{
  return links_where (sk, in_group, &group, names, aliases, err);
}

/* libnl's rtnl_link_delete insists on an index or a name; the kernel
   takes the group path of RTM_DELLINK only when both are absent.  */
int
cc_nl_group_delete (struct nl_sock *sk, uint32_t group, cc_error_t *err)
{
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 0 };
  struct nl_msg *msg = nlmsg_alloc_simple (RTM_DELLINK, 0);
  int r;

  if (msg == NULL)
    abort ();
  if (nlmsg_append (msg, &ifi, sizeof (ifi), NLMSG_ALIGNTO) < 0 || nla_put_u32 (msg, IFLA_GROUP, group) < 0)
    {
      nlmsg_free (msg);
      return cc_error_make (err, ENOBUFS, "build delete request for link group %u", group);
    }
  /* Sends, waits for the acknowledgement and frees MSG.  */
  r = nl_send_sync (sk, msg);
  if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
    return cc_nl_error (err, r, "delete link group %u", group);
  return 0;
}

/* ---- IPv6 (issue 17) ---------------------------------------------------- */

static struct nl_addr *
ipv6_nl_addr (const struct in6_addr *a, int prefix)
{
  struct nl_addr *n = nl_addr_build (AF_INET6, a, sizeof (*a));

  if (n == NULL)
    abort ();
  nl_addr_set_prefixlen (n, prefix);
  return n;
}

int
cc_nl_addr_add6 (struct nl_sock *sk, int ifindex, const struct in6_addr *addr, int prefix, cc_error_t *err)
{
  /* The IPAM gave it out: waiting a second of DAD for it gains nothing.  */
  int r = add_address (sk, AF_INET6, ifindex, ipv6_nl_addr (addr, prefix), IFA_F_NODAD);

  if (r < 0)
    {
      cleanup_free char *s = cc_ipv6_format (addr);
      return cc_nl_error (err, r, "add address %s/%d", s, prefix);
    }
  return 0;
}

int
cc_nl_default_route6 (struct nl_sock *sk, int ifindex, const struct in6_addr *gw, cc_error_t *err)
{
  int r = add_default_route (sk, AF_INET6, ifindex, ipv6_nl_addr (&in6addr_any, 0), ipv6_nl_addr (gw, 128));

  if (r < 0)
    {
      cleanup_free char *s = cc_ipv6_format (gw);
      return cc_nl_error (err, r, "add default route via %s", s);
    }
  return 0;
}

static bool
ignored6 (const struct in6_addr *a, int prefix)
{
  /* A default route overlaps everything; link-local, multicast and
     loopback are on every host and never come from a pool.  */
  return prefix == 0 || IN6_IS_ADDR_LINKLOCAL (a) || IN6_IS_ADDR_MULTICAST (a) || IN6_IS_ADDR_LOOPBACK (a);
}

static void
push_route6 (struct cc_ipam_route6 **v, size_t *n, struct nl_addr *a, int prefix, const char *how, const char *dev)
{
  struct in6_addr addr;
  cleanup_free char *s = NULL, *cidr = NULL;

  if (a == NULL || nl_addr_get_len (a) != sizeof (addr))
    return;
  memcpy (&addr, nl_addr_get_binary_addr (a), sizeof (addr));
  if (ignored6 (&addr, prefix))
    return;
  s = cc_ipv6_format (&addr);
  cidr = xasprintf ("%s/%d", s, prefix);
  *v = xreallocarray (*v, *n + 1, sizeof (**v));
  /* Read back as a subnet: the host bits of an address go.  */
  cc_ipv6_net_parse (cidr, &(*v)[*n].net, NULL);
  (*v)[*n].desc = xasprintf ("%s %s %s", cidr, how, dev);
  (*n)++;
}

static int
dump6 (struct nl_sock *sk, struct nl_cache *links, struct cc_ipam_route6 **v, size_t *n, cc_error_t *err)
{
  cleanup_nl_cache struct nl_cache *routes = NULL, *addrs = NULL;
  int r = rtnl_route_alloc_cache (sk, AF_INET6, 0, &routes);

  if (r < 0 || (r = rtnl_addr_alloc_cache (sk, &addrs)) < 0)
    return cc_nl_error (err, r, "dump IPv6 routes");
  for (struct nl_object *o = nl_cache_get_first (routes); o; o = nl_cache_get_next (o))
    {
      struct rtnl_route *rt = (struct rtnl_route *)o;
      struct rtnl_nexthop *nh = rtnl_route_get_nnexthops (rt) > 0 ? rtnl_route_nexthop_n (rt, 0) : NULL;
      struct nl_addr *dst = rtnl_route_get_dst (rt);
      char dev[IF_NAMESIZE + 1] = "?";

      if (rtnl_route_get_table (rt) != RT_TABLE_MAIN || rtnl_route_get_type (rt) != RTN_UNICAST || dst == NULL)
        continue;
      if (nh)
        rtnl_link_i2name (links, rtnl_route_nh_get_ifindex (nh), dev, sizeof (dev));
      push_route6 (v, n, dst, (int)nl_addr_get_prefixlen (dst), "dev", dev);
    }
  for (struct nl_object *o = nl_cache_get_first (addrs); o; o = nl_cache_get_next (o))
    {
      struct rtnl_addr *ad = (struct rtnl_addr *)o;
      char dev[IF_NAMESIZE + 1] = "?";

      if (rtnl_addr_get_family (ad) != AF_INET6)
        continue;
      rtnl_link_i2name (links, rtnl_addr_get_ifindex (ad), dev, sizeof (dev));
      push_route6 (v, n, rtnl_addr_get_local (ad), rtnl_addr_get_prefixlen (ad), "on", dev);
    }
  return 0;
}

int
cc_nl_dump_routes6 (struct nl_sock *sk, struct cc_ipam_route6 **out, size_t *n, cc_error_t *err)
{
  cleanup_nl_cache struct nl_cache *links = NULL;
  struct cc_ipam_route6 *v = NULL;
  size_t count = 0;
  int r = rtnl_link_alloc_cache (sk, AF_UNSPEC, &links);

  if (r < 0)
    return cc_nl_error (err, r, "dump links");
  if (dump6 (sk, links, &v, &count, err) < 0)
    {
      cc_ipam_routes6_free (v, count);
      return -1;
    }
  *out = v;
  *n = count;
  return 0;
}
