/* What the embedded DNS knows (dns.h), built from the network state:
   per network, the names of its members (container name, service name,
   network aliases, hostname: Docker's DNSNames without the short id we
   do not have), and per network namespace of the project, the networks
   its container is on.  Pure: the responder rebuilds it when told the
   state changed, and asks who may be answered with at each query.  */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/dns.h"
#include "network/state.h"

static bool
str_eq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

/* cc_net_member_project, without state.c: the responder program links
   this file and lib/ only.  */
static const char *
member_project (const cJSON *net, const cJSON *m)
{
  const char *own = cc_json_get_string (m, "project");

  return own ? own : cc_json_get_string (net, "project");
}

static char *
lower_dup (const char *s)
{
  char *d = xstrdup (s);

  for (char *p = d; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p + ('a' - 'A'));
  return d;
}

static bool
parse_ipv4 (const char *s, uint32_t *out)
{
  struct in_addr a;

  if (s == NULL || inet_pton (AF_INET, s, &a) != 1)
    return false;
  *out = ntohl (a.s_addr);
  return true;
}

static void
add_name (struct cc_dns_network *n, char ***seen, const char *name, size_t member)
{
  if (name == NULL || *name == '\0' || strlen (name) > 253)
    return;
  cleanup_free char *l = lower_dup (name);
  if (cc_strv_contains (*seen, l))
    return;
  cc_strv_append (seen, l);
  n->names = xreallocarray (n->names, n->n_names + 1, sizeof (*n->names));
  n->names[n->n_names++] = (struct cc_dns_name){ .name = steal_pointer (&l), .member = member };
}

static int
name_cmp (const void *a, const void *b)
{
  const struct cc_dns_name *x = a, *y = b;
  int c = strcmp (x->name, y->name);

  /* Members keep their order under one name: replicas by number.  */
  return c ? c : (x->member > y->member) - (x->member < y->member);
}

/* The containers that publish a port: only they are in a balancer, and
   only their "serving" says anything (a container without one is never
   balanced again after a start, so its flag may be stale).  */
static char **
balanced_containers (const cJSON *root)
{
  char **out = NULL;

  for (const cJSON *net = cc_net_first (root, "networks"); net; net = net->next)
    for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
      if (cJSON_GetArraySize (cJSON_GetObjectItemCaseSensitive (m, "ports")) > 0 && cc_json_get_string (m, "container")
          && ! cc_strv_contains (out, cc_json_get_string (m, "container")))
        cc_strv_append (&out, cc_json_get_string (m, "container"));
  return out;
}

static void
add_member (struct cc_dns_network *n, const cJSON *m, char *const *balanced)
{
  cleanup_strv char **seen = NULL;
  const char *container = cc_json_get_string (m, "container");
  struct cc_dns_member *mem;
  uint32_t ip = 0;
  struct in6_addr ip6;
  size_t idx = n->n_members;
  bool has_ip = parse_ipv4 (cc_json_get_string (m, "ip"), &ip);
  bool has_ip6 = inet_pton (AF_INET6, cc_json_get_string (m, "ip6") ?: "", &ip6) == 1;

  /* A member of an IPv6-only network (issue 15) has no IPv4 address.  */
  if (container == NULL || ! (has_ip || has_ip6))
    return;
  n->members = xreallocarray (n->members, n->n_members + 1, sizeof (*n->members));
  mem = &n->members[n->n_members++];
  mem->container = xstrdup (container);
  mem->fqdn = xasprintf ("%s.%s", container, n->full_name);
  mem->ip = ip;
  mem->has_ip = has_ip;
  mem->serving = ! cc_strv_contains (balanced, container) || cc_json_get_bool (m, "serving", true);
  mem->ip6 = ip6;
  mem->has_ip6 = has_ip6;
  add_name (n, &seen, container, idx);
  add_name (n, &seen, cc_json_get_string (m, "hostname"), idx);
  /* A `run` container is no replica of its service (Docker Compose
     gives it the service's aliases only with --use-aliases).  */
  if (cc_json_get_bool (m, "oneoff", false))
    return;
  add_name (n, &seen, cc_json_get_string (m, "service"), idx);
  for (const cJSON *a = cc_net_first (m, "aliases"); a; a = a->next)
    if (cJSON_IsString (a))
      add_name (n, &seen, a->valuestring, idx);
}

