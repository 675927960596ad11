/* The local image store (ARCHITECTURE.md, "Parts"): content-addressed blobs, layers
   unpacked once and shared, references, import of OCI layouts and
   docker-archive tarballs, garbage collection.

   On disk, under cc_data_dir()/images/:
     blobs/sha256/<hex>        manifests, configs, layer blobs
     layers/<diffid-hex>/diff  one unpacked layer (an overlay lowerdir)
     repositories.json         images (manifest digests) and references
     pins/<owner>              images in use by a container (GC keeps them)
     tmp/                      in-progress writes, renamed into place when whole
     lock                      shared by writers, exclusive for GC  */
#ifndef CC_IMAGE_IMAGE_H
#define CC_IMAGE_IMAGE_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"

/* ---- references ---------------------------------------------------- */

/* A parsed image reference, normalized like Docker:
   `redis` -> domain docker.io, path library/redis, tag latest.  */
struct cc_image_ref
{
  char *domain; /* docker.io, localhost:5000, ... */
  char *path;   /* library/redis */
  char *tag;    /* NULL when only a digest was given */
  char *digest; /* sha256:<64 hex>, or NULL */
};

int cc_image_ref_parse (const char *text, struct cc_image_ref *out, cc_error_t *err);
void cc_image_ref_release (struct cc_image_ref *ref);
/* docker.io/library/redis:7 (and @digest when there is one).  */
char *cc_image_ref_string (const struct cc_image_ref *ref);
/* docker.io/library/redis  */
char *cc_image_ref_name (const struct cc_image_ref *ref);
/* What Docker prints: redis, myorg/app, localhost:5000/app.  */
char *cc_image_ref_familiar_name (const struct cc_image_ref *ref);
/* Normalize TEXT in one step; NULL and *ERR set when invalid.  */
char *cc_image_ref_normalize (const char *text, cc_error_t *err);
bool cc_image_is_digest (const char *s); /* sha256:<64 lower-case hex> */

#define cleanup_image_ref __attribute__ ((cleanup (cc_image_ref_release)))

/* ---- image configuration ------------------------------------------- */

struct cc_image_healthcheck
{
  char **test;         /* ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"] */
  int64_t interval_ns; /* 0: inherit the default */
  int64_t timeout_ns;
  int64_t start_period_ns;
  int64_t start_interval_ns;
  int retries;
};

struct cc_image_config
{
  char **entrypoint;
  char **cmd;
  char **env; /* KEY=VALUE */
  char *working_dir;
  char *user;
  char **exposed_ports; /* "6379/tcp", sorted as in the config */
  char **volumes;       /* "/data" */
  char **labels;        /* "key=value" */
  char *stop_signal;
  struct cc_image_healthcheck *healthcheck; /* NULL: none in the image */
  char *architecture;
  char *os;
  char *created;
  char **diff_ids; /* rootfs.diff_ids, bottom layer first */
};

/* Parse an image config blob (JSON).  */
int cc_image_config_parse (const char *json, size_t len, struct cc_image_config *out, cc_error_t *err);
void cc_image_config_release (struct cc_image_config *cfg);

/* ---- resolved images ----------------------------------------------- */

struct cc_image
{
  char *id;              /* sha256:<hex> of the config blob */
  char *manifest_digest; /* sha256:<hex> */
  char *reference;       /* the normalized reference it was resolved from */
  char **repo_tags;      /* every reference that points at it */
  struct cc_image_config config;
  /* Unpacked layer directories, TOPMOST FIRST: join with ':' for
     overlayfs lowerdir.  A layer the image repeats is listed once, at
     its topmost place (resolve.c says why that is the same tree).  */
  char **layers;
  int64_t size; /* sum of the unpacked layer sizes, bytes */
  char *loaded; /* when it came into the store (RFC 3339) */
  char *pulled; /* when REFERENCE was last pulled (RFC 3339), NULL: never (cc_image_resolve only) */
};

void cc_image_free (struct cc_image *img);
static inline void
cleanup_image_fn (struct cc_image **img)
{
  if (*img)
    cc_image_free (*img);
}
#define cleanup_image __attribute__ ((cleanup (cleanup_image_fn)))

