/* The normalized model, internal side: parsers of the short syntaxes,
   the key table, normalization, validation and output.  Internal to
   compose/; other folders use compose/compose.h.  */
#ifndef CC_COMPOSE_MODEL_H
#define CC_COMPOSE_MODEL_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "compose/compose.h"
#include "compose/load.h"
#include "compose/node.h"
#include "lib/error.h"
#include "lib/json.h"

/* units.c.  String-level parsers fail with a message and no position;
   the *_node variants put the node's file:line:col in front.  */
int cc_parse_duration (const char *s, int64_t *ns, cc_error_t *err);
/* Go's time.Duration.String(), which Docker Compose prints: 1m30s, 500ms, 1h0m0s.  */
char *cc_format_duration (int64_t ns);
/* Byte sizes as Docker's go-units RAMInBytes: 512m, 1g, 100k, 1.5GB, plain bytes.  */
int cc_parse_bytes (const char *s, int64_t *bytes, cc_error_t *err);
/* A whole decimal number in [MIN, MAX].  */
int cc_parse_int (const char *s, int64_t min, int64_t max, int64_t *out, cc_error_t *err);
int cc_parse_float (const char *s, double *out, cc_error_t *err);
/* "true"/"false" in YAML 1.2 spellings.  */
int cc_parse_bool (const char *s, bool *out, cc_error_t *err);

/* A `ports:` list node (short and long entries) into a JSON array.  */
int cc_ports_normalize (const struct cc_node *list, cJSON **out, cc_error_t *err);
/* One entry of the long form back into a port (the view reads them).  */
int cc_port_from_json (const cJSON *o, struct cc_port *out, cc_error_t *err);
/* How many long-form entries one item of a `ports:` list makes.  */
size_t cc_ports_entries_of (const struct cc_node *item);

/* volumes.c: one short-syntax volume ("./data:/data:ro,rshared"); relative
   bind sources are made absolute against PROJECT_DIR.  */
int cc_volume_parse_short (const char *spec, const char *project_dir, cJSON **out, cc_error_t *err);
int cc_volumes_normalize (const struct cc_node *list, const char *project_dir, cJSON **out, cc_error_t *err);
/* "~/x" and relative paths made absolute.  */
char *cc_resolve_host_path (const char *path, const char *project_dir);

/* command.c: split a command string with the quoting rules of a POSIX
   shell (no expansion), as Docker Compose does for `command: "..."`.  */
int cc_shell_split (const char *s, char ***out, cc_error_t *err);

/* schema.c: every key ccompose knows, its shape and whether it is
   honoured.  */
enum cc_key_type
{
  CC_KEY_STRING, /* scalar, kept as a string */
  CC_KEY_BOOL,
  CC_KEY_INT,
  CC_KEY_FLOAT,
  CC_KEY_DURATION,    /* printed as Go durations: "1m30s" */
  CC_KEY_BYTES,       /* printed as a decimal string of bytes */
  CC_KEY_STRING_LIST, /* a string or a list of strings -> list */
  CC_KEY_LIST,        /* a list of scalars -> list of strings */
  CC_KEY_MAPPING,     /* map or KEY=VALUE list -> map of strings */
  CC_KEY_OBJECT,      /* a map checked against a sub-table */
  CC_KEY_MAP_OF,      /* a map NAME -> object checked against a sub-table (or null) */
  CC_KEY_LIST_OF,     /* a list of objects checked against a sub-table */
  CC_KEY_ANY,         /* copied as is */
  CC_KEY_CUSTOM,      /* normalized by its own function */
};

enum cc_key_status
{
  CC_KEY_SUPPORTED,
  CC_KEY_UNSUPPORTED, /* parsed, not honoured yet: an error unless --ignore-unsupported */
  CC_KEY_SWARM,       /* Swarm's alone: kept for `config`, otherwise ignored with a warning, as Compose does */
};

struct cc_norm;
struct cc_schema_key;
typedef int (*cc_key_fn) (struct cc_norm *n, const struct cc_schema_key *key, const struct cc_node *value,
                          cJSON *parent, cc_error_t *err);

struct cc_schema_key
{
  const char *name;
  enum cc_key_type type;
  enum cc_key_status status;
  const struct cc_schema_table *sub; /* CC_KEY_OBJECT, CC_KEY_MAP_OF */
  cc_key_fn fn;                      /* CC_KEY_CUSTOM */
};

