/* Shared between the executor's files (build.c, context.c, cache.c,
   layer.c, fsop.c, run.c, record.c, progress.c, netw.c); the frontend's
   helpers are in internal.h.  */
#ifndef CC_BUILDER_EXEC_H
#define CC_BUILDER_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "builder/internal.h"

/* ---- sha256 (hash.c) ---------------------------------------------------- */

struct cc_bld_hash;
struct cc_bld_hash *cc_bld_hash_new (void);
void cc_bld_hash_update (struct cc_bld_hash *h, const void *data, size_t len);
/* "sha256:<hex>"; frees H.  */
char *cc_bld_hash_final (struct cc_bld_hash *h);
void cc_bld_hash_free (struct cc_bld_hash *h);
char *cc_bld_hash_data (const void *data, size_t len);
/* The sha256 of the file FD from its current offset to its end.  */
int cc_bld_hash_fd (int fd, char **out, cc_error_t *err);

/* ---- interruption (build.c) ------------------------------------------------- */

/* SIGINT, SIGTERM or SIGHUP arrived: the build stops at its next step
   (a running RUN's container is killed) and removes what it made.  */
bool cc_bld_interrupted (void);

/* ---- the build context (context.c) --------------------------------------- */

struct cc_bld_context;

/* Open DIR as a build context with its .dockerignore (IGNORE, may be
   NULL) and the stat cache remembered for DIR under the data root.  */
int cc_bld_context_open (const char *dir, struct cc_dockerignore *ignore, struct cc_bld_context **out, cc_error_t *err);
/* Save the stat cache when it changed, and free.  */
void cc_bld_context_close (struct cc_bld_context *c);
int cc_bld_context_fd (const struct cc_bld_context *c);
const char *cc_bld_context_dir (const struct cc_bld_context *c);
const struct cc_dockerignore *cc_bld_context_ignore (const struct cc_bld_context *c);

/* The digest of what a COPY/ADD source PATTERN ("/"-rooted, wildcards
   allowed) names in the context after .dockerignore: names, types,
   modes, link targets and file contents (read only when the stat cache
   has no entry whose dev, inode, size, mtime and ctime all match).  A
   pattern that names nothing fails (ENOENT).  */
int cc_bld_context_digest (struct cc_bld_context *c, const char *pattern, char **digest, cc_error_t *err);

/* What a source pattern expands to, relative paths from the context
   root ("" is the root itself), after wildcards and .dockerignore.
   Symlinks in the pattern's directories resolve inside ROOTFD (a
   context or a stage's root): nothing outside can be named.  */
int cc_bld_expand (int rootfd, const struct cc_dockerignore *ignore, const char *pattern, char ***out, cc_error_t *err);
/* Whether PATH (relative) is excluded by IGNORE.  */
bool cc_bld_ignored (const struct cc_dockerignore *ignore, const char *path);
/* The .dockerignore state of PATH (relative), computed from the root
   down, for a walk that starts there.  */
int cc_bld_ignore_state (const struct cc_dockerignore *ig, const char *path, struct cc_dockerignore_state *out,
                         cc_error_t *err);
/* openat2 (ROOTFD, PATH, RESOLVE_IN_ROOT).  */
int cc_bld_open_in_root (int rootfd, const char *path, int flags);

/* ---- the cache (cache.c) --------------------------------------------------- */

struct cc_bld_cache_record
{
  char *layer;   /* diff id, or NULL for a step that changed nothing */
  char *created; /* RFC 3339: when the step ran */
};
void cc_bld_cache_record_release (struct cc_bld_cache_record *r);
/* 1 with *OUT filled when KEY has a record whose layer is in the store,
   0 when not.  */
int cc_bld_cache_lookup (const char *key, struct cc_bld_cache_record *out);
int cc_bld_cache_store (const char *key, const struct cc_bld_cache_record *r, cc_error_t *err);
/* The hold name of KEY's layer ("bc-<hex>").  */
char *cc_bld_cache_hold_name (const char *key);

/* ---- layers (layer.c) ------------------------------------------------------- */

/* Write the deterministic tar of TREE to OUT_FD (every time in TREE set
   to EPOCH on the way); *DIFF_ID its sha256, *SIZE the bytes of its
   files, *ENTRIES how many entries it has.  */
int cc_bld_tar_tree (const char *tree, int out_fd, int64_t epoch, char **diff_id, int64_t *size, size_t *entries,
                     cc_error_t *err);
/* DIR/diff (overlay format) becomes a layer of the store, held by HOLD
   from before it is published (an empty tree too: BuildKit keeps empty
   layers).  */
int cc_bld_layer_commit (const char *dir, int64_t epoch, const char *hold, char **diff_id, cc_error_t *err);

/* ---- build records (record.c): what a build owns, recorded first ---------- */

struct cc_bld_record;

/* A new record under cc_data_dir()/builder/builds/<id>/ (its directory
   is the build's scratch space) naming this process.  */
int cc_bld_record_begin (struct cc_bld_record **out, cc_error_t *err);
const char *cc_bld_record_id (const struct cc_bld_record *r);
const char *cc_bld_record_dir (const struct cc_bld_record *r);
/* Record a container ID (before it is created), a pin owner (before the
   pin), the build network's project (before it exists).  */
