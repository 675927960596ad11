/* Shared by the fuzz targets: the libFuzzer entry points, declared so
   -Wmissing-prototypes holds, and a quiet start (warnings on stderr would
   slow the fuzzer down and say nothing a crash would not).  */
#ifndef CC_FUZZ_H
#define CC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "lib/log.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

#define CC_FUZZ_QUIET_INIT                                                                                             \
  int LLVMFuzzerInitialize (int *argc, char ***argv)                                                                   \
  {                                                                                                                    \
    (void)argc;                                                                                                        \
    (void)argv;                                                                                                        \
    cc_log_threshold = CC_LOG_FATAL;                                                                                   \
    return 0;                                                                                                          \
  }

/* Inputs above this size only slow the fuzzer: the parsers' own size
   limits are tested by the hostile corpus instead.  */
#define CC_FUZZ_MAX_INPUT (64 * 1024)

#endif
