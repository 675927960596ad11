/* What the kernel's nf_tables hold, read back for the backend (nft.h):
   three dumps, bracketed by the ruleset's generation so that the view
   is one state of it, and of each rule only what the backend asks: its
   comment, whether it only drops, its first interface match, and what
   a DNAT of ours matches.  */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/xalloc.h"
#include "network/nft.h"

/* A changed ruleset while we read is read again, this many times.  */
#define READ_TRIES 5

const char *
cc_nft_family_name (uint8_t family)
{
  static const struct
  {
    uint8_t family;
    const char *name;
  } names[] = { { NFPROTO_INET, "inet" }, { NFPROTO_IPV4, "ip" },       { NFPROTO_IPV6, "ip6" },
                { NFPROTO_ARP, "arp" },   { NFPROTO_BRIDGE, "bridge" }, { NFPROTO_NETDEV, "netdev" } };

  for (size_t i = 0; i < CC_N_ELEMENTS (names); i++)
    if (names[i].family == family)
      return names[i].name;
  return "unknown";
}

static char *
dup_str (const struct nlattr *a)
{
  const char *s = cc_nft_str (a);

  return xstrdup (s ? s : "");
}

static void
add_table (struct nlattr **tb, uint8_t family, void *data)
{
  struct cc_nft_view *v = data;

  v->tables = xreallocarray (v->tables, v->n_tables + 1, sizeof (*v->tables));
  v->tables[v->n_tables++] = (struct cc_nft_table){ family, dup_str (tb[NFTA_TABLE_NAME]) };
}

static void
add_chain (struct nlattr **tb, uint8_t family, void *data)
{
  struct cc_nft_view *v = data;
  struct nlattr *hook[NFTA_HOOK_MAX + 1] = { 0 };
  struct cc_nft_chain *c;

  v->chains = xreallocarray (v->chains, v->n_chains + 1, sizeof (*v->chains));
  c = &v->chains[v->n_chains++];
  *c = (struct cc_nft_chain){
    family, dup_str (tb[NFTA_CHAIN_TABLE]), dup_str (tb[NFTA_CHAIN_NAME]), false, 0, NF_ACCEPT, 0
  };
  if (tb[NFTA_CHAIN_HOOK] && nla_parse_nested (hook, NFTA_HOOK_MAX, tb[NFTA_CHAIN_HOOK], NULL) == 0
      && hook[NFTA_HOOK_HOOKNUM])
    {
      c->base = true;
      c->hook = cc_nft_u32 (hook[NFTA_HOOK_HOOKNUM], 0);
      c->policy = cc_nft_u32 (tb[NFTA_CHAIN_POLICY], NF_ACCEPT);
      c->priority = (int32_t)cc_nft_u32 (hook[NFTA_HOOK_PRIORITY], 0);
    }
}

/* Rules.  */

/* The last load into a register, which the next cmp compares.  */
struct decoder
{
  struct cc_nft_rule *r;
  const char *load; /* "meta", "payload" or NULL */
  uint32_t key, base, offset, len;
  int matches;
  bool drop, other;
};

static void
decode_load (struct decoder *d, const char *name, struct nlattr *data)
{
  struct nlattr *tb[NFTA_PAYLOAD_MAX + NFTA_META_MAX + 1] = { 0 };

  d->load = NULL;
  if (strcmp (name, "meta") == 0 && nla_parse_nested (tb, NFTA_META_MAX, data, NULL) == 0 && tb[NFTA_META_DREG])
    {
      d->load = "meta";
      d->key = cc_nft_u32 (tb[NFTA_META_KEY], 0);
    }
  else if (strcmp (name, "payload") == 0 && nla_parse_nested (tb, NFTA_PAYLOAD_MAX, data, NULL) == 0
           && tb[NFTA_PAYLOAD_DREG])
    {
      d->load = "payload";
      d->base = cc_nft_u32 (tb[NFTA_PAYLOAD_BASE], 0);
      d->offset = cc_nft_u32 (tb[NFTA_PAYLOAD_OFFSET], 0);
      d->len = cc_nft_u32 (tb[NFTA_PAYLOAD_LEN], 0);
    }
}

static bool
is_payload (const struct decoder *d, uint32_t base, uint32_t offset, uint32_t len)
{
  return d->load && strcmp (d->load, "payload") == 0 && d->base == base && d->offset == offset && d->len == len;
}

static bool
is_meta (const struct decoder *d, uint32_t key)
{
  return d->load && strcmp (d->load, "meta") == 0 && d->key == key;
}

