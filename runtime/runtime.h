/* ccompose runtime: the embedded container runtime and the per-container
   monitor (ARCHITECTURE.md, "Parts" and "Process model").  This is the
   one header other folders use.

   Life of a container
   -------------------
   cc_runtime_create() records the spec under
       cc_state_dir()/containers/<id>/spec.json
   and starts the monitor, `ccompose runtime monitor <id>` (shown by ps as
   `ccompose-monitor <id>`): a detached process (double fork, setsid,
   child subreaper) that creates the cgroups, clones the container into new
   pid, mount, uts, ipc and cgroup namespaces (joining spec->netns, or a new
   empty one kept for restarts), builds its root and stops it right before
   execve, waiting on `exec.fifo`.  cc_runtime_start() opens the fifo and
   the container runs.  The monitor owns the container's stdout and stderr
   and writes them in Docker's json-file format to
       cc_data_dir()/containers/<id>/<id>-json.log   (rotated: .1, .2, ...)
   records exit code, time and OOM kill, applies the restart policy, runs
   the healthcheck, and exits once the container has stopped for good.
   cc_runtime_delete() kills whatever is left and removes cgroups, state,
   logs and the upper and work dirs given in the spec; it is idempotent.
   Every mount (overlay root, /proc, /dev, binds) lives in the container's
   own mount namespace: nothing is mounted on the host, nothing can leak.

   The container sees /proc (masked and read-only paths as Docker), /sys
   and its own cgroups under /sys/fs/cgroup read-only, a tmpfs /dev with
   the standard nodes, /dev/pts, /dev/shm, /dev/mqueue; PID 1 gets Docker's
   14 capabilities and a seccomp filter unless told otherwise.

   State on disk (cc_state_dir()/containers/<id>/state.json, written
   atomically by the monitor only):
     { "id", "status": "created|running|restarting|exited",
       "pid", "pid_start", "monitor_pid", "monitor_start",
       "exit_code", "oom_killed", "started_at", "finished_at" (RFC 3339),
       "restart_count", "error", "cgroup" (leaf name under <hierarchy>/ccompose/ or the spec's cgroup_parent),
       "health": { "Status": "starting|healthy|unhealthy", "FailingStreak",
                   "Log": [ {"Start","End","ExitCode","Output"} ] } }   (Docker's names)
   "paused" is never stored: cc_runtime_state() reads the freezer.

   Spec JSON (what `ccompose runtime ... --spec FILE` reads; the engine
   fills struct cc_runtime_spec directly).  Every key is optional except
   args and one of rootfs / layers:
     { "rootfs": "/dir"                       plain root directory, or
       "layers": ["/top", ..., "/bottom"], "upper": "/u", "work": "/w",
       "args": ["/bin/sh", "-c", "..."], "env": ["K=V"], "cwd": "/",
       "user": "name|uid[:gid|:group]", "group_add": ["name"|"gid"], "hostname": "h", "domainname": "d",
       "mounts": [ { "type": "bind|tmpfs", "source": "/host", "target": "/in",
                     "options": ["ro", "rprivate|rslave|rshared|...", "size=1m", "mode=1777",
                                 "nosuid", "nodev", "noexec", "create_host_path",
                                 "norbind" (without the source's submounts),
                                 "ro-top" (read-only on the top mount only),
                                 "subpath=REL" (bind REL of the source, resolved
                                               beneath it)] } ],
       "read_only": false, "shm_size": 67108864,
       "resources": { "memory": bytes, "memory_swap": bytes (-1 unlimited),
                      "memory_reservation": bytes (a soft limit),
                      "cpu_quota": us, "cpu_period": us, "cpu_shares": n, "pids_limit": n,
                      "cpuset_cpus": "0-1", "cpu_rt_runtime": us, "cpu_rt_period": us,
                      "memory_swappiness": 0..100 (-1 the parent's), "oom_kill_disable": false,
                      "blkio_weight": n, "blkio_weight_device": ["/dev/x 300"],
                      "blkio_read_bps"|"blkio_write_bps"|"blkio_read_iops"|"blkio_write_iops":
                        ["/dev/x RATE"],
                      "devices": ["/dev/host:/dev/in:rwm"], "device_rules": ["c 1:3 rwm"] },
       "oom_score_adj": 0, "cgroupns_host": false,
       "cgroup_parent": "a/b" (below each hierarchy's root; absent: ccompose),
       "pid_mode"|"ipc_mode"|"uts_mode": "host" | "container:ID" (absent: its own),
       "cap_add": ["NET_ADMIN" | "ALL"], "cap_drop": [...], "privileged": false,
       "no_new_privileges": false, "seccomp": true,
       "sysctls": { "net.ipv4.ip_forward": "1" },
       "ulimits": { "nofile": { "soft": n, "hard": n } },
       "init": false,
       "terminal": false (PID 1 on a pty of the container's devpts whose
                          master the monitor keeps: logs, `attach`),
       "stdin_open": false (PID 1's stdin a pipe the monitor keeps open
                            for `attach`),
       "stop_signal": "SIGTERM", "stop_grace_ms": 10000,
       "restart": "no|always|on-failure[:N]|unless-stopped",
       "healthcheck": { "test": ["CMD", ...] | ["CMD-SHELL", "..."] | ["NONE"],
                        "interval_ms", "timeout_ms", "retries", "start_period_ms",
                        "start_interval_ms" },
       "log": { "driver": "json-file|local|none|syslog", "max_size": bytes, "max_file": n,
                "compress": false, "attrs": ["NAME=VALUE"], "nonblocking": false,
                "max_buffer": bytes, "address": "udp://h:p" (syslog; absent: /dev/log),
                "facility": 3, "format": "rfc3164|rfc5424|rfc5424micro", "tag": "text",
                "cache_disabled": false },
       "netns": "/run/ccompose/.../netns" | "host",
                                             absent: a new empty netns (lo up);
                                             "host": the caller's (network_mode: host)
       "hosts_file": "/f", "resolv_conf": "/f", "hostname_file": "/f",
       "owner": "text"                       who made it (the engine: its project),
                                             kept and never read by the runtime }  */
