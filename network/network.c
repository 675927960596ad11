/* The sequencers behind network.h: each public call takes the network
   lock, records in state what it is about to create, then creates it.  */
#include "network/network.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/clock.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/firewall.h"
#include "network/firewalld.h"
#include "network/hostns.h"
#include "network/ipam.h"
#include "network/link.h"
#include "network/netimpl.h"
#include "network/state.h"

void
cc_net_info_release (struct cc_net_info *info)
{
  free (info->id);
  free (info->bridge);
  free (info->subnet);
  free (info->gateway);
  memset (info, 0, sizeof (*info));
}

void
cc_net_attachment_release (struct cc_net_attachment *a)
{
  free (a->ifname);
  free (a->ip);
  free (a->gateway);
  memset (a, 0, sizeof (*a));
}

static bool
is_valid_name (const char *s)
{
  return s && *s && strlen (s) < 200 && strpbrk (s, "/ \t\n\"") == NULL;
}

int
cc_net_give_errors (cc_error_t *err, cc_error_t *list)
{
  if (err && *err == NULL)
    *err = steal_pointer (list);
  else if (err)
    cc_error_append (err, list);
  cc_error_release (list);
  return -1;
}

char *
cc_net_link_alias (const char *project, const char *network, const char *container)
{
  if (container)
    return xasprintf ("ccompose%s project %s network %s container %s", cc_paths_net_tag (), project, network,
                      container);
  return xasprintf ("ccompose%s project %s network %s", cc_paths_net_tag (), project, network);
}

/* The name users know NET by (Docker's, `network ls`): its full name.  */
static char *
display_name (const cJSON *net)
{
  const char *full = cc_json_get_string (net, "full_name");

  return full ? xstrdup (full)
              : cc_paths_resource_name (cc_json_get_string (net, "project"), cc_json_get_string (net, "name"));
}

/* Docker's network ids: 32 random bytes in hex (the clock mixes in
   where the pool is not ready, as at early boot).  */
static char *
new_network_id (void)
{
  unsigned char b[32] = { 0 };
  char *hex = xzalloc (2 * sizeof (b) + 1);

  if (getrandom (b, sizeof (b), GRND_NONBLOCK) != (ssize_t)sizeof (b))
    {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      for (size_t i = 0; i < sizeof (b); i++)
        b[i] ^= (unsigned char)((uint64_t)ts.tv_nsec >> (i % 4 * 8) ^ (uint64_t)getpid () >> (i % 3 * 8) ^ i * 131);
    }
  for (size_t i = 0; i < sizeof (b); i++)
    snprintf (hex + 2 * i, 3, "%02x", b[i]);
  return hex;
}

/* Subnets of the networks already recorded, with their names for errors.  */
static void
used_subnets (const cJSON *root, struct cc_ipv4_net **used, char ***names, size_t *n)
{
  const cJSON *net;

  *used = NULL;
  *n = 0;
  for (net = cc_net_first (root, "networks"); net; net = net->next)
    {
      struct cc_ipv4_net s;

      if (cc_ipv4_net_parse (cc_json_get_string (net, "subnet"), &s, NULL) < 0)
        continue;
      *used = xreallocarray (*used, *n + 1, sizeof (**used));
      (*used)[(*n)++] = s;
      cc_strv_push (names, display_name (net));
    }
}

static int
choose_subnet (const cJSON *root, const char *requested, struct cc_ipv4_net *out, cc_error_t *err)
{
  cleanup_nl_sock struct nl_sock *sk = NULL;
  struct cc_ipam_route *routes = NULL;
  cleanup_free struct cc_ipv4_net *used = NULL;
  cleanup_strv char **names = NULL;
  cleanup_free struct cc_ipam_pool *pools = NULL;
  cleanup_free char *spec = NULL;
  size_t n_routes = 0, n_used = 0, n_pools = 0;
  int ret;

  if (cc_nl_open (-1, &sk, err) < 0 || cc_nl_dump_routes (sk, &routes, &n_routes, err) < 0)
    return -1;
  used_subnets (root, &used, &names, &n_used);
  if (requested)
    {
      ret = cc_ipv4_net_parse (requested, out, err);
      if (ret == 0)
        ret = cc_ipam_check_subnet (out, used, names, n_used, routes, n_routes, err);
    }
  else
    {
      spec = cc_ipam_pool_spec (err);
      ret = spec ? cc_ipam_pools_parse (spec, &pools, &n_pools, err) : -1;
      if (ret == 0)
        ret = cc_ipam_pick_subnet (pools, n_pools, used, n_used, routes, n_routes, out, err);
    }
  cc_ipam_routes_free (routes, n_routes);
  return ret;
}

