/* Model service -> runtime spec: the image config (entrypoint, cmd, env,
   working dir, user, healthcheck) merged with the compose keys, as Docker
   Compose does, plus mounts, limits, security and the network files.  */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "builder/builder.h"
#include "compose/logging.h"
#include "engine/engine.h"
#include "engine/internal.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strmap.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"
#include "volumes/volumes.h"

char *
cc_engine_container_dir (const char *name)
{
  return cc_paths_container_data (name);
}

char **
json_strv_of (const cJSON *arr)
{
  struct cc_strv_builder b = { 0 };

  for (const cJSON *it = arr ? arr->child : NULL; it; it = it->next)
    if (cJSON_IsString (it))
      cc_strv_builder_append (&b, it->valuestring);
  return cc_strv_builder_steal (&b);
}

static void
strv_extend (char ***v, char *const *more)
{
  for (char *const *m = more; m && *m; m++)
    cc_strv_append (v, *m);
}

/* A duration of the view: 0 or not set means the default, as in Docker's
   API for healthchecks (and, here, for stop_grace_period).  */
static int64_t
ms_or (int64_t ms, int64_t dflt)
{
  return ms > 0 ? ms : dflt;
}

/* ---- process ------------------------------------------------------------ */

/* Docker's rule: a service entrypoint replaces the image's and drops its
   cmd; a service command replaces the cmd only.  */
static int
set_args (struct cc_runtime_spec *s, const struct cc_service *svc, const struct cc_image_config *cfg, cc_error_t *err)
{
  cleanup_strv char **args = NULL;

  if (svc->entrypoint)
    args = cc_strv_dup (svc->entrypoint);
  else
    args = cc_strv_dup (cfg->entrypoint ? cfg->entrypoint : (char *[]){ NULL });
  if (svc->command)
    strv_extend (&args, svc->command);
  else if (svc->entrypoint == NULL)
    strv_extend (&args, cfg->cmd);
  if (args == NULL || *args == NULL)
    return cc_error_make (err, EINVAL, "no command: the image has no Entrypoint or Cmd and the service sets neither");
  s->args = steal_pointer (&args);
  return 0;
}

/* The service's values replace the image's, which go; the image may
   have many, so the service's names are looked up in a map rather than
   each found by a walk of the image's list.  */
static void
set_env (struct cc_runtime_spec *s, const struct cc_service *svc, const struct cc_image_config *cfg)
{
  const struct cc_kv_list *env = &svc->environment;
  cleanup_strmap struct cc_strmap service = { 0 };
  struct cc_strv_builder out = { 0 };

  for (size_t i = 0; i < env->n; i++)
    if (env->items[i].value)
      cc_strmap_put (&service, env->items[i].name, (void *)&env->items[i]);
  for (char *const *it = cfg->env; it && *it; it++)
    {
      cleanup_free char *name = xstrndup (*it, strcspn (*it, "="));
      if (cc_strmap_get (&service, name) == NULL)
        cc_strv_builder_append (&out, *it);
    }
  for (size_t i = 0; i < env->n; i++)
    if (env->items[i].value)
      cc_strv_builder_push (&out, xasprintf ("%s=%s", env->items[i].name, env->items[i].value));
  s->env = cc_strv_builder_steal (&out);
}

/* The container's name, cut to the 64 bytes sethostname(2) takes.  */
static char *
name_as_hostname (const char *name)
{
  size_t n = strnlen (name, 64);

  while (n > 1 && (name[n - 1] == '-' || name[n - 1] == '.'))
    n--;
  return xstrndup (name, n);
}

/* The service whose network namespace SVC shares through `service:`,
   followed to the one that owns it (bounded: the validator refuses a
   cycle), and the name of its first container in *NAME.  */
static const struct cc_service *
namespace_owner (const struct cc_project *p, const struct cc_service *svc, char **name)
{
  const struct cc_service *s = svc;

  for (size_t hops = 0; s->network_mode == CC_NETWORK_MODE_SERVICE && hops <= p->view->n_services; hops++)
    {
      const struct cc_service *next = cc_project_service (p, s->network_mode_target);
      if (next == NULL)
        break;
      s = next;
    }
  if (s != svc)
    *name = cc_engine_service_container_name (p->name, s, 1);
  return s;
}

/* The hostname container OWNER was given, from the spec ccompose
   recorded for it (never a file the container can write), or NULL.  */
