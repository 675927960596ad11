/* Every key a service may have, by table: a converter, or a fixed verdict
   with its reason.  A key the table does not know is dropped with a
   report line, never skipped: that is what "lossless or loud" rests on.  */
#include <stdlib.h>
#include <string.h>

#include "convert/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

typedef int (*key_fn) (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);

struct key_rule
{
  const char *name;
  key_fn fn;
  enum cc_convert_status status; /* fn NULL: the verdict, with WHY */
  const char *why;
  bool only_if_set; /* filled in by normalization: report only what the file says */
};

/* ---- the container ------------------------------------------------------ */

static int
key_image (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)v, (void)err;
  if (cJSON_GetObjectItemCaseSensitive (s->cfg, "build"))
    return 0; /* `build` says what became of it */
  if (s->image_seen)
    cv_note (c, s, key, CC_CONVERT_CONVERTED,
             "image `%s` (the ports its EXPOSE declares read from the local image store)", s->image);
  else
    cv_note (c, s, key, s->reached && s->n_ports == 0 ? CC_CONVERT_APPROXIMATED : CC_CONVERT_CONVERTED, "image `%s`%s",
             s->image,
             s->reached && s->n_ports == 0
                 ? ": not in the local image store, so the ports its EXPOSE declares are unknown and its Service is "
                   "headless (`expose:` names them)"
                 : "");
  return 0;
}

static int
key_build (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)v, (void)err;
  if (strchr (s->image, '@'))
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "built, pushed and pinned: image `%s`", s->image);
  else if (c->o->registry == NULL && cJSON_GetObjectItemCaseSensitive (s->cfg, "image") == NULL)
    cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
             "image `%s` (Compose's name for it) is built here (`ccompose build`) but no registry serves it to the "
             "cluster: --registry HOST/PREFIX builds, pushes and pins it by digest",
             s->image);
  else
    cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
             "image `%s` is built here (`ccompose build`) but the cluster cannot pull it until it is pushed "
             "(`ccompose push`); the manifest names it by tag, not by digest",
             s->image);
  return 0;
}

/* command and entrypoint: Kubernetes' `command` replaces the ENTRYPOINT,
   `args` the CMD, as Compose's entrypoint and command do.  */
static int
set_argv (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, const char *field)
{
  cJSON *argv;
  bool renamed = false;

  if (cJSON_IsNull (v))
    {
      cv_note (c, s, key, CC_CONVERT_CONVERTED, "the image's own");
      return 0;
    }
  argv = cJSON_CreateArray ();
  for (const cJSON *a = v->child; a; a = a->next)
    {
      cleanup_free char *text = xstrdup (a->valuestring);
      cleanup_free char *escaped = NULL;
      for (char **r = s->refs; r && *r; r++)
        {
          struct cv_svc *t = cv_find (c, *r);
          if (t && strcmp (t->name, t->k8s) != 0 && cv_text_names (text, t->name))
            {
              char *renamed_text = cv_text_rename (text, t->name, t->k8s);
              free (text);
              text = renamed_text;
              renamed = true;
            }
        }
      escaped = cv_escape_dollars (text);
      cJSON_AddItemToArray (argv, cJSON_CreateString (escaped));
    }
  cc_json_set (s->container, field, argv);
  if (renamed)
    cv_note (c, s, key, CC_CONVERT_APPROXIMATED, "container `%s`; service names rewritten to their Kubernetes names",
             field);
  else
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "container `%s`", field);
  return 0;
}

static int
key_command (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  return set_argv (c, s, key, v, "args");
}

static int
key_entrypoint (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  return set_argv (c, s, key, v, "command");
}

static int
key_container_field (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, const char *field)
{
  cc_json_set (s->container, field, cJSON_Duplicate (v, true));
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "container `%s`", field);
  return 0;
}

static int
key_working_dir (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  return key_container_field (c, s, key, v, "workingDir");
}

static int
key_tty (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  return key_container_field (c, s, key, v, "tty");
}

static int
key_stdin_open (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  return key_container_field (c, s, key, v, "stdin");
}

static const struct
{
  const char *compose, *k8s;
} pull_policies[] = {
  { "always", "Always" },        { "never", "Never" },
  { "missing", "IfNotPresent" }, { "if_not_present", "IfNotPresent" },
  { "build", "IfNotPresent" },
};

