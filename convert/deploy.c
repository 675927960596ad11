/* deploy: and the service-level resource keys.  Compose CPUs and bytes
   become exact Kubernetes quantities (quantity.c); swarm's scheduling
   keys become what Kubernetes has of them, each sub-key reported.  */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convert/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

/* ---- resources ------------------------------------------------------------ */

static void
set_cpu (struct cv *c, struct cv_svc *s, const char *key, const char *which, double cpus)
{
  bool exact;
  cleanup_free char *q = cv_cpu_quantity (cpus, &exact);

  cc_json_set_string (cv_resources (s, which), "cpu", q);
  cv_note (c, s, key, exact ? CC_CONVERT_CONVERTED : CC_CONVERT_APPROXIMATED, "%s.cpu `%s`%s", which, q,
           exact ? "" : " (rounded up to whole millicores)");
}

static int
set_memory (struct cv *c, struct cv_svc *s, const char *key, const char *which, const char *bytes_text, cc_error_t *err)
{
  int64_t bytes;
  cleanup_free char *q = NULL;

  if (cc_compose_parse_bytes (bytes_text, &bytes, err) < 0)
    return cc_error_wrap (err, "%s", key);
  q = cv_bytes_quantity (bytes);
  cc_json_set_string (cv_resources (s, which), "memory", q);
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "%s.memory `%s`", which, q);
  return 0;
}

static const cJSON *
deploy_resource (const struct cv_svc *s, const char *which, const char *key)
{
  const cJSON *deploy = cJSON_GetObjectItemCaseSensitive (s->cfg, "deploy");
  const cJSON *res = cJSON_GetObjectItemCaseSensitive (deploy, "resources");

  return cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (res, which), key);
}

int
cv_key_resource (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  const cJSON *quota = cJSON_GetObjectItemCaseSensitive (s->cfg, "cpu_quota");
  const cJSON *period = cJSON_GetObjectItemCaseSensitive (s->cfg, "cpu_period");

  if (strcmp (key, "cpus") == 0)
    {
      if (deploy_resource (s, "limits", "cpus"))
        cv_note (c, s, key, CC_CONVERT_CONVERTED, "deploy.resources.limits.cpus says the same");
      else
        set_cpu (c, s, key, "limits", v->valuedouble);
      return 0;
    }
  if (strcmp (key, "mem_limit") == 0)
    {
      if (deploy_resource (s, "limits", "memory"))
        {
          cv_note (c, s, key, CC_CONVERT_CONVERTED, "deploy.resources.limits.memory says the same");
          return 0;
        }
      return set_memory (c, s, key, "limits", v->valuestring, err);
    }
  if (strcmp (key, "mem_reservation") == 0)
    return set_memory (c, s, key, "requests", v->valuestring, err);
  if (strcmp (key, "cpu_shares") == 0)
    {
      /* Docker's 1024 shares are one CPU's weight; Kubernetes derives the
         weight from requests.cpu the same way.  */
      set_cpu (c, s, key, "requests", v->valuedouble / 1024.0);
      return 0;
    }
  if (strcmp (key, "cpu_quota") == 0 && cJSON_IsNumber (v) && v->valuedouble > 0)
    {
      double p = cJSON_IsNumber (period) && period->valuedouble > 0 ? period->valuedouble : 100000.0;
      set_cpu (c, s, key, "limits", v->valuedouble / p);
      return 0;
    }
  if (strcmp (key, "cpu_period") == 0 && quota)
    {
      cv_note (c, s, key, CC_CONVERT_CONVERTED, "with cpu_quota, limits.cpu (CFS periods are the kubelet's)");
      return 0;
    }
  cv_note (c, s, key, CC_CONVERT_DROPPED, "has no effect without its companion key");
  return 0;
}

