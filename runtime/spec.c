/* The container spec: JSON in and out, strictly checked.  */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/paths.h"
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
  cc_strv_free (s->group_add);
  free (s->hostname);
  free (s->domainname);
  for (size_t i = 0; i < s->n_mounts; i++)
    mount_free (&s->mounts[i]);
  free (s->mounts);
  free (s->resources.cpuset_cpus);
  cc_strv_free (s->resources.blkio_weight_device);
  cc_strv_free (s->resources.blkio_read_bps);
  cc_strv_free (s->resources.blkio_write_bps);
  cc_strv_free (s->resources.blkio_read_iops);
  cc_strv_free (s->resources.blkio_write_iops);
  cc_strv_free (s->resources.devices);
  cc_strv_free (s->resources.device_rules);
  free (s->pid_mode);
  free (s->ipc_mode);
  free (s->cgroup_parent);
  free (s->uts_mode);
  cc_strv_free (s->cap_add);
  cc_strv_free (s->cap_drop);
  free (s->log_driver);
  cc_strv_free (s->log_attrs);
  free (s->log_address);
  free (s->log_format);
  free (s->log_tag);
  cc_strv_free (s->sysctls);
  free (s->rlimits);
  cc_strv_free (s->health.test);
  free (s->netns);
  free (s->hosts_file);
  free (s->resolv_conf);
  free (s->hostname_file);
  free (s->owner);
  cc_strv_free (s->on_change);
  cc_strv_free (s->loopback6_ports);
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

/* The JSON shape of the spec: a table per object names each key, its
   kind and the member that holds it, so the reader, the writer and the
   unknown-key check cannot drift apart.  */
enum kind
{
  K_STRING,    /* char * */
  K_STRV,      /* char ** */
  K_BOOL,      /* bool */
  K_INT,       /* int64_t, at least MIN */
  K_SMALL_INT, /* int, at least MIN, larger values lowered to CAP */
  K_OBJECT,    /* a nested struct, described by OBJECT */
  K_CUSTOM,    /* read and written by its own functions */
};

struct field;

struct object
{
  const struct field *fields;
  size_t n_fields;
  /* The object as a whole, once its members are read; may be NULL.  */
  int (*check) (void *obj, cc_error_t *err);
};

struct field
{
  const char *key;
  enum kind kind;
  size_t offset; /* of the member within the object's struct */
  int64_t min, cap;
  const struct object *object;
  /* K_CUSTOM; for K_OBJECT, an optional writer.  */
  int (*read) (const cJSON *j, const struct field *f, void *obj, cc_error_t *err);
  void (*write) (cJSON *j, const struct field *f, const void *obj);
};

/* The offset of member M of T, which must have type TYPE: a table entry
   that names the wrong kind of member does not compile.  */
#define MEMBER(T, m, type)                                                                                             \
  (offsetof (T, m) + 0 * sizeof (char[__builtin_types_compatible_p (__typeof__ (((T *)0)->m), type) ? 1 : -1]))
#define F_STRING(T, key, m)                                                                                            \
  {                                                                                                                    \
    key, K_STRING, MEMBER (T, m, char *), 0, 0, NULL, NULL, NULL                                                       \
  }
#define F_STRV(T, key, m)                                                                                              \
  {                                                                                                                    \
    key, K_STRV, MEMBER (T, m, char **), 0, 0, NULL, NULL, NULL                                                        \
  }
#define F_BOOL(T, key, m)                                                                                              \
  {                                                                                                                    \
    key, K_BOOL, MEMBER (T, m, bool), 0, 0, NULL, NULL, NULL                                                           \
  }
#define F_INT(T, key, m, min)                                                                                          \
  {                                                                                                                    \
    key, K_INT, MEMBER (T, m, int64_t), min, 0, NULL, NULL, NULL                                                       \
  }
#define F_SMALL_INT(T, key, m, min, cap)                                                                               \
  {                                                                                                                    \
    key, K_SMALL_INT, MEMBER (T, m, int), min, cap, NULL, NULL, NULL                                                   \
  }
