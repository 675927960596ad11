/* `ccompose pull`: pull the images of the project's services, as
   `docker compose pull` does.  Services that only have `build:` are
   skipped with a note; an image two services share is pulled once.  */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose pull [OPTIONS] [SERVICE...]\n\n"
      "Pull service images\n\n"
      "Options:\n"
      "      --ignore-buildable       Ignore images that can be built\n"
      "      --ignore-pull-failures   Pull what it can and ignores images with pull failures\n"
      "      --include-deps           Also pull services declared as dependencies\n"
      "      --policy string          Apply pull policy (\"missing\"|\"always\") (default \"always\")\n"
      "  -q, --quiet                  Pull without printing progress information\n"
      "  -h, --help                   Show this help\n";

enum
{
  OPT_IGNORE_FAILURES = 256,
  OPT_IGNORE_BUILDABLE,
  OPT_INCLUDE_DEPS,
  OPT_POLICY,
};

static const struct option options[] = {
  { "ignore-buildable", no_argument, NULL, OPT_IGNORE_BUILDABLE },
  { "ignore-pull-failures", no_argument, NULL, OPT_IGNORE_FAILURES },
  { "include-deps", no_argument, NULL, OPT_INCLUDE_DEPS },
  { "policy", required_argument, NULL, OPT_POLICY },
  { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
cli_cmd_pull (struct cli_global *g, int argc, char **argv)
{
  struct cc_pull_opts o = { .policy = "always", .dry_run = g->dry_run };
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
      case OPT_IGNORE_BUILDABLE:
        o.ignore_buildable = true;
        break;
      case OPT_INCLUDE_DEPS:
        o.include_deps = true;
        break;
      case OPT_POLICY:
        if (strcmp (optarg, "always") != 0 && strcmp (optarg, "missing") != 0)
          return cli_usage_error ("pull", "invalid --policy `%s` (missing, always)", optarg);
        o.policy = optarg;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("pull", "unknown option");
      }
  named = cli_rest (argc, argv);
  if (cli_load_project (g, named, &p, &err) < 0 || cc_engine_pull (p, named, &o, &err) < 0)
    return cli_fail (&err);
  return CLI_EXIT_OK;
}
