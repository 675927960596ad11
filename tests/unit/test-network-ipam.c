/* IPAM: pools, subnet choice against a fake route table, addresses.  */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/xalloc.h"
#include "network/ipam.h"

static struct cc_ipv4_net
net (const char *s)
{
  struct cc_ipv4_net n;

  assert_int_equal (cc_ipv4_net_parse (s, &n, NULL), 0);
  return n;
}

static uint32_t
ip (const char *s)
{
  uint32_t a;

  assert_int_equal (cc_ipv4_parse (s, &a), 0);
  return a;
}

static void
assert_net (const struct cc_ipv4_net *n, const char *want)
{
  cleanup_free char *s = cc_ipv4_net_format (n);
  assert_string_equal (s, want);
}

static void
assert_error_contains (cc_error_t err, const char *text)
{
  assert_non_null (err);
  if (strstr (err->msg, text) == NULL)
    fail_msg ("error `%s` lacks `%s`", err->msg, text);
}

static void
test_parse_and_format (void **state)
{
  struct cc_ipv4_net n;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  /* A host address with a prefix means its network, as Docker reads it.  */
  n = net ("10.1.2.3/24");
  assert_net (&n, "10.1.2.0/24");
  n = net ("192.168.7.9");
  assert_net (&n, "192.168.7.9/32");
  static const char *const bad[]
      = { "",        "10.0.0.0/33",   "10.0.0.0/-1", "10.0.0/24", "10.0.0.0/", "10.0.0.0/2x", "256.0.0.0/8",
          "::1/128", "10.0.0.0/24/24" };
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      assert_int_equal (cc_ipv4_net_parse (bad[i], &n, &err), -1);
      assert_int_equal (err->status, EINVAL);
      cc_error_release (&err);
    }
}

static void
test_pools (void **state)
{
  cleanup_free struct cc_ipam_pool *pools = NULL;
  size_t n = 0;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_ipam_pools_parse (CC_IPAM_DEFAULT_POOL, &pools, &n, NULL), 0);
  assert_int_equal (n, 1);
  assert_int_equal (pools[0].size, 24);
  assert_net (&pools[0].base, "10.89.0.0/16");
  free (steal_pointer (&pools));
  assert_int_equal (cc_ipam_pools_parse ("172.30.0.0/16:26,10.200.0.0/28", &pools, &n, NULL), 0);
  assert_int_equal (n, 2);
  assert_int_equal (pools[0].size, 26);
  assert_int_equal (pools[1].size, 28);
  free (steal_pointer (&pools));
  static const char *const bad[]
      = { "", ",", "10.0.0.0/16:8", "10.0.0.0/16:31", "10.0.0.0/16:x", "nonsense", "10.0.0.0/31" };
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      assert_int_equal (cc_ipam_pools_parse (bad[i], &pools, &n, &err), -1);
      assert_non_null (err);
      cc_error_release (&err);
    }
}

static void
test_pick_reuse_after_free (void **state)
{
  struct cc_ipam_pool pool = { net ("10.89.0.0/16"), 24 };
  struct cc_ipv4_net used[2], out;

  (void)state;
  assert_int_equal (cc_ipam_pick_subnet (&pool, 1, NULL, 0, NULL, 0, &out, NULL), 0);
  assert_net (&out, "10.89.0.0/24");
  used[0] = out;
  assert_int_equal (cc_ipam_pick_subnet (&pool, 1, used, 1, NULL, 0, &out, NULL), 0);
  assert_net (&out, "10.89.1.0/24");
  used[1] = out;
  /* The first network goes: its subnet is handed out again.  */
  used[0] = used[1];
  assert_int_equal (cc_ipam_pick_subnet (&pool, 1, used, 1, NULL, 0, &out, NULL), 0);
  assert_net (&out, "10.89.0.0/24");
}

