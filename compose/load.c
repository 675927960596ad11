/* From the command line to one merged document tree, as Docker Compose
   v2 does it: find the files, build the interpolation environment, load
   and interpolate each file, apply its `include`s, merge the files in
   order, resolve `extends`, and settle the project name.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose/load.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

extern char **environ;

/* Docker Compose's names, in its order of preference.  */
static const char *const default_files[]
    = { "compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml" };
static const char *const override_files[] = { "compose.override.yml", "compose.override.yaml",
                                              "docker-compose.override.yml", "docker-compose.override.yaml" };

/* Resources an included file may bring, which the including file must
   not define again (14-include.md).  */
static const char *const resource_sections[] = { "services", "networks", "volumes", "secrets", "configs" };

#define STDIN_NAME "<stdin>"
/* Real projects nest a handful of levels; hostile ones should fail fast
   rather than recurse (and copy services) without bound.  */
#define MAX_INCLUDE_DEPTH 32
#define MAX_EXTENDS_DEPTH 32

struct loader
{
  const struct cc_compose_options *opts;
  char *workdir;
  struct cc_env *env;
};

void
cc_loaded_free (struct cc_loaded *l)
{
  if (l == NULL)
    return;
  cc_node_free (l->root);
  free (l->project_name);
  free (l->project_dir);
  cc_strv_free (l->files);
  cc_env_free (l->env);
  free (l);
}

/* ---- project names ---- */

char *
cc_project_name_normalize (const char *in)
{
  struct cc_buf b = { 0 };

  for (const char *p = in; *p; p++)
    {
      char c = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
      bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';

      /* The name must start with a letter or a digit.  */
      if (keep && (b.len > 0 || (c != '_' && c != '-')))
        cc_buf_putc (&b, c);
    }
  cc_buf_puts (&b, "");
  return cc_buf_steal (&b);
}

bool
cc_project_name_is_valid (const char *name)
{
  cleanup_free char *n = NULL;

  if (name == NULL || *name == '\0')
    return false;
  n = cc_project_name_normalize (name);
  return strcmp (n, name) == 0;
}

static int
check_explicit_name (const char *name, const struct cc_node *at, const char *source, cc_error_t *err)
{
  cleanup_free char *fixed = NULL;

  if (cc_project_name_is_valid (name))
    return 0;
  fixed = cc_project_name_normalize (name);
  if (*fixed == '\0')
    return cc_error_at (
        err, at, "invalid project name `%s` (%s): it must contain lowercase letters, digits, `-` or `_`", name, source);
  return cc_error_at (err, at,
                      "invalid project name `%s` (%s): only lowercase letters, digits, `-` and `_` are allowed, "
                      "starting with a letter or digit; did you mean `%s`?",
                      name, source, fixed);
}

static int
project_name (struct loader *ld, const struct cc_node *root, const char *project_dir, char **out, cc_error_t *err)
{
  const struct cc_node *name = cc_node_map_get (root, "name");
  const char *from_env = cc_env_get (ld->env, "COMPOSE_PROJECT_NAME");
  cleanup_free char *base = NULL;

  if (ld->opts->project_name && *ld->opts->project_name)
    {
      if (check_explicit_name (ld->opts->project_name, NULL, "from -p or COMPOSE_PROJECT_NAME", err) < 0)
        return -1;
      *out = xstrdup (ld->opts->project_name);
      return 0;
    }
  /* COMPOSE_PROJECT_NAME may also come from the .env file.  */
  if (from_env && *from_env)
    {
      if (check_explicit_name (from_env, NULL, "from COMPOSE_PROJECT_NAME", err) < 0)
        return -1;
      *out = xstrdup (from_env);
      return 0;
    }
  if (name && name->kind == CC_NODE_SCALAR && *name->value)
    {
      if (check_explicit_name (name->value, name, "from the top-level `name:`", err) < 0)
        return -1;
      *out = xstrdup (name->value);
      return 0;
    }
  base = cc_path_basename (project_dir);
  *out = cc_project_name_normalize (base);
  if (**out == '\0')
    return cc_error_make (err, 0, "cannot derive a project name from the directory `%s`: use -p NAME", project_dir);
  return 0;
}

/* ---- files ---- */

static char *
absolute (const char *dir, const char *path)
{
  cleanup_free char *joined = cc_path_join (dir, path);

  return cc_path_clean (joined);
}

