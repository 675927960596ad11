/* Unit tests for builder/eval.c and config.c: the effect of every
   instruction on the image config and the steps an executor gets, as
   BuildKit's dockerfile2llb computes them: CMD/ENTRYPOINT interplay,
   WORKDIR, ENV and ARG scoping, LABEL, EXPOSE formats, ONBUILD triggers,
   history entries, COPY/ADD sources, RUN mounts and heredocs.  */
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
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* The config every base image has in these tests, unless a test says
   otherwise.  */
static const char *base_config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-01T00:00:00Z\","
                                 "\"config\":{\"Env\":[\"PATH=/usr/bin:/bin\",\"BASE=1\"],\"Cmd\":[\"sh\"],"
                                 "\"WorkingDir\":\"\",\"Labels\":{\"z\":\"1\",\"a\":\"0\"}},"
                                 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:aa\"]},"
                                 "\"history\":[{\"created_by\":\"base layer\"}]}";

static int
image_config (void *opaque, const char *ref, struct cc_builder_image **out, cc_error_t *err)
{
  const char *json = opaque ? opaque : base_config;

  (void)ref;
  return cc_builder_image_parse (json, strlen (json), out, err);
}

struct build
{
  struct cc_dockerfile *df;
  struct cc_builder_plan *plan;
  struct cc_builder_result *res;
};

static void
build_release (struct build *b)
{
  cc_builder_result_free (b->res);
  cc_builder_plan_free (b->plan);
  cc_dockerfile_free (b->df);
}
#define cleanup_build __attribute__ ((cleanup (build_release)))

/* Parse, plan and evaluate TEXT; NULL and *ERR on failure.  */
static int
try_build (const char *text, char *const *args, const char *base, struct build *b, cc_error_t *err)
{
  struct cc_builder_opts o = { NULL, args, "linux/amd64" };

  memset (b, 0, sizeof (*b));
  if (cc_dockerfile_parse ("Dockerfile", text, strlen (text), &b->df, err) < 0
      || cc_builder_plan_new (b->df, &o, &b->plan, err) < 0
      || cc_builder_evaluate (b->plan, image_config, (void *)base, &b->res, err) < 0)
    return -1;
  return 0;
}

static void
build (const char *text, char *const *args, const char *base, struct build *b)
{
  cleanup_error cc_error_t err = NULL;

  if (try_build (text, args, base, b, &err) < 0)
    fail_msg ("build failed: %s\n--- for:\n%s", err->msg, text);
}

static char *
build_error (const char *text, char *const *args)
{
  cleanup_build struct build b;
  cc_error_t err = NULL;
  char *msg, *nl;

  if (try_build (text, args, NULL, &b, &err) == 0)
    fail_msg ("build succeeded for:\n%s", text);
  msg = xstrdup (err->msg);
  cc_error_release (&err);
  nl = strchr (msg, '\n');
  if (nl)
    *nl = '\0';
  return msg;
}

static const struct cc_builder_stage_result *
last (const struct build *b)
{
  return &b->res->stages[b->res->n_stages - 1];
}

static char *
j (char *const *v)
{
  return v ? cc_strv_join ((char **)v, "|") : xstrdup ("(null)");
}

static const char *
last_history (const struct build *b)
{
  const struct cc_builder_image *img = last (b)->image;
  return img->history[img->n_history - 1].created_by;
}

/* ---- CMD / ENTRYPOINT -------------------------------------------------- */

static const struct
{
  const char *text;
  const char *cmd, *entrypoint;
} cmd_table[] = {
  { "FROM a\n", "sh", "(null)" },
  { "FROM a\nENTRYPOINT [\"e\"]\n", "(null)", "e" },
  { "FROM a\nCMD [\"c\"]\nENTRYPOINT [\"e\"]\n", "c", "e" },
  { "FROM a\nENTRYPOINT [\"e\"]\nCMD [\"c\", \"d\"]\n", "c|d", "e" },
  { "FROM a\nCMD echo $HOME\n", "/bin/sh|-c|echo $HOME", "(null)" },
  { "FROM a\nENTRYPOINT exec app \"x\"\n", "(null)", "/bin/sh|-c|exec app \"x\"" },
  { "FROM a\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nCMD ls | wc\n", "/bin/bash|-o|pipefail|-c|ls | wc",
    "(null)" },
  { "FROM a\nENTRYPOINT []\n", "(null)", "" },
  { "FROM a\nCMD []\n", "", "(null)" },
  { "FROM a\nCMD\n", "/bin/sh|-c|", "(null)" },
  { "FROM a AS one\nCMD [\"c\"]\nFROM one\nENTRYPOINT [\"e\"]\n", "(null)", "e" },
  { "FROM a AS one\nENTRYPOINT [\"e\"]\nFROM one\nCMD [\"c\"]\n", "c", "e" },
};

