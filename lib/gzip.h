/* One file as a gzip stream and back (libarchive's raw format and gzip
   filter, opened on first use: lib/dynlib.h).  The compressed rotated
   logs (issue 15) need nothing more.  */
#ifndef CC_LIB_GZIP_H
#define CC_LIB_GZIP_H

#include "lib/error.h"

/* FROM gzipped into TO, whole or not at all (a temporary renamed).  */
int cc_gzip_file (const char *from, const char *to, cc_error_t *err);

/* A memory file (close-on-exec, at offset 0) holding what the gzip file
   PATH decompresses to; -1 and *ERR on failure.  */
int cc_gunzip_file (const char *path, cc_error_t *err);

#endif
