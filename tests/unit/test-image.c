/* Unit tests for image/: references, manifests and configs, layer paths,
   whiteouts, digest verification.  No root, no kernel state beyond a
   temporary directory.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "image/image.h"
#include "image/internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ---- references ------------------------------------------------------- */

static const struct
{
  const char *in, *out;
} ref_table[] = {
  { "redis", "docker.io/library/redis:latest" },
  { "redis:7", "docker.io/library/redis:7" },
  { "library/redis:7", "docker.io/library/redis:7" },
  { "docker.io/redis", "docker.io/library/redis:latest" },
  { "index.docker.io/library/redis:7", "docker.io/library/redis:7" },
  { "myorg/app", "docker.io/myorg/app:latest" },
  { "ccompose-demo/web", "docker.io/ccompose-demo/web:latest" },
  { "localhost/app:v1", "localhost/app:v1" },
  { "localhost:5000/app", "localhost:5000/app:latest" },
  { "127.0.0.1:5000/a/b/c:1.0-rc_1", "127.0.0.1:5000/a/b/c:1.0-rc_1" },
  { "quay.io/coreos/etcd:v3.5", "quay.io/coreos/etcd:v3.5" },
  { "a__b.c-d---e", "docker.io/library/a__b.c-d---e:latest" },
  { "redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "docker.io/library/redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
  { "redis:7@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "docker.io/library/redis:7@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
  { "Registry.Example.com/app", "Registry.Example.com/app:latest" },
};

static const char *const bad_refs[] = {
  "",
  "Redis",
  "redis:",
  ":7",
  "redis:-x",
  "a//b",
  "/redis",
  "redis/",
  "a..b",
  "a-",
  "-a",
  "a:b:c",
  "redis@sha256:123",
  "redis@md5:0123456789abcdef0123456789abcdef",
  "re dis",
  "localhost:abc/x",
  "redis:"
  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
  "01234567890123456789012345678",
  "docker.io/Upper/case",
};

static void
test_reference_normalization (void **state)
{
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (ref_table); i++)
    {
      cleanup_error cc_error_t err = NULL;
      cleanup_free char *got = cc_image_ref_normalize (ref_table[i].in, &err);
      if (got == NULL)
        fail_msg ("`%s`: %s", ref_table[i].in, err->msg);
      assert_string_equal (got, ref_table[i].out);
    }
}

static void
test_reference_rejects (void **state)
{
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (bad_refs); i++)
    {
      cleanup_error cc_error_t err = NULL;
      cleanup_free char *got = cc_image_ref_normalize (bad_refs[i], &err);
      if (got != NULL)
        fail_msg ("`%s` accepted as `%s`", bad_refs[i], got);
      assert_non_null (err);
      assert_non_null (strstr (err->msg, "invalid reference format"));
    }
}

static void
test_reference_familiar (void **state)
{
  static const struct
  {
    const char *in, *out;
  } t[] = {
    { "redis:7", "redis:7" },
    { "docker.io/library/redis", "redis:latest" },
    { "myorg/app:1", "myorg/app:1" },
    { "docker.io/library/a/b:1", "library/a/b:1" },
    { "localhost:5000/library/x:1", "localhost:5000/library/x:1" },
  };
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (t); i++)
    {
      cleanup_free char *got = cc_image_familiar (t[i].in);
      assert_string_equal (got, t[i].out);
    }
}

/* ---- manifests and configs ----------------------------------------------- */

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static void
test_manifest_parse (void **state)
{
  static const char oci[]
      = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1 "\",\"size\":7},"
        "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" D2
        "\",\"size\":9}]}";
  static const char docker[]
      = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
        "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" D1
        "\",\"size\":7},\"layers\":[]}";
  struct cc_manifest m cleanup_manifest = { 0 };
  struct cc_manifest m2 cleanup_manifest = { 0 };
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_manifest_parse (oci, strlen (oci), &m, &err), 0);
  assert_string_equal (m.config.digest, D1);
  assert_int_equal (m.n_layers, 1);
  assert_int_equal (m.layers[0].size, 9);
  assert_int_equal (cc_manifest_parse (docker, strlen (docker), &m2, &err), 0);
  assert_int_equal (m2.n_layers, 0);
}