#ifndef CC_RUNTIME_RUNTIME_H
#define CC_RUNTIME_RUNTIME_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

struct cc_runtime_mount
{
  char *type;   /* "bind" or "tmpfs" */
  char *source; /* host path for bind */
  char *target; /* absolute path inside the container */
  char **options;
};

struct cc_runtime_rlimit
{
  int resource; /* RLIMIT_* */
  uint64_t soft, hard;
};
/* RLIMIT_* of a ulimit name as Docker spells it ("nofile"), or -1.  */
int cc_runtime_rlimit_from_name (const char *name);

enum cc_restart_policy
{
  CC_RESTART_NO,
  CC_RESTART_ALWAYS,
  CC_RESTART_ON_FAILURE,
  CC_RESTART_UNLESS_STOPPED,
};

struct cc_runtime_health
{
  char **test; /* NULL = none; "CMD", args... or "CMD-SHELL", script */
  int64_t interval_ms, timeout_ms, start_period_ms, start_interval_ms;
  int retries;
};

struct cc_runtime_resources
{
  int64_t memory;             /* bytes, 0 = unlimited */
  int64_t memory_swap;        /* memory + swap, bytes; 0 = unset, -1 = unlimited */
  int64_t memory_reservation; /* soft limit, bytes, 0 = none */
  int64_t cpu_quota;          /* us per period, 0 = unlimited */
  int64_t cpu_period;         /* us, 0 = kernel default */
  int64_t cpu_shares;         /* 0 = default */
  int64_t pids_limit;         /* 0 = unlimited */
  char *cpuset_cpus;          /* "0-1,3", NULL = the parent's */
  int64_t cpu_rt_runtime;     /* us per cpu_rt_period, 0 = none */
  int64_t cpu_rt_period;      /* us, 0 = kernel default */
  int64_t memory_swappiness;  /* 0..100, -1 = the parent's */
  bool oom_kill_disable;
  int64_t blkio_weight; /* 10..1000, 0 = the kernel's */
  /* "PATH N" each: the device node resolved to major:minor at create.  */
  char **blkio_weight_device, **blkio_read_bps, **blkio_write_bps, **blkio_read_iops, **blkio_write_iops;
  /* "HOST:CONTAINER:PERMS" each (compose's `devices`): HOST a device node
     under /dev (symlinks followed), made at CONTAINER (under /dev) with
     its type and numbers and allowed with PERMS (of "rwm").  */
  char **devices;
  /* device_cgroup_rules: "TYPE MAJOR:MINOR PERMS" each (TYPE a, b or c,
     numbers or `*`), added to the devices cgroup's allow list.  */
  char **device_rules;
};

