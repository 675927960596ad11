/* Unit tests for the compose model: units, ports, volumes, command
   splitting, normalization, validation with positions, profiles, graph,
   hash and rendering.  Pure code: documents are loaded from strings.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "tests/unit/compose-helpers.h"

/* ---- helpers ------------------------------------------------------- */

static int
load_opts (const char *yaml, const struct cc_compose_options *opts, struct cc_project **out, cc_error_t *err)
{
  return test_load_project (yaml, opts, out, err);
}

static int
load (const char *yaml, struct cc_project **out, cc_error_t *err)
{
  struct cc_compose_options opts = { 0 };

  return load_opts (yaml, &opts, out, err);
}

static struct cc_project *
load_ok (const char *yaml)
{
  cleanup_error cc_error_t err = NULL;
  struct cc_project *p = NULL;

  if (load (yaml, &p, &err) < 0)
    fail_msg ("load failed: %s", err->msg);
  return p;
}

/* For documents with keys parsed but not honoured yet.  */
static struct cc_project *
load_ignoring (const char *yaml)
{
  struct cc_compose_options opts = { .ignore_unsupported = true };
  cleanup_error cc_error_t err = NULL;
  struct cc_project *p = NULL;

  if (load_opts (yaml, &opts, &p, &err) < 0)
    fail_msg ("load failed: %s", err->msg);
  return p;
}

/* The error's first line must start with PREFIX ("test.yaml:3:7: ...").  */
static void
expect_error (const char *yaml, const char *prefix)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_project struct cc_project *p = NULL;

  if (load (yaml, &p, &err) == 0)
    fail_msg ("expected an error starting with `%s`", prefix);
  if (strncmp (err->msg, prefix, strlen (prefix)) != 0)
    fail_msg ("error `%s` does not start with `%s`", err->msg, prefix);
}

static char *
json_of (const cJSON *j)
{
  return cJSON_PrintUnformatted (j);
}

static void
assert_json (const cJSON *j, const char *expected)
{
  cleanup_free char *s = json_of (j);

  assert_string_equal (s, expected);
}

static const cJSON *
svc (const struct cc_project *p, const char *name)
{
  const cJSON *s = cc_project_service_json (p, name);

  assert_non_null (s);
  return s;
}

/* ---- units --------------------------------------------------------- */

static void
test_durations (void **state)
{
  static const struct
  {
    const char *in, *out;
  } ok[] = {
    { "1m30s", "1m30s" }, { "90s", "1m30s" }, { "500ms", "500ms" },   { "1h", "1h0m0s" },  { "1.5s", "1.5s" },
    { "0", "0s" },        { "10us", "10µs" }, { "2h45m", "2h45m0s" }, { "1d", "24h0m0s" }, { "250ns", "250ns" },
  };
  /* The last ones are out of the int64 range (or not numbers at all):
     casting them was undefined behaviour (fuzz/regressions/units/).  */
  static const char *const bad[] = { "10",     "abc", "5x",    "",       "1m30",  "-1s", "s",    "1s5",  "ms",
                                     "1e400s", "1 s", "13e89", "1e300s", "1e300", "inf", "infs", "nans", "nan" };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (ok); i++)
    {
      int64_t ns;
      cleanup_free char *s = NULL;
      assert_int_equal (cc_parse_duration (ok[i].in, &ns, NULL), 0);
      s = cc_format_duration (ns);
      assert_string_equal (s, ok[i].out);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_error cc_error_t err = NULL;
      int64_t ns;
      if (cc_parse_duration (bad[i], &ns, &err) == 0)
        fail_msg ("duration `%s` accepted", bad[i]);
      assert_non_null (strstr (err->msg, "invalid duration"));
    }
}

static void
test_bytes (void **state)
{
  static const struct
  {
    const char *in;
    int64_t out;
  } ok[] = {
    { "512m", 536870912LL },  { "1g", 1073741824LL }, { "100k", 102400 },      { "1024", 1024 },
    { "1.5g", 1610612736LL }, { "10mb", 10485760 },   { "2GB", 2147483648LL }, { "7b", 7 },
  };
  static const char *const bad[] = { "12q", "-1", "m", "", "1gg", "1.2.3" };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (ok); i++)
    {
      int64_t b = 0;
      assert_int_equal (cc_parse_bytes (ok[i].in, &b, NULL), 0);
      assert_int_equal (b, ok[i].out);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      int64_t b;
      if (cc_parse_bytes (bad[i], &b, NULL) == 0)
        fail_msg ("size `%s` accepted", bad[i]);
    }
}

/* ---- ports --------------------------------------------------------- */

static void
test_ports_short (void **state)
{
  static const struct
  {
    const char *spec, *json;
  } cases[] = {
    { "80", "[{\"mode\":\"ingress\",\"target\":80,\"protocol\":\"tcp\"}]" },
    { "8080:80", "[{\"mode\":\"ingress\",\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"}]" },
    { "127.0.0.1:8080:80",
      "[{\"mode\":\"ingress\",\"host_ip\":\"127.0.0.1\",\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"}]" },
    { "127.0.0.1::80", "[{\"mode\":\"ingress\",\"host_ip\":\"127.0.0.1\",\"target\":80,\"protocol\":\"tcp\"}]" },
    { "8080-8081:80-81", "[{\"mode\":\"ingress\",\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"},"
                         "{\"mode\":\"ingress\",\"target\":81,\"published\":\"8081\",\"protocol\":\"tcp\"}]" },
    { "53:53/udp", "[{\"mode\":\"ingress\",\"target\":53,\"published\":\"53\",\"protocol\":\"udp\"}]" },
    { "[::1]:8080:80",
      "[{\"mode\":\"ingress\",\"host_ip\":\"::1\",\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"}]" },
    { "::1:8080:80",
      "[{\"mode\":\"ingress\",\"host_ip\":\"::1\",\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"}]" },
    { "3000-3001", "[{\"mode\":\"ingress\",\"target\":3000,\"protocol\":\"tcp\"},"
                   "{\"mode\":\"ingress\",\"target\":3001,\"protocol\":\"tcp\"}]" },
    { "8000-8010:80", "[{\"mode\":\"ingress\",\"target\":80,\"published\":\"8000-8010\",\"protocol\":\"tcp\"}]" },
    { "0.0.0.0:5000:5000/sctp",
      "[{\"mode\":\"ingress\",\"host_ip\":\"0.0.0.0\",\"target\":5000,\"published\":\"5000\",\"protocol\":\"sctp\"}]" },
  };
  static const char *const bad[] = {
    "70000", "8080:0", "8080-8081:80-82", "80/foo", "abc", "[::1:8080:80", "1.2.3.999:80:80",
    ":",     "",       "81-80",           "8080:",  "-1",  "80:80:80:80x", "99999:80",
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_cjson cJSON *arr = cJSON_CreateArray ();
      cleanup_error cc_error_t err = NULL;
      if (cc_ports_parse_short (cases[i].spec, arr, &err) < 0)
        fail_msg ("`%s`: %s", cases[i].spec, err->msg);
      assert_json (arr, cases[i].json);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_cjson cJSON *arr = cJSON_CreateArray ();
      if (cc_ports_parse_short (bad[i], arr, NULL) == 0)
        fail_msg ("port `%s` accepted", bad[i]);
    }
}

