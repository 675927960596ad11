/* The typed view of the normalized model (compose/service.h).  The
   normalization checked every value: what is read here is the model's
   own shape, so the readers are tolerant lookups; a value that does not
   read (a model some other program wrote) fails at its position.
   Strings point into the JSON, which outlives the view; what the view
   allocates is recorded in its cc_service_mem and freed with it.  */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "compose/logging.h"
#include "compose/model.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/device.h"
#include "lib/duration.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

struct cc_service_mem
{
  void **ptrs;
  size_t n, cap;
};

static void *
mem_keep (struct cc_service_mem *m, void *p)
{
  if (m->n == m->cap)
    {
      m->cap = m->cap ? 2 * m->cap : 32;
      m->ptrs = xreallocarray (m->ptrs, m->cap, sizeof (*m->ptrs));
    }
  m->ptrs[m->n++] = p;
  return p;
}

static void *
mem_alloc (struct cc_service_mem *m, size_t n, size_t size)
{
  return mem_keep (m, xzalloc ((n ? n : 1) * size));
}

static void
mem_free (struct cc_service_mem *m)
{
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->n; i++)
    free (m->ptrs[i]);
  free (m->ptrs);
  free (m);
}

/* ---- reading ------------------------------------------------------------ */

/* One object being read: where its values come from and where a
   failure points.  The first failure is kept; the others are dropped.  */
struct rd
{
  struct cc_service_mem *mem;
  const cJSON *obj;
  const struct cc_node *node; /* OBJ's node in the document, or NULL */
  cc_error_t *err;
  bool failed;
};

static struct rd
sub (const struct rd *r, const char *key)
{
  struct rd s = *r;

  s.obj = cJSON_GetObjectItemCaseSensitive (r->obj, key);
  s.node = r->node ? cc_node_map_get (r->node, key) : NULL;
  return s;
}

static struct cc_pos
pos_of (const struct cc_node *n)
{
  if (n == NULL)
    return (struct cc_pos){ NULL, 0, 0 };
  return (struct cc_pos){ n->file, n->line, n->col };
}

static void __attribute__ ((format (printf, 3, 4))) fail (struct rd *r, const char *key, const char *fmt, ...)
{
  const struct cc_node *at = key && r->node ? cc_node_map_get (r->node, key) : NULL;
  cleanup_free char *msg = NULL;
  struct cc_pos pos;
  va_list ap;

  if (r->failed)
    return;
  r->failed = true;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  pos = pos_of (at ? at : r->node);
  cc_compose_error_at (r->err, &pos, "%s", msg ? msg : "invalid value");
}

static const cJSON *
get (const struct rd *r, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (r->obj, key);

  return cJSON_IsNull (v) ? NULL : v;
}

static const char *
str (const struct rd *r, const char *key)
{
  return cc_json_get_string (r->obj, key);
}

static bool
boolean (const struct rd *r, const char *key, bool dflt)
{
  const cJSON *v = get (r, key);

  if (cJSON_IsBool (v))
    return cJSON_IsTrue (v);
  /* Values of keys kept as written (`ANY`) are strings.  */
  if (cJSON_IsString (v))
    return strcmp (v->valuestring, "true") == 0 || strcmp (v->valuestring, "True") == 0
           || strcmp (v->valuestring, "TRUE") == 0;
  return dflt;
}

/* -1 unset, else 0 or 1.  */
static int
tristate (const struct rd *r, const char *key)
{
  return get (r, key) ? boolean (r, key, false) : -1;
}

static bool
number_of (const cJSON *v, double *out)
{
  char *end;

  if (cJSON_IsNumber (v))
    {
      *out = v->valuedouble;
      return true;
    }
  if (! cJSON_IsString (v) || *v->valuestring == '\0')
    return false;
  errno = 0;
  *out = strtod (v->valuestring, &end);
  return *end == '\0' && errno == 0;
}

static int64_t
integer (struct rd *r, const char *key, int64_t dflt)
{
  const cJSON *v = get (r, key);
  double d;

  if (v == NULL)
    return dflt;
  if (! number_of (v, &d))
    {
      fail (r, key, "`%s` is not a number", key);
      return dflt;
    }
  return cc_double_clamp_int64 (d);
}

static double
real (struct rd *r, const char *key)
{
  const cJSON *v = get (r, key);
  double d = 0;

  if (v && ! number_of (v, &d))
    fail (r, key, "`%s` is not a number", key);
  return d;
}

/* Byte sizes are decimal strings in the model ("-1" for unlimited).  */
static int64_t
bytes (struct rd *r, const char *key)
{
  const cJSON *v = get (r, key);
  int64_t b = 0;

  if (v == NULL)
    return 0;
  if (cJSON_IsNumber (v))
    return cc_double_clamp_int64 (v->valuedouble);
  if (! cJSON_IsString (v) || (strcmp (v->valuestring, "-1") != 0 && cc_parse_bytes (v->valuestring, &b, NULL) < 0))
    fail (r, key, "`%s` is not a byte size", key);
  return cJSON_IsString (v) && strcmp (v->valuestring, "-1") == 0 ? -1 : b;
}

/* Durations are Go's strings in the model ("1m30s"): milliseconds here,
   -1 when not set.  */
static int64_t
millis (struct rd *r, const char *key)
{
  const cJSON *v = get (r, key);
  int64_t ns;

  if (v == NULL)
    return -1;
  if (! cJSON_IsString (v) || cc_parse_duration (v->valuestring, &ns, NULL) < 0 || ns < 0)
    {
      fail (r, key, "`%s` is not a duration", key);
      return -1;
    }
  return ns / 1000000;
}

/* A list of strings (or one string) as a vector; NULL when not set.  */
static char *const *
strv_of (struct rd *r, const cJSON *v)
{
  size_t n = 0;
  char **out;

  if (v == NULL || cJSON_IsNull (v))
    return NULL;
  if (cJSON_IsString (v))
    {
      out = mem_alloc (r->mem, 2, sizeof (char *));
      out[0] = v->valuestring;
      return out;
    }
  out = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (v) + 1, sizeof (char *));
  for (const cJSON *it = cJSON_IsArray (v) ? v->child : NULL; it; it = it->next)
    if (cJSON_IsString (it))
      out[n++] = it->valuestring;
  return out;
}

static char *const *
strv (struct rd *r, const char *key)
{
  return strv_of (r, get (r, key));
}

static char *const *
strv_always (struct rd *r, const char *key)
{
  char *const *v = strv (r, key);

  return v ? v : mem_alloc (r->mem, 1, sizeof (char *));
}

static struct cc_kv_list
kvs (struct rd *r, const char *key)
{
  const cJSON *o = get (r, key);
  struct cc_kv_list l = { 0, NULL };

  if (! cJSON_IsObject (o))
    return l;
  l.items = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (o), sizeof (*l.items));
  for (const cJSON *it = o->child; it; it = it->next)
    l.items[l.n++] = (struct cc_kv){ it->string, cJSON_IsString (it) ? it->valuestring : NULL };
  return l;
}

const char *
cc_kv_get (const struct cc_kv_list *l, const char *name)
{
  for (size_t i = 0; l && i < l->n; i++)
    if (strcmp (l->items[i].name, name) == 0)
      return l->items[i].value;
  return NULL;
}

struct name_value
{
  const char *name;
  int value;
};

static bool
value_of (const struct name_value *table, size_t n, const char *name, int *out)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      {
        *out = table[i].value;
        return true;
      }
  return false;
}

/* The value of KEY in TABLE; DFLT when KEY is not set.  */
static int
enum_of (struct rd *r, const char *key, const struct name_value *table, size_t n, int dflt)
{
  const char *v = str (r, key);
  int out = dflt;

  if (v && ! value_of (table, n, v, &out))
    fail (r, key, "invalid %s `%s`", key, v);
  return out;
}

static const char *
name_of (const struct name_value *table, size_t n, int value)
{
  for (size_t i = 0; i < n; i++)
    if (table[i].value == value)
      return table[i].name;
  return NULL;
}

/* ---- value tables ------------------------------------------------------------ */

