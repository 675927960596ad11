/* The stage graph, as BuildKit 1.7 builds it before dispatching anything:

   - global ARGs (before the first FROM) take the --build-arg value or
     their default substituted with the ARGs above them and the automatic
     platform ARGs (BUILDPLATFORM, TARGETPLATFORM, ...); an error in a
     default leaves it empty, as in BuildKit; a global ARG without a value
     is empty, not unset, for FROM lines;
   - `FROM` substitutes those only; a base that names an earlier stage
     (`AS` names are lower-cased, the reference is compared as written;
     the last stage of a name wins) is that stage, `scratch` is nothing,
     anything else an image reference;
   - `FROM --platform` must be the platform built for: ccompose builds for
     the host only;
   - `COPY --from=N` is the Nth stage, `--from=name` a stage of any place
     in the file or else an image; `RUN --mount from=` the same;
   - the target is `--target` (a stage name) or the last stage; the stages
     it reaches through bases and --from are needed, the others skipped;
   - a cycle through --from is an error; levels order the needed stages
     so that each reads only stages of lower levels.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char *const platform_arg_names[] = { "BUILDPLATFORM",  "BUILDOS",  "BUILDARCH",  "BUILDVARIANT",
                                                  "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT" };

long
cc_bld_stage_by_name (const struct cc_dockerfile *df, const char *name)
{
  cleanup_free char *lower = xstrdup (name);
  long found = -1;

  for (char *c = lower; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  for (size_t i = 0; i < df->n_stages; i++)
    if (df->stages[i].name && strcmp (df->stages[i].name, lower) == 0)
      found = (long)i;
  return found;
}

/* strconv.Atoi.  */
static bool
go_atoi (const char *s, long *out)
{
  long long v;

  if (cc_bld_go_parse_int (s, &v) != 0)
    return false;
  *out = (long)v;
  return true;
}

int
cc_bld_resolve_from (const struct cc_dockerfile *df, const char *from, const struct cc_df_instr *at, long *stage,
                     char **image, cc_error_t *err)
{
  long idx;

  *stage = -1;
  *image = NULL;
  if (go_atoi (from, &idx))
    {
      if (idx < 0 || (size_t)idx >= df->n_stages)
        return cc_bld_error_instr (err, at, "invalid stage index %ld", idx);
      *stage = idx;
      return 0;
    }
  idx = cc_bld_stage_by_name (df, from);
  if (idx >= 0)
    {
      *stage = idx;
      return 0;
    }
  {
    cleanup_error cc_error_t e = NULL;
    char *ref = cc_image_ref_normalize (from, &e);
    if (ref == NULL)
      return cc_bld_error_instr (err, at, "failed to parse stage name \"%s\": %s", from, e ? e->msg : "invalid");
    *image = ref;
  }
  return 0;
}

/* ---- global ARGs ----------------------------------------------------- */

struct meta
{
  struct cc_bld_vars *values; /* what FROM lines see: unset ones as "" */
  struct cc_bld_vec list;     /* KEY=VALUE, or KEY when declared without one */
};

static void
platform_args (const char *platform, struct meta *m, const struct cc_bld_vars *build_args)
{
  cleanup_strv char **parts = cc_bld_split (platform, '/', false);
  const char *os = parts[0] ? parts[0] : "linux";
  const char *arch = parts[0] && parts[1] ? parts[1] : "";
  const char *variant = parts[0] && parts[1] && parts[2] ? parts[2] : "";
  const char *values[] = { platform, os, arch, variant, platform, os, arch, variant };

  for (size_t i = 0; i < CC_N_ELEMENTS (platform_arg_names); i++)
    {
      const char *v = cc_bld_vars_get (build_args, platform_arg_names[i]);
      if (v == NULL)
        v = values[i];
      cc_bld_vars_set (m->values, platform_arg_names[i], v);
      cc_bld_vec_push (&m->list, xasprintf ("%s=%s", platform_arg_names[i], v));
    }
}

