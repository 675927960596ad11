/* The low-level tools each part keeps beside its API (lib/tool.h),
   registered here so that the CLI reaches them through the engine.  They
   stay with their parts rather than becoming engine calls: they exercise
   a part's own API one call at a time (a container without a project, a
   bridge without a container), and engine wrappers with no logic of
   their own would only widen the engine to every part's whole API.  */
#include <string.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/tool.h"
#include "network/network.h"
#include "runtime/runtime.h"

/* The network tool reads ports with the one grammar, compose's.  */
static int
network_tool (const char *project, int argc, char **argv)
{
  return cc_network_tool (cc_engine_parse_publish, cc_runtime_spawn_helper, project, argc, argv);
}

/* `ccompose -p PROJECT balance`: what each container's monitor runs when
   its status or health changes (issue 16, engine/balance.c).  An engine
   operation, not the network tool's: who serves is read from the
   project's state and the runtime.  */
static int
balance_tool (const char *project, int argc, char **argv)
{
  cc_error_t err = NULL;

  (void)argv;
  if (argc != 1 || project == NULL)
    return cc_usage_error ("balance", "usage: ccompose -p PROJECT balance");
  cc_engine_journal_change (project);
  return cc_engine_balance (project, &err) < 0 ? cc_exit_failure (&err) : CC_EXIT_OK;
}

/* `ccompose -p PROJECT journal`: what the monitor of a container with no
   balancer runs when its status or health changes (engine/events.c).  */
static int
journal_tool (const char *project, int argc, char **argv)
{
  (void)argv;
  if (argc != 1 || project == NULL)
    return cc_usage_error ("journal", "usage: ccompose -p PROJECT journal");
  cc_engine_journal_change (project);
  return CC_EXIT_OK;
}

static const struct
{
  const char *name;
  cc_tool_fn fn;
} tools[] = {
  { "runtime", cc_runtime_tool },
  { "netdev", network_tool },
  { "balance", balance_tool },
  { "journal", journal_tool },
};

int
cc_engine_tool (const char *name, const char *project, int argc, char **argv)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (tools); i++)
    if (strcmp (tools[i].name, name) == 0)
      return tools[i].fn (project, argc, argv);
  return cc_usage_error (NULL, "unknown command `%s`", name);
}
