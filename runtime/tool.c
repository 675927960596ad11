/* `ccompose runtime`: the hidden low-level container commands used by
   tests and benchmarks (lib/tool.h).  Parses, calls runtime/runtime.h,
   prints.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/tool.h"
#include "runtime/runtime.h"

static const char usage[]
    = "Usage: ccompose runtime [OPTIONS] COMMAND ID\n\n"
      "Low-level container operations (tests, benchmarks, debugging)\n\n"
      "Commands:\n"
      "  run --spec FILE [--rm] [-d] ID   create and start; without -d wait, print the logs,\n"
      "                                   exit with the container's code\n"
      "  create --spec FILE ID            create (the process waits before exec)\n"
      "  start ID                         start a created or exited container\n"
      "  state ID                         print the state as JSON\n"
      "  stop [-t SECONDS] ID             stop signal, SIGKILL after the grace period; prints a report\n"
      "  kill [-s SIGNAL] ID              send a signal to PID 1 (default SIGKILL)\n"
      "  exec [-t] [-u USER] [-w DIR] [-e K=V]... ID CMD [ARGS...]\n"
      "  pause ID | unpause ID | delete ID | logs ID | list\n"
      "  wait [--timeout MS] ID           wait for the final exit, print the exit code\n";

#define SUBCMD_USAGE(cmd) cc_usage_error ("runtime", "%s: expected a container id", cmd)

static int
fail (cc_error_t *err)
{
  return cc_exit_failure (err);
}

/* One id and nothing else after the options.  */
static const char *
single_id (int argc, char **argv)
{
  return optind == argc - 1 ? argv[optind] : NULL;
}

static int
load_spec (const char *path, struct cc_runtime_spec **spec, cc_error_t *err)
{
  if (path == NULL)
    return cc_error_make (err, 0, "--spec FILE is required");
  return cc_runtime_spec_load (path, spec, err);
}

static int
cmd_run (int argc, char **argv, bool create_only)
{
  static const struct option opts[] = {
    { "spec", required_argument, NULL, 's' },
    { "rm", no_argument, NULL, 'r' },
    { "detach", no_argument, NULL, 'd' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_runtime_spec struct cc_runtime_spec *spec = NULL;
  cleanup_error cc_error_t err = NULL;
  const char *spec_path = NULL, *id;
  bool rm = false, detach = create_only;
  int c, code;

  while ((c = getopt_long (argc, argv, "s:d", opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        spec_path = optarg;
        break;
      case 'r':
        rm = true;
        break;
      case 'd':
        detach = true;
        break;
      default:
        return cc_usage_error ("runtime", "%s: unknown option", argv[0]);
      }
  if ((id = single_id (argc, argv)) == NULL)
    return SUBCMD_USAGE (argv[0]);
  if (load_spec (spec_path, &spec, &err) < 0)
    return fail (&err);
  if ((create_only ? cc_runtime_create (id, spec, &err) : cc_runtime_run (id, spec, &err)) < 0)
    {
      /* cc_runtime_create leaves naming the container to its callers.  */
      cc_error_wrap (&err, "container `%s`", id);
      cc_runtime_delete (id, NULL);
      return fail (&err);
    }
  if (detach)
    return CC_EXIT_OK;
  code = cc_runtime_wait (id, -1, &err);
  fflush (stdout);
  if (code < 0 || cc_runtime_logs (id, 1, 2, &err) < 0)
    return fail (&err);
  if (rm && cc_runtime_delete (id, &err) < 0)
    return fail (&err);
  return code;
}

static int
cmd_run_attached (int argc, char **argv)
{
  return cmd_run (argc, argv, false);
}

static int
cmd_create (int argc, char **argv)
{
  return cmd_run (argc, argv, true);
}

static int
cmd_simple (int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*fn) (const char *id, cc_error_t *err);
  } simple[] = {
    { "start", cc_runtime_start },   { "pause", cc_runtime_pause }, { "unpause", cc_runtime_unpause },
    { "delete", cc_runtime_delete }, { "rm", cc_runtime_delete },
  };
  cleanup_error cc_error_t err = NULL;
  const char *id = argc == 2 ? argv[1] : NULL;

  if (id == NULL)
    return SUBCMD_USAGE (argv[0]);
  for (size_t i = 0; i < CC_N_ELEMENTS (simple); i++)
    if (strcmp (simple[i].name, argv[0]) == 0)
      return simple[i].fn (id, &err) < 0 ? fail (&err) : CC_EXIT_OK;
  return cc_usage_error ("runtime", "unknown command `%s`", argv[0]);
}

static int
cmd_state (int argc, char **argv)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_cjson cJSON *st = NULL;
  cleanup_free char *text = NULL;

  if (argc != 2)
    return SUBCMD_USAGE (argv[0]);
  if (cc_runtime_state (argv[1], &st, &err) < 0)
    return fail (&err);
  text = cJSON_Print (st);
  puts (text);
  return CC_EXIT_OK;
}

static int
cmd_logs (int argc, char **argv)
{
  cleanup_error cc_error_t err = NULL;

  if (argc != 2)
    return SUBCMD_USAGE (argv[0]);
  return cc_runtime_logs (argv[1], 1, 2, &err) < 0 ? fail (&err) : CC_EXIT_OK;
}

static int
cmd_list (int argc, char **argv)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_strv char **ids = NULL;

  if (argc != 1)
    return cc_usage_error ("runtime", "%s: unexpected argument", argv[0]);
  if (cc_runtime_list (&ids, &err) < 0)
    return fail (&err);
  for (char **i = ids; *i; i++)
    puts (*i);
  return CC_EXIT_OK;
}

