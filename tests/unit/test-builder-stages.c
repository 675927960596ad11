/* Unit tests for builder/stages.c: the stage graph, the target's needed
   stages, levels for parallel builds, global ARGs in FROM, platforms,
   and the errors BuildKit gives for cycles and unknown targets.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static struct cc_dockerfile *
parse (const char *text)
{
  struct cc_dockerfile *df = NULL;
  cleanup_error cc_error_t err = NULL;

  if (cc_dockerfile_parse ("Dockerfile", text, strlen (text), &df, &err) < 0)
    fail_msg ("parse: %s", err->msg);
  return df;
}

static struct cc_builder_plan *
plan (const struct cc_dockerfile *df, const char *target, char *const *args)
{
  struct cc_builder_opts o = { target, args, "linux/amd64" };
  struct cc_builder_plan *p = NULL;
  cleanup_error cc_error_t err = NULL;

  if (cc_builder_plan_new (df, &o, &p, &err) < 0)
    fail_msg ("plan: %s", err->msg);
  return p;
}

static char *
plan_error (const char *text, const char *target, char *const *args)
{
  cleanup_dockerfile struct cc_dockerfile *df = parse (text);
  struct cc_builder_opts o = { target, args, "linux/amd64" };
  struct cc_builder_plan *p = NULL;
  cc_error_t err = NULL;
  char *msg, *nl;

  if (cc_builder_plan_new (df, &o, &p, &err) == 0)
    {
      cc_builder_plan_free (p);
      fail_msg ("plan succeeded for:\n%s", text);
    }
  msg = xstrdup (err->msg);
  cc_error_release (&err);
  nl = strchr (msg, '\n');
  if (nl)
    *nl = '\0';
  return msg;
}

/* Needed stages in build order, "name@level" joined with spaces.  */
static char *
order (const struct cc_builder_plan *p)
{
  struct cc_buf b = { 0 };

  cc_buf_puts (&b, "");
  for (size_t i = 0; i < p->n_order; i++)
    cc_buf_printf (&b, "%s%s@%d", i ? " " : "", p->stages[p->order[i]].name, p->stages[p->order[i]].level);
  return cc_buf_steal (&b);
}

static const char multi[] = "FROM alpine AS base\n"
                            "RUN x\n"
                            "FROM base AS build\n"
                            "RUN make\n"
                            "FROM alpine AS unrelated\n"
                            "RUN y\n"
                            "FROM scratch AS final\n"
                            "COPY --from=build /out /\n";

static void
test_target_selects (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df = parse (multi);
  cleanup_builder_plan struct cc_builder_plan *all = plan (df, NULL, NULL);
  cleanup_builder_plan struct cc_builder_plan *build = plan (df, "build", NULL);
  cleanup_builder_plan struct cc_builder_plan *other = plan (df, "UNRELATED", NULL);
  cleanup_free char *o1 = order (all);
  cleanup_free char *o2 = order (build);
  cleanup_free char *o3 = order (other);

  (void)state;
  assert_int_equal (all->target, 3);
  assert_string_equal (o1, "base@0 build@1 final@2");
  assert_false (all->stages[2].needed);
  assert_int_equal (all->n_levels, 3);
  assert_int_equal (cc_strv_len (all->images), 1);
  assert_string_equal (all->images[0], "docker.io/library/alpine:latest");
  assert_int_equal (all->stages[1].base_kind, CC_BASE_STAGE);
  assert_int_equal (all->stages[1].base_stage, 0);
  assert_int_equal (all->stages[3].base_kind, CC_BASE_SCRATCH);
  assert_int_equal (build->target, 1);
  assert_string_equal (o2, "base@0 build@1");
  assert_string_equal (o3, "unrelated@0");
}

