/* A gzip copy of an uncompressed layer blob, for a push: registries and
   Docker expect compressed layers, and the builder and `image import` of
   a plain tar store them uncompressed.  The copy is deterministic (the
   gzip header carries no name and no time, as `gzip -n` writes it, and
   the same zlib level), made once and remembered in repositories.json
   (`compressed`: {BLOB: GZIP}), so a second push sends the same digest
   and finds it already there; GC keeps it while its source is kept.  */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"
#include "lib/cleanup.h"
#include "lib/dynlib.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define CHUNK (256 * 1024)
#define COMPRESSED_KEY "compressed"

struct gz_out
{
  int fd;
  struct cc_sha256 *h;
  int64_t total;
};

static la_ssize_t
gz_write (struct archive *a, void *opaque, const void *buf, size_t len)
{
  struct gz_out *o = opaque;

  if (cc_write_all (o->fd, buf, len) < 0)
    {
      archive_set_error (a, errno, "write the compressed blob");
      return -1;
    }
  cc_sha256_update (o->h, buf, len);
  o->total += (int64_t)len;
  return (la_ssize_t)len;
}

static void
cleanup_write_archive_fn (struct archive **a)
{
  if (*a)
    archive_write_free (*a);
}
#define cleanup_write_archive __attribute__ ((cleanup (cleanup_write_archive_fn)))

static int
archive_fail (struct archive *a, const char *what, cc_error_t *err)
{
  int e = archive_errno (a);

  return cc_error_make (err, e > 0 ? e : 0, "%s: %s", what, archive_error_string (a) ?: "failed");
}

/* One raw stream through libarchive's gzip filter: no name, no time
   (`!timestamp`), no padding to a tar block.  */
static int
open_gzip (struct archive *a, struct gz_out *o, cc_error_t *err)
{
  struct archive_entry *e = archive_entry_new ();
  int r;

  if (archive_write_set_format_raw (a) != ARCHIVE_OK || archive_write_add_filter_gzip (a) != ARCHIVE_OK
      || archive_write_set_filter_option (a, "gzip", "timestamp", NULL) != ARCHIVE_OK
      || archive_write_set_bytes_per_block (a, 0) != ARCHIVE_OK
      || archive_write_open (a, o, NULL, gz_write, NULL) != ARCHIVE_OK)
    {
      archive_entry_free (e);
      return archive_fail (a, "start gzip", err);
    }
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_pathname (e, "layer.tar");
  r = archive_write_header (a, e);
  archive_entry_free (e);
  return r == ARCHIVE_OK ? 0 : archive_fail (a, "start gzip", err);
}

/* Compress IN (the blob DIGEST) into O, checking IN is what it claims.  */
static int
compress_into (int in, const char *digest, struct gz_out *o, cc_error_t *err)
{
  cleanup_write_archive struct archive *a = archive_write_new ();
  cleanup_sha256 struct cc_sha256 *h = cc_sha256_new ();
  cleanup_free char *buf = xmalloc (CHUNK);
  cleanup_free char *got = NULL;
  ssize_t n;

  if (open_gzip (a, o, err) < 0)
    return -1;
  while ((n = read (in, buf, CHUNK)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cc_error_make (err, errno, "read blob %s", digest);
      cc_sha256_update (h, buf, (size_t)n);
      if (archive_write_data (a, buf, (size_t)n) != n)
        return archive_fail (a, "gzip", err);
    }
  if (archive_write_close (a) != ARCHIVE_OK)
    return archive_fail (a, "finish gzip", err);
  got = cc_sha256_final (h);
  if (strcmp (got, digest) != 0)
    return cc_error_make (err, 0, "blob %s in the store is damaged (it hashes to %s)", digest, got);
  return 0;
}

struct remember
{
  const char *blob, *gz;
};

static int
remember_edit (cJSON *repos, void *opaque, cc_error_t *err)
{
  struct remember *m = opaque;
  cJSON *map = cJSON_GetObjectItemCaseSensitive (repos, COMPRESSED_KEY);

  (void)err;
  if (! cJSON_IsObject (map))
    {
      map = cJSON_CreateObject ();
      cc_json_set (repos, COMPRESSED_KEY, map);
    }
  cc_json_set_string (map, m->blob, m->gz);
  return 0;
}

static int64_t
stored_size (struct cc_store *s, const char *digest)
{
  cleanup_free char *p = cc_store_blob_path (s, digest);
  struct stat st;

  return stat (p, &st) == 0 ? (int64_t)st.st_size : -1;
}

/* The gzip copy made before, if its blob is still there.  */
static char *
known_gzip (struct cc_store *s, const char *digest)
{
  cleanup_cjson cJSON *repos = NULL;
  const char *gz;

  if (cc_store_repos_load (s, &repos, NULL) < 0)
    return NULL;
  gz = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (repos, COMPRESSED_KEY), digest);
  return gz && cc_image_is_digest (gz) && cc_store_has_blob (s, gz) ? xstrdup (gz) : NULL;
}

int
cc_store_gzip_blob (struct cc_store *s, const char *digest, char **gz_out, int64_t *size_out, cc_error_t *err)
{
  cleanup_free char *known = known_gzip (s, digest);
  cleanup_free char *src = cc_store_blob_path (s, digest);
  cleanup_free char *tmp = NULL;
  cleanup_free char *got = NULL;
  cleanup_sha256 struct cc_sha256 *h = NULL;
  cleanup_close int in = -1;
  cleanup_close int fd = -1;
  struct remember m = { digest, NULL };
  struct gz_out o = { -1, NULL, 0 };

  if (known == NULL)
    {
      if (cc_dynlib_load (&cc_dynlib_archive, err) < 0)
        return -1;
      in = open (src, O_RDONLY | O_CLOEXEC);
      if (in < 0)
        return cc_error_make (err, errno, "open blob %s", digest);
      fd = cc_store_blob_tempfile (s, &tmp, err);
      if (fd < 0)
        return -1;
      o.fd = fd;
      o.h = h = cc_sha256_new ();
      if (compress_into (in, digest, &o, err) < 0)
        {
          unlink (tmp);
          return cc_error_wrap (err, "compress layer %s", digest);
        }
      got = cc_sha256_final (h);
      if (cc_store_blob_publish (s, tmp, fd, NULL, -1, got, o.total, err) < 0)
        return -1;
      m.gz = got;
      if (cc_store_repos_edit (s, remember_edit, &m, err) < 0)
        return -1;
      known = steal_pointer (&got);
    }
  *size_out = stored_size (s, known);
  if (*size_out < 0)
    return cc_error_make (err, errno, "stat blob %s", known);
  *gz_out = steal_pointer (&known);
  return 0;
}

char *
cc_store_compressed_of (cJSON *repos, const char *digest)
{
  const char *gz = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (repos, COMPRESSED_KEY), digest);

  return gz && cc_image_is_digest (gz) ? xstrdup (gz) : NULL;
}

void
cc_store_mark_compressed (cJSON *repos, char ***blobs)
{
  cJSON *it;
  size_t n = cc_strv_len (*blobs);

  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (repos, COMPRESSED_KEY))
  {
    if (! cJSON_IsString (it) || ! cc_image_is_digest (it->valuestring))
      continue;
    for (size_t i = 0; i < n; i++)
      if (strcmp ((*blobs)[i], it->string) == 0)
        {
          cc_strv_append (blobs, it->valuestring);
          break;
        }
  }
}
