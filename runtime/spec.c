/* The container spec: JSON in and out, strictly checked.  */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"
#include "runtime/runtime.h"

static void
mount_free (struct cc_runtime_mount *m)
{
  free (m->type);
  free (m->source);
  free (m->target);
  cc_strv_free (m->options);
}

void
cc_runtime_spec_free (struct cc_runtime_spec *s)
{
  free (s->rootfs);
  cc_strv_free (s->layers);
  free (s->upper);
  free (s->work);
  cc_strv_free (s->args);
  cc_strv_free (s->env);
  free (s->cwd);
  free (s->user);
  free (s->hostname);
  free (s->domainname);
  for (size_t i = 0; i < s->n_mounts; i++)
    mount_free (&s->mounts[i]);
  free (s->mounts);
  cc_strv_free (s->cap_add);
  cc_strv_free (s->cap_drop);
  cc_strv_free (s->sysctls);
  free (s->rlimits);
  cc_strv_free (s->health.test);
  free (s->netns);
  free (s->hosts_file);
  free (s->resolv_conf);
  free (s->hostname_file);
  free (s);
}

/* Signals by name, for stop_signal and `kill`.  */
static const struct
{
  const char *name;
  int sig;
} signals[] = {
  { "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "ILL", SIGILL },   { "TRAP", SIGTRAP },
  { "ABRT", SIGABRT }, { "BUS", SIGBUS },     { "FPE", SIGFPE },   { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
  { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },   { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
  { "TTOU", SIGTTOU }, { "URG", SIGURG },     { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },     { "PWR", SIGPWR },   { "SYS", SIGSYS },
};

int
cc_runtime_parse_signal (const char *text, int *sig, cc_error_t *err)
{
  const char *name = text;
  char *end = NULL;
  long n;

  if (text == NULL || *text == '\0')
    return cc_error_make (err, EINVAL, "empty signal");
  n = strtol (text, &end, 10);
  if (*end == '\0')
    {
      if (n <= 0 || n >= NSIG)
        return cc_error_make (err, EINVAL, "invalid signal number `%s`", text);
      *sig = (int)n;
      return 0;
    }
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  /* Real-time signals as systemd images name them: RTMIN+3, RTMAX-1.  */
  if (strncasecmp (name, "RTMIN", 5) == 0 || strncasecmp (name, "RTMAX", 5) == 0)
    {
      bool min = strncasecmp (name, "RTMIN", 5) == 0;
      long off = name[5] ? strtol (name + 5, &end, 10) : 0;
      int v = off < -64 || off > 64 ? -1 : (min ? SIGRTMIN + (int)off : SIGRTMAX + (int)off);
      if ((name[5] && (*end != '\0' || (min ? name[5] != '+' : name[5] != '-'))) || v < SIGRTMIN || v > SIGRTMAX)
        return cc_error_make (err, EINVAL, "invalid signal `%s`", text);
      *sig = v;
      return 0;
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (signals); i++)
    if (strcasecmp (signals[i].name, name) == 0)
      {
        *sig = signals[i].sig;
        return 0;
      }
  return cc_error_make (err, EINVAL, "unknown signal `%s`", text);
}

bool
cc_runtime_netns_is_host (const struct cc_runtime_spec *s)
{
  return s->netns && strcmp (s->netns, "host") == 0;
}

const char *
cc_runtime_signal_name (int sig)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (signals); i++)
    if (signals[i].sig == sig)
      return signals[i].name;
  return NULL;
}

static const struct
{
  const char *name;
  enum cc_restart_policy policy;
} restart_policies[] = {
  { "no", CC_RESTART_NO },
  { "always", CC_RESTART_ALWAYS },
  { "on-failure", CC_RESTART_ON_FAILURE },
  { "unless-stopped", CC_RESTART_UNLESS_STOPPED },
};

int
cc_runtime_parse_restart (const char *text, enum cc_restart_policy *policy, int *max, cc_error_t *err)
{
  const char *colon = strchr (text, ':');
  size_t len = colon ? (size_t)(colon - text) : strlen (text);

  for (size_t i = 0; i < CC_N_ELEMENTS (restart_policies); i++)
    {
      if (strlen (restart_policies[i].name) != len || strncmp (restart_policies[i].name, text, len) != 0)
        continue;
      *policy = restart_policies[i].policy;
      *max = 0;
      if (colon == NULL)
        return 0;
      if (*policy != CC_RESTART_ON_FAILURE)
        return cc_error_make (err, EINVAL, "restart policy `%s`: only on-failure takes a count", text);
      char *end = NULL;
      long n = strtol (colon + 1, &end, 10);
      if (colon[1] == '\0' || *end != '\0' || n < 0 || n > 1000000)
        return cc_error_make (err, EINVAL, "restart policy `%s`: invalid count", text);
      *max = (int)n;
      return 0;
    }
  return cc_error_make (err, EINVAL, "unknown restart policy `%s`", text);
}

const char *
cc_runtime_restart_name (enum cc_restart_policy p)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (restart_policies); i++)
    if (restart_policies[i].policy == p)
      return restart_policies[i].name;
  return "no";
}

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "core", RLIMIT_CORE },         { "cpu", RLIMIT_CPU },
  { "data", RLIMIT_DATA },         { "fsize", RLIMIT_FSIZE },
  { "locks", RLIMIT_LOCKS },       { "memlock", RLIMIT_MEMLOCK },
  { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
  { "nofile", RLIMIT_NOFILE },     { "nproc", RLIMIT_NPROC },
  { "rss", RLIMIT_RSS },           { "rtprio", RLIMIT_RTPRIO },
  { "rttime", RLIMIT_RTTIME },     { "sigpending", RLIMIT_SIGPENDING },
  { "stack", RLIMIT_STACK },       { "as", RLIMIT_AS },
};