static void
test_parallel_levels (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df = parse ("FROM alpine AS a\n"
                                                       "FROM debian AS b\n"
                                                       "FROM scratch AS c\n"
                                                       "FROM busybox\n"
                                                       "COPY --from=a / /a\n"
                                                       "COPY --from=1 / /b\n"
                                                       "RUN --mount=type=bind,from=c,target=/c true\n"
                                                       "COPY --from=nginx:1.25 /etc/nginx /n\n"
                                                       "RUN --mount=type=cache,from=redis,target=/r true\n");
  cleanup_builder_plan struct cc_builder_plan *p = plan (df, NULL, NULL);
  cleanup_free char *o = order (p);
  cleanup_free char *images = cc_strv_join (p->images, " ");

  (void)state;
  /* a, b and c read no stage: one level, built in parallel.  */
  assert_string_equal (o, "a@0 b@0 c@0 stage-3@1");
  assert_int_equal (p->n_levels, 2);
  assert_int_equal (p->stages[3].n_deps, 3);
  assert_string_equal (images, "docker.io/library/alpine:latest docker.io/library/debian:latest "
                               "docker.io/library/busybox:latest docker.io/library/nginx:1.25 "
                               "docker.io/library/redis:latest");
}

static void
test_stage_references (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df = parse ("FROM alpine AS One\n"
                                                       "FROM one AS dup\n"
                                                       "FROM later\n"
                                                       "FROM alpine AS dup\n"
                                                       "FROM scratch AS later\n"
                                                       "COPY --from=DUP / /\n");
  cleanup_builder_plan struct cc_builder_plan *p = plan (df, NULL, NULL);

  (void)state;
  /* `AS One` is `one`; FROM sees only stages above it; the last stage of
     a name wins for --from.  */
  assert_int_equal (p->stages[1].base_kind, CC_BASE_STAGE);
  assert_int_equal (p->stages[1].base_stage, 0);
  assert_int_equal (p->stages[2].base_kind, CC_BASE_IMAGE);
  assert_string_equal (p->stages[2].base_image, "docker.io/library/later:latest");
  assert_int_equal (p->stages[4].n_deps, 1);
  assert_int_equal (p->stages[4].deps[0], 3);
}

static void
test_global_args (void **state)
{
  static char *const given[] = { "TAG=3.20", "UNUSED=1", NULL };
  cleanup_dockerfile struct cc_dockerfile *df = parse ("ARG TAG=3.19\n"
                                                       "ARG REPO=library/${NAME:-alpine}\n"
                                                       "ARG NOVALUE\n"
                                                       "ARG BAD=${X:?oops}\n"
                                                       "FROM docker.io/$REPO:$TAG\n"
                                                       "FROM ${NOVALUE:-busybox}\n"
                                                       "FROM $TARGETOS-$TARGETARCH$BAD\n");
  cleanup_builder_plan struct cc_builder_plan *p = plan (df, NULL, given);
  cleanup_builder_plan struct cc_builder_plan *q = plan (df, NULL, NULL);
  cleanup_free char *meta = cc_strv_join (p->meta_args, " ");

  (void)state;
  assert_string_equal (p->stages[0].base_image, "docker.io/library/alpine:3.20");
  assert_string_equal (q->stages[0].base_image, "docker.io/library/alpine:3.19");
  assert_string_equal (p->stages[1].base_image, "docker.io/library/busybox:latest");
  /* An error in a global default leaves it empty, as in BuildKit.  */
  assert_string_equal (p->stages[2].base_image, "docker.io/library/linux-amd64:latest");
  assert_string_equal (meta, "BUILDPLATFORM=linux/amd64 BUILDOS=linux BUILDARCH=amd64 BUILDVARIANT= "
                             "TARGETPLATFORM=linux/amd64 TARGETOS=linux TARGETARCH=amd64 TARGETVARIANT= "
                             "TAG=3.20 REPO=library/alpine NOVALUE BAD=");
}