static char *
recorded_hostname (const char *owner)
{
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;

  if (cc_runtime_spec_of (owner, &spec, NULL) < 0 || spec->hostname == NULL)
    return NULL;
  return xstrdup (spec->hostname);
}

/* Docker's default: the first 12 hex digits of the recorded id;
   containers made before ids were recorded keep the digest of their
   name (lib/paths.c).  */
static char *
short_id (const char *id, const char *name)
{
  if (id && strlen (id) >= 12)
    return xstrndup (id, 12);
  return cc_paths_container_hostname (name);
}

char *
cc_engine_hostname (const struct cc_project *p, const struct cc_service *svc, const char *name, const char *id)
{
  cleanup_free char *owner_name = NULL;
  struct utsname u;
  char *shared = NULL;

  if (svc->hostname)
    return xstrdup (svc->hostname);
  if (svc->network_mode == CC_NETWORK_MODE_HOST && uname (&u) == 0)
    return xstrdup (u.nodename);
  /* service:x and container:x: x's hostname, as Docker gives it (x
     exists by then: an implicit dependency, or a container named).  */
  if (svc->network_mode == CC_NETWORK_MODE_SERVICE)
    namespace_owner (p, svc, &owner_name);
  if (svc->network_mode == CC_NETWORK_MODE_CONTAINER)
    owner_name = xstrdup (svc->network_mode_target);
  if (owner_name && (shared = recorded_hostname (owner_name)))
    return shared;
  if (svc->container_name)
    return name_as_hostname (name);
  return short_id (id, name);
}

char *
cc_engine_etc_dir (const struct cc_project *p, const struct cc_service *svc, const char *name)
{
  cleanup_free char *owner_name = NULL;

  if (svc->network_mode == CC_NETWORK_MODE_SERVICE)
    namespace_owner (p, svc, &owner_name);
  return cc_engine_container_dir (owner_name ? owner_name : name);
}

static void
set_process (struct cc_runtime_spec *s, const struct cc_project *p, const struct cc_service *svc,
             const struct cc_image_config *cfg, const char *name, const char *id)
{
  const char *image_wd = cfg->working_dir && *cfg->working_dir ? cfg->working_dir : "/";

  s->cwd = xstrdup (svc->working_dir ? svc->working_dir : image_wd);
  if (svc->user || (cfg->user && *cfg->user))
    s->user = xstrdup (svc->user ? svc->user : cfg->user);
  s->group_add = svc->group_add ? cc_strv_dup (svc->group_add) : NULL;
  s->hostname = cc_engine_hostname (p, svc, name, id);
  if (svc->domainname)
    s->domainname = xstrdup (svc->domainname);
  s->init = svc->init;
  s->terminal = svc->tty;
  s->stdin_open = svc->stdin_open;
}

/* ---- mounts --------------------------------------------------------------- */

/* A mount of the service as volumes/ takes it: a named volume by its
   full name.  */
static int
vmount_of (const struct cc_project *p, const struct cc_mount *m, struct cc_vmount *out, cc_error_t *err)
{
  const struct cc_volume *vol;

  *out = (struct cc_vmount){
    .source = m->source,
    .target = m->target,
    .read_only = m->read_only,
    .create_host_path = m->bind.create_host_path,
    .propagation = m->bind.propagation,
    .recursive = m->bind.recursive,
    .nocopy = m->volume.nocopy,
    .subpath = m->volume.subpath,
    .tmpfs_size = m->tmpfs.size,
    .has_tmpfs_mode = m->tmpfs.mode >= 0,
    .tmpfs_mode = (uint32_t)(m->tmpfs.mode >= 0 ? m->tmpfs.mode : 0),
  };
  switch (m->type)
    {
    case CC_MOUNT_TYPE_BIND:
      out->type = CC_VMOUNT_BIND;
      /* As Docker: these say how a read-only bind is read-only.  */
      if (m->bind.recursive && ! m->read_only
          && (strcmp (m->bind.recursive, "writable") == 0 || strcmp (m->bind.recursive, "readonly") == 0))
        return cc_error_make (err, EINVAL, "bind recursive `%s` needs `read_only: true`", m->bind.recursive);
      return 0;
    case CC_MOUNT_TYPE_TMPFS:
      out->type = CC_VMOUNT_TMPFS;
      return 0;
    case CC_MOUNT_TYPE_VOLUME:
      out->type = CC_VMOUNT_VOLUME;
      if (m->source == NULL)
        return 0;
      if ((vol = cc_project_volume (p, m->source)) == NULL)
        return cc_error_make (err, ENOENT, "volume `%s` is not declared in the top-level volumes", m->source);
      out->source = vol->name;
      return 0;
    default:
      return cc_error_make (err, ENOTSUP, "volume type `%s` is not supported", cc_mount_type_name (m->type));
    }
}

