#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/log.h"
#include "../lib/paths.h"
#include "../lib/strv.h"
#include "../lib/tool.h"
#include "../lib/xalloc.h"
#include "cli.h"

/* Subcommands in the order `ccompose --help` lists them.  */
static const struct cli_command commands[] = {
  { "attach", cli_cmd_attach, "Attach to a service's running container", false },
  { "build", cli_cmd_build, "Build or rebuild services", false },
  { "builder", cli_cmd_builder, "Manage the build cache (prune)", false },
  { "commit", cli_cmd_commit, "Create a new image from a service container's changes", false },
  { "config", cli_cmd_config, "Parse, resolve and render the compose file in canonical format", false },
  { "convert", cli_cmd_convert, "Convert the compose file to Kubernetes manifests, reporting every key", false },
  { "cp", cli_cmd_cp, "Copy files/folders between a service container and the local filesystem", false },
  { "create", cli_cmd_create, "Create containers for services", false },
  { "down", cli_cmd_down, "Stop and remove containers, networks", false },
  { "events", cli_cmd_events, "Receive real time events from containers", false },
  { "exec", cli_cmd_exec, "Execute a command in a running container", false },
  { "export", cli_cmd_export, "Export a service container's filesystem as a tar archive", false },
  { "image", cli_cmd_image,
    "Manage the local image store (build, load, save, import, pull, push, ls, inspect, rm, prune)", false },
  { "images", cli_cmd_images, "List images used by the created containers", false },
  { "kill", cli_cmd_kill, "Force stop service containers", false },
  { "logs", cli_cmd_logs, "View output from containers", false },
  { "ls", cli_cmd_ls, "List running compose projects", false },
  { "network", cli_cmd_network, "Manage networks (create, ls, inspect, rm, prune)", false },
  { "pause", cli_cmd_pause, "Pause services", false },
  { "port", cli_cmd_port, "Print the public port for a port binding", false },
  { "ps", cli_cmd_ps, "List containers", false },
  { "pull", cli_cmd_pull, "Pull service images", false },
  { "push", cli_cmd_push, "Push service images", false },
  { "restart", cli_cmd_restart, "Restart service containers", false },
  { "rm", cli_cmd_rm, "Remove stopped service containers", false },
  { "run", cli_cmd_run, "Run a one-off command on a service", false },
  { "scale", cli_cmd_scale, "Scale services", false },
  { "start", cli_cmd_start, "Start services", false },
  { "stats", cli_cmd_stats, "Display a live stream of container(s) resource usage statistics", false },
  { "stop", cli_cmd_stop, "Stop services", false },
  { "system", cli_cmd_system,
    "Host-level tasks: find and remove residue (check), bring projects back after a reboot (boot)", false },
  { "top", cli_cmd_top, "Display the running processes", false },
  { "unpause", cli_cmd_unpause, "Unpause services", false },
  { "up", cli_cmd_up, "Create and start containers", false },
  { "version", cli_cmd_version, "Show the ccompose version information", false },
  { "volume", cli_cmd_volume, "Manage volumes (create, ls, inspect, rm, prune)", false },
  { "volumes", cli_cmd_volumes, "List volumes", false },
  { "wait", cli_cmd_wait, "Block until containers of all (or specified) services stop", false },
  { "watch", cli_cmd_watch, "Watch build context for service and rebuild/refresh containers when files are updated",
    false },
  { "runtime", cli_cmd_runtime, "Low-level container operations (tests, benchmarks, debugging)", true },
  { "netdev", cli_cmd_netdev, "Low-level network operations (tests, benchmarks, debugging)", true },
  { "balance", cli_cmd_balance, "Put the project's serving replicas in their balancers (containers' monitors)", true },
  { "journal", cli_cmd_journal, "Record a container's change in the project's events (containers' monitors)", true },
};

static const char global_usage[]
    = "Usage:  ccompose [OPTIONS] COMMAND\n\n"
      "Define and run multi-container applications, daemonless.\n\n"
      "Options:\n"
      "      --all-resources              Include all resources, even those not used by services\n"
      "      --ansi string                Control when to print ANSI control characters\n"
      "                                   (\"never\"|\"always\"|\"auto\") (default \"auto\")\n"
      "      --compatibility              Run compose in backward compatibility mode (container names with `_`)\n"
      "      --dry-run                    Execute command in dry run mode\n"
      "      --env-file stringArray       Specify an alternate environment file\n"
      "  -f, --file stringArray           Compose configuration files\n"
      "      --ignore-unsupported         Warn about keys ccompose cannot honour yet instead of failing\n"
      "      --log-level string           Set the logging level (\"debug\"|\"info\"|\"warn\"|\"error\"|\"fatal\")\n"
      "      --parallel int               Control max parallelism, -1 for unlimited (default -1)\n"
      "      --profile stringArray        Specify a profile to enable\n"
      "      --progress string            Set type of progress output (auto, tty, plain, json, quiet)\n"
      "      --project-directory string   Specify an alternate working directory\n"
      "                                   (default: the path of the, first specified, Compose file)\n"
      "  -p, --project-name string        Project name\n"
      "      --verbose                    Show debug output (same as --log-level debug)\n"
      "  -v, --version                    Show the ccompose version information\n"
      "  -h, --help                       Show this help\n\n"
      "Commands:\n";

