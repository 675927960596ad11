/* Our tables, chains and rules as nf_tables messages (nft.h).

   Each statement of render_body (firewall-nft.c) becomes the
   expressions nft itself makes of it: a load into register 1 and a cmp
   for a match, with nft's shortcuts (an address prefix of whole bytes
   loads only those bytes; `ip` in an inet table first checks `meta
   nfproto ipv4`; `tcp dport` first checks `meta l4proto`), so `nft list`
   prints what `ccompose netdev rules` shows, and the golden tests of
   that text stand for the kernel's rules (test-network-nft.sh compares
   the two).  */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "network/nft.h"

/* Tables and chains.  */

void
cc_nft_add_table (struct cc_nft_batch *b, uint8_t family, const char *table)
{
  cc_nft_msg (b, NFT_MSG_NEWTABLE, family, NLM_F_CREATE);
  cc_nft_put_str (b, NFTA_TABLE_NAME, table);
  cc_nft_put_u32 (b, NFTA_TABLE_FLAGS, 0);
}

void
cc_nft_delete_table (struct cc_nft_batch *b, uint8_t family, const char *table)
{
  cc_nft_msg (b, NFT_MSG_DELTABLE, family, 0);
  cc_nft_put_str (b, NFTA_TABLE_NAME, table);
}

void
cc_nft_flush_table (struct cc_nft_batch *b, uint8_t family, const char *table)
{
  cc_nft_msg (b, NFT_MSG_DELRULE, family, 0);
  cc_nft_put_str (b, NFTA_RULE_TABLE, table);
}

void
cc_nft_add_chain (struct cc_nft_batch *b, uint8_t family, const char *table, const char *name,
                  const struct cc_nft_base *base)
{
  cc_nft_msg (b, NFT_MSG_NEWCHAIN, family, NLM_F_CREATE);
  cc_nft_put_str (b, NFTA_CHAIN_TABLE, table);
  cc_nft_put_str (b, NFTA_CHAIN_NAME, name);
  if (base == NULL)
    return;
  cc_nft_nest (b, NFTA_CHAIN_HOOK);
  cc_nft_put_u32 (b, NFTA_HOOK_HOOKNUM, base->hook);
  cc_nft_put_u32 (b, NFTA_HOOK_PRIORITY, (uint32_t)base->priority);
  cc_nft_nest_end (b);
  cc_nft_put_u32 (b, NFTA_CHAIN_POLICY, NF_ACCEPT);
  cc_nft_put_str (b, NFTA_CHAIN_TYPE, base->type);
}

void
cc_nft_delete_rule (struct cc_nft_batch *b, uint8_t family, const char *table, const char *chain, uint64_t handle)
{
  cc_nft_msg (b, NFT_MSG_DELRULE, family, 0);
  cc_nft_put_str (b, NFTA_RULE_TABLE, table);
  cc_nft_put_str (b, NFTA_RULE_CHAIN, chain);
  cc_nft_put_u64 (b, NFTA_RULE_HANDLE, handle);
}

/* Expressions.  */

static void
expr_begin (struct cc_nft_batch *b, const char *name)
{
  cc_nft_nest (b, NFTA_LIST_ELEM);
  cc_nft_put_str (b, NFTA_EXPR_NAME, name);
  cc_nft_nest (b, NFTA_EXPR_DATA);
}

static void
expr_end (struct cc_nft_batch *b)
{
  cc_nft_nest_end (b);
  cc_nft_nest_end (b);
}

static void
put_value (struct cc_nft_batch *b, uint16_t type, const void *data, size_t len)
{
  cc_nft_nest (b, type);
  cc_nft_put (b, NFTA_DATA_VALUE, data, len);
  cc_nft_nest_end (b);
}

static void
meta_load (struct cc_nft_batch *b, uint32_t key)
{
  expr_begin (b, "meta");
  cc_nft_put_u32 (b, NFTA_META_DREG, NFT_REG_1);
  cc_nft_put_u32 (b, NFTA_META_KEY, key);
  expr_end (b);
}