static void
test_clash_names_the_route (void **state)
{
  struct cc_ipam_pool pool = { net ("10.89.0.0/16"), 24 };
  struct cc_ipam_route routes[] = {
    { net ("10.89.0.0/23"), (char *)"10.89.0.0/23 dev tun0" },
    { net ("192.168.1.0/24"), (char *)"192.168.1.0/24 dev eth0" },
  };
  struct cc_ipv4_net out, want;
  char *names[] = { (char *)"proj_default", NULL };
  cleanup_error cc_error_t err = NULL;

  (void)state;
  /* Skips the two /24s under the VPN route.  */
  assert_int_equal (cc_ipam_pick_subnet (&pool, 1, NULL, 0, routes, 2, &out, NULL), 0);
  assert_net (&out, "10.89.2.0/24");
  /* A requested subnet that overlaps a route: the error names it.  */
  want = net ("10.89.1.0/24");
  assert_int_equal (cc_ipam_check_subnet (&want, NULL, NULL, 0, routes, 2, &err), -1);
  assert_error_contains (err, "10.89.1.0/24 overlaps the host route 10.89.0.0/23 dev tun0");
  cc_error_release (&err);
  /* ... or one of our own networks: the error names the network.  */
  want = net ("10.89.2.128/25");
  assert_int_equal (cc_ipam_check_subnet (&want, &out, names, 1, routes, 2, &err), -1);
  assert_error_contains (err, "overlaps network `proj_default`");
  cc_error_release (&err);
  want = net ("10.99.0.0/24");
  assert_int_equal (cc_ipam_check_subnet (&want, &out, names, 1, routes, 2, NULL), 0);
}

static void
test_exhaustion_names_the_route (void **state)
{
  struct cc_ipam_pool pool = { net ("10.89.0.0/22"), 24 };
  struct cc_ipam_route vpn = { net ("10.0.0.0/8"), (char *)"10.0.0.0/8 dev tun0" };
  struct cc_ipv4_net used[]
      = { net ("10.89.0.0/24"), net ("10.89.1.0/24"), net ("10.89.2.0/24"), net ("10.89.3.0/24") };
  struct cc_ipv4_net out;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_ipam_pick_subnet (&pool, 1, NULL, 0, &vpn, 1, &out, &err), -1);
  assert_int_equal (err->status, ENOSPC);
  assert_error_contains (err, "10.0.0.0/8 dev tun0");
  cc_error_release (&err);
  assert_int_equal (cc_ipam_pick_subnet (&pool, 1, used, 4, NULL, 0, &out, &err), -1);
  assert_int_equal (err->status, ENOSPC);
  assert_error_contains (err, CC_IPAM_POOL_ENV);
}

static void
test_addresses (void **state)
{
  struct cc_ipv4_net subnet = net ("10.89.5.0/24"), tiny = net ("10.89.6.0/30"), range = net ("10.89.5.128/25");
  uint32_t used[] = { ip ("10.89.5.2"), ip ("10.89.5.3") };
  uint32_t out;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_ipam_pick_address (&subnet, NULL, ip ("10.89.5.1"), NULL, 0, &out, NULL), 0);
  assert_int_equal (out, ip ("10.89.5.2"));
  assert_int_equal (cc_ipam_pick_address (&subnet, NULL, ip ("10.89.5.1"), used, 2, &out, NULL), 0);
  assert_int_equal (out, ip ("10.89.5.4"));
  /* Freed addresses come back.  */
  assert_int_equal (cc_ipam_pick_address (&subnet, NULL, ip ("10.89.5.1"), used + 1, 1, &out, NULL), 0);
  assert_int_equal (out, ip ("10.89.5.2"));
  assert_int_equal (cc_ipam_pick_address (&subnet, &range, ip ("10.89.5.1"), used, 2, &out, NULL), 0);
  assert_int_equal (out, ip ("10.89.5.128"));
  /* /30: .1 is the gateway, .2 the only host; then none is left.  */
  assert_int_equal (cc_ipam_pick_address (&tiny, NULL, ip ("10.89.6.1"), NULL, 0, &out, NULL), 0);
  assert_int_equal (out, ip ("10.89.6.2"));
  assert_int_equal (cc_ipam_pick_address (&tiny, NULL, ip ("10.89.6.1"), &out, 1, &out, &err), -1);
  assert_int_equal (err->status, ENOSPC);
  cc_error_release (&err);
  /* An ip_range outside the subnet.  */
  range = net ("10.90.0.0/25");
  assert_int_equal (cc_ipam_pick_address (&subnet, &range, 0, NULL, 0, &out, &err), -1);
  assert_error_contains (err, "not inside subnet");
}

