/* Strings as BuildKit's Go code sees them: UTF-8 decoding with U+FFFD
   for bad bytes, unicode.IsSpace, the %q and %v formats its history
   entries and messages use, time.Duration, and the error position format
   (`Dockerfile:LINE:COL: message` plus the line and a caret).  */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/duration.h"
#include "lib/visible.h"
#include "lib/xalloc.h"

size_t
cc_bld_decode (const char *s, size_t n, uint32_t *rune)
{
  const unsigned char *p = (const unsigned char *)s;
  unsigned char lo = 0x80, hi = 0xBF;
  size_t len;
  uint32_t v;

  if (p[0] < 0x80)
    {
      *rune = p[0];
      return 1;
    }
  if (p[0] >= 0xC2 && p[0] <= 0xDF)
    len = 2, v = p[0] & 0x1F;
  else if (p[0] >= 0xE0 && p[0] <= 0xEF)
    {
      len = 3, v = p[0] & 0x0F;
      /* No overlong forms, no UTF-16 surrogates (Go's utf8 rules).  */
      lo = p[0] == 0xE0 ? 0xA0 : 0x80;
      hi = p[0] == 0xED ? 0x9F : 0xBF;
    }
  else if (p[0] >= 0xF0 && p[0] <= 0xF4)
    {
      len = 4, v = p[0] & 0x07;
      lo = p[0] == 0xF0 ? 0x90 : 0x80;
      hi = p[0] == 0xF4 ? 0x8F : 0xBF;
    }
  else
    goto bad;
  if (n < len || p[1] < lo || p[1] > hi)
    goto bad;
  v = (v << 6) | (p[1] & 0x3F);
  for (size_t i = 2; i < len; i++)
    {
      if ((p[i] & 0xC0) != 0x80)
        goto bad;
      v = (v << 6) | (p[i] & 0x3F);
    }
  *rune = v;
  return len;
bad:
  *rune = CC_BLD_RUNE_ERROR;
  return 1;
}

void
cc_bld_put_rune (struct cc_buf *b, uint32_t r)
{
  char out[4];

  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
    r = CC_BLD_RUNE_ERROR;
  if (r < 0x80)
    out[0] = (char)r, cc_buf_append (b, out, 1);
  else if (r < 0x800)
    {
      out[0] = (char)(0xC0 | (r >> 6));
      out[1] = (char)(0x80 | (r & 0x3F));
      cc_buf_append (b, out, 2);
    }
  else if (r < 0x10000)
    {
      out[0] = (char)(0xE0 | (r >> 12));
      out[1] = (char)(0x80 | ((r >> 6) & 0x3F));
      out[2] = (char)(0x80 | (r & 0x3F));
      cc_buf_append (b, out, 3);
    }
  else
    {
      out[0] = (char)(0xF0 | (r >> 18));
      out[1] = (char)(0x80 | ((r >> 12) & 0x3F));
      out[2] = (char)(0x80 | ((r >> 6) & 0x3F));
      out[3] = (char)(0x80 | (r & 0x3F));
      cc_buf_append (b, out, 4);
    }
}

/* Unicode's White_Space property, which unicode.IsSpace tests.  */
bool
cc_bld_is_space (uint32_t r)
{
  switch (r)
    {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
    }
}

bool
cc_bld_is_space_byte (unsigned char c)
{
  return cc_bld_is_space (c);
}

bool
cc_bld_is_digit (uint32_t r)
{
  static const uint32_t zeros[] = { '0',   0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66,  0xAE6,  0xB66,  0xBE6,
                                    0xC66, 0xCE6, 0xD66, 0xE50, 0xED0, 0xF20, 0x1040, 0x17E0, 0x1810, 0xFF10 };

  for (size_t i = 0; i < CC_N_ELEMENTS (zeros); i++)
    if (r >= zeros[i] && r <= zeros[i] + 9)
      return true;
  return false;
}

