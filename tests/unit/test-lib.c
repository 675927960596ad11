/* Unit tests for lib/: pure helpers, no kernel state.  */
/* cmocka needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/device.h"
#include "lib/error.h"
#include "lib/file.h"
#include "lib/finding.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/proc.h"
#include "lib/strmap.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static int
fail_open (const char *path, cc_error_t *err)
{
  return cc_error_make (err, ENOENT, "open `%s`", path);
}

static void
test_error_chain (void **state)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *s = NULL;

  (void)state;
  assert_int_equal (fail_open ("/x", &err), -1);
  assert_int_equal (cc_error_wrap (&err, "service `%s`", "web"), -1);
  s = cc_error_string (err);
  assert_string_equal (s, "service `web`: open `/x`: No such file or directory");
  assert_int_equal (err->status, ENOENT);
}

static void
test_error_append_keeps_all (void **state)
{
  cleanup_error cc_error_t list = NULL;
  cc_error_t one = NULL, two = NULL;

  (void)state;
  cc_error_make (&one, 0, "remove veth `cc1`");
  cc_error_make (&two, EBUSY, "remove bridge `cc2`");
  cc_error_append (&list, &one);
  cc_error_append (&list, &two);
  assert_null (one);
  assert_null (two);
  assert_non_null (strstr (list->msg, "veth `cc1`"));
  assert_non_null (strstr (list->msg, "bridge `cc2`: Device or resource busy"));
}

static void
test_error_null_sink (void **state)
{
  (void)state;
  /* Callers that do not want the detail pass NULL: nothing leaks.  */
  assert_int_equal (cc_error_make (NULL, EIO, "ignored %d", 1), -1);
}

static void
test_buf_grows (void **state)
{
  cleanup_buf struct cc_buf b = { 0 };

  (void)state;
  for (int i = 0; i < 1000; i++)
    cc_buf_printf (&b, "%d,", i);
  assert_int_equal (b.len, strlen (b.data));
  assert_true (strncmp (b.data, "0,1,2,", 6) == 0);
  assert_non_null (strstr (b.data, "999,"));
}

static void
test_strv_split_join (void **state)
{
  cleanup_strv char **v = cc_strv_split ("a::b:c", ':', true);
  cleanup_strv char **w = cc_strv_split ("a::b", ':', false);
  cleanup_free char *j = NULL;

  (void)state;
  assert_int_equal (cc_strv_len (v), 3);
  assert_int_equal (cc_strv_len (w), 3);
  assert_string_equal (w[1], "");
  assert_true (cc_strv_contains (v, "c"));
  assert_false (cc_strv_contains (v, ""));
  j = cc_strv_join (v, ",");
  assert_string_equal (j, "a,b,c");
}

static void
test_path_clean (void **state)
{
  static const struct
  {
    const char *in, *out;
  } cases[] = {
    { "/a/b/../c", "/a/c" }, { "/../..", "/" },   { "a/./b//c/", "a/b/c" },
    { "../x", "../x" },      { "a/../..", ".." }, { "", "." },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_free char *got = cc_path_clean (cases[i].in);
      assert_string_equal (got, cases[i].out);
    }
}

/* Docker's default hostname is a short container id: 12 hex digits,
   one per container, the same for the same container.  */
static void
test_container_hostname (void **state)
{
  cleanup_free char *a = cc_paths_container_hostname ("p-web-1");
  cleanup_free char *again = cc_paths_container_hostname ("p-web-1");
  cleanup_free char *b = cc_paths_container_hostname ("p-web-2");

  (void)state;
  assert_int_equal (strlen (a), 12);
  assert_int_equal (strspn (a, "0123456789abcdef"), 12);
  assert_string_equal (a, again);
  assert_string_not_equal (a, b);
}

static void
test_path_parts (void **state)
{
  cleanup_free char *d = cc_path_dirname ("/srv/app/compose.yaml");
  cleanup_free char *b = cc_path_basename ("/srv/app/compose.yaml");
  cleanup_free char *j = cc_path_join ("/srv/", "x");
  cleanup_free char *abs = cc_path_join ("/srv", "/etc");

  (void)state;
  assert_string_equal (d, "/srv/app");
  assert_string_equal (b, "compose.yaml");
  assert_string_equal (j, "/srv/x");
  assert_string_equal (abs, "/etc");
}