/* `type: image`: the image's layers, read-only, pinned for the container
   as its own image is (cc_image_unpin of the container drops both), so
   no `image rm` or GC takes them while it exists.  */
static int
add_image_mount (struct cc_runtime_spec *s, const struct cc_mount *m, const char *owner, cc_error_t *err)
{
  cleanup_image struct cc_image *img = NULL;
  cleanup_strv char **dirs = NULL;

  if (cc_image_acquire (m->source, owner, &img, err) < 0)
    return cc_error_wrap (err, "image `%s` for the mount on `%s`", m->source, m->target);
  for (size_t i = 0; img->layers && img->layers[i]; i++)
    cc_strv_append (&dirs, img->layers[i]);
  if (dirs == NULL)
    return cc_error_make (err, EINVAL, "image `%s` for the mount on `%s` has no layers", m->source, m->target);
  s->mounts = xreallocarray (s->mounts, s->n_mounts + 2, sizeof (*s->mounts));
  s->mounts[s->n_mounts++] = (struct cc_runtime_mount){
    .type = xstrdup ("image"),
    .source = cc_strv_join (dirs, ":"),
    .target = xstrdup (m->target),
    .options = cc_strv_split ("ro,nosuid,nodev", ',', true),
  };
  /* Resolved beneath the image's root by the runtime (runtime/mount.c).  */
  if (m->image.subpath)
    cc_strv_push (&s->mounts[s->n_mounts - 1].options, xasprintf ("subpath=%s", m->image.subpath));
  return 0;
}

static int
add_image_mounts (struct cc_runtime_spec *s, const struct cc_service *svc, const char *name, cc_error_t *err)
{
  size_t k = 0;

  for (size_t i = 0; i < svc->n_mounts; i++)
    {
      cleanup_free char *owner = NULL;
      if (svc->mounts[i].type != CC_MOUNT_TYPE_IMAGE)
        continue;
      owner = cc_image_pin_owner_extra (name, k++);
      if (add_image_mount (s, &svc->mounts[i], owner, err) < 0)
        return -1;
    }
  return 0;
}

/* Whether the service mounts something at TARGET already.  */
static bool
mounts_at (const struct cc_vmount *m, size_t n, const char *target)
{
  cleanup_free char *clean = cc_path_clean (target);

  for (size_t i = 0; i < n; i++)
    if (strcmp (m[i].target, clean) == 0)
      return true;
  return false;
}

/* The service's volumes and `tmpfs:` entries, through volumes/, then an
   anonymous volume for each of the image's VOLUMEs the service leaves
   alone, as Docker gives one.  */
static int
set_mounts (struct cc_runtime_spec *s, const struct cc_project *p, const struct cc_service *svc,
            const struct cc_image *img, const char *name, cc_error_t *err)
{
  size_t n = 0, n_specs = 0, n_image = cc_strv_len (img->config.volumes);
  cleanup_free struct cc_vmount *m = xzalloc ((svc->n_mounts + svc->n_tmpfs + n_image + 1) * sizeof (*m));
  cleanup_strv char **image_targets = xzalloc (sizeof (char *));
  cleanup_free char *dir = cc_engine_container_dir (name);
  struct cc_vmount_spec *specs = NULL;

  for (size_t i = 0; i < svc->n_mounts; i++)
    if (svc->mounts[i].type != CC_MOUNT_TYPE_IMAGE && vmount_of (p, &svc->mounts[i], &m[n++], err) < 0)
      return cc_error_wrap (err, "volume `%s`", svc->mounts[i].target);
  for (size_t i = 0; i < svc->n_tmpfs; i++)
    m[n++] = (struct cc_vmount){
      .type = CC_VMOUNT_TMPFS,
      .target = svc->tmpfs[i].target,
      .options = svc->tmpfs[i].options,
    };
  for (char *const *v = img->config.volumes; v && *v; v++)
    if (**v == '/' && ! mounts_at (m, n, *v))
      {
        cc_strv_push (&image_targets, cc_path_clean (*v));
        m[n++]
            = (struct cc_vmount){ .type = CC_VMOUNT_VOLUME, .target = image_targets[cc_strv_len (image_targets) - 1] };
      }
  if (cc_volumes_attach (name, dir, m, n, img->layers, &specs, &n_specs, err) < 0)
    return -1;
  s->mounts = xreallocarray (NULL, n_specs + 1, sizeof (*s->mounts));
  for (size_t i = 0; i < n_specs; i++)
    s->mounts[i] = (struct cc_runtime_mount){
      .type = steal_pointer (&specs[i].type),
      .source = steal_pointer (&specs[i].source),
      .target = steal_pointer (&specs[i].target),
      .options = steal_pointer (&specs[i].options),
    };
  s->n_mounts = n_specs;
  cc_vmount_specs_free (specs, n_specs);
  if (add_image_mounts (s, svc, name, err) < 0)
    return -1;
  return cc_engine_file_mounts (s, p, svc, dir, err);
}

