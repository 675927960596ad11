/* The YAML loader and the model: bytes -> libyaml -> node tree ->
   interpolation -> normalized project, as `ccompose config` does it for
   one file, without touching the disk; then the engine's plan of a first
   `up` for it (pure: model + empty state -> actions).  */
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "engine/engine.h"
#include "fuzz/fuzz.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

CC_FUZZ_QUIET_INIT

static void
plan_first_up (const struct cc_project *p)
{
  cleanup_cjson cJSON *state = cJSON_CreateObject ();
  cleanup_plan struct cc_plan *plan = NULL;
  cleanup_error cc_error_t err = NULL;
  struct cc_plan_opts opts = { 0 };

  if (cc_plan_make (p, state, &opts, &plan, &err) == 0)
    free (cc_plan_format (plan));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct cc_compose_options opts = { .ignore_unsupported = true };
  cleanup_error cc_error_t err = NULL;
  cleanup_project struct cc_project *p = NULL;
  cleanup_env struct cc_env *env = cc_env_new ();
  cleanup_node struct cc_node *root = NULL;
  cleanup_free char *text = NULL;
  struct cc_loaded l = { 0 };

  if (size > CC_FUZZ_MAX_INPUT)
    return -1;
  /* Every caller hands the loader a NUL-terminated buffer (it keeps a
     copy of the text with its terminator for error messages).  */
  text = xmalloc (size + 1);
  memcpy (text, data, size);
  text[size] = '\0';
  cc_interpolate_reset_warnings ();
  if (cc_yaml_load_string ("fuzz.yaml", text, size, &root, &err) < 0)
    return 0;
  cc_env_set (env, "TAG", "7", true);
  cc_env_set (env, "EMPTY", "", true);
  if (cc_interpolate_tree (root, env, &err) < 0)
    return 0;
  l.root = root;
  l.project_name = (char *)"fuzz";
  l.project_dir = (char *)"/fuzz";
  l.env = env;
  if (cc_project_from_tree (&opts, &l, &p, &err) < 0)
    return 0;
  free (cc_compose_render_yaml (p->model));
  free (cc_compose_render_json (p->model));
  plan_first_up (p);
  return 0;
}
