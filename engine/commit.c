/* `commit SERVICE [REPOSITORY[:TAG]]`: a container's changes as a new
   image (issue 15).  The layer is the container's overlay upper
   directory, read in place by the builder's tar writer in the mode that
   changes nothing (builder/layer.c): the directory is written by the
   container, so nothing in it is followed or opened but regular files.
   A running container is frozen while it is read (unless --pause=false,
   as Docker), and thawed again whatever happens.  As Docker's, the image
   config is the container's (the image's merged with the service's, then
   the --change lines), and the layer leaves out what Docker keeps in its
   init layer (tests/system/test-diff-docker.sh compares the two).  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "builder/builder.h"
#include "compose/service.h"
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
  char **made; /* Docker's init layer, left out (cc_builder_tar_upper) */
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
  if (cc_builder_tar_upper (dirfd, fd, j->made, diff_id, entries, err) < 0)
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

/* Docker's init layer: the /etc files it binds, /dev, /proc and /sys,
   and the mount points of the volumes, named, anonymous or the image's.
   The mount points of binds and tmpfs are made in the container's own
   layer (runc makes them), and Docker's commit keeps them: so do we.  */
static char **
init_layer_paths (const struct cc_service *svc, const struct cc_image_config *cfg)
{
  static const char *const fixed[] = { "/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/dev", "/proc", "/sys" };
  struct cc_strv_builder b = { 0 };

  for (size_t i = 0; i < CC_N_ELEMENTS (fixed); i++)
    cc_strv_builder_push (&b, xstrdup (fixed[i]));
  for (size_t i = 0; i < svc->n_mounts; i++)
    if (svc->mounts[i].type == CC_MOUNT_TYPE_VOLUME)
      cc_strv_builder_push (&b, xstrdup (svc->mounts[i].target));
  for (char *const *v = cfg->volumes; v && *v; v++)
    cc_strv_builder_push (&b, xstrdup (*v));
  return cc_strv_builder_steal (&b);
}

/* ---- the container's config, as Docker's commit takes it ------------------ */

static cJSON *
strv_json (char *const *v)
{
  if (v == NULL)
    return cJSON_CreateNull ();
  cJSON *a = cJSON_CreateArray ();
  for (; *v; v++)
    cJSON_AddItemToArray (a, cJSON_CreateString (*v));
  return a;
}

/* "KEY=VALUE" entries as the object Docker's Labels are.  */
static void
set_pairs (cJSON *o, char *const *pairs)
{
  for (char *const *p = pairs; p && *p; p++)
    {
      cleanup_free char *key = xstrndup (*p, strcspn (*p, "="));
      cc_json_set_string (o, key, strchr (*p, '=') ? strchr (*p, '=') + 1 : "");
    }
}

/* Ports and volumes as Docker's sets are: an object of empty objects.  */
static void
set_member (cJSON *set, const char *key)
{
  if (! cJSON_HasObjectItem (set, key))
    cc_json_set (set, key, cJSON_CreateObject ());
}

static void
add_port_range (cJSON *set, uint16_t from, uint16_t to, enum cc_port_protocol proto)
{
  for (uint32_t port = from; port <= (to ? to : from); port++)
    {
      cleanup_free char *key = xasprintf ("%u/%s", port, cc_port_protocol_name (proto));
      set_member (set, key);
    }
}

static cJSON *
exposed_ports (const struct cc_service *svc, const struct cc_image_config *cfg)
{
  cJSON *set = cJSON_CreateObject ();

  for (char *const *p = cfg->exposed_ports; p && *p; p++)
    set_member (set, *p);
  for (size_t i = 0; i < svc->n_expose; i++)
    add_port_range (set, svc->expose[i].target, svc->expose[i].target_end, svc->expose[i].protocol);
  for (size_t i = 0; i < svc->n_ports; i++)
    add_port_range (set, svc->ports[i].target, svc->ports[i].target_end, svc->ports[i].protocol);
  return set;
}

/* The image's volumes and every volume the service mounts, named or
   anonymous, as Docker Compose declares them at create.  */
static cJSON *
volumes (const struct cc_service *svc, const struct cc_image_config *cfg)
{
  cJSON *set = cJSON_CreateObject ();

  for (char *const *v = cfg->volumes; v && *v; v++)
    set_member (set, *v);
  for (size_t i = 0; i < svc->n_mounts; i++)
    if (svc->mounts[i].type == CC_MOUNT_TYPE_VOLUME)
      set_member (set, svc->mounts[i].target);
  return set;
}

/* A duration the service set (ms, -1: not set), else the image's (ns).  */
static int64_t
ns_or (int64_t ms, int64_t image_ns)
{
  return ms >= 0 ? ms * 1000 * 1000 : image_ns;
}

/* moby merges a container's healthcheck with its image's: a field left
   at zero takes the image's.  */
