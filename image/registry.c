/* Docker Registry HTTP API v2 client on libcurl: ping, auth (anonymous,
   then Basic or a Bearer token on a 401 challenge), manifests into memory
   and blobs into a file, hashed while they stream.  libcurl's codes stop
   here: callers see cc_error_t messages naming the registry and status.

   The Authorization header is a custom header: libcurl (>= 7.83) drops it
   on a redirect to another host or port, which is what a blob redirect to
   storage needs.  */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "image/internal.h"
#include "image/registry.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/dynlib.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define ACCEPT_MANIFESTS "Accept: " MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST
#define MAX_ERROR_BODY (64 * 1024)
#define MAX_TOKEN_BODY (1024 * 1024)
#define MAX_REDIRECTS 5L
#define CONNECT_TIMEOUT_S 30L
/* A blob may be big and slow; a transfer below 1 byte/s for this long is dead.  */
#define STALL_TIMEOUT_S 60L
/* Manifests, pings and tokens are small: a whole request this long is dead.  */
#define SMALL_TIMEOUT_S 120L

struct cc_registry
{
  CURL *curl;
  char *host;
  char *base; /* scheme://host[/prefix], https until a fallback */
  char *http_base;
  bool insecure;
  char *repo;
  char *basic;   /* base64 user:pass from the docker config, or NULL */
  char *auth;    /* "Authorization: ..." once a challenge was answered */
  char **scopes; /* token scopes asked for besides the challenge's (push) */
  bool pinged;
  char errbuf[CURL_ERROR_SIZE];
};

/* Where a response body goes: memory (capped) or a file; hashed either
   way.  The body of an error status goes to ERRBODY instead.  */
struct sink
{
  CURL *curl;
  int fd; /* -1: memory */
  struct cc_buf mem;
  size_t max;       /* memory: at most this many bytes */
  int64_t max_file; /* file: at most this many bytes (-1: no limit) */
  struct cc_sha256 *h;
  int64_t total;
  struct cc_buf errbody;
  bool too_big;
  int write_errno;
};

static void
sink_release (struct sink *s)
{
  cc_buf_reset (&s->mem);
  cc_buf_reset (&s->errbody);
  if (s->h)
    cc_sha256_free (s->h);
  s->h = NULL;
}
#define cleanup_sink __attribute__ ((cleanup (sink_release)))

static int
sink_restart (struct sink *s, cc_error_t *err)
{
  sink_release (s);
  s->h = cc_sha256_new ();
  s->total = 0;
  s->too_big = false;
  s->write_errno = 0;
  if (s->fd >= 0 && (ftruncate (s->fd, 0) < 0 || lseek (s->fd, 0, SEEK_SET) < 0))
    return cc_error_make (err, errno, "truncate a temporary blob");
  return 0;
}

static size_t
sink_write (char *data, size_t size, size_t nmemb, void *opaque)
{
  struct sink *s = opaque;
  size_t n = size * nmemb;
  long status = 0;

  curl_easy_getinfo (s->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300)
    {
      if (s->errbody.len < MAX_ERROR_BODY)
        cc_buf_append (&s->errbody, data, n < MAX_ERROR_BODY ? n : MAX_ERROR_BODY);
      return n;
    }
  if (s->fd < 0 && s->mem.len + n > s->max)
    {
      s->too_big = true;
      return 0;
    }
  if (s->fd >= 0 && s->max_file >= 0 && s->total + (int64_t)n > s->max_file)
    {
      s->too_big = true;
      return 0;
    }
  if (s->fd < 0)
    cc_buf_append (&s->mem, data, n);
  else if (cc_write_all (s->fd, data, n) < 0)
    {
      s->write_errno = errno;
      return 0;
    }
  cc_sha256_update (s->h, data, n);
  s->total += (int64_t)n;
  return n;
}

/* ---- one request ------------------------------------------------------------ */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once (void)
{
  curl_global_init (CURL_GLOBAL_DEFAULT);
}

/* libcurl is opened on first use (lib/dynlib.h): the handle is made at
   the first request, where a missing libcurl is an error to report.  */
static int
open_handle (struct cc_registry *r, cc_error_t *err)
{
  if (r->curl)
    return 0;
  if (cc_dynlib_load (&cc_dynlib_curl, err) < 0)
    return -1;
  pthread_once (&curl_once, curl_init_once);
  r->curl = curl_easy_init ();
  if (r->curl == NULL)
    return cc_error_make (err, 0, "cannot initialise libcurl");
  return 0;
}

