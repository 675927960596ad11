/* `down`, driven by the on-disk state only: containers in reverse level
   order (parallel within a level), then networks, the project's network
   leftovers, volumes with -v.  It always finishes: every failure is
   collected and reported at the end, and a second run is a no-op.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"
#include "runtime/runtime.h"
#include "volumes/volumes.h"

struct down
{
  const struct cc_project *p;
  struct cc_state *st;
  const struct cc_down_opts *o;
  const cJSON *section; /* where the job finds its entry */
  bool whole;           /* every container goes: the networks go at once after */
  bool told_full;       /* a save found the state root full */
};

static int
remove_job (void *opaque, const char *name, cc_error_t *err)
{
  struct down *d = opaque;
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive (d->section, name);

  if (d->whole)
    return cc_engine_remove_for_down (d->st->project, entry, name, d->o->timeout_ms, err);
  return cc_engine_remove_resources (d->st->project, entry, name, d->o->timeout_ms, err);
}

static int
max_level (const cJSON *section)
{
  int max = 0;

  for (const cJSON *c = section ? section->child : NULL; c; c = c->next)
    if (cc_json_get_int (c, "level", 0) > max)
      max = (int)cc_json_get_int (c, "level", 0);
  return max;
}

/* Docker's rule: containers of services no longer in the compose file
   are orphans, left alone (and named) without --remove-orphans.  */
static bool
is_kept_orphan (const struct down *d, const cJSON *entry)
{
  const char *service = cc_json_get_string (entry, "service");

  return d->p && ! d->o->remove_orphans && service && cc_project_service (d->p, service) == NULL;
}

static char **
names_at_level (const struct down *d, const cJSON *section, int level)
{
  char **v = xzalloc (sizeof (char *));

  for (const cJSON *c = section ? section->child : NULL; c; c = c->next)
    if (cc_json_get_int (c, "level", 0) == level && ! is_kept_orphan (d, c))
      cc_strv_append (&v, c->string);
  return v;
}

/* Returns whether every container goes.  */
static bool
warn_orphans (const struct down *d)
{
  const cJSON *section = cJSON_GetObjectItemCaseSensitive (d->st->json, "containers");
  bool whole = true;

  for (const cJSON *c = section ? section->child : NULL; c; c = c->next)
    if (is_kept_orphan (d, c) && ! (whole = false))
      cc_warn ("orphan container %s (service `%s` is no longer in the compose file) kept: "
               "`ccompose down --remove-orphans` removes it",
               c->string, cc_json_get_string (c, "service"));
  return whole;
}

/* Forget the containers that are gone; keep those that failed so the
   next `down` tries again, including one whose directory could not be
   removed after its runtime record was (a mount inside it).  */
static void
forget_removed (cJSON *section, char *const *names)
{
  for (char *const *n = names; *n; n++)
    {
      cleanup_free char *status = cc_engine_container_status (*n, NULL);
      cleanup_free char *dir = cc_engine_container_dir (*n);
      if (strcmp (status, "missing") == 0 && ! cc_file_exists (dir))
        cJSON_DeleteItemFromObjectCaseSensitive (section, *n);
    }
}

/* A save that finds the state root full is not a reason to stop: every
   step of `down` can be done again, and a state that still names what is
   gone only makes the next one try (issue 12, item 9).  Said once.  */
static void
save_or_go_on (struct down *d, cc_error_t *list)
{
  cc_error_t one = NULL;

  if (cc_state_save (d->st, &one) == 0)
    return;
  if (one->status != ENOSPC && one->status != EDQUOT)
    {
      cc_error_append (list, &one);
      return;
    }
  if (! d->told_full)
    {
      cleanup_free char *msg = cc_error_string (one);
      cc_warn ("%s; going on without saving the project's state", msg);
      d->told_full = true;
    }
  cc_error_release (&one);
}

static void
remove_section (struct down *d, const char *key, cc_error_t *list)
{
  cJSON *section = cJSON_GetObjectItemCaseSensitive (d->st->json, key);

  d->section = section;
  for (int l = max_level (section); l >= 0; l--)
    {
      cleanup_strv char **names = names_at_level (d, section, l);
      cc_error_t one = NULL;
      int64_t t0 = cc_engine_now_ms ();
      if (*names == NULL)
        continue;
      if (cc_engine_run_parallel (names, d->o->parallel, remove_job, d, &one) < 0)
        cc_error_append (list, &one);
      cc_debug ("down: level %d removed in %lld ms", l, (long long)(cc_engine_now_ms () - t0));
      for (char **n = names; *n; n++)
        cc_engine_progress ("Container", *n, "Removed");
      forget_removed (section, names);
      save_or_go_on (d, list);
    }
}

