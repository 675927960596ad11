/* `ccompose run`: a one-off command in a new container of a service; the
   exit status is the command's.  Its output is streamed from the log
   files (stdin is not attached).  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "engine/logs.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

static const char usage[]
    = "Usage: ccompose run [OPTIONS] SERVICE [COMMAND] [ARGS...]\n\n"
      "Run a one-off command on a service\n\n"
      "Options:\n"
      "  -d, --detach              Run container in background and print container ID\n"
      "      --entrypoint string   Override the entrypoint of the image\n"
      "  -e, --env stringArray     Set environment variables\n"
      "      --name string         Assign a name to the container\n"
      "      --no-deps             Don't start linked services\n"
      "  -p, --publish stringArray Publish a container's port(s) to the host\n"
      "      --rm                  Automatically remove the container when it exits\n"
      "  -P, --service-ports       Run command with all service's ports enabled and mapped to the host\n"
      "  -T, --no-TTY              Disable pseudo-TTY allocation (output is never a TTY here)\n"
      "  -u, --user string         Run as specified username or uid\n"
      "  -w, --workdir string      Working directory inside the container\n"
      "  -h, --help                Show this help\n";

enum
{
  OPT_ENTRYPOINT = 256,
  OPT_NAME,
  OPT_NO_DEPS,
  OPT_RM,
};

static const struct option options[] = {
  { "detach", no_argument, NULL, 'd' },
  { "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
  { "env", required_argument, NULL, 'e' },
  { "name", required_argument, NULL, OPT_NAME },
  { "no-deps", no_argument, NULL, OPT_NO_DEPS },
  { "publish", required_argument, NULL, 'p' },
  { "rm", no_argument, NULL, OPT_RM },
  { "service-ports", no_argument, NULL, 'P' },
  { "no-TTY", no_argument, NULL, 'T' },
  { "interactive", no_argument, NULL, 'i' },
  { "tty", no_argument, NULL, 't' },
  { "user", required_argument, NULL, 'u' },
  { "workdir", required_argument, NULL, 'w' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

struct run_cli
{
  struct cc_run_opts run;
  bool detach, rm;
};

static bool
is_valid_name (const char *n)
{
  if (*n == '\0' || strlen (n) > 128)
    return false;
  for (const char *c = n; *c; c++)
    if (! ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'
           || *c == '.'))
      return false;
  return true;
}

static int
parse (struct run_cli *o, int argc, char **argv)
{
  int c;

  while ((c = getopt_long (argc, argv, "+de:p:PTitu:w:h", options, NULL)) != -1)
    switch (c)
      {
      case 'd':
        o->detach = true;
        break;
      case OPT_ENTRYPOINT:
        o->run.entrypoint = optarg;
        break;
      case 'e':
        if (strchr (optarg, '=') == NULL)
          {
            const char *v = getenv (optarg);
            if (v)
              cc_strv_push (&o->run.env, xasprintf ("%s=%s", optarg, v));
          }
        else if (*optarg != '=')
          cc_strv_append (&o->run.env, optarg);
        break;
      case OPT_NAME:
        if (! is_valid_name (optarg))
          return cli_usage_error ("run", "invalid --name `%s`", optarg);
        o->run.name = optarg;
        break;
      case OPT_NO_DEPS:
        o->run.no_deps = true;
        break;
      case 'p':
        cc_strv_append (&o->run.publish, optarg);
        break;
      case OPT_RM:
        o->rm = true;
        break;
      case 'P':
        o->run.service_ports = true;
        break;
      case 'T':
      case 'i':
      case 't':
        break;
      case 'u':
        o->run.user = optarg;
        break;
      case 'w':
        o->run.workdir = optarg;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("run", "unknown option");
      }
  if (optind >= argc)
    return cli_usage_error ("run", "requires a SERVICE");
  return -1;
}

static void
print_plain (void *opaque, const struct cc_log_line *l)
{
  FILE *out = strcmp (l->stream, "stderr") == 0 ? stderr : stdout;

  (void)opaque;
  fwrite (l->text, 1, l->len, out);
  fputc ('\n', out);
  fflush (out);
}

static int
remove_oneoff (const struct cc_project *p, const char *name)
{
  cleanup_state struct cc_state *st = NULL;
  cc_error_t err = NULL;

  if (cc_state_open (p->name, true, &st, &err) < 0 || cc_engine_remove_container (st, name, 0, &err) < 0)
    return cli_fail (&err);
  return 0;
}

int
cli_cmd_run (struct cli_global *g, int argc, char **argv)
{
  struct run_cli o = { .run = { .parallel = g->parallel } };
  cleanup_project struct cc_project *p = NULL;
  cleanup_strv char **env = NULL, **publish = NULL, **rest = NULL;
  cleanup_free char *name = NULL;
  struct cc_log_opts lo = { .follow = true, .tail = -1, .fn = print_plain };
  cc_error_t err = NULL;
  int ret = parse (&o, argc, argv), code;

  env = o.run.env, publish = o.run.publish;
  if (ret >= 0)
    return ret;
  rest = cli_rest (argc, argv);
  o.run.service = rest[0];
  o.run.command = rest + 1;
  if (cli_load_project (g, (char *[]){ rest[0], NULL }, &p, &err) < 0)
    return cli_fail (&err);
  if (cc_engine_run (p, &o.run, &name, &err) < 0)
    return cli_fail (&err);
  if (o.detach)
    {
      puts (name);
      return CLI_EXIT_OK;
    }
  cc_engine_logs ((char *[]){ name, NULL }, &lo, &err);
  cc_error_release (&err);
  code = cc_runtime_wait (name, -1, &err);
  if (code < 0)
    code = cli_fail (&err);
  if (o.rm && remove_oneoff (p, name) != 0)
    return CLI_EXIT_FAILURE;
  return code;
}
