/* Unit tests for compose/yaml.c and compose/node.c: positions, anchors,
   merge keys, hostile documents, error format.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compose/node.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/xalloc.h"

static struct cc_node *
load_ok (const char *text)
{
  cc_error_t err = NULL;
  struct cc_node *root = NULL;

  if (cc_yaml_load_string ("t.yaml", text, strlen (text), &root, &err) < 0)
    fail_msg ("unexpected error: %s", err->msg);
  return root;
}

/* The error message of loading TEXT, which must fail.  */
static char *
load_fail (const char *text, size_t len)
{
  cc_error_t err = NULL;
  struct cc_node *root = NULL;
  char *msg;

  if (cc_yaml_load_string ("t.yaml", text, len, &root, &err) == 0)
    {
      cc_node_free (root);
      fail_msg ("no error for: %s", text);
    }
  assert_null (root);
  msg = xstrdup (err->msg);
  cc_error_release (&err);
  return msg;
}

static void
assert_prefix (const char *msg, const char *prefix)
{
  if (strncmp (msg, prefix, strlen (prefix)) != 0)
    fail_msg ("expected prefix `%s` in `%s`", prefix, msg);
}

static const struct cc_node *
get (const struct cc_node *map, const char *path)
{
  cleanup_free char *copy = xstrdup (path);
  const struct cc_node *n = map;

  for (char *tok = strtok (copy, "."); tok; tok = strtok (NULL, "."))
    {
      assert_non_null (n);
      n = n->kind == CC_NODE_SEQ ? n->items[atoi (tok)] : cc_node_map_get (n, tok);
    }
  assert_non_null (n);
  return n;
}

static void
test_positions (void **state)
{
  cleanup_node struct cc_node *root = load_ok ("services:\n"
                                               "  web:\n"
                                               "    image: nginx\n"
                                               "    ports:\n"
                                               "      - \"8080:80\"\n"
                                               "      - 443\n");
  const struct cc_node *n;

  (void)state;
  assert_int_equal (root->kind, CC_NODE_MAP);
  n = get (root, "services.web.image");
  assert_string_equal (n->value, "nginx");
  assert_int_equal (n->line, 3);
  assert_int_equal (n->col, 12);
  n = get (root, "services.web");
  assert_int_equal (n->line, 3);
  assert_int_equal (n->col, 5);
  n = get (root, "services.web.ports.0");
  assert_int_equal (n->line, 5);
  assert_int_equal (n->col, 9);
  assert_true (n->quoted);
  n = get (root, "services.web.ports.1");
  assert_int_equal (n->line, 6);
  assert_false (n->quoted);
  assert_string_equal (n->file, "t.yaml");
  /* Keys carry positions too.  */
  assert_int_equal (get (root, "services")->keys[0]->line, 2);
  assert_int_equal (get (root, "services")->keys[0]->col, 3);
}

static void
test_scalar_text_kept (void **state)
{
  cleanup_node struct cc_node *root = load_ok ("a: 22:22\n"
                                               "b: yes\n"
                                               "c: off\n"
                                               "d: 0755\n"
                                               "e: ~\n"
                                               "f:\n"
                                               "g: 'null'\n"
                                               "h: !!str 1.0\n"
                                               "i: |\n  x\n  y\n"
                                               "j: 1e3\n");

  (void)state;
  assert_string_equal (get (root, "a")->value, "22:22");
  assert_string_equal (get (root, "b")->value, "yes");
  assert_false (get (root, "b")->quoted);
  assert_string_equal (get (root, "c")->value, "off");
  assert_string_equal (get (root, "d")->value, "0755");
  assert_true (get (root, "e")->is_null);
  assert_string_equal (get (root, "e")->value, "");
  assert_true (get (root, "f")->is_null);
  assert_false (get (root, "g")->is_null);
  assert_true (get (root, "g")->quoted);
  assert_string_equal (get (root, "g")->value, "null");
  assert_true (get (root, "h")->quoted);
  assert_string_equal (get (root, "i")->value, "x\ny\n");
  assert_true (get (root, "i")->quoted);
  assert_string_equal (get (root, "j")->value, "1e3");
}