static void
test_cmd_entrypoint (void **state)
{
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cmd_table); i++)
    {
      cleanup_build struct build b;
      cleanup_free char *cmd = NULL;
      cleanup_free char *ep = NULL;
      build (cmd_table[i].text, NULL, NULL, &b);
      cmd = j (last (&b)->image->cmd);
      ep = j (last (&b)->image->entrypoint);
      if (strcmp (cmd, cmd_table[i].cmd) != 0 || strcmp (ep, cmd_table[i].entrypoint) != 0)
        fail_msg ("for:\n%s\ngot cmd `%s` entrypoint `%s`", cmd_table[i].text, cmd, ep);
    }
}

static void
test_cmd_history (void **state)
{
  cleanup_build struct build b;
  const struct cc_builder_image *img;

  (void)state;
  build ("FROM a\nCMD echo \"hi\"\nENTRYPOINT [\"/e\", \"a\\tb\"]\n", NULL, NULL, &b);
  img = last (&b)->image;
  assert_string_equal (img->history[1].created_by, "CMD [\"/bin/sh\" \"-c\" \"echo \\\"hi\\\"\"]");
  assert_true (img->history[1].empty_layer);
  assert_string_equal (img->history[2].created_by, "ENTRYPOINT [\"/e\" \"a\\tb\"]");
  assert_true (img->args_escaped);
}

/* ---- WORKDIR ----------------------------------------------------------- */

static void
test_workdir (void **state)
{
  static const struct
  {
    const char *text, *want;
  } cases[] = {
    { "FROM a\nWORKDIR /a\nWORKDIR b\nWORKDIR ../c\n", "/a/c" },
    { "FROM a\nWORKDIR rel\n", "/rel" },
    { "FROM a\nWORKDIR /x/../y/\n", "/x/../y/" },
    { "FROM a\nENV D=/data\nWORKDIR $D/sub\n", "/data/sub" },
    { "FROM scratch\nWORKDIR app\n", "/app" },
    { "FROM a\nWORKDIR /\n", "/" },
  };
  static const char *srv = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"WorkingDir\":\"/srv\"}}";

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_build struct build b;
      build (cases[i].text, NULL, NULL, &b);
      if (strcmp (last (&b)->image->working_dir, cases[i].want) != 0)
        fail_msg ("for:\n%s\ngot `%s`", cases[i].text, last (&b)->image->working_dir);
    }
  {
    cleanup_build struct build b;
    const struct cc_builder_stage_result *r;
    build ("FROM a\nUSER app\nWORKDIR rel\nRUN pwd\nWORKDIR /\n", NULL, srv, &b);
    r = last (&b);
    assert_string_equal (r->image->working_dir, "/");
    /* The directory is created, owned by USER; `/` needs no step.  */
    assert_int_equal (r->n_steps, 2);
    assert_int_equal (r->steps[0].kind, CC_STEP_WORKDIR);
    assert_string_equal (r->steps[0].dest, "/srv/rel");
    assert_string_equal (r->steps[0].user, "app");
    assert_string_equal (r->steps[1].workdir, "/srv/rel");
    assert_string_equal (r->image->history[1].created_by, "WORKDIR /srv/rel");
    assert_false (r->image->history[1].empty_layer);
    assert_string_equal (r->image->history[3].created_by, "WORKDIR /");
    assert_true (r->image->history[3].empty_layer);
  }
}

/* ---- ENV, ARG, LABEL ---------------------------------------------------- */

static void
test_env (void **state)
{
  cleanup_build struct build b;
  const struct cc_builder_stage_result *r;
  cleanup_free char *env = NULL;

  (void)state;
  build ("FROM a\nENV A=1 B=$A C=\"x y\"\nENV BASE=2 A=${A}0\nENV LEGACY a b  c\nRUN env\n", NULL, NULL, &b);
  r = last (&b);
  env = j (r->image->env);
  /* Pairs of one ENV see the environment from before it; a key keeps
     its place when set again.  */
  assert_string_equal (env, "PATH=/usr/bin:/bin|BASE=2|A=10|B=|C=x y|LEGACY=a b  c");
  assert_string_equal (r->image->history[1].created_by, "ENV A=1 B= C=x y");
  {
    cleanup_free char *run = j (r->steps[0].env);
    assert_string_equal (run, env);
  }
}

