/* Small helpers over the pod spec and container being built: fields made
   on first use, so an object never carries an empty list.  */
#include <string.h>

#include "convert/internal.h"
#include "lib/json.h"

static cJSON *
get_or_make (cJSON *obj, const char *key, bool array)
{
  cJSON *it = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (it == NULL)
    {
      it = array ? cJSON_CreateArray () : cJSON_CreateObject ();
      cJSON_AddItemToObject (obj, key, it);
    }
  return it;
}

cJSON *
cv_pod_list (struct cv_svc *s, const char *key)
{
  return get_or_make (s->pod, key, true);
}

cJSON *
cv_pod_object (struct cv_svc *s, const char *key)
{
  return get_or_make (s->pod, key, false);
}

cJSON *
cv_container_list (struct cv_svc *s, const char *key)
{
  return get_or_make (s->container, key, true);
}

cJSON *
cv_container_object (struct cv_svc *s, const char *key)
{
  return get_or_make (s->container, key, false);
}

cJSON *
cv_resources (struct cv_svc *s, const char *which)
{
  return get_or_make (cv_container_object (s, "resources"), which, false);
}

void
cv_mount_only (struct cv_svc *s, const char *name, const char *mount_path, bool read_only, const char *sub_path)
{
  cJSON *m = cJSON_CreateObject ();

  cc_json_set_string (m, "name", name);
  cc_json_set_string (m, "mountPath", mount_path);
  if (read_only)
    cc_json_set_bool (m, "readOnly", true);
  if (sub_path)
    cc_json_set_string (m, "subPath", sub_path);
  cJSON_AddItemToArray (cv_container_list (s, "volumeMounts"), m);
}

void
cv_mount (struct cv_svc *s, cJSON *volume, const char *mount_path, bool read_only, const char *sub_path)
{
  const char *name = cc_json_get_string (volume, "name");
  bool present = false;

  /* One pod volume may serve several mounts (and the pod's containers).  */
  for (cJSON *v = cv_pod_list (s, "volumes")->child; v; v = v->next)
    present |= strcmp (cc_json_get_string (v, "name"), name) == 0;
  cv_mount_only (s, name, mount_path, read_only, sub_path);
  if (present)
    cJSON_Delete (volume);
  else
    cJSON_AddItemToArray (cv_pod_list (s, "volumes"), volume);
}
