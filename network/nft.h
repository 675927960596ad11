/* The nftables backend's parts (firewall-nft.c): our rules as nf_tables
   messages (nft-encode.c) and what the kernel holds, read back
   (nft-view.c), over nftnl.h.  Internal to network/.  */
#ifndef CC_NETWORK_NFT_H
#define CC_NETWORK_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "network/firewall.h"
#include "network/nftnl.h"

/* A base chain for one of the rule set's built-in chains.  */
struct cc_nft_base
{
  const char *table, *chain; /* the rule set's names */
  const char *name;          /* the base chain in our table */
  const char *spec;          /* as nft writes it: type, hook, priority */
  const char *type;          /* "filter", "nat" */
  uint32_t hook;             /* NF_INET_* */
  int32_t priority;
};
const struct cc_nft_base *cc_nft_base_of (const char *table, const char *chain);
const struct cc_nft_base *cc_nft_base_named (const char *name);

/* nft-encode.c: messages of a transaction.  A rule's expressions are
   those nft makes of the statements cc_fw_render_nft writes for it, in
   the same order, so that `nft list` shows that text.  */
void cc_nft_add_table (struct cc_nft_batch *b, uint8_t family, const char *table);
void cc_nft_delete_table (struct cc_nft_batch *b, uint8_t family, const char *table);
/* Every rule of every chain of TABLE.  */
void cc_nft_flush_table (struct cc_nft_batch *b, uint8_t family, const char *table);
/* BASE NULL: a regular chain.  Adding an existing chain is no error.  */
void cc_nft_add_chain (struct cc_nft_batch *b, uint8_t family, const char *table, const char *name,
                       const struct cc_nft_base *base);
/* R at the end of CHAIN, or at its top with INSERT.  */
int cc_nft_add_rule (struct cc_nft_batch *b, uint8_t family, const char *table, const char *chain,
                     const struct cc_fw_rule *r, bool insert, cc_error_t *err);
/* `iifname "IIFNAME" meta nftrace set 1` at the end of CHAIN (probe.c).  */
void cc_nft_add_trace_rule (struct cc_nft_batch *b, uint8_t family, const char *table, const char *chain,
                            const char *iifname);
void cc_nft_delete_rule (struct cc_nft_batch *b, uint8_t family, const char *table, const char *chain, uint64_t handle);

/* nft-view.c: the ruleset as far as the backend needs it.  */
struct cc_nft_table
{
  uint8_t family;
  char *name;
};

struct cc_nft_chain
{
  uint8_t family;
  char *table, *name;
  bool base;
  uint32_t hook, policy; /* base chains: NF_INET_*, NF_ACCEPT or NF_DROP */
  int32_t priority;      /* base chains */
};

struct cc_nft_rule
{
  uint8_t family;
  char *table, *chain;
  uint64_t handle;
  char *comment;             /* NULL: none */
  bool drops;                /* nothing but a drop or a reject (and counters) */
  char *first;               /* "iifname NAME" or "oifname NAME" when its first match is one */
  bool dnat;                 /* has a dnat statement */
  int proto;                 /* meta l4proto it matches, 0 = any */
  uint32_t daddr;            /* ip daddr it matches (/32, host order), 0 = any */
  bool dnat6;                /* its dnat is to IPv6 (issue 17) */
  uint8_t daddr6[16];        /* ip6 daddr it matches (/128), all zero = any */
  uint16_t port_lo, port_hi; /* th dport it matches */
};

struct cc_nft_view
{
  uint32_t genid;
  struct cc_nft_table *tables;
  size_t n_tables;
  struct cc_nft_chain *chains;
  size_t n_chains;
  struct cc_nft_rule *rules;
  size_t n_rules;
};

/* Tables, chains and rules of every family, consistent with GENID.  */
int cc_nft_view_read (struct cc_nft_sock *s, struct cc_nft_view *v, cc_error_t *err);
void cc_nft_view_release (struct cc_nft_view *v);
#define cleanup_nft_view __attribute__ ((cleanup (cc_nft_view_release)))
/* "ip", "inet", "ip6"...  */
const char *cc_nft_family_name (uint8_t family);

#endif
