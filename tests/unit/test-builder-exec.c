/* Unit tests for the executor's pure parts: the deterministic layer tar
   (builder/layer.c) and the build context's source expansion and digests
   (builder/context.c), on temporary directories.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "builder/exec.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static char *top;

static char *
path (const char *rel)
{
  return xasprintf ("%s/%s", top, rel);
}

static void
write_at (const char *rel, const char *text, mode_t mode)
{
  cleanup_free char *p = path (rel);
  cleanup_free char *dir = cc_path_dirname (p);
  cleanup_error cc_error_t err = NULL;

  assert_int_equal (cc_mkdir_p (dir, 0755, &err), 0);
  assert_int_equal (cc_write_file_atomic (p, text, strlen (text), mode, &err), 0);
  assert_int_equal (chmod (p, mode), 0);
}

static int
setup (void **state)
{
  char tmpl[] = "/tmp/cc-bld-exec.XXXXXX";

  (void)state;
  top = xstrdup (mkdtemp (tmpl));
  {
    cleanup_free char *data = path ("data");
    setenv ("CCOMPOSE_DATA_DIR", data, 1);
  }
  return 0;
}

static int
teardown (void **state)
{
  cleanup_error cc_error_t err = NULL;

  (void)state;
  cc_rm_rf (top, &err);
  free (top);
  return 0;
}

/* ---- layer tars --------------------------------------------------------- */

static char *
tar_of (const char *rel, int64_t epoch, size_t *entries, char **bytes, size_t *len)
{
  cleanup_free char *tree = path (rel);
  cleanup_free char *out = path ("out.tar");
  cleanup_close int fd = open (out, O_RDWR | O_CREAT | O_TRUNC, 0644);
  cleanup_error cc_error_t err = NULL;
  char *diff = NULL;
  int64_t size = 0;

  assert_true (fd >= 0);
  if (cc_bld_tar_tree (tree, fd, epoch, &diff, &size, entries, &err) < 0)
    fail_msg ("tar: %s", err->msg);
  if (bytes)
    assert_int_equal (cc_read_file (out, bytes, len, &err), 0);
  return diff;
}

/* The names of the entries of a tar in BYTES (PAX headers resolved for
   `path`), one per line.  */
static char *
names_of (const char *bytes, size_t len)
{
  struct cc_buf b = { 0 };
  cleanup_free char *pax_path = NULL;

  for (size_t off = 0; off + 512 <= len;)
    {
      const char *h = bytes + off;
      unsigned long size = strtoul (h + 124, NULL, 8);
      if (h[0] == '\0')
        break;
      if (h[156] == 'x')
        {
          const char *rec = strstr (h + 512, " path=");
          free (pax_path);
          pax_path = NULL;
          if (rec && rec < h + 512 + size)
            pax_path = xstrndup (rec + 6, strcspn (rec + 6, "\n"));
        }
      else
        {
          cc_buf_printf (&b, "%c %s\n", h[156], pax_path ? pax_path : h);
          free (pax_path);
          pax_path = NULL;
        }
      off += 512 + (size + 511) / 512 * 512;
    }
  return cc_buf_steal (&b);
}

static void
test_tar_sorted_and_deterministic (void **state)
{
  cleanup_free char *d1 = NULL, *d2 = NULL, *d3 = NULL, *bytes = NULL, *names = NULL;
  cleanup_free char *slink = path ("t1/dir/link");
  cleanup_free char *hard_src = path ("t1/b.txt");
  cleanup_free char *hard = path ("t1/dir/hard");
  size_t n = 0, len = 0;

  (void)state;
  write_at ("t1/b.txt", "bee\n", 0644);
  write_at ("t1/a.txt", "ay\n", 0600);
  write_at ("t1/dir/z", "zed\n", 0755);
  assert_int_equal (symlink ("../a.txt", slink), 0);
  assert_int_equal (link (hard_src, hard), 0);
  d1 = tar_of ("t1", 0, &n, &bytes, &len);
  assert_int_equal (n, 6);
  assert_int_equal (len % 512, 0);
  names = names_of (bytes, len);
  /* Sorted by name in each directory; directories end in `/`; the second
     name of a hard link is a link to the first.  */
  assert_string_equal (names, "0 a.txt\n0 b.txt\n5 dir/\n1 dir/hard\n2 dir/link\n0 dir/z\n");
  /* New times change nothing: every time is the epoch.  */
  {
    cleanup_free char *p = path ("t1/a.txt");
    struct timespec ts[2] = { { 123456, 0 }, { 123456, 0 } };
    assert_int_equal (utimensat (AT_FDCWD, p, ts, 0), 0);
  }
  d2 = tar_of ("t1", 0, &n, NULL, NULL);
  assert_string_equal (d1, d2);
  /* Content does.  */
  write_at ("t1/a.txt", "ay!\n", 0600);
  d3 = tar_of ("t1", 0, &n, NULL, NULL);
  assert_string_not_equal (d1, d3);
}

