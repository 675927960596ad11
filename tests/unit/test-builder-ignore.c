/* Unit tests for builder/match.c and ignore.c: Go's filepath.Match, and
   .dockerignore as moby/patternmatcher reads and matches it while fsutil
   walks a build context.  */
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

/* ---- filepath.Match --------------------------------------------------- */

enum
{
  NO,
  YES,
  BAD
};

static const struct
{
  const char *pattern, *name;
  int want;
} match_table[] = {
  { "main.go", "main.go", YES },
  { "*.go", "main.go", YES },
  { "*.go", "cmd/main.go", NO },
  { "cmd/*.go", "cmd/main.go", YES },
  { "cmd/*", "cmd/sub/x", NO },
  { "*/*", "a/b", YES },
  { "*/*", "a/b/c", NO },
  { "m?in.go", "main.go", YES },
  { "m?in.go", "m/in.go", NO },
  { "*", "", YES },
  { "", "", YES },
  { "", "x", NO },
  { "[a-c]at", "bat", YES },
  { "[a-c]at", "rat", NO },
  { "[^a-c]at", "rat", YES },
  { "[^a-c]at", "cat", NO },
  /* A class is no `?`: it can match the separator.  */
  { "[^a-c]at", "/at", YES },
  { "\\*.go", "*.go", YES },
  { "\\*.go", "a.go", NO },
  { "[\\]]", "]", YES },
  { "[x\\-z]", "-", YES },
  { "\xE6\x97\xA5*", "\xE6\x97\xA5\xE6\x9C\xAC", YES },
  { "?", "\xE8\xAA\x9E", YES },
  { "??", "\xE8\xAA\x9E", NO },
  { "a*b*c", "aXbYbZc", YES },
  { "a*b*c", "aXbYbZ", NO },
  { "a*/b", "aaa/b", YES },
  { "[", "x", BAD },
  { "[a-", "x", BAD },
  { "a\\", "a", BAD },
  { "[z-]", "z", BAD },
  { "[]", "x", BAD },
  /* The rest is checked even after the name failed to match.  */
  { "x[", "y", BAD },
  { "a*[", "bcd", BAD },
};

static void
test_path_match (void **state)
{
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (match_table); i++)
    {
      bool m = false;
      cleanup_error cc_error_t err = NULL;
      int r = cc_builder_path_match (match_table[i].pattern, match_table[i].name, &m, &err);
      int got = r < 0 ? BAD : m ? YES : NO;
      if (got != match_table[i].want)
        fail_msg ("Match(`%s`, `%s`) = %d, want %d", match_table[i].pattern, match_table[i].name, got,
                  match_table[i].want);
    }
}

static void
test_has_wildcards (void **state)
{
  (void)state;
  assert_true (cc_builder_has_wildcards ("*.go"));
  assert_true (cc_builder_has_wildcards ("a/b?"));
  assert_true (cc_builder_has_wildcards ("[ab]"));
  assert_false (cc_builder_has_wildcards ("a/b.go"));
  assert_false (cc_builder_has_wildcards ("a\\*b"));
}

/* ---- .dockerignore ------------------------------------------------------ */

static struct cc_dockerignore *
ignore (const char *text)
{
  struct cc_dockerignore *ig = NULL;
  cleanup_error cc_error_t err = NULL;

  if (cc_dockerignore_parse (".dockerignore", text, strlen (text), &ig, &err) < 0)
    fail_msg ("%s", err->msg);
  return ig;
}

