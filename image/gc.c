/* References and garbage collection: `image rm`, `image prune`,
   `image tag`.  GC runs with the store lock exclusive, so no load is in
   flight: whatever no image refers to (blobs, layers, tmp/ leftovers of
   a crashed command) can go.  Images pinned by containers are never
   deleted, only untagged.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ---- mark --------------------------------------------------------------- */

/* Add the manifest, its config and layer blobs, and its layers' diff ids.
   A manifest or config that cannot be read stops the collection: guessing
   would delete the layers of an image that is still wanted.  */
static int
mark_manifest (struct cc_store *s, const char *manifest, char ***blobs, char ***layers, cc_error_t *err)
{
  struct cc_manifest m cleanup_manifest = { 0 };
  struct cc_image_config cfg cleanup_image_config = { 0 };
  cleanup_free char *text = NULL;
  cleanup_free char *ctext = NULL;
  size_t len;

  cc_strv_append (blobs, manifest);
  if (cc_store_read_blob (s, manifest, &text, &len, err) < 0 || cc_manifest_parse (text, len, &m, err) < 0)
    return cc_error_wrap (err, "image %s (remove it with `image rm`)", manifest);
  cc_strv_append (blobs, m.config.digest);
  for (size_t i = 0; i < m.n_layers; i++)
    cc_strv_append (blobs, m.layers[i].digest);
  if (cc_store_read_blob (s, m.config.digest, &ctext, &len, err) < 0
      || cc_image_config_parse (ctext, len, &cfg, err) < 0)
    return cc_error_wrap (err, "image %s (remove it with `image rm`)", manifest);
  for (char **d = cfg.diff_ids; *d; d++)
    cc_strv_append (layers, *d);
  return 0;
}

/* ---- sweep ------------------------------------------------------------- */

static int64_t
tree_bytes (const char *layer_dir)
{
  cleanup_free char *p = cc_path_join (layer_dir, "size");
  cleanup_free char *text = NULL;

  return cc_read_file (p, &text, NULL, NULL) == 0 ? strtoll (text, NULL, 10) : 0;
}

/* Remove every entry of DIR whose `sha256:NAME` is not in KEEP.  */
static int
sweep_dir (const char *dir, char *const *keep, bool layers, int64_t *reclaimed, cc_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return errno == ENOENT ? 0 : cc_error_make (err, errno, "open `%s`", dir);
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *digest = xasprintf ("sha256:%s", de->d_name);
      cleanup_free char *p = NULL;
      struct stat st;
      if (de->d_name[0] == '.' || (keep && cc_strv_contains (keep, digest)))
        continue;
      p = cc_path_join (dir, de->d_name);
      if (lstat (p, &st) == 0)
        *reclaimed += layers ? tree_bytes (p) : (int64_t)st.st_size;
      cc_debug ("gc: removing `%s`", p);
      cc_crash_point ("image gc removing");
      if (cc_rm_rf (p, err) < 0)
        return -1;
    }
  return 0;
}

/* Short links whose layer is gone.  */
static int
sweep_links (struct cc_store *s, cc_error_t *err)
{
  cleanup_free char *dir = cc_path_join (s->root, "l");
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    {
      struct stat st;
      if (de->d_name[0] == '.' || fstatat (dirfd (d), de->d_name, &st, 0) == 0)
        continue;
      if (unlinkat (dirfd (d), de->d_name, 0) < 0 && errno != ENOENT)
        return cc_error_make (err, errno, "remove `%s/%s`", dir, de->d_name);
    }
  return 0;
}

