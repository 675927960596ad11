/* OCI image index / manifest, Docker manifest list / schema 2 manifest,
   and image config documents, parsed with cJSON.  Every digest is checked
   for its form here so that nothing later builds a path from a hostile
   one.  */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <sys/utsname.h>

#include "image/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ---- descriptors -------------------------------------------------------- */

void
cc_descriptor_release (struct cc_descriptor *d)
{
  free (d->media_type);
  free (d->digest);
  free (d->os);
  free (d->arch);
  free (d->name);
  memset (d, 0, sizeof (*d));
}

static char *
annotation_name (const cJSON *desc)
{
  const cJSON *ann = cJSON_GetObjectItemCaseSensitive (desc, "annotations");
  const char *full = cc_json_get_string (ann, ANNOT_CONTAINERD_NAME);
  const char *ref = cc_json_get_string (ann, ANNOT_REF_NAME);

  /* containerd's full name is unambiguous; ref.name may be only a tag
     in strict OCI layouts, but skopeo and most tools write NAME:TAG.  */
  if (full && *full)
    return xstrdup (full);
  return ref && *ref ? xstrdup (ref) : NULL;
}

static int
parse_descriptor (const cJSON *j, const char *what, struct cc_descriptor *d, cc_error_t *err)
{
  const char *digest = cc_json_get_string (j, "digest");
  const cJSON *size = cJSON_GetObjectItemCaseSensitive (j, "size");
  const cJSON *platform = cJSON_GetObjectItemCaseSensitive (j, "platform");
  const char *mt = cc_json_get_string (j, "mediaType");

  if (! cJSON_IsObject (j))
    return cc_error_make (err, 0, "%s: descriptor is not an object", what);
  if (! cc_image_is_digest (digest))
    return cc_error_make (err, 0, "%s: invalid digest `%s` (want sha256:<64 hex>)", what, digest ? digest : "(none)");
  if (! cJSON_IsNumber (size) || size->valuedouble < 0 || ! cc_double_to_int64 (size->valuedouble, &d->size))
    return cc_error_make (err, 0, "%s: descriptor of `%s` has no valid size (want 0..%" PRId64 ")", what, digest,
                          INT64_MAX);
  d->digest = xstrdup (digest);
  d->media_type = xstrdup (mt ? mt : "");
  if (platform)
    {
      const char *os = cc_json_get_string (platform, "os");
      const char *arch = cc_json_get_string (platform, "architecture");
      d->os = os ? xstrdup (os) : NULL;
      d->arch = arch ? xstrdup (arch) : NULL;
    }
  d->name = annotation_name (j);
  return 0;
}

/* ---- manifests ---------------------------------------------------------- */

enum cc_manifest_kind
cc_manifest_kind (const cJSON *doc)
{
  const char *mt = cc_json_get_string (doc, "mediaType");

  if (mt && (strcmp (mt, MT_OCI_INDEX) == 0 || strcmp (mt, MT_DOCKER_LIST) == 0))
    return CC_KIND_INDEX;
  if (mt && (strcmp (mt, MT_OCI_MANIFEST) == 0 || strcmp (mt, MT_DOCKER_MANIFEST) == 0))
    return CC_KIND_MANIFEST;
  /* mediaType is optional in OCI documents: go by shape.  */
  if (mt == NULL && cJSON_IsArray (cJSON_GetObjectItemCaseSensitive (doc, "manifests")))
    return CC_KIND_INDEX;
  if (mt == NULL && cJSON_IsObject (cJSON_GetObjectItemCaseSensitive (doc, "config")))
    return CC_KIND_MANIFEST;
  return CC_KIND_UNKNOWN;
}

bool
cc_is_layer_media_type (const char *mt)
{
  static const char *const known[] = {
    MT_OCI_LAYER,
    MT_OCI_LAYER_GZIP,
    MT_OCI_LAYER_ZSTD,
    MT_DOCKER_LAYER,
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  };

  if (mt == NULL || *mt == '\0')
    return true; /* untyped: libarchive sniffs the compression */
  for (size_t i = 0; i < CC_N_ELEMENTS (known); i++)
    if (strcmp (mt, known[i]) == 0)
      return true;
  return false;
}

