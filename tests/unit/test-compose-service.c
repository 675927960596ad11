/* Unit tests for the typed view of the model (compose/service.h): the
   one port grammar, every field of a service and of the top-level
   sections, their defaults, and errors with file:line:col.  Pure code:
   documents are loaded from strings.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "compose/logging.h"
#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "tests/unit/compose-helpers.h"

static char *debug_profile[] = { (char *)"debug", NULL };

static int
load (const char *yaml, bool keep_unsupported, struct cc_project **out, cc_error_t *err)
{
  struct cc_compose_options opts = { .keep_unsupported = keep_unsupported, .profiles = debug_profile };

  return test_load_project (yaml, &opts, out, err);
}

static struct cc_project *
load_ok (const char *yaml, bool keep_unsupported)
{
  cleanup_error cc_error_t err = NULL;
  struct cc_project *p = NULL;

  if (load (yaml, keep_unsupported, &p, &err) < 0)
    fail_msg ("load failed: %s", err->msg);
  return p;
}

static const struct cc_service *
service (const struct cc_project *p, const char *name)
{
  const struct cc_service *s = cc_project_service (p, name);

  assert_non_null (s);
  return s;
}

static void
assert_strv (char *const *v, const char *joined)
{
  cleanup_free char *s = NULL;

  assert_non_null (v);
  s = cc_strv_join (v, ",");
  assert_string_equal (s, joined);
}

static void
assert_pos (const struct cc_pos *p, int line, int col)
{
  assert_non_null (p->file);
  assert_string_equal (p->file, "test.yaml");
  assert_int_equal (p->line, line);
  assert_int_equal (p->col, col);
}

/* ---- the port grammar --------------------------------------------------- */

static void
test_port_grammar (void **state)
{
  /* Everything Docker's short syntax takes (go-connections nat.ParsePortSpec).  */
  static const struct
  {
    const char *spec, *host_ip;
    unsigned published, published_end, target, target_end;
    enum cc_port_protocol protocol;
  } ok[] = {
    { "80", "", 0, 0, 80, 80, CC_PORT_TCP },
    { "80/udp", "", 0, 0, 80, 80, CC_PORT_UDP },
    { "80/UDP", "", 0, 0, 80, 80, CC_PORT_UDP },
    { "5000/sctp", "", 0, 0, 5000, 5000, CC_PORT_SCTP },
    { "8080:80", "", 8080, 8080, 80, 80, CC_PORT_TCP },
    { ":80", "", 0, 0, 80, 80, CC_PORT_TCP },
    { "0:80", "", 0, 0, 80, 80, CC_PORT_TCP },
    { "127.0.0.1:8080:80", "127.0.0.1", 8080, 8080, 80, 80, CC_PORT_TCP },
    { "127.0.0.1::80", "127.0.0.1", 0, 0, 80, 80, CC_PORT_TCP },
    { "127.0.0.1:0:80/udp", "127.0.0.1", 0, 0, 80, 80, CC_PORT_UDP },
    { "[::1]:80:80", "::1", 80, 80, 80, 80, CC_PORT_TCP },
    { "[::1]::80", "::1", 0, 0, 80, 80, CC_PORT_TCP },
    { "::1:8080:80", "::1", 8080, 8080, 80, 80, CC_PORT_TCP },
    { "[2001:db8::1]:8080:80/sctp", "2001:db8::1", 8080, 8080, 80, 80, CC_PORT_SCTP },
    { "8080-8081:80-81", "", 8080, 8081, 80, 81, CC_PORT_TCP },
    { "3000-3005", "", 0, 0, 3000, 3005, CC_PORT_TCP },
    { "8000-8010:80", "", 8000, 8010, 80, 80, CC_PORT_TCP },
    { "127.0.0.1:5000-5010:5000-5010", "127.0.0.1", 5000, 5010, 5000, 5010, CC_PORT_TCP },
    { "0.0.0.0:5000:5000/sctp", "0.0.0.0", 5000, 5000, 5000, 5000, CC_PORT_SCTP },
    { "65535:65535", "", 65535, 65535, 65535, 65535, CC_PORT_TCP },
  };
  static const char *const bad[] = {
    "70000",
    "8080:0",
    "8080-8081:80-82",
    "80/foo",
    "abc",
    "[::1:8080:80",
    "1.2.3.999:80:80",
    ":",
    "",
    "81-80",
    "8080:",
    "-1",
    "99999:80",
    "8080:80-81",
    "0",
    "80/",
    "+80:80",
    "80:+80",
    "1.2.3.4:80:80:80",
    "[]:80:80",
    "fe80::1%eth0:80:80",
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (ok); i++)
    {
      cleanup_error cc_error_t err = NULL;
      struct cc_port p;
      if (cc_port_parse (ok[i].spec, &p, &err) < 0)
        fail_msg ("`%s`: %s", ok[i].spec, err->msg);
      assert_string_equal (p.host_ip, ok[i].host_ip);
      assert_int_equal (p.published, ok[i].published);
      assert_int_equal (p.published_end, ok[i].published_end);
      assert_int_equal (p.target, ok[i].target);
      assert_int_equal (p.target_end, ok[i].target_end);
      assert_int_equal (p.protocol, ok[i].protocol);
      assert_int_equal (p.mode, CC_PORT_MODE_INGRESS);
      assert_null (p.name);
      assert_int_equal (cc_port_has_ipv6_host (&p), strchr (ok[i].host_ip, ':') != NULL);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_error cc_error_t err = NULL;
      struct cc_port p;
      if (cc_port_parse (bad[i], &p, &err) == 0)
        fail_msg ("port `%s` accepted", bad[i]);
      assert_non_null (err);
    }
  assert_string_equal (cc_port_protocol_name (CC_PORT_SCTP), "sctp");
}