static cJSON *
healthcheck (const struct cc_healthcheck *h, const struct cc_image_healthcheck *ih)
{
  static const struct cc_image_healthcheck none = { 0 };
  char *const disabled[] = { (char *)"NONE", NULL };
  cJSON *o = cJSON_CreateObject ();

  if (ih == NULL)
    ih = &none;
  cc_json_set (o, "Test", strv_json (h->disable ? disabled : h->test ?: ih->test));
  cc_json_set_int (o, "Interval", ns_or (h->interval_ms, ih->interval_ns));
  cc_json_set_int (o, "Timeout", ns_or (h->timeout_ms, ih->timeout_ns));
  cc_json_set_int (o, "StartPeriod", ns_or (h->start_period_ms, ih->start_period_ns));
  cc_json_set_int (o, "StartInterval", ns_or (h->start_interval_ms, ih->start_interval_ns));
  cc_json_set_int (o, "Retries", h->retries >= 0 ? h->retries : ih->retries);
  return o;
}

/* Docker's container config, which its commit starts from: the image's
   merged with the service's (moby's daemon/commit.go); the process from
   the spec the container was made with.  */
static cJSON *
container_config (const struct cc_service *svc, const struct cc_image_config *cfg, const struct cc_runtime_spec *spec,
                  const cJSON *labels)
{
  cJSON *c = cJSON_CreateObject (), *all = cJSON_CreateObject ();
  const char *wd = svc->working_dir ?: cfg->working_dir, *user = svc->user ?: cfg->user;

  cc_json_set (c, "Env", strv_json (spec->env));
  /* Docker's rule (engine/container.c set_args): a service entrypoint
     drops the image's cmd.  */
  cc_json_set (c, "Entrypoint", strv_json (svc->entrypoint ?: cfg->entrypoint));
  cc_json_set (c, "Cmd", strv_json (svc->command ?: svc->entrypoint ? NULL : cfg->cmd));
  cc_json_set_string (c, "WorkingDir", wd ?: "");
  cc_json_set_string (c, "User", user ?: "");
  set_pairs (all, cfg->labels);
  for (const cJSON *l = labels ? labels->child : NULL; l; l = l->next)
    cc_json_set_string (all, l->string, cJSON_IsString (l) ? l->valuestring : "");
  cc_json_set (c, "Labels", all);
  cc_json_set (c, "ExposedPorts", exposed_ports (svc, cfg));
  cc_json_set (c, "Volumes", volumes (svc, cfg));
  if (svc->stop_signal || cfg->stop_signal)
    cc_json_set_string (c, "StopSignal", svc->stop_signal ?: cfg->stop_signal);
  if (svc->has_healthcheck)
    cc_json_set (c, "Healthcheck", healthcheck (&svc->healthcheck, cfg->healthcheck));
  return c;
}

int
cc_engine_commit (const cJSON *state, const struct cc_commit_opts *o, char **id_out, cc_error_t *err)
{
  const cJSON *entry
      = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (state, "containers"), o->container);
  const char *image_id = cc_json_get_string (entry, "image_id");
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;
  cleanup_image struct cc_image *img = NULL;
  cleanup_service struct cc_service *svc = NULL;
  cleanup_cjson cJSON *labels = NULL, *config = NULL;
  cleanup_free char *by = NULL;
  cleanup_strv char **made = NULL;
  struct commit_job job = { .container = o->container, .pause = o->pause };

  if (entry == NULL || image_id == NULL)
    return cc_error_make (err, ENOENT, "commit: no container `%s`", o->container);
  if (cc_runtime_spec_of (o->container, &spec, err) < 0)
    return cc_error_wrap (err, "commit `%s`", o->container);
  if (spec->rootfs || spec->upper == NULL)
    return cc_error_make (err, EINVAL, "commit `%s`: it has no overlay upper directory", o->container);
  if (cc_image_resolve (image_id, &img, err) < 0)
    return cc_error_wrap (err, "commit `%s`", o->container);
  if (cc_service_new (cc_json_get_string (entry, "service") ?: o->container,
                      cJSON_GetObjectItemCaseSensitive (entry, "config"), NULL, &svc, err)
      < 0)
    return cc_error_wrap (err, "commit `%s`", o->container);
  labels = cc_engine_container_labels (o->container, entry);
  config = container_config (svc, &img->config, spec, labels);
  job.upper = spec->upper;
  job.made = made = init_layer_paths (svc, &img->config);
  by = created_by (spec, img->config.entrypoint);
  struct cc_image_commit_opts io = {
    .base = img->id,
    .changes = o->changes,
    .author = o->author,
    .message = o->message,
    .created_by = by,
    .ref = o->ref,
    .config = config,
    .write_layer = write_upper,
    .opaque = &job,
  };
  return cc_image_commit (&io, id_out, err);
}