static void
test_ports_long (void **state)
{
  cleanup_project struct cc_project *p = load_ok ("services:\n"
                                                  "  web:\n"
                                                  "    image: nginx\n"
                                                  "    ports:\n"
                                                  "      - target: 80\n"
                                                  "        published: 8080\n"
                                                  "        host_ip: 127.0.0.1\n"
                                                  "        name: http\n"
                                                  "        app_protocol: http\n"
                                                  "      - target: 443\n"
                                                  "        protocol: udp\n"
                                                  "        mode: host\n"
                                                  "        x-note: ignored\n");

  (void)state;
  assert_json (cJSON_GetObjectItemCaseSensitive (svc (p, "web"), "ports"),
               "[{\"name\":\"http\",\"mode\":\"ingress\",\"host_ip\":\"127.0.0.1\",\"target\":80,"
               "\"published\":\"8080\",\"protocol\":\"tcp\",\"app_protocol\":\"http\"},"
               "{\"mode\":\"host\",\"target\":443,\"protocol\":\"udp\"}]");
  expect_error ("services:\n  web:\n    image: x\n    ports:\n      - published: 80\n",
                "test.yaml:5:9: port: `target` is required");
  expect_error ("services:\n  web:\n    image: x\n    ports:\n      - target: 80\n        mode: swarm\n",
                "test.yaml:6:15: invalid port mode `swarm`");
  expect_error ("services:\n  web:\n    image: x\n    ports:\n      - target: 0\n", "test.yaml:5:17: invalid port 0");
}

/* ---- volumes ------------------------------------------------------- */

static void
test_volumes_short (void **state)
{
  static const struct
  {
    const char *spec, *json;
  } cases[] = {
    { "./data:/data",
      "{\"type\":\"bind\",\"source\":\"/proj/data\",\"target\":\"/data\",\"bind\":{\"create_host_path\":true}}" },
    { "/abs:/x:ro", "{\"type\":\"bind\",\"source\":\"/abs\",\"target\":\"/x\",\"read_only\":true,"
                    "\"bind\":{\"create_host_path\":true}}" },
    { "~/cfg:/etc/cfg", "{\"type\":\"bind\",\"source\":\"/home/tester/cfg\",\"target\":\"/etc/"
                        "cfg\",\"bind\":{\"create_host_path\":true}}" },
    { "db:/var/lib/db:nocopy",
      "{\"type\":\"volume\",\"source\":\"db\",\"target\":\"/var/lib/db\",\"volume\":{\"nocopy\":true}}" },
    { "/anon", "{\"type\":\"volume\",\"target\":\"/anon\",\"volume\":{}}" },
    { "../up:/b:rw,rshared", "{\"type\":\"bind\",\"source\":\"/up\",\"target\":\"/b\",\"bind\":{\"propagation\":"
                             "\"rshared\",\"create_host_path\":true}}" },
    { "./a:/b:z", "{\"type\":\"bind\",\"source\":\"/proj/a\",\"target\":\"/b\",\"bind\":{\"selinux\":\"z\","
                  "\"create_host_path\":true}}" },
  };
  static const char *const bad[] = { "a:/b:ro:x", "data:relative", "./a:/b:bogus", ":/x", "db:/x:rshared", "" };

  (void)state;
  setenv ("HOME", "/home/tester", 1);
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_cjson cJSON *v = NULL;
      cleanup_error cc_error_t err = NULL;
      if (cc_volume_parse_short (cases[i].spec, "/proj", &v, &err) < 0)
        fail_msg ("`%s`: %s", cases[i].spec, err->msg);
      assert_json (v, cases[i].json);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_cjson cJSON *v = NULL;
      if (cc_volume_parse_short (bad[i], "/proj", &v, NULL) == 0)
        fail_msg ("volume `%s` accepted", bad[i]);
    }
}