/* The long form the normalization prints reads back into the same port,
   and the view keeps where each entry was written.  */
static void
test_ports_in_view (void **state)
{
  cleanup_project struct cc_project *p = load_ok ("services:\n"
                                                  "  web:\n"
                                                  "    image: x\n"
                                                  "    ports:\n"
                                                  "      - \"127.0.0.1:8080-8081:80-81/udp\"\n"
                                                  "      - \"[::1]:90:90\"\n"
                                                  "      - target: 22\n"
                                                  "        published: \"2222-2230\"\n"
                                                  "        name: ssh\n"
                                                  "        app_protocol: ssh\n"
                                                  "        mode: host\n"
                                                  "    expose: [\"3000\", \"4000-4001/udp\"]\n",
                                                  false);
  const struct cc_service *s = service (p, "web");

  (void)state;
  assert_int_equal (s->n_ports, 4);
  assert_string_equal (s->ports[0].host_ip, "127.0.0.1");
  assert_int_equal (s->ports[0].published, 8080);
  assert_int_equal (s->ports[0].target, 80);
  assert_int_equal (s->ports[1].published, 8081);
  assert_int_equal (s->ports[1].target, 81);
  assert_int_equal (s->ports[1].protocol, CC_PORT_UDP);
  assert_pos (&s->ports[0].pos, 5, 9);
  assert_pos (&s->ports[1].pos, 5, 9);
  assert_string_equal (s->ports[2].host_ip, "::1");
  assert_true (cc_port_has_ipv6_host (&s->ports[2]));
  assert_pos (&s->ports[2].pos, 6, 9);
  assert_int_equal (s->ports[3].target, 22);
  assert_int_equal (s->ports[3].published, 2222);
  assert_int_equal (s->ports[3].published_end, 2230);
  assert_string_equal (s->ports[3].name, "ssh");
  assert_string_equal (s->ports[3].app_protocol, "ssh");
  assert_int_equal (s->ports[3].mode, CC_PORT_MODE_HOST);
  assert_pos (&s->ports[3].pos, 7, 9);
  assert_int_equal (s->n_expose, 2);
  assert_int_equal (s->expose[1].target, 4000);
  assert_int_equal (s->expose[1].target_end, 4001);
  assert_int_equal (s->expose[1].protocol, CC_PORT_UDP);
}

/* ---- every field ------------------------------------------------------------ */

static const char full_service[]
    = "services:\n"
      "  web:\n"
      "    image: busybox\n"
      "    platform: linux/amd64\n"
      "    pull_policy: always\n"
      "    command: sleep 10\n"
      "    entrypoint: [/bin/sh, -c]\n"
      "    environment: {A: '1', B: two}\n"
      "    working_dir: /srv\n"
      "    user: '1000:1000'\n"
      "    group_add: [audio]\n"
      "    init: true\n"
      "    tty: true\n"
      "    stdin_open: true\n"
      "    privileged: true\n"
      "    read_only: true\n"
      "    attach: false\n"
      "    stop_signal: SIGINT\n"
      "    stop_grace_period: 1m30s\n"
      "    healthcheck: {test: [CMD, true], interval: 5s, timeout: 2s, start_period: 1s, start_interval: 500ms, "
      "retries: 4}\n"
      "    restart: on-failure:3\n"
      "    depends_on: {db: {condition: service_healthy, restart: true}, cache: {condition: "
      "service_completed_successfully, required: false}}\n"
      "    container_name: the-web\n"
      "    hostname: web\n"
      "    domainname: example.org\n"
      "    labels: {l: v}\n"
      "    annotations: {a: b}\n"
      "    networks: {front: {aliases: [www, w3], ipv4_address: 10.5.0.5}, back: null}\n"
      "    dns: [1.1.1.1]\n"
      "    dns_search: [example.org]\n"
      "    dns_opt: [ndots:2]\n"
      "    extra_hosts: ['gw:host-gateway', 'six=::1']\n"
      "    links: [db]\n"
      "    volumes:\n"
      "      - ./data:/data:ro\n"
      "      - vol:/v:nocopy\n"
      "      - {type: tmpfs, target: /t, tmpfs: {size: 1m}}\n"
      "      - {type: bind, source: /host, target: /h, bind: {create_host_path: false}}\n"
      "    tmpfs: ['/run:size=64k,mode=1777', /tmp]\n"
      "    mem_limit: 64m\n"
      "    memswap_limit: -1\n"
      "    shm_size: 128m\n"
      "    cpus: 1.5\n"
      "    cpu_shares: 512\n"
      "    pids_limit: 100\n"
      "    ulimits: {nofile: {soft: 10, hard: 20}, nproc: 5}\n"
      "    sysctls: {net.core.somaxconn: '1024'}\n"
      "    cap_add: [NET_ADMIN]\n"
      "    cap_drop: [ALL]\n"
      "    security_opt: ['no-new-privileges:true', 'seccomp=unconfined', 'label:disable']\n"
      "    logging: {driver: json-file, options: {max-size: 10m, max-file: '3'}}\n"
      "    deploy:\n"
      "      replicas: 1\n"
      "      labels: {d: e}\n"
      "      resources: {limits: {cpus: '0.5', memory: 32m, pids: 7}, reservations: {memory: 16m}}\n"
      "  db: {image: redis, profiles: [debug]}\n"
      "  cache: {image: redis, network_mode: 'service:db'}\n"
      "networks:\n"
      "  front: {ipam: {config: [{subnet: 10.5.0.0/24, gateway: 10.5.0.1, ip_range: 10.5.0.128/25}]}, internal: "
      "true, labels: {n: m}}\n"
      "  back: {external: true, name: other_net}\n"
      "volumes:\n"
      "  vol: {labels: {a: b}}\n";

