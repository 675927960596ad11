/* Unit tests for compose/merge.c: each compose-spec merge rule.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "compose/load.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

static struct cc_node *
yaml (const char *name, const char *text)
{
  cc_error_t err = NULL;
  struct cc_node *n = NULL;

  if (cc_yaml_load_string (name, text, strlen (text), &n, &err) < 0)
    fail_msg ("yaml: %s", err->msg);
  return n;
}

/* Merge OVER into BASE as two compose files and return the service web.  */
static struct cc_node *
merged (const char *base, const char *over)
{
  struct cc_node *b = yaml ("base.yaml", base);
  cleanup_node struct cc_node *o = yaml ("over.yaml", over);
  cc_error_t err = NULL;

  if (cc_node_merge_documents (b, o, &err) < 0)
    fail_msg ("merge: %s", err->msg);
  return b;
}

static const struct cc_node *
web (const struct cc_node *doc)
{
  const struct cc_node *w = cc_node_map_get (cc_node_map_get (doc, "services"), "web");

  assert_non_null (w);
  return w;
}

static const struct cc_node *
at (const struct cc_node *n, const char *key)
{
  const struct cc_node *r = cc_node_map_get (n, key);

  if (r == NULL)
    fail_msg ("no key %s", key);
  return r;
}

/* The items of a list joined with `,`.  */
static char *
joined (const struct cc_node *seq)
{
  char *s = xstrdup ("");

  assert_int_equal (seq->kind, CC_NODE_SEQ);
  for (size_t i = 0; i < seq->len; i++)
    {
      char *n = xasprintf ("%s%s%s", s, i ? "," : "", seq->items[i]->value);
      free (s);
      s = n;
    }
  return s;
}

static void
test_maps_merge_scalars_replace (void **state)
{
  cleanup_node struct cc_node *d = merged ("name: a\nservices:\n  web:\n    image: a\n    restart: always\n"
                                           "  db:\n    image: pg\n",
                                           "name: b\nservices:\n  web:\n    image: b\n    tty: true\n"
                                           "  cache:\n    image: redis\n");

  (void)state;
  assert_string_equal (cc_node_map_get_string (d, "name"), "b");
  assert_string_equal (cc_node_map_get_string (web (d), "image"), "b");
  assert_string_equal (cc_node_map_get_string (web (d), "restart"), "always");
  assert_string_equal (cc_node_map_get_string (web (d), "tty"), "true");
  assert_non_null (cc_node_map_get (at (d, "services"), "db"));
  assert_non_null (cc_node_map_get (at (d, "services"), "cache"));
}

static void
test_commands_replace (void **state)
{
  cleanup_node struct cc_node *d = merged (
      "services:\n  web:\n    command: [echo, foo]\n    entrypoint: sh\n    healthcheck:\n      test: [CMD, a]\n"
      "      interval: 5s\n",
      "services:\n  web:\n    command: [echo, bar]\n    entrypoint: [bash, -c]\n    healthcheck:\n      test: [CMD, "
      "b]\n");
  cleanup_free char *cmd = joined (at (web (d), "command"));
  cleanup_free char *ep = joined (at (web (d), "entrypoint"));
  cleanup_free char *test = joined (at (at (web (d), "healthcheck"), "test"));

  (void)state;
  assert_string_equal (cmd, "echo,bar");
  assert_string_equal (ep, "bash,-c");
  assert_string_equal (test, "CMD,b");
  assert_string_equal (cc_node_map_get_string (at (web (d), "healthcheck"), "interval"), "5s");
}

static void
test_append_unique (void **state)
{
  cleanup_node struct cc_node *d = merged (
      "services:\n  web:\n    ports: ['80:80', '443:443']\n    expose: ['1']\n    dns: 1.1.1.1\n"
      "    cap_add: [NET_ADMIN]\n    profiles: [a]\n",
      "services:\n  web:\n    ports: ['443:443', '8080:80']\n    expose: ['1', '2']\n    dns: [8.8.8.8, 1.1.1.1]\n"
      "    cap_add: [NET_ADMIN, SYS_TIME]\n    profiles: [b]\n");
  cleanup_free char *ports = joined (at (web (d), "ports"));
  cleanup_free char *expose = joined (at (web (d), "expose"));
  cleanup_free char *dns = joined (at (web (d), "dns"));
  cleanup_free char *caps = joined (at (web (d), "cap_add"));
  cleanup_free char *profiles = joined (at (web (d), "profiles"));

  (void)state;
  assert_string_equal (ports, "80:80,443:443,8080:80");
  assert_string_equal (expose, "1,2");
  assert_string_equal (dns, "1.1.1.1,8.8.8.8");
  assert_string_equal (caps, "NET_ADMIN,SYS_TIME");
  assert_string_equal (profiles, "a,b");
}