static void
test_manifest_malformed (void **state)
{
  static const char *const bad[] = {
    "",
    "{",
    "[]",
    "{\"schemaVersion\":1,\"config\":{}}",
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}",
    "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":{}}",
    "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:../../etc/passwd\",\"size\":1},\"layers\":[]}",
    "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\"},\"layers\":[]}",
    "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":-4},\"layers\":[]}",
    /* Beyond INT64_MAX (2^63 itself included): the cast was undefined.  */
    "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1e300},\"layers\":[]}",
    "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":9223372036854775808},\"layers\":[]}",
    "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"mediaType\":\"text/html\","
    "\"digest\":\"" D2 "\",\"size\":1}]}",
    "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[7]}",
  };
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      struct cc_manifest m cleanup_manifest = { 0 };
      cleanup_error cc_error_t err = NULL;
      if (cc_manifest_parse (bad[i], strlen (bad[i]), &m, &err) == 0)
        fail_msg ("accepted: %s", bad[i]);
      assert_non_null (err);
    }
}

static void
test_index_platform (void **state)
{
  static const char idx[]
      = "{\"schemaVersion\":2,\"manifests\":["
        "{\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}},"
        "{\"digest\":\"" D2 "\",\"size\":2,\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"},"
        "\"annotations\":{\"org.opencontainers.image.ref.name\":\"redis:7\"}}]}";
  struct cc_index index cleanup_index = { 0 };
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *text = NULL;
  const struct cc_descriptor *d;

  (void)state;
  text = xasprintf (idx, cc_host_arch ());
  assert_int_equal (cc_index_parse (text, strlen (text), &index, &err), 0);
  d = cc_index_pick_platform (&index);
  assert_non_null (d);
  assert_string_equal (d->digest, D2);
  assert_string_equal (d->name, "redis:7");
}

static void
test_config_parse (void **state)
{
  static const char cfg[]
      = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/init\"],\"Cmd\":[\"a\",\"b\"],"
        "\"Env\":[\"PATH=/bin\",\"X=1\"],\"WorkingDir\":\"/data\",\"User\":\"redis\","
        "\"ExposedPorts\":{\"6379/tcp\":{},\"53/udp\":{}},\"Volumes\":{\"/data\":{}},\"Labels\":{\"k\":\"v\"},"
        "\"StopSignal\":\"SIGQUIT\",\"Healthcheck\":{\"Test\":[\"CMD\",\"redis-cli\",\"ping\"],"
        "\"Interval\":2000000000,\"Retries\":5}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2
        "\"]}}";
  struct cc_image_config c cleanup_image_config = { 0 };
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_image_config_parse (cfg, strlen (cfg), &c, &err), 0);
  assert_string_equal (c.entrypoint[0], "/init");
  assert_int_equal (cc_strv_len (c.cmd), 2);
  assert_string_equal (c.env[1], "X=1");
  assert_string_equal (c.working_dir, "/data");
  assert_string_equal (c.user, "redis");
  assert_true (cc_strv_contains (c.exposed_ports, "53/udp"));
  assert_string_equal (c.volumes[0], "/data");
  assert_string_equal (c.labels[0], "k=v");
  assert_string_equal (c.stop_signal, "SIGQUIT");
  assert_non_null (c.healthcheck);
  assert_int_equal (c.healthcheck->interval_ns, 2000000000LL);
  assert_int_equal (c.healthcheck->retries, 5);
  assert_string_equal (c.healthcheck->test[1], "redis-cli");
  assert_int_equal (cc_strv_len (c.diff_ids), 2);
}

