/* The image store's part of the residue check: what an image command
   killed halfway left under the store's tmp/ (a blob being downloaded or
   copied, an archive being unpacked).  Store writes are renamed into
   place only when whole, so nothing else can be half made.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/finding.h"
#include "lib/paths.h"
#include "lib/xalloc.h"

void
cc_image_residue (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors)
{
  cleanup_free char *store = cc_paths_image_store ();
  cleanup_free char *lock = cc_path_join (store, "lock");
  cleanup_free char *tmp = cc_path_join (store, "tmp");
  cleanup_close int fd = open (lock, O_RDONLY | O_CLOEXEC);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  cc_error_t e = NULL;

  /* Every command that writes there holds the store's lock: while one
     does, what is under tmp/ is its work, not residue.  */
  if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) < 0 || (d = opendir (tmp)) == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL;

      if (de->d_name[0] == '.')
        continue;
      path = cc_path_join (tmp, de->d_name);
      cc_findings_add (out, "image", true, xstrdup (path), xstrdup ("temporary file of an interrupted image command"));
      if (s->fix && cc_rm_rf (path, &e) < 0)
        cc_error_append (errors, &e);
    }
}
