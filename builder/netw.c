/* The build network: what RUN gets by default, as BuildKit gives it (a
   network namespace of its own with outbound NAT, not the host's
   loopback).  One temporary bridge network of network/ per build, made
   on the first RUN that needs it, recorded in the build record before
   it exists, torn down with the build (cc_bld_record_end); each RUN
   container gets its own namespace on it.  */
#include <stdlib.h>
#include <string.h>

#include "builder/exec.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "network/network.h"

#define NETWORK_KEY "default"

static int
ensure_network (struct cc_bld_env *e, cc_error_t *err)
{
  struct cc_net_info info = { 0 };
  cleanup_free char *project = NULL;
  struct cc_net_spec spec = { .name = NETWORK_KEY };

  if (e->net_project)
    return 0;
  project = xasprintf ("ccbuild-%s", cc_bld_record_id (e->record));
  spec.project = project;
  if (cc_bld_record_add (e->record, "networks", project, err) < 0)
    return -1;
  if (cc_network_create (&spec, &info, err) < 0)
    return cc_error_wrap (err, "build network");
  cc_net_info_release (&info);
  e->net_project = steal_pointer (&project);
  return 0;
}

int
cc_bld_net_join (struct cc_bld_env *e, const char *id, char **path, cc_error_t *err)
{
  struct cc_net_attachment a = { 0 };
  struct cc_net_endpoint ep = { 0 };

  if (ensure_network (e, err) < 0)
    return -1;
  if (cc_netns_create (e->net_project, id, path, err) < 0)
    return cc_error_wrap (err, "build network");
  ep.project = e->net_project;
  ep.network = NETWORK_KEY;
  ep.container = id;
  ep.service = "build";
  ep.number = 1;
  ep.netns_path = *path;
  if (cc_network_attach (&ep, &a, err) < 0)
    return cc_error_wrap (err, "build network");
  cc_net_attachment_release (&a);
  return 0;
}

void
cc_bld_net_leave (struct cc_bld_env *e, const char *id)
{
  cleanup_error cc_error_t err = NULL;

  if (e->net_project == NULL)
    return;
  if (cc_network_detach (e->net_project, NETWORK_KEY, id, &err) < 0 || cc_netns_remove (id, &err) < 0)
    cc_warn ("build network: %s", err->msg);
}
