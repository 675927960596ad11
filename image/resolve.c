/* Finding images in the store: references, ids and short ids, digests;
   building the cc_image a container needs (config, layer directories top
   first); listing.  */
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
#include "lib/strv.h"
#include "lib/xalloc.h"

/* overlayfs takes all its options in one page: with full layer paths
   (~100 bytes each) a mount fails past ~35 layers.  Each layer also gets
   a short link l/<16 hex> -> ../layers/<hex>/diff, and images list those.  */
#define SHORT_LINK_HEX 16

/* ---- lookup ------------------------------------------------------------- */

static bool
is_hex_prefix (const char *s)
{
  size_t n = strspn (s, "0123456789abcdef");

  return n >= 4 && s[n] == '\0' && n <= 64;
}

/* An image id (config digest) or a prefix of one.  */
static int
lookup_id (cJSON *repos, const char *text, char **manifest, cc_error_t *err)
{
  const char *hex = strncmp (text, "sha256:", 7) == 0 ? text + 7 : text;
  cJSON *images = cJSON_GetObjectItemCaseSensitive (repos, "images"), *it;
  const char *found = NULL;
  const char *found_id = NULL;

  cJSON_ArrayForEach (it, images)
  {
    const char *id = cc_json_get_string (it, "id");
    bool hit = (id && strncmp (id + 7, hex, strlen (hex)) == 0) || strncmp (it->string + 7, hex, strlen (hex)) == 0;
    if (! hit)
      continue;
    if (found && ! (id && found_id && strcmp (id, found_id) == 0))
      return cc_error_make (err, 0, "image id prefix `%s` is ambiguous", text);
    found = it->string;
    found_id = id;
  }
  if (found == NULL)
    return cc_error_make (err, ENOENT, "no such image `%s`", text);
  *manifest = xstrdup (found);
  return 0;
}

int
cc_store_lookup (struct cc_store *s, cJSON *repos, const char *text, char **manifest, cc_error_t *err)
{
  struct cc_image_ref ref cleanup_image_ref = { 0 };
  cleanup_error cc_error_t perr = NULL;
  cleanup_free char *full = NULL;
  const char *m;

  (void)s;
  if (cc_image_is_digest (text))
    return lookup_id (repos, text, manifest, err);
  /* Docker tries a short id before a name: `abcd` can be either.  */
  if (is_hex_prefix (text) && lookup_id (repos, text, manifest, NULL) == 0)
    return 0;
  if (cc_image_ref_parse (text, &ref, &perr) < 0)
    {
      *err = steal_pointer (&perr);
      return -1;
    }
  if (ref.digest)
    {
      if (cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (repos, "images"), ref.digest) == NULL)
        return cc_error_make (err, ENOENT, "no such image `%s`", text);
      *manifest = xstrdup (ref.digest);
      return 0;
    }
  full = cc_image_ref_string (&ref);
  m = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (repos, "references"), full);
  if (m == NULL)
    {
      cleanup_free char *shown = cc_image_familiar (full);
      return cc_error_make (err, ENOENT, "no such image `%s`", shown);
    }
  *manifest = xstrdup (m);
  return 0;
}

static int64_t
layer_size (const char *dir)
{
  cleanup_free char *p = cc_path_join (dir, "size");
  cleanup_free char *text = NULL;

  if (cc_read_file (p, &text, NULL, NULL) < 0)
    return 0;
  return strtoll (text, NULL, 10);
}

static char **
tags_of (cJSON *repos, const char *manifest)
{
  cJSON *refs = cJSON_GetObjectItemCaseSensitive (repos, "references"), *it;
  struct cc_strv_builder tags = { 0 };

  cJSON_ArrayForEach (it, refs)
  {
    if (cJSON_IsString (it) && strcmp (it->valuestring, manifest) == 0)
      cc_strv_builder_append (&tags, it->string);
  }
  return cc_strv_builder_steal (&tags);
}

char *
cc_store_short_link (const struct cc_store *s, const char *diff_id)
{
  return xasprintf ("%s/l/%.*s", s->root, SHORT_LINK_HEX, diff_id + strlen ("sha256:"));
}

/* The short path of a layer, made when missing; the full one if that fails.  */
static char *
layer_lowerdir (const struct cc_store *s, const char *diff_id, const char *dir)
{
  char *link = cc_store_short_link (s, diff_id);
  cleanup_free char *target = xasprintf ("../layers/%s/diff", diff_id + strlen ("sha256:"));

  if ((symlink (target, link) == 0 || errno == EEXIST) && cc_is_dir (link))
    return link;
  free (link);
  return cc_path_join (dir, "diff");
}

/* Whether the layer DIFF_IDS[I] (bottom first) appears again above I.  */
static bool
repeated_above (char *const *diff_ids, size_t n, size_t i)
{
  for (size_t j = i + 1; j < n; j++)
    if (strcmp (diff_ids[i], diff_ids[j]) == 0)
      return true;
  return false;
}

/* A layer may repeat (BuildKit writes the same empty layer for several
   steps; `A, B, A` stacks happen too), and overlayfs refuses one
   directory twice with ELOOP, whatever path or bind mount reaches it:
   it marks each lower root's inode.  Only the topmost copy is listed:
   every name a lower copy holds, the upper one holds too, with the same
   content, so it hides the lower copy wherever that could show; the
   merge equals applying every layer in order.  */