int
cc_runtime_rlimit_from_name (const char *name)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (rlimit_names); i++)
    if (strcmp (rlimit_names[i].name, name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

const char *
cc_runtime_rlimit_name (int resource)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (rlimit_names); i++)
    if (rlimit_names[i].resource == resource)
      return rlimit_names[i].name;
  return "?";
}

/* Reading, with the key named in every error.  */

static int
get_string (const cJSON *j, const char *key, char **out, cc_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, key);

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (! cJSON_IsString (v))
    return cc_error_make (err, EINVAL, "`%s` must be a string", key);
  *out = xstrdup (v->valuestring);
  return 0;
}

static int
get_strv (const cJSON *j, const char *key, char ***out, cc_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, key), *it;
  cleanup_strv char **r = NULL;

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (! cJSON_IsArray (v))
    return cc_error_make (err, EINVAL, "`%s` must be an array of strings", key);
  r = xzalloc (sizeof (char *));
  cJSON_ArrayForEach (it, v)
  {
    if (! cJSON_IsString (it))
      return cc_error_make (err, EINVAL, "`%s` must be an array of strings", key);
    cc_strv_append (&r, it->valuestring);
  }
  *out = steal_pointer (&r);
  return 0;
}

static int
get_int (const cJSON *j, const char *key, int64_t min, int64_t *out, cc_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, key);

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (! cJSON_IsNumber (v))
    return cc_error_make (err, EINVAL, "`%s` must be an integer", key);
  /* Range first: converting a double beyond int64 is undefined.  */
  if (! (v->valuedouble >= -9.2e18 && v->valuedouble <= 9.2e18))
    return cc_error_make (err, ERANGE, "`%s` out of range", key);
  if (v->valuedouble != (double)(int64_t)v->valuedouble)
    return cc_error_make (err, EINVAL, "`%s` must be an integer", key);
  if ((int64_t)v->valuedouble < min)
    return cc_error_make (err, ERANGE, "`%s` out of range", key);
  *out = (int64_t)v->valuedouble;
  return 0;
}

static int
get_bool (const cJSON *j, const char *key, bool *out, cc_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, key);

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (! cJSON_IsBool (v))
    return cc_error_make (err, EINVAL, "`%s` must be a boolean", key);
  *out = cJSON_IsTrue (v);
  return 0;
}