struct cc_runtime_spec
{
  char *rootfs;       /* plain root, or NULL when layers are given */
  char **layers;      /* overlay lower dirs, top first */
  char *upper, *work; /* overlay upper and work dirs (same filesystem) */
  char **args, **env;
  char *cwd, *user, *hostname, *domainname;
  /* Supplementary groups added to the user's (Docker's --group-add):
     names resolved through the container's /etc/group, or numbers.  */
  char **group_add;
  struct cc_runtime_mount *mounts;
  size_t n_mounts;
  bool read_only;
  int64_t shm_size;
  struct cc_runtime_resources resources;
  int64_t oom_score_adj; /* -1000..1000, written for the process (Docker's default 0) */
  bool cgroupns_host;    /* the caller's cgroup namespace (compose's `cgroup: host`) */
  /* Docker's --cgroup-parent: below each hierarchy's root (NULL: ccompose).  */
  char *cgroup_parent;
  /* NULL (or "private", "shareable"): a namespace of its own; "host": the
     caller's; "container:ID": that container's, which must be running.  */
  char *pid_mode, *ipc_mode, *uts_mode;
  char **cap_add, **cap_drop;
  bool privileged, no_new_privileges, seccomp;
  char **sysctls; /* "key=value" */
  struct cc_runtime_rlimit *rlimits;
  size_t n_rlimits;
  bool init;
  bool terminal, stdin_open; /* compose's tty and stdin_open */
  int stop_signal;
  int64_t stop_grace_ms;
  enum cc_restart_policy restart;
  int restart_max; /* on-failure:N, 0 = unbounded */
  struct cc_runtime_health health;
  char *log_driver;     /* "json-file" (NULL), "local", "none" or "syslog" (issue 15) */
  int64_t log_max_size; /* 0 = never rotate */
  int log_max_file;
  bool log_compress;      /* rotated files gzipped (<file>.N.gz) */
  char **log_attrs;       /* "NAME=VALUE", sorted: each record's "attrs" */
  bool log_nonblocking;   /* drop output rather than stall on a slow sink */
  int64_t log_max_buffer; /* with log_nonblocking: bytes held for the sink */
  /* syslog: where, facility (0-23), format (NULL: rfc3164), the expanded
     tag; the file above is then the cache `logs` reads, unless disabled.  */
  char *log_address, *log_format, *log_tag;
  int log_facility;
  bool log_cache_disabled;
  char *netns; /* path to join, "host", or NULL: a new empty one */
  char *hosts_file, *resolv_conf, *hostname_file;
  char *owner; /* opaque to the runtime: the engine finds its containers by it */
  /* Run by the monitor, detached, each time the status or the health
     changes (issue 16: the balancer follows health; issue 15: the
     events journal), with CC_RUNTIME_CHANGE_* set; NULL: nothing.  */
  char **on_change;
  /* "HOST:CONTAINER": tcp ports the monitor relays from [::1]:HOST to
     the container's address (runtime/proxy.c, issue 17).  */
  char **loopback6_ports;
};