static char **
find_candidates (const char *dir, const char *const *names, size_t n)
{
  char **found = xzalloc (sizeof (char *));

  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *p = cc_path_join (dir, names[i]);
      if (cc_file_exists (p) && ! cc_is_dir (p))
        cc_strv_append (&found, p);
    }
  return found;
}

static void
warn_multiple (char **found)
{
  cleanup_free char *list = NULL;

  if (cc_strv_len (found) < 2)
    return;
  list = cc_strv_join (found, ", ");
  cc_warn ("found multiple config files with supported names: %s; using %s", list, found[0]);
}

/* Search WORKDIR and its parents for a compose file; in the directory
   where one is found, add the first override file.  */
static int
discover (const char *workdir, char ***files, cc_error_t *err)
{
  cleanup_free char *dir = xstrdup (workdir);

  for (;;)
    {
      cleanup_strv char **found = find_candidates (dir, default_files, CC_N_ELEMENTS (default_files));
      char *parent;

      if (found[0])
        {
          cleanup_strv char **overrides = find_candidates (dir, override_files, CC_N_ELEMENTS (override_files));

          warn_multiple (found);
          warn_multiple (overrides);
          cc_strv_append (files, found[0]);
          if (overrides[0])
            cc_strv_append (files, overrides[0]);
          return 0;
        }
      if (strcmp (dir, "/") == 0)
        break;
      parent = cc_path_dirname (dir);
      free (dir);
      dir = parent;
    }
  return cc_error_make (err, ENOENT,
                        "no configuration file provided: none of compose.yaml, compose.yml, docker-compose.yml, "
                        "docker-compose.yaml in `%s` or its parents",
                        workdir);
}

/* COMPOSE_FILE set in the .env of the start directory selects the files
   as if it came from the shell (Docker Compose reads that .env first).  */
static int
files_from_dotenv (const char *dir, char ***files, cc_error_t *err)
{
  cleanup_free char *path = cc_path_join (dir, ".env");
  cleanup_strv char **vars = NULL;
  cleanup_env struct cc_env *shell = cc_env_new ();
  cleanup_env struct cc_env *env = cc_env_new ();
  const char *list, *sep;
  cleanup_strv char **parts = NULL;

  if (getenv ("COMPOSE_FILE") || ! cc_file_exists (path))
    return 0;
  cc_env_set_strv (shell, environ, true);
  if (cc_envfile_parse (path, false, shell, &vars, err) < 0)
    return -1;
  cc_env_set_strv (env, vars, true);
  list = cc_env_get (env, "COMPOSE_FILE");
  if (list == NULL || *list == '\0')
    return 0;
  sep = cc_env_get (env, "COMPOSE_PATH_SEPARATOR");
  if (sep == NULL)
    sep = getenv ("COMPOSE_PATH_SEPARATOR");
  parts = cc_strv_split (list, sep && *sep ? *sep : ':', true);
  for (size_t i = 0; parts[i]; i++)
    cc_strv_push (files, absolute (dir, parts[i]));
  return 0;
}

static int
resolve_files (struct loader *ld, char ***files, cc_error_t *err)
{
  char **given = ld->opts->files;

  /* Docker Compose looks for the files in --project-directory when it
     is given (it becomes the working directory of the project).  */
  if (given == NULL || given[0] == NULL)
    {
      cleanup_free char *start
          = ld->opts->project_directory ? absolute (ld->workdir, ld->opts->project_directory) : xstrdup (ld->workdir);

      if (files_from_dotenv (start, files, err) < 0)
        return -1;
      if (*files && (*files)[0])
        return 0;
      return discover (start, files, err);
    }
  for (size_t i = 0; given[i]; i++)
    {
      if (strcmp (given[i], "-") == 0)
        cc_strv_append (files, "-");
      else
        cc_strv_push (files, absolute (ld->workdir, given[i]));
    }
  return 0;
}

/* REGULAR_ONLY: a file a compose file names, never a pipe or device.  */
static int
load_yaml (const char *path, bool regular_only, struct cc_node **out, cc_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_node struct cc_node *root = NULL;
  size_t len = 0;

  if (strcmp (path, "-") == 0)
    {
      if (cc_read_fd_max (STDIN_FILENO, STDIN_NAME, CC_COMPOSE_FILE_MAX, &text, &len, err) < 0
          || cc_yaml_load_string (STDIN_NAME, text, len, &root, err) < 0)
        return -1;
    }
  else if (cc_yaml_load_file (path, regular_only, &root, err) < 0)
    return -1;
  if (root->kind != CC_NODE_MAP)
    return cc_error_at (err, root, "the top level of a compose file must be a mapping");
  *out = steal_pointer (&root);
  return 0;
}

