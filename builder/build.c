/* The sequencer of a build (builder.h, section 5, says what it does):

     1. read, parse, plan and evaluate the Dockerfile (nothing starts
        before every Dockerfile error has had its chance);
     2. resolve the images it reads, pulling what is missing;
     3. record the build, pin those images;
     4. build the needed stages level by level, each step reused from
        the cache or executed, its layer committed;
     5. store the image, tag it, forget the record.

   A step's cache key covers its parent (the previous step's key, or the
   base image's id), the step after substitution, and the digests of what
   it reads (context sources, `--from` stages and images, bind mounts);
   a warm rebuild that changes nothing hashes the context through the
   stat cache and reads one small record per step.  */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/exec.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define DEFAULT_PARALLEL 2

/* ---- interruption ----------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  interrupted = sig;
}

bool
cc_bld_interrupted (void)
{
  return interrupted != 0;
}

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

/* Without SA_RESTART: a blocking wait returns to look at the flag.  A
   signal the caller ignores (SIGINT of a background job) stays ignored.  */
static void
catch_signals (struct sigaction *old)
{
  struct sigaction sa = { .sa_handler = on_signal };

  sigemptyset (&sa.sa_mask);
  interrupted = 0;
  for (size_t i = 0; i < CC_N_ELEMENTS (stop_signals); i++)
    {
      sigaction (stop_signals[i], NULL, &old[i]);
      if (old[i].sa_handler != SIG_IGN)
        sigaction (stop_signals[i], &sa, NULL);
    }
}

/* After the cleanup, a signal that stopped the build ends the process
   as it would have without us.  */
static void
release_signals (const struct sigaction *old)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (stop_signals); i++)
    sigaction (stop_signals[i], &old[i], NULL);
  if (interrupted)
    raise (interrupted);
}

/* ---- states ---------------------------------------------------------------- */

struct stamp
{
  char *created;
  int empty; /* -1: not a step of this build */
};

/* What a built stage hands on: its state, and the history stamps of its
   image (created time and empty_layer of each step's entry).  */
struct built
{
  struct cc_bld_state state;
  struct stamp *stamps;
  size_t n_stamps;
};

static void
state_release (struct cc_bld_state *s)
{
  free (s->key);
  cc_strv_free (s->diff_ids);
  free (s->created);
  memset (s, 0, sizeof (*s));
}

static void
built_free (struct built *b)
{
  if (b == NULL)
    return;
  state_release (&b->state);
  for (size_t i = 0; i < b->n_stamps; i++)
    free (b->stamps[i].created);
  free (b->stamps);
  free (b);
}

static struct built *
built_dup (const struct built *src, size_t n_history)
{
  struct built *b = xzalloc (sizeof (*b));

  b->state.key = xstrdup (src->state.key);
  b->state.diff_ids = cc_strv_dup (src->state.diff_ids);
  b->state.created = src->state.created ? xstrdup (src->state.created) : NULL;
  b->n_stamps = n_history;
  b->stamps = xzalloc ((n_history + 1) * sizeof (*b->stamps));
  for (size_t i = 0; i < n_history; i++)
    {
      b->stamps[i].empty = -1;
      if (i < src->n_stamps)
        {
          b->stamps[i].empty = src->stamps[i].empty;
          b->stamps[i].created = src->stamps[i].created ? xstrdup (src->stamps[i].created) : NULL;
        }
    }
  return b;
}

static cJSON *
built_to_json (const struct built *b)
{
  cJSON *j = cJSON_CreateObject (), *ids = cJSON_CreateArray (), *stamps = cJSON_CreateArray ();

  cc_json_set_string (j, "key", b->state.key);
  if (b->state.created)
    cc_json_set_string (j, "created", b->state.created);
  for (char **d = b->state.diff_ids; d && *d; d++)
    cJSON_AddItemToArray (ids, cJSON_CreateString (*d));
  cc_json_set (j, "diff_ids", ids);
  for (size_t i = 0; i < b->n_stamps; i++)
    {
      cJSON *s = cJSON_CreateObject ();
      if (b->stamps[i].created)
        cc_json_set_string (s, "created", b->stamps[i].created);
      cc_json_set_int (s, "empty", b->stamps[i].empty);
      cJSON_AddItemToArray (stamps, s);
    }
  cc_json_set (j, "stamps", stamps);
  return j;
}

