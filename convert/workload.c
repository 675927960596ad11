/* The controllers around the pods: Deployment, StatefulSet, DaemonSet,
   Job (plan.c chose which).  */
#include <string.h>

#include "convert/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

static const struct
{
  const char *api_version, *kind;
} kinds[] = {
  [CV_DEPLOYMENT] = { "apps/v1", "Deployment" },
  [CV_STATEFULSET] = { "apps/v1", "StatefulSet" },
  [CV_DAEMONSET] = { "apps/v1", "DaemonSet" },
  [CV_JOB] = { "batch/v1", "Job" },
};

static void
merge_map (cJSON *meta, const cJSON *extra, const char *key)
{
  const cJSON *from = cJSON_GetObjectItemCaseSensitive (extra, key);
  cJSON *to;

  if (from == NULL || from->child == NULL)
    return;
  to = cJSON_GetObjectItemCaseSensitive (meta, key);
  if (to == NULL)
    {
      to = cJSON_CreateObject ();
      cJSON_AddItemToObject (meta, key, to);
    }
  for (const cJSON *it = from->child; it; it = it->next)
    if (! cJSON_GetObjectItemCaseSensitive (to, it->string))
      cc_json_set_string (to, it->string, it->valuestring);
}

static bool
pod_uses_claim (struct cv *c, const struct cv_svc *s)
{
  for (size_t i = 0; i < c->n_svcs; i++)
    if ((&c->svcs[i] == s || c->svcs[i].host == s) && c->svcs[i].uses_rwo_claim)
      return true;
  return false;
}

static cJSON *
label_selector (struct cv *c, const struct cv_svc *s)
{
  cJSON *sel = cJSON_CreateObject ();

  cc_json_set (sel, "matchLabels", cv_selector (c, s));
  return sel;
}

static void
deployment_spec (struct cv *c, struct cv_svc *s, cJSON *spec)
{
  cc_json_set_int (spec, "replicas", s->replicas);
  cc_json_set (spec, "selector", label_selector (c, s));
  if (s->strategy)
    cc_json_set (spec, "strategy", steal_pointer (&s->strategy));
  else if (pod_uses_claim (c, s))
    {
      cJSON *st = cJSON_CreateObject ();
      cc_json_set_string (st, "type", "Recreate");
      cc_json_set (spec, "strategy", st);
      cv_note (c, s, "", CC_CONVERT_APPROXIMATED,
               "Deployment strategy Recreate: a ReadWriteOnce claim cannot be mounted by the old and the new pod at "
               "once on different nodes");
    }
}

static void
statefulset_spec (struct cv *c, struct cv_svc *s, cJSON *spec)
{
  cc_json_set_int (spec, "replicas", s->replicas);
  cc_json_set (spec, "selector", label_selector (c, s));
  cc_json_set_string (spec, "serviceName", s->k8s);
  if (s->claims)
    cc_json_set (spec, "volumeClaimTemplates", steal_pointer (&s->claims));
}

static void
daemonset_spec (struct cv *c, struct cv_svc *s, cJSON *spec)
{
  cc_json_set (spec, "selector", label_selector (c, s));
  if (s->strategy)
    cc_json_set (spec, "updateStrategy", steal_pointer (&s->strategy));
}

static void
job_spec (struct cv *c, struct cv_svc *s, cJSON *spec)
{
  const cJSON *policy
      = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (s->cfg, "deploy"), "restart_policy");
  const char *condition = cc_json_get_string (policy, "condition");
  bool on_failure = condition && strcmp (condition, "on-failure") == 0;

  (void)c;
  cc_json_set_int (spec, "backoffLimit", on_failure ? cc_json_get_int (policy, "max_attempts", 6) : 0);
  if (s->replicas > 1)
    {
      cc_json_set_int (spec, "completions", s->replicas);
      cc_json_set_int (spec, "parallelism", s->replicas);
    }
  cc_json_set_string (s->pod, "restartPolicy", on_failure ? "OnFailure" : "Never");
}

static int
build_one (struct cv *c, struct cv_svc *s, cc_error_t *err)
{
  cJSON *obj = cv_object (c, kinds[s->kind].api_version, kinds[s->kind].kind, s->k8s);
  cJSON *meta = cJSON_GetObjectItemCaseSensitive (obj, "metadata");
  cJSON *spec = cJSON_CreateObject ();
  cJSON *tmpl = cJSON_CreateObject ();
  cleanup_free char *origin = xasprintf ("service `%s`", s->name);

  cc_json_set_string (cJSON_GetObjectItemCaseSensitive (meta, "labels"), CV_LABEL_NAME, s->k8s);
  merge_map (meta, s->meta, "labels");
  merge_map (meta, s->meta, "annotations");
  switch (s->kind)
    {
    case CV_STATEFULSET:
      statefulset_spec (c, s, spec);
      break;
    case CV_DAEMONSET:
      daemonset_spec (c, s, spec);
      break;
    case CV_JOB:
      job_spec (c, s, spec);
      break;
    default:
      deployment_spec (c, s, spec);
      break;
    }
  cc_json_set (tmpl, "metadata", steal_pointer (&s->pod_meta));
  cc_json_set (tmpl, "spec", steal_pointer (&s->pod));
  cc_json_set (spec, "template", tmpl);
  cc_json_set (obj, "spec", spec);
  s->workload = obj;
  cv_note (c, s, "", CC_CONVERT_CONVERTED, "%s `%s`", kinds[s->kind].kind, s->k8s);
  return cv_add_object (c, obj, origin, err);
}

int
cv_build_workloads (struct cv *c, cc_error_t *err)
{
  if (c->o->namespace)
    {
      cJSON *ns = cv_object (c, "v1", "Namespace", c->o->namespace);
      if (cv_add_object (c, ns, "--namespace", err) < 0)
        return -1;
    }
  for (size_t i = 0; i < c->n_svcs; i++)
    {
      struct cv_svc *s = &c->svcs[i];
      if (s->kind == CV_SIDECAR)
        {
          cv_note (c, s, "", CC_CONVERT_APPROXIMATED, "container `%s` of the pod of `%s`", s->k8s, s->host->name);
          continue;
        }
      if (build_one (c, s, err) < 0)
        return -1;
    }
  return 0;
}
