/* hosts and resolv.conf rendering as Docker writes them, in-place
   rewrites, port and network_mode syntax.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/xalloc.h"
#include "network/netimpl.h"
#include "network/network.h"
#include "network/state.h"

static const char state_json[]
    = "{\"networks\":["
      " {\"project\":\"app\",\"name\":\"front\",\"gateway\":\"10.89.0.1\",\"members\":["
      "  {\"container\":\"app-web-1\",\"service\":\"web\",\"number\":1,\"ip\":\"10.89.0.2\",\"hostname\":\"webhost\","
      "   \"domainname\":\"example.org\","
      "   \"extra_hosts\":[\"db.local:10.1.1.1\",\"gw:host-gateway\",\"eq=10.2.2.2\",\"broken\",\":nohost\"]},"
      "  {\"container\":\"app-proxy-1\",\"service\":\"proxy\",\"number\":1,\"ip\":\"10.89.0.3\","
      "   \"aliases\":[\"edge\",\"proxy\"]}]},"
      " {\"project\":\"app\",\"name\":\"back\",\"gateway\":\"10.89.1.1\",\"members\":["
      "  {\"container\":\"app-web-1\",\"service\":\"web\",\"number\":1,\"ip\":\"10.89.1.2\",\"hostname\":\"webhost\","
      "   \"domainname\":\"example.org\"},"
      "  {\"container\":\"app-db-1\",\"service\":\"db\",\"number\":1,\"ip\":\"10.89.1.3\"}]},"
      " {\"project\":\"other\",\"name\":\"front\",\"gateway\":\"10.89.2.1\",\"members\":["
      "  {\"container\":\"other-web-1\",\"service\":\"web\",\"number\":1,\"ip\":\"10.89.2.2\"}]}"
      "]}";

static char *
render (const char *container)
{
  cleanup_cjson cJSON *st = NULL;

  assert_int_equal (cc_json_parse (state_json, "state", &st, NULL), 0);
  return cc_hosts_render (st, "app", container);
}

/* Docker's file since its embedded DNS: localhost, the extra hosts, the
   container's own name on each of its addresses; nobody else's.  */
static void
test_hosts_as_docker_writes_them (void **state)
{
  cleanup_free char *web = render ("app-web-1");
  cleanup_free char *proxy = render ("app-proxy-1");
  cleanup_free char *nobody = render ("app-nobody-1");

  (void)state;
  assert_string_equal (web, "127.0.0.1\tlocalhost\n"
                            "::1\tlocalhost ip6-localhost ip6-loopback\n"
                            "fe00::\tip6-localnet\n"
                            "ff00::\tip6-mcastprefix\n"
                            "ff02::1\tip6-allnodes\n"
                            "ff02::2\tip6-allrouters\n"
                            "10.1.1.1\tdb.local\n"
                            "10.89.0.1\tgw\n"
                            "10.2.2.2\teq\n"
                            "10.89.0.2\twebhost.example.org webhost\n"
                            "10.89.1.2\twebhost.example.org webhost\n");
  /* Without a hostname, the container's name (its default hostname).  */
  assert_non_null (strstr (proxy, "\n10.89.0.3\tapp-proxy-1\n"));
  /* Peers resolve through the embedded DNS, not this file.  */
  assert_null (strstr (proxy, "app-web-1"));
  assert_null (strstr (proxy, "edge"));
  assert_null (strstr (web, "app-db-1"));
  assert_null (strstr (web, "host.docker.internal"));
  assert_null (nobody);
}

/* Issue 15: on an IPv6-only network the container's names are on its
   IPv6 address alone, and host-gateway is the IPv6 gateway.  */
