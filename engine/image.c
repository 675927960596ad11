/* The `image` commands over the image store: a facade over image/, so
   that the CLI parses and prints while the store is reached only through
   the engine.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/builder.h"
#include "engine/engine.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

char *
cc_engine_image_familiar (const char *ref)
{
  return cc_image_familiar (ref);
}

int
cc_engine_image_load (const char *path, cc_engine_image_loaded_fn cb, void *opaque, cc_error_t *err)
{
  return cc_image_load (path, cb, opaque, err);
}

int
cc_engine_image_pull (const char *ref, bool quiet, cc_error_t *err)
{
  return cc_image_pull (ref, quiet, err);
}

int
cc_engine_image_push (const char *ref, bool quiet, cc_error_t *err)
{
  return cc_image_push (ref, quiet, NULL, err);
}

/* Into a temporary file next to PATH, renamed over it once whole: a
   failed save leaves no partial archive under the name asked for.  */
static int
save_to_file (char *const *refs, enum cc_image_save_format format, const char *path, cc_error_t *err)
{
  cleanup_free char *tmp = xasprintf ("%s.ccompose-XXXXXX", path);
  cleanup_close int fd = mkostemp (tmp, O_CLOEXEC);

  if (fd < 0)
    return cc_error_make (err, errno, "create `%s`", tmp);
  if (fchmod (fd, 0644) < 0 || cc_image_save (refs, format, fd, err) < 0 || fsync (fd) < 0 || rename (tmp, path) < 0)
    {
      if (err && *err == NULL)
        cc_error_make (err, errno, "write `%s`", path);
      unlink (tmp);
      return -1;
    }
  return 0;
}

int
cc_engine_image_save (char *const *refs, bool oci, const char *path, cc_error_t *err)
{
  enum cc_image_save_format format = oci ? CC_IMAGE_SAVE_OCI : CC_IMAGE_SAVE_DOCKER;

  fflush (stdout);
  return path ? save_to_file (refs, format, path, err) : cc_image_save (refs, format, STDOUT_FILENO, err);
}

int
cc_engine_image_import (const char *tarball, const char *ref, char *const *changes, const char *message, char **id,
                        cc_error_t *err)
{
  struct cc_image_import_opts o = { .changes = changes, .message = message };

  return cc_image_import (tarball, ref, &o, id, err);
}

int
cc_engine_image_tag (const char *src, const char *dst, cc_error_t *err)
{
  return cc_image_tag (src, dst, err);
}

static cJSON *
image_row (const struct cc_image *img, const char *full)
{
  struct cc_image_ref ref cleanup_image_ref = { 0 };
  cJSON *o = cJSON_CreateObject ();
  bool named = full && cc_image_ref_parse (full, &ref, NULL) == 0;
  cleanup_free char *repository = named ? cc_image_ref_familiar_name (&ref) : xstrdup ("<none>");

  cc_json_set_string (o, "ID", img->id);
  cc_json_set_string (o, "Repository", repository);
  cc_json_set_string (o, "Tag", named && ref.tag ? ref.tag : "<none>");
  cc_json_set_string (o, "Digest", img->manifest_digest);
  cc_json_set_string (o, "CreatedAt", img->config.created ? img->config.created : "");
  cc_json_set_int (o, "Size", img->size);
  return o;
}

int
cc_engine_image_rows (cJSON **out, cc_error_t *err)
{
  struct cc_image **list = NULL;
  cJSON *rows;
  size_t n = 0;

  if (cc_image_list (&list, &n, err) < 0)
    return -1;
  rows = cJSON_CreateArray ();
  for (size_t i = 0; i < n; i++)
    {
      if (list[i]->repo_tags == NULL || list[i]->repo_tags[0] == NULL)
        cJSON_AddItemToArray (rows, image_row (list[i], NULL));
      for (char **t = list[i]->repo_tags; t && *t; t++)
        cJSON_AddItemToArray (rows, image_row (list[i], *t));
    }
  cc_image_list_free (list, n);
  *out = rows;
  return 0;
}

int
cc_engine_image_inspect (const char *ref, cJSON **out, cc_error_t *err)
{
  return cc_image_inspect_json (ref, out, err);
}

int
cc_engine_image_remove (const char *ref, bool force, cc_engine_image_removed_fn cb, void *opaque, cc_error_t *err)
{
  return cc_image_remove (ref, force, cb, opaque, err);
}

int
cc_engine_image_prune (bool all, cc_engine_image_removed_fn cb, void *opaque, int64_t *reclaimed, cc_error_t *err)
{
  return cc_image_prune (all, cb, opaque, reclaimed, err);
}

int
cc_engine_image_pin (const char *owner, const char *ref, char **lower, cc_error_t *err)
{
  cleanup_image struct cc_image *img = NULL;

  if (cc_image_acquire (ref, owner, &img, err) < 0)
    return -1;
  *lower = cc_strv_join (img->layers, ":");
  return 0;
}

int
cc_engine_image_unpin (const char *owner, cc_error_t *err)
{
  return cc_image_unpin (owner, err);
}

int
cc_engine_image_build (const struct cc_build_request *req, char **image_id, cc_error_t *err)
{
  return cc_builder_build (req, image_id, err);
}

int
cc_engine_builder_prune (bool all, int64_t *reclaimed, cc_error_t *err)
{
  return cc_builder_prune (all, reclaimed, err);
}
