/* Unit tests for the engine's plan (pure: model + state -> actions),
   replicas and the runtime spec.  Models are
   hand-written in the normalized shape `ccompose config --format json`
   prints.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

static const char web_redis[] = "{\"name\":\"demo\",\"services\":{"
                                "\"redis\":{\"image\":\"redis:7\",\"networks\":{\"default\":null},"
                                "\"healthcheck\":{\"test\":[\"CMD\",\"redis-cli\",\"ping\"]},"
                                "\"volumes\":[{\"type\":\"volume\",\"source\":\"data\",\"target\":\"/data\"}]},"
                                "\"web\":{\"image\":\"web\",\"networks\":{\"default\":null},"
                                "\"environment\":{\"DEBUG\":\"0\",\"KEEP\":\"1\"},"
                                "\"depends_on\":{\"redis\":{\"condition\":\"service_healthy\",\"required\":true}}}},"
                                "\"networks\":{\"default\":{\"name\":\"demo_default\"}},"
                                "\"volumes\":{\"data\":{\"name\":\"demo_data\"}}}";

struct fixture
{
  struct cc_project p;
  cJSON *state;
  cJSON *images;
  cJSON *status;
};

static void
fixture_init (struct fixture *f, const char *model)
{
  memset (f, 0, sizeof (*f));
  f->p.name = (char *)"demo";
  f->p.directory = (char *)"/demo";
  f->p.model = cJSON_Parse (model);
  assert_non_null (f->p.model);
  f->state = cJSON_Parse ("{\"project\":\"demo\"}");
  f->images = cJSON_CreateObject ();
  f->status = cJSON_CreateObject ();
  cc_json_set_string (f->images, "redis", "sha256:aaaa");
  cc_json_set_string (f->images, "web", "sha256:bbbb");
}

static void
fixture_release (struct fixture *f)
{
  cc_model_view_free (f->p.view);
  cJSON_Delete (f->p.model);
  cJSON_Delete (f->state);
  cJSON_Delete (f->images);
  cJSON_Delete (f->status);
}

static cJSON *
section (cJSON *state, const char *key)
{
  cJSON *s = cJSON_GetObjectItem (state, key);
  if (s == NULL)
    {
      s = cJSON_CreateObject ();
      cJSON_AddItemToObject (state, key, s);
    }
  return s;
}

/* Record the project as `up` would have left it: every service created
   from the current model, every container running.  */
static void
record_current (struct fixture *f, int replicas)
{
  cJSON *containers = section (f->state, "containers");
  cJSON *networks = section (f->state, "networks");
  cJSON *volumes = section (f->state, "volumes");
  cJSON *net = cJSON_CreateObject (), *vol = cJSON_CreateObject ();

  cc_json_set_string (net, "status", "created");
  cc_json_set_string (vol, "status", "created");
  cc_json_set (networks, "default", net);
  cc_json_set (volumes, "data", vol);
  for (const cJSON *s = cJSON_GetObjectItem (f->p.model, "services")->child; s; s = s->next)
    for (int i = 1; i <= replicas; i++)
      {
        cleanup_free char *name = cc_paths_container_name ("demo", s->string, i);
        cleanup_free char *hash = cc_compose_service_hash_json (s);
        cJSON *c = cJSON_CreateObject ();
        cc_json_set_string (c, "service", s->string);
        cc_json_set_int (c, "number", i);
        cc_json_set_string (c, "config_hash", hash);
        cc_json_set (c, "config", cJSON_Duplicate (s, true));
        cc_json_set_string (c, "image_id", cc_json_get_string (f->images, s->string));
        cc_json_set_string (c, "status", "created");
        cc_json_set (containers, name, c);
        cc_json_set_string (f->status, name, "running");
      }
}

static char *
plan_text (struct fixture *f, struct cc_plan_opts *o)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_plan struct cc_plan *plan = NULL;

  o->image_ids = f->images;
  o->status = f->status;
  /* The view of the model as the test changed it last.  */
  cc_model_view_free (f->p.view);
  f->p.view = NULL;
  if (cc_model_view_new (f->p.model, NULL, &f->p.view, &err) < 0)
    fail_msg ("view: %s", err->msg);
  if (cc_plan_make (&f->p, f->state, o, &plan, &err) < 0)
    fail_msg ("plan failed: %s", err->msg);
  return cc_plan_format (plan);
}

