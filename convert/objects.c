/* The objects: their common skeleton, a fixed order, and the output as
   one stream or one file per object with a kustomization.yaml.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert/internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* Output order: what others refer to comes first, so `kubectl apply -f`
   of the stream creates ConfigMaps and claims before the pods that use
   them.  */
static const char *const kind_order[] = {
  "Namespace",   "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Deployment",
  "StatefulSet", "DaemonSet", "Job",    "NetworkPolicy",
};

static size_t
kind_rank (const char *kind)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (kind_order); i++)
    if (strcmp (kind, kind_order[i]) == 0)
      return i;
  return CC_N_ELEMENTS (kind_order);
}

static const char *
object_kind (const cJSON *o)
{
  return cc_json_get_string (o, "kind");
}

static const char *
object_name (const cJSON *o)
{
  return cc_json_get_string (cJSON_GetObjectItemCaseSensitive (o, "metadata"), "name");
}

cJSON *
cv_object (struct cv *c, const char *api_version, const char *kind, const char *name)
{
  cJSON *o = cJSON_CreateObject ();
  cJSON *meta = cJSON_CreateObject ();
  cJSON *labels = cJSON_CreateObject ();
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *project = cv_dns_label (c->p->name, &err);

  cc_json_set_string (o, "apiVersion", api_version);
  cc_json_set_string (o, "kind", kind);
  cc_json_set_string (meta, "name", name);
  cc_json_set_string (labels, CV_LABEL_MANAGED_BY, "ccompose");
  cc_json_set_string (labels, CV_LABEL_PART_OF, project ? project : "compose");
  cc_json_set (meta, "labels", labels);
  cc_json_set (o, "metadata", meta);
  return o;
}

cJSON *
cv_selector (struct cv *c, const struct cv_svc *s)
{
  cJSON *sel = cJSON_CreateObject ();
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *project = cv_dns_label (c->p->name, &err);

  cc_json_set_string (sel, CV_LABEL_NAME, s->k8s);
  cc_json_set_string (sel, CV_LABEL_PART_OF, project ? project : "compose");
  return sel;
}

int
cv_add_object (struct cv *c, cJSON *obj, const char *origin, cc_error_t *err)
{
  cleanup_free char *id = xasprintf ("%s/%s", object_kind (obj), object_name (obj));
  const char *other = cc_json_get_string (c->origins, id);

  if (other)
    {
      cc_error_make (err, 0, "%s and %s would both be %s `%s`: rename one of them", other, origin, object_kind (obj),
                     object_name (obj));
      cJSON_Delete (obj);
      return -1;
    }
  cc_json_set_string (c->origins, id, origin);
  cJSON_AddItemToArray (c->objects, obj);
  return 0;
}

