/* `ccompose port`: the public address of a service's published port.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose port [OPTIONS] SERVICE PRIVATE_PORT\n\n"
      "Print the public port for a port binding\n\n"
      "Options:\n"
      "      --index int         Index of the container if service has multiple replicas (default 1)\n"
      "      --protocol string   tcp or udp (default \"tcp\")\n"
      "      --backends          Also list the replicas behind the port, one a line:\n"
      "                          CONTAINER IP:PORT serving|not serving\n"
      "  -h, --help              Show this help\n";

enum
{
  OPT_INDEX = 256,
  OPT_PROTOCOL,
  OPT_BACKENDS,
};

static const struct option options[] = {
  { "index", required_argument, NULL, OPT_INDEX },
  { "protocol", required_argument, NULL, OPT_PROTOCOL },
  { "backends", no_argument, NULL, OPT_BACKENDS },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static void
print_backends (const char *project, const cJSON *p)
{
  cleanup_strv char **lines = cc_engine_port_backends (project, p);

  for (char **l = lines; *l; l++)
    puts (*l);
}

int
cli_cmd_port (struct cli_global *g, int argc, char **argv)
{
  bool backends = false;
  const char *proto = "tcp";
  struct cli_target t = { 0 };
  cleanup_cjson cJSON *info = NULL;
  cleanup_free char *name = NULL;
  cc_error_t err = NULL;
  long index = 1, port;
  char *end;
  int c;

  while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_INDEX:
        index = strtol (optarg, &end, 10);
        if (*end || index < 1)
          return cli_usage_error ("port", "invalid --index `%s`", optarg);
        break;
      case OPT_PROTOCOL:
        if (strcmp (optarg, "tcp") != 0 && strcmp (optarg, "udp") != 0)
          return cli_usage_error ("port", "invalid --protocol `%s` (tcp, udp)", optarg);
        proto = optarg;
        break;
      case OPT_BACKENDS:
        backends = true;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("port", "unknown option");
      }
  if (argc - optind != 2)
    return cli_usage_error ("port", "requires SERVICE and PRIVATE_PORT");
  port = strtol (argv[optind + 1], &end, 10);
  if (*end || port < 1 || port > 65535)
    return cli_usage_error ("port", "invalid port `%s`", argv[optind + 1]);
  if (cli_target_open (g, (char *[]){ argv[optind], NULL }, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  name = cc_engine_recorded_container_name (t.st ? t.st->json : NULL, t.name, argv[optind], (int)index);
  info = cc_engine_container_info (t.name, name,
                                   cJSON_GetObjectItemCaseSensitive (cc_state_section (t.st, "containers"), name));
  cli_target_release (&t);
  for (const cJSON *p = cJSON_GetObjectItemCaseSensitive (info, "Publishers")->child; p; p = p->next)
    if (cc_json_get_int (p, "TargetPort", 0) == port && strcmp (cc_json_get_string (p, "Protocol"), proto) == 0
        && cc_json_get_int (p, "PublishedPort", 0))
      {
        const char *url = cc_json_get_string (p, "URL");

        printf (strchr (url, ':') ? "[%s]:%lld\n" : "%s:%lld\n", url,
                (long long)cc_json_get_int (p, "PublishedPort", 0));
        if (backends)
          print_backends (cc_json_get_string (info, "Project"), p);
        return CLI_EXIT_OK;
      }
  fprintf (stderr, "ccompose: no port %ld/%s published for %s\n", port, proto, name);
  return CLI_EXIT_FAILURE;
}
