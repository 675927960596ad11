/* Unit tests for the residue scanners (runtime/residue.c), lib/mountinfo.c
   and the naming rules of lib/paths.c: the mountinfo reader on crafted and
   hostile input, root naming, and the live scanners' basic contracts.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the four headers above first.  */
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/mountinfo.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

static char *
write_mountinfo (const char *text)
{
  char *path = xstrdup ("/tmp/cc-test-mountinfo-XXXXXX");
  int fd = mkstemp (path);

  assert_true (fd >= 0);
  assert_int_equal (cc_write_all (fd, text, strlen (text)), 0);
  close (fd);
  return path;
}

static char **
mounts_under (const char *text, const char *root)
{
  cleanup_free char *path = write_mountinfo (text);
  cleanup_error cc_error_t err = NULL;
  char *roots[] = { (char *)root, NULL };
  char **out = NULL;

  cc_mountinfo_set_path (path);
  assert_int_equal (cc_mountinfo_under (roots, &out, &err), 0);
  cc_mountinfo_set_path (NULL);
  unlink (path);
  return out;
}

static void
test_mounts_under_root_deepest_first (void **state)
{
  cleanup_strv char **m = mounts_under ("22 1 0:21 / /run rw shared:5 - tmpfs tmpfs rw\n"
                                        "30 22 0:40 / /run/ccompose-test/a/netns/x rw - nsfs nsfs rw\n"
                                        "31 22 0:41 / /run/ccompose-test/a/c rw - tmpfs t rw\n"
                                        "32 22 0:42 / /run/ccompose-test/a rw - tmpfs t rw\n"
                                        "33 22 0:43 / /run/ccompose-test/ab/c rw - tmpfs t rw\n",
                                        "/run/ccompose-test/a/");

  (void)state;
  /* Strictly below, deepest first; the root itself and a sibling whose
     name merely starts the same are not.  */
  assert_int_equal (cc_strv_len (m), 2);
  assert_string_equal (m[0], "/run/ccompose-test/a/netns/x");
  assert_string_equal (m[1], "/run/ccompose-test/a/c");
}

static void
test_mountinfo_escapes_decoded (void **state)
{
  cleanup_strv char **m = mounts_under ("40 1 0:50 / /run/cc/with\\040space\\011tab rw - tmpfs t rw\n"
                                        "41 1 0:51 / /run/cc/back\\134slash rw - tmpfs t rw\n",
                                        "/run/cc");

  (void)state;
  assert_int_equal (cc_strv_len (m), 2);
  assert_true (cc_strv_contains (m, "/run/cc/with space\ttab"));
  assert_true (cc_strv_contains (m, "/run/cc/back\\slash"));
}

static void
test_mountinfo_hostile_lines_skipped (void **state)
{
  cleanup_strv char **m = mounts_under ("garbage\n"
                                        "1 2 3\n"
                                        "\n"
                                        "50 1 0:1 / /run/cc/no-separator rw tmpfs t rw\n"
                                        "51 1 0:1 / /run/cc/no-type rw -\n"
                                        "52 1 0:1 / /run/cc/bad\\9escape rw - tmpfs t rw\n"
                                        "53 1 0:1 / /run/cc/ok rw - tmpfs t rw",
                                        "/run/cc");

  (void)state;
  /* Malformed lines are skipped, a bad escape is kept as text, and the
     last line counts without its newline.  */
  assert_int_equal (cc_strv_len (m), 2);
  assert_true (cc_strv_contains (m, "/run/cc/ok"));
  assert_true (cc_strv_contains (m, "/run/cc/bad\\9escape"));
}

static void
test_missing_mountinfo_is_an_error (void **state)
{
  cleanup_error cc_error_t err = NULL;
  char *roots[] = { (char *)"/run", NULL };
  char **out = NULL;

  (void)state;
  cc_mountinfo_set_path ("/nonexistent/mountinfo");
  assert_int_equal (cc_mountinfo_under (roots, &out, &err), -1);
  cc_mountinfo_set_path (NULL);
  assert_non_null (strstr (err->msg, "/nonexistent/mountinfo"));
}

static void
collect_fields (const struct cc_mountpoint *m, void *data)
{
  cc_strv_push (data, xasprintf ("%s|%s|%s", m->target, m->fstype, m->super_options));
}

/* What the runtime reads of the v1 hierarchies: type and superblock
   options after the optional fields; a line without options has "".  */
static void
test_mountinfo_fields (void **state)
{
  cleanup_free char *path = write_mountinfo (
      "35 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:15 master:3 - cgroup cgroup rw,cpu,cpuacct\n"
      "36 25 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2\n");
  cleanup_error cc_error_t err = NULL;
  cleanup_strv char **got = xzalloc (sizeof (char *));

  (void)state;
  cc_mountinfo_set_path (path);
  assert_int_equal (cc_mountinfo_each (collect_fields, &got, &err), 0);
  cc_mountinfo_set_path (NULL);
  unlink (path);
  assert_int_equal (cc_strv_len (got), 2);
  assert_string_equal (got[0], "/sys/fs/cgroup/cpu,cpuacct|cgroup|rw,cpu,cpuacct");
  assert_string_equal (got[1], "/sys/fs/cgroup/unified|cgroup2|");
}

