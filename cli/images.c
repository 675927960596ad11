/* `ccompose images`: the images the project's containers use.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "cli/table.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[] = "Usage: ccompose images [OPTIONS] [SERVICE...]\n\n"
                            "List images used by the created containers\n\n"
                            "Options:\n"
                            "      --format string   Format the output: table or json (default \"table\")\n"
                            "  -q, --quiet           Only display IDs\n"
                            "  -h, --help            Show this help\n";

static const struct option options[] = {
  { "format", required_argument, NULL, 'F' },
  { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static char *
human_size (const cJSON *row)
{
  int64_t bytes = cc_json_get_int (row, "Size", 0);

  if (bytes >= 1000 * 1000 * 1000)
    return xasprintf ("%.3gGB", (double)bytes / 1e9);
  if (bytes >= 1000 * 1000)
    return xasprintf ("%.3gMB", (double)bytes / 1e6);
  return xasprintf ("%.3gkB", (double)bytes / 1e3);
}

/* The digest's hex, of which the table shows the start, as Docker.  */
static char *
image_hex (const cJSON *row)
{
  const char *id = cc_json_get_string (row, "ID");

  return xstrdup (strncmp (id, "sha256:", 7) == 0 ? id + 7 : id);
}

/* -q prints the IMAGE ID column alone.  */
static const struct cli_column columns[] = {
  { "CONTAINER", 28, 0, "ContainerName", NULL },
  { "REPOSITORY", 24, 0, "Repository", NULL },
  { "TAG", 10, 0, "Tag", NULL },
  { "IMAGE ID", 14, 12, NULL, image_hex },
  { "SIZE", 0, 0, NULL, human_size },
};

int
cli_cmd_images (struct cli_global *g, int argc, char **argv)
{
  struct cli_target t = { 0 };
  cleanup_strv char **services = NULL;
  cleanup_cjson cJSON *rows = cJSON_CreateArray ();
  cc_error_t err = NULL;
  bool quiet = false, json = false;
  int c;

  while ((c = getopt_long (argc, argv, "qh", options, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'F':
        if (cli_table_format ("images", optarg, &json) != 0)
          return CLI_EXIT_USAGE;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("images", "unknown option");
      }
  services = cli_rest (argc, argv);
  if (cli_target_open (g, services, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  for (char **n = t.containers; *n; n++)
    {
      const cJSON *e = cJSON_GetObjectItemCaseSensitive (cc_state_section (t.st, "containers"), *n);
      const char *image = cc_json_get_string (e, "image"), *id = cc_json_get_string (e, "image_id");
      cleanup_free char *repo = xstrdup (image ? image : ""), *tag = NULL;
      char *colon = strrchr (repo, ':');
      cJSON *row = cJSON_CreateObject ();
      if (colon && ! strchr (colon, '/'))
        {
          tag = xstrdup (colon + 1);
          *colon = '\0';
        }
      cc_json_set_string (row, "ContainerName", *n);
      cc_json_set_string (row, "Repository", repo);
      cc_json_set_string (row, "Tag", tag ? tag : "latest");
      cc_json_set_string (row, "ID", id ? id : "");
      cc_json_set_int (row, "Size", id ? cc_engine_image_size (id) : 0);
      cJSON_AddItemToArray (rows, row);
    }
  cli_target_release (&t);
  cli_table_print (rows, columns, CC_N_ELEMENTS (columns), json, quiet ? &columns[3] : NULL);
  return CLI_EXIT_OK;
}
