/* A service's `secrets:` and `configs:` (issue 15) as Docker Compose mounts
   them without Swarm: a secret at /run/secrets/<target or source>, a
   config at /<source> or its target.  Every source (a file, an
   environment variable, `content:`) is copied into a file of the
   container's own directory, with the owner and mode the service asks
   for, and that copy is bound read-only: the container never reaches the
   host's file, and sees only what it was given.  The directory goes with
   the container (cc_runtime_delete).  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

/* A copy lives on the data root once per container: a path that names a
   huge file by mistake fails here rather than filling the disk.  */
#define FILE_REF_MAX ((size_t)16 << 20)

struct ref_kind
{
  const char *what;    /* "secret" */
  const char *section; /* "secrets" */
  const char *dir;     /* where a relative or missing target goes */
};

static const struct ref_kind kinds[] = {
  { "secret", "secrets", "/run/secrets/" },
  { "config", "configs", "/" },
};

static const struct cc_file_object *
find_object (const struct cc_project *p, const struct ref_kind *k, const char *key)
{
  bool secret = k == &kinds[0];
  const struct cc_file_object *o = secret ? p->view->secrets : p->view->configs;
  size_t n = secret ? p->view->n_secrets : p->view->n_configs;

  for (size_t i = 0; i < n; i++)
    if (strcmp (o[i].key, key) == 0)
      return &o[i];
  return NULL;
}

static int
content_of (const struct cc_file_object *o, const struct ref_kind *k, char **out, size_t *len, cc_error_t *err)
{
  const char *v;

  if (o->file)
    return cc_read_regular_file_max (o->file, FILE_REF_MAX, out, len, err);
  if (o->environment)
    {
      if ((v = getenv (o->environment)) == NULL)
        return cc_error_make (err, ENOENT, "environment variable `%s` is not set", o->environment);
    }
  else if ((v = o->content) == NULL)
    return cc_error_make (err, ENOTSUP, "an external %s cannot be mounted (no Swarm store on this host)", k->what);
  *len = strlen (v);
  if (*len > FILE_REF_MAX)
    return cc_error_make (err, EFBIG, "larger than %zu bytes", FILE_REF_MAX);
  *out = xstrdup (v);
  return 0;
}

static char *
target_of (const struct cc_file_ref *r, const struct ref_kind *k)
{
  const char *t = r->target ? r->target : r->source;

  return *t == '/' ? cc_path_clean (t) : xasprintf ("%s%s", k->dir, t);
}

/* Made afresh (O_EXCL, never through a link) in a directory only root
   can enter, then given its owner and mode: no moment where another user
   could open it.  */
static int
write_copy (int dirfd, const char *name, const char *data, size_t len, const struct cc_file_ref *r, cc_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  uid_t uid = r->uid ? (uid_t)strtoul (r->uid, NULL, 10) : 0;
  gid_t gid = r->gid ? (gid_t)strtoul (r->gid, NULL, 10) : 0;

  if (fd < 0 || cc_write_all (fd, data, len) < 0)
    return cc_error_make (err, errno, "write `%s`", name);
  if (fchown (fd, uid, gid) < 0 || fchmod (fd, (mode_t)(r->mode >= 0 ? r->mode : 0444)) < 0)
    return cc_error_make (err, errno, "set the owner and mode of `%s`", name);
  return 0;
}

static void
add_mount (struct cc_runtime_spec *s, char *source, char *target)
{
  cleanup_strv char **opts = NULL;

  cc_strv_append (&opts, "ro");
  cc_strv_append (&opts, "nosuid");
  cc_strv_append (&opts, "nodev");
  s->mounts = xreallocarray (s->mounts, s->n_mounts + 2, sizeof (*s->mounts));
  s->mounts[s->n_mounts++] = (struct cc_runtime_mount){
    .type = xstrdup ("bind"),
    .source = source,
    .target = target,
    .options = steal_pointer (&opts),
  };
}

static int
add_one (struct cc_runtime_spec *s, const struct cc_project *p, const struct ref_kind *k, const struct cc_file_ref *r,
         int dirfd, const char *dir, size_t index, cc_error_t *err)
{
  const struct cc_file_object *o = find_object (p, k, r->source);
  cleanup_free char *data = NULL, *name = xasprintf ("%s-%zu", k->what, index);
  size_t len = 0;

  if (o == NULL)
    return cc_error_make (err, ENOENT, "%s `%s` is not defined", k->what, r->source);
  if (content_of (o, k, &data, &len, err) < 0 || write_copy (dirfd, name, data, len, r, err) < 0)
    return cc_error_wrap (err, "%s `%s`", k->what, r->source);
  add_mount (s, cc_path_join (dir, name), target_of (r, k));
  return 0;
}

int
cc_engine_file_mounts (struct cc_runtime_spec *s, const struct cc_project *p, const struct cc_service *svc,
                       const char *container_dir, cc_error_t *err)
{
  cleanup_free char *dir = cc_path_join (container_dir, "files");
  cleanup_close int dirfd = -1;
  const struct cc_file_ref *refs[] = { svc->secrets, svc->configs };
  size_t counts[] = { svc->n_secrets, svc->n_configs };

  if (svc->n_secrets + svc->n_configs == 0)
    return 0;
  /* A recreated container's old copies go first: the service may have
     dropped one or changed its mode.  */
  if (cc_rm_rf (dir, err) < 0 || cc_mkdir_p (dir, 0700, err) < 0)
    return -1;
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0)
    return cc_error_make (err, errno, "open `%s`", dir);
  for (size_t k = 0; k < CC_N_ELEMENTS (kinds); k++)
    for (size_t i = 0; i < counts[k]; i++)
      if (add_one (s, p, &kinds[k], &refs[k][i], dirfd, dir, i, err) < 0)
        return -1;
  return 0;
}