/* Find REF (a reference, name@digest, image id `sha256:...` or a unique
   id prefix of at least 4 hex digits) in the store.  An image not in the
   store fails with status ENOENT.  */
int cc_image_resolve (const char *ref, struct cc_image **out, cc_error_t *err);

/* Docker's `image inspect` document for REF (a subset).  */
int cc_image_inspect_json (const char *ref, cJSON **out, cc_error_t *err);
/* docker.io/library/redis:7 -> redis:7, as Docker prints references.  */
char *cc_image_familiar (const char *full);

/* Every image in the store, newest first.  */
int cc_image_list (struct cc_image ***out, size_t *n, cc_error_t *err);
void cc_image_list_free (struct cc_image **list, size_t n);

/* Keep IMAGE_ID's layers while OWNER (a container id: [A-Za-z0-9_.-]+)
   uses them, even after `image rm`; unpin when the container is
   removed.  Pinning the same owner again replaces its pin.  */
int cc_image_pin (const char *owner, const char *image_id, cc_error_t *err);
/* Resolve REF and pin it for OWNER in one step, so no GC can remove it in
   between: what a container should call before mounting the layers.  */
int cc_image_acquire (const char *ref, const char *owner, struct cc_image **out, cc_error_t *err);
/* Unpinning OWNER also drops its extra pins: the K-th is named
   cc_image_pin_owner_extra (OWNER, K), for the images a container
   mounts beside its own (compose `type: image`).  */
int cc_image_unpin (const char *owner, cc_error_t *err);
char *cc_image_pin_owner_extra (const char *owner, size_t k);

/* ---- import ---------------------------------------------------------- */

/* Called once per image a load brings in: REF is NULL for an untagged image.  */
typedef void (*cc_image_loaded_fn) (void *opaque, const char *ref, const char *image_id);

/* `image load -i PATH`: an OCI layout (directory or tarball) or a
   docker-archive tarball, with every reference it carries; PATH `-` reads
   a tarball from standard input.  */
int cc_image_load (const char *path, cc_image_loaded_fn cb, void *opaque, cc_error_t *err);
/* `image import ROOTFS.tar REF`: a single-layer image from a rootfs
   tarball (plain, gzip or zstd); *ID_OUT (may be NULL) gets its id.  */
int cc_image_import_rootfs (const char *tarball, const char *ref, char **id_out, cc_error_t *err);
/* `image import [--change INSTR]... [--message M] ROOTFS.tar [REF]`:
   the same with Dockerfile instructions applied to the config (those
   docker import takes: CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL,
   ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR) and MESSAGE as the history
   comment; TARBALL `-` is standard input, REF NULL leaves it untagged.  */
struct cc_image_import_opts
{
  char *const *changes; /* NULL-terminated, may be NULL */
  const char *message;  /* may be NULL */
};
int cc_image_import (const char *tarball, const char *ref, const struct cc_image_import_opts *opts, char **id_out,
                     cc_error_t *err);

/* ---- commit (commit.c) ------------------------------------------------ */

/* Writes the layer, an uncompressed OCI layer tar, to FD: *DIFF_ID its
   sha256, *ENTRIES how many entries it has (0: nothing changed).  */
typedef int (*cc_image_layer_fn) (void *opaque, int fd, char **diff_id, size_t *entries, cc_error_t *err);
struct cc_image_commit_opts
{
  const char *base;       /* the container's image (id) */
  char *const *changes;   /* Dockerfile instructions, may be NULL (no ONBUILD) */
  const char *author;     /* may be NULL */
  const char *message;    /* the history comment, may be NULL */
  const char *created_by; /* the container's command, as moby records it */
  const char *ref;        /* NAME[:TAG], NULL: untagged */
  /* The container's config (Docker's Config object), in place of the
     base's before the changes, as moby's daemon/commit.go takes it;
     NULL: the base's.  */
  const cJSON *config;
  cc_image_layer_fn write_layer;
  void *opaque;
};
/* `commit`: a new image, BASE (its config CONFIG when given) with the
   changes and the layer WRITE_LAYER writes (called once the changes are known to be valid); *ID_OUT its id.  */
int cc_image_commit (const struct cc_image_commit_opts *o, char **id_out, cc_error_t *err);

/* ---- save (save.c) ---------------------------------------------------- */