static void
test_process_fields (void **state)
{
  cleanup_project struct cc_project *p = load_ok (full_service, true);
  const struct cc_service *s = service (p, "web");

  (void)state;
  assert_string_equal (s->name, "web");
  assert_ptr_equal (s->json, cc_project_service_json (p, "web"));
  assert_pos (&s->pos, 3, 5);
  assert_string_equal (s->image, "busybox");
  assert_string_equal (s->platform, "linux/amd64");
  assert_int_equal (s->pull_policy, CC_PULL_ALWAYS);
  assert_string_equal (cc_pull_policy_name (s->pull_policy), "always");
  assert_strv (s->command, "sleep,10");
  assert_strv (s->entrypoint, "/bin/sh,-c");
  assert_int_equal (s->environment.n, 2);
  assert_string_equal (cc_kv_get (&s->environment, "B"), "two");
  assert_string_equal (s->working_dir, "/srv");
  assert_string_equal (s->user, "1000:1000");
  assert_strv (s->group_add, "audio");
  assert_true (s->init && s->tty && s->stdin_open && s->privileged && s->read_only);
  assert_int_equal (s->attach, 0);
  assert_string_equal (s->stop_signal, "SIGINT");
  assert_int_equal (s->stop_grace_period_ms, 90000);
  assert_true (s->has_healthcheck);
  assert_false (s->healthcheck.disable);
  assert_strv (s->healthcheck.test, "CMD,true");
  assert_int_equal (s->healthcheck.interval_ms, 5000);
  assert_int_equal (s->healthcheck.timeout_ms, 2000);
  assert_int_equal (s->healthcheck.start_period_ms, 1000);
  assert_int_equal (s->healthcheck.start_interval_ms, 500);
  assert_int_equal (s->healthcheck.retries, 4);
  assert_true (s->restart.set);
  assert_int_equal (s->restart.mode, CC_RESTART_MODE_ON_FAILURE);
  assert_int_equal (s->restart.max_retries, 3);
  assert_string_equal (cc_restart_name (s->restart.mode), "on-failure");
  assert_int_equal (s->n_depends_on, 2);
  assert_string_equal (s->depends_on[0].service, "cache");
  assert_int_equal (s->depends_on[0].condition, CC_DEPENDS_COMPLETED);
  assert_false (s->depends_on[0].required);
  assert_string_equal (s->depends_on[1].service, "db");
  assert_strv (service (p, "db")->profiles, "debug");
  assert_int_equal (s->depends_on[1].condition, CC_DEPENDS_HEALTHY);
  assert_true (s->depends_on[1].restart && s->depends_on[1].required);
  assert_string_equal (cc_depends_condition_name (s->depends_on[1].condition), "service_healthy");
  assert_string_equal (s->container_name, "the-web");
  assert_string_equal (s->hostname, "web");
  assert_string_equal (s->domainname, "example.org");
  assert_string_equal (cc_kv_get (&s->labels, "l"), "v");
  assert_string_equal (cc_kv_get (&s->annotations, "a"), "b");
  assert_int_equal (s->scale, 1); /* from deploy.replicas, as Docker Compose prints it */
  assert_true (s->deploy.set);
  assert_int_equal (s->deploy.replicas, 1);
  assert_int_equal (s->deploy.mode, CC_DEPLOY_REPLICATED);
  assert_string_equal (cc_kv_get (&s->deploy.labels, "d"), "e");
  assert_true (s->deploy.limits.cpus == 0.5);
  assert_int_equal (s->deploy.limits.memory, 32 << 20);
  assert_int_equal (s->deploy.limits.pids, 7);
  assert_int_equal (s->deploy.reservations.memory, 16 << 20);
}

