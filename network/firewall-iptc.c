/* The libiptc backend (legacy x_tables; see `iptables-legacy-save` and
   `ip6tables-legacy-save`).

   apply() makes this state root's rules equal to the rule set, one table
   snapshot and ONE commit per table, whatever the number of rules: our
   rules in built-in chains (found by their comment) are deleted, our
   chains flushed, then the rule set is written back.  The commit replaces
   the table atomically, so traffic never sees a half-written set.  libiptc
   takes no lock: we take the one the iptables tools take, and redo the
   whole snapshot-edit-commit when the table changed under us (EAGAIN).

   Both families (issue 17): libip4tc and libip6tc are one source built
   twice, so the code below speaks to either through struct xt_family;
   only a rule's header (struct ipt_entry or ip6t_entry) and the NAT
   targets' payloads differ.  A rule set's IPv6 rules (CC_FW_IPV6 and
   CC_FW_BOTH, rules.c) go to the ip6tables tables.  */
#include <arpa/inet.h>
#include <errno.h>
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_statistic.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/firewall.h"
#include "network/ipam.h"
#include "network/link.h"

_Static_assert(CC_CT_INVALID == XT_CONNTRACK_STATE_INVALID, "conntrack bits");
_Static_assert(CC_CT_ESTABLISHED == XT_CONNTRACK_STATE_BIT (IP_CT_ESTABLISHED), "conntrack bits");
_Static_assert(CC_CT_RELATED == XT_CONNTRACK_STATE_BIT (IP_CT_RELATED), "conntrack bits");
_Static_assert(CC_CT_DNAT == XT_CONNTRACK_STATE_DNAT, "conntrack bits");

#define COMMIT_ATTEMPTS 10
/* The tables of the calling thread's namespace: /proc/net is the thread
   group leader's, and a thread may have entered another (hostns.h).  */
#define IPT_NAMES "/proc/thread-self/net/ip_tables_names"
#define IP6T_NAMES "/proc/thread-self/net/ip6_tables_names"

/* One family's libiptc.  Functions that take or give a rule differ in
   its type only: they get wrappers below.  */
struct xt_family
{
  const char *label; /* in errors: "iptables", "ip6tables" */
  const char *names; /* the loaded tables */
  bool v6;
  size_t entry_size;
  struct xtc_handle *(*init) (const char *table);
  void (*free) (struct xtc_handle *h);
  const char *(*strerror) (int err);
  const char *(*first_chain) (struct xtc_handle *h);
  const char *(*next_chain) (struct xtc_handle *h);
  const void *(*first_rule) (const char *chain, struct xtc_handle *h);
  const void *(*next_rule) (const void *e, struct xtc_handle *h);
  const char *(*get_target) (const void *e, struct xtc_handle *h);
  const char *(*get_policy) (const char *chain, struct xt_counters *counters, struct xtc_handle *h);
  int (*is_chain) (const char *chain, struct xtc_handle *const h);
  int (*flush_entries) (const char *chain, struct xtc_handle *h);
  int (*create_chain) (const char *chain, struct xtc_handle *h);
  int (*delete_chain) (const char *chain, struct xtc_handle *h);
  int (*insert_entry) (const char *chain, const void *e, unsigned num, struct xtc_handle *h);
  int (*append_entry) (const char *chain, const void *e, struct xtc_handle *h);
  int (*delete_num_entry) (const char *chain, unsigned num, struct xtc_handle *h);
  int (*commit) (struct xtc_handle *h);
};

#define XT_ENTRY_WRAPPERS(prefix, entry)                                                                               \
  static const void *prefix##_first_rule_of (const char *chain, struct xtc_handle *h)                                  \
  {                                                                                                                    \
    return prefix##_first_rule (chain, h);                                                                             \
  }                                                                                                                    \
  static const void *prefix##_next_rule_of (const void *e, struct xtc_handle *h)                                       \
  {                                                                                                                    \
    return prefix##_next_rule ((const struct entry *)e, h);                                                            \
  }                                                                                                                    \
  static const char *prefix##_get_target_of (const void *e, struct xtc_handle *h)                                      \
  {                                                                                                                    \
    return prefix##_get_target ((const struct entry *)e, h);                                                           \
  }                                                                                                                    \
  static int prefix##_insert_entry_of (const char *chain, const void *e, unsigned num, struct xtc_handle *h)           \
  {                                                                                                                    \
    return prefix##_insert_entry (chain, (const struct entry *)e, num, h);                                             \
  }                                                                                                                    \
  static int prefix##_append_entry_of (const char *chain, const void *e, struct xtc_handle *h)                         \
  {                                                                                                                    \
    return prefix##_append_entry (chain, (const struct entry *)e, h);                                                  \
  }

XT_ENTRY_WRAPPERS (iptc, ipt_entry)
XT_ENTRY_WRAPPERS (ip6tc, ip6t_entry)

