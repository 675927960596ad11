/* The small value formats BuildKit borrows from other Go packages, each
   rewritten from its documented behaviour: EXPOSE ports (docker/go-
   connections nat), STOPSIGNAL names (moby/sys/signal), tmpfs sizes
   (docker/go-units RAMInBytes), platforms (containerd/platforms).  */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* strconv.ParseUint (S, 10, 16).  */
static int
port_number (const char *s, size_t n, unsigned *out)
{
  unsigned v = 0;

  if (n == 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return -1;
      v = v * 10 + (unsigned)(s[i] - '0');
      if (v > 65535)
        return -1;
    }
  *out = v;
  return 0;
}

/* nat.ParsePortRange: "80" or "8000-8002" (what follows a second `-` is
   ignored, as there).  */
static int
port_range (const char *s, unsigned *start, unsigned *end)
{
  const char *dash = strchr (s, '-');

  if (*s == '\0')
    return -1;
  if (dash == NULL)
    {
      if (port_number (s, strlen (s), start) < 0)
        return -1;
      *end = *start;
      return 0;
    }
  {
    const char *second = strchr (dash + 1, '-');
    size_t n2 = second ? (size_t)(second - dash - 1) : strlen (dash + 1);
    if (port_number (s, (size_t)(dash - s), start) < 0 || port_number (dash + 1, n2, end) < 0 || *end < *start)
      return -1;
  }
  return 0;
}

/* An IPv4 or IPv6 address (net.ParseIP), enough to accept what Docker
   accepts in a port spec's address part.  */
static bool
is_ip (const char *s)
{
  unsigned char buf[16];

  return inet_pton (AF_INET, s, buf) == 1 || inet_pton (AF_INET6, s, buf) == 1;
}

int
cc_bld_parse_port_spec (const char *spec, struct cc_bld_vec *ports, size_t max, size_t *count, char **errmsg)
{
  cleanup_strv char **parts = cc_bld_split (spec, ':', false);
  size_t n = cc_strv_len (parts);
  cleanup_free char *ip = NULL;
  const char *host = "", *container;
  cleanup_free char *cport = NULL;
  const char *proto = "tcp", *slash;
  char buf[64];
  unsigned start, end, hstart = 0, hend = 0;

  container = parts[n - 1];
  if (n == 2)
    host = parts[0];
  else if (n >= 3)
    {
      cleanup_strv char **head = cc_strv_dup (parts);
      for (size_t i = n - 2; i < n; i++)
        {
          free (head[i]);
          head[i] = NULL;
        }
      ip = cc_strv_join (head, ":");
      host = parts[n - 2];
    }
  slash = strchr (container, '/');
  cport = slash ? xstrndup (container, (size_t)(slash - container)) : xstrdup (container);
  if (slash && slash[1] != '\0')
    {
      const char *p2 = slash + 1;
      size_t l = strcspn (p2, "/");
      if (l >= sizeof (buf))
        l = sizeof (buf) - 1;
      memcpy (buf, p2, l);
      buf[l] = '\0';
      proto = buf;
    }
  if (ip && ip[0] == '[')
    {
      size_t l = strlen (ip);
      if (l < 2 || ip[l - 1] != ']')
        {
          *errmsg = xasprintf ("invalid IP address %s: address %s:: missing port in address", ip, ip);
          return -1;
        }
      memmove (ip, ip + 1, l - 2);
      ip[l - 2] = '\0';
    }
  if (ip && *ip && ! is_ip (ip))
    {
      *errmsg = xasprintf ("invalid IP address: %s", ip);
      return -1;
    }
  if (*cport == '\0')
    {
      *errmsg = xasprintf ("no port specified: %s<empty>", spec);
      return -1;
    }
  if (port_range (cport, &start, &end) < 0)
    {
      *errmsg = xasprintf ("invalid containerPort: %s", cport);
      return -1;
    }
  if (*host && port_range (host, &hstart, &hend) < 0)
    {
      *errmsg = xasprintf ("invalid hostPort: %s", host);
      return -1;
    }
  if (*host && end - start != hend - hstart && end != start)
    {
      *errmsg = xasprintf ("invalid ranges specified for container and host Ports: %s and %s", cport, host);
      return -1;
    }
  if (strcasecmp (proto, "tcp") != 0 && strcasecmp (proto, "udp") != 0 && strcasecmp (proto, "sctp") != 0)
    {
      *errmsg = xasprintf ("invalid proto: %s", proto);
      return -1;
    }
  if (count)
    *count = end - start + 1;
  if (end - start + 1 > max)
    return -2;
  {
    char lower[8];
    size_t l = strlen (proto);
    for (size_t i = 0; i <= l; i++)
      lower[i] = (char)((proto[i] >= 'A' && proto[i] <= 'Z') ? proto[i] - 'A' + 'a' : proto[i]);
    for (unsigned p = start;; p++)
      {
        cc_bld_vec_push (ports, xasprintf ("%u/%s", p, lower));
        if (p == end)
          break;
      }
  }
  return 0;
}

