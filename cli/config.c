/* `ccompose config`: parse, resolve and print the normalized model, as
   `docker compose config` does.  */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "compose/compose.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose config [OPTIONS] [SERVICE...]\n\n"
      "Parse, resolve and render the compose file in canonical format\n\n"
      "Options:\n"
      "      --format string     Format the output: yaml, json or kubernetes (as `ccompose convert`)\n"
      "                          (default \"yaml\")\n"
      "      --hash string       Print the service config hash, one per line (SERVICE[,SERVICE...] or \"*\")\n"
      "      --images            Print the image names, one per line\n"
      "      --no-interpolate    Don't interpolate environment variables\n"
      "  -o, --output string     Save to file (default to stdout)\n"
      "      --profiles          Print the profile names, one per line\n"
      "  -q, --quiet             Only validate the configuration, don't print anything\n"
      "      --services          Print the service names, one per line\n"
      "      --volumes           Print the volume names, one per line\n"
      "  -h, --help              Show this help\n";

enum what
{
  SHOW_MODEL,
  SHOW_SERVICES,
  SHOW_VOLUMES,
  SHOW_PROFILES,
  SHOW_IMAGES,
  SHOW_HASH,
};

struct config_opts
{
  bool json;
  bool kubernetes;
  bool quiet;
  bool no_interpolate;
  enum what what;
  const char *hash;
  const char *output;
};

enum
{
  OPT_FORMAT = 256,
  OPT_HASH,
  OPT_IMAGES,
  OPT_NO_INTERPOLATE,
  OPT_PROFILES,
  OPT_SERVICES,
  OPT_VOLUMES,
};

static const struct option options[] = {
  { "format", required_argument, NULL, OPT_FORMAT },
  { "hash", required_argument, NULL, OPT_HASH },
  { "images", no_argument, NULL, OPT_IMAGES },
  { "no-interpolate", no_argument, NULL, OPT_NO_INTERPOLATE },
  { "output", required_argument, NULL, 'o' },
  { "profiles", no_argument, NULL, OPT_PROFILES },
  { "quiet", no_argument, NULL, 'q' },
  { "services", no_argument, NULL, OPT_SERVICES },
  { "volumes", no_argument, NULL, OPT_VOLUMES },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* Returns -1 to go on, or an exit code.  */
static int
parse_options (struct config_opts *o, int argc, char **argv)
{
  int c;

  while ((c = getopt_long (argc, argv, "o:qh", options, NULL)) != -1)
    switch (c)
      {
      case OPT_FORMAT:
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "yaml") != 0 && strcmp (optarg, "kubernetes") != 0)
          return cli_usage_error ("config", "invalid --format `%s` (yaml, json, kubernetes)", optarg);
        o->json = strcmp (optarg, "json") == 0;
        o->kubernetes = strcmp (optarg, "kubernetes") == 0;
        break;
      case OPT_HASH:
        o->what = SHOW_HASH;
        o->hash = optarg;
        break;
      case OPT_IMAGES:
        o->what = SHOW_IMAGES;
        break;
      case OPT_NO_INTERPOLATE:
        o->no_interpolate = true;
        break;
      case 'o':
        o->output = optarg;
        break;
      case OPT_PROFILES:
        o->what = SHOW_PROFILES;
        break;
      case 'q':
        o->quiet = true;
        break;
      case OPT_SERVICES:
        o->what = SHOW_SERVICES;
        break;
      case OPT_VOLUMES:
        o->what = SHOW_VOLUMES;
        break;
      case 'h':
        fputs (usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("config", "unknown option");
      }
  return -1;
}

static void
list_keys (struct cc_buf *b, const cJSON *obj)
{
  for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next)
    cc_buf_printf (b, "%s\n", it->string);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static void
list_profiles (struct cc_buf *b, const cJSON *services)
{
  cleanup_strv char **all = xzalloc (sizeof (char *));

  for (const cJSON *s = services ? services->child : NULL; s; s = s->next)
    for (const cJSON *p = cJSON_GetObjectItemCaseSensitive (s, "profiles")
                              ? cJSON_GetObjectItemCaseSensitive (s, "profiles")->child
                              : NULL;
         p; p = p->next)
      if (! cc_strv_contains (all, p->valuestring))
        cc_strv_append (&all, p->valuestring);
  qsort (all, cc_strv_len (all), sizeof (char *), compare_names);
  for (char **p = all; *p; p++)
    cc_buf_printf (b, "%s\n", *p);
}

