/* The embedded DNS's pure parts (network/dns.h): the message codec
   against well-formed and hostile messages, and the record table's
   lookups as Docker answers them (scopes, replicas, health, aliases,
   "<name>.<network>", PTR, one-off containers, forwarding policy).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"
#include "network/dns.h"

/* ---- messages -------------------------------------------------------------- */

struct msg
{
  uint8_t b[600];
  size_t len;
};

static void
put (struct msg *m, const void *p, size_t n)
{
  assert_true (m->len + n <= sizeof (m->b));
  memcpy (m->b + m->len, p, n);
  m->len += n;
}

static void
put16 (struct msg *m, uint16_t v)
{
  uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
  put (m, b, 2);
}

static void
put_name (struct msg *m, const char *name)
{
  while (*name)
    {
      size_t n = strcspn (name, ".");
      uint8_t len = (uint8_t)n;
      put (m, &len, 1);
      put (m, name, n);
      name += n + (name[n] == '.');
    }
  put (m, "", 1);
}

/* A query as resolvers send it: ID 0x1234, RD, one question.  */
static struct msg
query (const char *name, uint16_t type, bool edns)
{
  struct msg m = { .len = 0 };

  put16 (&m, 0x1234);
  put16 (&m, 0x0100);
  put16 (&m, 1);
  put16 (&m, 0);
  put16 (&m, 0);
  put16 (&m, edns ? 1 : 0);
  put_name (&m, name);
  put16 (&m, type);
  put16 (&m, CC_DNS_C_IN);
  if (edns)
    {
      static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 }; /* size 1232 */
      put (&m, opt, sizeof (opt));
    }
  return m;
}

static void
test_parse_query (void **state)
{
  struct msg m = query ("Web.Example", CC_DNS_T_A, false);
  struct cc_dns_query q;

  (void)state;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_QUERY);
  assert_int_equal (q.id, 0x1234);
  assert_true (q.rd);
  assert_string_equal (q.name, "web.example");
  assert_true (q.plain);
  assert_int_equal (q.qtype, CC_DNS_T_A);
  assert_int_equal (q.qend, m.len);
  assert_false (q.edns);
  assert_int_equal (cc_dns_udp_limit (&q), 512);

  m = query ("web", CC_DNS_T_AAAA, true);
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_QUERY);
  assert_true (q.edns);
  assert_int_equal (q.udp_size, 1232);
  assert_int_equal (cc_dns_udp_limit (&q), 1232);
}

static void
test_parse_refuses_what_is_no_query (void **state)
{
  struct msg m = query ("web", CC_DNS_T_A, false);
  struct cc_dns_query q;

  (void)state;
  /* No header: nothing to answer to.  */
  assert_int_equal (cc_dns_parse_query (m.b, 11, &q), CC_DNS_DROP);
  assert_int_equal (cc_dns_parse_query (NULL, 0, &q), CC_DNS_DROP);
  /* A response is never answered (two resolvers would echo forever).  */
  m.b[2] |= 0x80;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_DROP);
  m.b[2] &= 0x7f;
  /* Opcode STATUS: not implemented.  */
  m.b[2] |= 2 << 3;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_REPLY_ERROR);
  assert_int_equal (q.rcode, CC_DNS_NOTIMP);
  assert_int_equal (q.qend, 0);
  m.b[2] &= (uint8_t) ~(0xf << 3);
  /* Two questions, or none.  */
  m.b[5] = 2;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_REPLY_ERROR);
  assert_int_equal (q.rcode, CC_DNS_FORMERR);
  m.b[5] = 0;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_REPLY_ERROR);
  m.b[5] = 1;
  /* Cut in the name, and in the type.  */
  assert_int_equal (cc_dns_parse_query (m.b, 14, &q), CC_DNS_REPLY_ERROR);
  assert_int_equal (cc_dns_parse_query (m.b, m.len - 3, &q), CC_DNS_REPLY_ERROR);
}

