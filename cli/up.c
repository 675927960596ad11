/* `ccompose up`: create and start the project, then (without -d) attach to
   its logs with `service-1  | ` prefixes until the containers exit or
   Ctrl-C (engine/attach.c); this file parses and says how lines look.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "engine/logs.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose up [OPTIONS] [SERVICE...]\n\n"
      "Create and start containers\n\n"
      "Options:\n"
      "      --abort-on-container-exit   Stops all containers if any container was stopped\n"
      "      --abort-on-container-failure  Stops all containers if any container exited with failure\n"
      "      --always-recreate-deps      Recreate dependent containers. Incompatible with --no-recreate.\n"
      "      --attach stringArray        Restrict attaching to the specified services\n"
      "      --build                     Build images before starting containers\n"
      "  -d, --detach                    Detached mode: Run containers in the background\n"
      "      --exit-code-from string     Return the exit code of the selected service container\n"
      "                                  (implies --abort-on-container-exit)\n"
      "      --force-recreate            Recreate containers even if their configuration and image haven't changed\n"
      "      --no-attach stringArray     Do not attach (stream logs) to the specified services\n"
      "      --no-build                  Don't build an image, even if it's policy\n"
      "      --no-color                  Produce monochrome output\n"
      "      --no-deps                   Don't start linked services\n"
      "      --no-log-prefix             Don't print prefix in logs\n"
      "      --no-recreate               If containers already exist, don't recreate them\n"
      "      --no-start                  Don't start the services after creating them\n"
      "      --pull string               Pull image before running (\"always\"|\"missing\"|\"never\") (default "
      "\"missing\")\n"
      "      --quiet-pull                Pull without printing progress information\n"
      "      --remove-orphans            Remove containers for services not defined in the Compose file\n"
      "  -V, --renew-anon-volumes        Recreate anonymous volumes instead of retrieving data from the previous\n"
      "                                  containers\n"
      "      --scale scale               Scale SERVICE to NUM instances (SERVICE=NUM)\n"
      "  -t, --timeout int               Use this timeout in seconds for container shutdown\n"
      "      --timestamps                Show timestamps\n"
      "      --wait                      Wait for services to be running|healthy. Implies detached mode.\n"
      "      --wait-timeout int          Maximum duration in seconds to wait for the project to be running|healthy\n"
      "  -w, --watch                     Watch source code and rebuild/refresh containers when files are updated.\n"
      "  -h, --help                      Show this help\n";

struct up_cli
{
  struct cc_up_opts up;
  bool detach, abort_on_exit, abort_on_failure, no_color, no_log_prefix, timestamps;
  bool color;      /* --ansi and the terminal allow it */
  bool renew_anon; /* -V */
  bool watch;      /* -w: develop.watch followed while attached */
  const char *exit_code_from;
  char **attach, **no_attach;
};

enum
{
  OPT_ABORT = 256,
  OPT_ABORT_FAILURE,
  OPT_ALWAYS_RECREATE_DEPS,
  OPT_ATTACH,
  OPT_BUILD,
  OPT_EXIT_CODE_FROM,
  OPT_FORCE_RECREATE,
  OPT_NO_ATTACH,
  OPT_NO_BUILD,
  OPT_NO_COLOR,
  OPT_NO_DEPS,
  OPT_NO_LOG_PREFIX,
  OPT_NO_RECREATE,
  OPT_NO_START,
  OPT_PULL,
  OPT_QUIET_PULL,
  OPT_REMOVE_ORPHANS,
  OPT_SCALE,
  OPT_TIMESTAMPS,
  OPT_WAIT,
  OPT_WAIT_TIMEOUT,
};

