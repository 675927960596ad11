/* Named volumes: a directory each under cc_data_dir()/volumes, its data
   in _data as Docker lays it out, and a record (volumes/volumes.h).  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "volumes/internal.h"

#define RECORD "volume.json"

/* The keys of the record that `docker volume inspect` shows, in its order.  */
static const char *const inspect_keys[] = { "CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope" };

bool
cc_volume_name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0' || strlen (name) > 255)
    return false;
  /* Docker: [a-zA-Z0-9][a-zA-Z0-9_.-]*; a leading dot would also hide
     the lock and temporary files of this directory.  */
  for (const char *c = name; *c; c++)
    if (! ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
           || (c > name && (*c == '-' || *c == '_' || *c == '.'))))
      return false;
  return true;
}

char *
cc_vol_dir (void)
{
  return cc_paths_volumes_dir ();
}

char *
cc_volume_path (const char *name)
{
  return cc_paths_volume (name);
}

bool
cc_volume_exists (const char *name)
{
  cleanup_free char *path = cc_volume_name_is_valid (name) ? cc_volume_path (name) : NULL;
  struct stat st;

  return path && stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

int
cc_vol_lock (int *fd, cc_error_t *err)
{
  cleanup_free char *dir = cc_vol_dir ();
  cleanup_free char *path = cc_path_join (dir, ".lock");

  if (cc_mkdir_p (dir, 0700, err) < 0)
    return -1;
  return cc_lock_path (path, true, fd, err);
}

static char *
now_rfc3339 (time_t t)
{
  struct tm tm;
  char buf[64];

  gmtime_r (&t, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return xstrdup (buf);
}

static cJSON *
default_record (const char *name, time_t created)
{
  cJSON *rec = cJSON_CreateObject ();
  cleanup_free char *when = now_rfc3339 (created);

  cc_json_set_string (rec, "CreatedAt", when);
  cc_json_set_string (rec, "Driver", "local");
  cc_json_set (rec, "Labels", cJSON_CreateNull ());
  cc_json_set_string (rec, "Name", name);
  cc_json_set (rec, "Options", cJSON_CreateNull ());
  cc_json_set_string (rec, "Scope", "local");
  cc_json_set (rec, "users", cJSON_CreateArray ());
  return rec;
}

int
cc_vol_record_load (const char *name, cJSON **out, cc_error_t *err)
{
  cleanup_free char *dir = cc_volume_name_is_valid (name) ? cc_volume_path (name) : NULL;
  cleanup_free char *path = dir ? cc_path_join (dir, RECORD) : NULL;
  struct stat st;

  if (dir == NULL)
    return cc_error_make (err, EINVAL, "invalid volume name `%s`", name ? name : "");
  if (stat (dir, &st) < 0 || ! S_ISDIR (st.st_mode))
    return cc_error_make (err, ENOENT, "no such volume: %s", name);
  if (! cc_file_exists (path))
    {
      *out = default_record (name, st.st_ctime);
      return 0;
    }
  if (cc_json_load_file (path, out, err) < 0)
    return cc_error_wrap (err, "volume `%s`", name);
  if (! cJSON_IsArray (cJSON_GetObjectItemCaseSensitive (*out, "users")))
    cc_json_set (*out, "users", cJSON_CreateArray ());
  return 0;
}

int
cc_vol_record_save (const char *name, const cJSON *rec, cc_error_t *err)
{
  cleanup_free char *dir = cc_volume_path (name);
  cleanup_free char *path = cc_path_join (dir, RECORD);

  return cc_json_save_file (path, rec, err);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

char **
cc_vol_names (void)
{
  cleanup_free char *dir = cc_vol_dir ();
  cleanup_dir DIR *d = opendir (dir);
  struct cc_strv_builder b = { 0 };
  struct dirent *de;
  char **v;

  while (d && (de = readdir (d)) != NULL)
    if (cc_volume_name_is_valid (de->d_name) && cc_volume_exists (de->d_name))
      cc_strv_builder_append (&b, de->d_name);
  v = cc_strv_builder_steal (&b);
  qsort (v, cc_strv_len (v), sizeof (char *), compare_names);
  return v;
}

/* KEY=VALUE pairs as a JSON object sorted by key, or null when there
   are none, as Docker prints them (a later KEY wins).  */
static cJSON *
pairs_json (char *const *kv)
{
  cJSON *o;

  if (kv == NULL || *kv == NULL)
    return cJSON_CreateNull ();
  o = cJSON_CreateObject ();
  for (char *const *it = kv; *it; it++)
    {
      cleanup_free char *key = xstrndup (*it, strcspn (*it, "="));
      const char *eq = strchr (*it, '=');
      cc_json_set_string (o, key, eq ? eq + 1 : "");
    }
  cc_json_sort_keys (o);
  return o;
}

int
cc_volume_check (const struct cc_volume_spec *spec, cc_error_t *err)
{
  cleanup_cjson cJSON *options = pairs_json (spec->options);

  return cc_vol_check_options (spec->driver ? spec->driver : "local", options, err);
}

/* Recorded before the directory exists: a crash between the two leaves a
   record a later create completes, never a directory without one.  */
int
cc_volume_create (const struct cc_volume_spec *spec, bool *created, cc_error_t *err)
{
  cleanup_close int lock = -1;
  cleanup_cjson cJSON *rec = NULL;
  cleanup_free char *dir = NULL, *data = NULL;
  const char *driver = spec->driver ? spec->driver : "local";

  if (created)
    *created = false;
  if (! cc_volume_name_is_valid (spec->name))
    return cc_error_make (err, EINVAL, "invalid volume name `%s` ([a-zA-Z0-9][a-zA-Z0-9_.-]*)",
                          spec->name ? spec->name : "");
  rec = default_record (spec->name, time (NULL));
  cc_json_set_string (rec, "Driver", driver);
  cc_json_set (rec, "Options", pairs_json (spec->options));
  cc_json_set (rec, "Labels", pairs_json (spec->labels));
  if (cc_vol_check_options (driver, cJSON_GetObjectItemCaseSensitive (rec, "Options"), err) < 0)
    return cc_error_wrap (err, "create volume `%s`", spec->name);
  if (cc_vol_lock (&lock, err) < 0)
    return -1;
  dir = cc_volume_path (spec->name);
  data = cc_path_join (dir, "_data");
  if (cc_file_exists (data))
    return 0;
  if (cc_mkdir_p (dir, 0755, err) < 0 || cc_vol_record_save (spec->name, rec, err) < 0
      || cc_mkdir_p (data, 0755, err) < 0)
    return cc_error_wrap (err, "create volume `%s`", spec->name);
  if (created)
    *created = true;
  return 0;
}

static bool
is_used (const cJSON *rec)
{
  const cJSON *users = cJSON_GetObjectItemCaseSensitive (rec, "users");
  return users && users->child;
}

int
cc_volume_remove (const char *name, bool force, cc_error_t *err)
{
  cleanup_close int lock = -1;
  cleanup_cjson cJSON *rec = NULL;
  cleanup_free char *path = NULL, *users = NULL;

  if (cc_vol_lock (&lock, err) < 0 || cc_vol_record_load (name, &rec, err) < 0)
    return -1;
  if (is_used (rec) && ! force)
    {
      cleanup_strv char **v = NULL;
      for (const cJSON *u = cJSON_GetObjectItemCaseSensitive (rec, "users")->child; u; u = u->next)
        if (cJSON_IsString (u))
          cc_strv_append (&v, u->valuestring);
      users = cc_strv_join (v ? v : (char *[]){ NULL }, ", ");
      return cc_error_make (err, EBUSY, "remove volume `%s`: volume is in use - [%s]", name, users);
    }
  /* Unmounted first: the removal never enters another filesystem, and
     a device or a server's export must not be emptied.  */
  if (cc_vol_driver_unmount (name, rec, err) < 0)
    return cc_error_wrap (err, "remove volume `%s`", name);
  path = cc_volume_path (name);
  if (cc_rm_rf (path, err) < 0)
    return cc_error_wrap (err, "remove volume `%s`", name);
  return 0;
}

static cJSON *
inspect_object (const char *name, const cJSON *rec, bool with_users)
{
  cleanup_free char *dir = cc_volume_path (name);
  cJSON *o = cJSON_CreateObject ();

  for (size_t i = 0; i < CC_N_ELEMENTS (inspect_keys); i++)
    {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive (rec, inspect_keys[i]);
      if (strcmp (inspect_keys[i], "Mountpoint") == 0)
        cJSON_AddItemToObject (o, "Mountpoint", cJSON_CreateString (dir ? dir : ""));
      else
        cJSON_AddItemToObject (o, inspect_keys[i], v ? cJSON_Duplicate (v, true) : cJSON_CreateNull ());
    }
  {
    /* Docker's Mountpoint is the _data directory.  */
    cleanup_free char *data = cc_path_join (dir, "_data");
    cc_json_set_string (o, "Mountpoint", data);
  }
  if (with_users)
    cc_json_set (o, "UsedBy", cJSON_Duplicate (cJSON_GetObjectItemCaseSensitive (rec, "users"), true));
  return o;
}

int
cc_volume_inspect (const char *name, cJSON **out, cc_error_t *err)
{
  cleanup_cjson cJSON *rec = NULL;

  if (cc_vol_record_load (name, &rec, err) < 0)
    return -1;
  *out = inspect_object (name, rec, false);
  return 0;
}

int
cc_volume_list (bool users, cJSON **out, cc_error_t *err)
{
  cleanup_strv char **names = cc_vol_names ();
  cleanup_cjson cJSON *arr = cJSON_CreateArray ();

  for (char **n = names; *n; n++)
    {
      cleanup_cjson cJSON *rec = NULL;
      cc_error_t one = NULL;
      /* One that goes meanwhile is not listed.  */
      if (cc_vol_record_load (*n, &rec, &one) < 0)
        {
          if (one->status != ENOENT)
            {
              *err = one;
              return -1;
            }
          cc_error_release (&one);
          continue;
        }
      cJSON_AddItemToArray (arr, inspect_object (*n, rec, users));
    }
  *out = steal_pointer (&arr);
  return 0;
}

/* Bytes of the files below DIR (an open directory), not crossing into
   another filesystem than DEV.  */
static int64_t
tree_size (int dir, dev_t dev)
{
  int fd = dup (dir);
  cleanup_dir DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  struct dirent *de;
  int64_t total = 0;

  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return 0;
    }
  while ((de = readdir (d)) != NULL)
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0
          || fstatat (dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          cleanup_close int sub = openat (dir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sub >= 0)
            total += tree_size (sub, dev);
        }
      else if (S_ISREG (st.st_mode))
        total += st.st_size;
    }
  return total;
}

int
cc_volume_size (const char *name, int64_t *bytes)
{
  cleanup_free char *dir = cc_volume_name_is_valid (name) ? cc_volume_path (name) : NULL;
  cleanup_free char *data = dir ? cc_path_join (dir, "_data") : NULL;
  cleanup_close int fd = data ? open (data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
  struct stat st;

  *bytes = 0;
  if (fd < 0 || fstat (fd, &st) < 0)
    return -1;
  *bytes = tree_size (fd, st.st_dev);
  return 0;
}
