/* healthcheck and depends_on.  A healthcheck becomes a readiness probe
   (a pod is in its Services only while healthy, which is what
   `condition: service_healthy` waits for) and a liveness probe; a
   dependency becomes an init container that waits for its Service.
   Kompose emits neither (kompose#1053, compose-spec#22).  */
#include <inttypes.h>
#include <string.h>

#include "convert/internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

/* Docker's defaults for a healthcheck that leaves a value out.  */
#define HC_INTERVAL_NS (INT64_C (30) * 1000000000)
#define HC_TIMEOUT_NS (INT64_C (30) * 1000000000)
#define HC_START_INTERVAL_NS (INT64_C (5) * 1000000000)
#define HC_RETRIES 3

static int
duration (const cJSON *hc, const char *key, int64_t dflt, int64_t *out, cc_error_t *err)
{
  const char *text = cc_json_get_string (hc, key);

  *out = dflt;
  if (text && cc_compose_parse_duration (text, out, err) < 0)
    return cc_error_wrap (err, "healthcheck `%s`", key);
  return 0;
}

static cJSON *
exec_of (const cJSON *test)
{
  cJSON *cmd = cJSON_CreateArray ();
  const cJSON *first = test->child;

  if (strcmp (first->valuestring, "CMD-SHELL") == 0)
    {
      cJSON_AddItemToArray (cmd, cJSON_CreateString ("/bin/sh"));
      cJSON_AddItemToArray (cmd, cJSON_CreateString ("-c"));
    }
  for (const cJSON *a = first->next; a; a = a->next)
    cJSON_AddItemToArray (cmd, cJSON_CreateString (a->valuestring));
  return cmd;
}

static cJSON *
probe (const cJSON *cmd, int64_t period, int64_t timeout, int64_t failures)
{
  cJSON *p = cJSON_CreateObject ();
  cJSON *exec = cJSON_CreateObject ();

  cc_json_set (exec, "command", cJSON_Duplicate (cmd, true));
  cc_json_set (p, "exec", exec);
  cc_json_set_int (p, "periodSeconds", period);
  cc_json_set_int (p, "timeoutSeconds", timeout);
  cc_json_set_int (p, "failureThreshold", failures);
  return p;
}

int
cv_key_health (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  const cJSON *test = cJSON_GetObjectItemCaseSensitive (v, "test");
  int64_t interval, timeout, start, start_interval, retries = cc_json_get_int (v, "retries", HC_RETRIES);
  int64_t period_s, timeout_s, start_interval_s;
  bool e1, e2, e3 = true;
  cleanup_cjson cJSON *cmd = NULL;

  if (cc_json_get_bool (v, "disable", false) || test == NULL || test->child == NULL
      || strcmp (test->child->valuestring, "NONE") == 0)
    {
      cv_note (c, s, key, CC_CONVERT_CONVERTED, "disabled: no probes");
      return 0;
    }
  if (duration (v, "interval", HC_INTERVAL_NS, &interval, err) < 0
      || duration (v, "timeout", HC_TIMEOUT_NS, &timeout, err) < 0 || duration (v, "start_period", 0, &start, err) < 0
      || duration (v, "start_interval", HC_START_INTERVAL_NS, &start_interval, err) < 0)
    return -1;
  cmd = exec_of (test);
  period_s = cv_seconds (interval, 1, &e1);
  timeout_s = cv_seconds (timeout, 1, &e2);
  if (retries < 1)
    retries = 1;
  cc_json_set (s->container, "readinessProbe", probe (cmd, period_s, timeout_s, retries));
  cc_json_set (s->container, "livenessProbe", probe (cmd, period_s, timeout_s, retries));
  if (start > 0)
    {
      start_interval_s = cv_seconds (start_interval, 1, &e3);
      /* Failures in the start period do not count in Docker; the startup
         probe gives the container the whole period, then `retries` more.  */
      cc_json_set (s->container, "startupProbe",
                   probe (cmd, start_interval_s, timeout_s,
                          (start + start_interval_s * 1000000000 - 1) / (start_interval_s * 1000000000) + retries));
    }
  cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
           "readinessProbe (the pod serves its Services only while healthy) and livenessProbe every %" PRId64
           "s, %" PRId64 " failures: Kubernetes restarts the container where Docker only marks it unhealthy%s%s",
           period_s, retries, start > 0 ? "; startupProbe for start_period" : "",
           e1 && e2 && e3 ? "" : "; durations rounded up to whole seconds");
  return 0;
}

/* ---- depends_on ------------------------------------------------------------ */

