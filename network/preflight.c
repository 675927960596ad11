/* Port preflight: before anything is created, every requested host port
   is checked against the sockets listening in this namespace and the DNAT
   rules of every ccompose project, and a conflict names its holder
   ("process nginx (pid 42)", "project shop service api") instead of the
   classic "port is already allocated" after half the stack started.  */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/diag.h"
#include "network/firewall.h"
#include "network/ipam.h"
#include "network/netimpl.h"
#include "network/network.h"
#include "network/state.h"

/* How far above a taken range free_port_after looks for a hint.  */
#define HINT_WINDOW 100u

static bool
is_number (const char *s)
{
  for (; *s; s++)
    if (! isdigit ((unsigned char)*s))
      return false;
  return true;
}

static bool
process_has_socket (const char *pid, const char *want)
{
  cleanup_free char *fddir = xasprintf ("/proc/%s/fd", pid);
  cleanup_dir DIR *d = opendir (fddir);
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    {
      char link[64];
      cleanup_free char *p = xasprintf ("%s/%s", fddir, de->d_name);
      ssize_t len = readlink (p, link, sizeof (link) - 1);

      if (len <= 0)
        continue;
      link[len] = '\0';
      if (strcmp (link, want) == 0)
        return true;
    }
  return false;
}

/* inode -> /proc/PID/fd -> pid and comm.  */
static char *
socket_holder (unsigned long inode)
{
  cleanup_dir DIR *proc = opendir ("/proc");
  cleanup_free char *want = xasprintf ("socket:[%lu]", inode);
  struct dirent *de;

  while (proc && (de = readdir (proc)) != NULL)
    {
      cleanup_free char *comm_path = NULL;
      cleanup_free char *comm = NULL;
      size_t len = 0;

      if (! is_number (de->d_name) || ! process_has_socket (de->d_name, want))
        continue;
      comm_path = xasprintf ("/proc/%s/comm", de->d_name);
      if (cc_read_file (comm_path, &comm, &len, NULL) < 0)
        return xasprintf ("process %s", de->d_name);
      while (len > 0 && comm[len - 1] == '\n')
        comm[--len] = '\0';
      return xasprintf ("process %s (pid %s)", comm, de->d_name);
    }
  return xasprintf ("a socket no process here owns (inode %lu)", inode);
}

static bool
addresses_meet (uint32_t a, uint32_t b)
{
  return a == 0 || b == 0 || a == b;
}

static bool
ranges_meet (unsigned lo1, unsigned hi1, unsigned lo2, unsigned hi2)
{
  return lo1 <= hi2 && lo2 <= hi1;
}

static uint32_t
host_address (const struct cc_net_port *p)
{
  uint32_t a = 0;

  if (p->host_ip[0])
    cc_ipv4_parse (p->host_ip, &a);
  return a;
}

/* "project X service Y" out of "ccompose@tag project X service Y container Z".  */
static char *
dnat_owner (const char *comment)
{
  const char *p = strstr (comment, " project ");
  const char *c = strstr (comment, " container ");

  if (p == NULL)
    return xasprintf ("a ccompose rule `%s`", comment);
  return xstrndup (p + 1, c && c > p ? (size_t)(c - p - 1) : strlen (p + 1));
}

static bool
is_own (const char *owner, const char *project, const char *service)
{
  cleanup_free char *mine = xasprintf ("project %s service %s", project, service && *service ? service : "-");

  return strcmp (owner, mine) == 0;
}

struct inventory
{
  struct cc_listener *listeners;
  size_t n_listeners;
  struct cc_fw_dnat *dnat;
  size_t n_dnat;
  cJSON *state; /* the network state, read without its lock; may be NULL */
};

static void
inventory_release (struct inventory *inv)
{
  free (inv->listeners);
  cc_fw_dnat_free (inv->dnat, inv->n_dnat);
  cJSON_Delete (inv->state);
}

/* A state that cannot be read only loses relayed_by_own's exemption.  */
static void
read_state (struct inventory *inv)
{
  cleanup_free char *path = cc_net_state_file ();

  if (cc_file_exists (path))
    cc_json_load_file (path, &inv->state, NULL);
}

/* Issue 15: an IPv4 host port of PROJECT/SERVICE's containers that have
   no IPv4 address is their monitors' relay socket (runtime/proxy.c):
   theirs, not another holder's, as their DNATs are.  */
static bool
relayed_by_own (const struct inventory *inv, const struct cc_net_port *p, unsigned port, const char *project,
                const char *service)
{
  for (const cJSON *net = cc_net_first (inv->state, "networks"); net; net = net->next)
    for (const cJSON *m = cc_net_first (net, "members"); m; m = m->next)
      {
        if (cc_json_get_string (m, "ip") || strcmp (cc_net_member_project (net, m) ?: "", project) != 0
            || strcmp (cc_json_get_string (m, "service") ?: "", service ?: "") != 0)
          continue;
        for (const cJSON *pj = cc_net_first (m, "ports"); pj; pj = pj->next)
          {
            struct cc_net_port q;
            if (cc_net_port_from_json (pj, &q, NULL) == 0 && q.proto == p->proto && q.host_port <= port
                && port <= q.host_port_end)
              return true;
          }
      }
  return false;
}