static int
check_keys (const cJSON *j, const char *what, const char *const *known, size_t n, cc_error_t *err)
{
  const cJSON *it;

  if (! cJSON_IsObject (j))
    return cc_error_make (err, EINVAL, "%s must be an object", what);
  cJSON_ArrayForEach (it, j)
  {
    size_t i;
    for (i = 0; i < n; i++)
      if (strcmp (known[i], it->string) == 0)
        break;
    if (i == n)
      return cc_error_make (err, EINVAL, "%s: unknown key `%s`", what, it->string);
  }
  return 0;
}

static bool
is_absolute (const char *p)
{
  return p != NULL && p[0] == '/';
}

static int
parse_mount (const cJSON *j, struct cc_runtime_mount *m, cc_error_t *err)
{
  static const char *const keys[] = { "type", "source", "target", "options" };

  if (check_keys (j, "mount", keys, CC_N_ELEMENTS (keys), err) < 0 || get_string (j, "type", &m->type, err) < 0
      || get_string (j, "source", &m->source, err) < 0 || get_string (j, "target", &m->target, err) < 0
      || get_strv (j, "options", &m->options, err) < 0)
    return -1;
  if (m->type == NULL || (strcmp (m->type, "bind") != 0 && strcmp (m->type, "tmpfs") != 0))
    return cc_error_make (err, EINVAL, "mount type must be `bind` or `tmpfs`");
  if (m->target == NULL || m->target[0] != '/')
    return cc_error_make (err, EINVAL, "mount target must be an absolute path");
  if (strcmp (m->type, "bind") == 0 && (m->source == NULL || m->source[0] != '/'))
    return cc_error_make (err, EINVAL, "bind mount on `%s`: source must be an absolute path", m->target);
  return 0;
}

static int
parse_mounts (const cJSON *j, struct cc_runtime_spec *s, cc_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, "mounts"), *it;

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (! cJSON_IsArray (v))
    return cc_error_make (err, EINVAL, "`mounts` must be an array");
  s->mounts = xzalloc (sizeof (*s->mounts) * ((size_t)cJSON_GetArraySize (v) + 1));
  cJSON_ArrayForEach (it, v)
  {
    if (parse_mount (it, &s->mounts[s->n_mounts++], err) < 0)
      return cc_error_wrap (err, "mounts[%zu]", s->n_mounts - 1);
  }
  return 0;
}

static int
parse_resources (const cJSON *j, struct cc_runtime_resources *r, cc_error_t *err)
{
  static const char *const keys[] = { "memory", "memory_swap", "cpu_quota", "cpu_period", "cpu_shares", "pids_limit" };
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, "resources");

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (check_keys (v, "resources", keys, CC_N_ELEMENTS (keys), err) < 0 || get_int (v, "memory", 0, &r->memory, err) < 0
      || get_int (v, "memory_swap", -1, &r->memory_swap, err) < 0 || get_int (v, "cpu_quota", 0, &r->cpu_quota, err) < 0
      || get_int (v, "cpu_period", 0, &r->cpu_period, err) < 0 || get_int (v, "cpu_shares", 0, &r->cpu_shares, err) < 0
      || get_int (v, "pids_limit", -1, &r->pids_limit, err) < 0)
    return cc_error_wrap (err, "resources");
  if (r->cpu_period != 0 && (r->cpu_period < 1000 || r->cpu_period > 1000000))
    return cc_error_make (err, ERANGE, "resources: cpu_period must be between 1000 and 1000000 us");
  if (r->cpu_quota != 0 && r->cpu_quota < 1000)
    return cc_error_make (err, ERANGE, "resources: cpu_quota must be at least 1000 us");
  if (r->memory_swap > 0 && r->memory > 0 && r->memory_swap < r->memory)
    return cc_error_make (err, EINVAL, "resources: memory_swap must not be below memory");
  if (r->memory_swap > 0 && r->memory == 0)
    return cc_error_make (err, EINVAL, "resources: memory_swap needs memory");
  return 0;
}