static void
global_args (const struct cc_dockerfile *df, struct meta *m, struct cc_bld_vec *list,
             const struct cc_bld_vars *build_args)
{
  for (size_t i = 0; i < df->n_meta_args; i++)
    {
      const struct cc_df_instr *in = df->meta_args[i];
      for (size_t k = 0; k < in->n_kv; k++)
        {
          const char *key = in->kv[k].key;
          const char *given = cc_bld_vars_get (build_args, key);
          cleanup_free char *value = NULL;
          if (given)
            value = xstrdup (given);
          else if (in->kv[k].value)
            {
              struct cc_bld_lexer lx = { df->escape, 0, 0, NULL };
              if (cc_bld_lex_word (&lx, in->kv[k].value, m->values, &value, NULL) < 0)
                value = xstrdup ("");
            }
          cc_bld_vars_set (m->values, key, value ? value : "");
          cc_bld_vec_push (list, value ? xasprintf ("%s=%s", key, value) : xstrdup (key));
        }
    }
}

/* ---- stages ------------------------------------------------------------ */

static int
check_platform (const struct cc_dockerfile *df, const struct cc_df_stage *st, struct meta *m, const char *platform,
                cc_error_t *err)
{
  struct cc_bld_lexer lx = { df->escape, 0, 0, NULL };
  cleanup_free char *value = NULL;
  cleanup_free char *norm = NULL;
  cleanup_free char *msg = NULL;
  cleanup_error cc_error_t e = NULL;

  if (st->platform == NULL)
    return 0;
  if (cc_bld_lex_word (&lx, st->platform, m->values, &value, &e) < 0)
    return cc_bld_error_instr (err, st->from, "failed to process arguments for platform : %s", e->msg);
  norm = cc_bld_normalize_platform (value, &msg);
  if (norm == NULL)
    return cc_bld_error_instr (err, st->from, "failed to parse platform %s: %s", value, msg);
  if (strcmp (norm, platform) != 0)
    return cc_bld_error_instr (err, st->from,
                               "platform `%s` is not the one built for (%s): ccompose builds for the host's platform "
                               "only",
                               value, platform);
  return 0;
}

static int
resolve_base (const struct cc_dockerfile *df, size_t i, struct cc_builder_stage *out, struct meta *m, cc_error_t *err)
{
  const struct cc_df_stage *st = &df->stages[i];
  struct cc_bld_lexer lx = { df->escape, 0, 0, NULL };
  cleanup_free char *base = NULL;

  if (cc_bld_lex_word (&lx, st->base, m->values, &base, err) < 0)
    return cc_bld_error_wrap_instr (err, st->from);
  if (*base == '\0')
    return cc_bld_error_instr (err, st->from, "base name (%s) should not be blank", st->base);
  /* Only stages above this one, by their lower-cased name, the last
     one of a name winning.  */
  for (size_t k = 0; k < i; k++)
    if (df->stages[k].name && strcmp (df->stages[k].name, base) == 0)
      {
        out->base_kind = CC_BASE_STAGE;
        out->base_stage = k;
      }
  if (out->base_kind == CC_BASE_STAGE)
    return 0;
  if (strcmp (base, "scratch") == 0)
    {
      out->base_kind = CC_BASE_SCRATCH;
      return 0;
    }
  out->base_kind = CC_BASE_IMAGE;
  out->base_image = steal_pointer (&base);
  return 0;
}

struct graph
{
  struct cc_builder_plan *plan;
  const struct cc_df_instr ***via; /* per stage, per dep: the --from that reads it, or NULL (the base) */
  struct cc_bld_vec *images;       /* per stage: the images it reads */
  size_t *seen;                    /* stage + 1 that last added each dep */
  int *mark;                       /* 0 new, 1 on the path, 2 done */
};

static void
add_dep (struct graph *g, size_t s, size_t dep, const struct cc_df_instr *via)
{
  struct cc_builder_stage *st = &g->plan->stages[s];

  if (g->seen[dep] == s + 1)
    {
      for (size_t i = 0; via && i < st->n_deps; i++)
        if (st->deps[i] == dep && g->via[s][i] == NULL)
          g->via[s][i] = via;
      return;
    }
  g->seen[dep] = s + 1;
  st->deps = cc_bld_grow (st->deps, st->n_deps, sizeof (*st->deps));
  g->via[s] = cc_bld_grow (g->via[s], st->n_deps, sizeof (*g->via[s]));
  g->via[s][st->n_deps] = via;
  st->deps[st->n_deps++] = dep;
}

