/* Shared by the project commands: loading the project from the global
   options, printing errors.  */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/project.h"
#include "engine/logs.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

int
cli_load_project (const struct cli_global *g, char **services, struct cc_project **out, cc_error_t *err)
{
  struct cc_compose_options o = {
    .files = g->files,
    .project_name = g->project_name,
    .project_directory = g->project_directory,
    .profiles = g->profiles,
    .env_files = g->env_files,
    .no_dotenv = g->no_dotenv,
    .services = services,
    .ignore_unsupported = g->ignore_unsupported,
  };

  return cc_engine_load_project (&o, out, err);
}

/* `ccompose -p NAME down` works without a compose file, as Docker's does:
   the state has everything.  */
int
cli_project_name (const struct cli_global *g, struct cc_project **p, char **name, cc_error_t *err)
{
  cc_error_t load_err = NULL;

  *p = NULL;
  if (cli_load_project (g, NULL, p, &load_err) == 0)
    {
      *name = xstrdup ((*p)->name);
      return 0;
    }
  if (g->project_name == NULL)
    {
      *err = load_err;
      return -1;
    }
  cc_error_release (&load_err);
  *name = xstrdup (g->project_name);
  return 0;
}

int
cli_fail (cc_error_t *err)
{
  cc_error_print (err);
  cc_error_release (err);
  return CLI_EXIT_FAILURE;
}

void
cli_print_log_line (void *opaque, const struct cc_log_line *l)
{
  FILE *out = strcmp (l->stream, "stderr") == 0 ? stderr : stdout;

  (void)opaque;
  fwrite (l->text, 1, l->len, out);
  fputc ('\n', out);
  fflush (out);
}

int64_t
cli_parse_seconds (const char *text)
{
  char *end;
  double v = strtod (text, &end);

  /* `! (v >= 0)` also refuses "nan", which strtod accepts.  */
  if (*text == '\0' || *end != '\0' || ! (v >= 0 && v <= 1e9))
    return -1;
  return (int64_t)(v * 1000);
}

char **
cli_rest (int argc, char **argv)
{
  char **v = xzalloc (sizeof (char *));

  for (int i = optind; i < argc; i++)
    cc_strv_append (&v, argv[i]);
  return v;
}

static bool
has_containers (const cJSON *state, const char *service)
{
  cleanup_strv char **names = cc_state_container_names (state, service, false);
  return *names != NULL;
}

static int
check_services (const struct cli_target *t, char **services, cc_error_t *err)
{
  for (char **s = services; s && *s; s++)
    if (t->p ? cc_project_service (t->p, *s) == NULL : ! has_containers (t->st->json, *s))
      return cc_error_make (err, 0, "no such service: %s", *s);
  return 0;
}

int
cli_target_open (const struct cli_global *g, char **services, bool lock, struct cli_target *t, cc_error_t *err)
{
  memset (t, 0, sizeof (*t));
  if (cli_project_name (g, &t->p, &t->name, err) < 0 || cc_state_open (t->name, lock, &t->st, err) < 0)
    return -1;
  /* A responder that died comes back with the next command (issue 16);
     `up` and `run` start it anyway.  A dry run repairs nothing.  */
  if (! g->dry_run)
    cc_engine_dns_repair (t->name);
  if (check_services (t, services, err) < 0)
    return -1;
  t->containers = xzalloc (sizeof (char *));
  if (services == NULL || *services == NULL)
    {
      cc_strv_free (t->containers);
      t->containers = cc_state_container_names (t->st->json, NULL, false);
      return 0;
    }
  for (char **s = services; *s; s++)
    {
      cleanup_strv char **names = cc_state_container_names (t->st->json, *s, false);
      for (char **n = names; *n; n++)
        cc_strv_append (&t->containers, *n);
    }
  return 0;
}

void
cli_target_release (struct cli_target *t)
{
  if (t->p)
    cc_project_free (t->p);
  if (t->st)
    cc_state_free (t->st);
  free (t->name);
  cc_strv_free (t->containers);
  memset (t, 0, sizeof (*t));
}

void
cli_drop_orphans (struct cli_target *t)
{
  const cJSON *containers = cc_state_section (t->st, "containers");
  char **kept = xzalloc (sizeof (char *));

  for (char **n = t->containers; *n; n++)
    {
      const char *svc = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (containers, *n), "service");
      if (t->p == NULL || (svc && cc_project_service (t->p, svc)))
        cc_strv_append (&kept, *n);
    }
  cc_strv_free (t->containers);
  t->containers = kept;
}

void
cli_add_restart_dependents (struct cli_target *t, char *const *services)
{
  cleanup_strv char **set = NULL;

  if (t->p == NULL || services == NULL || *services == NULL)
    return;
  set = cc_engine_restart_set (t->p, services);
  for (char **s = set; *s; s++)
    {
      cleanup_strv char **names = NULL;
      if (cc_strv_contains ((char **)services, *s))
        continue;
      names = cc_state_container_names (t->st->json, *s, false);
      for (char **n = names; *n; n++)
        if (! cc_strv_contains (t->containers, *n))
          cc_strv_append (&t->containers, *n);
    }
}

char **
cli_containers_with_status (const struct cli_target *t, const char *const *statuses, bool negate)
{
  char **v = xzalloc (sizeof (char *));

  for (char **n = t->containers; *n; n++)
    {
      cleanup_free char *status = cc_engine_container_status (*n, NULL);
      bool match = false;
      for (const char *const *s = statuses; *s; s++)
        match = match || strcmp (*s, status) == 0;
      if (match != negate)
        cc_strv_append (&v, *n);
    }
  return v;
}

