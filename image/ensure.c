/* The image a container needs, pulled or not as a compose `pull_policy`
   (or `up --pull`) says: one call for the engine.  */
#include <errno.h>
#include <string.h>

#include "image/image.h"
#include "lib/cleanup.h"

enum pull_when
{
  PULL_NEVER,
  PULL_MISSING,
  PULL_ALWAYS,
};

static const struct
{
  const char *name;
  enum pull_when when;
} policies[] = {
  { "always", PULL_ALWAYS },
  { "missing", PULL_MISSING },
  { "if_not_present", PULL_MISSING },
  { "never", PULL_NEVER },
  /* `build` images come from the builder, never from a registry.  */
  { "build", PULL_NEVER },
};

static int
policy_of (const char *policy, enum pull_when *out, cc_error_t *err)
{
  if (policy == NULL || *policy == '\0')
    {
      *out = PULL_MISSING;
      return 0;
    }
  for (size_t i = 0; i < CC_N_ELEMENTS (policies); i++)
    if (strcmp (policy, policies[i].name) == 0)
      {
        *out = policies[i].when;
        return 0;
      }
  return cc_error_make (err, EINVAL,
                        "pull policy `%s` is not supported (always, missing, if_not_present, never, build)", policy);
}

int
cc_image_ensure (const char *ref, const char *policy, bool quiet, struct cc_image **out, cc_error_t *err)
{
  enum pull_when when = PULL_MISSING;

  if (policy_of (policy, &when, err) < 0)
    return -1;
  if (when == PULL_ALWAYS && cc_image_pull (ref, quiet, err) < 0)
    return -1;
  if (cc_image_resolve (ref, out, err) == 0)
    return 0;
  if (when != PULL_MISSING || (*err)->status != ENOENT)
    return -1;
  cc_error_release (err);
  if (cc_image_pull (ref, quiet, err) < 0)
    return -1;
  return cc_image_resolve (ref, out, err);
}