struct cc_schema_table
{
  const char *what; /* "service", "network"... for messages */
  const struct cc_schema_key *keys;
  size_t n_keys;
};

extern const struct cc_schema_table cc_schema_top;
extern const struct cc_schema_table cc_schema_service;
const struct cc_schema_key *cc_schema_find (const struct cc_schema_table *t, const char *name);
/* The known key closest to NAME (edit distance <= 2), or NULL.  */
const char *cc_schema_suggest (const struct cc_schema_table *t, const char *name);
size_t cc_edit_distance (const char *a, const char *b);

/* normalize.c: the state of one normalization.  */
struct cc_norm
{
  const struct cc_compose_options *opts;
  const char *project_name;
  const char *project_dir;
  const struct cc_env *env;
  const char *service; /* the service being normalized, for messages */
};

/* PATH as the model prints it: absolute from the project directory, or
   as written under `config --no-path-resolution`.  */
char *cc_norm_host_path (const struct cc_norm *n, const char *path);
/* Normalize VALUE against TABLE into a new JSON object.  */
int cc_norm_object (struct cc_norm *n, const struct cc_schema_table *table, const struct cc_node *value, cJSON **out,
                    cc_error_t *err);
/* The whole document into the model (before profiles and cross checks).  */
int cc_norm_document (struct cc_norm *n, const struct cc_node *root, cJSON **out, cc_error_t *err);
/* normalize-project.c: defaults that depend on the whole project (the
   default network, resource names, scale), once profiles are applied.  */
/* PROJECT_NAME NULL: `config --no-normalize`, no default network nor names.  */
void cc_model_finish (cJSON *model, const char *project_name);
void cc_model_implicit_deps (cJSON *model);
/* Services' secrets and configs that name an external one: refused
   (cc_norm_unsupported).  */
int cc_norm_external_refs (struct cc_norm *n, const cJSON *model, const struct cc_node *root, cc_error_t *err);

/* project.c: the steps after loading, on a tree the caller loaded (unit
   tests build it from a string).  */
int cc_project_from_tree (const struct cc_compose_options *opts, const struct cc_loaded *l, struct cc_project **out,
                          cc_error_t *err);
/* Generic conversions by type.  */
int cc_norm_value (struct cc_norm *n, const struct cc_schema_key *key, const struct cc_node *value, cJSON **out,
                   cc_error_t *err);
int cc_norm_mapping (const struct cc_node *value, const struct cc_env *env, bool null_for_bare, cJSON **out,
                     cc_error_t *err);
bool cc_node_is_plain (const struct cc_node *n, const char *v);
const char *cc_node_kind_name (const struct cc_node *n);

/* normalize-service.c: the custom keys of a service.  */
int cc_norm_service_environment (struct cc_norm *n, const struct cc_node *svc, cJSON *out, cc_error_t *err);
int cc_norm_service_labels (struct cc_norm *n, const struct cc_node *svc, cJSON *out, cc_error_t *err);
int cc_norm_key_ports (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                       cc_error_t *err);
int cc_norm_key_volumes (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                         cc_error_t *err);
int cc_norm_key_command (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                         cc_error_t *err);
int cc_norm_key_depends_on (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                            cc_error_t *err);
int cc_norm_key_service_networks (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v,
                                  cJSON *parent, cc_error_t *err);
int cc_norm_key_healthcheck_test (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v,
                                  cJSON *parent, cc_error_t *err);
int cc_norm_key_build (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                       cc_error_t *err);
int cc_norm_key_ulimits (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                         cc_error_t *err);
int cc_norm_key_extra_hosts (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                             cc_error_t *err);
int cc_norm_key_file_refs (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                           cc_error_t *err);
int cc_norm_key_external (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                          cc_error_t *err);
int cc_norm_key_path (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                      cc_error_t *err);
int cc_norm_key_restart (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                         cc_error_t *err);
#define CC_DECLARE_KEY_FN(fn)                                                                                          \
  int fn (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent, cc_error_t *err)
