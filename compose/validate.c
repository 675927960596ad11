/* Checks across the model: references between services, networks,
   volumes, secrets and configs; scale against container_name; dependency
   cycles.  Positions come from the document tree the model was made of.  */
#include <stdarg.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

const struct cc_node *
cc_node_path (const struct cc_node *root, ...)
{
  const struct cc_node *n = root;
  const char *key;
  va_list ap;

  va_start (ap, root);
  while (n && (key = va_arg (ap, const char *)))
    n = n->kind == CC_NODE_MAP ? cc_node_map_get (n, key) : NULL;
  va_end (ap);
  return n;
}

const struct cc_node *
cc_node_entry (const struct cc_node *n, const char *name)
{
  if (n == NULL)
    return NULL;
  for (size_t i = 0; i < n->len; i++)
    {
      if (n->kind == CC_NODE_MAP && strcmp (n->keys[i]->value, name) == 0)
        return n->keys[i];
      if (n->kind == CC_NODE_SEQ && n->items[i]->kind == CC_NODE_SCALAR)
        {
          /* "db:alias" in links names the service db.  */
          size_t l = strlen (name);
          if (strncmp (n->items[i]->value, name, l) == 0
              && (n->items[i]->value[l] == '\0' || n->items[i]->value[l] == ':'))
            return n->items[i];
        }
    }
  return NULL;
}

/* The best node to blame: the entry, else the key's value, else the service.  */
static const struct cc_node *
blame (const struct cc_node *root, const char *svc, const char *key, const char *entry)
{
  const struct cc_node *s = cc_node_path (root, "services", svc, NULL);
  const struct cc_node *k = key ? cc_node_path (s, key, NULL) : NULL;
  const struct cc_node *e = entry ? cc_node_entry (k, entry) : NULL;

  if (e)
    return e;
  if (k)
    return k;
  if (s)
    return s;
  return root;
}

/* What every check reads: the model, the document for positions, and the
   services sorted for lookups (a project of thousands of services stays
   fast).  */
struct check
{
  const cJSON *model;
  const struct cc_node *root;
  struct cc_service_index services;
};

static bool
defined (const struct check *c, const char *section, const char *name)
{
  if (strcmp (section, "services") == 0)
    return cc_service_index_get (&c->services, name) != NULL;
  return cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (c->model, section), name) != NULL;
}

/* ": did you mean `api`?" when a defined name is within two edits, else "".  */
static char *
suggestion (const cJSON *model, const char *section, const char *name)
{
  const cJSON *s = cJSON_GetObjectItemCaseSensitive (model, section);
  const char *best = NULL;
  size_t best_d = 3;

  for (const cJSON *it = s ? s->child : NULL; it; it = it->next)
    {
      size_t d = cc_edit_distance (name, it->string);
      if (d < best_d)
        {
          best_d = d;
          best = it->string;
        }
    }
  return best ? xasprintf (": did you mean `%s`?", best) : xstrdup ("");
}

static int
check_networks (const struct check *c, const cJSON *svc, cc_error_t *err)
{
  const cJSON *nets = cJSON_GetObjectItemCaseSensitive (svc, "networks");
  const char *mode = cc_json_get_string (svc, "network_mode");

  /* The default network is only added when network_mode is absent, so
     both present means both were written.  */
  if (mode && nets)
    return cc_error_at (err, blame (c->root, svc->string, "network_mode", NULL),
                        "service `%s`: `network_mode` and `networks` cannot be combined", svc->string);
  for (const cJSON *n = nets ? nets->child : NULL; n; n = n->next)
    if (! defined (c, "networks", n->string))
      {
        cleanup_free char *hint = suggestion (c->model, "networks", n->string);
        return cc_error_at (err, blame (c->root, svc->string, "networks", n->string),
                            "service `%s` uses undefined network `%s`%s", svc->string, n->string, hint);
      }
  if (mode && strncmp (mode, "service:", 8) == 0 && ! defined (c, "services", mode + 8))
    return cc_error_at (err, blame (c->root, svc->string, "network_mode", NULL),
                        "service `%s`: network_mode names undefined service `%s`", svc->string, mode + 8);
  return 0;
}

/* pid and ipc `service:NAME` name a service of the project, which then
   starts first (cc_model_implicit_deps).  */