static void
set_env (struct fixture *f, const char *service, const char *key, const char *value)
{
  cJSON *svc = cJSON_GetObjectItem (cJSON_GetObjectItem (f->p.model, "services"), service);
  cJSON *env = cJSON_GetObjectItem (svc, "environment");
  if (env == NULL)
    cJSON_AddItemToObject (svc, "environment", env = cJSON_CreateObject ());
  cc_json_set_string (env, key, value);
}

/* ---- tests ------------------------------------------------------------ */

static void
test_fresh_project (void **state)
{
  struct fixture f;
  struct cc_plan_opts o = { 0 };
  cleanup_free char *text = NULL;

  (void)state;
  fixture_init (&f, web_redis);
  text = plan_text (&f, &o);
  assert_string_equal (text, "create network demo_default\n"
                             "create volume demo_data\n"
                             "[level 0] create and start container demo-redis-1\n"
                             "[level 1] web: wait for redis to be healthy\n"
                             "[level 1] create and start container demo-web-1\n");
  fixture_release (&f);
}

static void
test_up_to_date_does_nothing (void **state)
{
  struct fixture f;
  struct cc_plan_opts o = { 0 };
  cleanup_free char *text = NULL;

  (void)state;
  fixture_init (&f, web_redis);
  record_current (&f, 1);
  text = plan_text (&f, &o);
  /* No wait either: nothing of web starts.  */
  assert_string_equal (text, "[level 0] keep container demo-redis-1 (up to date)\n"
                             "[level 1] keep container demo-web-1 (up to date)\n");
  fixture_release (&f);
}

static void
test_recreate_only_the_changed_service (void **state)
{
  struct fixture f;
  struct cc_plan_opts o = { 0 };
  cleanup_free char *text = NULL;

  (void)state;
  fixture_init (&f, web_redis);
  record_current (&f, 1);
  set_env (&f, "web", "DEBUG", "1");
  text = plan_text (&f, &o);
  assert_string_equal (text, "[level 0] keep container demo-redis-1 (up to date)\n"
                             "[level 1] web: wait for redis to be healthy\n"
                             "[level 1] recreate and start container demo-web-1: web: environment.DEBUG changed\n");
  fixture_release (&f);
}

static void
test_image_change_and_added_key (void **state)
{
  struct fixture f;
  struct cc_plan_opts o = { 0 };
  cleanup_free char *text = NULL;

  (void)state;
  fixture_init (&f, web_redis);
  record_current (&f, 1);
  cc_json_set_string (f.images, "redis", "sha256:cccc");
  set_env (&f, "redis", "NEW", "x");
  text = plan_text (&f, &o);
  assert_non_null (
      strstr (text, "recreate and start container demo-redis-1: redis: environment added, image changed\n"));
  /* web itself did not change: it stays.  */
  assert_non_null (strstr (text, "keep container demo-web-1"));
  fixture_release (&f);
}

static void
test_no_recreate_and_force_recreate (void **state)
{
  struct fixture f;
  struct cc_plan_opts o = { .no_recreate = true };
  cleanup_free char *t1 = NULL, *t2 = NULL;

  (void)state;
  fixture_init (&f, web_redis);
  record_current (&f, 1);
  set_env (&f, "web", "DEBUG", "1");
  t1 = plan_text (&f, &o);
  assert_null (strstr (t1, "recreate"));
  o = (struct cc_plan_opts){ .force_recreate = true };
  set_env (&f, "web", "DEBUG", "0");
  t2 = plan_text (&f, &o);
  assert_non_null (strstr (t2, "recreate and start container demo-redis-1: redis: --force-recreate"));
  assert_non_null (strstr (t2, "recreate and start container demo-web-1: web: --force-recreate"));
  fixture_release (&f);
}

/* --force-recreate covers the services named; their dependencies are
   recreated only when changed, or always with --always-recreate-deps.  */