enum cc_image_save_format
{
  CC_IMAGE_SAVE_DOCKER, /* docker-archive and OCI layout in one, as Docker 25 */
  CC_IMAGE_SAVE_OCI,    /* OCI image layout, blobs as stored */
};

/* `image save IMAGE...`: a tarball of the images REFS name, written to
   OUT_FD as it is produced.  NAME:TAG saves that name, NAME every tag of
   the repository, an id the image without a name.  */
int cc_image_save (char *const *refs, enum cc_image_save_format format, int out_fd, cc_error_t *err);

/* ---- registry pull (pull.c, registry.c) ------------------------------- */

/* Pull REF (name[:tag][@digest]) from its registry (Docker Registry HTTP
   API v2) into the store and tag it (a digest-only REF stays untagged,
   found by name@digest); prints ` ✔ Image REF Pulled` on stderr unless
   QUIET.  docker.io goes to $CCOMPOSE_REGISTRY_MIRROR when set; plain
   http only for loopback registries and $CCOMPOSE_INSECURE_REGISTRIES
   (host[:port],...); credentials from the docker config.json `auths`.
   Nothing partial stays in the store.  */
int cc_image_pull (const char *ref, bool quiet, cc_error_t *err);
/* The same; *ID_OUT (may be NULL) gets the image id (config digest).  */
int cc_image_pull_id (const char *ref, bool quiet, char **id_out, cc_error_t *err);
/* Resolve REF (as cc_image_resolve) after pulling it as POLICY says: a
   compose `pull_policy` or `up --pull` value: "always" pulls first,
   "missing"/"if_not_present"/"refresh" (and NULL) only when it is not in
   the store, "daily", "weekly" and "every_<duration>" also when its last
   pull (or its arrival in the store, if later) is older than that,
   "never" and "build" never.  An unknown policy fails with EINVAL; an
   image absent under "never" fails with ENOENT as cc_image_resolve does.
   A due refresh that fails is an error even with the image in the store,
   as Docker Compose's `up` fails.  */
int cc_image_ensure (const char *ref, const char *policy, bool quiet, struct cc_image **out, cc_error_t *err);
/* Whether cc_image_ensure would pull REF under POLICY (what a dry run
   says); an unknown policy fails with EINVAL.  */
int cc_image_pull_due (const char *ref, const char *policy, bool *due, cc_error_t *err);

/* ---- registry push (push.c, registry.c) ------------------------------- */

/* Push REF (NAME[:TAG], in the store) to its registry: blobs it has are
   skipped, blobs this store got from another repository of that registry
   are mounted, the others uploaded (one PUT up to
   $CCOMPOSE_PUSH_CHUNK_SIZE bytes, 16 MiB by default, PATCH chunks
   above), then the manifest is put under TAG.  Never through
   $CCOMPOSE_REGISTRY_MIRROR; plain http and credentials as for a pull.
   Uncompressed layers go as their gzip copy, made once.  Prints progress
   on stderr and `TAG: digest: D size: N` on stdout unless QUIET;
   *DIGEST_OUT (may be NULL) gets the manifest digest.  */
int cc_image_push (const char *ref, bool quiet, char **digest_out, cc_error_t *err);

/* ---- references and garbage collection -------------------------------- */

int cc_image_tag (const char *src, const char *dst, cc_error_t *err);

/* Called for each reference dropped (untagged) and each image deleted.  */
typedef void (*cc_image_removed_fn) (void *opaque, const char *what, const char *value);

/* `image rm REF`: drop a reference (an id drops all of them: FORCE needed
   when there are several); the image goes when nothing refers to it and
   no container pins it (FORCE untags a pinned image, its layers stay).  */
int cc_image_remove (const char *ref, bool force, cc_image_removed_fn cb, void *opaque, cc_error_t *err);
/* `image prune`: remove untagged images (ALL: every image no container
   uses), then every blob and layer nothing refers to; *RECLAIMED gets
   the bytes freed.  */
int cc_image_prune (bool all, cc_image_removed_fn cb, void *opaque, int64_t *reclaimed, cc_error_t *err);

/* The residue check's scanner of the store (residue.c): files under tmp/
   that no running command is writing.  */
struct cc_residue_scope;
struct cc_findings;
void cc_image_residue (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors);

