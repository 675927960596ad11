/* Unit tests for builder/cachekey.c: a step's key is stable for equal
   inputs and changes with each input that matters (parent, command,
   environment and so the ARG values RUN sees, working directory, user,
   mounts, sources and flags, content digests), and not with what does
   not (build args no ARG declares, proxy variables, metadata, spelling
   of the instruction, file times: the executor's content digests carry
   none).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static int
image_config (void *opaque, const char *ref, struct cc_builder_image **out, cc_error_t *err)
{
  static const char *json = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"]}}";

  (void)opaque;
  (void)ref;
  return cc_builder_image_parse (json, strlen (json), out, err);
}

/* The keys of the last stage's steps, chained from "base", for TEXT
   built with ARGS; "|"-separated.  */
static char *
keys (const char *text, char *const *args)
{
  struct cc_builder_opts o = { NULL, args, "linux/amd64" };
  cleanup_dockerfile struct cc_dockerfile *df = NULL;
  cleanup_builder_plan struct cc_builder_plan *p = NULL;
  cleanup_builder_result struct cc_builder_result *r = NULL;
  cleanup_error cc_error_t err = NULL;
  struct cc_buf b = { 0 };
  cleanup_free char *parent = xstrdup ("sha256:base");
  const struct cc_builder_stage_result *s;

  if (cc_dockerfile_parse ("Dockerfile", text, strlen (text), &df, &err) < 0
      || cc_builder_plan_new (df, &o, &p, &err) < 0 || cc_builder_evaluate (p, image_config, NULL, &r, &err) < 0)
    fail_msg ("%s", err->msg);
  s = &r->stages[r->n_stages - 1];
  cc_buf_puts (&b, "");
  for (size_t i = 0; i < s->n_steps; i++)
    {
      char *k = cc_builder_cache_key (parent, &s->steps[i], NULL, 0);
      cc_buf_printf (&b, "%s%s", i ? "|" : "", k);
      free (parent);
      parent = k;
    }
  return cc_buf_steal (&b);
}

static void
assert_same (const char *a, const char *b, char *const *args_a, char *const *args_b)
{
  cleanup_free char *ka = keys (a, args_a);
  cleanup_free char *kb = keys (b, args_b);

  if (strcmp (ka, kb) != 0)
    fail_msg ("keys differ:\n%s\n---\n%s", a, b);
}

/* Step K's key differs between A and B, and the steps before it do not.  */
static void
assert_differs_at (const char *a, const char *b, char *const *args_a, char *const *args_b, size_t k)
{
  cleanup_free char *ka = keys (a, args_a);
  cleanup_free char *kb = keys (b, args_b);
  cleanup_strv char **va = cc_strv_split (ka, '|', false);
  cleanup_strv char **vb = cc_strv_split (kb, '|', false);

  for (size_t i = 0; i < k; i++)
    if (strcmp (va[i], vb[i]) != 0)
      fail_msg ("step %zu differs too early:\n%s\n---\n%s", i, a, b);
  if (strcmp (va[k], vb[k]) == 0)
    fail_msg ("step %zu has the same key:\n%s\n---\n%s", k, a, b);
}

static void
test_stable (void **state)
{
  const char *text = "FROM a\nARG V=1\nWORKDIR /w\nCOPY . .\nRUN make $V\nRUN --mount=type=cache,target=/c x\n";
  cleanup_free char *k1 = keys (text, NULL);
  cleanup_free char *k2 = keys (text, NULL);

  (void)state;
  assert_string_equal (k1, k2);
  assert_int_equal (strlen (k1), 4 * 71 + 3);
  assert_int_equal (strncmp (k1, "sha256:", 7), 0);
}

