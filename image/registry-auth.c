/* The pure parts of the registry client: WWW-Authenticate challenges,
   credentials from a docker config.json, where a reference is pulled from
   (docker.io, a mirror, a registry that may speak plain http), and the
   registry's error documents.  No I/O but reading config.json.  */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/registry.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define DOCKER_HUB_DOMAIN "docker.io"
#define DOCKER_HUB_REGISTRY "registry-1.docker.io"
/* A config.json bigger than this is not one docker wrote.  */
#define MAX_DOCKER_CONFIG (1024 * 1024)

/* ---- WWW-Authenticate ------------------------------------------------- */

void
cc_auth_challenge_release (struct cc_auth_challenge *c)
{
  free (c->scheme);
  free (c->realm);
  free (c->service);
  free (c->scope);
  free (c->error);
  memset (c, 0, sizeof (*c));
}

static bool
is_token_char (char c)
{
  /* strchr finds the terminator too: '\0' must not count.  */
  return c != '\0' && (isalnum ((unsigned char)c) || strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A token or a quoted-string (RFC 7230 §3.2.6) at *P; the scope of a
   Bearer challenge is quoted because it holds commas.  */
static int
parse_value (const char **p, char **out, cc_error_t *err)
{
  const char *s = *p;
  struct cc_buf b = { 0 };

  if (*s != '"')
    {
      while (is_token_char (*s) || *s == '/')
        s++;
      *out = xstrndup (*p, (size_t)(s - *p));
      *p = s;
      return 0;
    }
  for (s++; *s && *s != '"'; s++)
    {
      if (*s == '\\' && s[1])
        s++;
      cc_buf_putc (&b, *s);
    }
  if (*s != '"')
    {
      cc_buf_reset (&b);
      return cc_error_make (err, 0, "WWW-Authenticate: unterminated quoted string");
    }
  *out = cc_buf_steal (&b);
  *p = s + 1;
  return 0;
}

static char **
challenge_field (struct cc_auth_challenge *c, const char *key, size_t len)
{
  static const struct
  {
    const char *name;
    size_t offset;
  } fields[] = {
    { "realm", offsetof (struct cc_auth_challenge, realm) },
    { "service", offsetof (struct cc_auth_challenge, service) },
    { "scope", offsetof (struct cc_auth_challenge, scope) },
    { "error", offsetof (struct cc_auth_challenge, error) },
  };

  for (size_t i = 0; i < CC_N_ELEMENTS (fields); i++)
    if (strlen (fields[i].name) == len && strncasecmp (key, fields[i].name, len) == 0)
      return (char **)((char *)c + fields[i].offset);
  return NULL;
}

static int
parse_params (const char *p, struct cc_auth_challenge *c, cc_error_t *err)
{
  while (*p)
    {
      const char *key = p;
      cleanup_free char *value = NULL;
      char **field;
      size_t klen;

      while (is_token_char (*p))
        p++;
      klen = (size_t)(p - key);
      if (klen == 0 || *p != '=')
        return cc_error_make (err, 0, "WWW-Authenticate: malformed parameter at `%.20s`", key);
      p++;
      if (parse_value (&p, &value, err) < 0)
        return -1;
      field = challenge_field (c, key, klen);
      if (field && *field == NULL)
        *field = steal_pointer (&value);
      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == ',')
        p++;
      while (*p == ' ' || *p == '\t')
        p++;
    }
  return 0;
}

static int
parse_challenge (const char *header, struct cc_auth_challenge *out, cc_error_t *err)
{
  const char *p = header, *scheme;

  while (*p == ' ' || *p == '\t')
    p++;
  scheme = p;
  while (is_token_char (*p))
    p++;
  if (p == scheme || (*p && *p != ' '))
    return cc_error_make (err, 0, "WWW-Authenticate: no auth scheme in `%.40s`", header);
  out->scheme = xstrndup (scheme, (size_t)(p - scheme));
  while (*p == ' ')
    p++;
  if (parse_params (p, out, err) < 0)
    return -1;
  if (strcasecmp (out->scheme, "Bearer") == 0 && (out->realm == NULL || *out->realm == '\0'))
    return cc_error_make (err, 0, "WWW-Authenticate: Bearer challenge without a realm");
  if (strcasecmp (out->scheme, "Bearer") != 0 && strcasecmp (out->scheme, "Basic") != 0)
    return cc_error_make (err, 0, "WWW-Authenticate: unsupported auth scheme `%s`", out->scheme);
  return 0;
}

int
cc_auth_challenge_parse (const char *header, struct cc_auth_challenge *out, cc_error_t *err)
{
  memset (out, 0, sizeof (*out));
  if (header == NULL)
    return cc_error_make (err, 0, "no WWW-Authenticate challenge");
  if (parse_challenge (header, out, err) < 0)
    {
      cc_auth_challenge_release (out);
      return -1;
    }
  return 0;
}

/* ---- docker config.json auths ---------------------------------------- */

/* https://index.docker.io/v1/ -> index.docker.io; host:port kept.  */
static char *
auth_key_host (const char *key)
{
  const char *s = strstr (key, "://");
  const char *start = s ? s + 3 : key;
  size_t n = strcspn (start, "/");
  char *host = xstrndup (start, n);

  if (strcmp (host, "index.docker.io") == 0 || strcmp (host, DOCKER_HUB_REGISTRY) == 0)
    {
      free (host);
      host = xstrdup (DOCKER_HUB_DOMAIN);
    }
  return host;
}

static char *
base64_encode (const char *text)
{
  size_t len = strlen (text);
  char *out = xmalloc (4 * ((len + 2) / 3) + 1);

  EVP_EncodeBlock ((unsigned char *)out, (const unsigned char *)text, (int)len);
  return out;
}

/* "user:pass" must be what AUTH decodes to; anything else is refused
   rather than sent.  */
static bool
is_valid_basic (const char *auth)
{
  size_t len = strlen (auth);
  cleanup_free unsigned char *out = NULL;
  int n;

  if (len == 0 || len % 4 != 0 || len > 64 * 1024)
    return false;
  for (const char *p = auth; *p; p++)
    if (! isalnum ((unsigned char)*p) && *p != '+' && *p != '/' && *p != '=')
      return false;
  out = xmalloc (len / 4 * 3 + 1);
  n = EVP_DecodeBlock (out, (const unsigned char *)auth, (int)len);
  return n > 0 && memchr (out, ':', (size_t)n) != NULL;
}

static int
entry_credentials (const cJSON *entry, const char *key, char **basic, cc_error_t *err)
{
  const char *auth = cc_json_get_string (entry, "auth");
  const char *user = cc_json_get_string (entry, "username");
  const char *pass = cc_json_get_string (entry, "password");

  if (auth && *auth)
    {
      if (! is_valid_basic (auth))
        return cc_error_make (err, 0, "docker config: `auths.%s.auth` is not base64 of `user:password`", key);
      *basic = xstrdup (auth);
      return 0;
    }
  if (user && pass)
    {
      cleanup_free char *pair = xasprintf ("%s:%s", user, pass);
      *basic = base64_encode (pair);
    }
  return 0;
}

int
cc_docker_auths_lookup (const char *config_json, const char *host, char **basic, cc_error_t *err)
{
  cleanup_cjson cJSON *doc = NULL;
  cleanup_free char *want = auth_key_host (host);
  const cJSON *auths, *it;

  *basic = NULL;
  if (cc_json_parse (config_json, "docker config", &doc, err) < 0)
    return -1;
  auths = cJSON_GetObjectItemCaseSensitive (doc, "auths");
  if (auths && ! cJSON_IsObject (auths))
    return cc_error_make (err, 0, "docker config: `auths` is not an object");
  cJSON_ArrayForEach (it, auths)
  {
    cleanup_free char *h = auth_key_host (it->string);
    if (strcmp (h, want) == 0 && cJSON_IsObject (it))
      return entry_credentials (it, it->string, basic, err);
  }
  return 0;
}

int
cc_docker_credentials (const char *host, char **basic, cc_error_t *err)
{
  const char *dir = getenv ("DOCKER_CONFIG");
  const char *home = getenv ("HOME");
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;

  *basic = NULL;
  if (dir && *dir)
    path = cc_path_join (dir, "config.json");
  else if (home && *home)
    path = xasprintf ("%s/.docker/config.json", home);
  if (path == NULL || ! cc_file_exists (path))
    return 0;
  if (cc_read_file_max (path, MAX_DOCKER_CONFIG, &text, NULL, err) < 0
      || cc_docker_auths_lookup (text, host, basic, err) < 0)
    return cc_error_wrap (err, "`%s`", path);
  return 0;
}

/* ---- endpoints ----------------------------------------------------------- */

void
cc_registry_endpoint_release (struct cc_registry_endpoint *e)
{
  free (e->host);
  free (e->base);
  free (e->cred_key);
  memset (e, 0, sizeof (*e));
}

/* host[:port] or [v6]:port -> the host alone.  */
static char *
host_only (const char *host)
{
  const char *colon;

  if (host[0] == '[')
    {
      const char *close = strchr (host, ']');
      return close ? xstrndup (host + 1, (size_t)(close - host - 1)) : xstrdup (host);
    }
  colon = strchr (host, ':');
  return colon ? xstrndup (host, (size_t)(colon - host)) : xstrdup (host);
}

static bool
is_loopback (const char *name)
{
  struct in_addr a4;
  struct in6_addr a6;

  if (strcmp (name, "localhost") == 0)
    return true;
  if (inet_pton (AF_INET, name, &a4) == 1)
    return (ntohl (a4.s_addr) >> 24) == 127;
  return inet_pton (AF_INET6, name, &a6) == 1 && IN6_IS_ADDR_LOOPBACK (&a6);
}

bool
cc_registry_is_insecure (const char *host, const char *insecure)
{
  cleanup_free char *name = host_only (host);
  cleanup_strv char **list = NULL;

  if (is_loopback (name))
    return true;
  if (insecure == NULL)
    return false;
  list = cc_strv_split (insecure, ',', true);
  for (char **e = list; *e; e++)
    {
      const char *entry = *e + strspn (*e, " \t");
      size_t n = strcspn (entry, " \t");
      if ((strlen (host) == n && strncmp (entry, host, n) == 0)
          || (strlen (name) == n && strncmp (entry, name, n) == 0))
        return true;
    }
  return false;
}

/* CCOMPOSE_REGISTRY_MIRROR: scheme://host[:port][/prefix], the scheme
   said out loud so that plain http is a visible choice.  */
static int
mirror_endpoint (const char *mirror, const char *insecure, struct cc_registry_endpoint *out, cc_error_t *err)
{
  bool http = strncmp (mirror, "http://", 7) == 0;
  const char *rest;
  size_t n;

  if (! http && strncmp (mirror, "https://", 8) != 0)
    return cc_error_make (err, 0, "registry mirror `%s`: want http://HOST[:PORT] or https://HOST[:PORT]", mirror);
  rest = mirror + (http ? 7 : 8);
  n = strcspn (rest, "/?#");
  if (n == 0)
    return cc_error_make (err, 0, "registry mirror `%s`: no host", mirror);
  out->host = xstrndup (rest, n);
  out->insecure = cc_registry_is_insecure (out->host, insecure);
  if (http && ! out->insecure)
    return cc_error_make (err, 0,
                          "registry mirror `%s`: plain http only for loopback or CCOMPOSE_INSECURE_REGISTRIES "
                          "registries",
                          mirror);
  out->base = xstrdup (mirror);
  for (size_t len = strlen (out->base); len > 0 && out->base[len - 1] == '/'; len--)
    out->base[len - 1] = '\0';
  out->cred_key = xstrdup (out->host);
  return 0;
}

int
cc_registry_endpoint (const struct cc_image_ref *ref, const char *mirror, const char *insecure,
                      struct cc_registry_endpoint *out, cc_error_t *err)
{
  int ret = 0;

  memset (out, 0, sizeof (*out));
  if (strcmp (ref->domain, DOCKER_HUB_DOMAIN) == 0 && mirror && *mirror)
    ret = mirror_endpoint (mirror, insecure, out, err);
  else if (strcmp (ref->domain, DOCKER_HUB_DOMAIN) == 0)
    {
      out->host = xstrdup (DOCKER_HUB_REGISTRY);
      out->base = xstrdup ("https://" DOCKER_HUB_REGISTRY);
      out->cred_key = xstrdup (DOCKER_HUB_DOMAIN);
    }
  else
    {
      out->host = xstrdup (ref->domain);
      out->insecure = cc_registry_is_insecure (ref->domain, insecure);
      /* Docker's rule: an insecure registry is still tried over https
         first; the client falls back to http when that fails.  */
      out->base = xasprintf ("https://%s", ref->domain);
      out->cred_key = xstrdup (ref->domain);
    }
  if (ret < 0)
    cc_registry_endpoint_release (out);
  return ret;
}

/* ---- messages ---------------------------------------------------------------- */

const char *
cc_http_reason (long status)
{
  static const struct
  {
    long code;
    const char *text;
  } reasons[] = {
    { 200, "200 OK" },
    { 206, "206 Partial Content" },
    { 307, "307 Temporary Redirect" },
    { 400, "400 Bad Request" },
    { 401, "401 Unauthorized" },
    { 403, "403 Forbidden" },
    { 404, "404 Not Found" },
    { 405, "405 Method Not Allowed" },
    { 406, "406 Not Acceptable" },
    { 408, "408 Request Timeout" },
    { 416, "416 Range Not Satisfiable" },
    { 429, "429 Too Many Requests" },
    { 500, "500 Internal Server Error" },
    { 502, "502 Bad Gateway" },
    { 503, "503 Service Unavailable" },
    { 504, "504 Gateway Timeout" },
  };
  static __thread char other[32];

  for (size_t i = 0; i < CC_N_ELEMENTS (reasons); i++)
    if (reasons[i].code == status)
      return reasons[i].text;
  snprintf (other, sizeof (other), "HTTP %ld", status);
  return other;
}

char *
cc_registry_error_message (const char *body, size_t len)
{
  cleanup_cjson cJSON *doc = NULL;
  const cJSON *first;
  const char *code, *message;

  if (body == NULL || len == 0 || memchr (body, '\0', len) != NULL)
    return NULL;
  doc = cJSON_ParseWithLength (body, len);
  first = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (doc, "errors"), 0);
  code = cc_json_get_string (first, "code");
  message = cc_json_get_string (first, "message");
  if (code && message)
    return xasprintf ("%s: %s", code, message);
  if (code || message)
    return xstrdup (code ? code : message);
  return NULL;
}
