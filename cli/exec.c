/* `ccompose exec`: run a command in a running service container; the exit
   status is the command's.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose exec [OPTIONS] SERVICE COMMAND [ARGS...]\n\n"
      "Execute a command in a running container\n\n"
      "Options:\n"
      "  -d, --detach            Detached mode: Run command in the background\n"
      "  -e, --env stringArray   Set environment variables\n"
      "      --index int         Index of the container if service has multiple replicas (default 1)\n"
      "  -T, --no-TTY            Disable pseudo-TTY allocation (default: auto-detected)\n"
      "  -u, --user string       Run the command as this user\n"
      "  -w, --workdir string    Path to workdir directory for this command\n"
      "  -h, --help              Show this help\n";

enum
{
  OPT_INDEX = 256,
};

static const struct option options[] = {
  { "detach", no_argument, NULL, 'd' },
  { "env", required_argument, NULL, 'e' },
  { "index", required_argument, NULL, OPT_INDEX },
  { "no-TTY", no_argument, NULL, 'T' },
  { "no-tty", no_argument, NULL, 'T' },
  { "tty", no_argument, NULL, 't' },
  { "interactive", no_argument, NULL, 'i' },
  { "privileged", no_argument, NULL, 'P' },
  { "user", required_argument, NULL, 'u' },
  { "workdir", required_argument, NULL, 'w' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

struct exec_cli
{
  bool detach, no_tty;
  int index;
  char **env;
  const char *user, *workdir;
};

static int
parse (struct exec_cli *o, int argc, char **argv)
{
  char *end;
  int c;

  /* `+`: options stop at the service name, the command keeps its own.  */
  while ((c = getopt_long (argc, argv, "+de:Ttiu:w:h", options, NULL)) != -1)
    switch (c)
      {
      case 'd':
        o->detach = true;
        break;
      case 'e':
        if (strchr (optarg, '=') == NULL || *optarg == '=')
          {
            /* -e NAME takes the value from our environment, as Docker does.  */
            const char *v = getenv (optarg);
            if (v == NULL || *optarg == '=')
              break;
            cc_strv_push (&o->env, xasprintf ("%s=%s", optarg, v));
            break;
          }
        cc_strv_append (&o->env, optarg);
        break;
      case OPT_INDEX:
        o->index = (int)strtol (optarg, &end, 10);
        if (*end || o->index < 1)
          return cli_usage_error ("exec", "invalid --index `%s`", optarg);
        break;
      case 'T':
        o->no_tty = true;
        break;
      case 't':
      case 'i':
      case 'P':
        break;
      case 'u':
        o->user = optarg;
        break;
      case 'w':
        o->workdir = optarg;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("exec", "unknown option");
      }
  if (argc - optind < 2)
    return cli_usage_error ("exec", "requires a SERVICE and a COMMAND");
  return -1;
}

int
cli_cmd_exec (struct cli_global *g, int argc, char **argv)
{
  struct exec_cli o = { .index = 1 };
  struct cli_target t = { 0 };
  cleanup_strv char **env = NULL, **args = NULL;
  cleanup_free char *name = NULL, *status = NULL;
  cc_error_t err = NULL;
  int ret = parse (&o, argc, argv);
  const char *service;

  env = o.env;
  if (ret >= 0)
    return ret;
  service = argv[optind];
  args = cli_rest (argc, argv);
  if (cli_target_open (g, (char *[]){ (char *)service, NULL }, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  name = cc_engine_recorded_container_name (t.st ? t.st->json : NULL, t.name, service, o.index);
  cli_target_release (&t);
  status = cc_engine_container_status (name, NULL);
  if (strcmp (status, "running") != 0)
    {
      fprintf (stderr, "ccompose: service \"%s\" is not running (container %s is %s)\n", service, name, status);
      return CLI_EXIT_FAILURE;
    }
  if (g->dry_run)
    {
      cleanup_free char *cmd = cc_strv_join (args + 1, " ");
      fprintf (stderr, " \u2714 DRY-RUN MODE -  Container %s  Would exec: %s\n", name, cmd);
      return CLI_EXIT_OK;
    }
  struct cc_exec_opts eo = {
    .args = args + 1,
    .env = env,
    .user = o.user,
    .cwd = o.workdir,
    .tty = ! o.no_tty && ! o.detach && isatty (STDIN_FILENO) && isatty (STDOUT_FILENO),
    .detach = o.detach,
  };
  ret = cc_engine_exec (name, &eo, &err);
  if (ret < 0)
    {
      cli_fail (&err);
      /* Docker: 126 when the command cannot be run, 127 when not found.  */
      return 126;
    }
  if (err)
    cli_fail (&err);
  return ret;
}