static int
check_schema (const cJSON *doc, const char *what, cc_error_t *err)
{
  int64_t v = cc_json_get_int (doc, "schemaVersion", -1);

  if (! cJSON_IsObject (doc))
    return cc_error_make (err, 0, "%s is not a JSON object", what);
  if (v != 2)
    return cc_error_make (err, 0, "%s: unsupported schemaVersion %lld (want 2)", what, (long long)v);
  return 0;
}

static int
parse_layers (const cJSON *arr, struct cc_manifest *m, cc_error_t *err)
{
  const cJSON *it;
  size_t i = 0;

  if (! cJSON_IsArray (arr))
    return cc_error_make (err, 0, "manifest: `layers` is not an array");
  m->layers = xzalloc (sizeof (*m->layers) * ((size_t)cJSON_GetArraySize (arr) + 1));
  cJSON_ArrayForEach (it, arr)
  {
    if (parse_descriptor (it, "manifest layer", &m->layers[i], err) < 0)
      return -1;
    m->n_layers = ++i;
    if (! cc_is_layer_media_type (m->layers[i - 1].media_type))
      return cc_error_make (err, 0, "manifest: unsupported layer media type `%s`", m->layers[i - 1].media_type);
  }
  return 0;
}

int
cc_manifest_parse (const char *json, size_t len, struct cc_manifest *out, cc_error_t *err)
{
  cleanup_cjson cJSON *doc = NULL;

  (void)len;
  memset (out, 0, sizeof (*out));
  if (cc_json_parse (json, "manifest", &doc, err) < 0 || check_schema (doc, "manifest", err) < 0)
    return -1;
  if (cc_manifest_kind (doc) != CC_KIND_MANIFEST)
    return cc_error_make (err, 0, "not an image manifest (mediaType `%s`)",
                          cc_json_get_string (doc, "mediaType") ?: "none");
  if (parse_descriptor (cJSON_GetObjectItemCaseSensitive (doc, "config"), "manifest config", &out->config, err) < 0
      || parse_layers (cJSON_GetObjectItemCaseSensitive (doc, "layers"), out, err) < 0)
    {
      cc_manifest_release (out);
      return -1;
    }
  return 0;
}

void
cc_manifest_release (struct cc_manifest *m)
{
  cc_descriptor_release (&m->config);
  for (size_t i = 0; i < m->n_layers; i++)
    cc_descriptor_release (&m->layers[i]);
  free (m->layers);
  memset (m, 0, sizeof (*m));
}

int
cc_index_parse (const char *json, size_t len, struct cc_index *out, cc_error_t *err)
{
  cleanup_cjson cJSON *doc = NULL;
  const cJSON *arr, *it;

  (void)len;
  memset (out, 0, sizeof (*out));
  if (cc_json_parse (json, "index", &doc, err) < 0 || check_schema (doc, "index", err) < 0)
    return -1;
  arr = cJSON_GetObjectItemCaseSensitive (doc, "manifests");
  if (! cJSON_IsArray (arr))
    return cc_error_make (err, 0, "index: `manifests` is not an array");
  out->manifests = xzalloc (sizeof (*out->manifests) * ((size_t)cJSON_GetArraySize (arr) + 1));
  cJSON_ArrayForEach (it, arr)
  {
    if (parse_descriptor (it, "index entry", &out->manifests[out->n], err) < 0)
      {
        out->n++;
        cc_index_release (out);
        return -1;
      }
    out->n++;
  }
  return 0;
}

void
cc_index_release (struct cc_index *idx)
{
  for (size_t i = 0; i < idx->n; i++)
    cc_descriptor_release (&idx->manifests[i]);
  free (idx->manifests);
  memset (idx, 0, sizeof (*idx));
}

