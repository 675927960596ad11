/* Unit tests for the pure parts of the registry client: WWW-Authenticate
   challenges, docker config.json credentials, endpoints (docker.io, the
   mirror, plain http for loopback only), platform selection in an index,
   registry error documents.  No network.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image.h"
#include "image/internal.h"
#include "image/registry.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"

/* ---- WWW-Authenticate ------------------------------------------------- */

static void
test_challenge_bearer (void **state)
{
  struct cc_auth_challenge c cleanup_auth_challenge = { 0 };
  cleanup_error cc_error_t err = NULL;

  (void)state;
  /* The scope holds commas: it must survive as one quoted value.  */
  assert_int_equal (
      cc_auth_challenge_parse ("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                               "scope=\"repository:library/redis:pull,push\",error=\"insufficient_scope\"",
                               &c, &err),
      0);
  assert_string_equal (c.scheme, "Bearer");
  assert_string_equal (c.realm, "https://auth.docker.io/token");
  assert_string_equal (c.service, "registry.docker.io");
  assert_string_equal (c.scope, "repository:library/redis:pull,push");
  assert_string_equal (c.error, "insufficient_scope");
}

static void
test_challenge_basic_and_spacing (void **state)
{
  struct cc_auth_challenge c cleanup_auth_challenge = { 0 };
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_auth_challenge_parse ("  basic realm=ccompose-test , charset=\"UTF-8\"", &c, &err), 0);
  assert_string_equal (c.scheme, "basic");
  assert_string_equal (c.realm, "ccompose-test");
  assert_null (c.service);
  assert_null (c.scope);
}

static void
test_challenge_escapes_and_duplicates (void **state)
{
  struct cc_auth_challenge c cleanup_auth_challenge = { 0 };
  cleanup_error cc_error_t err = NULL;

  (void)state;
  /* A later duplicate must not override the first realm (a hostile
     proxy appending its own).  */
  assert_int_equal (
      cc_auth_challenge_parse ("Bearer realm=\"https://a/t\\\"x\",REALM=\"https://evil/t\",service=s", &c, &err), 0);
  assert_string_equal (c.realm, "https://a/t\"x");
  assert_string_equal (c.service, "s");
}

static void
test_challenge_malformed (void **state)
{
  static const char *const bad[] = {
    "",
    "   ",
    "Bearer realm=\"https://unterminated",
    "Bearer service=\"x\"", /* no realm */
    "Bearer =\"x\"",
    "Bearer realm",
    "Negotiate abc",
    "Digest realm=\"x\"",
    "\"Bearer\" realm=x",
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      struct cc_auth_challenge c cleanup_auth_challenge = { 0 };
      cleanup_error cc_error_t err = NULL;
      assert_int_equal (cc_auth_challenge_parse (bad[i], &c, &err), -1);
      assert_non_null (err);
      assert_null (c.scheme);
    }
  {
    struct cc_auth_challenge c cleanup_auth_challenge = { 0 };
    cleanup_error cc_error_t err = NULL;
    assert_int_equal (cc_auth_challenge_parse (NULL, &c, &err), -1);
  }
}

/* ---- config.json auths -------------------------------------------------- */

/* base64("ccompose:s3cret") */
#define CREDS "Y2NvbXBvc2U6czNjcmV0"

static char *
lookup (const char *json, const char *host, int want_ret)
{
  cleanup_error cc_error_t err = NULL;
  char *basic = NULL;

  assert_int_equal (cc_docker_auths_lookup (json, host, &basic, &err), want_ret);
  return basic;
}

static void
test_auths_hosts (void **state)
{
  const char *cfg = "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"" CREDS "\"},"
                    "\"127.0.0.1:5000\": {\"auth\": \"" CREDS "\"},"
                    "\"https://ghcr.io\": {\"username\": \"u\", \"password\": \"p\"}}}";
  cleanup_free char *hub = lookup (cfg, "docker.io", 0);
  cleanup_free char *hub2 = lookup (cfg, "registry-1.docker.io", 0);
  cleanup_free char *local = lookup (cfg, "127.0.0.1:5000", 0);
  cleanup_free char *other_port = lookup (cfg, "127.0.0.1:5001", 0);
  cleanup_free char *ghcr = lookup (cfg, "ghcr.io", 0);
  cleanup_free char *none = lookup (cfg, "quay.io", 0);

  (void)state;
  assert_string_equal (hub, CREDS);
  assert_string_equal (hub2, CREDS);
  assert_string_equal (local, CREDS);
  assert_null (other_port);
  assert_string_equal (ghcr, "dTpw"); /* base64("u:p") */
  assert_null (none);
}

