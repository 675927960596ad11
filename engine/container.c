/* Model service -> runtime spec: the image config (entrypoint, cmd, env,
   working dir, user, healthcheck) merged with the compose keys, as Docker
   Compose does, plus mounts, limits, security and the network files.  */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strmap.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

char *
cc_engine_container_dir (const char *name)
{
  return xasprintf ("%s/containers/%s", cc_data_dir (), name);
}

char **
json_strv_of (const cJSON *arr)
{
  struct cc_strv_builder b = { 0 };

  for (const cJSON *it = arr ? arr->child : NULL; it; it = it->next)
    if (cJSON_IsString (it))
      cc_strv_builder_append (&b, it->valuestring);
  return cc_strv_builder_steal (&b);
}

static void
strv_extend (char ***v, char *const *more)
{
  for (char *const *m = more; m && *m; m++)
    cc_strv_append (v, *m);
}

/* Numbers in the model are numbers or strings of digits (byte sizes).  */
static int64_t
json_int (const cJSON *obj, const char *key, int64_t dflt)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (cJSON_IsNumber (v))
    return cc_double_clamp_int64 (v->valuedouble);
  if (cJSON_IsString (v) && *v->valuestring)
    return strtoll (v->valuestring, NULL, 10);
  return dflt;
}

static double
json_double (const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (cJSON_IsNumber (v))
    return v->valuedouble;
  if (cJSON_IsString (v))
    return strtod (v->valuestring, NULL);
  return 0;
}

/* A healthcheck duration of 0 means the default, as in Docker's API.  */
static int
duration_key (const cJSON *obj, const char *key, int64_t dflt, int64_t *ms, cc_error_t *err)
{
  const char *text = cc_json_get_string (obj, key);

  *ms = dflt;
  if (text == NULL)
    return 0;
  if (cc_engine_parse_duration (text, ms, err) < 0)
    return cc_error_wrap (err, "%s", key);
  if (*ms == 0)
    *ms = dflt;
  return 0;
}

/* ---- process ------------------------------------------------------------ */

static bool
is_set (const cJSON *svc, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (svc, key);
  return v && ! cJSON_IsNull (v);
}

/* Docker's rule: a service entrypoint replaces the image's and drops its
   cmd; a service command replaces the cmd only.  */
static int
set_args (struct cc_runtime_spec *s, const cJSON *svc, const struct cc_image_config *cfg, cc_error_t *err)
{
  cleanup_strv char **args = NULL;

  if (is_set (svc, "entrypoint"))
    args = json_strv_of (cJSON_GetObjectItemCaseSensitive (svc, "entrypoint"));
  else
    args = cc_strv_dup (cfg->entrypoint ? cfg->entrypoint : (char *[]){ NULL });
  if (is_set (svc, "command"))
    {
      cleanup_strv char **cmd = json_strv_of (cJSON_GetObjectItemCaseSensitive (svc, "command"));
      strv_extend (&args, cmd);
    }
  else if (! is_set (svc, "entrypoint"))
    strv_extend (&args, cfg->cmd);
  if (args == NULL || *args == NULL)
    return cc_error_make (err, EINVAL, "no command: the image has no Entrypoint or Cmd and the service sets neither");
  s->args = steal_pointer (&args);
  return 0;
}

/* The service's values replace the image's, which go; the image may
   have many, so the service's names are looked up in a map rather than
   each found by a walk of the image's list.  */
static void
set_env (struct cc_runtime_spec *s, const cJSON *svc, const struct cc_image_config *cfg)
{
  const cJSON *env = cJSON_GetObjectItemCaseSensitive (svc, "environment");
  cleanup_strmap struct cc_strmap service = { 0 };
  struct cc_strv_builder out = { 0 };

  for (const cJSON *e = env ? env->child : NULL; e; e = e->next)
    if (cJSON_IsString (e))
      cc_strmap_put (&service, e->string, (void *)e);
  for (char *const *it = cfg->env; it && *it; it++)
    {
      cleanup_free char *name = xstrndup (*it, strcspn (*it, "="));
      if (cc_strmap_get (&service, name) == NULL)
        cc_strv_builder_append (&out, *it);
    }
  for (const cJSON *e = env ? env->child : NULL; e; e = e->next)
    if (cJSON_IsString (e))
      cc_strv_builder_push (&out, xasprintf ("%s=%s", e->string, e->valuestring));
  s->env = cc_strv_builder_steal (&out);
}