static void
test_hosts_of_an_ipv6_only_network (void **state)
{
  static const char v6_json[]
      = "{\"networks\":[{\"project\":\"p\",\"name\":\"six\",\"gateway6\":\"fd98:cc::1\",\"members\":["
        " {\"container\":\"p-web-1\",\"service\":\"web\",\"ip6\":\"fd98:cc::2\",\"extra_hosts\":[\"gw:host-gateway\"]}]"
        "}]}";
  cleanup_cjson cJSON *st = NULL;
  cleanup_free char *text = NULL;

  (void)state;
  assert_int_equal (cc_json_parse (v6_json, "state", &st, NULL), 0);
  text = cc_hosts_render (st, "p", "p-web-1");
  assert_non_null (text);
  assert_non_null (strstr (text, "\nfd98:cc::1\tgw\nfd98:cc::2\tp-web-1\n"));
  assert_null (strstr (text, "(null)"));
}

static void
test_hosts_of_host_networking (void **state)
{
  char *extra[] = { (char *)"db:10.1.1.1", (char *)"gw:host-gateway", NULL };
  cleanup_free char *plain = cc_hosts_render_host_mode ("127.0.0.1 localhost\n10.0.0.5 myhost\n", NULL);
  cleanup_free char *with = cc_hosts_render_host_mode ("10.0.0.5 myhost\n", extra);

  (void)state;
  assert_string_equal (plain, "127.0.0.1 localhost\n10.0.0.5 myhost\n");
  /* Extra hosts: Docker's defaults and them, not the host's file, so one
     can override a host's name; no gateway to name there.  */
  assert_non_null (strstr (with, "127.0.0.1\tlocalhost\n"));
  assert_non_null (strstr (with, "10.1.1.1\tdb\n"));
  assert_null (strstr (with, "myhost"));
  assert_null (strstr (with, "gw"));
}

static void
test_write_one_writes_the_render (void **state)
{
  char dir[] = "/tmp/cc-hosts-update.XXXXXX";
  cleanup_cjson cJSON *st = NULL;
  cleanup_free char *path = NULL, *got = NULL, *want = NULL;

  (void)state;
  assert_non_null (mkdtemp (dir));
  assert_int_equal (cc_json_parse (state_json, "state", &st, NULL), 0);
  path = xasprintf ("%s/hosts", dir);
  for (cJSON *net = cc_net_first (st, "networks"); net; net = net->next)
    for (cJSON *m = cc_net_first (net, "members"); m; m = m->next)
      if (strcmp (cc_json_get_string (m, "container"), "app-web-1") == 0)
        cc_json_set_string (m, "hosts_path", path);
  assert_int_equal (cc_hosts_write_one (st, "app", "app-web-1", NULL), 0);
  want = cc_hosts_render (st, "app", "app-web-1");
  assert_int_equal (cc_read_file (path, &got, NULL, NULL), 0);
  assert_string_equal (got, want);
  /* Without a hosts file, or on no network: nothing to write.  */
  assert_int_equal (cc_hosts_write_one (st, "app", "app-proxy-1", NULL), 0);
  assert_int_equal (cc_hosts_write_one (st, "app", "app-nobody-1", NULL), 0);
  unlink (path);
  assert_int_equal (rmdir (dir), 0);
}

static const char host_resolv[] = "# generated by NetworkManager\n"
                                  "nameserver 127.0.0.53\n"
                                  "nameserver 10.255.255.53\n"
                                  "nameserver ::1\n"
                                  "search corp.example\n"
                                  "options edns0 trust-ad\n"
                                  "sortlist 10.0.0.0/255.0.0.0\n";