static void
remove_networks (struct down *d, cc_error_t *list)
{
  cJSON *nets = cc_state_section (d->st, "networks");
  cJSON *next;
  cc_error_t one = NULL;

  /* Endpoints were left in place by a whole-project down: the teardown
     removes them, their rules and the networks in one pass.  */
  int64_t t0 = cc_engine_now_ms ();
  bool failed = cc_network_teardown_project (d->st->project, &one) < 0;

  /* A network still used by another project (or one that failed) stays
     recorded, so the next `down` removes it; the others are gone.  */
  if (failed)
    cc_error_append (list, &one);
  cc_debug ("down: networks torn down in %lld ms", (long long)(cc_engine_now_ms () - t0));
  for (cJSON *n = nets->child; n; n = next)
    {
      next = n->next;
      if (cc_json_get_bool (n, "external", false) || (failed && cc_network_exists (d->st->project, n->string)))
        continue;
      cc_engine_progress ("Network", cc_json_get_string (n, "name") ? cc_json_get_string (n, "name") : n->string,
                          "Removed");
      cJSON_DeleteItemFromObjectCaseSensitive (nets, n->string);
    }
}

/* Named volumes the compose file declares are found through P even when
   no container was created (-v still removes them, as Docker does).  */
static void
remove_volumes (struct down *d, const struct cc_project *p, cc_error_t *list)
{
  cJSON *vols = cc_state_section (d->st, "volumes");
  const struct cc_model_view *v = p ? p->view : NULL;
  cJSON *next;
  cc_error_t one = NULL;

  for (cJSON *it = vols->child; it; it = next)
    {
      const char *name = cc_json_get_string (it, "name");
      next = it->next;
      if (name == NULL || cc_json_get_bool (it, "external", false))
        continue;
      if (cc_volume_remove (name, false, &one) < 0 && one->status != ENOENT)
        {
          cc_error_append (list, &one);
          continue;
        }
      cc_error_release (&one);
      cc_engine_progress ("Volume", name, "Removed");
      cJSON_DeleteItemFromObjectCaseSensitive (vols, it->string);
    }
  for (size_t i = 0; v && i < v->n_volumes; i++)
    {
      const char *name = v->volumes[i].name;
      cleanup_free char *path = cc_volume_path (name);
      if (v->volumes[i].external || ! cc_file_exists (path))
        continue;
      if (cc_volume_remove (name, false, &one) < 0)
        cc_error_append (list, &one);
      else
        cc_engine_progress ("Volume", name, "Removed");
    }
}

/* Without a readable state, the runtime's containers of this project are
   found by the owner their spec records (a prefix of the container name
   could be another project's); older specs named the project in the
   path of their hostname file.  */
static bool
belongs_to (const char *project, const char *id)
{
  cleanup_free char *needle = xasprintf ("/projects/%s/containers/%s/", project, id);
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;

  if (cc_runtime_spec_of (id, &spec, NULL) < 0)
    return false;
  if (spec->owner)
    return strcmp (spec->owner, project) == 0;
  return spec->hostname_file && strstr (spec->hostname_file, needle) != NULL;
}

static void
salvage_containers (struct down *d)
{
  cleanup_strv char **ids = NULL;
  cJSON *containers = cc_state_section (d->st, "containers");
  cc_error_t ignored = NULL;

  if (cc_runtime_list (&ids, &ignored) < 0)
    {
      cc_error_release (&ignored);
      return;
    }
  for (char **id = ids; *id; id++)
    if (belongs_to (d->st->project, *id))
      cc_json_set (containers, *id, cJSON_CreateObject ());
  /* Networks: the teardown finds them in the network module's own state.  */
}

static bool
is_empty_section (const cJSON *json, const char *key)
{
  const cJSON *s = cJSON_GetObjectItemCaseSensitive (json, key);
  return s == NULL || s->child == NULL;
}

/* Only named volumes may outlive `down`: the state goes once nothing
   else is recorded, and the volumes are found from the compose file.  */
static bool
is_done (const cJSON *json)
{
  return is_empty_section (json, "containers") && is_empty_section (json, "old_containers")
         && is_empty_section (json, "networks");
}

int
cc_engine_down (const char *project, const struct cc_project *p, const struct cc_down_opts *o, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;
  struct down d = { .o = o, .p = p };
  cc_error_t list = NULL, one = NULL;

  if (cc_state_open_salvage (project, &st, err) < 0)
    return -1;
  d.st = st;
  if (st->corrupt)
    salvage_containers (&d);
  d.whole = warn_orphans (&d);
  remove_section (&d, "containers", &list);
  remove_section (&d, "old_containers", &list);
  /* A kept orphan still uses the networks.  */
  if (is_empty_section (st->json, "containers"))
    remove_networks (&d, &list);
  if (o->volumes)
    remove_volumes (&d, p, &list);
  if (is_done (st->json))
    {
      if (cc_state_destroy (st, &one) < 0 || cc_engine_boot_forget (project, &one) < 0)
        cc_error_append (&list, &one);
    }
  else
    {
      save_or_go_on (&d, &list);
      cc_engine_boot_record (st->json, NULL);
    }
  if (list == NULL)
    return 0;
  *err = list;
  return cc_error_wrap (err, "down: could not remove everything (run `ccompose down` again after fixing the cause)");
}
