/* Teardown of a whole project, and the residue check: find what carries
   our names but belongs to no live project.  Both keep going after a
   failure and report every one at the end (netavark's error list); both
   can run again.  */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/finding.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/firewall.h"
#include "network/firewalld.h"
#include "network/hostns.h"
#include "network/link.h"
#include "network/netimpl.h"
#include "network/network.h"
#include "network/state.h"

static bool
str_eq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

/* The whole network goes: its members' veths with the bridge, in one
   kernel batch (cc_net_remove_locked), and no hosts file is rewritten,
   since every container that could read one is going too.  */
static void
teardown_network (struct cc_net_state *st, cJSON *net, cc_error_t *list)
{
  cc_error_t e = NULL;

  if (cc_net_remove_locked (st, net, &e) < 0)
    cc_error_append (list, &e);
}

/* Netns entries of PROJECT (or of every project not in LIVE).  */
static void
teardown_netns (struct cc_net_state *st, bool (*doomed) (const char *project, void *data), void *data,
                struct cc_findings *found, bool fix, cc_error_t *list)
{
  cJSON *arr = cc_net_state_array (st->root, "netns");
  cJSON *e, *next;
  cc_error_t err = NULL;

  for (e = arr->child; e; e = next)
    {
      next = e->next;
      if (! doomed (cc_json_get_string (e, "project"), data))
        continue;
      if (found)
        cc_findings_add (found, "network", true, xasprintf ("netns %s", cc_json_get_string (e, "path") ?: "?"), NULL);
      if (! fix)
        continue;
      if (cc_netns_unbind (cc_json_get_string (e, "path") ?: "", &err) < 0)
        cc_error_append (list, &err);
      else
        cc_net_state_remove (arr, e);
    }
  if (cc_net_state_save (st, &err) < 0)
    cc_error_append (list, &err);
}

typedef bool (*doomed_fn) (const char *project, void *data);

/* The members of NET that belong to a doomed project (WANT_DOOMED) or to a
   live one; their number in *N.  */
static cJSON **
members_where (const cJSON *net, doomed_fn doomed, void *data, bool want_doomed, size_t *n)
{
  cJSON **v
      = xzalloc (((size_t)cJSON_GetArraySize (cJSON_GetObjectItemCaseSensitive (net, "members")) + 1) * sizeof (*v));
  cJSON *m;

  *n = 0;
  for (m = cc_net_first (net, "members"); m; m = m->next)
    if (doomed (cc_net_member_project (net, m), data) == want_doomed)
      v[(*n)++] = m;
  return v;
}

static void
detach_members (struct cc_net_state *st, cJSON *net, cJSON **members, size_t n, cc_error_t *list)
{
  cc_error_t e = NULL;

  if (n && cc_net_detach_locked (st, net, members, n, &e) < 0)
    cc_error_append (list, &e);
}

/* Containers of doomed projects on the networks of live ones (joined as
   external) leave them; the networks stay.  */
static void
leave_live_networks (struct cc_net_state *st, doomed_fn doomed, void *data, struct cc_findings *found, bool fix,
                     cc_error_t *list)
{
  cJSON *net;

  for (net = cc_net_first (st->root, "networks"); net; net = net->next)
    {
      size_t n = 0;
      cleanup_free cJSON **leaving = NULL;

      if (doomed (cc_json_get_string (net, "project"), data))
        continue;
      leaving = members_where (net, doomed, data, true, &n);
      for (size_t i = 0; found && i < n; i++)
        {
          cleanup_free char *full
              = cc_paths_resource_name (cc_json_get_string (net, "project"), cc_json_get_string (net, "name"));
          cc_findings_add (
              found, "network", true,
              xasprintf ("endpoint of %s on network %s", cc_json_get_string (leaving[i], "container"), full), NULL);
        }
      if (fix)
        detach_members (st, net, leaving, n, list);
    }
}

/* Docker refuses to remove a network with endpoints; so do we when they
   belong to a live project that joined it as external.  The doomed
   project's own containers leave it, and the record stays for a later
   teardown, so nothing of a live project breaks under it.  */
