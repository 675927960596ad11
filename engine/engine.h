/* engine/: plan and apply the actions of a project (ARCHITECTURE.md, "What flows between the parts").  The
   header the CLI includes from engine/ (engine/logs.h holds the log
   reader; engine/internal.h is private to engine/).

   Project state lives in cc_state_dir()/projects/<name>/state.json:
     { "project", "directory", "config_files": [...], "writer_pid", "writer_start",
       "networks":   { "<key>":  { "name", "external", "status": "creating|created" } },
       "volumes":    { "<key>":  { "name", "path", "external", "status" } },
       "containers": { "<name>": { "service", "number", "oneoff", "level",
                                   "image", "image_id", "config_hash", "config": {...},
                                   "networks": ["<key>"...], "owns_netns",
                                   "status": "creating|created", "created_ms" } },
       "old_containers": { ... }  entries of containers being recreated, until gone }
   Every resource is recorded there BEFORE it is created, so `down` can
   always clean up after a crash at any point.  Commands that change a
   project hold its lock (cc_state_dir()/projects/<name>/lock).  */
#ifndef CC_ENGINE_ENGINE_H
#define CC_ENGINE_ENGINE_H

#include <cJSON.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/request.h"
#include "compose/compose.h"
#include "lib/error.h"
#include "lib/finding.h"

/* ---- project state (state.c) ---------------------------------------- */

struct cc_state
{
  char *project;
  char *dir;   /* cc_state_dir()/projects/<name> */
  char *path;  /* .../state.json */
  int lock_fd; /* -1 when opened read-only */
  cJSON *json;
  bool corrupt; /* opened by cc_state_open_salvage over an unreadable file */
};

/* Load the state of PROJECT (an empty one when there is none yet).  With
   LOCK, take the project's lock first (waiting for another command).  */
int cc_state_open (const char *project, bool lock, struct cc_state **out, cc_error_t *err);
/* For `down`, which must always finish: an unreadable state file is moved
   aside (state.json.corrupt) and an empty state returned with CORRUPT set.  */
int cc_state_open_salvage (const char *project, struct cc_state **out, cc_error_t *err);
/* Write state.json atomically (temp file, rename).  Not fsynced: what it
   records does not outlive a reboot (lib/file.c, needs_fsync).  */
int cc_state_save (struct cc_state *st, cc_error_t *err);
/* Remove the project's state directory: `down` left nothing behind.  */
int cc_state_destroy (struct cc_state *st, cc_error_t *err);
void cc_state_free (struct cc_state *st);
static inline void
cleanup_state_fn (struct cc_state **s)
{
  if (*s)
    cc_state_free (*s);
}
#define cleanup_state __attribute__ ((cleanup (cleanup_state_fn)))

/* The "networks", "volumes" or "containers" object, created when missing.  */
cJSON *cc_state_section (struct cc_state *st, const char *section);
/* Names of every project with a state file, sorted.  */
int cc_state_projects (char ***names, cc_error_t *err);
/* Containers of SERVICE (every one when NULL) in the state, sorted by
   service then number; one-off containers only with ONEOFF.  */
char **cc_state_container_names (const cJSON *state, const char *service, bool oneoff);

/* ---- the plan (plan.c, pure) ---------------------------------------- */

enum cc_action_kind
{
  CC_ACTION_CREATE_NETWORK,
  CC_ACTION_CREATE_VOLUME,
  CC_ACTION_REMOVE_ORPHAN, /* a container whose service is gone */
  CC_ACTION_REMOVE,        /* a replica above the wanted scale */
  CC_ACTION_WAIT,          /* a depends_on condition, before a service's level */
  CC_ACTION_ROLL,          /* start-first: NAME replaces REPLACES, which stops once NAME is ready (rolling.c) */
  CC_ACTION_RECREATE,      /* remove, then create and start */
  CC_ACTION_CREATE,
  CC_ACTION_START,
  CC_ACTION_RESTART, /* depends_on.restart: a dependency was recreated */
  CC_ACTION_KEEP,    /* running and unchanged: nothing to do */
};

struct cc_action
{
  enum cc_action_kind kind;
  int level;                           /* depends_on level of the service; -1 for project-wide actions */
  char *service;                       /* NULL for networks and volumes */
  char *name;                          /* container, network or volume name */
  char *key;                           /* compose key of a network or volume */
  int number;                          /* replica number */
  char *reason;                        /* recreate: what changed; wait: the dependency */
  enum cc_depends_condition condition; /* wait */
  bool required;                       /* wait: depends_on.required */
  bool start;                          /* create/recreate: start afterwards */
  bool report_only;                    /* an orphan left in place (no --remove-orphans) */
  char *replaces;                      /* roll: the replica NAME takes over from */
};

struct cc_plan
{
  struct cc_action *actions;
  size_t n;
  size_t n_levels;
};

