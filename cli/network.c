/* `ccompose network create|ls|inspect|rm|prune`: Docker's `docker network`
   flags and output, for the networks a compose file declares external
   and those compose projects made (issue 15).  Thin: parse, call the
   engine, print.  */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/template.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[] = "Usage: ccompose network COMMAND\n\n"
                            "Manage networks\n\n"
                            "Commands:\n"
                            "  create      Create a network\n"
                            "  inspect     Display detailed information on one or more networks\n"
                            "  ls          List networks\n"
                            "  prune       Remove all unused networks\n"
                            "  rm          Remove one or more networks\n";

static int
fail (cc_error_t *err)
{
  cc_error_print (err);
  cc_error_release (err);
  return CLI_EXIT_FAILURE;
}

/* ---- create ------------------------------------------------------------------ */

static const char create_usage[]
    = "Usage: ccompose network create [OPTIONS] NETWORK\n\n"
      "Create a network\n\n"
      "Options:\n"
      "      --attachable         Enable manual container attachment (accepted: every network is)\n"
      "      --aux-address map    Auxiliary IPv4 addresses used by Network driver (default map[])\n"
      "  -d, --driver string      Driver to manage the Network (default \"bridge\")\n"
      "      --gateway strings    IPv4 or IPv6 Gateway for the master subnet\n"
      "      --internal           Restrict external access to the network\n"
      "      --ip-range strings   Allocate container ip from a sub-range\n"
      "      --ipv4               Enable or disable IPv4 address assignment (default true)\n"
      "      --ipv6               Enable or disable IPv6 networking\n"
      "      --label list         Set metadata on a network\n"
      "  -o, --opt map            Set driver specific options (default map[])\n"
      "      --subnet strings     Subnet in CIDR format that represents a network segment\n";

enum
{
  OPT_ATTACHABLE = 256,
  OPT_AUX_ADDRESS,
  OPT_GATEWAY,
  OPT_INTERNAL,
  OPT_IP_RANGE,
  OPT_IPV4,
  OPT_IPV6,
  OPT_LABEL,
  OPT_SUBNET,
  OPT_NO_TRUNC,
  OPT_FORMAT,
};