#define XT_FAMILY(prefix, entry, lbl, path, is_v6)                                                                     \
  {                                                                                                                    \
    .label = lbl, .names = path, .v6 = is_v6, .entry_size = sizeof (struct entry), .init = prefix##_init,              \
    .free = prefix##_free, .strerror = prefix##_strerror, .first_chain = prefix##_first_chain,                         \
    .next_chain = prefix##_next_chain, .first_rule = prefix##_first_rule_of, .next_rule = prefix##_next_rule_of,       \
    .get_target = prefix##_get_target_of, .get_policy = prefix##_get_policy, .is_chain = prefix##_is_chain,            \
    .flush_entries = prefix##_flush_entries, .create_chain = prefix##_create_chain,                                    \
    .delete_chain = prefix##_delete_chain, .insert_entry = prefix##_insert_entry_of,                                   \
    .append_entry = prefix##_append_entry_of, .delete_num_entry = prefix##_delete_num_entry, .commit = prefix##_commit \
  }

static const struct xt_family families[] = {
  XT_FAMILY (iptc, ipt_entry, "iptables", IPT_NAMES, false),
  XT_FAMILY (ip6tc, ip6t_entry, "ip6tables", IP6T_NAMES, true),
};

/* A snapshot of one table, freed by the family that made it.  */
struct xt_table
{
  const struct xt_family *f;
  struct xtc_handle *h;
};

static void
free_table (struct xt_table *t)
{
  if (t->h)
    t->f->free (t->h);
  t->h = NULL;
}
#define cleanup_xt_table __attribute__ ((cleanup (free_table)))

/* The header fields both entry types share, after their address part.  */
static uint16_t
target_offset_of (const struct xt_family *f, const void *e)
{
  return f->v6 ? ((const struct ip6t_entry *)e)->target_offset : ((const struct ipt_entry *)e)->target_offset;
}

static void *
append (struct cc_buf *b, size_t size)
{
  size_t at = b->len;
  cleanup_free void *zero = xzalloc (size);

  cc_buf_append (b, zero, size);
  return b->data + at;
}

static void *
add_match (struct cc_buf *b, const char *name, uint8_t revision, size_t payload)
{
  size_t size = XT_ALIGN (sizeof (struct xt_entry_match)) + XT_ALIGN (payload);
  struct xt_entry_match *m = append (b, size);

  m->u.user.match_size = (uint16_t)size;
  snprintf (m->u.user.name, sizeof (m->u.user.name), "%s", name);
  m->u.user.revision = revision;
  return m->data;
}

static void *
add_target (struct cc_buf *b, const char *name, uint8_t revision, size_t payload)
{
  size_t size = XT_ALIGN (sizeof (struct xt_entry_target)) + XT_ALIGN (payload);
  struct xt_entry_target *t = append (b, size);

  t->u.user.target_size = (uint16_t)size;
  t->u.user.revision = revision;
  snprintf (t->u.user.name, sizeof (t->u.user.name), "%s", name);
  return t->data;
}

/* As iptables does: "cc+" keeps its '+' and compares only "cc"; an
   exact name compares its NUL too.  */
static void
set_iface (const char *name, char *field, unsigned char *mask)
{
  size_t len = strlen (name);
  size_t cmp = len > 0 && name[len - 1] == '+' ? len - 1 : len + 1;

  snprintf (field, IFNAMSIZ, "%s", name);
  memset (mask, 0xff, cmp < IFNAMSIZ ? cmp : IFNAMSIZ);
}

static void
set_addr (const char *cidr, struct in_addr *addr, struct in_addr *mask)
{
  struct cc_ipv4_net n;

  if (cc_ipv4_net_parse (cidr, &n, NULL) < 0)
    return;
  addr->s_addr = htonl (n.addr);
  mask->s_addr = htonl (cc_ipv4_mask (n.prefix));
}

static void
fill_ip (struct ipt_entry *e, const struct cc_fw_rule *r)
{
  if (r->src)
    set_addr (r->src, &e->ip.src, &e->ip.smsk);
  if (r->dst)
    set_addr (r->dst, &e->ip.dst, &e->ip.dmsk);
  if (r->in)
    set_iface (r->in, e->ip.iniface, e->ip.iniface_mask);
  if (r->out)
    set_iface (r->out, e->ip.outiface, e->ip.outiface_mask);
  e->ip.invflags = (uint8_t)((r->src_inv ? IPT_INV_SRCIP : 0) | (r->dst_inv ? IPT_INV_DSTIP : 0)
                             | (r->in_inv ? IPT_INV_VIA_IN : 0) | (r->out_inv ? IPT_INV_VIA_OUT : 0));
  e->ip.proto = (uint16_t)r->proto;
}