static bool
has_init_container (struct cv_svc *s, const char *name)
{
  for (const cJSON *ic = cJSON_GetObjectItemCaseSensitive (s->pod, "initContainers")
                             ? cJSON_GetObjectItemCaseSensitive (s->pod, "initContainers")->child
                             : NULL;
       ic; ic = ic->next)
    if (strcmp (cc_json_get_string (ic, "name"), name) == 0)
      return true;
  return false;
}

/* An init container that waits for T's Service: until a port of it
   accepts connections (a Service forwards only to ready pods), or, for a
   headless Service, until its name resolves (it does once a pod is
   ready).  The nslookup form is the one of the Kubernetes documentation
   on init containers.  */
static bool
wait_for (struct cv_svc *s, const struct cv_svc *t, char **how)
{
  cleanup_free char *name = xasprintf ("wait-for-%s", t->k8s);
  cleanup_free char *script = NULL;
  cleanup_free char *escaped = NULL;
  cJSON *ic, *cmd;

  if (t->n_ports > 0)
    {
      script = xasprintf ("until nc -z -w 2 %s %" PRId64 "; do echo waiting for %s:%" PRId64 "; sleep 2; done", t->k8s,
                          t->ports[0].target, t->k8s, t->ports[0].target);
      *how = xasprintf ("until `%s:%" PRId64 "` accepts connections", t->k8s, t->ports[0].target);
    }
  else
    {
      /* Backquotes, not $(...), which Kubernetes would take for a variable.  */
      script = xasprintf ("until nslookup %s.`cat /var/run/secrets/kubernetes.io/serviceaccount/namespace`"
                          ".svc.cluster.local; do echo waiting for %s; sleep 2; done",
                          t->k8s, t->k8s);
      *how = xasprintf ("until `%s` resolves (cluster domain cluster.local)", t->k8s);
    }
  if (strlen (name) > 63)
    return false;
  if (has_init_container (s, name))
    return true;
  escaped = cv_escape_dollars (script);
  ic = cJSON_CreateObject ();
  cmd = cJSON_CreateArray ();
  cc_json_set_string (ic, "name", name);
  cc_json_set_string (ic, "image", CV_WAIT_IMAGE);
  cJSON_AddItemToArray (cmd, cJSON_CreateString ("sh"));
  cJSON_AddItemToArray (cmd, cJSON_CreateString ("-c"));
  cJSON_AddItemToArray (cmd, cJSON_CreateString (escaped));
  cc_json_set (ic, "command", cmd);
  cJSON_AddItemToArray (cv_pod_list (s, "initContainers"), ic);
  return true;
}

static void
dependency (struct cv *c, struct cv_svc *s, const char *key, const cJSON *d)
{
  const char *cond = cc_json_get_string (d, "condition");
  struct cv_svc *t = cv_find (c, d->string);
  cleanup_free char *how = NULL;

  if (t == NULL)
    {
      cv_note (c, s, key, CC_CONVERT_DROPPED, "`%s` is not converted", d->string);
      return;
    }
  if (t == s->host || (t->kind == CV_SIDECAR && t->host == (s->kind == CV_SIDECAR ? s->host : s)))
    {
      cv_note (c, s, key, CC_CONVERT_APPROXIMATED, "runs in the same pod as `%s`: the two start together", t->name);
      return;
    }
  if (cond && strcmp (cond, "service_completed_successfully") == 0)
    {
      cv_note (c, s, key, CC_CONVERT_DROPPED,
               "waiting for `%s` to complete needs access to the Kubernetes API from the pod: no init container "
               "was made",
               t->name);
      return;
    }
  if (! wait_for (s, t, &how))
    {
      cv_note (c, s, key, CC_CONVERT_DROPPED, "`wait-for-%s` is longer than a container name may be", t->k8s);
      return;
    }
  cv_note (c, s, key, CC_CONVERT_APPROXIMATED, "init container `wait-for-%s` (%s) waits %s%s", t->k8s, CV_WAIT_IMAGE,
           how,
           cond && strcmp (cond, "service_healthy") == 0
               ? (cJSON_GetObjectItemCaseSensitive (t->cfg, "healthcheck") ? ", which the readiness probe of its "
                                                                             "healthcheck gates"
                                                                           : "; it has no healthcheck, so running is "
                                                                             "ready")
               : "; Kubernetes does not restart this pod when the dependency restarts");
}

int
cv_key_deps (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  for (const cJSON *d = v->child; d; d = d->next)
    {
      cleanup_free char *sub = xasprintf ("%s.%s", key, d->string);
      dependency (c, s, sub, d);
    }
  return 0;
}