static int
parse_sysctls (const cJSON *j, struct cc_runtime_spec *s, cc_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, "sysctls"), *it;

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (! cJSON_IsObject (v))
    return cc_error_make (err, EINVAL, "`sysctls` must be an object");
  s->sysctls = xzalloc (sizeof (char *));
  cJSON_ArrayForEach (it, v)
  {
    if (! cJSON_IsString (it))
      return cc_error_make (err, EINVAL, "sysctl `%s` must be a string", it->string);
    cc_strv_push (&s->sysctls, xasprintf ("%s=%s", it->string, it->valuestring));
  }
  return 0;
}

static int
parse_ulimits (const cJSON *j, struct cc_runtime_spec *s, cc_error_t *err)
{
  static const char *const keys[] = { "soft", "hard" };
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, "ulimits"), *it;

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (! cJSON_IsObject (v))
    return cc_error_make (err, EINVAL, "`ulimits` must be an object");
  s->rlimits = xzalloc (sizeof (*s->rlimits) * ((size_t)cJSON_GetArraySize (v) + 1));
  cJSON_ArrayForEach (it, v)
  {
    struct cc_runtime_rlimit *r = &s->rlimits[s->n_rlimits++];
    int64_t soft = -1, hard = -1;

    r->resource = cc_runtime_rlimit_from_name (it->string);
    if (r->resource < 0)
      return cc_error_make (err, EINVAL, "unknown ulimit `%s`", it->string);
    if (check_keys (it, it->string, keys, CC_N_ELEMENTS (keys), err) < 0 || get_int (it, "soft", 0, &soft, err) < 0
        || get_int (it, "hard", 0, &hard, err) < 0)
      return cc_error_wrap (err, "ulimits");
    if (soft < 0 || hard < 0)
      return cc_error_make (err, EINVAL, "ulimit `%s` needs soft and hard", it->string);
    if (soft > hard)
      return cc_error_make (err, EINVAL, "ulimit `%s`: soft %lld above hard %lld", it->string, (long long)soft,
                            (long long)hard);
    r->soft = (uint64_t)soft;
    r->hard = (uint64_t)hard;
  }
  return 0;
}

static int
parse_health (const cJSON *j, struct cc_runtime_health *h, cc_error_t *err)
{
  static const char *const keys[]
      = { "test", "interval_ms", "timeout_ms", "retries", "start_period_ms", "start_interval_ms" };
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, "healthcheck");
  int64_t retries = h->retries;

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (check_keys (v, "healthcheck", keys, CC_N_ELEMENTS (keys), err) < 0 || get_strv (v, "test", &h->test, err) < 0
      || get_int (v, "interval_ms", 1, &h->interval_ms, err) < 0
      || get_int (v, "timeout_ms", 1, &h->timeout_ms, err) < 0 || get_int (v, "retries", 0, &retries, err) < 0
      || get_int (v, "start_period_ms", 0, &h->start_period_ms, err) < 0
      || get_int (v, "start_interval_ms", 1, &h->start_interval_ms, err) < 0)
    return cc_error_wrap (err, "healthcheck");
  h->retries = retries > 1000000 ? 1000000 : (int)retries;
  if (h->test && h->test[0] && strcmp (h->test[0], "NONE") == 0)
    {
      cc_strv_free (h->test);
      h->test = NULL;
      return 0;
    }
  if (h->test == NULL || h->test[0] == NULL || h->test[1] == NULL
      || (strcmp (h->test[0], "CMD") != 0 && strcmp (h->test[0], "CMD-SHELL") != 0))
    return cc_error_make (err, EINVAL,
                          "healthcheck: test must be [\"CMD\", args...], [\"CMD-SHELL\", script] or [\"NONE\"]");
  return 0;
}

static int
parse_log (const cJSON *j, struct cc_runtime_spec *s, cc_error_t *err)
{
  static const char *const keys[] = { "max_size", "max_file" };
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, "log");
  int64_t max_file = 1;

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (check_keys (v, "log", keys, CC_N_ELEMENTS (keys), err) < 0
      || get_int (v, "max_size", 0, &s->log_max_size, err) < 0 || get_int (v, "max_file", 1, &max_file, err) < 0)
    return cc_error_wrap (err, "log");
  s->log_max_file = max_file > 100 ? 100 : (int)max_file;
  return 0;
}

