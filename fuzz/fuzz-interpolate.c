/* Interpolation of one string: $VAR, ${VAR:-default} nesting, $$.  */
#include <stdlib.h>
#include <string.h>

#include "compose/load.h"
#include "fuzz/fuzz.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

CC_FUZZ_QUIET_INIT

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_env struct cc_env *env = cc_env_new ();
  cleanup_free char *in = NULL;
  cleanup_free char *out = NULL;

  if (size > CC_FUZZ_MAX_INPUT)
    return -1;
  in = xmalloc (size + 1);
  memcpy (in, data, size);
  in[size] = '\0';
  cc_interpolate_reset_warnings ();
  cc_env_set (env, "A", "alpha", true);
  cc_env_set (env, "EMPTY", "", true);
  cc_env_set (env, "DOLLAR", "$B", true);
  cc_interpolate_string (in, env, NULL, &out, &err);
  return 0;
}
