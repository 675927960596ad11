/* Unit tests for volumes/: names, create/remove, records, options of the
   local driver, the users a container's mounts record, and the copy of
   the image's content into an empty volume, including layers that try
   to point the copy at the host through symlinks.  Pure: nothing is
   mounted (tests/system/test-volumes.sh mounts).  */
#include <errno.h>
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

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "volumes/volumes.h"

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

static int
create (const char *name, cc_error_t *err)
{
  return cc_volume_create (&(struct cc_volume_spec){ .name = name }, NULL, err);
}

static void
test_names_are_checked (void **state)
{
  static const char *const bad[] = { "", ".", "..", "../x", "a/b", "a b", ".hidden", "-x", "_x" };
  cleanup_error cc_error_t gone = NULL;
  bool created;

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_error cc_error_t err = NULL;
      assert_int_equal (create (bad[i], &err), -1);
      assert_non_null (strstr (err->msg, "invalid volume name"));
      assert_false (cc_volume_name_is_valid (bad[i]));
    }
  assert_int_equal (cc_volume_create (&(struct cc_volume_spec){ .name = "proj_data" }, &created, NULL), 0);
  assert_true (created);
  assert_int_equal (cc_volume_create (&(struct cc_volume_spec){ .name = "proj_data" }, &created, NULL), 0);
  assert_false (created);
  assert_true (cc_volume_exists ("proj_data"));
  assert_int_equal (cc_volume_remove ("proj_data", false, NULL), 0);
  assert_false (cc_volume_exists ("proj_data"));
  /* Already gone: Docker's "no such volume".  */
  assert_int_equal (cc_volume_remove ("proj_data", false, &gone), -1);
  assert_int_equal (gone->status, ENOENT);
  assert_non_null (strstr (gone->msg, "no such volume: proj_data"));
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
  assert_int_equal (create ("p_v1", NULL), 0);
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
  assert_int_equal (create ("p_v2", NULL), 0);
  assert_int_equal (cc_volume_copy_up ("p_v2", layers, "/data", NULL), 0);
  /* The absolute target resolved inside the layer, where it does not exist.  */
  assert_null (secret = read_volume ("p_v2", "secret"));
  /* A symlink inside the copied tree is copied as a symlink, not followed.  */
  write_at (layer, "conf/real", "x");
  inside = cc_path_join (layer, "conf/escape");
  assert_int_equal (symlink ("/etc/passwd", inside), 0);
  assert_int_equal (create ("p_v3", NULL), 0);
  assert_int_equal (cc_volume_copy_up ("p_v3", layers, "/conf", NULL), 0);
  hostfile = xasprintf ("%s/volumes/p_v3/_data/escape", root);
  {
    struct stat st;
    assert_int_equal (lstat (hostfile, &st), 0);
    assert_true (S_ISLNK (st.st_mode));
  }
}

/* The record has `docker volume inspect`'s shape: options and labels as
   given, sorted, null when there are none.  */
static void
test_records_and_inspect (void **state)
{
  char *opts[] = { (char *)"type=tmpfs", (char *)"device=tmpfs", (char *)"o=size=1m", NULL };
  char *labels[] = { (char *)"z=1", (char *)"com.docker.compose.project=p", NULL };
  struct cc_volume_spec spec = { .name = "p_rec", .options = opts, .labels = labels };
  cleanup_cjson cJSON *one = NULL, *plain = NULL, *all = NULL;
  cleanup_free char *o = NULL, *l = NULL, *mp = NULL;

  (void)state;
  assert_int_equal (cc_volume_create (&spec, NULL, NULL), 0);
  assert_int_equal (create ("p_plain", NULL), 0);
  assert_int_equal (cc_volume_inspect ("p_rec", &one, NULL), 0);
  assert_string_equal (cc_json_get_string (one, "Name"), "p_rec");
  assert_string_equal (cc_json_get_string (one, "Driver"), "local");
  assert_string_equal (cc_json_get_string (one, "Scope"), "local");
  mp = xasprintf ("%s/volumes/p_rec/_data", root);
  assert_string_equal (cc_json_get_string (one, "Mountpoint"), mp);
  assert_non_null (cc_json_get_string (one, "CreatedAt"));
  o = cJSON_PrintUnformatted (cJSON_GetObjectItem (one, "Options"));
  assert_string_equal (o, "{\"device\":\"tmpfs\",\"o\":\"size=1m\",\"type\":\"tmpfs\"}");
  l = cJSON_PrintUnformatted (cJSON_GetObjectItem (one, "Labels"));
  assert_string_equal (l, "{\"com.docker.compose.project\":\"p\",\"z\":\"1\"}");
  /* Only what `docker volume inspect` shows: no record of users.  */
  assert_null (cJSON_GetObjectItem (one, "users"));
  assert_int_equal (cc_volume_inspect ("p_plain", &plain, NULL), 0);
  assert_true (cJSON_IsNull (cJSON_GetObjectItem (plain, "Options")));
  assert_true (cJSON_IsNull (cJSON_GetObjectItem (plain, "Labels")));
  assert_int_equal (cc_volume_list (false, &all, NULL), 0);
  assert_int_equal (cJSON_GetArraySize (all), 2);
  assert_string_equal (cc_json_get_string (cJSON_GetArrayItem (all, 0), "Name"), "p_plain");
}

