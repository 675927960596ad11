/* Volumes, tmpfs, secrets and configs, and the objects behind them:
   PersistentVolumeClaims, Secrets, ConfigMaps.  Host bind mounts have no
   cluster counterpart: they are dropped (loudly) unless --bind-mounts
   asks for hostPath volumes or ConfigMap copies; Kompose drops them with
   one log line (kompose#855).  */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convert/internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ---- data ---------------------------------------------------------------- */

static char *
base64 (const unsigned char *data, size_t len)
{
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  struct cc_buf b = { 0 };

  for (size_t i = 0; i < len; i += 3)
    {
      uint32_t v = (uint32_t)data[i] << 16;
      if (i + 1 < len)
        v |= (uint32_t)data[i + 1] << 8;
      if (i + 2 < len)
        v |= data[i + 2];
      cc_buf_putc (&b, tab[(v >> 18) & 63]);
      cc_buf_putc (&b, tab[(v >> 12) & 63]);
      cc_buf_putc (&b, i + 1 < len ? tab[(v >> 6) & 63] : '=');
      cc_buf_putc (&b, i + 2 < len ? tab[v & 63] : '=');
    }
  return cc_buf_steal (&b);
}

static bool
is_utf8_text (const unsigned char *s, size_t len)
{
  for (size_t i = 0; i < len;)
    {
      size_t n = s[i] < 0x80 ? 1 : (s[i] >> 5) == 6 ? 2 : (s[i] >> 4) == 14 ? 3 : (s[i] >> 3) == 30 ? 4 : 0;
      if (n == 0 || i + n > len || (s[i] == 0))
        return false;
      for (size_t k = 1; k < n; k++)
        if ((s[i + k] & 0xc0) != 0x80)
          return false;
      i += n;
    }
  return true;
}

/* Put KEY's bytes into a ConfigMap's `data` (text) or `binaryData`.  */
static void
configmap_put (cJSON *cm, const char *key, const char *bytes, size_t len)
{
  cJSON *map;
  const char *field = is_utf8_text ((const unsigned char *)bytes, len) ? "data" : "binaryData";

  map = cJSON_GetObjectItemCaseSensitive (cm, field);
  if (map == NULL)
    {
      map = cJSON_CreateObject ();
      cJSON_AddItemToObject (cm, field, map);
    }
  if (strcmp (field, "data") == 0)
    cc_json_set_string (map, key, bytes);
  else
    {
      cleanup_free char *b64 = base64 ((const unsigned char *)bytes, len);
      cc_json_set_string (map, key, b64);
    }
}

static void
secret_put (cJSON *sec, const char *key, const char *bytes, size_t len)
{
  cJSON *map = cJSON_GetObjectItemCaseSensitive (sec, "data");
  cleanup_free char *b64 = base64 ((const unsigned char *)bytes, len);

  if (map == NULL)
    {
      map = cJSON_CreateObject ();
      cJSON_AddItemToObject (sec, "data", map);
    }
  cc_json_set_string (map, key, b64);
}

static void
use (cJSON *used, const char *name, const char *service)
{
  cJSON *list = cJSON_GetObjectItemCaseSensitive (used, name);

  if (list == NULL)
    {
      list = cJSON_CreateArray ();
      cJSON_AddItemToObject (used, name, list);
    }
  for (const cJSON *it = list->child; it; it = it->next)
    if (strcmp (it->valuestring, service) == 0)
      return;
  cJSON_AddItemToArray (list, cJSON_CreateString (service));
}

/* A host path as the report shows it: relative to the project when it is
   inside it, as the compose file likely wrote it.  */
static char *
shown_path (struct cv *c, const char *path)
{
  size_t n = strlen (c->p->directory);

  if (strncmp (path, c->p->directory, n) == 0 && path[n] == '/')
    return xasprintf (".%s", path + n);
  return xstrdup (path);
}