static void
test_what_matters (void **state)
{
  static char *const v1[] = { "V=1", NULL };
  static char *const v2[] = { "V=2", NULL };

  (void)state;
  /* The command.  */
  assert_differs_at ("FROM a\nRUN make\n", "FROM a\nRUN make all\n", NULL, NULL, 0);
  assert_differs_at ("FROM a\nRUN [\"make\"]\n", "FROM a\nRUN make\n", NULL, NULL, 0);
  /* The environment, through ENV or an ARG RUN can see.  */
  assert_differs_at ("FROM a\nENV X=1\nRUN make\n", "FROM a\nENV X=2\nRUN make\n", NULL, NULL, 0);
  assert_differs_at ("FROM a\nARG V\nRUN make\n", "FROM a\nARG V\nRUN make\n", v1, v2, 0);
  assert_differs_at ("FROM a\nARG V=1\nRUN make\n", "FROM a\nARG V=2\nRUN make\n", NULL, NULL, 0);
  /* The working directory and the user.  */
  assert_differs_at ("FROM a\nWORKDIR /a\nRUN make\n", "FROM a\nWORKDIR /b\nRUN make\n", NULL, NULL, 0);
  assert_differs_at ("FROM a\nUSER 1\nRUN make\n", "FROM a\nUSER 2\nRUN make\n", NULL, NULL, 0);
  /* Mounts and network.  */
  assert_differs_at ("FROM a\nRUN --mount=type=cache,target=/a x\n", "FROM a\nRUN --mount=type=cache,target=/b x\n",
                     NULL, NULL, 0);
  assert_differs_at ("FROM a\nRUN x\n", "FROM a\nRUN --network=none x\n", NULL, NULL, 0);
  /* COPY: sources, destination, flags.  */
  assert_differs_at ("FROM a\nCOPY a /d\n", "FROM a\nCOPY b /d\n", NULL, NULL, 0);
  assert_differs_at ("FROM a\nCOPY a /d\n", "FROM a\nCOPY a /e\n", NULL, NULL, 0);
  assert_differs_at ("FROM a\nCOPY a d\n", "FROM a\nWORKDIR /w\nCOPY a d\n", NULL, NULL, 0);
  assert_differs_at ("FROM a\nCOPY a /d\n", "FROM a\nCOPY --chown=1 a /d\n", NULL, NULL, 0);
  assert_differs_at ("FROM a\nCOPY a /d\n", "FROM a\nCOPY --chmod=600 a /d\n", NULL, NULL, 0);
  assert_differs_at ("FROM a\nCOPY a /d\n", "FROM a\nCOPY --link a /d\n", NULL, NULL, 0);
  assert_differs_at ("FROM a\nCOPY <<EOF /d\nx\nEOF\n", "FROM a\nCOPY <<EOF /d\ny\nEOF\n", NULL, NULL, 0);
  assert_differs_at ("FROM a\nARG V\nCOPY $V /d\n", "FROM a\nARG V\nCOPY $V /d\n", v1, v2, 0);
  /* A change propagates to the steps after it, through the parent.  */
  {
    cleanup_free char *ka = keys ("FROM a\nRUN a\nRUN b\n", NULL);
    cleanup_free char *kb = keys ("FROM a\nRUN x\nRUN b\n", NULL);
    cleanup_strv char **va = cc_strv_split (ka, '|', false);
    cleanup_strv char **vb = cc_strv_split (kb, '|', false);
    assert_string_not_equal (va[1], vb[1]);
  }
  /* A later step alone changes only from there.  */
  assert_differs_at ("FROM a\nRUN a\nRUN b\n", "FROM a\nRUN a\nRUN c\n", NULL, NULL, 1);
}

static void
test_what_does_not (void **state)
{
  static char *const unused[] = { "NOT_DECLARED=1", NULL };
  static char *const unused2[] = { "NOT_DECLARED=2", "HTTP_PROXY=http://proxy:3128", NULL };
  static char *const v1[] = { "V=1", NULL };
  static char *const v2[] = { "V=2", NULL };

  (void)state;
  /* Build args no ARG declares.  */
  assert_same ("FROM a\nRUN make\nCOPY a /b\n", "FROM a\nRUN make\nCOPY a /b\n", unused, unused2);
  assert_same ("FROM a\nRUN make\n", "FROM a\nRUN make\n", NULL, unused);
  /* An ARG COPY does not use.  */
  assert_same ("FROM a\nARG V\nCOPY a /b\n", "FROM a\nARG V\nCOPY a /b\n", v1, v2);
  /* Metadata only changes the config.  */
  assert_same ("FROM a\nLABEL x=1\nEXPOSE 80\nCMD a\nRUN make\n", "FROM a\nLABEL x=2\nEXPOSE 81\nCMD b\nRUN make\n",
               NULL, NULL);
  /* Spelling: keyword case, blanks around the command, continuations.  */
  assert_same ("FROM a\nRUN make all\n", "FROM a\nrun    make all   \n", NULL, NULL);
  assert_same ("FROM a\nCOPY a /b\n", "FROM a\ncopy \\\n  a \\\n  /b\n", NULL, NULL);
  /* USER does not own what COPY writes (--chown does).  */
  assert_same ("FROM a\nUSER 1\nCOPY a /b\n", "FROM a\nUSER 2\nCOPY a /b\n", NULL, NULL);
}