/* The environment of an on_change program: the container, its
   "STATUS/HEALTH" before and after, and its exit code.  */
#define CC_RUNTIME_CHANGE_ID "CCOMPOSE_CHANGE_ID"
#define CC_RUNTIME_CHANGE_FROM "CCOMPOSE_CHANGE_FROM"
#define CC_RUNTIME_CHANGE_TO "CCOMPOSE_CHANGE_TO"
#define CC_RUNTIME_CHANGE_EXIT "CCOMPOSE_CHANGE_EXIT"

/* A spec with Docker's defaults (seccomp on, SIGTERM, 10 s grace, 64 MiB
   /dev/shm, one log file, healthcheck timings); the engine fills the
   rest.  cc_runtime_create checks it as strictly as the JSON parser.  */
struct cc_runtime_spec *cc_runtime_spec_new (void);
void cc_runtime_spec_free (struct cc_runtime_spec *spec);
static inline void
cleanup_runtime_spec_fn (struct cc_runtime_spec **s)
{
  if (*s)
    cc_runtime_spec_free (*s);
}
#define cleanup_runtime_spec __attribute__ ((cleanup (cleanup_runtime_spec_fn)))

/* Parse the spec JSON above; unknown keys and wrong types are errors.  */
int cc_runtime_spec_from_json (const cJSON *json, struct cc_runtime_spec **out, cc_error_t *err);
int cc_runtime_spec_load (const char *path, struct cc_runtime_spec **out, cc_error_t *err);
/* The spec container ID was created from.  */
int cc_runtime_spec_of (const char *id, struct cc_runtime_spec **out, cc_error_t *err);
cJSON *cc_runtime_spec_to_json (const struct cc_runtime_spec *spec);

/* The helper program the monitor runs serves other parts too (the
   embedded DNS's responder): run it with ARGS after its name, detached
   (nobody's child), PASS_FD (>= 0) handed over as descriptor 4; it
   reports one JSON line on descriptor 3, {"pid": N} or {"error": ...},
   before this returns.  */
#define CC_RUNTIME_HELPER_STATUS_FD 3
#define CC_RUNTIME_HELPER_PASS_FD 4
int cc_runtime_spawn_helper (char *const *args, int pass_fd, cc_error_t *err);

/* Create the container (monitor started, process waiting before exec).  */
int cc_runtime_create (const char *id, const struct cc_runtime_spec *spec, cc_error_t *err);
/* Let a created container exec; an exited one is started again.  */
int cc_runtime_start (const char *id, cc_error_t *err);
/* Several at once: every one is let go before any is confirmed.  */
int cc_runtime_start_many (char *const *ids, cc_error_t *err);
/* create + start.  */
int cc_runtime_run (const char *id, const struct cc_runtime_spec *spec, cc_error_t *err);
/* Block until the container stopped for good (its monitor exited); the
   exit code, or -1 with *ERR.  TIMEOUT_MS < 0 waits forever.  */
int cc_runtime_wait (const char *id, int64_t timeout_ms, cc_error_t *err);

struct cc_runtime_stop_report
{
  bool was_running;
  bool signal_caught; /* PID 1 had a handler for the stop signal (SigCgt) */
  bool killed;        /* the grace period ran out: SIGKILL was sent */
  int64_t elapsed_ms;
};
/* Stop signal, then SIGKILL after the grace period (GRACE_MS < 0: the
   spec's).  The restart policy does not bring the container back.  */
int cc_runtime_stop (const char *id, int64_t grace_ms, struct cc_runtime_stop_report *report, cc_error_t *err);
int cc_runtime_kill (const char *id, int sig, cc_error_t *err);
/* Say a stop is coming before it comes (a replica leaving its balancer,
   issue 16): the restart policy no longer applies, and
   cc_runtime_stop_requested is true until the next start.  */