static void
test_network_fields (void **state)
{
  cleanup_project struct cc_project *p = load_ok (full_service, true);
  const struct cc_service *s = service (p, "web"), *cache = service (p, "cache");
  const struct cc_service_network *front = cc_service_network (s, "front");
  const struct cc_network *n = cc_project_network (p, "front"), *back = cc_project_network (p, "back");

  (void)state;
  assert_int_equal (s->network_mode, CC_NETWORK_MODE_DEFAULT);
  assert_int_equal (cache->network_mode, CC_NETWORK_MODE_SERVICE);
  assert_string_equal (cache->network_mode_target, "db");
  assert_int_equal (s->n_networks, 2);
  assert_string_equal (s->networks[0].key, "back");
  assert_non_null (s->networks[0].aliases);
  assert_null (s->networks[0].aliases[0]);
  assert_non_null (front);
  assert_strv (front->aliases, "www,w3");
  assert_string_equal (front->ipv4_address, "10.5.0.5");
  assert_null (cc_service_network (s, "default"));
  assert_strv (s->dns, "1.1.1.1");
  assert_strv (s->dns_search, "example.org");
  assert_strv (s->dns_opt, "ndots:2");
  assert_int_equal (s->n_extra_hosts, 2);
  assert_string_equal (s->extra_hosts[0].host, "gw");
  assert_string_equal (s->extra_hosts[0].ip, "host-gateway");
  assert_string_equal (s->extra_hosts[1].host, "six");
  assert_string_equal (s->extra_hosts[1].ip, "::1");
  assert_strv (s->links, "db");
  assert_non_null (n);
  assert_string_equal (n->name, "proj_front");
  assert_true (n->internal);
  assert_false (n->external);
  assert_int_equal (n->n_ipam, 1);
  assert_string_equal (n->ipam[0].subnet, "10.5.0.0/24");
  assert_string_equal (n->ipam[0].gateway, "10.5.0.1");
  assert_string_equal (n->ipam[0].ip_range, "10.5.0.128/25");
  assert_string_equal (cc_kv_get (&n->labels, "n"), "m");
  assert_non_null (back);
  assert_true (back->external);
  assert_string_equal (back->name, "other_net");
  assert_non_null (cc_project_network (p, "default"));
  assert_null (cc_project_network (p, "nope"));
}

static void
test_storage_and_limits (void **state)
{
  cleanup_project struct cc_project *p = load_ok (full_service, true);
  const struct cc_service *s = service (p, "web");
  const struct cc_volume *v = cc_project_volume (p, "vol");

  (void)state;
  assert_int_equal (s->n_mounts, 4);
  assert_int_equal (s->mounts[0].type, CC_MOUNT_TYPE_BIND);
  assert_string_equal (s->mounts[0].source, "/proj/data");
  assert_string_equal (s->mounts[0].target, "/data");
  assert_true (s->mounts[0].read_only);
  assert_true (s->mounts[0].bind.create_host_path);
  assert_pos (&s->mounts[0].pos, 35, 9);
  assert_int_equal (s->mounts[1].type, CC_MOUNT_TYPE_VOLUME);
  assert_string_equal (s->mounts[1].source, "vol");
  assert_true (s->mounts[1].volume.nocopy);
  assert_int_equal (s->mounts[2].type, CC_MOUNT_TYPE_TMPFS);
  assert_int_equal (s->mounts[2].tmpfs.size, 1 << 20);
  assert_int_equal (s->mounts[2].tmpfs.mode, -1);
  assert_false (s->mounts[3].bind.create_host_path);
  assert_pos (&s->mounts[3].pos, 38, 9);
  assert_true (cc_service_uses_volume (s, "vol"));
  assert_false (cc_service_uses_volume (s, "data"));
  assert_string_equal (cc_mount_type_name (CC_MOUNT_TYPE_TMPFS), "tmpfs");
  assert_int_equal (s->n_tmpfs, 2);
  assert_string_equal (s->tmpfs[0].target, "/run");
  assert_strv (s->tmpfs[0].options, "size=64k,mode=1777");
  assert_string_equal (s->tmpfs[1].target, "/tmp");
  assert_strv (s->tmpfs[1].options, "");
  assert_int_equal (s->mem_limit, 64 << 20);
  assert_int_equal (s->memswap_limit, -1);
  assert_int_equal (s->shm_size, 128 << 20);
  assert_true (s->cpus == 1.5);
  assert_int_equal (s->cpu_shares, 512);
  assert_int_equal (s->pids_limit, 100);
  assert_int_equal (s->n_ulimits, 2);
  assert_string_equal (s->ulimits[0].name, "nofile");
  assert_int_equal (s->ulimits[0].soft, 10);
  assert_int_equal (s->ulimits[0].hard, 20);
  assert_int_equal (s->ulimits[1].soft, 5);
  assert_int_equal (s->ulimits[1].hard, 5);
  assert_string_equal (cc_kv_get (&s->sysctls, "net.core.somaxconn"), "1024");
  assert_strv (s->cap_add, "NET_ADMIN");
  assert_strv (s->cap_drop, "ALL");
  assert_int_equal (s->security_opt.no_new_privileges, 1);
  assert_true (s->security_opt.seccomp_unconfined);
  assert_true (s->security_opt.label_disable);
  assert_false (s->security_opt.apparmor_unconfined);
  assert_string_equal (s->log_driver, "json-file");
  assert_int_equal (s->log_max_size, 10 << 20);
  assert_int_equal (s->log_max_file, 3);
  assert_non_null (v);
  assert_string_equal (v->name, "proj_vol");
  assert_string_equal (cc_kv_get (&v->labels, "a"), "b");
  assert_false (v->external);
}

