/* `ccompose system check [--fix] [--all] [--format text|json]`: the
   residue check.  The engine judges (engine/residue.c); this prints.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/finding.h"
#include "lib/json.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose system [OPTIONS] COMMAND\n\n"
      "Host-wide maintenance\n\n"
      "Commands:\n"
      "  check [--fix] [--all] [--format text|json]\n"
      "        List host resources with ccompose's names (iptables chains and rules, cc* interfaces,\n"
      "        mounts, netns files, cgroups, monitor and DNS responder processes, state files) that\n"
      "        belong to no live project; --fix removes them.  Rules and interfaces are looked for in every network\n"
      "        namespace the root's networks live in.  --all judges every state root on the host,\n"
      "        not only this one (CCOMPOSE_STATE_DIR, CCOMPOSE_DATA_DIR).  Firewall rules live networks\n"
      "        need and another tool took away (\"missing: ...\"), or another firewall's forward drop\n"
      "        they are not yet accepted in, are problems too; --fix puts them back.\n"
      "        Exit status: 0 nothing left, 1 residue remains (or the check failed).\n"
      "  boot\n"
      "        After the host restarts, bring back the services with `restart: always` (and\n"
      "        `unless-stopped` ones no one stopped) of every project `up` recorded under the data\n"
      "        directory: networks, firewall rules and containers in dependency order, as `up -d`\n"
      "        would, from the model as it was at that `up`.  Run at startup by ccompose-boot.service.\n"
      "        What runs already is kept; a project that cannot come back is reported and the others\n"
      "        go on.  Exit status: 0 all came back, 1 one or more failed.\n";

/* ---- output ------------------------------------------------------------- */

static cJSON *
findings_json (const struct cc_findings *f)
{
  cJSON *arr = cJSON_CreateArray ();

  for (size_t i = 0; i < f->n; i++)
    {
      cleanup_free char *what = cc_finding_describe (&f->v[i]);
      cJSON *o = cJSON_CreateObject ();
      cc_json_set_string (o, "kind", f->v[i].kind);
      cc_json_set_string (o, "what", what);
      cJSON_AddItemToArray (arr, o);
    }
  return arr;
}

static void
print_findings (const struct cc_findings *f, const char *verb)
{
  for (size_t i = 0; i < f->n; i++)
    {
      cleanup_free char *what = cc_finding_describe (&f->v[i]);
      printf ("%s%-13s %s\n", verb, f->v[i].kind, what);
    }
}

struct report
{
  bool json;
  bool all; /* several roots: a header line for each */
  bool fix;
  cJSON *roots; /* JSON output, one object per root */
  bool dirty;
};

static void
report_root (const struct cc_residue_root *r, void *opaque)
{
  struct report *rep = opaque;

  rep->dirty |= r->left.n > 0 || r->errors != NULL;
  if (rep->json)
    {
      cJSON *o = cJSON_CreateObject ();
      cc_json_set_string (o, "state_dir", r->state_dir);
      cc_json_set_string (o, "data_dir", r->data_dir);
      cc_json_set (o, "residue", findings_json (&r->left));
      if (rep->fix)
        cc_json_set (o, "fixed", findings_json (&r->found));
      if (r->errors)
        cc_json_set_string (o, "error", r->errors);
      cJSON_AddItemToArray (rep->roots, o);
      return;
    }
  if (rep->all)
    printf ("== state root %s\n", r->state_dir);
  if (rep->fix)
    print_findings (&r->found, "removing ");
  print_findings (&r->left, rep->fix ? "left      " : "");
  if (r->errors)
    fprintf (stderr, "ccompose: system check of `%s`: %s\n", r->state_dir, r->errors);
  if (r->left.n == 0 && r->errors == NULL)
    printf ("no residue in %s (data %s)\n", r->state_dir, r->data_dir);
}

static int
cmd_check (int argc, char **argv)
{
  static const struct option opts[] = {
    { "fix", no_argument, NULL, 'f' },
    { "all", no_argument, NULL, 'a' },
    { "format", required_argument, NULL, 'F' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error cc_error_t err = NULL;
  cleanup_cjson cJSON *roots = cJSON_CreateArray ();
  struct report r = { .roots = roots };
  bool fix = false, all = false;
  int c;

  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        fix = true;
        break;
      case 'a':
        all = true;
        break;
      case 'F':
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "text") != 0 && strcmp (optarg, "table") != 0)
          return cli_usage_error ("system check", "--format: want text or json, not `%s`", optarg);
        r.json = strcmp (optarg, "json") == 0;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("system check", "unknown option");
      }
  if (optind < argc)
    return cli_usage_error ("system check", "unexpected argument `%s`", argv[optind]);
  r.all = all;
  r.fix = fix;
  if (cc_engine_residue_check (fix, all, report_root, &r, &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  if (r.json)
    {
      cleanup_free char *text = NULL;
      cleanup_cjson cJSON *doc = cJSON_CreateObject ();
      cJSON_AddBoolToObject (doc, "clean", ! r.dirty);
      cc_json_set (doc, "roots", steal_pointer (&roots));
      text = cJSON_Print (doc);
      puts (text);
    }
  return r.dirty ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int
cmd_boot (const struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct cc_boot_opts o = { .parallel = g->parallel };
  cc_error_t err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    {
      if (c != 'h')
        return cli_usage_error ("system boot", "unknown option");
      fputs (usage, stdout);
      return CLI_EXIT_OK;
    }
  if (optind < argc)
    return cli_usage_error ("system boot", "unexpected argument `%s`", argv[optind]);
  if (cc_engine_boot (&o, &err) < 0)
    {
      cc_error_print (&err);
      cc_error_release (&err);
      return CLI_EXIT_FAILURE;
    }
  return CLI_EXIT_OK;
}

int
cli_cmd_system (struct cli_global *g, int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    {
      fputs (usage, argc < 2 ? stderr : stdout);
      return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
  if (strcmp (argv[1], "check") == 0)
    return cmd_check (argc - 1, argv + 1);
  if (strcmp (argv[1], "boot") == 0)
    return cmd_boot (g, argc - 1, argv + 1);
  return cli_usage_error ("system", "unknown command `%s`", argv[1]);
}
