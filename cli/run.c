/* `ccompose run`: a one-off command in a new container of a service; the
   exit status is the command's.  As in Docker Compose, stdin is attached
   (-i is the default) and, when our stdin and stdout are terminals (or
   with -t, unless -T), the command gets a terminal of its own that we
   relay with ours; without one its output is streamed from the log
   files.  -d runs it detached, stdin /dev/null.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "engine/logs.h"
#include "engine/run.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose run [OPTIONS] SERVICE [COMMAND] [ARGS...]\n\n"
      "Run a one-off command on a service\n\n"
      "Options:\n"
      "      --build               Build image before starting container\n"
      "      --cap-add list        Add Linux capabilities\n"
      "      --cap-drop list       Drop Linux capabilities\n"
      "  -d, --detach              Run container in background and print container ID\n"
      "      --entrypoint string   Override the entrypoint of the image (split into words as a shell does)\n"
      "  -e, --env stringArray     Set environment variables\n"
      "  -i, --interactive[=bool]  Keep STDIN open even if not attached (default true)\n"
      "  -l, --label stringArray   Add or override a label\n"
      "      --name string         Assign a name to the container\n"
      "      --no-deps             Don't start linked services\n"
      "  -p, --publish stringArray Publish a container's port(s) to the host\n"
      "      --pull string         Pull image before running (\"always\"|\"missing\"|\"never\"|\"policy\")\n"
      "                            (default \"policy\")\n"
      "      --rm                  Automatically remove the container when it exits\n"
      "  -P, --service-ports       Run command with all service's ports enabled and mapped to the host\n"
      "  -T, --no-TTY              Disable pseudo-TTY allocation (default: auto-detected)\n"
      "  -t, --tty                 Allocate a pseudo-TTY even when not on a terminal (none with -d)\n"
      "  -u, --user string         Run as specified username or uid\n"
      "      --use-aliases         Use the service's network aliases in the network(s) the container connects to\n"
      "  -v, --volume stringArray  Bind mount a volume\n"
      "  -w, --workdir string      Working directory inside the container\n"
      "  -h, --help                Show this help\n";

enum
{
  OPT_ENTRYPOINT = 256,
  OPT_BUILD,
  OPT_CAP_ADD,
  OPT_CAP_DROP,
  OPT_NAME,
  OPT_NO_DEPS,
  OPT_PULL,
  OPT_RM,
  OPT_USE_ALIASES,
};

static const struct option options[] = {
  { "build", no_argument, NULL, OPT_BUILD },
  { "cap-add", required_argument, NULL, OPT_CAP_ADD },
  { "cap-drop", required_argument, NULL, OPT_CAP_DROP },
  { "label", required_argument, NULL, 'l' },
  { "pull", required_argument, NULL, OPT_PULL },
  { "use-aliases", no_argument, NULL, OPT_USE_ALIASES },
  { "volume", required_argument, NULL, 'v' },
  { "detach", no_argument, NULL, 'd' },
  { "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
  { "env", required_argument, NULL, 'e' },
  { "name", required_argument, NULL, OPT_NAME },
  { "no-deps", no_argument, NULL, OPT_NO_DEPS },
  { "publish", required_argument, NULL, 'p' },
  { "rm", no_argument, NULL, OPT_RM },
  { "service-ports", no_argument, NULL, 'P' },
  { "no-TTY", no_argument, NULL, 'T' },
  { "interactive", optional_argument, NULL, 'i' },
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
  bool no_interactive, tty, no_tty;
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

static const char *const pull_values[] = { "always", "missing", "never", "policy" };

static bool
is_pull_value (const char *s)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (pull_values); i++)
    if (strcmp (s, pull_values[i]) == 0)
      return true;
  return false;
}

/* Compose splits --entrypoint as a shell would (no expansion); an empty
   one leaves the service's.  */
static int
set_entrypoint (struct run_cli *o, const char *text)
{
  cc_strv_free (o->run.entrypoint);
  o->run.entrypoint = *text ? cc_strv_shell_split (text) : NULL;
  if (*text && o->run.entrypoint == NULL)
    return cli_usage_error ("run", "invalid --entrypoint `%s`: unclosed quote or trailing backslash", text);
  if (o->run.entrypoint && *o->run.entrypoint == NULL)
    return cli_usage_error ("run", "invalid --entrypoint `%s`: no word in it", text);
  return -1;
}

