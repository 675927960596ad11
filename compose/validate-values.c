/* Checks of single values that the compose file gives as text: names,
   addresses and subnets, exposed ports, the resolver and host names that
   become lines of the container's /etc/resolv.conf and /etc/hosts.  They
   fail here, at the line that wrote them, rather than later inside the
   engine, or not at all: a line break in one of those is a line of the
   attacker's choosing in the container's files.  */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "compose/model.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

/* The longest service name: one DNS label (RFC 1123), as other
   containers resolve the service by it.  The longest container name:
   the runtime's limit on container ids (runtime/state.c), which also
   keeps the directories named after it well inside NAME_MAX.  */
#define SERVICE_NAME_MAX 63
#define CONTAINER_NAME_MAX 128

/* compose-spec: service names are [a-zA-Z0-9._-]+.  */
static bool
is_service_name (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (! isalnum ((unsigned char)*s) && ! strchr ("._-", *s))
      return false;
  return true;
}

/* Docker: container names are [a-zA-Z0-9][a-zA-Z0-9_.-]+.  */
static bool
is_container_name (const char *s)
{
  if (! isalnum ((unsigned char)s[0]) || s[1] == '\0')
    return false;
  return is_service_name (s + 1);
}

struct cidr
{
  int family;
  unsigned char addr[16];
  int prefix;
};

static bool
parse_ip (const char *s, int *family, unsigned char addr[16])
{
  if (inet_pton (AF_INET, s, addr) == 1)
    return (*family = AF_INET), true;
  if (inet_pton (AF_INET6, s, addr) == 1)
    return (*family = AF_INET6), true;
  return false;
}

bool
cc_is_ip_address (const char *s)
{
  unsigned char addr[16];
  int family;

  return parse_ip (s, &family, addr);
}

/* Dot-separated labels of 1 to 63 characters (RFC 1123) and at most MAX
   in all, each of letters, digits and the characters of EXTRA.  */
static bool
is_dotted_name (const char *s, size_t max, const char *extra)
{
  size_t label = 0;

  if (*s == '\0' || strlen (s) > max)
    return false;
  for (const char *p = s;; p++)
    {
      if (*p == '.' || *p == '\0')
        {
          if (label == 0 || label > 63)
            return false;
          if (*p == '\0')
            return true;
          label = 0;
          continue;
        }
      if (! isalnum ((unsigned char)*p) && ! strchr (extra, *p))
        return false;
      label++;
    }
}

/* A name for /etc/hosts: letters, digits, `-` and `_` (which container
   names use) in labels; nothing that ends the line.  */
bool
cc_is_host_name (const char *s)
{
  return is_dotted_name (s, 253, "-_");
}

/* hostname and domainname go to sethostname(2) and setdomainname(2),
   which take 64 bytes at most (the kernel's __NEW_UTS_LEN).  */
static bool
is_uts_name (const char *s)
{
  return is_dotted_name (s, 64, "-_");
}

/* Docker's rule for --dns-search (opts.ValidateDNSSearch): "." alone
   (no search), or a domain with a letter in it, labels of letters,
   digits and inner `-`, an optional final dot, under 255 characters.  */