int cc_runtime_request_stop (const char *id, cc_error_t *err);
bool cc_runtime_stop_requested (const char *id);
int cc_runtime_pause (const char *id, cc_error_t *err);
int cc_runtime_unpause (const char *id, cc_error_t *err);
/* An O_PATH descriptor of the running (or paused) container's root as
   its PID 1 sees it, mounts included (/proc/PID/root): paths under it
   must be resolved with RESOLVE_IN_ROOT, never by string.  */
int cc_runtime_open_root (const char *id, cc_error_t *err);
/* The same for any container: one that was created or has stopped gives
   its own files only, on a detached mount that closing the descriptor
   undoes, and *MOUNT_TARGETS lists where its volumes, binds and tmpfs
   would be (they exist only while it runs; NULL when it runs).  */
int cc_runtime_open_any_root (const char *id, char ***mount_targets, cc_error_t *err);
/* One reading of a container's counters (`stats`): all 0 but RUNNING
   false when it does not run.  */
struct cc_runtime_stats
{
  bool running;
  uint64_t cpu_ns;              /* CPU time used since it started */
  uint64_t mem_usage;           /* without the inactive page cache, as Docker counts it */
  uint64_t mem_limit;           /* 0: none */
  uint64_t net_rx, net_tx;      /* bytes, every interface but lo */
  uint64_t blk_read, blk_write; /* bytes */
  uint64_t pids;
};
int cc_runtime_stats (const char *id, struct cc_runtime_stats *s, cc_error_t *err);
/* Remove everything the container owns; missing = success.  */
int cc_runtime_delete (const char *id, cc_error_t *err);

/* The on-disk state, with "status" corrected from the kernel (a dead
   monitor or pid is "exited", a frozen cgroup "paused").  */
int cc_runtime_state (const char *id, cJSON **out, cc_error_t *err);
/* Ids of every container with a state directory, sorted.  */
int cc_runtime_list (char ***ids, cc_error_t *err);

/* The residue check's scanners of what the runtime owns (residue.c; run
   by engine/residue.c in this order): containers no live project claims
   (removed whole by cc_runtime_delete), `ccompose-monitor` processes of
   containers that are gone or unclaimed, and `ccompose/<id>` cgroups of
   this root, in every hierarchy, whose container is gone.  Findings are
   appended to OUT, what cannot be read or removed to ERRORS.  */
struct cc_residue_scope;
struct cc_findings;
void cc_runtime_residue_containers (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors);
void cc_runtime_residue_monitors (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors);
void cc_runtime_residue_cgroups (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors);
/* `ccompose runtime ...`, the low-level tool (tool.c, lib/tool.h).  */
int cc_runtime_tool (const char *project, int argc, char **argv);

/* The state roots of running monitors (CCOMPOSE_STATE_DIR in their
   environment; the default root without it).  */
char **cc_runtime_monitor_roots (void);

struct cc_runtime_exec_opts
{
  char **args;
  char **env;       /* added to the container's environment */
  const char *user; /* NULL: the container's */
  const char *cwd;  /* NULL: the container's */
  bool tty;
  bool detach;     /* stdio: the container's /dev/null, nothing relayed */
  bool privileged; /* every capability, as `docker exec --privileged` */
  char **output;   /* non-NULL: stdin /dev/null, stdout and stderr
                      collected here (the first 64 KiB) instead of relayed */
};
/* Run a process inside the running container with the same namespaces,
   cgroups, user and security settings; returns its exit status (128+N
   for a signal) or -1.  It starts in a session of its own and gets no
   descriptor of ours: its stdio are pipes we relay to and from our
   stdio (stdin until EOF, stdout and stderr apart, binary safe), or a
   pty of the container's devpts relayed with our terminal when tty.
   When it exits, what its pipes hold is copied and they close: a
   process it left behind can no longer reach our stdio.  When it could
   not start (126: joining or running failed, 127: not found), *ERR also
   says why, beside that status: the caller prints it.  */