static void
test_arg_scoping (void **state)
{
  static char *const given[]
      = { "GIVEN=from-cli", "GLOBAL=override", "NOT_DECLARED=x", "HTTP_PROXY=http://p:3128", NULL };
  cleanup_build struct build b;
  const struct cc_builder_stage_result *r0, *r1;

  (void)state;
  build ("ARG GLOBAL=g\n"
         "ARG GLOBAL2=g2\n"
         "FROM a AS one\n"
         "ARG GIVEN=default UNSET DEFAULTED=d GLOBAL GLOBAL2\n"
         "ENV DEFAULTED=env-wins\n"
         "RUN echo $GIVEN\n"
         "ARG DEFAULTED=arg-again\n"
         "RUN echo\n"
         "FROM one\n"
         "RUN echo inherited\n"
         "FROM a\n"
         "RUN echo fresh\n"
         "COPY --from=1 / /x\n",
         given, NULL, &b);
  r0 = cc_builder_result_stage (b.res, 0);
  r1 = cc_builder_result_stage (b.res, 1);
  {
    cleanup_free char *env = j (r0->steps[0].env);
    assert_string_equal (env, "PATH=/usr/bin:/bin|BASE=1|GIVEN=from-cli|DEFAULTED=env-wins|GLOBAL=override|"
                              "GLOBAL2=g2");
  }
  /* ARG values are no part of the image.  */
  {
    cleanup_free char *env = j (r0->image->env);
    assert_string_equal (env, "PATH=/usr/bin:/bin|BASE=1|DEFAULTED=env-wins");
  }
  assert_string_equal (r0->image->history[1].created_by, "ARG GIVEN=default UNSET DEFAULTED=d GLOBAL GLOBAL2");
  assert_string_equal (r0->image->history[3].created_by,
                       "RUN |5 GIVEN=from-cli UNSET= DEFAULTED=env-wins GLOBAL=override GLOBAL2=g2 /bin/sh -c "
                       "echo $GIVEN # buildkit");
  /* An ARG after an ENV of the same name wins in the environment (as
     BuildKit's state does), not in the image.  */
  {
    cleanup_free char *env = j (r0->steps[1].env);
    assert_non_null (strstr (env, "DEFAULTED=arg-again"));
  }
  /* ARG values flow into stages built FROM this one (BuildKit), not into
     others.  */
  {
    cleanup_free char *env = j (r1->steps[0].env);
    assert_non_null (strstr (env, "GIVEN=from-cli"));
    assert_string_equal (r1->image->history[r1->image->n_history - 1].created_by,
                         "RUN /bin/sh -c echo inherited # buildkit");
  }
  {
    cleanup_free char *env = j (last (&b)->steps[0].env);
    assert_string_equal (env, "PATH=/usr/bin:/bin|BASE=1");
  }
  /* Proxy variables go to RUN aside, never in the history.  */
  {
    cleanup_free char *px = j (r0->steps[0].proxy_env);
    assert_string_equal (px, "HTTP_PROXY=http://p:3128|http_proxy=http://p:3128");
  }
  {
    cleanup_free char *unused = j (b.res->unused_build_args);
    assert_string_equal (unused, "NOT_DECLARED");
  }
}

static void
test_arg_expansion_order (void **state)
{
  cleanup_build struct build b;

  (void)state;
  build ("FROM a\nARG A=1 B=${A:-unset}\nARG C=$A\nRUN x\n", NULL, NULL, &b);
  {
    cleanup_free char *env = j (last (&b)->steps[0].env);
    /* Like ENV, the defaults of one ARG see what was set before it.  */
    assert_string_equal (env, "PATH=/usr/bin:/bin|BASE=1|A=1|B=unset|C=1");
  }
}

static void
test_label (void **state)
{
  cleanup_build struct build b;
  const struct cc_builder_image *img;

  (void)state;
  build ("FROM a\nENV V=2\nLABEL \"com.example.vendor\"=\"ACME Inc\" version=$V\nLABEL a=override m\"x y\"=1\n", NULL,
         NULL, &b);
  img = last (&b)->image;
  assert_int_equal (img->n_labels, 5);
  assert_string_equal (img->labels[0].key, "a");
  assert_string_equal (img->labels[0].value, "override");
  assert_string_equal (img->labels[1].key, "com.example.vendor");
  assert_string_equal (img->labels[1].value, "ACME Inc");
  assert_string_equal (img->labels[2].key, "mx y");
  assert_string_equal (img->labels[3].key, "version");
  assert_string_equal (img->labels[3].value, "2");
  assert_string_equal (img->labels[4].key, "z");
  assert_string_equal (img->history[2].created_by, "LABEL com.example.vendor=ACME Inc version=2");
}

/* ---- EXPOSE, VOLUME, USER, STOPSIGNAL, HEALTHCHECK, MAINTAINER --------- */