/* The stages and images an instruction reads (toCommand).  */
static int
instr_deps (struct graph *g, size_t s, const struct cc_df_instr *in, cc_error_t *err)
{
  const struct cc_dockerfile *df = g->plan->df;

  if (in->kind == CC_DF_COPY && in->flag_from)
    {
      long stage;
      cleanup_free char *image = NULL;
      if (cc_bld_resolve_from (df, in->flag_from, in, &stage, &image, err) < 0)
        return -1;
      if (stage >= 0)
        add_dep (g, s, (size_t)stage, in);
      else
        cc_bld_vec_push (&g->images[s], steal_pointer (&image));
    }
  for (size_t i = 0; in->kind == CC_DF_RUN && in->flag_mounts && in->flag_mounts[i]; i++)
    {
      struct cc_builder_mount m = { 0 };
      cleanup_free char *from = NULL;
      long stage;
      int r = cc_bld_mount_parse (in->flag_mounts[i], NULL, NULL, &m, &from, err);
      cc_bld_mount_release (&m);
      if (r < 0)
        return cc_bld_error_wrap_instr (err, in);
      /* An empty from looks up a stage called `scratch`, as BuildKit does.  */
      stage = cc_bld_stage_by_name (df, from && *from ? from : "scratch");
      if (stage >= 0)
        add_dep (g, s, (size_t)stage, in);
      else if (from && *from && strcmp (from, "scratch") != 0)
        {
          cleanup_error cc_error_t e = NULL;
          char *ref = cc_image_ref_normalize (from, &e);
          if (ref == NULL)
            return cc_bld_error_instr (err, in, "failed to parse stage name \"%s\": %s", from, e ? e->msg : "invalid");
          cc_bld_vec_push (&g->images[s], ref);
        }
    }
  return 0;
}

/* validateCircularDependency: a path of --from edges back to a stage on
   it.  Depth-first with an explicit stack (a hostile file may chain
   thousands of stages); the instruction of the edge that closes it.  */
static const struct cc_df_instr *
find_cycle (struct graph *g, size_t root)
{
  struct cc_builder_plan *p = g->plan;
  cleanup_free size_t *node = xmalloc ((p->n_stages + 1) * sizeof (size_t));
  cleanup_free size_t *next = xmalloc ((p->n_stages + 1) * sizeof (size_t));
  size_t n = 0;

  if (g->mark[root] == 2)
    return NULL;
  node[n] = root, next[n] = 0, n++;
  g->mark[root] = 1;
  while (n > 0)
    {
      size_t s = node[n - 1];
      struct cc_builder_stage *st = &p->stages[s];
      if (next[n - 1] < st->n_deps)
        {
          size_t k = next[n - 1]++, d = st->deps[k];
          /* The base is no --from edge: BuildKit follows --from only.  */
          if (g->via[s][k] == NULL || g->mark[d] == 2)
            continue;
          if (g->mark[d] == 1)
            return g->via[s][k];
          g->mark[d] = 1;
          node[n] = d, next[n] = 0, n++;
          continue;
        }
      g->mark[s] = 2;
      n--;
    }
  return NULL;
}

static void
mark_needed (struct cc_builder_plan *p, size_t s)
{
  size_t *stack = xmalloc ((p->n_stages + 1) * sizeof (*stack)), n = 0;

  p->stages[s].needed = true;
  stack[n++] = s;
  while (n > 0)
    {
      struct cc_builder_stage *st = &p->stages[stack[--n]];
      for (size_t i = 0; i < st->n_deps; i++)
        if (! p->stages[st->deps[i]].needed)
          {
            p->stages[st->deps[i]].needed = true;
            stack[n++] = st->deps[i];
          }
    }
  free (stack);
}

/* Level of each needed stage: 0 without stage deps, else one more than
   its deepest dep.  Deps are acyclic here; an explicit stack keeps long
   chains from exhausting the C stack.  */
