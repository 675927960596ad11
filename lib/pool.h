/* The one pool of forked jobs (ARCHITECTURE.md, "Process model"): the
   engine's parallel work (engine/parallel.c) and the builder's stages and
   helpers run through it.  Fork rather than threads: the network and
   runtime code keep process-wide state (netlink sockets, libiptc
   handles, signal masks) that is not meant to be shared between threads,
   and a child that fails cannot leave the parent half-changed.  No child
   prints: each sends its error to the parent over a pipe, and the parent
   gives it its context, collects them all and goes on.  A job dies with
   the process that started it (PR_SET_PDEATHSIG).  */
#ifndef CC_LIB_POOL_H
#define CC_LIB_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct pollfd;

/* FN (OPAQUE, I) for I in 0..N-1, at most LIMIT at a time (< 1: all at
   once), each in a forked child.  In the parent, DONE (may be NULL) sees
   each job's end with its error (NULL: success), to give it context, take
   it or make one; WAIT (may be NULL: poll without a timeout) waits for
   one of the children's pipes as poll does, and TICK (may be NULL) runs
   after each look; when a wait is interrupted by a signal and
   INTERRUPTED (may be NULL) says so, every running job gets SIGTERM.
   Every failure is appended to *ERR and the run goes on (with
   STOP_ON_ERROR, only the jobs already started do).  */
struct cc_pool
{
  int (*fn) (void *opaque, size_t index, cc_error_t *err);
  void *opaque;
  size_t n;
  int limit;
  void (*done) (void *opaque, size_t index, cc_error_t *err);
  int (*wait) (void *opaque, struct pollfd *fds, size_t n);
  void (*tick) (void *opaque);
  bool (*interrupted) (void *opaque);
  bool stop_on_error;
};
int cc_pool_run (const struct cc_pool *pool, cc_error_t *err);

/* FN (OPAQUE) in one forked child (a private mount namespace, say, that
   must not touch this process), its error carried back.  */
int cc_pool_run_one (int (*fn) (void *opaque, cc_error_t *err), void *opaque, cc_error_t *err);

#endif
