/* `network create|ls|inspect|rm|prune` (issue 15): Docker's own networks,
   made without a compose file, that compose files then declare
   `external: true`, and the networks compose projects made, shown as
   Docker shows them.  The network state is network/'s; this file turns
   Docker's flags into a network spec and applies Docker's filters.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"

/* Docker's name rule for what it names ([a-zA-Z0-9][a-zA-Z0-9_.-]*); the
   length keeps the bridge's alias, which carries the name, within the
   kernel's IFALIASZ (network/network.c, cc_net_link_alias).  */
#define NAME_MAX_LEN 128

static int
check_name (const char *name, cc_error_t *err)
{
  static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

  if (name == NULL || *name == '\0')
    return cc_error_make (err, EINVAL, "a network name is required");
  if (strlen (name) > NAME_MAX_LEN)
    return cc_error_make (err, EINVAL, "invalid network name \"%.20s...\": longer than %d characters", name,
                          NAME_MAX_LEN);
  if (strchr ("_.-", name[0]) || name[strspn (name, allowed)] != '\0')
    return cc_error_make (err, EINVAL, "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
  return 0;
}

/* --subnet, --gateway and --ip-range may each be given once per family,
   as Docker pairs them: the IPv6 one is the one with a colon.  */
static int
by_family (char *const *values, const char *flag, const char **v4, const char **v6, cc_error_t *err)
{
  for (char *const *v = values; v && *v; v++)
    {
      const char **slot = strchr (*v, ':') ? v6 : v4;
      if (*slot)
        return cc_error_make (err, EINVAL, "%s: one IPv4 and one IPv6 value at most, not `%s` and `%s`", flag, *slot,
                              *v);
      *slot = *v;
    }
  return 0;
}

void
cc_engine_bridge_spec (const struct cc_bridge_opts *b, struct cc_net_spec *spec)
{
  spec->mtu = b->mtu;
  spec->no_icc = b->no_icc;
  spec->no_masquerade = b->no_masquerade;
  spec->host_binding_ipv4 = b->host_binding_ipv4;
  spec->iface_prefix = b->iface_prefix;
}

/* -o KEY=VALUE, as a compose file's driver_opts.  */
static int
set_driver_opts (char *const *opts, struct cc_net_spec *spec, cc_error_t *err)
{
  struct cc_bridge_opts b = { 0 };

  for (char *const *o = opts; o && *o; o++)
    {
      const char *eq = strchr (*o, '=');
      cleanup_free char *key = eq ? xstrndup (*o, (size_t)(eq - *o)) : NULL;
      if (eq == NULL)
        return cc_error_make (err, EINVAL, "invalid option `%s`: KEY=VALUE", *o);
      if (cc_bridge_opt_set (&b, key, eq + 1, err) < 0)
        return -1;
    }
  cc_engine_bridge_spec (&b, spec);
  return 0;
}

int
cc_engine_network_create (const struct cc_engine_network_opts *o, char **id_out, cc_error_t *err)
{
  struct cc_net_spec spec = {
    .project = CC_NET_STANDALONE,
    .name = o->name,
    .full_name = o->name,
    .internal = o->internal,
    .ipv6 = o->ipv6,
    .no_ipv4 = o->no_ipv4,
    .labels = o->labels,
    .aux_addresses = o->aux_addresses,
    .exclusive = true,
  };
  struct cc_net_info info = { 0 };

  if (check_name (o->name, err) < 0 || set_driver_opts (o->driver_opts, &spec, err) < 0)
    return -1;
  if (o->driver && strcmp (o->driver, "bridge") != 0)
    return cc_error_make (err, ENOTSUP, "network driver \"%s\" is not supported: ccompose makes bridge networks",
                          o->driver);
  if (by_family (o->subnets, "--subnet", &spec.subnet, &spec.subnet6, err) < 0
      || by_family (o->gateways, "--gateway", &spec.gateway, &spec.gateway6, err) < 0
      || by_family (o->ip_ranges, "--ip-range", &spec.ip_range, &spec.ip_range6, err) < 0)
    return -1;
  if ((spec.subnet6 || spec.gateway6 || spec.ip_range6) && ! spec.ipv6)
    return cc_error_make (err, EINVAL, "an IPv6 subnet, gateway or range needs --ipv6");
  if ((spec.subnet || spec.gateway || spec.ip_range) && spec.no_ipv4)
    return cc_error_make (err, EINVAL, "an IPv4 subnet, gateway or range needs IPv4 (not --ipv4=false)");
  if (spec.no_ipv4 && ! spec.ipv6)
    return cc_error_make (err, EINVAL, "IPv4 or IPv6 must be enabled (--ipv4=false needs --ipv6)");
  if ((spec.gateway || spec.ip_range || spec.aux_addresses) && spec.subnet == NULL)
    return cc_error_make (err, EINVAL, "--gateway, --ip-range and --aux-address need a --subnet to be in");
  if (cc_network_create (&spec, &info, err) < 0)
    return cc_error_wrap (err, "create network `%s`", o->name);
  *id_out = steal_pointer (&info.id);
  cc_net_info_release (&info);
  return 0;
}

/* ---- ls, inspect: Docker's filters ------------------------------------------ */

static bool
has_containers (const cJSON *n)
{
  const cJSON *c = cJSON_GetObjectItemCaseSensitive (n, "Containers");
  return c && c->child;
}

static bool
is_true (const char *value, cc_error_t *err)
{
  if (strcmp (value, "true") == 0 || strcmp (value, "1") == 0)
    return true;
  if (strcmp (value, "false") != 0 && strcmp (value, "0") != 0)
    cc_error_make (err, EINVAL, "invalid filter value '%s' (true or false)", value);
  return false;
}

static bool
m_name (const cJSON *n, const char *value, cc_error_t *err)
{
  (void)err;
  return strstr (cc_json_get_string (n, "Name"), value) != NULL;
}

static bool
m_id (const cJSON *n, const char *value, cc_error_t *err)
{
  (void)err;
  return strncmp (cc_json_get_string (n, "Id"), value, strlen (value)) == 0;
}

static bool
m_driver (const cJSON *n, const char *value, cc_error_t *err)
{
  (void)err;
  return strcmp (cc_json_get_string (n, "Driver"), value) == 0;
}

static bool
m_scope (const cJSON *n, const char *value, cc_error_t *err)
{
  (void)err;
  return strcmp (cc_json_get_string (n, "Scope"), value) == 0;
}

static bool
m_label (const cJSON *n, const char *value, cc_error_t *err)
{
  (void)err;
  return cc_engine_label_matches (n, value);
}

static bool
m_not_label (const cJSON *n, const char *value, cc_error_t *err)
{
  (void)err;
  return ! cc_engine_label_matches (n, value);
}

/* Docker's predefined networks (bridge, host, none) are "builtin";
   ccompose has none of them, every network is "custom".  */
static bool
m_type (const cJSON *n, const char *value, cc_error_t *err)
{
  (void)n;
  if (strcmp (value, "custom") != 0 && strcmp (value, "builtin") != 0)
    cc_error_make (err, EINVAL, "invalid filter: 'type'='%s'", value);
  return strcmp (value, "custom") == 0;
}

static bool
m_dangling (const cJSON *n, const char *value, cc_error_t *err)
{
  return is_true (value, err) != has_containers (n);
}

typedef bool (*match_fn) (const cJSON *n, const char *value, cc_error_t *err);

static const struct
{
  const char *key;
  match_fn match;
} network_filters[] = {
  { "name", m_name },        { "id", m_id },     { "driver", m_driver },     { "scope", m_scope }, { "label", m_label },
  { "label!", m_not_label }, { "type", m_type }, { "dangling", m_dangling },
};

static bool
filter_matches (const cJSON *n, const char *key, const char *value, cc_error_t *err)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (network_filters); i++)
    if (strcmp (network_filters[i].key, key) == 0)
      return network_filters[i].match (n, value, err);
  cc_error_make (err, EINVAL, "invalid filter '%s'", key);
  return false;
}

