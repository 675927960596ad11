/* `ccompose ps`: the project's containers, as Docker Compose lists them.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose ps [OPTIONS] [SERVICE...]\n\n"
      "List containers\n\n"
      "Options:\n"
      "  -a, --all             Show all stopped containers (including those created by the run command)\n"
      "      --format string   Format the output: table or json (default \"table\")\n"
      "  -q, --quiet           Only display IDs\n"
      "      --services        Display services\n"
      "      --status stringArray  Filter services by status: created, restarting, running, removing, paused,\n"
      "                        exited, dead\n"
      "  -h, --help            Show this help\n";

enum
{
  OPT_FORMAT = 256,
  OPT_SERVICES,
  OPT_STATUS,
};

static const struct option options[] = {
  { "all", no_argument, NULL, 'a' },
  { "format", required_argument, NULL, OPT_FORMAT },
  { "quiet", no_argument, NULL, 'q' },
  { "services", no_argument, NULL, OPT_SERVICES },
  { "status", required_argument, NULL, OPT_STATUS },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static const char *const statuses[] = { "created", "restarting", "running", "removing", "paused", "exited", "dead" };

struct ps_opts
{
  bool all, json, quiet, services;
  char **status;
};

static bool
is_status (const char *s)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (statuses); i++)
    if (strcmp (s, statuses[i]) == 0)
      return true;
  return false;
}

static int
parse (struct ps_opts *o, int argc, char **argv)
{
  int c;

  while ((c = getopt_long (argc, argv, "aqh", options, NULL)) != -1)
    switch (c)
      {
      case 'a':
        o->all = true;
        break;
      case OPT_FORMAT:
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "table") != 0)
          return cli_usage_error ("ps", "invalid --format `%s` (table, json)", optarg);
        o->json = strcmp (optarg, "json") == 0;
        break;
      case 'q':
        o->quiet = true;
        break;
      case OPT_SERVICES:
        o->services = true;
        break;
      case OPT_STATUS:
        if (! is_status (optarg))
          return cli_usage_error ("ps", "invalid --status `%s`", optarg);
        cc_strv_append (&o->status, optarg);
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("ps", "unknown option");
      }
  return -1;
}

static bool
is_shown (const struct ps_opts *o, const cJSON *info)
{
  const char *state = cc_json_get_string (info, "State");

  if (o->status)
    return cc_strv_contains (o->status, state);
  return o->all || strcmp (state, "running") == 0 || strcmp (state, "restarting") == 0 || strcmp (state, "paused") == 0;
}

/* Docker's PORTS column: 0.0.0.0:5000->5000/tcp, 6379/tcp.  */
static char *
ports_text (const cJSON *info)
{
  struct cc_buf b = { 0 };

  for (const cJSON *p = cJSON_GetObjectItemCaseSensitive (info, "Publishers")->child; p; p = p->next)
    {
      int64_t pub = cc_json_get_int (p, "PublishedPort", 0);
      if (b.len)
        cc_buf_puts (&b, ", ");
      if (pub)
        cc_buf_printf (&b, "%s:%lld->", cc_json_get_string (p, "URL"), (long long)pub);
      cc_buf_printf (&b, "%lld/%s", (long long)cc_json_get_int (p, "TargetPort", 0),
                     cc_json_get_string (p, "Protocol"));
      /* A replica behind a shared port that takes no new connection
         (starting, unhealthy, stopping: issue 16).  */
      if (! cc_json_get_bool (p, "Serving", true))
        cc_buf_puts (&b, " (not serving)");
    }
  cc_buf_puts (&b, "");
  return cc_buf_steal (&b);
}

/* "python3 -m flask ru…" quoted, as Docker truncates to 20 columns.  */
static char *
command_text (const char *cmd)
{
  size_t len = strlen (cmd);
  return len > 20 ? xasprintf ("\"%.19s\u2026\"", cmd) : xasprintf ("\"%s\"", cmd);
}

