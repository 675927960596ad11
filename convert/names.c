/* Names that Kubernetes accepts.  Compose allows `_` and `.` in service,
   volume and secret names; the API server does not (DNS-1123), and
   Kompose's users meet that as `kubectl apply` failures (kompose#1897):
   every generated name goes through cv_dns_label.  */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "convert/internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

static bool
is_lower_alnum (char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

char *
cv_dns_label (const char *name, cc_error_t *err)
{
  size_t len = strlen (name), start = 0, end;
  cleanup_free char *out = xmalloc (len + 1);

  for (size_t i = 0; i < len; i++)
    {
      char ch = (char)tolower ((unsigned char)name[i]);
      out[i] = is_lower_alnum (ch) ? ch : '-';
    }
  out[len] = '\0';
  while (out[start] == '-')
    start++;
  end = len;
  while (end > start && out[end - 1] == '-')
    end--;
  if (end == start)
    {
      cc_error_make (err, 0, "`%s` has no letter or digit to make a Kubernetes name of", name);
      return NULL;
    }
  if (end - start > 63)
    {
      cc_error_make (err, 0, "`%s` is longer than the 63 characters of a Kubernetes name", name);
      return NULL;
    }
  return xstrndup (out + start, end - start);
}

bool
cv_is_dns_label (const char *s)
{
  size_t len = strlen (s);

  if (len == 0 || len > 63 || ! is_lower_alnum (s[0]) || ! is_lower_alnum (s[len - 1]))
    return false;
  for (const char *p = s; *p; p++)
    if (! is_lower_alnum (*p) && *p != '-')
      return false;
  return true;
}

bool
cv_is_dns_subdomain (const char *s)
{
  cleanup_free char *copy = xstrdup (s);
  char *save = NULL;

  if (strlen (s) == 0 || strlen (s) > 253 || s[0] == '.' || s[strlen (s) - 1] == '.' || strstr (s, ".."))
    return false;
  for (char *part = strtok_r (copy, ".", &save); part; part = strtok_r (NULL, ".", &save))
    if (! cv_is_dns_label (part))
      return false;
  return true;
}

char *
cv_port_name (const char *name)
{
  cleanup_free char *label = NULL;
  cleanup_error cc_error_t err = NULL;
  bool letter = false;

  label = cv_dns_label (name, &err);
  if (label == NULL || strlen (label) > 15 || strstr (label, "--"))
    return NULL;
  for (const char *p = label; *p; p++)
    letter |= (*p >= 'a' && *p <= 'z');
  return letter ? steal_pointer (&label) : NULL;
}

/* The name part of a label key, and label values: 63 characters of
   [A-Za-z0-9_.-], alphanumeric at both ends (values may be empty).  */
static bool
is_qualified_part (const char *s, size_t len)
{
  if (len == 0 || len > 63 || ! isalnum ((unsigned char)s[0]) || ! isalnum ((unsigned char)s[len - 1]))
    return false;
  for (size_t i = 0; i < len; i++)
    if (! isalnum ((unsigned char)s[i]) && ! strchr ("-_.", s[i]))
      return false;
  return true;
}

bool
cv_is_label_key (const char *s)
{
  const char *slash = strchr (s, '/');
  cleanup_free char *prefix = NULL;

  if (slash == NULL)
    return is_qualified_part (s, strlen (s));
  prefix = xstrndup (s, (size_t)(slash - s));
  return cv_is_dns_subdomain (prefix) && is_qualified_part (slash + 1, strlen (slash + 1));
}

bool
cv_is_label_value (const char *s)
{
  return *s == '\0' || is_qualified_part (s, strlen (s));
}

static bool
is_host_char (char ch)
{
  return isalnum ((unsigned char)ch) || ch == '-' || ch == '_' || ch == '.';
}

/* The next occurrence of NAME in TEXT (from P) that stands alone.  */
static const char *
find_name (const char *text, const char *p, const char *name)
{
  size_t len = strlen (name);

  for (const char *hit = strstr (p, name); hit; hit = strstr (hit + 1, name))
    {
      bool left = hit == text || ! is_host_char (hit[-1]);
      bool right = ! is_host_char (hit[len]);
      if (left && right)
        return hit;
    }
  return NULL;
}

bool
cv_text_names (const char *text, const char *name)
{
  return *name && find_name (text, text, name) != NULL;
}

char *
cv_text_rename (const char *text, const char *from, const char *to)
{
  struct cc_buf b = { 0 };
  const char *p = text, *hit;

  while (*from && (hit = find_name (text, p, from)))
    {
      cc_buf_append (&b, p, (size_t)(hit - p));
      cc_buf_puts (&b, to);
      p = hit + strlen (from);
    }
  cc_buf_puts (&b, p);
  return cc_buf_steal (&b);
}
