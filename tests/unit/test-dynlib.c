/* Unit tests for the lazy loader (lib/dynlib.c) and the trampolines of
   lib/lazy-*.c: this binary is not linked with libcrypto, libcurl or
   libarchive, so every call below goes through a trampoline to the
   library opened on first use.  Missing libraries and symbols are
   errors through cc_dynlib_load, and the trampolines' fatal exit says
   what to install.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/image.h"
#include "image/registry.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/dynlib.h"
#include "lib/file.h"
#include "lib/xalloc.h"

#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void
hex (const unsigned char *md, unsigned int n, char *out)
{
  for (unsigned int i = 0; i < n; i++)
    sprintf (out + 2 * i, "%02x", md[i]);
}

/* ---- libcrypto: loading and the plain trampolines ---------------------- */

static void
test_crypto_digest (void **state)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  char text[2 * EVP_MAX_MD_SIZE + 1] = "";

  (void)state;
  assert_non_null (EVP_sha256 ());
  assert_non_null (__atomic_load_n (&cc_dynlib_crypto.handle, __ATOMIC_ACQUIRE));
  assert_int_equal (EVP_Digest ("abc", 3, md, &n, EVP_sha256 (), NULL), 1);
  assert_int_equal (n, 32);
  hex (md, n, text);
  assert_string_equal (text, SHA256_ABC);
}

static void
test_crypto_streaming_and_base64 (void **state)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned char b64[16] = "";
  unsigned char raw[16] = "";
  unsigned int n = 0;
  char text[2 * EVP_MAX_MD_SIZE + 1] = "";

  (void)state;
  assert_non_null (ctx);
  assert_int_equal (EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL), 1);
  assert_int_equal (EVP_DigestUpdate (ctx, "a", 1), 1);
  assert_int_equal (EVP_DigestUpdate (ctx, "bc", 2), 1);
  assert_int_equal (EVP_DigestFinal_ex (ctx, md, &n), 1);
  EVP_MD_CTX_free (ctx);
  hex (md, n, text);
  assert_string_equal (text, SHA256_ABC);

  assert_int_equal (EVP_EncodeBlock (b64, (const unsigned char *)"u:pw", 4), 8);
  assert_string_equal ((char *)b64, "dTpwdw==");
  assert_int_equal (EVP_DecodeBlock (raw, b64, 8), 6); /* padding decodes as zero bytes */
  assert_memory_equal (raw, "u:pw", 4);
}

static void
test_load_twice_same_handle (void **state)
{
  cleanup_error cc_error_t err = NULL;
  void *first, *addr = NULL;

  (void)state;
  assert_int_equal (cc_dynlib_load (&cc_dynlib_crypto, &err), 0);
  first = cc_dynlib_crypto.handle;
  assert_int_equal (cc_dynlib_load (&cc_dynlib_crypto, &err), 0);
  assert_ptr_equal (cc_dynlib_crypto.handle, first);
  assert_int_equal (cc_dynlib_lookup (&cc_dynlib_crypto, "EVP_sha256", &addr, &err), 0);
  assert_non_null (addr);
  assert_null (err);
}

/* ---- what cannot be loaded ------------------------------------------------- */

static void
test_missing_library (void **state)
{
  struct cc_dynlib lib = CC_DYNLIB_INIT ("libccompose-absent.so.7", "run this test", "ccompose-absent");
  cleanup_error cc_error_t err = NULL;
  void *addr = (void *)&lib;

  (void)state;
  assert_int_equal (cc_dynlib_load (&lib, &err), -1);
  assert_non_null (err);
  assert_non_null (strstr (err->msg, "cannot load libccompose-absent.so.7 (needed to run this test): "));
  assert_non_null (strstr (err->msg, "; install ccompose-absent"));
  assert_null (lib.handle);
  cc_error_release (&err);

  /* A failure is not remembered: installing the package mends the next
     attempt.  The lookup fails the same way and sets nothing.  */
  assert_int_equal (cc_dynlib_lookup (&lib, "anything", &addr, &err), -1);
  assert_non_null (strstr (err->msg, "cannot load libccompose-absent.so.7"));
  assert_null (lib.handle);
}

