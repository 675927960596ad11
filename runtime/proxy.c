/* The container's ports published on ::1, relayed by its monitor (issue
   17).  A DNAT from ::1 would send the container packets from ::1, which
   the kernel drops off lo (IPv6 has no route_localnet), so Docker serves
   such ports with docker-proxy, a userland relay; here the monitor is
   that relay.  It also relays the IPv4 host ports of a container with
   no IPv4 address (an `enable_ipv4: false` network, issue 15) to its
   IPv6 one, as docker-proxy does.  It lives in the host's network
   namespace as long as the container does, restarts included, and its
   sockets close with it.

   The relay connects to the container's own address, never to its
   loopback: a service listening on 127.0.0.1 inside stays unreachable,
   as under Docker.  The address is looked up in the container's network
   namespace for each connection: the namespace outlives restarts, and
   the network attaches it while the monitor already runs.

   The container and the client are both untrusted: every socket is
   non-blocking and close-on-exec (the container is cloned without
   them), each direction of a connection buffers at most CC_PROXY_BUF
   bytes and is read only once its buffer is written out, and at most
   CC_PROXY_MAX_CONNS connections are open (the kernel's backlog holds
   the next ones).  A peer that never reads, or one that floods, costs
   bounded memory and never holds up the monitor's other work.  */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

enum
{
  LISTEN_BACKLOG = 128,
};

void
cc_proxy_init (struct cc_proxy *x)
{
  memset (x, 0, sizeof (*x));
  for (size_t i = 0; i < CC_PROXY_MAX_CONNS; i++)
    x->conns[i].client = x->conns[i].upstream = -1;
}

/* "HOST:CONTAINER" on ::1, or "ADDRESS:HOST:CONTAINER" on an IPv4
   address: the IPv4 host ports of a container with no IPv4 address
   (issue 15), relayed to its IPv6 one as docker-proxy relays them.  */
static int
parse_pair (const char *text, struct sockaddr_storage *at, unsigned *port, unsigned *target, cc_error_t *err)
{
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)at;
  struct sockaddr_in *v4 = (struct sockaddr_in *)at;
  const char *last = strrchr (text, ':'), *pair = text;
  char end, addr[INET_ADDRSTRLEN];

  memset (at, 0, sizeof (*at));
  v6->sin6_family = AF_INET6;
  v6->sin6_addr = in6addr_loopback;
  if (last && last != text && memchr (text, ':', (size_t)(last - text)) != NULL)
    {
      pair = (const char *)memrchr (text, ':', (size_t)(last - text)) + 1;
      if ((size_t)(pair - 1 - text) >= sizeof (addr))
        return cc_error_make (err, EINVAL, "relayed port `%s`: invalid address", text);
      memcpy (addr, text, (size_t)(pair - 1 - text));
      addr[pair - 1 - text] = '\0';
      memset (at, 0, sizeof (*at));
      v4->sin_family = AF_INET;
      if (inet_pton (AF_INET, addr, &v4->sin_addr) != 1)
        return cc_error_make (err, EINVAL, "relayed port `%s`: invalid address", text);
    }
  if (sscanf (pair, "%u:%u%c", port, target, &end) != 2 || *port == 0 || *port > 65535 || *target == 0
      || *target > 65535)
    return cc_error_make (err, EINVAL, "loopback port `%s` is not [ADDRESS:]HOST:CONTAINER", text);
  if (v4->sin_family == AF_INET)
    v4->sin_port = htons ((uint16_t)*port);
  else
    v6->sin6_port = htons ((uint16_t)*port);
  return 0;
}

/* "[::1]:8080" or "0.0.0.0:8080", for errors.  */
static char *
address_text (const struct sockaddr_storage *at, unsigned port)
{
  char buf[INET6_ADDRSTRLEN];

  if (at->ss_family == AF_INET)
    return xasprintf ("%s:%u", inet_ntop (AF_INET, &((const struct sockaddr_in *)at)->sin_addr, buf, sizeof (buf)),
                      port);
  return xasprintf ("[::1]:%u", port);
}

/* SO_REUSEPORT: replicas behind one published port (issue 16) each have
   a monitor listening on it, and the kernel spreads connections among
   them.  Only sockets of the same user may join: another program's
   socket on the port still makes the bind fail.  */
