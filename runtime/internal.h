/* Interfaces between the files of runtime/ (not for other folders; the
   unit tests use the pure parts).  */
#ifndef CC_RUNTIME_INTERNAL_H
#define CC_RUNTIME_INTERNAL_H

#include <cJSON.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "runtime/runtime.h"

/* spec.c */
const char *cc_runtime_signal_name (int sig);
bool cc_runtime_netns_is_host (const struct cc_runtime_spec *s);
const char *cc_runtime_restart_name (enum cc_restart_policy p);
const char *cc_runtime_rlimit_name (int resource);

/* state.c: where things live, and state.json.  */
int cc_runtime_check_id (const char *id, cc_error_t *err);
char *cc_runtime_dir (const char *id); /* cc_state_dir()/containers/<id> */
char *cc_runtime_file (const char *id, const char *name);
char *cc_runtime_log_dir (const char *id); /* cc_data_dir()/containers/<id> */
int cc_runtime_state_load (const char *id, cJSON **out, cc_error_t *err);
int cc_runtime_state_save (const char *id, const cJSON *state, cc_error_t *err);
/* RFC 3339 with nanoseconds, UTC, as Docker prints times.  */
char *cc_runtime_timestamp (const struct timespec *ts);
int64_t cc_runtime_now_ms (void);
/* Process identity: pid + start time (field 22 of /proc/PID/stat).  */
int cc_runtime_proc_start (pid_t pid, uint64_t *start);
bool cc_runtime_proc_alive (pid_t pid, uint64_t start);

/* cgroup.c: one backend per cgroup layout.  */
struct cc_cgroup_ops
{
  const char *name;
  /* ID below: the container's cgroup path under each hierarchy's root
     (cc_cgroup_path).  */
  /* Create the container's cgroups (removing stale ones) with limits.  */
  int (*create) (const char *id, const struct cc_runtime_resources *r, bool restrict_devices, cc_error_t *err);
  /* Joining avoids writing a PID to cgroup.procs: that takes the
     kernel's global cgroup_threadgroup_rwsem for writing, which first
     waits out an RCU grace period (8-14 ms measured, on every container
     start, exec and healthcheck probe).  The calling process joins the
     v1 hierarchies itself: "0" written to `tasks` moves only the writer,
     and the kernel skips the global lock when a thread moves itself
     (0.03-0.4 ms a hierarchy).  The caller must be single-threaded, so
     that the thread is the whole process.  */
  int (*enter_self) (const char *id, cc_error_t *err);
  /* The cgroup2 leaf as an O_PATH|O_DIRECTORY|O_CLOEXEC fd in *FD, for
     clone3's CLONE_INTO_CGROUP (the child is born inside: fork takes that
     lock only for reading), or for cc_cgroup_enter_fd where clone3
     cannot; *FD = -1 when the layout has no cgroup2 part (legacy v1).  */
  int (*open_leaf) (const char *id, int *fd, cc_error_t *err);
  /* Kill what is left inside, then remove; missing = success.  */
  int (*destroy) (const char *id, cc_error_t *err);
  int (*freeze) (const char *id, bool frozen, cc_error_t *err);
  /* 1 frozen, 0 not, -1 no cgroup.  */
  int (*is_frozen) (const char *id);
  /* OOM kills counted by the memory controller so far.  */
  uint64_t (*oom_kills) (const char *id);
  int (*kill_all) (const char *id, int sig, cc_error_t *err);
  /* The counters `stats` shows (stats.c adds the network's); what
     cannot be read stays 0.  */
  void (*stats) (const char *id, struct cc_runtime_stats *s);
};
const struct cc_cgroup_ops *cc_cgroup_ops_get (void);
extern const struct cc_cgroup_ops cc_cgroup_ops_v1;
extern const struct cc_cgroup_ops cc_cgroup_ops_hybrid;
extern const struct cc_cgroup_ops cc_cgroup_ops_v2;
#define CC_CGROUP_PARENT "ccompose"
/* The cgroup leaf of a container: cc_paths_cgroup_name (lib/paths.h),
   under CC_CGROUP_PARENT or the spec's cgroup_parent.  */