struct cc_plan_opts
{
  char *const *services;  /* named on the command line; NULL = all */
  char *const *scale;     /* "SERVICE=N" overrides */
  const cJSON *image_ids; /* service -> image id (what the store resolved) */
  const cJSON *status;    /* container name -> runtime status (running, exited...) */
  bool force_recreate, no_recreate, no_deps, remove_orphans, no_start;
  bool always_recreate_deps; /* force for the dependencies the named services pull in */
};

int cc_plan_make (const struct cc_project *p, const cJSON *state, const struct cc_plan_opts *o, struct cc_plan **out,
                  cc_error_t *err);
void cc_plan_free (struct cc_plan *plan);
static inline void
cleanup_plan_fn (struct cc_plan **p)
{
  if (*p)
    cc_plan_free (*p);
}
#define cleanup_plan __attribute__ ((cleanup (cleanup_plan_fn)))
/* One line per action, as --dry-run prints them.  */
char *cc_plan_format (const struct cc_plan *plan);
/* Replicas wanted for a service: --scale, then scale, then deploy.replicas, then 1.  */
int cc_plan_replicas (const struct cc_service *svc, char *const *scale);
/* Orphans found without --remove-orphans: "name (service svc)" lines.  */
char **cc_plan_orphans (const struct cc_plan *plan);

/* ---- ports (ports.c) ------------------------------------------------- */

/* A port of the model as the network publishes it; what ccompose cannot
   publish (sctp, udp or a chosen port on the IPv6 loopback) is refused here, at the port's
   file:line:col, and nowhere else.  */
struct cc_net_port;
int cc_engine_net_port (const struct cc_port *in, struct cc_net_port *out, cc_error_t *err);
/* N ports into a new array (N + 1 entries, the last zeroed).  */
int cc_engine_net_ports (const struct cc_port *in, size_t n, struct cc_net_port **out, cc_error_t *err);
/* The host ports SVC publishes on ::1, which its monitor relays
   ("HOST:CONTAINER", one per port of a range): those on [::1] and on
   [::], and those on no address when its first network has IPv6 (Docker
   publishes such a port on both families); and where that network has
   no IPv4 (issue 15), its tcp ports on an IPv4 host address or none
   ("ADDRESS:HOST:CONTAINER"), relayed to the container's IPv6 address
   as Docker's userland proxy does.  NULL: none.  */
char **cc_engine_loopback6_ports (const struct cc_project *p, const struct cc_service *svc);
/* Whether NET (NULL: one not in the file) has IPv4 (issue 15).  */
bool cc_engine_network_has_ipv4 (const struct cc_network *net);
/* Whether the monitor's relay can serve port P: tcp on fixed host ports.  */
bool cc_engine_port_is_relayable (const struct cc_port *p);
/* Issue 15: SVC's ports where its first network has `enable_ipv4: false`:
   one on an IPv4 host address is refused (file:line:col), one on none
   is published on IPv6 only (a warning when WARN).  */
int cc_engine_check_ipv4_ports (const struct cc_project *p, const struct cc_service *svc, bool warn, cc_error_t *err);
/* A short-syntax spec (compose's grammar) into a network port.  */
int cc_engine_parse_publish (const char *spec, struct cc_net_port *out, cc_error_t *err);

/* ---- names and clocks (util.c) --------------------------------------- */

/* The name of replica NUMBER of SVC: its container_name (one replica
   only: the model refuses more), else <project>-<service>-<n> (cc_paths_container_name).  */
char *cc_engine_service_container_name (const char *project, const struct cc_service *svc, int number);
/* The recorded name of SERVICE's replica NUMBER in STATE (not one-off),
   else the default name.  */
char *cc_engine_recorded_container_name (const cJSON *state, const char *project, const char *service, int number);
int64_t cc_engine_now_ms (void);
void cc_engine_backoff (int *step);
struct pollfd;
int cc_engine_backoff_on (int *step, struct pollfd *fds, size_t n);

/* ---- build: (build.c) ------------------------------------------------ */

/* The image of SVC: its `image:`, else <project>-<service> (Compose v2).  */
char *cc_engine_image_ref (const struct cc_project *p, const struct cc_service *svc);

struct cc_engine_build_opts
{
  char *const *services; /* NULL: every service */
  bool with_dependencies;
  bool no_cache, pull, quiet, dry_run;
  char *const *build_args; /* --build-arg KEY=VALUE, or KEY (from the environment) */
  const char *progress;    /* auto, plain, tty, quiet (NULL: auto) */
  int parallel;            /* stages at once, < 1: the builder's default */
};

/* Refuse what the builder cannot honour in SVC's `build:` (a remote
   context, ssh, another platform, a non-local cache...), at the key's
   file:line:col.  0 for a service without one.  */
int cc_engine_build_check (const struct cc_project *p, const struct cc_service *svc, cc_error_t *err);

/* `ccompose build`: the images of the selected services that have a
   `build:` section, tagged with their image name and build.tags.  */
