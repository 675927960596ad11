/* A service's `volumes:` in short and long syntax, to the long form
   docker compose config prints: {type, source, target, read_only, bind,
   volume, tmpfs}.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char *const propagations[] = { "shared", "rshared", "slave", "rslave", "private", "rprivate" };
static const char *const recursives[] = { "enabled", "disabled", "writable", "readonly" };
static const char *const consistencies[] = { "cached", "delegated", "consistent" };
static const char *const volume_types[] = { "bind", "volume", "tmpfs", "image" };
/* Types the spec has that a Linux engine without Swarm cannot mount.  */
static const char *const unsupported_types[] = { "npipe", "cluster" };

static const struct cc_schema_table mount_table;
static const struct cc_schema_table bind_table;

static bool
in_list (const char *s, const char *const *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (s, list[i]) == 0)
      return true;
  return false;
}

/* compose-go: a source is a host path when it starts like one.  */
static bool
is_host_path (const char *s)
{
  return s[0] == '.' || s[0] == '/' || s[0] == '~';
}

char *
cc_resolve_host_path (const char *path, const char *project_dir)
{
  const char *home = getenv ("HOME");
  cleanup_free char *joined = NULL;

  if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') && home)
    joined = xasprintf ("%s%s", home, path + 1);
  else if (path[0] == '/')
    joined = xstrdup (path);
  else
    joined = cc_path_join (project_dir ? project_dir : ".", path);
  return cc_path_clean (joined);
}

char *
cc_norm_host_path (const struct cc_norm *n, const char *path)
{
  if (n->opts && n->opts->no_path_resolution)
    return xstrdup (path);
  return cc_resolve_host_path (path, n->project_dir);
}

static cJSON *
object_at (cJSON *o, const char *key)
{
  cJSON *sub = cJSON_GetObjectItemCaseSensitive (o, key);

  if (sub == NULL)
    {
      sub = cJSON_CreateObject ();
      cJSON_AddItemToObject (o, key, sub);
    }
  return sub;
}

/* The third field: "ro,z,nocopy,rshared".  */
static int
apply_short_options (cJSON *v, const char *type, const char *opts, cc_error_t *err)
{
  cleanup_strv char **list = cc_strv_split (opts, ',', true);

  for (char **o = list; o && *o; o++)
    {
      bool is_bind = strcmp (type, "bind") == 0;
      if (strcmp (*o, "ro") == 0 || strcmp (*o, "rw") == 0)
        cc_json_set_bool (v, "read_only", strcmp (*o, "ro") == 0);
      else if (is_bind && (strcmp (*o, "z") == 0 || strcmp (*o, "Z") == 0))
        cc_json_set_string (object_at (v, "bind"), "selinux", *o);
      else if (is_bind && in_list (*o, propagations, CC_N_ELEMENTS (propagations)))
        cc_json_set_string (object_at (v, "bind"), "propagation", *o);
      /* compose-go drops these from the model: Docker Desktop's
         file-sharing hints, which Docker on Linux ignores.  */
      else if (in_list (*o, consistencies, CC_N_ELEMENTS (consistencies)))
        continue;
      else if (! is_bind && strcmp (*o, "nocopy") == 0)
        cc_json_set_bool (object_at (v, "volume"), "nocopy", true);
      else
        return cc_error_make (err, 0, "invalid %s mount option `%s`", type, *o);
    }
  if (cJSON_IsFalse (cJSON_GetObjectItemCaseSensitive (v, "read_only")))
    cJSON_DeleteItemFromObjectCaseSensitive (v, "read_only");
  return 0;
}