static const struct name_value restarts[] = {
  { "no", CC_RESTART_MODE_NO },
  { "always", CC_RESTART_MODE_ALWAYS },
  { "on-failure", CC_RESTART_MODE_ON_FAILURE },
  { "unless-stopped", CC_RESTART_MODE_UNLESS_STOPPED },
};

static const struct name_value conditions[] = {
  { "service_started", CC_DEPENDS_STARTED },
  { "service_healthy", CC_DEPENDS_HEALTHY },
  { "service_completed_successfully", CC_DEPENDS_COMPLETED },
};

static const struct name_value pull_policies[] = {
  { "always", CC_PULL_ALWAYS },   { "never", CC_PULL_NEVER },
  { "missing", CC_PULL_MISSING }, { "if_not_present", CC_PULL_IF_NOT_PRESENT },
  { "build", CC_PULL_BUILD },     { "daily", CC_PULL_DAILY },
  { "weekly", CC_PULL_WEEKLY },   { "refresh", CC_PULL_REFRESH },
};

static const struct name_value deploy_modes[] = {
  { "replicated", CC_DEPLOY_REPLICATED },
  { "global", CC_DEPLOY_GLOBAL },
  { "replicated-job", CC_DEPLOY_REPLICATED_JOB },
  { "global-job", CC_DEPLOY_GLOBAL_JOB },
};

static const struct name_value restart_conditions[] = {
  { "any", CC_CONDITION_ANY },
  { "none", CC_CONDITION_NONE },
  { "on-failure", CC_CONDITION_ON_FAILURE },
};

static const struct name_value mount_types[] = {
  { "bind", CC_MOUNT_TYPE_BIND },   { "volume", CC_MOUNT_TYPE_VOLUME }, { "tmpfs", CC_MOUNT_TYPE_TMPFS },
  { "image", CC_MOUNT_TYPE_IMAGE }, { "npipe", CC_MOUNT_TYPE_NPIPE },   { "cluster", CC_MOUNT_TYPE_CLUSTER },
};

static const struct name_value network_modes[] = {
  { "bridge", CC_NETWORK_MODE_BRIDGE },
  { "host", CC_NETWORK_MODE_HOST },
  { "none", CC_NETWORK_MODE_NONE },
};

const char *
cc_restart_name (enum cc_restart_mode r)
{
  return name_of (restarts, CC_N_ELEMENTS (restarts), (int)r);
}

const char *
cc_depends_condition_name (enum cc_depends_condition c)
{
  return name_of (conditions, CC_N_ELEMENTS (conditions), (int)c);
}

const char *
cc_mount_type_name (enum cc_mount_type t)
{
  return name_of (mount_types, CC_N_ELEMENTS (mount_types), (int)t);
}

/* ---- process and lifecycle ------------------------------------------------------ */

/* compose-go's GetPullPolicy: daily, weekly and every_<d> pull again
   once the last pull is that old; `refresh` alone is `missing` there.
   pull_refresh_after (the spec's "used with pull_policy=refresh") gives
   `refresh`, or no policy, its period; beside another policy it would
   mean nothing, so it is an error rather than a silent no-op.  */
static void
read_pull_policy (struct rd *r, struct cc_service *s)
{
  const char *v = str (r, "pull_policy");
  const char *after = str (r, "pull_refresh_after");
  int64_t ns;

  s->pull_every_ms = -1;
  s->pull = v;
  if (v && strncmp (v, "every_", 6) == 0)
    s->pull_policy = CC_PULL_EVERY;
  else
    s->pull_policy = (enum cc_pull_policy)enum_of (r, "pull_policy", pull_policies, CC_N_ELEMENTS (pull_policies),
                                                   CC_PULL_DEFAULT);
  if (after && s->pull_policy != CC_PULL_DEFAULT && s->pull_policy != CC_PULL_REFRESH)
    {
      fail (r, "pull_refresh_after", "pull_refresh_after applies with pull_policy `refresh` only, not `%s`", v);
      return;
    }
  if (after)
    {
      s->pull_policy = CC_PULL_REFRESH;
      s->pull = mem_keep (r->mem, xasprintf ("every_%s", after));
    }
  if (s->pull && cc_pull_policy_period (s->pull, &ns) == 1)
    s->pull_every_ms = ns / 1000000;
}

const char *
cc_pull_policy_name (enum cc_pull_policy p)
{
  return name_of (pull_policies, CC_N_ELEMENTS (pull_policies), (int)p);
}

/* "no", "always", "unless-stopped", "on-failure[:N]".  */
static void
read_restart (struct rd *r, struct cc_restart_rule *out)
{
  const char *v = str (r, "restart");
  cleanup_free char *kind = NULL;
  const char *colon;
  int k = CC_RESTART_MODE_NO;

  memset (out, 0, sizeof (*out));
  if (v == NULL)
    return;
  out->set = true;
  colon = strchr (v, ':');
  kind = colon ? xstrndup (v, (size_t)(colon - v)) : xstrdup (v);
  if (! value_of (restarts, CC_N_ELEMENTS (restarts), kind, &k)
      || (colon
          && (k != CC_RESTART_MODE_ON_FAILURE || cc_parse_int (colon + 1, 0, 1 << 30, &out->max_retries, NULL) < 0)))
    fail (r, "restart", "invalid restart policy `%s`", v);
  out->mode = (enum cc_restart_mode)k;
}

static void
read_healthcheck (struct rd *r, struct cc_service *s)
{
  struct rd h = sub (r, "healthcheck");
  struct cc_healthcheck *hc = &s->healthcheck;

  s->has_healthcheck = cJSON_IsObject (h.obj);
  hc->disable = boolean (&h, "disable", false);
  hc->test = strv (&h, "test");
  hc->interval_ms = millis (&h, "interval");
  hc->timeout_ms = millis (&h, "timeout");
  hc->start_period_ms = millis (&h, "start_period");
  hc->start_interval_ms = millis (&h, "start_interval");
  hc->retries = integer (&h, "retries", -1);
  r->failed |= h.failed;
}

static void
read_depends_on (struct rd *r, struct cc_service *s)
{
  struct rd deps = sub (r, "depends_on");
  size_t n = 0;

  s->depends_on = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (deps.obj), sizeof (*s->depends_on));
  for (const cJSON *d = cJSON_IsObject (deps.obj) ? deps.obj->child : NULL; d; d = d->next)
    {
      struct rd one = sub (&deps, d->string);
      struct cc_dependency *dep = &s->depends_on[n++];

      dep->service = d->string;
      dep->condition = (enum cc_depends_condition)enum_of (&one, "condition", conditions, CC_N_ELEMENTS (conditions),
                                                           CC_DEPENDS_STARTED);
      dep->restart = boolean (&one, "restart", false);
      dep->required = boolean (&one, "required", true);
      r->failed |= one.failed;
    }
  s->n_depends_on = n;
}

static void
read_hooks (struct rd *r, const char *key, struct cc_hook **out, size_t *n_out)
{
  const cJSON *list = get (r, key);
  size_t n = 0;

  *out = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (list), sizeof (**out));
  for (const cJSON *h = cJSON_IsArray (list) ? list->child : NULL; h; h = h->next)
    {
      struct rd one = { .mem = r->mem, .obj = h, .err = r->err, .failed = r->failed };
      (*out)[n++] = (struct cc_hook){
        .command = strv (&one, "command"),
        .user = str (&one, "user"),
        .working_dir = str (&one, "working_dir"),
        .privileged = boolean (&one, "privileged", false),
        .environment = kvs (&one, "environment"),
      };
    }
  *n_out = n;
}

static const struct name_value watch_actions[] = {
  { "sync", CC_WATCH_SYNC },           { "rebuild", CC_WATCH_REBUILD },
  { "restart", CC_WATCH_RESTART },     { "sync+restart", CC_WATCH_SYNC_RESTART },
  { "sync+exec", CC_WATCH_SYNC_EXEC },
};

static bool
is_sync (enum cc_watch_action a)
{
  return a == CC_WATCH_SYNC || a == CC_WATCH_SYNC_RESTART || a == CC_WATCH_SYNC_EXEC;
}

/* develop.watch: the rules `watch` follows; a sync needs an absolute
   target in the container, sync+exec a command, as Compose requires.  */