/* Directory a node's relative paths are relative to.  */
static char *
dir_of_node (struct loader *ld, const struct cc_node *n)
{
  if (n->file == NULL || strcmp (n->file, STDIN_NAME) == 0 || n->file[0] != '/')
    return xstrdup (ld->workdir);
  return cc_path_dirname (n->file);
}

/* ---- environment ---- */

/* REQUIRED: files the user named (--env-file, an include's env_file),
   which must exist; FROM_CLI: named on the command line, which may be
   pipes.  */
static int
add_env_files (struct cc_env *env, char *const *files, const char *base_dir, bool required, bool from_cli,
               cc_error_t *err)
{
  cleanup_env struct cc_env *from_files = cc_env_new ();
  cleanup_strv char **all = NULL;

  for (size_t i = 0; files && files[i]; i++)
    {
      cleanup_free char *path = absolute (base_dir, files[i]);
      cleanup_env struct cc_env *lookup = cc_env_dup (env);
      cleanup_strv char **vars = NULL;
      cleanup_strv char **earlier = cc_env_to_strv (from_files);

      if (! required && ! cc_file_exists (path))
        continue;
      /* Later files override earlier ones; the shell overrides them all.  */
      cc_env_set_strv (lookup, earlier, false);
      if (cc_envfile_parse (path, from_cli, lookup, &vars, err) < 0)
        return cc_error_wrap (err, "env file");
      cc_env_set_strv (from_files, vars, true);
    }
  all = cc_env_to_strv (from_files);
  cc_env_set_strv (env, all, false);
  return 0;
}

static int
build_env (struct loader *ld, const char *project_dir, cc_error_t *err)
{
  char *dotenv[] = { (char *)".env", NULL };

  ld->env = cc_env_new ();
  cc_env_set_strv (ld->env, environ, true);
  /* --env-file (or COMPOSE_ENV_FILES) replaces the default .env.  */
  if (ld->opts->env_files && ld->opts->env_files[0])
    return add_env_files (ld->env, ld->opts->env_files, ld->workdir, true, true, err);
  if (ld->opts->no_dotenv)
    return 0;
  return add_env_files (ld->env, dotenv, project_dir, false, false, err);
}

/* ---- paths of content from another directory ---- */

static bool
is_remote (const char *s)
{
  return strstr (s, "://") || strncmp (s, "git@", 4) == 0 || strncmp (s, "github.com/", 11) == 0;
}

static void
rebase_scalar (struct cc_node *n, const char *dir)
{
  char *abs;

  if (n == NULL || n->kind != CC_NODE_SCALAR || n->value[0] == '/' || n->value[0] == '~' || is_remote (n->value))
    return;
  abs = absolute (dir, n->value[0] ? n->value : ".");
  free (n->value);
  n->value = abs;
}

static void
rebase_volume (struct cc_node *v, const char *dir)
{
  if (v->kind == CC_NODE_MAP)
    {
      const char *type = cc_node_map_get_string (v, "type");
      struct cc_node *src = cc_node_map_get (v, "source");

      if (src && src->kind == CC_NODE_SCALAR && (type ? strcmp (type, "bind") == 0 : src->value[0] == '.'))
        rebase_scalar (src, dir);
      return;
    }
  /* Short syntax SOURCE:TARGET[:MODE]: only a source starting with `.` is
     a relative host path (anything else without `/` names a volume); a
     lone path is the target of an anonymous volume.  */
  if (v->kind == CC_NODE_SCALAR && v->value[0] == '.' && strchr (v->value, ':'))
    {
      const char *colon = strchr (v->value, ':');
      cleanup_free char *src = xstrndup (v->value, (size_t)(colon - v->value));
      cleanup_free char *abs = absolute (dir, src);
      char *nv = xasprintf ("%s%s", abs, colon);

      free (v->value);
      v->value = nv;
    }
}

