/* Every compose key ccompose knows: its shape and whether ccompose honours
   it.  A key marked CC_KEY_UNSUPPORTED is parsed and printed but fails the
   load unless --ignore-unsupported: never silently ignored.  `x-` keys are
   skipped at any level; anything else unknown is an error with a
   suggestion.  */
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

#define KEY(name, type)                                                                                                \
  {                                                                                                                    \
    name, CC_KEY_##type, CC_KEY_SUPPORTED, NULL, NULL                                                                  \
  }
#define NOT_YET(name, type)                                                                                            \
  {                                                                                                                    \
    name, CC_KEY_##type, CC_KEY_UNSUPPORTED, NULL, NULL                                                                \
  }
#define SUB(name, type, table)                                                                                         \
  {                                                                                                                    \
    name, CC_KEY_##type, CC_KEY_SUPPORTED, &table, NULL                                                                \
  }
#define NOT_YET_SUB(name, type, table)                                                                                 \
  {                                                                                                                    \
    name, CC_KEY_##type, CC_KEY_UNSUPPORTED, &table, NULL                                                              \
  }
#define SWARM(name, type)                                                                                              \
  {                                                                                                                    \
    name, CC_KEY_##type, CC_KEY_SWARM, NULL, NULL                                                                      \
  }
#define FN(name, fn)                                                                                                   \
  {                                                                                                                    \
    name, CC_KEY_CUSTOM, CC_KEY_SUPPORTED, NULL, fn                                                                    \
  }
#define NOT_YET_FN(name, fn)                                                                                           \
  {                                                                                                                    \
    name, CC_KEY_CUSTOM, CC_KEY_UNSUPPORTED, NULL, fn                                                                  \
  }
#define TABLE(var, what, keys) const struct cc_schema_table var = { what, keys, CC_N_ELEMENTS (keys) }

/* Keys normalized by cc_norm_service_environment once the whole service is read.  */
static int
deferred (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent, cc_error_t *err)
{
  (void)n, (void)k, (void)v, (void)parent, (void)err;
  return 0;
}

static const struct cc_schema_key healthcheck_keys[] = {
  FN ("test", cc_norm_key_healthcheck_test),
  KEY ("timeout", DURATION),
  KEY ("interval", DURATION),
  KEY ("retries", INT),
  KEY ("start_period", DURATION),
  KEY ("start_interval", DURATION),
  KEY ("disable", BOOL),
};
static TABLE (healthcheck_table, "healthcheck", healthcheck_keys);

static const struct cc_schema_key limit_keys[] = {
  KEY ("cpus", FLOAT),
  KEY ("memory", BYTES),
  KEY ("pids", INT),
  NOT_YET ("devices", ANY),
  NOT_YET ("generic_resources", ANY),
};
static TABLE (limit_table, "limits", limit_keys);

/* Reservations place tasks on Swarm nodes; Compose maps only memory (a
   soft limit) and devices to a container.  */
static const struct cc_schema_key reservation_keys[] = {
  SWARM ("cpus", FLOAT),
  KEY ("memory", BYTES),
  NOT_YET ("pids", INT),
  NOT_YET ("devices", ANY),
  SWARM ("generic_resources", ANY),
};
static TABLE (reservation_table, "reservations", reservation_keys);

static const struct cc_schema_key resources_keys[] = {
  SUB ("limits", OBJECT, limit_table),
  SUB ("reservations", OBJECT, reservation_table),
};
static TABLE (resources_table, "resources", resources_keys);

static const struct cc_schema_key restart_policy_keys[] = {
  FN ("condition", cc_norm_key_restart_condition),
  /* The engine restarts at once, with the monitor's back-off, as
     Docker Compose without Swarm does.  */
  SWARM ("delay", DURATION),
  KEY ("max_attempts", INT),
  SWARM ("window", DURATION),
};
static TABLE (restart_policy_table, "restart_policy", restart_policy_keys);

