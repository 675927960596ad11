/* `image save`: images of the store as a tarball `docker load`, skopeo
   and `ccompose image load` read back.

   docker (the default) is what Docker 25 writes: a docker-archive
   (manifest.json, repositories, the config, uncompressed layer tars
   named by their diff ids) that is at the same time an OCI image layout
   (oci-layout, index.json, an OCI manifest of those uncompressed
   layers).  docker load since 1.10 reads manifest.json and whatever
   paths it names, so Docker 20.10 loads it as Docker 25 does.  oci is
   an OCI image layout of the blobs as stored (compressed layers stay
   compressed; a Docker schema 2 manifest is rewritten with the OCI media
   types, so the config and layers keep their digests).

   Layers are streamed from the store, never held in memory; a layer
   stored compressed is decompressed twice (once to learn the size a tar
   header needs, checking its diff id, once into the output).  The store
   is held shared for the whole save, so no GC removes a blob under it.  */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"
#include "lib/cleanup.h"
#include "lib/dynlib.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define CHUNK (256 * 1024)
#define MT_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define MT_OCI_NONDIST_GZIP "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"

/* One image to write and every name it is saved under.  */
struct saved
{
  char *manifest; /* the stored manifest's digest */
  char **tags;    /* full references; empty: untagged */
};

/* A blob already in the output, with the size it has there.  */
struct written
{
  char *name;
  int64_t size;
};

struct save
{
  struct cc_store *store;
  enum cc_image_save_format format;
  struct archive *tar;
  int out_fd;
  struct written *written;
  size_t n_written;
  cJSON *index;        /* index.json's manifests */
  cJSON *docker;       /* manifest.json */
  cJSON *repositories; /* repositories */
};

static void
save_release (struct save *sv)
{
  if (sv->tar)
    archive_write_free (sv->tar);
  for (size_t i = 0; i < sv->n_written; i++)
    free (sv->written[i].name);
  free (sv->written);
  cJSON_Delete (sv->index);
  cJSON_Delete (sv->docker);
  cJSON_Delete (sv->repositories);
}
#define cleanup_save __attribute__ ((cleanup (save_release)))

static void
saved_release (struct saved *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].manifest);
      cc_strv_free (v[i].tags);
    }
  free (v);
}

/* ---- the tar writer ------------------------------------------------------ */

static la_ssize_t
tar_write_cb (struct archive *a, void *opaque, const void *buf, size_t len)
{
  struct save *sv = opaque;

  if (cc_write_all (sv->out_fd, buf, len) < 0)
    {
      archive_set_error (a, errno, "write the archive");
      return -1;
    }
  return (la_ssize_t)len;
}

static int
tar_error (struct save *sv, const char *what, const char *name, cc_error_t *err)
{
  int e = archive_errno (sv->tar);

  return cc_error_make (err, e > 0 ? e : 0, "%s `%s`: %s", what, name, archive_error_string (sv->tar) ?: "failed");
}

static int
tar_open (struct save *sv, cc_error_t *err)
{
  if (cc_dynlib_load (&cc_dynlib_archive, err) < 0)
    return -1;
  sv->tar = archive_write_new ();
  /* pax only where ustar cannot say it; 10 KiB blocks padded whole, as
     tar(1) writes them.  */
  if (archive_write_set_format_pax_restricted (sv->tar) != ARCHIVE_OK
      || archive_write_open (sv->tar, sv, NULL, tar_write_cb, NULL) != ARCHIVE_OK)
    return tar_error (sv, "open", "archive", err);
  return 0;
}

/* A header for NAME: a directory when SIZE < 0.  Times are 0: the same
   images give the same archive.  */