static void
add_network (struct cc_dns_table *t, const cJSON *net, char *const *balanced)
{
  const char *project = cc_json_get_string (net, "project") ?: "";
  const char *full = cc_json_get_string (net, "full_name");
  cleanup_free char *dflt = xasprintf ("%s_%s", project, cc_json_get_string (net, "name") ?: "");
  struct cc_dns_network *n;

  t->networks = xreallocarray (t->networks, t->n_networks + 1, sizeof (*t->networks));
  n = &t->networks[t->n_networks++];
  memset (n, 0, sizeof (*n));
  n->full_name = lower_dup (full ? full : dflt);
  n->internal = cc_json_get_bool (net, "internal", false);
  for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
    add_member (n, m, balanced);
  if (n->n_names)
    qsort (n->names, n->n_names, sizeof (*n->names), name_cmp);
}

static struct cc_dns_scope *
scope_for (struct cc_dns_table *t, const char *netns)
{
  struct cc_dns_scope *s = cc_dns_table_scope (t, netns);

  if (s)
    return s;
  t->scopes = xreallocarray (t->scopes, t->n_scopes + 1, sizeof (*t->scopes));
  s = &t->scopes[t->n_scopes++];
  memset (s, 0, sizeof (*s));
  s->netns = xstrdup (netns);
  return s;
}

static void
set_own_servers (struct cc_dns_scope *s, const cJSON *m)
{
  if (s->own)
    return;
  for (const cJSON *d = cc_net_first (m, "dns"); d; d = d->next)
    {
      uint32_t ip;
      /* Our own address would be a loop (Docker filters it too).  */
      if (! cJSON_IsString (d) || ! parse_ipv4 (d->valuestring, &ip) || ip == CC_DNS_ADDR_HOST || s->n_own >= 3)
        continue;
      s->own = xreallocarray (s->own, s->n_own + 1, sizeof (*s->own));
      s->own[s->n_own++] = (struct cc_dns_upstream){ ip, CC_DNS_PORT };
    }
}

/* eth0 before eth1: the order the container's networks were given in,
   in which Docker looks a name up.  */
static long
if_rank (const cJSON *m)
{
  const char *ifname = cc_json_get_string (m, "ifname") ?: "";

  return strncmp (ifname, "eth", 3) == 0 ? strtol (ifname + 3, NULL, 10) : 1000;
}

/* Kept sorted by RANK.  */
static void
add_to_scope (struct cc_dns_scope *s, size_t net, long rank)
{
  size_t i = s->n_networks;

  s->networks = xreallocarray (s->networks, s->n_networks + 1, sizeof (*s->networks));
  s->ranks = xreallocarray (s->ranks, s->n_networks + 1, sizeof (*s->ranks));
  for (; i > 0 && s->ranks[i - 1] > rank; i--)
    {
      s->networks[i] = s->networks[i - 1];
      s->ranks[i] = s->ranks[i - 1];
    }
  s->networks[i] = net;
  s->ranks[i] = rank;
  s->n_networks++;
}

struct cc_dns_table *
cc_dns_table_build (const cJSON *root, const char *project)
{
  struct cc_dns_table *t = xzalloc (sizeof (*t));
  cleanup_strv char **balanced = balanced_containers (root);
  size_t i = 0;

  for (const cJSON *net = cc_net_first (root, "networks"); net; net = net->next)
    add_network (t, net, balanced);
  for (const cJSON *net = cc_net_first (root, "networks"); net; net = net->next, i++)
    for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
      {
        const char *netns = cc_json_get_string (m, "netns");
        struct cc_dns_scope *s;
        if (netns == NULL || ! str_eq (member_project (net, m), project))
          continue;
        s = scope_for (t, netns);
        set_own_servers (s, m);
        s->external |= ! t->networks[i].internal;
        add_to_scope (s, i, if_rank (m));
      }
  return t;
}

