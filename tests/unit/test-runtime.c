/* Unit tests for the pure parts of runtime/: spec JSON, capability
   table, restart backoff, json-file encoding, user resolution, mount
   options, sysctl policy, health bookkeeping, the seccomp argument
   rules (in a forked child, which keeps its filter to itself).  */
/* cmocka needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/gzip.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"
#include "runtime/runtime.h"

static struct cc_runtime_spec *
parse (const char *text, cc_error_t *err)
{
  cleanup_cjson cJSON *j = cJSON_Parse (text);
  struct cc_runtime_spec *s = NULL;

  assert_non_null (j);
  if (cc_runtime_spec_from_json (j, &s, err) < 0)
    return NULL;
  return s;
}

static void
test_spec_full_round_trip (void **state)
{
  const char *text
      = "{\"layers\": [\"/l1\", \"/l2\"], \"upper\": \"/u\", \"work\": \"/w\", \"args\": [\"/bin/sh\", \"-c\", \"x\"],"
        " \"env\": [\"A=1\"], \"cwd\": \"/srv\", \"user\": \"app:app\", \"hostname\": \"h\","
        " \"mounts\": [{\"type\": \"tmpfs\", \"target\": \"/t\", \"options\": [\"size=1m\"]}],"
        " \"read_only\": true, \"resources\": {\"memory\": 1048576, \"cpu_quota\": 50000, \"pids_limit\": 10},"
        " \"cap_add\": [\"NET_ADMIN\"], \"cap_drop\": [\"ALL\"], \"sysctls\": {\"net.ipv4.ip_forward\": \"1\"},"
        " \"ulimits\": {\"nofile\": {\"soft\": 10, \"hard\": 20}}, \"init\": true, \"stop_signal\": \"SIGINT\","
        " \"stop_grace_ms\": 1500, \"restart\": \"on-failure:3\","
        " \"healthcheck\": {\"test\": [\"CMD-SHELL\", \"true\"], \"interval_ms\": 100, \"retries\": 2},"
        " \"log\": {\"max_size\": 1000, \"max_file\": 3}, \"netns\": \"/run/x\"}";
  cleanup_error cc_error_t err = NULL;
  cleanup_runtime_spec struct cc_runtime_spec *s = parse (text, &err), *again = NULL;
  cleanup_cjson cJSON *out = NULL;

  (void)state;
  assert_non_null (s);
  assert_int_equal (cc_strv_len (s->layers), 2);
  assert_int_equal (s->resources.memory, 1048576);
  assert_int_equal (s->rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal (s->stop_signal, SIGINT);
  assert_int_equal (s->restart, CC_RESTART_ON_FAILURE);
  assert_int_equal (s->restart_max, 3);
  assert_int_equal (s->health.retries, 2);
  assert_int_equal (s->health.timeout_ms, 30000);
  assert_true (s->seccomp);
  out = cc_runtime_spec_to_json (s);
  assert_int_equal (cc_runtime_spec_from_json (out, &again, &err), 0);
  assert_string_equal (again->sysctls[0], "net.ipv4.ip_forward=1");
  assert_int_equal (again->restart_max, 3);
  assert_int_equal (again->stop_signal, SIGINT);
  assert_int_equal (again->log_max_file, 3);
  assert_int_equal (again->rlimits[0].hard, 20);
}

static void
test_spec_malformed (void **state)
{
  static const struct
  {
    const char *json, *needle;
  } bad[] = {
    { "{\"rootfs\": \"/\"}", "args" },
    { "{\"args\": [\"/x\"]}", "rootfs" },
    { "{\"rootfs\": \"/\", \"layers\": [\"/a\"], \"upper\": \"/u\", \"work\": \"/w\", \"args\": [\"/x\"]}",
      "exactly one" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"nope\": 1}", "nope" },
    { "{\"rootfs\": \"/\", \"args\": \"/x\"}", "args" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\", 3]}", "args" },
    { "{\"rootfs\": 7, \"args\": [\"/x\"]}", "rootfs" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"restart\": \"sometimes\"}", "restart" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"restart\": \"always:3\"}", "count" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"restart\": \"on-failure:-1\"}", "count" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"stop_signal\": \"SIGNOPE\"}", "signal" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"resources\": {\"memory\": -5}}", "memory" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"resources\": {\"memory\": 1.5}}", "memory" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"resources\": {\"memory\": 1e300}}", "memory" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"stop_grace_ms\": -1e300}", "stop_grace_ms" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"resources\": {\"memory\": 100, \"memory_swap\": 50}}", "memory_swap" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"ulimits\": {\"nofile\": {\"soft\": 5, \"hard\": 1}}}", "soft" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"ulimits\": {\"bogus\": {\"soft\": 1, \"hard\": 1}}}", "bogus" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"mounts\": [{\"type\": \"nfs\", \"target\": \"/a\"}]}", "type" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"mounts\": [{\"type\": \"bind\", \"target\": \"/a\"}]}", "source" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"mounts\": [{\"type\": \"tmpfs\", \"target\": \"rel\"}]}", "absolute" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"env\": [\"NOEQUALS\"]}", "NOEQUALS" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"cwd\": \"relative\"}", "cwd" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"healthcheck\": {\"test\": [\"RUN\", \"x\"]}}", "healthcheck" },
    { "{\"layers\": [\"/a:b\"], \"upper\": \"/u\", \"work\": \"/w\", \"args\": [\"/x\"]}", "layer" },
    { "[1, 2]", "object" },
    { "{\"rootfs\": \"/\", \"args\": [\"/x\"], \"netns\": \"relative\"}", "netns" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_error cc_error_t err = NULL;
      struct cc_runtime_spec *s = parse (bad[i].json, &err);
      if (s != NULL)
        fail_msg ("accepted: %s", bad[i].json);
      assert_non_null (err);
      if (strstr (err->msg, bad[i].needle) == NULL)
        fail_msg ("%s: message `%s` lacks `%s`", bad[i].json, err->msg, bad[i].needle);
    }
}

static void
test_healthcheck_none_disables (void **state)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_runtime_spec struct cc_runtime_spec *s
      = parse ("{\"rootfs\": \"/\", \"args\": [\"/x\"], \"healthcheck\": {\"test\": [\"NONE\"]}}", &err);

  (void)state;
  assert_non_null (s);
  assert_null (s->health.test);
}

static void
test_default_caps_are_dockers_14 (void **state)
{
  struct cc_runtime_spec s = { 0 };
  char *add_all[] = { (char *)"ALL", NULL }, *drop_all[] = { (char *)"all", NULL };
  char *add_admin[] = { (char *)"CAP_SYS_ADMIN", NULL }, *drop_chown[] = { (char *)"chown", NULL };
  char *bogus[] = { (char *)"CAP_MAKE_COFFEE", NULL };
  cleanup_error cc_error_t err = NULL;
  uint64_t mask;

  (void)state;
  assert_int_equal (cc_strv_len ((char **)cc_default_caps), 14);
  for (size_t i = 0; cc_default_caps[i]; i++)
    assert_true (cc_caps_from_name (cc_default_caps[i]) >= 0);
  assert_int_equal (cc_caps_compute (&s, &mask, &err), 0);
  assert_int_equal (__builtin_popcountll (mask), 14);
  assert_true (mask & (1ULL << CAP_NET_BIND_SERVICE));
  assert_false (mask & (1ULL << CAP_SYS_ADMIN));
  s.cap_add = add_admin;
  s.cap_drop = drop_chown;
  assert_int_equal (cc_caps_compute (&s, &mask, &err), 0);
  assert_true (mask & (1ULL << CAP_SYS_ADMIN));
  assert_false (mask & (1ULL << CAP_CHOWN));
  s.cap_add = NULL;
  s.cap_drop = drop_all;
  assert_int_equal (cc_caps_compute (&s, &mask, &err), 0);
  assert_int_equal (mask, 0);
  s.cap_add = add_admin;
  assert_int_equal (cc_caps_compute (&s, &mask, &err), 0);
  assert_int_equal (mask, 1ULL << CAP_SYS_ADMIN);
  s.cap_add = add_all;
  s.cap_drop = drop_chown;
  assert_int_equal (cc_caps_compute (&s, &mask, &err), 0);
  assert_true (mask & (1ULL << CAP_SYS_MODULE));
  assert_false (mask & (1ULL << CAP_CHOWN));
  s.cap_add = bogus;
  assert_int_equal (cc_caps_compute (&s, &mask, &err), -1);
  assert_non_null (strstr (err->msg, "CAP_MAKE_COFFEE"));
  assert_int_equal (cc_caps_from_name ("12"), -1);
  assert_int_equal (cc_caps_from_name ("../x"), -1);
}

static void
test_restart_policy_and_backoff (void **state)
{
  struct cc_runtime_spec s = { 0 };

  (void)state;
  assert_false (cc_restart_wanted (&s, 0, 1, false));
  s.restart = CC_RESTART_ALWAYS;
  assert_true (cc_restart_wanted (&s, 100, 0, false));
  assert_false (cc_restart_wanted (&s, 0, 1, true));
  s.restart = CC_RESTART_ON_FAILURE;
  s.restart_max = 2;
  assert_false (cc_restart_wanted (&s, 0, 0, false));
  assert_true (cc_restart_wanted (&s, 1, 1, false));
  assert_false (cc_restart_wanted (&s, 2, 1, false));
  s.restart_max = 0;
  assert_true (cc_restart_wanted (&s, 1000, 3, false));
  assert_int_equal (cc_restart_next_delay (0, 0), 100);
  assert_int_equal (cc_restart_next_delay (100, 50), 200);
  assert_int_equal (cc_restart_next_delay (200, 50), 400);
  assert_int_equal (cc_restart_next_delay (51200, 50), 60000);
  assert_int_equal (cc_restart_next_delay (60000, 50), 60000);
  assert_int_equal (cc_restart_next_delay (6400, 10000), 100);
}

static void
test_jsonlog_encoding (void **state)
{
  struct timespec ts = { 1700000000, 123456789 };
  cleanup_free char *line = cc_jsonlog_encode ("a\"b\\c<d>&\te\n", 12, "stdout", NULL, &ts);
  cleanup_free char *bad = cc_jsonlog_encode ("x\xff\xc3(y\x01", 6, "stderr", NULL, &ts);
  cleanup_free char *utf8 = cc_jsonlog_encode ("h\xc3\xa9llo", 6, "stdout", NULL, &ts);
  cleanup_free char *stream = NULL, *text = NULL;

  (void)state;
  assert_string_equal (line, "{\"log\":\"a\\\"b\\\\c\\u003cd\\u003e\\u0026\\te\\n\",\"stream\":\"stdout\","
                             "\"time\":\"2023-11-14T22:13:20.123456789Z\"}\n");
  assert_string_equal (bad, "{\"log\":\"x\\ufffd\\ufffd(y\\u0001\",\"stream\":\"stderr\","
                            "\"time\":\"2023-11-14T22:13:20.123456789Z\"}\n");
  assert_non_null (strstr (utf8, "h\xc3\xa9llo"));
  assert_int_equal (cc_jsonlog_decode (line, &stream, &text), 0);
  assert_string_equal (stream, "stdout");
  assert_string_equal (text, "a\"b\\c<d>&\te\n");
  assert_int_equal (cc_jsonlog_decode ("{\"log\": 1}", &stream, &text), -1);
  assert_int_equal (cc_jsonlog_decode ("garbage", &stream, &text), -1);
}

/* Docker's record with attributes: "attrs" between "stream" and "time",
   hostile names and values escaped as the text is (issue 15).  */
