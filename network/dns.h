/* The embedded DNS at 127.0.0.11 (issue 16), internal to network/:
   the message codec (dns-msg.c) and the record table built from the
   network state (dns-records.c), both pure; the responder program's
   loop (dns-server.c); and its control from ccompose (dns-ctl.c).

   One responder per project (a mode of the helper program the monitor
   runs, `ccompose-dns PROJECT` in ps) serves every network namespace of
   the project's containers: in each it holds a UDP and a TCP socket
   bound to 127.0.0.11:53, made by entering the namespace (a socket keeps
   the namespace it was made in), so the container needs no rule of ours
   and the responder itself stays in the namespace ccompose runs in,
   where it forwards what it does not know.  A namespace is its
   container's identity: answers are scoped to the networks that
   container is on, as Docker scopes them by sandbox.  */
#ifndef CC_NETWORK_DNS_H
#define CC_NETWORK_DNS_H

#include <cJSON.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CC_DNS_ADDR "127.0.0.11"
#define CC_DNS_ADDR_HOST 0x7f00000bu
#define CC_DNS_PORT 53
/* Docker's respTTL.  */
#define CC_DNS_TTL 600
/* A query is a question and an OPT record: longer ones are dropped and
   counted (EDNS padding and cookies stay far below).  */
#define CC_DNS_MAX_QUERY 4096
#define CC_DNS_MAX_TCP 65535
#define CC_DNS_HEADER 12

enum
{
  CC_DNS_T_A = 1,
  CC_DNS_T_PTR = 12,
  CC_DNS_T_MX = 15,
  CC_DNS_T_AAAA = 28,
  CC_DNS_T_OPT = 41,
  CC_DNS_C_IN = 1,
};

enum
{
  CC_DNS_NOERROR = 0,
  CC_DNS_FORMERR = 1,
  CC_DNS_SERVFAIL = 2,
  CC_DNS_NXDOMAIN = 3,
  CC_DNS_NOTIMP = 4,
  CC_DNS_REFUSED = 5,
};

/* What to do with a message that arrived at 127.0.0.11.  */
enum cc_dns_verdict
{
  CC_DNS_QUERY,       /* a standard query: answer or forward it */
  CC_DNS_REPLY_ERROR, /* answer with the rcode in the query struct */
  CC_DNS_DROP,        /* no answer at all: not a query, or no header */
};

struct cc_dns_query
{
  uint16_t id;
  bool rd;
  uint16_t qtype, qclass;
  size_t qend;    /* offset just past the question, 0 when it did not parse */
  char name[256]; /* lower case, dotted, no trailing dot ("" is the root) */
  bool plain;     /* every label is printable ASCII without '.': NAME is it */
  bool edns;
  uint16_t udp_size; /* the client's EDNS payload size, 512 without */
  uint8_t rcode;     /* with CC_DNS_REPLY_ERROR */
};

enum cc_dns_verdict cc_dns_parse_query (const uint8_t *msg, size_t len, struct cc_dns_query *q);

/* The largest UDP reply the client of Q takes: 512, or its EDNS size
   (at most 4096).  */
size_t cc_dns_udp_limit (const struct cc_dns_query *q);

struct cc_dns_answer
{
  uint8_t rcode;
  const uint32_t *a; /* A records (host order), in this order */
  size_t n_a;
  const struct in6_addr *aaaa; /* AAAA records, in this order */
  size_t n_aaaa;
  const char *ptr; /* a PTR target (dotted), or NULL */
};

/* The reply to Q (parsed from MSG) with A, at most MAX bytes: records
   that do not fit are left out and TC is set.  Its length, or 0 when
   not even the header and question fit.  */
size_t cc_dns_build_reply (const uint8_t *msg, const struct cc_dns_query *q, const struct cc_dns_answer *a,
                           uint8_t *out, size_t max);

/* Whether REPLY answers the question of QUERY (the first QEND bytes of
   the query message): QR set, ID equal, one question equal but for the
   case of its letters.  */
bool cc_dns_reply_matches (const uint8_t *reply, size_t len, uint16_t id, const uint8_t *query, size_t qend);

/* "4.3.2.1.in-addr.arpa" -> 1.2.3.4 (host order).  */
bool cc_dns_ptr_address (const char *name, uint32_t *addr);

/* ---- records (dns-records.c) -------------------------------------------- */

/* Who may be answered with: filled by the responder per query.  */
typedef bool (*cc_dns_eligible_fn) (const char *container, void *data);

struct cc_dns_member
{
  char *container;
  char *fqdn; /* "<container>.<network full name>", the PTR target */
  uint32_t ip;
  bool has_ip; /* false on an IPv6-only network (issue 15) */
  /* In the balancer of its published ports (the member's "serving",
     network/endpoint.c), or publishing none: a replica starting,
     unhealthy or draining is not answered, so DNS and the published
     port agree (issue 16).  */
  bool serving;
  struct in6_addr ip6; /* on an IPv6 network (issue 17) */
  bool has_ip6;
};

