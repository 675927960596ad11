/* `ccompose volume create|ls|inspect|rm|prune`: Docker's `docker volume`
   flags and output, for the volumes a compose file declares external and
   those ccompose made.  Thin: parse, call the engine, print.  */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/template.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[] = "Usage: ccompose volume COMMAND\n\n"
                            "Manage volumes\n\n"
                            "Commands:\n"
                            "  create      Create a volume\n"
                            "  inspect     Display detailed information on one or more volumes\n"
                            "  ls          List volumes\n"
                            "  prune       Remove unused local volumes\n"
                            "  rm          Remove one or more volumes\n";

static int
fail (cc_error_t *err)
{
  cc_error_print (err);
  cc_error_release (err);
  return CLI_EXIT_FAILURE;
}

static bool
wants_help (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0)
      return true;
  return false;
}

/* ---- create ------------------------------------------------------------------ */

static const char create_usage[] = "Usage: ccompose volume create [OPTIONS] [VOLUME]\n\n"
                                   "Create a volume\n\n"
                                   "Options:\n"
                                   "  -d, --driver string   Specify volume driver name (default \"local\")\n"
                                   "      --label list      Set metadata for a volume\n"
                                   "  -o, --opt map         Set driver specific options (type, o, device)\n";

static int
cmd_create (int argc, char **argv)
{
  static const struct option opts[] = {
    { "driver", required_argument, NULL, 'd' }, { "label", required_argument, NULL, 'l' },
    { "opt", required_argument, NULL, 'o' },    { "name", required_argument, NULL, 'n' },
    { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
  };
  cleanup_strv char **labels = xzalloc (sizeof (char *)), **options = xzalloc (sizeof (char *));
  cleanup_free char *name = NULL;
  struct cc_engine_volume_opts o = { .driver = "local" };
  cc_error_t err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "d:o:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'd':
        o.driver = optarg;
        break;
      case 'l':
        cc_strv_append (&labels, optarg);
        break;
      case 'o':
        if (strchr (optarg, '=') == NULL)
          return cli_usage_error ("volume create", "invalid --opt `%s` (KEY=VALUE)", optarg);
        cc_strv_append (&options, optarg);
        break;
      case 'n':
        o.name = optarg;
        break;
      case 'h':
        fputs (create_usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("volume create", "unknown option");
      }
  if (argc - optind > 1)
    return cli_usage_error ("volume create", "at most one VOLUME");
  if (argc - optind == 1)
    {
      if (o.name && strcmp (o.name, argv[optind]) != 0)
        return cli_usage_error ("volume create", "conflicting options: either specify --name or provide a volume name");
      o.name = argv[optind];
    }
  o.labels = labels;
  o.options = options;
  if (cc_engine_volume_create (&o, &name, &err) < 0)
    return fail (&err);
  puts (name);
  return CLI_EXIT_OK;
}

/* ---- ls ------------------------------------------------------------------------ */

static const char ls_usage[]
    = "Usage: ccompose volume ls [OPTIONS]\n\n"
      "List volumes\n\n"
      "Aliases:\n  ls, list\n\n"
      "Options:\n"
      "  -f, --filter filter   Provide filter values (e.g. \"dangling=true\"; name, driver, label)\n"
      "      --format string   Format output using a custom template:\n"
      "                        'table': Print output in table format with column headers (default)\n"
      "                        'table TEMPLATE': Print output in table format using the given Go template\n"
      "                        'json': Print in JSON format\n"
      "                        'TEMPLATE': Print output using the given Go template\n"
      "  -q, --quiet           Only display volume names\n";

/* The columns of Docker's volume formatter.  */
static const struct cli_header volume_headers[] = {
  { "Name", "VOLUME NAME" }, { "Driver", "DRIVER" },
  { "Scope", "SCOPE" },      { "Mountpoint", "MOUNTPOINT" },
  { "Labels", "LABELS" },    { "Links", "LINKS" },
  { "Size", "SIZE" },        { "Group", "GROUP" },
  { "Status", "STATUS" },    { "Availability", "AVAILABILITY" },
};

char *
cli_joined_labels (const cJSON *labels)
{
  cleanup_strv char **v = NULL;

  for (const cJSON *l = cJSON_IsObject (labels) ? labels->child : NULL; l; l = l->next)
    cc_strv_push (&v, xasprintf ("%s=%s", l->string, cJSON_IsString (l) ? l->valuestring : ""));
  return cc_strv_join (v ? v : (char *[]){ NULL }, ",");
}

/* A row as Docker's volume formatter shows it: Labels as one string,
   what a local volume has no value for as N/A.  */
static cJSON *
volume_row (const cJSON *v)
{
  static const char *const na[] = { "Availability", "Group", "Links", "Size", "Status" };
  cleanup_free char *labels = cli_joined_labels (cJSON_GetObjectItemCaseSensitive (v, "Labels"));
  cJSON *row = cJSON_CreateObject ();

  for (size_t i = 0; i < CC_N_ELEMENTS (na); i++)
    cc_json_set_string (row, na[i], "N/A");
  cc_json_set_string (row, "Driver", cc_json_get_string (v, "Driver"));
  cc_json_set_string (row, "Labels", labels);
  cc_json_set_string (row, "Mountpoint", cc_json_get_string (v, "Mountpoint"));
  cc_json_set_string (row, "Name", cc_json_get_string (v, "Name"));
  cc_json_set_string (row, "Scope", cc_json_get_string (v, "Scope"));
  cc_json_sort_keys (row);
  return row;
}

/* Print VOLUMES (inspect objects) as `docker volume ls` does.  */
int
cli_print_volumes (const cJSON *volumes, const char *format, bool quiet)
{
  cleanup_cjson cJSON *rows = cJSON_CreateArray ();
  cleanup_cjson cJSON *labels = cJSON_CreateArray ();
  cc_error_t err = NULL;

  if (quiet && strcmp (format, "json") != 0)
    format = "{{.Name}}";
  else if (strcmp (format, "table") == 0)
    format = "table {{.Driver}}\t{{.Name}}";
  /* {{.Labels}} is one string, {{.Label "k"}} looks in the labels.  */
  for (const cJSON *v = volumes->child; v; v = v->next)
    {
      cJSON_AddItemToArray (rows, volume_row (v));
      cJSON_AddItemToArray (labels, cJSON_Duplicate (cJSON_GetObjectItemCaseSensitive (v, "Labels"), true));
    }
  if (cli_format_rows (format, rows, volume_headers, CC_N_ELEMENTS (volume_headers), labels, &err) < 0)
    return fail (&err);
  return CLI_EXIT_OK;
}

static int
cmd_ls (int argc, char **argv)
{
  static const struct option opts[] = {
    { "filter", required_argument, NULL, 'f' },
    { "format", required_argument, NULL, 'F' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_strv char **filters = xzalloc (sizeof (char *));
  cleanup_cjson cJSON *volumes = NULL;
  const char *format = "table";
  bool quiet = false;
  cc_error_t err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "f:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        cc_strv_append (&filters, optarg);
        break;
      case 'F':
        format = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        fputs (ls_usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("volume ls", "unknown option");
      }
  if (argc - optind > 0)
    return cli_usage_error ("volume ls", "accepts no arguments");
  if (cc_engine_volume_list (filters, &volumes, &err) < 0)
    return fail (&err);
  return cli_print_volumes (volumes, format, quiet);
}

/* ---- inspect -------------------------------------------------------------------- */

static int
cmd_inspect (int argc, char **argv)
{
  return cli_inspect_objects ("volume", "VOLUME", cc_engine_volume_inspect, argc, argv);
}

/* ---- rm, prune ------------------------------------------------------------------- */

static int
cmd_rm (int argc, char **argv)
{
  bool force = false;
  int ret = CLI_EXIT_OK, names = 0;

  if (wants_help (argc, argv))
    {
      puts ("Usage: ccompose volume rm [OPTIONS] VOLUME [VOLUME...]\n\n"
            "Remove one or more volumes. You cannot remove a volume that is in use by a container.\n\n"
            "Aliases:\n  rm, remove\n\n"
            "Options:\n  -f, --force   Force the removal of one or more volumes");
      return CLI_EXIT_OK;
    }
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "-f") == 0 || strcmp (argv[i], "--force") == 0)
      force = true;
    else if (argv[i][0] == '-')
      return cli_usage_error ("volume rm", "unknown option `%s`", argv[i]);
    else
      names++;
  if (names == 0)
    return cli_usage_error ("volume rm", "requires at least 1 argument");
  for (int i = 1; i < argc; i++)
    {
      cc_error_t err = NULL;
      if (argv[i][0] == '-')
        continue;
      if (cc_engine_volume_remove (argv[i], force, &err) == 0)
        {
          puts (argv[i]);
          continue;
        }
      /* --force: a missing volume is no error, as in Docker.  */
      if (force && err->status == ENOENT)
        cc_error_release (&err);
      else
        ret = fail (&err);
    }
  return ret;
}

/* go-units' HumanSize: decimal units, four significant digits.  */
static char *
human_size (int64_t bytes)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
  double v = (double)bytes;
  size_t i = 0;

  while (v >= 1000 && i + 1 < CC_N_ELEMENTS (units))
    v /= 1000, i++;
  return xasprintf ("%.4g%s", v, units[i]);
}

