/* The default seccomp profile.  Docker's profile (moby
   profiles/seccomp/default.json) is an allow-list of ~370 calls; in
   effect it refuses the calls below, most of them unless the container
   holds a capability, and looks at the argument of two.  A deny-list of
   those calls has the same effect on every call Docker refuses, and keeps
   calls newer than our libseccomp working (Docker's list names them;
   libseccomp 2.5 cannot, and an allow-list would refuse them).

   Two filters are stacked, and the kernel applies the stricter answer:
   the deny-list, built by libseccomp and kept compiled (below), and a
   small filter written here for the rules libseccomp cannot say as
   denials: "refuse personality unless its argument is one of five", a
   socket rule that libseccomp would widen on i386 to every socketcall,
   and calls too new for libseccomp to know by name.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

#define NEVER 0
#define CAP(c) (((uint64_t)1) << (c))

static const struct denied_call
{
  const char *name;
  uint64_t caps; /* allowed when the container holds one of these; NEVER: never */
  int errnum;
} denied[] = {
  /* Filesystem namespaces and mounts.  */
  { "mount", CAP (CAP_SYS_ADMIN), EPERM },
  { "umount", CAP (CAP_SYS_ADMIN), EPERM },
  { "umount2", CAP (CAP_SYS_ADMIN), EPERM },
  { "open_tree", CAP (CAP_SYS_ADMIN), EPERM },
  { "move_mount", CAP (CAP_SYS_ADMIN), EPERM },
  { "fsopen", CAP (CAP_SYS_ADMIN), EPERM },
  { "fsconfig", CAP (CAP_SYS_ADMIN), EPERM },
  { "fsmount", CAP (CAP_SYS_ADMIN), EPERM },
  { "fspick", CAP (CAP_SYS_ADMIN), EPERM },
  { "mount_setattr", CAP (CAP_SYS_ADMIN), EPERM },
  { "unshare", CAP (CAP_SYS_ADMIN), EPERM },
  { "setns", CAP (CAP_SYS_ADMIN), EPERM },
  { "quotactl", CAP (CAP_SYS_ADMIN), EPERM },
  { "quotactl_fd", CAP (CAP_SYS_ADMIN), EPERM },
  { "fanotify_init", CAP (CAP_SYS_ADMIN), EPERM },
  { "lookup_dcookie", CAP (CAP_SYS_ADMIN), EPERM },
  { "sethostname", CAP (CAP_SYS_ADMIN), EPERM },
  { "setdomainname", CAP (CAP_SYS_ADMIN), EPERM },
  { "bpf", CAP (CAP_SYS_ADMIN) | CAP (CAP_BPF), EPERM },
  { "perf_event_open", CAP (CAP_SYS_ADMIN) | CAP (CAP_PERFMON), EPERM },
  /* Docker's profile names these under no capability at all.  */
  { "pivot_root", NEVER, EPERM },
  { "swapon", NEVER, EPERM },
  { "swapoff", NEVER, EPERM },
  /* glibc falls back to clone when clone3 says ENOSYS; clone3's flags
     live in memory where seccomp cannot look at them.  */
  { "clone3", CAP (CAP_SYS_ADMIN), ENOSYS },
  /* The kernel and its modules.  */
  { "kexec_load", NEVER, EPERM },
  { "kexec_file_load", NEVER, EPERM },
  { "reboot", CAP (CAP_SYS_BOOT), EPERM },
  { "init_module", CAP (CAP_SYS_MODULE), EPERM },
  { "finit_module", CAP (CAP_SYS_MODULE), EPERM },
  { "delete_module", CAP (CAP_SYS_MODULE), EPERM },
  { "create_module", NEVER, EPERM },
  { "get_kernel_syms", NEVER, EPERM },
  { "query_module", NEVER, EPERM },
  { "acct", CAP (CAP_SYS_PACCT), EPERM },
  { "iopl", CAP (CAP_SYS_RAWIO), EPERM },
  { "ioperm", CAP (CAP_SYS_RAWIO), EPERM },
  { "settimeofday", CAP (CAP_SYS_TIME), EPERM },
  { "clock_settime", CAP (CAP_SYS_TIME), EPERM },
  { "clock_settime64", CAP (CAP_SYS_TIME), EPERM },
  { "stime", CAP (CAP_SYS_TIME), EPERM },
  { "syslog", CAP (CAP_SYS_ADMIN) | CAP (CAP_SYSLOG), EPERM },
  { "chroot", CAP (CAP_SYS_CHROOT), EPERM },
  /* NUMA memory policy of the caller: CAP_SYS_NICE, as in Docker.
     Moving the pages of a process between nodes: never.  */
  { "mbind", CAP (CAP_SYS_NICE), EPERM },
  { "get_mempolicy", CAP (CAP_SYS_NICE), EPERM },
  { "set_mempolicy", CAP (CAP_SYS_NICE), EPERM },
  { "set_mempolicy_home_node", CAP (CAP_SYS_NICE), EPERM },
  { "migrate_pages", NEVER, EPERM },
  { "move_pages", NEVER, EPERM },
  /* Other processes and handles.  Docker allows ptrace and
     process_vm_* on Linux 4.8 and later; we keep them behind
     CAP_SYS_PTRACE, and name_to_handle_at behind CAP_DAC_READ_SEARCH.  */
  { "ptrace", CAP (CAP_SYS_PTRACE), EPERM },
  { "process_vm_readv", CAP (CAP_SYS_PTRACE), EPERM },
  { "process_vm_writev", CAP (CAP_SYS_PTRACE), EPERM },
  { "kcmp", CAP (CAP_SYS_PTRACE), EPERM },
  { "pidfd_getfd", CAP (CAP_SYS_PTRACE), EPERM },
  { "process_madvise", CAP (CAP_SYS_PTRACE), EPERM },
  { "open_by_handle_at", CAP (CAP_DAC_READ_SEARCH), EPERM },
  { "name_to_handle_at", CAP (CAP_DAC_READ_SEARCH), EPERM },
  /* The keyring is not namespaced.  */
  { "keyctl", NEVER, EPERM },
  { "add_key", NEVER, EPERM },
  { "request_key", NEVER, EPERM },
  { "uselib", NEVER, EPERM },
  { "nfsservctl", NEVER, EPERM },
  { "vm86", NEVER, EPERM },
  { "vm86old", NEVER, EPERM },
  /* A user-mode userfaultfd needs no privilege and lets the caller
     stall the kernel inside a copy from user memory at will.  */
  { "userfaultfd", NEVER, EPERM },
  { "vhangup", CAP (CAP_SYS_TTY_CONFIG), EPERM },
  /* io_uring left Docker's profile in 2023 (moby #46762): a large kernel
     surface that bypasses the per-call filter.  */
  { "io_uring_setup", NEVER, EPERM },
  { "io_uring_enter", NEVER, EPERM },
  { "io_uring_register", NEVER, EPERM },
  /* Obsolete or never implemented; Docker's list leaves them out.  The
     second group exists only for i386 programs (and int 0x80).  */
  { "_sysctl", NEVER, EPERM },
  { "afs_syscall", NEVER, EPERM },
  { "getpmsg", NEVER, EPERM },
  { "putpmsg", NEVER, EPERM },
  { "security", NEVER, EPERM },
  { "sysfs", NEVER, EPERM },
  { "tuxcall", NEVER, EPERM },
  { "ustat", NEVER, EPERM },
  { "vserver", NEVER, EPERM },
  { "bdflush", NEVER, EPERM },
  { "break", NEVER, EPERM },
  { "ftime", NEVER, EPERM },
  { "gtty", NEVER, EPERM },
  { "idle", NEVER, EPERM },
  { "lock", NEVER, EPERM },
  { "mpx", NEVER, EPERM },
  { "nice", NEVER, EPERM },
  { "oldfstat", NEVER, EPERM },
  { "oldlstat", NEVER, EPERM },
  { "oldolduname", NEVER, EPERM },
  { "oldstat", NEVER, EPERM },
  { "olduname", NEVER, EPERM },
  { "prof", NEVER, EPERM },
  { "profil", NEVER, EPERM },
  { "readdir", NEVER, EPERM },
  { "sgetmask", NEVER, EPERM },
  { "ssetmask", NEVER, EPERM },
  { "sigaction", NEVER, EPERM },
  { "signal", NEVER, EPERM },
  { "sigpending", NEVER, EPERM },
  { "sigsuspend", NEVER, EPERM },
  { "stty", NEVER, EPERM },
  { "ulimit", NEVER, EPERM },
};

