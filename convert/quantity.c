/* Compose numbers to Kubernetes quantities and seconds, exactly where
   they can be.  Compose byte sizes are binary (Docker's RAMInBytes: "256m"
   is 256 MiB), and the model keeps them as bytes, so 268435456 becomes
   "256Mi" with no loss; CPUs are fractions, Kubernetes counts millicores.  */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convert/internal.h"
#include "lib/xalloc.h"

char *
cv_cpu_quantity (double cpus, bool *exact)
{
  /* 0.1 is not exact in binary: round to the nearest nanocore first, so
     0.1 CPUs is 100m, not 101m.  */
  double nano = nearbyint (cpus * 1e9);
  double milli = ceil (nano / 1e6);
  int64_t m;

  *exact = milli * 1e6 == nano;
  if (milli < 1)
    {
      milli = 1;
      *exact = false;
    }
  m = (int64_t)milli;
  if (m % 1000 == 0)
    return xasprintf ("%" PRId64, m / 1000);
  return xasprintf ("%" PRId64 "m", m);
}

char *
cv_bytes_quantity (int64_t bytes)
{
  static const struct
  {
    const char *suffix;
    int64_t unit;
  } units[] = {
    { "Ei", INT64_C (1) << 60 },
    { "Pi", INT64_C (1) << 50 },
    { "Ti", INT64_C (1) << 40 },
    { "Gi", INT64_C (1) << 30 },
    { "Mi", INT64_C (1) << 20 },
    { "Ki", INT64_C (1) << 10 },
    { "E", INT64_C (1000000000000000000) },
    { "P", INT64_C (1000000000000000) },
    { "T", INT64_C (1000000000000) },
    { "G", INT64_C (1000000000) },
    { "M", INT64_C (1000000) },
    { "k", INT64_C (1000) },
  };

  for (size_t i = 0; bytes > 0 && i < sizeof (units) / sizeof (units[0]); i++)
    if (bytes % units[i].unit == 0)
      return xasprintf ("%" PRId64 "%s", bytes / units[i].unit, units[i].suffix);
  return xasprintf ("%" PRId64, bytes);
}

int64_t
cv_seconds (int64_t ns, int64_t min, bool *exact)
{
  int64_t s = ns / 1000000000;

  *exact = ns % 1000000000 == 0;
  if (! *exact)
    s++;
  if (s < min)
    {
      *exact = false;
      s = min;
    }
  return s;
}

int
cv_parse_size (const char *text, int64_t *bytes, cc_error_t *err)
{
  static const char binary[] = "KMGTPE";
  char *end;
  long long n = strtoll (text, &end, 10);
  const char *unit = end[0] ? strchr (binary, end[0]) : NULL;

  /* Kubernetes' own binary suffixes (1Gi); anything else is a compose
     size, where 1g is binary too.  */
  if (end != text && n >= 0 && unit && end[1] == 'i' && end[2] == '\0')
    {
      int shift = 10 * (int)(unit - binary + 1);
      if (n > (INT64_MAX >> shift))
        return cc_error_make (err, 0, "size `%s` is too large", text);
      *bytes = (int64_t)n << shift;
      return 0;
    }
  return cc_compose_parse_bytes (text, bytes, err);
}
