/* Unit tests for convert/: names, quantities, the secret heuristic, the
   `$` rules, the report, and conversions of small projects loaded from
   strings with a fake image store and builder.  No root, no cluster.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "convert/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ---- names ----------------------------------------------------------- */

static void
test_dns_label (void **state)
{
  static const struct
  {
    const char *in, *out;
  } cases[] = {
    { "web", "web" },       { "web_app", "web-app" }, { "my.db", "my-db" }, { "Cache_1", "cache-1" },
    { "_front_", "front" }, { "a__b", "a--b" },       { "UPPER", "upper" }, { "x-9", "x-9" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_error cc_error_t err = NULL;
      cleanup_free char *got = cv_dns_label (cases[i].in, &err);
      assert_non_null (got);
      assert_string_equal (got, cases[i].out);
      assert_true (cv_is_dns_label (got));
    }
}

static void
test_dns_label_errors (void **state)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_error cc_error_t err2 = NULL;
  cleanup_free char *long_name = xmalloc (70);

  (void)state;
  assert_null (cv_dns_label ("___", &err));
  assert_non_null (strstr (err->msg, "no letter or digit"));
  memset (long_name, 'a', 69);
  long_name[69] = '\0';
  assert_null (cv_dns_label (long_name, &err2));
  assert_non_null (strstr (err2->msg, "63 characters"));
}

static void
test_name_checks (void **state)
{
  cleanup_free char *p1 = cv_port_name ("Metrics");
  cleanup_free char *p2 = cv_port_name ("http_alt");
  cleanup_free char *p3 = cv_port_name ("8080");
  cleanup_free char *p4 = cv_port_name ("a-very-long-port-name");

  (void)state;
  assert_false (cv_is_dns_label ("-a"));
  assert_false (cv_is_dns_label ("a_b"));
  assert_true (cv_is_dns_subdomain ("a.b-c"));
  assert_false (cv_is_dns_subdomain ("a..b"));
  assert_true (cv_is_label_key ("app.kubernetes.io/name"));
  assert_true (cv_is_label_key ("com.example.team"));
  assert_false (cv_is_label_key ("bad key"));
  assert_false (cv_is_label_key ("a/b/c"));
  assert_true (cv_is_label_value (""));
  assert_true (cv_is_label_value ("v1.2_3"));
  assert_false (cv_is_label_value ("hello world"));
  assert_string_equal (p1, "metrics");
  assert_string_equal (p2, "http-alt");
  assert_null (p3); /* an IANA name needs a letter */
  assert_null (p4); /* longer than 15 */
}

static void
test_text_names (void **state)
{
  cleanup_free char *r1 = cv_text_rename ("postgres://u:p@my_db:5432/x?host=my_db", "my_db", "my-db");
  cleanup_free char *r2 = cv_text_rename ("my_db2 my_db.example.com", "my_db", "my-db");

  (void)state;
  assert_true (cv_text_names ("redis", "redis"));
  assert_true (cv_text_names ("redis:6379", "redis"));
  assert_true (cv_text_names ("http://db/x", "db"));
  assert_true (cv_text_names ("--host=db", "db"));
  assert_false (cv_text_names ("redis-cli ping", "redis"));
  assert_false (cv_text_names ("db.example.com", "db"));
  assert_false (cv_text_names ("mydb", "db"));
  assert_false (cv_text_names ("anything", ""));
  assert_string_equal (r1, "postgres://u:p@my-db:5432/x?host=my-db");
  assert_string_equal (r2, "my_db2 my_db.example.com");
}

/* ---- quantities -------------------------------------------------------- */

static void
test_cpu_quantity (void **state)
{
  static const struct
  {
    double cpus;
    const char *q;
    bool exact;
  } cases[] = {
    { 0.5, "500m", true },   { 1, "1", true },        { 1.5, "1500m", true }, { 0.1, "100m", true },
    { 0.25, "250m", true },  { 2, "2", true },        { 0.001, "1m", true },  { 0.0005, "1m", false },
    { 0.0015, "2m", false }, { 0.333, "333m", true },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      bool exact;
      cleanup_free char *q = cv_cpu_quantity (cases[i].cpus, &exact);
      assert_string_equal (q, cases[i].q);
      assert_int_equal (exact, cases[i].exact);
    }
}