/* clone with any namespace flag, as Docker's masked-equal 0x7E020000.  */
static const unsigned long clone_ns_flags[] = {
  CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
};

static const uint32_t extra_arches[] = { SCMP_ARCH_X86, SCMP_ARCH_X32 };

/* ---- the argument rules, as a filter of our own ------------------------- */

/* personality(2): the personas Docker allows (0, PER_LINUX32, UNAME26,
   both, and the query); any other, such as ADDR_NO_RANDOMIZE, is
   refused.  The whole register must match, as in Docker.  */
static const uint32_t personas[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

/* socket(2) families refused, as in Docker: AF_ALG (38), the kernel's
   crypto API, and AF_VSOCK (40), which reaches the hypervisor's host
   from any namespace.  The kernel reads the family as an int, so only
   the low 32 bits are compared: bits above them cannot carry a family
   past the rule.  socketcall(2) passes the family in memory, where
   seccomp cannot look: i386 programs using it are not filtered, as in
   Docker, which tried refusing socketcall and broke them.  */
static const uint32_t socket_families[] = { 38, 40 };

/* Calls too new for libseccomp 2.5 to know by name, that Docker allows
   only with CAP_SYS_ADMIN.  From Linux 5.1 (424) on, a new call has one
   number on every architecture below (x32 adds its bit).  */
static const struct numbered_call
{
  const char *name;
  uint32_t nr;
  uint64_t caps;
} numbered[] = {
  { "lsm_get_self_attr", 459, CAP (CAP_SYS_ADMIN) },
  { "lsm_set_self_attr", 460, CAP (CAP_SYS_ADMIN) },
  { "lsm_list_modules", 461, CAP (CAP_SYS_ADMIN) },
  /* open_tree with mount attributes: as open_tree.  */
  { "open_tree_attr", 467, CAP (CAP_SYS_ADMIN) },
};

static const uint32_t unified_numbering[] = {
  SCMP_ARCH_X86_64,  SCMP_ARCH_X86,   SCMP_ARCH_X32,  SCMP_ARCH_AARCH64, SCMP_ARCH_ARM,
  SCMP_ARCH_RISCV64, SCMP_ARCH_S390X, SCMP_ARCH_S390, SCMP_ARCH_PPC64LE, SCMP_ARCH_PPC64,
};

#define X32_SYSCALL_BIT 0x40000000U
#define ARG_FILTER_MAX 256

struct arg_filter
{
  struct sock_filter insns[ARG_FILTER_MAX];
  unsigned short n;
};

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG0_LO (offsetof (struct seccomp_data, args))
#else
#define ARG0_LO (offsetof (struct seccomp_data, args) + 4)
#endif
#define ARG0_HI (ARG0_LO ^ 4)

static const uint32_t ret_allow = SECCOMP_RET_ALLOW;
static const uint32_t ret_eperm = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);

