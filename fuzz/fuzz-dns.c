/* The embedded DNS (network/dns.h), fed what a container or an upstream
   could send.  The first byte picks what the rest is:

     0  a message arriving at 127.0.0.11: parsed, then answered (no data,
        NXDOMAIN, A records, a PTR to the asked name) into buffers from
        0 bytes to 64 KiB
     1  a reply from an upstream, checked against a fixed question; and
        the same bytes as a reverse name
     2  a network state document: the record table of project "p", every
        scope asked for a few names and every member's address

   Checked: a reply never exceeds its room, carries the query's ID with
   QR set and at most the records it was given, is itself never taken
   for a query (so two resolvers cannot loop), and matches the question
   it answers; lookups return only addresses of the table's members.  */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"
#include "network/dns.h"

CC_FUZZ_QUIET_INIT

static uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static void
check_reply (const uint8_t *msg, const struct cc_dns_query *q, const struct cc_dns_answer *a, size_t max)
{
  uint8_t *out = xmalloc (max ? max : 1);
  size_t len = cc_dns_build_reply (msg, q, a, out, max);
  struct cc_dns_query again;

  if (len > max)
    abort ();
  if (len == 0)
    goto done;
  if (len < CC_DNS_HEADER || get16 (out) != q->id || ! (out[2] & 0x80)
      || get16 (out + 6) > a->n_a + (a->ptr ? 1 : 0) || get16 (out + 4) > 1)
    abort ();
  if (cc_dns_parse_query (out, len, &again) != CC_DNS_DROP)
    abort ();
  if (q->qend > CC_DNS_HEADER && ! cc_dns_reply_matches (out, len, q->id, msg, q->qend))
    abort ();
done:
  free (out);
}

static void
message (const uint8_t *data, size_t size)
{
  static const uint32_t addrs[] = { 0x0a590002, 0x0a590003, 0x0a590004, 0x7f00000b };
  static const size_t rooms[] = { 0, 11, 12, 40, 512, 1232, 4096, 65535 };
  struct cc_dns_query q;
  enum cc_dns_verdict v = cc_dns_parse_query (data, size, &q);

  if (v == CC_DNS_DROP)
    return;
  if (v == CC_DNS_QUERY && (q.qend > size || strlen (q.name) > 253 || cc_dns_udp_limit (&q) > 4096))
    abort ();
  for (size_t i = 0; i < CC_N_ELEMENTS (rooms); i++)
    {
      struct cc_dns_answer none = { .rcode = v == CC_DNS_QUERY ? CC_DNS_NOERROR : q.rcode };
      struct cc_dns_answer nx = { .rcode = CC_DNS_NXDOMAIN };
      struct cc_dns_answer some = { .rcode = CC_DNS_NOERROR, .a = addrs, .n_a = size % 5 };
      struct cc_dns_answer ptr = { .rcode = CC_DNS_NOERROR, .ptr = q.name };
      check_reply (data, &q, &none, rooms[i]);
      check_reply (data, &q, &nx, rooms[i]);
      check_reply (data, &q, &some, rooms[i]);
      check_reply (data, &q, &ptr, rooms[i]);
    }
}

static void
upstream_reply (const uint8_t *data, size_t size)
{
  static const uint8_t query[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3,    'w', 'e', 'b',
                                   7,    'e',  'x',  'a',  'm', 'p', 'l', 'e', 0, 0, 1, 0, 1 };
  cleanup_free char *text = xmalloc (size + 1);
  uint32_t ip;

  cc_dns_reply_matches (data, size, 0x1234, query, sizeof (query));
  memcpy (text, data, size);
  text[size] = '\0';
  cc_dns_ptr_address (text, &ip);
}

static bool
every_other (const char *container, void *data)
{
  (void)data;
  return strlen (container) % 2 == 0;
}

static bool
is_member (const struct cc_dns_table *t, uint32_t ip)
{
  for (size_t i = 0; i < t->n_networks; i++)
    for (size_t k = 0; k < t->networks[i].n_members; k++)
      if (t->networks[i].members[k].ip == ip)
        return true;
  return false;
}

static void
state (const uint8_t *data, size_t size)
{
  static const char *const names[] = { "web", "p-web-1", "web.p_default", "a.b.c.d", "", ".", "db.", "x..y" };
  cleanup_free char *text = xmalloc (size + 1);
  cleanup_cjson cJSON *root = NULL;
  cleanup_dns_table struct cc_dns_table *t = NULL;

  memcpy (text, data, size);
  text[size] = '\0';
  if (cc_json_parse (text, "state", &root, NULL) < 0)
    return;
  t = cc_dns_table_build (root, "p");
  for (size_t s = 0; s < t->n_scopes; s++)
    {
      for (size_t i = 0; i < CC_N_ELEMENTS (names); i++)
        {
          uint32_t out[8];
          size_t n = 0;
          cc_dns_lookup (t, &t->scopes[s], names[i], every_other, NULL, out, 8, &n);
          for (size_t k = 0; k < n; k++)
            if (n > 8 || ! is_member (t, out[k]))
              abort ();
        }
      for (size_t i = 0; i < t->n_networks; i++)
        for (size_t k = 0; k < t->networks[i].n_members; k++)
          cc_dns_reverse (t, &t->scopes[s], t->networks[i].members[k].ip, every_other, NULL);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static void (*const modes[]) (const uint8_t *data, size_t size) = { message, upstream_reply, state };

  if (size == 0 || size > CC_FUZZ_MAX_INPUT)
    return -1;
  modes[data[0] % CC_N_ELEMENTS (modes)](data + 1, size - 1);
  return 0;
}