/* Docker's TransformForIntNS golden files, in ccompose's words.  */
static void
test_resolv_embedded (void **state)
{
  char *dns[] = { (char *)"1.1.1.1", NULL };
  char *search[] = { (char *)"a.example", NULL };
  char *opts[] = { (char *)"ndots:2", NULL };
  cleanup_free char *plain
      = cc_resolv_render (host_resolv, "/etc/resolv.conf", CC_NET_RESOLV_EMBEDDED, NULL, NULL, NULL);
  cleanup_free char *over
      = cc_resolv_render (host_resolv, "/etc/resolv.conf", CC_NET_RESOLV_EMBEDDED, dns, search, opts);
  cleanup_free char *none = cc_resolv_render (NULL, NULL, CC_NET_RESOLV_EMBEDDED, NULL, NULL, NULL);

  (void)state;
  assert_string_equal (plain, "# Generated by ccompose\n\n"
                              "nameserver 127.0.0.11\n"
                              "search corp.example\n"
                              "options edns0 trust-ad ndots:0\n"
                              "sortlist 10.0.0.0/255.0.0.0\n"
                              "\n# Based on host file: '/etc/resolv.conf' (internal resolver)\n"
                              "# ExtServers: [host(127.0.0.53) host(10.255.255.53) host(::1)]\n"
                              "# Overrides: []\n"
                              "# Option ndots from: internal\n");
  assert_string_equal (over, "# Generated by ccompose\n\n"
                             "nameserver 127.0.0.11\n"
                             "search a.example\n"
                             "options ndots:2\n"
                             "sortlist 10.0.0.0/255.0.0.0\n"
                             "\n# Based on host file: '/etc/resolv.conf' (internal resolver)\n"
                             "# ExtServers: [1.1.1.1]\n"
                             "# Overrides: [nameservers search options]\n"
                             "# Option ndots from: override\n");
  assert_non_null (strstr (none, "nameserver 127.0.0.11\noptions ndots:0\n"));
  assert_non_null (strstr (none, "# NO EXTERNAL NAMESERVERS DEFINED\n"));
}

static void
test_resolv_host_and_none (void **state)
{
  char *dns[] = { (char *)"1.1.1.1", (char *)"9.9.9.9", NULL };
  char *search[] = { (char *)"a.example", (char *)"b.example", NULL };
  char *opts[] = { (char *)"ndots:2", NULL };
  char *empty[] = { NULL };
  cleanup_free char *host = cc_resolv_render (host_resolv, "/etc/resolv.conf", CC_NET_RESOLV_HOST, NULL, NULL, NULL);
  cleanup_free char *legacy = cc_resolv_render (host_resolv, NULL, CC_NET_RESOLV_LEGACY, NULL, NULL, NULL);
  cleanup_free char *over = cc_resolv_render (host_resolv, NULL, CC_NET_RESOLV_LEGACY, dns, search, opts);
  cleanup_free char *loop
      = cc_resolv_render ("nameserver 127.0.0.53\n", NULL, CC_NET_RESOLV_LEGACY, empty, empty, empty);

  (void)state;
  /* Host networking keeps the host's resolver, loopback servers too.  */
  assert_string_equal (host, "# Generated by ccompose\n"
                             "nameserver 127.0.0.53\nnameserver 10.255.255.53\nnameserver ::1\n"
                             "search corp.example\noptions edns0 trust-ad\nsortlist 10.0.0.0/255.0.0.0\n");
  assert_string_equal (legacy, "# Generated by ccompose\nsearch corp.example\noptions edns0 trust-ad\n"
                               "nameserver 10.255.255.53\n");
  assert_string_equal (over, "# Generated by ccompose\nsearch a.example b.example\noptions ndots:2\n"
                             "nameserver 1.1.1.1\nnameserver 9.9.9.9\n");
  /* Only loopback servers: they mean nothing in another namespace.  */
  assert_non_null (strstr (loop, "nameserver 8.8.8.8\n"));
  assert_null (strstr (loop, "127.0.0.53"));
}

