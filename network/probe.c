/* One packet across a bridge (issue 17): where another firewall drops
   forwarded packets (cc_fw_foreign_drops, found by coexist), `up` checks
   that a packet between two endpoints of each new bridge still passes,
   and when it does not, names what dropped it instead of leaving the
   services to time out in silence.  `system check` does the same for
   live networks (teardown.c).

   The endpoints are two veths of a network namespace of the probe's
   own, held only by a file descriptor: when it is closed (or the
   process dies) the kernel deletes the namespace and both pairs with
   it, so nothing is left behind even after a crash.  The frame is
   written and read raw (AF_PACKET), so the namespace needs no address
   and no route; it is an IPv4/UDP packet between two addresses of the
   bridge's subnet, and meets the hooks a container's packet meets: the
   bridge family's forward hook, and with br_netfilter the IPv4 forward
   hook with the bridge as in and out interface.  Nothing leaves the
   bridge, and the probe's side has IPv6 off, so it sends nothing else.

   When the packet does not arrive it is sent again with nftables'
   tracing on (a bridge table of ours whose first prerouting chain sets
   nftrace on frames from the first endpoint): the kernel then reports
   each chain's verdict on it (NFT_MSG_TRACE), and the one that dropped
   it is named.  The legacy x_tables trace nothing to us, but count: the
   DROP rule or drop policy whose packet counter the resend moved is
   named (cc_fw_legacy_drop_counts); failing both, what coexist found is
   said instead.  */
/* glibc's first: the linux/ headers then defer to them.  */
#include <net/if.h>
#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_bridge.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/firewall.h"
#include "network/ipam.h"
#include "network/link.h"
#include "network/netimpl.h"
#include "network/nft.h"
#include "network/wire.h"

enum
{
  PROBE_PORT = 33434, /* traceroute's first UDP port: nobody serves it */
  TRIES = 3,
  TRY_MS = 100, /* a bridged frame takes microseconds: 3 tries, 0.3 s at most */
  /* The tracer's chain runs before everything at the bridge's
     prerouting hook (br_netfilter's own hook is at 0).  */
  TRACE_PRIORITY = -1000,
  NONCE_AT = ETH_HLEN + 20 + 8,
  FRAME_LEN = NONCE_AT + 16,
};

struct probe
{
  int ns;                   /* the probe's network namespace */
  char host[2][IFNAMSIZ];   /* the host ends, on the bridge */
  uint8_t mac[2][ETH_ALEN]; /* the ends in the namespace */
  int ifindex[2];           /* ... and their indexes there */
  int tx, rx;               /* packet sockets on them */
  uint32_t src, dst;        /* host order */
  uint8_t nonce[16];
};

/* The namespace would go with its last reference, and the pairs with it
   (after a crash too), but the kernel does that later, in a work queue:
   the pairs go first, by name, so nothing of the probe outlives it.  */
static void
probe_release (struct probe *p)
{
  cleanup_nl_sock struct nl_sock *sk = NULL;
  cc_error_t e = NULL;

  if (p->host[0][0] && cc_nl_open (-1, &sk, &e) == 0)
    for (int i = 0; i < 2; i++)
      if (cc_nl_link_delete (sk, p->host[i], &e) < 0)
        {
          cc_warn ("remove the probe's veth `%s`: %s", p->host[i], e->msg);
          cc_error_release (&e);
        }
  cc_error_release (&e);
  for (int *fd = (int[]){ p->tx, p->rx, p->ns }, i = 0; i < 3; i++)
    if (fd[i] >= 0)
      close (fd[i]);
}
#define cleanup_probe __attribute__ ((cleanup (probe_release)))

static int
open_own_ns (int *fd, cc_error_t *err)
{
  *fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  return *fd < 0 ? cc_error_make (err, errno, "open `/proc/thread-self/ns/net`") : 0;
}

/* Back to HOME; a thread that cannot go back must not go on changing the
   wrong namespace.  */
