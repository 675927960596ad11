/* `ccompose top`: the processes of each running container: those in the
   pid namespace of its PID 1, read from /proc.  */
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[] = "Usage: ccompose top [OPTIONS] [SERVICE...]\n\n"
                            "Display the running processes\n\n"
                            "Options:\n"
                            "  -h, --help   Show this help\n";

static char *
ns_of (long pid)
{
  char path[64], buf[PATH_MAX];
  ssize_t n;

  snprintf (path, sizeof (path), "/proc/%ld/ns/pid", pid);
  n = readlink (path, buf, sizeof (buf) - 1);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return xstrdup (buf);
}

static char *
cmdline_of (long pid)
{
  cleanup_free char *path = xasprintf ("/proc/%ld/cmdline", pid);
  char *text = NULL;
  size_t len = 0;

  if (cc_read_file (path, &text, &len, NULL) < 0)
    return xstrdup ("?");
  for (size_t i = 0; len && i < len - 1; i++)
    if (text[i] == '\0')
      text[i] = ' ';
  return text;
}

static void
status_fields (long pid, long *uid, long *ppid)
{
  cleanup_free char *path = xasprintf ("/proc/%ld/status", pid), *text = NULL;
  const char *p;

  *uid = *ppid = -1;
  if (cc_read_file (path, &text, NULL, NULL) < 0)
    return;
  if ((p = strstr (text, "\nUid:")))
    *uid = strtol (p + 5, NULL, 10);
  if ((p = strstr (text, "\nPPid:")))
    *ppid = strtol (p + 6, NULL, 10);
}

static void
show (const char *name, long pid1)
{
  cleanup_free char *ns = ns_of (pid1);
  cleanup_dir DIR *d = opendir ("/proc");
  struct dirent *de;

  printf ("%s\n%-8s %-8s %-8s %s\n", name, "UID", "PID", "PPID", "CMD");
  while (ns && d && (de = readdir (d)))
    {
      char *end;
      long pid = strtol (de->d_name, &end, 10), uid, ppid;
      cleanup_free char *other = NULL, *cmd = NULL;
      if (*end || pid <= 0 || (other = ns_of (pid)) == NULL || strcmp (other, ns) != 0)
        continue;
      status_fields (pid, &uid, &ppid);
      cmd = cmdline_of (pid);
      printf ("%-8ld %-8ld %-8ld %s\n", uid, pid, ppid, cmd);
    }
  putchar ('\n');
}

int
cli_cmd_top (struct cli_global *g, int argc, char **argv)
{
  static const char *const running[] = { "running", "paused", NULL };
  struct cli_target t = { 0 };
  cleanup_strv char **services = NULL, **names = NULL;
  cc_error_t err = NULL;
  int c;

  static const struct option options[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };

  while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1)
    {
      if (c != 'h')
        return cli_usage_error ("top", "unknown option");
      fputs (usage, stdout);
      return CLI_EXIT_OK;
    }
  services = cli_rest (argc, argv);
  if (cli_target_open (g, services, false, &t, &err) < 0)
    {
      cli_target_release (&t);
      return cli_fail (&err);
    }
  names = cli_containers_with_status (&t, running, false);
  for (char **n = names; *n; n++)
    {
      const cJSON *e = cJSON_GetObjectItemCaseSensitive (cc_state_section (t.st, "containers"), *n);
      cleanup_cjson cJSON *info = cc_engine_container_info (t.name, *n, e);
      show (*n, (long)cc_json_get_int (info, "Pid", 0));
    }
  cli_target_release (&t);
  return CLI_EXIT_OK;
}