static void
test_jsonlog_attrs (void **state)
{
  struct timespec ts = { 1700000000, 0 };
  char *attrs_in[] = { "a\"b=1", "tag=x\n\",\"stream\":\"stderr", NULL };
  cleanup_free char *attrs = cc_jsonlog_attrs (attrs_in);
  cleanup_free char *line = cc_jsonlog_encode ("hi\n", 3, "stdout", attrs, &ts);
  cleanup_free char *stream = NULL, *text = NULL;

  (void)state;
  assert_null (cc_jsonlog_attrs (NULL));
  assert_string_equal (attrs, "{\"a\\\"b\":\"1\",\"tag\":\"x\\n\\\",\\\"stream\\\":\\\"stderr\"}");
  assert_string_equal (line, "{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"attrs\":{\"a\\\"b\":\"1\",\"tag\":"
                             "\"x\\n\\\",\\\"stream\\\":\\\"stderr\"},\"time\":\"2023-11-14T22:13:20.000000000Z\"}\n");
  assert_int_equal (cc_jsonlog_decode (line, &stream, &text), 0);
  assert_string_equal (stream, "stdout");
}

/* Docker's syslog formats; hostile output cannot start a message of its
   own or forge a header (issue 15).  */
static void
test_syslog_encoding (void **state)
{
  struct timespec ts = { 1700000000, 123456789 };
  struct cc_syslog_fmt f = { CC_SYSLOG_RFC5424, 16, (char *)"web", (char *)"host", 42, false, false };
  size_t n;
  cleanup_free char *a = cc_syslog_encode (&f, false, "hello\n", 6, &ts, &n);
  cleanup_free char *b = NULL, *c = NULL, *d = NULL, *big = NULL, *e = NULL;
  cleanup_free char *line = xmalloc (1 << 20);

  (void)state;
  assert_string_equal (a, "<134>1 2023-11-14T22:13:20Z host web 42 web - hello");
  assert_int_equal (n, strlen (a));
  f.format = CC_SYSLOG_RFC5424MICRO;
  f.stream = true;
  b = cc_syslog_encode (&f, true, "x\r\n<0>1 forged\0y\n", 17, &ts, &n);
  assert_int_equal (n, 70);
  assert_memory_equal (b, "<131>1 2023-11-14T22:13:20.123456Z host web 42 web - x  <0>1 forged y\n", 70);
  f.format = CC_SYSLOG_RFC3164;
  f.stream = false;
  c = cc_syslog_encode (&f, false, "m", 1, &ts, &n);
  assert_non_null (strstr (c, " 2023") == NULL ? c : NULL);
  assert_int_equal (strncmp (c, "<134>Nov 1", 10), 0);
  assert_non_null (strstr (c, " host web[42]: m"));
  f.local = true;
  d = cc_syslog_encode (&f, false, "m", 1, &ts, &n);
  assert_non_null (strstr (d, ":20 web[42]: m"));
  memset (line, 'a', 1 << 20);
  big = cc_syslog_encode (&f, false, line, 1 << 20, &ts, &n);
  assert_true (n > 1 << 20);
  assert_null (memchr (big, '\n', n));
  e = cc_syslog_encode (&f, false, "", 0, &ts, &n);
  assert_non_null (strstr (e, "web[42]: "));
}

