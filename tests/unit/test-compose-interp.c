/* Unit tests for compose/interpolate.c: every form, nesting, errors with
   positions, and the one warning per unset variable.  */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose/compose.h"
#include "compose/load.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/xalloc.h"

static struct cc_env *env;

static int
setup (void **state)
{
  (void)state;
  env = cc_env_new ();
  cc_env_set (env, "SET", "value", false);
  cc_env_set (env, "EMPTY", "", false);
  cc_env_set (env, "PORT", "8080", false);
  cc_env_set (env, "_x1", "under", false);
  cc_interpolate_reset_warnings ();
  return 0;
}

static int
teardown (void **state)
{
  (void)state;
  cc_env_free (env);
  cc_interpolate_reset_warnings ();
  return 0;
}

/* Stderr of the interpolation, to check warnings.  */
struct capture
{
  int saved;
  char path[64];
};

static void
capture_start (struct capture *c)
{
  int fd;

  strcpy (c->path, "/tmp/cc-interp-XXXXXX");
  fd = mkstemp (c->path);
  assert_true (fd >= 0);
  fflush (stderr);
  c->saved = dup (2);
  dup2 (fd, 2);
  close (fd);
}

static char *
capture_end (struct capture *c)
{
  char *text = NULL;

  fflush (stderr);
  dup2 (c->saved, 2);
  close (c->saved);
  assert_int_equal (cc_read_file (c->path, &text, NULL, NULL), 0);
  unlink (c->path);
  return text;
}

static const struct cc_node at = { .file = "c.yaml", .line = 7, .col = 10 };

static char *
interp_ok (const char *in)
{
  cc_error_t err = NULL;
  char *out = NULL;

  if (cc_interpolate_string (in, env, &at, &out, &err) < 0)
    fail_msg ("unexpected error for `%s`: %s", in, err->msg);
  return out;
}

static char *
interp_fail (const char *in)
{
  cc_error_t err = NULL;
  char *out = NULL, *msg;

  if (cc_interpolate_string (in, env, &at, &out, &err) == 0)
    fail_msg ("no error for `%s` (got `%s`)", in, out);
  msg = xstrdup (err->msg);
  cc_error_release (&err);
  return msg;
}

static void
check (const char *in, const char *expected)
{
  cleanup_free char *out = interp_ok (in);

  if (strcmp (out, expected) != 0)
    fail_msg ("`%s` gave `%s`, expected `%s`", in, out, expected);
}

static void
test_forms (void **state)
{
  struct capture c;
  cleanup_free char *warnings = NULL;

  (void)state;
  capture_start (&c);
  check ("plain text", "plain text");
  check ("$SET", "value");
  check ("a${SET}b", "avalueb");
  check ("$SET-x", "value-x");
  check ("$_x1.y", "under.y");
  check ("${PORT}:80", "8080:80");
  /* :- and - differ on empty.  */
  check ("${UNSET:-d}", "d");
  check ("${EMPTY:-d}", "d");
  check ("${EMPTY-d}", "");
  check ("${UNSET-d}", "d");
  check ("${SET:-d}", "value");
  /* :+ and + differ on empty.  */
  check ("${SET:+alt}", "alt");
  check ("${EMPTY:+alt}", "");
  check ("${EMPTY+alt}", "alt");
  check ("${UNSET+alt}", "");
  check ("${UNSET:+alt}", "");
  /* ? passes set values through.  */
  check ("${SET:?oops}", "value");
  check ("${EMPTY?oops}", "");
  check ("$$", "$");
  check ("$${SET}", "${SET}");
  check ("a$$$SET", "a$value");
  check ("${UNSET:-}", "");
  check ("${UNSET:-a b}c", "a bc");
  /* A `$` that starts nothing stays, as in Docker Compose.  */
  check ("cost: 5$", "cost: 5$");
  check ("$1 $ $-", "$1 $ $-");
  warnings = capture_end (&c);
  /* Defaults never warn.  */
  assert_string_equal (warnings, "");
}

static void
test_nested (void **state)
{
  (void)state;
  check ("${UNSET:-${SET}}", "value");
  check ("${UNSET:-${ALSO_UNSET:-x}}", "x");
  check ("${UNSET:-pre-${PORT:-1}-post}", "pre-8080-post");
  check ("${SET:+[${PORT}]}", "[8080]");
  /* An unused default is parsed but not evaluated: its `?` does not fire.  */
  check ("${SET:-${UNSET:?never}}", "value");
  check ("${UNSET:-$$}", "$");
}

static void
test_required (void **state)
{
  cleanup_free char *m1 = interp_fail ("${UNSET:?please set UNSET}");
  cleanup_free char *m2 = interp_fail ("x ${EMPTY:?}");
  cleanup_free char *m3 = interp_fail ("${UNSET?${SET} missing}");
  cleanup_free char *ok = interp_ok ("${EMPTY?fine}");

  (void)state;
  assert_string_equal (m1, "c.yaml:7:10: required variable `UNSET` is missing a value: please set UNSET");
  assert_string_equal (m2, "c.yaml:7:12: required variable `EMPTY` is missing a value");
  assert_string_equal (m3, "c.yaml:7:10: required variable `UNSET` is missing a value: value missing");
}