static void
rebase_list (struct cc_node *n, const char *dir, const char *key_in_map)
{
  if (n == NULL)
    return;
  if (n->kind == CC_NODE_SCALAR)
    rebase_scalar (n, dir);
  for (size_t i = 0; n->kind == CC_NODE_SEQ && i < n->len; i++)
    {
      if (n->items[i]->kind == CC_NODE_MAP)
        rebase_scalar (cc_node_map_get (n->items[i], key_in_map), dir);
      else
        rebase_scalar (n->items[i], dir);
    }
}

static void
rebase_service (struct cc_node *svc, const char *dir)
{
  struct cc_node *build = cc_node_map_get (svc, "build");
  struct cc_node *volumes = cc_node_map_get (svc, "volumes");
  struct cc_node *extends = cc_node_map_get (svc, "extends");

  if (svc->kind != CC_NODE_MAP)
    return;
  if (build && build->kind == CC_NODE_SCALAR)
    rebase_scalar (build, dir);
  else if (build && build->kind == CC_NODE_MAP)
    {
      if (cc_node_map_get (build, "context") == NULL)
        cc_node_map_set (build, "context", cc_node_new_scalar (".", build));
      rebase_scalar (cc_node_map_get (build, "context"), dir);
    }
  rebase_list (cc_node_map_get (svc, "env_file"), dir, "path");
  rebase_list (cc_node_map_get (svc, "label_file"), dir, "path");
  for (size_t i = 0; volumes && volumes->kind == CC_NODE_SEQ && i < volumes->len; i++)
    rebase_volume (volumes->items[i], dir);
  if (extends && extends->kind == CC_NODE_MAP)
    rebase_scalar (cc_node_map_get (extends, "file"), dir);
}

static void
rebase_document (struct cc_node *doc, const char *dir)
{
  struct cc_node *services = cc_node_map_get (doc, "services");

  for (size_t i = 0; services && services->kind == CC_NODE_MAP && i < services->len; i++)
    rebase_service (services->items[i], dir);
  for (const char *const *s = (const char *const[]){ "secrets", "configs", NULL }; *s; s++)
    {
      struct cc_node *section = cc_node_map_get (doc, *s);

      for (size_t i = 0; section && section->kind == CC_NODE_MAP && i < section->len; i++)
        if (section->items[i]->kind == CC_NODE_MAP)
          rebase_scalar (cc_node_map_get (section->items[i], "file"), dir);
    }
}

/* ---- include ---- */

static int load_file (struct loader *ld, const char *path, const struct cc_node *named_by, const struct cc_env *env,
                      char ***stack, struct cc_node **out, cc_error_t *err);

static char *
chain_text (char *const *stack, const char *last)
{
  cleanup_strv char **all = cc_strv_dup (stack);

  cc_strv_append (&all, last);
  return cc_strv_join (all, " -> ");
}

/* The parts of one `include` entry, short or long syntax.  */
struct include_entry
{
  char **paths;
  char *project_dir;
  char **env_files;
};

static void
include_entry_release (struct include_entry *e)
{
  cc_strv_free (e->paths);
  free (e->project_dir);
  cc_strv_free (e->env_files);
}

static int
string_list (const struct cc_node *n, const char *dir, char ***out, cc_error_t *err)
{
  if (n->kind == CC_NODE_SCALAR && *n->value == '\0')
    return cc_error_at (err, n, "expected a path, not an empty value");
  if (n->kind == CC_NODE_SCALAR)
    {
      cc_strv_push (out, absolute (dir, n->value));
      return 0;
    }
  if (n->kind != CC_NODE_SEQ)
    return cc_error_at (err, n, "expected a string or a list of strings");
  for (size_t i = 0; i < n->len; i++)
    {
      if (n->items[i]->kind != CC_NODE_SCALAR || *n->items[i]->value == '\0')
        return cc_error_at (err, n->items[i], "expected a path");
      cc_strv_push (out, absolute (dir, n->items[i]->value));
    }
  return 0;
}

