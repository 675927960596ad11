/* `ports:` in every syntax.  One grammar (cc_port_parse) reads a short
   port, for the compose file and for `run -p`; the normalization expands
   it to the long form docker compose config prints: {mode, host_ip,
   target, published, protocol}.  */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char *const protocols[] = { [CC_PORT_TCP] = "tcp", [CC_PORT_UDP] = "udp", [CC_PORT_SCTP] = "sctp" };

const char *
cc_port_protocol_name (enum cc_port_protocol p)
{
  return (size_t)p < CC_N_ELEMENTS (protocols) ? protocols[p] : "tcp";
}

/* Docker lower-cases the protocol before it checks it (go-connections
   nat.ParsePortSpec): "53/UDP" is udp.  */
static int
parse_protocol (const char *s, enum cc_port_protocol *out)
{
  cleanup_free char *lower = xstrdup (s);

  for (char *c = lower; *c; c++)
    *c = (char)tolower ((unsigned char)*c);
  for (size_t i = 0; i < CC_N_ELEMENTS (protocols); i++)
    if (strcmp (lower, protocols[i]) == 0)
      {
        *out = (enum cc_port_protocol)i;
        return 0;
      }
  return -1;
}

static int
parse_number (const char *s, size_t len, long min, long *out)
{
  char buf[16];
  char *end;

  if (len == 0 || len >= sizeof buf)
    return -1;
  memcpy (buf, s, len);
  buf[len] = '\0';
  if (buf[0] < '0' || buf[0] > '9')
    return -1;
  *out = strtol (buf, &end, 10);
  return *end == '\0' && *out >= min && *out <= 65535 ? 0 : -1;
}

/* "80" or "80-81"; MIN is 1 for container ports, 0 for host ports.  */
static int
parse_range (const char *s, long min, uint16_t *lo, uint16_t *hi, cc_error_t *err)
{
  const char *dash = strchr (s, '-');
  long a, b;

  if (dash == NULL)
    {
      if (parse_number (s, strlen (s), min, &a) < 0)
        return cc_error_make (err, 0, "invalid port `%s` (%ld-65535)", s, min);
      b = a;
    }
  else if (parse_number (s, (size_t)(dash - s), min, &a) < 0 || parse_number (dash + 1, strlen (dash + 1), min, &b) < 0)
    return cc_error_make (err, 0, "invalid port range `%s` (%ld-65535)", s, min);
  else if (b < a)
    return cc_error_make (err, 0, "invalid port range `%s`: end before start", s);
  *lo = (uint16_t)a;
  *hi = (uint16_t)b;
  return 0;
}

/* A host address, with or without brackets around IPv6.  */
static int
parse_host_ip (const char *raw, char out[INET6_ADDRSTRLEN], cc_error_t *err)
{
  cleanup_free char *ip = NULL;
  unsigned char addr[16];
  size_t len = strlen (raw);

  if (len >= 2 && raw[0] == '[' && raw[len - 1] == ']')
    ip = xstrndup (raw + 1, len - 2);
  else
    ip = xstrdup (raw);
  if ((inet_pton (AF_INET, ip, addr) != 1 && inet_pton (AF_INET6, ip, addr) != 1) || strlen (ip) >= INET6_ADDRSTRLEN)
    return cc_error_make (err, 0, "invalid host IP `%s`", raw);
  memcpy (out, ip, strlen (ip) + 1);
  return 0;
}

bool
cc_port_has_ipv6_host (const struct cc_port *p)
{
  return strchr (p->host_ip, ':') != NULL;
}

/* Split "[ip:]host:container" the way Docker's nat package does: the
   container port is last, the host port before it, everything before
   that is the address (IPv6 addresses contain colons).  */
static void
split_spec (const char *spec, char **ip, char **host, char **container)
{
  cleanup_strv char **parts = cc_strv_split (spec, ':', false);
  size_t n = cc_strv_len (parts);

  *ip = *host = NULL;
  *container = xstrdup (n ? parts[n - 1] : "");
  if (n >= 2)
    *host = xstrdup (parts[n - 2]);
  if (n >= 3)
    {
      char *last = parts[n - 2];
      parts[n - 2] = NULL;
      *ip = cc_strv_join (parts, ":");
      parts[n - 2] = last;
    }
}

