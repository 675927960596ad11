/* `ccompose image build` (docker build's flags) and `ccompose builder
   prune`.  Flags are parsed here; the build is one engine call,
   cc_engine_image_build (builder/ behind it).  */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char build_usage[]
    = "Usage: ccompose image build [OPTIONS] PATH\n\n"
      "Build an image from a Dockerfile, daemonless, into the local image store\n\n"
      "Options:\n"
      "      --add-host list          Add a custom host-to-IP mapping (host:ip) for RUN\n"
      "      --allow string           Allow an entitlement: network.host\n"
      "      --build-arg list         Set build-time variables (KEY=VALUE, or KEY from the environment)\n"
      "      --build-context list     Additional build contexts (NAME=PATH), read by COPY --from=NAME\n"
      "  -f, --file string            Name of the Dockerfile (default: PATH/Dockerfile; - for stdin)\n"
      "      --iidfile string         Write the image ID to the file\n"
      "      --label list             Set metadata for an image (KEY=VALUE)\n"
      "      --network string         Networking mode for the RUN instructions: default, none, host\n"
      "      --no-cache               Do not use cache when building the image\n"
      "      --platform string        Set platform (only the host's)\n"
      "      --progress string        Type of progress output: auto, plain, tty, quiet (default auto)\n"
      "      --pull                   Always attempt to pull a newer version of the base images\n"
      "  -q, --quiet                  Suppress the build output and print image ID on success\n"
      "      --secret list            Secret to expose to RUN --mount=type=secret: id=ID,src=PATH | id=ID,env=VAR\n"
      "      --shm-size bytes         Size of /dev/shm for RUN\n"
      "  -t, --tag list               Name and optionally a tag in the name:tag format\n"
      "      --target string          Set the target build stage to build\n"
      "      --ulimit list            Ulimit options for RUN (NAME=SOFT[:HARD])\n\n"
      "Environment:\n"
      "  SOURCE_DATE_EPOCH            Timestamp of new layers, history and the image (default: file times 0,\n"
      "                               image time that of its newest step, so an unchanged build gives the same ID)\n"
      "  COMPOSE_PARALLEL_LIMIT       Stages built at once (default 2)\n";

enum
{
  OPT_ADD_HOST = 256,
  OPT_ALLOW,
  OPT_BUILD_ARG,
  OPT_BUILD_CONTEXT,
  OPT_IIDFILE,
  OPT_LABEL,
  OPT_NETWORK,
  OPT_NO_CACHE,
  OPT_PLATFORM,
  OPT_PROGRESS,
  OPT_PULL,
  OPT_SECRET,
  OPT_SHM_SIZE,
  OPT_TARGET,
  OPT_ULIMIT,
  OPT_CACHE_FROM,
  OPT_CACHE_TO,
};

struct build_args
{
  struct cc_build_request req;
  char **build_args, **tags, **labels, **secrets, **contexts, **hosts, **ulimits;
};

static void
build_args_release (struct build_args *a)
{
  cc_strv_free (a->build_args);
  cc_strv_free (a->tags);
  cc_strv_free (a->labels);
  cc_strv_free (a->secrets);
  cc_strv_free (a->contexts);
  cc_strv_free (a->hosts);
  cc_strv_free (a->ulimits);
}

/* `--build-arg KEY` takes KEY's value from our environment, as the
   docker CLI does; unset, it is left out.  */
static void
add_build_arg (struct build_args *a, const char *arg)
{
  const char *v;

  if (strchr (arg, '='))
    {
      cc_strv_append (&a->build_args, arg);
      return;
    }
  v = getenv (arg);
  if (v)
    cc_strv_push (&a->build_args, xasprintf ("%s=%s", arg, v));
}

static int
parse_size (const char *s, int64_t *out)
{
  char *end = NULL;
  double v = strtod (s, &end);
  int64_t mult = 1;

  if (end == s || v < 0)
    return -1;
  switch (*end)
    {
    case 'k':
    case 'K':
      mult = 1024;
      break;
    case 'm':
    case 'M':
      mult = 1024 * 1024;
      break;
    case 'g':
    case 'G':
      mult = 1024 * 1024 * 1024;
      break;
    case 'b':
    case '\0':
      break;
    default:
      return -1;
    }
  *out = (int64_t)(v * (double)mult);
  return 0;
}

