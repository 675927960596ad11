/* The mounts of one container, in the runtime's terms: binds and tmpfs
   as asked, anonymous volumes in the container's own directory, named
   volumes recorded as used by the container, mounted by their driver at
   their first use and filled from the image while empty.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "volumes/internal.h"

static void
add_spec (struct cc_vmount_spec **out, size_t *n, const char *type, const char *source, const char *target,
          char **options)
{
  struct cc_vmount_spec *s;

  *out = xreallocarray (*out, *n + 1, sizeof (**out));
  s = &(*out)[(*n)++];
  s->type = xstrdup (type);
  s->source = source ? xstrdup (source) : NULL;
  s->target = xstrdup (target);
  s->options = options;
}

void
cc_vmount_specs_free (struct cc_vmount_spec *s, size_t n)
{
  for (size_t i = 0; s && i < n; i++)
    {
      free (s[i].type);
      free (s[i].source);
      free (s[i].target);
      cc_strv_free (s[i].options);
    }
  free (s);
}

static bool
has_user (const cJSON *users, const char *container)
{
  for (const cJSON *u = users ? users->child : NULL; u; u = u->next)
    if (cJSON_IsString (u) && strcmp (u->valuestring, container) == 0)
      return true;
  return false;
}

/* Under the lock: CONTAINER recorded as a user before the driver mounts
   anything, so that a crash leaves the use for `down` to undo.  */
static int
use_volume (const char *name, const char *container, const struct cc_vmount *m, char *const *layers, cc_error_t *err)
{
  cleanup_close int lock = -1;
  cleanup_cjson cJSON *rec = NULL;
  cJSON *users;

  /* A volume someone removed meanwhile is made again, as it was made
     before the record of its users existed.  */
  if (! cc_volume_exists (name) && cc_volume_create (&(struct cc_volume_spec){ .name = name }, NULL, err) < 0)
    return -1;
  if (cc_vol_lock (&lock, err) < 0 || cc_vol_record_load (name, &rec, err) < 0)
    return -1;
  users = cJSON_GetObjectItemCaseSensitive (rec, "users");
  if (! has_user (users, container))
    {
      cJSON_AddItemToArray (users, cJSON_CreateString (container));
      if (cc_vol_record_save (name, rec, err) < 0)
        return -1;
    }
  if (cc_vol_driver_mount (name, rec, err) < 0)
    return -1;
  /* The image's content at the target belongs at the volume's top, not
     in one directory of it.  */
  if (! m->nocopy && ! m->subpath && cc_volume_copy_up (name, layers, m->target, err) < 0)
    return -1;
  return 0;
}

static const char *const tmpfs_defaults[] = { "nosuid", "nodev", "noexec" };

static int
attach_one (const char *container, const char *container_dir, const struct cc_vmount *m, int index, char *const *layers,
            struct cc_vmount_spec **out, size_t *n, cc_error_t *err)
{
  cleanup_strv char **opts = xzalloc (sizeof (char *));
  cleanup_free char *path = NULL, *data = NULL;

