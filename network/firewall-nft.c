/* The nftables backend (issue 17).

   Each state root has a table of its own, `table inet ccompose` (or
   `ccompose-1a2b3c` for a tagged root, see cc_paths_net_tag): the rule
   set's built-in chains become base chains at the hooks and priorities
   iptables' tables have (raw -300, dstnat -100, srcnat 100, filter 0),
   named "<table>-<CHAIN>"; our chains keep their names.  apply() rewrites
   the whole table in one transaction (add it, flush it, add chains and
   rules; with no network, add and delete it: the add makes the delete
   valid when it does not exist), so traffic never sees a half-written
   set, and nothing outside the table is touched.

   Other firewalls' tables are never rewritten: an accept in our base
   chain ends only our chain, so where another table's forward chain
   drops (Docker's FORWARD policy DROP through iptables-nft, firewalld,
   a hand-made ruleset), coexist() inserts the rule set's FOREIGN accepts
   at its top, or in DOCKER-USER where Docker made it, each carrying our
   comment, and takes them away with the last network.

   The kernel is spoken to over netlink (nftnl.h says why not through
   libnftables): a write is one batch, a read one view of the ruleset
   (nft-view.c).  The nft text below (cc_fw_render_nft) is what
   `ccompose netdev rules` shows and what the golden tests check;
   nft-encode.c writes the same rules as expressions.  */
/* glibc's first: linux/netfilter.h's linux/in.h then defers to it.  */
#include <netinet/in.h>

#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/firewall.h"
#include "network/nft.h"

static const struct cc_nft_base base_chains[] = {
  { "raw", "PREROUTING", "raw-PREROUTING", "type filter hook prerouting priority raw", "filter", NF_INET_PRE_ROUTING,
    -300 },
  { "nat", "PREROUTING", "nat-PREROUTING", "type nat hook prerouting priority dstnat", "nat", NF_INET_PRE_ROUTING,
    -100 },
  /* dstnat is only a keyword at prerouting; -100 is its value.  */
  { "nat", "OUTPUT", "nat-OUTPUT", "type nat hook output priority -100", "nat", NF_INET_LOCAL_OUT, -100 },
  { "nat", "POSTROUTING", "nat-POSTROUTING", "type nat hook postrouting priority srcnat", "nat", NF_INET_POST_ROUTING,
    100 },
  { "filter", "FORWARD", "filter-FORWARD", "type filter hook forward priority filter", "filter", NF_INET_FORWARD, 0 },
};

const struct cc_nft_base *
cc_nft_base_of (const char *table, const char *chain)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (base_chains); i++)
    if (strcmp (base_chains[i].table, table) == 0 && strcmp (base_chains[i].chain, chain) == 0)
      return &base_chains[i];
  return NULL;
}

const struct cc_nft_base *
cc_nft_base_named (const char *name)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (base_chains); i++)
    if (strcmp (base_chains[i].name, name) == 0)
      return &base_chains[i];
  return NULL;
}

char *
cc_fw_nft_table (const char *tag)
{
  return xasprintf ("ccompose%s%s", tag && *tag ? "-" : "", tag && *tag ? tag + 1 : "");
}

static bool
is_our_table (const char *name)
{
  return strncmp (name, "ccompose", 8) == 0;
}

/* The table the rule set puts our chain NAME in: by its base name.  */
static const char *
table_of_chain (const char *name)
{
  static const struct
  {
    const char *prefix, *table;
  } map[] = {
    { "CCOMPOSE-RAW", "raw" }, { "CCOMPOSE-DNAT", "nat" }, { "CCOMPOSE-POST", "nat" }, { "CCOMPOSE-FWD", "filter" }
  };

  for (size_t i = 0; i < CC_N_ELEMENTS (map); i++)
    if (strncmp (name, map[i].prefix, strlen (map[i].prefix)) == 0)
      return map[i].table;
  return "filter";
}

/* Rendering.  */