static const char *const signal_names[] = {
  "ABRT", "ALRM", "BUS",  "CHLD", "CLD",  "CONT", "FPE",    "HUP",    "ILL",  "INT",  "IO",   "IOT",
  "KILL", "PIPE", "POLL", "PROF", "PWR",  "QUIT", "SEGV",   "STKFLT", "STOP", "SYS",  "TERM", "TRAP",
  "TSTP", "TTIN", "TTOU", "URG",  "USR1", "USR2", "VTALRM", "WINCH",  "XCPU", "XFSZ",
};

bool
cc_bld_valid_signal (const char *s)
{
  const char *name = s;
  char *end;
  long long n;
  int r = cc_bld_go_parse_int (s, &n);

  if (r == 0)
    return n != 0;
  if (r == -2)
    return false;
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < CC_N_ELEMENTS (signal_names); i++)
    if (strcasecmp (name, signal_names[i]) == 0)
      return true;
  /* RTMIN, RTMIN+1..RTMIN+15, RTMAX-14..RTMAX-1, RTMAX.  */
  if (strcasecmp (name, "RTMIN") == 0 || strcasecmp (name, "RTMAX") == 0)
    return true;
  if ((strncasecmp (name, "RTMIN+", 6) == 0 || strncasecmp (name, "RTMAX-", 6) == 0) && name[6] >= '1'
      && name[6] <= '9')
    {
      long k = strtol (name + 6, &end, 10);
      bool min = (name[5] == '+');
      return *end == '\0' && k >= 1 && (min ? k <= 15 : k <= 14);
    }
  return false;
}

/* go-units RAMInBytes (v0.5.0): a number, an optional space, an optional
   k/m/g/t/p (powers of 1024) with an optional `b` or `ib`, or `b`.  */