/* IPv6 (issue 17): the same steps over the networks' "subnet6".  */
static void
used_subnets6 (const cJSON *root, struct cc_ipv6_net **used, char ***names, size_t *n)
{
  *used = NULL;
  *n = 0;
  for (const cJSON *net = cc_net_first (root, "networks"); net; net = net->next)
    {
      struct cc_ipv6_net s;

      if (cc_ipv6_net_parse (cc_json_get_string (net, "subnet6"), &s, NULL) < 0)
        continue;
      *used = xreallocarray (*used, *n + 1, sizeof (**used));
      (*used)[(*n)++] = s;
      cc_strv_push (names, display_name (net));
    }
}

/* What the host's ULA /48 derives from: the machine id, as stable as
   Docker's engine id.  */
static char *
host_id (void)
{
  char *id = NULL;

  if (cc_read_file ("/etc/machine-id", &id, NULL, NULL) < 0)
    return xstrdup ("ccompose");
  return id;
}

static int
pick_subnet6 (const struct cc_ipv6_net *used, size_t n_used, const struct cc_ipam_route6 *routes, size_t n_routes,
              struct cc_ipv6_net *out, cc_error_t *err)
{
  cleanup_free char *spec = cc_ipam_pool_spec (err);
  cleanup_free char *id = host_id ();
  cleanup_free struct cc_ipam_pool6 *pools = NULL;
  size_t n_pools = 0;

  if (spec == NULL || cc_ipam_pools6_parse (spec, id, &pools, &n_pools, err) < 0)
    return -1;
  return cc_ipam_pick_subnet6 (pools, n_pools, used, n_used, routes, n_routes, out, err);
}

static int
choose_subnet6 (const cJSON *root, const char *requested, struct cc_ipv6_net *out, cc_error_t *err)
{
  cleanup_nl_sock struct nl_sock *sk = NULL;
  struct cc_ipam_route6 *routes = NULL;
  cleanup_free struct cc_ipv6_net *used = NULL;
  cleanup_strv char **names = NULL;
  size_t n_routes = 0, n_used = 0;
  int ret;

  if (cc_nl_open (-1, &sk, err) < 0 || cc_nl_dump_routes6 (sk, &routes, &n_routes, err) < 0)
    return -1;
  used_subnets6 (root, &used, &names, &n_used);
  if (requested)
    {
      ret = cc_ipv6_net_parse (requested, out, err);
      if (ret == 0)
        ret = cc_ipam_check_subnet6 (out, used, names, n_used, routes, n_routes, err);
    }
  else
    ret = pick_subnet6 (used, n_used, routes, n_routes, out, err);
  cc_ipam_routes6_free (routes, n_routes);
  return ret;
}

/* The subnet's first address, as Docker's gateway, unless given.  */
static int
choose_gateway6 (const struct cc_ipv6_net *subnet, const char *requested, struct in6_addr *gw, cc_error_t *err)
{
  if (requested == NULL)
    {
      *gw = subnet->addr;
      gw->s6_addr[15] |= 1;
      return 0;
    }
  if (cc_ipv6_parse (requested, gw) < 0)
    return cc_error_make (err, EINVAL, "invalid gateway `%s`", requested);
  return cc_ipam_check_address6 (subnet, NULL, NULL, 0, gw, err);
}