/* ---- layers (exposed for tests and the builder) ----------------------- */

enum cc_layer_flags
{
  CC_LAYER_WHITEOUTS = 1 << 0, /* convert .wh. entries for overlayfs */
  CC_LAYER_OWNERS = 1 << 1,    /* keep uid/gid (root) */
  CC_LAYER_DEVICES = 1 << 2,   /* create device nodes */
  CC_LAYER_ROOTFS = CC_LAYER_WHITEOUTS | CC_LAYER_OWNERS | CC_LAYER_DEVICES,
};

/* Extract the tar stream read from FD (plain, gzip or zstd) into the
   directory DIRFD, refusing `..`, absolute paths and writes through
   symlinks.  DIGEST / DIFF_ID (may be NULL) are checked against the
   sha256 of the bytes read and of the uncompressed tar; on return
   *DIFF_ID_OUT (may be NULL) has the latter and *SIZE_OUT (may be NULL)
   the bytes written.  */
int cc_layer_extract (int fd, int dirfd, int flags, const char *digest, const char *diff_id, char **diff_id_out,
                      int64_t *size_out, cc_error_t *err);

/* Validate the tar entry path P and strip leading `./` and `/`-free
   noise; NULL (and *ERR) when it contains `..` or is absolute.  */
char *cc_layer_clean_path (const char *p, cc_error_t *err);

/* Whiteouts: given a clean entry path, sets *KIND and the path of what it
   hides (the file for `.wh.NAME`, the directory for an opaque marker).  */
enum cc_whiteout_kind
{
  CC_WHITEOUT_NONE,
  CC_WHITEOUT_FILE,
  CC_WHITEOUT_OPAQUE,
  CC_WHITEOUT_IGNORED, /* other `.wh..wh.` metadata (aufs), skipped */
};
int cc_layer_whiteout (const char *path, enum cc_whiteout_kind *kind, char **target, cc_error_t *err);

/* ---- what the Dockerfile builder stores (build.c) ---------------------- */

/* The config blob of IMG, as stored.  */
int cc_image_config_blob (const struct cc_image *img, char **out, size_t *len, cc_error_t *err);
/* The unpacked tree of layer DIFF_ID (an overlay lowerdir), or NULL when
   the store does not have it.  */
char *cc_image_layer_dir (const char *diff_id);
/* Layers (by diff id) that GC keeps, with their blobs, while the hold
   OWNER ([A-Za-z0-9_.-]+) names them, although no image does: the
   builder's cache.  Writing a hold again replaces it.  */
int cc_image_hold (const char *owner, char *const *diff_ids, cc_error_t *err);
int cc_image_unhold (const char *owner, cc_error_t *err);
/* The names of every hold.  */
char **cc_image_hold_names (void);
/* Publish a layer the builder made, by renaming, never copying: DIR (on
   the data root's filesystem) holds `diff/`, the tree in overlay format
   (whiteouts as 0:0 character devices, opaque directories marked with
   trusted.overlay.opaque), and becomes layers/<DIFF_ID>; TAR, the
   uncompressed layer tar whose sha256 is DIFF_ID, becomes its blob
   (media type application/vnd.oci.image.layer.v1.tar).  SIZE is the
   bytes of its files.  When the store has them already, DIR and TAR are
   left where they are for the caller to remove.  */
int cc_image_publish_layer (const char *dir, const char *tar, const char *diff_id, int64_t size, cc_error_t *err);
/* Store an image the builder made: CONFIG (the JSON written as is: its
   sha256 is the image id), an OCI manifest over the layers DIFF_IDS, the
   first N_BASE of them those of the image whose manifest is
   BASE_MANIFEST (referenced as that manifest references them, maybe
   compressed), the others published by cc_image_publish_layer
   (uncompressed), tagged with every REFS entry (untagged when there is
   none).  */
int cc_image_store_built (const char *config, const char *base_manifest, size_t n_base, char *const *diff_ids,
                          char *const *refs, char **id_out, cc_error_t *err);
/* Remove every blob and layer nothing refers to (no image, pin or hold).  */
int cc_image_sweep (int64_t *reclaimed, cc_error_t *err);
/* The store's directory for in-progress files (same filesystem as the store).  */
char *cc_image_store_tmp (void);

#endif
