/* Durations, byte sizes and numbers as Docker Compose reads and prints them.  */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

/* Go's time.ParseDuration units, plus `d` as compose-go accepts.  */
static const struct
{
  const char *suffix;
  int64_t ns;
} duration_units[] = {
  { "ns", 1LL },
  { "us", 1000LL },
  { "\xc2\xb5s", 1000LL }, /* µs */
  { "ms", 1000000LL },
  { "s", 1000000000LL },
  { "m", 60LL * 1000000000LL },
  { "h", 3600LL * 1000000000LL },
  { "d", 86400LL * 1000000000LL },
};

static int64_t
duration_unit (const char **p)
{
  size_t best = 0;
  int64_t ns = 0;

  /* Longest match first: "ms" before "m".  */
  for (size_t i = 0; i < CC_N_ELEMENTS (duration_units); i++)
    {
      size_t l = strlen (duration_units[i].suffix);
      if (l > best && strncmp (*p, duration_units[i].suffix, l) == 0)
        {
          best = l;
          ns = duration_units[i].ns;
        }
    }
  *p += best;
  return ns;
}

int
cc_parse_duration (const char *s, int64_t *ns, cc_error_t *err)
{
  const char *p = s;
  double total = 0;

  if (*s == '\0')
    return cc_error_make (err, 0, "invalid duration ``: empty");
  if (strcmp (s, "0") == 0)
    {
      *ns = 0;
      return 0;
    }
  while (*p)
    {
      char *end;
      double v;
      int64_t unit;

      if (! isdigit ((unsigned char)*p) && *p != '.')
        return cc_error_make (err, 0, "invalid duration `%s` (use units like 1m30s, 500ms, 1h)", s);
      errno = 0;
      v = strtod (p, &end);
      if (end == p || errno)
        return cc_error_make (err, 0, "invalid duration `%s`", s);
      p = end;
      unit = duration_unit (&p);
      if (unit == 0)
        return cc_error_make (err, 0, "invalid duration `%s`: missing or unknown unit (use ns, us, ms, s, m, h)", s);
      total += v * (double)unit;
      if (total > 9.2e18)
        return cc_error_make (err, 0, "invalid duration `%s`: too large", s);
    }
  *ns = (int64_t)(total + 0.5);
  return 0;
}

/* "1.500" -> "1.5", "2.000" -> "2".  */
static void
put_fraction (struct cc_buf *b, int64_t whole, int64_t frac, int digits, const char *unit)
{
  char fs[32];
  int n;

  cc_buf_printf (b, "%" PRId64, whole);
  if (frac)
    {
      n = snprintf (fs, sizeof fs, "%0*" PRId64, digits, frac);
      while (n > 0 && fs[n - 1] == '0')
        fs[--n] = '\0';
      cc_buf_printf (b, ".%s", fs);
    }
  cc_buf_puts (b, unit);
}

char *
cc_format_duration (int64_t ns)
{
  cleanup_buf struct cc_buf b = { 0 };
  uint64_t u = ns < 0 ? (uint64_t)-ns : (uint64_t)ns;

  if (ns < 0)
    cc_buf_putc (&b, '-');
  if (u == 0)
    cc_buf_puts (&b, "0s");
  else if (u < 1000)
    cc_buf_printf (&b, "%" PRIu64 "ns", u);
  else if (u < 1000000)
    put_fraction (&b, (int64_t)(u / 1000), (int64_t)(u % 1000), 3, "\xc2\xb5s");
  else if (u < 1000000000)
    put_fraction (&b, (int64_t)(u / 1000000), (int64_t)(u % 1000000), 6, "ms");
  else
    {
      uint64_t h = u / 3600000000000ULL, rem = u % 3600000000000ULL;
      uint64_t m = rem / 60000000000ULL;

      rem %= 60000000000ULL;
      if (h)
        cc_buf_printf (&b, "%" PRIu64 "h", h);
      if (h || m)
        cc_buf_printf (&b, "%" PRIu64 "m", m);
      put_fraction (&b, (int64_t)(rem / 1000000000), (int64_t)(rem % 1000000000), 9, "s");
    }
  return cc_buf_steal (&b);
}

