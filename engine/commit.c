/* `commit SERVICE [REPOSITORY[:TAG]]`: a container's changes as a new
   image (issue 15).  The layer is the container's overlay upper
   directory, read in place by the builder's tar writer in the mode that
   changes nothing (builder/layer.c): the directory is written by the
   container, so nothing in it is followed or opened but regular files.
   A running container is frozen while it is read (unless --pause=false,
   as Docker), and thawed again whatever happens.  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "builder/builder.h"
#include "engine/engine.h"
#include "image/image.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

struct commit_job
{
  const char *container;
  const char *upper;
  bool pause;
};

static bool
is_running (const char *id)
{
  cleanup_cjson cJSON *st = NULL;

  return cc_runtime_state (id, &st, NULL) == 0 && strcmp (cc_json_get_string (st, "status") ?: "", "running") == 0;
}

/* Armed once the container is frozen: thawed on every way out.  */
static void
thaw (const char **id)
{
  cleanup_error cc_error_t err = NULL;

  if (*id && cc_runtime_unpause (*id, &err) < 0)
    cc_warn ("commit: %s", err->msg);
}

static int
write_upper (void *opaque, int fd, char **diff_id, size_t *entries, cc_error_t *err)
{
  const struct commit_job *j = opaque;
  __attribute__ ((cleanup (thaw))) const char *frozen = NULL;
  cleanup_close int dirfd = open (j->upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);

  if (dirfd < 0)
    return cc_error_make (err, errno, "commit `%s`: open its upper directory `%s`", j->container, j->upper);
  if (j->pause && is_running (j->container))
    {
      if (cc_runtime_pause (j->container, err) < 0)
        return cc_error_wrap (err, "commit `%s`", j->container);
      frozen = j->container;
    }
  if (cc_builder_tar_upper (dirfd, fd, diff_id, entries, err) < 0)
    return cc_error_wrap (err, "commit `%s`", j->container);
  if (frozen)
    {
      frozen = NULL;
      if (cc_runtime_unpause (j->container, err) < 0)
        return cc_error_wrap (err, "commit `%s`", j->container);
    }
  return 0;
}

/* moby's daemon/commit.go records the container's command (its Cmd,
   without the entrypoint) joined by spaces.  */
static char *
created_by (const struct cc_runtime_spec *spec, char *const *entrypoint)
{
  struct cc_buf b = { 0 };
  size_t skip = 0, n = cc_strv_len (entrypoint);

  if (n > 0 && n <= cc_strv_len (spec->args))
    {
      skip = n;
      for (size_t i = 0; i < n; i++)
        if (strcmp (spec->args[i], entrypoint[i]) != 0)
          skip = 0;
    }
  for (size_t i = skip; spec->args && spec->args[i]; i++)
    {
      if (i > skip)
        cc_buf_putc (&b, ' ');
      cc_buf_puts (&b, spec->args[i]);
    }
  cc_buf_putc (&b, '\0');
  return cc_buf_steal (&b);
}

int
cc_engine_commit (const cJSON *state, const struct cc_commit_opts *o, char **id_out, cc_error_t *err)
{
  const cJSON *entry
      = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (state, "containers"), o->container);
  const char *image_id = cc_json_get_string (entry, "image_id");
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;
  cleanup_image struct cc_image *img = NULL;
  cleanup_free char *by = NULL;
  struct commit_job job = { .container = o->container, .pause = o->pause };

  if (entry == NULL || image_id == NULL)
    return cc_error_make (err, ENOENT, "commit: no container `%s`", o->container);
  if (cc_runtime_spec_of (o->container, &spec, err) < 0)
    return cc_error_wrap (err, "commit `%s`", o->container);
  if (spec->rootfs || spec->upper == NULL)
    return cc_error_make (err, EINVAL, "commit `%s`: it has no overlay upper directory", o->container);
  if (cc_image_resolve (image_id, &img, err) < 0)
    return cc_error_wrap (err, "commit `%s`", o->container);
  job.upper = spec->upper;
  by = created_by (spec, img->config.entrypoint);
  struct cc_image_commit_opts io = {
    .base = img->id,
    .changes = o->changes,
    .author = o->author,
    .message = o->message,
    .created_by = by,
    .ref = o->ref,
    .write_layer = write_upper,
    .opaque = &job,
  };
  return cc_image_commit (&io, id_out, err);
}