static int
cmd_prune (int argc, char **argv)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },
    { "filter", required_argument, NULL, 'F' },
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_strv char **filters = xzalloc (sizeof (char *)), **removed = NULL;
  cleanup_free char *size = NULL;
  bool all = false, force = false;
  int64_t reclaimed = 0;
  cc_error_t err = NULL;
  int c, ret = CLI_EXIT_OK;

  while ((c = getopt_long (argc, argv, "afh", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'F':
        cc_strv_append (&filters, optarg);
        break;
      case 'f':
        force = true;
        break;
      case 'h':
        puts ("Usage: ccompose volume prune [OPTIONS]\n\n"
              "Remove unused local volumes\n\n"
              "Options:\n"
              "  -a, --all             Remove all unused volumes, not just anonymous ones\n"
              "      --filter filter   Provide filter values (e.g. \"label=<label>\")\n"
              "  -f, --force           Do not prompt for confirmation");
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("volume prune", "unknown option");
      }
  if (! force
      && ! cli_confirm (all ? "This will remove all local volumes not used by at least one container."
                            : "This will remove anonymous local volumes not used by at least one container."))
    return CLI_EXIT_OK;
  if (cc_engine_volume_prune (all, filters, &removed, &reclaimed, &err) < 0)
    ret = fail (&err);
  if (removed && *removed)
    {
      puts ("Deleted Volumes:");
      for (char **r = removed; *r; r++)
        puts (*r);
      putchar ('\n');
    }
  size = human_size (reclaimed);
  printf ("Total reclaimed space: %s\n", size);
  return ret;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static const struct cli_subcommand subcommands[] = {
  { "create", cmd_create }, { "ls", cmd_ls },     { "list", cmd_ls },     { "inspect", cmd_inspect },
  { "rm", cmd_rm },         { "remove", cmd_rm }, { "prune", cmd_prune },
};

int
cli_cmd_volume (struct cli_global *g, int argc, char **argv)
{
  (void)g;
  return cli_run_subcommand ("volume", usage, subcommands, CC_N_ELEMENTS (subcommands), argc, argv);
}