static int
parse_misc (const cJSON *j, struct cc_runtime_spec *s, cc_error_t *err)
{
  cleanup_free char *restart = NULL, *stop_signal = NULL;

  if (get_string (j, "restart", &restart, err) < 0 || get_string (j, "stop_signal", &stop_signal, err) < 0
      || get_int (j, "stop_grace_ms", 0, &s->stop_grace_ms, err) < 0
      || get_int (j, "shm_size", 1, &s->shm_size, err) < 0)
    return -1;
  if (restart && cc_runtime_parse_restart (restart, &s->restart, &s->restart_max, err) < 0)
    return -1;
  if (stop_signal && cc_runtime_parse_signal (stop_signal, &s->stop_signal, err) < 0)
    return cc_error_wrap (err, "stop_signal");
  return 0;
}

static int
check_spec (struct cc_runtime_spec *s, cc_error_t *err)
{
  if (s->args == NULL || s->args[0] == NULL)
    return cc_error_make (err, EINVAL, "`args` must name the program to run");
  if ((s->rootfs == NULL) == (s->layers == NULL))
    return cc_error_make (err, EINVAL, "give exactly one of `rootfs` and `layers`");
  if (s->layers && (s->layers[0] == NULL || s->upper == NULL || s->work == NULL))
    return cc_error_make (err, EINVAL, "`layers` needs at least one layer, `upper` and `work`");
  if (s->layers && (strchr (s->upper, ',') || strchr (s->work, ',')))
    return cc_error_make (err, EINVAL, "overlay directories must not contain `,`");
  for (char **l = s->layers; l && *l; l++)
    if ((*l)[0] != '/' || strpbrk (*l, ":,"))
      return cc_error_make (err, EINVAL, "layer `%s`: must be absolute, without `:` or `,`", *l);
  if (s->cwd && ! is_absolute (s->cwd))
    return cc_error_make (err, EINVAL, "`cwd` must be an absolute path");
  if (s->hostname && strlen (s->hostname) > 64)
    return cc_error_make (err, EINVAL, "hostname longer than 64 characters");
  if (s->netns && ! cc_runtime_netns_is_host (s) && s->netns[0] != '/')
    return cc_error_make (err, EINVAL, "`netns` must be an absolute path or \"host\"");
  for (char **e = s->env; e && *e; e++)
    if (strchr (*e, '=') == NULL || **e == '=')
      return cc_error_make (err, EINVAL, "environment entry `%s` is not KEY=VALUE", *e);
  return 0;
}

static void
set_defaults (struct cc_runtime_spec *s)
{
  s->seccomp = true;
  s->stop_signal = SIGTERM;
  s->stop_grace_ms = 10000;
  s->shm_size = 64 * 1024 * 1024;
  s->log_max_file = 1;
  s->health.interval_ms = 30000;
  s->health.timeout_ms = 30000;
  s->health.start_interval_ms = 5000;
  s->health.retries = 3;
}

struct cc_runtime_spec *
cc_runtime_spec_new (void)
{
  struct cc_runtime_spec *s = xzalloc (sizeof (*s));

  set_defaults (s);
  return s;
}

