/* libarchive, opened on first use (lib/dynlib.h says why): the functions
   layer extraction (image/layer.c) calls, and the writer the unit tests
   build their layers with.  */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdlib.h>

#include "lib/dynlib.h"
#include "lib/xalloc.h"

/* libarchive 3.x is libarchive.so.13.  */
#if ARCHIVE_VERSION_NUMBER < 3000000 || ARCHIVE_VERSION_NUMBER >= 4000000
#error "lib/lazy-archive.c opens libarchive.so.13: check the soname of this libarchive"
#endif

struct cc_dynlib cc_dynlib_archive = CC_DYNLIB_INIT ("libarchive.so.13", "unpack image layers", "libarchive13");

#define ARCHIVE_FN(ret, name, params, args) CC_DYNLIB_FN (cc_dynlib_archive, ret, name, params, args)
#define ARCHIVE_VOID_FN(name, params, args) CC_DYNLIB_VOID_FN (cc_dynlib_archive, name, params, args)

/* Reading.  */
ARCHIVE_FN (struct archive *, archive_read_new, (void), ())
ARCHIVE_FN (int, archive_read_free, (struct archive * a), (a))
ARCHIVE_FN (int, archive_read_support_filter_all, (struct archive * a), (a))
ARCHIVE_FN (int, archive_read_support_format_raw, (struct archive * a), (a))
ARCHIVE_FN (int, archive_read_support_format_tar, (struct archive * a), (a))
ARCHIVE_FN (int, archive_read_open,
            (struct archive * a, void *data, archive_open_callback *o, archive_read_callback *r,
             archive_close_callback *c),
            (a, data, o, r, c))
ARCHIVE_FN (int, archive_read_open_fd, (struct archive * a, int fd, size_t block), (a, fd, block))
ARCHIVE_FN (int, archive_read_next_header, (struct archive * a, struct archive_entry **e), (a, e))
ARCHIVE_FN (la_ssize_t, archive_read_data, (struct archive * a, void *buf, size_t len), (a, buf, len))
ARCHIVE_FN (int, archive_read_data_block, (struct archive * a, const void **buf, size_t *len, la_int64_t *off),
            (a, buf, len, off))
ARCHIVE_FN (int, archive_errno, (struct archive * a), (a))
ARCHIVE_FN (const char *, archive_error_string, (struct archive * a), (a))

/* Entries.  */
ARCHIVE_FN (struct archive_entry *, archive_entry_new, (void), ())
ARCHIVE_VOID_FN (archive_entry_free, (struct archive_entry * e), (e))
ARCHIVE_FN (const char *, archive_entry_pathname, (struct archive_entry * e), (e))
ARCHIVE_FN (const char *, archive_entry_hardlink, (struct archive_entry * e), (e))
ARCHIVE_FN (const char *, archive_entry_symlink, (struct archive_entry * e), (e))
ARCHIVE_FN (__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e))
ARCHIVE_FN (__LA_MODE_T, archive_entry_perm, (struct archive_entry * e), (e))
ARCHIVE_FN (la_int64_t, archive_entry_uid, (struct archive_entry * e), (e))
ARCHIVE_FN (la_int64_t, archive_entry_gid, (struct archive_entry * e), (e))
ARCHIVE_FN (la_int64_t, archive_entry_size, (struct archive_entry * e), (e))
ARCHIVE_FN (dev_t, archive_entry_rdev, (struct archive_entry * e), (e))
ARCHIVE_FN (time_t, archive_entry_mtime, (struct archive_entry * e), (e))
ARCHIVE_FN (long, archive_entry_mtime_nsec, (struct archive_entry * e), (e))
ARCHIVE_FN (int, archive_entry_xattr_reset, (struct archive_entry * e), (e))
ARCHIVE_FN (int, archive_entry_xattr_next,
            (struct archive_entry * e, const char **name, const void **value, size_t *size), (e, name, value, size))
ARCHIVE_VOID_FN (archive_entry_set_pathname, (struct archive_entry * e, const char *p), (e, p))
ARCHIVE_VOID_FN (archive_entry_set_filetype, (struct archive_entry * e, unsigned int t), (e, t))
ARCHIVE_VOID_FN (archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T m), (e, m))
ARCHIVE_VOID_FN (archive_entry_set_uid, (struct archive_entry * e, la_int64_t id), (e, id))
ARCHIVE_VOID_FN (archive_entry_set_gid, (struct archive_entry * e, la_int64_t id), (e, id))
ARCHIVE_VOID_FN (archive_entry_set_symlink, (struct archive_entry * e, const char *t), (e, t))
ARCHIVE_VOID_FN (archive_entry_set_size, (struct archive_entry * e, la_int64_t s), (e, s))

/* Writing.  */
ARCHIVE_FN (struct archive *, archive_write_new, (void), ())
ARCHIVE_FN (int, archive_write_free, (struct archive * a), (a))
ARCHIVE_FN (int, archive_write_close, (struct archive * a), (a))
ARCHIVE_FN (int, archive_write_set_format_pax_restricted, (struct archive * a), (a))
ARCHIVE_FN (int, archive_write_add_filter_gzip, (struct archive * a), (a))
ARCHIVE_FN (int, archive_write_set_bytes_in_last_block, (struct archive * a, int n), (a, n))
ARCHIVE_FN (int, archive_write_open_memory, (struct archive * a, void *buf, size_t size, size_t *used),
            (a, buf, size, used))
ARCHIVE_FN (int, archive_write_header, (struct archive * a, struct archive_entry *e), (a, e))
ARCHIVE_FN (la_ssize_t, archive_write_data, (struct archive * a, const void *buf, size_t len), (a, buf, len))
ARCHIVE_FN (int, archive_write_open,
            (struct archive * a, void *data, archive_open_callback *o, archive_write_callback *w,
             archive_close_callback *c),
            (a, data, o, w, c))
ARCHIVE_FN (int, archive_write_set_format_raw, (struct archive * a), (a))
ARCHIVE_FN (int, archive_write_set_filter_option,
            (struct archive * a, const char *module, const char *option, const char *value), (a, module, option, value))
ARCHIVE_FN (int, archive_write_set_bytes_per_block, (struct archive * a, int n), (a, n))
ARCHIVE_VOID_FN (archive_entry_set_mtime, (struct archive_entry * e, time_t t, long ns), (e, t, ns))

/* A va_list cannot be handed on to a variadic function: the message is
   formatted here and passed whole (libarchive copies it).  A NULL format
   clears the error.  */
typedef void (*set_error_fn) (struct archive *, int, const char *, ...);

void
archive_set_error (struct archive *a, int err, const char *fmt, ...)
{
  static void *cache;
  set_error_fn real = (set_error_fn)cc_dynlib_resolve (&cc_dynlib_archive, "archive_set_error", &cache);
  char *msg;
  va_list ap;

  if (fmt == NULL)
    {
      real (a, err, NULL);
      return;
    }
  va_start (ap, fmt);
  msg = xvasprintf (fmt, ap);
  va_end (ap);
  real (a, err, "%s", msg);
  free (msg);
}