static void
emit (struct arg_filter *f, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
  /* The tables above fix the size; overflowing it is a bug here.  */
  if (f->n >= ARG_FILTER_MAX)
    abort ();
  f->insns[f->n++] = (struct sock_filter){ code, jt, jf, k };
}

static void
emit_load (struct arg_filter *f, uint32_t offset)
{
  emit (f, BPF_LD | BPF_W | BPF_ABS, offset, 0, 0);
}

static void
emit_ret (struct arg_filter *f, uint32_t action)
{
  emit (f, BPF_RET | BPF_K, action, 0, 0);
}

/* "if (A == nr) { body }": the body ends in a return, so a miss jumps
   over it to the next test with A unchanged.  */
static size_t
emit_call_test (struct arg_filter *f, uint32_t nr)
{
  emit (f, BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 0);
  return f->n - 1;
}

static void
close_call_test (struct arg_filter *f, size_t test)
{
  size_t skip = f->n - test - 1;

  if (skip > UINT8_MAX)
    abort ();
  f->insns[test].jf = (uint8_t)skip;
}

/* Allowed only if the argument is one of the personas.  */
static void
emit_personality (struct arg_filter *f, uint32_t nr, bool wide)
{
  const uint8_t n = (uint8_t)CC_N_ELEMENTS (personas);
  size_t test = emit_call_test (f, nr);

  if (wide)
    {
      emit_load (f, ARG0_HI);
      emit (f, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (uint8_t)(n + 1));
    }
  emit_load (f, ARG0_LO);
  for (uint8_t i = 0; i < n; i++)
    emit (f, BPF_JMP | BPF_JEQ | BPF_K, personas[i], (uint8_t)(n - i), 0);
  emit_ret (f, ret_eperm);
  emit_ret (f, ret_allow);
  close_call_test (f, test);
}