/* A GPU reservation: the NVIDIA device plugin's extended resource.  */
static void
devices (struct cv *c, struct cv_svc *s, const char *key, const cJSON *list)
{
  int i = 0;

  for (const cJSON *d = list->child; d; d = d->next, i++)
    {
      cleanup_free char *sub = xasprintf ("%s[%d]", key, i);
      const cJSON *caps = cJSON_GetObjectItemCaseSensitive (d, "capabilities");
      const char *count = cc_json_get_string (d, "count");
      bool gpu = false;

      for (const cJSON *cap = caps ? caps->child : NULL; cap; cap = cap->next)
        gpu |= cJSON_IsString (cap) && strcmp (cap->valuestring, "gpu") == 0;
      if (! gpu || count == NULL || strcmp (count, "all") == 0 || cJSON_GetObjectItemCaseSensitive (d, "device_ids"))
        {
          cv_note (c, s, sub, CC_CONVERT_DROPPED,
                   "only a number of GPUs converts (to nvidia.com/gpu); devices reach pods through device plugins");
          continue;
        }
      cc_json_set_string (cv_resources (s, "limits"), "nvidia.com/gpu", count);
      cv_note (c, s, sub, CC_CONVERT_APPROXIMATED, "limits `nvidia.com/gpu: %s` (the NVIDIA device plugin's resource)",
               count);
    }
}

static int
resource_set (struct cv *c, struct cv_svc *s, const char *key, const cJSON *set, const char *which, cc_error_t *err)
{
  for (const cJSON *r = set->child; r; r = r->next)
    {
      cleanup_free char *sub = xasprintf ("%s.%s", key, r->string);
      if (strcmp (r->string, "cpus") == 0)
        set_cpu (c, s, sub, which, r->valuedouble);
      else if (strcmp (r->string, "memory") == 0)
        {
          if (set_memory (c, s, sub, which, r->valuestring, err) < 0)
            return -1;
        }
      else if (strcmp (r->string, "devices") == 0)
        devices (c, s, sub, r);
      else if (strcmp (r->string, "pids") == 0)
        cv_note (c, s, sub, CC_CONVERT_DROPPED, "PIDs are limited per pod by the kubelet's podPidsLimit");
      else
        cv_note (c, s, sub, CC_CONVERT_DROPPED, "no Kubernetes resource counterpart");
    }
  return 0;
}

static int
deploy_resources (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  for (const cJSON *r = v->child; r; r = r->next)
    {
      cleanup_free char *sub = xasprintf ("%s.%s", key, r->string);
      if (strcmp (r->string, "limits") == 0 || strcmp (r->string, "reservations") == 0)
        {
          if (resource_set (c, s, sub, r, strcmp (r->string, "limits") == 0 ? "limits" : "requests", err) < 0)
            return -1;
        }
      else
        cv_note (c, s, sub, CC_CONVERT_DROPPED, "unknown resources key");
    }
  return 0;
}

/* ---- the rest of deploy -------------------------------------------------- */

static int
deploy_mode (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  if (strcmp (v->valuestring, "global") == 0)
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "a DaemonSet: one pod per node, as one task per swarm node");
  else if (strcmp (v->valuestring, "replicated-job") == 0)
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "a Job");
  else if (strcmp (v->valuestring, "global-job") == 0)
    cv_note (c, s, key, CC_CONVERT_APPROXIMATED, "a Job: Kubernetes has no job that runs once on every node");
  else
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "replicated");
  return 0;
}

static int
deploy_replicas (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  s->replicas = (int64_t)v->valuedouble;
  if (s->kind == CV_DAEMONSET)
    cv_note (c, s, key, CC_CONVERT_DROPPED, "a DaemonSet runs one pod per node");
  else if (s->kind == CV_SIDECAR)
    cv_note (c, s, key, CC_CONVERT_APPROXIMATED, "runs as many times as `%s`, whose pod it shares", s->host->name);
  else if (s->kind == CV_JOB)
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "completions and parallelism %lld", (long long)s->replicas);
  else
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "replicas %lld", (long long)s->replicas);
  return 0;
}

static int
deploy_labels (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  cJSON *labels = cJSON_CreateObject ();
  cJSON *annotations = cJSON_CreateObject ();

  (void)err;
  for (const cJSON *l = v->child; l; l = l->next)
    {
      const char *val = cJSON_IsString (l) ? l->valuestring : "";
      if (! cv_is_label_key (l->string) || strcmp (l->string, CV_LABEL_NAME) == 0)
        {
          cleanup_free char *sub = xasprintf ("%s.%s", key, l->string);
          cv_note (c, s, sub, CC_CONVERT_DROPPED, "not a label key ccompose can set");
          continue;
        }
      cc_json_set_string (cv_is_label_value (val) ? labels : annotations, l->string, val);
    }
  if (s->meta == NULL)
    s->meta = cJSON_CreateObject ();
  cc_json_set (s->meta, "labels", labels);
  cc_json_set (s->meta, "annotations", annotations);
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "labels of the %s (annotations for values that are not label values)",
           s->kind == CV_SIDECAR ? "shared pod's controller" : "controller");
  return 0;
}

