/* `ccompose rm`: remove stopped containers (with -s, stop them first).  */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/project.h"
#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strv.h"

static const char usage[] = "Usage: ccompose rm [OPTIONS] [SERVICE...]\n\n"
                            "Removes stopped service containers\n\n"
                            "Options:\n"
                            "  -f, --force     Don't ask to confirm removal\n"
                            "  -s, --stop      Stop the containers, if required, before removing\n"
                            "  -v, --volumes   Remove any anonymous volumes attached to containers\n"
                            "  -h, --help      Show this help\n";

static bool
confirmed (char *const *names)
{
  char answer[16] = "";

  if (! isatty (STDIN_FILENO))
    return true;
  fprintf (stderr, "Going to remove %s\n? Are you sure? [yN] ", cc_strv_len (names) ? names[0] : "");
  if (fgets (answer, sizeof (answer), stdin) == NULL)
    return false;
  return answer[0] == 'y' || answer[0] == 'Y';
}

int
cli_cmd_rm (struct cli_global *g, int argc, char **argv)
{
  static const char *const live[] = { "running", "restarting", "paused", NULL };
  cleanup_cli_common struct cli_common o = { 0 };
  struct cli_target t = { 0 };
  cleanup_strv char **running = NULL, **stopped = NULL;
  cc_error_t err = NULL;
  int ret = cli_open_common (g, "rm", usage, "fsvxh", argc, argv, &o, &t);

  if (ret >= 0)
    return ret;
  running = cli_containers_with_status (&t, live, false);
  if (g->dry_run)
    {
      if (o.stop)
        cli_dry_run_report (running, "Stopped");
      stopped = o.stop ? cc_strv_dup (t.containers) : cli_containers_with_status (&t, live, true);
      if (*stopped == NULL)
        fprintf (stderr, "No stopped containers\n");
      cli_dry_run_report (stopped, "Removed");
      cli_target_release (&t);
      return CLI_EXIT_OK;
    }
  if (o.stop && *running)
    {
      struct cc_stop_opts so = { .timeout_ms = -1, .explain = true, .project = t.name };
      if (cc_engine_stop (t.st->json, running, &so, &err) < 0)
        {
          cli_target_release (&t);
          return cli_fail (&err);
        }
    }
  stopped = o.stop ? cc_strv_dup (t.containers) : cli_containers_with_status (&t, live, true);
  ret = CLI_EXIT_OK;
  if (*stopped == NULL)
    fprintf (stderr, "No stopped containers\n");
  else if (o.force || confirmed (stopped))
    for (char **n = stopped; *n; n++)
      {
        if (cc_engine_remove_container (t.st, *n, 0, &err) < 0)
          {
            ret = cli_fail (&err);
            continue;
          }
        cc_progress_compact ("Container", *n, "Removed");
      }
  cc_engine_boot_record (t.st->json, t.p);
  cli_target_release (&t);
  return ret;
}