const struct cli_command *
cli_find_command (const char *name)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static void
print_global_usage (FILE *out)
{
  fputs (global_usage, out);
  for (size_t i = 0; i < CC_N_ELEMENTS (commands); i++)
    if (! commands[i].hidden)
      fprintf (out, "  %-10s  %s\n", commands[i].name, commands[i].summary);
  fputs ("\nRun 'ccompose COMMAND --help' for more information on a command.\n", out);
}

int
cli_usage_error (const char *cmd, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  cc_usage_errorv (cmd, fmt, ap);
  va_end (ap);
  return CLI_EXIT_USAGE;
}

int
cli_run_subcommand (const char *cmd, const char *usage, const struct cli_subcommand *table, size_t n, int argc,
                    char **argv)
{
  if (argc < 2 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    {
      fputs (usage, argc < 2 ? stderr : stdout);
      return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
  for (size_t i = 0; i < n; i++)
    if (strcmp (argv[1], table[i].name) == 0)
      {
        optind = 0;
        return table[i].fn (argc - 1, argv + 1);
      }
  return cli_usage_error (cmd, "unknown command `%s`", argv[1]);
}

bool
cli_use_color (const struct cli_global *g)
{
  if (strcmp (g->ansi, "always") == 0)
    return true;
  if (strcmp (g->ansi, "never") == 0 || getenv ("NO_COLOR"))
    return false;
  return isatty (STDOUT_FILENO);
}

static void
global_release (struct cli_global *g)
{
  cc_strv_free (g->files);
  cc_strv_free (g->profiles);
  cc_strv_free (g->env_files);
  free (g->project_name);
  free (g->project_directory);
}

/* Go's strconv.ParseBool, as Compose reads its boolean variables:
   1, t, T, TRUE, true, True; anything else is false.  */
static bool
env_bool (const char *name)
{
  static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
  const char *v = getenv (name);

  for (size_t i = 0; v && i < CC_N_ELEMENTS (yes); i++)
    if (strcmp (v, yes[i]) == 0)
      return true;
  return false;
}

/* Environment first; flags given on the command line replace it.  */
static void
global_from_env (struct cli_global *g)
{
  const char *v;

  g->ansi = "auto";
  g->parallel = -1;
  if ((v = getenv ("COMPOSE_FILE")) && *v)
    g->files = cc_strv_split (v, ':', true);
  if ((v = getenv ("COMPOSE_PROJECT_NAME")) && *v)
    g->project_name = xstrdup (v);
  if ((v = getenv ("COMPOSE_PROFILES")) && *v)
    g->profiles = cc_strv_split (v, ',', true);
  if ((v = getenv ("COMPOSE_ENV_FILES")) && *v)
    g->env_files = cc_strv_split (v, ',', true);
  if ((v = getenv ("COMPOSE_PARALLEL_LIMIT")) && *v)
    g->parallel = atoi (v);
  if ((v = getenv ("COMPOSE_ANSI")) && *v)
    g->ansi = v;
  if ((v = getenv ("COMPOSE_PROGRESS")) && *v)
    g->progress = v;
  g->ignore_orphans = env_bool ("COMPOSE_IGNORE_ORPHANS");
  g->remove_orphans = env_bool ("COMPOSE_REMOVE_ORPHANS");
  g->no_dotenv = env_bool ("COMPOSE_DISABLE_ENV_FILE");
  if (env_bool ("COMPOSE_COMPATIBILITY"))
    cc_paths_set_compatibility (true);
}

enum
{
  OPT_ALL_RESOURCES = 256,
  OPT_ANSI,
  OPT_COMPATIBILITY,
  OPT_DRY_RUN,
  OPT_ENV_FILE,
  OPT_IGNORE_UNSUPPORTED,
  OPT_LOG_LEVEL,
  OPT_PARALLEL,
  OPT_PROFILE,
  OPT_PROGRESS,
  OPT_PROJECT_DIRECTORY,
  OPT_VERBOSE,
};

static const struct option global_options[] = {
  { "all-resources", no_argument, NULL, OPT_ALL_RESOURCES },
  { "ansi", required_argument, NULL, OPT_ANSI },
  { "compatibility", no_argument, NULL, OPT_COMPATIBILITY },
  { "dry-run", no_argument, NULL, OPT_DRY_RUN },
  { "env-file", required_argument, NULL, OPT_ENV_FILE },
  { "file", required_argument, NULL, 'f' },
  { "ignore-unsupported", no_argument, NULL, OPT_IGNORE_UNSUPPORTED },
  { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
  { "parallel", required_argument, NULL, OPT_PARALLEL },
  { "profile", required_argument, NULL, OPT_PROFILE },
  { "progress", required_argument, NULL, OPT_PROGRESS },
  { "project-directory", required_argument, NULL, OPT_PROJECT_DIRECTORY },
  { "project-name", required_argument, NULL, 'p' },
  { "verbose", no_argument, NULL, OPT_VERBOSE },
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static bool
is_ansi_value (const char *v)
{
  return strcmp (v, "never") == 0 || strcmp (v, "always") == 0 || strcmp (v, "auto") == 0;
}

/* Returns the index of the command word, or a negative exit code - 1.  */
static int
parse_global (struct cli_global *g, int argc, char **argv, bool *cli_files, bool *cli_profiles, bool *cli_env_files)
{
  int c;

  while ((c = getopt_long (argc, argv, "+f:p:vh", global_options, NULL)) != -1)
    {
      switch (c)
        {
        case 'f':
          if (! *cli_files)
            {
              cc_strv_free (g->files);
              g->files = NULL;
              *cli_files = true;
            }
          cc_strv_append (&g->files, optarg);
          break;
        case 'p':
          free (g->project_name);
          g->project_name = xstrdup (optarg);
          break;
        case OPT_PROJECT_DIRECTORY:
          free (g->project_directory);
          g->project_directory = xstrdup (optarg);
          break;
        case OPT_PROFILE:
          if (! *cli_profiles)
            {
              cc_strv_free (g->profiles);
              g->profiles = NULL;
              *cli_profiles = true;
            }
          cc_strv_append (&g->profiles, optarg);
          break;
        case OPT_ENV_FILE:
          if (! *cli_env_files)
            {
              cc_strv_free (g->env_files);
              g->env_files = NULL;
              *cli_env_files = true;
            }
          cc_strv_append (&g->env_files, optarg);
          break;
        case OPT_DRY_RUN:
          g->dry_run = true;
          break;
        case OPT_PROGRESS:
          g->progress = optarg;
          break;
        case OPT_COMPATIBILITY:
          cc_paths_set_compatibility (true);
          break;
        case OPT_ALL_RESOURCES:
          /* What ccompose always does: every network and volume of the
             file is in the project, used by a service or not.  */
          break;
        case OPT_IGNORE_UNSUPPORTED:
          g->ignore_unsupported = true;
          break;
        case OPT_ANSI:
          if (! is_ansi_value (optarg))
            return -1 - cli_usage_error (NULL, "invalid --ansi value `%s` (never, always, auto)", optarg);
          g->ansi = optarg;
          break;
        case OPT_PARALLEL:
          g->parallel = atoi (optarg);
          break;
        case OPT_LOG_LEVEL:
          if (cc_log_set_level (optarg) < 0)
            return -1 - cli_usage_error (NULL, "invalid --log-level `%s` (debug, info, warn, error, fatal)", optarg);
          break;
        case OPT_VERBOSE:
          cc_log_threshold = CC_LOG_DEBUG;
          break;
        case 'v':
          optind = 0;
          return -1 - cli_cmd_version (g, 1, (char *[]){ "version", NULL });
        case 'h':
          print_global_usage (stdout);
          return -1 - CLI_EXIT_OK;
        default:
          return -1 - cli_usage_error (NULL, "unknown global option");
        }
    }
  return optind;
}

int
main (int argc, char **argv)
{
  struct cli_global g = { 0 };
  bool cli_files = false, cli_profiles = false, cli_env_files = false;
  const struct cli_command *cmd;
  int idx, ret;

  global_from_env (&g);
  idx = parse_global (&g, argc, argv, &cli_files, &cli_profiles, &cli_env_files);
  if (idx < 0)
    {
      global_release (&g);
      return -1 - idx;
    }
  if (g.progress && cc_progress_set_mode (g.progress) < 0)
    {
      ret = cli_usage_error (NULL, "invalid --progress `%s` (auto, tty, plain, json, quiet)", g.progress);
      global_release (&g);
      return ret;
    }
  if (idx >= argc)
    {
      print_global_usage (stderr);
      global_release (&g);
      return CLI_EXIT_USAGE;
    }
  cmd = cli_find_command (argv[idx]);
  if (cmd == NULL)
    {
      ret = cli_usage_error (NULL, "unknown command `%s`", argv[idx]);
      global_release (&g);
      return ret;
    }
  /* Each command parses its own options with getopt from the start, and
     prints its own usage for -h/--help.  */
  optind = 0;
  ret = cmd->fn (&g, argc - idx, argv + idx);
  global_release (&g);
  return ret;
}
