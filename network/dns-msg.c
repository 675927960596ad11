/* DNS messages at 127.0.0.11 (dns.h): the parser of what a container
   sends and the builder of what it gets back.  Everything here reads
   bytes a hostile container chose, so every read is checked against the
   message's length before it is made; nothing allocates.  RFC 1035 4.1,
   RFC 6891 (EDNS) 6.1.  */
#include <string.h>

#include "network/dns.h"
#include "network/wire.h"

#define FLAG_QR 0x8000u
#define FLAG_TC 0x0200u
#define FLAG_RD 0x0100u
#define FLAG_RA 0x0080u
#define OPCODE(f) (((f) >> 11) & 0xfu)
/* The payload size we announce in our OPT record: DNS Flag Day 2020's
   value, below any path MTU.  */
#define OUR_UDP_SIZE 1232
#define OPT_RR_LEN 11
#define MAX_LABEL 63
#define MAX_WIRE_NAME 255

static bool
is_plain_byte (uint8_t c)
{
  return c > 0x20 && c < 0x7f && c != '.';
}

/* The question's name at OFF: uncompressed labels (a query has nothing
   before its question to point at), at most 255 bytes on the wire.
   Returns the offset past it, or 0.  */
static size_t
parse_qname (const uint8_t *msg, size_t len, size_t off, struct cc_dns_query *q)
{
  size_t out = 0, start = off;

  q->plain = true;
  for (;;)
    {
      uint8_t n;
      if (off >= len)
        return 0;
      n = msg[off++];
      if (n == 0)
        break;
      if (n > MAX_LABEL || off + n > len || off - start + n + 1 > MAX_WIRE_NAME)
        return 0;
      if (out)
        q->name[out++] = '.';
      for (uint8_t i = 0; i < n; i++)
        {
          uint8_t c = msg[off + i];
          q->plain &= is_plain_byte (c);
          q->name[out++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
      off += n;
    }
  q->name[out] = '\0';
  return off;
}

/* A name in another section: labels, ended by a zero or a pointer
   (not followed: only its length matters here).  */
static size_t
skip_name (const uint8_t *msg, size_t len, size_t off)
{
  for (size_t hops = 0; hops < MAX_WIRE_NAME; hops++)
    {
      uint8_t n;
      if (off >= len)
        return 0;
      n = msg[off];
      if ((n & 0xc0) == 0xc0)
        return off + 2 <= len ? off + 2 : 0;
      if (n > MAX_LABEL)
        return 0;
      off += 1u + n;
      if (n == 0)
        return off <= len ? off : 0;
    }
  return 0;
}

/* The records after the question; the OPT record, if any, sets EDNS.
   0 when they are well formed.  */
static int
parse_records (const uint8_t *msg, size_t len, size_t off, unsigned count, unsigned additional_from,
               struct cc_dns_query *q)
{
  for (unsigned i = 0; i < count; i++)
    {
      uint16_t type, rdlen;
      if ((off = skip_name (msg, len, off)) == 0 || off + 10 > len)
        return -1;
      type = cc_get16 (msg + off);
      rdlen = cc_get16 (msg + off + 8);
      if (type == CC_DNS_T_OPT)
        {
          /* One OPT, in the additional section, owned by the root.  */
          if (q->edns || i < additional_from || msg[off - 1] != 0)
            return -1;
          q->edns = true;
          q->udp_size = cc_get16 (msg + off + 2);
        }
      off += 10;
      if (off + rdlen > len)
        return -1;
      off += rdlen;
    }
  return 0;
}

static enum cc_dns_verdict
reply_error (struct cc_dns_query *q, uint8_t rcode)
{
  q->rcode = rcode;
  return CC_DNS_REPLY_ERROR;
}

enum cc_dns_verdict
cc_dns_parse_query (const uint8_t *msg, size_t len, struct cc_dns_query *q)
{
  uint16_t flags;
  unsigned an, ns, ar;
  size_t off;

  memset (q, 0, sizeof (*q));
  q->udp_size = 512;
  /* Without a whole header there is no ID to answer to; a response
     (QR set) is never answered, or two resolvers could echo forever.  */
  if (msg == NULL || len < CC_DNS_HEADER || len > CC_DNS_MAX_TCP)
    return CC_DNS_DROP;
  q->id = cc_get16 (msg);
  flags = cc_get16 (msg + 2);
  if (flags & FLAG_QR)
    return CC_DNS_DROP;
  q->rd = (flags & FLAG_RD) != 0;
  if (OPCODE (flags) != 0)
    return reply_error (q, CC_DNS_NOTIMP);
  if (cc_get16 (msg + 4) != 1)
    return reply_error (q, CC_DNS_FORMERR);
  off = parse_qname (msg, len, CC_DNS_HEADER, q);
  if (off == 0 || off + 4 > len)
    return reply_error (q, CC_DNS_FORMERR);
  q->qtype = cc_get16 (msg + off);
  q->qclass = cc_get16 (msg + off + 2);
  q->qend = off + 4;
  an = cc_get16 (msg + 6);
  ns = cc_get16 (msg + 8);
  ar = cc_get16 (msg + 10);
  if (parse_records (msg, len, q->qend, an + ns + ar, an + ns, q) < 0)
    return reply_error (q, CC_DNS_FORMERR);
  return CC_DNS_QUERY;
}

size_t
cc_dns_udp_limit (const struct cc_dns_query *q)
{
  if (! q->edns || q->udp_size <= 512)
    return 512;
  return q->udp_size > 4096 ? 4096 : q->udp_size;
}

/* A name in wire form at OUT (room for CAP bytes); its length, or 0 when
   NAME is no valid name or does not fit.  */
static size_t
put_name (uint8_t *out, size_t cap, const char *name)
{
  size_t n = 0;

  while (*name)
    {
      size_t label = strcspn (name, ".");
      if (label == 0 || label > MAX_LABEL || n + 1 + label + 1 > cap || n + 1 + label + 1 > MAX_WIRE_NAME)
        return 0;
      out[n++] = (uint8_t)label;
      memcpy (out + n, name, label);
      n += label;
      name += label;
      if (*name == '.')
        name++;
    }
  if (n + 1 > cap)
    return 0;
  out[n++] = 0;
  return n;
}

/* One answer owned by the question's name (a pointer to offset 12).  */
static size_t
put_rr_header (uint8_t *p, uint16_t type, uint16_t rdlen)
{
  cc_put16 (p, 0xc000 | CC_DNS_HEADER);
  cc_put16 (p + 2, type);
  cc_put16 (p + 4, CC_DNS_C_IN);
  cc_put32 (p + 6, CC_DNS_TTL);
  cc_put16 (p + 10, rdlen);
  return 12;
}

struct writer
{
  uint8_t *out;
  size_t len, max;
  unsigned answers;
  bool truncated;
};

static void
add_a (struct writer *w, uint32_t ip)
{
  if (w->truncated || w->len + 16 > w->max)
    {
      w->truncated = true;
      return;
    }
  w->len += put_rr_header (w->out + w->len, CC_DNS_T_A, 4);
  cc_put32 (w->out + w->len, ip);
  w->len += 4;
  w->answers++;
}

static void
add_aaaa (struct writer *w, const struct in6_addr *ip)
{
  if (w->truncated || w->len + 28 > w->max)
    {
      w->truncated = true;
      return;
    }
  w->len += put_rr_header (w->out + w->len, CC_DNS_T_AAAA, 16);
  memcpy (w->out + w->len, ip->s6_addr, 16);
  w->len += 16;
  w->answers++;
}

static void
add_ptr (struct writer *w, const char *target)
{
  uint8_t name[MAX_WIRE_NAME];
  size_t n = put_name (name, sizeof (name), target);

  if (n == 0)
    return;
  if (w->len + 12 + n > w->max)
    {
      w->truncated = true;
      return;
    }
  w->len += put_rr_header (w->out + w->len, CC_DNS_T_PTR, (uint16_t)n);
  memcpy (w->out + w->len, name, n);
  w->len += n;
  w->answers++;
}

static void
add_opt (struct writer *w)
{
  uint8_t *p = w->out + w->len;

  p[0] = 0;
  cc_put16 (p + 1, CC_DNS_T_OPT);
  cc_put16 (p + 3, OUR_UDP_SIZE);
  cc_put32 (p + 5, 0);
  cc_put16 (p + 9, 0);
  w->len += OPT_RR_LEN;
}

size_t
cc_dns_build_reply (const uint8_t *msg, const struct cc_dns_query *q, const struct cc_dns_answer *a, uint8_t *out,
                    size_t max)
{
  /* The OPT record is kept room for first: it is what tells an EDNS
     client the reply was cut because of its size.  */
  size_t reserve = q->edns ? OPT_RR_LEN : 0;
  size_t qlen = q->qend ? q->qend - CC_DNS_HEADER : 0;
  struct writer w = { .out = out, .len = CC_DNS_HEADER + qlen, .max = max > reserve ? max - reserve : 0 };
  uint16_t flags = FLAG_QR | FLAG_RA | (q->rd ? FLAG_RD : 0) | (a->rcode & 0xf);

  if (w.len > w.max)
    return 0;
  memcpy (out + CC_DNS_HEADER, msg + CC_DNS_HEADER, qlen);
  for (size_t i = 0; q->qend && i < a->n_a; i++)
    add_a (&w, a->a[i]);
  for (size_t i = 0; q->qend && i < a->n_aaaa; i++)
    add_aaaa (&w, &a->aaaa[i]);
  if (q->qend && a->ptr)
    add_ptr (&w, a->ptr);
  if (q->edns)
    add_opt (&w);
  cc_put16 (out, q->id);
  cc_put16 (out + 2, (uint16_t)(flags | (w.truncated ? FLAG_TC : 0)));
  cc_put16 (out + 4, q->qend ? 1 : 0);
  cc_put16 (out + 6, (uint16_t)w.answers);
  cc_put16 (out + 8, 0);
  cc_put16 (out + 10, q->edns ? 1 : 0);
  return w.len;
}

static uint8_t
lower (uint8_t c)
{
  return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

bool
cc_dns_reply_matches (const uint8_t *reply, size_t len, uint16_t id, const uint8_t *query, size_t qend)
{
  if (len < qend || qend <= CC_DNS_HEADER || cc_get16 (reply) != id || ! (cc_get16 (reply + 2) & FLAG_QR)
      || OPCODE (cc_get16 (reply + 2)) != 0 || cc_get16 (reply + 4) != 1)
    return false;
  /* The question is compared as it was sent: the name's labels, then
     type and class.  A compressed name cannot be the same bytes.  */
  for (size_t i = CC_DNS_HEADER; i < qend; i++)
    if (lower (reply[i]) != lower (query[i]))
      return false;
  return true;
}

/* One decimal octet of a reverse name, canonical (no sign, no leading
   zero): anything else names another address than the one written.  */
static const char *
parse_octet (const char *p, unsigned *out)
{
  unsigned v = 0;
  size_t n = 0;

  while (p[n] >= '0' && p[n] <= '9' && n < 4)
    v = v * 10 + (unsigned)(p[n++] - '0');
  if (n == 0 || n > 3 || v > 255 || (n > 1 && p[0] == '0'))
    return NULL;
  *out = v;
  return p + n;
}

bool
cc_dns_ptr_address (const char *name, uint32_t *addr)
{
  unsigned o[4];
  const char *p = name;

  for (int i = 0; i < 4; i++)
    if ((p = parse_octet (p, &o[i])) == NULL || *p++ != '.')
      return false;
  if (strcmp (p, "in-addr.arpa") != 0)
    return false;
  *addr = (uint32_t)o[3] << 24 | (uint32_t)o[2] << 16 | (uint32_t)o[1] << 8 | o[0];
  return true;
}
