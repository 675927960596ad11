/* What the Dockerfile builder (builder/) puts into the store, and how the
   store keeps its cache.

   Layers the builder makes are stored UNCOMPRESSED, as BuildKit's docker
   exporter leaves them in dockerd: the blob is the layer tar itself
   (media type application/vnd.oci.image.layer.v1.tar, digest = diff
   id), and a push compresses.  The builder writes the tar and the
   unpacked tree on the data root's filesystem; publishing renames both
   into place, so nothing is copied or extracted again.

   Holds (holds/<owner>: {"layers": [diff ids]}) keep layers and their
   blobs from GC without an image naming them: the builder's cache
   records hold the layers of every step they remember.  A hold is
   written BEFORE its layer is published, so a GC running in between
   cannot sweep a layer nothing names yet.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

int
cc_image_config_blob (const struct cc_image *img, char **out, size_t *len, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };

  if (cc_store_open (&s, false, err) < 0)
    return -1;
  return cc_store_read_blob (&s, img->id, out, len, err);
}

char *
cc_image_layer_dir (const char *diff_id)
{
  cleanup_free char *dir = NULL;

  if (! cc_image_is_digest (diff_id))
    return NULL;
  dir = cc_paths_image_store_file ("layers/%s/diff", diff_id + 7);
  return cc_is_dir (dir) ? steal_pointer (&dir) : NULL;
}

char *
cc_image_store_tmp (void)
{
  return cc_paths_image_store_file ("tmp");
}

/* ---- holds ------------------------------------------------------------- */

static bool
is_hold_name (const char *s)
{
  return *s != '\0' && *s != '.' && strlen (s) <= 200
         && strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen (s);
}

int
cc_image_hold (const char *owner, char *const *diff_ids, cc_error_t *err)
{
  cleanup_free char *dir = cc_paths_image_store_file ("holds");
  cleanup_free char *path = NULL;
  cleanup_cjson cJSON *hold = cJSON_CreateObject ();
  cJSON *arr = cJSON_CreateArray ();

  if (! is_hold_name (owner))
    return cc_error_make (err, EINVAL, "invalid hold name `%s`", owner);
  if (cc_mkdir_p (dir, 0700, err) < 0)
    return -1;
  for (char *const *d = diff_ids; d && *d; d++)
    cJSON_AddItemToArray (arr, cJSON_CreateString (*d));
  cc_json_set (hold, "layers", arr);
  path = cc_path_join (dir, owner);
  /* Not fsynced: a hold lost in a power failure lets GC take a cached
     layer, which the builder then makes again.  */
  {
    cleanup_free char *text = cJSON_PrintUnformatted (hold);
    return cc_write_file_replace (path, text, strlen (text), 0600, err);
  }
}

int
cc_image_unhold (const char *owner, cc_error_t *err)
{
  cleanup_free char *path = NULL;

  if (! is_hold_name (owner))
    return cc_error_make (err, EINVAL, "invalid hold name `%s`", owner);
  path = cc_paths_image_store_file ("holds/%s", owner);
  if (unlink (path) < 0 && errno != ENOENT)
    return cc_error_make (err, errno, "remove hold `%s`", owner);
  return 0;
}

char **
cc_image_hold_names (void)
{
  cleanup_free char *dir = cc_paths_image_store_file ("holds");
  cleanup_dir DIR *d = opendir (dir);
  char **out = xzalloc (sizeof (char *));
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      cc_strv_append (&out, de->d_name);
  return out;
}

void
cc_store_held (struct cc_store *s, char ***blobs, char ***layers)
{
  cleanup_free char *dir = cc_path_join (s->root, "holds");
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *p = NULL;
      cleanup_cjson cJSON *hold = NULL;
      const cJSON *it;

      if (de->d_name[0] == '.')
        continue;
      p = cc_path_join (dir, de->d_name);
      if (cc_json_load_file (p, &hold, NULL) < 0)
        continue;
      cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (hold, "layers"))
      {
        if (! cJSON_IsString (it) || ! cc_image_is_digest (it->valuestring))
          continue;
        cc_strv_append (blobs, it->valuestring);
        cc_strv_append (layers, it->valuestring);
      }
    }
}