/* "subnet6", "gateway6" (and "ip_range6") of an IPv6 network.  */
static int
record_ipv6 (const cJSON *root, const struct cc_net_spec *spec, cJSON *net, cc_error_t *err)
{
  struct cc_ipv6_net subnet, range;
  struct in6_addr gw;
  cleanup_free char *subnet_s = NULL, *gw_s = NULL;

  if (choose_subnet6 (root, spec->subnet6, &subnet, err) < 0 || choose_gateway6 (&subnet, spec->gateway6, &gw, err) < 0)
    return -1;
  if (spec->ip_range6 && cc_ipv6_net_parse (spec->ip_range6, &range, err) < 0)
    return -1;
  if (spec->ip_range6 && (range.prefix < subnet.prefix || ! cc_ipv6_net_contains (&subnet, &range.addr)))
    return cc_error_make (err, EINVAL, "ip_range `%s` is not inside the subnet", spec->ip_range6);
  subnet_s = cc_ipv6_net_format (&subnet);
  gw_s = cc_ipv6_format (&gw);
  cc_json_set_string (net, "subnet6", subnet_s);
  cc_json_set_string (net, "gateway6", gw_s);
  if (spec->ip_range6)
    cc_json_set_string (net, "ip_range6", spec->ip_range6);
  return 0;
}

static int
choose_gateway (const struct cc_ipv4_net *subnet, const char *requested, uint32_t *gw, cc_error_t *err)
{
  if (requested == NULL)
    {
      *gw = subnet->addr + 1;
      return 0;
    }
  if (cc_ipv4_parse (requested, gw) < 0)
    return cc_error_make (err, EINVAL, "invalid gateway `%s`", requested);
  return cc_ipam_check_address (subnet, 0, NULL, 0, *gw, err);
}

static bool
bridge_name_taken (const cJSON *root, const char *name)
{
  const cJSON *net;
  cleanup_nl_sock struct nl_sock *sk = NULL;

  for (net = cc_net_first (root, "networks"); net; net = net->next)
    if (strcmp (cc_json_get_string (net, "bridge") ?: "", name) == 0)
      return true;
  /* A link of that name we did not record belongs to someone else.  */
  return cc_nl_open (-1, &sk, NULL) < 0 || cc_nl_link_index (sk, name) >= 0;
}

static char *
choose_bridge (const cJSON *root, const char *project, const char *network)
{
  for (unsigned salt = 0;; salt++)
    {
      char *name = cc_bridge_name (cc_paths_net_tag (), project, network, salt);

      if (! bridge_name_taken (root, name))
        return name;
      free (name);
    }
}

static char *
full_name_of (const struct cc_net_spec *spec)
{
  return spec->full_name ? xstrdup (spec->full_name) : cc_paths_resource_name (spec->project, spec->name);
}

/* As `docker network inspect` keeps them: {"KEY": "VALUE"}.  */
static void
set_labels (cJSON *net, char *const *labels)
{
  cJSON *o = cJSON_CreateObject ();

  for (char *const *l = labels; l && *l; l++)
    {
      cleanup_free char *key = xstrndup (*l, strcspn (*l, "="));
      const char *eq = strchr (*l, '=');
      cc_json_set_string (o, key, eq ? eq + 1 : "");
    }
  cc_json_set (net, "labels", o);
}

static void
set_full_name (cJSON *net, const struct cc_net_spec *spec)
{
  cleanup_free char *full = full_name_of (spec);

  cc_json_set_string (net, "full_name", full);
}

/* Two networks of one full name would make an external reference to it
   ambiguous (Docker has one network per name).  */
static int
check_full_name_free (cJSON *root, const struct cc_net_spec *spec, cc_error_t *err)
{
  cleanup_free char *full = full_name_of (spec);
  const cJSON *other = cc_net_state_find_by_full_name (root, full);

  if (other && spec->exclusive)
    return cc_error_make (err, EEXIST, "network with name %s already exists", full);
  if (other == NULL
      || (strcmp (cc_json_get_string (other, "project") ?: "", spec->project) == 0
          && strcmp (cc_json_get_string (other, "name") ?: "", spec->name) == 0))
    return 0;
  return cc_error_make (err, EEXIST, "network name `%s` is already used by project `%s` (network `%s`)", full,
                        cc_json_get_string (other, "project"), cc_json_get_string (other, "name"));
}

