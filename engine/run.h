/* `run` with its caller attached to the one-off container (engine/run.c),
   kept apart from engine.h like logs.h.  */
#ifndef CC_ENGINE_RUN_H
#define CC_ENGINE_RUN_H

#include <stdbool.h>

#include "engine/engine.h"
#include "lib/error.h"
#include "runtime/runtime.h"

/* cc_engine_run, PID 1 waiting for the caller's stdin or terminal:
   *ATTACH is the caller's end (runtime.h), to use once this returned and
   to close afterwards.  */
int cc_engine_run_attached (const struct cc_project *p, const struct cc_run_opts *o, char **name_out,
                            struct cc_runtime_attach **attach, cc_error_t *err);

#endif