/* The container's name, cut to the 64 bytes sethostname(2) takes (Docker
   names a container's host after the first 12 digits of its id).  */
static char *
default_hostname (const char *name)
{
  size_t n = strnlen (name, 64);

  while (n > 1 && (name[n - 1] == '-' || name[n - 1] == '.'))
    n--;
  return xstrndup (name, n);
}

static void
set_process (struct cc_runtime_spec *s, const cJSON *svc, const struct cc_image_config *cfg, const char *name)
{
  const char *wd = cc_json_get_string (svc, "working_dir"), *user = cc_json_get_string (svc, "user");
  const char *host = cc_json_get_string (svc, "hostname"), *domain = cc_json_get_string (svc, "domainname");

  s->cwd = xstrdup (wd ? wd : cfg->working_dir && *cfg->working_dir ? cfg->working_dir : "/");
  if (user || (cfg->user && *cfg->user))
    s->user = xstrdup (user ? user : cfg->user);
  s->hostname = host ? xstrdup (host) : default_hostname (name);
  if (domain)
    s->domainname = xstrdup (domain);
  s->init = cc_json_get_bool (svc, "init", false);
}

/* ---- mounts --------------------------------------------------------------- */

static void
add_mount (struct cc_runtime_spec *s, const char *type, const char *source, const char *target, char **options)
{
  struct cc_runtime_mount *m;

  s->mounts = xreallocarray (s->mounts, s->n_mounts + 1, sizeof (*s->mounts));
  m = &s->mounts[s->n_mounts++];
  m->type = xstrdup (type);
  m->source = source ? xstrdup (source) : NULL;
  m->target = xstrdup (target);
  m->options = options ? options : xzalloc (sizeof (char *));
}

static const char *
volume_full_name (const struct cc_project *p, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (p->model, "volumes"), key);
  return cc_json_get_string (v, "name");
}

static int
add_volume_mount (struct cc_runtime_spec *s, const struct cc_project *p, const cJSON *v, const char *name,
                  const struct cc_image *img, int index, cc_error_t *err)
{
  const char *type = cc_json_get_string (v, "type"), *source = cc_json_get_string (v, "source");
  const char *target = cc_json_get_string (v, "target");
  char **opts = xzalloc (sizeof (char *));
  cleanup_free char *path = NULL, *data = NULL;

  if (target == NULL || type == NULL)
    {
      cc_strv_free (opts);
      return cc_error_make (err, EINVAL, "volume without a type or target");
    }
  if (cc_json_get_bool (v, "read_only", false))
    cc_strv_append (&opts, "ro");
  if (strcmp (type, "tmpfs") == 0)
    {
      int64_t size = json_int (cJSON_GetObjectItemCaseSensitive (v, "tmpfs"), "size", 0);
      if (size > 0)
        cc_strv_push (&opts, xasprintf ("size=%lld", (long long)size));
      add_mount (s, "tmpfs", NULL, target, opts);
      return 0;
    }
  if (strcmp (type, "bind") == 0)
    {
      if (cc_json_get_bool (cJSON_GetObjectItemCaseSensitive (v, "bind"), "create_host_path", false))
        cc_strv_append (&opts, "create_host_path");
      add_mount (s, "bind", source, target, opts);
      return 0;
    }
  if (strcmp (type, "volume") != 0)
    {
      cc_strv_free (opts);
      return cc_error_make (err, ENOTSUP, "volume type `%s` is not supported", type);
    }
  /* An anonymous volume lives as long as the container.  */
  if (source == NULL)
    path = xasprintf ("%s/containers/%s/anon-%d", cc_data_dir (), name, index);
  else
    {
      const char *full = volume_full_name (p, source);
      if (full == NULL)
        {
          cc_strv_free (opts);
          return cc_error_make (err, ENOENT, "volume `%s` is not declared in the top-level volumes", source);
        }
      if (cc_volume_create (full, err) < 0)
        {
          cc_strv_free (opts);
          return -1;
        }
      if (! cc_json_get_bool (cJSON_GetObjectItemCaseSensitive (v, "volume"), "nocopy", false)
          && cc_volume_copy_up (full, img->layers, target, err) < 0)
        {
          cc_strv_free (opts);
          return -1;
        }
      path = cc_volume_path (full);
    }
  data = cc_path_join (path, "_data");
  if (cc_mkdir_p (data, 0755, err) < 0)
    {
      cc_strv_free (opts);
      return -1;
    }
  add_mount (s, "bind", data, target, opts);
  return 0;
}