static void
test_parse_refuses_bad_names (void **state)
{
  struct msg m = query ("web", CC_DNS_T_A, false);
  struct msg deep = { .len = 0 };
  struct cc_dns_query q;
  char label[64];

  (void)state;
  /* A compression pointer in the question points at nothing of ours.  */
  m.b[12] = 0xc0;
  m.b[13] = 12;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_REPLY_ERROR);
  /* A label of 64 bytes.  */
  m = query ("web", CC_DNS_T_A, false);
  m.b[12] = 64;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_REPLY_ERROR);
  /* A name over 255 bytes: five labels of 63.  */
  memset (label, 'a', 63);
  label[63] = '\0';
  put16 (&deep, 1);
  put16 (&deep, 0);
  put16 (&deep, 1);
  put16 (&deep, 0);
  put16 (&deep, 0);
  put16 (&deep, 0);
  for (int i = 0; i < 5; i++)
    {
      uint8_t n = 63;
      put (&deep, &n, 1);
      put (&deep, label, 63);
    }
  put (&deep, "\0\0\1\0\1", 5);
  assert_int_equal (cc_dns_parse_query (deep.b, deep.len, &q), CC_DNS_REPLY_ERROR);
  /* A label with a dot or a control byte is not a name we hold.  */
  m = query ("web", CC_DNS_T_A, false);
  m.b[14] = '.';
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_QUERY);
  assert_false (q.plain);
  m.b[14] = 0;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_QUERY);
  assert_false (q.plain);
}

static void
test_parse_additional_records (void **state)
{
  struct msg m = query ("web", CC_DNS_T_A, true);
  struct msg two = query ("web", CC_DNS_T_A, true);
  struct cc_dns_query q;
  static const uint8_t opt[] = { 0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0 };

  (void)state;
  /* Two OPT records (RFC 6891 6.1.1): FORMERR.  */
  put (&two, opt, sizeof (opt));
  two.b[11] = 2;
  assert_int_equal (cc_dns_parse_query (two.b, two.len, &q), CC_DNS_REPLY_ERROR);
  /* An RDLENGTH past the end.  */
  m.b[m.len - 1] = 200;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_REPLY_ERROR);
  /* Counts that promise more records than there are bytes.  */
  m = query ("web", CC_DNS_T_A, false);
  m.b[7] = 0xff;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_REPLY_ERROR);
}

static uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static void
test_build_reply (void **state)
{
  struct msg m = query ("WEB", CC_DNS_T_A, false);
  uint32_t addrs[] = { 0x0a590002, 0x0a590003, 0x0a590004 };
  struct cc_dns_answer a = { .rcode = CC_DNS_NOERROR, .a = addrs, .n_a = 3 };
  struct cc_dns_query q;
  uint8_t out[512];
  size_t len;

  (void)state;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_QUERY);
  len = cc_dns_build_reply (m.b, &q, &a, out, sizeof (out));
  assert_int_equal (len, m.len + 3 * 16);
  assert_int_equal (get16 (out), 0x1234);
  /* QR, RD echoed, RA; NOERROR.  */
  assert_int_equal (get16 (out + 2), 0x8180);
  assert_int_equal (get16 (out + 4), 1);
  assert_int_equal (get16 (out + 6), 3);
  /* The question as asked, case kept.  */
  assert_memory_equal (out + 12, m.b + 12, m.len - 12);
  /* First answer: pointer to the question's name, A, IN, TTL 600, 4 bytes.  */
  assert_int_equal (get16 (out + m.len), 0xc00c);
  assert_int_equal (get16 (out + m.len + 2), CC_DNS_T_A);
  assert_int_equal (get16 (out + m.len + 8), CC_DNS_TTL);
  assert_int_equal (get16 (out + m.len + 10), 4);
  assert_memory_equal (out + m.len + 12, "\x0a\x59\x00\x02", 4);
  /* Room for one answer: TC set, one answer kept.  */
  len = cc_dns_build_reply (m.b, &q, &a, out, m.len + 20);
  assert_int_equal (len, m.len + 16);
  assert_int_equal (get16 (out + 2) & 0x0200, 0x0200);
  assert_int_equal (get16 (out + 6), 1);
  /* Not even the question fits.  */
  assert_int_equal (cc_dns_build_reply (m.b, &q, &a, out, 10), 0);
}