/* ---- volumes_from ------------------------------------------------------------ */

/* `volumes_from: [SERVICE[:ro|rw], service:SERVICE[:MODE], container:NAME[:MODE]]`:
   the container whose mounts to share (a service's first container, as
   Compose) and the mode, NULL to keep each mount's own.  */
static int
volumes_from_source (const struct cc_project *p, const char *entry, char **name, const char **mode, cc_error_t *err)
{
  cleanup_strv char **parts = cc_strv_split (entry, ':', false);
  size_t n = cc_strv_len (parts), first = 0;
  bool is_container = n > 1 && strcmp (parts[0], "container") == 0;
  const struct cc_service *other;

  if (is_container || (n > 1 && strcmp (parts[0], "service") == 0))
    first = 1;
  *mode = n > first + 1 ? parts[first + 1] : NULL;
  if (n == 0 || n > first + 2 || *parts[first] == '\0' || (*mode && strcmp (*mode, "ro") && strcmp (*mode, "rw")))
    return cc_error_make (err, EINVAL, "invalid volumes_from `%s` ([service:|container:]NAME[:ro|:rw])", entry);
  /* MODE points into PARTS: keep it in the entry instead.  */
  if (*mode)
    *mode = entry + strlen (entry) - 2;
  if (is_container)
    {
      *name = xstrdup (parts[first]);
      return 0;
    }
  if ((other = cc_project_service (p, parts[first])) == NULL)
    return cc_error_make (err, ENOENT, "volumes_from: no such service `%s`", parts[first]);
  *name = cc_engine_service_container_name (p->name, other, 1);
  return 0;
}

static bool
has_mount_at (const struct cc_runtime_spec *s, const char *target)
{
  for (size_t i = 0; i < s->n_mounts; i++)
    if (strcmp (s->mounts[i].target, target) == 0)
      return true;
  return false;
}

/* A mount of the source, its mode as asked; nothing else of the
   source's options (create_host_path was its business).  */
static struct cc_runtime_mount
shared_mount (const struct cc_runtime_mount *m, const char *mode)
{
  char **opts = xzalloc (sizeof (char *));
  bool ro = mode ? strcmp (mode, "ro") == 0 : cc_strv_contains (m->options, "ro");

  for (char *const *o = m->options; o && *o; o++)
    if (strcmp (*o, "ro") != 0 && strcmp (*o, "rw") != 0 && strcmp (*o, "create_host_path") != 0)
      cc_strv_append (&opts, *o);
  if (ro)
    cc_strv_append (&opts, "ro");
  return (struct cc_runtime_mount){ xstrdup (m->type), xstrdup (m->source), xstrdup (m->target), opts };
}

/* As Docker: the source's volumes and binds (not its tmpfs), at the same
   targets, below the container's own mounts, which win a target.  */
static int
add_volumes_from (struct cc_runtime_spec *s, const struct cc_project *p, const struct cc_service *svc, cc_error_t *err)
{
  for (char *const *v = svc->volumes_from; v && *v; v++)
    {
      cleanup_runtime_spec struct cc_runtime_spec *src = NULL;
      cleanup_free char *name = NULL;
      const char *mode = NULL;

      if (volumes_from_source (p, *v, &name, &mode, err) < 0)
        return -1;
      if (cc_runtime_spec_of (name, &src, err) < 0)
        return cc_error_wrap (err, "volumes_from `%s`", *v);
      for (size_t i = 0; i < src->n_mounts; i++)
        {
          const struct cc_runtime_mount *m = &src->mounts[i];
          if (strcmp (m->type, "bind") != 0 || has_mount_at (s, m->target))
            continue;
          s->mounts = xreallocarray (s->mounts, s->n_mounts + 2, sizeof (*s->mounts));
          s->mounts[s->n_mounts++] = shared_mount (m, mode);
        }
    }
  return 0;
}