/* `tmpfs: ["/run:size=64k,mode=1777"]`  */
static void
add_tmpfs_short (struct cc_runtime_spec *s, const char *text)
{
  const char *colon = strchr (text, ':');
  cleanup_free char *target = colon ? xstrndup (text, (size_t)(colon - text)) : xstrdup (text);

  add_mount (s, "tmpfs", NULL, target, colon ? cc_strv_split (colon + 1, ',', true) : NULL);
}

static int
set_mounts (struct cc_runtime_spec *s, const struct cc_project *p, const cJSON *svc, const struct cc_image *img,
            const char *name, cc_error_t *err)
{
  const cJSON *vols = cJSON_GetObjectItemCaseSensitive (svc, "volumes");
  const cJSON *tmpfs = cJSON_GetObjectItemCaseSensitive (svc, "tmpfs");
  int i = 0;

  for (const cJSON *v = vols ? vols->child : NULL; v; v = v->next, i++)
    if (add_volume_mount (s, p, v, name, img, i, err) < 0)
      return cc_error_wrap (err, "volume `%s`",
                            cc_json_get_string (v, "target") ? cc_json_get_string (v, "target") : "?");
  if (cJSON_IsString (tmpfs))
    add_tmpfs_short (s, tmpfs->valuestring);
  for (const cJSON *t = cJSON_IsArray (tmpfs) ? tmpfs->child : NULL; t; t = t->next)
    if (cJSON_IsString (t))
      add_tmpfs_short (s, t->valuestring);
  return 0;
}

/* ---- limits and security ------------------------------------------------- */

static void
set_resources (struct cc_runtime_spec *s, const cJSON *svc)
{
  const cJSON *limits = cJSON_GetObjectItemCaseSensitive (
      cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (svc, "deploy"), "resources"), "limits");
  double cpus = json_double (svc, "cpus");

  s->resources.memory = json_int (svc, "mem_limit", json_int (limits, "memory", 0));
  s->resources.memory_swap = json_int (svc, "memswap_limit", 0);
  s->resources.pids_limit = json_int (svc, "pids_limit", json_int (limits, "pids", 0));
  s->resources.cpu_shares = json_int (svc, "cpu_shares", 0);
  if (cpus <= 0)
    cpus = json_double (limits, "cpus");
  if (cpus > 0)
    {
      s->resources.cpu_period = 100000;
      /* Saturated: a huge cpus value is the cgroup's to refuse, not UB.  */
      s->resources.cpu_quota = cc_double_clamp_int64 (cpus * 100000);
    }
  s->shm_size = json_int (svc, "shm_size", 64 << 20); /* Docker's default */
}

