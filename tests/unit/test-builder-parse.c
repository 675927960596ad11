/* Unit tests for the Dockerfile parser (builder/dockerfile.c,
   instructions.c, jsonargs.c, mount.c): every instruction and flag,
   parser directives, continuations, CRLF, the backtick escape, heredocs,
   the JSON fallback, and errors with their exact position and text.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
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
    fail_msg ("parse failed: %s\n--- for:\n%s", err->msg, text);
  return df;
}

/* The error for TEXT, whole (position, message, line, caret).  */
static char *
parse_error (const char *text)
{
  struct cc_dockerfile *df = NULL;
  cc_error_t err = NULL;
  char *msg;

  if (cc_dockerfile_parse ("Dockerfile", text, strlen (text), &df, &err) == 0)
    {
      cc_dockerfile_free (df);
      fail_msg ("parse succeeded for:\n%s", text);
    }
  msg = xstrdup (err->msg);
  cc_error_release (&err);
  return msg;
}

/* The first line of the error: "Dockerfile:L:C: message".  */
static void
assert_error (const char *text, const char *want)
{
  cleanup_free char *msg = parse_error (text);
  char *nl = strchr (msg, '\n');

  if (nl)
    *nl = '\0';
  if (strcmp (msg, want) != 0)
    fail_msg ("for:\n%s\ngot:  %s\nwant: %s", text, msg, want);
}

static char *
joined (char *const *v)
{
  return v ? cc_strv_join ((char **)v, "|") : xstrdup ("(null)");
}

static void
assert_args (const struct cc_df_instr *in, const char *want)
{
  cleanup_free char *j = joined (in->args);

  if (strcmp (j, want) != 0)
    fail_msg ("%s line %d: args `%s`, want `%s`", in->keyword, in->line, j, want);
}

/* ---- instructions ---------------------------------------------------- */

static void
test_from (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df
      = parse ("ARG V=3\nFROM alpine:$V AS Build-1\nFROM --platform=$BUILDPLATFORM build-1\nfrom scratch as x\n");

  (void)state;
  assert_int_equal (df->n_meta_args, 1);
  assert_int_equal (df->n_stages, 3);
  assert_string_equal (df->stages[0].base, "alpine:$V");
  assert_string_equal (df->stages[0].name, "build-1");
  assert_null (df->stages[1].name);
  assert_string_equal (df->stages[1].platform, "$BUILDPLATFORM");
  assert_string_equal (df->stages[2].base, "scratch");
  assert_string_equal (df->stages[2].name, "x");
  assert_int_equal (df->stages[2].from->line, 4);
  assert_string_equal (df->stages[2].from->keyword, "from");
}

static void
test_arg_env_label (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df
      = parse ("FROM a\nARG A B=2 \"C\"=\"x y\"\nENV K1=v1 K2=\"two words\" K3=a\\ b\nENV LEGACY some value "
               "here\nLABEL \"com.example\"=\"x\" b=c\nMAINTAINER Jane <jane@example.com>\n");
  const struct cc_df_instr *arg = df->stages[0].instrs[0];
  const struct cc_df_instr *env = df->stages[0].instrs[1];
  const struct cc_df_instr *legacy = df->stages[0].instrs[2];
  const struct cc_df_instr *label = df->stages[0].instrs[3];
  const struct cc_df_instr *m = df->stages[0].instrs[4];

  (void)state;
  assert_int_equal (arg->kind, CC_DF_ARG);
  assert_int_equal (arg->n_kv, 3);
  assert_string_equal (arg->kv[0].key, "A");
  assert_null (arg->kv[0].value);
  assert_string_equal (arg->kv[1].value, "2");
  /* Quotes stay for the evaluation to remove.  */
  assert_string_equal (arg->kv[2].key, "\"C\"");
  assert_string_equal (arg->kv[2].value, "\"x y\"");
  assert_int_equal (env->n_kv, 3);
  assert_string_equal (env->kv[1].value, "\"two words\"");
  assert_string_equal (env->kv[2].value, "a\\ b");
  assert_int_equal (legacy->n_kv, 1);
  assert_string_equal (legacy->kv[0].key, "LEGACY");
  assert_string_equal (legacy->kv[0].value, "some value here");
  assert_int_equal (label->n_kv, 2);
  assert_string_equal (label->kv[0].key, "\"com.example\"");
  assert_args (m, "Jane <jane@example.com>");
}