/* compress: rotated files are <file>.N.gz, and read back whole.  */
static void
test_jsonlog_compress (void **state)
{
  char dir[] = "/tmp/ccompose-unit-jsonlog-XXXXXX";
  struct cc_jsonlog l = { .fd = -1 };
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *path = NULL, *p1 = NULL, *gz1 = NULL, *gz2 = NULL, *gz3 = NULL, *text = NULL;
  cleanup_close int fd = -1;
  struct stat st;

  (void)state;
  assert_non_null (mkdtemp (dir));
  path = xasprintf ("%s/c-json.log", dir);
  p1 = xasprintf ("%s.1", path);
  gz1 = xasprintf ("%s.1.gz", path);
  gz2 = xasprintf ("%s.2.gz", path);
  gz3 = xasprintf ("%s.3.gz", path);
  assert_int_equal (cc_jsonlog_open (&l, path, &(struct cc_jsonlog_opts){ 300, 3, true, NULL }, &err), 0);
  for (int i = 0; i < 40; i++)
    assert_int_equal (cc_jsonlog_write (&l, "stdout", "0123456789\n", 11, &err), 0);
  cc_jsonlog_close (&l);
  assert_int_equal (stat (p1, &st), -1);
  assert_int_equal (stat (gz2, &st), 0);
  assert_int_equal (stat (gz3, &st), -1);
  assert_int_equal (stat (gz1, &st), 0);
  fd = cc_gunzip_file (gz1, &err);
  assert_true (fd >= 0);
  assert_int_equal (cc_read_fd_max (fd, "gz", 1 << 20, &text, NULL, &err), 0);
  assert_non_null (strstr (text, "{\"log\":\"0123456789\\n\",\"stream\":\"stdout\""));
  assert_int_equal (cc_rm_rf (dir, &err), 0);
}

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# comment\n"
                             "app:x:1000:1001:App:/home/app:/bin/sh\n"
                             "short:x:5\n"
                             "nohome:x:7:7:::/bin/sh\n";