static int
tar_header (struct save *sv, const char *name, int64_t size, cc_error_t *err)
{
  struct archive_entry *e = archive_entry_new ();
  int r;

  archive_entry_set_pathname (e, name);
  archive_entry_set_filetype (e, size < 0 ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm (e, size < 0 ? 0755 : 0644);
  archive_entry_set_size (e, size < 0 ? 0 : size);
  archive_entry_set_mtime (e, 0, 0);
  r = archive_write_header (sv->tar, e);
  archive_entry_free (e);
  return r == ARCHIVE_OK ? 0 : tar_error (sv, "write header of", name, err);
}

static int
tar_data (struct save *sv, const char *name, const void *buf, size_t len, cc_error_t *err)
{
  if (len > 0 && archive_write_data (sv->tar, buf, len) != (la_ssize_t)len)
    return tar_error (sv, "write", name, err);
  return 0;
}

static int
tar_file (struct save *sv, const char *name, const void *data, size_t len, cc_error_t *err)
{
  if (tar_header (sv, name, (int64_t)len, err) < 0)
    return -1;
  return tar_data (sv, name, data, len, err);
}

static int
tar_json (struct save *sv, const char *name, const cJSON *doc, cc_error_t *err)
{
  cleanup_free char *text = cJSON_PrintUnformatted (doc);

  return tar_file (sv, name, text, strlen (text), err);
}

static const struct written *
find_written (const struct save *sv, const char *name)
{
  for (size_t i = 0; i < sv->n_written; i++)
    if (strcmp (sv->written[i].name, name) == 0)
      return &sv->written[i];
  return NULL;
}

static void
note_written (struct save *sv, const char *name, int64_t size)
{
  sv->written = xreallocarray (sv->written, sv->n_written + 1, sizeof (*sv->written));
  sv->written[sv->n_written].name = xstrdup (name);
  sv->written[sv->n_written++].size = size;
}

static char *
blob_name (const char *digest)
{
  return xasprintf ("blobs/sha256/%s", digest + strlen ("sha256:"));
}

/* ---- blobs as stored ------------------------------------------------------ */

static int
open_blob (struct save *sv, const char *digest, int64_t *size, cc_error_t *err)
{
  cleanup_free char *path = cc_store_blob_path (sv->store, digest);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return cc_error_make (err, errno, "open blob %s", digest);
  *size = (int64_t)st.st_size;
  return get_and_reset (&fd);
}

/* Copy FD (SIZE bytes) into the entry NAME, hashing: a blob damaged in
   the store fails the save rather than reach the output.  */
static int
copy_checked (struct save *sv, int fd, const char *name, int64_t size, const char *want, cc_error_t *err)
{
  cleanup_sha256 struct cc_sha256 *h = cc_sha256_new ();
  cleanup_free char *buf = xmalloc (CHUNK);
  cleanup_free char *got = NULL;
  int64_t total = 0;
  ssize_t n;

  while ((n = read (fd, buf, CHUNK)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cc_error_make (err, errno, "read `%s`", name);
      if (total + n > size)
        return cc_error_make (err, 0, "blob `%s` grew while it was saved", name);
      cc_sha256_update (h, buf, (size_t)n);
      if (tar_data (sv, name, buf, (size_t)n, err) < 0)
        return -1;
      total += n;
    }
  got = cc_sha256_final (h);
  if (total != size || strcmp (got, want) != 0)
    return cc_error_make (err, 0, "blob %s in the store is damaged (its content hashes to %s)", want, got);
  return 0;
}

/* The blob DIGEST as it is stored, once per archive; *SIZE its size.  */
static int
put_blob (struct save *sv, const char *digest, int64_t *size_out, cc_error_t *err)
{
  cleanup_free char *name = blob_name (digest);
  const struct written *w = find_written (sv, name);
  cleanup_close int fd = -1;
  int64_t size = 0;

  if (w)
    {
      if (size_out)
        *size_out = w->size;
      return 0;
    }
  fd = open_blob (sv, digest, &size, err);
  if (fd < 0 || tar_header (sv, name, size, err) < 0 || copy_checked (sv, fd, name, size, digest, err) < 0)
    return -1;
  note_written (sv, name, size);
  if (size_out)
    *size_out = size;
  return 0;
}

/* ---- layers uncompressed (docker format) ---------------------------------- */

static bool
is_compressed (int fd)
{
  unsigned char magic[4] = { 0 };
  bool gzip, zstd;

  if (pread (fd, magic, sizeof (magic), 0) != (ssize_t)sizeof (magic))
    return false;
  gzip = magic[0] == 0x1f && magic[1] == 0x8b;
  zstd = magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd;
  return gzip || zstd;
}

typedef int (*chunk_fn) (void *opaque, const void *buf, size_t len, cc_error_t *err);

static void
cleanup_read_archive_fn (struct archive **a)
{
  if (*a)
    archive_read_free (*a);
}

/* Feed the decompressed bytes of the blob open at FD to FN.  */
static int
each_decompressed (int fd, const char *digest, chunk_fn fn, void *opaque, cc_error_t *err)
{
  __attribute__ ((cleanup (cleanup_read_archive_fn))) struct archive *a = NULL;
  cleanup_free char *buf = xmalloc (CHUNK);
  struct archive_entry *e;
  la_ssize_t n;

  if (lseek (fd, 0, SEEK_SET) < 0)
    return cc_error_make (err, errno, "seek blob %s", digest);
  a = archive_read_new ();
  archive_read_support_filter_all (a);
  archive_read_support_format_raw (a);
  if (archive_read_open_fd (a, fd, CHUNK) != ARCHIVE_OK || archive_read_next_header (a, &e) != ARCHIVE_OK)
    return cc_error_make (err, 0, "open layer %s: %s", digest, archive_error_string (a) ?: "unreadable");
  while ((n = archive_read_data (a, buf, CHUNK)) > 0)
    if (fn (opaque, buf, (size_t)n, err) < 0)
      return -1;
  if (n < 0)
    return cc_error_make (err, 0, "decompress layer %s: %s", digest, archive_error_string (a) ?: "corrupt");
  return 0;
}

struct measure
{
  struct cc_sha256 *h;
  int64_t size;
};

static int
measure_chunk (void *opaque, const void *buf, size_t len, cc_error_t *err)
{
  struct measure *m = opaque;

  (void)err;
  cc_sha256_update (m->h, buf, len);
  m->size += (int64_t)len;
  return 0;
}

struct copy
{
  struct save *sv;
  const char *name;
  int64_t left;
};

static int
copy_chunk (void *opaque, const void *buf, size_t len, cc_error_t *err)
{
  struct copy *c = opaque;

  if ((int64_t)len > c->left)
    return cc_error_make (err, 0, "layer `%s` decompressed differently twice", c->name);
  c->left -= (int64_t)len;
  return tar_data (c->sv, c->name, buf, len, err);
}

/* The uncompressed tar of the layer blob DIGEST, named by DIFF_ID (which
   the first pass checks), once per archive; *SIZE its size.  */
static int
put_layer_tar (struct save *sv, const char *digest, const char *diff_id, int64_t *size_out, cc_error_t *err)
{
  cleanup_free char *name = blob_name (diff_id);
  const struct written *w = find_written (sv, name);
  cleanup_sha256 struct cc_sha256 *h = NULL;
  cleanup_free char *got = NULL;
  cleanup_close int fd = -1;
  struct measure m = { 0 };
  struct copy c = { sv, name, 0 };
  int64_t stored = 0;

  if (w)
    {
      *size_out = w->size;
      return 0;
    }
  fd = open_blob (sv, digest, &stored, err);
  if (fd < 0)
    return -1;
  /* Stored uncompressed (the builder's layers): the blob is the tar.  */
  if (! is_compressed (fd))
    {
      if (strcmp (digest, diff_id) != 0)
        return cc_error_make (err, 0, "layer %s is uncompressed but its diff id is %s", digest, diff_id);
      *size_out = stored;
      return put_blob (sv, digest, NULL, err);
    }
  m.h = h = cc_sha256_new ();
  if (each_decompressed (fd, digest, measure_chunk, &m, err) < 0)
    return -1;
  got = cc_sha256_final (h);
  if (strcmp (got, diff_id) != 0)
    return cc_error_make (err, 0, "layer %s in the store is damaged: diff id %s, expected %s", digest, got, diff_id);
  c.left = m.size;
  if (tar_header (sv, name, m.size, err) < 0 || each_decompressed (fd, digest, copy_chunk, &c, err) < 0)
    return -1;
  if (c.left != 0)
    return cc_error_make (err, 0, "layer `%s` decompressed differently twice", name);
  note_written (sv, name, m.size);
  *size_out = m.size;
  return 0;
}

/* ---- manifests ------------------------------------------------------------- */

static cJSON *
descriptor (const char *mt, const char *digest, int64_t size)
{
  cJSON *d = cJSON_CreateObject ();

  cc_json_set_string (d, "mediaType", mt);
  cc_json_set_string (d, "digest", digest);
  cc_json_set_int (d, "size", size);
  return d;
}

/* Docker's media types and their OCI names (image-spec media-types.md,
   "compatibility matrix").  */
static const char *
oci_media_type (const char *mt)
{
  static const struct
  {
    const char *docker, *oci;
  } map[] = {
    { MT_DOCKER_MANIFEST, MT_OCI_MANIFEST },    { MT_DOCKER_CONFIG, MT_OCI_CONFIG },
    { MT_DOCKER_LAYER, MT_OCI_LAYER_GZIP },     { MT_DOCKER_LAYER_TAR, MT_OCI_LAYER },
    { MT_DOCKER_FOREIGN, MT_OCI_NONDIST_GZIP },
  };

  for (size_t i = 0; i < CC_N_ELEMENTS (map); i++)
    if (strcmp (mt, map[i].docker) == 0)
      return map[i].oci;
  return mt;
}

static cJSON *
manifest_json (const char *config_mt, const char *config, int64_t config_size)
{
  cJSON *m = cJSON_CreateObject ();

  cc_json_set_int (m, "schemaVersion", 2);
  cc_json_set_string (m, "mediaType", MT_OCI_MANIFEST);
  cc_json_set (m, "config", descriptor (config_mt, config, config_size));
  cc_json_set (m, "layers", cJSON_CreateArray ());
  return m;
}

/* An index entry per name (Docker 25's annotations: the full name for
   containerd and ccompose, the tag alone as OCI's ref.name), or one
   without a name.  */
static void
add_index_entries (struct save *sv, const char *digest, int64_t size, char *const *tags)
{
  for (size_t i = 0; i == 0 || tags[i]; i++)
    {
      cJSON *d = descriptor (MT_OCI_MANIFEST, digest, size);
      struct cc_image_ref ref cleanup_image_ref = { 0 };
      if (tags[i] && cc_image_ref_parse (tags[i], &ref, NULL) == 0 && ref.tag)
        {
          cJSON *ann = cJSON_CreateObject ();
          cc_json_set_string (ann, ANNOT_CONTAINERD_NAME, tags[i]);
          cc_json_set_string (ann, ANNOT_REF_NAME, ref.tag);
          cc_json_set (d, "annotations", ann);
        }
      cJSON_AddItemToArray (sv->index, d);
      if (tags[i] == NULL)
        break;
    }
}

static int
put_manifest (struct save *sv, const cJSON *m, char *const *tags, cc_error_t *err)
{
  cleanup_free char *text = cJSON_PrintUnformatted (m);
  cleanup_free char *digest = cc_sha256_data (text, strlen (text));
  cleanup_free char *name = blob_name (digest);

  if (find_written (sv, name) == NULL)
    {
      if (tar_file (sv, name, text, strlen (text), err) < 0)
        return -1;
      note_written (sv, name, (int64_t)strlen (text));
    }
  add_index_entries (sv, digest, (int64_t)strlen (text), tags);
  return 0;
}

/* ---- one image ------------------------------------------------------------- */

struct image_blobs
{
  struct cc_manifest m;
  struct cc_image_config cfg;
  cJSON *doc; /* the stored manifest */
};

static void
image_blobs_release (struct image_blobs *b)
{
  cc_manifest_release (&b->m);
  cc_image_config_release (&b->cfg);
  cJSON_Delete (b->doc);
}

static int
read_image (struct save *sv, const char *manifest, struct image_blobs *b, cc_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *ctext = NULL;
  size_t len, clen;

  if (cc_store_read_blob (sv->store, manifest, &text, &len, err) < 0 || cc_manifest_parse (text, len, &b->m, err) < 0
      || cc_json_parse (text, "manifest", &b->doc, err) < 0
      || cc_store_read_blob (sv->store, b->m.config.digest, &ctext, &clen, err) < 0
      || cc_image_config_parse (ctext, clen, &b->cfg, err) < 0)
    return cc_error_wrap (err, "image %s", manifest);
  if (cc_strv_len (b->cfg.diff_ids) != b->m.n_layers)
    return cc_error_make (err, 0, "image %s: %zu layers but %zu diff ids", manifest, b->m.n_layers,
                          cc_strv_len (b->cfg.diff_ids));
  return 0;
}

static void
add_repositories (struct save *sv, const char *tag, const char *id)
{
  struct cc_image_ref ref cleanup_image_ref = { 0 };
  cleanup_free char *name = NULL;
  cJSON *repo;

  if (cc_image_ref_parse (tag, &ref, NULL) < 0 || ref.tag == NULL)
    return;
  name = cc_image_ref_familiar_name (&ref);
  repo = cJSON_GetObjectItemCaseSensitive (sv->repositories, name);
  if (repo == NULL)
    {
      repo = cJSON_CreateObject ();
      cc_json_set (sv->repositories, name, repo);
    }
  cc_json_set_string (repo, ref.tag, id + strlen ("sha256:"));
}

static void
add_docker_entry (struct save *sv, const struct image_blobs *b, char *const *tags)
{
  cJSON *entry = cJSON_CreateObject (), *rt = cJSON_CreateArray (), *layers = cJSON_CreateArray ();

  cleanup_free char *config = blob_name (b->m.config.digest);

  cc_json_set_string (entry, "Config", config);
  for (size_t i = 0; tags[i]; i++)
    {
      cleanup_free char *shown = cc_image_familiar (tags[i]);
      cJSON_AddItemToArray (rt, cJSON_CreateString (shown));
      add_repositories (sv, tags[i], b->m.config.digest);
    }
  cc_json_set (entry, "RepoTags", cJSON_GetArraySize (rt) ? rt : (cJSON_Delete (rt), cJSON_CreateNull ()));
  for (size_t i = 0; i < b->m.n_layers; i++)
    {
      cleanup_free char *layer = blob_name (b->cfg.diff_ids[i]);
      cJSON_AddItemToArray (layers, cJSON_CreateString (layer));
    }
  cc_json_set (entry, "Layers", layers);
  cJSON_AddItemToArray (sv->docker, entry);
}

static int
save_docker_image (struct save *sv, const struct saved *v, cc_error_t *err)
{
  struct image_blobs b __attribute__ ((cleanup (image_blobs_release))) = { 0 };
  cleanup_cjson cJSON *m = NULL;
  int64_t config_size = 0;

  if (read_image (sv, v->manifest, &b, err) < 0)
    return -1;
  if (put_blob (sv, b.m.config.digest, &config_size, err) < 0)
    return -1;
  m = manifest_json (MT_OCI_CONFIG, b.m.config.digest, config_size);
  for (size_t i = 0; i < b.m.n_layers; i++)
    {
      int64_t size = 0;
      if (put_layer_tar (sv, b.m.layers[i].digest, b.cfg.diff_ids[i], &size, err) < 0)
        return cc_error_wrap (err, "image %s", v->manifest);
      cJSON_AddItemToArray (cJSON_GetObjectItemCaseSensitive (m, "layers"),
                            descriptor (MT_OCI_LAYER, b.cfg.diff_ids[i], size));
    }
  add_docker_entry (sv, &b, v->tags);
  return put_manifest (sv, m, v->tags, err);
}

/* The stored manifest with OCI media types: the same bytes when it has
   them already, so the manifest digest stays the registry's.  */
static cJSON *
oci_manifest (const struct image_blobs *b)
{
  cJSON *m = cJSON_Duplicate (b->doc, true), *it;
  const char *mt = cc_json_get_string (m, "mediaType");

  if (mt)
    cc_json_set_string (m, "mediaType", oci_media_type (mt));
  it = cJSON_GetObjectItemCaseSensitive (m, "config");
  if (cc_json_get_string (it, "mediaType"))
    cc_json_set_string (it, "mediaType", oci_media_type (cc_json_get_string (it, "mediaType")));
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (m, "layers"))
  {
    if (cc_json_get_string (it, "mediaType"))
      cc_json_set_string (it, "mediaType", oci_media_type (cc_json_get_string (it, "mediaType")));
  }
  return m;
}

static bool
has_docker_types (const struct image_blobs *b)
{
  cleanup_cjson cJSON *m = oci_manifest (b);

  return ! cJSON_Compare (m, b->doc, true);
}

static int
save_oci_image (struct save *sv, const struct saved *v, cc_error_t *err)
{
  struct image_blobs b __attribute__ ((cleanup (image_blobs_release))) = { 0 };
  cleanup_cjson cJSON *m = NULL;
  cleanup_free char *text = NULL;
  cleanup_free char *name = NULL;
  int64_t size = 0;

  if (read_image (sv, v->manifest, &b, err) < 0)
    return -1;
  if (put_blob (sv, b.m.config.digest, NULL, err) < 0)
    return -1;
  for (size_t i = 0; i < b.m.n_layers; i++)
    if (put_blob (sv, b.m.layers[i].digest, NULL, err) < 0)
      return cc_error_wrap (err, "image %s", v->manifest);
  if (has_docker_types (&b))
    {
      m = oci_manifest (&b);
      return put_manifest (sv, m, v->tags, err);
    }
  if (put_blob (sv, v->manifest, &size, err) < 0)
    return -1;
  add_index_entries (sv, v->manifest, size, v->tags);
  return 0;
}

/* ---- which images, under which names ---------------------------------------- */

static void
add_saved (struct saved **v, size_t *n, const char *manifest, const char *tag)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp ((*v)[i].manifest, manifest) == 0)
      {
        if (tag && ! cc_strv_contains ((*v)[i].tags, tag))
          cc_strv_append (&(*v)[i].tags, tag);
        return;
      }
  *v = xreallocarray (*v, *n + 1, sizeof (**v));
  (*v)[*n].manifest = xstrdup (manifest);
  (*v)[*n].tags = xzalloc (sizeof (char *));
  if (tag)
    cc_strv_append (&(*v)[*n].tags, tag);
  (*n)++;
}

