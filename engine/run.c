/* `run`: a one-off container of a service, `<project>-<service>-run-<hex>`,
   with the command line's overrides, after its dependencies are up; its
   stdin or terminal can wait for the caller (runtime/attach.c).  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "engine/run.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

static char *
random_suffix (void)
{
  unsigned char b[6];
  int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);

  if (fd < 0 || read (fd, b, sizeof (b)) != (ssize_t)sizeof (b))
    {
      unsigned v = (unsigned)getpid () ^ (unsigned)time (NULL);
      memcpy (b, &v, sizeof (v));
      b[4] = b[5] = 0;
    }
  if (fd >= 0)
    close (fd);
  return xasprintf ("%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

static cJSON *
oneoff_entry (const struct cc_project *p, const struct cc_service *svc, const char *image_id)
{
  cleanup_free char *ref = cc_engine_image_ref (p, svc);
  struct cc_entry_info i = {
    .project = p,
    .svc = svc,
    .image_ref = ref,
    .image_id = image_id,
    .oneoff = true,
  };

  return cc_engine_new_entry (&i);
}

/* The dependencies up and meeting their conditions, as `run` expects.  */
static int
start_dependencies (const struct cc_project *p, const struct cc_run_opts *o, cc_error_t *err)
{
  const struct cc_service *svc = cc_project_service (p, o->service);
  cleanup_strv char **names = xzalloc (sizeof (char *));
  cleanup_state struct cc_state *st = NULL;
  struct cc_up_opts up = { .timeout_ms = -1, .wait_timeout_ms = -1, .parallel = o->parallel, .quiet = true };

  for (size_t i = 0; i < svc->n_depends_on; i++)
    cc_strv_append (&names, svc->depends_on[i].service);
  if (*names == NULL)
    return 0;
  up.services = names;
  if (cc_engine_up (p, &up, err) < 0)
    {
      cc_strv_free (up.started);
      return -1;
    }
  cc_strv_free (up.started);
  if (cc_state_open (p->name, false, &st, err) < 0)
    return -1;
  for (size_t i = 0; i < svc->n_depends_on; i++)
    {
      const struct cc_dependency *d = &svc->depends_on[i];
      if (cc_engine_wait_condition (st->json, d->service, d->condition, -1, err) < 0 && d->required)
        return cc_error_wrap (err, "dependency failed to start for service `%s`", o->service);
      cc_error_release (err);
    }
  return 0;
}

static int
resolve_image (const struct cc_project *p, const struct cc_service *svc, enum cc_build_when build, char **id,
               cc_error_t *err)
{
  cleanup_free char *ref = cc_engine_image_ref (p, svc);
  cleanup_image struct cc_image *img = NULL;
  char *names[] = { (char *)svc->name, NULL };
  struct cc_engine_build_opts bo = { 0 };

  /* The project's view of the service: the one with the positions.  */
  if (cc_engine_build_missing (p, names, build, &bo, err) < 0)
    return -1;

  /* As up: the service's pull_policy (missing by default); a service
     without image: names what build: would make, nothing to pull.  */
  if (cc_image_ensure (ref, svc->image ? svc->pull : "never", false, &img, err) < 0)
    return cc_error_wrap (err, "service `%s`", svc->name);
  *id = xstrdup (img->id);
  return 0;
}

/* ATTACH non-NULL: the container's stdin (or terminal) waits for the
   caller, who listens before the container is created.  */
