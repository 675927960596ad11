/* Per-project state: one JSON file per project, written atomically, under
   one flock per project (ARCHITECTURE.md, "Crash safety").  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/proc.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* A project directory holding only our lock: a command that locked the
   project and never saved (an `up` refused by a full state root, a
   command on a project that does not exist).  Removed under the lock,
   or the residue check would find a project without its state.  */
static void
remove_if_unsaved (const struct cc_state *st)
{
  cleanup_free char *lock = cc_paths_project_lock (st->project);

  if (st->lock_fd < 0 || cc_file_exists (st->path))
    return;
  if (unlink (lock) == 0)
    rmdir (st->dir);
}

void
cc_state_free (struct cc_state *st)
{
  remove_if_unsaved (st);
  if (st->lock_fd >= 0)
    close (st->lock_fd);
  cJSON_Delete (st->json);
  free (st->project);
  free (st->dir);
  free (st->path);
  free (st);
}

/* `down` removes the directory with the lock file in it: a command that
   waited on the old file would hold a lock nobody else sees.  Retry until
   the file we locked is the one at the path.  */
static int
lock_project (const char *project, const char *dir, int *fd_out, cc_error_t *err)
{
  cleanup_free char *path = cc_paths_project_lock (project);

  for (;;)
    {
      struct stat a, b;
      int fd = -1;

      if (cc_mkdir_p (dir, 0700, err) < 0 || cc_lock_path (path, true, &fd, err) < 0)
        return cc_error_wrap (err, "lock project state");
      if (fstat (fd, &a) == 0 && stat (path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        {
          *fd_out = fd;
          return 0;
        }
      close (fd);
    }
}

static cJSON *
empty_state (const char *project)
{
  cJSON *j = cJSON_CreateObject ();

  cc_json_set_string (j, "project", project);
  return j;
}

static int
load (struct cc_state *st, cc_error_t *err)
{
  if (! cc_file_exists (st->path))
    {
      st->json = empty_state (st->project);
      return 0;
    }
  if (cc_json_load_file (st->path, &st->json, err) < 0)
    return cc_error_wrap (err, "project `%s` state", st->project);
  if (! cJSON_IsObject (st->json))
    return cc_error_make (err, EINVAL, "project `%s` state `%s`: not a JSON object", st->project, st->path);
  return 0;
}

static bool
is_valid_project_name (const char *name)
{
  if (*name == '\0' || strlen (name) > 200)
    return false;
  for (const char *c = name; *c; c++)
    if (! ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
      return false;
  return true;
}

int
cc_state_open (const char *project, bool lock, struct cc_state **out, cc_error_t *err)
{
  struct cc_state *st;

  if (! is_valid_project_name (project))
    return cc_error_make (err, EINVAL, "invalid project name `%s`", project);
  st = xzalloc (sizeof (*st));
  st->lock_fd = -1;
  st->project = xstrdup (project);
  st->dir = cc_paths_project (project);
  st->path = cc_paths_project_state (project);
  if ((lock && lock_project (project, st->dir, &st->lock_fd, err) < 0) || load (st, err) < 0)
    {
      cc_state_free (st);
      return -1;
    }
  *out = st;
  return 0;
}

int
cc_state_open_salvage (const char *project, struct cc_state **out, cc_error_t *err)
{
  cc_error_t load_err = NULL;
  struct cc_state *st;
  cleanup_free char *aside = NULL;

  if (cc_state_open (project, true, out, &load_err) == 0)
    return 0;
  /* Open again without reading: the lock is what matters now.  */
  if (! is_valid_project_name (project))
    {
      *err = load_err;
      return -1;
    }
  st = xzalloc (sizeof (*st));
  st->lock_fd = -1;
  st->project = xstrdup (project);
  st->dir = cc_paths_project (project);
  st->path = cc_paths_project_state (project);
  if (lock_project (project, st->dir, &st->lock_fd, err) < 0)
    {
      cc_error_release (&load_err);
      cc_state_free (st);
      return -1;
    }
  aside = xasprintf ("%s.corrupt", st->path);
  {
    cleanup_free char *msg = cc_error_string (load_err);
    cc_notice ("ccompose: %s; kept as `%s`, removing what can be found without it", msg, aside);
  }
  cc_error_release (&load_err);
  rename (st->path, aside);
  st->json = empty_state (project);
  st->corrupt = true;
  *out = st;
  return 0;
}

int
cc_state_save (struct cc_state *st, cc_error_t *err)
{
  uint64_t start = 0;

  if (cc_mkdir_p (st->dir, 0700, err) < 0)
    return -1;
  cc_json_set_int (st->json, "writer_pid", getpid ());
  if (cc_proc_start_time (getpid (), &start, NULL) == 0)
    cc_json_set_int (st->json, "writer_start", (int64_t)start);
  return cc_json_save_file (st->path, st->json, err);
}

int
cc_state_destroy (struct cc_state *st, cc_error_t *err)
{
  cJSON_Delete (st->json);
  st->json = empty_state (st->project);
  return cc_rm_rf (st->dir, err);
}

cJSON *
cc_state_section (struct cc_state *st, const char *section)
{
  cJSON *s = cJSON_GetObjectItemCaseSensitive (st->json, section);

  if (! cJSON_IsObject (s))
    {
      s = cJSON_CreateObject ();
      cc_json_set (st->json, section, s);
    }
  return s;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

int
cc_state_projects (char ***names, cc_error_t *err)
{
  cleanup_free char *pdir = cc_paths_projects ();
  cleanup_dir DIR *d = opendir (pdir);
  cleanup_strv char **v = xzalloc (sizeof (char *));
  struct dirent *de;

  if (d == NULL && errno != ENOENT)
    return cc_error_make (err, errno, "open `%s`", pdir);
  while (d && (de = readdir (d)))
    {
      cleanup_free char *path = cc_paths_project_state (de->d_name);
      if (de->d_name[0] != '.' && cc_file_exists (path))
        cc_strv_append (&v, de->d_name);
    }
  qsort (v, cc_strv_len (v), sizeof (char *), compare_strings);
  *names = steal_pointer (&v);
  return 0;
}

struct named
{
  const char *name, *service;
  int number;
  bool retired;
};

/* A replica a rolling update retired (rolling.c) comes after the ones
   that serve: after a crash, `up` keeps those and removes it.  */
static int
compare_containers (const void *a, const void *b)
{
  const struct named *x = a, *y = b;
  int c = strcmp (x->service, y->service);

  if (c != 0)
    return c;
  if (x->retired != y->retired)
    return x->retired ? 1 : -1;
  if (x->number != y->number)
    return x->number < y->number ? -1 : 1;
  return strcmp (x->name, y->name);
}

char **
cc_state_container_names (const cJSON *state, const char *service, bool oneoff)
{
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (state, "containers");
  size_t n = 0, cap = (size_t)cJSON_GetArraySize (containers);
  cleanup_free struct named *v = xzalloc ((cap + 1) * sizeof (*v));
  char **out = xzalloc (sizeof (char *));

  for (const cJSON *c = containers ? containers->child : NULL; c; c = c->next)
    {
      const char *svc = cc_json_get_string (c, "service");
      if (svc == NULL || (service && strcmp (svc, service) != 0))
        continue;
      if (cc_json_get_bool (c, "oneoff", false) != oneoff)
        continue;
      v[n++] = (struct named){ c->string, svc, (int)cc_json_get_int (c, "number", 0),
                               cc_json_get_bool (c, "retired", false) };
    }
  qsort (v, n, sizeof (*v), compare_containers);
  for (size_t i = 0; i < n; i++)
    cc_strv_append (&out, v[i].name);
  return out;
}

/* The container's own namespace: a bridge (its networks, or none at
   all) or `none`; host, service: and container: join another's.  */
static bool
owns_netns (enum cc_network_mode mode)
{
  return mode == CC_NETWORK_MODE_DEFAULT || mode == CC_NETWORK_MODE_BRIDGE || mode == CC_NETWORK_MODE_NONE;
}

cJSON *
cc_engine_new_entry (const struct cc_entry_info *i)
{
  const struct cc_service *svc = i->svc;
  cleanup_free char *hash = cc_compose_service_hash_json (svc->json);
  cleanup_free char *id = cc_engine_new_container_id ();
  cJSON *e = cJSON_CreateObject (), *names = cJSON_CreateArray (), *full = cJSON_CreateArray ();

  cc_json_set_string (e, "id", id);
  cc_json_set_string (e, "service", svc->name);
  cc_json_set_int (e, "number", i->number);
  if (i->oneoff)
    cc_json_set_bool (e, "oneoff", true);
  cc_json_set_int (e, "level", i->level);
  cc_json_set_string (e, "image", i->image_ref);
  cc_json_set_string (e, "image_id", i->image_id);
  cc_json_set_string (e, "config_hash", hash);
  cc_json_set (e, "config", cJSON_Duplicate (svc->json, true));
  for (size_t k = 0; svc->network_mode == CC_NETWORK_MODE_DEFAULT && k < svc->n_networks; k++)
    {
      const struct cc_network *net = i->project ? cc_project_network (i->project, svc->networks[k].key) : NULL;
      cJSON_AddItemToArray (names, cJSON_CreateString (svc->networks[k].key));
      cJSON_AddItemToArray (full, cJSON_CreateString (net && net->name ? net->name : svc->networks[k].key));
    }
  /* network_mode: bridge joins Docker's default network (ops.c), which
     the project knows by its name.  */
  if (svc->network_mode == CC_NETWORK_MODE_BRIDGE)
    {
      cJSON_AddItemToArray (names, cJSON_CreateString ("bridge"));
      cJSON_AddItemToArray (full, cJSON_CreateString ("bridge"));
    }
  cc_json_set (e, "networks", names);
  /* What `ps` shows as Networks: the names on the host.  */
  cc_json_set (e, "network_names", full);
  cc_json_set (e, "labels", cc_engine_compose_labels (i));
  cc_json_set_bool (e, "owns_netns", owns_netns (svc->network_mode));
  cc_json_set_string (e, "status", "creating");
  cc_json_set_int (e, "created_ms", (int64_t)time (NULL) * 1000);
  return e;
}