static void
go_home (int home)
{
  if (setns (home, CLONE_NEWNET) < 0)
    abort ();
}

/* A namespace of the calling thread's own, IPv6 off before any link is
   in it (no router solicitation or neighbour discovery on the bridge).  */
static int
make_ns (struct probe *p, cc_error_t *err)
{
  cleanup_close int home = -1;
  int r = 0;

  if (open_own_ns (&home, err) < 0)
    return -1;
  if (unshare (CLONE_NEWNET) < 0)
    return cc_error_make (err, errno, "create the probe's network namespace");
  if (open_own_ns (&p->ns, err) < 0 || cc_sysctl_write ("ipv6/conf/default/disable_ipv6", "1", err) < 0)
    r = -1;
  go_home (home);
  return r;
}

static void
random_bytes (void *buf, size_t n)
{
  if (getrandom (buf, n, 0) != (ssize_t)n)
    abort ();
}

static void
name_ends (struct probe *p)
{
  uint8_t id[5];

  random_bytes (id, sizeof (id));
  for (int i = 0; i < 2; i++)
    {
      snprintf (p->host[i], IFNAMSIZ, "ccp%02x%02x%02x%02x%02x%c", id[0], id[1], id[2], id[3], id[4], 'a' + i);
      random_bytes (p->mac[i], ETH_ALEN);
      p->mac[i][0] = 0x02; /* unicast, locally administered */
    }
}

static int
add_pair (struct nl_sock *sk, const struct probe *p, int i, int master, cc_error_t *err)
{
  struct rtnl_link *l = rtnl_link_veth_alloc ();
  struct rtnl_link *peer;
  struct nl_addr *mac;
  int r;

  if (l == NULL || (mac = nl_addr_build (AF_LLC, p->mac[i], ETH_ALEN)) == NULL)
    abort ();
  peer = rtnl_link_veth_get_peer (l);
  rtnl_link_set_name (l, p->host[i]);
  rtnl_link_set_master (l, master);
  rtnl_link_set_name (peer, i == 0 ? "cc0" : "cc1");
  rtnl_link_set_ns_fd (peer, p->ns);
  rtnl_link_set_addr (peer, mac);
  r = rtnl_link_add (sk, l, NLM_F_CREATE | NLM_F_EXCL);
  nl_addr_put (mac);
  rtnl_link_put (peer);
  rtnl_link_veth_release (l);
  return r < 0 ? cc_nl_error (err, r, "create the probe's veth `%s`", p->host[i]) : 0;
}

static int
link_up_named (struct nl_sock *sk, const char *name, int *index, cc_error_t *err)
{
  *index = cc_nl_link_index (sk, name);
  if (*index < 0)
    return cc_error_make (err, ENODEV, "probe veth `%s` vanished after creation", name);
  return cc_nl_link_up (sk, *index, err);
}

/* Both pairs, host ends on BRIDGE, every end up.  */
static int
add_pairs (struct probe *p, const char *bridge, cc_error_t *err)
{
  cleanup_nl_sock struct nl_sock *sk = NULL, *inside = NULL;
  int master, index;

  if (cc_nl_open (-1, &sk, err) < 0 || cc_nl_open (p->ns, &inside, err) < 0)
    return -1;
  if ((master = cc_nl_link_index (sk, bridge)) < 0)
    return cc_error_make (err, ENODEV, "bridge `%s` does not exist", bridge);
  for (int i = 0; i < 2; i++)
    if (add_pair (sk, p, i, master, err) < 0 || link_up_named (sk, p->host[i], &index, err) < 0
        || link_up_named (inside, i == 0 ? "cc0" : "cc1", &p->ifindex[i], err) < 0)
      return -1;
  return 0;
}

static int
packet_socket (int ifindex, int *fd, cc_error_t *err)
{
  struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons (ETH_P_IP), .sll_ifindex = ifindex };

  *fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons (ETH_P_IP));
  if (*fd < 0 || bind (*fd, (struct sockaddr *)&a, sizeof (a)) < 0)
    return cc_error_make (err, errno, "open the probe's packet socket");
  return 0;
}

