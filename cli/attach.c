/* `ccompose attach`: the output of one running container of a service,
   from now until it stops, and its exit code.  Signals the CLI gets go to
   the container (--sig-proxy, on by default, as in Docker).  A service
   with `tty` or `stdin_open` also takes our keystrokes, until the detach
   keys (ctrl-p ctrl-q, or --detach-keys) leave it running; others read
   no input (their stdin is /dev/null).  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "engine/logs.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"

static const char usage[]
    = "Usage: ccompose attach [OPTIONS] SERVICE\n\n"
      "Attach local standard input, output, and error streams to a service's running container\n\n"
      "Options:\n"
      "      --detach-keys string   Override the key sequence for detaching from a container (default\n"
      "                             ctrl-p,ctrl-q)\n"
      "      --index int            Index of the container if the service has multiple replicas (default 1)\n"
      "      --no-stdin             Do not attach STDIN (only services with tty or stdin_open read it)\n"
      "      --sig-proxy            Proxy all received signals to the process (default true);\n"
      "                             --sig-proxy=false: Ctrl-C detaches and leaves the container running\n"
      "  -h, --help                 Show this help\n";

enum
{
  OPT_INDEX = 256,
  OPT_NO_STDIN,
  OPT_SIG_PROXY,
  OPT_DETACH_KEYS,
};

static const struct option options[] = {
  { "index", required_argument, NULL, OPT_INDEX },
  { "no-stdin", no_argument, NULL, OPT_NO_STDIN },
  { "sig-proxy", optional_argument, NULL, OPT_SIG_PROXY },
  { "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
parse (int argc, char **argv, int *index, struct cc_attach_opts *o)
{
  cc_error_t err = NULL;
  int c;
  char *end;

  while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_INDEX:
        *index = (int)strtol (optarg, &end, 10);
        if (*end || *index < 1)
          return cli_usage_error ("attach", "invalid --index `%s`", optarg);
        break;
      case OPT_NO_STDIN:
        o->no_stdin = true;
        break;
      case OPT_SIG_PROXY:
        if (optarg && strcmp (optarg, "true") != 0 && strcmp (optarg, "false") != 0)
          return cli_usage_error ("attach", "invalid --sig-proxy `%s` (true or false)", optarg);
        o->sig_proxy = optarg == NULL || strcmp (optarg, "true") == 0;
        break;
      case OPT_DETACH_KEYS:
        if (cc_engine_check_detach_keys (optarg, &err) < 0)
          {
            cc_error_release (&err);
            return cli_usage_error ("attach",
                                    "invalid --detach-keys `%s` (a letter or ctrl-<a-z@[\\]^_>, "
                                    "comma separated)",
                                    optarg);
          }
        o->detach_keys = optarg;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("attach", "unknown option");
      }
  if (optind != argc - 1)
    return cli_usage_error ("attach", "requires exactly one SERVICE");
  return -1;
}

static const char *
pick (const struct cli_target *t, int index)
{
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (t->st->json, "containers");

  for (char **n = t->containers; *n; n++)
    if (cc_json_get_int (cJSON_GetObjectItemCaseSensitive (containers, *n), "number", 0) == index)
      return *n;
  return NULL;
}

int
cli_cmd_attach (struct cli_global *g, int argc, char **argv)
{
  const char *name;
  struct cc_attach_opts o = { .sig_proxy = true, .fn = cli_print_log_line };
  struct cli_target t = { 0 };
  cleanup_strv char **services = NULL;
  cc_error_t err = NULL;
  int index = 1, ret = parse (argc, argv, &index, &o);

  if (ret >= 0)
    return ret;
  services = cli_rest (argc, argv);
  if (cli_target_open (g, services, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  name = pick (&t, index);
  if (name == NULL)
    {
      cc_error_make (&err, 0, "service `%s` has no container with index %d", services[0], index);
      cli_target_release (&t);
      return cli_fail (&err);
    }
  ret = cc_engine_attach (name, &o, &err);
  cli_target_release (&t);
  return ret < 0 ? cli_fail (&err) : ret;
}
