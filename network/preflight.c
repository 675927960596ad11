/* Port preflight (placeholder, filled in below).  */
#include "network/netimpl.h"
#include "network/network.h"

int
cc_network_preflight (const char *project, const char *service, const struct cc_net_port *ports, size_t n,
                      cc_error_t *err)
{
  (void) project;
  (void) service;
  (void) ports;
  (void) n;
  (void) err;
  return 0;
}
