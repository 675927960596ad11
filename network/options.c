/* The bridge driver's options and aux addresses of a network (issue 15):
   recorded with the network, and what attach, the rules and inspect make
   of them.  Kept apart from network.c and endpoint.c, which only call
   in here.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"
#include "network/ipam.h"
#include "network/netimpl.h"

#define OPT_ICC "com.docker.network.bridge.enable_icc"
#define OPT_MASQUERADE "com.docker.network.bridge.enable_ip_masquerade"
#define OPT_HOST_BINDING "com.docker.network.bridge.host_binding_ipv4"
#define OPT_IFACE_PREFIX "com.docker.network.container_iface_prefix"

/* The aux addresses of NET, an object of names.  */
static const cJSON *
first_aux (const cJSON *net)
{
  const cJSON *aux = cJSON_GetObjectItemCaseSensitive (net, "aux_addresses");

  return cJSON_IsObject (aux) ? aux->child : NULL;
}

static int
record_aux (cJSON *net, char *const *aux, cc_error_t *err)
{
  struct cc_ipv4_net subnet;
  uint32_t gw;
  cJSON *o;

  if (cc_json_get_string (net, "subnet") == NULL)
    return cc_error_make (err, EINVAL, "aux addresses need IPv4 on the network");
  if (cc_ipv4_net_parse (cc_json_get_string (net, "subnet"), &subnet, err) < 0
      || cc_ipv4_parse (cc_json_get_string (net, "gateway"), &gw) < 0)
    return cc_error_make (err, EINVAL, "network state: bad subnet or gateway");
  o = cJSON_CreateObject ();
  cJSON_AddItemToObject (net, "aux_addresses", o);
  for (char *const *a = aux; a && *a; a++)
    {
      const char *eq = strchr (*a, '=');
      cleanup_free char *name = eq ? xstrndup (*a, (size_t)(eq - *a)) : NULL;
      cleanup_free char *ip = NULL;
      uint32_t addr;

      if (eq == NULL || eq == *a)
        return cc_error_make (err, EINVAL, "aux address `%s`: NAME=IP", *a);
      if (cc_ipam_check_aux (&subnet, gw, name, eq + 1, &addr, err) < 0)
        return -1;
      ip = cc_ipv4_format (addr);
      cc_json_set_string (o, name, ip);
    }
  return 0;
}

int
cc_net_options_record (cJSON *net, const struct cc_net_spec *spec, cc_error_t *err)
{
  if (spec->no_icc)
    cc_json_set_bool (net, "icc", false);
  if (spec->no_masquerade)
    cc_json_set_bool (net, "masquerade", false);
  if (spec->host_binding_ipv4)
    cc_json_set_string (net, "host_binding_ipv4", spec->host_binding_ipv4);
  if (spec->iface_prefix)
    cc_json_set_string (net, "iface_prefix", spec->iface_prefix);
  return spec->aux_addresses && *spec->aux_addresses ? record_aux (net, spec->aux_addresses, err) : 0;
}

void
cc_net_options_inspect (const cJSON *net, cJSON *options)
{
  if (! cc_json_get_bool (net, "icc", true))
    cc_json_set_string (options, OPT_ICC, "false");
  if (! cc_json_get_bool (net, "masquerade", true))
    cc_json_set_string (options, OPT_MASQUERADE, "false");
  if (cc_json_get_string (net, "host_binding_ipv4"))
    cc_json_set_string (options, OPT_HOST_BINDING, cc_json_get_string (net, "host_binding_ipv4"));
  if (cc_json_get_string (net, "iface_prefix"))
    cc_json_set_string (options, OPT_IFACE_PREFIX, cc_json_get_string (net, "iface_prefix"));
}

cJSON *
cc_net_options_aux_inspect (const cJSON *net)
{
  const cJSON *aux = cJSON_GetObjectItemCaseSensitive (net, "aux_addresses");

  return cJSON_IsObject (aux) && aux->child ? cJSON_Duplicate (aux, true) : NULL;
}

void
cc_net_options_reserved (const cJSON *net, uint32_t **used, size_t *n)
{
  for (const cJSON *a = first_aux (net); a; a = a->next)
    {
      *used = xreallocarray (*used, *n + 1, sizeof (**used));
      if (cJSON_IsString (a) && cc_ipv4_parse (a->valuestring, &(*used)[*n]) == 0)
        (*n)++;
    }
}

int
cc_net_options_check_fixed (const cJSON *net, const char *fixed, cc_error_t *err)
{
  for (const cJSON *a = first_aux (net); a && fixed; a = a->next)
    if (cJSON_IsString (a) && strcmp (a->valuestring, fixed) == 0)
      return cc_error_make (err, EADDRINUSE, "address %s is reserved (aux address `%s` of network `%s`)", fixed,
                            a->string, cc_json_get_string (net, "name"));
  return 0;
}

void
cc_net_options_host_binding (const cJSON *net, struct cc_net_port *ports, size_t n)
{
  const char *ip = cc_json_get_string (net, "host_binding_ipv4");

  for (size_t i = 0; ip && i < n; i++)
    if (ports[i].host_ip[0] == '\0')
      snprintf (ports[i].host_ip, sizeof (ports[i].host_ip), "%s", ip);
}

const char *
cc_net_options_iface_prefix (const cJSON *net)
{
  return cc_json_get_string (net, "iface_prefix") ?: "eth";
}
