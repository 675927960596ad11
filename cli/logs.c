/* `ccompose logs`: the output of the project's containers, with
   `service-1  | ` prefixes; -f follows services across restarts and
   recreation without losing a line.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "engine/logs.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose logs [OPTIONS] [SERVICE...]\n\n"
      "View output from containers\n\n"
      "Options:\n"
      "  -f, --follow          Follow log output\n"
      "      --index int       index of the container if service has multiple replicas\n"
      "      --no-color        Produce monochrome output\n"
      "      --no-log-prefix   Don't print prefix in logs\n"
      "      --since string    Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 "
      "minutes)\n"
      "  -n, --tail string     Number of lines to show from the end of the logs for each container (default \"all\")\n"
      "  -t, --timestamps      Show timestamps\n"
      "      --until string    Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 "
      "minutes)\n"
      "  -h, --help            Show this help\n";

enum
{
  OPT_INDEX = 256,
  OPT_NO_COLOR,
  OPT_NO_LOG_PREFIX,
  OPT_SINCE,
  OPT_UNTIL,
};

static const struct option options[] = {
  { "follow", no_argument, NULL, 'f' },
  { "index", required_argument, NULL, OPT_INDEX },
  { "no-color", no_argument, NULL, OPT_NO_COLOR },
  { "no-log-prefix", no_argument, NULL, OPT_NO_LOG_PREFIX },
  { "since", required_argument, NULL, OPT_SINCE },
  { "tail", required_argument, NULL, 'n' },
  { "timestamps", no_argument, NULL, 't' },
  { "until", required_argument, NULL, OPT_UNTIL },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

struct logs_cli
{
  struct cli_log_look look;
  int index;
  char *since, *until;
};

/* A compose duration ("42m", "1m30s") or a number of seconds ("10").  */
static int
since_ms (const char *text, int64_t *ms)
{
  int64_t ns;

  if ((*ms = cli_parse_seconds (text)) >= 0)
    return 0;
  if (cc_compose_parse_duration (text, &ns, NULL) < 0 || ns < 0)
    return -1;
  *ms = ns / 1000000;
  return 0;
}

/* RFC 3339 as given, or a duration before now ("42m", "10s").  */
static char *
time_bound (const char *text)
{
  int64_t ms;
  time_t t;
  struct tm tm;
  char buf[64];

  if (strchr (text, 'T') || strchr (text, '-'))
    {
      const char *end;
      memset (&tm, 0, sizeof (tm));
      end = strptime (text, "%Y-%m-%dT%H:%M:%S", &tm);
      if (end == NULL)
        end = strptime (text, "%Y-%m-%d", &tm);
      return end ? xstrdup (text) : NULL;
    }
  if (since_ms (text, &ms) < 0)
    return NULL;
  t = time (NULL) - (time_t)(ms / 1000);
  gmtime_r (&t, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return xstrdup (buf);
}

static int
parse (struct logs_cli *o, struct cc_log_opts *lo, int argc, char **argv)
{
  int c;
  char *end;

  while ((c = getopt_long (argc, argv, "fn:th", options, NULL)) != -1)
    switch (c)
      {
      case 'f':
        lo->follow = true;
        break;
      case OPT_INDEX:
        o->index = (int)strtol (optarg, &end, 10);
        if (*end || o->index < 1)
          return cli_usage_error ("logs", "invalid --index `%s`", optarg);
        break;
      case OPT_NO_COLOR:
        o->look.color = false;
        break;
      case OPT_NO_LOG_PREFIX:
        o->look.prefix = false;
        break;
      case OPT_SINCE:
        free (o->since);
        if ((o->since = time_bound (optarg)) == NULL)
          return cli_usage_error ("logs", "invalid --since `%s`", optarg);
        break;
      case OPT_UNTIL:
        free (o->until);
        if ((o->until = time_bound (optarg)) == NULL)
          return cli_usage_error ("logs", "invalid --until `%s`", optarg);
        break;
      case 'n':
        if (strcmp (optarg, "all") == 0)
          lo->tail = -1;
        else
          {
            lo->tail = strtoll (optarg, &end, 10);
            if (*end || lo->tail < 0)
              return cli_usage_error ("logs", "invalid --tail `%s`", optarg);
          }
        break;
      case 't':
        o->look.timestamps = true;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("logs", "unknown option");
      }
  return -1;
}

/* Each container's label, and the colour of its service (services
   coloured in the order they come).  */
static void
setup_prefixes (struct logs_cli *o, const struct cli_target *t, char **names)
{
  cleanup_strv char **services = cc_strv_dup ((char *[]){ NULL }), **labels = cc_strv_dup ((char *[]){ NULL });
  const cJSON *containers = cc_state_section (t->st, "containers");
  size_t n = cc_strv_len (names);
  cleanup_free int *colors = xzalloc ((n + 1) * sizeof (int));

  for (size_t i = 0; i < n; i++)
    {
      const cJSON *e = cJSON_GetObjectItemCaseSensitive (containers, names[i]);
      const char *svc = cc_json_get_string (e, "service");
      size_t k;
      cc_strv_push (&labels, cc_engine_log_label (t->name, names[i], e));
      for (k = 0; services[k] && strcmp (services[k], svc ? svc : "?") != 0; k++)
        ;
      if (services[k] == NULL)
        cc_strv_append (&services, svc ? svc : "?");
      colors[i] = (int)k;
    }
  cli_log_look_set (&o->look, labels, colors);
}

static char **
select_index (const struct cli_target *t, int index)
{
  char **v = xzalloc (sizeof (char *));
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (t->st->json, "containers");

  for (char **n = t->containers; *n; n++)
    if (index == 0 || cc_json_get_int (cJSON_GetObjectItemCaseSensitive (containers, *n), "number", 0) == index)
      cc_strv_append (&v, *n);
  return v;
}

int
cli_cmd_logs (struct cli_global *g, int argc, char **argv)
{
  struct logs_cli o = { .look = { .color = cli_use_color (g), .prefix = true } };
  struct cc_log_opts lo = { .tail = -1, .settle_ms = 1500, .fn = cli_log_look_print, .opaque = &o.look };
  cleanup_strv char **services = NULL, **names = NULL;
  struct cli_target t;
  cc_error_t err = NULL;
  int ret = parse (&o, &lo, argc, argv);

  if (ret >= 0)
    {
      free (o.since), free (o.until);
      return ret;
    }
  lo.since = o.since;
  lo.until = o.until;
  services = cli_rest (argc, argv);
  if (cli_target_open (g, services, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      free (o.since), free (o.until);
      return cli_fail (&err);
    }
  names = select_index (&t, o.index);
  setup_prefixes (&o, &t, names);
  ret = cc_engine_logs (names, &lo, &err) < 0 ? cli_fail (&err) : CLI_EXIT_OK;
  cli_log_look_release (&o.look);
  free (o.since), free (o.until);
  cli_target_release (&t);
  return ret;
}
