/* `commit`: a container's changes as a new image over its own (engine/
   commit.c reads the container; this file stores what it gives).  The
   image is its base's config document with the container's config (when
   given) and the changes applied, one more history
   entry as moby's daemon/commit.go writes it (author, comment, the
   container's command as created_by) and, unless nothing changed, one
   more layer: the tar the caller writes, stored uncompressed as the
   builder's layers are (image/build.c).  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"
#include "image/internal.h"
#include "lib/cleanup.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* A reference to tag the result with: a name, maybe a tag, no digest.  */
static int
check_ref (const char *ref, char **full, cc_error_t *err)
{
  cleanup_image_ref struct cc_image_ref r = { 0 };

  *full = NULL;
  if (ref == NULL)
    return 0;
  if (cc_image_ref_parse (ref, &r, err) < 0)
    return cc_error_wrap (err, "commit: invalid reference `%s`", ref);
  if (r.digest)
    return cc_error_make (err, EINVAL, "commit: `%s`: refusing to create a tag with a digest reference", ref);
  *full = cc_image_ref_string (&r);
  return 0;
}

/* The layer the caller writes, in a temporary file of the store that
   becomes its blob (the uncompressed tar: its digest is its diff id)
   and its unpacked tree.  *DIFF_ID stays NULL when the tar has no entry:
   moby then adds no layer and marks the history entry empty.  */
static int
store_layer (struct cc_store *s, const struct cc_image_commit_opts *o, char **diff_id, cc_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_free char *got = NULL;
  cleanup_close int fd = cc_store_blob_tempfile (s, &tmp, err);
  size_t entries = 0;
  struct stat st;

  *diff_id = NULL;
  if (fd < 0)
    return -1;
  if (o->write_layer (o->opaque, fd, &got, &entries, err) < 0 || fstat (fd, &st) < 0)
    {
      if (err && *err == NULL)
        cc_error_make (err, errno, "stat `%s`", tmp);
      unlink (tmp);
      return -1;
    }
  if (entries == 0)
    {
      unlink (tmp);
      return 0;
    }
  if (cc_store_blob_publish (s, tmp, fd, NULL, -1, got, st.st_size, err) < 0
      || cc_store_unpack_layer (s, got, got, NULL, err) < 0)
    return -1;
  *diff_id = steal_pointer (&got);
  return 0;
}

static void
append_history (cJSON *doc, const struct cc_image_commit_opts *o, const char *created, bool empty)
{
  cJSON *hist = cJSON_GetObjectItemCaseSensitive (doc, "history");
  cJSON *h = cJSON_CreateObject ();

  if (! cJSON_IsArray (hist))
    {
      hist = cJSON_CreateArray ();
      cc_json_set (doc, "history", hist);
    }
  cc_json_set_string (h, "created", created);
  if (o->author && *o->author)
    cc_json_set_string (h, "author", o->author);
  cc_json_set_string (h, "created_by", o->created_by ? o->created_by : "");
  if (o->message && *o->message)
    cc_json_set_string (h, "comment", o->message);
  if (empty)
    cJSON_AddItemToObject (h, "empty_layer", cJSON_CreateTrue ());
  cJSON_AddItemToArray (hist, h);
}

/* The new config blob: BASE's with CONFIG (taken over) in place of its
   own, DIFF_ID (may be NULL) on top of its layers.  */
static char *
child_config (const char *base, cJSON *config, const struct cc_image_commit_opts *o, const char *diff_id)
{
  cleanup_cjson cJSON *doc = cJSON_Parse (base);
  cleanup_free char *now = cc_now_rfc3339_nano ();
  cJSON *rootfs, *ids;

  if (doc == NULL)
    doc = cJSON_CreateObject ();
  cc_json_set (doc, "config", config);
  cc_json_set_string (doc, "created", now);
  cJSON_DeleteItemFromObjectCaseSensitive (doc, "author");
  cJSON_DeleteItemFromObjectCaseSensitive (doc, "comment");
  if (o->author && *o->author)
    cc_json_set_string (doc, "author", o->author);
  if (o->message && *o->message)
    cc_json_set_string (doc, "comment", o->message);
  rootfs = cJSON_GetObjectItemCaseSensitive (doc, "rootfs");
  if (! cJSON_IsObject (rootfs))
    {
      rootfs = cJSON_CreateObject ();
      cc_json_set_string (rootfs, "type", "layers");
      cc_json_set (doc, "rootfs", rootfs);
    }
  ids = cJSON_GetObjectItemCaseSensitive (rootfs, "diff_ids");
  if (! cJSON_IsArray (ids))
    {
      ids = cJSON_CreateArray ();
      cc_json_set (rootfs, "diff_ids", ids);
    }
  if (diff_id)
    cJSON_AddItemToArray (ids, cJSON_CreateString (diff_id));
  append_history (doc, o, now, diff_id == NULL);
  return cJSON_PrintUnformatted (doc);
}

/* The config blob *BLOB with CONFIG's fields in place of its own (what
   CONFIG leaves out, OnBuild or Shell, stays the image's).  */
static void
with_config (char **blob, const cJSON *config)
{
  cleanup_cjson cJSON *doc = cJSON_Parse (*blob);
  cJSON *mine;

  if (doc == NULL)
    doc = cJSON_CreateObject ();
  mine = cJSON_GetObjectItemCaseSensitive (doc, "config");
  if (! cJSON_IsObject (mine))
    {
      mine = cJSON_CreateObject ();
      cc_json_set (doc, "config", mine);
    }
  for (const cJSON *f = config->child; f; f = f->next)
    cc_json_set (mine, f->string, cJSON_Duplicate (f, true));
  free (*blob);
  *blob = cJSON_PrintUnformatted (doc);
}

static int
commit_into (struct cc_store *s, const struct cc_image *base, const char *ref, const struct cc_image_commit_opts *o,
             char **id_out, cc_error_t *err)
{
  cleanup_free char *blob = NULL;
  cleanup_free char *diff_id = NULL;
  cleanup_free char *config = NULL;
  cleanup_strv char **diff_ids = NULL;
  cleanup_cjson cJSON *changed = NULL;
  size_t len = 0;

  /* A bad change fails before the container is paused or read.  */
  if (cc_image_config_blob (base, &blob, &len, err) < 0)
    return -1;
  if (o->config)
    with_config (&blob, o->config);
  if (cc_image_changes_apply (blob, o->changes, true, &changed, err) < 0)
    return -1;
  if (store_layer (s, o, &diff_id, err) < 0)
    return -1;
  config = child_config (blob, steal_pointer (&changed), o, diff_id);
  diff_ids = cc_strv_dup (base->config.diff_ids);
  if (diff_id)
    cc_strv_append (&diff_ids, diff_id);
  return cc_image_store_built (config, base->manifest_digest, cc_strv_len (base->config.diff_ids), diff_ids,
                               ref ? (char *[]){ (char *)ref, NULL } : NULL, id_out, err);
}

int
cc_image_commit (const struct cc_image_commit_opts *o, char **id_out, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  cleanup_image struct cc_image *base = NULL;
  cleanup_free char *full = NULL;

  if (check_ref (o->ref, &full, err) < 0)
    return -1;
  if (cc_image_resolve (o->base, &base, err) < 0)
    return cc_error_wrap (err, "commit: the container's image");
  /* The shared lock keeps GC out until the image refers to the layer.  */
  if (cc_store_open (&s, false, err) < 0)
    return -1;
  if (commit_into (&s, base, full, o, id_out, err) < 0)
    {
      cc_gc_after_failure (&s);
      return -1;
    }
  return 0;
}