/* Refused if the low half of the argument is one of the families.  */
static void
emit_socket (struct arg_filter *f, uint32_t nr)
{
  const uint8_t n = (uint8_t)CC_N_ELEMENTS (socket_families);
  size_t test = emit_call_test (f, nr);

  emit_load (f, ARG0_LO);
  for (uint8_t i = 0; i < n; i++)
    emit (f, BPF_JMP | BPF_JEQ | BPF_K, socket_families[i], (uint8_t)(n - i), 0);
  emit_ret (f, ret_allow);
  emit_ret (f, ret_eperm);
  close_call_test (f, test);
}

static bool
is_unified (uint32_t arch)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (unified_numbering); i++)
    if (unified_numbering[i] == arch)
      return true;
  return false;
}

/* The rules of one architecture, entered when seccomp_data.arch is its
   audit token.  x32 shares x86-64's token and tells its calls by a bit
   of the number; its block follows x86-64's, so a number neither knows
   falls through to it.  */
static void
emit_arch (struct arg_filter *f, uint32_t arch, uint64_t caps)
{
  uint32_t audit = arch == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : arch;
  int personality = seccomp_syscall_resolve_name_arch (arch, "personality");
  int socket = seccomp_syscall_resolve_name_arch (arch, "socket");
  size_t test;

  emit_load (f, offsetof (struct seccomp_data, arch));
  test = emit_call_test (f, audit);
  emit_load (f, offsetof (struct seccomp_data, nr));
  if (personality >= 0)
    emit_personality (f, (uint32_t)personality, (audit & __AUDIT_ARCH_64BIT) != 0);
  if (socket >= 0)
    emit_socket (f, (uint32_t)socket);
  for (size_t i = 0; is_unified (arch) && i < CC_N_ELEMENTS (numbered); i++)
    if ((caps & numbered[i].caps) == 0)
      {
        size_t t = emit_call_test (f, numbered[i].nr | (arch == SCMP_ARCH_X32 ? X32_SYSCALL_BIT : 0));
        emit_ret (f, ret_eperm);
        close_call_test (f, t);
      }
  close_call_test (f, test);
}

static void
build_arg_filter (uint64_t caps, struct arg_filter *f)
{
  uint32_t native = seccomp_arch_native ();

  f->n = 0;
  emit_arch (f, native, caps);
  for (size_t i = 0; native == SCMP_ARCH_X86_64 && i < CC_N_ELEMENTS (extra_arches); i++)
    emit_arch (f, extra_arches[i], caps);
  emit_ret (f, ret_allow);
}

