/* Unit tests for the small formats behind the builder (builder/text.c,
   formats.c, jsonargs.c, vars.c): Go's time.Duration and %q as BuildKit's
   history entries print them, exec-form JSON, EXPOSE ports, signals,
   tmpfs sizes, platforms, and the hashed variables.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static void
test_duration_format (void **state)
{
  static const struct
  {
    int64_t ns;
    const char *want;
  } cases[] = {
    { 0, "0s" },
    { 1, "1ns" },
    { 1500, "1.5\xC2\xB5s" },
    { 1500000, "1.5ms" },
    { 1500000000, "1.5s" },
    { 90000000000LL, "1m30s" },
    { 3600000000000LL, "1h0m0s" },
    { 3723000000001LL, "1h2m3.000000001s" },
    { -5000000000LL, "-5s" },
    { INT64_MIN, "-2562047h47m16.854775808s" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_buf struct cc_buf b = { 0 };
      cc_bld_go_duration (&b, cases[i].ns);
      assert_string_equal (b.data, cases[i].want);
    }
}

static void
test_duration_parse (void **state)
{
  static const struct
  {
    const char *in;
    int64_t ns;
    const char *err;
  } cases[] = {
    { "1h2m3s", 3723000000000LL, NULL },
    { "1.5h", 5400000000000LL, NULL },
    { ".5s", 500000000, NULL },
    { "300ms", 300000000, NULL },
    { "-1s", -1000000000, NULL },
    { "+2ms", 2000000, NULL },
    { "1\xC2\xB5s", 1000, NULL },
    { "1\xCE\xBCs", 1000, NULL },
    { "0", 0, NULL },
    { "5", 0, "time: missing unit in duration \"5\"" },
    { "", 0, "time: invalid duration \"\"" },
    { "1x", 0, "time: unknown unit \"x\" in duration \"1x\"" },
    { ".s", 0, "time: invalid duration \".s\"" },
    { "9999999999h", 0, "time: invalid duration \"9999999999h\"" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      int64_t ns = -1;
      cleanup_free char *msg = NULL;
      int r = cc_bld_go_parse_duration (cases[i].in, &ns, &msg);
      if (cases[i].err)
        {
          assert_int_equal (r, -1);
          assert_string_equal (msg, cases[i].err);
        }
      else
        {
          assert_int_equal (r, 0);
          assert_int_equal (ns, cases[i].ns);
        }
    }
}

static void
test_go_quote (void **state)
{
  cleanup_buf struct cc_buf b = { 0 };
  cleanup_buf struct cc_buf r = { 0 };

  (void)state;
  cc_bld_go_quote (&b, "a\"b\\c\n\t\x01\x7f\xff\xC2\xA0\xE2\x80\x8B\xC3\xA9");
  assert_string_equal (b.data, "\"a\\\"b\\\\c\\n\\t\\x01\\x7f\\xff\\u00a0\\u200b\xC3\xA9\"");
  cc_bld_go_quote_rune (&r, 3);
  cc_bld_go_quote_rune (&r, 'A');
  cc_bld_go_quote_rune (&r, '\'');
  cc_bld_go_quote_rune (&r, 0x110000);
  assert_string_equal (r.data, "'\\x03''A''\\'''\xEF\xBF\xBD'");
}

static void
test_json_strings (void **state)
{
  static const struct
  {
    const char *in;
    int want;
    const char *args;
  } cases[] = {
    { "[\"a\", \"b\"]", 1, "a|b" },
    { "  [ ]", 1, "" },
    { "[\"x\"] trailing junk", 1, "x" },
    { "[\"\\u00e9\\ud83d\\ude00\\ud800\\/\\n\"]", 1, "\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBD/\n" },
    { "[\"\xff\"]", 1, "\xEF\xBF\xBD" },
    { "[\"a\",]", 0, NULL },
    { "[\"a\" \"b\"]", 0, NULL },
    { "[\"a\\q\"]", 0, NULL },
    { "[\"tab\there\"]", 0, NULL },
    { "['a']", 0, NULL },
    { "[", 0, NULL },
    { "x [\"a\"]", 0, NULL },
    { "[1]", -1, NULL },
    { "[\"a\", null]", -1, NULL },
    { "[[\"a\"], {\"k\": [1, 2.5e3, true]}]", -1, NULL },
    { "[{\"k\" 1}]", 0, NULL },
    /* Too large for a float64: Go reports a type error, so the shell form.  */
    { "[1e400]", 0, NULL },
    { "[-0.5e-3]", -1, NULL },
    { "[01]", 0, NULL },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_strv char **out = NULL;
      int r = cc_bld_json_strings (cases[i].in, strlen (cases[i].in), &out);
      if (r != cases[i].want)
        fail_msg ("`%s`: %d, want %d", cases[i].in, r, cases[i].want);
      if (r == 1)
        {
          cleanup_free char *jn = cc_strv_join (out, "|");
          assert_string_equal (jn, cases[i].args);
        }
    }
}

