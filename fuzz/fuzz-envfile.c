/* The .env / env_file parser.  */
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
  cleanup_env struct cc_env *lookup = cc_env_new ();
  cleanup_free char *text = NULL;
  cleanup_strv char **vars = NULL;

  if (size > CC_FUZZ_MAX_INPUT)
    return -1;
  text = xmalloc (size + 1);
  memcpy (text, data, size);
  text[size] = '\0';
  cc_env_set (lookup, "FROM_SHELL", "shell", true);
  cc_envfile_parse_string ("fuzz.env", text, lookup, &vars, &err);
  return 0;
}
