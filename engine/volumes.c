/* `volume` and `volumes`: named volumes as the CLI asks for them, through
   volumes/ (the CLI talks to the engine only), with Docker's filters and
   prune rules.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "volumes/volumes.h"

/* Docker labels a volume made without a name so that `volume prune`
   (without --all) knows it is nobody's data.  */
#define ANONYMOUS_LABEL "com.docker.volume.anonymous"
#define PROJECT_LABEL "com.docker.compose.project"

static char *
random_name (void)
{
  unsigned char b[32];
  int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  char *name = xmalloc (2 * sizeof (b) + 1);
  bool ok = fd >= 0 && read (fd, b, sizeof (b)) == (ssize_t)sizeof (b);

  if (fd >= 0)
    close (fd);
  for (size_t i = 0; i < sizeof (b); i++)
    sprintf (name + 2 * i, "%02x", ok ? b[i] : (unsigned)((getpid () + (int)i * 131) & 0xff));
  return name;
}

int
cc_engine_volume_create (const struct cc_engine_volume_opts *o, char **name_out, cc_error_t *err)
{
  cleanup_free char *name = o->name && *o->name ? xstrdup (o->name) : random_name ();
  cleanup_strv char **labels = cc_strv_dup (o->labels ? o->labels : (char *[]){ NULL });
  struct cc_volume_spec spec = { .name = name, .driver = o->driver, .options = o->options, .labels = labels };

  if (o->name == NULL || *o->name == '\0')
    cc_strv_append (&labels, ANONYMOUS_LABEL "=");
  spec.labels = labels;
  if (cc_volume_create (&spec, NULL, err) < 0)
    return -1;
  *name_out = steal_pointer (&name);
  return 0;
}

/* ---- filters: Docker's, OR within a key, AND across keys ------------------------ */

static bool
has_users (const cJSON *v)
{
  const cJSON *u = cJSON_GetObjectItemCaseSensitive (v, "UsedBy");
  return u && u->child;
}

static bool
filter_matches (const cJSON *v, const char *key, const char *value, cc_error_t *err)
{
  if (strcmp (key, "name") == 0)
    return strstr (cc_json_get_string (v, "Name"), value) != NULL;
  if (strcmp (key, "driver") == 0)
    return strcmp (cc_json_get_string (v, "Driver"), value) == 0;
  if (strcmp (key, "label") == 0)
    return cc_engine_label_matches (v, value);
  if (strcmp (key, "label!") == 0)
    return ! cc_engine_label_matches (v, value);
  if (strcmp (key, "dangling") == 0)
    {
      bool dangling = strcmp (value, "true") == 0 || strcmp (value, "1") == 0;
      if (! dangling && strcmp (value, "false") != 0 && strcmp (value, "0") != 0)
        cc_error_make (err, EINVAL, "invalid filter 'dangling=%s'", value);
      return dangling != has_users (v);
    }
  cc_error_make (err, EINVAL, "invalid filter '%s'", key);
  return false;
}

int
cc_engine_volume_list (char *const *filters, cJSON **out, cc_error_t *err)
{
  cleanup_cjson cJSON *all = NULL;
  cleanup_cjson cJSON *kept = cJSON_CreateArray ();
  cJSON *next;

  if (cc_volume_list (true, &all, err) < 0)
    return -1;
  for (cJSON *v = all->child; v; v = next)
    {
      bool ok;
      next = v->next;
      if (cc_engine_filters_pass (v, filters, filter_matches, &ok, err) < 0)
        return -1;
      if (ok)
        cJSON_AddItemToArray (kept, cJSON_DetachItemViaPointer (all, v));
    }
  *out = steal_pointer (&kept);
  return 0;
}

int
cc_engine_volume_inspect (const char *name, cJSON **out, cc_error_t *err)
{
  return cc_volume_inspect (name, out, err);
}

int
cc_engine_volume_remove (const char *name, bool force, cc_error_t *err)
{
  return cc_volume_remove (name, force, err);
}

/* Docker: only what no container uses; without ALL only anonymous
   volumes.  */
int
cc_engine_volume_prune (bool all, char *const *filters, char ***removed, int64_t *reclaimed, cc_error_t *err)
{
  cleanup_cjson cJSON *list = NULL;
  cc_error_t errors = NULL, one = NULL;

  *removed = xzalloc (sizeof (char *));
  *reclaimed = 0;
  if (cc_engine_volume_list (filters, &list, err) < 0)
    return -1;
  for (const cJSON *v = list->child; v; v = v->next)
    {
      const char *name = cc_json_get_string (v, "Name");
      int64_t size = 0;
      if (has_users (v) || (! all && ! cc_engine_label_matches (v, ANONYMOUS_LABEL)))
        continue;
      cc_volume_size (name, &size);
      if (cc_volume_remove (name, false, &one) < 0)
        {
          cc_error_append (&errors, &one);
          continue;
        }
      *reclaimed += size;
      cc_strv_append (removed, name);
    }
  if (errors == NULL)
    return 0;
  *err = errors;
  return -1;
}

/* Docker Compose's `volumes`: the project's volumes (by its label), or
   those the containers of SERVICES use.  */
int
cc_engine_project_volumes (const char *project, char *const *services, cJSON **out, cc_error_t *err)
{
  cleanup_free char *label = xasprintf ("label=" PROJECT_LABEL "=%s", project);
  char *filters[] = { label, NULL };
  cleanup_cjson cJSON *list = NULL;
  cleanup_cjson cJSON *kept = cJSON_CreateArray ();
  cleanup_state struct cc_state *st = NULL;
  cleanup_strv char **containers = NULL;
  cJSON *next;

  if (cc_engine_volume_list (filters, &list, err) < 0)
    return -1;
  if (services == NULL || *services == NULL)
    {
      *out = steal_pointer (&list);
      return 0;
    }
  if (cc_state_open (project, false, &st, err) < 0)
    return -1;
  for (char *const *s = services; *s; s++)
    for (int oneoff = 0; oneoff < 2; oneoff++)
      {
        cleanup_strv char **names = cc_state_container_names (st->json, *s, oneoff);
        for (char **n = names; *n; n++)
          cc_strv_append (&containers, *n);
      }
  for (cJSON *v = list->child; v; v = next)
    {
      const cJSON *users = cJSON_GetObjectItemCaseSensitive (v, "UsedBy");
      next = v->next;
      for (const cJSON *u = users ? users->child : NULL; u; u = u->next)
        if (cJSON_IsString (u) && cc_strv_contains (containers, u->valuestring))
          {
            cJSON_AddItemToArray (kept, cJSON_DetachItemViaPointer (list, v));
            break;
          }
    }
  *out = steal_pointer (&kept);
  return 0;
}
