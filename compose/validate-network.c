/* Checks of what a service asks of its interfaces on each network:
   MAC addresses, interface names, link-local addresses.  Docker takes
   them as they come and fails (or misbehaves) inside the daemon; here
   they fail at the line that wrote them, before anything exists.  */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

static const cJSON *
networks_of (const cJSON *svc)
{
  const cJSON *nets = cJSON_GetObjectItemCaseSensitive (svc, "networks");

  return cJSON_IsObject (nets) ? nets->child : NULL;
}

/* The kernel's IFNAMSIZ less its terminating NUL (dev_valid_name).  */
#define IFNAME_MAX 15

/* "02:42:ac:11:00:02" (or with `-`) into its six bytes.  */
static bool
parse_mac (const char *s, unsigned char mac[6])
{
  for (int i = 0; i < 6; i++, s += 3)
    {
      if (! isxdigit ((unsigned char)s[0]) || ! isxdigit ((unsigned char)s[1]))
        return false;
      if (s[2] != (i == 5 ? '\0' : ':') && (i == 5 || s[2] != '-'))
        return false;
      mac[i] = (unsigned char)strtoul ((char[]){ s[0], s[1], '\0' }, NULL, 16);
    }
  return true;
}

/* A unicast address the kernel gives an interface: bit 0 of the first
   byte set is a group address, and all zeros is refused by the kernel
   (is_valid_ether_addr).  */
static const char *
mac_problem (const char *s)
{
  unsigned char mac[6], zero[6] = { 0 };

  if (! parse_mac (s, mac))
    return "not a MAC address (six hex bytes, as 02:42:ac:11:00:02)";
  if (mac[0] & 1)
    return "a multicast address cannot be an interface's";
  if (memcmp (mac, zero, sizeof (mac)) == 0)
    return "the zero address cannot be an interface's";
  return NULL;
}

