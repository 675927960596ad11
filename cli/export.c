/* `ccompose export`: a service container's filesystem as a tar archive
   (engine/cp.c writes it).  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"

static const char usage[] = "Usage: ccompose export [OPTIONS] SERVICE\n\n"
                            "Export a service container's filesystem as a tar archive\n\n"
                            "Options:\n"
                            "      --index int       index of the container if service has multiple replicas.\n"
                            "  -o, --output string   Write to a file, instead of STDOUT\n"
                            "  -h, --help            Show this help\n";

enum
{
  OPT_INDEX = 256,
};

static int
parse (int argc, char **argv, int *index, const char **output)
{
  static const struct option options[] = {
    { "index", required_argument, NULL, OPT_INDEX },
    { "output", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  char *end;
  int c;

  while ((c = getopt_long (argc, argv, "o:h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_INDEX:
        *index = (int)strtol (optarg, &end, 10);
        if (*end || *optarg == '\0' || *index < 1)
          return cli_usage_error ("export", "invalid --index `%s`", optarg);
        break;
      case 'o':
        if (*optarg == '\0')
          return cli_usage_error ("export", "empty --output");
        *output = optarg;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("export", "unknown option");
      }
  if (argc - optind != 1)
    return cli_usage_error ("export", "requires exactly 1 argument: SERVICE");
  return -1;
}

int
cli_cmd_export (struct cli_global *g, int argc, char **argv)
{
  struct cli_target t = { 0 };
  cleanup_free char *name = NULL;
  const char *output = NULL, *service;
  cc_error_t err = NULL;
  int index = 1;
  int ret = parse (argc, argv, &index, &output);

  if (ret >= 0)
    return ret;
  service = argv[optind];
  /* Docker's refusal: a tar stream is no text for a terminal.  */
  if (output == NULL && isatty (STDOUT_FILENO))
    {
      fputs ("ccompose: output is a terminal: use -o or redirect the output\n", stderr);
      return CLI_EXIT_FAILURE;
    }
  if (cli_target_open (g, (char *[]){ (char *)service, NULL }, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  name = cc_engine_recorded_container_name (t.st ? t.st->json : NULL, t.name, service, index);
  cli_target_release (&t);
  if (g->dry_run)
    {
      fprintf (stderr, " \u2714 DRY-RUN MODE -  Container %s  Would export to %s\n", name, output ?: "stdout");
      return CLI_EXIT_OK;
    }
  if (cc_engine_export (name, output, &err) < 0)
    return cli_fail (&err);
  return CLI_EXIT_OK;
}