static bool
is_search_domain (const char *s)
{
  size_t len = strlen (s);
  cleanup_free char *name = NULL;

  if (strcmp (s, ".") == 0)
    return true;
  if (len == 0 || len >= 255 || strpbrk (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == NULL)
    return false;
  name = xstrndup (s, s[len - 1] == '.' ? len - 1 : len);
  if (! is_dotted_name (name, 254, "-"))
    return false;
  for (const char *p = name; *p; p++)
    if (*p == '-' && (p == name || p[-1] == '.' || p[1] == '.' || p[1] == '\0'))
      return false;
  return true;
}

/* One word of resolv.conf's `options` line: printable, no blank.  */
static bool
is_resolver_option (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (! isgraph ((unsigned char)*s))
      return false;
  return true;
}

static bool
parse_cidr (const char *s, struct cidr *c)
{
  const char *slash = strchr (s, '/');
  cleanup_free char *ip = slash ? xstrndup (s, (size_t)(slash - s)) : NULL;
  char *end;
  long prefix;

  if (slash == NULL || ! parse_ip (ip, &c->family, c->addr))
    return false;
  prefix = strtol (slash + 1, &end, 10);
  if (slash[1] == '\0' || *end != '\0' || prefix < 0 || prefix > (c->family == AF_INET ? 32 : 128))
    return false;
  c->prefix = (int)prefix;
  return true;
}

static bool
cidr_contains (const struct cidr *c, int family, const unsigned char addr[16])
{
  int bits = c->prefix;

  if (family != c->family)
    return false;
  for (int i = 0; bits > 0; i++, bits -= 8)
    {
      unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
      if ((addr[i] & mask) != (c->addr[i] & mask))
        return false;
    }
  return true;
}

static const struct cc_node *
pool_node (const struct cc_node *root, const char *net, size_t i, const char *key)
{
  const struct cc_node *config = cc_node_path (root, "networks", net, "ipam", "config", NULL);
  const struct cc_node *pool = config && config->kind == CC_NODE_SEQ && i < config->len ? config->items[i] : NULL;
  const struct cc_node *k = pool ? cc_node_map_get (pool, key) : NULL;

  return k ? k : pool ? pool : root;
}

/* Issue 15: addresses the network keeps from its containers (a host on
   the bridge's segment, as Docker's aux_addresses), each inside the
   pool's IPv4 subnet and not its gateway.  */
static int
check_aux_addresses (const struct cc_node *root, const char *net, size_t i, const cJSON *pool, cc_error_t *err)
{
  const cJSON *aux = cJSON_GetObjectItemCaseSensitive (pool, "aux_addresses");
  const char *subnet = cc_json_get_string (pool, "subnet"), *gateway = cc_json_get_string (pool, "gateway");
  struct cidr sn;
  unsigned char a[16], gw[16];
  int family, gw_family;

  for (const cJSON *x = cJSON_IsObject (aux) ? aux->child : NULL; x; x = x->next)
    {
      const char *ip = cJSON_IsString (x) ? x->valuestring : "";
      const struct cc_node *map = pool_node (root, net, i, "aux_addresses");
      const struct cc_node *at
          = map->kind == CC_NODE_MAP && cc_node_map_get (map, x->string) ? cc_node_map_get (map, x->string) : map;
      if (! parse_ip (ip, &family, a) || family != AF_INET)
        return cc_error_at (err, at, "network `%s`: aux address `%s` of `%s` is not an IPv4 address", net, ip,
                            x->string);
      if (subnet == NULL || ! parse_cidr (subnet, &sn) || ! cidr_contains (&sn, family, a))
        return cc_error_at (err, at, "network `%s`: aux address `%s` of `%s` is outside subnet `%s`", net, ip,
                            x->string, subnet ? subnet : "(none given)");
      if (gateway && parse_ip (gateway, &gw_family, gw) && gw_family == family && memcmp (a, gw, 4) == 0)
        return cc_error_at (err, at, "network `%s`: aux address `%s` of `%s` is the gateway", net, ip, x->string);
    }
  return 0;
}

static int
check_pool (const struct cc_node *root, const char *net, size_t i, const cJSON *pool, cc_error_t *err)
{
  const char *subnet = cc_json_get_string (pool, "subnet");
  const char *gateway = cc_json_get_string (pool, "gateway");
  const char *range = cc_json_get_string (pool, "ip_range");
  struct cidr sn, rg;
  unsigned char gw[16];
  int family;

  if (subnet && ! parse_cidr (subnet, &sn))
    return cc_error_at (err, pool_node (root, net, i, "subnet"), "network `%s`: invalid subnet `%s` (ADDRESS/PREFIX)",
                        net, subnet);
  if (range && ! parse_cidr (range, &rg))
    return cc_error_at (err, pool_node (root, net, i, "ip_range"), "network `%s`: invalid ip_range `%s`", net, range);
  if (gateway && ! parse_ip (gateway, &family, gw))
    return cc_error_at (err, pool_node (root, net, i, "gateway"), "network `%s`: invalid gateway `%s`", net, gateway);
  if (subnet && gateway && ! cidr_contains (&sn, family, gw))
    return cc_error_at (err, pool_node (root, net, i, "gateway"), "network `%s`: gateway `%s` is outside subnet `%s`",
                        net, gateway, subnet);
  if (subnet && range && (! cidr_contains (&sn, rg.family, rg.addr) || rg.prefix < sn.prefix))
    return cc_error_at (err, pool_node (root, net, i, "ip_range"), "network `%s`: ip_range `%s` is outside subnet `%s`",
                        net, range, subnet);
  return check_aux_addresses (root, net, i, pool, err);
}

static bool
cidr_overlaps (const struct cidr *a, const struct cidr *b)
{
  return a->prefix <= b->prefix ? cidr_contains (a, b->family, b->addr) : cidr_contains (b, a->family, a->addr);
}

static const cJSON *
pools_of (const cJSON *net)
{
  return cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (net, "ipam"), "config");
}

