/* Shared between the files of image/; other folders use image.h only.  */
#ifndef CC_IMAGE_INTERNAL_H
#define CC_IMAGE_INTERNAL_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "image/image.h"
#include "lib/error.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"

#define ANNOT_REF_NAME "org.opencontainers.image.ref.name"
#define ANNOT_CONTAINERD_NAME "io.containerd.image.name"

/* ---- sha256 (digest.c) ---- */
struct cc_sha256;
struct cc_sha256 *cc_sha256_new (void);
void cc_sha256_update (struct cc_sha256 *h, const void *data, size_t len);
/* "sha256:<hex>", freshly allocated; the context can't be reused.  */
char *cc_sha256_final (struct cc_sha256 *h);
void cc_sha256_free (struct cc_sha256 *h);
char *cc_sha256_data (const void *data, size_t len);
static inline void
cleanup_sha256_fn (struct cc_sha256 **h)
{
  if (*h)
    cc_sha256_free (*h);
}
#define cleanup_sha256 __attribute__ ((cleanup (cleanup_sha256_fn)))

/* ---- manifests (manifest.c) ---- */
struct cc_descriptor
{
  char *media_type;
  char *digest;
  int64_t size;
  char *os; /* platform, index entries only */
  char *arch;
  char *name; /* the reference its annotations carry, or NULL */
};

struct cc_manifest
{
  struct cc_descriptor config;
  struct cc_descriptor *layers;
  size_t n_layers;
};

struct cc_index
{
  struct cc_descriptor *manifests;
  size_t n;
};

enum cc_manifest_kind
{
  CC_KIND_UNKNOWN,
  CC_KIND_MANIFEST,
  CC_KIND_INDEX,
};

/* Kind of a manifest-ish JSON document, by mediaType and shape.  */
enum cc_manifest_kind cc_manifest_kind (const cJSON *doc);
int cc_manifest_parse (const char *json, size_t len, struct cc_manifest *out, cc_error_t *err);
void cc_manifest_release (struct cc_manifest *m);
int cc_index_parse (const char *json, size_t len, struct cc_index *out, cc_error_t *err);
void cc_index_release (struct cc_index *idx);
void cc_descriptor_release (struct cc_descriptor *d);
/* Of an index's manifests, the one for this platform (linux/amd64 on
   this machine), or NULL.  */
const struct cc_descriptor *cc_index_pick_platform (const struct cc_index *idx);
const char *cc_host_arch (void);
bool cc_is_layer_media_type (const char *mt);

#define cleanup_manifest __attribute__ ((cleanup (cc_manifest_release)))
#define cleanup_index __attribute__ ((cleanup (cc_index_release)))
#define cleanup_image_config __attribute__ ((cleanup (cc_image_config_release)))

/* ---- the store (store.c; lookups in resolve.c, pins in pin.c) ---- */
struct cc_store
{
  char *root; /* .../images */
  int lock_fd;
  int root_fd;
};

/* Open (and create) the store, holding its lock shared (writers) or
   exclusive (GC).  */
int cc_store_open (struct cc_store *s, bool exclusive, cc_error_t *err);
void cc_store_close (struct cc_store *s);
#define cleanup_store __attribute__ ((cleanup (cc_store_close)))

char *cc_store_blob_path (const struct cc_store *s, const char *digest);
char *cc_store_layer_path (const struct cc_store *s, const char *diff_id);
/* l/<16 hex>: the short link to a layer's diff directory.  */
char *cc_store_short_link (const struct cc_store *s, const char *diff_id);
bool cc_store_has_blob (const struct cc_store *s, const char *digest);
/* Copy FD into the store, verifying DIGEST (and SIZE when >= 0) before
   the blob becomes visible; DIGEST NULL: computed, returned in *OUT.  */
int cc_store_put_blob_fd (struct cc_store *s, int fd, const char *digest, int64_t size, char **out, cc_error_t *err);
/* For a blob streamed in by someone else (a registry pull): a temporary
   file under tmp/ (its fd; GC removes it if we die), then publish it as
   DIGEST once GOT (the sha256 of its TOTAL bytes) and SIZE (when >= 0)
   match; on failure TMP is removed.  */
int cc_store_blob_tempfile (struct cc_store *s, char **path, cc_error_t *err);
int cc_store_blob_publish (struct cc_store *s, const char *tmp, int fd, const char *digest, int64_t size,
                           const char *got, int64_t total, cc_error_t *err);
int cc_store_put_blob_data (struct cc_store *s, const void *data, size_t len, char **out, cc_error_t *err);
int cc_store_read_blob (const struct cc_store *s, const char *digest, char **out, size_t *len, cc_error_t *err);
/* Unpack the blob DIGEST as the layer DIFF_ID (once); when DIFF_ID is
   NULL it is computed and returned in *DIFF_ID_OUT.  */