static void
render_iface (struct cc_buf *o, const char *key, const char *name, bool inv)
{
  size_t len;

  if (name == NULL)
    return;
  len = strlen (name);
  /* iptables' "cc+" is nftables' "cc*".  */
  if (len > 0 && name[len - 1] == '+')
    cc_buf_printf (o, " %s %s\"%.*s*\"", key, inv ? "!= " : "", (int)(len - 1), name);
  else
    cc_buf_printf (o, " %s %s\"%s\"", key, inv ? "!= " : "", name);
}

static void
render_addr (struct cc_buf *o, const struct cc_fw_rule *r, const char *key, const char *cidr, bool inv)
{
  if (cidr)
    cc_buf_printf (o, " %s %s %s%s", r->family == CC_FW_IPV6 ? "ip6" : "ip", key, inv ? "!= " : "", cidr);
}

static void
render_ct (struct cc_buf *o, unsigned st)
{
  static const struct
  {
    unsigned bit;
    const char *name;
  } states[] = { { CC_CT_INVALID, "invalid" }, { CC_CT_ESTABLISHED, "established" }, { CC_CT_RELATED, "related" } };
  const char *sep = " ct state ";

  for (size_t i = 0; i < CC_N_ELEMENTS (states); i++)
    if (st & states[i].bit)
      {
        cc_buf_printf (o, "%s%s", sep, states[i].name);
        sep = ",";
      }
  /* XT_CONNTRACK_STATE_DNAT is the conntrack entry's IPS_DST_NAT bit.  */
  if (st & CC_CT_DNAT)
    cc_buf_puts (o, " ct status dnat");
}

static void
render_verdict (struct cc_buf *o, const struct cc_fw_rule *r)
{
  static const struct
  {
    const char *target, *nft;
  } verdicts[] = { { "ACCEPT", "accept" }, { "DROP", "drop" }, { "MASQUERADE", "masquerade" } };

  for (size_t i = 0; i < CC_N_ELEMENTS (verdicts); i++)
    if (strcmp (r->target, verdicts[i].target) == 0)
      {
        cc_buf_printf (o, " %s", verdicts[i].nft);
        return;
      }
  if (strcmp (r->target, "DNAT") == 0)
    cc_buf_printf (o, " dnat %s to %s", r->family == CC_FW_IPV6 ? "ip6" : "ip", r->to ? r->to : "");
  else
    cc_buf_printf (o, " jump %s", r->target);
}

/* The match and verdict of R in nft syntax, then its comment.  */
static void
render_body (struct cc_buf *o, const struct cc_fw_rule *r)
{
  const char *proto = r->proto == IPPROTO_UDP ? "udp" : "tcp";

  /* A DNAT in an inet table needs the family context an address match
     would give; a rule with only a port has none.  */
  if (strcmp (r->target, "DNAT") == 0 && r->src == NULL && r->dst == NULL)
    cc_buf_puts (o, r->family == CC_FW_IPV6 ? " meta nfproto ipv6" : " meta nfproto ipv4");
  render_addr (o, r, "saddr", r->src, r->src_inv);
  render_addr (o, r, "daddr", r->dst, r->dst_inv);
  render_iface (o, "iifname", r->in, r->in_inv);
  render_iface (o, "oifname", r->out, r->out_inv);
  if (r->proto)
    {
      cc_buf_printf (o, " %s dport %u", proto, r->dport_lo);
      if (r->dport_hi != r->dport_lo)
        cc_buf_printf (o, "-%u", r->dport_hi);
    }
  if (r->dst_local)
    cc_buf_puts (o, " fib daddr type local");
  if (r->ctstate)
    render_ct (o, r->ctstate);
  /* A draw of its own for each rule, as xt_statistic's: 1/ONE_IN.  */
  if (r->one_in > 1)
    cc_buf_printf (o, " numgen random mod %u 0", r->one_in);
  render_verdict (o, r);
  cc_buf_printf (o, " comment \"%s\"", r->comment);
}

/* A comment is a quoted string in the script: names are checked where
   they come in (no quote, no space), this keeps a bad one out.  */
static bool
is_safe_comment (const char *c)
{
  return strpbrk (c, "\"\\\n") == NULL;
}

