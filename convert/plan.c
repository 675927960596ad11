/* What must be known of every service before any object is built: its
   Kubernetes name, which controller runs it, whose pod it joins, its
   ports, its image, the services it names and the names it answers to.  */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "convert/internal.h"
#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char *
control_label (const struct cv_svc *s, const char *what)
{
  cleanup_free char *key = xasprintf (CV_CONTROL_PREFIX "%s", what);
  return cc_json_get_string (cJSON_GetObjectItemCaseSensitive (s->cfg, "labels"), key);
}

/* ---- names ------------------------------------------------------------ */

static int
name_services (struct cv *c, cc_error_t *err)
{
  for (size_t i = 0; i < c->n_svcs; i++)
    {
      struct cv_svc *s = &c->svcs[i];
      s->k8s = cv_dns_label (s->name, err);
      if (s->k8s == NULL)
        return cc_error_wrap (err, "service `%s`", s->name);
      for (size_t j = 0; j < i; j++)
        if (strcmp (c->svcs[j].k8s, s->k8s) == 0)
          return cc_error_make (err, 0, "services `%s` and `%s` would both be named `%s` in Kubernetes: rename one",
                                c->svcs[j].name, s->name, s->k8s);
    }
  return 0;
}

/* ---- controllers -------------------------------------------------------- */

static const struct
{
  const char *label;
  enum cv_kind kind;
} controller_labels[] = {
  { "deployment", CV_DEPLOYMENT },
  { "statefulset", CV_STATEFULSET },
  { "daemonset", CV_DAEMONSET },
  { "job", CV_JOB },
};

static bool
has_named_volume (const struct cv_svc *s)
{
  for (const cJSON *v = cJSON_GetObjectItemCaseSensitive (s->cfg, "volumes")
                            ? cJSON_GetObjectItemCaseSensitive (s->cfg, "volumes")->child
                            : NULL;
       v; v = v->next)
    if (strcmp (cc_json_get_string (v, "type") ? cc_json_get_string (v, "type") : "", "volume") == 0
        && cc_json_get_string (v, "source"))
      return true;
  return false;
}

static int
choose_kind (struct cv *c, struct cv_svc *s, cc_error_t *err)
{
  const char *label = control_label (s, "controller");
  const char *mode = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (s->cfg, "deploy"), "mode");
  const char *restart = cc_json_get_string (s->cfg, "restart");

  if (label)
    {
      for (size_t i = 0; i < CC_N_ELEMENTS (controller_labels); i++)
        if (strcmp (label, controller_labels[i].label) == 0)
          {
            s->kind = controller_labels[i].kind;
            return 0;
          }
      return cc_error_make (err, 0,
                            "service `%s`: label `" CV_CONTROL_PREFIX
                            "controller` is `%s` (deployment, statefulset, daemonset, job)",
                            s->name, label);
    }
  if (mode && strcmp (mode, "global") == 0)
    s->kind = CV_DAEMONSET;
  else if (mode && strstr (mode, "job"))
    s->kind = CV_JOB;
  /* Only a `restart: "no"` the file says: Docker's default is "no" too,
     but a file that says nothing means a long-running service.  */
  else if (restart && strcmp (restart, "no") == 0 && cc_project_sets (c->p, s->name, "restart", NULL))
    s->kind = CV_JOB;
  else if (c->o->stateful && has_named_volume (s))
    s->kind = CV_STATEFULSET;
  else
    s->kind = CV_DEPLOYMENT;
  return 0;
}

/* network_mode service:X shares X's network namespace: in Kubernetes the
   two are containers of one pod.  */
static int
find_host (struct cv *c, struct cv_svc *s, cc_error_t *err)
{
  const char *mode = cc_json_get_string (s->cfg, "network_mode");
  struct cv_svc *h;

  if (mode == NULL || strncmp (mode, "service:", 8) != 0)
    return 0;
  h = cv_find (c, mode + 8);
  for (size_t hops = 0; h && h->cfg; hops++)
    {
      const char *hm = cc_json_get_string (h->cfg, "network_mode");
      if (hm == NULL || strncmp (hm, "service:", 8) != 0 || hops > c->n_svcs)
        break;
      h = cv_find (c, hm + 8);
    }
  if (h == NULL)
    return cc_error_make (err, 0, "service `%s`: network_mode `%s` names a service that is not converted", s->name,
                          mode);
  s->kind = CV_SIDECAR;
  s->host = h;
  return 0;
}

/* ---- ports -------------------------------------------------------------- */

static void
add_port (struct cv_svc *s, int64_t target, int64_t published, const char *proto, const char *origin)
{
  struct cv_port *p;

  s->ports = xreallocarray (s->ports, s->n_ports + 1, sizeof (*s->ports));
  p = &s->ports[s->n_ports++];
  memset (p, 0, sizeof (*p));
  p->target = target;
  p->published = published;
  snprintf (p->protocol, sizeof (p->protocol), "%s", proto ? proto : "tcp");
  for (char *q = p->protocol; *q; q++)
    *q = (char)(*q >= 'a' && *q <= 'z' ? *q - 'a' + 'A' : *q);
  p->origin = origin;
  s->has_published |= published > 0;
}