int cc_store_unpack_layer (struct cc_store *s, const char *digest, const char *diff_id, char **diff_id_out,
                           cc_error_t *err);
/* A fresh directory under tmp/ (removed by the caller or by GC).  */
int cc_store_mktemp (struct cc_store *s, char **path, cc_error_t *err);

/* repositories.json: {"images": {MANIFEST: {"id": CONFIG, "loaded": T}},
   "references": {REF: MANIFEST}}.  EDIT runs under the exclusive
   repositories lock and the result is saved atomically when it returns 0.  */
typedef int (*cc_repos_edit_fn) (cJSON *repos, void *opaque, cc_error_t *err);
int cc_store_repos_edit (struct cc_store *s, cc_repos_edit_fn edit, void *opaque, cc_error_t *err);
int cc_store_repos_load (struct cc_store *s, cJSON **out, cc_error_t *err);
/* Record MANIFEST (whose config is ID) and point REF (may be NULL) at it;
   *REPLACED (may be NULL) gets the id of the image REF named before, when
   it was another one (it is left untagged, as Docker does).  */
int cc_store_add_image (struct cc_store *s, const char *manifest, const char *id, const char *ref, char **replaced,
                        cc_error_t *err);
/* The same for N images and names in one edit, one write of
   repositories.json: a load of an image with 20,000 tags wrote it 20,000
   times, each one bigger (issue 12, item 10).  Later names win.  */
struct cc_store_ref
{
  const char *manifest, *id, *ref;
  char *replaced; /* out, owned by the caller */
};
int cc_store_add_images (struct cc_store *s, struct cc_store_ref *refs, size_t n, cc_error_t *err);

/* Where blobs came from: SOURCE ("host/repo") has each of DIGESTS
   (a pull's or a push's); the sources of DIGEST, newest last.  */
int cc_store_note_sources (struct cc_store *s, char *const *digests, const char *source, cc_error_t *err);
/* REF (a normalized reference, in `references`) was pulled now; when it
   was last, from the repositories.json REPOS, or NULL.  */
int cc_store_note_pulled (struct cc_store *s, const char *ref, cc_error_t *err);
const char *cc_store_pulled_at (cJSON *repos, const char *ref);
char **cc_store_sources_of (cJSON *repos, const char *digest);

/* The gzip copy of the uncompressed blob DIGEST, made (deterministic, as
   `gzip -n`) and remembered the first time (compress.c); *SIZE its size.  */
int cc_store_gzip_blob (struct cc_store *s, const char *digest, char **gz, int64_t *size, cc_error_t *err);
/* The gzip copy remembered for DIGEST, or NULL.  */
char *cc_store_compressed_of (cJSON *repos, const char *digest);
/* GC: add to *BLOBS the gzip copies of the blobs it holds.  */
void cc_store_mark_compressed (cJSON *repos, char ***blobs);

/* The `config` object of an imported image: CHANGES (Dockerfile
   instructions, may be NULL) applied to an empty one (change.c).  */
int cc_image_changes_config (char *const *changes, cJSON **config, cc_error_t *err);
/* The same applied to the config blob BASE (NULL: an empty one); COMMIT
   refuses what `commit` does not take (ONBUILD).  */
int cc_image_changes_apply (const char *base, char *const *changes, bool commit, cJSON **config, cc_error_t *err);

/* After a failed import: if no other command uses the store, remove what
   the failure left unreferenced (gc.c).  */
void cc_gc_after_failure (struct cc_store *s);
/* Remove every blob, layer and temporary file no image refers to; needs
   the store lock exclusive.  */
int cc_gc_sweep (struct cc_store *s, int64_t *reclaimed, cc_error_t *err);
/* Manifest digests pinned by containers.  */
char **cc_store_pinned (struct cc_store *s);
/* Layers held (image.h's cc_image_hold): appended to BLOBS (uncompressed
   blobs: digest = diff id) and LAYERS.  */
void cc_store_held (struct cc_store *s, char ***blobs, char ***layers);

/* Build the cc_image of MANIFEST from the store.  */
int cc_store_image_from_manifest (struct cc_store *s, cJSON *repos, const char *manifest, struct cc_image **out,
                                  cc_error_t *err);
/* Set IMG->reference from the text REF it was found by.  */
void cc_store_name_image (struct cc_image *img, const char *ref);
/* The manifest digest REF names, or NULL (ENOENT) / ambiguous (EINVAL).  */
int cc_store_lookup (struct cc_store *s, cJSON *repos, const char *ref, char **manifest, cc_error_t *err);

#endif
