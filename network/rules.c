/* The one rule builder (ARCHITECTURE.md, "Security rules" and "Where things go").  Pure: state in, rule list out.

   raw    PREROUTING          -j CCOMPOSE-RAW
          CCOMPOSE-RAW        per network: -d 127.0.0.0/8 -i br -j DROP (see add_loopback_guard)
   nat    PREROUTING, OUTPUT  -m addrtype --dst-type LOCAL -j CCOMPOSE-DNAT
          POSTROUTING         -j CCOMPOSE-POST
          CCOMPOSE-DNAT       per published port: [-d hostip] -p P --dport H -j DNAT --to cip:C;
                              replicas publishing one port share it: one DNAT each, picked at
                              random (-m statistic) among those serving (see add_balancer)
          CCOMPOSE-POST       per network: loopback sources to the bridge (127.0.0.1:PORT from the
                              host), hairpin (a container through a published port back into its
                              own network), outbound (-s subnet ! -o br)
   filter FORWARD             -j CCOMPOSE-FWD
          CCOMPOSE-FWD        accepts (established, intra-network, published ports) for every
                              network first, then the drops that isolate networks, then outbound

   IPv6 (issue 17), for the networks with an IPv6 subnet: the same
   chains in the ip6tables tables (jumps, FWD accepts and drops, which
   match only interfaces: CC_FW_BOTH rules), and of their own
   (CC_FW_IPV6) the NAT66 of the subnet (-s subnet6 ! -o br, as Docker
   does with ip6tables) and its hairpin, and the DNAT and accept of each
   port published on an IPv6 host address, or on none (Docker publishes
   such a port on both families when the container has IPv6), never for
   ::1.  No loopback rules: the kernel routes no ::1 off lo,
   route_localnet has no IPv6 twin; the container's monitor relays its
   ports on ::1 in userland (runtime/proxy.c).

   The order of CCOMPOSE-FWD matters: a published port of network B must be
   reachable from network A, so no network's drops may come before any
   network's accepts.

   Rules for other firewalls' chains (issue 17), written only where such
   a chain exists:
   filter DOCKER-USER         -j CCOMPOSE-FWD: Docker's FORWARD runs this
                              chain first, and its policy DROP comes after
                              (the iptc backend, in the legacy tables)
          FOREIGN-FORWARD     per network: -i br -j ACCEPT, -o br -j ACCEPT:
                              not a chain but what goes at the top of any
                              other firewall's forward chain that drops
                              (DOCKER-USER, or a chain whose policy is
                              drop) in the tables our rules are not in.
                              An accept there ends only that chain: our
                              own drops, which isolate networks, still
                              apply in ours.  */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/firewall.h"
#include "network/state.h"

struct builder
{
  struct cc_fw_ruleset *rs;
  const char *tag;
  char *raw, *dnat, *post, *fwd; /* our chains, with the tag */
  const cJSON **nets;            /* the networks of the namespace */
  size_t n_nets;
  bool any_ipv6; /* one of them has an IPv6 subnet */
};

bool
cc_fw_is_foreign (const char *chain)
{
  return strcmp (chain, CC_FW_DOCKER_USER) == 0 || strcmp (chain, CC_FW_FOREIGN) == 0;
}

bool
cc_fw_is_builtin (const char *chain)
{
  static const char *const builtin[] = { "PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING" };

  for (size_t i = 0; i < CC_N_ELEMENTS (builtin); i++)
    if (strcmp (chain, builtin[i]) == 0)
      return true;
  return false;
}

uint32_t
cc_fw_probability (unsigned one_in)
{
  return one_in ? (uint32_t)((0x80000000ull + one_in / 2) / one_in) : 0;
}

double
cc_fw_probability_of (uint32_t probability)
{
  return probability / 2147483648.0;
}

char *
cc_fw_comment_prefix (const char *tag)
{
  return xasprintf ("ccompose%s", tag ? tag : "");
}

/* "@1a2b3c" -> "-1a2b3c": chain names allow neither '@' nor more than 28
   characters.  */
static char *
chain_name (const char *base, const char *tag)
{
  return xasprintf ("%s%s%s", base, tag && *tag ? "-" : "", tag && *tag ? tag + 1 : "");
}