static void
test_build_reply_edns_and_errors (void **state)
{
  struct msg m = query ("web", CC_DNS_T_A, true);
  struct msg bad = query ("web", CC_DNS_T_A, false);
  struct cc_dns_answer nx = { .rcode = CC_DNS_NXDOMAIN };
  struct cc_dns_answer ptr = { .rcode = CC_DNS_NOERROR, .ptr = "app-web-1.app_default" };
  struct cc_dns_query q;
  uint8_t out[512];
  size_t len;

  (void)state;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_QUERY);
  len = cc_dns_build_reply (m.b, &q, &nx, out, sizeof (out));
  /* Header, question, our OPT record.  */
  assert_int_equal (len, q.qend + 11);
  assert_int_equal (get16 (out + 2) & 0xf, CC_DNS_NXDOMAIN);
  assert_int_equal (get16 (out + 10), 1);
  assert_int_equal (get16 (out + q.qend + 1), CC_DNS_T_OPT);
  len = cc_dns_build_reply (m.b, &q, &ptr, out, sizeof (out));
  assert_int_equal (get16 (out + 6), 1);
  assert_int_equal (get16 (out + q.qend + 2), CC_DNS_T_PTR);
  assert_memory_equal (out + q.qend + 12,
                       "\x09"
                       "app-web-1"
                       "\x0b"
                       "app_default"
                       "\0",
                       23);
  /* A FORMERR for a question that did not parse: the header alone.  */
  bad.b[5] = 2;
  assert_int_equal (cc_dns_parse_query (bad.b, bad.len, &q), CC_DNS_REPLY_ERROR);
  nx.rcode = q.rcode;
  len = cc_dns_build_reply (bad.b, &q, &nx, out, sizeof (out));
  assert_int_equal (len, 12);
  assert_int_equal (get16 (out + 4), 0);
  assert_int_equal (get16 (out + 2) & 0xf, CC_DNS_FORMERR);
}

static void
test_reply_matches (void **state)
{
  struct msg m = query ("web.example", CC_DNS_T_A, false);
  struct msg r = query ("WEB.example", CC_DNS_T_A, false);
  struct msg other = query ("web.exampla", CC_DNS_T_A, false);
  struct cc_dns_query q;

  (void)state;
  assert_int_equal (cc_dns_parse_query (m.b, m.len, &q), CC_DNS_QUERY);
  r.b[2] |= 0x80;
  other.b[2] |= 0x80;
  assert_true (cc_dns_reply_matches (r.b, r.len, 0x1234, m.b, q.qend));
  assert_false (cc_dns_reply_matches (r.b, r.len, 0x1235, m.b, q.qend));
  assert_false (cc_dns_reply_matches (other.b, other.len, 0x1234, m.b, q.qend));
  assert_false (cc_dns_reply_matches (r.b, 20, 0x1234, m.b, q.qend));
  /* Not a response.  */
  r.b[2] &= 0x7f;
  assert_false (cc_dns_reply_matches (r.b, r.len, 0x1234, m.b, q.qend));
}

static void
test_ptr_address (void **state)
{
  uint32_t a = 0;

  (void)state;
  assert_true (cc_dns_ptr_address ("2.0.89.10.in-addr.arpa", &a));
  assert_int_equal (a, 0x0a590002);
  assert_true (cc_dns_ptr_address ("0.0.0.0.in-addr.arpa", &a));
  assert_false (cc_dns_ptr_address ("02.0.89.10.in-addr.arpa", &a));
  assert_false (cc_dns_ptr_address ("256.0.89.10.in-addr.arpa", &a));
  assert_false (cc_dns_ptr_address ("+2.0.89.10.in-addr.arpa", &a));
  assert_false (cc_dns_ptr_address ("0.89.10.in-addr.arpa", &a));
  assert_false (cc_dns_ptr_address ("1.2.0.89.10.in-addr.arpa", &a));
  assert_false (cc_dns_ptr_address ("2.0.89.10.ip6.arpa", &a));
  assert_false (cc_dns_ptr_address ("2.0.89.10.in-addr.arpa.x", &a));
}

