/* Services.  Every service that another names (depends_on, links, an
   environment value, a command line), or that has ports, gets a Service
   of its name, so names keep resolving in the cluster; Kompose makes
   Services only for `ports` (kompose#1154).  A published port keeps both
   meanings it has under compose: `web:5000` inside the cluster, and port
   80 (of "80:5000") on the Service, of the --service-type chosen.  */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "convert/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static bool
is_loopback (const char *ip)
{
  return ip && (strncmp (ip, "127.", 4) == 0 || strcmp (ip, "::1") == 0);
}

static const char *
service_type (struct cv *c)
{
  return c->o->service_type ? c->o->service_type : "ClusterIP";
}

static bool
external_type (struct cv *c)
{
  return strcmp (service_type (c), "ClusterIP") != 0;
}

/* ---- the report of ports and expose ----------------------------------- */

int
cv_key_ports (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  size_t i = 0;

  (void)err;
  for (const cJSON *p = v->child; p; p = p->next, i++)
    {
      cleanup_free char *sub = xasprintf ("%s[%zu]", key, i);
      const char *pub = cc_json_get_string (p, "published"), *ip = cc_json_get_string (p, "host_ip");
      const char *proto = cc_json_get_string (p, "protocol");
      int64_t target = cc_json_get_int (p, "target", 0);

      if (pub == NULL || *pub == '\0')
        cv_note (c, s, sub, CC_CONVERT_CONVERTED, "Service `%s` port %" PRId64 " (%s)", s->k8s, target,
                 proto ? proto : "tcp");
      else if (is_loopback (ip))
        cv_note (c, s, sub, CC_CONVERT_APPROXIMATED,
                 "Service `%s` port %s -> targetPort %" PRId64 ", inside the cluster only (published on %s): reach it "
                 "with kubectl port-forward",
                 s->k8s, pub, target, ip);
      else if (external_type (c))
        cv_note (c, s, sub,
                 ip && strcmp (ip, "0.0.0.0") != 0 && strcmp (ip, "::") != 0 ? CC_CONVERT_APPROXIMATED
                                                                             : CC_CONVERT_CONVERTED,
                 "%s Service `%s-external` port %s -> targetPort %" PRId64 "%s", service_type (c), s->k8s, pub, target,
                 ip && strcmp (ip, "0.0.0.0") != 0 && strcmp (ip, "::") != 0 ? " (the host address is not kept)" : "");
      else
        cv_note (c, s, sub,
                 ip && strcmp (ip, "0.0.0.0") != 0 && strcmp (ip, "::") != 0 ? CC_CONVERT_APPROXIMATED
                                                                             : CC_CONVERT_CONVERTED,
                 "Service `%s` port %s -> targetPort %" PRId64 " (--service-type NodePort or LoadBalancer publishes "
                 "it outside the cluster)%s",
                 s->k8s, pub, target,
                 ip && strcmp (ip, "0.0.0.0") != 0 && strcmp (ip, "::") != 0 ? "; the host address is not kept" : "");
    }
  return 0;
}

int
cv_key_expose (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)v, (void)err;
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "containerPorts and ports of Service `%s`", s->k8s);
  return 0;
}

/* ---- objects ------------------------------------------------------------- */

static bool
has_service_port (const cJSON *ports, int64_t port, const char *proto)
{
  for (const cJSON *p = ports->child; p; p = p->next)
    if (cc_json_get_int (p, "port", 0) == port && strcmp (cc_json_get_string (p, "protocol"), proto) == 0)
      return true;
  return false;
}

static bool
has_port_name (const cJSON *ports, const char *name)
{
  for (const cJSON *p = ports->child; p; p = p->next)
    if (cc_json_get_string (p, "name") && strcmp (cc_json_get_string (p, "name"), name) == 0)
      return true;
  return false;
}

static void
add_service_port (cJSON *ports, const struct cv_port *p, int64_t port, bool with_node_port)
{
  cJSON *sp;
  cleanup_free char *name = p->name ? cv_port_name (p->name) : NULL;
  cleanup_free char *proto = xstrdup (p->protocol);

  if (has_service_port (ports, port, p->protocol))
    return;
  for (char *q = proto; *q; q++)
    *q = (char)(*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q);
  if (name == NULL || has_port_name (ports, name))
    {
      free (name);
      name = xasprintf ("%s-%" PRId64, proto, port);
    }
  sp = cJSON_CreateObject ();
  cc_json_set_string (sp, "name", name);
  cc_json_set_int (sp, "port", port);
  cc_json_set_int (sp, "targetPort", p->target);
  cc_json_set_string (sp, "protocol", p->protocol);
  if (p->app_protocol)
    cc_json_set_string (sp, "appProtocol", p->app_protocol);
  if (with_node_port && p->published >= 30000 && p->published <= 32767)
    cc_json_set_int (sp, "nodePort", p->published);
  cJSON_AddItemToArray (ports, sp);
}

/* The ports of the Service inside the cluster: published ones under their
   published number, every container port under its own.  */
static cJSON *
internal_ports (const struct cv_svc *s)
{
  cJSON *ports = cJSON_CreateArray ();

  for (size_t i = 0; i < s->n_ports; i++)
    if (s->ports[i].published > 0)
      add_service_port (ports, &s->ports[i], s->ports[i].published, false);
  for (size_t i = 0; i < s->n_ports; i++)
    add_service_port (ports, &s->ports[i], s->ports[i].target, false);
  return ports;
}

