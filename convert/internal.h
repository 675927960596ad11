/* convert/ internals: the state of one conversion and the helpers its
   files share.  Internal to convert/ (and its unit tests).  */
#ifndef CC_CONVERT_INTERNAL_H
#define CC_CONVERT_INTERNAL_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "convert/convert.h"
#include "lib/error.h"

/* The labels every object carries; the first two select a service's pods.  */
#define CV_LABEL_NAME "app.kubernetes.io/name"
#define CV_LABEL_PART_OF "app.kubernetes.io/part-of"
#define CV_LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
/* Compose labels that steer the conversion (consumed, not copied).  */
#define CV_CONTROL_PREFIX "ccompose.kubernetes."
/* What the init containers that wait for a dependency run (`nc`, `nslookup`).  */
#define CV_WAIT_IMAGE "busybox:1.36"
#define CV_DEFAULT_VOLUME_SIZE "1Gi"
/* A ConfigMap or Secret is stored whole in one etcd value (1 MiB).  */
#define CV_OBJECT_DATA_MAX (1024 * 1024)

/* ---- names (names.c) ------------------------------------------------ */

/* A DNS-1123 label (<= 63 of [a-z0-9-], alphanumeric at both ends) from a
   compose name: lower case, `_` and `.` (and anything else) become `-`.
   NULL and *ERR when nothing valid is left or it is too long.  */
char *cv_dns_label (const char *name, cc_error_t *err);
bool cv_is_dns_label (const char *s);
bool cv_is_dns_subdomain (const char *s);
/* An IANA service name for a port (<= 15, [a-z0-9-], a letter, no `--`),
   or NULL when NAME cannot become one.  */
char *cv_port_name (const char *name);
/* A Kubernetes label key ([prefix/]name) and value.  */
bool cv_is_label_key (const char *s);
bool cv_is_label_value (const char *s);
/* Whether TEXT names NAME as a host: NAME appears delimited by characters
   that cannot be part of a host name ("redis:6379", "http://db/",
   "--host=db"; not "redis-cli" nor "db.example.com").  */
bool cv_text_names (const char *text, const char *name);
/* TEXT with every such occurrence of FROM replaced by TO.  */
char *cv_text_rename (const char *text, const char *from, const char *to);

/* ---- quantities and durations (quantity.c) -------------------------- */

/* CPUs (0.5) to a Kubernetes quantity ("500m"); *EXACT false when it had
   to be rounded up to whole millicores.  */
char *cv_cpu_quantity (double cpus, bool *exact);
/* Bytes to the exact quantity with the largest suffix that divides them:
   268435456 -> "256Mi", 1500000 -> "1500k", 1023 -> "1023".  */
char *cv_bytes_quantity (int64_t bytes);
/* A size in Kubernetes' binary units ("5Gi") or as compose writes it
   ("5g", "512m": binary as well).  */
int cv_parse_size (const char *text, int64_t *bytes, cc_error_t *err);
/* Nanoseconds to whole seconds, rounded up (at least MIN); *EXACT false
   when it was rounded.  */
int64_t cv_seconds (int64_t ns, int64_t min, bool *exact);

/* ---- secrets (secret.c) --------------------------------------------- */

/* Whether an environment variable looks like a secret: a name with
   PASSWORD, SECRET, TOKEN, KEY, CREDENTIALS... as a word, or a value that
   is a URL with a password in it.  */
bool cv_env_is_secret (const char *name, const char *value);
/* Kubernetes expands $(VAR) and $$ in command, args and env values:
   TEXT with `$` doubled before `(` and `$`, so it reads back as written.  */
char *cv_escape_dollars (const char *text);

/* ---- the report (report.c) ------------------------------------------ */

struct cv_report
{
  cJSON *entries;
  size_t counts[CC_CONVERT_N_STATUS];
};
void cv_report_add (struct cv_report *r, const char *scope, const char *key, enum cc_convert_status st,
                    const char *where, const char *detail);
/* Group the lines by scope (project, services, volumes, networks,
   secrets, configs), keeping their order within a scope.  */
void cv_report_sort (struct cv_report *r);

/* ---- one conversion -------------------------------------------------- */

enum cv_kind
{
  CV_DEPLOYMENT,
  CV_STATEFULSET,
  CV_DAEMONSET,
  CV_JOB,
  CV_SIDECAR, /* network_mode service:X: a second container of X's pod */
};

struct cv_port
{
  int64_t target;
  int64_t published; /* 0: not published */
  char protocol[8];  /* TCP, UDP, SCTP */
  char *name;        /* the compose port's name, or NULL */
  const char *app_protocol;
  const char *host_ip;
  const char *origin; /* "ports[2]", "expose", "image" */
};