static bool
keep_busy_network (struct cc_net_state *st, cJSON *net, doomed_fn doomed, void *data, cc_error_t *list)
{
  size_t n_live = 0, n_leaving = 0;
  cleanup_free cJSON **live = members_where (net, doomed, data, false, &n_live);
  cleanup_free cJSON **leaving = members_where (net, doomed, data, true, &n_leaving);
  cleanup_strv char **names = NULL;
  cleanup_free char *joined = NULL;
  cc_error_t e = NULL;

  if (n_live == 0)
    return false;
  for (size_t i = 0; i < n_live; i++)
    cc_strv_push (&names, xasprintf ("%s of project %s", cc_json_get_string (live[i], "container"),
                                     cc_net_member_project (net, live[i])));
  joined = cc_strv_join (names, ", ");
  cc_error_make (&e, EBUSY,
                 "error while removing network: network %s has active endpoints (%s): bring their projects down, "
                 "then `down` again removes it",
                 cc_json_get_string (net, "full_name") ?: cc_json_get_string (net, "name"), joined);
  cc_error_append (list, &e);
  detach_members (st, net, leaving, n_leaving, list);
  return true;
}

static void
teardown_networks (struct cc_net_state *st, doomed_fn doomed, void *data, struct cc_findings *found, bool fix,
                   cc_error_t *list)
{
  cJSON *nets = cc_net_state_array (st->root, "networks");
  cJSON *net, *next;

  for (net = nets->child; net; net = next)
    {
      next = net->next;
      if (! doomed (cc_json_get_string (net, "project"), data))
        continue;
      if (found)
        {
          cleanup_free char *full
              = cc_paths_resource_name (cc_json_get_string (net, "project"), cc_json_get_string (net, "name"));
          cc_findings_add (found, "network", true, xasprintf ("network %s", full),
                           xasprintf ("bridge %s", cc_json_get_string (net, "bridge")));
        }
      if (fix && ! keep_busy_network (st, net, doomed, data, list))
        teardown_network (st, net, list);
    }
}

static bool
is_project (const char *project, void *data)
{
  return str_eq (project, data);
}

int
cc_network_teardown_project (const char *project, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cc_error_t list = NULL, e = NULL;

  /* The responder first: its sockets keep the namespaces alive.  */
  if (cc_network_dns_stop (project, &e) < 0)
    cc_error_append (&list, &e);
  if (cc_net_state_open (&st, &e) < 0)
    {
      cc_error_append (&list, &e);
      return cc_net_give_errors (err, &list);
    }
  leave_live_networks (&st, is_project, (void *)project, NULL, true, &list);
  teardown_networks (&st, is_project, (void *)project, NULL, true, &list);
  teardown_netns (&st, is_project, (void *)project, NULL, true, &list);
  if (list)
    {
      cc_net_give_errors (err, &list);
      return cc_error_wrap (err, "network teardown of project `%s`", project);
    }
  return 0;
}

/* Residue.  */

static bool
is_dead (const char *project, void *data)
{
  char *const *live = data;

  /* `network create`'s networks live until `network rm`, as Docker's.  */
  if (project && strcmp (project, CC_NET_STANDALONE) == 0)
    return false;
  return live != NULL && ! cc_strv_contains (live, project ? project : "");
}

/* A link of a network that lives in another namespace is not that
   network's, wherever its alias says it is from.  */
static bool
alias_is_recorded (const cJSON *root, const char *here, const char *alias)
{
  const cJSON *net, *m;

  for (net = cc_net_first (root, "networks"); net; net = net->next)
    {
      if (! cc_hostns_is_here (net, here))
        continue;
      cleanup_free char *mine
          = cc_net_link_alias (cc_json_get_string (net, "project"), cc_json_get_string (net, "name"), NULL);
      if (str_eq (mine, alias))
        return true;
      for (m = cc_net_first (net, "members"); m; m = m->next)
        {
          cleanup_free char *veth
              = cc_net_link_alias (cc_json_get_string (net, "project"), cc_json_get_string (net, "name"),
                                   cc_json_get_string (m, "container"));
          if (str_eq (veth, alias))
            return true;
        }
    }
  return false;
}

static void
residue_links (const cJSON *root, bool fix, struct cc_findings *found, cc_error_t *list)
{
  cleanup_nl_sock struct nl_sock *sk = NULL;
  cleanup_strv char **names = NULL, **aliases = NULL;
  cleanup_free char *prefix = xasprintf ("ccompose%s ", cc_paths_net_tag ());
  cleanup_free char *here = cc_hostns_current ();
  cc_error_t e = NULL;

  if (cc_nl_open (-1, &sk, &e) < 0 || cc_nl_links_with_alias (sk, prefix, &names, &aliases, &e) < 0)
    {
      cc_error_append (list, &e);
      return;
    }
  for (size_t i = 0; names && names[i]; i++)
    {
      if (alias_is_recorded (root, here, aliases[i]))
        continue;
      cc_findings_add (found, "network", true, xasprintf ("interface %s", names[i]), xstrdup (aliases[i]));
      if (fix && cc_nl_link_delete (sk, names[i], &e) < 0)
        cc_error_append (list, &e);
    }
}

