/* `ccompose ps`: the project's containers, as Docker Compose lists them.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "cli/template.h"
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
      "      --filter string   Filter services by a property (status=STATUS, service=SERVICE,\n"
      "                        label=KEY or label=KEY=VALUE)\n"
      "      --format string   Format output using a custom template:\n"
      "                        'table': Print output in table format with column headers (default)\n"
      "                        'table TEMPLATE': Print output in table format using the given Go template\n"
      "                        'json': Print in JSON format\n"
      "                        'TEMPLATE': Print output using the given Go template\n"
      "      --no-trunc        Don't truncate output\n"
      "  -q, --quiet           Only display IDs\n"
      "      --services        Display services\n"
      "      --status stringArray  Filter services by status: created, restarting, running, removing, paused,\n"
      "                        exited, dead\n"
      "  -h, --help            Show this help\n";

enum
{
  OPT_FILTER = 256,
  OPT_FORMAT,
  OPT_NO_TRUNC,
  OPT_SERVICES,
  OPT_STATUS,
};

static const struct option options[] = {
  { "all", no_argument, NULL, 'a' },
  { "filter", required_argument, NULL, OPT_FILTER },
  { "format", required_argument, NULL, OPT_FORMAT },
  { "no-trunc", no_argument, NULL, OPT_NO_TRUNC },
  { "quiet", no_argument, NULL, 'q' },
  { "services", no_argument, NULL, OPT_SERVICES },
  { "status", required_argument, NULL, OPT_STATUS },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static const char *const statuses[] = { "created", "restarting", "running", "removing", "paused", "exited", "dead" };

struct ps_opts
{
  bool all, quiet, services, no_trunc;
  const char *format; /* NULL: Docker's table */
  char **status;
  char **service_filter, **label_filter; /* --filter service=, label= */
};

static bool
is_status (const char *s)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (statuses); i++)
    if (strcmp (s, statuses[i]) == 0)
      return true;
  return false;
}