char **
cc_fw_chain_names (const char *tag)
{
  static const char *const bases[] = { "CCOMPOSE-DNAT", "CCOMPOSE-POST", "CCOMPOSE-FWD", "CCOMPOSE-RAW" };
  char **v = NULL;

  for (size_t i = 0; i < CC_N_ELEMENTS (bases); i++)
    cc_strv_push (&v, chain_name (bases[i], tag));
  return v;
}

static struct cc_fw_rule *
add_rule (struct builder *b, const char *table, const char *chain, char *comment)
{
  struct cc_fw_ruleset *rs = b->rs;
  struct cc_fw_rule *r;

  rs->rules = xreallocarray (rs->rules, rs->n_rules + 1, sizeof (*rs->rules));
  r = &rs->rules[rs->n_rules++];
  memset (r, 0, sizeof (*r));
  r->table = table;
  r->chain = xstrdup (chain);
  /* nftables keeps at most CC_FW_COMMENT_MAX bytes: both backends cut
     there, so a comment reads back as it was built.  */
  if (strlen (comment) > CC_FW_COMMENT_MAX)
    comment[CC_FW_COMMENT_MAX] = '\0';
  r->comment = comment;
  return r;
}

static void
add_chain (struct builder *b, const char *table, const char *name)
{
  struct cc_fw_ruleset *rs = b->rs;

  rs->chains = xreallocarray (rs->chains, rs->n_chains + 1, sizeof (*rs->chains));
  rs->chains[rs->n_chains].table = table;
  rs->chains[rs->n_chains].name = xstrdup (name);
  rs->n_chains++;
}

static char *
net_comment (struct builder *b, const cJSON *net)
{
  return xasprintf ("ccompose%s project %s network %s", b->tag, cc_json_get_string (net, "project"),
                    cc_json_get_string (net, "name"));
}

static char *
member_comment (struct builder *b, const cJSON *net, const cJSON *m)
{
  const char *service = cc_json_get_string (m, "service");

  return xasprintf ("ccompose%s project %s service %s container %s", b->tag, cc_net_member_project (net, m),
                    service && *service ? service : "-", cc_json_get_string (m, "container"));
}

bool
cc_fw_rule_in (const struct cc_fw_rule *r, bool v6)
{
  return r->family == CC_FW_BOTH || (r->family == CC_FW_IPV6) == v6;
}

bool
cc_fw_has_ipv6 (const struct cc_fw_ruleset *rs, const char *table)
{
  for (size_t i = 0; i < rs->n_rules; i++)
    if (cc_fw_rule_in (&rs->rules[i], true) && (table == NULL || strcmp (rs->rules[i].table, table) == 0))
      return true;
  return false;
}

static bool
has_ipv6 (const cJSON *net)
{
  return cc_json_get_string (net, "subnet6") != NULL;
}

/* An IPv6-only network (issue 15) records no IPv4 subnet.  */
static bool
has_ipv4 (const cJSON *net)
{
  return cc_json_get_string (net, "subnet") != NULL;
}

/* Interface-only drops of NET: for its IPv6 traffic too when it has
   some.  An IPv6-only network (issue 15) keeps its IPv4 drops: a
   container may still put IPv4 on its link, and nothing of it may pass.  */
static enum cc_fw_family
guard_family_of (const cJSON *net)
{
  return has_ipv6 (net) ? CC_FW_BOTH : CC_FW_IPV4;
}

/* Interface-only accepts of NET: the families it has addresses of.  */
static enum cc_fw_family
family_of (const cJSON *net)
{
  return ! has_ipv4 (net) ? CC_FW_IPV6 : guard_family_of (net);
}

static void
add_jumps (struct builder *b)
{
  enum cc_fw_family both = b->any_ipv6 ? CC_FW_BOTH : CC_FW_IPV4;
  struct cc_fw_rule *r;

  add_chain (b, "raw", b->raw);
  add_chain (b, "nat", b->dnat);
  add_chain (b, "nat", b->post);
  add_chain (b, "filter", b->fwd);
  r = add_rule (b, "raw", "PREROUTING", xasprintf ("ccompose%s jump", b->tag));
  r->target = xstrdup (b->raw);
  r = add_rule (b, "nat", "PREROUTING", xasprintf ("ccompose%s jump", b->tag));
  r->family = both;
  r->dst_local = true;
  r->target = xstrdup (b->dnat);
  r = add_rule (b, "nat", "OUTPUT", xasprintf ("ccompose%s jump", b->tag));
  r->family = both;
  r->dst_local = true;
  r->target = xstrdup (b->dnat);
  r = add_rule (b, "nat", "POSTROUTING", xasprintf ("ccompose%s jump", b->tag));
  r->family = both;
  r->target = xstrdup (b->post);
  r = add_rule (b, "filter", "FORWARD", xasprintf ("ccompose%s jump", b->tag));
  r->family = both;
  r->target = xstrdup (b->fwd);
  r = add_rule (b, "filter", CC_FW_DOCKER_USER, xasprintf ("ccompose%s jump", b->tag));
  r->family = both;
  r->target = xstrdup (b->fwd);
}