static void
read_develop (struct rd *r, struct cc_service *s)
{
  struct rd dev = sub (r, "develop");
  struct rd list = sub (&dev, "watch");
  size_t n = 0;

  s->watch = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (list.obj), sizeof (*s->watch));
  for (const cJSON *w = cJSON_IsArray (list.obj) ? list.obj->child : NULL; w; w = w->next, n++)
    {
      const struct cc_node *at
          = list.node && list.node->kind == CC_NODE_SEQ && n < list.node->len ? list.node->items[n] : NULL;
      struct rd one = { .mem = r->mem, .obj = w, .node = at, .err = r->err, .failed = r->failed };
      struct rd ex = sub (&one, "exec");
      struct cc_watch_rule *rule = &s->watch[n];

      rule->path = str (&one, "path");
      rule->target = str (&one, "target");
      rule->action = (enum cc_watch_action)enum_of (&one, "action", watch_actions, CC_N_ELEMENTS (watch_actions), -1);
      rule->ignore = strv (&one, "ignore");
      rule->include = strv (&one, "include");
      rule->initial_sync = boolean (&one, "initial_sync", false);
      rule->exec = (struct cc_hook){
        .command = strv (&ex, "command"),
        .user = str (&ex, "user"),
        .working_dir = str (&ex, "working_dir"),
        .privileged = boolean (&ex, "privileged", false),
        .environment = kvs (&ex, "environment"),
      };
      if (rule->path == NULL)
        fail (&one, NULL, "a watch rule needs a `path`");
      else if ((int)rule->action < 0)
        fail (&one, "action", "a watch rule needs an `action` (sync, rebuild, restart, sync+restart, sync+exec)");
      else if (is_sync (rule->action) && (rule->target == NULL || rule->target[0] != '/'))
        fail (&one, rule->target ? "target" : NULL, "a `%s` watch rule needs an absolute `target` in the container",
              name_of (watch_actions, CC_N_ELEMENTS (watch_actions), (int)rule->action));
      else if (rule->action == CC_WATCH_SYNC_EXEC && rule->exec.command == NULL)
        fail (&one, "exec", "a `sync+exec` watch rule needs `exec.command`");
      r->failed |= one.failed;
    }
  s->n_watch = n;
}

static void
read_process (struct rd *r, struct cc_service *s)
{
  s->image = str (r, "image");
  read_pull_policy (r, s);
  s->platform = str (r, "platform");
  s->platform_pos = pos_of (r->node ? cc_node_map_get (r->node, "platform") : NULL);
  s->command = strv (r, "command");
  s->entrypoint = strv (r, "entrypoint");
  s->environment = kvs (r, "environment");
  s->working_dir = str (r, "working_dir");
  s->user = str (r, "user");
  s->group_add = strv (r, "group_add");
  s->init = boolean (r, "init", false);
  s->tty = boolean (r, "tty", false);
  s->stdin_open = boolean (r, "stdin_open", false);
  s->privileged = boolean (r, "privileged", false);
  s->read_only = boolean (r, "read_only", false);
  s->attach = tristate (r, "attach");
  read_hooks (r, "post_start", &s->post_start, &s->n_post_start);
  read_hooks (r, "pre_stop", &s->pre_stop, &s->n_pre_stop);
  read_develop (r, s);
  s->stop_signal = str (r, "stop_signal");
  s->stop_grace_period_ms = millis (r, "stop_grace_period");
  read_healthcheck (r, s);
  read_restart (r, &s->restart);
  read_depends_on (r, s);
  s->profiles = strv (r, "profiles");
  s->scale = integer (r, "scale", -1);
  s->container_name = str (r, "container_name");
  s->hostname = str (r, "hostname");
  s->domainname = str (r, "domainname");
  s->labels = kvs (r, "labels");
  s->annotations = kvs (r, "annotations");
}

/* ---- deploy ------------------------------------------------------------------------ */

static void
read_resource (struct rd *r, const char *key, struct cc_resource_spec *out)
{
  struct rd x = sub (r, key);

  out->cpus = real (&x, "cpus");
  out->memory = bytes (&x, "memory");
  out->pids = integer (&x, "pids", 0);
  r->failed |= x.failed;
}

static void
read_update_config (struct rd *r, const char *key, struct cc_update_config *out)
{
  struct rd u = sub (r, key);

  out->set = cJSON_IsObject (u.obj);
  out->parallelism = integer (&u, "parallelism", -1);
  out->delay_ms = millis (&u, "delay");
  out->failure_action = str (&u, "failure_action");
  out->monitor_ms = millis (&u, "monitor");
  out->max_failure_ratio = real (&u, "max_failure_ratio");
  out->order = str (&u, "order");
  r->failed |= u.failed;
}

/* placement.preferences: [{spread: VALUE}...]  */
static char *const *
spread_values (struct rd *r, const cJSON *prefs)
{
  char **out = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (prefs) + 1, sizeof (char *));
  size_t n = 0;

  for (const cJSON *p = cJSON_IsArray (prefs) ? prefs->child : NULL; p; p = p->next)
    if (cc_json_get_string (p, "spread"))
      out[n++] = (char *)cc_json_get_string (p, "spread");
  return out;
}

static void
read_deploy (struct rd *r, struct cc_deploy *d)
{
  struct rd x = sub (r, "deploy"), res = sub (&x, "resources"), rp = sub (&x, "restart_policy");
  struct rd pl = sub (&x, "placement");

  d->set = cJSON_IsObject (x.obj);
  d->mode = (enum cc_deploy_mode)enum_of (&x, "mode", deploy_modes, CC_N_ELEMENTS (deploy_modes), CC_DEPLOY_REPLICATED);
  d->replicas = integer (&x, "replicas", -1);
  d->labels = kvs (&x, "labels");
  read_resource (&res, "limits", &d->limits);
  read_resource (&res, "reservations", &d->reservations);
  d->restart_policy.set = cJSON_IsObject (rp.obj);
  d->restart_policy.condition = (enum cc_restart_condition)enum_of (
      &rp, "condition", restart_conditions, CC_N_ELEMENTS (restart_conditions), CC_CONDITION_ANY);
  d->restart_policy.delay_ms = millis (&rp, "delay");
  d->restart_policy.window_ms = millis (&rp, "window");
  d->restart_policy.max_attempts = integer (&rp, "max_attempts", -1);
  read_update_config (&x, "update_config", &d->update_config);
  read_update_config (&x, "rollback_config", &d->rollback_config);
  d->placement.constraints = strv (&pl, "constraints");
  d->placement.preferences = spread_values (&pl, get (&pl, "preferences"));
  d->placement.max_replicas_per_node = integer (&pl, "max_replicas_per_node", -1);
  d->endpoint_mode = str (&x, "endpoint_mode");
  r->failed |= x.failed || res.failed || rp.failed || pl.failed;
}

/* ---- network ------------------------------------------------------------------------- */

static void
read_network_mode (struct rd *r, struct cc_service *s)
{
  static const struct
  {
    const char *prefix;
    enum cc_network_mode mode;
  } targets[] = { { "service:", CC_NETWORK_MODE_SERVICE }, { "container:", CC_NETWORK_MODE_CONTAINER } };
  const char *v = str (r, "network_mode");

  s->network_mode = CC_NETWORK_MODE_DEFAULT;
  if (v == NULL)
    return;
  for (size_t i = 0; i < CC_N_ELEMENTS (targets); i++)
    if (strncmp (v, targets[i].prefix, strlen (targets[i].prefix)) == 0 && v[strlen (targets[i].prefix)])
      {
        s->network_mode = targets[i].mode;
        s->network_mode_target = v + strlen (targets[i].prefix);
        return;
      }
  s->network_mode = (enum cc_network_mode)enum_of (r, "network_mode", network_modes, CC_N_ELEMENTS (network_modes),
                                                   CC_NETWORK_MODE_DEFAULT);
}

/* The order networks are connected in, eth0 first: higher `priority`
   first, then by key (compose-spec; the keys come sorted).  */