static void
test_other_sequences_append (void **state)
{
  cleanup_node struct cc_node *d = merged ("services:\n  web:\n    post_start: [{command: a}]\n",
                                           "services:\n  web:\n    post_start: [{command: a}, {command: b}]\n");

  (void)state;
  assert_int_equal (at (web (d), "post_start")->len, 3);
}

static void
test_special_paths (void **state)
{
  cleanup_node struct cc_node *d = merged (
      "x-list: [a, b]\nservices:\n  web:\n    build: ./app\n    image: keep\n"
      "    logging:\n      driver: json-file\n      options: {max-size: 1m}\n"
      "  api:\n    logging:\n      driver: json-file\n      options: {max-size: 1m}\n"
      "networks:\n  n:\n    ipam:\n      config:\n        - subnet: 10.0.0.0/24\n          gateway: 10.0.0.1\n"
      "        - subnet: 10.0.1.0/24\n    labels: [a=1]\n",
      "x-list: [c]\nservices:\n  web:\n    build: {dockerfile: Other}\n    image:\n"
      "    logging:\n      driver: syslog\n      options: {tag: t}\n"
      "  api:\n    logging:\n      options: {max-file: '3'}\n"
      "networks:\n  n:\n    ipam:\n      config:\n        - subnet: 10.0.0.0/24\n          gateway: 10.0.0.254\n"
      "        - subnet: 10.0.2.0/24\n    labels: {b: 2}\n");
  const struct cc_node *build = at (web (d), "build");
  const struct cc_node *wlog = at (web (d), "logging");
  const struct cc_node *alog = at (cc_node_map_get (at (d, "services"), "api"), "logging");
  const struct cc_node *ipam = at (at (at (at (d, "networks"), "n"), "ipam"), "config");
  const struct cc_node *labels = at (at (at (d, "networks"), "n"), "labels");
  cleanup_free char *xl = joined (at (d, "x-list"));

  (void)state;
  /* x- fields are replaced, not appended.  */
  assert_string_equal (xl, "c");
  /* `build: path` merges with the long form as its context.  */
  assert_string_equal (cc_node_map_get_string (build, "context"), "./app");
  assert_string_equal (cc_node_map_get_string (build, "dockerfile"), "Other");
  /* A null value overrides nothing.  */
  assert_string_equal (cc_node_map_get_string (web (d), "image"), "keep");
  /* Another logging driver drops the old driver's options.  */
  assert_string_equal (cc_node_map_get_string (wlog, "driver"), "syslog");
  assert_null (cc_node_map_get (at (wlog, "options"), "max-size"));
  assert_string_equal (cc_node_map_get_string (at (alog, "options"), "max-size"), "1m");
  assert_string_equal (cc_node_map_get_string (at (alog, "options"), "max-file"), "3");
  /* IPAM entries merge by subnet.  */
  assert_int_equal (ipam->len, 3);
  assert_string_equal (cc_node_map_get_string (ipam->items[0], "gateway"), "10.0.0.254");
  assert_string_equal (cc_node_map_get_string (labels, "a"), "1");
  assert_string_equal (cc_node_map_get_string (labels, "b"), "2");
}

static void
test_kind_mismatch_is_an_error (void **state)
{
  cleanup_node struct cc_node *b = yaml ("base.yaml", "services:\n  web:\n    post_start: [{command: a}]\n");
  cleanup_node struct cc_node *o = yaml ("over.yaml", "services:\n  web:\n    post_start: {command: b}\n");
  cleanup_node struct cc_node *o2 = yaml ("over2.yaml", "services:\n  web:\n    post_start: !override {command: b}\n");
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_node_merge_documents (b, o, &err), -1);
  assert_non_null (strstr (err->msg, "over.yaml:3:17: cannot override `post_start`: a mapping here replaces a list"));
  assert_int_equal (cc_node_merge_documents (b, o2, &err), 0);
}

