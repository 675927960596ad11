/* Unit tests for lib/error.c and lib/visible.c: messages that quote
   hostile paths or user text never carry terminal control bytes.  */
/* cmocka needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/file.h"
#include "lib/visible.h"
#include "lib/xalloc.h"

/* ESC [ 2 J clears the screen, ESC ] 0 ; sets the window title, BEL, a
   CR that would overwrite the line, the 8-bit CSI (U+009B) both encoded
   and as a bare byte, DEL, and a truncated UTF-8 sequence.  */
#define HOSTILE                                                                                                        \
  "/tmp/\x1b[2J\x1b]0;pwned\a\rfake\xc2\x9b"                                                                           \
  "31m\x9b\x7f\xe2\x82"

static void
assert_no_controls (const char *s)
{
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    {
      assert_false (*p < 0x20 && *p != '\n' && *p != '\t');
      assert_false (*p == 0x7f);
      assert_false (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f);
    }
}

static void
test_visible_replaces_controls (void **state)
{
  char s[] = HOSTILE;
  char ok[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3\ttab\nline";
  char overlong[] = "\xc0\xafx\xf5\x80\x80\x80";

  (void)state;
  assert_string_equal (cc_make_visible (s, ""), "/tmp/?[2J?]0;pwned??fake?31m????");
  /* Valid UTF-8 (two to four bytes) and the kept controls go through.  */
  assert_string_equal (cc_make_visible (ok, "\n\t"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3\ttab\nline");
  assert_string_equal (cc_make_visible (ok, ""), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3?tab?line");
  /* An overlong slash and a lead byte past U+10FFFF are not UTF-8.  */
  assert_string_equal (cc_make_visible (overlong, ""), "??x????");
  assert_null (cc_make_visible (NULL, ""));
}

static void
test_error_make_and_wrap_filter_hostile_text (void **state)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *s = NULL;

  (void)state;
  assert_int_equal (cc_error_make (&err, ENOENT, "open `%s`", HOSTILE), -1);
  assert_int_equal (cc_error_wrap (&err, "service `%s`", "web\x1b[0m"), -1);
  s = cc_error_string (err);
  assert_no_controls (s);
  assert_string_equal (s, "service `web?[0m`: open `/tmp/?[2J?]0;pwned??fake?31m????`: No such file or directory");
  assert_int_equal (err->status, ENOENT);
}

static void
test_error_keeps_lines_and_lists (void **state)
{
  cleanup_error cc_error_t list = NULL, one = NULL;

  (void)state;
  cc_error_make (&list, 0, "container web exited (1); last log lines:\n\x1b[31mboom\x1b[0m\n\tat main");
  cc_error_make (&one, EBUSY, "remove `%s`",
                 "/run/\x1b"
                 "c");
  cc_error_append (&list, &one);
  assert_null (one);
  assert_string_equal (list->msg, "container web exited (1); last log lines:\n?[31mboom?[0m\n\tat main\n"
                                  "  remove `/run/?c`: Device or resource busy");
}

/* What reaches the terminal: cc_error_print's line on stderr.  */
static void
test_error_print_is_visible (void **state)
{
  char tmpl[] = "/tmp/test-lib-error-XXXXXX";
  cleanup_close int fd = mkstemp (tmpl);
  cleanup_close int saved = dup (STDERR_FILENO);
  cleanup_free char *printed = NULL;
  cc_error_t err = NULL;

  (void)state;
  assert_true (fd >= 0 && saved >= 0);
  cc_error_make (&err, EACCES, "exec `%s`", HOSTILE);
  fflush (stderr);
  dup2 (fd, STDERR_FILENO);
  cc_error_print (&err);
  fflush (stderr);
  dup2 (saved, STDERR_FILENO);
  cc_error_release (&err);
  assert_int_equal (cc_read_file (tmpl, &printed, NULL, NULL), 0);
  unlink (tmpl);
  assert_string_equal (printed, "ccompose: exec `/tmp/?[2J?]0;pwned??fake?31m????`: Permission denied\n");
}

/* Formatting is skipped when nobody takes the error, and a second error
   replaces the first.  */
static void
test_error_null_and_replace (void **state)
{
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_error_make (NULL, EINVAL, "%s", "dropped"), -1);
  assert_int_equal (cc_error_wrap (NULL, "ctx"), -1);
  assert_int_equal (cc_error_wrap (&err, "ctx"), -1);
  assert_null (err);
  cc_error_make (&err, EINVAL, "first");
  cc_error_make (&err, 0, "second");
  assert_string_equal (err->msg, "second");
  assert_int_equal (err->status, 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_visible_replaces_controls),
    cmocka_unit_test (test_error_make_and_wrap_filter_hostile_text),
    cmocka_unit_test (test_error_keeps_lines_and_lists),
    cmocka_unit_test (test_error_print_is_visible),
    cmocka_unit_test (test_error_null_and_replace),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