static bool
netns_is_recorded (const cJSON *root, const char *path)
{
  const cJSON *e;

  for (e = cc_net_first (root, "netns"); e; e = e->next)
    if (str_eq (cc_json_get_string (e, "path"), path))
      return true;
  return false;
}

static void
residue_netns_files (const cJSON *root, bool fix, struct cc_findings *found, cc_error_t *list)
{
  cleanup_free char *dir = cc_paths_netns_dir ();
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  cc_error_t e = NULL;

  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL;

      if (de->d_name[0] == '.')
        continue;
      path = cc_path_join (dir, de->d_name);
      if (netns_is_recorded (root, path))
        continue;
      cc_findings_add (found, "network", true, xasprintf ("netns %s", path), xstrdup ("not recorded"));
      if (fix && cc_netns_unbind (path, &e) < 0)
        cc_error_append (list, &e);
    }
}

/* K is "table/CHAIN" for a chain or "table/CHAIN comment" for a rule,
   after CC_FW_KEY6 for an IPv6 copy.  */
static bool
is_wanted (const struct cc_fw_ruleset *rs, const char *k)
{
  if (strncmp (k, CC_FW_KEY6, strlen (CC_FW_KEY6)) == 0)
    k += strlen (CC_FW_KEY6);
  const char *space = strchr (k, ' ');
  const char *chain = strchr (k, '/') ? strchr (k, '/') + 1 : k;
  size_t chain_len = space ? (size_t)(space - chain) : strlen (chain);

  for (size_t i = 0; space == NULL && i < rs->n_chains; i++)
    if (strlen (rs->chains[i].name) == chain_len && strncmp (rs->chains[i].name, chain, chain_len) == 0)
      return true;
  for (size_t i = 0; space && i < rs->n_rules; i++)
    if (str_eq (rs->rules[i].comment, space + 1))
      return true;
  return false;
}

/* Where another firewall drops forwarded packets (coexist just looked),
   each live network of this namespace gets the probe `up` sent (issue
   17): a bridge it does not cross is a problem no fix of ours solves.  */
static void
probe_live (const cJSON *root, const char *here, struct cc_findings *found)
{
  for (const cJSON *net = cc_net_first (root, "networks"); net; net = net->next)
    {
      char *dropped;

      if (! cc_hostns_is_here (net, here) || (dropped = cc_net_probe_network (net)) == NULL)
        continue;
      cc_findings_add (found, "network", false, dropped, NULL);
    }
}

/* Rules: the kernel's rules of this root in this namespace must be
   exactly what the state asks for of the networks that live here;
   anything else (a crash between the commit and the state update, a
   project whose state is gone, the rules another namespace's networks
   used to get here) is residue, and a sync fixes it.  */
static void
residue_rules (const cJSON *root, bool fix, struct cc_findings *found, cc_error_t *list)
{
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
  const struct cc_firewall_ops *ops;
  cleanup_strv char **kernel = NULL, **missing = NULL;
  cleanup_free char *here = cc_hostns_current ();
  cc_error_t e = NULL;

  if ((ops = cc_firewall (&e)) == NULL || cc_fw_build (root, cc_paths_net_tag (), here, &rs, &e) < 0
      || ops->list_ours (cc_paths_net_tag (), &kernel, &e) < 0)
    {
      cc_error_append (list, &e);
      return;
    }
  for (char **k = kernel; k && *k; k++)
    if (! is_wanted (&rs, *k))
      cc_findings_add (found, "network", true, cc_fw_key_text (ops, *k), NULL);
  /* Rules a live network needs that another tool took away (issue 17):
     as much a problem as ones left over.  */
  if (cc_firewall_missing (&rs, &missing, &e) < 0)
    cc_error_append (list, &e);
  for (char **m = missing; m && *m; m++)
    cc_findings_add (found, "network", true, xasprintf ("missing: %s", *m), NULL);
  if (fix && cc_firewall_sync (root, &e) < 0)
    cc_error_append (list, &e);
  probe_live (root, here, found);
}

/* firewalld's zones (firewalld.c): bindings of dead networks' bridges,
   and live ones' bridges that left their zone.  */
