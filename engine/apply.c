/* `up`: resolve images, plan, then apply the plan level by level: shared
   resources first, then for each level of the depends_on graph wait for
   the dependencies' conditions and create/start its containers in
   parallel.  Every resource is in the state file before it exists.  */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/version.h"
#include "lib/xalloc.h"
#include "network/network.h"
#include "runtime/runtime.h"
#include "volumes/volumes.h"

struct timings
{
  int64_t images, network, create, start, wait;
};

/* The first sha256 of a run costs 1.5-2 ms here (opening libcrypto,
   its provider setup), and up needs one per new container just before
   it creates them: a thread pays it while the plan is made and the
   network created.  Joined before anything forks, so that no child
   inherits the dynamic loader's locks taken.  */
struct warm
{
  pthread_t thread;
  bool running;
};

struct up
{
  const struct cc_project *p;
  struct warm *warm;
  struct cc_up_opts *o;
  struct cc_state *st;
  struct cc_plan *plan;
  cJSON *image_ids;
  struct cc_compose_levels *all_levels; /* of the whole project, recorded per container */
  struct timings t;
};

void
cc_engine_progress (const char *kind, const char *name, const char *what)
{
  cc_progress (kind, name, what);
}

/* ---- images ------------------------------------------------------------------ */

static char *
image_ref_of (const struct cc_project *p, const char *service)
{
  return cc_engine_image_ref (p, cc_project_service (p, service));
}

/* The image is not in the store: say why it was not pulled (PULLED is
   the pull's error, or NULL when the policy did not pull) and how to get
   it.  */
static int
missing_image (const struct cc_project *p, const char *service, const char *ref, cc_error_t pulled, cc_error_t *err)
{
  bool has_build = cc_project_service (p, service)->build != NULL;
  cleanup_free char *why = pulled ? cc_error_string (pulled) : NULL;

  return cc_error_make (err, ENOENT, "service `%s`: image `%s` is not in the local store%s%s%s: %s", service, ref,
                        why ? " and could not be pulled (" : "", why ? why : "", why ? ")" : "",
                        has_build ? "build it with `ccompose build` (or `up` without --no-build)"
                                  : "pull it (`ccompose pull`) or load it with `ccompose image load -i ARCHIVE` (the "
                                    "demo images: samples/images/load)");
}

static bool
in_store (const char *ref)
{
  cleanup_image struct cc_image *img = NULL;

  return cc_image_resolve (ref, &img, NULL) == 0;
}

/* up --pull over the service's pull_policy (missing by default), as in
   Docker Compose.  A service without `image:` has nothing to pull (it
   names what `build:` would make).  */
static const char *
pull_policy_of (const struct up *u, const char *service)
{
  const struct cc_service *svc = cc_project_service (u->p, service);

  if (svc->image == NULL)
    return "never";
  return u->o->pull ? u->o->pull : svc->pull;
}

/* A dry run pulls nothing but says what it would pull, as Docker
   Compose's does; then it goes on with what the store has.  */
static const char *
dry_run_pull (const struct up *u, const char *ref, const char *policy)
{
  cleanup_error cc_error_t e = NULL;
  bool due = false;

  if (cc_image_pull_due (ref, policy, &due, &e) == 0 && due && ! u->o->quiet)
    cc_notice (" \u2714 DRY-RUN MODE -  Image %s  Pulled", ref);
  return "never";
}

/* Images of services with `build:` first: what the store lacks, all of
   them with --build, --pull build or pull_policy: build, none with
   --no-build (as Docker Compose).  */
static int
build_images (struct up *u, char *const *services, cc_error_t *err)
{
  enum cc_build_when when = u->o->build;
  struct cc_engine_build_opts bo = { .quiet = u->o->quiet, .dry_run = u->o->dry_run };

  if (when == CC_BUILD_MISSING && u->o->pull && strcmp (u->o->pull, "build") == 0)
    when = CC_BUILD_ALWAYS;
  return cc_engine_build_missing (u->p, services, when, &bo, err);
}

static int
resolve_images (struct up *u, char *const *services, cc_error_t *err)
{
  int64_t t0 = cc_engine_now_ms ();

  u->image_ids = cJSON_CreateObject ();
  for (char *const *s = services; *s; s++)
    {
      cleanup_free char *ref = image_ref_of (u->p, *s);
      cleanup_image struct cc_image *img = NULL;
      const char *policy = pull_policy_of (u, *s);
      if (u->o->dry_run)
        policy = dry_run_pull (u, ref, policy);
      if (cc_image_ensure (ref, policy, u->o->quiet, &img, err) < 0)
        {
          if (err && *err && ! u->o->dry_run && ! in_store (ref))
            {
              cleanup_error cc_error_t pulled = steal_pointer (err);
              return missing_image (u->p, *s, ref, pulled->status == ENOENT ? NULL : pulled, err);
            }
          if (u->o->dry_run)
            {
              cc_error_release (err);
              continue;
            }
          return cc_error_wrap (err, "service `%s`", *s);
        }
      cc_json_set_string (u->image_ids, *s, img->id);
    }
  u->t.images = cc_engine_now_ms () - t0;
  return 0;
}

