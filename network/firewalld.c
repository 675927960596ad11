/* firewalld over D-Bus (issue 17).

   firewalld keeps its rules in a table of its own (nftables) or in the
   tables iptables-nft writes, rebuilds them on every `firewall-cmd
   --reload`, and ends its forward chain in a reject: a bridge it does
   not know falls in its default zone, whose forwarded packets it
   rejects.  The accepts the firewall backends put at the top of that
   chain (coexist) go with each reload until the next ccompose command
   puts them back; firewalld's own configuration does not.  So, as Docker
   puts its bridges in a zone of its own and podman its subnets in
   "trusted", each bridge joins the "trusted" zone.  In firewalld's
   runtime configuration, which takes effect at once, and in its
   permanent one: a reload drops runtime bindings (FlushAllOnReload,
   Debian's default) and Docker and podman have a daemon to put theirs
   back on firewalld's Reloaded signal; ccompose has none, so the
   binding is written where a reload reads it (/etc/firewalld/zones),
   and taken out of both with the network.  A firewalld that lost it
   anyway is told again by the next command (cc_net_firewalld_check).
   The network's state records the zone before firewalld hears of it,
   so that after a crash `down` still takes it out.

   Only when firewalld owns its name on the system bus, and only the
   firewalld of the calling thread's network namespace: another's zones
   are about other interfaces.  A host without a system bus socket pays
   one stat(); libdbus is opened only past it.  The system bus is
   $DBUS_SYSTEM_BUS_ADDRESS, as for every libdbus client (the tests run
   firewalld on a bus of their own).  */
#include "network/firewalld.h"

#include <dbus/dbus.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cleanup.h"
#include "lib/crash.h"
#include "lib/dynlib.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/hostns.h"
#include "network/link.h"
#include "network/netimpl.h"
#include "network/state.h"

#define FIREWALLD_NAME "org.fedoraproject.FirewallD1"
#define FIREWALLD_PATH "/org/fedoraproject/FirewallD1"
#define FIREWALLD_ZONE_IFACE FIREWALLD_NAME ".zone"
#define FIREWALLD_CONFIG_PATH FIREWALLD_PATH "/config"
#define FIREWALLD_CONFIG_IFACE FIREWALLD_NAME ".config"
#define FIREWALLD_CONFIG_ZONE_IFACE FIREWALLD_NAME ".config.zone"
/* A firewalld that does not answer must not hang `up` for D-Bus's
   default 25 s.  */
#define CALL_TIMEOUT_MS 5000

struct cc_firewalld
{
  DBusConnection *conn;
};

/* The bus.  */

/* Where the system bus listens, when that is a path: libdbus's default,
   or the unix:path= of $DBUS_SYSTEM_BUS_ADDRESS.  NULL when the address
   is of another kind (then only connecting tells).  */
static char *
bus_socket_path (void)
{
  const char *addr = getenv ("DBUS_SYSTEM_BUS_ADDRESS");
  const char *p;

  if (addr == NULL || *addr == '\0')
    return xstrdup ("/var/run/dbus/system_bus_socket");
  if (strncmp (addr, "unix:", 5) != 0 || (p = strstr (addr, "path=")) == NULL)
    return NULL;
  p += 5;
  return xstrndup (p, strcspn (p, ",;"));
}

static int
dbus_failure (cc_error_t *err, DBusError *e, const char *what)
{
  int r = cc_error_make (err, EIO, "firewalld: %s: %s", what, e->message ? e->message : e->name);

  dbus_error_free (e);
  return r;
}

static DBusMessage *
new_call (const char *dest, const char *path, const char *iface, const char *method)
{
  DBusMessage *m = dbus_message_new_method_call (dest, path, iface, method);

  if (m == NULL)
    abort (); /* libdbus is out of memory: as xmalloc */
  return m;
}

static void
append_strings (DBusMessage *m, const char *a, const char *b)
{
  DBusMessageIter it;

  dbus_message_iter_init_append (m, &it);
  if ((a && ! dbus_message_iter_append_basic (&it, DBUS_TYPE_STRING, &a))
      || (b && ! dbus_message_iter_append_basic (&it, DBUS_TYPE_STRING, &b)))
    abort ();
}

static void
unref_message (DBusMessage **m)
{
  if (*m)
    dbus_message_unref (*m);
}
#define cleanup_message __attribute__ ((cleanup (unref_message)))