static int
key_pull_policy (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  for (size_t i = 0; i < CC_N_ELEMENTS (pull_policies); i++)
    if (strcmp (v->valuestring, pull_policies[i].compose) == 0)
      {
        cc_json_set_string (s->container, "imagePullPolicy", pull_policies[i].k8s);
        cv_note (c, s, key, CC_CONVERT_CONVERTED, "imagePullPolicy `%s`", pull_policies[i].k8s);
        return 0;
      }
  cv_note (c, s, key, CC_CONVERT_DROPPED, "`%s` has no imagePullPolicy counterpart (Always, IfNotPresent, Never)",
           v->valuestring);
  return 0;
}

/* ---- the pod ------------------------------------------------------------ */

/* A pod-level field; a sidecar shares its host's pod, where the host's
   own value stays.  */
static void
pod_set (struct cv *c, struct cv_svc *s, const char *key, const char *field, cJSON *value, const char *how)
{
  const cJSON *old = cJSON_GetObjectItemCaseSensitive (s->pod, field);

  if (s->kind == CV_SIDECAR && old && ! cJSON_Compare (old, value, true))
    {
      cv_note (c, s, key, CC_CONVERT_DROPPED, "the pod it shares with `%s` already sets `%s`", s->host->name, field);
      cJSON_Delete (value);
      return;
    }
  cc_json_set (s->pod, field, value);
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "%s", how);
}

static int
key_stop_grace_period (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  int64_t ns;
  bool exact;
  int64_t sec;
  cleanup_free char *how = NULL;

  if (cc_compose_parse_duration (v->valuestring, &ns, err) < 0)
    return -1;
  sec = cv_seconds (ns, 0, &exact);
  if (! exact)
    {
      cc_json_set_int (s->pod, "terminationGracePeriodSeconds", sec);
      cv_note (c, s, key, CC_CONVERT_APPROXIMATED, "terminationGracePeriodSeconds %lld: %s rounded up to whole seconds",
               (long long)sec, v->valuestring);
      return 0;
    }
  how = xasprintf ("terminationGracePeriodSeconds %lld", (long long)sec);
  pod_set (c, s, key, "terminationGracePeriodSeconds", cJSON_CreateNumber ((double)sec), how);
  return 0;
}

static int
key_stop_signal (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  if (strcmp (v->valuestring, "SIGTERM") == 0 || strcmp (v->valuestring, "TERM") == 0
      || strcmp (v->valuestring, "15") == 0)
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "SIGTERM is what Kubernetes sends");
  else
    cv_note (c, s, key, CC_CONVERT_DROPPED,
             "Kubernetes sends SIGTERM; a container's own stop signal (lifecycle.stopSignal) is alpha behind the "
             "ContainerStopSignals gate");
  return 0;
}

static int
key_init (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  if (! cJSON_IsTrue (v))
    {
      cv_note (c, s, key, CC_CONVERT_CONVERTED, "no init process, as in Kubernetes");
      return 0;
    }
  cc_json_set_bool (s->pod, "shareProcessNamespace", true);
  /* With a shared PID namespace the pod's pause process is PID 1: it reaps
     zombies, and the service's process, no longer PID 1, gets the kernel's
     default action for SIGTERM, which is what docker-init is for.  */
  cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
           "shareProcessNamespace: the pod's pause process is PID 1 and reaps zombies as docker-init does; the "
           "pod's containers see each other's processes");
  return 0;
}

static int
key_hostname (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  cleanup_free char *label = NULL;
  cleanup_free char *how = NULL;

  if (! cv_is_dns_label (v->valuestring))
    {
      label = cv_dns_label (v->valuestring, err);
      if (label == NULL)
        return -1;
      how = xasprintf ("pod hostname `%s` (`%s` is not a DNS label)", label, v->valuestring);
      cc_json_set_string (s->pod, "hostname", label);
      cv_note (c, s, key, CC_CONVERT_APPROXIMATED, "%s", how);
      return 0;
    }
  how = xasprintf ("pod hostname `%s`", v->valuestring);
  pod_set (c, s, key, "hostname", cJSON_CreateString (v->valuestring), how);
  return 0;
}

static int
key_platform (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  cleanup_strv char **parts = cc_strv_split (v->valuestring, '/', false);
  cJSON *sel = cv_pod_object (s, "nodeSelector");

  (void)err;
  if (parts[0])
    cc_json_set_string (sel, "kubernetes.io/os", parts[0]);
  if (parts[0] && parts[1])
    cc_json_set_string (sel, "kubernetes.io/arch", parts[1]);
  cv_note (c, s, key, parts[0] && parts[1] && parts[2] ? CC_CONVERT_APPROXIMATED : CC_CONVERT_CONVERTED,
           "nodeSelector kubernetes.io/os and kubernetes.io/arch%s",
           parts[0] && parts[1] && parts[2] ? " (the variant is not a node label)" : "");
  return 0;
}