static void
cleanup_slist_fn (struct curl_slist **l)
{
  curl_slist_free_all (*l);
}
#define cleanup_slist __attribute__ ((cleanup (cleanup_slist_fn)))

static void
set_common_options (struct cc_registry *r, const char *url, bool small)
{
  CURL *c = r->curl;

  curl_easy_reset (c);
  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, r->errbuf);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (c, CURLOPT_USERAGENT, "ccompose");
  curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt (c, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
  curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
  /* A registry reached over https must not redirect us to plain http.  */
  curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS_STR, r->insecure ? "http,https" : "https");
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_TIME, STALL_TIMEOUT_S);
  if (small)
    curl_easy_setopt (c, CURLOPT_TIMEOUT, SMALL_TIMEOUT_S);
  r->errbuf[0] = '\0';
}

/* Run the request prepared on R->curl into SINK; *STATUS gets the HTTP
   status.  Transport failures are errors, any status is not.  */
static int
perform (struct cc_registry *r, const char *url, struct sink *s, long *status, cc_error_t *err)
{
  CURLcode rc;

  if (sink_restart (s, err) < 0)
    return -1;
  s->curl = r->curl;
  curl_easy_setopt (r->curl, CURLOPT_WRITEFUNCTION, sink_write);
  curl_easy_setopt (r->curl, CURLOPT_WRITEDATA, s);
  rc = curl_easy_perform (r->curl);
  if (s->too_big)
    return cc_error_make (err, 0, "response from %s larger than %lld bytes, refused: %s", r->host,
                          s->fd < 0 ? (long long)s->max : (long long)s->max_file, url);
  if (s->write_errno)
    return cc_error_make (err, s->write_errno, "%s: write the download", url);
  if (rc != CURLE_OK)
    return cc_error_make (err, 0, "%s: %s", url, r->errbuf[0] ? r->errbuf : curl_easy_strerror (rc));
  curl_easy_getinfo (r->curl, CURLINFO_RESPONSE_CODE, status);
  return 0;
}

