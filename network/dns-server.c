/* The responder (dns.h): one process per project, `ccompose-dns
   PROJECT` in ps, run from the helper program the monitor runs
   (runtime/monitor/main.c) and started by the engine
   (cc_network_dns_ensure).

   It holds, in each network namespace of the project's containers, a
   UDP and a TCP socket on 127.0.0.11:53, made by entering the namespace
   for the moment of the socket() call.  It answers the names of the
   networks the asking container is on (dns-records.c), at query time
   leaving out containers that are not running or, with a healthcheck,
   not healthy, and forwards the rest: to the container's `dns:` servers
   from the container's own namespace, or to the host's nameservers from
   the namespace the responder runs in (as Docker's resolver does, and
   only when the container is on a network that is not internal).  A
   forwarded query goes out on a socket of its own (a random source
   port), under an ID of ours, and only a reply to its question is
   passed back.

   Everything a container sends is hostile: messages are bounded
   (dns-msg.c), malformed or oversized ones are dropped and counted,
   each namespace has a share of the forwarded queries and TCP
   connections in flight, and nothing a container sends chooses where a
   query goes.

   Control: a SEQPACKET socket, network/dns/<project>.sock under the
   state root.  "sync": read the network state again, open and close
   namespaces' sockets, reply "ok" once done (several syncs that arrive
   together share one reload).  "stats": the counters as JSON.  */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/proc.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/dns.h"
#include "network/network.h"

enum
{
  MAX_PENDING = 1024,
  MAX_PENDING_PER_NS = 64,
  MAX_CONNS = 256,
  MAX_CONNS_PER_NS = 16,
  MAX_ANSWERS = 256,
  UPSTREAM_TIMEOUT_MS = 2000,
  TCP_IDLE_MS = 10000,
  /* Datagrams read from one socket per wakeup: one flooding namespace
     cannot keep the others waiting.  */
  BURST = 32,
  HEALTH_RECHECK_MS = 1000,
  SELF_CHECK_MS = 5000,
  MAX_UPSTREAMS = 3,
};

enum watch_kind
{
  W_SIGNAL,
  W_CONTROL,
  W_CONTROL_CLIENT,
  W_UDP,
  W_TCP_LISTEN,
  W_CONN,
  W_UPSTREAM,
};

struct watch
{
  enum watch_kind kind;
  void *obj;
  int fd;
};

struct listener
{
  char *netns;
  ino_t ns_ino;
  int nsfd;
  struct watch udp, tcp;
  unsigned pending, conns;
  struct listener *next;
};

struct conn
{
  struct listener *l;
  struct watch w;
  uint8_t in[2 + CC_DNS_MAX_QUERY];
  size_t in_len;
  uint8_t *out;
  size_t out_len, out_off;
  bool waiting; /* a forwarded query in flight */
  int64_t deadline;
  struct conn *next;
};

struct pending
{
  struct listener *l;
  struct conn *conn; /* the TCP client, or NULL: UDP to CLIENT */
  struct sockaddr_in client;
  struct cc_dns_query q;
  uint8_t *query; /* the client's message, under our ID */
  size_t len;
  uint16_t id;
  struct cc_dns_upstream servers[MAX_UPSTREAMS];
  bool in_container; /* the servers are reached from the container's namespace */
  size_t n_servers, next_server;
  struct watch w; /* the upstream socket of the attempt under way */
  bool tcp;
  uint8_t *reply; /* TCP: the reply being read */
  size_t reply_len, reply_want, sent;
  int64_t deadline;
  struct pending *next;
};

struct health
{
  char *container, *path;
  dev_t dev;
  ino_t ino;
  struct timespec mtime;
  off_t size;
  int64_t checked;
  bool ok;
};

struct stats
{
  uint64_t queries, answered, forwarded, nxdomain, servfail, refused, dropped_malformed, dropped_oversized,
      tcp_connections, upstream_timeouts, mismatched_replies;
};

struct server
{
  const char *project;
  const struct cc_net_dns_liveness *live;
  int epfd, self_ns, lock_fd;
  struct watch sig, control;
  struct cc_dns_table *table;
  struct listener *listeners;
  struct conn *conns;
  struct pending *pending;
  unsigned n_pending, n_conns;
  struct health *health;
  size_t n_health;
  int *waiting_sync; /* control clients to answer after this round's reload */
  size_t n_waiting;
  bool reload, done;
  char **errors; /* of the last reload, for the sync's reply */
  uint64_t rotate;
  int64_t next_self_check;
  struct stats st;
  uint8_t buf[65536];
};

