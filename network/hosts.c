/* /etc/hosts and /etc/resolv.conf for containers, as Docker writes them
   since its embedded DNS (daemon/libnetwork/etchosts, internal/resolvconf):
   the hosts file holds localhost, the extra_hosts and the container's
   own name; other containers' names resolve through 127.0.0.11
   (dns-server.c), so no file of a running container is rewritten when
   others come and go.  Files are written in place because a single-file
   bind mount pins the inode: a rename would leave the container looking
   at the old file.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/dns.h"
#include "network/netimpl.h"
#include "network/network.h"

/* Docker's defaultContentIPv4 and defaultContentIPv6.  */
static const char hosts_header[] = "127.0.0.1\tlocalhost\n"
                                   "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                   "fe00::\tip6-localnet\n"
                                   "ff00::\tip6-mcastprefix\n"
                                   "ff02::1\tip6-allnodes\n"
                                   "ff02::2\tip6-allrouters\n";

static bool
str_eq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

/* "name:ip", "name=ip" or "name:host-gateway".  */
static void
extra_host_line (struct cc_buf *o, const char *spec, const char *gateway)
{
  const char *sep = strpbrk (spec, ":=");
  cleanup_free char *name = NULL;
  const char *addr;

  if (sep == NULL || sep == spec)
    return;
  name = xstrndup (spec, (size_t)(sep - spec));
  addr = sep + 1;
  if (strcmp (addr, "host-gateway") == 0)
    addr = gateway;
  if (addr && *addr)
    cc_buf_printf (o, "%s\t%s\n", addr, name);
}

/* CONTAINER of PROJECT on NET: on its own project's networks and on the
   ones it joined as external.  */
static const cJSON *
membership (const cJSON *net, const char *project, const char *container)
{
  const cJSON *m = cc_net_state_find_member ((cJSON *)net, container);

  return m && str_eq (cc_net_member_project (net, m), project) ? m : NULL;
}

/* The first network CONTAINER of PROJECT is on, and its record.  */
static const cJSON *
first_membership (const cJSON *state, const char *project, const char *container, const cJSON **net_out)
{
  const cJSON *net, *m;

  for (net = cc_net_first (state, "networks"); net; net = net->next)
    if ((m = membership (net, project, container)) != NULL)
      {
        *net_out = net;
        return m;
      }
  return NULL;
}

/* Docker's makeHostsRecs: the hostname with its domain, and the short
   name too when that makes a FQDN.  */
static char *
own_names (const cJSON *m)
{
  const char *host = cc_json_get_string (m, "hostname");
  const char *domain = cc_json_get_string (m, "domainname");
  cleanup_free char *fqdn = NULL;
  const char *dot;

  if (host == NULL || *host == '\0')
    host = cc_json_get_string (m, "container");
  fqdn = domain && *domain ? xasprintf ("%s.%s", host, domain) : xstrdup (host);
  dot = strchr (fqdn, '.');
  return dot ? xasprintf ("%s %.*s", fqdn, (int)(dot - fqdn), fqdn) : steal_pointer (&fqdn);
}

char *
cc_hosts_render (const cJSON *state, const char *project, const char *container)
{
  cleanup_buf struct cc_buf o = { 0 };
  const cJSON *first_net = NULL, *self, *net, *e;

  self = first_membership (state, project, container, &first_net);
  if (self == NULL)
    return NULL;
  cc_buf_puts (&o, hosts_header);
  for (e = cc_net_first (self, "extra_hosts"); e; e = e->next)
    if (cJSON_IsString (e))
      extra_host_line (&o, e->valuestring,
                       cc_json_get_string (first_net, "gateway") ?: cc_json_get_string (first_net, "gateway6"));
  /* One line per address, as Docker adds one per interface.  */
  for (net = first_net; net; net = net->next)
    {
      const cJSON *m = membership (net, project, container);
      cleanup_free char *names = m ? own_names (m) : NULL;
      /* None of an IPv6-only network (issue 15).  */
      if (names && cc_json_get_string (m, "ip"))
        cc_buf_printf (&o, "%s\t%s\n", cc_json_get_string (m, "ip"), names);
      /* And the IPv6 one of an enable_ipv6 network, as Docker's.  */
      if (names && cc_json_get_string (m, "ip6"))
        cc_buf_printf (&o, "%s\t%s\n", cc_json_get_string (m, "ip6"), names);
    }
  return cc_buf_steal (&o);
}

/* The host's file (network_mode: host), unless extra_hosts are given:
   then Docker's defaults and the extra hosts, so that one can override
   a name the host's file has.  */
char *
cc_hosts_render_host_mode (const char *host, char *const *extra_hosts)
{
  cleanup_buf struct cc_buf o = { 0 };

  if (extra_hosts == NULL || *extra_hosts == NULL)
    return xstrdup (host ? host : hosts_header);
  cc_buf_puts (&o, hosts_header);
  for (char *const *e = extra_hosts; *e; e++)
    extra_host_line (&o, *e, NULL);
  return cc_buf_steal (&o);
}

