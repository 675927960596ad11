/* Unit tests for runtime/attach.c and runtime/tty.c without a container:
   the rendezvous socket by id (short whatever the id's length, stale
   files replaced, hostile ids refused, gone once closed) and the
   one-byte-plus-descriptor messages both sides exchange.  */
/* cmocka needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"
#include "runtime/runtime.h"

static char state[] = "/tmp/cc-attach-test.XXXXXX";

static int
setup (void **ctx)
{
  (void)ctx;
  strcpy (state, "/tmp/cc-attach-test.XXXXXX");
  assert_non_null (mkdtemp (state));
  setenv ("CCOMPOSE_STATE_DIR", state, 1);
  return 0;
}

static int
teardown (void **ctx)
{
  (void)ctx;
  assert_int_equal (cc_rm_rf (state, NULL), 0);
  unsetenv ("CCOMPOSE_STATE_DIR");
  return 0;
}

static char *
socket_path (const char *id)
{
  cleanup_free char *name = cc_attach_socket_name (id);
  return xasprintf ("%s/containers/%s", state, name);
}

static void
test_names_are_short_and_distinct (void **ctx)
{
  char long_id[129];
  cleanup_free char *a = cc_attach_socket_name ("p-web-run-1"), *b = cc_attach_socket_name ("p-web-run-2");
  cleanup_free char *c = NULL, *again = cc_attach_socket_name ("p-web-run-1");
  struct sockaddr_un sa;

  (void)ctx;
  memset (long_id, 'x', 128);
  long_id[128] = '\0';
  c = cc_attach_socket_name (long_id);
  assert_string_equal (a, again);
  assert_string_not_equal (a, b);
  /* Hidden from the container listing, and short enough for sun_path
     behind /proc/self/fd/<any fd>/.  */
  assert_int_equal (a[0], '.');
  assert_true (strlen ("/proc/self/fd/2147483647/") + strlen (c) < sizeof (sa.sun_path));
  assert_int_equal (cc_runtime_check_id (a, NULL), -1);
}

static void
test_open_connect_close (void **ctx)
{
  struct cc_runtime_attach *a = NULL;
  cleanup_free char *path = socket_path ("proj-svc-run-abc");
  cleanup_close int conn = -1;
  struct stat st;

  (void)ctx;
  /* Nobody listens: the container runs detached.  */
  assert_int_equal (cc_attach_connect ("proj-svc-run-abc"), -1);
  assert_int_equal (cc_runtime_attach_open ("proj-svc-run-abc", &a, NULL), 0);
  assert_int_equal (stat (path, &st), 0);
  assert_true (S_ISSOCK (st.st_mode));
  conn = cc_attach_connect ("proj-svc-run-abc");
  assert_true (conn >= 0);
  /* Connected: the name is gone, the connection stays.  */
  assert_int_equal (stat (path, &st), -1);
  /* Another id finds nothing.  */
  assert_int_equal (cc_attach_connect ("proj-svc-run-abd"), -1);
  cc_runtime_attach_close (a);
  assert_int_equal (stat (path, &st), -1);
}

static void
test_stale_file_is_replaced_and_long_ids_work (void **ctx)
{
  char long_id[129];
  struct cc_runtime_attach *a = NULL;
  cleanup_free char *path = NULL, *dir = xasprintf ("%s/containers", state);
  cleanup_close int conn = -1;

  (void)ctx;
  memset (long_id, 'y', 128);
  long_id[128] = '\0';
  path = socket_path (long_id);
  assert_int_equal (cc_mkdir_p (dir, 0700, NULL), 0);
  assert_int_equal (cc_write_file_atomic (path, "stale", 5, 0600, NULL), 0);
  assert_int_equal (cc_runtime_attach_open (long_id, &a, NULL), 0);
  conn = cc_attach_connect (long_id);
  assert_true (conn >= 0);
  cc_runtime_attach_close (a);
  assert_false (cc_file_exists (path));
}

static void
test_hostile_ids_are_refused (void **ctx)
{
  static const char *const ids[] = { "", "../escape", "a/b", ".hidden", "-x", "a b" };

  (void)ctx;
  for (size_t i = 0; i < CC_N_ELEMENTS (ids); i++)
    {
      struct cc_runtime_attach *a = NULL;
      cc_error_t err = NULL;
      assert_int_equal (cc_runtime_attach_open (ids[i], &a, &err), -1);
      assert_null (a);
      assert_non_null (err);
      cc_error_release (&err);
    }
}

