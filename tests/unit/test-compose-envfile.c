/* Unit tests for compose/envfile.c: Docker Compose's dotenv rules and
   malformed input.  */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose/load.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static char **
parse_ok (const char *text, const struct cc_env *lookup)
{
  cc_error_t err = NULL;
  char **out = NULL;

  if (cc_envfile_parse_string ("t.env", text, lookup, &out, &err) < 0)
    fail_msg ("unexpected error: %s", err->msg);
  return out;
}

static char *
parse_fail (const char *text)
{
  cc_error_t err = NULL;
  char **out = NULL;
  char *msg;

  if (cc_envfile_parse_string ("t.env", text, NULL, &out, &err) == 0)
    {
      cc_strv_free (out);
      fail_msg ("no error for: %s", text);
    }
  msg = xstrdup (err->msg);
  cc_error_release (&err);
  return msg;
}

static const char *
value_of (char **v, const char *key)
{
  size_t n = strlen (key);

  for (size_t i = 0; v[i]; i++)
    if (strncmp (v[i], key, n) == 0 && v[i][n] == '=')
      return v[i] + n + 1;
  fail_msg ("no %s", key);
  return NULL;
}

static void
test_basic_rules (void **state)
{
  cleanup_strv char **v = parse_ok ("# comment\n"
                                    "\n"
                                    "   # indented comment\n"
                                    "A=1\n"
                                    "export B=two\n"
                                    "  C = spaced value   \n"
                                    "D=x #comment\n"
                                    "E=x#not-comment\n"
                                    "F=\n"
                                    "G: yaml style\n"
                                    "H.dot-dash=ok\r\n"
                                    "A=again\n",
                                    NULL);

  (void)state;
  assert_string_equal (value_of (v, "A"), "again");
  /* Order of first definition is kept.  */
  assert_true (strncmp (v[0], "A=", 2) == 0);
  assert_string_equal (value_of (v, "B"), "two");
  assert_string_equal (value_of (v, "C"), "spaced value");
  assert_string_equal (value_of (v, "D"), "x");
  assert_string_equal (value_of (v, "E"), "x#not-comment");
  assert_string_equal (value_of (v, "F"), "");
  assert_string_equal (value_of (v, "G"), "yaml style");
  assert_string_equal (value_of (v, "H.dot-dash"), "ok");
  assert_int_equal (cc_strv_len (v), 8);
}

static void
test_quotes (void **state)
{
  cleanup_strv char **v = parse_ok ("S='single $NOT \\n kept'\n"
                                    "D=\"line1\\nline2\\ttab \\\\ \\\" \\$HOME\"\n"
                                    "M=\"multi\n"
                                    "line\"\n"
                                    "Q='quoted'  # trailing comment\n"
                                    "E='esc \\' quote'\n"
                                    "U=\"unknown \\q escape\"\n"
                                    "H=\"# not a comment\"\n"
                                    "LAST=1\n",
                                    NULL);

  (void)state;
  assert_string_equal (value_of (v, "S"), "single $NOT \\n kept");
  assert_string_equal (value_of (v, "D"), "line1\nline2\ttab \\ \" $HOME");
  assert_string_equal (value_of (v, "M"), "multi\nline");
  assert_string_equal (value_of (v, "E"), "esc ' quote");
  assert_string_equal (value_of (v, "Q"), "quoted");
  assert_string_equal (value_of (v, "U"), "unknown \\q escape");
  assert_string_equal (value_of (v, "H"), "# not a comment");
  assert_string_equal (value_of (v, "LAST"), "1");
}

static void
test_adjacent_quotes_are_an_error (void **state)
{
  /* 'it''s' would be shell concatenation; dotenv sees text after the quote.  */
  cleanup_free char *msg = parse_fail ("A=1\nQ='it''s'\n");

  (void)state;
  assert_string_equal (msg, "t.env:2: unexpected text after the closing quote");
}

