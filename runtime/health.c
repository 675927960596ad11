/* Healthcheck bookkeeping, as Docker's daemon/health.go: the last five
   probes are kept, output capped at 4 KiB, failures during the start
   period do not count, RETRIES consecutive failures make it unhealthy.  */
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "runtime/internal.h"

#define MAX_LOG_ENTRIES 5
#define MAX_OUTPUT 4096

void
cc_health_record (cJSON *health, const struct cc_runtime_health *h, int exit_code, const char *output,
                  const char *start, const char *end, bool in_start_period)
{
  cJSON *log = cJSON_GetObjectItemCaseSensitive (health, "Log");
  cJSON *entry = cJSON_CreateObject ();
  int64_t streak = cc_json_get_int (health, "FailingStreak", 0);
  char out[MAX_OUTPUT + 1];

  snprintf (out, sizeof (out), "%s", output ? output : "");
  cc_json_set_string (entry, "Start", start);
  cc_json_set_string (entry, "End", end);
  cc_json_set_int (entry, "ExitCode", exit_code);
  cc_json_set_string (entry, "Output", out);
  if (! cJSON_IsArray (log))
    {
      log = cJSON_CreateArray ();
      cc_json_set (health, "Log", log);
    }
  cJSON_AddItemToArray (log, entry);
  while (cJSON_GetArraySize (log) > MAX_LOG_ENTRIES)
    cJSON_DeleteItemFromArray (log, 0);
  if (cc_json_get_string (health, "Status") == NULL)
    {
      cc_json_set_string (health, "Status", "starting");
      cc_json_set_int (health, "FailingStreak", 0);
    }
  if (exit_code == 0)
    {
      cc_json_set_string (health, "Status", "healthy");
      cc_json_set_int (health, "FailingStreak", 0);
      return;
    }
  if (in_start_period)
    return;
  streak++;
  cc_json_set_int (health, "FailingStreak", streak);
  if (streak >= (h->retries > 0 ? h->retries : 1))
    cc_json_set_string (health, "Status", "unhealthy");
}

/* During the start period the first probes come sooner than
   start_interval (4 ms, doubling every second probe): a failure there
   costs nothing, and a dependency that is ready in milliseconds is seen
   in milliseconds rather than a whole start_interval later.  Doubling
   at every probe left gaps too wide just where services get ready:
   redis:7 listens 12 ms after its exec, and the probe after a failed one
   at 4 ms came at 17 ms.  EARLY counts the probes already run in this
   start period.  */
int64_t
cc_health_next_ms (const struct cc_runtime_health *h, bool in_start_period, int early)
{
  enum
  {
    FIRST_MS = 4
  };
  int64_t ms;

  if (! in_start_period || h->start_interval_ms <= 0)
    return h->interval_ms;
  if (early < 0 || early >= 32)
    return h->start_interval_ms;
  ms = (int64_t)FIRST_MS << (early / 2);
  return ms < h->start_interval_ms ? ms : h->start_interval_ms;
}