int
cc_runtime_spec_from_json (const cJSON *j, struct cc_runtime_spec **out, cc_error_t *err)
{
  static const char *const keys[]
      = { "rootfs",       "layers",      "upper",    "work",       "args",        "env",
          "cwd",          "user",        "hostname", "domainname", "mounts",      "read_only",
          "shm_size",     "resources",   "cap_add",  "cap_drop",   "privileged",  "no_new_privileges",
          "seccomp",      "sysctls",     "ulimits",  "init",       "stop_signal", "stop_grace_ms",
          "restart",      "healthcheck", "log",      "netns",      "hosts_file",  "resolv_conf",
          "hostname_file" };
  cleanup_runtime_spec struct cc_runtime_spec *s = cc_runtime_spec_new ();

  if (check_keys (j, "spec", keys, CC_N_ELEMENTS (keys), err) < 0)
    return -1;
  if (get_string (j, "rootfs", &s->rootfs, err) < 0 || get_strv (j, "layers", &s->layers, err) < 0
      || get_string (j, "upper", &s->upper, err) < 0 || get_string (j, "work", &s->work, err) < 0
      || get_strv (j, "args", &s->args, err) < 0 || get_strv (j, "env", &s->env, err) < 0
      || get_string (j, "cwd", &s->cwd, err) < 0 || get_string (j, "user", &s->user, err) < 0
      || get_string (j, "hostname", &s->hostname, err) < 0 || get_string (j, "domainname", &s->domainname, err) < 0
      || parse_mounts (j, s, err) < 0 || get_bool (j, "read_only", &s->read_only, err) < 0
      || parse_resources (j, &s->resources, err) < 0 || get_strv (j, "cap_add", &s->cap_add, err) < 0
      || get_strv (j, "cap_drop", &s->cap_drop, err) < 0 || get_bool (j, "privileged", &s->privileged, err) < 0
      || get_bool (j, "no_new_privileges", &s->no_new_privileges, err) < 0
      || get_bool (j, "seccomp", &s->seccomp, err) < 0 || parse_sysctls (j, s, err) < 0 || parse_ulimits (j, s, err) < 0
      || get_bool (j, "init", &s->init, err) < 0 || parse_misc (j, s, err) < 0 || parse_health (j, &s->health, err) < 0
      || parse_log (j, s, err) < 0 || get_string (j, "netns", &s->netns, err) < 0
      || get_string (j, "hosts_file", &s->hosts_file, err) < 0
      || get_string (j, "resolv_conf", &s->resolv_conf, err) < 0
      || get_string (j, "hostname_file", &s->hostname_file, err) < 0 || check_spec (s, err) < 0)
    return cc_error_wrap (err, "container spec");
  *out = steal_pointer (&s);
  return 0;
}

int
cc_runtime_spec_load (const char *path, struct cc_runtime_spec **out, cc_error_t *err)
{
  cleanup_cjson cJSON *j = NULL;

  if (cc_json_load_file (path, &j, err) < 0)
    return -1;
  if (cc_runtime_spec_from_json (j, out, err) < 0)
    return cc_error_wrap (err, "`%s`", path);
  return 0;
}

/* Writing: the inverse of the above, so the monitor reads exactly what
   the engine handed over.  */

static void
put_string (cJSON *j, const char *key, const char *v)
{
  if (v)
    cc_json_set_string (j, key, v);
}

static void
put_strv (cJSON *j, const char *key, char *const *v)
{
  cJSON *a;

  if (v == NULL)
    return;
  a = cJSON_CreateArray ();
  for (; *v; v++)
    cJSON_AddItemToArray (a, cJSON_CreateString (*v));
  cc_json_set (j, key, a);
}

static cJSON *
mounts_to_json (const struct cc_runtime_spec *s)
{
  cJSON *a = cJSON_CreateArray ();

  for (size_t i = 0; i < s->n_mounts; i++)
    {
      cJSON *m = cJSON_CreateObject ();
      put_string (m, "type", s->mounts[i].type);
      put_string (m, "source", s->mounts[i].source);
      put_string (m, "target", s->mounts[i].target);
      put_strv (m, "options", s->mounts[i].options);
      cJSON_AddItemToArray (a, m);
    }
  return a;
}

static cJSON *
resources_to_json (const struct cc_runtime_resources *r)
{
  cJSON *j = cJSON_CreateObject ();

  cc_json_set_int (j, "memory", r->memory);
  cc_json_set_int (j, "memory_swap", r->memory_swap);
  cc_json_set_int (j, "cpu_quota", r->cpu_quota);
  cc_json_set_int (j, "cpu_period", r->cpu_period);
  cc_json_set_int (j, "cpu_shares", r->cpu_shares);
  cc_json_set_int (j, "pids_limit", r->pids_limit);
  return j;
}

