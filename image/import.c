/* Bringing images into the store: OCI image layouts (directories or
   tarballs), docker-archive tarballs (`docker save`), and single-layer
   images from a rootfs tarball (`docker import`).  A tarball is first
   unpacked under the store's tmp/ (no owners, no devices), then read as
   a directory; every file of a source is opened with RESOLVE_IN_ROOT, so
   a name in its JSON cannot point outside it.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "image/internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/clock.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* A name to record for an image (REF NULL: the image alone).  */
struct queued
{
  char *manifest, *id, *ref;
};

struct load
{
  struct cc_store *store;
  int srcfd; /* the layout or archive directory */
  const char *source;
  cc_image_loaded_fn cb;
  void *opaque;
  int loaded;
  struct queued *queued;
  size_t n_queued, cap_queued;
};

static int
open_in_source (struct load *l, const char *path, cc_error_t *err)
{
  struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd = (int)syscall (SYS_openat2, l->srcfd, path, &how, sizeof (how));

  if (fd < 0)
    return cc_error_make (err, errno, "open `%s` in `%s`", path, l->source);
  return fd;
}

/* Manifests and indexes are small; a bigger one is hostile.  */
#define MAX_JSON_SIZE (16 * 1024 * 1024)

static int
read_in_source (struct load *l, const char *path, char **out, size_t *len, cc_error_t *err)
{
  cleanup_close int fd = open_in_source (l, path, err);
  struct cc_buf b = { 0 };
  char chunk[65536];
  ssize_t n;

  if (fd < 0)
    return -1;
  while ((n = read (fd, chunk, sizeof (chunk))) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 || b.len + (size_t)n > MAX_JSON_SIZE)
        {
          cc_buf_reset (&b);
          return n < 0 ? cc_error_make (err, errno, "read `%s`", path)
                       : cc_error_make (err, 0, "`%s` is too big", path);
        }
      cc_buf_append (&b, chunk, (size_t)n);
    }
  if (len)
    *len = b.len;
  *out = cc_buf_steal (&b);
  return 0;
}

/* ---- OCI layout ------------------------------------------------------- */

static int
copy_blob (struct load *l, const struct cc_descriptor *d, cc_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;

  if (cc_store_has_blob (l->store, d->digest))
    return 0;
  path = xasprintf ("blobs/sha256/%s", d->digest + 7);
  fd = open_in_source (l, path, err);
  if (fd < 0)
    return cc_error_wrap (err, "manifest points to a missing blob %s", d->digest);
  if (cc_store_put_blob_fd (l->store, fd, d->digest, d->size, NULL, err) < 0)
    return cc_error_wrap (err, "`%s` in `%s`", path, l->source);
  return 0;
}

/* Manifests, indexes and configs are read whole into memory: refuse a
   descriptor that announces a giant one before copying a byte.  */
static int
copy_json_blob (struct load *l, const struct cc_descriptor *d, cc_error_t *err)
{
  if (d->size > MAX_JSON_SIZE)
    return cc_error_make (err, 0, "refusing %s: %lld bytes for a JSON document (at most %d)", d->digest,
                          (long long)d->size, MAX_JSON_SIZE);
  return copy_blob (l, d, err);
}

static int
read_config (struct load *l, const char *digest, struct cc_image_config *cfg, cc_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;

  if (cc_store_read_blob (l->store, digest, &text, &len, err) < 0)
    return -1;
  return cc_image_config_parse (text, len, cfg, err);
}

static int
unpack_layers (struct load *l, const struct cc_manifest *m, const struct cc_image_config *cfg, cc_error_t *err)
{
  if (cc_strv_len (cfg->diff_ids) != m->n_layers)
    return cc_error_make (err, 0, "manifest has %zu layers but its config lists %zu diff ids", m->n_layers,
                          cc_strv_len (cfg->diff_ids));
  for (size_t i = 0; i < m->n_layers; i++)
    if (cc_store_unpack_layer (l->store, m->layers[i].digest, cfg->diff_ids[i], NULL, err) < 0)
      return -1;
  return 0;
}

static char *
normalize_name (const char *name)
{
  cleanup_error cc_error_t err = NULL;
  char *ref;

  if (name == NULL)
    return NULL;
  ref = cc_image_ref_normalize (name, &err);
  if (ref == NULL)
    cc_warn ("ignoring the name `%s` of an image: %s", name, err->msg);
  return ref;
}

static void
report_retag (const char *ref, const char *old_id)
{
  cleanup_free char *name = cc_image_familiar (ref);

  cc_warn ("%s now names the loaded image; it named %.19s before", name, old_id);
}