/* Issue 17: an IPv6 subnet is the IPv6 side of an enable_ipv6 network
   (ccompose makes no IPv6 network without it); and two networks of the
   file on overlapping subnets could never both be created: the later
   one is refused where its subnet is written.  */
static int
check_pool_family_and_overlap (const struct cc_node *root, const cJSON *nets, const cJSON *n, size_t i,
                               const cJSON *pool, cc_error_t *err)
{
  const char *subnet = cc_json_get_string (pool, "subnet");
  struct cidr sn, other;

  if (subnet == NULL || ! parse_cidr (subnet, &sn))
    return 0;
  if (sn.family == AF_INET6 && ! cc_json_get_bool (n, "enable_ipv6", false))
    return cc_error_at (err, pool_node (root, n->string, i, "subnet"),
                        "network `%s`: IPv6 subnet `%s` needs `enable_ipv6: true`", n->string, subnet);
  if (sn.family == AF_INET && ! cc_json_get_bool (n, "enable_ipv4", true))
    return cc_error_at (err, pool_node (root, n->string, i, "subnet"),
                        "network `%s`: IPv4 subnet `%s` on a network with `enable_ipv4: false`", n->string, subnet);
  for (const cJSON *o = nets->child; o && o != n; o = o->next)
    for (const cJSON *p = pools_of (o) ? pools_of (o)->child : NULL; p; p = p->next)
      {
        const char *os = cc_json_get_string (p, "subnet");
        if (! cc_json_get_bool (o, "external", false) && os && parse_cidr (os, &other) && cidr_overlaps (&sn, &other))
          return cc_error_at (err, pool_node (root, n->string, i, "subnet"),
                              "network `%s`: subnet `%s` overlaps subnet `%s` of network `%s`", n->string, subnet, os,
                              o->string);
      }
  return 0;
}

/* Docker 28 (issue 15): a network has IPv4, IPv6 or both, never
   neither.  */
static int
check_families (const struct cc_node *root, const cJSON *n, cc_error_t *err)
{
  const struct cc_node *at = cc_node_path (root, "networks", n->string, "enable_ipv4", NULL);

  if (cc_json_get_bool (n, "enable_ipv4", true) || cc_json_get_bool (n, "enable_ipv6", false))
    return 0;
  return cc_error_at (err, at ? at : root,
                      "network `%s`: `enable_ipv4: false` needs `enable_ipv6: true` (IPv4 or IPv6 must be enabled)",
                      n->string);
}

static int
check_network_pools (const cJSON *model, const struct cc_node *root, cc_error_t *err)
{
  const cJSON *nets = cJSON_GetObjectItemCaseSensitive (model, "networks");

  for (const cJSON *n = nets ? nets->child : NULL; n; n = n->next)
    {
      size_t i = 0;
      if (cc_json_get_bool (n, "external", false))
        continue;
      if (check_families (root, n, err) < 0)
        return -1;
      for (const cJSON *pool = pools_of (n) ? pools_of (n)->child : NULL; pool; pool = pool->next, i++)
        if (check_pool (root, n->string, i, pool, err) < 0
            || check_pool_family_and_overlap (root, nets, n, i, pool, err) < 0)
          return -1;
    }
  return 0;
}

/* A static address must be an address of its family, inside one of the
   network's subnets when the file gives them (Docker refuses it later).  */
