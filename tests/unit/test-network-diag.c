/* The pure parts of the port preflight's socket listing: the inet_diag
   port filter (checked against the kernel's rules for bytecode, restated
   below), the IPv4 view of a socket's address, the /proc/net fallback.  */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "network/diag.h"

/* ---- the kernel's rules (net/ipv4/inet_diag.c), for the ops we emit ----------- */

static bool
is_port_op (unsigned code)
{
  return code == INET_DIAG_BC_S_GE || code == INET_DIAG_BC_S_LE || code == INET_DIAG_BC_S_EQ;
}

/* Whether offset CC (counted as bytes left) is reached by following "yes".  */
static bool
on_yes_chain (const uint8_t *bc, int len, int cc)
{
  while (len >= 0)
    {
      const struct inet_diag_bc_op *op = (const void *)bc;

      if (cc > len)
        return false;
      if (cc == len)
        return true;
      if (op->yes < 4 || op->yes & 3)
        return false;
      len -= op->yes;
      bc += op->yes;
    }
  return false;
}

static int
kernel_audit (const struct inet_diag_bc_op *prog, size_t size)
{
  const uint8_t *start = (const void *)prog, *bc = start;
  int len = (int)size;

  if (size < sizeof (*prog) || size > 65535 - 4)
    return -EINVAL;
  while (len > 0)
    {
      const struct inet_diag_bc_op *op = (const void *)bc;
      int min_len = is_port_op (op->code) ? 8 : 4;

      if (op->code != INET_DIAG_BC_JMP && ! is_port_op (op->code))
        return -EINVAL;
      if (len < min_len || op->no < min_len || op->no > len + 4 || op->no & 3)
        return -EINVAL;
      if (op->no < len && ! on_yes_chain (start, (int)size, len - op->no))
        return -EINVAL;
      if (op->yes < min_len || op->yes > len + 4 || op->yes & 3)
        return -EINVAL;
      bc += op->yes;
      len -= op->yes;
    }
  return len == 0 ? 0 : -EINVAL;
}

static bool
kernel_accepts (const struct inet_diag_bc_op *prog, size_t size, unsigned sport)
{
  const uint8_t *bc = (const void *)prog;
  int len = (int)size;

  while (len > 0)
    {
      const struct inet_diag_bc_op *op = (const void *)bc;
      bool yes = false;

      switch (op->code)
        {
        case INET_DIAG_BC_S_GE:
          yes = sport >= op[1].no;
          break;
        case INET_DIAG_BC_S_LE:
          yes = sport <= op[1].no;
          break;
        case INET_DIAG_BC_S_EQ:
          yes = sport == op[1].no;
          break;
        default: /* JMP */
          break;
        }
      len -= yes ? op->yes : op->no;
      bc += yes ? op->yes : op->no;
    }
  return len == 0;
}

static bool
in_ranges (const struct cc_port_range *r, size_t n, unsigned port)
{
  for (size_t i = 0; i < n; i++)
    if (r[i].lo <= port && port <= r[i].hi)
      return true;
  return false;
}

/* The filter passes the audit and accepts exactly the ports of R.  */
static void
assert_filter_is (const struct cc_port_range *r, size_t n)
{
  size_t len = 0;
  cleanup_free struct inet_diag_bc_op *bc = cc_diag_port_filter (r, n, &len);

  assert_non_null (bc);
  assert_int_equal (kernel_audit (bc, len), 0);
  for (unsigned port = 0; port <= 65535; port++)
    if (kernel_accepts (bc, len, port) != in_ranges (r, n, port))
      fail_msg ("port %u: filter says %d", port, kernel_accepts (bc, len, port));
}

/* ---- the filter ----------------------------------------------------------------- */

static void
test_filter_one_range_bytes (void **state)
{
  (void)state;
  const struct cc_port_range r = { 8080, 8180 };
  size_t len = 0;
  cleanup_free struct inet_diag_bc_op *bc = cc_diag_port_filter (&r, 1, &len);

  assert_int_equal (len, 4 * sizeof (*bc));
  assert_int_equal (bc[0].code, INET_DIAG_BC_S_GE);
  assert_int_equal (bc[1].no, 8080);
  assert_int_equal (bc[2].code, INET_DIAG_BC_S_LE);
  assert_int_equal (bc[3].no, 8180);
  assert_filter_is (&r, 1);
}

