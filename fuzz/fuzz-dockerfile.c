/* A Dockerfile through the whole frontend: parse, plan (with build args
   and the default target), evaluate every needed stage against a base
   image config that carries ONBUILD triggers, write each stage's config
   JSON and every step's cache key.  */
#include <stdlib.h>
#include <string.h>

#include "builder/builder.h"
#include "fuzz/fuzz.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

CC_FUZZ_QUIET_INIT

static const char base[]
    = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/usr/bin:/bin\",\"HOME=/root\"],"
      "\"Cmd\":[\"sh\"],\"WorkingDir\":\"/srv\",\"User\":\"app\",\"OnBuild\":[\"ENV TRIGGERED=1\","
      "\"RUN echo $TRIGGERED\",\"COPY . /onbuild\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

static int
image_config (void *opaque, const char *ref, struct cc_builder_image **out, cc_error_t *err)
{
  (void)opaque;
  /* One image without triggers, so both paths run.  */
  if (strstr (ref, "scratchy") != NULL)
    {
      *out = cc_builder_image_scratch ("linux/amd64");
      return 0;
    }
  return cc_builder_image_parse (base, sizeof (base) - 1, out, err);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *const args[] = { "V=1", "HTTP_PROXY=http://p", "UNUSED=x", "TAG=3", NULL };
  struct cc_builder_opts opts = { NULL, args, "linux/amd64" };
  cleanup_dockerfile struct cc_dockerfile *df = NULL;
  cleanup_builder_plan struct cc_builder_plan *plan = NULL;
  cleanup_builder_result struct cc_builder_result *res = NULL;
  cleanup_error cc_error_t err = NULL;

  if (size > CC_FUZZ_MAX_INPUT)
    return -1;
  if (cc_dockerfile_parse ("Dockerfile", (const char *)data, size, &df, &err) < 0)
    return 0;
  if (cc_builder_plan_new (df, &opts, &plan, &err) < 0)
    return 0;
  if (cc_builder_evaluate (plan, image_config, NULL, &res, &err) < 0)
    return 0;
  for (size_t i = 0; i < res->n_stages; i++)
    {
      const struct cc_builder_stage_result *s = &res->stages[i];
      cleanup_cjson cJSON *doc = cc_builder_image_to_json (s->image);
      cleanup_free char *text = cJSON_PrintUnformatted (doc);
      cleanup_free char *parent = xstrdup ("sha256:base");
      for (size_t k = 0; k < s->n_steps; k++)
        {
          struct cc_builder_input in = { "input", "sha256:0" };
          char *key = cc_builder_cache_key (parent, &s->steps[k], &in, 1);
          free (parent);
          parent = key;
        }
      (void)text;
    }
  return 0;
}