/* ---- records --------------------------------------------------------------- */

/* app: web x3 (web-2 unhealthy in the tests that say so), db on "back"
   only, proxy with aliases on both; other: a container on app's front
   (external) and one on its own network; a one-off run container.  */
static const char state_json[]
    = "{\"networks\":["
      " {\"project\":\"app\",\"name\":\"front\",\"full_name\":\"app_front\",\"members\":["
      "  {\"container\":\"app-web-1\",\"service\":\"web\",\"ip\":\"10.89.0.2\",\"netns\":\"/ns/web1\","
      "   \"ifname\":\"eth0\",\"hostname\":\"Webhost\",\"dns\":[\"10.0.0.1\",\"127.0.0.11\",\"bad\"]},"
      "  "
      "{\"container\":\"app-web-2\",\"service\":\"web\",\"ip\":\"10.89.0.3\",\"netns\":\"/ns/"
      "web2\",\"ifname\":\"eth0\"},"
      "  "
      "{\"container\":\"app-web-3\",\"service\":\"web\",\"ip\":\"10.89.0.4\",\"netns\":\"/ns/"
      "web3\",\"ifname\":\"eth0\"},"
      "  {\"container\":\"app-proxy-1\",\"service\":\"proxy\",\"ip\":\"10.89.0.5\",\"netns\":\"/ns/proxy\","
      "   \"ifname\":\"eth1\",\"aliases\":[\"Edge\",\"proxy\"]},"
      "  {\"container\":\"app-web-run-x\",\"service\":\"web\",\"oneoff\":true,\"ip\":\"10.89.0.9\","
      "   \"netns\":\"/ns/run\",\"ifname\":\"eth0\"},"
      "  {\"container\":\"other-cli-1\",\"project\":\"other\",\"key\":\"outside\",\"service\":\"cli\","
      "   \"ip\":\"10.89.0.6\",\"netns\":\"/ns/cli\",\"ifname\":\"eth1\"}]},"
      " {\"project\":\"app\",\"name\":\"back\",\"internal\":true,\"members\":["
      "  {\"container\":\"app-proxy-1\",\"service\":\"proxy\",\"ip\":\"10.89.1.2\",\"netns\":\"/ns/proxy\","
      "   \"ifname\":\"eth0\",\"aliases\":[\"edge\"]},"
      "  {\"container\":\"app-db-1\",\"service\":\"db\",\"ip\":\"10.89.1.3\",\"netns\":\"/ns/db\",\"ifname\":\"eth0\"},"
      "  "
      "{\"container\":\"app-web-1\",\"service\":\"web\",\"ip\":\"10.89.1.4\",\"netns\":\"/ns/"
      "web1\",\"ifname\":\"eth1\"}]},"
      " {\"project\":\"other\",\"name\":\"default\",\"members\":["
      "  "
      "{\"container\":\"other-cli-1\",\"service\":\"cli\",\"ip\":\"10.89.2.2\",\"netns\":\"/ns/"
      "cli\",\"ifname\":\"eth0\"},"
      "  {\"container\":\"other-web-1\",\"service\":\"web\",\"ip\":\"10.89.2.3\",\"netns\":\"/ns/oweb\","
      "   \"ifname\":\"eth0\"}]}"
      "]}";

static const char *down_list[8];

static bool
eligible (const char *container, void *data)
{
  (void)data;
  for (size_t i = 0; down_list[i]; i++)
    if (strcmp (down_list[i], container) == 0)
      return false;
  return true;
}

static struct cc_dns_table *
table_of (const char *project)
{
  cleanup_cjson cJSON *st = NULL;

  assert_int_equal (cc_json_parse (state_json, "state", &st, NULL), 0);
  return cc_dns_table_build (st, project);
}

