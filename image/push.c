/* `image push`: an image of the store to its registry (Docker Registry
   HTTP API v2), as docker push does it: for each blob, a HEAD says
   whether the repository has it already; a blob this store got from
   another repository of the same registry is mounted from there (POST
   ?mount=&from=), others are uploaded (POST, then one PUT for a small
   blob or PATCH chunks and a closing PUT); then the manifest is PUT under
   the tag.  Auth is the pull's (image/registry.c), asking for
   `repository:NAME:pull,push` and pull on the repositories mounted from.

   Layers stored uncompressed (the builder's, a plain `image import`) are
   pushed as their gzip copy (image/compress.c), so the pushed manifest
   differs from the stored one; the config, hence the image id, does not.
   A manifest whose layers are all compressed goes byte for byte, so an
   image pulled from one registry keeps its digest in another.

   The store only gains the gzip copies, published whole, and notes of
   where blobs are; an upload that fails is cancelled (DELETE).  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"
#include "image/registry.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* Blobs up to this size go in the PUT that closes the upload; bigger ones
   in PATCH chunks of this size.  CCOMPOSE_PUSH_CHUNK_SIZE changes it.  */
#define DEFAULT_CHUNK ((int64_t)16 << 20)

struct push
{
  struct cc_store *store;
  struct cc_registry *reg;
  struct cc_image_ref ref;
  char *name; /* host/repo, as sources are noted */
  cJSON *repos;
  cJSON *doc; /* the manifest to push */
  char **blobs;
  char **mount_from; /* per blob: a repository of the registry that has it, or "" */
  int64_t chunk;
  bool quiet;
};

static void
push_release (struct push *p)
{
  if (p->reg)
    cc_registry_free (p->reg);
  cc_image_ref_release (&p->ref);
  free (p->name);
  cJSON_Delete (p->repos);
  cJSON_Delete (p->doc);
  cc_strv_free (p->blobs);
  cc_strv_free (p->mount_from);
}
#define cleanup_push __attribute__ ((cleanup (push_release)))

static int
chunk_size (int64_t *out, cc_error_t *err)
{
  const char *v = getenv ("CCOMPOSE_PUSH_CHUNK_SIZE");
  char *end = NULL;
  long long n;

  *out = DEFAULT_CHUNK;
  if (v == NULL || *v == '\0')
    return 0;
  errno = 0;
  n = strtoll (v, &end, 10);
  if (errno || *end || n <= 0)
    return cc_error_make (err, 0, "CCOMPOSE_PUSH_CHUNK_SIZE `%s`: want a number of bytes", v);
  *out = n;
  return 0;
}

/* ---- the manifest to push ----------------------------------------------- */

static bool
blob_is_compressed (struct cc_store *s, const char *digest)
{
  cleanup_free char *path = cc_store_blob_path (s, digest);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  unsigned char m[4] = { 0 };

  if (fd < 0 || read (fd, m, sizeof (m)) != (ssize_t)sizeof (m))
    return false;
  return (m[0] == 0x1f && m[1] == 0x8b) || (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd);
}

/* A layer stored uncompressed becomes its gzip copy, under the gzip
   media type of the manifest's family.  */
static int
compress_layer (struct push *p, cJSON *layer, bool docker, bool *changed, cc_error_t *err)
{
  const char *digest = cc_json_get_string (layer, "digest");
  cleanup_free char *gz = NULL;
  int64_t size = 0;

  /* By content: a media type may say less than the bytes do.  */
  if (blob_is_compressed (p->store, digest))
    return 0;
  if (cc_store_gzip_blob (p->store, digest, &gz, &size, err) < 0)
    return -1;
  cc_json_set_string (layer, "mediaType", docker ? MT_DOCKER_LAYER : MT_OCI_LAYER_GZIP);
  cc_json_set_string (layer, "digest", gz);
  cc_json_set_int (layer, "size", size);
  *changed = true;
  return 0;
}

static int
prepare_manifest (struct push *p, const char *manifest, char **body, size_t *len, cc_error_t *err)
{
  struct cc_manifest m cleanup_manifest = { 0 };
  cleanup_free char *text = NULL;
  bool docker, changed = false;
  cJSON *it;

  if (cc_store_read_blob (p->store, manifest, &text, len, err) < 0 || cc_manifest_parse (text, *len, &m, err) < 0
      || cc_json_parse (text, "manifest", &p->doc, err) < 0)
    return cc_error_wrap (err, "image %s", manifest);
  docker = strcmp (cc_json_get_string (p->doc, "mediaType") ?: "", MT_DOCKER_MANIFEST) == 0;
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (p->doc, "layers"))
  {
    if (compress_layer (p, it, docker, &changed, err) < 0)
      return -1;
  }
  if (! changed)
    {
      *body = steal_pointer (&text);
      return 0;
    }
  *body = cJSON_PrintUnformatted (p->doc);
  *len = strlen (*body);
  return 0;
}

/* ---- blobs ------------------------------------------------------------------ */

/* A repository of this registry, other than the target, that has DIGEST.  */
static char *
mount_source (struct push *p, const char *digest)
{
  cleanup_strv char **sources = cc_store_sources_of (p->repos, digest);
  size_t n = strlen (p->ref.domain);

  for (size_t i = cc_strv_len (sources); i-- > 0;)
    if (strncmp (sources[i], p->ref.domain, n) == 0 && sources[i][n] == '/' && strcmp (sources[i], p->name) != 0)
      return xstrdup (sources[i] + n + 1);
  return xstrdup ("");
}

