/* `ccompose pull`: pull the images of the project's services, as
   `docker compose pull` does.  Services that only have `build:` are
   skipped with a note; an image two services share is pulled once.  */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "compose/compose.h"
#include "image/image.h"
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

struct pull_opts
{
  bool quiet, ignore_failures, include_deps, ignore_buildable;
  const char *policy; /* always, missing */
};

/* The services to pull: those named (plus their dependencies with
   --include-deps), or all.  */
static int
select_services (const struct cc_project *p, char **named, bool include_deps, char ***out, cc_error_t *err)
{
  if (named[0] == NULL)
    {
      *out = cc_project_service_names (p);
      return 0;
    }
  if (include_deps)
    return cc_compose_select (p, named, out, err);
  for (char **n = named; *n; n++)
    if (cc_project_service (p, *n) == NULL)
      return cc_error_make (err, 0, "no such service: %s", *n);
  *out = cc_strv_dup (named);
  return 0;
}

static int
pull_image (const char *image, const struct pull_opts *o, cc_error_t *err)
{
  cleanup_image struct cc_image *img = NULL;

  return cc_image_ensure (image, o->policy, o->quiet, &img, err);
}

static int
pull_service (const struct cc_project *p, const char *name, const struct pull_opts *o, char ***done)
{
  const struct cc_service *svc = cc_project_service (p, name);
  const char *image = svc->image;
  bool buildable = svc->build != NULL;
  cleanup_error cc_error_t err = NULL;

  if (buildable && o->ignore_buildable)
    return 0;
  if (image == NULL)
    {
      if (! o->quiet)
        fprintf (stderr, " - Service %s: skipped, it has no `image:` (only `build:`)\n", name);
      return 0;
    }
  if (cc_strv_contains (*done, image))
    return 0;
  cc_strv_append (done, image);
  if (pull_image (image, o, &err) == 0)
    return 0;
  /* Docker Compose: an image that can be built is not a pull failure.  */
  if (buildable || o->ignore_failures)
    {
      fprintf (stderr, "ccompose: warning: service %s: %s\n", name, err->msg);
      return 0;
    }
  cc_error_wrap (&err, "service %s", name);
  cc_error_print (&err);
  return -1;
}

static int
pull_project (const struct cli_global *g, char **named, const struct pull_opts *o)
{
  cleanup_project struct cc_project *p = NULL;
  cleanup_strv char **services = NULL;
  cleanup_strv char **done = xzalloc (sizeof (char *));
  cc_error_t err = NULL;
  int ret = CLI_EXIT_OK;

  if (cli_load_project (g, named, &p, &err) < 0 || select_services (p, named, o->include_deps, &services, &err) < 0)
    return cli_fail (&err);
  for (char **s = services; *s; s++)
    if (pull_service (p, *s, o, &done) < 0)
      ret = CLI_EXIT_FAILURE;
  return ret;
}

int
cli_cmd_pull (struct cli_global *g, int argc, char **argv)
{
  struct pull_opts o = { .policy = "always" };
  cleanup_strv char **named = NULL;
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
  return pull_project (g, named, &o);
}