static const struct option options[] = {
  { "abort-on-container-exit", no_argument, NULL, OPT_ABORT },
  { "abort-on-container-failure", no_argument, NULL, OPT_ABORT_FAILURE },
  { "always-recreate-deps", no_argument, NULL, OPT_ALWAYS_RECREATE_DEPS },
  { "attach", required_argument, NULL, OPT_ATTACH },
  { "build", no_argument, NULL, OPT_BUILD },
  { "detach", no_argument, NULL, 'd' },
  { "exit-code-from", required_argument, NULL, OPT_EXIT_CODE_FROM },
  { "force-recreate", no_argument, NULL, OPT_FORCE_RECREATE },
  { "no-attach", required_argument, NULL, OPT_NO_ATTACH },
  { "no-build", no_argument, NULL, OPT_NO_BUILD },
  { "no-color", no_argument, NULL, OPT_NO_COLOR },
  { "no-deps", no_argument, NULL, OPT_NO_DEPS },
  { "no-log-prefix", no_argument, NULL, OPT_NO_LOG_PREFIX },
  { "no-recreate", no_argument, NULL, OPT_NO_RECREATE },
  { "no-start", no_argument, NULL, OPT_NO_START },
  { "pull", required_argument, NULL, OPT_PULL },
  { "quiet-pull", no_argument, NULL, OPT_QUIET_PULL },
  { "remove-orphans", no_argument, NULL, OPT_REMOVE_ORPHANS },
  { "renew-anon-volumes", no_argument, NULL, 'V' },
  { "scale", required_argument, NULL, OPT_SCALE },
  { "timeout", required_argument, NULL, 't' },
  { "timestamps", no_argument, NULL, OPT_TIMESTAMPS },
  { "wait", no_argument, NULL, OPT_WAIT },
  { "wait-timeout", required_argument, NULL, OPT_WAIT_TIMEOUT },
  { "watch", no_argument, NULL, 'w' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static bool
is_valid_scale (const char *s)
{
  const char *eq = strchr (s, '=');
  char *end;
  long n;

  if (eq == NULL || eq == s)
    return false;
  n = strtol (eq + 1, &end, 10);
  return *end == '\0' && eq[1] != '\0' && n >= 0 && n <= 1000;
}

static const char *const pull_policies[] = { "always", "missing", "never", "build", "if_not_present" };

static bool
is_pull_policy (const char *s)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (pull_policies); i++)
    if (strcmp (s, pull_policies[i]) == 0)
      return true;
  return false;
}

/* Returns -1 to go on, or an exit code.  */
static int
parse (struct up_cli *o, int argc, char **argv)
{
  int c;

  while ((c = getopt_long (argc, argv, "dt:Vwh", options, NULL)) != -1)
    switch (c)
      {
      case OPT_ABORT:
        o->abort_on_exit = true;
        break;
      case OPT_ABORT_FAILURE:
        o->abort_on_failure = true;
        break;
      case 'V':
        /* Anonymous volumes live and die with their container here, so
           renewing them is recreating it, as Compose's -V forces.  */
        o->up.force_recreate = true;
        o->renew_anon = true;
        break;
      case OPT_ALWAYS_RECREATE_DEPS:
        o->up.always_recreate_deps = true;
        break;
      case OPT_ATTACH:
        cc_strv_append (&o->attach, optarg);
        break;
      case OPT_BUILD:
        if (o->up.build == CC_BUILD_NEVER)
          return cli_usage_error ("up", "--build and --no-build are incompatible");
        o->up.build = CC_BUILD_ALWAYS;
        break;
      case OPT_NO_BUILD:
        if (o->up.build == CC_BUILD_ALWAYS)
          return cli_usage_error ("up", "--build and --no-build are incompatible");
        o->up.build = CC_BUILD_NEVER;
        break;
      case 'd':
        o->detach = true;
        break;
      case OPT_EXIT_CODE_FROM:
        o->exit_code_from = optarg;
        o->abort_on_exit = true;
        break;
      case OPT_FORCE_RECREATE:
        o->up.force_recreate = true;
        break;
      case OPT_NO_ATTACH:
        cc_strv_append (&o->no_attach, optarg);
        break;
      case OPT_NO_COLOR:
        o->no_color = true;
        break;
      case OPT_NO_DEPS:
        o->up.no_deps = true;
        break;
      case OPT_NO_LOG_PREFIX:
        o->no_log_prefix = true;
        break;
      case OPT_NO_RECREATE:
        o->up.no_recreate = true;
        break;
      case OPT_NO_START:
        o->up.no_start = true;
        break;
      case OPT_PULL:
        if (! is_pull_policy (optarg))
          return cli_usage_error ("up", "invalid --pull `%s` (always, missing, never, build)", optarg);
        o->up.pull = optarg;
        break;
      case OPT_QUIET_PULL:
        o->up.quiet = true;
        break;
      case OPT_REMOVE_ORPHANS:
        o->up.remove_orphans = true;
        break;
      case OPT_SCALE:
        if (! is_valid_scale (optarg))
          return cli_usage_error ("up", "invalid --scale `%s` (SERVICE=NUM, 0 to 1000)", optarg);
        cc_strv_append (&o->up.scale, optarg);
        break;
      case 't':
        if ((o->up.timeout_ms = cli_parse_seconds (optarg)) < 0)
          return cli_usage_error ("up", "invalid --timeout `%s`", optarg);
        break;
      case OPT_TIMESTAMPS:
        o->timestamps = true;
        break;
      case OPT_WAIT:
        o->up.wait = true;
        o->detach = true;
        break;
      case 'w':
        o->watch = true;
        break;
      case OPT_WAIT_TIMEOUT:
        if ((o->up.wait_timeout_ms = cli_parse_seconds (optarg)) < 0)
          return cli_usage_error ("up", "invalid --wait-timeout `%s`", optarg);
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("up", "unknown option");
      }
  if (o->up.force_recreate && o->up.no_recreate)
    return cli_usage_error ("up", o->renew_anon ? "--renew-anon-volumes and --no-recreate are incompatible"
                                                : "--force-recreate and --no-recreate are incompatible");
  if (o->abort_on_failure && o->abort_on_exit)
    return cli_usage_error ("up", "--abort-on-container-failure and --abort-on-container-exit (or --exit-code-from) "
                                  "are incompatible");
  if (o->detach && o->abort_on_failure)
    return cli_usage_error ("up", "--abort-on-container-failure needs attached mode (no -d/--wait)");
  if (o->up.always_recreate_deps && o->up.no_recreate)
    return cli_usage_error ("up", "--always-recreate-deps and --no-recreate are incompatible");
  if (o->detach && o->abort_on_exit)
    return cli_usage_error ("up", "--abort-on-container-exit and --exit-code-from need attached mode (no -d/--wait)");
  if (o->up.no_start && o->up.wait)
    return cli_usage_error ("up", "--no-start and --wait are incompatible");
  if (o->detach && o->watch)
    return cli_usage_error ("up", "--detach cannot be combined with --watch (nor --wait, which implies it)");
  return -1;
}

