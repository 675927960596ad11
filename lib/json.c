#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "xalloc.h"

static cJSON *
checked (cJSON *j)
{
  if (j == NULL)
    {
      fputs ("ccompose: out of memory\n", stderr);
      abort ();
    }
  return j;
}

int
cc_json_parse (const char *text, const char *what, cJSON **out, cc_error_t *err)
{
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithOpts (text, &end, 1);

  if (j == NULL)
    return cc_error_make (err, 0, "invalid JSON in %s near offset %zu", what, end ? (size_t)(end - text) : (size_t)0);
  *out = j;
  return 0;
}

int
cc_json_load_file (const char *path, cJSON **out, cc_error_t *err)
{
  cleanup_free char *text = NULL;

  if (cc_read_file (path, &text, NULL, err) < 0)
    return -1;
  return cc_json_parse (text, path, out, err);
}

int
cc_json_save_file (const char *path, const cJSON *json, cc_error_t *err)
{
  cleanup_free char *text = cJSON_Print (json);
  cleanup_free char *withnl = NULL;

  if (text == NULL)
    return cc_error_make (err, ENOMEM, "serialize `%s`", path);
  withnl = xasprintf ("%s\n", text);
  return cc_write_file_atomic (path, withnl, strlen (withnl), 0644, err);
}

const char *
cc_json_get_string (const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  return cJSON_IsString (v) ? v->valuestring : NULL;
}

int64_t
cc_json_get_int (const cJSON *obj, const char *key, int64_t dflt)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  return cJSON_IsNumber (v) ? cc_double_clamp_int64 (v->valuedouble) : dflt;
}

/* 2^63 is exact as a double; INT64_MAX is not (it rounds up to 2^63), so
   the bounds compare against powers of two.  */
#define TWO_POW_63 9223372036854775808.0

bool
cc_double_to_int64 (double v, int64_t *out)
{
  if (! (v >= -TWO_POW_63 && v < TWO_POW_63))
    return false;
  *out = (int64_t)v;
  return true;
}

int64_t
cc_double_clamp_int64 (double v)
{
  int64_t r;

  if (cc_double_to_int64 (v, &r))
    return r;
  if (v != v)
    return 0;
  return v > 0 ? INT64_MAX : INT64_MIN;
}

bool
cc_json_get_bool (const cJSON *obj, const char *key, bool dflt)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  return cJSON_IsBool (v) ? cJSON_IsTrue (v) : dflt;
}

void
cc_json_set (cJSON *obj, const char *key, cJSON *value)
{
  checked (value);
  if (cJSON_GetObjectItemCaseSensitive (obj, key))
    cJSON_ReplaceItemInObjectCaseSensitive (obj, key, value);
  else
    cJSON_AddItemToObject (obj, key, value);
}

void
cc_json_set_string (cJSON *obj, const char *key, const char *value)
{
  cc_json_set (obj, key, value ? cJSON_CreateString (value) : cJSON_CreateNull ());
}

void
cc_json_set_int (cJSON *obj, const char *key, int64_t value)
{
  cc_json_set (obj, key, cJSON_CreateNumber ((double)value));
}

void
cc_json_set_bool (cJSON *obj, const char *key, bool value)
{
  cc_json_set (obj, key, cJSON_CreateBool (value));
}

static int
compare_members (const void *a, const void *b)
{
  return strcmp ((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

void
cc_json_sort_keys (cJSON *obj)
{
  size_t n = 0, i = 0;
  cleanup_free cJSON **items = NULL;

  if (! cJSON_IsObject (obj) || obj->child == NULL)
    return;
  for (cJSON *it = obj->child; it; it = it->next)
    n++;
  items = xzalloc (n * sizeof (cJSON *));
  for (cJSON *it = obj->child; it; it = it->next)
    items[i++] = it;
  qsort (items, n, sizeof (cJSON *), compare_members);
  for (i = 0; i < n; i++)
    {
      items[i]->prev = i ? items[i - 1] : items[n - 1];
      items[i]->next = i + 1 < n ? items[i + 1] : NULL;
    }
  obj->child = items[0];
}

cJSON *
cc_json_from_strv (char *const *v)
{
  cJSON *a = cJSON_CreateArray ();

  for (; v && *v; v++)
    cJSON_AddItemToArray (a, cJSON_CreateString (*v));
  return a;
}