static int
by_priority (const void *a, const void *b)
{
  const struct cc_service_network *x = a, *y = b;

  if (x->priority != y->priority)
    return x->priority > y->priority ? -1 : 1;
  return strcmp (x->key, y->key);
}

static void
read_networks (struct rd *r, struct cc_service *s)
{
  struct rd nets = sub (r, "networks");
  size_t n = 0;

  s->networks = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (nets.obj), sizeof (*s->networks));
  for (const cJSON *it = cJSON_IsObject (nets.obj) ? nets.obj->child : NULL; it; it = it->next)
    {
      struct rd one = sub (&nets, it->string);
      struct cc_service_network *sn = &s->networks[n++];

      sn->key = it->string;
      sn->aliases = strv_always (&one, "aliases");
      sn->ipv4_address = str (&one, "ipv4_address");
      sn->ipv6_address = str (&one, "ipv6_address");
      sn->mac_address = str (&one, "mac_address");
      sn->interface_name = str (&one, "interface_name");
      sn->link_local_ips = strv (&one, "link_local_ips");
      sn->priority = integer (&one, "priority", 0);
      sn->gw_priority = integer (&one, "gw_priority", 0);
      sn->driver_opts = kvs (&one, "driver_opts");
      r->failed |= one.failed;
    }
  s->n_networks = n;
  qsort (s->networks, n, sizeof (*s->networks), by_priority);
  /* Docker Compose gives the service-level MAC to the primary network
     (validate-network.c refuses one that differs from the network's).  */
  if (n && s->networks[0].mac_address == NULL)
    s->networks[0].mac_address = str (r, "mac_address");
}

/* The node of entry I of the long form of KEY: the list item it came
   from (ports: one item may make several entries).  */
static const struct cc_node *
entry_node (const struct rd *r, const char *key, size_t i, bool expands)
{
  const struct cc_node *list = r->node ? cc_node_map_get (r->node, key) : NULL;
  size_t first = 0;

  for (size_t k = 0; list && list->kind == CC_NODE_SEQ && k < list->len; k++)
    {
      size_t n = expands ? cc_ports_entries_of (list->items[k]) : 1;
      if (i < first + n)
        return list->items[k];
      first += n;
    }
  return list;
}

static void
read_ports (struct rd *r, struct cc_service *s)
{
  const cJSON *ports = get (r, "ports");
  size_t n = 0;

  s->ports = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (ports), sizeof (*s->ports));
  for (const cJSON *p = cJSON_IsArray (ports) ? ports->child : NULL; p; p = p->next, n++)
    {
      const struct cc_node *at = entry_node (r, "ports", n, true);
      cleanup_error cc_error_t e = NULL;

      s->ports[n].pos = pos_of (at);
      if (cc_port_from_json (p, &s->ports[n], &e) < 0)
        fail (r, "ports", "%s", e->msg);
      s->ports[n].pos = pos_of (at);
    }
  s->n_ports = n;
}

static void
read_expose (struct rd *r, struct cc_service *s)
{
  const cJSON *expose = get (r, "expose");
  size_t n = 0;

  s->expose = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (expose), sizeof (*s->expose));
  for (const cJSON *e = cJSON_IsArray (expose) ? expose->child : NULL; e; e = e->next)
    {
      cleanup_error cc_error_t bad = NULL;
      if (! cJSON_IsString (e) || cc_port_parse (e->valuestring, &s->expose[n], &bad) < 0)
        fail (r, "expose", "%s", bad ? bad->msg : "`expose` entries must be strings");
      s->expose[n].pos = pos_of (entry_node (r, "expose", n, false));
      n++;
    }
  s->n_expose = n;
}

/* "name=ip" in the model.  */
static void
read_extra_hosts (struct rd *r, const cJSON *list, struct cc_extra_host **out, size_t *n_out)
{
  size_t n = 0;

  *out = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (list), sizeof (**out));
  for (const cJSON *h = cJSON_IsArray (list) ? list->child : NULL; h; h = h->next)
    {
      const char *eq;

      if (! cJSON_IsString (h))
        continue;
      /* "=" first: "host=::1" keeps the colons of an IPv6 address.  */
      eq = strchr (h->valuestring, '=');
      if (eq == NULL)
        eq = strchr (h->valuestring, ':');
      if (eq == NULL)
        {
          fail (r, "extra_hosts", "extra_hosts entry `%s` needs HOST=IP", h->valuestring);
          continue;
        }
      (*out)[n].host = mem_keep (r->mem, xstrndup (h->valuestring, (size_t)(eq - h->valuestring)));
      (*out)[n++].ip = eq + 1;
    }
  *n_out = n;
}

static void
read_network (struct rd *r, struct cc_service *s)
{
  read_network_mode (r, s);
  read_networks (r, s);
  read_ports (r, s);
  read_expose (r, s);
  s->dns = strv (r, "dns");
  s->dns_search = strv (r, "dns_search");
  s->dns_opt = strv (r, "dns_opt");
  read_extra_hosts (r, get (r, "extra_hosts"), &s->extra_hosts, &s->n_extra_hosts);
  s->links = strv (r, "links");
  s->external_links = strv (r, "external_links");
  s->mac_address = str (r, "mac_address");
}

/* ---- storage ---------------------------------------------------------------------------- */

static void
read_mount (struct rd *m, struct cc_mount *out)
{
  struct rd bind = sub (m, "bind"), vol = sub (m, "volume"), tmpfs = sub (m, "tmpfs"), image = sub (m, "image");

  out->type = (enum cc_mount_type)enum_of (m, "type", mount_types, CC_N_ELEMENTS (mount_types), CC_MOUNT_TYPE_VOLUME);
  out->source = str (m, "source");
  out->target = str (m, "target");
  out->read_only = boolean (m, "read_only", false);
  out->consistency = str (m, "consistency");
  out->bind.propagation = str (&bind, "propagation");
  out->bind.selinux = str (&bind, "selinux");
  out->bind.recursive = str (&bind, "recursive");
  out->bind.create_host_path = boolean (&bind, "create_host_path", false);
  out->volume.nocopy = boolean (&vol, "nocopy", false);
  out->volume.subpath = str (&vol, "subpath");
  out->volume.labels = kvs (&vol, "labels");
  out->tmpfs.size = bytes (&tmpfs, "size");
  out->tmpfs.mode = integer (&tmpfs, "mode", -1);
  if (out->tmpfs.mode > 07777 || out->tmpfs.mode < -1)
    fail (&tmpfs, "mode", "tmpfs mode %#llo is not a permission mode (0 to 07777)", (long long)out->tmpfs.mode);
  out->image.subpath = str (&image, "subpath");
  if (out->target == NULL)
    fail (m, NULL, "volume without a target");
  m->failed |= bind.failed || vol.failed || tmpfs.failed || image.failed;
}

static void
read_mounts (struct rd *r, struct cc_service *s)
{
  const cJSON *vols = get (r, "volumes");
  size_t n = 0;

  s->mounts = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (vols), sizeof (*s->mounts));
  for (const cJSON *v = cJSON_IsArray (vols) ? vols->child : NULL; v; v = v->next, n++)
    {
      struct rd one = { .mem = r->mem, .obj = v, .node = entry_node (r, "volumes", n, false), .err = r->err };

      if (one.node && one.node->kind != CC_NODE_MAP)
        {
          /* The short syntax: positions point at the string.  */
          s->mounts[n].pos = pos_of (one.node);
          one.node = NULL;
        }
      else
        s->mounts[n].pos = pos_of (one.node);
      one.failed = r->failed;
      read_mount (&one, &s->mounts[n]);
      r->failed |= one.failed;
    }
  s->n_mounts = n;
}

/* "/run:size=64k,mode=1777"  */
static void
read_tmpfs (struct rd *r, struct cc_service *s)
{
  char *const *list = strv (r, "tmpfs");
  size_t n = 0;

  s->tmpfs = mem_alloc (r->mem, cc_strv_len (list), sizeof (*s->tmpfs));
  for (char *const *t = list; t && *t; t++, n++)
    {
      const char *colon = strchr (*t, ':');
      char **opts = colon ? cc_strv_split (colon + 1, ',', true) : xzalloc (sizeof (char *));

      s->tmpfs[n].target = colon ? mem_keep (r->mem, xstrndup (*t, (size_t)(colon - *t))) : *t;
      for (char **o = opts; *o; o++)
        mem_keep (r->mem, *o);
      s->tmpfs[n].options = mem_keep (r->mem, opts);
    }
  s->n_tmpfs = n;
}