static int
run_oneoff (const struct cc_project *p, const struct cc_run_opts *o, char **name_out, struct cc_runtime_attach **attach,
            cc_error_t *err)
{
  cleanup_cjson cJSON *config = NULL;
  cleanup_service struct cc_service *svc = NULL;
  cleanup_state struct cc_state *st = NULL;
  cleanup_free char *suffix = random_suffix (), *name = NULL, *image_id = NULL;
  cleanup_runtime_attach struct cc_runtime_attach *a = NULL;
  struct cc_service_override ov = {
    .command = o->command,
    .entrypoint = o->entrypoint,
    .env = o->env,
    .user = o->user,
    .workdir = o->workdir,
    .publish = o->publish,
    .service_ports = o->service_ports,
    .volumes = o->volumes,
    .cap_add = o->cap_add,
    .cap_drop = o->cap_drop,
    .labels = o->labels,
    .pull_policy = o->pull_policy,
  };
  cJSON *entry;

  if (cc_project_service (p, o->service) == NULL)
    return cc_error_make (err, ENOENT, "no such service: %s", o->service);
  if ((! o->no_deps && start_dependencies (p, o, err) < 0) || cc_engine_prepare_shared (p, o->service, err) < 0)
    return -1;
  /* The service's config with the command line's overrides, and its view.  */
  if (cc_compose_override (cc_project_service (p, o->service)->json, &ov, p->directory, &config, err) < 0
      || cc_service_new (o->service, config, NULL, &svc, err) < 0
      || resolve_image (p, svc, o->build, &image_id, err) < 0)
    return -1;
  name = o->name ? xstrdup (o->name) : cc_paths_oneoff_name (p->name, o->service, suffix);
  if (cc_state_open (p->name, true, &st, err) < 0 || cc_engine_dns_start (st, err) < 0)
    return -1;
  if (cJSON_HasObjectItem (cc_state_section (st, "containers"), name))
    return cc_error_make (err, EEXIST, "container name `%s` is already in use", name);
  if (attach && cc_runtime_attach_open (name, &a, err) < 0)
    return -1;
  entry = oneoff_entry (p, svc, image_id);
  if (o->use_aliases)
    cc_json_set_bool (entry, "use_aliases", true);
  cc_json_set (cc_state_section (st, "containers"), name, entry);
  if (cc_state_save (st, err) < 0)
    return -1;
  if (cc_engine_create_container (p, svc, entry, name, err) < 0 || cc_runtime_start (name, err) < 0)
    {
      cc_error_t ignored = NULL;
      cc_engine_remove_container (st, name, 0, &ignored);
      cc_error_release (&ignored);
      return -1;
    }
  cc_json_set_string (entry, "status", "created");
  if (cc_state_save (st, err) < 0)
    return -1;
  *name_out = steal_pointer (&name);
  if (attach)
    *attach = steal_pointer (&a);
  return 0;
}

int
cc_engine_run (const struct cc_project *p, const struct cc_run_opts *o, char **name_out, cc_error_t *err)
{
  return run_oneoff (p, o, name_out, NULL, err);
}

/* ---- the caller's part ---------------------------------------------------- */

/* A relay that fails is said and the attach closed (PID 1 waits for us
   until then); the exit code still comes from the container.  */
static void
give_up_attach (struct cc_runtime_attach **a, cc_error_t *err)
{
  cleanup_free char *msg = cc_error_string (*err);

  cc_notice ("ccompose: %s", msg);
  cc_error_release (err);
  cc_runtime_attach_close (steal_pointer (a));
}

/* What the log follower hands back to us: the attach for the signals,
   the caller's printer with its own OPAQUE.  */
struct follow
{
  struct cc_runtime_attach *a;
  const struct cc_run_session *s;
};

static void
print_line (void *opaque, const struct cc_log_line *l)
{
  const struct follow *f = opaque;
  f->s->print (f->s->opaque, l);
}

/* Checked every few tens of milliseconds while the logs are followed.  */
static bool
forward_signals (void *opaque)
{
  const struct follow *f = opaque;

  if (f->a)
    cc_runtime_attach_forward_signals (f->a);
  return false;
}

/* The output from the log files, the command's stdin from ours, signals
   to us passed on to the command.  */
static void
follow_output (const char *name, const struct cc_run_session *s, struct cc_runtime_attach **a)
{
  struct follow f = { .s = s };
  struct cc_log_opts lo = { .follow = true, .tail = -1, .fn = print_line, .opaque = &f };
  cc_error_t err = NULL;

  if (*a && cc_runtime_attach_stdin (*a, &err) < 0)
    give_up_attach (a, &err);
  f.a = *a;
  if (*a)
    lo.should_stop = forward_signals;
  cc_engine_logs ((char *[]){ (char *)name, NULL }, &lo, &err);
  cc_error_release (&err);
}

static void
relay_terminal (struct cc_runtime_attach **a)
{
  cc_error_t err = NULL;

  if (cc_runtime_attach_tty (*a, &err) < 0)
    give_up_attach (a, &err);
}

static int
remove_oneoff (const struct cc_project *p, const char *name, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;

  if (cc_state_open (p->name, true, &st, err) < 0)
    return -1;
  return cc_engine_remove_container (st, name, 0, err);
}

int
cc_engine_run_session (const struct cc_project *p, const struct cc_run_opts *o, const struct cc_run_session *s,
                       char **name_out, cc_error_t *err)
{
  cleanup_runtime_attach struct cc_runtime_attach *a = NULL;
  cc_error_t list = NULL, e = NULL;
  bool attach = ! s->detach && (s->stdin || s->tty);
  int code;

  if (run_oneoff (p, o, name_out, attach ? &a : NULL, err) < 0)
    return -1;
  if (s->detach)
    return 0;
  if (s->tty)
    relay_terminal (&a);
  else
    follow_output (*name_out, s, &a);
  code = cc_runtime_wait (*name_out, -1, &e);
  cc_error_append (&list, &e);
  cc_runtime_attach_close (steal_pointer (&a));
  if (s->rm && remove_oneoff (p, *name_out, &e) < 0)
    cc_error_append (&list, &e);
  if (list == NULL)
    return code;
  *err = list;
  return -1;
}