static int
parse_build_options (int argc, char **argv, struct build_args *a)
{
  static const struct option opts[] = {
    { "add-host", required_argument, NULL, OPT_ADD_HOST },
    { "allow", required_argument, NULL, OPT_ALLOW },
    { "build-arg", required_argument, NULL, OPT_BUILD_ARG },
    { "build-context", required_argument, NULL, OPT_BUILD_CONTEXT },
    { "cache-from", required_argument, NULL, OPT_CACHE_FROM },
    { "cache-to", required_argument, NULL, OPT_CACHE_TO },
    { "file", required_argument, NULL, 'f' },
    { "iidfile", required_argument, NULL, OPT_IIDFILE },
    { "label", required_argument, NULL, OPT_LABEL },
    { "network", required_argument, NULL, OPT_NETWORK },
    { "no-cache", no_argument, NULL, OPT_NO_CACHE },
    { "platform", required_argument, NULL, OPT_PLATFORM },
    { "progress", required_argument, NULL, OPT_PROGRESS },
    { "pull", no_argument, NULL, OPT_PULL },
    { "quiet", no_argument, NULL, 'q' },
    { "secret", required_argument, NULL, OPT_SECRET },
    { "shm-size", required_argument, NULL, OPT_SHM_SIZE },
    { "tag", required_argument, NULL, 't' },
    { "target", required_argument, NULL, OPT_TARGET },
    { "ulimit", required_argument, NULL, OPT_ULIMIT },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  while ((c = getopt_long (argc, argv, "f:t:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        a->req.dockerfile = optarg;
        break;
      case 't':
        cc_strv_append (&a->tags, optarg);
        break;
      case 'q':
        a->req.progress = "quiet";
        break;
      case OPT_ADD_HOST:
        cc_strv_append (&a->hosts, optarg);
        break;
      case OPT_ALLOW:
        if (strcmp (optarg, "network.host") != 0)
          return cli_usage_error ("image build", "--allow: unknown entitlement `%s` (network.host)", optarg);
        a->req.allow_host_network = true;
        break;
      case OPT_BUILD_ARG:
        add_build_arg (a, optarg);
        break;
      case OPT_BUILD_CONTEXT:
        cc_strv_append (&a->contexts, optarg);
        break;
      case OPT_CACHE_FROM:
      case OPT_CACHE_TO:
        return cli_usage_error ("image build", "--cache-from/--cache-to are not supported: the cache is local");
      case OPT_IIDFILE:
        a->req.iidfile = optarg;
        break;
      case OPT_LABEL:
        cc_strv_append (&a->labels, optarg);
        break;
      case OPT_NETWORK:
        if (strcmp (optarg, "default") != 0 && strcmp (optarg, "none") != 0 && strcmp (optarg, "host") != 0)
          return cli_usage_error ("image build", "--network: want default, none or host, not `%s`", optarg);
        a->req.network = optarg;
        break;
      case OPT_NO_CACHE:
        a->req.no_cache = true;
        break;
      case OPT_PLATFORM:
        a->req.platform = optarg;
        break;
      case OPT_PROGRESS:
        if (strcmp (optarg, "auto") != 0 && strcmp (optarg, "plain") != 0 && strcmp (optarg, "tty") != 0
            && strcmp (optarg, "quiet") != 0)
          return cli_usage_error ("image build", "--progress: want auto, plain, tty or quiet, not `%s`", optarg);
        a->req.progress = optarg;
        break;
      case OPT_PULL:
        a->req.pull = true;
        break;
      case OPT_SECRET:
        cc_strv_append (&a->secrets, optarg);
        break;
      case OPT_SHM_SIZE:
        if (parse_size (optarg, &a->req.shm_size) < 0)
          return cli_usage_error ("image build", "--shm-size: invalid size `%s`", optarg);
        break;
      case OPT_TARGET:
        a->req.target = optarg;
        break;
      case OPT_ULIMIT:
        cc_strv_append (&a->ulimits, optarg);
        break;
      case 'h':
        fputs (build_usage, stdout);
        return -1 - CLI_EXIT_OK;
      default:
        return cli_usage_error ("image build", "unknown option");
      }
  if (optind != argc - 1)
    return cli_usage_error ("image build", "requires exactly 1 argument: the build context PATH");
  a->req.context = argv[optind];
  return 0;
}

int
cli_image_build (int argc, char **argv)
{
  struct build_args a __attribute__ ((cleanup (build_args_release))) = { 0 };
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *id = NULL;
  const char *limit = getenv ("COMPOSE_PARALLEL_LIMIT");
  int ret = parse_build_options (argc, argv, &a);

  if (ret != 0)
    return ret < -1 ? -1 - ret : ret;
  a.req.build_args = a.build_args;
  a.req.tags = a.tags;
  a.req.labels = a.labels;
  a.req.secrets = a.secrets;
  a.req.build_contexts = a.contexts;
  a.req.add_hosts = a.hosts;
  a.req.ulimits = a.ulimits;
  a.req.parallel = limit ? atoi (limit) : 0;
  if (cc_engine_image_build (&a.req, &id, &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  if (a.req.progress && strcmp (a.req.progress, "quiet") == 0)
    printf ("%s\n", id);
  return CLI_EXIT_OK;
}

/* ---- builder prune ------------------------------------------------------------ */

static int
cmd_prune (int argc, char **argv)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error cc_error_t err = NULL;
  int64_t reclaimed = 0;
  bool all = false;
  int c;

  while ((c = getopt_long (argc, argv, "afh", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'f':
        break;
      case 'h':
        puts ("Usage: ccompose builder prune [-a] [-f]\n\nRemove build cache: the records of layers no image uses "
              "(-a: every record, and the RUN --mount=type=cache directories)");
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("builder prune", "unknown option");
      }
  if (cc_engine_builder_prune (all, &reclaimed, &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  printf ("Total reclaimed space: %lldB\n", (long long)reclaimed);
  return CLI_EXIT_OK;
}

int
cli_cmd_builder (struct cli_global *g, int argc, char **argv)
{
  (void)g;
  if (argc < 2 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    {
      fputs ("Usage: ccompose builder COMMAND\n\nManage builds\n\nCommands:\n  prune [-a]   Remove build cache\n",
             argc < 2 ? stderr : stdout);
      return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
  if (strcmp (argv[1], "prune") == 0)
    {
      optind = 0;
      return cmd_prune (argc - 1, argv + 1);
    }
  return cli_usage_error ("builder", "unknown command `%s`", argv[1]);
}
