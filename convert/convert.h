/* Kubernetes manifests from a loaded compose project (issue 18): the one
   header other folders include from convert/.

   Lossless or loud: every key of every converted service, and of the
   volumes, networks, secrets and configs they use, gets a report line
   saying whether it was converted, approximated (and how) or dropped (and
   why).  The caller decides what a dropped key means (`convert` fails
   unless --allow-lossy).  The output is stable: sorted keys, objects in a
   fixed order, no timestamps.  */
#ifndef CC_CONVERT_CONVERT_H
#define CC_CONVERT_CONVERT_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "compose/compose.h"
#include "lib/error.h"

enum cc_convert_status
{
  CC_CONVERT_CONVERTED,
  CC_CONVERT_APPROXIMATED,
  CC_CONVERT_DROPPED,
};
#define CC_CONVERT_N_STATUS 3

/* What a host bind mount becomes: nothing (a dropped key, the default:
   the host's files do not exist on a cluster's nodes), a hostPath volume,
   or a ConfigMap holding a copy of the (small) files.  */
enum cc_convert_bind_mode
{
  CC_CONVERT_BIND_DROP,
  CC_CONVERT_BIND_HOSTPATH,
  CC_CONVERT_BIND_CONFIGMAP,
};

/* Looks an image up where it may be found without a network (the local
   image store by default): 1 and *EXPOSED ("6379/tcp", ...) when the
   image is there, 0 when it is not, -1 on an error.  */
typedef int (*cc_convert_image_fn) (void *opaque, const char *ref, char ***exposed, cc_error_t *err);

/* Builds SERVICE's image, pushes it as REF and gives the pinned reference
   (REF@sha256:...) in *PINNED: 1 when done, 0 when it cannot be done
   (yet), -1 on an error.  The builder and `push` (issues 13 and 9) plug in
   here; until then cc_convert_build_pending says "not built yet".  */
typedef int (*cc_convert_build_fn) (void *opaque, const struct cc_project *p, const char *service, const char *ref,
                                    char **pinned, cc_error_t *err);
int cc_convert_build_pending (void *opaque, const struct cc_project *p, const char *service, const char *ref,
                              char **pinned, cc_error_t *err);

struct cc_convert_options
{
  const char *namespace;    /* metadata.namespace and the kustomization's; NULL: none */
  const char *registry;     /* HOST/PREFIX for images of services with `build:` */
  const char *service_type; /* for published ports: ClusterIP (default), NodePort, LoadBalancer */
  const char *volume_size;  /* PVC size when the volume has no ccompose.kubernetes.size label; NULL: 1Gi */
  const char *storage_class;
  enum cc_convert_bind_mode bind_mounts;
  bool stateful;                    /* services with named volumes become StatefulSets */
  bool network_policies;            /* NetworkPolicies that allow what the compose networks allow */
  char **services;                  /* these and what they depend on; NULL: all */
  cc_convert_image_fn image_lookup; /* NULL: the local image store */
  void *image_opaque;
  cc_convert_build_fn build; /* NULL: cc_convert_build_pending */
  void *build_opaque;
};

struct cc_convert_result
{
  cJSON *objects; /* the Kubernetes objects, in output order */
  cJSON *report;  /* [{"scope", "key", "status", "detail", "where"}] */
  size_t counts[CC_CONVERT_N_STATUS];
};

int cc_convert_kubernetes (const struct cc_project *p, const struct cc_convert_options *o,
                           struct cc_convert_result **out, cc_error_t *err);
void cc_convert_result_free (struct cc_convert_result *r);
static inline void
cleanup_convert_result_fn (struct cc_convert_result **r)
{
  if (*r)
    cc_convert_result_free (*r);
}
#define cleanup_convert_result __attribute__ ((cleanup (cleanup_convert_result_fn)))

/* Every object as one YAML stream (documents separated by `---`).  */
char *cc_convert_render_stream (const struct cc_convert_result *r);
/* One file per object plus kustomization.yaml in DIR (created).  Files a
   previous conversion wrote there (listed in its kustomization.yaml) and
   that are no longer produced are removed; nothing else is touched.  */
int cc_convert_write_dir (const struct cc_convert_result *r, const char *dir, const char *namespace, cc_error_t *err);
/* The report: one line per key, then the counts; or as JSON.  */
char *cc_convert_report_text (const struct cc_convert_result *r);
char *cc_convert_report_json (const struct cc_convert_result *r);
const char *cc_convert_status_name (enum cc_convert_status s);

#endif