static int
parse_include_entry (struct loader *ld, const struct cc_node *item, struct include_entry *e, cc_error_t *err)
{
  cleanup_free char *dir = dir_of_node (ld, item);
  const struct cc_node *path, *pd, *env_file;

  if (item->kind == CC_NODE_SCALAR)
    return string_list (item, dir, &e->paths, err);
  if (item->kind != CC_NODE_MAP)
    return cc_error_at (err, item, "an `include` entry must be a path or a mapping with `path`");
  for (size_t i = 0; i < item->len; i++)
    {
      const char *k = item->keys[i]->value;
      if (strcmp (k, "path") && strcmp (k, "project_directory") && strcmp (k, "env_file"))
        return cc_error_at (err, item->keys[i],
                            "unknown key `%s` in `include` (expected path, project_directory, env_file)", k);
    }
  path = cc_node_map_get (item, "path");
  if (path == NULL)
    return cc_error_at (err, item, "an `include` entry needs a `path`");
  if (string_list (path, dir, &e->paths, err) < 0)
    return -1;
  if (e->paths == NULL)
    return cc_error_at (err, path, "`path` of an `include` entry is empty");
  pd = cc_node_map_get (item, "project_directory");
  if (pd && pd->kind != CC_NODE_SCALAR)
    return cc_error_at (err, pd, "`project_directory` must be a string");
  if (pd)
    e->project_dir = absolute (dir, pd->value);
  env_file = cc_node_map_get (item, "env_file");
  if (env_file && string_list (env_file, dir, &e->env_files, err) < 0)
    return -1;
  return 0;
}

/* Add the resources of an included document to DOC; defining one in both
   is an error unless the two definitions are identical.  */
static int
add_included (struct cc_node *doc, const struct cc_node *inc, cc_error_t *err)
{
  for (size_t s = 0; s < CC_N_ELEMENTS (resource_sections); s++)
    {
      const struct cc_node *from = cc_node_map_get (inc, resource_sections[s]);
      struct cc_node *to = cc_node_map_get (doc, resource_sections[s]);

      if (from == NULL || from->kind != CC_NODE_MAP)
        continue;
      if (to == NULL || to->kind != CC_NODE_MAP)
        {
          cc_node_map_set (doc, resource_sections[s], cc_node_dup (from));
          continue;
        }
      for (size_t i = 0; i < from->len; i++)
        {
          const char *name = from->keys[i]->value;
          const struct cc_node *mine = cc_node_map_get (to, name);
          const struct cc_node *mine_key = NULL;

          if (mine == NULL)
            {
              cc_node_map_set (to, name, cc_node_dup (from->items[i]));
              continue;
            }
          if (cc_node_equal (mine, from->items[i]))
            continue;
          for (size_t k = 0; k < to->len; k++)
            if (to->items[k] == mine)
              mine_key = to->keys[k];
          return cc_error_at (err, mine_key, "%s.%s is also defined by the included file %s:%d", resource_sections[s],
                              name, from->keys[i]->file, from->keys[i]->line);
        }
    }
  return 0;
}

static int
include_one (struct loader *ld, struct cc_node *doc, const struct cc_node *at, const struct include_entry *e,
             char ***stack, cc_error_t *err)
{
  cleanup_free char *pdir = e->project_dir ? xstrdup (e->project_dir) : cc_path_dirname (e->paths[0]);
  cleanup_env struct cc_env *env = cc_env_dup (ld->env);
  cleanup_node struct cc_node *merged = NULL;
  char *dotenv[] = { (char *)".env", NULL };

  /* The including project's variables win over the included .env.  */
  if (add_env_files (env, e->env_files ? e->env_files : dotenv, pdir, e->env_files != NULL, false, err) < 0)
    return cc_error_relocate (err, at, "include");
  for (size_t i = 0; e->paths[i]; i++)
    {
      cleanup_node struct cc_node *part = NULL;

      if (cc_strv_contains (*stack, e->paths[i]))
        {
          cleanup_free char *chain = chain_text (*stack, e->paths[i]);
          return cc_error_at (err, at, "include cycle: %s", chain);
        }

      if (load_file (ld, e->paths[i], at, env, stack, &part, err) < 0)
        return -1;
      if (merged == NULL)
        merged = steal_pointer (&part);
      else if (cc_node_merge_documents (merged, part, err) < 0)
        return -1;
    }
  rebase_document (merged, pdir);
  return add_included (doc, merged, err);
}

static int
apply_includes (struct loader *ld, struct cc_node *doc, char ***stack, cc_error_t *err)
{
  const struct cc_node *inc = cc_node_map_get (doc, "include");

  if (inc == NULL)
    return 0;
  if (inc->kind != CC_NODE_SEQ)
    return cc_error_at (err, inc, "`include` must be a list");
  for (size_t i = 0; i < inc->len; i++)
    {
      struct include_entry e = { 0 };
      int ret = parse_include_entry (ld, inc->items[i], &e, err);

      if (ret == 0)
        ret = include_one (ld, doc, inc->items[i], &e, stack, err);
      include_entry_release (&e);
      if (ret < 0)
        return ret;
    }
  cc_node_map_remove (doc, "include");
  return 0;
}

