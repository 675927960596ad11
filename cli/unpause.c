/* `ccompose unpause`: thaw the paused containers.  */
#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"

static const char usage[] = "Usage: ccompose unpause [OPTIONS] [SERVICE...]\n\n"
                            "Unpause services\n\n"
                            "Options:\n"
                            "  -h, --help   Show this help\n";

int
cli_cmd_unpause (struct cli_global *g, int argc, char **argv)
{
  static const char *const wanted[] = { "paused", NULL };

  return cli_each_container (g, "unpause", usage, argc, argv, wanted, cc_engine_unpause, "Unpaused");
}
