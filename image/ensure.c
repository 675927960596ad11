/* The image a container needs, pulled or not as a compose `pull_policy`
   (or `up --pull`) says: one call for the engine.  */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "image/image.h"
#include "lib/cleanup.h"
#include "lib/duration.h"

enum pull_when
{
  PULL_NEVER,
  PULL_MISSING,
  PULL_ALWAYS,
  PULL_REFRESH, /* missing, or last pulled longer ago than the period */
};

struct rule
{
  enum pull_when when;
  int64_t period_ns; /* PULL_REFRESH */
};

static const struct
{
  const char *name;
  enum pull_when when;
} policies[] = {
  { "always", PULL_ALWAYS },
  { "missing", PULL_MISSING },
  { "if_not_present", PULL_MISSING },
  /* compose-go reads a bare `refresh` (no pull_refresh_after) as missing.  */
  { "refresh", PULL_MISSING },
  { "never", PULL_NEVER },
  /* `build` images come from the builder, never from a registry.  */
  { "build", PULL_NEVER },
};

static int
rule_of (const char *policy, struct rule *out, cc_error_t *err)
{
  int period;

  out->when = PULL_MISSING;
  if (policy == NULL || *policy == '\0')
    return 0;
  for (size_t i = 0; i < CC_N_ELEMENTS (policies); i++)
    if (strcmp (policy, policies[i].name) == 0)
      {
        out->when = policies[i].when;
        return 0;
      }
  period = cc_pull_policy_period (policy, &out->period_ns);
  if (period == 1)
    {
      out->when = PULL_REFRESH;
      return 0;
    }
  return cc_error_make (err, EINVAL,
                        "pull policy `%s` is not supported (always, missing, if_not_present, never, build, daily, "
                        "weekly, every_<duration>)",
                        policy);
}

/* Seconds since the epoch of an RFC 3339 UTC time; 0 when unreadable
   (then the image counts as old: a pull is the safe side).  */
static int64_t
epoch_of (const char *rfc3339)
{
  struct tm tm = { 0 };

  if (rfc3339 == NULL || strptime (rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return 0;
  return (int64_t)timegm (&tm);
}

/* Docker Compose compares the image's LastTagTime (set by a pull, a
   build, a tag) with the period: here the later of its last pull under
   this reference and its arrival in the store (a load, an import).  */
static bool
is_stale (const struct cc_image *img, int64_t period_ns)
{
  int64_t pulled = epoch_of (img->pulled), loaded = epoch_of (img->loaded);
  int64_t last = pulled > loaded ? pulled : loaded;

  return (int64_t)time (NULL) - last >= period_ns / 1000000000;
}

/* Whether RULE pulls REF now; *IMG gets what the store has, if any.  */
static int
due (const char *ref, const struct rule *r, struct cc_image **img, bool *out, cc_error_t *err)
{
  cc_error_t e = NULL;

  *out = r->when == PULL_ALWAYS;
  if (r->when == PULL_ALWAYS || r->when == PULL_NEVER)
    return 0;
  if (cc_image_resolve (ref, img, &e) < 0)
    {
      if (e->status != ENOENT)
        {
          *err = e;
          return -1;
        }
      cc_error_release (&e);
      *out = true;
      return 0;
    }
  *out = r->when == PULL_REFRESH && is_stale (*img, r->period_ns);
  return 0;
}

int
cc_image_pull_due (const char *ref, const char *policy, bool *out, cc_error_t *err)
{
  cleanup_image struct cc_image *img = NULL;
  struct rule r;

  if (rule_of (policy, &r, err) < 0)
    return -1;
  return due (ref, &r, &img, out, err);
}

int
cc_image_ensure (const char *ref, const char *policy, bool quiet, struct cc_image **out, cc_error_t *err)
{
  cleanup_image struct cc_image *img = NULL;
  struct rule r;
  bool pull = false;

  if (rule_of (policy, &r, err) < 0 || due (ref, &r, &img, &pull, err) < 0)
    return -1;
  if (! pull && img)
    {
      *out = steal_pointer (&img);
      return 0;
    }
  if (pull && cc_image_pull (ref, quiet, err) < 0)
    return -1;
  return cc_image_resolve (ref, out, err);
}