static cJSON *
volume_of (const char *name, const char *kind, cJSON *source)
{
  cJSON *v = cJSON_CreateObject ();

  cc_json_set_string (v, "name", name);
  cc_json_set (v, kind, source);
  return v;
}

static int
mount (struct cv_svc *s, cJSON *volume, const char *path, bool ro, const char *sub, cc_error_t *err)
{
  const char *name = cc_json_get_string (volume, "name");

  for (const cJSON *v = cJSON_GetObjectItemCaseSensitive (s->pod, "volumes")
                            ? cJSON_GetObjectItemCaseSensitive (s->pod, "volumes")->child
                            : NULL;
       v; v = v->next)
    if (strcmp (cc_json_get_string (v, "name"), name) == 0 && ! cJSON_Compare (v, volume, true))
      {
        cJSON_Delete (volume);
        return cc_error_make (err, EEXIST, "two different volumes of the pod would both be named `%s`", name);
      }
  cv_mount (s, volume, path, ro, sub);
  return 0;
}

/* ---- named volumes ------------------------------------------------------------ */

static const cJSON *
top_object (struct cv *c, const char *section, const char *name)
{
  return cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (c->p->model, section), name);
}

static int
claim_size (struct cv *c, const cJSON *vol, char **out, bool *given, cc_error_t *err)
{
  const char *label = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (vol, "labels"), CV_CONTROL_PREFIX "size");
  const char *size = label ? label : c->o->volume_size;
  int64_t bytes;

  *given = size != NULL;
  if (size == NULL)
    {
      *out = xstrdup (CV_DEFAULT_VOLUME_SIZE);
      return 0;
    }
  if (cv_parse_size (size, &bytes, err) < 0)
    return cc_error_wrap (err, "volume size");
  *out = cv_bytes_quantity (bytes);
  return 0;
}

static cJSON *
claim_spec (struct cv *c, const char *size)
{
  cJSON *spec = cJSON_CreateObject ();
  cJSON *modes = cJSON_CreateArray ();
  cJSON *res = cJSON_CreateObject ();
  cJSON *req = cJSON_CreateObject ();

  cJSON_AddItemToArray (modes, cJSON_CreateString ("ReadWriteOnce"));
  cc_json_set (spec, "accessModes", modes);
  cc_json_set_string (req, "storage", size);
  cc_json_set (res, "requests", req);
  cc_json_set (spec, "resources", res);
  if (c->o->storage_class)
    cc_json_set_string (spec, "storageClassName", c->o->storage_class);
  return spec;
}

/* A StatefulSet's own claim per replica, named after the volume.  */
static int
claim_template (struct cv *c, struct cv_svc *s, const char *key, const cJSON *m, const cJSON *vol, const char *name,
                cc_error_t *err)
{
  const char *target = cc_json_get_string (m, "target");
  const char *subpath = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (m, "volume"), "subpath");
  cleanup_free char *size = NULL;
  bool given, present = false;

  if (claim_size (c, vol, &size, &given, err) < 0)
    return -1;
  if (s->claims == NULL)
    s->claims = cJSON_CreateArray ();
  for (const cJSON *t = s->claims->child; t; t = t->next)
    present |= strcmp (cc_json_get_string (cJSON_GetObjectItemCaseSensitive (t, "metadata"), "name"), name) == 0;
  if (! present)
    {
      cJSON *tmpl = cJSON_CreateObject ();
      cJSON *meta = cJSON_CreateObject ();
      cc_json_set_string (meta, "name", name);
      cc_json_set (tmpl, "metadata", meta);
      cc_json_set (tmpl, "spec", claim_spec (c, size));
      cJSON_AddItemToArray (s->claims, tmpl);
    }
  cv_mount_only (s, name, target, cc_json_get_bool (m, "read_only", false), subpath);
  cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
           "volumeClaimTemplate `%s` at %s: one claim per replica, not one volume shared by all", name, target);
  return 0;
}