static void
test_force_recreate_of_named_services_and_their_dependencies (void **state)
{
  struct fixture f;
  char *web[] = { (char *)"web", NULL };
  struct cc_plan_opts o = { .services = web, .force_recreate = true };
  cleanup_free char *t1 = NULL, *t2 = NULL, *t3 = NULL;

  (void)state;
  fixture_init (&f, web_redis);
  record_current (&f, 1);
  t1 = plan_text (&f, &o);
  assert_non_null (strstr (t1, "recreate and start container demo-web-1: web: --force-recreate"));
  assert_null (strstr (t1, "container demo-redis-1: redis:"));
  o.always_recreate_deps = true;
  t2 = plan_text (&f, &o);
  assert_non_null (strstr (t2, "recreate and start container demo-redis-1: redis: --always-recreate-deps"));
  assert_non_null (strstr (t2, "recreate and start container demo-web-1: web: --force-recreate"));
  /* Without services named, every service is named: nothing is a mere dependency.  */
  o = (struct cc_plan_opts){ .always_recreate_deps = true };
  t3 = plan_text (&f, &o);
  assert_null (strstr (t3, "recreate"));
  fixture_release (&f);
}

static void
test_stopped_and_missing_containers (void **state)
{
  struct fixture f;
  struct cc_plan_opts o = { 0 };
  cleanup_free char *text = NULL;

  (void)state;
  fixture_init (&f, web_redis);
  record_current (&f, 1);
  cc_json_set_string (f.status, "demo-redis-1", "exited");
  cJSON_DeleteItemFromObject (f.status, "demo-web-1");
  text = plan_text (&f, &o);
  assert_string_equal (text, "[level 0] start container demo-redis-1\n"
                             "[level 1] web: wait for redis to be healthy\n"
                             "[level 1] recreate and start container demo-web-1: web: container missing\n");
  fixture_release (&f);
}

static void
test_orphans_reported_or_removed (void **state)
{
  struct fixture f;
  struct cc_plan_opts o = { 0 };
  cleanup_free char *t1 = NULL, *t2 = NULL;
  cleanup_plan struct cc_plan *plan = NULL;
  cleanup_error cc_error_t err = NULL;
  cleanup_strv char **orphans = NULL;
  cJSON *old = cJSON_CreateObject ();

  (void)state;
  fixture_init (&f, web_redis);
  record_current (&f, 1);
  cc_json_set_string (old, "service", "worker");
  cc_json_set_int (old, "number", 1);
  cc_json_set (section (f.state, "containers"), "demo-worker-1", old);
  t1 = plan_text (&f, &o);
  assert_non_null (strstr (t1, "orphan container demo-worker-1 (service `worker` is no longer in the project): kept"));
  o.image_ids = f.images;
  o.status = f.status;
  assert_int_equal (cc_plan_make (&f.p, f.state, &o, &plan, &err), 0);
  orphans = cc_plan_orphans (plan);
  assert_int_equal (cc_strv_len (orphans), 1);
  assert_string_equal (orphans[0], "demo-worker-1 (service worker)");
  o = (struct cc_plan_opts){ .remove_orphans = true };
  t2 = plan_text (&f, &o);
  assert_non_null (strstr (t2, "remove orphan container demo-worker-1"));
  fixture_release (&f);
}

static void
test_scale_up_and_down (void **state)
{
  struct fixture f;
  char *up[] = { (char *)"web=3", NULL }, *down[] = { (char *)"web=1", NULL };
  struct cc_plan_opts o = { .scale = up };
  cleanup_free char *t1 = NULL, *t2 = NULL;

  (void)state;
  fixture_init (&f, web_redis);
  record_current (&f, 1);
  t1 = plan_text (&f, &o);
  assert_non_null (strstr (t1, "[level 1] keep container demo-web-1 (up to date)\n"
                               "[level 1] create and start container demo-web-2\n"
                               "[level 1] create and start container demo-web-3\n"));
  fixture_release (&f);
  fixture_init (&f, web_redis);
  record_current (&f, 3);
  o = (struct cc_plan_opts){ .scale = down };
  t2 = plan_text (&f, &o);
  assert_non_null (strstr (t2, "remove container demo-web-2 (above the wanted scale)"));
  assert_non_null (strstr (t2, "remove container demo-web-3 (above the wanted scale)"));
  /* redis wants its model's one replica: the override names web only.  */
  assert_non_null (strstr (t2, "keep container demo-redis-1"));
  assert_non_null (strstr (t2, "remove container demo-redis-3"));
  fixture_release (&f);
}

