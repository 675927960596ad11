/* ADD <url>: fetched with libcurl into the build's scratch directory,
   hashed as it is written, checked against --checksum.  http and https
   only, redirects only to https; the file is never unpacked (BuildKit
   does not unpack remote archives).  */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "builder/exec.h"
#include "lib/cleanup.h"
#include "lib/dynlib.h"
#include "lib/file.h"
#include "lib/xalloc.h"

#define CONNECT_TIMEOUT_S 30L
#define STALL_TIMEOUT_S 60L

struct sink
{
  int fd;
  struct cc_bld_hash *hash;
  int error;
};

static size_t
sink_write (char *data, size_t size, size_t n, void *opaque)
{
  struct sink *s = opaque;
  size_t len = size * n;

  if (cc_write_all (s->fd, data, len) < 0)
    {
      s->error = errno ? errno : EIO;
      return 0;
    }
  cc_bld_hash_update (s->hash, data, len);
  return len;
}

static void
cleanup_curl_fn (CURL **c)
{
  if (*c)
    curl_easy_cleanup (*c);
}

int
cc_bld_download (const char *url, const char *dir, const char *filename, const char *checksum, char **path,
                 char **digest, cc_error_t *err)
{
  __attribute__ ((cleanup (cleanup_curl_fn))) CURL *c = NULL;
  cleanup_free char *dest = cc_path_join (dir, filename && *filename ? filename : "download");
  cleanup_close int fd = -1;
  struct sink s = { .fd = -1 };
  char errbuf[CURL_ERROR_SIZE] = "";
  long status = 0;
  CURLcode rc;
  char *got;

  if (cc_dynlib_load (&cc_dynlib_curl, err) < 0)
    return -1;
  fd = open (dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return cc_error_make (err, errno, "create `%s`", dest);
  c = curl_easy_init ();
  if (c == NULL)
    return cc_error_make (err, ENOMEM, "ADD %s: cannot start libcurl", url);
  s.fd = fd;
  s.hash = cc_bld_hash_new ();
  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (c, CURLOPT_USERAGENT, "ccompose");
  curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt (c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_TIME, STALL_TIMEOUT_S);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, sink_write);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, &s);
  rc = curl_easy_perform (c);
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
  got = cc_bld_hash_final (s.hash);
  if (rc != CURLE_OK || s.error)
    {
      free (got);
      return cc_error_make (err, s.error, "ADD %s: %s", url, *errbuf ? errbuf : curl_easy_strerror (rc));
    }
  if (status < 200 || status >= 300)
    {
      free (got);
      return cc_error_make (err, 0, "ADD %s: invalid response status %ld", url, status);
    }
  if (checksum && strcmp (checksum, got) != 0)
    {
      cc_error_make (err, 0, "ADD %s: digest mismatch %s: %s", url, got, checksum);
      free (got);
      return -1;
    }
  *digest = got;
  *path = steal_pointer (&dest);
  return 0;
}