/* A config with N `Env` entries (and as many labels).  */
static char *
config_with_env (size_t n)
{
  struct cc_buf b = { 0 };

  cc_buf_puts (&b, "{\"config\":{\"Env\":[");
  for (size_t i = 0; i < n; i++)
    cc_buf_printf (&b, "%s\"V%zu=%zu\"", i ? "," : "", i, i);
  cc_buf_puts (&b, "],\"Labels\":{");
  for (size_t i = 0; i < n; i++)
    cc_buf_printf (&b, "%s\"l%zu\":\"v\"", i ? "," : "", i);
  cc_buf_puts (&b, "}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\"]}}");
  return cc_buf_steal (&b);
}

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The best of three parses of TEXT, in CPU seconds.  */
static double
time_parse (const char *text, size_t want_env)
{
  double best = 1e9;

  for (int i = 0; i < 3; i++)
    {
      struct cc_image_config c cleanup_image_config = { 0 };
      cleanup_error cc_error_t err = NULL;
      double t0 = cpu_seconds (), t;

      assert_int_equal (cc_image_config_parse (text, strlen (text), &c, &err), 0);
      t = cpu_seconds () - t0;
      assert_int_equal (cc_strv_len (c.env), want_env);
      assert_int_equal (cc_strv_len (c.labels), want_env);
      if (t < best)
        best = t;
    }
  return best;
}

/* Issue 12 item 10: every entry was appended by a walk of the list so
   far; 200,000 took 7 s (25 s here) to load, and as long again for every
   `image ls`.  Eight times the entries must cost about eight times the
   time (quadratic: 64), far from any timing noise.  */
static void
test_config_parse_is_linear (void **state)
{
  cleanup_free char *small = config_with_env (25000), *big = config_with_env (200000);
  double t_small, t_big;

  (void)state;
  t_small = time_parse (small, 25000);
  t_big = time_parse (big, 200000);
  print_message ("config with 25,000 / 200,000 Env entries: %.3f / %.3f s CPU\n", t_small, t_big);
  assert_true (t_big < 24 * t_small + 0.05);
  assert_true (t_big < 10);
}

static void
test_config_malformed (void **state)
{
  static const char *const bad[] = {
    "not json",
    "[1]",
    "{\"config\":{}}",
    "{\"rootfs\":{\"diff_ids\":[\"sha256:xyz\"]}}",
    "{\"config\":{\"Cmd\":\"redis-server\"},\"rootfs\":{\"diff_ids\":[]}}",
    "{\"config\":{\"Env\":[1]},\"rootfs\":{\"diff_ids\":[]}}",
    "{\"config\":{\"ExposedPorts\":[\"80/tcp\"]},\"rootfs\":{\"diff_ids\":[]}}",
    "{\"config\":{\"Labels\":{\"a\":1}},\"rootfs\":{\"diff_ids\":[]}}",
    "{\"config\":{\"Healthcheck\":{\"Interval\":\"2s\"}},\"rootfs\":{\"diff_ids\":[]}}",
    "{\"config\":{\"Healthcheck\":{\"Interval\":1e300}},\"rootfs\":{\"diff_ids\":[]}}",
    "{\"config\":{\"Healthcheck\":{\"Timeout\":-1}},\"rootfs\":{\"diff_ids\":[]}}",
    "{\"config\":[],\"rootfs\":{\"diff_ids\":[]}}",
  };
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      struct cc_image_config c cleanup_image_config = { 0 };
      cleanup_error cc_error_t err = NULL;
      if (cc_image_config_parse (bad[i], strlen (bad[i]), &c, &err) == 0)
        fail_msg ("accepted: %s", bad[i]);
      assert_non_null (err);
    }
}

/* ---- layer paths and whiteouts ------------------------------------------ */

static void
test_clean_path (void **state)
{
  static const struct
  {
    const char *in, *out;
  } ok[] = { { "./etc/passwd", "etc/passwd" }, { "etc//x/./y", "etc/x/y" }, { "./", "" }, { "a/b/", "a/b" } };
  static const char *const bad[] = { "../x", "a/../../x", "/etc/passwd", "a/..", "", "..", "./../x" };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (ok); i++)
    {
      cleanup_free char *got = cc_layer_clean_path (ok[i].in, NULL);
      assert_non_null (got);
      assert_string_equal (got, ok[i].out);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_error cc_error_t err = NULL;
      cleanup_free char *got = cc_layer_clean_path (bad[i], &err);
      if (got != NULL)
        fail_msg ("accepted `%s`", bad[i]);
      assert_non_null (err);
    }
}