static const char group[] = "root:x:0:\nappgrp:x:1001:\nextra:x:2000:other,app\nwheel:x:10:app\nbroken:x\n";

static void
test_jsonlog_rotation (void **state)
{
  char dir[] = "/tmp/ccompose-unit-jsonlog-XXXXXX";
  struct cc_jsonlog l = { .fd = -1 };
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *path = NULL, *p1 = NULL, *p2 = NULL, *p3 = NULL;
  struct stat st;

  (void)state;
  assert_non_null (mkdtemp (dir));
  path = xasprintf ("%s/c-json.log", dir);
  p1 = xasprintf ("%s.1", path);
  p2 = xasprintf ("%s.2", path);
  p3 = xasprintf ("%s.3", path);
  assert_int_equal (cc_jsonlog_open (&l, path, &(struct cc_jsonlog_opts){ 300, 3, false, NULL }, &err), 0);
  for (int i = 0; i < 40; i++)
    assert_int_equal (cc_jsonlog_write (&l, "stdout", "0123456789\n", 11, &err), 0);
  cc_jsonlog_close (&l);
  assert_int_equal (stat (path, &st), 0);
  assert_true (st.st_size <= 300);
  assert_int_equal (stat (p1, &st), 0);
  assert_true (st.st_size <= 300 && st.st_size > 0);
  assert_int_equal (stat (p2, &st), 0);
  assert_int_equal (stat (p3, &st), -1);
  /* max_file 1: the file starts over instead of rotating.  */
  assert_int_equal (cc_jsonlog_open (&l, path, &(struct cc_jsonlog_opts){ 300, 1, false, NULL }, &err), 0);
  for (int i = 0; i < 10; i++)
    assert_int_equal (cc_jsonlog_write (&l, "stderr", "x\n", 2, &err), 0);
  cc_jsonlog_close (&l);
  assert_int_equal (stat (path, &st), 0);
  assert_true (st.st_size <= 300);
  assert_int_equal (cc_rm_rf (dir, &err), 0);
}

