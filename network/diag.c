/* Who holds a host port, asked of the kernel through NETLINK_SOCK_DIAG.
   Reading /proc/net/tcp makes the kernel walk its whole established hash,
   sized by RAM (1.6 ms per table on a 24 GiB host, for a handful of
   sockets); an inet_diag dump for TCP_LISTEN only walks the listening
   hash, and a bytecode port filter leaves the rest in the kernel.
   /proc/net stays as the fallback for kernels without inet_diag.  */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "network/diag.h"

/* include/net/tcp_states.h; an unconnected UDP socket is TCP_CLOSE.  */
#define TCP_LISTEN 10
#define TCP_CLOSE 7

/* The kernel fills a dump message up to 32 KiB at most.  */
#define DUMP_BUF_SIZE 32768

struct table
{
  const char *name; /* /proc/net/NAME */
  int family;
  int protocol;
  enum cc_net_proto proto;
  unsigned state;
};

static const struct table tables[] = {
  { "tcp", AF_INET, IPPROTO_TCP, CC_NET_TCP, TCP_LISTEN },
  { "tcp6", AF_INET6, IPPROTO_TCP, CC_NET_TCP, TCP_LISTEN },
  { "udp", AF_INET, IPPROTO_UDP, CC_NET_UDP, TCP_CLOSE },
  { "udp6", AF_INET6, IPPROTO_UDP, CC_NET_UDP, TCP_CLOSE },
};

/* ---- the port filter ------------------------------------------------------------ */

/* Each range is "S_GE lo; S_LE hi" (a comparison carries its port in the
   op after it), ranges are joined by a JMP to the end, which accepts.  A
   failed comparison jumps to the next range, or 4 bytes past the end
   (reject) from the last one: the same offsets in every range.  The
   kernel's audit wants every jump to land on the chain of "yes" offsets;
   here that chain visits every op.  */
enum
{
  OPS_PER_RANGE = 5, /* S_GE, lo, S_LE, hi, JMP */
  RANGE_BYTES = OPS_PER_RANGE * sizeof (struct inet_diag_bc_op),
  /* The jumps are 16 bits, and so is the attribute's length.  */
  MAX_FILTER_RANGES = 1024,
};

static int
range_cmp (const void *a, const void *b)
{
  const struct cc_port_range *x = a, *y = b;

  return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Sorted, overlapping and adjacent ranges merged; returns how many remain.  */
static size_t
merge_ranges (struct cc_port_range *r, size_t n)
{
  size_t m = 0;

  qsort (r, n, sizeof (*r), range_cmp);
  for (size_t i = 0; i < n; i++)
    {
      if (m > 0 && (unsigned)r[i].lo <= (unsigned)r[m - 1].hi + 1u)
        {
          if (r[i].hi > r[m - 1].hi)
            r[m - 1].hi = r[i].hi;
          continue;
        }
      r[m++] = r[i];
    }
  return m;
}

struct inet_diag_bc_op *
cc_diag_port_filter (const struct cc_port_range *ranges, size_t n, size_t *len)
{
  cleanup_free struct cc_port_range *r = NULL;
  struct inet_diag_bc_op *bc;
  size_t m;

  *len = 0;
  if (n == 0)
    return NULL;
  r = xmemdup (ranges, n * sizeof (*r));
  m = merge_ranges (r, n);
  if (m > MAX_FILTER_RANGES)
    {
      r[0].hi = r[m - 1].hi;
      m = 1;
    }
  *len = m * RANGE_BYTES - sizeof (*bc); /* the last range has no JMP */
  bc = xzalloc (*len);
  for (size_t i = 0; i < m; i++)
    {
      struct inet_diag_bc_op *op = &bc[i * OPS_PER_RANGE];

      op[0] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_GE, 8, RANGE_BYTES };
      op[1].no = r[i].lo;
      op[2] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_LE, 8, RANGE_BYTES - 8 };
      op[3].no = r[i].hi;
      if (i + 1 < m)
        op[4] = (struct inet_diag_bc_op){ INET_DIAG_BC_JMP, 4,
                                          (unsigned short)(*len - (i * RANGE_BYTES + 4 * sizeof (*op))) };
    }
  return bc;
}

/* ---- addresses ------------------------------------------------------------------ */

/* An IPv6 socket takes IPv4 traffic when it is the dual-stack wildcard or
   bound to a v4-mapped address; ::1 and the rest do not.  */