static int
listen_on (const struct sockaddr_storage *at, unsigned port, cc_error_t *err)
{
  bool v6 = at->ss_family == AF_INET6;
  cleanup_close int fd = socket (at->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  cleanup_free char *text = address_text (at, port);
  int one = 1;

  if (fd < 0)
    return cc_error_make (err, errno, "socket for host port %s/tcp", text);
  if ((v6 && setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof (one)) < 0)
      || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one)) < 0
      || setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof (one)) < 0)
    return cc_error_make (err, errno, "socket options for host port %s/tcp", text);
  if (bind (fd, (const struct sockaddr *)at, v6 ? sizeof (struct sockaddr_in6) : sizeof (struct sockaddr_in)) < 0)
    return cc_error_make (err, errno, "host port %s/tcp", text);
  if (listen (fd, LISTEN_BACKLOG) < 0)
    return cc_error_make (err, errno, "listen on host port %s/tcp", text);
  return get_and_reset (&fd);
}

int
cc_proxy_listen (struct cc_proxy *x, char *const *ports, cc_error_t *err)
{
  for (char *const *p = ports; p && *p; p++)
    {
      struct cc_proxy_listener l = { -1, 0, 0 };
      struct sockaddr_storage at;

      if (parse_pair (*p, &at, &l.port, &l.target, err) < 0 || (l.fd = listen_on (&at, l.port, err)) < 0)
        return -1;
      x->listeners = xreallocarray (x->listeners, x->n_listeners + 1, sizeof (*x->listeners));
      x->listeners[x->n_listeners++] = l;
    }
  return 0;
}

/* ---- the container's address ------------------------------------------ */

struct candidate
{
  struct sockaddr_storage sa;
  unsigned ifindex;
  bool found;
};