static void
test_not_a_library (void **state)
{
  char path[] = "/tmp/ccompose-dynlib-XXXXXX";
  cleanup_close int fd = mkstemp (path);
  struct cc_dynlib lib = CC_DYNLIB_INIT (path, "run this test", "nothing");
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_true (fd >= 0);
  assert_int_equal (write (fd, "\177ELF but not really\n", 21), 21);
  assert_int_equal (cc_dynlib_load (&lib, &err), -1);
  assert_non_null (strstr (err->msg, path));
  assert_null (lib.handle);
  unlink (path);
}

static void
test_missing_symbol (void **state)
{
  cleanup_error cc_error_t err = NULL;
  void *addr = (void *)&err;

  (void)state;
  assert_int_equal (cc_dynlib_lookup (&cc_dynlib_crypto, "ccompose_no_such_function", &addr, &err), -1);
  assert_null (addr);
  assert_non_null (strstr (err->msg, "cannot find ccompose_no_such_function in libcrypto.so.3"));
  assert_non_null (strstr (err->msg, "reinstall or upgrade libssl3"));
  /* The library itself stays usable.  */
  assert_non_null (EVP_sha256 ());
}

/* The trampolines have no error path: a missing library or symbol ends
   the process with one line saying what to install.  */
static void
expect_fatal (struct cc_dynlib *lib, const char *name, const char *want)
{
  int pipefd[2];
  struct cc_buf out = { 0 };
  char buf[512];
  ssize_t n;
  int status = 0;
  pid_t pid;

  assert_int_equal (pipe2 (pipefd, O_CLOEXEC), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      static void *cache;
      dup2 (pipefd[1], STDERR_FILENO);
      cc_dynlib_resolve (lib, name, &cache);
      _exit (0);
    }
  close (pipefd[1]);
  while ((n = read (pipefd[0], buf, sizeof (buf))) > 0)
    cc_buf_append (&out, buf, (size_t)n);
  close (pipefd[0]);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 1);
  cc_buf_append (&out, "", 1);
  assert_non_null (strstr (out.data, want));
  assert_int_equal (strncmp (out.data, "ccompose: ", 10), 0);
  cc_buf_reset (&out);
}

static void
test_fatal_messages (void **state)
{
  struct cc_dynlib lib = CC_DYNLIB_INIT ("libccompose-absent.so.7", "pull images", "libccompose-absent7");

  (void)state;
  expect_fatal (&lib, "curl_easy_init", "cannot load libccompose-absent.so.7 (needed to pull images)");
  expect_fatal (&lib, "curl_easy_init", "; install libccompose-absent7\n");
  expect_fatal (&cc_dynlib_crypto, "ccompose_no_such_function",
                "cannot find ccompose_no_such_function in libcrypto.so.3");
}

/* ---- first use from several threads at once ------------------------------ */

#define N_THREADS 8

struct race
{
  struct cc_dynlib *lib;
  pthread_barrier_t *start;
  void *addr;
  int ret;
};

static void *
race_lookup (void *opaque)
{
  struct race *r = opaque;
  cleanup_error cc_error_t err = NULL;

  pthread_barrier_wait (r->start);
  r->ret = cc_dynlib_lookup (r->lib, "EVP_sha256", &r->addr, &err);
  return NULL;
}

static void
test_first_use_from_threads (void **state)
{
  struct cc_dynlib lib = CC_DYNLIB_INIT ("libcrypto.so.3", "run this test", "libssl3");
  pthread_barrier_t start;
  pthread_t threads[N_THREADS];
  struct race races[N_THREADS];
  void *want = NULL;
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (pthread_barrier_init (&start, NULL, N_THREADS), 0);
  for (int i = 0; i < N_THREADS; i++)
    {
      races[i] = (struct race){ .lib = &lib, .start = &start, .ret = 1 };
      assert_int_equal (pthread_create (&threads[i], NULL, race_lookup, &races[i]), 0);
    }
  for (int i = 0; i < N_THREADS; i++)
    assert_int_equal (pthread_join (threads[i], NULL), 0);
  pthread_barrier_destroy (&start);
  assert_int_equal (cc_dynlib_lookup (&cc_dynlib_crypto, "EVP_sha256", &want, &err), 0);
  for (int i = 0; i < N_THREADS; i++)
    {
      assert_int_equal (races[i].ret, 0);
      assert_ptr_equal (races[i].addr, want);
    }
  assert_non_null (lib.handle);
}