static void
test_tar_empty_is_the_empty_layer (void **state)
{
  cleanup_free char *dir = path ("empty");
  cleanup_free char *d = NULL;
  size_t n = 1;

  (void)state;
  assert_int_equal (mkdir (dir, 0755), 0);
  d = tar_of ("empty", 0, &n, NULL, NULL);
  assert_int_equal (n, 0);
  /* Two zero blocks: the diff id of every empty layer BuildKit writes.  */
  assert_string_equal (d, "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
}

static void
test_tar_long_names_use_pax (void **state)
{
  char rel[400];
  cleanup_free char *bytes = NULL, *names = NULL, *want = NULL, *d = NULL;
  size_t n = 0, len = 0;

  (void)state;
  snprintf (rel, sizeof (rel), "long/%0150d/%0120d", 1, 2);
  write_at (rel, "x", 0644);
  d = tar_of ("long", 0, &n, &bytes, &len);
  names = names_of (bytes, len);
  want = xasprintf ("5 %0150d/\n0 %0150d/%0120d\n", 1, 1, 2);
  assert_string_equal (names, want);
}

static void
test_tar_whiteouts_and_opaque (void **state)
{
  cleanup_free char *wh = path ("ov/d/gone");
  cleanup_free char *opq = path ("ov/o");
  cleanup_free char *bytes = NULL, *names = NULL, *d = NULL;
  size_t n = 0, len = 0;

  (void)state;
  if (getuid () != 0)
    skip ();
  write_at ("ov/d/keep", "k", 0644);
  write_at ("ov/o/new", "n", 0644);
  assert_int_equal (mknod (wh, S_IFCHR | 0, makedev (0, 0)), 0);
  if (setxattr (opq, "trusted.overlay.opaque", "y", 1, 0) < 0)
    skip ();
  assert_int_equal (setxattr (opq, "trusted.overlay.origin", "zz", 2, 0), 0);
  d = tar_of ("ov", 0, &n, &bytes, &len);
  names = names_of (bytes, len);
  assert_string_equal (names, "5 d/\n0 d/.wh.gone\n0 d/keep\n5 o/\n0 o/.wh..wh..opq\n0 o/new\n");
  /* Overlay's own xattrs never reach a layer.  */
  assert_null (memmem (bytes, len, "trusted.overlay", 15));
}

/* ---- the context ----------------------------------------------------------- */

static struct cc_bld_context *
open_ctx (const char *rel, const char *ignore)
{
  cleanup_free char *dir = path (rel);
  struct cc_dockerignore *ig = NULL;
  struct cc_bld_context *c = NULL;
  cleanup_error cc_error_t err = NULL;

  if (ignore)
    assert_int_equal (cc_dockerignore_parse (".dockerignore", ignore, strlen (ignore), &ig, &err), 0);
  if (cc_bld_context_open (dir, ig, &c, &err) < 0)
    fail_msg ("open: %s", err->msg);
  return c;
}

static char *
digest (struct cc_bld_context *c, const char *pattern)
{
  cleanup_error cc_error_t err = NULL;
  char *d = NULL;

  if (cc_bld_context_digest (c, pattern, &d, &err) < 0)
    return xasprintf ("error: %s", err->msg);
  return d;
}

static void
test_context_digests_content_not_times (void **state)
{
  struct cc_bld_context *c;
  cleanup_free char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL, *d5 = NULL;
  cleanup_free char *f = path ("ctx/src/main.c");

  (void)state;
  write_at ("ctx/src/main.c", "int main;\n", 0644);
  write_at ("ctx/src/skip.o", "obj", 0644);
  write_at ("ctx/README", "read me", 0644);
  c = open_ctx ("ctx", "*/*.o\n");
  d1 = digest (c, "/src");
  cc_bld_context_close (c);
  {
    struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };
    assert_int_equal (utimensat (AT_FDCWD, f, ts, 0), 0);
  }
  write_at ("ctx/src/skip.o", "other obj", 0644);
  c = open_ctx ("ctx", "*/*.o\n");
  d2 = digest (c, "/src");
  assert_string_equal (d1, d2);
  write_at ("ctx/src/main.c", "int main2;\n", 0644);
  d3 = digest (c, "/src");
  assert_string_not_equal (d1, d3);
  /* A mode change is a change too.  */
  assert_int_equal (chmod (f, 0755), 0);
  d4 = digest (c, "/src");
  assert_string_not_equal (d3, d4);
  d5 = digest (c, "/nothing-here");
  assert_non_null (strstr (d5, "not found"));
  cc_bld_context_close (c);
}

static void
test_context_expansion_stays_inside (void **state)
{
  struct cc_bld_context *c;
  cleanup_strv char **hits = NULL;
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *out = path ("secret-outside");
  cleanup_free char *link = path ("ctx2/escape");
  cleanup_free char *d1 = NULL, *d2 = NULL;

  (void)state;
  write_at ("secret-outside", "host only", 0644);
  write_at ("ctx2/a1.txt", "1", 0644);
  write_at ("ctx2/a2.txt", "2", 0644);
  write_at ("ctx2/b.txt", "3", 0644);
  write_at ("ctx2/ignored.txt", "4", 0644);
  assert_int_equal (symlink (out, link), 0);
  c = open_ctx ("ctx2", "ignored.txt\n");
  assert_int_equal (cc_bld_expand (cc_bld_context_fd (c), cc_bld_context_ignore (c), "/a*.txt", &hits, &err), 0);
  assert_int_equal (cc_strv_len (hits), 2);
  assert_string_equal (hits[0], "a1.txt");
  assert_string_equal (hits[1], "a2.txt");
  cc_strv_free (hits);
  hits = NULL;
  assert_int_equal (cc_bld_expand (cc_bld_context_fd (c), cc_bld_context_ignore (c), "/*.txt", &hits, &err), 0);
  assert_int_equal (cc_strv_len (hits), 3);
  /* `..` stops at the top, and a symlink out resolves inside.  */
  d1 = digest (c, "/../secret-outside");
  assert_non_null (strstr (d1, "not found"));
  d2 = digest (c, "/escape");
  assert_non_null (strstr (d2, "not found"));
  cc_bld_context_close (c);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_tar_sorted_and_deterministic),
    cmocka_unit_test (test_tar_empty_is_the_empty_layer),
    cmocka_unit_test (test_tar_long_names_use_pax),
    cmocka_unit_test (test_tar_whiteouts_and_opaque),
    cmocka_unit_test (test_context_digests_content_not_times),
    cmocka_unit_test (test_context_expansion_stays_inside),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