static int
mount_named (struct cv *c, struct cv_svc *s, const char *key, const cJSON *m, cc_error_t *err)
{
  const char *source = cc_json_get_string (m, "source"), *target = cc_json_get_string (m, "target");
  const cJSON *vopt = cJSON_GetObjectItemCaseSensitive (m, "volume");
  const cJSON *vol = top_object (c, "volumes", source);
  const char *subpath = cc_json_get_string (vopt, "subpath");
  cleanup_free char *name = cv_dns_label (source, err);
  cJSON *pvc;

  if (name == NULL)
    return cc_error_wrap (err, "volume `%s`", source);
  use (c->used_volumes, source, s->name);
  if (s->kind == CV_STATEFULSET && ! cc_json_get_bool (vol, "external", false))
    return claim_template (c, s, key, m, vol, name, err);
  pvc = cJSON_CreateObject ();
  cc_json_set_string (pvc, "claimName",
                      cc_json_get_bool (vol, "external", false) ? cc_json_get_string (vol, "name") : name);
  if (mount (s, volume_of (name, "persistentVolumeClaim", pvc), target, cc_json_get_bool (m, "read_only", false),
             subpath, err)
      < 0)
    return -1;
  s->uses_rwo_claim = true;
  if (cc_json_get_bool (vopt, "nocopy", false))
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "claim `%s` at %s", name, target);
  else
    cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
             "claim `%s` at %s; a new claim starts empty: Docker fills a new volume with the image's files at the "
             "mount point, Kubernetes does not",
             name, target);
  return 0;
}

/* ---- bind mounts ------------------------------------------------------------- */

static const char *
propagation (const char *p)
{
  if (p == NULL)
    return NULL;
  if (strcmp (p, "rshared") == 0 || strcmp (p, "shared") == 0)
    return "Bidirectional";
  if (strcmp (p, "rslave") == 0 || strcmp (p, "slave") == 0)
    return "HostToContainer";
  return NULL;
}

static int
bind_hostpath (struct cv *c, struct cv_svc *s, const char *key, const cJSON *m, size_t index, cc_error_t *err)
{
  const char *source = cc_json_get_string (m, "source"), *target = cc_json_get_string (m, "target");
  const char *prop = propagation (cc_json_get_string (cJSON_GetObjectItemCaseSensitive (m, "bind"), "propagation"));
  cleanup_free char *name = xasprintf ("host-%zu", index);
  cJSON *hp = cJSON_CreateObject ();
  struct stat st;

  cc_json_set_string (hp, "path", source);
  if (stat (source, &st) == 0)
    cc_json_set_string (hp, "type", S_ISDIR (st.st_mode) ? "Directory" : "File");
  else
    cc_json_set_string (hp, "type", "DirectoryOrCreate");
  if (mount (s, volume_of (name, "hostPath", hp), target, cc_json_get_bool (m, "read_only", false), NULL, err) < 0)
    return -1;
  if (prop)
    {
      cJSON *mounts = cv_container_list (s, "volumeMounts");
      cc_json_set_string (cJSON_GetArrayItem (mounts, cJSON_GetArraySize (mounts) - 1), "mountPropagation", prop);
    }
  cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
           "hostPath `%s` at %s: the path must exist on every node that may run the pod, and pods that mount the "
           "node's files need a privileged PodSecurity level",
           source, target);
  return 0;
}

/* The regular files of SOURCE (a file, or a directory's top level) into
   CM, within the size of one object; *SKIPPED counts what was left out.  */
