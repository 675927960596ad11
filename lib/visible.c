#include "visible.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

size_t
cc_utf8_sequence_len (const unsigned char *p, size_t n)
{
  size_t len;

  if (n == 0)
    return 0;
  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xC2 && p[0] <= 0xDF)
    len = 2;
  else if (p[0] >= 0xE0 && p[0] <= 0xEF)
    len = 3;
  else if (p[0] >= 0xF0 && p[0] <= 0xF4)
    len = 4;
  else
    return 0;
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((p[i] & 0xC0) != 0x80)
      return 0;
  return len;
}

bool
cc_is_terminal_control (const unsigned char *p, size_t len, const char *keep)
{
  if (len == 1)
    return (p[0] < 0x20 && (p[0] == '\0' || strchr (keep, p[0]) == NULL)) || p[0] == 0x7F;
  return len == 2 && p[0] == 0xC2 && p[1] <= 0x9F;
}

char *
cc_make_visible (char *s, const char *keep)
{
  unsigned char *in = (unsigned char *)s, *out = in;

  if (s == NULL)
    return NULL;
  while (*in)
    {
      /* The NUL ends any sequence early: a bound past it is safe.  */
      size_t len = cc_utf8_sequence_len (in, 4);
      if (len == 0 || cc_is_terminal_control (in, len, keep))
        {
          *out++ = '?';
          in += len ? len : 1;
          continue;
        }
      memmove (out, in, len);
      out += len;
      in += len;
    }
  *out = '\0';
  return s;
}