static struct built *
built_from_json (const cJSON *j)
{
  struct built *b = xzalloc (sizeof (*b));
  const cJSON *it;
  size_t i = 0;

  b->state.key = xstrdup (cc_json_get_string (j, "key") ?: "");
  b->state.created = cc_json_get_string (j, "created") ? xstrdup (cc_json_get_string (j, "created")) : NULL;
  b->state.diff_ids = xzalloc (sizeof (char *));
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (j, "diff_ids"))
  {
    if (cJSON_IsString (it))
      cc_strv_append (&b->state.diff_ids, it->valuestring);
  }
  b->n_stamps = (size_t)cJSON_GetArraySize (cJSON_GetObjectItemCaseSensitive (j, "stamps"));
  b->stamps = xzalloc ((b->n_stamps + 1) * sizeof (*b->stamps));
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (j, "stamps"))
  {
    const char *c = cc_json_get_string (it, "created");
    b->stamps[i].created = c ? xstrdup (c) : NULL;
    b->stamps[i].empty = (int)cc_json_get_int (it, "empty", -1);
    i++;
  }
  return b;
}

/* ---- the build ---------------------------------------------------------------- */

struct build
{
  const struct cc_build_request *req;
  struct cc_dockerfile *df;
  struct cc_builder_plan *plan;
  struct cc_builder_result *res;
  struct cc_bld_progress progress;
  struct cc_bld_env env;
  /* The external images: reference, its config, its state.  */
  char **refs;
  struct cc_image **images;
  size_t n_images;
  struct built **stages; /* plan index -> result, once built */
  int *numbers;          /* plan index -> first progress number */
  char *dockerfile_path;
};

static void
build_release (struct build *b)
{
  for (size_t i = 0; i < b->n_images; i++)
    {
      if (b->images[i])
        cc_image_free (b->images[i]);
      if (b->env.images && b->env.images[i])
        {
          state_release (b->env.images[i]);
          free (b->env.images[i]);
        }
    }
  free (b->images);
  free (b->env.images);
  cc_strv_free (b->refs);
  if (b->plan)
    {
      for (size_t i = 0; i < b->plan->n_stages; i++)
        built_free (b->stages ? b->stages[i] : NULL);
      cc_builder_plan_free (b->plan);
    }
  free (b->stages);
  free (b->env.stages);
  free (b->numbers);
  if (b->res)
    cc_builder_result_free (b->res);
  if (b->df)
    cc_dockerfile_free (b->df);
  cc_bld_context_close (b->env.context);
  for (size_t i = 0; i < b->env.n_named; i++)
    cc_bld_context_close (b->env.named[i]);
  free (b->env.named);
  cc_strv_free (b->env.named_refs);
  free (b->env.empty_dir);
  free (b->env.net_project);
  free (b->dockerfile_path);
}

/* ---- 1. the Dockerfile ------------------------------------------------------------ */

static int
read_dockerfile (struct build *b, char **text, size_t *len, cc_error_t *err)
{
  const char *df = b->req->dockerfile;

  if (df && strcmp (df, "-") == 0)
    {
      b->dockerfile_path = xstrdup ("Dockerfile");
      return cc_read_fd_max (STDIN_FILENO, "the Dockerfile on standard input", CC_DOCKERFILE_MAX, text, len, err);
    }
  b->dockerfile_path = df ? xstrdup (df) : cc_path_join (b->req->context, "Dockerfile");
  if (cc_read_regular_file_max (b->dockerfile_path, CC_DOCKERFILE_MAX, text, len, err) < 0)
    return cc_error_wrap (err, "read the Dockerfile");
  return 0;
}

static int
read_ignore (struct build *b, struct cc_dockerignore **out, cc_error_t *err)
{
  cleanup_strv char **cands = cc_dockerignore_candidates (
      b->req->dockerfile && strcmp (b->req->dockerfile, "-") != 0 ? b->req->dockerfile : NULL, b->req->context);

  *out = NULL;
  for (char **c = cands; *c; c++)
    {
      cleanup_free char *text = NULL;
      size_t len = 0;
      if (! cc_file_exists (*c))
        continue;
      if (cc_read_regular_file_max (*c, 16 << 20, &text, &len, err) < 0)
        return -1;
      return cc_dockerignore_parse (*c, text, len, out, err);
    }
  return 0;
}

static int
parse_and_plan (struct build *b, cc_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *platform = NULL;
  size_t len = 0;
  struct cc_builder_opts o = { b->req->target, b->req->build_args, NULL };

  if (b->req->platform)
    {
      platform = cc_builder_host_platform ();
      if (strcmp (b->req->platform, platform) != 0)
        return cc_error_make (err, ENOTSUP, "--platform `%s`: only the host's platform (%s) can be built",
                              b->req->platform, platform);
    }
  if (read_dockerfile (b, &text, &len, err) < 0)
    return -1;
  if (cc_dockerfile_parse ("Dockerfile", text, len, &b->df, err) < 0)
    return -1;
  for (char **w = b->df->warnings; w && *w; w++)
    cc_bld_progress_line (&b->progress, "WARNING: %s", *w);
  return cc_builder_plan_new (b->df, &o, &b->plan, err);
}

/* ---- 2. images ------------------------------------------------------------------- */