static int
cmd_create (int argc, char **argv)
{
  static const struct option opts[] = {
    { "attachable", no_argument, NULL, OPT_ATTACHABLE },
    { "aux-address", required_argument, NULL, OPT_AUX_ADDRESS },
    { "opt", required_argument, NULL, 'o' },
    { "driver", required_argument, NULL, 'd' },
    { "gateway", required_argument, NULL, OPT_GATEWAY },
    { "internal", no_argument, NULL, OPT_INTERNAL },
    { "ip-range", required_argument, NULL, OPT_IP_RANGE },
    { "ipv4", optional_argument, NULL, OPT_IPV4 },
    { "ipv6", no_argument, NULL, OPT_IPV6 },
    { "label", required_argument, NULL, OPT_LABEL },
    { "subnet", required_argument, NULL, OPT_SUBNET },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_strv char **labels = xzalloc (sizeof (char *)), **subnets = NULL, **gateways = NULL, **ranges = NULL;
  cleanup_strv char **aux = NULL, **driver_opts = NULL;
  cleanup_free char *id = NULL;
  struct cc_engine_network_opts o = { .driver = "bridge" };
  cc_error_t err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "d:o:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'd':
        o.driver = optarg;
        break;
      case 'o':
        cc_strv_append (&driver_opts, optarg);
        break;
      case OPT_ATTACHABLE:
        break;
      case OPT_AUX_ADDRESS:
        cc_strv_append (&aux, optarg);
        break;
      case OPT_GATEWAY:
        cc_strv_append (&gateways, optarg);
        break;
      case OPT_INTERNAL:
        o.internal = true;
        break;
      case OPT_IP_RANGE:
        cc_strv_append (&ranges, optarg);
        break;
      case OPT_IPV4:
        /* A boolean flag, as Docker's: `--ipv4=false` (issue 15).  */
        if (optarg && strcmp (optarg, "true") != 0 && strcmp (optarg, "false") != 0)
          return cli_usage_error ("network create", "invalid --ipv4 `%s` (true or false)", optarg);
        o.no_ipv4 = optarg && strcmp (optarg, "false") == 0;
        break;
      case OPT_IPV6:
        o.ipv6 = true;
        break;
      case OPT_LABEL:
        cc_strv_append (&labels, optarg);
        break;
      case OPT_SUBNET:
        cc_strv_append (&subnets, optarg);
        break;
      case 'h':
        fputs (create_usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("network create", "unknown option");
      }
  if (argc - optind != 1)
    return cli_usage_error ("network create", "requires exactly 1 argument");
  o.name = argv[optind];
  o.labels = labels;
  o.subnets = subnets;
  o.gateways = gateways;
  o.ip_ranges = ranges;
  o.aux_addresses = aux;
  o.driver_opts = driver_opts;
  if (cc_engine_network_create (&o, &id, &err) < 0)
    return fail (&err);
  puts (id);
  return CLI_EXIT_OK;
}

/* ---- ls ------------------------------------------------------------------------ */

static const char ls_usage[]
    = "Usage: ccompose network ls [OPTIONS]\n\n"
      "List networks\n\n"
      "Aliases:\n  ls, list\n\n"
      "Options:\n"
      "  -f, --filter filter   Provide filter values (e.g. \"driver=bridge\"; name, id, label, scope, type, dangling)\n"
      "      --format string   Format output using a custom template:\n"
      "                        'table': Print output in table format with column headers (default)\n"
      "                        'table TEMPLATE': Print output in table format using the given Go template\n"
      "                        'json': Print in JSON format\n"
      "                        'TEMPLATE': Print output using the given Go template\n"
      "      --no-trunc        Do not truncate the output\n"
      "  -q, --quiet           Only display network IDs\n";

/* The columns of Docker's network formatter.  */
static const struct cli_header network_headers[] = {
  { "ID", "NETWORK ID" }, { "Name", "NAME" },         { "Driver", "DRIVER" }, { "Scope", "SCOPE" },
  { "IPv6", "IPV6" },     { "Internal", "INTERNAL" }, { "Labels", "LABELS" }, { "CreatedAt", "CREATED AT" },
};

/* RFC 3339 as Go prints a time.Time: "2026-12-07 21:00:00.5 +0000 UTC".  */
static char *
go_time (const char *rfc3339)
{
  cleanup_free char *t = xstrdup (rfc3339 ? rfc3339 : "");
  char *z = strchr (t, 'Z'), *sep = strchr (t, 'T');

  if (z)
    *z = '\0';
  if (sep)
    *sep = ' ';
  return xasprintf ("%s +0000 UTC", t);
}

/* A row as Docker's network formatter shows it: booleans and labels as
   strings, the id cut to 12 digits unless NO_TRUNC.  */
static cJSON *
network_row (const cJSON *n, bool no_trunc)
{
  cleanup_free char *labels = cli_joined_labels (cJSON_GetObjectItemCaseSensitive (n, "Labels"));
  cleanup_free char *created = go_time (cc_json_get_string (n, "Created"));
  cleanup_free char *id = xstrndup (cc_json_get_string (n, "Id") ?: "", no_trunc ? 64 : 12);
  cJSON *row = cJSON_CreateObject ();

  cc_json_set_string (row, "CreatedAt", created);
  cc_json_set_string (row, "Driver", cc_json_get_string (n, "Driver"));
  cc_json_set_string (row, "ID", id);
  cc_json_set_string (row, "IPv6", cc_json_get_bool (n, "EnableIPv6", false) ? "true" : "false");
  cc_json_set_string (row, "Internal", cc_json_get_bool (n, "Internal", false) ? "true" : "false");
  cc_json_set_string (row, "Labels", labels);
  cc_json_set_string (row, "Name", cc_json_get_string (n, "Name"));
  cc_json_set_string (row, "Scope", cc_json_get_string (n, "Scope"));
  return row;
}

static int
print_networks (const cJSON *networks, const char *format, bool quiet, bool no_trunc)
{
  cleanup_cjson cJSON *rows = cJSON_CreateArray ();
  cleanup_cjson cJSON *labels = cJSON_CreateArray ();
  cc_error_t err = NULL;

  if (quiet && strcmp (format, "json") != 0)
    format = "{{.ID}}";
  else if (strcmp (format, "table") == 0)
    format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
  for (const cJSON *n = networks->child; n; n = n->next)
    {
      cJSON_AddItemToArray (rows, network_row (n, no_trunc));
      cJSON_AddItemToArray (labels, cJSON_Duplicate (cJSON_GetObjectItemCaseSensitive (n, "Labels"), true));
    }
  if (cli_format_rows (format, rows, network_headers, CC_N_ELEMENTS (network_headers), labels, &err) < 0)
    return fail (&err);
  return CLI_EXIT_OK;
}

static int
cmd_ls (int argc, char **argv)
{
  static const struct option opts[] = {
    { "filter", required_argument, NULL, 'f' },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "no-trunc", no_argument, NULL, OPT_NO_TRUNC },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_strv char **filters = xzalloc (sizeof (char *));
  cleanup_cjson cJSON *networks = NULL;
  const char *format = "table";
  bool quiet = false, no_trunc = false;
  cc_error_t err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "f:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        cc_strv_append (&filters, optarg);
        break;
      case OPT_FORMAT:
        format = optarg;
        break;
      case OPT_NO_TRUNC:
        no_trunc = true;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        fputs (ls_usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("network ls", "unknown option");
      }
  if (argc - optind > 0)
    return cli_usage_error ("network ls", "accepts no arguments");
  if (cc_engine_network_list (filters, &networks, &err) < 0)
    return fail (&err);
  return print_networks (networks, format, quiet, no_trunc);
}

/* ---- inspect -------------------------------------------------------------------- */

static int
cmd_inspect (int argc, char **argv)
{
  return cli_inspect_objects ("network", "NETWORK", cc_engine_network_inspect, argc, argv);
}

/* ---- rm, prune ------------------------------------------------------------------- */

static int
cmd_rm (int argc, char **argv)
{
  int ret = CLI_EXIT_OK, names = 0;

  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0)
      {
        puts ("Usage: ccompose network rm [OPTIONS] NETWORK [NETWORK...]\n\n"
              "Remove one or more networks\n\n"
              "Aliases:\n  rm, remove\n\n"
              "Options:\n  -f, --force   Do not error if the network does not exist");
        return CLI_EXIT_OK;
      }
  bool force = false;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "-f") == 0 || strcmp (argv[i], "--force") == 0)
      force = true;
    else if (argv[i][0] == '-')
      return cli_usage_error ("network rm", "unknown option `%s`", argv[i]);
    else
      names++;
  if (names == 0)
    return cli_usage_error ("network rm", "requires at least 1 argument");
  for (int i = 1; i < argc; i++)
    {
      cc_error_t err = NULL;
      if (argv[i][0] == '-')
        continue;
      if (cc_engine_network_remove (argv[i], &err) == 0)
        {
          puts (argv[i]);
          continue;
        }
      if (force && err->status == ENOENT)
        cc_error_release (&err);
      else
        ret = fail (&err);
    }
  return ret;
}

