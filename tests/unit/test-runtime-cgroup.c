/* Unit tests for the cgroup v2 limits (runtime/cgroup-v2.c) against a
   directory of plain files standing in for a leaf: this host's hybrid
   layout cannot run them, so what each key writes, and what v2 refuses
   by name, is checked here.  */
/* cmocka needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"
#include "runtime/runtime.h"

static const char *const leaf_files[]
    = { "memory.max", "memory.low", "cpu.max", "cpu.weight", "pids.max", "cpuset.cpus", "io.max" };

static char *
make_leaf (bool with_io_weight)
{
  char tmpl[] = "/tmp/cc-cg-unit.XXXXXX";
  char *dir = xstrdup (mkdtemp (tmpl));

  for (size_t i = 0; i < CC_N_ELEMENTS (leaf_files); i++)
    {
      cleanup_free char *p = xasprintf ("%s/%s", dir, leaf_files[i]);
      assert_int_equal (cc_write_file_replace (p, "", 0, 0644, NULL), 0);
    }
  if (with_io_weight)
    {
      cleanup_free char *p = xasprintf ("%s/io.weight", dir);
      assert_int_equal (cc_write_file_replace (p, "", 0, 0644, NULL), 0);
    }
  return dir;
}

static void
remove_leaf (char *dir)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      {
        cleanup_free char *p = xasprintf ("%s/%s", dir, de->d_name);
        unlink (p);
      }
  rmdir (dir);
  free (dir);
}

static char *
leaf_read (const char *dir, const char *file)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  char *text = NULL;

  assert_int_equal (cc_read_file (p, &text, NULL, NULL), 0);
  return text;
}

/* A block device of this machine and its "major:minor", or false.  */
static bool
some_block_device (char *path, size_t size, char *dev)
{
  cleanup_dir DIR *d = opendir ("/sys/block");
  struct dirent *de;
  struct stat st;

  while (d && (de = readdir (d)) != NULL)
    {
      snprintf (path, size, "/dev/%s", de->d_name);
      if (de->d_name[0] != '.' && stat (path, &st) == 0 && S_ISBLK (st.st_mode))
        {
          snprintf (dev, 32, "%u:%u", major (st.st_rdev), minor (st.st_rdev));
          return true;
        }
    }
  return false;
}

static void
test_v2_limits_reach_their_files (void **state)
{
  cleanup_error cc_error_t err = NULL;
  char *dir = make_leaf (true);
  char blk[300], dev[32];
  cleanup_free char *rbps = NULL, *wdev = NULL, *io_max = NULL, *weight = NULL, *expect = NULL;
  struct cc_runtime_resources r = { .cpu_quota = 25000, .cpu_period = 50000, .memory_swappiness = -1 };
  char *cpus = NULL;

  (void)state;
  if (! some_block_device (blk, sizeof (blk), dev))
    skip ();
  r.cpuset_cpus = cpus = xstrdup ("0-1");
  r.blkio_weight = 300;
  rbps = xasprintf ("%s 1048576", blk);
  r.blkio_read_bps = (char *[]){ rbps, NULL };
  assert_int_equal (cc_cgroup_v2_set_limits (dir, &r, &err), 0);
  free (cpus);
  {
    cleanup_free char *cpu_max = leaf_read (dir, "cpu.max"), *cpuset = leaf_read (dir, "cpuset.cpus");
    assert_string_equal (cpu_max, "25000 50000");
    assert_string_equal (cpuset, "0-1");
  }
  /* blk-iocost's io.weight takes "default N"; throttles are io.max lines.  */
  weight = leaf_read (dir, "io.weight");
  assert_string_equal (weight, "default 300");
  io_max = leaf_read (dir, "io.max");
  expect = xasprintf ("%s rbps=1048576", dev);
  assert_string_equal (io_max, expect);
  /* A device weight: "MAJOR:MINOR N" into the same file (emptied: a
     plain file, unlike a cgroup's, keeps what a shorter write leaves).  */
  {
    cleanup_free char *p = xasprintf ("%s/io.weight", dir);
    assert_int_equal (cc_write_file_replace (p, "", 0, 0644, NULL), 0);
  }
  wdev = xasprintf ("%s 500", blk);
  r = (struct cc_runtime_resources){ .memory_swappiness = -1, .blkio_weight_device = (char *[]){ wdev, NULL } };
  assert_int_equal (cc_cgroup_v2_set_limits (dir, &r, &err), 0);
  {
    cleanup_free char *w = leaf_read (dir, "io.weight"), *want = xasprintf ("%s 500", dev);
    assert_string_equal (w, want);
  }
  remove_leaf (dir);
}

/* No proportional scheduler, and keys v2 has no file for: each refused
   by the key's name, never dropped.  */
static void
test_v2_refuses_what_it_cannot_honour (void **state)
{
  static const struct
  {
    struct cc_runtime_resources r;
    const char *message;
  } cases[] = {
    { { .memory_swappiness = 10 }, "mem_swappiness: cgroup v2 has no memory.swappiness" },
    { { .memory_swappiness = -1, .oom_kill_disable = true }, "oom_kill_disable: cgroup v2 has no memory.oom_control" },
    { { .memory_swappiness = -1, .cpu_rt_runtime = 1000 },
      "cpu_rt_runtime: cgroup v2 has no real-time group scheduling" },
    { { .memory_swappiness = -1, .blkio_weight = 300 }, "blkio_config weight: no proportional I/O scheduler" },
  };
  char *dir = make_leaf (false);

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_error cc_error_t err = NULL;
      assert_int_equal (cc_cgroup_v2_set_limits (dir, &cases[i].r, &err), -1);
      assert_non_null (strstr (err->msg, cases[i].message));
    }
  remove_leaf (dir);
}

/* "PATH N" to the device's numbers; anything else named in the error.  */
static void
test_block_device_entries (void **state)
{
  cleanup_error cc_error_t err = NULL, err2 = NULL, err3 = NULL;
  char dev[32];
  int64_t n = 0;

  (void)state;
  assert_int_equal (cc_cgroup_block_device ("/dev/null 5", dev, &n, &err), -1);
  assert_non_null (strstr (err->msg, "blkio device `/dev/null`"));
  assert_int_equal (cc_cgroup_block_device ("/dev/null", dev, &n, &err2), -1);
  assert_non_null (strstr (err2->msg, "is not `PATH N`"));
  assert_int_equal (cc_cgroup_block_device ("/dev/null x", dev, &n, &err3), -1);
  assert_non_null (strstr (err3->msg, "is not a number"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_v2_limits_reach_their_files),
    cmocka_unit_test (test_v2_refuses_what_it_cannot_honour),
    cmocka_unit_test (test_block_device_entries),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