static int
set_ulimits (struct cc_runtime_spec *s, const cJSON *svc, cc_error_t *err)
{
  const cJSON *ul = cJSON_GetObjectItemCaseSensitive (svc, "ulimits");

  for (const cJSON *u = ul ? ul->child : NULL; u; u = u->next)
    {
      int resource = cc_runtime_rlimit_from_name (u->string);
      if (resource < 0)
        return cc_error_make (err, EINVAL, "unknown ulimit `%s`", u->string);
      s->rlimits = xreallocarray (s->rlimits, s->n_rlimits + 1, sizeof (*s->rlimits));
      s->rlimits[s->n_rlimits].resource = resource;
      /* Through int64 so that -1 wraps to RLIM_INFINITY, as in Docker, and
         a huge or negative double never reaches an undefined cast.  */
      s->rlimits[s->n_rlimits].soft
          = (uint64_t)(cJSON_IsNumber (u) ? cc_double_clamp_int64 (u->valuedouble) : json_int (u, "soft", 0));
      s->rlimits[s->n_rlimits].hard
          = (uint64_t)(cJSON_IsNumber (u) ? cc_double_clamp_int64 (u->valuedouble) : json_int (u, "hard", 0));
      s->n_rlimits++;
    }
  return 0;
}

static void
set_security (struct cc_runtime_spec *s, const cJSON *svc)
{
  const cJSON *sysctls = cJSON_GetObjectItemCaseSensitive (svc, "sysctls");
  const cJSON *sec = cJSON_GetObjectItemCaseSensitive (svc, "security_opt");

  s->cap_add = json_strv_of (cJSON_GetObjectItemCaseSensitive (svc, "cap_add"));
  s->cap_drop = json_strv_of (cJSON_GetObjectItemCaseSensitive (svc, "cap_drop"));
  s->privileged = cc_json_get_bool (svc, "privileged", false);
  s->read_only = cc_json_get_bool (svc, "read_only", false);
  s->seccomp = ! s->privileged;
  for (const cJSON *o = sec ? sec->child : NULL; o; o = o->next)
    {
      if (! cJSON_IsString (o))
        continue;
      if (strcmp (o->valuestring, "no-new-privileges:true") == 0 || strcmp (o->valuestring, "no-new-privileges") == 0)
        s->no_new_privileges = true;
      if (strcmp (o->valuestring, "seccomp=unconfined") == 0 || strcmp (o->valuestring, "seccomp:unconfined") == 0)
        s->seccomp = false;
    }
  s->sysctls = xzalloc (sizeof (char *));
  for (const cJSON *k = sysctls ? sysctls->child : NULL; k; k = k->next)
    if (cJSON_IsString (k))
      cc_strv_push (&s->sysctls, xasprintf ("%s=%s", k->string, k->valuestring));
}

/* ---- lifecycle: stop, restart, healthcheck, logs ---------------------------- */

static int
set_lifecycle (struct cc_runtime_spec *s, const cJSON *svc, const struct cc_image_config *cfg, cc_error_t *err)
{
  const char *sig = cc_json_get_string (svc, "stop_signal"), *restart = cc_json_get_string (svc, "restart");
  const cJSON *log_opts
      = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (svc, "logging"), "options");
  const char *max_size = cc_json_get_string (log_opts, "max-size");

  s->stop_signal = SIGTERM;
  s->log_max_file = 1;
  if (sig == NULL)
    sig = cfg->stop_signal;
  if (sig && cc_runtime_parse_signal (sig, &s->stop_signal, err) < 0)
    return cc_error_wrap (err, "stop_signal");
  if (duration_key (svc, "stop_grace_period", 10000, &s->stop_grace_ms, err) < 0)
    return -1;
  if (restart && cc_runtime_parse_restart (restart, &s->restart, &s->restart_max, err) < 0)
    return cc_error_wrap (err, "restart");
  if (max_size)
    {
      char *end;
      double v = strtod (max_size, &end);
      int64_t mult = *end == 'k' || *end == 'K'   ? 1024
                     : *end == 'm' || *end == 'M' ? 1 << 20
                     : *end == 'g' || *end == 'G' ? 1 << 30
                                                  : 1;
      s->log_max_size = cc_double_clamp_int64 (v * (double)mult);
      s->log_max_file = (int)json_int (log_opts, "max-file", 1);
    }
  return 0;
}

