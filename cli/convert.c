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
#include "engine/engine.h"
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
      "      --registry string        HOST/PREFIX: build the services with `build:`, push them there\n"
      "                               and name them in the manifests by digest\n"
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

/* Returns -1 to go on, or an exit code.  */
static int
parse_options (struct cc_kube_opts *cv, int argc, char **argv)
{
  int c;

  while ((c = getopt_long (argc, argv, "o:h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_ALLOW_LOSSY:
        cv->allow_lossy = true;
        break;
      case OPT_BIND_MOUNTS:
        if (! cc_engine_kube_bind_mounts_valid (optarg))
          return cli_usage_error ("convert", "invalid --bind-mounts `%s` (error, hostPath, configMap)", optarg);
        cv->bind_mounts = optarg;
        break;
      case OPT_NAMESPACE:
        if (! is_namespace (optarg))
          return cli_usage_error ("convert", "invalid --namespace `%s`: a DNS label ([a-z0-9-], at most 63)", optarg);
        cv->namespace = optarg;
        break;
      case OPT_NETWORK_POLICIES:
        cv->network_policies = true;
        break;
      case 'o':
        cv->dir = strcmp (optarg, "-") == 0 ? NULL : optarg;
        break;
      case OPT_REGISTRY:
        cv->registry = optarg;
        break;
      case OPT_REPORT:
        cv->report = optarg;
        break;
      case OPT_SERVICE_TYPE:
        if (! is_one_of (optarg, service_types, CC_N_ELEMENTS (service_types)))
          return cli_usage_error ("convert", "invalid --service-type `%s` (ClusterIP, NodePort, LoadBalancer)", optarg);
        cv->service_type = optarg;
        break;
      case OPT_STATEFUL:
        cv->stateful = true;
        break;
      case OPT_STORAGE_CLASS:
        cv->storage_class = optarg;
        break;
      case OPT_TO:
        if (strcmp (optarg, "kubernetes") != 0 && strcmp (optarg, "k8s") != 0)
          return cli_usage_error ("convert", "invalid --to `%s` (kubernetes)", optarg);
        break;
      case OPT_VOLUME_SIZE:
        cv->volume_size = optarg;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("convert", "unknown option");
      }
  return -1;
}

int
cli_convert_run (const struct cli_global *g, struct cc_kube_opts *o)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *report = NULL, *stream = NULL;
  struct cc_compose_options load = {
    .files = g->files,
    .project_name = g->project_name,
    .project_directory = g->project_directory,
    .profiles = g->profiles,
    .env_files = g->env_files,
    .no_dotenv = g->no_dotenv,
  };
  int ret = cc_engine_convert (&load, o, &report, &stream, &err);

  if (report)
    fputs (report, stderr);
  if (ret < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  if (ret > 0)
    {
      fprintf (stderr,
               "ccompose convert: %zu key(s) would be dropped: nothing written (--allow-lossy writes the manifests "
               "anyway)\n",
               o->dropped);
      return CLI_EXIT_FAILURE;
    }
  if (stream)
    {
      fputs (stream, stdout);
      if (fflush (stdout) != 0)
        {
          cc_error_make (&err, errno, "write to stdout");
          cc_error_print (&err);
          return CLI_EXIT_FAILURE;
        }
    }
  return CLI_EXIT_OK;
}

int
cli_cmd_convert (struct cli_global *g, int argc, char **argv)
{
  struct cc_kube_opts cv = { 0 };
  int ret = parse_options (&cv, argc, argv);

  if (ret >= 0)
    return ret;
  cv.services = optind < argc ? argv + optind : NULL;
  return cli_convert_run (g, &cv);
}