enum
{
  OPT_REMOVE_ORPHANS = 256,
  OPT_NO_DEPS,
  OPT_WAIT,
  OPT_WAIT_TIMEOUT,
};

/* The long options only one command takes.  */
static const struct
{
  const char *cmd;
  int opt;
} own_options[] = {
  { "kill", OPT_REMOVE_ORPHANS },
  { "restart", OPT_NO_DEPS },
  { "start", OPT_WAIT },
  { "start", OPT_WAIT_TIMEOUT },
};

static bool
is_allowed (const char *cmd, const char *shortopts, int c)
{
  if (c == 'h' || c == '?')
    return true;
  if (c == 'S')
    return strchr (shortopts, 'x') != NULL;
  if (c < 256)
    return strchr (shortopts, c) != NULL;
  for (size_t i = 0; i < CC_N_ELEMENTS (own_options); i++)
    if (own_options[i].opt == c && strcmp (own_options[i].cmd, cmd) == 0)
      return true;
  return false;
}

static const struct option common_options[] = {
  { "remove-orphans", no_argument, NULL, OPT_REMOVE_ORPHANS },
  { "no-deps", no_argument, NULL, OPT_NO_DEPS },
  { "wait", no_argument, NULL, OPT_WAIT },
  { "wait-timeout", required_argument, NULL, OPT_WAIT_TIMEOUT },
  { "timeout", required_argument, NULL, 't' },
  { "signal", required_argument, NULL, 's' },
  { "force", no_argument, NULL, 'f' },
  { "volumes", no_argument, NULL, 'v' },
  { "stop", no_argument, NULL, 'S' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
cli_parse_common (const char *cmd, const char *usage, const char *shortopts, int argc, char **argv,
                  struct cli_common *o)
{
  int c;

  o->timeout_ms = -1;
  o->wait_timeout_ms = -1;
  while ((c = getopt_long (argc, argv, shortopts, common_options, NULL)) != -1)
    {
      if (! is_allowed (cmd, shortopts, c))
        return cli_usage_error (cmd, "unknown option");
      switch (c)
        {
        case OPT_REMOVE_ORPHANS:
          o->remove_orphans = true;
          break;
        case OPT_NO_DEPS:
          o->no_deps = true;
          break;
        case OPT_WAIT:
          o->wait = true;
          break;
        case OPT_WAIT_TIMEOUT:
          if ((o->wait_timeout_ms = cli_parse_seconds (optarg)) < 0)
            return cli_usage_error (cmd, "invalid --wait-timeout `%s`", optarg);
          /* Compose: 0 is no limit.  */
          if (o->wait_timeout_ms == 0)
            o->wait_timeout_ms = -1;
          break;
        case 't':
          if ((o->timeout_ms = cli_parse_seconds (optarg)) < 0)
            return cli_usage_error (cmd, "invalid --timeout `%s`", optarg);
          break;
        case 's':
          /* rm -s is --stop; kill -s is --signal.  */
          if (strcmp (cmd, "rm") == 0)
            o->stop = true;
          else
            o->signal = optarg;
          break;
        case 'S':
          o->stop = true;
          break;
        case 'f':
          o->force = true;
          break;
        case 'v':
          o->volumes = true;
          break;
        case 'h':
          fputs (usage, stdout);
          return CLI_EXIT_OK;
        default:
          return cli_usage_error (cmd, "unknown option");
        }
    }
  o->services = cli_rest (argc, argv);
  return -1;
}

int
cli_open_common (const struct cli_global *g, const char *cmd, const char *usage, const char *shortopts, int argc,
                 char **argv, struct cli_common *o, struct cli_target *t)
{
  cc_error_t err = NULL;
  int ret = cli_parse_common (cmd, usage, shortopts, argc, argv, o);

  if (ret >= 0)
    return ret;
  if (cli_target_open (g, o->services, true, t, &err) < 0)
    {
      cli_target_release (t);
      return cli_fail (&err);
    }
  return -1;
}

void
cli_dry_run_report (char *const *names, const char *done)
{
  for (char *const *n = names; n && *n; n++)
    fprintf (stderr, " \u2714 DRY-RUN MODE -  Container %s  %s\n", *n, done);
}

int
cli_each_container (const struct cli_global *g, const char *cmd, const char *usage, int argc, char **argv,
                    const char *const *wanted, int (*op) (const char *id, cc_error_t *err), const char *done)
{
  cleanup_cli_common struct cli_common o = { 0 };
  struct cli_target t = { 0 };
  cleanup_strv char **names = NULL;
  cc_error_t err = NULL;
  int ret = cli_open_common (g, cmd, usage, "h", argc, argv, &o, &t);

  if (ret >= 0)
    return ret;
  names = cli_containers_with_status (&t, wanted, false);
  ret = CLI_EXIT_OK;
  if (g->dry_run)
    cli_dry_run_report (names, done);
  for (char **n = names; ! g->dry_run && *n; n++)
    {
      if (op (*n, &err) < 0)
        {
          ret = cli_fail (&err);
          continue;
        }
      cc_progress_compact ("Container", *n, done);
    }
  cli_target_release (&t);
  return ret;
}
