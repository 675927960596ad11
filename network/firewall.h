/* Firewall: one pure builder turns the network state into a rule set
   (rules.c); a backend behind struct cc_firewall_ops makes the kernel's
   rules of this state root equal to it (firewall-iptc.c).  Setup and
   teardown both go through the builder, so deletion never drifts from
   creation.  Internal to network/.  */
#ifndef CC_NETWORK_FIREWALL_H
#define CC_NETWORK_FIREWALL_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* conntrack states, as the kernel's XT_CONNTRACK_STATE bits.  */
enum
{
  CC_CT_INVALID = 1 << 0,
  CC_CT_ESTABLISHED = 1 << 1,
  CC_CT_RELATED = 1 << 2,
  CC_CT_DNAT = 1 << 7,
};

/* The families a rule is for (issue 17): the iptc backend writes a
   rule to the iptables tables, the ip6tables ones or both; the nftables
   backend writes it once in its inet table, where a rule without an
   address match sees both families anyway.  */
enum cc_fw_family
{
  CC_FW_IPV4 = 0,
  CC_FW_IPV6,
  CC_FW_BOTH,
};

struct cc_fw_rule
{
  const char *table; /* "raw", "nat" or "filter" (static strings) */
  enum cc_fw_family family;
  char *chain;
  char *src, *dst; /* CIDR; NULL = any */
  bool src_inv, dst_inv;
  char *in, *out; /* interface; a trailing '+' is a wildcard */
  bool in_inv, out_inv;
  int proto; /* 0, IPPROTO_TCP, IPPROTO_UDP */
  uint16_t dport_lo, dport_hi;
  bool dst_local;   /* -m addrtype --dst-type LOCAL */
  unsigned ctstate; /* CC_CT_* bits, 0 = no conntrack match */
  char *comment;    /* always present, begins with "ccompose" */
  char *target;     /* ACCEPT, DROP, MASQUERADE, DNAT or a chain */
  char *to;         /* DNAT destination "ip:port" or "[ip6]:port" */
  /* FOREIGN accepts of a network whose bridge firewalld binds to a zone
     (firewalld.c): firewalld's own table needs none of them.  */
  bool zoned;
  /* A balancer's pick (rules.c): the rule takes one new connection in
     ONE_IN (-m statistic --mode random --probability 1/ONE_IN, numgen
     random mod ONE_IN in nft); 0 takes every one.  */
  unsigned one_in;
};

struct cc_fw_chain
{
  const char *table;
  char *name;
};

struct cc_fw_ruleset
{
  char *tag; /* state-root tag the rules belong to ("" or "@xxxxxx") */
  struct cc_fw_chain *chains;
  size_t n_chains;
  struct cc_fw_rule *rules; /* in order; built-in chain rules go first in their chain */
  size_t n_rules;
};

void cc_fw_ruleset_release (struct cc_fw_ruleset *rs);

/* xt_statistic's probability of 1/ONE_IN: the kernel compares it with 31
   random bits; iptables writes lround (2^31 * p) and prints it back as
   %.11f of the ratio.  */
uint32_t cc_fw_probability (unsigned one_in);
double cc_fw_probability_of (uint32_t probability);
#define cleanup_fw_ruleset __attribute__ ((cleanup (cc_fw_ruleset_release)))

/* rules.c: the rule set of the networks of STATE (see state.h) that live
   in the network namespace HOST_NETNS (network/hostns.h; NULL: every
   network).  Pure.  */
int cc_fw_build (const cJSON *state, const char *tag, const char *host_netns, struct cc_fw_ruleset *out,
                 cc_error_t *err);
/* iptables-save style text of RS, for golden tests and `ccompose netdev
   rules`: the iptables tables, then the ip6tables ones when RS has rules
   for IPv6.  */
char *cc_fw_render (const struct cc_fw_ruleset *rs);
/* Whether R goes to the ip6tables tables (V6) or the iptables ones.  */
bool cc_fw_rule_in (const struct cc_fw_rule *r, bool v6);
/* Whether RS has a rule for the ip6tables TABLE (NULL: any table).  */
bool cc_fw_has_ipv6 (const struct cc_fw_ruleset *rs, const char *table);
/* "ccompose" + tag: the prefix of every comment of this state root.  */
char *cc_fw_comment_prefix (const char *tag);
/* Our chains for TAG, whether or not a rule set uses them.  */
char **cc_fw_chain_names (const char *tag);
bool cc_fw_is_builtin (const char *chain);
/* Chains of other firewalls (rules.c): Docker's, and FOREIGN, which
   stands for any other firewall's forward chain that drops.  */
#define CC_FW_DOCKER_USER "DOCKER-USER"
#define CC_FW_FOREIGN "FOREIGN-FORWARD"
bool cc_fw_is_foreign (const char *chain);
/* nftables' limit on a rule's comment (NFT_USERDATA_MAXLEN is the
   kernel's; the nft parser allows 128).  */
#define CC_FW_COMMENT_MAX 127

/* What list_ours would say of RS: "table/CHAIN" for its chains,
   "table/CHAIN comment" for its rules, without those for other
   firewalls' chains unless PLACED.  SPLIT (a backend with a table per
   family, see label6): each family's copy has a key of its own, the
   IPv6 one behind CC_FW_KEY6, so that one copy gone is missing.  */
#define CC_FW_KEY6 "ip6 "
char **cc_fw_keys (const struct cc_fw_ruleset *rs, bool placed, bool split);
/* The keys of WANT that HAVE lacks, counting repeats.  */
char **cc_fw_keys_missing (char *const *want, char *const *have);
bool cc_fw_keys_equal (char *const *a, char *const *b);