static int
key_runtime (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  cleanup_free char *label = cv_dns_label (v->valuestring, err);

  if (label == NULL)
    return -1;
  cc_json_set_string (s->pod, "runtimeClassName", label);
  cv_note (c, s, key, CC_CONVERT_APPROXIMATED, "runtimeClassName `%s`: a RuntimeClass of that name must exist", label);
  return 0;
}

static int
key_host_namespace (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, const char *field)
{
  if (strcmp (v->valuestring, "host") == 0)
    {
      cc_json_set_bool (s->pod, field, true);
      cv_note (c, s, key, CC_CONVERT_CONVERTED, "%s: the node's namespace", field);
    }
  else if (strcmp (v->valuestring, "private") == 0 || strcmp (v->valuestring, "shareable") == 0)
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "the pod's own namespace");
  else
    cv_note (c, s, key, CC_CONVERT_DROPPED, "`%s`: Kubernetes shares namespaces only within a pod", v->valuestring);
  return 0;
}

static int
key_ipc (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  return key_host_namespace (c, s, key, v, "hostIPC");
}

static int
key_pid (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  return key_host_namespace (c, s, key, v, "hostPID");
}

/* ---- metadata ------------------------------------------------------------ */

static cJSON *
meta_map (cJSON *meta, const char *key)
{
  cJSON *m = cJSON_GetObjectItemCaseSensitive (meta, key);

  if (m == NULL)
    {
      m = cJSON_CreateObject ();
      cJSON_AddItemToObject (meta, key, m);
    }
  return m;
}

/* Labels that Kubernetes takes as labels; the others (a value with a
   space, a 100-character value) as annotations, which take anything.  */
static int
key_labels (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  size_t as_annotations = 0;

  (void)err;
  for (const cJSON *l = v->child; l; l = l->next)
    {
      const char *val = cJSON_IsString (l) ? l->valuestring : "";
      cleanup_free char *sub = xasprintf ("%s.%s", key, l->string);
      if (strncmp (l->string, CV_CONTROL_PREFIX, strlen (CV_CONTROL_PREFIX)) == 0)
        {
          cv_note (c, s, sub, CC_CONVERT_CONVERTED, "read by ccompose convert, not copied");
          continue;
        }
      if (strcmp (l->string, CV_LABEL_NAME) == 0 || strcmp (l->string, CV_LABEL_PART_OF) == 0)
        {
          cv_note (c, s, sub, CC_CONVERT_DROPPED, "ccompose selects the service's pods with this label");
          continue;
        }
      if (cv_is_label_key (l->string) && cv_is_label_value (val))
        {
          cc_json_set_string (meta_map (s->pod_meta, "labels"), l->string, val);
          continue;
        }
      if (! cv_is_label_key (l->string))
        {
          cv_note (c, s, sub, CC_CONVERT_DROPPED, "not a valid Kubernetes label or annotation key");
          continue;
        }
      cc_json_set_string (meta_map (s->pod_meta, "annotations"), l->string, val);
      as_annotations++;
    }
  if (as_annotations)
    cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
             "pod labels; %zu value(s) that are not valid label values became pod annotations", as_annotations);
  else
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "pod labels");
  return 0;
}

static int
key_annotations (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  for (const cJSON *a = v->child; a; a = a->next)
    {
      if (! cv_is_label_key (a->string))
        {
          cleanup_free char *sub = xasprintf ("%s.%s", key, a->string);
          cv_note (c, s, sub, CC_CONVERT_DROPPED, "not a valid Kubernetes annotation key");
          continue;
        }
      cc_json_set_string (meta_map (s->pod_meta, "annotations"), a->string, cJSON_IsString (a) ? a->valuestring : "");
    }
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "pod annotations");
  return 0;
}

static int
key_container_name (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
           "Kubernetes names the pods; `%s` stays reachable as the name of a Service for the pods", v->valuestring);
  return 0;
}

static int
key_profiles (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  cleanup_free char *list = NULL;
  cleanup_strv char **names = NULL;

  (void)err;
  for (const cJSON *p = v->child; p; p = p->next)
    cc_strv_append (&names, p->valuestring);
  list = names ? cc_strv_join (names, ", ") : xstrdup ("");
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "converted because a profile of it is enabled (%s)", list);
  return 0;
}

static int
key_scale (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  s->replicas = (int64_t)v->valuedouble;
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "replicas %lld", (long long)s->replicas);
  return 0;
}

