/* The short-syntax parsers of the compose model: durations, byte sizes,
   numbers, booleans, ports, volumes, command splitting.  The first input
   byte picks the parser, the rest is its text.  */
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "fuzz/fuzz.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

CC_FUZZ_QUIET_INIT

static void
parse_duration (const char *s, cc_error_t *err)
{
  int64_t ns;

  if (cc_parse_duration (s, &ns, err) == 0)
    free (cc_format_duration (ns));
}

static void
parse_bytes (const char *s, cc_error_t *err)
{
  int64_t b;

  cc_parse_bytes (s, &b, err);
}

static void
parse_int (const char *s, cc_error_t *err)
{
  int64_t v;

  cc_parse_int (s, INT64_MIN, INT64_MAX, &v, err);
}

static void
parse_float (const char *s, cc_error_t *err)
{
  double d;

  cc_parse_float (s, &d, err);
}

static void
parse_bool (const char *s, cc_error_t *err)
{
  bool b;

  cc_parse_bool (s, &b, err);
}

static void
parse_ports (const char *s, cc_error_t *err)
{
  cleanup_cjson cJSON *out = cJSON_CreateArray ();

  cc_ports_parse_short (s, out, err);
}

static void
parse_volume (const char *s, cc_error_t *err)
{
  cleanup_cjson cJSON *out = NULL;

  cc_volume_parse_short (s, "/project", &out, err);
}

static void
split_command (const char *s, cc_error_t *err)
{
  cleanup_strv char **argv = NULL;

  cc_shell_split (s, &argv, err);
}

static void (*const parsers[]) (const char *s, cc_error_t *err) = {
  parse_duration, parse_bytes, parse_int, parse_float, parse_bool, parse_ports, parse_volume, split_command,
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *text = NULL;

  if (size < 1 || size > CC_FUZZ_MAX_INPUT)
    return -1;
  text = xmalloc (size);
  memcpy (text, data + 1, size - 1);
  text[size - 1] = '\0';
  parsers[data[0] % CC_N_ELEMENTS (parsers)](text, &err);
  return 0;
}
