/* Image references, parsed and normalized as Docker does (the
   distribution/reference grammar): `redis` is docker.io/library/redis:latest.  */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128

static bool
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | [-]+  */
static bool
is_path_component (const char *s, size_t len)
{
  size_t i = 0;

  while (i < len)
    {
      size_t run = 0;
      while (i < len && is_lower_alnum (s[i]))
        i++, run++;
      if (run == 0)
        return false;
      if (i == len)
        return true;
      if (s[i] == '.' || s[i] == '_')
        {
          i++;
          if (i < len && s[i - 1] == '_' && s[i] == '_')
            i++;
        }
      else if (s[i] == '-')
        while (i < len && s[i] == '-')
          i++;
      else
        return false;
      if (i == len)
        return false;
    }
  return len > 0;
}

static bool
is_domain_component (const char *s, size_t len)
{
  if (len == 0 || ! isalnum ((unsigned char)s[0]) || ! isalnum ((unsigned char)s[len - 1]))
    return false;
  for (size_t i = 0; i < len; i++)
    if (! isalnum ((unsigned char)s[i]) && s[i] != '-')
      return false;
  return true;
}

static bool
is_domain (const char *s)
{
  const char *colon = strchr (s, ':');
  size_t hostlen = colon ? (size_t)(colon - s) : strlen (s);
  const char *p = s, *end = s + hostlen;

  if (colon)
    {
      if (colon[1] == '\0')
        return false;
      for (const char *q = colon + 1; *q; q++)
        if (! isdigit ((unsigned char)*q))
          return false;
    }
  while (p < end)
    {
      const char *dot = memchr (p, '.', (size_t)(end - p));
      size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
      if (! is_domain_component (p, n))
        return false;
      p += n + (dot ? 1 : 0);
      if (dot && p == end)
        return false;
    }
  return hostlen > 0;
}

static bool
is_tag (const char *s)
{
  size_t len = strlen (s);

  if (len == 0 || len > TAG_MAX_LEN || ! (isalnum ((unsigned char)s[0]) || s[0] == '_'))
    return false;
  for (size_t i = 1; i < len; i++)
    if (! isalnum ((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
      return false;
  return true;
}

bool
cc_image_is_digest (const char *s)
{
  if (s == NULL || strncmp (s, "sha256:", 7) != 0 || strlen (s) != 7 + 64)
    return false;
  for (const char *p = s + 7; *p; p++)
    if (! ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

static bool
has_upper (const char *s)
{
  for (; *s; s++)
    if (isupper ((unsigned char)*s))
      return true;
  return false;
}

static int
check_path (const char *path, const char *text, cc_error_t *err)
{
  const char *p = path;

  if (has_upper (path))
    return cc_error_make (err, 0, "invalid reference format `%s`: repository name must be lowercase", text);
  for (;;)
    {
      const char *slash = strchr (p, '/');
      size_t n = slash ? (size_t)(slash - p) : strlen (p);
      if (! is_path_component (p, n))
        return cc_error_make (err, 0, "invalid reference format `%s`", text);
      if (slash == NULL)
        return 0;
      p = slash + 1;
    }
}

/* Docker's rule: the first component is a registry when it has a dot or
   a port, is `localhost`, or has upper case letters.  */
static bool
looks_like_domain (const char *first)
{
  return strpbrk (first, ".:") != NULL || strcmp (first, "localhost") == 0 || has_upper (first);
}

static int
split_domain (const char *name, const char *text, struct cc_image_ref *out, cc_error_t *err)
{
  const char *slash = strchr (name, '/');
  cleanup_free char *first = slash ? xstrndup (name, (size_t)(slash - name)) : NULL;

  if (first && looks_like_domain (first))
    {
      if (! is_domain (first))
        return cc_error_make (err, 0, "invalid reference format `%s`: bad registry `%s`", text, first);
      out->domain = strcmp (first, LEGACY_DOMAIN) == 0 ? xstrdup (DEFAULT_DOMAIN) : steal_pointer (&first);
      out->path = xstrdup (slash + 1);
    }
  else
    {
      out->domain = xstrdup (DEFAULT_DOMAIN);
      out->path = xstrdup (name);
    }
  if (strcmp (out->domain, DEFAULT_DOMAIN) == 0 && strchr (out->path, '/') == NULL)
    {
      char *p = xasprintf (OFFICIAL_PREFIX "%s", out->path);
      free (out->path);
      out->path = p;
    }
  return check_path (out->path, text, err);
}

static int
parse_into (const char *text, struct cc_image_ref *out, cc_error_t *err)
{
  cleanup_free char *name = NULL;
  const char *at = strchr (text, '@');
  const char *colon, *slash;

  if (*text == '\0')
    return cc_error_make (err, 0, "invalid reference format: empty reference");
  name = at ? xstrndup (text, (size_t)(at - text)) : xstrdup (text);
  if (at)
    {
      if (! cc_image_is_digest (at + 1))
        return cc_error_make (err, 0, "invalid reference format `%s`: bad digest (want sha256:<64 hex>)", text);
      out->digest = xstrdup (at + 1);
    }
  slash = strrchr (name, '/');
  colon = strrchr (name, ':');
  if (colon && (slash == NULL || colon > slash))
    {
      if (! is_tag (colon + 1))
        return cc_error_make (err, 0, "invalid reference format `%s`: bad tag `%s`", text, colon + 1);
      out->tag = xstrdup (colon + 1);
      name[colon - name] = '\0';
    }
  if (*name == '\0' || strlen (name) > NAME_MAX_LEN)
    return cc_error_make (err, 0, "invalid reference format `%s`", text);
  if (split_domain (name, text, out, err) < 0)
    return -1;
  if (out->tag == NULL && out->digest == NULL)
    out->tag = xstrdup ("latest");
  return 0;
}

int
cc_image_ref_parse (const char *text, struct cc_image_ref *out, cc_error_t *err)
{
  memset (out, 0, sizeof (*out));
  if (parse_into (text, out, err) < 0)
    {
      cc_image_ref_release (out);
      return -1;
    }
  return 0;
}

void
cc_image_ref_release (struct cc_image_ref *ref)
{
  free (ref->domain);
  free (ref->path);
  free (ref->tag);
  free (ref->digest);
  memset (ref, 0, sizeof (*ref));
}

char *
cc_image_ref_name (const struct cc_image_ref *ref)
{
  return xasprintf ("%s/%s", ref->domain, ref->path);
}

char *
cc_image_ref_string (const struct cc_image_ref *ref)
{
  return xasprintf ("%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
                    ref->digest ? "@" : "", ref->digest ? ref->digest : "");
}

char *
cc_image_ref_familiar_name (const struct cc_image_ref *ref)
{
  const char *path = ref->path;

  if (strcmp (ref->domain, DEFAULT_DOMAIN) != 0)
    return xasprintf ("%s/%s", ref->domain, ref->path);
  if (strncmp (path, OFFICIAL_PREFIX, strlen (OFFICIAL_PREFIX)) == 0
      && strchr (path + strlen (OFFICIAL_PREFIX), '/') == NULL)
    path += strlen (OFFICIAL_PREFIX);
  return xstrdup (path);
}

char *
cc_image_ref_normalize (const char *text, cc_error_t *err)
{
  struct cc_image_ref ref cleanup_image_ref = { 0 };

  if (cc_image_ref_parse (text, &ref, err) < 0)
    return NULL;
  return cc_image_ref_string (&ref);
}