const char *
cc_host_arch (void)
{
  static const struct
  {
    const char *uname, *oci;
  } arches[] = {
    { "x86_64", "amd64" },    { "aarch64", "arm64" }, { "armv7l", "arm" },      { "i686", "386" },
    { "ppc64le", "ppc64le" }, { "s390x", "s390x" },   { "riscv64", "riscv64" },
  };
  static struct utsname u;

  if (uname (&u) == 0)
    for (size_t i = 0; i < CC_N_ELEMENTS (arches); i++)
      if (strcmp (u.machine, arches[i].uname) == 0)
        return arches[i].oci;
  return "amd64";
}

const struct cc_descriptor *
cc_index_pick_platform (const struct cc_index *idx)
{
  const char *arch = cc_host_arch ();

  for (size_t i = 0; i < idx->n; i++)
    {
      const struct cc_descriptor *d = &idx->manifests[i];
      /* Entries without a platform (single-image layouts) match anything;
         `unknown/unknown` are attestations, never images.  */
      if (d->os == NULL && d->arch == NULL)
        return d;
      if (d->os && strcmp (d->os, "linux") == 0 && d->arch && strcmp (d->arch, arch) == 0)
        return d;
    }
  return NULL;
}

/* ---- image config --------------------------------------------------------- */

static int
get_strv (const cJSON *obj, const char *key, char ***out, cc_error_t *err)
{
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive (obj, key), *it;
  cleanup_strv_builder struct cc_strv_builder b = { 0 };

  if (arr == NULL || cJSON_IsNull (arr))
    return 0;
  if (! cJSON_IsArray (arr))
    return cc_error_make (err, 0, "image config: `%s` is not an array of strings", key);
  cJSON_ArrayForEach (it, arr)
  {
    if (! cJSON_IsString (it))
      return cc_error_make (err, 0, "image config: `%s` is not an array of strings", key);
    cc_strv_builder_append (&b, it->valuestring);
  }
  *out = cc_strv_builder_steal (&b);
  return 0;
}

static int
get_string (const cJSON *obj, const char *key, char **out, cc_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (! cJSON_IsString (v))
    return cc_error_make (err, 0, "image config: `%s` is not a string", key);
  *out = xstrdup (v->valuestring);
  return 0;
}

/* {"6379/tcp": {}} -> ["6379/tcp"]; LABELS: {"k": "v"} -> ["k=v"].  */
static int
get_keys (const cJSON *obj, const char *key, bool with_values, char ***out, cc_error_t *err)
{
  const cJSON *map = cJSON_GetObjectItemCaseSensitive (obj, key), *it;
  cleanup_strv_builder struct cc_strv_builder b = { 0 };

  if (map == NULL || cJSON_IsNull (map))
    return 0;
  if (! cJSON_IsObject (map))
    return cc_error_make (err, 0, "image config: `%s` is not an object", key);
  cJSON_ArrayForEach (it, map)
  {
    if (with_values && ! cJSON_IsString (it))
      return cc_error_make (err, 0, "image config: label `%s` is not a string", it->string);
    cc_strv_builder_push (&b, with_values ? xasprintf ("%s=%s", it->string, it->valuestring) : xstrdup (it->string));
  }
  *out = cc_strv_builder_steal (&b);
  return 0;
}

static int
get_duration (const cJSON *obj, const char *key, int64_t *out, cc_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (v == NULL)
    return 0;
  if (! cJSON_IsNumber (v) || v->valuedouble < 0 || ! cc_double_to_int64 (v->valuedouble, out))
    return cc_error_make (err, 0, "image config: healthcheck `%s` is not a duration in ns (want 0..%" PRId64 ")", key,
                          INT64_MAX);
  return 0;
}