/* ---- libcurl: each argument type of curl_easy_setopt ----------------------- */

static size_t
collect (char *data, size_t size, size_t nmemb, void *opaque)
{
  cc_buf_append (opaque, data, size * nmemb);
  return size * nmemb;
}

static void
test_curl_setopt_types (void **state)
{
  char path[] = "/tmp/ccompose-dynlib-XXXXXX";
  cleanup_close int fd = mkstemp (path);
  cleanup_free char *url = xasprintf ("file://%s", path);
  struct cc_buf body = { 0 };
  curl_off_t size = -1;
  CURL *curl;

  (void)state;
  assert_true (fd >= 0);
  assert_int_equal (write (fd, "hello world\n", 12), 12);
  assert_int_equal (curl_global_init (CURL_GLOBAL_DEFAULT), CURLE_OK);
  curl = curl_easy_init ();
  assert_non_null (curl);
  assert_int_equal (curl_easy_setopt (curl, CURLOPT_URL, url), CURLE_OK);               /* object pointer */
  assert_int_equal (curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L), CURLE_OK);           /* long */
  assert_int_equal (curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, collect), CURLE_OK); /* function */
  assert_int_equal (curl_easy_setopt (curl, CURLOPT_WRITEDATA, &body), CURLE_OK);
  assert_int_equal (curl_easy_setopt (curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)6), CURLE_OK); /* off_t */
  assert_int_equal (curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "file"), CURLE_OK);
  assert_int_equal (curl_easy_perform (curl), CURLE_OK);
  assert_int_equal (curl_easy_getinfo (curl, CURLINFO_SIZE_DOWNLOAD_T, &size), CURLE_OK);
  assert_int_equal (size, 6);
  cc_buf_append (&body, "", 1);
  assert_string_equal (body.data, "world\n");
  /* A long the library range-checks: the value must arrive intact.  */
  assert_int_equal (curl_easy_setopt (curl, CURLOPT_MAXREDIRS, -2L), CURLE_BAD_FUNCTION_ARGUMENT);
  curl_easy_cleanup (curl);
  cc_buf_reset (&body);
  unlink (path);
}

static void
test_curl_strings (void **state)
{
  CURL *curl = curl_easy_init ();
  struct curl_slist *list = NULL;
  char *escaped;

  (void)state;
  escaped = curl_easy_escape (curl, "repository:a/b:pull", 0);
  assert_string_equal (escaped, "repository%3Aa%2Fb%3Apull");
  curl_free (escaped);
  list = curl_slist_append (list, "Accept: a");
  list = curl_slist_append (list, "Accept: b");
  assert_string_equal (list->next->data, "Accept: b");
  curl_slist_free_all (list);
  assert_string_equal (curl_easy_strerror (CURLE_OK), "No error");
  curl_easy_cleanup (curl);
}

/* ---- libarchive: archive_set_error's format reaches the library -------------- */

static la_ssize_t
failing_read (struct archive *a, void *opaque, const void **buf)
{
  (void)opaque;
  (void)buf;
  archive_set_error (a, EPROTO, "block %d of `%s` is bad (100%% sure)", 3, "layer");
  return -1;
}

static void
test_archive_set_error (void **state)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *e = NULL;
  int r;

  (void)state;
  archive_read_support_format_tar (a);
  r = archive_read_open (a, NULL, NULL, failing_read, NULL);
  if (r == ARCHIVE_OK)
    r = archive_read_next_header (a, &e);
  assert_int_equal (r, ARCHIVE_FATAL);
  assert_int_equal (archive_errno (a), EPROTO);
  assert_string_equal (archive_error_string (a), "block 3 of `layer` is bad (100% sure)");
  assert_int_equal (archive_read_free (a), ARCHIVE_OK);
}

/* ---- the callers' error paths, in a process without the libraries ------- */

