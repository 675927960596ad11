/* `ccompose pause`: freeze the running containers (cgroup freezer).  */
#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"

static const char usage[] = "Usage: ccompose pause [OPTIONS] [SERVICE...]\n\n"
                            "Pause services\n\n"
                            "Options:\n"
                            "  -h, --help   Show this help\n";

int
cli_cmd_pause (struct cli_global *g, int argc, char **argv)
{
  static const char *const wanted[] = { "running", NULL };

  return cli_each_container (g, "pause", usage, argc, argv, wanted, cc_engine_pause, "Paused");
}
