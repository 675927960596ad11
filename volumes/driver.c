/* The `local` driver's options, as Docker's volume/local reads them:
   `type`, `device` and `o` make the volume a mount of that filesystem on
   its _data (`type: none, o: bind, device: PATH` a bind of a host path,
   `type: tmpfs`, `type: nfs, o: addr=...`), made with mount(2) at the
   volume's first use and undone when its last user goes.  */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/mountinfo.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "volumes/internal.h"

/* The keys Docker's local driver takes, and what each needs beside it.
   `size` is a quota of Docker's on xfs: refused as Docker refuses it
   where there is no quota support.  */
static const struct
{
  const char *key;
  const char *needs[2];
} option_keys[] = {
  { "type", { "device", NULL } },
  { "device", { "type", NULL } },
  { "o", { "device", "type" } },
};

static int
check_key (const cJSON *options, const cJSON *opt, cc_error_t *err)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (option_keys); i++)
    {
      if (strcmp (opt->string, option_keys[i].key) != 0)
        continue;
      for (size_t k = 0; k < 2 && option_keys[i].needs[k]; k++)
        if (! cJSON_HasObjectItem (options, option_keys[i].needs[k]))
          return cc_error_make (err, EINVAL, "missing required option: \"%s\"", option_keys[i].needs[k]);
      return 0;
    }
  if (strcmp (opt->string, "size") == 0)
    return cc_error_make (err, ENOTSUP, "quota size requested but no quota support");
  return cc_error_make (err, EINVAL, "invalid option: \"%s\" (type, o, device)", opt->string);
}

int
cc_vol_check_options (const char *driver, const cJSON *options, cc_error_t *err)
{
  if (strcmp (driver, "local") != 0)
    return cc_error_make (err, ENOTSUP, "volume driver `%s` is not supported (local)", driver);
  for (const cJSON *o = cJSON_IsObject (options) ? options->child : NULL; o; o = o->next)
    if (check_key (options, o, err) < 0)
      return -1;
  return 0;
}

bool
cc_vol_needs_mount (const cJSON *options)
{
  return cc_json_get_string (options, "type") || cc_json_get_string (options, "device");
}

/* ---- `o`: flags for mount(2), the rest its data -------------------------------- */

/* moby/sys/mount's flag words.  */
static const struct
{
  const char *name;
  unsigned long set, clear;
} flag_words[] = {
  { "defaults", 0, 0 },
  { "ro", MS_RDONLY, 0 },
  { "rw", 0, MS_RDONLY },
  { "suid", 0, MS_NOSUID },
  { "nosuid", MS_NOSUID, 0 },
  { "dev", 0, MS_NODEV },
  { "nodev", MS_NODEV, 0 },
  { "exec", 0, MS_NOEXEC },
  { "noexec", MS_NOEXEC, 0 },
  { "sync", MS_SYNCHRONOUS, 0 },
  { "async", 0, MS_SYNCHRONOUS },
  { "dirsync", MS_DIRSYNC, 0 },
  { "atime", 0, MS_NOATIME },
  { "noatime", MS_NOATIME, 0 },
  { "diratime", 0, MS_NODIRATIME },
  { "nodiratime", MS_NODIRATIME, 0 },
  { "relatime", MS_RELATIME, 0 },
  { "norelatime", 0, MS_RELATIME },
  { "strictatime", MS_STRICTATIME, 0 },
  { "nostrictatime", 0, MS_STRICTATIME },
  { "bind", MS_BIND, 0 },
  { "rbind", MS_BIND | MS_REC, 0 },
};

/* O's flags into *FLAGS; what mount(2) does not know as a flag is its
   data, returned.  */
static char *
parse_o (const char *o, unsigned long *flags)
{
  cleanup_strv char **words = cc_strv_split (o ? o : "", ',', true);
  struct cc_buf data = { 0 };

  *flags = 0;
  for (char **w = words; *w; w++)
    {
      size_t i;
      for (i = 0; i < CC_N_ELEMENTS (flag_words); i++)
        if (strcmp (*w, flag_words[i].name) == 0)
          break;
      if (i < CC_N_ELEMENTS (flag_words))
        *flags = (*flags | flag_words[i].set) & ~flag_words[i].clear;
      else
        cc_buf_printf (&data, "%s%s", data.len ? "," : "", *w);
    }
  return data.len ? cc_buf_steal (&data) : NULL;
}

/* nfs and cifs: the kernel wants `addr=` as an address, not a host
   name (Docker resolves it the same way).  */
static int
resolve_addr (char **data, cc_error_t *err)
{
  char *at = *data ? strstr (*data, "addr=") : NULL;
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
  cleanup_free char *host = NULL;
  unsigned char addr[16];
  char text[INET6_ADDRSTRLEN];
  char *joined;
  int rc;

  if (at == NULL || (at != *data && at[-1] != ','))
    return 0;
  host = xstrndup (at + 5, strcspn (at + 5, ","));
  if (inet_pton (AF_INET, host, addr) == 1 || inet_pton (AF_INET6, host, addr) == 1)
    return 0;
  if ((rc = getaddrinfo (host, NULL, &hints, &res)) != 0)
    return cc_error_make (err, EHOSTUNREACH, "resolve the volume's address `%s`: %s", host, gai_strerror (rc));
  if (res->ai_family == AF_INET)
    inet_ntop (AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, text, sizeof (text));
  else
    inet_ntop (AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, text, sizeof (text));
  freeaddrinfo (res);
  joined = xasprintf ("%.*saddr=%s%s", (int)(at - *data), *data, text, at + 5 + strlen (host));
  free (*data);
  *data = joined;
  return 0;
}