/* Issue 16: a changed service with a healthcheck and more than one
   running replica rolls, start-first: each old replica is replaced by a
   new one with the lowest free number; without a healthcheck (and no
   update_config.order) it is recreated in place as before.  */
static void
test_replicas_roll_start_first (void **state)
{
  struct fixture f;
  char *three[] = { (char *)"redis=3", NULL };
  struct cc_plan_opts o = { .scale = three };
  cleanup_free char *t1 = NULL, *t2 = NULL, *t3 = NULL;
  cJSON *c;

  (void)state;
  fixture_init (&f, web_redis);
  record_current (&f, 3);
  cJSON_DeleteItemFromObject (cJSON_GetObjectItem (cJSON_GetObjectItem (f.p.model, "services"), "redis"), "image");
  cJSON_AddStringToObject (cJSON_GetObjectItem (cJSON_GetObjectItem (f.p.model, "services"), "redis"), "image",
                           "redis:8");
  t1 = plan_text (&f, &o);
  assert_non_null (strstr (t1, "roll container demo-redis-1: create and start demo-redis-4, ready, then stop "
                               "demo-redis-1: redis: image changed\n"));
  assert_non_null (strstr (t1, "roll container demo-redis-2: create and start demo-redis-5"));
  assert_non_null (strstr (t1, "roll container demo-redis-3: create and start demo-redis-6"));
  /* web has no healthcheck: recreated in place.  */
  o = (struct cc_plan_opts){ .scale = three };
  set_env (&f, "web", "DEBUG", "1");
  t2 = plan_text (&f, &o);
  assert_non_null (strstr (t2, "recreate and start container demo-web-1: web: environment.DEBUG changed"));
  fixture_release (&f);

  /* After a roll the replicas are 4..6: kept as they are, whatever
     their numbers, and a new one takes the lowest free number.  */
  fixture_init (&f, web_redis);
  record_current (&f, 3);
  c = section (f.state, "containers");
  for (int i = 1; i <= 3; i++)
    {
      cleanup_free char *from = cc_paths_container_name ("demo", "web", i);
      cleanup_free char *to = cc_paths_container_name ("demo", "web", i + 3);
      cJSON *e = cJSON_DetachItemFromObject (c, from);
      cc_json_set_int (e, "number", i + 3);
      cJSON_AddItemToObject (c, to, e);
      cJSON_DeleteItemFromObject (f.status, from);
      cc_json_set_string (f.status, to, "running");
    }
  {
    char *four[] = { (char *)"web=4", (char *)"redis=3", NULL };
    o = (struct cc_plan_opts){ .scale = four };
    t3 = plan_text (&f, &o);
  }
  assert_non_null (strstr (t3, "[level 1] keep container demo-web-4 (up to date)\n"
                               "[level 1] keep container demo-web-5 (up to date)\n"
                               "[level 1] keep container demo-web-6 (up to date)\n"
                               "[level 1] create and start container demo-web-1\n"));
  fixture_release (&f);
}

static void
test_no_start_creates_without_waiting (void **state)
{
  struct fixture f;
  struct cc_plan_opts o = { .no_start = true };
  cleanup_free char *text = NULL;

  (void)state;
  fixture_init (&f, web_redis);
  text = plan_text (&f, &o);
  /* Waiting for a healthy redis that is never started would hang `create`.  */
  assert_string_equal (text, "create network demo_default\n"
                             "create volume demo_data\n"
                             "[level 0] create container demo-redis-1\n"
                             "[level 1] create container demo-web-1\n");
  fixture_release (&f);
}

