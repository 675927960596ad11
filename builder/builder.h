/* The Dockerfile builder (issue 13): everything pure, the frontend.

   Reference: the stable `docker/dockerfile` frontend 1.7 (BuildKit
   v0.13, built into Docker 26), without its labs features.  Dockerfiles
   valid under the frontend of Docker 20.10 (1.2) mean the same here;
   where later versions differ, 1.7 is followed, except where 1.7 would
   crash (`${V#}`), silently drop an option (`--chmod=u+x`) or needs the
   network (git sources, custom frontends): those are errors here.
   Heredocs are on without a `# syntax` line (as in Docker 23+), off under
   `# syntax=docker/dockerfile:1.0`..`1.3`.

   The executor (containers, layers, the cache store, image output) works
   on top of this in four steps, none of which starts anything:

     1. cc_dockerfile_parse: bytes -> typed syntax tree, every syntax error
        as `Dockerfile:LINE:COL: message` with the line shown;
     2. cc_builder_plan_new: tree + build args + --target -> the stages the
        target needs, with their dependencies, levels for parallel builds,
        and the external images to pull (`FROM`, `COPY --from=image`,
        `RUN --mount from=image`);
     3. cc_builder_evaluate: plan + the config of each base image -> per
        stage the list of filesystem steps (RUN, COPY, ADD, WORKDIR) with
        every variable substituted and every flag typed, and the final
        image config with BuildKit's history entries.  All remaining
        Dockerfile errors (substitution, ports, signals, mounts, ONBUILD
        triggers of base images) surface here, before any container runs;
     4. per step, cc_builder_cache_key: sha256 over the parent key, the
        step after substitution and the content digests of what it reads
        (supplied by the executor), so a step is reused exactly when
        BuildKit would reuse it.

   .dockerignore matching (cc_dockerignore_*) follows moby/patternmatcher
   as fsutil applies it while walking a context.  */
#ifndef CC_BUILDER_BUILDER_H
#define CC_BUILDER_BUILDER_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/request.h"
#include "lib/error.h"
#include "lib/finding.h"

/* ==== 1. parsing (dockerfile.c, instructions.c) ======================== */

/* Caps on what is parsed: BuildKit's line limit (bufio.Scanner's 64 KiB
   token), and a whole-file cap so a stray huge file fails clearly.  */
#define CC_DOCKERFILE_LINE_MAX 65535
#define CC_DOCKERFILE_MAX ((size_t)32 << 20)

enum cc_df_kind
{
  CC_DF_FROM,
  CC_DF_ARG,
  CC_DF_ENV,
  CC_DF_LABEL,
  CC_DF_MAINTAINER,
  CC_DF_RUN,
  CC_DF_COPY,
  CC_DF_ADD,
  CC_DF_WORKDIR,
  CC_DF_USER,
  CC_DF_EXPOSE,
  CC_DF_VOLUME,
  CC_DF_CMD,
  CC_DF_ENTRYPOINT,
  CC_DF_HEALTHCHECK,
  CC_DF_STOPSIGNAL,
  CC_DF_SHELL,
  CC_DF_ONBUILD,
};

/* "RUN", "COPY", ...  */
const char *cc_dockerfile_kind_name (enum cc_df_kind kind);

/* `<<EOF` ... `EOF`.  */
struct cc_df_heredoc
{
  char *name;    /* the delimiter word, quotes removed */
  char *content; /* the lines in between, each with its newline */
  bool expand;   /* unquoted delimiter: COPY expands variables in it */
  bool chomp;    /* `<<-`: leading tabs are stripped where it is used */
  unsigned fd;   /* `3<<EOF`: 3 (RUN hands it to the shell) */
};

/* ENV, LABEL (value always set) and ARG (value optional) pairs, as
   written: quotes and variables are processed at evaluation.  */
struct cc_df_kv
{
  char *key;
  char *value; /* NULL: `ARG NAME` without a default */
};

