/* Every naming rule of ccompose in one place (ARCHITECTURE.md, "Names and
   roots"): the two roots, the layout under them, the tags that keep
   parallel roots apart, and the names Docker Compose gives containers
   and networks.  A file or a name derived anywhere else is a bug.  */
#ifndef CC_LIB_PATHS_H
#define CC_LIB_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CC_STATE_DIR_ENV "CCOMPOSE_STATE_DIR"
#define CC_DATA_DIR_ENV "CCOMPOSE_DATA_DIR"
#define CC_STATE_DIR_DEFAULT "/run/ccompose"
#define CC_DATA_DIR_DEFAULT "/var/lib/ccompose"

/* Runtime state: pids, netns handles, per-project JSON.  */
const char *cc_state_dir (void);
/* Persistent data: images, volumes, logs.  */
const char *cc_data_dir (void);
/* Look at another pair of roots for a while (the residue check's --all),
   without touching the environment; NULL, NULL goes back to the
   environment's.  Only for work that starts no process: a monitor takes
   its roots from the environment it inherits.  */
void cc_paths_use_roots (const char *state_dir, const char *data_dir);

/* ---- roots on this host --------------------------------------------------- */

/* State roots present on this host: the default one, any /run/ccompose*
   directory holding ccompose state (containers/, projects/, network/ or
   netns/), and one level deeper for per-test roots
   (/run/ccompose-test/<name>).  Sorted, without duplicates.  */
char **cc_paths_state_roots (void);
/* The data root paired with a state root by convention: /run/X ->
   /var/lib/X; elsewhere <root>/data.  */
char *cc_paths_data_root_for (const char *state_root);
bool cc_paths_same_root (const char *a, const char *b);

/* ---- layout under the roots ----------------------------------------------- */

/* <state>/projects and <state>/projects/<name>: the engine's project state.  */
char *cc_paths_projects (void);
char *cc_paths_project (const char *project);
/* <state>/projects/<name>/state.json and .../lock.  */
char *cc_paths_project_state (const char *project);
char *cc_paths_project_lock (const char *project);
/* <state>/containers/<id>[/<file>]: the runtime's record of a container
   (spec.json, state.json, the monitor's socket...).  */
char *cc_paths_containers (void);
char *cc_paths_container (const char *id);
/* The same under another state root (the residue check's --all).  */
char *cc_paths_container_in (const char *state_root, const char *id);
char *cc_paths_container_file (const char *id, const char *file);
/* <state>/containers/<id>/spec.json: what the container was created from.  */
char *cc_paths_container_spec (const char *id);
/* <data>/containers/<id>: logs, upper and work directories, the files
   bound on /etc/hosts, resolv.conf and hostname.  */
char *cc_paths_container_data_root (void);
char *cc_paths_container_data (const char *id);
/* <data>/containers/<id>/<file>  */
char *cc_paths_container_data_file (const char *id, const char *file);
/* <data>/containers/<id>/<id>-json.log  */
char *cc_paths_container_log (const char *id);
/* <state>/netns[/<name>]: network namespace handles.  */
char *cc_paths_netns_dir (void);
/* <state>/network: the network part's state.json and lock.  */
char *cc_paths_network_dir (void);
char *cc_paths_network_state (void);
char *cc_paths_network_lock (void);
/* <data>/volumes[/<name>]: named volumes (volumes/), each with its
   data in _data and its record in volume.json.  */
char *cc_paths_volumes_dir (void);
char *cc_paths_volume (const char *name);
/* <data>/boot[/<project>]: what `system boot` brings back after a reboot
   (engine/boot.c): a project's record.json and its model's snapshot.  */
char *cc_paths_boot_dir (void);
char *cc_paths_boot (const char *project);
/* <data>/images: the image store.  */
char *cc_paths_image_store (void);
/* <data>/images/<FMT...>: a file or directory of the image store.  */
char *cc_paths_image_store_file (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* <data>/builder/<FMT...>: the builder's records, cache and scratch
   space.  */
char *cc_paths_builder (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* <data>/bin: the installed monitor programs.  */
char *cc_paths_monitor_bin_dir (void);
/* <data>/cache/<FILE>: what any command may make again (the compiled
   seccomp filter).  */
char *cc_paths_cache_file (const char *file);

/* ---- names ----------------------------------------------------------------- */

/* Docker Compose's names: <project>-<service>-<n> for a container,
   <project>_<key> for a project's network or volume on the host.  */
char *cc_paths_container_name (const char *project, const char *service, int number);
/* --compatibility (COMPOSE_COMPATIBILITY): Compose v1's `_` in the names
   of containers and built images instead of `-`, as Compose v2 does then.  */
void cc_paths_set_compatibility (bool on);
/* <project>-<service>-run-<suffix>: a one-off container of `run`.  */
char *cc_paths_oneoff_name (const char *project, const char *service, const char *suffix);
char *cc_paths_resource_name (const char *project, const char *key);
/* <project>-<service>: the image a service without `image:` is built as.  */
char *cc_paths_built_image_name (const char *project, const char *service);
/* A container's default hostname: 12 hex digits, as Docker names a host
   after the short id of its container (ccompose has no ids: a hash of
   the state root and NAME, stable while the container lives).  */
char *cc_paths_container_hostname (const char *name);

/* FNV-1a (64 bits) of PARTS, a NUL between two parts so that ("ab", "c")
   and ("a", "bc") differ: the hash behind link names and root tags.  */
uint64_t cc_paths_hash (const char *const *parts, size_t n);

/* The state root's tag on links, link aliases and firewall rules: "" for
   the default root, else "@" and 6 hex digits.  */
const char *cc_paths_net_tag (void);
/* The cgroup the runtime names after container ID: the id, suffixed
   outside the default root with "-" and 8 hex digits of the FNV-1a (32
   bits) of the root, so that parallel roots never share one.  */
char *cc_paths_cgroup_name (const char *id);
/* The id of STATE_ROOT's container the cgroup NAME is for, or NULL when
   the name belongs to another root.  */
char *cc_paths_cgroup_id (const char *name, const char *state_root);
/* NAME without a root suffix, or NULL when it has none.  */
char *cc_paths_cgroup_strip_suffix (const char *name);

#endif
