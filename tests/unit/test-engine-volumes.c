/* Unit tests for named volumes: names, create/remove, and the copy of the
   image's content into an empty volume, including layers that try to
   point the copy at the host through symlinks.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"

static char *root;

static int
setup (void **state)
{
  char tmpl[] = "/tmp/cce-vol-XXXXXX";

  (void)state;
  root = xstrdup (mkdtemp (tmpl));
  setenv ("CCOMPOSE_DATA_DIR", root, 1);
  return 0;
}

static int
teardown (void **state)
{
  (void)state;
  cc_rm_rf (root, NULL);
  free (root);
  return 0;
}

static void
write_at (const char *dir, const char *rel, const char *text)
{
  cleanup_free char *p = cc_path_join (dir, rel);
  cleanup_free char *d = cc_path_dirname (p);

  assert_int_equal (cc_mkdir_p (d, 0755, NULL), 0);
  assert_int_equal (cc_write_file_atomic (p, text, strlen (text), 0644, NULL), 0);
}

static char *
read_volume (const char *vol, const char *rel)
{
  cleanup_free char *p = xasprintf ("%s/volumes/%s/_data/%s", root, vol, rel);
  char *text = NULL;

  if (cc_read_file (p, &text, NULL, NULL) < 0)
    return NULL;
  return text;
}

static void
test_names_are_checked (void **state)
{
  static const char *const bad[] = { "", ".", "..", "../x", "a/b", "a b", ".hidden" };
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_error cc_error_t err = NULL;
      assert_int_equal (cc_volume_create (bad[i], &err), -1);
      assert_non_null (strstr (err->msg, "invalid volume name"));
    }
  assert_int_equal (cc_volume_create ("proj_data", NULL), 0);
  assert_int_equal (cc_volume_create ("proj_data", NULL), 0);
  assert_int_equal (cc_volume_remove ("proj_data", NULL), 0);
  /* Already gone: success.  */
  assert_int_equal (cc_volume_remove ("proj_data", NULL), 0);
}

static void
test_copy_up_merges_layers_top_wins (void **state)
{
  cleanup_free char *low = cc_path_join (root, "low"), *top = cc_path_join (root, "top");
  char *layers[] = { top, low, NULL };
  cleanup_free char *a = NULL, *b = NULL, *c = NULL;

  (void)state;
  write_at (low, "data/a", "low-a");
  write_at (low, "data/sub/b", "low-b");
  write_at (top, "data/a", "top-a");
  assert_int_equal (cc_volume_create ("p_v1", NULL), 0);
  assert_int_equal (cc_volume_copy_up ("p_v1", layers, "/data", NULL), 0);
  a = read_volume ("p_v1", "a");
  b = read_volume ("p_v1", "sub/b");
  assert_string_equal (a, "top-a");
  assert_string_equal (b, "low-b");
  /* Not empty any more: a second copy changes nothing.  */
  write_at (top, "data/c", "late");
  assert_int_equal (cc_volume_copy_up ("p_v1", layers, "/data", NULL), 0);
  assert_null (c = read_volume ("p_v1", "c"));
}

static void
test_copy_up_never_follows_symlinks_out_of_the_layer (void **state)
{
  cleanup_free char *layer = cc_path_join (root, "evil"), *link = NULL, *host = NULL, *secret = NULL;
  cleanup_free char *inside = NULL, *hostfile = NULL;
  char *layers[] = { layer, NULL };

  (void)state;
  /* A host directory the layer points at, absolutely and relatively.  */
  host = cc_path_join (root, "host");
  write_at (host, "secret", "host-secret");
  write_at (layer, "etc/secret", "layer-secret");
  assert_int_equal (cc_mkdir_p (layer, 0755, NULL), 0);
  link = cc_path_join (layer, "data");
  assert_int_equal (symlink (host, link), 0);
  assert_int_equal (cc_volume_create ("p_v2", NULL), 0);
  assert_int_equal (cc_volume_copy_up ("p_v2", layers, "/data", NULL), 0);
  /* The absolute target resolved inside the layer, where it does not exist.  */
  assert_null (secret = read_volume ("p_v2", "secret"));
  /* A symlink inside the copied tree is copied as a symlink, not followed.  */
  write_at (layer, "conf/real", "x");
  inside = cc_path_join (layer, "conf/escape");
  assert_int_equal (symlink ("/etc/passwd", inside), 0);
  assert_int_equal (cc_volume_create ("p_v3", NULL), 0);
  assert_int_equal (cc_volume_copy_up ("p_v3", layers, "/conf", NULL), 0);
  hostfile = xasprintf ("%s/volumes/p_v3/_data/escape", root);
  {
    struct stat st;
    assert_int_equal (lstat (hostfile, &st), 0);
    assert_true (S_ISLNK (st.st_mode));
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_names_are_checked, setup, teardown),
    cmocka_unit_test_setup_teardown (test_copy_up_merges_layers_top_wins, setup, teardown),
    cmocka_unit_test_setup_teardown (test_copy_up_never_follows_symlinks_out_of_the_layer, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