static void
test_filter_accepts_exactly_the_ranges (void **state)
{
  (void)state;
  const struct cc_port_range single[] = { { 5000, 5000 } };
  /* Unsorted, disjoint.  */
  const struct cc_port_range two[] = { { 9000, 9100 }, { 80, 180 } };
  /* The extremes of the port space.  */
  const struct cc_port_range edges[] = { { 65535, 65535 }, { 0, 0 }, { 1, 1 } };
  const struct cc_port_range everything[] = { { 0, 65535 } };
  const struct cc_port_range three[] = { { 30000, 30002 }, { 20000, 20100 }, { 10, 12 } };

  assert_filter_is (single, 1);
  assert_filter_is (two, 2);
  assert_filter_is (edges, 3);
  assert_filter_is (everything, 1);
  assert_filter_is (three, 3);
}

static void
test_filter_merges_overlapping_ranges (void **state)
{
  (void)state;
  /* Overlapping, nested, adjacent and duplicated: one range remains.  */
  const struct cc_port_range r[] = { { 8000, 8100 }, { 8050, 8200 }, { 8060, 8070 }, { 8201, 8300 }, { 8000, 8100 } };
  size_t len = 0;
  cleanup_free struct inet_diag_bc_op *bc = cc_diag_port_filter (r, CC_N_ELEMENTS (r), &len);

  assert_int_equal (len, 4 * sizeof (*bc));
  assert_int_equal (bc[1].no, 8000);
  assert_int_equal (bc[3].no, 8300);
  assert_filter_is (r, CC_N_ELEMENTS (r));
}

/* Thousands of ports (a hostile or generated compose file) must not
   overflow the kernel's 16-bit jumps: the filter then covers a superset.  */
static void
test_filter_with_too_many_ranges_stays_valid (void **state)
{
  (void)state;
  enum
  {
    N = 5000
  };
  cleanup_free struct cc_port_range *r = calloc (N, sizeof (*r));
  cleanup_free struct inet_diag_bc_op *bc = NULL;
  size_t len = 0;

  for (unsigned i = 0; i < N; i++)
    r[i] = (struct cc_port_range){ (uint16_t)(1000 + 3 * i), (uint16_t)(1000 + 3 * i) };
  bc = cc_diag_port_filter (r, N, &len);
  assert_non_null (bc);
  assert_true (len <= 65535 - 4);
  assert_int_equal (kernel_audit (bc, len), 0);
  for (unsigned i = 0; i < N; i++)
    assert_true (kernel_accepts (bc, len, r[i].lo));
  assert_false (kernel_accepts (bc, len, 999));
  assert_false (kernel_accepts (bc, len, 1000 + 3 * N));
}

static void
test_filter_of_nothing_is_none (void **state)
{
  (void)state;
  size_t len = 42;

  assert_null (cc_diag_port_filter (NULL, 0, &len));
  assert_int_equal (len, 0);
}

/* ---- addresses ------------------------------------------------------------------ */

static bool
view (int family, const char *text, uint32_t *out)
{
  uint32_t src[4] = { 0 };

  assert_int_equal (inet_pton (family, text, src), 1);
  return cc_diag_ipv4_view (family, src, out);
}

static void
test_ipv4_view_of_addresses (void **state)
{
  (void)state;
  uint32_t a = 1;

  assert_true (view (AF_INET, "127.0.0.1", &a));
  assert_int_equal (a, 0x7f000001);
  assert_true (view (AF_INET, "0.0.0.0", &a));
  assert_int_equal (a, 0);
  /* The dual-stack wildcard takes every IPv4 address.  */
  a = 1;
  assert_true (view (AF_INET6, "::", &a));
  assert_int_equal (a, 0);
  assert_true (view (AF_INET6, "::ffff:10.1.2.3", &a));
  assert_int_equal (a, 0x0a010203);
  /* IPv6-only addresses see no IPv4 traffic.  */
  assert_false (view (AF_INET6, "::1", &a));
  assert_false (view (AF_INET6, "fe80::1", &a));
  assert_false (view (AF_INET6, "2001:db8::ffff:10.1.2.3", &a));
  assert_false (view (AF_INET6, "::10.1.2.3", &a)); /* IPv4-compatible, not mapped */
  assert_false (view (AF_INET6, "0:0:1::ffff:10.1.2.3", &a));
  /* A family inet_diag should never report.  */
  uint32_t src[4] = { 0 };
  assert_false (cc_diag_ipv4_view (AF_UNIX, src, &a));
}

