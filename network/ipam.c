/* Subnet and address allocation (pure: no kernel, no state files).  */
#include "network/ipam.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

uint32_t
cc_ipv4_mask (int prefix)
{
  return prefix <= 0 ? 0 : (uint32_t)(0xffffffffu << (32 - prefix));
}

int
cc_ipv4_parse (const char *s, uint32_t *out)
{
  struct in_addr a;

  if (s == NULL || inet_pton (AF_INET, s, &a) != 1)
    return -1;
  *out = ntohl (a.s_addr);
  return 0;
}

int
cc_ipv4_net_parse (const char *s, struct cc_ipv4_net *out, cc_error_t *err)
{
  cleanup_free char *copy = xstrdup (s ? s : "");
  char *slash = strchr (copy, '/');
  char *end = NULL;
  long prefix = 32;

  if (slash)
    {
      *slash = '\0';
      errno = 0;
      prefix = strtol (slash + 1, &end, 10);
      if (errno || end == slash + 1 || *end || prefix < 0 || prefix > 32)
        return cc_error_make (err, EINVAL, "invalid prefix length in `%s`", s);
    }
  if (cc_ipv4_parse (copy, &out->addr) < 0)
    return cc_error_make (err, EINVAL, "invalid IPv4 address in `%s`", s);
  out->prefix = (int)prefix;
  /* Docker accepts "10.1.2.3/24" and means the network: so do we.  */
  out->addr &= cc_ipv4_mask (out->prefix);
  return 0;
}