static int
cmd_stop (int argc, char **argv)
{
  static const struct option opts[] = { { "time", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 } };
  cleanup_error cc_error_t err = NULL;
  struct cc_runtime_stop_report r;
  int64_t grace = -1;
  const char *id;
  char *end;
  int c;

  while ((c = getopt_long (argc, argv, "t:", opts, NULL)) != -1)
    {
      if (c != 't')
        return cc_usage_error ("runtime", "stop: unknown option");
      double secs = strtod (optarg, &end);
      if (*end != '\0' || secs < 0 || secs > 86400)
        return cc_usage_error ("runtime", "stop: invalid --time `%s`", optarg);
      grace = (int64_t)(secs * 1000);
    }
  if ((id = single_id (argc, argv)) == NULL)
    return SUBCMD_USAGE (argv[0]);
  if (cc_runtime_stop (id, grace, &r, &err) < 0)
    return fail (&err);
  printf ("{\"was_running\":%s,\"signal_caught\":%s,\"killed\":%s,\"elapsed_ms\":%lld}\n",
          r.was_running ? "true" : "false", r.signal_caught ? "true" : "false", r.killed ? "true" : "false",
          (long long)r.elapsed_ms);
  if (r.was_running && ! r.signal_caught)
    fprintf (stderr, "ccompose: container `%s`: PID 1 has no handler for the stop signal%s\n", id,
             r.killed ? ": it was killed after the grace period" : "");
  return CC_EXIT_OK;
}

static int
cmd_kill (int argc, char **argv)
{
  cleanup_error cc_error_t err = NULL;
  const char *id;
  int c, sig = 9;

  while ((c = getopt (argc, argv, "s:")) != -1)
    {
      if (c != 's')
        return cc_usage_error ("runtime", "kill: unknown option");
      if (cc_runtime_parse_signal (optarg, &sig, &err) < 0)
        {
          cc_error_print (&err);
          return CC_EXIT_USAGE;
        }
    }
  if ((id = single_id (argc, argv)) == NULL)
    return SUBCMD_USAGE (argv[0]);
  return cc_runtime_kill (id, sig, &err) < 0 ? fail (&err) : CC_EXIT_OK;
}

static int
cmd_exec (int argc, char **argv)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_strv char **env = NULL;
  struct cc_runtime_exec_opts o = { 0 };
  int c, code;

  while ((c = getopt (argc, argv, "+tu:w:e:")) != -1)
    switch (c)
      {
      case 't':
        o.tty = true;
        break;
      case 'u':
        o.user = optarg;
        break;
      case 'w':
        o.cwd = optarg;
        break;
      case 'e':
        cc_strv_append (&env, optarg);
        break;
      default:
        return cc_usage_error ("runtime", "exec: unknown option");
      }
  if (argc - optind < 2)
    return cc_usage_error ("runtime", "exec: expected ID CMD [ARGS...]");
  o.args = argv + optind + 1;
  o.env = env;
  fflush (stdout);
  code = cc_runtime_exec (argv[optind], &o, &err);
  if (code < 0)
    return fail (&err);
  cc_error_print (&err);
  return code;
}

static int
cmd_wait (int argc, char **argv)
{
  static const struct option opts[] = { { "timeout", required_argument, NULL, 'T' }, { NULL, 0, NULL, 0 } };
  cleanup_error cc_error_t err = NULL;
  int64_t timeout = -1;
  const char *id;
  int c, code;

  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    {
      if (c != 'T')
        return cc_usage_error ("runtime", "wait: unknown option");
      timeout = strtoll (optarg, NULL, 10);
    }
  if ((id = single_id (argc, argv)) == NULL)
    return SUBCMD_USAGE (argv[0]);
  code = cc_runtime_wait (id, timeout, &err);
  if (code < 0 && err)
    return fail (&err);
  printf ("%d\n", code);
  return CC_EXIT_OK;
}

/* argv[-1] is "runtime": the whole argument area, for the title.  */
static int
cmd_monitor (int argc, char **argv)
{
  int status_fd;
  bool start_now;
  const char *id;

  if (cc_runtime_monitor_args (argc, argv, &status_fd, &start_now, &id) < 0)
    return SUBCMD_USAGE (argv[0]);
  return cc_runtime_monitor_main (id, status_fd, start_now, argv - 1);
}

static const struct
{
  const char *name;
  int (*fn) (int argc, char **argv);
} subcommands[] = {
  { "run", cmd_run_attached }, { "create", cmd_create },   { "state", cmd_state },  { "logs", cmd_logs },
  { "list", cmd_list },        { "stop", cmd_stop },       { "kill", cmd_kill },    { "exec", cmd_exec },
  { "wait", cmd_wait },        { "monitor", cmd_monitor }, { "start", cmd_simple }, { "pause", cmd_simple },
  { "unpause", cmd_simple },   { "delete", cmd_simple },   { "rm", cmd_simple },
};

int
cc_runtime_tool (const char *project, int argc, char **argv)
{
  (void)project;
  if (argc < 2 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    {
      fputs (usage, argc < 2 ? stderr : stdout);
      return argc < 2 ? CC_EXIT_USAGE : CC_EXIT_OK;
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (subcommands); i++)
    if (strcmp (subcommands[i].name, argv[1]) == 0)
      {
        /* The subcommand's own getopt pass: argv[0] is its name.  */
        optind = 0;
        return subcommands[i].fn (argc - 1, argv + 1);
      }
  return cc_usage_error ("runtime", "unknown command `%s`", argv[1]);
}
