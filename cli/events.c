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

static const char usage[] = "Usage:  ccompose events [OPTIONS] [SERVICE...]\n\n"
                            "Receive real time events from containers\n\n"
                            "Options:\n"
                            "      --json   Output events as a stream of json objects\n"
                            "  -h, --help   Show this help\n";

enum
{
  OPT_JSON = 256,
};

/* "2006-01-02 15:04:05.000000" in local time, from the RFC 3339 UTC
   time the journal holds.  */
static char *
local_time (const char *rfc3339)
{
  struct tm tm = { 0 };
  const char *rest = rfc3339 ? strptime (rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
  long usec = rest && *rest == '.' ? strtol (rest + 1, NULL, 10) / 1000 : 0;
  time_t t;
  char buf[64];

  if (rest == NULL)
    return xstrdup (rfc3339 ?: "");
  t = timegm (&tm);
  localtime_r (&t, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%d %H:%M:%S", &tm);
  return xasprintf ("%s.%06ld", buf, usec);
}

/* Compose's Event.String: time, "container", action, id, then the
   attributes as "k=v" in parentheses.  */
static int
print_event (void *opaque, const cJSON *ev)
{
  const bool *json = opaque;
  cleanup_free char *text = NULL, *when = NULL, *attrs = NULL;
  cleanup_strv char **parts = NULL;
  const cJSON *a = cJSON_GetObjectItemCaseSensitive (ev, "attributes");

  if (*json)
    {
      text = cJSON_PrintUnformatted (ev);
      printf ("%s\n", text);
    }
  else
    {
      for (const cJSON *it = a ? a->child : NULL; it; it = it->next)
        cc_strv_push (&parts, xasprintf ("%s=%s", it->string, cJSON_IsString (it) ? it->valuestring : ""));
      attrs = cc_strv_join (parts ?: (char *[]){ NULL }, ", ");
      when = local_time (cc_json_get_string (ev, "time"));
      printf ("%s container %s %s (%s)\n", when, cc_json_get_string (ev, "action") ?: "",
              cc_json_get_string (ev, "id") ?: "", attrs);
    }
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
