/* `ports:` in every syntax, expanded to the long form docker compose
   config prints: {mode, host_ip, target, published, protocol}.  */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

struct port_range
{
  long start, end;
};

static const char *const protocols[] = { "tcp", "udp", "sctp" };

static bool
is_protocol (const char *p)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (protocols); i++)
    if (strcmp (p, protocols[i]) == 0)
      return true;
  return false;
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
parse_range (const char *s, long min, struct port_range *r, cc_error_t *err)
{
  const char *dash = strchr (s, '-');

  if (dash == NULL)
    {
      if (parse_number (s, strlen (s), min, &r->start) < 0)
        return cc_error_make (err, 0, "invalid port `%s` (%ld-65535)", s, min);
      r->end = r->start;
      return 0;
    }
  if (parse_number (s, (size_t)(dash - s), min, &r->start) < 0
      || parse_number (dash + 1, strlen (dash + 1), min, &r->end) < 0)
    return cc_error_make (err, 0, "invalid port range `%s` (%ld-65535)", s, min);
  if (r->end < r->start)
    return cc_error_make (err, 0, "invalid port range `%s`: end before start", s);
  return 0;
}

/* A host address, with or without brackets around IPv6.  */
static int
parse_host_ip (const char *raw, char **out, cc_error_t *err)
{
  cleanup_free char *ip = NULL;
  unsigned char addr[16];
  size_t len = strlen (raw);

  if (len >= 2 && raw[0] == '[' && raw[len - 1] == ']')
    ip = xstrndup (raw + 1, len - 2);
  else
    ip = xstrdup (raw);
  if (inet_pton (AF_INET, ip, addr) != 1 && inet_pton (AF_INET6, ip, addr) != 1)
    return cc_error_make (err, 0, "invalid host IP `%s`", raw);
  *out = steal_pointer (&ip);
  return 0;
}

static cJSON *
port_entry (const char *host_ip, long target, const char *published, const char *protocol)
{
  cJSON *o = cJSON_CreateObject ();

  cc_json_set_string (o, "mode", "ingress");
  if (host_ip && *host_ip)
    cc_json_set_string (o, "host_ip", host_ip);
  cc_json_set_int (o, "target", target);
  if (published && *published)
    cc_json_set_string (o, "published", published);
  cc_json_set_string (o, "protocol", protocol);
  return o;
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
cc_ports_parse_short (const char *spec, cJSON *out, cc_error_t *err)
{
  cleanup_free char *body = NULL, *proto = NULL, *rawip = NULL, *host = NULL, *container = NULL, *ip = NULL;
  struct port_range cr, hr = { 0, 0 };
  const char *slash = strrchr (spec, '/');

  body = slash ? xstrndup (spec, (size_t)(slash - spec)) : xstrdup (spec);
  proto = xstrdup (slash ? slash + 1 : "tcp");
  if (! is_protocol (proto))
    return cc_error_make (err, 0, "invalid protocol `%s` in `%s` (tcp, udp, sctp)", proto, spec);
  split_spec (body, &rawip, &host, &container);
  if (*container == '\0')
    return cc_error_make (err, 0, "no container port in `%s`", spec);
  if (parse_range (container, 1, &cr, err) < 0)
    return -1;
  if (host && *host && parse_range (host, 0, &hr, err) < 0)
    return -1;
  if (rawip && *rawip && parse_host_ip (rawip, &ip, err) < 0)
    return -1;
  if (host && *host && cr.end != cr.start && hr.end - hr.start != cr.end - cr.start)
    return cc_error_make (err, 0, "invalid port ranges in `%s`: host and container ranges differ in length", spec);
  for (long p = cr.start; p <= cr.end; p++)
    {
      cleanup_free char *pub = NULL;
      if (host && *host && cr.end != cr.start)
        pub = xasprintf ("%ld", hr.start + (p - cr.start));
      else if (host)
        pub = xstrdup (host);
      cJSON_AddItemToArray (out, port_entry (ip, p, pub, proto));
    }
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

/* Check the long form's values and fill the defaults DC fills.  */
static int
check_long_port (const struct cc_node *item, cJSON *o, cc_error_t *err)
{
  const cJSON *t = cJSON_GetObjectItemCaseSensitive (o, "target");
  const char *pub = cc_json_get_string (o, "published");
  const char *proto = cc_json_get_string (o, "protocol");
  const char *mode = cc_json_get_string (o, "mode");
  const char *ip = cc_json_get_string (o, "host_ip");
  cleanup_free char *clean_ip = NULL;
  struct port_range r;

  if (! cJSON_IsNumber (t))
    return cc_error_at (err, item, "port: `target` is required");
  if (t->valuedouble < 1 || t->valuedouble > 65535)
    return cc_error_at (err, cc_node_map_get (item, "target"), "invalid port %.0f (1-65535)", t->valuedouble);
  if (pub && *pub && parse_range (pub, 0, &r, err) < 0)
    return cc_error_relocate (err, cc_node_map_get (item, "published"), NULL);
  if (proto && ! is_protocol (proto))
    return cc_error_at (err, cc_node_map_get (item, "protocol"), "invalid protocol `%s` (tcp, udp, sctp)", proto);
  if (mode && strcmp (mode, "host") != 0 && strcmp (mode, "ingress") != 0)
    return cc_error_at (err, cc_node_map_get (item, "mode"), "invalid port mode `%s` (host, ingress)", mode);
  if (ip && parse_host_ip (ip, &clean_ip, err) < 0)
    return cc_error_relocate (err, cc_node_map_get (item, "host_ip"), NULL);
  if (proto == NULL)
    cc_json_set_string (o, "protocol", "tcp");
  if (mode == NULL)
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

int
cc_ports_check_expose (const char *spec, cc_error_t *err)
{
  cleanup_free char *body = NULL;
  const char *slash = strrchr (spec, '/');
  struct port_range r;

  if (slash && ! is_protocol (slash + 1))
    return cc_error_make (err, 0, "invalid protocol `%s` in `%s` (tcp, udp, sctp)", slash + 1, spec);
  body = slash ? xstrndup (spec, (size_t)(slash - spec)) : xstrdup (spec);
  return parse_range (body, 1, &r, err);
}