static void
test_anchors_aliases (void **state)
{
  cleanup_node struct cc_node *root = load_ok ("x-env: &env\n"
                                               "  A: 1\n"
                                               "  B: 2\n"
                                               "img: &img nginx\n"
                                               "services:\n"
                                               "  a: {image: *img, environment: *env}\n"
                                               "  b: {image: *img, environment: *env}\n");

  (void)state;
  assert_string_equal (get (root, "services.a.image")->value, "nginx");
  assert_string_equal (get (root, "services.b.environment.B")->value, "2");
  /* Copies, not shared: the tree can be rewritten in place.  */
  assert_ptr_not_equal (get (root, "services.a.environment"), get (root, "services.b.environment"));
}

static void
test_merge_keys (void **state)
{
  cleanup_node struct cc_node *root = load_ok ("base: &base {image: a, restart: always, tty: true}\n"
                                               "more: &more {image: b, init: true, tty: false}\n"
                                               "one:\n"
                                               "  image: own\n"
                                               "  <<: *base\n"
                                               "list:\n"
                                               "  <<: [*more, *base]\n"
                                               "  tty: explicit\n"
                                               "quoted:\n"
                                               "  '<<': literal\n");
  const struct cc_node *one = get (root, "one"), *list = get (root, "list");

  (void)state;
  /* Explicit keys win wherever they are written.  */
  assert_string_equal (get (one, "image")->value, "own");
  assert_string_equal (get (one, "restart")->value, "always");
  assert_null (cc_node_map_get (one, "<<"));
  /* In a list, the earlier map wins.  */
  assert_string_equal (get (list, "image")->value, "b");
  assert_string_equal (get (list, "init")->value, "true");
  assert_string_equal (get (list, "restart")->value, "always");
  assert_string_equal (get (list, "tty")->value, "explicit");
  assert_int_equal (list->len, 4);
  /* A quoted `<<` is an ordinary key.  */
  assert_string_equal (get (root, "quoted.<<")->value, "literal");
}

static void
test_merge_key_bad_value (void **state)
{
  cleanup_free char *a = load_fail ("a:\n  <<: scalar\n", 16);
  cleanup_free char *b = load_fail ("a:\n  <<: [{x: 1}, [1]]\n", 23);

  (void)state;
  assert_prefix (a, "t.yaml:2:7: merge key `<<` needs a mapping");
  assert_prefix (b, "t.yaml:2:16: merge key `<<` needs mappings");
}

static void
test_duplicate_keys (void **state)
{
  const char *text = "services:\n  web:\n    image: a\n    ports: []\n    image: b\n";
  cleanup_free char *msg = load_fail (text, strlen (text));
  const char *top = "a: 1\nb: 2\na: 3\n";
  cleanup_free char *msg2 = load_fail (top, strlen (top));
  const char *quoted = "\"a\": 1\na: 2\n";
  cleanup_free char *msg3 = load_fail (quoted, strlen (quoted));

  (void)state;
  assert_prefix (msg, "t.yaml:5:5: duplicate key `image` (first defined at line 3)");
  assert_prefix (msg2, "t.yaml:3:1: duplicate key `a` (first defined at line 1)");
  assert_prefix (msg3, "t.yaml:2:1: duplicate key `a`");
}

static void
test_non_scalar_key (void **state)
{
  const char *text = "? [a, b]\n: 1\n";
  cleanup_free char *msg = load_fail (text, strlen (text));

  (void)state;
  assert_prefix (msg, "t.yaml:1:3: mapping keys must be scalars");
}

