/* The compose model: the one header other folders include from compose/.  */
#ifndef CC_COMPOSE_H
#define CC_COMPOSE_H

#include <cJSON.h>
#include <stdbool.h>

#include "lib/error.h"

struct cc_compose_options
{
  char **files;               /* -f, COMPOSE_FILE; NULL: discover */
  const char *project_name;   /* -p, COMPOSE_PROJECT_NAME */
  const char *project_directory;
  char **profiles;            /* --profile, COMPOSE_PROFILES */
  char **env_files;           /* --env-file, COMPOSE_ENV_FILES */
  char **services;            /* services named on the command line (enable their profiles) */
  const char *workdir;        /* where discovery starts; NULL: the current directory */
  bool no_interpolate;
  bool ignore_unsupported;    /* keys ccompose cannot honour yet: warnings, not errors */
};

/* A loaded project.  MODEL is the normalized model in the shape of
   `docker compose config --format json`: {"name", "services", "networks",
   "volumes", "secrets", "configs"}, defaults filled in, long syntax
   everywhere.  It is immutable once loaded.  */
struct cc_project
{
  char *name;
  char *directory;
  char **files;
  cJSON *model;
};

int cc_compose_load (const struct cc_compose_options *opts, struct cc_project **out, cc_error_t *err);
void cc_project_free (struct cc_project *p);

static inline void
cleanup_project_fn (struct cc_project **p)
{
  if (*p)
    cc_project_free (*p);
}
#define cleanup_project __attribute__ ((cleanup (cleanup_project_fn)))

#endif
