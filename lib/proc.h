/* Processes identified by pid and start time, so a recycled pid is
   never mistaken for ours.  */
#ifndef CC_LIB_PROC_H
#define CC_LIB_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Field 22 of a /proc/PID/stat line, in clock ticks since boot.  */
int cc_proc_parse_start_time (const char *stat, uint64_t *start);
/* The same, read from /proc/PID/stat.  */
int cc_proc_start_time (pid_t pid, uint64_t *start, cc_error_t *err);
/* True when PID runs and started at START (0 = do not check).  */
bool cc_proc_is_alive (pid_t pid, uint64_t start);
/* Signal PID only when it is still the process that started at START.  */
int cc_proc_kill (pid_t pid, uint64_t start, int sig);

/* SIGKILL our child *PID and reap it (nothing when *PID <= 0); *PID
   becomes -1.  */
void cc_proc_kill_and_reap (pid_t *pid);
/* A child that must not outlive its scope: killed and reaped when the
   variable goes out of scope.  Arm, then disarm once it may live on:
     cleanup_pid pid_t child = fork ();  ...  c->pid = get_and_reset (&child);  */
static inline void
cleanup_pid_fn (pid_t *pid)
{
  cc_proc_kill_and_reap (pid);
}
#define cleanup_pid __attribute__ ((cleanup (cleanup_pid_fn)))

#endif