/* A packet socket belongs to the namespace it was made in.  */
static int
open_sockets (struct probe *p, cc_error_t *err)
{
  cleanup_close int home = -1;
  int r;

  if (open_own_ns (&home, err) < 0)
    return -1;
  if (setns (p->ns, CLONE_NEWNET) < 0)
    return cc_error_make (err, errno, "enter the probe's network namespace");
  r = packet_socket (p->ifindex[0], &p->tx, err) < 0 || packet_socket (p->ifindex[1], &p->rx, err) < 0 ? -1 : 0;
  go_home (home);
  return r;
}

/* The two highest host addresses of SUBNET: IPAM hands out the lowest
   first, and nothing answers either (no ARP: the frame is addressed).  */
static int
pick_addresses (struct probe *p, const char *subnet, cc_error_t *err)
{
  struct cc_ipv4_net net;
  uint32_t last;

  if (cc_ipv4_net_parse (subnet, &net, err) < 0)
    return -1;
  last = net.addr | (net.prefix >= 32 ? 0u : 0xffffffffu >> net.prefix);
  p->src = last - 2;
  p->dst = last - 1;
  return 0;
}

static uint16_t
ip_checksum (const uint8_t *h, size_t n)
{
  uint32_t sum = 0;

  for (size_t i = 0; i + 1 < n; i += 2)
    sum += (uint32_t)(h[i] << 8 | h[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* Ethernet, IPv4 (no options, TTL 64), UDP without a checksum (RFC 768
   allows 0 over IPv4), the nonce.  */
static void
build_frame (const struct probe *p, uint8_t f[FRAME_LEN])
{
  uint8_t *ip = f + ETH_HLEN, *udp = ip + 20;

  memset (f, 0, FRAME_LEN);
  memcpy (f, p->mac[1], ETH_ALEN);
  memcpy (f + ETH_ALEN, p->mac[0], ETH_ALEN);
  cc_put16 (f + 12, ETH_P_IP);
  ip[0] = 0x45;
  cc_put16 (ip + 2, FRAME_LEN - ETH_HLEN);
  ip[8] = 64;
  ip[9] = IPPROTO_UDP;
  cc_put32 (ip + 12, p->src);
  cc_put32 (ip + 16, p->dst);
  cc_put16 (ip + 10, ip_checksum (ip, 20));
  cc_put16 (udp, PROBE_PORT);
  cc_put16 (udp + 2, PROBE_PORT);
  cc_put16 (udp + 4, 8 + sizeof (p->nonce));
  memcpy (udp + 8, p->nonce, sizeof (p->nonce));
}

static int
send_frame (const struct probe *p, cc_error_t *err)
{
  uint8_t f[FRAME_LEN];
  struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = p->ifindex[0], .sll_halen = ETH_ALEN };

  build_frame (p, f);
  memcpy (to.sll_addr, p->mac[1], ETH_ALEN);
  if (sendto (p->tx, f, sizeof (f), 0, (struct sockaddr *)&to, sizeof (to)) != (ssize_t)sizeof (f))
    return cc_error_make (err, errno, "send the probe's packet");
  return 0;
}

static long
now_ms (void)
{
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Whether the frame came through within MS (the socket keeps the
   Ethernet header: the nonce is where it was sent).  */
static bool
arrived (const struct probe *p, int ms)
{
  long deadline = now_ms () + ms;
  uint8_t buf[2048];

  for (long left = ms; left > 0; left = deadline - now_ms ())
    {
      struct pollfd pfd = { p->rx, POLLIN, 0 };
      ssize_t n;

      if (poll (&pfd, 1, (int)left) <= 0)
        return false;
      n = recv (p->rx, buf, sizeof (buf), MSG_DONTWAIT);
      if (n >= (ssize_t)FRAME_LEN && memcmp (buf + NONCE_AT, p->nonce, sizeof (p->nonce)) == 0)
        return true;
    }
  return false;
}

/* True when a packet crossed in TRIES tries.  */
static int
cross (const struct probe *p, bool *ok, cc_error_t *err)
{
  *ok = false;
  for (int i = 0; i < TRIES && ! *ok; i++)
    {
      if (send_frame (p, err) < 0)
        return -1;
      *ok = arrived (p, TRY_MS);
    }
  return 0;
}

static int
setup (struct probe *p, const char *bridge, const char *subnet, cc_error_t *err)
{
  name_ends (p);
  random_bytes (p->nonce, sizeof (p->nonce));
  if (pick_addresses (p, subnet, err) < 0 || make_ns (p, err) < 0 || add_pairs (p, bridge, err) < 0)
    return -1;
  return open_sockets (p, err);
}

/* ---- what dropped it: nftables' trace ------------------------------------------- */

struct verdict
{
  bool found, by_policy;
  uint8_t family;
  char *table, *chain;
  uint64_t handle;
};

static void
verdict_release (struct verdict *v)
{
  free (v->table);
  free (v->chain);
}
#define cleanup_verdict __attribute__ ((cleanup (verdict_release)))

/* A netfilter socket that hears every trace of this namespace.  */
static int
open_trace_socket (int *fd, cc_error_t *err)
{
  int group = NFNLGRP_NFTRACE;
  struct sockaddr_nl self = { .nl_family = AF_NETLINK };

  *fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (*fd < 0 || bind (*fd, (struct sockaddr *)&self, sizeof (self)) < 0
      || setsockopt (*fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof (group)) < 0)
    return cc_error_make (err, errno, "listen to nftables traces");
  return 0;
}

/* The tracer's table: "ccprobe-" and the first host end, ours alone.  */
static int
tracer (const struct probe *p, bool add, cc_error_t *err)
{
  static const struct cc_nft_base pre
      = { "probe", "PREROUTING", "trace", "", "filter", NF_BR_PRE_ROUTING, TRACE_PRIORITY };
  cleanup_nft_sock struct cc_nft_sock *s = NULL;
  cleanup_nft_batch struct cc_nft_batch b = { 0 };
  cleanup_free char *table = xasprintf ("ccprobe-%s", p->host[0]);

  if (cc_nft_acquire (&s, err) < 0)
    return -1;
  cc_nft_batch_begin (&b, 0);
  if (add)
    {
      cc_nft_add_table (&b, NFPROTO_BRIDGE, table);
      cc_nft_add_chain (&b, NFPROTO_BRIDGE, table, pre.name, &pre);
      cc_nft_add_trace_rule (&b, NFPROTO_BRIDGE, table, pre.name, p->host[0]);
    }
  else
    cc_nft_delete_table (&b, NFPROTO_BRIDGE, table);
  return cc_nft_commit (s, &b, err);
}

static int32_t
verdict_code (const struct nlattr *nest)
{
  struct nlattr *tb[NFTA_VERDICT_MAX + 1] = { 0 };

  if (nest == NULL || nla_parse_nested (tb, NFTA_VERDICT_MAX, (struct nlattr *)nest, NULL) < 0)
    return NF_ACCEPT;
  return (int32_t)cc_nft_u32 (tb[NFTA_VERDICT_CODE], NF_ACCEPT);
}

/* One NFT_MSG_TRACE: a drop is kept (the first one is what dropped it).  */
static void
read_trace (const struct nlmsghdr *h, struct verdict *v)
{
  const struct nfgenmsg *g = NLMSG_DATA (h);
  struct nlattr *tb[NFTA_TRACE_MAX + 1] = { 0 };
  uint32_t type;
  int32_t code;

  if (v->found || h->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE)
      || h->nlmsg_len < NLMSG_SPACE (sizeof (*g))
      || nla_parse (tb, NFTA_TRACE_MAX, (struct nlattr *)((char *)NLMSG_DATA (h) + NLMSG_ALIGN (sizeof (*g))),
                    (int)(h->nlmsg_len - NLMSG_SPACE (sizeof (*g))), NULL)
             < 0)
    return;
  type = cc_nft_u32 (tb[NFTA_TRACE_TYPE], 0);
  code = type == NFT_TRACETYPE_POLICY ? (int32_t)cc_nft_u32 (tb[NFTA_TRACE_POLICY], NF_ACCEPT)
                                      : verdict_code (tb[NFTA_TRACE_VERDICT]);
  if ((type != NFT_TRACETYPE_POLICY && type != NFT_TRACETYPE_RULE) || code != NF_DROP || ! tb[NFTA_TRACE_TABLE]
      || ! tb[NFTA_TRACE_CHAIN])
    return;
  *v = (struct verdict){ true,
                         type == NFT_TRACETYPE_POLICY,
                         g->nfgen_family,
                         xstrdup (cc_nft_str (tb[NFTA_TRACE_TABLE])),
                         xstrdup (cc_nft_str (tb[NFTA_TRACE_CHAIN])),
                         cc_nft_u64 (tb[NFTA_TRACE_RULE_HANDLE], 0) };
}

/* Traces on FD until a drop is heard or MS pass.  */
static void
hear_drop (int fd, int ms, struct verdict *v)
{
  long deadline = now_ms () + ms;
  cleanup_free char *buf = xmalloc (65536);

  for (long left = ms; left > 0 && ! v->found; left = deadline - now_ms ())
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      ssize_t n;

      if (poll (&pfd, 1, (int)left) <= 0)
        return;
      n = recv (fd, buf, 65536, MSG_DONTWAIT);
      for (size_t at = 0, step; n > 0 && (size_t)n - at >= sizeof (struct nlmsghdr); at += step)
        {
          const struct nlmsghdr *h = (const void *)(buf + at);

          if (h->nlmsg_len < sizeof (*h) || h->nlmsg_len > (size_t)n - at)
            break;
          step = NLMSG_ALIGN (h->nlmsg_len);
          read_trace (h, v);
        }
    }
}

static const struct cc_nft_chain *
find_chain (const struct cc_nft_view *view, const struct verdict *v)
{
  for (size_t i = 0; i < view->n_chains; i++)
    if (view->chains[i].family == v->family && strcmp (view->chains[i].table, v->table) == 0
        && strcmp (view->chains[i].name, v->chain) == 0)
      return &view->chains[i];
  return NULL;
}

static const char *
rule_comment (const struct cc_nft_view *view, const struct verdict *v)
{
  for (size_t i = 0; i < view->n_rules; i++)
    if (view->rules[i].handle == v->handle && view->rules[i].family == v->family
        && strcmp (view->rules[i].table, v->table) == 0 && strcmp (view->rules[i].chain, v->chain) == 0)
      return view->rules[i].comment;
  return NULL;
}

/* "the nftables chain `inet filter forward` (priority 0, policy drop) has
   no accept for it", or "the rule with handle 7 (comment `...`) in the
   nftables chain `inet hostfw early` (priority -10) drops it" (`nft -a
   list ruleset` shows handles).  */
static char *
describe (const struct verdict *v)
{
  cleanup_nft_sock struct cc_nft_sock *s = NULL;
  cleanup_nft_view struct cc_nft_view view = { 0 };
  cc_error_t e = NULL;
  const struct cc_nft_chain *c = NULL;
  const char *comment = NULL;
  cleanup_free char *where = NULL, *prio = NULL, *rule = NULL;

  if (cc_nft_acquire (&s, &e) < 0 || cc_nft_view_read (s, &view, &e) < 0)
    cc_error_release (&e);
  else
    {
      c = find_chain (&view, v);
      comment = rule_comment (&view, v);
    }
  where = xasprintf ("the nftables chain `%s %s %s`", cc_nft_family_name (v->family), v->table, v->chain);
  prio = c && c->base ? xasprintf (" (priority %d%s)", c->priority, v->by_policy ? ", policy drop" : "")
                      : xstrdup (v->by_policy ? " (policy drop)" : "");
  if (v->by_policy)
    return xasprintf ("%s%s has no accept for it", where, prio);
  rule = comment ? xasprintf ("the rule with handle %llu (comment `%s`)", (unsigned long long)v->handle, comment)
                 : xasprintf ("the rule with handle %llu", (unsigned long long)v->handle);
  return xasprintf ("%s in %s%s drops it", rule, where, prio);
}

/* One resend, traced by nftables when it can be; the legacy tables'
   counters are read around it.  */
static void
resend (const struct probe *p, struct verdict *v, struct cc_fw_counts *before, struct cc_fw_counts *after)
{
  cleanup_close int fd = -1;
  cc_error_t e = NULL;
  bool traced = open_trace_socket (&fd, &e) == 0 && tracer (p, true, &e) == 0;

  if (! traced)
    cc_debug ("probe: no trace: %s", e->msg);
  cc_error_release (&e);
  cc_fw_legacy_drop_counts (before);
  if (send_frame (p, &e) == 0)
    {
      /* Untraced, the wait is for the kernel to have passed it along.  */
      if (traced)
        hear_drop (fd, TRIES * TRY_MS, v);
      else
        arrived (p, TRY_MS);
    }
  cc_error_release (&e);
  cc_fw_legacy_drop_counts (after);
  if (traced && tracer (p, false, &e) < 0)
    cc_warn ("remove the probe's nftables table `bridge ccprobe-%s`: %s", p->host[0], e->msg);
  cc_error_release (&e);
}

/* What dropped the packet: a traced resend, a legacy counter it moved,
   else what coexist found.  */
static char *
blame (const struct probe *p)
{
  cleanup_verdict struct verdict v = { 0 };
  cleanup_fw_counts struct cc_fw_counts before = { 0 }, after = { 0 };
  cleanup_strv char **whys = cc_fw_foreign_drops ();
  cleanup_free char *joined = whys ? cc_strv_join (whys, "; ") : xstrdup ("");
  const char *moved;

  resend (p, &v, &before, &after);
  if (v.found)
    return describe (&v);
  if ((moved = cc_fw_counts_moved (&before, &after)) != NULL)
    return xstrdup (moved);
  return xasprintf ("no nftables chain or legacy rule was seen dropping it%s%s", *joined ? "; " : "", joined);
}

int
cc_net_probe_bridge (const char *bridge, const char *subnet, char **blocked, cc_error_t *err)
{
  cleanup_probe struct probe p = { .ns = -1, .tx = -1, .rx = -1 };
  bool ok;

  *blocked = NULL;
  if (setup (&p, bridge, subnet, err) < 0 || cross (&p, &ok, err) < 0)
    return cc_error_wrap (err, "probe bridge `%s`", bridge);
  if (! ok)
    *blocked = blame (&p);
  return 0;
}

char *
cc_net_probe_network (const cJSON *net)
{
  const char *bridge = cc_json_get_string (net, "bridge"), *subnet = cc_json_get_string (net, "subnet");
  const char *full = cc_json_get_string (net, "full_name");
  cleanup_strv char **whys = cc_fw_foreign_drops ();
  cleanup_free char *blocked = NULL, *name = NULL;
  cc_error_t e = NULL;

  if (whys == NULL || bridge == NULL || subnet == NULL)
    return NULL;
  name = full
             ? xstrdup (full)
             : xasprintf ("%s_%s", cc_json_get_string (net, "project") ?: "?", cc_json_get_string (net, "name") ?: "?");
  if (cc_net_probe_bridge (bridge, subnet, &blocked, &e) < 0)
    {
      char *s = xasprintf ("network %s: connectivity across bridge `%s` is not checked: %s", name, bridge, e->msg);
      cc_error_release (&e);
      return s;
    }
  if (blocked == NULL)
    return NULL;
  return xasprintf ("network %s: a packet between two endpoints on bridge `%s` was dropped; %s", name, bridge, blocked);
}