static bool
is_usable (const struct sockaddr *a)
{
  const struct in6_addr *a6 = &((const struct sockaddr_in6 *)a)->sin6_addr;

  if (a->sa_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr != htonl (INADDR_LOOPBACK);
  return a->sa_family == AF_INET6 && ! IN6_IS_ADDR_LOOPBACK (a6) && ! IN6_IS_ADDR_LINKLOCAL (a6);
}

/* IPv4 first, as docker-proxy prefers; then the interface attached first
   (the lowest index), where the network publishes the ports
   (engine/ops.c gives them to the first network).  */
static void
consider (struct candidate *best, const struct ifaddrs *ifa)
{
  unsigned index = if_nametoindex (ifa->ifa_name);
  bool v4 = ifa->ifa_addr->sa_family == AF_INET;
  bool best_v4 = best->found && best->sa.ss_family == AF_INET;

  if ((ifa->ifa_flags & IFF_LOOPBACK) || ! is_usable (ifa->ifa_addr))
    return;
  if (best->found && (best_v4 && ! v4))
    return;
  if (best->found && best_v4 == v4 && best->ifindex <= index)
    return;
  memset (&best->sa, 0, sizeof (best->sa));
  memcpy (&best->sa, ifa->ifa_addr, v4 ? sizeof (struct sockaddr_in) : sizeof (struct sockaddr_in6));
  best->ifindex = index;
  best->found = true;
}

static void
free_ifaddrs (struct ifaddrs **p)
{
  if (*p)
    freeifaddrs (*p);
}

/* The monitor is single-threaded: it enters the container's namespace
   for the lookup and comes back before anything else runs.  Sockets
   keep the namespace they were made in, so the listeners stay on the
   host's side.  */
static int
container_address (int netns_fd, unsigned port, struct sockaddr_storage *out)
{
  cleanup_close int self = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  __attribute__ ((cleanup (free_ifaddrs))) struct ifaddrs *list = NULL;
  struct candidate best = { .found = false };
  int ret;

  if (self < 0 || netns_fd < 0 || setns (netns_fd, CLONE_NEWNET) < 0)
    return -1;
  ret = getifaddrs (&list);
  for (const struct ifaddrs *ifa = ret == 0 ? list : NULL; ifa; ifa = ifa->ifa_next)
    if (ifa->ifa_addr)
      consider (&best, ifa);
  /* Staying in the container's namespace would connect everything
     after from inside it: nothing may run before this is undone.  */
  if (setns (self, CLONE_NEWNET) < 0)
    abort ();
  if (! best.found)
    return -1;
  *out = best.sa;
  if (out->ss_family == AF_INET)
    ((struct sockaddr_in *)out)->sin_port = htons ((uint16_t)port);
  else
    ((struct sockaddr_in6 *)out)->sin6_port = htons ((uint16_t)port);
  return 0;
}

/* ---- connections ------------------------------------------------------- */

static bool
is_empty (const struct cc_proxy_half *h)
{
  return h->start == h->end;
}

static bool
wants_read (const struct cc_proxy_half *h)
{
  return ! h->eof && is_empty (h);
}

static bool
wants_write (const struct cc_proxy_half *h)
{
  return ! is_empty (h);
}

static void
half_release (struct cc_proxy_half *h)
{
  free (h->buf);
  *h = (struct cc_proxy_half){ NULL, 0, 0, false, false };
}

static void
conn_close (struct cc_proxy *x, struct cc_proxy_conn *c)
{
  if (c->client >= 0)
    close (get_and_reset (&c->client));
  if (c->upstream >= 0)
    close (get_and_reset (&c->upstream));
  half_release (&c->to_upstream);
  half_release (&c->to_client);
  c->connecting = false;
  x->n_open--;
}

static struct cc_proxy_conn *
free_slot (struct cc_proxy *x)
{
  for (size_t i = 0; i < CC_PROXY_MAX_CONNS; i++)
    if (x->conns[i].client < 0)
      return &x->conns[i];
  return NULL;
}

static int
connect_upstream (const struct cc_proxy_listener *l, int netns_fd, bool *connecting)
{
  struct sockaddr_storage sa;
  cleanup_close int fd = -1;

  if (container_address (netns_fd, l->target, &sa) < 0)
    return -1;
  fd = socket (sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  *connecting = connect (fd, (struct sockaddr *)&sa, sizeof (sa)) < 0;
  if (*connecting && errno != EINPROGRESS)
    return -1;
  return get_and_reset (&fd);
}

/* One new connection of listener L, if a slot is free; a container with
   no address (stopped, between restarts) refuses it.  */
static void
accept_one (struct cc_proxy *x, const struct cc_proxy_listener *l, int netns_fd)
{
  struct cc_proxy_conn *c = free_slot (x);
  cleanup_close int client = -1;
  int upstream;

  if (c == NULL)
    return;
  client = accept4 (l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (client < 0)
    return;
  upstream = connect_upstream (l, netns_fd, &c->connecting);
  if (upstream < 0)
    return;
  c->client = get_and_reset (&client);
  c->upstream = upstream;
  c->to_upstream.buf = xmalloc (CC_PROXY_BUF);
  c->to_client.buf = xmalloc (CC_PROXY_BUF);
  x->n_open++;
}

/* Whether the transfer failed for good (the connection goes).  */
static bool
read_some (struct cc_proxy_half *h, int fd)
{
  ssize_t n = recv (fd, h->buf, CC_PROXY_BUF, 0);

  if (n > 0)
    {
      h->start = 0;
      h->end = (size_t)n;
    }
  else if (n == 0)
    h->eof = true;
  return n < 0 && errno != EAGAIN && errno != EINTR;
}

static bool
write_some (struct cc_proxy_half *h, int fd)
{
  ssize_t n = send (fd, h->buf + h->start, h->end - h->start, MSG_NOSIGNAL);

  if (n > 0)
    h->start += (size_t)n;
  if (is_empty (h))
    h->start = h->end = 0;
  return n < 0 && errno != EAGAIN && errno != EINTR;
}

/* A source that ended, once what it sent is delivered: the other side
   sees EOF but may still answer (a half-close, as HTTP/1.0 clients do).  */
static void
forward_eof (struct cc_proxy_half *h, int fd)
{
  if (h->eof && is_empty (h) && ! h->shut)
    {
      shutdown (fd, SHUT_WR);
      h->shut = true;
    }
}

static bool
finish_connect (struct cc_proxy_conn *c)
{
  int e = 0;
  socklen_t len = sizeof (e);

  c->connecting = false;
  return getsockopt (c->upstream, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e != 0;
}

/* A descriptor we asked nothing of reports only POLLERR or POLLHUP:
   its peer is gone for good.  */
static bool
is_dead (short revents, short events)
{
  return events == 0 && (revents & (POLLERR | POLLHUP));
}

static short
client_events (const struct cc_proxy_conn *c)
{
  return (short)((! c->connecting && wants_read (&c->to_upstream) ? POLLIN : 0)
                 | (wants_write (&c->to_client) ? POLLOUT : 0));
}

static short
upstream_events (const struct cc_proxy_conn *c)
{
  if (c->connecting)
    return POLLOUT;
  return (short)((wants_read (&c->to_client) ? POLLIN : 0) | (wants_write (&c->to_upstream) ? POLLOUT : 0));
}

/* A side whose reading half already ended has nothing more to tell
   unless asked: not polled, or its hangup would wake us forever.  */
static struct pollfd
entry (int fd, short events, const struct cc_proxy_half *from)
{
  return (struct pollfd){ events == 0 && from->eof ? -1 : fd, events, 0 };
}

void
cc_proxy_poll_fds (const struct cc_proxy *x, struct pollfd *p)
{
  bool room = x->n_open < CC_PROXY_MAX_CONNS;

  for (size_t i = 0; i < x->n_listeners; i++)
    p[i] = (struct pollfd){ room ? x->listeners[i].fd : -1, POLLIN, 0 };
  p += x->n_listeners;
  for (size_t i = 0; i < CC_PROXY_MAX_CONNS; i++)
    {
      const struct cc_proxy_conn *c = &x->conns[i];
      bool open = c->client >= 0;

      p[2 * i] = open ? entry (c->client, client_events (c), &c->to_upstream) : (struct pollfd){ -1, 0, 0 };
      p[2 * i + 1] = open ? entry (c->upstream, upstream_events (c), &c->to_client) : (struct pollfd){ -1, 0, 0 };
    }
}

/* One connection's turn, PC and PU its client's and upstream's entries
   as cc_proxy_poll_fds made them: whether it failed.  */
static bool
serve (struct cc_proxy_conn *c, const struct pollfd *pc, const struct pollfd *pu)
{
  if (pc->fd < 0 && pu->fd < 0)
    return false;
  if (is_dead (pc->revents, pc->events) || is_dead (pu->revents, pu->events))
    return true;
  if (c->connecting)
    return pu->revents && finish_connect (c);
  if ((pc->revents & ~POLLOUT) && wants_read (&c->to_upstream) && read_some (&c->to_upstream, c->client))
    return true;
  if ((pu->revents & ~POLLOUT) && wants_read (&c->to_client) && read_some (&c->to_client, c->upstream))
    return true;
  if (pu->revents && wants_write (&c->to_upstream) && write_some (&c->to_upstream, c->upstream))
    return true;
  if (pc->revents && wants_write (&c->to_client) && write_some (&c->to_client, c->client))
    return true;
  forward_eof (&c->to_upstream, c->upstream);
  forward_eof (&c->to_client, c->client);
  return false;
}

static bool
is_finished (const struct cc_proxy_conn *c)
{
  return c->to_upstream.shut && c->to_client.shut;
}

void
cc_proxy_dispatch (struct cc_proxy *x, const struct pollfd *p, int netns_fd)
{
  const struct pollfd *pc = p + x->n_listeners;

  for (size_t i = 0; i < CC_PROXY_MAX_CONNS; i++)
    {
      struct cc_proxy_conn *c = &x->conns[i];

      if (c->client >= 0 && (serve (c, &pc[2 * i], &pc[2 * i + 1]) || is_finished (c)))
        conn_close (x, c);
    }
  for (size_t i = 0; i < x->n_listeners; i++)
    if (p[i].fd >= 0 && p[i].revents)
      accept_one (x, &x->listeners[i], netns_fd);
}

void
cc_proxy_close (struct cc_proxy *x)
{
  for (size_t i = 0; i < CC_PROXY_MAX_CONNS; i++)
    if (x->conns[i].client >= 0)
      conn_close (x, &x->conns[i]);
  for (size_t i = 0; i < x->n_listeners; i++)
    close (x->listeners[i].fd);
  free (x->listeners);
  x->listeners = NULL;
  x->n_listeners = 0;
}