/* HEALTHCHECK, as Docker's image config holds it.  */
struct cc_builder_health
{
  char **test; /* ["NONE"], ["CMD", argv...] or ["CMD-SHELL", "command"] */
  int64_t interval_ns;
  int64_t timeout_ns;
  int64_t start_period_ns;
  int64_t start_interval_ns;
  int retries;
};

struct cc_dockerfile;

/* One instruction.  ARGS depends on KIND:
     FROM         [image, "AS", name] or [image] (raw words)
     RUN/CMD/ENTRYPOINT/SHELL  JSON: the array; shell form: one string
     COPY/ADD     sources..., destination (JSON array or whitespace words;
                  a `<<NAME` source refers to HEREDOCS)
     EXPOSE/VOLUME  the words
     WORKDIR/USER/STOPSIGNAL/MAINTAINER  one string (the rest of the line)
     HEALTHCHECK  [type, command...] (type CMD or NONE; command as RUN)
     ONBUILD      [trigger keyword, trigger args...]
     ENV/LABEL/ARG  none: see KV.
   Every string is as written: variables are substituted at evaluation,
   in the instructions BuildKit substitutes them in.  */
struct cc_df_instr
{
  enum cc_df_kind kind;
  const struct cc_dockerfile *file; /* for messages */
  char *keyword;                    /* as written: "run", "Run" */
  int line, col;                    /* where the keyword is (1-based) */
  int end_line;                     /* last line, heredocs included */
  char *original;                   /* the joined line: BuildKit's node.Original */
  bool json;                        /* exec (JSON array) form */
  bool unknown;                     /* an unknown keyword (only inside ONBUILD) */
  char **args;
  struct cc_df_kv *kv;
  size_t n_kv;
  struct cc_df_heredoc *heredocs;
  size_t n_heredocs;

  char **flags;    /* every `--flag=value` as written, before the arguments */
  int *flag_lines; /* where each one is */
  int *flag_cols;

  /* Flags, NULL or false when absent; values as written.  */
  char *flag_from;                  /* COPY --from= */
  char *flag_chown;                 /* COPY/ADD --chown= */
  char *flag_chmod;                 /* COPY/ADD --chmod= (octal) */
  bool flag_link;                   /* COPY/ADD --link */
  char *flag_checksum;              /* ADD --checksum= */
  bool flag_keep_git_dir;           /* ADD --keep-git-dir (for git sources: refused) */
  char *flag_network;               /* RUN --network= (default, none, host) */
  char **flag_mounts;               /* RUN --mount= (raw; typed at evaluation) */
  char *flag_platform;              /* FROM --platform= */
  struct cc_builder_health *health; /* HEALTHCHECK */
  char *onbuild;                    /* ONBUILD: the trigger as the image stores it */
  struct cc_df_instr *trigger;      /* ONBUILD: the trigger, parsed but not checked
                                       (BuildKit checks it when an image builds FROM
                                       this one) */
};

struct cc_df_stage
{
  struct cc_df_instr *from;
  char *base;     /* image or stage, as written (`$VAR` allowed) */
  char *name;     /* `AS name`, lower-cased, or NULL */
  char *platform; /* --platform, as written, or NULL */
  struct cc_df_instr **instrs;
  size_t n_instrs;
};

struct cc_dockerfile
{
  char *name; /* "Dockerfile": the prefix of every message */
  char *text; /* a copy of the source, to quote lines in messages */
  size_t len;
  char escape;  /* `\` or the `# escape=` one */
  char *syntax; /* the `# syntax=` value, or NULL */
  bool heredocs;
  struct cc_df_instr **meta_args; /* ARG instructions before the first FROM */
  size_t n_meta_args;
  struct cc_df_stage *stages;
  size_t n_stages;
  char **warnings; /* "Dockerfile:7: empty continuation line ..." */
  /* Every instruction, in order (owner of the ones above).  */
  struct cc_df_instr **all;
  size_t n_all;
};

/* Parse TEXT (LEN bytes; NUL bytes are refused).  NAME prefixes every
   message ("Dockerfile", or the path the user gave).  */