static int
number_of (const cJSON *v)
{
  if (cJSON_IsNumber (v))
    return (int)v->valuedouble;
  if (cJSON_IsString (v))
    return atoi (v->valuestring);
  return 1;
}

/* Swarm updates `parallelism` tasks at a time, stopping the old ones
   first unless order is start-first: maxUnavailable or maxSurge.  */
static int
deploy_update_config (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  const cJSON *par = cJSON_GetObjectItemCaseSensitive (v, "parallelism");
  const char *order = cc_json_get_string (v, "order");
  int n = par ? number_of (par) : 1;
  cJSON *ru = cJSON_CreateObject ();
  bool start_first = order && strcmp (order, "start-first") == 0;
  cJSON *amount = n > 0 ? cJSON_CreateNumber (n) : cJSON_CreateString ("100%");

  if (s->kind != CV_DEPLOYMENT && s->kind != CV_DAEMONSET)
    {
      cJSON_Delete (ru);
      cJSON_Delete (amount);
      cv_note (c, s, key, CC_CONVERT_DROPPED, "only Deployments and DaemonSets take maxSurge and maxUnavailable");
      return 0;
    }
  cc_json_set (ru, start_first ? "maxSurge" : "maxUnavailable", amount);
  cc_json_set (ru, start_first ? "maxUnavailable" : "maxSurge", cJSON_CreateNumber (0));
  cJSON_Delete (s->strategy);
  s->strategy = cJSON_CreateObject ();
  cc_json_set_string (s->strategy, "type", "RollingUpdate");
  cc_json_set (s->strategy, "rollingUpdate", ru);
  for (const cJSON *k = v->child; k; k = k->next)
    {
      cleanup_free char *sub = xasprintf ("%s.%s", key, k->string);
      if (strcmp (k->string, "parallelism") == 0 || strcmp (k->string, "order") == 0)
        cv_note (c, s, sub, CC_CONVERT_CONVERTED, "RollingUpdate %s %d, %s 0",
                 start_first ? "maxSurge" : "maxUnavailable", n, start_first ? "maxUnavailable" : "maxSurge");
      else if (strcmp (k->string, "failure_action") == 0 && cJSON_IsString (k) && strcmp (k->valuestring, "pause") == 0)
        cv_note (c, s, sub, CC_CONVERT_APPROXIMATED, "a failing rollout stops progressing (progressDeadlineSeconds)");
      else
        cv_note (c, s, sub, CC_CONVERT_DROPPED, "Kubernetes rollouts have no such setting");
    }
  (void)err;
  return 0;
}

static int
deploy_restart_policy (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  for (const cJSON *k = v->child; k; k = k->next)
    {
      cleanup_free char *sub = xasprintf ("%s.%s", key, k->string);
      if (strcmp (k->string, "condition") == 0)
        cv_note (c, s, sub,
                 s->kind == CV_JOB || strcmp (k->valuestring, "any") == 0 ? CC_CONVERT_CONVERTED
                                                                          : CC_CONVERT_APPROXIMATED,
                 "%s",
                 s->kind == CV_JOB ? "the Job's restartPolicy"
                                   : "restartPolicy Always: a controller's pods restart after any exit");
      else if (strcmp (k->string, "max_attempts") == 0 && s->kind == CV_JOB)
        cv_note (c, s, sub, CC_CONVERT_CONVERTED, "backoffLimit");
      else
        cv_note (c, s, sub, CC_CONVERT_DROPPED, "Kubernetes backs off restarts on its own schedule");
    }
  return 0;
}

/* node.labels.X == Y, node.hostname == H, node.platform.os/arch == V:
   a nodeSelector; the other constraints have no node label to match.  */