/* "subnet", "gateway" (and "ip_range") of a network with IPv4.  */
static int
record_ipv4 (const cJSON *root, const struct cc_net_spec *spec, cJSON *net, cc_error_t *err)
{
  struct cc_ipv4_net subnet, range;
  uint32_t gw;
  cleanup_free char *subnet_s = NULL, *gw_s = NULL;

  /* No context added here: the caller names the network.  */
  if (choose_subnet (root, spec->subnet, &subnet, err) < 0 || choose_gateway (&subnet, spec->gateway, &gw, err) < 0)
    return -1;
  if (spec->ip_range && cc_ipv4_net_parse (spec->ip_range, &range, err) < 0)
    return -1;
  if (spec->ip_range && (range.prefix < subnet.prefix || ! cc_ipv4_net_contains (&subnet, range.addr)))
    return cc_error_make (err, EINVAL, "ip_range `%s` is not inside the subnet", spec->ip_range);
  subnet_s = cc_ipv4_net_format (&subnet);
  gw_s = cc_ipv4_format (gw);
  cc_json_set_string (net, "subnet", subnet_s);
  cc_json_set_string (net, "gateway", gw_s);
  if (spec->ip_range)
    cc_json_set_string (net, "ip_range", spec->ip_range);
  return 0;
}

/* Docker 28's checks of `--ipv4=false` (issue 15).  */
static int
check_families (const struct cc_net_spec *spec, cc_error_t *err)
{
  if (! spec->no_ipv4)
    return 0;
  if (! spec->ipv6)
    return cc_error_make (err, EINVAL, "IPv4 or IPv6 must be enabled");
  if (spec->subnet || spec->gateway || spec->ip_range)
    return cc_error_make (err, EINVAL, "IPv4 subnet `%s` on a network with IPv4 disabled",
                          spec->subnet ?: spec->gateway ?: spec->ip_range);
  return 0;
}

static int
record_network (struct cc_net_state *st, const struct cc_net_spec *spec, cJSON **out, cc_error_t *err)
{
  cleanup_free char *bridge = NULL;
  cleanup_free char *here = cc_hostns_current (), *id = new_network_id (), *created = cc_now_rfc3339_nano ();
  cJSON *net;

  if (here == NULL)
    return cc_error_make (err, ENOENT, "identify the network namespace: /proc/thread-self is missing");
  net = cJSON_CreateObject ();
  if (check_families (spec, err) < 0 || (! spec->no_ipv4 && record_ipv4 (st->root, spec, net, err) < 0)
      || (spec->ipv6 && record_ipv6 (st->root, spec, net, err) < 0))
    {
      cJSON_Delete (net);
      return -1;
    }
  bridge = choose_bridge (st->root, spec->project, spec->name);
  cc_json_set_string (net, "project", spec->project);
  cc_json_set_string (net, "name", spec->name);
  set_full_name (net, spec);
  cc_json_set_string (net, "id", id);
  cc_json_set_string (net, "created", created);
  cc_json_set_string (net, "host_netns", here);
  cc_json_set_string (net, "bridge", bridge);
  cc_json_set_int (net, "group", cc_net_group_derive (cc_paths_net_tag (), spec->project, spec->name, bridge));
  cc_json_set_bool (net, "internal", spec->internal);
  cc_json_set_int (net, "mtu", spec->mtu);
  set_labels (net, spec->labels);
  if (cc_net_options_record (net, spec, err) < 0)
    {
      cJSON_Delete (net);
      return -1;
    }
  cc_json_set (net, "members", cJSON_CreateArray ());
  cJSON_AddItemToArray (cc_net_state_array (st->root, "networks"), net);
  *out = net;
  return cc_net_state_save (st, err);
}

/* The IPv6 gateway on the bridge (issue 17).  */
static int
bridge_ipv6 (struct nl_sock *sk, const cJSON *net, cc_error_t *err)
{
  const char *bridge = cc_json_get_string (net, "bridge");
  struct cc_ipv6_net subnet;
  struct in6_addr gw;
  int idx;

  if (cc_json_get_string (net, "subnet6") == NULL)
    return 0;
  if (cc_ipv6_net_parse (cc_json_get_string (net, "subnet6"), &subnet, err) < 0
      || cc_ipv6_parse (cc_json_get_string (net, "gateway6"), &gw) < 0)
    return cc_error_make (err, EINVAL, "network state: bad IPv6 subnet or gateway");
  idx = cc_nl_link_index (sk, bridge);
  if (idx < 0)
    return cc_error_make (err, ENODEV, "bridge `%s` vanished after creation", bridge);
  if (cc_nl_addr_add6 (sk, idx, &gw, subnet.prefix, err) < 0)
    return cc_error_wrap (err, "bridge `%s`", bridge);
  return 0;
}