static void
test_file_atomic_roundtrip (void **state)
{
  char dir[] = "/tmp/cc-unit-XXXXXX";
  cleanup_free char *path = NULL;
  cleanup_free char *back = NULL;
  cleanup_error cc_error_t err = NULL;
  size_t len = 0;

  (void)state;
  assert_non_null (mkdtemp (dir));
  path = cc_path_join (dir, "a/b/state.json");
  {
    cleanup_free char *parent = cc_path_dirname (path);
    assert_int_equal (cc_mkdir_p (parent, 0755, &err), 0);
  }
  assert_int_equal (cc_write_file_atomic (path, "{\"x\":1}", 7, 0600, &err), 0);
  assert_int_equal (cc_read_file (path, &back, &len, &err), 0);
  assert_int_equal (len, 7);
  assert_string_equal (back, "{\"x\":1}");
  assert_int_equal (cc_rm_rf (dir, &err), 0);
  assert_false (cc_file_exists (dir));
  /* Already gone is success: teardown is idempotent.  */
  assert_int_equal (cc_rm_rf (dir, &err), 0);
}

/* run --entrypoint: split as Compose's shellwords does (issue 15).  */
static void
test_strv_shell_split (void **state)
{
  static const struct
  {
    const char *in;
    const char *out[5]; /* NULL-terminated; out[0] == "!" for an error */
  } cases[] = {
    { "echo EP", { "echo", "EP", NULL } },
    { "  sh  -c 'echo \"a b\"; x'\t", { "sh", "-c", "echo \"a b\"; x", NULL } },
    { "a\\ b \"c\\\"d\" ''", { "a b", "c\"d", "", NULL } },
    { "x'y'\"z\"", { "xyz", NULL } },
    { "", { NULL } },
    { "'unclosed", { "!" } },
    { "\"unclosed", { "!" } },
    { "trailing\\", { "!" } },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_strv char **v = cc_strv_shell_split (cases[i].in);
      size_t n = 0;
      if (cases[i].out[0] && strcmp (cases[i].out[0], "!") == 0)
        {
          assert_null (v);
          continue;
        }
      assert_non_null (v);
      for (; cases[i].out[n]; n++)
        assert_string_equal (v[n], cases[i].out[n]);
      assert_null (v[n]);
    }
}

static void
test_strv_builder (void **state)
{
  struct cc_strv_builder b = { 0 };
  cleanup_strv_builder struct cc_strv_builder dropped = { 0 };
  cleanup_strv char **empty = NULL, **v = NULL;

  (void)state;
  empty = cc_strv_builder_steal (&b);
  assert_non_null (empty);
  assert_null (empty[0]);
  for (int i = 0; i < 1000; i++)
    cc_strv_builder_push (&b, xasprintf ("s%d", i));
  cc_strv_builder_append (&b, "last");
  v = cc_strv_builder_steal (&b);
  assert_null (b.v);
  assert_int_equal (cc_strv_len (v), 1001);
  assert_string_equal (v[999], "s999");
  assert_string_equal (v[1000], "last");
  /* Released with what it holds.  */
  cc_strv_builder_append (&dropped, "x");
}

static void
test_strmap (void **state)
{
  cleanup_strmap struct cc_strmap m = { 0 };
  cleanup_strv char **keys = xzalloc (sizeof (char *));
  static int one = 1, two = 2;

  (void)state;
  assert_null (cc_strmap_get (&m, "a"));
  for (int i = 0; i < 5000; i++)
    cc_strv_push (&keys, xasprintf ("k%d", i));
  for (int i = 0; i < 5000; i++)
    cc_strmap_put (&m, keys[i], i % 2 ? &one : &two);
  assert_int_equal (m.len, 5000);
  assert_ptr_equal (cc_strmap_get (&m, "k4999"), &one);
  assert_ptr_equal (cc_strmap_get (&m, "k0"), &two);
  assert_null (cc_strmap_get (&m, "k5000"));
  cc_strmap_put (&m, "k0", &one);
  assert_int_equal (m.len, 5000);
  assert_ptr_equal (cc_strmap_get (&m, "k0"), &one);
}

static void
test_read_missing_file (void **state)
{
  cleanup_error cc_error_t err = NULL;
  char *out = NULL;

  (void)state;
  assert_int_equal (cc_read_file ("/nonexistent/ccompose", &out, NULL, &err), -1);
  assert_null (out);
  assert_int_equal (err->status, ENOENT);
  assert_non_null (strstr (err->msg, "/nonexistent/ccompose"));
}