/* A docker-save entry names its image a handful of times; far more is
   hostile, and every later command reading the references would pay
   for it.  */
#define MAX_NAMES_PER_IMAGE 100000

static void
queue (struct load *l, const char *manifest, const char *id, char *ref)
{
  if (l->n_queued == l->cap_queued)
    {
      l->cap_queued = l->cap_queued ? 2 * l->cap_queued : 8;
      l->queued = xreallocarray (l->queued, l->cap_queued, sizeof (*l->queued));
    }
  l->queued[l->n_queued++] = (struct queued){ xstrdup (manifest), xstrdup (id), ref };
}

/* Names are recorded once the whole source is loaded, in one write of
   repositories.json (publish_queued).  */
static int
register_image (struct load *l, const char *manifest, const char *id, char *const *names, cc_error_t *err)
{
  size_t n = cc_strv_len (names);

  if (n > MAX_NAMES_PER_IMAGE)
    return cc_error_make (err, E2BIG, "image %.19s has %zu names, more than %d", id, n, MAX_NAMES_PER_IMAGE);
  if (n == 0)
    queue (l, manifest, id, NULL);
  for (size_t i = 0; i < n; i++)
    queue (l, manifest, id, normalize_name (names[i]));
  l->loaded++;
  return 0;
}

static int
publish_queued (struct load *l, cc_error_t *err)
{
  cleanup_free struct cc_store_ref *refs = xzalloc ((l->n_queued + 1) * sizeof (*refs));
  int ret;

  for (size_t i = 0; i < l->n_queued; i++)
    refs[i] = (struct cc_store_ref){ l->queued[i].manifest, l->queued[i].id, l->queued[i].ref, NULL };
  ret = cc_store_add_images (l->store, refs, l->n_queued, err);
  for (size_t i = 0; i < l->n_queued; i++)
    {
      /* Another manifest of the same config (a save in another format)
         is the same image: nothing to warn about.  */
      if (ret == 0 && refs[i].replaced && strcmp (refs[i].replaced, refs[i].id) != 0)
        report_retag (refs[i].ref, refs[i].replaced);
      if (ret == 0 && l->cb)
        l->cb (l->opaque, refs[i].ref, refs[i].id);
      free (refs[i].replaced);
    }
  return ret;
}

static void
load_release (struct load *l)
{
  for (size_t i = 0; i < l->n_queued; i++)
    {
      free (l->queued[i].manifest);
      free (l->queued[i].id);
      free (l->queued[i].ref);
    }
  free (l->queued);
}

static int
load_oci_manifest (struct load *l, const struct cc_descriptor *d, const char *name, cc_error_t *err)
{
  struct cc_manifest m cleanup_manifest = { 0 };
  struct cc_image_config cfg cleanup_image_config = { 0 };
  cleanup_free char *text = NULL;
  size_t len;

  if (copy_json_blob (l, d, err) < 0 || cc_store_read_blob (l->store, d->digest, &text, &len, err) < 0
      || cc_manifest_parse (text, len, &m, err) < 0)
    return -1;
  if (copy_json_blob (l, &m.config, err) < 0 || read_config (l, m.config.digest, &cfg, err) < 0)
    return -1;
  for (size_t i = 0; i < m.n_layers; i++)
    if (copy_blob (l, &m.layers[i], err) < 0)
      return -1;
  if (unpack_layers (l, &m, &cfg, err) < 0)
    return -1;
  return register_image (l, d->digest, m.config.digest, (char *[]){ (char *)name, NULL }, err);
}

static int load_oci_entry (struct load *l, const struct cc_descriptor *d, const char *name, int depth, cc_error_t *err);

static int
load_oci_nested_index (struct load *l, const struct cc_descriptor *d, const char *name, int depth, cc_error_t *err)
{
  struct cc_index idx cleanup_index = { 0 };
  cleanup_free char *text = NULL;
  const struct cc_descriptor *pick;
  size_t len;

  if (depth > 4)
    return cc_error_make (err, 0, "image index nested too deeply");
  if (copy_json_blob (l, d, err) < 0 || cc_store_read_blob (l->store, d->digest, &text, &len, err) < 0
      || cc_index_parse (text, len, &idx, err) < 0)
    return -1;
  pick = cc_index_pick_platform (&idx);
  if (pick == NULL)
    return cc_error_make (err, 0, "image index %s has no image for linux/%s", d->digest, cc_host_arch ());
  return load_oci_entry (l, pick, name, depth + 1, err);
}