static void
test_run_forms (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df
      = parse ("FROM a\nRUN echo hi && ls\nRUN [\"echo\", \"hi\"]\nRUN --network=none --mount=type=cache,target=/c "
               "--mount=type=bind,from=b,source=/s,target=/t make\nRUN\nRUN [ \"bad\", json\nRUN [\"x\"] trailing\n");
  struct cc_df_instr **in = df->stages[0].instrs;

  (void)state;
  assert_false (in[0]->json);
  assert_args (in[0], "echo hi && ls");
  assert_true (in[1]->json);
  assert_args (in[1], "echo|hi");
  assert_string_equal (in[2]->flag_network, "none");
  assert_int_equal (cc_strv_len (in[2]->flag_mounts), 2);
  assert_string_equal (in[2]->flag_mounts[1], "type=bind,from=b,source=/s,target=/t");
  assert_args (in[2], "make");
  /* A bare RUN is accepted, as BuildKit accepts it.  */
  assert_args (in[3], "");
  /* Invalid JSON falls back to the shell form.  */
  assert_false (in[4]->json);
  assert_args (in[4], "[ \"bad\", json");
  /* Go's json.Decoder reads the first value and ignores the rest.  */
  assert_true (in[5]->json);
  assert_args (in[5], "x");
}

static void
test_copy_add_flags (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df
      = parse ("FROM a\nCOPY --from=build --chown=1:2 --chmod=0644 --link a b /dst/\nCOPY [\"a b\", \"/c d\"]\n"
               "ADD --checksum=sha256:0000 --keep-git-dir=true --link=false https://x/y.tgz /\nCOPY \"a b\" c\n");
  struct cc_df_instr **in = df->stages[0].instrs;

  (void)state;
  assert_string_equal (in[0]->flag_from, "build");
  assert_string_equal (in[0]->flag_chown, "1:2");
  assert_string_equal (in[0]->flag_chmod, "0644");
  assert_true (in[0]->flag_link);
  assert_args (in[0], "a|b|/dst/");
  assert_true (in[1]->json);
  assert_args (in[1], "a b|/c d");
  assert_string_equal (in[2]->flag_checksum, "sha256:0000");
  assert_true (in[2]->flag_keep_git_dir);
  assert_false (in[2]->flag_link);
  /* COPY/ADD split at blanks without looking at quotes (BuildKit too).  */
  assert_args (in[3], "\"a|b\"|c");
}

