/* `ccompose config`: parse, resolve and print the normalized model, as
   `docker compose config` does.  */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose config [OPTIONS] [SERVICE...]\n\n"
      "Parse, resolve and render the compose file in canonical format\n\n"
      "Options:\n"
      "      --environment             Print environment used for interpolation\n"
      "      --format string           Format the output: yaml, json or kubernetes (as `ccompose convert`)\n"
      "                                (default \"yaml\"; --variables: a table)\n"
      "      --hash string             Print the service config hash, one per line (SERVICE[,SERVICE...] or \"*\")\n"
      "      --images                  Print the image names, one per line\n"
      "      --networks                Print the network names, one per line\n"
      "      --no-consistency          Don't check model consistency - warning: may produce invalid Compose output\n"
      "      --no-interpolate          Don't interpolate environment variables\n"
      "      --no-normalize            Don't normalize compose model\n"
      "      --no-path-resolution      Don't resolve file paths\n"
      "  -o, --output string           Save to file (default to stdout)\n"
      "      --profiles                Print the profile names, one per line\n"
      "  -q, --quiet                   Only validate the configuration, don't print anything\n"
      "      --resolve-image-digests   Pin image tags to digests (from ccompose's image store)\n"
      "      --services                Print the service names, one per line\n"
      "      --variables               Print model variables and default values\n"
      "      --volumes                 Print the volume names, one per line\n"
      "  -h, --help                    Show this help\n";

struct config_opts
{
  struct cc_config_opts view;
  bool kubernetes;
  bool quiet;
  bool no_normalize, no_path_resolution, no_consistency;
  const char *output;
};

enum
{
  OPT_FORMAT = 256,
  OPT_HASH,
  OPT_IMAGES,
  OPT_NO_INTERPOLATE,
  OPT_PROFILES,
  OPT_SERVICES,
  OPT_VOLUMES,
  OPT_NETWORKS,
  OPT_VARIABLES,
  OPT_ENVIRONMENT,
  OPT_NO_NORMALIZE,
  OPT_NO_PATH_RESOLUTION,
  OPT_NO_CONSISTENCY,
  OPT_RESOLVE_IMAGE_DIGESTS,
};

