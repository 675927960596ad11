/* One container's life as the engine sees it: create with its netns,
   network endpoints and files; status; removal of everything it owns.  */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "image/image.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"
#include "runtime/runtime.h"
#include "volumes/volumes.h"

char *
cc_engine_container_status (const char *name, char **health)
{
  cleanup_cjson cJSON *st = NULL;
  const char *status;

  if (health)
    *health = NULL;
  if (cc_runtime_state (name, &st, NULL) < 0)
    return xstrdup ("missing");
  status = cc_json_get_string (st, "status");
  if (health && cc_json_get_string (cJSON_GetObjectItemCaseSensitive (st, "health"), "Status"))
    *health = xstrdup (cc_json_get_string (cJSON_GetObjectItemCaseSensitive (st, "health"), "Status"));
  return xstrdup (status ? status : "unknown");
}

/* ---- networking of one container ------------------------------------------ */

static const char minimal_hosts[] = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

/* network_mode -> the netns path to join (NULL: the host's), and whether
   the container owns it.  */
static int
resolve_netns (const struct cc_project *p, const struct cc_service *svc, const char *name, char **path, bool *owned,
               cc_error_t *err)
{
  *path = NULL;
  *owned = false;
  switch (svc->network_mode)
    {
    case CC_NETWORK_MODE_HOST:
      return 0;
    case CC_NETWORK_MODE_SERVICE:
      {
        const struct cc_service *target = cc_project_service (p, svc->network_mode_target);
        cleanup_free char *other = target ? cc_engine_service_container_name (p->name, target, 1)
                                          : cc_paths_container_name (p->name, svc->network_mode_target, 1);
        *path = cc_netns_path (other);
        return 0;
      }
    case CC_NETWORK_MODE_CONTAINER:
      *path = cc_netns_path (svc->network_mode_target);
      return 0;
    case CC_NETWORK_MODE_NONE:
    case CC_NETWORK_MODE_BRIDGE:
    case CC_NETWORK_MODE_DEFAULT:
    default:
      *owned = true;
      return cc_netns_create (p->name, name, path, err);
    }
}

/* extra_hosts as the network module takes them: "name:ip".  */
static char **
extra_hosts_of (const struct cc_service *svc)
{
  struct cc_strv_builder b = { 0 };

  for (size_t i = 0; i < svc->n_extra_hosts; i++)
    cc_strv_builder_push (&b, xasprintf ("%s:%s", svc->extra_hosts[i].host, svc->extra_hosts[i].ip));
  return cc_strv_builder_steal (&b);
}

/* The address of container TARGET on the first network of SVC it is on
   too (ALL: cc_network_inspect_all's), or NULL.  */
static char *
shared_address (const struct cc_project *p, const struct cc_service *svc, const cJSON *all, const char *target)
{
  for (size_t i = 0; i < svc->n_networks; i++)
    {
      const struct cc_network *net = cc_project_network (p, svc->networks[i].key);
      for (const cJSON *n = net ? all->child : NULL; n; n = n->next)
        {
          const cJSON *c
              = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (n, "Containers"), target);
          const char *addr = cc_json_get_string (c, "IPv4Address");
          if (strcmp (cc_json_get_string (n, "Name") ?: "", net->name) == 0 && addr && *addr)
            return xstrndup (addr, strcspn (addr, "/"));
        }
    }
  return NULL;
}

int
cc_engine_external_links (const struct cc_project *p, const struct cc_service *svc, char ***hosts, cc_error_t *err)
{
  cleanup_cjson cJSON *all = NULL;
  cleanup_strv char **projects = NULL;

  if (svc->external_links == NULL || *svc->external_links == NULL)
    return 0;
  if (cc_network_inspect_all (&all, &projects, err) < 0)
    return -1;
  for (char *const *l = svc->external_links; *l; l++)
    {
      cleanup_free char *target = xstrndup (*l, strcspn (*l, ":"));
      const char *colon = strchr (*l, ':');
      cleanup_free char *ip = shared_address (p, svc, all, target);
      if (ip == NULL)
        return cc_error_make (err, ENOENT,
                              "service `%s`: external_links: no container `%s` on a network the service is on",
                              svc->name, target);
      if (hosts)
        cc_strv_push (hosts, xasprintf ("%s:%s", colon ? colon + 1 : target, ip));
    }
  return 0;
}