/* Run in a copy of this binary started by test_callers_without_libraries,
   where libcurl and libarchive are /dev/null: the registry client and
   layer extraction report the missing library as an error.  */
static void
test_registry_without_libcurl (void **state)
{
  struct cc_registry_endpoint ep
      = { .host = (char *)"127.0.0.1:9", .base = (char *)"http://127.0.0.1:9", .insecure = true };
  cleanup_error cc_error_t err = NULL;
  struct cc_registry *r = cc_registry_new (&ep, "library/busybox", NULL);
  char *body = NULL, *type = NULL, *digest = NULL;
  size_t len = 0;

  (void)state;
  assert_int_equal (cc_registry_get_manifest (r, "latest", &body, &len, &type, &digest, &err), -1);
  assert_non_null (strstr (err->msg, "cannot load libcurl.so.4 (needed to pull images): "));
  assert_non_null (strstr (err->msg, "; install libcurl4"));
  assert_null (body);
  cc_registry_free (r);
}

static void
test_layer_without_libarchive (void **state)
{
  cleanup_close int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  cleanup_close int dirfd = open ("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_error cc_error_t err = NULL;

  (void)state;
  assert_int_equal (cc_layer_extract (fd, dirfd, 0, NULL, NULL, NULL, NULL, &err), -1);
  assert_non_null (strstr (err->msg, "cannot load libarchive.so.13 (needed to unpack image layers): "));
  assert_non_null (strstr (err->msg, "; install libarchive13"));
}

static int
run_without_libraries (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_registry_without_libcurl),
    cmocka_unit_test (test_layer_without_libarchive),
  };

  return cmocka_run_group_tests_name ("without libcurl and libarchive", tests, NULL, NULL);
}

/* Where the dynamic loader finds the libraries, on Debian and elsewhere.  */
static const char *const lib_dirs[]
    = { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib" };
static const char *const hidden[] = { "libcurl.so.4", "libarchive.so.13" };

/* In a private mount namespace, /dev/null over each copy of the
   libraries: nothing reaches the host's mounts, and the namespace ends
   with the process.  */
static int
hide_libraries (void)
{
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return -1;
  for (size_t d = 0; d < CC_N_ELEMENTS (lib_dirs); d++)
    for (size_t l = 0; l < CC_N_ELEMENTS (hidden); l++)
      {
        cleanup_free char *path = xasprintf ("%s/%s", lib_dirs[d], hidden[l]);
        if (access (path, F_OK) == 0 && mount ("/dev/null", path, NULL, MS_BIND, NULL) < 0)
          _exit (100);
      }
  return 0;
}

static void
test_callers_without_libraries (void **state)
{
  int status = 0;
  int ready[2];
  char why = 0;
  pid_t pid;

  (void)state;
  assert_int_equal (pipe2 (ready, O_CLOEXEC), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      /* A fresh process image: this one has the libraries mapped already.  */
      if (hide_libraries () < 0)
        {
          why = 's';
          (void)! write (ready[1], &why, 1);
          _exit (0);
        }
      execl ("/proc/self/exe", "test-dynlib", "--without-libraries", (char *)NULL);
      _exit (101);
    }
  close (ready[1]);
  if (read (ready[0], &why, 1) != 1)
    why = 0;
  close (ready[0]);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  if (why == 's')
    skip (); /* no private mount namespace without privileges */
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_first_use_from_threads),
    cmocka_unit_test (test_crypto_digest),
    cmocka_unit_test (test_crypto_streaming_and_base64),
    cmocka_unit_test (test_load_twice_same_handle),
    cmocka_unit_test (test_missing_library),
    cmocka_unit_test (test_not_a_library),
    cmocka_unit_test (test_missing_symbol),
    cmocka_unit_test (test_fatal_messages),
    cmocka_unit_test (test_curl_setopt_types),
    cmocka_unit_test (test_curl_strings),
    cmocka_unit_test (test_archive_set_error),
    cmocka_unit_test (test_callers_without_libraries),
  };

  if (argc == 2 && strcmp (argv[1], "--without-libraries") == 0)
    return run_without_libraries ();
  return cmocka_run_group_tests (tests, NULL, NULL);
}