/* "iifname NAME" for a first match on an interface name; a prefix
   match (no NUL in its bytes) reads "NAME*".  */
static char *
iface_match (uint32_t key, const char *v, size_t len)
{
  size_t n = strnlen (v, len);

  return xasprintf ("%s %.*s%s", key == NFT_META_IIFNAME ? "iifname" : "oifname", (int)n, v, n == len ? "*" : "");
}

static void
decode_cmp (struct decoder *d, struct nlattr *data)
{
  struct nlattr *tb[NFTA_CMP_MAX + 1] = { 0 }, *val[NFTA_DATA_MAX + 1] = { 0 };
  struct cc_nft_rule *r = d->r;
  uint32_t op;
  const unsigned char *v;
  size_t len;
  uint16_t port;

  if (nla_parse_nested (tb, NFTA_CMP_MAX, data, NULL) < 0 || tb[NFTA_CMP_DATA] == NULL
      || nla_parse_nested (val, NFTA_DATA_MAX, tb[NFTA_CMP_DATA], NULL) < 0 || val[NFTA_DATA_VALUE] == NULL)
    return;
  op = cc_nft_u32 (tb[NFTA_CMP_OP], NFT_CMP_EQ);
  v = nla_data (val[NFTA_DATA_VALUE]);
  len = (size_t)nla_len (val[NFTA_DATA_VALUE]);
  if (d->matches++ == 0 && op == NFT_CMP_EQ && (is_meta (d, NFT_META_IIFNAME) || is_meta (d, NFT_META_OIFNAME)))
    r->first = iface_match (d->key, (const char *)v, len);
  if (is_meta (d, NFT_META_L4PROTO) && op == NFT_CMP_EQ && len >= 1)
    r->proto = v[0];
  if (is_payload (d, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2) && len == 2)
    {
      memcpy (&port, v, 2);
      if (op == NFT_CMP_EQ || op == NFT_CMP_GTE)
        r->port_lo = ntohs (port);
      if (op == NFT_CMP_EQ || op == NFT_CMP_LTE)
        r->port_hi = ntohs (port);
    }
  if (is_payload (d, NFT_PAYLOAD_NETWORK_HEADER, 24, 16) && op == NFT_CMP_EQ && len == 16)
    memcpy (r->daddr6, v, 16);
  if (is_payload (d, NFT_PAYLOAD_NETWORK_HEADER, 16, 4) && op == NFT_CMP_EQ && len == 4)
    {
      uint32_t a;

      memcpy (&a, v, 4);
      r->daddr = ntohl (a);
    }
}

static int
verdict_code (struct nlattr *data)
{
  struct nlattr *tb[NFTA_IMMEDIATE_MAX + 1] = { 0 }, *dat[NFTA_DATA_MAX + 1] = { 0 };
  struct nlattr *ver[NFTA_VERDICT_MAX + 1] = { 0 };

  if (nla_parse_nested (tb, NFTA_IMMEDIATE_MAX, data, NULL) < 0 || cc_nft_u32 (tb[NFTA_IMMEDIATE_DREG], 1) != 0
      || tb[NFTA_IMMEDIATE_DATA] == NULL || nla_parse_nested (dat, NFTA_DATA_MAX, tb[NFTA_IMMEDIATE_DATA], NULL) < 0
      || dat[NFTA_DATA_VERDICT] == NULL || nla_parse_nested (ver, NFTA_VERDICT_MAX, dat[NFTA_DATA_VERDICT], NULL) < 0)
    return NF_MAX_VERDICT + 1;
  return (int)cc_nft_u32 (ver[NFTA_VERDICT_CODE], NF_MAX_VERDICT + 1);
}

static void
decode_nat (struct cc_nft_rule *r, struct nlattr *data)
{
  struct nlattr *tb[NFTA_NAT_MAX + 1] = { 0 };

  if (nla_parse_nested (tb, NFTA_NAT_MAX, data, NULL) < 0 || cc_nft_u32 (tb[NFTA_NAT_TYPE], 0) != NFT_NAT_DNAT)
    return;
  r->dnat = true;
  r->dnat6 = cc_nft_u32 (tb[NFTA_NAT_FAMILY], NFPROTO_IPV4) == NFPROTO_IPV6;
}

