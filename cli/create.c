/* `ccompose create`: `up --no-start`: networks, volumes and containers,
   nothing started.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"

static const char usage[]
    = "Usage: ccompose create [OPTIONS] [SERVICE...]\n\n"
      "Creates containers for a service\n\n"
      "Options:\n"
      "      --build            Build images before starting containers\n"
      "      --force-recreate   Recreate containers even if their configuration and image haven't changed\n"
      "      --no-build         Don't build an image, even if it's policy\n"
      "      --no-recreate      If containers already exist, don't recreate them\n"
      "      --pull string      Pull image before running (\"always\"|\"missing\"|\"never\") (default \"missing\")\n"
      "      --remove-orphans   Remove containers for services not defined in the Compose file\n"
      "      --scale scale      Scale SERVICE to NUM instances (SERVICE=NUM)\n"
      "  -h, --help             Show this help\n";

enum
{
  OPT_FORCE = 256,
  OPT_BUILD,
  OPT_NO_BUILD,
  OPT_NO_RECREATE,
  OPT_PULL,
  OPT_REMOVE_ORPHANS,
  OPT_SCALE,
};

static const struct option options[] = {
  { "build", no_argument, NULL, OPT_BUILD },
  { "force-recreate", no_argument, NULL, OPT_FORCE },
  { "no-build", no_argument, NULL, OPT_NO_BUILD },
  { "no-recreate", no_argument, NULL, OPT_NO_RECREATE },
  { "pull", required_argument, NULL, OPT_PULL },
  { "remove-orphans", no_argument, NULL, OPT_REMOVE_ORPHANS },
  { "scale", required_argument, NULL, OPT_SCALE },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
cli_cmd_create (struct cli_global *g, int argc, char **argv)
{
  struct cc_up_opts o = { .no_start = true,
                          .timeout_ms = -1,
                          .wait_timeout_ms = -1,
                          .parallel = g->parallel,
                          .remove_orphans = g->remove_orphans,
                          .ignore_orphans = g->ignore_orphans };
  cleanup_project struct cc_project *p = NULL;
  cleanup_strv char **services = NULL, **scale = NULL;
  cc_error_t err = NULL;
  int c, ret;

  while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_FORCE:
        o.force_recreate = true;
        break;
      case OPT_BUILD:
      case OPT_NO_BUILD:
        if (o.build != CC_BUILD_MISSING && o.build != (c == OPT_BUILD ? CC_BUILD_ALWAYS : CC_BUILD_NEVER))
          return cli_usage_error ("create", "--build and --no-build are incompatible");
        o.build = c == OPT_BUILD ? CC_BUILD_ALWAYS : CC_BUILD_NEVER;
        break;
      case OPT_NO_RECREATE:
        o.no_recreate = true;
        break;
      case OPT_PULL:
        o.pull = optarg;
        break;
      case OPT_REMOVE_ORPHANS:
        o.remove_orphans = true;
        break;
      case OPT_SCALE:
        if (strchr (optarg, '=') == NULL || atoi (strchr (optarg, '=') + 1) < 0)
          return cli_usage_error ("create", "invalid --scale `%s` (SERVICE=NUM)", optarg);
        cc_strv_append (&scale, optarg);
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("create", "unknown option");
      }
  if (o.force_recreate && o.no_recreate)
    return cli_usage_error ("create", "--force-recreate and --no-recreate are incompatible");
  o.scale = scale;
  services = cli_rest (argc, argv);
  o.services = *services ? services : NULL;
  o.dry_run = g->dry_run;
  if (cli_load_project (g, services, &p, &err) < 0)
    return cli_fail (&err);
  ret = cc_engine_up (p, &o, &err);
  cc_strv_free (o.started);
  return ret < 0 ? cli_fail (&err) : CLI_EXIT_OK;
}
