#include "lib/device.h"

#include <stddef.h>
#include <string.h>

bool
cc_device_mode_ok (const char *perms)
{
  size_t n = perms ? strlen (perms) : 0;

  if (n == 0 || n > 3 || strspn (perms, "rwm") != n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (strchr (perms + i + 1, perms[i]))
      return false;
  return true;
}

static bool
is_rule_number (const char *s, size_t n)
{
  if (n == 1 && *s == '*')
    return true;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return n > 0;
}

bool
cc_device_rule_ok (const char *rule)
{
  const char *colon, *sp;

  if (rule == NULL || rule[0] == '\0' || strchr ("abc", rule[0]) == NULL || rule[1] != ' ')
    return false;
  colon = strchr (rule + 2, ':');
  sp = colon ? strchr (colon + 1, ' ') : NULL;
  return sp && is_rule_number (rule + 2, (size_t)(colon - rule - 2))
         && is_rule_number (colon + 1, (size_t)(sp - colon - 1)) && cc_device_mode_ok (sp + 1);
}

static bool
has_dotdot (const char *path)
{
  for (const char *p = strstr (path, ".."); p; p = strstr (p + 1, ".."))
    if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
      return true;
  return false;
}

bool
cc_device_target_ok (const char *path)
{
  return path && strncmp (path, "/dev/", 5) == 0 && path[5] != '\0' && ! has_dotdot (path);
}
