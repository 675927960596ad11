/* `ccompose restart`: stop, then start, the existing containers.  Like
   Docker Compose it does not apply compose file changes; unlike it, it
   says so when the file changed: a user who edited it expects the edit
   to apply.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"

static const char usage[] = "Usage: ccompose restart [OPTIONS] [SERVICE...]\n\n"
                            "Restart service containers\n\n"
                            "Options:\n"
                            "      --no-deps       Don't restart dependent services\n"
                            "  -t, --timeout int   Specify a shutdown timeout in seconds\n"
                            "  -h, --help          Show this help\n";

static void
warn_drift (const struct cli_target *t)
{
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (t->st->json, "containers");

  for (char **n = t->containers; t->p && *n; n++)
    {
      cleanup_free char *why = cc_engine_config_drift (t->p, cJSON_GetObjectItemCaseSensitive (containers, *n));
      if (why)
        fprintf (stderr,
                 "ccompose: %s: the compose file changed (%s); restart keeps the old configuration, "
                 "`ccompose up` applies it\n",
                 *n, why);
    }
}

int
cli_cmd_restart (struct cli_global *g, int argc, char **argv)
{
  static const char *const live[] = { "running", "restarting", "paused", NULL };
  cleanup_cli_common struct cli_common o = { 0 };
  struct cli_target t = { 0 };
  cleanup_strv char **running = NULL;
  cc_error_t err = NULL;
  int ret = cli_open_common (g, "restart", usage, "t:h", argc, argv, &o, &t);

  if (ret >= 0)
    return ret;
  if (! o.no_deps)
    cli_add_restart_dependents (&t, o.services);
  warn_drift (&t);
  running = cli_containers_with_status (&t, live, false);
  struct cc_stop_opts so = { .timeout_ms = o.timeout_ms, .explain = true, .project = t.name };
  if (g->dry_run)
    {
      cli_dry_run_report (t.containers, "Restarted");
      ret = CLI_EXIT_OK;
    }
  else if (cc_engine_stop (t.st->json, running, &so, &err) < 0
           || cc_engine_start (t.p, t.st->json, t.containers, &err) < 0)
    ret = cli_fail (&err);
  else
    ret = CLI_EXIT_OK;
  cli_target_release (&t);
  return ret;
}
