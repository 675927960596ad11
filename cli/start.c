/* `ccompose start`: start existing containers, dependencies first.  */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"

static const char usage[] = "Usage: ccompose start [OPTIONS] [SERVICE...]\n\n"
                            "Start services\n\n"
                            "Options:\n"
                            "      --wait                  Wait for services to be running|healthy\n"
                            "      --wait-timeout int      Maximum duration in seconds to wait for the project to be\n"
                            "                              running|healthy\n"
                            "  -h, --help                  Show this help\n";

int
cli_cmd_start (struct cli_global *g, int argc, char **argv)
{
  static const char *const live[] = { "running", "restarting", "paused", NULL };
  cleanup_cli_common struct cli_common o = { 0 };
  struct cli_target t = { 0 };
  cleanup_strv char **names = NULL;
  cc_error_t err = NULL;
  int ret = cli_open_common (g, "start", usage, "h", argc, argv, &o, &t);

  if (ret >= 0)
    return ret;
  if (*t.containers == NULL)
    {
      cli_target_release (&t);
      fprintf (stderr, "ccompose: no container to start: run `ccompose up` first\n");
      return CLI_EXIT_FAILURE;
    }
  names = cli_containers_with_status (&t, live, true);
  if (g->dry_run)
    cli_dry_run_report (names, "Started");
  if (g->dry_run)
    ret = CLI_EXIT_OK;
  else if (cc_engine_start (t.p, t.st->json, names, &err) < 0
           || (o.wait && cc_engine_wait_ready (t.containers, o.wait_timeout_ms, &err) < 0))
    ret = cli_fail (&err);
  else
    ret = CLI_EXIT_OK;
  cli_target_release (&t);
  return ret;
}
