/* Helpers shared by the project commands in cli/: load the project from
   the global options, print an error once.  */
#ifndef CC_CLI_PROJECT_H
#define CC_CLI_PROJECT_H

#include <stdlib.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/error.h"

/* A project command's target: the project, its state, and the containers
   of the services named on the command line (all when none).  */
struct cli_target
{
  struct cc_project *p; /* NULL when only -p named the project */
  char *name;
  struct cc_state *st;
  char **containers;
};
int cli_target_open (const struct cli_global *g, char **services, bool lock, struct cli_target *t, cc_error_t *err);
void cli_target_release (struct cli_target *t);

/* Load the compose project the global options name; SERVICES (may be NULL)
   are the services named on the command line.  */
int cli_load_project (const struct cli_global *g, char **services, struct cc_project **out, cc_error_t *err);
/* The project's name: -p when given, else from the compose file.  *P gets
   the loaded project when there is one (NULL when only -p worked).  */
int cli_project_name (const struct cli_global *g, struct cc_project **p, char **name, cc_error_t *err);
/* Print *ERR once and return CLI_EXIT_FAILURE.  */
int cli_fail (cc_error_t *err);
/* A container's log line as it came, on stdout or stderr as it was
   written (attach, run): a cc_log_fn of engine/logs.h.  */
struct cc_log_line;
void cli_print_log_line (void *opaque, const struct cc_log_line *l);
/* "10", "1.5": seconds to milliseconds; -1 when invalid.  */
int64_t cli_parse_seconds (const char *text);
/* NULL-terminated copy of argv[optind..argc).  */
char **cli_rest (int argc, char **argv);

/* Leave out of T's containers those of services the compose file no
   longer has (Compose's orphans), when a compose file was found.  */
void cli_drop_orphans (struct cli_target *t);
/* Add to T's containers those of the services `restart` takes along
   with the ones named (cc_engine_restart_set).  */
void cli_add_restart_dependents (struct cli_target *t, char *const *services);

/* The containers of T whose runtime status is one of STATUSES
   (NULL-terminated), or not one of them with NEGATE.  */
char **cli_containers_with_status (const struct cli_target *t, const char *const *statuses, bool negate);
/* --dry-run (Compose's global flag): what the command would do to each
   of NAMES, in the words it would print, marked as Compose marks a dry
   run; nothing is done.  */
void cli_dry_run_report (char *const *names, const char *done);

/* Parse the options every simple project command shares (-t/--timeout,
   -s/--signal, -f, -v, -h, and the long options only some commands take:
   kill --remove-orphans, restart --no-deps, start --wait and
   --wait-timeout), in OPTS; returns -1 to go on or an exit code.  */
struct cli_common
{
  int64_t timeout_ms; /* -1 = the container's */
  const char *signal;
  bool force, volumes, stop;
  bool remove_orphans, no_deps, wait;
  int64_t wait_timeout_ms; /* -1: no limit */
  char **services;
};
int cli_parse_common (const char *cmd, const char *usage, const char *shortopts, int argc, char **argv,
                      struct cli_common *o);
static inline void
cli_common_release (struct cli_common *o)
{
  for (char **s = o->services; s && *s; s++)
    free (*s);
  free (o->services);
  o->services = NULL;
}
#define cleanup_cli_common __attribute__ ((cleanup (cli_common_release)))

/* The prelude of the simple project commands: parse the common options,
   then open the target of the services they name.  Returns -1 to go on
   (T is open: release it), or an exit code.  */
int cli_open_common (const struct cli_global *g, const char *cmd, const char *usage, const char *shortopts, int argc,
                     char **argv, struct cli_common *o, struct cli_target *t);
/* pause, unpause: OP on each selected container whose status is one of
   WANTED, reporting " ✔ Container NAME  DONE" for each.  */
int cli_each_container (const struct cli_global *g, const char *cmd, const char *usage, int argc, char **argv,
                        const char *const *wanted, int (*op) (const char *id, cc_error_t *err), const char *done);

#endif