#define F_OBJECT(key, offset, obj, write)                                                                              \
  {                                                                                                                    \
    key, K_OBJECT, offset, 0, 0, &obj, NULL, write                                                                     \
  }
#define F_CUSTOM(key, read, write)                                                                                     \
  {                                                                                                                    \
    key, K_CUSTOM, 0, 0, 0, NULL, read, write                                                                          \
  }

static void *
member (void *obj, const struct field *f)
{
  return (char *)obj + f->offset;
}

static const void *
const_member (const void *obj, const struct field *f)
{
  return (const char *)obj + f->offset;
}

static int
get_small_int (const cJSON *j, const struct field *f, int *out, cc_error_t *err)
{
  int64_t v = *out;

  if (get_int (j, f->key, f->min, &v, err) < 0)
    return -1;
  *out = v > f->cap ? (int)f->cap : (int)v;
  return 0;
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

static int
check_keys (const cJSON *j, const char *what, const struct object *o, cc_error_t *err)
{
  const cJSON *it;

  if (! cJSON_IsObject (j))
    return cc_error_make (err, EINVAL, "%s must be an object", what);
  cJSON_ArrayForEach (it, j)
  {
    size_t i;
    for (i = 0; i < o->n_fields; i++)
      if (strcmp (o->fields[i].key, it->string) == 0)
        break;
    if (i == o->n_fields)
      return cc_error_make (err, EINVAL, "%s: unknown key `%s`", what, it->string);
  }
  return 0;
}

static int read_members (const cJSON *j, const struct object *o, void *obj, cc_error_t *err);
static cJSON *write_members (const struct object *o, const void *obj);

/* A nested object; absent or null keeps the defaults.  */
static int
read_object (const cJSON *j, const struct field *f, void *obj, cc_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, f->key);

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (check_keys (v, f->key, f->object, err) < 0)
    return -1;
  if (read_members (v, f->object, member (obj, f), err) < 0)
    return cc_error_wrap (err, "%s", f->key);
  return 0;
}

static int
read_field (const cJSON *j, const struct field *f, void *obj, cc_error_t *err)
{
  void *p = member (obj, f);

  switch (f->kind)
    {
    case K_STRING:
      return get_string (j, f->key, p, err);
    case K_STRV:
      return get_strv (j, f->key, p, err);
    case K_BOOL:
      return get_bool (j, f->key, p, err);
    case K_INT:
      return get_int (j, f->key, f->min, p, err);
    case K_SMALL_INT:
      return get_small_int (j, f, p, err);
    case K_OBJECT:
      return read_object (j, f, obj, err);
    case K_CUSTOM:
      break;
    }
  return f->read (j, f, obj, err);
}

/* Strings and lists that are not set are left out; the rest is always
   written.  */
static void
write_field (cJSON *j, const struct field *f, const void *obj)
{
  const void *p = const_member (obj, f);

  if (f->write)
    f->write (j, f, obj);
  else if (f->kind == K_STRING && *(char *const *)p)
    cc_json_set_string (j, f->key, *(char *const *)p);
  else if (f->kind == K_STRV)
    put_strv (j, f->key, *(char **const *)p);
  else if (f->kind == K_BOOL)
    cc_json_set_bool (j, f->key, *(const bool *)p);
  else if (f->kind == K_INT)
    cc_json_set_int (j, f->key, *(const int64_t *)p);
  else if (f->kind == K_SMALL_INT)
    cc_json_set_int (j, f->key, *(const int *)p);
  else if (f->kind == K_OBJECT)
    cc_json_set (j, f->key, write_members (f->object, p));
}

/* O's members of J into OBJ, then the check of the whole.  */
static int
read_members (const cJSON *j, const struct object *o, void *obj, cc_error_t *err)
{
  for (size_t i = 0; i < o->n_fields; i++)
    if (read_field (j, &o->fields[i], obj, err) < 0)
      return -1;
  return o->check ? o->check (obj, err) : 0;
}

