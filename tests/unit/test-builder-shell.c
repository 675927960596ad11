/* Unit tests for builder/shell.c: BuildKit's word expansion, one table
   of cases written from the documented rules (Dockerfile reference,
   "Environment replacement"; frontend 1.7 for the pattern forms).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static struct cc_bld_vars *
env (void)
{
  struct cc_bld_vars *v = cc_bld_vars_new ();

  cc_bld_vars_set (v, "A", "a");
  cc_bld_vars_set (v, "EMPTY", "");
  cc_bld_vars_set (v, "SP", "x y");
  cc_bld_vars_set (v, "FILE", "archive.tar.gz");
  cc_bld_vars_set (v, "P", "/usr/local/bin:/usr/bin");
  cc_bld_vars_set (v, "NL", "a\nb");
  cc_bld_vars_set (v, "_u1", "under");
  return v;
}

/* EXPECT NULL: an error whose message contains ERR.  */
static const struct
{
  const char *in;
  const char *expect;
  const char *err;
} word_table[] = {
  /* plain and simple references */
  { "hello", "hello", NULL },
  { "", "", NULL },
  { "$A", "a", NULL },
  { "${A}", "a", NULL },
  { "x${A}y", "xay", NULL },
  { "$A$A", "aa", NULL },
  { "$Ab", "", NULL },
  { "${A}b", "ab", NULL },
  { "$A-b", "a-b", NULL },
  { "$A.b", "a.b", NULL },
  { "$_u1", "under", NULL },
  { "$UNSET", "", NULL },
  { "${UNSET}", "", NULL },
  { "$", "$", NULL },
  { "a$", "a$", NULL },
  { "$ a", "$ a", NULL },
  { "$1", "", NULL },
  { "$12b", "b", NULL },
  { "$@", "", NULL },
  { "$$", "", NULL },
  { "${#}", "", NULL },
  /* defaults and alternatives */
  { "${UNSET:-def}", "def", NULL },
  { "${EMPTY:-def}", "def", NULL },
  { "${A:-def}", "a", NULL },
  { "${UNSET-def}", "def", NULL },
  { "${EMPTY-def}", "", NULL },
  { "${A-def}", "a", NULL },
  { "${UNSET:-}", "", NULL },
  { "${A:+alt}", "alt", NULL },
  { "${EMPTY:+alt}", "", NULL },
  { "${UNSET:+alt}", "", NULL },
  { "${EMPTY+alt}", "alt", NULL },
  { "${UNSET+alt}", "", NULL },
  { "${UNSET:-${A}}", "a", NULL },
  { "${UNSET:-${UNSET2:-deep}}", "deep", NULL },
  { "${A:+${UNSET:-x}y}", "xy", NULL },
  { "${UNSET:-'quoted $A'}", "quoted $A", NULL },
  { "${UNSET:-\"dq $A\"}", "dq a", NULL },
  { "${UNSET:-a\\}b}", "a}b", NULL },
  /* errors that stop the build */
  { "${UNSET:?}", NULL, "UNSET: is not allowed to be unset" },
  { "${UNSET?}", NULL, "UNSET: is not allowed to be unset" },
  { "${EMPTY:?}", NULL, "EMPTY: is not allowed to be empty" },
  { "${EMPTY?}", "", NULL },
  { "${UNSET:?set it please}", NULL, "UNSET: set it please" },
  { "${A:?x}", "a", NULL },
  { "${}", NULL, "bad substitution" },
  { "${:}", NULL, "bad substitution" },
  { "${{A}}", NULL, "bad substitution" },
  { "${", NULL, "missing '}'" },
  { "${A", NULL, "unsupported modifier" },
  { "${A:x}", NULL, "unsupported modifier (:x) in substitution" },
  { "${A!}", NULL, "unsupported modifier (!) in substitution" },
  { "${A:-x", NULL, "missing '}'" },
  { "'abc", NULL, "matching single-quote" },
  { "\"abc", NULL, "matching double-quote" },
  { "${A:#x}", NULL, "unsupported modifier (:#) in substitution" },
  { "${A:%x}", NULL, "unsupported modifier (:%) in substitution" },
  { "${A/x", NULL, "missing '/' in ${}" },
  { "${A/x/y", NULL, "missing '}'" },
  /* prefixes and suffixes (frontend 1.7) */
  { "${FILE#*.}", "tar.gz", NULL },
  { "${FILE##*.}", "gz", NULL },
  { "${FILE%.*}", "archive.tar", NULL },
  { "${FILE%%.*}", "archive", NULL },
  { "${FILE#nomatch}", "archive.tar.gz", NULL },
  { "${FILE%nomatch}", "archive.tar.gz", NULL },
  { "${FILE#archive}", ".tar.gz", NULL },
  { "${FILE%.gz}", "archive.tar", NULL },
  { "${FILE#?}", "rchive.tar.gz", NULL },
  { "${FILE#}", "archive.tar.gz", NULL },
  { "${FILE%}", "archive.tar.gz", NULL },
  { "${UNSET#x}", "", NULL },
  { "${P##*/}", "bin", NULL },
  { "${P%%:*}", "/usr/local/bin", NULL },
  { "${FILE#\\*}", "archive.tar.gz", NULL },
  { "${FILE#a\\q}", NULL, "invalid escape" },
  /* a wildcard never crosses a newline (Go's regexp `.`) */
  { "${NL#*b}", "a\nb", NULL },
  { "${NL#a?}", "a\nb", NULL },
  /* replacement */
  { "${P/usr/opt}", "/opt/local/bin:/usr/bin", NULL },
  { "${P//usr/opt}", "/opt/local/bin:/opt/bin", NULL },
  { "${A/a/b}", "b", NULL },
  { "${A/x/b}", "a", NULL },
  { "${UNSET/a/b}", "", NULL },
  { "${FILE/.*/}", "archive", NULL },
  { "${FILE//a/A}", "Archive.tAr.gz", NULL },
  { "${FILE//?/-}", "--------------", NULL },
  /* The replacement is substituted first ($0 is a variable there); a `$`
     that survives it is Go's regexp.Expand's ($0: the match).  */
  { "${A//*/[$0]}", "[]", NULL },
  { "${A//a/\\$0}", "\\a", NULL },
  { "${A//a/$$}", "", NULL },
  /* quotes */
  { "'$A'", "$A", NULL },
  { "\"$A\"", "a", NULL },
  { "\"'$A'\"", "'a'", NULL },
  { "'\"$A\"'", "\"$A\"", NULL },
  { "a'b'c", "abc", NULL },
  { "\"a b\"", "a b", NULL },
  /* escapes */
  { "\\$A", "$A", NULL },
  { "\\\\", "\\", NULL },
  { "a\\ b", "a b", NULL },
  { "\\", "", NULL },
  { "a\\", "a", NULL },
  { "\"\\$A\"", "$A", NULL },
  { "\"\\a\"", "\\a", NULL },
  { "\"\\\"\"", "\"", NULL },
  { "\"\\\\\"", "\\", NULL },
  { "'\\n'", "\\n", NULL },
  /* bytes as Go reads them */
  { "\xEF\xBB\xBFx", "x", NULL },
  { "\xff", "\xEF\xBF\xBD", NULL },
  { "caf\xC3\xA9 $A", "caf\xC3\xA9 a", NULL },
};

