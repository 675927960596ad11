/* `image pull`: a reference from its registry into the store, ending in the
   same store writes as a load (image/import.c): blobs verified before they
   become visible, layers unpacked once and checked against their diff
   ids, then the reference tagged.  A failure at any point leaves only
   temporary files and unreferenced blobs, which cc_gc_after_failure (or
   the next GC, after a kill -9) removes.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/internal.h"
#include "image/registry.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* The config is read whole into memory, as import.c does.  */
#define MAX_CONFIG_SIZE (16 * 1024 * 1024)
#define MT_DOCKER_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define MT_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

struct pull
{
  struct cc_store *store;
  struct cc_registry *reg;
  struct cc_image_ref ref;
  char *manifest; /* the image manifest's bytes */
  size_t manifest_len;
  char *manifest_digest; /* of those bytes */
};

static void
pull_release (struct pull *p)
{
  if (p->reg)
    cc_registry_free (p->reg);
  cc_image_ref_release (&p->ref);
  free (p->manifest);
  free (p->manifest_digest);
}
#define cleanup_pull __attribute__ ((cleanup (pull_release)))

/* ---- the manifest ------------------------------------------------------ */

enum doc_kind
{
  DOC_UNKNOWN,
  DOC_MANIFEST,
  DOC_INDEX,
  DOC_SCHEMA1,
};

static enum doc_kind
kind_of (const char *media_type)
{
  static const struct
  {
    const char *mt;
    enum doc_kind kind;
  } kinds[] = {
    { MT_OCI_MANIFEST, DOC_MANIFEST }, { MT_DOCKER_MANIFEST, DOC_MANIFEST }, { MT_OCI_INDEX, DOC_INDEX },
    { MT_DOCKER_LIST, DOC_INDEX },     { MT_DOCKER_SCHEMA1, DOC_SCHEMA1 },   { MT_DOCKER_SCHEMA1_SIGNED, DOC_SCHEMA1 },
  };

  for (size_t i = 0; i < CC_N_ELEMENTS (kinds); i++)
    if (media_type && strcmp (media_type, kinds[i].mt) == 0)
      return kinds[i].kind;
  return DOC_UNKNOWN;
}

/* The Content-Type decides; a registry that sends a generic one is
   judged by the document's own mediaType (or shape).  */
static enum doc_kind
document_kind (const char *content_type, const char *body, size_t len)
{
  enum doc_kind k = kind_of (content_type);
  cleanup_cjson cJSON *doc = NULL;

  if (k != DOC_UNKNOWN)
    return k;
  doc = cJSON_ParseWithLength (body, len);
  if (cc_json_get_int (doc, "schemaVersion", 0) == 1)
    return DOC_SCHEMA1;
  switch (cc_manifest_kind (doc))
    {
    case CC_KIND_MANIFEST:
      return DOC_MANIFEST;
    case CC_KIND_INDEX:
      return DOC_INDEX;
    default:
      return DOC_UNKNOWN;
    }
}

static char *
platforms_of (const struct cc_index *idx)
{
  cleanup_strv char **v = xzalloc (sizeof (char *));

  for (size_t i = 0; i < idx->n; i++)
    cc_strv_push (&v, xasprintf ("%s/%s", idx->manifests[i].os ?: "?", idx->manifests[i].arch ?: "?"));
  return cc_strv_join (v, ", ");
}

static int
pick_from_index (const char *body, size_t len, char **digest, cc_error_t *err)
{
  struct cc_index idx cleanup_index = { 0 };
  const struct cc_descriptor *d;

  if (cc_index_parse (body, len, &idx, err) < 0)
    return -1;
  d = cc_index_pick_platform (&idx);
  if (d == NULL)
    {
      cleanup_free char *all = platforms_of (&idx);
      return cc_error_make (err, 0, "no image for linux/%s in the index (it has: %s)", cc_host_arch (),
                            *all ? all : "nothing");
    }
  *digest = xstrdup (d->digest);
  return 0;
}

