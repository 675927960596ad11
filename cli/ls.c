/* `ccompose ls`: every project with state on this host, as Docker Compose
   lists them: NAME, STATUS (running(2), exited(1)), CONFIG FILES.  */
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "cli/table.h"
#include "engine/engine.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[] = "Usage: ccompose ls [OPTIONS]\n\n"
                            "List running compose projects\n\n"
                            "Options:\n"
                            "  -a, --all             Show all stopped Compose projects\n"
                            "      --filter filter   Filter output based on conditions provided (name=REGEXP)\n"
                            "      --format string   Format the output: table or json (default \"table\")\n"
                            "  -q, --quiet           Only display project names\n"
                            "  -h, --help            Show this help\n";

static const struct option options[] = {
  { "all", no_argument, NULL, 'a' },          { "filter", required_argument, NULL, 'f' },
  { "format", required_argument, NULL, 'F' }, { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
};

/* -q prints the NAME column alone.  */
static const struct cli_column columns[] = {
  { "NAME", 20, 0, "Name", NULL },
  { "STATUS", 24, 0, "Status", NULL },
  { "CONFIG FILES", 0, 0, "ConfigFiles", NULL },
};

/* "running(2), exited(1)" in Docker's order of states.  */
static char *
project_status (const cJSON *state, bool *running)
{
  static const char *const order[] = { "running", "restarting", "paused", "created", "exited", "missing" };
  cleanup_strv char **names = cc_state_container_names (state, NULL, false);
  int counts[CC_N_ELEMENTS (order)] = { 0 };
  struct cc_buf b = { 0 };

  for (char **n = names; *n; n++)
    {
      cleanup_free char *s = cc_engine_container_status (*n, NULL);
      for (size_t i = 0; i < CC_N_ELEMENTS (order); i++)
        if (strcmp (s, order[i]) == 0)
          counts[i]++;
    }
  *running = counts[0] > 0;
  for (size_t i = 0; i < CC_N_ELEMENTS (order); i++)
    if (counts[i])
      cc_buf_printf (&b, "%s%s(%d)", b.len ? ", " : "", order[i], counts[i]);
  cc_buf_puts (&b, "");
  return cc_buf_steal (&b);
}

static void
cleanup_regex_fn (regex_t **re)
{
  if (*re)
    regfree (*re);
}

/* Docker's name filter is a regular expression matched anywhere in the
   name (filters.Args.Match); the only key `docker compose ls` accepts.  */
static int
add_name_filter (regex_t *re, bool *have, const char *text)
{
  if (*have || strncmp (text, "name=", 5) != 0)
    return cli_usage_error ("ls", "invalid filter `%s` (name=REGEXP, once)", text);
  if (regcomp (re, text + 5, REG_EXTENDED | REG_NOSUB) != 0)
    return cli_usage_error ("ls", "invalid filter `%s`: bad regular expression", text);
  *have = true;
  return 0;
}

int
cli_cmd_ls (struct cli_global *g, int argc, char **argv)
{
  bool all = false, quiet = false, json = false, have_name = false;
  regex_t name_re;
  __attribute__ ((cleanup (cleanup_regex_fn))) regex_t *armed = NULL;
  cleanup_strv char **projects = NULL;
  cleanup_cjson cJSON *rows = cJSON_CreateArray ();
  cc_error_t err = NULL;
  int c;

  (void)g;
  while ((c = getopt_long (argc, argv, "aqh", options, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'f':
        if (add_name_filter (&name_re, &have_name, optarg) != 0)
          return CLI_EXIT_USAGE;
        armed = &name_re;
        break;
      case 'q':
        quiet = true;
        break;
      case 'F':
        if (cli_table_format ("ls", optarg, &json) != 0)
          return CLI_EXIT_USAGE;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("ls", "unknown option");
      }
  if (optind < argc)
    return cli_usage_error ("ls", "unexpected argument `%s`", argv[optind]);
  if (cc_state_projects (&projects, &err) < 0)
    return cli_fail (&err);
  for (char **p = projects; *p; p++)
    {
      cleanup_state struct cc_state *st = NULL;
      cleanup_free char *status = NULL, *files = NULL;
      const cJSON *cf;
      cleanup_strv char **fv = xzalloc (sizeof (char *));
      bool running;
      cJSON *row;
      if (have_name && regexec (&name_re, *p, 0, NULL, 0) != 0)
        continue;
      if (cc_state_open (*p, false, &st, &err) < 0)
        {
          cc_error_release (&err);
          continue;
        }
      status = project_status (st->json, &running);
      if (! all && ! running)
        continue;
      cf = cJSON_GetObjectItemCaseSensitive (st->json, "config_files");
      for (const cJSON *f = cf ? cf->child : NULL; f; f = f->next)
        if (cJSON_IsString (f))
          cc_strv_append (&fv, f->valuestring);
      files = cc_strv_join (fv, ",");
      row = cJSON_CreateObject ();
      cc_json_set_string (row, "Name", *p);
      cc_json_set_string (row, "Status", status);
      cc_json_set_string (row, "ConfigFiles", files);
      cJSON_AddItemToArray (rows, row);
    }
  cli_table_print (rows, columns, CC_N_ELEMENTS (columns), json, quiet ? &columns[0] : NULL);
  return CLI_EXIT_OK;
}