/* The full name of an external network KEY of P, NULL for P's own.  */
static const char *
external_name_of (const struct cc_project *p, const char *key)
{
  const struct cc_network *net = cc_project_network (p, key);

  return net && net->external ? net->name : NULL;
}

/* The network that gives the default routes: the highest gw_priority,
   the first connected among equals (Docker's), never an internal one;
   -1 when every one is internal.  With V4, the one of the IPv4 default
   route, among the networks that have IPv4 (Docker 28 picks one per
   family: an `enable_ipv4: false` network gives none, issue 15).  */
static ssize_t
gateway_network (const struct cc_project *p, const struct cc_service *svc, bool v4)
{
  ssize_t best = -1;

  for (size_t i = 0; i < svc->n_networks; i++)
    {
      const struct cc_network *net = cc_project_network (p, svc->networks[i].key);
      if ((net == NULL || (! net->internal && ! (v4 && ! cc_engine_network_has_ipv4 (net))))
          && (best < 0 || svc->networks[i].gw_priority > svc->networks[best].gw_priority))
        best = (ssize_t)i;
    }
  return best;
}

/* The interface names the service's networks ask for: the others' ethN
   skip them.  */
static char **
fixed_ifnames (const struct cc_service *svc)
{
  struct cc_strv_builder b = { 0 };

  for (size_t i = 0; i < svc->n_networks; i++)
    if (svc->networks[i].interface_name)
      cc_strv_builder_push (&b, xstrdup (svc->networks[i].interface_name));
  return cc_strv_builder_steal (&b);
}

static int
attach_networks (const struct cc_project *p, const struct cc_service *svc, const char *name, int number, bool oneoff,
                 const char *netns, const char *hosts, const char *hostname, cc_error_t *err)
{
  cleanup_free struct cc_net_port *ports = NULL;
  cleanup_strv char **extra = extra_hosts_of (svc);
  cleanup_strv char **fixed = fixed_ifnames (svc);
  ssize_t gateway = gateway_network (p, svc, false), gateway4 = gateway_network (p, svc, true);
  bool first = true;

  /* No published port: host port 0, the network chooses a free one
     when it attaches the container, as Docker does.  */
  if (cc_engine_net_ports (svc->ports, svc->n_ports, &ports, err) < 0
      || cc_engine_check_ipv4_ports (p, svc, false, err) < 0 || cc_engine_external_links (p, svc, &extra, err) < 0)
    return -1;
  for (size_t i = 0; i < svc->n_networks; i++)
    {
      const struct cc_service_network *net = &svc->networks[i];
      struct cc_net_endpoint ep = {
        .project = p->name,
        .network = net->key,
        .external_name = external_name_of (p, net->key),
        .container = name,
        .service = svc->name,
        .number = number,
        .oneoff = oneoff,
        .netns_path = netns,
        .ipv4_address = net->ipv4_address,
        .ipv6_address = net->ipv6_address,
        .mac_address = net->mac_address,
        .ifname = net->interface_name,
        .reserved_ifnames = fixed,
        .link_local_ips = net->link_local_ips,
        .no_gateway = gateway >= 0 && (size_t)gateway != i,
        .ipv4_gateway = gateway4 == gateway      ? 0
                        : gateway4 == (ssize_t)i ? 1
                                                 : -1,
        .hostname = hostname,
        .domainname = svc->domainname,
        .aliases = net->aliases,
        .extra_hosts = extra,
        .dns = svc->dns,
        .hosts_path = hosts,
        .ports = first ? ports : NULL,
        .n_ports = first ? svc->n_ports : 0,
        /* In the balancer once it runs, healthy (balance.c).  */
        .held = first && svc->n_ports > 0,
      };
      struct cc_net_attachment a = { 0 };
      if (cc_network_attach (&ep, &a, err) < 0)
        return cc_error_wrap (err, "network `%s`", net->key);
      cc_net_attachment_release (&a);
      first = false;
    }
  return 0;
}