static void
payload_load (struct cc_nft_batch *b, uint32_t base, uint32_t offset, uint32_t len)
{
  expr_begin (b, "payload");
  cc_nft_put_u32 (b, NFTA_PAYLOAD_DREG, NFT_REG_1);
  cc_nft_put_u32 (b, NFTA_PAYLOAD_BASE, base);
  cc_nft_put_u32 (b, NFTA_PAYLOAD_OFFSET, offset);
  cc_nft_put_u32 (b, NFTA_PAYLOAD_LEN, len);
  expr_end (b);
}

static void
ct_load (struct cc_nft_batch *b, uint32_t key)
{
  expr_begin (b, "ct");
  cc_nft_put_u32 (b, NFTA_CT_DREG, NFT_REG_1);
  cc_nft_put_u32 (b, NFTA_CT_KEY, key);
  expr_end (b);
}

static void
cmp (struct cc_nft_batch *b, uint32_t op, const void *data, size_t len)
{
  expr_begin (b, "cmp");
  cc_nft_put_u32 (b, NFTA_CMP_SREG, NFT_REG_1);
  cc_nft_put_u32 (b, NFTA_CMP_OP, op);
  put_value (b, NFTA_CMP_DATA, data, len);
  expr_end (b);
}

static void
bitwise_and (struct cc_nft_batch *b, const void *mask, size_t len)
{
  static const char zeros[16];

  expr_begin (b, "bitwise");
  cc_nft_put_u32 (b, NFTA_BITWISE_SREG, NFT_REG_1);
  cc_nft_put_u32 (b, NFTA_BITWISE_DREG, NFT_REG_1);
  cc_nft_put_u32 (b, NFTA_BITWISE_LEN, (uint32_t)len);
  put_value (b, NFTA_BITWISE_MASK, mask, len);
  put_value (b, NFTA_BITWISE_XOR, zeros, len);
  expr_end (b);
}

static void
immediate_value (struct cc_nft_batch *b, uint32_t reg, const void *data, size_t len)
{
  expr_begin (b, "immediate");
  cc_nft_put_u32 (b, NFTA_IMMEDIATE_DREG, reg);
  put_value (b, NFTA_IMMEDIATE_DATA, data, len);
  expr_end (b);
}

