/* Unit tests for runtime/install.c: which files are monitor programs, and
   which of them a new build removes.  A private temporary directory, no
   root.  */
/* cmocka needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"
#include "runtime/install.h"

static void
test_monitor_names (void **state)
{
  (void)state;
  assert_true (cc_runtime_is_monitor_name ("ccompose-monitor-0123456789abcdef"));
  assert_false (cc_runtime_is_monitor_name ("ccompose-monitor-0123456789abcde"));
  assert_false (cc_runtime_is_monitor_name ("ccompose-monitor-0123456789abcdef0"));
  assert_false (cc_runtime_is_monitor_name ("ccompose-monitor-0123456789ABCDEF"));
  assert_false (cc_runtime_is_monitor_name ("ccompose-monitor-0123456789abcdef.tmp.42"));
  assert_false (cc_runtime_is_monitor_name ("ccompose-monitor-../../etc/passwd"));
  assert_false (cc_runtime_is_monitor_name ("ccompose-monitor-"));
  assert_false (cc_runtime_is_monitor_name ("ccompose-init-0123456789abcdef"));
  assert_false (cc_runtime_is_monitor_name (""));
}

static char *
put (const char *dir, const char *name)
{
  char *path = cc_path_join (dir, name);

  assert_int_equal (cc_write_file_atomic (path, "x", 1, 0555, NULL), 0);
  return path;
}

static void
test_remove_stale_keeps_current_held_and_foreign (void **state)
{
  char tmpl[] = "/tmp/test-runtime-install-XXXXXX";
  char *dir = mkdtemp (tmpl);
  cleanup_free char *current = NULL, *old = NULL, *held = NULL, *partial = NULL, *foreign = NULL;
  cleanup_close int lock = -1;

  (void)state;
  assert_non_null (dir);
  current = put (dir, "ccompose-monitor-1111111111111111");
  old = put (dir, "ccompose-monitor-2222222222222222");
  held = put (dir, "ccompose-monitor-3333333333333333");
  partial = put (dir, "ccompose-monitor-4444444444444444.tmp.7");
  foreign = put (dir, "notes");
  /* An installer of another build between its check and its exec.  */
  lock = open (held, O_RDONLY | O_CLOEXEC);
  assert_true (lock >= 0);
  assert_int_equal (flock (lock, LOCK_SH), 0);

  assert_int_equal (cc_runtime_remove_stale_monitors (dir, "ccompose-monitor-1111111111111111"), 1);
  assert_true (cc_file_exists (current));
  assert_false (cc_file_exists (old));
  assert_true (cc_file_exists (held));
  assert_true (cc_file_exists (partial));
  assert_true (cc_file_exists (foreign));

  close (get_and_reset (&lock));
  assert_int_equal (cc_runtime_remove_stale_monitors (dir, "ccompose-monitor-1111111111111111"), 1);
  assert_false (cc_file_exists (held));
  /* Nothing left to remove, and a missing directory is no error.  */
  assert_int_equal (cc_runtime_remove_stale_monitors (dir, "ccompose-monitor-1111111111111111"), 0);
  assert_int_equal (cc_rm_rf (dir, NULL), 0);
  assert_int_equal (cc_runtime_remove_stale_monitors (dir, "x"), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_monitor_names),
    cmocka_unit_test (test_remove_stale_keeps_current_held_and_foreign),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