static void
test_by_key_whatever_syntax (void **state)
{
  cleanup_node struct cc_node *d = merged (
      "services:\n  web:\n    environment: [A=1, B=2, C]\n    labels: {x: '1'}\n    extra_hosts: ['h1:10.0.0.1']\n"
      "    sysctls: [net.core.somaxconn=1024]\n    ulimits: {nofile: {soft: 1, hard: 2}, nproc: 10}\n",
      "services:\n  web:\n    environment:\n      B: three\n      D: four\n    labels: [y=2, x=3]\n"
      "    extra_hosts: {h2: 10.0.0.2, h1: 10.0.0.9}\n    sysctls: {net.ipv4.ip_forward: 1}\n"
      "    ulimits: {nofile: 5}\n");
  const struct cc_node *env = at (web (d), "environment");
  const struct cc_node *labels = at (web (d), "labels");
  const struct cc_node *hosts = at (web (d), "extra_hosts");
  const struct cc_node *sysctls = at (web (d), "sysctls");
  const struct cc_node *ulimits = at (web (d), "ulimits");

  (void)state;
  assert_int_equal (env->kind, CC_NODE_MAP);
  assert_string_equal (cc_node_map_get_string (env, "A"), "1");
  assert_string_equal (cc_node_map_get_string (env, "B"), "three");
  assert_true (at (env, "C")->is_null);
  assert_string_equal (cc_node_map_get_string (env, "D"), "four");
  assert_string_equal (cc_node_map_get_string (labels, "x"), "3");
  assert_string_equal (cc_node_map_get_string (labels, "y"), "2");
  assert_string_equal (cc_node_map_get_string (hosts, "h1"), "10.0.0.9");
  assert_string_equal (cc_node_map_get_string (hosts, "h2"), "10.0.0.2");
  assert_string_equal (cc_node_map_get_string (sysctls, "net.core.somaxconn"), "1024");
  assert_string_equal (cc_node_map_get_string (sysctls, "net.ipv4.ip_forward"), "1");
  assert_string_equal (cc_node_map_get_string (ulimits, "nofile"), "5");
  assert_string_equal (cc_node_map_get_string (ulimits, "nproc"), "10");
}

static void
test_volumes_by_target (void **state)
{
  cleanup_node struct cc_node *d
      = merged ("services:\n  web:\n    volumes:\n      - foo:/work\n      - ./a:/a:ro\n      - /anon\n"
                "      - type: bind\n        source: ./x\n        target: /x\n        read_only: true\n"
                "    devices: ['/dev/a:/dev/a']\n",
                "services:\n  web:\n    volumes:\n      - bar:/work\n      - /anon\n      - new:/new\n"
                "      - type: bind\n        source: ./y\n        target: /x\n"
                "    devices: ['/dev/b:/dev/a:r', '/dev/c:/dev/c']\n");
  const struct cc_node *v = at (web (d), "volumes");
  const struct cc_node *long_form = v->items[3];
  cleanup_free char *devices = joined (at (web (d), "devices"));

  (void)state;
  assert_int_equal (v->len, 5);
  assert_string_equal (v->items[0]->value, "bar:/work");
  assert_string_equal (v->items[1]->value, "./a:/a:ro");
  assert_string_equal (v->items[2]->value, "/anon");
  /* Long-form entries sharing a target merge.  */
  assert_string_equal (cc_node_map_get_string (long_form, "source"), "./y");
  assert_string_equal (cc_node_map_get_string (long_form, "read_only"), "true");
  assert_string_equal (v->items[4]->value, "new:/new");
  assert_string_equal (devices, "/dev/b:/dev/a:r,/dev/c:/dev/c");
}

static void
test_secrets_by_target (void **state)
{
  cleanup_node struct cc_node *d = merged (
      "services:\n  web:\n    secrets:\n      - a\n      - source: b\n        target: /run/b\n        mode: 0400\n",
      "services:\n  web:\n    secrets:\n      - a\n      - source: c\n        target: /run/b\n      - d\n");
  const struct cc_node *s = at (web (d), "secrets");

  (void)state;
  assert_int_equal (s->len, 3);
  assert_string_equal (s->items[0]->value, "a");
  assert_string_equal (cc_node_map_get_string (s->items[1], "source"), "c");
  assert_string_equal (cc_node_map_get_string (s->items[1], "mode"), "0400");
  assert_string_equal (s->items[2]->value, "d");
}

