#include "finding.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
cc_findings_add (struct cc_findings *f, const char *kind, bool fixable, char *object, char *detail)
{
  f->v = xreallocarray (f->v, f->n + 1, sizeof (*f->v));
  f->v[f->n++] = (struct cc_finding){ .kind = kind, .object = object, .detail = detail, .fixable = fixable };
}

void
cc_findings_move (struct cc_findings *to, struct cc_findings *from)
{
  if (from->n == 0)
    return;
  to->v = xreallocarray (to->v, to->n + from->n, sizeof (*to->v));
  memcpy (to->v + to->n, from->v, from->n * sizeof (*from->v));
  to->n += from->n;
  free (from->v);
  from->v = NULL;
  from->n = 0;
}

char *
cc_finding_describe (const struct cc_finding *f)
{
  return xasprintf ("%s%s%s%s%s%s", f->object, f->detail ? " (" : "", f->detail ? f->detail : "", f->detail ? ")" : "",
                    f->where ? " in " : "", f->where ? f->where : "");
}

void
cc_findings_release (struct cc_findings *f)
{
  for (size_t i = 0; i < f->n; i++)
    {
      free (f->v[i].object);
      free (f->v[i].detail);
      free (f->v[i].where);
    }
  free (f->v);
  f->v = NULL;
  f->n = 0;
}