static bool
is_internal (const cJSON *net)
{
  return cc_json_get_bool (net, "internal", false);
}

static int
check_network (const cJSON *net, cc_error_t *err)
{
  static const char *const required[] = { "project", "name", "bridge" };

  for (size_t i = 0; i < CC_N_ELEMENTS (required); i++)
    if (cc_json_get_string (net, required[i]) == NULL)
      return cc_error_make (err, EINVAL, "network state: a network lacks `%s`", required[i]);
  if (! has_ipv4 (net) && ! has_ipv6 (net))
    return cc_error_make (err, EINVAL, "network state: network `%s` lacks a subnet", cc_json_get_string (net, "name"));
  if (has_ipv4 (net) && cc_json_get_string (net, "gateway") == NULL)
    return cc_error_make (err, EINVAL, "network state: a network lacks `gateway`");
  return 0;
}

/* route_localnet on the bridge (bridge.c) lets a DNAT from 127.0.0.1 out
   through it and its replies back in, which is what makes ports published
   on 127.0.0.1 work from the host.  It also lets a container (CAP_NET_RAW
   is in the default set) send a frame to the gateway's MAC addressed to
   127.0.0.1, and reach the host's loopback-only services and, through
   CCOMPOSE-DNAT, ports other projects publish on 127.0.0.1 (the
   CVE-2020-8558 class).  No legitimate packet arrives on a bridge for
   127.0.0.0/8: a container's own kernel routes it to its lo, and the
   replies of a loopback-published port are addressed to the bridge until
   conntrack undoes the masquerade, after raw.  So the raw table drops
   them before conntrack or NAT can see them.  Every network gets the
   guard, internal ones too (a bridge recorded by an older ccompose may
   still route 127.0.0.0/8).  */
static void
add_loopback_guard (struct builder *b, const cJSON *net)
{
  struct cc_fw_rule *r = add_rule (b, "raw", b->raw, net_comment (b, net));

  r->dst = xstrdup ("127.0.0.0/8");
  r->in = xstrdup (cc_json_get_string (net, "bridge"));
  r->target = xstrdup ("DROP");
}

/* A subnet's hairpin (a DNATed connection back onto its own bridge) and
   its way out; for IPv6 this is NAT66, as Docker's ip6tables mode.  A
   network with enable_ip_masquerade: false (issue 15) goes out with its
   own addresses: routed, as Docker's.  */
static void
add_subnet_masquerade (struct builder *b, const cJSON *net, enum cc_fw_family family, const char *subnet)
{
  const char *br = cc_json_get_string (net, "bridge");
  int ways = cc_json_get_bool (net, "masquerade", true) ? 1 : 0;

  for (int out_inv = 0; out_inv <= ways; out_inv++)
    {
      struct cc_fw_rule *r = add_rule (b, "nat", b->post, net_comment (b, net));
      r->family = family;
      r->src = xstrdup (subnet);
      r->out = xstrdup (br);
      r->out_inv = out_inv;
      if (! out_inv)
        r->ctstate = CC_CT_DNAT;
      r->target = xstrdup ("MASQUERADE");
    }
}

static void
add_masquerade (struct builder *b, const cJSON *net)
{
  struct cc_fw_rule *r;

  if (is_internal (net))
    return;
  if (has_ipv4 (net))
    {
      r = add_rule (b, "nat", b->post, net_comment (b, net));
      r->src = xstrdup ("127.0.0.0/8");
      r->out = xstrdup (cc_json_get_string (net, "bridge"));
      r->target = xstrdup ("MASQUERADE");
      add_subnet_masquerade (b, net, CC_FW_IPV4, cc_json_get_string (net, "subnet"));
    }
  if (has_ipv6 (net))
    add_subnet_masquerade (b, net, CC_FW_IPV6, cc_json_get_string (net, "subnet6"));
}