static void
test_user_resolution (void **state)
{
  cleanup_error cc_error_t err = NULL;
  struct cc_user u;

  (void)state;
  assert_int_equal (cc_user_resolve_text ("app", NULL, passwd, group, &u, &err), 0);
  assert_int_equal (u.uid, 1000);
  assert_int_equal (u.gid, 1001);
  assert_string_equal (u.home, "/home/app");
  assert_int_equal (u.n_groups, 3);
  cc_user_release (&u);
  assert_int_equal (cc_user_resolve_text ("1000:extra", NULL, passwd, group, &u, &err), 0);
  assert_int_equal (u.gid, 2000);
  /* A group given: no supplementary groups from the group file.  */
  assert_int_equal (u.n_groups, 1);
  assert_int_equal (u.groups[0], 2000);
  cc_user_release (&u);
  assert_int_equal (cc_user_resolve_text ("4242:99", NULL, passwd, group, &u, &err), 0);
  assert_int_equal (u.uid, 4242);
  assert_int_equal (u.gid, 99);
  assert_string_equal (u.home, "/");
  cc_user_release (&u);
  assert_int_equal (cc_user_resolve_text (NULL, NULL, passwd, group, &u, &err), 0);
  assert_int_equal (u.uid, 0);
  assert_string_equal (u.home, "/root");
  cc_user_release (&u);
  assert_int_equal (cc_user_resolve_text ("nohome", NULL, passwd, group, &u, &err), 0);
  assert_string_equal (u.home, "/");
  cc_user_release (&u);
  assert_int_equal (cc_user_resolve_text ("ghost", NULL, passwd, group, &u, &err), -1);
  assert_non_null (strstr (err->msg, "ghost"));
  cc_error_release (&err);
  assert_int_equal (cc_user_resolve_text ("app:nogroup", NULL, passwd, group, &u, &err), -1);
  cc_error_release (&err);
  assert_int_equal (cc_user_resolve_text ("short", NULL, passwd, group, &u, &err), -1);
  cc_error_release (&err);
  assert_int_equal (cc_user_resolve_text ("app:", NULL, passwd, group, &u, &err), -1);
  cc_error_release (&err);
  assert_int_equal (cc_user_resolve_text ("99999999999", NULL, passwd, group, &u, &err), -1);
  cc_error_release (&err);
  assert_int_equal (cc_user_resolve_text ("0", NULL, NULL, NULL, &u, &err), 0);
  cc_user_release (&u);
}

/* group_add: names through the group file, numbers as they are, added
   to a `user: uid:gid` that has no supplementary groups of its own.  */
static void
test_user_group_add (void **state)
{
  cleanup_error cc_error_t err = NULL;
  char *extra[] = { (char *)"wheel", (char *)"4321", (char *)"2000", NULL };
  char *unknown[] = { (char *)"audio", NULL };
  struct cc_user u;

  (void)state;
  assert_int_equal (cc_user_resolve_text ("1000:1001", extra, passwd, group, &u, &err), 0);
  assert_int_equal (u.n_groups, 4);
  assert_int_equal (u.groups[0], 1001);
  assert_int_equal (u.groups[1], 10);
  assert_int_equal (u.groups[2], 4321);
  assert_int_equal (u.groups[3], 2000);
  cc_user_release (&u);
  assert_int_equal (cc_user_resolve_text ("app", unknown, passwd, group, &u, &err), -1);
  assert_non_null (strstr (err->msg, "`audio`"));
}

/* devices entries: the form the runtime takes (runtime/dev.c), and the
   host side: a device node under /dev, never a file or a path out.  */