static void
test_expose (void **state)
{
  static const struct
  {
    const char *args, *ports, *history;
  } cases[] = {
    { "80", "80/tcp", "EXPOSE map[80/tcp:{}]" },
    { "80/udp", "80/udp", "EXPOSE map[80/udp:{}]" },
    { "80/TCP", "80/tcp", "EXPOSE map[80/tcp:{}]" },
    { "8000-8002", "8000/tcp|8001/tcp|8002/tcp", "EXPOSE map[8000/tcp:{} 8001/tcp:{} 8002/tcp:{}]" },
    { "127.0.0.1:8080:80", "80/tcp", "EXPOSE map[80/tcp:{}]" },
    { "$P 443/sctp", "443/sctp|9090/tcp", "EXPOSE map[443/sctp:{} 9090/tcp:{}]" },
    { "$PS", "1/tcp|2/tcp", "EXPOSE map[1/tcp:{} 2/tcp:{}]" },
  };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (cases); i++)
    {
      cleanup_build struct build b;
      cleanup_free char *text = xasprintf ("FROM a\nENV P=9090 PS=\"1 2\"\nEXPOSE %s\n", cases[i].args);
      cleanup_free char *ports = NULL;
      build (text, NULL, NULL, &b);
      ports = j (last (&b)->image->exposed_ports);
      if (strcmp (ports, cases[i].ports) != 0 || strcmp (last_history (&b), cases[i].history) != 0)
        fail_msg ("EXPOSE %s: ports `%s`, history `%s`", cases[i].args, ports, last_history (&b));
    }
}

static const struct
{
  const char *text, *want;
} eval_errors[] = {
  { "FROM a\nEXPOSE 80/tcpx\n", "Dockerfile:2:1: invalid proto: tcpx" },
  { "FROM a\nEXPOSE 70000\n", "Dockerfile:2:1: invalid containerPort: 70000" },
  { "FROM a\nEXPOSE 90-80\n", "Dockerfile:2:1: invalid containerPort: 90-80" },
  { "FROM a\nEXPOSE 1.2.3:80:80\n", "Dockerfile:2:1: invalid IP address: 1.2.3" },
  { "FROM a\nSTOPSIGNAL SIGFOO\n", "Dockerfile:2:1: invalid signal: SIGFOO" },
  { "FROM a\nSTOPSIGNAL 0\n", "Dockerfile:2:1: invalid signal: 0" },
  { "FROM a\nVOLUME $EMPTY\n", "Dockerfile:2:1: VOLUME specified can not be an empty string" },
  { "FROM a\nUSER ${U:?set a user}\n", "Dockerfile:2:1: failed to process \"${U:?set a user}\": U: set a user" },
  { "FROM a\nCOPY https://example.com/x /x\n", "Dockerfile:2:1: source can't be a URL for COPY" },
  { "FROM a\nCOPY git@github.com:a/b.git /x\n", "Dockerfile:2:1: source can't be a git ref for COPY" },
  { "FROM a\nADD https://github.com/a/b.git#main /x\n", "Dockerfile:2:1: ADD of the git repository "
                                                        "`https://github.com/a/b.git#main` is not supported: add a "
                                                        "release archive by URL, or clone it in a RUN" },
  { "FROM a\nADD --checksum=sha256:abc https://x/y /y\n", "Dockerfile:2:1: invalid checksum digest length" },
  { "FROM a\nADD --checksum=md5:abc https://x/y /y\n", "Dockerfile:2:1: unsupported digest algorithm" },
  { "FROM a\nADD --checksum=sha256:"
    "0000000000000000000000000000000000000000000000000000000000000000 a b /y\n",
    "Dockerfile:2:1: checksum can't be specified for multiple sources" },
  { "FROM a\nADD --checksum=sha256:"
    "0000000000000000000000000000000000000000000000000000000000000000 a /y\n",
    "Dockerfile:2:1: checksum can't be specified for non-HTTP sources" },
  { "FROM a\nCOPY --chmod=u+x a /b\n", "Dockerfile:2:1: invalid --chmod=u+x: ccompose takes octal modes only" },
  { "FROM a\nCOPY --from=later a /b\nFROM b AS later\nFROM c\nCOPY --from=0 / /\n",
    "Dockerfile:2:1: cannot copy from stage \"later\", it needs "
    "to be defined before current stage \"stage-0\"" },
  { "FROM a\nRUN --mount=type=bind,from=later,target=/x x\nFROM b AS later\nFROM c\nCOPY --from=0 / /\n",
    "Dockerfile:2:1: cannot mount from stage \"later\" to \"/x\", stage needs to be defined before current command" },
  { "FROM a\nRUN --mount=target=/ x\n", "Dockerfile:2:1: invalid mount target \"/\"" },
  { "FROM a\nRUN --mount=type=tmpfs,mode=0700,target=/t x\n", "Dockerfile:2:1: mode not allowed for \"tmpfs\" type "
                                                              "mounts" },
  { "FROM a\nRUN --mount=type=cache,size=1m,target=/t x\n", "Dockerfile:2:1: unexpected key 'size' for mount type "
                                                            "'cache'" },
  { "FROM a\nRUN --mount=type=secret x\n", "Dockerfile:2:1: invalid secret mount. one of source, target required" },
  { "FROM a\nRUN --mount=type=secret,id=a,source=b x\n", "Dockerfile:2:1: both source and id can't be set" },
  { "FROM a\nRUN --mount=type=bind,sharing=locked,target=/x x\n", "Dockerfile:2:1: invalid cache sharing set for bind "
                                                                  "mount" },
  { "FROM a\nRUN --mount=type=volume,target=/x x\n", "Dockerfile:2:1: unsupported mount type \"volume\"" },
  { "FROM a\nRUN --mount=type=cache,target=/x,zzzzz=1 x\n", "Dockerfile:2:1: unexpected key 'zzzzz' in 'zzzzz=1'" },
  { "FROM a\nRUN --mount=type=cache,target=/x,foo=1 x\n",
    "Dockerfile:2:1: unexpected key 'foo' in 'foo=1' (did you mean from?)" },
  { "FROM a\nRUN --mount=type=cache,target=/x,uid=abc x\n", "Dockerfile:2:1: invalid value abc for uid" },
  { "FROM a\nRUN --mount=type=cache,target=/x,ro=maybe x\n", "Dockerfile:2:1: invalid value for ro: maybe" },
  { "FROM a\nRUN --mount=type=ssh,source=/x x\n", "Dockerfile:2:1: ssh does not support source" },
};