static cJSON *
write_members (const struct object *o, const void *obj)
{
  cJSON *j = cJSON_CreateObject ();

  for (size_t i = 0; i < o->n_fields; i++)
    write_field (j, &o->fields[i], obj);
  return j;
}

static bool
is_absolute (const char *p)
{
  return p != NULL && p[0] == '/';
}

/* An image mount's source: its layer dirs, top first, joined with `:`
   as overlay's lowerdir takes them.  A `,` would add overlay options of
   its own.  */
static bool
is_layer_list (const char *s)
{
  if (strchr (s, ',') != NULL)
    return false;
  for (const char *p = s; p; p = strchr (p, ':') ? strchr (p, ':') + 1 : NULL)
    if (*p != '/')
      return false;
  return true;
}

static int
check_mount (void *obj, cc_error_t *err)
{
  const struct cc_runtime_mount *m = obj;

  if (m->type == NULL
      || (strcmp (m->type, "bind") != 0 && strcmp (m->type, "tmpfs") != 0 && strcmp (m->type, "image") != 0))
    return cc_error_make (err, EINVAL, "mount type must be `bind`, `tmpfs` or `image`");
  if (m->target == NULL || m->target[0] != '/')
    return cc_error_make (err, EINVAL, "mount target must be an absolute path");
  if (strcmp (m->type, "tmpfs") != 0 && (m->source == NULL || m->source[0] != '/'))
    return cc_error_make (err, EINVAL, "%s mount on `%s`: source must be an absolute path", m->type, m->target);
  if (strcmp (m->type, "image") == 0 && ! is_layer_list (m->source))
    return cc_error_make (err, EINVAL, "image mount on `%s`: invalid layer list", m->target);
  return 0;
}

static const struct field mount_fields[] = {
  F_STRING (struct cc_runtime_mount, "type", type),
  F_STRING (struct cc_runtime_mount, "source", source),
  F_STRING (struct cc_runtime_mount, "target", target),
  F_STRV (struct cc_runtime_mount, "options", options),
};
static const struct object mount_object = { mount_fields, CC_N_ELEMENTS (mount_fields), check_mount };

static int
read_mounts (const cJSON *j, const struct field *f, void *obj, cc_error_t *err)
{
  struct cc_runtime_spec *s = obj;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, f->key), *it;

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (! cJSON_IsArray (v))
    return cc_error_make (err, EINVAL, "`mounts` must be an array");
  s->mounts = xzalloc (sizeof (*s->mounts) * ((size_t)cJSON_GetArraySize (v) + 1));
  cJSON_ArrayForEach (it, v)
  {
    struct cc_runtime_mount *m = &s->mounts[s->n_mounts++];
    if (check_keys (it, "mount", &mount_object, err) < 0 || read_members (it, &mount_object, m, err) < 0)
      return cc_error_wrap (err, "mounts[%zu]", s->n_mounts - 1);
  }
  return 0;
}

static void
write_mounts (cJSON *j, const struct field *f, const void *obj)
{
  const struct cc_runtime_spec *s = obj;
  cJSON *a = cJSON_CreateArray ();

  for (size_t i = 0; i < s->n_mounts; i++)
    cJSON_AddItemToArray (a, write_members (&mount_object, &s->mounts[i]));
  cc_json_set (j, f->key, a);
}