/* network_mode: bridge (issue 15): Docker's default network, one for
   every such container of every project, where names do not resolve
   (resolv_kind) and published ports work.  Made on first use as
   `network create bridge` makes one, and kept once empty, as docker0
   is: removing it with its last container would race the next one's
   attach, and cost a firewall commit each time, for nothing.  */
#define DEFAULT_BRIDGE "bridge"

static int
attach_default_bridge (const struct cc_project *p, const struct cc_service *svc, const char *name, int number,
                       bool oneoff, const char *netns, const char *hosts, const char *hostname, cc_error_t *err)
{
  cleanup_free struct cc_net_port *ports = NULL;
  cleanup_strv char **extra = extra_hosts_of (svc);
  struct cc_net_spec spec = { .project = CC_NET_STANDALONE, .name = DEFAULT_BRIDGE, .full_name = DEFAULT_BRIDGE };
  struct cc_net_info info = { 0 };
  struct cc_net_attachment a = { 0 };

  if (cc_engine_net_ports (svc->ports, svc->n_ports, &ports, err) < 0
      || cc_engine_external_links (p, svc, &extra, err) < 0)
    return -1;
  if (cc_network_create (&spec, &info, err) < 0)
    return cc_error_wrap (err, "network `%s`", DEFAULT_BRIDGE);
  cc_net_info_release (&info);
  struct cc_net_endpoint ep = {
    .project = p->name,
    .network = DEFAULT_BRIDGE,
    .external_name = DEFAULT_BRIDGE,
    .container = name,
    .service = svc->name,
    .number = number,
    .oneoff = oneoff,
    .netns_path = netns,
    .hostname = hostname,
    .domainname = svc->domainname,
    .extra_hosts = extra,
    .dns = svc->dns,
    .hosts_path = hosts,
    .ports = ports,
    .n_ports = svc->n_ports,
  };
  if (cc_network_attach (&ep, &a, err) < 0)
    return cc_error_wrap (err, "network `%s`", DEFAULT_BRIDGE);
  cc_net_attachment_release (&a);
  return 0;
}

/* In place and not fsynced: they are made again whenever the container
   is, and bound on /etc files (a rename would not reach the container).  */
static int
write_file (const char *dir, const char *name, const char *text, cc_error_t *err)
{
  cleanup_free char *path = cc_path_join (dir, name);

  return cc_write_file_in_place (path, text, strlen (text), err);
}

/* Docker's three: a container on networks asks the embedded DNS at
   127.0.0.11 (so does one in another's namespace, service: and
   container:, which asks that one's); host networking keeps the host's
   resolver; network_mode none gets the host's servers but loopback ones.  */
static enum cc_net_resolv_kind
resolv_kind (const struct cc_service *svc)
{
  switch (svc->network_mode)
    {
    case CC_NETWORK_MODE_HOST:
      return CC_NET_RESOLV_HOST;
    case CC_NETWORK_MODE_NONE:
    case CC_NETWORK_MODE_BRIDGE: /* Docker's default network: no embedded DNS */
      return CC_NET_RESOLV_LEGACY;
    default:
      return CC_NET_RESOLV_EMBEDDED;
    }
}

static int
write_files (const struct cc_service *svc, const char *dir, const char *hostname, cc_error_t *err)
{
  cleanup_free char *resolv = cc_path_join (dir, "resolv.conf"), *hn_text = xasprintf ("%s\n", hostname);
  cleanup_free char *hosts = cc_path_join (dir, "hosts");
  cleanup_strv char **extra = extra_hosts_of (svc);
  enum cc_net_resolv_kind kind = resolv_kind (svc);

  if (cc_mkdir_p (dir, 0755, err) < 0 || write_file (dir, "hostname", hn_text, err) < 0)
    return -1;
  /* On networks the attach writes it again with the addresses.  */
  if (kind == CC_NET_RESOLV_HOST ? cc_network_write_hosts_host_mode (hosts, extra, err) < 0
                                 : write_file (dir, "hosts", minimal_hosts, err) < 0)
    return -1;
  return cc_network_write_resolv (resolv, kind, svc->dns, svc->dns_search, svc->dns_opt, err);
}