static enum cc_dns_found
look (const struct cc_dns_table *t, const char *netns, const char *name, uint32_t *out, size_t *n)
{
  const struct cc_dns_scope *s = cc_dns_table_scope (t, netns);

  assert_non_null (s);
  return cc_dns_lookup (t, s, name, eligible, NULL, out, 16, n);
}

static void
test_lookup_replicas_and_names (void **state)
{
  cleanup_dns_table struct cc_dns_table *t = table_of ("app");
  uint32_t a[16];
  size_t n;

  (void)state;
  memset (down_list, 0, sizeof (down_list));
  /* The service: every replica, in order (the responder rotates).  */
  assert_int_equal (look (t, "/ns/web2", "web", a, &n), CC_DNS_FOUND);
  assert_int_equal (n, 3);
  assert_int_equal (a[0], 0x0a590002);
  assert_int_equal (a[2], 0x0a590004);
  /* The first network of the asker's that knows a name answers it, as
     in Docker: proxy's eth0 is "back", with one web.  */
  assert_int_equal (look (t, "/ns/proxy", "web", a, &n), CC_DNS_FOUND);
  assert_true (n == 1 && a[0] == 0x0a590104);
  /* Container name, alias (any case), hostname.  */
  assert_int_equal (look (t, "/ns/proxy", "app-web-2", a, &n), CC_DNS_FOUND);
  assert_true (n == 1 && a[0] == 0x0a590003);
  assert_int_equal (look (t, "/ns/web2", "edge", a, &n), CC_DNS_FOUND);
  assert_true (n == 1 && a[0] == 0x0a590005);
  assert_int_equal (look (t, "/ns/web2", "webhost", a, &n), CC_DNS_FOUND);
  assert_true (n == 1 && a[0] == 0x0a590002);
  /* proxy's eth0 is "back": its name there comes first, as in Docker.  */
  assert_int_equal (look (t, "/ns/proxy", "app-web-1", a, &n), CC_DNS_FOUND);
  assert_true (n == 1 && a[0] == 0x0a590104);
  /* "<name>.<network>" picks the network.  */
  assert_int_equal (look (t, "/ns/proxy", "app-web-1.app_front", a, &n), CC_DNS_FOUND);
  assert_true (n == 1 && a[0] == 0x0a590002);
  assert_int_equal (look (t, "/ns/proxy", "web.app_back", a, &n), CC_DNS_FOUND);
  assert_true (n == 1 && a[0] == 0x0a590104);
  assert_int_equal (look (t, "/ns/proxy", "web.other_default", a, &n), CC_DNS_UNKNOWN);
  /* The one-off container is no replica of web, but has its name.  */
  assert_int_equal (look (t, "/ns/run", "app-web-run-x", a, &n), CC_DNS_FOUND);
  assert_int_equal (look (t, "/ns/run", "web", a, &n), CC_DNS_FOUND);
  assert_int_equal (n, 3);
  /* Unknown names are for the upstream.  */
  assert_int_equal (look (t, "/ns/proxy", "example.com", a, &n), CC_DNS_UNKNOWN);
  assert_int_equal (look (t, "/ns/proxy", "", a, &n), CC_DNS_UNKNOWN);
}

static void
test_lookup_is_scoped_to_the_networks_shared (void **state)
{
  cleanup_dns_table struct cc_dns_table *t = table_of ("app");
  cleanup_dns_table struct cc_dns_table *other = table_of ("other");
  uint32_t a[16];
  size_t n;

  (void)state;
  memset (down_list, 0, sizeof (down_list));
  /* db is on "back" only: web-2 (front only) does not see it.  */
  assert_int_equal (look (t, "/ns/web2", "db", a, &n), CC_DNS_UNKNOWN);
  assert_int_equal (look (t, "/ns/web1", "db", a, &n), CC_DNS_FOUND);
  /* Another project's container on app's front resolves app's web, and
     app's containers resolve it; its own project's web is its first
     network's, though.  */
  assert_null (cc_dns_table_scope (t, "/ns/cli"));
  assert_int_equal (look (other, "/ns/cli", "app-web-3", a, &n), CC_DNS_FOUND);
  assert_int_equal (look (other, "/ns/cli", "web", a, &n), CC_DNS_FOUND);
  assert_true (n == 1 && a[0] == 0x0a590203);
  assert_int_equal (look (t, "/ns/web2", "other-cli-1", a, &n), CC_DNS_FOUND);
  assert_true (n == 1 && a[0] == 0x0a590006);
  /* other's own web is not on app's networks.  */
  assert_int_equal (look (t, "/ns/web2", "other-web-1", a, &n), CC_DNS_UNKNOWN);
  /* Only the project's own namespaces are served.  */
  assert_null (cc_dns_table_scope (other, "/ns/web1"));
}