static void
test_auths_hostile (void **state)
{
  static const char *const bad[] = {
    "{\"auths\": {\"h\": {\"auth\": \"not base64!\"}}}",
    "{\"auths\": {\"h\": {\"auth\": \"bm9jb2xvbg==\"}}}", /* "nocolon" */
    "{\"auths\": {\"h\": {\"auth\": \"Y2Nv\\r\\nX-Evil: 1\"}}}",
    "{\"auths\": [1, 2]}",
    "{\"auths\": ",
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_free char *b = lookup (bad[i], "h", -1);
      assert_null (b);
    }
  {
    /* No auths at all, or an entry of the wrong type: no credentials.  */
    cleanup_free char *a = lookup ("{}", "h", 0);
    cleanup_free char *b = lookup ("{\"auths\": {\"h\": \"x\"}}", "h", 0);
    assert_null (a);
    assert_null (b);
  }
}

static void
test_docker_config_env (void **state)
{
  char dir[] = "/tmp/cc-unit-dockercfg-XXXXXX";
  cleanup_free char *path = NULL;
  cleanup_free char *basic = NULL;
  cleanup_error cc_error_t err = NULL;
  const char *cfg = "{\"auths\": {\"localhost:5000\": {\"auth\": \"" CREDS "\"}}}";

  (void)state;
  assert_non_null (mkdtemp (dir));
  path = cc_path_join (dir, "config.json");
  assert_int_equal (cc_write_file_atomic (path, cfg, strlen (cfg), 0600, &err), 0);
  setenv ("DOCKER_CONFIG", dir, 1);
  assert_int_equal (cc_docker_credentials ("localhost:5000", &basic, &err), 0);
  assert_string_equal (basic, CREDS);
  unsetenv ("DOCKER_CONFIG");
  unlink (path);
  rmdir (dir);
}

static void
test_docker_config_home (void **state)
{
  char dir[] = "/tmp/cc-unit-home-XXXXXX";
  cleanup_free char *docker = NULL;
  cleanup_free char *path = NULL;
  cleanup_free char *basic = NULL;
  cleanup_free char *none = NULL;
  cleanup_free char *old_home = getenv ("HOME") ? xstrdup (getenv ("HOME")) : NULL;
  cleanup_error cc_error_t err = NULL;
  const char *cfg = "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"" CREDS "\"}}}";

  (void)state;
  assert_non_null (mkdtemp (dir));
  docker = cc_path_join (dir, ".docker");
  path = cc_path_join (docker, "config.json");
  assert_int_equal (cc_mkdir_p (docker, 0700, &err), 0);
  assert_int_equal (cc_write_file_atomic (path, cfg, strlen (cfg), 0600, &err), 0);
  unsetenv ("DOCKER_CONFIG");
  setenv ("HOME", dir, 1);
  assert_int_equal (cc_docker_credentials ("docker.io", &basic, &err), 0);
  assert_string_equal (basic, CREDS);
  /* A DOCKER_CONFIG without a config.json means no credentials, not
     the ones under HOME.  */
  setenv ("DOCKER_CONFIG", "/nonexistent-cc-unit", 1);
  assert_int_equal (cc_docker_credentials ("docker.io", &none, &err), 0);
  assert_null (none);
  unsetenv ("DOCKER_CONFIG");
  if (old_home)
    setenv ("HOME", old_home, 1);
  unlink (path);
  rmdir (docker);
  rmdir (dir);
}

/* ---- endpoints and the mirror ------------------------------------------ */

static void
endpoint_of (const char *text, const char *mirror, const char *insecure, struct cc_registry_endpoint *ep, int want_ret)
{
  struct cc_image_ref ref cleanup_image_ref = { 0 };
  cleanup_error cc_error_t err = NULL;

  assert_int_equal (cc_image_ref_parse (text, &ref, &err), 0);
  assert_int_equal (cc_registry_endpoint (&ref, mirror, insecure, ep, &err), want_ret);
}