bool
cc_bld_is_letter (uint32_t r)
{
  if (r < 0x80)
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  if (r < 0x100)
    return r == 0xAA || r == 0xB5 || r == 0xBA || (r >= 0xC0 && r != 0xD7 && r != 0xF7);
  /* Beyond Latin-1: the blocks of letters, without combining marks,
     punctuation, symbols and private use (an approximation of Go's
     tables that only variable names rely on).  */
  if (r >= 0x300 && r <= 0x36F)
    return false;
  if (cc_bld_is_digit (r) || cc_bld_is_space (r))
    return false;
  return (r < 0x2000) || (r >= 0x2C00 && r < 0x2E00) || (r >= 0x3040 && r < 0xD800) || (r >= 0xF900 && r < 0xFE00)
         || (r >= 0xFE70 && r < 0xFEFF) || (r >= 0xFF21 && r <= 0xFF3A) || (r >= 0xFF41 && r <= 0xFF5A)
         || (r >= 0xFF66 && r <= 0xFFDC) || (r >= 0x10000 && r < 0x1F000) || (r >= 0x20000 && r < 0x32000);
}

size_t
cc_bld_trim_left (const char *s, size_t n)
{
  size_t i = 0;

  while (i < n)
    {
      uint32_t r;
      size_t w = cc_bld_decode (s + i, n - i, &r);
      if (! cc_bld_is_space (r))
        break;
      i += w;
    }
  return i;
}

/* The start of the rune that ends at S[END] (exclusive).  */
static size_t
rune_start_before (const char *s, size_t end)
{
  size_t i = end - 1;
  size_t lim = end >= 4 ? end - 4 : 0;

  while (i > lim && ((unsigned char)s[i] & 0xC0) == 0x80)
    i--;
  /* A well-formed rune that ends exactly at END, or a single bad byte.  */
  {
    uint32_t r;
    size_t w = cc_bld_decode (s + i, end - i, &r);
    if (i + w != end)
      i = end - 1;
  }
  return i;
}

void
cc_bld_trim_space (const char *s, size_t n, size_t *start, size_t *end)
{
  size_t a = cc_bld_trim_left (s, n), b = n;

  while (b > a)
    {
      size_t i = rune_start_before (s, b);
      uint32_t r;
      cc_bld_decode (s + i, b - i, &r);
      if (! cc_bld_is_space (r))
        break;
      b = i;
    }
  *start = a;
  *end = b;
}

/* strconv.IsPrint for the characters that matter: ASCII, C1 controls,
   the other spaces, format characters, private use.  */
static bool
is_print (uint32_t r)
{
  if (r < 0x80)
    return r >= 0x20 && r < 0x7F;
  if (r < 0xA1 || r == 0xAD)
    return false;
  if (cc_bld_is_space (r))
    return false;
  if ((r >= 0x200B && r <= 0x200F) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2060 && r <= 0x206F) || r == 0xFEFF
      || (r >= 0xFFF9 && r <= 0xFFFB) || (r >= 0x600 && r <= 0x605) || r == 0x61C || r == 0x6DD || r == 0x70F
      || r == 0x180E || (r >= 0xE000 && r <= 0xF8FF) || r == 0xFFFE || r == 0xFFFF || r >= 0xE0000)
    return false;
  return true;
}

static void
quote_rune_into (struct cc_buf *b, uint32_t r, char quote)
{
  static const char esc[] = { 'a', 'b', 't', 'n', 'v', 'f', 'r' };

  if (r == (uint32_t)quote || r == '\\')
    {
      cc_buf_putc (b, '\\');
      cc_buf_putc (b, (char)r);
    }
  else if (is_print (r))
    cc_bld_put_rune (b, r);
  else if (r >= 7 && r <= 13)
    {
      cc_buf_putc (b, '\\');
      cc_buf_putc (b, esc[r - 7]);
    }
  else if (r < 0x20 || r == 0x7F)
    cc_buf_printf (b, "\\x%02x", r);
  else if (r < 0x10000)
    cc_buf_printf (b, "\\u%04x", r);
  else
    cc_buf_printf (b, "\\U%08x", r);
}