static int
proto_of (const struct cc_net_port *p)
{
  return p->proto == CC_NET_UDP ? IPPROTO_UDP : IPPROTO_TCP;
}

static bool
binds_all (const char *host_ip)
{
  return host_ip[0] == '\0' || strcmp (host_ip, "0.0.0.0") == 0 || strcmp (host_ip, "::") == 0;
}

static bool
is_ipv6_loopback (const char *host_ip)
{
  struct in6_addr a;

  return inet_pton (AF_INET6, host_ip, &a) == 1 && IN6_IS_ADDR_LOOPBACK (&a);
}

/* Whether member M of NET publishes P on IPv6 (V6) or IPv4: an address
   of that family, or none; on IPv6 only with an address there.  Never
   ::1: the monitor's relay serves it (runtime/proxy.c).  */
static bool
publishes_on (const cJSON *net, const cJSON *m, const struct cc_net_port *p, bool v6)
{
  bool host_v6 = strchr (p->host_ip, ':') != NULL;

  if (! v6)
    return ! host_v6 && cc_json_get_string (m, "ip") != NULL;
  return (host_v6 || p->host_ip[0] == '\0') && ! is_ipv6_loopback (p->host_ip) && has_ipv6 (net)
         && cc_json_get_string (m, "ip6") != NULL;
}

static const char *
member_address (const cJSON *m, bool v6)
{
  return cc_json_get_string (m, v6 ? "ip6" : "ip");
}

/* The container port a member's published range sends host port H to.  */
static unsigned
target_port (const struct cc_net_port *p, unsigned h)
{
  return p->container_port_end == p->container_port ? p->container_port : p->container_port + (h - p->host_port);
}

static bool
same_host_address (const struct cc_net_port *a, const struct cc_net_port *b)
{
  return binds_all (a->host_ip) == binds_all (b->host_ip)
         && (binds_all (a->host_ip) || strcmp (a->host_ip, b->host_ip) == 0);
}

/* Members in the balancer: the engine marks a replica that is starting,
   unhealthy or stopping "serving": false (issue 16); one recorded
   without the key (an older ccompose, a single container) serves.  */
static bool
is_serving (const cJSON *m)
{
  return cc_json_get_bool (m, "serving", true);
}

struct backend
{
  const cJSON *net, *m;
  unsigned port;
};

/* Every member publishing host port H as P does (its replicas behind one
   port, issue 16) on the family V6 says, in state order, into OUT;
   whether (SELF, P) is the first of them, which writes the balancer for
   all.  */
static size_t
backends_of (struct builder *b, const cJSON *self, const struct cc_net_port *p, unsigned h, bool v6,
             struct backend *out, bool *first)
{
  size_t n = 0;

  *first = false;
  for (size_t i = 0; i < b->n_nets; i++)
    for (const cJSON *m = is_internal (b->nets[i]) ? NULL : cc_net_first (b->nets[i], "members"); m; m = m->next)
      for (const cJSON *pj = cc_net_first (m, "ports"); pj; pj = pj->next)
        {
          struct cc_net_port q;

          if (cc_net_port_from_json (pj, &q, NULL) < 0 || q.host_port == 0 || q.proto != p->proto || h < q.host_port
              || h > q.host_port_end || ! same_host_address (p, &q) || ! publishes_on (b->nets[i], m, &q, v6))
            continue;
          if (n == 0)
            *first = m == self;
          if (out)
            out[n] = (struct backend){ b->nets[i], m, target_port (&q, h) };
          n++;
        }
  return n;
}

/* Serving backends first; none serving, all of them: a port with no
   target would refuse every connection, as Docker never does for a
   single unhealthy container.  */
static size_t
pick_serving (struct backend *v, size_t n)
{
  size_t k = 0;

  for (size_t i = 0; i < n; i++)
    if (is_serving (v[i].m))
      v[k++] = v[i];
  return k ? k : n;
}

/* The balancer of host port H: backend I of N takes a new connection
   with probability 1/(N-I), so each takes 1/N of them (kube-proxy's
   iptables mode).  Only new connections reach the nat table: conntrack
   keeps an established one on the backend it chose, so a backend that
   leaves the balancer keeps its open connections.  The rules of one port
   are consecutive in CCOMPOSE-DNAT, whose first matching DNAT ends the
   walk: no per-port chain to create and find again at `down`.  */
