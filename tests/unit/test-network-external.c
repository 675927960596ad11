/* External networks in the network state: lookup by full name, members
   that belong to another project than their network, and the hosts files
   of both projects on a shared network.  */
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
#include "lib/xalloc.h"
#include "network/netimpl.h"
#include "network/network.h"
#include "network/state.h"

/* exta owns `shared` (full name exta_shared) and `corp` (custom name
   corp-net); extb's app joined `shared` as its key `outside`; `old` was
   recorded before full names were.  */
static const char state_json[]
    = "{\"networks\":["
      " {\"project\":\"exta\",\"name\":\"shared\",\"full_name\":\"exta_shared\",\"gateway\":\"10.89.0.1\",\"members\":["
      "  {\"container\":\"exta-web-1\",\"service\":\"web\",\"number\":1,\"ip\":\"10.89.0.2\"},"
      "  {\"container\":\"extb-app-1\",\"project\":\"extb\",\"key\":\"outside\",\"service\":\"app\",\"number\":1,"
      "   \"ip\":\"10.89.0.3\"}]},"
      " {\"project\":\"exta\",\"name\":\"corp\",\"full_name\":\"corp-net\",\"gateway\":\"10.89.3.1\",\"members\":[]},"
      " {\"project\":\"exta\",\"name\":\"old\",\"gateway\":\"10.89.4.1\",\"members\":[]},"
      " {\"project\":\"extb\",\"name\":\"default\",\"full_name\":\"extb_default\",\"gateway\":\"10.89.1.1\","
      "  \"members\":["
      "  {\"container\":\"extb-app-1\",\"service\":\"app\",\"number\":1,\"ip\":\"10.89.1.2\"},"
      "  {\"container\":\"extb-db-1\",\"service\":\"db\",\"number\":1,\"ip\":\"10.89.1.3\"}]}"
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

static void
test_hosts_on_a_shared_network (void **state)
{
  cleanup_cjson cJSON *st = load ();
  cleanup_free char *app = cc_hosts_render (st, "extb", "extb-app-1");
  cleanup_free char *web = cc_hosts_render (st, "exta", "exta-web-1");
  cleanup_free char *wrong = cc_hosts_render (st, "exta", "extb-app-1");

  (void)state;
  /* app sees exta's web through the shared network, and its own db.  */
  assert_non_null (strstr (app, "10.89.0.2\texta-web-1 web web-1\n"));
  assert_non_null (strstr (app, "10.89.0.3\textb-app-1 app app-1\n"));
  assert_non_null (strstr (app, "10.89.1.3\textb-db-1 db db-1\n"));
  /* web sees app by its address on the shared network only, and not
     extb's db, which is not on it.  */
  assert_non_null (strstr (web, "10.89.0.3\textb-app-1 app app-1\n"));
  assert_null (strstr (web, "10.89.1.2"));
  assert_null (strstr (web, "extb-db-1"));
  /* A container is rendered only as its own project's.  */
  assert_null (wrong);
}

/* An update of extb (its app attached or left) rewrites exta's files on
   the shared network too, and only the files of the networks it touches.  */
static void
test_update_reaches_the_other_project (void **state)
{
  char dir[] = "/tmp/cc-hosts-external.XXXXXX";
  static const char *const written[] = { "exta-web-1", "extb-app-1", "extb-db-1" };
  cleanup_cjson cJSON *st = load ();

  (void)state;
  assert_non_null (mkdtemp (dir));
  for (cJSON *net = cc_net_first (st, "networks"); net; net = net->next)
    for (cJSON *m = cc_net_first (net, "members"); m; m = m->next)
      {
        cleanup_free char *path = xasprintf ("%s/%s", dir, cc_json_get_string (m, "container"));
        cc_json_set_string (m, "hosts_path", path);
      }
  assert_int_equal (cc_hosts_update_project (st, "extb", NULL), 0);
  for (size_t i = 0; i < CC_N_ELEMENTS (written); i++)
    {
      cleanup_free char *path = xasprintf ("%s/%s", dir, written[i]);
      cleanup_free char *want
          = cc_hosts_render (st, strncmp (written[i], "exta", 4) == 0 ? "exta" : "extb", written[i]);
      cleanup_free char *got = NULL;

      assert_int_equal (cc_read_file (path, &got, NULL, NULL), 0);
      assert_string_equal (got, want);
      unlink (path);
    }
  assert_int_equal (rmdir (dir), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_lookup_by_full_name),
    cmocka_unit_test (test_member_project_and_membership),
    cmocka_unit_test (test_hosts_on_a_shared_network),
    cmocka_unit_test (test_update_reaches_the_other_project),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