static void
test_volumes_long (void **state)
{
  cleanup_project struct cc_project *p = load_ignoring ("services:\n"
                                                        "  db:\n"
                                                        "    image: postgres\n"
                                                        "    volumes:\n"
                                                        "      - type: bind\n"
                                                        "        source: ./conf\n"
                                                        "        target: /etc/conf\n"
                                                        "        read_only: true\n"
                                                        "        bind:\n"
                                                        "          propagation: rslave\n"
                                                        "      - type: volume\n"
                                                        "        source: data\n"
                                                        "        target: /var/lib/data\n"
                                                        "        volume:\n"
                                                        "          nocopy: true\n"
                                                        "      - type: tmpfs\n"
                                                        "        target: /run\n"
                                                        "        tmpfs:\n"
                                                        "          size: 64m\n"
                                                        "volumes:\n"
                                                        "  data:\n");

  (void)state;
  assert_json (cJSON_GetObjectItemCaseSensitive (svc (p, "db"), "volumes"),
               "[{\"type\":\"bind\",\"source\":\"/proj/conf\",\"target\":\"/etc/conf\",\"read_only\":true,"
               "\"bind\":{\"propagation\":\"rslave\",\"create_host_path\":true}},"
               "{\"type\":\"volume\",\"source\":\"data\",\"target\":\"/var/lib/data\",\"volume\":{\"nocopy\":true}},"
               "{\"type\":\"tmpfs\",\"target\":\"/run\",\"tmpfs\":{\"size\":\"67108864\"}}]");
  expect_error ("services:\n  a:\n    image: x\n    volumes:\n      - type: bind\n        source: /h\n"
                "        target: /c\n        bind: {recursive: sideways}\n",
                "test.yaml:8:27: invalid bind recursive `sideways`");
  expect_error ("services:\n  a:\n    image: x\n    security_opt: ['apparmor=docker-default']\n",
                "test.yaml:4:20: security_opt `apparmor=docker-default` (ccompose loads no AppArmor profile");
  expect_error ("services:\n  a:\n    image: x\n    volumes:\n      - type: nfs\n        target: /x\n",
                "test.yaml:5:15: invalid volume type `nfs`");
  expect_error ("services:\n  a:\n    image: x\n    volumes:\n      - type: bind\n        target: /x\n",
                "test.yaml:5:9: bind mount: `source` is required");
  expect_error ("services:\n  a:\n    image: x\n    volumes:\n      - ./x:y\n",
                "test.yaml:5:9: invalid volume `./x:y`: the target `y` must be an absolute path");
}

/* ---- commands ------------------------------------------------------ */

static void
test_shell_split (void **state)
{
  cleanup_strv char **v = NULL;
  cleanup_strv char **empty = NULL;
  cleanup_free char *joined = NULL;

  (void)state;
  assert_int_equal (cc_shell_split ("echo \"hello world\" 'a b' c\\ d \"q\\\"x\" ''", &v, NULL), 0);
  joined = cc_strv_join (v, "|");
  assert_string_equal (joined, "echo|hello world|a b|c d|q\"x|");
  assert_int_equal (cc_shell_split ("   ", &empty, NULL), 0);
  assert_null (empty[0]);
  assert_int_equal (cc_shell_split ("sh -c \"unterminated", &v, NULL), -1);
}

/* ---- normalization ------------------------------------------------- */

static void
test_normalize_service (void **state)
{
  cleanup_project struct cc_project *p = load_ok ("services:\n"
                                                  "  web:\n"
                                                  "    image: nginx\n"
                                                  "    command: nginx -g 'daemon off;'\n"
                                                  "    environment:\n"
                                                  "      - A=1\n"
                                                  "      - FROM_SHELL\n"
                                                  "      - UNSET_ONE\n"
                                                  "    labels: [\"com.example=x\", \"bare\"]\n"
                                                  "    depends_on: [db]\n"
                                                  "    healthcheck:\n"
                                                  "      test: curl -f http://localhost\n"
                                                  "      interval: 90s\n"
                                                  "      retries: 3\n"
                                                  "    sysctls: [\"net.core.somaxconn=1024\"]\n"
                                                  "    ulimits:\n"
                                                  "      nproc: 65535\n"
                                                  "      nofile: {soft: 1024, hard: 2048}\n"
                                                  "    extra_hosts: [\"b.local:10.0.0.2\", \"a.local=::1\"]\n"
                                                  "    mem_limit: 512m\n"
                                                  "    cpus: 0.5\n"
                                                  "    stop_grace_period: 1m30s\n"
                                                  "    deploy:\n"
                                                  "      replicas: 2\n"
                                                  "  db:\n"
                                                  "    image: postgres\n"
                                                  "    network_mode: host\n"
                                                  "x-common: &c {a: 1}\n");
  const cJSON *web = svc (p, "web");

  (void)state;
  assert_string_equal (p->model->child->string, "name");
  assert_string_equal (cc_json_get_string (p->model, "name"), "proj");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "command"), "[\"nginx\",\"-g\",\"daemon off;\"]");
  assert_true (cJSON_IsNull (cJSON_GetObjectItemCaseSensitive (web, "entrypoint")));
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "environment"),
               "{\"A\":\"1\",\"FROM_SHELL\":\"shell-value\",\"UNSET_ONE\":null}");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "labels"), "{\"bare\":\"\",\"com.example\":\"x\"}");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "depends_on"),
               "{\"db\":{\"condition\":\"service_started\",\"required\":true}}");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "healthcheck"),
               "{\"test\":[\"CMD-SHELL\",\"curl -f http://localhost\"],\"interval\":\"1m30s\",\"retries\":3}");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "sysctls"), "{\"net.core.somaxconn\":\"1024\"}");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "ulimits"),
               "{\"nofile\":{\"soft\":1024,\"hard\":2048},\"nproc\":65535}");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "extra_hosts"), "[\"a.local=::1\",\"b.local=10.0.0.2\"]");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "mem_limit"), "\"536870912\"");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "cpus"), "0.5");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "stop_grace_period"), "\"1m30s\"");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "scale"), "2");
  assert_json (cJSON_GetObjectItemCaseSensitive (web, "networks"), "{\"default\":null}");
  assert_null (cJSON_GetObjectItemCaseSensitive (svc (p, "db"), "networks"));
  assert_json (cJSON_GetObjectItemCaseSensitive (p->model, "networks"),
               "{\"default\":{\"name\":\"proj_default\",\"ipam\":{}}}");
  {
    cleanup_free char *w1 = cc_project_where (p, "web", "mem_limit");
    cleanup_free char *w2 = cc_project_where (p, "db", NULL);
    cleanup_free char *w3 = cc_project_where (p, "db", "nope");
    assert_string_equal (w1, "test.yaml:20:16");
    assert_string_equal (w2, "test.yaml:25:3");
    assert_string_equal (w3, "test.yaml:25:3");
    assert_null (cc_project_where (p, "ghost", NULL));
  }
}

