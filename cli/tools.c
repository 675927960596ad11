/* `ccompose runtime ...` and `ccompose netdev ...`: the low-level tools,
   handed over whole to the engine (engine/tools.c, lib/tool.h).  */
#include "cli/cli.h"
#include "engine/engine.h"

int
cli_cmd_runtime (struct cli_global *g, int argc, char **argv)
{
  return cc_engine_tool ("runtime", g->project_name, argc, argv);
}

int
cli_cmd_netdev (struct cli_global *g, int argc, char **argv)
{
  return cc_engine_tool ("netdev", g->project_name, argc, argv);
}

int
cli_cmd_balance (struct cli_global *g, int argc, char **argv)
{
  return cc_engine_tool ("balance", g->project_name, argc, argv);
}

int
cli_cmd_journal (struct cli_global *g, int argc, char **argv)
{
  return cc_engine_tool ("journal", g->project_name, argc, argv);
}