int
cc_volume_parse_short (const char *spec, const char *project_dir, cJSON **out, cc_error_t *err)
{
  cleanup_strv char **parts = cc_strv_split (spec, ':', false);
  cleanup_cjson cJSON *v = cJSON_CreateObject ();
  size_t n = cc_strv_len (parts);
  const char *source = n >= 2 ? parts[0] : NULL;
  const char *target = n >= 2 ? parts[1] : parts[0];
  const char *type;

  if (n == 0 || n > 3)
    return cc_error_make (err, 0, "invalid volume `%s` (SOURCE:TARGET[:OPTIONS])", spec);
  if (source && *source == '\0')
    return cc_error_make (err, 0, "invalid volume `%s`: empty source", spec);
  if (target[0] != '/')
    return cc_error_make (err, 0, "invalid volume `%s`: the target `%s` must be an absolute path", spec, target);
  type = source && is_host_path (source) ? "bind" : "volume";
  cc_json_set_string (v, "type", type);
  if (source && strcmp (type, "bind") == 0)
    {
      /* PROJECT_DIR NULL: `config --no-path-resolution`, the source as written.  */
      cleanup_free char *abs = project_dir ? cc_resolve_host_path (source, project_dir) : xstrdup (source);
      cc_json_set_string (v, "source", abs);
    }
  else if (source)
    cc_json_set_string (v, "source", source);
  {
    /* "/etc/x/" and "/etc/x" are the same mount point; print it once way.  */
    cleanup_free char *clean = cc_path_clean (target);
    cc_json_set_string (v, "target", clean);
  }
  /* The short syntax creates a missing host directory, as `docker run -v` does.  */
  if (strcmp (type, "bind") == 0)
    cc_json_set_bool (object_at (v, "bind"), "create_host_path", true);
  else
    object_at (v, "volume");
  if (n == 3 && apply_short_options (v, type, parts[2], err) < 0)
    return -1;
  cc_json_order_by_table (v, &mount_table);
  if (cJSON_GetObjectItemCaseSensitive (v, "bind"))
    cc_json_order_by_table (cJSON_GetObjectItemCaseSensitive (v, "bind"), &bind_table);
  *out = steal_pointer (&v);
  return 0;
}