static void
test_endpoint_docker_hub (void **state)
{
  struct cc_registry_endpoint ep cleanup_registry_endpoint = { 0 };

  (void)state;
  endpoint_of ("redis:7", NULL, NULL, &ep, 0);
  assert_string_equal (ep.host, "registry-1.docker.io");
  assert_string_equal (ep.base, "https://registry-1.docker.io");
  assert_string_equal (ep.cred_key, "docker.io");
  assert_false (ep.insecure);
}

static void
test_endpoint_mirror (void **state)
{
  struct cc_registry_endpoint ep cleanup_registry_endpoint = { 0 };
  struct cc_registry_endpoint other cleanup_registry_endpoint = { 0 };
  struct cc_registry_endpoint tls cleanup_registry_endpoint = { 0 };

  (void)state;
  /* busybox:1.35 -> docker.io/library/busybox -> the mirror; the
     repository path stays library/busybox.  */
  endpoint_of ("busybox:1.35", "http://127.0.0.1:5000/", NULL, &ep, 0);
  assert_string_equal (ep.host, "127.0.0.1:5000");
  assert_string_equal (ep.base, "http://127.0.0.1:5000");
  assert_true (ep.insecure);
  /* Only docker.io is mirrored.  */
  endpoint_of ("ghcr.io/org/app:1", "http://127.0.0.1:5000", NULL, &other, 0);
  assert_string_equal (other.host, "ghcr.io");
  assert_string_equal (other.base, "https://ghcr.io");
  endpoint_of ("redis", "https://mirror.example.com/prefix", NULL, &tls, 0);
  assert_string_equal (tls.base, "https://mirror.example.com/prefix");
  assert_string_equal (tls.host, "mirror.example.com");
}

static void
test_endpoint_mirror_refused (void **state)
{
  static const char *const bad[] = {
    "http://mirror.example.com", /* plain http to a remote host */
    "ftp://127.0.0.1",           "127.0.0.1:5000", "http://", "https:///x",
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      struct cc_registry_endpoint ep cleanup_registry_endpoint = { 0 };
      endpoint_of ("redis", bad[i], NULL, &ep, -1);
      assert_null (ep.host);
    }
  {
    /* Listed as insecure, plain http is the user's explicit choice.  */
    struct cc_registry_endpoint ep cleanup_registry_endpoint = { 0 };
    endpoint_of ("redis", "http://mirror.example.com:5000", "a.example,mirror.example.com:5000", &ep, 0);
    assert_true (ep.insecure);
  }
}

static void
test_insecure_hosts (void **state)
{
  (void)state;
  assert_true (cc_registry_is_insecure ("localhost:5000", NULL));
  assert_true (cc_registry_is_insecure ("127.0.0.1", NULL));
  assert_true (cc_registry_is_insecure ("127.3.2.1:80", NULL));
  assert_true (cc_registry_is_insecure ("[::1]:5000", NULL));
  assert_false (cc_registry_is_insecure ("128.0.0.1:5000", NULL));
  assert_false (cc_registry_is_insecure ("localhost.example.com", NULL));
  assert_false (cc_registry_is_insecure ("127.0.0.1.example.com", NULL));
  assert_false (cc_registry_is_insecure ("registry-1.docker.io", NULL));
  assert_true (cc_registry_is_insecure ("reg.lan:5000", "other, reg.lan:5000"));
  assert_true (cc_registry_is_insecure ("reg.lan:5000", "reg.lan"));
  assert_false (cc_registry_is_insecure ("reg.lan:5001", "reg.lan:5000"));
  assert_false (cc_registry_is_insecure ("evilreg.lan", "reg.lan"));
  assert_false (cc_registry_is_insecure ("reg.lan", ""));
}

/* ---- platform selection --------------------------------------------------- */

#define D(c)                                                                                                           \
  "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
      c c c c c c c c c c c

static void
test_index_picks_amd64 (void **state)
{
  const char *json
      = "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":["
        "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D (
            "a") "\",\"size\":1,"
                 "\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}},"
                 "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D (
                     "b") "\",\"size\":1,"
                          "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
                          "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D (
                              "c") "\",\"size\":1,"
                                   "\"platform\":{\"architecture\":\"amd64\",\"os\":\"windows\"}},"
                                   "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D (
                                       "d") "\",\"size\":1,"
                                            "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}";
  struct cc_index idx cleanup_index = { 0 };
  cleanup_error cc_error_t err = NULL;
  const struct cc_descriptor *d;

  (void)state;
  if (strcmp (cc_host_arch (), "amd64") != 0)
    skip ();
  assert_int_equal (cc_index_parse (json, strlen (json), &idx, &err), 0);
  d = cc_index_pick_platform (&idx);
  assert_non_null (d);
  assert_string_equal (d->digest, D ("d"));
}