static char *
response_header (struct cc_registry *r, const char *name)
{
  struct curl_header *h = NULL;

  if (curl_easy_header (r->curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL)
    return NULL;
  return xstrdup (h->value);
}

/* "404 Not Found from HOST: MANIFEST_UNKNOWN: manifest unknown"  */
static int
host_status_error (const char *host, long status, const struct sink *s, const char *what, cc_error_t *err)
{
  cleanup_free char *msg = cc_registry_error_message (s->errbody.data, s->errbody.len);

  return cc_error_make (err, 0, "%s%s%s from %s%s%s", what ? what : "", what ? ": " : "", cc_http_reason (status), host,
                        msg ? ": " : "", msg ? msg : "");
}

static int
status_error (struct cc_registry *r, long status, const struct sink *s, const char *what, cc_error_t *err)
{
  return host_status_error (r->host, status, s, what, err);
}

/* http://auth.example/token?x -> auth.example  */
static char *
url_host (const char *url)
{
  const char *p = strstr (url, "://");

  p = p ? p + 3 : url;
  return xstrndup (p, strcspn (p, "/?#"));
}

/* ---- auth ------------------------------------------------------------------------- */

/* The challenge's scope, the client's own (a push wants
   `repository:NAME:pull,push` and pull on the repositories it mounts
   from), or pull on the repository: each its own `scope=` parameter.  */
static char **
token_scopes (struct cc_registry *r, const struct cc_auth_challenge *c)
{
  char **v = xzalloc (sizeof (char *));

  if (c->scope)
    cc_strv_append (&v, c->scope);
  for (char **s = r->scopes; s && *s; s++)
    if (! cc_strv_contains (v, *s))
      cc_strv_append (&v, *s);
  if (v[0] == NULL)
    cc_strv_push (&v, xasprintf ("repository:%s:pull", r->repo));
  return v;
}

static char *
token_url (struct cc_registry *r, const struct cc_auth_challenge *c)
{
  cleanup_strv char **scopes = token_scopes (r, c);
  char *service = c->service ? curl_easy_escape (r->curl, c->service, 0) : NULL;
  struct cc_buf b = { 0 };

  cc_buf_printf (&b, "%s%c%s%s", c->realm, strchr (c->realm, '?') ? '&' : '?', service ? "service=" : "",
                 service ? service : "");
  for (size_t i = 0; scopes[i]; i++)
    {
      char *escaped = curl_easy_escape (r->curl, scopes[i], 0);
      cc_buf_printf (&b, "%sscope=%s", service || i > 0 ? "&" : "", escaped);
      curl_free (escaped);
    }
  curl_free (service);
  return cc_buf_steal (&b);
}

/* The token endpoint gets the user's credentials: never over plain http
   to a host that is not allowed to speak it.  */
static int
check_realm (struct cc_registry *r, const char *realm, cc_error_t *err)
{
  cleanup_free char *host = NULL;

  if (strncmp (realm, "https://", 8) == 0)
    return 0;
  if (strncmp (realm, "http://", 7) != 0)
    return cc_error_make (err, 0, "token realm `%s` of %s is not an http(s) URL", realm, r->host);
  host = url_host (realm);
  if (! cc_registry_is_insecure (host, getenv ("CCOMPOSE_INSECURE_REGISTRIES")))
    return cc_error_make (err, 0, "token realm `%s` of %s is plain http", realm, r->host);
  return 0;
}

static int
parse_token (struct cc_registry *r, const struct sink *s, const char *url, cc_error_t *err)
{
  cleanup_cjson cJSON *doc = cJSON_ParseWithLength (s->mem.data ? s->mem.data : "", s->mem.len);
  const char *tok = cc_json_get_string (doc, "token");

  if (tok == NULL || *tok == '\0')
    tok = cc_json_get_string (doc, "access_token");
  if (tok == NULL || *tok == '\0' || strpbrk (tok, "\r\n") != NULL)
    return cc_error_make (err, 0, "token endpoint `%s` answered no usable token", url);
  free (r->auth);
  r->auth = xasprintf ("Authorization: Bearer %s", tok);
  return 0;
}

static int
fetch_token (struct cc_registry *r, const struct cc_auth_challenge *c, cc_error_t *err)
{
  cleanup_free char *url = NULL;
  cleanup_free char *basic = NULL;
  cleanup_slist struct curl_slist *headers = NULL;
  struct sink s cleanup_sink = { .fd = -1, .max = MAX_TOKEN_BODY, .max_file = -1 };
  long status = 0;

  if (check_realm (r, c->realm, err) < 0)
    return -1;
  url = token_url (r, c);
  set_common_options (r, url, true);
  if (r->basic)
    {
      basic = xasprintf ("Authorization: Basic %s", r->basic);
      headers = curl_slist_append (headers, basic);
      curl_easy_setopt (r->curl, CURLOPT_HTTPHEADER, headers);
    }
  if (perform (r, url, &s, &status, err) < 0)
    return -1;
  if (status != 200)
    {
      cleanup_free char *host = url_host (c->realm);
      return host_status_error (host, status, &s,
                                r->basic ? "token request with the configured credentials" : "token request", err);
    }
  return parse_token (r, &s, url, err);
}

/* Answer the challenge of a 401; fails when there is nothing new to try.  */
static int
authenticate (struct cc_registry *r, const struct sink *s, cc_error_t *err)
{
  cleanup_free char *header = response_header (r, "WWW-Authenticate");
  struct cc_auth_challenge c cleanup_auth_challenge = { 0 };

  if (cc_auth_challenge_parse (header, &c, err) < 0)
    {
      cc_error_release (err);
      return status_error (r, 401, s, NULL, err);
    }
  if (strcasecmp (c.scheme, "Bearer") == 0)
    return fetch_token (r, &c, err);
  if (r->basic == NULL)
    {
      status_error (r, 401, s, NULL, err);
      return cc_error_wrap (err, "no credentials for %s in the docker config.json `auths`", r->host);
    }
  free (r->auth);
  r->auth = xasprintf ("Authorization: Basic %s", r->basic);
  return 0;
}

/* What a request sends: LEN bytes of FD from OFFSET, or of MEM.  */
struct body
{
  int fd;
  int64_t offset, len, sent;
  const char *mem;
};

static size_t
body_read (char *buf, size_t size, size_t nmemb, void *opaque)
{
  struct body *b = opaque;
  size_t want = size * nmemb;
  ssize_t n;

  if ((int64_t)want > b->len - b->sent)
    want = (size_t)(b->len - b->sent);
  if (want == 0)
    return 0;
  if (b->mem)
    {
      memcpy (buf, b->mem + b->sent, want);
      b->sent += (int64_t)want;
      return want;
    }
  do
    n = pread (b->fd, buf, want, b->offset + b->sent);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return CURL_READFUNC_ABORT;
  b->sent += n;
  return (size_t)n;
}

/* A request: METHOD, and the headers it carries besides auth.  */
struct req
{
  const char *method; /* GET, HEAD, POST, PUT, PATCH, DELETE */
  const char *url;
  const char *const *headers; /* NULL-terminated, may be NULL */
  struct body *body;          /* PUT/PATCH: what is uploaded, may be NULL */
};

/* The Authorization header goes to the registry's own host only: an
   upload Location may point at storage elsewhere.  */
static bool
is_registry_url (struct cc_registry *r, const char *url)
{
  cleanup_free char *host = url_host (url);

  return strcmp (host, r->host) == 0;
}

static void
set_method (struct cc_registry *r, const struct req *q)
{
  CURL *c = r->curl;

  if (strcmp (q->method, "HEAD") == 0)
    curl_easy_setopt (c, CURLOPT_NOBODY, 1L);
  else if (strcmp (q->method, "POST") == 0)
    {
      curl_easy_setopt (c, CURLOPT_POST, 1L);
      curl_easy_setopt (c, CURLOPT_POSTFIELDS, "");
      curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE, 0L);
    }
  else if (strcmp (q->method, "PUT") == 0 || strcmp (q->method, "PATCH") == 0)
    {
      curl_easy_setopt (c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt (c, CURLOPT_READFUNCTION, body_read);
      curl_easy_setopt (c, CURLOPT_READDATA, q->body);
      curl_easy_setopt (c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(q->body ? q->body->len : 0));
      if (strcmp (q->method, "PATCH") == 0)
        curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, "PATCH");
    }
  else if (strcmp (q->method, "DELETE") == 0)
    curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, "DELETE");
  /* Only reads follow redirects: a body is not sent twice.  */
  if (strcmp (q->method, "GET") != 0 && strcmp (q->method, "HEAD") != 0)
    curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 0L);
}

