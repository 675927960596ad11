/* The namespace a network lives in (network/hostns.h): which networks
   count as here, which namespaces a state knows, the migration of an
   older state's ip_forward flag, and what entering needs.  Reads the
   test's own /proc/thread-self/ns/net; changes nothing.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/hostns.h"
#include "network/state.h"

static cJSON *
parse (const char *text)
{
  cJSON *j = NULL;

  assert_int_equal (cc_json_parse (text, "test", &j, NULL), 0);
  return j;
}

static void
test_a_network_lives_where_it_was_made (void **state)
{
  cleanup_cjson cJSON *here = parse ("{\"host_netns\":\"4:100\"}");
  cleanup_cjson cJSON *old = parse ("{\"bridge\":\"cc1\"}");

  (void)state;
  assert_true (cc_net_lives_in (here, "4:100"));
  assert_false (cc_net_lives_in (here, "4:101"));
  assert_false (cc_net_lives_in (here, "5:100"));
  /* Recorded by an older ccompose: everywhere, as it used to be.  */
  assert_true (cc_net_lives_in (old, "4:100"));
  assert_true (cc_net_lives_in (old, "4:101"));
}

static void
test_recorded_namespaces_start_with_this_one (void **state)
{
  cleanup_free char *current = cc_hostns_current ();
  cleanup_cjson cJSON *root
      = parse ("{\"networks\":[{\"host_netns\":\"4:7\"},{\"host_netns\":\"4:8\"},{\"host_netns\":\"4:7\"},{}],"
               "\"forwarding\":[{\"host_netns\":\"4:9\",\"before\":\"0\"},{\"host_netns\":\"4:8\",\"before\":\"0\"}]}");
  cleanup_strv char **ids = cc_hostns_recorded (root);

  (void)state;
  assert_non_null (current);
  assert_int_equal (cc_strv_len (ids), 4);
  assert_string_equal (ids[0], current);
  assert_string_equal (ids[1], "4:7");
  assert_string_equal (ids[2], "4:8");
  assert_string_equal (ids[3], "4:9");
  assert_true (cc_hostns_has_network (root, "4:8"));
  /* The network recorded without a namespace is in every one.  */
  assert_true (cc_hostns_has_network (root, "4:9"));
  assert_true (cc_hostns_forwarding_recorded (root, "4:9"));
  assert_false (cc_hostns_forwarding_recorded (root, "4:7"));
  cc_hostns_forwarding_forget (root, "4:9");
  assert_false (cc_hostns_forwarding_recorded (root, "4:9"));
  assert_true (cc_hostns_forwarding_recorded (root, "4:8"));
}

static void
test_an_older_states_flag_becomes_an_entry_for_this_namespace (void **state)
{
  cleanup_free char *current = cc_hostns_current ();
  cleanup_cjson cJSON *changed = parse ("{\"ip_forward_changed\":true,\"networks\":[]}");
  cleanup_cjson cJSON *unchanged = parse ("{\"ip_forward_changed\":false}");
  const cJSON *e;

  (void)state;
  cc_hostns_migrate (changed);
  assert_false (cJSON_HasObjectItem (changed, "ip_forward_changed"));
  e = cc_net_first (changed, "forwarding");
  assert_non_null (e);
  assert_string_equal (cc_json_get_string (e, "host_netns"), current);
  assert_string_equal (cc_json_get_string (e, "before"), "0");
  assert_null (e->next);
  /* With no network left here, it is to be restored.  */
  assert_true (cc_hostns_forwarding_unneeded (changed));
  cc_hostns_migrate (unchanged);
  assert_false (cJSON_HasObjectItem (unchanged, "ip_forward_changed"));
  assert_null (cc_net_first (unchanged, "forwarding"));
}

static void
test_entering_this_namespace_or_a_gone_one (void **state)
{
  cleanup_free char *current = cc_hostns_current ();
  cleanup_free char *name = cc_hostns_describe (current);
  cleanup_free char *bogus = cc_hostns_describe ("not-an-id");
  struct cc_hostns_visit v = CC_HOSTNS_VISIT_INIT;

  (void)state;
  assert_int_equal (cc_hostns_enter (current, &v, NULL), CC_HOSTNS_ENTERED);
  assert_int_equal (v.home, -1);
  assert_int_equal (cc_hostns_enter (NULL, &v, NULL), CC_HOSTNS_ENTERED);
  assert_int_equal (v.home, -1);
  /* No namespace has inode 1: nothing can have it, so it is gone.  */
  assert_int_equal (cc_hostns_enter ("0:1", &v, NULL), CC_HOSTNS_GONE);
  assert_int_equal (v.home, -1);
  assert_false (cc_hostns_exists ("0:1"));
  assert_true (strncmp (name, "net:[", 5) == 0);
  assert_string_equal (bogus, "`not-an-id`");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_a_network_lives_where_it_was_made),
    cmocka_unit_test (test_recorded_namespaces_start_with_this_one),
    cmocka_unit_test (test_an_older_states_flag_becomes_an_entry_for_this_namespace),
    cmocka_unit_test (test_entering_this_namespace_or_a_gone_one),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
