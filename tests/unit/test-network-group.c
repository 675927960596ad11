/* Link groups: derivation, validation of what the state records, and the
   check that decides between the one-batch and the one-by-one teardown.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "network/link.h"
#include "network/netimpl.h"

static void
test_derivation_is_stable_in_range_and_separates_parts (void **state)
{
  uint32_t g = cc_net_group_derive ("", "app", "default", "cc0123456789abc");

  (void)state;
  assert_int_equal (g, cc_net_group_derive ("", "app", "default", "cc0123456789abc"));
  assert_true (cc_net_group_is_valid (g));
  /* Every part of the identity counts, and parts do not run together.  */
  assert_int_not_equal (g, cc_net_group_derive ("@a1b2c3", "app", "default", "cc0123456789abc"));
  assert_int_not_equal (g, cc_net_group_derive ("", "app2", "default", "cc0123456789abc"));
  assert_int_not_equal (g, cc_net_group_derive ("", "app", "back", "cc0123456789abc"));
  assert_int_not_equal (g, cc_net_group_derive ("", "app", "default", "cc0123456789abd"));
  assert_int_not_equal (cc_net_group_derive ("", "ab", "c", "x"), cc_net_group_derive ("", "a", "bc", "x"));
  /* Hostile and empty names still land in our range, never on 0.  */
  assert_true (cc_net_group_is_valid (cc_net_group_derive (NULL, NULL, NULL, NULL)));
  assert_true (cc_net_group_is_valid (cc_net_group_derive ("", "", "", "")));
  for (int i = 0; i < 20000; i++)
    {
      char p[32];
      uint32_t v;

      snprintf (p, sizeof (p), "p%d", i);
      v = cc_net_group_derive ("", p, "default", "ccbridge");
      assert_true (v >= CC_NET_GROUP_MIN && v <= CC_NET_GROUP_MAX);
    }
}

static void
test_validation_refuses_what_is_not_ours (void **state)
{
  static const double bad[] = { 0,
                                -1,
                                1,
                                255,
                                CC_NET_GROUP_MIN - 1.0,
                                CC_NET_GROUP_MIN + 0.5,
                                CC_NET_GROUP_MAX + 1.0,
                                4294967295.0,
                                4294967296.0,
                                1e40,
                                -1e40 };

  (void)state;
  assert_true (cc_net_group_is_valid (CC_NET_GROUP_MIN));
  assert_true (cc_net_group_is_valid (CC_NET_GROUP_MAX));
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    assert_false (cc_net_group_is_valid (bad[i]));
  assert_false (cc_net_group_is_valid (NAN));
  assert_false (cc_net_group_is_valid (INFINITY));
  assert_false (cc_net_group_is_valid (-INFINITY));
}

static uint32_t
group_of_json (const char *text)
{
  cleanup_cjson cJSON *net = cJSON_Parse (text);

  assert_non_null (net);
  return cc_net_group_of (net);
}

static void
test_group_read_from_state (void **state)
{
  (void)state;
  assert_int_equal (group_of_json ("{\"group\":858072976}"), 858072976);
  /* An older ccompose recorded none; edited or corrupt values are ignored,
     which sends the teardown down the one-by-one path.  */
  assert_int_equal (group_of_json ("{}"), 0);
  assert_int_equal (group_of_json ("{\"group\":\"858072976\"}"), 0);
  assert_int_equal (group_of_json ("{\"group\":0}"), 0);
  assert_int_equal (group_of_json ("{\"group\":-858072976}"), 0);
  assert_int_equal (group_of_json ("{\"group\":8580729760000}"), 0);
  assert_int_equal (group_of_json ("{\"group\":858072976.5}"), 0);
  assert_int_equal (group_of_json ("{\"group\":null}"), 0);
  assert_int_equal (group_of_json ("{\"group\":[858072976]}"), 0);
}

static const struct cc_net_link ours[] = {
  { "ccveth1", "ccompose@abc project p network n container p-a-1" },
  { "ccveth2", "ccompose@abc project p network n container p-b-1" },
  { NULL, "ccompose@abc project p network n container p-c-1" }, /* never got a veth */
  { "ccbridge", "ccompose@abc project p network n" },
};

static void
test_group_check_accepts_only_our_links (void **state)
{
  char *all_names[] = { "ccbridge", "ccveth2", "ccveth1", NULL };
  char *all_aliases[] = { "ccompose@abc project p network n", "ccompose@abc project p network n container p-b-1",
                          "ccompose@abc project p network n container p-a-1", NULL };
  char *foreign_names[] = { "ccbridge", "ccforeign", NULL };
  char *foreign_aliases[] = { "ccompose@abc project p network n", "", NULL };
  /* A recorded name, but another network's (or nobody's) alias.  */
  char *stolen_names[] = { "ccveth1", NULL };
  char *stolen_aliases[] = { "ccompose@abc project p network other container p-a-1", NULL };
  char *unaliased[] = { "ccveth1", NULL };
  char *null_name[] = { NULL };

  (void)state;
  assert_true (cc_net_group_is_ours (all_names, all_aliases, ours, CC_N_ELEMENTS (ours)));
  assert_true (cc_net_group_is_ours (all_names + 2, all_aliases + 2, ours, CC_N_ELEMENTS (ours)));
  /* Nothing left in the group: a repeated teardown.  */
  assert_true (cc_net_group_is_ours (NULL, NULL, ours, CC_N_ELEMENTS (ours)));
  assert_true (cc_net_group_is_ours (null_name, null_name, ours, CC_N_ELEMENTS (ours)));
  assert_false (cc_net_group_is_ours (foreign_names, foreign_aliases, ours, CC_N_ELEMENTS (ours)));
  assert_false (cc_net_group_is_ours (stolen_names, stolen_aliases, ours, CC_N_ELEMENTS (ours)));
  assert_false (cc_net_group_is_ours (unaliased, NULL, ours, CC_N_ELEMENTS (ours)));
  assert_false (cc_net_group_is_ours (all_names, all_aliases, ours, 0));
  assert_false (cc_net_group_is_ours (all_names, all_aliases, ours, 1));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_derivation_is_stable_in_range_and_separates_parts),
    cmocka_unit_test (test_validation_refuses_what_is_not_ours),
    cmocka_unit_test (test_group_read_from_state),
    cmocka_unit_test (test_group_check_accepts_only_our_links),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
