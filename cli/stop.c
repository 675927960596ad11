/* `ccompose stop`: stop running containers without removing them, in
   reverse dependency order.  */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"

static const char usage[] = "Usage: ccompose stop [OPTIONS] [SERVICE...]\n\n"
                            "Stop services\n\n"
                            "Options:\n"
                            "  -t, --timeout int   Specify a shutdown timeout in seconds\n"
                            "  -h, --help          Show this help\n";

int
cli_cmd_stop (struct cli_global *g, int argc, char **argv)
{
  static const char *const live[] = { "running", "restarting", "paused", "created", NULL };
  cleanup_cli_common struct cli_common o = { 0 };
  struct cli_target t = { 0 };
  cleanup_strv char **names = NULL;
  cc_error_t err = NULL;
  int ret = cli_open_common (g, "stop", usage, "t:h", argc, argv, &o, &t);

  if (ret >= 0)
    return ret;
  names = cli_containers_with_status (&t, live, false);
  struct cc_stop_opts so = { .timeout_ms = o.timeout_ms, .explain = true, .project = t.name };
  if (g->dry_run)
    cli_dry_run_report (names, "Stopped");
  ret = g->dry_run || cc_engine_stop (t.st->json, names, &so, &err) == 0 ? CLI_EXIT_OK : cli_fail (&err);
  cli_target_release (&t);
  return ret;
}
