/* The security keys: the container's and the pod's securityContext.  */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "convert/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* The sysctls Kubernetes 1.30 calls safe: namespaced and isolated, allowed
   on every node.  Others need the kubelet's --allowed-unsafe-sysctls, and
   a pod asking for one anyway is rejected (SysctlForbidden).  */
static const char *const safe_sysctls[] = {
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
};

static cJSON *
security_context (struct cv_svc *s)
{
  return cv_container_object (s, "securityContext");
}

static bool
is_number (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (! isdigit ((unsigned char)*s))
      return false;
  return true;
}

static void
capabilities (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, const char *field)
{
  cJSON *caps = cJSON_GetObjectItemCaseSensitive (security_context (s), "capabilities");
  cJSON *list = cJSON_CreateArray ();

  if (caps == NULL)
    {
      caps = cJSON_CreateObject ();
      cJSON_AddItemToObject (security_context (s), "capabilities", caps);
    }
  for (const cJSON *cap = v->child; cap; cap = cap->next)
    {
      const char *name = cap->valuestring;
      cleanup_free char *upper = xstrdup (strncasecmp (name, "CAP_", 4) == 0 ? name + 4 : name);
      for (char *p = upper; *p; p++)
        *p = (char)toupper ((unsigned char)*p);
      cJSON_AddItemToArray (list, cJSON_CreateString (upper));
    }
  cc_json_set (caps, field, list);
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "securityContext.capabilities.%s", field);
}

static void
user (struct cv *c, struct cv_svc *s, const char *key, const char *text)
{
  cleanup_free char *copy = xstrdup (text);
  char *colon = strchr (copy, ':');
  const char *group = colon ? colon + 1 : NULL;

  if (colon)
    *colon = '\0';
  if (! is_number (copy) || (group && ! is_number (group)))
    {
      cv_note (c, s, key, CC_CONVERT_DROPPED,
               "`%s` names a user or group: Kubernetes' runAsUser and runAsGroup take numeric ids only", text);
      return;
    }
  cc_json_set_int (security_context (s), "runAsUser", strtoll (copy, NULL, 10));
  if (group)
    cc_json_set_int (security_context (s), "runAsGroup", strtoll (group, NULL, 10));
  cv_note (c, s, key, CC_CONVERT_CONVERTED, "securityContext.runAsUser%s", group ? " and runAsGroup" : "");
}

static void
sysctls (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v)
{
  cJSON *list = NULL;

  for (const cJSON *k = v->child; k; k = k->next)
    {
      cleanup_free char *sub = xasprintf ("%s.%s", key, k->string);
      cJSON *e;
      bool safe = false;

      for (size_t i = 0; i < CC_N_ELEMENTS (safe_sysctls); i++)
        safe |= strcmp (k->string, safe_sysctls[i]) == 0;
      if (! safe)
        {
          cv_note (c, s, sub, CC_CONVERT_DROPPED,
                   "not a safe sysctl in Kubernetes: a pod asking for it is rejected unless every node's kubelet "
                   "allows it (--allowed-unsafe-sysctls)");
          continue;
        }
      if (list == NULL)
        {
          cJSON *pod_sc = cv_pod_object (s, "securityContext");
          list = cJSON_GetObjectItemCaseSensitive (pod_sc, "sysctls");
          if (list == NULL)
            {
              list = cJSON_CreateArray ();
              cJSON_AddItemToObject (pod_sc, "sysctls", list);
            }
        }
      e = cJSON_CreateObject ();
      cc_json_set_string (e, "name", k->string);
      cc_json_set_string (e, "value", cJSON_IsString (k) ? k->valuestring : "");
      cJSON_AddItemToArray (list, e);
      cv_note (c, s, sub, s->kind == CV_SIDECAR ? CC_CONVERT_APPROXIMATED : CC_CONVERT_CONVERTED,
               "pod securityContext.sysctls%s", s->kind == CV_SIDECAR ? " (of the whole shared pod)" : "");
    }
}