static cJSON *
sysctls_to_json (char *const *v)
{
  cJSON *j = cJSON_CreateObject ();

  for (; v && *v; v++)
    {
      cleanup_free char *key = xstrdup (*v);
      char *eq = strchr (key, '=');
      *eq = '\0';
      cc_json_set_string (j, key, eq + 1);
    }
  return j;
}

static cJSON *
ulimits_to_json (const struct cc_runtime_spec *s)
{
  cJSON *j = cJSON_CreateObject ();

  for (size_t i = 0; i < s->n_rlimits; i++)
    {
      cJSON *r = cJSON_CreateObject ();
      cc_json_set_int (r, "soft", (int64_t)s->rlimits[i].soft);
      cc_json_set_int (r, "hard", (int64_t)s->rlimits[i].hard);
      cc_json_set (j, cc_runtime_rlimit_name (s->rlimits[i].resource), r);
    }
  return j;
}

static cJSON *
health_to_json (const struct cc_runtime_health *h)
{
  cJSON *j = cJSON_CreateObject ();

  put_strv (j, "test", h->test);
  cc_json_set_int (j, "interval_ms", h->interval_ms);
  cc_json_set_int (j, "timeout_ms", h->timeout_ms);
  cc_json_set_int (j, "retries", h->retries);
  cc_json_set_int (j, "start_period_ms", h->start_period_ms);
  cc_json_set_int (j, "start_interval_ms", h->start_interval_ms);
  return j;
}

static void
put_misc (cJSON *j, const struct cc_runtime_spec *s)
{
  const char *sig = cc_runtime_signal_name (s->stop_signal);
  cleanup_free char *restart = s->restart == CC_RESTART_ON_FAILURE && s->restart_max > 0
                                   ? xasprintf ("on-failure:%d", s->restart_max)
                                   : xstrdup (cc_runtime_restart_name (s->restart));
  cJSON *log = cJSON_CreateObject ();

  if (s->stop_signal > 0)
    {
      cleanup_free char *name = sig ? xasprintf ("SIG%s", sig) : xasprintf ("%d", s->stop_signal);
      cc_json_set_string (j, "stop_signal", name);
    }
  cc_json_set_int (j, "stop_grace_ms", s->stop_grace_ms);
  cc_json_set_string (j, "restart", restart);
  cc_json_set_int (log, "max_size", s->log_max_size);
  cc_json_set_int (log, "max_file", s->log_max_file);
  cc_json_set (j, "log", log);
}

cJSON *
cc_runtime_spec_to_json (const struct cc_runtime_spec *s)
{
  cJSON *j = cJSON_CreateObject ();

  put_string (j, "rootfs", s->rootfs);
  put_strv (j, "layers", s->layers);
  put_string (j, "upper", s->upper);
  put_string (j, "work", s->work);
  put_strv (j, "args", s->args);
  put_strv (j, "env", s->env);
  put_string (j, "cwd", s->cwd);
  put_string (j, "user", s->user);
  put_string (j, "hostname", s->hostname);
  put_string (j, "domainname", s->domainname);
  cc_json_set (j, "mounts", mounts_to_json (s));
  cc_json_set_bool (j, "read_only", s->read_only);
  cc_json_set_int (j, "shm_size", s->shm_size);
  cc_json_set (j, "resources", resources_to_json (&s->resources));
  put_strv (j, "cap_add", s->cap_add);
  put_strv (j, "cap_drop", s->cap_drop);
  cc_json_set_bool (j, "privileged", s->privileged);
  cc_json_set_bool (j, "no_new_privileges", s->no_new_privileges);
  cc_json_set_bool (j, "seccomp", s->seccomp);
  cc_json_set (j, "sysctls", sysctls_to_json (s->sysctls));
  cc_json_set (j, "ulimits", ulimits_to_json (s));
  cc_json_set_bool (j, "init", s->init);
  put_misc (j, s);
  if (s->health.test)
    cc_json_set (j, "healthcheck", health_to_json (&s->health));
  put_string (j, "netns", s->netns);
  put_string (j, "hosts_file", s->hosts_file);
  put_string (j, "resolv_conf", s->resolv_conf);
  put_string (j, "hostname_file", s->hostname_file);
  return j;
}