static void
test_json_helpers (void **state)
{
  cleanup_cjson cJSON *j = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_json_parse ("{\"a\":\"x\",\"n\":5,\"b\":true}", "test", &j, &err), 0);
  assert_string_equal (cc_json_get_string (j, "a"), "x");
  assert_null (cc_json_get_string (j, "n"));
  assert_int_equal (cc_json_get_int (j, "n", -1), 5);
  assert_int_equal (cc_json_get_int (j, "missing", -1), -1);
  assert_true (cc_json_get_bool (j, "b", false));
  cc_json_set_int (j, "n", 7);
  assert_int_equal (cc_json_get_int (j, "n", -1), 7);
}

static void
test_json_rejects_garbage (void **state)
{
  cJSON *j = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_json_parse ("{\"a\":", "state.json", &j, &err), -1);
  assert_null (j);
  assert_non_null (strstr (err->msg, "state.json"));
  cc_error_release (&err);
  assert_int_equal (cc_json_parse ("{} trailing", "state.json", &j, &err), -1);
}

static void
test_proc_self (void **state)
{
  uint64_t start = 0;

  (void)state;
  assert_int_equal (cc_proc_start_time (getpid (), &start, NULL), 0);
  assert_true (start > 0);
  assert_true (cc_proc_is_alive (getpid (), start));
  /* A recycled pid carries another start time.  */
  assert_false (cc_proc_is_alive (getpid (), start + 1));
}

static void
test_proc_parse_start_time (void **state)
{
  /* A comm with spaces and ')' must not shift the fields; 22nd is 4242,
     23rd (vsize) 999.  */
  const char *line = "77 (a) b (c)) S 1 77 77 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 4242 999 100 "
                     "18446744073709551615\n";
  uint64_t start = 0;

  (void)state;
  assert_int_equal (cc_proc_parse_start_time (line, &start), 0);
  assert_int_equal (start, 4242);
  assert_int_equal (cc_proc_parse_start_time ("77 no paren", &start), -1);
  assert_int_equal (cc_proc_parse_start_time ("77 (x) S 1 2", &start), -1);
}

/* JSON numbers and strtod results outside the int64 range (or NaN) must
   be refused, not cast: the cast is undefined behaviour.  */
static void
test_double_to_int64_range (void **state)
{
  int64_t v = 7;

  (void)state;
  assert_true (cc_double_to_int64 (0, &v) && v == 0);
  assert_true (cc_double_to_int64 (-9223372036854775808.0, &v) && v == INT64_MIN);
  assert_true (cc_double_to_int64 (9.2e18, &v) && v == 9200000000000000000LL);
  v = 7;
  assert_false (cc_double_to_int64 (9223372036854775808.0, &v));
  assert_false (cc_double_to_int64 (1e300, &v));
  assert_false (cc_double_to_int64 (-1e300, &v));
  assert_false (cc_double_to_int64 (strtod ("nan", NULL), &v));
  assert_false (cc_double_to_int64 (strtod ("inf", NULL), &v));
  assert_int_equal (v, 7);
  assert_true (cc_double_clamp_int64 (1e300) == INT64_MAX);
  assert_true (cc_double_clamp_int64 (-1e300) == INT64_MIN);
  assert_true (cc_double_clamp_int64 (strtod ("nan", NULL)) == 0);
  assert_true (cc_double_clamp_int64 (-1.5) == -1);
}

/* User-supplied files: devices are refused without reading, a regular
   file or a pipe is read up to the cap and no further.  */
static void
test_read_file_max (void **state)
{
  char dir[] = "/tmp/cc-test-readmax-XXXXXX";
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  cleanup_error cc_error_t err = NULL;
  size_t len = 0;
  int fds[2];

  (void)state;
  assert_non_null (mkdtemp (dir));
  path = cc_path_join (dir, "f");
  assert_int_equal (cc_write_file_atomic (path, "hello", 5, 0600, &err), 0);
  assert_int_equal (cc_read_file_max (path, 5, &text, &len, &err), 0);
  assert_string_equal (text, "hello");
  assert_int_equal (len, 5);
  assert_int_equal (cc_read_file_max (path, 4, &text, &len, &err), -1);
  assert_int_equal (err->status, EFBIG);
  cc_error_release (&err);
  assert_int_equal (cc_read_file_max ("/dev/zero", 1 << 20, &text, &len, &err), -1);
  assert_int_equal (err->status, EINVAL);
  cc_error_release (&err);
  assert_int_equal (cc_read_file_max (dir, 1 << 20, &text, &len, &err), -1);
  cc_error_release (&err);
  free (steal_pointer (&text));
  assert_int_equal (pipe (fds), 0);
  assert_int_equal (write (fds[1], "abcdef", 6), 6);
  close (fds[1]);
  assert_int_equal (cc_read_fd_max (fds[0], "<pipe>", 3, &text, &len, &err), -1);
  assert_int_equal (err->status, EFBIG);
  close (fds[0]);
  unlink (path);
  rmdir (dir);
}