static void
test_invalid_syntax (void **state)
{
  static const struct
  {
    const char *in;
    const char *prefix;
  } cases[] = {
    { "${", "c.yaml:7:10: unterminated `${`" },
    { "ab${SET", "c.yaml:7:12: unterminated `${`: missing `}`" },
    { "${:-x}", "c.yaml:7:12: invalid interpolation: `${` must be followed by a variable name" },
    { "${}", "c.yaml:7:12: invalid interpolation" },
    { "${SET!}", "c.yaml:7:15: invalid interpolation: unexpected character in `${SET...}`" },
    { "${UNSET:-${SET}", "c.yaml:7:10: unterminated `${`: missing `}`" },
    { "${SET:-${:-x}}", "c.yaml:7:19: invalid interpolation" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_free char *msg = interp_fail (cases[i].in);
      if (strncmp (msg, cases[i].prefix, strlen (cases[i].prefix)) != 0)
        fail_msg ("`%s`: got `%s`, expected prefix `%s`", cases[i].in, msg, cases[i].prefix);
    }
}

static void
test_hash_hint (void **state)
{
  struct capture c;
  cleanup_free char *warnings = NULL;
  cleanup_free char *bcrypt = NULL;
  cleanup_free char *apr = NULL;

  (void)state;
  capture_start (&c);
  bcrypt = interp_ok ("$2b$12$abcdefghijklmnopqrstuv");
  apr = interp_ok ("$apr1$salt$hash");
  warnings = capture_end (&c);
  /* What Docker Compose does too: the `$name` parts vanish...  */
  assert_string_equal (bcrypt, "$2b$12");
  assert_string_equal (apr, "");
  /* ...but here the warning says why and how to keep them.  */
  assert_non_null (strstr (warnings, "variable `abcdefghijklmnopqrstuv` is not set"));
  assert_non_null (strstr (warnings, "variable `apr1` is not set"));
  assert_non_null (strstr (warnings, "looks like a password hash: write `$$` for each literal `$`"));
}

static void
test_literal_dollar_hint_only_when_likely (void **state)
{
  struct capture c;
  cleanup_free char *warnings = NULL;
  cleanup_free char *a = NULL, *b = NULL, *d = NULL;

  (void)state;
  capture_start (&c);
  a = interp_ok ("${FIRST}$SECOND");
  b = interp_ok ("pa$word");
  d = interp_ok ("$salt$x");
  warnings = capture_end (&c);
  assert_non_null (strstr (warnings, "variable `FIRST` is not set, using an empty string\n"));
  assert_non_null (strstr (warnings, "variable `SECOND` is not set, using an empty string\n"));
  assert_non_null (strstr (warnings, "variable `word` is not set, using an empty string (write `$$`"));
  assert_non_null (strstr (warnings, "variable `salt` is not set, using an empty string (write `$$`"));
}

static void
test_unset_warns_once (void **state)
{
  struct capture c;
  cleanup_free char *warnings = NULL;
  cleanup_free char *a = NULL, *b = NULL, *d = NULL;
  const char *first;

  (void)state;
  capture_start (&c);
  a = interp_ok ("${NOPE}");
  b = interp_ok ("x $NOPE y");
  d = interp_ok ("$OTHER");
  warnings = capture_end (&c);
  assert_string_equal (a, "");
  assert_string_equal (b, "x  y");
  first = strstr (warnings, "warning: c.yaml:7:10: variable `NOPE` is not set, using an empty string\n");
  assert_non_null (first);
  assert_null (strstr (strchr (first, '\n'), "`NOPE`"));
  assert_non_null (strstr (warnings, "`OTHER`"));
}

static void
test_deep_nesting (void **state)
{
  char in[4096] = "";
  cleanup_free char *msg = NULL;

  (void)state;
  for (int i = 0; i < 200; i++)
    strcat (in, "${A:-");
  msg = interp_fail (in);
  assert_non_null (strstr (msg, "nested deeper than 32 levels"));
}

static void
test_tree (void **state)
{
  const char *text = "services:\n  web:\n    image: \"nginx:${TAG:-latest}\"\n    ports: [\"${PORT}:80\"]\n"
                     "    ${KEY}: kept\n";
  cleanup_node struct cc_node *root = NULL;
  cleanup_error cc_error_t err = NULL;
  const struct cc_node *web;

  (void)state;
  assert_int_equal (cc_yaml_load_string ("tree.yaml", text, strlen (text), &root, &err), 0);
  assert_int_equal (cc_interpolate_tree (root, env, &err), 0);
  web = cc_node_map_get (cc_node_map_get (root, "services"), "web");
  assert_string_equal (cc_node_map_get_string (web, "image"), "nginx:latest");
  assert_string_equal (cc_node_map_get (web, "ports")->items[0]->value, "8080:80");
  /* Keys are not interpolated.  */
  assert_non_null (cc_node_map_get (web, "${KEY}"));
}

static void
test_tree_error_position (void **state)
{
  const char *text = "services:\n  web:\n    image: nginx:${TAG:?set a tag}\n";
  cleanup_node struct cc_node *root = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_yaml_load_string ("tree.yaml", text, strlen (text), &root, &err), 0);
  assert_int_equal (cc_interpolate_tree (root, env, &err), -1);
  assert_non_null (strstr (err->msg, "tree.yaml:3:18: required variable `TAG` is missing a value: set a tag"));
  /* The line is shown with a caret under the `$`.  */
  assert_non_null (strstr (err->msg, "\n      image: nginx:${TAG:?set a tag}\n                   ^"));
}