int cc_engine_build (const struct cc_project *p, const struct cc_engine_build_opts *o, cc_error_t *err);

enum cc_build_when
{
  CC_BUILD_MISSING, /* the default: what the store lacks (and pull_policy: build) */
  CC_BUILD_ALWAYS,  /* --build */
  CC_BUILD_NEVER,   /* --no-build */
};

/* Before up, create and run create containers: build the images of
   SERVICES as WHEN says.  */
int cc_engine_build_missing (const struct cc_project *p, char *const *services, enum cc_build_when when,
                             const struct cc_engine_build_opts *o, cc_error_t *err);

/* `convert --registry`: SERVICE built, tagged REF, pushed, and *PINNED
   REF@sha256:... (the manifest digest the registry stored): 1, or -1 on
   an error.  convert/convert.h's cc_convert_build_fn.  */
int cc_engine_convert_build (void *opaque, const struct cc_project *p, const char *service, const char *ref,
                             char **pinned, cc_error_t *err);

/* ---- applying (apply.c, down.c, ops.c) -------------------------------- */

struct cc_up_opts
{
  char **services;
  char **scale;
  bool wait, no_start, force_recreate, no_recreate, no_deps, remove_orphans, dry_run, quiet;
  bool always_recreate_deps;
  bool ignore_orphans;      /* COMPOSE_IGNORE_ORPHANS: no warning about them */
  int64_t wait_timeout_ms;  /* < 0: none */
  int64_t timeout_ms;       /* stop timeout when recreating; < 0: the service's */
  int parallel;             /* < 1: unlimited */
  const char *pull;         /* always|missing|never|build, over each service's pull_policy */
  enum cc_build_when build; /* --build, --no-build */
  /* Out: the containers this `up` created and started (the caller frees).  */
  char **started;
};

/* `up`: plan, then apply level by level.  Progress to stderr; with
   --verbose a timing line.  */
int cc_engine_up (const struct cc_project *p, struct cc_up_opts *o, cc_error_t *err);

struct cc_down_opts
{
  bool volumes; /* -v: named volumes (never external ones) */
  bool remove_orphans;
  int64_t timeout_ms; /* < 0: each container's stop_grace_period */
  int parallel;
  const char *rmi; /* handled by the CLI after down: NULL, "local" or "all" */
};

/* `down` from the on-disk state only.  P (may be NULL: `-p NAME down`
   without a compose file) tells which containers are orphans, kept
   without --remove-orphans, and which named volumes -v removes even if no
   container used them.  Removes everything it can, reports every failure,
   idempotent.  */
int cc_engine_down (const char *project, const struct cc_project *p, const struct cc_down_opts *o, cc_error_t *err);

/* `run`: a one-off container of SERVICE with these overrides, created and
   started after its dependencies (unless NO_DEPS); *NAME_OUT gets its name.  */
struct cc_run_opts
{
  const char *service;
  char **command;    /* NULL: the service's */
  char **entrypoint; /* NULL: the service's; split as a shell would */
  char **env;        /* KEY=VALUE added */
  const char *user, *workdir, *name;
  char **publish; /* -p specs */
  char **volumes; /* -v specs */
  char **cap_add, **cap_drop;
  char **labels;           /* -l KEY=VALUE */
  const char *pull_policy; /* --pull; NULL: the service's */
  bool service_ports, no_deps;
  bool use_aliases; /* the service's name and aliases on its networks, as its replicas */
  int parallel;
  enum cc_build_when build; /* --build */
};
int cc_engine_run (const struct cc_project *p, const struct cc_run_opts *o, char **name_out, cc_error_t *err);

/* A container's runtime status ("running", "exited", "created", "paused",
   "restarting", "missing"); its health (or NULL) in *HEALTH when given.  */
char *cc_engine_container_status (const char *name, char **health);

/* balance.c (issue 16).  Put PROJECT's containers that run, healthy,
   and are not stopping in the balancers of their published ports, and
   take the others out.  */
int cc_engine_balance (const char *project, cc_error_t *err);
/* NAMES leave their balancers before they stop: they get no new
   connection; open ones finish (conntrack keeps them).  */
int cc_engine_leave_balancer (const char *project, char *const *names, cc_error_t *err);
/* The program a container's monitor runs when its status or health
   changes: this ccompose's `-p PROJECT balance` with BALANCE, else its
   `-p PROJECT journal` (the events journal only, engine/events.c).  */
char **cc_engine_on_change (const char *project, bool balance);

struct cc_stop_opts
{
  int64_t timeout_ms;           /* < 0: each container's stop_grace_period */
  bool explain;                 /* countdown, and say when PID 1 ignores the stop signal */
  bool quiet;                   /* no progress lines */
  volatile sig_atomic_t *force; /* becomes non-zero: SIGKILL what is left (second Ctrl-C) */
  const char *project;          /* NAMES leave their balancers first (issue 16); NULL: not */
};
/* Stop NAMES in reverse level order, parallel within a level; the restart
   policy does not bring them back.  */
