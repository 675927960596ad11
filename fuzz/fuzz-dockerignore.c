/* A .dockerignore, then each of its lines (and a few fixed paths) as a
   path to match, from the root down as the context walker does, and as
   a pattern of Go's filepath.Match.  */
#include <stdlib.h>
#include <string.h>

#include "builder/builder.h"
#include "fuzz/fuzz.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

CC_FUZZ_QUIET_INIT

static void
try_path (const struct cc_dockerignore *ig, const char *path)
{
  bool excluded;
  bool m;

  cc_dockerignore_excludes (ig, path, &excluded, NULL);
  cc_dockerignore_can_skip_dir (ig, path);
  cc_builder_path_match (path, "dir/file.txt", &m, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const paths[] = { "a", "dir/file.txt", "node_modules/x/y", ".git/HEAD", "a/b/c/d.md" };
  cleanup_dockerignore struct cc_dockerignore *ig = NULL;
  cleanup_free char *text = NULL;
  char *line;

  if (size > CC_FUZZ_MAX_INPUT)
    return -1;
  text = xmalloc (size + 1);
  memcpy (text, data, size);
  text[size] = '\0';
  if (cc_dockerignore_parse (".dockerignore", (const char *)data, size, &ig, NULL) < 0)
    return 0;
  for (size_t i = 0; i < CC_N_ELEMENTS (paths); i++)
    try_path (ig, paths[i]);
  line = text;
  for (int i = 0; i < 64 && line && *line; i++)
    {
      char *nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      try_path (ig, line);
      line = nl ? nl + 1 : NULL;
    }
  return 0;
}
