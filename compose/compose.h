/* The compose model: the one header other folders include from compose/.  */
#ifndef CC_COMPOSE_H
#define CC_COMPOSE_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "compose/service.h"
#include "lib/error.h"

struct cc_compose_options
{
  char **files;             /* -f, COMPOSE_FILE; NULL: discover */
  const char *project_name; /* -p, COMPOSE_PROJECT_NAME */
  const char *project_directory;
  char **profiles;     /* --profile, COMPOSE_PROFILES */
  char **env_files;    /* --env-file, COMPOSE_ENV_FILES */
  char **services;     /* services named on the command line (enable their profiles) */
  const char *workdir; /* where discovery starts; NULL: the current directory */
  bool no_interpolate;
  bool no_dotenv;          /* COMPOSE_DISABLE_ENV_FILE: the project's .env is not read */
  bool ignore_unsupported; /* keys ccompose cannot honour yet: warnings, not errors */
  /* Keys ccompose cannot run are kept in the model without a word: for
     `config`, which prints every valid key as Docker's does, and for
     converters (convert/) that account for every key themselves.  */
  bool keep_unsupported;
  /* `config --no-normalize`: no implicit default network, resource
     names or implicit dependencies; `--no-path-resolution`: relative
     paths printed as written; `--no-consistency`: no cross-reference
     checks (an undefined network, volume, service...).  For `config`
     alone: the engine needs all three.  */
  bool no_normalize, no_path_resolution, no_consistency;
};

/* A loaded project.  MODEL is the normalized model in the shape of
   `docker compose config --format json`: {"name", "services", "networks",
   "volumes", "secrets", "configs"}, defaults filled in, long syntax
   everywhere: what `config` prints and the config hash reads.  VIEW is
   the same model typed (compose/service.h): what everything else reads.
   Both are immutable once loaded.  */
struct cc_project
{
  char *name;
  char *directory;
  char **files;
  cJSON *model;
  struct cc_model_view *view;
  struct cc_node *tree; /* the merged document the model came from: positions for messages */
};

int cc_compose_load (const struct cc_compose_options *opts, struct cc_project **out, cc_error_t *err);
void cc_project_free (struct cc_project *p);

static inline void
cleanup_project_fn (struct cc_project **p)
{
  if (*p)
    cc_project_free (*p);
}
#define cleanup_project __attribute__ ((cleanup (cleanup_project_fn)))

/* ---- reading the model (graph.c) ---------------------------------- */

/* The typed view of one service, or NULL.  */
const struct cc_service *cc_project_service (const struct cc_project *p, const char *name);
/* Its normalized JSON (`config` output, the config hash), or NULL.  */
const cJSON *cc_project_service_json (const struct cc_project *p, const char *name);
/* A top-level network or volume by key, or NULL.  */
const struct cc_network *cc_project_network (const struct cc_project *p, const char *key);
const struct cc_volume *cc_project_volume (const struct cc_project *p, const char *key);
/* Every service name, sorted.  */
char **cc_project_service_names (const struct cc_project *p);

/* SERVICES plus everything they depend on (depends_on, transitively),
   sorted; NULL or empty SERVICES means all.  An unknown name is an error.  */
int cc_compose_select (const struct cc_project *p, char *const *services, char ***out, cc_error_t *err);

/* Start order in levels: level 0 depends on nothing, every service of
   level k depends only on services of levels < k, so the services of one
   level can start in parallel.  Names are sorted inside a level.  Limited
   to cc_compose_select (SERVICES).  Stop in the reverse order of levels.  */
struct cc_compose_levels
{
  size_t n_levels;
  char ***levels; /* n_levels NULL-terminated vectors */
};
int cc_compose_levels (const struct cc_project *p, char *const *services, struct cc_compose_levels **out,
                       cc_error_t *err);
void cc_compose_levels_free (struct cc_compose_levels *l);
static inline void
cleanup_levels_fn (struct cc_compose_levels **l)
{
  if (*l)
    cc_compose_levels_free (*l);
}
#define cleanup_levels __attribute__ ((cleanup (cleanup_levels_fn)))
/* The levels flattened: start order, and its reverse for stop.  */
char **cc_compose_start_order (const struct cc_project *p);
char **cc_compose_stop_order (const struct cc_project *p);

/* "file:line:col" of services.SERVICE.KEY in the compose files (KEY NULL:
   the service itself), for messages the engine prints about a service;
   NULL when unknown.  Freshly allocated.  */
char *cc_project_where (const struct cc_project *p, const char *service, const char *key);
/* Whether the compose files themselves set services.SERVICE.KEY (and
   .SUBKEY when not NULL), as opposed to a default normalization filled in.  */