/* What the local driver takes, checked before anything exists (Docker's
   words).  */
static void
test_local_driver_options (void **state)
{
  static const struct
  {
    const char *opts[4];
    const char *error;
  } cases[] = {
    { { "type=nfs", "o=addr=10.0.0.1", "device=:/x", NULL }, NULL },
    { { "type=none", "o=bind", "device=/srv", NULL }, NULL },
    { { "bogus=1", NULL }, "invalid option: \"bogus\"" },
    { { "size=1g", NULL }, "quota size requested but no quota support" },
    { { "type=tmpfs", NULL }, "missing required option: \"device\"" },
    { { "device=/dev/x", NULL }, "missing required option: \"type\"" },
    { { "o=ro", "device=x", NULL }, "missing required option: \"type\"" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_error cc_error_t err = NULL;
      cleanup_free char *name = xasprintf ("opt%zu", i);
      struct cc_volume_spec spec = { .name = name, .options = (char **)cases[i].opts };
      int ret = cc_volume_create (&spec, NULL, &err);
      if (cases[i].error == NULL)
        {
          assert_int_equal (ret, 0);
          continue;
        }
      assert_int_equal (ret, -1);
      if (strstr (err->msg, cases[i].error) == NULL)
        fail_msg ("`%s` does not say `%s`", err->msg, cases[i].error);
      /* Nothing made of a refused volume.  */
      assert_false (cc_volume_exists (name));
    }
  {
    cleanup_error cc_error_t err = NULL;
    struct cc_volume_spec spec = { .name = "drv", .driver = "rexray" };
    assert_int_equal (cc_volume_create (&spec, NULL, &err), -1);
    assert_non_null (strstr (err->msg, "volume driver `rexray` is not supported"));
  }
}

static const char *
first_user (const char *name)
{
  static char buf[64];
  cleanup_cjson cJSON *all = NULL;
  const cJSON *users;

  assert_int_equal (cc_volume_list (true, &all, NULL), 0);
  for (const cJSON *v = all->child; v; v = v->next)
    if (strcmp (cc_json_get_string (v, "Name"), name) == 0)
      {
        users = cJSON_GetObjectItem (v, "UsedBy");
        if (users == NULL || users->child == NULL)
          return NULL;
        snprintf (buf, sizeof (buf), "%s", users->child->valuestring);
        return buf;
      }
  return NULL;
}

/* A container's mounts: its named volumes record it as a user (created
   when missing, filled from the image), an anonymous one lives in its
   directory; `volume rm` refuses a volume in use; detaching frees it.  */
static void
test_attach_records_users (void **state)
{
  cleanup_free char *layer = cc_path_join (root, "img"), *cdir = cc_path_join (root, "c1");
  char *layers[] = { layer, NULL };
  char *tmp_opts[] = { (char *)"mode=1777", NULL };
  struct cc_vmount m[] = {
    { .type = CC_VMOUNT_VOLUME, .source = "p_data", .target = "/data" },
    { .type = CC_VMOUNT_VOLUME, .target = "/anon" },
    { .type = CC_VMOUNT_BIND, .source = "/srv", .target = "/srv", .read_only = true, .create_host_path = true },
    { .type = CC_VMOUNT_TMPFS, .target = "/run", .tmpfs_size = 4096, .options = tmp_opts },
  };
  struct cc_vmount_spec *specs = NULL;
  size_t n = 0;
  cleanup_error cc_error_t busy = NULL;
  cleanup_free char *seed = NULL, *anon = NULL;

  (void)state;
  write_at (layer, "data/seed", "from-image");
  assert_int_equal (cc_volumes_attach ("p-web-1", cdir, m, CC_N_ELEMENTS (m), layers, &specs, &n, NULL), 0);
  assert_int_equal (n, 4);
  assert_string_equal (specs[0].type, "bind");
  assert_non_null (strstr (specs[0].source, "/volumes/p_data/_data"));
  assert_string_equal (specs[1].source, (anon = xasprintf ("%s/anon-1/_data", cdir)));
  assert_string_equal (specs[2].options[0], "ro");
  assert_string_equal (specs[2].options[1], "create_host_path");
  assert_string_equal (specs[3].type, "tmpfs");
  /* Docker's nosuid, nodev, noexec first: the service's options override them.  */
  assert_string_equal (specs[3].options[0], "nosuid");
  assert_string_equal (specs[3].options[1], "nodev");
  assert_string_equal (specs[3].options[2], "noexec");
  assert_string_equal (specs[3].options[3], "size=4096");
  assert_string_equal (specs[3].options[4], "mode=1777");
  cc_vmount_specs_free (specs, n);
  assert_string_equal ((seed = read_volume ("p_data", "seed")), "from-image");
  assert_string_equal (first_user ("p_data"), "p-web-1");
  assert_int_equal (cc_volume_remove ("p_data", false, &busy), -1);
  assert_int_equal (busy->status, EBUSY);
  assert_non_null (strstr (busy->msg, "volume is in use - [p-web-1]"));
  assert_int_equal (cc_volumes_detach ("p-web-1", NULL), 0);
  assert_null (first_user ("p_data"));
  assert_int_equal (cc_volumes_detach ("p-web-1", NULL), 0);
  assert_int_equal (cc_volume_remove ("p_data", false, NULL), 0);
}

/* A user no live project knows is residue; the volume is not.  */
static void
test_residue_of_stale_users (void **state)
{
  cleanup_free char *cdir = cc_path_join (root, "c2");
  struct cc_vmount m = { .type = CC_VMOUNT_VOLUME, .source = "p_keep", .target = "/k" };
  struct cc_vmount_spec *specs = NULL;
  size_t n = 0;
  char *live[] = { (char *)"p-other-1", NULL };
  const struct cc_residue_scope look = { .claimed = live }, fix = { .fix = true, .claimed = live };
  cleanup_findings struct cc_findings found = { 0 }, fixed = { 0 }, again = { 0 };
  cleanup_free char *what = NULL;
  cleanup_error cc_error_t errors = NULL;

  (void)state;
  assert_int_equal (cc_volumes_attach ("p-gone-1", cdir, &m, 1, NULL, &specs, &n, NULL), 0);
  cc_vmount_specs_free (specs, n);
  cc_volumes_residue (&look, &found, &errors);
  assert_null (errors);
  assert_int_equal (found.n, 1);
  assert_string_equal (found.v[0].kind, "volume");
  what = cc_finding_describe (&found.v[0]);
  assert_string_equal (what, "volume p_keep (used by container p-gone-1, which no live project has)");
  assert_string_equal (first_user ("p_keep"), "p-gone-1");
  cc_volumes_residue (&fix, &fixed, &errors);
  assert_null (errors);
  assert_int_equal (fixed.n, 1);
  assert_null (first_user ("p_keep"));
  cc_volumes_residue (&look, &again, &errors);
  assert_int_equal (again.n, 0);
  assert_true (cc_volume_exists ("p_keep"));
  {
    cleanup_free char *data = xasprintf ("%s/volumes/p_keep/_data", root);
    cleanup_free char *other = xasprintf ("%s/containers/x", root);
    assert_true (cc_volumes_owns_mount (data));
    assert_false (cc_volumes_owns_mount (other));
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_names_are_checked, setup, teardown),
    cmocka_unit_test_setup_teardown (test_copy_up_merges_layers_top_wins, setup, teardown),
    cmocka_unit_test_setup_teardown (test_copy_up_never_follows_symlinks_out_of_the_layer, setup, teardown),
    cmocka_unit_test_setup_teardown (test_records_and_inspect, setup, teardown),
    cmocka_unit_test_setup_teardown (test_local_driver_options, setup, teardown),
    cmocka_unit_test_setup_teardown (test_attach_records_users, setup, teardown),
    cmocka_unit_test_setup_teardown (test_residue_of_stale_users, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