/* residue.c: every <hierarchy>/ccompose/<name> directory of every mounted
   cgroup hierarchy (v1 controllers, cgroup2, the hybrid unified one),
   sorted; whether one (or a cgroup below it) holds a process; rmdir of
   one and every cgroup below it, deepest first (missing = success).  */
int cc_cgroup_residue_dirs (char ***out, cc_error_t *err);
bool cc_cgroup_busy (const char *dir);
int cc_cgroup_remove_tree (const char *dir, cc_error_t *err);
/* A running `ccompose-monitor <id>` process.  */
struct cc_monitor_proc
{
  pid_t pid;
  uint64_t start;  /* /proc/PID/stat field 22 */
  char *id;        /* container id */
  char *state_dir; /* its CCOMPOSE_STATE_DIR, or the default root */
};
int cc_monitor_procs (struct cc_monitor_proc **out, size_t *n, cc_error_t *err);
void cc_monitor_procs_free (struct cc_monitor_proc *m, size_t n);
/* Helpers shared by the backends.  */
int cc_cgroup_write (const char *dir, const char *file, const char *value, cc_error_t *err);
int cc_cgroup_write_int (const char *dir, const char *file, int64_t value, cc_error_t *err);
/* PID into the cgroup2 directory open as LEAF_FD (O_PATH will do): the
   slow way, for kernels whose clone3 cannot place a child.  */
int cc_cgroup_enter_fd (int leaf_fd, pid_t pid, cc_error_t *err);
/* *FD: DIR opened O_PATH|O_DIRECTORY|O_CLOEXEC.  */
int cc_cgroup_open_dir (const char *dir, int *fd, cc_error_t *err);
uint64_t cc_cgroup_read_key (const char *dir, const char *file, const char *key);
/* The number FILE holds (0 when missing or "max"); the sum of NAME's
   bytes over every device of an io.stat or blkio file (stats.c).  */
uint64_t cc_cgroup_read_u64 (const char *dir, const char *file);
uint64_t cc_cgroup_sum_io (const char *dir, const char *file, const char *name);
int cc_cgroup_rmdir (const char *dir, cc_error_t *err);
/* What cc_cgroup_make runs on each ancestor before making its child.  */
typedef int (*cc_cgroup_step_fn) (const char *dir, cc_error_t *err);
/* ROOT/REL (a hierarchy's root, a container's cgroup path below it) and
   every missing directory above it; an ancestor that a concurrent delete
   removed in between is made again.  A cgroup_parent directory made
   here is remembered so cc_cgroup_remove takes it away once empty.  */
int cc_cgroup_make (const char *root, const char *rel, cc_cgroup_step_fn step, cc_error_t *err);
/* The shared `ccompose` parent goes with its last child, so nothing of
   ours stays on the host; busy (other containers) is fine.  */
void cc_cgroup_rmdir_parent (const char *dir);
/* A container's cgroup ROOT/REL, then its parent: the shared one as
   above, a cgroup_parent only when ccompose made it.  */
int cc_cgroup_remove (const char *root, const char *rel, cc_error_t *err);
/* A container's cgroup path below each hierarchy's root: its leaf name
   under PARENT (a spec's cgroup_parent; NULL: `ccompose`); _of: the
   parent its stored spec names.  */
int cc_cgroup_check_parent (const char *parent, cc_error_t *err);
char *cc_cgroup_path (const char *parent, const char *id);
char *cc_cgroup_path_of (const char *id);
/* SIGKILL to everything in the cgroup2 directory DIR with one write to
   cgroup.kill (Linux 5.14), which also reaches processes forked
   meanwhile; false when SIG is another signal or the file is missing.  */
bool cc_cgroup_kill_at_once (const char *dir, int sig);
int cc_cgroup_kill_procs (const char *dir, int sig);
/* cgroup v2 cpu.weight from v1 shares (crun's quadratic fit).  */
uint64_t cc_cgroup_shares_to_weight (uint64_t shares);
/* The integer a one-value file holds, or -1.  */
int64_t cc_cgroup_read_int (const char *dir, const char *file);
/* A spec's blkio entry "PATH N": PATH's block device as "MAJOR:MINOR"
   in *DEV (DEV holds 32), and N.  */
