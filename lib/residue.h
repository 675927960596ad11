/* Host scanners for the residue check (`ccompose system check`): they
   find what carries ccompose's names (DESIGN.md §4) without knowing which
   project it belongs to; deciding what is residue is the caller's job.
   Pure reads of /proc and the cgroup filesystems, except the two removal
   helpers at the end.  */
#ifndef CC_LIB_RESIDUE_H
#define CC_LIB_RESIDUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Every directory <hierarchy>/ccompose/<name> of every mounted cgroup
   hierarchy (v1 controllers, cgroup2, the hybrid unified one), sorted and
   without duplicates.  */
int cc_residue_cgroup_dirs (char ***out, cc_error_t *err);
/* True when the cgroup directory (or one below it) holds a process.  */
bool cc_residue_cgroup_busy (const char *dir);
/* The runtime names a container's cgroup after its id, suffixed outside
   the default root with "-" and 8 hex digits of the FNV-1a hash of the
   state root, so that parallel roots never share one (runtime/cgroup.c).
   The id of STATE_ROOT's container the cgroup NAME is for, or NULL when
   the name belongs to another root.  */
char *cc_residue_cgroup_id (const char *name, const char *state_root);
/* NAME without a root suffix, or NULL when it has none.  */
char *cc_residue_cgroup_strip_suffix (const char *name);
/* rmdir DIR and every cgroup below it, deepest first; missing = success.  */
int cc_residue_cgroup_remove (const char *dir, cc_error_t *err);

/* A running `ccompose-monitor <id>` process.  */
struct cc_residue_monitor
{
  pid_t pid;
  uint64_t start;  /* /proc/PID/stat field 22 */
  char *id;        /* container id */
  char *state_dir; /* its CCOMPOSE_STATE_DIR, or the default root */
};
int cc_residue_monitors (struct cc_residue_monitor **out, size_t *n, cc_error_t *err);
void cc_residue_monitors_free (struct cc_residue_monitor *m, size_t n);

/* State roots present on this host: the default /run/ccompose, any
   /run/ccompose*<...> directory that holds ccompose state (containers/,
   projects/, network/ or netns/), one level deeper for per-test roots
   (/run/ccompose-test/<name>), and the roots of running monitors.
   Sorted, without duplicates.  */
char **cc_residue_state_roots (void);
/* The data root paired with a state root by the naming convention:
   /run/X -> /var/lib/X.  */
char *cc_residue_data_root_for (const char *state_root);

#endif