int
cc_port_parse (const char *spec, struct cc_port *out, cc_error_t *err)
{
  cleanup_free char *body = NULL, *ip = NULL, *host = NULL, *container = NULL;
  const char *slash = strrchr (spec, '/');

  memset (out, 0, sizeof (*out));
  if (slash && parse_protocol (slash + 1, &out->protocol) < 0)
    return cc_error_make (err, 0, "invalid protocol `%s` in `%s` (tcp, udp, sctp)", slash + 1, spec);
  body = slash ? xstrndup (spec, (size_t)(slash - spec)) : xstrdup (spec);
  split_spec (body, &ip, &host, &container);
  if (*container == '\0')
    return cc_error_make (err, 0, "no container port in `%s`", spec);
  if (parse_range (container, 1, &out->target, &out->target_end, err) < 0
      || (host && *host && parse_range (host, 0, &out->published, &out->published_end, err) < 0)
      || (ip && *ip && parse_host_ip (ip, out->host_ip, err) < 0))
    return -1;
  /* A host range onto one container port is a range to choose from;
     otherwise the two ranges pair port by port.  */
  if (host && *host && out->target_end != out->target
      && out->published_end - out->published != out->target_end - out->target)
    return cc_error_make (err, 0, "invalid port ranges in `%s`: host and container ranges differ in length", spec);
  return 0;
}

static void
put_range (struct cc_buf *b, unsigned lo, unsigned hi)
{
  cc_buf_printf (b, "%u", lo);
  if (hi != lo)
    cc_buf_printf (b, "-%u", hi);
}

char *
cc_port_format (const struct cc_port *p)
{
  struct cc_buf b = { 0 };
  bool v6 = cc_port_has_ipv6_host (p);

  if (p->host_ip[0])
    cc_buf_printf (&b, v6 ? "[%s]:" : "%s:", p->host_ip);
  if (p->published || p->published_end)
    {
      put_range (&b, p->published, p->published_end);
      cc_buf_putc (&b, ':');
    }
  else if (p->host_ip[0])
    cc_buf_putc (&b, ':');
  put_range (&b, p->target, p->target_end);
  cc_buf_printf (&b, "/%s", cc_port_protocol_name (p->protocol));
  return cc_buf_steal (&b);
}

static cJSON *
port_entry (const struct cc_port *p, unsigned offset)
{
  cJSON *o = cJSON_CreateObject ();
  bool pairs = p->target_end != p->target;

  cc_json_set_string (o, "mode", "ingress");
  if (p->host_ip[0])
    cc_json_set_string (o, "host_ip", p->host_ip);
  cc_json_set_int (o, "target", p->target + offset);
  if (p->published || p->published_end)
    {
      cleanup_free char *pub = pairs || p->published_end == p->published
                                   ? xasprintf ("%u", p->published + offset)
                                   : xasprintf ("%u-%u", p->published, p->published_end);
      cc_json_set_string (o, "published", pub);
    }
  cc_json_set_string (o, "protocol", cc_port_protocol_name (p->protocol));
  return o;
}

/* Docker prints one entry per container port, as go-connections'
   nat.ParsePortSpec makes them.  */
int
cc_ports_parse_short (const char *spec, cJSON *out, cc_error_t *err)
{
  struct cc_port p;

  if (cc_port_parse (spec, &p, err) < 0)
    return -1;
  for (unsigned i = 0; i <= (unsigned)(p.target_end - p.target); i++)
    cJSON_AddItemToArray (out, port_entry (&p, i));
  return 0;
}