bool
cc_diag_ipv4_view (int family, const uint32_t src[4], uint32_t *out)
{
  if (family == AF_INET)
    {
      *out = ntohl (src[0]);
      return true;
    }
  if (family != AF_INET6 || src[0] != 0 || src[1] != 0)
    return false;
  if (src[2] == 0 && src[3] == 0)
    {
      *out = 0;
      return true;
    }
  if (src[2] != htonl (0xffff))
    return false;
  *out = ntohl (src[3]);
  return true;
}

/* ---- the /proc/net fallback ----------------------------------------------------- */

/* The kernel prints an address as the hex of its in-memory 32-bit words.  */
static bool
parse_hex_address (const char *hex, bool v6, uint32_t words[4])
{
  size_t n = v6 ? 4 : 1;

  if (strlen (hex) != n * 8)
    return false;
  for (size_t i = 0; i < n; i++)
    {
      char word[9] = { 0 };

      memcpy (word, hex + 8 * i, 8);
      words[i] = (uint32_t)strtoul (word, NULL, 16);
    }
  return true;
}

bool
cc_diag_parse_proc_line (const char *line, bool v6, unsigned state, struct cc_listener *out)
{
  char hex[40];
  unsigned port, st;
  unsigned long inode;
  uint32_t words[4] = { 0 };

  if (sscanf (line, " %*d: %39[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*s %*s %lu", hex, &port, &st, &inode) != 4
      || st != state || port > 65535 || ! parse_hex_address (hex, v6, words)
      || ! cc_diag_ipv4_view (v6 ? AF_INET6 : AF_INET, words, &out->addr))
    return false;
  out->port = port;
  out->inode = inode;
  return true;
}

static void
push (struct cc_listener **v, size_t *nv, const struct cc_listener *l)
{
  *v = xreallocarray (*v, *nv + 1, sizeof (**v));
  (*v)[(*nv)++] = *l;
}

static void
read_proc_table (const struct table *t, struct cc_listener **v, size_t *nv)
{
  cleanup_free char *path = xasprintf ("/proc/net/%s", t->name);
  cleanup_fclose FILE *f = fopen (path, "re");
  char line[512];

  if (f == NULL || fgets (line, sizeof (line), f) == NULL) /* header */
    return;
  while (fgets (line, sizeof (line), f))
    {
      struct cc_listener l = { .proto = t->proto };

      if (cc_diag_parse_proc_line (line, t->family == AF_INET6, t->state, &l))
        push (v, nv, &l);
    }
}

/* TCP connections to PORT in the network namespace of process PID, as
   its /proc/PID/net/tcp{,6} show them (the namespace of the process that
   reads is not the one shown).  States: ESTABLISHED, SYN_RECV, CLOSE_WAIT
   (tcp_states.h): a request is in flight or an answer not yet read.  */
int
cc_network_open_connections (int pid, unsigned port)
{
  static const char *const files[] = { "tcp", "tcp6" };
  static const unsigned states[] = { 1, 3, 8 };
  int n = 0;

  for (size_t i = 0; i < CC_N_ELEMENTS (files); i++)
    {
      cleanup_free char *path = xasprintf ("/proc/%d/net/%s", pid, files[i]);
      cleanup_fclose FILE *f = fopen (path, "re");
      char line[512];

      if (f == NULL)
        return i == 0 ? -1 : n;
      if (fgets (line, sizeof (line), f) == NULL)
        continue;
      while (fgets (line, sizeof (line), f))
        for (size_t s = 0; s < CC_N_ELEMENTS (states); s++)
          {
            struct cc_listener l = { .proto = CC_NET_TCP };

            if (cc_diag_parse_proc_line (line, i == 1, states[s], &l) && l.port == port)
              n++;
          }
    }
  return n;
}

/* ---- the inet_diag dump --------------------------------------------------------- */

struct request
{
  struct nlmsghdr nlh;
  struct inet_diag_req_v2 req;
  struct nlattr filter; /* INET_DIAG_REQ_BYTECODE, followed by the bytecode */
};

static int
send_request (int fd, const struct table *t, unsigned seq, const struct inet_diag_bc_op *bc, size_t bclen)
{
  struct request r = {
    .nlh = { .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = seq },
    .req
    = { .sdiag_family = (uint8_t)t->family, .sdiag_protocol = (uint8_t)t->protocol, .idiag_states = 1u << t->state },
    .filter = { .nla_len = (uint16_t)(NLA_HDRLEN + bclen), .nla_type = INET_DIAG_REQ_BYTECODE },
  };
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  struct iovec iov[] = { { &r, sizeof (r) }, { (void *)bc, bclen } };
  struct msghdr msg = { .msg_name = &kernel, .msg_namelen = sizeof (kernel), .msg_iov = iov, .msg_iovlen = 2 };

  if (bc == NULL)
    iov[0].iov_len = offsetof (struct request, filter);
  r.nlh.nlmsg_len = (uint32_t)(iov[0].iov_len + bclen);
  return sendmsg (fd, &msg, 0) < 0 ? -errno : 0;
}

