/* `ccompose convert`: Kubernetes manifests from the compose file, with a
   report of what became of every key (convert/convert.h).  A key that
   would be dropped fails the command, and nothing is written, unless
   --allow-lossy.  */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "compose/compose.h"
#include "convert/convert.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose convert [OPTIONS] [SERVICE...]\n\n"
      "Convert the compose file to Kubernetes manifests, reporting what became of every key\n\n"
      "Options:\n"
      "      --allow-lossy            Write the manifests even when keys have to be dropped\n"
      "      --bind-mounts string     What host bind mounts become: error, hostPath or configMap\n"
      "                               (a copy of small files) (default \"error\")\n"
      "      --namespace string       Put every object in this namespace (and create it)\n"
      "      --network-policies       NetworkPolicies that allow what the compose networks allow\n"
      "  -o, --output string          A directory (one file per object and a kustomization.yaml),\n"
      "                               or - for one YAML stream on stdout (default \"-\")\n"
      "      --registry string        HOST/PREFIX the images of services with `build:` are pushed to\n"
      "      --report string          Also write the report as JSON to this file\n"
      "      --service-type string    Service type for published ports: ClusterIP, NodePort or\n"
      "                               LoadBalancer (default \"ClusterIP\")\n"
      "      --stateful               Services with named volumes become StatefulSets\n"
      "      --storage-class string   storageClassName of the PersistentVolumeClaims\n"
      "      --to string              The target: kubernetes (default \"kubernetes\")\n"
      "      --volume-size string     Size of a claim whose volume has no ccompose.kubernetes.size\n"
      "                               label (default \"1Gi\")\n"
      "  -h, --help                   Show this help\n";

enum
{
  OPT_ALLOW_LOSSY = 256,
  OPT_BIND_MOUNTS,
  OPT_NAMESPACE,
  OPT_NETWORK_POLICIES,
  OPT_REGISTRY,
  OPT_REPORT,
  OPT_SERVICE_TYPE,
  OPT_STATEFUL,
  OPT_STORAGE_CLASS,
  OPT_TO,
  OPT_VOLUME_SIZE,
};

static const struct option options[] = {
  { "allow-lossy", no_argument, NULL, OPT_ALLOW_LOSSY },
  { "bind-mounts", required_argument, NULL, OPT_BIND_MOUNTS },
  { "namespace", required_argument, NULL, OPT_NAMESPACE },
  { "network-policies", no_argument, NULL, OPT_NETWORK_POLICIES },
  { "output", required_argument, NULL, 'o' },
  { "registry", required_argument, NULL, OPT_REGISTRY },
  { "report", required_argument, NULL, OPT_REPORT },
  { "service-type", required_argument, NULL, OPT_SERVICE_TYPE },
  { "stateful", no_argument, NULL, OPT_STATEFUL },
  { "storage-class", required_argument, NULL, OPT_STORAGE_CLASS },
  { "to", required_argument, NULL, OPT_TO },
  { "volume-size", required_argument, NULL, OPT_VOLUME_SIZE },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static const struct
{
  const char *name;
  enum cc_convert_bind_mode mode;
} bind_modes[] = {
  { "error", CC_CONVERT_BIND_DROP },
  { "hostPath", CC_CONVERT_BIND_HOSTPATH },
  { "configMap", CC_CONVERT_BIND_CONFIGMAP },
};

static const char *const service_types[] = { "ClusterIP", "NodePort", "LoadBalancer" };

static bool
is_one_of (const char *v, const char *const *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (v, list[i]) == 0)
      return true;
  return false;
}

/* A namespace is a DNS-1123 label.  */
static bool
is_namespace (const char *s)
{
  size_t n = strlen (s);

  if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
    return false;
  for (const char *p = s; *p; p++)
    if (! ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
      return false;
  return true;
}

static int
parse_bind_mode (const char *v, struct cc_convert_options *o)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (bind_modes); i++)
    if (strcmp (v, bind_modes[i].name) == 0)
      {
        o->bind_mounts = bind_modes[i].mode;
        return 0;
      }
  return -1;
}