char *
cc_ipv4_format (uint32_t a)
{
  return xasprintf ("%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

char *
cc_ipv4_net_format (const struct cc_ipv4_net *n)
{
  cleanup_free char *a = cc_ipv4_format (n->addr);

  return xasprintf ("%s/%d", a, n->prefix);
}

bool
cc_ipv4_net_overlaps (const struct cc_ipv4_net *a, const struct cc_ipv4_net *b)
{
  uint32_t mask = cc_ipv4_mask (a->prefix < b->prefix ? a->prefix : b->prefix);

  return (a->addr & mask) == (b->addr & mask);
}

bool
cc_ipv4_net_contains (const struct cc_ipv4_net *n, uint32_t a)
{
  return (a & cc_ipv4_mask (n->prefix)) == (n->addr & cc_ipv4_mask (n->prefix));
}

static int
parse_pool (const char *item, struct cc_ipam_pool *pool, cc_error_t *err)
{
  cleanup_free char *copy = xstrdup (item);
  char *colon = strchr (copy, ':');
  char *end = NULL;

  if (colon)
    *colon = '\0';
  if (cc_ipv4_net_parse (copy, &pool->base, err) < 0)
    return cc_error_wrap (err, "subnet pool `%s`", item);
  pool->size = pool->base.prefix > 24 ? pool->base.prefix : 24;
  if (colon)
    {
      long size = strtol (colon + 1, &end, 10);

      if (end == colon + 1 || *end || size < pool->base.prefix || size > 30)
        return cc_error_make (err, EINVAL, "subnet pool `%s`: size must be between /%d and /30", item,
                              pool->base.prefix);
      pool->size = (int)size;
    }
  if (pool->size > 30)
    return cc_error_make (err, EINVAL, "subnet pool `%s`: /%d leaves no host addresses", item, pool->size);
  return 0;
}

int
cc_ipam_pools_parse (const char *spec, struct cc_ipam_pool **out, size_t *n, cc_error_t *err)
{
  cleanup_strv char **items = cc_strv_split (spec ? spec : "", ',', true);
  cleanup_free struct cc_ipam_pool *pools = NULL;
  size_t count = 0;

  if (cc_strv_len (items) == 0)
    return cc_error_make (err, EINVAL, "empty subnet pool");
  pools = xzalloc (cc_strv_len (items) * sizeof (*pools));
  for (char **it = items; *it; it++)
    if (! cc_ipam_is_ipv6 (*it) && parse_pool (*it, &pools[count++], err) < 0)
      return -1;
  /* A pool of IPv6 prefixes only still needs IPv4 subnets: the default's.  */
  if (count == 0)
    return cc_ipam_pools_parse (CC_IPAM_DEFAULT_POOL, out, n, err);
  *out = steal_pointer (&pools);
  *n = count;
  return 0;
}

static char *
trim (char *s)
{
  char *e;

  while (isspace ((unsigned char)*s))
    s++;
  e = s + strlen (s);
  while (e > s && isspace ((unsigned char)e[-1]))
    *--e = '\0';
  return s;
}

/* "key = value" lines, '#' comments.  */
static char *
config_value (const char *text, const char *key)
{
  cleanup_strv char **lines = cc_strv_split (text, '\n', true);

  for (char **l = lines; l && *l; l++)
    {
      char *eq = strchr (*l, '=');
      char *hash = strchr (*l, '#');

      if (hash)
        *hash = '\0';
      if (eq == NULL || (hash && hash < eq))
        continue;
      *eq = '\0';
      if (strcmp (trim (*l), key) == 0)
        return xstrdup (trim (eq + 1));
    }
  return NULL;
}

int
cc_network_config_value (const char *key, char **out, cc_error_t *err)
{
  const char *path = getenv (CC_NETWORK_CONFIG_ENV);
  cleanup_free char *text = NULL;

  *out = NULL;
  if (path == NULL || *path == '\0')
    path = CC_NETWORK_CONFIG_DEFAULT;
  if (! cc_file_exists (path))
    return 0;
  if (cc_read_file (path, &text, NULL, err) < 0)
    return -1;
  *out = config_value (text, key);
  return 0;
}

char *
cc_ipam_pool_spec (cc_error_t *err)
{
  const char *env = getenv (CC_IPAM_POOL_ENV);
  char *v = NULL;

  if (env && *env)
    return xstrdup (env);
  if (cc_network_config_value ("subnet_pool", &v, err) < 0)
    return NULL;
  if (v && *v)
    return v;
  free (v);
  return xstrdup (CC_IPAM_DEFAULT_POOL);
}

static const struct cc_ipam_route *
find_clash (const struct cc_ipv4_net *subnet, const struct cc_ipam_route *routes, size_t n_routes)
{
  for (size_t i = 0; i < n_routes; i++)
    if (cc_ipv4_net_overlaps (subnet, &routes[i].net))
      return &routes[i];
  return NULL;
}

static bool
is_used (const struct cc_ipv4_net *subnet, const struct cc_ipv4_net *used, size_t n_used, size_t *which)
{
  for (size_t i = 0; i < n_used; i++)
    if (cc_ipv4_net_overlaps (subnet, &used[i]))
      {
        if (which)
          *which = i;
        return true;
      }
  return false;
}

int
cc_ipam_check_subnet (const struct cc_ipv4_net *subnet, const struct cc_ipv4_net *used, char *const *used_names,
                      size_t n_used, const struct cc_ipam_route *routes, size_t n_routes, cc_error_t *err)
{
  cleanup_free char *s = cc_ipv4_net_format (subnet);
  const struct cc_ipam_route *clash;
  size_t which = 0;

  if (subnet->prefix > 30)
    return cc_error_make (err, EINVAL, "subnet %s: /%d leaves no host addresses", s, subnet->prefix);
  if (is_used (subnet, used, n_used, &which))
    return cc_error_make (err, EEXIST, "subnet %s overlaps network `%s`", s,
                          used_names && used_names[which] ? used_names[which] : "?");
  clash = find_clash (subnet, routes, n_routes);
  if (clash)
    return cc_error_make (err, EEXIST, "subnet %s overlaps the host route %s", s, clash->desc);
  return 0;
}

int
cc_ipam_pick_subnet (const struct cc_ipam_pool *pools, size_t n_pools, const struct cc_ipv4_net *used, size_t n_used,
                     const struct cc_ipam_route *routes, size_t n_routes, struct cc_ipv4_net *out, cc_error_t *err)
{
  const struct cc_ipam_route *last_clash = NULL;

  for (size_t p = 0; p < n_pools; p++)
    {
      uint64_t step = 1ull << (32 - pools[p].size);
      uint64_t end = (uint64_t)pools[p].base.addr + (1ull << (32 - pools[p].base.prefix));

      for (uint64_t a = pools[p].base.addr; a < end; a += step)
        {
          struct cc_ipv4_net cand = { (uint32_t)a, pools[p].size };
          const struct cc_ipam_route *clash;

          if (is_used (&cand, used, n_used, NULL))
            continue;
          clash = find_clash (&cand, routes, n_routes);
          if (clash)
            {
              last_clash = clash;
              continue;
            }
          *out = cand;
          return 0;
        }
    }
  if (last_clash)
    return cc_error_make (err, ENOSPC, "no free subnet left in the pool (set %s); the last candidate overlaps %s",
                          CC_IPAM_POOL_ENV, last_clash->desc);
  return cc_error_make (err, ENOSPC, "no free subnet left in the pool (set %s)", CC_IPAM_POOL_ENV);
}

static bool
address_taken (uint32_t a, const uint32_t *used, size_t n_used)
{
  for (size_t i = 0; i < n_used; i++)
    if (used[i] == a)
      return true;
  return false;
}

static bool
is_host_address (const struct cc_ipv4_net *subnet, uint32_t a)
{
  uint32_t host = a & ~cc_ipv4_mask (subnet->prefix);

  return cc_ipv4_net_contains (subnet, a) && host != 0 && host != ~cc_ipv4_mask (subnet->prefix);
}

int
cc_ipam_pick_address (const struct cc_ipv4_net *subnet, const struct cc_ipv4_net *range, uint32_t gateway,
                      const uint32_t *used, size_t n_used, uint32_t *out, cc_error_t *err)
{
  const struct cc_ipv4_net *from = range ? range : subnet;
  uint64_t end = (uint64_t)from->addr + (1ull << (32 - from->prefix));
  cleanup_free char *s = cc_ipv4_net_format (from);

  if (range && (range->prefix < subnet->prefix || ! cc_ipv4_net_contains (subnet, range->addr)))
    {
      cleanup_free char *sub = cc_ipv4_net_format (subnet);
      return cc_error_make (err, EINVAL, "ip_range %s is not inside subnet %s", s, sub);
    }
  for (uint64_t a = from->addr; a < end; a++)
    if (is_host_address (subnet, (uint32_t)a) && a != gateway && ! address_taken ((uint32_t)a, used, n_used))
      {
        *out = (uint32_t)a;
        return 0;
      }
  return cc_error_make (err, ENOSPC, "no free address left in %s", s);
}

int
cc_ipam_check_address (const struct cc_ipv4_net *subnet, uint32_t gateway, const uint32_t *used, size_t n_used,
                       uint32_t addr, cc_error_t *err)
{
  cleanup_free char *a = cc_ipv4_format (addr);
  cleanup_free char *s = cc_ipv4_net_format (subnet);

  if (! is_host_address (subnet, addr))
    return cc_error_make (err, EINVAL, "address %s is not a host address of subnet %s", a, s);
  if (addr == gateway)
    return cc_error_make (err, EADDRINUSE, "address %s is the gateway of subnet %s", a, s);
  if (address_taken (addr, used, n_used))
    return cc_error_make (err, EADDRINUSE, "address %s is already in use on subnet %s", a, s);
  return 0;
}

int
cc_ipam_check_aux (const struct cc_ipv4_net *subnet, uint32_t gateway, const char *name, const char *addr,
                   uint32_t *out, cc_error_t *err)
{
  cleanup_free char *s = cc_ipv4_net_format (subnet);

  if (cc_ipv4_parse (addr, out) < 0)
    return cc_error_make (err, EINVAL, "aux address `%s` of `%s` is not an IPv4 address", addr, name);
  if (! is_host_address (subnet, *out))
    return cc_error_make (err, EINVAL, "aux address `%s` of `%s` is outside subnet %s", addr, name, s);
  if (*out == gateway)
    return cc_error_make (err, EADDRINUSE, "aux address `%s` of `%s` is the gateway of subnet %s", addr, name, s);
  return 0;
}

void
cc_ipam_routes_free (struct cc_ipam_route *routes, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (routes[i].desc);
  free (routes);
}
