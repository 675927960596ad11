/* Service keys with more than one syntax, each to the one form docker
   compose config prints.  */
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ---- value sets ---------------------------------------------------- */

struct enum_spec
{
  const char *what;
  const char *const *supported; /* NULL-terminated */
  const char *const *known;     /* valid but not honoured yet; NULL-terminated or NULL */
  bool open;                    /* other values are valid too (not honoured) */
};

static bool
in_strv (const char *const *v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

static int
check_enum (struct cc_norm *n, const struct enum_spec *spec, const struct cc_node *v, cJSON *parent, const char *key,
            cc_error_t *err)
{
  cleanup_free char *what = NULL;

  if (v->kind != CC_NODE_SCALAR)
    return cc_error_at (err, v, "`%s` must be a string, not %s", key, cc_node_kind_name (v));
  if (v->is_null)
    return 0;
  if (! in_strv (spec->supported, v->value))
    {
      if (! spec->open && ! in_strv (spec->known, v->value))
        {
          cleanup_free char *list = cc_strv_join ((char *const *)spec->supported, ", ");
          return cc_error_at (err, v, "invalid %s `%s` (%s)", spec->what, v->value, list);
        }
      what = xasprintf ("%s `%s`", spec->what, v->value);
      if (cc_norm_unsupported (n, v, what, err) < 0)
        return -1;
    }
  cc_json_set_string (parent, key, v->value);
  return 0;
}

#define ENUM_KEY(fn, key, spec)                                                                                        \
  int fn (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent, cc_error_t *err)   \
  {                                                                                                                    \
    (void)k;                                                                                                           \
    return check_enum (n, &spec, v, parent, key, err);                                                                 \
  }

static const char *const conditions_ok[] = { "none", "on-failure", "any", NULL };
static const char *const deploy_modes_ok[] = { "replicated", NULL };
static const char *const deploy_modes_known[] = { "global", "replicated-job", "global-job", NULL };
static const char *const log_drivers_ok[] = { "json-file", "local", "none", "syslog", NULL };
static const char *const network_drivers_ok[] = { "bridge", NULL };
static const char *const volume_drivers_ok[] = { "local", NULL };
static const char *const ipam_drivers_ok[] = { "default", NULL };
/* `refresh` goes with pull_refresh_after (the spec's schema); every_... is
   read by cc_norm_key_pull_policy.  */
static const char *const pull_policies_ok[] = { "always", "never",  "missing", "if_not_present",   "build",
                                                "daily",  "weekly", "refresh", "every_<duration>", NULL };

/* deploy.update_config and rollback_config (issue 16).  */
static const char *const update_orders_ok[] = { "start-first", "stop-first", NULL };
static const char *const failure_actions_ok[] = { "rollback", "pause", "continue", NULL };

static const struct enum_spec update_order = { "update order", update_orders_ok, NULL, false };
static const struct enum_spec failure_action = { "failure_action", failure_actions_ok, NULL, false };
static const struct enum_spec restart_condition = { "restart_policy condition", conditions_ok, NULL, false };
static const struct enum_spec deploy_mode = { "deploy mode", deploy_modes_ok, deploy_modes_known, false };
static const struct enum_spec log_driver = { "logging driver", log_drivers_ok, NULL, true };
static const struct enum_spec network_driver = { "network driver", network_drivers_ok, NULL, true };
static const struct enum_spec volume_driver = { "volume driver", volume_drivers_ok, NULL, true };
static const struct enum_spec ipam_driver = { "ipam driver", ipam_drivers_ok, NULL, true };
static const struct enum_spec pull_policy = { "pull_policy", pull_policies_ok, NULL, false };

ENUM_KEY (cc_norm_key_restart_condition, "condition", restart_condition)
ENUM_KEY (cc_norm_key_deploy_mode, "mode", deploy_mode)
ENUM_KEY (cc_norm_key_update_order, "order", update_order)
ENUM_KEY (cc_norm_key_failure_action, "failure_action", failure_action)
ENUM_KEY (cc_norm_key_log_driver, "driver", log_driver)

/* The options of the drivers ccompose has (compose/logging.c); which
   driver takes which is checked with the service (compose/service.c),
   whatever order `driver` and `options` come in.  */
int
cc_norm_key_log_options (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                         cc_error_t *err)
{
  static const char *const honoured[] = { "max-size",       "max-file",
                                          "compress",       "labels",
                                          "labels-regex",   "env",
                                          "env-regex",      "tag",
                                          "mode",           "max-buffer-size",
                                          "syslog-address", "syslog-facility",
                                          "syslog-format",  "cache-disabled",
                                          "cache-max-size", "cache-max-file",
                                          "cache-compress", NULL };
  static const struct cc_schema_key mapping = { "options", CC_KEY_MAPPING, CC_KEY_SUPPORTED, NULL, NULL };
  cJSON *j = NULL;

  (void)k;
  for (size_t i = 0; v->kind == CC_NODE_MAP && i < v->len; i++)
    if (! in_strv (honoured, v->keys[i]->value))
      {
        cleanup_free char *what = xasprintf ("logging option `%s`", v->keys[i]->value);
        if (cc_norm_unsupported (n, v->keys[i], what, err) < 0)
          return -1;
      }
  if (cc_norm_value (n, &mapping, v, &j, err) < 0)
    return -1;
  cc_json_set (parent, "options", j);
  return 0;
}
ENUM_KEY (cc_norm_key_network_driver, "driver", network_driver)
ENUM_KEY (cc_norm_key_volume_driver, "driver", volume_driver)
ENUM_KEY (cc_norm_key_ipam_driver, "driver", ipam_driver)

/* The period of `every_<duration>` and `pull_refresh_after`: compose-go
   reads it with go-str2duration (w, d, h, m, s... combined), so a bad
   one is an error of the file, not of the first pull.  */
static int
check_pull_period (const struct cc_node *v, const char *period, const char *key, cc_error_t *err)
{
  int64_t ns;

  if (cc_parse_duration (period, &ns, err) < 0)
    return cc_error_relocate (err, v, key);
  return 0;
}

int
cc_norm_key_pull_policy (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                         cc_error_t *err)
{
  (void)k;
  if (v->kind == CC_NODE_SCALAR && ! v->is_null && strncmp (v->value, "every_", 6) == 0)
    {
      if (check_pull_period (v, v->value + 6, "pull_policy", err) < 0)
        return -1;
      cc_json_set_string (parent, "pull_policy", v->value);
      return 0;
    }
  return check_enum (n, &pull_policy, v, parent, "pull_policy", err);
}

int
cc_norm_key_pull_refresh_after (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v,
                                cJSON *parent, cc_error_t *err)
{
  (void)n, (void)k;
  if (v->kind != CC_NODE_SCALAR || v->is_null)
    return cc_error_at (err, v, "`pull_refresh_after` must be a duration such as 12h");
  if (check_pull_period (v, v->value, "pull_refresh_after", err) < 0)
    return -1;
  cc_json_set_string (parent, "pull_refresh_after", v->value);
  return 0;
}

int
cc_norm_key_network_mode (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                          cc_error_t *err)
{
  static const char *const modes[] = { "host", "none", NULL };

  (void)n, (void)k;
  if (v->kind != CC_NODE_SCALAR || v->is_null)
    return cc_error_at (err, v, "`network_mode` must be a string");
  if (! in_strv (modes, v->value) && strcmp (v->value, "bridge") != 0 && strncmp (v->value, "service:", 8) != 0
      && strncmp (v->value, "container:", 10) != 0)
    return cc_error_at (err, v, "invalid network_mode `%s` (bridge, host, none, service:NAME, container:NAME)",
                        v->value);
  cc_json_set_string (parent, "network_mode", v->value);
  return 0;
}

int
cc_norm_key_restart (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                     cc_error_t *err)
{
  static const char *const policies[] = { "no", "always", "unless-stopped", "on-failure", NULL };
  const char *colon;
  int64_t tries;

  (void)n, (void)k;
  if (v->kind != CC_NODE_SCALAR || v->is_null)
    return cc_error_at (err, v, "`restart` must be a string");
  colon = strchr (v->value, ':');
  if (colon && strncmp (v->value, "on-failure:", 11) == 0)
    {
      if (cc_parse_int (colon + 1, 0, 1 << 30, &tries, err) < 0)
        return cc_error_relocate (err, v, "restart");
    }
  else if (! in_strv (policies, v->value))
    return cc_error_at (err, v, "invalid restart policy `%s` (no, always, on-failure[:N], unless-stopped)", v->value);
  cc_json_set_string (parent, "restart", v->value);
  return 0;
}

/* ---- commands ------------------------------------------------------ */

int
cc_norm_key_command (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                     cc_error_t *err)
{
  cleanup_strv char **argv = NULL;
  cJSON *arr;

  (void)n;
  if (v->kind == CC_NODE_SCALAR && v->is_null)
    {
      cc_json_set (parent, k->name, cJSON_CreateNull ());
      return 0;
    }
  if (v->kind == CC_NODE_SEQ)
    {
      cJSON *j = NULL;
      if (cc_norm_value (n, &(struct cc_schema_key){ k->name, CC_KEY_LIST, 0, NULL, NULL }, v, &j, err) < 0)
        return -1;
      cc_json_set (parent, k->name, j);
      return 0;
    }
  if (v->kind != CC_NODE_SCALAR)
    return cc_error_at (err, v, "`%s` must be a string or a list, not %s", k->name, cc_node_kind_name (v));
  if (cc_shell_split (v->value, &argv, err) < 0)
    return cc_error_relocate (err, v, k->name);
  arr = cJSON_CreateArray ();
  for (char **a = argv; a && *a; a++)
    cJSON_AddItemToArray (arr, cJSON_CreateString (*a));
  cc_json_set (parent, k->name, arr);
  return 0;
}

int
cc_norm_key_healthcheck_test (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                              cc_error_t *err)
{
  static const char *const kinds[] = { "NONE", "CMD", "CMD-SHELL", NULL };
  cJSON *arr;

  (void)n;
  if (v->kind == CC_NODE_SCALAR && ! v->is_null)
    {
      arr = cJSON_CreateArray ();
      cJSON_AddItemToArray (arr, cJSON_CreateString ("CMD-SHELL"));
      cJSON_AddItemToArray (arr, cJSON_CreateString (v->value));
      cc_json_set (parent, "test", arr);
      return 0;
    }
  if (v->kind != CC_NODE_SEQ || v->len == 0)
    return cc_error_at (err, v, "healthcheck `test` must be a string or a non-empty list");
  if (v->items[0]->kind != CC_NODE_SCALAR || ! in_strv (kinds, v->items[0]->value))
    return cc_error_at (err, v->items[0], "healthcheck `test` must start with NONE, CMD or CMD-SHELL");
  if (cc_norm_value (n, &(struct cc_schema_key){ k->name, CC_KEY_LIST, 0, NULL, NULL }, v, &arr, err) < 0)
    return -1;
  cc_json_set (parent, "test", arr);
  return 0;
}

/* ---- environment --------------------------------------------------- */

static int
read_env_file (struct cc_norm *n, const struct cc_node *entry, cJSON *env, cc_error_t *err)
{
  const struct cc_node *pathn = entry->kind == CC_NODE_MAP ? cc_node_map_get (entry, "path") : entry;
  const struct cc_node *reqn = entry->kind == CC_NODE_MAP ? cc_node_map_get (entry, "required") : NULL;
  const struct cc_node *formatn = entry->kind == CC_NODE_MAP ? cc_node_map_get (entry, "format") : NULL;
  cleanup_free char *path = NULL;
  cleanup_strv char **vars = NULL;
  bool required = true;

  if (pathn == NULL || pathn->kind != CC_NODE_SCALAR || pathn->is_null)
    return cc_error_at (err, entry, "env_file entries need a `path`");
  for (size_t i = 0; entry->kind == CC_NODE_MAP && i < entry->len; i++)
    if (strcmp (entry->keys[i]->value, "path") && strcmp (entry->keys[i]->value, "required")
        && strcmp (entry->keys[i]->value, "format") && strncmp (entry->keys[i]->value, "x-", 2))
      return cc_error_at (err, entry->keys[i], "unknown key `%s` in env_file", entry->keys[i]->value);
  /* Docker Compose knows its own dotenv format and `raw` (docker run
     --env-file's); it refuses any other name.  */
  if (formatn && (formatn->kind != CC_NODE_SCALAR || strcmp (formatn->value, "raw") != 0))
    return cc_error_at (err, formatn, "unsupported env_file format: only `raw` exists");
  if (reqn && (reqn->kind != CC_NODE_SCALAR || cc_parse_bool (reqn->value, &required, err) < 0))
    return reqn->kind == CC_NODE_SCALAR ? cc_error_relocate (err, reqn, "required")
                                        : cc_error_at (err, reqn, "`required` must be a boolean");
  path = cc_resolve_host_path (pathn->value, n->project_dir);
  if (! cc_file_exists (path))
    {
      if (! required)
        return 0;
      return cc_error_at (err, pathn, "env file `%s` not found", path);
    }
  if ((formatn ? cc_envfile_parse_raw (path, n->env, &vars, err) : cc_envfile_parse (path, false, n->env, &vars, err))
      < 0)
    return cc_error_relocate (err, pathn, "env_file");
  for (char **e = vars; e && *e; e++)
    {
      char *eq = strchr (*e, '=');
      cleanup_free char *key = eq ? xstrndup (*e, (size_t)(eq - *e)) : xstrdup (*e);
      cc_json_set_string (env, key, eq ? eq + 1 : "");
    }
  return 0;
}

/* env_file entries first, then `environment:` on top, as DC resolves them.  */
int
cc_norm_service_environment (struct cc_norm *n, const struct cc_node *svc, cJSON *out, cc_error_t *err)
{
  const struct cc_node *files = svc->kind == CC_NODE_MAP ? cc_node_map_get (svc, "env_file") : NULL;
  const struct cc_node *envn = svc->kind == CC_NODE_MAP ? cc_node_map_get (svc, "environment") : NULL;
  cleanup_cjson cJSON *env = cJSON_CreateObject ();
  cleanup_cjson cJSON *own = NULL;

  if (files && files->kind == CC_NODE_SCALAR && ! files->is_null && read_env_file (n, files, env, err) < 0)
    return -1;
  if (files && files->kind == CC_NODE_MAP)
    return cc_error_at (err, files, "`env_file` must be a string or a list");
  for (size_t i = 0; files && files->kind == CC_NODE_SEQ && i < files->len; i++)
    if (read_env_file (n, files->items[i], env, err) < 0)
      return -1;
  if (envn && cc_norm_mapping (envn, n->env, true, &own, err) < 0)
    return -1;
  for (cJSON *it = own ? own->child : NULL; it; it = it->next)
    cc_json_set (env, it->string, cJSON_Duplicate (it, true));
  cc_json_sort_keys (env);
  if (env->child)
    cc_json_set (out, "environment", steal_pointer (&env));
  return 0;
}

/* label_file: KEY=VALUE lines as an env file has them, under the
   service's own `labels:`, which win (as Docker Compose resolves them).  */
int
cc_norm_service_labels (struct cc_norm *n, const struct cc_node *svc, cJSON *out, cc_error_t *err)
{
  const cJSON *files = cJSON_GetObjectItemCaseSensitive (out, "label_file");
  const struct cc_node *at = svc->kind == CC_NODE_MAP ? cc_node_map_get (svc, "label_file") : NULL;
  cJSON *labels = cJSON_GetObjectItemCaseSensitive (out, "labels");
  size_t i = 0;

  for (const cJSON *f = files ? files->child : NULL; f; f = f->next, i++)
    {
      cleanup_free char *path = cc_resolve_host_path (f->valuestring, n->project_dir);
      const struct cc_node *fn = at && at->kind == CC_NODE_SEQ && i < at->len ? at->items[i] : at;
      cleanup_strv char **vars = NULL;
      if (cc_envfile_parse (path, false, n->env, &vars, err) < 0)
        return fn ? cc_error_relocate (err, fn, "label_file") : -1;
      if (labels == NULL)
        labels = cJSON_AddObjectToObject (out, "labels");
      for (char **e = vars; e && *e; e++)
        {
          char *eq = strchr (*e, '=');
          cleanup_free char *key = eq ? xstrndup (*e, (size_t)(eq - *e)) : xstrdup (*e);
          if (! cJSON_GetObjectItemCaseSensitive (labels, key))
            cc_json_set_string (labels, key, eq ? eq + 1 : "");
        }
    }
  if (labels)
    cc_json_sort_keys (labels);
  return 0;
}

/* ---- dependencies, networks, hosts --------------------------------- */

/* cpu_count and cpu_percent: Docker honours them on Windows alone
   (HostConfig.CPUCount, CPUPercent), so no Linux host can.  */
int
cc_norm_key_windows_only (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                          cc_error_t *err)
{
  const struct cc_schema_key as_number = { k->name, CC_KEY_FLOAT, CC_KEY_SUPPORTED, NULL, NULL };
  cleanup_free char *what = xasprintf ("`%s` (Docker honours it on Windows alone)", k->name);
  cJSON *j = NULL;

  if (cc_norm_unsupported (n, v, what, err) < 0 || cc_norm_value (n, &as_number, v, &j, err) < 0)
    return -1;
  cc_json_set (parent, k->name, j);
  return 0;
}

static const struct cc_schema_key dependency_keys[] = {
  { "condition", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "restart", CC_KEY_BOOL, CC_KEY_SUPPORTED, NULL, NULL },
  { "required", CC_KEY_BOOL, CC_KEY_SUPPORTED, NULL, NULL },
};
static const struct cc_schema_table dependency_table
    = { "depends_on", dependency_keys, CC_N_ELEMENTS (dependency_keys) };

static cJSON *
dependency (const char *condition, bool required)
{
  cJSON *d = cJSON_CreateObject ();

  cc_json_set_string (d, "condition", condition);
  cc_json_set_bool (d, "required", required);
  return d;
}

int
cc_norm_key_depends_on (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                        cc_error_t *err)
{
  static const char *const conditions[]
      = { "service_started", "service_healthy", "service_completed_successfully", NULL };
  cleanup_cjson cJSON *deps = cJSON_CreateObject ();

  (void)k;
  if (v->kind == CC_NODE_SEQ)
    for (size_t i = 0; i < v->len; i++)
      {
        if (v->items[i]->kind != CC_NODE_SCALAR || v->items[i]->is_null)
          return cc_error_at (err, v->items[i], "depends_on entries must be service names");
        cc_json_set (deps, v->items[i]->value, dependency ("service_started", true));
      }
  else if (v->kind == CC_NODE_MAP)
    for (size_t i = 0; i < v->len; i++)
      {
        cJSON *d = NULL;
        const char *cond;
        if (cc_norm_object (n, &dependency_table, v->items[i], &d, err) < 0)
          return -1;
        cond = cc_json_get_string (d, "condition");
        if (cond && ! in_strv (conditions, cond))
          {
            cc_error_at (err, cc_node_map_get (v->items[i], "condition"),
                         "invalid depends_on condition `%s` (service_started, service_healthy, "
                         "service_completed_successfully)",
                         cond);
            cJSON_Delete (d);
            return -1;
          }
        if (cond == NULL)
          cc_json_set_string (d, "condition", "service_started");
        if (! cJSON_GetObjectItemCaseSensitive (d, "required"))
          cc_json_set_bool (d, "required", true);
        if (cJSON_IsFalse (cJSON_GetObjectItemCaseSensitive (d, "restart")))
          cJSON_DeleteItemFromObjectCaseSensitive (d, "restart");
        cc_json_set (deps, v->keys[i]->value, d);
      }
  else if (! v->is_null)
    return cc_error_at (err, v, "`depends_on` must be a list or a map, not %s", cc_node_kind_name (v));
  cc_json_sort_keys (deps);
  cc_json_set (parent, "depends_on", steal_pointer (&deps));
  return 0;
}

static const struct cc_schema_key service_network_keys[] = {
  { "aliases", CC_KEY_LIST, CC_KEY_SUPPORTED, NULL, NULL },
  { "ipv4_address", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "ipv6_address", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "priority", CC_KEY_INT, CC_KEY_SUPPORTED, NULL, NULL },
  { "gw_priority", CC_KEY_INT, CC_KEY_SUPPORTED, NULL, NULL },
  { "mac_address", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "link_local_ips", CC_KEY_LIST, CC_KEY_SUPPORTED, NULL, NULL },
  { "driver_opts", CC_KEY_MAPPING, CC_KEY_UNSUPPORTED, NULL, NULL },
  { "interface_name", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
};
static const struct cc_schema_table service_network_table
    = { "service network", service_network_keys, CC_N_ELEMENTS (service_network_keys) };

int
cc_norm_key_service_networks (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                              cc_error_t *err)
{
  cleanup_cjson cJSON *nets = cJSON_CreateObject ();

  (void)k;
  if (v->kind == CC_NODE_SEQ)
    for (size_t i = 0; i < v->len; i++)
      {
        if (v->items[i]->kind != CC_NODE_SCALAR || v->items[i]->is_null)
          return cc_error_at (err, v->items[i], "service networks must be network names");
        cc_json_set (nets, v->items[i]->value, cJSON_CreateNull ());
      }
  else if (v->kind == CC_NODE_MAP)
    for (size_t i = 0; i < v->len; i++)
      {
        cJSON *o = NULL;
        if (v->items[i]->kind == CC_NODE_SCALAR && v->items[i]->is_null)
          o = cJSON_CreateNull ();
        else if (cc_norm_object (n, &service_network_table, v->items[i], &o, err) < 0)
          return -1;
        cc_json_set (nets, v->keys[i]->value, o);
      }
  else if (! v->is_null)
    return cc_error_at (err, v, "`networks` must be a list or a map, not %s", cc_node_kind_name (v));
  cc_json_sort_keys (nets);
  cc_json_set (parent, "networks", steal_pointer (&nets));
  return 0;
}

/* compose-go renders extra_hosts as a sorted list of "host=ip".  Each
   becomes a line of the container's /etc/hosts: as Docker
   (opts.ValidateExtraHost), the address must be an IP address (IPv6 in
   brackets or not) or host-gateway, and the name a host name, so that
   neither can carry a line of its own.  */
static int
add_host (cJSON *arr, const struct cc_node *at, const char *host, const char *ip, cc_error_t *err)
{
  size_t l = strlen (ip);
  cleanup_free char *clean = (l > 2 && ip[0] == '[' && ip[l - 1] == ']') ? xstrndup (ip + 1, l - 2) : xstrdup (ip);
  cleanup_free char *entry = NULL;

  if (! cc_is_host_name (host))
    return cc_error_at (err, at, "extra_hosts: bad host name `%s` (letters, digits, `-`, `_` and dots)", host);
  if (*clean == '\0')
    return cc_error_at (err, at, "extra_hosts: `%s` has no address", host);
  if (strcmp (clean, "host-gateway") != 0 && ! cc_is_ip_address (clean))
    return cc_error_at (err, at, "extra_hosts: the address of `%s` is not an IP address or host-gateway", host);
  entry = xasprintf ("%s=%s", host, clean);
  cJSON_AddItemToArray (arr, cJSON_CreateString (entry));
  return 0;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static cJSON *
sorted_string_array (cJSON *arr)
{
  size_t len = (size_t)cJSON_GetArraySize (arr), i = 0;
  cleanup_free char **v = xzalloc ((len + 1) * sizeof (char *));
  cJSON *out = cJSON_CreateArray ();

  for (cJSON *it = arr->child; it; it = it->next)
    v[i++] = it->valuestring;
  qsort (v, len, sizeof (char *), compare_strings);
  for (i = 0; i < len; i++)
    cJSON_AddItemToArray (out, cJSON_CreateString (v[i]));
  return out;
}

int
cc_norm_key_extra_hosts (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                         cc_error_t *err)
{
  cleanup_cjson cJSON *arr = cJSON_CreateArray ();

  (void)n, (void)k;
  if (v->kind == CC_NODE_SEQ)
    for (size_t i = 0; i < v->len; i++)
      {
        const struct cc_node *it = v->items[i];
        const char *sep = it->kind == CC_NODE_SCALAR ? strpbrk (it->value, "=:") : NULL;
        cleanup_free char *host = NULL;
        /* "=" first: "host=::1" keeps the colons of an IPv6 address.  */
        if (it->kind == CC_NODE_SCALAR && strchr (it->value, '='))
          sep = strchr (it->value, '=');
        if (sep == NULL)
          return cc_error_at (err, it, "extra_hosts entry `%s` needs HOST=IP or HOST:IP",
                              it->kind == CC_NODE_SCALAR ? it->value : "");
        host = xstrndup (it->value, (size_t)(sep - it->value));
        if (add_host (arr, it, host, sep + 1, err) < 0)
          return -1;
      }
  else if (v->kind == CC_NODE_MAP)
    for (size_t i = 0; i < v->len; i++)
      {
        const struct cc_node *val = v->items[i];
        if (val->kind == CC_NODE_SCALAR)
          {
            if (add_host (arr, val, v->keys[i]->value, val->value, err) < 0)
              return -1;
            continue;
          }
        for (size_t j = 0; val->kind == CC_NODE_SEQ && j < val->len; j++)
          {
            if (val->items[j]->kind != CC_NODE_SCALAR)
              return cc_error_at (err, val->items[j], "extra_hosts values must be addresses");
            if (add_host (arr, val->items[j], v->keys[i]->value, val->items[j]->value, err) < 0)
              return -1;
          }
        if (val->kind != CC_NODE_SEQ)
          return cc_error_at (err, val, "extra_hosts values must be addresses");
      }
  else
    return cc_error_at (err, v, "`extra_hosts` must be a list or a map, not %s", cc_node_kind_name (v));
  cc_json_set (parent, "extra_hosts", sorted_string_array (arr));
  return 0;
}

/* ---- limits, files, build ------------------------------------------ */

/* The names Docker accepts (setrlimit resources).  */
static const char *const ulimit_names[] = {
  "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
  "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",    NULL,
};

static int
check_ulimit (const struct cc_node *key, const cJSON *u, cc_error_t *err)
{
  const cJSON *soft = cJSON_GetObjectItemCaseSensitive (u, "soft");
  const cJSON *hard = cJSON_GetObjectItemCaseSensitive (u, "hard");

  if (! in_strv (ulimit_names, key->value))
    {
      const char *best = NULL;
      size_t best_d = 3;
      for (const char *const *n = ulimit_names; *n; n++)
        if (cc_edit_distance (key->value, *n) < best_d)
          best_d = cc_edit_distance (key->value, *n), best = *n;
      if (best)
        return cc_error_at (err, key, "unknown ulimit `%s`: did you mean `%s`?", key->value, best);
      return cc_error_at (err, key, "unknown ulimit `%s`", key->value);
    }
  if (soft && hard && soft->valuedouble > hard->valuedouble)
    return cc_error_at (err, key, "ulimit `%s`: soft limit %.0f is above hard limit %.0f", key->value,
                        soft->valuedouble, hard->valuedouble);
  return 0;
}

int
cc_norm_key_ulimits (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                     cc_error_t *err)
{
  static const struct cc_schema_key soft_hard[] = {
    { "soft", CC_KEY_INT, CC_KEY_SUPPORTED, NULL, NULL },
    { "hard", CC_KEY_INT, CC_KEY_SUPPORTED, NULL, NULL },
  };
  static const struct cc_schema_table table = { "ulimit", soft_hard, CC_N_ELEMENTS (soft_hard) };
  static const struct cc_schema_key single = { "ulimits", CC_KEY_INT, CC_KEY_SUPPORTED, NULL, NULL };
  cleanup_cjson cJSON *o = cJSON_CreateObject ();

  (void)k;
  if (v->kind != CC_NODE_MAP)
    return cc_error_at (err, v, "`ulimits` must be a map, not %s", cc_node_kind_name (v));
  for (size_t i = 0; i < v->len; i++)
    {
      cJSON *u = NULL;
      const struct cc_node *val = v->items[i];
      if (val->kind == CC_NODE_MAP)
        {
          if (cc_norm_object (n, &table, val, &u, err) < 0)
            return -1;
          if (! cJSON_GetObjectItemCaseSensitive (u, "soft") || ! cJSON_GetObjectItemCaseSensitive (u, "hard"))
            {
              cJSON_Delete (u);
              return cc_error_at (err, val, "ulimit `%s` needs both `soft` and `hard`", v->keys[i]->value);
            }
        }
      else if (cc_norm_value (n, &single, val, &u, err) < 0)
        return -1;
      if (check_ulimit (v->keys[i], u, err) < 0)
        {
          cJSON_Delete (u);
          return -1;
        }
      cc_json_set (o, v->keys[i]->value, u);
    }
  cc_json_sort_keys (o);
  cc_json_set (parent, "ulimits", steal_pointer (&o));
  return 0;
}

int
cc_norm_key_path (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                  cc_error_t *err)
{
  cleanup_free char *abs = NULL;

  if (v->kind != CC_NODE_SCALAR || v->is_null)
    return cc_error_at (err, v, "`%s` must be a path", k->name);
  abs = cc_norm_host_path (n, v->value);
  cc_json_set_string (parent, k->name, abs);
  return 0;
}

/* `external: true`, or the legacy `external: {name: x}`, which names the resource.  */
int
cc_norm_key_external (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                      cc_error_t *err)
{
  bool b;
  const char *legacy;

  (void)n, (void)k;
  if (v->kind == CC_NODE_MAP)
    {
      legacy = cc_node_map_get_string (v, "name");
      if (legacy && ! cJSON_GetObjectItemCaseSensitive (parent, "name"))
        cc_json_set_string (parent, "name", legacy);
      b = true;
    }
  else if (v->kind != CC_NODE_SCALAR || cc_parse_bool (v->value, &b, err) < 0)
    return v->kind == CC_NODE_SCALAR ? cc_error_relocate (err, v, "external")
                                     : cc_error_at (err, v, "`external` must be a boolean");
  if (b)
    cc_json_set_bool (parent, "external", true);
  return 0;
}

static const struct cc_schema_key file_ref_keys[] = {
  { "source", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL }, { "target", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "uid", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },    { "gid", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "mode", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
};
static const struct cc_schema_table file_ref_table
    = { "secret or config reference", file_ref_keys, CC_N_ELEMENTS (file_ref_keys) };

/* A list of NAME or {source, target, ...} under KEY; DEFAULT_TARGET:
   a secret without a target gets /run/secrets/<source>.  */
static int
file_refs (struct cc_norm *n, const char *key, bool default_target, const struct cc_node *v, cJSON *parent,
           cc_error_t *err)
{
  cleanup_cjson cJSON *arr = cJSON_CreateArray ();

  if (v->kind != CC_NODE_SEQ)
    return cc_error_at (err, v, "`%s` must be a list, not %s", key, cc_node_kind_name (v));
  for (size_t i = 0; i < v->len; i++)
    {
      cJSON *o = NULL;
      const char *src;
      if (v->items[i]->kind == CC_NODE_SCALAR && ! v->items[i]->is_null)
        {
          o = cJSON_CreateObject ();
          cc_json_set_string (o, "source", v->items[i]->value);
        }
      else if (cc_norm_object (n, &file_ref_table, v->items[i], &o, err) < 0)
        return -1;
      src = cc_json_get_string (o, "source");
      if (src == NULL)
        {
          cJSON_Delete (o);
          return cc_error_at (err, v->items[i], "%s entries need a `source`", key);
        }
      if (default_target && ! cJSON_GetObjectItemCaseSensitive (o, "target"))
        {
          cleanup_free char *t = xasprintf ("/run/secrets/%s", src);
          cc_json_set_string (o, "target", t);
        }
      cJSON_AddItemToArray (arr, o);
    }
  cc_json_set (parent, key, steal_pointer (&arr));
  return 0;
}

/* Service `secrets:` and `configs:`.  */
int
cc_norm_key_file_refs (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                       cc_error_t *err)
{
  return file_refs (n, k->name, strcmp (k->name, "secrets") == 0, v, parent, err);
}

/* Read by the caller with the interpolation environment at hand.  */
static int
skip_key (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent, cc_error_t *err)
{
  (void)n, (void)k, (void)v, (void)parent, (void)err;
  return 0;
}

/* `ssh: [default, id=path]` or `{id: path}`: compose-go's SSHConfig,
   printed "id" or "id: path".  */
static int
norm_build_ssh (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                cc_error_t *err)
{
  cleanup_cjson cJSON *arr = cJSON_CreateArray ();

  (void)n, (void)k;
  if (v->kind != CC_NODE_SEQ && v->kind != CC_NODE_MAP)
    return cc_error_at (err, v, "`ssh` must be a list or a map, not %s", cc_node_kind_name (v));
  for (size_t i = 0; i < v->len; i++)
    {
      const struct cc_node *it = v->items[i];
      cleanup_free char *entry = NULL;
      const char *eq;
      if (it->kind != CC_NODE_SCALAR)
        return cc_error_at (err, it, "`ssh` entries must be strings, not %s", cc_node_kind_name (it));
      if (v->kind == CC_NODE_MAP)
        entry = it->is_null ? xstrdup (v->keys[i]->value) : xasprintf ("%s: %s", v->keys[i]->value, it->value);
      else if ((eq = strchr (it->value, '=')))
        entry = xasprintf ("%.*s: %s", (int)(eq - it->value), it->value, eq + 1);
      else
        entry = xstrdup (it->value);
      cJSON_AddItemToArray (arr, cJSON_CreateString (entry));
    }
  cc_json_set (parent, "ssh", steal_pointer (&arr));
  return 0;
}

/* build.secrets: as a service's, without the default target (BuildKit
   mounts a build secret where RUN --mount=type=secret says).  */
static int
norm_build_secrets (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                    cc_error_t *err)
{
  (void)k;
  return file_refs (n, "secrets", false, v, parent, err);
}

/* In compose-go's field order of BuildConfig: `config` prints them so.  */
static const struct cc_schema_key build_keys[] = {
  { "context", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "dockerfile", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "dockerfile_inline", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "entitlements", CC_KEY_LIST, CC_KEY_SUPPORTED, NULL, NULL },
  { "args", CC_KEY_CUSTOM, CC_KEY_SUPPORTED, NULL, skip_key },
  { "provenance", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "sbom", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "ssh", CC_KEY_CUSTOM, CC_KEY_SUPPORTED, NULL, norm_build_ssh },
  { "labels", CC_KEY_MAPPING, CC_KEY_SUPPORTED, NULL, NULL },
  { "cache_from", CC_KEY_LIST, CC_KEY_SUPPORTED, NULL, NULL },
  { "cache_to", CC_KEY_LIST, CC_KEY_SUPPORTED, NULL, NULL },
  { "no_cache", CC_KEY_BOOL, CC_KEY_SUPPORTED, NULL, NULL },
  { "additional_contexts", CC_KEY_MAPPING, CC_KEY_SUPPORTED, NULL, NULL },
  { "pull", CC_KEY_BOOL, CC_KEY_SUPPORTED, NULL, NULL },
  { "extra_hosts", CC_KEY_CUSTOM, CC_KEY_SUPPORTED, NULL, cc_norm_key_extra_hosts },
  { "isolation", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "network", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "target", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "secrets", CC_KEY_CUSTOM, CC_KEY_SUPPORTED, NULL, norm_build_secrets },
  { "shm_size", CC_KEY_BYTES, CC_KEY_SUPPORTED, NULL, NULL },
  { "tags", CC_KEY_LIST, CC_KEY_SUPPORTED, NULL, NULL },
  { "ulimits", CC_KEY_CUSTOM, CC_KEY_SUPPORTED, NULL, cc_norm_key_ulimits },
  { "platforms", CC_KEY_LIST, CC_KEY_SUPPORTED, NULL, NULL },
  { "privileged", CC_KEY_BOOL, CC_KEY_SUPPORTED, NULL, NULL },
};
static const struct cc_schema_table build_table = { "build", build_keys, CC_N_ELEMENTS (build_keys) };

static bool
is_remote_context (const char *c)
{
  return strstr (c, "://") || strncmp (c, "git@", 4) == 0;
}

/* additional_contexts: directories relative to the project, as
   compose-go resolves them; `docker-image://`, `service:`, URLs kept.  */
static void
absolute_contexts (struct cc_norm *n, cJSON *ctxs)
{
  for (cJSON *it = ctxs ? ctxs->child : NULL; it; it = it->next)
    {
      cleanup_free char *abs = NULL;
      if (! cJSON_IsString (it) || is_remote_context (it->valuestring) || strncmp (it->valuestring, "service:", 8) == 0)
        continue;
      abs = cc_norm_host_path (n, it->valuestring);
      cJSON_SetValuestring (it, abs);
    }
}

/* `build: ./dir` or the map; context made absolute, dockerfile defaulted.  */
int
cc_norm_key_build (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                   cc_error_t *err)
{
  cleanup_cjson cJSON *b = NULL;
  const struct cc_node *args = v->kind == CC_NODE_MAP ? cc_node_map_get (v, "args") : NULL;
  const char *ctx;

  (void)k;
  if (v->kind == CC_NODE_SCALAR && ! v->is_null)
    {
      b = cJSON_CreateObject ();
      cc_json_set_string (b, "context", v->value);
    }
  else
    {
      if (cc_norm_object (n, &build_table, v, &b, err) < 0)
        return -1;
      /* args may name variables from the environment, as environment does.  */
      if (args)
        {
          cJSON *a = NULL;
          if (cc_norm_mapping (args, n->env, true, &a, err) < 0)
            return -1;
          cc_json_set (b, "args", a);
        }
    }
  ctx = cc_json_get_string (b, "context");
  if (ctx == NULL)
    ctx = ".";
  if (! is_remote_context (ctx))
    {
      cleanup_free char *abs = cc_norm_host_path (n, ctx);
      cc_json_set_string (b, "context", abs);
    }
  absolute_contexts (n, cJSON_GetObjectItemCaseSensitive (b, "additional_contexts"));
  if (! (n->opts && n->opts->no_normalize) && ! cJSON_GetObjectItemCaseSensitive (b, "dockerfile")
      && ! cJSON_GetObjectItemCaseSensitive (b, "dockerfile_inline"))
    cc_json_set_string (b, "dockerfile", "Dockerfile");
  cc_json_order_by_table (b, &build_table);
  cc_json_set (parent, "build", steal_pointer (&b));
  return 0;
}

/* Both families of a bridge network can be turned off (Docker 28's
   `enable_ipv4: false`, issue 15); that one of them stays on is
   checked with the network's other keys (validate-values.c).  */
static int
ip_family_key (const struct cc_node *v, const char *key, cJSON *parent, cc_error_t *err)
{
  bool b;

  if (v->kind != CC_NODE_SCALAR || cc_parse_bool (v->value, &b, err) < 0)
    return v->kind == CC_NODE_SCALAR ? cc_error_relocate (err, v, key)
                                     : cc_error_at (err, v, "`%s` must be a boolean", key);
  cc_json_set_bool (parent, key, b);
  return 0;
}

int
cc_norm_key_enable_ipv4 (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                         cc_error_t *err)
{
  (void)n;
  (void)k;
  return ip_family_key (v, "enable_ipv4", parent, err);
}

int
cc_norm_key_enable_ipv6 (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                         cc_error_t *err)
{
  (void)n;
  (void)k;
  return ip_family_key (v, "enable_ipv6", parent, err);
}

/* Why a family of security_opt values is not honoured, for the refusal.  */
static const struct
{
  const char *prefix, *why;
} security_opt_reasons[] = {
  { "apparmor", " (ccompose loads no AppArmor profile: only `apparmor=unconfined`)" },
  { "label", " (ccompose applies no SELinux label: only `label=disable`)" },
  { "seccomp", " (ccompose loads no seccomp profile file: Docker's default or `seccomp=unconfined`)" },
};

static const char *
security_opt_why (const char *value)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (security_opt_reasons); i++)
    {
      size_t l = strlen (security_opt_reasons[i].prefix);
      if (strncmp (value, security_opt_reasons[i].prefix, l) == 0 && (value[l] == '=' || value[l] == ':'))
        return security_opt_reasons[i].why;
    }
  return "";
}

/* Values of security_opt the runtime applies; others would be dropped.  */
int
cc_norm_key_security_opt (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                          cc_error_t *err)
{
  static const char *const honoured[] = {
    "no-new-privileges",
    "no-new-privileges:true",
    "no-new-privileges=true",
    "no-new-privileges:false",
    "no-new-privileges=false",
    "seccomp=unconfined",
    "seccomp:unconfined",
    /* ccompose applies no AppArmor or SELinux profile: asking for none is honoured.  */
    "apparmor=unconfined",
    "apparmor:unconfined",
    "label=disable",
    "label:disable",
    NULL,
  };
  cJSON *list = NULL;

  if (cc_norm_value (n, &(struct cc_schema_key){ k->name, CC_KEY_LIST, 0, NULL, NULL }, v, &list, err) < 0)
    return -1;
  for (size_t i = 0; i < v->len; i++)
    if (! in_strv (honoured, v->items[i]->value))
      {
        cleanup_free char *what
            = xasprintf ("security_opt `%s`%s", v->items[i]->value, security_opt_why (v->items[i]->value));
        if (cc_norm_unsupported (n, v->items[i], what, err) < 0)
          {
            cJSON_Delete (list);
            return -1;
          }
      }
  cc_json_set (parent, "security_opt", list);
  return 0;
}

/* links: ordering and name resolution by service name work; a different
   alias name (`db:database`) is not resolvable yet.  */
int
cc_norm_key_links (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                   cc_error_t *err)
{
  cJSON *list = NULL;

  if (cc_norm_value (n, &(struct cc_schema_key){ k->name, CC_KEY_LIST, 0, NULL, NULL }, v, &list, err) < 0)
    return -1;
  for (size_t i = 0; i < v->len; i++)
    {
      const char *link = v->items[i]->value, *colon = strchr (link, ':');
      if (colon && strncmp (link, colon + 1, (size_t)(colon - link)) != 0)
        {
          cleanup_free char *what = xasprintf ("link alias `%s`", colon + 1);
          if (cc_norm_unsupported (n, v->items[i], what, err) < 0)
            {
              cJSON_Delete (list);
              return -1;
            }
        }
    }
  cc_json_set (parent, "links", list);
  return 0;
}