static char **
image_test (const struct cc_image_config *cfg)
{
  return cfg->healthcheck && cfg->healthcheck->test ? cc_strv_dup (cfg->healthcheck->test) : NULL;
}

/* The service's healthcheck overrides the image's key by key, with
   Docker's defaults for what neither sets.  */
static int
set_health (struct cc_runtime_spec *s, const cJSON *svc, const struct cc_image_config *cfg, cc_error_t *err)
{
  const cJSON *hc = cJSON_GetObjectItemCaseSensitive (svc, "healthcheck");
  const struct cc_image_healthcheck *ih = cfg->healthcheck;
  struct cc_runtime_health *h = &s->health;

  if (cc_json_get_bool (hc, "disable", false))
    return 0;
  h->test = cJSON_GetObjectItemCaseSensitive (hc, "test") ? json_strv_of (cJSON_GetObjectItemCaseSensitive (hc, "test"))
                                                          : image_test (cfg);
  if (h->test == NULL || *h->test == NULL || strcmp (h->test[0], "NONE") == 0)
    {
      cc_strv_free (h->test);
      h->test = NULL;
      return 0;
    }
  if (duration_key (hc, "interval", ih && ih->interval_ns ? ih->interval_ns / 1000000 : 30000, &h->interval_ms, err) < 0
      || duration_key (hc, "timeout", ih && ih->timeout_ns ? ih->timeout_ns / 1000000 : 30000, &h->timeout_ms, err) < 0
      || duration_key (hc, "start_period", ih ? ih->start_period_ns / 1000000 : 0, &h->start_period_ms, err) < 0
      /* Docker probes every 5 s during start_period; probing fast there is what
         makes a health-gated `up` quick (user-pain.md #4), and costs nothing
         once the service is healthy.  */
      || duration_key (hc, "start_interval", ih && ih->start_interval_ns ? ih->start_interval_ns / 1000000 : 250,
                       &h->start_interval_ms, err)
             < 0)
    return cc_error_wrap (err, "healthcheck");
  h->retries = (int)json_int (hc, "retries", 0);
  if (h->retries == 0)
    h->retries = ih && ih->retries ? ih->retries : 3;
  return 0;
}

/* ---- the spec ----------------------------------------------------------------- */

static void
set_files (struct cc_runtime_spec *s, const struct cc_project *p, const char *name, const char *netns)
{
  cleanup_free char *dir = cc_engine_container_dir (name);

  s->layers = NULL;
  s->owner = xstrdup (p->name);
  s->upper = cc_path_join (dir, "upper");
  s->work = cc_path_join (dir, "work");
  if (netns)
    {
      s->netns = xstrdup (netns);
      s->hosts_file = cc_path_join (dir, "hosts");
      s->resolv_conf = cc_path_join (dir, "resolv.conf");
      s->hostname_file = cc_path_join (dir, "hostname");
    }
}

int
cc_engine_build_spec (const struct cc_project *p, const char *service_name, const cJSON *svc,
                      const struct cc_image *img, const char *name, const char *netns, struct cc_runtime_spec **out,
                      cc_error_t *err)
{
  struct cc_runtime_spec *s = xzalloc (sizeof (*s));
  cleanup_runtime_spec struct cc_runtime_spec *guard = s;

  set_files (s, p, name, netns);
  s->layers = cc_strv_dup (img->layers);
  set_env (s, svc, &img->config);
  set_process (s, svc, &img->config, name);
  set_resources (s, svc);
  set_security (s, svc);
  if (set_args (s, svc, &img->config, err) < 0 || set_mounts (s, p, svc, img, name, err) < 0
      || set_ulimits (s, svc, err) < 0 || set_lifecycle (s, svc, &img->config, err) < 0
      || set_health (s, svc, &img->config, err) < 0)
    return cc_error_wrap (err, "service `%s`", service_name);
  *out = steal_pointer (&guard);
  return 0;
}