static void
test_quoted_scalar_positions (void **state)
{
  const char *text = "a: \"img:${A:?x}\"\nb: 'v-${B:?y}'\nc: \"t\\t${C:?z}\"\nd: |\n  ${D:?w}\n";
  cleanup_node struct cc_node *root = NULL;
  cleanup_error cc_error_t err = NULL;
  static const struct
  {
    const char *key, *where;
  } cases[] = {
    /* Quoted without escapes: exact column of the `$`.  */
    { "a", "q.yaml:1:9:" },
    { "b", "q.yaml:2:7:" },
    /* An escape shifts columns: the scalar's own position.  */
    { "c", "q.yaml:3:4:" },
    /* A block scalar: its indicator.  */
    { "d", "q.yaml:4:4:" },
  };

  (void)state;
  assert_int_equal (cc_yaml_load_string ("q.yaml", text, strlen (text), &root, &err), 0);
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_free char *out = NULL;
      const struct cc_node *n = cc_node_map_get (root, cases[i].key);

      assert_int_equal (cc_interpolate_string (n->value, env, n, &out, &err), -1);
      if (strncmp (err->msg, cases[i].where, strlen (cases[i].where)) != 0)
        fail_msg ("%s: got `%s`, expected `%s`", cases[i].key, err->msg, cases[i].where);
      cc_error_release (&err);
    }
}

/* `config --variables` (compose/variables.c): every operator, nested
   operands, `$$`, repeated uses combined as compose-go combines them.  */
static void
expect_var (const cJSON *vars, const char *name, const char *dflt, const char *alt, bool required)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (vars, name);

  assert_non_null (v);
  assert_string_equal (cc_json_get_string (v, "Name"), name);
  assert_string_equal (cc_json_get_string (v, "DefaultValue"), dflt);
  assert_string_equal (cc_json_get_string (v, "PresenceValue"), alt);
  assert_int_equal (cc_json_get_bool (v, "Required", false), required);
}

static void
test_extract_variables (void **state)
{
  cleanup_cjson cJSON *vars = cJSON_CreateObject ();

  (void)state;
  cc_variables_extract ("$$ESCAPED $PLAIN ${BRACED} ${D1-a} ${D2:-b c} ${A1+x} ${A2:+y}", vars);
  cc_variables_extract ("${R1?gone} ${R2:?${MSG}} ${OUT:-${IN:-deep}}x $9 ${} ${unclosed", vars);
  cc_variables_extract ("${D1} ${PLAIN:?} ${PLAIN:-late}", vars);
  assert_null (cJSON_GetObjectItemCaseSensitive (vars, "ESCAPED"));
  assert_null (cJSON_GetObjectItemCaseSensitive (vars, "unclosed"));
  expect_var (vars, "PLAIN", "late", "", true);
  expect_var (vars, "BRACED", "", "", false);
  expect_var (vars, "D1", "a", "", false);
  expect_var (vars, "D2", "b c", "", false);
  expect_var (vars, "A1", "", "x", false);
  expect_var (vars, "A2", "", "y", false);
  expect_var (vars, "R1", "", "", true);
  expect_var (vars, "R2", "", "", true);
  expect_var (vars, "MSG", "", "", false);
  expect_var (vars, "OUT", "${IN:-deep}", "", false);
  expect_var (vars, "IN", "deep", "", false);
  assert_int_equal (cJSON_GetArraySize (vars), 11);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_forms, setup, teardown),
    cmocka_unit_test_setup_teardown (test_nested, setup, teardown),
    cmocka_unit_test_setup_teardown (test_required, setup, teardown),
    cmocka_unit_test_setup_teardown (test_invalid_syntax, setup, teardown),
    cmocka_unit_test_setup_teardown (test_hash_hint, setup, teardown),
    cmocka_unit_test_setup_teardown (test_literal_dollar_hint_only_when_likely, setup, teardown),
    cmocka_unit_test_setup_teardown (test_unset_warns_once, setup, teardown),
    cmocka_unit_test_setup_teardown (test_deep_nesting, setup, teardown),
    cmocka_unit_test_setup_teardown (test_tree, setup, teardown),
    cmocka_unit_test_setup_teardown (test_tree_error_position, setup, teardown),
    cmocka_unit_test_setup_teardown (test_quoted_scalar_positions, setup, teardown),
    cmocka_unit_test (test_extract_variables),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