/* ---- the deny-list, with libseccomp ------------------------------------ */

bool
cc_seccomp_wanted (const struct cc_runtime_spec *s)
{
  return s->seccomp && ! s->privileged;
}

static bool
allowed_by (uint64_t caps, uint64_t needs)
{
  return (caps & needs) != 0;
}

static int
add_rules (scmp_filter_ctx ctx, uint64_t caps, cc_error_t *err)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (denied); i++)
    {
      int nr = seccomp_syscall_resolve_name (denied[i].name);
      int ret;
      if (nr == __NR_SCMP_ERROR || allowed_by (caps, denied[i].caps))
        continue;
      ret = seccomp_rule_add (ctx, SCMP_ACT_ERRNO ((uint32_t)denied[i].errnum), nr, 0);
      if (ret < 0 && ret != -EDOM)
        return cc_error_make (err, -ret, "seccomp rule for `%s`", denied[i].name);
    }
  if (allowed_by (caps, CAP (CAP_SYS_ADMIN)))
    return 0;
  for (size_t i = 0; i < CC_N_ELEMENTS (clone_ns_flags); i++)
    {
      int ret = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (clone), 1,
                                  SCMP_A0 (SCMP_CMP_MASKED_EQ, clone_ns_flags[i], clone_ns_flags[i]));
      if (ret < 0)
        return cc_error_make (err, -ret, "seccomp rule for `clone`");
    }
  return 0;
}

static scmp_filter_ctx
build_filter (uint64_t caps, cc_error_t *err)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);

  if (ctx == NULL)
    {
      cc_error_make (err, ENOMEM, "seccomp_init");
      return NULL;
    }
  /* no_new_privs is the spec's decision, not libseccomp's default.  */
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  for (size_t i = 0; i < CC_N_ELEMENTS (extra_arches); i++)
    if (seccomp_arch_native () == SCMP_ARCH_X86_64)
      seccomp_arch_add (ctx, extra_arches[i]);
  if (add_rules (ctx, caps, err) < 0)
    {
      seccomp_release (ctx);
      return NULL;
    }
  return ctx;
}

/* ---- the compiled filter, kept --------------------------------------------- */

/* libseccomp takes 2.5 ms to build this filter, on every container start
   and every exec and healthcheck probe, on the critical path of `up`.
   The BPF it makes depends only on the table above, the capabilities,
   the architecture and libseccomp's version: the monitor (or exec) loads
   it from the data directory, under a key of those, before it clones or
   forks, and the children load the copy they inherit.  The argument
   filter takes microseconds to write out and is not kept.  */
static struct
{
  bool ready;
  uint64_t caps;
  struct sock_filter *insns;
  unsigned short n;
} prepared;

static uint64_t
fnv (uint64_t h, const void *data, size_t n)
{
  for (const unsigned char *p = data; n--; p++)
    h = (h ^ *p) * 0x100000001b3ULL;
  return h;
}

static char *
cache_path (uint64_t caps)
{
  const struct scmp_version *v = seccomp_version ();
  uint32_t arch = seccomp_arch_native ();
  uint64_t h = 0xcbf29ce484222325ULL;

  for (size_t i = 0; i < CC_N_ELEMENTS (denied); i++)
    {
      h = fnv (h, denied[i].name, strlen (denied[i].name) + 1);
      h = fnv (h, &denied[i].caps, sizeof (denied[i].caps));
      h = fnv (h, &denied[i].errnum, sizeof (denied[i].errnum));
    }
  h = fnv (h, clone_ns_flags, sizeof (clone_ns_flags));
  h = fnv (h, extra_arches, sizeof (extra_arches));
  h = fnv (h, v, sizeof (*v));
  h = fnv (h, &arch, sizeof (arch));
  h = fnv (h, &caps, sizeof (caps));
  cleanup_free char *file = xasprintf ("seccomp-%016llx.bpf", (unsigned long long)h);
  return cc_paths_cache_file (file);
}

