/* `ccompose kill`: send a signal (SIGKILL by default) to the running
   containers' PID 1.  */
#include <signal.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strv.h"

static const char usage[] = "Usage: ccompose kill [OPTIONS] [SERVICE...]\n\n"
                            "Force stop service containers\n\n"
                            "Options:\n"
                            "      --remove-orphans   Remove containers for services not defined in the Compose file\n"
                            "                         (kill them too; without it they are left alone)\n"
                            "  -s, --signal string    SIGNAL to send to the container (default \"SIGKILL\")\n"
                            "  -h, --help             Show this help\n";

int
cli_cmd_kill (struct cli_global *g, int argc, char **argv)
{
  static const char *const live[] = { "running", "restarting", "paused", NULL };
  struct cli_common o = { 0 };
  struct cli_target t = { 0 };
  cleanup_strv char **names = NULL, **services = NULL;
  cc_error_t err = NULL;
  int sig = SIGKILL, ret = cli_parse_common ("kill", usage, "s:h", argc, argv, &o);

  services = o.services;
  if (ret >= 0)
    return ret;
  if (o.signal && cc_engine_parse_signal (o.signal, &sig, &err) < 0)
    {
      cc_error_release (&err);
      return cli_usage_error ("kill", "invalid signal `%s`", o.signal);
    }
  if (cli_target_open (g, services, true, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  if (! o.remove_orphans)
    cli_drop_orphans (&t);
  names = cli_containers_with_status (&t, live, false);
  ret = CLI_EXIT_OK;
  if (g->dry_run)
    cli_dry_run_report (names, "Killed");
  for (char **n = names; ! g->dry_run && *n; n++)
    {
      if (cc_engine_kill (*n, sig, &err) < 0)
        {
          ret = cli_fail (&err);
          continue;
        }
      cc_progress_compact ("Container", *n, "Killed");
    }
  cli_target_release (&t);
  return ret;
}