static void
decode_expr (struct decoder *d, struct nlattr *e)
{
  struct nlattr *tb[NFTA_EXPR_MAX + 1] = { 0 };
  const char *name;

  if (nla_parse_nested (tb, NFTA_EXPR_MAX, e, NULL) < 0 || (name = cc_nft_str (tb[NFTA_EXPR_NAME])) == NULL)
    {
      d->other = true;
      return;
    }
  if (strcmp (name, "counter") == 0)
    return;
  if (strcmp (name, "reject") == 0)
    {
      d->drop = true;
      return;
    }
  if (strcmp (name, "immediate") == 0 && tb[NFTA_EXPR_DATA] && verdict_code (tb[NFTA_EXPR_DATA]) == NF_DROP)
    {
      d->drop = true;
      return;
    }
  d->other = true;
  if (tb[NFTA_EXPR_DATA] == NULL)
    return;
  if (strcmp (name, "cmp") == 0)
    decode_cmp (d, tb[NFTA_EXPR_DATA]);
  else if (strcmp (name, "nat") == 0)
    decode_nat (d->r, tb[NFTA_EXPR_DATA]);
  else
    decode_load (d, name, tb[NFTA_EXPR_DATA]);
}

/* libnftnl's comment: a type-length-value of type 0 in the userdata.  */
static char *
comment_of (const struct nlattr *ud)
{
  const unsigned char *p = ud ? nla_data (ud) : NULL;
  size_t len = ud ? (size_t)nla_len (ud) : 0;

  for (size_t off = 0; off + 2 <= len && off + 2 + p[off + 1] <= len; off += 2 + (size_t)p[off + 1])
    if (p[off] == 0 && p[off + 1] > 0)
      return xstrndup ((const char *)p + off + 2, p[off + 1]);
  return NULL;
}

static void
add_rule (struct nlattr **tb, uint8_t family, void *data)
{
  struct cc_nft_view *v = data;
  struct cc_nft_rule *r;
  struct decoder d = { 0 };
  struct nlattr *e;
  int rem;

  v->rules = xreallocarray (v->rules, v->n_rules + 1, sizeof (*v->rules));
  r = &v->rules[v->n_rules++];
  *r = (struct cc_nft_rule){ .family = family,
                             .table = dup_str (tb[NFTA_RULE_TABLE]),
                             .chain = dup_str (tb[NFTA_RULE_CHAIN]),
                             .handle = cc_nft_u64 (tb[NFTA_RULE_HANDLE], 0),
                             .comment = comment_of (tb[NFTA_RULE_USERDATA]) };
  d.r = r;
  if (tb[NFTA_RULE_EXPRESSIONS])
    nla_for_each_nested (e, tb[NFTA_RULE_EXPRESSIONS], rem) decode_expr (&d, e);
  r->drops = d.drop && ! d.other;
}

void
cc_nft_view_release (struct cc_nft_view *v)
{
  for (size_t i = 0; i < v->n_tables; i++)
    free (v->tables[i].name);
  for (size_t i = 0; i < v->n_chains; i++)
    {
      free (v->chains[i].table);
      free (v->chains[i].name);
    }
  for (size_t i = 0; i < v->n_rules; i++)
    {
      free (v->rules[i].table);
      free (v->rules[i].chain);
      free (v->rules[i].comment);
      free (v->rules[i].first);
    }
  free (v->tables);
  free (v->chains);
  free (v->rules);
  memset (v, 0, sizeof (*v));
}

static int
read_once (struct cc_nft_sock *s, struct cc_nft_view *v, cc_error_t *err)
{
  uint32_t after;

  if (cc_nft_genid (s, &v->genid, err) < 0 || cc_nft_dump (s, NFT_MSG_GETTABLE, NFTA_TABLE_MAX, add_table, v, err) < 0
      || cc_nft_dump (s, NFT_MSG_GETCHAIN, NFTA_CHAIN_MAX, add_chain, v, err) < 0
      || cc_nft_dump (s, NFT_MSG_GETRULE, NFTA_RULE_MAX, add_rule, v, err) < 0 || cc_nft_genid (s, &after, err) < 0)
    return -1;
  if (after != v->genid)
    return cc_error_make (err, ERESTART, "nftables: the ruleset changed while it was read");
  return 0;
}

int
cc_nft_view_read (struct cc_nft_sock *s, struct cc_nft_view *v, cc_error_t *err)
{
  for (int i = 0;; i++)
    {
      memset (v, 0, sizeof (*v));
      if (read_once (s, v, err) == 0)
        return 0;
      cc_nft_view_release (v);
      if ((*err)->status != ERESTART || i + 1 == READ_TRIES)
        return -1;
      cc_error_release (err);
    }
}
