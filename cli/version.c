#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] = "Usage: ccompose version [OPTIONS]\n\n"
                            "Show the ccompose version information\n\n"
                            "Options:\n"
                            "  -f, --format string   Format the output. Values: [pretty | json] (default \"pretty\")\n"
                            "      --short           Shows only ccompose's version number\n";

int
cli_cmd_version (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "short", no_argument, NULL, 's' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = "pretty";
  int c, shortv = 0;

  (void)g;
  while ((c = getopt_long (argc, argv, "f:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        break;
      case 's':
        shortv = 1;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("version", "unknown option");
      }
  if (optind < argc)
    return cli_usage_error ("version", "unexpected argument `%s`", argv[optind]);
  if (shortv)
    printf ("%s\n", CC_VERSION);
  else if (strcmp (format, "json") == 0)
    printf ("{\"version\":\"v%s\"}\n", CC_VERSION);
  else if (strcmp (format, "pretty") == 0)
    printf ("ccompose version v%s\n", CC_VERSION);
  else
    return cli_usage_error ("version", "invalid format `%s` (pretty, json)", format);
  return CLI_EXIT_OK;
}