static void
compute_levels (struct cc_builder_plan *p)
{
  int *state = xzalloc (p->n_stages * sizeof (int));
  size_t *stack = xmalloc ((p->n_stages + 1) * sizeof (*stack));

  for (size_t root = 0; root < p->n_stages; root++)
    {
      size_t n = 0;
      if (! p->stages[root].needed || state[root])
        continue;
      stack[n++] = root;
      while (n > 0)
        {
          size_t s = stack[n - 1];
          struct cc_builder_stage *st = &p->stages[s];
          bool pushed = false;
          state[s] = 1;
          for (size_t i = 0; i < st->n_deps; i++)
            if (state[st->deps[i]] == 0)
              {
                stack[n++] = st->deps[i];
                pushed = true;
                break;
              }
          if (pushed)
            continue;
          st->level = 0;
          for (size_t i = 0; i < st->n_deps; i++)
            if (p->stages[st->deps[i]].level + 1 > st->level)
              st->level = p->stages[st->deps[i]].level + 1;
          if (st->level + 1 > p->n_levels)
            p->n_levels = st->level + 1;
          state[s] = 2;
          n--;
        }
    }
  free (state);
  free (stack);
}

static void
compute_order (struct cc_builder_plan *p)
{
  p->order = xzalloc ((p->n_stages + 1) * sizeof (*p->order));
  for (int level = 0; level < p->n_levels; level++)
    for (size_t i = 0; i < p->n_stages; i++)
      if (p->stages[i].needed && p->stages[i].level == level)
        p->order[p->n_order++] = i;
}

static void
collect_images (struct cc_builder_plan *p, struct graph *g)
{
  cleanup_bld_vars struct cc_bld_vars *seen = cc_bld_vars_new ();
  struct cc_bld_vec out = { 0 };

  for (size_t k = 0; k < p->n_order; k++)
    {
      size_t i = p->order[k];
      if (p->stages[i].base_kind == CC_BASE_IMAGE && cc_bld_vars_get (seen, p->stages[i].base_image) == NULL)
        {
          cc_bld_vars_set (seen, p->stages[i].base_image, "");
          cc_bld_vec_push (&out, xstrdup (p->stages[i].base_image));
        }
      for (size_t j = 0; j < g->images[i].n; j++)
        if (cc_bld_vars_get (seen, g->images[i].v[j]) == NULL)
          {
            cc_bld_vars_set (seen, g->images[i].v[j], "");
            cc_bld_vec_push (&out, xstrdup (g->images[i].v[j]));
          }
    }
  p->images = cc_bld_vec_steal (&out);
}

static void
graph_release (struct graph *g, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (g->via ? g->via[i] : NULL);
      if (g->images)
        cc_bld_vec_release (&g->images[i]);
    }
  free (g->via);
  free (g->images);
  free (g->seen);
  free (g->mark);
}

/* Base image references, checked for every stage (BuildKit resolves
   every stage's base, needed or not).  */
static int
check_references (struct cc_builder_plan *p, cc_error_t *err)
{
  for (size_t i = 0; i < p->n_stages; i++)
    {
      struct cc_builder_stage *st = &p->stages[i];
      cleanup_error cc_error_t e = NULL;
      char *ref;
      if (st->base_kind != CC_BASE_IMAGE)
        continue;
      ref = cc_image_ref_normalize (st->base_image, &e);
      if (ref == NULL)
        return cc_bld_error_instr (err, st->df->from, "failed to parse stage name \"%s\": %s", st->base_image,
                                   e ? e->msg : "invalid reference");
      free (st->base_image);
      st->base_image = ref;
    }
  return 0;
}

