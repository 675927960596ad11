/* `convert` and `config --format kubernetes`: a thin facade over
   convert/.  The engine loads, converts and writes; the CLI prints the
   report and says when nothing was written.  */
#include <string.h>

#include "convert/convert.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"

static const struct
{
  const char *name;
  enum cc_convert_bind_mode mode;
} bind_modes[] = {
  { "error", CC_CONVERT_BIND_DROP },
  { "hostPath", CC_CONVERT_BIND_HOSTPATH },
  { "configMap", CC_CONVERT_BIND_CONFIGMAP },
};

static int
bind_mode (const char *name)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (bind_modes); i++)
    if (strcmp (name, bind_modes[i].name) == 0)
      return (int)bind_modes[i].mode;
  return -1;
}

bool
cc_engine_kube_bind_mounts_valid (const char *name)
{
  return bind_mode (name) >= 0;
}

static struct cc_convert_options
convert_options (const struct cc_kube_opts *o)
{
  return (struct cc_convert_options){
    .namespace = o->namespace,
    .registry = o->registry,
    .service_type = o->service_type,
    .volume_size = o->volume_size,
    .storage_class = o->storage_class,
    .bind_mounts = o->bind_mounts ? (enum cc_convert_bind_mode)bind_mode (o->bind_mounts) : CC_CONVERT_BIND_DROP,
    .stateful = o->stateful,
    .network_policies = o->network_policies,
    .services = o->services,
    /* --registry: the services with `build:` are built and pushed.  */
    .build = cc_engine_convert_build,
  };
}

static int
write_manifests (const struct cc_convert_result *r, const struct cc_kube_opts *o, char **stream, cc_error_t *err)
{
  cleanup_free char *text = NULL;

  if (o->dir)
    return cc_convert_write_dir (r, o->dir, o->namespace, err);
  text = cc_convert_render_stream (r);
  if (o->file == NULL)
    {
      *stream = steal_pointer (&text);
      return 0;
    }
  return cc_write_file_atomic (o->file, text, strlen (text), 0644, err);
}

int
cc_engine_convert (const struct cc_compose_options *load, struct cc_kube_opts *o, char **report, char **stream,
                   cc_error_t *err)
{
  struct cc_convert_options co = convert_options (o);
  struct cc_compose_options lo = *load;
  cleanup_project struct cc_project *p = NULL;
  cleanup_convert_result struct cc_convert_result *r = NULL;
  cleanup_free char *json = NULL;

  *report = *stream = NULL;
  lo.services = o->services;
  /* Keys ccompose cannot run may well convert: the report judges each.  */
  lo.keep_unsupported = true;
  if (cc_compose_load (&lo, &p, err) < 0 || cc_convert_kubernetes (p, &co, &r, err) < 0)
    return -1;
  *report = cc_convert_report_text (r);
  json = o->report ? cc_convert_report_json (r) : NULL;
  if (json && cc_write_file_atomic (o->report, json, strlen (json), 0644, err) < 0)
    return -1;
  o->dropped = r->counts[CC_CONVERT_DROPPED];
  if (o->dropped > 0 && ! o->allow_lossy)
    return 1;
  return write_manifests (r, o, stream, err);
}