/* Docker's filters: the same key twice is either, different keys are all.  */
static int
add_filter (struct ps_opts *o, const char *text)
{
  const char *eq = strchr (text, '=');
  size_t klen = eq ? (size_t)(eq - text) : 0;

  if (eq == NULL || eq[1] == '\0')
    return -1;
  if (klen == 6 && strncmp (text, "status", 6) == 0 && is_status (eq + 1))
    cc_strv_append (&o->status, eq + 1);
  else if (klen == 7 && strncmp (text, "service", 7) == 0)
    cc_strv_append (&o->service_filter, eq + 1);
  else if (klen == 5 && strncmp (text, "label", 5) == 0)
    cc_strv_append (&o->label_filter, eq + 1);
  else
    return -1;
  return 0;
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
      case OPT_FILTER:
        if (add_filter (o, optarg) < 0)
          return cli_usage_error ("ps", "invalid --filter `%s` (status=STATUS, service=SERVICE, label=KEY[=VALUE])",
                                  optarg);
        break;
      case OPT_FORMAT:
        o->format = strcmp (optarg, "table") == 0 ? NULL : optarg;
        break;
      case OPT_NO_TRUNC:
        o->no_trunc = true;
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

/* label=KEY: it has the label; label=KEY=VALUE: with that value.  */
static bool
has_label (const cJSON *labels, const char *filter)
{
  const char *eq = strchr (filter, '=');
  cleanup_free char *key = eq ? xstrndup (filter, (size_t)(eq - filter)) : xstrdup (filter);
  const char *value = cc_json_get_string (labels, key);

  return value && (eq == NULL || strcmp (value, eq + 1) == 0);
}

static bool
matches_labels (const struct ps_opts *o, const cJSON *labels)
{
  bool any = o->label_filter == NULL;

  for (char **f = o->label_filter; f && *f && ! any; f++)
    any = has_label (labels, *f);
  return any;
}

static bool
is_shown (const struct ps_opts *o, const cJSON *info, const cJSON *labels)
{
  const char *state = cc_json_get_string (info, "State");

  if (o->service_filter && ! cc_strv_contains (o->service_filter, cc_json_get_string (info, "Service")))
    return false;
  if (! matches_labels (o, labels))
    return false;
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
        {
          const char *url = cc_json_get_string (p, "URL");
          /* An IPv6 address in brackets, as Docker prints "[::]:8080->80/tcp".  */
          cc_buf_printf (&b, strchr (url, ':') ? "[%s]:%lld->" : "%s:%lld->", url, (long long)pub);
        }
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

/* "python3 -m flask ru…" quoted, as Docker truncates to 20 columns
   (counted in characters, as Go's runes).  */
static char *
command_text (const char *cmd, bool trunc)
{
  size_t len = 0, i = 0;

  for (; cmd[i] && len < 20; i++)
    len += ((unsigned char)cmd[i] & 0xc0) != 0x80;
  while (cmd[i] && ((unsigned char)cmd[i] & 0xc0) == 0x80)
    i++;
  if (! trunc || cmd[i] == '\0')
    return xasprintf ("\"%s\"", cmd);
  for (len = 0, i = 0; cmd[i] && len < 19; i++)
    len += ((unsigned char)cmd[i] & 0xc0) != 0x80;
  while (cmd[i] && ((unsigned char)cmd[i] & 0xc0) == 0x80)
    i++;
  return xasprintf ("\"%.*s\u2026\"", (int)i, cmd);
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
print_table (const cJSON *rows)
{
  static const char *const head[] = { "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS" };
  size_t n = (size_t)cJSON_GetArraySize (rows), w[7];
  cleanup_free char **cells = xzalloc ((n + 1) * 7 * sizeof (char *));
  time_t now = time (NULL);
  size_t r = 0;

  for (size_t i = 0; i < 7; i++)
    w[i] = width_of (head[i]);
  for (const cJSON *row = rows->child; row; row = row->next, r++)
    {
      cleanup_free char *age = cc_engine_human_duration (now - cc_json_get_int (row, "Created", now));
      cells[r * 7 + 0] = xstrdup (cc_json_get_string (row, "Name"));
      cells[r * 7 + 1] = xstrdup (cc_json_get_string (row, "Image"));
      cells[r * 7 + 2] = xstrdup (cc_json_get_string (row, "Command"));
      cells[r * 7 + 3] = xstrdup (cc_json_get_string (row, "Service"));
      cells[r * 7 + 4] = xasprintf ("%s ago", age);
      cells[r * 7 + 5] = xstrdup (cc_json_get_string (row, "Status"));
      cells[r * 7 + 6] = xstrdup (cc_json_get_string (row, "Ports"));
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

/* Docker's stringutils.Ellipsis: N characters at most, the last "…".  */
static char *
ellipsis (const char *s, size_t n)
{
  size_t i = 0, len = 0;

  if (width_of (s) <= n)
    return xstrdup (s);
  for (; s[i] && len < n - 1; i++)
    len += ((unsigned char)s[i] & 0xc0) != 0x80;
  while (s[i] && ((unsigned char)s[i] & 0xc0) == 0x80)
    i++;
  return xasprintf ("%.*s\u2026", (int)i, s);
}

/* Each mount's name cut to 15 characters, as `docker ps` shows them.  */
static char *
mounts_text (const char *mounts, bool trunc)
{
  cleanup_strv char **v = cc_strv_split (mounts, ',', true);
  cleanup_strv char **out = xzalloc (sizeof (char *));

  for (char **m = v; *m; m++)
    cc_strv_push (&out, trunc ? ellipsis (*m, 15) : xstrdup (*m));
  return cc_strv_join (out, ",");
}

/* Go's time.Time.String() of the local time: "2026-12-07 15:00:24 +0000 UTC".  */
static char *
created_at_text (time_t t)
{
  struct tm tm;
  char buf[64];

  localtime_r (&t, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  return xstrdup (buf);
}

/* The fields of Docker's container formatter (ID cut to 12 characters,
   Command quoted and cut, CreatedAt, RunningFor, Ports, Size) over the
   engine's, which --format json and templates read.  */
static void
docker_fields (cJSON *row, bool trunc)
{
  time_t created = (time_t)cc_json_get_int (row, "Created", 0);
  cleanup_free char *id = xstrdup (cc_json_get_string (row, "ID"));
  cleanup_free char *cmd = command_text (cc_json_get_string (row, "Command"), trunc);
  cleanup_free char *mounts = mounts_text (cc_json_get_string (row, "Mounts"), trunc);
  cleanup_free char *at = created_at_text (created);
  cleanup_free char *age = cc_engine_human_duration (time (NULL) - created);
  cleanup_free char *running_for = xasprintf ("%s ago", age);
  cleanup_free char *ports = ports_text (row);

  if (trunc && strlen (id) > 12)
    id[12] = '\0';
  cc_json_set_string (row, "ID", id);
  cc_json_set_string (row, "Command", cmd);
  cc_json_set_string (row, "Mounts", mounts);
  cc_json_set_string (row, "CreatedAt", at);
  cc_json_set_string (row, "RunningFor", running_for);
  cc_json_set_string (row, "Ports", ports);
  cc_json_set_string (row, "Size", "0B");
}

static const struct cli_header headers[] = {
  { "ID", "CONTAINER ID" },
  { "Name", "NAME" },
  { "Names", "NAMES" },
  { "Image", "IMAGE" },
  { "Command", "COMMAND" },
  { "Service", "SERVICE" },
  { "CreatedAt", "CREATED AT" },
  { "RunningFor", "CREATED" },
  { "Status", "STATUS" },
  { "State", "STATE" },
  { "Ports", "PORTS" },
  { "Publishers", "PUBLISHERS" },
  { "Mounts", "MOUNTS" },
  { "LocalVolumes", "LOCAL VOLUMES" },
  { "Networks", "NETWORKS" },
  { "Labels", "LABELS" },
  { "Size", "SIZE" },
  { "Project", "PROJECT" },
  { "ExitCode", "EXIT CODE" },
  { "Health", "HEALTH" },
};

static int
print_rows (const struct ps_opts *o, const cJSON *rows, const cJSON *labels, cc_error_t *err)
{
  cleanup_strv char **seen = xzalloc (sizeof (char *));

  if (o->services || o->quiet)
    {
      for (const cJSON *row = rows->child; row; row = row->next)
        {
          const char *svc = cc_json_get_string (row, "Service");
          if (o->quiet)
            puts (cc_json_get_string (row, "ID"));
          else if (! cc_strv_contains (seen, svc))
            {
              cc_strv_append (&seen, svc);
              puts (svc);
            }
        }
      return 0;
    }
  if (o->format == NULL)
    {
      print_table (rows);
      return 0;
    }
  return cli_format_rows (o->format, rows, headers, CC_N_ELEMENTS (headers), labels, err);
}

int
cli_cmd_ps (struct cli_global *g, int argc, char **argv)
{
  struct ps_opts o = { 0 };
  struct cli_target t;
  cleanup_strv char **services = NULL, **status = NULL, **sf = NULL, **lf = NULL;
  cleanup_cjson cJSON *rows = cJSON_CreateArray (), *labels = cJSON_CreateArray ();
  cc_error_t err = NULL;
  int ret = parse (&o, argc, argv);

  status = o.status, sf = o.service_filter, lf = o.label_filter;
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
      cJSON *l = cc_engine_container_labels (*n, entry);
      if (! is_shown (&o, info, l))
        {
          cJSON_Delete (info);
          cJSON_Delete (l);
          continue;
        }
      /* -q prints whole ids, as Docker Compose does.  */
      if (! o.quiet)
        docker_fields (info, ! o.no_trunc);
      cJSON_AddItemToArray (rows, info);
      cJSON_AddItemToArray (labels, l);
    }
  ret = print_rows (&o, rows, labels, &err);
  cli_target_release (&t);
  return ret < 0 ? cli_fail (&err) : CLI_EXIT_OK;
}