static int
build_graph (struct cc_builder_plan *p, struct graph *g, cc_error_t *err)
{
  g->via = xzalloc (p->n_stages * sizeof (*g->via));
  g->images = xzalloc (p->n_stages * sizeof (*g->images));
  g->seen = xzalloc (p->n_stages * sizeof (*g->seen));
  g->mark = xzalloc (p->n_stages * sizeof (*g->mark));
  for (size_t i = 0; i < p->n_stages; i++)
    {
      struct cc_builder_stage *st = &p->stages[i];
      if (st->base_kind == CC_BASE_STAGE)
        add_dep (g, i, st->base_stage, NULL);
      for (size_t k = 0; k < st->df->n_instrs; k++)
        if (instr_deps (g, i, st->df->instrs[k], err) < 0)
          return -1;
    }
  for (size_t i = 0; i < p->n_stages; i++)
    {
      const struct cc_df_instr *c = find_cycle (g, i);
      if (c)
        return cc_bld_error_instr (err, c, "circular dependency detected on stage: %s", p->stages[i].name);
    }
  return 0;
}

static int
find_target (struct cc_builder_plan *p, const char *target, cc_error_t *err)
{
  long t;

  if (target == NULL || *target == '\0')
    {
      p->target = p->n_stages - 1;
      return 0;
    }
  t = cc_bld_stage_by_name (p->df, target);
  if (t < 0)
    {
      cleanup_buf struct cc_buf q = { 0 };
      cc_bld_go_quote (&q, target);
      return cc_error_make (err, 0, "%s: target stage %s could not be found", p->df->name, q.data);
    }
  p->target = (size_t)t;
  return 0;
}

int
cc_builder_plan_new (const struct cc_dockerfile *df, const struct cc_builder_opts *opts, struct cc_builder_plan **out,
                     cc_error_t *err)
{
  cleanup_builder_plan struct cc_builder_plan *p = xzalloc (sizeof (*p));
  cleanup_bld_vars struct cc_bld_vars *build_args = cc_bld_vars_new ();
  struct meta m = { cc_bld_vars_new (), { 0 } };
  struct graph g = { p, NULL, NULL, NULL, NULL };
  cleanup_free char *msg = NULL;
  int ret = -1;

  p->df = df;
  p->build_args = opts && opts->build_args ? cc_strv_dup (opts->build_args) : xzalloc (sizeof (char *));
  for (size_t i = 0; p->build_args[i]; i++)
    cc_bld_vars_set_kv (build_args, p->build_args[i]);
  if (opts && opts->platform)
    {
      p->platform = cc_bld_normalize_platform (opts->platform, &msg);
      if (p->platform == NULL)
        {
          cc_error_make (err, 0, "platform %s", msg);
          goto out;
        }
    }
  else
    p->platform = cc_builder_host_platform ();
  if (df->n_stages == 0)
    {
      cc_error_make (err, 0, "%s: dockerfile contains no stages to build", df->name);
      goto out;
    }
  platform_args (p->platform, &m, build_args);
  global_args (df, &m, &m.list, build_args);
  p->n_stages = df->n_stages;
  p->stages = xzalloc (p->n_stages * sizeof (*p->stages));
  for (size_t i = 0; i < df->n_stages; i++)
    {
      struct cc_builder_stage *st = &p->stages[i];
      st->index = i;
      st->df = &df->stages[i];
      st->name = df->stages[i].name ? xstrdup (df->stages[i].name) : xasprintf ("stage-%zu", i);
      if (resolve_base (df, i, st, &m, err) < 0 || check_platform (df, &df->stages[i], &m, p->platform, err) < 0)
        goto out;
    }
  if (find_target (p, opts ? opts->target : NULL, err) < 0 || build_graph (p, &g, err) < 0
      || check_references (p, err) < 0)
    goto out;
  mark_needed (p, p->target);
  compute_levels (p);
  compute_order (p);
  collect_images (p, &g);
  p->meta_args = cc_bld_vec_steal (&m.list);
  *out = steal_pointer (&p);
  ret = 0;
out:
  graph_release (&g, df->n_stages);
  cc_bld_vars_free (m.values);
  cc_bld_vec_release (&m.list);
  return ret;
}

void
cc_builder_plan_free (struct cc_builder_plan *p)
{
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->n_stages; i++)
    {
      free (p->stages[i].name);
      free (p->stages[i].base_image);
      free (p->stages[i].deps);
    }
  free (p->stages);
  free (p->order);
  cc_strv_free (p->images);
  free (p->platform);
  cc_strv_free (p->build_args);
  cc_strv_free (p->meta_args);
  free (p);
}