static int
read_filter (const char *path)
{
  cleanup_free char *data = NULL;
  size_t len = 0;

  if (cc_read_file (path, &data, &len, NULL) < 0 || len == 0 || len % sizeof (struct sock_filter) != 0
      || len / sizeof (struct sock_filter) > BPF_MAXINSNS)
    return -1;
  free (prepared.insns);
  prepared.insns = (struct sock_filter *)steal_pointer (&data);
  prepared.n = (unsigned short)(len / sizeof (struct sock_filter));
  return 0;
}

/* Written under a temporary name and renamed: two monitors that miss at
   once both write it, and a reader never sees half a filter.  */
static int
write_filter (const char *path, uint64_t caps, cc_error_t *err)
{
  cleanup_free char *dir = xstrdup (path);
  cleanup_free char *tmp = xasprintf ("%s.tmp.%d", path, (int)getpid ());
  cleanup_close int fd = -1;
  scmp_filter_ctx ctx;
  int ret;

  *strrchr (dir, '/') = '\0';
  if (cc_mkdir_p (dir, 0700, err) < 0)
    return -1;
  if ((ctx = build_filter (caps, err)) == NULL)
    return -1;
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ret = fd < 0 ? -errno : seccomp_export_bpf (ctx, fd);
  seccomp_release (ctx);
  if (ret < 0 || close (get_and_reset (&fd)) < 0 || rename (tmp, path) < 0)
    {
      unlink (tmp);
      return cc_error_make (err, ret < 0 ? -ret : errno, "cache the seccomp filter in `%s`", path);
    }
  return 0;
}

void
cc_seccomp_prepare (const struct cc_runtime_spec *s)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *path = NULL;
  uint64_t caps;

  if (! cc_seccomp_wanted (s) || cc_caps_compute (s, &caps, NULL) < 0 || (prepared.ready && prepared.caps == caps))
    return;
  prepared.ready = false;
  path = cache_path (caps);
  if (read_filter (path) < 0 && (write_filter (path, caps, &err) < 0 || read_filter (path) < 0))
    {
      /* Not fatal: the process that applies it builds it itself.  */
      cc_debug ("seccomp filter not prepared: %s", err ? err->msg : "unreadable cache");
      return;
    }
  prepared.caps = caps;
  prepared.ready = true;
}

static int
load_program (const struct sock_filter *insns, unsigned short n)
{
  struct sock_fprog prog = { .len = n, .filter = (struct sock_filter *)insns };
  /* The flags libseccomp uses with these attributes: none; and, as it
     does, prctl where seccomp(2) is missing (valgrind has none).  */
  int r = (int)syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);

  if (r < 0 && errno == ENOSYS)
    r = prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
  return r;
}

static int
apply_deny_list (uint64_t caps, cc_error_t *err)
{
  scmp_filter_ctx ctx;
  int ret;

  /* A kept filter the kernel refuses (EINVAL: damaged) is built anew.  */
  if (prepared.ready && prepared.caps == caps)
    {
      if (load_program (prepared.insns, prepared.n) == 0)
        return 0;
      if (errno != EINVAL)
        return cc_error_make (err, errno, "load the seccomp filter");
    }
  if ((ctx = build_filter (caps, err)) == NULL)
    return -1;
  ret = seccomp_load (ctx);
  seccomp_release (ctx);
  if (ret < 0)
    return cc_error_make (err, -ret, "load the seccomp filter");
  return 0;
}

int
cc_seccomp_apply (const struct cc_runtime_spec *s, uint64_t caps, cc_error_t *err)
{
  struct arg_filter args;

  if (! cc_seccomp_wanted (s))
    return 0;
  if (apply_deny_list (caps, err) < 0)
    return -1;
  build_arg_filter (caps, &args);
  if (load_program (args.insns, args.n) < 0)
    return cc_error_make (err, errno, "load the seccomp argument filter");
  return 0;
}