static void
test_inputs (void **state)
{
  struct cc_builder_step step = { 0 };
  char *src[] = { "/ctx", NULL };
  struct cc_builder_source source = { CC_SRC_CONTEXT, src[0], NULL, NULL };
  struct cc_builder_input a[] = { { "/ctx", "sha256:1111" }, { "stage:0", "sha256:2222" } };
  struct cc_builder_input b[] = { { "/ctx", "sha256:1112" }, { "stage:0", "sha256:2222" } };
  struct cc_builder_input c[] = { { "stage:0", "sha256:2222" }, { "/ctx", "sha256:1111" } };
  cleanup_free char *ka = NULL;
  cleanup_free char *ka2 = NULL;
  cleanup_free char *kb = NULL;
  cleanup_free char *kc = NULL;
  cleanup_free char *kn = NULL;
  cleanup_free char *kp = NULL;

  (void)state;
  step.kind = CC_STEP_COPY;
  step.sources = &source;
  step.n_sources = 1;
  step.dest = "/app/";
  step.from_stage = -1;
  ka = cc_builder_cache_key ("sha256:p", &step, a, 2);
  ka2 = cc_builder_cache_key ("sha256:p", &step, a, 2);
  kb = cc_builder_cache_key ("sha256:p", &step, b, 2);
  kc = cc_builder_cache_key ("sha256:p", &step, c, 2);
  kn = cc_builder_cache_key ("sha256:p", &step, a, 1);
  kp = cc_builder_cache_key ("sha256:q", &step, a, 2);
  assert_string_equal (ka, ka2);
  assert_string_not_equal (ka, kb);
  assert_string_not_equal (ka, kc);
  assert_string_not_equal (ka, kn);
  assert_string_not_equal (ka, kp);
  /* Proxy variables are no input.  */
  {
    struct cc_builder_step run = { 0 };
    char *argv[] = { "make", NULL };
    char *p1[] = { "HTTP_PROXY=a", NULL };
    char *p2[] = { "HTTP_PROXY=b", NULL };
    cleanup_free char *r1 = NULL;
    cleanup_free char *r2 = NULL;
    run.kind = CC_STEP_RUN;
    run.argv = argv;
    run.proxy_env = p1;
    r1 = cc_builder_cache_key ("p", &run, NULL, 0);
    run.proxy_env = p2;
    r2 = cc_builder_cache_key ("p", &run, NULL, 0);
    assert_string_equal (r1, r2);
  }
}

/* The tree digest depends on what the executor lists (names, modes,
   content digests; never times), not on the order it walked in.  */
static void
test_tree_digest (void **state)
{
  char *a[] = { "f a 0644 0:0 sha256:1", "d b 0755 0:0", "f b/c 0600 1:1 sha256:2" };
  char *b[] = { "d b 0755 0:0", "f b/c 0600 1:1 sha256:2", "f a 0644 0:0 sha256:1" };
  char *c[] = { "d b 0755 0:0", "f b/c 0600 1:1 sha256:3", "f a 0644 0:0 sha256:1" };
  cleanup_free char *da = cc_builder_tree_digest (a, 3);
  cleanup_free char *db = cc_builder_tree_digest (b, 3);
  cleanup_free char *dc = cc_builder_tree_digest (c, 3);
  cleanup_free char *d0 = cc_builder_tree_digest (NULL, 0);

  (void)state;
  assert_string_equal (da, db);
  assert_string_not_equal (da, dc);
  assert_string_not_equal (da, d0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_stable), cmocka_unit_test (test_what_matters), cmocka_unit_test (test_what_does_not),
    cmocka_unit_test (test_inputs), cmocka_unit_test (test_tree_digest),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