static int
compare_items (const void *a, const void *b)
{
  return strcmp ((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* Every object's keys in byte order, recursively: the output does not
   depend on the order the conversion filled them in.  */
static void
sort_keys (cJSON *j)
{
  size_t n = 0, i = 0;
  cleanup_free cJSON **items = NULL;

  for (cJSON *it = j->child; it; it = it->next)
    {
      sort_keys (it);
      n++;
    }
  if (! cJSON_IsObject (j) || n < 2)
    return;
  items = xmalloc (n * sizeof (cJSON *));
  for (cJSON *it = j->child; it; it = it->next)
    items[i++] = it;
  qsort (items, n, sizeof (cJSON *), compare_items);
  for (i = 0; i < n; i++)
    {
      items[i]->prev = i ? items[i - 1] : items[n - 1];
      items[i]->next = i + 1 < n ? items[i + 1] : NULL;
    }
  j->child = items[0];
}

static int
compare_objects (const void *a, const void *b)
{
  const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
  size_t rx = kind_rank (object_kind (x)), ry = kind_rank (object_kind (y));

  if (rx != ry)
    return rx < ry ? -1 : 1;
  return strcmp (object_name (x), object_name (y));
}

int
cv_objects_finish (struct cv *c, cc_error_t *err)
{
  size_t n = (size_t)cJSON_GetArraySize (c->objects), i = 0;
  cleanup_free cJSON **items = xzalloc ((n + 1) * sizeof (cJSON *));
  cJSON *sorted = cJSON_CreateArray ();

  while (c->objects->child)
    items[i++] = cJSON_DetachItemViaPointer (c->objects, c->objects->child);
  qsort (items, n, sizeof (cJSON *), compare_objects);
  for (i = 0; i < n; i++)
    {
      if (c->o->namespace && strcmp (object_kind (items[i]), "Namespace") != 0)
        cc_json_set_string (cJSON_GetObjectItemCaseSensitive (items[i], "metadata"), "namespace", c->o->namespace);
      sort_keys (items[i]);
      cJSON_AddItemToArray (sorted, items[i]);
    }
  cJSON_Delete (c->objects);
  c->objects = sorted;
  for (const cJSON *a = sorted->child; a && a->next; a = a->next)
    if (compare_objects (&a, &a->next) == 0)
      return cc_error_make (err, 0,
                            "two objects would both be %s `%s`: rename one of the compose objects they come from",
                            object_kind (a), object_name (a));
  return 0;
}

char *
cc_convert_render_stream (const struct cc_convert_result *r)
{
  struct cc_buf b = { 0 };

  for (const cJSON *o = r->objects->child; o; o = o->next)
    {
      cleanup_free char *text = cc_compose_render_yaml_document (o);
      if (o != r->objects->child)
        cc_buf_puts (&b, "---\n");
      cc_buf_puts (&b, text);
    }
  return cc_buf_steal (&b);
}

/* ---- a directory for `kubectl apply -k` ----------------------------- */

#define KUSTOMIZATION_MARK "# Generated by `ccompose convert`: convert the compose file again rather than editing.\n"

static char *
file_name (const cJSON *o)
{
  cleanup_free char *kind = xstrdup (object_kind (o));

  for (char *p = kind; *p; p++)
    *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
  return xasprintf ("%s-%s.yaml", object_name (o), kind);
}

/* The files a previous conversion listed in DIR/kustomization.yaml; an
   error when that file is someone else's.  */
static int
previous_files (const char *dir, char ***out, cc_error_t *err)
{
  cleanup_free char *path = cc_path_join (dir, "kustomization.yaml");
  cleanup_free char *text = NULL;
  cleanup_strv char **lines = NULL;

  *out = xzalloc (sizeof (char *));
  if (! cc_file_exists (path))
    return 0;
  if (cc_read_file_max (path, 16 * 1024 * 1024, &text, NULL, err) < 0)
    return -1;
  if (strncmp (text, KUSTOMIZATION_MARK, strlen (KUSTOMIZATION_MARK)) != 0)
    return cc_error_make (err, EEXIST, "`%s` was not written by ccompose convert: not overwriting it", path);
  lines = cc_strv_split (text, '\n', true);
  for (char **l = lines; *l; l++)
    if (strncmp (*l, "  - ", 4) == 0 && strchr (*l + 4, '/') == NULL && strcmp (*l + 4, "..") != 0)
      cc_strv_append (out, *l + 4);
  return 0;
}

static char *
kustomization (char *const *files, const char *namespace)
{
  cleanup_cjson cJSON *k = cJSON_CreateObject ();
  cJSON *res = cJSON_CreateArray ();
  cleanup_free char *body = NULL;

  cc_json_set_string (k, "apiVersion", "kustomize.config.k8s.io/v1beta1");
  cc_json_set_string (k, "kind", "Kustomization");
  if (namespace)
    cc_json_set_string (k, "namespace", namespace);
  for (char *const *f = files; *f; f++)
    cJSON_AddItemToArray (res, cJSON_CreateString (*f));
  cc_json_set (k, "resources", res);
  body = cc_compose_render_yaml_document (k);
  return xasprintf ("%s%s", KUSTOMIZATION_MARK, body);
}

int
cc_convert_write_dir (const struct cc_convert_result *r, const char *dir, const char *namespace, cc_error_t *err)
{
  cleanup_strv char **old = NULL;
  cleanup_strv char **files = xzalloc (sizeof (char *));
  cleanup_free char *kpath = cc_path_join (dir, "kustomization.yaml");
  cleanup_free char *ktext = NULL;

  if (cc_mkdir_p (dir, 0755, err) < 0 || previous_files (dir, &old, err) < 0)
    return -1;
  for (const cJSON *o = r->objects->child; o; o = o->next)
    {
      cleanup_free char *name = file_name (o);
      cleanup_free char *path = cc_path_join (dir, name);
      cleanup_free char *text = cc_compose_render_yaml_document (o);
      if (cc_write_file_atomic (path, text, strlen (text), 0644, err) < 0)
        return -1;
      cc_strv_append (&files, name);
    }
  for (char **f = old; *f; f++)
    if (! cc_strv_contains (files, *f))
      {
        cleanup_free char *path = cc_path_join (dir, *f);
        if (unlink (path) < 0 && errno != ENOENT)
          return cc_error_make (err, errno, "remove the stale `%s`", path);
      }
  ktext = kustomization (files, namespace);
  return cc_write_file_atomic (kpath, ktext, strlen (ktext), 0644, err);
}