/* ---- state entries ------------------------------------------------------------- */

static int
global_level (const struct up *u, const char *service)
{
  for (size_t l = 0; l < u->all_levels->n_levels; l++)
    if (cc_strv_contains (u->all_levels->levels[l], service))
      return (int)l;
  return 0;
}

static cJSON *
new_entry (struct up *u, const struct cc_action *a)
{
  cleanup_free char *ref = image_ref_of (u->p, a->service);
  struct cc_entry_info i = {
    .project = u->p,
    .svc = cc_project_service (u->p, a->service),
    .image_ref = ref,
    .image_id = cc_json_get_string (u->image_ids, a->service),
    .number = a->number,
    .level = global_level (u, a->service),
  };

  return cc_engine_new_entry (&i);
}

/* ---- shared resources --------------------------------------------------------------- */

/* The first ipam.config entry of each family: an IPv6 subnet is the
   IPv6 side of an enable_ipv6 network (issue 17).  */
static const struct cc_ipam_pool *
ipam_of (const struct cc_network *net, bool ipv6)
{
  static const struct cc_ipam_pool none = { 0 };

  for (size_t i = 0; i < net->n_ipam; i++)
    if ((net->ipam[i].subnet && strchr (net->ipam[i].subnet, ':') != NULL) == ipv6)
      return &net->ipam[i];
  return &none;
}

static int
create_network (struct up *u, const struct cc_action *a, cc_error_t *err)
{
  const struct cc_network *net = cc_project_network (u->p, a->key);
  const struct cc_ipam_pool *ipam = ipam_of (net, false), *ipam6 = ipam_of (net, true);
  cJSON *entry = cJSON_CreateObject ();
  struct cc_net_spec spec = {
    .project = u->p->name,
    .name = a->key,
    .full_name = a->name,
    .subnet = ipam->subnet,
    .gateway = ipam->gateway,
    .ip_range = ipam->ip_range,
    .internal = net->internal,
    .ipv6 = net->enable_ipv6 == 1,
    .no_ipv4 = net->enable_ipv4 == 0,
    .subnet6 = ipam6->subnet,
    .gateway6 = ipam6->gateway,
    .ip_range6 = ipam6->ip_range,
  };
  struct cc_net_info info = { 0 };
  cleanup_strv char **labels = xzalloc (sizeof (char *)), **aux = NULL;

  for (size_t i = 0; i < net->labels.n; i++)
    cc_strv_push (&labels, xasprintf ("%s=%s", net->labels.items[i].name, net->labels.items[i].value ?: ""));
  /* Docker Compose's own, which `network ls --filter label=` finds.  */
  cc_strv_push (&labels, xasprintf ("com.docker.compose.network=%s", a->key));
  cc_strv_push (&labels, xasprintf ("com.docker.compose.project=%s", u->p->name));
  cc_strv_push (&labels, xstrdup ("com.docker.compose.version=" CC_VERSION));
  spec.labels = labels;
  for (size_t i = 0; i < ipam->aux_addresses.n; i++)
    cc_strv_push (&aux,
                  xasprintf ("%s=%s", ipam->aux_addresses.items[i].name, ipam->aux_addresses.items[i].value ?: ""));
  spec.aux_addresses = aux;
  cc_engine_bridge_spec (&net->bridge, &spec);
  cc_json_set_string (entry, "name", a->name);
  cc_json_set_string (entry, "status", "creating");
  cc_json_set (cc_state_section (u->st, "networks"), a->key, entry);
  if (cc_state_save (u->st, err) < 0)
    return -1;
  if (cc_network_create (&spec, &info, err) < 0)
    return cc_error_wrap (err, "network `%s`", a->name);
  cc_net_info_release (&info);
  cc_json_set_string (entry, "status", "created");
  cc_engine_progress ("Network", a->name, "Created");
  return cc_state_save (u->st, err);
}

/* Compose's labels of a volume it creates, then the file's: `ccompose
   volumes` lists a project's volumes by the first.  */
static char **
volume_labels (const struct up *u, const struct cc_volume *vol)
{
  struct cc_strv_builder b = { 0 };

  cc_strv_builder_push (&b, xasprintf ("com.docker.compose.project=%s", u->p->name));
  cc_strv_builder_push (&b, xasprintf ("com.docker.compose.volume=%s", vol->key));
  for (size_t i = 0; i < vol->labels.n; i++)
    cc_strv_builder_push (&b, xasprintf ("%s=%s", vol->labels.items[i].name, vol->labels.items[i].value ?: ""));
  return cc_strv_builder_steal (&b);
}

static char **
pairs_of (const struct cc_kv_list *l)
{
  struct cc_strv_builder b = { 0 };

  for (size_t i = 0; i < l->n; i++)
    cc_strv_builder_push (&b, xasprintf ("%s=%s", l->items[i].name, l->items[i].value ?: ""));
  return cc_strv_builder_steal (&b);
}