static int
find_image (struct build *b, const char *ref, struct cc_image **out, cc_error_t *err)
{
  cleanup_free char *shown = cc_image_familiar (ref);
  cc_error_t e = NULL;

  if (b->req->pull)
    {
      if (cc_image_pull (ref, true, &e) < 0)
        {
          cc_error_make (err, e->status, "base image `%s`: %s", shown, e->msg);
          cc_error_release (&e);
          return -1;
        }
      return cc_image_resolve (ref, out, err);
    }
  if (cc_image_resolve (ref, out, &e) == 0)
    return 0;
  if (e->status != ENOENT)
    {
      *err = e;
      return -1;
    }
  cc_error_release (&e);
  cc_bld_progress_line (&b->progress, "pulling %s (not in the store)", shown);
  if (cc_image_pull (ref, true, &e) < 0)
    {
      cc_error_make (err, ENOENT,
                     "base image `%s` is not in the image store and could not be pulled (%s): load it with `ccompose "
                     "image load -i FILE`, or make its registry reachable and run `ccompose image pull %s`",
                     shown, e->msg, shown);
      cc_error_release (&e);
      return -1;
    }
  return cc_image_resolve (ref, out, err);
}

static int
resolve_images (struct build *b, cc_error_t *err)
{
  size_t n = cc_strv_len (b->plan->images);

  b->refs = cc_strv_dup (b->plan->images);
  b->n_images = n;
  b->images = xzalloc ((n + 1) * sizeof (*b->images));
  b->env.images = xzalloc ((n + 1) * sizeof (*b->env.images));
  b->env.image_refs = b->refs;
  b->env.n_images = n;
  for (size_t i = 0; i < n; i++)
    {
      struct cc_bld_state *st;
      /* A name --build-context gives is read from its directory.  */
      if (cc_bld_named_context (&b->env, b->refs[i]))
        continue;
      if (find_image (b, b->refs[i], &b->images[i], err) < 0)
        return -1;
      st = xzalloc (sizeof (*st));
      st->key = xstrdup (b->images[i]->id);
      st->diff_ids = cc_strv_dup (b->images[i]->config.diff_ids);
      b->env.images[i] = st;
    }
  return 0;
}

static int
image_config (void *opaque, const char *ref, struct cc_builder_image **out, cc_error_t *err)
{
  struct build *b = opaque;
  cleanup_free char *text = NULL;
  size_t len = 0;

  for (size_t i = 0; i < b->n_images; i++)
    if (strcmp (b->refs[i], ref) == 0 && b->images[i] == NULL)
      return cc_error_make (err, ENOTSUP, "FROM `%s`: a --build-context cannot be a base, only a COPY --from source",
                            ref);
    else if (strcmp (b->refs[i], ref) == 0)
      {
        if (cc_image_config_blob (b->images[i], &text, &len, err) < 0)
          return -1;
        return cc_builder_image_parse (text, len, out, err);
      }
  return cc_error_make (err, ENOENT, "image `%s` was not resolved", ref);
}

struct cc_bld_context *
cc_bld_named_context (const struct cc_bld_env *e, const char *ref)
{
  for (size_t i = 0; ref && i < e->n_named; i++)
    if (strcmp (e->named_refs[i], ref) == 0)
      return e->named[i];
  return NULL;
}

/* --build-context NAME=DIR, each opened as a context of its own.  */
static int
open_named_contexts (struct build *b, cc_error_t *err)
{
  size_t n = cc_strv_len (b->req->build_contexts);

  b->env.named_refs = xzalloc ((n + 1) * sizeof (char *));
  b->env.named = xzalloc ((n + 1) * sizeof (*b->env.named));
  for (size_t i = 0; i < n; i++)
    {
      const char *spec = b->req->build_contexts[i];
      const char *eq = strchr (spec, '=');
      cleanup_free char *name = eq ? xstrndup (spec, (size_t)(eq - spec)) : NULL;
      char *ref;
      if (name == NULL || *name == '\0' || eq[1] == '\0')
        return cc_error_make (err, EINVAL, "--build-context `%s`: want NAME=PATH", spec);
      if (strstr (eq + 1, "://"))
        return cc_error_make (err, ENOTSUP, "--build-context `%s`: only local directories are supported", spec);
      ref = cc_image_ref_normalize (name, err);
      if (ref == NULL)
        return cc_error_wrap (err, "--build-context `%s`", spec);
      b->env.named_refs[i] = ref;
      b->env.n_named = i + 1;
      if (cc_bld_context_open (eq + 1, NULL, &b->env.named[i], err) < 0)
        return cc_error_wrap (err, "--build-context `%s`", spec);
    }
  return 0;
}

const struct cc_bld_state *
cc_bld_image_state (const struct cc_bld_env *e, const char *ref)
{
  for (size_t i = 0; i < e->n_images; i++)
    if (strcmp (e->image_refs[i], ref) == 0)
      return e->images[i];
  return NULL;
}

