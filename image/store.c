/* The image store on disk (layout in image.h).  Writers hold the store
   lock shared, GC holds it exclusive, so two loads run side by side and
   GC never deletes what a load is about to reference.  Nothing becomes
   visible until it is whole and verified: blobs and layers are written
   under tmp/ and renamed into place.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/internal.h"
#include "lib/cleanup.h"
#include "lib/clock.h"
#include "lib/crash.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strmap.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define REPOS_FILE "repositories.json"
#define REPOS_LOCK "repositories.lock"

static const char *const store_dirs[] = { "blobs/sha256", "layers", "l", "tmp", "pins", "holds" };

static int
open_lock (const char *root, const char *name, bool exclusive, int *out, cc_error_t *err)
{
  cleanup_free char *path = cc_path_join (root, name);
  cleanup_close int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  /* Says after a second who holds it: a GC or a stuck load would
     otherwise hang every `up` without a word.  */
  if (cc_flock_wait (fd, exclusive ? LOCK_EX : LOCK_SH, path, err) < 0)
    return -1;
  *out = get_and_reset (&fd);
  return 0;
}

int
cc_store_open (struct cc_store *s, bool exclusive, cc_error_t *err)
{
  memset (s, 0, sizeof (*s));
  s->lock_fd = s->root_fd = -1;
  s->root = cc_paths_image_store ();
  for (size_t i = 0; i < CC_N_ELEMENTS (store_dirs); i++)
    {
      cleanup_free char *d = cc_path_join (s->root, store_dirs[i]);
      if (cc_mkdir_p (d, 0700, err) < 0)
        return cc_error_wrap (err, "image store");
    }
  s->root_fd = open (s->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (s->root_fd < 0)
    return cc_error_make (err, errno, "open `%s`", s->root);
  return open_lock (s->root, "lock", exclusive, &s->lock_fd, err);
}

void
cc_store_close (struct cc_store *s)
{
  if (s->lock_fd >= 0)
    close (s->lock_fd);
  if (s->root_fd >= 0)
    close (s->root_fd);
  free (s->root);
  memset (s, 0, sizeof (*s));
  s->lock_fd = s->root_fd = -1;
}

/* ---- blobs ---------------------------------------------------------- */

char *
cc_store_blob_path (const struct cc_store *s, const char *digest)
{
  return xasprintf ("%s/blobs/sha256/%s", s->root, digest + strlen ("sha256:"));
}

char *
cc_store_layer_path (const struct cc_store *s, const char *diff_id)
{
  return xasprintf ("%s/layers/%s", s->root, diff_id + strlen ("sha256:"));
}

bool
cc_store_has_blob (const struct cc_store *s, const char *digest)
{
  cleanup_free char *p = cc_store_blob_path (s, digest);

  return cc_file_exists (p);
}

static int
temp_file (struct cc_store *s, char **path, cc_error_t *err)
{
  cleanup_free char *tmpl = xasprintf ("%s/tmp/blob-XXXXXX", s->root);
  int fd = mkostemp (tmpl, O_CLOEXEC);

  if (fd < 0)
    return cc_error_make (err, errno, "create a temporary file in `%s/tmp`", s->root);
  *path = steal_pointer (&tmpl);
  return fd;
}

static int
copy_hashing (int in, int out, struct cc_sha256 *h, int64_t *total, cc_error_t *err)
{
  cleanup_free char *buf = xmalloc (256 * 1024);
  ssize_t n;

  *total = 0;
  while ((n = read (in, buf, 256 * 1024)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cc_error_make (err, errno, "read blob");
      cc_sha256_update (h, buf, (size_t)n);
      if (cc_write_all (out, buf, (size_t)n) < 0)
        return cc_error_make (err, errno, "write blob");
      *total += n;
    }
  return 0;
}

/* A rename is durable only once its directory is synced.  */
static void
sync_parent (const char *path)
{
  cleanup_free char *dir = cc_path_dirname (path);
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    fsync (fd);
}

/* Verify then publish TMP as the blob GOT.  */
static int
publish_blob (struct cc_store *s, const char *tmp, int fd, const char *want, const char *got, int64_t size,
              int64_t total, cc_error_t *err)
{
  cleanup_free char *dst = NULL;

  if (want && strcmp (want, got) != 0)
    return cc_error_make (err, 0, "blob digest mismatch: expected %s, got %s", want, got);
  if (size >= 0 && size != total)
    return cc_error_make (err, 0, "blob %s: size %lld, expected %lld", got, (long long)total, (long long)size);
  if (fsync (fd) < 0)
    return cc_error_make (err, errno, "fsync `%s`", tmp);
  dst = cc_store_blob_path (s, got);
  cc_crash_point ("image blob written");
  if (rename (tmp, dst) < 0)
    return cc_error_make (err, errno, "rename `%s` to `%s`", tmp, dst);
  sync_parent (dst);
  cc_crash_point ("image blob published");
  return 0;
}

int
cc_store_put_blob_fd (struct cc_store *s, int fd, const char *digest, int64_t size, char **out, cc_error_t *err)
{
  cleanup_sha256 struct cc_sha256 *h = NULL;
  cleanup_free char *tmp = NULL;
  cleanup_free char *got = NULL;
  cleanup_close int tfd = -1;
  int64_t total;

  if (digest && cc_store_has_blob (s, digest))
    {
      if (out)
        *out = xstrdup (digest);
      return 0;
    }
  h = cc_sha256_new ();
  tfd = temp_file (s, &tmp, err);
  if (tfd < 0)
    return -1;
  if (copy_hashing (fd, tfd, h, &total, err) < 0)
    goto fail;
  got = cc_sha256_final (h);
  if (publish_blob (s, tmp, tfd, digest, got, size, total, err) < 0)
    goto fail;
  if (out)
    *out = steal_pointer (&got);
  return 0;
fail:
  unlink (tmp);
  return -1;
}

int
cc_store_blob_tempfile (struct cc_store *s, char **path, cc_error_t *err)
{
  return temp_file (s, path, err);
}

int
cc_store_blob_publish (struct cc_store *s, const char *tmp, int fd, const char *digest, int64_t size, const char *got,
                       int64_t total, cc_error_t *err)
{
  if (publish_blob (s, tmp, fd, digest, got, size, total, err) < 0)
    {
      unlink (tmp);
      return -1;
    }
  return 0;
}

int
cc_store_put_blob_data (struct cc_store *s, const void *data, size_t len, char **out, cc_error_t *err)
{
  cleanup_free char *digest = cc_sha256_data (data, len);
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;

  if (! cc_store_has_blob (s, digest))
    {
      fd = temp_file (s, &tmp, err);
      if (fd < 0)
        return -1;
      if (cc_write_all (fd, data, len) < 0 || publish_blob (s, tmp, fd, NULL, digest, -1, (int64_t)len, err) < 0)
        {
          if (err && *err == NULL)
            cc_error_make (err, errno, "write `%s`", tmp);
          unlink (tmp);
          return -1;
        }
    }
  if (out)
    *out = steal_pointer (&digest);
  return 0;
}

int
cc_store_read_blob (const struct cc_store *s, const char *digest, char **out, size_t *len, cc_error_t *err)
{
  cleanup_free char *p = NULL;

  if (! cc_image_is_digest (digest))
    return cc_error_make (err, 0, "invalid digest `%s`", digest);
  p = cc_store_blob_path (s, digest);
  if (cc_read_file (p, out, len, err) < 0)
    return cc_error_wrap (err, "blob %s", digest);
  return 0;
}

int
cc_store_mktemp (struct cc_store *s, char **path, cc_error_t *err)
{
  cleanup_free char *tmpl = xasprintf ("%s/tmp/dir-XXXXXX", s->root);

  if (mkdtemp (tmpl) == NULL)
    return cc_error_make (err, errno, "create a temporary directory in `%s/tmp`", s->root);
  *path = steal_pointer (&tmpl);
  return 0;
}

/* ---- layers ------------------------------------------------------------ */

static bool
has_layer (const struct cc_store *s, const char *diff_id)
{
  cleanup_free char *p = cc_store_layer_path (s, diff_id);

  return cc_is_dir (p);
}

static int
extract_into (struct cc_store *s, const char *tmp, const char *digest, const char *diff_id, char **diff_out,
              cc_error_t *err)
{
  cleanup_free char *blob = cc_store_blob_path (s, digest);
  cleanup_free char *diff = cc_path_join (tmp, "diff");
  cleanup_free char *sizef = cc_path_join (tmp, "size");
  cleanup_free char *size_text = NULL;
  cleanup_close int bfd = open (blob, O_RDONLY | O_CLOEXEC);
  cleanup_close int dfd = -1;
  int64_t size = 0;

  if (bfd < 0)
    return cc_error_make (err, errno, "open blob `%s`", blob);
  if (mkdir (diff, 0755) < 0 || (dfd = open (diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return cc_error_make (err, errno, "create `%s`", diff);
  if (cc_layer_extract (bfd, dfd, CC_LAYER_ROOTFS, digest, diff_id, diff_out, &size, err) < 0)
    return cc_error_wrap (err, "layer %s", digest);
  size_text = xasprintf ("%lld\n", (long long)size);
  if (cc_write_file_atomic (sizef, size_text, strlen (size_text), 0644, err) < 0)
    return -1;
  /* The rename publishes the layer: its contents must be on disk first.  */
  if (syncfs (dfd) < 0)
    return cc_error_make (err, errno, "sync `%s`", diff);
  return 0;
}

int
cc_store_unpack_layer (struct cc_store *s, const char *digest, const char *diff_id, char **diff_id_out, cc_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_free char *got = NULL;
  cleanup_free char *dst = NULL;
  cc_error_t ignored = NULL;

  if (diff_id && has_layer (s, diff_id))
    return 0;
  if (cc_store_mktemp (s, &tmp, err) < 0)
    return -1;
  if (extract_into (s, tmp, digest, diff_id, &got, err) < 0)
    goto fail;
  dst = cc_store_layer_path (s, got);
  cc_crash_point ("image layer extracted");
  /* Another load may have published the same layer meanwhile: keep theirs.  */
  if (rename (tmp, dst) < 0 && errno != EEXIST && errno != ENOTEMPTY)
    {
      cc_error_make (err, errno, "rename `%s` to `%s`", tmp, dst);
      goto fail;
    }
  sync_parent (dst);
  cc_crash_point ("image layer published");
  cc_rm_rf (tmp, &ignored);
  cc_error_release (&ignored);
  if (diff_id_out)
    *diff_id_out = steal_pointer (&got);
  return 0;
fail:
  cc_rm_rf (tmp, &ignored);
  cc_error_release (&ignored);
  return -1;
}

/* ---- repositories.json ------------------------------------------------- */

int
cc_store_repos_load (struct cc_store *s, cJSON **out, cc_error_t *err)
{
  cleanup_free char *path = cc_path_join (s->root, REPOS_FILE);
  cJSON *j = NULL;

  if (! cc_file_exists (path))
    j = cJSON_CreateObject ();
  else if (cc_json_load_file (path, &j, err) < 0)
    return -1;
  if (! cJSON_IsObject (cJSON_GetObjectItemCaseSensitive (j, "images")))
    cc_json_set (j, "images", cJSON_CreateObject ());
  if (! cJSON_IsObject (cJSON_GetObjectItemCaseSensitive (j, "references")))
    cc_json_set (j, "references", cJSON_CreateObject ());
  *out = j;
  return 0;
}

int
cc_store_repos_edit (struct cc_store *s, cc_repos_edit_fn edit, void *opaque, cc_error_t *err)
{
  cleanup_close int lfd = -1;
  cleanup_cjson cJSON *repos = NULL;
  cleanup_free char *path = cc_path_join (s->root, REPOS_FILE);

  if (open_lock (s->root, REPOS_LOCK, true, &lfd, err) < 0 || cc_store_repos_load (s, &repos, err) < 0
      || edit (repos, opaque, err) < 0)
    return -1;
  cc_crash_point ("image references edited");
  if (cc_json_save_file (path, repos, err) < 0)
    return -1;
  cc_crash_point ("image references saved");
  return 0;
}

struct add_images
{
  struct cc_store_ref *refs;
  size_t n;
};

/* Every key of OBJ, to find them without a walk of the object each.  */
static void
index_keys (cJSON *obj, struct cc_strmap *m)
{
  for (cJSON *it = obj->child; it; it = it->next)
    if (it->string)
      cc_strmap_put (m, it->string, it);
}

static void
add_manifest (cJSON *images, struct cc_strmap *known, const struct cc_store_ref *r)
{
  cleanup_free char *now = NULL;
  cJSON *entry;

  if (cc_strmap_get (known, r->manifest))
    return;
  now = cc_now_rfc3339_nano ();
  entry = cJSON_CreateObject ();
  cc_json_set_string (entry, "id", r->id);
  cc_json_set_string (entry, "loaded", now);
  cJSON_AddItemToObject (images, r->manifest, entry);
  cc_strmap_put (known, entry->string, entry);
}

static void
point_ref (cJSON *refs, struct cc_strmap *known_images, struct cc_strmap *known_refs, struct cc_store_ref *r)
{
  cJSON *item = cc_strmap_get (known_refs, r->ref);

  if (item == NULL)
    {
      item = cJSON_CreateString (r->manifest);
      cJSON_AddItemToObject (refs, r->ref, item);
      cc_strmap_put (known_refs, item->string, item);
      return;
    }
  if (cJSON_IsString (item) && strcmp (item->valuestring, r->manifest) != 0)
    {
      const cJSON *old = cc_strmap_get (known_images, item->valuestring);
      const char *old_id = cc_json_get_string (old, "id");
      free (r->replaced);
      r->replaced = xstrdup (old_id ? old_id : item->valuestring);
    }
  if (! cJSON_IsString (item) || cJSON_SetValuestring (item, r->manifest) == NULL)
    {
      /* Not a string (a hand-edited file): replaced whole.  */
      cJSON *fresh = cJSON_CreateString (r->manifest);
      cJSON_ReplaceItemViaPointer (refs, item, fresh);
      cc_strmap_put (known_refs, fresh->string, fresh);
    }
}

static int
add_images_edit (cJSON *repos, void *opaque, cc_error_t *err)
{
  struct add_images *a = opaque;
  cJSON *images = cJSON_GetObjectItemCaseSensitive (repos, "images");
  cJSON *refs = cJSON_GetObjectItemCaseSensitive (repos, "references");
  cleanup_strmap struct cc_strmap known_images = { 0 }, known_refs = { 0 };

  (void)err;
  index_keys (images, &known_images);
  index_keys (refs, &known_refs);
  for (size_t i = 0; i < a->n; i++)
    {
      add_manifest (images, &known_images, &a->refs[i]);
      if (a->refs[i].ref)
        point_ref (refs, &known_images, &known_refs, &a->refs[i]);
    }
  return 0;
}

int
cc_store_add_images (struct cc_store *s, struct cc_store_ref *refs, size_t n, cc_error_t *err)
{
  struct add_images a = { refs, n };

  return cc_store_repos_edit (s, add_images_edit, &a, err);
}

int
cc_store_add_image (struct cc_store *s, const char *manifest, const char *id, const char *ref, char **replaced,
                    cc_error_t *err)
{
  struct cc_store_ref r = { manifest, id, ref, NULL };
  int ret = cc_store_add_images (s, &r, 1, err);

  if (ret == 0 && replaced)
    *replaced = steal_pointer (&r.replaced);
  free (r.replaced);
  return ret;
}

/* ---- where blobs came from ------------------------------------------------ */

/* repositories.json `sources`: {DIGEST: ["host/repo", ...]}, newest last,
   so a push can ask its registry to mount a blob from a repository that
   has it rather than upload it again.  */
#define SOURCES_KEY "sources"
#define MAX_SOURCES 8

struct note_sources
{
  char *const *digests;
  const char *source;
};

static void
note_one (cJSON *map, const char *digest, const char *source)
{
  cJSON *list = cJSON_GetObjectItemCaseSensitive (map, digest), *it;

  if (! cJSON_IsArray (list))
    {
      list = cJSON_CreateArray ();
      cc_json_set (map, digest, list);
    }
  cJSON_ArrayForEach (it, list)
  {
    if (cJSON_IsString (it) && strcmp (it->valuestring, source) == 0)
      {
        cJSON_Delete (cJSON_DetachItemViaPointer (list, it));
        break;
      }
  }
  cJSON_AddItemToArray (list, cJSON_CreateString (source));
  while (cJSON_GetArraySize (list) > MAX_SOURCES)
    cJSON_DeleteItemFromArray (list, 0);
}

static int
note_sources_edit (cJSON *repos, void *opaque, cc_error_t *err)
{
  struct note_sources *n = opaque;
  cJSON *map = cJSON_GetObjectItemCaseSensitive (repos, SOURCES_KEY);

  (void)err;
  if (! cJSON_IsObject (map))
    {
      map = cJSON_CreateObject ();
      cc_json_set (repos, SOURCES_KEY, map);
    }
  for (size_t i = 0; n->digests[i]; i++)
    note_one (map, n->digests[i], n->source);
  return 0;
}

int
cc_store_note_sources (struct cc_store *s, char *const *digests, const char *source, cc_error_t *err)
{
  struct note_sources n = { digests, source };

  return cc_store_repos_edit (s, note_sources_edit, &n, err);
}

/* ---- when each reference was last pulled ----------------------------------- */

/* repositories.json `pulled`: {REF: RFC 3339 time}, what Docker's
   LastTagTime is to Compose's daily/weekly/every_ pull policies.  */
#define PULLED_KEY "pulled"

static int
note_pulled_edit (cJSON *repos, void *opaque, cc_error_t *err)
{
  const char *ref = opaque;
  cJSON *refs = cJSON_GetObjectItemCaseSensitive (repos, "references");
  cJSON *map = cJSON_GetObjectItemCaseSensitive (repos, PULLED_KEY), *it, *next;
  cleanup_free char *now = cc_now_rfc3339_nano ();

  (void)err;
  if (! cJSON_IsObject (map))
    {
      map = cJSON_CreateObject ();
      cc_json_set (repos, PULLED_KEY, map);
    }
  /* References removed since (image rm) are forgotten here too.  */
  for (it = map->child; it; it = next)
    {
      next = it->next;
      if (! cJSON_GetObjectItemCaseSensitive (refs, it->string))
        cJSON_Delete (cJSON_DetachItemViaPointer (map, it));
    }
  cc_json_set_string (map, ref, now);
  return 0;
}

int
cc_store_note_pulled (struct cc_store *s, const char *ref, cc_error_t *err)
{
  return cc_store_repos_edit (s, note_pulled_edit, (void *)ref, err);
}

const char *
cc_store_pulled_at (cJSON *repos, const char *ref)
{
  return cc_json_get_string (cJSON_GetObjectItemCaseSensitive (repos, PULLED_KEY), ref);
}

char **
cc_store_sources_of (cJSON *repos, const char *digest)
{
  cJSON *list = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (repos, SOURCES_KEY), digest), *it;
  char **v = xzalloc (sizeof (char *));

  cJSON_ArrayForEach (it, list)
  {
    if (cJSON_IsString (it))
      cc_strv_append (&v, it->valuestring);
  }
  return v;
}
