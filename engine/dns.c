/* The embedded DNS of a project (issue 16, network/dns.h): the engine
   starts the project's responder once the project has a network, from
   the runtime's helper program, and every command that changes the
   project starts it again if it died.  `down` stops it with the
   project's networks (cc_network_teardown_project).  */
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "network/network.h"
#include "runtime/runtime.h"

int
cc_engine_dns_start (struct cc_state *st, cc_error_t *err)
{
  const cJSON *nets = cJSON_GetObjectItemCaseSensitive (st->json, "networks");

  if (nets == NULL || nets->child == NULL)
    return 0;
  return cc_network_dns_ensure (st->project, false, cc_runtime_spawn_helper, err);
}

void
cc_engine_dns_repair (const char *project)
{
  cc_error_t e = NULL;

  if (cc_network_dns_ensure (project, true, cc_runtime_spawn_helper, &e) < 0)
    {
      cc_warn ("%s", e->msg);
      cc_error_release (&e);
    }
}