static const struct option options[] = {
  { "environment", no_argument, NULL, OPT_ENVIRONMENT },
  { "format", required_argument, NULL, OPT_FORMAT },
  { "networks", no_argument, NULL, OPT_NETWORKS },
  { "no-consistency", no_argument, NULL, OPT_NO_CONSISTENCY },
  { "no-normalize", no_argument, NULL, OPT_NO_NORMALIZE },
  { "no-path-resolution", no_argument, NULL, OPT_NO_PATH_RESOLUTION },
  { "resolve-image-digests", no_argument, NULL, OPT_RESOLVE_IMAGE_DIGESTS },
  { "variables", no_argument, NULL, OPT_VARIABLES },
  { "hash", required_argument, NULL, OPT_HASH },
  { "images", no_argument, NULL, OPT_IMAGES },
  { "no-interpolate", no_argument, NULL, OPT_NO_INTERPOLATE },
  { "output", required_argument, NULL, 'o' },
  { "profiles", no_argument, NULL, OPT_PROFILES },
  { "quiet", no_argument, NULL, 'q' },
  { "services", no_argument, NULL, OPT_SERVICES },
  { "volumes", no_argument, NULL, OPT_VOLUMES },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* The flags that pick one list instead of the model.  */
static const struct
{
  int opt;
  enum cc_config_view what;
} views[] = {
  { OPT_IMAGES, CC_CONFIG_IMAGES },           { OPT_PROFILES, CC_CONFIG_PROFILES },
  { OPT_SERVICES, CC_CONFIG_SERVICES },       { OPT_VOLUMES, CC_CONFIG_VOLUMES },
  { OPT_NETWORKS, CC_CONFIG_NETWORKS },       { OPT_VARIABLES, CC_CONFIG_VARIABLES },
  { OPT_ENVIRONMENT, CC_CONFIG_ENVIRONMENT },
};

/* The model-shaping flags: where each one's bool lives.  */
static bool *
model_flag (struct config_opts *o, int opt)
{
  switch (opt)
    {
    case OPT_NO_INTERPOLATE:
      return &o->view.no_interpolate;
    case OPT_NO_NORMALIZE:
      return &o->no_normalize;
    case OPT_NO_PATH_RESOLUTION:
      return &o->no_path_resolution;
    case OPT_NO_CONSISTENCY:
      return &o->no_consistency;
    case OPT_RESOLVE_IMAGE_DIGESTS:
      return &o->view.resolve_image_digests;
    case 'q':
      return &o->quiet;
    default:
      return NULL;
    }
}

static bool
set_view (struct config_opts *o, int opt)
{
  for (size_t i = 0; i < sizeof (views) / sizeof (views[0]); i++)
    if (views[i].opt == opt)
      {
        o->view.what = views[i].what;
        return true;
      }
  return false;
}

/* Returns -1 to go on, or an exit code.  */
static int
parse_options (struct config_opts *o, int argc, char **argv)
{
  int c;

  while ((c = getopt_long (argc, argv, "o:qh", options, NULL)) != -1)
    {
      bool *flag = model_flag (o, c);
      if (flag)
        {
          *flag = true;
          continue;
        }
      if (set_view (o, c))
        continue;
      switch (c)
        {
        case OPT_FORMAT:
          if (strcmp (optarg, "json") != 0 && strcmp (optarg, "yaml") != 0 && strcmp (optarg, "kubernetes") != 0)
            return cli_usage_error ("config", "invalid --format `%s` (yaml, json, kubernetes)", optarg);
          o->view.json = strcmp (optarg, "json") == 0;
          o->view.format = optarg;
          o->kubernetes = strcmp (optarg, "kubernetes") == 0;
          break;
        case OPT_HASH:
          o->view.what = CC_CONFIG_HASH;
          o->view.hash = optarg;
          break;
        case 'o':
          o->output = optarg;
          break;
        case 'h':
          fputs (usage, stdout);
          return CLI_EXIT_OK;
        default:
          return cli_usage_error ("config", "unknown option");
        }
    }
  return -1;
}

static int
emit (const struct config_opts *o, const char *text, cc_error_t *err)
{
  if (o->quiet)
    return 0;
  if (o->output)
    return cc_write_file_atomic (o->output, text, strlen (text), 0644, err);
  fputs (text, stdout);
  return fflush (stdout) == 0 ? 0 : cc_error_make (err, errno, "write to stdout");
}

/* --format kubernetes: the manifests of `ccompose convert` with its
   defaults, as one stream.  */
static int
convert (const struct cli_global *g, const struct config_opts *o, char **services)
{
  struct cc_kube_opts cv = { .file = o->output, .services = services };

  return cli_convert_run (g, &cv);
}

int
cli_cmd_config (struct cli_global *g, int argc, char **argv)
{
  struct config_opts o = { 0 };
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *text = NULL;
  cleanup_strv char **all_profiles = NULL;
  struct cc_compose_options copts = { 0 };
  int ret = parse_options (&o, argc, argv);

  if (ret >= 0)
    return ret;
  if (o.kubernetes && o.view.what == CC_CONFIG_MODEL && ! o.quiet)
    return convert (g, &o, optind < argc ? argv + optind : NULL);
  copts.files = g->files;
  copts.project_name = g->project_name;
  copts.project_directory = g->project_directory;
  copts.profiles = g->profiles;
  copts.env_files = g->env_files;
  copts.no_dotenv = g->no_dotenv;
  copts.services = optind < argc ? argv + optind : NULL;
  copts.no_interpolate = o.view.no_interpolate;
  copts.no_normalize = o.no_normalize;
  copts.no_path_resolution = o.no_path_resolution;
  copts.no_consistency = o.no_consistency;
  copts.ignore_unsupported = g->ignore_unsupported;
  /* As `docker compose config`: every valid key printed; the commands that
     would need a key ccompose cannot honour refuse it (issue 15).  */
  copts.keep_unsupported = true;
  /* --profiles lists every profile, enabled or not.  */
  if (o.view.what == CC_CONFIG_PROFILES)
    {
      cc_strv_append (&all_profiles, "*");
      copts.profiles = all_profiles;
    }
  if (cc_engine_config (&copts, &o.view, &text, &err) < 0 || emit (&o, text, &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  return CLI_EXIT_OK;
}