static int
create_volume (struct up *u, const struct cc_action *a, cc_error_t *err)
{
  const struct cc_volume *vol = cc_project_volume (u->p, a->key);
  cJSON *entry = cJSON_CreateObject ();
  cleanup_free char *path = cc_volume_path (a->name);
  cleanup_strv char **labels = volume_labels (u, vol), **options = pairs_of (&vol->driver_opts);
  struct cc_volume_spec spec = { .name = a->name, .driver = vol->driver, .options = options, .labels = labels };

  cc_json_set_string (entry, "name", a->name);
  cc_json_set_string (entry, "path", path);
  cc_json_set_string (entry, "status", "creating");
  cc_json_set (cc_state_section (u->st, "volumes"), a->key, entry);
  if (cc_state_save (u->st, err) < 0 || cc_volume_create (&spec, NULL, err) < 0)
    return -1;
  cc_json_set_string (entry, "status", "created");
  cc_engine_progress ("Volume", a->name, "Created");
  return cc_state_save (u->st, err);
}

/* A container_name is one name on the whole host: another project's
   container of that name is its owner's, and Docker refuses the clash.  */
static int
check_name_free (const char *project, const char *name, cc_error_t *err)
{
  cleanup_strv char **projects = NULL;

  if (cc_state_projects (&projects, err) < 0)
    return -1;
  for (char **other = projects; *other; other++)
    {
      cleanup_state struct cc_state *st = NULL;
      const cJSON *entry;
      if (strcmp (*other, project) == 0 || cc_state_open (*other, false, &st, NULL) < 0)
        continue;
      entry = cJSON_GetObjectItemCaseSensitive (cc_state_section (st, "containers"), name);
      if (entry)
        return cc_error_make (err, EEXIST, "container name `%s` is already in use by service `%s` of project `%s`",
                              name, cc_json_get_string (entry, "service") ?: "?", *other);
    }
  return 0;
}

static int
check_container_names (struct up *u, cc_error_t *err)
{
  for (size_t i = 0; i < u->plan->n; i++)
    {
      const struct cc_action *a = &u->plan->actions[i];
      const struct cc_service *svc = a->service ? cc_project_service (u->p, a->service) : NULL;
      if (a->kind == CC_ACTION_CREATE && svc && svc->container_name && check_name_free (u->p->name, a->name, err) < 0)
        return cc_error_wrap (err, "service `%s`", a->service);
    }
  return 0;
}

/* External networks belong to another project that must be up already:
   checked before anything is created, as Docker does.  The containers
   find them again by name when they attach (see attach_networks).  */
static int
check_externals (struct up *u, cc_error_t *err)
{
  const struct cc_model_view *v = u->p->view;

  for (size_t i = 0; i < v->n_networks; i++)
    {
      cleanup_free char *project = NULL, *key = NULL;
      if (! v->networks[i].external)
        continue;
      /* Other keys next to `external` are refused by the compose
         validation, with their position.  */
      if (cc_network_find_by_name (v->networks[i].name, &project, &key, err) < 0)
        return -1;
      cc_debug ("external network %s: network `%s` of project %s", v->networks[i].name, key, project);
    }
  /* Docker Compose's words: the volume is someone else's to create.  */
  for (size_t i = 0; i < v->n_volumes; i++)
    if (v->volumes[i].external && ! cc_volume_exists (v->volumes[i].name))
      return cc_error_make (err, ENOENT, "external volume \"%s\" not found", v->volumes[i].name);
  return 0;
}

/* The volumes this up creates: what their driver cannot honour stops
   `up` here, at the volume's file:line:col (volumes/ says what).  */
static int
check_volumes (struct up *u, cc_error_t *err)
{
  for (size_t i = 0; i < u->plan->n; i++)
    {
      const struct cc_action *a = &u->plan->actions[i];
      const struct cc_volume *vol;
      cleanup_strv char **options = NULL;
      cleanup_error cc_error_t why = NULL;
      if (a->kind != CC_ACTION_CREATE_VOLUME)
        continue;
      vol = cc_project_volume (u->p, a->key);
      options = pairs_of (&vol->driver_opts);
      if (cc_volume_check (&(struct cc_volume_spec){ .name = a->name, .driver = vol->driver, .options = options }, &why)
          < 0)
        return cc_compose_error_at (err, &vol->pos, "volume `%s`: %s", a->key, why->msg);
    }
  return 0;
}

/* Ports of every service that gets a new container, before anything
   exists: what cannot be published stops `up` here, and a host port
   someone holds is named with its holder.  */