static int
fetch_document (struct pull *p, const char *ref, enum doc_kind *kind, cc_error_t *err)
{
  cleanup_free char *media_type = NULL;

  free (p->manifest);
  free (p->manifest_digest);
  p->manifest = p->manifest_digest = NULL;
  if (cc_registry_get_manifest (p->reg, ref, &p->manifest, &p->manifest_len, &media_type, &p->manifest_digest, err) < 0)
    return -1;
  *kind = document_kind (media_type, p->manifest, p->manifest_len);
  if (*kind == DOC_SCHEMA1)
    return cc_error_make (err, 0,
                          "%s is a Docker schema 1 manifest, which ccompose does not support (deprecated since "
                          "2017): push the image again with a current tool",
                          ref);
  if (*kind == DOC_UNKNOWN)
    return cc_error_make (err, 0, "%s: unsupported manifest media type `%s`", ref, media_type);
  return 0;
}

/* The image manifest REF names, through an index when it is one.  */
static int
fetch_manifest (struct pull *p, const char *ref, cc_error_t *err)
{
  cleanup_free char *child = NULL;
  enum doc_kind kind;

  if (fetch_document (p, ref, &kind, err) < 0)
    return -1;
  if (kind == DOC_MANIFEST)
    return 0;
  if (pick_from_index (p->manifest, p->manifest_len, &child, err) < 0)
    return -1;
  if (fetch_document (p, child, &kind, err) < 0)
    return -1;
  if (kind != DOC_MANIFEST)
    return cc_error_make (err, 0, "index entry %s is not an image manifest", child);
  return 0;
}

/* ---- blobs and layers -------------------------------------------------- */

static int
fetch_blob (struct pull *p, const struct cc_descriptor *d, cc_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_free char *got = NULL;
  cleanup_close int fd = -1;
  int64_t total = 0;

  if (cc_store_has_blob (p->store, d->digest))
    return 0;
  fd = cc_store_blob_tempfile (p->store, &tmp, err);
  if (fd < 0)
    return -1;
  if (cc_registry_get_blob (p->reg, d->digest, d->size, fd, &got, &total, err) < 0)
    {
      unlink (tmp);
      return -1;
    }
  cc_crash_point ("image blob downloaded");
  return cc_store_blob_publish (p->store, tmp, fd, d->digest, d->size, got, total, err);
}

static int
read_config (struct pull *p, const struct cc_descriptor *d, struct cc_image_config *cfg, cc_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;

  if (d->size > MAX_CONFIG_SIZE)
    return cc_error_make (err, 0, "refusing config %s: %lld bytes for a JSON document (at most %d)", d->digest,
                          (long long)d->size, MAX_CONFIG_SIZE);
  if (fetch_blob (p, d, err) < 0 || cc_store_read_blob (p->store, d->digest, &text, &len, err) < 0)
    return -1;
  return cc_image_config_parse (text, len, cfg, err);
}

static int
fetch_layers (struct pull *p, const struct cc_manifest *m, const struct cc_image_config *cfg, cc_error_t *err)
{
  if (cc_strv_len (cfg->diff_ids) != m->n_layers)
    return cc_error_make (err, 0, "manifest has %zu layers but its config lists %zu diff ids", m->n_layers,
                          cc_strv_len (cfg->diff_ids));
  for (size_t i = 0; i < m->n_layers; i++)
    if (fetch_blob (p, &m->layers[i], err) < 0
        || cc_store_unpack_layer (p->store, m->layers[i].digest, cfg->diff_ids[i], NULL, err) < 0)
      return -1;
  return 0;
}

/* A pull by tag names the image; a pull by digest alone leaves it
   untagged, found by name@digest, as Docker does.  */
static char *
tag_reference (const struct cc_image_ref *ref)
{
  struct cc_image_ref tagged = { ref->domain, ref->path, ref->tag, NULL };

  return ref->tag ? cc_image_ref_string (&tagged) : NULL;
}

/* Remember that this repository has these blobs: a push to another
   repository of the registry can mount them from it.  Only an aid: a
   failure to note it fails no pull.  */