static void
test_lookup_leaves_out_what_may_not_answer (void **state)
{
  cleanup_dns_table struct cc_dns_table *t = table_of ("app");
  uint32_t a[16];
  size_t n;

  (void)state;
  memset (down_list, 0, sizeof (down_list));
  down_list[0] = "app-web-2";
  assert_int_equal (look (t, "/ns/proxy", "web.app_front", a, &n), CC_DNS_FOUND);
  assert_int_equal (n, 2);
  assert_int_equal (a[0], 0x0a590002);
  assert_int_equal (a[1], 0x0a590004);
  down_list[1] = "app-web-1";
  down_list[2] = "app-web-3";
  assert_int_equal (look (t, "/ns/web2", "web", a, &n), CC_DNS_DOWN);
  assert_int_equal (n, 0);
  assert_null (cc_dns_reverse (t, cc_dns_table_scope (t, "/ns/proxy"), 0x0a590003, eligible, NULL));
  memset (down_list, 0, sizeof (down_list));
  assert_string_equal (cc_dns_reverse (t, cc_dns_table_scope (t, "/ns/proxy"), 0x0a590003, eligible, NULL),
                       "app-web-2.app_front");
  /* An address on a network the asker is not on.  */
  assert_null (cc_dns_reverse (t, cc_dns_table_scope (t, "/ns/web2"), 0x0a590103, eligible, NULL));
}

/* A replica out of the balancer of its published port (starting,
   unhealthy, draining: its member's "serving" is false) is not
   answered, healthy or not, so DNS and the published port agree
   (issue 16).  */
static void
test_lookup_leaves_out_what_does_not_serve (void **state)
{
  static const char json[]
      = "{\"networks\":[{\"project\":\"app\",\"name\":\"front\",\"members\":["
        "{\"container\":\"app-web-1\",\"service\":\"web\",\"ip\":\"10.89.0.2\",\"netns\":\"/ns/w1\","
        "\"ports\":[{}]},"
        "{\"container\":\"app-web-2\",\"service\":\"web\",\"ip\":\"10.89.0.3\",\"netns\":\"/ns/w2\","
        "\"ports\":[{}],\"serving\":false},"
        "{\"container\":\"app-web-3\",\"service\":\"web\",\"ip\":\"10.89.0.4\",\"netns\":\"/ns/w3\","
        "\"ports\":[{}],\"serving\":true},"
        "{\"container\":\"app-db-1\",\"service\":\"db\",\"ip\":\"10.89.0.5\",\"netns\":\"/ns/db\","
        "\"serving\":false}]}]}";
  cleanup_cjson cJSON *st = NULL;
  cleanup_dns_table struct cc_dns_table *t = NULL;
  uint32_t a[16];
  size_t n;

  (void)state;
  memset (down_list, 0, sizeof (down_list));
  assert_int_equal (cc_json_parse (json, "state", &st, NULL), 0);
  t = cc_dns_table_build (st, "app");
  assert_int_equal (look (t, "/ns/w1", "web", a, &n), CC_DNS_FOUND);
  assert_int_equal (n, 2);
  assert_true (a[0] == 0x0a590002 && a[1] == 0x0a590004);
  assert_int_equal (look (t, "/ns/w1", "app-web-2", a, &n), CC_DNS_DOWN);
  assert_null (cc_dns_reverse (t, cc_dns_table_scope (t, "/ns/w1"), 0x0a590003, eligible, NULL));
  /* No published port: in no balancer, its flag says nothing.  */
  assert_int_equal (look (t, "/ns/w1", "db", a, &n), CC_DNS_FOUND);
}