int cc_engine_stop (const cJSON *state, char *const *names, const struct cc_stop_opts *o, cc_error_t *err);
/* Start created or stopped containers NAMES in level order, waiting for
   each level's depends_on conditions first.  */
int cc_engine_start (const struct cc_project *p, const cJSON *state, char *const *names, cc_error_t *err);
/* --wait: each of NAMES running (healthy when it has a healthcheck) or
   exited 0, within TIMEOUT_MS (< 0: no limit); the first that fails or
   is late is the error.  */
int cc_engine_wait_ready (char *const *names, int64_t timeout_ms, cc_error_t *err);
/* SERVICES and, transitively, the services whose depends_on on one of
   them has `restart: true`: what `restart SERVICE` restarts, as Compose.  */
char **cc_engine_restart_set (const struct cc_project *p, char *const *services);
/* Stop and remove one container and everything of it (netns, network
   endpoints, files); missing = success.  */
int cc_engine_remove_container (struct cc_state *st, const char *name, int64_t timeout_ms, cc_error_t *err);

/* Set from a signal handler (Ctrl-C): the waits of up and run give up
   with EINTR instead of waiting out a dependency.  */
extern volatile sig_atomic_t cc_engine_interrupted;

/* The pool of forked jobs (parallel.c): FN (OPAQUE, ITEM) for each item,
   at most LIMIT at a time (< 1 = unlimited), each in a child that sends
   its error to the parent instead of printing it.  In the parent, DONE
   (may be NULL) sees each job's end with its error (NULL: success), to
   give it context or take it; TICK (may be NULL) is called between
   looks, at the engine's backoff pace, with the time since the start.
   Every failure is appended to *ERR and the run goes on.  */
typedef int (*cc_engine_job_fn) (void *opaque, const char *item, cc_error_t *err);
struct cc_engine_pool
{
  cc_engine_job_fn fn;
  void *opaque;
  int limit;
  void (*done) (void *opaque, size_t index, cc_error_t *err);
  void (*tick) (void *opaque, int64_t elapsed_ms);
};
int cc_engine_pool_run (char *const *items, const struct cc_engine_pool *pool, cc_error_t *err);
/* The same without DONE or TICK; one item runs in this process.  */
int cc_engine_run_parallel (char *const *items, int limit, cc_engine_job_fn fn, void *opaque, cc_error_t *err);

/* Docker's fields for `ps --format json` (Name, Service, State, Status,
   Health, ExitCode, Publishers, ...), from the state entry and the runtime.  */
cJSON *cc_engine_container_info (const char *project, const char *name, const cJSON *entry);
/* Its labels as an object: the service's, then Docker Compose's own
   (com.docker.compose.*, recorded when it was made).  */
cJSON *cc_engine_container_labels (const char *name, const cJSON *entry);
/* The replicas behind PUBLISHER (a Publishers entry of the above) of
   PROJECT, one "CONTAINER IP:PORT serving|not serving" each (issue 16).  */
char **cc_engine_port_backends (const char *project, const cJSON *publisher);
/* "5 seconds", "2 minutes", as Docker prints ages.  */
char *cc_engine_human_duration (int64_t seconds);

/* ---- loading the project, `config` (config.c) ---------------------------- */

/* The project a command works on, as O says; firewall rules another tool
   took from the networks of this namespace are put back first (issue 17:
   a warning when that fails, not the command's error).  */
int cc_engine_load_project (const struct cc_compose_options *o, struct cc_project **out, cc_error_t *err);

/* What changed in P's compose file for the service of container ENTRY
   (its state entry) since the container was made ("image changed, ..."),
   or NULL when nothing did.  */
char *cc_engine_config_drift (const struct cc_project *p, const cJSON *entry);

/* ---- `config` (config.c) ------------------------------------------------ */

enum cc_config_view
{
  CC_CONFIG_MODEL,    /* the normalized model, YAML or JSON */
  CC_CONFIG_SERVICES, /* one name a line */
  CC_CONFIG_VOLUMES,
  CC_CONFIG_PROFILES,
  CC_CONFIG_IMAGES,
  CC_CONFIG_HASH, /* "SERVICE HASH" for HASH ("*" or "a,b") */
  CC_CONFIG_NETWORKS,
  CC_CONFIG_VARIABLES,   /* a table, or FORMAT's JSON or YAML, as Compose prints them */
  CC_CONFIG_ENVIRONMENT, /* the interpolation environment, NAME=VALUE */
};
struct cc_config_opts
{
  enum cc_config_view what;
  bool json, no_interpolate;
  const char *format; /* --format as given, NULL when not: --variables' table */
  const char *hash;
  /* image: NAME@DIGEST from ccompose's image store (no network); an image
     missing from the store is an error naming it.  */
  bool resolve_image_digests;
};
/* Load the project as LOAD says (LOAD->services: only those and what they
   depend on) and render the view asked for into *TEXT.  */