static const struct
{
  const char *patterns;
  const char *path;
  bool excluded;
} ignore_table[] = {
  { "*.md", "README.md", true },
  { "*.md", "docs/README.md", false },
  { "**/*.md", "docs/README.md", true },
  { "**/*.md", "README.md", true },
  { "**/*.md", "a/b/c/d.md", true },
  { "docs", "docs", true },
  { "docs", "docs/a/b.txt", true },
  { "docs", "docsx", false },
  { "/docs", "docs/a", true },
  { "./docs", "docs/a", true },
  { "docs/", "docs/a", true },
  { "docs//sub/../x", "docs/x", true },
  { "  spaced.txt   ", "spaced.txt", true },
  { "*\n!README.md", "README.md", false },
  { "*\n!README.md", "a.txt", true },
  { "*\n!README.md", "dir/x", true },
  { "docs\n!docs/keep.md", "docs/keep.md", false },
  { "docs\n!docs/keep.md", "docs/other.md", true },
  { "docs/**\n!docs/**/*.md", "docs/a/b.md", false },
  { "docs/**\n!docs/**/*.md", "docs/a/b.txt", true },
  { "node_modules\n!node_modules/keep", "node_modules/keep/x", false },
  { "node_modules\n!node_modules/keep", "node_modules/other/x", true },
  /* The last pattern that matches decides.  */
  { "!a.txt\n*.txt", "a.txt", true },
  { "*.txt\n!a.txt\na.txt", "a.txt", true },
  { "?.txt", "a.txt", true },
  { "?.txt", "ab.txt", false },
  { "[ab].txt", "a.txt", true },
  { "[ab].txt", "c.txt", false },
  { "[^a].txt", "b.txt", true },
  { "[^a].txt", "a.txt", false },
  { "a\\*b", "a*b", true },
  { "a\\*b", "axb", false },
  { "# a comment\n*.log", "# a comment", false },
  { " #x", "#x", true },
  { "**", "a/b/c", true },
  { "**/foo", "foo", true },
  { "**/foo", "x/foo", true },
  { "**/foo", "xfoo", false },
  /* `**` before a name without a slash is a plain suffix there.  */
  { "**foo", "xfoo", true },
  { "foo/**", "foo/bar", true },
  { "foo/**", "foo", false },
  { "foo/**", "foobar/x", false },
  { "foo**", "foobar", true },
  { "dir/*", "dir/a/b", true },
  { "dir/*", "dir", false },
  /* Patterns are cleaned: `!a/../b` re-includes b; `!../x` names nothing
     inside a context.  */
  { "*\n!a/../b", "b", false },
  { "*\n!../x", "x", true },
  /* Go regexp classes and escapes behind the patterns.  */
  { "[[:digit:]]x", "1x", true },
  { "[[:digit:]]x", "ax", false },
  { "file\\d", "file1", true },
  { "file\\d", "filed", false },
  { "a.b", "aXb", false },
  { "a+b", "a+b", true },
  { "(x)", "(x)", true },
  { "x^y*", "x^yz", false },
  { "*.txt", "a\nb.txt", true },
  { "a**", "a\nb", true },
  { "a*/**", "ab/\nc", false },
  /* \r of CRLF lines goes.  */
  { "a.txt\r\nb.txt\r\n", "b.txt", true },
  { "\xEF\xBB\xBF"
    "bom.txt",
    "bom.txt", true },
};

static void
test_ignore_table (void **state)
{
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (ignore_table); i++)
    {
      cleanup_dockerignore struct cc_dockerignore *ig = ignore (ignore_table[i].patterns);
      bool ex = false;
      assert_int_equal (cc_dockerignore_excludes (ig, ignore_table[i].path, &ex, NULL), 0);
      if (ex != ignore_table[i].excluded)
        fail_msg ("patterns `%s`, path `%s`: excluded=%d, want %d", ignore_table[i].patterns, ignore_table[i].path, ex,
                  ignore_table[i].excluded);
    }
}