/* Issue 15: members of an IPv6-only network (no "ip") are known by
   name: an A lookup finds them with no address (the responder answers
   NOERROR, no data), AAAA with theirs; an IPv4 address of the same
   container on another network of the asker's still answers A.  */
static void
test_lookup_on_an_ipv6_only_network (void **state)
{
  static const char v6_json[]
      = "{\"networks\":["
        " {\"project\":\"p\",\"name\":\"six\",\"subnet6\":\"fd98:cc::/64\",\"members\":["
        "  {\"container\":\"p-web-1\",\"service\":\"web\",\"ip6\":\"fd98:cc::2\",\"netns\":\"/ns/web\","
        "   \"ifname\":\"eth0\"},"
        "  {\"container\":\"p-cli-1\",\"service\":\"cli\",\"ip6\":\"fd98:cc::3\",\"netns\":\"/ns/cli\","
        "   \"ifname\":\"eth1\"}]},"
        " {\"project\":\"p\",\"name\":\"four\",\"members\":["
        "  {\"container\":\"p-cli-1\",\"service\":\"cli\",\"ip\":\"10.89.3.2\",\"netns\":\"/ns/cli\","
        "   \"ifname\":\"eth0\"}]}"
        "]}";
  cleanup_cjson cJSON *st = NULL;
  cleanup_dns_table struct cc_dns_table *t = NULL;
  const struct cc_dns_scope *web, *cli;
  uint32_t a[16];
  struct in6_addr a6[16];
  size_t n = 99;

  (void)state;
  memset (down_list, 0, sizeof (down_list));
  assert_int_equal (cc_json_parse (v6_json, "state", &st, NULL), 0);
  t = cc_dns_table_build (st, "p");
  web = cc_dns_table_scope (t, "/ns/web");
  cli = cc_dns_table_scope (t, "/ns/cli");
  assert_non_null (web);
  assert_non_null (cli);
  assert_int_equal (cc_dns_lookup (t, cli, "web", eligible, NULL, a, 16, &n), CC_DNS_FOUND);
  assert_int_equal (n, 0);
  assert_int_equal (cc_dns_lookup6 (t, cli, "web", eligible, NULL, a6, 16), 1);
  assert_int_equal (a6[0].s6_addr[15], 2);
  /* web shares only "six" with cli: no IPv4 address of cli for it.  */
  assert_int_equal (cc_dns_lookup (t, web, "cli", eligible, NULL, a, 16, &n), CC_DNS_FOUND);
  assert_int_equal (n, 0);
  assert_int_equal (cc_dns_lookup (t, cli, "cli", eligible, NULL, a, 16, &n), CC_DNS_FOUND);
  assert_true (n == 1 && a[0] == 0x0a590302);
  /* A container stopped is no name, as before.  */
  down_list[0] = "p-web-1";
  assert_int_equal (cc_dns_lookup (t, cli, "web", eligible, NULL, a, 16, &n), CC_DNS_DOWN);
  down_list[0] = NULL;
  /* No reverse record for address 0 (what a member without IPv4 has).  */
  assert_null (cc_dns_reverse (t, cli, 0, eligible, NULL));
}

static void
test_scope_forwarding (void **state)
{
  cleanup_dns_table struct cc_dns_table *t = table_of ("app");
  const struct cc_dns_scope *web1 = cc_dns_table_scope (t, "/ns/web1"), *db = cc_dns_table_scope (t, "/ns/db");

  (void)state;
  /* dns: servers, without our own address or junk.  */
  assert_int_equal (web1->n_own, 1);
  assert_int_equal (web1->own[0].ip, 0x0a000001);
  assert_int_equal (web1->own[0].port, 53);
  assert_true (web1->external);
  /* Only on an internal network: nothing goes out from the host.  */
  assert_false (db->external);
  assert_int_equal (db->n_own, 0);
}

