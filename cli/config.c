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
      "      --format string     Format the output: yaml, json or kubernetes (as `ccompose convert`)\n"
      "                          (default \"yaml\")\n"
      "      --hash string       Print the service config hash, one per line (SERVICE[,SERVICE...] or \"*\")\n"
      "      --images            Print the image names, one per line\n"
      "      --no-interpolate    Don't interpolate environment variables\n"
      "  -o, --output string     Save to file (default to stdout)\n"
      "      --profiles          Print the profile names, one per line\n"
      "  -q, --quiet             Only validate the configuration, don't print anything\n"
      "      --services          Print the service names, one per line\n"
      "      --volumes           Print the volume names, one per line\n"
      "  -h, --help              Show this help\n";

struct config_opts
{
  struct cc_config_opts view;
  bool kubernetes;
  bool quiet;
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
};

static const struct option options[] = {
  { "format", required_argument, NULL, OPT_FORMAT },
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

/* Returns -1 to go on, or an exit code.  */
static int
parse_options (struct config_opts *o, int argc, char **argv)
{
  int c;

  while ((c = getopt_long (argc, argv, "o:qh", options, NULL)) != -1)
    switch (c)
      {
      case OPT_FORMAT:
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "yaml") != 0 && strcmp (optarg, "kubernetes") != 0)
          return cli_usage_error ("config", "invalid --format `%s` (yaml, json, kubernetes)", optarg);
        o->view.json = strcmp (optarg, "json") == 0;
        o->kubernetes = strcmp (optarg, "kubernetes") == 0;
        break;
      case OPT_HASH:
        o->view.what = CC_CONFIG_HASH;
        o->view.hash = optarg;
        break;
      case OPT_IMAGES:
        o->view.what = CC_CONFIG_IMAGES;
        break;
      case OPT_NO_INTERPOLATE:
        o->view.no_interpolate = true;
        break;
      case 'o':
        o->output = optarg;
        break;
      case OPT_PROFILES:
        o->view.what = CC_CONFIG_PROFILES;
        break;
      case 'q':
        o->quiet = true;
        break;
      case OPT_SERVICES:
        o->view.what = CC_CONFIG_SERVICES;
        break;
      case OPT_VOLUMES:
        o->view.what = CC_CONFIG_VOLUMES;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("config", "unknown option");
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