int cc_cgroup_block_device (const char *entry, char *dev, int64_t *n, cc_error_t *err);
/* The first of FILES (NULL-terminated) that DIR has, or NULL.  */
const char *cc_cgroup_first_file (const char *dir, const char *const *files);
/* The cgroup v2 limits of R written into the leaf DIR (exposed for the
   unit tests: this host's layout cannot run them).  */
int cc_cgroup_v2_set_limits (const char *dir, const struct cc_runtime_resources *r, cc_error_t *err);

/* namespaces.c: a spec's pid_mode, ipc_mode or uts_mode.  */
enum cc_ns_mode
{
  CC_NS_OWN,
  CC_NS_HOST,
  CC_NS_CONTAINER,
};
/* The kind of MODE (NULL: its own), or -1 when it is none.  */
int cc_ns_mode_kind (const char *mode);
/* The namespaces a container shares: the clone flags it still needs, and
   open handles of the namespaces to join (-1: none).  */
struct cc_ns_shares
{
  unsigned long unshare; /* CLONE_NEWPID|NEWIPC|NEWUTS it does not share */
  int pid_fd, ipc_fd, uts_fd;
  /* A detached clone of the IPC donor's (or the host's) /dev/shm, or -1.  */
  int shm_tree;
};
int cc_ns_shares_open (const struct cc_runtime_spec *s, struct cc_ns_shares *sh, cc_error_t *err);
void cc_ns_shares_close (struct cc_ns_shares *sh);
#define cleanup_ns_shares __attribute__ ((cleanup (cc_ns_shares_close)))

/* namespaces.c: clone and the parent/child sync channel.  */
struct cc_sync_msg
{
  int type;   /* CC_SYNC_* */
  int status; /* errno of a failure */
  char text[4096];
};
enum
{
  CC_SYNC_OK = 1,
  CC_SYNC_ERROR,
};
pid_t cc_ns_clone (unsigned long flags);
/* clone3 (fork-like, without a stack) with FLAGS, the child born in the
   cgroup2 directory open as CGROUP_FD (CLONE_INTO_CGROUP, Linux 5.7);
   when CGROUP_FD < 0 or the kernel cannot (no clone3, or a version
   without CLONE_INTO_CGROUP), a plain clone and *IN_CGROUP false: the
   caller then moves the child itself.  */
pid_t cc_ns_clone_into (unsigned long flags, int cgroup_fd, bool *in_cgroup);
int cc_sync_send_ok (int fd);
int cc_sync_send_error (int fd, cc_error_t *err);
/* Wait for the peer: OK, or its error copied into *ERR.  */
int cc_sync_wait (int fd, cc_error_t *err);
/* After the other side is gone: the error it sent before it closed its
   end, if any (-1 and *ERR), else 0.  Never blocks.  */
int cc_sync_read_report (int fd, cc_error_t *err);
/* Join the namespaces of PID (all but user), fds opened first.  */
int cc_ns_join (pid_t pid, cc_error_t *err);
int cc_ns_loopback_up (cc_error_t *err);
/* Default dispositions and an empty mask, for a process about to exec.  */
void cc_reset_signals (void);
/* Mark every fd above stdio close-on-exec.  */
void cc_close_extra_fds (void);

/* mount.c: build the root and pivot into it.  */
struct cc_mount_ctx
{
  const struct cc_runtime_spec *spec;
  const char *root;      /* the directory to mount the root on */
  const char *init_path; /* host copy of the init, or NULL */
  const char *cgname;    /* the container's cgroup path below each hierarchy's root */
  int shm_tree;          /* mounted at /dev/shm instead of a tmpfs of its own, or -1 */
};
int cc_mount_rootfs (const struct cc_mount_ctx *ctx, cc_error_t *err);
/* Open PATH inside ROOTFD, never leaving it (openat2 RESOLVE_IN_ROOT,
   else a component walk refusing symlinks that escape).  */
int cc_open_in_root (int rootfd, const char *path, int flags, mode_t mode, cc_error_t *err);
/* Make sure PATH exists in ROOTFD as a directory or file (for a mount
   target), creating parents; returns an O_PATH fd to it.  */
