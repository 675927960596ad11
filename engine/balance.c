/* Replicas behind one published port (issue 16): which containers of a
   project are in the balancers of the host ports they publish.  A
   replica serves while it runs, has not been asked to stop, and is
   healthy when it has a healthcheck; the network turns that into the
   DNAT choice (network/rules.c).  Every container's monitor runs
   `ccompose -p PROJECT balance` when its status or health changes
   (runtime/monitor.c), so the balancer follows health within one probe,
   whether or not a ccompose command is running.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"
#include "runtime/runtime.h"

static bool
is_serving (const char *name, void *unused)
{
  cleanup_free char *health = NULL;
  cleanup_free char *status = cc_engine_container_status (name, &health);

  (void)unused;
  return strcmp (status, "running") == 0 && ! cc_runtime_stop_requested (name)
         && (health == NULL || strcmp (health, "healthy") == 0);
}

int
cc_engine_balance (const char *project, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;
  cleanup_strv char **names = NULL;

  if (cc_state_open (project, false, &st, err) < 0)
    return -1;
  names = cc_state_container_names (st->json, NULL, false);
  return cc_network_set_serving (project, names, is_serving, NULL, err);
}

int
cc_engine_leave_balancer (const char *project, char *const *names, cc_error_t *err)
{
  for (char *const *n = names; n && *n; n++)
    {
      cleanup_free char *status = cc_engine_container_status (*n, NULL);

      /* Never created (a crash between record and create): not serving.  */
      if (strcmp (status, "missing") != 0 && cc_runtime_request_stop (*n, err) < 0)
        return cc_error_wrap (err, "container `%s`", *n);
    }
  return cc_engine_balance (project, err);
}

char **
cc_engine_on_change (const char *project, bool balance)
{
  char exe[4096];
  ssize_t len = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
  char **argv = NULL;

  if (len <= 0)
    return NULL;
  exe[len] = '\0';
  cc_strv_append (&argv, exe);
  cc_strv_append (&argv, "-p");
  cc_strv_append (&argv, project);
  cc_strv_append (&argv, balance ? "balance" : "journal");
  return argv;
}
