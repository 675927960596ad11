/* `ccompose commit`: a service container's changes as a new image
   (engine/commit.c makes it), printed as Docker prints its id.  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"

static const char usage[] = "Usage: ccompose commit [OPTIONS] SERVICE [REPOSITORY[:TAG]]\n\n"
                            "Create a new image from a service container's changes\n\n"
                            "Options:\n"
                            "  -a, --author string    Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")\n"
                            "  -c, --change list      Apply Dockerfile instruction to the created image\n"
                            "      --index int        index of the container if service has multiple replicas.\n"
                            "  -m, --message string   Commit message\n"
                            "  -p, --pause            Pause container during commit (default true)\n"
                            "  -h, --help             Show this help\n";

enum
{
  OPT_INDEX = 256,
  OPT_PAUSE,
};

struct commit_args
{
  struct cc_commit_opts o;
  char **changes;
  int index;
};

/* --pause=false, as Go's flag package reads a boolean.  */
static int
parse_bool (const char *text, bool *out)
{
  static const struct
  {
    const char *text;
    bool value;
  } words[] = {
    { "1", true },  { "t", true },  { "T", true },  { "true", true },   { "TRUE", true },   { "True", true },
    { "0", false }, { "f", false }, { "F", false }, { "false", false }, { "FALSE", false }, { "False", false },
  };

  for (size_t i = 0; i < sizeof (words) / sizeof (words[0]); i++)
    if (strcmp (text, words[i].text) == 0)
      {
        *out = words[i].value;
        return 0;
      }
  return -1;
}

static int
parse (int argc, char **argv, struct commit_args *a)
{
  static const struct option options[] = {
    { "author", required_argument, NULL, 'a' },
    { "change", required_argument, NULL, 'c' },
    { "index", required_argument, NULL, OPT_INDEX },
    { "message", required_argument, NULL, 'm' },
    { "pause", optional_argument, NULL, OPT_PAUSE },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  char *end;
  int c;

  while ((c = getopt_long (argc, argv, "a:c:m:ph", options, NULL)) != -1)
    switch (c)
      {
      case 'a':
        a->o.author = optarg;
        break;
      case 'c':
        cc_strv_append (&a->changes, optarg);
        break;
      case 'm':
        a->o.message = optarg;
        break;
      case 'p':
        a->o.pause = true;
        break;
      case OPT_PAUSE:
        if (optarg && parse_bool (optarg, &a->o.pause) < 0)
          return cli_usage_error ("commit", "invalid boolean value `%s` for --pause", optarg);
        if (optarg == NULL)
          a->o.pause = true;
        break;
      case OPT_INDEX:
        a->index = (int)strtol (optarg, &end, 10);
        if (*end || *optarg == '\0' || a->index < 1)
          return cli_usage_error ("commit", "invalid --index `%s`", optarg);
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("commit", "unknown option");
      }
  if (argc - optind < 1 || argc - optind > 2)
    return cli_usage_error ("commit", "requires at least 1 and at most 2 arguments: SERVICE [REPOSITORY[:TAG]]");
  return -1;
}

int
cli_cmd_commit (struct cli_global *g, int argc, char **argv)
{
  struct commit_args a = { .o = { .pause = true }, .index = 1 };
  cleanup_strv char **changes = NULL;
  struct cli_target t = { 0 };
  cleanup_free char *name = NULL;
  cleanup_free char *id = NULL;
  cc_error_t err = NULL;
  int ret = parse (argc, argv, &a);
  const char *service;

  changes = a.changes;
  if (ret >= 0)
    return ret;
  service = argv[optind];
  a.o.ref = argv[optind + 1];
  a.o.changes = changes;
  if (cli_target_open (g, (char *[]){ (char *)service, NULL }, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  name = cc_engine_recorded_container_name (t.st ? t.st->json : NULL, t.name, service, a.index);
  a.o.container = name;
  if (g->dry_run)
    {
      cli_target_release (&t);
      fprintf (stderr, " \u2714 DRY-RUN MODE -  Container %s  Would commit\n", name);
      return CLI_EXIT_OK;
    }
  ret = cc_engine_commit (t.st ? t.st->json : NULL, &a.o, &id, &err);
  cli_target_release (&t);
  if (ret < 0)
    return cli_fail (&err);
  printf ("%s\n", id);
  return CLI_EXIT_OK;
}
