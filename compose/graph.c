/* The depends_on graph: selection with dependencies, levels for parallel
   start, cycle detection.  */
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const cJSON *
services_of (const cJSON *model)
{
  return cJSON_GetObjectItem (model, "services");
}

const cJSON *
cc_project_service (const struct cc_project *p, const char *name)
{
  return cJSON_GetObjectItem (services_of (p->model), name);
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

char **
cc_project_service_names (const struct cc_project *p)
{
  char **names = xzalloc (sizeof (char *));

  for (const cJSON *s = services_of (p->model)->child; s; s = s->next)
    cc_strv_append (&names, s->string);
  sort_strv (names);
  return names;
}

static void
add_with_deps (const cJSON *services, const char *name, char ***set)
{
  const cJSON *deps;

  if (cc_strv_contains (*set, name))
    return;
  cc_strv_append (set, name);
  deps = cJSON_GetObjectItem (cJSON_GetObjectItem (services, name), "depends_on");
  for (const cJSON *d = deps ? deps->child : NULL; d; d = d->next)
    if (cJSON_GetObjectItem (services, d->string))
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
      if (! cJSON_GetObjectItem (all, *s))
        return cc_error_make (err, 0, "no such service: `%s`", *s);
      add_with_deps (all, *s, &set);
    }
  sort_strv (set);
  *out = steal_pointer (&set);
  return 0;
}

/* Are all dependencies of NAME inside SET placed already?  */
static bool
is_ready (const cJSON *services, const char *name, char *const *set, char *const *placed)
{
  const cJSON *deps = cJSON_GetObjectItem (cJSON_GetObjectItem (services, name), "depends_on");

  for (const cJSON *d = deps ? deps->child : NULL; d; d = d->next)
    if (cc_strv_contains (set, d->string) && ! cc_strv_contains (placed, d->string))
      return false;
  return true;
}

void
cc_compose_levels_free (struct cc_compose_levels *l)
{
  for (size_t i = 0; i < l->n_levels; i++)
    cc_strv_free (l->levels[i]);
  free (l->levels);
  free (l);
}

static int
levels_of (const cJSON *model, char *const *set, struct cc_compose_levels **out, cc_error_t *err)
{
  const cJSON *services = services_of (model);
  struct cc_compose_levels *l = xzalloc (sizeof (*l));
  cleanup_strv char **placed = xzalloc (sizeof (char *));
  size_t total = cc_strv_len (set);

  while (cc_strv_len (placed) < total)
    {
      char **level = xzalloc (sizeof (char *));
      for (char *const *s = set; *s; s++)
        if (! cc_strv_contains (placed, *s) && is_ready (services, *s, set, placed))
          cc_strv_append (&level, *s);
      if (*level == NULL)
        {
          free (level);
          cc_compose_levels_free (l);
          return cc_error_make (err, 0, "dependency cycle among services");
        }
      for (char **s = level; *s; s++)
        cc_strv_append (&placed, *s);
      l->levels = xreallocarray (l->levels, l->n_levels + 1, sizeof (char **));
      l->levels[l->n_levels++] = level;
    }
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

/* Depth-first search; STACK holds the current path.  */
static bool
visit (const cJSON *services, const char *name, char ***stack, char ***done, char ***cycle)
{
  const cJSON *deps = cJSON_GetObjectItem (cJSON_GetObjectItem (services, name), "depends_on");

  if (cc_strv_contains (*done, name))
    return false;
  if (cc_strv_contains (*stack, name))
    {
      /* The cycle is the tail of the stack from NAME, closed by NAME.  */
      char **it = *stack;
      while (strcmp (*it, name) != 0)
        it++;
      for (; *it; it++)
        cc_strv_append (cycle, *it);
      cc_strv_append (cycle, name);
      return true;
    }
  cc_strv_append (stack, name);
  for (const cJSON *d = deps ? deps->child : NULL; d; d = d->next)
    if (cJSON_GetObjectItem (services, d->string) && visit (services, d->string, stack, done, cycle))
      return true;
  free ((*stack)[cc_strv_len (*stack) - 1]);
  (*stack)[cc_strv_len (*stack) - 1] = NULL;
  cc_strv_append (done, name);
  return false;
}

bool
cc_graph_find_cycle (const cJSON *model, char ***cycle)
{
  const cJSON *services = services_of (model);
  cleanup_strv char **stack = xzalloc (sizeof (char *));
  cleanup_strv char **done = xzalloc (sizeof (char *));

  *cycle = NULL;
  for (const cJSON *s = services ? services->child : NULL; s; s = s->next)
    if (visit (services, s->string, &stack, &done, cycle))
      return true;
  return false;
}