static void
test_whiteout_names (void **state)
{
  static const struct
  {
    const char *in;
    enum cc_whiteout_kind kind;
    const char *target;
  } t[] = {
    { "etc/.wh.a.conf", CC_WHITEOUT_FILE, "etc/a.conf" },
    { ".wh.top", CC_WHITEOUT_FILE, "top" },
    { "data/.wh..wh..opq", CC_WHITEOUT_OPAQUE, "data" },
    { ".wh..wh..opq", CC_WHITEOUT_OPAQUE, "" },
    { "x/.wh..wh.plnk", CC_WHITEOUT_IGNORED, NULL },
    { "etc/a.wh.b", CC_WHITEOUT_NONE, NULL },
    { "etc/passwd", CC_WHITEOUT_NONE, NULL },
  };
  static const char *const bad[] = { "etc/.wh.", "etc/.wh..", ".wh.." };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (t); i++)
    {
      cleanup_free char *target = NULL;
      enum cc_whiteout_kind kind;
      assert_int_equal (cc_layer_whiteout (t[i].in, &kind, &target, NULL), 0);
      assert_int_equal (kind, t[i].kind);
      if (t[i].target)
        assert_string_equal (target, t[i].target);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_free char *target = NULL;
      cleanup_error cc_error_t err = NULL;
      enum cc_whiteout_kind kind;
      assert_int_equal (cc_layer_whiteout (bad[i], &kind, &target, &err), -1);
      assert_non_null (err);
    }
}

/* ---- extraction and digests --------------------------------------------- */

struct tarball
{
  char *data;
  size_t len;
};

static struct tarball
make_tar (bool gzip, const char *const *names)
{
  struct archive *a = archive_write_new ();
  size_t cap = 1 << 20, used = 0;
  char *buf = xzalloc (cap);

  archive_write_set_format_pax_restricted (a);
  if (gzip)
    archive_write_add_filter_gzip (a);
  archive_write_set_bytes_in_last_block (a, 1);
  assert_int_equal (archive_write_open_memory (a, buf, cap, &used), ARCHIVE_OK);
  for (size_t i = 0; names[i]; i++)
    {
      struct archive_entry *e = archive_entry_new ();
      bool dir = names[i][strlen (names[i]) - 1] == '/';
      archive_entry_set_pathname (e, names[i]);
      archive_entry_set_filetype (e, dir ? AE_IFDIR : AE_IFREG);
      archive_entry_set_perm (e, dir ? 0755 : 0644);
      archive_entry_set_uid (e, getuid ());
      archive_entry_set_gid (e, getgid ());
      archive_entry_set_size (e, dir ? 0 : 5);
      archive_write_header (a, e);
      if (! dir)
        archive_write_data (a, "data\n", 5);
      archive_entry_free (e);
    }
  archive_write_close (a);
  archive_write_free (a);
  return (struct tarball){ buf, used };
}

static int
extract_mem (const struct tarball *t, const char *dir, const char *digest, const char *diff_id, char **diff_out,
             cc_error_t *err)
{
  char path[] = "/tmp/cc-test-image-XXXXXX";
  cleanup_close int fd = mkstemp (path);
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY);

  unlink (path);
  assert_true (fd >= 0 && dfd >= 0);
  assert_int_equal (cc_write_all (fd, t->data, t->len), 0);
  lseek (fd, 0, SEEK_SET);
  return cc_layer_extract (fd, dfd, 0, digest, diff_id, diff_out, NULL, err);
}

static char *
temp_dir (void)
{
  char *d = xstrdup ("/tmp/cc-test-image-dir-XXXXXX");

  assert_non_null (mkdtemp (d));
  return d;
}