static void
test_billion_laughs (void **state)
{
  cleanup_buf struct cc_buf b = { 0 };
  cleanup_free char *msg = NULL;

  (void)state;
  cc_buf_puts (&b, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
  for (int i = 1; i < 10; i++)
    {
      cc_buf_printf (&b, "a%d: &a%d [", i, i);
      for (int j = 0; j < 10; j++)
        cc_buf_printf (&b, "%s*a%d", j ? ", " : "", i - 1);
      cc_buf_puts (&b, "]\n");
    }
  msg = load_fail (b.data, b.len);
  assert_non_null (strstr (msg, "200000 nodes"));
  assert_prefix (msg, "t.yaml:");
}

static void
test_big_merge (void **state)
{
  cleanup_buf struct cc_buf b = { 0 };
  cleanup_node struct cc_node *root = NULL;

  (void)state;
  /* 20000 keys merged into a map with 20000 others: must not be quadratic.  */
  cc_buf_puts (&b, "a: &a {");
  for (int i = 0; i < 20000; i++)
    cc_buf_printf (&b, "%sk%d: %d", i ? ", " : "", i, i);
  cc_buf_puts (&b, "}\nb:\n  <<: *a\n");
  for (int i = 10000; i < 30000; i++)
    cc_buf_printf (&b, "  k%d: own\n", i);
  root = load_ok (b.data);
  assert_int_equal (get (root, "b")->len, 30000);
  assert_string_equal (get (root, "b.k5")->value, "5");
  assert_string_equal (get (root, "b.k15000")->value, "own");
}

/* Issue 12 item 10: anchors were found by a walk of every anchor so far
   (100,000 of them: 25 s before the node cap).  A document past the
   anchor limit is refused where the first extra anchor is.  */
static void
test_many_anchors_refused (void **state)
{
  cleanup_buf struct cc_buf b = { 0 };
  cleanup_free char *msg = NULL;

  (void)state;
  cc_buf_puts (&b, "x:\n");
  for (int i = 0; i < 100000; i++)
    cc_buf_printf (&b, "  a%d: &a%d v\n", i, i);
  msg = load_fail (b.data, b.len);
  assert_prefix (msg, "t.yaml:10002:11: more than 10000 anchors (`&a10000`)");
}

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* N anchors, then 4N aliases of the first one (the farthest from the
   end of the list the old lookup walked back from): the best of three
   loads, in CPU seconds.  */
static double
time_anchors (int n)
{
  cleanup_buf struct cc_buf b = { 0 };
  double best = 1e9;

  cc_buf_puts (&b, "x:\n");
  for (int i = 0; i < n; i++)
    cc_buf_printf (&b, "  a%d: &a%d v\n", i, i);
  cc_buf_puts (&b, "y:\n");
  for (int i = 0; i < 4 * n; i++)
    cc_buf_printf (&b, "  b%d: *a0\n", i);
  for (int i = 0; i < 3; i++)
    {
      double t0 = cpu_seconds (), t;
      cleanup_node struct cc_node *root = load_ok (b.data);

      t = cpu_seconds () - t0;
      assert_int_equal (get (root, "y")->len, (size_t)(4 * n));
      if (t < best)
        best = t;
    }
  return best;
}

/* Eight times the anchors and aliases, about eight times the time
   (quadratic: 64).  */
static void
test_anchors_are_linear (void **state)
{
  double t_small, t_big;

  (void)state;
  t_small = time_anchors (1000);
  t_big = time_anchors (8000);
  print_message ("1,000 / 8,000 anchors with 4 aliases each: %.3f / %.3f s CPU\n", t_small, t_big);
  assert_true (t_big < 24 * t_small + 0.05);
}

static void
test_depth (void **state)
{
  cleanup_buf struct cc_buf b = { 0 };
  cleanup_free char *msg = NULL;

  (void)state;
  for (int i = 0; i < 10000; i++)
    cc_buf_putc (&b, '[');
  msg = load_fail (b.data, b.len);
  assert_prefix (msg, "t.yaml:1:65: nesting deeper than 64 levels");
}

static void
test_invalid_utf8_and_nul (void **state)
{
  const char bad[] = "a: 1\nb: x\xff\n";
  const char nul[] = "a: 1\nb: x\0y\n";
  cleanup_free char *m1 = load_fail (bad, sizeof (bad) - 1);
  cleanup_free char *m2 = load_fail (nul, sizeof (nul) - 1);

  (void)state;
  assert_prefix (m1, "t.yaml:2:5: invalid leading UTF-8 octet");
  /* The quoted line shows the bad byte as `?`, not as raw bytes.  */
  assert_non_null (strstr (m1, "\n  b: x?\n      ^"));
  assert_prefix (m2, "t.yaml:2:5: NUL byte");
}

static void
test_empty_documents (void **state)
{
  cleanup_node struct cc_node *a = load_ok ("");
  cleanup_node struct cc_node *b = load_ok ("# only a comment\n");
  cleanup_node struct cc_node *c = load_ok ("---\n");

  (void)state;
  assert_int_equal (a->kind, CC_NODE_MAP);
  assert_int_equal (a->len, 0);
  assert_int_equal (b->kind, CC_NODE_MAP);
  assert_int_equal (c->kind, CC_NODE_MAP);
}

static void
test_multiple_documents (void **state)
{
  const char *text = "a: 1\n---\nb: 2\n";
  cleanup_free char *msg = load_fail (text, strlen (text));

  (void)state;
  assert_prefix (msg, "t.yaml:2:1: more than one YAML document");
}

static void
test_syntax_error_format (void **state)
{
  const char *text = "services:\n  web:\n    image: a: b\n";
  cleanup_free char *msg = load_fail (text, strlen (text));

  (void)state;
  /* Position, libyaml's problem, then the line and a caret under it.  */
  assert_prefix (msg, "t.yaml:3:13: mapping values are not allowed in this context");
  assert_non_null (strstr (msg, "\n      image: a: b\n              ^"));
}

static void
test_tab_indentation (void **state)
{
  const char *text = "services:\n  web:\n\timage: a\n";
  const char *unclosed = "a:\n  b: \"x\n";
  cleanup_free char *msg = load_fail (text, strlen (text));
  cleanup_free char *m2 = load_fail (unclosed, strlen (unclosed));

  (void)state;
  assert_prefix (msg, "t.yaml:3:1: found character that cannot start any token");
  assert_non_null (strstr (msg, "(YAML indents with spaces, not tabs)"));
  assert_non_null (strstr (m2, "while scanning a quoted scalar started at line 2"));
}

static void
test_unknown_and_recursive_alias (void **state)
{
  const char *a = "a: *nope\n";
  const char *b = "a: &x [1, *x]\n";
  cleanup_free char *m1 = load_fail (a, strlen (a));
  cleanup_free char *m2 = load_fail (b, strlen (b));

  (void)state;
  assert_prefix (m1, "t.yaml:1:4: unknown anchor `nope`");
  assert_prefix (m2, "t.yaml:1:11: unknown anchor `x`");
}

static void
test_merge_tags (void **state)
{
  cleanup_node struct cc_node *root = load_ok ("a: !reset []\nb: !override {x: 1}\nc: !reset null\n");

  (void)state;
  assert_true (get (root, "a")->tag_reset);
  assert_true (get (root, "b")->tag_override);
  assert_true (get (root, "c")->tag_reset);
  assert_true (get (root, "c")->is_null);
}

static void
test_error_at_long_line (void **state)
{
  cleanup_buf struct cc_buf b = { 0 };
  cleanup_node struct cc_node *root = NULL;
  cleanup_error cc_error_t err = NULL;
  const struct cc_node *v;
  const char *l1, *l2;

  (void)state;
  cc_buf_puts (&b, "a: [");
  for (int i = 0; i < 200; i++)
    cc_buf_printf (&b, "%sx%d", i ? ", " : "", i);
  cc_buf_puts (&b, "]\n");
  root = load_ok (b.data);
  v = get (root, "a.150");
  assert_int_equal (cc_error_at (&err, v, "bad"), -1);
  /* A window around the column, with the caret under the value.  */
  l1 = strchr (err->msg, '\n') + 1;
  l2 = strchr (l1, '\n') + 1;
  assert_true (l2 - l1 <= 2 + 100 + 1);
  assert_true (strncmp (l1 + (strchr (l2, '^') - l2), "x150", 4) == 0);
}

static void
test_error_at_caret (void **state)
{
  cleanup_node struct cc_node *root = load_ok ("services:\n  web:\n    imgae: nginx\n");
  cleanup_error cc_error_t err = NULL;
  const struct cc_node *web = get (root, "services.web");
  struct cc_node none = { 0 };

  (void)state;
  assert_int_equal (cc_error_at (&err, web->keys[0], "unknown key `%s`", web->keys[0]->value), -1);
  assert_string_equal (err->msg, "t.yaml:3:5: unknown key `imgae`\n      imgae: nginx\n      ^");
  cc_error_release (&err);
  /* Without a position the message stands alone.  */
  cc_error_at (&err, &none, "plain");
  assert_string_equal (err->msg, "plain");
  cc_error_release (&err);
  cc_error_at (&err, NULL, "null");
  assert_string_equal (err->msg, "null");
}

/* A key that holds an escape sequence (ESC, or the C1 CSI U+009B) must not
   reach the terminal through the error message: control bytes read `?`.  */
static void
test_error_at_hides_control_bytes (void **state)
{
  cleanup_node struct cc_node *root = load_ok ("services:\n  web:\n    \"\\e[2Jx\\x9b1y\\tz\": nginx\n");
  cleanup_error cc_error_t err = NULL;
  const struct cc_node *web = get (root, "services.web");

  (void)state;
  assert_int_equal (cc_error_at (&err, web->keys[0], "unknown key `%s`", web->keys[0]->value), -1);
  assert_null (strchr (err->msg, '\033'));
  assert_null (strstr (err->msg, "\xc2\x9b"));
  assert_prefix (err->msg, "t.yaml:3:5: unknown key `?[2Jx?1y\tz`\n");
  cc_error_release (&err);
  /* Control bytes the message itself carries are hidden as well.  */
  cc_error_at (&err, web->keys[0], "%s", "\a\033]0;title\a");
  assert_prefix (err->msg, "t.yaml:3:5: ??]0;title?\n");
  cc_error_release (&err);
}

static void
test_node_api (void **state)
{
  cleanup_node struct cc_node *m = cc_node_new_map (NULL);
  cleanup_node struct cc_node *d = NULL;

  (void)state;
  cc_node_map_set (m, "a", cc_node_new_scalar ("1", NULL));
  cc_node_map_set (m, "b", cc_node_new_seq (NULL));
  cc_node_seq_append (cc_node_map_get (m, "b"), cc_node_new_scalar ("x", NULL));
  cc_node_map_set (m, "a", cc_node_new_scalar ("2", NULL));
  assert_int_equal (m->len, 2);
  assert_string_equal (cc_node_map_get_string (m, "a"), "2");
  assert_null (cc_node_map_get_string (m, "b"));
  d = cc_node_dup (m);
  cc_node_map_remove (m, "a");
  assert_int_equal (m->len, 1);
  assert_null (cc_node_map_get (m, "a"));
  assert_string_equal (cc_node_map_get_string (d, "a"), "2");
  assert_int_equal (cc_node_count (d), 6);
  assert_ptr_equal (cc_node_intern_file ("f"), cc_node_intern_file ("f"));
}

static void
test_load_file_missing (void **state)
{
  cleanup_error cc_error_t err = NULL;
  struct cc_node *root = NULL;

  (void)state;
  assert_int_equal (cc_yaml_load_file ("/nonexistent/compose.yaml", false, &root, &err), -1);
  assert_non_null (strstr (err->msg, "/nonexistent/compose.yaml"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_positions),
    cmocka_unit_test (test_scalar_text_kept),
    cmocka_unit_test (test_anchors_aliases),
    cmocka_unit_test (test_merge_keys),
    cmocka_unit_test (test_merge_key_bad_value),
    cmocka_unit_test (test_duplicate_keys),
    cmocka_unit_test (test_non_scalar_key),
    cmocka_unit_test (test_billion_laughs),
    cmocka_unit_test (test_big_merge),
    cmocka_unit_test (test_many_anchors_refused),
    cmocka_unit_test (test_anchors_are_linear),
    cmocka_unit_test (test_depth),
    cmocka_unit_test (test_invalid_utf8_and_nul),
    cmocka_unit_test (test_empty_documents),
    cmocka_unit_test (test_multiple_documents),
    cmocka_unit_test (test_syntax_error_format),
    cmocka_unit_test (test_tab_indentation),
    cmocka_unit_test (test_unknown_and_recursive_alias),
    cmocka_unit_test (test_merge_tags),
    cmocka_unit_test (test_error_at_long_line),
    cmocka_unit_test (test_error_at_caret),
    cmocka_unit_test (test_error_at_hides_control_bytes),
    cmocka_unit_test (test_node_api),
    cmocka_unit_test (test_load_file_missing),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
