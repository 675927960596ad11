/* `image inspect` output: the subset of Docker's image inspect document
   that a local store can fill honestly.  */
#include <errno.h>
#include <string.h>

#include "image/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strmap.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static void
add_owned (cJSON *arr, char *s)
{
  cJSON_AddItemToArray (arr, cJSON_CreateString (s));
  free (s);
}

static cJSON *
strv_json (char *const *v)
{
  cJSON *arr = cJSON_CreateArray ();

  for (; v && *v; v++)
    cJSON_AddItemToArray (arr, cJSON_CreateString (*v));
  return arr;
}

char *
cc_image_familiar (const char *full)
{
  struct cc_image_ref ref cleanup_image_ref = { 0 };
  cleanup_free char *name = NULL;

  if (cc_image_ref_parse (full, &ref, NULL) < 0)
    return xstrdup (full);
  name = cc_image_ref_familiar_name (&ref);
  if (ref.digest)
    return xasprintf ("%s@%s", name, ref.digest);
  return xasprintf ("%s:%s", name, ref.tag);
}

static void
add_tags (cJSON *doc, const struct cc_image *img)
{
  cJSON *tags = cJSON_CreateArray (), *digests = cJSON_CreateArray ();
  cleanup_strv_builder struct cc_strv_builder names = { 0 };
  cleanup_strmap struct cc_strmap seen = { 0 };

  for (char **t = img->repo_tags; t && *t; t++)
    {
      struct cc_image_ref ref cleanup_image_ref = { 0 };
      char *name;
      add_owned (tags, cc_image_familiar (*t));
      if (cc_image_ref_parse (*t, &ref, NULL) < 0)
        continue;
      name = cc_image_ref_familiar_name (&ref);
      cc_strv_builder_push (&names, name);
      if (cc_strmap_get (&seen, name))
        continue;
      cc_strmap_put (&seen, name, name);
      add_owned (digests, xasprintf ("%s@%s", name, img->manifest_digest));
    }
  cc_json_set (doc, "RepoTags", tags);
  cc_json_set (doc, "RepoDigests", digests);
}

static cJSON *
take (cJSON *from, const char *key)
{
  return cJSON_DetachItemFromObjectCaseSensitive (from, key);
}

/* The config as `docker image inspect` shows it: Docker's container
   Config with every key it always prints (null or empty when the image
   has none) and the omitempty ones only when set, in its order.  */
static cJSON *
docker_shaped (cJSON *c)
{
  static const struct
  {
    const char *key;
    int kind; /* 0 string, 1 bool false, 2 null, 3 omit when absent */
  } keys[] = {
    { "Hostname", 0 },     { "Domainname", 0 },   { "User", 0 },        { "AttachStdin", 1 },     { "AttachStdout", 1 },
    { "AttachStderr", 1 }, { "ExposedPorts", 3 }, { "Tty", 1 },         { "OpenStdin", 1 },       { "StdinOnce", 1 },
    { "Env", 2 },          { "Cmd", 2 },          { "Healthcheck", 3 }, { "ArgsEscaped", 3 },     { "Image", 0 },
    { "Volumes", 2 },      { "WorkingDir", 0 },   { "Entrypoint", 2 },  { "NetworkDisabled", 3 }, { "MacAddress", 3 },
    { "OnBuild", 2 },      { "Labels", 2 },       { "StopSignal", 3 },  { "StopTimeout", 3 },     { "Shell", 3 },
  };
  cJSON *out = cJSON_CreateObject ();
  cJSON *it;

  for (size_t i = 0; i < CC_N_ELEMENTS (keys); i++)
    {
      cJSON *v = take (c, keys[i].key);
      if (v == NULL && keys[i].kind != 3)
        v = keys[i].kind == 0   ? cJSON_CreateString ("")
            : keys[i].kind == 1 ? cJSON_CreateFalse ()
                                : cJSON_CreateNull ();
      if (v)
        cJSON_AddItemToObject (out, keys[i].key, v);
    }
  /* Whatever else the config holds, after Docker's keys.  */
  while ((it = c->child) != NULL)
    {
      cJSON_DetachItemViaPointer (c, it);
      cJSON_AddItemToObject (out, it->string, it);
    }
  cJSON_Delete (c);
  return out;
}

/* The config blob's `config` object, `comment` (what `docker import
   --message` and `docker commit -m` set) and `author` (`commit -a`), as
   Docker shows them.  */
static void
add_raw_config (cJSON *out, struct cc_store *s, const char *id)
{
  cleanup_free char *text = NULL;
  cleanup_cjson cJSON *doc = NULL;
  cJSON *c = NULL;

  if (cc_store_read_blob (s, id, &text, NULL, NULL) == 0 && cc_json_parse (text, "config", &doc, NULL) == 0)
    c = cJSON_DetachItemFromObjectCaseSensitive (doc, "config");
  cc_json_set_string (out, "Comment", cc_json_get_string (doc, "comment") ?: "");
  cc_json_set_string (out, "Author", cc_json_get_string (doc, "author") ?: "");
  cc_json_set (out, "Config", docker_shaped (cJSON_IsObject (c) ? c : (cJSON_Delete (c), cJSON_CreateObject ())));
}

static cJSON *
graph_driver (const struct cc_image *img)
{
  cJSON *g = cJSON_CreateObject (), *data = cJSON_CreateObject ();
  cleanup_free char *lower = cc_strv_join (img->layers, ":");

  cc_json_set_string (g, "Name", "overlay");
  cc_json_set_string (data, "LowerDir", lower);
  cc_json_set (g, "Data", data);
  return g;
}

static cJSON *
inspect_doc (struct cc_store *s, cJSON *repos, const struct cc_image *img)
{
  cJSON *doc = cJSON_CreateObject (), *rootfs = cJSON_CreateObject (), *meta = cJSON_CreateObject ();
  const cJSON *entry
      = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (repos, "images"), img->manifest_digest);

  cc_json_set_string (doc, "Id", img->id);
  add_tags (doc, img);
  cc_json_set_string (doc, "Created", img->config.created ? img->config.created : "");
  cc_json_set_string (doc, "Architecture", img->config.architecture ? img->config.architecture : "");
  cc_json_set_string (doc, "Os", img->config.os ? img->config.os : "");
  cc_json_set_int (doc, "Size", img->size);
  add_raw_config (doc, s, img->id);
  cc_json_set (doc, "GraphDriver", graph_driver (img));
  cc_json_set_string (rootfs, "Type", "layers");
  cc_json_set (rootfs, "Layers", strv_json (img->config.diff_ids));
  cc_json_set (doc, "RootFS", rootfs);
  cc_json_set_string (meta, "LastTagTime", cc_json_get_string (entry, "loaded") ?: "");
  cc_json_set_string (meta, "ManifestDigest", img->manifest_digest);
  cc_json_set (doc, "Metadata", meta);
  return doc;
}

int
cc_image_inspect_json (const char *ref, cJSON **out, cc_error_t *err)
{
  struct cc_store s cleanup_store = { .lock_fd = -1, .root_fd = -1 };
  cleanup_cjson cJSON *repos = NULL;
  cleanup_free char *manifest = NULL;
  cleanup_image struct cc_image *img = NULL;

  if (cc_store_open (&s, false, err) < 0 || cc_store_repos_load (&s, &repos, err) < 0
      || cc_store_lookup (&s, repos, ref, &manifest, err) < 0
      || cc_store_image_from_manifest (&s, repos, manifest, &img, err) < 0)
    return -1;
  *out = inspect_doc (&s, repos, img);
  return 0;
}