/* What is not set reads as "not set", never as a value.  */
static void
test_defaults (void **state)
{
  cleanup_project struct cc_project *p = load_ok ("services:\n  a: {image: x}\n", false);
  const struct cc_service *s = service (p, "a");

  (void)state;
  assert_null (s->command);
  assert_null (s->entrypoint);
  assert_int_equal (s->environment.n, 0);
  assert_null (s->working_dir);
  assert_null (s->user);
  assert_int_equal (s->pull_policy, CC_PULL_DEFAULT);
  assert_null (cc_pull_policy_name (s->pull_policy));
  assert_null (s->build);
  assert_int_equal (s->attach, -1);
  assert_null (s->stop_signal);
  assert_int_equal (s->stop_grace_period_ms, -1);
  assert_false (s->has_healthcheck);
  assert_null (s->healthcheck.test);
  assert_int_equal (s->healthcheck.interval_ms, -1);
  assert_int_equal (s->healthcheck.retries, -1);
  assert_false (s->restart.set);
  assert_int_equal (s->n_depends_on, 0);
  assert_int_equal (s->scale, -1);
  assert_false (s->deploy.set);
  assert_int_equal (s->deploy.replicas, -1);
  assert_int_equal (s->network_mode, CC_NETWORK_MODE_DEFAULT);
  assert_int_equal (s->n_networks, 1);
  assert_string_equal (s->networks[0].key, "default");
  assert_int_equal (s->n_ports, 0);
  assert_null (s->dns);
  assert_int_equal (s->n_mounts, 0);
  assert_int_equal (s->mem_limit, 0);
  assert_int_equal (s->memswap_limit, 0);
  assert_int_equal (s->shm_size, 0);
  assert_int_equal (s->pids_limit, 0);
  assert_non_null (s->cap_add);
  assert_null (s->cap_add[0]);
  assert_int_equal (s->security_opt.no_new_privileges, -1);
  assert_int_equal (s->log_max_size, 0);
  assert_int_equal (s->log_max_file, 1);
  assert_null (cc_project_service (p, "b"));
}

/* Keys ccompose does not honour yet are still typed, for the builder,
   rolling updates and the Kubernetes export.  */