/* Rolling updates of replicas behind one port (engine/rolling.c).  */
static const struct cc_schema_key update_config_keys[] = {
  KEY ("parallelism", INT),  KEY ("delay", DURATION),          FN ("failure_action", cc_norm_key_failure_action),
  KEY ("monitor", DURATION), KEY ("max_failure_ratio", FLOAT), FN ("order", cc_norm_key_update_order),
};
static TABLE (update_config_table, "update_config", update_config_keys);
static TABLE (rollback_config_table, "rollback_config", update_config_keys);

static const struct cc_schema_key deploy_keys[] = {
  FN ("mode", cc_norm_key_deploy_mode),
  KEY ("replicas", INT),
  /* The Swarm service's labels, not its containers'.  */
  SWARM ("labels", MAPPING),
  SUB ("update_config", OBJECT, update_config_table),
  /* How a failed update brings replaced replicas back (engine/rolling.c).  */
  SUB ("rollback_config", OBJECT, rollback_config_table),
  SUB ("resources", OBJECT, resources_table),
  /* `restart:` when that is absent (engine/container.c).  */
  SUB ("restart_policy", OBJECT, restart_policy_table),
  SWARM ("placement", ANY),
  SWARM ("endpoint_mode", STRING),
};
static TABLE (deploy_table, "deploy", deploy_keys);

static const struct cc_schema_key logging_keys[] = {
  FN ("driver", cc_norm_key_log_driver),
  FN ("options", cc_norm_key_log_options),
};
static TABLE (logging_table, "logging", logging_keys);

static const struct cc_schema_key blkio_weight_keys[] = {
  KEY ("path", STRING),
  KEY ("weight", INT),
};
static TABLE (blkio_weight_table, "weight_device", blkio_weight_keys);

static const struct cc_schema_key blkio_rate_keys[] = {
  KEY ("path", STRING),
  KEY ("rate", BYTES),
};
static TABLE (blkio_rate_table, "blkio device", blkio_rate_keys);

static const struct cc_schema_key blkio_keys[] = {
  KEY ("weight", INT),
  SUB ("weight_device", LIST_OF, blkio_weight_table),
  SUB ("device_read_bps", LIST_OF, blkio_rate_table),
  SUB ("device_write_bps", LIST_OF, blkio_rate_table),
  SUB ("device_read_iops", LIST_OF, blkio_rate_table),
  SUB ("device_write_iops", LIST_OF, blkio_rate_table),
};
static TABLE (blkio_table, "blkio_config", blkio_keys);

/* post_start and pre_stop (Compose 2.30): run through `exec`'s path.  */
static const struct cc_schema_key hook_keys[] = {
  FN ("command", cc_norm_key_command), KEY ("user", STRING),         KEY ("privileged", BOOL),
  KEY ("working_dir", STRING),         KEY ("environment", MAPPING),
};
static TABLE (hook_table, "hook", hook_keys);

/* develop.watch (Compose 2.22): what `watch` does on a change below
   `path`; `exec` is a hook's.  Go's field order, as config prints it.  */
static const struct cc_schema_key watch_keys[] = {
  FN ("path", cc_norm_key_path), KEY ("action", STRING), KEY ("target", STRING),     SUB ("exec", OBJECT, hook_table),
  KEY ("include", LIST),         KEY ("ignore", LIST),   KEY ("initial_sync", BOOL),
};
static TABLE (watch_table, "watch", watch_keys);
static const struct cc_schema_key develop_keys[] = {
  SUB ("watch", LIST_OF, watch_table),
};
static TABLE (develop_table, "develop", develop_keys);