/* Issue 15: an aux address is a host address of the subnet but its
   gateway, and once reserved (among the used ones) never given out.  */
static void
test_aux_addresses (void **state)
{
  struct cc_ipv4_net subnet = net ("10.89.5.0/24");
  uint32_t aux, out;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_ipam_check_aux (&subnet, ip ("10.89.5.1"), "router", "10.89.5.2", &aux, NULL), 0);
  assert_int_equal (aux, ip ("10.89.5.2"));
  assert_int_equal (cc_ipam_pick_address (&subnet, NULL, ip ("10.89.5.1"), &aux, 1, &out, NULL), 0);
  assert_int_equal (out, ip ("10.89.5.3"));
  assert_int_equal (cc_ipam_check_address (&subnet, ip ("10.89.5.1"), &aux, 1, aux, &err), -1);
  cc_error_release (&err);
  assert_int_equal (cc_ipam_check_aux (&subnet, ip ("10.89.5.1"), "router", "10.89.6.2", &aux, &err), -1);
  assert_error_contains (err, "aux address `10.89.6.2` of `router` is outside subnet 10.89.5.0/24");
  cc_error_release (&err);
  assert_int_equal (cc_ipam_check_aux (&subnet, ip ("10.89.5.1"), "router", "10.89.5.1", &aux, &err), -1);
  assert_error_contains (err, "is the gateway of subnet 10.89.5.0/24");
  cc_error_release (&err);
  assert_int_equal (cc_ipam_check_aux (&subnet, ip ("10.89.5.1"), "router", "10.89.5.255", &aux, &err), -1);
  assert_error_contains (err, "outside subnet");
  cc_error_release (&err);
  assert_int_equal (cc_ipam_check_aux (&subnet, ip ("10.89.5.1"), "router", "router.lan", &aux, &err), -1);
  assert_error_contains (err, "not an IPv4 address");
}

static void
test_fixed_addresses (void **state)
{
  struct cc_ipv4_net subnet = net ("10.89.5.0/24");
  uint32_t gw = ip ("10.89.5.1"), used[] = { ip ("10.89.5.7") };
  static const struct
  {
    const char *addr;
    int status;
  } cases[] = {
    { "10.89.5.9", 0 },          { "10.89.5.0", EINVAL },     { "10.89.5.255", EINVAL },
    { "10.89.5.1", EADDRINUSE }, { "10.89.5.7", EADDRINUSE }, { "10.89.6.9", EINVAL },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_error cc_error_t err = NULL;
      int r = cc_ipam_check_address (&subnet, gw, used, 1, ip (cases[i].addr), &err);

      assert_int_equal (r, cases[i].status ? -1 : 0);
      if (cases[i].status)
        assert_int_equal (err->status, cases[i].status);
    }
}

static void
test_pool_from_env_and_config (void **state)
{
  char path[] = "/tmp/cc-ipam-conf.XXXXXX";
  int fd = mkstemp (path);
  const char text[] = "# ccompose network settings\nother = 1\n subnet_pool = 172.29.0.0/16:25 # office LAN avoided\n";
  char *spec;

  (void)state;
  assert_true (fd >= 0);
  assert_int_equal (write (fd, text, sizeof (text) - 1), (ssize_t)sizeof (text) - 1);
  close (fd);
  unsetenv (CC_IPAM_POOL_ENV);
  setenv (CC_NETWORK_CONFIG_ENV, "/nonexistent/ccompose.conf", 1);
  spec = cc_ipam_pool_spec (NULL);
  assert_string_equal (spec, CC_IPAM_DEFAULT_POOL);
  free (spec);
  setenv (CC_NETWORK_CONFIG_ENV, path, 1);
  spec = cc_ipam_pool_spec (NULL);
  assert_string_equal (spec, "172.29.0.0/16:25");
  free (spec);
  setenv (CC_IPAM_POOL_ENV, "10.123.0.0/16", 1);
  spec = cc_ipam_pool_spec (NULL);
  assert_string_equal (spec, "10.123.0.0/16");
  free (spec);
  unsetenv (CC_IPAM_POOL_ENV);
  unsetenv (CC_NETWORK_CONFIG_ENV);
  unlink (path);
}