/* A container recreated in its old network namespace keeps its endpoints,
   but its files went with the old container's directory: the hosts file
   is rendered again from the network's records, with its new hostname.  */
static int
rewrite_hosts (const char *project, const char *name, const char *hostname, cc_error_t *err)
{
  cc_error_t e = NULL;

  if (cc_network_write_hosts (project, name, hostname, &e) == 0)
    return 0;
  /* On no network (network_mode none, service:...): the minimal file.  */
  if (e->status == ENOENT)
    {
      cc_error_release (&e);
      return 0;
    }
  *err = e;
  return -1;
}

/* A container's endpoints are made while the runtime creates it: the
   two meet only in the network namespace, which exists by then, and in
   the hosts file, which the network rewrites in place, so neither needs
   the other done (about 3 ms per container here).  */
struct attach_job
{
  const struct cc_project *p;
  const struct cc_service *svc;
  const cJSON *entry;
  const char *name, *netns, *hosts, *hostname;
  const struct cc_image *img;
  int number;
  bool oneoff;
};

static int
create_runtime (const struct cc_project *p, const struct cc_service *svc, const cJSON *entry, const char *name,
                const struct cc_image *img, const char *netns, cc_error_t *err)
{
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;

  if (cc_engine_build_spec (p, svc, img, name, cc_json_get_string (entry, "id"), netns, &spec, err) < 0
      || cc_engine_set_log_attrs (spec, svc, entry, name, err) < 0)
    return -1;
  /* The host's network: copies of the host's hosts and resolv.conf
   (write_files), as Docker binds them.  The runtime reads a NULL netns
   as "a new empty one", so host mode must be said explicitly.  */
  if (netns == NULL)
    free (spec->netns), spec->netns = xstrdup ("host");
  if (cc_mkdir_p (spec->upper, 0755, err) < 0 || cc_mkdir_p (spec->work, 0700, err) < 0
      || cc_image_pin (name, img->id, err) < 0 || cc_runtime_create (name, spec, err) < 0)
    return -1;
  cc_engine_event (p->name, name, entry, "create", NULL, NULL);
  return 0;
}

/* Each half in a child of its own (engine/parallel.c): a thread would
   do, but the runtime forks the monitor meanwhile, and a fork beside a
   running thread copies memory only that thread can account for.  */
static int
attach_or_create (void *opaque, const char *half, cc_error_t *err)
{
  const struct attach_job *j = opaque;

  if (strcmp (half, "network") == 0 && j->svc->network_mode == CC_NETWORK_MODE_BRIDGE)
    return attach_default_bridge (j->p, j->svc, j->name, j->number, j->oneoff, j->netns, j->hosts, j->hostname, err);
  if (strcmp (half, "network") == 0)
    return attach_networks (j->p, j->svc, j->name, j->number, j->oneoff, j->netns, j->hosts, j->hostname, err);
  return create_runtime (j->p, j->svc, j->entry, j->name, j->img, j->netns, err);
}