static void
security_opt (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v)
{
  int i = 0;

  for (const cJSON *o = v->child; o; o = o->next, i++)
    {
      cleanup_free char *sub = xasprintf ("%s[%d]", key, i);
      const char *opt = o->valuestring;
      cJSON *profile;

      if (strncmp (opt, "no-new-privileges", 17) == 0)
        {
          bool off = strstr (opt, "false") != NULL;
          cc_json_set_bool (security_context (s), "allowPrivilegeEscalation", off);
          cv_note (c, s, sub, CC_CONVERT_CONVERTED, "securityContext.allowPrivilegeEscalation %s",
                   off ? "true" : "false");
        }
      else if (strcmp (opt, "seccomp=unconfined") == 0 || strcmp (opt, "seccomp:unconfined") == 0)
        {
          profile = cJSON_CreateObject ();
          cc_json_set_string (profile, "type", "Unconfined");
          cc_json_set (security_context (s), "seccompProfile", profile);
          cv_note (c, s, sub, CC_CONVERT_CONVERTED, "securityContext.seccompProfile Unconfined");
        }
      else if (strcmp (opt, "apparmor=unconfined") == 0 || strcmp (opt, "apparmor:unconfined") == 0)
        {
          profile = cJSON_CreateObject ();
          cc_json_set_string (profile, "type", "Unconfined");
          cc_json_set (security_context (s), "appArmorProfile", profile);
          cv_note (c, s, sub, CC_CONVERT_CONVERTED, "securityContext.appArmorProfile Unconfined");
        }
      else
        cv_note (c, s, sub, CC_CONVERT_DROPPED, "`%s`: no securityContext counterpart ccompose knows", opt);
    }
}

static void
group_add (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v)
{
  cJSON *pod_sc = cv_pod_object (s, "securityContext");
  cJSON *groups = cJSON_GetObjectItemCaseSensitive (pod_sc, "supplementalGroups");
  int i = 0;

  if (groups == NULL)
    {
      groups = cJSON_CreateArray ();
      cJSON_AddItemToObject (pod_sc, "supplementalGroups", groups);
    }
  for (const cJSON *g = v->child; g; g = g->next, i++)
    {
      cleanup_free char *sub = xasprintf ("%s[%d]", key, i);
      if (! cJSON_IsString (g) || ! is_number (g->valuestring))
        {
          cv_note (c, s, sub, CC_CONVERT_DROPPED, "supplementalGroups take numeric group ids only");
          continue;
        }
      cJSON_AddItemToArray (groups, cJSON_CreateNumber ((double)strtoll (g->valuestring, NULL, 10)));
      cv_note (c, s, sub, CC_CONVERT_CONVERTED, "pod securityContext.supplementalGroups");
    }
  if (groups->child == NULL)
    cJSON_DeleteItemFromObjectCaseSensitive (pod_sc, "supplementalGroups");
}

int
cv_key_security (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err)
{
  (void)err;
  if (strcmp (key, "cap_add") == 0)
    capabilities (c, s, key, v, "add");
  else if (strcmp (key, "cap_drop") == 0)
    capabilities (c, s, key, v, "drop");
  else if (strcmp (key, "privileged") == 0)
    {
      if (cJSON_IsTrue (v))
        cc_json_set_bool (security_context (s), "privileged", true);
      cv_note (c, s, key, CC_CONVERT_CONVERTED, "securityContext.privileged");
    }
  else if (strcmp (key, "read_only") == 0)
    {
      if (cJSON_IsTrue (v))
        cc_json_set_bool (security_context (s), "readOnlyRootFilesystem", true);
      cv_note (c, s, key, CC_CONVERT_CONVERTED, "securityContext.readOnlyRootFilesystem");
    }
  else if (strcmp (key, "user") == 0)
    user (c, s, key, v->valuestring);
  else if (strcmp (key, "sysctls") == 0)
    sysctls (c, s, key, v);
  else if (strcmp (key, "security_opt") == 0)
    security_opt (c, s, key, v);
  else if (strcmp (key, "group_add") == 0)
    group_add (c, s, key, v);
  else if (strcmp (key, "cgroup") == 0 || strcmp (key, "userns_mode") == 0)
    {
      bool host = cJSON_IsString (v) && strcmp (v->valuestring, "host") == 0;
      if (strcmp (key, "cgroup") == 0)
        cv_note (c, s, key, host ? CC_CONVERT_DROPPED : CC_CONVERT_CONVERTED, "%s",
                 host ? "a pod cannot join the node's cgroup namespace"
                      : "a private cgroup namespace, as in Kubernetes");
      else
        cv_note (c, s, key, host ? CC_CONVERT_CONVERTED : CC_CONVERT_DROPPED, "%s",
                 host ? "the node's user namespace, Kubernetes' default"
                      : "Kubernetes chooses user namespaces itself (hostUsers: false)");
    }
  return 0;
}