static int
preflight (struct up *u, cc_error_t *err)
{
  for (size_t i = 0; i < u->plan->n; i++)
    {
      const struct cc_action *a = &u->plan->actions[i];
      const struct cc_service *svc;
      cleanup_free struct cc_net_port *v = NULL;
      size_t n = 0;
      if (a->kind != CC_ACTION_CREATE && a->kind != CC_ACTION_RECREATE && a->kind != CC_ACTION_START)
        continue;
      svc = cc_project_service (u->p, a->service);
      /* Before anything is created: the container a link names is there.  */
      if (cc_engine_external_links (u->p, svc, NULL, err) < 0)
        return -1;
      if (cc_engine_net_ports (svc->ports, svc->n_ports, &v, err) < 0
          || cc_engine_check_ipv4_ports (u->p, svc, a->number <= 1, err) < 0)
        return cc_error_wrap (err, "service `%s`", a->service);
      /* A port without a host port takes a free one when it is attached.  */
      for (size_t k = 0; k < svc->n_ports; k++)
        if (svc->ports[k].published || svc->ports[k].published_end)
          v[n++] = v[k];
      if (n && cc_network_preflight (u->p->name, a->service, v, n, err) < 0)
        return cc_error_wrap (err, "service `%s`", a->service);
    }
  return 0;
}

/* ---- containers ------------------------------------------------------------------ */

struct job
{
  struct up *u;
};

static const struct cc_action *
action_for (const struct up *u, const char *name)
{
  for (size_t i = 0; i < u->plan->n; i++)
    if (u->plan->actions[i].name && strcmp (u->plan->actions[i].name, name) == 0
        && u->plan->actions[i].kind >= CC_ACTION_RECREATE)
      return &u->plan->actions[i];
  return NULL;
}

static int64_t
stop_timeout (const struct up *u)
{
  return u->o->timeout_ms;
}

/* The old container and its namespace must still be there to be reused
   (a crash may have left only the state entry).  */
static bool
can_keep_network (const cJSON *old, const cJSON *entry, const char *name)
{
  cleanup_free char *status = cc_engine_container_status (name, NULL);
  cleanup_free char *netns = cc_netns_path (name);

  return strcmp (status, "missing") != 0 && cc_json_get_bool (old, "owns_netns", false) && cc_file_exists (netns)
         && cc_compose_same_network (cJSON_GetObjectItemCaseSensitive (old, "config"),
                                     cJSON_GetObjectItemCaseSensitive (entry, "config"));
}

/* In a child: the kernel side of one container action.  */
static int
container_job (void *opaque, const char *name, cc_error_t *err)
{
  struct up *u = opaque;
  const struct cc_action *a = action_for (u, name);
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive (cc_state_section (u->st, "containers"), name);
  const cJSON *old = cJSON_GetObjectItemCaseSensitive (cc_state_section (u->st, "old_containers"), name);
  const struct cc_service *svc = cc_project_service (u->p, a->service);
  struct cc_runtime_stop_report r;

  switch (a->kind)
    {
    case CC_ACTION_RECREATE:
      if (can_keep_network (old, entry, name))
        return cc_engine_recreate_in_place (u->p, svc, entry, name, stop_timeout (u), err);
      if (cc_engine_remove_resources (u->p->name, old, name, stop_timeout (u), err) < 0)
        return -1;
      /* fall through */
    case CC_ACTION_CREATE:
      return cc_engine_create_container (u->p, svc, entry, name, err);
    case CC_ACTION_RESTART:
      return cc_runtime_stop (name, stop_timeout (u), &r, err);
    default:
      return 0;
    }
}

/* Starting is cheap (the process waits on its exec fifo): the parent does
   it once the level's containers exist, which also times it apart.  */
static int
start_level (struct up *u, char *const *names, cc_error_t *err)
{
  cleanup_strv char **wanted = xzalloc (sizeof (char *));
  int64_t t0 = cc_engine_now_ms ();
  int ret;

  for (char *const *n = names; *n; n++)
    {
      const struct cc_action *a = action_for (u, *n);
      if (a->kind == CC_ACTION_START || a->kind == CC_ACTION_RESTART || a->start)
        cc_strv_append (&wanted, *n);
    }
  ret = cc_runtime_start_many (wanted, err);
  for (char **n = wanted; ret == 0 && *n; n++)
    ret = cc_engine_post_start (cJSON_GetObjectItemCaseSensitive (cc_state_section (u->st, "containers"), *n), *n, err);
  u->t.start += cc_engine_now_ms () - t0;
  return ret;
}

static const char *
done_word (const struct cc_action *a)
{
  switch (a->kind)
    {
    case CC_ACTION_RECREATE:
      return a->start ? "Recreated" : "Recreated (not started)";
    case CC_ACTION_CREATE:
      return a->start ? "Started" : "Created";
    case CC_ACTION_RESTART:
      return "Restarted";
    case CC_ACTION_START:
      return "Started";
    default:
      return "Running";
    }
}

/* Record the level's new containers before any exists; the entry of a
   container being recreated is kept aside so the child can remove it.  */
static int
record_level (struct up *u, int level, char ***names, cc_error_t *err)
{
  cJSON *containers = cc_state_section (u->st, "containers");
  cJSON *old = cc_state_section (u->st, "old_containers");

  for (size_t i = 0; i < u->plan->n; i++)
    {
      const struct cc_action *a = &u->plan->actions[i];
      if (a->level != level || a->kind < CC_ACTION_RECREATE || a->kind == CC_ACTION_KEEP)
        continue;
      cc_strv_append (names, a->name);
      if (a->kind == CC_ACTION_RECREATE)
        {
          cJSON *prev = cJSON_DetachItemFromObjectCaseSensitive (containers, a->name);
          if (prev)
            cc_json_set (old, a->name, prev);
        }
      if (a->kind == CC_ACTION_RECREATE || a->kind == CC_ACTION_CREATE)
        cc_json_set (containers, a->name, new_entry (u, a));
    }
  return cc_state_save (u->st, err);
}