static int
check_resources (void *obj, cc_error_t *err)
{
  const struct cc_runtime_resources *r = obj;

  if (r->cpu_period != 0 && (r->cpu_period < 1000 || r->cpu_period > 1000000))
    return cc_error_make (err, ERANGE, "cpu_period must be between 1000 and 1000000 us");
  if (r->cpu_quota != 0 && r->cpu_quota < 1000)
    return cc_error_make (err, ERANGE, "cpu_quota must be at least 1000 us");
  if (r->memory_swap > 0 && r->memory > 0 && r->memory_swap < r->memory)
    return cc_error_make (err, EINVAL, "memory_swap must not be below memory");
  if (r->memory_swap > 0 && r->memory == 0)
    return cc_error_make (err, EINVAL, "memory_swap needs memory");
  /* Docker's rule: the soft limit sits below the hard one.  */
  if (r->memory_reservation < 0 || (r->memory > 0 && r->memory_reservation > r->memory))
    return cc_error_make (err, EINVAL, "memory_reservation must be between 0 and memory");
  if (r->memory_swappiness > 100)
    return cc_error_make (err, ERANGE, "memory_swappiness must be between 0 and 100");
  if (r->cpu_rt_runtime > 0 && r->cpu_rt_period > 0 && r->cpu_rt_runtime > r->cpu_rt_period)
    return cc_error_make (err, EINVAL, "cpu_rt_runtime must not exceed cpu_rt_period");
  if (r->blkio_weight != 0 && (r->blkio_weight < 10 || r->blkio_weight > 1000))
    return cc_error_make (err, ERANGE, "blkio_weight must be between 10 and 1000");
  for (char **d = r->devices; d && *d; d++)
    if (cc_dev_parse (*d, NULL, err) < 0)
      return -1;
  for (char **rule = r->device_rules; rule && *rule; rule++)
    if (cc_dev_check_rule (*rule, err) < 0)
      return -1;
  return 0;
}

static const struct field resources_fields[] = {
  F_INT (struct cc_runtime_resources, "memory", memory, 0),
  F_INT (struct cc_runtime_resources, "memory_swap", memory_swap, -1),
  F_INT (struct cc_runtime_resources, "memory_reservation", memory_reservation, 0),
  F_INT (struct cc_runtime_resources, "cpu_quota", cpu_quota, 0),
  F_INT (struct cc_runtime_resources, "cpu_period", cpu_period, 0),
  F_INT (struct cc_runtime_resources, "cpu_shares", cpu_shares, 0),
  F_INT (struct cc_runtime_resources, "pids_limit", pids_limit, -1),
  F_STRING (struct cc_runtime_resources, "cpuset_cpus", cpuset_cpus),
  F_INT (struct cc_runtime_resources, "cpu_rt_runtime", cpu_rt_runtime, 0),
  F_INT (struct cc_runtime_resources, "cpu_rt_period", cpu_rt_period, 0),
  F_INT (struct cc_runtime_resources, "memory_swappiness", memory_swappiness, -1),
  F_BOOL (struct cc_runtime_resources, "oom_kill_disable", oom_kill_disable),
  F_INT (struct cc_runtime_resources, "blkio_weight", blkio_weight, 0),
  F_STRV (struct cc_runtime_resources, "blkio_weight_device", blkio_weight_device),
  F_STRV (struct cc_runtime_resources, "blkio_read_bps", blkio_read_bps),
  F_STRV (struct cc_runtime_resources, "blkio_write_bps", blkio_write_bps),
  F_STRV (struct cc_runtime_resources, "blkio_read_iops", blkio_read_iops),
  F_STRV (struct cc_runtime_resources, "blkio_write_iops", blkio_write_iops),
  F_STRV (struct cc_runtime_resources, "devices", devices),
  F_STRV (struct cc_runtime_resources, "device_rules", device_rules),
};
static const struct object resources_object = { resources_fields, CC_N_ELEMENTS (resources_fields), check_resources };

static int
read_sysctls (const cJSON *j, const struct field *f, void *obj, cc_error_t *err)
{
  struct cc_runtime_spec *s = obj;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, f->key), *it;

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

static void
write_sysctls (cJSON *j, const struct field *f, const void *obj)
{
  const struct cc_runtime_spec *s = obj;
  cJSON *o = cJSON_CreateObject ();

  for (char *const *v = s->sysctls; v && *v; v++)
    {
      cleanup_free char *key = xstrdup (*v);
      char *eq = strchr (key, '=');
      *eq = '\0';
      cc_json_set_string (o, key, eq + 1);
    }
  cc_json_set (j, f->key, o);
}

