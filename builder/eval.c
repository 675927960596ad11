/* Evaluation: every needed stage, instruction by instruction, as
   BuildKit's dockerfile2llb dispatches them (frontend 1.7), without
   running anything:

   - a stage starts from its base image's config (or the base stage's
     result, with the environment that stage ended with, ARG values
     included: BuildKit lets ARGs flow into child stages), PATH set when
     the base has none, then the base's ONBUILD triggers run first and
     are dropped from the config;
   - substitution happens in ENV, ARG, LABEL, COPY/ADD (sources,
     destination, --chown, ADD --checksum, heredoc bodies with an
     unquoted delimiter), WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL and
     RUN --mount values, with the environment the stage has at that
     instruction (image ENV and declared ARG values); never in RUN, CMD,
     ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD or MAINTAINER, nor in COPY
     --from and --chmod;
   - all pairs of one ENV (ARG, LABEL) are substituted before any is set;
   - ARG takes the --build-arg value, else its default, else the global
     ARG's value; a declared ARG without a value stays unset;
   - CMD and ENTRYPOINT in shell form are wrapped in SHELL (default
     /bin/sh -c); ENTRYPOINT drops a CMD not set in the same stage;
   - WORKDIR is relative to the previous one, and creates the directory
     (owned by USER) unless it is `/`;
   - the history entries are BuildKit's, byte for byte where Go's
     formatting allows (`RUN |2 A=1 B=2 /bin/sh -c make # buildkit`).

   Hostile Dockerfiles cannot make this quadratic: environments, labels
   and port sets are hashed, and every string produced (expansions,
   environments copied into steps, history entries) is charged to one
   budget (CC_LEX_BUDGET), past which evaluation stops with an error.  */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char *const proxy_args[] = { "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
                                          "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy" };

/* ARGs BuildKit never turns into environment variables.  */
static const char *const non_env_args[] = { "BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE" };

struct optarg
{
  char *key;
  char *value; /* NULL: declared without a value */
};

struct eval
{
  const struct cc_builder_plan *plan;
  const struct cc_dockerfile *df;
  cc_builder_image_fn image_config;
  void *opaque;
  struct cc_bld_lexer lx;
  struct cc_bld_vars *build_args;
  struct optarg *meta; /* the platform args, then the global ARGs */
  size_t n_meta;
  struct cc_bld_vars *declared;
  struct cc_builder_result *res;
};

/* The image being built, with its growing parts hashed.  */
struct work
{
  struct cc_builder_image *img;
  struct cc_bld_vars *env, *labels, *ports, *volumes;
  char **onbuild;
  size_t n_onbuild, cap_onbuild;
  size_t cap_history;
};

struct st
{
  struct eval *ev;
  const struct cc_builder_stage *ps;
  struct cc_builder_stage_result *out;
  struct work w;
  struct cc_bld_vars *env; /* the state's environment: ENV and ARG values */
  char *workdir;
  struct optarg *args; /* ARGs declared in this stage */
  size_t n_args, cap_args;
  bool cmd_set;
  size_t cap_steps;
  size_t n_ssh;
};

static int
charge (struct st *s, size_t n, cc_error_t *err)
{
  s->ev->lx.produced += n;
  if (s->ev->lx.produced > CC_LEX_BUDGET)
    return cc_error_make (err, 0, "build evaluation produces more than %zu MiB of text", CC_LEX_BUDGET >> 20);
  return 0;
}

/* ---- the working image --------------------------------------------------- */

