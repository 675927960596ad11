/* What `ps`, `port`, `top`, `ls` show about a container: Docker's field
   names (Name, Service, State, Status, Health, ExitCode, Publishers...),
   from the project state plus the runtime's live state.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"
#include "runtime/runtime.h"

/* "2026-11-27T15:22:40.366002431Z" -> seconds since the epoch.  */
static time_t
parse_rfc3339 (const char *text)
{
  struct tm tm = { 0 };

  if (text == NULL || strptime (text, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return 0;
  return timegm (&tm);
}

char *
cc_engine_human_duration (int64_t seconds)
{
  if (seconds < 1)
    return xstrdup ("Less than a second");
  if (seconds < 60)
    return xasprintf ("%lld second%s", (long long)seconds, seconds == 1 ? "" : "s");
  if (seconds < 3600)
    return xasprintf ("%lld minute%s", (long long)(seconds / 60), seconds / 60 == 1 ? "" : "s");
  if (seconds < 48 * 3600)
    return xasprintf ("%lld hour%s", (long long)(seconds / 3600), seconds / 3600 == 1 ? "" : "s");
  return xasprintf ("%lld days", (long long)(seconds / 86400));
}

/* " 5 minutes ago"-style suffix for the time in KEY of RT, or "" when the
   runtime never recorded it (a killed monitor records no exit): time 0
   would otherwise read as "20784 days".  */
static char *
since_text (const cJSON *rt, const char *key, const char *suffix)
{
  time_t when = parse_rfc3339 (cc_json_get_string (rt, key));
  cleanup_free char *ago = NULL;

  if (when <= 0)
    return xstrdup ("");
  ago = cc_engine_human_duration (time (NULL) - when);
  return xasprintf (" %s%s", ago, suffix);
}

/* Docker's "Exited (137) 5 minutes ago"; a container whose monitor died
   without recording the exit has no code to show, and 0 would claim a
   clean exit.  */
static char *
exited_text (const cJSON *rt)
{
  int64_t code = cc_json_get_int (rt, "exit_code", -1);
  cleanup_free char *since = NULL;

  if (code < 0)
    return xstrdup ("Exited (unknown)");
  since = since_text (rt, "finished_at", " ago");
  return xasprintf ("Exited (%lld)%s", (long long)code, since);
}

static char *
status_text (const char *state, const char *health, const cJSON *rt)
{
  cleanup_free char *since = NULL;

  if (strcmp (state, "running") == 0 || strcmp (state, "paused") == 0)
    {
      since = since_text (rt, "started_at", "");
      return xasprintf ("Up%s%s%s%s%s", since, strcmp (state, "paused") == 0 ? " (Paused)" : "", health ? " (" : "",
                        health ? health : "", health ? ")" : "");
    }
  if (strcmp (state, "exited") == 0)
    return exited_text (rt);
  if (strcmp (state, "restarting") == 0)
    return xstrdup ("Restarting");
  if (strcmp (state, "created") == 0)
    return xstrdup ("Created");
  return xstrdup (state);
}

/* Issue 16: replicas sharing the host port: how many, and whether NAME
   takes new connections ("Backends", "Serving", beyond Docker's keys).  */
static void
set_balancer (cJSON *o, const char *project, const char *name, const struct cc_port *p, unsigned port)
{
  struct cc_net_backend *v = NULL;
  size_t n = 0;

  if (cc_network_port_backends (project, p->protocol == CC_PORT_UDP ? CC_NET_UDP : CC_NET_TCP, p->host_ip, port, &v, &n,
                                NULL)
      < 0)
    return;
  for (size_t i = 0; i < n; i++)
    if (strcmp (v[i].container, name) == 0)
      {
        cc_json_set_int (o, "Backends", (int64_t)n);
        cc_json_set_bool (o, "Serving", v[i].serving);
      }
  cc_net_backends_free (v, n);
}

char **
cc_engine_port_backends (const char *project, const cJSON *publisher)
{
  struct cc_net_backend *v = NULL;
  size_t n = 0;
  const char *url = cc_json_get_string (publisher, "URL");
  char **lines = xzalloc (sizeof (char *));

  if (cc_network_port_backends (
          project, strcmp (cc_json_get_string (publisher, "Protocol"), "udp") == 0 ? CC_NET_UDP : CC_NET_TCP,
          strcmp (url, "0.0.0.0") == 0 ? "" : url, (unsigned)cc_json_get_int (publisher, "PublishedPort", 0), &v, &n,
          NULL)
      < 0)
    return lines;
  for (size_t i = 0; i < n; i++)
    cc_strv_push (&lines, xasprintf ("%s %s:%u %s", v[i].container, v[i].ip, v[i].port,
                                     v[i].serving ? "serving" : "not serving"));
  cc_net_backends_free (v, n);
  return lines;
}

static void
add_publisher (cJSON *out, const char *project, const char *name, const struct cc_port *p, const char *url,
               unsigned port)
{
  cJSON *o = cJSON_CreateObject ();

  cc_json_set_string (o, "URL", url);
  cc_json_set_int (o, "TargetPort", p->target);
  cc_json_set_int (o, "PublishedPort", port);
  cc_json_set_string (o, "Protocol", cc_port_protocol_name (p->protocol));
  if (port)
    set_balancer (o, project, name, p, port);
  cJSON_AddItemToArray (out, o);
}

/* Docker's Publishers: what the config asks, with the host ports the
   network chose where the config names none or a range.  The network
   records one port per configured port, in the config's order.  A port
   without a host address on a container with IPv6 is published on both
   families (rules.c): one entry each, "0.0.0.0" then "::", as Docker
   Compose lists them (issue 17); on IPv6 only for a container with no
   IPv4 address (issue 15).  */
static cJSON *
publishers (const char *project, const char *name, const cJSON *config)
{
  cleanup_service struct cc_service *svc = NULL;
  cleanup_free struct cc_net_port *actual = NULL;
  size_t n = 0;
  bool ipv4 = true, ipv6 = false;
  cJSON *out = cJSON_CreateArray ();

  /* The config as this container was made; one that does not read shows nothing.  */
  if (cc_service_new (name, config, NULL, &svc, NULL) < 0)
    return out;
  /* No record (a container never attached): only what the config says.  */
  if (cc_network_container_ports (project, name, &actual, &n, &ipv4, &ipv6, NULL) < 0 || n != svc->n_ports)
    n = 0;
  for (size_t i = 0; i < svc->n_ports; i++)
    {
      const struct cc_port *p = &svc->ports[i];
      /* A port the config names (not 0, not a range), else the one chosen.  */
      unsigned port = p->published_end == p->published ? p->published : 0;
      if (port == 0 && i < n && actual[i].host_port == actual[i].host_port_end)
        port = actual[i].host_port;
      if (p->host_ip[0] || ! port || ipv4 || cc_engine_port_is_relayable (p))
        add_publisher (out, project, name, p, p->host_ip[0] ? p->host_ip : port ? "0.0.0.0" : "", port);
      if (port && ipv6 && p->host_ip[0] == '\0')
        add_publisher (out, project, name, p, "::", port);
    }
  return out;
}

/* NAME=VALUE pairs as `docker ps --format json` prints labels:
   "k=v,k2=v2", sorted by name.  */
static char *
pairs_text (const struct cc_kv_list *l)
{
  cleanup_strv char **pairs = xzalloc (sizeof (char *));

  for (size_t i = 0; i < l->n; i++)
    cc_strv_push (&pairs, xasprintf ("%s=%s", l->items[i].name, l->items[i].value ?: ""));
  return cc_strv_join (pairs, ",");
}

/* The service's annotations, as its container was made with them (the
   config its state entry keeps).  */
static char *
annotations_text (const char *name, const cJSON *config)
{
  cleanup_service struct cc_service *svc = NULL;

  if (cc_service_new (name, config, NULL, &svc, NULL) < 0)
    return xstrdup ("");
  return pairs_text (&svc->annotations);
}

cJSON *
cc_engine_service_labels (const struct cc_service *svc, const cJSON *entry)
{
  const cJSON *compose = cJSON_GetObjectItemCaseSensitive (entry, "labels");
  cJSON *o = cJSON_CreateObject ();

  for (size_t i = 0; svc && i < svc->labels.n; i++)
    cc_json_set_string (o, svc->labels.items[i].name, svc->labels.items[i].value ?: "");
  /* Compose's own labels are set last: a service cannot fake them.  */
  for (const cJSON *l = compose ? compose->child : NULL; l; l = l->next)
    if (cJSON_IsString (l))
      cc_json_set_string (o, l->string, l->valuestring);
  return o;
}

cJSON *
cc_engine_container_labels (const char *name, const cJSON *entry)
{
  cleanup_service struct cc_service *svc = NULL;

  /* A recorded config that no longer parses still shows Compose's labels.  */
  (void)cc_service_new (name, cJSON_GetObjectItemCaseSensitive (entry, "config"), NULL, &svc, NULL);
  return cc_engine_service_labels (svc, entry);
}

/* The labels as `docker ps --format json` prints them: "k=v,k2=v2",
   sorted by name.  */
static char *
labels_text (const cJSON *labels)
{
  cleanup_strv char **pairs = xzalloc (sizeof (char *));

  for (const cJSON *l = labels->child; l; l = l->next)
    cc_strv_push (&pairs, xasprintf ("%s=%s", l->string, l->valuestring));
  cc_strv_sort_unique (pairs);
  return cc_strv_join (pairs, ",");
}

/* Docker's Mounts (volume names, else host paths) and LocalVolumes (how
   many of them are volumes), from the mounts the container was made with.  */
static void
set_mounts (cJSON *o, const struct cc_runtime_spec *spec)
{
  cleanup_free char *root = cc_paths_volumes_dir ();
  cleanup_strv char **names = xzalloc (sizeof (char *));
  size_t len = strlen (root), local = 0;

  for (size_t i = 0; spec && i < spec->n_mounts; i++)
    {
      const struct cc_runtime_mount *m = &spec->mounts[i];
      const char *rest
          = m->source && strncmp (m->source, root, len) == 0 && m->source[len] == '/' ? m->source + len + 1 : NULL;
      if (m->source == NULL || strcmp (m->type, "bind") != 0)
        continue;
      if (rest)
        {
          cc_strv_push (&names, xstrndup (rest, strcspn (rest, "/")));
          local++;
        }
      else
        cc_strv_append (&names, m->source);
    }
  cleanup_free char *joined = cc_strv_join (names, ","), *count = xasprintf ("%zu", local);

  cc_json_set_string (o, "Mounts", joined);
  cc_json_set_string (o, "LocalVolumes", count);
}

static char *
networks_text (const cJSON *entry)
{
  cleanup_strv char **v = json_strv_of (cJSON_GetObjectItemCaseSensitive (entry, "network_names"));
  return cc_strv_join (v, ",");
}

cJSON *
cc_engine_container_info (const char *project, const char *name, const cJSON *entry)
{
  cleanup_cjson cJSON *rt = NULL, *labels = cc_engine_container_labels (name, entry);
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;
  cleanup_free char *status = NULL, *command = NULL, *labels_str = labels_text (labels), *nets = networks_text (entry);
  const char *id = cc_json_get_string (entry, "id");
  const cJSON *config = cJSON_GetObjectItemCaseSensitive (entry, "config");
  cleanup_free char *annotations = annotations_text (name, config);
  const char *state = "missing", *health = NULL;
  cJSON *o = cJSON_CreateObject ();

  if (cc_runtime_state (name, &rt, NULL) == 0)
    {
      state = cc_json_get_string (rt, "status") ? cc_json_get_string (rt, "status") : "unknown";
      health = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (rt, "health"), "Status");
    }
  status = status_text (state, health, rt);
  if (cc_runtime_spec_of (name, &spec, NULL) < 0)
    spec = NULL;
  command = spec ? cc_strv_join (spec->args, " ") : xstrdup ("");
  /* Containers made before ids were recorded go by their name.  */
  cc_json_set_string (o, "ID", id ? id : name);
  cc_json_set_string (o, "Name", name);
  cc_json_set_string (o, "Names", name);
  cc_json_set_string (o, "Image", cc_json_get_string (entry, "image"));
  cc_json_set_string (o, "Command", command);
  cc_json_set_string (o, "Labels", labels_str);
  set_mounts (o, spec);
  cc_json_set_string (o, "Networks", nets);
  cc_json_set_string (o, "Annotations", annotations);
  cc_json_set_string (o, "Project", project);
  cc_json_set_string (o, "Service", cc_json_get_string (entry, "service"));
  cc_json_set_int (o, "Number", cc_json_get_int (entry, "number", 1));
  cc_json_set_int (o, "Created", cc_json_get_int (entry, "created_ms", 0) / 1000);
  cc_json_set_string (o, "State", state);
  cc_json_set_string (o, "Status", status);
  cc_json_set_string (o, "Health", health ? health : "");
  cc_json_set_int (o, "ExitCode", rt ? cc_json_get_int (rt, "exit_code", 0) : 0);
  cc_json_set_int (o, "Pid", rt ? cc_json_get_int (rt, "pid", 0) : 0);
  cc_json_set (o, "Publishers", publishers (project, name, config));
  return o;
}