int cc_mkpath_in_root (int rootfd, const char *path, bool is_dir, cc_error_t *err);
/* Options of a mount spec to MS_* flags and data; unknown is an error.  */
int cc_mount_parse_options (char *const *options, unsigned long *flags, unsigned long *propagation, char **data,
                            bool *create_host_path, cc_error_t *err);
extern const char *const cc_masked_paths[];
extern const char *const cc_readonly_paths[];

/* dev.c */
/* A device of the spec (resources.devices): the host node's type,
   numbers, mode and owner, where it goes and what the cgroup allows.  */
struct cc_dev_node
{
  char type; /* 'c' or 'b' */
  unsigned int major, minor;
  mode_t mode; /* permission bits */
  uid_t uid;
  gid_t gid;
  char host[4096], path[4096], perms[4];
};
/* "HOST:CONTAINER:PERMS" checked for form alone (OUT may be NULL): both
   paths absolute, CONTAINER under /dev without `..`, PERMS of "rwm".  */
int cc_dev_parse (const char *entry, struct cc_dev_node *out, cc_error_t *err);
/* The same, and HOST resolved on the host: after symlinks it must be a
   character or block device under /dev (never an arbitrary host file).  */
int cc_dev_resolve (const char *entry, struct cc_dev_node *out, cc_error_t *err);
/* A device cgroup rule as Docker takes it: "TYPE MAJOR:MINOR PERMS".  */
int cc_dev_check_rule (const char *rule, cc_error_t *err);
/* The standard nodes and links in DEVFD (the container's fresh /dev
   tmpfs, before pivot_root: host paths are still reachable), then the
   spec's devices, EXTRA, made with mknod.  */
int cc_dev_populate (int devfd, char *const *extra, cc_error_t *err);

/* caps.c */
extern const char *const cc_default_caps[];
int cc_caps_from_name (const char *name);
/* The capability set a spec asks for, as a bit mask.  */
int cc_caps_compute (const struct cc_runtime_spec *s, uint64_t *mask, cc_error_t *err);
/* Drop the bounding set, switch to UID/GID keeping MASK, set it.  */
struct cc_user;
int cc_caps_apply (uint64_t mask, const struct cc_user *user, cc_error_t *err);

/* seccomp.c */
int cc_seccomp_apply (const struct cc_runtime_spec *s, uint64_t caps, cc_error_t *err);
/* Before cloning or forking a process that will apply S's filter: have
   the compiled filter in memory (seccomp.c says why); failures only
   leave the child to build it.  */
void cc_seccomp_prepare (const struct cc_runtime_spec *s);
bool cc_seccomp_wanted (const struct cc_runtime_spec *s);

/* user.c */
struct cc_user
{
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  size_t n_groups;
  char *home;
};
void cc_user_release (struct cc_user *u);
/* Resolve "name|uid[:group|gid]" against passwd and group texts, then
   add EXTRA_GROUPS (group_add: names or numbers; NULL: none).  */
int cc_user_resolve_text (const char *spec, char *const *extra_groups, const char *passwd, const char *group,
                          struct cc_user *out, cc_error_t *err);
int cc_user_resolve (int rootfd, const char *spec, char *const *extra_groups, struct cc_user *out, cc_error_t *err);

/* rlimit.c */
int cc_rlimit_apply (pid_t pid, const struct cc_runtime_rlimit *r, size_t n, cc_error_t *err);

/* sysctl.c */
int cc_sysctl_check (const char *key, const struct cc_runtime_spec *s, cc_error_t *err);
int cc_sysctl_apply (const struct cc_runtime_spec *s, cc_error_t *err);

/* init.c: the embedded init program.  */
int cc_init_install (const char *path, cc_error_t *err);

/* jsonlog.c: Docker's json-file log driver (and `local`'s files).  */
/* ATTRS ("NAME=VALUE") as the JSON object of a record's "attrs", or NULL
   when there is none.  */
char *cc_jsonlog_attrs (char *const *attrs);
char *cc_jsonlog_encode (const char *data, size_t len, const char *stream, const char *attrs,
                         const struct timespec *ts);