static void
plan_blobs (struct push *p)
{
  const cJSON *it;

  p->blobs = xzalloc (sizeof (char *));
  p->mount_from = xzalloc (sizeof (char *));
  cc_strv_append (&p->blobs, cc_json_get_string (cJSON_GetObjectItemCaseSensitive (p->doc, "config"), "digest"));
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (p->doc, "layers"))
  {
    const char *d = cc_json_get_string (it, "digest");
    if (! cc_strv_contains (p->blobs, d))
      cc_strv_append (&p->blobs, d);
  }
  for (size_t i = 0; p->blobs[i]; i++)
    {
      char *from = mount_source (p, p->blobs[i]);
      cc_strv_push (&p->mount_from, from);
      if (*from)
        {
          cleanup_free char *scope = xasprintf ("repository:%s:pull", from);
          cc_registry_add_scope (p->reg, scope);
        }
    }
}

static void
progress (struct push *p, const char *digest, const char *what)
{
  if (! p->quiet)
    cc_notice ("   %.19s %s", digest + strlen ("sha256:"), what);
}

static int
upload (struct push *p, const char *digest, const char *location, cc_error_t *err)
{
  cleanup_free char *path = cc_store_blob_path (p->store, digest);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return cc_error_make (err, errno, "open blob %s", digest);
  if (cc_registry_upload_blob (p->reg, location, digest, fd, (int64_t)st.st_size, p->chunk, err) < 0)
    {
      cc_registry_cancel_upload (p->reg, location);
      return -1;
    }
  return 0;
}

static int
push_blob (struct push *p, const char *digest, const char *from, cc_error_t *err)
{
  cleanup_free char *location = NULL;
  bool exists = false, mounted = false;

  if (cc_registry_blob_exists (p->reg, digest, &exists, err) < 0)
    return -1;
  if (exists)
    {
      progress (p, digest, "Layer already exists");
      return 0;
    }
  if (cc_registry_start_upload (p->reg, digest, *from ? from : NULL, &mounted, &location, err) < 0)
    return -1;
  if (mounted)
    {
      cleanup_free char *what = xasprintf ("Mounted from %s", from);
      progress (p, digest, what);
      return 0;
    }
  if (upload (p, digest, location, err) < 0)
    return -1;
  progress (p, digest, "Pushed");
  return 0;
}

/* ---- entry point ---------------------------------------------------------------- */

static int
open_registry (struct push *p, cc_error_t *err)
{
  struct cc_registry_endpoint ep cleanup_registry_endpoint = { 0 };
  cleanup_free char *basic = NULL;
  cleanup_free char *scope = xasprintf ("repository:%s:pull,push", p->ref.path);

  /* A mirror serves pulls; pushes go to the registry the name says.  */
  if (cc_registry_endpoint (&p->ref, NULL, getenv ("CCOMPOSE_INSECURE_REGISTRIES"), &ep, err) < 0
      || cc_docker_credentials (ep.cred_key, &basic, err) < 0)
    return -1;
  p->reg = cc_registry_new (&ep, p->ref.path, basic);
  cc_registry_add_scope (p->reg, scope);
  return 0;
}

static void
note_pushed (struct push *p)
{
  cleanup_error cc_error_t err = NULL;

  if (cc_store_note_sources (p->store, p->blobs, p->name, &err) < 0)
    cc_warn ("noting that %s has the blobs pushed: %s", p->name, err->msg);
}

static int
push_into (struct push *p, const char *full, char **digest_out, cc_error_t *err)
{
  cleanup_free char *manifest = NULL;
  cleanup_free char *body = NULL;
  cleanup_free char *digest = NULL;
  const char *mt;
  size_t len = 0;

  if (cc_store_repos_load (p->store, &p->repos, err) < 0
      || cc_store_lookup (p->store, p->repos, full, &manifest, err) < 0 || chunk_size (&p->chunk, err) < 0
      || open_registry (p, err) < 0 || prepare_manifest (p, manifest, &body, &len, err) < 0)
    return -1;
  plan_blobs (p);
  /* Auth first (with every scope the push needs): its failure is the
     registry's, not a blob's.  */
  if (cc_registry_ping (p->reg, err) < 0)
    return -1;
  for (size_t i = 0; p->blobs[i]; i++)
    if (push_blob (p, p->blobs[i], p->mount_from[i], err) < 0)
      return cc_error_wrap (err, "blob %s", p->blobs[i]);
  digest = cc_sha256_data (body, len);
  mt = cc_json_get_string (p->doc, "mediaType") ?: MT_OCI_MANIFEST;
  if (cc_registry_put_manifest (p->reg, p->ref.tag, mt, body, len, digest, err) < 0)
    return -1;
  note_pushed (p);
  if (! p->quiet)
    printf ("%s: digest: %s size: %zu\n", p->ref.tag, digest, len);
  *digest_out = steal_pointer (&digest);
  return 0;
}

int
cc_image_push (const char *text, bool quiet, char **digest_out, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  struct push p cleanup_push = { .store = &s, .quiet = quiet };
  cleanup_free char *full = NULL;
  cleanup_free char *shown = NULL;
  cleanup_free char *digest = NULL;

  if (cc_image_ref_parse (text, &p.ref, err) < 0)
    return -1;
  if (p.ref.digest || p.ref.tag == NULL)
    return cc_error_make (err, 0, "push %s: push a NAME[:TAG], not a digest", text);
  full = cc_image_ref_string (&p.ref);
  shown = cc_image_familiar (full);
  p.name = cc_image_ref_name (&p.ref);
  if (cc_store_open (&s, false, err) < 0)
    return cc_error_wrap (err, "push %s", shown);
  if (push_into (&p, full, &digest, err) < 0)
    {
      cc_gc_after_failure (&s);
      return cc_error_wrap (err, "push %s", shown);
    }
  if (! quiet)
    cc_notice (" \u2714 Image %s Pushed", shown);
  if (digest_out)
    *digest_out = steal_pointer (&digest);
  return 0;
}