  if (m->read_only)
    cc_strv_append (&opts, "ro");
  switch (m->type)
    {
    case CC_VMOUNT_TMPFS:
      /* Docker's defaults for every tmpfs of a container, first so that
         the service's own options (`exec`, `dev`...) override them.  */
      for (size_t i = 0; i < CC_N_ELEMENTS (tmpfs_defaults); i++)
        cc_strv_append (&opts, tmpfs_defaults[i]);
      if (m->tmpfs_size > 0)
        cc_strv_push (&opts, xasprintf ("size=%lld", (long long)m->tmpfs_size));
      if (m->has_tmpfs_mode)
        cc_strv_push (&opts, xasprintf ("mode=%o", (unsigned)m->tmpfs_mode));
      for (char *const *o = m->options; o && *o; o++)
        cc_strv_append (&opts, *o);
      add_spec (out, n, "tmpfs", NULL, m->target, steal_pointer (&opts));
      return 0;
    case CC_VMOUNT_BIND:
      if (m->create_host_path)
        cc_strv_append (&opts, "create_host_path");
      if (m->propagation)
        cc_strv_append (&opts, m->propagation);
      /* Docker's bind recursive: disabled leaves the source's submounts
         out, writable makes only the top mount read-only.  */
      if (m->recursive && strcmp (m->recursive, "disabled") == 0)
        cc_strv_append (&opts, "norbind");
      if (m->recursive && strcmp (m->recursive, "writable") == 0)
        cc_strv_append (&opts, "ro-top");
      add_spec (out, n, "bind", m->source, m->target, steal_pointer (&opts));
      return 0;
    case CC_VMOUNT_VOLUME:
    default:
      break;
    }
  if (m->subpath)
    cc_strv_push (&opts, xasprintf ("subpath=%s", m->subpath));
  /* An anonymous volume lives as long as the container.  */
  if (m->source == NULL)
    path = xasprintf ("%s/anon-%d", container_dir, index);
  else if (use_volume (m->source, container, m, layers, err) < 0)
    return -1;
  else
    path = cc_volume_path (m->source);
  data = cc_path_join (path, "_data");
  if (cc_mkdir_p (data, 0755, err) < 0)
    return -1;
  /* Docker fills an anonymous volume from the image too.  */
  if (m->source == NULL && ! m->nocopy && cc_volume_copy_up_into (data, m->target, layers, m->target, err) < 0)
    return -1;
  add_spec (out, n, "bind", data, m->target, steal_pointer (&opts));
  return 0;
}

int
cc_volumes_attach (const char *container, const char *container_dir, const struct cc_vmount *m, size_t n,
                   char *const *layers, struct cc_vmount_spec **out, size_t *n_out, cc_error_t *err)
{
  struct cc_vmount_spec *specs = NULL;
  size_t k = 0;

  for (size_t i = 0; i < n; i++)
    if (attach_one (container, container_dir, &m[i], (int)i, layers, &specs, &k, err) < 0)
      {
        cc_vmount_specs_free (specs, k);
        return cc_error_wrap (err, "volume `%s`", m[i].target);
      }
  *out = specs;
  *n_out = k;
  return 0;
}

/* Drop CONTAINER from NAME's users; the last one gone, the driver's mount
   goes too.  Under the lock.  */
static int
release_volume (const char *name, const char *container, cc_error_t *err)
{
  cleanup_cjson cJSON *rec = NULL;
  cJSON *users, *next;
  bool changed = false;
  cc_error_t e = NULL;

  if (cc_vol_record_load (name, &rec, &e) < 0)
    {
      /* Removed meanwhile: nothing to release.  */
      if (e->status != ENOENT)
        {
          *err = e;
          return -1;
        }
      cc_error_release (&e);
      return 0;
    }
  users = cJSON_GetObjectItemCaseSensitive (rec, "users");
  for (cJSON *u = users->child; u; u = next)
    {
      next = u->next;
      if (cJSON_IsString (u) && strcmp (u->valuestring, container) == 0)
        {
          cJSON_Delete (cJSON_DetachItemViaPointer (users, u));
          changed = true;
        }
    }
  if (! changed)
    return 0;
  if (cc_vol_record_save (name, rec, err) < 0)
    return -1;
  return users->child ? 0 : cc_vol_driver_unmount (name, rec, err);
}

int
cc_volumes_detach (const char *container, cc_error_t *err)
{
  cleanup_strv char **names = cc_vol_names ();
  cleanup_close int lock = -1;
  cc_error_t list = NULL, one = NULL;

  /* Most projects have no named volume: no lock to take then.  */
  if (*names == NULL)
    return 0;
  if (cc_vol_lock (&lock, err) < 0)
    return -1;
  for (char **n = names; *n; n++)
    if (release_volume (*n, container, &one) < 0)
      cc_error_append (&list, &one);
  if (list == NULL)
    return 0;
  *err = list;
  return -1;
}
