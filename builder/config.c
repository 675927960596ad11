/* Image configs as BuildKit's dockerfile frontend reads and writes them
   (moby/docker-image-spec DockerOCIImage).  image/'s cc_image_config is
   what running a container needs; a build needs more (Shell, OnBuild,
   ArgsEscaped, the history, the author), and must drop what BuildKit
   drops, so the builder has its own struct.  The JSON keeps Go's field
   order and omits empty fields as Go's `omitempty` does; durations and
   other integers are written as integers (cJSON would print doubles, which
   Go cannot read back into an int64 past 2^53).  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void
cc_bld_health_free (struct cc_builder_health *h)
{
  if (h == NULL)
    return;
  cc_strv_free (h->test);
  free (h);
}

struct cc_builder_health *
cc_bld_health_dup (const struct cc_builder_health *h)
{
  struct cc_builder_health *d;

  if (h == NULL)
    return NULL;
  d = xmemdup (h, sizeof (*h));
  d->test = h->test ? cc_strv_dup (h->test) : NULL;
  return d;
}

void
cc_builder_image_free (struct cc_builder_image *img)
{
  if (img == NULL)
    return;
  free (img->created);
  free (img->author);
  free (img->architecture);
  free (img->os);
  free (img->os_version);
  free (img->variant);
  free (img->user);
  cc_strv_free (img->exposed_ports);
  cc_strv_free (img->env);
  cc_strv_free (img->entrypoint);
  cc_strv_free (img->cmd);
  cc_strv_free (img->volumes);
  free (img->working_dir);
  for (size_t i = 0; i < img->n_labels; i++)
    {
      free (img->labels[i].key);
      free (img->labels[i].value);
    }
  free (img->labels);
  free (img->stop_signal);
  cc_bld_health_free (img->healthcheck);
  cc_strv_free (img->onbuild);
  cc_strv_free (img->shell);
  cc_strv_free (img->diff_ids);
  for (size_t i = 0; i < img->n_history; i++)
    {
      free (img->history[i].created);
      free (img->history[i].created_by);
      free (img->history[i].author);
      free (img->history[i].comment);
    }
  free (img->history);
  free (img);
}

static char *
dup_or_null (const char *s)
{
  return s ? xstrdup (s) : NULL;
}

static char **
strv_dup_or_null (char *const *v)
{
  return v ? cc_strv_dup (v) : NULL;
}

struct cc_builder_image *
cc_builder_image_dup (const struct cc_builder_image *src)
{
  struct cc_builder_image *img = xzalloc (sizeof (*img));

  img->created = dup_or_null (src->created);
  img->author = dup_or_null (src->author);
  img->architecture = dup_or_null (src->architecture);
  img->os = dup_or_null (src->os);
  img->os_version = dup_or_null (src->os_version);
  img->variant = dup_or_null (src->variant);
  img->user = dup_or_null (src->user);
  img->exposed_ports = strv_dup_or_null (src->exposed_ports);
  img->env = strv_dup_or_null (src->env);
  img->entrypoint = strv_dup_or_null (src->entrypoint);
  img->cmd = strv_dup_or_null (src->cmd);
  img->volumes = strv_dup_or_null (src->volumes);
  img->working_dir = dup_or_null (src->working_dir);
  img->labels = xzalloc ((src->n_labels + 1) * sizeof (*img->labels));
  for (size_t i = 0; i < src->n_labels; i++)
    {
      img->labels[i].key = xstrdup (src->labels[i].key);
      img->labels[i].value = xstrdup (src->labels[i].value);
    }
  img->n_labels = src->n_labels;
  img->stop_signal = dup_or_null (src->stop_signal);
  img->args_escaped = src->args_escaped;
  img->healthcheck = cc_bld_health_dup (src->healthcheck);
  img->onbuild = strv_dup_or_null (src->onbuild);
  img->shell = strv_dup_or_null (src->shell);
  img->diff_ids = strv_dup_or_null (src->diff_ids);
  img->history = xzalloc ((src->n_history + 1) * sizeof (*img->history));
  for (size_t i = 0; i < src->n_history; i++)
    {
      img->history[i].created = dup_or_null (src->history[i].created);
      img->history[i].created_by = dup_or_null (src->history[i].created_by);
      img->history[i].author = dup_or_null (src->history[i].author);
      img->history[i].comment = dup_or_null (src->history[i].comment);
      img->history[i].empty_layer = src->history[i].empty_layer;
    }
  img->n_history = src->n_history;
  return img;
}

struct cc_builder_image *
cc_builder_image_scratch (const char *platform)
{
  struct cc_builder_image *img = xzalloc (sizeof (*img));
  cleanup_free char *host = platform ? NULL : cc_builder_host_platform ();
  cleanup_strv char **parts = cc_strv_split (platform ? platform : host, '/', false);

  img->os = xstrdup (parts[0] ? parts[0] : "linux");
  img->architecture = xstrdup (parts[0] && parts[1] ? parts[1] : "amd64");
  if (parts[0] && parts[1] && parts[2])
    img->variant = xstrdup (parts[2]);
  img->working_dir = xstrdup ("/");
  img->env = xzalloc (sizeof (char *));
  cc_strv_append (&img->env, "PATH=" DEFAULT_PATH);
  return img;
}

/* ---- small helpers ------------------------------------------------------ */