char **
cc_bld_lowers (const struct cc_bld_env *e, const struct cc_bld_state *state, cc_error_t *err)
{
  size_t n = cc_strv_len (state ? state->diff_ids : NULL);
  char **out = xzalloc ((n + 2) * sizeof (char *));

  for (size_t i = 0; i < n; i++)
    {
      out[i] = cc_image_layer_dir (state->diff_ids[n - 1 - i]);
      if (out[i] == NULL)
        {
          cc_error_make (err, ENOENT, "layer %s is not in the image store", state->diff_ids[n - 1 - i]);
          cc_strv_free (out);
          return NULL;
        }
    }
  if (n == 0)
    out[0] = xstrdup (e->empty_dir);
  return out;
}

/* ---- 4. steps --------------------------------------------------------------------- */

struct step_run
{
  struct build *b;
  const struct cc_builder_stage_result *sr;
  const struct cc_builder_step *step;
  struct built *cur;
  struct cc_bld_vertex v;
  struct cc_bld_vec names, digests; /* inputs */
  char **downloads;
  char *key;
};

static void
add_input (struct step_run *r, const char *name, char *digest)
{
  cc_bld_vec_push (&r->names, xstrdup (name));
  cc_bld_vec_push (&r->digests, digest);
}

static int
from_input (struct step_run *r, long stage, const char *image, cc_error_t *err)
{
  if (stage >= 0)
    {
      if (r->b->stages[stage] == NULL)
        return cc_error_make (err, 0, "stage %ld is not built", stage);
      add_input (r, "stage", xstrdup (r->b->stages[stage]->state.key));
    }
  else if (image)
    {
      const struct cc_bld_state *st = cc_bld_image_state (&r->b->env, image);
      if (st == NULL)
        return cc_error_make (err, 0, "image `%s` was not resolved", image);
      add_input (r, "image", xstrdup (st->key));
    }
  return 0;
}

static int
context_input (struct step_run *r, const char *path, cc_error_t *err)
{
  char *digest = NULL;

  if (r->b->env.context == NULL)
    return cc_error_make (err, ENOENT, "\"%s\": no build context", path);
  if (cc_bld_context_digest (r->b->env.context, path, &digest, err) < 0)
    return -1;
  add_input (r, path, digest);
  return 0;
}

static int ensure_record (struct build *b, cc_error_t *err);

static int
download_input (struct step_run *r, const struct cc_builder_source *src, cc_error_t *err)
{
  cleanup_free char *dir = NULL;
  char *path = NULL, *digest = NULL;

  if (ensure_record (r->b, err) < 0)
    return -1;
  dir = xasprintf ("%s/download-%d", cc_bld_record_dir (r->b->env.record), ++r->b->env.counter);
  if (cc_mkdir_p (dir, 0700, err) < 0
      || cc_bld_download (src->path, dir, src->filename, r->step->checksum, &path, &digest, err) < 0)
    return -1;
  cc_strv_push (&r->downloads, path);
  add_input (r, src->path, digest);
  return 0;
}

static int
named_inputs (struct step_run *r, struct cc_bld_context *c, cc_error_t *err)
{
  for (size_t i = 0; i < r->step->n_sources; i++)
    {
      char *digest = NULL;
      if (cc_bld_context_digest (c, r->step->sources[i].path, &digest, err) < 0)
        return -1;
      add_input (r, r->step->sources[i].path, digest);
    }
  return 0;
}

static int
copy_inputs (struct step_run *r, cc_error_t *err)
{
  const struct cc_builder_step *s = r->step;
  struct cc_bld_context *named = cc_bld_named_context (&r->b->env, s->from_image);

  if (named)
    return named_inputs (r, named, err);
  if (s->from_stage >= 0 || s->from_image)
    return from_input (r, s->from_stage, s->from_image, err);
  for (size_t i = 0; i < s->n_sources; i++)
    {
      const struct cc_builder_source *src = &s->sources[i];
      int ret = 0;
      if (src->kind == CC_SRC_CONTEXT)
        ret = context_input (r, src->path, err);
      else if (src->kind == CC_SRC_URL)
        ret = download_input (r, src, err);
      if (ret < 0)
        return -1;
    }
  return 0;
}

static int
run_inputs (struct step_run *r, cc_error_t *err)
{
  for (size_t i = 0; i < r->step->n_mounts; i++)
    {
      const struct cc_builder_mount *m = &r->step->mounts[i];
      int ret = 0;
      if (m->type != CC_MOUNT_BIND)
        continue;
      if (m->from_stage >= 0 || m->from_image)
        ret = from_input (r, m->from_stage, m->from_image, err);
      else
        ret = context_input (r, m->source ? m->source : "/", err);
      if (ret < 0)
        return -1;
    }
  return 0;
}

