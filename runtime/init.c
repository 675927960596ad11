/* The embedded init (runtime/init/ccompose-init.c), written out once per
   container so it can be bind-mounted read-only on /dev/init.  */
#include <errno.h>
#include <stddef.h>

#include "lib/file.h"
#include "runtime/internal.h"

extern const char cc_init_blob_start[];
extern const char cc_init_blob_end[];

int
cc_init_install (const char *path, cc_error_t *err)
{
  size_t len = (size_t)(cc_init_blob_end - cc_init_blob_start);

  if (len == 0)
    return cc_error_make (err, ENOENT, "ccompose was built without its init");
  return cc_write_file_atomic (path, cc_init_blob_start, len, 0555, err);
}
