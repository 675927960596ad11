/* `ccompose scale SERVICE=N...`: Docker Compose's scale, an `up -d` of
   the named services at the given numbers of replicas.  Behind a
   published port the new replicas join its balancer once ready, and the
   ones above the number leave it before they stop (issue 16).  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[] = "Usage: ccompose scale [OPTIONS] [SERVICE=REPLICAS...]\n\n"
                            "Scale services\n\n"
                            "Options:\n"
                            "      --no-deps   Don't start linked services\n"
                            "  -h, --help      Show this help\n";

enum
{
  OPT_NO_DEPS = 256,
};

/* SERVICE=N with 0 <= N <= 1000, as up's --scale takes it.  */
static char *
service_of (const char *arg)
{
  const char *eq = strchr (arg, '=');
  char *end;
  long n;

  if (eq == NULL || eq == arg || eq[1] == '\0')
    return NULL;
  n = strtol (eq + 1, &end, 10);
  if (*end != '\0' || n < 0 || n > 1000)
    return NULL;
  return xstrndup (arg, (size_t)(eq - arg));
}

int
cli_cmd_scale (struct cli_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "no-deps", no_argument, NULL, OPT_NO_DEPS },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct cc_up_opts up = { .timeout_ms = -1, .wait_timeout_ms = -1, .parallel = g->parallel };
  cleanup_project struct cc_project *p = NULL;
  cleanup_strv char **services = xzalloc (sizeof (char *)), **scale = xzalloc (sizeof (char *));
  cc_error_t err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "+h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      case OPT_NO_DEPS:
        up.no_deps = true;
        break;
      default:
        return cli_usage_error ("scale", "unknown option");
      }
  if (optind >= argc)
    return cli_usage_error ("scale", "requires at least 1 argument (SERVICE=REPLICAS)");
  for (int i = optind; i < argc; i++)
    {
      char *svc = service_of (argv[i]);
      if (svc == NULL)
        return cli_usage_error ("scale", "invalid argument `%s` (SERVICE=REPLICAS, 0 to 1000)", argv[i]);
      cc_strv_push (&services, svc);
      cc_strv_append (&scale, argv[i]);
    }
  up.services = services;
  up.scale = scale;
  up.dry_run = g->dry_run;
  if (cli_load_project (g, services, &p, &err) < 0 || cc_engine_up (p, &up, &err) < 0)
    {
      cc_strv_free (up.started);
      return cli_fail (&err);
    }
  cc_strv_free (up.started);
  return CLI_EXIT_OK;
}
