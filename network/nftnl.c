/* nf_tables' netlink protocol: sockets, batches, dumps (nftnl.h).  */
#include "network/nftnl.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/xalloc.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* The kernel sends dump messages of up to 32 KiB.  */
#define RECV_BUF_SIZE 65536

/* NFT_MSG_* of the nf_tables subsystem.  */
static uint16_t
nft_type (uint16_t msg)
{
  return (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | msg);
}

static int
open_sock (struct cc_nft_sock *s, cc_error_t *err)
{
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  int one = 1;

  s->seq = 1;
  s->fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (s->fd < 0)
    return cc_error_make (err, errno, "nftables: open a netfilter netlink socket");
  /* Errors name the attribute and say why (extended acks), without a
     copy of the whole message that failed.  */
  setsockopt (s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof (one));
  setsockopt (s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof (one));
  if (bind (s->fd, (struct sockaddr *)&sa, sizeof (sa)) < 0)
    {
      int e = errno;

      close (s->fd);
      s->fd = -1;
      return cc_error_make (err, e, "nftables: bind a netfilter netlink socket");
    }
  return 0;
}

/* A socket whose replies were not all read would hand them to the next
   request: it goes, and the next acquire opens another.  */
static void
discard (struct cc_nft_sock *s)
{
  if (s->fd >= 0)
    close (s->fd);
  s->fd = -1;
}

/* Commands enter a few namespaces at most (the networks' own).  */
static struct kept
{
  dev_t dev;
  ino_t ino;
  struct cc_nft_sock s;
} kept[16];
static size_t n_kept;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

static struct kept *
slot_for (const struct stat *ns)
{
  for (size_t i = 0; i < n_kept; i++)
    if (kept[i].dev == ns->st_dev && kept[i].ino == ns->st_ino)
      return &kept[i];
  if (n_kept == CC_N_ELEMENTS (kept))
    {
      /* Reuse the oldest: its namespace may be gone by now.  */
      discard (&kept[0].s);
      memmove (kept, kept + 1, sizeof (kept) - sizeof (kept[0]));
      n_kept--;
    }
  kept[n_kept] = (struct kept){ ns->st_dev, ns->st_ino, { -1, 1 } };
  return &kept[n_kept++];
}

int
cc_nft_acquire (struct cc_nft_sock **out, cc_error_t *err)
{
  struct stat ns;
  struct kept *k;

  *out = NULL;
  if (stat ("/proc/thread-self/ns/net", &ns) < 0)
    return cc_error_make (err, errno, "nftables: stat `/proc/thread-self/ns/net`");
  pthread_mutex_lock (&kept_lock);
  k = slot_for (&ns);
  if (k->s.fd < 0 && open_sock (&k->s, err) < 0)
    {
      pthread_mutex_unlock (&kept_lock);
      return -1;
    }
  *out = &k->s;
  return 0;
}

void
cc_nft_release (struct cc_nft_sock **s)
{
  if (*s == NULL)
    return;
  *s = NULL;
  pthread_mutex_unlock (&kept_lock);
}

/* Writing.  */

static void
pad (struct cc_buf *b)
{
  static const char zeros[4];

  cc_buf_append (b, zeros, NLMSG_ALIGN (b->len) - b->len);
}

static void *
at (struct cc_nft_batch *b, size_t off)
{
  return b->buf.data + off;
}

static void
open_msg (struct cc_nft_batch *b, uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id)
{
  struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags), .nlmsg_seq = b->seq++ };
  struct nfgenmsg g = { .nfgen_family = family, .version = NFNETLINK_V0, .res_id = htons (res_id) };

  b->msg = b->buf.len;
  cc_buf_append (&b->buf, &h, sizeof (h));
  cc_buf_append (&b->buf, &g, sizeof (g));
}

static void
close_msg (struct cc_nft_batch *b)
{
  struct nlmsghdr *h;

  if (b->msg == (size_t)-1)
    return;
  pad (&b->buf);
  h = at (b, b->msg);
  h->nlmsg_len = (uint32_t)(b->buf.len - b->msg);
  b->msg = (size_t)-1;
}