static void
test_bytes_quantity (void **state)
{
  static const struct
  {
    int64_t bytes;
    const char *q;
  } cases[] = {
    { INT64_C (268435456), "256Mi" },
    { INT64_C (134217728), "128Mi" },
    { INT64_C (1073741824), "1Gi" },
    { INT64_C (1536) * 1024 * 1024, "1536Mi" },
    { 1000, "1k" },
    { 1500000, "1500k" },
    { 1023, "1023" },
    { 1024, "1Ki" },
    { 0, "0" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_free char *q = cv_bytes_quantity (cases[i].bytes);
      assert_string_equal (q, cases[i].q);
    }
}

static void
test_compose_sizes_are_binary (void **state)
{
  int64_t bytes;
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *q = NULL;

  (void)state;
  /* Docker's RAMInBytes: "256m" and "256M" are MiB, so 256Mi exactly.  */
  assert_int_equal (cc_compose_parse_bytes ("256m", &bytes, &err), 0);
  q = cv_bytes_quantity (bytes);
  assert_string_equal (q, "256Mi");
  assert_int_equal (cv_parse_size ("5Gi", &bytes, &err), 0);
  assert_int_equal (bytes, INT64_C (5) << 30);
  assert_int_equal (cv_parse_size ("512m", &bytes, &err), 0);
  assert_int_equal (bytes, INT64_C (512) << 20);
  assert_int_equal (cv_parse_size ("1Xi", &bytes, &err), -1);
}

static void
test_seconds (void **state)
{
  bool exact;

  (void)state;
  assert_int_equal (cv_seconds (INT64_C (10) * 1000000000, 1, &exact), 10);
  assert_true (exact);
  assert_int_equal (cv_seconds (INT64_C (1500) * 1000000, 1, &exact), 2);
  assert_false (exact);
  assert_int_equal (cv_seconds (0, 1, &exact), 1);
  assert_false (exact);
  assert_int_equal (cv_seconds (0, 0, &exact), 0);
  assert_true (exact);
}

/* ---- secrets and dollars ------------------------------------------------- */

static void
test_secret_heuristic (void **state)
{
  static const char *const secret[] = {
    "DB_PASSWORD",  "POSTGRES_PASSWORD", "dbPassword",      "API_KEY", "AWS_SECRET_ACCESS_KEY",
    "GITHUB_TOKEN", "SESSION_KEY",       "MYSQL_ROOT_PASS", "APIKEY",  "SMTP_CREDENTIALS",
    "JWT_SECRET",
  };
  static const char *const plain[] = {
    "LOG_LEVEL", "MONKEY_COUNT", "KEYBOARD", "PWD", "HOSTNAME", "REDIS_HOST", "PASSENGER_COUNT",
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (secret); i++)
    if (! cv_env_is_secret (secret[i], "x"))
      fail_msg ("`%s` should look secret", secret[i]);
  for (size_t i = 0; i < CC_N_ELEMENTS (plain); i++)
    if (cv_env_is_secret (plain[i], "x"))
      fail_msg ("`%s` should not look secret", plain[i]);
  /* A URL with a password in it is a secret whatever its name.  */
  assert_true (cv_env_is_secret ("DATABASE_URL", "postgres://app:hunter2@db:5432/app"));
  assert_false (cv_env_is_secret ("DATABASE_URL", "postgres://app@db:5432/app"));
  assert_false (cv_env_is_secret ("HOME_URL", "http://example.com/a:b@c"));
  /* Where a secret is kept is not a secret.  */
  assert_false (cv_env_is_secret ("POSTGRES_PASSWORD_FILE", "/run/secrets/db"));
  assert_true (cv_env_is_secret ("POSTGRES_PASSWORD_FILE", "hunter2"));
}

static void
test_escape_dollars (void **state)
{
  static const struct
  {
    const char *in, *out;
  } cases[] = {
    { "$(date)", "$$(date)" }, { "$HOME", "$HOME" }, { "a$$b", "a$$$b" }, { "$", "$" }, { "x$", "x$" },
    { "$$(x)", "$$$$(x)" },    { "", "" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_free char *got = cv_escape_dollars (cases[i].in);
      assert_string_equal (got, cases[i].out);
    }
}

/* ---- the report ---------------------------------------------------------- */

static void
test_report (void **state)
{
  struct cv_report r = { 0 };
  struct cc_convert_result res = { 0 };
  cleanup_free char *text = NULL;
  cleanup_free char *json = NULL;
  cleanup_cjson cJSON *doc = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  cv_report_add (&r, "volume data", "", CC_CONVERT_APPROXIMATED, NULL, "a claim");
  cv_report_add (&r, "service web", "ulimits", CC_CONVERT_DROPPED, "/abs/dir/compose.yaml:9:5", "no ulimits");
  cv_report_add (&r, "service web", "", CC_CONVERT_CONVERTED, "/abs/dir/compose.yaml:3:3", "Deployment `web`");
  cv_report_add (&r, "project", "networks", CC_CONVERT_CONVERTED, NULL, "flat");
  cv_report_sort (&r);
  res.report = r.entries;
  memcpy (res.counts, r.counts, sizeof (res.counts));
  text = cc_convert_report_text (&res);
  assert_string_equal (text, "converted     project: networks: flat\n"
                             "converted     service web: Deployment `web` (compose.yaml:3:3)\n"
                             "dropped       service web: ulimits: no ulimits (compose.yaml:9:5)\n"
                             "approximated  volume data: a claim\n"
                             "2 converted, 1 approximated, 1 dropped\n");
  json = cc_convert_report_json (&res);
  assert_int_equal (cc_json_parse (json, "report", &doc, &err), 0);
  assert_int_equal (cc_json_get_int (cJSON_GetObjectItem (doc, "counts"), "dropped", -1), 1);
  assert_int_equal (cJSON_GetArraySize (cJSON_GetObjectItem (doc, "keys")), 4);
  cJSON_Delete (r.entries);
}

/* Every service key the compose schema knows has a rule in keys.c: none
   can reach the converter and be skipped without a report line.  */
static void
test_every_compose_key_has_a_rule (void **state)
{
  (void)state;
  for (size_t i = 0; i < cc_schema_service.n_keys; i++)
    {
      const char *name = cc_schema_service.keys[i].name;
      /* Resolved by the loader before the model exists.  */
      if (strcmp (name, "extends") == 0 || strcmp (name, "env_file") == 0)
        continue;
      if (! cv_key_has_rule (name))
        fail_msg ("service key `%s` has no conversion rule", name);
    }
}

/* ---- whole conversions ------------------------------------------------------ */

static struct cc_project *
load (const char *yaml)
{
  struct cc_compose_options opts = { .keep_unsupported = true };
  struct cc_loaded l = { 0 };
  cleanup_error cc_error_t err = NULL;
  struct cc_project *p = NULL;

  if (cc_yaml_load_string ("compose.yaml", yaml, strlen (yaml), &l.root, &err) < 0)
    fail_msg ("yaml: %s", err->msg);
  l.project_name = (char *)"proj";
  l.project_dir = (char *)"/proj";
  l.env = cc_env_new ();
  if (cc_project_from_tree (&opts, &l, &p, &err) < 0)
    fail_msg ("load: %s", err->msg);
  cc_node_free (l.root);
  cc_env_free (l.env);
  return p;
}

/* A fake image store: redis:7 EXPOSEs 6379, nothing else is there.  */
static int
fake_lookup (void *opaque, const char *ref, char ***exposed, cc_error_t *err)
{
  (void)opaque, (void)err;
  /* reg.example/team/web: the image fake_build built.  */
  if (strcmp (ref, "redis:7") != 0 && strcmp (ref, "reg.example/team/web") != 0)
    return 0;
  *exposed = NULL;
  cc_strv_append (exposed, strcmp (ref, "redis:7") == 0 ? "6379/tcp" : "5000/tcp");
  return 1;
}

static int
fake_build (void *opaque, const struct cc_project *p, const char *service, const char *ref, char **pinned,
            cc_error_t *err)
{
  (void)p, (void)service, (void)err;
  (*(int *)opaque)++;
  *pinned = xasprintf ("%s@sha256:%064d", ref, 0);
  return 1;
}

static struct cc_convert_result *
convert_ok (struct cc_project *p, struct cc_convert_options *o)
{
  cleanup_error cc_error_t err = NULL;
  struct cc_convert_result *r = NULL;

  o->image_lookup = o->image_lookup ? o->image_lookup : fake_lookup;
  if (cc_convert_kubernetes (p, o, &r, &err) < 0)
    fail_msg ("convert: %s", err->msg);
  return r;
}

static const cJSON *
object (const struct cc_convert_result *r, const char *kind, const char *name)
{
  for (const cJSON *o = r->objects->child; o; o = o->next)
    if (strcmp (cc_json_get_string (o, "kind"), kind) == 0
        && strcmp (cc_json_get_string (cJSON_GetObjectItem (o, "metadata"), "name"), name) == 0)
      return o;
  fail_msg ("no %s `%s`", kind, name);
  return NULL;
}

static const cJSON *
report_line (const struct cc_convert_result *r, const char *scope, const char *key)
{
  for (const cJSON *e = r->report->child; e; e = e->next)
    if (strcmp (cc_json_get_string (e, "scope"), scope) == 0 && strcmp (cc_json_get_string (e, "key"), key) == 0)
      return e;
  fail_msg ("no report line for %s: %s", scope, key);
  return NULL;
}

static const cJSON *
at (const cJSON *j, const char *path)
{
  cleanup_strv char **parts = cc_strv_split (path, '.', true);

  for (char **p = parts; *p && j; p++)
    j = **p >= '0' && **p <= '9' ? cJSON_GetArrayItem (j, atoi (*p)) : cJSON_GetObjectItem (j, *p);
  return j;
}

static void
test_convert_replicas_limits_port (void **state)
{
  cleanup_project struct cc_project *p = load ("services:\n"
                                               "  web:\n"
                                               "    image: ccompose-demo/web\n"
                                               "    ports: ['80:5000']\n"
                                               "    environment: {REDIS_HOST: redis}\n"
                                               "    deploy:\n"
                                               "      replicas: 3\n"
                                               "      resources:\n"
                                               "        limits: {cpus: '0.5', memory: 256M}\n"
                                               "        reservations: {cpus: '0.25', memory: 128M}\n"
                                               "  redis:\n"
                                               "    image: redis:7\n");
  struct cc_convert_options o = { 0 };
  cleanup_convert_result struct cc_convert_result *r = convert_ok (p, &o);
  const cJSON *dep = object (r, "Deployment", "web"), *svc = object (r, "Service", "web");
  const cJSON *ct = at (dep, "spec.template.spec.containers.0");

  (void)state;
  assert_int_equal (cc_json_get_int (at (dep, "spec"), "replicas", 0), 3);
  assert_string_equal (cc_json_get_string (at (ct, "resources.limits"), "cpu"), "500m");
  assert_string_equal (cc_json_get_string (at (ct, "resources.limits"), "memory"), "256Mi");
  assert_string_equal (cc_json_get_string (at (ct, "resources.requests"), "cpu"), "250m");
  assert_string_equal (cc_json_get_string (at (ct, "resources.requests"), "memory"), "128Mi");
  assert_int_equal (cc_json_get_int (at (svc, "spec.ports.0"), "port", 0), 80);
  assert_int_equal (cc_json_get_int (at (svc, "spec.ports.0"), "targetPort", 0), 5000);
  /* Inside the cluster web:5000 keeps working, as on the compose network.  */
  assert_int_equal (cc_json_get_int (at (svc, "spec.ports.1"), "port", 0), 5000);
  /* redis: named by web, its port from the (fake) image store.  */
  assert_int_equal (cc_json_get_int (at (object (r, "Service", "redis"), "spec.ports.0"), "port", 0), 6379);
  assert_int_equal (r->counts[CC_CONVERT_DROPPED], 0);
}

static void
test_convert_reports_drops (void **state)
{
  cleanup_project struct cc_project *p
      = load ("services:\n"
              "  app:\n"
              "    image: busybox\n"
              "    ulimits: {nofile: 1024}\n"
              "    sysctls: {net.core.somaxconn: '1024', net.ipv4.tcp_syncookies: '1'}\n"
              "    user: www-data\n"
              "    volumes: ['./src:/src']\n");
  struct cc_convert_options o = { 0 };
  cleanup_convert_result struct cc_convert_result *r = convert_ok (p, &o);
  const cJSON *pod = at (object (r, "Deployment", "app"), "spec.template.spec");

  (void)state;
  assert_string_equal (cc_json_get_string (report_line (r, "service app", "ulimits"), "status"), "dropped");
  assert_string_equal (cc_json_get_string (report_line (r, "service app", "sysctls.net.core.somaxconn"), "status"),
                       "dropped");
  assert_string_equal (cc_json_get_string (report_line (r, "service app", "sysctls.net.ipv4.tcp_syncookies"), "status"),
                       "converted");
  assert_string_equal (cc_json_get_string (report_line (r, "service app", "user"), "status"), "dropped");
  assert_string_equal (cc_json_get_string (report_line (r, "service app", "volumes[0]"), "status"), "dropped");
  assert_int_equal (r->counts[CC_CONVERT_DROPPED], 4);
  /* Only the safe sysctl is in the pod, and no bind mount.  */
  assert_int_equal (cJSON_GetArraySize (at (pod, "securityContext.sysctls")), 1);
  assert_null (cJSON_GetObjectItem (pod, "volumes"));
}

static const char *
web_image (const struct cc_convert_result *r)
{
  return cc_json_get_string (at (object (r, "Deployment", "web"), "spec.template.spec.containers.0"), "image");
}

static void
test_convert_build_hook (void **state)
{
  cleanup_project struct cc_project *p = load ("services:\n  web:\n    build: .\n");
  struct cc_convert_options o = { .registry = "reg.example/team", .image_lookup = fake_lookup };
  cleanup_convert_result struct cc_convert_result *r1 = convert_ok (p, &o);
  cleanup_convert_result struct cc_convert_result *r2 = NULL;
  cleanup_convert_result struct cc_convert_result *r3 = NULL;
  struct cc_convert_options none = { .image_lookup = fake_lookup };
  int built = 0;

  (void)state;
  /* The pending builder: a tag, reported as not built yet.  */
  assert_string_equal (web_image (r1), "reg.example/team/web");
  assert_string_equal (cc_json_get_string (report_line (r1, "service web", "build"), "status"), "approximated");
  /* A builder that pushes: pinned by digest, the built image's EXPOSE a
     Service port.  */
  o.build = fake_build;
  o.build_opaque = &built;
  r2 = convert_ok (p, &o);
  assert_int_equal (built, 1);
  assert_non_null (strstr (web_image (r2), "reg.example/team/web@sha256:"));
  assert_string_equal (cc_json_get_string (report_line (r2, "service web", "build"), "status"), "converted");
  assert_int_equal (cc_json_get_int (at (object (r2, "Service", "web"), "spec.ports.0"), "port", 0), 5000);
  /* No registry and no image name: Compose's name, unpinned, and the
     report says what --registry would do; nothing is built.  */
  none.build = fake_build;
  none.build_opaque = &built;
  r3 = convert_ok (p, &none);
  assert_int_equal (built, 1);
  assert_string_equal (web_image (r3), "proj-web");
  assert_string_equal (cc_json_get_string (report_line (r3, "service web", "build"), "status"), "approximated");
  assert_non_null (strstr (cc_json_get_string (report_line (r3, "service web", "build"), "detail"), "--registry"));
}

static void
test_convert_name_collision (void **state)
{
  cleanup_project struct cc_project *p = load ("services:\n"
                                               "  app:\n"
                                               "    image: x\n"
                                               "    volumes: [data_1:/a, data.1:/b]\n"
                                               "volumes: {data_1: {}, data.1: {}}\n");
  struct cc_convert_options o = { .image_lookup = fake_lookup };
  struct cc_convert_result *r = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_convert_kubernetes (p, &o, &r, &err), -1);
  assert_non_null (strstr (err->msg, "volume `data.1`"));
  assert_non_null (strstr (err->msg, "volume `data_1`"));
  assert_non_null (strstr (err->msg, "data-1"));
}

static void
test_convert_is_stable (void **state)
{
  cleanup_project struct cc_project *p = load ("services:\n"
                                               "  b: {image: x, depends_on: [a], environment: {Z: '1', A: a}}\n"
                                               "  a: {image: redis:7, healthcheck: {test: [CMD, true]}}\n");
  struct cc_convert_options o = { 0 };
  cleanup_convert_result struct cc_convert_result *r1 = convert_ok (p, &o);
  cleanup_convert_result struct cc_convert_result *r2 = convert_ok (p, &o);
  cleanup_free char *s1 = cc_convert_render_stream (r1);
  cleanup_free char *s2 = cc_convert_render_stream (r2);

  (void)state;
  assert_string_equal (s1, s2);
  /* Objects in a fixed order, keys sorted: Service before Deployment, and
     apiVersion first in every object.  */
  assert_true (strstr (s1, "kind: Service") < strstr (s1, "kind: Deployment"));
  assert_int_equal (strncmp (s1, "apiVersion:", 11), 0);
  assert_null (strstr (s1, "creationTimestamp"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_dns_label),
    cmocka_unit_test (test_dns_label_errors),
    cmocka_unit_test (test_name_checks),
    cmocka_unit_test (test_text_names),
    cmocka_unit_test (test_cpu_quantity),
    cmocka_unit_test (test_bytes_quantity),
    cmocka_unit_test (test_compose_sizes_are_binary),
    cmocka_unit_test (test_seconds),
    cmocka_unit_test (test_secret_heuristic),
    cmocka_unit_test (test_escape_dollars),
    cmocka_unit_test (test_report),
    cmocka_unit_test (test_every_compose_key_has_a_rule),
    cmocka_unit_test (test_convert_replicas_limits_port),
    cmocka_unit_test (test_convert_reports_drops),
    cmocka_unit_test (test_convert_build_hook),
    cmocka_unit_test (test_convert_name_collision),
    cmocka_unit_test (test_convert_is_stable),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
