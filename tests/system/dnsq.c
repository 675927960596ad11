/* dnsq: a small static DNS client for the tests and bench/dns, run
   inside containers (issue 16).  It speaks to 127.0.0.11 unless told
   otherwise and prints one line per query:

     RCODE [tc] ADDRESS...       (A), or the PTR target, or nothing

   dnsq [-s SERVER] [-p PORT] [-t] [-q TYPE] [-e EDNS-SIZE] [-n COUNT] NAME
       COUNT queries in a row, one line each (-t: over TCP)
   dnsq -b COUNT NAME
       COUNT queries, then "queries N qps Q p50_us A p99_us B"
   dnsq -x HEX [-t]
       send these bytes as they are; print the reply's rcode or "none"
   dnsq -f COUNT -x HEX
       send them COUNT times without waiting for anything
   dnsq -o SIZE [-t]
       send one message of SIZE bytes (a valid header, padded)
   dnsq -H COUNT -w MS
       open COUNT TCP connections and hold them MS milliseconds; print
       how many stayed open  */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *server = "127.0.0.11";
static int port = 53, tcp, edns, timeout_ms = 2000;

static const char *const rcodes[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };

static int
qtype_of (const char *s)
{
  static const struct
  {
    const char *name;
    int type;
  } t[] = { { "A", 1 }, { "PTR", 12 }, { "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 }, { "ANY", 255 } };

  for (size_t i = 0; i < sizeof (t) / sizeof (t[0]); i++)
    if (strcmp (s, t[i].name) == 0)
      return t[i].type;
  return atoi (s);
}

static size_t
build (uint8_t *b, const char *name, int type, uint16_t id)
{
  size_t n = 12;

  memset (b, 0, 12);
  b[0] = (uint8_t)(id >> 8);
  b[1] = (uint8_t)id;
  b[2] = 0x01; /* RD */
  b[5] = 1;
  b[11] = edns ? 1 : 0;
  while (*name)
    {
      size_t l = strcspn (name, ".");
      b[n++] = (uint8_t)l;
      memcpy (b + n, name, l);
      n += l;
      name += l + (name[l] == '.');
    }
  b[n++] = 0;
  b[n++] = (uint8_t)(type >> 8);
  b[n++] = (uint8_t)type;
  b[n++] = 0;
  b[n++] = 1;
  if (edns)
    {
      uint8_t opt[] = { 0, 0, 41, (uint8_t)(edns >> 8), (uint8_t)edns, 0, 0, 0, 0, 0, 0 };
      memcpy (b + n, opt, sizeof (opt));
      n += sizeof (opt);
    }
  return n;
}

static int
open_socket (void)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons ((uint16_t)port) };
  int fd = socket (AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);

  inet_pton (AF_INET, server, &a.sin_addr);
  if (fd < 0 || connect (fd, (struct sockaddr *)&a, sizeof (a)) < 0)
    {
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return fd;
}

static int
wait_in (int fd)
{
  struct pollfd p = { fd, POLLIN, 0 };

  return poll (&p, 1, timeout_ms) == 1 ? 0 : -1;
}

static ssize_t
read_full (int fd, uint8_t *b, size_t n)
{
  size_t got = 0;

  while (got < n)
    {
      ssize_t r;
      if (wait_in (fd) < 0 || (r = read (fd, b + got, n - got)) <= 0)
        return -1;
      got += (size_t)r;
    }
  return (ssize_t)got;
}

/* One exchange; the reply's length, or -1 (timeout or error).  */
static ssize_t
exchange (const uint8_t *q, size_t len, uint8_t *r, size_t cap)
{
  int fd = open_socket ();
  ssize_t n = -1;

  if (fd < 0)
    return -1;
  if (tcp)
    {
      uint8_t frame[2 + 65536], l[2];
      frame[0] = (uint8_t)(len >> 8);
      frame[1] = (uint8_t)len;
      memcpy (frame + 2, q, len);
      if (write (fd, frame, len + 2) == (ssize_t)(len + 2) && read_full (fd, l, 2) == 2)
        {
          size_t want = (size_t)(l[0] << 8 | l[1]);
          n = want <= cap ? read_full (fd, r, want) : -1;
        }
    }
  else if (send (fd, q, len, 0) == (ssize_t)len && wait_in (fd) == 0)
    n = recv (fd, r, cap, 0);
  close (fd);
  return n;
}

static size_t
skip_name (const uint8_t *b, size_t len, size_t off)
{
  while (off < len)
    {
      if ((b[off] & 0xc0) == 0xc0)
        return off + 2;
      if (b[off] == 0)
        return off + 1;
      off += 1u + b[off];
    }
  return len;
}

/* NAME in wire form at OFF (following pointers) into OUT.  */
static void
read_name (const uint8_t *b, size_t len, size_t off, char *out, size_t cap)
{
  size_t n = 0;

  for (int hops = 0; off < len && hops < 64; hops++)
    {
      if ((b[off] & 0xc0) == 0xc0 && off + 1 < len)
        {
          off = (size_t)((b[off] & 0x3f) << 8 | b[off + 1]);
          continue;
        }
      if (b[off] == 0)
        break;
      for (size_t i = 0; i < b[off] && off + 1 + i < len && n + 2 < cap; i++)
        out[n++] = (char)b[off + 1 + i];
      off += 1u + b[off];
      out[n++] = '.';
    }
  if (n > 0)
    n--;
  out[n] = '\0';
}

static void
print_reply (const uint8_t *r, size_t len)
{
  unsigned rcode = r[3] & 0xf, an = (unsigned)(r[6] << 8 | r[7]);
  size_t off = skip_name (r, len, 12) + 4;

  printf ("%s%s", rcode < 6 ? rcodes[rcode] : "RCODE?", (r[2] & 0x02) ? " tc" : "");
  for (unsigned i = 0; i < an && off + 10 <= len; i++)
    {
      unsigned type, rdlen;
      off = skip_name (r, len, off);
      if (off + 10 > len)
        break;
      type = (unsigned)(r[off] << 8 | r[off + 1]);
      rdlen = (unsigned)(r[off + 8] << 8 | r[off + 9]);
      off += 10;
      if (off + rdlen > len)
        break;
      if (type == 1 && rdlen == 4)
        printf (" %u.%u.%u.%u", r[off], r[off + 1], r[off + 2], r[off + 3]);
      else if (type == 12)
        {
          char name[256];
          read_name (r, len, off, name, sizeof (name));
          printf (" %s", name);
        }
      off += rdlen;
    }
  putchar ('\n');
}

static int64_t
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmp64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int
bench (const char *name, int type, int count)
{
  int64_t *lat = calloc ((size_t)count, sizeof (*lat)), t0 = now_us ();
  uint8_t q[600], r[65536];
  int ok = 0;

  for (int i = 0; i < count; i++)
    {
      int64_t s = now_us ();
      size_t len = build (q, name, type, (uint16_t)i);
      if (exchange (q, len, r, sizeof (r)) >= 12)
        ok++;
      lat[i] = now_us () - s;
    }
  qsort (lat, (size_t)count, sizeof (*lat), cmp64);
  printf ("queries %d answered %d qps %.0f p50_us %lld p99_us %lld\n", count, ok,
          (double)count * 1e6 / (double)(now_us () - t0), (long long)lat[count / 2],
          (long long)lat[(count * 99) / 100]);
  free (lat);
  return ok == count ? 0 : 1;
}

static size_t
unhex (const char *hex, uint8_t *out, size_t cap)
{
  size_t n = 0;

  for (; hex[0] && hex[1] && n < cap; hex += 2)
    {
      unsigned v;
      if (sscanf (hex, "%2x", &v) != 1)
        break;
      out[n++] = (uint8_t)v;
    }
  return n;
}

/* Connections a peer closed are readable with nothing to read.  */
static int
hold (int count)
{
  int *fds = calloc ((size_t)count, sizeof (int)), open_n = 0;

  tcp = 1;
  for (int i = 0; i < count; i++)
    fds[i] = open_socket ();
  usleep ((useconds_t)timeout_ms * 1000);
  for (int i = 0; i < count; i++)
    {
      struct pollfd p = { fds[i], POLLIN, 0 };
      char c;
      if (fds[i] < 0)
        continue;
      if (poll (&p, 1, 0) == 0 || recv (fds[i], &c, 1, MSG_DONTWAIT) > 0)
        open_n++;
      close (fds[i]);
    }
  printf ("held %d\n", open_n);
  free (fds);
  return 0;
}

static int
send_raw (const uint8_t *b, size_t len, int flood)
{
  uint8_t r[65536];
  ssize_t n;

  if (flood > 0)
    {
      int fd = open_socket ();
      for (int i = 0; fd >= 0 && i < flood; i++)
        (void)! send (fd, b, len, MSG_DONTWAIT);
      printf ("sent %d\n", flood);
      return fd < 0;
    }
  n = exchange (b, len, r, sizeof (r));
  if (n < 12)
    printf ("none\n");
  else
    print_reply (r, (size_t)n);
  return 0;
}

int
main (int argc, char **argv)
{
  int c, type = 1, count = 1, bench_n = 0, flood = 0, oversized = 0, hold_n = 0;
  const char *hex = NULL;
  uint8_t q[65536], r[65536];

  while ((c = getopt (argc, argv, "s:p:tq:e:n:b:x:f:o:w:H:")) != -1)
    switch (c)
      {
      case 's':
        server = optarg;
        break;
      case 'p':
        port = atoi (optarg);
        break;
      case 't':
        tcp = 1;
        break;
      case 'q':
        type = qtype_of (optarg);
        break;
      case 'e':
        edns = atoi (optarg);
        break;
      case 'n':
        count = atoi (optarg);
        break;
      case 'b':
        bench_n = atoi (optarg);
        break;
      case 'x':
        hex = optarg;
        break;
      case 'f':
        flood = atoi (optarg);
        break;
      case 'o':
        oversized = atoi (optarg);
        break;
      case 'w':
        timeout_ms = atoi (optarg);
        break;
      case 'H':
        hold_n = atoi (optarg);
        break;
      default:
        return 2;
      }
  if (hold_n > 0)
    return hold (hold_n);
  if (hex)
    return send_raw (q, unhex (hex, q, sizeof (q)), flood);
  if (oversized > 0)
    {
      size_t len = build (q, "padding.example", 1, 7);
      memset (q + len, 0, sizeof (q) - len);
      return send_raw (q, (size_t)oversized < sizeof (q) ? (size_t)oversized : sizeof (q), 0);
    }
  if (optind != argc - 1)
    return 2;
  if (bench_n > 0)
    return bench (argv[optind], type, bench_n);
  for (int i = 0; i < count; i++)
    {
      size_t len = build (q, argv[optind], type, (uint16_t)(0x4000 + i));
      ssize_t n = exchange (q, len, r, sizeof (r));
      if (n < 12)
        printf ("TIMEOUT\n");
      else
        print_reply (r, (size_t)n);
    }
  return 0;
}
