/* Kernel side of network/: netlink (libnl-route), bridges, veths, sysctls,
   network namespaces.  Internal to network/.  */
#ifndef CC_NETWORK_LINK_H
#define CC_NETWORK_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"
#include "network/ipam.h"

struct nl_sock;

void cc_nl_sock_free (struct nl_sock *sk);
static inline void
cleanup_nl_sock_fn (struct nl_sock **sk)
{
  if (*sk)
    cc_nl_sock_free (*sk);
}
#define cleanup_nl_sock __attribute__ ((cleanup (cleanup_nl_sock_fn)))

/* netlink.c.  A route socket bound to the netns of NETNS_FD (-1: ours):
   a netlink socket stays in the namespace it was created in.  */
int cc_nl_open (int netns_fd, struct nl_sock **out, cc_error_t *err);
/* Translate libnl's NLE_* into the error type.  */
int cc_nl_error (cc_error_t *err, int nlerr, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
/* Unicast routes of the main table and interface addresses, as things a
   new subnet must not overlap.  */
int cc_nl_dump_routes (struct nl_sock *sk, struct cc_ipam_route **out, size_t *n, cc_error_t *err);
int cc_nl_link_index (struct nl_sock *sk, const char *name);
int cc_nl_link_up (struct nl_sock *sk, int ifindex, cc_error_t *err);
/* The kernel ignores IFLA_IFALIAS when a link is created: set it after.
   The alias names the owner, so residue checks can tell ours apart.  */
int cc_nl_link_set_alias (struct nl_sock *sk, int ifindex, const char *alias, cc_error_t *err);
/* Deleting a link that does not exist is success.  */
int cc_nl_link_delete (struct nl_sock *sk, const char *name, cc_error_t *err);
int cc_nl_addr_add (struct nl_sock *sk, int ifindex, uint32_t addr, int prefix, cc_error_t *err);
/* Default route via GW unless the namespace has one already.  */
int cc_nl_default_route (struct nl_sock *sk, int ifindex, uint32_t gw, cc_error_t *err);
/* IPv6 (issue 17): an address without duplicate address detection, as
   Docker's (its owner is the IPAM), and the default route.  */
int cc_nl_addr_add6 (struct nl_sock *sk, int ifindex, const struct in6_addr *addr, int prefix, cc_error_t *err);
int cc_nl_default_route6 (struct nl_sock *sk, int ifindex, const struct in6_addr *gw, cc_error_t *err);
/* As cc_nl_dump_routes, for IPv6 (link-local and multicast left out).  */
int cc_nl_dump_routes6 (struct nl_sock *sk, struct cc_ipam_route6 **out, size_t *n, cc_error_t *err);
/* Names of links whose ifalias starts with PREFIX, and the alias of each.  */
int cc_nl_links_with_alias (struct nl_sock *sk, const char *prefix, char ***names, char ***aliases, cc_error_t *err);
/* Names of the links in link group GROUP, and the ifalias of each ("" for
   none).  */
int cc_nl_links_in_group (struct nl_sock *sk, uint32_t group, char ***names, char ***aliases, cc_error_t *err);
/* One RTM_DELLINK naming only GROUP: the kernel unregisters every link of
   the group as one batch.  An empty group is success.  */
int cc_nl_group_delete (struct nl_sock *sk, uint32_t group, cc_error_t *err);

/* group.c: the link group of a network.  Its bridge and the host ends of
   its veths carry it, so a teardown deletes them with one RTM_DELLINK: the
   kernel then waits for one RCU grace period for all of them instead of
   one per link (12 ms a veth, 70 ms a bridge).  The kernel's default group
   is 0 and administrators number theirs from 1 up, so ours stay in
   [CC_NET_GROUP_MIN, CC_NET_GROUP_MAX]; the top bit stays clear because
   iproute2 prints groups as signed numbers.  */
#define CC_NET_GROUP_MIN 0x01000000u
#define CC_NET_GROUP_MAX 0x7fffffffu
uint32_t cc_net_group_derive (const char *tag, const char *project, const char *network, const char *bridge);
/* A group as read back from the state: anything outside our range (an
   older ccompose recorded none, or the file was edited) is not ours.  */
bool cc_net_group_is_valid (double recorded);
/* One link of a network: its name and the ifalias it was given.  */
struct cc_net_link
{
  const char *name;
  const char *alias;
};
/* Whether the dump of GROUP (NAMES and ALIASES from cc_nl_links_in_group)
   holds only links of OURS.  Pure.  */
bool cc_net_group_is_ours (char *const *names, char *const *aliases, const struct cc_net_link *ours, size_t n);
/* Delete the links of GROUP in one batch when every link in it is one of
   OURS; otherwise leave the group alone and set *BATCHED to false, so the
   caller deletes its links one by one.  */
int cc_net_group_delete_checked (struct nl_sock *sk, uint32_t group, const struct cc_net_link *ours, size_t n,
                                 bool *batched, cc_error_t *err);

/* bridge.c */
char *cc_bridge_name (const char *tag, const char *project, const char *network, unsigned salt);
/* GROUP 0 = none (a network recorded by an older ccompose).  */
int cc_bridge_create (struct nl_sock *sk, const char *name, const char *alias, int mtu, uint32_t group,
                      uint32_t gateway, int prefix, cc_error_t *err);
/* net.ipv4.conf.NAME.route_localnet; turning it off for a missing bridge
   is success.  */
int cc_bridge_route_localnet (const char *name, bool on, cc_error_t *err);

/* veth.c */
char *cc_veth_name (const char *tag, const char *project, const char *network, const char *container);
struct cc_veth
{
  const char *host_name; /* host end, mastered to BRIDGE */
  const char *bridge;
  const char *peer_name; /* created directly inside NETNS_FD */
  const char *alias;
  int mtu; /* 0 = default */
  int netns_fd;
  uint32_t peer_ip; /* the peer's MAC is derived from it... */
  const char *mac;  /* ...unless given (compose's mac_address) */
  uint32_t group;   /* of the host end; 0 = none */
  bool isolated;    /* its bridge port can reach no other isolated port (enable_icc: false) */
};
/* The peer's MAC as "02:42:ac:11:00:02": MAC (any case, `:` or `-`)
   when given, else the one derived from IP.  NULL when MAC is not a
   unicast address an interface can have (the kernel refuses the others).  */
char *cc_veth_peer_mac (const char *mac, uint32_t ip);
/* An existing host end (left by a crash) is replaced.  */
int cc_veth_create (struct nl_sock *sk, const struct cc_veth *v, cc_error_t *err);

/* sysctl.c: under /proc/sys/net of the calling thread's netns.  */
int cc_sysctl_read (const char *key, char **value, cc_error_t *err);
int cc_sysctl_write (const char *key, const char *value, cc_error_t *err);

/* netns.c: an fd of the namespace file at PATH.  */
int cc_netns_open (const char *path, int *fd, cc_error_t *err);
/* Unmount and unlink a netns file; already gone = success.  */
int cc_netns_unbind (const char *path, cc_error_t *err);

/* Crash injection (CCOMPOSE_CRASH_AT) at each side-effecting step.  */
#include "lib/crash.h"

#endif