/* ---- IPv6 (issue 17) ---- */

static struct cc_ipv6_net
net6 (const char *s)
{
  struct cc_ipv6_net n;

  assert_int_equal (cc_ipv6_net_parse (s, &n, NULL), 0);
  return n;
}

static struct in6_addr
ip6 (const char *s)
{
  struct in6_addr a;

  assert_int_equal (cc_ipv6_parse (s, &a), 0);
  return a;
}

static void
assert_net6 (const struct cc_ipv6_net *n, const char *want)
{
  cleanup_free char *s = cc_ipv6_net_format (n);
  assert_string_equal (s, want);
}

static void
assert_ip6 (const struct in6_addr *a, const char *want)
{
  cleanup_free char *s = cc_ipv6_format (a);
  assert_string_equal (s, want);
}

static void
test_ipv6_parse_and_overlap (void **state)
{
  struct cc_ipv6_net n = net6 ("fd01:2:3:4::5/64"), big = net6 ("fd01::/16"), other = net6 ("fd02::/64");
  struct in6_addr inside = ip6 ("fd01:2:3:4:ffff::1");
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_net6 (&n, "fd01:2:3:4::/64");
  assert_true (cc_ipv6_net_overlaps (&n, &big));
  assert_true (cc_ipv6_net_overlaps (&big, &n));
  assert_false (cc_ipv6_net_overlaps (&n, &other));
  assert_true (cc_ipv6_net_contains (&n, &inside));
  assert_int_equal (cc_ipv6_net_parse ("fd01::/129", &n, &err), -1);
  assert_int_equal (err->status, EINVAL);
  cc_error_release (&err);
  assert_int_equal (cc_ipv6_net_parse ("10.0.0.0/8", &n, &err), -1);
  assert_true (cc_ipam_is_ipv6 ("fd00::/48:64"));
  assert_false (cc_ipam_is_ipv6 ("10.0.0.0/16:24"));
}

static void
test_ipv6_pools (void **state)
{
  cleanup_free struct cc_ipam_pool6 *p6 = NULL;
  cleanup_free struct cc_ipam_pool *p4 = NULL;
  cleanup_error cc_error_t err = NULL;
  struct cc_ipv6_net ula, ula2;
  size_t n = 0;

  (void)state;
  /* One spec holds both families; each parser takes its own.  */
  assert_int_equal (cc_ipam_pools_parse ("10.50.0.0/16:24,fd42:1::/48:56", &p4, &n, NULL), 0);
  assert_int_equal (n, 1);
  assert_net (&p4[0].base, "10.50.0.0/16");
  assert_int_equal (cc_ipam_pools6_parse ("10.50.0.0/16:24,fd42:1::/48:56", "x", &p6, &n, NULL), 0);
  assert_int_equal (n, 1);
  assert_net6 (&p6[0].base, "fd42:1::/48");
  assert_int_equal (p6[0].size, 56);
  free (p6);
  p6 = NULL;
  /* IPv6 only: IPv4 gets the default pool.  */
  free (p4);
  p4 = NULL;
  assert_int_equal (cc_ipam_pools_parse ("fd42:1::/48", &p4, &n, NULL), 0);
  assert_net (&p4[0].base, "10.89.0.0/16");
  /* No IPv6 prefix: the host's ULA /48 in /64s, stable for one host id.  */
  assert_int_equal (cc_ipam_pools6_parse ("10.50.0.0/16", "machine-a", &p6, &n, NULL), 0);
  assert_int_equal (n, 1);
  assert_int_equal (p6[0].size, 64);
  assert_int_equal (p6[0].base.prefix, 48);
  assert_int_equal (p6[0].base.addr.s6_addr[0], 0xfd);
  cc_ipam_ula_base ("machine-a", &ula);
  cc_ipam_ula_base ("machine-b", &ula2);
  assert_memory_equal (&ula, &p6[0].base, sizeof (ula));
  assert_false (cc_ipv6_net_overlaps (&ula, &ula2));
  free (p6);
  p6 = NULL;
  assert_int_equal (cc_ipam_pools6_parse ("fd42::/48:130", "x", &p6, &n, &err), -1);
  assert_non_null (err);
  cc_error_release (&err);
  assert_int_equal (cc_ipam_pools6_parse ("fd42::", "x", &p6, &n, &err), -1);
  assert_error_contains (err, "prefix length");
}

