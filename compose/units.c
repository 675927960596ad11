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
#include "lib/duration.h"
#include "lib/xalloc.h"

/* Go's time.ParseDuration with `d` as compose-go accepts it
   (lib/duration.c, the one reader of durations); a sign is refused, as a
   negative duration has no meaning in a compose file.  */
int
cc_parse_duration (const char *s, int64_t *ns, cc_error_t *err)
{
  int kind;

  if (*s == '\0')
    return cc_error_make (err, 0, "invalid duration ``: empty");
  if (*s == '-' || *s == '+')
    return cc_error_make (err, 0, "invalid duration `%s` (use units like 1m30s, 500ms, 1h)", s);
  kind = cc_duration_parse (s, true, ns, NULL);
  if (kind == CC_DURATION_MISSING_UNIT || kind == CC_DURATION_UNKNOWN_UNIT)
    return cc_error_make (err, 0, "invalid duration `%s`: missing or unknown unit (use ns, us, ms, s, m, h, d, w)", s);
  if (kind != 0)
    return cc_error_make (err, 0, "invalid duration `%s` (use units like 1m30s, 500ms, 1h)", s);
  return 0;
}

char *
cc_format_duration (int64_t ns)
{
  struct cc_buf b = { 0 };

  cc_duration_format (&b, ns);
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
