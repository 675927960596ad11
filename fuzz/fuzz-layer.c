/* Layer extraction: an untrusted tar stream (plain, gzip or zstd) into a
   scratch directory.  Beside the scratch root sits a canary directory;
   whatever the input, nothing may appear next to them or change the
   canary (a write through `..`, a symlink or a hard link would).  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz/fuzz.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"

#define CANARY_TEXT "canary\n"

static char *base, *root, *canary_dir, *canary;

static void
setup_scratch (void)
{
  const char *tmp = getenv ("TMPDIR");
  cleanup_error cc_error_t err = NULL;

  base = xasprintf ("%s/cc-fuzz-layer-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp (base) == NULL)
    abort ();
  root = cc_path_join (base, "root");
  canary_dir = cc_path_join (base, "outside");
  canary = cc_path_join (canary_dir, "canary");
  if (mkdir (canary_dir, 0755) < 0 || cc_write_file_atomic (canary, CANARY_TEXT, strlen (CANARY_TEXT), 0644, &err) < 0)
    abort ();
}

static void
remove_scratch (void)
{
  cleanup_error cc_error_t err = NULL;

  if (base)
    cc_rm_rf (base, &err);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  cc_log_threshold = CC_LOG_FATAL;
  setup_scratch ();
  atexit (remove_scratch);
  return 0;
}

/* Only `root` and `outside` may exist in BASE, and the canary is intact.  */
static void
check_no_escape (void)
{
  cleanup_dir DIR *d = opendir (base);
  cleanup_free char *text = NULL;
  cleanup_error cc_error_t err = NULL;
  struct dirent *de;

  if (d == NULL)
    abort ();
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (strcmp (de->d_name, "root") != 0 && strcmp (de->d_name, "outside") != 0)
        {
          fprintf (stderr, "layer extraction escaped: `%s/%s` created\n", base, de->d_name);
          abort ();
        }
    }
  if (cc_read_file (canary, &text, NULL, &err) < 0 || strcmp (text, CANARY_TEXT) != 0)
    {
      fprintf (stderr, "layer extraction escaped: canary `%s` changed\n", canary);
      abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_error cc_error_t rm_err = NULL;
  cleanup_close int fd = -1;
  cleanup_close int dirfd = -1;
  cleanup_free char *diff_id = NULL;
  int64_t written = 0;

  if (size > CC_FUZZ_MAX_INPUT)
    return -1;
  fd = memfd_create ("layer", MFD_CLOEXEC);
  if (fd < 0 || cc_write_all (fd, data, size) < 0 || lseek (fd, 0, SEEK_SET) < 0)
    abort ();
  if (mkdir (root, 0755) < 0 || (dirfd = open (root, O_DIRECTORY | O_CLOEXEC)) < 0)
    abort ();
  cc_layer_extract (fd, dirfd, CC_LAYER_ROOTFS, NULL, NULL, &diff_id, &written, &err);
  check_no_escape ();
  if (cc_rm_rf (root, &rm_err) < 0)
    abort ();
  return 0;
}