static void
test_word_table (void **state)
{
  cleanup_bld_vars struct cc_bld_vars *v = env ();

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (word_table); i++)
    {
      struct cc_bld_lexer lx = { '\\', 0, 0, NULL };
      cleanup_error cc_error_t err = NULL;
      cleanup_free char *out = NULL;
      int r = cc_bld_lex_word (&lx, word_table[i].in, v, &out, &err);

      if (word_table[i].expect)
        {
          if (r < 0)
            fail_msg ("`%s`: unexpected error %s", word_table[i].in, err->msg);
          if (strcmp (out, word_table[i].expect) != 0)
            fail_msg ("`%s`: got `%s`, want `%s`", word_table[i].in, out, word_table[i].expect);
        }
      else
        {
          if (r == 0)
            fail_msg ("`%s`: no error, got `%s`", word_table[i].in, out);
          if (strstr (err->msg, word_table[i].err) == NULL)
            fail_msg ("`%s`: error `%s` lacks `%s`", word_table[i].in, err->msg, word_table[i].err);
          if (strncmp (err->msg, "failed to process \"", 19) != 0)
            fail_msg ("`%s`: error `%s` lacks BuildKit's prefix", word_table[i].in, err->msg);
        }
    }
}

/* ProcessWords: "|"-joined words.  */
static const struct
{
  const char *in;
  const char *expect;
} words_table[] = {
  { "a b  c", "a|b|c" },
  { "  a  ", "a" },
  { "'a b' c", "a b|c" },
  { "$SP", "x|y" },
  { "\"$SP\"", "x y" },
  { "a\\ b", "a b" },
  { "''", "" },
  { "a ''", "a" },
  { "'' a", "a" },
  { "${UNSET:-a b}", "a|b" },
  { "${UNSET:-\"a b\"}", "a|b" },
  { "80 ${A}81", "80|a81" },
  { "x$EMPTY y", "x|y" },
  { "\t80\n81", "80|81" },
};