static void
mark_level_done (struct up *u, char *const *names, bool ok)
{
  cJSON *containers = cc_state_section (u->st, "containers");
  cJSON *old = cc_state_section (u->st, "old_containers");

  for (char *const *n = names; *n; n++)
    {
      const struct cc_action *a = action_for (u, *n);
      char *status = cc_engine_container_status (*n, NULL);
      cJSON *entry = cJSON_GetObjectItemCaseSensitive (containers, *n);
      bool exists = strcmp (status, "missing") != 0;
      if (exists || a->kind != CC_ACTION_RECREATE)
        cJSON_DeleteItemFromObjectCaseSensitive (old, *n);
      if (entry && exists)
        cc_json_set_string (entry, "status", "created");
      if (exists && (ok || strcmp (status, "running") == 0))
        {
          cleanup_free char *word = a->kind == CC_ACTION_RECREATE || a->kind == CC_ACTION_RESTART
                                        ? xasprintf ("%s: %s: %s", done_word (a), a->service, a->reason)
                                        : xstrdup (done_word (a));
          cc_engine_progress ("Container", *n, word);
          if (a->start)
            cc_strv_append (&u->o->started, *n);
        }
      free (status);
    }
  if (old->child == NULL)
    cJSON_DeleteItemFromObjectCaseSensitive (u->st->json, "old_containers");
}

static const char *const met_words[] = {
  [CC_DEPENDS_STARTED] = "Running",
  [CC_DEPENDS_HEALTHY] = "Healthy",
  [CC_DEPENDS_COMPLETED] = "Exited",
};

static int
wait_level (struct up *u, int level, cc_error_t *err)
{
  for (size_t i = 0; i < u->plan->n; i++)
    {
      const struct cc_action *a = &u->plan->actions[i];
      if (a->kind != CC_ACTION_WAIT || a->level != level)
        continue;
      if (cc_engine_wait_condition (u->st->json, a->reason, a->condition, -1, err) == 0)
        {
          cc_engine_progress ("Service", a->reason, met_words[a->condition]);
          continue;
        }
      if (! a->required)
        {
          cleanup_free char *msg = cc_error_string (*err);
          cc_warn ("%s: optional dependency failed, starting anyway: %s", a->service, msg);
          cc_error_release (err);
          continue;
        }
      return cc_error_wrap (err, "dependency failed to start for service `%s`", a->service);
    }
  return 0;
}

static void *
warm_hash (void *unused)
{
  cleanup_cjson cJSON *o = cJSON_CreateObject ();

  (void)unused;
  free (cc_compose_service_hash_json (o));
  return NULL;
}

static void
warm_start (struct warm *w)
{
  w->running = pthread_create (&w->thread, NULL, warm_hash, NULL) == 0;
}

static void
warm_join (struct warm *w)
{
  if (w->running)
    pthread_join (w->thread, NULL);
  w->running = false;
}

static int
remove_planned (struct up *u, cc_error_t *err)
{
  cleanup_strv char **surplus = xzalloc (sizeof (char *));

  warm_join (u->warm);
  /* Replicas above the scale leave their balancers before they stop:
     no new connection reaches a replica that is going (issue 16).  */
  for (size_t i = 0; i < u->plan->n; i++)
    if (u->plan->actions[i].kind == CC_ACTION_REMOVE)
      cc_strv_append (&surplus, u->plan->actions[i].name);
  if (*surplus && cc_engine_leave_balancer (u->p->name, surplus, err) < 0)
    return -1;
  for (size_t i = 0; i < u->plan->n; i++)
    {
      const struct cc_action *a = &u->plan->actions[i];
      if ((a->kind != CC_ACTION_REMOVE_ORPHAN || a->report_only) && a->kind != CC_ACTION_REMOVE)
        continue;
      if (cc_engine_remove_container (u->st, a->name, u->o->timeout_ms, err) < 0)
        return -1;
      cc_engine_progress ("Container", a->name, "Removed");
    }
  return 0;
}

static int
create_shared (struct up *u, cc_error_t *err)
{
  int64_t t0 = cc_engine_now_ms ();

  for (size_t i = 0; i < u->plan->n; i++)
    {
      const struct cc_action *a = &u->plan->actions[i];
      if (a->kind == CC_ACTION_CREATE_NETWORK && create_network (u, a, err) < 0)
        return -1;
      if (a->kind == CC_ACTION_CREATE_VOLUME && create_volume (u, a, err) < 0)
        return -1;
    }
  u->t.network = cc_engine_now_ms () - t0;
  return 0;
}

/* ---- --wait ------------------------------------------------------------------------ */