void
cc_dns_table_free (struct cc_dns_table *t)
{
  for (size_t i = 0; i < t->n_networks; i++)
    {
      struct cc_dns_network *n = &t->networks[i];
      for (size_t k = 0; k < n->n_members; k++)
        {
          free (n->members[k].container);
          free (n->members[k].fqdn);
        }
      for (size_t k = 0; k < n->n_names; k++)
        free (n->names[k].name);
      free (n->members);
      free (n->names);
      free (n->full_name);
    }
  for (size_t i = 0; i < t->n_scopes; i++)
    {
      free (t->scopes[i].netns);
      free (t->scopes[i].networks);
      free (t->scopes[i].ranks);
      free (t->scopes[i].own);
    }
  free (t->networks);
  free (t->scopes);
  free (t);
}

struct cc_dns_scope *
cc_dns_table_scope (const struct cc_dns_table *t, const char *netns)
{
  for (size_t i = 0; i < t->n_scopes; i++)
    if (strcmp (t->scopes[i].netns, netns) == 0)
      return &t->scopes[i];
  return NULL;
}

/* The first entry named NAME, or N when there is none.  */
static size_t
first_named (const struct cc_dns_network *n, const char *name)
{
  size_t lo = 0, hi = n->n_names;

  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (strcmp (n->names[mid].name, name) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < n->n_names && strcmp (n->names[lo].name, name) == 0 ? lo : n->n_names;
}

static bool
has_addr (const uint32_t *v, size_t n, uint32_t ip)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] == ip)
      return true;
  return false;
}

static bool
answers (const struct cc_dns_member *m, cc_dns_eligible_fn eligible, void *data)
{
  return m->serving && eligible (m->container, data);
}

/* Where a lookup puts the eligible addresses it finds: IPv4 into OUT4,
   or with OUT6 IPv6 there.  */
struct collect
{
  cc_dns_eligible_fn eligible;
  void *data;
  uint32_t *out4;
  struct in6_addr *out6;
  size_t cap, n;
  size_t hits; /* eligible containers found, with an address of the family or not */
};

static bool
has_addr6 (const struct in6_addr *v, size_t n, const struct in6_addr *ip)
{
  for (size_t i = 0; i < n; i++)
    if (memcmp (&v[i], ip, sizeof (*ip)) == 0)
      return true;
  return false;
}

static void
collect_one (struct collect *c, const struct cc_dns_member *m)
{
  if (c->n >= c->cap || ! answers (m, c->eligible, c->data))
    return;
  c->hits++;
  if (c->out6 == NULL && m->has_ip && ! has_addr (c->out4, c->n, m->ip))
    c->out4[c->n++] = m->ip;
  else if (c->out6 && m->has_ip6 && ! has_addr6 (c->out6, c->n, &m->ip6))
    c->out6[c->n++] = m->ip6;
}

/* NAME on network N: whether N knows it; its eligible addresses collected.  */
static bool
lookup_in (const struct cc_dns_network *n, const char *name, struct collect *c)
{
  size_t i = first_named (n, name);
  bool known = i < n->n_names;

  for (; i < n->n_names && strcmp (n->names[i].name, name) == 0; i++)
    collect_one (c, &n->members[n->names[i].member]);
  return known;
}

static enum cc_dns_found
lookup (const struct cc_dns_table *t, const struct cc_dns_scope *s, const char *name, struct collect *c)
{
  char req[256];
  bool known = false;
  size_t len = strlen (name);

  if (len == 0 || len >= sizeof (req))
    return CC_DNS_UNKNOWN;
  /* "a.b.c" is a.b.c on every network, then a.b on network c, then a on
     network b.c (Docker's Sandbox.ResolveName).  */
  for (size_t cut = len;;)
    {
      const char *network = cut < len ? name + cut + 1 : NULL;
      memcpy (req, name, cut);
      req[cut] = '\0';
      for (size_t k = 0; k < s->n_networks; k++)
        {
          const struct cc_dns_network *net = &t->networks[s->networks[k]];
          if (network && strcmp (network, net->full_name) != 0)
            continue;
          known |= lookup_in (net, req, c);
          if (c->n)
            return CC_DNS_FOUND;
        }
      while (cut > 0 && name[--cut] != '.')
        ;
      if (cut == 0)
        break;
    }
  /* Containers with no address of the family (an A query of an
     IPv6-only network's, issue 15): the name exists, with no data of
     that type, as Docker answers it.  */
  if (c->hits)
    return CC_DNS_FOUND;
  return known ? CC_DNS_DOWN : CC_DNS_UNKNOWN;
}