static void
test_eval_errors (void **state)
{
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (eval_errors); i++)
    {
      cleanup_free char *msg = build_error (eval_errors[i].text, NULL);
      if (strcmp (msg, eval_errors[i].want) != 0)
        fail_msg ("for:\n%s\ngot:  %s\nwant: %s", eval_errors[i].text, msg, eval_errors[i].want);
    }
}

static void
test_metadata (void **state)
{
  cleanup_build struct build b;
  const struct cc_builder_image *img;

  (void)state;
  build ("FROM a\nMAINTAINER Jane Doe\nUSER ${U:-app}:grp\nVOLUME /b /a\nVOLUME [\"/c\", \"/a\"]\n"
         "STOPSIGNAL SIGUSR1\nHEALTHCHECK --interval=1m30s --timeout=500ms --retries=3 CMD [\"/hc\", \"-q\"]\n",
         NULL, NULL, &b);
  img = last (&b)->image;
  /* MAINTAINER is the author field BuildKit writes (not a label).  */
  assert_string_equal (img->author, "Jane Doe");
  assert_string_equal (img->history[1].created_by, "MAINTAINER Jane Doe");
  assert_string_equal (img->user, "app:grp");
  assert_string_equal (img->history[2].created_by, "USER app:grp");
  {
    cleanup_free char *v = j (img->volumes);
    assert_string_equal (v, "/a|/b|/c");
  }
  assert_string_equal (img->history[3].created_by, "VOLUME [/b /a]");
  assert_string_equal (img->stop_signal, "SIGUSR1");
  assert_int_equal (img->healthcheck->interval_ns, 90000000000LL);
  assert_string_equal (img->history[6].created_by,
                       "HEALTHCHECK &{[\"CMD\" \"/hc\" \"-q\"] \"1m30s\" \"500ms\" \"0s\" \"0s\" '\\x03'}");
  /* The base's creation time is not carried over.  */
  assert_null (img->created);
}

static void
test_healthcheck_none_and_durations (void **state)
{
  cleanup_build struct build b;
  cleanup_build struct build c;

  (void)state;
  build ("FROM a\nHEALTHCHECK NONE\n", NULL, NULL, &b);
  assert_string_equal (last_history (&b), "HEALTHCHECK &{[\"NONE\"] \"0s\" \"0s\" \"0s\" \"0s\" '\\x00'}");
  build ("FROM a\nHEALTHCHECK --interval=2h3m4.5s --timeout=1.5ms --start-period=90s --retries=65 CMD x\n", NULL, NULL,
         &c);
  assert_string_equal (last_history (&c),
                       "HEALTHCHECK &{[\"CMD-SHELL\" \"x\"] \"2h3m4.5s\" \"1.5ms\" \"1m30s\" \"0s\" 'A'}");
}

/* ---- ONBUILD ----------------------------------------------------------- */