static int
ensure_bridge (const cJSON *net, cc_error_t *err)
{
  cleanup_nl_sock struct nl_sock *sk = NULL;
  cleanup_free char *alias
      = cc_net_link_alias (cc_json_get_string (net, "project"), cc_json_get_string (net, "name"), NULL);
  struct cc_ipv4_net subnet = { 0, 0 };
  uint32_t gw = 0;

  /* An IPv6-only network's bridge has no IPv4 address (gateway 0).  */
  if (cc_net_has_ipv4 (net)
      && (cc_ipv4_net_parse (cc_json_get_string (net, "subnet"), &subnet, err) < 0
          || cc_ipv4_parse (cc_json_get_string (net, "gateway"), &gw) < 0))
    return cc_error_make (err, EINVAL, "network state: bad subnet or gateway");
  if (cc_nl_open (-1, &sk, err) < 0)
    return -1;
  if (cc_bridge_create (sk, cc_json_get_string (net, "bridge"), alias, (int)cc_json_get_int (net, "mtu", 0),
                        cc_net_group_of (net), gw, subnet.prefix, err)
      < 0)
    return -1;
  return bridge_ipv6 (sk, net, err);
}

/* Only after the firewall commit that guards it (cc_bridge_route_localnet).
   An internal network publishes nothing, nor does a backend without the
   guard: their bridges need no loopback routing.  */
static int
route_localnet (const cJSON *net, cc_error_t *err)
{
  const struct cc_firewall_ops *ops = cc_firewall (err);

  if (ops == NULL)
    return -1;
  if (! ops->guards_loopback || cc_json_get_bool (net, "internal", false))
    return 0;
  return cc_bridge_route_localnet (cc_json_get_string (net, "bridge"), true, err);
}

/* firewalld's zone for the bridge (firewalld.c).  A failure costs what
   a reload of firewalld would (the backends' accepts in its chain hold
   until then): said, not fatal.  */
static void
join_firewalld (struct cc_net_state *st, cJSON *net)
{
  cc_error_t e = NULL;

  if (cc_net_firewalld_join (st, net, &e) < 0)
    {
      cc_warn ("%s", e->msg);
      cc_error_release (&e);
    }
}

static void
fill_info (const cJSON *net, struct cc_net_info *info)
{
  if (info == NULL)
    return;
  info->id = xstrdup (cc_json_get_string (net, "id") ?: "");
  info->bridge = xstrdup (cc_json_get_string (net, "bridge"));
  info->subnet = xstrdup (cc_json_get_string (net, "subnet") ?: "");
  info->gateway = xstrdup (cc_json_get_string (net, "gateway") ?: "");
}

/* An existing network is reused only when it is what the spec asks for:
   silently keeping another subnet would surprise later.  */
static int
check_same_spec (const cJSON *net, const struct cc_net_spec *spec, cc_error_t *err)
{
  const char *subnet = cc_json_get_string (net, "subnet");
  struct cc_ipv4_net want;
  cleanup_free char *want_s = NULL;

  if (spec->subnet && cc_ipv4_net_parse (spec->subnet, &want, err) < 0)
    return -1;
  want_s = spec->subnet ? cc_ipv4_net_format (&want) : NULL;
  if (want_s && strcmp (want_s, subnet ? subnet : "") != 0)
    return cc_error_make (err, EEXIST, "network `%s_%s` exists with subnet %s, not %s: remove it first", spec->project,
                          spec->name, subnet, want_s);
  if ((cc_json_get_string (net, "subnet6") != NULL) != spec->ipv6)
    return cc_error_make (err, EEXIST, "network `%s_%s` exists with enable_ipv6: %s: remove it first", spec->project,
                          spec->name, spec->ipv6 ? "false" : "true");
  if (cc_net_has_ipv4 (net) == spec->no_ipv4)
    return cc_error_make (err, EEXIST, "network `%s_%s` exists with enable_ipv4: %s: remove it first", spec->project,
                          spec->name, spec->no_ipv4 ? "true" : "false");
  if (cc_json_get_bool (net, "internal", false) != spec->internal)
    return cc_error_make (err, EEXIST, "network `%s_%s` exists with internal: %s: remove it first", spec->project,
                          spec->name, spec->internal ? "false" : "true");
  return 0;
}

