/* Loading the project for a command, and `config`: the loaded model rendered as `docker compose config` prints
   it, or one of its lists (--services, --volumes, --profiles, --images,
   --hash).  A thin facade over compose/: the CLI parses and writes.  */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"

static void
list_keys (struct cc_buf *b, const cJSON *obj)
{
  for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next)
    cc_buf_printf (b, "%s\n", it->string);
}

static void
list_profiles (struct cc_buf *b, const cJSON *services)
{
  cleanup_strv char **all = xzalloc (sizeof (char *));

  for (const cJSON *s = services ? services->child : NULL; s; s = s->next)
    for (const cJSON *p = cJSON_GetObjectItemCaseSensitive (s, "profiles")
                              ? cJSON_GetObjectItemCaseSensitive (s, "profiles")->child
                              : NULL;
         p; p = p->next)
      if (! cc_strv_contains (all, p->valuestring))
        cc_strv_append (&all, p->valuestring);
  cc_strv_sort_unique (all);
  for (char **p = all; *p; p++)
    cc_buf_printf (b, "%s\n", *p);
}

static void
list_images (struct cc_buf *b, const struct cc_project *p)
{
  for (const cJSON *s = cJSON_GetObjectItemCaseSensitive (p->model, "services")->child; s; s = s->next)
    {
      const char *image = cc_json_get_string (s, "image");
      /* A built service without `image:` gets <project>-<service>, as DC names it.  */
      cleanup_free char *built = image ? NULL : cc_paths_built_image_name (p->name, s->string);
      cc_buf_printf (b, "%s\n", image ? image : built);
    }
}

static int
list_hashes (struct cc_buf *b, const struct cc_project *p, const char *which, cc_error_t *err)
{
  cleanup_strv char **names = NULL;

  names = strcmp (which, "*") == 0 ? cc_project_service_names (p) : cc_strv_split (which, ',', true);
  for (char **n = names; n && *n; n++)
    {
      cleanup_free char *h = NULL;
      if (cc_compose_service_hash (p, *n, &h, err) < 0)
        return -1;
      cc_buf_printf (b, "%s %s\n", *n, h);
    }
  return 0;
}

/* `config web`: only the named services and what they depend on.  */
static int
restrict_services (struct cc_project *p, char *const *names, cc_error_t *err)
{
  cleanup_strv char **keep = NULL;
  cJSON *services = cJSON_GetObjectItemCaseSensitive (p->model, "services");
  cJSON *s;

  if (names == NULL || *names == NULL)
    return 0;
  if (cc_compose_select (p, names, &keep, err) < 0)
    return -1;
  s = services->child;
  while (s)
    {
      cJSON *next = s->next;
      if (! cc_strv_contains (keep, s->string))
        cJSON_Delete (cJSON_DetachItemViaPointer (services, s));
      s = next;
    }
  return 0;
}

static int
render (struct cc_buf *b, const struct cc_config_opts *o, const struct cc_project *p, cc_error_t *err)
{
  cleanup_free char *text = NULL;

  switch (o->what)
    {
    case CC_CONFIG_SERVICES:
      list_keys (b, cJSON_GetObjectItemCaseSensitive (p->model, "services"));
      return 0;
    case CC_CONFIG_VOLUMES:
      list_keys (b, cJSON_GetObjectItemCaseSensitive (p->model, "volumes"));
      return 0;
    case CC_CONFIG_PROFILES:
      list_profiles (b, cJSON_GetObjectItemCaseSensitive (p->model, "services"));
      return 0;
    case CC_CONFIG_IMAGES:
      list_images (b, p);
      return 0;
    case CC_CONFIG_HASH:
      return list_hashes (b, p, o->hash, err);
    case CC_CONFIG_MODEL:
    default:
      text = cc_compose_render (p->model, o->json, ! o->no_interpolate);
      cc_buf_puts (b, text);
      return 0;
    }
}

int
cc_engine_config (const struct cc_compose_options *load, const struct cc_config_opts *o, char **text, cc_error_t *err)
{
  cleanup_project struct cc_project *p = NULL;
  cleanup_buf struct cc_buf out = { 0 };

  if (cc_compose_load (load, &p, err) < 0 || restrict_services (p, load->services, err) < 0
      || render (&out, o, p, err) < 0)
    return -1;
  *text = out.data ? steal_pointer (&out.data) : xstrdup ("");
  return 0;
}

/* Any project command puts back firewall rules someone else took away
   (issue 17); a failure there is a warning, not the command's.  */
static void
repair_network (void)
{
  cc_error_t e = NULL;

  if (cc_network_repair (&e) < 0)
    {
      cc_warn ("cannot check the firewall rules of ccompose's networks: %s", e->msg);
      cc_error_release (&e);
    }
}

int
cc_engine_load_project (const struct cc_compose_options *o, struct cc_project **out, cc_error_t *err)
{
  repair_network ();
  return cc_compose_load (o, out, err);
}

char *
cc_engine_config_drift (const struct cc_project *p, const cJSON *entry)
{
  const struct cc_service *svc = cc_project_service (p, cc_json_get_string (entry, "service"));
  const char *recorded = cc_json_get_string (entry, "config_hash");
  cleanup_free char *hash = svc ? cc_compose_service_hash_json (svc->json) : NULL;
  char *why;

  if (hash == NULL || strcmp (hash, recorded ? recorded : "") == 0)
    return NULL;
  why = cc_compose_describe_change (cJSON_GetObjectItemCaseSensitive (entry, "config"), svc->json);
  return why ? why : xstrdup ("configuration changed");
}
