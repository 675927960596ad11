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

struct cc_fw_rule
{
  const char *table; /* "raw", "nat" or "filter" (static strings) */
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
  char *to;         /* DNAT destination "ip:port" */
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
#define cleanup_fw_ruleset __attribute__ ((cleanup (cc_fw_ruleset_release)))

/* rules.c: the rule set of the networks of STATE (see state.h) that live
   in the network namespace HOST_NETNS (network/hostns.h; NULL: every
   network).  Pure.  */
int cc_fw_build (const cJSON *state, const char *tag, const char *host_netns, struct cc_fw_ruleset *out,
                 cc_error_t *err);
/* iptables-save style text of RS, for golden tests and `ccompose network rules`.  */
char *cc_fw_render (const struct cc_fw_ruleset *rs);
/* "ccompose" + tag: the prefix of every comment of this state root.  */
char *cc_fw_comment_prefix (const char *tag);
/* Our chains for TAG, whether or not a rule set uses them.  */
char **cc_fw_chain_names (const char *tag);
bool cc_fw_is_builtin (const char *chain);

/* A DNAT rule found in the kernel, for the port preflight.  */
struct cc_fw_dnat
{
  int proto;
  uint32_t host_ip; /* host order, 0 = any */
  uint16_t port_lo, port_hi;
  char *comment;
};
void cc_fw_dnat_free (struct cc_fw_dnat *d, size_t n);

struct cc_firewall_ops
{
  const char *name;
  /* Make the kernel's rules and chains of RS->tag equal to RS: ours that
     are not in RS go, missing ones come, everything else is untouched.  */
  int (*apply) (const struct cc_fw_ruleset *rs, cc_error_t *err);
  /* What the kernel holds of TAG: "table/CHAIN" for each of our chains,
     "table/CHAIN comment" for each of our rules.  */
  int (*list_ours) (const char *tag, char ***out, cc_error_t *err);
  /* Every ccompose DNAT rule of any state root.  */
  int (*list_dnat) (struct cc_fw_dnat **out, size_t *n, cc_error_t *err);
  /* apply() writes the raw table's loopback guard (rules.c), so bridges
     may route 127.0.0.0/8 for ports published on 127.0.0.1.  Without it
     they must not: a container could reach the host's loopback.  */
  bool guards_loopback;
};

extern const struct cc_firewall_ops cc_firewall_iptc_ops;

/* firewall.c: the backend in use ($CCOMPOSE_FIREWALL, default iptc).  */
const struct cc_firewall_ops *cc_firewall (cc_error_t *err);
/* Build from STATE, for the calling thread's network namespace only, and
   apply there.  */
int cc_firewall_sync (const cJSON *state, cc_error_t *err);

#endif