static void
test_device_entries (void **state)
{
  static const char *const bad[] = {
    "/dev/null:/dev/x",           "dev/null:/dev/x:r",   "/dev/null:/x:r",     "/dev/null:/dev/:r",
    "/dev/null:/dev/a/../../x:r", "/dev/null:/dev/x:rr", "/dev/null:/dev/x:q", "/dev/null:/dev/x:r:w",
  };
  static const char *const bad_rules[] = {
    "",          "c",      "x 1:3 r", "c  1:3 r", "c 1:3",   "c 1:3 ",
    "c 1:3 rwx", "c :3 r", "c 1: r",  "c 1:3 rr", "c 1-3 r", "c **:3 r",
  };
  cleanup_error cc_error_t err = NULL;
  struct cc_dev_node d;

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      assert_int_equal (cc_dev_parse (bad[i], NULL, &err), -1);
      cc_error_release (&err);
    }
  assert_int_equal (cc_dev_resolve ("/dev/null:/dev/sub/n:rw", &d, &err), 0);
  assert_int_equal (d.type, 'c');
  assert_int_equal (d.major, 1);
  assert_int_equal (d.minor, 3);
  assert_string_equal (d.path, "/dev/sub/n");
  assert_string_equal (d.perms, "rw");
  assert_int_equal (cc_dev_resolve ("/etc/passwd:/dev/x:r", &d, &err), -1);
  assert_non_null (strstr (err->msg, "not under /dev"));
  cc_error_release (&err);
  assert_int_equal (cc_dev_resolve ("/dev/shm:/dev/x:r", &d, &err), -1);
  assert_non_null (strstr (err->msg, "not a character or block device"));
  cc_error_release (&err);
  assert_int_equal (cc_dev_check_rule ("c 1:3 rwm", &err), 0);
  assert_int_equal (cc_dev_check_rule ("a *:* r", &err), 0);
  assert_int_equal (cc_dev_check_rule ("b 8:* mw", &err), 0);
  for (size_t i = 0; i < CC_N_ELEMENTS (bad_rules); i++)
    {
      assert_int_equal (cc_dev_check_rule (bad_rules[i], &err), -1);
      cc_error_release (&err);
    }
}

static void
test_mount_options (void **state)
{
  char *ok[] = { (char *)"ro", (char *)"nosuid", (char *)"size=1m", (char *)"mode=1777", (char *)"rslave", NULL };
  char *bad[] = { (char *)"size=1m,uid=0", NULL };
  char *unknown[] = { (char *)"remount", NULL };
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *data = NULL;
  unsigned long flags, prop;
  bool create;

  (void)state;
  assert_int_equal (cc_mount_parse_options (ok, &flags, &prop, &data, &create, &err), 0);
  assert_int_equal (flags, MS_RDONLY | MS_NOSUID);
  assert_int_equal (prop, MS_SLAVE | MS_REC);
  assert_string_equal (data, "size=1m,mode=1777");
  assert_false (create);
  assert_int_equal (cc_mount_parse_options (bad, &flags, &prop, &data, &create, &err), -1);
  cc_error_release (&err);
  assert_int_equal (cc_mount_parse_options (unknown, &flags, &prop, &data, &create, &err), -1);
  assert_non_null (strstr (err->msg, "remount"));
}

static void
test_sysctl_policy (void **state)
{
  static const char *const allowed[]
      = { "net.ipv4.ip_forward", "kernel.shmmax", "fs.mqueue.msg_max", "net.core.somaxconn" };
  static const char *const refused[]
      = { "kernel.panic", "vm.swappiness", "net/../../kernel/panic", "net..x", "", ".net", "kernel.hostname" };
  struct cc_runtime_spec s = { 0 };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (allowed); i++)
    assert_int_equal (cc_sysctl_check (allowed[i], &s, NULL), 0);
  for (size_t i = 0; i < CC_N_ELEMENTS (refused); i++)
    assert_int_equal (cc_sysctl_check (refused[i], &s, NULL), -1);
  s.netns = (char *)"host";
  assert_int_equal (cc_sysctl_check ("net.ipv4.ip_forward", &s, NULL), -1);
  assert_int_equal (cc_sysctl_check ("kernel.shmmax", &s, NULL), 0);
}

