/* The depends_on graph: selection with dependencies, levels for parallel
   start, cycle detection.  */
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static int
compare_item_keys (const void *a, const void *b)
{
  return strcmp ((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

void
cc_service_index_init (struct cc_service_index *ix, const cJSON *model)
{
  const cJSON *services = cJSON_GetObjectItemCaseSensitive (model, "services");
  size_t i = 0;

  ix->n = (size_t)cJSON_GetArraySize (services);
  ix->items = xzalloc ((ix->n + 1) * sizeof (cJSON *));
  for (cJSON *s = services ? services->child : NULL; s; s = s->next)
    ix->items[i++] = s;
  qsort (ix->items, ix->n, sizeof (cJSON *), compare_item_keys);
}

cJSON *
cc_service_index_get (const struct cc_service_index *ix, const char *name)
{
  cJSON key = { .string = (char *)name };
  cJSON *pkey = &key;
  cJSON **hit = bsearch (&pkey, ix->items, ix->n, sizeof (cJSON *), compare_item_keys);

  return hit ? *hit : NULL;
}

void
cc_service_index_release (struct cc_service_index *ix)
{
  free (ix->items);
  ix->items = NULL;
  ix->n = 0;
}

static const cJSON *
services_of (const cJSON *model)
{
  return cJSON_GetObjectItemCaseSensitive (model, "services");
}

const cJSON *
cc_project_service_json (const struct cc_project *p, const char *name)
{
  return cJSON_GetObjectItemCaseSensitive (services_of (p->model), name);
}

static int
compare_service_name (const void *key, const void *item)
{
  return strcmp (key, (*(struct cc_service *const *)item)->name);
}

const struct cc_service *
cc_project_service (const struct cc_project *p, const char *name)
{
  struct cc_service **hit;

  if (name == NULL || p->view == NULL)
    return NULL;
  hit = bsearch (name, p->view->services, p->view->n_services, sizeof (*hit), compare_service_name);
  return hit ? *hit : NULL;
}

const struct cc_network *
cc_project_network (const struct cc_project *p, const char *key)
{
  for (size_t i = 0; p->view && key && i < p->view->n_networks; i++)
    if (strcmp (p->view->networks[i].key, key) == 0)
      return &p->view->networks[i];
  return NULL;
}

const struct cc_volume *
cc_project_volume (const struct cc_project *p, const char *key)
{
  for (size_t i = 0; p->view && key && i < p->view->n_volumes; i++)
    if (strcmp (p->view->volumes[i].key, key) == 0)
      return &p->view->volumes[i];
  return NULL;
}

static int
compare_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static void
sort_strv (char **v)
{
  qsort (v, cc_strv_len (v), sizeof (char *), compare_str);
}

/* The names of MODEL's services, sorted; one allocation, not one per name.  */
static char **
sorted_names (const cJSON *model)
{
  const cJSON *services = services_of (model);
  char **names = xzalloc (((size_t)cJSON_GetArraySize (services) + 1) * sizeof (char *));
  size_t i = 0;

  for (const cJSON *s = services ? services->child : NULL; s; s = s->next)
    names[i++] = xstrdup (s->string);
  sort_strv (names);
  return names;
}

char **
cc_project_service_names (const struct cc_project *p)
{
  return sorted_names (p->model);
}

static void
add_with_deps (const cJSON *services, const char *name, char ***set)
{
  const cJSON *deps;

  if (cc_strv_contains (*set, name))
    return;
  cc_strv_append (set, name);
  deps = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (services, name), "depends_on");
  for (const cJSON *d = deps ? deps->child : NULL; d; d = d->next)
    if (cJSON_GetObjectItemCaseSensitive (services, d->string))
      add_with_deps (services, d->string, set);
}

int
cc_compose_select (const struct cc_project *p, char *const *services, char ***out, cc_error_t *err)
{
  const cJSON *all = services_of (p->model);
  cleanup_strv char **set = xzalloc (sizeof (char *));

  if (services == NULL || *services == NULL)
    {
      *out = cc_project_service_names (p);
      return 0;
    }
  for (char *const *s = services; *s; s++)
    {
      if (! cJSON_GetObjectItemCaseSensitive (all, *s))
        return cc_error_make (err, 0, "no such service: `%s`", *s);
      add_with_deps (all, *s, &set);
    }
  sort_strv (set);
  *out = steal_pointer (&set);
  return 0;
}

void
cc_compose_levels_free (struct cc_compose_levels *l)
{
  for (size_t i = 0; i < l->n_levels; i++)
    cc_strv_free (l->levels[i]);
  free (l->levels);
  free (l);
}

/* Index of NAME in the sorted SET, or -1.  */
static ssize_t
index_of (char *const *set, size_t n, const char *name)
{
  char *const *hit = bsearch (&name, set, n, sizeof (char *), compare_str);

  return hit ? hit - set : -1;
}

struct graph
{
  size_t n;
  size_t *indegree;
  size_t *level;
  size_t **dependents; /* per service, the services that depend on it */
  size_t *n_dependents;
};

static void
graph_release (struct graph *g)
{
  for (size_t i = 0; i < g->n && g->dependents; i++)
    free (g->dependents[i]);
  free (g->dependents);
  free (g->n_dependents);
  free (g->indegree);
  free (g->level);
}

/* Edges inside SET only: a dependency outside the selection is not waited for.  */
static void
graph_build (struct graph *g, const cJSON *model, char *const *set, size_t n)
{
  struct cc_service_index ix = { 0 };

  g->n = n;
  g->indegree = xzalloc ((n + 1) * sizeof (size_t));
  g->level = xzalloc ((n + 1) * sizeof (size_t));
  g->dependents = xzalloc ((n + 1) * sizeof (size_t *));
  g->n_dependents = xzalloc ((n + 1) * sizeof (size_t));
  cc_service_index_init (&ix, model);
  for (size_t i = 0; i < n; i++)
    {
      const cJSON *deps = cJSON_GetObjectItemCaseSensitive (cc_service_index_get (&ix, set[i]), "depends_on");
      for (const cJSON *d = deps ? deps->child : NULL; d; d = d->next)
        {
          ssize_t j = index_of (set, n, d->string);
          if (j < 0)
            continue;
          g->indegree[i]++;
          g->dependents[j] = xreallocarray (g->dependents[j], g->n_dependents[j] + 1, sizeof (size_t));
          g->dependents[j][g->n_dependents[j]++] = i;
        }
    }
  cc_service_index_release (&ix);
}

/* Kahn's algorithm: a service's level is one more than its deepest
   dependency's.  Linear in services and edges.  */
static int
graph_levels (struct graph *g, size_t *n_levels, cc_error_t *err)
{
  cleanup_free size_t *queue = xzalloc ((g->n + 1) * sizeof (size_t));
  size_t head = 0, tail = 0;

  *n_levels = 0;
  for (size_t i = 0; i < g->n; i++)
    if (g->indegree[i] == 0)
      queue[tail++] = i;
  while (head < tail)
    {
      size_t i = queue[head++];
      if (g->level[i] + 1 > *n_levels)
        *n_levels = g->level[i] + 1;
      for (size_t k = 0; k < g->n_dependents[i]; k++)
        {
          size_t d = g->dependents[i][k];
          if (g->level[d] < g->level[i] + 1)
            g->level[d] = g->level[i] + 1;
          if (--g->indegree[d] == 0)
            queue[tail++] = d;
        }
    }
  if (tail < g->n)
    return cc_error_make (err, 0, "dependency cycle among services");
  return 0;
}

static int
levels_of (const cJSON *model, char *const *set, struct cc_compose_levels **out, cc_error_t *err)
{
  struct graph g = { 0 };
  size_t n = cc_strv_len (set), n_levels;
  struct cc_compose_levels *l;

  graph_build (&g, model, set, n);
  if (graph_levels (&g, &n_levels, err) < 0)
    {
      graph_release (&g);
      return -1;
    }
  l = xzalloc (sizeof (*l));
  l->n_levels = n_levels;
  l->levels = xzalloc ((n_levels + 1) * sizeof (char **));
  for (size_t i = 0; i < n_levels; i++)
    l->levels[i] = xzalloc (sizeof (char *));
  /* SET is sorted, so each level comes out sorted.  */
  for (size_t i = 0; i < n; i++)
    cc_strv_append (&l->levels[g.level[i]], set[i]);
  graph_release (&g);
  *out = l;
  return 0;
}

int
cc_compose_levels (const struct cc_project *p, char *const *services, struct cc_compose_levels **out, cc_error_t *err)
{
  cleanup_strv char **set = NULL;

  if (cc_compose_select (p, services, &set, err) < 0)
    return -1;
  return levels_of (p->model, set, out, err);
}

char **
cc_compose_start_order (const struct cc_project *p)
{
  struct cc_compose_levels *l = NULL;
  char **order = xzalloc (sizeof (char *));

  if (cc_compose_levels (p, NULL, &l, NULL) < 0)
    return order;
  for (size_t i = 0; i < l->n_levels; i++)
    for (char **s = l->levels[i]; *s; s++)
      cc_strv_append (&order, *s);
  cc_compose_levels_free (l);
  return order;
}

char **
cc_compose_stop_order (const struct cc_project *p)
{
  char **order = cc_compose_start_order (p);
  size_t n = cc_strv_len (order);

  for (size_t i = 0; i < n / 2; i++)
    {
      char *t = order[i];
      order[i] = order[n - 1 - i];
      order[n - 1 - i] = t;
    }
  return order;
}

/* Every service left over by Kahn's algorithm depends on another one
   left over, so walking dependencies from the first of them must come
   back to a service already on the path: that is a cycle.  */
static void
walk_to_cycle (const cJSON *services, char *const *set, size_t n, const struct graph *g, char ***cycle)
{
  cleanup_free size_t *path = xzalloc ((n + 1) * sizeof (size_t));
  cleanup_free ssize_t *pos = xmalloc ((n + 1) * sizeof (ssize_t));
  size_t len = 0, i = 0;

  for (size_t k = 0; k < n; k++)
    pos[k] = -1;
  while (i < n && g->indegree[i] == 0)
    i++;
  while (i < n && pos[i] < 0)
    {
      const cJSON *deps
          = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (services, set[i]), "depends_on");
      ssize_t next = -1;

      pos[i] = (ssize_t)len;
      path[len++] = i;
      for (const cJSON *d = deps ? deps->child : NULL; d && next < 0; d = d->next)
        {
          ssize_t j = index_of (set, n, d->string);
          if (j >= 0 && g->indegree[j] > 0)
            next = j;
        }
      if (next < 0)
        return;
      i = (size_t)next;
    }
  for (size_t k = i < n ? (size_t)pos[i] : len; k < len; k++)
    cc_strv_append (cycle, set[path[k]]);
  if (i < n)
    cc_strv_append (cycle, set[i]);
}

bool
cc_graph_find_cycle (const cJSON *model, char ***cycle)
{
  const cJSON *services = services_of (model);
  cleanup_strv char **set = sorted_names (model);
  struct graph g = { 0 };
  size_t n = cc_strv_len (set), n_levels;
  bool found;

  *cycle = NULL;
  graph_build (&g, model, set, n);
  found = graph_levels (&g, &n_levels, NULL) < 0;
  if (found)
    walk_to_cycle (services, set, n, &g, cycle);
  graph_release (&g);
  return found;
}