/* One ulimit as the JSON has it: both bounds required.  */
struct ulimit_json
{
  int64_t soft, hard;
};

static const struct field ulimit_fields[] = {
  F_INT (struct ulimit_json, "soft", soft, 0),
  F_INT (struct ulimit_json, "hard", hard, 0),
};
static const struct object ulimit_object = { ulimit_fields, CC_N_ELEMENTS (ulimit_fields), NULL };

static int
read_ulimit (const cJSON *it, struct cc_runtime_rlimit *r, cc_error_t *err)
{
  struct ulimit_json u = { -1, -1 };

  r->resource = cc_runtime_rlimit_from_name (it->string);
  if (r->resource < 0)
    return cc_error_make (err, EINVAL, "unknown ulimit `%s`", it->string);
  if (check_keys (it, it->string, &ulimit_object, err) < 0 || read_members (it, &ulimit_object, &u, err) < 0)
    return cc_error_wrap (err, "ulimits");
  if (u.soft < 0 || u.hard < 0)
    return cc_error_make (err, EINVAL, "ulimit `%s` needs soft and hard", it->string);
  if (u.soft > u.hard)
    return cc_error_make (err, EINVAL, "ulimit `%s`: soft %lld above hard %lld", it->string, (long long)u.soft,
                          (long long)u.hard);
  r->soft = (uint64_t)u.soft;
  r->hard = (uint64_t)u.hard;
  return 0;
}

static int
read_ulimits (const cJSON *j, const struct field *f, void *obj, cc_error_t *err)
{
  struct cc_runtime_spec *s = obj;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, f->key), *it;

  if (v == NULL || cJSON_IsNull (v))
    return 0;
  if (! cJSON_IsObject (v))
    return cc_error_make (err, EINVAL, "`ulimits` must be an object");
  s->rlimits = xzalloc (sizeof (*s->rlimits) * ((size_t)cJSON_GetArraySize (v) + 1));
  cJSON_ArrayForEach (it, v)
  {
    if (read_ulimit (it, &s->rlimits[s->n_rlimits++], err) < 0)
      return -1;
  }
  return 0;
}

static void
write_ulimits (cJSON *j, const struct field *f, const void *obj)
{
  const struct cc_runtime_spec *s = obj;
  cJSON *o = cJSON_CreateObject ();

  for (size_t i = 0; i < s->n_rlimits; i++)
    {
      struct ulimit_json u = { (int64_t)s->rlimits[i].soft, (int64_t)s->rlimits[i].hard };
      cc_json_set (o, cc_runtime_rlimit_name (s->rlimits[i].resource), write_members (&ulimit_object, &u));
    }
  cc_json_set (j, f->key, o);
}

/* ["NONE"] turns the image's healthcheck off.  */
static int
check_health (void *obj, cc_error_t *err)
{
  struct cc_runtime_health *h = obj;

  if (h->test && h->test[0] && strcmp (h->test[0], "NONE") == 0)
    {
      cc_strv_free (h->test);
      h->test = NULL;
      return 0;
    }
  if (h->test == NULL || h->test[0] == NULL || h->test[1] == NULL
      || (strcmp (h->test[0], "CMD") != 0 && strcmp (h->test[0], "CMD-SHELL") != 0))
    return cc_error_make (err, EINVAL, "test must be [\"CMD\", args...], [\"CMD-SHELL\", script] or [\"NONE\"]");
  return 0;
}