static void
test_health_transitions (void **state)
{
  struct cc_runtime_health h = { .retries = 2, .interval_ms = 1000, .start_interval_ms = 50 };
  cleanup_cjson cJSON *health = cJSON_CreateObject ();
  char big[6000];

  (void)state;
  cc_health_record (health, &h, 1, "starting up", "s", "e", true);
  assert_string_equal (cc_json_get_string (health, "Status"), "starting");
  assert_int_equal (cc_json_get_int (health, "FailingStreak", -1), 0);
  cc_health_record (health, &h, 0, "ok", "s", "e", false);
  assert_string_equal (cc_json_get_string (health, "Status"), "healthy");
  cc_health_record (health, &h, 1, "bad", "s", "e", false);
  assert_string_equal (cc_json_get_string (health, "Status"), "healthy");
  cc_health_record (health, &h, -1, "timeout", "s", "e", false);
  assert_string_equal (cc_json_get_string (health, "Status"), "unhealthy");
  assert_int_equal (cc_json_get_int (health, "FailingStreak", -1), 2);
  memset (big, 'x', sizeof (big) - 1);
  big[sizeof (big) - 1] = '\0';
  for (int i = 0; i < 4; i++)
    cc_health_record (health, &h, 0, big, "s", "e", false);
  assert_int_equal (cJSON_GetArraySize (cJSON_GetObjectItem (health, "Log")), 5);
  assert_int_equal (strlen (cc_json_get_string (cJSON_GetArrayItem (cJSON_GetObjectItem (health, "Log"), 4), "Output")),
                    4096);
  assert_string_equal (cc_json_get_string (health, "Status"), "healthy");
  /* The start period ramps up to start_interval; outside it, interval.  */
  assert_int_equal (cc_health_next_ms (&h, true, 0), 4);
  assert_int_equal (cc_health_next_ms (&h, true, 1), 4);
  assert_int_equal (cc_health_next_ms (&h, true, 2), 8);
  assert_int_equal (cc_health_next_ms (&h, true, 5), 16);
  assert_int_equal (cc_health_next_ms (&h, true, 7), 32);
  assert_int_equal (cc_health_next_ms (&h, true, 8), 50);
  assert_int_equal (cc_health_next_ms (&h, true, 31), 50);
  assert_int_equal (cc_health_next_ms (&h, true, 1000), 50);
  assert_int_equal (cc_health_next_ms (&h, true, -1), 50);
  assert_int_equal (cc_health_next_ms (&h, false, 0), 1000);
  h.start_interval_ms = 0;
  assert_int_equal (cc_health_next_ms (&h, true, 0), 1000);
}

static void
test_signal_names (void **state)
{
  int sig;

  (void)state;
  assert_int_equal (cc_runtime_parse_signal ("SIGTERM", &sig, NULL), 0);
  assert_int_equal (sig, SIGTERM);
  assert_int_equal (cc_runtime_parse_signal ("hup", &sig, NULL), 0);
  assert_int_equal (sig, SIGHUP);
  assert_int_equal (cc_runtime_parse_signal ("9", &sig, NULL), 0);
  assert_int_equal (sig, 9);
  assert_int_equal (cc_runtime_parse_signal ("SIGRTMIN+3", &sig, NULL), 0);
  assert_int_equal (sig, SIGRTMIN + 3);
  assert_int_equal (cc_runtime_parse_signal ("RTMAX-1", &sig, NULL), 0);
  assert_int_equal (sig, SIGRTMAX - 1);
  assert_int_equal (cc_runtime_parse_signal ("RTMIN-1", &sig, NULL), -1);
  assert_int_equal (cc_runtime_parse_signal ("RTMIN+999", &sig, NULL), -1);
  assert_int_equal (cc_runtime_parse_signal ("RTMIN+99999999999999999999", &sig, NULL), -1);
  assert_int_equal (cc_runtime_parse_signal ("RTMAX-9223372036854775807", &sig, NULL), -1);
  assert_int_equal (cc_runtime_parse_signal ("RTMIN+", &sig, NULL), -1);
  assert_int_equal (cc_runtime_parse_signal ("0", &sig, NULL), -1);
  assert_int_equal (cc_runtime_parse_signal ("999", &sig, NULL), -1);
  assert_int_equal (cc_runtime_parse_signal ("SIG", &sig, NULL), -1);
  assert_int_equal (cc_runtime_parse_signal ("", &sig, NULL), -1);
}

static void
test_spec_new_has_defaults_and_round_trips (void **state)
{
  cleanup_runtime_spec struct cc_runtime_spec *s = cc_runtime_spec_new (), *back = NULL;
  cleanup_error cc_error_t err = NULL;
  cleanup_cjson cJSON *j = NULL;

  (void)state;
  assert_true (s->seccomp);
  assert_int_equal (s->stop_signal, SIGTERM);
  assert_int_equal (s->shm_size, 64 * 1024 * 1024);
  s->rootfs = strdup ("/r");
  cc_strv_append (&s->args, "/bin/true");
  s->stop_signal = SIGRTMIN + 3;
  j = cc_runtime_spec_to_json (s);
  assert_int_equal (cc_runtime_spec_from_json (j, &back, &err), 0);
  assert_int_equal (back->stop_signal, SIGRTMIN + 3);
  assert_int_equal (back->health.retries, 3);
}

static void
test_container_ids (void **state)
{
  (void)state;
  assert_int_equal (cc_runtime_check_id ("proj-web-1", NULL), 0);
  assert_int_equal (cc_runtime_check_id ("../x", NULL), -1);
  assert_int_equal (cc_runtime_check_id ("a/b", NULL), -1);
  assert_int_equal (cc_runtime_check_id (".hidden", NULL), -1);
  assert_int_equal (cc_runtime_check_id ("", NULL), -1);
  assert_int_equal (cc_runtime_check_id ("-rf", NULL), -1);
}

