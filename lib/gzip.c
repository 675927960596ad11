/* gzip files through libarchive: see lib/gzip.h.  */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/dynlib.h"
#include "lib/file.h"
#include "lib/gzip.h"
#include "lib/xalloc.h"

#define CHUNK 65536

static void
free_write (struct archive **a)
{
  if (*a)
    archive_write_free (*a);
}

static void
free_read (struct archive **a)
{
  if (*a)
    archive_read_free (*a);
}

static int
fail (struct archive *a, const char *what, const char *path, cc_error_t *err)
{
  int e = archive_errno (a);

  return cc_error_make (err, e > 0 ? e : EIO, "%s `%s`: %s", what, path, archive_error_string (a) ?: "failed");
}

static la_ssize_t
to_fd (struct archive *a, void *opaque, const void *buf, size_t len)
{
  if (cc_write_all (*(int *)opaque, buf, len) < 0)
    {
      archive_set_error (a, errno, "write");
      return -1;
    }
  return (la_ssize_t)len;
}

static int
start_gzip (struct archive *a, int *out, const char *path, cc_error_t *err)
{
  struct archive_entry *e = archive_entry_new ();
  int r = ARCHIVE_FATAL;

  if (archive_write_set_format_raw (a) == ARCHIVE_OK && archive_write_add_filter_gzip (a) == ARCHIVE_OK
      && archive_write_set_bytes_per_block (a, 0) == ARCHIVE_OK
      && archive_write_open (a, out, NULL, to_fd, NULL) == ARCHIVE_OK)
    {
      archive_entry_set_filetype (e, AE_IFREG);
      archive_entry_set_pathname (e, "log");
      r = archive_write_header (a, e);
    }
  archive_entry_free (e);
  return r == ARCHIVE_OK ? 0 : fail (a, "gzip", path, err);
}

static int
copy_in (struct archive *a, int in, const char *from, cc_error_t *err)
{
  cleanup_free char *buf = xmalloc (CHUNK);
  ssize_t n;

  while ((n = read (in, buf, CHUNK)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cc_error_make (err, errno, "read `%s`", from);
      if (archive_write_data (a, buf, (size_t)n) != n)
        return fail (a, "gzip", from, err);
    }
  return archive_write_close (a) == ARCHIVE_OK ? 0 : fail (a, "gzip", from, err);
}

int
cc_gzip_file (const char *from, const char *to, cc_error_t *err)
{
  __attribute__ ((cleanup (free_write))) struct archive *a = NULL;
  cleanup_free char *tmp = xasprintf ("%s.tmp", to);
  cleanup_close int in = -1, out = -1;

  if (cc_dynlib_load (&cc_dynlib_archive, err) < 0)
    return -1;
  in = open (from, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return cc_error_make (err, errno, "open `%s`", from);
  out = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (out < 0)
    return cc_error_make (err, errno, "create `%s`", tmp);
  a = archive_write_new ();
  if (start_gzip (a, &out, to, err) < 0 || copy_in (a, in, from, err) < 0)
    {
      unlink (tmp);
      return -1;
    }
  if (rename (tmp, to) < 0)
    {
      unlink (tmp);
      return cc_error_make (err, errno, "rename `%s`", tmp);
    }
  return 0;
}

int
cc_gunzip_file (const char *path, cc_error_t *err)
{
  __attribute__ ((cleanup (free_read))) struct archive *a = NULL;
  cleanup_close int in = -1, out = -1;
  cleanup_free char *buf = xmalloc (CHUNK);
  struct archive_entry *e;
  la_ssize_t n;

  if (cc_dynlib_load (&cc_dynlib_archive, err) < 0)
    return -1;
  in = open (path, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return cc_error_make (err, errno, "open `%s`", path);
  out = memfd_create ("gunzip", MFD_CLOEXEC);
  if (out < 0)
    return cc_error_make (err, errno, "memfd_create");
  a = archive_read_new ();
  archive_read_support_filter_all (a);
  archive_read_support_format_raw (a);
  if (archive_read_open_fd (a, in, CHUNK) != ARCHIVE_OK || archive_read_next_header (a, &e) != ARCHIVE_OK)
    return fail (a, "gunzip", path, err);
  while ((n = archive_read_data (a, buf, CHUNK)) > 0)
    if (cc_write_all (out, buf, (size_t)n) < 0)
      return cc_error_make (err, errno, "gunzip `%s`", path);
  if (n < 0)
    return fail (a, "gunzip", path, err);
  if (lseek (out, 0, SEEK_SET) < 0)
    return cc_error_make (err, errno, "gunzip `%s`", path);
  return get_and_reset (&out);
}
