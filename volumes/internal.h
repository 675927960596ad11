/* volumes/ private: records, the lock, the local driver.  */
#ifndef CC_VOLUMES_INTERNAL_H
#define CC_VOLUMES_INTERNAL_H

#include <cJSON.h>
#include <stdbool.h>

#include "lib/error.h"
#include "volumes/volumes.h"

/* cc_data_dir()/volumes.  */
char *cc_vol_dir (void);
/* The one lock of every record (volumes/.lock), blocking.  */
int cc_vol_lock (int *fd, cc_error_t *err);
/* NAME's record; a volume made before records existed gets the default
   one (local, no options).  A missing volume is ENOENT.  */
int cc_vol_record_load (const char *name, cJSON **out, cc_error_t *err);
int cc_vol_record_save (const char *name, const cJSON *rec, cc_error_t *err);
/* Every volume's name, sorted.  */
char **cc_vol_names (void);

/* driver.c: the local driver.  OPTIONS is the record's "Options".  */
int cc_vol_check_options (const char *driver, const cJSON *options, cc_error_t *err);
bool cc_vol_needs_mount (const cJSON *options);
/* Mount NAME's driver filesystem on its _data, recorded in REC (saved
   before mount(2)); already mounted = success.  Under the lock.  */
int cc_vol_driver_mount (const char *name, cJSON *rec, cc_error_t *err);
/* Unmount it and drop the record's "mount"; not mounted = success.  */
int cc_vol_driver_unmount (const char *name, cJSON *rec, cc_error_t *err);
/* Whether PATH is a mount point (of any filesystem).  */
bool cc_vol_is_mount_point (const char *path);

#endif
