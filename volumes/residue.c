/* What volumes/ leaves on the host: driver mounts on volumes' _data and
   the records of which container uses which volume.  A volume itself is
   data, never residue: only `volume rm`, `volume prune` and `down -v`
   remove one.  */
#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/finding.h"
#include "lib/json.h"
#include "lib/mountinfo.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "volumes/internal.h"

static bool
is_strictly_under (const char *path, const char *dir)
{
  size_t n = strlen (dir);
  return strncmp (path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

bool
cc_volumes_owns_mount (const char *mount_point)
{
  cleanup_free char *dir = cc_vol_dir ();

  return is_strictly_under (mount_point, dir);
}

/* Users no live project knows: a container whose `down` never came (its
   state root was wiped, a crash between record and create).  */
static void
check_users (cJSON *rec, const char *name, bool fix, char *const *live, struct cc_findings *found, bool *changed)
{
  cJSON *users = cJSON_GetObjectItemCaseSensitive (rec, "users"), *next;

  for (cJSON *u = live && users ? users->child : NULL; u; u = next)
    {
      next = u->next;
      if (! cJSON_IsString (u) || cc_strv_contains (live, u->valuestring))
        continue;
      cc_findings_add (found, "volume", true, xasprintf ("volume %s", name),
                       xasprintf ("used by container %s, which no live project has", u->valuestring));
      if (fix)
        {
          cJSON_Delete (cJSON_DetachItemViaPointer (users, u));
          *changed = true;
        }
    }
}

/* A driver mount with no user left (or a record of one being made).  */
static int
check_mount (cJSON *rec, const char *name, bool fix, struct cc_findings *found, cc_error_t *err)
{
  const cJSON *users = cJSON_GetObjectItemCaseSensitive (rec, "users");
  cleanup_free char *dir = cc_volume_path (name);
  cleanup_free char *data = cc_path_join (dir, "_data");
  bool mounted = cc_vol_is_mount_point (data);

  if ((users && users->child) || (! mounted && ! cJSON_HasObjectItem (rec, "mount")))
    return 0;
  if (mounted)
    cc_findings_add (found, "volume", true, xasprintf ("volume %s", name),
                     xasprintf ("mount %s, which no container uses", data));
  if (fix && cc_vol_driver_unmount (name, rec, err) < 0)
    return -1;
  return 0;
}

/* Mounts below the volumes' directory that are no volume's driver mount
   (a volume removed by hand while mounted).  */
static int
check_stray_mounts (bool fix, struct cc_findings *found, cc_error_t *err)
{
  cleanup_free char *dir = cc_vol_dir ();
  char *roots[] = { dir, NULL };
  cleanup_strv char **mounts = NULL;

  if (cc_mountinfo_under (roots, &mounts, err) < 0)
    return -1;
  for (char **m = mounts; *m; m++)
    {
      const char *rest = *m + strlen (dir) + 1;
      cleanup_free char *name = xstrndup (rest, strcspn (rest, "/"));
      cleanup_free char *vol = cc_volume_path (name);
      cleanup_free char *data = cc_path_join (vol, "_data");
      if (strcmp (*m, data) == 0 && cc_volume_exists (name))
        continue;
      cc_findings_add (found, "volume", true, xstrdup (*m), xstrdup ("a mount of no volume"));
      if (fix && umount2 (*m, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return cc_error_make (err, errno, "unmount `%s`", *m);
    }
  return 0;
}

void
cc_volumes_residue (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors)
{
  cleanup_strv char **names = cc_vol_names ();
  cleanup_close int lock = -1;
  cc_error_t one = NULL;

  /* Only a fix writes: a look at another root (--all) takes no lock
     there (the records are written atomically).  */
  if (s->fix && *names && cc_vol_lock (&lock, &one) < 0)
    {
      cc_error_append (errors, &one);
      return;
    }
  for (char **n = names; *n; n++)
    {
      cleanup_cjson cJSON *rec = NULL;
      bool changed = false;
      if (cc_vol_record_load (*n, &rec, &one) < 0)
        {
          cc_error_append (errors, &one);
          continue;
        }
      check_users (rec, *n, s->fix, s->claimed, out, &changed);
      if ((changed && cc_vol_record_save (*n, rec, &one) < 0) || check_mount (rec, *n, s->fix, out, &one) < 0)
        cc_error_append (errors, &one);
    }
  if (check_stray_mounts (s->fix, out, &one) < 0)
    cc_error_append (errors, &one);
}