static bool
has_port (const struct cv_svc *s, int64_t target, const char *proto)
{
  for (size_t i = 0; i < s->n_ports; i++)
    if (s->ports[i].target == target && strcasecmp (s->ports[i].protocol, proto) == 0)
      return true;
  return false;
}

/* "8080", "8080-8090", "53/udp": an expose entry or an image's ExposedPorts key.  */
static int
add_port_range (struct cv_svc *s, const char *spec, const char *origin, cc_error_t *err)
{
  cleanup_free char *copy = xstrdup (spec);
  char *slash = strchr (copy, '/'), *dash, *end;
  const char *proto = slash ? slash + 1 : "tcp";
  long lo, hi;

  if (slash)
    *slash = '\0';
  dash = strchr (copy, '-');
  lo = strtol (copy, &end, 10);
  hi = dash ? strtol (dash + 1, &end, 10) : lo;
  if (*end || lo < 1 || hi > 65535 || hi < lo || hi - lo > 1000)
    return cc_error_make (err, 0, "service `%s`: port `%s` of %s", s->name, spec, origin);
  for (long port = lo; port <= hi; port++)
    if (! has_port (s, port, proto))
      add_port (s, port, 0, proto, origin);
  return 0;
}

static int
collect_ports (struct cv *c, struct cv_svc *s, cc_error_t *err)
{
  const cJSON *ports = cJSON_GetObjectItemCaseSensitive (s->cfg, "ports");
  const cJSON *expose = cJSON_GetObjectItemCaseSensitive (s->cfg, "expose");

  (void)c;
  for (const cJSON *p = ports ? ports->child : NULL; p; p = p->next)
    {
      const char *pub = cc_json_get_string (p, "published");
      add_port (s, cc_json_get_int (p, "target", 0), pub ? strtoll (pub, NULL, 10) : 0,
                cc_json_get_string (p, "protocol"), "ports");
      s->ports[s->n_ports - 1].name = cc_json_get_string (p, "name") ? xstrdup (cc_json_get_string (p, "name")) : NULL;
      s->ports[s->n_ports - 1].app_protocol = cc_json_get_string (p, "app_protocol");
      s->ports[s->n_ports - 1].host_ip = cc_json_get_string (p, "host_ip");
    }
  for (const cJSON *e = expose ? expose->child : NULL; e; e = e->next)
    if (cJSON_IsString (e) && add_port_range (s, e->valuestring, "expose", err) < 0)
      return -1;
  for (char **x = s->exposed; x && *x; x++)
    if (add_port_range (s, *x, "image", err) < 0)
      return -1;
  return 0;
}

/* ---- images ------------------------------------------------------------- */

static int
store_lookup (void *opaque, const char *ref, char ***exposed, cc_error_t *err)
{
  cleanup_image struct cc_image *img = NULL;
  cleanup_error cc_error_t e = NULL;

  (void)opaque;
  (void)err;
  if (cc_image_resolve (ref, &img, &e) < 0)
    return 0;
  *exposed = cc_strv_dup (img->config.exposed_ports ? img->config.exposed_ports : (char *[]){ NULL });
  return 1;
}

int
cc_convert_build_pending (void *opaque, const struct cc_project *p, const char *service, const char *ref, char **pinned,
                          cc_error_t *err)
{
  (void)opaque, (void)p, (void)service, (void)ref, (void)pinned, (void)err;
  return 0;
}

/* A service with `build:`: with --registry, built, pushed as
   REGISTRY/<its Kubernetes name> and pinned by the digest the registry
   stored, its EXPOSE read from the image just built; without, named as it
   is here (its `image:`, else Compose's <project>-<service>), unpinned,
   and the report says so.  */
static int
choose_built_image (struct cv *c, struct cv_svc *s, cc_convert_image_fn lookup, cc_error_t *err)
{
  const char *image = cc_json_get_string (s->cfg, "image");
  cc_convert_build_fn build = c->o->build ? c->o->build : cc_convert_build_pending;
  cleanup_free char *pinned = NULL;
  int found;

  if (c->o->registry == NULL)
    {
      s->image = image ? xstrdup (image) : xasprintf ("%s-%s", c->p->name, s->name);
      return 0;
    }
  s->image = xasprintf ("%s/%s", c->o->registry, s->k8s);
  found = build (c->o->build_opaque, c->p, s->name, s->image, &pinned, err);
  if (found < 0)
    return cc_error_wrap (err, "service `%s`: build and push `%s`", s->name, s->image);
  if (found == 0)
    return 0;
  if (lookup (c->o->image_opaque, s->image, &s->exposed, err) < 0)
    return cc_error_wrap (err, "service `%s`: look image `%s` up", s->name, s->image);
  free (s->image);
  s->image = steal_pointer (&pinned);
  return 0;
}

