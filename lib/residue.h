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

/* The state roots of this host (cc_paths_state_roots) and those of
   running monitors.  Sorted, without duplicates.  */
char **cc_residue_state_roots (void);

#endif