static void
test_write_in_place_keeps_inode (void **state)
{
  char path[] = "/tmp/cc-hosts.XXXXXX";
  int fd = mkstemp (path);
  struct stat before, after;
  cleanup_free char *text = NULL;

  (void)state;
  assert_true (fd >= 0);
  close (fd);
  assert_int_equal (cc_write_file_in_place (path, "a long first version of the file\n",
                                            strlen ("a long first version of the file\n"), NULL),
                    0);
  assert_int_equal (stat (path, &before), 0);
  assert_int_equal (cc_write_file_in_place (path, "short\n", strlen ("short\n"), NULL), 0);
  assert_int_equal (stat (path, &after), 0);
  assert_int_equal (before.st_ino, after.st_ino);
  assert_int_equal (cc_read_file (path, &text, NULL, NULL), 0);
  assert_string_equal (text, "short\n");
  unlink (path);
}

static void
test_port_syntax (void **state)
{
  struct cc_net_port p;
  static const char *const bad[] = { "",           "80-81",           "a:b",         "0-1:80",
                                     "70000:80",   "80:80/sctp",      "1.2.3:80:80", "8080-8081:80-82",
                                     "9-8:80",     "[::1]:80:80/udp", "[::1]::80",   "[::1]:8000-8001:80",
                                     "1:2:3:4",    "80:80/",          "::80:80",     "8080:-80",
                                     "x.y.z.w:1:1" };
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_engine_parse_publish ("8080:80", &p, NULL), 0);
  assert_int_equal (p.proto, CC_NET_TCP);
  assert_string_equal (p.host_ip, "");
  assert_int_equal (p.host_port, 8080);
  assert_int_equal (p.host_port_end, 8080);
  assert_int_equal (p.container_port, 80);
  assert_int_equal (cc_engine_parse_publish ("127.0.0.1:5353:53/udp", &p, NULL), 0);
  assert_int_equal (p.proto, CC_NET_UDP);
  assert_string_equal (p.host_ip, "127.0.0.1");
  assert_int_equal (cc_engine_parse_publish ("9000-9002:7000-7002", &p, NULL), 0);
  assert_int_equal (p.host_port_end, 9002);
  assert_int_equal (p.container_port_end, 7002);
  /* Several host ports onto one container port is allowed.  */
  assert_int_equal (cc_engine_parse_publish ("9000-9002:80", &p, NULL), 0);
  assert_int_equal (cc_engine_parse_publish (":8080:80", &p, NULL), 0);
  assert_string_equal (p.host_ip, "");
  /* Docker's forms without a host port: host port 0, chosen at attach.  */
  assert_int_equal (cc_engine_parse_publish ("80", &p, NULL), 0);
  assert_int_equal (p.host_port, 0);
  assert_int_equal (p.container_port, 80);
  assert_int_equal (cc_engine_parse_publish (":80/udp", &p, NULL), 0);
  assert_int_equal (p.host_port, 0);
  assert_int_equal (p.proto, CC_NET_UDP);
  assert_int_equal (cc_engine_parse_publish ("127.0.0.1::8080", &p, NULL), 0);
  assert_string_equal (p.host_ip, "127.0.0.1");
  assert_int_equal (p.host_port, 0);
  assert_int_equal (p.container_port, 8080);
  /* The IPv6 loopback, through the monitor's relay (issue 17): tcp on
     fixed host ports, one or a range onto as many.  */
  assert_int_equal (cc_engine_parse_publish ("[::1]:8080:80", &p, NULL), 0);
  assert_string_equal (p.host_ip, "::1");
  assert_int_equal (p.host_port, 8080);
  assert_int_equal (cc_engine_parse_publish ("[::1]:8000-8001:80-81", &p, NULL), 0);
  assert_int_equal (p.container_port_end, 81);
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      if (cc_engine_parse_publish (bad[i], &p, &err) == 0)
        fail_msg ("`%s` accepted", bad[i]);
      assert_non_null (err);
      cc_error_release (&err);
    }
}