static void
test_normalize_resources (void **state)
{
  cleanup_project struct cc_project *p = load_ok ("services:\n"
                                                  "  a:\n"
                                                  "    image: x\n"
                                                  "    networks:\n"
                                                  "      front:\n"
                                                  "        aliases: [www]\n"
                                                  "        ipv4_address: 172.30.0.10\n"
                                                  "      back:\n"
                                                  "    volumes: [\"data:/d\", \"ext:/e\"]\n"
                                                  "networks:\n"
                                                  "  front:\n"
                                                  "    ipam:\n"
                                                  "      config:\n"
                                                  "        - subnet: 172.30.0.0/24\n"
                                                  "  back:\n"
                                                  "    internal: true\n"
                                                  "  outside:\n"
                                                  "    external: true\n"
                                                  "volumes:\n"
                                                  "  data:\n"
                                                  "  ext:\n"
                                                  "    external: true\n"
                                                  "    name: real-ext\n");

  (void)state;
  assert_json (cJSON_GetObjectItemCaseSensitive (svc (p, "a"), "networks"),
               "{\"back\":null,\"front\":{\"aliases\":[\"www\"],\"ipv4_address\":\"172.30.0.10\"}}");
  assert_json (cJSON_GetObjectItemCaseSensitive (p->model, "networks"),
               "{\"back\":{\"name\":\"proj_back\",\"ipam\":{},\"internal\":true},"
               "\"front\":{\"name\":\"proj_front\",\"ipam\":{\"config\":[{\"subnet\":\"172.30.0.0/24\"}]}},"
               "\"outside\":{\"name\":\"outside\",\"ipam\":{},\"external\":true}}");
  assert_json (cJSON_GetObjectItemCaseSensitive (p->model, "volumes"),
               "{\"data\":{\"name\":\"proj_data\"},\"ext\":{\"name\":\"real-ext\",\"external\":true}}");
}

static void
test_unknown_and_unsupported (void **state)
{
  struct cc_compose_options ignore = { .ignore_unsupported = true };
  cleanup_project struct cc_project *p = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  expect_error ("services:\n  web:\n    image: x\n    enviroment: [A=1]\n",
                "test.yaml:4:5: unknown key `enviroment` in service: did you mean `environment`?");
  expect_error ("servics:\n  web:\n    image: x\n",
                "test.yaml:1:1: unknown key `servics` in top level: did you mean `services`?");
  expect_error ("services:\n  web:\n    image: x\n    runtime: runc\n",
                "test.yaml:4:5: `runtime` is not supported by ccompose yet");
  expect_error ("services:\n  web:\n    image: x\n    logging:\n      driver: journald\n",
                "test.yaml:5:15: logging driver `journald` is not supported by ccompose yet");
  assert_int_equal (load_opts ("services:\n  web:\n    image: x\n    runtime: runc\n", &ignore, &p, &err), 0);
  assert_string_equal (cc_json_get_string (svc (p, "web"), "runtime"), "runc");
}

static void
test_validation_positions (void **state)
{
  (void)state;
  expect_error ("services:\n  web:\n    image: x\n    networks: [back]\n",
                "test.yaml:4:16: service `web` uses undefined network `back`");
  expect_error ("services:\n  web:\n    image: x\n    volumes: [\"data:/d\"]\n",
                "test.yaml:4:15: service `web` uses undefined volume `data`");
  expect_error ("services:\n  web:\n    image: x\n    depends_on: [api]\n",
                "test.yaml:4:18: service `web` depends on undefined service `api`");
  expect_error ("services:\n  web:\n    image: x\n    scale: 2\n    container_name: web\n",
                "test.yaml:5:21: service `web`: `container_name` must be unique");
  expect_error ("services:\n  web:\n    build:\n      context: .\n      dockerfil: x\n",
                "test.yaml:5:7: unknown key `dockerfil` in build: did you mean `dockerfile`?");
  expect_error ("services:\n  web:\n    restart: sometimes\n    image: x\n", "test.yaml:3:14: invalid restart policy");
  expect_error ("services:\n  web:\n    privileged: maybe\n    image: x\n",
                "test.yaml:3:17: privileged: `maybe` is not a boolean");
  expect_error ("services:\n  web:\n    command: {a: 1}\n    image: x\n",
                "test.yaml:3:14: `command` must be a string or a list");
  expect_error ("services:\n  web: {}\n", "test.yaml:2:3: service `web` has neither an image nor a build context");
  expect_error ("services:\n  web:\n    image: x\n    healthcheck:\n      interval: 10\n",
                "test.yaml:5:17: interval: invalid duration `10`");
  expect_error ("services:\n  web:\n    image: x\n    shm_size: lots\n",
                "test.yaml:4:15: shm_size: invalid size `lots`");
  expect_error ("services:\n  web:\n    image: x\n    ports: [\"99999:80\"]\n", "test.yaml:4:13: invalid port `99999`");
}

/* Values that become lines of /etc/resolv.conf and /etc/hosts, or
   kernel names: a line break in one would be a line of its own in the
   container's files (issue 12).  */