/* The networks passing FILTERS; *PROJECTS (may be NULL) their projects.  */
static int
list_filtered (char *const *filters, cJSON **out, char ***projects, cc_error_t *err)
{
  cleanup_cjson cJSON *all = NULL;
  cleanup_cjson cJSON *kept = cJSON_CreateArray ();
  cleanup_strv char **owners = NULL, **kept_owners = xzalloc (sizeof (char *));
  cJSON *next;
  size_t i = 0;

  if (cc_network_inspect_all (&all, &owners, err) < 0)
    return -1;
  for (cJSON *n = all->child; n; n = next, i++)
    {
      bool ok;
      next = n->next;
      if (cc_engine_filters_pass (n, filters, filter_matches, &ok, err) < 0)
        return -1;
      if (! ok)
        continue;
      cJSON_AddItemToArray (kept, cJSON_DetachItemViaPointer (all, n));
      cc_strv_append (&kept_owners, owners[i]);
    }
  *out = steal_pointer (&kept);
  if (projects)
    *projects = steal_pointer (&kept_owners);
  return 0;
}

int
cc_engine_network_list (char *const *filters, cJSON **out, cc_error_t *err)
{
  return list_filtered (filters, out, NULL, err);
}

/* By name, else by id or a prefix of it naming one network, as Docker.  */
int
cc_engine_network_inspect (const char *what, cJSON **out, cc_error_t *err)
{
  cleanup_cjson cJSON *all = NULL;
  cJSON *found = NULL;
  int prefixed = 0;

  if (cc_engine_network_list (NULL, &all, err) < 0)
    return -1;
  for (cJSON *n = all->child; n && found == NULL; n = n->next)
    if (strcmp (cc_json_get_string (n, "Name"), what) == 0)
      found = n;
  for (cJSON *n = all->child; n && found == NULL && *what; n = n->next)
    if (strncmp (cc_json_get_string (n, "Id"), what, strlen (what)) == 0)
      prefixed++;
  for (cJSON *n = all->child; n && found == NULL && prefixed == 1; n = n->next)
    if (strncmp (cc_json_get_string (n, "Id"), what, strlen (what)) == 0)
      found = n;
  if (found == NULL)
    return cc_error_make (err, ENOENT, "no such network: %s", what);
  *out = cJSON_DetachItemViaPointer (all, found);
  return 0;
}

int
cc_engine_network_remove (const char *what, cc_error_t *err)
{
  return cc_network_remove_standalone (what, err);
}

/* Docker removes every network no container uses; ccompose removes those
   `network create` made: a compose project's network goes with its
   `down`, which its state would otherwise still count on.  */
int
cc_engine_network_prune (char *const *filters, char ***removed, cc_error_t *err)
{
  cleanup_cjson cJSON *list = NULL;
  cleanup_strv char **projects = NULL;
  cc_error_t errors = NULL, one = NULL;
  size_t i = 0;

  *removed = xzalloc (sizeof (char *));
  if (list_filtered (filters, &list, &projects, err) < 0)
    return -1;
  for (const cJSON *n = list->child; n; n = n->next, i++)
    {
      const char *name = cc_json_get_string (n, "Name");
      if (has_containers (n) || strcmp (projects[i], CC_NET_STANDALONE) != 0)
        continue;
      if (cc_network_remove_standalone (name, &one) < 0)
        {
          cc_error_append (&errors, &one);
          continue;
        }
      cc_strv_append (removed, name);
    }
  if (errors == NULL)
    return 0;
  *err = errors;
  return -1;
}