/* Returns -1 to go on, or an exit code.  */
static int
parse_options (struct cli_convert *cv, int argc, char **argv)
{
  int c;

  while ((c = getopt_long (argc, argv, "o:h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_ALLOW_LOSSY:
        cv->allow_lossy = true;
        break;
      case OPT_BIND_MOUNTS:
        if (parse_bind_mode (optarg, &cv->opts) < 0)
          return cli_usage_error ("convert", "invalid --bind-mounts `%s` (error, hostPath, configMap)", optarg);
        break;
      case OPT_NAMESPACE:
        if (! is_namespace (optarg))
          return cli_usage_error ("convert", "invalid --namespace `%s`: a DNS label ([a-z0-9-], at most 63)", optarg);
        cv->opts.namespace = optarg;
        break;
      case OPT_NETWORK_POLICIES:
        cv->opts.network_policies = true;
        break;
      case 'o':
        cv->dir = strcmp (optarg, "-") == 0 ? NULL : optarg;
        break;
      case OPT_REGISTRY:
        cv->opts.registry = optarg;
        break;
      case OPT_REPORT:
        cv->report = optarg;
        break;
      case OPT_SERVICE_TYPE:
        if (! is_one_of (optarg, service_types, CC_N_ELEMENTS (service_types)))
          return cli_usage_error ("convert", "invalid --service-type `%s` (ClusterIP, NodePort, LoadBalancer)", optarg);
        cv->opts.service_type = optarg;
        break;
      case OPT_STATEFUL:
        cv->opts.stateful = true;
        break;
      case OPT_STORAGE_CLASS:
        cv->opts.storage_class = optarg;
        break;
      case OPT_TO:
        if (strcmp (optarg, "kubernetes") != 0 && strcmp (optarg, "k8s") != 0)
          return cli_usage_error ("convert", "invalid --to `%s` (kubernetes)", optarg);
        break;
      case OPT_VOLUME_SIZE:
        cv->opts.volume_size = optarg;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("convert", "unknown option");
      }
  return -1;
}

static int
write_stream (const struct cc_convert_result *r, const char *file, cc_error_t *err)
{
  cleanup_free char *text = cc_convert_render_stream (r);

  if (file)
    return cc_write_file_atomic (file, text, strlen (text), 0644, err);
  fputs (text, stdout);
  return fflush (stdout) == 0 ? 0 : cc_error_make (err, errno, "write to stdout");
}

static int
write_report (const struct cc_convert_result *r, const char *file, cc_error_t *err)
{
  cleanup_free char *text = cc_convert_report_text (r);
  cleanup_free char *json = NULL;

  fputs (text, stderr);
  if (file == NULL)
    return 0;
  json = cc_convert_report_json (r);
  return cc_write_file_atomic (file, json, strlen (json), 0644, err);
}

int
cli_convert_run (const struct cli_global *g, const struct cli_convert *cv)
{
  cleanup_project struct cc_project *p = NULL;
  cleanup_convert_result struct cc_convert_result *r = NULL;
  cleanup_error cc_error_t err = NULL;
  struct cc_compose_options copts = {
    .files = g->files,
    .project_name = g->project_name,
    .project_directory = g->project_directory,
    .profiles = g->profiles,
    .env_files = g->env_files,
    .services = cv->opts.services,
    /* Keys ccompose cannot run may well convert: the report judges each.  */
    .keep_unsupported = true,
  };

  if (cc_compose_load (&copts, &p, &err) < 0 || cc_convert_kubernetes (p, &cv->opts, &r, &err) < 0
      || write_report (r, cv->report, &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  if (r->counts[CC_CONVERT_DROPPED] > 0 && ! cv->allow_lossy)
    {
      fprintf (stderr,
               "ccompose convert: %zu key(s) would be dropped: nothing written (--allow-lossy writes the manifests "
               "anyway)\n",
               r->counts[CC_CONVERT_DROPPED]);
      return CLI_EXIT_FAILURE;
    }
  if ((cv->dir ? cc_convert_write_dir (r, cv->dir, cv->opts.namespace, &err) : write_stream (r, cv->file, &err)) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  return CLI_EXIT_OK;
}

int
cli_cmd_convert (struct cli_global *g, int argc, char **argv)
{
  struct cli_convert cv = { 0 };
  int ret = parse_options (&cv, argc, argv);

  if (ret >= 0)
    return ret;
  cv.opts.services = optind < argc ? argv + optind : NULL;
  return cli_convert_run (g, &cv);
}