static int
write_hosts (const cJSON *state, const char *project, const char *container, const char *path, cc_error_t *err)
{
  cleanup_free char *text = cc_hosts_render (state, project, container);

  if (text == NULL)
    return cc_error_make (err, ENOENT, "container `%s` is on no network of project `%s`", container, project);
  return cc_write_file_in_place (path, text, strlen (text), err);
}

int
cc_hosts_write_one (const cJSON *state, const char *project, const char *container, cc_error_t *err)
{
  const cJSON *net = NULL, *m = first_membership (state, project, container, &net);
  const char *path = cc_json_get_string (m, "hosts_path");

  if (m == NULL || path == NULL || *path == '\0')
    return 0;
  return write_hosts (state, project, container, path, err);
}

/* A container made again in its old namespace has a new hostname (its
   new id's, engine/container.c): every record of it, what its hosts file
   and the embedded DNS answer.  */
static int
rename_host (struct cc_net_state *st, const char *project, const char *container, const char *hostname, cc_error_t *err)
{
  bool changed = false;

  for (const cJSON *net = cc_net_first (st->root, "networks"); net; net = net->next)
    {
      cJSON *m = (cJSON *)membership (net, project, container);
      if (m && ! str_eq (cc_json_get_string (m, "hostname"), hostname))
        {
          cc_json_set_string (m, "hostname", hostname);
          changed = true;
        }
    }
  if (! changed)
    return 0;
  cc_net_state_notify_dns (st, project);
  return cc_net_state_save (st, err);
}

int
cc_network_write_hosts (const char *project, const char *container, const char *hostname, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  const cJSON *net = NULL, *m;
  const char *path;

  if (cc_net_state_open (&st, err) < 0)
    return -1;
  m = first_membership (st.root, project, container, &net);
  if (m == NULL)
    return cc_error_make (err, ENOENT, "container `%s` is on no network of project `%s`", container, project);
  if (hostname && rename_host (&st, project, container, hostname, err) < 0)
    return -1;
  path = cc_json_get_string (m, "hosts_path");
  if (path == NULL || *path == '\0')
    return cc_error_make (err, EINVAL, "container `%s` has no hosts file", container);
  return write_hosts (st.root, project, container, path, err);
}

int
cc_network_write_hosts_host_mode (const char *path, char *const *extra_hosts, cc_error_t *err)
{
  cleanup_free char *host = NULL, *text = NULL;

  cc_read_file_max ("/etc/hosts", 1 << 20, &host, NULL, NULL);
  text = cc_hosts_render_host_mode (host, extra_hosts);
  return cc_write_file_in_place (path, text, strlen (text), err);
}

/* ---- resolv.conf ------------------------------------------------------------ */

static bool
is_loopback_server (const char *addr)
{
  return strncmp (addr, "127.", 4) == 0 || strcmp (addr, "::1") == 0;
}

static void
put_lines (struct cc_buf *o, const char *key, char *const *v)
{
  for (; v && *v; v++)
    cc_buf_printf (o, "%s %s\n", key, *v);
}

static void
put_line (struct cc_buf *o, const char *key, char *const *v)
{
  if (v == NULL || *v == NULL)
    return;
  cc_buf_puts (o, key);
  for (; *v; v++)
    cc_buf_printf (o, " %s", *v);
  cc_buf_putc (o, '\n');
}

static void
put_raw (struct cc_buf *o, char *const *lines)
{
  for (; lines && *lines; lines++)
    cc_buf_printf (o, "%s\n", *lines);
}

/* The host's file, read as Docker's resolvconf package reads it.  */
struct resolv
{
  char **servers, **search, **options, **other;
};

static void
resolv_release (struct resolv *r)
{
  cc_strv_free (r->servers);
  cc_strv_free (r->search);
  cc_strv_free (r->options);
  cc_strv_free (r->other);
}
#define cleanup_resolv __attribute__ ((cleanup (resolv_release)))

static void
resolv_parse (const char *text, struct resolv *r)
{
  cleanup_strv char **lines = cc_strv_split (text ? text : "", '\n', true);

  for (char **l = lines; l && *l; l++)
    {
      cleanup_strv char **words = NULL;
      const char *p = *l + strspn (*l, " \t");
      if (*p == '#' || *p == ';' || *p == '\0')
        continue;
      for (char *w = strtok (*l, " \t\r"); w; w = strtok (NULL, " \t\r"))
        cc_strv_append (&words, w);
      if (words == NULL || words[1] == NULL)
        continue;
      if (strcmp (words[0], "nameserver") == 0)
        cc_strv_append (&r->servers, words[1]);
      /* The last of `search` and `domain` wins, as in the resolver.  */
      else if (strcmp (words[0], "search") == 0 || strcmp (words[0], "domain") == 0)
        {
          cc_strv_free (r->search);
          r->search = cc_strv_dup (words + 1);
        }
      else if (strcmp (words[0], "options") == 0)
        for (char **w = words + 1; *w; w++)
          cc_strv_append (&r->options, *w);
      else
        {
          cleanup_free char *joined = cc_strv_join (words, " ");
          cc_strv_append (&r->other, joined);
        }
    }
}