enum cc_dns_found
cc_dns_lookup (const struct cc_dns_table *t, const struct cc_dns_scope *s, const char *name,
               cc_dns_eligible_fn eligible, void *data, uint32_t *out, size_t cap, size_t *n)
{
  struct collect c = { .eligible = eligible, .data = data, .out4 = out, .cap = cap };
  enum cc_dns_found found = lookup (t, s, name, &c);

  *n = c.n;
  return found;
}

size_t
cc_dns_lookup6 (const struct cc_dns_table *t, const struct cc_dns_scope *s, const char *name,
                cc_dns_eligible_fn eligible, void *data, struct in6_addr *out, size_t cap)
{
  struct collect c = { .eligible = eligible, .data = data, .out6 = out, .cap = cap };

  lookup (t, s, name, &c);
  return c.n;
}

const char *
cc_dns_reverse (const struct cc_dns_table *t, const struct cc_dns_scope *s, uint32_t addr, cc_dns_eligible_fn eligible,
                void *data)
{
  for (size_t k = 0; k < s->n_networks; k++)
    {
      const struct cc_dns_network *net = &t->networks[s->networks[k]];
      for (size_t i = 0; i < net->n_members; i++)
        if (net->members[i].has_ip && net->members[i].ip == addr && answers (&net->members[i], eligible, data))
          return net->members[i].fqdn;
    }
  return NULL;
}

char *
cc_net_dns_dir (void)
{
  return cc_path_join (cc_state_dir (), "network/dns");
}

/* A project's name is its files' name when it is plain and short: the
   socket's path must fit in sun_path through /proc/self/fd/N/.  */
#define MAX_PLAIN_NAME 64

static bool
is_plain_name (const char *project)
{
  size_t n = strlen (project);

  return n > 0 && n <= MAX_PLAIN_NAME
         && strspn (project, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == n
         && strcmp (project, ".") != 0 && strcmp (project, "..") != 0;
}

char *
cc_net_dns_base (const char *project)
{
  uint32_t h = 2166136261u;

  if (is_plain_name (project))
    return xstrdup (project);
  for (const char *p = project; *p; p++)
    h = (h ^ (uint8_t)*p) * 16777619u;
  return xasprintf ("project-%08x", h);
}

/* ---- upstreams ------------------------------------------------------------ */

size_t
cc_dns_nameservers (const char *text, struct cc_dns_upstream *out, size_t cap)
{
  cleanup_strv char **lines = cc_strv_split (text ? text : "", '\n', true);
  size_t n = 0;

  for (char **l = lines; l && *l && n < cap; l++)
    {
      char key[32], val[64];
      uint32_t ip;
      if (sscanf (*l, " %31s %63s", key, val) != 2 || strcmp (key, "nameserver") != 0 || ! parse_ipv4 (val, &ip)
          || ip == CC_DNS_ADDR_HOST)
        continue;
      out[n++] = (struct cc_dns_upstream){ ip, CC_DNS_PORT };
    }
  return n;
}

static const char *
env_or (const char *name, const char *dflt)
{
  const char *v = getenv (name);

  return v && *v ? v : dflt;
}

/* The only nameserver is systemd-resolved's stub (Docker's
   resolvconf.Path).  */
static bool
is_resolved_stub (const char *text)
{
  struct cc_dns_upstream ns[4];
  size_t n = cc_dns_nameservers (text, ns, 4);

  return n == 1 && ns[0].ip == 0x7f000035u;
}

char *
cc_dns_host_resolv (char **path)
{
  const char *main_path = env_or ("CCOMPOSE_RESOLV_CONF", "/etc/resolv.conf");
  const char *resolved = env_or ("CCOMPOSE_RESOLVED_CONF", "/run/systemd/resolve/resolv.conf");
  char *text = NULL;

  if (path)
    *path = NULL;
  if (cc_read_file_max (main_path, 1 << 20, &text, NULL, NULL) < 0)
    return NULL;
  if (is_resolved_stub (text))
    {
      char *real = NULL;
      if (cc_read_file_max (resolved, 1 << 20, &real, NULL, NULL) == 0)
        {
          free (text);
          if (path)
            *path = xstrdup (resolved);
          return real;
        }
    }
  if (path)
    *path = xstrdup (main_path);
  return text;
}