int
cc_bld_ram_in_bytes (const char *s, int64_t *out)
{
  const char *sep = NULL, *sfx;
  cleanup_free char *num = NULL;
  cleanup_free char *lsfx = NULL;
  double size;
  char *end;
  static const char units[] = "kmgtp";

  for (const char *p = s; *p; p++)
    if (strchr ("01234567890. ", *p))
      sep = p;
  if (sep == NULL)
    return -1;
  num = xstrndup (s, (size_t)(sep - s) + (*sep != ' '));
  sfx = sep + 1;
  if (strpbrk (num, "xXpPiInN_") != NULL)
    return -1;
  errno = 0;
  size = strtod (num, &end);
  if (end == num || *end != '\0' || errno == ERANGE || ! isfinite (size) || size < 0)
    return -1;
  if (*sfx)
    {
      const char *u;
      if (strlen (sfx) > 3)
        return -1;
      lsfx = xstrdup (sfx);
      for (char *c = lsfx; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
          *c = (char)(*c - 'A' + 'a');
      if (lsfx[0] == 'b')
        {
          if (lsfx[1])
            return -1;
        }
      else
        {
          u = strchr (units, lsfx[0]);
          if (u == NULL || lsfx[0] == '\0')
            return -1;
          size *= pow (1024, (double)(u - units + 1));
          if ((strlen (lsfx) == 2 && lsfx[1] != 'b') || (strlen (lsfx) == 3 && strcmp (lsfx + 1, "ib") != 0))
            return -1;
        }
    }
  if (size >= 9223372036854775807.0)
    return -1;
  *out = (int64_t)size;
  return 0;
}

/* containerd's normalizeArch.  */
static void
normalize_arch (char **arch, char **variant)
{
  static const struct
  {
    const char *in, *arch, *variant;
  } table[] = {
    { "i386", "386", "" },        { "x86_64", "amd64", NULL }, { "x86-64", "amd64", NULL },
    { "aarch64", "arm64", NULL }, { "armhf", "arm", "v7" },    { "armel", "arm", "v6" },
  };

  for (char *c = *arch; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  for (size_t i = 0; i < CC_N_ELEMENTS (table); i++)
    if (strcmp (*arch, table[i].in) == 0)
      {
        free (*arch);
        *arch = xstrdup (table[i].arch);
        if (table[i].variant)
          {
            free (*variant);
            *variant = xstrdup (table[i].variant);
          }
      }
  if (strcmp (*arch, "amd64") == 0 && strcmp (*variant, "v1") == 0)
    {
      free (*variant);
      *variant = xstrdup ("");
    }
  if (strcmp (*arch, "arm64") == 0 && (strcmp (*variant, "8") == 0 || strcmp (*variant, "v8") == 0))
    {
      free (*variant);
      *variant = xstrdup ("");
    }
  if (strcmp (*arch, "arm") == 0)
    {
      const char *v = *variant;
      char *nv = NULL;
      if (*v == '\0' || strcmp (v, "7") == 0)
        nv = xstrdup ("v7");
      else if (strcmp (v, "5") == 0 || strcmp (v, "6") == 0 || strcmp (v, "8") == 0)
        nv = xasprintf ("v%s", v);
      if (nv)
        {
          free (*variant);
          *variant = nv;
        }
    }
}

static bool
known_os (const char *s)
{
  static const char *const oses[]
      = { "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios", "js",
          "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "windows", "zos" };

  for (size_t i = 0; i < CC_N_ELEMENTS (oses); i++)
    if (strcasecmp (s, oses[i]) == 0)
      return true;
  return false;
}

static bool
known_arch (const char *s)
{
  static const char *const arches[]
      = { "386",     "amd64",   "amd64p32", "arm",     "armbe",  "arm64",    "arm64be",   "ppc64",
          "ppc64le", "loong64", "mips",     "mipsle",  "mips64", "mips64le", "mips64p32", "mips64p32le",
          "ppc",     "riscv",   "riscv64",  "s390",    "s390x",  "sparc",    "sparc64",   "wasm",
          "i386",    "x86_64",  "x86-64",   "aarch64", "armhf",  "armel" };

  for (size_t i = 0; i < CC_N_ELEMENTS (arches); i++)
    if (strcasecmp (s, arches[i]) == 0)
      return true;
  return false;
}

static char *
host_arch (char **variant)
{
  struct utsname u;
  char *arch;

  *variant = xstrdup ("");
  if (uname (&u) < 0)
    return xstrdup ("amd64");
  arch = xstrdup (u.machine);
  if (strncmp (arch, "armv", 4) == 0)
    {
      free (*variant);
      *variant = xstrndup (arch + 3, 2);
      free (arch);
      arch = xstrdup ("arm");
    }
  else if (arch[0] == 'i' && strcmp (arch + 2, "86") == 0)
    {
      free (arch);
      arch = xstrdup ("386");
    }
  normalize_arch (&arch, variant);
  return arch;
}

static char *
format_platform (const char *os, const char *arch, const char *variant)
{
  return *variant ? xasprintf ("%s/%s/%s", os, arch, variant) : xasprintf ("%s/%s", os, arch);
}

char *
cc_builder_host_platform (void)
{
  cleanup_free char *variant = NULL;
  cleanup_free char *arch = host_arch (&variant);

  return format_platform ("linux", arch, variant);
}

char *
cc_builder_normalize_platform (const char *spec, char **why)
{
  return cc_bld_normalize_platform (spec, why);
}

char *
cc_bld_normalize_platform (const char *spec, char **errmsg)
{
  cleanup_strv char **parts = cc_bld_split (spec, '/', false);
  cleanup_free char *os = NULL;
  cleanup_free char *arch = NULL;
  cleanup_free char *variant = NULL;
  size_t n = cc_strv_len (parts);

  if (strchr (spec, '*') != NULL || n == 0 || n > 3 || *spec == '\0')
    goto invalid;
  for (size_t i = 0; i < n; i++)
    if (*parts[i] == '\0')
      goto invalid;
  if (n == 1)
    {
      if (known_os (parts[0]))
        {
          os = xstrdup (parts[0]);
          arch = host_arch (&variant);
        }
      else if (known_arch (parts[0]))
        {
          os = xstrdup ("linux");
          arch = xstrdup (parts[0]);
          variant = xstrdup ("");
        }
      else
        goto unknown;
    }
  else
    {
      os = xstrdup (parts[0]);
      arch = xstrdup (parts[1]);
      variant = xstrdup (n == 3 ? parts[2] : "");
    }
  for (char *c = os; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  if (! known_os (os) || ! known_arch (arch))
    goto unknown;
  normalize_arch (&arch, &variant);
  return format_platform (os, arch, variant);
unknown:
  *errmsg = xasprintf ("\"%s\": unknown operating system or architecture: invalid argument", spec);
  return NULL;
invalid:
  *errmsg = xasprintf ("\"%s\": invalid platform specifier: invalid argument", spec);
  return NULL;
}
