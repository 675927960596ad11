/* Durations as Go reads and prints them (time.ParseDuration,
   Duration.String): Docker, Docker Compose and BuildKit all do, so the
   compose model and the Dockerfile builder read them here, the same way.  */
#include "duration.h"

#include <stdint.h>
#include <string.h>

#include "cleanup.h"
#include "xalloc.h"

/* The fraction of V / 10^PREC into the end of BUF[0..*W), trailing zeros
   omitted (and the point when nothing is left); returns V / 10^PREC.  */
static uint64_t
fmt_frac (char *buf, size_t *w, uint64_t v, int prec)
{
  bool print = false;

  for (int i = 0; i < prec; i++)
    {
      unsigned digit = (unsigned)(v % 10);
      print = print || digit != 0;
      if (print)
        buf[--*w] = (char)('0' + digit);
      v /= 10;
    }
  if (print)
    buf[--*w] = '.';
  return v;
}

static void
fmt_int (char *buf, size_t *w, uint64_t v)
{
  if (v == 0)
    {
      buf[--*w] = '0';
      return;
    }
  while (v > 0)
    {
      buf[--*w] = (char)('0' + v % 10);
      v /= 10;
    }
}

void
cc_duration_format (struct cc_buf *b, int64_t d)
{
  char buf[40];
  size_t w = sizeof (buf);
  bool neg = d < 0;
  uint64_t u = neg ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;

  if (u == 0)
    {
      cc_buf_puts (b, "0s");
      return;
    }
  buf[--w] = 's';
  if (u < 1000000000ULL)
    {
      int prec;
      if (u < 1000ULL)
        prec = 0, buf[--w] = 'n';
      else if (u < 1000000ULL)
        {
          prec = 3;
          buf[--w] = (char)0xB5; /* U+00B5 MICRO SIGN, as Go prints it */
          buf[--w] = (char)0xC2;
        }
      else
        prec = 6, buf[--w] = 'm';
      u = fmt_frac (buf, &w, u, prec);
      fmt_int (buf, &w, u);
    }
  else
    {
      u = fmt_frac (buf, &w, u, 9);
      fmt_int (buf, &w, u % 60);
      u /= 60;
      if (u > 0)
        {
          buf[--w] = 'm';
          fmt_int (buf, &w, u % 60);
          u /= 60;
          if (u > 0)
            {
              buf[--w] = 'h';
              fmt_int (buf, &w, u);
            }
        }
    }
  if (neg)
    buf[--w] = '-';
  cc_buf_append (b, buf + w, sizeof (buf) - w);
}

static const struct
{
  const char *name;
  uint64_t ns;
} duration_units[] = {
  { "ns", 1 },
  { "us", 1000ULL },
  { "\xC2\xB5s", 1000ULL }, /* U+00B5 */
  { "\xCE\xBCs", 1000ULL }, /* U+03BC */
  { "ms", 1000000ULL },
  { "s", 1000000000ULL },
  { "m", 60000000000ULL },
  { "h", 3600000000000ULL },
  { "d", 86400000000000ULL },  /* compose-go's, with DAYS only */
  { "w", 604800000000000ULL }, /* the same (its go-str2duration) */
};

/* One number-and-unit group of a duration at *S; false when malformed.  */
static bool
duration_group (const char **s, uint64_t *v, uint64_t *f, double *scale)
{
  const char *p = *s;
  bool pre = false, post = false, overflow = false;

  *v = 0, *f = 0, *scale = 1;
  if (! (*p == '.' || (*p >= '0' && *p <= '9')))
    return false;
  for (; *p >= '0' && *p <= '9'; p++)
    {
      pre = true;
      if (*v > (UINT64_C (1) << 63) / 10)
        return false;
      *v = *v * 10 + (uint64_t)(*p - '0');
      if (*v > (UINT64_C (1) << 63))
        return false;
    }
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++)
      {
        post = true;
        if (overflow)
          continue;
        if (*f > (UINT64_C (1) << 63) / 10)
          {
            overflow = true;
            continue;
          }
        *f = *f * 10 + (uint64_t)(*p - '0');
        *scale *= 10;
        if (*f > (UINT64_C (1) << 63))
          overflow = true;
      }
  *s = p;
  return pre || post;
}

int
cc_duration_parse (const char *orig, bool days, int64_t *out, char **bad_unit)
{
  const char *s = orig;
  uint64_t d = 0;
  bool neg = false;

  if (*s == '-' || *s == '+')
    neg = *s++ == '-';
  if (strcmp (s, "0") == 0)
    {
      *out = 0;
      return 0;
    }
  if (*s == '\0')
    goto invalid;
  while (*s)
    {
      uint64_t v, f, unit = 0;
      double scale;
      size_t i = 0;
      cleanup_free char *u = NULL;

      if (! duration_group (&s, &v, &f, &scale))
        goto invalid;
      while (s[i] && s[i] != '.' && ! (s[i] >= '0' && s[i] <= '9'))
        i++;
      if (i == 0)
        return CC_DURATION_MISSING_UNIT;
      u = xstrndup (s, i);
      s += i;
      for (size_t k = 0; k < CC_N_ELEMENTS (duration_units); k++)
        if (strcmp (u, duration_units[k].name) == 0 && (days || duration_units[k].ns < 86400000000000ULL))
          unit = duration_units[k].ns;
      if (unit == 0)
        {
          if (bad_unit)
            *bad_unit = steal_pointer (&u);
          return CC_DURATION_UNKNOWN_UNIT;
        }
      if (v > (UINT64_C (1) << 63) / unit)
        goto invalid;
      v *= unit;
      if (f > 0)
        {
          v += (uint64_t)((double)f * ((double)unit / scale));
          if (v > (UINT64_C (1) << 63))
            goto invalid;
        }
      d += v;
      if (d > (UINT64_C (1) << 63))
        goto invalid;
    }
  if (neg)
    {
      *out = d == (UINT64_C (1) << 63) ? INT64_MIN : -(int64_t)d;
      return 0;
    }
  if (d > (uint64_t)INT64_MAX)
    goto invalid;
  *out = (int64_t)d;
  return 0;
invalid:
  return CC_DURATION_INVALID;
}

int
cc_pull_policy_period (const char *policy, int64_t *ns)
{
  static const struct
  {
    const char *name;
    int64_t hours;
  } named[] = { { "daily", 24 }, { "weekly", 7 * 24 } };

  for (size_t i = 0; i < CC_N_ELEMENTS (named); i++)
    if (strcmp (policy, named[i].name) == 0)
      {
        *ns = named[i].hours * 3600 * INT64_C (1000000000);
        return 1;
      }
  if (strncmp (policy, "every_", 6) != 0)
    return 0;
  return cc_duration_parse (policy + 6, true, ns, NULL) == 0 ? 1 : -1;
}