static void
test_onbuild (void **state)
{
  static const char *with_triggers
      = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"OnBuild\":[\"ENV T=1\",\"RUN echo $T\","
        "\"COPY . /app\"]}}";
  cleanup_build struct build b;
  cleanup_build struct build own;
  const struct cc_builder_stage_result *r;

  (void)state;
  build ("FROM a\nRUN after\n", NULL, with_triggers, &b);
  r = last (&b);
  /* Triggers run first, then the stage's own instructions; the child
     image keeps no trigger.  */
  assert_int_equal (r->n_steps, 3);
  assert_string_equal (r->steps[0].argv[2], "echo $T");
  {
    cleanup_free char *env = j (r->steps[0].env);
    assert_non_null (strstr (env, "T=1"));
  }
  assert_int_equal (r->steps[1].kind, CC_STEP_COPY);
  assert_string_equal (r->steps[1].dest, "/app");
  assert_int_equal (r->steps[1].instr->line, 1);
  assert_string_equal (r->steps[2].argv[2], "after");
  assert_null (r->image->onbuild);
  /* ONBUILD records triggers, with no history entry.  */
  build ("FROM a AS base\nONBUILD RUN make\nFROM base\nRUN child\n", NULL, NULL, &own);
  r = cc_builder_result_stage (own.res, 0);
  assert_int_equal (cc_strv_len (r->image->onbuild), 1);
  assert_string_equal (r->image->onbuild[0], "RUN make");
  assert_int_equal (r->image->n_history, 1);
  /* A stage built FROM a stage with triggers runs them.  */
  r = last (&own);
  assert_string_equal (r->steps[0].argv[2], "make");
}

static void
test_onbuild_errors (void **state)
{
  static const char *bad = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"OnBuild\":[\"FOO bar\"]}}";
  static const char *from = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"OnBuild\":[\"FROM x\"]}}";
  cleanup_build struct build b;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (try_build ("FROM base\nRUN x\n", NULL, bad, &b, &err), -1);
  assert_non_null (strstr (err->msg, "Dockerfile:1:1: ONBUILD trigger `FOO bar` of the base image: ONBUILD:1:1: "
                                     "unknown instruction: FOO"));
  build_release (&b);
  cc_error_release (&err);
  assert_int_equal (try_build ("FROM base\n", NULL, from, &b, &err), -1);
  assert_non_null (strstr (err->msg, "is not a command type"));
}

/* ---- COPY / ADD ------------------------------------------------------- */

static void
test_copy_sources (void **state)
{
  cleanup_build struct build b;
  const struct cc_builder_stage_result *r;

  (void)state;
  build ("FROM a AS build\n"
         "FROM a\n"
         "WORKDIR /app\n"
         "ENV SRC=src\n"
         "COPY --chown=$SRC:1 --chmod=640 --link $SRC/ ./lib/*.so ./\n"
         "COPY --from=build /out/bin bin\n"
         "COPY --from=redis:7 /usr/local/bin/redis-server /usr/bin/\n"
         "ADD https://example.com/files/app.tar.gz?x=1 https://example.com/ /dl/\n"
         "ADD --checksum=sha256:1111111111111111111111111111111111111111111111111111111111111111 "
         "https://example.com/f /f\n"
         "COPY <<EOF <<'RAW' config/\n"
         "name=$SRC\n"
         "EOF\n"
         "raw=$SRC\n"
         "RAW\n"
         "COPY <<-EOF /t\n"
         "\t\tindented\n"
         "\tEOF\n"
         "COPY . .\n",
         NULL, NULL, &b);
  r = last (&b);
  assert_int_equal (r->steps[1].kind, CC_STEP_COPY);
  assert_string_equal (r->steps[1].chown, "src:1");
  assert_true (r->steps[1].has_chmod);
  assert_int_equal (r->steps[1].chmod, 0640);
  assert_true (r->steps[1].link);
  assert_int_equal (r->steps[1].n_sources, 2);
  assert_string_equal (r->steps[1].sources[0].path, "/src");
  assert_string_equal (r->steps[1].sources[1].path, "/lib/*.so");
  assert_string_equal (r->steps[1].dest, "/app/");
  assert_string_equal (r->image->history[3].created_by, "COPY --chown=src:1 --chmod=640 src/ ./lib/*.so ./ # buildkit");
  assert_int_equal (r->steps[2].from_stage, 0);
  assert_int_equal (r->steps[2].sources[0].kind, CC_SRC_STAGE);
  assert_string_equal (r->steps[2].dest, "/app/bin");
  assert_string_equal (r->steps[3].from_image, "docker.io/library/redis:7");
  assert_int_equal (r->steps[3].sources[0].kind, CC_SRC_IMAGE);
  assert_int_equal (r->steps[4].kind, CC_STEP_ADD);
  assert_int_equal (r->steps[4].sources[0].kind, CC_SRC_URL);
  assert_string_equal (r->steps[4].sources[0].filename, "app.tar.gz");
  assert_string_equal (r->steps[4].sources[1].filename, "__unnamed__");
  assert_string_equal (r->steps[5].checksum, "sha256:1111111111111111111111111111111111111111111111111111111111111111");
  assert_int_equal (r->steps[6].n_sources, 2);
  assert_int_equal (r->steps[6].sources[0].kind, CC_SRC_HEREDOC);
  assert_string_equal (r->steps[6].sources[0].filename, "EOF");
  assert_string_equal (r->steps[6].sources[0].content, "name=src\n");
  assert_string_equal (r->steps[6].sources[1].content, "raw=$SRC\n");
  assert_string_equal (r->steps[6].dest, "/app/config/");
  assert_string_equal (r->image->history[8].created_by, "COPY <<EOF <<RAW config/ # buildkit");
  assert_string_equal (r->steps[7].sources[0].content, "indented\n");
  assert_string_equal (r->steps[8].sources[0].path, "/");
  assert_string_equal (r->steps[8].dest, "/app/");
  /* A local path ending in .git stays local.  */
  {
    cleanup_build struct build g;
    build ("FROM a\nCOPY vendor/repo.git /r\n", NULL, NULL, &g);
    assert_int_equal (last (&g)->steps[0].sources[0].kind, CC_SRC_CONTEXT);
  }
}