static void
add_balancer (struct builder *b, const struct cc_net_port *p, unsigned h, bool v6, struct backend *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      struct cc_fw_rule *r = add_rule (b, "nat", b->dnat, member_comment (b, v[i].net, v[i].m));

      r->family = v6 ? CC_FW_IPV6 : CC_FW_IPV4;
      if (! binds_all (p->host_ip))
        r->dst = xasprintf ("%s/%d", p->host_ip, v6 ? 128 : 32);
      else if (v6)
        {
          /* ::1 is the monitor's relay's (runtime/proxy.c): a DNAT of
             it would send the container packets from ::1, which the
             kernel drops.  */
          r->dst = xstrdup ("::1/128");
          r->dst_inv = true;
        }
      r->proto = proto_of (p);
      r->dport_lo = r->dport_hi = (uint16_t)h;
      r->one_in = i + 1 < n ? (unsigned)(n - i) : 0;
      r->target = xstrdup ("DNAT");
      r->to = xasprintf (v6 ? "[%s]:%u" : "%s:%u", member_address (v[i].m, v6), v[i].port);
    }
}

/* One DNAT per host port: a DNAT to a port range would pick any port of
   it, not the matching one.  */
static void
add_port_dnat_of (struct builder *b, const cJSON *m, const struct cc_net_port *p, bool v6)
{
  for (unsigned h = p->host_port; h <= p->host_port_end; h++)
    {
      bool first;
      size_t n = backends_of (b, m, p, h, v6, NULL, &first);
      cleanup_free struct backend *v = NULL;

      if (! first)
        continue;
      v = xzalloc (n * sizeof (*v));
      backends_of (b, m, p, h, v6, v, &first);
      add_balancer (b, p, h, v6, v, pick_serving (v, n));
    }
}

static void
add_port_dnat (struct builder *b, const cJSON *net, const cJSON *m, const struct cc_net_port *p)
{
  for (int v6 = 0; v6 <= 1; v6++)
    if (publishes_on (net, m, p, v6))
      add_port_dnat_of (b, m, p, v6);
}

static void
add_port_accept_of (struct builder *b, const cJSON *net, const cJSON *m, const struct cc_net_port *p, bool v6)
{
  struct cc_fw_rule *r = add_rule (b, "filter", b->fwd, member_comment (b, net, m));

  r->family = v6 ? CC_FW_IPV6 : CC_FW_IPV4;
  r->dst = xasprintf ("%s/%d", member_address (m, v6), v6 ? 128 : 32);
  r->out = xstrdup (cc_json_get_string (net, "bridge"));
  /* Only through the DNAT: a published port is no reason to let other
     networks reach the container's port directly.  */
  r->ctstate = CC_CT_DNAT;
  r->proto = proto_of (p);
  r->dport_lo = p->container_port;
  r->dport_hi = p->container_port_end;
  r->target = xstrdup ("ACCEPT");
}

static void
add_port_accept (struct builder *b, const cJSON *net, const cJSON *m, const struct cc_net_port *p)
{
  for (int v6 = 0; v6 <= 1; v6++)
    if (publishes_on (net, m, p, v6))
      add_port_accept_of (b, net, m, p, v6);
}

typedef void (*port_fn) (struct builder *b, const cJSON *net, const cJSON *m, const struct cc_net_port *p);

static int
for_each_port (struct builder *b, port_fn fn, cc_error_t *err)
{
  const cJSON *m, *pj;

  for (size_t i = 0; i < b->n_nets; i++)
    {
      const cJSON *net = b->nets[i];

      /* internal: true networks publish nothing.  */
      if (is_internal (net))
        continue;
      for (m = cc_net_first (net, "members"); m; m = m->next)
        {
          if ((cc_json_get_string (m, "ip") == NULL && cc_json_get_string (m, "ip6") == NULL)
              || cc_json_get_string (m, "container") == NULL)
            return cc_error_make (err, EINVAL, "network state: a container of `%s` lacks ip or name",
                                  cc_json_get_string (net, "name"));
          for (pj = cc_net_first (m, "ports"); pj; pj = pj->next)
            {
              struct cc_net_port p;

              if (cc_net_port_from_json (pj, &p, err) < 0)
                return -1;
              /* A host port never chosen (a state written by a crash
                 between record and choice cannot hold one, but an
                 older ccompose's could) publishes nothing.  */
              if (p.host_port != 0)
                fn (b, net, m, &p);
            }
        }
    }
  return 0;
}