static int
check_shared_namespaces (const struct check *c, const cJSON *svc, cc_error_t *err)
{
  static const char *const keys[] = { "pid", "ipc" };

  for (size_t i = 0; i < CC_N_ELEMENTS (keys); i++)
    {
      const char *mode = cc_json_get_string (svc, keys[i]);
      if (mode && strncmp (mode, "service:", 8) == 0 && ! defined (c, "services", mode + 8))
        return cc_error_at (err, blame (c->root, svc->string, keys[i], NULL),
                            "service `%s`: %s names undefined service `%s`", svc->string, keys[i], mode + 8);
    }
  return 0;
}

static int
check_mounts (const struct check *c, const cJSON *svc, cc_error_t *err)
{
  const cJSON *vols = cJSON_GetObjectItemCaseSensitive (svc, "volumes");
  size_t i = 0;

  for (const cJSON *v = vols ? vols->child : NULL; v; v = v->next, i++)
    {
      const char *src = cc_json_get_string (v, "source");
      const char *type = cc_json_get_string (v, "type");
      if (type && strcmp (type, "volume") == 0 && src && ! defined (c, "volumes", src))
        {
          cleanup_free char *hint = suggestion (c->model, "volumes", src);
          const struct cc_node *vn = cc_node_path (c->root, "services", svc->string, "volumes", NULL);
          return cc_error_at (err, vn && i < vn->len ? vn->items[i] : blame (c->root, svc->string, "volumes", NULL),
                              "service `%s` uses undefined volume `%s`%s%s", svc->string, src, hint,
                              *hint ? "" : " (declare it under the top-level `volumes:`)");
        }
    }
  return 0;
}

static int
check_file_refs (const struct check *c, const cJSON *svc, const char *section, cc_error_t *err)
{
  const cJSON *refs = cJSON_GetObjectItemCaseSensitive (svc, section);
  size_t i = 0;

  for (const cJSON *r = refs ? refs->child : NULL; r; r = r->next, i++)
    {
      const char *src = cc_json_get_string (r, "source");
      const struct cc_node *rn;
      if (src == NULL || defined (c, section, src))
        continue;
      rn = cc_node_path (c->root, "services", svc->string, section, NULL);
      return cc_error_at (err, rn && i < rn->len ? rn->items[i] : blame (c->root, svc->string, section, NULL),
                          "service `%s` uses undefined %.*s `%s`", svc->string, (int)strlen (section) - 1, section,
                          src);
    }
  return 0;
}

static int
check_dependencies (const struct check *c, const cJSON *svc, cc_error_t *err)
{
  const cJSON *deps = cJSON_GetObjectItemCaseSensitive (svc, "depends_on");
  const cJSON *links = cJSON_GetObjectItemCaseSensitive (svc, "links");

  for (const cJSON *d = deps ? deps->child : NULL; d; d = d->next)
    if (! defined (c, "services", d->string))
      {
        cleanup_free char *hint = suggestion (c->model, "services", d->string);
        return cc_error_at (err, blame (c->root, svc->string, "depends_on", d->string),
                            "service `%s` depends on undefined service `%s`%s", svc->string, d->string, hint);
      }
  for (const cJSON *l = links ? links->child : NULL; l; l = l->next)
    {
      cleanup_free char *name = xstrndup (l->valuestring, strcspn (l->valuestring, ":"));
      if (! defined (c, "services", name))
        return cc_error_at (err, blame (c->root, svc->string, "links", name),
                            "service `%s` links to undefined service `%s`", svc->string, name);
    }
  return 0;
}

/* scale, or deploy.replicas when scale was not written.  */
static const struct cc_node *
scale_node (const struct cc_node *root, const char *svc)
{
  const struct cc_node *s = cc_node_path (root, "services", svc, "scale", NULL);

  return s ? s : blame (root, svc, "deploy", "replicas");
}

