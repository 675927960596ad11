/* Engine-private helpers shared between its files (not for the CLI).  */
#ifndef CC_ENGINE_INTERNAL_H
#define CC_ENGINE_INTERNAL_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "compose/compose.h"
#include "engine/engine.h"
#include "lib/error.h"

/* The bridge driver's options B into the network spec SPEC (issue 15;
   engine/networks.c).  */
struct cc_net_spec;
void cc_engine_bridge_spec (const struct cc_bridge_opts *b, struct cc_net_spec *spec);

/* The strings of a JSON array as an owned vector (never NULL).  */
char **json_strv_of (const cJSON *arr);

/* The service's secrets and configs as read-only binds appended to S's
   mounts, each a copy with its owner and mode in CONTAINER_DIR/files
   (secrets.c).  */
struct cc_runtime_spec;
int cc_engine_file_mounts (struct cc_runtime_spec *s, const struct cc_project *p, const struct cc_service *svc,
                           const char *container_dir, cc_error_t *err);

/* What a container's state entry is made of (see cc_engine_new_entry).  */
struct cc_entry_info
{
  const struct cc_project *project; /* its name, directory and files label the container */
  const struct cc_service *svc;     /* its config is recorded as the view's JSON */
  const char *image_ref, *image_id;
  int number, level;
  bool oneoff;
};
/* The state entry of a container about to be created: it is recorded
   before the container exists, so a crash leaves something to clean.  */
cJSON *cc_engine_new_entry (const struct cc_entry_info *i);

/* Docker's com.docker.compose.* labels of the container I describes,
   as Docker Compose sets them (labels.c), and a new 64-hex container id.  */
cJSON *cc_engine_compose_labels (const struct cc_entry_info *i);
char *cc_engine_new_container_id (void);

/* Everything a container owns on the host, from its state entry: runtime
   container, network endpoints, netns, image pin, files.  Keeps going
   after failures; missing = success.  */
int cc_engine_remove_resources (const char *project, const cJSON *entry, const char *name, int64_t timeout_ms,
                                cc_error_t *err);
/* The same without the network detach: `down` tears the project's
   networks down at once afterwards, instead of rewriting every other
   member's hosts file for each container that leaves (N^2 writes).  */
int cc_engine_remove_for_down (const char *project, const cJSON *entry, const char *name, int64_t timeout_ms,
                               cc_error_t *err);

/* Recreate NAME keeping its netns, endpoints and files (see ops.c).  */
/* A container's labels as an object: SVC's (when known), then Compose's
   own recorded in ENTRY, which a service cannot fake.  */
cJSON *cc_engine_service_labels (const struct cc_service *svc, const cJSON *entry);
int cc_engine_recreate_in_place (const struct cc_project *p, const struct cc_service *svc, const cJSON *entry,
                                 const char *name, int64_t timeout_ms, cc_error_t *err);

/* hooks.c: the `post_start` and `pre_stop` hooks of container NAME, from
   the config its state ENTRY recorded, in order; the first that fails
   stops the rest and its error carries its output.  pre_stop runs only
   while the container runs.  */
int cc_engine_post_start (const cJSON *entry, const char *name, cc_error_t *err);
int cc_engine_pre_stop (const cJSON *entry, const char *name, cc_error_t *err);
/* One hook H in container NAME (WHAT names it in messages): a non-zero
   exit is an error carrying its output.  develop.watch's `exec` too.  */
int cc_engine_run_hook (const char *name, const char *what, const struct cc_hook *h, cc_error_t *err);

/* The last N lines of a container's logs, indented, for error messages.  */
char *cc_engine_last_log_lines (const char *name, int n);
/* "exit code 1, output: ..." of the last healthcheck.  */
char *cc_engine_last_health_output (const char *name);

/* Wait until every container of SERVICE meets CONDITION; on failure the
   error says which condition failed and why (health output or exit code
   and last log lines).  TIMEOUT_MS < 0 waits as long as it takes.  */
int cc_engine_wait_condition (const cJSON *state, const char *service, enum cc_depends_condition condition,
                              int64_t timeout_ms, cc_error_t *err);

/* The networks and volumes SERVICE uses, created when missing (for `run`,
   which creates no regular container of the service).  */
int cc_engine_prepare_shared (const struct cc_project *p, const char *service, cc_error_t *err);

/* rolling.c: replace the replicas of ACTIONS (CC_ACTION_ROLL, all of
   SVC), batch by batch as SVC's update_config says.  ENTRY makes the
   state entry of a new replica.  */
struct cc_roll
{
  const struct cc_project *p;
  struct cc_state *st;
  const struct cc_service *svc;
  const struct cc_action *const *actions;
  size_t n;
  int64_t stop_timeout_ms; /* -t; < 0: the service's stop_grace_period */
  int64_t wait_timeout_ms; /* --wait-timeout; <= 0: a default */
  cJSON *(*entry) (void *opaque, const struct cc_action *a);
  void *opaque;
};
int cc_engine_roll (const struct cc_roll *r, cc_error_t *err);

/* Print one progress line: " ✔ Container web-1  Started".  */
void cc_engine_progress (const char *kind, const char *name, const char *what);

/* Docker's --filter KEY=VALUE (util.c): MATCH says whether V passes one
   (setting *ERR for a key or value it does not know).  */
typedef bool (*cc_engine_filter_fn) (const cJSON *v, const char *key, const char *value, cc_error_t *err);
/* Whether V passes FILTERS ("key=value" each): OR within a key, AND
   across keys, as Docker's.  */
int cc_engine_filters_pass (const cJSON *v, char *const *filters, cc_engine_filter_fn match, bool *ok, cc_error_t *err);
/* label=KEY or label=KEY=VALUE against V's "Labels" object.  */
bool cc_engine_label_matches (const cJSON *v, const char *want);

/* external_links of SVC (issue 15): "CONTAINER[:ALIAS]" resolved to
   CONTAINER's address on a network SVC is on, appended to *HOSTS (may be
   NULL: only checked) as "ALIAS:IP" for the container's hosts file.  A
   container on none of them: ENOENT.  */
int cc_engine_external_links (const struct cc_project *p, const struct cc_service *svc, char ***hosts, cc_error_t *err);

#endif