int cc_dockerfile_parse (const char *name, const char *text, size_t len, struct cc_dockerfile **out, cc_error_t *err);
void cc_dockerfile_free (struct cc_dockerfile *df);

static inline void
cleanup_dockerfile_fn (struct cc_dockerfile **df)
{
  if (*df)
    cc_dockerfile_free (*df);
}
#define cleanup_dockerfile __attribute__ ((cleanup (cleanup_dockerfile_fn)))

/* ==== .dockerignore (ignore.c, match.c) ================================ */

/* Go's filepath.Match: `*`, `?`, `[...]`, `[^...]`, `\` escapes; a bad
   pattern fails (ErrBadPattern) even where matching stopped early.  What
   COPY and ADD sources with wildcards are matched with, one path element
   at a time.  */
int cc_builder_path_match (const char *pattern, const char *name, bool *matched, cc_error_t *err);
/* Whether PATH has `*`, `?` or `[` (not escaped): BuildKit's test for a
   source with wildcards.  */
bool cc_builder_has_wildcards (const char *path);

struct cc_dockerignore;

/* Parse a .dockerignore (moby/patternmatcher's ignorefile rules: `#` at
   the start of a line is a comment, patterns are trimmed and cleaned,
   `!` re-includes).  NAME names it in messages.  */
int cc_dockerignore_parse (const char *name, const char *text, size_t len, struct cc_dockerignore **out,
                           cc_error_t *err);
void cc_dockerignore_free (struct cc_dockerignore *ig);
size_t cc_dockerignore_count (const struct cc_dockerignore *ig);

static inline void
cleanup_dockerignore_fn (struct cc_dockerignore **ig)
{
  if (*ig)
    cc_dockerignore_free (*ig);
}
#define cleanup_dockerignore __attribute__ ((cleanup (cleanup_dockerignore_fn)))

/* What a walker keeps per directory: which patterns matched it, passed
   down to its entries (patternmatcher's MatchInfo).  The root's state is
   the zero value.  */
struct cc_dockerignore_state
{
  bool *matched; /* one per pattern, NULL at the root */
};
void cc_dockerignore_state_release (struct cc_dockerignore_state *st);

/* While walking a context top-down: whether PATH (relative, `/`
   separated, no `./`), whose parent directory's state is PARENT, is
   excluded; *STATE (may be NULL) gets PATH's own state for its entries
   when PATH is a directory.  */
int cc_dockerignore_walk (const struct cc_dockerignore *ig, const char *path,
                          const struct cc_dockerignore_state *parent, bool *excluded,
                          struct cc_dockerignore_state *state, cc_error_t *err);
/* For an excluded directory: whether the walker may skip it whole, that
   is no `!` exception could re-include anything under it (fsutil's rule:
   only when every exception is a plain path prefix).  */
bool cc_dockerignore_can_skip_dir (const struct cc_dockerignore *ig, const char *dir);
/* The same verdict for one PATH, computed from the root down.  */
int cc_dockerignore_excludes (const struct cc_dockerignore *ig, const char *path, bool *excluded, cc_error_t *err);

/* Where the ignore file of a build is: `<Dockerfile>.dockerignore` next
   to the Dockerfile wins over `<context>/.dockerignore`.  The candidates,
   in that order, to try until one exists.  */
char **cc_dockerignore_candidates (const char *dockerfile_path, const char *context_dir);

/* ==== 2. the stage graph (stages.c) ==================================== */

struct cc_builder_opts
{
  const char *target; /* --target, NULL: the last stage */
  /* "KEY=VALUE", NULL-terminated, may be NULL.  The caller resolves
     `--build-arg KEY` from its environment first, as the docker CLI
     does (a KEY alone here is an empty value).  */
  char *const *build_args;
  const char *platform; /* NULL: the host's ("linux/amd64") */
};

enum cc_builder_base
{
  CC_BASE_SCRATCH,
  CC_BASE_IMAGE,
  CC_BASE_STAGE,
};