static void
test_json_deep (void **state)
{
  cleanup_buf struct cc_buf b = { 0 };
  char **out = NULL;

  (void)state;
  for (int i = 0; i < 200000; i++)
    cc_buf_putc (&b, '[');
  /* Deeper than Go's 10000 levels: not JSON, and no recursion here.  */
  assert_int_equal (cc_bld_json_strings (b.data, b.len, &out), 0);
  for (int i = 0; i < 200000; i++)
    cc_buf_putc (&b, ']');
  assert_int_equal (cc_bld_json_strings (b.data, b.len, &out), 0);
}

static void
test_ports (void **state)
{
  static const struct
  {
    const char *spec, *want;
  } cases[] = {
    { "80", "80/tcp" },
    { "80/udp", "80/udp" },
    { "80/SCTP", "80/sctp" },
    { "80/udp/x", "80/udp" },
    { "0", "0/tcp" },
    { "1-3", "1/tcp|2/tcp|3/tcp" },
    { "8080:80", "80/tcp" },
    { "127.0.0.1:8080:80/udp", "80/udp" },
    { "[::1]:8080:80", "80/tcp" },
    { "::1:8080:80", "80/tcp" },
    { "0.0.0.0:1000-1001:80-81", "80/tcp|81/tcp" },
    { "1000-1010:80", "80/tcp" },
    { "", NULL },
    { "/udp", NULL },
    { "65536", NULL },
    { "a", NULL },
    { "80/icmp", NULL },
    { "1000-1001:80-82", NULL },
    { "x.y:80:80", NULL },
    { "80-", NULL },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      struct cc_bld_vec v = { 0 };
      cleanup_free char *msg = NULL;
      int r = cc_bld_parse_port_spec (cases[i].spec, &v, SIZE_MAX, NULL, &msg);
      if (cases[i].want == NULL)
        {
          if (r == 0)
            fail_msg ("`%s` accepted", cases[i].spec);
        }
      else
        {
          cleanup_free char *jn = NULL;
          if (r < 0)
            fail_msg ("`%s`: %s", cases[i].spec, msg);
          jn = cc_strv_join (v.v, "|");
          assert_string_equal (jn, cases[i].want);
        }
      cc_bld_vec_release (&v);
    }
  {
    /* A whole range is a valid EXPOSE, and cheap.  */
    struct cc_bld_vec v = { 0 };
    cleanup_free char *msg = NULL;
    size_t n = 0;
    assert_int_equal (cc_bld_parse_port_spec ("1-65535/udp", &v, SIZE_MAX, &n, &msg), 0);
    assert_int_equal (v.n, 65535);
    assert_int_equal (n, 65535);
    cc_bld_vec_release (&v);
    assert_int_equal (cc_bld_parse_port_spec ("1-65535/udp", &v, 100, &n, &msg), -2);
    assert_int_equal (v.n, 0);
  }
}

static void
test_signals (void **state)
{
  static const char *const ok[]
      = { "SIGTERM", "TERM", "term", "sigkill", "9", "-1", "RTMIN", "RTMIN+3", "SIGRTMAX-14", "IOT", "CLD", "POLL" };
  static const char *const bad[]
      = { "0", "SIGFOO", "RTMAX-15", "RTMIN+16", "RTMIN+", "", " 9", "99999999999999999999" };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (ok); i++)
    if (! cc_bld_valid_signal (ok[i]))
      fail_msg ("`%s` refused", ok[i]);
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    if (cc_bld_valid_signal (bad[i]))
      fail_msg ("`%s` accepted", bad[i]);
}