/* ---- limits and security ------------------------------------------------- */

/* blkio_config's lists as the runtime takes them: "PATH N".  */
static void
set_blkio (struct cc_runtime_resources *r, const struct cc_blkio *b)
{
  char **const *dst[CC_BLKIO_N_LISTS] = {
    [CC_BLKIO_WEIGHT_DEVICE] = &r->blkio_weight_device, [CC_BLKIO_READ_BPS] = &r->blkio_read_bps,
    [CC_BLKIO_WRITE_BPS] = &r->blkio_write_bps,         [CC_BLKIO_READ_IOPS] = &r->blkio_read_iops,
    [CC_BLKIO_WRITE_IOPS] = &r->blkio_write_iops,
  };

  r->blkio_weight = b->weight;
  for (int l = 0; l < CC_BLKIO_N_LISTS; l++)
    for (size_t i = 0; i < b->n[l]; i++)
      cc_strv_push ((char ***)dst[l], xasprintf ("%s %lld", b->lists[l][i].path, (long long)b->lists[l][i].value));
}

static void
set_resources (struct cc_runtime_spec *s, const struct cc_service *svc)
{
  const struct cc_resource_spec *limits = &svc->deploy.limits;
  double cpus = svc->cpus > 0 ? svc->cpus : limits->cpus;

  s->resources.memory = svc->mem_limit ? svc->mem_limit : limits->memory;
  s->resources.memory_swap = svc->memswap_limit;
  s->resources.memory_reservation = svc->mem_reservation ? svc->mem_reservation : svc->deploy.reservations.memory;
  s->resources.pids_limit = svc->pids_limit ? svc->pids_limit : limits->pids;
  s->resources.cpu_shares = svc->cpu_shares;
  if (cpus > 0)
    {
      s->resources.cpu_period = 100000;
      /* Saturated: a huge cpus value is the cgroup's to refuse, not UB.  */
      s->resources.cpu_quota = cc_double_clamp_int64 (cpus * 100000);
    }
  if (svc->cpu_quota || svc->cpu_period)
    {
      s->resources.cpu_quota = svc->cpu_quota;
      s->resources.cpu_period = svc->cpu_period;
    }
  s->resources.cpuset_cpus = svc->cpuset ? xstrdup (svc->cpuset) : NULL;
  s->resources.cpu_rt_runtime = svc->cpu_rt_runtime;
  s->resources.cpu_rt_period = svc->cpu_rt_period;
  s->resources.memory_swappiness = svc->mem_swappiness;
  s->resources.oom_kill_disable = svc->oom_kill_disable == 1;
  set_blkio (&s->resources, &svc->blkio);
  for (size_t i = 0; i < svc->n_devices; i++)
    cc_strv_push (&s->resources.devices,
                  xasprintf ("%s:%s:%s", svc->devices[i].source, svc->devices[i].target, svc->devices[i].permissions));
  s->resources.device_rules = svc->device_cgroup_rules ? cc_strv_dup (svc->device_cgroup_rules) : NULL;
  s->oom_score_adj = svc->oom_score_adj;
  s->shm_size = svc->shm_size ? svc->shm_size : 64 << 20; /* Docker's default */
}

static int
set_ulimits (struct cc_runtime_spec *s, const struct cc_service *svc, cc_error_t *err)
{
  for (size_t i = 0; i < svc->n_ulimits; i++)
    {
      const struct cc_ulimit *u = &svc->ulimits[i];
      int resource = cc_runtime_rlimit_from_name (u->name);
      if (resource < 0)
        return cc_error_make (err, EINVAL, "unknown ulimit `%s`", u->name);
      s->rlimits = xreallocarray (s->rlimits, s->n_rlimits + 1, sizeof (*s->rlimits));
      /* Through int64 so that -1 wraps to RLIM_INFINITY, as in Docker.  */
      s->rlimits[s->n_rlimits++] = (struct cc_runtime_rlimit){
        .resource = resource,
        .soft = (uint64_t)u->soft,
        .hard = (uint64_t)u->hard,
      };
    }
  return 0;
}

/* Docker's defaults for a container in a network namespace of its own,
   unless the service sets them: a non-root process may bind port 80 and
   send ICMP echo (moby's daemon/oci_linux.go, WithSysctls).  */
static const struct cc_kv netns_sysctls[] = {
  { .name = "net.ipv4.ip_unprivileged_port_start", .value = "0" },
  { .name = "net.ipv4.ping_group_range", .value = "0 2147483647" },
};