static void
test_data_root_naming (void **state)
{
  cleanup_free char *a = cc_paths_data_root_for ("/run/ccompose");
  cleanup_free char *b = cc_paths_data_root_for ("/run/ccompose-test/x");
  cleanup_free char *c = cc_paths_data_root_for ("/srv/state");

  (void)state;
  assert_string_equal (a, "/var/lib/ccompose");
  assert_string_equal (b, "/var/lib/ccompose-test/x");
  assert_string_equal (c, "/srv/state/data");
}

/* Names the runtime really gave (seen on this machine's tests).  */
static void
test_cgroup_names_by_root (void **state)
{
  cleanup_free char *a = cc_paths_cgroup_id ("ptest-db-1-7311bfbd", "/run/ccompose-test/eng-try");
  cleanup_free char *b = cc_paths_cgroup_id ("o1-e1736d80", "/run/ccompose-test/rt-overlay");
  cleanup_free char *c = cc_paths_cgroup_id ("web-1", "/run/ccompose");
  cleanup_free char *d = cc_paths_cgroup_strip_suffix ("ptest-db-1-7311bfbd");

  (void)state;
  assert_string_equal (a, "ptest-db-1");
  assert_string_equal (b, "o1");
  assert_string_equal (c, "web-1");
  assert_string_equal (d, "ptest-db-1");
  /* Another root's names are not ours, whichever root asks.  */
  assert_null (cc_paths_cgroup_id ("ptest-db-1-7311bfbd", "/run/ccompose-test/other"));
  assert_null (cc_paths_cgroup_id ("ptest-db-1-7311bfbd", "/run/ccompose"));
  assert_null (cc_paths_cgroup_id ("web-1", "/run/ccompose-test/eng-try"));
  /* Short, non-hex or upper-case tails are not suffixes.  */
  assert_null (cc_paths_cgroup_strip_suffix ("a-1234567"));
  assert_null (cc_paths_cgroup_strip_suffix ("web-1-7311BFBD"));
  assert_null (cc_paths_cgroup_strip_suffix ("-7311bfbd"));
  assert_null (cc_paths_cgroup_strip_suffix (""));
}

/* Names and layout come from lib/paths.c alone, for whichever roots are
   in use.  */
static void
test_paths_follow_the_roots (void **state)
{
  cleanup_free char *name = cc_paths_container_name ("app", "web", 2);
  cleanup_free char *net = cc_paths_resource_name ("app", "back");
  cleanup_free char *spec = NULL, *log = NULL, *cg = NULL;

  (void)state;
  assert_string_equal (name, "app-web-2");
  assert_string_equal (net, "app_back");
  cc_paths_use_roots ("/run/ccompose", "/var/lib/ccompose");
  assert_string_equal (cc_paths_net_tag (), "");
  cc_paths_use_roots ("/run/ccompose-test/eng-try", "/var/lib/ccompose-test/eng-try");
  spec = cc_paths_container_spec ("c1");
  log = cc_paths_container_log ("c1");
  cg = cc_paths_cgroup_name ("ptest-db-1");
  assert_string_equal (spec, "/run/ccompose-test/eng-try/containers/c1/spec.json");
  assert_string_equal (log, "/var/lib/ccompose-test/eng-try/containers/c1/c1-json.log");
  assert_string_equal (cg, "ptest-db-1-7311bfbd");
  assert_int_equal (strlen (cc_paths_net_tag ()), 7);
  cc_paths_use_roots (NULL, NULL);
}

static void
test_live_scanners_succeed (void **state)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_strv char **cgroups = NULL;
  cleanup_strv char **roots = cc_paths_state_roots ();
  struct cc_monitor_proc *mons = NULL;
  size_t n = 0;

  (void)state;
  assert_int_equal (cc_cgroup_residue_dirs (&cgroups, &err), 0);
  for (char **c = cgroups; *c; c++)
    assert_non_null (strstr (*c, "/ccompose/"));
  assert_int_equal (cc_monitor_procs (&mons, &n, &err), 0);
  for (size_t i = 0; i < n; i++)
    assert_true (mons[i].pid > 0 && mons[i].id[0] != '\0');
  cc_monitor_procs_free (mons, n);
  assert_true (cc_strv_contains (roots, "/run/ccompose"));
  assert_int_equal (cc_cgroup_remove_tree ("/nonexistent/cgroup", &err), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_mounts_under_root_deepest_first),
    cmocka_unit_test (test_mountinfo_escapes_decoded),
    cmocka_unit_test (test_mountinfo_hostile_lines_skipped),
    cmocka_unit_test (test_missing_mountinfo_is_an_error),
    cmocka_unit_test (test_mountinfo_fields),
    cmocka_unit_test (test_data_root_naming),
    cmocka_unit_test (test_cgroup_names_by_root),
    cmocka_unit_test (test_paths_follow_the_roots),
    cmocka_unit_test (test_live_scanners_succeed),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
