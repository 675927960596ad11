/* The two state roots (DESIGN.md §4), overridable so tests can isolate.  */
#ifndef CC_LIB_PATHS_H
#define CC_LIB_PATHS_H

#define CC_STATE_DIR_ENV "CCOMPOSE_STATE_DIR"
#define CC_DATA_DIR_ENV "CCOMPOSE_DATA_DIR"
#define CC_STATE_DIR_DEFAULT "/run/ccompose"
#define CC_DATA_DIR_DEFAULT "/var/lib/ccompose"

/* Runtime state: pids, netns handles, per-project JSON.  */
const char *cc_state_dir (void);
/* Persistent data: images, volumes, logs.  */
const char *cc_data_dir (void);

#endif