/* A file mode as written: 0440 (octal) or 288.  */
static int64_t
file_mode (struct rd *r, const char *key)
{
  const char *v = str (r, key);
  char *end;
  long m;

  if (v == NULL)
    return integer (r, key, -1);
  errno = 0;
  m = strncmp (v, "0o", 2) == 0 ? strtol (v + 2, &end, 8) : strtol (v, &end, 0);
  if (*v == '\0' || *end || errno || m < 0 || m > 07777)
    {
      fail (r, key, "invalid file mode `%s`", v);
      return -1;
    }
  return m;
}

static void
read_file_refs (struct rd *r, const char *key, struct cc_file_ref **out, size_t *n_out)
{
  const cJSON *list = get (r, key);
  size_t n = 0;

  *out = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (list), sizeof (**out));
  for (const cJSON *f = cJSON_IsArray (list) ? list->child : NULL; f; f = f->next)
    {
      struct rd one = { .mem = r->mem, .obj = f, .err = r->err, .failed = r->failed };
      struct cc_file_ref *ref = &(*out)[n++];

      if (cJSON_IsString (f))
        {
          ref->source = f->valuestring;
          ref->mode = -1;
          continue;
        }
      ref->source = str (&one, "source");
      ref->target = str (&one, "target");
      ref->uid = str (&one, "uid");
      ref->gid = str (&one, "gid");
      ref->mode = file_mode (&one, "mode");
      r->failed |= one.failed;
    }
  *n_out = n;
}

static void
read_device_rules (struct rd *r, struct cc_service *s)
{
  s->device_cgroup_rules = strv (r, "device_cgroup_rules");
  for (char *const *rule = s->device_cgroup_rules; rule && *rule; rule++)
    if (! cc_device_rule_ok (*rule))
      fail (r, "device_cgroup_rules", "device_cgroup_rules: `%s` is not `TYPE MAJOR:MINOR PERMS` (`c 1:3 rwm`)", *rule);
}

/* What the runtime takes (runtime/dev.c): absolute paths, the
   container's below /dev, permissions of rwm.  */
static void
check_device (struct rd *r, const struct cc_device *dev)
{
  const char *t = dev->target;

  if (dev->source == NULL || dev->source[0] != '/' || strchr (dev->source, ':'))
    fail (r, "devices", "devices: `%s` is not an absolute host path", dev->source ? dev->source : "");
  else if (! cc_device_target_ok (t) || strchr (t, ':'))
    fail (r, "devices", "devices: the container path `%s` must be below /dev", t ? t : "");
  else if (! cc_device_mode_ok (dev->permissions))
    fail (r, "devices", "devices: permissions `%s` of `%s` must be of `rwm`", dev->permissions, dev->source);
}

/* devices: "SRC[:DST][:PERMS]" (docker's parseDevice: a second field
   that is a mode is the permissions) or {source, target, permissions}.  */
static void
read_devices (struct rd *r, struct cc_service *s)
{
  const cJSON *list = get (r, "devices");
  size_t n = 0;

  s->devices = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (list), sizeof (*s->devices));
  for (const cJSON *d = cJSON_IsArray (list) ? list->child : NULL; d; d = d->next, n++)
    {
      struct cc_device *dev = &s->devices[n];
      char **parts;
      size_t np;

      if (! cJSON_IsString (d))
        {
          for (const cJSON *k = cJSON_IsObject (d) ? d->child : NULL; k; k = k->next)
            if (strcmp (k->string, "source") != 0 && strcmp (k->string, "target") != 0
                && strcmp (k->string, "permissions") != 0)
              fail (r, "devices", "devices: unknown key `%s`", k->string);
          dev->source = cc_json_get_string (d, "source");
          dev->target = cc_json_get_string (d, "target");
          dev->permissions = cc_json_get_string (d, "permissions");
        }
      else
        {
          parts = mem_keep (r->mem, cc_strv_split (d->valuestring, ':', false));
          for (char **p = parts; *p; p++)
            mem_keep (r->mem, *p);
          np = cc_strv_len (parts);
          dev->source = parts[0];
          dev->target = np == 2 && cc_device_mode_ok (parts[1]) ? NULL : np >= 2 ? parts[1] : NULL;
          dev->permissions = np == 3 ? parts[2] : np == 2 && dev->target == NULL ? parts[1] : NULL;
          if (np > 3)
            dev->source = NULL;
        }
      dev->target = dev->target ? dev->target : dev->source;
      dev->permissions = dev->permissions ? dev->permissions : "rwm";
      check_device (r, dev);
    }
  s->n_devices = n;
}

static void
read_storage (struct rd *r, struct cc_service *s)
{
  read_mounts (r, s);
  read_tmpfs (r, s);
  s->volumes_from = strv (r, "volumes_from");
  read_file_refs (r, "secrets", &s->secrets, &s->n_secrets);
  read_file_refs (r, "configs", &s->configs, &s->n_configs);
  read_devices (r, s);
  read_device_rules (r, s);
}

/* ---- limits and security ------------------------------------------------------------------- */

/* ulimits: NAME: N or NAME: {soft, hard}.  */
static void
read_ulimits (struct rd *r, const cJSON *o, struct cc_ulimit **out, size_t *n_out)
{
  size_t n = 0;

  *out = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (o), sizeof (**out));
  for (const cJSON *u = cJSON_IsObject (o) ? o->child : NULL; u; u = u->next)
    {
      struct rd one = { .mem = r->mem, .obj = u, .err = r->err, .failed = r->failed };
      struct cc_ulimit *ul = &(*out)[n++];
      double d = 0;

      ul->name = u->string;
      if (number_of (u, &d))
        ul->soft = ul->hard = cc_double_clamp_int64 (d);
      else
        {
          ul->soft = integer (&one, "soft", 0);
          ul->hard = integer (&one, "hard", 0);
        }
      r->failed |= one.failed;
    }
  *n_out = n;
}

/* Docker's ranges (daemon/daemon_unix.go's verifyPlatformContainerResources),
   at the key, before anything exists.  */
static const struct
{
  const char *key;
  size_t field;
  int64_t min, max;
} int_ranges[] = {
  { "cpu_period", offsetof (struct cc_service, cpu_period), 1000, 1000000 },
  { "cpu_quota", offsetof (struct cc_service, cpu_quota), 1000, INT64_MAX },
  { "cpu_rt_period", offsetof (struct cc_service, cpu_rt_period), 1000, 1000000 },
  { "cpu_rt_runtime", offsetof (struct cc_service, cpu_rt_runtime), 0, 1000000 },
  { "mem_swappiness", offsetof (struct cc_service, mem_swappiness), 0, 100 },
  { "oom_score_adj", offsetof (struct cc_service, oom_score_adj), -1000, 1000 },
};

/* Docker's --cgroup-parent is below each hierarchy's root whether it
   starts with `/` or not; `..` and `.` would climb out of it or name the
   root, and a control character would break /proc/PID/cgroup's lines.  */
static bool
is_cgroup_path (const char *p)
{
  const char *seg = p;

  for (const unsigned char *c = (const unsigned char *)p; *c; c++)
    if (*c < 0x20 || *c == 0x7f)
      return false;
  if (*p == '\0')
    return true;
  if (strspn (p, "/") == strlen (p))
    return false;
  while (seg)
    {
      const char *end = strchr (seg, '/');
      size_t n = end ? (size_t)(end - seg) : strlen (seg);
      if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
        return false;
      seg = end ? end + 1 : NULL;
    }
  return true;
}