/* ---- layers ------------------------------------------------------------ */

static int
publish_blob_file (struct cc_store *s, const char *tar, const char *diff_id, cc_error_t *err)
{
  cleanup_free char *dst = NULL;

  if (cc_store_has_blob (s, diff_id))
    {
      unlink (tar);
      return 0;
    }
  dst = cc_store_blob_path (s, diff_id);
  cc_crash_point ("build layer blob publish");
  if (rename (tar, dst) < 0)
    return cc_error_make (err, errno, "rename `%s` to `%s`", tar, dst);
  return 0;
}

static int
publish_layer_dir (struct cc_store *s, const char *dir, const char *diff_id, int64_t size, cc_error_t *err)
{
  cleanup_free char *dst = cc_store_layer_path (s, diff_id);
  cleanup_free char *sizef = cc_path_join (dir, "size");
  cleanup_free char *text = xasprintf ("%lld\n", (long long)size);

  if (cc_is_dir (dst))
    return 0;
  if (cc_write_file_atomic (sizef, text, strlen (text), 0644, err) < 0)
    return -1;
  cc_crash_point ("build layer publish");
  /* Another build may have published the same layer meanwhile: keep theirs.  */
  if (rename (dir, dst) < 0 && errno != EEXIST && errno != ENOTEMPTY)
    return cc_error_make (err, errno, "rename `%s` to `%s`", dir, dst);
  return 0;
}

int
cc_image_publish_layer (const char *dir, const char *tar, const char *diff_id, int64_t size, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };

  if (! cc_image_is_digest (diff_id))
    return cc_error_make (err, EINVAL, "invalid diff id `%s`", diff_id);
  if (cc_store_open (&s, false, err) < 0)
    return -1;
  if (publish_blob_file (&s, tar, diff_id, err) < 0 || publish_layer_dir (&s, dir, diff_id, size, err) < 0)
    return cc_error_wrap (err, "layer %s", diff_id);
  return 0;
}

/* ---- images ------------------------------------------------------------ */

static cJSON *
descriptor (const char *mt, const char *digest, int64_t size)
{
  cJSON *d = cJSON_CreateObject ();

  cc_json_set_string (d, "mediaType", mt);
  cc_json_set_string (d, "digest", digest);
  cc_json_set_int (d, "size", size);
  return d;
}

static int
blob_size (struct cc_store *s, const char *digest, int64_t *size, cc_error_t *err)
{
  cleanup_free char *p = cc_store_blob_path (s, digest);
  struct stat st;

  if (stat (p, &st) < 0)
    return cc_error_make (err, errno, "layer blob %s", digest);
  *size = st.st_size;
  return 0;
}

/* The layer descriptors of the base image's manifest: its blobs may be
   compressed, and are referenced as they are.  */
static int
base_layers (struct cc_store *s, const char *manifest, struct cc_manifest *m, cc_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;

  if (manifest == NULL)
    return 0;
  if (cc_store_read_blob (s, manifest, &text, &len, err) < 0 || cc_manifest_parse (text, len, m, err) < 0)
    return cc_error_wrap (err, "base image %s", manifest);
  return 0;
}