/* A network of another namespace is changed only there (issue 12 item 4).
   One whose namespace is gone lost its links and rules with it: its
   record goes, and the network is made anew here.  */
static int
claim_from_gone (struct cc_net_state *st, cJSON **net, const char *here, cc_error_t *err)
{
  if (cc_hostns_exists (cc_json_get_string (*net, "host_netns")))
    return cc_hostns_refuse (*net, here, err);
  if (cc_net_remove_locked (st, *net, err) < 0)
    return -1;
  *net = NULL;
  return 0;
}

int
cc_network_create (const struct cc_net_spec *spec, struct cc_net_info *info, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cleanup_free char *here = cc_hostns_current (), *dropped = NULL;
  cJSON *net;
  bool created;

  if (! is_valid_name (spec->project) || ! is_valid_name (spec->name))
    return cc_error_make (err, EINVAL, "invalid project or network name");
  if (spec->mtu < 0 || spec->mtu > 65535)
    return cc_error_make (err, EINVAL, "network `%s`: invalid mtu %d", spec->name, spec->mtu);
  if (cc_net_state_open (&st, err) < 0)
    return -1;
  if (spec->full_name && ! is_valid_name (spec->full_name))
    return cc_error_make (err, EINVAL, "invalid network name `%s`", spec->full_name);
  if (check_full_name_free (st.root, spec, err) < 0)
    return -1;
  net = cc_net_state_find_network (st.root, spec->project, spec->name);
  if (net && ! cc_hostns_is_here (net, here) && claim_from_gone (&st, &net, here, err) < 0)
    return -1;
  if (net && check_same_spec (net, spec, err) < 0)
    return -1;
  if (net && ! cJSON_HasObjectItem (net, "full_name"))
    set_full_name (net, spec);
  created = net == NULL;
  if (created && record_network (&st, spec, &net, err) < 0)
    return -1;
  cc_crash_point ("network recorded");
  if (! spec->internal && cc_hostns_forwarding_on (&st, cc_json_get_string (net, "subnet6") != NULL, err) < 0)
    return -1;
  if (ensure_bridge (net, err) < 0 || cc_firewall_sync (st.root, err) < 0 || route_localnet (net, err) < 0)
    return -1;
  cc_crash_point ("network firewall");
  join_firewalld (&st, net);
  /* Issue 17: where another firewall drops forwarded packets, a silent
     timeout between services is what users got; a new bridge is checked
     once, and what blocks it named.  A warning, not an error, even with
     `up --wait`: the containers run, and the rule is the host's.  */
  if (created && (dropped = cc_net_probe_network (net)) != NULL)
    cc_warn ("%s", dropped);
  fill_info (net, info);
  return 0;
}

uint32_t
cc_net_group_of (const cJSON *net)
{
  const cJSON *g = cJSON_GetObjectItemCaseSensitive (net, "group");

  return cJSON_IsNumber (g) && cc_net_group_is_valid (g->valuedouble) ? (uint32_t)g->valuedouble : 0;
}

/* The host ends of the members' veths, then the bridge (the order of the
   one-by-one path), each with the alias it was given.  The names are
   NET's; the aliases go to *ALIASES.  */
static const char *
last_of (char *const *v)
{
  return v[cc_strv_len (v) - 1];
}

static struct cc_net_link *
links_of (const cJSON *net, char ***aliases, size_t *n)
{
  const char *project = cc_json_get_string (net, "project"), *name = cc_json_get_string (net, "name");
  int members = cJSON_GetArraySize (cJSON_GetObjectItemCaseSensitive (net, "members"));
  struct cc_net_link *v = xzalloc (((size_t)members + 1) * sizeof (*v));
  const cJSON *m;

  *n = 0;
  for (m = cc_net_first (net, "members"); m; m = m->next)
    if (cc_json_get_string (m, "host_veth"))
      {
        cc_strv_push (aliases, cc_net_link_alias (project, name, cc_json_get_string (m, "container")));
        v[(*n)++] = (struct cc_net_link){ cc_json_get_string (m, "host_veth"), last_of (*aliases) };
      }
  cc_strv_push (aliases, cc_net_link_alias (project, name, NULL));
  v[(*n)++] = (struct cc_net_link){ cc_json_get_string (net, "bridge"), last_of (*aliases) };
  return v;
}