static int
copy_files (const char *source, cJSON *cm, size_t *total, size_t *skipped, bool *is_dir, char **key, cc_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct stat st;

  if (stat (source, &st) < 0)
    return cc_error_make (err, 0, "it does not exist here");
  if (! S_ISDIR (st.st_mode) && ! S_ISREG (st.st_mode))
    return cc_error_make (err, 0, "it is neither a regular file nor a directory");
  *is_dir = S_ISDIR (st.st_mode);
  if (! *is_dir)
    {
      cleanup_free char *data = NULL;
      size_t len;
      *key = cc_path_basename (source);
      if (cc_read_file_max (source, CV_OBJECT_DATA_MAX, &data, &len, err) < 0)
        return -1;
      *total += len;
      configmap_put (cm, *key, data, len);
      return 0;
    }
  d = opendir (source);
  if (d == NULL)
    return cc_error_make (err, errno, "open `%s`", source);
  while ((de = readdir (d)))
    {
      cleanup_free char *path = cc_path_join (source, de->d_name);
      cleanup_free char *data = NULL;
      size_t len;
      if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || strcmp (de->d_name, "..") == 0))
        continue;
      if (lstat (path, &st) < 0 || ! S_ISREG (st.st_mode))
        {
          (*skipped)++;
          continue;
        }
      if (cc_read_file_max (path, CV_OBJECT_DATA_MAX, &data, &len, err) < 0)
        return -1;
      *total += len;
      configmap_put (cm, de->d_name, data, len);
    }
  return 0;
}

static int
bind_configmap (struct cv *c, struct cv_svc *s, const char *key, const cJSON *m, size_t index, cc_error_t *err)
{
  const char *source = cc_json_get_string (m, "source"), *target = cc_json_get_string (m, "target");
  cleanup_free char *name = xasprintf ("%s-bind-%zu", s->k8s, index);
  cleanup_free char *vname = xasprintf ("bind-%zu", index);
  cleanup_free char *file_key = NULL;
  cleanup_cjson cJSON *cm = cv_object (c, "v1", "ConfigMap", name);
  cleanup_free char *origin = xasprintf ("the bind mount %s of service `%s`", key, s->name);
  cleanup_error cc_error_t e = NULL;
  size_t total = 0, skipped = 0;
  bool is_dir = false;
  cJSON *src;

  cleanup_free char *shown = shown_path (c, source);

  if (copy_files (source, cm, &total, &skipped, &is_dir, &file_key, &e) < 0 || total > CV_OBJECT_DATA_MAX)
    {
      cv_note (c, s, key, CC_CONVERT_DROPPED, "`%s` cannot become a ConfigMap: %s", shown,
               e ? e->msg : "more than the 1 MiB one object holds");
      return 0;
    }
  src = cJSON_CreateObject ();
  cc_json_set_string (src, "name", name);
  if (mount (s, volume_of (vname, "configMap", src), target, true, is_dir ? NULL : file_key, err) < 0)
    return -1;
  if (cv_add_object (c, steal_pointer (&cm), origin, err) < 0)
    return -1;
  cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
           "ConfigMap `%s`: a read-only copy of `%s` taken now (%zu bytes)%s; later edits on the host do not reach "
           "the pod",
           name, shown, total, skipped ? ", files other than regular files at its top level left out" : "");
  return 0;
}

static int
mount_bind (struct cv *c, struct cv_svc *s, const char *key, const cJSON *m, size_t index, cc_error_t *err)
{
  switch (c->o->bind_mounts)
    {
    case CC_CONVERT_BIND_HOSTPATH:
      return bind_hostpath (c, s, key, m, index, err);
    case CC_CONVERT_BIND_CONFIGMAP:
      return bind_configmap (c, s, key, m, index, err);
    case CC_CONVERT_BIND_DROP:
    default:
      {
        cleanup_free char *shown = shown_path (c, cc_json_get_string (m, "source"));
        cv_note (c, s, key, CC_CONVERT_DROPPED,
                 "bind mount of `%s`: the host's files are not on the cluster's nodes; --bind-mounts hostPath or "
                 "configMap (a copy of small files) keeps it",
                 shown);
        return 0;
      }
    }
}

/* ---- tmpfs --------------------------------------------------------------------- */

static cJSON *
memory_dir (const char *size_limit)
{
  cJSON *ed = cJSON_CreateObject ();

  cc_json_set_string (ed, "medium", "Memory");
  if (size_limit)
    cc_json_set_string (ed, "sizeLimit", size_limit);
  return ed;
}