static int
compute_key (struct step_run *r, cc_error_t *err)
{
  struct cc_builder_input *in = NULL;
  int ret = r->step->kind == CC_STEP_RUN       ? run_inputs (r, err)
            : r->step->kind == CC_STEP_WORKDIR ? 0
                                               : copy_inputs (r, err);

  if (ret < 0)
    return -1;
  in = xzalloc ((r->names.n + 1) * sizeof (*in));
  for (size_t i = 0; i < r->names.n; i++)
    in[i] = (struct cc_builder_input){ r->names.v[i], r->digests.v[i] };
  r->key = cc_builder_cache_key (r->cur->state.key, r->step, in, r->names.n);
  free (in);
  return 0;
}

static char *
now_rfc3339 (int64_t epoch)
{
  struct timespec ts = { 0 };
  struct tm tm;
  char buf[64];

  if (epoch >= 0)
    ts.tv_sec = epoch;
  else
    clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  if (epoch >= 0)
    return xasprintf ("%sZ", buf);
  return xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

static int
execute_step (struct step_run *r, struct cc_bld_cache_record *rec, cc_error_t *err)
{
  struct cc_bld_env *e = &r->b->env;
  cleanup_free char *dir = NULL;
  cleanup_free char *hold = cc_bld_cache_hold_name (r->key);
  int ret;

  if (ensure_record (r->b, err) < 0)
    return -1;
  dir = xasprintf ("%s/step-%d", cc_bld_record_dir (e->record), ++e->counter);
  if (mkdir (dir, 0755) < 0)
    return cc_error_make (err, errno, "create `%s`", dir);
  ret = r->step->kind == CC_STEP_RUN ? cc_bld_run (e, r->step, &r->cur->state, dir, &r->v, err)
                                     : cc_bld_fsop (e, r->step, &r->cur->state, dir, r->downloads, err);
  if (ret == 0)
    ret = cc_bld_layer_commit (dir, e->epoch, hold, &rec->layer, err);
  if (cc_is_dir (dir))
    cc_rm_rf (dir, NULL);
  if (ret < 0)
    return -1;
  rec->created = now_rfc3339 (getenv ("SOURCE_DATE_EPOCH") ? e->epoch : -1);
  return cc_bld_cache_store (r->key, rec, err);
}

static void
step_release (struct step_run *r)
{
  cc_bld_vec_release (&r->names);
  cc_bld_vec_release (&r->digests);
  cc_strv_free (r->downloads);
  free (r->key);
  cc_bld_vertex_release (&r->v);
}

static void
apply_record (struct step_run *r, const struct cc_bld_cache_record *rec)
{
  struct stamp *s = &r->cur->stamps[r->step->history];

  if (rec->layer)
    cc_strv_append (&r->cur->state.diff_ids, rec->layer);
  free (s->created);
  s->created = xstrdup (rec->created);
  s->empty = rec->layer == NULL;
  if (r->cur->state.created == NULL || strcmp (r->cur->state.created, rec->created) < 0)
    {
      free (r->cur->state.created);
      r->cur->state.created = xstrdup (rec->created);
    }
  free (r->cur->state.key);
  r->cur->state.key = steal_pointer (&r->key);
}

/* "Dockerfile:12" for messages about a step.  */
static int
step_error (struct step_run *r, cc_error_t *err)
{
  const struct cc_df_instr *in = r->step->instr;

  cc_bld_vertex_error (&r->v, (*err)->msg);
  if (in)
    return cc_error_wrap (err, "%s:%d: %s", in->file && in->file->name ? in->file->name : "Dockerfile", in->line,
                          r->step->display);
  return -1;
}

static int
build_step (struct build *b, const struct cc_builder_stage_result *sr, size_t i, struct built *cur, int number,
            cc_error_t *err)
{
  struct step_run r = { .b = b, .sr = sr, .step = &sr->steps[i], .cur = cur };
  const struct cc_builder_stage *ps = &b->plan->stages[sr->stage];
  cleanup_free char *name = xasprintf ("[%s %zu/%zu] %s", ps->name, i + 2, sr->n_steps + 1, r.step->display);
  struct cc_bld_cache_record rec = { 0 };
  int ret = 0;

  cc_bld_vertex_start (&r.v, &b->progress, number, name);
  if (cc_bld_interrupted ())
    {
      cc_error_make (err, EINTR, "interrupted");
      ret = step_error (&r, err);
    }
  else if (compute_key (&r, err) < 0)
    ret = step_error (&r, err);
  else if (! b->req->no_cache && cc_bld_cache_lookup (r.key, &rec) == 1)
    {
      cc_bld_vertex_cached (&r.v);
      apply_record (&r, &rec);
    }
  else if (execute_step (&r, &rec, err) < 0)
    ret = step_error (&r, err);
  else
    {
      cc_bld_vertex_done (&r.v);
      apply_record (&r, &rec);
    }
  cc_bld_cache_record_release (&rec);
  step_release (&r);
  return ret;
}

/* ---- stages ------------------------------------------------------------------------ */

static struct built *
stage_base (struct build *b, const struct cc_builder_stage *ps, size_t n_history)
{
  struct built scratch = { .state = { .key = (char *)"scratch" } };
  const struct cc_bld_state *img;

  switch (ps->base_kind)
    {
    case CC_BASE_STAGE:
      return built_dup (b->stages[ps->base_stage], n_history);
    case CC_BASE_IMAGE:
      img = cc_bld_image_state (&b->env, ps->base_image);
      scratch.state.key = img->key;
      scratch.state.diff_ids = img->diff_ids;
      return built_dup (&scratch, n_history);
    default:
      return built_dup (&scratch, n_history);
    }
}

static int
build_stage (struct build *b, size_t index, cc_error_t *err)
{
  const struct cc_builder_stage *ps = &b->plan->stages[index];
  const struct cc_builder_stage_result *sr = cc_builder_result_stage (b->res, index);
  struct built *cur = stage_base (b, ps, sr->image->n_history);
  int number = b->numbers[index];
  cleanup_free char *from = xasprintf ("[%s 1/%zu] FROM %s", ps->name, sr->n_steps + 1,
                                       ps->base_kind == CC_BASE_IMAGE   ? ps->base_image
                                       : ps->base_kind == CC_BASE_STAGE ? b->plan->stages[ps->base_stage].name
                                                                        : "scratch");
  struct cc_bld_vertex v;

  cc_bld_vertex_start (&v, &b->progress, number, from);
  cc_bld_vertex_done (&v);
  cc_bld_vertex_release (&v);
  for (size_t i = 0; i < sr->n_steps; i++)
    if (build_step (b, sr, i, cur, number + 1 + (int)i, err) < 0)
      {
        built_free (cur);
        return cc_error_wrap (err, "stage `%s`", ps->name);
      }
  b->stages[index] = cur;
  b->env.stages[index] = &cur->state;
  return 0;
}

/* ---- parallel levels ------------------------------------------------------------------ */

static char *
stage_file (struct build *b, size_t index)
{
  return xasprintf ("%s/stage-%zu.json", cc_bld_record_dir (b->env.record), index);
}

/* The stages of one level, each in a job of the fork pool (lib/pool.h)
   that leaves its result in a file for the parent.  */
struct level
{
  struct build *b;
  const size_t *idx;
};

static int
stage_job (void *opaque, size_t i, cc_error_t *err)
{
  struct level *l = opaque;
  struct build *b = l->b;
  size_t index = l->idx[i];
  cleanup_free char *path = stage_file (b, index);
  cleanup_cjson cJSON *j = NULL;

  /* Names of containers and scratch directories stay unique across the
     children.  */
  b->env.counter = (int)(index + 1) * 100000;
  if (build_stage (b, index, err) < 0)
    return -1;
  j = built_to_json (b->stages[index]);
  return cc_json_save_file (path, j, err);
}

static void
stage_done (void *opaque, size_t i, cc_error_t *err)
{
  struct level *l = opaque;
  struct build *b = l->b;
  size_t index = l->idx[i];
  cleanup_free char *path = stage_file (b, index);
  cleanup_cjson cJSON *j = NULL;

  if (*err)
    return;
  if (cc_json_load_file (path, &j, err) < 0)
    return;
  b->stages[index] = built_from_json (j);
  b->env.stages[index] = &b->stages[index]->state;
}

/* A signal for us alone (SIGTERM) reaches the stage builders too.  */
static bool
stage_interrupted (void *opaque)
{
  (void)opaque;
  return cc_bld_interrupted ();
}

static int
build_level_parallel (struct build *b, size_t *idx, size_t n, int limit, cc_error_t *err)
{
  struct level l = { b, idx };
  const struct cc_pool pool = {
    .fn = stage_job,
    .opaque = &l,
    .n = n,
    .limit = limit,
    .done = stage_done,
    .interrupted = stage_interrupted,
    .stop_on_error = true,
  };

  return cc_pool_run (&pool, err);
}

static int
build_stages (struct build *b, cc_error_t *err)
{
  int limit = b->req->parallel > 0 ? b->req->parallel : DEFAULT_PARALLEL;

  for (int level = 0; level < b->plan->n_levels; level++)
    {
      size_t *idx = xzalloc ((b->plan->n_order + 1) * sizeof (size_t));
      size_t n = 0;
      int ret = 0;
      for (size_t i = 0; i < b->plan->n_order; i++)
        if (b->plan->stages[b->plan->order[i]].level == level)
          idx[n++] = b->plan->order[i];
      /* Forked children share the parent's record.  */
      if (n > 1 && limit > 1)
        ret = ensure_record (b, err) < 0 ? -1 : build_level_parallel (b, idx, n, limit, err);
      else
        for (size_t i = 0; i < n && ret == 0; i++)
          ret = build_stage (b, idx[i], err);
      free (idx);
      if (ret < 0)
        return -1;
    }
  return 0;
}

/* ---- 5. the image ---------------------------------------------------------------------- */

static void
add_labels (struct cc_builder_image *img, char *const *labels)
{
  for (char *const *l = labels; l && *l; l++)
    {
      cleanup_free char *key = xstrndup (*l, strcspn (*l, "="));
      const char *value = strchr (*l, '=') ? strchr (*l, '=') + 1 : "";
      size_t i;
      for (i = 0; i < img->n_labels; i++)
        if (strcmp (img->labels[i].key, key) == 0)
          break;
      if (i == img->n_labels)
        {
          img->labels = xreallocarray (img->labels, img->n_labels + 1, sizeof (*img->labels));
          img->labels[i].key = steal_pointer (&key);
          img->labels[i].value = NULL;
          img->n_labels++;
        }
      free (img->labels[i].value);
      img->labels[i].value = xstrdup (value);
    }
  /* Sorted by key, as Go marshals a map.  */
  for (size_t i = 1; i < img->n_labels; i++)
    for (size_t j = i; j > 0 && strcmp (img->labels[j - 1].key, img->labels[j].key) > 0; j--)
      {
        struct cc_builder_label t = img->labels[j];
        img->labels[j] = img->labels[j - 1];
        img->labels[j - 1] = t;
      }
}

static char *
final_config (struct build *b, const struct built *fin, cc_error_t *err)
{
  const struct cc_builder_stage_result *sr = cc_builder_result_stage (b->res, b->plan->target);
  cleanup_builder_image struct cc_builder_image *img = cc_builder_image_dup (sr->image);
  cleanup_cjson cJSON *j = NULL;
  const char *sde = getenv ("SOURCE_DATE_EPOCH");
  cleanup_free char *created = NULL;

  (void)err;
  if (sde)
    created = now_rfc3339 (b->env.epoch);
  else if (fin->state.created)
    created = xstrdup (fin->state.created);
  else
    created = xstrdup (img->created ? img->created : "1970-01-01T00:00:00Z");
  free (img->created);
  img->created = xstrdup (created);
  cc_strv_free (img->diff_ids);
  img->diff_ids = cc_strv_dup (fin->state.diff_ids);
  for (size_t i = 0; i < img->n_history && i < fin->n_stamps; i++)
    {
      struct cc_builder_history *h = &img->history[i];
      if (fin->stamps[i].empty >= 0)
        h->empty_layer = fin->stamps[i].empty != 0;
      if (fin->stamps[i].created)
        {
          free (h->created);
          h->created = xstrdup (sde ? created : fin->stamps[i].created);
        }
      else if (h->created == NULL)
        h->created = xstrdup (created);
    }
  add_labels (img, b->req->labels);
  j = cc_builder_image_to_json (img);
  return cJSON_PrintUnformatted (j);
}

/* The image the target's chain of stages starts from, or NULL.  */
static const struct cc_image *
root_image (struct build *b)
{
  size_t i = b->plan->target;

  while (b->plan->stages[i].base_kind == CC_BASE_STAGE)
    i = b->plan->stages[i].base_stage;
  if (b->plan->stages[i].base_kind != CC_BASE_IMAGE)
    return NULL;
  for (size_t k = 0; k < b->n_images; k++)
    if (strcmp (b->refs[k], b->plan->stages[i].base_image) == 0)
      return b->images[k];
  return NULL;
}

static int
store_image (struct build *b, char **id, cc_error_t *err)
{
  const struct built *fin = b->stages[b->plan->target];
  const struct cc_image *base = root_image (b);
  cleanup_free char *config = final_config (b, fin, err);
  struct cc_bld_vertex v;
  int ret;

  if (config == NULL)
    return -1;
  cc_bld_vertex_start (&v, &b->progress, b->numbers[b->plan->n_stages], "exporting to image");
  ret = cc_image_store_built (config, base ? base->manifest_digest : NULL,
                              base ? cc_strv_len (base->config.diff_ids) : 0, fin->state.diff_ids, b->req->tags, id,
                              err);
  if (ret == 0)
    {
      cc_bld_progress_line (&b->progress, "#%d writing image %s done", v.number, *id);
      for (char *const *t = b->req->tags; t && *t; t++)
        {
          cleanup_free char *full = cc_image_ref_normalize (*t, NULL);
          cc_bld_progress_line (&b->progress, "#%d naming to %s done", v.number, full ? full : *t);
        }
      cc_bld_vertex_done (&v);
    }
  cc_bld_vertex_release (&v);
  return ret;
}

/* ---- the entry point ------------------------------------------------------------------- */

static enum cc_bld_progress_mode
progress_mode (const char *p)
{
  if (p == NULL || strcmp (p, "auto") == 0)
    return isatty (STDERR_FILENO) ? CC_PROGRESS_TTY : CC_PROGRESS_PLAIN;
  if (strcmp (p, "tty") == 0)
    return CC_PROGRESS_TTY;
  if (strcmp (p, "quiet") == 0)
    return CC_PROGRESS_QUIET;
  return CC_PROGRESS_PLAIN;
}

static int
read_epoch (int64_t *epoch, cc_error_t *err)
{
  const char *s = getenv ("SOURCE_DATE_EPOCH");
  char *end = NULL;
  long long v;

  *epoch = 0;
  if (s == NULL || *s == '\0')
    return 0;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || *end || v < 0)
    return cc_error_make (err, EINVAL, "SOURCE_DATE_EPOCH `%s` is not a number of seconds", s);
  *epoch = v;
  return 0;
}

