/* The default seccomp profile, with libseccomp.  Docker's profile is an
   allow-list of ~440 calls; in effect it denies the calls below, most of
   them unless the container holds the capability that the kernel checks
   for them anyway (moby profiles/seccomp/default.json).  A deny-list of
   those calls has the same effect on every call that matters and keeps
   newer harmless calls working.  */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>

#include "lib/cleanup.h"
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

int
cc_seccomp_apply (const struct cc_runtime_spec *s, uint64_t caps, cc_error_t *err)
{
  scmp_filter_ctx ctx;
  int ret;

  if (! cc_seccomp_wanted (s))
    return 0;
  ctx = seccomp_init (SCMP_ACT_ALLOW);
  if (ctx == NULL)
    return cc_error_make (err, ENOMEM, "seccomp_init");
  /* no_new_privs is the spec's decision, not libseccomp's default.  */
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  for (size_t i = 0; i < CC_N_ELEMENTS (extra_arches); i++)
    if (seccomp_arch_native () == SCMP_ARCH_X86_64)
      seccomp_arch_add (ctx, extra_arches[i]);
  ret = add_rules (ctx, caps, err);
  if (ret == 0)
    {
      int r = seccomp_load (ctx);
      if (r < 0)
        ret = cc_error_make (err, -r, "load the seccomp filter");
    }
  seccomp_release (ctx);
  return ret;
}