static int
check_static_address (const cJSON *model, const struct cc_node *root, const char *svc, const char *net, const char *key,
                      const char *addr, cc_error_t *err)
{
  const struct cc_node *at = cc_node_path (root, "services", svc, "networks", net, key, NULL);
  const cJSON *config = cJSON_GetObjectItemCaseSensitive (
      cJSON_GetObjectItemCaseSensitive (
          cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (model, "networks"), net), "ipam"),
      "config");
  unsigned char ip[16];
  int family;
  bool inside = config == NULL || config->child == NULL;

  if (! parse_ip (addr, &family, ip) || family != (strcmp (key, "ipv4_address") == 0 ? AF_INET : AF_INET6))
    return cc_error_at (err, at ? at : root, "service `%s`: invalid %s `%s`", svc, key, addr);
  if (family == AF_INET6
      && ! cc_json_get_bool (
          cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (model, "networks"), net), "enable_ipv6",
          false))
    return cc_error_at (err, at ? at : root,
                        "service `%s`: ipv6_address `%s` needs `enable_ipv6: true` on network `%s`", svc, addr, net);
  if (family == AF_INET
      && ! cc_json_get_bool (
          cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (model, "networks"), net), "enable_ipv4",
          true))
    return cc_error_at (err, at ? at : root,
                        "service `%s`: ipv4_address `%s` on network `%s`, which has `enable_ipv4: false`", svc, addr,
                        net);
  for (const cJSON *pool = config ? config->child : NULL; pool && ! inside; pool = pool->next)
    {
      struct cidr sn;
      const char *subnet = cc_json_get_string (pool, "subnet");
      inside = subnet == NULL || (parse_cidr (subnet, &sn) && cidr_contains (&sn, family, ip));
    }
  if (! inside)
    return cc_error_at (err, at ? at : root, "service `%s`: %s `%s` is in no subnet of network `%s`", svc, key, addr,
                        net);
  return 0;
}

/* Linux capability names, as cap_add/cap_drop take them (CAP_ optional).  */
static const char *const capabilities[] = {
  "ALL",
  "AUDIT_CONTROL",
  "AUDIT_READ",
  "AUDIT_WRITE",
  "BLOCK_SUSPEND",
  "BPF",
  "CHECKPOINT_RESTORE",
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "IPC_LOCK",
  "IPC_OWNER",
  "KILL",
  "LEASE",
  "LINUX_IMMUTABLE",
  "MAC_ADMIN",
  "MAC_OVERRIDE",
  "MKNOD",
  "NET_ADMIN",
  "NET_BIND_SERVICE",
  "NET_BROADCAST",
  "NET_RAW",
  "PERFMON",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_ADMIN",
  "SYS_BOOT",
  "SYS_CHROOT",
  "SYS_MODULE",
  "SYS_NICE",
  "SYS_PACCT",
  "SYS_PTRACE",
  "SYS_RAWIO",
  "SYS_RESOURCE",
  "SYS_TIME",
  "SYS_TTY_CONFIG",
  "SYSLOG",
  "WAKE_ALARM",
  NULL,
};

/* Signal names stop_signal takes (SIG optional), besides numbers and SIGRTMIN+n.  */
static const char *const signals[] = {
  "ABRT", "ALRM", "BUS",  "CHLD", "CONT", "FPE",    "HUP",    "ILL",  "INT",  "IO",   "IOT",  "KILL",
  "PIPE", "POLL", "PROF", "PWR",  "QUIT", "SEGV",   "STKFLT", "STOP", "SYS",  "TERM", "TRAP", "TSTP",
  "TTIN", "TTOU", "URG",  "USR1", "USR2", "VTALRM", "WINCH",  "XCPU", "XFSZ", NULL,
};

static bool
in_table (const char *const *table, const char *s)
{
  for (; *table; table++)
    if (strcasecmp (*table, s) == 0)
      return true;
  return false;
}

static bool
is_signal (const char *s)
{
  const char *name = strncasecmp (s, "SIG", 3) == 0 ? s + 3 : s;
  char *end;
  long n;

  if (isdigit ((unsigned char)s[0]))
    {
      n = strtol (s, &end, 10);
      return *end == '\0' && n >= 1 && n <= 64;
    }
  if (strncasecmp (name, "RTMIN", 5) == 0 || strncasecmp (name, "RTMAX", 5) == 0)
    {
      if (name[5] == '\0')
        return true;
      n = strtol (name + 6, &end, 10);
      return (name[5] == '+' || name[5] == '-') && *end == '\0' && n >= 0 && n <= 32;
    }
  return in_table (signals, name);
}