struct cc_jsonlog_opts
{
  int64_t max_size;
  int max_file;
  bool compress;
  char *const *attrs;
};
struct cc_jsonlog
{
  char *path;
  int fd;
  int64_t size;
  int64_t max_size;
  int max_file;
  bool compress;
  char *attrs; /* the JSON object, or NULL */
};
int cc_jsonlog_open (struct cc_jsonlog *l, const char *path, const struct cc_jsonlog_opts *o, cc_error_t *err);
int cc_jsonlog_write (struct cc_jsonlog *l, const char *stream, const char *data, size_t len, cc_error_t *err);
void cc_jsonlog_close (struct cc_jsonlog *l);
/* Decode one line: *STREAM and the text, or -1.  */
int cc_jsonlog_decode (const char *line, char **stream, char **text);

/* syslog.c: Docker's syslog log driver.  */
enum cc_syslog_format
{
  CC_SYSLOG_RFC3164,
  CC_SYSLOG_RFC5424,
  CC_SYSLOG_RFC5424MICRO,
};
struct cc_syslog_fmt
{
  enum cc_syslog_format format;
  int facility;
  char *tag, *hostname;
  int pid;
  bool local;  /* a unix socket: rfc3164 without the host */
  bool stream; /* a newline ends each message */
};
/* One message (not NUL-terminated: *OUT_LEN bytes).  */
char *cc_syslog_encode (const struct cc_syslog_fmt *f, bool is_stderr, const char *data, size_t len,
                        const struct timespec *ts, size_t *out_len);
struct cc_syslog
{
  struct cc_syslog_fmt fmt;
  int fd;
  struct cc_buf pending; /* a stream socket's backlog */
  int64_t max_pending;
  uint64_t dropped;
};
/* ADDRESS: unix://PATH, unixgram://PATH, udp://HOST:PORT, tcp://HOST:PORT,
   NULL for /dev/log.  */
int cc_syslog_open (struct cc_syslog *s, const char *address, cc_error_t *err);
void cc_syslog_write (struct cc_syslog *s, bool is_stderr, const char *data, size_t len);
/* Whether MARGIN more bytes would not fit the backlog.  */
bool cc_syslog_full (const struct cc_syslog *s, size_t margin);
void cc_syslog_on_writable (struct cc_syslog *s);
void cc_syslog_close (struct cc_syslog *s);

/* restart.c: Docker's restart manager, pure.  */
bool cc_restart_wanted (const struct cc_runtime_spec *s, int restart_count, int exit_code, bool stopped_by_user);
int64_t cc_restart_next_delay (int64_t prev_delay_ms, int64_t ran_ms);

/* health.c */
void cc_health_record (cJSON *health, const struct cc_runtime_health *h, int exit_code, const char *output,
                       const char *start, const char *end, bool in_start_period);
/* Milliseconds until the next probe.  */
int64_t cc_health_next_ms (const struct cc_runtime_health *h, bool in_start_period, int early);

/* container.c: clone one container and take it to just before exec.  */
struct cc_container
{
  pid_t pid;
  int sync_fd;        /* stays open until the container execs */
  int out_fd, err_fd; /* read ends of its stdout and stderr */
  int in_fd;          /* the spec's stdin_open: write end of its stdin, or -1 */
};
/* ATTACH_FD >= 0: a connection to the caller of cc_runtime_attach.  */
int cc_container_spawn (const char *id, const struct cc_runtime_spec *s, int netns_fd, int attach_fd, bool start_now,
                        struct cc_container *c, cc_error_t *err);

/* exec.c: a process inside a running container.  */
struct cc_exec_io
{
  int in_fd, out_fd, err_fd; /* -1: /dev/null */
  int pty_sock;              /* >= 0: make a pty inside the container, send
                                its master over this socket, use the slave */
  int report_fd;             /* >= 0: why the program could not start goes
                                there (cc_sync_send_error), read by
                                cc_sync_read_report; -1: printed on its
                                stderr (a healthcheck's output) */
};
int cc_exec_spawn (const char *id, const struct cc_runtime_spec *s, pid_t target, const struct cc_runtime_exec_opts *o,
                   const struct cc_exec_io *io, pid_t *pid_out, cc_error_t *err);
/* In a process already inside the container: user, env, caps, seccomp,
   cwd, then execve.  Returns only on failure.  */