int cc_engine_config (const struct cc_compose_options *load, const struct cc_config_opts *o, char **text,
                      cc_error_t *err);

/* ---- `convert` (convert.c) ---------------------------------------------- */

/* Kubernetes manifests from the project, with a report of what became of
   every key (convert/convert.h says how each option is used).  */
struct cc_kube_opts
{
  const char *namespace, *registry, *service_type, *volume_size, *storage_class;
  const char *bind_mounts; /* error (NULL), hostPath, configMap */
  bool stateful, network_policies;
  char **services;    /* these and what they depend on; NULL: all */
  const char *dir;    /* one file per object and a kustomization.yaml; NULL: a stream */
  const char *file;   /* where the stream goes; NULL: back in *STREAM */
  const char *report; /* the report as JSON there too; NULL: none */
  bool allow_lossy;
  size_t dropped; /* out: keys that had to be dropped */
};
bool cc_engine_kube_bind_mounts_valid (const char *name);
/* Convert the project LOAD names: *REPORT gets the report's text; then,
   unless a key would be dropped without ALLOW_LOSSY (1 comes back and
   nothing is written), the manifests are written: 0.  */
int cc_engine_convert (const struct cc_compose_options *load, struct cc_kube_opts *o, char **report, char **stream,
                       cc_error_t *err);

/* ---- the project's images (images.c) ------------------------------------ */

struct cc_pull_opts
{
  bool quiet, ignore_failures, include_deps, ignore_buildable;
  bool dry_run;       /* say what would be pulled or pushed, do nothing */
  const char *policy; /* pull: always, missing */
};
/* `pull`: the images of the services NAMED (NULL or empty: all; with
   INCLUDE_DEPS their dependencies too), each name once.  A service that
   can be built is skipped with IGNORE_BUILDABLE, one without `image:`
   with a note; one that can be built (or any with IGNORE_FAILURES) only
   warns when its pull fails; every other failure is returned, after the
   rest was pulled.  */
int cc_engine_pull (const struct cc_project *p, char *const *named, const struct cc_pull_opts *o, cc_error_t *err);
/* `push`: as Docker Compose, a service with both `build:` and `image:`,
   under `image:` and each of its `build.tags`; others are skipped.  */
int cc_engine_push (const struct cc_project *p, char *const *named, const struct cc_pull_opts *o, cc_error_t *err);
/* `down --rmi all`: every service's image; `local`: only those named
   after the project (no `image:` key).  Missing images are no error.  */
int cc_engine_remove_images (const struct cc_project *p, const char *which, cc_error_t *err);
/* The size of image ID in the store, 0 when it is not there.  */
int64_t cc_engine_image_size (const char *id);

/* ---- the image store: the `image` commands (image.c) -------------------- */

/* Each is image/'s operation of the same name (image/image.h says what
   it does); the callbacks have image/'s signatures.  */
typedef void (*cc_engine_image_loaded_fn) (void *opaque, const char *ref, const char *image_id);
typedef void (*cc_engine_image_removed_fn) (void *opaque, const char *what, const char *value);
/* docker.io/library/redis:7 -> redis:7, as Docker prints references.  */
char *cc_engine_image_familiar (const char *ref);
int cc_engine_image_load (const char *path, cc_engine_image_loaded_fn cb, void *opaque, cc_error_t *err);
int cc_engine_image_pull (const char *ref, bool quiet, cc_error_t *err);
int cc_engine_image_push (const char *ref, bool quiet, cc_error_t *err);
/* A tarball of REFS (docker-archive that is also an OCI layout, or with
   OCI only the layout) to PATH, renamed into place once whole, or to
   stdout when PATH is NULL.  */
int cc_engine_image_save (char *const *refs, bool oci, const char *path, cc_error_t *err);
int cc_engine_image_import (const char *tarball, const char *ref, char *const *changes, const char *message, char **id,
                            cc_error_t *err);
int cc_engine_image_tag (const char *src, const char *dst, cc_error_t *err);
/* One row per reference of every image, newest first (an image without
   one: "<none>"): { "ID": "sha256:...", "Repository", "Tag", "Digest",
   "CreatedAt", "Size": bytes }.  */
int cc_engine_image_rows (cJSON **out, cc_error_t *err);
int cc_engine_image_inspect (const char *ref, cJSON **out, cc_error_t *err);
int cc_engine_image_remove (const char *ref, bool force, cc_engine_image_removed_fn cb, void *opaque, cc_error_t *err);
int cc_engine_image_prune (bool all, cc_engine_image_removed_fn cb, void *opaque, int64_t *reclaimed, cc_error_t *err);
/* What a container does before it mounts REF as OWNER: *LOWER gets the
   overlay lowerdir.  Unpin lets the layers go again (tests).  */