static void
test_replicas_sources (void **state)
{
  cleanup_cjson cJSON *a = cJSON_Parse ("{\"scale\":2}");
  cleanup_cjson cJSON *b = cJSON_Parse ("{\"deploy\":{\"replicas\":4}}");
  cleanup_cjson cJSON *c = cJSON_Parse ("{}");
  cleanup_service struct cc_service *va = NULL, *vb = NULL, *vc = NULL, *we = NULL, *webx = NULL;
  char *scale[] = { (char *)"web=5", (char *)"webx=9", NULL };

  (void)state;
  assert_int_equal (cc_service_new ("web", a, NULL, &va, NULL), 0);
  assert_int_equal (cc_service_new ("web", b, NULL, &vb, NULL), 0);
  assert_int_equal (cc_service_new ("web", c, NULL, &vc, NULL), 0);
  assert_int_equal (cc_service_new ("we", c, NULL, &we, NULL), 0);
  assert_int_equal (cc_service_new ("webx", b, NULL, &webx, NULL), 0);
  assert_int_equal (cc_plan_replicas (va, NULL), 2);
  assert_int_equal (cc_plan_replicas (vb, NULL), 4);
  assert_int_equal (cc_plan_replicas (vc, NULL), 1);
  assert_int_equal (cc_plan_replicas (vc, scale), 5);
  /* "web" must not match the prefix of "webx".  */
  assert_int_equal (cc_plan_replicas (we, scale), 1);
  assert_int_equal (cc_plan_replicas (webx, scale), 9);
}

static void
test_no_deps_and_named_services (void **state)
{
  struct fixture f;
  char *web[] = { (char *)"web", NULL }, *bad[] = { (char *)"nope", NULL };
  struct cc_plan_opts o = { .services = web, .no_deps = true };
  cleanup_free char *t1 = NULL, *t2 = NULL;
  cleanup_plan struct cc_plan *plan = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  fixture_init (&f, web_redis);
  t1 = plan_text (&f, &o);
  /* Only web: no redis container, no wait, and redis's volume is not needed.  */
  assert_string_equal (t1, "create network demo_default\n"
                           "[level 1] create and start container demo-web-1\n");
  o = (struct cc_plan_opts){ .services = web };
  t2 = plan_text (&f, &o);
  assert_non_null (strstr (t2, "create and start container demo-redis-1"));
  o = (struct cc_plan_opts){ .services = bad };
  assert_int_equal (cc_plan_make (&f.p, f.state, &o, &plan, &err), -1);
  assert_non_null (strstr (err->msg, "no such service: `nope`"));
  fixture_release (&f);
}

static void
test_restart_true_dependency (void **state)
{
  struct fixture f;
  struct cc_plan_opts o = { 0 };
  cleanup_free char *text = NULL;
  cJSON *dep;

  (void)state;
  fixture_init (&f, web_redis);
  dep = cJSON_GetObjectItem (
      cJSON_GetObjectItem (cJSON_GetObjectItem (cJSON_GetObjectItem (f.p.model, "services"), "web"), "depends_on"),
      "redis");
  cJSON_AddItemToObject (dep, "restart", cJSON_CreateTrue ());
  record_current (&f, 1);
  set_env (&f, "redis", "X", "1");
  text = plan_text (&f, &o);
  assert_non_null (strstr (text, "recreate and start container demo-redis-1"));
  assert_non_null (strstr (text, "restart container demo-web-1 (a dependency was recreated)"));
  fixture_release (&f);
}

static void
test_external_and_unused_resources (void **state)
{
  struct fixture f;
  struct cc_plan_opts o = { 0 };
  cleanup_free char *text = NULL;

  (void)state;
  fixture_init (&f,
                "{\"name\":\"demo\",\"services\":{\"a\":{\"image\":\"x\",\"networks\":{\"ext\":null},"
                "\"volumes\":[{\"type\":\"volume\",\"source\":\"ev\",\"target\":\"/d\"},"
                "{\"type\":\"bind\",\"source\":\"/tmp\",\"target\":\"/t\"}]}},"
                "\"networks\":{\"ext\":{\"name\":\"shared\",\"external\":true},\"unused\":{\"name\":\"demo_unused\"}},"
                "\"volumes\":{\"ev\":{\"name\":\"ev\",\"external\":true},\"other\":{\"name\":\"demo_other\"}}}");
  text = plan_text (&f, &o);
  assert_string_equal (text, "[level 0] create and start container demo-a-1\n");
  fixture_release (&f);
}