static void
test_metadata (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df
      = parse ("FROM a\nWORKDIR /my dir\nUSER app:app\nEXPOSE 80 443/tcp\nVOLUME /a /b\nVOLUME [\"/c\"]\n"
               "CMD [\"x\"]\nENTRYPOINT exec app\nSTOPSIGNAL SIGINT\nSHELL [\"/bin/bash\", \"-c\"]\n"
               "HEALTHCHECK --interval=5m --timeout=3s --start-period=1s --start-interval=2s --retries=4 CMD "
               "curl -f x\nHEALTHCHECK NONE\nHEALTHCHECK CMD [\"/bin/check\", \"a\"]\n");
  struct cc_df_instr **in = df->stages[0].instrs;

  (void)state;
  assert_args (in[0], "/my dir");
  assert_args (in[1], "app:app");
  assert_args (in[2], "80|443/tcp");
  assert_args (in[3], "/a|/b");
  assert_args (in[4], "/c");
  assert_true (in[5]->json);
  assert_false (in[6]->json);
  assert_args (in[7], "SIGINT");
  assert_args (in[8], "/bin/bash|-c");
  assert_int_equal (in[9]->health->interval_ns, 300000000000LL);
  assert_int_equal (in[9]->health->timeout_ns, 3000000000LL);
  assert_int_equal (in[9]->health->start_period_ns, 1000000000LL);
  assert_int_equal (in[9]->health->start_interval_ns, 2000000000LL);
  assert_int_equal (in[9]->health->retries, 4);
  {
    cleanup_free char *t = joined (in[9]->health->test);
    assert_string_equal (t, "CMD-SHELL|curl -f x");
  }
  {
    cleanup_free char *t = joined (in[10]->health->test);
    assert_string_equal (t, "NONE");
  }
  {
    cleanup_free char *t = joined (in[11]->health->test);
    assert_string_equal (t, "CMD|/bin/check|a");
  }
}

static void
test_onbuild (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df
      = parse ("FROM a\nONBUILD RUN echo \"$X\"\n  onbuild   COPY --from=x . /app\nONBUILD FOO bar\n"
               "ONBUILD RUN <<EOF\nhello\nEOF\n");
  struct cc_df_instr **in = df->stages[0].instrs;

  (void)state;
  assert_string_equal (in[0]->onbuild, "RUN echo \"$X\"");
  assert_args (in[0], "RUN|echo \"$X\"");
  assert_int_equal (in[0]->trigger->kind, CC_DF_RUN);
  assert_string_equal (in[1]->onbuild, "COPY --from=x . /app");
  assert_string_equal (in[1]->trigger->flags[0], "--from=x");
  /* An unknown trigger is only checked in the image built FROM this one.  */
  assert_string_equal (in[2]->onbuild, "FOO bar");
  assert_true (in[2]->trigger->unknown);
  /* Heredocs travel with the trigger.  */
  assert_string_equal (in[3]->onbuild, "RUN <<EOF\nhello\nEOF");
}

/* ---- directives, continuations, line endings -------------------------- */

static void
test_directives (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *a = parse ("# escape=`\n# Syntax = docker/dockerfile:1\nFROM a\n");
  cleanup_dockerfile struct cc_dockerfile *b = parse ("# comment\n# escape=`\nFROM a\nRUN a \\\n");
  cleanup_dockerfile struct cc_dockerfile *c = parse ("\n# escape=`\nFROM a\n");
  cleanup_dockerfile struct cc_dockerfile *d = parse ("#ESCAPE   =   `   \nFROM a\n");

  (void)state;
  assert_int_equal (a->escape, '`');
  assert_string_equal (a->syntax, "docker/dockerfile:1");
  /* After a comment or a blank line it is a comment itself.  */
  assert_int_equal (b->escape, '\\');
  assert_int_equal (c->escape, '\\');
  assert_int_equal (d->escape, '`');
}

static void
test_syntax_names (void **state)
{
  static const char *const ok[]
      = { "docker/dockerfile:1",
          "docker/dockerfile:1.4",
          "docker/dockerfile:1.7.0",
          "docker.io/docker/dockerfile:1",
          "docker/dockerfile",
          "docker/dockerfile:latest",
          "docker/dockerfile:1.4@sha256:0000000000000000000000000000000000000000000000000000000000000000",
          "docker/dockerfile:1 --some-arg" };
  static const char *const bad[]
      = { "docker/dockerfile:1-labs", "docker/dockerfile-upstream:1", "foo/bar:1",
          "docker/dockerfile:2",      "docker/dockerfile:1.x",        "tonistiigi/dockerfile:1" };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (ok); i++)
    {
      cleanup_free char *text = xasprintf ("# syntax=%s\nFROM a\n", ok[i]);
      cleanup_dockerfile struct cc_dockerfile *df = parse (text);
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (bad); i++)
    {
      cleanup_free char *text = xasprintf ("# syntax=%s\nFROM a\n", bad[i]);
      cleanup_free char *msg = parse_error (text);
      assert_non_null (strstr (msg, "Dockerfile:1:1: unsupported syntax"));
    }
}