static void
list_images (struct cc_buf *b, const struct cc_project *p)
{
  for (const cJSON *s = cJSON_GetObjectItemCaseSensitive (p->model, "services")->child; s; s = s->next)
    {
      const char *image = cc_json_get_string (s, "image");
      /* A built service without `image:` gets <project>-<service>, as DC names it.  */
      if (image)
        cc_buf_printf (b, "%s\n", image);
      else
        cc_buf_printf (b, "%s-%s\n", p->name, s->string);
    }
}

static int
list_hashes (struct cc_buf *b, const struct cc_project *p, const char *which, cc_error_t *err)
{
  cleanup_strv char **names = NULL;

  names = strcmp (which, "*") == 0 ? cc_project_service_names (p) : cc_strv_split (which, ',', true);
  for (char **n = names; n && *n; n++)
    {
      cleanup_free char *h = NULL;
      if (cc_compose_service_hash (p, *n, &h, err) < 0)
        return -1;
      cc_buf_printf (b, "%s %s\n", *n, h);
    }
  return 0;
}

/* `config web`: only the named services and what they depend on.  */
static int
restrict_services (struct cc_project *p, char *const *names, cc_error_t *err)
{
  cleanup_strv char **keep = NULL;
  cJSON *services = cJSON_GetObjectItemCaseSensitive (p->model, "services");
  cJSON *s;

  if (names == NULL || *names == NULL)
    return 0;
  if (cc_compose_select (p, names, &keep, err) < 0)
    return -1;
  s = services->child;
  while (s)
    {
      cJSON *next = s->next;
      if (! cc_strv_contains (keep, s->string))
        cJSON_Delete (cJSON_DetachItemViaPointer (services, s));
      s = next;
    }
  return 0;
}

static int
render (struct cc_buf *b, const struct config_opts *o, const struct cc_project *p, cc_error_t *err)
{
  cleanup_free char *text = NULL;

  switch (o->what)
    {
    case SHOW_SERVICES:
      list_keys (b, cJSON_GetObjectItemCaseSensitive (p->model, "services"));
      return 0;
    case SHOW_VOLUMES:
      list_keys (b, cJSON_GetObjectItemCaseSensitive (p->model, "volumes"));
      return 0;
    case SHOW_PROFILES:
      list_profiles (b, cJSON_GetObjectItemCaseSensitive (p->model, "services"));
      return 0;
    case SHOW_IMAGES:
      list_images (b, p);
      return 0;
    case SHOW_HASH:
      return list_hashes (b, p, o->hash, err);
    case SHOW_MODEL:
    default:
      text = cc_compose_render (p->model, o->json, ! o->no_interpolate);
      cc_buf_puts (b, text);
      return 0;
    }
}

static int
emit (const struct config_opts *o, struct cc_buf *b, cc_error_t *err)
{
  if (o->quiet)
    return 0;
  if (o->output)
    return cc_write_file_atomic (o->output, b->data ? b->data : "", b->len, 0644, err);
  fwrite (b->data ? b->data : "", 1, b->len, stdout);
  return fflush (stdout) == 0 ? 0 : cc_error_make (err, errno, "write to stdout");
}

/* --format kubernetes: the manifests of `ccompose convert` with its
   defaults, as one stream.  */
static int
convert (const struct cli_global *g, const struct config_opts *o, char **services)
{
  struct cli_convert cv = { .file = o->output };

  cv.opts.services = services;
  return cli_convert_run (g, &cv);
}

int
cli_cmd_config (struct cli_global *g, int argc, char **argv)
{
  struct config_opts o = { 0 };
  cleanup_project struct cc_project *p = NULL;
  cleanup_error cc_error_t err = NULL;
  cleanup_buf struct cc_buf out = { 0 };
  cleanup_strv char **all_profiles = NULL;
  struct cc_compose_options copts = { 0 };
  int ret = parse_options (&o, argc, argv);

  if (ret >= 0)
    return ret;
  if (o.kubernetes && o.what == SHOW_MODEL && ! o.quiet)
    return convert (g, &o, optind < argc ? argv + optind : NULL);
  copts.files = g->files;
  copts.project_name = g->project_name;
  copts.project_directory = g->project_directory;
  copts.profiles = g->profiles;
  copts.env_files = g->env_files;
  copts.services = optind < argc ? argv + optind : NULL;
  copts.no_interpolate = o.no_interpolate;
  copts.ignore_unsupported = g->ignore_unsupported;
  /* --profiles lists every profile, enabled or not.  */
  if (o.what == SHOW_PROFILES)
    {
      cc_strv_append (&all_profiles, "*");
      copts.profiles = all_profiles;
    }
  if (cc_compose_load (&copts, &p, &err) < 0 || restrict_services (p, copts.services, &err) < 0
      || render (&out, &o, p, &err) < 0 || emit (&o, &out, &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  return CLI_EXIT_OK;
}
