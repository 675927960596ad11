/* The plan: the model's view + on-disk state -> ordered actions.  Pure:
   no file, no kernel; everything it needs about the world (image ids,
   container status) is handed in, so it is unit-tested and printed as is
   by --dry-run.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

struct builder
{
  const struct cc_project *p;
  const cJSON *state;
  const struct cc_plan_opts *o;
  struct cc_plan *plan;
  size_t cap;
  char **selected; /* services this up touches */
};

static struct cc_action *
add (struct builder *b, enum cc_action_kind kind, int level, const char *service, const char *name)
{
  struct cc_action *a;

  if (b->plan->n == b->cap)
    {
      b->cap = b->cap ? 2 * b->cap : 16;
      b->plan->actions = xreallocarray (b->plan->actions, b->cap, sizeof (*a));
    }
  a = &b->plan->actions[b->plan->n++];
  memset (a, 0, sizeof (*a));
  a->kind = kind;
  a->level = level;
  a->service = service ? xstrdup (service) : NULL;
  a->name = name ? xstrdup (name) : NULL;
  return a;
}

void
cc_plan_free (struct cc_plan *plan)
{
  for (size_t i = 0; i < plan->n; i++)
    {
      struct cc_action *a = &plan->actions[i];
      free (a->service);
      free (a->name);
      free (a->key);
      free (a->reason);
      free (a->replaces);
    }
  free (plan->actions);
  free (plan);
}

/* ---- replicas ---------------------------------------------------------- */

static int
scale_override (const char *name, char *const *scale)
{
  size_t len = strlen (name);

  for (char *const *s = scale; s && *s; s++)
    if (strncmp (*s, name, len) == 0 && (*s)[len] == '=')
      return atoi (*s + len + 1);
  return -1;
}

int
cc_plan_replicas (const struct cc_service *svc, char *const *scale)
{
  int n = scale_override (svc->name, scale);

  if (n >= 0)
    return n;
  if (svc->scale >= 0)
    return (int)svc->scale;
  if (svc->deploy.replicas >= 0)
    return (int)svc->deploy.replicas;
  return 1;
}

/* ---- project-wide actions ---------------------------------------------- */

static const cJSON *
state_entry (const cJSON *state, const char *section, const char *key)
{
  return cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (state, section), key);
}

static bool
is_created (const cJSON *entry)
{
  const char *status = cc_json_get_string (entry, "status");
  return status && strcmp (status, "created") == 0;
}

/* Networks and named volumes the selected services use, in model order.  */
static bool
selected_use (struct builder *b, enum cc_action_kind kind, const char *key)
{
  for (char **s = b->selected; *s; s++)
    {
      const struct cc_service *svc = cc_project_service (b->p, *s);
      if (kind == CC_ACTION_CREATE_NETWORK ? cc_service_network (svc, key) != NULL : cc_service_uses_volume (svc, key))
        return true;
    }
  return false;
}

static void
plan_one_shared (struct builder *b, enum cc_action_kind kind, const char *key, const char *name, bool external)
{
  const char *section = kind == CC_ACTION_CREATE_NETWORK ? "networks" : "volumes";

  if (external || ! selected_use (b, kind, key) || is_created (state_entry (b->state, section, key)))
    return;
  add (b, kind, -1, NULL, name)->key = xstrdup (key);
}

static void
plan_shared (struct builder *b)
{
  const struct cc_model_view *v = b->p->view;

  for (size_t i = 0; i < v->n_networks; i++)
    plan_one_shared (b, CC_ACTION_CREATE_NETWORK, v->networks[i].key, v->networks[i].name, v->networks[i].external);
  for (size_t i = 0; i < v->n_volumes; i++)
    plan_one_shared (b, CC_ACTION_CREATE_VOLUME, v->volumes[i].key, v->volumes[i].name, v->volumes[i].external);
}

static void
plan_orphans (struct builder *b)
{
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (b->state, "containers");

  for (const cJSON *c = containers ? containers->child : NULL; c; c = c->next)
    {
      const char *svc = cc_json_get_string (c, "service");
      struct cc_action *a;
      if (svc == NULL || cc_project_service (b->p, svc) || cc_json_get_bool (c, "oneoff", false))
        continue;
      a = add (b, CC_ACTION_REMOVE_ORPHAN, -1, svc, c->string);
      a->report_only = ! b->o->remove_orphans;
    }
}

/* ---- per service ----------------------------------------------------------- */