/* go-units: binary multiples, the unit letter case-insensitive, an
   optional trailing b/B ("512mb", "1GiB" is not accepted there either).  */
static const struct
{
  char letter;
  int shift;
} byte_units[] = {
  { 'b', 0 }, { 'k', 10 }, { 'm', 20 }, { 'g', 30 }, { 't', 40 }, { 'p', 50 },
};

static int
byte_shift (const char *u, int *shift)
{
  char c = (char)tolower ((unsigned char)u[0]);

  if (u[0] == '\0')
    {
      *shift = 0;
      return 0;
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (byte_units); i++)
    if (byte_units[i].letter == c)
      {
        const char *rest = u + 1;
        if (c != 'b' && (*rest == 'b' || *rest == 'B'))
          rest++;
        else if (c != 'b' && (*rest == 'i') && (rest[1] == 'b' || rest[1] == 'B'))
          rest += 2;
        if (*rest != '\0')
          return -1;
        *shift = byte_units[i].shift;
        return 0;
      }
  return -1;
}

int
cc_parse_bytes (const char *s, int64_t *bytes, cc_error_t *err)
{
  char *end;
  double v;
  int shift;

  if (! isdigit ((unsigned char)*s) && *s != '.')
    return cc_error_make (err, 0, "invalid size `%s` (use a number of bytes or 100k, 512m, 1g)", s);
  errno = 0;
  v = strtod (s, &end);
  if (end == s || errno)
    return cc_error_make (err, 0, "invalid size `%s`", s);
  while (*end == ' ')
    end++;
  if (byte_shift (end, &shift) < 0)
    return cc_error_make (err, 0, "invalid size `%s`: unknown unit `%s` (use b, k, m, g, t, p)", s, end);
  v *= (double)(1ULL << shift);
  if (v >= 9.2e18)
    return cc_error_make (err, 0, "invalid size `%s`: too large", s);
  *bytes = (int64_t)v;
  return 0;
}

int
cc_parse_int (const char *s, int64_t min, int64_t max, int64_t *out, cc_error_t *err)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (*s == '\0' || *end != '\0' || isspace ((unsigned char)*s) || errno)
    return cc_error_make (err, 0, "`%s` is not an integer", s);
  if (v < min || v > max)
    return cc_error_make (err, 0, "%lld is out of range [%" PRId64 ", %" PRId64 "]", v, min, max);
  *out = v;
  return 0;
}

int
cc_parse_float (const char *s, double *out, cc_error_t *err)
{
  char *end;

  errno = 0;
  *out = strtod (s, &end);
  if (*s == '\0' || *end != '\0' || errno || isnan (*out) || isinf (*out))
    return cc_error_make (err, 0, "`%s` is not a number", s);
  return 0;
}

int
cc_parse_bool (const char *s, bool *out, cc_error_t *err)
{
  static const char *const yes[] = { "true", "True", "TRUE" };
  static const char *const no[] = { "false", "False", "FALSE" };

  for (size_t i = 0; i < CC_N_ELEMENTS (yes); i++)
    {
      if (strcmp (s, yes[i]) == 0)
        return (*out = true), 0;
      if (strcmp (s, no[i]) == 0)
        return (*out = false), 0;
    }
  return cc_error_make (err, 0, "`%s` is not a boolean (true or false)", s);
}

int
cc_error_relocate (cc_error_t *err, const struct cc_node *at, const char *what)
{
  cleanup_free char *msg = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  msg = xstrdup ((*err)->msg);
  cc_error_release (err);
  if (what)
    return cc_error_at (err, at, "%s: %s", what, msg);
  return cc_error_at (err, at, "%s", msg);
}

int
cc_compose_parse_duration (const char *s, int64_t *ns, cc_error_t *err)
{
  return cc_parse_duration (s, ns, err);
}

int
cc_compose_parse_bytes (const char *s, int64_t *bytes, cc_error_t *err)
{
  return cc_parse_bytes (s, bytes, err);
}
