/* The fuzz targets without libFuzzer: run LLVMFuzzerTestOneInput on every
   file named on the command line (directories: every file inside), so
   `make check` replays the committed corpora and past crashes quickly
   with the ordinary sanitizer build.  */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"

__attribute__ ((weak)) int LLVMFuzzerInitialize (int *argc, char ***argv);

static int
replay_file (const char *path)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *data = NULL;
  cleanup_free uint8_t *exact = NULL;
  size_t len = 0;

  if (cc_read_file (path, &data, &len, &err) < 0)
    {
      fprintf (stderr, "replay: %s\n", err->msg);
      return -1;
    }
  /* An exact-size copy, as libFuzzer passes it: a read past the end
     trips ASan here too.  */
  exact = xmalloc (len ? len : 1);
  memcpy (exact, data, len);
  LLVMFuzzerTestOneInput (exact, len);
  return 0;
}

static int
replay_dir (const char *dir, size_t *count)
{
  struct dirent **names = NULL;
  int n = scandir (dir, &names, NULL, alphasort);
  int ret = 0;

  if (n < 0)
    {
      perror (dir);
      return -1;
    }
  for (int i = 0; i < n; i++)
    {
      cleanup_free char *path = cc_path_join (dir, names[i]->d_name);

      if (names[i]->d_name[0] != '.' && ! cc_is_dir (path))
        {
          if (replay_file (path) < 0)
            ret = -1;
          (*count)++;
        }
      free (names[i]);
    }
  free (names);
  return ret;
}

int
main (int argc, char **argv)
{
  size_t count = 0;
  int ret = 0;

  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++)
    {
      if (cc_is_dir (argv[i]) ? replay_dir (argv[i], &count) < 0 : replay_file (argv[i]) < 0)
        ret = 1;
      if (! cc_is_dir (argv[i]))
        count++;
    }
  printf ("%s: replayed %zu inputs\n", argv[0], count);
  return ret;
}
