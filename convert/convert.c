/* `ccompose convert`: the sequencer.  Plan every service, give each its
   container (in its own pod, or its host's for network_mode service:),
   convert every key by table, then build the objects around the pods.  */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "convert/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

struct cv_svc *
cv_find (struct cv *c, const char *compose_name)
{
  for (size_t i = 0; i < c->n_svcs; i++)
    if (strcmp (c->svcs[i].name, compose_name) == 0)
      return &c->svcs[i];
  return NULL;
}

/* The key of services.NAME the report line points at: "deploy" of
   "deploy.resources", "ports" of "ports[1]".  */
static char *
top_key (const char *key)
{
  return xstrndup (key, strcspn (key, ".["));
}

static void
note (struct cv *c, const char *scope, const char *where, const char *key, enum cc_convert_status st, const char *fmt,
      va_list ap)
{
  cleanup_free char *detail = xvasprintf (fmt, ap);
  cv_report_add (&c->report, scope, key, st, where, detail);
}

void
cv_note (struct cv *c, const struct cv_svc *s, const char *key, enum cc_convert_status st, const char *fmt, ...)
{
  cleanup_free char *scope = xasprintf ("service %s", s->name);
  cleanup_free char *top = top_key (key);
  cleanup_free char *where = NULL;
  va_list ap;

  if (*top && cc_project_sets (c->p, s->name, top, NULL))
    where = cc_project_where (c->p, s->name, top);
  else if (*top == '\0')
    where = cc_project_where (c->p, s->name, NULL);
  va_start (ap, fmt);
  note (c, scope, where, key, st, fmt, ap);
  va_end (ap);
}

void
cv_note_top (struct cv *c, const char *scope, const char *key, enum cc_convert_status st, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  note (c, scope, NULL, key, st, fmt, ap);
  va_end (ap);
}

/* ---- pods --------------------------------------------------------------- */

static cJSON *
new_container (struct cv_svc *s)
{
  cJSON *ct = cJSON_CreateObject ();

  cc_json_set_string (ct, "name", s->k8s);
  cc_json_set_string (ct, "image", s->image);
  return ct;
}

static void
begin_pod (struct cv *c, struct cv_svc *s)
{
  cJSON *labels = cv_selector (c, s);

  s->pod = cJSON_CreateObject ();
  s->pod_meta = cJSON_CreateObject ();
  cc_json_set (s->pod_meta, "labels", labels);
  s->container = new_container (s);
  cJSON_AddItemToArray (cv_pod_list (s, "containers"), s->container);
}

static void
join_host_pod (struct cv_svc *s)
{
  s->pod = s->host->pod;
  s->pod_meta = s->host->pod_meta;
  s->container = new_container (s);
  cJSON_AddItemToArray (cv_pod_list (s, "containers"), s->container);
}

static void
release_svcs (struct cv *c)
{
  for (size_t i = 0; i < c->n_svcs; i++)
    {
      struct cv_svc *s = &c->svcs[i];
      free (s->k8s);
      free (s->image);
      for (size_t j = 0; j < s->n_ports; j++)
        free (s->ports[j].name);
      free (s->ports);
      cc_strv_free (s->aliases);
      cc_strv_free (s->refs);
      cc_strv_free (s->exposed);
      /* A built workload took the pod over (and a sidecar's is its host's).  */
      if (s->kind != CV_SIDECAR)
        {
          cJSON_Delete (s->pod);
          cJSON_Delete (s->pod_meta);
        }
      cJSON_Delete (s->meta);
      cJSON_Delete (s->claims);
      cJSON_Delete (s->env_config);
      cJSON_Delete (s->env_secret);
      cJSON_Delete (s->env_files);
      cJSON_Delete (s->strategy);
    }
  free (c->svcs);
  cJSON_Delete (c->objects);
  cJSON_Delete (c->report.entries);
  cJSON_Delete (c->used_volumes);
  cJSON_Delete (c->used_secrets);
  cJSON_Delete (c->used_configs);
  cJSON_Delete (c->origins);
}

static int
select_services (struct cv *c, cc_error_t *err)
{
  cleanup_strv char **names = NULL;
  size_t n;

  if (cc_compose_select (c->p, c->o->services, &names, err) < 0)
    return -1;
  n = cc_strv_len (names);
  c->svcs = xzalloc ((n + 1) * sizeof (*c->svcs));
  for (size_t i = 0; i < n; i++)
    {
      c->svcs[i].cfg = cc_project_service_json (c->p, names[i]);
      c->svcs[i].name
          = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (c->p->model, "services"), names[i])
                ->string;
      c->svcs[i].replicas = 1;
    }
  c->n_svcs = n;
  return 0;
}

static int
convert_services (struct cv *c, cc_error_t *err)
{
  for (size_t i = 0; i < c->n_svcs; i++)
    if (c->svcs[i].kind != CV_SIDECAR)
      begin_pod (c, &c->svcs[i]);
  for (size_t i = 0; i < c->n_svcs; i++)
    if (c->svcs[i].kind == CV_SIDECAR)
      join_host_pod (&c->svcs[i]);
  for (size_t i = 0; i < c->n_svcs; i++)
    if (cv_convert_service_keys (c, &c->svcs[i], err) < 0)
      return cc_error_wrap (err, "service `%s`", c->svcs[i].name);
  return 0;
}

int
cc_convert_kubernetes (const struct cc_project *p, const struct cc_convert_options *o, struct cc_convert_result **out,
                       cc_error_t *err)
{
  struct cv c = {
    .p = p,
    .o = o,
    .objects = cJSON_CreateArray (),
    .used_volumes = cJSON_CreateObject (),
    .used_secrets = cJSON_CreateObject (),
    .used_configs = cJSON_CreateObject (),
    .origins = cJSON_CreateObject (),
  };
  struct cc_convert_result *r;
  int ret = -1;

  c.report.entries = cJSON_CreateArray ();
  if (select_services (&c, err) < 0 || cv_plan (&c, err) < 0 || convert_services (&c, err) < 0
      || cv_build_workloads (&c, err) < 0 || cv_build_services (&c, err) < 0 || cv_build_storage (&c, err) < 0
      || cv_build_network_policies (&c, err) < 0 || cv_objects_finish (&c, err) < 0)
    goto out;
  cv_report_sort (&c.report);
  r = xzalloc (sizeof (*r));
  r->objects = steal_pointer (&c.objects);
  r->report = steal_pointer (&c.report.entries);
  memcpy (r->counts, c.report.counts, sizeof (r->counts));
  *out = r;
  ret = 0;
out:
  release_svcs (&c);
  return ret;
}

void
cc_convert_result_free (struct cc_convert_result *r)
{
  if (r == NULL)
    return;
  cJSON_Delete (r->objects);
  cJSON_Delete (r->report);
  free (r);
}