/* Q into S; on a 401, answer the challenge once and try again (the body
   is sent again from its start).  */
static int
request (struct cc_registry *r, const struct req *q, struct sink *s, long *status, cc_error_t *err)
{
  for (int attempt = 0;; attempt++)
    {
      cleanup_slist struct curl_slist *headers = NULL;
      bool small = s->fd < 0 && (q->body == NULL || q->body->len < 1024 * 1024);
      set_common_options (r, q->url, small);
      set_method (r, q);
      for (const char *const *h = q->headers; h && *h; h++)
        headers = curl_slist_append (headers, *h);
      if (q->body)
        {
          q->body->sent = 0;
          /* No `Expect: 100-continue` round trip: registries answer the request.  */
          headers = curl_slist_append (headers, "Expect:");
        }
      if (r->auth && is_registry_url (r, q->url))
        headers = curl_slist_append (headers, r->auth);
      curl_easy_setopt (r->curl, CURLOPT_HTTPHEADER, headers);
      if (perform (r, q->url, s, status, err) < 0)
        return -1;
      if (*status != 401 || attempt > 0 || ! is_registry_url (r, q->url))
        return 0;
      /* The same Basic credentials again would get the same answer.  */
      if (r->auth && strncmp (r->auth, "Authorization: Basic", 20) == 0)
        return 0;
      if (authenticate (r, s, err) < 0)
        return -1;
    }
}

/* GET PATH (under /v2/) with ACCEPT (may be NULL).  */
static int
get (struct cc_registry *r, const char *path, const char *accept, struct sink *s, long *status, cc_error_t *err)
{
  cleanup_free char *url = xasprintf ("%s/v2/%s", r->base, path);
  const char *headers[] = { accept, NULL };
  struct req q = { "GET", url, headers, NULL };

  return request (r, &q, s, status, err);
}

