/* The default seccomp profile, with libseccomp.  Docker's profile is an
   allow-list of ~440 calls; in effect it denies the calls below, most of
   them unless the container holds the capability that the kernel checks
   for them anyway (moby profiles/seccomp/default.json).  A deny-list of
   those calls has the same effect on every call that matters and keeps
   newer harmless calls working.  */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
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

#define ALWAYS (-1)

static const struct
{
  const char *name;
  int cap; /* allowed when the container holds it; ALWAYS: never */
  int errnum;
} denied[] = {
  /* Filesystem namespaces and mounts.  */
  { "mount", CAP_SYS_ADMIN, EPERM },
  { "umount", CAP_SYS_ADMIN, EPERM },
  { "umount2", CAP_SYS_ADMIN, EPERM },
  { "pivot_root", CAP_SYS_ADMIN, EPERM },
  { "open_tree", CAP_SYS_ADMIN, EPERM },
  { "move_mount", CAP_SYS_ADMIN, EPERM },
  { "fsopen", CAP_SYS_ADMIN, EPERM },
  { "fsconfig", CAP_SYS_ADMIN, EPERM },
  { "fsmount", CAP_SYS_ADMIN, EPERM },
  { "fspick", CAP_SYS_ADMIN, EPERM },
  { "mount_setattr", CAP_SYS_ADMIN, EPERM },
  { "unshare", CAP_SYS_ADMIN, EPERM },
  { "setns", CAP_SYS_ADMIN, EPERM },
  { "quotactl", CAP_SYS_ADMIN, EPERM },
  { "fanotify_init", CAP_SYS_ADMIN, EPERM },
  { "lookup_dcookie", CAP_SYS_ADMIN, EPERM },
  { "bpf", CAP_SYS_ADMIN, EPERM },
  { "perf_event_open", CAP_SYS_ADMIN, EPERM },
  /* glibc falls back to clone when clone3 says ENOSYS; clone3's flags
     live in memory where seccomp cannot look at them.  */
  { "clone3", CAP_SYS_ADMIN, ENOSYS },
  /* The kernel and its modules.  */
  { "kexec_load", CAP_SYS_BOOT, EPERM },
  { "kexec_file_load", CAP_SYS_BOOT, EPERM },
  { "reboot", CAP_SYS_BOOT, EPERM },
  { "init_module", CAP_SYS_MODULE, EPERM },
  { "finit_module", CAP_SYS_MODULE, EPERM },
  { "delete_module", CAP_SYS_MODULE, EPERM },
  { "create_module", ALWAYS, EPERM },
  { "get_kernel_syms", ALWAYS, EPERM },
  { "query_module", ALWAYS, EPERM },
  { "swapon", CAP_SYS_ADMIN, EPERM },
  { "swapoff", CAP_SYS_ADMIN, EPERM },
  { "acct", CAP_SYS_PACCT, EPERM },
  { "iopl", CAP_SYS_RAWIO, EPERM },
  { "ioperm", CAP_SYS_RAWIO, EPERM },
  { "settimeofday", CAP_SYS_TIME, EPERM },
  { "clock_settime", CAP_SYS_TIME, EPERM },
  { "stime", CAP_SYS_TIME, EPERM },
  { "syslog", CAP_SYSLOG, EPERM },
  /* Other processes and handles.  */
  { "ptrace", CAP_SYS_PTRACE, EPERM },
  { "process_vm_readv", CAP_SYS_PTRACE, EPERM },
  { "process_vm_writev", CAP_SYS_PTRACE, EPERM },
  { "kcmp", CAP_SYS_PTRACE, EPERM },
  { "open_by_handle_at", CAP_DAC_READ_SEARCH, EPERM },
  { "name_to_handle_at", CAP_DAC_READ_SEARCH, EPERM },
  /* The keyring is not namespaced.  */
  { "keyctl", ALWAYS, EPERM },
  { "add_key", ALWAYS, EPERM },
  { "request_key", ALWAYS, EPERM },
  { "uselib", ALWAYS, EPERM },
  { "nfsservctl", ALWAYS, EPERM },
  { "vm86", ALWAYS, EPERM },
  { "vm86old", ALWAYS, EPERM },
  { "userfaultfd", CAP_SYS_PTRACE, EPERM },
  { "vhangup", CAP_SYS_TTY_CONFIG, EPERM },
  /* io_uring left Docker's profile in 2023 (moby #46762): a large kernel
     surface that bypasses the per-call filter.  */
  { "io_uring_setup", ALWAYS, EPERM },
  { "io_uring_enter", ALWAYS, EPERM },
  { "io_uring_register", ALWAYS, EPERM },
};

/* clone with any namespace flag, as Docker's masked-equal 0x7E020000.  */
static const unsigned long clone_ns_flags[] = {
  CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
};

static const uint32_t extra_arches[] = { SCMP_ARCH_X86, SCMP_ARCH_X32 };

bool
cc_seccomp_wanted (const struct cc_runtime_spec *s)
{
  return s->seccomp && ! s->privileged;
}

static bool
has_cap (uint64_t caps, int cap)
{
  return cap != ALWAYS && (caps & (((uint64_t)1) << cap));
}

static int
add_rules (scmp_filter_ctx ctx, uint64_t caps, cc_error_t *err)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (denied); i++)
    {
      int nr = seccomp_syscall_resolve_name (denied[i].name);
      int ret;
      if (nr == __NR_SCMP_ERROR || has_cap (caps, denied[i].cap))
        continue;
      ret = seccomp_rule_add (ctx, SCMP_ACT_ERRNO ((uint32_t)denied[i].errnum), nr, 0);
      if (ret < 0 && ret != -EDOM)
        return cc_error_make (err, -ret, "seccomp rule for `%s`", denied[i].name);
    }
  if (has_cap (caps, CAP_SYS_ADMIN))
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
   forks, and the children load the copy they inherit.  */
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
      h = fnv (h, &denied[i].cap, sizeof (denied[i].cap));
      h = fnv (h, &denied[i].errnum, sizeof (denied[i].errnum));
    }
  h = fnv (h, clone_ns_flags, sizeof (clone_ns_flags));
  h = fnv (h, extra_arches, sizeof (extra_arches));
  h = fnv (h, v, sizeof (*v));
  h = fnv (h, &arch, sizeof (arch));
  h = fnv (h, &caps, sizeof (caps));
  return xasprintf ("%s/cache/seccomp-%016llx.bpf", cc_data_dir (), (unsigned long long)h);
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

int
cc_seccomp_apply (const struct cc_runtime_spec *s, uint64_t caps, cc_error_t *err)
{
  scmp_filter_ctx ctx;
  int ret;

  if (! cc_seccomp_wanted (s))
    return 0;
  if (prepared.ready && prepared.caps == caps)
    {
      struct sock_fprog prog = { .len = prepared.n, .filter = prepared.insns };
      /* The flags libseccomp uses with these attributes: none; and, as it
         does, prctl where seccomp(2) is missing (valgrind has none).  A
         kept filter the kernel refuses (EINVAL: damaged) is built anew.  */
      int r = (int)syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
      if (r < 0 && errno == ENOSYS)
        r = prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
      if (r == 0)
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