static void
test_unsupported_keys_typed (void **state)
{
  cleanup_project struct cc_project *p
      = load_ok ("services:\n"
                 "  web:\n"
                 "    build:\n"
                 "      context: ./app\n"
                 "      dockerfile: Containerfile\n"
                 "      args: {V: '1'}\n"
                 "      target: prod\n"
                 "      labels: {x: y}\n"
                 "      tags: ['a:1']\n"
                 "      platforms: [linux/amd64]\n"
                 "      cache_from: [type=local]\n"
                 "      no_cache: true\n"
                 "      pull: true\n"
                 "      network: host\n"
                 "      shm_size: 1g\n"
                 "      extra_hosts: ['h:1.2.3.4']\n"
                 "      additional_contexts: {extra: ../x}\n"
                 "      privileged: true\n"
                 "      ulimits: {nofile: 100}\n"
                 "      secrets: [s1]\n"
                 "    pull_policy: every_12h\n"
                 "    secrets: [s1, {source: s2, target: /x, mode: '0440'}]\n"
                 "    devices: ['/dev/fuse', '/dev/a:/dev/b:rwm']\n"
                 "    deploy:\n"
                 "      mode: global\n"
                 "      update_config: {parallelism: 2, delay: 10s, order: start-first, failure_action: rollback}\n"
                 "      rollback_config: {parallelism: 1}\n"
                 "      restart_policy: {condition: on-failure, max_attempts: 3, delay: 5s}\n"
                 "      placement: {constraints: ['node.role==manager'], preferences: [{spread: node.id}]}\n"
                 "secrets:\n"
                 "  s1: {file: ./s1}\n"
                 "  s2: {environment: S2}\n",
                 true);
  const struct cc_service *s = service (p, "web");
  const struct cc_build *b = s->build;

  (void)state;
  assert_non_null (b);
  assert_string_equal (b->context, "/proj/app");
  assert_string_equal (b->dockerfile, "Containerfile");
  assert_string_equal (cc_kv_get (&b->args, "V"), "1");
  assert_string_equal (b->target, "prod");
  /* Where each key was written: the commands that refuse one say so.  */
  assert_int_equal (cc_build_pos (b, "target").line, 7);
  assert_int_equal (cc_build_pos (b, "target").col, 7);
  assert_int_equal (cc_build_pos (b, "ssh").line, 4); /* not written: the section */
  assert_string_equal (cc_kv_get (&b->labels, "x"), "y");
  assert_strv (b->tags, "a:1");
  assert_strv (b->platforms, "linux/amd64");
  assert_strv (b->cache_from, "type=local");
  assert_true (b->no_cache && b->pull && b->privileged);
  assert_string_equal (b->network, "host");
  assert_int_equal (b->shm_size, 1 << 30);
  assert_int_equal (b->n_extra_hosts, 1);
  assert_string_equal (b->extra_hosts[0].host, "h");
  assert_string_equal (b->extra_hosts[0].ip, "1.2.3.4");
  /* Relative to the project, as compose-go resolves them.  */
  assert_string_equal (cc_kv_get (&b->additional_contexts, "extra"), "/x");
  assert_int_equal (b->n_ulimits, 1);
  assert_int_equal (b->ulimits[0].soft, 100);
  assert_int_equal (b->n_secrets, 1);
  assert_string_equal (b->secrets[0].source, "s1");
  assert_int_equal (s->pull_policy, CC_PULL_EVERY);
  assert_int_equal (s->pull_every_ms, 12 * 3600 * 1000);
  assert_int_equal (s->n_secrets, 2);
  assert_string_equal (s->secrets[0].target, "/run/secrets/s1");
  assert_int_equal (s->secrets[0].mode, -1);
  assert_int_equal (s->secrets[1].mode, 0440);
  assert_int_equal (s->n_devices, 2);
  assert_string_equal (s->devices[0].target, "/dev/fuse");
  assert_string_equal (s->devices[1].target, "/dev/b");
  assert_string_equal (s->devices[1].permissions, "rwm");
  assert_int_equal (s->deploy.mode, CC_DEPLOY_GLOBAL);
  assert_true (s->deploy.update_config.set);
  assert_int_equal (s->deploy.update_config.parallelism, 2);
  assert_int_equal (s->deploy.update_config.delay_ms, 10000);
  assert_string_equal (s->deploy.update_config.order, "start-first");
  assert_string_equal (s->deploy.update_config.failure_action, "rollback");
  assert_int_equal (s->deploy.update_config.monitor_ms, -1);
  assert_int_equal (s->deploy.rollback_config.parallelism, 1);
  assert_true (s->deploy.restart_policy.set);
  assert_int_equal (s->deploy.restart_policy.condition, CC_CONDITION_ON_FAILURE);
  assert_int_equal (s->deploy.restart_policy.max_attempts, 3);
  assert_int_equal (s->deploy.restart_policy.delay_ms, 5000);
  assert_int_equal (s->deploy.restart_policy.window_ms, -1);
  assert_strv (s->deploy.placement.constraints, "node.role==manager");
  assert_strv (s->deploy.placement.preferences, "node.id");
  assert_int_equal (p->view->n_secrets, 2);
  assert_string_equal (p->view->secrets[0].name, "proj_s1");
  assert_string_equal (p->view->secrets[0].file, "/proj/s1");
  assert_string_equal (p->view->secrets[1].environment, "S2");
}

/* network_mode read once, by the view: the engine switches on the enum.  */
static void
test_network_modes (void **state)
{
  static const struct
  {
    const char *mode;
    enum cc_network_mode kind;
    const char *target;
  } cases[] = {
    { "bridge", CC_NETWORK_MODE_BRIDGE, NULL },
    { "host", CC_NETWORK_MODE_HOST, NULL },
    { "none", CC_NETWORK_MODE_NONE, NULL },
    { "service:db", CC_NETWORK_MODE_SERVICE, "db" },
    { "container:app-db-1", CC_NETWORK_MODE_CONTAINER, "app-db-1" },
  };
  cleanup_error cc_error_t err = NULL;
  cleanup_project struct cc_project *bad = NULL;

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_free char *yaml
          = xasprintf ("services:\n  db: {image: x}\n  a: {image: x, network_mode: '%s'}\n", cases[i].mode);
      cleanup_project struct cc_project *p = load_ok (yaml, true);
      const struct cc_service *s = service (p, "a");
      assert_int_equal (s->network_mode, cases[i].kind);
      if (cases[i].target)
        assert_string_equal (s->network_mode_target, cases[i].target);
      else
        assert_null (s->network_mode_target);
      assert_int_equal (s->n_networks, 0);
    }
  assert_int_equal (load ("services:\n  a: {image: x, network_mode: hostx}\n", true, &bad, &err), -1);
  assert_non_null (strstr (err->msg, "test.yaml:2:31: invalid network_mode `hostx`"));
}