static void
test_networks_and_depends_on (void **state)
{
  cleanup_node struct cc_node *d = merged (
      "services:\n  web:\n    networks: [front]\n    depends_on:\n      db:\n        condition: service_healthy\n",
      "services:\n  web:\n    networks:\n      back:\n        aliases: [b]\n    depends_on: [db, cache]\n");
  cleanup_node struct cc_node *d2
      = merged ("services:\n  web:\n    networks: [a, b]\n", "services:\n  web:\n    networks: [b, c]\n");
  const struct cc_node *nets = at (web (d), "networks");
  const struct cc_node *deps = at (web (d), "depends_on");
  cleanup_free char *lists = joined (at (web (d2), "networks"));

  (void)state;
  assert_int_equal (nets->kind, CC_NODE_MAP);
  assert_true (at (nets, "front")->is_null);
  assert_non_null (cc_node_map_get (at (nets, "back"), "aliases"));
  /* A name from a list adds nothing to an existing entry.  */
  assert_string_equal (cc_node_map_get_string (at (deps, "db"), "condition"), "service_healthy");
  assert_string_equal (cc_node_map_get_string (at (deps, "cache"), "condition"), "service_started");
  assert_string_equal (lists, "a,b,c");
}

static void
test_reset_and_override_tags (void **state)
{
  cleanup_node struct cc_node *d = merged (
      "services:\n  web:\n    image: app\n    ports: ['8080:80']\n    environment:\n      FOO: BAR\n      KEEP: 1\n"
      "    volumes: ['a:/a']\n",
      "services:\n  web:\n    ports: !reset []\n    environment:\n      FOO: !reset null\n"
      "    volumes: !override ['b:/b']\n    labels:\n      gone: !reset x\n      here: y\n");
  cleanup_free char *vols = NULL;

  (void)state;
  assert_null (cc_node_map_get (web (d), "ports"));
  assert_null (cc_node_map_get (at (web (d), "environment"), "FOO"));
  assert_non_null (cc_node_map_get (at (web (d), "environment"), "KEEP"));
  vols = joined (at (web (d), "volumes"));
  assert_string_equal (vols, "b:/b");
  /* `!reset` in new content has nothing to reset and disappears.  */
  assert_null (cc_node_map_get (at (web (d), "labels"), "gone"));
  assert_non_null (cc_node_map_get (at (web (d), "labels"), "here"));
}

static void
test_empty_override_keeps_base (void **state)
{
  cleanup_node struct cc_node *d = merged ("services:\n  web:\n    image: a\n", "services:\n  web:\n");

  (void)state;
  assert_string_equal (cc_node_map_get_string (web (d), "image"), "a");
}

static void
test_merge_services_and_errors (void **state)
{
  cleanup_node struct cc_node *base = yaml ("b.yaml", "image: a\nenvironment: [X=1]\ncommand: [a]\n");
  cleanup_node struct cc_node *over = yaml ("o.yaml", "environment: {Y: 2}\ncommand: b\n");
  cleanup_node struct cc_node *list = yaml ("l.yaml", "- a\n");
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_node_merge_services (base, over, &err), 0);
  assert_string_equal (cc_node_map_get_string (at (base, "environment"), "X"), "1");
  assert_string_equal (cc_node_map_get_string (at (base, "environment"), "Y"), "2");
  assert_string_equal (cc_node_map_get_string (base, "command"), "b");
  assert_int_equal (cc_node_merge_services (base, list, &err), -1);
  assert_non_null (strstr (err->msg, "l.yaml:1:1: a service definition must be a mapping"));
  cc_error_release (&err);
  assert_int_equal (cc_node_merge_documents (list, base, &err), -1);
  assert_non_null (strstr (err->msg, "l.yaml:1:1: the top level"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_maps_merge_scalars_replace),
    cmocka_unit_test (test_commands_replace),
    cmocka_unit_test (test_append_unique),
    cmocka_unit_test (test_other_sequences_append),
    cmocka_unit_test (test_special_paths),
    cmocka_unit_test (test_kind_mismatch_is_an_error),
    cmocka_unit_test (test_by_key_whatever_syntax),
    cmocka_unit_test (test_volumes_by_target),
    cmocka_unit_test (test_secrets_by_target),
    cmocka_unit_test (test_networks_and_depends_on),
    cmocka_unit_test (test_reset_and_override_tags),
    cmocka_unit_test (test_empty_override_keeps_base),
    cmocka_unit_test (test_merge_services_and_errors),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