struct cc_exec_target
{
  const struct cc_runtime_spec *spec;
  char **args;
  char **extra_env;
  const char *user;
  const char *cwd;
  bool privileged;
};
int cc_exec_prepare (const struct cc_exec_target *t, char **path_out, char ***env_out, cc_error_t *err);
char *cc_exec_find (char *const *env, const char *file);

/* attach.c: the container's side of cc_runtime_attach.  */
/* The socket's file name in cc_state_dir()/containers.  */
char *cc_attach_socket_name (const char *id);
/* Connected to the caller waiting for ID, or -1 (nobody waits).  */
int cc_attach_connect (const char *id);
/* In PID 1 before execve: take stdin, or a terminal, from the caller
   on SOCK (-1: nothing to do; a caller gone: nothing done).  A
   terminal's master goes to the caller and, tagged CC_ATTACH_TTY_TAG,
   over SYNC_FD to the monitor, which logs the output and forwards it to
   the caller.  1: the caller took stdio, 0: nobody did.  */
#define CC_ATTACH_TTY_TAG 'T'
int cc_attach_stdio (int sock, int sync_fd, cc_error_t *err);
/* In PID 1 before execve, for the spec's `terminal`: a pty of the
   container's devpts as its stdio and controlling terminal, the master
   over SYNC_FD to the monitor.  */
int cc_attach_own_tty (int sync_fd, cc_error_t *err);

/* console.c: the monitor's side of `attach` to a container with a
   terminal or a kept stdin (cc_runtime_console).  */
#define CC_CONSOLE_MAX 8
struct cc_console
{
  int listen_fd; /* -1: no console */
  int clients[CC_CONSOLE_MAX];
  size_t n;
};
int cc_console_listen (struct cc_console *c, const char *id, cc_error_t *err);
/* Every waiting client, told whether the container has a terminal and
   takes input.  */
void cc_console_accept (struct cc_console *c, bool terminal, bool stdin_open);
/* The container's output (STREAM '1' or '2') to every client; one that
   cannot take it is dropped.  */
void cc_console_broadcast (struct cc_console *c, char stream, const char *data, size_t len);
/* Client I's message: keystrokes into INPUT_FD (-1: dropped), a window
   size onto TERMINAL_FD; a client that went is dropped.  */
void cc_console_read (struct cc_console *c, size_t i, int terminal_fd, int input_fd);
/* The container stopped: every client sees the end.  */
void cc_console_drop_all (struct cc_console *c);
/* No console any more: its socket goes.  */
void cc_console_close (struct cc_console *c, const char *id);

/* proxy.c: the monitor's userland relay of the container's ports
   published on ::1 (issue 17), non-blocking with bounded memory.  */
enum
{
  CC_PROXY_MAX_CONNS = 64, /* open connections per container */
  CC_PROXY_BUF = 16384,    /* bytes buffered per direction of one */
};
struct cc_proxy_half
{
  char *buf;
  size_t start, end;
  bool eof, shut;
};
struct cc_proxy_conn
{
  int client, upstream; /* -1: a free slot */
  bool connecting;
  struct cc_proxy_half to_upstream, to_client;
};
struct cc_proxy_listener
{
  int fd;
  unsigned port, target;
};
struct cc_proxy
{
  struct cc_proxy_listener *listeners;
  size_t n_listeners, n_open;
  struct cc_proxy_conn conns[CC_PROXY_MAX_CONNS];
};
/* One entry per listener, then two per connection slot.  */
#define CC_PROXY_POLL_FDS(x) ((x)->n_listeners + 2 * CC_PROXY_MAX_CONNS)
void cc_proxy_init (struct cc_proxy *x);
/* Bind and listen on [::1]:HOST of each "HOST:CONTAINER" of PORTS.  */
int cc_proxy_listen (struct cc_proxy *x, char *const *ports, cc_error_t *err);
void cc_proxy_poll_fds (const struct cc_proxy *x, struct pollfd *p);
/* Serve what P reports; NETNS_FD is the container's network namespace,
   where its address is looked up for each new connection.  */
void cc_proxy_dispatch (struct cc_proxy *x, const struct pollfd *p, int netns_fd);
void cc_proxy_close (struct cc_proxy *x);

/* relay.c: the stdio of a process in a container through pipes whose
   other ends we copy to and from ours.  */