struct cc_dns_name
{
  char *name;    /* lower case */
  size_t member; /* index in its network's members */
};

struct cc_dns_network
{
  char *full_name; /* lower case, for "<name>.<network>" */
  bool internal;
  struct cc_dns_member *members;
  size_t n_members;
  struct cc_dns_name *names; /* sorted by name, for bsearch */
  size_t n_names;
};

struct cc_dns_upstream
{
  uint32_t ip;
  uint16_t port;
};

/* One network namespace the responder serves: a container (and the
   containers that joined its namespace).  */
struct cc_dns_scope
{
  char *netns;
  size_t *networks; /* indexes into the table's networks, in the container's order */
  long *ranks;      /* of each: 0 for its eth0, 1 for eth1... */
  size_t n_networks;
  bool external; /* on a network that is not internal: may forward from the host */
  /* `dns:` servers, reached from the container's own namespace, as
     Docker reaches them.  */
  struct cc_dns_upstream *own;
  size_t n_own;
};

struct cc_dns_table
{
  struct cc_dns_network *networks;
  size_t n_networks;
  struct cc_dns_scope *scopes;
  size_t n_scopes;
};

/* The table for PROJECT's namespaces from the network state ROOT.  */
struct cc_dns_table *cc_dns_table_build (const cJSON *root, const char *project);
void cc_dns_table_free (struct cc_dns_table *t);
static inline void
cleanup_dns_table_fn (struct cc_dns_table **t)
{
  if (*t)
    cc_dns_table_free (*t);
}
#define cleanup_dns_table __attribute__ ((cleanup (cleanup_dns_table_fn)))

struct cc_dns_scope *cc_dns_table_scope (const struct cc_dns_table *t, const char *netns);

/* A lookup's outcome: the addresses (at most CAP, in table order) of
   the eligible containers NAME means for SCOPE, found as Docker looks
   (the whole name on each network of the scope in turn, then
   "<name>.<network>").  */
enum cc_dns_found
{
  CC_DNS_UNKNOWN, /* not ours: forward */
  CC_DNS_FOUND,   /* *N addresses, maybe none (containers without IPv4) */
  CC_DNS_DOWN,    /* ours, but no container behind it may answer now */
};
enum cc_dns_found cc_dns_lookup (const struct cc_dns_table *t, const struct cc_dns_scope *s, const char *name,
                                 cc_dns_eligible_fn eligible, void *data, uint32_t *out, size_t cap, size_t *n);
/* The IPv6 addresses of the same lookup (issue 17): members without one
   add none, so a name of IPv4 containers has no AAAA data.  */
size_t cc_dns_lookup6 (const struct cc_dns_table *t, const struct cc_dns_scope *s, const char *name,
                       cc_dns_eligible_fn eligible, void *data, struct in6_addr *out, size_t cap);
/* The PTR target of ADDR for SCOPE, or NULL.  */
const char *cc_dns_reverse (const struct cc_dns_table *t, const struct cc_dns_scope *s, uint32_t addr,
                            cc_dns_eligible_fn eligible, void *data);

/* ---- upstreams (dns-records.c) ------------------------------------------ */

/* The host's resolv.conf as Docker reads it for its internal resolver:
   CCOMPOSE_RESOLV_CONF (default /etc/resolv.conf), or, when its only
   nameserver is systemd-resolved's stub 127.0.0.53, the file
   systemd-resolved keeps for the real ones, CCOMPOSE_RESOLVED_CONF
   (default /run/systemd/resolve/resolv.conf).  Its path in *PATH (may
   be NULL), its text returned (NULL when unreadable).  */
char *cc_dns_host_resolv (char **path);
/* The nameservers of a resolv.conf text (IPv4 only, at most 3, without
   127.0.0.11), port 53.  */
size_t cc_dns_nameservers (const char *text, struct cc_dns_upstream *out, size_t cap);

/* cc_state_dir()/network/dns: the responders' records and sockets,
   named after the project's name, or a hash of it when it is not plain
   (a `ccompose netdev` project may be called anything).  */
char *cc_net_dns_dir (void);
char *cc_net_dns_base (const char *project);

/* ---- control (dns-ctl.c) ------------------------------------------------- */

/* The projects whose responders must read the state again when the
   members of PROJECTS changed: every project with a container on a
   network they are on or own.  */
char **cc_net_dns_affected (const cJSON *root, char *const *projects);
/* Tell the running responders of PROJECTS to read the network state
   again, and wait until they did; a failure is a warning.  */
void cc_net_dns_notify (char *const *projects);

#endif