static int
key_restart (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  if (s->kind == CV_JOB)
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "a Job that runs once (restartPolicy Never, backoffLimit 0)");
  else if (strcmp (v->valuestring, "always") == 0 || strcmp (v->valuestring, "unless-stopped") == 0)
    cv_note (c, s, key, CC_CONVERT_CONVERTED, "restartPolicy Always");
  else
    cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
             "`%s` in a %s: restartPolicy Always, the only policy it allows, restarts after any exit", v->valuestring,
             s->kind == CV_SIDECAR ? "shared pod" : "long-running controller");
  return 0;
}

static int
key_logging (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  const char *driver = cc_json_get_string (v, "driver");

  (void)err;
  if (driver && strcmp (driver, "json-file") != 0 && strcmp (driver, "local") != 0)
    cv_note (c, s, key, CC_CONVERT_DROPPED,
             "logging driver `%s`: Kubernetes keeps container logs on the node (kubectl logs); ship them with a "
             "cluster log collector",
             driver);
  else
    cv_note (c, s, key, CC_CONVERT_APPROXIMATED,
             "container logs are kept by the node (kubectl logs); rotation is the kubelet's "
             "(containerLogMaxSize), not per service");
  return 0;
}

/* ---- the table ------------------------------------------------------------ */

#define FN(name, fn)                                                                                                   \
  {                                                                                                                    \
    name, fn, CC_CONVERT_CONVERTED, NULL, false                                                                        \
  }
#define FN_IF_SET(name, fn)                                                                                            \
  {                                                                                                                    \
    name, fn, CC_CONVERT_CONVERTED, NULL, true                                                                         \
  }
#define FIXED(name, status, why)                                                                                       \
  {                                                                                                                    \
    name, NULL, CC_CONVERT_##status, why, false                                                                        \
  }