enum cc_relay_index
{
  CC_RELAY_STDIN,
  CC_RELAY_STDOUT,
  CC_RELAY_STDERR,
  CC_RELAY_N
};
struct cc_relay_stream
{
  int from, to;          /* -1: none, or closed */
  bool own_from, own_to; /* ours to close when the stream ends */
  bool eof;              /* FROM ended (or failed) */
  bool broken;           /* TO failed: the rest is dropped */
  int64_t budget;        /* bytes still read from FROM; -1: no limit */
  size_t start, end;     /* what BUF holds for TO */
  uint64_t read_total, written_total;
  char buf[65536];
};
/* The I/O, so a fuzzer can stand in for the kernel.  PENDING: bytes
   readable from FD now (FIONREAD).  */
struct cc_relay_ops
{
  ssize_t (*read) (void *opaque, int fd, void *buf, size_t len);
  ssize_t (*write) (void *opaque, int fd, const void *buf, size_t len);
  int64_t (*pending) (void *opaque, int fd);
  void (*close) (void *opaque, int fd);
  void *opaque;
};
extern const struct cc_relay_ops cc_relay_sys_ops;
struct cc_relay
{
  struct cc_relay_stream s[CC_RELAY_N];
  const struct cc_relay_ops *ops;
  bool exited;
};
/* Two slots per stream, FROM then TO; -1 where it waits for nothing.  */
#define CC_RELAY_POLL_FDS (2 * CC_RELAY_N)
void cc_relay_init (struct cc_relay *r, const struct cc_relay_ops *ops);
void cc_relay_add (struct cc_relay *r, enum cc_relay_index i, int from, bool own_from, int to, bool own_to);
void cc_relay_poll_fds (const struct cc_relay *r, struct pollfd p[CC_RELAY_POLL_FDS]);
/* One read or write per ready slot; a stream that ended closes what it owns.  */
void cc_relay_dispatch (struct cc_relay *r, const struct pollfd p[CC_RELAY_POLL_FDS]);
/* The process exited: only what its pipes hold now is still copied.  */
void cc_relay_exit (struct cc_relay *r);
bool cc_relay_stream_done (const struct cc_relay_stream *s);
/* Exited, and every stream ended.  */
bool cc_relay_done (const struct cc_relay *r);
void cc_relay_close (struct cc_relay *r);
/* Poll and dispatch until done: GONE_FD (a pidfd) turns readable once
   the process exited; without one (-1), GONE (OPAQUE) is asked every
   10 ms.  Everything owned is closed on return.  */
void cc_relay_run (struct cc_relay *r, int gone_fd, bool (*gone) (void *opaque), void *opaque);

/* tty.c: a pty of the container's devpts whose master goes to the
   caller over a unix socket; the caller relays it with its terminal.  */
/* One byte TAG, with FD (>= 0) attached.  */
int cc_fd_send (int sock, char tag, int fd, cc_error_t *err);
/* The next message: its byte in *TAG, its descriptor (or -1) in *FD;
   -1 on EOF or error.  */
int cc_fd_receive (int sock, char *tag, int *fd);
/* recv with a descriptor that may come along (*FD, or -1).  */
ssize_t cc_recv_with_fd (int sock, void *buf, size_t len, int flags, int *fd);
/* A pty of the devpts at /dev/pts of the current mount namespace.  */
int cc_tty_open (int *master, int *slave, cc_error_t *err);
/* SLAVE becomes the controlling terminal (the caller leads a session
   without one) and all of stdio.  */
void cc_tty_become_stdio (int slave);
struct cc_tty_relay_hooks
{
  void (*ready) (void *opaque); /* our terminal is raw, the size set */
  void (*tick) (void *opaque);  /* every round (at least every 100 ms) */
  bool (*gone) (void *opaque);  /* true: stop (after draining the master) */
  void *opaque;
};
/* Copy stdin to MASTER and OUTPUT (the master itself, or whoever reads
   it for us) to stdout, our terminal raw and its size forwarded to
   MASTER, until OUTPUT ends or H->gone says so; the terminal mode is
   restored.  */
void cc_tty_relay (int master, int output, const struct cc_tty_relay_hooks *h);

#endif
