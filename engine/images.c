/* The project's images: `pull` and `push` of its services' images, `down
   --rmi`, and what `images` shows of a container's image.  */
#include <errno.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* The services named (plus their dependencies with INCLUDE_DEPS), or all.  */
static int
select_services (const struct cc_project *p, char *const *named, bool include_deps, char ***out, cc_error_t *err)
{
  if (named == NULL || named[0] == NULL)
    {
      *out = cc_project_service_names (p);
      return 0;
    }
  if (include_deps)
    return cc_compose_select (p, (char **)named, out, err);
  for (char *const *n = named; *n; n++)
    if (cc_project_service (p, *n) == NULL)
      return cc_error_make (err, 0, "no such service: %s", *n);
  *out = cc_strv_dup ((char **)named);
  return 0;
}

/* A failure the command goes on after: said as a warning with IGNORE (or
   when the service can be built instead), else added to LIST.  */
static void
service_failed (const char *service, bool ignore, cc_error_t *e, cc_error_t *list)
{
  if (ignore)
    {
      cc_notice ("ccompose: warning: service %s: %s", service, (*e)->msg);
      cc_error_release (e);
      return;
    }
  cc_error_wrap (e, "service %s", service);
  cc_error_append (list, e);
}

static void
pull_service (const struct cc_project *p, const char *name, const struct cc_pull_opts *o, char ***done,
              cc_error_t *list)
{
  const struct cc_service *svc = cc_project_service (p, name);
  const char *image = svc->image;
  bool buildable = svc->build != NULL;
  cleanup_image struct cc_image *img = NULL;
  cc_error_t e = NULL;

  if (buildable && o->ignore_buildable)
    return;
  if (image == NULL)
    {
      if (! o->quiet)
        cc_notice (" - Service %s: skipped, it has no `image:` (only `build:`)", name);
      return;
    }
  if (cc_strv_contains (*done, image))
    return;
  cc_strv_append (done, image);
  if (o->dry_run)
    {
      cc_notice (" \u2714 DRY-RUN MODE -  Image %s  Pulled", image);
      return;
    }
  /* Docker Compose: an image that can be built is not a pull failure.  */
  if (cc_image_ensure (image, o->policy, o->quiet, &img, &e) < 0)
    service_failed (name, buildable || o->ignore_failures, &e, list);
}

typedef void (*service_fn) (const struct cc_project *p, const char *name, const struct cc_pull_opts *o, char ***done,
                            cc_error_t *list);

/* FN for each service selected, each image name once (DONE); every
   failure is returned after the rest were done.  */
static int
each_service (const struct cc_project *p, char *const *named, const struct cc_pull_opts *o, service_fn fn,
              cc_error_t *err)
{
  cleanup_strv char **services = NULL;
  cleanup_strv char **done = xzalloc (sizeof (char *));
  cc_error_t list = NULL;

  if (select_services (p, named, o->include_deps, &services, err) < 0)
    return -1;
  for (char **s = services; *s; s++)
    fn (p, *s, o, &done, &list);
  if (list == NULL)
    return 0;
  *err = list;
  return -1;
}

int
cc_engine_pull (const struct cc_project *p, char *const *named, const struct cc_pull_opts *o, cc_error_t *err)
{
  return each_service (p, named, o, pull_service, err);
}

/* `image:` first, then `build.tags`.  */
static char **
push_names (const struct cc_service *svc)
{
  char **v = xzalloc (sizeof (char *));

  cc_strv_append (&v, svc->image);
  for (char *const *t = svc->build->tags; t && *t; t++)
    if (! cc_strv_contains (v, *t))
      cc_strv_append (&v, *t);
  return v;
}

static void
push_service (const struct cc_project *p, const char *name, const struct cc_pull_opts *o, char ***done,
              cc_error_t *list)
{
  const struct cc_service *svc = cc_project_service (p, name);
  cleanup_strv char **refs = NULL;

  if (svc->image == NULL || svc->build == NULL)
    {
      if (! o->quiet)
        cc_notice (" - Service %s: skipped, it has no `build:` with an `image:` to push", name);
      return;
    }
  refs = push_names (svc);
  for (char **r = refs; *r; r++)
    {
      cc_error_t e = NULL;
      if (cc_strv_contains (*done, *r))
        continue;
      cc_strv_append (done, *r);
      if (o->dry_run)
        cc_notice (" \u2714 DRY-RUN MODE -  Image %s  Pushed", *r);
      else if (cc_image_push (*r, o->quiet, NULL, &e) < 0)
        service_failed (name, o->ignore_failures, &e, list);
    }
}

int
cc_engine_push (const struct cc_project *p, char *const *named, const struct cc_pull_opts *o, cc_error_t *err)
{
  return each_service (p, named, o, push_service, err);
}

int
cc_engine_remove_images (const struct cc_project *p, const char *which, cc_error_t *err)
{
  cleanup_strv char **services = cc_project_service_names (p);
  cc_error_t list = NULL;

  for (char **s = services; *s; s++)
    {
      const char *image = cc_project_service (p, *s)->image;
      cleanup_free char *ref = image ? xstrdup (image) : cc_paths_built_image_name (p->name, *s);
      cc_error_t e = NULL;
      if (image && strcmp (which, "local") == 0)
        continue;
      if (cc_image_remove (ref, false, NULL, NULL, &e) < 0)
        {
          if (e && e->status == ENOENT)
            cc_error_release (&e);
          cc_error_append (&list, &e);
          continue;
        }
      cc_engine_progress ("Image", ref, "Removed");
    }
  if (list == NULL)
    return 0;
  *err = list;
  return -1;
}

int64_t
cc_engine_image_size (const char *id)
{
  cleanup_image struct cc_image *img = NULL;
  cc_error_t e = NULL;

  if (cc_image_resolve (id, &img, &e) < 0)
    {
      cc_error_release (&e);
      return 0;
    }
  return img->size;
}