static void
test_nameservers_and_the_resolved_stub (void **state)
{
  struct cc_dns_upstream ns[3];
  char main_path[] = "/tmp/cc-dns-resolv.XXXXXX", real_path[] = "/tmp/cc-dns-resolved.XXXXXX";
  int fd1 = mkstemp (main_path), fd2 = mkstemp (real_path);
  cleanup_free char *text = NULL, *path = NULL;

  (void)state;
  assert_int_equal (cc_dns_nameservers ("nameserver 10.0.0.1\n# nameserver 10.0.0.9\nnameserver ::1\n"
                                        "nameserver 127.0.0.11\nnameserver 127.0.0.1\nnameserver 1.1.1.1\n"
                                        "nameserver 8.8.8.8\n",
                                        ns, 3),
                    3);
  assert_int_equal (ns[0].ip, 0x0a000001);
  assert_int_equal (ns[1].ip, 0x7f000001);
  assert_int_equal (ns[2].ip, 0x01010101);
  /* Only systemd-resolved's stub: its own file has the real servers.  */
  assert_true (write (fd1, "nameserver 127.0.0.53\nsearch lan\n", 33) == 33);
  assert_true (write (fd2, "nameserver 10.9.9.9\n", 20) == 20);
  close (fd1);
  close (fd2);
  setenv ("CCOMPOSE_RESOLV_CONF", main_path, 1);
  setenv ("CCOMPOSE_RESOLVED_CONF", real_path, 1);
  text = cc_dns_host_resolv (&path);
  assert_string_equal (text, "nameserver 10.9.9.9\n");
  assert_string_equal (path, real_path);
  unlink (main_path);
  unlink (real_path);
  free (text);
  free (path);
  text = cc_dns_host_resolv (&path);
  assert_null (text);
  unsetenv ("CCOMPOSE_RESOLV_CONF");
  unsetenv ("CCOMPOSE_RESOLVED_CONF");
}

/* The responder's record and socket are named after the project, which
   a `ccompose netdev -p` project may spell any way: both ends must
   agree on the name, and it must stay a short file name.  */
static void
test_file_base_of_a_project (void **state)
{
  cleanup_free char *plain = cc_net_dns_base ("web_app-1.x");
  cleanup_free char *slash = cc_net_dns_base ("a/../b"), *dots = cc_net_dns_base ("..");
  cleanup_free char *again = cc_net_dns_base ("a/../b"), *other = cc_net_dns_base ("a/../c");
  cleanup_free char *longer = NULL;
  char long_name[200];

  (void)state;
  assert_string_equal (plain, "web_app-1.x");
  assert_non_null (strstr (slash, "project-"));
  assert_null (strchr (slash, '/'));
  assert_string_equal (slash, again);
  assert_string_not_equal (slash, other);
  assert_string_not_equal (dots, "..");
  memset (long_name, 'a', sizeof (long_name) - 1);
  long_name[sizeof (long_name) - 1] = '\0';
  longer = cc_net_dns_base (long_name);
  assert_true (strlen (longer) <= 64);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse_query),
    cmocka_unit_test (test_parse_refuses_what_is_no_query),
    cmocka_unit_test (test_parse_refuses_bad_names),
    cmocka_unit_test (test_parse_additional_records),
    cmocka_unit_test (test_build_reply),
    cmocka_unit_test (test_build_reply_edns_and_errors),
    cmocka_unit_test (test_reply_matches),
    cmocka_unit_test (test_ptr_address),
    cmocka_unit_test (test_lookup_replicas_and_names),
    cmocka_unit_test (test_lookup_is_scoped_to_the_networks_shared),
    cmocka_unit_test (test_lookup_leaves_out_what_may_not_answer),
    cmocka_unit_test (test_lookup_leaves_out_what_does_not_serve),
    cmocka_unit_test (test_lookup_on_an_ipv6_only_network),
    cmocka_unit_test (test_scope_forwarding),
    cmocka_unit_test (test_nameservers_and_the_resolved_stub),
    cmocka_unit_test (test_file_base_of_a_project),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
