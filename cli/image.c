/* `ccompose image`: the store-wide image commands (load, save, import,
   pull, push, ls, inspect, rm, prune, tag).  The project-scoped `ccompose images` lives
   elsewhere.  */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[]
    = "Usage: ccompose image [OPTIONS] COMMAND\n\n"
      "Manage the local image store\n\n"
      "Commands:\n"
      "  build [OPTIONS] PATH                         Build an image from a Dockerfile (docker build's options)\n"
      "  load [-i FILE|DIR] [-q]                      Load images from an OCI layout (dir or tar) or a docker archive\n"
      "  save [-o FILE] [--format docker|oci] IMAGE...  Save images to a tar archive\n"
      "  import [-c INSTR]... ROOTFS.tar [NAME[:TAG]]  Create a single-layer image from a rootfs tarball\n"
      "  pull [-q] NAME[:TAG|@DIGEST]...              Pull images from a registry\n"
      "  push [-q] NAME[:TAG]                         Push an image to a registry\n"
      "  ls [--format table|json] [-q]                List images\n"
      "  inspect IMAGE...                             Display detailed information on images (JSON)\n"
      "  rm [-f] IMAGE...                             Remove images\n"
      "  prune [-a] [-f]                              Remove unused images\n"
      "  tag SOURCE TARGET                            Create a reference TARGET that refers to SOURCE\n";

/* ---- load -------------------------------------------------------------- */

static void
print_loaded (void *opaque, const char *ref, const char *id)
{
  bool quiet = *(bool *)opaque;
  cleanup_free char *name = ref ? cc_engine_image_familiar (ref) : NULL;

  if (quiet)
    return;
  if (name)
    printf ("Loaded image: %s\n", name);
  else
    printf ("Loaded image ID: %s\n", id);
}

