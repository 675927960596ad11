/* The typed view of the normalized model: what the engine, the CLI and
   the builder read instead of the model's JSON.  Built once when the
   project loads (compose/project.c) from the normalized JSON, which stays
   for `config` output and the config hash.  Every value is already
   checked by the normalization: reading a field never fails, and a value
   ccompose cannot honour was refused there, with its file:line:col.
   Included through compose/compose.h.

   Conventions: strings are NULL when the key is not set; string vectors
   are NULL-terminated, NULL when not set (`command: []` is set and
   empty); numbers use -1 (durations, counts) or 0 (sizes, limits) for
   "not set", as each field says; durations are milliseconds.  Everything
   a view holds is owned by the view (cc_service_free).  */
#ifndef CC_COMPOSE_SERVICE_H
#define CC_COMPOSE_SERVICE_H

#include <cJSON.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* Where a value was written.  FILE is NULL when unknown (a view made
   from a config read back from the project state); it is interned and
   lives as long as the process.  */
struct cc_pos
{
  const char *file;
  int line, col;
};

/* "file:line:col: MESSAGE", with the source line and a caret when the
   file was loaded in this process; the bare message without a position.
   Returns -1.  */
int cc_compose_error_at (cc_error_t *err, const struct cc_pos *at, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* The same, as a warning on stderr.  */
void cc_compose_warn_at (const struct cc_pos *at, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* NAME=VALUE pairs (environment, labels, sysctls, options...), sorted by
   name as the model keeps them.  VALUE is NULL for a name given without
   one (`environment: [DEBUG]` with DEBUG unset).  */
struct cc_kv
{
  const char *name, *value;
};
struct cc_kv_list
{
  size_t n;
  struct cc_kv *items;
};
/* The value of NAME, or NULL (also when it has none).  */
const char *cc_kv_get (const struct cc_kv_list *l, const char *name);

/* ---- ports -------------------------------------------------------------- */

enum cc_port_protocol
{
  CC_PORT_TCP,
  CC_PORT_UDP,
  CC_PORT_SCTP,
};

enum cc_port_mode
{
  CC_PORT_MODE_INGRESS,
  CC_PORT_MODE_HOST,
};

/* One port as Docker's grammar has it, short ("[HOST_IP:][HOST[-END]:]
   CONTAINER[-END][/PROTO]", HOST_IP in brackets when IPv6) or long.
   PUBLISHED 0 means no host port was given: one is chosen when the
   container is attached (as for "0").  */
struct cc_port
{
  char host_ip[INET6_ADDRSTRLEN]; /* "" = every address; IPv6 without brackets */
  uint16_t published, published_end;
  uint16_t target, target_end;
  enum cc_port_protocol protocol;
  enum cc_port_mode mode;
  const char *name, *app_protocol; /* long syntax only */
  struct cc_pos pos;
};

/* The one port grammar (ports.c): a short-syntax string, as a service's
   `ports:` and `run -p` / `--publish` take it.  Refuses what Docker
   refuses; what ccompose cannot publish (sctp, udp on the IPv6
   loopback) is the publisher's to refuse (engine/ports.c), so that `config` prints it
   as Docker does.  NAME and APP_PROTOCOL stay NULL.  */
int cc_port_parse (const char *spec, struct cc_port *out, cc_error_t *err);
const char *cc_port_protocol_name (enum cc_port_protocol p);
/* P in the short syntax, for messages: "[::1]:8080:80/tcp".  */
char *cc_port_format (const struct cc_port *p);
/* Whether HOST_IP is an IPv6 address.  */
bool cc_port_has_ipv6_host (const struct cc_port *p);

/* ---- mounts -------------------------------------------------------------- */

enum cc_mount_type
{
  CC_MOUNT_TYPE_BIND,
  CC_MOUNT_TYPE_VOLUME,
  CC_MOUNT_TYPE_TMPFS,
  CC_MOUNT_TYPE_IMAGE,
  CC_MOUNT_TYPE_NPIPE,
  CC_MOUNT_TYPE_CLUSTER,
};
const char *cc_mount_type_name (enum cc_mount_type t);

/* One entry of a service's `volumes:` in the long form.  */
struct cc_mount
{
  enum cc_mount_type type;
  const char *source; /* bind: absolute host path; volume: top-level key, NULL = anonymous */
  const char *target; /* absolute, cleaned */
  bool read_only;
  const char *consistency;
  struct
  {
    const char *propagation, *selinux, *recursive;
    bool create_host_path;
  } bind;
  struct
  {
    bool nocopy;
    const char *subpath;
    struct cc_kv_list labels;
  } volume;
  struct
  {
    int64_t size; /* bytes, 0 = no limit */
    int64_t mode; /* -1 = not set */
  } tmpfs;
  struct
  {
    const char *subpath;
  } image;
  struct cc_pos pos;
};

/* One entry of `post_start` or `pre_stop`: a command run as `exec` runs
   one.  */
struct cc_hook
{
  char *const *command;
  const char *user, *working_dir; /* NULL: the container's */
  bool privileged;
  struct cc_kv_list environment;
};

/* develop.watch: what `watch` does when a file below PATH changes.  */
enum cc_watch_action
{
  CC_WATCH_SYNC,         /* copy into the container's TARGET (deletions too) */
  CC_WATCH_REBUILD,      /* build the image, recreate the containers */
  CC_WATCH_RESTART,      /* restart the containers */
  CC_WATCH_SYNC_RESTART, /* sync, then restart */
  CC_WATCH_SYNC_EXEC,    /* sync, then run EXEC in each container */
};
struct cc_watch_rule
{
  const char *path;   /* absolute, on the host */
  const char *target; /* absolute, in the container; NULL unless a sync */
  enum cc_watch_action action;
  char *const *ignore, *const *include; /* .dockerignore patterns, relative to PATH; NULL: none */
  struct cc_hook exec;                  /* sync+exec */
  bool initial_sync;
};

/* `tmpfs: ["/run:size=64k,mode=1777"]`: a target and its mount options.  */
struct cc_tmpfs
{
  const char *target;
  char *const *options; /* never NULL */
};

/* ---- lifecycle ------------------------------------------------------------ */

struct cc_healthcheck
{
  bool disable;
  char *const *test; /* ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"]; NULL: the image's */
  int64_t interval_ms, timeout_ms, start_period_ms, start_interval_ms; /* -1: not set */
  int64_t retries;                                                     /* -1: not set */
};

enum cc_restart_mode
{
  CC_RESTART_MODE_NO,
  CC_RESTART_MODE_ALWAYS,
  CC_RESTART_MODE_ON_FAILURE,
  CC_RESTART_MODE_UNLESS_STOPPED,
};
const char *cc_restart_name (enum cc_restart_mode r);

struct cc_restart_rule
{
  bool set;
  enum cc_restart_mode mode;
  int64_t max_retries; /* on-failure:N; 0 = unbounded */
};

enum cc_depends_condition
{
  CC_DEPENDS_STARTED,
  CC_DEPENDS_HEALTHY,
  CC_DEPENDS_COMPLETED,
};
/* "service_started", "service_healthy", "service_completed_successfully".  */
const char *cc_depends_condition_name (enum cc_depends_condition c);

struct cc_dependency
{
  const char *service;
  enum cc_depends_condition condition;
  bool restart, required;
};

enum cc_pull_policy
{
  CC_PULL_DEFAULT, /* not set: missing */
  CC_PULL_ALWAYS,
  CC_PULL_NEVER,
  CC_PULL_MISSING,
  CC_PULL_IF_NOT_PRESENT,
  CC_PULL_BUILD,
  CC_PULL_DAILY,
  CC_PULL_WEEKLY,
  CC_PULL_EVERY,
  CC_PULL_REFRESH, /* with pull_refresh_after (else `missing`, as compose-go) */
};
/* The policy as written ("missing", "every_12h"...), NULL for the default.  */
const char *cc_pull_policy_name (enum cc_pull_policy p);

/* ---- deploy ---------------------------------------------------------------- */

enum cc_deploy_mode
{
  CC_DEPLOY_REPLICATED,
  CC_DEPLOY_GLOBAL,
  CC_DEPLOY_REPLICATED_JOB,
  CC_DEPLOY_GLOBAL_JOB,
};

struct cc_resource_spec
{
  double cpus;    /* 0: not set */
  int64_t memory; /* bytes; 0: not set */
  int64_t pids;   /* 0: not set */
};

enum cc_restart_condition
{
  CC_CONDITION_ANY, /* Swarm's default */
  CC_CONDITION_NONE,
  CC_CONDITION_ON_FAILURE,
};

/* update_config and rollback_config (Swarm's rolling updates).  */
struct cc_update_config
{
  bool set;
  int64_t parallelism;        /* -1: not set (1) */
  int64_t delay_ms;           /* -1: not set */
  const char *failure_action; /* pause, continue, rollback */
  int64_t monitor_ms;         /* -1: not set */
  double max_failure_ratio;
  const char *order; /* stop-first, start-first */
};

struct cc_deploy
{
  bool set;
  enum cc_deploy_mode mode;
  int64_t replicas; /* -1: not set */
  struct cc_kv_list labels;
  struct cc_resource_spec limits, reservations;
  struct
  {
    bool set;
    enum cc_restart_condition condition;
    int64_t delay_ms, window_ms; /* -1: not set */
    int64_t max_attempts;        /* -1: not set */
  } restart_policy;
  struct cc_update_config update_config, rollback_config;
  struct
  {
    char *const *constraints;
    char *const *preferences;      /* spread values */
    int64_t max_replicas_per_node; /* -1: not set */
  } placement;
  const char *endpoint_mode;
};

/* ---- networking --------------------------------------------------------------- */

enum cc_network_mode
{
  CC_NETWORK_MODE_DEFAULT, /* not set: the service's networks (bridges) */
  CC_NETWORK_MODE_BRIDGE,
  CC_NETWORK_MODE_HOST,
  CC_NETWORK_MODE_NONE,
  CC_NETWORK_MODE_SERVICE,   /* service:TARGET */
  CC_NETWORK_MODE_CONTAINER, /* container:TARGET */
};

/* One entry of a service's `networks:`, in the order they are connected
   (higher `priority` first, then by key); the first one carries the
   service-level `mac_address` unless it gives its own.  */
struct cc_service_network
{
  const char *key;      /* the top-level network's key */
  char *const *aliases; /* never NULL */
  const char *ipv4_address, *ipv6_address, *mac_address, *interface_name;
  char *const *link_local_ips;
  int64_t priority, gw_priority; /* 0: not set */
  struct cc_kv_list driver_opts;
};

/* extra_hosts: HOST -> IP (or "host-gateway"), sorted as the model keeps them.  */
struct cc_extra_host
{
  const char *host, *ip;
};

/* ---- limits and security --------------------------------------------------------- */

struct cc_ulimit
{
  const char *name;
  int64_t soft, hard; /* -1: unlimited */
};

/* security_opt, read: what the runtime applies, and the list as written.  */
struct cc_security_opts
{
  int no_new_privileges; /* -1: not set, 0 or 1 */
  bool seccomp_unconfined, apparmor_unconfined, label_disable;
  char *const *raw; /* never NULL */
};

/* secrets: and configs: of a service.  */
struct cc_file_ref
{
  const char *source, *target, *uid, *gid;
  int64_t mode; /* -1: not set */
};

struct cc_device
{
  const char *source, *target, *permissions;
};

/* ---- build ----------------------------------------------------------------------- */

struct cc_build
{
  const char *context; /* absolute, or a remote URL */
  const char *dockerfile, *dockerfile_inline;
  struct cc_kv_list args, labels, additional_contexts;
  const char *target, *network, *isolation;
  char *const *tags, *const *platforms, *const *cache_from, *const *cache_to, *const *entitlements;
  bool no_cache, pull, privileged;
  int64_t shm_size; /* 0: not set */
  struct cc_extra_host *extra_hosts;
  size_t n_extra_hosts;
  struct cc_ulimit *ulimits;
  size_t n_ulimits;
  struct cc_file_ref *secrets; /* {source, target}; ids of top-level secrets */
  size_t n_secrets;
  char *const *ssh; /* "default" or "ID: PATH", as compose-go prints them */
  const char *provenance, *sbom;
  struct cc_pos pos; /* of `build:` */
  /* Where each key was written, for the commands that refuse one.  */
  struct cc_build_key_pos
  {
    const char *key;
    struct cc_pos pos;
  } * key_pos;
  size_t n_key_pos;
};

/* Where KEY of B was written; `build:` itself when KEY was not (the
   short form, or a view read back from the state).  */
struct cc_pos cc_build_pos (const struct cc_build *b, const char *key);

/* ---- the service ----------------------------------------------------------------- */

/* blkio_config's device lists: a device node and a weight or a rate.  */
enum cc_blkio_list
{
  CC_BLKIO_WEIGHT_DEVICE,
  CC_BLKIO_READ_BPS,
  CC_BLKIO_WRITE_BPS,
  CC_BLKIO_READ_IOPS,
  CC_BLKIO_WRITE_IOPS,
  CC_BLKIO_N_LISTS,
};

struct cc_blkio_device
{
  const char *path;
  int64_t value;
};

struct cc_blkio
{
  int64_t weight; /* 0: not set */
  struct cc_blkio_device *lists[CC_BLKIO_N_LISTS];
  size_t n[CC_BLKIO_N_LISTS];
};

struct cc_service_mem;

struct cc_service
{
  const char *name;
  const cJSON *json; /* the normalized config it was read from (config hash, state) */
  struct cc_pos pos;

  /* image and process */
  const char *image;
  struct cc_build *build; /* NULL: none */
  enum cc_pull_policy pull_policy;
  const char *pull; /* the policy for cc_image_ensure: as written, every_<d> for pull_refresh_after; NULL: missing */
  int64_t pull_every_ms; /* daily, weekly, every_<d>, pull_refresh_after; else -1 */
  const char *platform;
  struct cc_pos platform_pos;
  char *const *command, *const *entrypoint;
  struct cc_kv_list environment;
  const char *working_dir, *user;
  char *const *group_add;
  bool init, tty, stdin_open, privileged, read_only;
  int attach; /* -1: not set */
  struct cc_hook *post_start, *pre_stop;
  size_t n_post_start, n_pre_stop;
  struct cc_watch_rule *watch; /* develop.watch, in order */
  size_t n_watch;
  const char *stop_signal;      /* NULL: the image's, else SIGTERM */
  int64_t stop_grace_period_ms; /* -1: not set (10 s) */
  struct cc_healthcheck healthcheck;
  bool has_healthcheck; /* `healthcheck:` is set */
  struct cc_restart_rule restart;
  struct cc_dependency *depends_on; /* sorted by service */
  size_t n_depends_on;
  char *const *profiles;
  int64_t scale; /* -1: not set */
  struct cc_deploy deploy;
  const char *container_name, *hostname, *domainname;
  struct cc_kv_list labels, annotations;

  /* network */
  enum cc_network_mode network_mode;
  const char *network_mode_target; /* service or container name */
  struct cc_service_network *networks;
  size_t n_networks;
  struct cc_port *ports;
  size_t n_ports;
  struct cc_port *expose; /* target ranges and protocols only */
  size_t n_expose;
  char *const *dns, *const *dns_search, *const *dns_opt;
  struct cc_extra_host *extra_hosts;
  size_t n_extra_hosts;
  char *const *links, *const *external_links;
  const char *mac_address;

  /* storage */
  struct cc_mount *mounts;
  size_t n_mounts;
  struct cc_tmpfs *tmpfs;
  size_t n_tmpfs;
  char *const *volumes_from;
  struct cc_file_ref *secrets, *configs;
  size_t n_secrets, n_configs;
  struct cc_device *devices;
  size_t n_devices;
  char *const *device_cgroup_rules; /* "TYPE MAJOR:MINOR PERMS" each */

  /* limits */
  int64_t mem_limit, mem_reservation;                   /* bytes; 0: not set */
  int64_t memswap_limit;                                /* bytes; 0: not set, -1: unlimited */
  int64_t mem_swappiness;                               /* -1: not set */
  int64_t shm_size;                                     /* 0: not set (64 MiB) */
  double cpus;                                          /* 0: not set */
  int64_t cpu_shares, cpu_period, cpu_quota, cpu_count; /* 0: not set */
  int64_t cpu_rt_runtime, cpu_rt_period;                /* 0: not set */
  double cpu_percent;
  const char *cpuset, *cgroup, *cgroup_parent;
  int64_t pids_limit;   /* 0: not set */
  int oom_kill_disable; /* -1: not set */
  int64_t oom_score_adj;
  bool cgroup_host; /* `cgroup: host` */
  struct cc_blkio blkio;
  struct cc_ulimit *ulimits;
  size_t n_ulimits;
  struct cc_kv_list sysctls, storage_opt;

  /* security and namespaces */
  char *const *cap_add, *const *cap_drop; /* never NULL */
  struct cc_security_opts security_opt;
  const char *userns_mode, *pid, *ipc, *uts, *runtime, *isolation;

  /* logging */
  const char *log_driver;
  struct cc_kv_list log_options;
  int64_t log_max_size;        /* options.max-size in bytes (the driver's default); 0: none */
  int64_t log_max_file;        /* options.max-file (the driver's default) */
  bool log_compress;           /* rotated files gzipped */
  bool log_nonblocking;        /* mode: non-blocking: dropped rather than stalled */
  int64_t log_max_buffer_size; /* with non-blocking: bytes held for a slow sink */
  /* syslog: syslog-address (NULL: /dev/log), syslog-facility (3:
     daemon), syslog-format (NULL: rfc3164), cache-disabled; the size
     fields above are then the cache's (cache-max-size...).  */
  const char *log_address, *log_format;
  int log_facility;
  bool log_cache_disabled;

  struct cc_service_mem *mem;
};

/* The view of the normalized service JSON (not copied: it must outlive
   the view).  NODE, the service's node in the merged document, gives the
   positions (NULL: none, as for a config read back from the state).  A
   value the view cannot read is an error at its position: the model was
   not normalized by this ccompose.  */
struct cc_node;
int cc_service_new (const char *name, const cJSON *json, const struct cc_node *node, struct cc_service **out,
                    cc_error_t *err);
void cc_service_free (struct cc_service *s);
static inline void
cleanup_service_fn (struct cc_service **s)
{
  if (*s)
    cc_service_free (*s);
}
#define cleanup_service __attribute__ ((cleanup (cleanup_service_fn)))

/* Whether the service mounts the named volume KEY.  */
bool cc_service_uses_volume (const struct cc_service *s, const char *key);
/* Its entry for network KEY, or NULL.  */
const struct cc_service_network *cc_service_network (const struct cc_service *s, const char *key);

/* ---- top-level networks, volumes, secrets, configs ------------------------------- */

struct cc_ipam_pool
{
  const char *subnet, *gateway, *ip_range;
  struct cc_kv_list aux_addresses;
};

/* The bridge driver's options a network's driver_opts set (issue 15;
   compose/bridge-opts.c).  Strings point into the options given.  */
struct cc_bridge_opts
{
  int mtu;                       /* com.docker.network.driver.mtu; 0 = the kernel's */
  bool no_icc;                   /* ...bridge.enable_icc: false */
  bool no_masquerade;            /* ...bridge.enable_ip_masquerade: false */
  const char *host_binding_ipv4; /* ...bridge.host_binding_ipv4; NULL = every address */
  const char *iface_prefix;      /* ...container_iface_prefix; NULL = eth */
};
/* Set option NAME of O to VALUE (NULL: none given); an option the bridge
   driver does not take is an error naming it.  */
int cc_bridge_opt_set (struct cc_bridge_opts *o, const char *name, const char *value, cc_error_t *err);

struct cc_network
{
  const char *key;
  const char *name; /* the full name: `name:`, else <project>_<key> (the key when external) */
  const char *driver;
  struct cc_kv_list driver_opts, labels;
  struct cc_bridge_opts bridge; /* from driver_opts */
  const char *ipam_driver;
  struct cc_ipam_pool *ipam;
  size_t n_ipam;
  bool external, internal, attachable;
  int enable_ipv4, enable_ipv6; /* -1: not set */
  struct cc_pos pos;
};

struct cc_volume
{
  const char *key;
  const char *name; /* the full name, as for networks */
  const char *driver;
  struct cc_kv_list driver_opts, labels;
  bool external;
  struct cc_pos pos;
};

/* secrets: and configs: of the project.  */
struct cc_file_object
{
  const char *key, *name;
  const char *file, *environment, *content;
  bool external;
  struct cc_kv_list labels;
  const char *driver, *template_driver;
  struct cc_kv_list driver_opts;
  struct cc_pos pos;
};

/* The typed view of a whole model, sorted by key in each section.  */
struct cc_model_view
{
  struct cc_service **services;
  size_t n_services;
  struct cc_network *networks;
  size_t n_networks;
  struct cc_volume *volumes;
  size_t n_volumes;
  struct cc_file_object *secrets, *configs;
  size_t n_secrets, n_configs;
  struct cc_service_mem *mem;
};

/* MODEL's view; ROOT is the merged document (positions; may be NULL).  */
int cc_model_view_new (const cJSON *model, const struct cc_node *root, struct cc_model_view **out, cc_error_t *err);
void cc_model_view_free (struct cc_model_view *v);

#endif