static void
test_words_table (void **state)
{
  cleanup_bld_vars struct cc_bld_vars *v = env ();

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (words_table); i++)
    {
      struct cc_bld_lexer lx = { '\\', 0, 0, NULL };
      cleanup_strv char **out = NULL;
      cleanup_free char *joined = NULL;

      assert_int_equal (cc_bld_lex_words (&lx, words_table[i].in, v, &out, NULL), 0);
      joined = cc_strv_join (out, "|");
      if (strcmp (joined, words_table[i].expect) != 0)
        fail_msg ("`%s`: got `%s`, want `%s`", words_table[i].in, joined, words_table[i].expect);
    }
}

static char *
lex (char escape, int flags, const char *in, const struct cc_bld_vars *v)
{
  struct cc_bld_lexer lx = { escape, flags, 0, NULL };
  char *out = NULL;

  assert_int_equal (cc_bld_lex_word (&lx, in, v, &out, NULL), 0);
  return out;
}

static void
test_escape_backtick (void **state)
{
  cleanup_bld_vars struct cc_bld_vars *v = env ();
  cleanup_free char *a = lex ('`', 0, "`$A", v);
  cleanup_free char *b = lex ('`', 0, "c:\\$A", v);
  cleanup_free char *c = lex ('`', 0, "\"``\"", v);

  (void)state;
  assert_string_equal (a, "$A");
  /* With ` as the escape character, a backslash is an ordinary one.  */
  assert_string_equal (b, "c:\\a");
  assert_string_equal (c, "`");
}

static void
test_flags (void **state)
{
  cleanup_bld_vars struct cc_bld_vars *v = env ();
  cleanup_free char *skip = lex ('\\', CC_LEX_SKIP_UNSET, "$UNSET ${UNSET:-x} ${UNSET/a/b} ${A}", v);
  cleanup_free char *raw = lex ('\\', CC_LEX_RAW_QUOTES, "'a' \"$A\"", v);
  cleanup_free char *esc = lex ('\\', CC_LEX_RAW_ESCAPES, "a\\ b \"\\a\"", v);
  cleanup_free char *noq = lex ('\\', CC_LEX_SKIP_QUOTES, "'$A' \"x\"", v);

  (void)state;
  assert_string_equal (skip, "$UNSET ${UNSET:-x} ${UNSET/a/b} a");
  assert_string_equal (raw, "'a' \"a\"");
  /* Raw escapes keep the backslash, and inside double quotes Go's lexer
     writes it twice when it escapes nothing.  */
  assert_string_equal (esc, "a\\ b \\\\a");
  assert_string_equal (noq, "'a' \"x\"");
}