bool cc_project_sets (const struct cc_project *p, const char *service, const char *key, const char *subkey);
/* The variables of SERVICE's environment that its `env_file` entries
   set and `environment:` does not override: {"NAME": "/abs/path.env"}
   (the last file that sets NAME).  An empty object when none.  */
int cc_project_env_file_vars (const struct cc_project *p, const char *service, cJSON **out, cc_error_t *err);

/* ---- change detection (hash.c) ------------------------------------ */

/* sha256 (hex) of the service's normalized config in canonical JSON,
   leaving out what does not need a new container (build, pull_policy,
   scale/deploy.replicas, depends_on, profiles), as Docker Compose's
   config-hash label does.  Stable across runs and key order.  */
int cc_compose_service_hash (const struct cc_project *p, const char *service, char **out, cc_error_t *err);
char *cc_compose_service_hash_json (const cJSON *service);
/* "environment.DEBUG changed, image added": the differences between two
   service configs that the hash does not leave out (NULL when none).  */
char *cc_compose_describe_change (const cJSON *old_config, const cJSON *new_config);
/* Whether two service configs need the same network namespace,
   endpoints and network files (a recreated container keeps them).  */
bool cc_compose_same_network (const cJSON *old_config, const cJSON *new_config);

/* ---- values of the model (units.c) -------------------------------- */

/* The model prints durations as Go does ("1m30s", "500ms", "1h0m0s") and
   byte sizes as decimal strings; these read both back (and the compose
   file spellings: "1m30s", "512m", "1g").  */
int cc_compose_parse_duration (const char *s, int64_t *ns, cc_error_t *err);
int cc_compose_parse_bytes (const char *s, int64_t *bytes, cc_error_t *err);

/* ---- `run` (override.c) ------------------------------------------- */

/* What `run` changes in a service, as Docker Compose applies it; the
   restart policy and container_name always go.  */
struct cc_service_override
{
  char *const *command;    /* NULL or empty: the service's */
  char *const *entrypoint; /* NULL: the service's; the words, as split */
  char *const *env;        /* KEY=VALUE added */
  const char *user, *workdir;
  char *const *publish; /* -p specs, in cc_port_parse's grammar */
  bool service_ports;   /* keep the service's own ports */
  char *const *volumes; /* -v specs, the short volume syntax */
  char *const *cap_add;
  char *const *cap_drop;
  char *const *labels;     /* KEY=VALUE added */
  const char *pull_policy; /* NULL: the service's */
};
/* A copy of the normalized SERVICE with O applied (its view is read with
   cc_service_new); -v's relative paths are PROJECT_DIR's.  */
int cc_compose_override (const cJSON *service, const struct cc_service_override *o, const char *project_dir,
                         cJSON **out, cc_error_t *err);

/* ---- ports (ports.c) ---------------------------------------------- */

/* One short-syntax port ("127.0.0.1:8080-8081:80-81/udp", cc_port_parse's
   grammar) expanded into long-form objects appended to OUT, as docker
   compose config prints them: one per container port.  */
int cc_ports_parse_short (const char *spec, cJSON *out, cc_error_t *err);

/* ---- `config --variables`, `--environment` (variables.c) ---------- */

/* The variables the compose files use, read before interpolation, by
   name: {"NAME": {"Name", "DefaultValue", "PresenceValue", "Required"}},
   as compose-go's ExtractVariables reports them.  */
int cc_compose_variables (const struct cc_compose_options *opts, cJSON **out, cc_error_t *err);
/* The variables of the text S (`$$` is no variable) added to VARS.  */
void cc_variables_extract (const char *s, cJSON *vars);
/* The interpolation environment as "NAME=VALUE", sorted; the project
   must load.  */
int cc_compose_environment (const struct cc_compose_options *opts, char ***out, cc_error_t *err);

/* ---- output (render.c) -------------------------------------------- */

/* The model as `docker compose config` prints it: YAML (2-space indent,
   strings quoted where YAML would mistype them) or JSON (2-space indent).  */
char *cc_compose_render_yaml (const cJSON *model);
char *cc_compose_render_json (const cJSON *model);
/* What `config` prints: with ESCAPE_DOLLARS (an interpolated model) every
   `$` of a value is doubled, as Docker Compose does, so the output reads
   back to the same model.  */
char *cc_compose_render (const cJSON *model, bool json, bool escape_dollars);
/* Any JSON document as YAML with the same emitter and quoting, without
   the quirks of Docker Compose's output (empty `resources:` and null
   `command:` left out): for other formats built from the model.  */
char *cc_compose_render_yaml_document (const cJSON *doc);

#endif