static void
test_ignore_errors (void **state)
{
  static const struct
  {
    const char *text, *err;
  } cases[] = {
    { "!", "illegal exclusion pattern: \"!\"" },
    { "a\n[", "syntax error in pattern" },
    { "ok\n!x[\n", "line 2" },
    { "a\\b", "syntax error in pattern" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      struct cc_dockerignore *ig = NULL;
      cleanup_error cc_error_t err = NULL;
      assert_int_equal (cc_dockerignore_parse (".dockerignore", cases[i].text, strlen (cases[i].text), &ig, &err), -1);
      if (strstr (err->msg, cases[i].err) == NULL)
        fail_msg ("`%s`: error `%s` lacks `%s`", cases[i].text, err->msg, cases[i].err);
    }
}

/* The walker's view: a tree visited top-down, each directory's state
   handed to its entries, excluded directories skipped when nothing can
   come back from under them.  */
static void
test_ignore_walk (void **state)
{
  static const struct
  {
    const char *path;
    bool dir;
    int parent; /* index of the parent directory, -1 at the top */
    bool excluded;
    bool skip;
  } tree[] = {
    { "src", true, -1, false, false },           { "src/main.c", false, 0, false, false },
    { "build", true, -1, true, true },           { "logs", true, -1, true, false },
    { "logs/keep.log", false, 3, false, false }, { "logs/x.log", false, 3, true, false },
    { "a.tmp", false, -1, true, false },
  };
  cleanup_dockerignore struct cc_dockerignore *ig = ignore ("build\nlogs\n*.tmp\n!logs/keep.log\n");
  struct cc_dockerignore_state st[CC_N_ELEMENTS (tree)];

  (void)state;
  memset (st, 0, sizeof (st));
  for (size_t i = 0; i < CC_N_ELEMENTS (tree); i++)
    {
      bool ex = false;
      const struct cc_dockerignore_state *parent = tree[i].parent >= 0 ? &st[tree[i].parent] : NULL;
      assert_int_equal (cc_dockerignore_walk (ig, tree[i].path, parent, &ex, tree[i].dir ? &st[i] : NULL, NULL), 0);
      if (ex != tree[i].excluded)
        fail_msg ("`%s`: excluded=%d", tree[i].path, ex);
      if (tree[i].dir && ex && cc_dockerignore_can_skip_dir (ig, tree[i].path) != tree[i].skip)
        fail_msg ("`%s`: skip=%d", tree[i].path, ! tree[i].skip);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (tree); i++)
    cc_dockerignore_state_release (&st[i]);
}

static void
test_ignore_no_skip_with_wildcard_exception (void **state)
{
  cleanup_dockerignore struct cc_dockerignore *a = ignore ("vendor\n!vendor/*/LICENSE\n");
  cleanup_dockerignore struct cc_dockerignore *b = ignore ("vendor\n!vendor/**\n");
  cleanup_dockerignore struct cc_dockerignore *c = ignore ("vendor\n");

  (void)state;
  /* An exception with a wildcard before its last element: walk all.  */
  assert_false (cc_dockerignore_can_skip_dir (a, "vendor"));
  assert_false (cc_dockerignore_can_skip_dir (a, "other"));
  /* A trailing double star is only a prefix.  */
  assert_false (cc_dockerignore_can_skip_dir (b, "vendor"));
  assert_true (cc_dockerignore_can_skip_dir (b, "other"));
  assert_true (cc_dockerignore_can_skip_dir (c, "vendor"));
}

static void
test_candidates (void **state)
{
  cleanup_strv char **a = cc_dockerignore_candidates ("ctx/sub/Dockerfile.dev", "ctx");
  cleanup_strv char **b = cc_dockerignore_candidates (NULL, "/src");

  (void)state;
  assert_int_equal (cc_strv_len (a), 2);
  assert_string_equal (a[0], "ctx/sub/Dockerfile.dev.dockerignore");
  assert_string_equal (a[1], "ctx/.dockerignore");
  assert_int_equal (cc_strv_len (b), 1);
  assert_string_equal (b[0], "/src/.dockerignore");
}

/* Hostile patterns stay linear: the regular expression runs as an NFA.  */
static void
test_ignore_hostile (void **state)
{
  cleanup_buf struct cc_buf pat = { 0 };
  cleanup_buf struct cc_buf path = { 0 };
  cleanup_dockerignore struct cc_dockerignore *ig = NULL;
  clock_t t0 = clock ();
  bool ex = true;

  (void)state;
  for (int i = 0; i < 2000; i++)
    cc_buf_puts (&pat, "*a");
  cc_buf_puts (&pat, "b\n");
  for (int i = 0; i < 4000; i++)
    cc_buf_putc (&path, 'a');
  ig = ignore (pat.data);
  assert_int_equal (cc_dockerignore_excludes (ig, path.data, &ex, NULL), 0);
  assert_false (ex);
  assert_true ((double)(clock () - t0) / CLOCKS_PER_SEC < 60);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_path_match),   cmocka_unit_test (test_has_wildcards),
    cmocka_unit_test (test_ignore_table), cmocka_unit_test (test_ignore_errors),
    cmocka_unit_test (test_ignore_walk),  cmocka_unit_test (test_ignore_no_skip_with_wildcard_exception),
    cmocka_unit_test (test_candidates),   cmocka_unit_test (test_ignore_hostile),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