typedef void (*net_fn) (struct builder *b, const cJSON *net);

static void
for_each_network (struct builder *b, net_fn fn)
{
  for (size_t i = 0; i < b->n_nets; i++)
    fn (b, b->nets[i]);
}

static void
add_forward_accepts (struct builder *b, const cJSON *net)
{
  const char *br = cc_json_get_string (net, "bridge");
  struct cc_fw_rule *r;

  r = add_rule (b, "filter", b->fwd, net_comment (b, net));
  r->family = family_of (net);
  r->out = xstrdup (br);
  r->ctstate = CC_CT_RELATED | CC_CT_ESTABLISHED;
  r->target = xstrdup ("ACCEPT");
  r = add_rule (b, "filter", b->fwd, net_comment (b, net));
  r->family = family_of (net);
  r->in = xstrdup (br);
  r->out = xstrdup (br);
  r->target = xstrdup ("ACCEPT");
}

static void
add_forward_drops (struct builder *b, const cJSON *net)
{
  const char *br = cc_json_get_string (net, "bridge");
  struct cc_fw_rule *r;

  /* Isolation: nothing from this network into any other ccompose bridge,
     nothing unsolicited into this one.  */
  r = add_rule (b, "filter", b->fwd, net_comment (b, net));
  r->family = guard_family_of (net);
  r->in = xstrdup (br);
  r->out = xstrdup ("cc+");
  r->target = xstrdup ("DROP");
  r = add_rule (b, "filter", b->fwd, net_comment (b, net));
  r->family = guard_family_of (net);
  r->out = xstrdup (br);
  r->target = xstrdup ("DROP");
  r = add_rule (b, "filter", b->fwd, net_comment (b, net));
  r->family = family_of (net);
  r->in = xstrdup (br);
  r->target = xstrdup (is_internal (net) ? "DROP" : "ACCEPT");
  /* No way out for IPv4 from an IPv6-only network (issue 15).  */
  if (family_of (net) == CC_FW_IPV6)
    {
      r = add_rule (b, "filter", b->fwd, net_comment (b, net));
      r->in = xstrdup (br);
      r->target = xstrdup ("DROP");
    }
}

static void
add_foreign_accepts (struct builder *b, const cJSON *net)
{
  const char *br = cc_json_get_string (net, "bridge");
  bool zoned = cc_json_get_string (net, "firewalld_zone") != NULL;
  struct cc_fw_rule *r;

  /* Both families where the network has IPv6: the other firewall may
     drop either (Docker with ip6tables on, issue 17).  */
  r = add_rule (b, "filter", CC_FW_FOREIGN, net_comment (b, net));
  r->family = family_of (net);
  r->in = xstrdup (br);
  r->target = xstrdup ("ACCEPT");
  r->zoned = zoned;
  r = add_rule (b, "filter", CC_FW_FOREIGN, net_comment (b, net));
  r->family = family_of (net);
  r->out = xstrdup (br);
  r->target = xstrdup ("ACCEPT");
  r->zoned = zoned;
}

/* The networks of STATE that live in HOST_NETNS (all when NULL), checked.  */
static int
select_networks (const cJSON *state, const char *host_netns, struct builder *b, cc_error_t *err)
{
  const cJSON *nets = cJSON_GetObjectItemCaseSensitive (state, "networks");
  const cJSON *net;

  b->nets = xzalloc (((size_t)cJSON_GetArraySize (nets) + 1) * sizeof (*b->nets));
  for (net = nets ? nets->child : NULL; net; net = net->next)
    {
      if (check_network (net, err) < 0)
        return -1;
      if (host_netns == NULL || cc_net_lives_in (net, host_netns))
        {
          b->nets[b->n_nets++] = net;
          b->any_ipv6 |= has_ipv6 (net);
        }
    }
  return 0;
}

static void
builder_release (struct builder *b)
{
  free (b->raw);
  free (b->dnat);
  free (b->post);
  free (b->fwd);
  free (b->nets);
}
#define cleanup_builder __attribute__ ((cleanup (builder_release)))