static void
test_injected_lines_are_refused (void **state)
{
  cleanup_project struct cc_project *p = NULL;

  (void)state;
  expect_error ("services:\n  web:\n    image: x\n    dns: \"1.1.1.1\\nnameserver 6.6.6.6\"\n",
                "test.yaml:4:10: service `web`: dns `1.1.1.1\\nnameserver 6.6.6.6` is not an IP address");
  expect_error ("services:\n  web:\n    image: x\n    dns: [1.1.1.1, example.com]\n",
                "test.yaml:4:20: service `web`: dns `example.com` is not an IP address");
  expect_error ("services:\n  web:\n    image: x\n    extra_hosts: [\"a:1.2.3.4\\n6.6.6.6 evil\"]\n",
                "test.yaml:4:19: extra_hosts: the address of `a` is not an IP address");
  expect_error ("services:\n  web:\n    image: x\n    extra_hosts:\n      \"evil\\n6.6.6.6 x\": 1.2.3.4\n",
                "test.yaml:5:26: extra_hosts: bad host name");
  expect_error ("services:\n  web:\n    image: x\n    extra_hosts: [\"a b=1.2.3.4\"]\n",
                "test.yaml:4:19: extra_hosts: bad host name `a b`");
  expect_error ("services:\n  web:\n    image: x\n    dns_search: [\"example.com\\nnameserver 6.6.6.6\"]\n",
                "test.yaml:4:18: service `web`: dns_search `example.com\\nnameserver 6.6.6.6` is not a domain name");
  expect_error ("services:\n  web:\n    image: x\n    dns_search: [-bad.com]\n",
                "test.yaml:4:18: service `web`: dns_search `-bad.com` is not a domain name");
  expect_error ("services:\n  web:\n    image: x\n    dns_opt: [\"ndots:1\\nnameserver 6.6.6.6\"]\n",
                "test.yaml:4:15: service `web`: dns_opt `ndots:1\\nnameserver 6.6.6.6` is not a resolver option");
  expect_error ("services:\n  web:\n    image: x\n    hostname: \"web\\n6.6.6.6 evil\"\n",
                "test.yaml:4:15: service `web`: hostname `web\\n6.6.6.6 evil` is not a host name");
  /* What Docker and Compose take stays valid.  */
  p = load_ok ("services:\n  web:\n    image: x\n    dns: [1.1.1.1, \"2001:db8::1\"]\n"
               "    dns_search: [., example.com, my-corp.example.com.]\n    dns_opt: [ndots:2, use-vc, timeout:1]\n"
               "    hostname: web_1.example\n    domainname: example.com\n"
               "    extra_hosts: [\"a:1.2.3.4\", \"b=::1\", \"c:[2001:db8::2]\", \"gw.local:host-gateway\"]\n");
}

/* Limits Docker refuses when it creates the container, refused at load
   time with the line that set them.  */
static void
test_limits_are_dockers (void **state)
{
  cleanup_project struct cc_project *p = NULL;
  cleanup_free char *long_name = xmalloc (301), *yaml = NULL;

  (void)state;
  expect_error ("services:\n  web:\n    image: x\n    mem_limit: 1\n",
                "test.yaml:4:16: service `web`: mem_limit 1 is below the minimum memory limit of 6MB");
  expect_error ("services:\n  web:\n    image: x\n    mem_limit: -1\n",
                "test.yaml:4:16: service `web`: mem_limit -1 is below the minimum memory limit of 6MB");
  expect_error ("services:\n  web:\n    image: x\n    deploy: {resources: {limits: {memory: 1m}}}\n",
                "test.yaml:4:43: service `web`: deploy.resources.limits.memory 1048576 is below");
  expect_error ("services:\n  web:\n    image: x\n    mem_limit: 8m\n    memswap_limit: 7m\n",
                "test.yaml:5:20: service `web`: memswap_limit 7340032 is below mem_limit");
  expect_error ("services:\n  web:\n    image: x\n    cpus: 1e308\n",
                "test.yaml:4:11: service `web`: cpus 1e+308: range of CPUs is from 0.01 to");
  expect_error ("services:\n  web:\n    image: x\n    cpus: -1\n", "test.yaml:4:11: service `web`: cpus -1: range");
  expect_error ("services:\n  web:\n    image: x\n    healthcheck: {test: [CMD, \"true\"], interval: 10us}\n",
                "test.yaml:4:50: service `web`: healthcheck interval 10µs is below 1ms (0 means the default)");
  expect_error ("services:\n  web:\n    image: x\n    healthcheck: {test: [CMD, \"true\"], retries: -1}\n",
                "test.yaml:4:49: service `web`: healthcheck retries cannot be negative");
  expect_error ("services:\n  web:\n    image: x\n    shm_size: -1\n",
                "test.yaml:4:15: service `web`: shm_size cannot be negative");
  expect_error ("services:\n  web:\n    image: x\n    hostname: "
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
                "test.yaml:4:15: service `web`: hostname `aaaa");
  memset (long_name, 'a', 300);
  long_name[300] = '\0';
  yaml = xasprintf ("services:\n  %s:\n    image: x\n", long_name);
  expect_error (yaml, "test.yaml:2:3: service name `aaaaaaaaaaaaaaaaaaaa...` is longer than 63 characters");
  free (yaml);
  long_name[100] = '\0';
  yaml = xasprintf ("services:\n  web:\n    image: x\n    container_name: %s%s\n", long_name, long_name);
  expect_error (yaml, "test.yaml:4:21: service `web`: container name `aaaa");
  /* 0 means no limit, or the default; the bounds themselves are fine.  */
  p = load_ok ("services:\n  web:\n    image: x\n    mem_limit: 6m\n    memswap_limit: -1\n    cpus: 0.01\n"
               "    healthcheck: {test: [CMD, \"true\"], interval: 0s, timeout: 1ms, retries: 0}\n"
               "  db:\n    image: x\n    mem_limit: 0\n    cpus: 0\n");
}

/* ---- graph --------------------------------------------------------- */

static const char graph_yaml[] = "services:\n"
                                 "  web: {image: x, depends_on: [api]}\n"
                                 "  api: {image: x, depends_on: {db: {condition: service_healthy}}}\n"
                                 "  worker: {image: x, depends_on: [db]}\n"
                                 "  db: {image: x}\n"
                                 "  cache: {image: x}\n";

static void
test_graph_levels (void **state)
{
  cleanup_project struct cc_project *p = load_ok (graph_yaml);
  cleanup_levels struct cc_compose_levels *l = NULL;
  cleanup_levels struct cc_compose_levels *sub = NULL;
  cleanup_strv char **start = cc_compose_start_order (p);
  cleanup_strv char **stop = cc_compose_stop_order (p);
  cleanup_strv char **sel = NULL;
  cleanup_free char *s0 = NULL, *s1 = NULL, *s2 = NULL, *j1 = NULL, *j2 = NULL, *j3 = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_compose_levels (p, NULL, &l, NULL), 0);
  assert_int_equal (l->n_levels, 3);
  s0 = cc_strv_join (l->levels[0], ",");
  s1 = cc_strv_join (l->levels[1], ",");
  s2 = cc_strv_join (l->levels[2], ",");
  assert_string_equal (s0, "cache,db");
  assert_string_equal (s1, "api,worker");
  assert_string_equal (s2, "web");
  j1 = cc_strv_join (start, ",");
  j2 = cc_strv_join (stop, ",");
  assert_string_equal (j1, "cache,db,api,worker,web");
  assert_string_equal (j2, "web,worker,api,db,cache");
  assert_int_equal (cc_compose_select (p, (char *[]){ "web", NULL }, &sel, NULL), 0);
  j3 = cc_strv_join (sel, ",");
  assert_string_equal (j3, "api,db,web");
  assert_int_equal (cc_compose_levels (p, (char *[]){ "worker", NULL }, &sub, NULL), 0);
  assert_int_equal (sub->n_levels, 2);
  assert_int_equal (cc_compose_select (p, (char *[]){ "nope", NULL }, &sel, &err), -1);
  assert_non_null (strstr (err->msg, "no such service: `nope`"));
}

