/* Durations as Go reads and prints them (lib/duration.c).  */
#ifndef CC_LIB_DURATION_H
#define CC_LIB_DURATION_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

enum
{
  CC_DURATION_INVALID = 1, /* Go: invalid duration "..." */
  CC_DURATION_MISSING_UNIT,
  CC_DURATION_UNKNOWN_UNIT,
};

/* time.ParseDuration: "1m30s", "-1.5h", "300ms", "0"; with DAYS, compose-go's
   `d` and `w` too.  0 with *NS set, or the kind of error above (*BAD_UNIT, when
   given, then holds an unknown unit, to free).  */
int cc_duration_parse (const char *s, bool days, int64_t *ns, char **bad_unit);
/* Duration.String: "1m30s", "500ms", "1h0m0s", "1.5µs".  */
void cc_duration_format (struct cc_buf *b, int64_t ns);
/* The period of a compose refresh pull_policy ("daily", "weekly",
   "every_<d>", compose-go's GetPullPolicy): 1 and *NS set, 0 for another
   policy, -1 for a malformed period.  */
int cc_pull_policy_period (const char *policy, int64_t *ns);

#endif