void
cc_bld_sort_unique (char **v)
{
  cc_strv_sort_unique (v);
}

static int
cmp_label (const void *a, const void *b)
{
  return strcmp (((const struct cc_builder_label *)a)->key, ((const struct cc_builder_label *)b)->key);
}

/* ---- JSON in --------------------------------------------------------- */

static char *
json_string (const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItem (obj, key);
  return cJSON_IsString (v) && v->valuestring ? xstrdup (v->valuestring) : NULL;
}

static char **
json_strings (const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItem (obj, key), *it;
  struct cc_bld_vec out = { 0 };

  if (! cJSON_IsArray (v))
    return NULL;
  cJSON_ArrayForEach (it, v)
  {
    if (cJSON_IsString (it) && it->valuestring)
      cc_bld_vec_push (&out, xstrdup (it->valuestring));
  }
  return cc_bld_vec_steal (&out);
}

/* A JSON object used as a set: its keys, sorted.  */
static char **
json_keys (const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItem (obj, key), *it;
  struct cc_bld_vec out = { 0 };
  char **keys;

  if (! cJSON_IsObject (v))
    return NULL;
  cJSON_ArrayForEach (it, v)
  {
    cc_bld_vec_push (&out, xstrdup (it->string ? it->string : ""));
  }
  keys = cc_bld_vec_steal (&out);
  cc_bld_sort_unique (keys);
  return keys;
}

static int64_t
json_int (const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItem (obj, key);
  int64_t out = 0;

  if (cJSON_IsNumber (v))
    cc_double_to_int64 (v->valuedouble, &out);
  return out;
}