static int
fill_layers (struct cc_store *s, struct cc_image *img, cc_error_t *err)
{
  size_t n = cc_strv_len (img->config.diff_ids), k = 0;

  img->layers = xzalloc (sizeof (char *) * (n + 1));
  for (size_t i = n; i-- > 0;)
    {
      const char *d = img->config.diff_ids[i];
      cleanup_free char *dir = cc_store_layer_path (s, d);
      if (repeated_above (img->config.diff_ids, n, i))
        continue;
      if (! cc_is_dir (dir))
        return cc_error_make (err, ENOENT, "image %s: layer %s is not unpacked (load the image again)", img->id, d);
      img->size += layer_size (dir);
      img->layers[k++] = layer_lowerdir (s, d, dir);
    }
  return 0;
}

int
cc_store_image_from_manifest (struct cc_store *s, cJSON *repos, const char *manifest, struct cc_image **out,
                              cc_error_t *err)
{
  cleanup_image struct cc_image *img = xzalloc (sizeof (*img));
  struct cc_manifest m cleanup_manifest = { 0 };
  cleanup_free char *mtext = NULL;
  cleanup_free char *ctext = NULL;
  size_t mlen, clen;

  img->manifest_digest = xstrdup (manifest);
  if (cc_store_read_blob (s, manifest, &mtext, &mlen, err) < 0 || cc_manifest_parse (mtext, mlen, &m, err) < 0
      || cc_store_read_blob (s, m.config.digest, &ctext, &clen, err) < 0
      || cc_image_config_parse (ctext, clen, &img->config, err) < 0)
    return cc_error_wrap (err, "image %s", manifest);
  img->id = xstrdup (m.config.digest);
  if (cc_strv_len (img->config.diff_ids) != m.n_layers)
    return cc_error_make (err, 0, "image %s: %zu layers but %zu diff ids", manifest, m.n_layers,
                          cc_strv_len (img->config.diff_ids));
  img->repo_tags = tags_of (repos, manifest);
  if (fill_layers (s, img, err) < 0)
    return -1;
  *out = steal_pointer (&img);
  return 0;
}

void
cc_image_free (struct cc_image *img)
{
  free (img->id);
  free (img->manifest_digest);
  free (img->reference);
  free (img->loaded);
  free (img->pulled);
  cc_strv_free (img->repo_tags);
  cc_image_config_release (&img->config);
  cc_strv_free (img->layers);
  free (img);
}

/* The reference IMG was found by: normalized when it is one of its tags
   or a digest reference; resolved by id, the id is the only honest name.  */
void
cc_store_name_image (struct cc_image *img, const char *ref)
{
  struct cc_image_ref parsed cleanup_image_ref = { 0 };

  img->reference = cc_image_ref_normalize (ref, NULL);
  if (img->reference && cc_strv_contains (img->repo_tags, img->reference))
    return;
  if (img->reference && cc_image_ref_parse (ref, &parsed, NULL) == 0 && parsed.digest)
    return;
  free (img->reference);
  img->reference = xstrdup (img->id);
}

int
cc_image_resolve (const char *ref, struct cc_image **out, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  cleanup_cjson cJSON *repos = NULL;
  cleanup_free char *manifest = NULL;
  struct cc_image *img = NULL;

  if (cc_store_open (&s, false, err) < 0 || cc_store_repos_load (&s, &repos, err) < 0
      || cc_store_lookup (&s, repos, ref, &manifest, err) < 0
      || cc_store_image_from_manifest (&s, repos, manifest, &img, err) < 0)
    return -1;
  cc_store_name_image (img, ref);
  if (cc_store_pulled_at (repos, img->reference))
    img->pulled = xstrdup (cc_store_pulled_at (repos, img->reference));
  *out = img;
  return 0;
}

static int
compare_loaded (const void *a, const void *b)
{
  const struct cc_image *x = *(struct cc_image *const *)a, *y = *(struct cc_image *const *)b;

  return strcmp (y->loaded ? y->loaded : "", x->loaded ? x->loaded : "");
}

int
cc_image_list (struct cc_image ***out, size_t *n, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  cleanup_cjson cJSON *repos = NULL;
  struct cc_image **list = NULL;
  cJSON *it;
  size_t count = 0;

  if (cc_store_open (&s, false, err) < 0 || cc_store_repos_load (&s, &repos, err) < 0)
    return -1;
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (repos, "images"))
  {
    struct cc_image *img = NULL;
    cleanup_error cc_error_t broken = NULL;
    /* One damaged image must not hide the others: say so and go on.  */
    if (cc_store_image_from_manifest (&s, repos, it->string, &img, &broken) < 0)
      {
        cc_warn ("%s", broken->msg);
        continue;
      }
    img->loaded = xstrdup (cc_json_get_string (it, "loaded") ?: "");
    list = xreallocarray (list, count + 1, sizeof (*list));
    list[count++] = img;
  }
  if (count)
    qsort (list, count, sizeof (*list), compare_loaded);
  *out = list;
  *n = count;
  return 0;
}

void
cc_image_list_free (struct cc_image **list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    cc_image_free (list[i]);
  free (list);
}
