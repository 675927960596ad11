/* Networks, names and name resolution.  Pods share one flat network, so
   the isolation compose networks give (a service reaches only services
   of its networks) needs NetworkPolicies: with --network-policies each
   pod admits exactly the services it shares a network with, plus its
   published ports; without it, isolation that the file asks for is a
   dropped key.  */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "convert/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* ---- service keys ---------------------------------------------------------- */

int
cv_key_service_networks (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  for (const cJSON *n = v->child; n; n = n->next)
    {
      cleanup_free char *sub = xasprintf ("%s.%s", key, n->string);
      for (const cJSON *k = n->child; k; k = k->next)
        {
          cleanup_free char *subk = xasprintf ("%s.%s", sub, k->string);
          if (strcmp (k->string, "aliases") == 0)
            cv_note (c, s, subk, CC_CONVERT_APPROXIMATED,
                     "a Service per alias, for the whole namespace rather than for this network");
          else
            cv_note (c, s, subk, CC_CONVERT_DROPPED, "the cluster network assigns addresses and routes");
        }
      cv_note (c, s, sub, CC_CONVERT_CONVERTED, "%s",
               c->o->network_policies ? "its NetworkPolicy admits the services of this network"
                                      : "the pod network (see the project's `networks` line)");
    }
  return 0;
}

int
cv_key_network_mode (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  const char *mode = v->valuestring;

  (void)err;
  if (strcmp (mode, "host") == 0)
    {
      cc_json_set_bool (s->pod, "hostNetwork", true);
      cc_json_set_string (s->pod, "dnsPolicy", "ClusterFirstWithHostNet");
      cv_note (c, s, key, CC_CONVERT_CONVERTED,
               "hostNetwork: the node's network (it needs a privileged PodSecurity level)");
    }
  else if (strcmp (mode, "bridge") == 0)
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "the pod network");
  else if (s->kind == CV_SIDECAR)
    cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
             "a second container in the pod of `%s`, which shares its network namespace as asked; it is scaled, "
             "placed and restarted with `%s`",
             s->host->name, s->host->name);
  else
    cv_note (c, s, key, CC_CONVERT_DROPPED, "`%s`: a pod always has a network of its own", mode);
  return 0;
}

int
cv_key_links (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  for (const cJSON *l = v->child; l; l = l->next)
    if (strchr (l->valuestring, ':') && strcmp (strchr (l->valuestring, ':') + 1, "") != 0)
      {
        cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
                 "the services it names get Services; link aliases become Services of their own, seen by every pod");
        return 0;
      }
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "the services it names get Services");
  return 0;
}

static cJSON *
dns_config (struct cv_svc *s)
{
  return cv_pod_object (s, "dnsConfig");
}

int
cv_key_dns (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  cJSON *list = cJSON_CreateArray ();
  const char *field = strcmp (key, "dns") == 0          ? "nameservers"
                      : strcmp (key, "dns_search") == 0 ? "searches"
                                                        : "options";

  (void)err;
  for (const cJSON *it = v->child; it; it = it->next)
    {
      if (strcmp (field, "options") == 0)
        {
          cleanup_free char *name = xstrdup (it->valuestring);
          char *colon = strchr (name, ':');
          cJSON *o = cJSON_CreateObject ();
          if (colon)
            *colon = '\0';
          cc_json_set_string (o, "name", name);
          if (colon)
            cc_json_set_string (o, "value", colon + 1);
          cJSON_AddItemToArray (list, o);
        }
      else
        cJSON_AddItemToArray (list, cJSON_CreateString (it->valuestring));
    }
  cc_json_set (dns_config (s), field, list);
  if (strcmp (field, "nameservers") == 0)
    cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
             "dnsConfig.nameservers, listed after the cluster DNS (which still answers service names first; at most "
             "3 servers in all)");
  else
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "dnsConfig.%s, after the cluster's own", field);
  return 0;
}

int
cv_key_extra_hosts (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  cJSON *aliases = cv_pod_list (s, "hostAliases");
  int i = 0;

  (void)err;
  for (const cJSON *h = v->child; h; h = h->next, i++)
    {
      cleanup_free char *host = xstrdup (h->valuestring);
      cleanup_free char *sub = xasprintf ("%s[%d]", key, i);
      char *eq = strchr (host, '=');
      cJSON *entry = NULL;

      if (eq == NULL)
        continue;
      *eq = '\0';
      if (strcmp (eq + 1, "host-gateway") == 0)
        {
          cv_note (c, s, sub, CC_CONVERT_DROPPED, "`host-gateway`: a pod has no fixed address for its node");
          continue;
        }
      for (cJSON *a = aliases->child; a; a = a->next)
        if (strcmp (cc_json_get_string (a, "ip"), eq + 1) == 0)
          entry = a;
      if (entry == NULL)
        {
          entry = cJSON_CreateObject ();
          cc_json_set_string (entry, "ip", eq + 1);
          cc_json_set (entry, "hostnames", cJSON_CreateArray ());
          cJSON_AddItemToArray (aliases, entry);
        }
      cJSON_AddItemToArray (cJSON_GetObjectItemCaseSensitive (entry, "hostnames"), cJSON_CreateString (host));
      cv_note (c, s, sub, CC_CONVERT_CONVERTED, "hostAliases %s -> %s", host, eq + 1);
    }
  if (aliases->child == NULL)
    cJSON_DeleteItemFromObjectCaseSensitive (s->pod, "hostAliases");
  return 0;
}

