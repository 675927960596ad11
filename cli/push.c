/* `ccompose push`: push the images of the project's services, as
   `docker compose push` does: a service is pushed when it has both
   `build:` and `image:` (the name its build gets), under `image:` and
   each of its `build.tags`; others are skipped with a note.  A name two
   services share is pushed once.  */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[] = "Usage: ccompose push [OPTIONS] [SERVICE...]\n\n"
                            "Push service images\n\n"
                            "Options:\n"
                            "      --ignore-push-failures   Push what it can and ignores images with push failures\n"
                            "      --include-deps           Also push images of services declared as dependencies\n"
                            "  -q, --quiet                  Push without printing progress information\n"
                            "  -h, --help                   Show this help\n";

enum
{
  OPT_IGNORE_FAILURES = 256,
  OPT_INCLUDE_DEPS,
};

static const struct option options[] = {
  { "ignore-push-failures", no_argument, NULL, OPT_IGNORE_FAILURES },
  { "include-deps", no_argument, NULL, OPT_INCLUDE_DEPS },
  { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
cli_cmd_push (struct cli_global *g, int argc, char **argv)
{
  struct cc_pull_opts o = { .dry_run = g->dry_run };
  cleanup_strv char **named = NULL;
  cleanup_project struct cc_project *p = NULL;
  cc_error_t err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "qh", options, NULL)) != -1)
    switch (c)
      {
      case 'q':
        o.quiet = true;
        break;
      case OPT_IGNORE_FAILURES:
        o.ignore_failures = true;
        break;
      case OPT_INCLUDE_DEPS:
        o.include_deps = true;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("push", "unknown option");
      }
  named = cli_rest (argc, argv);
  if (cli_load_project (g, named, &p, &err) < 0 || cc_engine_push (p, named, &o, &err) < 0)
    return cli_fail (&err);
  return CLI_EXIT_OK;
}