static void
test_container_names_from_state (void **state)
{
  cleanup_cjson cJSON *st = cJSON_Parse ("{\"containers\":{"
                                         "\"p-web-10\":{\"service\":\"web\",\"number\":10},"
                                         "\"p-web-2\":{\"service\":\"web\",\"number\":2},"
                                         "\"p-db-1\":{\"service\":\"db\",\"number\":1},"
                                         "\"p-web-run-1\":{\"service\":\"web\",\"number\":1,\"oneoff\":true},"
                                         "\"bogus\":{\"number\":1}}}");
  cleanup_strv char **all = cc_state_container_names (st, NULL, false);
  cleanup_strv char **web = cc_state_container_names (st, "web", false);
  cleanup_strv char **oneoff = cc_state_container_names (st, NULL, true);

  (void)state;
  assert_int_equal (cc_strv_len (all), 3);
  assert_string_equal (all[0], "p-db-1");
  assert_string_equal (web[0], "p-web-2");
  assert_string_equal (web[1], "p-web-10");
  assert_int_equal (cc_strv_len (oneoff), 1);
}

/* Docker's API: a healthcheck duration or retries of 0 mean the default
   (the image's, else Docker's).  However long the container's name, the
   default hostname is the first 12 hex digits of its recorded id.  */
static void
test_spec_zero_healthcheck_values_and_long_names (void **state)
{
  cleanup_cjson cJSON *model
      = cJSON_Parse ("{\"name\":\"p\",\"services\":{\"web\":{\"image\":\"x\",\"command\":[\"sleep\"],"
                     "\"healthcheck\":{\"test\":[\"CMD\",\"true\"],\"interval\":\"0s\","
                     "\"timeout\":\"0s\",\"start_interval\":\"0s\",\"retries\":0}}}}");
  struct cc_project p = { .name = (char *)"p", .model = model };
  cleanup_service struct cc_service *svc = NULL;
  char *layers[] = { (char *)"/l", NULL };
  struct cc_image img = { .layers = layers };
  cleanup_runtime_spec struct cc_runtime_spec *s = NULL;
  cleanup_free char *name = xasprintf ("p-%s-1", "web-with-a-very-long-name-that-goes-on-and-on-and-on-and-on-past-64");
  const char *id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (
      cc_service_new ("web", cJSON_GetObjectItem (cJSON_GetObjectItem (model, "services"), "web"), NULL, &svc, NULL),
      0);
  if (cc_engine_build_spec (&p, svc, &img, name, id, NULL, &s, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (s->health.interval_ms, 30000);
  assert_int_equal (s->health.timeout_ms, 30000);
  assert_int_equal (s->health.start_interval_ms, 250);
  assert_int_equal (s->health.retries, 3);
  assert_true (strlen (name) > 64);
  /* However long the name, the hostname is the short id, as Docker's.  */
  assert_string_equal (s->hostname, "0123456789ab");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_fresh_project),
    cmocka_unit_test (test_up_to_date_does_nothing),
    cmocka_unit_test (test_recreate_only_the_changed_service),
    cmocka_unit_test (test_image_change_and_added_key),
    cmocka_unit_test (test_no_recreate_and_force_recreate),
    cmocka_unit_test (test_force_recreate_of_named_services_and_their_dependencies),
    cmocka_unit_test (test_stopped_and_missing_containers),
    cmocka_unit_test (test_orphans_reported_or_removed),
    cmocka_unit_test (test_scale_up_and_down),
    cmocka_unit_test (test_replicas_roll_start_first),
    cmocka_unit_test (test_no_start_creates_without_waiting),
    cmocka_unit_test (test_replicas_sources),
    cmocka_unit_test (test_no_deps_and_named_services),
    cmocka_unit_test (test_restart_true_dependency),
    cmocka_unit_test (test_external_and_unused_resources),
    cmocka_unit_test (test_container_names_from_state),
    cmocka_unit_test (test_spec_zero_healthcheck_values_and_long_names),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
