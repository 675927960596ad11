/* Shared by the project commands: loading the project from the global
   options, printing errors.  */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/project.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

int
cli_load_project (const struct cli_global *g, char **services, struct cc_project **out, cc_error_t *err)
{
  struct cc_compose_options o = {
    .files = g->files, .project_name = g->project_name, .project_directory = g->project_directory,
    .profiles = g->profiles, .env_files = g->env_files, .services = services,
    .ignore_unsupported = g->ignore_unsupported,
  };

  return cc_compose_load (&o, out, err);
}

/* `ccompose -p NAME down` works without a compose file, as Docker's does:
   the state has everything.  */
int
cli_project_name (const struct cli_global *g, struct cc_project **p, char **name, cc_error_t *err)
{
  cc_error_t load_err = NULL;

  *p = NULL;
  if (cli_load_project (g, NULL, p, &load_err) == 0)
    {
      *name = xstrdup ((*p)->name);
      return 0;
    }
  if (g->project_name == NULL)
    {
      *err = load_err;
      return -1;
    }
  cc_error_release (&load_err);
  *name = xstrdup (g->project_name);
  return 0;
}

int
cli_fail (cc_error_t *err)
{
  cc_error_print (err);
  cc_error_release (err);
  return CLI_EXIT_FAILURE;
}

int64_t
cli_parse_seconds (const char *text)
{
  char *end;
  double v = strtod (text, &end);

  if (*text == '\0' || *end != '\0' || v < 0 || v > 1e9)
    return -1;
  return (int64_t) (v * 1000);
}

char **
cli_rest (int argc, char **argv)
{
  char **v = xzalloc (sizeof (char *));

  for (int i = optind; i < argc; i++)
    cc_strv_append (&v, argv[i]);
  return v;
}