static const struct field health_fields[] = {
  F_STRV (struct cc_runtime_health, "test", test),
  F_INT (struct cc_runtime_health, "interval_ms", interval_ms, 1),
  F_INT (struct cc_runtime_health, "timeout_ms", timeout_ms, 1),
  F_SMALL_INT (struct cc_runtime_health, "retries", retries, 0, 1000000),
  F_INT (struct cc_runtime_health, "start_period_ms", start_period_ms, 0),
  F_INT (struct cc_runtime_health, "start_interval_ms", start_interval_ms, 1),
};
static const struct object health_object = { health_fields, CC_N_ELEMENTS (health_fields), check_health };

/* Only a healthcheck that runs something is written.  */
static void
write_health (cJSON *j, const struct field *f, const void *obj)
{
  const struct cc_runtime_health *h = const_member (obj, f);

  if (h->test)
    cc_json_set (j, f->key, write_members (f->object, h));
}

/* The log options are members of the spec itself.  */
static const struct field log_fields[] = {
  F_STRING (struct cc_runtime_spec, "driver", log_driver),
  F_INT (struct cc_runtime_spec, "max_size", log_max_size, 0),
  F_SMALL_INT (struct cc_runtime_spec, "max_file", log_max_file, 1, 100),
  F_BOOL (struct cc_runtime_spec, "compress", log_compress),
  F_STRV (struct cc_runtime_spec, "attrs", log_attrs),
  F_BOOL (struct cc_runtime_spec, "nonblocking", log_nonblocking),
  F_INT (struct cc_runtime_spec, "max_buffer", log_max_buffer, 0),
  F_STRING (struct cc_runtime_spec, "address", log_address),
  F_SMALL_INT (struct cc_runtime_spec, "facility", log_facility, 0, 23),
  F_STRING (struct cc_runtime_spec, "format", log_format),
  F_STRING (struct cc_runtime_spec, "tag", log_tag),
  F_BOOL (struct cc_runtime_spec, "cache_disabled", log_cache_disabled),
};

/* The drivers the monitor has (runtime/monitor.c); an attribute is a
   name and a value, as the record's "attrs" object needs.  */
static int
check_log (void *obj, cc_error_t *err)
{
  static const char *const drivers[] = { "json-file", "local", "none", "syslog", NULL };
  static const char *const formats[] = { "rfc3164", "rfc5424", "rfc5424micro", NULL };
  const struct cc_runtime_spec *s = obj;
  size_t i = 0, f = 0;

  while (s->log_driver && drivers[i] && strcmp (drivers[i], s->log_driver) != 0)
    i++;
  if (s->log_driver && drivers[i] == NULL)
    return cc_error_make (err, EINVAL, "unknown driver `%s`", s->log_driver);
  while (s->log_format && formats[f] && strcmp (formats[f], s->log_format) != 0)
    f++;
  if (s->log_format && formats[f] == NULL)
    return cc_error_make (err, EINVAL, "unknown syslog format `%s`", s->log_format);
  for (char **a = s->log_attrs; a && *a; a++)
    if (strchr (*a, '=') == NULL || **a == '=')
      return cc_error_make (err, EINVAL, "attribute `%s` is not NAME=VALUE", *a);
  return 0;
}
static const struct object log_object = { log_fields, CC_N_ELEMENTS (log_fields), check_log };

static int
read_stop_signal (const cJSON *j, const struct field *f, void *obj, cc_error_t *err)
{
  struct cc_runtime_spec *s = obj;
  cleanup_free char *text = NULL;

  if (get_string (j, f->key, &text, err) < 0)
    return -1;
  if (text && cc_runtime_parse_signal (text, &s->stop_signal, err) < 0)
    return cc_error_wrap (err, "%s", f->key);
  return 0;
}

static void
write_stop_signal (cJSON *j, const struct field *f, const void *obj)
{
  const struct cc_runtime_spec *s = obj;
  const char *sig = cc_runtime_signal_name (s->stop_signal);
  cleanup_free char *name = NULL;

  if (s->stop_signal <= 0)
    return;
  name = sig ? xasprintf ("SIG%s", sig) : xasprintf ("%d", s->stop_signal);
  cc_json_set_string (j, f->key, name);
}

