/* IPv6 subnets and addresses for enable_ipv6 networks (issue 17).  Pure,
   as ipam.c: 128-bit arithmetic over in6_addr, no kernel, no state.  */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/ipam.h"

typedef unsigned __int128 u128;

/* Subnets a pool is searched through at most: fd00::/8 in /64s would be
   2^56 candidates.  */
#define MAX_CANDIDATES (1u << 20)

static u128
to_u128 (const struct in6_addr *a)
{
  u128 v = 0;

  for (int i = 0; i < 16; i++)
    v = (v << 8) | a->s6_addr[i];
  return v;
}

static struct in6_addr
from_u128 (u128 v)
{
  struct in6_addr a;

  for (int i = 15; i >= 0; i--, v >>= 8)
    a.s6_addr[i] = (unsigned char)v;
  return a;
}

static u128
mask6 (int prefix)
{
  return prefix <= 0 ? 0 : ~(u128)0 << (128 - prefix);
}

int
cc_ipv6_parse (const char *s, struct in6_addr *out)
{
  return s && inet_pton (AF_INET6, s, out) == 1 ? 0 : -1;
}

int
cc_ipv6_net_parse (const char *s, struct cc_ipv6_net *out, cc_error_t *err)
{
  cleanup_free char *copy = xstrdup (s ? s : "");
  char *slash = strchr (copy, '/');
  char *end = NULL;
  long prefix = 128;

  if (slash)
    {
      *slash = '\0';
      errno = 0;
      prefix = strtol (slash + 1, &end, 10);
      if (errno || end == slash + 1 || *end || prefix < 0 || prefix > 128)
        return cc_error_make (err, EINVAL, "invalid prefix length in `%s`", s);
    }
  if (cc_ipv6_parse (copy, &out->addr) < 0)
    return cc_error_make (err, EINVAL, "invalid IPv6 address in `%s`", s);
  out->prefix = (int)prefix;
  /* As for IPv4: an address with a prefix means its network.  */
  out->addr = from_u128 (to_u128 (&out->addr) & mask6 (out->prefix));
  return 0;
}

char *
cc_ipv6_format (const struct in6_addr *a)
{
  char buf[INET6_ADDRSTRLEN];

  return xstrdup (inet_ntop (AF_INET6, a, buf, sizeof (buf)));
}

char *
cc_ipv6_net_format (const struct cc_ipv6_net *n)
{
  cleanup_free char *a = cc_ipv6_format (&n->addr);

  return xasprintf ("%s/%d", a, n->prefix);
}

bool
cc_ipv6_net_overlaps (const struct cc_ipv6_net *a, const struct cc_ipv6_net *b)
{
  u128 m = mask6 (a->prefix < b->prefix ? a->prefix : b->prefix);

  return (to_u128 (&a->addr) & m) == (to_u128 (&b->addr) & m);
}

bool
cc_ipv6_net_contains (const struct cc_ipv6_net *n, const struct in6_addr *a)
{
  u128 m = mask6 (n->prefix);

  return (to_u128 (a) & m) == (to_u128 (&n->addr) & m);
}

bool
cc_ipam_is_ipv6 (const char *item)
{
  const char *slash = strchr (item, '/');
  const char *colon = strchr (item, ':');

  return colon && (slash == NULL || colon < slash);
}

void
cc_ipam_ula_base (const char *host_id, struct cc_ipv6_net *out)
{
  unsigned char md[EVP_MAX_MD_SIZE] = { 0 };
  unsigned len = 0;

  memset (out, 0, sizeof (*out));
  /* Without libcrypto the digest stays zero: fd00::/48, still a ULA.  */
  EVP_Digest (host_id, strlen (host_id), md, &len, EVP_sha256 (), NULL);
  out->addr.s6_addr[0] = 0xfd;
  memcpy (&out->addr.s6_addr[1], md, 5);
  out->prefix = 48;
}

