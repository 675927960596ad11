/* The command-line front end: global options and the subcommand table.  */
#ifndef CC_CLI_H
#define CC_CLI_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"
#include "lib/version.h"

struct cli_global
{
  char **files;            /* -f/--file, COMPOSE_FILE */
  char *project_name;      /* -p/--project-name, COMPOSE_PROJECT_NAME */
  char *project_directory; /* --project-directory */
  char **profiles;         /* --profile, COMPOSE_PROFILES */
  char **env_files;        /* --env-file, COMPOSE_ENV_FILES */
  bool dry_run;            /* --dry-run */
  bool ignore_unsupported; /* --ignore-unsupported */
  const char *ansi;        /* never | always | auto */
  int parallel;            /* --parallel, COMPOSE_PARALLEL_LIMIT; -1 = unlimited */
  const char *progress;    /* --progress, COMPOSE_PROGRESS; NULL: auto */
  bool ignore_orphans;     /* COMPOSE_IGNORE_ORPHANS: no orphan warning */
  bool remove_orphans;     /* COMPOSE_REMOVE_ORPHANS: --remove-orphans by default */
  bool no_dotenv;          /* COMPOSE_DISABLE_ENV_FILE: no default .env */
};

typedef int (*cli_command_fn) (struct cli_global *g, int argc, char **argv);

struct cli_command
{
  const char *name;
  cli_command_fn fn;
  const char *summary;
  bool hidden; /* low-level commands left out of --help */
};

/* Exit codes, as Docker Compose: 0 success, 1 failure, 2 usage error.  */
enum
{
  CLI_EXIT_OK = 0,
  CLI_EXIT_FAILURE = 1,
  CLI_EXIT_USAGE = 2,
};

const struct cli_command *cli_find_command (const char *name);
/* Print "ccompose COMMAND: MSG" plus a hint and return CLI_EXIT_USAGE.  */
int cli_usage_error (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* A command made of subcommands (image, volume): run the one ARGV[1]
   names with ARGV shifted by one, or print USAGE.  */
struct cli_subcommand
{
  const char *name;
  int (*fn) (int argc, char **argv);
};
int cli_run_subcommand (const char *cmd, const char *usage, const struct cli_subcommand *table, size_t n, int argc,
                        char **argv);
/* `NOUN inspect [-f FORMAT] WHAT...` (cli/objects.c): INSPECT's JSON of
   each name in one array, or each through a Go template.  */
typedef int (*cli_inspect_fn) (const char *name, cJSON **out, cc_error_t *err);
int cli_inspect_objects (const char *noun, const char *what, cli_inspect_fn inspect, int argc, char **argv);
/* Docker's prompt before a prune: "WARNING! " WARNING, then [y/N].  */
bool cli_confirm (const char *warning);
/* True when stdout should be coloured under --ansi.  */
bool cli_use_color (const struct cli_global *g);

/* How `logs` and attached `up` print a container's line (cli/logline.c):
   Docker Compose v2's "label  | " prefix, padded to the longest label
   plus one, in the colour of the label's service.  */
struct cc_log_line;
struct cli_log_look
{
  char **labels; /* "web-1", by the line's index */
  int *colors;   /* the colour of each label */
  int width;
  bool color, prefix, timestamps;
};
void cli_log_look_set (struct cli_log_look *k, char *const *labels, const int *colors);
/* A cc_log_fn; OPAQUE is the struct cli_log_look.  */
void cli_log_look_print (void *opaque, const struct cc_log_line *l);
void cli_log_look_release (struct cli_log_look *k);

/* `convert` and `config --format kubernetes`: convert, print the report
   on stderr (and as JSON to O->report), then write the manifests unless
   a key would be dropped without O->allow_lossy.  */
struct cc_kube_opts;
int cli_convert_run (const struct cli_global *g, struct cc_kube_opts *o);

/* `image build` (cli/builder.c), dispatched by cli/image.c.  */
int cli_image_build (int argc, char **argv);

/* One per subcommand, each defined in cli/<name>.c (runtime, netdev, balance
   in cli/tools.c).  */
#define CLI_COMMAND(name) int cli_cmd_##name (struct cli_global *g, int argc, char **argv)
CLI_COMMAND (attach);
CLI_COMMAND (build);
CLI_COMMAND (builder);
CLI_COMMAND (commit);
CLI_COMMAND (config);
CLI_COMMAND (convert);
CLI_COMMAND (cp);
CLI_COMMAND (create);
CLI_COMMAND (down);
CLI_COMMAND (events);
CLI_COMMAND (exec);
CLI_COMMAND (export);
CLI_COMMAND (image);
CLI_COMMAND (images);
CLI_COMMAND (kill);
CLI_COMMAND (logs);
CLI_COMMAND (ls);
CLI_COMMAND (pause);
CLI_COMMAND (port);
CLI_COMMAND (ps);
CLI_COMMAND (pull);
CLI_COMMAND (push);
CLI_COMMAND (restart);
CLI_COMMAND (rm);
CLI_COMMAND (run);
CLI_COMMAND (scale);
CLI_COMMAND (start);
CLI_COMMAND (stats);
CLI_COMMAND (stop);
CLI_COMMAND (system);
CLI_COMMAND (top);
CLI_COMMAND (unpause);
CLI_COMMAND (up);
CLI_COMMAND (version);
CLI_COMMAND (wait);
CLI_COMMAND (watch);
CLI_COMMAND (runtime);
CLI_COMMAND (netdev);
CLI_COMMAND (network);
CLI_COMMAND (balance);
CLI_COMMAND (journal);
CLI_COMMAND (volume);
CLI_COMMAND (volumes);

/* `docker volume ls`'s output of VOLUMES (the engine's inspect objects):
   FORMAT table, json or a Go template (cli/template.h); QUIET the names.  */
int cli_print_volumes (const cJSON *volumes, const char *format, bool quiet);
/* LABELS ({"k": "v"...}) as Docker's formatters show them: "k=v,k2=v2".  */
char *cli_joined_labels (const cJSON *labels);

#endif
