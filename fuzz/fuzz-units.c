/* The short-syntax parsers: the compose model's durations, byte sizes,
   numbers, booleans, ports, volumes and command splitting; a port as the
   engine publishes it; network_mode as the model's view reads it; the
   runtime's restart policies and signal names.  The first input byte picks the
   parser, the rest is its text.  */
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "engine/engine.h"
#include "fuzz/fuzz.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"
#include "network/network.h"
#include "runtime/runtime.h"

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

static void
parse_net_port (const char *s, cc_error_t *err)
{
  struct cc_net_port p;

  cc_engine_parse_publish (s, &p, err);
}

/* network_mode as the typed view reads it.  */
static void
parse_net_mode (const char *s, cc_error_t *err)
{
  cleanup_cjson cJSON *svc = cJSON_CreateObject ();
  cleanup_service struct cc_service *view = NULL;

  cc_json_set_string (svc, "network_mode", s);
  cc_service_new ("fuzz", svc, NULL, &view, err);
}

/* The engine had a duration parser of its own: its seeds and regressions
   now go to the one grammar, compose's.  */
static void
parse_duration_ms (const char *s, cc_error_t *err)
{
  int64_t ns;

  cc_compose_parse_duration (s, &ns, err);
}

static void
parse_restart (const char *s, cc_error_t *err)
{
  enum cc_restart_policy policy;
  int max;

  cc_runtime_parse_restart (s, &policy, &max, err);
}

static void
parse_signal (const char *s, cc_error_t *err)
{
  int sig;

  cc_runtime_parse_signal (s, &sig, err);
}

/* Appended only: the first byte of every committed seed names its parser.  */
static void (*const parsers[]) (const char *s, cc_error_t *err) = {
  parse_duration, parse_bytes,    parse_int,      parse_float,           parse_bool,    parse_ports,  parse_volume,
  split_command,  parse_net_port, parse_net_mode, parse_duration_ms, parse_restart, parse_signal,
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