void
cc_nft_batch_begin (struct cc_nft_batch *b, uint32_t genid)
{
  memset (b, 0, sizeof (*b));
  b->msg = (size_t)-1;
  b->seq = 1;
  open_msg (b, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  if (genid)
    cc_nft_put_u32 (b, NFNL_BATCH_GENID, genid);
  close_msg (b);
}

void
cc_nft_batch_release (struct cc_nft_batch *b)
{
  cc_buf_reset (&b->buf);
}

void
cc_nft_msg (struct cc_nft_batch *b, uint16_t type, uint8_t family, uint16_t flags)
{
  close_msg (b);
  open_msg (b, nft_type (type), flags, family, 0);
  b->n_msgs++;
}

bool
cc_nft_batch_is_empty (const struct cc_nft_batch *b)
{
  return b->n_msgs == 0;
}

void
cc_nft_put (struct cc_nft_batch *b, uint16_t type, const void *data, size_t len)
{
  struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };

  cc_buf_append (&b->buf, &a, sizeof (a));
  cc_buf_append (&b->buf, data, len);
  pad (&b->buf);
}

void
cc_nft_put_str (struct cc_nft_batch *b, uint16_t type, const char *s)
{
  cc_nft_put (b, type, s, strlen (s) + 1);
}

void
cc_nft_put_u32 (struct cc_nft_batch *b, uint16_t type, uint32_t v)
{
  uint32_t be = htonl (v);

  cc_nft_put (b, type, &be, sizeof (be));
}

void
cc_nft_put_u64 (struct cc_nft_batch *b, uint16_t type, uint64_t v)
{
  uint64_t be = htobe64 (v);

  cc_nft_put (b, type, &be, sizeof (be));
}

void
cc_nft_nest (struct cc_nft_batch *b, uint16_t type)
{
  struct nlattr a = { .nla_len = 0, .nla_type = (uint16_t)(type | NLA_F_NESTED) };

  if (b->depth >= (int)CC_N_ELEMENTS (b->nest))
    abort (); /* our expressions nest four deep at most */
  b->nest[b->depth++] = b->buf.len;
  cc_buf_append (&b->buf, &a, sizeof (a));
}

void
cc_nft_nest_end (struct cc_nft_batch *b)
{
  size_t off = b->nest[--b->depth];
  struct nlattr *a = at (b, off);

  a->nla_len = (uint16_t)(b->buf.len - off);
}

/* Reading.  */

static int
recv_some (struct cc_nft_sock *s, char *buf, int flags, ssize_t *len, cc_error_t *err)
{
  do
    *len = recv (s->fd, buf, RECV_BUF_SIZE, flags);
  while (*len < 0 && errno == EINTR);
  if (*len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return 0;
  if (*len < 0)
    {
      int e = errno;

      discard (s);
      return cc_error_make (err, e, "nftables: receive from the kernel");
    }
  return 0;
}

/* The text an extended ack carries after the original header
   (NETLINK_CAP_ACK: only the header is echoed).  */
static const char *
ack_message (const struct nlmsghdr *h)
{
  const struct nlmsgerr *e = NLMSG_DATA (h);
  size_t off = NLMSG_HDRLEN + sizeof (*e);
  const struct nlattr *a;

  if (! (h->nlmsg_flags & NLM_F_ACK_TLVS))
    return NULL;
  if (! (h->nlmsg_flags & NLM_F_CAPPED))
    off += NLMSG_ALIGN (e->msg.nlmsg_len) - NLMSG_HDRLEN;
  for (a = (const void *)((const char *)h + off);
       (const char *)a + NLA_HDRLEN <= (const char *)h + h->nlmsg_len && a->nla_len >= NLA_HDRLEN;
       a = (const void *)((const char *)a + NLA_ALIGN (a->nla_len)))
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && a->nla_len > NLA_HDRLEN)
      return (const char *)a + NLA_HDRLEN;
  return NULL;
}

static int
ack_error (const struct nlmsghdr *h, const char *what, cc_error_t *err)
{
  const struct nlmsgerr *e = NLMSG_DATA (h);
  const char *msg = ack_message (h);

  if (msg)
    return cc_error_make (err, -e->error, "nftables: %s: %s", what, msg);
  return cc_error_make (err, -e->error, "nftables: %s", what);
}