static void
work_from_image (struct work *w, struct cc_builder_image *img)
{
  w->img = img;
  w->env = cc_bld_vars_new ();
  w->labels = cc_bld_vars_new ();
  w->ports = cc_bld_vars_new ();
  w->volumes = cc_bld_vars_new ();
  for (size_t i = 0; img->env && img->env[i]; i++)
    cc_bld_vars_set_kv (w->env, img->env[i]);
  for (size_t i = 0; i < img->n_labels; i++)
    cc_bld_vars_set (w->labels, img->labels[i].key, img->labels[i].value);
  for (size_t i = 0; img->exposed_ports && img->exposed_ports[i]; i++)
    cc_bld_vars_set (w->ports, img->exposed_ports[i], "");
  for (size_t i = 0; img->volumes && img->volumes[i]; i++)
    cc_bld_vars_set (w->volumes, img->volumes[i], "");
  w->n_onbuild = cc_strv_len (img->onbuild);
  w->cap_onbuild = w->n_onbuild + 1;
  w->onbuild = img->onbuild ? steal_pointer (&img->onbuild) : xzalloc (sizeof (char *));
  w->cap_history = img->n_history;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static char **
sorted_keys (const struct cc_bld_vars *v)
{
  size_t n = cc_bld_vars_count (v);
  char **out = xzalloc ((n + 1) * sizeof (char *));

  for (size_t i = 0; i < n; i++)
    out[i] = xstrdup (cc_bld_vars_key (v, i));
  qsort (out, n, sizeof (char *), cmp_str);
  return out;
}

static int
cmp_label (const void *a, const void *b)
{
  return strcmp (((const struct cc_builder_label *)a)->key, ((const struct cc_builder_label *)b)->key);
}

/* The image as it stands, with every part in its final form.  */
static struct cc_builder_image *
work_snapshot (const struct work *w)
{
  struct cc_builder_image *img = cc_builder_image_dup (w->img);
  size_t n = cc_bld_vars_count (w->labels);

  cc_strv_free (img->env);
  img->env = cc_bld_vars_strv (w->env);
  for (size_t i = 0; i < img->n_labels; i++)
    {
      free (img->labels[i].key);
      free (img->labels[i].value);
    }
  free (img->labels);
  img->labels = xzalloc ((n + 1) * sizeof (*img->labels));
  for (size_t i = 0; i < n; i++)
    {
      img->labels[i].key = xstrdup (cc_bld_vars_key (w->labels, i));
      img->labels[i].value = xstrdup (cc_bld_vars_value (w->labels, i));
    }
  img->n_labels = n;
  qsort (img->labels, n, sizeof (*img->labels), cmp_label);
  cc_strv_free (img->exposed_ports);
  img->exposed_ports = cc_bld_vars_count (w->ports) ? sorted_keys (w->ports) : NULL;
  cc_strv_free (img->volumes);
  img->volumes = cc_bld_vars_count (w->volumes) ? sorted_keys (w->volumes) : NULL;
  cc_strv_free (img->onbuild);
  img->onbuild = w->n_onbuild ? cc_strv_dup (w->onbuild) : NULL;
  return img;
}

static void
work_release (struct work *w)
{
  cc_builder_image_free (w->img);
  cc_bld_vars_free (w->env);
  cc_bld_vars_free (w->labels);
  cc_bld_vars_free (w->ports);
  cc_bld_vars_free (w->volumes);
  cc_strv_free (w->onbuild);
  memset (w, 0, sizeof (*w));
}

static int
history (struct st *s, const char *created_by, bool empty_layer, cc_error_t *err)
{
  struct cc_builder_image *img = s->w.img;

  if (charge (s, strlen (created_by), err) < 0)
    return -1;
  if (img->n_history == s->w.cap_history)
    {
      s->w.cap_history = s->w.cap_history ? s->w.cap_history * 2 : 16;
      img->history = xreallocarray (img->history, s->w.cap_history, sizeof (*img->history));
    }
  memset (&img->history[img->n_history], 0, sizeof (*img->history));
  img->history[img->n_history].created_by = xstrdup (created_by);
  img->history[img->n_history].comment = xstrdup ("buildkit.dockerfile.v0");
  img->history[img->n_history].empty_layer = empty_layer;
  img->n_history++;
  return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static int
expand (struct st *s, const struct cc_df_instr *in, const char *word, char **out, cc_error_t *err)
{
  if (cc_bld_lex_word (&s->ev->lx, word, s->env, out, err) < 0)
    return cc_bld_error_wrap_instr (err, in);
  return 0;
}

static const char *
workdir (const struct st *s)
{
  return s->workdir && *s->workdir ? s->workdir : "/";
}

static char *
path_join (const char *a, const char *b)
{
  cleanup_free char *j = xasprintf ("%s/%s", a, b);
  return cc_bld_path_clean (j);
}

/* system.NormalizePath (keepSlash false): relative paths join PARENT and
   are cleaned; absolute ones are kept as written.  */
static char *
normalize_path (const char *parent, const char *p)
{
  cleanup_free char *par = NULL;

  if (parent == NULL || *parent == '\0')
    parent = "/";
  par = parent[0] == '/' ? xstrdup (parent) : path_join ("/", parent);
  if (*p == '\0')
    return xstrdup (par);
  if (p[0] == '/')
    return xstrdup (p);
  return path_join (par, p);
}

static char **
with_shell (const struct st *s, char *const *args)
{
  char **out;
  cleanup_free char *joined = cc_strv_join ((char **)args, " ");

  if (s->w.img->shell && s->w.img->shell[0])
    out = cc_strv_dup (s->w.img->shell);
  else
    {
      out = xzalloc (sizeof (char *));
      cc_strv_append (&out, "/bin/sh");
      cc_strv_append (&out, "-c");
    }
  cc_strv_append (&out, joined ? joined : "");
  return out;
}

/* The instruction as BuildKit names it in progress output: its code with
   variables substituted, the keyword upper-cased.  */
static char *
display_name (struct st *s, const struct cc_df_instr *in, int flags)
{
  struct cc_bld_lexer lx = { s->ev->df->escape, flags, s->ev->lx.produced, NULL };
  cleanup_free char *code = NULL;
  char *out = NULL;
  size_t a, b;

  cc_bld_trim_space (in->original, strlen (in->original), &a, &b);
  code = xstrndup (in->original + a, b - a);
  if (cc_bld_lex_word (&lx, code, s->env, &out, NULL) < 0)
    out = xstrdup (code);
  s->ev->lx.produced = lx.produced;
  for (char *c = out; *c && *c != ' '; c++)
    if (*c >= 'a' && *c <= 'z')
      *c = (char)(*c - 'a' + 'A');
  return out;
}

static struct cc_builder_step *
new_step (struct st *s, enum cc_builder_step_kind kind, const struct cc_df_instr *in, cc_error_t *err)
{
  struct cc_builder_stage_result *out = s->out;
  struct cc_builder_step *step;

  /* The environment each step carries is charged before it is copied.  */
  if (charge (s, cc_bld_vars_bytes (s->env) + 64, err) < 0)
    return NULL;
  if (out->n_steps == s->cap_steps)
    {
      s->cap_steps = s->cap_steps ? s->cap_steps * 2 : 8;
      out->steps = xreallocarray (out->steps, s->cap_steps, sizeof (*out->steps));
    }
  step = &out->steps[out->n_steps++];
  memset (step, 0, sizeof (*step));
  step->kind = kind;
  step->instr = in;
  step->env = cc_bld_vars_strv (s->env);
  step->workdir = xstrdup (workdir (s));
  step->user = xstrdup (s->w.img->user ? s->w.img->user : "");
  step->from_stage = -1;
  return step;
}

static void
add_arg (struct st *s, const char *key, const char *value)
{
  if (s->n_args == s->cap_args)
    {
      s->cap_args = s->cap_args ? s->cap_args * 2 : 8;
      s->args = xreallocarray (s->args, s->cap_args, sizeof (*s->args));
    }
  s->args[s->n_args].key = xstrdup (key);
  s->args[s->n_args].value = value ? xstrdup (value) : NULL;
  s->n_args++;
}

static bool
in_list (const char *s, const char *const *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (s, list[i]) == 0)
      return true;
  return false;
}

/* ---- metadata instructions ------------------------------------------------ */

static int
dispatch_env (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_buf struct cc_buf msg = { 0 };
  struct cc_df_kv *kv = xzalloc ((in->n_kv + 1) * sizeof (*kv));
  int ret = -1;

  for (size_t i = 0; i < in->n_kv; i++)
    if (expand (s, in, in->kv[i].key, &kv[i].key, err) < 0 || expand (s, in, in->kv[i].value, &kv[i].value, err) < 0)
      goto out;
  cc_buf_puts (&msg, "ENV");
  for (size_t i = 0; i < in->n_kv; i++)
    {
      cc_buf_printf (&msg, " %s=%s", kv[i].key, kv[i].value);
      cc_bld_vars_set (s->env, kv[i].key, kv[i].value);
      cc_bld_vars_set (s->w.env, kv[i].key, kv[i].value);
    }
  ret = history (s, msg.data, true, err);
out:
  for (size_t i = 0; i < in->n_kv; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
  return ret;
}

static int
dispatch_label (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_buf struct cc_buf msg = { 0 };

  cc_buf_puts (&msg, "LABEL");
  {
    /* Every pair substituted first, then set.  */
    cleanup_strv char **keys = xzalloc ((in->n_kv + 1) * sizeof (char *));
    cleanup_strv char **values = xzalloc ((in->n_kv + 1) * sizeof (char *));
    for (size_t i = 0; i < in->n_kv; i++)
      if (expand (s, in, in->kv[i].key, &keys[i], err) < 0 || expand (s, in, in->kv[i].value, &values[i], err) < 0)
        return -1;
    for (size_t i = 0; i < in->n_kv; i++)
      {
        cc_bld_vars_set (s->w.labels, keys[i], values[i]);
        cc_buf_printf (&msg, " %s=%s", keys[i], values[i]);
      }
  }
  return history (s, msg.data, true, err);
}

static const char *
meta_value (const struct eval *ev, const char *key, bool *found)
{
  const char *v = NULL;

  *found = false;
  for (size_t i = 0; i < ev->n_meta; i++)
    if (strcmp (ev->meta[i].key, key) == 0)
      {
        *found = true;
        v = ev->meta[i].value;
      }
  return v;
}

static int
dispatch_arg (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_buf struct cc_buf msg = { 0 };
  cleanup_strv char **keys = xzalloc ((in->n_kv + 1) * sizeof (char *));
  char **dflts = xzalloc ((in->n_kv + 1) * sizeof (char *));
  int ret = -1;

  /* Every key and default substituted before any ARG takes effect.  */
  for (size_t i = 0; i < in->n_kv; i++)
    if (expand (s, in, in->kv[i].key, &keys[i], err) < 0
        || (in->kv[i].value && expand (s, in, in->kv[i].value, &dflts[i], err) < 0))
      goto out;
  cc_buf_puts (&msg, "ARG");
  for (size_t i = 0; i < in->n_kv; i++)
    {
      const char *value;
      bool found;

      cc_buf_printf (&msg, " %s", keys[i]);
      if (dflts[i])
        cc_buf_printf (&msg, "=%s", dflts[i]);
      value = cc_bld_vars_get (s->ev->build_args, keys[i]);
      if (value == NULL)
        value = dflts[i];
      if (value == NULL)
        value = meta_value (s->ev, keys[i], &found);
      if (value && ! in_list (keys[i], non_env_args, CC_N_ELEMENTS (non_env_args)))
        cc_bld_vars_set (s->env, keys[i], value);
      cc_bld_vars_set (s->ev->declared, keys[i], "");
      add_arg (s, keys[i], value);
    }
  ret = history (s, msg.data, true, err);
out:
  for (size_t i = 0; i < in->n_kv; i++)
    free (dflts[i]);
  free (dflts);
  return ret;
}

static int
dispatch_maintainer (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_free char *msg = xasprintf ("MAINTAINER %s", in->args[0]);

  free (s->w.img->author);
  s->w.img->author = xstrdup (in->args[0]);
  return history (s, msg, true, err);
}

/* The command line of CMD / ENTRYPOINT / RUN: exec form as is, shell
   form joined (handleJSONArgs).  */
static char **
cmdline (const struct cc_df_instr *in)
{
  char **out = xzalloc (sizeof (char *));

  if (in->args == NULL || in->args[0] == NULL)
    return out;
  if (in->json)
    {
      free (out);
      return cc_strv_dup (in->args);
    }
  cc_strv_push (&out, cc_strv_join (in->args, " "));
  return out;
}

static int
dispatch_cmd (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_strv char **args = cmdline (in);
  cleanup_buf struct cc_buf msg = { 0 };
  struct cc_builder_image *img = s->w.img;
  char **final = in->json ? steal_pointer (&args) : with_shell (s, args);
  bool entrypoint = in->kind == CC_DF_ENTRYPOINT;

  cc_buf_puts (&msg, entrypoint ? "ENTRYPOINT " : "CMD ");
  cc_bld_go_quote_strv (&msg, final);
  if (entrypoint)
    {
      cc_strv_free (img->entrypoint);
      img->entrypoint = final;
      if (! s->cmd_set)
        {
          cc_strv_free (img->cmd);
          img->cmd = NULL;
        }
    }
  else
    {
      cc_strv_free (img->cmd);
      img->cmd = final;
      img->args_escaped = true;
      s->cmd_set = true;
    }
  return history (s, msg.data, true, err);
}

static int
dispatch_healthcheck (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  const struct cc_builder_health *h = in->health;
  cleanup_buf struct cc_buf msg = { 0 };

  cc_bld_health_free (s->w.img->healthcheck);
  s->w.img->healthcheck = cc_bld_health_dup (h);
  /* fmt's %q of a *HealthcheckConfig.  */
  cc_buf_puts (&msg, "HEALTHCHECK &{");
  cc_bld_go_quote_strv (&msg, h->test);
  cc_buf_putc (&msg, ' ');
  {
    const int64_t d[] = { h->interval_ns, h->timeout_ns, h->start_period_ns, h->start_interval_ns };
    for (size_t i = 0; i < CC_N_ELEMENTS (d); i++)
      {
        cleanup_buf struct cc_buf dur = { 0 };
        cc_bld_go_duration (&dur, d[i]);
        cc_bld_go_quote (&msg, dur.data);
        cc_buf_putc (&msg, ' ');
      }
  }
  cc_bld_go_quote_rune (&msg, h->retries);
  cc_buf_putc (&msg, '}');
  return history (s, msg.data, true, err);
}

/* What a port costs against the budget: its string and its set entry.  */
#define PORT_COST 64

static int
dispatch_expose (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_bld_vars struct cc_bld_vars *ps = cc_bld_vars_new ();
  cleanup_strv char **keys = NULL;
  cleanup_buf struct cc_buf msg = { 0 };

  for (size_t i = 0; in->args[i]; i++)
    {
      cleanup_strv char **words = NULL;
      if (cc_bld_lex_words (&s->ev->lx, in->args[i], s->env, &words, err) < 0)
        return cc_bld_error_wrap_instr (err, in);
      for (size_t k = 0; words[k]; k++)
        {
          struct cc_bld_vec ports = { 0 };
          cleanup_free char *msg_err = NULL;
          size_t n = 0;
          /* A range is up to 65535 ports: charged before they are made.  */
          int r = cc_bld_parse_port_spec (words[k], &ports, (CC_LEX_BUDGET - s->ev->lx.produced) / PORT_COST, &n,
                                          &msg_err);
          if (r == -1)
            {
              cc_bld_vec_release (&ports);
              return cc_bld_error_instr (err, in, "%s", msg_err);
            }
          if (charge (s, n * PORT_COST, err) < 0)
            {
              cc_bld_vec_release (&ports);
              return -1;
            }
          for (size_t p = 0; p < ports.n; p++)
            cc_bld_vars_set (ps, ports.v[p], "");
          cc_bld_vec_release (&ports);
        }
    }
  keys = sorted_keys (ps);
  cc_buf_puts (&msg, "EXPOSE map[");
  for (size_t i = 0; keys[i]; i++)
    {
      cc_buf_printf (&msg, "%s%s:{}", i ? " " : "", keys[i]);
      cc_bld_vars_set (s->w.ports, keys[i], "");
    }
  cc_buf_putc (&msg, ']');
  return history (s, msg.data, true, err);
}

static int
dispatch_user (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_free char *user = NULL;
  cleanup_free char *msg = NULL;

  if (expand (s, in, in->args[0], &user, err) < 0)
    return -1;
  free (s->w.img->user);
  s->w.img->user = xstrdup (user);
  msg = xasprintf ("USER %s", user);
  return history (s, msg, true, err);
}

static int
dispatch_volume (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_strv char **vols = xzalloc ((cc_strv_len (in->args) + 1) * sizeof (char *));
  cleanup_buf struct cc_buf msg = { 0 };

  for (size_t i = 0; in->args[i]; i++)
    {
      if (expand (s, in, in->args[i], &vols[i], err) < 0)
        return -1;
      if (*vols[i] == '\0')
        return cc_bld_error_instr (err, in, "VOLUME specified can not be an empty string");
    }
  for (size_t i = 0; vols[i]; i++)
    cc_bld_vars_set (s->w.volumes, vols[i], "");
  cc_buf_puts (&msg, "VOLUME ");
  cc_bld_go_strv (&msg, vols);
  return history (s, msg.data, true, err);
}

static int
dispatch_stopsignal (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_free char *sig = NULL;
  cleanup_free char *msg = NULL;

  if (expand (s, in, in->args[0], &sig, err) < 0)
    return -1;
  if (! cc_bld_valid_signal (sig))
    return cc_bld_error_instr (err, in, "invalid signal: %s", sig);
  free (s->w.img->stop_signal);
  s->w.img->stop_signal = xstrdup (sig);
  msg = xasprintf ("STOPSIGNAL %s", sig);
  return history (s, msg, true, err);
}

static int
dispatch_shell (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_buf struct cc_buf msg = { 0 };

  cc_strv_free (s->w.img->shell);
  s->w.img->shell = cc_strv_dup (in->args);
  cc_buf_puts (&msg, "SHELL ");
  cc_bld_go_strv (&msg, in->args);
  return history (s, msg.data, true, err);
}

static int
dispatch_onbuild (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  struct work *w = &s->w;

  if (charge (s, strlen (in->onbuild), err) < 0)
    return -1;
  if (w->n_onbuild + 1 >= w->cap_onbuild)
    {
      w->cap_onbuild = w->cap_onbuild * 2 + 2;
      w->onbuild = xreallocarray (w->onbuild, w->cap_onbuild, sizeof (char *));
    }
  w->onbuild[w->n_onbuild++] = xstrdup (in->onbuild);
  w->onbuild[w->n_onbuild] = NULL;
  return 0;
}

/* ---- WORKDIR ---------------------------------------------------------- */

static int
set_workdir (struct st *s, const char *path)
{
  char *wd = normalize_path (s->w.img->working_dir, path);

  free (s->w.img->working_dir);
  s->w.img->working_dir = wd;
  free (s->workdir);
  s->workdir = xstrdup (wd);
  return 0;
}

static int
dispatch_workdir (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *msg = NULL;
  const char *wd;
  bool layer;

  if (expand (s, in, in->args[0], &path, err) < 0)
    return -1;
  set_workdir (s, path);
  wd = s->w.img->working_dir;
  layer = strcmp (wd, "/") != 0;
  if (layer)
    {
      struct cc_builder_step *step = new_step (s, CC_STEP_WORKDIR, in, err);
      if (step == NULL)
        return -1;
      step->dest = xstrdup (wd);
      step->display = display_name (s, in, 0);
      step->history = s->w.img->n_history;
    }
  msg = xasprintf ("WORKDIR %s", wd);
  return history (s, msg, ! layer, err);
}

/* ---- COPY / ADD ---------------------------------------------------------- */

static bool
is_http (const char *s)
{
  return strncmp (s, "http://", 7) == 0 || strncmp (s, "https://", 8) == 0;
}

/* A git remote as BuildKit's gitutil reads one: a URL of a git protocol
   (http(s) only with a path ending in .git), or user@host:path.  Local
   paths ending in .git stay local (1.7 took `dir/repo.git` for a remote
   through an https:// fallback that later frontends removed).  */
static bool
is_git (const char *s)
{
  size_t n = 0;

  if (strncmp (s, "github.com/", 11) == 0)
    return false;
  while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9'))
    n++;
  if (n > 0 && strncmp (s + n, "://", 3) == 0)
    {
      cleanup_free char *proto = xstrndup (s, n);
      const char *path;
      size_t plen;
      for (char *c = proto; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
          *c = (char)(*c - 'A' + 'a');
      if (strcmp (proto, "ssh") == 0 || strcmp (proto, "git") == 0)
        return true;
      if (strcmp (proto, "http") != 0 && strcmp (proto, "https") != 0)
        return false;
      path = strchr (s + n + 3, '/');
      if (path == NULL)
        return false;
      plen = strcspn (path, "?#");
      return plen >= 4 && strncmp (path + plen - 4, ".git", 4) == 0;
    }
  /* ^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):  */
  n = strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
  if (n == 0 || s[n] != '@')
    return false;
  s += n + 1;
  n = strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.");
  return n > 0 && s[n] == ':';
}

/* go-digest's Parse.  */
static const char *
checksum_error (const char *d)
{
  const char *colon = strchr (d, ':');
  size_t want;

  if (colon == NULL || colon == d || colon[1] == '\0')
    return "invalid checksum digest format";
  if (strncmp (d, "sha256:", 7) == 0)
    want = 64;
  else if (strncmp (d, "sha384:", 7) == 0)
    want = 96;
  else if (strncmp (d, "sha512:", 7) == 0)
    want = 128;
  else
    return "unsupported digest algorithm";
  if (strlen (colon + 1) != want)
    return "invalid checksum digest length";
  if (strspn (colon + 1, "0123456789abcdef") != want)
    return "invalid checksum digest format";
  return NULL;
}

static char *
url_filename (const char *url)
{
  const char *p = strstr (url, "://");
  const char *path;
  size_t len;
  cleanup_free char *cleaned = NULL;
  cleanup_free char *base = NULL;

  p = p ? p + 3 : url;
  path = strchr (p, '/');
  if (path == NULL)
    return xstrdup ("__unnamed__");
  len = strcspn (path, "?#");
  {
    cleanup_free char *raw = xstrndup (path, len);
    cleaned = cc_bld_path_clean (raw);
  }
  base = cc_path_basename (cleaned);
  if (*base == '\0' || strcmp (base, "/") == 0 || strcmp (base, ".") == 0)
    return xstrdup ("__unnamed__");
  return steal_pointer (&base);
}

static void
add_source (struct cc_builder_step *step, enum cc_builder_source_kind kind, char *path, char *filename, char *content)
{
  struct cc_builder_source *src;

  step->sources = cc_bld_grow (step->sources, step->n_sources, sizeof (*step->sources));
  src = &step->sources[step->n_sources++];
  src->kind = kind;
  src->path = path;
  src->filename = filename;
  src->content = content;
}

static const struct cc_df_heredoc *
find_heredoc (const struct cc_df_instr *in, const char *name)
{
  const struct cc_df_heredoc *found = NULL;

  for (size_t i = 0; i < in->n_heredocs; i++)
    if (strcmp (in->heredocs[i].name, name) == 0)
      found = &in->heredocs[i];
  return found;
}

/* COPY --from: the stage, or the image; a stage must be built already.  */
static int
copy_from (struct st *s, const struct cc_df_instr *in, struct cc_builder_step *step, cc_error_t *err)
{
  long stage = -1;
  cleanup_free char *image = NULL;

  if (in->flag_from == NULL)
    return 0;
  if (cc_bld_resolve_from (s->ev->df, in->flag_from, in, &stage, &image, err) < 0)
    return -1;
  if (stage >= 0)
    {
      /* BuildKit dispatches stages in file order: a later one is not
         there yet.  */
      if ((size_t)stage >= s->ps->index || cc_builder_result_stage (s->ev->res, (size_t)stage) == NULL)
        return cc_bld_error_instr (err, in,
                                   "cannot copy from stage \"%s\", it needs to be defined before current "
                                   "stage \"%s\"",
                                   in->flag_from, s->ps->name);
      step->from_stage = stage;
    }
  else
    step->from_image = steal_pointer (&image);
  return 0;
}

static int
copy_sources (struct st *s, const struct cc_df_instr *in, struct cc_builder_step *step, struct cc_bld_vec *expanded,
              cc_error_t *err)
{
  bool add = in->kind == CC_DF_ADD;
  size_t n = cc_strv_len (in->args) - 1;
  enum cc_builder_source_kind local = step->from_stage >= 0 ? CC_SRC_STAGE
                                      : step->from_image    ? CC_SRC_IMAGE
                                                            : CC_SRC_CONTEXT;

  /* Paths first, then heredocs, as BuildKit orders them.  */
  for (size_t i = 0; i < n; i++)
    {
      struct cc_df_heredoc h = { 0 };
      char *src = NULL;
      if (cc_bld_parse_heredoc_word (in->args[i], &h) == 1)
        {
          cc_bld_heredoc_release (&h);
          continue;
        }
      if (expand (s, in, in->args[i], &src, err) < 0)
        return -1;
      cc_bld_vec_push (expanded, xstrdup (src));
      if (is_git (src))
        {
          /* BuildKit clones it; ccompose fetches no git repository, and
             says so before anything runs.  */
          cleanup_free char *owned = src;
          if (! add)
            return cc_bld_error_instr (err, in, "source can't be a git ref for COPY");
          return cc_bld_error_instr (err, in,
                                     "ADD of the git repository `%s` is not supported: add a release "
                                     "archive by URL, or clone it in a RUN",
                                     owned);
        }
      else if (is_http (src))
        {
          if (! add)
            {
              free (src);
              return cc_bld_error_instr (err, in, "source can't be a URL for COPY");
            }
          add_source (step, CC_SRC_URL, src, url_filename (src), NULL);
        }
      else
        {
          add_source (step, local, normalize_path ("/", src), NULL, NULL);
          free (src);
        }
    }
  for (size_t i = 0; i < n; i++)
    {
      struct cc_df_heredoc h = { 0 };
      const struct cc_df_heredoc *body;
      char *content;
      if (cc_bld_parse_heredoc_word (in->args[i], &h) != 1)
        continue;
      body = find_heredoc (in, h.name);
      content = h.chomp ? cc_bld_chomp_heredoc (body ? body->content : "") : xstrdup (body ? body->content : "");
      if (h.expand)
        {
          struct cc_bld_lexer lx = { '\\', CC_LEX_SKIP_QUOTES, s->ev->lx.produced, NULL };
          char *body_out = NULL;
          int r = cc_bld_lex_word (&lx, content, s->env, &body_out, err);
          s->ev->lx.produced = lx.produced;
          free (content);
          if (r < 0)
            {
              cc_bld_heredoc_release (&h);
              return cc_bld_error_wrap_instr (err, in);
            }
          content = body_out;
        }
      add_source (step, CC_SRC_HEREDOC, NULL, xstrdup (h.name), content);
      cc_bld_heredoc_release (&h);
    }
  return 0;
}

static int
copy_flags (struct st *s, const struct cc_df_instr *in, struct cc_builder_step *step, cc_error_t *err)
{
  if (in->flag_chown && expand (s, in, in->flag_chown, &step->chown, err) < 0)
    return -1;
  if (step->chown && *step->chown == '\0')
    {
      free (step->chown);
      step->chown = NULL;
    }
  if (in->flag_chmod && *in->flag_chmod)
    {
      unsigned long m = strtoul (in->flag_chmod, NULL, 8);
      /* 1.7 drops a mode it cannot read as octal without a word; later
         frontends read symbolic modes.  Neither is what a user of ccompose
         would want silently: refuse it.  */
      if (strspn (in->flag_chmod, "01234567") != strlen (in->flag_chmod) || strlen (in->flag_chmod) > 6 || m > 07777)
        return cc_bld_error_instr (err, in, "invalid --chmod=%s: ccompose takes octal modes only", in->flag_chmod);
      step->has_chmod = true;
      step->chmod = (uint32_t)m;
    }
  step->link = in->flag_link;
  if (in->flag_checksum)
    {
      const char *bad;
      if (expand (s, in, in->flag_checksum, &step->checksum, err) < 0)
        return -1;
      if (*step->checksum == '\0')
        {
          free (step->checksum);
          step->checksum = NULL;
        }
      else if ((bad = checksum_error (step->checksum)) != NULL)
        return cc_bld_error_instr (err, in, "%s", bad);
    }
  return 0;
}

static int
check_checksum (const struct cc_df_instr *in, const struct cc_builder_step *step, cc_error_t *err)
{
  size_t paths = 0;

  if (step->checksum == NULL)
    return 0;
  for (size_t i = 0; i < step->n_sources; i++)
    paths += step->sources[i].kind != CC_SRC_HEREDOC;
  if (paths != 1)
    return cc_bld_error_instr (err, in, "checksum can't be specified for multiple sources");
  if (! is_http (step->sources[0].path ? step->sources[0].path : ""))
    return cc_bld_error_instr (err, in, "checksum can't be specified for non-HTTP sources");
  return 0;
}

static int
copy_history (struct st *s, const struct cc_df_instr *in, const struct cc_builder_step *step, char *const *expanded,
              const char *dest_raw, cc_error_t *err)
{
  cleanup_buf struct cc_buf msg = { 0 };

  cc_buf_puts (&msg, in->kind == CC_DF_ADD ? "ADD" : "COPY");
  if (step->chown)
    cc_buf_printf (&msg, " --chown=%s", step->chown);
  if (in->flag_chmod && *in->flag_chmod)
    cc_buf_printf (&msg, " --chmod=%s", in->flag_chmod);
  for (size_t i = 0; i < step->n_sources; i++)
    {
      const struct cc_builder_source *src = &step->sources[i];
      if (src->kind == CC_SRC_HEREDOC)
        cc_buf_printf (&msg, " <<%s", src->filename);
      else
        cc_buf_printf (&msg, " %s", expanded[i]);
    }
  cc_buf_printf (&msg, " %s # buildkit", dest_raw);
  return history (s, msg.data, false, err);
}

static int
dispatch_copy (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  bool add = in->kind == CC_DF_ADD;
  struct cc_builder_step *step = new_step (s, add ? CC_STEP_ADD : CC_STEP_COPY, in, err);
  struct cc_bld_vec expanded = { 0 };
  cleanup_free char *dest = NULL;
  size_t n;
  int ret;

  if (step == NULL)
    return -1;
  n = cc_strv_len (in->args);
  if (copy_flags (s, in, step, err) < 0 || copy_from (s, in, step, err) < 0
      || copy_sources (s, in, step, &expanded, err) < 0)
    {
      cc_bld_vec_release (&expanded);
      return -1;
    }
  if (expand (s, in, in->args[n - 1], &dest, err) < 0 || check_checksum (in, step, err) < 0)
    {
      cc_bld_vec_release (&expanded);
      return -1;
    }
  step->dest = normalize_path (workdir (s), dest);
  if (*dest == '\0' || strcmp (dest, ".") == 0 || dest[strlen (dest) - 1] == '/')
    {
      char *d = strcmp (step->dest, "/") == 0 ? xstrdup ("/") : xasprintf ("%s/", step->dest);
      free (step->dest);
      step->dest = d;
    }
  step->history = s->w.img->n_history;
  step->display = display_name (s, in, 0);
  ret = copy_history (s, in, step, expanded.v, dest, err);
  cc_bld_vec_release (&expanded);
  return ret;
}

/* ---- RUN ------------------------------------------------------------------ */

static int
run_mount (struct st *s, const struct cc_df_instr *in, const char *value, struct cc_builder_mount *m, cc_error_t *err)
{
  cleanup_free char *from = NULL;
  cleanup_free char *target = NULL;

  if (cc_bld_mount_parse (value, &s->ev->lx, s->env, m, NULL, err) < 0)
    return cc_bld_error_wrap_instr (err, in);
  from = steal_pointer (&m->from_image);
  if (from && *from)
    {
      long stage = -1;
      char *image = NULL;
      if (cc_bld_resolve_from (s->ev->df, from, in, &stage, &image, err) < 0)
        return -1;
      if (stage >= 0 && ((size_t)stage >= s->ps->index || cc_builder_result_stage (s->ev->res, (size_t)stage) == NULL))
        return cc_bld_error_instr (err, in,
                                   "cannot mount from stage \"%s\" to \"%s\", stage needs to be defined before "
                                   "current command",
                                   from, m->target ? m->target : "");
      m->from_stage = stage;
      m->from_image = image;
    }
  if (m->type == CC_MOUNT_SECRET)
    {
      const char *id = m->source && *m->source ? m->source : m->id;
      cleanup_free char *base = NULL;
      char *newid;
      if (id == NULL || *id == '\0')
        {
          if (m->target == NULL || *m->target == '\0')
            return cc_bld_error_instr (err, in, "one of source, target required");
          base = cc_path_basename (m->target);
          id = base;
        }
      newid = xstrdup (id);
      free (m->id);
      m->id = newid;
      if (m->target == NULL || *m->target == '\0')
        {
          cleanup_free char *b = cc_path_basename (m->id);
          free (m->target);
          m->target = xasprintf ("/run/secrets/%s", b);
        }
      if (! m->has_mode)
        m->mode = 0400, m->has_mode = true;
      return 0;
    }
  if (m->type == CC_MOUNT_SSH)
    {
      if (m->source && *m->source)
        return cc_bld_error_instr (err, in, "ssh does not support source");
      if (m->id == NULL || *m->id == '\0')
        {
          free (m->id);
          m->id = xstrdup ("default");
        }
      if (m->target == NULL || *m->target == '\0')
        {
          free (m->target);
          m->target = xasprintf ("/run/buildkit/ssh_agent.%zu", s->n_ssh);
        }
      s->n_ssh++;
      if (! m->has_mode)
        m->mode = 0600, m->has_mode = true;
      return 0;
    }
  if (m->type == CC_MOUNT_CACHE && (m->id == NULL || *m->id == '\0'))
    {
      free (m->id);
      m->id = cc_bld_path_clean (m->target ? m->target : "");
    }
  m->from_context = m->type == CC_MOUNT_BIND && m->from_stage < 0 && m->from_image == NULL;
  target = xstrdup (m->target ? m->target : "");
  free (m->target);
  {
    cleanup_free char *clean = cc_bld_path_clean (target);
    m->target = clean[0] == '/' ? xstrdup (target) : path_join (workdir (s), target);
  }
  if (strcmp (m->target, "/") == 0)
    return cc_bld_error_instr (err, in, "invalid mount target \"/\"");
  {
    char *src = path_join ("/", m->source ? m->source : "");
    free (m->source);
    m->source = src;
  }
  return 0;
}

/* summarizeHeredoc: the first line, and `...` when there are more.  */
static char *
summarize_heredoc (const char *doc)
{
  size_t a, b, nl;
  cleanup_free char *t = NULL;

  cc_bld_trim_space (doc, strlen (doc), &a, &b);
  t = xstrndup (doc + a, b - a);
  nl = strcspn (t, "\n");
  if (t[nl] == '\0')
    return steal_pointer (&t);
  if (nl > 0 && t[nl - 1] == '\r')
    nl--;
  return xasprintf ("%.*s...", (int)nl, t);
}

/* RUN with heredocs: one heredoc that is the whole command runs as a
   script (a file when it starts with #!), otherwise the shell gets the
   line and the bodies.  */
static int
run_heredocs (struct st *s, const struct cc_df_instr *in, struct cc_builder_step *step, char ***args, cc_error_t *err)
{
  struct cc_df_heredoc h = { 0 };
  const struct cc_df_heredoc *f = &in->heredocs[0];

  (void)s;
  if (cc_strv_len (*args) != 1 || in->json)
    {
      cleanup_buf struct cc_buf v = { 0 };
      cc_bld_go_strv (&v, *args);
      return cc_bld_error_instr (err, in, "parsing produced an invalid run command: %s", v.data);
    }
  if (cc_bld_parse_heredoc_word ((*args)[0], &h) == 1)
    {
      char *data = f->chomp ? cc_bld_chomp_heredoc (f->content) : xstrdup (f->content);
      cleanup_free char *summary = summarize_heredoc (f->content);
      char *display;
      cc_bld_heredoc_release (&h);
      cc_strv_free (*args);
      *args = xzalloc (sizeof (char *));
      if (strncmp (f->content, "#!", 2) == 0)
        {
          cleanup_free char *raw = xasprintf ("/dev/pipes/%s", f->name);
          step->files = xzalloc (sizeof (*step->files));
          step->files[0].path = cc_bld_path_clean (raw);
          step->files[0].content = data;
          step->files[0].mode = 0755;
          step->n_files = 1;
          cc_strv_append (args, step->files[0].path);
        }
      else
        cc_strv_push (args, data);
      display = xasprintf ("%s (%s)", step->display, summary);
      free (step->display);
      step->display = display;
      return 0;
    }
  {
    struct cc_buf full = { 0 };
    cc_buf_puts (&full, (*args)[0]);
    for (size_t i = 0; i < in->n_heredocs; i++)
      {
        cc_buf_putc (&full, '\n');
        cc_buf_puts (&full, in->heredocs[i].content);
        cc_buf_puts (&full, in->heredocs[i].name);
      }
    cc_strv_free (*args);
    *args = xzalloc (sizeof (char *));
    cc_strv_push (args, cc_buf_steal (&full));
  }
  return 0;
}

static void
proxy_env (const struct eval *ev, struct cc_builder_step *step)
{
  static const char *const names[] = { "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY" };
  const char *values[CC_N_ELEMENTS (names)] = { NULL };

  for (size_t i = 0; i < cc_bld_vars_count (ev->build_args); i++)
    for (size_t k = 0; k < CC_N_ELEMENTS (names); k++)
      if (strcasecmp (cc_bld_vars_key (ev->build_args, i), names[k]) == 0)
        values[k] = cc_bld_vars_value (ev->build_args, i);
  step->proxy_env = xzalloc (sizeof (char *));
  for (size_t k = 0; k < CC_N_ELEMENTS (names); k++)
    if (values[k] && *values[k])
      {
        cleanup_free char *lower = xstrdup (names[k]);
        for (char *c = lower; *c; c++)
          if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
        cc_strv_push (&step->proxy_env, xasprintf ("%s=%s", names[k], values[k]));
        cc_strv_push (&step->proxy_env, xasprintf ("%s=%s", lower, values[k]));
      }
}

/* runCommandString: `|N K=V ...` for the stage's ARGs, then the argv.
   Its size is charged before it is built: with many ARGs and many RUNs it
   grows quadratically in BuildKit too.  */
static char *
run_history (struct st *s, char *const *args, cc_error_t *err)
{
  struct cc_buf b = { 0 };
  size_t size = 32;

  for (size_t i = 0; i < s->n_args; i++)
    {
      const char *v = cc_bld_vars_get (s->env, s->args[i].key);
      size += strlen (s->args[i].key) + strlen (v ? v : s->args[i].value ? s->args[i].value : "") + 2;
    }
  for (size_t i = 0; args[i]; i++)
    size += strlen (args[i]) + 1;
  if (charge (s, size, err) < 0)
    return NULL;
  cc_buf_puts (&b, "RUN");
  if (s->n_args > 0)
    {
      cc_buf_printf (&b, " |%zu", s->n_args);
      for (size_t i = 0; i < s->n_args; i++)
        {
          const char *v = cc_bld_vars_get (s->env, s->args[i].key);
          if (v == NULL)
            v = s->args[i].value ? s->args[i].value : "";
          cc_buf_putc (&b, ' ');
          cc_buf_puts (&b, s->args[i].key);
          cc_buf_putc (&b, '=');
          cc_buf_puts (&b, v);
        }
    }
  for (size_t i = 0; args[i]; i++)
    {
      cc_buf_putc (&b, ' ');
      cc_buf_puts (&b, args[i]);
    }
  cc_buf_puts (&b, " # buildkit");
  return cc_buf_steal (&b);
}

static int
dispatch_run (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  struct cc_builder_step *step;
  cleanup_strv char **args = NULL;
  cleanup_free char *msg = NULL;
  size_t nm = cc_strv_len (in->flag_mounts);
  struct cc_builder_mount *mounts = xzalloc ((nm + 1) * sizeof (*mounts));

  /* Mounts are substituted first (RUN's only substitution).  */
  for (size_t i = 0; i < nm; i++)
    if (run_mount (s, in, in->flag_mounts[i], &mounts[i], err) < 0)
      {
        for (size_t k = 0; k <= i; k++)
          cc_bld_mount_release (&mounts[k]);
        free (mounts);
        return -1;
      }
  step = new_step (s, CC_STEP_RUN, in, err);
  if (step == NULL)
    {
      for (size_t k = 0; k < nm; k++)
        cc_bld_mount_release (&mounts[k]);
      free (mounts);
      return -1;
    }
  step->mounts = mounts;
  step->n_mounts = nm;
  step->network = xstrdup (in->flag_network ? in->flag_network : "default");
  step->display = display_name (s, in, CC_LEX_RAW_QUOTES | CC_LEX_SKIP_UNSET);
  args = cmdline (in);
  if (in->n_heredocs > 0 && run_heredocs (s, in, step, &args, err) < 0)
    return -1;
  if (in->json)
    step->argv = cc_strv_dup (args);
  else
    step->argv = with_shell (s, args);
  proxy_env (s->ev, step);
  step->history = s->w.img->n_history;
  msg = run_history (s, step->argv, err);
  if (msg == NULL)
    return -1;
  return history (s, msg, false, err);
}

/* ---- dispatch ---------------------------------------------------------- */

static int dispatch (struct st *s, const struct cc_df_instr *in, cc_error_t *err);

static int
dispatch (struct st *s, const struct cc_df_instr *in, cc_error_t *err)
{
  switch (in->kind)
    {
    case CC_DF_ENV:
      return dispatch_env (s, in, err);
    case CC_DF_ARG:
      return dispatch_arg (s, in, err);
    case CC_DF_LABEL:
      return dispatch_label (s, in, err);
    case CC_DF_MAINTAINER:
      return dispatch_maintainer (s, in, err);
    case CC_DF_RUN:
      return dispatch_run (s, in, err);
    case CC_DF_COPY:
    case CC_DF_ADD:
      return dispatch_copy (s, in, err);
    case CC_DF_WORKDIR:
      return dispatch_workdir (s, in, err);
    case CC_DF_USER:
      return dispatch_user (s, in, err);
    case CC_DF_EXPOSE:
      return dispatch_expose (s, in, err);
    case CC_DF_VOLUME:
      return dispatch_volume (s, in, err);
    case CC_DF_CMD:
    case CC_DF_ENTRYPOINT:
      return dispatch_cmd (s, in, err);
    case CC_DF_HEALTHCHECK:
      return dispatch_healthcheck (s, in, err);
    case CC_DF_STOPSIGNAL:
      return dispatch_stopsignal (s, in, err);
    case CC_DF_SHELL:
      return dispatch_shell (s, in, err);
    case CC_DF_ONBUILD:
      return dispatch_onbuild (s, in, err);
    case CC_DF_FROM:
      return 0;
    }
  return 0;
}

/* The base image's ONBUILD triggers, each a one-instruction Dockerfile,
   before the stage's own instructions; messages point at the FROM.  */
static int
run_triggers (struct st *s, char **triggers, cc_error_t *err)
{
  const struct cc_df_instr *from = s->ps->df->from;

  for (size_t i = 0; triggers && triggers[i]; i++)
    {
      cleanup_dockerfile struct cc_dockerfile *file = NULL;
      cleanup_error cc_error_t e = NULL;
      struct cc_df_instr *in = NULL;
      size_t first = s->out->n_steps;
      if (cc_bld_parse_trigger (triggers[i], from, &file, &in, err) < 0)
        return -1;
      if (in->kind == CC_DF_FROM)
        return cc_bld_error_instr (err, from,
                                   "ONBUILD trigger `%s` of the base image: *instructions.Stage is not a "
                                   "command type",
                                   triggers[i]);
      if (dispatch (s, in, &e) < 0)
        return cc_bld_error_instr (err, from, "ONBUILD trigger `%s` of the base image: %s", triggers[i], e->msg);
      /* The trigger's text goes away with its file: steps point at FROM.  */
      for (size_t k = first; k < s->out->n_steps; k++)
        s->out->steps[k].instr = from;
    }
  return 0;
}

/* The config the stage starts from.  */
static int
base_image (struct st *s, struct cc_builder_image **img, struct cc_bld_vars **env, cc_error_t *err)
{
  const struct cc_builder_stage *ps = s->ps;

  *env = NULL;
  switch (ps->base_kind)
    {
    case CC_BASE_SCRATCH:
      *img = cc_builder_image_scratch (s->ev->plan->platform);
      return 0;
    case CC_BASE_STAGE:
      {
        const struct cc_builder_stage_result *b = cc_builder_result_stage (s->ev->res, ps->base_stage);
        struct cc_bld_vars *v = cc_bld_vars_new ();
        if (b == NULL)
          return cc_bld_error_instr (err, ps->df->from, "stage `%s` is not built before it", ps->name);
        *img = cc_builder_image_dup (b->image);
        for (size_t i = 0; b->env && b->env[i]; i++)
          cc_bld_vars_set_kv (v, b->env[i]);
        *env = v;
        return 0;
      }
    case CC_BASE_IMAGE:
      if (s->ev->image_config == NULL)
        return cc_bld_error_instr (err, ps->df->from, "no config for image `%s`", ps->base_image);
      if (s->ev->image_config (s->ev->opaque, ps->base_image, img, err) < 0)
        return cc_bld_error_wrap_instr (err, ps->df->from);
      free ((*img)->created);
      (*img)->created = NULL;
      return 0;
    }
  return 0;
}

static int
stage_start (struct st *s, cc_error_t *err)
{
  struct cc_builder_image *img = NULL;
  struct cc_bld_vars *env = NULL;
  cleanup_strv char **triggers = NULL;

  if (base_image (s, &img, &env, err) < 0)
    return -1;
  work_from_image (&s->w, img);
  s->env = env ? env : cc_bld_vars_new ();
  if (cc_bld_vars_get (s->w.env, "PATH") == NULL)
    cc_bld_vars_set (s->w.env, "PATH", cc_bld_default_path);
  for (size_t i = 0; i < cc_bld_vars_count (s->w.env); i++)
    cc_bld_vars_set (s->env, cc_bld_vars_key (s->w.env, i), cc_bld_vars_value (s->w.env, i));
  if (img->working_dir && *img->working_dir)
    set_workdir (s, img->working_dir);
  triggers = steal_pointer (&s->w.onbuild);
  s->w.onbuild = xzalloc (sizeof (char *));
  s->w.n_onbuild = 0;
  s->w.cap_onbuild = 1;
  if (run_triggers (s, triggers, err) < 0)
    return -1;
  /* BuildKit clears OnBuild after the triggers, whatever they added.  */
  for (size_t i = 0; i < s->w.n_onbuild; i++)
    free (s->w.onbuild[i]);
  s->w.onbuild[0] = NULL;
  s->w.n_onbuild = 0;
  return 0;
}

static int
eval_stage (struct eval *ev, const struct cc_builder_stage *ps, struct cc_builder_stage_result *out, cc_error_t *err)
{
  struct st s = { 0 };
  int ret = -1;

  s.ev = ev;
  s.ps = ps;
  s.out = out;
  out->stage = ps->index;
  if (stage_start (&s, err) < 0)
    goto done;
  for (size_t i = 0; i < ps->df->n_instrs; i++)
    if (dispatch (&s, ps->df->instrs[i], err) < 0)
      goto done;
  out->image = work_snapshot (&s.w);
  out->env = cc_bld_vars_strv (s.env);
  ret = 0;
done:
  work_release (&s.w);
  cc_bld_vars_free (s.env);
  free (s.workdir);
  for (size_t i = 0; i < s.n_args; i++)
    {
      free (s.args[i].key);
      free (s.args[i].value);
    }
  free (s.args);
  return ret;
}

/* ---- the whole build ------------------------------------------------------ */

static void
meta_args_of (struct eval *ev)
{
  char *const *m = ev->plan->meta_args;

  for (size_t i = 0; m && m[i]; i++)
    {
      const char *eq = strchr (m[i], '=');
      ev->meta = xreallocarray (ev->meta, ev->n_meta + 1, sizeof (*ev->meta));
      ev->meta[ev->n_meta].key = eq ? xstrndup (m[i], (size_t)(eq - m[i])) : xstrdup (m[i]);
      ev->meta[ev->n_meta].value = eq ? xstrdup (eq + 1) : NULL;
      ev->n_meta++;
    }
}

static void
unused_build_args (struct eval *ev)
{
  struct cc_builder_result *res = ev->res;
  static const char *const platform_args[] = { "BUILDPLATFORM",  "BUILDOS",  "BUILDARCH",  "BUILDVARIANT",
                                               "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT" };

  res->unused_build_args = xzalloc (sizeof (char *));
  for (size_t i = 0; i < ev->n_meta; i++)
    cc_bld_vars_set (ev->declared, ev->meta[i].key, "");
  for (size_t i = 0; i < cc_bld_vars_count (ev->build_args); i++)
    {
      const char *k = cc_bld_vars_key (ev->build_args, i);
      if (cc_bld_vars_get (ev->declared, k) == NULL && ! in_list (k, proxy_args, CC_N_ELEMENTS (proxy_args))
          && ! in_list (k, platform_args, CC_N_ELEMENTS (platform_args)))
        cc_strv_append (&res->unused_build_args, k);
    }
}

int
cc_builder_evaluate (const struct cc_builder_plan *plan, cc_builder_image_fn image_config, void *opaque,
                     struct cc_builder_result **out, cc_error_t *err)
{
  struct eval ev = { 0 };
  cleanup_builder_result struct cc_builder_result *res = xzalloc (sizeof (*res));
  int ret = -1;

  ev.plan = plan;
  ev.df = plan->df;
  ev.image_config = image_config;
  ev.opaque = opaque;
  ev.lx.escape = plan->df->escape;
  ev.build_args = cc_bld_vars_new ();
  ev.declared = cc_bld_vars_new ();
  ev.res = res;
  for (size_t i = 0; plan->build_args && plan->build_args[i]; i++)
    cc_bld_vars_set_kv (ev.build_args, plan->build_args[i]);
  meta_args_of (&ev);
  /* In file order, as BuildKit: the first error in the file is the one
     reported, and a stage can only read stages above it.  */
  res->stages = xzalloc ((plan->n_order + 1) * sizeof (*res->stages));
  for (size_t i = 0; i < plan->n_stages; i++)
    {
      if (! plan->stages[i].needed)
        continue;
      if (eval_stage (&ev, &plan->stages[i], &res->stages[res->n_stages++], err) < 0)
        goto out;
    }
  unused_build_args (&ev);
  *out = steal_pointer (&res);
  ret = 0;
out:
  cc_bld_vars_free (ev.build_args);
  cc_bld_vars_free (ev.declared);
  for (size_t i = 0; i < ev.n_meta; i++)
    {
      free (ev.meta[i].key);
      free (ev.meta[i].value);
    }
  free (ev.meta);
  return ret;
}

const struct cc_builder_stage_result *
cc_builder_result_stage (const struct cc_builder_result *res, size_t index)
{
  for (size_t i = 0; res && i < res->n_stages; i++)
    if (res->stages[i].image && res->stages[i].stage == index)
      return &res->stages[i];
  return NULL;
}

static void
step_release (struct cc_builder_step *st)
{
  free (st->display);
  cc_strv_free (st->env);
  free (st->workdir);
  free (st->user);
  cc_strv_free (st->argv);
  cc_strv_free (st->proxy_env);
  free (st->network);
  for (size_t i = 0; i < st->n_mounts; i++)
    cc_bld_mount_release (&st->mounts[i]);
  free (st->mounts);
  for (size_t i = 0; i < st->n_files; i++)
    {
      free (st->files[i].path);
      free (st->files[i].content);
    }
  free (st->files);
  for (size_t i = 0; i < st->n_sources; i++)
    {
      free (st->sources[i].path);
      free (st->sources[i].filename);
      free (st->sources[i].content);
    }
  free (st->sources);
  free (st->dest);
  free (st->chown);
  free (st->from_image);
  free (st->checksum);
}

void
cc_builder_result_free (struct cc_builder_result *res)
{
  if (res == NULL)
    return;
  for (size_t i = 0; i < res->n_stages; i++)
    {
      struct cc_builder_stage_result *s = &res->stages[i];
      for (size_t k = 0; k < s->n_steps; k++)
        step_release (&s->steps[k]);
      free (s->steps);
      cc_builder_image_free (s->image);
      cc_strv_free (s->env);
    }
  free (res->stages);
  cc_strv_free (res->unused_build_args);
  free (res);
}