int
cc_fw_build (const cJSON *state, const char *tag, const char *host_netns, struct cc_fw_ruleset *out, cc_error_t *err)
{
  cleanup_builder struct builder b = { .rs = out, .tag = tag ? tag : "" };
  int ret = 0;

  memset (out, 0, sizeof (*out));
  out->tag = xstrdup (b.tag);
  if (select_networks (state, host_netns, &b, err) < 0)
    return -1;
  /* No network here: no chain either, so the backend removes ours.  */
  if (b.n_nets == 0)
    return 0;
  b.raw = chain_name ("CCOMPOSE-RAW", tag);
  b.dnat = chain_name ("CCOMPOSE-DNAT", tag);
  b.post = chain_name ("CCOMPOSE-POST", tag);
  b.fwd = chain_name ("CCOMPOSE-FWD", tag);
  add_jumps (&b);
  for_each_network (&b, add_loopback_guard);
  if (for_each_port (&b, add_port_dnat, err) < 0)
    ret = -1;
  for_each_network (&b, add_masquerade);
  for_each_network (&b, add_forward_accepts);
  if (ret == 0 && for_each_port (&b, add_port_accept, err) < 0)
    ret = -1;
  for_each_network (&b, add_forward_drops);
  for_each_network (&b, add_foreign_accepts);
  return ret;
}

void
cc_fw_ruleset_release (struct cc_fw_ruleset *rs)
{
  for (size_t i = 0; i < rs->n_rules; i++)
    {
      struct cc_fw_rule *r = &rs->rules[i];

      free (r->chain);
      free (r->src);
      free (r->dst);
      free (r->in);
      free (r->out);
      free (r->comment);
      free (r->target);
      free (r->to);
    }
  for (size_t i = 0; i < rs->n_chains; i++)
    free (rs->chains[i].name);
  free (rs->rules);
  free (rs->chains);
  free (rs->tag);
  memset (rs, 0, sizeof (*rs));
}

/* One family's keys: the iptc backend has our chains on the IPv6 side
   only in the tables it has rules in (firewall-iptc.c).  */
static void
family_keys (const struct cc_fw_ruleset *rs, bool placed, bool v6, const char *mark, char ***v)
{
  for (size_t i = 0; i < rs->n_chains; i++)
    if (! v6 || cc_fw_has_ipv6 (rs, rs->chains[i].table))
      cc_strv_push (v, xasprintf ("%s%s/%s", mark, rs->chains[i].table, rs->chains[i].name));
  for (size_t i = 0; i < rs->n_rules; i++)
    if ((placed || ! cc_fw_is_foreign (rs->rules[i].chain)) && cc_fw_rule_in (&rs->rules[i], v6))
      cc_strv_push (v, xasprintf ("%s%s/%s %s", mark, rs->rules[i].table, rs->rules[i].chain, rs->rules[i].comment));
}