static void
number_stages (struct build *b)
{
  int next = 1;

  b->numbers = xzalloc ((b->plan->n_stages + 1) * sizeof (int));
  for (size_t i = 0; i < b->plan->n_stages; i++)
    {
      const struct cc_builder_stage_result *sr = cc_builder_result_stage (b->res, i);
      b->numbers[i] = next;
      if (sr)
        next += (int)sr->n_steps + 1;
    }
  b->numbers[b->plan->n_stages] = next;
}

/* Builds killed before: take their leftovers away first.  */
static void
clean_stale_builds (void)
{
  const struct cc_residue_scope fix = { .fix = true };
  cleanup_findings struct cc_findings stale = { 0 };
  cc_error_t ignored = NULL;

  cc_builder_residue (&fix, &stale, &ignored);
  if (ignored)
    {
      cc_warn ("cleaning up after an earlier build: %s", ignored->msg);
      cc_error_release (&ignored);
    }
}

/* The record, the scratch directory and the pins of the base images, made
   before the first step that executes (a fully cached build makes none
   of them: it only reads).  */
static int
ensure_record (struct build *b, cc_error_t *err)
{
  if (b->env.record)
    return 0;
  if (cc_bld_record_begin (&b->env.record, err) < 0)
    return -1;
  b->env.empty_dir = cc_path_join (cc_bld_record_dir (b->env.record), "empty");
  if (mkdir (b->env.empty_dir, 0755) < 0)
    return cc_error_make (err, errno, "create `%s`", b->env.empty_dir);
  for (size_t i = 0; i < b->n_images; i++)
    {
      cleanup_free char *owner = NULL;
      if (b->images[i] == NULL)
        continue;
      owner = xasprintf ("ccbuild-%s-%zu", cc_bld_record_id (b->env.record), i);
      if (cc_bld_record_add (b->env.record, "pins", owner, err) < 0 || cc_image_pin (owner, b->images[i]->id, err) < 0)
        return -1;
    }
  return 0;
}