static void
test_state_helpers (void **state)
{
  struct cc_net_port in[2], out;
  cleanup_cjson cJSON *j = NULL;
  const char *tag;

  (void)state;
  assert_int_equal (cc_engine_parse_publish ("127.0.0.1:9000-9001:80-81/udp", &in[0], NULL), 0);
  assert_int_equal (cc_engine_parse_publish ("8080:80", &in[1], NULL), 0);
  j = cc_net_ports_to_json (in, 2);
  assert_int_equal (cc_net_port_from_json (cJSON_GetArrayItem (j, 0), &out, NULL), 0);
  assert_memory_equal (&out, &in[0], sizeof (out));
  assert_int_equal (cc_net_port_from_json (cJSON_GetArrayItem (j, 1), &out, NULL), 0);
  assert_memory_equal (&out, &in[1], sizeof (out));
  /* The default state root has no tag; any other one a stable short one.  */
  setenv ("CCOMPOSE_STATE_DIR", "/run/ccompose", 1);
  assert_string_equal (cc_paths_net_tag (), "");
  setenv ("CCOMPOSE_STATE_DIR", "/run/ccompose-test/a", 1);
  tag = cc_paths_net_tag ();
  assert_int_equal (strlen (tag), 7);
  assert_int_equal (tag[0], '@');
  {
    cleanup_free char *first = xstrdup (tag);
    setenv ("CCOMPOSE_STATE_DIR", "/run/ccompose-test/b", 1);
    assert_string_not_equal (cc_paths_net_tag (), first);
    setenv ("CCOMPOSE_STATE_DIR", "/run/ccompose-test/a", 1);
    assert_string_equal (cc_paths_net_tag (), first);
  }
  unsetenv ("CCOMPOSE_STATE_DIR");
}

/* The state file round-trips through a save; an empty one (what a power
   cut can leave of an unsynced save) reads as an empty state; a corrupt
   one is an error, not silently dropped.  */
static void
test_state_file_save_empty_and_corrupt (void **state)
{
  char dir[] = "/tmp/cc-netstate.XXXXXX";
  cleanup_free char *file = NULL, *netdir = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_non_null (mkdtemp (dir));
  setenv ("CCOMPOSE_STATE_DIR", dir, 1);
  netdir = xasprintf ("%s/network", dir);
  file = xasprintf ("%s/state.json", netdir);
  {
    cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
    assert_int_equal (cc_net_state_open (&st, NULL), 0);
    cc_json_set_string (st.root, "probe", "kept");
    assert_int_equal (cc_net_state_save (&st, NULL), 0);
  }
  {
    cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
    assert_int_equal (cc_net_state_open (&st, NULL), 0);
    assert_string_equal (cc_json_get_string (st.root, "probe"), "kept");
  }
  assert_int_equal (truncate (file, 0), 0);
  {
    cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
    assert_int_equal (cc_net_state_open (&st, NULL), 0);
    assert_null (cc_json_get_string (st.root, "probe"));
  }
  assert_int_equal (cc_write_file_in_place (file, "{\"networks\": [", 14, NULL), 0);
  {
    cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
    assert_true (cc_net_state_open (&st, &err) < 0);
    assert_non_null (err);
  }
  unlink (file);
  {
    cleanup_free char *lock = xasprintf ("%s/lock", netdir);
    unlink (lock);
  }
  assert_int_equal (rmdir (netdir), 0);
  assert_int_equal (rmdir (dir), 0);
  unsetenv ("CCOMPOSE_STATE_DIR");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_hosts_as_docker_writes_them),
    cmocka_unit_test (test_hosts_of_an_ipv6_only_network),
    cmocka_unit_test (test_hosts_of_host_networking),
    cmocka_unit_test (test_write_one_writes_the_render),
    cmocka_unit_test (test_resolv_embedded),
    cmocka_unit_test (test_resolv_host_and_none),
    cmocka_unit_test (test_write_in_place_keeps_inode),
    cmocka_unit_test (test_port_syntax),
    cmocka_unit_test (test_state_helpers),
    cmocka_unit_test (test_state_file_save_empty_and_corrupt),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