static void
test_ipv6_pick_and_clash (void **state)
{
  struct cc_ipam_pool6 pool = { net6 ("fd42:1::/48"), 64 };
  struct cc_ipv6_net used[] = { net6 ("fd42:1::/64") };
  char *names[] = { (char *)"p_default", NULL };
  struct cc_ipam_route6 routes[] = { { net6 ("fd42:1:0:1::/64"), (char *)"fd42:1:0:1::/64 dev tun6" } };
  struct cc_ipam_pool6 tiny = { net6 ("fd42:1::/63"), 64 };
  struct cc_ipv6_net out;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  /* Skips our own network and the one under the host route.  */
  assert_int_equal (cc_ipam_pick_subnet6 (&pool, 1, used, 1, routes, 1, &out, NULL), 0);
  assert_net6 (&out, "fd42:1:0:2::/64");
  /* A requested subnet over another network or a route: named.  */
  assert_int_equal (cc_ipam_check_subnet6 (&used[0], used, names, 1, routes, 1, &err), -1);
  assert_error_contains (err, "overlaps network `p_default`");
  cc_error_release (&err);
  out = net6 ("fd42:1::/60");
  assert_int_equal (cc_ipam_check_subnet6 (&out, NULL, NULL, 0, routes, 1, &err), -1);
  assert_error_contains (err, "subnet fd42:1::/60 overlaps the host route fd42:1:0:1::/64 dev tun6");
  cc_error_release (&err);
  /* Exhausted: the error names the route that took the last candidate.  */
  assert_int_equal (cc_ipam_pick_subnet6 (&tiny, 1, used, 1, routes, 1, &out, &err), -1);
  assert_error_contains (err, "overlaps fd42:1:0:1::/64 dev tun6");
}

static void
test_ipv6_addresses (void **state)
{
  struct cc_ipv6_net subnet = net6 ("fd42:1::/64"), range = net6 ("fd42:1::100/120");
  struct in6_addr gw = ip6 ("fd42:1::1"), used[] = { ip6 ("fd42:1::2") }, out;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  /* Never the anycast ::0 nor the gateway nor a used one.  */
  assert_int_equal (cc_ipam_pick_address6 (&subnet, NULL, &gw, used, 1, &out, NULL), 0);
  assert_ip6 (&out, "fd42:1::3");
  assert_int_equal (cc_ipam_pick_address6 (&subnet, &range, &gw, used, 1, &out, NULL), 0);
  assert_ip6 (&out, "fd42:1::100");
  out = ip6 ("fd42:2::5");
  assert_int_equal (cc_ipam_check_address6 (&subnet, &gw, used, 1, &out, &err), -1);
  assert_error_contains (err, "not a host address of subnet fd42:1::/64");
  cc_error_release (&err);
  assert_int_equal (cc_ipam_check_address6 (&subnet, &gw, used, 1, &used[0], &err), -1);
  assert_error_contains (err, "already in use");
  cc_error_release (&err);
  assert_int_equal (cc_ipam_check_address6 (&subnet, &gw, used, 1, &gw, &err), -1);
  assert_error_contains (err, "is the gateway");
  cc_error_release (&err);
  out = ip6 ("fd42:1::9");
  assert_int_equal (cc_ipam_check_address6 (&subnet, &gw, used, 1, &out, NULL), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse_and_format),
    cmocka_unit_test (test_pools),
    cmocka_unit_test (test_pick_reuse_after_free),
    cmocka_unit_test (test_clash_names_the_route),
    cmocka_unit_test (test_exhaustion_names_the_route),
    cmocka_unit_test (test_addresses),
    cmocka_unit_test (test_aux_addresses),
    cmocka_unit_test (test_fixed_addresses),
    cmocka_unit_test (test_pool_from_env_and_config),
    cmocka_unit_test (test_ipv6_parse_and_overlap),
    cmocka_unit_test (test_ipv6_pools),
    cmocka_unit_test (test_ipv6_pick_and_clash),
    cmocka_unit_test (test_ipv6_addresses),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