char **
cc_fw_keys (const struct cc_fw_ruleset *rs, bool placed, bool split)
{
  char **v = xzalloc (sizeof (char *));

  if (! split)
    {
      /* One table for both families: a rule is there once.  */
      for (size_t i = 0; i < rs->n_chains; i++)
        cc_strv_push (&v, xasprintf ("%s/%s", rs->chains[i].table, rs->chains[i].name));
      for (size_t i = 0; i < rs->n_rules; i++)
        if (placed || ! cc_fw_is_foreign (rs->rules[i].chain))
          cc_strv_push (&v, xasprintf ("%s/%s %s", rs->rules[i].table, rs->rules[i].chain, rs->rules[i].comment));
      return v;
    }
  family_keys (rs, placed, false, "", &v);
  family_keys (rs, placed, true, CC_FW_KEY6, &v);
  return v;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static char **
sorted (char *const *v)
{
  char **s = cc_strv_dup (v);

  if (s == NULL)
    s = xzalloc (sizeof (char *));
  qsort (s, cc_strv_len (s), sizeof (char *), compare_strings);
  return s;
}

char **
cc_fw_keys_missing (char *const *want, char *const *have)
{
  cleanup_strv char **w = sorted (want), **h = sorted (have);
  char **missing = xzalloc (sizeof (char *));
  size_t j = 0, nh = cc_strv_len (h);

  for (size_t i = 0; w[i]; i++)
    {
      int c = 1;

      while (j < nh && (c = strcmp (h[j], w[i])) < 0)
        j++;
      if (j < nh && c == 0)
        j++;
      else
        cc_strv_append (&missing, w[i]);
    }
  return missing;
}

bool
cc_fw_keys_equal (char *const *a, char *const *b)
{
  cleanup_strv char **m1 = cc_fw_keys_missing (a, b), **m2 = cc_fw_keys_missing (b, a);

  return m1[0] == NULL && m2[0] == NULL;
}

/* Rendering, in the order and spelling iptables-save uses, so the golden
   files read like the kernel's view and can be compared with it.  */

static void
render_addr (struct cc_buf *o, const char *flag, const char *addr, bool inv)
{
  if (addr)
    cc_buf_printf (o, " %s%s %s", inv ? "! " : "", flag, addr);
}

static void
render_ctstate (struct cc_buf *o, unsigned st)
{
  static const struct
  {
    unsigned bit;
    const char *name;
  } names[] = { { CC_CT_INVALID, "INVALID" },
                { CC_CT_RELATED, "RELATED" },
                { CC_CT_ESTABLISHED, "ESTABLISHED" },
                { CC_CT_DNAT, "DNAT" } };
  const char *sep = " -m conntrack --ctstate ";

  for (size_t i = 0; i < CC_N_ELEMENTS (names); i++)
    if (st & names[i].bit)
      {
        cc_buf_printf (o, "%s%s", sep, names[i].name);
        sep = ",";
      }
}

static void
render_rule (struct cc_buf *o, const struct cc_fw_rule *r)
{
  const char *proto = r->proto == IPPROTO_UDP ? "udp" : "tcp";

  cc_buf_printf (o, "-A %s", r->chain);
  render_addr (o, "-s", r->src, r->src_inv);
  render_addr (o, "-d", r->dst, r->dst_inv);
  render_addr (o, "-i", r->in, r->in_inv);
  render_addr (o, "-o", r->out, r->out_inv);
  if (r->proto)
    {
      cc_buf_printf (o, " -p %s -m %s --dport %u", proto, proto, r->dport_lo);
      if (r->dport_hi != r->dport_lo)
        cc_buf_printf (o, ":%u", r->dport_hi);
    }
  if (r->dst_local)
    cc_buf_puts (o, " -m addrtype --dst-type LOCAL");
  if (r->ctstate)
    render_ctstate (o, r->ctstate);
  cc_buf_printf (o, " -m comment --comment \"%s\"", r->comment);
  if (r->one_in > 1)
    cc_buf_printf (o, " -m statistic --mode random --probability %.11f",
                   cc_fw_probability_of (cc_fw_probability (r->one_in)));
  cc_buf_printf (o, " -j %s", r->target);
  if (r->to)
    cc_buf_printf (o, " --to-destination %s", r->to);
  cc_buf_putc (o, '\n');
}

/* One family's tables; the ip6tables side only has the tables it
   writes to (the iptc backend creates no chain in the others).  */
static void
render_family (struct cc_buf *o, const struct cc_fw_ruleset *rs, bool v6)
{
  static const char *const tables[] = { "raw", "nat", "filter" };

  for (size_t t = 0; t < CC_N_ELEMENTS (tables); t++)
    {
      if (v6 && ! cc_fw_has_ipv6 (rs, tables[t]))
        continue;
      cc_buf_printf (o, "*%s\n", tables[t]);
      for (size_t i = 0; i < rs->n_chains; i++)
        if (strcmp (rs->chains[i].table, tables[t]) == 0)
          cc_buf_printf (o, ":%s - [0:0]\n", rs->chains[i].name);
      for (size_t i = 0; i < rs->n_rules; i++)
        if (strcmp (rs->rules[i].table, tables[t]) == 0 && cc_fw_rule_in (&rs->rules[i], v6))
          render_rule (o, &rs->rules[i]);
      cc_buf_puts (o, "COMMIT\n");
    }
}

char *
cc_fw_render (const struct cc_fw_ruleset *rs)
{
  cleanup_buf struct cc_buf o = { 0 };

  render_family (&o, rs, false);
  if (cc_fw_has_ipv6 (rs, NULL))
    {
      cc_buf_puts (&o, "# ip6tables\n");
      render_family (&o, rs, true);
    }
  return cc_buf_steal (&o);
}