/* In the order docker compose config prints them.  */
static const struct cc_schema_key port_keys[] = {
  { "name", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "mode", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "host_ip", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "target", CC_KEY_INT, CC_KEY_SUPPORTED, NULL, NULL },
  { "published", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "protocol", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
  { "app_protocol", CC_KEY_STRING, CC_KEY_SUPPORTED, NULL, NULL },
};
static const struct cc_schema_table port_table = { "port", port_keys, CC_N_ELEMENTS (port_keys) };

/* The long form's values into P, as the view reads them back; *BAD
   names the key a failure is about (NULL: the entry).  */
static int
long_port_values (const cJSON *o, struct cc_port *p, const char **bad, cc_error_t *err)
{
  const cJSON *t = cJSON_GetObjectItemCaseSensitive (o, "target");
  const char *pub = cc_json_get_string (o, "published");
  const char *proto = cc_json_get_string (o, "protocol");
  const char *mode = cc_json_get_string (o, "mode");
  const char *ip = cc_json_get_string (o, "host_ip");

  memset (p, 0, sizeof (*p));
  *bad = NULL;
  if (! cJSON_IsNumber (t))
    return cc_error_make (err, 0, "port: `target` is required");
  *bad = "target";
  if (t->valuedouble < 1 || t->valuedouble > 65535)
    return cc_error_make (err, 0, "invalid port %.0f (1-65535)", t->valuedouble);
  p->target = p->target_end = (uint16_t)t->valuedouble;
  *bad = "published";
  if (pub && *pub && parse_range (pub, 0, &p->published, &p->published_end, err) < 0)
    return -1;
  *bad = "protocol";
  if (proto && parse_protocol (proto, &p->protocol) < 0)
    return cc_error_make (err, 0, "invalid protocol `%s` (tcp, udp, sctp)", proto);
  *bad = "mode";
  if (mode && strcmp (mode, "host") != 0 && strcmp (mode, "ingress") != 0)
    return cc_error_make (err, 0, "invalid port mode `%s` (host, ingress)", mode);
  p->mode = mode && strcmp (mode, "host") == 0 ? CC_PORT_MODE_HOST : CC_PORT_MODE_INGRESS;
  *bad = "host_ip";
  if (ip && parse_host_ip (ip, p->host_ip, err) < 0)
    return -1;
  *bad = NULL;
  p->name = cc_json_get_string (o, "name");
  p->app_protocol = cc_json_get_string (o, "app_protocol");
  return 0;
}

int
cc_port_from_json (const cJSON *o, struct cc_port *out, cc_error_t *err)
{
  const char *bad;

  if (long_port_values (o, out, &bad, err) < 0)
    return bad ? cc_error_wrap (err, "port `%s`", bad) : -1;
  return 0;
}

/* Check the long form's values and fill the defaults DC fills.  */
static int
check_long_port (const struct cc_node *item, cJSON *o, cc_error_t *err)
{
  struct cc_port p;
  const char *bad;

  if (long_port_values (o, &p, &bad, err) < 0)
    return cc_error_relocate (err, bad && cc_node_map_get (item, bad) ? cc_node_map_get (item, bad) : item, NULL);
  if (! cJSON_GetObjectItemCaseSensitive (o, "protocol"))
    cc_json_set_string (o, "protocol", "tcp");
  if (! cJSON_GetObjectItemCaseSensitive (o, "mode"))
    cc_json_set_string (o, "mode", "ingress");
  return 0;
}

static int
long_port (const struct cc_node *item, cJSON *out, cc_error_t *err)
{
  struct cc_norm n = { 0 };
  cleanup_cjson cJSON *o = NULL;

  if (cc_norm_object (&n, &port_table, item, &o, err) < 0)
    return -1;
  if (check_long_port (item, o, err) < 0)
    return -1;
  cc_json_order_by_table (o, &port_table);
  cJSON_AddItemToArray (out, steal_pointer (&o));
  return 0;
}

int
cc_ports_normalize (const struct cc_node *list, cJSON **out, cc_error_t *err)
{
  cleanup_cjson cJSON *arr = cJSON_CreateArray ();

  if (list->kind != CC_NODE_SEQ)
    return cc_error_at (err, list, "`ports` must be a list, not %s", cc_node_kind_name (list));
  for (size_t i = 0; i < list->len; i++)
    {
      const struct cc_node *item = list->items[i];
      if (item->kind == CC_NODE_MAP)
        {
          if (long_port (item, arr, err) < 0)
            return -1;
        }
      else if (item->kind != CC_NODE_SCALAR || item->is_null)
        return cc_error_at (err, item, "a port must be a string or a map, not %s", cc_node_kind_name (item));
      else if (cc_ports_parse_short (item->value, arr, err) < 0)
        return cc_error_relocate (err, item, NULL);
    }
  *out = steal_pointer (&arr);
  return 0;
}

/* How many long-form entries each item of a `ports:` list became, for
   the positions of the view (a short port with a container range makes
   one entry per port).  */
size_t
cc_ports_entries_of (const struct cc_node *item)
{
  struct cc_port p;

  if (item->kind != CC_NODE_SCALAR)
    return 1;
  if (cc_port_parse (item->value, &p, NULL) < 0)
    return 0;
  return (size_t)(p.target_end - p.target) + 1;
}

int
cc_norm_key_ports (struct cc_norm *n, const struct cc_schema_key *k, const struct cc_node *v, cJSON *parent,
                   cc_error_t *err)
{
  cJSON *arr = NULL;

  (void)n, (void)k;
  if (v->kind == CC_NODE_SCALAR && v->is_null)
    return 0;
  if (cc_ports_normalize (v, &arr, err) < 0)
    return -1;
  cc_json_set (parent, "ports", arr);
  return 0;
}

/* `expose:` "8080", "8080-8090", "53/udp": a container port range.  */
int
cc_ports_check_expose (const char *spec, cc_error_t *err)
{
  struct cc_port p;

  if (strchr (spec, ':'))
    return cc_error_make (err, 0, "invalid port `%s`: expose takes no host port", spec);
  return cc_port_parse (spec, &p, err);
}
