/* Pins: an image in use by a container is never deleted, only untagged;
   its manifest, config, blobs and layers stay until the last pin goes.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ---- pins ----------------------------------------------------------------- */

static bool
is_owner_name (const char *s)
{
  if (*s == '\0' || *s == '.' || strlen (s) > 200)
    return false;
  return strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen (s);
}

static int
write_pin (struct cc_store *s, const char *owner, const char *image, const char *manifest, cc_error_t *err)
{
  cleanup_cjson cJSON *pin = cJSON_CreateObject ();
  cleanup_free char *path = xasprintf ("%s/pins/%s", s->root, owner);

  cc_json_set_string (pin, "image", image);
  cc_json_set_string (pin, "manifest", manifest);
  return cc_json_save_file (path, pin, err);
}

int
cc_image_pin (const char *owner, const char *image_id, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  cleanup_cjson cJSON *repos = NULL;
  cleanup_free char *manifest = NULL;

  if (! is_owner_name (owner))
    return cc_error_make (err, 0, "invalid pin owner `%s`", owner);
  /* The shared lock keeps GC out between the lookup and the pin.  */
  if (cc_store_open (&s, false, err) < 0 || cc_store_repos_load (&s, &repos, err) < 0
      || cc_store_lookup (&s, repos, image_id, &manifest, err) < 0)
    return -1;
  return write_pin (&s, owner, image_id, manifest, err);
}

int
cc_image_acquire (const char *ref, const char *owner, struct cc_image **out, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  cleanup_cjson cJSON *repos = NULL;
  cleanup_free char *manifest = NULL;
  cleanup_image struct cc_image *img = NULL;

  if (! is_owner_name (owner))
    return cc_error_make (err, 0, "invalid pin owner `%s`", owner);
  if (cc_store_open (&s, false, err) < 0 || cc_store_repos_load (&s, &repos, err) < 0
      || cc_store_lookup (&s, repos, ref, &manifest, err) < 0
      || cc_store_image_from_manifest (&s, repos, manifest, &img, err) < 0
      || write_pin (&s, owner, img->id, manifest, err) < 0)
    return -1;
  cc_store_name_image (img, ref);
  *out = steal_pointer (&img);
  return 0;
}

/* A name no owner has (owners start with a letter or digit), and that
   names OWNER alone: `_` then the index, `_`, the owner.  */
char *
cc_image_pin_owner_extra (const char *owner, size_t k)
{
  return xasprintf ("_%zu_%s", k, owner);
}

static int
unpin_one (const char *owner, bool *gone, cc_error_t *err)
{
  cleanup_free char *path = cc_paths_image_store_file ("pins/%s", owner);

  *gone = unlink (path) < 0;
  if (*gone && errno != ENOENT)
    return cc_error_make (err, errno, "unpin `%s`", owner);
  return 0;
}

int
cc_image_unpin (const char *owner, cc_error_t *err)
{
  bool gone;

  if (! is_owner_name (owner))
    return cc_error_make (err, 0, "invalid pin owner `%s`", owner);
  if (unpin_one (owner, &gone, err) < 0)
    return -1;
  /* Its extra pins were made from 0 up, so the first missing ends them.  */
  for (size_t k = 0;; k++)
    {
      cleanup_free char *extra = cc_image_pin_owner_extra (owner, k);
      if (unpin_one (extra, &gone, err) < 0)
        return -1;
      if (gone)
        return 0;
    }
}

char **
cc_store_pinned (struct cc_store *s)
{
  cleanup_free char *dir = cc_path_join (s->root, "pins");
  cleanup_dir DIR *d = opendir (dir);
  char **out = xzalloc (sizeof (char *));
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *p = NULL;
      cleanup_cjson cJSON *pin = NULL;
      const char *m;
      if (de->d_name[0] == '.')
        continue;
      p = cc_path_join (dir, de->d_name);
      if (cc_json_load_file (p, &pin, NULL) < 0)
        continue;
      m = cc_json_get_string (pin, "manifest");
      if (cc_image_is_digest (m))
        cc_strv_append (&out, m);
    }
  return out;
}