/* A DNAT rule found in the kernel, for the port preflight: an IPv4 one,
   or an IPv6 one (V6, issue 17).  */
struct cc_fw_dnat
{
  int proto;
  uint32_t host_ip; /* IPv4, host order, 0 = any */
  uint16_t port_lo, port_hi;
  char *comment;
  bool v6;
  uint8_t host_ip6[16]; /* IPv6, all zero = any */
};
void cc_fw_dnat_free (struct cc_fw_dnat *d, size_t n);
/* Whether D takes connections a port published on HOST_IP ("" both
   families, "0.0.0.0" or "::" one family, or an address) would.  */
bool cc_fw_dnat_meets (const struct cc_fw_dnat *d, const char *host_ip);

struct cc_firewall_ops
{
  const char *name;
  const char *label; /* what findings call its rules: "iptables", "nftables" */
  /* ... the IPv6 ones, when they live in tables of their own (list_ours
     then says CC_FW_KEY6 before their keys); NULL: one table for both.  */
  const char *label6;
  /* Make the kernel's rules and chains of RS->tag equal to RS: ours that
     are not in RS go, missing ones come, everything else is untouched.  */
  int (*apply) (const struct cc_fw_ruleset *rs, cc_error_t *err);
  /* What the kernel holds of TAG: "table/CHAIN" for each of our chains,
     "table/CHAIN comment" for each of our rules.  */
  int (*list_ours) (const char *tag, char ***out, cc_error_t *err);
  /* Every ccompose DNAT rule of any state root.  */
  int (*list_dnat) (struct cc_fw_dnat **out, size_t *n, cc_error_t *err);
  /* Other firewalls in this backend's tables (Docker, a drop policy):
     put RS's FOREIGN accepts (rules.c) where they need them; and when
     this is not the backend in use (SAME false), take away our own rules
     an earlier use left here.  CHECK: change nothing.  *NOTES gets one
     line per change made (or needed, with CHECK).  NULL: nothing to do
     (the "none" backend).  */
  int (*coexist) (const struct cc_fw_ruleset *rs, bool same, bool check, char ***notes, cc_error_t *err);
  /* apply() writes the raw table's loopback guard (rules.c), so bridges
     may route 127.0.0.0/8 for ports published on 127.0.0.1.  Without it
     they must not: a container could reach the host's loopback.  */
  bool guards_loopback;
};

extern const struct cc_firewall_ops cc_firewall_iptc_ops;
extern const struct cc_firewall_ops cc_firewall_nft_ops;

/* firewall-nft.c: the nft script that makes the kernel's table of RS
   equal to RS (RS's own rules; FOREIGN ones as comments), for golden
   tests and `ccompose netdev rules`.  Pure.  */
char *cc_fw_render_nft (const struct cc_fw_ruleset *rs);
/* "ccompose" or "ccompose-1a2b3c": the nftables table of TAG.  */
char *cc_fw_nft_table (const char *tag);

/* Coexist found a forward chain of another firewall that drops what
   nobody accepted (WHY says which): probe.c then checks that a packet
   still crosses our bridges.  Forgotten at each coexist.  */
void cc_fw_foreign_drop (const char *why);
/* What the last coexist found, or NULL when nothing drops.  */
char **cc_fw_foreign_drops (void);

/* "iptables filter/FORWARD c" or "ip6tables filter/FORWARD c" for the
   key K of OPS's list_ours, as findings say it.  */
char *cc_fw_key_text (const struct cc_firewall_ops *ops, const char *k);

/* firewall-iptc.c: each DROP rule and drop policy of the legacy IPv4
   tables (iptables-legacy), saying where it is, with the packets it has
   dropped: nftables' trace does not see these, so the probe (probe.c)
   reads them before and after its packet (issue 17).  */
struct cc_fw_count
{
  char *what; /* "the rule 2 in the iptables-legacy chain `filter FORWARD` drops it" */
  uint64_t packets;
};
struct cc_fw_counts
{
  struct cc_fw_count *v;
  size_t n;
};
void cc_fw_legacy_drop_counts (struct cc_fw_counts *out);
void cc_fw_counts_release (struct cc_fw_counts *c);
#define cleanup_fw_counts __attribute__ ((cleanup (cc_fw_counts_release)))
/* What the first count of AFTER that grew since BEFORE says, or NULL.  */
const char *cc_fw_counts_moved (const struct cc_fw_counts *before, const struct cc_fw_counts *after);

/* firewall.c: the backend in use: $CCOMPOSE_FIREWALL, else `firewall` in
   the network configuration file, else what the host's iptables is
   (cc_firewall_detect); "auto" asks for the detection.  Chosen once per
   process.  */
const struct cc_firewall_ops *cc_firewall (cc_error_t *err);
/* "nftables" when the host's `iptables` command is iptables-nft (its
   rules, Docker's among them, live in nf_tables), else "iptc".  WHY (may
   be NULL) says what decided it.  */
const char *cc_firewall_detect (char **why);
/* Build from STATE, for the calling thread's network namespace only, and
   apply there, then make room in other firewalls (coexist).  */
int cc_firewall_sync (const cJSON *state, cc_error_t *err);
/* Own rules of RS missing from the kernel, as "table/CHAIN comment", and
   what other firewalls still need (coexist, CHECK): each one line in
   *MISSING.  */
int cc_firewall_missing (const struct cc_fw_ruleset *rs, char ***missing, cc_error_t *err);

#endif