void
cc_bld_go_quote (struct cc_buf *b, const char *s)
{
  size_t n = strlen (s);

  cc_buf_putc (b, '"');
  for (size_t i = 0; i < n;)
    {
      uint32_t r;
      size_t w = cc_bld_decode (s + i, n - i, &r);
      if (w == 1 && r == CC_BLD_RUNE_ERROR && (unsigned char)s[i] >= 0x80)
        cc_buf_printf (b, "\\x%02x", (unsigned char)s[i]);
      else
        quote_rune_into (b, r, '"');
      i += w;
    }
  cc_buf_putc (b, '"');
}

void
cc_bld_go_quote_strv (struct cc_buf *b, char *const *v)
{
  cc_buf_putc (b, '[');
  for (size_t i = 0; v && v[i]; i++)
    {
      if (i > 0)
        cc_buf_putc (b, ' ');
      cc_bld_go_quote (b, v[i]);
    }
  cc_buf_putc (b, ']');
}

void
cc_bld_go_strv (struct cc_buf *b, char *const *v)
{
  cc_buf_putc (b, '[');
  for (size_t i = 0; v && v[i]; i++)
    {
      if (i > 0)
        cc_buf_putc (b, ' ');
      cc_buf_puts (b, v[i]);
    }
  cc_buf_putc (b, ']');
}

void
cc_bld_go_quote_rune (struct cc_buf *b, int64_t r)
{
  uint32_t u = (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) ? CC_BLD_RUNE_ERROR : (uint32_t)r;

  cc_buf_putc (b, '\'');
  quote_rune_into (b, u, '\'');
  cc_buf_putc (b, '\'');
}

int
cc_bld_go_parse_int (const char *s, long long *out)
{
  const char *p = s;
  char *end;

  if (*p == '+' || *p == '-')
    p++;
  if (*p < '0' || *p > '9' || strspn (p, "0123456789") != strlen (p))
    return -1;
  errno = 0;
  *out = strtoll (s, &end, 10);
  return errno == ERANGE ? -2 : 0;
}

void
cc_bld_go_duration (struct cc_buf *b, int64_t d)
{
  cc_duration_format (b, d);
}

/* Go's messages, with the quoting of %q.  */
int
cc_bld_go_parse_duration (const char *orig, int64_t *out, char **errmsg)
{
  cleanup_free char *unit = NULL;
  cleanup_buf struct cc_buf b = { 0 };
  int kind = cc_duration_parse (orig, false, out, &unit);

  if (kind == 0)
    return 0;
  cc_buf_puts (&b, "time: ");
  if (kind == CC_DURATION_UNKNOWN_UNIT)
    {
      cc_buf_puts (&b, "unknown unit ");
      cc_bld_go_quote (&b, unit);
      cc_buf_puts (&b, " in duration ");
    }
  else
    cc_buf_puts (&b, kind == CC_DURATION_MISSING_UNIT ? "missing unit in duration " : "invalid duration ");
  cc_bld_go_quote (&b, orig);
  *errmsg = cc_buf_steal (&b);
  return -1;
}

/* Levenshtein distance over runes' bytes (the options are ASCII).  */
static size_t
distance (const char *a, const char *b)
{
  size_t na = strlen (a), nb = strlen (b);
  cleanup_free size_t *row = xmalloc ((nb + 1) * sizeof (*row));

  for (size_t j = 0; j <= nb; j++)
    row[j] = j;
  for (size_t i = 1; i <= na; i++)
    {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= nb; j++)
        {
          size_t up = row[j];
          size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
          if (up + 1 < best)
            best = up + 1;
          if (row[j - 1] + 1 < best)
            best = row[j - 1] + 1;
          diag = up;
          row[j] = best;
        }
    }
  return row[nb];
}

static void
lower (char *s)
{
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'Z')
      *s = (char)(*s - 'A' + 'a');
}

static bool
is_all (const char *s, bool upper)
{
  for (; *s; s++)
    if (upper ? (*s >= 'a' && *s <= 'z') : (*s >= 'A' && *s <= 'Z'))
      return false;
  return true;
}

