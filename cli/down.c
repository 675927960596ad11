/* `ccompose down`: stop and remove containers, networks (and volumes with
   -v) of the project, from its on-disk state.  */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose down [OPTIONS] [SERVICES]\n\n"
      "Stop and remove containers, networks\n\n"
      "Options:\n"
      "      --remove-orphans    Remove containers for services not defined in the Compose file\n"
      "      --rmi string        Remove images used by services. \"local\" remove only images that don't have a\n"
      "                          custom tag (\"local\"|\"all\")\n"
      "  -t, --timeout int       Specify a shutdown timeout in seconds\n"
      "  -v, --volumes           Remove named volumes declared in the \"volumes\" section of the Compose file\n"
      "  -h, --help              Show this help\n";

enum
{
  OPT_REMOVE_ORPHANS = 256,
  OPT_RMI,
};

static const struct option options[] = {
  { "remove-orphans", no_argument, NULL, OPT_REMOVE_ORPHANS },
  { "rmi", required_argument, NULL, OPT_RMI },
  { "timeout", required_argument, NULL, 't' },
  { "volumes", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* What down would remove, in Compose's dry-run words: each container,
   then the project's networks (and volumes with -v).  */
static int
dry_run (const struct cli_global *g, const char *name, bool volumes)
{
  cc_error_t err = NULL;
  struct cli_target t;

  if (cli_target_open (g, NULL, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  cli_dry_run_report (t.containers, "Would stop and remove");
  fprintf (stderr, " \u2714 DRY-RUN MODE -  Project %s  Would remove its networks%s\n", name,
           volumes ? " and named volumes" : "");
  cli_target_release (&t);
  return CLI_EXIT_OK;
}

int
cli_cmd_down (struct cli_global *g, int argc, char **argv)
{
  struct cc_down_opts o = { .timeout_ms = -1, .parallel = g->parallel, .remove_orphans = g->remove_orphans };
  cleanup_project struct cc_project *p = NULL;
  cleanup_free char *name = NULL;
  cc_error_t err = NULL;
  int64_t t0;
  int c;

  while ((c = getopt_long (argc, argv, "t:vh", options, NULL)) != -1)
    switch (c)
      {
      case OPT_REMOVE_ORPHANS:
        o.remove_orphans = true;
        break;
      case OPT_RMI:
        if (strcmp (optarg, "local") != 0 && strcmp (optarg, "all") != 0)
          return cli_usage_error ("down", "invalid --rmi `%s` (local, all)", optarg);
        o.rmi = optarg;
        break;
      case 't':
        if ((o.timeout_ms = cli_parse_seconds (optarg)) < 0)
          return cli_usage_error ("down", "invalid --timeout `%s`", optarg);
        break;
      case 'v':
        o.volumes = true;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("down", "unknown option");
      }
  if (optind < argc)
    return cli_usage_error ("down", "removing only some services is not supported; use `ccompose rm -s -f SERVICE`");
  if (cli_project_name (g, &p, &name, &err) < 0)
    return cli_fail (&err);
  if (g->dry_run)
    return dry_run (g, name, o.volumes);
  t0 = cc_engine_now_ms ();
  if (cc_engine_down (name, p, &o, &err) < 0)
    return cli_fail (&err);
  if (o.rmi && p && cc_engine_remove_images (p, o.rmi, &err) < 0)
    return cli_fail (&err);
  if (cc_log_threshold <= CC_LOG_DEBUG)
    fprintf (stderr, "down: %.3f s\n", (double)(cc_engine_now_ms () - t0) / 1000);
  return CLI_EXIT_OK;
}
