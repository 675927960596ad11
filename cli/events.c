/* `ccompose events`: the project's containers' events as they happen
   (engine/events.c follows the project's journal), printed as Docker
   Compose prints them.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[] = "Usage: ccompose events [OPTIONS] [SERVICE...]\n\n"
                            "Receive real time events from containers\n\n"
                            "Options:\n"
                            "      --json   Output events as a stream of json objects\n"
                            "  -h, --help   Show this help\n";

enum
{
  OPT_JSON = 256,
};

/* The journal's RFC 3339 UTC time (engine/events.c) in local time, as
   FORMAT ("%Y-%m-%d %H:%M:%S") and the nanoseconds; NULL if unreadable.  */
static bool
local_time (const char *rfc3339, struct tm *tm, long *nsec)
{
  const char *rest = rfc3339 ? strptime (rfc3339, "%Y-%m-%dT%H:%M:%S", tm) : NULL;
  time_t t;

  if (rest == NULL)
    return false;
  /* Nine digits, as engine/events.c writes them.  */
  *nsec = *rest == '.' ? strtol (rest + 1, NULL, 10) % 1000000000L : 0;
  t = timegm (tm);
  localtime_r (&t, tm);
  return true;
}

/* Go's time.RFC3339Nano, as encoding/json writes a time.Time: trailing
   zeros of the fraction dropped, "Z" or the zone's offset.  */
static char *
json_time (const char *rfc3339)
{
  struct tm tm = { 0 };
  long nsec = 0;
  char date[64], frac[32] = "", zone[32] = "Z";
  size_t n;

  if (! local_time (rfc3339, &tm, &nsec))
    return xstrdup (rfc3339 ?: "");
  strftime (date, sizeof (date), "%Y-%m-%dT%H:%M:%S", &tm);
  if (nsec > 0)
    {
      snprintf (frac, sizeof (frac), ".%09ld", nsec);
      for (n = strlen (frac); frac[n - 1] == '0'; n--)
        frac[n - 1] = '\0';
    }
  if (tm.tm_gmtoff != 0)
    snprintf (zone, sizeof (zone), "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+', labs (tm.tm_gmtoff) / 3600,
              labs (tm.tm_gmtoff) % 3600 / 60);
  return xasprintf ("%s%s%s", date, frac, zone);
}

/* "2006-01-02 15:04:05.000000" in local time, Compose's Event.String.  */
static char *
text_time (const char *rfc3339)
{
  struct tm tm = { 0 };
  long nsec = 0;
  char date[64];

  if (! local_time (rfc3339, &tm, &nsec))
    return xstrdup (rfc3339 ?: "");
  strftime (date, sizeof (date), "%Y-%m-%d %H:%M:%S", &tm);
  return xasprintf ("%s.%06ld", date, nsec / 1000);
}

/* A copy of the string members of O with its keys sorted, as Go
   marshals a map.  */
static cJSON *
sorted_copy (const cJSON *o)
{
  cleanup_strv char **keys = xzalloc (sizeof (char *));
  cJSON *out = cJSON_CreateObject ();

  for (const cJSON *it = o ? o->child : NULL; it; it = it->next)
    if (cJSON_IsString (it))
      cc_strv_push (&keys, xstrdup (it->string));
  cc_strv_sort_unique (keys);
  for (char **k = keys; *k; k++)
    cc_json_set_string (out, *k, cc_json_get_string (o, *k));
  return out;
}

/* Compose marshals a map: its keys sorted, attributes too.  */
static char *
json_line (const cJSON *ev)
{
  cleanup_cjson cJSON *o = cJSON_CreateObject ();
  cleanup_free char *when = json_time (cc_json_get_string (ev, "time"));

  cc_json_set_string (o, "action", cc_json_get_string (ev, "action") ?: "");
  cc_json_set (o, "attributes", sorted_copy (cJSON_GetObjectItemCaseSensitive (ev, "attributes")));
  cc_json_set_string (o, "id", cc_json_get_string (ev, "id") ?: "");
  cc_json_set_string (o, "service", cc_json_get_string (ev, "service") ?: "");
  cc_json_set_string (o, "time", when);
  cc_json_set_string (o, "type", cc_json_get_string (ev, "type") ?: "container");
  return cJSON_PrintUnformatted (o);
}

/* Compose's Event.String: time, "container", action, id, then the
   attributes as "k=v" in parentheses (sorted here; Go's map order is
   random).  */
static char *
text_line (const cJSON *ev)
{
  cleanup_cjson cJSON *attrs = sorted_copy (cJSON_GetObjectItemCaseSensitive (ev, "attributes"));
  cleanup_strv char **parts = xzalloc (sizeof (char *));
  cleanup_free char *when = text_time (cc_json_get_string (ev, "time")), *joined = NULL;

  for (const cJSON *it = attrs->child; it; it = it->next)
    cc_strv_push (&parts, xasprintf ("%s=%s", it->string, it->valuestring));
  joined = cc_strv_join (parts, ", ");
  return xasprintf ("%s container %s %s (%s)", when, cc_json_get_string (ev, "action") ?: "",
                    cc_json_get_string (ev, "id") ?: "", joined);
}

static int
print_event (void *opaque, const cJSON *ev)
{
  const bool *json = opaque;
  cleanup_free char *line = *json ? json_line (ev) : text_line (ev);

  printf ("%s\n", line);
  /* A reader that went away (`| head`) ends the stream.  */
  return fflush (stdout) == 0 && ! ferror (stdout) ? 0 : -1;
}

int
cli_cmd_events (struct cli_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct cli_target t = { 0 };
  cleanup_strv char **services = NULL;
  cleanup_free char *project = NULL;
  cc_error_t err = NULL;
  bool json = false;
  int c;

  while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_JSON:
        json = true;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("events", "unknown option");
      }
  services = cli_rest (argc, argv);
  /* The services named must exist; the project need not be up yet.  */
  if (cli_target_open (g, services, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  project = xstrdup (t.name);
  cli_target_release (&t);
  if (cc_engine_events_follow (project, *services ? services : NULL, print_event, &json, &err) < 0)
    return cli_fail (&err);
  return CLI_EXIT_OK;
}