static void
immediate_verdict (struct cc_nft_batch *b, int code, const char *chain)
{
  expr_begin (b, "immediate");
  cc_nft_put_u32 (b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
  cc_nft_nest (b, NFTA_IMMEDIATE_DATA);
  cc_nft_nest (b, NFTA_DATA_VERDICT);
  cc_nft_put_u32 (b, NFTA_VERDICT_CODE, (uint32_t)code);
  if (chain)
    cc_nft_put_str (b, NFTA_VERDICT_CHAIN, chain);
  cc_nft_nest_end (b);
  cc_nft_nest_end (b);
  expr_end (b);
}

/* Statements.  */

struct stmt
{
  bool family_known; /* `meta nfproto ipv4|ipv6` already checked */
};

static void
match_u8 (struct cc_nft_batch *b, uint32_t meta_key, uint8_t v)
{
  meta_load (b, meta_key);
  cmp (b, NFT_CMP_EQ, &v, 1);
}

/* The IPv4 or IPv6 header a rule's addresses are in (issue 17).  */
struct l3
{
  int af;
  uint8_t nfproto;
  size_t len;            /* of an address */
  uint32_t saddr, daddr; /* offsets in the header */
};

static const struct l3 l3_ipv4 = { AF_INET, NFPROTO_IPV4, 4, 12, 16 };
static const struct l3 l3_ipv6 = { AF_INET6, NFPROTO_IPV6, 16, 8, 24 };

static const struct l3 *
l3_of (const struct cc_fw_rule *r)
{
  return r->family == CC_FW_IPV6 ? &l3_ipv6 : &l3_ipv4;
}

static void
need_family (struct cc_nft_batch *b, uint8_t family, const struct l3 *l3, struct stmt *st)
{
  if (family == NFPROTO_INET && ! st->family_known)
    match_u8 (b, NFT_META_NFPROTO, l3->nfproto);
  st->family_known = true;
}

static int
parse_cidr (const char *cidr, const struct l3 *l3, unsigned char *addr, unsigned *prefix, cc_error_t *err)
{
  char ip[INET6_ADDRSTRLEN];
  const char *slash = strchr (cidr, '/');
  size_t len = slash ? (size_t)(slash - cidr) : strlen (cidr);
  char *end;

  *prefix = (unsigned)l3->len * 8;
  if (slash)
    {
      errno = 0;
      *prefix = (unsigned)strtoul (slash + 1, &end, 10);
      if (errno || *end || end == slash + 1 || *prefix > l3->len * 8)
        return cc_error_make (err, EINVAL, "firewall address `%s` is not a CIDR", cidr);
    }
  if (len >= sizeof (ip))
    return cc_error_make (err, EINVAL, "firewall address `%s` is not a CIDR", cidr);
  memcpy (ip, cidr, len);
  ip[len] = '\0';
  if (inet_pton (l3->af, ip, addr) != 1)
    return cc_error_make (err, EINVAL, "firewall address `%s` is not a CIDR", cidr);
  return 0;
}

/* `ip|ip6 saddr|daddr [!=] CIDR` at OFFSET of the network header.  */
static int
match_addr (struct cc_nft_batch *b, uint8_t family, const struct l3 *l3, struct stmt *st, uint32_t offset,
            const char *cidr, bool inv, cc_error_t *err)
{
  unsigned char addr[16], mask[16] = { 0 };
  unsigned prefix;
  uint32_t op = inv ? NFT_CMP_NEQ : NFT_CMP_EQ;

  if (cidr == NULL)
    return 0;
  if (parse_cidr (cidr, l3, addr, &prefix, err) < 0)
    return -1;
  need_family (b, family, l3, st);
  if (prefix % 8 == 0 && prefix > 0)
    {
      payload_load (b, NFT_PAYLOAD_NETWORK_HEADER, offset, prefix / 8);
      cmp (b, op, addr, prefix / 8);
      return 0;
    }
  for (unsigned i = 0; i < l3->len; i++)
    {
      unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;

      mask[i] = (unsigned char)(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
      addr[i] &= mask[i];
    }
  payload_load (b, NFT_PAYLOAD_NETWORK_HEADER, offset, (uint32_t)l3->len);
  bitwise_and (b, mask, l3->len);
  cmp (b, op, addr, l3->len);
  return 0;
}

/* `iifname|oifname [!=] "NAME"`; iptables' "cc+" is a prefix.  */
static void
match_iface (struct cc_nft_batch *b, uint32_t key, const char *name, bool inv)
{
  char buf[IFNAMSIZ] = { 0 };
  size_t len;
  bool prefix;

  if (name == NULL)
    return;
  len = strlen (name);
  prefix = len > 0 && name[len - 1] == '+';
  if (prefix)
    len--;
  if (len > IFNAMSIZ - 1)
    len = IFNAMSIZ - 1;
  memcpy (buf, name, len);
  meta_load (b, key);
  /* A name compares all IFNAMSIZ bytes, its NULs included.  */
  cmp (b, inv ? NFT_CMP_NEQ : NFT_CMP_EQ, buf, prefix ? len : sizeof (buf));
}

static void
match_dport (struct cc_nft_batch *b, const struct cc_fw_rule *r)
{
  uint16_t lo = htons (r->dport_lo), hi = htons (r->dport_hi);

  if (r->proto == 0)
    return;
  match_u8 (b, NFT_META_L4PROTO, (uint8_t)r->proto);
  payload_load (b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  if (r->dport_hi == r->dport_lo)
    cmp (b, NFT_CMP_EQ, &lo, 2);
  else
    {
      cmp (b, NFT_CMP_GTE, &lo, 2);
      cmp (b, NFT_CMP_LTE, &hi, 2);
    }
}

static void
match_local (struct cc_nft_batch *b)
{
  uint32_t local = RTN_LOCAL;

  expr_begin (b, "fib");
  cc_nft_put_u32 (b, NFTA_FIB_DREG, NFT_REG_1);
  cc_nft_put_u32 (b, NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
  cc_nft_put_u32 (b, NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
  expr_end (b);
  cmp (b, NFT_CMP_EQ, &local, sizeof (local));
}

/* ct state and status are host-order bit sets: a bit of MASK set.  */
static void
match_ct_bits (struct cc_nft_batch *b, uint32_t key, uint32_t mask)
{
  uint32_t zero = 0;

  ct_load (b, key);
  bitwise_and (b, &mask, sizeof (mask));
  cmp (b, NFT_CMP_NEQ, &zero, sizeof (zero));
}

static void
match_ct (struct cc_nft_batch *b, unsigned st)
{
  /* nft's ct state bits are XT_CONNTRACK_STATE's: CC_CT_* below DNAT.  */
  uint32_t states = st & (CC_CT_INVALID | CC_CT_ESTABLISHED | CC_CT_RELATED);

  if (states)
    match_ct_bits (b, NFT_CT_STATE, states);
  if (st & CC_CT_DNAT)
    match_ct_bits (b, NFT_CT_STATUS, IPS_DST_NAT);
}

/* A balancer's pick, `numgen random mod N 0`: a draw of its own for each
   rule, as xt_statistic's, so the chain's 1/n, 1/(n-1), ... spreads
   new connections evenly (rules.c).  */
static void
match_one_in (struct cc_nft_batch *b, unsigned n)
{
  uint32_t zero = 0;

  expr_begin (b, "numgen");
  cc_nft_put_u32 (b, NFTA_NG_DREG, NFT_REG_1);
  cc_nft_put_u32 (b, NFTA_NG_MODULUS, n);
  cc_nft_put_u32 (b, NFTA_NG_TYPE, NFT_NG_RANDOM);
  cc_nft_put_u32 (b, NFTA_NG_OFFSET, 0);
  expr_end (b);
  cmp (b, NFT_CMP_EQ, &zero, sizeof (zero));
}

/* `dnat ip to A:P` or `dnat ip6 to [A]:P`: the address and port in
   registers 1 and 2.  */
static int
dnat_to (struct cc_nft_batch *b, const struct l3 *l3, const char *to, cc_error_t *err)
{
  char ip[INET6_ADDRSTRLEN];
  const char *colon = to ? strrchr (to, ':') : NULL;
  const char *start = to && l3->af == AF_INET6 ? to + 1 : to;
  const char *stop = colon && l3->af == AF_INET6 ? colon - 1 : colon;
  unsigned char addr[16];
  unsigned long port;
  uint16_t port_be;
  char *end;

  if (colon == NULL || stop < start || (size_t)(stop - start) >= sizeof (ip)
      || (l3->af == AF_INET6 && (*to != '[' || *stop != ']')))
    return cc_error_make (err, EINVAL, "firewall dnat destination `%s` is not ip:port", to ? to : "");
  memcpy (ip, start, (size_t)(stop - start));
  ip[stop - start] = '\0';
  port = strtoul (colon + 1, &end, 10);
  if (inet_pton (l3->af, ip, addr) != 1 || *end || end == colon + 1 || port == 0 || port > 65535)
    return cc_error_make (err, EINVAL, "firewall dnat destination `%s` is not ip:port", to);
  port_be = htons ((uint16_t)port);
  immediate_value (b, NFT_REG_1, addr, l3->len);
  immediate_value (b, NFT_REG_1 + 1, &port_be, sizeof (port_be));
  expr_begin (b, "nat");
  cc_nft_put_u32 (b, NFTA_NAT_TYPE, NFT_NAT_DNAT);
  cc_nft_put_u32 (b, NFTA_NAT_FAMILY, l3->nfproto);
  cc_nft_put_u32 (b, NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
  cc_nft_put_u32 (b, NFTA_NAT_REG_PROTO_MIN, NFT_REG_1 + 1);
  cc_nft_put_u32 (b, NFTA_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
  expr_end (b);
  return 0;
}

static int
verdict (struct cc_nft_batch *b, const struct cc_fw_rule *r, cc_error_t *err)
{
  static const struct
  {
    const char *target;
    int code;
  } codes[] = { { "ACCEPT", NF_ACCEPT }, { "DROP", NF_DROP } };

  for (size_t i = 0; i < CC_N_ELEMENTS (codes); i++)
    if (strcmp (r->target, codes[i].target) == 0)
      {
        immediate_verdict (b, codes[i].code, NULL);
        return 0;
      }
  if (strcmp (r->target, "MASQUERADE") == 0)
    {
      expr_begin (b, "masq");
      expr_end (b);
      return 0;
    }
  if (strcmp (r->target, "DNAT") == 0)
    return dnat_to (b, l3_of (r), r->to, err);
  immediate_verdict (b, NFT_JUMP, r->target);
  return 0;
}

/* A comment is userdata: a type-length-value of type 0 (libnftnl's
   NFTNL_UDATA_RULE_COMMENT), with its NUL.  */
static void
put_comment (struct cc_nft_batch *b, const char *comment)
{
  unsigned char ud[2 + CC_FW_COMMENT_MAX + 1];
  size_t len = strnlen (comment, CC_FW_COMMENT_MAX);

  ud[0] = 0;
  ud[1] = (unsigned char)(len + 1);
  memcpy (ud + 2, comment, len);
  ud[2 + len] = '\0';
  cc_nft_put (b, NFTA_RULE_USERDATA, ud, len + 3);
}

static int
put_body (struct cc_nft_batch *b, uint8_t family, const struct cc_fw_rule *r, cc_error_t *err)
{
  const struct l3 *l3 = l3_of (r);
  struct stmt st = { false };

  if (strcmp (r->target, "DNAT") == 0 && r->src == NULL && r->dst == NULL)
    need_family (b, family, l3, &st);
  if (match_addr (b, family, l3, &st, l3->saddr, r->src, r->src_inv, err) < 0
      || match_addr (b, family, l3, &st, l3->daddr, r->dst, r->dst_inv, err) < 0)
    return -1;
  match_iface (b, NFT_META_IIFNAME, r->in, r->in_inv);
  match_iface (b, NFT_META_OIFNAME, r->out, r->out_inv);
  match_dport (b, r);
  if (r->dst_local)
    match_local (b);
  if (r->ctstate)
    match_ct (b, r->ctstate);
  if (r->one_in > 1)
    match_one_in (b, r->one_in);
  return verdict (b, r, err);
}

int
cc_nft_add_rule (struct cc_nft_batch *b, uint8_t family, const char *table, const char *chain,
                 const struct cc_fw_rule *r, bool insert, cc_error_t *err)
{
  cc_nft_msg (b, NFT_MSG_NEWRULE, family, (uint16_t)(NLM_F_CREATE | (insert ? 0 : NLM_F_APPEND)));
  cc_nft_put_str (b, NFTA_RULE_TABLE, table);
  cc_nft_put_str (b, NFTA_RULE_CHAIN, chain);
  cc_nft_nest (b, NFTA_RULE_EXPRESSIONS);
  if (put_body (b, family, r, err) < 0)
    return -1;
  cc_nft_nest_end (b);
  put_comment (b, r->comment);
  return 0;
}

/* The probe's tracer (probe.c): `iifname "NAME" meta nftrace set 1`, so
   that every chain its packet meets after this one reports its verdict.  */
void
cc_nft_add_trace_rule (struct cc_nft_batch *b, uint8_t family, const char *table, const char *chain,
                       const char *iifname)
{
  static const uint8_t on = 1;

  cc_nft_msg (b, NFT_MSG_NEWRULE, family, NLM_F_CREATE | NLM_F_APPEND);
  cc_nft_put_str (b, NFTA_RULE_TABLE, table);
  cc_nft_put_str (b, NFTA_RULE_CHAIN, chain);
  cc_nft_nest (b, NFTA_RULE_EXPRESSIONS);
  match_iface (b, NFT_META_IIFNAME, iifname, false);
  immediate_value (b, NFT_REG_1, &on, sizeof (on));
  expr_begin (b, "meta");
  cc_nft_put_u32 (b, NFTA_META_KEY, NFT_META_NFTRACE);
  cc_nft_put_u32 (b, NFTA_META_SREG, NFT_REG_1);
  expr_end (b);
  cc_nft_nest_end (b);
}