static void
test_interpolation (void **state)
{
  cleanup_env struct cc_env *lookup = cc_env_new ();
  cleanup_strv char **v = NULL;

  (void)state;
  cc_env_set (lookup, "SHELL_VAR", "shell", false);
  cc_env_set (lookup, "OVER", "from-shell", false);
  v = parse_ok ("BASE=/srv\n"
                "OVER=from-file\n"
                "PATH1=${BASE}/data\n"
                "PATH2=\"$BASE/x\"\n"
                "LIT='${BASE}'\n"
                "FROM_SHELL=$SHELL_VAR\n"
                "SEE_OVER=$OVER\n"
                "DEF=${MISSING:-fallback}\n"
                "DOLLAR=a$$b\n",
                lookup);
  assert_string_equal (value_of (v, "PATH1"), "/srv/data");
  assert_string_equal (value_of (v, "PATH2"), "/srv/x");
  assert_string_equal (value_of (v, "LIT"), "${BASE}");
  assert_string_equal (value_of (v, "FROM_SHELL"), "shell");
  /* The lookup environment wins over the file's own earlier value.  */
  assert_string_equal (value_of (v, "SEE_OVER"), "from-shell");
  assert_string_equal (value_of (v, "OVER"), "from-file");
  assert_string_equal (value_of (v, "DEF"), "fallback");
  assert_string_equal (value_of (v, "DOLLAR"), "a$b");
}

static void
test_bare_key_lookup (void **state)
{
  cleanup_env struct cc_env *lookup = cc_env_new ();
  cleanup_strv char **v = NULL;

  (void)state;
  cc_env_set (lookup, "FROM_SHELL", "yes", false);
  v = parse_ok ("FROM_SHELL\nNOT_SET\nexport ALSO_NOT\nX=1", lookup);
  assert_string_equal (value_of (v, "FROM_SHELL"), "yes");
  assert_string_equal (value_of (v, "X"), "1");
  /* A bare key missing from the lookup is left out.  */
  assert_int_equal (cc_strv_len (v), 2);
}