/* ---- the project's networks ----------------------------------------------- */

static const cJSON *
networks_of (const struct cv_svc *s)
{
  return cJSON_GetObjectItemCaseSensitive (s->cfg, "networks");
}

static bool
share_network (const struct cv_svc *a, const struct cv_svc *b)
{
  for (const cJSON *n = networks_of (a) ? networks_of (a)->child : NULL; n; n = n->next)
    if (cJSON_GetObjectItemCaseSensitive (networks_of (b), n->string))
      return true;
  return false;
}

static bool
only_internal (struct cv *c, const struct cv_svc *s)
{
  const cJSON *defs = cJSON_GetObjectItemCaseSensitive (c->p->model, "networks");
  bool any = false;

  for (const cJSON *n = networks_of (s) ? networks_of (s)->child : NULL; n; n = n->next)
    {
      if (! cc_json_get_bool (cJSON_GetObjectItemCaseSensitive (defs, n->string), "internal", false))
        return false;
      any = true;
    }
  return any;
}

static cJSON *
peer (struct cv *c, const struct cv_svc *t)
{
  cJSON *p = cJSON_CreateObject ();
  cJSON *sel = cJSON_CreateObject ();

  cc_json_set (sel, "matchLabels", cv_selector (c, t));
  cc_json_set (p, "podSelector", sel);
  return p;
}

static cJSON *
peers_of (struct cv *c, const struct cv_svc *s)
{
  cJSON *from = cJSON_CreateArray ();

  for (size_t i = 0; i < c->n_svcs; i++)
    {
      const struct cv_svc *t = &c->svcs[i];
      if (t->kind != CV_SIDECAR && networks_of (t) && share_network (s, t))
        cJSON_AddItemToArray (from, peer (c, t));
    }
  return from;
}

static cJSON *
published_rule (const struct cv_svc *s)
{
  cJSON *rule = cJSON_CreateObject ();
  cJSON *ports = cJSON_CreateArray ();

  for (size_t i = 0; i < s->n_ports; i++)
    if (s->ports[i].published > 0)
      {
        cJSON *p = cJSON_CreateObject ();
        cc_json_set_int (p, "port", s->ports[i].target);
        cc_json_set_string (p, "protocol", s->ports[i].protocol);
        cJSON_AddItemToArray (ports, p);
      }
  cc_json_set (rule, "ports", ports);
  return rule;
}

/* Pods only on internal networks reach their peers and the cluster DNS,
   nothing outside.  */
static cJSON *
internal_egress (struct cv *c, const struct cv_svc *s)
{
  cJSON *rules = cJSON_CreateArray ();
  cJSON *to_peers = cJSON_CreateObject ();
  cJSON *dns = cJSON_CreateObject ();
  cJSON *dns_to = cJSON_CreateArray ();
  cJSON *any_ns = cJSON_CreateObject ();
  cJSON *ports = cJSON_CreateArray ();
  const char *protos[] = { "UDP", "TCP" };

  cc_json_set (to_peers, "to", peers_of (c, s));
  cJSON_AddItemToArray (rules, to_peers);
  cc_json_set (any_ns, "namespaceSelector", cJSON_CreateObject ());
  cJSON_AddItemToArray (dns_to, any_ns);
  cc_json_set (dns, "to", dns_to);
  for (size_t i = 0; i < 2; i++)
    {
      cJSON *p = cJSON_CreateObject ();
      cc_json_set_int (p, "port", 53);
      cc_json_set_string (p, "protocol", protos[i]);
      cJSON_AddItemToArray (ports, p);
    }
  cc_json_set (dns, "ports", ports);
  cJSON_AddItemToArray (rules, dns);
  return rules;
}