/* The holder of host port PORT for P's protocol and address, or NULL.  */
static char *
holder_of (const struct inventory *inv, const struct cc_net_port *p, unsigned lo, unsigned hi, const char *project,
           const char *service)
{
  uint32_t addr = host_address (p);
  int proto = p->proto == CC_NET_UDP ? IPPROTO_UDP : IPPROTO_TCP;

  for (size_t i = 0; i < inv->n_listeners; i++)
    {
      const struct cc_listener *l = &inv->listeners[i];

      if (l->proto == p->proto && ranges_meet (lo, hi, l->port, l->port) && addresses_meet (addr, l->addr)
          && ! relayed_by_own (inv, p, l->port, project, service))
        return socket_holder (l->inode);
    }
  for (size_t i = 0; i < inv->n_dnat; i++)
    {
      const struct cc_fw_dnat *d = &inv->dnat[i];
      cleanup_free char *owner = NULL;

      if (d->proto != proto || ! ranges_meet (lo, hi, d->port_lo, d->port_hi) || ! cc_fw_dnat_meets (d, p->host_ip))
        continue;
      owner = dnat_owner (d->comment);
      if (! is_own (owner, project, service))
        return steal_pointer (&owner);
    }
  return NULL;
}

/* The first port above P's range that nobody holds, as a hint.  */
static unsigned
free_port_after (const struct inventory *inv, const struct cc_net_port *p, const char *project, const char *service)
{
  for (unsigned port = p->host_port_end + 1u; port <= 65535u && port <= p->host_port_end + HINT_WINDOW; port++)
    {
      cleanup_free char *h = holder_of (inv, p, port, port, project, service);
      if (h == NULL)
        return port;
    }
  return 0;
}

/* "0.0.0.0", "[::]" or the address: Docker's spelling of a host address.  */
static char *
host_text (const struct cc_net_port *p)
{
  if (p->host_ip[0] == '\0')
    return xstrdup ("0.0.0.0");
  return xasprintf (strchr (p->host_ip, ':') ? "[%s]" : "%s", p->host_ip);
}

static int
conflict (const struct inventory *inv, const struct cc_net_port *p, const char *holder, const char *project,
          const char *service, cc_error_t *err)
{
  unsigned hint = free_port_after (inv, p, project, service);
  const char *proto = p->proto == CC_NET_UDP ? "udp" : "tcp";
  cleanup_free char *hint_s = hint ? xasprintf (" (port %u is free)", hint) : xstrdup ("");
  cleanup_free char *host = host_text (p);

  return cc_error_make (err, EADDRINUSE, "host port %s:%u/%s is already used by %s%s", host, p->host_port, proto,
                        holder, hint_s);
}

/* Two choices, or a choice and a fixed port, may share a range: the
   attach makes them differ.  */
static int
check_duplicates (const struct cc_net_port *ports, size_t n, cc_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (! cc_net_port_is_chosen (&ports[i]) && ! cc_net_port_is_chosen (&ports[j]) && ports[i].proto == ports[j].proto
          && ranges_meet (ports[i].host_port, ports[i].host_port_end, ports[j].host_port, ports[j].host_port_end)
          && addresses_meet (host_address (&ports[i]), host_address (&ports[j])))
        return cc_error_make (err, EADDRINUSE, "host port %u/%s is requested twice", ports[j].host_port,
                              ports[j].proto == CC_NET_UDP ? "udp" : "tcp");
  return 0;
}

/* Every requested range with the window its hint may search, so that the
   kernel hands over only the sockets these checks can meet.  */
static int
list_listeners (const struct cc_net_port *ports, size_t n, struct inventory *inv, cc_error_t *err)
{
  cleanup_free struct cc_port_range *ranges = xreallocarray (NULL, n, sizeof (*ranges));

  for (size_t i = 0; i < n; i++)
    {
      unsigned hi = ports[i].host_port_end + HINT_WINDOW;

      ranges[i] = (struct cc_port_range){ ports[i].host_port, (uint16_t)(hi > 65535u ? 65535u : hi) };
    }
  return cc_diag_listeners (ranges, n, &inv->listeners, &inv->n_listeners, err);
}

/* A range to choose from needs one port nobody holds.  */
static int
check_choice (const struct inventory *inv, const struct cc_net_port *p, const char *project, const char *service,
              cc_error_t *err)
{
  cleanup_free char *first = NULL, *host = host_text (p);

  for (unsigned port = p->host_port; port <= p->host_port_end; port++)
    {
      cleanup_free char *h = holder_of (inv, p, port, port, project, service);
      if (h == NULL)
        return 0;
      if (first == NULL)
        first = steal_pointer (&h);
    }
  return cc_error_make (err, EADDRINUSE, "no free host port in %s:%u-%u/%s for container port %u (%u is used by %s)",
                        host, p->host_port, p->host_port_end, p->proto == CC_NET_UDP ? "udp" : "tcp", p->container_port,
                        p->host_port, first);
}

static int
check_port (const struct inventory *inv, const struct cc_net_port *p, const char *project, const char *service,
            cc_error_t *err)
{
  cleanup_free char *h = NULL;

  /* Host port 0 takes any port of the ephemeral range: one is free.  */
  if (p->host_port == 0)
    return 0;
  if (cc_net_port_is_chosen (p))
    return check_choice (inv, p, project, service, err);
  h = holder_of (inv, p, p->host_port, p->host_port_end, project, service);
  return h ? conflict (inv, p, h, project, service, err) : 0;
}

int
cc_network_preflight (const char *project, const char *service, const struct cc_net_port *ports, size_t n,
                      cc_error_t *err)
{
  struct inventory inv = { 0 };
  const struct cc_firewall_ops *ops;
  int ret = 0;

  if (n == 0)
    return 0;
  if (check_duplicates (ports, n, err) < 0)
    return -1;
  if ((ops = cc_firewall (err)) == NULL || ops->list_dnat (&inv.dnat, &inv.n_dnat, err) < 0)
    return -1;
  read_state (&inv);
  if (list_listeners (ports, n, &inv, err) < 0)
    {
      inventory_release (&inv);
      return -1;
    }
  for (size_t i = 0; i < n && ret == 0; i++)
    ret = check_port (&inv, &ports[i], project, service, err);
  inventory_release (&inv);
  return ret;
}
