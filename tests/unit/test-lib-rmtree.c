/* Unit tests for cc_rm_rf (lib/rmtree.c): a 60,000-level tree under a
   descriptor limit of 32, directories without permission bits, symlinks
   to the outside, mount points (another filesystem, and a bind mount of
   the same one), and one bounded error line.  The tests that need a
   private mount namespace or another uid run in a child and are skipped
   where the kernel refuses.  */
/* cmocka needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/file.h"
#include "lib/xalloc.h"

#define DEEP 60000
#define SKIPPED 77

static void
touch (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

  assert_true (fd >= 0);
  close (fd);
}

/* DEPTH directories "d" inside each other below DIR, a file at each
   level; built with two descriptors at most.  */
static int
make_deep (const char *dir, int depth)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  for (int i = 0; fd >= 0 && i < depth; i++)
    {
      int next, f = openat (fd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

      if (f < 0 || mkdirat (fd, "d", 0755) < 0)
        {
          close (fd);
          return -1;
        }
      close (f);
      next = openat (fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      close (fd);
      fd = next;
    }
  if (fd < 0)
    return -1;
  close (fd);
  return 0;
}

/* Run FN in a child; its exit status (SKIPPED: skip the test).  */
static int
in_child (int (*fn) (const char *), const char *arg)
{
  int status;
  pid_t pid = fork ();

  assert_true (pid >= 0);
  if (pid == 0)
    _exit (fn (arg));
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

/* On tmpfs where there is one: this machine's disk takes about 1 ms per
   rmdir, and the deep tree has 60,000 of them.  */
static char *
scratch (void)
{
  char *dir = xstrdup (cc_is_dir ("/dev/shm") ? "/dev/shm/cc-unit-rm-XXXXXX" : "/tmp/cc-unit-rm-XXXXXX");

  assert_non_null (mkdtemp (dir));
  return dir;
}

static int
remove_deep_with_few_fds (const char *dir)
{
  struct rlimit rl = { 32, 32 };
  cleanup_free char *top = cc_path_join (dir, "tree");
  cc_error_t err = NULL;

  if (mkdir (top, 0755) < 0 || make_deep (top, DEEP) < 0)
    return 2;
  if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
    return 3;
  if (cc_rm_rf (top, &err) < 0)
    {
      cleanup_free char *s = cc_error_string (err);
      fprintf (stderr, "%s\n", s);
      cc_error_release (&err);
      return 4;
    }
  return cc_file_exists (top) ? 5 : 0;
}

static void
test_rm_deep_tree_with_few_descriptors (void **state)
{
  cleanup_free char *dir = scratch ();

  (void)state;
  assert_int_equal (in_child (remove_deep_with_few_fds, dir), 0);
  assert_int_equal (cc_rm_rf (dir, NULL), 0);
}

/* Overlay's work/work is d---------; a layer may hold r-x directories
   with files in them.  Without CAP_DAC_OVERRIDE (as nobody when the
   test runs as root) nothing of this could be listed or removed.  */
static int
remove_locked (const char *dir)
{
  cleanup_free char *top = cc_path_join (dir, "t");
  cleanup_free char *a = cc_path_join (top, "a"), *b = cc_path_join (a, "b"), *c = cc_path_join (top, "c");
  cleanup_free char *w = cc_path_join (top, "work");
  cleanup_free char *fa = cc_path_join (a, "f"), *fb = cc_path_join (b, "f"), *fc = cc_path_join (c, "f");
  cc_error_t err = NULL;

  if (getuid () == 0 && (setgid (65534) < 0 || setuid (65534) < 0))
    return 2;
  if (mkdir (top, 0755) < 0 || mkdir (a, 0755) < 0 || mkdir (b, 0755) < 0 || mkdir (c, 0755) < 0 || mkdir (w, 0755) < 0)
    return 3;
  touch (fa);
  touch (fb);
  touch (fc);
  if (chmod (b, 0) < 0 || chmod (a, 0) < 0 || chmod (c, 0555) < 0 || chmod (w, 0) < 0)
    return 4;
  if (cc_rm_rf (top, &err) < 0)
    {
      cleanup_free char *s = cc_error_string (err);
      fprintf (stderr, "%s\n", s);
      cc_error_release (&err);
      return 5;
    }
  return cc_file_exists (top) ? 6 : 0;
}

static void
test_rm_directories_without_permissions (void **state)
{
  cleanup_free char *dir = scratch ();

  (void)state;
  if (getuid () == 0)
    assert_int_equal (chown (dir, 65534, 65534), 0);
  assert_int_equal (in_child (remove_locked, dir), 0);
  assert_int_equal (cc_rm_rf (dir, NULL), 0);
}

static void
test_rm_symlinks_not_followed (void **state)
{
  cleanup_free char *dir = scratch ();
  cleanup_free char *out = cc_path_join (dir, "outside"), *kept = cc_path_join (out, "kept");
  cleanup_free char *top = cc_path_join (dir, "t"), *sub = cc_path_join (top, "sub");
  cleanup_free char *l1 = cc_path_join (top, "to-dir"), *l2 = cc_path_join (sub, "to-file");
  cleanup_free char *l3 = cc_path_join (sub, "relative"), *link_root = cc_path_join (dir, "link-root");
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (mkdir (out, 0755), 0);
  touch (kept);
  assert_int_equal (mkdir (top, 0755), 0);
  assert_int_equal (mkdir (sub, 0755), 0);
  assert_int_equal (symlink (out, l1), 0);
  assert_int_equal (symlink (kept, l2), 0);
  assert_int_equal (symlink ("../../outside", l3), 0);
  assert_int_equal (symlink (out, link_root), 0);
  /* A link given as the tree is removed as a link.  */
  assert_int_equal (cc_rm_rf (link_root, &err), 0);
  assert_false (cc_file_exists (link_root));
  assert_true (cc_file_exists (kept));
  assert_int_equal (cc_rm_rf (top, &err), 0);
  assert_false (cc_file_exists (top));
  assert_true (cc_file_exists (kept));
  assert_int_equal (cc_rm_rf (dir, &err), 0);
}

static int
private_mounts (void)
{
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return -1;
  return 0;
}

/* A tmpfs and a bind mount of a directory of the same filesystem (same
   device: only the mount id tells it) inside the tree, one of them 2,000
   levels down: both are kept with what they hold, everything else goes,
   and the failure is one line with a shortened path.  */
static int
remove_around_mounts (const char *dir)
{
  cleanup_free char *top = cc_path_join (dir, "t"), *out = cc_path_join (dir, "outside");
  cleanup_free char *kept = cc_path_join (out, "kept"), *a = cc_path_join (top, "a");
  cleanup_free char *tmpfs = cc_path_join (a, "tmpfs"), *in_tmpfs = cc_path_join (tmpfs, "kept");
  cleanup_free char *other = cc_path_join (top, "other"), *deep = cc_path_join (top, "deep");
  cleanup_free char *bind = NULL;
  cc_error_t err = NULL;
  int fd, next;

  if (private_mounts () < 0)
    return SKIPPED;
  if (mkdir (out, 0755) < 0 || mkdir (top, 0755) < 0 || mkdir (a, 0755) < 0 || mkdir (tmpfs, 0755) < 0
      || mkdir (other, 0755) < 0 || mkdir (deep, 0755) < 0 || make_deep (deep, 2000) < 0)
    return 2;
  touch (kept);
  /* The bind mount at the bottom of the deep tree.  */
  fd = open (deep, O_RDONLY | O_DIRECTORY);
  for (int i = 0; fd >= 0 && i < 2000; i++)
    {
      next = openat (fd, "d", O_RDONLY | O_DIRECTORY);
      close (fd);
      fd = next;
    }
  if (fd < 0)
    return 3;
  bind = xasprintf ("/proc/self/fd/%d", fd);
  if (mount ("tmpfs", tmpfs, "tmpfs", 0, "size=1m") < 0 || mount (out, bind, NULL, MS_BIND, NULL) < 0)
    return 4;
  close (fd);
  touch (in_tmpfs);
  if (cc_rm_rf (top, &err) == 0)
    return 5;
  fprintf (stderr, "%s\n", err->msg);
  if (err->status != EBUSY || strstr (err->msg, "is a mount point") == NULL || strchr (err->msg, '\n') != NULL
      || strlen (err->msg) > 512 || strstr (err->msg, top) == NULL)
    return 6;
  cc_error_release (&err);
  if (! cc_file_exists (kept) || ! cc_file_exists (in_tmpfs))
    return 7;
  if (cc_file_exists (other))
    return 8;
  if (umount2 (tmpfs, MNT_DETACH) < 0)
    return 9;
  return 0;
}

static void
test_rm_mount_points_not_crossed (void **state)
{
  cleanup_free char *dir = scratch ();
  cleanup_free char *kept = cc_path_join (dir, "outside/kept");
  int ret;

  (void)state;
  ret = in_child (remove_around_mounts, dir);
  if (ret != SKIPPED)
    {
      assert_int_equal (ret, 0);
      assert_true (cc_file_exists (kept));
    }
  /* The child's mounts went with its namespace.  */
  assert_int_equal (cc_rm_rf (dir, NULL), 0);
  if (ret == SKIPPED)
    skip ();
}

static void
test_rm_missing_and_file (void **state)
{
  cleanup_free char *dir = scratch ();
  cleanup_free char *file = cc_path_join (dir, "f");

  (void)state;
  touch (file);
  assert_int_equal (cc_rm_rf (file, NULL), 0);
  assert_false (cc_file_exists (file));
  assert_int_equal (cc_rm_rf (file, NULL), 0);
  assert_int_equal (cc_rm_rf (dir, NULL), 0);
  assert_false (cc_file_exists (dir));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_rm_deep_tree_with_few_descriptors),
    cmocka_unit_test (test_rm_directories_without_permissions),
    cmocka_unit_test (test_rm_symlinks_not_followed),
    cmocka_unit_test (test_rm_mount_points_not_crossed),
    cmocka_unit_test (test_rm_missing_and_file),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