static int
cmd_prune (int argc, char **argv)
{
  static const struct option opts[] = {
    { "filter", required_argument, NULL, 'F' },
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_strv char **filters = xzalloc (sizeof (char *)), **removed = NULL;
  bool force = false;
  cc_error_t err = NULL;
  int c, ret = CLI_EXIT_OK;

  while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'F':
        cc_strv_append (&filters, optarg);
        break;
      case 'f':
        force = true;
        break;
      case 'h':
        puts ("Usage: ccompose network prune [OPTIONS]\n\n"
              "Remove all unused networks (those `network create` made: a compose project's go with its `down`)\n\n"
              "Options:\n"
              "      --filter filter   Provide filter values (e.g. \"label=<key>=<value>\")\n"
              "  -f, --force           Do not prompt for confirmation");
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("network prune", "unknown option");
      }
  if (! force && ! cli_confirm ("This will remove all custom networks not used by at least one container."))
    return CLI_EXIT_OK;
  if (cc_engine_network_prune (filters, &removed, &err) < 0)
    ret = fail (&err);
  if (removed && *removed)
    {
      puts ("Deleted Networks:");
      for (char **r = removed; *r; r++)
        puts (*r);
    }
  return ret;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static const struct cli_subcommand subcommands[] = {
  { "create", cmd_create }, { "ls", cmd_ls },     { "list", cmd_ls },     { "inspect", cmd_inspect },
  { "rm", cmd_rm },         { "remove", cmd_rm }, { "prune", cmd_prune },
};

int
cli_cmd_network (struct cli_global *g, int argc, char **argv)
{
  (void)g;
  return cli_run_subcommand ("network", usage, subcommands, CC_N_ELEMENTS (subcommands), argc, argv);
}
