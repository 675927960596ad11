/* Reading and following container logs (engine/logs.c).  Part of the
   engine's public interface, kept apart from engine.h for its size.  */
#ifndef CC_ENGINE_LOGS_H
#define CC_ENGINE_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

struct cc_log_line
{
  const char *container;
  int index;          /* position of the container in the list given */
  const char *stream; /* stdout | stderr */
  const char *time;   /* RFC 3339, or NULL */
  const char *text;   /* without the newline; LEN bytes */
  size_t len;
};

typedef void (*cc_log_fn) (void *opaque, const struct cc_log_line *line);

struct cc_log_opts
{
  bool follow;
  bool keep_following;       /* follow even when every container has stopped */
  int64_t settle_ms;         /* every container stopped this long: the follow ends */
  int64_t tail;              /* < 0: everything */
  const char *since, *until; /* RFC 3339 bounds, or NULL */
  cc_log_fn fn;
  bool (*should_stop) (void *opaque);
  void *opaque;
};

/* Print the logs of NAMES through FN; with FOLLOW, go on until every
   container stopped for good (or SHOULD_STOP says so).  */
int cc_engine_logs (char *const *names, const struct cc_log_opts *o, cc_error_t *err);

#endif