/* "PREFIX[:SIZE]": the size follows the last colon after the slash.  */
static int
parse_pool6 (const char *item, struct cc_ipam_pool6 *pool, cc_error_t *err)
{
  cleanup_free char *copy = xstrdup (item);
  char *slash = strchr (copy, '/');
  char *colon = slash ? strchr (slash, ':') : NULL;
  char *end = NULL;

  if (slash == NULL)
    return cc_error_make (err, EINVAL, "subnet pool `%s`: an IPv6 pool needs a prefix length", item);
  if (colon)
    *colon = '\0';
  if (cc_ipv6_net_parse (copy, &pool->base, err) < 0)
    return cc_error_wrap (err, "subnet pool `%s`", item);
  pool->size = pool->base.prefix > CC_IPAM_ULA_SIZE ? pool->base.prefix : CC_IPAM_ULA_SIZE;
  if (colon)
    {
      long size = strtol (colon + 1, &end, 10);

      if (end == colon + 1 || *end || size < pool->base.prefix || size > 124)
        return cc_error_make (err, EINVAL, "subnet pool `%s`: size must be between /%d and /124", item,
                              pool->base.prefix);
      pool->size = (int)size;
    }
  if (pool->size > 124)
    return cc_error_make (err, EINVAL, "subnet pool `%s`: /%d is too small a subnet", item, pool->size);
  return 0;
}

int
cc_ipam_pools6_parse (const char *spec, const char *host_id, struct cc_ipam_pool6 **out, size_t *n, cc_error_t *err)
{
  cleanup_strv char **items = cc_strv_split (spec ? spec : "", ',', true);
  cleanup_free struct cc_ipam_pool6 *pools = xzalloc ((cc_strv_len (items) + 1) * sizeof (*pools));
  size_t count = 0;

  for (char **it = items; it && *it; it++)
    if (cc_ipam_is_ipv6 (*it) && parse_pool6 (*it, &pools[count++], err) < 0)
      return -1;
  if (count == 0)
    {
      cc_ipam_ula_base (host_id ? host_id : "", &pools[0].base);
      pools[count++].size = CC_IPAM_ULA_SIZE;
    }
  *out = steal_pointer (&pools);
  *n = count;
  return 0;
}

static const struct cc_ipam_route6 *
find_clash6 (const struct cc_ipv6_net *subnet, const struct cc_ipam_route6 *routes, size_t n_routes)
{
  for (size_t i = 0; i < n_routes; i++)
    if (cc_ipv6_net_overlaps (subnet, &routes[i].net))
      return &routes[i];
  return NULL;
}

static bool
is_used6 (const struct cc_ipv6_net *subnet, const struct cc_ipv6_net *used, size_t n_used, size_t *which)
{
  for (size_t i = 0; i < n_used; i++)
    if (cc_ipv6_net_overlaps (subnet, &used[i]))
      {
        if (which)
          *which = i;
        return true;
      }
  return false;
}

int
cc_ipam_check_subnet6 (const struct cc_ipv6_net *subnet, const struct cc_ipv6_net *used, char *const *used_names,
                       size_t n_used, const struct cc_ipam_route6 *routes, size_t n_routes, cc_error_t *err)
{
  cleanup_free char *s = cc_ipv6_net_format (subnet);
  const struct cc_ipam_route6 *clash;
  size_t which = 0;

  if (subnet->prefix > 124)
    return cc_error_make (err, EINVAL, "subnet %s: /%d is too small a subnet", s, subnet->prefix);
  if (is_used6 (subnet, used, n_used, &which))
    return cc_error_make (err, EEXIST, "subnet %s overlaps network `%s`", s,
                          used_names && used_names[which] ? used_names[which] : "?");
  clash = find_clash6 (subnet, routes, n_routes);
  if (clash)
    return cc_error_make (err, EEXIST, "subnet %s overlaps the host route %s", s, clash->desc);
  return 0;
}