static void
test_matches (void **state)
{
  cleanup_bld_vars struct cc_bld_vars *v = env ();
  cleanup_bld_vars struct cc_bld_vars *m = cc_bld_vars_new ();
  struct cc_bld_lexer lx = { '\\', 0, 0, m };
  cleanup_free char *out = NULL;

  (void)state;
  assert_int_equal (cc_bld_lex_word (&lx, "$A ${UNSET:-x} ${FILE%.gz}", v, &out, NULL), 0);
  assert_int_equal (cc_bld_vars_count (m), 2);
  assert_non_null (cc_bld_vars_get (m, "A"));
  assert_non_null (cc_bld_vars_get (m, "FILE"));
}

/* Hostile input: deep nesting is refused, not a stack overflow; huge
   and exponential expansions stop at the budget.  */
static void
test_hostile_nesting (void **state)
{
  cleanup_bld_vars struct cc_bld_vars *v = env ();
  cleanup_buf struct cc_buf b = { 0 };
  struct cc_bld_lexer lx = { '\\', 0, 0, NULL };
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *out = NULL;

  (void)state;
  for (int i = 0; i < 100000; i++)
    cc_buf_puts (&b, "${U:-");
  for (int i = 0; i < 100000; i++)
    cc_buf_putc (&b, '}');
  assert_int_equal (cc_bld_lex_word (&lx, b.data, v, &out, &err), -1);
  assert_non_null (strstr (err->msg, "nested more than"));
}

static void
test_hostile_budget (void **state)
{
  cleanup_bld_vars struct cc_bld_vars *v = cc_bld_vars_new ();
  struct cc_bld_lexer lx = { '\\', 0, 0, NULL };
  cleanup_free char *big = xmalloc ((1 << 20) + 1);
  const char *names[] = { "B", "C", "D", "E", "F", "G", "H", "I", "J" };
  cleanup_error cc_error_t err = NULL;
  int r = 0;
  clock_t t0 = clock ();

  (void)state;
  memset (big, 'x', 1 << 20);
  big[1 << 20] = '\0';
  cc_bld_vars_set (v, "A", big);
  /* Each level doubles: 2^9 MiB, past the budget long before.  */
  for (size_t i = 0; i < CC_N_ELEMENTS (names) && r == 0; i++)
    {
      cleanup_free char *out = NULL;
      cleanup_free char *ref = xasprintf ("$%s$%s", i ? names[i - 1] : "A", i ? names[i - 1] : "A");
      r = cc_bld_lex_word (&lx, ref, v, &out, &err);
      if (r == 0)
        cc_bld_vars_set (v, names[i], out);
    }
  assert_int_equal (r, -1);
  assert_true (strstr (err->msg, "longer than") != NULL || strstr (err->msg, "more than") != NULL);
  assert_true ((clock () - t0) / CLOCKS_PER_SEC < 20);
}

/* A long value through a pattern: linear, not quadratic.  */
static void
test_hostile_pattern (void **state)
{
  cleanup_bld_vars struct cc_bld_vars *v = cc_bld_vars_new ();
  struct cc_bld_lexer lx = { '\\', 0, 0, NULL };
  cleanup_free char *big = xmalloc ((2 << 20) + 1);
  cleanup_free char *out = NULL;
  clock_t t0 = clock ();

  (void)state;
  memset (big, 'a', 2 << 20);
  big[2 << 20] = '\0';
  cc_bld_vars_set (v, "A", big);
  assert_int_equal (cc_bld_lex_word (&lx, "${A/*b/x}", v, &out, NULL), 0);
  assert_int_equal (strlen (out), 2 << 20);
  free (out);
  out = NULL;
  assert_int_equal (cc_bld_lex_word (&lx, "${A%%*b}", v, &out, NULL), 0);
  assert_true ((clock () - t0) / CLOCKS_PER_SEC < 20);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_word_table),      cmocka_unit_test (test_words_table),
    cmocka_unit_test (test_escape_backtick), cmocka_unit_test (test_flags),
    cmocka_unit_test (test_matches),         cmocka_unit_test (test_hostile_nesting),
    cmocka_unit_test (test_hostile_budget),  cmocka_unit_test (test_hostile_pattern),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