/* ---- RUN ------------------------------------------------------------------ */

static void
test_run_mounts (void **state)
{
  cleanup_build struct build b;
  const struct cc_builder_step *s;

  (void)state;
  build ("FROM a AS deps\n"
         "FROM a\n"
         "WORKDIR /w\n"
         "ARG CACHE=/root/.cache\n"
         "RUN --mount=type=cache,target=$CACHE,sharing=locked,uid=1000 "
         "--mount=type=bind,from=deps,source=/out,target=deps,rw "
         "--mount=type=secret,id=npmrc,target=/root/.npmrc,required "
         "--mount=type=secret,source=aws "
         "--mount=type=tmpfs,target=/tmp/t,size=64m "
         "--mount=target=/src "
         "--mount=type=ssh "
         "--network=none make\n",
         NULL, NULL, &b);
  s = &last (&b)->steps[1];
  assert_int_equal (s->n_mounts, 7);
  assert_int_equal (s->mounts[0].type, CC_MOUNT_CACHE);
  assert_string_equal (s->mounts[0].target, "/root/.cache");
  assert_string_equal (s->mounts[0].id, "/root/.cache");
  assert_int_equal (s->mounts[0].sharing, CC_SHARING_LOCKED);
  assert_false (s->mounts[0].readonly);
  assert_true (s->mounts[0].has_uid);
  assert_int_equal (s->mounts[0].uid, 1000);
  assert_int_equal (s->mounts[1].from_stage, 0);
  assert_string_equal (s->mounts[1].target, "/w/deps");
  assert_string_equal (s->mounts[1].source, "/out");
  assert_false (s->mounts[1].readonly);
  assert_string_equal (s->mounts[2].id, "npmrc");
  assert_true (s->mounts[2].required);
  assert_true (s->mounts[2].readonly);
  assert_int_equal (s->mounts[2].mode, 0400);
  assert_string_equal (s->mounts[3].id, "aws");
  assert_string_equal (s->mounts[3].target, "/run/secrets/aws");
  assert_int_equal (s->mounts[4].size, 64 << 20);
  assert_true (s->mounts[5].from_context);
  assert_true (s->mounts[5].readonly);
  assert_string_equal (s->mounts[6].id, "default");
  assert_string_equal (s->mounts[6].target, "/run/buildkit/ssh_agent.0");
  assert_string_equal (s->network, "none");
}

static void
test_run_heredocs (void **state)
{
  cleanup_build struct build b;
  const struct cc_builder_stage_result *r;

  (void)state;
  build ("FROM a\n"
         "RUN <<EOF\n"
         "echo one\n"
         "echo two\n"
         "EOF\n"
         "RUN <<EOF\n"
         "#!/usr/bin/env python3\n"
         "print('hi')\n"
         "EOF\n"
         "RUN cat <<A <<-B > /out\n"
         "a\n"
         "A\n"
         "\tb\n"
         "\tB\n"
         "RUN <<-EOF\n"
         "\t\techo tabs\n"
         "EOF\n",
         NULL, NULL, &b);
  r = last (&b);
  assert_string_equal (r->steps[0].argv[2], "echo one\necho two\n");
  assert_string_equal (r->steps[0].display, "RUN <<EOF (echo one...)");
  assert_int_equal (r->steps[1].n_files, 1);
  assert_string_equal (r->steps[1].files[0].path, "/dev/pipes/EOF");
  assert_int_equal (r->steps[1].files[0].mode, 0755);
  assert_string_equal (r->steps[1].argv[2], "/dev/pipes/EOF");
  assert_string_equal (r->steps[2].argv[2], "cat <<A <<-B > /out\na\nA\n\tb\nB");
  assert_string_equal (r->steps[3].argv[2], "echo tabs\n");
  assert_string_equal (r->image->history[1].created_by, "RUN /bin/sh -c echo one\necho two\n # buildkit");
}