const char *
cc_bld_suggest (const char *val, const char *const *options, size_t n, bool case_sensitive, char **cased)
{
  cleanup_free char *v = xstrdup (val);
  const char *match = NULL;
  size_t best = 3;

  *cased = NULL;
  /* Beyond a few edits nothing is close; long words need not be compared.  */
  if (strlen (val) > 64)
    return NULL;
  if (! case_sensitive)
    lower (v);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *o = xstrdup (options[i]);
      size_t d;
      if (! case_sensitive)
        lower (o);
      if (strcmp (v, o) == 0)
        return NULL;
      d = distance (v, o);
      if (d < best)
        best = d, match = options[i];
    }
  if (match == NULL)
    return NULL;
  *cased = xstrdup (match);
  if (! case_sensitive)
    {
      /* Answer in the case the user wrote: all lower, all upper, or as is.  */
      if (is_all (val, false))
        lower (*cased);
      else if (is_all (val, true))
        for (char *p = *cased; *p; p++)
          if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    }
  return *cased;
}

/* ---- positions ------------------------------------------------------- */

#define EXCERPT_WIDTH 100

/* Copy source bytes with control characters and bad UTF-8 shown as `?`
   (the error may be about exactly those bytes, and a Dockerfile must
   not drive the user's terminal), or for the caret line, the whitespace
   that lines the caret up under the column.  */
static void
put_visible (struct cc_buf *b, const char *p, size_t n, bool caret_line)
{
  for (size_t i = 0; i < n;)
    {
      const unsigned char *u = (const unsigned char *)p + i;
      size_t len = cc_utf8_sequence_len (u, n - i);
      bool control = len > 0 && cc_is_terminal_control (u, len, "\t");

      if (caret_line)
        cc_buf_putc (b, *u == '\t' ? '\t' : ' ');
      else if (len == 0 || control)
        cc_buf_putc (b, '?');
      else
        cc_buf_append (b, p + i, len);
      i += len ? len : 1;
    }
}

static const char *
find_line (const struct cc_dockerfile *df, int line, size_t *len)
{
  const char *p = df->text, *end = df->text + df->len;

  for (int l = 1; l < line && p < end; l++)
    {
      const char *nl = memchr (p, '\n', (size_t)(end - p));
      if (nl == NULL)
        return NULL;
      p = nl + 1;
    }
  if (p >= end && line > 1)
    return NULL;
  {
    const char *nl = memchr (p, '\n', (size_t)(end - p));
    *len = nl ? (size_t)(nl - p) : (size_t)(end - p);
  }
  while (*len > 0 && p[*len - 1] == '\r')
    (*len)--;
  return p;
}

/* Byte offset of 1-based column COL (in characters) of P.  */
static size_t
column_offset (const char *p, size_t len, int col)
{
  size_t off = 0;

  for (int c = 1; c < col && off < len; c++)
    {
      uint32_t r;
      off += cc_bld_decode (p + off, len - off, &r);
    }
  return off;
}

static void
append_excerpt (struct cc_buf *b, const struct cc_dockerfile *df, int line, int col)
{
  size_t len = 0, caret, from = 0, to;
  const char *p;

  if (df == NULL || df->text == NULL || line < 1)
    return;
  p = find_line (df, line, &len);
  if (p == NULL)
    return;
  caret = column_offset (p, len, col < 1 ? 1 : col);
  if (caret > EXCERPT_WIDTH)
    from = caret - EXCERPT_WIDTH / 2;
  while (from > 0 && ((unsigned char)p[from] & 0xC0) == 0x80)
    from--;
  to = from + EXCERPT_WIDTH < len ? from + EXCERPT_WIDTH : len;
  while (to < len && ((unsigned char)p[to] & 0xC0) == 0x80)
    to++;
  cc_buf_puts (b, "\n  ");
  put_visible (b, p + from, to - from, false);
  cc_buf_puts (b, "\n  ");
  put_visible (b, p + from, caret - from, true);
  cc_buf_putc (b, '^');
}

