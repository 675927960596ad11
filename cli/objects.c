/* What `network` and `volume` share, as `docker network` and `docker
   volume` share it: `inspect` of named objects and the prompt of
   `prune`.  */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/template.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

static int
fail (cc_error_t *err)
{
  cc_error_print (err);
  cc_error_release (err);
  return CLI_EXIT_FAILURE;
}

static void
print_inspect_usage (const char *noun, const char *what)
{
  printf ("Usage: ccompose %s inspect [OPTIONS] %s [%s...]\n\n"
          "Display detailed information on one or more %ss\n\n"
          "Options:\n  -f, --format string   Format output using a custom template ('json' or a Go template)\n",
          noun, what, what, noun);
}

static int
print_inspected (const char *format, const cJSON *all)
{
  cc_error_t err = NULL;

  if (format == NULL || strcmp (format, "json") == 0)
    {
      cleanup_free char *text = cli_json_indent (all);
      puts (text);
      return CLI_EXIT_OK;
    }
  return cli_format_rows (format, all, NULL, 0, NULL, &err) < 0 ? fail (&err) : CLI_EXIT_OK;
}

int
cli_inspect_objects (const char *noun, const char *what, cli_inspect_fn inspect, int argc, char **argv)
{
  static const struct option opts[]
      = { { "format", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  cleanup_cjson cJSON *all = cJSON_CreateArray ();
  cleanup_free char *cmd = xasprintf ("%s inspect", noun);
  const char *format = NULL;
  int ret = CLI_EXIT_OK, c;

  while ((c = getopt_long (argc, argv, "f:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        break;
      case 'h':
        print_inspect_usage (noun, what);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error (cmd, "unknown option");
      }
  if (argc - optind < 1)
    return cli_usage_error (cmd, "requires at least 1 argument");
  /* Docker shows what it found and fails for the rest.  */
  for (int i = optind; i < argc; i++)
    {
      cc_error_t err = NULL;
      cJSON *one = NULL;
      if (inspect (argv[i], &one, &err) < 0)
        ret = fail (&err);
      else
        cJSON_AddItemToArray (all, one);
    }
  return print_inspected (format, all) == CLI_EXIT_OK ? ret : CLI_EXIT_FAILURE;
}

bool
cli_confirm (const char *warning)
{
  char line[16] = "";

  printf ("WARNING! %s\nAre you sure you want to continue? [y/N] ", warning);
  fflush (stdout);
  if (fgets (line, sizeof (line), stdin) == NULL)
    return false;
  return line[0] == 'y' || line[0] == 'Y';
}