static int
write_manifest (struct cc_store *s, const char *config, size_t config_len, const char *base, size_t n_base,
                char *const *diff_ids, char **out, cc_error_t *err)
{
  cleanup_cjson cJSON *m = cJSON_CreateObject ();
  struct cc_manifest bm cleanup_manifest = { 0 };
  cleanup_free char *text = NULL;
  cJSON *layers = cJSON_CreateArray ();
  size_t i = 0;

  cc_json_set_int (m, "schemaVersion", 2);
  cc_json_set_string (m, "mediaType", MT_OCI_MANIFEST);
  cc_json_set (m, "config", descriptor (MT_OCI_CONFIG, config, (int64_t)config_len));
  cc_json_set (m, "layers", layers);
  if (base_layers (s, base, &bm, err) < 0)
    return -1;
  if (n_base > bm.n_layers)
    return cc_error_make (err, EINVAL, "base image %s has %zu layers, not %zu", base, bm.n_layers, n_base);
  for (char *const *d = diff_ids; d && *d; d++, i++)
    {
      int64_t size = 0;
      if (i < n_base)
        {
          const struct cc_descriptor *b = &bm.layers[i];
          /* A base removed meanwhile (the build pins it only while it
             executes steps) must not leave a manifest without blobs.  */
          if (! cc_store_has_blob (s, b->digest))
            return cc_error_make (err, ENOENT, "base image %s: layer %s is gone from the store", base, b->digest);
          cJSON_AddItemToArray (layers, descriptor (b->media_type ? b->media_type : MT_OCI_LAYER, b->digest, b->size));
          continue;
        }
      if (blob_size (s, *d, &size, err) < 0)
        return -1;
      cJSON_AddItemToArray (layers, descriptor (MT_OCI_LAYER, *d, size));
    }
  text = cJSON_PrintUnformatted (m);
  return cc_store_put_blob_data (s, text, strlen (text), out, err);
}

/* A rebuild that changed nothing: the image is there and every REFS
   entry names it already; repositories.json need not be written.  */
static bool
is_recorded (struct cc_store *s, const char *manifest, char *const *refs)
{
  cleanup_cjson cJSON *repos = NULL;
  const cJSON *images, *names;

  if (cc_store_repos_load (s, &repos, NULL) < 0)
    return false;
  images = cJSON_GetObjectItemCaseSensitive (repos, "images");
  names = cJSON_GetObjectItemCaseSensitive (repos, "references");
  if (cJSON_GetObjectItemCaseSensitive (images, manifest) == NULL)
    return false;
  for (char *const *r = refs; r && *r; r++)
    {
      cleanup_free char *full = cc_image_ref_normalize (*r, NULL);
      const char *m = full ? cc_json_get_string (names, full) : NULL;
      if (m == NULL || strcmp (m, manifest) != 0)
        return false;
    }
  return true;
}

int
cc_image_store_built (const char *config, const char *base_manifest, size_t n_base, char *const *diff_ids,
                      char *const *refs, char **id_out, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  cleanup_free char *id = NULL;
  cleanup_free char *manifest = NULL;

  /* The shared lock keeps GC out from the first blob to the last
     reference: nothing is swept in between.  */
  if (cc_store_open (&s, false, err) < 0)
    return -1;
  if (cc_store_put_blob_data (&s, config, strlen (config), &id, err) < 0
      || write_manifest (&s, id, strlen (config), base_manifest, n_base, diff_ids, &manifest, err) < 0)
    return -1;
  if (is_recorded (&s, manifest, refs))
    {
      if (id_out)
        *id_out = steal_pointer (&id);
      return 0;
    }
  if (cc_strv_len (refs) == 0 && cc_store_add_image (&s, manifest, id, NULL, NULL, err) < 0)
    return -1;
  for (char *const *r = refs; r && *r; r++)
    {
      cleanup_free char *full = cc_image_ref_normalize (*r, err);
      cleanup_free char *replaced = NULL;
      if (full == NULL || cc_store_add_image (&s, manifest, id, full, &replaced, err) < 0)
        return -1;
    }
  if (id_out)
    *id_out = steal_pointer (&id);
  return 0;
}

int
cc_image_sweep (int64_t *reclaimed, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };

  if (cc_store_open (&s, true, err) < 0)
    return -1;
  return cc_gc_sweep (&s, reclaimed, err);
}