static int
read_restart (const cJSON *j, const struct field *f, void *obj, cc_error_t *err)
{
  struct cc_runtime_spec *s = obj;
  cleanup_free char *text = NULL;

  if (get_string (j, f->key, &text, err) < 0)
    return -1;
  return text ? cc_runtime_parse_restart (text, &s->restart, &s->restart_max, err) : 0;
}

static void
write_restart (cJSON *j, const struct field *f, const void *obj)
{
  const struct cc_runtime_spec *s = obj;
  cleanup_free char *text = s->restart == CC_RESTART_ON_FAILURE && s->restart_max > 0
                                ? xasprintf ("on-failure:%d", s->restart_max)
                                : xstrdup (cc_runtime_restart_name (s->restart));

  cc_json_set_string (j, f->key, text);
}

/* Pure: the spec check and the fuzz targets use it without the rest of
   runtime/namespaces.c.  */
int
cc_ns_mode_kind (const char *mode)
{
  if (mode == NULL || strcmp (mode, "private") == 0 || strcmp (mode, "shareable") == 0)
    return CC_NS_OWN;
  if (strcmp (mode, "host") == 0)
    return CC_NS_HOST;
  if (strncmp (mode, "container:", 10) == 0 && mode[10] != '\0')
    return CC_NS_CONTAINER;
  return -1;
}

static int
check_ns_mode (const char *key, const char *mode, cc_error_t *err)
{
  if (mode == NULL || cc_ns_mode_kind (mode) >= 0)
    return 0;
  return cc_error_make (err, EINVAL, "`%s` must be \"host\", \"private\", \"shareable\" or \"container:ID\", not `%s`",
                        key, mode);
}

/* Docker's --cgroup-parent: a path below each hierarchy's root, a
   leading `/` or not; `..` would climb out of it (validated again here:
   the spec file is input too).  */
int
cc_cgroup_check_parent (const char *parent, cc_error_t *err)
{
  cleanup_strv char **parts = NULL;

  if (parent == NULL)
    return 0;
  for (const unsigned char *c = (const unsigned char *)parent; *c; c++)
    if (*c < 0x20 || *c == 0x7f)
      return cc_error_make (err, EINVAL, "cgroup_parent `%s`: control character", parent);
  parts = cc_strv_split (parent, '/', true);
  if (parts[0] == NULL)
    return cc_error_make (err, EINVAL, "cgroup_parent `%s`: names no cgroup", parent);
  for (char **p = parts; *p; p++)
    if (strcmp (*p, "..") == 0 || strcmp (*p, ".") == 0)
      return cc_error_make (err, EINVAL, "cgroup_parent `%s`: `%s` is not a cgroup name", parent, *p);
  return 0;
}

static int
check_spec (void *obj, cc_error_t *err)
{
  const struct cc_runtime_spec *s = obj;

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
  if (check_ns_mode ("pid_mode", s->pid_mode, err) < 0 || check_ns_mode ("ipc_mode", s->ipc_mode, err) < 0
      || check_ns_mode ("uts_mode", s->uts_mode, err) < 0)
    return -1;
  if (cc_cgroup_check_parent (s->cgroup_parent, err) < 0)
    return -1;
  if (s->oom_score_adj > 1000)
    return cc_error_make (err, ERANGE, "oom_score_adj must be between -1000 and 1000");
  if (s->netns && ! cc_runtime_netns_is_host (s) && s->netns[0] != '/')
    return cc_error_make (err, EINVAL, "`netns` must be an absolute path or \"host\"");
  for (char **e = s->env; e && *e; e++)
    if (strchr (*e, '=') == NULL || **e == '=')
      return cc_error_make (err, EINVAL, "environment entry `%s` is not KEY=VALUE", *e);
  return 0;
}

