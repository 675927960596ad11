/* /etc/hosts and /etc/resolv.conf for containers.  Name resolution is a
   static hosts file per container, kept current: daemonless ccompose has
   no resident DNS server.  Files are rewritten in place because a
   single-file bind mount pins the inode: a rename would leave the
   container looking at the old file.  */
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
#include "network/netimpl.h"
#include "network/network.h"

static const char hosts_header[] = "127.0.0.1\tlocalhost\n"
                                   "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                   "fe00::0\tip6-localnet\n"
                                   "ff00::0\tip6-mcastprefix\n"
                                   "ff02::1\tip6-allnodes\n"
                                   "ff02::2\tip6-allrouters\n";

static bool
str_eq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

static void
add_name (char ***names, const char *n)
{
  if (n && *n && ! cc_strv_contains (*names, n))
    cc_strv_append (names, n);
}

/* container, service, service-N, aliases, hostname.  */
static void
member_line (struct cc_buf *o, const cJSON *m)
{
  cleanup_strv char **names = NULL;
  cleanup_free char *joined = NULL;
  const char *service = cc_json_get_string (m, "service");
  const cJSON *a;

  add_name (&names, cc_json_get_string (m, "hostname"));
  add_name (&names, cc_json_get_string (m, "container"));
  add_name (&names, service);
  if (service && *service)
    {
      cleanup_free char *numbered = xasprintf ("%s-%d", service, (int)cc_json_get_int (m, "number", 1));
      add_name (&names, numbered);
    }
  for (a = cc_net_first (m, "aliases"); a; a = a->next)
    if (cJSON_IsString (a))
      add_name (&names, a->valuestring);
  joined = cc_strv_join (names, " ");
  cc_buf_printf (o, "%s\t%s\n", cc_json_get_string (m, "ip"), joined);
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

/* A network PROJECT owns, or one its containers joined as external: a
   change of PROJECT's members shows in the files of everyone on it.  */
static bool
is_touched_by (const cJSON *net, const char *project)
{
  const cJSON *m;

  if (str_eq (cc_json_get_string (net, "project"), project))
    return true;
  for (m = cc_net_first (net, "members"); m; m = m->next)
    if (str_eq (cc_net_member_project (net, m), project))
      return true;
  return false;
}

/* The lines of every member of each network of PROJECT, rendered once per
   update: every file that lists a network holds the same lines for it, and
   rendering them per file made one update cost O(N^2) (25 ms for 200
   containers, paid under the network lock by every attach).  */
struct blocks
{
  const cJSON **nets;
  char **text;
  size_t n;
};

static void
blocks_release (struct blocks *b)
{
  for (size_t i = 0; i < b->n; i++)
    free (b->text[i]);
  free (b->text);
  free (b->nets);
}
#define cleanup_blocks __attribute__ ((cleanup (blocks_release)))

/* Every network: a container of PROJECT may be on another project's, and
   a container of another project on PROJECT's.  */
static void
blocks_render (const cJSON *state, struct blocks *b)
{
  const cJSON *net, *m;

  for (net = cc_net_first (state, "networks"); net; net = net->next)
    {
      cleanup_buf struct cc_buf o = { 0 };

      for (m = cc_net_first (net, "members"); m; m = m->next)
        member_line (&o, m);
      b->nets = xreallocarray (b->nets, b->n + 1, sizeof (*b->nets));
      b->text = xreallocarray (b->text, b->n + 1, sizeof (*b->text));
      b->nets[b->n] = net;
      b->text[b->n++] = o.len ? cc_buf_steal (&o) : xstrdup ("");
    }
}

static char *
render_from_blocks (const cJSON *state, const struct blocks *b, const char *project, const char *container)
{
  cleanup_buf struct cc_buf o = { 0 };
  const cJSON *first_net = NULL, *self, *e;
  const char *gateway;

  self = first_membership (state, project, container, &first_net);
  if (self == NULL)
    return NULL;
  gateway = cc_json_get_string (first_net, "gateway");
  cc_buf_puts (&o, hosts_header);
  cc_buf_puts (&o, "# ccompose: containers on the networks this one shares, rewritten as they change\n");
  for (size_t i = 0; i < b->n; i++)
    if (membership (b->nets[i], project, container))
      cc_buf_puts (&o, b->text[i]);
  cc_buf_printf (&o, "%s\thost.docker.internal host.containers.internal\n", gateway);
  for (e = cc_net_first (self, "extra_hosts"); e; e = e->next)
    if (cJSON_IsString (e))
      extra_host_line (&o, e->valuestring, gateway);
  return cc_buf_steal (&o);
}

char *
cc_hosts_render (const cJSON *state, const char *project, const char *container)
{
  cleanup_blocks struct blocks b = { 0 };

  blocks_render (state, &b);
  return render_from_blocks (state, &b, project, container);
}

static int
write_hosts (const cJSON *state, const struct blocks *b, const char *project, const char *container, const char *path,
             cc_error_t *err)
{
  cleanup_free char *text = render_from_blocks (state, b, project, container);

  if (text == NULL)
    return cc_error_make (err, ENOENT, "container `%s` is on no network of project `%s`", container, project);
  return cc_write_file_in_place (path, text, strlen (text), err);
}

int
cc_hosts_update_project (const cJSON *state, const char *project, cc_error_t *err)
{
  cleanup_strv char **done = NULL;
  cleanup_blocks struct blocks b = { 0 };
  cc_error_t list = NULL, e = NULL;
  const cJSON *net, *m;

  blocks_render (state, &b);
  for (net = cc_net_first (state, "networks"); net; net = net->next)
    {
      if (! is_touched_by (net, project))
        continue;
      for (m = cc_net_first (net, "members"); m; m = m->next)
        {
          const char *c = cc_json_get_string (m, "container");
          const char *path = cc_json_get_string (m, "hosts_path");

          if (c == NULL || path == NULL || *path == '\0' || cc_strv_contains (done, c))
            continue;
          cc_strv_append (&done, c);
          /* A container whose directory is already gone has no file to
             keep current; that must not block the teardown of others.  */
          if (write_hosts (state, &b, cc_net_member_project (net, m), c, path, &e) < 0 && e->status == ENOENT)
            cc_error_release (&e);
          else if (e)
            cc_error_append (&list, &e);
        }
    }
  return list ? cc_net_give_errors (err, &list) : 0;
}

int
cc_network_write_hosts (const char *project, const char *container, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cleanup_blocks struct blocks b = { 0 };
  const cJSON *net = NULL, *m;
  const char *path;

  if (cc_net_state_open (&st, err) < 0)
    return -1;
  m = first_membership (st.root, project, container, &net);
  if (m == NULL)
    return cc_error_make (err, ENOENT, "container `%s` is on no network of project `%s`", container, project);
  path = cc_json_get_string (m, "hosts_path");
  if (path == NULL || *path == '\0')
    return cc_error_make (err, EINVAL, "container `%s` has no hosts file", container);
  blocks_render (st.root, &b);
  return write_hosts (st.root, &b, project, container, path, err);
}

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

/* Docker's rule: the host's file minus loopback nameservers (they mean
   nothing inside another namespace); none left means public resolvers.  */
char *
cc_resolv_render (const char *host, char *const *dns, char *const *search, char *const *opts)
{
  cleanup_strv char **lines = cc_strv_split (host ? host : "", '\n', true);
  cleanup_strv char **servers = NULL;
  cleanup_buf struct cc_buf o = { 0 };
  static char *const fallback[] = { (char *)"8.8.8.8", (char *)"8.8.4.4", NULL };
  char *const *use;

  cc_buf_puts (&o, "# Generated by ccompose\n");
  for (char **l = lines; l && *l; l++)
    {
      char key[32], val[256];

      if (sscanf (*l, " %31s %255s", key, val) != 2 || key[0] == '#' || key[0] == ';')
        continue;
      if (strcmp (key, "nameserver") == 0 && ! is_loopback_server (val))
        cc_strv_append (&servers, val);
      else if ((strcmp (key, "search") == 0 && search == NULL) || (strcmp (key, "options") == 0 && opts == NULL))
        cc_buf_printf (&o, "%s\n", *l);
    }
  use = dns && *dns ? dns : servers ? servers : fallback;
  put_lines (&o, "nameserver", use);
  put_line (&o, "search", search);
  put_line (&o, "options", opts);
  return cc_buf_steal (&o);
}

static char *
host_resolv_text (void)
{
  char *text = NULL;
  cleanup_free char *rendered = NULL;

  if (cc_read_file ("/etc/resolv.conf", &text, NULL, NULL) < 0)
    return NULL;
  /* systemd-resolved's stub 127.0.0.53 is useless in a container: its
     upstream list lives here.  */
  rendered = cc_resolv_render (text, NULL, NULL, NULL);
  if (strstr (rendered, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n")
      && cc_file_exists ("/run/systemd/resolve/resolv.conf"))
    {
      free (text);
      text = NULL;
      cc_read_file ("/run/systemd/resolve/resolv.conf", &text, NULL, NULL);
    }
  return text;
}

int
cc_network_write_resolv (const char *path, char *const *dns, char *const *search, char *const *opts, cc_error_t *err)
{
  cleanup_free char *host = host_resolv_text ();
  cleanup_free char *text = cc_resolv_render (host, dns, search, opts);

  return cc_write_file_in_place (path, text, strlen (text), err);
}