static int
wait_ready (struct up *u, char *const *names, cc_error_t *err)
{
  int64_t t0 = cc_engine_now_ms ();

  if (cc_engine_wait_ready (names, u->o->wait_timeout_ms, err) < 0)
    return -1;
  u->t.wait += cc_engine_now_ms () - t0;
  return 0;
}

/* ---- the sequence -------------------------------------------------------------------- */

static cJSON *
status_map (struct cc_state *st)
{
  cleanup_strv char **names = cc_state_container_names (st->json, NULL, false);
  cJSON *out = cJSON_CreateObject ();

  for (char **n = names; *n; n++)
    {
      char *status = cc_engine_container_status (*n, NULL);
      cc_json_set_string (out, *n, status);
      free (status);
    }
  return out;
}

/* Every container of the services this up is about.  */
static char **
containers_of (const struct up *u, char *const *services)
{
  char **v = xzalloc (sizeof (char *));

  for (char *const *s = services; *s; s++)
    {
      cleanup_strv char **names = cc_state_container_names (u->st->json, *s, false);
      for (char **n = names; *n; n++)
        cc_strv_append (&v, *n);
    }
  return v;
}

static void
print_timings (const struct up *u, int64_t total)
{
  if (cc_log_threshold > CC_LOG_DEBUG)
    return;
  cc_notice ("up: %.3f s (images %.3f, network %.3f, create %.3f, start %.3f, wait %.3f)", (double)total / 1000,
             (double)u->t.images / 1000, (double)u->t.network / 1000, (double)u->t.create / 1000,
             (double)u->t.start / 1000, (double)u->t.wait / 1000);
}

/* Orphans are often another directory's project of the same name (two
   checkouts both called `app`): say which one when that is the case.  */
static void
warn_orphans (const struct cc_plan *plan, const struct cc_project *p, const cJSON *state)
{
  cleanup_strv char **orphans = cc_plan_orphans (plan);
  cleanup_free char *list = NULL;
  const char *dir = cc_json_get_string (state, "directory");

  if (*orphans == NULL)
    return;
  list = cc_strv_join (orphans, ", ");
  if (dir && p->directory && strcmp (dir, p->directory) != 0)
    cc_warn ("found orphan containers for this project: %s; they were created by the project of the same name in "
             "`%s`: choose another name with -p (or `name:`) to keep both, or run `ccompose up --remove-orphans`",
             list, dir);
  else
    cc_warn ("found orphan containers for this project: %s; their services are no longer in the compose file. "
             "Run `ccompose up --remove-orphans` (or `ccompose down --remove-orphans`) to remove them.",
             list);
}

static void
record_project (struct up *u)
{
  cJSON *files = cJSON_CreateArray ();

  for (char **f = u->p->files; f && *f; f++)
    cJSON_AddItemToArray (files, cJSON_CreateString (*f));
  cc_json_set_string (u->st->json, "directory", u->p->directory);
  cc_json_set (u->st->json, "config_files", files);
}

/* Containers of every level are created at once, as in Docker Compose:
   creating a dependent overlaps with waiting for its dependencies, and
   only its start waits for their conditions.  */
struct levels
{
  size_t n;
  char ***names; /* per level */
};

static void
levels_release (struct levels *l)
{
  for (size_t i = 0; l->names && i < l->n; i++)
    cc_strv_free (l->names[i]);
  free (l->names);
}

#define cleanup_levels_list __attribute__ ((cleanup (levels_release)))

/* The service a `service:NAME` mode names, or NULL.  */
static const char *
service_ref (const char *mode)
{
  return mode && strncmp (mode, "service:", 8) == 0 ? mode + 8 : NULL;
}

static bool
is_container_ref (const char *mode)
{
  return mode && strncmp (mode, "container:", 10) == 0;
}

/* How many `service:` hops (network_mode, pid, ipc) lead from SERVICE to
   services with namespaces of their own; a `container:NAME` counts one
   (bounded by BUDGET: a cycle is the validator's to refuse).  */
static size_t
join_depth (const struct cc_project *p, const char *service, size_t budget)
{
  const struct cc_service *s = cc_project_service (p, service);
  const char *targets[3];
  size_t d = 0;

  if (s == NULL || budget == 0)
    return 0;
  targets[0] = s->network_mode == CC_NETWORK_MODE_SERVICE ? s->network_mode_target : NULL;
  targets[1] = service_ref (s->pid);
  targets[2] = service_ref (s->ipc);
  for (size_t i = 0; i < CC_N_ELEMENTS (targets); i++)
    if (targets[i] && (i == 0 || ! targets[i - 1] || strcmp (targets[i], targets[i - 1]) != 0))
      {
        size_t t = 1 + join_depth (p, targets[i], budget - 1);
        d = t > d ? t : d;
      }
  if (d == 0 && (is_container_ref (s->pid) || is_container_ref (s->ipc)))
    d = 1;
  return d;
}

/* A container in another's network, pid or ipc namespace joins it when
   it is created, so it is created in a round after that container; the
   rest at once.  */