static void
check_limits (struct rd *r, struct cc_service *s)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (int_ranges); i++)
    {
      int64_t v = *(int64_t *)((char *)s + int_ranges[i].field);
      if (get (r, int_ranges[i].key) && (v < int_ranges[i].min || v > int_ranges[i].max))
        fail (r, int_ranges[i].key, "`%s` must be between %lld and %lld", int_ranges[i].key,
              (long long)int_ranges[i].min, (long long)int_ranges[i].max);
    }
  if (s->cpus > 0 && (s->cpu_quota || s->cpu_period))
    fail (r, s->cpu_quota ? "cpu_quota" : "cpu_period", "`cpus` and `cpu_quota`/`cpu_period` cannot both be set");
  if (s->cpu_rt_runtime && s->cpu_rt_period && s->cpu_rt_runtime > s->cpu_rt_period)
    fail (r, "cpu_rt_runtime", "`cpu_rt_runtime` must not exceed `cpu_rt_period`");
  if (s->cpuset && (*s->cpuset == '\0' || strspn (s->cpuset, "0123456789,-") != strlen (s->cpuset)))
    fail (r, "cpuset", "`cpuset` must list CPUs as `0-2,4`, not `%s`", s->cpuset);
  if (s->cgroup && strcmp (s->cgroup, "host") != 0 && strcmp (s->cgroup, "private") != 0)
    fail (r, "cgroup", "`cgroup` must be `host` or `private`, not `%s`", s->cgroup);
  s->cgroup_host = s->cgroup && strcmp (s->cgroup, "host") == 0;
  if (s->cgroup_parent && ! is_cgroup_path (s->cgroup_parent))
    fail (r, "cgroup_parent", "`cgroup_parent` must be a cgroup path below the hierarchy's root, not `%s`",
          s->cgroup_parent);
}

/* blkio_config: weights 10..1000 as Docker's; device paths absolute
   (the runtime resolves them to major:minor).  */
static void
read_blkio_list (struct rd *b, const char *key, const char *value_key, struct cc_blkio *out, enum cc_blkio_list which)
{
  const cJSON *list = get (b, key);
  size_t n = 0;

  out->lists[which] = mem_alloc (b->mem, (size_t)cJSON_GetArraySize (list), sizeof (**out->lists));
  for (const cJSON *d = cJSON_IsArray (list) ? list->child : NULL; d; d = d->next, n++)
    {
      struct rd one = { .mem = b->mem, .obj = d, .err = b->err, .failed = b->failed };
      struct cc_blkio_device *dev = &out->lists[which][n];
      dev->path = str (&one, "path");
      dev->value = which == CC_BLKIO_WEIGHT_DEVICE ? integer (&one, value_key, 0) : bytes (&one, value_key);
      if (dev->path == NULL || dev->path[0] != '/')
        fail (b, key, "blkio_config.%s: each entry needs an absolute `path`", key);
      if (which == CC_BLKIO_WEIGHT_DEVICE && (dev->value < 10 || dev->value > 1000))
        fail (b, key, "blkio_config.%s: a weight must be between 10 and 1000", key);
      if (dev->value < 0)
        fail (b, key, "blkio_config.%s: a rate cannot be negative", key);
      b->failed |= one.failed;
    }
  out->n[which] = n;
}

static void
read_blkio (struct rd *r, struct cc_service *s)
{
  static const struct
  {
    const char *key, *value_key;
  } lists[CC_BLKIO_N_LISTS] = {
    [CC_BLKIO_WEIGHT_DEVICE] = { "weight_device", "weight" }, [CC_BLKIO_READ_BPS] = { "device_read_bps", "rate" },
    [CC_BLKIO_WRITE_BPS] = { "device_write_bps", "rate" },    [CC_BLKIO_READ_IOPS] = { "device_read_iops", "rate" },
    [CC_BLKIO_WRITE_IOPS] = { "device_write_iops", "rate" },
  };
  struct rd b = sub (r, "blkio_config");

  s->blkio.weight = integer (&b, "weight", 0);
  if (get (&b, "weight") && (s->blkio.weight < 10 || s->blkio.weight > 1000))
    fail (&b, "weight", "blkio_config.weight must be between 10 and 1000");
  for (int i = 0; i < CC_BLKIO_N_LISTS; i++)
    read_blkio_list (&b, lists[i].key, lists[i].value_key, &s->blkio, (enum cc_blkio_list)i);
  r->failed |= b.failed;
}

static void
read_limits (struct rd *r, struct cc_service *s)
{
  s->mem_limit = bytes (r, "mem_limit");
  s->mem_reservation = bytes (r, "mem_reservation");
  s->memswap_limit = bytes (r, "memswap_limit");
  s->mem_swappiness = integer (r, "mem_swappiness", -1);
  s->shm_size = bytes (r, "shm_size");
  s->cpus = real (r, "cpus");
  s->cpu_shares = integer (r, "cpu_shares", 0);
  s->cpu_period = integer (r, "cpu_period", 0);
  s->cpu_quota = integer (r, "cpu_quota", 0);
  s->cpu_rt_runtime = integer (r, "cpu_rt_runtime", 0);
  s->cpu_rt_period = integer (r, "cpu_rt_period", 0);
  s->cpu_count = integer (r, "cpu_count", 0);
  s->cpu_percent = real (r, "cpu_percent");
  s->cpuset = str (r, "cpuset");
  s->cgroup = str (r, "cgroup");
  s->cgroup_parent = str (r, "cgroup_parent");
  s->pids_limit = integer (r, "pids_limit", 0);
  s->oom_kill_disable = tristate (r, "oom_kill_disable");
  s->oom_score_adj = integer (r, "oom_score_adj", 0);
  read_ulimits (r, get (r, "ulimits"), &s->ulimits, &s->n_ulimits);
  s->sysctls = kvs (r, "sysctls");
  s->storage_opt = kvs (r, "storage_opt");
  check_limits (r, s);
  read_blkio (r, s);
}

/* What the runtime applies of security_opt ("no-new-privileges",
   "seccomp=unconfined"...; `:` and `=` both separate, as in Docker).  */
static void
read_security_opt (struct rd *r, struct cc_security_opts *o)
{
  static const struct
  {
    const char *opt;
    size_t field;
  } flags[] = {
    { "seccomp=unconfined", offsetof (struct cc_security_opts, seccomp_unconfined) },
    { "apparmor=unconfined", offsetof (struct cc_security_opts, apparmor_unconfined) },
    { "label=disable", offsetof (struct cc_security_opts, label_disable) },
  };

  o->raw = strv_always (r, "security_opt");
  o->no_new_privileges = -1;
  for (char *const *it = o->raw; *it; it++)
    {
      cleanup_free char *v = xstrdup (*it);
      char *sep = strpbrk (v, ":=");
      if (sep)
        *sep = '=';
      if (strcmp (v, "no-new-privileges") == 0 || strcmp (v, "no-new-privileges=true") == 0)
        o->no_new_privileges = 1;
      else if (strcmp (v, "no-new-privileges=false") == 0)
        o->no_new_privileges = 0;
      for (size_t i = 0; i < CC_N_ELEMENTS (flags); i++)
        if (strcmp (v, flags[i].opt) == 0)
          *(bool *)((char *)o + flags[i].field) = true;
    }
}

/* pid, ipc and uts as Docker takes them: a namespace of the host, of
   another service or container, or the container's own.  */
static bool
is_ns_mode (const char *v, const char *const *words)
{
  for (; *words; words++)
    if (strcmp (v, *words) == 0)
      return true;
  return (strncmp (v, "service:", 8) == 0 && v[8]) || (strncmp (v, "container:", 10) == 0 && v[10]);
}

static void
check_ns_modes (struct rd *r, const struct cc_service *s)
{
  static const char *const pid_words[] = { "host", NULL }, *const ipc_words[]
                                                           = { "host", "private", "shareable", NULL };

  if (s->pid && ! is_ns_mode (s->pid, pid_words))
    fail (r, "pid", "`pid` must be `host`, `service:NAME` or `container:NAME`, not `%s`", s->pid);
  if (s->ipc && ! is_ns_mode (s->ipc, ipc_words))
    fail (r, "ipc", "`ipc` must be `host`, `private`, `shareable`, `service:NAME` or `container:NAME`, not `%s`",
          s->ipc);
  if (s->uts && strcmp (s->uts, "host") != 0)
    fail (r, "uts", "`uts` must be `host`, not `%s`", s->uts);
  if (s->uts && s->hostname)
    fail (r, "uts", "`uts: host` and `hostname` cannot both be set");
}