static int
policy (struct cv *c, struct cv_svc *s, cc_error_t *err)
{
  cJSON *np = cv_object (c, "networking.k8s.io/v1", "NetworkPolicy", s->k8s);
  cJSON *spec = cJSON_CreateObject ();
  cJSON *pod_sel = cJSON_CreateObject ();
  cJSON *types = cJSON_CreateArray ();
  cJSON *ingress = cJSON_CreateArray ();
  cJSON *from = peers_of (c, s);
  cleanup_free char *origin = xasprintf ("the networks of service `%s`", s->name);

  cc_json_set (pod_sel, "matchLabels", cv_selector (c, s));
  cc_json_set (spec, "podSelector", pod_sel);
  cJSON_AddItemToArray (types, cJSON_CreateString ("Ingress"));
  if (from->child)
    {
      cJSON *rule = cJSON_CreateObject ();
      cc_json_set (rule, "from", from);
      cJSON_AddItemToArray (ingress, rule);
    }
  else
    cJSON_Delete (from);
  if (s->has_published)
    cJSON_AddItemToArray (ingress, published_rule (s));
  cc_json_set (spec, "ingress", ingress);
  if (only_internal (c, s))
    {
      cJSON_AddItemToArray (types, cJSON_CreateString ("Egress"));
      cc_json_set (spec, "egress", internal_egress (c, s));
    }
  cc_json_set (spec, "policyTypes", types);
  cc_json_set (np, "spec", spec);
  return cv_add_object (c, np, origin, err);
}

/* Which services the compose networks keep apart (for the report).  */
static char *
isolated_pair (struct cv *c)
{
  for (size_t i = 0; i < c->n_svcs; i++)
    for (size_t j = i + 1; j < c->n_svcs; j++)
      if (networks_of (&c->svcs[i]) && networks_of (&c->svcs[j]) && ! share_network (&c->svcs[i], &c->svcs[j]))
        return xasprintf ("`%s` and `%s`", c->svcs[i].name, c->svcs[j].name);
  return NULL;
}

static void
note_network_keys (struct cv *c, const char *name, const cJSON *def)
{
  cleanup_free char *scope = xasprintf ("network %s", name);

  for (const cJSON *k = def ? def->child : NULL; k; k = k->next)
    {
      if (strcmp (k->string, "name") == 0 || strcmp (k->string, "attachable") == 0
          || (strcmp (k->string, "ipam") == 0 && k->child == NULL))
        continue;
      if (strcmp (k->string, "internal") == 0 && cJSON_IsTrue (k))
        cv_note_top (c, scope, k->string, c->o->network_policies ? CC_CONVERT_CONVERTED : CC_CONVERT_DROPPED, "%s",
                     c->o->network_policies ? "pods only on internal networks get an egress policy: their peers and "
                                              "DNS"
                                            : "nothing keeps its pods from the outside without --network-policies");
      else if (strcmp (k->string, "driver") == 0)
        cv_note_top (c, scope, k->string, CC_CONVERT_APPROXIMATED, "the cluster's pod network, whatever the driver");
      else if (strcmp (k->string, "external") == 0)
        cv_note_top (c, scope, k->string, CC_CONVERT_APPROXIMATED,
                     "the pod network; other projects' pods are not on it");
      else if (strcmp (k->string, "enable_ipv6") == 0 || strcmp (k->string, "enable_ipv4") == 0)
        cv_note_top (c, scope, k->string, CC_CONVERT_APPROXIMATED, "the cluster's address families");
      else
        cv_note_top (c, scope, k->string, CC_CONVERT_DROPPED, "the cluster network assigns addresses and routes");
    }
}

int
cv_build_network_policies (struct cv *c, cc_error_t *err)
{
  const cJSON *defs = cJSON_GetObjectItemCaseSensitive (c->p->model, "networks");
  cleanup_free char *pair = isolated_pair (c);
  cleanup_strv char **used = NULL;

  for (size_t i = 0; i < c->n_svcs; i++)
    for (const cJSON *n = networks_of (&c->svcs[i]) ? networks_of (&c->svcs[i])->child : NULL; n; n = n->next)
      if (! cc_strv_contains (used, n->string))
        cc_strv_append (&used, n->string);
  for (char **n = used; n && *n; n++)
    note_network_keys (c, *n, cJSON_GetObjectItemCaseSensitive (defs, *n));
  if (c->o->network_policies)
    {
      for (size_t i = 0; i < c->n_svcs; i++)
        if (c->svcs[i].kind != CV_SIDECAR && ! cc_json_get_bool (c->svcs[i].pod, "hostNetwork", false)
            && policy (c, &c->svcs[i], err) < 0)
          return -1;
      cv_note_top (c, "project", "networks", CC_CONVERT_CONVERTED,
                   "a NetworkPolicy per service admits the services it shares a compose network with, and its "
                   "published ports from anywhere");
    }
  else if (pair)
    cv_note_top (c, "project", "networks", CC_CONVERT_DROPPED,
                 "%s share no network, but every pod reaches every other in a cluster: --network-policies keeps them "
                 "apart",
                 pair);
  else if (used)
    cv_note_top (c, "project", "networks", CC_CONVERT_CONVERTED,
                 "the services share their networks: the pod network lets them all reach each other");
  return 0;
}