static int
check_capabilities (const struct cc_node *root, const cJSON *svc, const char *key, cc_error_t *err)
{
  const cJSON *caps = cJSON_GetObjectItemCaseSensitive (svc, key);
  size_t i = 0;

  for (const cJSON *c = caps ? caps->child : NULL; c; c = c->next, i++)
    {
      const char *name = strncasecmp (c->valuestring, "CAP_", 4) == 0 ? c->valuestring + 4 : c->valuestring;
      if (! in_table (capabilities, name))
        {
          const struct cc_node *list = cc_node_path (root, "services", svc->string, key, NULL);
          return cc_error_at (err, list && list->kind == CC_NODE_SEQ && i < list->len ? list->items[i] : root,
                              "service `%s`: unknown capability `%s` in %s", svc->string, c->valuestring, key);
        }
    }
  return 0;
}

static int
check_stop_signal (const struct cc_node *root, const cJSON *svc, cc_error_t *err)
{
  const char *sig = cc_json_get_string (svc, "stop_signal");

  if (sig && ! is_signal (sig))
    return cc_error_at (err, cc_node_path (root, "services", svc->string, "stop_signal", NULL),
                        "service `%s`: unknown stop_signal `%s`", svc->string, sig);
  return 0;
}

static int
check_expose (const struct cc_node *root, const cJSON *svc, const cJSON *expose, cc_error_t *err)
{
  size_t i = 0;

  for (const cJSON *e = expose ? expose->child : NULL; e; e = e->next, i++)
    if (cc_ports_check_expose (e->valuestring, err) < 0)
      {
        const struct cc_node *list = cc_node_path (root, "services", svc->string, "expose", NULL);
        return cc_error_relocate (err, list && list->kind == CC_NODE_SEQ && i < list->len ? list->items[i] : root,
                                  "expose");
      }
  return 0;
}

static bool
is_host_mode (const char *s)
{
  return strcmp (s, "host") == 0;
}

/* Values that become lines of the container's files or kernel names.  */
static const struct value_rule
{
  const char *key;
  bool (*ok) (const char *);
  const char *expected;
} value_rules[] = {
  { "dns", cc_is_ip_address, "an IP address" },
  { "dns_search", is_search_domain, "a domain name (letters, digits, inner `-`, dots) or `.`" },
  { "dns_opt", is_resolver_option, "a resolver option (printable, no spaces or line breaks)" },
  { "hostname", is_uts_name,
    "a host name (labels of letters, digits, `-` and `_` of 63 characters at most, "
    "64 in all)" },
  { "domainname", is_uts_name,
    "a domain name (labels of letters, digits, `-` and `_` of 63 characters at most, "
    "64 in all)" },
  /* Docker's only mode besides its daemon-wide remapping, which ccompose
     never does: every container shares the host's user namespace.  */
  { "userns_mode", is_host_mode, "`host` (ccompose remaps no users)" },
};

/* S between backticks, with its control characters written as escapes,
   so that the line break that made it invalid shows.  */
static char *
quoted (const char *s)
{
  cleanup_buf struct cc_buf b = { 0 };

  cc_buf_putc (&b, '`');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p == '\n')
      cc_buf_puts (&b, "\\n");
    else if (*p == '\t')
      cc_buf_puts (&b, "\\t");
    else if (*p < 0x20 || *p == 0x7f)
      cc_buf_printf (&b, "\\x%02x", *p);
    else
      cc_buf_putc (&b, (char)*p);
  cc_buf_putc (&b, '`');
  return cc_buf_steal (&b);
}

/* Entry I of KEY in service SVC: the list item, or the scalar when the
   file gave one value, or the key's node.  */
static const struct cc_node *
value_node (const struct cc_node *root, const char *svc, const char *key, size_t i)
{
  const struct cc_node *n = cc_node_path (root, "services", svc, key, NULL);

  if (n && n->kind == CC_NODE_SEQ && i < n->len)
    return n->items[i];
  if (n)
    return n;
  n = cc_node_entry (cc_node_path (root, "services", NULL), svc);
  return n ? n : root;
}

static int
check_value_rule (const struct cc_node *root, const cJSON *svc, const struct value_rule *r, cc_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (svc, r->key);
  const cJSON *first = cJSON_IsArray (v) ? v->child : v;
  size_t i = 0;

  for (const cJSON *e = first; e; e = cJSON_IsArray (v) ? e->next : NULL, i++)
    if (cJSON_IsString (e) && ! r->ok (e->valuestring))
      {
        cleanup_free char *shown = quoted (e->valuestring);
        return cc_error_at (err, value_node (root, svc->string, r->key, i), "service `%s`: %s %s is not %s",
                            svc->string, r->key, shown, r->expected);
      }
  return 0;
}