/* The line `system check` prints after the kind, in every shape.  */
static void
test_finding_describe (void **state)
{
  cleanup_findings struct cc_findings f = { 0 }, more = { 0 };
  const char *want[] = { "/run/x (no state.json)", "/run/y", "interface cc1 (ccompose a) in network namespace n" };

  (void)state;
  cc_findings_add (&f, "project-state", true, xstrdup ("/run/x"), xstrdup ("no state.json"));
  cc_findings_add (&more, "mount", true, xstrdup ("/run/y"), NULL);
  cc_findings_add (&more, "network", false, xstrdup ("interface cc1"), xstrdup ("ccompose a"));
  more.v[1].where = xstrdup ("network namespace n");
  cc_findings_move (&f, &more);
  assert_int_equal (more.n, 0);
  assert_int_equal (f.n, 3);
  for (size_t i = 0; i < f.n; i++)
    {
      cleanup_free char *s = cc_finding_describe (&f.v[i]);
      assert_string_equal (s, want[i]);
    }
  assert_false (f.v[2].fixable);
}

/* One set of rules for compose/service.c and runtime/dev.c: what one
   accepts the other must.  */
static void
test_device_rules (void **state)
{
  static const char *const good_modes[] = { "r", "w", "m", "rw", "mwr", "rm" };
  static const char *const bad_modes[] = { "", "x", "rr", "rwmr", "rwx", "R" };
  static const char *const good_rules[] = { "c 1:3 rwm", "a *:* r", "b 8:* mw", "c 10:200 w" };
  static const char *const bad_rules[]
      = { "",       "c",      "x 1:3 r",  "c  1:3 r", "c 1:3",    "c 1:3 ", "c 1:3 rwx",
          "c :3 r", "c 1: r", "c 1:3 rr", "c 1-3 r",  "c **:3 r", "c1:3 r" };
  static const char *const good_targets[] = { "/dev/x", "/dev/snd/timer", "/dev/a..b", "/dev/..x" };
  static const char *const bad_targets[]
      = { "", "/dev/", "/dev", "/x", "dev/x", "/dev/..", "/dev/../etc/x", "/dev/a/../../x", "/dev/a/.." };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (good_modes); i++)
    assert_true (cc_device_mode_ok (good_modes[i]));
  for (size_t i = 0; i < CC_N_ELEMENTS (bad_modes); i++)
    assert_false (cc_device_mode_ok (bad_modes[i]));
  assert_false (cc_device_mode_ok (NULL));
  for (size_t i = 0; i < CC_N_ELEMENTS (good_rules); i++)
    assert_true (cc_device_rule_ok (good_rules[i]));
  for (size_t i = 0; i < CC_N_ELEMENTS (bad_rules); i++)
    assert_false (cc_device_rule_ok (bad_rules[i]));
  for (size_t i = 0; i < CC_N_ELEMENTS (good_targets); i++)
    assert_true (cc_device_target_ok (good_targets[i]));
  for (size_t i = 0; i < CC_N_ELEMENTS (bad_targets); i++)
    assert_false (cc_device_target_ok (bad_targets[i]));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_strv_shell_split),
    cmocka_unit_test (test_error_chain),
    cmocka_unit_test (test_error_append_keeps_all),
    cmocka_unit_test (test_error_null_sink),
    cmocka_unit_test (test_buf_grows),
    cmocka_unit_test (test_strv_split_join),
    cmocka_unit_test (test_path_clean),
    cmocka_unit_test (test_path_parts),
    cmocka_unit_test (test_container_hostname),
    cmocka_unit_test (test_file_atomic_roundtrip),
    cmocka_unit_test (test_read_missing_file),
    cmocka_unit_test (test_json_helpers),
    cmocka_unit_test (test_json_rejects_garbage),
    cmocka_unit_test (test_proc_self),
    cmocka_unit_test (test_proc_parse_start_time),
    cmocka_unit_test (test_double_to_int64_range),
    cmocka_unit_test (test_read_file_max),
    cmocka_unit_test (test_device_rules),
    cmocka_unit_test (test_strv_builder),
    cmocka_unit_test (test_strmap),
    cmocka_unit_test (test_finding_describe),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