/* ---- /proc/net lines ------------------------------------------------------------ */

#define TCP_LISTEN 10
#define TCP_CLOSE 7

static void
test_proc_lines (void **state)
{
  (void)state;
  struct cc_listener l = { 0 };

  assert_true (cc_diag_parse_proc_line ("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   "
                                        "  0        0 4242 1 0000000000000000 "
                                        "100 0 0 10 0",
                                        false, TCP_LISTEN, &l));
  assert_int_equal (l.addr, 0x7f000001);
  assert_int_equal (l.port, 8080);
  assert_int_equal (l.inode, 4242);
  assert_true (cc_diag_parse_proc_line ("   1: 00000000000000000000000000000000:0050 "
                                        "00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 "
                                        "00000000     0        0 77 1 0000000000000000 100 0 0 10 0",
                                        true, TCP_LISTEN, &l));
  assert_int_equal (l.addr, 0);
  assert_int_equal (l.port, 80);
  assert_int_equal (l.inode, 77);
  /* v4-mapped 127.0.0.1, as a little-endian kernel prints it.  */
  assert_true (cc_diag_parse_proc_line ("   2: 0000000000000000FFFF00000100007F:2328 "
                                        "00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 "
                                        "00000000     0        0 99 2 0000000000000000 0",
                                        true, TCP_CLOSE, &l));
  assert_int_equal (l.addr, 0x7f000001);
  assert_int_equal (l.port, 9000);
}

static void
test_proc_lines_malformed_and_hostile (void **state)
{
  (void)state;
  struct cc_listener l = { 0 };
  static const char *const bad[] = {
    "",
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    /* An established connection, not a listener.  */
    "   0: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 1 1",
    /* Truncated before the inode.  */
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0",
    /* An IPv6 address in the IPv4 table, and a short one.  */
    "   0: 00000000000000000000000000000000:1F90 00000000:0000 0A 0:0 00:0 0 0 0 5 1",
    "   0: 7F:1F90 00000000:0000 0A 0:0 00:0 0 0 0 5 1",
    /* Not hex, an endless address, a port out of range.  */
    "   0: 0100007G:1F90 00000000:0000 0A 0:0 00:0 0 0 0 5 1",
    "   0: 0100007F0100007F0100007F0100007F0100007F0100007F:1F90 0:0 0A 0:0 00:0 0 0 0 5 1",
    "   0: 0100007F:FFFFF 00000000:0000 0A 0:0 00:0 0 0 0 5 1",
  };

  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    if (cc_diag_parse_proc_line (bad[i], false, TCP_LISTEN, &l))
      fail_msg ("accepted: %s", bad[i]);
  /* ::1 takes no IPv4 traffic.  */
  assert_false (cc_diag_parse_proc_line ("   0: 00000000000000000000000001000000:1F90 "
                                         "00000000000000000000000000000000:0000 0A 0:0 00:0 0 0 0 5 1",
                                         true, TCP_LISTEN, &l));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_filter_one_range_bytes),
    cmocka_unit_test (test_filter_accepts_exactly_the_ranges),
    cmocka_unit_test (test_filter_merges_overlapping_ranges),
    cmocka_unit_test (test_filter_with_too_many_ranges_stays_valid),
    cmocka_unit_test (test_filter_of_nothing_is_none),
    cmocka_unit_test (test_ipv4_view_of_addresses),
    cmocka_unit_test (test_proc_lines),
    cmocka_unit_test (test_proc_lines_malformed_and_hostile),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