static int
prepare (struct build *b, cc_error_t *err)
{
  cleanup_dockerignore struct cc_dockerignore *ignore = NULL;

  if (read_epoch (&b->env.epoch, err) < 0 || parse_and_plan (b, err) < 0 || open_named_contexts (b, err) < 0
      || resolve_images (b, err) < 0)
    return -1;
  if (cc_builder_evaluate (b->plan, image_config, b, &b->res, err) < 0)
    return -1;
  for (char **u = b->res->unused_build_args; u && *u; u++)
    cc_bld_progress_line (&b->progress, "WARNING: build argument `%s` is not consumed by any ARG", *u);
  if (read_ignore (b, &ignore, err) < 0)
    return -1;
  if (cc_bld_context_open (b->req->context, steal_pointer (&ignore), &b->env.context, err) < 0)
    return -1;
  b->stages = xzalloc ((b->plan->n_stages + 1) * sizeof (*b->stages));
  b->env.stages = xzalloc ((b->plan->n_stages + 1) * sizeof (*b->env.stages));
  number_stages (b);
  return 0;
}

int
cc_builder_build (const struct cc_build_request *req, char **image_id, cc_error_t *err)
{
  struct build b = { .req = req };
  cleanup_free char *id = NULL;
  cc_error_t end_err = NULL;
  struct sigaction old[CC_N_ELEMENTS (stop_signals)];
  int ret;

  catch_signals (old);
  b.env.req = req;
  b.progress = (struct cc_bld_progress){ progress_mode (req->progress), stderr, cc_bld_now_ms () };
  b.env.progress = &b.progress;
  ret = prepare (&b, err);
  if (ret == 0)
    clean_stale_builds ();
  if (ret == 0)
    ret = build_stages (&b, err);
  if (ret == 0)
    ret = store_image (&b, &id, err);
  if (ret == 0 && req->iidfile && cc_write_file_atomic (req->iidfile, id, strlen (id), 0644, err) < 0)
    ret = -1;
  if (b.env.record && cc_bld_record_end (b.env.record, &end_err) < 0)
    {
      if (ret == 0)
        {
          *err = end_err;
          ret = -1;
        }
      else
        cc_error_release (&end_err);
    }
  build_release (&b);
  release_signals (old);
  if (ret == 0 && image_id)
    *image_id = steal_pointer (&id);
  return ret;
}