/* The name of the service's last container: container_name, or
   PROJECT-SERVICE-N for the highest replica N.  */
static int
check_container_name_length (const cJSON *model, const struct cc_node *root, const cJSON *svc, cc_error_t *err)
{
  const char *cname = cc_json_get_string (svc, "container_name");
  const cJSON *scale = cJSON_GetObjectItemCaseSensitive (svc, "scale");
  const cJSON *replicas
      = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (svc, "deploy"), "replicas");
  double n = cJSON_IsNumber (scale) ? scale->valuedouble : cJSON_IsNumber (replicas) ? replicas->valuedouble : 1;
  cleanup_free char *name
      = cname ? xstrdup (cname)
              : xasprintf ("%s-%s-%.0f", cc_json_get_string (model, "name") ?: "", svc->string, n > 1 ? n : 1);
  const struct cc_node *at = cname ? cc_node_path (root, "services", svc->string, "container_name", NULL)
                                   : cc_node_entry (cc_node_path (root, "services", NULL), svc->string);

  if (strlen (name) <= CONTAINER_NAME_MAX)
    return 0;
  return cc_error_at (err, at ? at : root, "service `%s`: container name `%.40s...` is longer than %d characters",
                      svc->string, name, CONTAINER_NAME_MAX);
}

/* ---- limits Docker refuses when it creates the container ---------------- */

/* moby daemon/daemon_unix.go: "Minimum memory limit allowed is 6MB".  */
#define MIN_MEMORY (6LL * 1024 * 1024)
/* A healthcheck duration is 0 (the default) or at least 1 ms
   (containertypes.MinimumDuration).  */
#define MIN_HEALTH_NS 1000000LL

static const char *const memory_keys[][4] = {
  { "mem_limit", NULL, NULL, NULL },
  { "deploy", "resources", "limits", "memory" },
  { "deploy", "resources", "reservations", "memory" },
};
static const char *const cpus_keys[][4] = {
  { "cpus", NULL, NULL, NULL },
  { "deploy", "resources", "limits", "cpus" },
};
static const char *const health_durations[] = { "interval", "timeout", "start_period", "start_interval" };

static const cJSON *
json_at (const cJSON *svc, const char *const keys[4])
{
  const cJSON *v = svc;

  for (size_t i = 0; i < 4 && keys[i] && v; i++)
    v = cJSON_GetObjectItemCaseSensitive (v, keys[i]);
  return v;
}

static const struct cc_node *
node_at (const struct cc_node *root, const char *svc, const char *const keys[4])
{
  const struct cc_node *n = cc_node_path (root, "services", svc, keys[0], keys[1], keys[2], keys[3], NULL);
  return n ? n : root;
}

/* "deploy.resources.limits.memory" for messages.  */
static char *
key_name (const char *const keys[4])
{
  char *name = xstrdup (keys[0]);

  for (size_t i = 1; i < 4 && keys[i]; i++)
    {
      char *longer = xasprintf ("%s.%s", name, keys[i]);
      free (name);
      name = longer;
    }
  return name;
}

/* Bytes are strings of digits in the model (`-1` kept as written).  */
static bool
bytes_at (const cJSON *svc, const char *const keys[4], long long *out)
{
  const cJSON *v = json_at (svc, keys);

  if (! cJSON_IsString (v))
    return false;
  *out = strtoll (v->valuestring, NULL, 10);
  return true;
}

static int
check_memory (const struct cc_node *root, const cJSON *svc, cc_error_t *err)
{
  static const char *const swap[4] = { "memswap_limit", NULL, NULL, NULL };
  static const char *const shm[4] = { "shm_size", NULL, NULL, NULL };
  long long mem = 0, value, memswap;

  for (size_t i = 0; i < CC_N_ELEMENTS (memory_keys); i++)
    if (bytes_at (svc, memory_keys[i], &value) && value != 0 && value < MIN_MEMORY)
      {
        cleanup_free char *name = key_name (memory_keys[i]);
        return cc_error_at (err, node_at (root, svc->string, memory_keys[i]),
                            "service `%s`: %s %lld is below the minimum memory limit of 6MB (0 means no limit)",
                            svc->string, name, value);
      }
  if (bytes_at (svc, shm, &value) && value < 0)
    return cc_error_at (err, node_at (root, svc->string, shm), "service `%s`: shm_size cannot be negative",
                        svc->string);
  if (! bytes_at (svc, memory_keys[0], &mem))
    bytes_at (svc, memory_keys[1], &mem);
  /* Docker: -1 is unlimited swap, and a swap limit needs a memory limit
     at least as low.  */
  if (bytes_at (svc, swap, &memswap) && memswap != -1 && memswap != 0 && (mem == 0 || memswap < mem))
    return cc_error_at (
        err, node_at (root, svc->string, swap), "service `%s`: memswap_limit %lld %s", svc->string, memswap,
        mem == 0 ? "needs mem_limit too" : "is below mem_limit (memory plus swap, or -1 for unlimited)");
  return 0;
}