static void
render_rule (struct cc_buf *o, const char *table, const struct cc_fw_rule *r)
{
  const struct cc_nft_base *b = cc_nft_base_of (r->table, r->chain);

  if (cc_fw_is_foreign (r->chain) || ! is_safe_comment (r->comment))
    return;
  cc_buf_printf (o, "add rule inet %s %s", table, b ? b->name : r->chain);
  render_body (o, r);
  cc_buf_putc (o, '\n');
}

/* Base chains in the order of the rule set's tables, once each.  */
static void
render_chains (struct cc_buf *o, const char *table, const struct cc_fw_ruleset *rs)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (base_chains); i++)
    for (size_t j = 0; j < rs->n_rules; j++)
      if (strcmp (rs->rules[j].table, base_chains[i].table) == 0
          && strcmp (rs->rules[j].chain, base_chains[i].chain) == 0)
        {
          cc_buf_printf (o, "add chain inet %s %s { %s; policy accept; }\n", table, base_chains[i].name,
                         base_chains[i].spec);
          break;
        }
  for (size_t i = 0; i < rs->n_chains; i++)
    cc_buf_printf (o, "add chain inet %s %s\n", table, rs->chains[i].name);
}

char *
cc_fw_render_nft (const struct cc_fw_ruleset *rs)
{
  cleanup_buf struct cc_buf o = { 0 };
  cleanup_free char *table = cc_fw_nft_table (rs->tag);

  cc_buf_printf (&o, "add table inet %s\n", table);
  if (rs->n_chains == 0)
    cc_buf_printf (&o, "delete table inet %s\n", table);
  else
    {
      /* Flushed, not deleted: a base chain's removal unregisters its hook,
         which waits for an RCU grace period (+40 ms per up).  Adding an
         existing chain again with the same hook is a no-op.  */
      cc_buf_printf (&o, "flush table inet %s\n", table);
      render_chains (&o, table, rs);
      for (size_t i = 0; i < rs->n_rules; i++)
        render_rule (&o, table, &rs->rules[i]);
    }
  for (size_t i = 0; i < rs->n_rules; i++)
    if (strcmp (rs->rules[i].chain, CC_FW_FOREIGN) == 0)
      {
        cc_buf_puts (&o, "# at the top of any other forward chain that drops:");
        render_body (&o, &rs->rules[i]);
        cc_buf_putc (&o, '\n');
      }
  return cc_buf_steal (&o);
}

/* The kernel.  */

/* Whether nf_tables is there at all: as a module not loaded, nobody has
   nft rules, and asking would load it.  A kernel without modules
   (/proc/modules absent) has it built in or not at all; a built-in one
   with no parameters has no /sys/module entry.  */
static bool
nf_tables_present (void)
{
  return cc_file_exists ("/sys/module/nf_tables") || ! cc_file_exists ("/proc/modules");
}

static bool
has_prefix (const char *comment, const char *prefix)
{
  size_t len = strlen (prefix);

  return comment && strncmp (comment, prefix, len) == 0 && comment[len] == ' ';
}

/* A view of nothing (and no socket) when nf_tables is absent.  */
static int
read_view (struct cc_nft_sock **s, struct cc_nft_view *v, cc_error_t *err)
{
  memset (v, 0, sizeof (*v));
  if (! nf_tables_present ())
    return 0;
  if (cc_nft_acquire (s, err) < 0 || cc_nft_view_read (*s, v, err) < 0)
    return -1;
  return 0;
}

/* apply.  */

/* Base chains in the order of the rule set's tables, once each.  */
static void
encode_chains (struct cc_nft_batch *b, const char *table, const struct cc_fw_ruleset *rs)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (base_chains); i++)
    for (size_t j = 0; j < rs->n_rules; j++)
      if (strcmp (rs->rules[j].table, base_chains[i].table) == 0
          && strcmp (rs->rules[j].chain, base_chains[i].chain) == 0)
        {
          cc_nft_add_chain (b, NFPROTO_INET, table, base_chains[i].name, &base_chains[i]);
          break;
        }
  for (size_t i = 0; i < rs->n_chains; i++)
    cc_nft_add_chain (b, NFPROTO_INET, table, rs->chains[i].name, NULL);
}