/* GET /v2/: which scheme answers, and which auth it wants.  */
static int
ping (struct cc_registry *r, cc_error_t *err)
{
  struct sink s cleanup_sink = { .fd = -1, .max = MAX_ERROR_BODY, .max_file = -1 };
  long status = 0;

  if (r->pinged)
    return 0;
  if (open_handle (r, err) < 0)
    return -1;
  if (get (r, "", NULL, &s, &status, err) < 0)
    {
      if (! r->insecure || strncmp (r->base, "https://", 8) != 0 || r->http_base == NULL)
        return -1;
      cc_debug ("registry %s: https failed (%s), trying http", r->host, (*err)->msg);
      cc_error_release (err);
      free (r->base);
      r->base = xstrdup (r->http_base);
      if (get (r, "", NULL, &s, &status, err) < 0)
        return -1;
    }
  if (status != 200)
    return status_error (r, status, &s, NULL, err);
  r->pinged = true;
  return 0;
}

/* ---- public ----------------------------------------------------------------------- */

struct cc_registry *
cc_registry_new (const struct cc_registry_endpoint *endpoint, const char *repo, const char *basic)
{
  struct cc_registry *r = xzalloc (sizeof (*r));

  r->host = xstrdup (endpoint->host);
  r->base = xstrdup (endpoint->base);
  r->insecure = endpoint->insecure;
  if (endpoint->insecure && strncmp (endpoint->base, "https://", 8) == 0)
    r->http_base = xasprintf ("http://%s", endpoint->base + 8);
  r->repo = xstrdup (repo);
  r->basic = basic ? xstrdup (basic) : NULL;
  return r;
}

void
cc_registry_free (struct cc_registry *r)
{
  if (r->curl)
    curl_easy_cleanup (r->curl);
  free (r->host);
  free (r->base);
  free (r->http_base);
  free (r->repo);
  free (r->basic);
  free (r->auth);
  cc_strv_free (r->scopes);
  free (r);
}

/* application/json; charset=utf-8 -> application/json  */
static char *
bare_media_type (const char *content_type)
{
  size_t n;

  if (content_type == NULL)
    return xstrdup ("");
  n = strcspn (content_type, "; \t");
  return xstrndup (content_type, n);
}

static int
check_manifest_digest (struct cc_registry *r, const char *ref, const char *got, cc_error_t *err)
{
  cleanup_free char *sent = response_header (r, "Docker-Content-Digest");

  if (cc_image_is_digest (ref) && strcmp (ref, got) != 0)
    return cc_error_make (err, 0, "manifest from %s does not match its digest: asked for %s, got %s", r->host, ref,
                          got);
  /* Only sha256 can be checked here; another algorithm is not a lie.  */
  if (sent && strncmp (sent, "sha256:", 7) == 0 && strcmp (sent, got) != 0)
    return cc_error_make (err, 0, "manifest from %s does not match its Docker-Content-Digest: %s announced, got %s",
                          r->host, sent, got);
  return 0;
}

int
cc_registry_get_manifest (struct cc_registry *r, const char *ref, char **body, size_t *len, char **media_type,
                          char **digest_out, cc_error_t *err)
{
  struct sink s cleanup_sink = { .fd = -1, .max = CC_REGISTRY_MAX_MANIFEST, .max_file = -1 };
  cleanup_free char *path = xasprintf ("%s/manifests/%s", r->repo, ref);
  cleanup_free char *got = NULL;
  long status = 0;

  if (ping (r, err) < 0 || get (r, path, ACCEPT_MANIFESTS, &s, &status, err) < 0)
    return -1;
  if (status != 200)
    return status_error (r, status, &s, NULL, err);
  got = cc_sha256_final (s.h);
  if (check_manifest_digest (r, ref, got, err) < 0)
    return -1;
  {
    cleanup_free char *ct = response_header (r, "Content-Type");
    *media_type = bare_media_type (ct);
  }
  *len = s.mem.len;
  *body = cc_buf_steal (&s.mem);
  *digest_out = steal_pointer (&got);
  return 0;
}

int
cc_registry_get_blob (struct cc_registry *r, const char *digest, int64_t max, int fd, char **got, int64_t *total,
                      cc_error_t *err)
{
  struct sink s cleanup_sink = { .fd = fd, .max_file = max };
  cleanup_free char *path = xasprintf ("%s/blobs/%s", r->repo, digest);
  long status = 0;

  if (ping (r, err) < 0 || get (r, path, NULL, &s, &status, err) < 0)
    return cc_error_wrap (err, "blob %s", digest);
  if (status != 200)
    return status_error (r, status, &s, digest, err);
  *got = cc_sha256_final (s.h);
  *total = s.total;
  return 0;
}

