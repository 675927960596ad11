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
    cmocka_unit_test (test_fixed_addresses),
    cmocka_unit_test (test_pool_from_env_and_config),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
