/* `ccompose up`: create and start the project, then (without -d) attach to
   its logs with `service-1  | ` prefixes until the containers exit or
   Ctrl-C: the first stops gracefully what this up runs, with a countdown,
   the second kills.  */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "engine/logs.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

static const char usage[]
    = "Usage: ccompose up [OPTIONS] [SERVICE...]\n\n"
      "Create and start containers\n\n"
      "Options:\n"
      "      --abort-on-container-exit   Stops all containers if any container was stopped\n"
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
      "      --scale scale               Scale SERVICE to NUM instances (SERVICE=NUM)\n"
      "  -t, --timeout int               Use this timeout in seconds for container shutdown\n"
      "      --timestamps                Show timestamps\n"
      "      --wait                      Wait for services to be running|healthy. Implies detached mode.\n"
      "      --wait-timeout int          Maximum duration in seconds to wait for the project to be running|healthy\n"
      "  -h, --help                      Show this help\n";

struct up_cli
{
  struct cc_up_opts up;
  bool detach, abort_on_exit, no_color, no_log_prefix, timestamps;
  bool color; /* --ansi and the terminal allow it */
  char since[32];
  const char *exit_code_from;
  char **attach, **no_attach;
};

enum
{
  OPT_ABORT = 256,
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
  { "scale", required_argument, NULL, OPT_SCALE },
  { "timeout", required_argument, NULL, 't' },
  { "timestamps", no_argument, NULL, OPT_TIMESTAMPS },
  { "wait", no_argument, NULL, OPT_WAIT },
  { "wait-timeout", required_argument, NULL, OPT_WAIT_TIMEOUT },
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