/* Load, interpolate and apply the includes of one file.  STACK holds the
   files being included, to name a cycle.  NAMED_BY: the node of the
   compose file that names PATH (include, extends), NULL for the files of
   the command line; such a file must be a regular file, and an error
   about it points there.  */
static int
load_file (struct loader *ld, const char *path, const struct cc_node *named_by, const struct cc_env *env, char ***stack,
           struct cc_node **out, cc_error_t *err)
{
  cleanup_node struct cc_node *doc = NULL;
  int ret;

  if (cc_strv_contains (*stack, path))
    {
      cleanup_free char *chain = chain_text (*stack, path);
      return cc_error_make (err, 0, "include cycle: %s", chain);
    }
  if (cc_strv_len (*stack) >= MAX_INCLUDE_DEPTH)
    return cc_error_make (err, 0, "`include` nested deeper than %d files at `%s`", MAX_INCLUDE_DEPTH, path);
  if (named_by && cc_check_regular_file (path, err) < 0)
    return cc_error_relocate (err, named_by, NULL);
  if (load_yaml (path, named_by != NULL, &doc, err) < 0)
    return -1;
  if (! ld->opts->no_interpolate && cc_interpolate_tree (doc, env, err) < 0)
    return -1;
  cc_strv_append (stack, path);
  ret = apply_includes (ld, doc, stack, err);
  free ((*stack)[cc_strv_len (*stack) - 1]);
  (*stack)[cc_strv_len (*stack) - 1] = NULL;
  if (ret < 0)
    return ret;
  *out = steal_pointer (&doc);
  return 0;
}

/* ---- extends ---- */

struct extends_ref
{
  const char *service;
  const char *file; /* NULL: the same document */
};

static int
parse_extends (const struct cc_node *ext, struct extends_ref *ref, cc_error_t *err)
{
  const struct cc_node *svc;

  if (ext->kind == CC_NODE_SCALAR)
    {
      ref->service = ext->value;
      return 0;
    }
  if (ext->kind != CC_NODE_MAP)
    return cc_error_at (err, ext, "`extends` must be a service name or a mapping with `service` and `file`");
  svc = cc_node_map_get (ext, "service");
  if (svc == NULL || svc->kind != CC_NODE_SCALAR)
    return cc_error_at (err, svc ? svc : ext, "`extends` needs a `service` name");
  ref->service = svc->value;
  ref->file = cc_node_map_get_string (ext, "file");
  return 0;
}

static int resolve_service (struct loader *ld, const struct cc_node *doc, const char *name, const struct cc_node *at,
                            char ***chain, char ***keys, struct cc_node **out, cc_error_t *err);

static int
resolve_base (struct loader *ld, const struct cc_node *doc, const struct cc_node *ext, char ***chain, char ***keys,
              struct cc_node **out, cc_error_t *err)
{
  struct extends_ref ref = { 0 };
  cleanup_free char *dir = NULL;
  cleanup_free char *path = NULL;
  cleanup_free char *path_dir = NULL;
  cleanup_node struct cc_node *other = NULL;
  cleanup_strv char **stack = NULL;

  if (parse_extends (ext, &ref, err) < 0)
    return -1;
  if (ref.file == NULL)
    return resolve_service (ld, doc, ref.service, ext, chain, keys, out, err);
  dir = dir_of_node (ld, ext);
  path = absolute (dir, ref.file);
  if (load_file (ld, path, ext, ld->env, &stack, &other, err) < 0)
    return -1;
  if (resolve_service (ld, other, ref.service, ext, chain, keys, out, err) < 0)
    return -1;
  /* Relative paths of the extended service are relative to its file.  */
  path_dir = cc_path_dirname (path);
  rebase_service (*out, path_dir);
  return 0;
}