#define SPEC struct cc_runtime_spec
/* In the order the spec is written.  */
static const struct field spec_fields[] = {
  F_STRING (SPEC, "rootfs", rootfs),
  F_STRV (SPEC, "layers", layers),
  F_STRING (SPEC, "upper", upper),
  F_STRING (SPEC, "work", work),
  F_STRV (SPEC, "args", args),
  F_STRV (SPEC, "env", env),
  F_STRING (SPEC, "cwd", cwd),
  F_STRING (SPEC, "user", user),
  F_STRV (SPEC, "group_add", group_add),
  F_STRING (SPEC, "hostname", hostname),
  F_STRING (SPEC, "domainname", domainname),
  F_CUSTOM ("mounts", read_mounts, write_mounts),
  F_BOOL (SPEC, "read_only", read_only),
  F_INT (SPEC, "shm_size", shm_size, 1),
  F_OBJECT ("resources", offsetof (SPEC, resources), resources_object, NULL),
  F_INT (SPEC, "oom_score_adj", oom_score_adj, -1000),
  F_BOOL (SPEC, "cgroupns_host", cgroupns_host),
  F_STRING (SPEC, "cgroup_parent", cgroup_parent),
  F_STRING (SPEC, "pid_mode", pid_mode),
  F_STRING (SPEC, "ipc_mode", ipc_mode),
  F_STRING (SPEC, "uts_mode", uts_mode),
  F_STRV (SPEC, "cap_add", cap_add),
  F_STRV (SPEC, "cap_drop", cap_drop),
  F_BOOL (SPEC, "privileged", privileged),
  F_BOOL (SPEC, "no_new_privileges", no_new_privileges),
  F_BOOL (SPEC, "seccomp", seccomp),
  F_CUSTOM ("sysctls", read_sysctls, write_sysctls),
  F_CUSTOM ("ulimits", read_ulimits, write_ulimits),
  F_BOOL (SPEC, "init", init),
  F_BOOL (SPEC, "terminal", terminal),
  F_BOOL (SPEC, "stdin_open", stdin_open),
  F_CUSTOM ("stop_signal", read_stop_signal, write_stop_signal),
  F_INT (SPEC, "stop_grace_ms", stop_grace_ms, 0),
  F_CUSTOM ("restart", read_restart, write_restart),
  F_OBJECT ("log", 0, log_object, NULL),
  F_OBJECT ("healthcheck", offsetof (SPEC, health), health_object, write_health),
  F_STRING (SPEC, "netns", netns),
  F_STRING (SPEC, "hosts_file", hosts_file),
  F_STRING (SPEC, "resolv_conf", resolv_conf),
  F_STRING (SPEC, "hostname_file", hostname_file),
  F_STRING (SPEC, "owner", owner),
  F_STRV (SPEC, "on_change", on_change),
  F_STRV (SPEC, "loopback6_ports", loopback6_ports),
};
#undef SPEC
static const struct object spec_object = { spec_fields, CC_N_ELEMENTS (spec_fields), check_spec };

static void
set_defaults (struct cc_runtime_spec *s)
{
  s->seccomp = true;
  s->stop_signal = SIGTERM;
  s->stop_grace_ms = 10000;
  s->shm_size = 64 * 1024 * 1024;
  s->log_max_file = 1;
  s->log_facility = 3; /* daemon, Docker's default */
  s->resources.memory_swappiness = -1;
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
  cleanup_runtime_spec struct cc_runtime_spec *s = cc_runtime_spec_new ();

  if (check_keys (j, "spec", &spec_object, err) < 0)
    return -1;
  if (read_members (j, &spec_object, s, err) < 0)
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

int
cc_runtime_spec_of (const char *id, struct cc_runtime_spec **out, cc_error_t *err)
{
  cleanup_free char *path = cc_paths_container_spec (id);
  return cc_runtime_spec_load (path, out, err);
}

/* The inverse of cc_runtime_spec_from_json, from the same tables, so the
   monitor reads exactly what the engine handed over.  */
cJSON *
cc_runtime_spec_to_json (const struct cc_runtime_spec *s)
{
  return write_members (&spec_object, s);
}
