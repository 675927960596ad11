/* External networks in the network state: lookup by full name, members
   that belong to another project than their network, what the embedded
   DNS answers both projects on a shared network, and which responders
   must hear of a change.  */
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
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/dns.h"
#include "network/netimpl.h"
#include "network/network.h"
#include "network/state.h"

/* exta owns `shared` (full name exta_shared) and `corp` (custom name
   corp-net); extb's app joined `shared` as its key `outside`; `old` was
   recorded before full names were.  */
static const char state_json[]
    = "{\"networks\":["
      " {\"project\":\"exta\",\"name\":\"shared\",\"full_name\":\"exta_shared\",\"gateway\":\"10.89.0.1\",\"members\":["
      "  {\"container\":\"exta-web-1\",\"service\":\"web\",\"number\":1,\"ip\":\"10.89.0.2\","
      "   \"netns\":\"/ns/web\",\"ifname\":\"eth0\"},"
      "  {\"container\":\"extb-app-1\",\"project\":\"extb\",\"key\":\"outside\",\"service\":\"app\",\"number\":1,"
      "   \"ip\":\"10.89.0.3\",\"netns\":\"/ns/app\",\"ifname\":\"eth1\"}]},"
      " {\"project\":\"exta\",\"name\":\"corp\",\"full_name\":\"corp-net\",\"gateway\":\"10.89.3.1\",\"members\":[]},"
      " {\"project\":\"exta\",\"name\":\"old\",\"gateway\":\"10.89.4.1\",\"members\":[]},"
      " {\"project\":\"extb\",\"name\":\"default\",\"full_name\":\"extb_default\",\"gateway\":\"10.89.1.1\","
      "  \"members\":["
      "  {\"container\":\"extb-app-1\",\"service\":\"app\",\"number\":1,\"ip\":\"10.89.1.2\","
      "   \"netns\":\"/ns/app\",\"ifname\":\"eth0\"},"
      "  {\"container\":\"extb-db-1\",\"service\":\"db\",\"number\":1,\"ip\":\"10.89.1.3\","
      "   \"netns\":\"/ns/db\",\"ifname\":\"eth0\"}]}"
      "]}";

static cJSON *
load (void)
{
  cJSON *st = NULL;

  assert_int_equal (cc_json_parse (state_json, "state", &st, NULL), 0);
  return st;
}

static void
assert_network (cJSON *net, const char *project, const char *name)
{
  assert_non_null (net);
  assert_string_equal (cc_json_get_string (net, "project"), project);
  assert_string_equal (cc_json_get_string (net, "name"), name);
}

static void
test_lookup_by_full_name (void **state)
{
  cleanup_cjson cJSON *st = load ();

  (void)state;
  assert_network (cc_net_state_find_by_full_name (st, "exta_shared"), "exta", "shared");
  assert_network (cc_net_state_find_by_full_name (st, "corp-net"), "exta", "corp");
  /* A record without a full name is known by project_name.  */
  assert_network (cc_net_state_find_by_full_name (st, "exta_old"), "exta", "old");
  /* A custom name replaces project_key: the implied name is not an alias.  */
  assert_null (cc_net_state_find_by_full_name (st, "exta_corp"));
  /* Keys alone, other spellings and hostile input find nothing.  */
  assert_null (cc_net_state_find_by_full_name (st, "shared"));
  assert_null (cc_net_state_find_by_full_name (st, "EXTA_SHARED"));
  assert_null (cc_net_state_find_by_full_name (st, ""));
  assert_null (cc_net_state_find_by_full_name (st, NULL));
  assert_null (cc_net_state_find_by_full_name (NULL, "exta_shared"));
}

