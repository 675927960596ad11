/* Build records (ARCHITECTURE.md, "Crash safety": recorded before it exists).  Each build
   owns cc_data_dir()/builder/builds/<id>/: its scratch space (upper and
   work directories, secrets, downloads) and record.json, which names
   every container, image pin and network project of the build before it
   is created.  The build holds builds/<id>/lock (flock) for as long as it
   runs: the kernel drops the lock when the process dies, even by
   SIGKILL, so a record whose lock can be taken belongs to a dead build,
   and everything it names is residue (cc_builder_residue).  Forked
   helpers (parallel stages) inherit the lock and add to the record under
   edit.lock.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/exec.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/file.h"
#include "lib/finding.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "network/network.h"
#include "runtime/runtime.h"

/* A directory without a lock file is a build between its mkdir and its
   lock, unless it is older than this.  */
#define UNLOCKED_GRACE_S 60

struct cc_bld_record
{
  char *id;
  char *dir;
  int lock_fd;
};

static char *
builds_dir (void)
{
  return cc_paths_builder ("builds");
}

static char *
new_id (void)
{
  unsigned char b[6];
  char *id = xmalloc (2 * sizeof (b) + 1);

  if (getrandom (b, sizeof (b), 0) != (ssize_t)sizeof (b))
    {
      struct timespec ts;
      clock_gettime (CLOCK_MONOTONIC, &ts);
      for (size_t i = 0; i < sizeof (b); i++)
        b[i] = (unsigned char)((ts.tv_nsec >> (i * 3)) ^ (getpid () >> i));
    }
  for (size_t i = 0; i < sizeof (b); i++)
    snprintf (id + 2 * i, 3, "%02x", b[i]);
  return id;
}

/* Not fsynced: a crash of the process keeps what was written, and after
   a power failure the containers and network it names are gone anyway,
   while the directory itself still marks the build.  */
static int
save_json (const char *dir, cJSON *rec, cc_error_t *err)
{
  cleanup_free char *path = cc_path_join (dir, "record.json");
  cleanup_free char *text = cJSON_PrintUnformatted (rec);

  return cc_write_file_replace (path, text, strlen (text), 0644, err);
}

int
cc_bld_record_begin (struct cc_bld_record **out, cc_error_t *err)
{
  cleanup_free char *top = builds_dir ();
  cleanup_free char *lock = NULL;
  cleanup_cjson cJSON *rec = cJSON_CreateObject ();
  struct cc_bld_record *r = xzalloc (sizeof (*r));

  r->lock_fd = -1;
  r->id = new_id ();
  r->dir = cc_path_join (top, r->id);
  *out = r;
  if (cc_mkdir_p (top, 0700, err) < 0)
    return -1;
  cc_crash_point ("build record");
  if (mkdir (r->dir, 0700) < 0)
    return cc_error_make (err, errno, "create `%s`", r->dir);
  lock = cc_path_join (r->dir, "lock");
  if (cc_lock_path (lock, false, &r->lock_fd, err) < 0)
    return -1;
  cc_json_set_int (rec, "pid", getpid ());
  cc_json_set (rec, "containers", cJSON_CreateArray ());
  cc_json_set (rec, "pins", cJSON_CreateArray ());
  cc_json_set (rec, "networks", cJSON_CreateArray ());
  return save_json (r->dir, rec, err);
}

const char *
cc_bld_record_id (const struct cc_bld_record *r)
{
  return r->id;
}

const char *
cc_bld_record_dir (const struct cc_bld_record *r)
{
  return r->dir;
}

static int
edit_lock (const char *dir, int *fd, cc_error_t *err)
{
  cleanup_free char *path = cc_path_join (dir, "edit.lock");

  return cc_lock_path (path, true, fd, err);
}

int
cc_bld_record_add (struct cc_bld_record *r, const char *kind, const char *value, cc_error_t *err)
{
  cleanup_free char *path = cc_path_join (r->dir, "record.json");
  cleanup_close int lfd = -1;
  cleanup_cjson cJSON *rec = NULL;
  cJSON *arr;

  if (edit_lock (r->dir, &lfd, err) < 0 || cc_json_load_file (path, &rec, err) < 0)
    return -1;
  arr = cJSON_GetObjectItemCaseSensitive (rec, kind);
  if (! cJSON_IsArray (arr))
    return cc_error_make (err, EINVAL, "build record `%s`: no `%s`", path, kind);
  cJSON_AddItemToArray (arr, cJSON_CreateString (value));
  if (save_json (r->dir, rec, err) < 0)
    return -1;
  cc_crash_point ("build record saved");
  return 0;
}