static int
resolve_service (struct loader *ld, const struct cc_node *doc, const char *name, const struct cc_node *at,
                 char ***chain, char ***keys, struct cc_node **out, cc_error_t *err)
{
  const struct cc_node *services = cc_node_map_get (doc, "services");
  const struct cc_node *svc = cc_node_map_get (services, name);
  const struct cc_node *ext;
  cleanup_free char *key = NULL;
  cleanup_node struct cc_node *base = NULL;
  cleanup_node struct cc_node *own = NULL;

  if (svc == NULL)
    return cc_error_at (err, at, "`extends`: no service `%s` in %s", name, at && at->file ? at->file : "the file");
  if (svc->kind != CC_NODE_MAP)
    return cc_error_at (err, svc, "service `%s` must be a mapping", name);
  key = xasprintf ("%s#%s", doc->file ? doc->file : "", name);
  if (cc_strv_contains (*keys, key))
    {
      cleanup_free char *text = chain_text (*chain, name);
      return cc_error_at (err, at, "`extends` cycle: %s", text);
    }
  ext = cc_node_map_get (svc, "extends");
  if (ext == NULL)
    {
      *out = cc_node_dup (svc);
      return 0;
    }
  if (cc_strv_len (*chain) >= MAX_EXTENDS_DEPTH)
    return cc_error_at (err, ext, "`extends` chain longer than %d services", MAX_EXTENDS_DEPTH);
  cc_strv_append (chain, name);
  cc_strv_append (keys, key);
  if (resolve_base (ld, doc, ext, chain, keys, &base, err) < 0)
    return -1;
  own = cc_node_dup (svc);
  cc_node_map_remove (own, "extends");
  if (cc_node_merge_services (base, own, err) < 0)
    return -1;
  *out = steal_pointer (&base);
  return 0;
}

static int
apply_extends (struct loader *ld, struct cc_node *doc, cc_error_t *err)
{
  struct cc_node *services = cc_node_map_get (doc, "services");

  if (services == NULL || services->kind != CC_NODE_MAP)
    return 0;
  for (size_t i = 0; i < services->len; i++)
    {
      cleanup_strv char **chain = NULL;
      cleanup_strv char **keys = NULL;
      struct cc_node *resolved = NULL;

      if (services->items[i]->kind != CC_NODE_MAP || cc_node_map_get (services->items[i], "extends") == NULL)
        continue;
      if (resolve_service (ld, doc, services->keys[i]->value, services->keys[i], &chain, &keys, &resolved, err) < 0)
        return -1;
      cc_node_free (services->items[i]);
      services->items[i] = resolved;
    }
  return 0;
}

/* ---- the sequence ---- */

static int
load_and_merge (struct loader *ld, char *const *files, struct cc_node **out, cc_error_t *err)
{
  cleanup_node struct cc_node *root = NULL;

  for (size_t i = 0; files[i]; i++)
    {
      cleanup_node struct cc_node *doc = NULL;
      cleanup_strv char **stack = NULL;

      if (load_file (ld, files[i], NULL, ld->env, &stack, &doc, err) < 0)
        return -1;
      if (root == NULL)
        root = steal_pointer (&doc);
      else if (cc_node_merge_documents (root, doc, err) < 0)
        return -1;
    }
  *out = steal_pointer (&root);
  return 0;
}

static char *
current_dir (const char *workdir)
{
  cleanup_free char *cwd = getcwd (NULL, 0);

  if (workdir)
    return absolute (cwd ? cwd : "/", workdir);
  return cwd ? cc_path_clean (cwd) : xstrdup ("/");
}

int
cc_compose_load_tree (const struct cc_compose_options *opts, struct cc_loaded **out, cc_error_t *err)
{
  cleanup_loaded struct cc_loaded *l = xzalloc (sizeof (*l));
  struct loader ld = { .opts = opts };
  int ret;

  ld.workdir = current_dir (opts->workdir);
  ret = resolve_files (&ld, &l->files, err);
  if (ret == 0)
    {
      if (opts->project_directory)
        l->project_dir = absolute (ld.workdir, opts->project_directory);
      else
        l->project_dir = strcmp (l->files[0], "-") == 0 ? xstrdup (ld.workdir) : cc_path_dirname (l->files[0]);
      ret = build_env (&ld, l->project_dir, err);
    }
  if (ret == 0)
    ret = load_and_merge (&ld, l->files, &l->root, err);
  if (ret == 0)
    ret = apply_extends (&ld, l->root, err);
  if (ret == 0)
    ret = project_name (&ld, l->root, l->project_dir, &l->project_name, err);
  free (ld.workdir);
  l->env = ld.env;
  if (ret < 0)
    return ret;
  *out = steal_pointer (&l);
  return 0;
}
