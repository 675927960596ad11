/* The one reader of /proc/self/mountinfo (proc(5)): the residue check,
   the netns lookup and the runtime's cgroup v1 mounts all read it here.  */
#ifndef CC_LIB_MOUNTINFO_H
#define CC_LIB_MOUNTINFO_H

#include "error.h"

/* One line: the mount point (octal escapes decoded), the filesystem type
   and the superblock options ("rw,cpu,cpuacct"; "" when absent).  */
struct cc_mountpoint
{
  const char *target;
  const char *fstype;
  const char *super_options;
};

/* Call FN for each well-formed line, in the kernel's order (malformed
   lines are skipped).  */
typedef void (*cc_mountpoint_fn) (const struct cc_mountpoint *m, void *data);
int cc_mountinfo_each (cc_mountpoint_fn fn, void *data, cc_error_t *err);

/* Mount points strictly below any of ROOTS (NULL-terminated), deepest
   first so they can be unmounted in order, without duplicates.  */
int cc_mountinfo_under (char *const *roots, char ***out, cc_error_t *err);
/* Mount points whose filesystem type is FSTYPE, in mountinfo order: "nsfs"
   finds the namespaces bound to files, as `ip netns add` and our netns
   handles do.  */
int cc_mountinfo_of_type (const char *fstype, char ***out, cc_error_t *err);

/* Read PATH instead of /proc/self/mountinfo (unit tests); NULL restores it.  */
void cc_mountinfo_set_path (const char *path);

#endif