/* cgroup_parent: below the hierarchy's root, never above it (issue 15).  */
static void
test_cgroup_parent (void **state)
{
  static const char *const good[] = { "cc-p", "/cc-p/sub", "cc-p/", "" };
  static const char *const bad[] = { "..", "../x", "/cc/../../x", "a/./b", "/", "//", ".", "a\\tb" };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (good); i++)
    {
      cleanup_free char *yaml = xasprintf ("services:\n  a: {image: x, cgroup_parent: \"%s\"}\n", good[i]);
      cleanup_project struct cc_project *p = load_ok (yaml, false);
      assert_string_equal (service (p, "a")->cgroup_parent, good[i]);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_free char *yaml = xasprintf ("services:\n  a: {image: x, cgroup_parent: \"%s\"}\n", bad[i]);
      cleanup_error cc_error_t err = NULL;
      cleanup_project struct cc_project *p = NULL;
      assert_int_equal (load (yaml, false, &p, &err), -1);
      if (strstr (err->msg, "test.yaml:2:32: `cgroup_parent` must be a cgroup path below the hierarchy's root") == NULL)
        fail_msg ("`%s`: unexpected error `%s`", bad[i], err->msg);
    }
}

/* ---- errors ------------------------------------------------------------------- */

static void
test_errors_have_positions (void **state)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_project struct cc_project *p = NULL;
  cleanup_project struct cc_project *ok = NULL;
  cleanup_error cc_error_t at = NULL;

  (void)state;
  /* A value only the view reads: refused once, where it was written.  */
  assert_int_equal (
      load ("services:\n  web:\n    image: x\n    logging:\n      options: {max-size: 10x}\n", false, &p, &err), -1);
  if (strncmp (err->msg, "test.yaml:5:27: invalid logging option max-size `10x`", 53) != 0)
    fail_msg ("unexpected error `%s`", err->msg);
  /* An error at a port's position quotes its line, as every load error does.  */
  ok = load_ok ("services:\n  web:\n    image: x\n    ports: ['5000/sctp']\n", false);
  assert_int_equal (cc_compose_error_at (&at, &service (ok, "web")->ports[0].pos, "cannot publish `%s`", "sctp"), -1);
  assert_string_equal (at->msg, "test.yaml:4:13: cannot publish `sctp`\n      ports: ['5000/sctp']\n              ^");
}

/* compose-go's refresh policies: daily, weekly, every_<d> with its w and
   d units; pull_refresh_after gives `refresh` (or no policy) its period
   and is an error beside another policy; a bad period is refused where
   it was written.  */
static void
test_pull_periods (void **state)
{
  static const struct
  {
    const char *policy;
    int64_t ms;
  } periods[] = {
    { "pull_policy: daily", 24 * 3600 * 1000LL },
    { "pull_policy: weekly", 7 * 24 * 3600 * 1000LL },
    { "pull_policy: every_1w2d", 9 * 24 * 3600 * 1000LL },
    { "pull_policy: every_90s", 90 * 1000LL },
    { "pull_refresh_after: 2h", 2 * 3600 * 1000LL },
    { "pull_policy: refresh\n    pull_refresh_after: 1m", 60 * 1000LL },
    { "pull_policy: refresh", -1 },
  };
  static const char *const bad[] = {
    "pull_policy: every_12x",
    "pull_policy: every_",
    "pull_refresh_after: soon",
    "pull_policy: always\n    pull_refresh_after: 1h",
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (periods); i++)
    {
      const char *v = periods[i].policy;
      cleanup_free char *yaml = xasprintf ("services:\n  web:\n    image: x\n    %s\n", v);
      cleanup_project struct cc_project *p = load_ok (yaml, false);
      assert_int_equal (service (p, "web")->pull_every_ms, periods[i].ms);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      const char *v = bad[i];
      cleanup_free char *yaml = xasprintf ("services:\n  web:\n    image: x\n    %s\n", v);
      cleanup_project struct cc_project *p = NULL;
      cleanup_error cc_error_t err = NULL;
      assert_int_equal (load (yaml, false, &p, &err), -1);
      if (strncmp (err->msg, "test.yaml:", 10) != 0 || ! strstr (err->msg, "pull_"))
        fail_msg ("`%s`: no position in `%s`", v, err->msg);
    }
}

/* A view of a config read back from the state has no positions, and a
   value that does not read is an error naming the service.  */
static void
test_view_from_json (void **state)
{
  cleanup_cjson cJSON *good = cJSON_Parse ("{\"image\":\"x\",\"ports\":[{\"target\":80,\"published\":\"8080\","
                                           "\"protocol\":\"udp\"}],\"healthcheck\":{\"interval\":\"2s\"}}");
  cleanup_cjson cJSON *bad = cJSON_Parse ("{\"image\":\"x\",\"stop_grace_period\":\"soon\"}");
  cleanup_service struct cc_service *s = NULL;
  cleanup_service struct cc_service *none = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_service_new ("web", good, NULL, &s, NULL), 0);
  assert_int_equal (s->n_ports, 1);
  assert_int_equal (s->ports[0].published, 8080);
  assert_int_equal (s->ports[0].protocol, CC_PORT_UDP);
  assert_null (s->ports[0].pos.file);
  assert_int_equal (s->healthcheck.interval_ms, 2000);
  assert_int_equal (cc_service_new ("web", bad, NULL, &none, &err), -1);
  assert_null (none);
  assert_string_equal (err->msg, "service `web`: `stop_grace_period` is not a duration");
}

/* ---- logging (issue 15) ----------------------------------------------------------- */