static void
note_sources (struct pull *p, const struct cc_manifest *m)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_strv char **digests = xzalloc (sizeof (char *));
  cleanup_free char *source = cc_image_ref_name (&p->ref);

  cc_strv_append (&digests, m->config.digest);
  for (size_t i = 0; i < m->n_layers; i++)
    cc_strv_append (&digests, m->layers[i].digest);
  if (cc_store_note_sources (p->store, digests, source, &err) < 0)
    cc_warn ("noting where the blobs of %s came from: %s", source, err->msg);
}

/* When TAG was pulled, for the daily/weekly/every_ pull policies
   (ensure.c); a failure to note it only makes the next refresh early.
   A digest reference cannot change: nothing to refresh.  */
static void
note_pulled (struct pull *p, const char *tag)
{
  cleanup_error cc_error_t err = NULL;

  if (tag && cc_store_note_pulled (p->store, tag, &err) < 0)
    cc_warn ("noting when %s was pulled: %s", tag, err->msg);
}

static int
store_image (struct pull *p, char **id, cc_error_t *err)
{
  struct cc_manifest m cleanup_manifest = { 0 };
  struct cc_image_config cfg cleanup_image_config = { 0 };
  cleanup_free char *tag = tag_reference (&p->ref);
  cleanup_free char *replaced = NULL;

  if (cc_manifest_parse (p->manifest, p->manifest_len, &m, err) < 0
      || cc_store_put_blob_data (p->store, p->manifest, p->manifest_len, NULL, err) < 0
      || read_config (p, &m.config, &cfg, err) < 0 || fetch_layers (p, &m, &cfg, err) < 0
      || cc_store_add_image (p->store, p->manifest_digest, m.config.digest, tag, &replaced, err) < 0)
    return -1;
  if (replaced)
    cc_debug ("%s now names %s; it named %s before", tag, m.config.digest, replaced);
  note_sources (p, &m);
  note_pulled (p, tag);
  *id = xstrdup (m.config.digest);
  return 0;
}

/* ---- entry point ---------------------------------------------------------- */

static int
open_registry (struct pull *p, cc_error_t *err)
{
  struct cc_registry_endpoint ep cleanup_registry_endpoint = { 0 };
  cleanup_free char *basic = NULL;

  if (cc_registry_endpoint (&p->ref, getenv ("CCOMPOSE_REGISTRY_MIRROR"), getenv ("CCOMPOSE_INSECURE_REGISTRIES"), &ep,
                            err)
          < 0
      || cc_docker_credentials (ep.cred_key, &basic, err) < 0)
    return -1;
  p->reg = cc_registry_new (&ep, p->ref.path, basic);
  return 0;
}

static int
pull_into (struct pull *p, char **id, cc_error_t *err)
{
  if (open_registry (p, err) < 0)
    return -1;
  if (fetch_manifest (p, p->ref.digest ? p->ref.digest : p->ref.tag, err) < 0)
    return -1;
  return store_image (p, id, err);
}

int
cc_image_pull_id (const char *text, bool quiet, char **id_out, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  struct pull p cleanup_pull = { .store = &s };
  cleanup_free char *full = NULL;
  cleanup_free char *id = NULL;

  if (cc_image_ref_parse (text, &p.ref, err) < 0)
    return -1;
  full = cc_image_ref_string (&p.ref);
  if (cc_store_open (&s, false, err) < 0)
    return cc_error_wrap (err, "pull %s", full);
  if (pull_into (&p, &id, err) < 0)
    {
      cc_gc_after_failure (&s);
      return cc_error_wrap (err, "pull %s", full);
    }
  if (! quiet)
    {
      cleanup_free char *shown = cc_image_familiar (full);
      cc_notice (" \u2714 Image %s Pulled", shown);
    }
  if (id_out)
    *id_out = steal_pointer (&id);
  return 0;
}

int
cc_image_pull (const char *ref, bool quiet, cc_error_t *err)
{
  return cc_image_pull_id (ref, quiet, NULL, err);
}