static const struct cc_schema_key bind_keys[] = {
  { "selinux", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "propagation", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "create_host_path", CC_KEY_BOOL, CC_KEY_SUPPORTED, NULL, NULL },
  { "recursive", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
};
static const struct cc_schema_table bind_table = { "bind", bind_keys, CC_N_ELEMENTS (bind_keys) };
static const struct cc_schema_key volopt_keys[] = {
  { "nocopy", CC_KEY_BOOL, CC_KEY_SUPPORTED, NULL, NULL },
  { "subpath", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  /* Labels of the volume a mount creates (check_volume_labels).  */
  { "labels", CC_KEY_MAPPING, CC_KEY_SUPPORTED, NULL, NULL },
};
static const struct cc_schema_table volopt_table = { "volume", volopt_keys, CC_N_ELEMENTS (volopt_keys) };
/* A permission mode as YAML reads an integer (Docker's parser): 0o1777
   and 01777 are octal, 1023 decimal; the model keeps the number.  */
static int
tmpfs_mode (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent, cc_error_t *err)
{
  const char *s = v->value;
  char *end;
  long long m;

  (void)n, (void)k;
  if (v->kind != CC_NODE_SCALAR || v->is_null || *s == '\0')
    return cc_error_at (err, v, "tmpfs `mode` must be a number such as 0o1777");
  errno = 0;
  m = strncmp (s, "0o", 2) == 0 ? strtoll (s + 2, &end, 8) : strtoll (s, &end, 0);
  if (*end || errno || m < 0 || m > 07777)
    return cc_error_at (err, v, "invalid tmpfs mode `%s` (a permission mode, 0o0 to 0o7777)", s);
  cc_json_set (parent, "mode", cJSON_CreateNumber ((double)m));
  return 0;
}

static const struct cc_schema_key tmpfs_keys[] = {
  { "size", CC_KEY_BYTES, CC_KEY_SUPPORTED, NULL, NULL },
  { "mode", CC_KEY_CUSTOM, CC_KEY_SUPPORTED, NULL, tmpfs_mode },
};
static const struct cc_schema_table tmpfs_table = { "tmpfs", tmpfs_keys, CC_N_ELEMENTS (tmpfs_keys) };
static const struct cc_schema_key imageopt_keys[] = {
  { "subpath", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
};
static const struct cc_schema_table imageopt_table = { "image", imageopt_keys, CC_N_ELEMENTS (imageopt_keys) };
static const struct cc_schema_key mount_keys[] = {
  { "type", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "source", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "target", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "read_only", CC_KEY_BOOL, CC_KEY_SUPPORTED, NULL, NULL },
  { "consistency", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "bind", CC_KEY_OBJECT, CC_KEY_SUPPORTED, &bind_table, NULL },
  { "volume", CC_KEY_OBJECT, CC_KEY_SUPPORTED, &volopt_table, NULL },
  { "tmpfs", CC_KEY_OBJECT, CC_KEY_SUPPORTED, &tmpfs_table, NULL },
  { "image", CC_KEY_OBJECT, CC_KEY_SUPPORTED, &imageopt_table, NULL },
};
static const struct cc_schema_table mount_table = { "volume mount", mount_keys, CC_N_ELEMENTS (mount_keys) };

/* A volume's `subpath` names a directory inside it, as Docker's engine
   requires: relative, no `..`; symlinks are resolved beneath the volume
   when it is mounted (runtime/mount.c).  */
static bool
is_inside_path (const char *p)
{
  size_t n;

  if (*p == '\0' || *p == '/')
    return false;
  for (; *p; p += n + (p[n] == '/'))
    {
      n = strcspn (p, "/");
      if (n == 2 && strncmp (p, "..", 2) == 0)
        return false;
    }
  return true;
}

static int
check_subpath (const struct cc_node *item, cJSON *v, const char *type, cc_error_t *err)
{
  const char *sub = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (v, "volume"), "subpath");
  const struct cc_node *at = cc_node_path (item, "volume", "subpath", NULL);

  if (sub == NULL)
    return 0;
  if (strcmp (type, "volume") != 0)
    return cc_error_at (err, at, "volume subpath is only for mounts of `type: volume`");
  if (cc_json_get_string (v, "source") == NULL)
    return cc_error_at (err, at, "volume subpath needs a named volume as `source`");
  if (! is_inside_path (sub))
    return cc_error_at (err, at, "volume subpath `%s` must be a relative path inside the volume, without `..`", sub);
  return 0;
}

/* `volume.labels` go to the volume the mount creates: a named volume
   Compose has already made from its top-level definition, so Docker's
   volume create leaves it as it is (the labels change nothing, as
   there); an anonymous one would get them, which ccompose's anonymous
   volumes (a container's own directory) cannot hold yet.  */
static int
check_volume_labels (struct cc_norm *n, const struct cc_node *item, cJSON *v, cc_error_t *err)
{
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (v, "volume"), "labels");

  if (labels == NULL || cc_json_get_string (v, "source") != NULL)
    return 0;
  return cc_norm_unsupported (n, cc_node_path (item, "volume", "labels", NULL),
                              "`volume.labels` of an anonymous volume", err);
}

/* Docker's `image.subpath`: a relative path inside the image, without
   `..` (symlinks resolve beneath the image, runtime/mount.c).  */
static int
check_image_subpath (const struct cc_node *item, cJSON *v, const char *type, cc_error_t *err)
{
  const char *sub = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (v, "image"), "subpath");
  const struct cc_node *at = cc_node_path (item, "image", "subpath", NULL);

  if (sub == NULL)
    return 0;
  if (strcmp (type, "image") != 0)
    return cc_error_at (err, at, "image subpath is only for mounts of `type: image`");
  if (! is_inside_path (sub))
    return cc_error_at (err, at, "image subpath `%s` must be a relative path inside the image, without `..`", sub);
  return 0;
}

