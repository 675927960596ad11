/* The per-key report: what became of every compose key.  Lines are kept
   in the order the conversion met them (services by name, keys in model
   order), so the report is as stable as the manifests.  */
#include <string.h>

#include "convert/internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/json.h"
#include "lib/xalloc.h"

static const char *const status_names[CC_CONVERT_N_STATUS] = { "converted", "approximated", "dropped" };

const char *
cc_convert_status_name (enum cc_convert_status s)
{
  return (unsigned)s < CC_CONVERT_N_STATUS ? status_names[s] : "?";
}

void
cv_report_add (struct cv_report *r, const char *scope, const char *key, enum cc_convert_status st, const char *where,
               const char *detail)
{
  cJSON *e = cJSON_CreateObject ();

  if (r->entries == NULL)
    r->entries = cJSON_CreateArray ();
  cc_json_set_string (e, "scope", scope);
  cc_json_set_string (e, "key", key ? key : "");
  cc_json_set_string (e, "status", cc_convert_status_name (st));
  cc_json_set_string (e, "detail", detail);
  if (where)
    cc_json_set_string (e, "where", where);
  cJSON_AddItemToArray (r->entries, e);
  r->counts[st]++;
}

/* Lines grouped by what they are about, in this order, each group's own
   line (key "") first, the rest as the conversion met them.  */
static int
scope_rank (const char *scope)
{
  static const char *const order[] = { "project", "service ", "volume ", "network ", "secret ", "config " };

  for (size_t i = 0; i < CC_N_ELEMENTS (order); i++)
    if (strncmp (scope, order[i], strlen (order[i])) == 0)
      return (int)i;
  return (int)CC_N_ELEMENTS (order);
}

static int
compare_entries (const cJSON *a, const cJSON *b)
{
  const char *sa = cc_json_get_string (a, "scope"), *sb = cc_json_get_string (b, "scope");
  int ra = scope_rank (sa), rb = scope_rank (sb), d;

  if (ra != rb)
    return ra - rb;
  d = strcmp (sa, sb);
  if (d)
    return d;
  return (*cc_json_get_string (b, "key") == '\0') - (*cc_json_get_string (a, "key") == '\0');
}

void
cv_report_sort (struct cv_report *r)
{
  size_t n = (size_t)cJSON_GetArraySize (r->entries);
  cleanup_free cJSON **items = xzalloc ((n + 1) * sizeof (cJSON *));
  size_t i = 0;

  while (r->entries->child)
    items[i++] = cJSON_DetachItemViaPointer (r->entries, r->entries->child);
  /* Insertion sort: stable, and reports are short.  */
  for (i = 1; i < n; i++)
    for (size_t j = i; j > 0 && compare_entries (items[j - 1], items[j]) > 0; j--)
      {
        cJSON *t = items[j];
        items[j] = items[j - 1];
        items[j - 1] = t;
      }
  for (i = 0; i < n; i++)
    cJSON_AddItemToArray (r->entries, items[i]);
}

/* "compose.yaml:12:7" of "/abs/dir/compose.yaml:12:7": the report reads
   the same wherever the project lives.  */
static const char *
short_where (const char *where)
{
  const char *colon = strchr (where, ':');
  const char *slash = NULL;

  for (const char *p = where; *p && (colon == NULL || p < colon); p++)
    if (*p == '/')
      slash = p;
  return slash ? slash + 1 : where;
}

char *
cc_convert_report_text (const struct cc_convert_result *r)
{
  struct cc_buf b = { 0 };

  for (const cJSON *e = r->report ? r->report->child : NULL; e; e = e->next)
    {
      const char *key = cc_json_get_string (e, "key"), *where = cc_json_get_string (e, "where");
      cc_buf_printf (&b, "%-12s  %s%s%s: %s", cc_json_get_string (e, "status"), cc_json_get_string (e, "scope"),
                     *key ? ": " : "", key, cc_json_get_string (e, "detail"));
      if (where)
        cc_buf_printf (&b, " (%s)", short_where (where));
      cc_buf_putc (&b, '\n');
    }
  cc_buf_printf (&b, "%zu converted, %zu approximated, %zu dropped\n", r->counts[CC_CONVERT_CONVERTED],
                 r->counts[CC_CONVERT_APPROXIMATED], r->counts[CC_CONVERT_DROPPED]);
  return cc_buf_steal (&b);
}

char *
cc_convert_report_json (const struct cc_convert_result *r)
{
  cleanup_cjson cJSON *doc = cJSON_CreateObject ();
  cJSON *counts = cJSON_CreateObject ();
  char *text;

  for (int i = 0; i < CC_CONVERT_N_STATUS; i++)
    cc_json_set_int (counts, status_names[i], (int64_t)r->counts[i]);
  cc_json_set (doc, "counts", counts);
  cc_json_set (doc, "keys", r->report ? cJSON_Duplicate (r->report, true) : cJSON_CreateArray ());
  text = cc_compose_render_json (doc);
  return text;
}