static const struct
{
  const char *prefix;
  const char *label; /* NULL: the rest of the left side is the label */
} constraint_labels[] = {
  { "node.labels.", NULL },
  { "node.hostname", "kubernetes.io/hostname" },
  { "node.platform.os", "kubernetes.io/os" },
  { "node.platform.arch", "kubernetes.io/arch" },
};

static bool
constraint (struct cv_svc *s, const char *text)
{
  cleanup_free char *copy = xstrdup (text);
  char *eq = strstr (copy, "=="), *lhs = copy, *rhs;

  if (eq == NULL)
    return false;
  *eq = '\0';
  rhs = eq + 2;
  while (*lhs == ' ')
    lhs++;
  for (char *e = lhs + strlen (lhs); e > lhs && e[-1] == ' '; e--)
    e[-1] = '\0';
  while (*rhs == ' ')
    rhs++;
  for (char *e = rhs + strlen (rhs); e > rhs && e[-1] == ' '; e--)
    e[-1] = '\0';
  for (size_t i = 0; i < CC_N_ELEMENTS (constraint_labels); i++)
    {
      size_t n = strlen (constraint_labels[i].prefix);
      const char *label = constraint_labels[i].label ? constraint_labels[i].label : lhs + n;
      if (strncmp (lhs, constraint_labels[i].prefix, n) != 0 || (constraint_labels[i].label && lhs[n]))
        continue;
      if (! cv_is_label_key (label) || ! cv_is_label_value (rhs))
        return false;
      cc_json_set_string (cv_pod_object (s, "nodeSelector"), label, rhs);
      return true;
    }
  return false;
}

static int
deploy_placement (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  for (const cJSON *k = v->child; k; k = k->next)
    {
      cleanup_free char *sub = xasprintf ("%s.%s", key, k->string);
      int i = 0;
      if (strcmp (k->string, "constraints") != 0)
        {
          cv_note (c, s, sub, CC_CONVERT_DROPPED, "Kubernetes spreads pods with affinity rules, not this setting");
          continue;
        }
      for (const cJSON *con = k->child; con; con = con->next, i++)
        {
          cleanup_free char *item = xasprintf ("%s[%d]", sub, i);
          if (cJSON_IsString (con) && constraint (s, con->valuestring))
            cv_note (c, s, item, CC_CONVERT_CONVERTED, "nodeSelector");
          else
            cv_note (c, s, item, CC_CONVERT_DROPPED, "no node label matches `%s`",
                     cJSON_IsString (con) ? con->valuestring : "?");
        }
    }
  return 0;
}

static int
deploy_endpoint_mode (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "%s",
           strcmp (v->valuestring, "dnsrr") == 0 ? "the Service is headless: its name resolves to the pods"
                                                 : "the Service has a virtual IP");
  return 0;
}

static const struct
{
  const char *name;
  int (*fn) (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
} deploy_keys[] = {
  { "endpoint_mode", deploy_endpoint_mode },
  { "labels", deploy_labels },
  { "mode", deploy_mode },
  { "placement", deploy_placement },
  { "replicas", deploy_replicas },
  { "resources", deploy_resources },
  { "restart_policy", deploy_restart_policy },
  { "update_config", deploy_update_config },
};

int
cv_key_deploy (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  for (const cJSON *k = v->child; k; k = k->next)
    {
      cleanup_free char *sub = xasprintf ("%s.%s", key, k->string);
      size_t i;

      /* Normalization leaves an empty `resources: {}` and `placement: {}`.  */
      if (cJSON_IsObject (k) && k->child == NULL)
        continue;
      for (i = 0; i < CC_N_ELEMENTS (deploy_keys); i++)
        if (strcmp (deploy_keys[i].name, k->string) == 0)
          break;
      if (i == CC_N_ELEMENTS (deploy_keys))
        cv_note (c, s, sub, CC_CONVERT_DROPPED, "%s",
                 strcmp (k->string, "rollback_config") == 0
                     ? "Kubernetes rolls back with `kubectl rollout undo`, not by policy"
                     : "ccompose knows no Kubernetes counterpart");
      else if (deploy_keys[i].fn (c, s, sub, k, err) < 0)
        return -1;
    }
  return 0;
}