static void
test_graph_cycles (void **state)
{
  (void)state;
  expect_error ("services:\n"
                "  a: {image: x, depends_on: [b]}\n"
                "  b: {image: x, depends_on: [c]}\n"
                "  c:\n"
                "    image: x\n"
                "    depends_on: [a]\n",
                "test.yaml:2:30: dependency cycle: a -> b -> c -> a");
  expect_error ("services:\n  a:\n    image: x\n    depends_on: [a]\n", "test.yaml:4:18: dependency cycle: a -> a");
  expect_error ("services:\n  a: {image: x, network_mode: 'service:b'}\n  b: {image: x, links: [a]}\n",
                "test.yaml:2:6: dependency cycle: a -> b -> a");
}

static void
test_graph_diamond (void **state)
{
  cleanup_project struct cc_project *p = load_ok ("services:\n"
                                                  "  top: {image: x, depends_on: [left, right]}\n"
                                                  "  left: {image: x, depends_on: [base]}\n"
                                                  "  right: {image: x, depends_on: [base]}\n"
                                                  "  base: {image: x}\n"
                                                  "  alone: {image: x}\n");
  cleanup_levels struct cc_compose_levels *l = NULL;
  cleanup_free char *s0 = NULL, *s1 = NULL, *s2 = NULL;

  (void)state;
  assert_int_equal (cc_compose_levels (p, NULL, &l, NULL), 0);
  assert_int_equal (l->n_levels, 3);
  s0 = cc_strv_join (l->levels[0], ",");
  s1 = cc_strv_join (l->levels[1], ",");
  s2 = cc_strv_join (l->levels[2], ",");
  assert_string_equal (s0, "alone,base");
  assert_string_equal (s1, "left,right");
  assert_string_equal (s2, "top");
}

static void
test_schema_suggestions (void **state)
{
  (void)state;
  assert_int_equal (cc_edit_distance ("", ""), 0);
  assert_int_equal (cc_edit_distance ("ports", "port"), 1);
  assert_int_equal (cc_edit_distance ("kitten", "sitting"), 3);
  assert_string_equal (cc_schema_suggest (&cc_schema_service, "imgae"), "image");
  assert_string_equal (cc_schema_suggest (&cc_schema_service, "depend_on"), "depends_on");
  assert_null (cc_schema_suggest (&cc_schema_service, "completely-different"));
  /* Every key of the table is found by name, so the table has no typo.  */
  for (size_t i = 0; i < cc_schema_service.n_keys; i++)
    assert_ptr_equal (cc_schema_find (&cc_schema_service, cc_schema_service.keys[i].name), &cc_schema_service.keys[i]);
}

/* ---- hash ---------------------------------------------------------- */

static char *
hash_of (const char *yaml, const char *service)
{
  cleanup_project struct cc_project *p = load_ok (yaml);
  char *h = NULL;

  assert_int_equal (cc_compose_service_hash (p, service, &h, NULL), 0);
  return h;
}

static void
test_hash (void **state)
{
  cleanup_free char *a = hash_of ("services:\n  w: {image: x, environment: {A: '1', B: '2'}, ports: ['80']}\n", "w");
  cleanup_free char *b = hash_of ("services:\n  w: {ports: ['80'], environment: [B=2, A=1], image: x}\n", "w");
  cleanup_free char *c = hash_of ("services:\n  w: {image: x, environment: {A: '1', B: '3'}, ports: ['80']}\n", "w");
  cleanup_free char *d = hash_of ("services:\n  w: {image: x, environment: {A: '1', B: '2'}, ports: ['80'], scale: 3}\n"
                                  "  z: {image: y}\n",
                                  "w");
  cleanup_free char *e = hash_of ("services:\n  w: {image: x, environment: {A: '1', B: '2'}, ports: ['81']}\n", "w");
  /* What does not need a new container leaves the hash alone.  */
  cleanup_free char *f = hash_of ("services:\n  w: {image: x, environment: {A: '1', B: '2'}, ports: ['80'],\n"
                                  "      depends_on: [z], pull_policy: always, deploy: {replicas: 2}}\n"
                                  "  z: {image: y}\n",
                                  "w");

  (void)state;
  assert_int_equal (strlen (a), 64);
  assert_string_equal (a, b);
  assert_string_not_equal (a, c);
  assert_string_equal (a, d);
  assert_string_not_equal (a, e);
  assert_string_equal (a, f);
}

/* ---- profiles ------------------------------------------------------ */

static const char profiles_yaml[] = "services:\n"
                                    "  web: {image: x}\n"
                                    "  debug: {image: x, profiles: [debug]}\n"
                                    "  tools: {image: x, profiles: [tools, debug], depends_on: [helper]}\n"
                                    "  helper: {image: x, profiles: [helper]}\n";