static const struct cc_schema_key service_keys[] = {
  KEY ("annotations", MAPPING),
  KEY ("attach", BOOL),
  FN ("build", cc_norm_key_build),
  SUB ("blkio_config", OBJECT, blkio_table),
  KEY ("cap_add", LIST),
  KEY ("cap_drop", LIST),
  KEY ("cgroup", STRING),
  KEY ("cgroup_parent", STRING),
  FN ("command", cc_norm_key_command),
  FN ("configs", cc_norm_key_file_refs),
  KEY ("container_name", STRING),
  FN ("cpu_count", cc_norm_key_windows_only),
  FN ("cpu_percent", cc_norm_key_windows_only),
  KEY ("cpu_period", INT),
  KEY ("cpu_quota", INT),
  KEY ("cpu_rt_period", INT),
  KEY ("cpu_rt_runtime", INT),
  KEY ("cpu_shares", INT),
  KEY ("cpus", FLOAT),
  KEY ("cpuset", STRING),
  NOT_YET ("credential_spec", ANY),
  FN ("depends_on", cc_norm_key_depends_on),
  SUB ("deploy", OBJECT, deploy_table),
  SUB ("develop", OBJECT, develop_table),
  KEY ("device_cgroup_rules", LIST),
  KEY ("devices", ANY),
  KEY ("dns", STRING_LIST),
  KEY ("dns_opt", LIST),
  KEY ("dns_search", STRING_LIST),
  KEY ("domainname", STRING),
  FN ("entrypoint", cc_norm_key_command),
  FN ("env_file", deferred),
  FN ("environment", deferred),
  KEY ("expose", LIST),
  FN ("extends", deferred),
  KEY ("external_links", LIST),
  FN ("extra_hosts", cc_norm_key_extra_hosts),
  NOT_YET ("gpus", ANY),
  KEY ("group_add", LIST),
  SUB ("healthcheck", OBJECT, healthcheck_table),
  KEY ("hostname", STRING),
  KEY ("image", STRING),
  KEY ("init", BOOL),
  KEY ("ipc", STRING),
  NOT_YET ("isolation", STRING),
  KEY ("label_file", STRING_LIST),
  KEY ("labels", MAPPING),
  FN ("links", cc_norm_key_links),
  SUB ("logging", OBJECT, logging_table),
  KEY ("mac_address", STRING),
  KEY ("mem_limit", BYTES),
  KEY ("mem_reservation", BYTES),
  KEY ("mem_swappiness", INT),
  KEY ("memswap_limit", BYTES),
  NOT_YET ("models", ANY),
  FN ("network_mode", cc_norm_key_network_mode),
  FN ("networks", cc_norm_key_service_networks),
  KEY ("oom_kill_disable", BOOL),
  KEY ("oom_score_adj", INT),
  KEY ("pid", STRING),
  KEY ("pids_limit", INT),
  KEY ("platform", STRING),
  FN ("ports", cc_norm_key_ports),
  SUB ("post_start", LIST_OF, hook_table),
  SUB ("pre_stop", LIST_OF, hook_table),
  KEY ("privileged", BOOL),
  KEY ("profiles", LIST),
  NOT_YET ("provider", ANY),
  FN ("pull_policy", cc_norm_key_pull_policy),
  FN ("pull_refresh_after", cc_norm_key_pull_refresh_after),
  KEY ("read_only", BOOL),
  FN ("restart", cc_norm_key_restart),
  NOT_YET ("runtime", STRING),
  KEY ("scale", INT),
  FN ("secrets", cc_norm_key_file_refs),
  FN ("security_opt", cc_norm_key_security_opt),
  KEY ("shm_size", BYTES),
  KEY ("stdin_open", BOOL),
  KEY ("stop_grace_period", DURATION),
  KEY ("stop_signal", STRING),
  NOT_YET ("storage_opt", MAPPING),
  KEY ("sysctls", MAPPING),
  KEY ("tmpfs", STRING_LIST),
  KEY ("tty", BOOL),
  FN ("ulimits", cc_norm_key_ulimits),
  NOT_YET ("use_api_socket", BOOL),
  KEY ("user", STRING),
  KEY ("userns_mode", STRING),
  KEY ("uts", STRING),
  NOT_YET ("volume_driver", STRING),
  FN ("volumes", cc_norm_key_volumes),
  KEY ("volumes_from", LIST),
  KEY ("working_dir", STRING),
};
TABLE (cc_schema_service, "service", service_keys);

