/* Host ports ccompose chooses (see hostport.h).  A port is free when no
   socket of this namespace holds it, no member recorded in this state
   root publishes it, and no rule of another state root (parallel test
   roots) DNATs it: the same three holders the preflight names.  */
#include "network/hostport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/paths.h"
#include "lib/xalloc.h"
#include "network/diag.h"
#include "network/firewall.h"
#include "network/ipam.h"
#include "network/state.h"

#define LOCAL_PORT_RANGE "/proc/sys/net/ipv4/ip_local_port_range"

bool
cc_net_port_is_chosen (const struct cc_net_port *p)
{
  return p->host_port == 0 || (p->host_port_end != p->host_port && p->container_port_end == p->container_port);
}

static bool
addresses_meet (uint32_t a, uint32_t b)
{
  return a == 0 || b == 0 || a == b;
}

static bool
is_taken (enum cc_net_proto proto, uint32_t addr, unsigned port, const struct cc_port_taken *taken, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (taken[i].proto == proto && taken[i].lo <= port && port <= taken[i].hi && addresses_meet (addr, taken[i].addr))
      return true;
  return false;
}

unsigned
cc_hostport_pick (enum cc_net_proto proto, uint32_t addr, unsigned lo, unsigned hi, const struct cc_port_taken *taken,
                  size_t n)
{
  for (unsigned port = lo ? lo : 1u; port <= hi && port <= 65535u; port++)
    if (! is_taken (proto, addr, port, taken, n))
      return port;
  return 0;
}

int
cc_hostport_parse_local_range (const char *text, unsigned *lo, unsigned *hi)
{
  unsigned a, b;
  int used = 0;

  if (text == NULL || sscanf (text, "%u %u %n", &a, &b, &used) != 2 || text[used] != '\0')
    return -1;
  if (a < 1 || a > b || b > 65535)
    return -1;
  *lo = a;
  *hi = b;
  return 0;
}

void
cc_hostport_candidates (const struct cc_net_port *p, unsigned *lo, unsigned *hi)
{
  cleanup_free char *text = NULL;

  if (p->host_port != 0)
    {
      *lo = p->host_port;
      *hi = p->host_port_end;
      return;
    }
  /* The kernel's range, read each time: an administrator may move it.  */
  if (cc_read_file (LOCAL_PORT_RANGE, &text, NULL, NULL) < 0 || cc_hostport_parse_local_range (text, lo, hi) < 0)
    {
      *lo = CC_EPHEMERAL_LO;
      *hi = CC_EPHEMERAL_HI;
    }
}

static uint32_t
address_of (const struct cc_net_port *p)
{
  uint32_t a = 0;

  if (p->host_ip[0])
    cc_ipv4_parse (p->host_ip, &a);
  return a;
}

struct taken_list
{
  struct cc_port_taken *v;
  size_t n;
};

static void
taken_list_release (struct taken_list *t)
{
  free (t->v);
}
#define cleanup_taken_list __attribute__ ((cleanup (taken_list_release)))

static void
taken_add (struct taken_list *t, enum cc_net_proto proto, uint32_t addr, unsigned lo, unsigned hi)
{
  t->v = xreallocarray (t->v, t->n + 1, sizeof (*t->v));
  t->v[t->n++] = (struct cc_port_taken){ proto, addr, (uint16_t)lo, (uint16_t)hi };
}

/* Every port a member other than SELF publishes in this state root.  */
static int
taken_by_members (const cJSON *root, const cJSON *self, struct taken_list *t, cc_error_t *err)
{
  for (const cJSON *net = cc_net_first (root, "networks"); net; net = net->next)
    for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
      for (const cJSON *pj = m == self ? NULL : cc_net_first (m, "ports"); pj; pj = pj->next)
        {
          struct cc_net_port p;

          if (cc_net_port_from_json (pj, &p, err) < 0)
            return -1;
          /* A choice never made (a port on an internal network) holds nothing.  */
          if (p.host_port != 0)
            taken_add (t, p.proto, address_of (&p), p.host_port, p.host_port_end);
        }
  return 0;
}

/* Sockets of this namespace in the ranges the choices are made from.  */
static int
taken_by_listeners (const struct cc_port_range *ranges, size_t n, struct taken_list *t, cc_error_t *err)
{
  cleanup_free struct cc_listener *l = NULL;
  size_t nl = 0;

  if (cc_diag_listeners (ranges, n, &l, &nl, err) < 0)
    return -1;
  for (size_t i = 0; i < nl; i++)
    taken_add (t, l[i].proto, l[i].addr, l[i].port, l[i].port);
  return 0;
}