struct cc_builder_stage
{
  size_t index; /* in the Dockerfile */
  const struct cc_df_stage *df;
  char *name; /* "builder", or "stage-N" without AS */
  enum cc_builder_base base_kind;
  char *base_image;  /* IMAGE: the normalized reference */
  size_t base_stage; /* STAGE: its index */
  size_t *deps;      /* stages it reads: base, COPY --from, RUN --mount from */
  size_t n_deps;
  bool needed; /* the target needs it */
  int level;   /* needed stages: 0 reads no stage; N reads only stages below N */
};

struct cc_builder_plan
{
  const struct cc_dockerfile *df;
  struct cc_builder_stage *stages; /* every stage of the file */
  size_t n_stages;
  size_t target;
  size_t *order; /* needed stages, by level then by index: a valid build order */
  size_t n_order;
  int n_levels;   /* stages of one level can be built in parallel */
  char **images;  /* external images the needed stages read, normalized, each once */
  char *platform; /* os/arch[/variant] */
  char **build_args;
  /* The automatic platform ARGs (BUILDPLATFORM, TARGETARCH...), then the
     global ARGs before the first FROM: KEY=VALUE after substitution, or
     KEY for one declared without a value.  */
  char **meta_args;
};

int cc_builder_plan_new (const struct cc_dockerfile *df, const struct cc_builder_opts *opts,
                         struct cc_builder_plan **out, cc_error_t *err);
void cc_builder_plan_free (struct cc_builder_plan *plan);

static inline void
cleanup_builder_plan_fn (struct cc_builder_plan **p)
{
  if (*p)
    cc_builder_plan_free (*p);
}
#define cleanup_builder_plan __attribute__ ((cleanup (cleanup_builder_plan_fn)))

/* The host platform as BuildKit names it: linux/amd64, linux/arm64,
   linux/arm/v7...  */
char *cc_builder_host_platform (void);

/* SPEC as BuildKit normalizes it ("linux/x86_64" is "linux/amd64"); NULL
   with *WHY set when it names no platform.  */
char *cc_builder_normalize_platform (const char *spec, char **why);

/* ==== image configs (config.c) ========================================= */

struct cc_builder_history
{
  char *created;    /* RFC 3339 or NULL (the executor stamps new entries) */
  char *created_by; /* "RUN /bin/sh -c make # buildkit" */
  char *author;
  char *comment; /* "buildkit.dockerfile.v0" */
  bool empty_layer;
};

struct cc_builder_label
{
  char *key;
  char *value;
};

/* A Docker image config as BuildKit reads and writes it
   (docker-image-spec's DockerOCIImage): fields BuildKit does not know are
   not kept, as BuildKit does not keep them.  */
struct cc_builder_image
{
  char *created;
  char *author;
  char *architecture;
  char *os;
  char *os_version;
  char *variant;
  /* config */
  char *user;
  char **exposed_ports; /* "80/tcp", sorted, each once */
  char **env;           /* KEY=VALUE */
  char **entrypoint;
  char **cmd;
  char **volumes; /* sorted, each once */
  char *working_dir;
  struct cc_builder_label *labels; /* sorted by key, each key once */
  size_t n_labels;
  char *stop_signal;
  bool args_escaped;
  struct cc_builder_health *healthcheck;
  char **onbuild;
  char **shell;
  /* rootfs and history */
  char **diff_ids;
  struct cc_builder_history *history;
  size_t n_history;
};

int cc_builder_image_parse (const char *json, size_t len, struct cc_builder_image **out, cc_error_t *err);
/* What `FROM scratch` starts from: PLATFORM ("linux/amd64"), WorkingDir
   "/", PATH set.  */
struct cc_builder_image *cc_builder_image_scratch (const char *platform);
struct cc_builder_image *cc_builder_image_dup (const struct cc_builder_image *img);
/* The config JSON to store (keys and order as BuildKit writes them).  */
cJSON *cc_builder_image_to_json (const struct cc_builder_image *img);
void cc_builder_image_free (struct cc_builder_image *img);