/* Call METHOD with up to two string arguments; the reply in *REPLY.  */
static int
call (struct cc_firewalld *fw, DBusMessage *m, DBusMessage **reply, const char *what, cc_error_t *err)
{
  DBusError e;

  dbus_error_init (&e);
  *reply = dbus_connection_send_with_reply_and_block (fw->conn, m, CALL_TIMEOUT_MS, &e);
  if (*reply == NULL)
    return dbus_failure (err, &e, what);
  return 0;
}

/* The first argument of REPLY, of TYPE (a string or a basic number).  */
static int
first_arg (DBusMessage *reply, int type, void *out, const char *what, cc_error_t *err)
{
  DBusMessageIter it;

  if (! dbus_message_iter_init (reply, &it) || dbus_message_iter_get_arg_type (&it) != type)
    return cc_error_make (err, EPROTO, "firewalld: %s: unexpected reply", what);
  dbus_message_iter_get_basic (&it, out);
  return 0;
}

static int
bus_call_string (struct cc_firewalld *fw, const char *method, const char *arg, int type, void *out, cc_error_t *err)
{
  cleanup_message DBusMessage *m = new_call (DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, method);
  cleanup_message DBusMessage *reply = NULL;

  append_strings (m, arg, NULL);
  if (call (fw, m, &reply, method, err) < 0 || first_arg (reply, type, out, method, err) < 0)
    return -1;
  return 0;
}

/* Whether the process that owns firewalld's name shares our network
   namespace.  Unknown (another pid namespace) counts as no.  */