/* ---- push ------------------------------------------------------------------------ */

int
cc_registry_ping (struct cc_registry *r, cc_error_t *err)
{
  return ping (r, err);
}

void
cc_registry_add_scope (struct cc_registry *r, const char *scope)
{
  if (r->scopes == NULL)
    r->scopes = xzalloc (sizeof (char *));
  if (! cc_strv_contains (r->scopes, scope))
    cc_strv_append (&r->scopes, scope);
}

/* An upload Location: absolute, or a path on the registry.  A registry
   reached over https must not send us to plain http.  */
static int
resolve_location (struct cc_registry *r, const char *location, char **out, cc_error_t *err)
{
  const char *p;

  if (location == NULL || *location == '\0')
    return cc_error_make (err, 0, "%s started an upload but sent no Location", r->host);
  if (strncmp (location, "https://", 8) == 0 || (r->insecure && strncmp (location, "http://", 7) == 0))
    {
      *out = xstrdup (location);
      return 0;
    }
  if (strstr (location, "://"))
    return cc_error_make (err, 0, "%s sent the upload Location `%s`, which is not https", r->host, location);
  p = strstr (r->base, "://");
  p = p ? p + 3 : r->base;
  *out
      = xasprintf ("%.*s%s%s", (int)(p - r->base + strcspn (p, "/")), r->base, location[0] == '/' ? "" : "/", location);
  return 0;
}

int
cc_registry_blob_exists (struct cc_registry *r, const char *digest, bool *exists, cc_error_t *err)
{
  struct sink s cleanup_sink = { .fd = -1, .max = MAX_ERROR_BODY, .max_file = -1 };
  cleanup_free char *url = NULL;
  struct req q = { "HEAD", NULL, NULL, NULL };
  long status = 0;

  /* The ping settles the scheme the URLs use.  */
  if (ping (r, err) < 0)
    return -1;
  q.url = url = xasprintf ("%s/v2/%s/blobs/%s", r->base, r->repo, digest);
  if (request (r, &q, &s, &status, err) < 0)
    return -1;
  if (status != 200 && status != 404)
    return status_error (r, status, &s, "check blob", err);
  *exists = status == 200;
  return 0;
}

int
cc_registry_start_upload (struct cc_registry *r, const char *digest, const char *mount_from, bool *mounted,
                          char **location, cc_error_t *err)
{
  struct sink s cleanup_sink = { .fd = -1, .max = MAX_ERROR_BODY, .max_file = -1 };
  cleanup_free char *url = NULL;
  cleanup_free char *loc = NULL;
  struct req q = { "POST", NULL, NULL, NULL };
  long status = 0;

  if (ping (r, err) < 0)
    return -1;
  if (mount_from)
    {
      char *from = curl_easy_escape (r->curl, mount_from, 0);
      url = xasprintf ("%s/v2/%s/blobs/uploads/?mount=%s&from=%s", r->base, r->repo, digest, from);
      curl_free (from);
    }
  else
    url = xasprintf ("%s/v2/%s/blobs/uploads/", r->base, r->repo);
  q.url = url;
  if (request (r, &q, &s, &status, err) < 0)
    return -1;
  *mounted = mount_from && status == 201;
  if (*mounted)
    return 0;
  if (status != 202)
    return status_error (r, status, &s, "start an upload", err);
  loc = response_header (r, "Location");
  return resolve_location (r, loc, location, err);
}

void
cc_registry_cancel_upload (struct cc_registry *r, const char *location)
{
  struct sink s cleanup_sink = { .fd = -1, .max = MAX_ERROR_BODY, .max_file = -1 };
  cleanup_error cc_error_t ignored = NULL;
  struct req q = { "DELETE", location, NULL, NULL };
  long status = 0;

  if (request (r, &q, &s, &status, &ignored) < 0)
    cc_debug ("cancel upload %s: %s", location, ignored->msg);
}

/* An answer from wherever an upload Location pointed.  */
static int
upload_status_error (const char *url, long status, const struct sink *s, const char *what, cc_error_t *err)
{
  cleanup_free char *host = url_host (url);

  return host_status_error (host, status, s, what, err);
}