/* NAME without a tag: every tag of that repository, each with its image,
   as docker save does; false when the repository has none.  */
static bool
add_repository (cJSON *repos, const struct cc_image_ref *ref, struct saved **v, size_t *n)
{
  cleanup_free char *name = cc_image_ref_name (ref);
  size_t len = strlen (name);
  bool found = false;
  cJSON *it;

  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (repos, "references"))
  {
    if (cJSON_IsString (it) && strncmp (it->string, name, len) == 0 && it->string[len] == ':')
      {
        add_saved (v, n, it->valuestring, it->string);
        found = true;
      }
  }
  return found;
}

/* NAME:TAG saves that tag, NAME every tag of the repository, an id or
   NAME@DIGEST the image without a name.  */
static int
add_ref (struct cc_store *s, cJSON *repos, const char *text, struct saved **v, size_t *n, cc_error_t *err)
{
  struct cc_image_ref ref cleanup_image_ref = { 0 };
  cleanup_free char *manifest = NULL;
  cleanup_free char *full = NULL;
  const char *last = strrchr (text, '/');
  bool named = ! cc_image_is_digest (text) && cc_image_ref_parse (text, &ref, NULL) == 0 && ref.digest == NULL;

  if (named && strchr (last ? last : text, ':') == NULL && add_repository (repos, &ref, v, n))
    return 0;
  if (cc_store_lookup (s, repos, text, &manifest, err) < 0)
    return -1;
  /* A short id can also parse as a name: only a name the store has counts.  */
  full = named ? cc_image_ref_string (&ref) : NULL;
  if (full && ! cc_json_get_string (cJSON_GetObjectItemCaseSensitive (repos, "references"), full))
    {
      free (full);
      full = NULL;
    }
  add_saved (v, n, manifest, full);
  return 0;
}