static int
create_container (const struct cc_project *p, const struct cc_service *svc, const cJSON *entry, const char *name,
                  bool keep_network, cc_error_t *err)
{
  const char *image_id = cc_json_get_string (entry, "image_id");
  cleanup_free char *dir = cc_engine_container_dir (name), *netns = NULL, *hosts = NULL;
  cleanup_free char *hostname = svc ? cc_engine_hostname (p, svc, name, cc_json_get_string (entry, "id")) : NULL;
  cleanup_image struct cc_image *img = NULL;
  bool owned;

  if (svc == NULL || image_id == NULL)
    return cc_error_make (err, EINVAL, "container `%s`: incomplete state entry", name);
  int64_t t0 = cc_engine_now_ms (), t_img, t_ns;

  hosts = cc_path_join (dir, "hosts");
  if (cc_image_resolve (image_id, &img, err) < 0)
    return cc_error_wrap (err, "container `%s`", name);
  t_img = cc_engine_now_ms ();
  if (write_files (svc, dir, hostname, err) < 0 || (keep_network && rewrite_hosts (p->name, name, hostname, err) < 0)
      || resolve_netns (p, svc, name, &netns, &owned, err) < 0)
    return cc_error_wrap (err, "container `%s`", name);
  t_ns = cc_engine_now_ms ();
  struct attach_job job = {
    .p = p,
    .svc = svc,
    .entry = entry,
    .name = name,
    .netns = netns,
    .hosts = hosts,
    .hostname = hostname,
    .img = img,
    .number = (int)cc_json_get_int (entry, "number", 1),
    /* `run --use-aliases`: named on its networks as the service's replicas are.  */
    .oneoff = cc_json_get_bool (entry, "oneoff", false) && ! cc_json_get_bool (entry, "use_aliases", false),
  };
  char *both[] = { "network", "runtime", NULL };
  bool attach = owned && ! keep_network
                && (svc->network_mode == CC_NETWORK_MODE_DEFAULT || svc->network_mode == CC_NETWORK_MODE_BRIDGE);
  if (cc_engine_run_parallel (attach ? both : both + 1, 2, attach_or_create, &job, err) < 0)
    return cc_error_wrap (err, "container `%s`", name);
  cc_debug ("%s: image %lld ms, files+netns %lld ms, network and runtime %lld ms", name, (long long)(t_img - t0),
            (long long)(t_ns - t_img), (long long)(cc_engine_now_ms () - t_ns));
  return 0;
}

int
cc_engine_create_container (const struct cc_project *p, const struct cc_service *svc, const cJSON *entry,
                            const char *name, cc_error_t *err)
{
  return create_container (p, svc, entry, name, false, err);
}

/* A new container in the old one's network namespace: same address, same
   MAC, same published ports, so peers' ARP caches and conntrack entries
   stay right and nothing is rewired.  */
int
cc_engine_recreate_in_place (const struct cc_project *p, const struct cc_service *svc, const cJSON *entry,
                             const char *name, int64_t timeout_ms, cc_error_t *err)
{
  struct cc_runtime_stop_report r;
  cc_error_t one = NULL;

  if (cc_engine_pre_stop (entry, name, err) < 0)
    return cc_error_wrap (err, "recreate container `%s`", name);
  if (cc_runtime_stop (name, timeout_ms, &r, &one) < 0)
    cc_error_release (&one);
  if (cc_runtime_delete (name, err) < 0 || cc_image_unpin (name, err) < 0 || cc_volumes_detach (name, err) < 0)
    return cc_error_wrap (err, "recreate container `%s`", name);
  return create_container (p, svc, entry, name, true, err);
}

/* ---- removal ------------------------------------------------------------------ */