/* One batch when the group holds only our links; then (or instead) one
   by one by name, which after a batch finds nothing and costs no grace
   period, but catches a link that was never in the group.  */
static int
delete_links (const cJSON *net, cc_error_t *err)
{
  cleanup_nl_sock struct nl_sock *sk = NULL;
  cleanup_strv char **aliases = NULL;
  size_t n = 0;
  cleanup_free struct cc_net_link *links = links_of (net, &aliases, &n);
  uint32_t group = cc_net_group_of (net);
  bool batched = false;
  cc_error_t list = NULL, e = NULL;

  if (cc_nl_open (-1, &sk, err) < 0)
    return -1;
  if (group && cc_net_group_delete_checked (sk, group, links, n, &batched, &e) < 0)
    {
      cc_debug ("link group %u: %s; deleting one by one", group, e->msg);
      cc_error_release (&e);
      batched = false;
    }
  cc_debug ("network `%s_%s`: links deleted %s", cc_json_get_string (net, "project"), cc_json_get_string (net, "name"),
            batched ? "as one group" : "one by one");
  for (size_t i = 0; i < n; i++)
    if (links[i].name && cc_nl_link_delete (sk, links[i].name, &e) < 0)
      cc_error_append (&list, &e);
  return list ? cc_net_give_errors (err, &list) : 0;
}

/* Firewall first (the builder no longer sees the network or its
   members), then every link, in the namespace the network lives in.  The
   record goes only when all are gone, so a failure can be retried.  A
   namespace that is gone took them all with it.  */
static int
remove_entered (struct cc_net_state *st, cJSON *net, bool gone, cc_error_t *err)
{
  cJSON *nets = cc_net_state_array (st->root, "networks");
  cc_error_t list = NULL, e = NULL;

  cJSON_DetachItemViaPointer (nets, net);
  /* Before the commit that takes its guard away.  */
  if (! gone && cc_bridge_route_localnet (cc_json_get_string (net, "bridge"), false, &e) < 0)
    cc_error_append (&list, &e);
  if (! gone && list == NULL && cc_firewall_sync (st->root, &e) < 0)
    cc_error_append (&list, &e);
  if (! gone && cc_net_firewalld_leave (net, &e) < 0)
    cc_error_append (&list, &e);
  if (! gone && delete_links (net, &e) < 0)
    cc_error_append (&list, &e);
  if (list)
    {
      cJSON_AddItemToArray (nets, net);
      return cc_net_give_errors (err, &list);
    }
  cc_crash_point ("network links deleted");
  if (gone)
    cc_hostns_forwarding_forget (st->root, cc_json_get_string (net, "host_netns"));
  cJSON_Delete (net);
  /* After the links: see cc_netns_remove.  */
  if (cc_net_release_doomed (st->root, &e) < 0)
    cc_error_append (&list, &e);
  if (! gone && cc_hostns_forwarding_restore (st->root, &e) < 0)
    cc_error_append (&list, &e);
  if (cc_net_state_save (st, &e) < 0)
    cc_error_append (&list, &e);
  return list ? cc_net_give_errors (err, &list) : 0;
}

int
cc_net_remove_locked (struct cc_net_state *st, cJSON *net, cc_error_t *err)
{
  cleanup_hostns_visit struct cc_hostns_visit v = CC_HOSTNS_VISIT_INIT;
  int where = cc_hostns_enter (cc_json_get_string (net, "host_netns"), &v, err);

  if (where < 0)
    return -1;
  return remove_entered (st, net, where == CC_HOSTNS_GONE, err);
}

int
cc_network_find_by_name (const char *full_name, char **project, char **name, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  const cJSON *net;

  if (cc_net_state_open (&st, err) < 0)
    return -1;
  net = cc_net_state_find_by_full_name (st.root, full_name);
  if (net == NULL)
    return cc_error_make (err, ENOENT,
                          "network %s declared as external, but could not be found: create it with `ccompose "
                          "network create` or bring up the project that defines it first",
                          full_name);
  *project = xstrdup (cc_json_get_string (net, "project"));
  *name = xstrdup (cc_json_get_string (net, "name"));
  return 0;
}