/* PATCH one chunk; *LOCATION becomes the next one the registry names.  */
static int
upload_chunk (struct cc_registry *r, int fd, int64_t offset, int64_t len, char **location, cc_error_t *err)
{
  struct sink s cleanup_sink = { .fd = -1, .max = MAX_ERROR_BODY, .max_file = -1 };
  cleanup_free char *range = xasprintf ("Content-Range: %lld-%lld", (long long)offset, (long long)(offset + len - 1));
  cleanup_free char *next = NULL;
  const char *headers[] = { "Content-Type: application/octet-stream", range, NULL };
  struct body b = { fd, offset, len, 0, NULL };
  struct req q = { "PATCH", *location, headers, &b };
  long status = 0;

  if (request (r, &q, &s, &status, err) < 0)
    return -1;
  if (status != 202)
    {
      cleanup_free char *what = xasprintf ("upload bytes %lld-%lld", (long long)offset, (long long)(offset + len - 1));
      return upload_status_error (*location, status, &s, what, err);
    }
  next = response_header (r, "Location");
  if (next == NULL)
    return 0; /* the same URL goes on */
  free (*location);
  *location = NULL;
  return resolve_location (r, next, location, err);
}

/* PUT LOCATION?digest=DIGEST, with the LEN bytes of FD from OFFSET.  */
static int
finish_upload (struct cc_registry *r, const char *location, const char *digest, int fd, int64_t offset, int64_t len,
               cc_error_t *err)
{
  struct sink s cleanup_sink = { .fd = -1, .max = MAX_ERROR_BODY, .max_file = -1 };
  char *escaped = curl_easy_escape (r->curl, digest, 0);
  cleanup_free char *url = xasprintf ("%s%cdigest=%s", location, strchr (location, '?') ? '&' : '?', escaped);
  const char *headers[] = { "Content-Type: application/octet-stream", NULL };
  struct body b = { fd, offset, len, 0, NULL };
  struct req q = { "PUT", url, headers, &b };
  long status = 0;

  curl_free (escaped);
  if (request (r, &q, &s, &status, err) < 0)
    return -1;
  if (status != 201)
    return upload_status_error (url, status, &s, "finish the upload", err);
  return 0;
}

int
cc_registry_upload_blob (struct cc_registry *r, const char *location, const char *digest, int fd, int64_t size,
                         int64_t chunk, cc_error_t *err)
{
  cleanup_free char *loc = xstrdup (location);
  int64_t off = 0;

  /* Small blobs go whole with the PUT that closes the upload; bigger ones
     in PATCH chunks first, each a request a slow link can finish.  */
  if (chunk <= 0 || size <= chunk)
    return finish_upload (r, loc, digest, fd, 0, size, err);
  for (off = 0; off < size; off += chunk)
    if (upload_chunk (r, fd, off, size - off < chunk ? size - off : chunk, &loc, err) < 0)
      return -1;
  return finish_upload (r, loc, digest, fd, size, 0, err);
}

int
cc_registry_put_manifest (struct cc_registry *r, const char *ref, const char *media_type, const char *body, size_t len,
                          const char *digest, cc_error_t *err)
{
  struct sink s cleanup_sink = { .fd = -1, .max = MAX_ERROR_BODY, .max_file = -1 };
  cleanup_free char *url = NULL;
  cleanup_free char *ct = xasprintf ("Content-Type: %s", media_type);
  cleanup_free char *sent = NULL;
  const char *headers[] = { ct, NULL };
  struct body b = { -1, 0, (int64_t)len, 0, body };
  struct req q = { "PUT", NULL, headers, &b };
  long status = 0;

  if (ping (r, err) < 0)
    return -1;
  q.url = url = xasprintf ("%s/v2/%s/manifests/%s", r->base, r->repo, ref);
  if (request (r, &q, &s, &status, err) < 0)
    return -1;
  if (status != 201 && status != 200)
    return status_error (r, status, &s, "put the manifest", err);
  sent = response_header (r, "Docker-Content-Digest");
  if (sent && strncmp (sent, "sha256:", 7) == 0 && strcmp (sent, digest) != 0)
    return cc_error_make (err, 0, "%s stored the manifest as %s, not %s", r->host, sent, digest);
  return 0;
}