static void
test_continuations (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df = parse ("FROM a\n"
                                                       "RUN apt-get update && \\\n"
                                                       "    # a comment inside\n"
                                                       "\n"
                                                       "    apt-get install -y \\\n"
                                                       "      curl   \\  \n"
                                                       "  \t \n"
                                                       "      git\n"
                                                       "RUN echo \\\\\n"
                                                       "RUN \\\n"
                                                       "  ls\n");
  struct cc_df_instr **in = df->stages[0].instrs;

  (void)state;
  assert_args (in[0], "apt-get update &&     apt-get install -y       curl         git");
  assert_int_equal (in[0]->line, 2);
  assert_int_equal (in[0]->end_line, 8);
  /* Blank lines inside a continuation warn (BuildKit's "empty
     continuation line"); comment lines do not.  */
  assert_int_equal (cc_strv_len (df->warnings), 1);
  assert_non_null (strstr (df->warnings[0], "Dockerfile:8: empty continuation line"));
  /* An escaped escape character ends the line.  */
  assert_args (in[1], "echo \\\\");
  assert_args (in[2], "ls");
}

static void
test_crlf_bom (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df
      = parse ("\xEF\xBB\xBF# escape=`\r\nFROM a\r\nRUN echo a `\r\n  b\r\nENV X=1\r\r\n");
  struct cc_df_instr **in = df->stages[0].instrs;

  (void)state;
  assert_int_equal (df->escape, '`');
  assert_args (in[0], "echo a   b");
  assert_string_equal (in[1]->kv[0].value, "1");
}

static void
test_backtick_windows (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df = parse ("# escape=`\nFROM windows\nCOPY testfile.txt c:\\\n"
                                                       "RUN dir c:\\ `\n    && echo done\nENV P=c:\\path`\\x\n");
  struct cc_df_instr **in = df->stages[0].instrs;

  (void)state;
  /* A backslash at the end is a path, not a continuation.  */
  assert_args (in[0], "testfile.txt|c:\\");
  assert_args (in[1], "dir c:\\     && echo done");
  assert_string_equal (in[2]->kv[0].value, "c:\\path`\\x");
}

static void
test_continuation_at_eof (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df = parse ("FROM a\nRUN echo \\");

  (void)state;
  assert_args (df->stages[0].instrs[0], "echo");
}

/* ---- heredocs --------------------------------------------------------- */

static void
test_heredocs (void **state)
{
  cleanup_dockerfile struct cc_dockerfile *df = parse ("FROM a\n"
                                                       "RUN <<EOF\n"
                                                       "echo $HOME\n"
                                                       "EOF\n"
                                                       "RUN <<-EOT bash\n"
                                                       "\techo tab\n"
                                                       "\tEOT\n"
                                                       "COPY <<'A' <<\"B\" /dst/\n"
                                                       "a $X\n"
                                                       "A\n"
                                                       "b\n"
                                                       "B\n"
                                                       "RUN 3<<IN cat <&3\n"
                                                       "data\n"
                                                       "IN\n"
                                                       "RUN [\"cat\", \"<<EOF\"]\n"
                                                       "RUN echo <<EOF >/x\n"
                                                       "y\n"
                                                       "EOF\n");
  struct cc_df_instr **in = df->stages[0].instrs;

  (void)state;
  assert_int_equal (in[0]->n_heredocs, 1);
  assert_string_equal (in[0]->heredocs[0].name, "EOF");
  assert_string_equal (in[0]->heredocs[0].content, "echo $HOME\n");
  assert_true (in[0]->heredocs[0].expand);
  assert_false (in[0]->heredocs[0].chomp);
  assert_true (in[1]->heredocs[0].chomp);
  assert_string_equal (in[1]->heredocs[0].content, "\techo tab\n");
  assert_int_equal (in[2]->n_heredocs, 2);
  assert_string_equal (in[2]->heredocs[0].name, "A");
  assert_false (in[2]->heredocs[0].expand);
  assert_false (in[2]->heredocs[1].expand);
  assert_string_equal (in[2]->heredocs[1].content, "b\n");
  assert_int_equal (in[3]->heredocs[0].fd, 3);
  /* The exec form reads no heredoc.  */
  assert_int_equal (in[4]->n_heredocs, 0);
  /* The delimiter is the word after <<, up to a blank.  */
  assert_int_equal (in[5]->n_heredocs, 1);
  assert_string_equal (in[5]->heredocs[0].content, "y\n");
  assert_int_equal (in[5]->end_line, 19);
  assert_int_equal (df->stages[0].n_instrs, 6);
}