int cc_engine_image_pin (const char *owner, const char *ref, char **lower, cc_error_t *err);
int cc_engine_image_unpin (const char *owner, cc_error_t *err);
/* `image build`: parse, plan and execute one Dockerfile build
   (builder/request.h has the options); *IMAGE_ID gets the image id.
   Progress goes to stderr.  */
int cc_engine_image_build (const struct cc_build_request *req, char **image_id, cc_error_t *err);
/* `builder prune`: the build cache records of layers no image uses (ALL:
   every record); *RECLAIMED gets the bytes freed.  */
int cc_engine_builder_prune (bool all, int64_t *reclaimed, cc_error_t *err);

/* ---- one container (control.c) ------------------------------------------ */

/* "SIGTERM", "TERM", "15" as a signal number; EINVAL when none.  */
int cc_engine_parse_signal (const char *text, int *sig, cc_error_t *err);
int cc_engine_kill (const char *name, int sig, cc_error_t *err);
/* Freeze and thaw (the cgroup freezer).  */
int cc_engine_pause (const char *name, cc_error_t *err);
int cc_engine_unpause (const char *name, cc_error_t *err);
/* Until container NAME has stopped for good: its exit code.  */
int cc_engine_wait_exit (const char *name, cc_error_t *err);

/* `exec`: ARGS in running container NAME, with the container's
   namespaces, cgroups, user and security settings, in a session of its
   own, our stdio relayed through pipes or a pty of the container's
   (TTY).  Returns its exit status; when it could not start (126, 127)
   *ERR also says why, for the caller to print.  DETACH: the command runs
   on with the container's /dev/null, nothing of ours held, and 0 comes
   back at once.  */
struct cc_exec_opts
{
  char **args;
  char **env;       /* added to the container's environment */
  const char *user; /* NULL: the container's */
  const char *cwd;  /* NULL: the container's */
  bool tty, detach;
};
int cc_engine_exec (const char *name, const struct cc_exec_opts *o, cc_error_t *err);

/* ---- watch (watch.c) ------------------------------------------------------ */

/* `watch`: follow the develop.watch rules of SERVICES (NULL: all) until
   SIGINT or SIGTERM (then 0: Compose exits 130), syncing, restarting,
   rebuilding as each rule says.  An error of one action is a warning;
   watching goes on.  */
struct cc_watch_opts
{
  char **services;
  bool quiet;
};
int cc_engine_watch (const struct cc_project *p, const struct cc_watch_opts *o, cc_error_t *err);
/* The same in steps, for `up --watch`, which follows logs meanwhile: open
   (initial syncs done, "Watch enabled"), then tick often (never blocks:
   reads what changed, acts once DEBOUNCE passed quietly), then close.  */
struct cc_watcher;
int cc_engine_watch_open (const struct cc_project *p, const struct cc_watch_opts *o, struct cc_watcher **out,
                          cc_error_t *err);
int cc_engine_watch_tick (struct cc_watcher *w, cc_error_t *err);
void cc_engine_watch_close (struct cc_watcher *w);

/* ---- cp (cp.c) ------------------------------------------------------------ */

/* `cp`: one copy between the running CONTAINER and the host, with
   Docker's rules for what lands where; "-" is a tar stream on stdin (to
   the container) or stdout (from it).  The container's side resolves
   inside its root only.  */
struct cc_cp_opts
{
  const char *container;
  const char *src, *dest; /* paths: the container's side is the one TO_CONTAINER names */
  bool to_container;
  bool archive;     /* -a: keep uid and gid (else the destination's root or caller) */
  bool follow_link; /* -L: a symlink source is copied as what it points to */
};
int cc_engine_cp (const struct cc_cp_opts *o, cc_error_t *err);
/* `export`: the CONTAINER's own files (running or not) as a tar stream in the file
   OUTPUT (NULL: stdout), its mounts (volumes, binds, /proc, /sys) left
   out as Docker leaves them.  */
int cc_engine_export (const char *container, const char *output, cc_error_t *err);

/* ---- commit (commit.c) ---------------------------------------------------- */

/* `commit`: CONTAINER's (a container of the project STATE) changes as a
   new image over its own: the image's config with CHANGES (Dockerfile
   instructions, no ONBUILD) applied, AUTHOR and MESSAGE in its history,
   tagged REF (NULL: untagged); PAUSE freezes a running container while
   its files are read.  *ID_OUT gets the image id.  */
struct cc_commit_opts
{
  const char *container;
  char *const *changes;
  const char *author, *message, *ref;
  bool pause;
};
int cc_engine_commit (const cJSON *state, const struct cc_commit_opts *o, char **id_out, cc_error_t *err);

/* ---- stats (stats.c) ------------------------------------------------------ */

/* `stats`: one row per container of NAMES, Docker's stats formatter's
   fields as strings (BlockIO, CPUPerc, Container, ID, MemPerc, MemUsage,
   Name, NetIO, PIDs), from two readings INTERVAL_MS apart.  */