static void
test_extract_verifies_digests (void **state)
{
  static const char *const names[] = { "etc/", "etc/hostname", "./usr/bin/tool", NULL };
  struct tarball plain = make_tar (false, names);
  struct tarball gz = make_tar (true, names);
  cleanup_free char *plain_digest = cc_sha256_data (plain.data, plain.len);
  cleanup_free char *gz_digest = cc_sha256_data (gz.data, gz.len);
  cleanup_free char *d1 = temp_dir ();
  cleanup_free char *d2 = temp_dir ();
  cleanup_free char *d3 = temp_dir ();
  cleanup_free char *d4 = temp_dir ();
  cleanup_free char *diff = NULL;
  cleanup_free char *p = NULL;
  cleanup_error cc_error_t err = NULL;
  cleanup_error cc_error_t err2 = NULL;
  cleanup_error cc_error_t err3 = NULL;

  (void)state;
  /* gzip: the blob digest covers the compressed bytes, the diff id the tar.  */
  assert_int_equal (extract_mem (&gz, d1, gz_digest, plain_digest, &diff, &err), 0);
  assert_string_equal (diff, plain_digest);
  p = cc_path_join (d1, "usr/bin/tool");
  assert_true (cc_file_exists (p));
  /* Plain tar: both digests are the same.  */
  assert_int_equal (extract_mem (&plain, d2, plain_digest, plain_digest, NULL, &err), 0);
  /* Wrong diff id, wrong blob digest.  */
  assert_int_equal (extract_mem (&gz, d3, gz_digest, D1, NULL, &err2), -1);
  assert_non_null (strstr (err2->msg, "diff id mismatch"));
  assert_int_equal (extract_mem (&gz, d4, D2, NULL, NULL, &err3), -1);
  assert_non_null (strstr (err3->msg, "layer digest mismatch"));
  cc_rm_rf (d1, NULL);
  cc_rm_rf (d2, NULL);
  cc_rm_rf (d3, NULL);
  cc_rm_rf (d4, NULL);
  free (plain.data);
  free (gz.data);
}

static void
test_extract_refuses_escapes (void **state)
{
  static const char *const dotdot[] = { "ok", "../escape", NULL };
  static const char *const absolute[] = { "/tmp/cc-test-image-abs-escape", NULL };
  const char *const *cases[] = { dotdot, absolute };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      struct tarball t = make_tar (false, cases[i]);
      cleanup_free char *d = temp_dir ();
      cleanup_free char *outside = cc_path_join (d, "../escape");
      cleanup_error cc_error_t err = NULL;
      assert_int_equal (extract_mem (&t, d, NULL, NULL, NULL, &err), -1);
      assert_non_null (strstr (err->msg, "refusing"));
      assert_false (cc_file_exists (outside));
      assert_false (cc_file_exists ("/tmp/cc-test-image-abs-escape"));
      cc_rm_rf (d, NULL);
      free (t.data);
    }
}

static void
check_whiteout_conversion (void)
{
  static const char *const names[]
      = { "etc/", "etc/.wh.a.conf", "data/", "data/.wh..wh..opq", "data/z", "x/.wh..wh.plnk", NULL };
  struct tarball t = make_tar (false, names);
  cleanup_free char *d = temp_dir ();
  cleanup_free char *wh = cc_path_join (d, "etc/a.conf");
  cleanup_free char *data = cc_path_join (d, "data");
  cleanup_free char *meta = cc_path_join (d, "x/.wh..wh.plnk");
  cleanup_free char *marker = cc_path_join (d, "data/.wh..wh..opq");
  cleanup_close int dfd = open (d, O_RDONLY | O_DIRECTORY);
  cleanup_error cc_error_t err = NULL;
  char path[] = "/tmp/cc-test-image-XXXXXX";
  cleanup_close int fd = mkstemp (path);
  struct stat st;
  char value[4] = "";

  unlink (path);
  assert_int_equal (cc_write_all (fd, t.data, t.len), 0);
  lseek (fd, 0, SEEK_SET);
  assert_int_equal (cc_layer_extract (fd, dfd, CC_LAYER_ROOTFS, NULL, NULL, NULL, NULL, &err), 0);
  assert_int_equal (lstat (wh, &st), 0);
  assert_true (S_ISCHR (st.st_mode));
  assert_int_equal (st.st_rdev, 0);
  assert_int_equal (getxattr (data, "trusted.overlay.opaque", value, sizeof (value)), 1);
  assert_int_equal (value[0], 'y');
  assert_false (cc_file_exists (marker));
  assert_false (cc_file_exists (meta));
  free (t.data);
  cc_rm_rf (d, NULL);
}