static bool
is_index_type (const char *mt)
{
  return mt && (strcmp (mt, MT_OCI_INDEX) == 0 || strcmp (mt, MT_DOCKER_LIST) == 0);
}

static int
load_oci_entry (struct load *l, const struct cc_descriptor *d, const char *name, int depth, cc_error_t *err)
{
  if (is_index_type (d->media_type))
    return load_oci_nested_index (l, d, name, depth, err);
  if (d->os && strcmp (d->os, "linux") != 0)
    return 0;
  if (d->arch && strcmp (d->arch, cc_host_arch ()) != 0)
    return 0;
  return load_oci_manifest (l, d, name, err);
}

static int
load_oci (struct load *l, cc_error_t *err)
{
  struct cc_index idx cleanup_index = { 0 };
  cleanup_free char *text = NULL;
  size_t len;

  if (read_in_source (l, "index.json", &text, &len, err) < 0 || cc_index_parse (text, len, &idx, err) < 0)
    return cc_error_wrap (err, "OCI layout `%s`", l->source);
  for (size_t i = 0; i < idx.n; i++)
    if (load_oci_entry (l, &idx.manifests[i], idx.manifests[i].name, 0, err) < 0)
      return cc_error_wrap (err, "OCI layout `%s`", l->source);
  if (l->loaded == 0)
    return cc_error_make (err, 0, "OCI layout `%s` holds no image for linux/%s", l->source, cc_host_arch ());
  return 0;
}

/* ---- docker-archive ------------------------------------------------------ */

static const char *
layer_media_type (struct cc_store *s, const char *digest)
{
  cleanup_free char *p = cc_store_blob_path (s, digest);
  cleanup_close int fd = open (p, O_RDONLY | O_CLOEXEC);
  unsigned char magic[4] = { 0 };

  if (fd >= 0 && read (fd, magic, sizeof (magic)) == (ssize_t)sizeof (magic))
    {
      if (magic[0] == 0x1f && magic[1] == 0x8b)
        return MT_OCI_LAYER_GZIP;
      if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
        return MT_OCI_LAYER_ZSTD;
    }
  return MT_OCI_LAYER;
}

static cJSON *
descriptor_json (const char *mt, const char *digest, int64_t size)
{
  cJSON *d = cJSON_CreateObject ();

  cc_json_set_string (d, "mediaType", mt);
  cc_json_set_string (d, "digest", digest);
  cc_json_set_int (d, "size", size);
  return d;
}

