/* `ccompose build [SERVICE...]`: build the images of the services that
   have a `build:` section, as `docker compose build` does.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"

static const char usage[]
    = "Usage: ccompose build [OPTIONS] [SERVICE...]\n\n"
      "Build or rebuild services\n\n"
      "Options:\n"
      "      --build-arg stringArray   Set build-time variables for services\n"
      "      --no-cache                Do not use cache when building the image\n"
      "      --progress string         Type of progress output: auto, plain, tty, quiet (default auto)\n"
      "      --pull                    Always attempt to pull a newer version of the image\n"
      "  -q, --quiet                   Don't print anything to STDOUT\n"
      "      --with-dependencies       Also build dependencies (transitively)\n"
      "  -h, --help                    Show this help\n";

enum
{
  OPT_BUILD_ARG = 256,
  OPT_NO_CACHE,
  OPT_PROGRESS,
  OPT_PULL,
  OPT_WITH_DEPS,
};

static const struct option options[] = {
  { "build-arg", required_argument, NULL, OPT_BUILD_ARG },
  { "no-cache", no_argument, NULL, OPT_NO_CACHE },
  { "progress", required_argument, NULL, OPT_PROGRESS },
  { "pull", no_argument, NULL, OPT_PULL },
  { "quiet", no_argument, NULL, 'q' },
  { "with-dependencies", no_argument, NULL, OPT_WITH_DEPS },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static const char *const progress_modes[] = { "auto", "plain", "tty", "quiet" };

static bool
is_progress_mode (const char *s)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (progress_modes); i++)
    if (strcmp (s, progress_modes[i]) == 0)
      return true;
  return false;
}

/* Returns -1 to go on, or an exit code.  */
static int
parse (struct cc_engine_build_opts *o, char ***build_args, int argc, char **argv)
{
  int c;

  while ((c = getopt_long (argc, argv, "qh", options, NULL)) != -1)
    switch (c)
      {
      case OPT_BUILD_ARG:
        cc_strv_append (build_args, optarg);
        break;
      case OPT_NO_CACHE:
        o->no_cache = true;
        break;
      case OPT_PROGRESS:
        if (! is_progress_mode (optarg))
          return cli_usage_error ("build", "--progress: want auto, plain, tty or quiet, not `%s`", optarg);
        o->progress = optarg;
        break;
      case OPT_PULL:
        o->pull = true;
        break;
      case 'q':
        o->quiet = true;
        break;
      case OPT_WITH_DEPS:
        o->with_dependencies = true;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("build", "unknown option");
      }
  return -1;
}

int
cli_cmd_build (struct cli_global *g, int argc, char **argv)
{
  struct cc_engine_build_opts o = { .dry_run = g->dry_run };
  cleanup_project struct cc_project *p = NULL;
  cleanup_strv char **services = NULL, **build_args = NULL;
  cc_error_t err = NULL;
  const char *limit = getenv ("COMPOSE_PARALLEL_LIMIT");
  int ret = parse (&o, &build_args, argc, argv);

  if (ret >= 0)
    return ret;
  services = cli_rest (argc, argv);
  o.services = *services ? services : NULL;
  o.build_args = build_args;
  o.parallel = limit ? atoi (limit) : 0;
  /* The global --progress when build has none; the builder has no JSON.  */
  if (o.progress == NULL && g->progress)
    o.progress = strcmp (g->progress, "json") == 0 ? "plain" : g->progress;
  if (o.progress && strcmp (o.progress, "quiet") == 0)
    o.quiet = true;
  if (cli_load_project (g, services, &p, &err) < 0 || cc_engine_build (p, &o, &err) < 0)
    return cli_fail (&err);
  return CLI_EXIT_OK;
}