static void
set_addr6 (const char *cidr, struct in6_addr *addr, struct in6_addr *mask)
{
  struct cc_ipv6_net n;

  if (cc_ipv6_net_parse (cidr, &n, NULL) < 0)
    return;
  *addr = n.addr;
  for (unsigned i = 0, prefix = (unsigned)n.prefix; i < 16; i++)
    {
      unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;

      mask->s6_addr[i] = (uint8_t)(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
      addr->s6_addr[i] &= mask->s6_addr[i];
    }
}

static void
fill_ip6 (struct ip6t_entry *e, const struct cc_fw_rule *r)
{
  if (r->src)
    set_addr6 (r->src, &e->ipv6.src, &e->ipv6.smsk);
  if (r->dst)
    set_addr6 (r->dst, &e->ipv6.dst, &e->ipv6.dmsk);
  if (r->in)
    set_iface (r->in, e->ipv6.iniface, e->ipv6.iniface_mask);
  if (r->out)
    set_iface (r->out, e->ipv6.outiface, e->ipv6.outiface_mask);
  e->ipv6.invflags = (uint8_t)((r->src_inv ? IP6T_INV_SRCIP : 0) | (r->dst_inv ? IP6T_INV_DSTIP : 0)
                               | (r->in_inv ? IP6T_INV_VIA_IN : 0) | (r->out_inv ? IP6T_INV_VIA_OUT : 0));
  e->ipv6.proto = (uint16_t)r->proto;
  /* ip6_tables compares the protocol only with this flag (ip6tables -p
     sets it): without it a tcp match would see any packet.  */
  if (r->proto)
    e->ipv6.flags |= IP6T_F_PROTO;
}

static void
set_offsets (const struct xt_family *f, void *e, size_t target_offset, size_t next_offset)
{
  if (f->v6)
    {
      ((struct ip6t_entry *)e)->target_offset = (uint16_t)target_offset;
      ((struct ip6t_entry *)e)->next_offset = (uint16_t)next_offset;
    }
  else
    {
      ((struct ipt_entry *)e)->target_offset = (uint16_t)target_offset;
      ((struct ipt_entry *)e)->next_offset = (uint16_t)next_offset;
    }
}

static void
add_port_match (struct cc_buf *b, const struct cc_fw_rule *r)
{
  if (r->proto == IPPROTO_TCP)
    {
      struct xt_tcp *t = add_match (b, "tcp", 0, sizeof (*t));
      t->spts[1] = 0xffff;
      t->dpts[0] = r->dport_lo;
      t->dpts[1] = r->dport_hi;
    }
  else if (r->proto == IPPROTO_UDP)
    {
      struct xt_udp *u = add_match (b, "udp", 0, sizeof (*u));
      u->spts[1] = 0xffff;
      u->dpts[0] = r->dport_lo;
      u->dpts[1] = r->dport_hi;
    }
}

/* MASQUERADE revision 0 takes IPv4's compat range, or IPv6's
   nf_nat_range (xt_MASQUERADE.c registers one per family).  */
static void
add_masquerade (const struct xt_family *f, struct cc_buf *b)
{
  if (f->v6)
    add_target (b, "MASQUERADE", 0, sizeof (struct nf_nat_range));
  else
    ((struct nf_nat_ipv4_multi_range_compat *)add_target (b, "MASQUERADE", 0,
                                                          sizeof (struct nf_nat_ipv4_multi_range_compat)))
        ->rangesize
        = 1;
}

/* "ip:port" or "[ip6]:port" into the address and port of NAT.  */
static int
parse_to (const struct xt_family *f, const char *to, struct nf_nat_range2 *nat)
{
  cleanup_free char *ip = xstrdup (to ? to : "");
  char *colon = strrchr (ip, ':');
  char *addr = ip;
  uint32_t a;

  if (colon == NULL)
    return -1;
  *colon = '\0';
  if (f->v6)
    {
      size_t len = strlen (ip);

      if (ip[0] != '[' || len < 2 || ip[len - 1] != ']')
        return -1;
      ip[len - 1] = '\0';
      addr = ip + 1;
      if (inet_pton (AF_INET6, addr, &nat->min_addr.in6) != 1)
        return -1;
      nat->max_addr.in6 = nat->min_addr.in6;
    }
  else
    {
      if (cc_ipv4_parse (addr, &a) < 0)
        return -1;
      nat->min_addr.ip = nat->max_addr.ip = htonl (a);
    }
  nat->min_proto.tcp.port = nat->max_proto.tcp.port = htons ((uint16_t)atoi (colon + 1));
  return 0;
}

static int
add_dnat (const struct xt_family *f, struct cc_buf *b, const struct cc_fw_rule *r, cc_error_t *err)
{
  struct nf_nat_range2 nat = { .flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED };

  if (parse_to (f, r->to, &nat) < 0)
    return cc_error_make (err, EINVAL, "invalid DNAT destination `%s`", r->to ? r->to : "");
  /* Revision 2 serves both families (xt_nat.c).  */
  memcpy (add_target (b, "DNAT", 2, sizeof (nat)), &nat, sizeof (nat));
  return 0;
}

static int
build_entry (const struct xt_family *f, const struct cc_fw_rule *r, void **out, cc_error_t *err)
{
  cleanup_buf struct cc_buf b = { 0 };
  size_t target_offset;

  append (&b, f->entry_size);
  add_port_match (&b, r);
  if (r->dst_local)
    ((struct xt_addrtype_info_v1 *)add_match (&b, "addrtype", 1, sizeof (struct xt_addrtype_info_v1)))->dest
        = XT_ADDRTYPE_LOCAL;
  if (r->ctstate)
    {
      /* The revisions iptables 1.8 itself picks, so iptables-save can
         print what we wrote.  */
      struct xt_conntrack_mtinfo3 *ct = add_match (&b, "conntrack", 3, sizeof (*ct));
      ct->match_flags = XT_CONNTRACK_STATE;
      ct->state_mask = (uint16_t)r->ctstate;
    }
  snprintf (((struct xt_comment_info *)add_match (&b, "comment", 0, sizeof (struct xt_comment_info)))->comment,
            XT_MAX_COMMENT_LEN, "%s", r->comment);
  if (r->one_in > 1)
    {
      struct xt_statistic_info *st = add_match (&b, "statistic", 0, sizeof (*st));
      st->mode = XT_STATISTIC_MODE_RANDOM;
      st->u.random.probability = cc_fw_probability (r->one_in);
    }
  target_offset = b.len;
  if (strcmp (r->target, "DNAT") == 0)
    {
      if (add_dnat (f, &b, r, err) < 0)
        return -1;
    }
  else if (strcmp (r->target, "MASQUERADE") == 0)
    add_masquerade (f, &b);
  else
    add_target (&b, r->target, 0, sizeof (int));
  if (f->v6)
    fill_ip6 ((struct ip6t_entry *)b.data, r);
  else
    fill_ip ((struct ipt_entry *)b.data, r);
  set_offsets (f, b.data, target_offset, b.len);
  *out = cc_buf_steal (&b);
  return 0;
}

static const char *
entry_comment (const struct xt_family *f, const void *e)
{
  size_t end = target_offset_of (f, e);

  for (size_t off = f->entry_size; off < end;)
    {
      const struct xt_entry_match *m = (const void *)((const char *)e + off);

      if (strcmp (m->u.user.name, "comment") == 0)
        return ((const struct xt_comment_info *)m->data)->comment;
      if (m->u.match_size == 0)
        break;
      off += m->u.match_size;
    }
  return NULL;
}

static bool
is_ours (const struct xt_family *f, const void *e, const char *prefix)
{
  const char *c = entry_comment (f, e);
  size_t len = strlen (prefix);

  return c && strncmp (c, prefix, len) == 0 && c[len] == ' ';
}

static int
iptc_fail (const struct xt_family *f, cc_error_t *err, const char *what, const char *table)
{
  int e = errno;

  return cc_error_make (err, e, "%s %s in table `%s`: %s", f->label, what, table, f->strerror (e));
}

/* Our rules in chains not ours (built-in ones, Docker's DOCKER-USER) go,
   highest number first so the numbers of the rest stay valid.  */
static int
delete_placed_rules (struct xt_table *t, const char *prefix, char *const *ours, const char *table, cc_error_t *err)
{
  const struct xt_family *f = t->f;

  for (const char *chain = f->first_chain (t->h); chain; chain = f->next_chain (t->h))
    {
      cleanup_free unsigned *nums = NULL;
      cleanup_free char *name = NULL;
      unsigned n = 0, num = 0;

      if (cc_strv_contains (ours, chain))
        continue;
      for (const void *e = f->first_rule (chain, t->h); e; e = f->next_rule (e, t->h), num++)
        if (is_ours (f, e, prefix))
          {
            nums = xreallocarray (nums, n + 1, sizeof (*nums));
            nums[n++] = num;
          }
      name = xstrdup (chain);
      while (n > 0)
        if (! f->delete_num_entry (name, nums[--n], t->h))
          return iptc_fail (f, err, "delete rule", table);
    }
  return 0;
}

/* The ip6tables side has our chains only in the tables it has rules in.  */
static bool
wants_chain (const struct xt_family *f, const struct cc_fw_ruleset *rs, const char *table, const char *name)
{
  if (f->v6 && ! cc_fw_has_ipv6 (rs, table))
    return false;
  for (size_t i = 0; i < rs->n_chains; i++)
    if (strcmp (rs->chains[i].table, table) == 0 && strcmp (rs->chains[i].name, name) == 0)
      return true;
  return false;
}

static int
reset_chains (struct xt_table *t, const struct cc_fw_ruleset *rs, const char *table, cc_error_t *err)
{
  const struct xt_family *f = t->f;
  cleanup_strv char **ours = cc_fw_chain_names (rs->tag);

  for (char **c = ours; *c; c++)
    {
      bool exists = f->is_chain (*c, t->h);
      bool wanted = wants_chain (f, rs, table, *c);

      if (exists && ! f->flush_entries (*c, t->h))
        return iptc_fail (f, err, "flush chain", table);
      if (exists && ! wanted && ! f->delete_chain (*c, t->h))
        return iptc_fail (f, err, "delete chain", table);
      if (! exists && wanted && ! f->create_chain (*c, t->h))
        return iptc_fail (f, err, "create chain", table);
    }
  return 0;
}

/* Built-in chains and Docker's DOCKER-USER (when Docker made it) take
   our rules at their top; FOREIGN stands for no chain here (rules.c).  */
static bool
goes_on_top (struct xt_table *t, const char *chain)
{
  if (strcmp (chain, CC_FW_DOCKER_USER) == 0)
    return t->f->is_chain (chain, t->h);
  return cc_fw_is_builtin (chain);
}

static bool
belongs (const struct xt_family *f, const struct cc_fw_rule *r, const char *table)
{
  return strcmp (r->table, table) == 0 && cc_fw_rule_in (r, f->v6);
}

static int
write_rules (struct xt_table *t, const struct cc_fw_ruleset *rs, const char *table, cc_error_t *err)
{
  const struct xt_family *f = t->f;

  /* Insert at the top, last one first, so our rules come before whatever
     else is there and keep their order.  */
  for (size_t i = rs->n_rules; i-- > 0;)
    {
      const struct cc_fw_rule *r = &rs->rules[i];
      cleanup_free void *e = NULL;

      if (! belongs (f, r, table) || ! goes_on_top (t, r->chain))
        continue;
      if (build_entry (f, r, &e, err) < 0)
        return -1;
      if (! f->insert_entry (r->chain, e, 0, t->h))
        return iptc_fail (f, err, "insert rule", table);
    }
  for (size_t i = 0; i < rs->n_rules; i++)
    {
      const struct cc_fw_rule *r = &rs->rules[i];
      cleanup_free void *e = NULL;

      if (! belongs (f, r, table) || cc_fw_is_builtin (r->chain) || cc_fw_is_foreign (r->chain))
        continue;
      if (build_entry (f, r, &e, err) < 0)
        return -1;
      if (! f->append_entry (r->chain, e, t->h))
        return iptc_fail (f, err, "append rule", table);
    }
  return 0;
}

/* 0 done, 1 retry (the table changed under us), -1 error.  */
static int
apply_table_once (const struct xt_family *f, const struct cc_fw_ruleset *rs, const char *table, cc_error_t *err)
{
  cleanup_xt_table struct xt_table t = { f, f->init (table) };
  cleanup_free char *prefix = cc_fw_comment_prefix (rs->tag);
  cleanup_strv char **ours = cc_fw_chain_names (rs->tag);

  if (t.h == NULL)
    return cc_error_make (err, errno, "open %s table `%s` (legacy x_tables; is %s available?): %s", f->label, table,
                          f->v6 ? "ip6_tables" : "ip_tables", f->strerror (errno));
  if (delete_placed_rules (&t, prefix, ours, table, err) < 0 || reset_chains (&t, rs, table, err) < 0
      || write_rules (&t, rs, table, err) < 0)
    return -1;
  if (f->commit (t.h))
    return 0;
  if (errno == EAGAIN)
    return 1;
  return iptc_fail (f, err, "commit", table);
}

static int
xtables_lock (int *fd, cc_error_t *err)
{
  const char *path = getenv ("XTABLES_LOCKFILE");

  return cc_lock_path (path && *path ? path : "/run/xtables.lock", true, fd, err);
}

static bool
table_loaded (const struct xt_family *f, const char *table)
{
  cleanup_free char *names = NULL;
  cleanup_strv char **v = NULL;

  if (cc_read_file (f->names, &names, NULL, NULL) < 0)
    return false;
  v = cc_strv_split (names, '\n', true);
  return cc_strv_contains (v, table);
}

/* A table we never wrote to needs no cleaning: do not make the kernel
   load it just to find nothing of ours.  */
static bool
table_needed (const struct xt_family *f, const struct cc_fw_ruleset *rs, const char *table)
{
  if (f->v6)
    return cc_fw_has_ipv6 (rs, table) || table_loaded (f, table);
  return rs->n_chains > 0 || table_loaded (f, table);
}

/* Every table the builder writes to (rules.c).  */
static const char *const tables[] = { "raw", "nat", "filter" };

static int
apply_family (const struct xt_family *f, const struct cc_fw_ruleset *rs, cc_error_t *err)
{
  for (size_t t = 0; t < CC_N_ELEMENTS (tables); t++)
    {
      int r = 1;

      if (! table_needed (f, rs, tables[t]))
        continue;
      for (int attempt = 0; r == 1 && attempt < COMMIT_ATTEMPTS; attempt++)
        r = apply_table_once (f, rs, tables[t], err);
      if (r < 0)
        return -1;
      if (r == 1)
        return cc_error_make (err, EAGAIN, "%s table `%s` kept changing during commit", f->label, tables[t]);
      cc_crash_point ("firewall commit");
    }
  return 0;
}

static int
iptc_apply (const struct cc_fw_ruleset *rs, cc_error_t *err)
{
  cleanup_close int lock = -1;

  if (xtables_lock (&lock, err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (families); i++)
    if (apply_family (&families[i], rs, err) < 0)
      return -1;
  return 0;
}

/* The IPv6 copies' keys say so (CC_FW_KEY6): one family's copy of a rule
   for both can go alone (`ip6tables -F`, issue 17).  */
static int
list_table (const struct xt_family *f, const char *table, const char *prefix, char *const *chains, char ***out,
            cc_error_t *err)
{
  cleanup_xt_table struct xt_table t = { f, NULL };
  const char *mark = f->v6 ? CC_FW_KEY6 : "";

  if (! table_loaded (f, table))
    return 0;
  t.h = f->init (table);
  if (t.h == NULL)
    return iptc_fail (f, err, "read", table);
  for (const char *chain = f->first_chain (t.h); chain; chain = f->next_chain (t.h))
    {
      if (cc_strv_contains (chains, chain))
        cc_strv_push (out, xasprintf ("%s%s/%s", mark, table, chain));
      for (const void *e = f->first_rule (chain, t.h); e; e = f->next_rule (e, t.h))
        if (is_ours (f, e, prefix))
          cc_strv_push (out, xasprintf ("%s%s/%s %s", mark, table, chain, entry_comment (f, e)));
    }
  return 0;
}

static int
iptc_list_ours (const char *tag, char ***out, cc_error_t *err)
{
  cleanup_free char *prefix = cc_fw_comment_prefix (tag);
  cleanup_strv char **chains = cc_fw_chain_names (tag);
  cleanup_close int lock = -1;

  *out = NULL;
  if (xtables_lock (&lock, err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (families); i++)
    for (size_t t = 0; t < CC_N_ELEMENTS (tables); t++)
      if (list_table (&families[i], tables[t], prefix, chains, out, err) < 0)
        return -1;
  return 0;
}

/* The port preflight's view: DNATs of both families (issue 17).  */
static void
read_dnat (const struct xt_family *f, const void *e, struct cc_fw_dnat *d)
{
  memset (d, 0, sizeof (*d));
  d->v6 = f->v6;
  if (f->v6)
    {
      const struct ip6t_entry *e6 = e;

      d->proto = e6->ipv6.proto;
      /* `! -d ::1/128` (network/rules.c) takes every address but one.  */
      if (memcmp (&e6->ipv6.dmsk, &in6addr_any, sizeof (in6addr_any)) != 0 && ! (e6->ipv6.invflags & IP6T_INV_DSTIP))
        memcpy (d->host_ip6, &e6->ipv6.dst, sizeof (d->host_ip6));
    }
  else
    {
      const struct ipt_entry *e4 = e;

      d->proto = e4->ip.proto;
      d->host_ip = e4->ip.dmsk.s_addr ? ntohl (e4->ip.dst.s_addr) : 0;
    }
  for (size_t off = f->entry_size; off < target_offset_of (f, e);)
    {
      const struct xt_entry_match *m = (const void *)((const char *)e + off);

      if (strcmp (m->u.user.name, "tcp") == 0 || strcmp (m->u.user.name, "udp") == 0)
        {
          /* xt_tcp and xt_udp start alike: spts, dpts.  */
          const struct xt_udp *u = (const void *)m->data;
          d->port_lo = u->dpts[0];
          d->port_hi = u->dpts[1];
        }
      if (m->u.match_size == 0)
        break;
      off += m->u.match_size;
    }
  d->comment = xstrdup (entry_comment (f, e) ?: "");
}

static int
list_dnat_of (const struct xt_family *f, struct cc_fw_dnat **out, size_t *n)
{
  cleanup_xt_table struct xt_table t = { f, NULL };

  /* No nat table: nothing published by anyone.  */
  if (! table_loaded (f, "nat") || (t.h = f->init ("nat")) == NULL)
    return 0;
  for (const char *chain = f->first_chain (t.h); chain; chain = f->next_chain (t.h))
    {
      if (strncmp (chain, "CCOMPOSE", 8) != 0)
        continue;
      for (const void *e = f->first_rule (chain, t.h); e; e = f->next_rule (e, t.h))
        if (strcmp (f->get_target (e, t.h), "DNAT") == 0)
          {
            *out = xreallocarray (*out, *n + 1, sizeof (**out));
            read_dnat (f, e, &(*out)[(*n)++]);
          }
    }
  return 0;
}

static int
iptc_list_dnat (struct cc_fw_dnat **out, size_t *n, cc_error_t *err)
{
  cleanup_close int lock = -1;

  *out = NULL;
  *n = 0;
  if (! cc_file_exists (IPT_NAMES) && ! cc_file_exists (IP6T_NAMES))
    return 0;
  if (xtables_lock (&lock, err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (families); i++)
    list_dnat_of (&families[i], out, n);
  return 0;
}

/* coexist: the legacy tables hold another firewall's rules (Docker's, or
   a FORWARD policy DROP) while ours are elsewhere, or we are in use here
   and Docker made its DOCKER-USER since our last commit.  Each family
   (issue 17): Docker with ip6tables on has an ip6tables DOCKER-USER and
   FORWARD policy DROP as well.  */

static bool
forward_drops (const struct xt_family *f, struct xtc_handle *h)
{
  struct xt_counters counters;
  const char *policy = f->get_policy ("FORWARD", &counters, h);

  return policy && strcmp (policy, "DROP") == 0;
}

/* The probe (probe.c) sends an IPv4 packet: only that family's drop is
   one it can check.  */
static void
note_drop (const struct xt_family *f, char **why)
{
  *why = xasprintf ("`filter FORWARD` (%s-legacy) drops forwarded packets by policy", f->label);
  if (! f->v6)
    cc_fw_foreign_drop (*why);
}

static bool
has_ours_in (const struct xt_family *f, struct xtc_handle *h, const char *chain, const char *prefix)
{
  for (const void *e = f->first_rule (chain, h); e; e = f->next_rule (e, h))
    if (is_ours (f, e, prefix))
      return true;
  return false;
}

/* Where one family's FOREIGN accepts go in its legacy filter table:
   DOCKER-USER when Docker made it, FORWARD when its policy drops, else
   nowhere (NULL); WHY says why when the policy drops.  */
struct foreign_place
{
  const char *chain;
  char *why;
};

static void places_release (struct foreign_place (*p)[2])
{
  for (size_t i = 0; i < 2; i++)
    free ((*p)[i].why);
}
#define cleanup_places __attribute__ ((cleanup (places_release)))

static int
read_place (const struct xt_family *f, struct foreign_place *p, cc_error_t *err)
{
  cleanup_xt_table struct xt_table t = { f, NULL };
  bool drops;

  if (! table_loaded (f, "filter"))
    return 0;
  t.h = f->init ("filter");
  if (t.h == NULL)
    return iptc_fail (f, err, "read", "filter");
  drops = forward_drops (f, t.h);
  if (drops)
    note_drop (f, &p->why);
  if (f->is_chain (CC_FW_DOCKER_USER, t.h))
    p->chain = CC_FW_DOCKER_USER;
  else if (drops)
    p->chain = "FORWARD";
  return 0;
}

static int
read_places (struct foreign_place p[2], cc_error_t *err)
{
  cleanup_close int lock = -1;

  if (xtables_lock (&lock, err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (families); i++)
    if (read_place (&families[i], &p[i], err) < 0)
      return -1;
  return 0;
}

/* RS's FOREIGN accepts moved to each family's place (none where it has
   none), and nothing else: what this state root should have in tables
   it does not use.  */
static void
foreign_view (const struct cc_fw_ruleset *rs, const struct foreign_place p[2], struct cc_fw_ruleset *out)
{
  memset (out, 0, sizeof (*out));
  out->tag = xstrdup (rs->tag);
  for (size_t f = 0; f < CC_N_ELEMENTS (families); f++)
    for (size_t i = 0; p[f].chain && i < rs->n_rules; i++)
      {
        const struct cc_fw_rule *r = &rs->rules[i];
        struct cc_fw_rule *c;

        if (strcmp (r->chain, CC_FW_FOREIGN) != 0 || ! cc_fw_rule_in (r, families[f].v6))
          continue;
        out->rules = xreallocarray (out->rules, out->n_rules + 1, sizeof (*out->rules));
        c = &out->rules[out->n_rules++];
        *c = (struct cc_fw_rule){ .table = r->table,
                                  .family = families[f].v6 ? CC_FW_IPV6 : CC_FW_IPV4,
                                  .chain = xstrdup (p[f].chain),
                                  .in = r->in ? xstrdup (r->in) : NULL,
                                  .out = r->out ? xstrdup (r->out) : NULL,
                                  .comment = xstrdup (r->comment),
                                  .target = xstrdup (r->target) };
      }
}

/* In use, one family: only DOCKER-USER can be missing its jump (Docker
   started after our last commit).  */
static int
in_use_family (const struct xt_family *f, const char *prefix, bool *missing, cc_error_t *err)
{
  cleanup_xt_table struct xt_table t = { f, NULL };
  cleanup_free char *why = NULL;

  if (! table_loaded (f, "filter"))
    return 0;
  t.h = f->init ("filter");
  if (t.h == NULL)
    return iptc_fail (f, err, "read", "filter");
  *missing = f->is_chain (CC_FW_DOCKER_USER, t.h) && ! has_ours_in (f, t.h, CC_FW_DOCKER_USER, prefix);
  /* Ours accept in FORWARD itself, but the probe still checks them.  */
  if (forward_drops (f, t.h))
    note_drop (f, &why);
  return 0;
}

/* The IPv6 side has our chains only when the rule set has rules there.  */
static int
coexist_in_use (const struct cc_fw_ruleset *rs, bool check, char ***notes, cc_error_t *err)
{
  cleanup_free char *prefix = cc_fw_comment_prefix (rs->tag);
  bool any = false;

  if (rs->n_chains == 0)
    return 0;
  for (size_t i = 0; i < CC_N_ELEMENTS (families); i++)
    {
      const struct xt_family *f = &families[i];
      cleanup_close int lock = -1;
      bool missing = false;

      if (f->v6 && ! cc_fw_has_ipv6 (rs, "filter"))
        continue;
      if (xtables_lock (&lock, err) < 0 || in_use_family (f, prefix, &missing, err) < 0)
        return -1;
      if (missing)
        cc_strv_push (notes, xasprintf ("Docker's `filter DOCKER-USER` (%s-legacy) runs first: ccompose's forward "
                                        "chain jumped to from there",
                                        f->label));
      any |= missing;
    }
  /* The full apply puts the jumps there.  */
  return any && ! check ? iptc_apply (rs, err) : 0;
}

static bool
view_has (const struct cc_fw_ruleset *view, bool v6)
{
  for (size_t i = 0; i < view->n_rules; i++)
    if (cc_fw_rule_in (&view->rules[i], v6))
      return true;
  return false;
}

static int
coexist_elsewhere (const struct cc_fw_ruleset *rs, bool check, char ***notes, cc_error_t *err)
{
  cleanup_fw_ruleset struct cc_fw_ruleset view = { 0 };
  cleanup_places struct foreign_place places[2] = { 0 };
  cleanup_strv char **have = NULL, **want = NULL;

  if (read_places (places, err) < 0)
    return -1;
  foreign_view (rs, places, &view);
  want = cc_fw_keys (&view, true, true);
  if (iptc_list_ours (rs->tag, &have, err) < 0)
    return -1;
  if (cc_fw_keys_equal (want, have))
    return 0;
  for (size_t f = 0; f < CC_N_ELEMENTS (families); f++)
    if (view_has (&view, families[f].v6))
      cc_strv_push (notes, xasprintf ("%s: ccompose's bridges accepted in `filter %s`%s%s%s",
                                      places[f].why ? places[f].why : "Docker's chains", places[f].chain,
                                      families[f].v6 ? " (" : "", families[f].v6 ? families[f].label : "",
                                      families[f].v6 ? "-legacy)" : ""));
  if (view.n_rules == 0)
    cc_strv_push (notes, xstrdup ("leftover iptables-legacy rules of the iptc backend (not in use)"));
  return check ? 0 : iptc_apply (&view, err);
}

static int
iptc_coexist (const struct cc_fw_ruleset *rs, bool same, bool check, char ***notes, cc_error_t *err)
{
  cleanup_free char *names = NULL, *names6 = NULL;

  /* No legacy table: neither ours nor anyone else's rules are there.  */
  if ((cc_read_file (IPT_NAMES, &names, NULL, NULL) < 0 || names[0] == '\0')
      && (cc_read_file (IP6T_NAMES, &names6, NULL, NULL) < 0 || names6[0] == '\0'))
    return 0;
  return same ? coexist_in_use (rs, check, notes, err) : coexist_elsewhere (rs, check, notes, err);
}

/* The probe's counters: what an IPv4 packet meets in the legacy tables
   that can drop it.  */
static const char *const drop_tables[] = { "raw", "mangle", "filter" };

static void
add_count (struct cc_fw_counts *c, char *what, uint64_t packets)
{
  c->v = xreallocarray (c->v, c->n + 1, sizeof (*c->v));
  c->v[c->n++] = (struct cc_fw_count){ what, packets };
}

static void
count_chain (struct xtc_handle *h, const char *table, const char *chain, struct cc_fw_counts *c)
{
  struct xt_counters policy_count;
  const char *policy;
  unsigned num = 1;

  for (const struct ipt_entry *e = iptc_first_rule (chain, h); e; e = iptc_next_rule (e, h), num++)
    {
      const char *target = iptc_get_target (e, h);

      if (strcmp (target, "DROP") == 0 || strcmp (target, "REJECT") == 0)
        add_count (c,
                   xasprintf ("the rule %u in the iptables-legacy chain `%s %s` (iptables-legacy -t %s -L %s "
                              "--line-numbers) drops it",
                              num, table, chain, table, chain),
                   e->counters.pcnt);
    }
  policy = iptc_builtin (chain, h) ? iptc_get_policy (chain, &policy_count, h) : NULL;
  if (policy && strcmp (policy, "DROP") == 0)
    add_count (c, xasprintf ("the iptables-legacy chain `%s %s` (policy drop) has no accept for it", table, chain),
               policy_count.pcnt);
}

void
cc_fw_legacy_drop_counts (struct cc_fw_counts *out)
{
  cleanup_close int lock = -1;

  memset (out, 0, sizeof (*out));
  if (xtables_lock (&lock, NULL) < 0)
    return;
  for (size_t t = 0; t < CC_N_ELEMENTS (drop_tables); t++)
    {
      cleanup_xt_table struct xt_table x = { &families[0], NULL };

      if (! table_loaded (x.f, drop_tables[t]) || (x.h = iptc_init (drop_tables[t])) == NULL)
        continue;
      for (const char *chain = iptc_first_chain (x.h); chain; chain = iptc_next_chain (x.h))
        count_chain (x.h, drop_tables[t], chain, out);
    }
}

void
cc_fw_counts_release (struct cc_fw_counts *c)
{
  for (size_t i = 0; i < c->n; i++)
    free (c->v[i].what);
  free (c->v);
  memset (c, 0, sizeof (*c));
}

const char *
cc_fw_counts_moved (const struct cc_fw_counts *before, const struct cc_fw_counts *after)
{
  for (size_t i = 0; i < after->n; i++)
    {
      uint64_t was = 0;

      for (size_t j = 0; j < before->n; j++)
        if (strcmp (before->v[j].what, after->v[i].what) == 0)
          was = before->v[j].packets;
      if (after->v[i].packets > was)
        return after->v[i].what;
    }
  return NULL;
}

void
cc_fw_dnat_free (struct cc_fw_dnat *d, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (d[i].comment);
  free (d);
}

const struct cc_firewall_ops cc_firewall_iptc_ops
    = { "iptc", "iptables", "ip6tables", iptc_apply, iptc_list_ours, iptc_list_dnat, iptc_coexist, true };