static int __attribute__ ((format (printf, 5, 0)))
error_at_v (cc_error_t *err, const struct cc_dockerfile *df, int line, int col, const char *fmt, va_list ap)
{
  cleanup_buf struct cc_buf raw = { 0 };
  cleanup_buf struct cc_buf b = { 0 };

  if (err == NULL)
    return -1;
  if (df && line > 0)
    cc_buf_printf (&raw, "%s:%d:%d: ", df->name, line, col < 1 ? 1 : col);
  else if (df)
    cc_buf_printf (&raw, "%s: ", df->name);
  cc_buf_vprintf (&raw, fmt, ap);
  put_visible (&b, raw.data, raw.len, false);
  append_excerpt (&b, df, line, col);
  return cc_error_make (err, 0, "%s", b.data);
}

int
cc_bld_error_at (cc_error_t *err, const struct cc_dockerfile *df, int line, int col, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = error_at_v (err, df, line, col, fmt, ap);
  va_end (ap);
  return ret;
}

int
cc_bld_error_instr (cc_error_t *err, const struct cc_df_instr *in, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = error_at_v (err, in->file, in->line, in->col, fmt, ap);
  va_end (ap);
  return ret;
}

int
cc_bld_error_wrap_instr (cc_error_t *err, const struct cc_df_instr *in)
{
  cleanup_free char *msg = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  msg = xstrdup ((*err)->msg);
  cc_error_release (err);
  return cc_bld_error_instr (err, in, "%s", msg);
}

/* ---- linear containers ------------------------------------------------ */

void
cc_bld_vec_push (struct cc_bld_vec *vec, char *s)
{
  if (vec->n + 1 >= vec->cap)
    {
      vec->cap = vec->cap ? vec->cap * 2 : 8;
      vec->v = xreallocarray (vec->v, vec->cap, sizeof (char *));
    }
  vec->v[vec->n++] = s;
  vec->v[vec->n] = NULL;
}

char **
cc_bld_vec_steal (struct cc_bld_vec *vec)
{
  char **v = vec->v ? vec->v : xzalloc (sizeof (char *));

  vec->v = NULL;
  vec->n = vec->cap = 0;
  return v;
}

void
cc_bld_vec_release (struct cc_bld_vec *vec)
{
  for (size_t i = 0; i < vec->n; i++)
    free (vec->v[i]);
  free (vec->v);
  vec->v = NULL;
  vec->n = vec->cap = 0;
}

char **
cc_bld_split (const char *s, char sep, bool skip_empty)
{
  struct cc_bld_vec vec = { 0 };
  const char *start = s;

  for (const char *p = s;; p++)
    if (*p == sep || *p == '\0')
      {
        if (! skip_empty || p > start)
          cc_bld_vec_push (&vec, xstrndup (start, (size_t)(p - start)));
        if (*p == '\0')
          break;
        start = p + 1;
      }
  return cc_bld_vec_steal (&vec);
}

char *
cc_bld_path_clean (const char *p)
{
  bool abs = p[0] == '/';
  size_t n = strlen (p), *starts = xmalloc ((n / 2 + 2) * sizeof (size_t));
  size_t *lens = xmalloc ((n / 2 + 2) * sizeof (size_t));
  size_t k = 0;
  struct cc_buf b = { 0 };

  for (size_t i = 0; i < n;)
    {
      size_t j = i;
      while (j < n && p[j] != '/')
        j++;
      if (j == i || (j - i == 1 && p[i] == '.'))
        ;
      else if (j - i == 2 && p[i] == '.' && p[i + 1] == '.')
        {
          if (k > 0 && ! (lens[k - 1] == 2 && p[starts[k - 1]] == '.' && p[starts[k - 1] + 1] == '.'))
            k--;
          else if (! abs)
            starts[k] = i, lens[k++] = 2;
        }
      else
        starts[k] = i, lens[k++] = j - i;
      i = j + 1;
    }
  if (abs)
    cc_buf_putc (&b, '/');
  for (size_t i = 0; i < k; i++)
    {
      if (i > 0)
        cc_buf_putc (&b, '/');
      cc_buf_append (&b, p + starts[i], lens[i]);
    }
  if (b.len == 0)
    cc_buf_putc (&b, '.');
  free (starts);
  free (lens);
  return cc_buf_steal (&b);
}