static int
cmd_load (int argc, char **argv)
{
  static const struct option opts[] = {
    { "input", required_argument, NULL, 'i' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error cc_error_t err = NULL;
  const char *input = NULL;
  bool quiet = false;
  int c;

  while ((c = getopt_long (argc, argv, "i:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'i':
        input = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        puts ("Usage: ccompose image load [OPTIONS]\n\nLoad images from an OCI image layout (directory or tar) or a "
              "docker archive\n\nOptions:\n  -i, --input string   Read from this file or directory (default: standard "
              "input)\n"
              "  -q, --quiet          Suppress the load output");
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("image load", "unknown option");
      }
  /* As docker load: without -i, the archive comes on standard input.  */
  if (input == NULL && isatty (STDIN_FILENO))
    return cli_usage_error ("image load", "requested load from stdin, but stdin is empty: use -i FILE|DIR");
  if (input == NULL)
    input = "-";
  if (optind < argc)
    return cli_usage_error ("image load", "unexpected argument `%s`", argv[optind]);
  if (cc_engine_image_load (input, print_loaded, &quiet, &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  return CLI_EXIT_OK;
}

/* ---- pull --------------------------------------------------------------- */

static int
cmd_pull (int argc, char **argv)
{
  static const struct option opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool quiet = false;
  int c, ret = CLI_EXIT_OK;

  while ((c = getopt_long (argc, argv, "qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'h':
        puts ("Usage: ccompose image pull [OPTIONS] NAME[:TAG|@DIGEST]...\n\nPull images from a registry\n\n"
              "Options:\n  -q, --quiet   Suppress the progress output\n\n"
              "Environment:\n  CCOMPOSE_REGISTRY_MIRROR      URL that replaces docker.io (like dockerd's "
              "registry-mirrors)\n"
              "  CCOMPOSE_INSECURE_REGISTRIES  host[:port],... that may speak plain http (loopback always may)\n"
              "  DOCKER_CONFIG                 directory of the config.json holding registry credentials");
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("image pull", "unknown option");
      }
  if (optind >= argc)
    return cli_usage_error ("image pull", "requires at least one NAME[:TAG|@DIGEST]");
  for (int i = optind; i < argc; i++)
    {
      cleanup_error cc_error_t err = NULL;
      if (cc_engine_image_pull (argv[i], quiet, &err) < 0)
        {
          cc_error_print (&err);
          ret = CLI_EXIT_FAILURE;
        }
    }
  return ret;
}

/* ---- save -------------------------------------------------------------- */

static const char save_usage[]
    = "Usage: ccompose image save [OPTIONS] IMAGE...\n\n"
      "Save one or more images to a tar archive (streamed to standard output by default)\n\n"
      "Options:\n"
      "      --format string   docker (docker-archive that is also an OCI layout, as Docker 25) or oci\n"
      "                        (OCI image layout, layers as stored) (default \"docker\")\n"
      "  -o, --output string   Write to a file, instead of standard output\n";

static int
cmd_save (int argc, char **argv)
{
  static const struct option opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error cc_error_t err = NULL;
  bool oci = false;
  const char *output = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "o:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'o':
        output = optarg;
        break;
      case 'f':
        if (strcmp (optarg, "docker") != 0 && strcmp (optarg, "oci") != 0)
          return cli_usage_error ("image save", "invalid --format `%s` (docker, oci)", optarg);
        oci = strcmp (optarg, "oci") == 0;
        break;
      case 'h':
        fputs (save_usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("image save", "unknown option");
      }
  if (optind >= argc)
    return cli_usage_error ("image save", "requires at least one IMAGE");
  if (output && strcmp (output, "-") == 0)
    output = NULL;
  /* As docker save: an archive is no thing to print on a terminal.  */
  if (output == NULL && isatty (STDOUT_FILENO))
    return cli_usage_error ("image save", "cowardly refusing to save to a terminal: use -o FILE or redirect");
  if (cc_engine_image_save (argv + optind, oci, output, &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  return CLI_EXIT_OK;
}

/* ---- push -------------------------------------------------------------- */

static int
cmd_push (int argc, char **argv)
{
  static const struct option opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error cc_error_t err = NULL;
  bool quiet = false;
  int c;

  while ((c = getopt_long (argc, argv, "qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'h':
        puts (
            "Usage: ccompose image push [OPTIONS] NAME[:TAG]\n\nPush an image to a registry\n\n"
            "Options:\n  -q, --quiet   Suppress the progress output\n\n"
            "Environment:\n  CCOMPOSE_INSECURE_REGISTRIES  host[:port],... that may speak plain http (loopback always "
            "may)\n"
            "  CCOMPOSE_PUSH_CHUNK_SIZE      bytes per upload request above which a blob goes in chunks "
            "(default 16 MiB)\n"
            "  DOCKER_CONFIG                 directory of the config.json holding registry credentials");
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("image push", "unknown option");
      }
  if (argc - optind != 1)
    return cli_usage_error ("image push", "want one NAME[:TAG]");
  if (cc_engine_image_push (argv[optind], quiet, &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  return CLI_EXIT_OK;
}

/* ---- import, tag ------------------------------------------------------- */

static const char import_usage[]
    = "Usage: ccompose image import [OPTIONS] ROOTFS.tar|- [NAME[:TAG]]\n\n"
      "Create a single-layer image from a rootfs tarball (plain, gzip or zstd; - reads standard input)\n\n"
      "Options:\n"
      "  -c, --change list       Apply a Dockerfile instruction to the image config (CMD, ENTRYPOINT, ENV,\n"
      "                          EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)\n"
      "  -m, --message string    Set the commit message of the imported image\n";

static int
cmd_import (int argc, char **argv)
{
  static const struct option opts[] = {
    { "change", required_argument, NULL, 'c' },
    { "message", required_argument, NULL, 'm' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *id = NULL;
  cleanup_strv char **changes = xzalloc (sizeof (char *));
  const char *message = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "c:m:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'c':
        cc_strv_append (&changes, optarg);
        break;
      case 'm':
        message = optarg;
        break;
      case 'h':
        fputs (import_usage, stdout);
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("image import", "unknown option");
      }
  if (argc - optind < 1 || argc - optind > 2)
    return cli_usage_error ("image import", "want ROOTFS.tar|- [NAME[:TAG]]");
  if (strcmp (argv[optind], "-") == 0 && isatty (STDIN_FILENO))
    return cli_usage_error ("image import", "standard input is a terminal: give ROOTFS.tar or pipe it in");
  if (cc_engine_image_import (argv[optind], argc - optind == 2 ? argv[optind + 1] : NULL, changes, message, &id, &err)
      < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  puts (id);
  return CLI_EXIT_OK;
}

static int
cmd_tag (int argc, char **argv)
{
  cleanup_error cc_error_t err = NULL;

  if (argc > 1 && (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0))
    {
      puts ("Usage: ccompose image tag SOURCE TARGET\n\nCreate a reference TARGET that refers to SOURCE");
      return CLI_EXIT_OK;
    }
  if (argc != 3)
    return cli_usage_error ("image tag", "want SOURCE TARGET");
  if (cc_engine_image_tag (argv[1], argv[2], &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  return CLI_EXIT_OK;
}

/* ---- ls ------------------------------------------------------------------ */

static char *
human_size (int64_t bytes)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
  double v = (double)bytes;
  size_t u = 0;

  while (v >= 1000 && u + 1 < CC_N_ELEMENTS (units))
    v /= 1000, u++;
  return u == 0 ? xasprintf ("%lldB", (long long)bytes) : xasprintf ("%.3g%s", v, units[u]);
}

static char *
human_since (const char *rfc3339)
{
  static const struct
  {
    int64_t secs;
    const char *unit;
  } steps[] = { { 365 * 86400, "year" }, { 30 * 86400, "month" }, { 7 * 86400, "week" }, { 86400, "day" },
                { 3600, "hour" },        { 60, "minute" },        { 1, "second" } };
  struct tm tm = { 0 };
  int64_t ago;

  if (rfc3339 == NULL || strptime (rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return xstrdup ("N/A");
  ago = (int64_t)(time (NULL) - timegm (&tm));
  for (size_t i = 0; i < CC_N_ELEMENTS (steps); i++)
    if (ago >= steps[i].secs)
      {
        int64_t n = ago / steps[i].secs;
        return xasprintf ("%lld %s%s ago", (long long)n, steps[i].unit, n == 1 ? "" : "s");
      }
  return xstrdup ("Less than a second ago");
}

static void
print_row (const cJSON *row, bool json)
{
  int64_t bytes = cc_json_get_int (row, "Size", 0);
  const char *created = cc_json_get_string (row, "CreatedAt");
  cleanup_free char *size = human_size (bytes);
  cleanup_free char *since = human_since (created && *created ? created : NULL);
  char id[13];

  snprintf (id, sizeof (id), "%s", cc_json_get_string (row, "ID") + 7);
  if (json)
    {
      cleanup_cjson cJSON *o = cJSON_CreateObject ();
      cleanup_free char *text = NULL;
      cc_json_set_string (o, "ID", id);
      cc_json_set_string (o, "Repository", cc_json_get_string (row, "Repository"));
      cc_json_set_string (o, "Tag", cc_json_get_string (row, "Tag"));
      cc_json_set_string (o, "Digest", cc_json_get_string (row, "Digest"));
      cc_json_set_string (o, "CreatedAt", created ? created : "");
      cc_json_set_string (o, "CreatedSince", since);
      cc_json_set_string (o, "Size", size);
      cc_json_set_int (o, "VirtualSize", bytes);
      text = cJSON_PrintUnformatted (o);
      puts (text);
    }
  else
    printf ("%-32s %-16s %-12s  %-16s %s\n", cc_json_get_string (row, "Repository"), cc_json_get_string (row, "Tag"),
            id, since, size);
}

/* Each image once, by the first 12 digits of its id.  */
static void
print_quiet (const cJSON *rows)
{
  cleanup_strv char **seen = xzalloc (sizeof (char *));
  const cJSON *r;

  cJSON_ArrayForEach (r, rows)
  {
    const char *id = cc_json_get_string (r, "ID");
    if (cc_strv_contains (seen, id))
      continue;
    cc_strv_append (&seen, id);
    printf ("%.12s\n", id + 7);
  }
}

static int
cmd_ls (int argc, char **argv)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error cc_error_t err = NULL;
  cleanup_cjson cJSON *rows = NULL;
  const cJSON *r;
  const char *format = "table";
  bool quiet = false, json;
  int c;

  while ((c = getopt_long (argc, argv, "qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        puts ("Usage: ccompose image ls [OPTIONS]\n\nList images\n\nOptions:\n"
              "      --format string   table or json (default \"table\")\n  -q, --quiet           Only show image IDs");
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("image ls", "unknown option");
      }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return cli_usage_error ("image ls", "invalid format `%s` (table, json)", format);
  json = strcmp (format, "json") == 0;
  if (cc_engine_image_rows (&rows, &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  if (quiet)
    {
      print_quiet (rows);
      return CLI_EXIT_OK;
    }
  if (! json)
    printf ("%-32s %-16s %-12s  %-16s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
  cJSON_ArrayForEach (r, rows)
  {
    print_row (r, json);
  }
  return CLI_EXIT_OK;
}

/* ---- inspect ------------------------------------------------------------- */

static int
cmd_inspect (int argc, char **argv)
{
  cleanup_cjson cJSON *all = cJSON_CreateArray ();
  cleanup_free char *text = NULL;
  int ret = CLI_EXIT_OK;

  if (argc > 1 && (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0))
    {
      puts ("Usage: ccompose image inspect IMAGE...\n\nDisplay detailed information on one or more images (JSON)");
      return CLI_EXIT_OK;
    }
  if (argc < 2)
    return cli_usage_error ("image inspect", "requires at least one IMAGE");
  for (int i = 1; i < argc; i++)
    {
      cleanup_error cc_error_t err = NULL;
      cJSON *doc = NULL;
      if (cc_engine_image_inspect (argv[i], &doc, &err) < 0)
        {
          cc_error_print (&err);
          ret = CLI_EXIT_FAILURE;
          continue;
        }
      cJSON_AddItemToArray (all, doc);
    }
  text = cJSON_Print (all);
  puts (text);
  return ret;
}

/* ---- rm, prune ------------------------------------------------------------- */

static void
print_removed (void *opaque, const char *what, const char *value)
{
  cleanup_free char *shown = strcmp (what, "Untagged") == 0 ? cc_engine_image_familiar (value) : xstrdup (value);

  (void)opaque;
  printf ("%s: %s\n", what, shown);
}

static int
cmd_rm (int argc, char **argv)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool force = false;
  int c, ret = CLI_EXIT_OK;

  while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        puts ("Usage: ccompose image rm [OPTIONS] IMAGE...\n\nRemove images\n\nOptions:\n"
              "  -f, --force   Untag even when a container uses the image or it has several references");
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("image rm", "unknown option");
      }
  if (optind >= argc)
    return cli_usage_error ("image rm", "requires at least one IMAGE");
  for (int i = optind; i < argc; i++)
    {
      cleanup_error cc_error_t err = NULL;
      if (cc_engine_image_remove (argv[i], force, print_removed, NULL, &err) < 0)
        {
          cc_error_print (&err);
          ret = CLI_EXIT_FAILURE;
        }
    }
  return ret;
}

static bool
confirm (bool all)
{
  char line[16] = "";

  printf ("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
          all ? "images without at least one container associated to them" : "dangling images");
  fflush (stdout);
  return fgets (line, sizeof (line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

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
  cleanup_free char *reclaimed_text = NULL;
  bool all = false, force = false;
  int64_t reclaimed = 0;
  int c;

  while ((c = getopt_long (argc, argv, "afh", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'f':
        force = true;
        break;
      case 'h':
        puts ("Usage: ccompose image prune [OPTIONS]\n\nRemove unused images\n\nOptions:\n"
              "  -a, --all     Remove all images no container uses, not just untagged ones\n"
              "  -f, --force   Do not prompt for confirmation");
        return CLI_EXIT_OK;
      default:
        return cli_usage_error ("image prune", "unknown option");
      }
  if (optind < argc)
    return cli_usage_error ("image prune", "unexpected argument `%s`", argv[optind]);
  if (! force && ! confirm (all))
    return CLI_EXIT_OK;
  if (cc_engine_image_prune (all, print_removed, NULL, &reclaimed, &err) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  reclaimed_text = human_size (reclaimed);
  printf ("Total reclaimed space: %s\n", reclaimed_text);
  return CLI_EXIT_OK;
}

/* ---- pin, unpin (hidden: the runtime calls the library; tests use these) -- */

/* `pin OWNER IMAGE` does what a container does before it mounts an image
   (cc_engine_image_pin) and prints the overlay lowerdir.  */
static int
cmd_pin (int argc, char **argv)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *lower = NULL;
  bool pin = strcmp (argv[0], "pin") == 0;

  if (argc != (pin ? 3 : 2))
    return cli_usage_error ("image", pin ? "want: pin OWNER IMAGE" : "want: unpin OWNER");
  if ((pin ? cc_engine_image_pin (argv[1], argv[2], &lower, &err) : cc_engine_image_unpin (argv[1], &err)) < 0)
    {
      cc_error_print (&err);
      return CLI_EXIT_FAILURE;
    }
  if (lower)
    puts (lower);
  return CLI_EXIT_OK;
}

/* ---- dispatch ----------------------------------------------------------------- */

static const struct cli_subcommand subcommands[] = {
  { "load", cmd_load }, { "save", cmd_save }, { "import", cmd_import },     { "pull", cmd_pull },
  { "push", cmd_push }, { "ls", cmd_ls },     { "list", cmd_ls },           { "inspect", cmd_inspect },
  { "rm", cmd_rm },     { "remove", cmd_rm }, { "prune", cmd_prune },       { "tag", cmd_tag },
  { "pin", cmd_pin },   { "unpin", cmd_pin }, { "build", cli_image_build },
};

int
cli_cmd_image (struct cli_global *g, int argc, char **argv)
{
  (void)g;
  return cli_run_subcommand ("image", usage, subcommands, CC_N_ELEMENTS (subcommands), argc, argv);
}