static int
get_healthcheck (const cJSON *obj, struct cc_image_config *cfg, cc_error_t *err)
{
  const cJSON *hc = cJSON_GetObjectItemCaseSensitive (obj, "Healthcheck");
  struct cc_image_healthcheck *h;

  if (hc == NULL || cJSON_IsNull (hc))
    return 0;
  if (! cJSON_IsObject (hc))
    return cc_error_make (err, 0, "image config: `Healthcheck` is not an object");
  h = cfg->healthcheck = xzalloc (sizeof (*h));
  h->retries = (int)cc_json_get_int (hc, "Retries", 0);
  if (get_strv (hc, "Test", &h->test, err) < 0 || get_duration (hc, "Interval", &h->interval_ns, err) < 0
      || get_duration (hc, "Timeout", &h->timeout_ns, err) < 0
      || get_duration (hc, "StartPeriod", &h->start_period_ns, err) < 0
      || get_duration (hc, "StartInterval", &h->start_interval_ns, err) < 0)
    return -1;
  return 0;
}

static int
get_diff_ids (const cJSON *doc, struct cc_image_config *cfg, cc_error_t *err)
{
  const cJSON *rootfs = cJSON_GetObjectItemCaseSensitive (doc, "rootfs");

  if (! cJSON_IsObject (rootfs))
    return cc_error_make (err, 0, "image config: no `rootfs` object");
  if (get_strv (rootfs, "diff_ids", &cfg->diff_ids, err) < 0)
    return -1;
  if (cfg->diff_ids == NULL)
    return cc_error_make (err, 0, "image config: no `rootfs.diff_ids`");
  for (char **d = cfg->diff_ids; *d; d++)
    if (! cc_image_is_digest (*d))
      return cc_error_make (err, 0, "image config: invalid diff id `%s`", *d);
  return 0;
}

static int
parse_process (const cJSON *c, struct cc_image_config *cfg, cc_error_t *err)
{
  if (c == NULL || cJSON_IsNull (c))
    return 0;
  if (! cJSON_IsObject (c))
    return cc_error_make (err, 0, "image config: `config` is not an object");
  if (get_strv (c, "Entrypoint", &cfg->entrypoint, err) < 0 || get_strv (c, "Cmd", &cfg->cmd, err) < 0
      || get_strv (c, "Env", &cfg->env, err) < 0 || get_string (c, "WorkingDir", &cfg->working_dir, err) < 0
      || get_string (c, "User", &cfg->user, err) < 0
      || get_keys (c, "ExposedPorts", false, &cfg->exposed_ports, err) < 0
      || get_keys (c, "Volumes", false, &cfg->volumes, err) < 0 || get_keys (c, "Labels", true, &cfg->labels, err) < 0
      || get_string (c, "StopSignal", &cfg->stop_signal, err) < 0 || get_healthcheck (c, cfg, err) < 0)
    return -1;
  return 0;
}

int
cc_image_config_parse (const char *json, size_t len, struct cc_image_config *out, cc_error_t *err)
{
  cleanup_cjson cJSON *doc = NULL;

  (void)len;
  memset (out, 0, sizeof (*out));
  if (cc_json_parse (json, "image config", &doc, err) < 0)
    return -1;
  if (! cJSON_IsObject (doc))
    return cc_error_make (err, 0, "image config is not a JSON object");
  if (parse_process (cJSON_GetObjectItemCaseSensitive (doc, "config"), out, err) < 0
      || get_string (doc, "architecture", &out->architecture, err) < 0 || get_string (doc, "os", &out->os, err) < 0
      || get_string (doc, "created", &out->created, err) < 0 || get_diff_ids (doc, out, err) < 0)
    {
      cc_image_config_release (out);
      return -1;
    }
  return 0;
}

void
cc_image_config_release (struct cc_image_config *cfg)
{
  cc_strv_free (cfg->entrypoint);
  cc_strv_free (cfg->cmd);
  cc_strv_free (cfg->env);
  free (cfg->working_dir);
  free (cfg->user);
  cc_strv_free (cfg->exposed_ports);
  cc_strv_free (cfg->volumes);
  cc_strv_free (cfg->labels);
  free (cfg->stop_signal);
  if (cfg->healthcheck)
    cc_strv_free (cfg->healthcheck->test);
  free (cfg->healthcheck);
  free (cfg->architecture);
  free (cfg->os);
  free (cfg->created);
  cc_strv_free (cfg->diff_ids);
  memset (cfg, 0, sizeof (*cfg));
}
