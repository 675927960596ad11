/* `ccompose wait`: block until the containers of the services stop; print
   each exit code and return the first one.  */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"

static const char usage[] = "Usage: ccompose wait [OPTIONS] SERVICE [SERVICE...]\n\n"
                            "Block until containers of all (or specified) services stop.\n\n"
                            "Options:\n"
                            "      --down-project   Drops project when the first container stops\n"
                            "  -h, --help           Show this help\n";

static const struct option options[] = {
  { "down-project", no_argument, NULL, 'D' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
cli_cmd_wait (struct cli_global *g, int argc, char **argv)
{
  struct cli_target t = { 0 };
  cleanup_strv char **services = NULL;
  cc_error_t err = NULL;
  bool down = false;
  int c, first = -1;

  while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1)
    switch (c)
      {
      case 'D':
        down = true;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("wait", "unknown option");
      }
  services = cli_rest (argc, argv);
  if (*services == NULL)
    return cli_usage_error ("wait", "requires at least one SERVICE");
  if (cli_target_open (g, services, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  for (char **n = t.containers; *n; n++)
    {
      int code = cc_engine_wait_exit (*n, &err);
      if (code < 0)
        {
          cli_target_release (&t);
          return cli_fail (&err);
        }
      printf ("%d\n", code);
      fflush (stdout);
      if (first < 0)
        first = code;
      if (down)
        {
          struct cc_down_opts d = { .timeout_ms = -1, .parallel = g->parallel };
          if (cc_engine_down (t.name, t.p, &d, &err) < 0)
            {
              cli_target_release (&t);
              return cli_fail (&err);
            }
          break;
        }
    }
  cli_target_release (&t);
  return first < 0 ? CLI_EXIT_OK : first;
}