static bool
owns_netns (const struct cc_service *svc)
{
  return svc->network_mode == CC_NETWORK_MODE_DEFAULT || svc->network_mode == CC_NETWORK_MODE_BRIDGE
         || svc->network_mode == CC_NETWORK_MODE_NONE;
}

static void
set_security (struct cc_runtime_spec *s, const struct cc_service *svc)
{
  s->cap_add = cc_strv_dup (svc->cap_add);
  s->cap_drop = cc_strv_dup (svc->cap_drop);
  s->privileged = svc->privileged;
  s->read_only = svc->read_only;
  s->seccomp = ! s->privileged && ! svc->security_opt.seccomp_unconfined;
  s->no_new_privileges = svc->security_opt.no_new_privileges == 1;
  s->sysctls = xzalloc (sizeof (char *));
  for (size_t i = 0; i < svc->sysctls.n; i++)
    if (svc->sysctls.items[i].value)
      cc_strv_push (&s->sysctls, xasprintf ("%s=%s", svc->sysctls.items[i].name, svc->sysctls.items[i].value));
  for (size_t i = 0; owns_netns (svc) && i < CC_N_ELEMENTS (netns_sysctls); i++)
    if (cc_kv_get (&svc->sysctls, netns_sysctls[i].name) == NULL)
      cc_strv_push (&s->sysctls, xasprintf ("%s=%s", netns_sysctls[i].name, netns_sysctls[i].value));
}

/* pid, ipc and uts to the runtime's modes: `service:x` is x's first
   container (which starts first: an implicit dependency), as
   network_mode's (engine/ops.c).  */
static char *
ns_mode (const struct cc_project *p, const char *mode)
{
  const struct cc_service *target;
  cleanup_free char *name = NULL;

  if (mode == NULL || strncmp (mode, "service:", 8) != 0)
    return mode ? xstrdup (mode) : NULL;
  target = cc_project_service (p, mode + 8);
  name
      = target ? cc_engine_service_container_name (p->name, target, 1) : cc_paths_container_name (p->name, mode + 8, 1);
  return xasprintf ("container:%s", name);
}

static void
set_namespaces (struct cc_runtime_spec *s, const struct cc_project *p, const struct cc_service *svc)
{
  s->pid_mode = ns_mode (p, svc->pid);
  s->ipc_mode = ns_mode (p, svc->ipc);
  s->uts_mode = ns_mode (p, svc->uts);
  s->cgroupns_host = svc->cgroup_host;
  /* Docker: an empty --cgroup-parent is the default one.  */
  if (svc->cgroup_parent && *svc->cgroup_parent)
    s->cgroup_parent = xstrdup (svc->cgroup_parent);
}

/* ---- lifecycle: stop, restart, healthcheck, logs ---------------------------- */

static const enum cc_restart_policy restart_policies[] = {
  [CC_RESTART_MODE_NO] = CC_RESTART_NO,
  [CC_RESTART_MODE_ALWAYS] = CC_RESTART_ALWAYS,
  [CC_RESTART_MODE_ON_FAILURE] = CC_RESTART_ON_FAILURE,
  [CC_RESTART_MODE_UNLESS_STOPPED] = CC_RESTART_UNLESS_STOPPED,
};

/* deploy.restart_policy, as Docker Compose maps it when `restart:` is
   absent: none -> no, on-failure -> on-failure[:max_attempts], any (the
   default) -> always.  */
static const enum cc_restart_policy condition_policies[] = {
  [CC_CONDITION_NONE] = CC_RESTART_NO,
  [CC_CONDITION_ON_FAILURE] = CC_RESTART_ON_FAILURE,
  [CC_CONDITION_ANY] = CC_RESTART_ALWAYS,
};

static void
set_deploy_restart (struct cc_runtime_spec *s, const struct cc_service *svc)
{
  int64_t attempts = svc->deploy.restart_policy.max_attempts;

  s->restart = condition_policies[svc->deploy.restart_policy.condition];
  if (s->restart == CC_RESTART_ON_FAILURE && attempts > 0)
    s->restart_max = (int)(attempts < (1 << 30) ? attempts : 1 << 30);
}