/* The options --cap-add, --cap-drop, -l, --pull, --use-aliases, -v.  */
static int
parse_container_option (struct run_cli *o, int c)
{
  switch (c)
    {
    case OPT_CAP_ADD:
      cc_strv_append (&o->run.cap_add, optarg);
      break;
    case OPT_CAP_DROP:
      cc_strv_append (&o->run.cap_drop, optarg);
      break;
    case 'l':
      if (*optarg == '=' || *optarg == '\0')
        return cli_usage_error ("run", "invalid --label `%s` (KEY=VALUE)", optarg);
      cc_strv_append (&o->run.labels, optarg);
      break;
    case OPT_PULL:
      if (! is_pull_value (optarg))
        return cli_usage_error ("run", "invalid --pull `%s` (always, missing, never, policy)", optarg);
      o->run.pull_policy = strcmp (optarg, "policy") == 0 ? NULL : optarg;
      break;
    case OPT_USE_ALIASES:
      o->run.use_aliases = true;
      break;
    case 'v':
      cc_strv_append (&o->run.volumes, optarg);
      break;
    }
  return -1;
}

static int
parse (struct run_cli *o, int argc, char **argv)
{
  int c, ret;

  while ((c = getopt_long (argc, argv, "+de:l:p:PTitu:v:w:h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_BUILD:
        o->run.build = CC_BUILD_ALWAYS;
        break;
      case OPT_CAP_ADD:
      case OPT_CAP_DROP:
      case 'l':
      case OPT_PULL:
      case OPT_USE_ALIASES:
      case 'v':
        if ((ret = parse_container_option (o, c)) >= 0)
          return ret;
        break;
      case 'd':
        o->detach = true;
        break;
      case OPT_ENTRYPOINT:
        if ((ret = set_entrypoint (o, optarg)) >= 0)
          return ret;
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
        o->no_tty = true;
        break;
      case 't':
        o->tty = true;
        break;
      case 'i':
        if (optarg && strcmp (optarg, "true") != 0 && strcmp (optarg, "false") != 0)
          return cli_usage_error ("run", "invalid --interactive value `%s` (true or false)", optarg);
        o->no_interactive = optarg && strcmp (optarg, "false") == 0;
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
  if (o->tty && o->no_tty)
    return cli_usage_error ("run", "--tty and --no-TTY can't be used together");
  if (optind >= argc)
    return cli_usage_error ("run", "requires a SERVICE");
  return -1;
}

/* Docker Compose: a terminal when ours is one, unless -T; -t forces it.
   A detached container has nobody to relay it.  */
static bool
wants_tty (const struct run_cli *o)
{
  if (o->detach || o->no_tty)
    return false;
  return o->tty || (! o->no_interactive && isatty (0) && isatty (1));
}

int
cli_cmd_run (struct cli_global *g, int argc, char **argv)
{
  struct run_cli o = { .run = { .parallel = g->parallel } };
  cleanup_project struct cc_project *p = NULL;
  cleanup_strv char **env = NULL, **publish = NULL, **rest = NULL, **entrypoint = NULL, **volumes = NULL;
  cleanup_strv char **cap_add = NULL, **cap_drop = NULL, **labels = NULL;
  cleanup_free char *name = NULL;
  cc_error_t err = NULL;
  struct cc_run_session session;
  int ret = parse (&o, argc, argv), code;

  env = o.run.env, publish = o.run.publish, entrypoint = o.run.entrypoint, volumes = o.run.volumes;
  cap_add = o.run.cap_add, cap_drop = o.run.cap_drop, labels = o.run.labels;
  if (ret >= 0)
    return ret;
  rest = cli_rest (argc, argv);
  o.run.service = rest[0];
  o.run.command = rest + 1;
  if (cli_load_project (g, (char *[]){ rest[0], NULL }, &p, &err) < 0)
    return cli_fail (&err);
  if (g->dry_run)
    {
      if (cc_project_service (p, o.run.service) == NULL)
        return cli_usage_error ("run", "no such service: %s", o.run.service);
      fprintf (stderr, " \u2714 DRY-RUN MODE -  Service %s  Would run a one-off container\n", o.run.service);
      return CLI_EXIT_OK;
    }
  session = (struct cc_run_session){
    .detach = o.detach,
    .stdin = ! o.no_interactive,
    .tty = wants_tty (&o),
    .rm = o.rm,
    .print = cli_print_log_line,
  };
  code = cc_engine_run_session (p, &o.run, &session, &name, &err);
  if (code < 0)
    return cli_fail (&err);
  if (o.detach)
    puts (name);
  return code;
}
