/* `ccompose pause`: freeze the running containers (cgroup freezer).  */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "runtime/runtime.h"

static const char usage[] = "Usage: ccompose pause [OPTIONS] [SERVICE...]\n\n"
                            "Pause services\n\n"
                            "Options:\n"
                            "  -h, --help   Show this help\n";

int
cli_cmd_pause (struct cli_global *g, int argc, char **argv)
{
  static const char *const wanted[] = { "running", NULL };
  struct cli_common o = { 0 };
  struct cli_target t = { 0 };
  cleanup_strv char **names = NULL, **services = NULL;
  cc_error_t err = NULL;
  int ret = cli_parse_common ("pause", usage, "h", argc, argv, &o);

  services = o.services;
  if (ret >= 0)
    return ret;
  if (cli_target_open (g, services, true, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  names = cli_containers_with_status (&t, wanted, false);
  ret = CLI_EXIT_OK;
  for (char **n = names; *n; n++)
    {
      if (cc_runtime_pause (*n, &err) < 0)
        {
          ret = cli_fail (&err);
          continue;
        }
      fprintf (stderr, " \u2714 Container %s  Paused\n", *n);
    }
  cli_target_release (&t);
  return ret;
}