static int64_t
blob_size (struct cc_store *s, const char *digest)
{
  cleanup_free char *p = cc_store_blob_path (s, digest);
  struct stat st;

  return stat (p, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* An OCI manifest for a config and layers already in the store.  */
static int
write_manifest (struct cc_store *s, const char *config, char *const *layers, char **out, cc_error_t *err)
{
  cleanup_cjson cJSON *m = cJSON_CreateObject ();
  cleanup_free char *text = NULL;
  cJSON *arr = cJSON_CreateArray ();

  cc_json_set_int (m, "schemaVersion", 2);
  cc_json_set_string (m, "mediaType", MT_OCI_MANIFEST);
  cc_json_set (m, "config", descriptor_json (MT_OCI_CONFIG, config, blob_size (s, config)));
  for (size_t i = 0; layers[i]; i++)
    cJSON_AddItemToArray (arr, descriptor_json (layer_media_type (s, layers[i]), layers[i], blob_size (s, layers[i])));
  cc_json_set (m, "layers", arr);
  text = cJSON_PrintUnformatted (m);
  return cc_store_put_blob_data (s, text, strlen (text), out, err);
}

static int
put_source_file (struct load *l, const char *path, char **digest, cc_error_t *err)
{
  cleanup_close int fd = open_in_source (l, path, err);

  if (fd < 0)
    return -1;
  return cc_store_put_blob_fd (l->store, fd, NULL, -1, digest, err);
}

static char **
string_array (const cJSON *arr)
{
  char **v = xzalloc (sizeof (char *));
  const cJSON *it;

  cJSON_ArrayForEach (it, arr)
  {
    if (cJSON_IsString (it))
      cc_strv_append (&v, it->valuestring);
  }
  return v;
}

static int
load_docker_entry (struct load *l, const cJSON *entry, cc_error_t *err)
{
  const char *config_path = cc_json_get_string (entry, "Config");
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive (entry, "Layers"), *it;
  struct cc_image_config cfg cleanup_image_config = { 0 };
  cleanup_strv char **tags = string_array (cJSON_GetObjectItemCaseSensitive (entry, "RepoTags"));
  cleanup_strv char **blobs = xzalloc (sizeof (char *));
  cleanup_free char *config = NULL;
  cleanup_free char *manifest = NULL;
  size_t i = 0;

  if (config_path == NULL || ! cJSON_IsArray (layers))
    return cc_error_make (err, 0, "manifest.json: an entry lacks `Config` or `Layers`");
  if (put_source_file (l, config_path, &config, err) < 0)
    return -1;
  if (blob_size (l->store, config) > MAX_JSON_SIZE)
    return cc_error_make (err, 0, "manifest.json: config `%s` is too big for a JSON document", config_path);
  if (read_config (l, config, &cfg, err) < 0)
    return -1;
  if ((size_t)cJSON_GetArraySize (layers) != cc_strv_len (cfg.diff_ids))
    return cc_error_make (err, 0, "manifest.json: %d layers but the config lists %zu diff ids",
                          cJSON_GetArraySize (layers), cc_strv_len (cfg.diff_ids));
  cJSON_ArrayForEach (it, layers)
  {
    char *digest = NULL;
    if (! cJSON_IsString (it))
      return cc_error_make (err, 0, "manifest.json: layer %zu is not a path", i);
    if (put_source_file (l, it->valuestring, &digest, err) < 0)
      return cc_error_wrap (err, "manifest.json: layer %zu", i);
    cc_strv_push (&blobs, digest);
    if (cc_store_unpack_layer (l->store, digest, cfg.diff_ids[i], NULL, err) < 0)
      return -1;
    i++;
  }
  if (write_manifest (l->store, config, blobs, &manifest, err) < 0)
    return -1;
  return register_image (l, manifest, config, tags, err);
}

static int
load_docker_archive (struct load *l, cc_error_t *err)
{
  cleanup_cjson cJSON *doc = NULL;
  cleanup_free char *text = NULL;
  const cJSON *it;

  if (read_in_source (l, "manifest.json", &text, NULL, err) < 0 || cc_json_parse (text, "manifest.json", &doc, err) < 0)
    return cc_error_wrap (err, "docker archive `%s`", l->source);
  if (! cJSON_IsArray (doc) || cJSON_GetArraySize (doc) == 0)
    return cc_error_make (err, 0, "docker archive `%s`: manifest.json is not a non-empty array", l->source);
  cJSON_ArrayForEach (it, doc)
  {
    if (load_docker_entry (l, it, err) < 0)
      return cc_error_wrap (err, "docker archive `%s`", l->source);
  }
  return 0;
}

/* ---- entry points ----------------------------------------------------------- */

static bool
source_has (struct load *l, const char *name)
{
  return faccessat (l->srcfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
load_dir (struct load *l, const char *dir, cc_error_t *err)
{
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return cc_error_make (err, errno, "open `%s`", dir);
  l->srcfd = fd;
  if (source_has (l, "index.json") && source_has (l, "oci-layout"))
    return load_oci (l, err);
  if (source_has (l, "manifest.json"))
    return load_docker_archive (l, err);
  if (source_has (l, "index.json"))
    return load_oci (l, err);
  return cc_error_make (err, 0,
                        "`%s` is neither an OCI image layout (oci-layout, index.json) nor a docker archive "
                        "(manifest.json)",
                        l->source);
}

/* Unpack the archive PATH under tmp/ and load from there.  */
static int
load_tarball (struct load *l, const char *path, cc_error_t *err)
{
  cleanup_free char *tmp = NULL;
  /* `-` is standard input: the archive is streamed, never seeked.  */
  cleanup_close int in = strcmp (path, "-") == 0 ? dup (STDIN_FILENO) : open (path, O_RDONLY | O_CLOEXEC);
  cleanup_close int dfd = -1;
  cc_error_t ignored = NULL;
  int ret;

  if (in < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  if (cc_store_mktemp (l->store, &tmp, err) < 0)
    return -1;
  dfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ret = dfd < 0 ? cc_error_make (err, errno, "open `%s`", tmp)
                : cc_layer_extract (in, dfd, 0, NULL, NULL, NULL, NULL, err);
  if (ret < 0)
    cc_error_wrap (err, "archive `%s`", path);
  else
    ret = load_dir (l, tmp, err);
  cc_rm_rf (tmp, &ignored);
  cc_error_release (&ignored);
  return ret;
}

int
cc_image_load (const char *path, cc_image_loaded_fn cb, void *opaque, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  struct load l = { .store = &s, .srcfd = -1, .source = path, .cb = cb, .opaque = opaque };
  int ret;

  if (cc_store_open (&s, false, err) < 0)
    return -1;
  ret = cc_is_dir (path) ? load_dir (&l, path, err) : load_tarball (&l, path, err);
  if (ret == 0)
    ret = publish_queued (&l, err);
  if (ret < 0)
    cc_gc_after_failure (&s);
  load_release (&l);
  return ret;
}

/* ---- import ROOTFS.tar ------------------------------------------------------- */

/* CONFIG (taken over) is the `config` object the changes gave.  */
static int
write_import_config (struct cc_store *s, const char *diff_id, const char *source, cJSON *config,
                     const struct cc_image_import_opts *o, char **out, cc_error_t *err)
{
  cleanup_cjson cJSON *c = cJSON_CreateObject ();
  cleanup_free char *text = NULL;
  cleanup_free char *base = cc_path_basename (source);
  cleanup_free char *comment = o->message ? xstrdup (o->message) : xasprintf ("Imported from %s", base);
  cleanup_free char *now = cc_now_rfc3339_nano ();
  cJSON *rootfs = cJSON_CreateObject (), *ids = cJSON_CreateArray (), *hist = cJSON_CreateArray ();
  cJSON *h = cJSON_CreateObject ();

  cc_json_set_string (c, "architecture", cc_host_arch ());
  cc_json_set_string (c, "os", "linux");
  cc_json_set_string (c, "created", now);
  if (o->message)
    cc_json_set_string (c, "comment", o->message);
  cc_json_set (c, "config", config);
  cc_json_set_string (rootfs, "type", "layers");
  cJSON_AddItemToArray (ids, cJSON_CreateString (diff_id));
  cc_json_set (rootfs, "diff_ids", ids);
  cc_json_set (c, "rootfs", rootfs);
  cc_json_set_string (h, "created", now);
  cc_json_set_string (h, "created_by", "ccompose image import");
  cc_json_set_string (h, "comment", comment);
  cJSON_AddItemToArray (hist, h);
  cc_json_set (c, "history", hist);
  text = cJSON_PrintUnformatted (c);
  return cc_store_put_blob_data (s, text, strlen (text), out, err);
}

static int
open_rootfs (const char *tarball, cc_error_t *err)
{
  /* `-` is standard input, as for docker import.  */
  int fd = strcmp (tarball, "-") == 0 ? fcntl (STDIN_FILENO, F_DUPFD_CLOEXEC, 0) : open (tarball, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return cc_error_make (err, errno, "open `%s`", tarball);
  return fd;
}

static int
import_into (struct cc_store *s, const char *tarball, const char *ref, const struct cc_image_import_opts *o,
             char **id_out, cc_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *blob = NULL;
  cleanup_free char *diff_id = NULL;
  cleanup_free char *config = NULL;
  cleanup_free char *manifest = NULL;
  cleanup_cjson cJSON *changed = NULL;

  /* A bad change fails before the rootfs is read.  */
  if (cc_image_changes_config (o->changes, &changed, err) < 0)
    return -1;
  fd = open_rootfs (tarball, err);
  if (fd < 0)
    return -1;
  if (cc_store_put_blob_fd (s, fd, NULL, -1, &blob, err) < 0
      || cc_store_unpack_layer (s, blob, NULL, &diff_id, err) < 0)
    return cc_error_wrap (err, "import `%s`", tarball);
  if (write_import_config (s, diff_id, tarball, steal_pointer (&changed), o, &config, err) < 0
      || write_manifest (s, config, (char *[]){ blob, NULL }, &manifest, err) < 0
      || cc_store_add_image (s, manifest, config, ref, NULL, err) < 0)
    return -1;
  if (id_out)
    *id_out = steal_pointer (&config);
  return 0;
}

int
cc_image_import (const char *tarball, const char *ref, const struct cc_image_import_opts *opts, char **id_out,
                 cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  static const struct cc_image_import_opts none = { 0 };
  cleanup_free char *full = NULL;

  if (ref)
    {
      full = cc_image_ref_normalize (ref, err);
      if (full == NULL)
        return -1;
    }
  if (cc_store_open (&s, false, err) < 0)
    return -1;
  if (import_into (&s, tarball, full, opts ? opts : &none, id_out, err) < 0)
    {
      cc_gc_after_failure (&s);
      return -1;
    }
  return 0;
}

int
cc_image_import_rootfs (const char *tarball, const char *ref, char **id_out, cc_error_t *err)
{
  return cc_image_import (tarball, ref, NULL, id_out, err);
}
