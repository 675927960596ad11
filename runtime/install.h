/* install.c: the monitor program, installed under the data directory
   (internal to runtime/, like internal.h).  */
#ifndef CC_RUNTIME_INSTALL_H
#define CC_RUNTIME_INSTALL_H

#include <stdbool.h>

#include "lib/error.h"

/* Install this build's monitor unless it is there, and hold it: *LOCK_FD
   keeps a shared flock on the program, which no cleaner removes while it
   is held.  Keep it until the exec of *PATH is over.  */
int cc_runtime_install_monitor (char **path, int *lock_fd, cc_error_t *err);

/* Remove from DIR every `ccompose-monitor-<hash>` program but KEEP (a
   file name) that nobody is starting (no flock) and no live process
   runs.  Returns how many went.  */
int cc_runtime_remove_stale_monitors (const char *dir, const char *keep);

/* Whether NAME is a monitor program's name: the prefix and 16 hex
   digits (not a temporary file of an install under way).  */
bool cc_runtime_is_monitor_name (const char *name);

#endif