static void
plan_waits (struct builder *b, const struct cc_service *svc, int level)
{
  for (size_t i = 0; i < svc->n_depends_on; i++)
    {
      const struct cc_dependency *d = &svc->depends_on[i];
      struct cc_action *a;
      if (! cc_strv_contains (b->selected, d->service))
        continue;
      a = add (b, CC_ACTION_WAIT, level, svc->name, NULL);
      a->reason = xstrdup (d->service);
      a->condition = d->condition;
      a->required = d->required;
    }
}

static const char *
container_status (struct builder *b, const char *cname)
{
  const char *s = cc_json_get_string (b->o->status, cname);
  return s ? s : "missing";
}

/* Docker Compose's split: --force-recreate is for the services named
   (all when none is), --always-recreate-deps for the dependencies they
   pull in.  The reason to give, or NULL when not forced.  */
static const char *
forced (const struct builder *b, const char *service)
{
  bool named = b->o->services == NULL || *b->o->services == NULL || cc_strv_contains (b->o->services, service);

  if (named)
    return b->o->force_recreate ? "--force-recreate" : NULL;
  return b->o->always_recreate_deps ? "--always-recreate-deps" : NULL;
}

/* Issue 16: replicas of a service are replaced one batch at a time
   (rolling.c), start-first or stop-first as update_config.order says,
   or start-first by default when the service has a healthcheck and more
   than one replica: then a healthy backend is always there.  Only a
   running replica rolls: one that is not serving has nothing to hand
   over.  */
static bool
rolls (struct builder *b, const struct cc_service *svc, const char *status)
{
  /* A container_name cannot be held by the old and the new replica at once.  */
  if (cc_plan_replicas (svc, b->o->scale) < 2 || strcmp (status, "running") != 0 || svc->container_name)
    return false;
  if (svc->deploy.update_config.order)
    return true;
  return svc->has_healthcheck && ! svc->healthcheck.disable;
}

static bool
number_taken (struct builder *b, const struct cc_service *svc, int number)
{
  cleanup_free char *name = cc_engine_service_container_name (b->p->name, svc, number);

  if (cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (b->state, "containers"), name))
    return true;
  for (size_t i = 0; i < b->plan->n; i++)
    if (b->plan->actions[i].name && strcmp (b->plan->actions[i].name, name) == 0)
      return true;
  return false;
}

/* The lowest replica number no container of SVC has, nor a planned one.  */
static int
next_number (struct builder *b, const struct cc_service *svc)
{
  int n = 1;

  while (number_taken (b, svc, n))
    n++;
  return n;
}

/* What to do with an existing replica.  */
static struct cc_action *
plan_existing (struct builder *b, const struct cc_service *svc, const cJSON *entry, const char *cname, int level)
{
  const char *service = svc->name;
  cleanup_free char *hash = cc_compose_service_hash_json (svc->json);
  cleanup_free char *why = NULL;
  const char *old_hash = cc_json_get_string (entry, "config_hash");
  const char *old_image = cc_json_get_string (entry, "image_id");
  const char *new_image = cc_json_get_string (b->o->image_ids, service);
  const char *status = container_status (b, cname);
  struct cc_action *a;
  bool changed;

  if (old_hash == NULL || strcmp (old_hash, hash) != 0)
    {
      why = cc_compose_describe_change (cJSON_GetObjectItemCaseSensitive (entry, "config"), svc->json);
      if (why == NULL)
        why = xstrdup ("configuration changed");
    }
  if (old_image && new_image && strcmp (old_image, new_image) != 0)
    {
      char *w = xasprintf ("%s%simage changed", why ? why : "", why ? ", " : "");
      free (why);
      why = w;
    }
  changed = why != NULL;
  if (forced (b, service) && ! changed)
    why = xstrdup (forced (b, service));
  else if (strcmp (status, "missing") == 0 && ! changed)
    why = xstrdup ("container missing");
  if (why && changed && ! b->o->no_start && rolls (b, svc, status))
    {
      int number = next_number (b, svc);
      cleanup_free char *next = cc_engine_service_container_name (b->p->name, svc, number);
      a = add (b, CC_ACTION_ROLL, level, service, next);
      a->number = number;
      a->replaces = xstrdup (cname);
      a->reason = steal_pointer (&why);
      a->start = true;
      return a;
    }
  if (why && (! b->o->no_recreate || strcmp (status, "missing") == 0))
    {
      a = add (b, CC_ACTION_RECREATE, level, service, cname);
      a->reason = steal_pointer (&why);
      a->start = ! b->o->no_start;
      return a;
    }
  if (strcmp (status, "running") == 0 || strcmp (status, "restarting") == 0 || strcmp (status, "paused") == 0
      || b->o->no_start)
    return add (b, CC_ACTION_KEEP, level, service, cname);
  return add (b, CC_ACTION_START, level, service, cname);
}

