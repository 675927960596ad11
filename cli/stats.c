/* `ccompose stats`: the containers' resource usage, read by the engine
   (engine/stats.c), printed as Docker's stats formatter prints it: once
   with --no-stream, else refreshed every second until interrupted.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "cli/template.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"

static const char usage[]
    = "Usage: ccompose stats [OPTIONS] [SERVICE]\n\n"
      "Display a live stream of container(s) resource usage statistics\n\n"
      "Options:\n"
      "  -a, --all             Show all containers (default shows just running)\n"
      "      --format string   Format output using a custom template:\n"
      "                        'table':            Print output in table format with column headers (default)\n"
      "                        'table TEMPLATE':   Print output in table format using the given Go template\n"
      "                        'json':             Print in JSON format\n"
      "                        'TEMPLATE':         Print output using the given Go template.\n"
      "      --no-stream       Disable streaming stats and only pull the first result\n"
      "      --no-trunc        Do not truncate output\n"
      "  -h, --help            Show this help\n";

enum
{
  OPT_FORMAT = 256,
  OPT_NO_STREAM,
  OPT_NO_TRUNC,
};

/* Docker's stats columns.  */
static const struct cli_header stats_headers[] = {
  { "Container", "CONTAINER" },
  { "ID", "CONTAINER ID" },
  { "Name", "NAME" },
  { "CPUPerc", "CPU %" },
  { "MemUsage", "MEM USAGE / LIMIT" },
  { "MemPerc", "MEM %" },
  { "NetIO", "NET I/O" },
  { "BlockIO", "BLOCK I/O" },
  { "PIDs", "PIDS" },
};
#define DEFAULT_TABLE                                                                                                  \
  "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

/* How long a reading waits for the second one CPU % needs: Docker's
   one-shot stats compare with the previous second.  */
#define SAMPLE_MS 1000

struct stats_cli
{
  bool all, no_stream;
  const char *format;
};

static int
parse (struct stats_cli *o, int argc, char **argv)
{
  static const struct option options[] = {
    { "all", no_argument, NULL, 'a' },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "no-stream", no_argument, NULL, OPT_NO_STREAM },
    { "no-trunc", no_argument, NULL, OPT_NO_TRUNC },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  while ((c = getopt_long (argc, argv, "ah", options, NULL)) != -1)
    switch (c)
      {
      case 'a':
        o->all = true;
        break;
      case OPT_FORMAT:
        if (*optarg == '\0')
          return cli_usage_error ("stats", "empty --format");
        o->format = optarg;
        break;
      case OPT_NO_STREAM:
        o->no_stream = true;
        break;
      case OPT_NO_TRUNC:
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("stats", "unknown option");
      }
  if (argc - optind > 1)
    return cli_usage_error ("stats", "takes at most one SERVICE");
  return -1;
}

static char **
selected (const struct cli_global *g, const struct stats_cli *o, char **services, cc_error_t *err)
{
  static const char *const running[] = { "running", "paused", NULL };
  struct cli_target t = { 0 };
  char **names;

  if (cli_target_open (g, services, false, &t, err) < 0)
    {
      cli_target_release (&t);
      return NULL;
    }
  names = o->all ? cc_strv_dup (t.containers) : cli_containers_with_status (&t, running, false);
  cli_target_release (&t);
  return names;
}

static int
show (const struct stats_cli *o, char **names, bool clear)
{
  cleanup_cjson cJSON *rows = cc_engine_stats (names, SAMPLE_MS);
  cc_error_t err = NULL;

  if (clear)
    fputs ("\033[2J\033[H", stdout);
  if (cli_format_rows (o->format, rows, stats_headers, CC_N_ELEMENTS (stats_headers), NULL, &err) < 0)
    return cli_fail (&err);
  fflush (stdout);
  return CLI_EXIT_OK;
}

int
cli_cmd_stats (struct cli_global *g, int argc, char **argv)
{
  struct stats_cli o = { .format = DEFAULT_TABLE };
  cleanup_strv char **services = NULL;
  cc_error_t err = NULL;
  int ret = parse (&o, argc, argv);

  if (ret >= 0)
    return ret;
  if (strcmp (o.format, "table") == 0)
    o.format = DEFAULT_TABLE;
  services = cli_rest (argc, argv);
  for (;;)
    {
      cleanup_strv char **names = selected (g, &o, services, &err);
      if (names == NULL)
        return cli_fail (&err);
      ret = show (&o, names, ! o.no_stream && isatty (STDOUT_FILENO));
      if (ret != CLI_EXIT_OK || o.no_stream)
        return ret;
    }
}