static void
test_extract_converts_whiteouts (void **state)
{
  (void)state;
  /* 0:0 devices and trusted.* xattrs need root.  */
  if (geteuid () != 0)
    skip ();
  check_whiteout_conversion ();
}

static void
test_extract_truncated (void **state)
{
  static const char *const names[] = { "a", "b", "c", NULL };
  struct tarball gz = make_tar (true, names);
  cleanup_free char *d = temp_dir ();
  cleanup_error cc_error_t err = NULL;

  (void)state;
  gz.len /= 2;
  assert_int_equal (extract_mem (&gz, d, NULL, NULL, NULL, &err), -1);
  assert_non_null (err);
  cc_rm_rf (d, NULL);
  free (gz.data);
}

static void
test_sha256_known_value (void **state)
{
  cleanup_free char *d = cc_sha256_data ("abc", 3);

  (void)state;
  assert_string_equal (d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_true (cc_image_is_digest (d));
  assert_false (cc_image_is_digest ("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  assert_false (cc_image_is_digest ("sha256:../../../../etc/passwd"));
}

/* ---- the store, end to end, in a private data dir ---------------------- */

static char *
write_rootfs_tar (const char *dir)
{
  static const char *const names[] = { "bin/", "bin/tool", "etc/", "etc/hostname", NULL };
  struct tarball t = make_tar (true, names);
  char *path = cc_path_join (dir, "rootfs.tar.gz");

  assert_int_equal (cc_write_file_atomic (path, t.data, t.len, 0644, NULL), 0);
  free (t.data);
  return path;
}

static void
count_removed (void *opaque, const char *what, const char *value)
{
  (void)what;
  (void)value;
  (*(int *)opaque)++;
}

static void
test_store_roundtrip (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *tar = write_rootfs_tar (dir);
  cleanup_free char *id = NULL;
  cleanup_free char *prefix = NULL;
  cleanup_free char *by_digest = NULL;
  cleanup_image struct cc_image *img = NULL;
  cleanup_image struct cc_image *byid = NULL;
  cleanup_image struct cc_image *byprefix = NULL;
  cleanup_image struct cc_image *bydigest = NULL;
  cleanup_image struct cc_image *pinned = NULL;
  cleanup_error cc_error_t err = NULL;
  struct cc_image **list = NULL;
  size_t n = 0;
  int removed = 0;
  int64_t reclaimed = 0;

  (void)state;
  setenv ("CCOMPOSE_DATA_DIR", dir, 1);
  assert_int_equal (cc_image_import_rootfs (tar, "example/tool:1", &id, &err), 0);
  assert_true (cc_image_is_digest (id));
  assert_int_equal (cc_image_resolve ("example/tool:1", &img, &err), 0);
  assert_string_equal (img->id, id);
  assert_string_equal (img->reference, "docker.io/example/tool:1");
  assert_int_equal (cc_strv_len (img->layers), 1);
  assert_non_null (strstr (img->layers[0], "/images/l/"));
  assert_true (cc_is_dir (img->layers[0]));
  assert_int_equal (img->size, 10);
  /* By id, by a short id, by name@digest.  */
  assert_int_equal (cc_image_resolve (id, &byid, &err), 0);
  assert_string_equal (byid->reference, id);
  prefix = xstrndup (id + 7, 12);
  assert_int_equal (cc_image_resolve (prefix, &byprefix, &err), 0);
  assert_string_equal (byprefix->id, id);
  by_digest = xasprintf ("example/tool@%s", img->manifest_digest);
  assert_int_equal (cc_image_resolve (by_digest, &bydigest, &err), 0);
  /* Missing: ENOENT, so a caller can decide to pull.  */
  {
    cleanup_error cc_error_t e2 = NULL;
    struct cc_image *none = NULL;
    assert_int_equal (cc_image_resolve ("example/tool:2", &none, &e2), -1);
    assert_int_equal (e2->status, ENOENT);
  }
  assert_int_equal (cc_image_tag ("example/tool:1", "other:latest", &err), 0);
  assert_int_equal (cc_image_list (&list, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_int_equal (cc_strv_len (list[0]->repo_tags), 2);
  cc_image_list_free (list, n);
  /* A pinned image survives rm -f and prune -a; its layer stays.  */
  assert_int_equal (cc_image_acquire ("other", "ctr-1", &pinned, &err), 0);
  {
    cleanup_error cc_error_t e3 = NULL;
    assert_int_equal (cc_image_remove ("other", false, NULL, NULL, &e3), -1);
    assert_non_null (strstr (e3->msg, "container is using it"));
  }
  assert_int_equal (cc_image_remove (id, true, count_removed, &removed, &err), 0);
  assert_int_equal (removed, 2); /* two untags, no delete */
  assert_int_equal (cc_image_prune (true, NULL, NULL, &reclaimed, &err), 0);
  assert_true (cc_is_dir (pinned->layers[0]));
  assert_int_equal (cc_image_unpin ("ctr-1", &err), 0);
  assert_int_equal (cc_image_prune (false, NULL, NULL, &reclaimed, &err), 0);
  assert_false (cc_is_dir (pinned->layers[0]));
  assert_true (reclaimed > 0);
  unsetenv ("CCOMPOSE_DATA_DIR");
  cc_rm_rf (dir, NULL);
}

/* `image import --change`: the builder's meaning of each line, only the
   instructions docker import takes, one instruction per change.  */
static void
test_import_changes (void **state)
{
  static const struct
  {
    const char *change, *key, *json;
  } ok[] = {
    { "CMD [\"a\", \"b\"]", "Cmd", "[\"a\",\"b\"]" },
    { "cmd echo hi", "Cmd", "[\"/bin/sh\",\"-c\",\"echo hi\"]" },
    { "ENTRYPOINT [\"/e\"]", "Entrypoint", "[\"/e\"]" },
    { "ENV A=1 B=\"two words\"", "Env", "[\"A=1\",\"B=two words\"]" },
    { "WORKDIR /srv", "WorkingDir", "\"/srv\"" },
    { "USER 1000:1000", "User", "\"1000:1000\"" },
    { "EXPOSE 80 53/udp", "ExposedPorts", "{\"53/udp\":{},\"80/tcp\":{}}" },
    { "LABEL a=b", "Labels", "{\"a\":\"b\"}" },
    { "VOLUME /data", "Volumes", "{\"/data\":{}}" },
    { "STOPSIGNAL SIGINT", "StopSignal", "\"SIGINT\"" },
    { "ONBUILD RUN make", "OnBuild", "[\"RUN make\"]" },
  };
  static const char *const refused[] = {
    "RUN true",     "COPY a b", "ADD a b", "FROM x", "ARG A=1",   "SHELL [\"/bin/bash\"]", "MAINTAINER me",
    "CMD a\nRUN b", "CMD a \\", "",        "  ",     "# comment", "EXPOSE port",           "STOPSIGNAL NOPE",
  };

  (void)state;
  for (size_t i = 0; i < sizeof (ok) / sizeof (ok[0]); i++)
    {
      cleanup_cjson cJSON *config = NULL;
      cleanup_free char *got = NULL;
      cleanup_error cc_error_t err = NULL;
      char *changes[] = { (char *)ok[i].change, NULL };
      assert_int_equal (cc_image_changes_config (changes, &config, &err), 0);
      got = cJSON_PrintUnformatted (cJSON_GetObjectItemCaseSensitive (config, ok[i].key));
      assert_string_equal (got, ok[i].json);
    }
  /* Later changes see earlier ones; no PATH appears that none set.  */
  {
    cleanup_cjson cJSON *config = NULL;
    cleanup_free char *env = NULL;
    cleanup_error cc_error_t err = NULL;
    char *changes[] = { "ENV A=1", "ENV B=${A}2", "WORKDIR /a", "WORKDIR b", NULL };
    assert_int_equal (cc_image_changes_config (changes, &config, &err), 0);
    env = cJSON_PrintUnformatted (cJSON_GetObjectItemCaseSensitive (config, "Env"));
    assert_string_equal (env, "[\"A=1\",\"B=12\"]");
    assert_string_equal (cJSON_GetObjectItemCaseSensitive (config, "WorkingDir")->valuestring, "/a/b");
  }
  for (size_t i = 0; i < sizeof (refused) / sizeof (refused[0]); i++)
    {
      cleanup_cjson cJSON *config = NULL;
      cleanup_error cc_error_t err = NULL;
      char *changes[] = { (char *)refused[i], NULL };
      assert_int_equal (cc_image_changes_config (changes, &config, &err), -1);
      assert_non_null (strstr (err->msg, "--change"));
      assert_null (config);
    }
}

/* The gzip copy of a plain layer blob is the same bytes every time it is
   made (no name, no time in its header) and decompresses to the blob.  */
static void
test_gzip_copy_is_deterministic (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *tar = write_rootfs_tar (dir);
  cleanup_free char *first = NULL;
  cleanup_free char *again = NULL;
  cleanup_free char *blob = NULL;
  cleanup_free char *gzpath = NULL;
  cleanup_free char *data = NULL;
  cleanup_error cc_error_t err = NULL;
  struct cc_store s = { .lock_fd = -1, .root_fd = -1 };
  cleanup_close int fd = -1;
  int64_t size = 0, size2 = 0;
  size_t len = 0;

  (void)state;
  setenv ("CCOMPOSE_DATA_DIR", dir, 1);
  assert_int_equal (cc_store_open (&s, false, &err), 0);
  fd = open (tar, O_RDONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  assert_int_equal (cc_store_put_blob_fd (&s, fd, NULL, -1, &blob, &err), 0);
  assert_int_equal (cc_store_gzip_blob (&s, blob, &first, &size, &err), 0);
  assert_string_not_equal (first, blob);
  gzpath = cc_store_blob_path (&s, first);
  assert_int_equal (cc_read_file (gzpath, &data, &len, &err), 0);
  assert_int_equal ((int64_t)len, size);
  /* gzip magic, deflate, no flags (no name), mtime 0.  */
  assert_memory_equal (data, "\x1f\x8b\x08\x00\x00\x00\x00\x00", 8);
  /* Made again from scratch: the same digest.  */
  assert_int_equal (unlink (gzpath), 0);
  assert_int_equal (cc_store_gzip_blob (&s, blob, &again, &size2, &err), 0);
  assert_string_equal (again, first);
  assert_int_equal (size2, size);
  cc_store_close (&s);
  unsetenv ("CCOMPOSE_DATA_DIR");
  cc_rm_rf (dir, NULL);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_reference_normalization),
    cmocka_unit_test (test_reference_rejects),
    cmocka_unit_test (test_reference_familiar),
    cmocka_unit_test (test_manifest_parse),
    cmocka_unit_test (test_manifest_malformed),
    cmocka_unit_test (test_index_platform),
    cmocka_unit_test (test_config_parse),
    cmocka_unit_test (test_config_malformed),
    cmocka_unit_test (test_clean_path),
    cmocka_unit_test (test_whiteout_names),
    cmocka_unit_test (test_extract_verifies_digests),
    cmocka_unit_test (test_extract_refuses_escapes),
    cmocka_unit_test (test_extract_converts_whiteouts),
    cmocka_unit_test (test_extract_truncated),
    cmocka_unit_test (test_sha256_known_value),
    cmocka_unit_test (test_store_roundtrip),
    cmocka_unit_test (test_config_parse_is_linear),
    cmocka_unit_test (test_import_changes),
    cmocka_unit_test (test_gzip_copy_is_deterministic),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