/* What cc_fw_render_nft writes, as one transaction.  */
static int
encode_table (struct cc_nft_batch *b, const struct cc_fw_ruleset *rs, const char *table, cc_error_t *err)
{
  cc_nft_add_table (b, NFPROTO_INET, table);
  if (rs->n_chains == 0)
    {
      cc_nft_delete_table (b, NFPROTO_INET, table);
      return 0;
    }
  /* Flushed, not deleted: a base chain's removal unregisters its hook,
     which waits for an RCU grace period (+40 ms per up).  Adding an
     existing chain again with the same hook is a no-op.  */
  cc_nft_flush_table (b, NFPROTO_INET, table);
  encode_chains (b, table, rs);
  for (size_t i = 0; i < rs->n_rules; i++)
    {
      const struct cc_fw_rule *r = &rs->rules[i];
      const struct cc_nft_base *base = cc_nft_base_of (r->table, r->chain);

      if (! cc_fw_is_foreign (r->chain)
          && cc_nft_add_rule (b, NFPROTO_INET, table, base ? base->name : r->chain, r, false, err) < 0)
        return -1;
    }
  return 0;
}

static int
nft_apply (const struct cc_fw_ruleset *rs, cc_error_t *err)
{
  cleanup_free char *table = cc_fw_nft_table (rs->tag);
  cleanup_nft_sock struct cc_nft_sock *s = NULL;
  cleanup_nft_batch struct cc_nft_batch b = { 0 };

  /* Nothing to write and no nf_tables: nothing of ours can be there.  */
  if (rs->n_chains == 0 && ! nf_tables_present ())
    return 0;
  for (size_t i = 0; i < rs->n_rules; i++)
    if (! is_safe_comment (rs->rules[i].comment))
      return cc_error_make (err, EINVAL, "firewall comment `%s` cannot be quoted", rs->rules[i].comment);
  cc_nft_batch_begin (&b, 0);
  if (encode_table (&b, rs, table, err) < 0 || cc_nft_acquire (&s, err) < 0 || cc_nft_commit (s, &b, err) < 0)
    return cc_error_wrap (err, "apply table `inet %s`", table);
  cc_crash_point ("firewall commit");
  return 0;
}

/* list_ours.  */

static int
nft_list_ours (const char *tag, char ***out, cc_error_t *err)
{
  cleanup_nft_sock struct cc_nft_sock *s = NULL;
  cleanup_nft_view struct cc_nft_view v = { 0 };
  cleanup_free char *table = cc_fw_nft_table (tag), *prefix = cc_fw_comment_prefix (tag);

  *out = NULL;
  if (read_view (&s, &v, err) < 0)
    return -1;
  for (size_t i = 0; i < v.n_chains; i++)
    {
      const struct cc_nft_chain *c = &v.chains[i];

      if (c->family == NFPROTO_INET && strcmp (c->table, table) == 0 && ! cc_nft_base_named (c->name))
        cc_strv_push (out, xasprintf ("%s/%s", table_of_chain (c->name), c->name));
    }
  for (size_t i = 0; i < v.n_rules; i++)
    {
      const struct cc_nft_rule *r = &v.rules[i];
      const struct cc_nft_base *b = cc_nft_base_named (r->chain);

      if (r->family == NFPROTO_INET && strcmp (r->table, table) == 0)
        cc_strv_push (out, xasprintf ("%s/%s %s", b ? b->table : table_of_chain (r->chain), b ? b->chain : r->chain,
                                      r->comment ?: ""));
      else if (has_prefix (r->comment, prefix))
        cc_strv_push (out, xasprintf ("%s:%s/%s %s", cc_nft_family_name (r->family), r->table, r->chain, r->comment));
    }
  return 0;
}

/* list_dnat.  */

static bool
is_our_dnat (const struct cc_nft_rule *r)
{
  return r->family == NFPROTO_INET && is_our_table (r->table) && strncmp (r->chain, "CCOMPOSE-DNAT", 13) == 0 && r->dnat
         && r->proto != 0;
}

