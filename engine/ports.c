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
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"

static bool
is_ipv6_loopback (const char *ip)
{
  struct in6_addr a;

  return inet_pton (AF_INET6, ip, &a) == 1 && IN6_IS_ADDR_LOOPBACK (&a);
}

/* What the monitor's relay serves: tcp, one host port per container
   port, each known before the network chooses any.  */
bool
cc_engine_port_is_relayable (const struct cc_port *p)
{
  return p->protocol == CC_PORT_TCP && p->published != 0
         && (p->published_end == p->published || p->target_end != p->target);
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
  /* A DNAT from ::1 sends the container packets from ::1, which the
     kernel takes off lo for no one (no route_localnet for IPv6): the
     container's monitor relays such a port in userland, as docker-proxy
     does (runtime/proxy.c), for tcp and on a fixed host port only.  */
  if (cc_port_has_ipv6_host (in) && is_ipv6_loopback (in->host_ip) && ! cc_engine_port_is_relayable (in))
    return cc_compose_error_at (err, &in->pos,
                                "port `%s`: ports on the IPv6 loopback are published by ccompose for tcp on a "
                                "fixed host port only (127.0.0.1, [::] or another address)",
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

static bool
serves_ipv6_loopback (const struct cc_project *p, const struct cc_service *svc, const struct cc_port *port)
{
  const struct cc_network *net = svc->n_networks ? cc_project_network (p, svc->networks[0].key) : NULL;

  if (port->host_ip[0] == '\0')
    return net && net->enable_ipv6 == 1;
  return cc_port_has_ipv6_host (port) && (is_ipv6_loopback (port->host_ip) || strcmp (port->host_ip, "::") == 0);
}

static const struct cc_network *ipv6_only_publisher (const struct cc_project *p, const struct cc_service *svc);

/* An IPv4 host address (or none) of a port of a service with no IPv4
   address: "ADDRESS:" for the relay, else NULL (issue 15).  */
static const char *
ipv4_relay_address (const struct cc_project *p, const struct cc_service *svc, const struct cc_port *port)
{
  if (ipv6_only_publisher (p, svc) == NULL || cc_port_has_ipv6_host (port))
    return NULL;
  return port->host_ip[0] ? port->host_ip : "0.0.0.0";
}

static void
push_relayed (struct cc_strv_builder *b, const char *addr, const struct cc_port *port)
{
  unsigned last = port->published_end ? port->published_end : port->published;

  for (unsigned h = port->published; h <= last; h++)
    cc_strv_builder_push (
        b, xasprintf ("%s%s%u:%u", addr ?: "", addr ? ":" : "", h,
                      port->target_end != port->target ? port->target + (h - port->published) : port->target));
}

char **
cc_engine_loopback6_ports (const struct cc_project *p, const struct cc_service *svc)
{
  struct cc_strv_builder b = { 0 };

  for (size_t i = 0; i < svc->n_ports; i++)
    {
      const struct cc_port *port = &svc->ports[i];
      const char *v4 = ipv4_relay_address (p, svc, port);

      if (! cc_engine_port_is_relayable (port))
        continue;
      if (serves_ipv6_loopback (p, svc, port))
        push_relayed (&b, NULL, port);
      if (v4)
        push_relayed (&b, v4, port);
    }
  return b.len ? cc_strv_builder_steal (&b) : NULL;
}

/* The network a service publishes its ports on (its first, engine/ops.c)
   when it has no IPv4 (issue 15), else NULL.  */
static const struct cc_network *
ipv6_only_publisher (const struct cc_project *p, const struct cc_service *svc)
{
  const struct cc_network *net = svc->n_networks ? cc_project_network (p, svc->networks[0].key) : NULL;

  return net && ! cc_engine_network_has_ipv4 (net) ? net : NULL;
}

bool
cc_engine_network_has_ipv4 (const struct cc_network *net)
{
  if (net == NULL)
    return true;
  /* An external network's families are its maker's (`network create
     --ipv4=false`): the network state knows them.  */
  return net->external ? cc_network_has_ipv4 (net->name) : net->enable_ipv4 != 0;
}

/* A container with no IPv4 address has nothing an IPv4 host port could
   be sent to by a DNAT.  Docker 28 relays such ports to its IPv6 address
   with docker-proxy, and so does the monitor's relay (runtime/proxy.c),
   for what it serves: tcp on fixed host ports.  Another port given an
   IPv4 host address is refused; one given none is published on IPv6
   alone (as Docker without its proxy), said once (WARN).  */
int
cc_engine_check_ipv4_ports (const struct cc_project *p, const struct cc_service *svc, bool warn, cc_error_t *err)
{
  const struct cc_network *net = ipv6_only_publisher (p, svc);

  for (size_t i = 0; net && i < svc->n_ports; i++)
    {
      const struct cc_port *port = &svc->ports[i];
      cleanup_free char *text = cc_port_format (port);

      if (cc_engine_port_is_relayable (port))
        continue;
      if (port->host_ip[0] != '\0' && ! cc_port_has_ipv6_host (port))
        return cc_compose_error_at (err, &port->pos,
                                    "port `%s`: service `%s` has no IPv4 address to publish it on: its network `%s` "
                                    "has `enable_ipv4: false`, and ccompose relays IPv4 host ports to IPv6 for tcp "
                                    "on a fixed host port only (publish it on an IPv6 host address, as [::])",
                                    text, svc->name, net->key);
      if (port->host_ip[0] == '\0' && warn)
        cc_compose_warn_at (&port->pos,
                            "port `%s` is published on IPv6 only: service `%s` has no IPv4 address on network `%s` "
                            "(`enable_ipv4: false`)",
                            text, svc->name, net->key);
    }
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