static int
online_cpus (void)
{
  cpu_set_t set;

  if (sched_getaffinity (0, sizeof (set), &set) == 0)
    return CPU_COUNT (&set);
  return (int)sysconf (_SC_NPROCESSORS_ONLN);
}

/* Docker checks cpus against the CPUs of the machine that runs the
   container; ccompose runs it here.  */
static int
check_cpus (const struct cc_node *root, const cJSON *svc, cc_error_t *err)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (cpus_keys); i++)
    {
      const cJSON *v = json_at (svc, cpus_keys[i]);
      int n = online_cpus ();
      if (! cJSON_IsNumber (v) || v->valuedouble == 0 || (v->valuedouble >= 0.01 && v->valuedouble <= (double)n))
        continue;
      cleanup_free char *name = key_name (cpus_keys[i]);
      return cc_error_at (err, node_at (root, svc->string, cpus_keys[i]),
                          "service `%s`: %s %g: range of CPUs is from 0.01 to %d.00, as there are only %d CPUs "
                          "available (0 means no limit)",
                          svc->string, name, v->valuedouble, n, n);
    }
  return 0;
}

static int
check_healthcheck (const struct cc_node *root, const cJSON *svc, cc_error_t *err)
{
  const cJSON *hc = cJSON_GetObjectItemCaseSensitive (svc, "healthcheck");
  const cJSON *retries = cJSON_GetObjectItemCaseSensitive (hc, "retries");

  for (size_t i = 0; hc && i < CC_N_ELEMENTS (health_durations); i++)
    {
      const char *text = cc_json_get_string (hc, health_durations[i]);
      int64_t ns;
      if (text && cc_parse_duration (text, &ns, NULL) == 0 && ns > 0 && ns < MIN_HEALTH_NS)
        return cc_error_at (err, cc_node_path (root, "services", svc->string, "healthcheck", health_durations[i], NULL),
                            "service `%s`: healthcheck %s %s is below 1ms (0 means the default)", svc->string,
                            health_durations[i], text);
    }
  if (cJSON_IsNumber (retries) && retries->valuedouble < 0)
    return cc_error_at (err, cc_node_path (root, "services", svc->string, "healthcheck", "retries", NULL),
                        "service `%s`: healthcheck retries cannot be negative", svc->string);
  return 0;
}

/* A secret or config becomes a file at its target inside the container:
   `..` there would put it beside the directory it names (a source called
   `../../etc/passwd` gets /run/secrets/../../etc/passwd by default).  */
static bool
climbs (const char *path)
{
  for (const char *c = path; *c; c += strcspn (c, "/"), c += *c == '/')
    if (strncmp (c, "..", 2) == 0 && (c[2] == '/' || c[2] == '\0'))
      return true;
  return false;
}

/* uid and gid are numbers, as Docker's API takes them: no name is looked
   up in the image.  */
static bool
is_id (const char *s)
{
  char *end;
  unsigned long long v;

  if (! isdigit ((unsigned char)*s))
    return false;
  errno = 0;
  v = strtoull (s, &end, 10);
  return *end == '\0' && errno == 0 && v < 4294967295ULL;
}