static int
nft_list_dnat (struct cc_fw_dnat **out, size_t *n, cc_error_t *err)
{
  cleanup_nft_sock struct cc_nft_sock *s = NULL;
  cleanup_nft_view struct cc_nft_view v = { 0 };

  *out = NULL;
  *n = 0;
  if (read_view (&s, &v, err) < 0)
    return -1;
  for (size_t i = 0; i < v.n_rules; i++)
    {
      const struct cc_nft_rule *r = &v.rules[i];

      if (! is_our_dnat (r))
        continue;
      *out = xreallocarray (*out, *n + 1, sizeof (**out));
      (*out)[*n] = (struct cc_fw_dnat){ .proto = r->proto,
                                        .host_ip = r->daddr,
                                        .port_lo = r->port_lo,
                                        .port_hi = r->port_hi,
                                        .comment = xstrdup (r->comment ?: ""),
                                        .v6 = r->dnat6 };
      memcpy ((*out)[(*n)++].host_ip6, r->daddr6, sizeof (r->daddr6));
    }
  return 0;
}

/* coexist.  */

/* A chain of another firewall where our FOREIGN accepts go.  */
struct target
{
  uint8_t family;
  char *table, *chain; /* where the accepts go */
  char *why;           /* "`ip filter FORWARD` drops by policy" */
};

struct scan
{
  const char *ours; /* our table's name */
  const char *prefix;
  const struct cc_nft_view *view;
  char **dropping; /* "family table chain" with a rule that drops everything */
  struct target *targets;
  size_t n_targets;
  const struct cc_nft_rule **placed; /* our rules there */
  size_t n_placed;
  char **placed_keys;  /* "family table chain comment|in|out" of the same */
  bool our_table_here; /* our own table exists */
};

static char *
chain_key (uint8_t family, const char *table, const char *chain)
{
  return xasprintf ("%s %s %s", cc_nft_family_name (family), table, chain);
}

static bool
chain_exists (const struct cc_nft_view *v, uint8_t family, const char *table, const char *name)
{
  for (size_t i = 0; i < v->n_chains; i++)
    if (v->chains[i].family == family && strcmp (v->chains[i].table, table) == 0
        && strcmp (v->chains[i].name, name) == 0)
      return true;
  return false;
}

/* A rule of nothing but a drop or a reject (and counters): firewalld
   ends its forward chain so, under policy accept.  */
static void
find_dropping (struct scan *s)
{
  for (size_t i = 0; i < s->view->n_rules; i++)
    {
      const struct cc_nft_rule *r = &s->view->rules[i];

      if (r->drops)
        cc_strv_push (&s->dropping, chain_key (r->family, r->table, r->chain));
    }
}

/* Forward base chains of the IP families (ip, ip6, inet: Docker's
   ip6tables-nft rules too, issue 17) that drop what nobody accepted, by
   policy or by a last rule.  An accept in one base chain
   does not spare a packet the others, so each needs ours; Docker's table
   gets them in DOCKER-USER, the chain Docker keeps for its users (it
   runs first from FORWARD).  */