/* Commit.  */

static void
batch_end (struct cc_nft_batch *b)
{
  close_msg (b);
  open_msg (b, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  close_msg (b);
}

/* The last message asks for an acknowledgement: the kernel handles a
   batch inside sendmsg(), so when it returns, that ack and an error for
   every message that failed are queued.  An ack per message could
   overflow the receive queue on a large batch.  */
static void
ask_last_ack (struct cc_nft_batch *b, size_t last)
{
  struct nlmsghdr *h = at (b, last);

  h->nlmsg_flags |= NLM_F_ACK;
}

static int
send_all (struct cc_nft_sock *s, const struct cc_buf *buf, cc_error_t *err)
{
  int size = (int)buf->len * 2;
  ssize_t n;

  /* A batch larger than the socket's send buffer is refused whole.  */
  if (buf->len > 100000 && setsockopt (s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof (size)) < 0)
    setsockopt (s->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof (size));
  do
    n = send (s->fd, buf->data, buf->len, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return cc_error_make (err, errno, "nftables: send a transaction of %zu bytes", buf->len);
  return 0;
}

/* Every reply queued for the batch: the first error wins.  */
static int
read_acks (struct cc_nft_sock *s, bool *acked, cc_error_t *err)
{
  cleanup_free char *buf = xmalloc (RECV_BUF_SIZE);
  cc_error_t first = NULL;
  ssize_t len;

  for (;;)
    {
      if (recv_some (s, buf, MSG_DONTWAIT, &len, &first) < 0 || len <= 0)
        break;
      for (struct nlmsghdr *h = (void *)buf; NLMSG_OK (h, (size_t)len); h = NLMSG_NEXT (h, len))
        {
          const struct nlmsgerr *e = NLMSG_DATA (h);

          if (h->nlmsg_type != NLMSG_ERROR)
            continue;
          if (e->error == 0)
            *acked = true;
          else if (first == NULL)
            ack_error (h, "transaction refused", &first);
        }
    }
  if (first)
    {
      *err = first;
      return -1;
    }
  return 0;
}

int
cc_nft_commit (struct cc_nft_sock *s, struct cc_nft_batch *b, cc_error_t *err)
{
  size_t last;
  bool acked = false;

  close_msg (b);
  if (b->n_msgs == 0)
    return 0;
  /* The last message before the end: its header is where close_msg
     left the previous message's end, found by walking.  */
  last = 0;
  for (size_t off = 0; off < b->buf.len; off += NLMSG_ALIGN (((struct nlmsghdr *)at (b, off))->nlmsg_len))
    last = off;
  ask_last_ack (b, last);
  batch_end (b);
  if (send_all (s, &b->buf, err) < 0 || read_acks (s, &acked, err) < 0)
    return -1;
  if (! acked)
    return cc_error_make (err, EIO, "nftables: no answer to a transaction of %zu messages", b->n_msgs);
  return 0;
}

/* Requests and dumps.  */

static int
request (struct cc_nft_sock *s, uint16_t type, uint16_t flags, uint32_t *seq, cc_error_t *err)
{
  cleanup_nft_batch struct cc_nft_batch b = { 0 };

  memset (&b, 0, sizeof (b));
  b.msg = (size_t)-1;
  b.seq = *seq = s->seq++;
  open_msg (&b, nft_type (type), flags, AF_UNSPEC, 0);
  close_msg (&b);
  return send_all (s, &b.buf, err);
}

struct reader
{
  uint16_t want; /* the reply type, NFT_MSG_NEW* */
  int maxattr;
  cc_nft_dump_fn fn;
  void *data;
  bool done, interrupted;
};

static int
read_one (struct reader *r, const struct nlmsghdr *h, const char *what, cc_error_t *err)
{
  const struct nfgenmsg *g = NLMSG_DATA (h);
  struct nlattr *tb[64] = { 0 };

  if (h->nlmsg_flags & NLM_F_DUMP_INTR)
    r->interrupted = true;
  if (h->nlmsg_type == NLMSG_DONE)
    {
      r->done = true;
      return 0;
    }
  if (h->nlmsg_type == NLMSG_ERROR)
    {
      const struct nlmsgerr *e = NLMSG_DATA (h);

      r->done = true;
      return e->error ? ack_error (h, what, err) : 0;
    }
  if (h->nlmsg_type != nft_type (r->want) || r->maxattr >= (int)CC_N_ELEMENTS (tb))
    return 0;
  if (nla_parse (tb, r->maxattr, (struct nlattr *)((char *)NLMSG_DATA (h) + NLMSG_ALIGN (sizeof (*g))),
                 (int)(h->nlmsg_len - NLMSG_SPACE (sizeof (*g))), NULL)
      < 0)
    return cc_error_make (err, EPROTO, "nftables: %s: malformed message", what);
  r->fn (tb, g->nfgen_family, r->data);
  return 0;
}

static int
read_replies (struct cc_nft_sock *s, struct reader *r, uint32_t seq, bool single, const char *what, cc_error_t *err)
{
  cleanup_free char *buf = xmalloc (RECV_BUF_SIZE);
  ssize_t len;

  while (! r->done)
    {
      if (recv_some (s, buf, 0, &len, err) < 0)
        return -1;
      if (len <= 0)
        {
          discard (s);
          return cc_error_make (err, EIO, "nftables: %s: no answer", what);
        }
      for (struct nlmsghdr *h = (void *)buf; NLMSG_OK (h, (size_t)len); h = NLMSG_NEXT (h, len))
        {
          if (h->nlmsg_seq != seq)
            continue;
          if (read_one (r, h, what, err) < 0)
            {
              discard (s);
              return -1;
            }
          if (single && h->nlmsg_type == nft_type (r->want))
            r->done = true;
        }
    }
  if (r->interrupted)
    return cc_error_make (err, ERESTART, "nftables: %s: the ruleset changed meanwhile", what);
  return 0;
}

int
cc_nft_dump (struct cc_nft_sock *s, uint16_t type, int maxattr, cc_nft_dump_fn fn, void *data, cc_error_t *err)
{
  struct reader r = { (uint16_t)(type - 1), maxattr, fn, data, false, false };
  uint32_t seq;

  /* NFT_MSG_GETTABLE's answers are NFT_MSG_NEWTABLE, and so on: each
     GET follows its NEW in the kernel's enum.  */
  if (request (s, type, NLM_F_DUMP, &seq, err) < 0)
    return -1;
  return read_replies (s, &r, seq, false, "list the ruleset", err);
}

static void
take_genid (struct nlattr **tb, uint8_t family, void *data)
{
  (void)family;
  *(uint32_t *)data = cc_nft_u32 (tb[NFTA_GEN_ID], 0);
}

int
cc_nft_genid (struct cc_nft_sock *s, uint32_t *out, cc_error_t *err)
{
  struct reader r = { NFT_MSG_NEWGEN, NFTA_GEN_MAX, take_genid, out, false, false };
  uint32_t seq;

  *out = 0;
  if (request (s, NFT_MSG_GETGEN, 0, &seq, err) < 0)
    return -1;
  return read_replies (s, &r, seq, true, "read the ruleset's generation", err);
}

const char *
cc_nft_str (const struct nlattr *a)
{
  if (a == NULL || nla_len (a) <= 0 || ((const char *)nla_data (a))[nla_len (a) - 1] != '\0')
    return NULL;
  return nla_data (a);
}

uint32_t
cc_nft_u32 (const struct nlattr *a, uint32_t dflt)
{
  uint32_t v;

  if (a == NULL || nla_len (a) < (int)sizeof (v))
    return dflt;
  memcpy (&v, nla_data (a), sizeof (v));
  return ntohl (v);
}

uint64_t
cc_nft_u64 (const struct nlattr *a, uint64_t dflt)
{
  uint64_t v;

  if (a == NULL || nla_len (a) < (int)sizeof (v))
    return dflt;
  memcpy (&v, nla_data (a), sizeof (v));
  return be64toh (v);
}