static int
check_file_ref (const struct cc_node *at, const char *svc, const char *section, const cJSON *ref, cc_error_t *err)
{
  static const char *const ids[] = { "uid", "gid" };
  const char *target = cc_json_get_string (ref, "target");
  const struct cc_node *key;

  if (target && (climbs (target) || *target == '\0'))
    {
      cleanup_free char *q = quoted (target);
      key = at->kind == CC_NODE_MAP ? cc_node_map_get (at, "target") : NULL;
      return cc_error_at (err, key ? key : at, "service `%s`: %s target %s must be a path without `..`", svc, section,
                          q);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (ids); i++)
    {
      const char *v = cc_json_get_string (ref, ids[i]);
      if (v && ! is_id (v))
        {
          key = at->kind == CC_NODE_MAP ? cc_node_map_get (at, ids[i]) : NULL;
          return cc_error_at (err, key ? key : at, "service `%s`: %s %s `%s` is not a number", svc, section, ids[i], v);
        }
    }
  return 0;
}

static int
check_file_refs (const struct cc_node *root, const cJSON *svc, cc_error_t *err)
{
  static const char *const sections[] = { "secrets", "configs" };

  for (size_t s = 0; s < CC_N_ELEMENTS (sections); s++)
    {
      const cJSON *refs = cJSON_GetObjectItemCaseSensitive (svc, sections[s]);
      const struct cc_node *list = cc_node_path (root, "services", svc->string, sections[s], NULL);
      size_t i = 0;
      for (const cJSON *r = refs ? refs->child : NULL; r; r = r->next, i++)
        {
          const struct cc_node *at = list && list->kind == CC_NODE_SEQ && i < list->len ? list->items[i] : root;
          if (check_file_ref (at, svc->string, sections[s], r, err) < 0)
            return -1;
        }
    }
  return 0;
}

static int
check_service_values (const cJSON *model, const struct cc_node *root, const cJSON *svc, cc_error_t *err)
{
  static const char *const address_keys[] = { "ipv4_address", "ipv6_address" };
  const char *cname = cc_json_get_string (svc, "container_name");
  const char *image = cc_json_get_string (svc, "image");
  const cJSON *nets = cJSON_GetObjectItemCaseSensitive (svc, "networks");
  const cJSON *expose = cJSON_GetObjectItemCaseSensitive (svc, "expose");

  if (! is_service_name (svc->string))
    {
      const struct cc_node *key = cc_node_entry (cc_node_path (root, "services", NULL), svc->string);
      return cc_error_at (err, key ? key : root, "invalid service name `%s` (letters, digits, `.`, `_` and `-`)",
                          svc->string);
    }
  if (strlen (svc->string) > SERVICE_NAME_MAX)
    {
      const struct cc_node *key = cc_node_entry (cc_node_path (root, "services", NULL), svc->string);
      return cc_error_at (err, key ? key : root, "service name `%.20s...` is longer than %d characters", svc->string,
                          SERVICE_NAME_MAX);
    }
  if (cname && ! is_container_name (cname))
    return cc_error_at (err, cc_node_path (root, "services", svc->string, "container_name", NULL),
                        "invalid container_name `%s` ([a-zA-Z0-9][a-zA-Z0-9_.-]+)", cname);
  if (check_container_name_length (model, root, svc, err) < 0)
    return -1;
  if (image && *image == '\0')
    return cc_error_at (err, cc_node_path (root, "services", svc->string, "image", NULL), "`image` is empty");
  for (const cJSON *n = nets ? nets->child : NULL; n; n = n->next)
    for (size_t i = 0; i < CC_N_ELEMENTS (address_keys); i++)
      {
        const char *addr = cc_json_get_string (n, address_keys[i]);
        if (addr && check_static_address (model, root, svc->string, n->string, address_keys[i], addr, err) < 0)
          return -1;
      }
  if (check_capabilities (root, svc, "cap_add", err) < 0 || check_capabilities (root, svc, "cap_drop", err) < 0
      || check_stop_signal (root, svc, err) < 0 || check_file_refs (root, svc, err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (value_rules); i++)
    if (check_value_rule (root, svc, &value_rules[i], err) < 0)
      return -1;
  if (check_memory (root, svc, err) < 0 || check_cpus (root, svc, err) < 0 || check_healthcheck (root, svc, err) < 0)
    return -1;
  return check_expose (root, svc, expose, err);
}

int
cc_validate_values (const cJSON *model, const struct cc_node *root, cc_error_t *err)
{
  const cJSON *services = cJSON_GetObjectItemCaseSensitive (model, "services");

  if (check_network_pools (model, root, err) < 0)
    return -1;
  for (const cJSON *svc = services ? services->child : NULL; svc; svc = svc->next)
    if (check_service_values (model, root, svc, err) < 0)
      return -1;
  return 0;
}