static void
test_malformed (void **state)
{
  static const struct
  {
    const char *text;
    const char *msg;
  } cases[] = {
    { "A=1\nB C=2\n", "t.env:2: variable name cannot contain a space" },
    { "A=1\n\nB$=2\n", "t.env:3: unexpected character `$` in variable name" },
    { "=value\n", "t.env:1: missing variable name before `=`" },
    { "A=\"open\nstill open\n", "t.env:1: unterminated quoted value: missing the closing \"" },
    { "A='open\n", "t.env:1: unterminated quoted value: missing the closing '" },
    { "A=\"x\" junk\n", "t.env:1: unexpected text after the closing quote" },
    { "A=${B\n", "t.env:1:3: unterminated `${`" },
    { "A=\"x\"\nB=${:?}\n", "t.env:2:5: invalid interpolation" },
    { "A=${NOPE:?must be set}\n", "t.env:1:3: required variable `NOPE` is missing a value: must be set" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_free char *msg = parse_fail (cases[i].text);
      if (strncmp (msg, cases[i].msg, strlen (cases[i].msg)) != 0)
        fail_msg ("`%s`: got `%s`, expected `%s`", cases[i].text, msg, cases[i].msg);
    }
}

static void
test_digit_keys_ignored_and_bom (void **state)
{
  cleanup_strv char **v = parse_ok ("\xEF\xBB\xBF"
                                    "1A=x\nOK=y\n",
                                    NULL);

  (void)state;
  assert_int_equal (cc_strv_len (v), 1);
  assert_string_equal (value_of (v, "OK"), "y");
}

static void
test_unset_warning_names_line (void **state)
{
  cleanup_strv char **v = NULL;
  char path[] = "/tmp/cc-envwarn-XXXXXX";
  int fd = mkstemp (path), saved;
  cleanup_free char *warnings = NULL;

  (void)state;
  assert_true (fd >= 0);
  fflush (stderr);
  saved = dup (2);
  dup2 (fd, 2);
  close (fd);
  cc_interpolate_reset_warnings ();
  v = parse_ok ("A=1\nHASH=$apr1$x\n", NULL);
  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  assert_int_equal (cc_read_file (path, &warnings, NULL, NULL), 0);
  unlink (path);
  assert_string_equal (value_of (v, "HASH"), "");
  assert_non_null (strstr (warnings, "warning: t.env:2:6: variable `apr1` is not set"));
  assert_non_null (strstr (warnings, "write `$$`"));
}

static void
test_file (void **state)
{
  char dir[] = "/tmp/cc-envfile-XXXXXX";
  cleanup_free char *path = NULL;
  cleanup_free char *nulpath = NULL;
  cleanup_strv char **v = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_non_null (mkdtemp (dir));
  path = cc_path_join (dir, ".env");
  nulpath = cc_path_join (dir, "nul.env");
  assert_int_equal (cc_write_file_atomic (path, "A=1\n", 4, 0644, NULL), 0);
  assert_int_equal (cc_write_file_atomic (nulpath, "A=1\0B=2\n", 8, 0644, NULL), 0);
  assert_int_equal (cc_envfile_parse (path, false, NULL, &v, &err), 0);
  assert_string_equal (v[0], "A=1");
  assert_int_equal (cc_envfile_parse (nulpath, false, NULL, &v, &err), -1);
  assert_non_null (strstr (err->msg, "NUL byte"));
  cc_error_release (&err);
  assert_int_equal (cc_envfile_parse ("/nonexistent/.env", false, NULL, &v, &err), -1);
  assert_int_equal (err->status, ENOENT);
  assert_int_equal (cc_rm_rf (dir, NULL), 0);
}

/* format: raw, docker run --env-file's rules: the value as written
   (quotes, `$`, ` #`, trailing blanks), a bare name from the lookup or
   nothing, a name with a blank in it an error naming the line.  */
static void
test_raw_format (void **state)
{
  char dir[] = "/tmp/cc-envfile-XXXXXX";
  static const char text[] = "\xEF\xBB\xBF# comment\n  Q=\"a $HOME\" # b \r\n\nBARE\nUNSET\nE=\n";
  cleanup_free char *path = NULL;
  cleanup_strv char **v = NULL;
  cleanup_error cc_error_t err = NULL;
  cleanup_env struct cc_env *lookup = cc_env_new ();

  (void)state;
  cc_env_set (lookup, "BARE", "from-lookup", true);
  assert_non_null (mkdtemp (dir));
  path = cc_path_join (dir, "raw.env");
  assert_int_equal (cc_write_file_atomic (path, text, strlen (text), 0644, NULL), 0);
  assert_int_equal (cc_envfile_parse_raw (path, lookup, &v, &err), 0);
  assert_int_equal (cc_strv_len (v), 3);
  assert_string_equal (value_of (v, "Q"), "\"a $HOME\" # b ");
  assert_string_equal (value_of (v, "BARE"), "from-lookup");
  assert_string_equal (value_of (v, "E"), "");
  assert_int_equal (cc_write_file_atomic (path, "A=1\nA B=2\n", 10, 0644, NULL), 0);
  assert_int_equal (cc_envfile_parse_raw (path, NULL, &v, &err), -1);
  assert_non_null (strstr (err->msg, "raw.env:2: variable `A B` contains whitespace"));
  assert_int_equal (cc_rm_rf (dir, NULL), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_basic_rules),
    cmocka_unit_test (test_quotes),
    cmocka_unit_test (test_adjacent_quotes_are_an_error),
    cmocka_unit_test (test_interpolation),
    cmocka_unit_test (test_bare_key_lookup),
    cmocka_unit_test (test_malformed),
    cmocka_unit_test (test_digit_keys_ignored_and_bom),
    cmocka_unit_test (test_unset_warning_names_line),
    cmocka_unit_test (test_file),
    cmocka_unit_test (test_raw_format),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