static void
test_index_without_our_platform (void **state)
{
  const char *json
      = "{\"schemaVersion\":2,\"manifests\":["
        "{\"mediaType\":\"" MT_OCI_MANIFEST
        "\",\"digest\":\"" D ("b") "\",\"size\":1,"
                                   "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
                                   "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D (
                                       "a") "\",\"size\":1,"
                                            "\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}}]}";
  struct cc_index idx cleanup_index = { 0 };
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_index_parse (json, strlen (json), &idx, &err), 0);
  assert_null (cc_index_pick_platform (&idx));
}

/* ---- registry error documents ------------------------------------------------ */

static void
test_error_messages (void **state)
{
  const char *doc = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\",\"detail\":{}},"
                    "{\"code\":\"OTHER\",\"message\":\"x\"}]}";
  cleanup_free char *m = cc_registry_error_message (doc, strlen (doc));
  cleanup_free char *none = cc_registry_error_message ("<html>", 6);
  cleanup_free char *nul = cc_registry_error_message ("{\"errors\":[]}\0junk", 18);
  cleanup_free char *empty = cc_registry_error_message (NULL, 0);

  (void)state;
  assert_string_equal (m, "MANIFEST_UNKNOWN: manifest unknown");
  assert_null (none);
  assert_null (nul);
  assert_null (empty);
  assert_string_equal (cc_http_reason (401), "401 Unauthorized");
  assert_string_equal (cc_http_reason (404), "404 Not Found");
  assert_string_equal (cc_http_reason (418), "HTTP 418");
}

/* ---- pull policies ------------------------------------------------------------ */

/* Port 1 on loopback: nothing listens, so a pull fails at once, and the
   message shows whether one was attempted.  */
#define ABSENT_REF "127.0.0.1:1/ccompose-unit/absent:1"

static void
ensure_fails (const char *policy, int status, const char *text)
{
  cleanup_image struct cc_image *img = NULL;
  cleanup_error cc_error_t err = NULL;

  assert_int_equal (cc_image_ensure (ABSENT_REF, policy, true, &img, &err), -1);
  assert_null (img);
  assert_non_null (err);
  if (status >= 0)
    assert_int_equal (err->status, status);
  if (strstr (err->msg, text) == NULL)
    fail_msg ("policy %s: [%s] not in [%s]", policy ? policy : "(null)", text, err->msg);
}

static void
test_ensure_policies (void **state)
{
  char dir[] = "/tmp/cc-unit-ensure-XXXXXX";
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_non_null (mkdtemp (dir));
  setenv ("CCOMPOSE_DATA_DIR", dir, 1);
  ensure_fails ("never", ENOENT, "no such image");
  ensure_fails ("build", ENOENT, "no such image");
  ensure_fails ("sometimes", EINVAL, "pull policy `sometimes` is not supported");
  ensure_fails ("missing", -1, "pull " ABSENT_REF);
  ensure_fails ("if_not_present", -1, "pull " ABSENT_REF);
  ensure_fails (NULL, -1, "pull " ABSENT_REF);
  ensure_fails ("always", -1, "pull " ABSENT_REF);
  unsetenv ("CCOMPOSE_DATA_DIR");
  assert_int_equal (cc_rm_rf (dir, &err), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_challenge_bearer),
    cmocka_unit_test (test_challenge_basic_and_spacing),
    cmocka_unit_test (test_challenge_escapes_and_duplicates),
    cmocka_unit_test (test_challenge_malformed),
    cmocka_unit_test (test_auths_hosts),
    cmocka_unit_test (test_auths_hostile),
    cmocka_unit_test (test_docker_config_env),
    cmocka_unit_test (test_docker_config_home),
    cmocka_unit_test (test_endpoint_docker_hub),
    cmocka_unit_test (test_endpoint_mirror),
    cmocka_unit_test (test_endpoint_mirror_refused),
    cmocka_unit_test (test_insecure_hosts),
    cmocka_unit_test (test_index_picks_amd64),
    cmocka_unit_test (test_index_without_our_platform),
    cmocka_unit_test (test_error_messages),
    cmocka_unit_test (test_ensure_policies),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
