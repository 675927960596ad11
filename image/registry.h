/* The registry client of image/ (Docker Registry HTTP API v2 on libcurl)
   and its pure parts, exposed for unit tests.  Other folders use
   cc_image_pull in image.h.  */
#ifndef CC_IMAGE_REGISTRY_H
#define CC_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/image.h"
#include "lib/error.h"

/* Manifests are small; a bigger one is hostile (Docker caps them at 4 MiB).  */
#define CC_REGISTRY_MAX_MANIFEST (4 * 1024 * 1024)

/* ---- pure helpers (registry-auth.c) ---------------------------------- */

/* A parsed WWW-Authenticate challenge.  */
struct cc_auth_challenge
{
  char *scheme; /* "Bearer" or "Basic", as sent */
  char *realm;
  char *service;
  char *scope;
  char *error; /* insufficient_scope, invalid_token, ... */
};
int cc_auth_challenge_parse (const char *header, struct cc_auth_challenge *out, cc_error_t *err);
void cc_auth_challenge_release (struct cc_auth_challenge *c);
#define cleanup_auth_challenge __attribute__ ((cleanup (cc_auth_challenge_release)))

/* The credentials CONFIG_JSON (a docker config.json) holds for HOST
   (docker.io is also found under its legacy index URL), as
   base64("user:pass") in *BASIC, or NULL when it has none.  */
int cc_docker_auths_lookup (const char *config_json, const char *host, char **basic, cc_error_t *err);
/* The same, reading $DOCKER_CONFIG/config.json or ~/.docker/config.json.  */
int cc_docker_credentials (const char *host, char **basic, cc_error_t *err);

/* Where a pull of REF goes.  */
struct cc_registry_endpoint
{
  char *host;     /* host[:port] to contact: registry-1.docker.io, 127.0.0.1:5000 */
  char *base;     /* scheme://host[/path prefix of a mirror] */
  char *cred_key; /* the host credentials are looked up for */
  bool insecure;  /* plain http allowed (loopback or CCOMPOSE_INSECURE_REGISTRIES) */
};
/* MIRROR (CCOMPOSE_REGISTRY_MIRROR, may be NULL) replaces docker.io;
   INSECURE (CCOMPOSE_INSECURE_REGISTRIES, may be NULL) lists host[:port]
   that may speak plain http.  */
int cc_registry_endpoint (const struct cc_image_ref *ref, const char *mirror, const char *insecure,
                          struct cc_registry_endpoint *out, cc_error_t *err);
void cc_registry_endpoint_release (struct cc_registry_endpoint *e);
#define cleanup_registry_endpoint __attribute__ ((cleanup (cc_registry_endpoint_release)))
/* localhost, 127.0.0.0/8, ::1, or listed in INSECURE.  */
bool cc_registry_is_insecure (const char *host, const char *insecure);

/* "404 Not Found" for an HTTP status.  */
const char *cc_http_reason (long status);
/* The first message of a registry error document
   ({"errors":[{"code","message"}]}), e.g. "MANIFEST_UNKNOWN: manifest
   unknown", or NULL.  */
char *cc_registry_error_message (const char *body, size_t len);

/* ---- the HTTP client (registry.c) -------------------------------------- */

struct cc_registry;

/* A client for REPO (library/redis) at ENDPOINT; BASIC (may be NULL) is
   base64 "user:pass", sent only when the registry asks.  */
struct cc_registry *cc_registry_new (const struct cc_registry_endpoint *endpoint, const char *repo, const char *basic);
void cc_registry_free (struct cc_registry *r);
static inline void
cleanup_registry_fn (struct cc_registry **r)
{
  if (*r)
    cc_registry_free (*r);
}
#define cleanup_registry __attribute__ ((cleanup (cleanup_registry_fn)))

/* GET /v2/REPO/manifests/REF with every supported Accept type, at most
   CC_REGISTRY_MAX_MANIFEST bytes, verified against DIGEST when REF is
   one and against Docker-Content-Digest when sent; *MEDIA_TYPE gets the
   response type and *DIGEST_OUT the sha256 of the body.  */
int cc_registry_get_manifest (struct cc_registry *r, const char *ref, char **body, size_t *len, char **media_type,
                              char **digest_out, cc_error_t *err);
/* GET /v2/REPO/blobs/DIGEST into FD, hashing as it streams, refusing more
   than MAX bytes (the descriptor's size: a hostile registry must not fill
   the disk; -1: no limit); *GOT gets the sha256 of what was written,
   *TOTAL its length.  The caller verifies.  */
int cc_registry_get_blob (struct cc_registry *r, const char *digest, int64_t max, int fd, char **got, int64_t *total,
                          cc_error_t *err);

/* ---- push (registry.c) ------------------------------------------------- */

/* Ask for SCOPE too when a token is needed (before the first request):
   `repository:NAME:pull,push`, `repository:OTHER:pull` to mount from.  */
void cc_registry_add_scope (struct cc_registry *r, const char *scope);
/* GET /v2/ (once): the scheme and the auth the registry wants.  */
int cc_registry_ping (struct cc_registry *r, cc_error_t *err);
/* HEAD /v2/REPO/blobs/DIGEST.  */
int cc_registry_blob_exists (struct cc_registry *r, const char *digest, bool *exists, cc_error_t *err);
/* POST /v2/REPO/blobs/uploads/, with ?mount=DIGEST&from=MOUNT_FROM when
   given: *MOUNTED when the registry linked the blob from there (201),
   else *LOCATION is where the upload goes.  */
int cc_registry_start_upload (struct cc_registry *r, const char *digest, const char *mount_from, bool *mounted,
                              char **location, cc_error_t *err);
/* The SIZE bytes of FD as DIGEST to LOCATION: one PUT when SIZE <= CHUNK
   (or CHUNK <= 0), else PATCHes of CHUNK bytes and a closing PUT.  */
int cc_registry_upload_blob (struct cc_registry *r, const char *location, const char *digest, int fd, int64_t size,
                             int64_t chunk, cc_error_t *err);
/* DELETE an upload that will not finish (best effort).  */
void cc_registry_cancel_upload (struct cc_registry *r, const char *location);
/* PUT /v2/REPO/manifests/REF: BODY (LEN bytes) as MEDIA_TYPE, which the
   registry must store as DIGEST.  */
int cc_registry_put_manifest (struct cc_registry *r, const char *ref, const char *media_type, const char *body,
                              size_t len, const char *digest, cc_error_t *err);

#endif