static int
create_rounds (struct up *u, char *const *all, cc_error_t *err)
{
  bool more = true;

  for (size_t depth = 0; more; depth++)
    {
      cleanup_strv char **round = xzalloc (sizeof (char *));
      more = false;
      for (char *const *n = all; *n; n++)
        {
          size_t d = join_depth (u->p, action_for (u, *n)->service, u->p->view->n_services + 1);
          if (d == depth)
            cc_strv_append (&round, *n);
          more |= d > depth;
        }
      if (*round && cc_engine_run_parallel (round, u->o->parallel, container_job, u, err) < 0)
        return -1;
    }
  return 0;
}

static bool
uses_volumes_from (const struct cc_project *p)
{
  cleanup_strv char **names = cc_project_service_names (p);

  for (char **n = names; *n; n++)
    if (cc_project_service (p, *n)->volumes_from)
      return true;
  return false;
}

static int
create_all (struct up *u, struct levels *l, cc_error_t *err)
{
  cleanup_strv char **all = xzalloc (sizeof (char *));
  int64_t t0;
  int ret;

  for (size_t i = 0; i < l->n; i++)
    {
      l->names[i] = xzalloc (sizeof (char *));
      if (record_level (u, (int)i, &l->names[i], err) < 0)
        return -1;
      for (char **n = l->names[i]; *n; n++)
        cc_strv_append (&all, *n);
    }
  if (*all == NULL)
    return 0;
  t0 = cc_engine_now_ms ();
  /* volumes_from reads its source's spec: then a level is created once
     the levels before it exist.  */
  ret = 0;
  if (uses_volumes_from (u->p))
    for (size_t i = 0; ret == 0 && i < l->n; i++)
      ret = *l->names[i] ? create_rounds (u, l->names[i], err) : 0;
  else
    ret = create_rounds (u, all, err);
  u->t.create += cc_engine_now_ms () - t0;
  return ret;
}

static cJSON *
roll_entry (void *opaque, const struct cc_action *a)
{
  return new_entry (opaque, a);
}

static bool
is_roll_of (const struct cc_action *a, int level, const char *service)
{
  return a->kind == CC_ACTION_ROLL && a->level == level && (service == NULL || strcmp (a->service, service) == 0);
}

/* The first roll of its service in the plan gathers them all.  */
static bool
first_roll (const struct up *u, size_t i)
{
  const struct cc_action *a = &u->plan->actions[i];

  if (! is_roll_of (a, a->level, NULL))
    return false;
  for (size_t j = 0; j < i; j++)
    if (is_roll_of (&u->plan->actions[j], a->level, a->service))
      return false;
  return true;
}

/* The level's rolling updates, one service after the other (rolling.c).  */
static int
roll_level (struct up *u, int level, cc_error_t *err)
{
  for (size_t i = 0; i < u->plan->n; i++)
    {
      const struct cc_action *a = &u->plan->actions[i];
      cleanup_free const struct cc_action **batch = NULL;
      struct cc_roll r;
      size_t n = 0;

      if (a->level != level || ! first_roll (u, i))
        continue;
      batch = xzalloc ((u->plan->n + 1) * sizeof (*batch));
      for (size_t j = i; j < u->plan->n; j++)
        if (is_roll_of (&u->plan->actions[j], level, a->service))
          batch[n++] = &u->plan->actions[j];
      r = (struct cc_roll){ .p = u->p,
                            .st = u->st,
                            .svc = cc_project_service (u->p, a->service),
                            .actions = batch,
                            .n = n,
                            .stop_timeout_ms = stop_timeout (u),
                            .wait_timeout_ms = u->o->wait_timeout_ms,
                            .entry = roll_entry,
                            .opaque = u };
      if (cc_engine_roll (&r, err) < 0)
        return -1;
    }
  return 0;
}

static int
start_levels (struct up *u, struct levels *l, size_t *done, cc_error_t *err)
{
  for (; *done < l->n; (*done)++)
    {
      int64_t t0 = cc_engine_now_ms ();
      int ret = wait_level (u, (int)*done, err);
      u->t.wait += cc_engine_now_ms () - t0;
      if (ret == 0 && *l->names[*done])
        ret = start_level (u, l->names[*done], err);
      if (ret < 0)
        return -1;
      mark_level_done (u, l->names[*done], true);
      if (cc_state_save (u->st, err) < 0 || roll_level (u, (int)*done, err) < 0)
        return -1;
    }
  return 0;
}

static int
run_levels (struct up *u, cc_error_t *err)
{
  cleanup_levels_list struct levels l = { .n = u->plan->n_levels };
  size_t done = 0;

  warm_join (u->warm);
  l.names = xzalloc ((l.n + 1) * sizeof (char **));
  if (create_all (u, &l, err) == 0 && start_levels (u, &l, &done, err) == 0)
    return 0;
  /* What exists is recorded as created; the error stays the first one.  */
  for (; done < l.n && l.names[done]; done++)
    mark_level_done (u, l.names[done], false);
  cc_state_save (u->st, NULL);
  return -1;
}