static void
find_target (struct scan *s, const struct cc_nft_chain *c)
{
  cleanup_free char *key = chain_key (c->family, c->table, c->name);
  bool by_policy = c->policy == NF_DROP;
  struct target *t;

  if (is_our_table (c->table) || ! c->base || c->hook != NF_INET_FORWARD
      || (! by_policy && ! cc_strv_contains (s->dropping, key)))
    return;
  /* Bridged frames meet the bridge family's forward hook (its number is
     NF_INET_FORWARD's), whatever br_netfilter says: no accept of ours
     goes there, but the probe (probe.c) checks them.  */
  if (c->family == NFPROTO_BRIDGE)
    {
      cleanup_free char *why = xasprintf ("`bridge %s %s` (nftables) drops bridged frames %s", c->table, c->name,
                                          by_policy ? "by policy" : "it does not accept");
      cc_fw_foreign_drop (why);
    }
  if (c->family != NFPROTO_IPV4 && c->family != NFPROTO_IPV6 && c->family != NFPROTO_INET)
    return;
  s->targets = xreallocarray (s->targets, s->n_targets + 1, sizeof (*s->targets));
  t = &s->targets[s->n_targets++];
  t->family = c->family;
  t->table = xstrdup (c->table);
  t->chain = xstrdup (chain_exists (s->view, c->family, c->table, CC_FW_DOCKER_USER) ? CC_FW_DOCKER_USER : c->name);
  t->why = xasprintf ("`%s %s %s` (nftables) drops forwarded packets %s", cc_nft_family_name (c->family), c->table,
                      c->name, by_policy ? "by policy" : "it does not accept");
  /* The probe (probe.c) sends an IPv4 packet: an ip6 chain never sees it.  */
  if (c->family != NFPROTO_IPV6)
    cc_fw_foreign_drop (t->why);
}

static void
find_placed (struct scan *s, const struct cc_nft_rule *r)
{
  if (is_our_table (r->table) || ! has_prefix (r->comment, s->prefix))
    return;
  s->placed = xreallocarray (s->placed, s->n_placed + 1, sizeof (*s->placed));
  s->placed[s->n_placed++] = r;
  cc_strv_push (&s->placed_keys, xasprintf ("%s %s %s %s|%s", cc_nft_family_name (r->family), r->table, r->chain,
                                            r->comment, r->first ?: "? ?"));
}

static void
scan_view (struct scan *s)
{
  const struct cc_nft_view *v = s->view;

  find_dropping (s);
  for (size_t i = 0; i < v->n_chains; i++)
    find_target (s, &v->chains[i]);
  for (size_t i = 0; i < v->n_rules; i++)
    find_placed (s, &v->rules[i]);
  for (size_t i = 0; i < v->n_tables; i++)
    if (v->tables[i].family == NFPROTO_INET && strcmp (v->tables[i].name, s->ours) == 0)
      s->our_table_here = true;
}

static void
scan_release (struct scan *s)
{
  for (size_t i = 0; i < s->n_targets; i++)
    {
      free (s->targets[i].table);
      free (s->targets[i].chain);
      free (s->targets[i].why);
    }
  free (s->targets);
  free (s->placed);
  cc_strv_free (s->placed_keys);
  cc_strv_free (s->dropping);
  memset (s, 0, sizeof (*s));
}
#define cleanup_scan __attribute__ ((cleanup (scan_release)))

/* firewalld's own table (its nftables backend): a bridge firewalld binds
   to a zone needs no accept there, and one there would be gone with
   firewalld's next reload.  */
static bool
is_foreign_for (const struct target *t, const struct cc_fw_rule *r)
{
  if (strcmp (r->chain, CC_FW_FOREIGN) != 0 || ! is_safe_comment (r->comment))
    return false;
  /* An ip or ip6 chain sees one family: only networks with it.  */
  if ((t->family == NFPROTO_IPV4 && ! cc_fw_rule_in (r, false))
      || (t->family == NFPROTO_IPV6 && ! cc_fw_rule_in (r, true)))
    return false;
  return ! (r->zoned && t->family == NFPROTO_INET && strcmp (t->table, "firewalld") == 0);
}

static char *
wanted_key (const struct target *t, const struct cc_fw_rule *r)
{
  return xasprintf ("%s %s %s %s|%s %s", cc_nft_family_name (t->family), t->table, t->chain, r->comment,
                    r->in ? "iifname" : "oifname", r->in ? r->in : r->out);
}

/* The keys FOREIGN rules of RS would have at every target.  */
static char **
wanted_keys (const struct scan *s, const struct cc_fw_ruleset *rs)
{
  char **v = xzalloc (sizeof (char *));

  for (size_t t = 0; t < s->n_targets; t++)
    for (size_t i = 0; i < rs->n_rules; i++)
      if (is_foreign_for (&s->targets[t], &rs->rules[i]))
        cc_strv_push (&v, wanted_key (&s->targets[t], &rs->rules[i]));
  return v;
}