static bool
is_headless (const struct cv_svc *s)
{
  const char *mode = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (s->cfg, "deploy"), "endpoint_mode");

  return s->n_ports == 0 || (mode && strcmp (mode, "dnsrr") == 0);
}

static int
service_object (struct cv *c, struct cv_svc *s, const char *name, const char *type, cJSON *ports, const char *origin,
                cc_error_t *err)
{
  struct cv_svc *owner = s->kind == CV_SIDECAR ? s->host : s;
  cJSON *svc = cv_object (c, "v1", "Service", name);
  cJSON *spec = cJSON_CreateObject ();

  cc_json_set_string (cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (svc, "metadata"), "labels"),
                      CV_LABEL_NAME, s->k8s);
  cc_json_set (spec, "selector", cv_selector (c, owner));
  cc_json_set_string (spec, "type", type);
  if (strcmp (type, "ClusterIP") == 0 && is_headless (s))
    cc_json_set_string (spec, "clusterIP", "None");
  if (ports->child)
    cc_json_set (spec, "ports", ports);
  else
    cJSON_Delete (ports);
  cc_json_set (svc, "spec", spec);
  return cv_add_object (c, svc, origin, err);
}

static int
external_service (struct cv *c, struct cv_svc *s, cc_error_t *err)
{
  cJSON *ports = cJSON_CreateArray ();
  cleanup_free char *name = xasprintf ("%s-external", s->k8s);
  cleanup_free char *origin = xasprintf ("the published ports of service `%s`", s->name);

  for (size_t i = 0; i < s->n_ports; i++)
    if (s->ports[i].published > 0 && ! is_loopback (s->ports[i].host_ip))
      add_service_port (ports, &s->ports[i], s->ports[i].published, strcmp (service_type (c), "NodePort") == 0);
  if (ports->child == NULL)
    {
      cJSON_Delete (ports);
      return 0;
    }
  return service_object (c, s, name, service_type (c), ports, origin, err);
}

static void
container_ports (struct cv_svc *s)
{
  for (size_t i = 0; i < s->n_ports; i++)
    {
      cJSON *list = cv_container_list (s, "ports");
      bool seen = false;
      cJSON *cp;

      for (const cJSON *p = list->child; p; p = p->next)
        seen |= cc_json_get_int (p, "containerPort", 0) == s->ports[i].target
                && strcmp (cc_json_get_string (p, "protocol"), s->ports[i].protocol) == 0;
      if (seen)
        continue;
      cp = cJSON_CreateObject ();
      cc_json_set_int (cp, "containerPort", s->ports[i].target);
      cc_json_set_string (cp, "protocol", s->ports[i].protocol);
      cJSON_AddItemToArray (list, cp);
    }
}

static void
note_reach (struct cv *c, struct cv_svc *s)
{
  cleanup_strv char **by = NULL;
  cleanup_free char *list = NULL;

  for (size_t i = 0; i < c->n_svcs; i++)
    if (cc_strv_contains (c->svcs[i].refs, s->name))
      cc_strv_append (&by, c->svcs[i].name);
  list = by ? cc_strv_join (by, ", ") : NULL;
  if (! s->reached)
    cv_note (c, s, "", CC_CONVERT_CONVERTED, "no Service: it has no port and no other service names it");
  else if (s->n_ports == 0)
    cv_note (c, s, "",
             s->image_seen || cJSON_GetObjectItemCaseSensitive (s->cfg, "build") ? CC_CONVERT_CONVERTED
                                                                                 : CC_CONVERT_APPROXIMATED,
             "headless Service `%s` (no port known)%s%s", s->k8s, list ? " because it is named by " : "",
             list ? list : "");
  else if (list)
    cv_note (c, s, "", CC_CONVERT_CONVERTED, "Service `%s`, named by %s", s->k8s, list);
}

static int
alias_services (struct cv *c, struct cv_svc *s, cc_error_t *err)
{
  for (char **a = s->aliases; a && *a; a++)
    {
      cleanup_free char *name = cv_dns_label (*a, err);
      cleanup_free char *origin = xasprintf ("the alias `%s` of service `%s`", *a, s->name);
      if (name == NULL)
        return cc_error_wrap (err, "service `%s`", s->name);
      if (strcmp (name, s->k8s) == 0)
        continue;
      if (service_object (c, s, name, "ClusterIP", internal_ports (s), origin, err) < 0)
        return -1;
      cv_note (c, s, "", CC_CONVERT_CONVERTED, "Service `%s` for the name `%s` it answers to", name, *a);
    }
  return 0;
}

int
cv_build_services (struct cv *c, cc_error_t *err)
{
  for (size_t i = 0; i < c->n_svcs; i++)
    {
      struct cv_svc *s = &c->svcs[i];
      cleanup_free char *origin = xasprintf ("service `%s`", s->name);

      container_ports (s);
      note_reach (c, s);
      if (! s->reached)
        continue;
      if (service_object (c, s, s->k8s, "ClusterIP", internal_ports (s), origin, err) < 0
          || alias_services (c, s, err) < 0)
        return -1;
      if (external_type (c) && s->has_published && external_service (c, s, err) < 0)
        return -1;
    }
  return 0;
}
