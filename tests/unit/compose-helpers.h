/* Shared by the compose unit tests: a project loaded from a string, the
   way the loader does it (interpolation, then the model).  */
#ifndef CC_TESTS_COMPOSE_HELPERS_H
#define CC_TESTS_COMPOSE_HELPERS_H

#include <string.h>

#include "compose/model.h"

/* The document is "test.yaml" of project "proj" in /proj; FROM_SHELL is
   set in its environment.  */
static inline int
test_load_project (const char *yaml, const struct cc_compose_options *opts, struct cc_project **out, cc_error_t *err)
{
  struct cc_loaded l = { 0 };
  int ret;

  if (cc_yaml_load_string ("test.yaml", yaml, strlen (yaml), &l.root, err) < 0)
    return -1;
  l.project_name = (char *)"proj";
  l.project_dir = (char *)"/proj";
  l.env = cc_env_new ();
  cc_env_set (l.env, "FROM_SHELL", "shell-value", true);
  /* As the loader does: $$ becomes $, ${X} is replaced.  */
  ret = cc_interpolate_tree (l.root, l.env, err);
  if (ret == 0)
    ret = cc_project_from_tree (opts, &l, out, err);
  cc_node_free (l.root);
  cc_env_free (l.env);
  return ret;
}

#endif
