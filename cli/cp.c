/* `ccompose cp`: parse SERVICE:PATH and the flags, pick the containers,
   and hand each copy to the engine (engine/cp.c).  */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[] = "Usage: ccompose cp [OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n"
                            "       ccompose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH\n\n"
                            "Copy files/folders between a service container and the local filesystem\n\n"
                            "Options:\n"
                            "      --all             Include containers created by the run command (deprecated)\n"
                            "  -a, --archive         Archive mode (copy all uid/gid information)\n"
                            "  -L, --follow-link     Always follow symbol link in SRC_PATH\n"
                            "      --index int       Index of the container if service has multiple replicas\n"
                            "  -h, --help            Show this help\n";

enum
{
  OPT_ALL = 256,
  OPT_INDEX,
};

struct cp_cli
{
  int index; /* 0: every replica (to the service), the first (from it) */
  bool archive, follow;
};

/* Docker's rule: a path that starts with `/` or `.` is local, whatever
   colons it holds; else SERVICE:PATH splits at the first colon.  */
static char *
service_of (const char *arg, const char **path)
{
  const char *colon = strchr (arg, ':');

  *path = arg;
  if (arg[0] == '/' || arg[0] == '.' || colon == NULL || colon == arg)
    return NULL;
  *path = colon + 1;
  return xstrndup (arg, (size_t)(colon - arg));
}

static int
parse (struct cp_cli *o, int argc, char **argv)
{
  static const struct option options[] = {
    { "all", no_argument, NULL, OPT_ALL },     { "archive", no_argument, NULL, 'a' },
    { "follow-link", no_argument, NULL, 'L' }, { "index", required_argument, NULL, OPT_INDEX },
    { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
  };
  char *end;
  int c;

  while ((c = getopt_long (argc, argv, "aLh", options, NULL)) != -1)
    switch (c)
      {
      case OPT_ALL:
        break;
      case 'a':
        o->archive = true;
        break;
      case 'L':
        o->follow = true;
        break;
      case OPT_INDEX:
        o->index = (int)strtol (optarg, &end, 10);
        if (*end || *optarg == '\0' || o->index < 1)
          return cli_usage_error ("cp", "invalid --index `%s`", optarg);
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("cp", "unknown option");
      }
  if (argc - optind != 2)
    return cli_usage_error ("cp", "requires exactly 2 arguments: SOURCE and DESTINATION");
  return -1;
}

/* The containers to copy with: the one --index names, else every running
   replica to the service and the first from it (as Compose does).  */
static char **
pick (const struct cli_global *g, const char *service, int index, bool to_container, cc_error_t *err)
{
  static const char *const running[] = { "running", "paused", NULL };
  struct cli_target t = { 0 };
  char **names = NULL;

  if (cli_target_open (g, (char *[]){ (char *)service, NULL }, false, &t, err) < 0)
    {
      cli_target_release (&t);
      return NULL;
    }
  if (index > 0 || ! to_container)
    {
      names = xzalloc (2 * sizeof (char *));
      names[0] = cc_engine_recorded_container_name (t.st ? t.st->json : NULL, t.name, service, index ?: 1);
    }
  else
    names = cli_containers_with_status (&t, running, false);
  cli_target_release (&t);
  if (names[0] == NULL)
    cc_error_make (err, 0, "no container found for service \"%s\"", service);
  return names;
}

static int
copy_each (const struct cli_global *g, char **names, struct cc_cp_opts *co)
{
  int ret = CLI_EXIT_OK;

  for (char **n = names; *n; n++)
    {
      cc_error_t err = NULL;
      cleanup_free char *what = co->to_container ? xasprintf ("copy %s to %s:%s", co->src, *n, co->dest)
                                                 : xasprintf ("copy %s:%s to %s", *n, co->src, co->dest);
      co->container = *n;
      if (g->dry_run)
        {
          fprintf (stderr, " \u2714 DRY-RUN MODE -  %s %s  Copied\n", *n, what);
          continue;
        }
      if (cc_engine_cp (co, &err) < 0)
        {
          ret = cli_fail (&err);
          continue;
        }
      /* A tar stream on stdout is the output: nothing else goes near it.  */
      if (strcmp (co->dest, "-") != 0)
        fprintf (stderr, " \u2714 %s %s  Copied\n", *n, what);
    }
  return ret;
}

int
cli_cmd_cp (struct cli_global *g, int argc, char **argv)
{
  struct cp_cli o = { 0 };
  cleanup_free char *src_service = NULL, *dst_service = NULL;
  cleanup_strv char **names = NULL;
  struct cc_cp_opts co = { 0 };
  cc_error_t err = NULL;
  int ret = parse (&o, argc, argv);

  if (ret >= 0)
    return ret;
  src_service = service_of (argv[optind], &co.src);
  dst_service = service_of (argv[optind + 1], &co.dest);
  if ((src_service == NULL) == (dst_service == NULL))
    return cli_usage_error ("cp", src_service ? "copying between services is not supported"
                                              : "must specify at least one container source (SERVICE:PATH)");
  if (*co.src == '\0' || *co.dest == '\0')
    return cli_usage_error ("cp", "empty path in `%s`", *co.src ? argv[optind + 1] : argv[optind]);
  if ((dst_service && strcmp (co.dest, "-") == 0) || (src_service && strcmp (co.src, "-") == 0))
    return cli_usage_error ("cp", "`-` names a tar stream on the local side only");
  co.to_container = dst_service != NULL;
  co.archive = o.archive;
  co.follow_link = o.follow;
  names = pick (g, src_service ?: dst_service, o.index, co.to_container, &err);
  if (names == NULL || err)
    return cli_fail (&err);
  return copy_each (g, names, &co);
}