static int
choose_image (struct cv *c, struct cv_svc *s, cc_error_t *err)
{
  const char *image = cc_json_get_string (s->cfg, "image");
  cc_convert_image_fn lookup = c->o->image_lookup ? c->o->image_lookup : store_lookup;
  int found;

  if (cJSON_GetObjectItemCaseSensitive (s->cfg, "build"))
    return choose_built_image (c, s, lookup, err);
  s->image = xstrdup (image ? image : "");
  found = lookup (c->o->image_opaque, s->image, &s->exposed, err);
  if (found < 0)
    return cc_error_wrap (err, "service `%s`: look image `%s` up", s->name, s->image);
  s->image_seen = found > 0;
  return 0;
}

/* ---- who names whom ---------------------------------------------------- */

static void
add_ref (struct cv_svc *s, const char *name)
{
  if (strcmp (name, s->name) != 0 && ! cc_strv_contains (s->refs, name))
    cc_strv_append (&s->refs, name);
}

static void
refs_in_text (struct cv *c, struct cv_svc *s, const char *text)
{
  for (size_t i = 0; i < c->n_svcs; i++)
    if (cv_text_names (text, c->svcs[i].name))
      add_ref (s, c->svcs[i].name);
}

static void
refs_in_list (struct cv *c, struct cv_svc *s, const cJSON *list)
{
  for (const cJSON *it = list ? list->child : NULL; it; it = it->next)
    if (cJSON_IsString (it))
      refs_in_text (c, s, it->valuestring);
}

static void
add_alias (struct cv_svc *s, const char *alias)
{
  if (strcmp (alias, s->name) != 0 && ! cc_strv_contains (s->aliases, alias))
    cc_strv_append (&s->aliases, alias);
}

static void
collect_refs (struct cv *c, struct cv_svc *s)
{
  const cJSON *deps = cJSON_GetObjectItemCaseSensitive (s->cfg, "depends_on");
  const cJSON *links = cJSON_GetObjectItemCaseSensitive (s->cfg, "links");
  const cJSON *env = cJSON_GetObjectItemCaseSensitive (s->cfg, "environment");

  for (const cJSON *d = deps ? deps->child : NULL; d; d = d->next)
    add_ref (s, d->string);
  for (const cJSON *l = links ? links->child : NULL; l; l = l->next)
    {
      cleanup_free char *target = xstrdup (l->valuestring);
      char *colon = strchr (target, ':');
      struct cv_svc *t;
      if (colon)
        *colon++ = '\0';
      add_ref (s, target);
      t = cv_find (c, target);
      if (t && colon && *colon)
        add_alias (t, colon);
    }
  for (const cJSON *e = env ? env->child : NULL; e; e = e->next)
    if (cJSON_IsString (e))
      refs_in_text (c, s, e->valuestring);
  refs_in_list (c, s, cJSON_GetObjectItemCaseSensitive (s->cfg, "command"));
  refs_in_list (c, s, cJSON_GetObjectItemCaseSensitive (s->cfg, "entrypoint"));
}

static void
collect_aliases (struct cv_svc *s)
{
  const char *cname = cc_json_get_string (s->cfg, "container_name");
  const cJSON *nets = cJSON_GetObjectItemCaseSensitive (s->cfg, "networks");

  if (cname)
    add_alias (s, cname);
  for (const cJSON *n = nets ? nets->child : NULL; n; n = n->next)
    for (const cJSON *a = cJSON_GetObjectItemCaseSensitive (n, "aliases")
                              ? cJSON_GetObjectItemCaseSensitive (n, "aliases")->child
                              : NULL;
         a; a = a->next)
      if (cJSON_IsString (a))
        add_alias (s, a->valuestring);
}

int
cv_plan (struct cv *c, cc_error_t *err)
{
  if (name_services (c, err) < 0)
    return -1;
  for (size_t i = 0; i < c->n_svcs; i++)
    {
      struct cv_svc *s = &c->svcs[i];
      if (choose_kind (c, s, err) < 0 || find_host (c, s, err) < 0 || choose_image (c, s, err) < 0
          || collect_ports (c, s, err) < 0)
        return -1;
      collect_aliases (s);
    }
  for (size_t i = 0; i < c->n_svcs; i++)
    collect_refs (c, &c->svcs[i]);
  for (size_t i = 0; i < c->n_svcs; i++)
    {
      struct cv_svc *s = &c->svcs[i];
      /* A StatefulSet names its governing Service.  */
      s->reached |= s->n_ports > 0 || s->aliases != NULL || s->kind == CV_STATEFULSET;
      for (char **r = s->refs; r && *r; r++)
        {
          struct cv_svc *t = cv_find (c, *r);
          if (t)
            t->reached = true;
        }
    }
  return 0;
}