static int
set_lifecycle (struct cc_runtime_spec *s, const struct cc_service *svc, const struct cc_image_config *cfg,
               cc_error_t *err)
{
  const char *sig = svc->stop_signal ? svc->stop_signal : cfg->stop_signal;

  s->stop_signal = SIGTERM;
  if (sig && cc_runtime_parse_signal (sig, &s->stop_signal, err) < 0)
    return cc_error_wrap (err, "stop_signal");
  s->stop_grace_ms = ms_or (svc->stop_grace_period_ms, 10000);
  if (svc->restart.set)
    {
      s->restart = restart_policies[svc->restart.mode];
      s->restart_max = (int)svc->restart.max_retries;
    }
  else if (svc->deploy.restart_policy.set)
    set_deploy_restart (s, svc);
  s->log_driver = svc->log_driver ? xstrdup (svc->log_driver) : NULL;
  s->log_max_size = svc->log_max_size;
  s->log_max_file = (int)(svc->log_max_file < 100 ? svc->log_max_file : 100);
  s->log_compress = svc->log_compress;
  s->log_nonblocking = svc->log_nonblocking;
  s->log_max_buffer = svc->log_max_buffer_size;
  s->log_address = svc->log_address ? xstrdup (svc->log_address) : NULL;
  s->log_format = svc->log_format ? xstrdup (svc->log_format) : NULL;
  s->log_facility = svc->log_driver && strcmp (svc->log_driver, "syslog") == 0 ? svc->log_facility : 3;
  s->log_cache_disabled = svc->log_cache_disabled;
  return 0;
}

static char **
image_test (const struct cc_image_config *cfg)
{
  return cfg->healthcheck && cfg->healthcheck->test ? cc_strv_dup (cfg->healthcheck->test) : NULL;
}

/* An image's healthcheck duration (ns) in ms, or DFLT when it has none.  */
static int64_t
image_ms (const struct cc_image_healthcheck *ih, int64_t ns, int64_t dflt)
{
  return ih && ns ? ns / 1000000 : dflt;
}

/* The service's healthcheck overrides the image's key by key, with
   Docker's defaults for what neither sets.  */
static void
set_health (struct cc_runtime_spec *s, const struct cc_service *svc, const struct cc_image_config *cfg)
{
  const struct cc_healthcheck *hc = &svc->healthcheck;
  const struct cc_image_healthcheck *ih = cfg->healthcheck, none = { 0 };
  const struct cc_image_healthcheck *i = ih ? ih : &none;
  struct cc_runtime_health *h = &s->health;

  if (hc->disable)
    return;
  h->test = hc->test ? cc_strv_dup (hc->test) : image_test (cfg);
  if (h->test == NULL || *h->test == NULL || strcmp (h->test[0], "NONE") == 0)
    {
      cc_strv_free (h->test);
      h->test = NULL;
      return;
    }
  h->interval_ms = ms_or (hc->interval_ms, image_ms (ih, i->interval_ns, 30000));
  h->timeout_ms = ms_or (hc->timeout_ms, image_ms (ih, i->timeout_ns, 30000));
  h->start_period_ms = ms_or (hc->start_period_ms, image_ms (ih, i->start_period_ns, 0));
  /* Docker probes every 5 s during start_period; probing fast there is what
     makes a health-gated `up` quick (a 5 s first probe is most of its wait), and costs nothing
     once the service is healthy.  */
  h->start_interval_ms = ms_or (hc->start_interval_ms, image_ms (ih, i->start_interval_ns, 250));
  h->retries = (int)(hc->retries > 0 ? hc->retries : i->retries ? i->retries : 3);
}

/* ---- the spec ----------------------------------------------------------------- */

/* Docker binds hosts, resolv.conf and hostname for every network mode
   (the host's too).  */
static void
set_files (struct cc_runtime_spec *s, const struct cc_project *p, const struct cc_service *svc, const char *name,
           const char *netns)
{
  cleanup_free char *dir = cc_engine_container_dir (name);
  cleanup_free char *etc = cc_engine_etc_dir (p, svc, name);

  s->layers = NULL;
  s->owner = xstrdup (p->name);
  s->upper = cc_path_join (dir, "upper");
  s->work = cc_path_join (dir, "work");
  s->hosts_file = cc_path_join (etc, "hosts");
  s->resolv_conf = cc_path_join (etc, "resolv.conf");
  s->hostname_file = cc_path_join (etc, "hostname");
  if (netns)
    s->netns = xstrdup (netns);
}

/* The platform of "os/arch" as the builder names them.  */
static char *
image_platform (const struct cc_image_config *cfg)
{
  cleanup_free char *spec = xasprintf ("%s/%s", cfg->os ?: "linux", cfg->architecture ?: "");
  cleanup_free char *why = NULL;

  return cc_builder_normalize_platform (spec, &why);
}

