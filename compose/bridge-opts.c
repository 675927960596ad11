/* The bridge driver's options (issue 15): a network's `driver_opts`, and
   `network create -o`, read as Docker's bridge driver reads them.  Docker
   ignores an option it does not know; here it is an error naming it, as
   any key ccompose does not honour.  */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

/* The kernel's bounds of an Ethernet device's MTU: 68 is IPv4's minimum
   (RFC 791), 65535 the largest any driver takes.  */
#define MTU_MIN 68
#define MTU_MAX 65535
/* The prefix and the index after it fit the kernel's 15 characters.  */
#define IFACE_PREFIX_MAX 12

/* Go's strconv.ParseBool, which Docker reads these booleans with.  */
static int
parse_bool (const char *v, bool *out)
{
  static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
  static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

  for (size_t i = 0; i < CC_N_ELEMENTS (yes); i++)
    if (strcmp (v, yes[i]) == 0 || strcmp (v, no[i]) == 0)
      {
        *out = strcmp (v, yes[i]) == 0;
        return 0;
      }
  return -1;
}

static const char *
set_mtu (struct cc_bridge_opts *o, const char *v)
{
  char *end;
  long mtu = strtol (v, &end, 10);

  if (! isdigit ((unsigned char)*v) || *end != '\0' || mtu < MTU_MIN || mtu > MTU_MAX)
    return "an MTU is a number from 68 to 65535";
  o->mtu = (int)mtu;
  return NULL;
}

static const char *
set_icc (struct cc_bridge_opts *o, const char *v)
{
  bool on;

  if (parse_bool (v, &on) < 0)
    return "true or false";
  o->no_icc = ! on;
  return NULL;
}

static const char *
set_masquerade (struct cc_bridge_opts *o, const char *v)
{
  bool on;

  if (parse_bool (v, &on) < 0)
    return "true or false";
  o->no_masquerade = ! on;
  return NULL;
}

static const char *
set_host_binding (struct cc_bridge_opts *o, const char *v)
{
  struct in_addr a;

  if (inet_pton (AF_INET, v, &a) != 1)
    return "an IPv4 address";
  o->host_binding_ipv4 = v;
  return NULL;
}

/* A name the kernel takes (dev_valid_name) once an index follows it.  */
static const char *
set_iface_prefix (struct cc_bridge_opts *o, const char *v)
{
  size_t n = strlen (v);

  if (n == 0 || n > IFACE_PREFIX_MAX)
    return "1 to 12 characters, so that the interface's name fits the kernel's 15";
  for (const char *c = v; *c; c++)
    if (! isalnum ((unsigned char)*c) && ! strchr ("_-", *c))
      return "letters, digits, `_` and `-` only";
  o->iface_prefix = v;
  return NULL;
}

/* DESIGN.md: every host resource carries our prefix, which is how the
   residue check tells ours from the host's.  */
static const char *
refuse_bridge_name (struct cc_bridge_opts *o, const char *v)
{
  (void)o, (void)v;
  return "not supported: ccompose names its bridges itself (cc...), so that what it leaves behind can be found";
}

static const struct
{
  const char *name;
  const char *(*set) (struct cc_bridge_opts *o, const char *value);
} bridge_opts[] = {
  { "com.docker.network.driver.mtu", set_mtu },
  { "com.docker.network.bridge.enable_icc", set_icc },
  { "com.docker.network.bridge.enable_ip_masquerade", set_masquerade },
  { "com.docker.network.bridge.host_binding_ipv4", set_host_binding },
  { "com.docker.network.container_iface_prefix", set_iface_prefix },
  { "com.docker.network.bridge.name", refuse_bridge_name },
};

int
cc_bridge_opt_set (struct cc_bridge_opts *o, const char *name, const char *value, cc_error_t *err)
{
  const char *why;

  for (size_t i = 0; i < CC_N_ELEMENTS (bridge_opts); i++)
    if (strcmp (name, bridge_opts[i].name) == 0)
      {
        if (value == NULL || (why = bridge_opts[i].set (o, value)) != NULL)
          return cc_error_make (err, EINVAL, "driver option `%s`: invalid value `%s`: %s", name, value ? value : "",
                                value ? why : "a value is required");
        return 0;
      }
  return cc_error_make (
      err, ENOTSUP, "driver option `%s` is not supported (the bridge driver's: %s, %s, %s, %s and %s)", name,
      bridge_opts[0].name, bridge_opts[1].name, bridge_opts[2].name, bridge_opts[3].name, bridge_opts[4].name);
}

/* Each network's options, refused where the file wrote them.  */
int
cc_validate_bridge_opts (const cJSON *model, const struct cc_node *root, cc_error_t *err)
{
  const cJSON *nets = cJSON_GetObjectItemCaseSensitive (model, "networks");

  for (const cJSON *n = nets ? nets->child : NULL; n; n = n->next)
    {
      const cJSON *opts = cJSON_GetObjectItemCaseSensitive (n, "driver_opts");
      struct cc_bridge_opts o = { 0 };
      for (const cJSON *k = cJSON_IsObject (opts) ? opts->child : NULL; k; k = k->next)
        {
          cc_error_t e = NULL;
          const struct cc_node *at = cc_node_path (root, "networks", n->string, "driver_opts", k->string, NULL);
          if (cc_bridge_opt_set (&o, k->string, cJSON_IsString (k) ? k->valuestring : NULL, &e) == 0)
            continue;
          cc_error_at (err, at ? at : root, "network `%s`: %s", n->string, e->msg);
          cc_error_release (&e);
          return -1;
        }
    }
  return 0;
}