static const struct key_rule service_keys[] = {
  FN ("annotations", key_annotations),
  FIXED ("attach", CONVERTED, "compose attaches logs; `kubectl logs -f` reads them"),
  FIXED ("blkio_config", DROPPED, "Kubernetes has no per-container block I/O weights or limits"),
  FN ("build", key_build),
  FN ("cap_add", cv_key_security),
  FN ("cap_drop", cv_key_security),
  FN ("cgroup", cv_key_security),
  FIXED ("cgroup_parent", DROPPED, "the kubelet places pods in its own cgroups"),
  FN_IF_SET ("command", key_command),
  FN ("configs", cv_key_storage),
  FN ("container_name", key_container_name),
  FIXED ("cpu_count", DROPPED, "Windows only"),
  FIXED ("cpu_percent", DROPPED, "Windows only"),
  FN ("cpu_period", cv_key_resource),
  FN ("cpu_quota", cv_key_resource),
  FIXED ("cpu_rt_period", DROPPED, "Kubernetes has no real-time CPU scheduling"),
  FIXED ("cpu_rt_runtime", DROPPED, "Kubernetes has no real-time CPU scheduling"),
  FN ("cpu_shares", cv_key_resource),
  FN ("cpus", cv_key_resource),
  FIXED ("cpuset", DROPPED, "pinning CPUs is the kubelet's static CPU manager policy, not a pod field"),
  FIXED ("credential_spec", DROPPED, "a Windows gMSA credential spec"),
  FN ("depends_on", cv_key_deps),
  FN ("deploy", cv_key_deploy),
  FIXED ("develop", CONVERTED, "compose watch rules: a development loop, nothing runs from them"),
  FIXED ("device_cgroup_rules", DROPPED, "devices reach pods through device plugins only"),
  FIXED ("devices", DROPPED, "devices reach pods through device plugins only"),
  FN ("dns", cv_key_dns),
  FN ("dns_opt", cv_key_dns),
  FN ("dns_search", cv_key_dns),
  FIXED ("domainname", DROPPED, "a pod's domain is the cluster's"),
  FN_IF_SET ("entrypoint", key_entrypoint),
  FN ("environment", cv_key_env),
  FN ("expose", cv_key_expose),
  FIXED ("external_links", DROPPED, "containers outside the project are not in the cluster"),
  FN ("extra_hosts", cv_key_extra_hosts),
  FIXED ("gpus", DROPPED,
         "GPUs are extended resources of a device plugin (nvidia.com/gpu): ask for one in "
         "deploy.resources.reservations.devices"),
  FN ("group_add", cv_key_security),
  FN ("healthcheck", cv_key_health),
  FN ("hostname", key_hostname),
  FN ("image", key_image),
  FN ("init", key_init),
  FN ("ipc", key_ipc),
  FIXED ("isolation", DROPPED, "Windows only"),
  FIXED ("label_file", DROPPED, "label files are not read by the converter: move the labels into `labels:`"),
  FN ("labels", key_labels),
  FN ("links", cv_key_links),
  FN ("logging", key_logging),
  FIXED ("mac_address", DROPPED, "the cluster network assigns addresses"),
  FN ("mem_limit", cv_key_resource),
  FN ("mem_reservation", cv_key_resource),
  FIXED ("mem_swappiness", DROPPED, "swap is the node's configuration"),
  FIXED ("memswap_limit", DROPPED, "swap is the node's configuration"),
  FIXED ("models", DROPPED, "AI models are not Kubernetes objects"),
  FN ("network_mode", cv_key_network_mode),
  FN_IF_SET ("networks", cv_key_service_networks),
  FIXED ("oom_kill_disable", DROPPED, "the kubelet owns OOM handling"),
  FIXED ("oom_score_adj", DROPPED, "the kubelet sets OOM scores from the pod's QoS class"),
  FN ("pid", key_pid),
  FIXED ("pids_limit", DROPPED, "PIDs are limited per pod by the kubelet's podPidsLimit, not per container"),
  FN ("platform", key_platform),
  FN ("ports", cv_key_ports),
  FIXED ("post_start", DROPPED, "compose hooks run with their own user and environment; write a lifecycle.postStart"),
  FIXED ("pre_stop", DROPPED, "compose hooks run with their own user and environment; write a lifecycle.preStop"),
  FN ("privileged", cv_key_security),
  FN ("profiles", key_profiles),
  FIXED ("provider", DROPPED, "provider services run outside containers"),
  FN ("pull_policy", key_pull_policy),
  FIXED ("pull_refresh_after", DROPPED, "the kubelet pulls by imagePullPolicy, never on a schedule"),
  FN ("read_only", cv_key_security),
  FN ("restart", key_restart),
  FN ("runtime", key_runtime),
  FN_IF_SET ("scale", key_scale),
  FN ("secrets", cv_key_storage),
  FN ("security_opt", cv_key_security),
  FN ("shm_size", cv_key_storage),
  FN ("stdin_open", key_stdin_open),
  FN ("stop_grace_period", key_stop_grace_period),
  FN ("stop_signal", key_stop_signal),
  FIXED ("storage_opt", DROPPED, "Kubernetes has no per-container storage driver options"),
  FN ("sysctls", cv_key_security),
  FN ("tmpfs", cv_key_storage),
  FN ("tty", key_tty),
  FIXED ("ulimits", DROPPED,
         "Kubernetes has no per-container ulimits; they are the node's container runtime "
         "defaults"),
  FIXED ("use_api_socket", DROPPED, "there is no Docker API socket in a cluster"),
  FN ("user", cv_key_security),
  FN ("userns_mode", cv_key_security),
  FIXED ("uts", DROPPED, "a pod shares the node's UTS namespace only with hostNetwork"),
  FIXED ("volume_driver", DROPPED, "volumes come from the cluster's storage classes"),
  FN ("volumes", cv_key_storage),
  FIXED ("volumes_from", DROPPED, "mount the same volumes by name instead"),
  FN ("working_dir", key_working_dir),
};

static const struct key_rule *
find_rule (const char *name)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (service_keys); i++)
    if (strcmp (service_keys[i].name, name) == 0)
      return &service_keys[i];
  return NULL;
}

bool
cv_key_has_rule (const char *name)
{
  return find_rule (name) != NULL;
}

int
cv_convert_service_keys (struct cv *c, struct cv_svc *s, cc_error_t *err)
{
  for (const cJSON *k = s->cfg->child; k; k = k->next)
    {
      const struct key_rule *rule = find_rule (k->string);

      if (rule == NULL)
        {
          cv_note (c, s, k->string, CC_CONVERT_DROPPED, "ccompose knows no Kubernetes counterpart of `%s`", k->string);
          continue;
        }
      if (rule->only_if_set && ! cc_project_sets (c->p, s->name, k->string, NULL))
        continue;
      if (rule->fn == NULL)
        {
          cv_note (c, s, k->string, rule->status, "%s", rule->why);
          continue;
        }
      if (rule->fn (c, s, k->string, k, err) < 0)
        return -1;
    }
  /* env_file is merged into `environment` by the model; a service whose
     env files set nothing has no `environment` to report it under.  */
  if (! cJSON_GetObjectItemCaseSensitive (s->cfg, "environment") && cc_project_sets (c->p, s->name, "env_file", NULL))
    cv_note (c, s, "env_file", CC_CONVERT_CONVERTED, "sets no variable");
  return 0;
}