static int
collect (struct cc_store *s, char *const *refs, struct saved **out, size_t *n_out, cc_error_t *err)
{
  cleanup_cjson cJSON *repos = NULL;
  struct saved *v = NULL;
  size_t n = 0;

  if (cc_store_repos_load (s, &repos, err) < 0)
    return -1;
  for (size_t i = 0; refs[i]; i++)
    if (add_ref (s, repos, refs[i], &v, &n, err) < 0)
      {
        saved_release (v, n);
        return -1;
      }
  *out = v;
  *n_out = n;
  return 0;
}

/* ---- entry point -------------------------------------------------------------- */

static int
write_images (struct save *sv, const struct saved *v, size_t n, cc_error_t *err)
{
  cJSON *idx = cJSON_CreateObject ();
  cleanup_cjson cJSON *layout = cJSON_CreateObject ();

  if (tar_header (sv, "blobs", -1, err) < 0 || tar_header (sv, "blobs/sha256", -1, err) < 0)
    {
      cJSON_Delete (idx);
      return -1;
    }
  for (size_t i = 0; i < n; i++)
    if ((sv->format == CC_IMAGE_SAVE_OCI ? save_oci_image (sv, &v[i], err) : save_docker_image (sv, &v[i], err)) < 0)
      {
        cJSON_Delete (idx);
        return -1;
      }
  cc_json_set_int (idx, "schemaVersion", 2);
  cc_json_set_string (idx, "mediaType", MT_OCI_INDEX);
  cc_json_set (idx, "manifests", steal_pointer (&sv->index));
  sv->index = idx;
  cc_json_set_string (layout, "imageLayoutVersion", "1.0.0");
  if (tar_json (sv, "index.json", sv->index, err) < 0 || tar_json (sv, "oci-layout", layout, err) < 0)
    return -1;
  if (sv->format == CC_IMAGE_SAVE_DOCKER
      && (tar_json (sv, "manifest.json", sv->docker, err) < 0
          || tar_json (sv, "repositories", sv->repositories, err) < 0))
    return -1;
  if (archive_write_close (sv->tar) != ARCHIVE_OK)
    return tar_error (sv, "finish", "archive", err);
  return 0;
}

int
cc_image_save (char *const *refs, enum cc_image_save_format format, int out_fd, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  struct save sv cleanup_save = { .store = &s, .format = format, .out_fd = out_fd };
  struct saved *v = NULL;
  size_t n = 0;
  int ret;

  if (refs == NULL || refs[0] == NULL)
    return cc_error_make (err, 0, "save: no image named");
  if (cc_store_open (&s, false, err) < 0 || collect (&s, refs, &v, &n, err) < 0)
    return -1;
  sv.index = cJSON_CreateArray ();
  sv.docker = cJSON_CreateArray ();
  sv.repositories = cJSON_CreateObject ();
  ret = tar_open (&sv, err) < 0 ? -1 : write_images (&sv, v, n, err);
  saved_release (v, n);
  return ret;
}