static void
add_socket (const struct table *t, const struct nlmsghdr *h, struct cc_listener **v, size_t *nv)
{
  const struct inet_diag_msg *m = NLMSG_DATA (h);
  struct cc_listener l = { .proto = t->proto };

  if (h->nlmsg_len < NLMSG_LENGTH (sizeof (*m)) || m->idiag_state != t->state
      || ! cc_diag_ipv4_view (m->idiag_family, m->id.idiag_src, &l.addr))
    return;
  l.port = ntohs (m->id.idiag_sport);
  l.inode = m->idiag_inode;
  push (v, nv, &l);
}

/* The status a dump ends with: 0, or a negative errno.  */
static int
end_status (const struct nlmsghdr *h)
{
  const int *status = NLMSG_DATA (h);

  if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len < NLMSG_LENGTH (sizeof (struct nlmsgerr)))
    return -EBADMSG;
  if (h->nlmsg_type == NLMSG_ERROR)
    return ((const struct nlmsgerr *)status)->error;
  /* NLMSG_DONE carries the dump's error since Linux 4.x, 0 before.  */
  return h->nlmsg_len >= NLMSG_LENGTH (sizeof (int)) && *status < 0 ? *status : 0;
}

/* 1 when the dump is over (status in *STATUS), else 0.  */
static int
read_batch (const void *buf, size_t len, const struct table *t, unsigned seq, struct cc_listener **v, size_t *nv,
            int *status)
{
  const char *p = buf, *end = p + len;
  size_t step;

  /* NLMSG_OK/NLMSG_NEXT, spelled out: the macros compare the u32 length
     with an int, which clang's -Wsign-compare refuses (the fuzz build).
     The last message's padding may be missing: never step past END.  */
  for (; (size_t)(end - p) >= sizeof (struct nlmsghdr); p += step)
    {
      const struct nlmsghdr *h = (const struct nlmsghdr *)(const void *)p;
      if (h->nlmsg_len < sizeof (*h) || h->nlmsg_len > (size_t)(end - p))
        break;
      step = NLMSG_ALIGN (h->nlmsg_len) < (size_t)(end - p) ? NLMSG_ALIGN (h->nlmsg_len) : (size_t)(end - p);
      if (h->nlmsg_seq != seq)
        continue;
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
        {
          *status = end_status (h);
          return 1;
        }
      add_socket (t, h, v, nv);
    }
  return 0;
}

/* 0, or a negative errno.  */
static int
dump_table (int fd, const struct table *t, unsigned seq, const struct inet_diag_bc_op *bc, size_t bclen,
            struct cc_listener **v, size_t *nv)
{
  cleanup_free char *buf = xmalloc (DUMP_BUF_SIZE);
  int status = send_request (fd, t, seq, bc, bclen);

  while (status == 0)
    {
      struct iovec iov = { buf, DUMP_BUF_SIZE };
      struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
      ssize_t len = recvmsg (fd, &msg, 0);

      if (len < 0 && errno == EINTR)
        continue;
      if (len < 0)
        return -errno;
      if (msg.msg_flags & MSG_TRUNC)
        return -EMSGSIZE;
      if (read_batch (buf, (size_t)len, t, seq, v, nv, &status))
        return status;
    }
  return status;
}

int
cc_diag_listeners (const struct cc_port_range *ranges, size_t n, struct cc_listener **v, size_t *nv, cc_error_t *err)
{
  cleanup_close int fd = socket (AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  cleanup_free struct inet_diag_bc_op *bc = NULL;
  size_t bclen = 0;

  if (fd < 0)
    cc_debug ("port preflight: no sock_diag socket (%s), reading /proc/net", strerror (errno));
  bc = cc_diag_port_filter (ranges, n, &bclen);
  for (size_t i = 0; i < CC_N_ELEMENTS (tables); i++)
    {
      int r = fd < 0 ? -ENOENT : dump_table (fd, &tables[i], (unsigned)i + 1, bc, bclen, v, nv);

      /* No inet_diag (or no handler for this protocol) in this kernel.  */
      if (r == -ENOENT || r == -EPROTONOSUPPORT)
        read_proc_table (&tables[i], v, nv);
      else if (r < 0)
        return cc_error_make (err, -r, "list the %s sockets holding ports", tables[i].name);
    }
  return 0;
}