int
cc_gc_sweep (struct cc_store *s, int64_t *reclaimed, cc_error_t *err)
{
  cleanup_cjson cJSON *repos = NULL;
  cleanup_strv char **blobs = xzalloc (sizeof (char *));
  cleanup_strv char **layers = xzalloc (sizeof (char *));
  cleanup_strv char **pinned = cc_store_pinned (s);
  cleanup_free char *bdir = cc_path_join (s->root, "blobs/sha256");
  cleanup_free char *ldir = cc_path_join (s->root, "layers");
  cleanup_free char *tdir = cc_path_join (s->root, "tmp");
  int64_t dummy = 0;
  cJSON *it;

  if (reclaimed == NULL)
    reclaimed = &dummy;
  if (cc_store_repos_load (s, &repos, err) < 0)
    return -1;
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (repos, "images"))
  {
    if (cc_image_is_digest (it->string) && mark_manifest (s, it->string, &blobs, &layers, err) < 0)
      return cc_error_wrap (err, "garbage collection stopped");
  }
  for (char **p = pinned; *p; p++)
    if (mark_manifest (s, *p, &blobs, &layers, err) < 0)
      return cc_error_wrap (err, "garbage collection stopped");
  cc_store_mark_compressed (repos, &blobs);
  cc_store_held (s, &blobs, &layers);
  if (sweep_dir (bdir, blobs, false, reclaimed, err) < 0 || sweep_dir (ldir, layers, true, reclaimed, err) < 0
      || sweep_links (s, err) < 0)
    return -1;
  /* Exclusive lock: nothing under tmp/ belongs to a live command.  */
  return sweep_dir (tdir, NULL, false, reclaimed, err);
}

void
cc_gc_after_failure (struct cc_store *s)
{
  cleanup_error cc_error_t err = NULL;

  /* Only when no other command holds the store: a concurrent load may be
     about to reference the blobs this one wrote.  */
  if (flock (s->lock_fd, LOCK_EX | LOCK_NB) < 0)
    return;
  if (cc_gc_sweep (s, NULL, &err) < 0)
    cc_warn ("cleaning the image store after a failure: %s", err->msg);
  flock (s->lock_fd, LOCK_SH);
}

/* ---- rm, prune, tag ----------------------------------------------------- */

struct removal
{
  const char *text;
  bool force;
  bool prune_all;
  char **pinned;
  cc_image_removed_fn cb;
  void *opaque;
};

static void
report (struct removal *r, const char *what, const char *value)
{
  if (r->cb)
    r->cb (r->opaque, what, value);
}

static size_t
count_refs (cJSON *refs, const char *manifest)
{
  cJSON *it;
  size_t n = 0;

  cJSON_ArrayForEach (it, refs)
  {
    if (cJSON_IsString (it) && strcmp (it->valuestring, manifest) == 0)
      n++;
  }
  return n;
}

static void
untag_all (struct removal *r, cJSON *refs, const char *manifest)
{
  cJSON *it = refs->child;

  while (it)
    {
      cJSON *next = it->next;
      if (cJSON_IsString (it) && strcmp (it->valuestring, manifest) == 0)
        {
          report (r, "Untagged", it->string);
          cJSON_Delete (cJSON_DetachItemViaPointer (refs, it));
        }
      it = next;
    }
}

static void
delete_image (struct removal *r, cJSON *images, const char *manifest)
{
  cleanup_free char *m = xstrdup (manifest);
  const char *id = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (images, m), "id");

  report (r, "Deleted", id ? id : m);
  cJSON_DeleteItemFromObjectCaseSensitive (images, m);
}

static bool
is_tag_reference (const char *text, char **full)
{
  struct cc_image_ref ref cleanup_image_ref = { 0 };

  if (cc_image_is_digest (text) || cc_image_ref_parse (text, &ref, NULL) < 0 || ref.digest)
    return false;
  *full = cc_image_ref_string (&ref);
  return true;
}