static bool
runs_here (struct cc_firewalld *fw)
{
  cc_error_t e = NULL;
  dbus_uint32_t pid = 0;
  cleanup_free char *theirs = NULL;
  struct stat a, b;

  if (bus_call_string (fw, "GetConnectionUnixProcessID", FIREWALLD_NAME, DBUS_TYPE_UINT32, &pid, &e) < 0)
    {
      cc_debug ("%s", e->msg);
      cc_error_release (&e);
      return false;
    }
  theirs = xasprintf ("/proc/%u/ns/net", (unsigned)pid);
  if (stat (theirs, &a) < 0 || stat ("/proc/thread-self/ns/net", &b) < 0)
    return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void
cc_firewalld_disconnect (struct cc_firewalld **fw)
{
  if (*fw == NULL)
    return;
  dbus_connection_close ((*fw)->conn);
  dbus_connection_unref ((*fw)->conn);
  free (*fw);
  *fw = NULL;
}

int
cc_firewalld_connect (struct cc_firewalld **out, cc_error_t *err)
{
  cleanup_free char *path = bus_socket_path ();
  cleanup_firewalld struct cc_firewalld *fw = NULL;
  dbus_bool_t owned = FALSE;
  DBusError e;

  *out = NULL;
  if (path && ! cc_file_exists (path))
    return 0;
  if (cc_dynlib_load (&cc_dynlib_dbus, err) < 0)
    return -1;
  dbus_error_init (&e);
  fw = xzalloc (sizeof (*fw));
  /* Private: libdbus's shared connection would outlive us in the library.  */
  fw->conn = dbus_bus_get_private (DBUS_BUS_SYSTEM, &e);
  if (fw->conn == NULL)
    {
      /* A socket nobody listens on is a bus that is not there.  */
      cc_debug ("firewalld: no system bus: %s", e.message);
      dbus_error_free (&e);
      free (steal_pointer (&fw));
      return 0;
    }
  dbus_connection_set_exit_on_disconnect (fw->conn, FALSE);
  /* NameHasOwner: a method call would start firewalld through bus
     activation where systemd offers it.  */
  if (bus_call_string (fw, "NameHasOwner", FIREWALLD_NAME, DBUS_TYPE_BOOLEAN, &owned, err) < 0)
    return -1;
  if (! owned)
    return 0;
  if (! runs_here (fw))
    {
      cc_debug ("firewalld runs in another network namespace: its zones are not ours to change");
      return 0;
    }
  *out = steal_pointer (&fw);
  return 0;
}

/* Zones.  */

/* The strings of an array argument (as).  */
static void
read_strings (DBusMessage *reply, char ***out)
{
  DBusMessageIter it, sub;

  if (! dbus_message_iter_init (reply, &it) || dbus_message_iter_get_arg_type (&it) != DBUS_TYPE_ARRAY)
    return;
  dbus_message_iter_recurse (&it, &sub);
  while (dbus_message_iter_get_arg_type (&sub) == DBUS_TYPE_STRING)
    {
      const char *s;

      dbus_message_iter_get_basic (&sub, &s);
      cc_strv_push (out, xstrdup (s));
      dbus_message_iter_next (&sub);
    }
}

static int
zone_call (struct cc_firewalld *fw, const char *method, const char *a, const char *b, DBusMessage **reply,
           cc_error_t *err)
{
  cleanup_message DBusMessage *m = new_call (FIREWALLD_NAME, FIREWALLD_PATH, FIREWALLD_ZONE_IFACE, method);

  append_strings (m, a, b);
  return call (fw, m, reply, method, err);
}

int
cc_firewalld_zone_of (struct cc_firewalld *fw, const char *iface, char **zone, cc_error_t *err)
{
  cleanup_message DBusMessage *reply = NULL;
  const char *z = NULL;

  *zone = NULL;
  if (zone_call (fw, "getZoneOfInterface", iface, NULL, &reply, err) < 0
      || first_arg (reply, DBUS_TYPE_STRING, &z, "getZoneOfInterface", err) < 0)
    return cc_error_wrap (err, "zone of interface `%s`", iface);
  *zone = xstrdup (z);
  return 0;
}

int
cc_firewalld_add (struct cc_firewalld *fw, const char *zone, const char *iface, cc_error_t *err)
{
  cleanup_message DBusMessage *reply = NULL;

  if (zone_call (fw, "addInterface", zone, iface, &reply, err) < 0)
    return cc_error_wrap (err, "add interface `%s` to zone `%s`", iface, zone);
  return 0;
}

int
cc_firewalld_remove (struct cc_firewalld *fw, const char *zone, const char *iface, cc_error_t *err)
{
  cleanup_free char *now = NULL;
  cleanup_message DBusMessage *reply = NULL;

  /* Asked first: firewalld's errors for "not there" differ by version.  */
  if (cc_firewalld_zone_of (fw, iface, &now, err) < 0)
    return -1;
  if (strcmp (now, zone) != 0)
    return 0;
  if (zone_call (fw, "removeInterface", zone, iface, &reply, err) < 0)
    return cc_error_wrap (err, "remove interface `%s` from zone `%s`", iface, zone);
  return 0;
}

int
cc_firewalld_bindings (struct cc_firewalld *fw, char ***out, cc_error_t *err)
{
  cleanup_message DBusMessage *reply = NULL;
  cleanup_strv char **zones = NULL;

  *out = NULL;
  if (zone_call (fw, "getZones", NULL, NULL, &reply, err) < 0)
    return -1;
  read_strings (reply, &zones);
  for (char **z = zones; z && *z; z++)
    {
      cleanup_message DBusMessage *r = NULL;
      cleanup_strv char **ifaces = NULL;

      if (zone_call (fw, "getInterfaces", *z, NULL, &r, err) < 0)
        return cc_error_wrap (err, "interfaces of zone `%s`", *z);
      read_strings (r, &ifaces);
      for (char **i = ifaces; i && *i; i++)
        cc_strv_push (out, xasprintf ("%s %s", *z, *i));
    }
  return 0;
}

/* The permanent configuration: one object per zone.  */

static int
config_zone (struct cc_firewalld *fw, const char *zone, char **path, cc_error_t *err)
{
  cleanup_message DBusMessage *m
      = new_call (FIREWALLD_NAME, FIREWALLD_CONFIG_PATH, FIREWALLD_CONFIG_IFACE, "getZoneByName");
  cleanup_message DBusMessage *reply = NULL;
  const char *p = NULL;

  append_strings (m, zone, NULL);
  if (call (fw, m, &reply, "getZoneByName", err) < 0
      || first_arg (reply, DBUS_TYPE_OBJECT_PATH, &p, "getZoneByName", err) < 0)
    return cc_error_wrap (err, "permanent zone `%s`", zone);
  *path = xstrdup (p);
  return 0;
}

static int
config_zone_call (struct cc_firewalld *fw, const char *zone, const char *method, const char *arg, DBusMessage **reply,
                  cc_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_message DBusMessage *m = NULL;

  if (config_zone (fw, zone, &path, err) < 0)
    return -1;
  m = new_call (FIREWALLD_NAME, path, FIREWALLD_CONFIG_ZONE_IFACE, method);
  append_strings (m, arg, NULL);
  if (call (fw, m, reply, method, err) < 0)
    return cc_error_wrap (err, "permanent zone `%s`", zone);
  return 0;
}

int
cc_firewalld_permanent (struct cc_firewalld *fw, const char *zone, char ***ifaces, cc_error_t *err)
{
  cleanup_message DBusMessage *reply = NULL;

  *ifaces = NULL;
  if (config_zone_call (fw, zone, "getInterfaces", NULL, &reply, err) < 0)
    return -1;
  read_strings (reply, ifaces);
  return 0;
}

int
cc_firewalld_permanent_set (struct cc_firewalld *fw, const char *zone, const char *iface, bool on, cc_error_t *err)
{
  cleanup_strv char **now = NULL;
  cleanup_message DBusMessage *reply = NULL;

  /* Asked first: adding twice or removing what is not there is an
     error to firewalld.  */
  if (cc_firewalld_permanent (fw, zone, &now, err) < 0)
    return -1;
  if (cc_strv_contains (now, iface) == on)
    return 0;
  if (config_zone_call (fw, zone, on ? "addInterface" : "removeInterface", iface, &reply, err) < 0)
    return cc_error_wrap (err, "%s interface `%s`", on ? "add" : "remove", iface);
  return 0;
}

/* Networks.  */

static const char *
recorded_zone (const cJSON *net)
{
  return cc_json_get_string (net, "firewalld_zone");
}

/* NET's bridge in ZONE at runtime and permanently.  */
static int
bind_bridge (struct cc_firewalld *fw, const char *zone, const char *br, cc_error_t *err)
{
  cleanup_free char *now = NULL;

  if (cc_firewalld_zone_of (fw, br, &now, err) < 0)
    return -1;
  if (strcmp (now, zone) != 0 && cc_firewalld_add (fw, zone, br, err) < 0)
    return -1;
  return cc_firewalld_permanent_set (fw, zone, br, true, err);
}

int
cc_net_firewalld_join (struct cc_net_state *st, cJSON *net, cc_error_t *err)
{
  cleanup_firewalld struct cc_firewalld *fw = NULL;
  cleanup_free char *zone = NULL;
  const char *br = cc_json_get_string (net, "bridge");

  if (cc_firewalld_connect (&fw, err) < 0)
    return -1;
  if (fw == NULL)
    return 0;
  if (recorded_zone (net) == NULL)
    {
      /* A zone the administrator chose (for cc+, say) stays theirs.  */
      if (cc_firewalld_zone_of (fw, br, &zone, err) < 0)
        return -1;
      if (*zone && strcmp (zone, CC_FIREWALLD_ZONE) != 0)
        {
          cc_debug ("firewalld: bridge `%s` is in zone `%s` already", br, zone);
          return 0;
        }
      cc_json_set_string (net, "firewalld_zone", CC_FIREWALLD_ZONE);
      if (cc_net_state_save (st, err) < 0)
        return -1;
    }
  cc_crash_point ("firewalld zone recorded");
  if (bind_bridge (fw, recorded_zone (net), br, err) < 0)
    return -1;
  cc_crash_point ("firewalld zone");
  return 0;
}

int
cc_net_firewalld_leave (const cJSON *net, cc_error_t *err)
{
  cleanup_firewalld struct cc_firewalld *fw = NULL;
  const char *zone = recorded_zone (net), *br = cc_json_get_string (net, "bridge");

  if (zone == NULL)
    return 0;
  if (cc_firewalld_connect (&fw, err) < 0)
    return -1;
  /* A firewalld that does not run has no runtime zones; its permanent
     ones wait for it (system check reports them once it runs).  */
  if (fw == NULL)
    return 0;
  if (cc_firewalld_remove (fw, zone, br, err) < 0 || cc_firewalld_permanent_set (fw, zone, br, false, err) < 0)
    return -1;
  return 0;
}

/* What NET's bridge lacks of its zone, as a note; with FIX, bound again.  */
static int
check_bridge (struct cc_firewalld *fw, const cJSON *net, bool fix, char ***notes, cc_error_t *err)
{
  cleanup_free char *zone = NULL;
  cleanup_strv char **permanent = NULL;
  const char *br = cc_json_get_string (net, "bridge"), *want = recorded_zone (net);
  const char *lacks = NULL;

  if (cc_firewalld_zone_of (fw, br, &zone, err) < 0 || cc_firewalld_permanent (fw, want, &permanent, err) < 0)
    return -1;
  if (strcmp (zone, want) != 0)
    lacks = "";
  else if (! cc_strv_contains (permanent, br))
    lacks = " (permanent configuration)";
  if (lacks == NULL)
    return 0;
  if (notes)
    cc_strv_push (notes, xasprintf ("firewalld: bridge %s is not in zone %s%s", br, want, lacks));
  return fix ? bind_bridge (fw, want, br, err) : 0;
}

int
cc_net_firewalld_check (const cJSON *root, bool fix, char ***notes, cc_error_t *err)
{
  cleanup_firewalld struct cc_firewalld *fw = NULL;
  cleanup_free char *here = cc_hostns_current ();
  const cJSON *net;
  bool any = false;

  for (net = cc_net_first (root, "networks"); net; net = net->next)
    any = any || (recorded_zone (net) && cc_hostns_is_here (net, here));
  if (! any)
    return 0;
  if (cc_firewalld_connect (&fw, err) < 0)
    return -1;
  for (net = cc_net_first (root, "networks"); fw && net; net = net->next)
    if (recorded_zone (net) && cc_hostns_is_here (net, here) && check_bridge (fw, net, fix, notes, err) < 0)
      return -1;
  return 0;
}

static bool
is_recorded_bridge (const cJSON *root, const char *here, const char *iface)
{
  for (const cJSON *net = cc_net_first (root, "networks"); net; net = net->next)
    if (cc_hostns_is_here (net, here) && recorded_zone (net)
        && strcmp (cc_json_get_string (net, "bridge") ?: "", iface) == 0)
      return true;
  return false;
}

/* This root's cc* links of this namespace, by their alias.  */
static int
our_links (char ***ours, cc_error_t *err)
{
  cleanup_nl_sock struct nl_sock *sk = NULL;
  cleanup_free char *prefix = xasprintf ("ccompose%s ", cc_paths_net_tag ());
  cleanup_strv char **aliases = NULL;

  if (cc_nl_open (-1, &sk, err) < 0 || cc_nl_links_with_alias (sk, prefix, ours, &aliases, err) < 0)
    return -1;
  return 0;
}

/* A cc* binding is residue when its bridge is this root's but no network
   records it, or when the interface is gone: a binding to a vanished
   interface helps nobody, whichever root made it.  */
static bool
is_residue (const cJSON *root, const char *here, char *const *ours, const char *iface)
{
  if (strncmp (iface, "cc", 2) != 0 || is_recorded_bridge (root, here, iface))
    return false;
  return cc_strv_contains (ours, iface) || if_nametoindex (iface) == 0;
}

static int
report (struct cc_firewalld *fw, const char *zone, const char *iface, bool permanent, bool fix, char ***found,
        cc_error_t *err)
{
  cc_strv_push (found, xasprintf ("firewalld zone %s%s: interface %s", zone, permanent ? " (permanent)" : "", iface));
  if (! fix)
    return 0;
  if (permanent)
    return cc_firewalld_permanent_set (fw, zone, iface, false, err);
  return cc_firewalld_remove (fw, zone, iface, err);
}

int
cc_net_firewalld_residue (const cJSON *root, bool fix, char ***found, cc_error_t *err)
{
  cleanup_firewalld struct cc_firewalld *fw = NULL;
  cleanup_strv char **bindings = NULL, **permanent = NULL, **ours = NULL;
  cleanup_free char *here = cc_hostns_current ();

  if (cc_firewalld_connect (&fw, err) < 0)
    return -1;
  if (fw == NULL)
    return 0;
  if (cc_firewalld_bindings (fw, &bindings, err) < 0 || our_links (&ours, err) < 0
      || cc_firewalld_permanent (fw, CC_FIREWALLD_ZONE, &permanent, err) < 0)
    return -1;
  for (char **b = bindings; b && *b; b++)
    {
      const char *iface = strchr (*b, ' ') + 1;
      cleanup_free char *zone = xstrndup (*b, (size_t)(iface - 1 - *b));

      if (is_residue (root, here, ours, iface) && report (fw, zone, iface, false, fix, found, err) < 0)
        return -1;
    }
  /* Only ccompose's zone is looked at in the permanent configuration:
     it is the only one ccompose writes.  */
  for (char **p = permanent; p && *p; p++)
    if (is_residue (root, here, ours, *p) && report (fw, CC_FIREWALLD_ZONE, *p, true, fix, found, err) < 0)
      return -1;
  return 0;
}