/* The same address however it was written.  */
static char *
canonical_mac (const char *s)
{
  unsigned char m[6] = { 0 };

  parse_mac (s, m);
  return xasprintf ("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* compose-spec's order of connection: higher `priority` first, then by
   name (the order Docker Compose attaches them in).  */
static const cJSON *
primary_network (const cJSON *svc)
{
  const cJSON *best = NULL;

  for (const cJSON *n = networks_of (svc); n; n = n->next)
    {
      int64_t p = cc_json_get_int (n, "priority", 0), bp = best ? cc_json_get_int (best, "priority", 0) : 0;
      if (best == NULL || p > bp || (p == bp && strcmp (n->string, best->string) < 0))
        best = n;
    }
  return best;
}

static const struct cc_node *
at_key (const struct cc_node *root, const char *svc, const char *net, const char *key)
{
  const struct cc_node *at = net ? cc_node_path (root, "services", svc, "networks", net, key, NULL)
                                 : cc_node_path (root, "services", svc, key, NULL);

  return at ? at : root;
}

/* The MAC a service asks for on network NET: its own there, or the
   service-level one on its primary network (as Docker Compose gives it).  */
static const char *
mac_on (const cJSON *svc, const cJSON *net, bool *service_level)
{
  const char *mac = cc_json_get_string (net, "mac_address");

  *service_level = false;
  if (mac == NULL && net == primary_network (svc))
    {
      mac = cc_json_get_string (svc, "mac_address");
      *service_level = mac != NULL;
    }
  return mac;
}

static int
check_macs (const struct cc_node *root, const cJSON *svc, cc_error_t *err)
{
  const char *own = cc_json_get_string (svc, "mac_address"), *why;
  const cJSON *primary = primary_network (svc);
  const char *there = primary ? cc_json_get_string (primary, "mac_address") : NULL;

  if (own && (why = mac_problem (own)) != NULL)
    return cc_error_at (err, at_key (root, svc->string, NULL, "mac_address"), "service `%s`: mac_address `%s`: %s",
                        svc->string, own, why);
  for (const cJSON *n = networks_of (svc); n; n = n->next)
    {
      const char *mac = cc_json_get_string (n, "mac_address");
      if (mac && (why = mac_problem (mac)) != NULL)
        return cc_error_at (err, at_key (root, svc->string, n->string, "mac_address"),
                            "service `%s`: mac_address `%s` on network `%s`: %s", svc->string, mac, n->string, why);
    }
  if (own && there && strcasecmp (own, there) != 0)
    return cc_error_at (err, at_key (root, svc->string, NULL, "mac_address"),
                        "service `%s`: mac_address `%s` differs from `%s` given on its primary network `%s`",
                        svc->string, own, there, primary->string);
  return 0;
}

/* Two services with one MAC on one network: their frames would go to
   whichever the bridge learnt last.  */
static int
check_mac_clash (const struct cc_node *root, const cJSON *services, const cJSON *svc, const cJSON *net, cc_error_t *err)
{
  bool own_level, other_level;
  const char *mac = mac_on (svc, net, &own_level);
  cleanup_free char *want = mac ? canonical_mac (mac) : NULL;

  for (const cJSON *o = services->child; want && o != svc; o = o->next)
    {
      const cJSON *onet
          = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (o, "networks"), net->string);
      const char *omac = onet ? mac_on (o, onet, &other_level) : NULL;
      cleanup_free char *have = omac ? canonical_mac (omac) : NULL;
      if (have && strcmp (have, want) == 0)
        return cc_error_at (err, at_key (root, svc->string, own_level ? NULL : net->string, "mac_address"),
                            "services `%s` and `%s` both have mac_address `%s` on network `%s`", o->string, svc->string,
                            mac, net->string);
    }
  return 0;
}

/* As the kernel's dev_valid_name: what it refuses, refused at the line.  */
static const char *
ifname_problem (const char *s)
{
  if (*s == '\0' || strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return "not an interface name";
  if (strlen (s) > IFNAME_MAX)
    return "longer than 15 characters";
  for (; *s; s++)
    if (*s == '/' || *s == ':' || isspace ((unsigned char)*s))
      return "no `/`, `:` or white space in an interface name";
  return NULL;
}

static int
check_ifnames (const struct cc_node *root, const cJSON *svc, cc_error_t *err)
{
  const char *why;

  for (const cJSON *n = networks_of (svc); n; n = n->next)
    {
      const char *name = cc_json_get_string (n, "interface_name");
      if (name == NULL)
        continue;
      if ((why = ifname_problem (name)) != NULL)
        return cc_error_at (err, at_key (root, svc->string, n->string, "interface_name"),
                            "service `%s`: interface_name `%s` on network `%s`: %s", svc->string, name, n->string, why);
      for (const cJSON *o = networks_of (svc); o != n; o = o->next)
        if (strcmp (cc_json_get_string (o, "interface_name") ?: "", name) == 0)
          return cc_error_at (err, at_key (root, svc->string, n->string, "interface_name"),
                              "service `%s`: interface_name `%s` on networks `%s` and `%s`", svc->string, name,
                              o->string, n->string);
    }
  return 0;
}

/* Docker takes any address but the unspecified one.  */
static int
check_link_local (const struct cc_node *root, const cJSON *svc, cc_error_t *err)
{
  for (const cJSON *n = networks_of (svc); n; n = n->next)
    {
      const cJSON *ips = cJSON_GetObjectItemCaseSensitive (n, "link_local_ips");
      for (const cJSON *ip = cJSON_IsArray (ips) ? ips->child : NULL; ip; ip = ip->next)
        if (! cJSON_IsString (ip) || ! cc_is_ip_address (ip->valuestring) || strcmp (ip->valuestring, "0.0.0.0") == 0
            || strcmp (ip->valuestring, "::") == 0)
          return cc_error_at (err, at_key (root, svc->string, n->string, "link_local_ips"),
                              "service `%s`: invalid link_local_ips entry `%s` on network `%s`", svc->string,
                              cJSON_IsString (ip) ? ip->valuestring : "", n->string);
    }
  return 0;
}

int
cc_validate_endpoints (const cJSON *model, const struct cc_node *root, cc_error_t *err)
{
  const cJSON *services = cJSON_GetObjectItemCaseSensitive (model, "services");

  for (const cJSON *svc = services ? services->child : NULL; svc; svc = svc->next)
    if (check_macs (root, svc, err) < 0 || check_ifnames (root, svc, err) < 0 || check_link_local (root, svc, err) < 0)
      return -1;
  for (const cJSON *svc = services ? services->child : NULL; svc; svc = svc->next)
    for (const cJSON *n = networks_of (svc); n; n = n->next)
      if (check_mac_clash (root, services, svc, n, err) < 0)
        return -1;
  return 0;
}