  while ((c = getopt_long (argc, argv, "dt:h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_ABORT:
        o->abort_on_exit = true;
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
    return cli_usage_error ("up", "--force-recreate and --no-recreate are incompatible");
  if (o->up.always_recreate_deps && o->up.no_recreate)
    return cli_usage_error ("up", "--always-recreate-deps and --no-recreate are incompatible");
  if (o->detach && o->abort_on_exit)
    return cli_usage_error ("up", "--abort-on-container-exit and --exit-code-from need attached mode (no -d/--wait)");
  if (o->up.no_start && o->up.wait)
    return cli_usage_error ("up", "--no-start and --wait are incompatible");
  return -1;
}

/* ---- attached mode ---------------------------------------------------------- */

static volatile sig_atomic_t interrupts;

static void
on_interrupt (int sig)
{
  (void)sig;
  interrupts++;
  cc_engine_interrupted = 1;
}

static const char *const palette[] = { "\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[34m",
                                       "\033[96m", "\033[93m", "\033[92m", "\033[95m", "\033[94m" };

struct attach
{
  struct up_cli *o;
  const cJSON *state;
  char **names;    /* attached containers */
  char **prefixes; /* "web-1" */
  int *colors;
  int width;
  bool color;
  const char *exited; /* --abort-on-container-exit: the first that stopped */
};

static void
print_line (void *opaque, const struct cc_log_line *l)
{
  struct attach *a = opaque;
  FILE *out = stdout;

  if (! a->o->no_log_prefix)
    {
      if (a->color)
        fprintf (out, "%s%-*s |\033[0m ", palette[a->colors[l->index] % CC_N_ELEMENTS (palette)], a->width,
                 a->prefixes[l->index]);
      else
        fprintf (out, "%-*s | ", a->width, a->prefixes[l->index]);
    }
  if (a->o->timestamps && l->time)
    fprintf (out, "%s ", l->time);
  fwrite (l->text, 1, l->len, out);
  fputc ('\n', out);
  fflush (out);
}

static bool
should_stop (void *opaque)
{
  struct attach *a = opaque;

  if (interrupts)
    return true;
  if (! a->o->abort_on_exit)
    return false;
  for (char **n = a->names; *n; n++)
    {
      cleanup_free char *status = cc_engine_container_status (*n, NULL);
      if (strcmp (status, "exited") == 0)
        {
          a->exited = *n;
          return true;
        }
    }
  return false;
}

static bool
is_attached (const struct up_cli *o, const char *service)
{
  if (o->attach && ! cc_strv_contains (o->attach, service))
    return false;
  return ! cc_strv_contains (o->no_attach, service);
}

/* Service index for the colour, "service-N" for the prefix.  */
static void
setup_attach (struct attach *a, const struct cc_project *p, char **all)
{
  cleanup_strv char **services = cc_project_service_names (p);
  const cJSON *containers = cJSON_GetObjectItemCaseSensitive (a->state, "containers");
  size_t n = cc_strv_len (all);

  a->names = xzalloc (sizeof (char *));
  a->prefixes = xzalloc (sizeof (char *));
  a->colors = xzalloc ((n + 1) * sizeof (int));
  n = 0;
  for (char **c = all; *c; c++)
    {
      const cJSON *e = cJSON_GetObjectItemCaseSensitive (containers, *c);
      const char *svc = cc_json_get_string (e, "service");
      char *prefix;
      if (svc == NULL || ! is_attached (a->o, svc))
        continue;
      prefix = xasprintf ("%s-%lld", svc, (long long)cc_json_get_int (e, "number", 1));
      a->width = (int)strlen (prefix) > a->width ? (int)strlen (prefix) : a->width;
      cc_strv_append (&a->names, *c);
      cc_strv_push (&a->prefixes, prefix);
      for (int i = 0; services[i]; i++)
        if (strcmp (services[i], svc) == 0)
          a->colors[n] = i;
      n++;
    }
}

static int
exit_code_of (const cJSON *state, const char *service)
{
  cleanup_strv char **names = cc_state_container_names (state, service, false);
  cleanup_cjson cJSON *st = NULL;

  if (*names == NULL || cc_runtime_state (names[0], &st, NULL) < 0)
    return CLI_EXIT_FAILURE;
  return (int)cc_json_get_int (st, "exit_code", 1);
}

static int
stop_all (struct attach *a, char **names, cc_error_t *err)
{
  struct cc_stop_opts so = { .timeout_ms = a->o->up.timeout_ms, .explain = true, .force = &interrupts };

  /* force fires on the second interrupt: count this one out.  */
  if (interrupts)
    {
      fprintf (stderr, "Gracefully stopping... (press Ctrl+C again to force)\n");
      interrupts = 0;
    }
  return cc_engine_stop (a->state, names, &so, err);
}

/* Attaching shows what ran since this up began, not the history of
   containers that were already there (second precision, as the logs').  */
static void
now_rfc3339 (char *buf, size_t len)
{
  time_t t = time (NULL);
  struct tm tm;

  gmtime_r (&t, &tm);
  strftime (buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

static int
attach (struct up_cli *o, const struct cc_project *p, char **all, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;
  struct attach a = { .o = o, .color = ! o->no_color && o->color };
  struct cc_log_opts lo = { .follow = true,
                            .tail = -1,
                            .since = o->since,
                            .settle_ms = 1500,
                            .fn = print_line,
                            .should_stop = should_stop,
                            .opaque = &a };
  cleanup_free char *list = NULL;
  bool was_interrupted;
  int ret = CLI_EXIT_OK;

  if (cc_state_open (p->name, false, &st, err) < 0)
    return -1;
  a.state = st->json;
  setup_attach (&a, p, all);
  list = cc_strv_join (a.prefixes, ", ");
  fprintf (stderr, "Attaching to %s\n", *list ? list : "nothing");
  cc_engine_logs (a.names, &lo, err);
  was_interrupted = interrupts > 0;
  if (was_interrupted || a.exited)
    {
      if (a.exited)
        fprintf (stderr, "%s exited: aborting\n", a.exited);
      if (stop_all (&a, all, err) < 0)
        ret = -1;
    }
  if (o->exit_code_from)
    ret = ret < 0 ? ret : exit_code_of (st->json, o->exit_code_from);
  else if (was_interrupted && ret == 0)
    ret = 130;
  cc_strv_free (a.names);
  cc_strv_free (a.prefixes);
  free (a.colors);
  return ret;
}

/* Ctrl-C while up was still starting things (waiting for a dependency):
   what it had started is stopped, as the contract says.  */
static int
stop_started (struct up_cli *o, const struct cc_project *p, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;
  cleanup_strv char **started = o->up.started;
  struct cc_stop_opts so = { .timeout_ms = o->up.timeout_ms, .explain = true, .force = &interrupts };

  cc_error_print (err);
  cc_error_release (err);
  o->up.started = NULL;
  fprintf (stderr, "Gracefully stopping... (press Ctrl+C again to force)\n");
  interrupts = 0;
  if (started && *started && cc_state_open (p->name, false, &st, err) == 0
      && cc_engine_stop (st->json, started, &so, err) < 0)
    return cli_fail (err);
  return 130;
}

/* Every container of the services this up runs.  */
static char **
project_containers (const struct cc_project *p, const struct up_cli *o, cc_error_t *err)
{
  cleanup_state struct cc_state *st = NULL;
  cleanup_strv char **services = NULL;
  char **v = xzalloc (sizeof (char *));

  if (cc_state_open (p->name, false, &st, err) < 0)
    return v;
  if (o->up.no_deps && o->up.services && *o->up.services)
    services = cc_strv_dup (o->up.services);
  else if (cc_compose_select (p, o->up.services, &services, err) < 0)
    return v;
  for (char **s = services; *s; s++)
    {
      cleanup_strv char **names = cc_state_container_names (st->json, *s, false);
      for (char **n = names; *n; n++)
        cc_strv_append (&v, *n);
    }
  return v;
}

int
cli_cmd_up (struct cli_global *g, int argc, char **argv)
{
  struct up_cli o = { .up = { .timeout_ms = -1, .wait_timeout_ms = -1, .parallel = g->parallel } };
  cleanup_project struct cc_project *p = NULL;
  cleanup_strv char **services = NULL, **attach_set = NULL, **scale = NULL, **at = NULL, **nat = NULL;
  cc_error_t err = NULL;
  struct sigaction sa = { .sa_handler = on_interrupt };
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
  if (o.up.pull && strcmp (o.up.pull, "always") == 0)
    fprintf (stderr, "ccompose: --pull always: no registry client yet, the images come from the local store\n");
  if (o.exit_code_from && cc_project_service (p, o.exit_code_from) == NULL)
    return cli_usage_error ("up", "--exit-code-from: no such service `%s`", o.exit_code_from);
  if (! o.detach)
    {
      sigaction (SIGINT, &sa, NULL);
      sigaction (SIGTERM, &sa, NULL);
    }
  now_rfc3339 (o.since, sizeof (o.since));
  ret = cc_engine_up (p, &o.up, &err);
  if (ret < 0 && interrupts && ! o.detach)
    return stop_started (&o, p, &err);
  cc_strv_free (o.up.started);
  if (ret < 0)
    return cli_fail (&err);
  if (o.detach || g->dry_run || o.up.no_start)
    return CLI_EXIT_OK;
  attach_set = project_containers (p, &o, &err);
  ret = attach (&o, p, attach_set, &err);
  if (ret < 0)
    return cli_fail (&err);
  return ret;
}