struct cv_svc
{
  const char *name; /* the compose name */
  char *k8s;        /* the object and container name */
  const cJSON *cfg; /* the normalized service */
  enum cv_kind kind;
  struct cv_svc *host; /* CV_SIDECAR: whose pod it joins */
  struct cv_port *ports;
  size_t n_ports;
  bool has_published;
  bool reached;    /* another service names it, or it has ports */
  char **aliases;  /* more names it answers to: container_name, network and link aliases */
  char **refs;     /* services it names (compose names) */
  char **exposed;  /* the image's EXPOSE, or NULL when unknown */
  bool image_seen; /* the image was found */
  char *image;     /* what the container runs */

  /* Built by the key handlers.  */
  cJSON *container;
  cJSON *pod;                     /* the pod spec (the host's for a sidecar) */
  cJSON *pod_meta;                /* the pod template's metadata */
  cJSON *meta;                    /* the workload's metadata */
  cJSON *workload;                /* NULL for a sidecar */
  cJSON *claims;                  /* StatefulSet volumeClaimTemplates */
  cJSON *env_config, *env_secret; /* data of <svc>-env */
  cJSON *env_files;               /* NAME -> env file path */
  int64_t replicas;
  bool uses_rwo_claim;
  cJSON *strategy;
};

struct cv
{
  const struct cc_project *p;
  const struct cc_convert_options *o;
  struct cv_svc *svcs;
  size_t n_svcs;
  cJSON *objects;
  struct cv_report report;
  /* Top-level objects in use: compose name -> [service, ...].  */
  cJSON *used_volumes, *used_secrets, *used_configs;
  cJSON *origins; /* "Kind/name" -> what it came from */
};

struct cv_svc *cv_find (struct cv *c, const char *compose_name);
/* A report line about services.SVC.KEY (KEY may be a path "deploy.replicas").  */
void cv_note (struct cv *c, const struct cv_svc *s, const char *key, enum cc_convert_status st, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));
/* A report line about a top-level object ("volume data", "network back").  */
void cv_note_top (struct cv *c, const char *scope, const char *key, enum cc_convert_status st, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

/* objects.c: the skeleton every object shares.  */
cJSON *cv_object (struct cv *c, const char *api_version, const char *kind, const char *name);
cJSON *cv_selector (struct cv *c, const struct cv_svc *s);
/* Add OBJ (owned); ORIGIN ("service `web`") names it when another
   object already has its kind and name, which is an error naming both.  */
int cv_add_object (struct cv *c, cJSON *obj, const char *origin, cc_error_t *err);
/* Finish: namespace, sorted keys, fixed order; duplicate (kind, name)
   pairs are an error naming both.  */
int cv_objects_finish (struct cv *c, cc_error_t *err);

/* plan.c: kinds, ports, references, aliases: what must be known before
   any object is built.  */
int cv_plan (struct cv *c, cc_error_t *err);

/* keys.c: every service key, by table.  */
int cv_convert_service_keys (struct cv *c, struct cv_svc *s, cc_error_t *err);
/* Whether the table has a rule for a service key (tests: every key of the
   compose schema must have one).  */
bool cv_key_has_rule (const char *name);

/* Helpers the key handlers share (pod.c).  */
cJSON *cv_pod_list (struct cv_svc *s, const char *key);
cJSON *cv_container_list (struct cv_svc *s, const char *key);
cJSON *cv_container_object (struct cv_svc *s, const char *key);
cJSON *cv_pod_object (struct cv_svc *s, const char *key);
/* Add a pod volume and mount it in S's container.  */
void cv_mount (struct cv_svc *s, cJSON *volume, const char *mount_path, bool read_only, const char *sub_path);
/* Only the mount: a StatefulSet's claim templates are not pod volumes.  */
void cv_mount_only (struct cv_svc *s, const char *name, const char *mount_path, bool read_only, const char *sub_path);
/* The resources.limits / .requests object of S's container.  */
cJSON *cv_resources (struct cv_svc *s, const char *which);

/* The per-key converters, by area (keys.c has the table).  KEY is the
   report's name for V.  */
int cv_key_service_networks (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_network_mode (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_links (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_dns (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_extra_hosts (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_ports (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_expose (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_security (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_resource (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_env (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_health (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_deps (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_deploy (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);
int cv_key_storage (struct cv *c, struct cv_svc *s, const char *key, const cJSON *v, cc_error_t *err);

/* workload.c, service.c, storage.c, network.c: the objects.  */
int cv_build_workloads (struct cv *c, cc_error_t *err);
int cv_build_services (struct cv *c, cc_error_t *err);
int cv_build_storage (struct cv *c, cc_error_t *err);
int cv_build_network_policies (struct cv *c, cc_error_t *err);

#endif