static void
test_heredoc_old_syntax (void **state)
{
  /* Before frontend 1.4 there were no heredocs: the body lines are
     instructions (here an unknown one).  */
  cleanup_free char *msg = parse_error ("# syntax=docker/dockerfile:1.3\nFROM a\nRUN <<EOF\nhello\nEOF\n");

  (void)state;
  assert_non_null (strstr (msg, "Dockerfile:4:1: unknown instruction: hello"));
}

/* ---- errors --------------------------------------------------------------- */

static const struct
{
  const char *text;
  const char *want;
} error_table[] = {
  { "", "Dockerfile: the Dockerfile cannot be empty" },
  { "\n# only comments\n\n", "Dockerfile:3:1: file with no instructions" },
  { "RUN x\n", "Dockerfile:1:1: no build stage in current context" },
  { "ARG A\nENV B=1\nFROM a\n", "Dockerfile:2:1: no build stage in current context" },
  { "FROM a\nRUNN x\n", "Dockerfile:2:1: unknown instruction: RUNN (did you mean RUN?)" },
  { "FROM a\n  cpy x y\n", "Dockerfile:2:3: unknown instruction: cpy (did you mean copy?)" },
  { "FROM a\nFOOBAR x\n", "Dockerfile:2:1: unknown instruction: FOOBAR" },
  { "FROM a\nCOPY --lnk a b\n", "Dockerfile:2:6: unknown flag: lnk (did you mean link?)" },
  { "FROM a\nCOPY \\\n  --exclude=*.md a b\n", "Dockerfile:3:3: unknown flag: exclude" },
  { "FROM a\nCOPY --parents a b\n", "Dockerfile:2:6: unknown flag: parents" },
  { "FROM a\nRUN --security=insecure x\n", "Dockerfile:2:5: unknown flag: security" },
  { "FROM a\nADD --from=x a b\n", "Dockerfile:2:5: unknown flag: from" },
  { "FROM a\nENV --x=1 A=1\n", "Dockerfile:2:5: unknown flag: x" },
  { "FROM a\nCOPY --link=yes a b\n", "Dockerfile:2:6: expecting boolean value for flag link, not: yes" },
  { "FROM a\nCOPY --link= a b\n", "Dockerfile:2:6: missing a value on flag: link" },
  { "FROM a\nCOPY --from a b\n", "Dockerfile:2:6: missing a value on flag: from" },
  { "FROM a\nCOPY --from=a --from=b a b\n", "Dockerfile:2:15: duplicate flag specified: from" },
  { "FROM a\nCOPY a\n", "Dockerfile:2:1: COPY requires at least two arguments, but only one was provided. "
                        "Destination could not be determined" },
  { "FROM a\nCOPY a <<EOF\nx\nEOF\n", "Dockerfile:2:1: COPY cannot accept a heredoc as a destination" },
  { "FROM\n", "Dockerfile:1:1: FROM requires either one or three arguments" },
  { "FROM a b\n", "Dockerfile:1:1: FROM requires either one or three arguments" },
  { "FROM a AS 1x\n", "Dockerfile:1:1: invalid name for build stage: \"1x\", name can't start with a number or "
                      "contain symbols" },
  { "FROM a AS b$c\n", "Dockerfile:1:1: invalid name for build stage: \"b$c\", name can't start with a number or "
                       "contain symbols" },
  { "FROM a\nENV\n", "Dockerfile:2:1: ENV requires at least one argument" },
  { "FROM a\nENV A\n", "Dockerfile:2:1: ENV must have two arguments" },
  { "FROM a\nENV A=1 B\n", "Dockerfile:2:1: Syntax error - can't find = in \"B\". Must be of the form: name=value" },
  { "FROM a\nENV =1\n", "Dockerfile:2:1: ENV names can not be blank" },
  { "FROM a\nLABEL\n", "Dockerfile:2:1: LABEL requires at least one argument" },
  { "FROM a\nARG\n", "Dockerfile:2:1: ARG requires at least one argument" },
  { "FROM a\nARG =x\n", "Dockerfile:2:1: ARG names can not be blank" },
  { "FROM a\nWORKDIR\n", "Dockerfile:2:1: WORKDIR requires exactly one argument" },
  { "FROM a\nUSER\n", "Dockerfile:2:1: USER requires exactly one argument" },
  { "FROM a\nEXPOSE\n", "Dockerfile:2:1: EXPOSE requires at least one argument" },
  { "FROM a\nVOLUME\n", "Dockerfile:2:1: VOLUME requires at least one argument" },
  { "FROM a\nVOLUME [\"\"]\n", "Dockerfile:2:1: VOLUME specified can not be an empty string" },
  { "FROM a\nSTOPSIGNAL\n", "Dockerfile:2:1: STOPSIGNAL requires exactly one argument" },
  { "FROM a\nMAINTAINER\n", "Dockerfile:2:1: MAINTAINER requires exactly one argument" },
  { "FROM a\nSHELL\n", "Dockerfile:2:1: SHELL requires at least one argument" },
  { "FROM a\nSHELL /bin/sh -c\n", "Dockerfile:2:1: SHELL requires the arguments to be in JSON form" },
  { "FROM a\nCMD [1]\n", "Dockerfile:2:1: when using JSON array syntax, arrays must be comprised of strings only" },
  { "FROM a\nCOPY [\"a\", null] b\n",
    "Dockerfile:2:1: when using JSON array syntax, arrays must be comprised of strings only" },
  { "FROM a\nONBUILD\n", "Dockerfile:2:1: ONBUILD requires at least one argument" },
  { "FROM a\nONBUILD ONBUILD RUN x\n", "Dockerfile:2:1: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed" },
  { "FROM a\nONBUILD from b\n", "Dockerfile:2:1: FROM isn't allowed as an ONBUILD trigger" },
  { "FROM a\nONBUILD MAINTAINER x\n", "Dockerfile:2:1: MAINTAINER isn't allowed as an ONBUILD trigger" },
  { "FROM a\nHEALTHCHECK\n", "Dockerfile:2:1: HEALTHCHECK requires at least one argument" },
  { "FROM a\nHEALTHCHECK NONE x\n", "Dockerfile:2:1: HEALTHCHECK NONE takes no arguments" },
  { "FROM a\nHEALTHCHECK CMD\n", "Dockerfile:2:1: Missing command after HEALTHCHECK CMD" },
  { "FROM a\nHEALTHCHECK FOO x\n", "Dockerfile:2:1: Unknown type \"FOO\" in HEALTHCHECK (try CMD)" },
  { "FROM a\nHEALTHCHECK --interval=1x CMD x\n", "Dockerfile:2:1: time: unknown unit \"x\" in duration \"1x\"" },
  { "FROM a\nHEALTHCHECK --interval=10 CMD x\n", "Dockerfile:2:1: time: missing unit in duration \"10\"" },
  { "FROM a\nHEALTHCHECK --timeout=10us CMD x\n", "Dockerfile:2:1: Interval \"timeout\" cannot be less than 1ms" },
  { "FROM a\nHEALTHCHECK --retries=-1 CMD x\n", "Dockerfile:2:1: --retries cannot be negative (-1)" },
  { "FROM a\nHEALTHCHECK --retries=x CMD x\n", "Dockerfile:2:1: strconv.ParseInt: parsing \"x\": invalid syntax" },
  { "FROM a\nRUN --network=bridge x\n", "Dockerfile:2:1: invalid network mode \"bridge\"" },
  { "FROM a\nRUN --mount=type=bind,from=$X,target=/t x\n",
    "Dockerfile:2:1: 'from' doesn't support variable expansion, define alias stage instead" },
  { "FROM a\nRUN --mount=type=bind,a\\\"b x\n",
    "Dockerfile:2:1: failed to parse csv mounts: parse error on line 1, column 12: bare \" in non-quoted-field" },
  { "FROM a\nRUN --mount= x\n", "Dockerfile:2:1: failed to parse csv mounts: EOF" },
  { "# escape=x\nFROM a\n", "Dockerfile:1:10: invalid escape token 'x' does not match ` or \\" },
  { "# escape=`\n# escape=\\\nFROM a\n", "Dockerfile:2:1: only one escape parser directive can be used" },
  { "FROM a\nRUN <<EOF\nno end\n", "Dockerfile:2:1: unterminated heredoc" },
  { "FROM a\nRUN x\0y\n", "Dockerfile:2:6: NUL byte: a Dockerfile is text" },
};