/* Columns are as wide as what shows: count characters, not UTF-8 bytes.  */
static size_t
width_of (const char *s)
{
  size_t n = 0;

  for (; *s; s++)
    n += ((unsigned char)*s & 0xc0) != 0x80;
  return n;
}

static void
print_cell (const char *s, size_t width, bool last)
{
  if (last)
    {
      puts (s);
      return;
    }
  fputs (s, stdout);
  for (size_t i = width_of (s); i < width + 3; i++)
    putchar (' ');
}

static void
print_table (cJSON *rows)
{
  static const char *const head[] = { "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS" };
  size_t n = (size_t)cJSON_GetArraySize (rows), w[7];
  cleanup_free char **cells = xzalloc ((n + 1) * 7 * sizeof (char *));
  time_t now = time (NULL);
  size_t r = 0;

  for (size_t i = 0; i < 7; i++)
    w[i] = width_of (head[i]);
  for (cJSON *row = rows->child; row; row = row->next, r++)
    {
      cleanup_free char *age = cc_engine_human_duration (now - cc_json_get_int (row, "Created", now));
      cells[r * 7 + 0] = xstrdup (cc_json_get_string (row, "Name"));
      cells[r * 7 + 1] = xstrdup (cc_json_get_string (row, "Image"));
      cells[r * 7 + 2] = command_text (cc_json_get_string (row, "Command"));
      cells[r * 7 + 3] = xstrdup (cc_json_get_string (row, "Service"));
      cells[r * 7 + 4] = xasprintf ("%s ago", age);
      cells[r * 7 + 5] = xstrdup (cc_json_get_string (row, "Status"));
      cells[r * 7 + 6] = ports_text (row);
      for (size_t i = 0; i < 7; i++)
        w[i] = width_of (cells[r * 7 + i]) > w[i] ? width_of (cells[r * 7 + i]) : w[i];
    }
  for (size_t i = 0; i < 7; i++)
    print_cell (head[i], w[i], i == 6);
  for (size_t k = 0; k < n; k++)
    for (size_t i = 0; i < 7; i++)
      {
        print_cell (cells[k * 7 + i], w[i], i == 6);
        free (cells[k * 7 + i]);
      }
}

static void
print_rows (const struct ps_opts *o, cJSON *rows)
{
  cleanup_strv char **seen = xzalloc (sizeof (char *));

  for (cJSON *row = rows->child; row; row = row->next)
    {
      const char *svc = cc_json_get_string (row, "Service");
      if (o->services && ! cc_strv_contains (seen, svc))
        {
          cc_strv_append (&seen, svc);
          puts (svc);
        }
      else if (o->quiet)
        puts (cc_json_get_string (row, "ID"));
      else if (o->json)
        {
          cleanup_free char *text = cJSON_PrintUnformatted (row);
          puts (text);
        }
    }
  if (! o->services && ! o->quiet && ! o->json)
    print_table (rows);
}

int
cli_cmd_ps (struct cli_global *g, int argc, char **argv)
{
  struct ps_opts o = { 0 };
  struct cli_target t;
  cleanup_strv char **services = NULL, **status = NULL;
  cleanup_cjson cJSON *rows = cJSON_CreateArray ();
  cc_error_t err = NULL;
  int ret = parse (&o, argc, argv);

  status = o.status;
  if (ret >= 0)
    return ret;
  services = cli_rest (argc, argv);
  if (cli_target_open (g, services, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  if (o.all)
    {
      cleanup_strv char **oneoff = cc_state_container_names (t.st->json, NULL, true);
      for (char **n = oneoff; *n; n++)
        cc_strv_append (&t.containers, *n);
    }
  for (char **n = t.containers; *n; n++)
    {
      const cJSON *entry = cJSON_GetObjectItemCaseSensitive (cc_state_section (t.st, "containers"), *n);
      cJSON *info = cc_engine_container_info (t.name, *n, entry);
      if (is_shown (&o, info))
        cJSON_AddItemToArray (rows, info);
      else
        cJSON_Delete (info);
    }
  print_rows (&o, rows);
  cli_target_release (&t);
  return CLI_EXIT_OK;
}