static const struct cc_schema_key ipam_pool_keys[] = {
  KEY ("subnet", STRING),
  KEY ("gateway", STRING),
  KEY ("ip_range", STRING),
  KEY ("aux_addresses", MAPPING),
};
static TABLE (ipam_pool_table, "ipam config", ipam_pool_keys);

static const struct cc_schema_key ipam_keys[] = {
  FN ("driver", cc_norm_key_ipam_driver),
  SUB ("config", LIST_OF, ipam_pool_table),
  NOT_YET ("options", MAPPING),
};
static TABLE (ipam_table, "ipam", ipam_keys);

static const struct cc_schema_key network_keys[] = {
  KEY ("name", STRING),
  FN ("driver", cc_norm_key_network_driver),
  /* The bridge driver's (compose/bridge-opts.c checks them).  */
  KEY ("driver_opts", MAPPING),
  SUB ("ipam", OBJECT, ipam_table),
  FN ("external", cc_norm_key_external),
  KEY ("internal", BOOL),
  KEY ("attachable", BOOL),
  KEY ("labels", MAPPING),
  FN ("enable_ipv4", cc_norm_key_enable_ipv4),
  FN ("enable_ipv6", cc_norm_key_enable_ipv6),
};
static TABLE (network_table, "network", network_keys);

static const struct cc_schema_key volume_keys[] = {
  KEY ("name", STRING),
  FN ("driver", cc_norm_key_volume_driver),
  /* The local driver's type/o/device (volumes/driver.c checks them).  */
  KEY ("driver_opts", MAPPING),
  FN ("external", cc_norm_key_external),
  KEY ("labels", MAPPING),
};
static TABLE (volume_table, "volume", volume_keys);

static const struct cc_schema_key file_object_keys[] = {
  KEY ("name", STRING),       FN ("file", cc_norm_key_path),         KEY ("environment", STRING),
  KEY ("content", STRING),    FN ("external", cc_norm_key_external), KEY ("labels", MAPPING),
  NOT_YET ("driver", STRING), NOT_YET ("driver_opts", MAPPING),      NOT_YET ("template_driver", STRING),
};
static TABLE (file_object_table, "secret or config", file_object_keys);

static const struct cc_schema_key top_keys[] = {
  KEY ("version", STRING),
  KEY ("name", STRING),
  FN ("include", deferred),
  SUB ("services", MAP_OF, cc_schema_service),
  SUB ("networks", MAP_OF, network_table),
  SUB ("volumes", MAP_OF, volume_table),
  SUB ("secrets", MAP_OF, file_object_table),
  SUB ("configs", MAP_OF, file_object_table),
  NOT_YET ("models", ANY),
};
TABLE (cc_schema_top, "top level", top_keys);

const struct cc_schema_key *
cc_schema_find (const struct cc_schema_table *t, const char *name)
{
  for (size_t i = 0; i < t->n_keys; i++)
    if (strcmp (t->keys[i].name, name) == 0)
      return &t->keys[i];
  return NULL;
}

/* Levenshtein distance with one row, enough for key names.  */
size_t
cc_edit_distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  cleanup_free size_t *row = xmalloc ((lb + 1) * sizeof (size_t));

  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++)
    {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= lb; j++)
        {
          size_t up = row[j];
          size_t best = diag + (a[i - 1] != b[j - 1]);
          if (up + 1 < best)
            best = up + 1;
          if (row[j - 1] + 1 < best)
            best = row[j - 1] + 1;
          row[j] = best;
          diag = up;
        }
    }
  return row[lb];
}

const char *
cc_schema_suggest (const struct cc_schema_table *t, const char *name)
{
  const char *best = NULL;
  size_t best_d = 3;

  for (size_t i = 0; i < t->n_keys; i++)
    {
      size_t d = cc_edit_distance (name, t->keys[i].name);
      if (d < best_d)
        {
          best_d = d;
          best = t->keys[i].name;
        }
    }
  return best;
}