int cc_runtime_exec (const char *id, const struct cc_runtime_exec_opts *opts, cc_error_t *err);

/* `run`: the caller's stdin, or a terminal, for a container's PID 1.
   Open before cc_runtime_create (the container finds it by ID while it
   is created); after cc_runtime_start, either hand over our stdin (a
   helper process copies it until EOF, which the container then sees)
   or relay our terminal with a pty of the container's devpts (raw mode,
   window size; returns once the container's terminal closed, our
   terminal restored).  Either way signals to us go to PID 1.  A container whose caller
   went away runs detached, stdin /dev/null.  */
struct cc_runtime_attach;
int cc_runtime_attach_open (const char *id, struct cc_runtime_attach **out, cc_error_t *err);
int cc_runtime_attach_stdin (struct cc_runtime_attach *a, cc_error_t *err);
int cc_runtime_attach_tty (struct cc_runtime_attach *a, cc_error_t *err);
/* Since cc_runtime_attach_stdin, signals to us wait for this call (the
   caller's loop makes it often) to be sent to PID 1, as Docker's
   sig-proxy does; the tty relay forwards them itself.  */
void cc_runtime_attach_forward_signals (struct cc_runtime_attach *a);
/* Stops the stdin helper, removes the socket if still there.  */
void cc_runtime_attach_close (struct cc_runtime_attach *a);
static inline void
cleanup_runtime_attach_fn (struct cc_runtime_attach **a)
{
  cc_runtime_attach_close (*a);
}
#define cleanup_runtime_attach __attribute__ ((cleanup (cleanup_runtime_attach_fn)))

/* `attach` to a container whose spec has `terminal` or `stdin_open`:
   through its monitor, which keeps the terminal or stdin (runtime/
   console.c).  Our stdin goes in (unless NO_STDIN or the container
   takes no input) until the DETACH_KEYS (Docker's syntax, NULL:
   ctrl-p,ctrl-q), our terminal raw and its size followed when the
   container has a terminal; the output comes out, as bytes.  Returns
   CC_CONSOLE_DETACHED (the detach keys, or TICK, asked every 100 ms,
   said so), 0 when the container's output ended, -1.  */
struct cc_detach_keys
{
  unsigned char seq[16];
  size_t n;
};
int cc_runtime_detach_keys_parse (const char *spec, struct cc_detach_keys *keys, cc_error_t *err);
struct cc_console_opts
{
  const char *detach_keys;
  bool no_stdin;
  bool (*tick) (void *opaque);
  void *opaque;
};
#define CC_CONSOLE_DETACHED 1
bool cc_runtime_has_console (const char *id);
int cc_runtime_console (const char *id, const struct cc_console_opts *o, cc_error_t *err);

/* Path helpers (freshly allocated).  */
char *cc_runtime_state_path (const char *id);
char *cc_runtime_log_path (const char *id);

/* Print the json-file log back as plain text: stdout records to OUT_FD,
   stderr records to ERR_FD, oldest rotated file first.  */
int cc_runtime_logs (const char *id, int out_fd, int err_fd, cc_error_t *err);

/* Entry point of `ccompose runtime monitor <id>` (never returns on the
   success path of the container's life; returns an exit status).  */
int cc_runtime_monitor_args (int argc, char **argv, int *status_fd, bool *start_now, const char **id);
int cc_runtime_monitor_main (const char *id, int status_fd, bool start_now, char **argv);

/* Restart policy text ("on-failure:3") to the spec fields.  */
int cc_runtime_parse_restart (const char *text, enum cc_restart_policy *policy, int *max, cc_error_t *err);
/* Signal name (SIGTERM, TERM) or number to a signal number.  */
int cc_runtime_parse_signal (const char *text, int *sig, cc_error_t *err);

#endif