static bool
was_recreated (struct builder *b, const char *service)
{
  for (size_t i = 0; i < b->plan->n; i++)
    if ((b->plan->actions[i].kind == CC_ACTION_RECREATE || b->plan->actions[i].kind == CC_ACTION_ROLL)
        && strcmp (b->plan->actions[i].service, service) == 0)
      return true;
  return false;
}

/* depends_on.restart: a running dependent of a recreated dependency restarts.  */
static void
apply_restart_deps (struct builder *b, const struct cc_service *svc, size_t first)
{
  bool restart = false;

  for (size_t i = 0; i < svc->n_depends_on; i++)
    if (svc->depends_on[i].restart && was_recreated (b, svc->depends_on[i].service))
      restart = true;
  for (size_t i = first; restart && i < b->plan->n; i++)
    if (b->plan->actions[i].kind == CC_ACTION_KEEP)
      {
        b->plan->actions[i].kind = CC_ACTION_RESTART;
        b->plan->actions[i].reason = xstrdup ("a dependency was recreated");
      }
}

static bool
needs_work (const struct cc_plan *plan, size_t first)
{
  for (size_t i = first; i < plan->n; i++)
    if (plan->actions[i].kind != CC_ACTION_KEEP)
      return true;
  return false;
}

static void
plan_service (struct builder *b, const char *service, int level)
{
  const struct cc_service *svc = cc_project_service (b->p, service);
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (b->state, "containers");
  int n = cc_plan_replicas (svc, b->o->scale);
  size_t first, waits = b->plan->n;
  cleanup_strv char **existing = NULL;

  /* Nothing starts with --no-start: there is nothing to wait for.  */
  if (! b->o->no_start)
    plan_waits (b, svc, level);
  first = b->plan->n;
  /* The replicas there are, lowest numbers first, whatever their
     numbers: a rolling update leaves new ones (rolls), and Docker
     Compose too keeps the replicas it finds rather than their names.  */
  existing = cc_state_container_names (b->state, service, false);
  for (int i = 0; i < n; i++)
    {
      const cJSON *entry = existing[0] && (size_t)i < cc_strv_len (existing)
                               ? cJSON_GetObjectItemCaseSensitive (containers, existing[i])
                               : NULL;
      struct cc_action *a;
      if (entry)
        {
          a = plan_existing (b, svc, entry, existing[i], level);
          if (a->kind != CC_ACTION_ROLL)
            a->number = (int)cc_json_get_int (entry, "number", i + 1);
        }
      else
        {
          int number = next_number (b, svc);
          cleanup_free char *cname = cc_engine_service_container_name (b->p->name, svc, number);
          a = add (b, CC_ACTION_CREATE, level, service, cname);
          a->start = ! b->o->no_start;
          a->number = number;
        }
    }
  apply_restart_deps (b, svc, first);
  /* Replicas above the wanted scale go: the highest numbers.  */
  for (size_t i = (size_t)n; i < cc_strv_len (existing); i++)
    {
      const cJSON *entry = cJSON_GetObjectItemCaseSensitive (containers, existing[i]);
      add (b, CC_ACTION_REMOVE, level, service, existing[i])->number = (int)cc_json_get_int (entry, "number", 0);
    }
  /* Nothing to start: no need to wait for the dependencies.  */
  if (! needs_work (b->plan, first))
    {
      for (size_t i = waits; i < first; i++)
        {
          free (b->plan->actions[i].service);
          free (b->plan->actions[i].reason);
        }
      memmove (&b->plan->actions[waits], &b->plan->actions[first], (b->plan->n - first) * sizeof (struct cc_action));
      b->plan->n -= first - waits;
    }
}

static int
select_services (struct builder *b, struct cc_compose_levels **levels, cc_error_t *err)
{
  char *const *named = b->o->services && *b->o->services ? b->o->services : NULL;

  if (named)
    for (char *const *s = named; *s; s++)
      if (cc_project_service (b->p, *s) == NULL)
        return cc_error_make (err, ENOENT, "no such service: `%s`", *s);
  if (b->o->no_deps && named)
    b->selected = cc_strv_dup (named);
  else if (cc_compose_select (b->p, named, &b->selected, err) < 0)
    return -1;
  return cc_compose_levels (b->p, named, levels, err);
}

