/* `ccompose watch`: bring the services up, then follow their develop.watch
   rules until Ctrl-C, as `docker compose watch` does (exit 130).  */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"

static const char usage[] = "Usage: ccompose watch [SERVICE...]\n\n"
                            "Watch build context for service and rebuild/refresh containers when files are updated\n\n"
                            "Options:\n"
                            "      --no-up   Do not build & start services before watching\n"
                            "      --quiet   Hide build output\n"
                            "  -h, --help    Show this help\n";

/* 128 + SIGINT: what Compose's watch exits with on Ctrl-C.  */
#define EXIT_INTERRUPTED 130

enum
{
  OPT_NO_UP = 256,
  OPT_QUIET,
};

static const struct option options[] = {
  { "no-up", no_argument, NULL, OPT_NO_UP },
  { "quiet", no_argument, NULL, OPT_QUIET },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
cli_cmd_watch (struct cli_global *g, int argc, char **argv)
{
  struct cc_watch_opts wo = { 0 };
  cleanup_project struct cc_project *p = NULL;
  cleanup_strv char **services = NULL;
  cc_error_t err = NULL;
  bool no_up = false;
  int c;

  while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_NO_UP:
        no_up = true;
        break;
      case OPT_QUIET:
        wo.quiet = true;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("watch", "unknown option");
      }
  services = cli_rest (argc, argv);
  wo.services = *services ? services : NULL;
  if (cli_load_project (g, services, &p, &err) < 0)
    return cli_fail (&err);
  if (! no_up)
    {
      struct cc_up_opts up = {
        .services = wo.services, .timeout_ms = -1, .wait_timeout_ms = -1, .parallel = g->parallel, .quiet = wo.quiet
      };
      int ret = cc_engine_up (p, &up, &err);
      cc_strv_free (up.started);
      if (ret < 0)
        return cli_fail (&err);
    }
  if (cc_engine_watch (p, &wo, &err) < 0)
    return cli_fail (&err);
  return EXIT_INTERRUPTED;
}