/* Before images are pulled or built, and in a dry run too.  */
static int
check_platforms (const struct up *u, char *const *services, cc_error_t *err)
{
  for (char *const *s = services; *s; s++)
    {
      const struct cc_service *svc = cc_project_service (u->p, *s);
      if (svc && cc_engine_check_platform (svc, NULL, err) < 0)
        return -1;
    }
  return 0;
}

static int
select_for_images (const struct up *u, char ***out, cc_error_t *err)
{
  int ret;

  if (u->o->no_deps && u->o->services && *u->o->services)
    *out = cc_strv_dup (u->o->services);
  else if ((ret = cc_compose_select (u->p, u->o->services, out, err)) < 0)
    return ret;
  return check_platforms (u, *out, err);
}

static bool
records_nothing (const cJSON *json)
{
  static const char *const sections[] = { "containers", "old_containers", "networks", "volumes" };

  for (size_t i = 0; i < CC_N_ELEMENTS (sections); i++)
    {
      const cJSON *s = cJSON_GetObjectItemCaseSensitive (json, sections[i]);
      if (s && s->child)
        return false;
    }
  return true;
}

static int apply (const struct cc_project *p, struct cc_up_opts *o, struct cc_state *st, cc_error_t *err);

/* A failed first up (missing image, port conflict) leaves no state behind.  */
int
cc_engine_up (const struct cc_project *p, struct cc_up_opts *o, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;
  int ret;

  if (cc_state_open (p->name, ! o->dry_run, &st, err) < 0)
    return -1;
  ret = apply (p, o, st, err);
  if (o->dry_run)
    return ret;
  if (ret < 0 && records_nothing (st->json))
    cc_state_destroy (st, NULL);
  /* Even after a failure: what did start comes back after a reboot.  */
  cc_engine_boot_record (st->json, p);
  return ret;
}

static int
apply (const struct cc_project *p, struct cc_up_opts *o, struct cc_state *st, cc_error_t *err)
{
  cleanup_plan struct cc_plan *plan = NULL;
  cleanup_cjson cJSON *image_ids = NULL, *status = NULL;
  cleanup_levels struct cc_compose_levels *levels = NULL;
  cleanup_strv char **services = NULL, **all = NULL;
  __attribute__ ((cleanup (warm_join))) struct warm warm = { 0 };
  struct up u = { .p = p, .o = o, .warm = &warm };
  int64_t t0 = cc_engine_now_ms ();
  struct cc_plan_opts po = {
    .services = o->services,
    .scale = o->scale,
    .force_recreate = o->force_recreate,
    .always_recreate_deps = o->always_recreate_deps,
    .no_recreate = o->no_recreate,
    .no_deps = o->no_deps,
    .remove_orphans = o->remove_orphans,
    .no_start = o->no_start,
  };

  if (select_for_images (&u, &services, err) < 0 || cc_compose_levels (p, NULL, &levels, err) < 0)
    return -1;
  u.st = st;
  u.all_levels = levels;
  if (build_images (&u, services, err) < 0 || resolve_images (&u, services, err) < 0)
    return -1;
  if (! o->dry_run)
    warm_start (&warm);
  image_ids = u.image_ids;
  status = status_map (st);
  po.image_ids = image_ids;
  po.status = status;
  if (cc_plan_make (p, st->json, &po, &plan, err) < 0)
    return -1;
  u.plan = plan;
  if (o->dry_run)
    {
      cleanup_free char *text = cc_plan_format (plan);
      fputs (text, stdout);
      return 0;
    }
  if (! o->ignore_orphans)
    warn_orphans (plan, p, st->json);
  record_project (&u);
  if (check_container_names (&u, err) < 0 || check_externals (&u, err) < 0 || check_volumes (&u, err) < 0
      || preflight (&u, err) < 0 || remove_planned (&u, err) < 0 || create_shared (&u, err) < 0
      || cc_engine_dns_start (st, err) < 0 || run_levels (&u, err) < 0)
    return -1;
  all = containers_of (&u, services);
  if (o->wait && wait_ready (&u, all, err) < 0)
    return -1;
  /* The monitors keep the balancers current; after --wait they are
     current when up returns, not a probe later (issue 16).  */
  if (o->wait && cc_engine_balance (p->name, err) < 0)
    return -1;
  print_timings (&u, cc_engine_now_ms () - t0);
  return 0;
}

/* `run`: the networks and volumes SERVICE uses, without its containers.  */
int
cc_engine_prepare_shared (const struct cc_project *p, const char *service, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;
  cleanup_plan struct cc_plan *plan = NULL;
  char *services[] = { (char *)service, NULL };
  struct cc_up_opts o = { .timeout_ms = -1, .wait_timeout_ms = -1 };
  struct cc_plan_opts po = { .services = services, .no_deps = true, .no_start = true };
  struct up u = { .p = p, .o = &o };

  if (cc_state_open (p->name, true, &st, err) < 0 || cc_plan_make (p, st->json, &po, &plan, err) < 0)
    return -1;
  u.st = st;
  u.plan = plan;
  if (check_externals (&u, err) < 0 || check_volumes (&u, err) < 0)
    return -1;
  return create_shared (&u, err);
}