static int
check_scale (const struct check *c, const cJSON *svc, cc_error_t *err)
{
  const cJSON *scale = cJSON_GetObjectItemCaseSensitive (svc, "scale");
  const cJSON *replicas
      = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (svc, "deploy"), "replicas");

  if (scale && replicas && scale->valuedouble != replicas->valuedouble)
    return cc_error_at (err, blame (c->root, svc->string, "scale", NULL),
                        "service `%s`: `scale` (%.0f) and `deploy.replicas` (%.0f) differ", svc->string,
                        scale->valuedouble, replicas->valuedouble);
  if (scale && scale->valuedouble < 0)
    return cc_error_at (err, scale_node (c->root, svc->string), "service `%s`: `scale` cannot be negative",
                        svc->string);
  if (scale && scale->valuedouble > 1 && cJSON_GetObjectItemCaseSensitive (svc, "container_name"))
    return cc_error_at (err, blame (c->root, svc->string, "container_name", NULL),
                        "service `%s`: `container_name` must be unique, so `scale` cannot be %.0f", svc->string,
                        scale->valuedouble);
  return 0;
}

static int
check_service (const struct check *c, const cJSON *svc, cc_error_t *err)
{
  if (! cJSON_GetObjectItemCaseSensitive (svc, "image") && ! cJSON_GetObjectItemCaseSensitive (svc, "build"))
    {
      const struct cc_node *key = cc_node_entry (cc_node_path (c->root, "services", NULL), svc->string);
      return cc_error_at (err, key ? key : c->root, "service `%s` has neither an image nor a build context",
                          svc->string);
    }
  if (check_networks (c, svc, err) < 0 || check_shared_namespaces (c, svc, err) < 0 || check_mounts (c, svc, err) < 0
      || check_file_refs (c, svc, "secrets", err) < 0 || check_file_refs (c, svc, "configs", err) < 0
      || check_dependencies (c, svc, err) < 0 || check_scale (c, svc, err) < 0)
    return -1;
  return 0;
}

/* An external network or volume is configured by whoever creates it: any
   key but its name would be ignored here, so it is refused, as Docker
   Compose refuses it ("conflicting parameters").  */
static int
check_externals (const struct check *c, const char *section, const char *what, cc_error_t *err)
{
  static const char *const allowed[] = { "name", "external" };
  const cJSON *s = cJSON_GetObjectItemCaseSensitive (c->model, section);

  for (const cJSON *it = s ? s->child : NULL; it; it = it->next)
    {
      const struct cc_node *n = cc_node_path (c->root, section, it->string, NULL);
      if (! cc_json_get_bool (it, "external", false) || n == NULL || n->kind != CC_NODE_MAP)
        continue;
      for (size_t i = 0; i < n->len; i++)
        {
          bool ok = false;
          for (size_t j = 0; j < CC_N_ELEMENTS (allowed); j++)
            ok = ok || strcmp (n->keys[i]->value, allowed[j]) == 0;
          if (! ok)
            return cc_error_at (err, n->keys[i],
                                "conflicting parameters \"external\" and \"%s\" specified for %s `%s`: an external "
                                "%s is configured by the project that creates it",
                                n->keys[i]->value, what, it->string, what);
        }
    }
  return 0;
}

int
cc_validate_project (const cJSON *model, const struct cc_node *root, bool consistency, cc_error_t *err)
{
  const cJSON *services = cJSON_GetObjectItemCaseSensitive (model, "services");
  struct check c = { .model = model, .root = root };
  cleanup_strv char **cycle = NULL;
  int ret = 0;

  if (cc_validate_values (model, root, err) < 0 || cc_validate_endpoints (model, root, err) < 0
      || cc_validate_bridge_opts (model, root, err) < 0)
    return -1;
  if (! consistency)
    return cc_graph_find_cycle (model, &cycle) && cycle ? cc_error_make (err, 0, "dependency cycle") : 0;
  cc_service_index_init (&c.services, model);
  for (const cJSON *svc = services ? services->child : NULL; svc && ret == 0; svc = svc->next)
    ret = check_service (&c, svc, err);
  cc_service_index_release (&c.services);
  if (ret < 0 || check_externals (&c, "networks", "network", err) < 0
      || check_externals (&c, "volumes", "volume", err) < 0)
    return -1;
  if (cc_graph_find_cycle (model, &cycle) && cycle)
    {
      cleanup_free char *path = cc_strv_join (cycle, " -> ");
      return cc_error_at (err, blame (root, cycle[0], "depends_on", cycle[1]), "dependency cycle: %s", path);
    }
  return 0;
}