static int
check_long_volume (struct cc_norm *n, const struct cc_node *item, cJSON *v, cc_error_t *err)
{
  const char *type = cc_json_get_string (v, "type");
  const char *source = cc_json_get_string (v, "source");
  const char *target = cc_json_get_string (v, "target");
  const char *prop = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (v, "bind"), "propagation");
  cJSON *bind = cJSON_GetObjectItemCaseSensitive (v, "bind");
  const char *recursive = cc_json_get_string (bind, "recursive");

  if (type == NULL)
    return cc_error_at (err, item, "volume: `type` is required (bind, volume, tmpfs, image)");
  if (in_list (type, unsupported_types, CC_N_ELEMENTS (unsupported_types)))
    return cc_error_at (err, cc_node_map_get (item, "type"), "volume type `%s` is not supported", type);
  if (! in_list (type, volume_types, CC_N_ELEMENTS (volume_types)))
    return cc_error_at (err, cc_node_map_get (item, "type"), "invalid volume type `%s` (bind, volume, tmpfs, image)",
                        type);
  if (target == NULL || target[0] != '/')
    return cc_error_at (err, cc_node_map_get (item, "target") ?: item, "volume: `target` must be an absolute path");
  if (strcmp (type, "bind") == 0 && (source == NULL || *source == '\0'))
    return cc_error_at (err, item, "bind mount: `source` is required");
  if (strcmp (type, "image") == 0 && (source == NULL || *source == '\0'))
    return cc_error_at (err, item, "image mount: `source` (the image) is required");
  if (strcmp (type, "tmpfs") == 0 && source)
    return cc_error_at (err, cc_node_map_get (item, "source"), "tmpfs mount: `source` is not allowed");
  if (prop && ! in_list (prop, propagations, CC_N_ELEMENTS (propagations)))
    return cc_error_at (err, cc_node_path (item, "bind", "propagation", NULL), "invalid bind propagation `%s`", prop);
  if (recursive && ! in_list (recursive, recursives, CC_N_ELEMENTS (recursives)))
    return cc_error_at (err, cc_node_path (item, "bind", "recursive", NULL),
                        "invalid bind recursive `%s` (enabled, disabled, writable, readonly)", recursive);
  if (check_subpath (item, v, type, err) < 0 || check_image_subpath (item, v, type, err) < 0
      || check_volume_labels (n, item, v, err) < 0)
    return -1;
  {
    cleanup_free char *clean = cc_path_clean (target);
    cc_json_set_string (v, "target", clean);
  }
  if (strcmp (type, "bind") == 0)
    {
      cleanup_free char *abs = cc_norm_host_path (n, source);
      cc_json_set_string (v, "source", abs);
      /* compose-go: a `bind:` section defaults create_host_path to true.  */
      if (bind && ! cJSON_GetObjectItemCaseSensitive (bind, "create_host_path"))
        cc_json_set_bool (bind, "create_host_path", true);
    }
  if (strcmp (type, "volume") == 0 && ! cJSON_GetObjectItemCaseSensitive (v, "volume"))
    object_at (v, "volume");
  return 0;
}

static int
long_volume (struct cc_norm *n, const struct cc_node *item, cJSON *arr, cc_error_t *err)
{
  cleanup_cjson cJSON *v = NULL;

  if (cc_norm_object (n, &mount_table, item, &v, err) < 0 || check_long_volume (n, item, v, err) < 0)
    return -1;
  cc_json_order_by_table (v, &mount_table);
  cJSON_AddItemToArray (arr, steal_pointer (&v));
  return 0;
}

static int
volumes_normalize (struct cc_norm *n, const struct cc_node *list, cJSON **out, cc_error_t *err)
{
  cleanup_cjson cJSON *arr = cJSON_CreateArray ();
  const char *project_dir = n->opts && n->opts->no_path_resolution ? NULL : n->project_dir;

  if (list->kind != CC_NODE_SEQ)
    return cc_error_at (err, list, "`volumes` must be a list, not %s", cc_node_kind_name (list));
  for (size_t i = 0; i < list->len; i++)
    {
      const struct cc_node *item = list->items[i];
      cJSON *v = NULL;

      if (item->kind == CC_NODE_MAP)
        {
          if (long_volume (n, item, arr, err) < 0)
            return -1;
          continue;
        }
      if (item->kind != CC_NODE_SCALAR || item->is_null || *item->value == '\0')
        return cc_error_at (err, item, "a volume must be a string or a map");
      if (cc_volume_parse_short (item->value, project_dir, &v, err) < 0)
        return cc_error_relocate (err, item, NULL);
      cJSON_AddItemToArray (arr, v);
    }
  *out = steal_pointer (&arr);
  return 0;
}

int
cc_volumes_normalize (const struct cc_node *list, const char *project_dir, cJSON **out, cc_error_t *err)
{
  struct cc_norm n = { .project_dir = project_dir };

  return volumes_normalize (&n, list, out, err);
}

int
cc_norm_key_volumes (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                     cc_error_t *err)
{
  cJSON *arr = NULL;

  (void)k;
  if (v->kind == CC_NODE_SCALAR && v->is_null)
    return 0;
  if (volumes_normalize (n, v, &arr, err) < 0)
    return -1;
  cc_json_set (parent, "volumes", arr);
  return 0;
}