static int
remove_resources (const char *project, const cJSON *entry, const char *name, int64_t timeout_ms, bool detach,
                  cc_error_t *err)
{
  const cJSON *nets = cJSON_GetObjectItemCaseSensitive (entry, "networks");
  cc_error_t list = NULL, one = NULL;
  struct cc_runtime_stop_report r;

  int64_t t0 = cc_engine_now_ms ();

  /* Its failure is said, and the removal goes on: down removes what it can.  */
  if (cc_engine_pre_stop (entry, name, &one) < 0)
    cc_error_append (&list, &one);
  if (cc_runtime_stop (name, timeout_ms, &r, &one) < 0)
    cc_error_release (&one); /* missing or already stopped: delete handles the rest */
  else if (r.was_running && ! r.signal_caught)
    cc_notice (" ! %s: PID 1 does not handle its stop signal: %s after %.1f s; add `init: true` to the service "
               "or `exec` in its entrypoint",
               name, r.killed ? "killed" : "stopped", (double)r.elapsed_ms / 1000);
  cc_debug ("%s: stopped in %lld ms", name, (long long)(cc_engine_now_ms () - t0));
  /* The container's directory on the data root (cc_engine_container_dir)
     goes with it, made by the engine or not.  */
  if (cc_runtime_delete (name, &one) < 0)
    cc_error_append (&list, &one);
  for (const cJSON *n = detach && nets ? nets->child : NULL; n; n = n->next)
    if (cJSON_IsString (n) && cc_network_detach (project, n->valuestring, name, &one) < 0)
      cc_error_append (&list, &one);
  if (cc_json_get_bool (entry, "owns_netns", true) && cc_netns_remove (name, &one) < 0)
    cc_error_append (&list, &one);
  if (cc_volumes_detach (name, &one) < 0)
    cc_error_append (&list, &one);
  if (cc_image_unpin (name, &one) < 0)
    cc_error_append (&list, &one);
  cc_debug ("%s: removed in %lld ms", name, (long long)(cc_engine_now_ms () - t0));
  if (list == NULL)
    {
      cc_engine_event (project, name, entry, "destroy", NULL, NULL);
      return 0;
    }
  *err = list;
  return cc_error_wrap (err, "remove container `%s`", name);
}

int
cc_engine_remove_resources (const char *project, const cJSON *entry, const char *name, int64_t timeout_ms,
                            cc_error_t *err)
{
  return remove_resources (project, entry, name, timeout_ms, true, err);
}

int
cc_engine_remove_for_down (const char *project, const cJSON *entry, const char *name, int64_t timeout_ms,
                           cc_error_t *err)
{
  return remove_resources (project, entry, name, timeout_ms, false, err);
}

int
cc_engine_remove_container (struct cc_state *st, const char *name, int64_t timeout_ms, cc_error_t *err)
{
  cJSON *containers = cc_state_section (st, "containers");
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive (containers, name);

  if (cc_engine_remove_resources (st->project, entry, name, timeout_ms, err) < 0)
    return -1;
  cJSON_DeleteItemFromObjectCaseSensitive (containers, name);
  return cc_state_save (st, err);
}

/* ---- logs and conditions ----------------------------------------------------- */

char *
cc_engine_last_log_lines (const char *name, int n)
{
  cleanup_close int fd = memfd_create ("logs", MFD_CLOEXEC);
  cleanup_free char *text = NULL;
  cleanup_strv char **lines = NULL;
  struct cc_buf b = { 0 };
  struct stat sb;
  size_t len, first;

  if (fd < 0 || cc_runtime_logs (name, fd, fd, NULL) < 0 || fstat (fd, &sb) < 0)
    return xstrdup ("");
  text = xzalloc ((size_t)sb.st_size + 1);
  if (pread (fd, text, (size_t)sb.st_size, 0) < 0)
    return xstrdup ("");
  lines = cc_strv_split (text, '\n', true);
  len = cc_strv_len (lines);
  first = len > (size_t)n ? len - (size_t)n : 0;
  for (size_t i = first; i < len; i++)
    cc_buf_printf (&b, "    %s\n", lines[i]);
  if (b.len == 0)
    cc_buf_puts (&b, "");
  return cc_buf_steal (&b);
}

/* The last healthcheck's output, trimmed.  */
char *
cc_engine_last_health_output (const char *name)
{
  cleanup_cjson cJSON *st = NULL;
  const cJSON *log, *last;
  const char *out;

  if (cc_runtime_state (name, &st, NULL) < 0)
    return xstrdup ("");
  log = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (st, "health"), "Log");
  last = cJSON_GetArrayItem (log, cJSON_GetArraySize (log) - 1);
  out = cc_json_get_string (last, "Output");
  return xasprintf ("exit code %lld, output: %s", (long long)cc_json_get_int (last, "ExitCode", -1),
                    out && *out ? out : "(none)");
}