static void
test_member_project_and_membership (void **state)
{
  cleanup_cjson cJSON *st = load ();
  cJSON *shared = cc_net_state_find_network (st, "exta", "shared"), *net = NULL, *m;

  (void)state;
  assert_string_equal (cc_net_member_project (shared, cc_net_state_find_member (shared, "exta-web-1")), "exta");
  assert_string_equal (cc_net_member_project (shared, cc_net_state_find_member (shared, "extb-app-1")), "extb");
  /* extb's app is on exta's network under extb's key, and on its own.  */
  m = cc_net_state_find_membership (st, "extb", "outside", "extb-app-1", &net);
  assert_non_null (m);
  assert_ptr_equal (net, shared);
  m = cc_net_state_find_membership (st, "extb", "default", "extb-app-1", &net);
  assert_non_null (m);
  assert_network (net, "extb", "default");
  /* Not under exta's key, nor as exta's container, nor another's key.  */
  assert_null (cc_net_state_find_membership (st, "extb", "shared", "extb-app-1", &net));
  assert_null (cc_net_state_find_membership (st, "exta", "outside", "extb-app-1", &net));
  assert_null (cc_net_state_find_membership (st, "exta", "shared", "extb-db-1", &net));
  assert_non_null (cc_net_state_find_membership (st, "exta", "shared", "exta-web-1", &net));
}

static bool
anyone (const char *container, void *data)
{
  (void)container;
  (void)data;
  return true;
}

static uint32_t
resolve (const struct cc_dns_table *t, const char *netns, const char *name)
{
  uint32_t a[4] = { 0 };
  size_t n = 0;
  const struct cc_dns_scope *s = cc_dns_table_scope (t, netns);

  assert_non_null (s);
  return cc_dns_lookup (t, s, name, anyone, NULL, a, 4, &n) == CC_DNS_FOUND ? a[0] : 0;
}

static void
test_dns_on_a_shared_network (void **state)
{
  cleanup_cjson cJSON *st = load ();
  cleanup_dns_table struct cc_dns_table *a = cc_dns_table_build (st, "exta");
  cleanup_dns_table struct cc_dns_table *b = cc_dns_table_build (st, "extb");

  (void)state;
  /* app sees exta's web through the shared network, and its own db.  */
  assert_int_equal (resolve (b, "/ns/app", "exta-web-1"), 0x0a590002);
  assert_int_equal (resolve (b, "/ns/app", "web"), 0x0a590002);
  assert_int_equal (resolve (b, "/ns/app", "db"), 0x0a590103);
  /* Its own name: its first network's address.  */
  assert_int_equal (resolve (b, "/ns/app", "app"), 0x0a590102);
  /* web sees app by its address on the shared network only, and not
     extb's db, which is not on it.  */
  assert_int_equal (resolve (a, "/ns/web", "app"), 0x0a590003);
  assert_int_equal (resolve (a, "/ns/web", "extb-db-1"), 0);
  /* Each responder serves its own project's namespaces only.  */
  assert_null (cc_dns_table_scope (a, "/ns/app"));
  assert_null (cc_dns_table_scope (b, "/ns/web"));
}

/* A change of extb's members reaches exta's responder through the shared
   network, and only the projects on the networks it touches.  */
static void
test_change_reaches_the_other_project (void **state)
{
  cleanup_cjson cJSON *st = load ();
  char *extb[] = { (char *)"extb", NULL };
  char *exta[] = { (char *)"exta", NULL };
  char *nobody[] = { (char *)"nobody", NULL };
  cleanup_strv char **from_b = cc_net_dns_affected (st, extb);
  cleanup_strv char **from_a = cc_net_dns_affected (st, exta);
  cleanup_strv char **from_nobody = cc_net_dns_affected (st, nobody);

  (void)state;
  assert_int_equal (cc_strv_len (from_b), 2);
  assert_true (cc_strv_contains (from_b, "exta") && cc_strv_contains (from_b, "extb"));
  assert_true (cc_strv_contains (from_a, "exta") && cc_strv_contains (from_a, "extb"));
  assert_int_equal (cc_strv_len (from_nobody), 1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_lookup_by_full_name),
    cmocka_unit_test (test_member_project_and_membership),
    cmocka_unit_test (test_dns_on_a_shared_network),
    cmocka_unit_test (test_change_reaches_the_other_project),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
