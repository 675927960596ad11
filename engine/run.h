/* `run` with its caller attached to the one-off container (engine/run.c),
   kept apart from engine.h like logs.h.  */
#ifndef CC_ENGINE_RUN_H
#define CC_ENGINE_RUN_H

#include <stdbool.h>

#include "engine/engine.h"
#include "engine/logs.h"
#include "lib/error.h"

/* How the caller takes part in a one-off container's life.  */
struct cc_run_session
{
  bool detach;     /* start it and return 0 at once */
  bool stdin;      /* our stdin becomes its stdin (PID 1 waits for it) */
  bool tty;        /* a terminal of its own, relayed with ours (our stdin too) */
  bool rm;         /* remove it once it exited */
  cc_log_fn print; /* its output, when there is no terminal to relay */
  void *opaque;
};

/* `run` from start to end: cc_engine_run, then our stdin or terminal
   relayed and its output followed until it exits, signals to us passed
   on to its PID 1, and with RM the container removed.  Its exit code;
   *NAME_OUT names it.  */
int cc_engine_run_session (const struct cc_project *p, const struct cc_run_opts *o, const struct cc_run_session *s,
                           char **name_out, cc_error_t *err);

#endif
