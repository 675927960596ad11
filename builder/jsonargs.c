/* Exec forms (`CMD ["a", "b"]`) as BuildKit reads them: the text must
   start with `[`, and Go's json.Decoder reads the first JSON value from
   it, ignoring whatever follows (`CMD ["a"] junk` is ["a"]).  Invalid
   JSON is not an error: the instruction falls back to its shell form.  A
   valid array holding anything but strings is an error, except a number
   too large for a float64, which Go reports as a type error that again
   means the shell form.  Strings decode as Go decodes them: bad UTF-8
   and lone surrogates become U+FFFD.  The depth limit is Go's (10000).  */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define JSON_MAX_DEPTH 10000

struct jp
{
  const char *s;
  size_t n, i;
  bool type_error; /* a number out of float64 range */
};

static void
skip_ws (struct jp *j)
{
  while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' || j->s[j->i] == '\r'))
    j->i++;
}

static int
hex4 (const char *p)
{
  int v = 0;

  for (int k = 0; k < 4; k++)
    {
      char c = p[k];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return -1;
    }
  return v;
}

/* A string at j->i (the opening quote); into OUT when not NULL.  */
static bool
parse_string (struct jp *j, struct cc_buf *out)
{
  j->i++;
  while (j->i < j->n)
    {
      unsigned char c = (unsigned char)j->s[j->i];
      if (c == '"')
        {
          j->i++;
          return true;
        }
      if (c < 0x20)
        return false;
      if (c == '\\')
        {
          char e;
          if (j->i + 1 >= j->n)
            return false;
          e = j->s[j->i + 1];
          j->i += 2;
          switch (e)
            {
            case '"':
            case '\\':
            case '/':
              if (out)
                cc_buf_putc (out, e);
              continue;
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
              if (out)
                cc_buf_putc (out, e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' : e == 'r' ? '\r' : '\t');
              continue;
            case 'u':
              {
                int hi, lo;
                uint32_t r;
                if (j->i + 4 > j->n || (hi = hex4 (j->s + j->i)) < 0)
                  return false;
                j->i += 4;
                r = (uint32_t)hi;
                if (hi >= 0xD800 && hi < 0xDC00 && j->i + 6 <= j->n && j->s[j->i] == '\\' && j->s[j->i + 1] == 'u'
                    && (lo = hex4 (j->s + j->i + 2)) >= 0xDC00 && lo < 0xE000)
                  {
                    r = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                    j->i += 6;
                  }
                else if (hi >= 0xD800 && hi < 0xE000)
                  r = CC_BLD_RUNE_ERROR;
                if (out)
                  cc_bld_put_rune (out, r);
                continue;
              }
            default:
              return false;
            }
        }
      {
        uint32_t r;
        size_t w = cc_bld_decode (j->s + j->i, j->n - j->i, &r);
        if (out)
          {
            if (r == CC_BLD_RUNE_ERROR && w == 1)
              cc_bld_put_rune (out, r);
            else
              cc_buf_append (out, j->s + j->i, w);
          }
        j->i += w;
      }
    }
  return false;
}

static bool
parse_number (struct jp *j)
{
  size_t start = j->i;
  cleanup_free char *copy = NULL;
  double v;

  if (j->s[j->i] == '-')
    j->i++;
  if (j->i >= j->n)
    return false;
  if (j->s[j->i] == '0')
    j->i++;
  else if (j->s[j->i] >= '1' && j->s[j->i] <= '9')
    while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
      j->i++;
  else
    return false;
  if (j->i < j->n && j->s[j->i] == '.')
    {
      j->i++;
      if (j->i >= j->n || j->s[j->i] < '0' || j->s[j->i] > '9')
        return false;
      while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
        j->i++;
    }
  if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E'))
    {
      j->i++;
      if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
        j->i++;
      if (j->i >= j->n || j->s[j->i] < '0' || j->s[j->i] > '9')
        return false;
      while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
        j->i++;
    }
  copy = xstrndup (j->s + start, j->i - start);
  errno = 0;
  v = strtod (copy, NULL);
  if (errno == ERANGE && isinf (v))
    j->type_error = true;
  return true;
}

static bool
parse_literal (struct jp *j, const char *lit)
{
  size_t n = strlen (lit);

  if (j->n - j->i < n || memcmp (j->s + j->i, lit, n) != 0)
    return false;
  j->i += n;
  return true;
}

/* Any JSON value, without recursion: a stack of the open containers.  */
static bool
skip_value (struct jp *j)
{
  cleanup_free char *stack = NULL;
  size_t depth = 0, cap = 0;
  bool expect_value = true;

  for (;;)
    {
      skip_ws (j);
      if (j->i >= j->n)
        return false;
      if (expect_value)
        {
          char c = j->s[j->i];
          if (c == '[' || c == '{')
            {
              if (depth >= JSON_MAX_DEPTH)
                return false;
              if (depth == cap)
                {
                  cap = cap ? cap * 2 : 16;
                  stack = xrealloc (stack, cap);
                }
              stack[depth++] = c;
              j->i++;
              skip_ws (j);
              if (j->i < j->n && j->s[j->i] == (c == '[' ? ']' : '}'))
                {
                  j->i++;
                  depth--;
                  expect_value = false;
                  goto after_value;
                }
              if (c == '{')
                {
                  if (j->i >= j->n || j->s[j->i] != '"' || ! parse_string (j, NULL))
                    return false;
                  skip_ws (j);
                  if (j->i >= j->n || j->s[j->i] != ':')
                    return false;
                  j->i++;
                }
              continue;
            }
          if (c == '"')
            {
              if (! parse_string (j, NULL))
                return false;
            }
          else if (c == '-' || (c >= '0' && c <= '9'))
            {
              if (! parse_number (j))
                return false;
            }
          else if (! parse_literal (j, "true") && ! parse_literal (j, "false") && ! parse_literal (j, "null"))
            return false;
          expect_value = false;
        }
    after_value:
      if (depth == 0)
        return true;
      skip_ws (j);
      if (j->i >= j->n)
        return false;
      if (j->s[j->i] == ',')
        {
          j->i++;
          expect_value = true;
          if (stack[depth - 1] == '{')
            {
              skip_ws (j);
              if (j->i >= j->n || j->s[j->i] != '"' || ! parse_string (j, NULL))
                return false;
              skip_ws (j);
              if (j->i >= j->n || j->s[j->i] != ':')
                return false;
              j->i++;
            }
          continue;
        }
      if (j->s[j->i] == (stack[depth - 1] == '[' ? ']' : '}'))
        {
          j->i++;
          depth--;
          goto after_value;
        }
      return false;
    }
}

int
cc_bld_json_strings (const char *text, size_t len, char ***out)
{
  struct jp j = { text, len, cc_bld_trim_left (text, len), false };
  cleanup_strv char **list = xzalloc (sizeof (char *));
  bool non_string = false;

  if (j.i >= j.n || j.s[j.i] != '[')
    return 0;
  j.i++;
  skip_ws (&j);
  if (j.i < j.n && j.s[j.i] == ']')
    goto done;
  for (;;)
    {
      skip_ws (&j);
      if (j.i >= j.n)
        return 0;
      if (j.s[j.i] == '"')
        {
          cleanup_buf struct cc_buf s = { 0 };
          if (! parse_string (&j, &s))
            return 0;
          cc_buf_puts (&s, "");
          cc_strv_push (&list, cc_buf_steal (&s));
        }
      else
        {
          if (! skip_value (&j))
            return 0;
          non_string = true;
        }
      skip_ws (&j);
      if (j.i >= j.n)
        return 0;
      if (j.s[j.i] == ']')
        break;
      if (j.s[j.i] != ',')
        return 0;
      j.i++;
    }
done:
  if (j.type_error)
    return 0;
  if (non_string)
    return -1;
  *out = steal_pointer (&list);
  return 1;
}