static void
test_messages_carry_a_byte_and_a_descriptor (void **ctx)
{
  int sv[2], p[2], fd = -1;
  char tag = 0, buf[8] = { 0 };

  (void)ctx;
  assert_int_equal (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  assert_int_equal (pipe (p), 0);
  assert_int_equal (cc_fd_send (sv[0], 'i', p[0], NULL), 0);
  assert_int_equal (cc_fd_receive (sv[1], &tag, &fd), 0);
  assert_int_equal (tag, 'i');
  assert_true (fd >= 0 && fd != p[0]);
  /* Received close-on-exec: nothing leaks into the program.  */
  assert_true (fcntl (fd, F_GETFD) & FD_CLOEXEC);
  assert_int_equal (write (p[1], "hi", 2), 2);
  assert_int_equal (read (fd, buf, sizeof (buf)), 2);
  assert_string_equal (buf, "hi");
  close (fd);
  /* A byte alone.  */
  assert_int_equal (cc_fd_send (sv[0], 'g', -1, NULL), 0);
  assert_int_equal (cc_fd_receive (sv[1], &tag, &fd), 0);
  assert_int_equal (tag, 'g');
  assert_int_equal (fd, -1);
  /* The peer gone: EOF, and an error to send.  */
  close (sv[0]);
  assert_int_equal (cc_fd_receive (sv[1], &tag, &fd), -1);
  {
    cc_error_t err = NULL;
    assert_int_equal (cc_fd_send (sv[1], 'x', -1, &err), -1);
    assert_non_null (err);
    cc_error_release (&err);
  }
  close (sv[1]);
  close (p[0]);
  close (p[1]);
}

/* The container's side with a caller that went away, or that sends
   something unexpected: PID 1 goes on detached, stdio untouched.  */
static void
test_container_side_tolerates_a_gone_or_odd_caller (void **ctx)
{
  int sv[2];
  struct stat before, after;

  (void)ctx;
  assert_int_equal (cc_attach_stdio (-1, -1, NULL), 0);
  assert_int_equal (fstat (0, &before), 0);
  assert_int_equal (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  close (sv[0]);
  assert_int_equal (cc_attach_stdio (sv[1], -1, NULL), 0);
  close (sv[1]);
  assert_int_equal (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  /* 'i' without a descriptor, then an unknown tag.  */
  assert_int_equal (cc_fd_send (sv[0], 'i', -1, NULL), 0);
  assert_int_equal (cc_attach_stdio (sv[1], -1, NULL), 0);
  assert_int_equal (cc_fd_send (sv[0], 'z', -1, NULL), 0);
  assert_int_equal (cc_attach_stdio (sv[1], -1, NULL), 0);
  close (sv[0]);
  close (sv[1]);
  assert_int_equal (fstat (0, &after), 0);
  assert_int_equal (before.st_ino, after.st_ino);
  assert_int_equal (before.st_dev, after.st_dev);
}

/* Docker's --detach-keys: single characters and ctrl- of a-z @ [ \\ ] ^ _.  */
static void
test_detach_keys_follow_dockers_syntax (void **state_)
{
  struct cc_detach_keys k;
  cc_error_t err = NULL;
  static const char *const bad[] = { "", ",", "ctrl-", "ctrl-1", "ctrl-ab", "alt-a", "ab", "ctrl-A" };

  (void)state_;
  assert_int_equal (cc_runtime_detach_keys_parse (NULL, &k, &err), 0);
  assert_int_equal (k.n, 2);
  assert_int_equal (k.seq[0], 0x10);
  assert_int_equal (k.seq[1], 0x11);
  assert_int_equal (cc_runtime_detach_keys_parse ("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_,x,DEL", &k, &err), 0);
  assert_int_equal (k.n, 8);
  assert_memory_equal (k.seq, "\0\033\034\035\036\037x\177", 8);
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      assert_int_equal (cc_runtime_detach_keys_parse (bad[i], &k, &err), -1);
      assert_non_null (strstr (err->msg, "invalid detach keys"));
      cc_error_release (&err);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_names_are_short_and_distinct),
    cmocka_unit_test_setup_teardown (test_open_connect_close, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stale_file_is_replaced_and_long_ids_work, setup, teardown),
    cmocka_unit_test_setup_teardown (test_hostile_ids_are_refused, setup, teardown),
    cmocka_unit_test (test_messages_carry_a_byte_and_a_descriptor),
    cmocka_unit_test (test_container_side_tolerates_a_gone_or_odd_caller),
    cmocka_unit_test (test_detach_keys_follow_dockers_syntax),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