static int
remove_edit (cJSON *repos, void *opaque, cc_error_t *err)
{
  struct removal *r = opaque;
  cJSON *images = cJSON_GetObjectItemCaseSensitive (repos, "images");
  cJSON *refs = cJSON_GetObjectItemCaseSensitive (repos, "references");
  cleanup_free char *manifest = NULL;
  cleanup_free char *full = NULL;
  bool pinned;

  if (cc_store_lookup (NULL, repos, r->text, &manifest, err) < 0)
    return -1;
  pinned = cc_strv_contains (r->pinned, manifest);
  if (pinned && ! r->force)
    return cc_error_make (err, 0, "unable to remove `%s` (must force): a container is using it", r->text);
  if (is_tag_reference (r->text, &full) && cJSON_GetObjectItemCaseSensitive (refs, full))
    {
      report (r, "Untagged", full);
      cJSON_DeleteItemFromObjectCaseSensitive (refs, full);
    }
  else
    {
      if (count_refs (refs, manifest) > 1 && ! r->force)
        return cc_error_make (err, 0,
                              "unable to delete `%s` (must be forced): the image is referenced in several "
                              "repositories",
                              r->text);
      untag_all (r, refs, manifest);
    }
  if (count_refs (refs, manifest) == 0 && ! pinned)
    delete_image (r, images, manifest);
  return 0;
}

int
cc_image_remove (const char *ref, bool force, cc_image_removed_fn cb, void *opaque, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  cleanup_strv char **pinned = NULL;
  struct removal r = { .text = ref, .force = force, .cb = cb, .opaque = opaque };

  if (cc_store_open (&s, true, err) < 0)
    return -1;
  pinned = r.pinned = cc_store_pinned (&s);
  if (cc_store_repos_edit (&s, remove_edit, &r, err) < 0)
    return -1;
  return cc_gc_sweep (&s, NULL, err);
}

static int
prune_edit (cJSON *repos, void *opaque, cc_error_t *err)
{
  struct removal *r = opaque;
  cJSON *images = cJSON_GetObjectItemCaseSensitive (repos, "images");
  cJSON *refs = cJSON_GetObjectItemCaseSensitive (repos, "references");
  cJSON *it = images->child;

  (void)err;
  while (it)
    {
      cJSON *next = it->next;
      bool unused = ! cc_strv_contains (r->pinned, it->string);
      if (unused && (r->prune_all || count_refs (refs, it->string) == 0))
        {
          untag_all (r, refs, it->string);
          delete_image (r, images, it->string);
        }
      it = next;
    }
  return 0;
}

int
cc_image_prune (bool all, cc_image_removed_fn cb, void *opaque, int64_t *reclaimed, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  cleanup_strv char **pinned = NULL;
  struct removal r = { .prune_all = all, .cb = cb, .opaque = opaque };

  if (cc_store_open (&s, true, err) < 0)
    return -1;
  pinned = r.pinned = cc_store_pinned (&s);
  if (cc_store_repos_edit (&s, prune_edit, &r, err) < 0)
    return -1;
  return cc_gc_sweep (&s, reclaimed, err);
}

struct tag
{
  const char *src;
  const char *dst;
};

static int
tag_edit (cJSON *repos, void *opaque, cc_error_t *err)
{
  struct tag *t = opaque;
  cleanup_free char *manifest = NULL;

  if (cc_store_lookup (NULL, repos, t->src, &manifest, err) < 0)
    return -1;
  cc_json_set_string (cJSON_GetObjectItemCaseSensitive (repos, "references"), t->dst, manifest);
  return 0;
}

int
cc_image_tag (const char *src, const char *dst, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  cleanup_free char *full = cc_image_ref_normalize (dst, err);
  struct cc_image_ref ref cleanup_image_ref = { 0 };
  struct tag t = { src, full };

  if (full == NULL)
    return -1;
  if (cc_image_ref_parse (dst, &ref, NULL) == 0 && ref.digest)
    return cc_error_make (err, 0, "refusing to tag with a digest reference `%s`", dst);
  if (cc_store_open (&s, false, err) < 0)
    return -1;
  return cc_store_repos_edit (&s, tag_edit, &t, err);
}
