/* `ccompose volumes [SERVICE...]`: Docker Compose's list of a project's
   volumes, or of those its services' containers use, in `docker volume
   ls`'s columns.  */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"

static const char usage[]
    = "Usage: ccompose volumes [OPTIONS] [SERVICE...]\n\n"
      "List volumes\n\n"
      "Options:\n"
      "      --format string   Format output using a custom template:\n"
      "                        'table': Print output in table format with column headers (default)\n"
      "                        'table TEMPLATE': Print output in table format using the given Go template\n"
      "                        'json': Print in JSON format\n"
      "                        'TEMPLATE': Print output using the given Go template\n"
      "  -q, --quiet           Only display volume names\n";

static const struct option options[] = {
  { "format", required_argument, NULL, 'F' },
  { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
cli_cmd_volumes (struct cli_global *g, int argc, char **argv)
{
  cleanup_project struct cc_project *p = NULL;
  cleanup_free char *name = NULL;
  cleanup_strv char **services = NULL;
  cleanup_cjson cJSON *volumes = NULL;
  const char *format = "table";
  bool quiet = false;
  cc_error_t err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "qh", options, NULL)) != -1)
    switch (c)
      {
      case 'F':
        format = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("volumes", "unknown option");
      }
  services = cli_rest (argc, argv);
  if (cli_project_name (g, &p, &name, &err) < 0)
    return cli_fail (&err);
  for (char **s = services; p && *s; s++)
    if (cc_project_service (p, *s) == NULL)
      {
        fprintf (stderr, "ccompose: no such service: %s\n", *s);
        return CLI_EXIT_FAILURE;
      }
  if (cc_engine_project_volumes (name, services, &volumes, &err) < 0)
    return cli_fail (&err);
  return cli_print_volumes (volumes, format, quiet);
}