static void
read_security (struct rd *r, struct cc_service *s)
{
  s->cap_add = strv_always (r, "cap_add");
  s->cap_drop = strv_always (r, "cap_drop");
  read_security_opt (r, &s->security_opt);
  s->userns_mode = str (r, "userns_mode");
  s->pid = str (r, "pid");
  s->ipc = str (r, "ipc");
  s->uts = str (r, "uts");
  check_ns_modes (r, s);
  s->runtime = str (r, "runtime");
  s->isolation = str (r, "isolation");
}

/* Docker's checks of one logging option (daemon/logger: each driver's
   ValidateLogOpt and New).  */
static void
check_log_option (struct rd *opts, const struct cc_log_driver *d, const char *key, const char *value)
{
  cleanup_free char *why = NULL, *tag = NULL;

  if (! cc_log_driver_takes (d, key))
    fail (opts, key, "unknown log opt `%s` for %s log driver", key, d->name);
  else if (value && (strcmp (key, "labels-regex") == 0 || strcmp (key, "env-regex") == 0))
    why = cc_log_regex_check (value);
  else if (value && strcmp (key, "tag") == 0)
    tag = cc_log_tag_expand (value, NULL, &why);
  if (why)
    fail (opts, key, "logging option %s: %s", key, why);
}

static int64_t
log_size (struct rd *opts, const char *key, int64_t dflt)
{
  const char *text = str (opts, key);
  int64_t v = dflt;

  if (text && cc_parse_bytes (text, &v, NULL) < 0)
    fail (opts, key, "invalid logging option %s `%s` (a size such as 10m)", key, text);
  return v;
}

static void
read_log_mode (struct rd *opts, struct cc_service *s)
{
  const char *mode = str (opts, "mode");

  s->log_nonblocking = mode && strcmp (mode, "non-blocking") == 0;
  if (mode && *mode && ! s->log_nonblocking && strcmp (mode, "blocking") != 0)
    fail (opts, "mode", "logging mode not supported: `%s` (blocking or non-blocking)", mode);
  if (str (opts, "max-buffer-size") && ! s->log_nonblocking)
    fail (opts, "max-buffer-size", "logging option max-buffer-size is only supported with `mode: non-blocking`");
  /* Docker's ring buffer holds 1 MB by default.  */
  s->log_max_buffer_size = log_size (opts, "max-buffer-size", 1000000);
}

/* The rotation options, named PREFIX max-size... (syslog's cache:
   cache-max-size...).  */
static void
read_log_rotation (struct rd *opts, const struct cc_log_driver *d, struct cc_service *s)
{
  bool cache = strcmp (d->name, "syslog") == 0;
  const char *size_key = cache ? "cache-max-size" : "max-size", *file_key = cache ? "cache-max-file" : "max-file";
  const char *compress_key = cache ? "cache-compress" : "compress", *compress = str (opts, compress_key);

  s->log_max_size = log_size (opts, size_key, d->max_size);
  s->log_max_file = integer (opts, file_key, d->max_file);
  if (s->log_max_file < 1)
    fail (opts, file_key, "logging option %s cannot be less than 1", file_key);
  s->log_compress = d->compress;
  if (compress && ! cc_log_parse_bool (compress, &s->log_compress))
    fail (opts, compress_key, "invalid logging option %s `%s` (true or false)", compress_key, compress);
  if (strcmp (d->name, "json-file") == 0 && s->log_compress && (s->log_max_file < 2 || s->log_max_size <= 0))
    fail (opts, "compress", "compress cannot be true when max-file is less than 2 or max-size is not set");
  /* Without a size nothing rotates: one file, as Docker keeps.  */
  if (s->log_max_size <= 0)
    s->log_max_size = 0, s->log_max_file = 1;
}

static void
read_syslog (struct rd *opts, struct cc_service *s)
{
  const char *facility = str (opts, "syslog-facility"), *cache = str (opts, "cache-disabled");
  cleanup_free char *why = NULL;

  s->log_address = str (opts, "syslog-address");
  s->log_format = str (opts, "syslog-format");
  s->log_facility = facility ? cc_log_syslog_facility (facility) : 3;
  if (s->log_address && (why = cc_log_syslog_address_check (s->log_address)))
    fail (opts, "syslog-address", "%s", why);
  if (s->log_facility < 0)
    fail (opts, "syslog-facility", "invalid syslog facility `%s`", facility);
  if (s->log_format && *s->log_format == '\0')
    s->log_format = NULL;
  if (s->log_format && ! cc_log_syslog_format_ok (s->log_format))
    fail (opts, "syslog-format", "invalid syslog format `%s` (rfc3164, rfc5424 or rfc5424micro)", s->log_format);
  if (cache && ! cc_log_parse_bool (cache, &s->log_cache_disabled))
    fail (opts, "cache-disabled", "invalid logging option cache-disabled `%s` (true or false)", cache);
}

static void
read_logging (struct rd *r, struct cc_service *s)
{
  struct rd lg = sub (r, "logging"), opts = sub (&lg, "options");
  const struct cc_log_driver *d;

  s->log_driver = str (&lg, "driver");
  s->log_options = kvs (&lg, "options");
  s->log_max_file = 1;
  /* A driver ccompose lacks was refused by the normalization, or is
     kept for `config` only.  */
  d = cc_log_driver_find (s->log_driver);
  if (d)
    {
      for (size_t i = 0; i < s->log_options.n; i++)
        check_log_option (&opts, d, s->log_options.items[i].name, s->log_options.items[i].value);
      read_log_mode (&opts, s);
      read_log_rotation (&opts, d, s);
      if (strcmp (d->name, "syslog") == 0)
        read_syslog (&opts, s);
    }
  r->failed |= lg.failed || opts.failed;
}

/* ---- build ------------------------------------------------------------------------------------ */

/* Positions of the keys of `build:` as written (the map form only).  */
static void
read_build_positions (struct rd *b, struct cc_build *out)
{
  const struct cc_node *n = b->node;

  out->pos = pos_of (n);
  if (n == NULL || n->kind != CC_NODE_MAP)
    return;
  out->key_pos = mem_alloc (b->mem, n->len, sizeof (*out->key_pos));
  for (size_t i = 0; i < n->len; i++)
    /* The document's nodes may not outlive the view: keep the names.  */
    out->key_pos[out->n_key_pos++]
        = (struct cc_build_key_pos){ mem_keep (b->mem, xstrdup (n->keys[i]->value)), pos_of (n->keys[i]) };
}

struct cc_pos
cc_build_pos (const struct cc_build *b, const char *key)
{
  for (size_t i = 0; i < b->n_key_pos; i++)
    if (strcmp (b->key_pos[i].key, key) == 0)
      return b->key_pos[i].pos;
  return b->pos;
}

static void
read_build (struct rd *r, struct cc_service *s)
{
  struct rd b = sub (r, "build");
  struct cc_build *out;

  if (! cJSON_IsObject (b.obj))
    return;
  out = s->build = mem_alloc (r->mem, 1, sizeof (*out));
  out->context = str (&b, "context");
  out->dockerfile = str (&b, "dockerfile");
  out->dockerfile_inline = str (&b, "dockerfile_inline");
  out->args = kvs (&b, "args");
  out->labels = kvs (&b, "labels");
  out->additional_contexts = kvs (&b, "additional_contexts");
  out->target = str (&b, "target");
  out->network = str (&b, "network");
  out->isolation = str (&b, "isolation");
  out->tags = strv (&b, "tags");
  out->platforms = strv (&b, "platforms");
  out->cache_from = strv (&b, "cache_from");
  out->cache_to = strv (&b, "cache_to");
  out->entitlements = strv (&b, "entitlements");
  out->no_cache = boolean (&b, "no_cache", false);
  out->pull = boolean (&b, "pull", false);
  out->privileged = boolean (&b, "privileged", false);
  out->shm_size = bytes (&b, "shm_size");
  out->ssh = strv (&b, "ssh");
  out->provenance = str (&b, "provenance");
  out->sbom = str (&b, "sbom");
  read_extra_hosts (&b, get (&b, "extra_hosts"), &out->extra_hosts, &out->n_extra_hosts);
  read_build_positions (&b, out);
  read_ulimits (&b, get (&b, "ulimits"), &out->ulimits, &out->n_ulimits);
  read_file_refs (&b, "secrets", &out->secrets, &out->n_secrets);
  r->failed |= b.failed;
}