static void
test_errors (void **state)
{
  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (error_table); i++)
    {
      const char *t = error_table[i].text;
      size_t len = strlen (t);
      /* The NUL case: its text goes on after the NUL.  */
      if (strstr (error_table[i].want, "NUL byte"))
        {
          struct cc_dockerfile *df = NULL;
          cleanup_error cc_error_t err = NULL;
          assert_int_equal (cc_dockerfile_parse ("Dockerfile", "FROM a\nRUN x\0y\n", 16, &df, &err), -1);
          assert_non_null (strstr (err->msg, error_table[i].want));
          continue;
        }
      (void)len;
      assert_error (t, error_table[i].want);
    }
}

/* The line is shown with a caret under the column.  */
static void
test_error_excerpt (void **state)
{
  cleanup_free char *msg = parse_error ("FROM a\n\tCOPY --bad=1 x y\n");
  cleanup_free char *ctl = parse_error ("FROM a\nRUNX \x1b[31mred\n");

  (void)state;
  assert_string_equal (msg, "Dockerfile:2:7: unknown flag: bad\n  \tCOPY --bad=1 x y\n  \t     ^");
  /* Control characters from the file never reach the terminal.  */
  assert_null (strchr (ctl, '\x1b'));
}

/* ---- hostile input --------------------------------------------------------- */