/* One transaction: ours out of other tables, then in again, last first
   so that inserting at the top keeps the rule set's order.  */
static int
encode_coexist (struct cc_nft_batch *b, const struct scan *s, const struct cc_fw_ruleset *rs, bool same,
                cc_error_t *err)
{
  if (! same && s->our_table_here)
    cc_nft_delete_table (b, NFPROTO_INET, s->ours);
  for (size_t i = 0; i < s->n_placed; i++)
    cc_nft_delete_rule (b, s->placed[i]->family, s->placed[i]->table, s->placed[i]->chain, s->placed[i]->handle);
  for (size_t t = 0; t < s->n_targets; t++)
    for (size_t i = rs->n_rules; i-- > 0;)
      if (is_foreign_for (&s->targets[t], &rs->rules[i])
          && cc_nft_add_rule (b, s->targets[t].family, s->targets[t].table, s->targets[t].chain, &rs->rules[i], true,
                              err)
                 < 0)
        return -1;
  return 0;
}

static bool
target_used (const struct target *t, const struct cc_fw_ruleset *rs)
{
  for (size_t i = 0; i < rs->n_rules; i++)
    if (is_foreign_for (t, &rs->rules[i]))
      return true;
  return false;
}

static void
note_targets (const struct scan *s, const struct cc_fw_ruleset *rs, char ***notes)
{
  for (size_t t = 0; t < s->n_targets; t++)
    if (target_used (&s->targets[t], rs))
      cc_strv_push (notes,
                    xasprintf ("%s: ccompose's bridges accepted in `%s %s %s`", s->targets[t].why,
                               cc_nft_family_name (s->targets[t].family), s->targets[t].table, s->targets[t].chain));
}

/* 0 when nothing is to change or it changed, -1 with ERESTART when
   another tool changed the ruleset since V was read.  */
static int
coexist_once (const struct cc_fw_ruleset *rs, struct cc_nft_sock *sock, const struct cc_nft_view *v, bool same,
              bool check, char ***notes, cc_error_t *err)
{
  cleanup_free char *ours = cc_fw_nft_table (rs->tag), *prefix = cc_fw_comment_prefix (rs->tag);
  cleanup_scan struct scan s = { .ours = ours, .prefix = prefix, .view = v };
  cleanup_strv char **want = NULL;
  cleanup_nft_batch struct cc_nft_batch b = { 0 };

  scan_view (&s);
  want = wanted_keys (&s, rs);
  if (cc_fw_keys_equal (want, s.placed_keys) && (same || ! s.our_table_here))
    return 0;
  if (! check)
    {
      /* The genid makes the kernel refuse the batch if the handles read
         are stale.  */
      cc_nft_batch_begin (&b, v->genid);
      if (encode_coexist (&b, &s, rs, same, err) < 0 || cc_nft_commit (sock, &b, err) < 0)
        return -1;
    }
  if (! same && s.our_table_here)
    cc_strv_push (notes, xasprintf ("leftover table `inet %s` of the nftables backend (not in use)", ours));
  if (! cc_fw_keys_equal (want, s.placed_keys) && cc_strv_len (want) > 0)
    note_targets (&s, rs, notes);
  return 0;
}

static int
nft_coexist (const struct cc_fw_ruleset *rs, bool same, bool check, char ***notes, cc_error_t *err)
{
  for (int tries = 0;; tries++)
    {
      cleanup_nft_sock struct cc_nft_sock *s = NULL;
      cleanup_nft_view struct cc_nft_view v = { 0 };

      if (read_view (&s, &v, err) < 0)
        return -1;
      if (s == NULL)
        return 0;
      if (coexist_once (rs, s, &v, same, check, notes, err) == 0)
        return 0;
      if ((*err)->status != ERESTART || tries == 2)
        return cc_error_wrap (err, "make room in other nftables tables");
      cc_error_release (err);
    }
}

const struct cc_firewall_ops cc_firewall_nft_ops
    = { "nftables", "nftables", NULL, nft_apply, nft_list_ours, nft_list_dnat, nft_coexist, true };