/* One call under the default filter: the errno it must fail with, or 0
   when it must get through (any answer but a refusal by the filter).  */
struct filtered_call
{
  long nr;
  unsigned long a0, a1, a2;
  int refused_with;
};

static const struct filtered_call default_calls[] = {
  { SYS_personality, 0xffffffffUL, 0, 0, 0 },      /* the query */
  { SYS_personality, 0, 0, 0, 0 },                 /* PER_LINUX */
  { SYS_personality, 0x20000, 0, 0, 0 },           /* UNAME26 */
  { SYS_personality, 0x0040000, 0, 0, EPERM },     /* ADDR_NO_RANDOMIZE */
  { SYS_personality, 0x0400000, 0, 0, EPERM },     /* READ_IMPLIES_EXEC */
  { SYS_personality, 0x100000000UL, 0, 0, EPERM }, /* junk above the int */
  { SYS_socket, 1 /* AF_UNIX */, 1, 0, 0 },
  { SYS_socket, 2 /* AF_INET */, 2, 0, 0 },
  { SYS_socket, 16 /* AF_NETLINK */, 3, 0, 0 },
  { SYS_socket, 39, 1, 0, 0 }, /* between the two */
  { SYS_socket, 38 /* AF_ALG */, 5, 0, EPERM },
  { SYS_socket, 40 /* AF_VSOCK */, 1, 0, EPERM },
  { SYS_socket, (1UL << 32) | 40, 1, 0, EPERM }, /* the kernel reads 40 */
  { SYS_set_mempolicy, 0, 0, 0, EPERM },
  { SYS_move_pages, 0, 0, 0, EPERM },
  { SYS_getpid, 0, 0, 0, 0 },
};

/* With CAP_SYS_NICE: the memory policy calls, not moving pages.  */
static const struct filtered_call nice_calls[] = {
  { SYS_set_mempolicy, 0, 0, 0, 0 },
  { SYS_move_pages, 0, 0, 0, EPERM },
  { SYS_personality, 0x0040000, 0, 0, EPERM },
};

/* Exit status: 0, or 1 + the index of the first call that went wrong.  */
static int
run_filtered (uint64_t caps, const struct filtered_call *calls, size_t n)
{
  cleanup_runtime_spec struct cc_runtime_spec *s = cc_runtime_spec_new ();
  pid_t pid = fork ();
  int status;

  assert_true (pid >= 0);
  if (pid == 0)
    {
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || cc_seccomp_apply (s, caps, NULL) < 0)
        _exit (255);
      for (size_t i = 0; i < n; i++)
        {
          long r = syscall (calls[i].nr, calls[i].a0, calls[i].a1, calls[i].a2, 0UL, 0UL, 0UL);
          bool refused = r < 0 && errno == EPERM;
          if (refused != (calls[i].refused_with == EPERM))
            _exit ((int)i + 1);
          if (r >= 0 && calls[i].nr == SYS_socket)
            close ((int)r);
        }
      /* _exit: no sanitizer exit hooks under the filter.  */
      _exit (0);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_seccomp_argument_rules_are_dockers (void **state)
{
  uint64_t caps;
  cleanup_runtime_spec struct cc_runtime_spec *s = cc_runtime_spec_new ();

  (void)state;
  assert_int_equal (cc_caps_compute (s, &caps, NULL), 0);
  assert_int_equal (run_filtered (caps, default_calls, CC_N_ELEMENTS (default_calls)), 0);
  assert_int_equal (run_filtered (caps | ((uint64_t)1 << CAP_SYS_NICE), nice_calls, CC_N_ELEMENTS (nice_calls)), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_spec_full_round_trip),
    cmocka_unit_test (test_spec_malformed),
    cmocka_unit_test (test_healthcheck_none_disables),
    cmocka_unit_test (test_default_caps_are_dockers_14),
    cmocka_unit_test (test_restart_policy_and_backoff),
    cmocka_unit_test (test_jsonlog_encoding),
    cmocka_unit_test (test_user_resolution),
    cmocka_unit_test (test_user_group_add),
    cmocka_unit_test (test_device_entries),
    cmocka_unit_test (test_mount_options),
    cmocka_unit_test (test_sysctl_policy),
    cmocka_unit_test (test_health_transitions),
    cmocka_unit_test (test_signal_names),
    cmocka_unit_test (test_container_ids),
    cmocka_unit_test (test_spec_new_has_defaults_and_round_trips),
    cmocka_unit_test (test_jsonlog_rotation),
    cmocka_unit_test (test_jsonlog_attrs),
    cmocka_unit_test (test_jsonlog_compress),
    cmocka_unit_test (test_syslog_encoding),
    cmocka_unit_test (test_seccomp_argument_rules_are_dockers),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