static void
test_hostile_long_line (void **state)
{
  cleanup_free char *text = xmalloc (70000 + 16);
  cleanup_free char *msg = NULL;

  (void)state;
  strcpy (text, "FROM a\nRUN ");
  memset (text + 11, 'x', 70000);
  text[70011] = '\0';
  msg = parse_error (text);
  assert_non_null (strstr (msg, "Dockerfile:2:1: dockerfile line greater than max allowed size of 65535"));
}

/* CPU seconds since T0: a quadratic parser would take hours on these
   inputs, a linear one seconds even under the sanitizers on a busy
   machine.  */
static double
seconds_since (clock_t t0)
{
  return (double)(clock () - t0) / CLOCKS_PER_SEC;
}

/* 1e5 continuation lines, a 10 MB file of instructions, a huge heredoc:
   parsed in linear time.  */
static void
test_hostile_sizes (void **state)
{
  struct cc_buf b = { 0 };
  clock_t t0 = clock ();

  (void)state;
  cc_buf_puts (&b, "FROM a\nRUN x \\\n");
  for (int i = 0; i < 100000; i++)
    cc_buf_puts (&b, " --flag-like-word \\\n");
  cc_buf_puts (&b, " end\n");
  {
    cleanup_dockerfile struct cc_dockerfile *df = parse (b.data);
    assert_int_equal (df->stages[0].instrs[0]->end_line, 100003);
  }
  cc_buf_reset (&b);
  cc_buf_puts (&b, "FROM a\n");
  while (b.len < 10 << 20)
    cc_buf_puts (&b, "LABEL a=b c=d e=f g=h\nENV X=1 Y=2\nCOPY a b c d e f g h /x/\nEXPOSE 80 81 82\n");
  {
    cleanup_dockerfile struct cc_dockerfile *df = parse (b.data);
    assert_true (df->stages[0].n_instrs > 100000);
  }
  cc_buf_reset (&b);
  cc_buf_puts (&b, "FROM a\nRUN <<EOF\n");
  while (b.len < 8 << 20)
    cc_buf_puts (&b, "echo some line of a very long script\n");
  cc_buf_puts (&b, "EOF\n");
  {
    cleanup_dockerfile struct cc_dockerfile *df = parse (b.data);
    assert_true (strlen (df->stages[0].instrs[0]->heredocs[0].content) > (7 << 20));
  }
  cc_buf_reset (&b);
  /* A 60 KiB line of words and flags.  */
  cc_buf_puts (&b, "FROM a\nCOPY");
  while (b.len < 60000)
    cc_buf_puts (&b, " --chown=1");
  cc_buf_puts (&b, " a b\n");
  {
    cleanup_free char *msg = parse_error (b.data);
    assert_non_null (strstr (msg, "duplicate flag specified: chown"));
  }
  cc_buf_reset (&b);
  assert_true (seconds_since (t0) < 60);
}