static inline void
cleanup_builder_image_fn (struct cc_builder_image **i)
{
  if (*i)
    cc_builder_image_free (*i);
}
#define cleanup_builder_image __attribute__ ((cleanup (cleanup_builder_image_fn)))

/* ==== 3. evaluation (eval.c, mount.c) ================================== */

enum cc_builder_step_kind
{
  CC_STEP_RUN,
  CC_STEP_COPY,
  CC_STEP_ADD,
  CC_STEP_WORKDIR, /* create the working directory (owned by USER) */
};

enum cc_builder_mount_type
{
  CC_MOUNT_BIND,
  CC_MOUNT_CACHE,
  CC_MOUNT_TMPFS,
  CC_MOUNT_SECRET,
  CC_MOUNT_SSH,
};

enum cc_builder_sharing
{
  CC_SHARING_SHARED,
  CC_SHARING_PRIVATE,
  CC_SHARING_LOCKED,
};

/* RUN --mount after substitution, with BuildKit's defaults applied:
   bind mounts the build context read-only unless `from` names a stage or
   an image (`rw` keeps writes out of the result: BuildKit drops them);
   cache defaults to an empty read-write directory shared under the id
   (default: the target as written, cleaned), created with MODE/UID/GID
   when given; tmpfs is empty; secret defaults to id = source, id or the
   target's base name, target /run/secrets/<id>, mode 0400, optional
   unless `required`; ssh to id "default", target
   /run/buildkit/ssh_agent.<N>, mode 0600.  */
struct cc_builder_mount
{
  enum cc_builder_mount_type type;
  char *target;      /* absolute (relative ones joined to the workdir) */
  char *source;      /* bind/cache: the path in what is mounted, "/"-rooted */
  long from_stage;   /* bind/cache: the stage mounted, or -1 */
  char *from_image;  /* bind/cache: the image mounted (normalized), or NULL */
  bool from_context; /* bind without from: the build context */
  bool readonly;
  char *id; /* cache: the cache id; secret/ssh: the secret id */
  enum cc_builder_sharing sharing;
  int64_t size;  /* tmpfs: bytes, 0 = no limit */
  bool required; /* secret/ssh: fail when missing */
  bool has_mode, has_uid, has_gid;
  uint32_t mode, uid, gid;
};

enum cc_builder_source_kind
{
  /* A path in the build context.  Wildcards (cc_builder_has_wildcards)
     expand one element at a time with cc_builder_path_match; a directory
     copies its contents; ADD unpacks a local tar archive (BuildKit's
     AttemptUnpack: the executor extracts it with image/'s safe layer
     extraction).  */
  CC_SRC_CONTEXT,
  CC_SRC_STAGE,   /* COPY --from=stage: a path in that stage's result, as CONTEXT */
  CC_SRC_IMAGE,   /* COPY --from=image: a path in that image, as CONTEXT */
  CC_SRC_URL,     /* ADD http(s)://...: fetched (libcurl), never unpacked */
  CC_SRC_HEREDOC, /* COPY <<EOF: a file FILENAME of CONTENT, mode 0644 */
};

struct cc_builder_source
{
  enum cc_builder_source_kind kind;
  char *path;     /* CONTEXT/STAGE/IMAGE: "/"-rooted, cleaned; URL: as written */
  char *filename; /* URL: the file name it gets; HEREDOC: its name */
  char *content;  /* HEREDOC: the text (substituted when unquoted, tabs chomped for <<-) */
};

/* A file RUN needs besides its mounts: a heredoc starting with `#!` is
   run as a script, mounted read-only at PATH.  */
struct cc_builder_file
{
  char *path; /* "/dev/pipes/EOF" */
  char *content;
  uint32_t mode;
};

/* One step that changes the filesystem.  Metadata instructions (ENV,
   LABEL, CMD...) have no step: their effect is in the stage's image.  */