int
cc_plan_make (const struct cc_project *p, const cJSON *state, const struct cc_plan_opts *o, struct cc_plan **out,
              cc_error_t *err)
{
  cleanup_levels struct cc_compose_levels *levels = NULL;
  struct builder b = { .p = p, .state = state, .o = o };
  cleanup_strv char **selected = NULL;
  struct cc_plan *plan;

  if (select_services (&b, &levels, err) < 0)
    {
      cc_strv_free (b.selected);
      return -1;
    }
  selected = b.selected;
  plan = b.plan = xzalloc (sizeof (*plan));
  plan->n_levels = levels->n_levels;
  plan_shared (&b);
  plan_orphans (&b);
  for (size_t l = 0; l < levels->n_levels; l++)
    for (char **s = levels->levels[l]; *s; s++)
      if (cc_strv_contains (selected, *s))
        plan_service (&b, *s, (int)l);
  *out = plan;
  return 0;
}

/* ---- printing ------------------------------------------------------------ */

static const char *const condition_words[] = {
  [CC_DEPENDS_STARTED] = "started",
  [CC_DEPENDS_HEALTHY] = "healthy",
  [CC_DEPENDS_COMPLETED] = "completed successfully",
};

static void
format_action (struct cc_buf *b, const struct cc_action *a)
{
  const char *then = a->start ? " and start" : "";

  if (a->level >= 0)
    cc_buf_printf (b, "[level %d] ", a->level);
  switch (a->kind)
    {
    case CC_ACTION_CREATE_NETWORK:
      cc_buf_printf (b, "create network %s\n", a->name);
      break;
    case CC_ACTION_CREATE_VOLUME:
      cc_buf_printf (b, "create volume %s\n", a->name);
      break;
    case CC_ACTION_REMOVE_ORPHAN:
      if (a->report_only)
        cc_buf_printf (b,
                       "orphan container %s (service `%s` is no longer in the project): kept, --remove-orphans "
                       "removes it\n",
                       a->name, a->service);
      else
        cc_buf_printf (b, "remove orphan container %s (service `%s` is no longer in the project)\n", a->name,
                       a->service);
      break;
    case CC_ACTION_REMOVE:
      cc_buf_printf (b, "remove container %s (above the wanted scale)\n", a->name);
      break;
    case CC_ACTION_WAIT:
      cc_buf_printf (b, "%s: wait for %s to be %s%s\n", a->service, a->reason, condition_words[a->condition],
                     a->required ? "" : " (optional)");
      break;
    case CC_ACTION_ROLL:
      cc_buf_printf (b, "roll container %s: create and start %s, ready, then stop %s: %s: %s\n", a->replaces, a->name,
                     a->replaces, a->service, a->reason);
      break;
    case CC_ACTION_RECREATE:
      cc_buf_printf (b, "recreate%s container %s: %s: %s\n", then, a->name, a->service, a->reason);
      break;
    case CC_ACTION_CREATE:
      cc_buf_printf (b, "create%s container %s\n", then, a->name);
      break;
    case CC_ACTION_START:
      cc_buf_printf (b, "start container %s\n", a->name);
      break;
    case CC_ACTION_RESTART:
      cc_buf_printf (b, "restart container %s (%s)\n", a->name, a->reason);
      break;
    case CC_ACTION_KEEP:
      cc_buf_printf (b, "keep container %s (up to date)\n", a->name);
      break;
    }
}

char *
cc_plan_format (const struct cc_plan *plan)
{
  struct cc_buf b = { 0 };

  for (size_t i = 0; i < plan->n; i++)
    format_action (&b, &plan->actions[i]);
  if (b.len == 0)
    cc_buf_puts (&b, "");
  return cc_buf_steal (&b);
}

char **
cc_plan_orphans (const struct cc_plan *plan)
{
  char **v = xzalloc (sizeof (char *));

  for (size_t i = 0; i < plan->n; i++)
    if (plan->actions[i].kind == CC_ACTION_REMOVE_ORPHAN && plan->actions[i].report_only)
      cc_strv_push (&v, xasprintf ("%s (service %s)", plan->actions[i].name, plan->actions[i].service));
  return v;
}
