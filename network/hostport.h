/* Host ports ccompose chooses: a port published with no host port takes
   a free one of the kernel's ephemeral range, a host range onto one
   container port takes the first free port of the range, as Docker does.
   Chosen under the network lock and recorded with the member, so two
   containers attached at once never take the same port.  Internal to
   network/.  */
#ifndef CC_NETWORK_HOSTPORT_H
#define CC_NETWORK_HOSTPORT_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "network/network.h"

/* A host port range someone holds: a listener, a rule, a member.  */
struct cc_port_taken
{
  enum cc_net_proto proto;
  uint32_t addr; /* host order, 0 = every address */
  uint16_t lo, hi;
};

/* Where the kernel picks its own ephemeral ports (and Docker picks its
   published ones) when /proc says nothing usable.  */
#define CC_EPHEMERAL_LO 32768u
#define CC_EPHEMERAL_HI 60999u

/* Pure parts, for the unit tests.  */

/* The first port of LO..HI for PROTO on ADDR that no TAKEN meets; 0 when
   every one is taken.  */
unsigned cc_hostport_pick (enum cc_net_proto proto, uint32_t addr, unsigned lo, unsigned hi,
                           const struct cc_port_taken *taken, size_t n);
/* "32768\t60999\n" (/proc/sys/net/ipv4/ip_local_port_range).  */
int cc_hostport_parse_local_range (const char *text, unsigned *lo, unsigned *hi);
/* The range a choice for P is made from.  */
void cc_hostport_candidates (const struct cc_net_port *p, unsigned *lo, unsigned *hi);

/* Under the state lock: N ports of the endpoint EP with every choice
   made into OUT (N entries), for the member SELF (NULL when it is new),
   which keeps a port it chose before while that one is still free.  */
int cc_hostport_choose (const cJSON *root, const cJSON *self, const struct cc_net_endpoint *ep, struct cc_net_port *out,
                        cc_error_t *err);

#endif