/* ---- the service ------------------------------------------------------------------------------- */

int
cc_service_new (const char *name, const cJSON *json, const struct cc_node *node, struct cc_service **out,
                cc_error_t *err)
{
  struct cc_service *s = xzalloc (sizeof (*s));
  struct rd r = { .obj = json, .node = node, .err = err };

  s->mem = r.mem = xzalloc (sizeof (*s->mem));
  s->name = name;
  s->json = json;
  s->pos = pos_of (node);
  read_process (&r, s);
  read_deploy (&r, &s->deploy);
  read_network (&r, s);
  read_storage (&r, s);
  read_limits (&r, s);
  read_security (&r, s);
  read_logging (&r, s);
  read_build (&r, s);
  if (r.failed)
    {
      cc_service_free (s);
      /* An error with a position says where already.  */
      return node ? -1 : cc_error_wrap (err, "service `%s`", name);
    }
  *out = s;
  return 0;
}

void
cc_service_free (struct cc_service *s)
{
  if (s == NULL)
    return;
  mem_free (s->mem);
  free (s);
}

bool
cc_service_uses_volume (const struct cc_service *s, const char *key)
{
  for (size_t i = 0; i < s->n_mounts; i++)
    if (s->mounts[i].type == CC_MOUNT_TYPE_VOLUME && s->mounts[i].source && strcmp (s->mounts[i].source, key) == 0)
      return true;
  return false;
}

const struct cc_service_network *
cc_service_network (const struct cc_service *s, const char *key)
{
  for (size_t i = 0; i < s->n_networks; i++)
    if (strcmp (s->networks[i].key, key) == 0)
      return &s->networks[i];
  return NULL;
}

/* ---- top level -------------------------------------------------------------------------------- */

static void
read_network_def (struct rd *r, const cJSON *it, void *out)
{
  struct cc_network *n = out;
  struct rd ipam = sub (r, "ipam");
  const cJSON *pools = get (&ipam, "config");
  size_t k = 0;

  n->key = it->string;
  n->name = str (r, "name") ? str (r, "name") : it->string;
  n->driver = str (r, "driver");
  n->driver_opts = kvs (r, "driver_opts");
  /* Checked at load (cc_validate_bridge_opts): no error is left here.  */
  for (size_t i = 0; i < n->driver_opts.n; i++)
    cc_bridge_opt_set (&n->bridge, n->driver_opts.items[i].name, n->driver_opts.items[i].value, NULL);
  n->labels = kvs (r, "labels");
  n->ipam_driver = str (&ipam, "driver");
  n->ipam = mem_alloc (r->mem, (size_t)cJSON_GetArraySize (pools), sizeof (*n->ipam));
  for (const cJSON *p = cJSON_IsArray (pools) ? pools->child : NULL; p; p = p->next, k++)
    {
      struct rd one = { .mem = r->mem, .obj = p, .err = r->err, .failed = r->failed };
      n->ipam[k].subnet = str (&one, "subnet");
      n->ipam[k].gateway = str (&one, "gateway");
      n->ipam[k].ip_range = str (&one, "ip_range");
      n->ipam[k].aux_addresses = kvs (&one, "aux_addresses");
    }
  n->n_ipam = k;
  n->external = boolean (r, "external", false);
  n->internal = boolean (r, "internal", false);
  n->attachable = boolean (r, "attachable", false);
  n->enable_ipv4 = tristate (r, "enable_ipv4");
  n->enable_ipv6 = tristate (r, "enable_ipv6");
  n->pos = pos_of (r->node);
}

static void
read_volume_def (struct rd *r, const cJSON *it, void *out)
{
  struct cc_volume *v = out;
  v->key = it->string;
  v->name = str (r, "name") ? str (r, "name") : it->string;
  v->driver = str (r, "driver");
  v->driver_opts = kvs (r, "driver_opts");
  v->labels = kvs (r, "labels");
  v->external = boolean (r, "external", false);
  v->pos = pos_of (r->node);
}

static void
read_file_object (struct rd *r, const cJSON *it, void *out)
{
  struct cc_file_object *f = out;
  f->key = it->string;
  f->name = str (r, "name") ? str (r, "name") : it->string;
  f->file = str (r, "file");
  f->environment = str (r, "environment");
  f->content = str (r, "content");
  f->external = boolean (r, "external", false);
  f->labels = kvs (r, "labels");
  f->driver = str (r, "driver");
  f->template_driver = str (r, "template_driver");
  f->driver_opts = kvs (r, "driver_opts");
  f->pos = pos_of (r->node);
}

static int
compare_services (const void *a, const void *b)
{
  return strcmp ((*(struct cc_service *const *)a)->name, (*(struct cc_service *const *)b)->name);
}

static int
read_services (struct cc_model_view *v, const cJSON *model, const struct cc_node *root, cc_error_t *err)
{
  const cJSON *services = cJSON_GetObjectItemCaseSensitive (model, "services");
  const struct cc_node *nodes = root ? cc_node_map_get (root, "services") : NULL;

  v->services = mem_alloc (v->mem, (size_t)cJSON_GetArraySize (services), sizeof (*v->services));
  for (const cJSON *s = services ? services->child : NULL; s; s = s->next)
    {
      struct cc_service *svc = NULL;
      if (cc_service_new (s->string, s, nodes ? cc_node_map_get (nodes, s->string) : NULL, &svc, err) < 0)
        return -1;
      v->services[v->n_services++] = svc;
    }
  qsort (v->services, v->n_services, sizeof (*v->services), compare_services);
  return 0;
}

/* One top-level section, each entry read by FN into an array of SIZE.  */
static void *
read_section (struct cc_model_view *v, const cJSON *model, const struct cc_node *root, const char *key, size_t size,
              size_t *n, void (*fn) (struct rd *r, const cJSON *it, void *out), cc_error_t *err, bool *failed)
{
  const cJSON *sec = cJSON_GetObjectItemCaseSensitive (model, key);
  const struct cc_node *nodes = root ? cc_node_map_get (root, key) : NULL;
  char *out = mem_alloc (v->mem, (size_t)cJSON_GetArraySize (sec), size);

  *n = 0;
  for (const cJSON *it = sec ? sec->child : NULL; it; it = it->next)
    {
      struct rd r = {
        .mem = v->mem,
        .obj = it,
        .node = nodes ? cc_node_map_get (nodes, it->string) : NULL,
        .err = err,
        .failed = *failed,
      };
      fn (&r, it, out + (*n)++ * size);
      *failed |= r.failed;
    }
  return out;
}

int
cc_model_view_new (const cJSON *model, const struct cc_node *root, struct cc_model_view **out, cc_error_t *err)
{
  struct cc_model_view *v = xzalloc (sizeof (*v));
  bool failed = false;

  v->mem = xzalloc (sizeof (*v->mem));
  if (read_services (v, model, root, err) < 0)
    {
      cc_model_view_free (v);
      return -1;
    }
  v->networks = read_section (v, model, root, "networks", sizeof (*v->networks), &v->n_networks, read_network_def, err,
                              &failed);
  v->volumes
      = read_section (v, model, root, "volumes", sizeof (*v->volumes), &v->n_volumes, read_volume_def, err, &failed);
  v->secrets
      = read_section (v, model, root, "secrets", sizeof (*v->secrets), &v->n_secrets, read_file_object, err, &failed);
  v->configs
      = read_section (v, model, root, "configs", sizeof (*v->configs), &v->n_configs, read_file_object, err, &failed);
  if (failed)
    {
      cc_model_view_free (v);
      return -1;
    }
  *out = v;
  return 0;
}

void
cc_model_view_free (struct cc_model_view *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->n_services; i++)
    cc_service_free (v->services[i]);
  mem_free (v->mem);
  free (v);
}
