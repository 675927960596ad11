/* Host ports ccompose chooses: the pick from a range given what is taken,
   the kernel's ephemeral range, which specs ask for a choice, and the
   choice against a recorded state (members' ports taken, a container's
   own earlier choice kept).  */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "network/hostport.h"
#include "network/network.h"

#define LOOPBACK 0x7f000001u

static void
test_pick_first_free (void **state)
{
  const struct cc_port_taken taken[] = {
    { CC_NET_TCP, 0, 18000, 18000 },
    { CC_NET_UDP, 0, 18001, 18001 },
    { CC_NET_TCP, LOOPBACK, 18001, 18002 },
  };

  (void)state;
  /* Nothing taken: the first of the range.  */
  assert_int_equal (cc_hostport_pick (CC_NET_TCP, 0, 18000, 18002, NULL, 0), 18000);
  /* 18000 held on every address, 18001-18002 on 127.0.0.1: a request on
     every address meets both.  */
  assert_int_equal (cc_hostport_pick (CC_NET_TCP, 0, 18000, 18003, taken, CC_N_ELEMENTS (taken)), 18003);
  assert_int_equal (cc_hostport_pick (CC_NET_TCP, 0, 18000, 18002, taken, CC_N_ELEMENTS (taken)), 0);
  /* Another address is not held by the loopback listener.  */
  assert_int_equal (cc_hostport_pick (CC_NET_TCP, 0x7f000002u, 18000, 18002, taken, CC_N_ELEMENTS (taken)), 18001);
  /* UDP and TCP are separate spaces.  */
  assert_int_equal (cc_hostport_pick (CC_NET_UDP, 0, 18000, 18002, taken, CC_N_ELEMENTS (taken)), 18000);
  assert_int_equal (cc_hostport_pick (CC_NET_UDP, 0, 18001, 18001, taken, CC_N_ELEMENTS (taken)), 0);
  /* Hostile bounds: never port 0, never past 65535, empty ranges.  */
  assert_int_equal (cc_hostport_pick (CC_NET_TCP, 0, 0, 0, NULL, 0), 0);
  assert_int_equal (cc_hostport_pick (CC_NET_TCP, 0, 0, 5, NULL, 0), 1);
  assert_int_equal (cc_hostport_pick (CC_NET_TCP, 0, 65535, 70000, NULL, 0), 65535);
  assert_int_equal (cc_hostport_pick (CC_NET_TCP, 0, 9, 8, NULL, 0), 0);
}

static void
test_pick_whole_port_space_taken (void **state)
{
  const struct cc_port_taken all = { CC_NET_TCP, 0, 1, 65535 };

  (void)state;
  assert_int_equal (cc_hostport_pick (CC_NET_TCP, 0, 1, 65535, &all, 1), 0);
  assert_int_equal (cc_hostport_pick (CC_NET_TCP, LOOPBACK, 32768, 60999, &all, 1), 0);
}

static void
test_local_range (void **state)
{
  static const char *const bad[] = { "", "32768", "a b", "60999 32768", "0 10", "1 65536", "1 2 3", "-1 5", "1\t2x" };
  unsigned lo = 0, hi = 0;

  (void)state;
  assert_int_equal (cc_hostport_parse_local_range ("32768\t60999\n", &lo, &hi), 0);
  assert_int_equal (lo, 32768);
  assert_int_equal (hi, 60999);
  assert_int_equal (cc_hostport_parse_local_range ("1024 1024", &lo, &hi), 0);
  assert_int_equal (lo, 1024);
  assert_int_equal (hi, 1024);
  assert_int_equal (cc_hostport_parse_local_range (NULL, &lo, &hi), -1);
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    if (cc_hostport_parse_local_range (bad[i], &lo, &hi) == 0)
      fail_msg ("`%s` accepted", bad[i]);
}

static void
test_which_specs_are_chosen (void **state)
{
  static const struct
  {
    const char *spec;
    bool chosen;
  } cases[] = {
    { "0:80", true },          { "127.0.0.1:0:8080/udp", true }, { "18000-18002:80", true },
    { "8080:80", false },      { "9000-9002:7000-7002", false }, { "127.0.0.1:5353:53/udp", false },
    { "8080-8080:80", false },
  };
  static const char *const bad[] = { "0-5:80", "0:80-81", "0-0:80-81", "-0:80", "00x:80" };
  struct cc_net_port p;
  cleanup_error cc_error_t err = NULL;
  unsigned lo, hi;

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      if (cc_engine_parse_publish (cases[i].spec, &p, &err) < 0)
        fail_msg ("`%s` refused: %s", cases[i].spec, err->msg);
      if (cc_net_port_is_chosen (&p) != cases[i].chosen)
        fail_msg ("`%s`: chosen should be %d", cases[i].spec, cases[i].chosen);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      if (cc_engine_parse_publish (bad[i], &p, &err) == 0)
        fail_msg ("`%s` accepted", bad[i]);
      cc_error_release (&err);
    }
  assert_int_equal (cc_engine_parse_publish ("18000-18002:80", &p, NULL), 0);
  cc_hostport_candidates (&p, &lo, &hi);
  assert_int_equal (lo, 18000);
  assert_int_equal (hi, 18002);
  assert_int_equal (cc_engine_parse_publish ("0:80", &p, NULL), 0);
  cc_hostport_candidates (&p, &lo, &hi);
  assert_true (lo >= 1 && lo <= hi && hi <= 65535);
}