static void
test_ram_bytes (void **state)
{
  static const struct
  {
    const char *in;
    int64_t want;
  } cases[] = {
    { "64m", 64 << 20 },  { "1k", 1024 }, { "1KiB", 1024 }, { "1kb", 1024 }, { "512", 512 }, { "1.5g", 1536LL << 20 },
    { "10 m", 10 << 20 }, { "2b", 2 },    { "1x", -1 },     { "-1", -1 },    { "", -1 },     { "1kk", -1 },
    { "1kib2", -1 },      { "m", -1 },    { "1bb", -1 },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      int64_t v = -1;
      int r = cc_bld_ram_in_bytes (cases[i].in, &v);
      if (cases[i].want < 0 ? r == 0 : (r < 0 || v != cases[i].want))
        fail_msg ("`%s`: r=%d v=%lld", cases[i].in, r, (long long)v);
    }
}

static void
test_platforms (void **state)
{
  static const struct
  {
    const char *in, *want;
  } cases[] = {
    { "linux/amd64", "linux/amd64" },
    { "linux/x86_64", "linux/amd64" },
    { "Linux/AMD64", "linux/amd64" },
    { "linux/aarch64", "linux/arm64" },
    { "linux/arm64/v8", "linux/arm64" },
    { "linux/arm", "linux/arm/v7" },
    { "linux/armhf", "linux/arm/v7" },
    { "linux/arm/6", "linux/arm/v6" },
    { "amd64", "linux/amd64" },
    { "linux/*", NULL },
    { "foo/bar", NULL },
    { "", NULL },
    { "linux/amd64/v1/x", NULL },
    { "linux//amd64", NULL },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_free char *msg = NULL;
      cleanup_free char *p = cc_bld_normalize_platform (cases[i].in, &msg);
      if (cases[i].want == NULL ? p != NULL : (p == NULL || strcmp (p, cases[i].want) != 0))
        fail_msg ("`%s`: got `%s`", cases[i].in, p ? p : msg);
    }
}

static void
test_path_clean (void **state)
{
  static const struct
  {
    const char *in, *want;
  } cases[] = {
    { "", "." },        { "/", "/" },         { "a/b/../c", "a/c" }, { "/../x", "/x" },
    { "../x", "../x" }, { "a//b/./", "a/b" }, { "..", ".." },        { "a/../..", ".." },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_free char *c = cc_bld_path_clean (cases[i].in);
      assert_string_equal (c, cases[i].want);
    }
}

static void
test_vars_many (void **state)
{
  cleanup_bld_vars struct cc_bld_vars *v = cc_bld_vars_new ();
  clock_t t0 = clock ();

  (void)state;
  for (int i = 0; i < 200000; i++)
    {
      char k[32];
      snprintf (k, sizeof (k), "K%d", i);
      cc_bld_vars_set (v, k, k);
    }
  cc_bld_vars_set (v, "K5", "changed");
  assert_int_equal (cc_bld_vars_count (v), 200000);
  assert_string_equal (cc_bld_vars_get (v, "K199999"), "K199999");
  assert_string_equal (cc_bld_vars_get (v, "K5"), "changed");
  assert_string_equal (cc_bld_vars_key (v, 5), "K5");
  assert_null (cc_bld_vars_get (v, "K200000"));
  assert_true ((double)(clock () - t0) / CLOCKS_PER_SEC < 30);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_duration_format), cmocka_unit_test (test_duration_parse), cmocka_unit_test (test_go_quote),
    cmocka_unit_test (test_json_strings),    cmocka_unit_test (test_json_deep),      cmocka_unit_test (test_ports),
    cmocka_unit_test (test_signals),         cmocka_unit_test (test_ram_bytes),      cmocka_unit_test (test_platforms),
    cmocka_unit_test (test_path_clean),      cmocka_unit_test (test_vars_many),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