int cc_bld_record_add (struct cc_bld_record *r, const char *kind, const char *value, cc_error_t *err);
/* Remove everything recorded, then the record.  */
int cc_bld_record_end (struct cc_bld_record *r, cc_error_t *err);

/* ---- progress (progress.c) -------------------------------------------------- */

enum cc_bld_progress_mode
{
  CC_PROGRESS_PLAIN,
  CC_PROGRESS_TTY,
  CC_PROGRESS_QUIET,
};

struct cc_bld_progress
{
  enum cc_bld_progress_mode mode;
  FILE *out;
  int64_t start_ms;
};

struct cc_bld_vertex
{
  struct cc_bld_progress *p;
  int number;
  char *name; /* "[web 2/5] RUN make" */
  int64_t start_ms;
  /* The last lines of output, for the error of a failed RUN.  */
  char *tail[10];
  size_t n_tail, next_tail;
  struct cc_buf partial;
};

int64_t cc_bld_now_ms (void);
void cc_bld_vertex_start (struct cc_bld_vertex *v, struct cc_bld_progress *p, int number, const char *name);
void cc_bld_vertex_cached (struct cc_bld_vertex *v);
void cc_bld_vertex_output (struct cc_bld_vertex *v, const char *data, size_t len);
void cc_bld_vertex_done (struct cc_bld_vertex *v);
void cc_bld_vertex_error (struct cc_bld_vertex *v, const char *msg);
/* The last lines of output, joined.  */
char *cc_bld_vertex_tail (struct cc_bld_vertex *v);
void cc_bld_vertex_release (struct cc_bld_vertex *v);
void cc_bld_progress_line (struct cc_bld_progress *p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* ---- steps (fsop.c, run.c) ---------------------------------------------------- */

/* A stage as far as it is built: its layers, bottom first.  */
struct cc_bld_state
{
  char *key;       /* cache key of the last step (or the base's) */
  char **diff_ids; /* bottom first */
  char *created;   /* the latest step time, or NULL */
};

/* Everything a step of one build may need.  */
struct cc_bld_env
{
  const struct cc_build_request *req;
  struct cc_bld_record *record;
  struct cc_bld_context *context;
  struct cc_bld_progress *progress;
  int64_t epoch;
  char *empty_dir; /* an empty lower directory for a stage without layers */
  /* Results of the stages built so far (plan index), for --from.  */
  struct cc_bld_state **stages;
  /* Images read by COPY --from and mounts: reference -> layers.  */
  char **image_refs;
  struct cc_bld_state **images;
  size_t n_images;
  /* --build-context NAME=DIR: the normalized reference of NAME, and DIR
     opened as a context (COPY --from=NAME reads it).  */
  char **named_refs;
  struct cc_bld_context **named;
  size_t n_named;
  /* The build network, made on first need.  */
  char *net_project;
  int counter; /* for unique names */
};

/* The layer directories of STATE, top first (what overlay wants), or
   the empty directory.  */
char **cc_bld_lowers (const struct cc_bld_env *e, const struct cc_bld_state *state, cc_error_t *err);
const struct cc_bld_state *cc_bld_image_state (const struct cc_bld_env *e, const char *ref);
/* The --build-context named REF, or NULL.  */
struct cc_bld_context *cc_bld_named_context (const struct cc_bld_env *e, const char *ref);

/* COPY, ADD and WORKDIR: DIR/diff gets what the step writes over STATE.  */
int cc_bld_fsop (struct cc_bld_env *e, const struct cc_builder_step *step, const struct cc_bld_state *state,
                 const char *dir, char *const *downloads, cc_error_t *err);
/* Copy PATH out of STATE's tree (NULL: the context) into DEST, for a
   bind mount of a stage, or a `rw` one.  */
int cc_bld_extract_path (struct cc_bld_env *e, const struct cc_bld_state *state, const char *path, const char *dest,
                         cc_error_t *err);
/* RUN: in a container over STATE; DIR/diff gets its upper directory.  */
int cc_bld_run (struct cc_bld_env *e, const struct cc_builder_step *step, const struct cc_bld_state *state,
                const char *dir, struct cc_bld_vertex *v, cc_error_t *err);

/* The build network's namespace for container ID (made on first need):
 *PATH for the spec; detach with cc_bld_net_leave.  */
int cc_bld_net_join (struct cc_bld_env *e, const char *id, char **path, cc_error_t *err);
void cc_bld_net_leave (struct cc_bld_env *e, const char *id);

/* ADD <url>: the file, in DIR, named as the step says; its digest.  */
int cc_bld_download (const char *url, const char *dir, const char *filename, const char *checksum, char **path,
                     char **digest, cc_error_t *err);

/* Owners: "user[:group]" resolved in the tree at ROOTFD (its /etc/passwd
   and /etc/group), numbers as they are.  */
int cc_bld_resolve_owner (int rootfd, const char *spec, uid_t *uid, gid_t *gid, cc_error_t *err);

#endif