/* A state with one network: "other" publishes 61000/tcp on every
   address, "self" chose 61002 earlier.  */
static const char state_text[]
    = "{\"networks\":[{\"project\":\"p\",\"name\":\"default\",\"members\":["
      "{\"container\":\"p-other-1\",\"ports\":[{\"proto\":\"tcp\",\"host_ip\":\"\",\"host_port\":61000,"
      "\"host_port_end\":61000,\"container_port\":80,\"container_port_end\":80}]},"
      "{\"container\":\"p-web-1\",\"service\":\"web\",\"ports\":[{\"proto\":\"tcp\",\"host_ip\":\"\","
      "\"host_port\":61002,\"host_port_end\":61002,\"container_port\":80,\"container_port_end\":80}]}]}]}";

static void
choose (const char *const *specs, size_t n, const cJSON *self, const cJSON *root, struct cc_net_port *out, int expect,
        cc_error_t *err)
{
  struct cc_net_port in[4];
  struct cc_net_endpoint ep = { .project = "p", .network = "default", .container = "p-web-1", .service = "web" };

  assert_true (n <= CC_N_ELEMENTS (in));
  for (size_t i = 0; i < n; i++)
    assert_int_equal (cc_engine_parse_publish (specs[i], &in[i], NULL), 0);
  ep.ports = in;
  ep.n_ports = n;
  assert_int_equal (cc_hostport_choose (root, self, &ep, out, err), expect);
}

static void
test_choose_against_the_state (void **state)
{
  cleanup_cjson cJSON *root = cJSON_Parse (state_text);
  const cJSON *members
      = cJSON_GetObjectItem (cJSON_GetArrayItem (cJSON_GetObjectItem (root, "networks"), 0), "members");
  const cJSON *self = cJSON_GetArrayItem (members, 1);
  const char *const range[] = { "61000-61003:80" };
  const char *const two[] = { "61000-61003:80", "61000-61003:81" };
  const char *const fixed_in_range[] = { "61001:90", "61000-61003:80" };
  const char *const full[] = { "61001:90", "61000-61002:80" };
  cleanup_error cc_error_t err = NULL;
  struct cc_net_port out[4];

  (void)state;
  assert_non_null (root);
  /* The firewall is not asked: this state root alone, no kernel rules.  */
  setenv ("CCOMPOSE_FIREWALL", "none", 1);
  /* A new member: 61000 is another member's, 61001 is free.  */
  choose (range, 1, NULL, root, out, 0, NULL);
  assert_int_equal (out[0].host_port, 61001);
  assert_int_equal (out[0].host_port_end, 61001);
  assert_int_equal (out[0].container_port, 80);
  /* The member itself keeps what it chose before.  */
  choose (range, 1, self, root, out, 0, NULL);
  assert_int_equal (out[0].host_port, 61002);
  /* Two choices of one container never meet: the earlier one stays.  */
  choose (two, 2, self, root, out, 0, NULL);
  assert_int_equal (out[0].host_port, 61002);
  assert_int_equal (out[1].host_port, 61001);
  /* Its own fixed port is no choice's.  */
  choose (fixed_in_range, 2, self, root, out, 0, NULL);
  assert_int_equal (out[0].host_port, 61001);
  assert_int_equal (out[1].host_port, 61002);
  /* Another container: p-web-1's 61002 is taken too, 61001 by its own
     fixed port, 61000 by p-other-1.  Nothing free: the error names the
     service and the range.  */
  choose (full, 2, NULL, root, out, -1, &err);
  assert_non_null (err);
  assert_non_null (strstr (err->msg, "service `web`"));
  assert_non_null (strstr (err->msg, "0.0.0.0:61000-61002/tcp"));
  unsetenv ("CCOMPOSE_FIREWALL");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_pick_first_free),
    cmocka_unit_test (test_pick_whole_port_space_taken),
    cmocka_unit_test (test_local_range),
    cmocka_unit_test (test_which_specs_are_chosen),
    cmocka_unit_test (test_choose_against_the_state),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
