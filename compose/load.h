/* From compose files on disk to one merged, interpolated document tree.
   Internal to compose/: load.c and its helpers produce it, project.c
   turns it into the normalized model.  */
#ifndef CC_COMPOSE_LOAD_H
#define CC_COMPOSE_LOAD_H

#include <stdbool.h>

#include "compose/compose.h"
#include "compose/node.h"
#include "lib/error.h"

/* Interpolation environment: name -> value, in Docker Compose's
   precedence (shell environment, then --env-file files, then .env in the
   project directory; an earlier source wins).  */
struct cc_env;
struct cc_env *cc_env_new (void);
void cc_env_free (struct cc_env *env);
/* Keeps an existing value unless OVERWRITE.  */
void cc_env_set (struct cc_env *env, const char *name, const char *value, bool overwrite);
const char *cc_env_get (const struct cc_env *env, const char *name);
static inline void
cleanup_env_fn (struct cc_env **e)
{
  if (*e)
    cc_env_free (*e);
}
#define cleanup_env __attribute__ ((cleanup (cleanup_env_fn)))
/* Every name=value of ENV, in the order first set.  */
char **cc_env_to_strv (const struct cc_env *env);
/* Set every "NAME=VALUE" of V (entries without `=` are skipped).  */
void cc_env_set_strv (struct cc_env *env, char *const *v, bool overwrite);
struct cc_env *cc_env_dup (const struct cc_env *env);

/* envfile.c: a .env / env_file parser (KEY=VALUE, `export KEY=...`,
   comments, single/double quotes with escapes in double quotes, a bare
   KEY taking its value from LOOKUP when given).  The result is a
   NULL-terminated "KEY=VALUE" vector in file order.  Errors name
   file:line.  Only a regular file is read, unless PIPES_TOO (a file the
   command line names, such as --env-file <(...)): an env file a project
   names or brings must never leave `config` waiting on a FIFO.  */
int cc_envfile_parse (const char *path, bool pipes_too, const struct cc_env *lookup, char ***out, cc_error_t *err);
int cc_envfile_parse_string (const char *name, const char *text, const struct cc_env *lookup, char ***out,
                             cc_error_t *err);
/* env_file's `format: raw`, as docker run --env-file reads a file: no
   quotes, no interpolation, no comment after a value; a bare KEY from
   LOOKUP.  */
int cc_envfile_parse_raw (const char *path, const struct cc_env *lookup, char ***out, cc_error_t *err);

/* interpolate.c: $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?msg}, ${VAR?msg},
   ${VAR:+alt}, ${VAR+alt}, nested defaults, $$.  AT gives the position
   for errors and for the one warning per unset variable.  */
int cc_interpolate_string (const char *in, const struct cc_env *env, const struct cc_node *at, char **out,
                           cc_error_t *err);
/* The same with a lookup callback returning NULL for an unset name.  */
typedef const char *(*cc_lookup_fn) (void *data, const char *name);
int cc_interpolate_string_lookup (const char *in, cc_lookup_fn lookup, void *data, const struct cc_node *at, char **out,
                                  cc_error_t *err);
/* Forget which unset variables were already warned about (once per
   variable per process otherwise).  */
void cc_interpolate_reset_warnings (void);
/* Every scalar value of the tree (not the keys), in place.  */
int cc_interpolate_tree (struct cc_node *root, const struct cc_env *env, cc_error_t *err);

/* The outcome of loading.  */
struct cc_loaded
{
  struct cc_node *root; /* merged tree: -f files + override, include, extends resolved */
  char *project_name;   /* -p > COMPOSE_PROJECT_NAME > top-level name: > directory, normalized */
  char *project_dir;    /* absolute */
  char **files;         /* absolute paths of the files read, in order */
  struct cc_env *env;   /* the interpolation environment (shell + env files + .env) */
};
void cc_loaded_free (struct cc_loaded *l);
static inline void
cc_loaded_freep (struct cc_loaded **l)
{
  if (*l)
    cc_loaded_free (*l);
}
#define cleanup_loaded __attribute__ ((cleanup (cc_loaded_freep)))

/* load.c: discovery (compose.yaml, compose.yml, docker-compose.yml,
   docker-compose.yaml searched upward from the working directory, plus
   the matching *.override.* file), env, load, interpolate (unless
   opts->no_interpolate), include, extends, merge with the compose-spec
   rules, project name.  x- keys are left in place for the model to skip.  */
int cc_compose_load_tree (const struct cc_compose_options *opts, struct cc_loaded **out, cc_error_t *err);

/* Project names: lowercase, only [a-z0-9_-], starting with a letter or
   digit.  normalize returns the cleaned form of IN (possibly "").  */
char *cc_project_name_normalize (const char *in);
bool cc_project_name_is_valid (const char *name);

/* merge.c: merge OVERRIDE into BASE in place with the compose-spec rules
   (maps merge; ports, expose, dns, dns_search, dns_opt, tmpfs, cap_add,
   cap_drop, security_opt, profiles, external_links, links append unique;
   command, entrypoint, healthcheck.test replace; environment, labels,
   sysctls, extra_hosts, ulimits merge by key whatever their syntax;
   volumes and devices by target).  */
int cc_node_merge_services (struct cc_node *base, const struct cc_node *override, cc_error_t *err);
int cc_node_merge_documents (struct cc_node *base, const struct cc_node *override, cc_error_t *err);

#endif