/* Remove what the record in DIR names, then DIR; keeps going and reports
   every failure.  */
static int
tear_down (const char *dir, cc_error_t *err)
{
  cleanup_free char *path = cc_path_join (dir, "record.json");
  cleanup_cjson cJSON *rec = NULL;
  cc_error_t errors = NULL, e = NULL;
  const cJSON *it;

  if (cc_json_load_file (path, &rec, NULL) == 0)
    {
      cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (rec, "containers"))
      {
        if (cJSON_IsString (it) && cc_runtime_delete (it->valuestring, &e) < 0)
          cc_error_append (&errors, &e);
      }
      cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (rec, "networks"))
      {
        if (cJSON_IsString (it) && cc_network_teardown_project (it->valuestring, &e) < 0)
          cc_error_append (&errors, &e);
      }
      cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (rec, "pins"))
      {
        if (cJSON_IsString (it) && cc_image_unpin (it->valuestring, &e) < 0)
          cc_error_append (&errors, &e);
      }
    }
  if (errors == NULL && cc_rm_rf (dir, &e) < 0)
    cc_error_append (&errors, &e);
  if (errors)
    {
      *err = errors;
      return -1;
    }
  return 0;
}

int
cc_bld_record_end (struct cc_bld_record *r, cc_error_t *err)
{
  int ret = 0;

  if (r == NULL)
    return 0;
  if (r->dir && cc_is_dir (r->dir))
    ret = tear_down (r->dir, err);
  if (r->lock_fd >= 0)
    close (r->lock_fd);
  free (r->id);
  free (r->dir);
  free (r);
  return ret;
}

/* ---- residue ------------------------------------------------------------- */

/* Whether the build owning DIR is alive: its lock is held.  */
static bool
is_alive (const char *dir)
{
  cleanup_free char *lock = cc_path_join (dir, "lock");
  cleanup_close int fd = open (lock, O_RDWR | O_CLOEXEC);
  struct stat st;

  if (fd < 0)
    return stat (dir, &st) == 0 && time (NULL) - st.st_mtime < UNLOCKED_GRACE_S;
  if (flock (fd, LOCK_EX | LOCK_NB) < 0)
    return errno == EWOULDBLOCK || errno == EINTR;
  return false;
}

static void
claim (const char *dir, char ***containers, char ***projects)
{
  cleanup_free char *path = cc_path_join (dir, "record.json");
  cleanup_cjson cJSON *rec = NULL;
  const cJSON *it;

  if (cc_json_load_file (path, &rec, NULL) < 0)
    return;
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (rec, "containers"))
  {
    if (cJSON_IsString (it) && containers)
      cc_strv_append (containers, it->valuestring);
  }
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (rec, "networks"))
  {
    if (cJSON_IsString (it) && projects)
      cc_strv_append (projects, it->valuestring);
  }
}

void
cc_builder_claims (char ***containers, char ***projects)
{
  cleanup_free char *top = builds_dir ();
  cleanup_dir DIR *d = opendir (top);
  struct dirent *de;

  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *dir = NULL;

      if (de->d_name[0] == '.')
        continue;
      dir = cc_path_join (top, de->d_name);
      if (is_alive (dir))
        claim (dir, containers, projects);
    }
}

void
cc_builder_residue (const struct cc_residue_scope *s, struct cc_findings *out, cc_error_t *errors)
{
  cleanup_free char *top = builds_dir ();
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  /* A build's record is its own root's: a foreign root's builds are
     judged when the check runs there.  */
  if (s->foreign)
    return;
  d = opendir (top);
  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *dir = NULL;
      cc_error_t e = NULL;

      if (de->d_name[0] == '.')
        continue;
      dir = cc_path_join (top, de->d_name);
      if (is_alive (dir))
        continue;
      cc_findings_add (out, "build", true, xasprintf ("build %s", de->d_name),
                       xasprintf ("%s: its process is gone", dir));
      if (s->fix && tear_down (dir, &e) < 0)
        cc_error_append (errors, &e);
    }
}