CC_DECLARE_KEY_FN (cc_norm_key_restart_condition);
CC_DECLARE_KEY_FN (cc_norm_key_deploy_mode);
CC_DECLARE_KEY_FN (cc_norm_key_update_order);
CC_DECLARE_KEY_FN (cc_norm_key_failure_action);
CC_DECLARE_KEY_FN (cc_norm_key_log_driver);
CC_DECLARE_KEY_FN (cc_norm_key_log_options);
CC_DECLARE_KEY_FN (cc_norm_key_network_driver);
CC_DECLARE_KEY_FN (cc_norm_key_volume_driver);
CC_DECLARE_KEY_FN (cc_norm_key_ipam_driver);
CC_DECLARE_KEY_FN (cc_norm_key_pull_policy);
CC_DECLARE_KEY_FN (cc_norm_key_pull_refresh_after);
CC_DECLARE_KEY_FN (cc_norm_key_network_mode);
CC_DECLARE_KEY_FN (cc_norm_key_enable_ipv4);
CC_DECLARE_KEY_FN (cc_norm_key_enable_ipv6);
CC_DECLARE_KEY_FN (cc_norm_key_security_opt);
CC_DECLARE_KEY_FN (cc_norm_key_links);
CC_DECLARE_KEY_FN (cc_norm_key_windows_only);
/* A key or value parsed but not honoured: an error, or a warning under
   --ignore-unsupported (then returns 0).  */
int cc_norm_unsupported (struct cc_norm *n, const struct cc_node *at, const char *what, cc_error_t *err);

/* validate-values.c: names, addresses and subnets, exposed ports.  */
int cc_validate_values (const cJSON *model, const struct cc_node *root, cc_error_t *err);
/* validate-network.c: MAC addresses, interface names and link-local
   addresses of a service's endpoints, and MACs two services share.  */
int cc_validate_endpoints (const cJSON *model, const struct cc_node *root, cc_error_t *err);
/* bridge-opts.c: each network's driver_opts (issue 15).  */
int cc_validate_bridge_opts (const cJSON *model, const struct cc_node *root, cc_error_t *err);
/* An IPv4 or IPv6 address (no brackets, no zone).  */
bool cc_is_ip_address (const char *s);
/* A name /etc/hosts can carry: dotted labels of letters, digits, `-`, `_`.  */
bool cc_is_host_name (const char *s);
/* "8080", "8080-8090", "53/udp".  */
int cc_ports_check_expose (const char *spec, cc_error_t *err);

/* validate.c: checks across the model, with positions from ROOT.  */
/* CONSISTENCY false: values only, no cross references (`config --no-consistency`).  */
int cc_validate_project (const cJSON *model, const struct cc_node *root, bool consistency, cc_error_t *err);
/* The node at services.NAME.KEY (NULL parts stop the walk), for messages.  */
const struct cc_node *cc_node_path (const struct cc_node *root, ...) __attribute__ ((sentinel));
/* In a list-or-map node, the entry naming NAME (the seq item or the map key).  */
const struct cc_node *cc_node_entry (const struct cc_node *n, const char *name);

/* graph.c: the model's services sorted by name, for lookups in loops.  */
struct cc_service_index
{
  size_t n;
  cJSON **items;
};
void cc_service_index_init (struct cc_service_index *ix, const cJSON *model);
cJSON *cc_service_index_get (const struct cc_service_index *ix, const char *name);
void cc_service_index_release (struct cc_service_index *ix);

/* graph.c: true (and the services on it, the first repeated at the end)
   when depends_on has a cycle.  */
bool cc_graph_find_cycle (const cJSON *model, char ***cycle);

/* profiles.c: drop the services no enabled profile selects.  */
int cc_apply_profiles (cJSON *model, const struct cc_node *root, const struct cc_compose_options *opts,
                       cc_error_t *err);

/* render.c */
char *cc_render_yaml (const cJSON *model, bool escape_dollars);
char *cc_render_json (const cJSON *model, bool escape_dollars);
/* True when a plain YAML scalar with this text would not read back as the same string.  */
bool cc_yaml_needs_quotes (const char *s);

/* In place: members in TABLE order (Go structs); cc_json_sort_keys
   (lib/json.h) sorts them by key (Go maps).  */
void cc_json_order_by_table (cJSON *obj, const struct cc_schema_table *table);
/* A deep copy with the keys of every object sorted (for hashing and output).  */
cJSON *cc_json_sorted_copy (const cJSON *j);

#endif
