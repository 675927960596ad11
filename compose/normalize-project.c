/* The document level of the model: project name first, services sorted,
   resource names filled in, the default network added, as docker compose
   config prints them.  */
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/xalloc.h"

static int
compare_items (const void *a, const void *b)
{
  return strcmp ((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

cJSON *
cc_json_sorted_copy (const cJSON *j)
{
  size_t n = 0, i = 0;
  cleanup_free cJSON **items = NULL;
  cJSON *out;

  if (cJSON_IsArray (j))
    {
      out = cJSON_CreateArray ();
      for (cJSON *it = j->child; it; it = it->next)
        cJSON_AddItemToArray (out, cc_json_sorted_copy (it));
      return out;
    }
  if (! cJSON_IsObject (j))
    return cJSON_Duplicate (j, true);
  for (cJSON *it = j->child; it; it = it->next)
    n++;
  items = xzalloc ((n + 1) * sizeof (cJSON *));
  for (cJSON *it = j->child; it; it = it->next)
    items[i++] = it;
  qsort (items, n, sizeof (cJSON *), compare_items);
  out = cJSON_CreateObject ();
  for (i = 0; i < n; i++)
    cJSON_AddItemToObject (out, items[i]->string, cc_json_sorted_copy (items[i]));
  return out;
}

/* Move KEY of FROM (if any) to the end of TO.  */
static void
move_key (cJSON *to, cJSON *from, const char *key)
{
  cJSON *it = cJSON_DetachItemFromObjectCaseSensitive (from, key);

  if (it)
    cJSON_AddItemToObject (to, key, it);
}

/* Move the first member of FROM to the end of TO, key and all.  */
static void
move_first (cJSON *to, cJSON *from)
{
  cJSON *it = cJSON_DetachItemViaPointer (from, from->child);

  /* Relinking keeps it->string, which AddItemToObject would copy.  */
  it->prev = it->next = NULL;
  if (to->child == NULL)
    {
      to->child = it;
      it->prev = it;
      return;
    }
  it->prev = to->child->prev;
  to->child->prev->next = it;
  to->child->prev = it;
}

/* Relink the members of OBJ in the order of TABLE (Go prints structs in
   field order); members not in the table keep their place at the end.  */
void
cc_json_order_by_table (cJSON *obj, const struct cc_schema_table *table)
{
  cleanup_cjson cJSON *tmp = cJSON_CreateObject ();

  for (size_t i = 0; i < table->n_keys; i++)
    move_key (tmp, obj, table->keys[i].name);
  while (obj->child)
    move_first (tmp, obj);
  while (tmp->child)
    move_first (obj, tmp);
}

int
cc_norm_document (struct cc_norm *n, const struct cc_node *root, cJSON **out, cc_error_t *err)
{
  static const char *const sections[] = { "services", "networks", "volumes", "secrets", "configs" };
  cleanup_cjson cJSON *raw = NULL;
  cleanup_cjson cJSON *model = cJSON_CreateObject ();
  const struct cc_node *version;

  if (root->kind != CC_NODE_MAP)
    return cc_error_at (err, root, "a compose file must be a map, not %s", cc_node_kind_name (root));
  if (root->len == 0)
    return cc_error_at (err, root, "empty compose file");
  if (cc_norm_object (n, &cc_schema_top, root, &raw, err) < 0)
    return -1;
  version = cc_node_map_get (root, "version");
  if (version)
    cc_warn_at (version, "the attribute `version` is obsolete, it will be ignored");
  if (! cJSON_GetObjectItemCaseSensitive (raw, "services"))
    return cc_error_at (err, root, "no `services:` in the compose file");
  cc_json_set_string (model, "name", n->project_name);
  for (size_t i = 0; i < CC_N_ELEMENTS (sections); i++)
    {
      cJSON *sorted;
      if (! cJSON_GetObjectItemCaseSensitive (raw, sections[i]))
        continue;
      sorted = cJSON_DetachItemFromObjectCaseSensitive (raw, sections[i]);
      cc_json_sort_keys (sorted);
      cJSON_AddItemToObject (model, sections[i], sorted);
    }
  *out = steal_pointer (&model);
  return 0;
}

/* cJSON_ReplaceItemViaPointer keeps the key of neither item: carry it over.  */
static cJSON *
replace_member (cJSON *obj, cJSON *old, cJSON *new_item)
{
  new_item->string = xstrdup (old->string);
  cJSON_ReplaceItemViaPointer (obj, old, new_item);
  return new_item;
}

static cJSON *
section (cJSON *model, const char *name)
{
  cJSON *s = cJSON_GetObjectItemCaseSensitive (model, name);

  if (s == NULL)
    {
      s = cJSON_CreateObject ();
      cJSON_AddItemToObject (model, name, s);
    }
  return s;
}

/* scale and deploy.replicas say the same thing; DC prints both.  */
static void
finish_scale (cJSON *svc)
{
  cJSON *deploy = cJSON_GetObjectItemCaseSensitive (svc, "deploy");
  cJSON *replicas = deploy ? cJSON_GetObjectItemCaseSensitive (deploy, "replicas") : NULL;

  if (replicas && ! cJSON_GetObjectItemCaseSensitive (svc, "scale"))
    cc_json_set_int (svc, "scale", cc_double_clamp_int64 (replicas->valuedouble));
  /* Go prints these struct fields of deploy even when empty.  */
  if (deploy && ! cJSON_GetObjectItemCaseSensitive (deploy, "resources"))
    cc_json_set (deploy, "resources", cJSON_CreateObject ());
  if (deploy && ! cJSON_GetObjectItemCaseSensitive (deploy, "placement"))
    cc_json_set (deploy, "placement", cJSON_CreateObject ());
}

/* Returns true when the service sits on the default network.  */
static bool
finish_service (cJSON *svc, bool normalize)
{
  bool on_default;

  if (! cJSON_GetObjectItemCaseSensitive (svc, "command"))
    cc_json_set (svc, "command", cJSON_CreateNull ());
  if (! cJSON_GetObjectItemCaseSensitive (svc, "entrypoint"))
    cc_json_set (svc, "entrypoint", cJSON_CreateNull ());
  if (normalize && ! cJSON_GetObjectItemCaseSensitive (svc, "networks")
      && ! cJSON_GetObjectItemCaseSensitive (svc, "network_mode"))
    {
      cJSON *nets = cJSON_CreateObject ();
      cJSON_AddItemToObject (nets, "default", cJSON_CreateNull ());
      cJSON_AddItemToObject (svc, "networks", nets);
    }
  finish_scale (svc);
  on_default = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (svc, "networks"), "default") != NULL;
  return on_default;
}

static void
fill_name (cJSON *obj, const char *key, const char *project)
{
  cleanup_free char *name = NULL;
  cJSON *item;

  if (cJSON_GetObjectItemCaseSensitive (obj, "name"))
    return;
  name = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (obj, "external")) ? xstrdup (key)
                                                                           : cc_paths_resource_name (project, key);
  /* name first, as DC prints it; cJSON frees the key with free().  */
  item = cJSON_CreateString (name);
  item->string = xstrdup ("name");
  cJSON_InsertItemInArray (obj, 0, item);
}

/* Go's field order of a network, for the ipam added here.  */
static const struct cc_schema_key network_order_keys[] = {
  { "name", 0, 0, NULL, NULL },        { "driver", 0, 0, NULL, NULL },   { "driver_opts", 0, 0, NULL, NULL },
  { "ipam", 0, 0, NULL, NULL },        { "external", 0, 0, NULL, NULL }, { "internal", 0, 0, NULL, NULL },
  { "attachable", 0, 0, NULL, NULL },  { "labels", 0, 0, NULL, NULL },   { "enable_ipv4", 0, 0, NULL, NULL },
  { "enable_ipv6", 0, 0, NULL, NULL },
};
static const struct cc_schema_table network_order
    = { "network", network_order_keys, CC_N_ELEMENTS (network_order_keys) };

static void
fill_names (cJSON *model, const char *sec, const char *project, bool ipam)
{
  cJSON *s = cJSON_GetObjectItemCaseSensitive (model, sec);

  for (cJSON *it = s ? s->child : NULL; it; it = it->next)
    {
      if (cJSON_IsNull (it))
        {
          it = replace_member (s, it, cJSON_CreateObject ());
        }
      fill_name (it, it->string, project);
      if (ipam && ! cJSON_GetObjectItemCaseSensitive (it, "ipam"))
        cc_json_set (it, "ipam", cJSON_CreateObject ());
      if (ipam)
        cc_json_order_by_table (it, &network_order);
    }
}

static void
order_sections (cJSON *model)
{
  static const char *const order[] = { "name", "services", "networks", "volumes", "secrets", "configs" };
  cleanup_cjson cJSON *tmp = cJSON_CreateObject ();

  for (size_t i = 0; i < CC_N_ELEMENTS (order); i++)
    move_key (tmp, model, order[i]);
  for (size_t i = 0; i < CC_N_ELEMENTS (order); i++)
    move_key (model, tmp, order[i]);
}

void
cc_model_finish (cJSON *model, const char *project_name)
{
  cJSON *services = section (model, "services");
  bool need_default = false;

  for (cJSON *svc = services->child; svc; svc = svc->next)
    {
      if (finish_service (svc, project_name != NULL))
        need_default = true;
      cc_json_sort_keys (svc);
    }
  if (project_name == NULL)
    {
      order_sections (model);
      return;
    }
  if (need_default && ! cJSON_GetObjectItemCaseSensitive (section (model, "networks"), "default"))
    cJSON_AddItemToObject (section (model, "networks"), "default", cJSON_CreateObject ());
  fill_names (model, "networks", project_name, true);
  fill_names (model, "volumes", project_name, false);
  fill_names (model, "secrets", project_name, false);
  fill_names (model, "configs", project_name, false);
  order_sections (model);
}

/* compose-go turns links, network_mode, pid and ipc `service:x` into dependencies,
   so they start in the right order; DC prints them under depends_on.  */
static void
add_implicit (cJSON *services, cJSON *svc, const char *target)
{
  cJSON *deps = cJSON_GetObjectItemCaseSensitive (svc, "depends_on");
  cJSON *d;

  if (! cJSON_GetObjectItemCaseSensitive (services, target) || strcmp (target, svc->string) == 0)
    return;
  if (deps == NULL)
    {
      deps = cJSON_CreateObject ();
      cJSON_AddItemToObject (svc, "depends_on", deps);
    }
  if (cJSON_GetObjectItemCaseSensitive (deps, target))
    return;
  d = cJSON_CreateObject ();
  cc_json_set_string (d, "condition", "service_started");
  cc_json_set_bool (d, "restart", true);
  cc_json_set_bool (d, "required", true);
  cJSON_AddItemToObject (deps, target, d);
}

/* volumes_from SERVICE (or service:SERVICE): its container must exist
   first; container:NAME is no service of ours.  */
static void
add_volumes_from_deps (cJSON *services, cJSON *svc)
{
  const cJSON *from = cJSON_GetObjectItemCaseSensitive (svc, "volumes_from");

  for (const cJSON *v = from ? from->child : NULL; v; v = v->next)
    {
      const char *s = cJSON_IsString (v) ? v->valuestring : "";
      cleanup_free char *name = NULL;
      if (strncmp (s, "container:", 10) == 0)
        continue;
      if (strncmp (s, "service:", 8) == 0)
        s += 8;
      name = xstrndup (s, strcspn (s, ":"));
      add_implicit (services, svc, name);
    }
}

void
cc_model_implicit_deps (cJSON *model)
{
  cJSON *services = cJSON_GetObjectItemCaseSensitive (model, "services");

  for (cJSON *svc = services ? services->child : NULL; svc; svc = svc->next)
    {
      const char *mode = cc_json_get_string (svc, "network_mode");
      cJSON *links = cJSON_GetObjectItemCaseSensitive (svc, "links");

      static const char *const shared[] = { "network_mode", "pid", "ipc" };

      for (size_t i = 0; i < CC_N_ELEMENTS (shared); i++)
        {
          mode = cc_json_get_string (svc, shared[i]);
          if (mode && strncmp (mode, "service:", 8) == 0)
            add_implicit (services, svc, mode + 8);
        }
      for (cJSON *l = links ? links->child : NULL; l; l = l->next)
        {
          cleanup_free char *name = xstrndup (l->valuestring, strcspn (l->valuestring, ":"));
          add_implicit (services, svc, name);
        }
      add_volumes_from_deps (services, svc);
    }
}

/* An external secret or config lives in a Swarm store, which one host
   without Swarm does not have: a service that uses one is refused at the
   definition's `external:`; a definition no service uses does nothing,
   as in Docker Compose.  */
static int
refuse_external (struct cc_norm *n, const cJSON *model, const struct cc_node *root, const char *section,
                 const cJSON *ref, cc_error_t *err)
{
  const char *src = cc_json_get_string (ref, "source");
  const cJSON *obj = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (model, section), src);
  const struct cc_node *def = cc_node_path (root, section, src, NULL);
  const struct cc_node *at = def && def->kind == CC_NODE_MAP ? cc_node_entry (def, "external") : NULL;
  cleanup_free char *what = NULL;

  if (src == NULL || ! cc_json_get_bool (obj, "external", false))
    return 0;
  what = xasprintf ("external %.*s `%s` (no Swarm store on this host: use `file:`, `environment:`%s)",
                    (int)strlen (section) - 1, section, src, strcmp (section, "configs") == 0 ? " or `content:`" : "");
  return cc_norm_unsupported (n, at ? at : root, what, err);
}

int
cc_norm_external_refs (struct cc_norm *n, const cJSON *model, const struct cc_node *root, cc_error_t *err)
{
  static const char *const sections[] = { "secrets", "configs" };
  const cJSON *services = cJSON_GetObjectItemCaseSensitive (model, "services");

  for (const cJSON *svc = services ? services->child : NULL; svc; svc = svc->next)
    for (size_t s = 0; s < CC_N_ELEMENTS (sections); s++)
      {
        const cJSON *refs = cJSON_GetObjectItemCaseSensitive (svc, sections[s]);
        for (const cJSON *r = refs ? refs->child : NULL; r; r = r->next)
          if (refuse_external (n, model, root, sections[s], r, err) < 0)
            return -1;
      }
  return 0;
}