static void
load_fails (const char *yaml, const char *want)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_project struct cc_project *p = NULL;

  assert_int_equal (load (yaml, false, &p, &err), -1);
  if (strstr (err->msg, want) == NULL)
    fail_msg ("`%s`: error `%s`, not `%s`", yaml, err->msg, want);
}

static void
test_logging_drivers (void **state)
{
  cleanup_project struct cc_project *p = load_ok (
      "services:\n  a: {image: x}\n  b: {image: x, logging: {driver: local}}\n"
      "  c: {image: x, logging: {driver: local, options: {max-size: 1k, max-file: '2', compress: 'false'}}}\n"
      "  d: {image: x, logging: {options: {max-size: 1k, max-file: 3, compress: 'true', mode: non-blocking, "
      "max-buffer-size: 4k, tag: '{{.Name}}', labels-regex: '^a'}}}\n",
      false);
  const struct cc_service *a = service (p, "a"), *b = service (p, "b"), *c = service (p, "c"), *d = service (p, "d");

  (void)state;
  assert_int_equal (a->log_max_size, 0);
  assert_int_equal (a->log_max_file, 1);
  assert_false (a->log_compress || a->log_nonblocking);
  assert_int_equal (b->log_max_size, 20 * 1024 * 1024);
  assert_int_equal (b->log_max_file, 5);
  assert_true (b->log_compress);
  assert_int_equal (c->log_max_size, 1024);
  assert_int_equal (c->log_max_file, 2);
  assert_false (c->log_compress);
  assert_true (d->log_compress && d->log_nonblocking);
  assert_int_equal (d->log_max_buffer_size, 4096);
  load_fails ("services:\n  a:\n    image: x\n    logging: {driver: local, options: {tag: x}}\n",
              "test.yaml:4:45: unknown log opt `tag` for local log driver");
  load_fails ("services:\n  a:\n    image: x\n    logging: {options: {compress: 'true'}}\n",
              "compress cannot be true when max-file is less than 2 or max-size is not set");
  load_fails ("services:\n  a:\n    image: x\n    logging: {options: {max-buffer-size: 1m}}\n",
              "max-buffer-size is only supported with `mode: non-blocking`");
  load_fails ("services:\n  a:\n    image: x\n    logging: {options: {mode: fast}}\n", "logging mode not supported");
  load_fails ("services:\n  a:\n    image: x\n    logging: {options: {tag: '{{.Secret}}'}}\n",
              "unsupported template action `{{.Secret}}`");
  load_fails ("services:\n  a:\n    image: x\n    logging: {options: {env-regex: '('}}\n",
              "invalid regular expression");
  load_fails ("services:\n  a:\n    image: x\n    logging: {driver: gelf}\n", "logging driver `gelf` is not supported");
}

static void
test_logging_tag_and_attrs (void **state)
{
  const struct cc_log_tag_info info = { "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "p-web-1",
                                        "alpine", "sha256:fedcba9876543210" };
  cleanup_free char *t
      = cc_log_tag_expand ("{{.ID}}/{{ .Name }}/{{.ImageName}}/{{.ImageID}}/{{.DaemonName}}", &info, NULL);
  cleanup_free char *full = cc_log_tag_expand ("{{.FullID}} {{.ImageFullID}}", &info, NULL);
  cleanup_free char *why = NULL;
  cleanup_cjson cJSON *labels = cJSON_Parse ("{\"a\":\"1\",\"a.b\":\"2\",\"b\":\"3\",\"com.x\":\"4\"}");
  char *env[] = { "PATH=/bin", "A_X=y=z", "SECRET=s", "NOEQ", NULL };
  struct cc_kv kv[]
      = { { "env", "PATH,MISSING" }, { "env-regex", "^A_" }, { "labels", "a,zz" }, { "labels-regex", "^com" } };
  struct cc_kv_list opts = { 4, kv };
  cleanup_strv char **attrs = cc_log_attrs (&opts, labels, env, "t");
  struct cc_kv_list none = { 0, NULL };

  (void)state;
  assert_string_equal (t, "0123456789ab/p-web-1/alpine/fedcba987654/ccompose");
  assert_string_equal (full,
                       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef sha256:fedcba9876543210");
  assert_null (cc_log_tag_expand ("{{.ID", &info, &why));
  assert_non_null (why);
  assert_strv (attrs, "A_X=y=z,PATH=/bin,a=1,com.x=4,tag=t");
  assert_null (cc_log_attrs (&none, labels, env, NULL));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_port_grammar),           cmocka_unit_test (test_ports_in_view),
    cmocka_unit_test (test_process_fields),         cmocka_unit_test (test_network_fields),
    cmocka_unit_test (test_storage_and_limits),     cmocka_unit_test (test_defaults),
    cmocka_unit_test (test_unsupported_keys_typed), cmocka_unit_test (test_errors_have_positions),
    cmocka_unit_test (test_view_from_json),         cmocka_unit_test (test_network_modes),
    cmocka_unit_test (test_cgroup_parent),          cmocka_unit_test (test_logging_drivers),
    cmocka_unit_test (test_logging_tag_and_attrs),  cmocka_unit_test (test_pull_periods),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