static void
test_profiles (void **state)
{
  struct cc_compose_options none = { 0 };
  struct cc_compose_options named = { .services = (char *[]){ "tools", NULL } };
  struct cc_compose_options all = { .profiles = (char *[]){ "*", NULL } };
  struct cc_compose_options debug = { .profiles = (char *[]){ "debug", NULL } };
  cleanup_project struct cc_project *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL;
  cleanup_error cc_error_t err = NULL;
  cleanup_strv char **n1 = NULL, **n2 = NULL, **n3 = NULL;
  cleanup_free char *j1 = NULL, *j2 = NULL, *j3 = NULL;

  (void)state;
  assert_int_equal (load_opts (profiles_yaml, &none, &p1, NULL), 0);
  n1 = cc_project_service_names (p1);
  j1 = cc_strv_join (n1, ",");
  assert_string_equal (j1, "web");
  assert_int_equal (load_opts (profiles_yaml, &named, &p2, NULL), 0);
  n2 = cc_project_service_names (p2);
  j2 = cc_strv_join (n2, ",");
  assert_string_equal (j2, "helper,tools,web");
  assert_int_equal (load_opts (profiles_yaml, &all, &p3, NULL), 0);
  n3 = cc_project_service_names (p3);
  j3 = cc_strv_join (n3, ",");
  assert_string_equal (j3, "debug,helper,tools,web");
  /* tools is enabled by `debug` but needs helper, which no profile enables.  */
  assert_int_equal (load_opts (profiles_yaml, &debug, &p4, &err), -1);
  assert_non_null (strstr (err->msg, "test.yaml:4:60: service `tools` depends on `helper`, which no enabled profile"));
}

static void
test_profiles_optional_dependency (void **state)
{
  struct cc_compose_options none = { 0 };
  cleanup_project struct cc_project *p = NULL;

  (void)state;
  assert_int_equal (load_opts ("services:\n"
                               "  web: {image: x, depends_on: {dbg: {condition: service_started, required: false}}}\n"
                               "  dbg: {image: x, profiles: [debug]}\n",
                               &none, &p, NULL),
                    0);
  assert_null (cJSON_GetObjectItemCaseSensitive (svc (p, "web"), "depends_on"));
  {
    cleanup_project struct cc_project *q = NULL;
    assert_int_equal (load_opts ("services:\n"
                                 "  web: {image: x, depends_on: {ghost: {condition: service_started, required: false},"
                                 " db: {condition: service_started}}}\n"
                                 "  db: {image: x}\n",
                                 &none, &q, NULL),
                      0);
    assert_json (cJSON_GetObjectItemCaseSensitive (svc (q, "web"), "depends_on"),
                 "{\"db\":{\"condition\":\"service_started\",\"required\":true}}");
  }
}

/* ---- render -------------------------------------------------------- */

static void
test_yaml_quoting (void **state)
{
  static const char *const quoted[]
      = { "8080", "yes",  "No", "on",    "22:22",  "",      "a: b", "- x", "-",    "---x", "1e3",
          "0x1F", "null", "~",  " lead", "trail ", "*star", "x #c", "1.5", "true", "@at",  "multi\nline" };
  static const char *const plain[]
      = { "1m30s", "127.0.0.1", "nginx:latest", "hello world", "a=b", "/usr/bin", "x-y", "--appendonly", "-x" };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (quoted); i++)
    if (! cc_yaml_needs_quotes (quoted[i]))
      fail_msg ("`%s` should be quoted", quoted[i]);
  for (size_t i = 0; i < CC_N_ELEMENTS (plain); i++)
    if (cc_yaml_needs_quotes (plain[i]))
      fail_msg ("`%s` should be plain", plain[i]);
}

static void
test_render (void **state)
{
  cleanup_project struct cc_project *p = load_ok ("services:\n"
                                                  "  web:\n"
                                                  "    image: nginx\n"
                                                  "    ports: ['8080:80']\n"
                                                  "    environment: {PORT: '8080', EMPTY: ''}\n");
  cleanup_free char *yaml = cc_compose_render_yaml (p->model);
  cleanup_free char *json = cc_compose_render_json (p->model);
  cleanup_cjson cJSON *back = NULL;

  (void)state;
  assert_string_equal (yaml, "name: proj\n"
                             "services:\n"
                             "  web:\n"
                             "    environment:\n"
                             "      EMPTY: \"\"\n"
                             "      PORT: \"8080\"\n"
                             "    image: nginx\n"
                             "    networks:\n"
                             "      default: null\n"
                             "    ports:\n"
                             "      - mode: ingress\n"
                             "        target: 80\n"
                             "        published: \"8080\"\n"
                             "        protocol: tcp\n"
                             "networks:\n"
                             "  default:\n"
                             "    name: proj_default\n");
  assert_int_equal (cc_json_parse (json, "rendered", &back, NULL), 0);
  assert_true (cJSON_Compare (back, p->model, true));
  assert_non_null (strstr (json, "\n  \"services\": {\n    \"web\": {\n"));
}

static void
test_render_literal_blocks (void **state)
{
  cleanup_project struct cc_project *p = load_ok ("services:\n"
                                                  "  web:\n"
                                                  "    image: nginx\n"
                                                  "    labels:\n"
                                                  "      one: \"a\\nb\\n\"\n"
                                                  "      two: \"a\\n\\nb\"\n"
                                                  "      three: \"a\\n\\n\"\n"
                                                  "      four: \" lead\\nx\"\n");
  cleanup_free char *yaml = cc_compose_render_yaml (p->model);

  (void)state;
  assert_non_null (strstr (yaml, "      one: |\n        a\n        b\n"));
  assert_non_null (strstr (yaml, "      two: |-\n        a\n\n        b\n"));
  assert_non_null (strstr (yaml, "      three: |+\n        a\n\n"));
  /* A leading space would need an indentation indicator: quoted instead.  */
  assert_non_null (strstr (yaml, "      four: \" lead\\nx\"\n"));
}

static void
test_render_escapes_dollars (void **state)
{
  cleanup_project struct cc_project *p = load_ok ("services:\n"
                                                  "  web:\n"
                                                  "    image: nginx\n"
                                                  "    environment: {HASH: 'a$$b'}\n");
  cleanup_free char *raw = cc_compose_render (p->model, false, false);
  cleanup_free char *yaml = cc_compose_render (p->model, false, true);
  cleanup_free char *json = cc_compose_render (p->model, true, true);

  (void)state;
  /* The model holds the value the container gets; only the output is escaped.  */
  assert_string_equal (cc_json_get_string (cJSON_GetObjectItemCaseSensitive (svc (p, "web"), "environment"), "HASH"),
                       "a$b");
  assert_non_null (strstr (raw, "HASH: a$b\n"));
  assert_non_null (strstr (yaml, "HASH: a$$b\n"));
  assert_non_null (strstr (json, "\"HASH\": \"a$$b\""));
}