cJSON *cc_engine_stats (char *const *names, int64_t interval_ms);

/* ---- events (events.c) ---------------------------------------------------- */

/* Append one event to PROJECT's journal: ACTION ("create", "kill"...) of
   container NAME (its state ENTRY, else the one saved), with the
   attribute KEY=VALUE when KEY is not NULL.  Best effort: a project
   without a state directory records nothing.  */
void cc_engine_event (const char *project, const char *name, const cJSON *entry, const char *action, const char *key,
                      const char *value);
/* The same, the project found from the container's runtime spec, into
   a journal that exists already (kill, pause and stop may run beside a
   `down`, which must find nothing new in the directory it removes).  */
void cc_engine_container_event (const char *name, const char *action, const char *key, const char *value);
/* `ccompose -p PROJECT journal|balance`, run by a monitor: the change its
   environment describes (CC_RUNTIME_CHANGE_*, runtime/runtime.h) as
   start, die and health_status events.  */
void cc_engine_journal_change (const char *project);
/* `events`: each new event of PROJECT (of SERVICES only, when not NULL)
   to FN as Docker Compose's JSON object, until FN returns < 0.  */
typedef int (*cc_event_fn) (void *opaque, const cJSON *event);
int cc_engine_events_follow (const char *project, char *const *services, cc_event_fn fn, void *opaque, cc_error_t *err);

/* ---- the low-level tools (tools.c) --------------------------------------- */

/* Run the tool NAME ("runtime", "netdev": lib/tool.h) with ARGV and
   return its exit code.  */
int cc_engine_tool (const char *name, const char *project, int argc, char **argv);

/* ---- the residue check (residue.c) ------------------------------------ */

/* What one state root holds that no live project owns.  */
struct cc_residue_root
{
  const char *state_dir, *data_dir;
  struct cc_findings found; /* the first look (with fix: what was removed) */
  struct cc_findings left;  /* what is left: with fix, a second look */
  const char *errors;       /* what could not be read or removed, or NULL */
};
typedef void (*cc_residue_report_fn) (const struct cc_residue_root *r, void *opaque);
/* `system check [--fix] [--all]`: FN gets each state root's findings as
   soon as it is checked (only the caller's root without ALL; with it,
   every root on the host, the resources no root records judged once).  */
int cc_engine_residue_check (bool fix, bool all, cc_residue_report_fn fn, void *opaque, cc_error_t *err);

/* ---- reboot survival (boot.c) ------------------------------------------- */

/* Record under the data root what `system boot` brings back of the
   project STATE describes (its `always` and `unless-stopped` services, as
   Docker's daemon restarts them), or forget it when nothing would come
   back.  P, when loaded, is the model to snapshot; NULL keeps the one on
   record.  A record that cannot be written is a warning: the command
   itself succeeded.  */
void cc_engine_boot_record (const cJSON *state, const struct cc_project *p);
/* `down`: the project no longer comes back.  */
int cc_engine_boot_forget (const char *project, cc_error_t *err);

struct cc_boot_opts
{
  int parallel; /* < 1: unlimited */
};
/* `system boot`: `up -d` of every recorded project's services from its
   snapshot, in dependency order; a project that fails (its directory
   gone, an image missing) is reported and the others go on.  Idempotent:
   what runs is kept.  */
int cc_engine_boot (const struct cc_boot_opts *o, cc_error_t *err);
/* Every container a record names: after a reboot, until `system boot`
   runs, what they left on the data root (writable layer, logs, volume
   users) is theirs, not residue.  */
int cc_engine_boot_containers (char ***out, cc_error_t *err);

/* ---- containers (container.c) ----------------------------------------- */

struct cc_runtime_spec;
struct cc_image;

/* A container's directory under the data root: its overlay upper and
   work directories, logs, and the files bound on /etc/hosts,
   /etc/resolv.conf and /etc/hostname.  Those are writable by the
   container: on the data root, as Docker keeps them under its data
   directory, a container filling them fills what its upper directory
   can fill anyway, never the state root (issue 12, item 9).  The
   runtime's delete removes it whole.  */
char *cc_engine_container_dir (const char *name);

/* SVC's `platform:` against the host's, and IMG's when not NULL.  */
int cc_engine_check_platform (const struct cc_service *svc, const struct cc_image *img, cc_error_t *err);
/* The hostname of container NAME of SVC, as Docker gives it: `hostname:`,
   the host's with `network_mode: host`, that of the container whose
   namespace it shares with `service:` or `container:`, the
   container_name, else the first 12 hex digits of ID, the id its state
   entry recorded.  */
char *cc_engine_hostname (const struct cc_project *p, const struct cc_service *svc, const char *name, const char *id);
/* Where the /etc files of container NAME of SVC come from: its own
   directory, or with `network_mode: service:` the directory of the
   container whose namespace it shares (Docker shares hosts,
   resolv.conf and hostname with it).  */