static int64_t
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
watch_add (struct server *s, struct watch *w, enum watch_kind kind, void *obj, int fd, uint32_t events)
{
  struct epoll_event ev = { .events = events, .data.ptr = w };

  w->kind = kind;
  w->obj = obj;
  w->fd = fd;
  if (fd >= 0)
    epoll_ctl (s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void
watch_mod (struct server *s, struct watch *w, uint32_t events)
{
  struct epoll_event ev = { .events = events, .data.ptr = w };

  epoll_ctl (s->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

static void
watch_close (struct watch *w)
{
  /* close() takes the descriptor out of the epoll set too.  */
  if (w->fd >= 0)
    close (w->fd);
  w->fd = -1;
}

/* ---- who may be answered with ------------------------------------------- */

static struct health *
health_of (struct server *s, const char *container)
{
  for (size_t i = 0; i < s->n_health; i++)
    if (strcmp (s->health[i].container, container) == 0)
      return &s->health[i];
  s->health = xreallocarray (s->health, s->n_health + 1, sizeof (*s->health));
  s->health[s->n_health]
      = (struct health){ .container = xstrdup (container), .path = s->live->state_path (container), .checked = -1 };
  return &s->health[s->n_health++];
}

/* Running, and healthy when it has a healthcheck: asked again when its
   state file changed (the monitor renames a new one in at each probe
   and status change) or a second went by (a monitor that died changes
   nothing on disk).  */
static bool
is_eligible (const char *container, void *data)
{
  struct server *s = data;
  struct health *h = health_of (s, container);
  int64_t now = now_ms ();
  struct stat st = { 0 };
  bool same;

  /* No state file: an endpoint the low-level tools made without a
     container, or one whose runtime record is not written yet; the
     liveness callback decides.  */
  if (stat (h->path, &st) < 0)
    memset (&st, 0, sizeof (st));
  same = h->checked >= 0 && st.st_dev == h->dev && st.st_ino == h->ino && st.st_size == h->size
         && st.st_mtim.tv_sec == h->mtime.tv_sec && st.st_mtim.tv_nsec == h->mtime.tv_nsec;
  if (same && now - h->checked < HEALTH_RECHECK_MS)
    return h->ok;
  h->ok = s->live->eligible (container);
  h->checked = now;
  h->dev = st.st_dev;
  h->ino = st.st_ino;
  h->size = st.st_size;
  h->mtime = st.st_mtim;
  return h->ok;
}

/* ---- sockets in a container's namespace ---------------------------------- */

/* Back to where the responder lives; staying in a container's
   namespace would send host queries from inside it.  */
static void
leave_namespace (struct server *s)
{
  if (setns (s->self_ns, CLONE_NEWNET) < 0)
    {
      /* Nothing else is safe to do from a namespace we cannot leave.  */
      _exit (3);
    }
}

/* A socket of TYPE made in NSFD's namespace, or -1 with errno.  */
static int
socket_in (struct server *s, int nsfd, int type)
{
  int fd, e;

  if (nsfd >= 0 && setns (nsfd, CLONE_NEWNET) < 0)
    return -1;
  fd = socket (AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  e = errno;
  if (nsfd >= 0)
    leave_namespace (s);
  errno = e;
  return fd;
}

/* SO_REUSEADDR: a DNS server of the container's own that sets it too
   (dnsmasq does) can still bind the wildcard address on port 53; the
   kernel gives 127.0.0.11 to the socket bound to it exactly.  One that
   does not, or a TCP listener on the wildcard address, finds the port
   taken (Docker's resolver, on a random port behind DNAT, leaves it
   free).  */
static int
bind_dns (int fd)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (CC_DNS_PORT) };
  int one = 1;

  a.sin_addr.s_addr = htonl (CC_DNS_ADDR_HOST);
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  return bind (fd, (struct sockaddr *)&a, sizeof (a));
}

/* "WHAT `NETNS`: strerror" for the sync's reply.  */
static void
note_error (struct server *s, const char *what, const char *netns)
{
  cc_strv_push (&s->errors, xasprintf ("%s `%s`: %s", what, netns, strerror (errno)));
}

static struct listener *
listener_open (struct server *s, const char *netns)
{
  struct listener *l = xzalloc (sizeof (*l));
  struct stat st;
  int udp, tcp;

  l->udp.fd = l->tcp.fd = -1;
  l->netns = xstrdup (netns);
  l->nsfd = open (netns, O_RDONLY | O_CLOEXEC);
  if (l->nsfd < 0 || fstat (l->nsfd, &st) < 0)
    {
      note_error (s, "open network namespace", netns);
      goto fail;
    }
  l->ns_ino = st.st_ino;
  udp = socket_in (s, l->nsfd, SOCK_DGRAM);
  tcp = socket_in (s, l->nsfd, SOCK_STREAM);
  watch_add (s, &l->udp, W_UDP, l, udp, EPOLLIN);
  watch_add (s, &l->tcp, W_TCP_LISTEN, l, tcp, EPOLLIN);
  if (udp < 0 || tcp < 0 || bind_dns (udp) < 0 || bind_dns (tcp) < 0 || listen (tcp, 64) < 0)
    {
      note_error (s, "listen on " CC_DNS_ADDR ":53 in", netns);
      goto fail;
    }
  return l;
fail:
  watch_close (&l->udp);
  watch_close (&l->tcp);
  if (l->nsfd >= 0)
    close (l->nsfd);
  free (l->netns);
  free (l);
  return NULL;
}

static void conn_close (struct server *s, struct conn *c);
static void pending_free (struct server *s, struct pending *p);

static void
listener_close (struct server *s, struct listener *l)
{
  for (struct pending *p = s->pending, *next; p; p = next)
    {
      next = p->next;
      if (p->l == l)
        pending_free (s, p);
    }
  for (struct conn *c = s->conns, *next; c; c = next)
    {
      next = c->next;
      if (c->l == l)
        conn_close (s, c);
    }
  watch_close (&l->udp);
  watch_close (&l->tcp);
  close (l->nsfd);
  free (l->netns);
  free (l);
}

/* The listener of NETNS if it is still that namespace's: a container
   recreated under the same name has a new namespace at the same path.  */
static bool
listener_current (const struct listener *l)
{
  struct stat st;

  return stat (l->netns, &st) == 0 && st.st_ino == l->ns_ino;
}

/* ---- reload ---------------------------------------------------------------- */

static struct cc_dns_table *
load_table (struct server *s)
{
  cleanup_free char *path = cc_path_join (cc_state_dir (), "network/state.json");
  cleanup_cjson cJSON *root = NULL;
  cc_error_t err = NULL;

  if (cc_file_exists (path) && cc_json_load_file (path, &root, &err) < 0)
    {
      cc_strv_push (&s->errors, xstrdup (err->msg));
      cc_error_release (&err);
      return NULL;
    }
  return cc_dns_table_build (root, s->project);
}

static void
reload (struct server *s)
{
  struct cc_dns_table *t = load_table (s);
  struct listener **link = &s->listeners;

  if (t == NULL)
    return;
  if (s->table)
    cc_dns_table_free (s->table);
  s->table = t;
  /* Namespaces that are gone, or were replaced, lose their sockets.  */
  while (*link)
    {
      struct listener *l = *link;
      if (cc_dns_table_scope (t, l->netns) && listener_current (l))
        {
          link = &l->next;
          continue;
        }
      *link = l->next;
      listener_close (s, l);
    }
  for (size_t i = 0; i < t->n_scopes; i++)
    {
      struct listener *l;
      bool have = false;
      for (l = s->listeners; l && ! have; l = l->next)
        have = strcmp (l->netns, t->scopes[i].netns) == 0;
      if (have || (l = listener_open (s, t->scopes[i].netns)) == NULL)
        continue;
      l->next = s->listeners;
      s->listeners = l;
    }
}

/* ---- replies ----------------------------------------------------------------- */

static void
send_udp (struct listener *l, const struct sockaddr_in *to, const uint8_t *msg, size_t len)
{
  /* A client that is gone, or a full buffer: DNS over UDP loses
     messages, and the client asks again.  */
  (void)! sendto (l->udp.fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)to, sizeof (*to));
}

static void
conn_want (struct server *s, struct conn *c)
{
  uint32_t ev = c->out ? EPOLLOUT : c->waiting ? 0 : EPOLLIN;

  watch_mod (s, &c->w, ev);
}

/* Queue MSG on the connection, framed; it is written as the peer reads.  */
static void
conn_reply (struct server *s, struct conn *c, const uint8_t *msg, size_t len)
{
  free (c->out);
  c->out = xmalloc (len + 2);
  c->out[0] = (uint8_t)(len >> 8);
  c->out[1] = (uint8_t)len;
  memcpy (c->out + 2, msg, len);
  c->out_len = len + 2;
  c->out_off = 0;
  c->waiting = false;
  c->deadline = now_ms () + TCP_IDLE_MS;
  conn_want (s, c);
}

struct origin
{
  struct listener *l;
  struct conn *conn;
  struct sockaddr_in client;
};

static void
reply (struct server *s, const struct origin *o, const uint8_t *msg, size_t len)
{
  if (o->conn)
    conn_reply (s, o->conn, msg, len);
  else
    send_udp (o->l, &o->client, msg, len);
}

static void
answer (struct server *s, const struct origin *o, const uint8_t *msg, const struct cc_dns_query *q,
        const struct cc_dns_answer *a)
{
  uint8_t out[CC_DNS_MAX_TCP];
  size_t max = o->conn ? sizeof (out) : cc_dns_udp_limit (q);
  size_t len = cc_dns_build_reply (msg, q, a, out, max);

  if (len == 0)
    return;
  s->st.answered++;
  if (a->rcode == CC_DNS_NXDOMAIN)
    s->st.nxdomain++;
  else if (a->rcode == CC_DNS_SERVFAIL)
    s->st.servfail++;
  else if (a->rcode == CC_DNS_REFUSED)
    s->st.refused++;
  reply (s, o, out, len);
}

static void
answer_rcode (struct server *s, const struct origin *o, const uint8_t *msg, const struct cc_dns_query *q, uint8_t rcode)
{
  struct cc_dns_answer a = { .rcode = rcode };

  answer (s, o, msg, q, &a);
}

/* ---- forwarding --------------------------------------------------------------- */

static void
pending_free (struct server *s, struct pending *p)
{
  struct pending **link = &s->pending;

  while (*link && *link != p)
    link = &(*link)->next;
  if (*link)
    *link = p->next;
  watch_close (&p->w);
  if (p->conn)
    {
      p->conn->waiting = false;
      conn_want (s, p->conn);
    }
  p->l->pending--;
  s->n_pending--;
  free (p->query);
  free (p->reply);
  free (p);
}

static bool
id_in_use (const struct server *s, uint16_t id)
{
  for (const struct pending *p = s->pending; p; p = p->next)
    if (p->id == id)
      return true;
  return false;
}

static uint16_t
new_id (const struct server *s)
{
  uint16_t id = 0;

  do
    if (getrandom (&id, sizeof (id), 0) != sizeof (id))
      id = (uint16_t)(id * 31u + 7u);
  while (id_in_use (s, id));
  return id;
}

/* The servers SCOPE's queries go to, in *P; false when there are none
   it may use.  */
static bool
choose_servers (const struct cc_dns_scope *scope, struct pending *p)
{
  struct cc_dns_upstream host[MAX_UPSTREAMS];
  cleanup_free char *text = NULL;
  size_t n;

  if (scope->n_own)
    {
      n = scope->n_own < MAX_UPSTREAMS ? scope->n_own : MAX_UPSTREAMS;
      memcpy (p->servers, scope->own, n * sizeof (*p->servers));
      p->n_servers = n;
      p->in_container = true;
      return true;
    }
  /* A container only on internal networks has no way out: Docker's
     resolver does not forward for it from the host either.  */
  if (! scope->external)
    return false;
  text = cc_dns_host_resolv (NULL);
  n = cc_dns_nameservers (text, host, MAX_UPSTREAMS);
  memcpy (p->servers, host, n * sizeof (*p->servers));
  p->n_servers = n;
  return n > 0;
}

static void
finish_servfail (struct server *s, struct pending *p)
{
  struct origin o = { .l = p->l, .conn = p->conn, .client = p->client };
  uint16_t id = p->q.id;

  /* The reply copies the question from the query, under the client's ID.  */
  p->query[0] = (uint8_t)(id >> 8);
  p->query[1] = (uint8_t)id;
  answer_rcode (s, &o, p->query, &p->q, CC_DNS_SERVFAIL);
  pending_free (s, p);
}

/* Send to the next server; false when none is left.  */
static bool
try_next_server (struct server *s, struct pending *p)
{
  while (p->next_server < p->n_servers)
    {
      const struct cc_dns_upstream *u = &p->servers[p->next_server++];
      struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (u->port) };
      int fd;

      to.sin_addr.s_addr = htonl (u->ip);
      watch_close (&p->w);
      free (p->reply);
      p->reply = NULL;
      p->reply_len = p->reply_want = p->sent = 0;
      fd = socket_in (s, p->in_container ? p->l->nsfd : -1, p->tcp ? SOCK_STREAM : SOCK_DGRAM);
      if (fd < 0)
        continue;
      watch_add (s, &p->w, W_UPSTREAM, p, fd, p->tcp ? EPOLLOUT : EPOLLIN);
      if (connect (fd, (struct sockaddr *)&to, sizeof (to)) < 0 && errno != EINPROGRESS)
        continue;
      if (! p->tcp && send (fd, p->query, p->len, MSG_NOSIGNAL) < 0)
        continue;
      p->deadline = now_ms () + UPSTREAM_TIMEOUT_MS;
      return true;
    }
  return false;
}

static void
forward (struct server *s, const struct origin *o, const struct cc_dns_scope *scope, const uint8_t *msg, size_t len,
         const struct cc_dns_query *q)
{
  struct pending *p;

  /* Docker answers REFUSED when too many queries are in flight.  */
  if (s->n_pending >= MAX_PENDING || o->l->pending >= MAX_PENDING_PER_NS)
    {
      answer_rcode (s, o, msg, q, CC_DNS_REFUSED);
      return;
    }
  p = xzalloc (sizeof (*p));
  p->w.fd = -1;
  p->l = o->l;
  p->conn = o->conn;
  p->client = o->client;
  p->q = *q;
  p->tcp = o->conn != NULL;
  p->query = xmemdup (msg, len);
  p->len = len;
  p->id = new_id (s);
  p->query[0] = (uint8_t)(p->id >> 8);
  p->query[1] = (uint8_t)p->id;
  p->next = s->pending;
  s->pending = p;
  s->n_pending++;
  p->l->pending++;
  if (p->conn)
    {
      p->conn->waiting = true;
      conn_want (s, p->conn);
    }
  s->st.forwarded++;
  if (! choose_servers (scope, p) || ! try_next_server (s, p))
    finish_servfail (s, p);
}

/* A reply from the upstream: passed back under the client's ID, unless
   it failed and another server may do better.  False when it is no
   reply to our question (a late or forged datagram).  */
static bool
upstream_reply (struct server *s, struct pending *p, uint8_t *msg, size_t len)
{
  struct origin o = { .l = p->l, .conn = p->conn, .client = p->client };
  uint8_t rcode;

  if (! cc_dns_reply_matches (msg, len, p->id, p->query, p->q.qend))
    {
      s->st.mismatched_replies++;
      return false;
    }
  rcode = msg[3] & 0xf;
  if ((rcode == CC_DNS_SERVFAIL || rcode == CC_DNS_REFUSED) && try_next_server (s, p))
    return true;
  msg[0] = (uint8_t)(p->q.id >> 8);
  msg[1] = (uint8_t)p->q.id;
  reply (s, &o, msg, len);
  pending_free (s, p);
  return true;
}

static void
upstream_udp_ready (struct server *s, struct pending *p)
{
  ssize_t n = recv (p->w.fd, s->buf, sizeof (s->buf), MSG_DONTWAIT);

  if (n < 0)
    {
      if (errno == EAGAIN || errno == EINTR)
        return;
      /* ECONNREFUSED: nothing listens there.  */
      if (! try_next_server (s, p))
        finish_servfail (s, p);
      return;
    }
  upstream_reply (s, p, s->buf, (size_t)n);
}

/* TCP: write the framed query, then read the length and the reply.  */
static void
upstream_tcp_ready (struct server *s, struct pending *p)
{
  ssize_t n;

  if (p->sent < p->len + 2)
    {
      uint8_t frame[2 + CC_DNS_MAX_QUERY];
      frame[0] = (uint8_t)(p->len >> 8);
      frame[1] = (uint8_t)p->len;
      memcpy (frame + 2, p->query, p->len);
      n = send (p->w.fd, frame + p->sent, p->len + 2 - p->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (n < 0)
        goto next;
      p->sent += (size_t)n;
      if (p->sent == p->len + 2)
        watch_mod (s, &p->w, EPOLLIN);
      return;
    }
  if (p->reply == NULL)
    p->reply = xmalloc (2 + CC_DNS_MAX_TCP);
  n = recv (p->w.fd, p->reply + p->reply_len, (p->reply_want ? p->reply_want + 2 : 2) - p->reply_len, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
    goto next;
  p->reply_len += (size_t)n;
  if (p->reply_want == 0 && p->reply_len == 2)
    {
      p->reply_want = (size_t)(p->reply[0] << 8 | p->reply[1]);
      if (p->reply_want < CC_DNS_HEADER)
        goto next;
    }
  /* A stream that carried something else has nothing more to say.  */
  if (p->reply_want && p->reply_len == p->reply_want + 2 && ! upstream_reply (s, p, p->reply + 2, p->reply_want))
    goto next;
  return;
next:
  if (! try_next_server (s, p))
    finish_servfail (s, p);
}

/* ---- queries --------------------------------------------------------------------- */

static struct cc_dns_scope *
scope_of (struct server *s, const struct listener *l)
{
  return s->table ? cc_dns_table_scope (s->table, l->netns) : NULL;
}

/* What the responder itself can say about Q: true when it answered.  */
static bool
answer_local (struct server *s, const struct origin *o, const struct cc_dns_scope *scope, const uint8_t *msg,
              const struct cc_dns_query *q)
{
  uint32_t addrs[MAX_ANSWERS], rotated[MAX_ANSWERS];
  struct in6_addr addrs6[MAX_ANSWERS];
  struct cc_dns_answer a = { .rcode = CC_DNS_NOERROR };
  enum cc_dns_found found;
  uint32_t ip;
  size_t n = 0;

  if (! q->plain || q->qclass != CC_DNS_C_IN)
    return false;
  if (q->qtype == CC_DNS_T_PTR)
    {
      if (! cc_dns_ptr_address (q->name, &ip) || (a.ptr = cc_dns_reverse (s->table, scope, ip, is_eligible, s)) == NULL)
        return false;
      answer (s, o, msg, q, &a);
      return true;
    }
  found = cc_dns_lookup (s->table, scope, q->name, is_eligible, s, addrs, MAX_ANSWERS, &n);
  if (found == CC_DNS_UNKNOWN)
    return false;
  /* A name of ours with no container that may answer now is no name
     (a stopped container's name is gone under Docker too), and never
     asked of the host's resolvers.  */
  if (found == CC_DNS_DOWN)
    a.rcode = CC_DNS_NXDOMAIN;
  /* Each answer starts one replica further: clients that take the
     first address spread over all of them.  AAAA: the IPv6 addresses of
     the same containers (issue 17), no data when they have none; other
     types of a name we know: no data.  */
  else if (q->qtype == CC_DNS_T_A && n > 0)
    {
      size_t first = (size_t)(s->rotate++ % n);
      for (size_t i = 0; i < n; i++)
        rotated[i] = addrs[(first + i) % n];
      a.a = rotated;
      a.n_a = n;
    }
  else if (q->qtype == CC_DNS_T_AAAA)
    {
      a.n_aaaa = cc_dns_lookup6 (s->table, scope, q->name, is_eligible, s, addrs6, MAX_ANSWERS);
      a.aaaa = addrs6;
    }
  answer (s, o, msg, q, &a);
  return true;
}

static void
handle_query (struct server *s, const struct origin *o, const uint8_t *msg, size_t len)
{
  struct cc_dns_scope *scope = scope_of (s, o->l);
  struct cc_dns_query q;

  s->st.queries++;
  switch (cc_dns_parse_query (msg, len, &q))
    {
    case CC_DNS_DROP:
      s->st.dropped_malformed++;
      return;
    case CC_DNS_REPLY_ERROR:
      s->st.dropped_malformed += q.rcode == CC_DNS_FORMERR;
      answer_rcode (s, o, msg, &q, q.rcode);
      return;
    case CC_DNS_QUERY:
      break;
    }
  if (scope == NULL)
    answer_rcode (s, o, msg, &q, CC_DNS_SERVFAIL);
  else if (! answer_local (s, o, scope, msg, &q))
    forward (s, o, scope, msg, len, &q);
}

static void
udp_ready (struct server *s, struct listener *l)
{
  for (int i = 0; i < BURST; i++)
    {
      struct origin o = { .l = l };
      socklen_t alen = sizeof (o.client);
      ssize_t n = recvfrom (l->udp.fd, s->buf, sizeof (s->buf), MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&o.client,
                            &alen);
      if (n < 0)
        return;
      /* MSG_TRUNC gives the datagram's real length.  */
      if ((size_t)n > CC_DNS_MAX_QUERY)
        {
          s->st.dropped_oversized++;
          continue;
        }
      if (alen != sizeof (o.client) || o.client.sin_family != AF_INET)
        continue;
      handle_query (s, &o, s->buf, (size_t)n);
    }
}

/* ---- TCP clients -------------------------------------------------------------------- */

static void
conn_close (struct server *s, struct conn *c)
{
  struct conn **link = &s->conns;

  for (struct pending *p = s->pending, *next; p; p = next)
    {
      next = p->next;
      if (p->conn == c)
        {
          p->conn = NULL;
          pending_free (s, p);
        }
    }
  while (*link && *link != c)
    link = &(*link)->next;
  if (*link)
    *link = c->next;
  watch_close (&c->w);
  c->l->conns--;
  s->n_conns--;
  free (c->out);
  free (c);
}

static void
tcp_accept (struct server *s, struct listener *l)
{
  for (int i = 0; i < BURST; i++)
    {
      int fd = accept4 (l->tcp.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      struct conn *c;

      if (fd < 0)
        return;
      if (s->n_conns >= MAX_CONNS || l->conns >= MAX_CONNS_PER_NS)
        {
          s->st.refused++;
          close (fd);
          continue;
        }
      c = xzalloc (sizeof (*c));
      c->l = l;
      c->deadline = now_ms () + TCP_IDLE_MS;
      c->next = s->conns;
      s->conns = c;
      s->n_conns++;
      l->conns++;
      s->st.tcp_connections++;
      watch_add (s, &c->w, W_CONN, c, fd, EPOLLIN);
    }
}

static void
conn_write (struct server *s, struct conn *c)
{
  ssize_t n = send (c->w.fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
    {
      conn_close (s, c);
      return;
    }
  c->out_off += (size_t)n;
  if (c->out_off < c->out_len)
    return;
  free (c->out);
  c->out = NULL;
  conn_want (s, c);
}

/* One framed query at a time: the next is read once this one's reply
   is written.  */
static void
conn_read (struct server *s, struct conn *c)
{
  size_t want = c->in_len < 2 ? 2 : 2 + (size_t)(c->in[0] << 8 | c->in[1]);
  ssize_t n;

  if (want > sizeof (c->in))
    {
      s->st.dropped_oversized++;
      conn_close (s, c);
      return;
    }
  n = recv (c->w.fd, c->in + c->in_len, want - c->in_len, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
    {
      conn_close (s, c);
      return;
    }
  c->in_len += (size_t)n;
  c->deadline = now_ms () + TCP_IDLE_MS;
  if (c->in_len == 2)
    {
      size_t len = (size_t)(c->in[0] << 8 | c->in[1]);
      if (len > CC_DNS_MAX_QUERY)
        {
          s->st.dropped_oversized++;
          conn_close (s, c);
        }
      return;
    }
  if (c->in_len < want)
    return;
  struct origin o = { .l = c->l, .conn = c };
  uint8_t msg[CC_DNS_MAX_QUERY];
  size_t len = want - 2;

  memcpy (msg, c->in + 2, len);
  c->in_len = 0;
  handle_query (s, &o, msg, len);
  /* Nothing came back (a dropped message): this connection is done.  */
  if (! c->out && ! c->waiting)
    conn_close (s, c);
}

static void
conn_ready (struct server *s, struct conn *c, uint32_t events)
{
  if (events & (EPOLLERR | EPOLLHUP) && ! (events & EPOLLIN))
    conn_close (s, c);
  else if (c->out)
    conn_write (s, c);
  else if (! c->waiting)
    conn_read (s, c);
}

/* ---- control --------------------------------------------------------------------- */

static char *
stats_json (struct server *s)
{
  cleanup_cjson cJSON *j = cJSON_CreateObject ();
  const struct
  {
    const char *name;
    uint64_t v;
  } counters[] = {
    { "queries", s->st.queries },
    { "answered", s->st.answered },
    { "forwarded", s->st.forwarded },
    { "nxdomain", s->st.nxdomain },
    { "servfail", s->st.servfail },
    { "refused", s->st.refused },
    { "dropped_malformed", s->st.dropped_malformed },
    { "dropped_oversized", s->st.dropped_oversized },
    { "tcp_connections", s->st.tcp_connections },
    { "upstream_timeouts", s->st.upstream_timeouts },
    { "mismatched_replies", s->st.mismatched_replies },
    { "pending", s->n_pending },
    { "connections", s->n_conns },
  };
  size_t n = 0;

  for (struct listener *l = s->listeners; l; l = l->next)
    n++;
  cc_json_set_int (j, "pid", getpid ());
  cc_json_set_string (j, "project", s->project);
  cc_json_set_int (j, "namespaces", (int64_t)n);
  for (size_t i = 0; i < CC_N_ELEMENTS (counters); i++)
    cc_json_set_int (j, counters[i].name, (int64_t)counters[i].v);
  return cJSON_PrintUnformatted (j);
}

static void
control_send (int fd, const char *text)
{
  (void)! send (fd, text, strlen (text), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void
control_request (struct server *s, struct watch *w)
{
  char req[64];
  ssize_t n = recv (w->fd, req, sizeof (req) - 1, MSG_DONTWAIT);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n > 0)
    {
      req[n] = '\0';
      if (strcmp (req, "sync") == 0)
        {
          /* Answered after the reload at the end of this round.  */
          s->reload = true;
          s->waiting_sync = xreallocarray (s->waiting_sync, s->n_waiting + 1, sizeof (int));
          s->waiting_sync[s->n_waiting++] = w->fd;
          epoll_ctl (s->epfd, EPOLL_CTL_DEL, w->fd, NULL);
          free (w);
          return;
        }
      if (strcmp (req, "stats") == 0)
        {
          cleanup_free char *j = stats_json (s);
          control_send (w->fd, j);
        }
      else
        control_send (w->fd, "error: unknown request");
    }
  close (w->fd);
  free (w);
}

static void
control_accept (struct server *s)
{
  for (int i = 0; i < BURST; i++)
    {
      int fd = accept4 (s->control.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      struct watch *w;

      if (fd < 0)
        return;
      w = xzalloc (sizeof (*w));
      watch_add (s, w, W_CONTROL_CLIENT, NULL, fd, EPOLLIN);
    }
}

static void
answer_syncs (struct server *s)
{
  cleanup_free char *errors = s->errors ? cc_strv_join (s->errors, "; ") : NULL;
  cleanup_free char *text = errors ? xasprintf ("error: %s", errors) : xstrdup ("ok");

  for (size_t i = 0; i < s->n_waiting; i++)
    {
      control_send (s->waiting_sync[i], text);
      close (s->waiting_sync[i]);
    }
  s->n_waiting = 0;
  cc_strv_free (s->errors);
  s->errors = NULL;
}

/* ---- the loop ---------------------------------------------------------------------- */

static void
expire (struct server *s, int64_t now)
{
  for (struct pending *p = s->pending, *next; p; p = next)
    {
      next = p->next;
      if (now < p->deadline)
        continue;
      s->st.upstream_timeouts++;
      if (! try_next_server (s, p))
        finish_servfail (s, p);
    }
  for (struct conn *c = s->conns, *next; c; c = next)
    {
      next = c->next;
      if (now >= c->deadline && ! c->waiting)
        conn_close (s, c);
    }
}

static int
next_timeout (const struct server *s, int64_t now)
{
  int64_t t = s->next_self_check;

  for (const struct pending *p = s->pending; p; p = p->next)
    t = p->deadline < t ? p->deadline : t;
  for (const struct conn *c = s->conns; c; c = c->next)
    t = c->deadline < t ? c->deadline : t;
  return t <= now ? 0 : (int)(t - now);
}

/* A responder whose record was removed (its state root deleted, `down`
   cut short) is residue: it goes by itself.  */
static void
self_check (struct server *s, int64_t now)
{
  struct stat st;

  if (now < s->next_self_check)
    return;
  s->next_self_check = now + SELF_CHECK_MS;
  if (fstat (s->lock_fd, &st) < 0 || st.st_nlink == 0)
    s->done = true;
}

static void
dispatch (struct server *s, struct watch *w, uint32_t events)
{
  switch (w->kind)
    {
    case W_SIGNAL:
      s->done = true;
      break;
    case W_CONTROL:
      control_accept (s);
      break;
    case W_CONTROL_CLIENT:
      control_request (s, w);
      break;
    case W_UDP:
      udp_ready (s, w->obj);
      break;
    case W_TCP_LISTEN:
      tcp_accept (s, w->obj);
      break;
    case W_CONN:
      conn_ready (s, w->obj, events);
      break;
    case W_UPSTREAM:
      {
        struct pending *p = w->obj;
        if (p->tcp)
          upstream_tcp_ready (s, p);
        else
          upstream_udp_ready (s, p);
        break;
      }
    }
}

/* The objects an event points at can be freed by an earlier event of
   the same round (a listener closed by a reload, a connection closed
   with its pending query): events are looked at one at a time, each
   fetched only once everything before it is done.  */
static void
run (struct server *s)
{
  while (! s->done)
    {
      struct epoll_event ev;
      int64_t now = now_ms ();
      int n = epoll_wait (s->epfd, &ev, 1, next_timeout (s, now));

      if (n < 0 && errno != EINTR)
        break;
      if (n > 0)
        dispatch (s, ev.data.ptr, ev.events);
      /* Syncs that came in together: whatever else is ready is taken
         first, then one reload answers them all.  */
      if (s->reload && n > 0)
        {
          for (int more = 0; more < BURST && epoll_wait (s->epfd, &ev, 1, 0) == 1; more++)
            dispatch (s, ev.data.ptr, ev.events);
          s->reload = false;
          reload (s);
          answer_syncs (s);
        }
      now = now_ms ();
      expire (s, now);
      self_check (s, now);
    }
}

/* ---- setup ------------------------------------------------------------------------- */

static int
open_control (struct server *s, cc_error_t *err)
{
  cleanup_free char *dir = cc_net_dns_dir (), *base = cc_net_dns_base (s->project);
  cleanup_free char *name = xasprintf ("%s.sock", base);
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  int fd;

  if (dfd < 0)
    return cc_error_make (err, errno, "open `%s`", dir);
  /* Through the directory's descriptor: a long state root would not fit
     in sun_path.  */
  snprintf (a.sun_path, sizeof (a.sun_path), "/proc/self/fd/%d/%s", dfd, name);
  unlinkat (dfd, name, 0);
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *)&a, sizeof (a)) < 0 || fchmodat (dfd, name, 0600, 0) < 0
      || listen (fd, 128) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      return cc_error_make (err, e, "control socket of the DNS responder of `%s`", s->project);
    }
  watch_add (s, &s->control, W_CONTROL, NULL, fd, EPOLLIN);
  return 0;
}

static int
open_signals (struct server *s, cc_error_t *err)
{
  sigset_t set;
  int fd;

  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  sigprocmask (SIG_BLOCK, &set, NULL);
  fd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0)
    return cc_error_make (err, errno, "signalfd");
  watch_add (s, &s->sig, W_SIGNAL, NULL, fd, EPOLLIN);
  return 0;
}

/* Our identity in the record, for `down` to kill us by.  */
static int
write_identity (int lock_fd, cc_error_t *err)
{
  uint64_t start = 0;
  char text[64];
  int len;

  if (cc_proc_start_time (getpid (), &start, err) < 0)
    return -1;
  len = snprintf (text, sizeof (text), "%d %llu\n", (int)getpid (), (unsigned long long)start);
  if (ftruncate (lock_fd, 0) < 0 || pwrite (lock_fd, text, (size_t)len, 0) != len)
    return cc_error_make (err, errno, "write the DNS responder's record");
  return 0;
}

/* A forwarded query holds a socket until its reply: room for them all.  */
static void
raise_fd_limit (void)
{
  struct rlimit r;

  if (getrlimit (RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max)
    {
      r.rlim_cur = r.rlim_max;
      setrlimit (RLIMIT_NOFILE, &r);
    }
}

static int
setup (struct server *s, cc_error_t *err)
{
  s->epfd = epoll_create1 (EPOLL_CLOEXEC);
  s->self_ns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (s->epfd < 0 || s->self_ns < 0)
    return cc_error_make (err, errno, "DNS responder setup");
  raise_fd_limit ();
  if (write_identity (s->lock_fd, err) < 0 || open_signals (s, err) < 0 || open_control (s, err) < 0)
    return -1;
  reload (s);
  return 0;
}

static void
report (int fd, cc_error_t err, char **errors)
{
  cleanup_cjson cJSON *j = cJSON_CreateObject ();
  cleanup_free char *text = NULL, *joined = errors ? cc_strv_join (errors, "; ") : NULL;

  if (fd < 0)
    return;
  if (err)
    {
      cc_json_set_string (j, "error", err->msg);
      cc_json_set_int (j, "errno", err->status);
    }
  else
    cc_json_set_int (j, "pid", getpid ());
  if (joined)
    cc_json_set_string (j, "warning", joined);
  text = cJSON_PrintUnformatted (j);
  (void)! cc_write_all (fd, text, strlen (text));
  (void)! cc_write_all (fd, "\n", 1);
  close (fd);
}

static void
set_title (const char *project, char **argv)
{
  char *start = program_invocation_name, *end;

  if (argv && argv[0])
    {
      end = argv[cc_strv_len (argv) - 1];
      end += strlen (end);
      if (end > start)
        {
          memset (start, 0, (size_t)(end - start));
          snprintf (start, (size_t)(end - start), "ccompose-dns %s", project);
        }
    }
  prctl (PR_SET_NAME, "ccompose-dns");
}

/* Only `down` (SIGKILL) or SIGTERM end the responder: not the
   terminal of the command that started it.  */
static void
detach_process (void)
{
  setsid ();
  signal (SIGPIPE, SIG_IGN);
  signal (SIGINT, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
}

static void
quiet_stdio (void)
{
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);

  for (int i = 0; null >= 0 && i < 3; i++)
    dup2 (null, i);
  if (null > 2)
    close (null);
}

static void
server_release (struct server *s)
{
  while (s->pending)
    pending_free (s, s->pending);
  while (s->conns)
    conn_close (s, s->conns);
  while (s->listeners)
    {
      struct listener *l = s->listeners;
      s->listeners = l->next;
      listener_close (s, l);
    }
  for (size_t i = 0; i < s->n_health; i++)
    {
      free (s->health[i].container);
      free (s->health[i].path);
    }
  free (s->health);
  for (size_t i = 0; i < s->n_waiting; i++)
    close (s->waiting_sync[i]);
  free (s->waiting_sync);
  cc_strv_free (s->errors);
  if (s->table)
    cc_dns_table_free (s->table);
  watch_close (&s->control);
  watch_close (&s->sig);
  if (s->epfd >= 0)
    close (s->epfd);
  if (s->self_ns >= 0)
    close (s->self_ns);
}

int
cc_network_dns_main (const char *project_arg, int status_fd, int lock_fd, const struct cc_net_dns_liveness *live,
                     char **argv)
{
  /* The title overwrites argv, where PROJECT_ARG lives.  */
  cleanup_free char *project = xstrdup (project_arg);
  struct server *s = xzalloc (sizeof (*s));
  cleanup_error cc_error_t err = NULL;
  int ret = 0;

  *s = (struct server){ .project = project,
                        .live = live,
                        .epfd = -1,
                        .self_ns = -1,
                        .lock_fd = lock_fd,
                        .sig = { .fd = -1 },
                        .control = { .fd = -1 } };
  if (status_fd >= 0)
    fcntl (status_fd, F_SETFD, FD_CLOEXEC);
  fcntl (lock_fd, F_SETFD, FD_CLOEXEC);
  set_title (project, argv);
  detach_process ();
  if (setup (s, &err) < 0)
    {
      report (status_fd, err, NULL);
      ret = 1;
    }
  else
    {
      report (status_fd, NULL, s->errors);
      cc_strv_free (s->errors);
      s->errors = NULL;
      quiet_stdio ();
      s->next_self_check = now_ms () + SELF_CHECK_MS;
      run (s);
    }
  server_release (s);
  free (s);
  return ret;
}