static void
test_describe_change (void **state)
{
  cleanup_cjson cJSON *a
      = cJSON_Parse ("{\"image\":\"x\",\"environment\":{\"A\":\"1\",\"B\":\"2\"},"
                     "\"ports\":[1],\"deploy\":{\"replicas\":1,\"resources\":{\"limits\":{\"memory\":1}}},"
                     "\"depends_on\":{\"db\":{}},\"healthcheck\":null}");
  cleanup_cjson cJSON *b
      = cJSON_Parse ("{\"image\":\"x\",\"environment\":{\"A\":\"1\",\"C\":\"3\"},"
                     "\"ports\":[2],\"deploy\":{\"replicas\":3,\"resources\":{\"limits\":{\"memory\":2}}},"
                     "\"depends_on\":{},\"healthcheck\":{\"test\":[\"NONE\"]}}");
  cleanup_free char *d = cc_compose_describe_change (a, b);
  cleanup_free char *same = cc_compose_describe_change (a, a);

  (void)state;
  /* depends_on and deploy.replicas never need a new container.  */
  assert_string_equal (d, "environment.B removed, environment.C added, ports changed, "
                          "deploy.resources.limits.memory changed, healthcheck added");
  assert_null (same);
}

static void
test_same_network_decides_in_place_recreate (void **state)
{
  cleanup_cjson cJSON *a = cJSON_Parse ("{\"image\":\"x\",\"environment\":{\"A\":\"1\"},"
                                        "\"networks\":{\"default\":null},\"ports\":[{\"target\":80}]}");
  cleanup_cjson cJSON *env = cJSON_Parse ("{\"image\":\"y\",\"environment\":{\"A\":\"2\"},"
                                          "\"networks\":{\"default\":null},\"ports\":[{\"target\":80}]}");
  cleanup_cjson cJSON *port = cJSON_Parse ("{\"image\":\"x\",\"environment\":{\"A\":\"1\"},"
                                           "\"networks\":{\"default\":null},\"ports\":[{\"target\":81}]}");
  cleanup_cjson cJSON *dns = cJSON_Parse ("{\"image\":\"x\",\"networks\":{\"default\":null},"
                                          "\"ports\":[{\"target\":80}],\"dns\":[\"1.1.1.1\"]}");

  (void)state;
  assert_true (cc_compose_same_network (a, env));
  assert_false (cc_compose_same_network (a, port));
  assert_false (cc_compose_same_network (a, dns));
  assert_false (cc_compose_same_network (NULL, a));
}

/* Issue 15: `enable_ipv4: false` (Docker 28) with IPv6, and what cannot
   go with it, at the line that wrote it.  */
static void
test_ipv6_only_networks (void **state)
{
  cleanup_project struct cc_project *p = NULL;
  cleanup_error cc_error_t err = NULL;
  const struct cc_network *net;

  (void)state;
  assert_int_equal (load ("services:\n  a:\n    image: x\n    networks: [n]\n"
                          "networks:\n  n:\n    enable_ipv4: false\n    enable_ipv6: true\n",
                          &p, &err),
                    0);
  net = cc_project_network (p, "n");
  assert_non_null (net);
  assert_int_equal (net->enable_ipv4, 0);
  assert_int_equal (net->enable_ipv6, 1);
  expect_error ("services:\n  a:\n    image: x\nnetworks:\n  n:\n    enable_ipv4: false\n",
                "test.yaml:6:18: network `n`: `enable_ipv4: false` needs `enable_ipv6: true`");
  expect_error ("services:\n  a:\n    image: x\nnetworks:\n  n:\n    enable_ipv4: false\n    enable_ipv6: false\n",
                "test.yaml:6:18: network `n`: `enable_ipv4: false` needs `enable_ipv6: true`");
  expect_error ("services:\n  a:\n    image: x\nnetworks:\n  n:\n    enable_ipv4: false\n    enable_ipv6: true\n"
                "    ipam:\n      config:\n        - subnet: 10.1.0.0/24\n",
                "test.yaml:10:19: network `n`: IPv4 subnet `10.1.0.0/24` on a network with `enable_ipv4: false`");
  expect_error ("services:\n  a:\n    image: x\n    networks:\n      n: {ipv4_address: 10.1.0.5}\n"
                "networks:\n  n:\n    enable_ipv4: false\n    enable_ipv6: true\n",
                "test.yaml:5:");
  expect_error ("services:\n  a:\n    image: x\nnetworks:\n  n:\n    enable_ipv4: [false]\n",
                "test.yaml:6:18: `enable_ipv4` must be a boolean");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_durations),
    cmocka_unit_test (test_bytes),
    cmocka_unit_test (test_describe_change),
    cmocka_unit_test (test_same_network_decides_in_place_recreate),
    cmocka_unit_test (test_ports_short),
    cmocka_unit_test (test_ports_long),
    cmocka_unit_test (test_volumes_short),
    cmocka_unit_test (test_volumes_long),
    cmocka_unit_test (test_shell_split),
    cmocka_unit_test (test_normalize_service),
    cmocka_unit_test (test_normalize_resources),
    cmocka_unit_test (test_unknown_and_unsupported),
    cmocka_unit_test (test_validation_positions),
    cmocka_unit_test (test_graph_levels),
    cmocka_unit_test (test_graph_cycles),
    cmocka_unit_test (test_graph_diamond),
    cmocka_unit_test (test_schema_suggestions),
    cmocka_unit_test (test_hash),
    cmocka_unit_test (test_profiles),
    cmocka_unit_test (test_profiles_optional_dependency),
    cmocka_unit_test (test_yaml_quoting),
    cmocka_unit_test (test_render),
    cmocka_unit_test (test_render_escapes_dollars),
    cmocka_unit_test (test_render_literal_blocks),
    cmocka_unit_test (test_injected_lines_are_refused),
    cmocka_unit_test (test_limits_are_dockers),
    cmocka_unit_test (test_ipv6_only_networks),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
