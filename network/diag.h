/* The sockets that hold host ports, for the port preflight: asked of the
   kernel through NETLINK_SOCK_DIAG, or read from /proc/net where the
   kernel has no inet_diag.  Internal to network/.  */
#ifndef CC_NETWORK_DIAG_H
#define CC_NETWORK_DIAG_H

#include <linux/inet_diag.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "network/network.h"

/* A listening TCP or an unconnected UDP socket, as IPv4 traffic sees it.  */
struct cc_listener
{
  enum cc_net_proto proto;
  uint32_t addr; /* host order; 0 = every address */
  unsigned port;
  unsigned long inode;
};

struct cc_port_range
{
  uint16_t lo, hi;
};

/* Every socket of this network namespace that holds a port of one of the
   N RANGES (more may come back: callers still compare ports), appended to
   *V.  */
int cc_diag_listeners (const struct cc_port_range *ranges, size_t n, struct cc_listener **v, size_t *nv,
                       cc_error_t *err);

/* Pure parts, for the unit tests.  */

/* The INET_DIAG_REQ_BYTECODE program that accepts a socket whose local port
   lies in one of the N RANGES; its length in bytes goes to *LEN.  Too many
   ranges for the kernel's 16-bit jumps are covered by one.  */
struct inet_diag_bc_op *cc_diag_port_filter (const struct cc_port_range *ranges, size_t n, size_t *len);

/* The IPv4 address a socket of FAMILY bound to SRC (network order, as
   inet_diag reports it) receives on; 0 = every address.  False when it
   receives no IPv4 traffic (::1, fe80::...).  */
bool cc_diag_ipv4_view (int family, const uint32_t src[4], uint32_t *out);

/* One line of /proc/net/{tcp,udp}[6]: true and *OUT when it is a socket in
   STATE.  */
bool cc_diag_parse_proc_line (const char *line, bool v6, unsigned state, struct cc_listener *out);

#endif
