/* Ports from the model (struct cc_port, compose's one grammar) to the
   network (struct cc_net_port): the one place that refuses what
   ccompose cannot publish, with the port's file:line:col.  `config`
   prints such ports as Docker does; `up`, `create` and `run` stop here
   before anything is created.  */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"
#include "network/network.h"

static bool
is_ipv6_loopback (const char *ip)
{
  struct in6_addr a;

  return inet_pton (AF_INET6, ip, &a) == 1 && IN6_IS_ADDR_LOOPBACK (&a);
}

int
cc_engine_net_port (const struct cc_port *in, struct cc_net_port *out, cc_error_t *err)
{
  cleanup_free char *text = cc_port_format (in);

  memset (out, 0, sizeof (*out));
  /* The network's rules, its port check and its state know tcp and
     udp: an sctp DNAT would be a new part.  */
  if (in->protocol != CC_PORT_TCP && in->protocol != CC_PORT_UDP)
    return cc_compose_error_at (err, &in->pos, "port `%s`: %s ports cannot be published by ccompose yet (tcp, udp)",
                                text, cc_port_protocol_name (in->protocol));
  /* A DNAT from ::1 sends the container packets from ::1, and the kernel
     takes none off lo (no route_localnet for IPv6): only a userland
     relay, as docker-proxy is, could serve it (issue 17).  */
  if (cc_port_has_ipv6_host (in) && is_ipv6_loopback (in->host_ip))
    return cc_compose_error_at (err, &in->pos,
                                "port `%s`: ports on the IPv6 loopback cannot be published by ccompose yet "
                                "(127.0.0.1, [::] or another address)",
                                text);
  if (in->published == 0 && in->published_end != 0)
    return cc_compose_error_at (err, &in->pos, "port `%s`: a host port range cannot start at 0", text);
  if (in->target_end != in->target && in->published_end - in->published != in->target_end - in->target)
    return cc_compose_error_at (err, &in->pos, "port `%s`: a container port range needs a host port range as long",
                                text);
  out->proto = in->protocol == CC_PORT_UDP ? CC_NET_UDP : CC_NET_TCP;
  memcpy (out->host_ip, in->host_ip, strlen (in->host_ip) + 1);
  out->host_port = in->published;
  out->host_port_end = in->published_end;
  out->container_port = in->target;
  out->container_port_end = in->target_end;
  return 0;
}

int
cc_engine_net_ports (const struct cc_port *in, size_t n, struct cc_net_port **out, cc_error_t *err)
{
  cleanup_free struct cc_net_port *v = xzalloc ((n + 1) * sizeof (*v));

  for (size_t i = 0; i < n; i++)
    if (cc_engine_net_port (&in[i], &v[i], err) < 0)
      return -1;
  *out = steal_pointer (&v);
  return 0;
}

int
cc_engine_parse_publish (const char *spec, struct cc_net_port *out, cc_error_t *err)
{
  struct cc_port p;

  if (cc_port_parse (spec, &p, err) < 0)
    return cc_error_wrap (err, "port `%s`", spec);
  return cc_engine_net_port (&p, out, err);
}