static int
mount_tmpfs (struct cv *c, struct cv_svc *s, const char *key, const char *target, int64_t size, bool extra_options,
             size_t index, cc_error_t *err)
{
  cleanup_free char *name = xasprintf ("tmpfs-%zu", index);
  cleanup_free char *limit = size > 0 ? cv_bytes_quantity (size) : NULL;

  if (mount (s, volume_of (name, "emptyDir", memory_dir (limit)), target, false, NULL, err) < 0)
    return -1;
  cv_note (c, s, key, extra_options ? CC_CONVERT_APPROXIMATED : CC_CONVERT_CONVERTED,
           "emptyDir of medium Memory (a tmpfs) at %s%s%s%s", target, limit ? ", sizeLimit " : "", limit ? limit : "",
           extra_options ? "; mount options other than size (mode, uid, noexec...) are not Kubernetes fields" : "");
  return 0;
}

static int
cv_key_tmpfs (struct cv *c, struct cv_svc *s, const cJSON *v, cc_error_t *err)
{
  size_t i = 0;

  for (const cJSON *t = v->child; t; t = t->next, i++)
    {
      cleanup_free char *key = xasprintf ("tmpfs[%zu]", i);
      cleanup_free char *target = xstrdup (t->valuestring);
      char *colon = strchr (target, ':');
      int64_t size = 0;
      bool extra = false;

      if (colon)
        {
          cleanup_strv char **opts = cc_strv_split (colon + 1, ',', true);
          *colon = '\0';
          for (char **o = opts; *o; o++)
            if (strncmp (*o, "size=", 5) != 0 || cc_compose_parse_bytes (*o + 5, &size, err) < 0)
              {
                cc_error_release (err);
                extra = true;
              }
        }
      if (mount_tmpfs (c, s, key, target, size, extra, 100 + i, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- the volumes list -------------------------------------------------------- */

static int
cv_key_volumes (struct cv *c, struct cv_svc *s, const cJSON *v, cc_error_t *err)
{
  size_t i = 0;

  for (const cJSON *m = v->child; m; m = m->next, i++)
    {
      cleanup_free char *key = xasprintf ("volumes[%zu]", i);
      const char *type = cc_json_get_string (m, "type");
      const cJSON *tmpfs = cJSON_GetObjectItemCaseSensitive (m, "tmpfs");
      int ret = 0;

      if (type == NULL)
        type = "";
      if (strcmp (type, "volume") == 0 && cc_json_get_string (m, "source"))
        ret = mount_named (c, s, key, m, err);
      else if (strcmp (type, "volume") == 0)
        {
          cleanup_free char *name = xasprintf ("anonymous-%zu", i);
          ret = mount (s, volume_of (name, "emptyDir", cJSON_CreateObject ()), cc_json_get_string (m, "target"),
                       cc_json_get_bool (m, "read_only", false), NULL, err);
          cv_note (c, s, key, CC_CONVERT_APPROXIMATED, "emptyDir: an anonymous volume lives as long as the pod");
        }
      else if (strcmp (type, "bind") == 0)
        ret = mount_bind (c, s, key, m, i, err);
      else if (strcmp (type, "tmpfs") == 0)
        ret = mount_tmpfs (c, s, key, cc_json_get_string (m, "target"), cc_json_get_int (tmpfs, "size", 0),
                           cJSON_GetObjectItemCaseSensitive (tmpfs, "mode") != NULL, i, err);
      else
        cv_note (c, s, key, CC_CONVERT_DROPPED, "a `%s` mount has no Kubernetes counterpart", type);
      if (ret < 0)
        return -1;
    }
  return 0;
}

static int
cv_key_shm_size (struct cv *c, struct cv_svc *s, const cJSON *v, cc_error_t *err)
{
  int64_t bytes;
  cleanup_free char *q = NULL;

  if (cc_compose_parse_bytes (v->valuestring, &bytes, err) < 0)
    return cc_error_wrap (err, "shm_size");
  q = cv_bytes_quantity (bytes);
  if (mount (s, volume_of ("dshm", "emptyDir", memory_dir (q)), "/dev/shm", false, NULL, err) < 0)
    return -1;
  cv_note (c, s, "shm_size", CC_CONVERT_APPROXIMATED, "an emptyDir of medium Memory at /dev/shm, sizeLimit %s", q);
  return 0;
}

/* ---- secrets and configs ------------------------------------------------------ */

static int64_t
file_mode (const cJSON *m)
{
  const cJSON *mode = cJSON_GetObjectItemCaseSensitive (m, "mode");

  if (cJSON_IsNumber (mode))
    return (int64_t)mode->valuedouble;
  if (cJSON_IsString (mode))
    return strtoll (mode->valuestring, NULL, 8);
  return -1;
}

static int
mount_file_ref (struct cv *c, struct cv_svc *s, const char *key, const cJSON *m, bool secret, size_t index,
                cc_error_t *err)
{
  const char *source = cc_json_get_string (m, "source"), *target = cc_json_get_string (m, "target");
  const cJSON *def = top_object (c, secret ? "secrets" : "configs", source);
  bool external = cc_json_get_bool (def, "external", false);
  cleanup_free char *object = external ? xstrdup (cc_json_get_string (def, "name")) : cv_dns_label (source, err);
  cleanup_free char *path = NULL;
  cleanup_free char *vname = xasprintf ("%s-%zu", secret ? "secret" : "config", index);
  cJSON *src = cJSON_CreateObject ();
  cJSON *items = cJSON_CreateArray ();
  cJSON *item = cJSON_CreateObject ();
  int64_t mode = file_mode (m);

  if (object == NULL)
    {
      cJSON_Delete (src), cJSON_Delete (items), cJSON_Delete (item);
      return -1;
    }
  if (target == NULL)
    path = secret ? xasprintf ("/run/secrets/%s", source) : xasprintf ("/%s", source);
  else if (target[0] != '/')
    path = secret ? xasprintf ("/run/secrets/%s", target) : xasprintf ("/%s", target);
  else
    path = xstrdup (target);
  cc_json_set_string (item, "key", source);
  cc_json_set_string (item, "path", source);
  if (mode >= 0)
    cc_json_set_int (item, "mode", mode);
  cJSON_AddItemToArray (items, item);
  cc_json_set_string (src, secret ? "secretName" : "name", object);
  cc_json_set (src, "items", items);
  if (mount (s, volume_of (vname, secret ? "secret" : "configMap", src), path, true, source, err) < 0)
    return -1;
  use (secret ? c->used_secrets : c->used_configs, source, s->name);
  if (cJSON_GetObjectItemCaseSensitive (m, "uid") || cJSON_GetObjectItemCaseSensitive (m, "gid"))
    cv_note (c, s, key, CC_CONVERT_DROPPED,
             "%s `%s` at %s, but its uid and gid: Kubernetes projects the file as root (only the pod's fsGroup "
             "changes its group)",
             secret ? "Secret" : "ConfigMap", object, path);
  else
    cv_note (c, s, key, external ? CC_CONVERT_APPROXIMATED : CC_CONVERT_CONVERTED, "%s `%s` at %s%s",
             secret ? "Secret" : "ConfigMap", object, path,
             external ? " (external: it must exist in the cluster with that key)" : "");
  return 0;
}

static int
cv_key_secrets (struct cv *c, struct cv_svc *s, const cJSON *v, cc_error_t *err)
{
  size_t i = 0;

  for (const cJSON *m = v->child; m; m = m->next, i++)
    {
      cleanup_free char *key = xasprintf ("secrets[%zu]", i);
      if (mount_file_ref (c, s, key, m, true, i, err) < 0)
        return -1;
    }
  return 0;
}

static int
cv_key_configs (struct cv *c, struct cv_svc *s, const cJSON *v, cc_error_t *err)
{
  size_t i = 0;

  for (const cJSON *m = v->child; m; m = m->next, i++)
    {
      cleanup_free char *key = xasprintf ("configs[%zu]", i);
      if (mount_file_ref (c, s, key, m, false, i, err) < 0)
        return -1;
    }
  return 0;
}

int
cv_key_storage (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  if (strcmp (key, "volumes") == 0)
    return cv_key_volumes (c, s, v, err);
  if (strcmp (key, "tmpfs") == 0)
    return cv_key_tmpfs (c, s, v, err);
  if (strcmp (key, "secrets") == 0)
    return cv_key_secrets (c, s, v, err);
  if (strcmp (key, "configs") == 0)
    return cv_key_configs (c, s, v, err);
  return cv_key_shm_size (c, s, v, err);
}

/* ---- the objects ----------------------------------------------------------------- */

/* The bytes of a top-level secret or config: its file, its `content`, or
   the variable its `environment` names.  */
static int
file_object_bytes (struct cv *c, const char *what, const char *name, const cJSON *def, char **out, size_t *len,
                   cc_error_t *err)
{
  const char *file = cc_json_get_string (def, "file"), *content = cc_json_get_string (def, "content");
  const char *var = cc_json_get_string (def, "environment");

  (void)c;
  if (file)
    {
      if (cc_read_file_max (file, CV_OBJECT_DATA_MAX, out, len, err) < 0)
        return cc_error_wrap (err, "%s `%s`", what, name);
      return 0;
    }
  if (content)
    {
      *out = xstrdup (content);
      *len = strlen (content);
      return 0;
    }
  if (var && getenv (var))
    {
      *out = xstrdup (getenv (var));
      *len = strlen (*out);
      return 0;
    }
  return cc_error_make (err, 0, "%s `%s`: %s%s%s", what, name, var ? "variable `" : "no file, content or variable",
                        var ? var : "", var ? "` is not set" : "");
}

static int
file_objects (struct cv *c, bool secret, cc_error_t *err)
{
  const char *section = secret ? "secrets" : "configs", *what = secret ? "secret" : "config";

  for (const cJSON *u = (secret ? c->used_secrets : c->used_configs)->child; u; u = u->next)
    {
      const cJSON *def = top_object (c, section, u->string);
      cleanup_free char *scope = xasprintf ("%s %s", what, u->string);
      cleanup_free char *name = NULL;
      cleanup_free char *data = NULL;
      cleanup_free char *origin = NULL;
      size_t len = 0;
      cJSON *obj;

      if (cc_json_get_bool (def, "external", false))
        {
          cv_note_top (c, scope, "external", CC_CONVERT_APPROXIMATED, "not created: it must exist in the cluster");
          continue;
        }
      name = cv_dns_label (u->string, err);
      if (name == NULL || file_object_bytes (c, what, u->string, def, &data, &len, err) < 0)
        return -1;
      obj = cv_object (c, "v1", secret ? "Secret" : "ConfigMap", name);
      if (secret)
        {
          cc_json_set_string (obj, "type", "Opaque");
          secret_put (obj, u->string, data, len);
        }
      else
        configmap_put (obj, u->string, data, len);
      origin = xasprintf ("%s `%s`", what, u->string);
      if (cv_add_object (c, obj, origin, err) < 0)
        return -1;
      cv_note_top (c, scope, "", CC_CONVERT_CONVERTED, "%s `%s` (key `%s`)%s", secret ? "Secret" : "ConfigMap", name,
                   u->string, secret ? ": the manifest holds the value (base64): keep it out of version control" : "");
      for (const cJSON *k = def ? def->child : NULL; k; k = k->next)
        if (strcmp (k->string, "labels") == 0 || strcmp (k->string, "driver") == 0
            || strcmp (k->string, "driver_opts") == 0 || strcmp (k->string, "template_driver") == 0)
          cv_note_top (c, scope, k->string, CC_CONVERT_DROPPED, "no Kubernetes counterpart");
    }
  return 0;
}

static int
claims (struct cv *c, cc_error_t *err)
{
  for (const cJSON *u = c->used_volumes->child; u; u = u->next)
    {
      const cJSON *vol = top_object (c, "volumes", u->string);
      cleanup_free char *scope = xasprintf ("volume %s", u->string);
      cleanup_free char *name = cv_dns_label (u->string, err);
      cleanup_free char *size = NULL;
      cleanup_free char *origin = xasprintf ("volume `%s`", u->string);
      bool given, plain = false;
      cJSON *pvc;

      if (name == NULL || claim_size (c, vol, &size, &given, err) < 0)
        return -1;
      for (size_t i = 0; i < c->n_svcs; i++)
        for (const cJSON *n = u->child; n; n = n->next)
          plain |= strcmp (n->valuestring, c->svcs[i].name) == 0 && c->svcs[i].kind != CV_STATEFULSET;
      if (cc_json_get_bool (vol, "external", false))
        {
          cv_note_top (c, scope, "external", CC_CONVERT_APPROXIMATED,
                       "not created: claim `%s` must exist in the cluster", cc_json_get_string (vol, "name"));
          continue;
        }
      if (plain)
        {
          pvc = cv_object (c, "v1", "PersistentVolumeClaim", name);
          cc_json_set (pvc, "spec", claim_spec (c, size));
          if (cv_add_object (c, pvc, origin, err) < 0)
            return -1;
        }
      cv_note_top (c, scope, "", given ? CC_CONVERT_CONVERTED : CC_CONVERT_APPROXIMATED,
                   "PersistentVolumeClaim `%s`, ReadWriteOnce, %s%s%s", name, size,
                   given ? "" : " (a compose volume has no size: label " CV_CONTROL_PREFIX "size or --volume-size)",
                   cJSON_GetArraySize (u) > 1 ? "; used by several services: ReadWriteOnce lets only pods on one node "
                                                "mount it"
                                              : "");
      for (const cJSON *k = vol ? vol->child : NULL; k; k = k->next)
        if (strcmp (k->string, "driver") == 0 && strcmp (k->valuestring, "local") != 0)
          cv_note_top (c, scope, "driver", CC_CONVERT_DROPPED, "the storage class decides (--storage-class)");
        else if (strcmp (k->string, "driver_opts") == 0)
          cv_note_top (c, scope, "driver_opts", CC_CONVERT_DROPPED, "the storage class decides (--storage-class)");
    }
  return 0;
}

static int
env_objects (struct cv *c, cc_error_t *err)
{
  for (size_t i = 0; i < c->n_svcs; i++)
    {
      struct cv_svc *s = &c->svcs[i];
      cleanup_free char *name = xasprintf ("%s-env", s->k8s);
      cleanup_free char *origin = xasprintf ("the environment of service `%s`", s->name);
      cJSON *obj;

      if (s->env_config)
        {
          obj = cv_object (c, "v1", "ConfigMap", name);
          cc_json_set (obj, "data", steal_pointer (&s->env_config));
          if (cv_add_object (c, obj, origin, err) < 0)
            return -1;
        }
      if (s->env_secret)
        {
          obj = cv_object (c, "v1", "Secret", name);
          cc_json_set_string (obj, "type", "Opaque");
          for (const cJSON *e = s->env_secret->child; e; e = e->next)
            secret_put (obj, e->string, e->valuestring, strlen (e->valuestring));
          if (cv_add_object (c, obj, origin, err) < 0)
            return -1;
        }
    }
  return 0;
}

int
cv_build_storage (struct cv *c, cc_error_t *err)
{
  if (claims (c, err) < 0 || file_objects (c, true, err) < 0 || file_objects (c, false, err) < 0
      || env_objects (c, err) < 0)
    return -1;
  return 0;
}