static void
parse_config (struct cc_builder_image *img, const cJSON *c)
{
  const cJSON *labels = cJSON_GetObjectItem (c, "Labels"), *it, *hc;

  img->user = json_string (c, "User");
  img->exposed_ports = json_keys (c, "ExposedPorts");
  img->env = json_strings (c, "Env");
  img->entrypoint = json_strings (c, "Entrypoint");
  img->cmd = json_strings (c, "Cmd");
  img->volumes = json_keys (c, "Volumes");
  img->working_dir = json_string (c, "WorkingDir");
  img->stop_signal = json_string (c, "StopSignal");
  img->args_escaped = cJSON_IsTrue (cJSON_GetObjectItem (c, "ArgsEscaped"));
  img->onbuild = json_strings (c, "OnBuild");
  img->shell = json_strings (c, "Shell");
  if (cJSON_IsObject (labels))
    {
      /* The last value of a repeated key wins, as in a Go map.  */
      cleanup_bld_vars struct cc_bld_vars *v = cc_bld_vars_new ();
      cJSON_ArrayForEach (it, labels)
      {
        if (cJSON_IsString (it) && it->string)
          cc_bld_vars_set (v, it->string, it->valuestring);
      }
      img->n_labels = cc_bld_vars_count (v);
      img->labels = xzalloc ((img->n_labels + 1) * sizeof (*img->labels));
      for (size_t i = 0; i < img->n_labels; i++)
        {
          img->labels[i].key = xstrdup (cc_bld_vars_key (v, i));
          img->labels[i].value = xstrdup (cc_bld_vars_value (v, i));
        }
      qsort (img->labels, img->n_labels, sizeof (*img->labels), cmp_label);
    }
  hc = cJSON_GetObjectItem (c, "Healthcheck");
  if (cJSON_IsObject (hc))
    {
      struct cc_builder_health *h = img->healthcheck = xzalloc (sizeof (*h));
      h->test = json_strings (hc, "Test");
      h->interval_ns = json_int (hc, "Interval");
      h->timeout_ns = json_int (hc, "Timeout");
      h->start_period_ns = json_int (hc, "StartPeriod");
      h->start_interval_ns = json_int (hc, "StartInterval");
      h->retries = (int)json_int (hc, "Retries");
    }
}

static void
parse_history (struct cc_builder_image *img, const cJSON *hist)
{
  const cJSON *it;

  cJSON_ArrayForEach (it, hist)
  {
    struct cc_builder_history *h;
    if (! cJSON_IsObject (it))
      continue;
    img->history = cc_bld_grow (img->history, img->n_history, sizeof (*img->history));
    h = &img->history[img->n_history++];
    memset (h, 0, sizeof (*h));
    h->created = json_string (it, "created");
    h->created_by = json_string (it, "created_by");
    h->author = json_string (it, "author");
    h->comment = json_string (it, "comment");
    h->empty_layer = cJSON_IsTrue (cJSON_GetObjectItem (it, "empty_layer"));
  }
}

int
cc_builder_image_parse (const char *json, size_t len, struct cc_builder_image **out, cc_error_t *err)
{
  cleanup_cjson cJSON *doc = cJSON_ParseWithLength (json, len);
  cleanup_builder_image struct cc_builder_image *img = NULL;
  const cJSON *c, *rootfs, *hist;

  if (! cJSON_IsObject (doc))
    return cc_error_make (err, 0, "parse image config: not a JSON object");
  img = xzalloc (sizeof (*img));
  /* A base image's creation time is not carried over (BuildKit clears it).  */
  img->author = json_string (doc, "author");
  img->architecture = json_string (doc, "architecture");
  img->os = json_string (doc, "os");
  img->os_version = json_string (doc, "os.version");
  img->variant = json_string (doc, "variant");
  c = cJSON_GetObjectItem (doc, "config");
  if (cJSON_IsObject (c))
    parse_config (img, c);
  rootfs = cJSON_GetObjectItem (doc, "rootfs");
  if (cJSON_IsObject (rootfs))
    img->diff_ids = json_strings (rootfs, "diff_ids");
  hist = cJSON_GetObjectItem (doc, "history");
  if (cJSON_IsArray (hist))
    parse_history (img, hist);
  *out = steal_pointer (&img);
  return 0;
}

/* ---- JSON out ------------------------------------------------------- */

static void
add_string (cJSON *obj, const char *key, const char *value)
{
  if (value && *value)
    cJSON_AddStringToObject (obj, key, value);
}

static void
add_strings (cJSON *obj, const char *key, char *const *v)
{
  cJSON *a;

  if (v == NULL || v[0] == NULL)
    return;
  a = cJSON_AddArrayToObject (obj, key);
  for (size_t i = 0; v[i]; i++)
    cJSON_AddItemToArray (a, cJSON_CreateString (v[i]));
}