struct cc_builder_step
{
  enum cc_builder_step_kind kind;
  const struct cc_df_instr *instr; /* where it comes from (for an ONBUILD trigger of the
                                      base: the stage's FROM) */
  char *display;                   /* "RUN echo hi": the instruction after substitution, for progress */
  size_t history;                  /* its entry in the stage image's history */
  char **env;                      /* the environment it runs in: image ENV and ARG values, KEY=VALUE */
  char *workdir;                   /* absolute */
  char *user;                      /* USER, or "" (root) */

  /* RUN */
  char **argv;      /* the command; a shell form wrapped in SHELL (/bin/sh -c) */
  char **proxy_env; /* HTTP_PROXY & co. from the build args: not in the cache key */
  char *network;    /* "default", "none" or "host" */
  struct cc_builder_mount *mounts;
  size_t n_mounts;
  struct cc_builder_file *files;
  size_t n_files;

  /* COPY / ADD */
  struct cc_builder_source *sources;
  size_t n_sources;
  char *dest;  /* absolute; ends with `/` when it names a directory */
  char *chown; /* --chown after substitution, or NULL */
  bool has_chmod;
  uint32_t chmod;
  bool link;
  long from_stage;  /* COPY --from=stage: its index, or -1 */
  char *from_image; /* COPY --from=image: normalized reference, or NULL */
  char *checksum;   /* ADD --checksum=sha256:... of the one URL source */

  /* WORKDIR: DEST is the directory to create.  */
};

struct cc_builder_stage_result
{
  size_t stage; /* index in plan->stages */
  struct cc_builder_step *steps;
  size_t n_steps;
  struct cc_builder_image *image; /* the config after its last instruction */
  char **env;                     /* the environment its instructions ended with */
};

struct cc_builder_result
{
  struct cc_builder_stage_result *stages; /* the needed stages, in Dockerfile order */
  size_t n_stages;
  /* Build args no ARG in scope declared.  BuildKit ignores them without
     a word (Docker's classic builder warned): the caller decides.  */
  char **unused_build_args;
};

/* The config of image REF (a plan->images entry used as a FROM base): a
   new image the evaluation takes over.  */
typedef int (*cc_builder_image_fn) (void *opaque, const char *ref, struct cc_builder_image **out, cc_error_t *err);

/* Evaluate every needed stage of PLAN, in Dockerfile order (as BuildKit
   dispatches them: the first error in the file is the one reported).
   IMAGE_CONFIG is called once per stage whose base is an image.  */
int cc_builder_evaluate (const struct cc_builder_plan *plan, cc_builder_image_fn image_config, void *opaque,
                         struct cc_builder_result **out, cc_error_t *err);
void cc_builder_result_free (struct cc_builder_result *res);
/* The result of stage INDEX (plan->stages index), or NULL.  */
const struct cc_builder_stage_result *cc_builder_result_stage (const struct cc_builder_result *res, size_t index);

static inline void
cleanup_builder_result_fn (struct cc_builder_result **r)
{
  if (*r)
    cc_builder_result_free (*r);
}
#define cleanup_builder_result __attribute__ ((cleanup (cleanup_builder_result_fn)))

/* ==== 4. cache keys (cachekey.c) ======================================= */

/* What a step reads, as the executor measured it: for a COPY/ADD source,
   the digest of its content after wildcard expansion and .dockerignore
   (names, modes, owners, link targets and file bytes; never times); for
   `--from=stage` or a mount of a stage, that stage's result key; for an
   image, its id.  */
struct cc_builder_input
{
  const char *name;   /* what it is: the source path, "stage:1", ... */
  const char *digest; /* "sha256:..." */
};

/* "sha256:<hex>" over PARENT (the previous step's key, or the base
   image's id / base stage's key for the first step), the step after
   substitution (for RUN its environment too, hence the ARG values it can
   see; never the proxy variables) and INPUTS in order.  */
char *cc_builder_cache_key (const char *parent, const struct cc_builder_step *step,
                            const struct cc_builder_input *inputs, size_t n_inputs);