/* DNAT rules of other state roots: this root's are its members'.  */
static int
taken_by_other_roots (struct taken_list *t, cc_error_t *err)
{
  const struct cc_firewall_ops *ops = cc_firewall (err);
  cleanup_free char *prefix = NULL, *mine = NULL;
  struct cc_fw_dnat *d = NULL;
  size_t n = 0;

  if (ops == NULL || ops->list_dnat (&d, &n, err) < 0)
    return -1;
  prefix = cc_fw_comment_prefix (cc_paths_net_tag ());
  mine = xasprintf ("%s ", prefix);
  /* An IPv6 one counts as every address: a port chosen without one is
     published on both families (rules.c).  */
  for (size_t i = 0; i < n; i++)
    if (strncmp (d[i].comment ? d[i].comment : "", mine, strlen (mine)) != 0)
      taken_add (t, d[i].proto == IPPROTO_UDP ? CC_NET_UDP : CC_NET_TCP, d[i].host_ip, d[i].port_lo, d[i].port_hi);
  cc_fw_dnat_free (d, n);
  return 0;
}

/* The port SELF chose before for the same request, or 0.  */
static unsigned
previous_choice (const cJSON *self, const struct cc_net_port *want, unsigned lo, unsigned hi)
{
  for (const cJSON *pj = cc_net_first (self, "ports"); pj; pj = pj->next)
    {
      struct cc_net_port p;

      if (cc_net_port_from_json (pj, &p, NULL) < 0 || p.proto != want->proto || strcmp (p.host_ip, want->host_ip) != 0
          || p.container_port != want->container_port || p.container_port_end != want->container_port_end
          || p.host_port != p.host_port_end || p.host_port < lo || p.host_port > hi)
        continue;
      return p.host_port;
    }
  return 0;
}

static int
choose_one (const struct cc_net_endpoint *ep, const cJSON *self, struct cc_net_port *p, struct taken_list *t,
            cc_error_t *err)
{
  uint32_t addr = address_of (p);
  unsigned lo, hi, port;

  cc_hostport_candidates (p, &lo, &hi);
  port = previous_choice (self, p, lo, hi);
  if (port == 0 || is_taken (p->proto, addr, port, t->v, t->n))
    port = cc_hostport_pick (p->proto, addr, lo, hi, t->v, t->n);
  if (port == 0)
    return cc_error_make (err, EADDRINUSE, "service `%s`: no free host port in %s:%u-%u/%s for container port %u",
                          ep->service && *ep->service ? ep->service : ep->container,
                          p->host_ip[0] ? p->host_ip : "0.0.0.0", lo, hi, p->proto == CC_NET_UDP ? "udp" : "tcp",
                          p->container_port);
  p->host_port = p->host_port_end = (uint16_t)port;
  taken_add (t, p->proto, addr, port, port);
  return 0;
}

int
cc_hostport_choose (const cJSON *root, const cJSON *self, const struct cc_net_endpoint *ep, struct cc_net_port *out,
                    cc_error_t *err)
{
  cleanup_taken_list struct taken_list t = { 0 };
  cleanup_free struct cc_port_range *ranges = xzalloc ((ep->n_ports + 1) * sizeof (*ranges));
  size_t n_ranges = 0;

  if (ep->n_ports == 0)
    return 0;
  memcpy (out, ep->ports, ep->n_ports * sizeof (*out));
  for (size_t i = 0; i < ep->n_ports; i++)
    if (cc_net_port_is_chosen (&out[i]))
      {
        unsigned lo, hi;
        cc_hostport_candidates (&out[i], &lo, &hi);
        ranges[n_ranges++] = (struct cc_port_range){ (uint16_t)lo, (uint16_t)hi };
      }
  /* Nothing to choose: no inventory to take (the common case costs nothing).  */
  if (n_ranges == 0)
    return 0;
  if (taken_by_members (root, self, &t, err) < 0 || taken_by_listeners (ranges, n_ranges, &t, err) < 0
      || taken_by_other_roots (&t, err) < 0)
    return -1;
  /* Fixed ports of this endpoint are its own: no choice may land on one.  */
  for (size_t i = 0; i < ep->n_ports; i++)
    if (! cc_net_port_is_chosen (&out[i]))
      taken_add (&t, out[i].proto, address_of (&out[i]), out[i].host_port, out[i].host_port_end);
  for (size_t i = 0; i < ep->n_ports; i++)
    if (cc_net_port_is_chosen (&out[i]) && choose_one (ep, self, &out[i], &t, err) < 0)
      return -1;
  return 0;
}