int
cc_ipam_pick_subnet6 (const struct cc_ipam_pool6 *pools, size_t n_pools, const struct cc_ipv6_net *used, size_t n_used,
                      const struct cc_ipam_route6 *routes, size_t n_routes, struct cc_ipv6_net *out, cc_error_t *err)
{
  const struct cc_ipam_route6 *last_clash = NULL;

  for (size_t p = 0; p < n_pools; p++)
    {
      u128 step = (u128)1 << (128 - pools[p].size);
      u128 base = to_u128 (&pools[p].base.addr);
      int bits = pools[p].size - pools[p].base.prefix;
      u128 count = bits >= 20 ? MAX_CANDIDATES : (u128)1 << bits;

      for (u128 i = 0; i < count; i++)
        {
          struct cc_ipv6_net cand = { from_u128 (base + i * step), pools[p].size };
          const struct cc_ipam_route6 *clash;

          if (is_used6 (&cand, used, n_used, NULL))
            continue;
          clash = find_clash6 (&cand, routes, n_routes);
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
    return cc_error_make (err, ENOSPC, "no free IPv6 subnet left in the pool (set %s); the last candidate overlaps %s",
                          CC_IPAM_POOL_ENV, last_clash->desc);
  return cc_error_make (err, ENOSPC, "no free IPv6 subnet left in the pool (set %s)", CC_IPAM_POOL_ENV);
}

static bool
taken6 (u128 a, const struct in6_addr *gateway, const struct in6_addr *used, size_t n_used)
{
  if (gateway && to_u128 (gateway) == a)
    return true;
  for (size_t i = 0; i < n_used; i++)
    if (to_u128 (&used[i]) == a)
      return true;
  return false;
}

int
cc_ipam_pick_address6 (const struct cc_ipv6_net *subnet, const struct cc_ipv6_net *range,
                       const struct in6_addr *gateway, const struct in6_addr *used, size_t n_used, struct in6_addr *out,
                       cc_error_t *err)
{
  const struct cc_ipv6_net *from = range ? range : subnet;
  u128 net = to_u128 (&subnet->addr);
  u128 first = to_u128 (&from->addr);
  u128 size = from->prefix == 0 ? ~(u128)0 : ((u128)1 << (128 - from->prefix)) - 1;
  cleanup_free char *s = cc_ipv6_net_format (from);

  if (range && (range->prefix < subnet->prefix || ! cc_ipv6_net_contains (subnet, &range->addr)))
    {
      cleanup_free char *sub = cc_ipv6_net_format (subnet);
      return cc_error_make (err, EINVAL, "ip_range %s is not inside subnet %s", s, sub);
    }
  /* Among N_USED + 2 candidates one is free: no need to walk a /64.  */
  for (u128 i = 0; i <= size && i <= (u128)n_used + 2; i++)
    if (first + i != net && ! taken6 (first + i, gateway, used, n_used))
      {
        *out = from_u128 (first + i);
        return 0;
      }
  return cc_error_make (err, ENOSPC, "no free address left in %s", s);
}

int
cc_ipam_check_address6 (const struct cc_ipv6_net *subnet, const struct in6_addr *gateway, const struct in6_addr *used,
                        size_t n_used, const struct in6_addr *addr, cc_error_t *err)
{
  cleanup_free char *a = cc_ipv6_format (addr);
  cleanup_free char *s = cc_ipv6_net_format (subnet);

  if (! cc_ipv6_net_contains (subnet, addr) || to_u128 (addr) == to_u128 (&subnet->addr))
    return cc_error_make (err, EINVAL, "address %s is not a host address of subnet %s", a, s);
  if (gateway && to_u128 (gateway) == to_u128 (addr))
    return cc_error_make (err, EADDRINUSE, "address %s is the gateway of subnet %s", a, s);
  if (taken6 (to_u128 (addr), NULL, used, n_used))
    return cc_error_make (err, EADDRINUSE, "address %s is already in use on subnet %s", a, s);
  return 0;
}

void
cc_ipam_routes6_free (struct cc_ipam_route6 *routes, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (routes[i].desc);
  free (routes);
}