/* A digest of a file tree the executor walked: ENTRIES are lines it
   formats as it likes (one per file: path, mode, owner, link target,
   content digest), sorted here so walk order does not matter.  */
char *cc_builder_tree_digest (char *const *entries, size_t n);

/* ==== 5. the executor (build.c and the files it names) ================= */

/* `ccompose image build` and, later, compose's `build:` call this one
   entry point.  It parses, plans and evaluates as above (so a Dockerfile
   error never starts anything), resolves the base images in the store
   (pulling a missing one, or every one with PULL), then builds the
   needed stages level by level, the stages of one level in parallel
   (forked, at most PARALLEL at a time), each step either reused from
   the cache or executed:

   - RUN in a container of runtime/ over an overlay of the stage's
     layers, with Docker's default capabilities and seccomp filter, its
     hostname `buildkitsandbox`, `--mount`s (bind, cache, tmpfs, secret;
     ssh is refused), and a network namespace of its own: `none` only
     loopback, `default` a temporary bridge network of network/ with
     outbound NAT (made on the first RUN that needs it, removed when the
     build ends), `host` only with ALLOW_HOST_NETWORK (BuildKit's
     network.host entitlement).  Its upper directory becomes the layer;
     mount points the runtime had to create are removed again, as
     BuildKit's mount stub cleaner does;
   - COPY, ADD and WORKDIR in a forked process of our own, in a private
     mount namespace, writing through an overlay of the stage's layers
     (every path resolved inside the root: a symlink in the context or in
     the image never leads out);
   - every layer a deterministic uncompressed tar (layer.c says how), its
     tree renamed into the store, no extraction.

   The image goes into the store with BuildKit's config (history with
   `# buildkit` and empty_layer), an OCI manifest (application/vnd.oci.
   image.manifest.v1+json) whose config is application/vnd.oci.image.
   config.v1+json and whose layers are application/vnd.oci.image.layer.
   v1.tar (uncompressed: digest = diff id).  Times: SOURCE_DATE_EPOCH when
   set; else every file time in a new layer is 0 and the image's created
   time is that of its newest step (kept in the cache record), so a
   fully cached rebuild gives the same image id, as BuildKit's does.

   Cache records live under cc_data_dir()/builder/cache/, one per step
   key (cc_builder_cache_key), naming the layer the step made; the layer
   is held in the store (image.h's holds) until `builder prune`.

   Crash safety: every container, pin, network and scratch directory of
   a build is recorded in cc_data_dir()/builder/builds/<id>/ before it
   exists, with the builder's pid and start time; a record whose process
   is dead is residue that cc_builder_residue (and so `system check
   --fix`) removes, as does the next build.  */

/* Build; *IMAGE_ID (may be NULL) gets the image id.  Progress goes to
   stderr.  */
int cc_builder_build (const struct cc_build_request *req, char **image_id, cc_error_t *err);

/* `builder prune`: forget every cache record (ALL) or those of layers no
   image uses, then sweep the store; *RECLAIMED gets the bytes freed.  */
int cc_builder_prune (bool all, int64_t *reclaimed, cc_error_t *err);

/* `system check`'s scanner (lib/finding.h): builds of this data root
   whose process is dead (their containers, network, pins and scratch
   directories), removed when S->fix.  */
void cc_builder_residue (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors);
/* What live builds own (appended to *CONTAINERS and *PROJECTS), so the
   check does not judge those.  */
void cc_builder_claims (char ***containers, char ***projects);

/* ---- commit (layer.c) ---------------------------------------------------- */

/* The OCI layer tar of the overlay upper directory DIRFD, a container's
   (`commit`): nothing in it is followed, opened but regular files, or
   changed; times are the files'.  What the runtime made for the mount
   points MADE (absolute paths in the container, may be NULL) is left
   out, as Docker's init layer is.  It fails when the tar would outgrow
   the free space of OUT_FD's filesystem.  */
int cc_builder_tar_upper (int dirfd, int out_fd, char *const *made, char **diff_id, size_t *entries, cc_error_t *err);

#endif