static void
test_hostile_bytes (void **state)
{
  static const char *const texts[]
      = { "FROM a\nRUN \xff\xfe\x80 \xc3\x28\n", "FROM a\nENV \xff=\xfe\n", "FROM a\nLABEL \"\xc0\xaf\"=1\n",
          "FROM a\nCMD [\"\xff\"]\n", "FROM \xef\xbb\xbf\n" };

  (void)state;
  for (size_t i = 0; i < CC_N_ELEMENTS (texts); i++)
    {
      struct cc_dockerfile *df = NULL;
      cleanup_error cc_error_t err = NULL;
      /* Parsed or refused, never a crash.  */
      if (cc_dockerfile_parse ("Dockerfile", texts[i], strlen (texts[i]), &df, &err) == 0)
        cc_dockerfile_free (df);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_from),
    cmocka_unit_test (test_arg_env_label),
    cmocka_unit_test (test_run_forms),
    cmocka_unit_test (test_copy_add_flags),
    cmocka_unit_test (test_metadata),
    cmocka_unit_test (test_onbuild),
    cmocka_unit_test (test_directives),
    cmocka_unit_test (test_syntax_names),
    cmocka_unit_test (test_continuations),
    cmocka_unit_test (test_crlf_bom),
    cmocka_unit_test (test_backtick_windows),
    cmocka_unit_test (test_continuation_at_eof),
    cmocka_unit_test (test_heredocs),
    cmocka_unit_test (test_heredoc_old_syntax),
    cmocka_unit_test (test_errors),
    cmocka_unit_test (test_error_excerpt),
    cmocka_unit_test (test_hostile_long_line),
    cmocka_unit_test (test_hostile_sizes),
    cmocka_unit_test (test_hostile_bytes),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