/* ---- mount points --------------------------------------------------------------- */

bool
cc_vol_is_mount_point (const char *path)
{
  cleanup_free char *parent = cc_path_dirname (path);
  char *roots[] = { parent, NULL };
  cleanup_strv char **mounts = NULL;

  if (cc_mountinfo_under (roots, &mounts, NULL) < 0)
    return false;
  return cc_strv_contains (mounts, path);
}

static char *
data_dir (const char *name)
{
  cleanup_free char *dir = cc_volume_path (name);
  return cc_path_join (dir, "_data");
}

static void
set_mount_state (cJSON *rec, const char *state)
{
  cJSON *m = cJSON_CreateObject ();

  cc_json_set_string (m, "state", state);
  cc_json_set (rec, "mount", m);
}

/* A bind takes no flag but MS_BIND (and MS_REC) on the first call: the
   others need a remount of the bind, as mount(8) does it.  */
static int
mount_bind (const char *device, const char *target, unsigned long flags)
{
  unsigned long rest = flags & ~(MS_BIND | MS_REC);

  if (mount (device, target, NULL, flags & (MS_BIND | MS_REC), NULL) < 0)
    return -1;
  if (rest && mount (NULL, target, NULL, MS_REMOUNT | MS_BIND | rest, NULL) < 0)
    {
      int saved = errno;
      umount2 (target, MNT_DETACH);
      errno = saved;
      return -1;
    }
  return 0;
}

/* The options for messages: a cifs password stays out of them.  */
static char *
shown_options (const char *o)
{
  const char *pw = o ? strstr (o, "password=") : NULL;

  if (pw == NULL)
    return xstrdup (o ? o : "");
  return xasprintf ("%.*spassword=********%s", (int)(pw - o), o, pw + 9 + strcspn (pw + 9, ","));
}

static int
do_mount (const char *name, const cJSON *options, const char *target, cc_error_t *err)
{
  const char *type = cc_json_get_string (options, "type"), *device = cc_json_get_string (options, "device");
  const char *o = cc_json_get_string (options, "o");
  cleanup_free char *data = NULL, *shown = NULL;
  unsigned long flags;
  int rc;

  if (device == NULL || *device == '\0')
    return cc_error_make (err, EINVAL, "volume `%s`: missing device in volume options", name);
  data = parse_o (o, &flags);
  if (resolve_addr (&data, err) < 0)
    return cc_error_wrap (err, "volume `%s`", name);
  if (flags & MS_BIND)
    rc = mount_bind (device, target, flags);
  else
    rc = mount (device, target, type && strcmp (type, "none") != 0 ? type : NULL, flags, data);
  if (rc == 0)
    return 0;
  shown = shown_options (o);
  return cc_error_make (err, errno, "mount volume `%s` (type=%s, device=%s, o=%s)", name, type ? type : "", device,
                        shown);
}

int
cc_vol_driver_mount (const char *name, cJSON *rec, cc_error_t *err)
{
  const cJSON *options = cJSON_GetObjectItemCaseSensitive (rec, "Options");
  cleanup_free char *target = data_dir (name);

  if (! cc_vol_needs_mount (options))
    return 0;
  if (cc_vol_is_mount_point (target))
    {
      set_mount_state (rec, "mounted");
      return cc_vol_record_save (name, rec, err);
    }
  /* Recorded first: a crash after mount(2) leaves a record to undo it.  */
  set_mount_state (rec, "mounting");
  if (cc_mkdir_p (target, 0755, err) < 0 || cc_vol_record_save (name, rec, err) < 0)
    return -1;
  cc_crash_point ("volume mount recorded");
  if (do_mount (name, options, target, err) < 0)
    {
      cJSON_DeleteItemFromObjectCaseSensitive (rec, "mount");
      cc_vol_record_save (name, rec, NULL);
      return -1;
    }
  cc_crash_point ("volume mounted");
  set_mount_state (rec, "mounted");
  return cc_vol_record_save (name, rec, err);
}

int
cc_vol_driver_unmount (const char *name, cJSON *rec, cc_error_t *err)
{
  cleanup_free char *target = data_dir (name);

  if (! cJSON_HasObjectItem (rec, "mount") && ! cc_vol_needs_mount (cJSON_GetObjectItemCaseSensitive (rec, "Options")))
    return 0;
  /* A busy filesystem (a process of the host in it) is detached: the
     volume is no longer reachable through ccompose either way.  */
  if (cc_vol_is_mount_point (target) && umount2 (target, 0) < 0 && umount2 (target, MNT_DETACH) < 0 && errno != EINVAL
      && errno != ENOENT)
    return cc_error_make (err, errno, "unmount volume `%s`", name);
  if (! cJSON_HasObjectItem (rec, "mount"))
    return 0;
  cJSON_DeleteItemFromObjectCaseSensitive (rec, "mount");
  return cc_vol_record_save (name, rec, err);
}