/* ---- attached mode: how lines look ---------------------------------------- */

/* The labels and colours the engine gives before the first line.  */
static void
attaching (void *opaque, char *const *labels, const int *service_index)
{
  cli_log_look_set (opaque, labels, service_index);
}

static int
up_attached (struct up_cli *o, const struct cc_project *p, cc_error_t *err)
{
  struct cli_log_look k
      = { .color = ! o->no_color && o->color, .prefix = ! o->no_log_prefix, .timestamps = o->timestamps };
  struct cc_up_attach a = {
    .attach = o->attach,
    .no_attach = o->no_attach,
    .abort_on_exit = o->abort_on_exit,
    .abort_on_failure = o->abort_on_failure,
    .exit_code_from = o->exit_code_from,
    .timeout_ms = o->up.timeout_ms,
    .attaching = attaching,
    .print = cli_log_look_print,
    .opaque = &k,
  };
  struct cc_watch_opts wo = { .services = o->up.services };

  a.watch = o->watch ? &wo : NULL;
  int ret = cc_engine_up_attached (p, &o->up, &a, err);

  cli_log_look_release (&k);
  return ret;
}

int
cli_cmd_up (struct cli_global *g, int argc, char **argv)
{
  struct up_cli o = { .up = { .timeout_ms = -1,
                              .wait_timeout_ms = -1,
                              .parallel = g->parallel,
                              .remove_orphans = g->remove_orphans,
                              .ignore_orphans = g->ignore_orphans } };
  cleanup_project struct cc_project *p = NULL;
  cleanup_strv char **services = NULL, **scale = NULL, **at = NULL, **nat = NULL;
  cc_error_t err = NULL;
  int ret;

  o.color = cli_use_color (g);
  ret = parse (&o, argc, argv);
  scale = o.up.scale, at = o.attach, nat = o.no_attach;
  if (ret >= 0)
    return ret;
  services = cli_rest (argc, argv);
  o.up.services = *services ? services : NULL;
  o.up.dry_run = g->dry_run;
  if (cli_load_project (g, services, &p, &err) < 0)
    return cli_fail (&err);
  if (o.exit_code_from && cc_project_service (p, o.exit_code_from) == NULL)
    return cli_usage_error ("up", "--exit-code-from: no such service `%s`", o.exit_code_from);
  if (o.detach)
    {
      ret = cc_engine_up (p, &o.up, &err);
      cc_strv_free (o.up.started);
      return ret < 0 ? cli_fail (&err) : CLI_EXIT_OK;
    }
  ret = up_attached (&o, p, &err);
  return ret < 0 ? cli_fail (&err) : ret;
}