/* `platform:` as Docker honours it, on a host that runs its own
   architecture only (ccompose emulates none): the host's platform, and
   an image of that platform.  */
int
cc_engine_check_platform (const struct cc_service *svc, const struct cc_image *img, cc_error_t *err)
{
  cleanup_free char *host = cc_builder_host_platform (), *want = NULL, *why = NULL, *have = NULL;

  if (svc->platform == NULL)
    return 0;
  want = cc_builder_normalize_platform (svc->platform, &why);
  if (want == NULL)
    return cc_compose_error_at (err, &svc->platform_pos, "service `%s`: platform %s", svc->name, why);
  if (strcmp (want, host) != 0)
    return cc_compose_error_at (err, &svc->platform_pos,
                                "service `%s`: platform `%s`: ccompose runs the host's platform (%s) only, "
                                "without emulation",
                                svc->name, svc->platform, host);
  have = img ? image_platform (&img->config) : NULL;
  if (have && strcmp (have, want) != 0)
    return cc_compose_error_at (err, &svc->platform_pos,
                                "service `%s`: image `%s` is for %s, not for the platform `%s` asked for", svc->name,
                                svc->image ?: svc->name, have, svc->platform);
  return 0;
}

int
cc_engine_build_spec (const struct cc_project *p, const struct cc_service *svc, const struct cc_image *img,
                      const char *name, const char *id, const char *netns, struct cc_runtime_spec **out,
                      cc_error_t *err)
{
  struct cc_runtime_spec *s = cc_runtime_spec_new ();
  cleanup_runtime_spec struct cc_runtime_spec *guard = s;

  if (cc_engine_check_platform (svc, img, err) < 0)
    return -1;
  set_files (s, p, svc, name, netns);
  s->layers = cc_strv_dup (img->layers);
  set_env (s, svc, &img->config);
  set_process (s, p, svc, &img->config, name, id);
  set_resources (s, svc);
  set_security (s, svc);
  set_namespaces (s, p, svc);
  set_health (s, svc, &img->config);
  /* Every change goes to the events journal; a container behind a
     published port also has its balancer follow it.  */
  s->on_change = cc_engine_on_change (p->name, svc->n_ports > 0 && netns);
  s->loopback6_ports = netns ? cc_engine_loopback6_ports (p, svc) : NULL;
  if (set_args (s, svc, &img->config, err) < 0 || set_mounts (s, p, svc, img, name, err) < 0
      || add_volumes_from (s, p, svc, err) < 0 || set_ulimits (s, svc, err) < 0
      || set_lifecycle (s, svc, &img->config, err) < 0)
    return cc_error_wrap (err, "service `%s`", svc->name);
  *out = steal_pointer (&guard);
  return 0;
}

int
cc_engine_set_log_attrs (struct cc_runtime_spec *s, const struct cc_service *svc, const cJSON *entry, const char *name,
                         cc_error_t *err)
{
  cleanup_cjson cJSON *labels = cc_engine_service_labels (svc, entry);
  const char *tmpl = cc_kv_get (&svc->log_options, "tag");
  const struct cc_log_tag_info info = {
    .id = cc_json_get_string (entry, "id"),
    .name = name,
    .image_name = svc->image ?: name,
    .image_id = cc_json_get_string (entry, "image_id"),
  };
  cleanup_free char *tag = NULL, *why = NULL;

  bool syslog = s->log_driver && strcmp (s->log_driver, "syslog") == 0;

  /* json-file adds a tag only when one is asked for (Docker's "no default
     template"); syslog's is the short id by default.  */
  if (syslog && tmpl == NULL)
    tmpl = "{{.ID}}";
  if (tmpl && (tag = cc_log_tag_expand (tmpl, &info, &why)) == NULL)
    return cc_error_make (err, EINVAL, "service `%s`: logging option tag: %s", svc->name, why);
  if (syslog)
    s->log_tag = steal_pointer (&tag);
  else
    s->log_attrs = cc_log_attrs (&svc->log_options, labels, s->env, tag);
  /* `run` relays a one-off container's output from its log file, where
     Docker attaches to it whatever the driver: such a container keeps
     its file even with `none`.  */
  if (cc_json_get_bool (entry, "oneoff", false) && s->log_driver && strcmp (s->log_driver, "none") == 0)
    {
      free (s->log_driver);
      s->log_driver = NULL;
    }
  return 0;
}