char *cc_engine_etc_dir (const struct cc_project *p, const struct cc_service *svc, const char *name);

/* The runtime spec of replica NAME of SERVICE: the image config merged with
   the compose keys.  ID is the container's recorded id; NETNS is its
   network namespace path (NULL: host).  */
int cc_engine_build_spec (const struct cc_project *p, const struct cc_service *svc, const struct cc_image *img,
                          const char *name, const char *id, const char *netns, struct cc_runtime_spec **out,
                          cc_error_t *err);

/* The attributes each log record of container NAME (state ENTRY)
   carries: the `labels`, `env`, their -regex forms and `tag` of its
   logging options (compose/logging.h), into S->log_attrs.  */
int cc_engine_set_log_attrs (struct cc_runtime_spec *s, const struct cc_service *svc, const cJSON *entry,
                             const char *name, cc_error_t *err);

/* Create one container of SVC fully: netns, network endpoints, hosts and
   resolv files, volumes, runtime container (created, not started).  The
   state entry must already exist.  */
int cc_engine_create_container (const struct cc_project *p, const struct cc_service *svc, const cJSON *entry,
                                const char *name, cc_error_t *err);

/* ---- the embedded DNS (dns.c) ------------------------------------------- */

/* Start the project's DNS responder unless it runs, once the project has
   networks.  */
int cc_engine_dns_start (struct cc_state *st, cc_error_t *err);
/* Start it again if it ran and died (a warning when that fails): the
   project commands do before anything else.  */
void cc_engine_dns_repair (const char *project);

/* ---- volumes (volumes.c): `volume` and `volumes` ----------------------- */

struct cc_engine_volume_opts
{
  const char *name; /* NULL or "": a random one, labelled anonymous as Docker does */
  const char *driver;
  char *const *options; /* KEY=VALUE: the local driver's type, o, device */
  char *const *labels;  /* KEY=VALUE */
};
/* Create a volume (an existing one is success); *NAME_OUT its name.  */
int cc_engine_volume_create (const struct cc_engine_volume_opts *o, char **name_out, cc_error_t *err);
/* `docker volume inspect` objects of every volume passing FILTERS
   (Docker's: name=, driver=, label=K[=V], dangling=), sorted by name;
   each has "UsedBy": the containers that use it.  */
int cc_engine_volume_list (char *const *filters, cJSON **out, cc_error_t *err);
int cc_engine_volume_inspect (const char *name, cJSON **out, cc_error_t *err);
/* One that containers use is refused (EBUSY) unless FORCE.  */
int cc_engine_volume_remove (const char *name, bool force, cc_error_t *err);
/* Remove the volumes no container uses (only anonymous ones unless ALL)
   passing FILTERS; *REMOVED their names, *RECLAIMED their bytes.  */
int cc_engine_volume_prune (bool all, char *const *filters, char ***removed, int64_t *reclaimed, cc_error_t *err);
/* PROJECT's volumes, or those its containers of SERVICES use.  */
int cc_engine_project_volumes (const char *project, char *const *services, cJSON **out, cc_error_t *err);

/* ---- networks (networks.c): `network` ------------------------------------ */

struct cc_engine_network_opts
{
  const char *name;
  const char *driver;                                        /* NULL or "bridge" */
  char *const *subnets, *const *gateways, *const *ip_ranges; /* one per family each */
  bool ipv6, internal;
  bool no_ipv4;        /* --ipv4=false: IPv6 only, with --ipv6 (issue 15) */
  char *const *labels; /* KEY=VALUE */
  /* --aux-address NAME=IP and -o KEY=VALUE, the bridge driver's options
     (compose/bridge-opts.c), issue 15.  */
  char *const *aux_addresses, *const *driver_opts;
};
/* `network create`: a bridge network of no compose project, which
   compose files may declare external; *ID_OUT its Docker id.  A name
   already used is an error, as Docker's.  */
int cc_engine_network_create (const struct cc_engine_network_opts *o, char **id_out, cc_error_t *err);
/* `docker network inspect` objects of every network passing FILTERS
   (Docker's: name=, id=, driver=, label=K[=V], label!=, scope=, type=,
   dangling=), sorted by name: `network create`'s and compose projects'.  */
int cc_engine_network_list (char *const *filters, cJSON **out, cc_error_t *err);
/* By name, id, or an id prefix naming one network.  */
int cc_engine_network_inspect (const char *what, cJSON **out, cc_error_t *err);
/* One `network create` made; refused (EBUSY) while containers use it.  */
int cc_engine_network_remove (const char *what, cc_error_t *err);
/* Remove `network create`'s networks no container uses passing FILTERS;
 *REMOVED their names.  */
int cc_engine_network_prune (char *const *filters, char ***removed, cc_error_t *err);

#endif