static void
test_platforms (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df
      = parse ("FROM --platform=$BUILDPLATFORM alpine AS a\nFROM --platform=linux/x86_64 alpine\n");
  cleanup_builder_plan struct cc_builder_plan *p = plan (df, NULL, NULL);
  cleanup_free char *other = plan_error ("FROM --platform=linux/arm64 alpine\n", NULL, NULL);
  cleanup_free char *bad = plan_error ("FROM --platform=linux/*/x alpine\n", NULL, NULL);
  cleanup_free char *host = cc_builder_host_platform ();

  (void)state;
  assert_non_null (p);
  assert_string_equal (other, "Dockerfile:1:1: platform `linux/arm64` is not the one built for (linux/amd64): "
                              "ccompose builds for the host's platform only");
  assert_non_null (strstr (bad, "failed to parse platform linux/*/x"));
  assert_non_null (strstr (host, "linux/"));
}

static const struct
{
  const char *text, *target, *want;
} error_table[] = {
  { "FROM a AS x\n", "nope", "Dockerfile: target stage \"nope\" could not be found" },
  { "FROM a AS x\nFROM b\n", "stage-1", "Dockerfile: target stage \"stage-1\" could not be found" },
  { "FROM a\nCOPY --from=1 / /\nFROM b\nCOPY --from=0 / /\n", NULL,
    "Dockerfile:4:1: circular dependency detected on stage: stage-0" },
  { "FROM a AS self\nCOPY --from=self / /\n", NULL, "Dockerfile:2:1: circular dependency detected on stage: self" },
  { "FROM a\nRUN --mount=from=b,target=/b x\nFROM c AS b\nCOPY --from=0 / /\n", NULL,
    "Dockerfile:4:1: circular dependency detected on stage: stage-0" },
  { "FROM a\nCOPY --from=5 / /\n", NULL, "Dockerfile:2:1: invalid stage index 5" },
  { "FROM a\nCOPY --from=-1 / /\n", NULL, "Dockerfile:2:1: invalid stage index -1" },
  { "FROM $UNSET\n", NULL, "Dockerfile:1:1: base name ($UNSET) should not be blank" },
  { "FROM ${X:?needed}\n", NULL, "Dockerfile:1:1: failed to process \"${X:?needed}\": X: needed" },
  { "FROM alpine AS base\nFROM Base\n", NULL, "Dockerfile:2:1: failed to parse stage name \"Base\"" },
  { "FROM a\nCOPY --from=Not_An_Image / /\n", NULL, "Dockerfile:2:1: failed to parse stage name \"Not_An_Image\"" },
};

static void
test_errors (void **state)
{
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (error_table); i++)
    {
      cleanup_free char *msg = plan_error (error_table[i].text, error_table[i].target, NULL);
      if (strncmp (msg, error_table[i].want, strlen (error_table[i].want)) != 0)
        fail_msg ("for:\n%s\ngot:  %s\nwant: %s", error_table[i].text, msg, error_table[i].want);
    }
}

/* A chain of 20000 stages: no recursion as deep as the file.  */
static void
test_long_chain (void **state)
{
  struct cc_buf b = { 0 };
  clock_t t0 = clock ();

  (void)state;
  cc_buf_puts (&b, "FROM alpine AS s0\n");
  for (int i = 1; i < 20000; i++)
    cc_buf_printf (&b, "FROM s%d AS s%d\nCOPY --from=s%d / /\n", i - 1, i, i > 1 ? i - 2 : 0);
  {
    cleanup_dockerfile struct cc_dockerfile *df = parse (b.data);
    cleanup_builder_plan struct cc_builder_plan *p = plan (df, NULL, NULL);
    assert_int_equal (p->n_order, 20000);
    assert_int_equal (p->n_levels, 20000);
  }
  cc_buf_reset (&b);
  assert_true ((double)(clock () - t0) / CLOCKS_PER_SEC < 60);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_target_selects),   cmocka_unit_test (test_parallel_levels),
    cmocka_unit_test (test_stage_references), cmocka_unit_test (test_global_args),
    cmocka_unit_test (test_platforms),        cmocka_unit_test (test_errors),
    cmocka_unit_test (test_long_chain),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