static void
test_run_display (void **state)
{
  cleanup_build struct build b;

  (void)state;
  build ("FROM a\nENV V=1\nrun echo \"$V\" $UNSET '$V'\n", NULL, NULL, &b);
  /* Progress text: substituted with quotes kept and unset names left.  */
  assert_string_equal (last (&b)->steps[0].display, "RUN echo \"1\" $UNSET '$V'");
  assert_string_equal (last (&b)->steps[0].argv[2], "echo \"$V\" $UNSET '$V'");
}

/* ---- JSON ---------------------------------------------------------------- */

static void
test_json_roundtrip (void **state)
{
  cleanup_build struct build b;
  cleanup_cjson cJSON *doc = NULL;
  cleanup_free char *text = NULL;
  cleanup_builder_image struct cc_builder_image *back = NULL;
  cleanup_cjson cJSON *doc2 = NULL;
  cleanup_free char *text2 = NULL;

  (void)state;
  build ("FROM a\nEXPOSE 80\nVOLUME /v\nLABEL k=v\nHEALTHCHECK --interval=5s CMD x\nSHELL [\"/bin/ash\", \"-c\"]\n"
         "ONBUILD RUN y\nUSER u\nSTOPSIGNAL 9\nCMD [\"c\"]\n",
         NULL, NULL, &b);
  doc = cc_builder_image_to_json (last (&b)->image);
  text = cJSON_PrintUnformatted (doc);
  assert_non_null (strstr (text, "\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":\"u\","
                                 "\"ExposedPorts\":{\"80/tcp\":{}},\"Env\":"));
  assert_non_null (strstr (text, "\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"x\"],\"Interval\":5000000000}"));
  assert_non_null (strstr (text, "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:aa\"]}"));
  assert_int_equal (cc_builder_image_parse (text, strlen (text), &back, NULL), 0);
  doc2 = cc_builder_image_to_json (back);
  text2 = cJSON_PrintUnformatted (doc2);
  assert_string_equal (text, text2);
}

/* ---- hostile input ---------------------------------------------------- */

static void
expect_budget_error (const char *text)
{
  cleanup_build struct build b;
  cleanup_error cc_error_t err = NULL;
  clock_t t0 = clock ();

  assert_int_equal (try_build (text, NULL, NULL, &b, &err), -1);
  if (strstr (err->msg, "more than") == NULL && strstr (err->msg, "longer than") == NULL)
    fail_msg ("unexpected error: %.200s", err->msg);
  assert_true ((double)(clock () - t0) / CLOCKS_PER_SEC < 60);
}

/* Evaluation that would grow without bound (exponential variables,
   BuildKit's quadratic RUN history, huge port ranges) stops with an
   error, in linear time.  */
static void
test_hostile_eval (void **state)
{
  struct cc_buf b = { 0 };

  (void)state;
  cc_buf_puts (&b, "FROM a\nENV V0=");
  for (int i = 0; i < 1000; i++)
    cc_buf_putc (&b, 'x');
  cc_buf_putc (&b, '\n');
  for (int l = 1; l < 10; l++)
    {
      cc_buf_printf (&b, "ENV V%d=", l);
      for (int i = 0; i < 10; i++)
        cc_buf_printf (&b, "$V%d", l - 1);
      cc_buf_putc (&b, '\n');
    }
  expect_budget_error (b.data);
  cc_buf_reset (&b);
  cc_buf_puts (&b, "FROM a\n");
  for (int i = 0; i < 20000; i++)
    cc_buf_printf (&b, "ARG A%d=%d\n", i, i);
  for (int i = 0; i < 20000; i++)
    cc_buf_puts (&b, "RUN x\n");
  expect_budget_error (b.data);
  cc_buf_reset (&b);
  cc_buf_puts (&b, "FROM a\nEXPOSE");
  while (b.len < 60000)
    cc_buf_puts (&b, " 1-65535");
  cc_buf_putc (&b, '\n');
  expect_budget_error (b.data);
  cc_buf_reset (&b);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_cmd_entrypoint),
    cmocka_unit_test (test_cmd_history),
    cmocka_unit_test (test_workdir),
    cmocka_unit_test (test_env),
    cmocka_unit_test (test_arg_scoping),
    cmocka_unit_test (test_arg_expansion_order),
    cmocka_unit_test (test_label),
    cmocka_unit_test (test_expose),
    cmocka_unit_test (test_eval_errors),
    cmocka_unit_test (test_metadata),
    cmocka_unit_test (test_healthcheck_none_and_durations),
    cmocka_unit_test (test_onbuild),
    cmocka_unit_test (test_onbuild_errors),
    cmocka_unit_test (test_copy_sources),
    cmocka_unit_test (test_run_mounts),
    cmocka_unit_test (test_run_heredocs),
    cmocka_unit_test (test_run_display),
    cmocka_unit_test (test_json_roundtrip),
    cmocka_unit_test (test_hostile_eval),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