static bool
has_option (char *const *options, const char *name)
{
  size_t n = strlen (name);

  for (; options && *options; options++)
    if (strncmp (*options, name, n) == 0 && ((*options)[n] == '\0' || (*options)[n] == ':'))
      return true;
  return false;
}

static void
put_ext_servers (struct cc_buf *o, char *const *servers, bool host)
{
  if (servers == NULL || *servers == NULL)
    {
      cc_buf_puts (o, "# NO EXTERNAL NAMESERVERS DEFINED\n");
      return;
    }
  cc_buf_puts (o, "# ExtServers: [");
  for (char *const *s = servers; *s; s++)
    cc_buf_printf (o, "%s%s%s%s", s == servers ? "" : " ", host ? "host(" : "", *s, host ? ")" : "");
  cc_buf_puts (o, "]\n");
}

/* Docker's TransformForIntNS: the internal resolver is the only
   nameserver, the others are where it forwards to (the host's from the
   host's namespace, `dns:` from the container's), and ndots:0 is added
   unless an ndots option is given.  */
static void
render_embedded (struct cc_buf *o, struct resolv *r, const char *host_path, char *const *dns, char *const *search,
                 char *const *opts)
{
  cleanup_strv char **options = cc_strv_dup (opts ? opts : r->options);
  bool ndots_given = has_option (options, "ndots");
  cleanup_strv char **overrides = NULL;

  if (! ndots_given)
    cc_strv_append (&options, "ndots:0");
  cc_buf_puts (o, "nameserver " CC_DNS_ADDR "\n");
  put_line (o, "search", search ? search : r->search);
  put_line (o, "options", options);
  put_raw (o, r->other);
  cc_buf_printf (o, "\n# Based on host file: '%s' (internal resolver)\n", host_path ? host_path : "/etc/resolv.conf");
  put_ext_servers (o, dns ? dns : r->servers, dns == NULL);
  if (dns)
    cc_strv_append (&overrides, "nameservers");
  if (search)
    cc_strv_append (&overrides, "search");
  if (opts)
    cc_strv_append (&overrides, "options");
  {
    cleanup_free char *joined = overrides ? cc_strv_join (overrides, " ") : xstrdup ("");
    cc_buf_printf (o, "# Overrides: [%s]\n", joined);
  }
  cc_buf_printf (o, "# Option ndots from: %s\n", ndots_given ? (opts ? "override" : "host") : "internal");
}

/* The legacy rule (network_mode: none): the host's servers but the
   loopback ones, which mean nothing in another namespace; none left
   means public resolvers.  */
static void
render_legacy (struct cc_buf *o, struct resolv *r, char *const *dns, char *const *search, char *const *opts)
{
  static char *const fallback[] = { (char *)"8.8.8.8", (char *)"8.8.4.4", NULL };
  cleanup_strv char **servers = NULL;

  for (char **s = r->servers; s && *s; s++)
    if (! is_loopback_server (*s))
      cc_strv_append (&servers, *s);
  put_line (o, "search", search ? search : r->search);
  put_line (o, "options", opts ? opts : r->options);
  put_lines (o, "nameserver", dns && *dns ? dns : servers ? servers : fallback);
}

/* network_mode: host: the host's file, with the compose overrides.  */
static void
render_host (struct cc_buf *o, struct resolv *r, char *const *dns, char *const *search, char *const *opts)
{
  put_lines (o, "nameserver", dns ? dns : r->servers);
  put_line (o, "search", search ? search : r->search);
  put_line (o, "options", opts ? opts : r->options);
  put_raw (o, r->other);
}

char *
cc_resolv_render (const char *host, const char *host_path, enum cc_net_resolv_kind kind, char *const *dns,
                  char *const *search, char *const *opts)
{
  cleanup_buf struct cc_buf o = { 0 };
  cleanup_resolv struct resolv r = { 0 };

  if (dns && *dns == NULL)
    dns = NULL;
  if (search && *search == NULL)
    search = NULL;
  if (opts && *opts == NULL)
    opts = NULL;
  resolv_parse (host, &r);
  cc_buf_puts (&o, "# Generated by ccompose\n");
  if (kind == CC_NET_RESOLV_EMBEDDED)
    {
      cc_buf_putc (&o, '\n');
      render_embedded (&o, &r, host_path, dns, search, opts);
    }
  else if (kind == CC_NET_RESOLV_HOST)
    render_host (&o, &r, dns, search, opts);
  else
    render_legacy (&o, &r, dns, search, opts);
  return cc_buf_steal (&o);
}

int
cc_network_write_resolv (const char *path, enum cc_net_resolv_kind kind, char *const *dns, char *const *search,
                         char *const *opts, cc_error_t *err)
{
  cleanup_free char *host_path = NULL;
  cleanup_free char *host = cc_dns_host_resolv (&host_path);
  cleanup_free char *text = cc_resolv_render (host, host_path, kind, dns, search, opts);

  return cc_write_file_in_place (path, text, strlen (text), err);
}
