/* Cache records: cc_data_dir()/builder/cache/<key hex>.json, one per
   step key (cache keys in cachekey.c), naming the layer the step made
   and when it ran.  The layer itself stays in the image store under the
   hold `bc-<key hex>`, written before the layer is published, so GC
   never takes a layer a record names; `builder prune` drops both.  A
   record whose layer is gone (the store was wiped) is a miss.  */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "builder/exec.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static char *
record_path (const char *key)
{
  return cc_paths_builder ("cache/%s.json", key + strlen ("sha256:"));
}

char *
cc_bld_cache_hold_name (const char *key)
{
  return xasprintf ("bc-%s", key + strlen ("sha256:"));
}

void
cc_bld_cache_record_release (struct cc_bld_cache_record *r)
{
  free (r->layer);
  free (r->created);
  r->layer = r->created = NULL;
}

int
cc_bld_cache_lookup (const char *key, struct cc_bld_cache_record *out)
{
  cleanup_free char *path = record_path (key);
  cleanup_free char *dir = NULL;
  cleanup_cjson cJSON *j = NULL;
  const char *layer, *created;

  memset (out, 0, sizeof (*out));
  if (cc_json_load_file (path, &j, NULL) < 0)
    return 0;
  layer = cc_json_get_string (j, "layer");
  created = cc_json_get_string (j, "created");
  if (created == NULL)
    return 0;
  if (layer && (dir = cc_image_layer_dir (layer)) == NULL)
    return 0;
  out->layer = layer ? xstrdup (layer) : NULL;
  out->created = xstrdup (created);
  return 1;
}

int
cc_bld_cache_store (const char *key, const struct cc_bld_cache_record *r, cc_error_t *err)
{
  cleanup_free char *dir = cc_paths_builder ("cache");
  cleanup_free char *path = record_path (key);
  cleanup_cjson cJSON *j = cJSON_CreateObject ();

  if (cc_mkdir_p (dir, 0700, err) < 0)
    return -1;
  if (r->layer)
    cc_json_set_string (j, "layer", r->layer);
  else
    cc_json_set (j, "layer", cJSON_CreateNull ());
  cc_json_set_string (j, "created", r->created);
  /* Not fsynced: a record lost or torn by a power failure is a miss.  */
  {
    cleanup_free char *text = cJSON_PrintUnformatted (j);
    return cc_write_file_replace (path, text, strlen (text), 0600, err);
  }
}

/* Records of layers an image still uses are kept unless ALL: their layers
   stay in the store anyway, and they make the next build fast.  */
static bool
layer_in_use (const char *layer, char *const *used)
{
  for (; used && *used; used++)
    if (strcmp (*used, layer) == 0)
      return true;
  return false;
}

static char **
layers_of_images (void)
{
  struct cc_image **list = NULL;
  size_t n = 0;
  char **out = xzalloc (sizeof (char *));
  cleanup_error cc_error_t ignored = NULL;

  if (cc_image_list (&list, &n, &ignored) < 0)
    return out;
  for (size_t i = 0; i < n; i++)
    for (char **d = list[i]->config.diff_ids; d && *d; d++)
      cc_strv_append (&out, *d);
  cc_image_list_free (list, n);
  return out;
}

int
cc_builder_prune (bool all, int64_t *reclaimed, cc_error_t *err)
{
  cleanup_free char *dir = cc_paths_builder ("cache");
  cleanup_free char *mounts = cc_paths_builder ("cache-mounts");
  cleanup_strv char **used = all ? NULL : layers_of_images ();
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL, *key = NULL, *hold = NULL;
      cleanup_cjson cJSON *j = NULL;
      const char *layer;
      size_t len = strlen (de->d_name);

      if (len != 64 + 5 || strcmp (de->d_name + 64, ".json") != 0)
        continue;
      path = cc_path_join (dir, de->d_name);
      key = xasprintf ("sha256:%.64s", de->d_name);
      if (cc_json_load_file (path, &j, NULL) == 0 && (layer = cc_json_get_string (j, "layer")) != NULL
          && layer_in_use (layer, used))
        continue;
      hold = cc_bld_cache_hold_name (key);
      if (unlink (path) < 0 && errno != ENOENT)
        return cc_error_make (err, errno, "remove `%s`", path);
      if (cc_image_unhold (hold, err) < 0)
        return -1;
    }
  /* A build killed between holding a layer and recording it leaves a
     hold without a record.  */
  {
    cleanup_strv char **holds = cc_image_hold_names ();
    for (char **h = holds; *h; h++)
      {
        cleanup_free char *rec = NULL;
        if (strncmp (*h, "bc-", 3) != 0)
          continue;
        rec = xasprintf ("%s/%s.json", dir, *h + 3);
        if (! cc_file_exists (rec) && cc_image_unhold (*h, err) < 0)
          return -1;
      }
  }
  if (all && cc_rm_rf (mounts, err) < 0)
    return -1;
  return cc_image_sweep (reclaimed, err);
}