bool
cc_network_has_ipv4 (const char *full_name)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  const cJSON *net;
  cc_error_t e = NULL;

  if (cc_net_state_open (&st, &e) < 0)
    {
      cc_error_release (&e);
      return true;
    }
  net = cc_net_state_find_by_full_name (st.root, full_name);
  return net == NULL || cc_net_has_ipv4 (net);
}

bool
cc_network_exists (const char *project, const char *name)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cc_error_t e = NULL;

  if (cc_net_state_open (&st, &e) < 0)
    {
      cc_error_release (&e);
      return true; /* unknown: keep the record, a later down retries */
    }
  return cc_net_state_find_network (st.root, project, name) != NULL;
}

int
cc_network_remove (const char *project, const char *name, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cJSON *net, *m;
  cleanup_strv char **left = NULL;
  cleanup_free char *joined = NULL;

  if (cc_net_state_open (&st, err) < 0)
    return -1;
  net = cc_net_state_find_network (st.root, project, name);
  if (net == NULL)
    return 0;
  for (m = cc_net_first (net, "members"); m; m = m->next)
    cc_strv_append (&left, cc_json_get_string (m, "container") ?: "?");
  if (left)
    {
      joined = cc_strv_join (left, ", ");
      return cc_error_make (err, EBUSY, "network `%s_%s` still has containers: %s", project, name, joined);
    }
  if (cc_net_remove_locked (&st, net, err) < 0)
    return cc_error_wrap (err, "remove network `%s_%s`", project, name);
  return 0;
}

int
cc_network_debug_state (char **json, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  char *text;

  if (cc_net_state_open (&st, err) < 0)
    return -1;
  /* Not stored: tests use it to find this root's rules and links.  */
  cc_json_set_string (st.root, "scope_tag", cc_paths_net_tag ());
  text = cJSON_Print (st.root);
  *json = xasprintf ("%s\n", text);
  free (text);
  return 0;
}

/* The state and the rule set the networks of this namespace need, read
   without the lock (saves are atomic); none (*RS empty) when there are
   none.  */
static int
build_unlocked (cJSON **root, struct cc_fw_ruleset *rs, cc_error_t *err)
{
  cleanup_free char *path = cc_net_state_file ();
  cleanup_free char *here = cc_hostns_current ();

  memset (rs, 0, sizeof (*rs));
  *root = NULL;
  if (! cc_file_exists (path) || cc_json_load_file (path, root, NULL) < 0)
    return 0;
  return cc_fw_build (*root, cc_paths_net_tag (), here, rs, err);
}

int
cc_network_repair (cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
  cleanup_cjson cJSON *root = NULL;
  cleanup_strv char **missing = NULL;
  cleanup_free char *joined = NULL;

  if (build_unlocked (&root, &rs, err) < 0)
    return -1;
  if (rs.n_chains == 0)
    return 0;
  if (cc_firewall_missing (&rs, &missing, err) < 0 || cc_net_firewalld_check (root, false, &missing, err) < 0)
    return -1;
  if (missing == NULL || missing[0] == NULL)
    return 0;
  joined = cc_strv_join (missing, "; ");
  cc_warn ("firewall rules of ccompose's networks were changed by another tool, restoring them: %s", joined);
  if (cc_net_state_open (&st, err) < 0 || cc_firewall_sync (st.root, err) < 0)
    return -1;
  return cc_net_firewalld_check (st.root, true, NULL, err);
}

int
cc_network_debug_rules (char **text, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
  cleanup_free char *here = cc_hostns_current ();

  const struct cc_firewall_ops *ops = cc_firewall (err);
  cleanup_free char *why = NULL, *body = NULL;
  const char *detected;

  if (ops == NULL || cc_net_state_open (&st, err) < 0 || cc_fw_build (st.root, cc_paths_net_tag (), here, &rs, err) < 0)
    return -1;
  detected = cc_firewall_detect (&why);
  body = ops == &cc_firewall_nft_ops ? cc_fw_render_nft (&rs) : cc_fw_render (&rs);
  *text = xasprintf ("# firewall backend: %s (the host's iptables: %s, %s)\n%s", ops->name, detected, why, body);
  return 0;
}