static void
add_set (cJSON *obj, const char *key, char *const *v)
{
  cJSON *o;

  if (v == NULL || v[0] == NULL)
    return;
  o = cJSON_AddObjectToObject (obj, key);
  for (size_t i = 0; v[i]; i++)
    cJSON_AddItemToObject (o, v[i], cJSON_CreateObject ());
}

static void
add_int (cJSON *obj, const char *key, int64_t v)
{
  char buf[32];

  if (v == 0)
    return;
  snprintf (buf, sizeof (buf), "%lld", (long long)v);
  cJSON_AddItemToObject (obj, key, cJSON_CreateRaw (buf));
}

static cJSON *
config_json (const struct cc_builder_image *img)
{
  cJSON *c = cJSON_CreateObject ();

  add_string (c, "User", img->user);
  add_set (c, "ExposedPorts", img->exposed_ports);
  add_strings (c, "Env", img->env);
  add_strings (c, "Entrypoint", img->entrypoint);
  add_strings (c, "Cmd", img->cmd);
  add_set (c, "Volumes", img->volumes);
  add_string (c, "WorkingDir", img->working_dir);
  if (img->n_labels > 0)
    {
      cJSON *l = cJSON_AddObjectToObject (c, "Labels");
      for (size_t i = 0; i < img->n_labels; i++)
        cJSON_AddStringToObject (l, img->labels[i].key, img->labels[i].value);
    }
  add_string (c, "StopSignal", img->stop_signal);
  if (img->args_escaped)
    cJSON_AddTrueToObject (c, "ArgsEscaped");
  if (img->healthcheck)
    {
      const struct cc_builder_health *h = img->healthcheck;
      cJSON *o = cJSON_AddObjectToObject (c, "Healthcheck");
      add_strings (o, "Test", h->test);
      add_int (o, "Interval", h->interval_ns);
      add_int (o, "Timeout", h->timeout_ns);
      add_int (o, "StartPeriod", h->start_period_ns);
      add_int (o, "StartInterval", h->start_interval_ns);
      add_int (o, "Retries", h->retries);
    }
  add_strings (c, "OnBuild", img->onbuild);
  add_strings (c, "Shell", img->shell);
  return c;
}

cJSON *
cc_builder_image_to_json (const struct cc_builder_image *img)
{
  cJSON *doc = cJSON_CreateObject ();
  cJSON *rootfs, *ids;

  add_string (doc, "created", img->created);
  add_string (doc, "author", img->author);
  cJSON_AddStringToObject (doc, "architecture", img->architecture ? img->architecture : "");
  cJSON_AddStringToObject (doc, "os", img->os ? img->os : "");
  add_string (doc, "os.version", img->os_version);
  add_string (doc, "variant", img->variant);
  cJSON_AddItemToObject (doc, "config", config_json (img));
  rootfs = cJSON_AddObjectToObject (doc, "rootfs");
  cJSON_AddStringToObject (rootfs, "type", "layers");
  ids = cJSON_AddArrayToObject (rootfs, "diff_ids");
  for (size_t i = 0; img->diff_ids && img->diff_ids[i]; i++)
    cJSON_AddItemToArray (ids, cJSON_CreateString (img->diff_ids[i]));
  if (img->n_history > 0)
    {
      cJSON *hist = cJSON_AddArrayToObject (doc, "history");
      for (size_t i = 0; i < img->n_history; i++)
        {
          const struct cc_builder_history *h = &img->history[i];
          cJSON *o = cJSON_CreateObject ();
          add_string (o, "created", h->created);
          add_string (o, "created_by", h->created_by);
          add_string (o, "author", h->author);
          add_string (o, "comment", h->comment);
          if (h->empty_layer)
            cJSON_AddTrueToObject (o, "empty_layer");
          cJSON_AddItemToArray (hist, o);
        }
    }
  return doc;
}

const char *cc_bld_default_path = DEFAULT_PATH;
