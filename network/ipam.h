/* Address management: pure functions over a pool, the subnets already
   in use and a route/address table, so they can be tested against a fake
   table.  IPv4 addresses are in host byte order; IPv6 ones (issue 17) are
   struct in6_addr, as the kernel has them.  */
#ifndef CC_NETWORK_IPAM_H
#define CC_NETWORK_IPAM_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

#define CC_IPAM_DEFAULT_POOL "10.89.0.0/16:24"
#define CC_IPAM_POOL_ENV "CCOMPOSE_SUBNET_POOL"
#define CC_NETWORK_CONFIG_ENV "CCOMPOSE_NETWORK_CONFIG"
#define CC_NETWORK_CONFIG_DEFAULT "/etc/ccompose/network.conf"

struct cc_ipv4_net
{
  uint32_t addr;
  int prefix;
};

/* Something on the host that a subnet must not overlap, with the text an
   error shows: "10.0.0.0/8 dev tun0".  */
struct cc_ipam_route
{
  struct cc_ipv4_net net;
  char *desc;
};

/* BASE carved into subnets of /SIZE.  */
struct cc_ipam_pool
{
  struct cc_ipv4_net base;
  int size;
};

int cc_ipv4_parse (const char *s, uint32_t *out);
int cc_ipv4_net_parse (const char *s, struct cc_ipv4_net *out, cc_error_t *err);
char *cc_ipv4_format (uint32_t a);
char *cc_ipv4_net_format (const struct cc_ipv4_net *n);
bool cc_ipv4_net_overlaps (const struct cc_ipv4_net *a, const struct cc_ipv4_net *b);
bool cc_ipv4_net_contains (const struct cc_ipv4_net *n, uint32_t a);
uint32_t cc_ipv4_mask (int prefix);

/* "CIDR[:SIZE][,CIDR[:SIZE]...]"; SIZE defaults to 24 (or the pool's own
   prefix when that is longer).  */
int cc_ipam_pools_parse (const char *spec, struct cc_ipam_pool **out, size_t *n, cc_error_t *err);
/* The pool in effect: $CCOMPOSE_SUBNET_POOL, else subnet_pool in the config
   file ($CCOMPOSE_NETWORK_CONFIG or /etc/ccompose/network.conf), else the
   default.  */
char *cc_ipam_pool_spec (cc_error_t *err);
/* KEY's value in the network configuration file ($CCOMPOSE_NETWORK_CONFIG
   or /etc/ccompose/network.conf): subnet_pool, firewall.  *OUT = NULL
   when the file or the key is missing.  */
int cc_network_config_value (const char *key, char **out, cc_error_t *err);

/* A requested subnet: error when it overlaps one in USED (our own
   networks, named by USED_NAMES) or a route; the error names the route.  */
int cc_ipam_check_subnet (const struct cc_ipv4_net *subnet, const struct cc_ipv4_net *used, char *const *used_names,
                          size_t n_used, const struct cc_ipam_route *routes, size_t n_routes, cc_error_t *err);
/* The first free subnet of the pools.  */
int cc_ipam_pick_subnet (const struct cc_ipam_pool *pools, size_t n_pools, const struct cc_ipv4_net *used,
                         size_t n_used, const struct cc_ipam_route *routes, size_t n_routes, struct cc_ipv4_net *out,
                         cc_error_t *err);
/* The lowest free host address of SUBNET (within RANGE when given), never
   the network, broadcast or gateway address.  */
int cc_ipam_pick_address (const struct cc_ipv4_net *subnet, const struct cc_ipv4_net *range, uint32_t gateway,
                          const uint32_t *used, size_t n_used, uint32_t *out, cc_error_t *err);
/* A fixed address (ipv4_address): inside SUBNET, a host address, free.  */
int cc_ipam_check_address (const struct cc_ipv4_net *subnet, uint32_t gateway, const uint32_t *used, size_t n_used,
                           uint32_t addr, cc_error_t *err);

/* An aux address (issue 15), NAME's: a host address of SUBNET other
   than its GATEWAY.  The error names both, as Docker's.  */
int cc_ipam_check_aux (const struct cc_ipv4_net *subnet, uint32_t gateway, const char *name, const char *addr,
                       uint32_t *out, cc_error_t *err);

void cc_ipam_routes_free (struct cc_ipam_route *routes, size_t n);

/* ---- IPv6 (enable_ipv6 networks) ------------------------------------------------ */

struct cc_ipv6_net
{
  struct in6_addr addr;
  int prefix;
};

struct cc_ipam_route6
{
  struct cc_ipv6_net net;
  char *desc;
};

struct cc_ipam_pool6
{
  struct cc_ipv6_net base;
  int size;
};

/* Without an IPv6 prefix in the pool, a /48 of fd00::/8 whose 40 bits of
   global ID come from the host (RFC 4193), carved into /64s, as Docker's
   default address pools derive theirs.  */
#define CC_IPAM_ULA_SIZE 64

int cc_ipv6_parse (const char *s, struct in6_addr *out);
int cc_ipv6_net_parse (const char *s, struct cc_ipv6_net *out, cc_error_t *err);
char *cc_ipv6_format (const struct in6_addr *a);
char *cc_ipv6_net_format (const struct cc_ipv6_net *n);
bool cc_ipv6_net_overlaps (const struct cc_ipv6_net *a, const struct cc_ipv6_net *b);
bool cc_ipv6_net_contains (const struct cc_ipv6_net *n, const struct in6_addr *a);
/* Whether ITEM of a pool spec (or a subnet) is an IPv6 prefix.  */
bool cc_ipam_is_ipv6 (const char *item);
/* The IPv6 items of SPEC ("fd01::/48:64"; SIZE defaults to 64); none: the
   ULA /48 of HOST_ID (the machine id).  cc_ipam_pools_parse skips them.  */
int cc_ipam_pools6_parse (const char *spec, const char *host_id, struct cc_ipam_pool6 **out, size_t *n,
                          cc_error_t *err);
/* The ULA /48 of HOST_ID: fd + the first 40 bits of its SHA-256.  */
void cc_ipam_ula_base (const char *host_id, struct cc_ipv6_net *out);
int cc_ipam_check_subnet6 (const struct cc_ipv6_net *subnet, const struct cc_ipv6_net *used, char *const *used_names,
                           size_t n_used, const struct cc_ipam_route6 *routes, size_t n_routes, cc_error_t *err);
int cc_ipam_pick_subnet6 (const struct cc_ipam_pool6 *pools, size_t n_pools, const struct cc_ipv6_net *used,
                          size_t n_used, const struct cc_ipam_route6 *routes, size_t n_routes, struct cc_ipv6_net *out,
                          cc_error_t *err);
/* The lowest free address of SUBNET (within RANGE when given), never the
   subnet-router anycast address (all host bits 0) nor GATEWAY.  */
int cc_ipam_pick_address6 (const struct cc_ipv6_net *subnet, const struct cc_ipv6_net *range,
                           const struct in6_addr *gateway, const struct in6_addr *used, size_t n_used,
                           struct in6_addr *out, cc_error_t *err);
/* A fixed address (ipv6_address): inside SUBNET, not the anycast one nor
   GATEWAY (NULL: none), free.  */
int cc_ipam_check_address6 (const struct cc_ipv6_net *subnet, const struct in6_addr *gateway,
                            const struct in6_addr *used, size_t n_used, const struct in6_addr *addr, cc_error_t *err);
void cc_ipam_routes6_free (struct cc_ipam_route6 *routes, size_t n);

#endif