static void
residue_firewalld (const cJSON *root, bool fix, struct cc_findings *found, cc_error_t *list)
{
  cleanup_strv char **stray = NULL, **missing = NULL;
  cc_error_t e = NULL;

  if (cc_net_firewalld_residue (root, fix, &stray, &e) < 0 || cc_net_firewalld_check (root, fix, &missing, &e) < 0)
    cc_error_append (list, &e);
  for (char **s = stray; s && *s; s++)
    cc_findings_add (found, "network", true, xstrdup (*s), NULL);
  for (char **m = missing; m && *m; m++)
    cc_findings_add (found, "network", true, xasprintf ("missing: %s", *m), NULL);
}

/* ip_forward turned on by ccompose in this namespace with no network
   left here to need it.  */
static void
residue_forwarding (struct cc_net_state *st, bool fix, struct cc_findings *found, cc_error_t *list)
{
  cc_error_t e = NULL;

  if (! cc_hostns_forwarding_unneeded (st->root))
    return;
  cc_findings_add (found, "network", true, xstrdup ("sysctl net.ipv4.ip_forward"),
                   xstrdup ("turned on by ccompose, no network needs it"));
  if (! fix)
    return;
  if (cc_hostns_forwarding_restore (st->root, &e) < 0 || cc_net_state_save (st, &e) < 0)
    cc_error_append (list, &e);
}

/* A namespace that is gone took its links, rules and sysctls with it:
   only a record of the ip_forward it had may be left.  */
static void
residue_gone (struct cc_net_state *st, const char *id, bool fix, struct cc_findings *found, cc_error_t *list)
{
  cleanup_free char *name = cc_hostns_describe (id);
  cc_error_t e = NULL;

  if (cc_hostns_has_network (st->root, id) || ! cc_hostns_forwarding_recorded (st->root, id))
    return;
  cc_findings_add (found, "network", true,
                   xasprintf ("record of net.ipv4.ip_forward in network namespace %s, which is gone", name), NULL);
  if (! fix)
    return;
  cc_hostns_forwarding_forget (st->root, id);
  if (cc_net_state_save (st, &e) < 0)
    cc_error_append (list, &e);
}

/* Links, rules and ip_forward of this root in the namespace ID, entered
   for the look; findings there name it.  */
static void
residue_in_namespace (struct cc_net_state *st, const char *id, bool fix, struct cc_findings *found, cc_error_t *list)
{
  cleanup_hostns_visit struct cc_hostns_visit v = CC_HOSTNS_VISIT_INIT;
  cleanup_free char *here = cc_hostns_current ();
  cleanup_free char *name = NULL;
  cleanup_findings struct cc_findings f = { 0 };
  cc_error_t e = NULL;
  int where;

  if (strcmp (id, here ?: "") != 0)
    name = cc_hostns_describe (id);
  where = cc_hostns_enter (id, &v, &e);
  if (where < 0)
    {
      cc_error_append (list, &e);
      return;
    }
  if (where == CC_HOSTNS_GONE)
    {
      residue_gone (st, id, fix, found, list);
      return;
    }
  residue_links (st->root, fix, &f, list);
  residue_rules (st->root, fix, &f, list);
  residue_firewalld (st->root, fix, &f, list);
  residue_forwarding (st, fix, &f, list);
  for (size_t i = 0; name && i < f.n; i++)
    f.v[i].where = xasprintf ("network namespace %s", name);
  cc_findings_move (found, &f);
}

int
cc_network_residue (bool fix, char *const *live, struct cc_findings *f, cc_error_t *err)
{
  cleanup_net_state struct cc_net_state st = { .lock_fd = -1 };
  cleanup_strv char **namespaces = NULL;
  cc_error_t list = NULL;

  if (cc_net_state_open (&st, err) < 0)
    return -1;
  /* Dead projects first: their records go, so what the kernel still has
     of them shows up below as unrecorded.  */
  leave_live_networks (&st, is_dead, (void *)live, f, fix, &list);
  teardown_networks (&st, is_dead, (void *)live, f, fix, &list);
  teardown_netns (&st, is_dead, (void *)live, f, fix, &list);
  /* Every namespace the state knows of, this one first: a root used from
     several (issue 12 item 4) has rules and links in each.  */
  namespaces = cc_hostns_recorded (st.root);
  for (char **id = namespaces; *id; id++)
    residue_in_namespace (&st, *id, fix, f, &list);
  residue_netns_files (st.root, fix, f, &list);
  return list ? cc_net_give_errors (err, &list) : 0;
}
