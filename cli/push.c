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
#include "compose/compose.h"
#include "image/image.h"
#include "lib/cleanup.h"
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

struct push_opts
{
  bool quiet, ignore_failures, include_deps;
};

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

/* `image:` first, then `build.tags`.  */
static char **
service_names (const struct cc_service *svc)
{
  char **v = xzalloc (sizeof (char *));

  cc_strv_append (&v, svc->image);
  for (char *const *t = svc->build->tags; t && *t; t++)
    if (! cc_strv_contains (v, *t))
      cc_strv_append (&v, *t);
  return v;
}

static int
push_service (const struct cc_project *p, const char *name, const struct push_opts *o, char ***done)
{
  const struct cc_service *svc = cc_project_service (p, name);
  cleanup_strv char **refs = NULL;
  int ret = 0;

  if (svc->image == NULL || svc->build == NULL)
    {
      if (! o->quiet)
        fprintf (stderr, " - Service %s: skipped, it has no `build:` with an `image:` to push\n", name);
      return 0;
    }
  refs = service_names (svc);
  for (char **r = refs; *r; r++)
    {
      cleanup_error cc_error_t err = NULL;
      if (cc_strv_contains (*done, *r))
        continue;
      cc_strv_append (done, *r);
      if (cc_image_push (*r, o->quiet, NULL, &err) == 0)
        continue;
      if (o->ignore_failures)
        {
          fprintf (stderr, "ccompose: warning: service %s: %s\n", name, err->msg);
          continue;
        }
      cc_error_wrap (&err, "service %s", name);
      cc_error_print (&err);
      ret = -1;
    }
  return ret;
}

static int
push_project (const struct cli_global *g, char **named, const struct push_opts *o)
{
  cleanup_project struct cc_project *p = NULL;
  cleanup_strv char **services = NULL;
  cleanup_strv char **done = xzalloc (sizeof (char *));
  cc_error_t err = NULL;
  int ret = CLI_EXIT_OK;

  if (cli_load_project (g, named, &p, &err) < 0 || select_services (p, named, o->include_deps, &services, &err) < 0)
    return cli_fail (&err);
  for (char **s = services; *s; s++)
    if (push_service (p, *s, o, &done) < 0)
      ret = CLI_EXIT_FAILURE;
  return ret;
}

int
cli_cmd_push (struct cli_global *g, int argc, char **argv)
{
  struct push_opts o = { 0 };
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
  return push_project (g, named, &o);
}
