/* ulimits, applied by the monitor to the container process with
   prlimit before it runs anything of its own.  Lowering always works;
   raising a hard limit needs CAP_SYS_RESOURCE (setrlimit(2)), which
   ccompose may not have: then the current hard limit is kept, with a
   warning, and the container still starts.  */
#include <errno.h>
#include <inttypes.h>
#include <sys/resource.h>

#include "lib/log.h"
#include "runtime/internal.h"

static int
apply_one (pid_t pid, const struct cc_runtime_rlimit *r, cc_error_t *err)
{
  struct rlimit want = { .rlim_cur = r->soft, .rlim_max = r->hard }, cur;

  if (prlimit (pid, r->resource, &want, NULL) == 0)
    return 0;
  if (errno != EPERM)
    return cc_error_make (err, errno, "set ulimit `%s`", cc_runtime_rlimit_name (r->resource));
  if (prlimit (pid, r->resource, NULL, &cur) < 0)
    return cc_error_make (err, errno, "read ulimit `%s`", cc_runtime_rlimit_name (r->resource));
  cc_warn ("ulimit %s: cannot raise the hard limit to %" PRIu64 " (it is %" PRIu64
           " and raising needs CAP_SYS_RESOURCE); keeping %" PRIu64,
           cc_runtime_rlimit_name (r->resource), r->hard, (uint64_t)cur.rlim_max, (uint64_t)cur.rlim_max);
  want.rlim_max = cur.rlim_max;
  if (want.rlim_cur > want.rlim_max)
    want.rlim_cur = want.rlim_max;
  if (prlimit (pid, r->resource, &want, NULL) < 0)
    return cc_error_make (err, errno, "set ulimit `%s`", cc_runtime_rlimit_name (r->resource));
  return 0;
}

int
cc_rlimit_apply (pid_t pid, const struct cc_runtime_rlimit *r, size_t n, cc_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    if (apply_one (pid, &r[i], err) < 0)
      return -1;
  return 0;
}
