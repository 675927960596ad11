/* The document tree to the model in the shape of `docker compose config
   --format json`, checking every key against the table in schema.c.  Each
   error points at the node it is about.  */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/xalloc.h"

const char *
cc_node_kind_name (const struct cc_node *n)
{
  if (n->kind == CC_NODE_MAP)
    return "a map";
  if (n->kind == CC_NODE_SEQ)
    return "a list";
  return n->is_null ? "null" : "a scalar";
}

bool
cc_node_is_plain (const struct cc_node *n, const char *v)
{
  return n->kind == CC_NODE_SCALAR && ! n->quoted && strcmp (n->value, v) == 0;
}

int
cc_norm_unsupported (struct cc_norm *n, const struct cc_node *at, const char *what, cc_error_t *err)
{
  if (n->opts && n->opts->keep_unsupported)
    return 0;
  if (n->opts && n->opts->ignore_unsupported)
    {
      cc_warn_at (at, "%s is not supported by ccompose yet: ignored", what);
      return 0;
    }
  return cc_error_at (err, at, "%s is not supported by ccompose yet (--ignore-unsupported to ignore it)", what);
}

static int
want_scalar (const struct cc_node *v, const char *key, const char *what, cc_error_t *err)
{
  if (v->kind != CC_NODE_SCALAR)
    return cc_error_at (err, v, "`%s` must be %s, not %s", key, what, cc_node_kind_name (v));
  return 0;
}

static cJSON *
string_list (const struct cc_node *v, const char *key, bool allow_scalar, cc_error_t *err)
{
  cleanup_cjson cJSON *arr = cJSON_CreateArray ();

  if (allow_scalar && v->kind == CC_NODE_SCALAR)
    {
      cJSON_AddItemToArray (arr, cJSON_CreateString (v->value));
      return steal_pointer (&arr);
    }
  if (v->kind != CC_NODE_SEQ)
    {
      cc_error_at (err, v, "`%s` must be a list%s, not %s", key, allow_scalar ? " or a string" : "",
                   cc_node_kind_name (v));
      return NULL;
    }
  for (size_t i = 0; i < v->len; i++)
    {
      if (v->items[i]->kind != CC_NODE_SCALAR || v->items[i]->is_null)
        {
          cc_error_at (err, v->items[i], "items of `%s` must be strings, not %s", key, cc_node_kind_name (v->items[i]));
          return NULL;
        }
      cJSON_AddItemToArray (arr, cJSON_CreateString (v->items[i]->value));
    }
  return steal_pointer (&arr);
}

/* Map or KEY=VALUE list to a map of strings.  A bare `KEY` in a list
   takes its value from ENV (environment), or is null when NULL_FOR_BARE,
   else "" (labels).  */
int
cc_norm_mapping (const struct cc_node *v, const struct cc_env *env, bool null_for_bare, cJSON **out, cc_error_t *err)
{
  cleanup_cjson cJSON *o = cJSON_CreateObject ();

  if (v->kind == CC_NODE_MAP)
    for (size_t i = 0; i < v->len; i++)
      {
        const struct cc_node *val = v->items[i];
        if (val->kind != CC_NODE_SCALAR)
          return cc_error_at (err, val, "the value of `%s` must be a string, a number or a boolean, not %s",
                              v->keys[i]->value, cc_node_kind_name (val));
        /* `KEY:` with no value is the map spelling of a bare `KEY`.  */
        if (val->is_null && null_for_bare && env && cc_env_get (env, v->keys[i]->value))
          cc_json_set_string (o, v->keys[i]->value, cc_env_get (env, v->keys[i]->value));
        else
          cc_json_set (o, v->keys[i]->value,
                       val->is_null && null_for_bare ? cJSON_CreateNull () : cJSON_CreateString (val->value));
      }
  else if (v->kind == CC_NODE_SEQ)
    for (size_t i = 0; i < v->len; i++)
      {
        const struct cc_node *it = v->items[i];
        const char *eq;
        if (it->kind != CC_NODE_SCALAR || it->is_null || *it->value == '\0')
          return cc_error_at (err, it, "entries must be `KEY=VALUE` strings");
        eq = strchr (it->value, '=');
        if (eq)
          {
            cleanup_free char *k = xstrndup (it->value, (size_t)(eq - it->value));
            cc_json_set_string (o, k, eq + 1);
          }
        else if (env && cc_env_get (env, it->value))
          cc_json_set_string (o, it->value, cc_env_get (env, it->value));
        else
          cc_json_set (o, it->value, null_for_bare ? cJSON_CreateNull () : cJSON_CreateString (""));
      }
  else if (! v->is_null)
    return cc_error_at (err, v, "expected a map or a list of `KEY=VALUE`, not %s", cc_node_kind_name (v));
  cc_json_sort_keys (o);
  *out = steal_pointer (&o);
  return 0;
}

static int
norm_scalar (const struct cc_schema_key *key, const struct cc_node *v, cJSON **out, cc_error_t *err)
{
  int64_t i;
  double d;
  bool b;

  switch (key->type)
    {
    case CC_KEY_STRING:
      *out = cJSON_CreateString (v->value);
      return 0;
    case CC_KEY_BOOL:
      if (cc_parse_bool (v->value, &b, err) < 0)
        return cc_error_relocate (err, v, key->name);
      *out = cJSON_CreateBool (b);
      return 0;
    case CC_KEY_INT:
      if (cc_parse_int (v->value, -(1LL << 53), 1LL << 53, &i, err) < 0)
        return cc_error_relocate (err, v, key->name);
      *out = cJSON_CreateNumber ((double)i);
      return 0;
    case CC_KEY_FLOAT:
      if (cc_parse_float (v->value, &d, err) < 0)
        return cc_error_relocate (err, v, key->name);
      *out = cJSON_CreateNumber (d);
      return 0;
    case CC_KEY_DURATION:
      {
        cleanup_free char *s = NULL;
        if (cc_parse_duration (v->value, &i, err) < 0)
          return cc_error_relocate (err, v, key->name);
        if (i < 0)
          return cc_error_at (err, v, "%s: a duration cannot be negative", key->name);
        s = cc_format_duration (i);
        *out = cJSON_CreateString (s);
        return 0;
      }
    case CC_KEY_BYTES:
      {
        cleanup_free char *s = NULL;
        /* memswap_limit: -1 means unlimited.  */
        if (strcmp (v->value, "-1") == 0)
          i = -1;
        else if (cc_parse_bytes (v->value, &i, err) < 0)
          return cc_error_relocate (err, v, key->name);
        s = xasprintf ("%lld", (long long)i);
        *out = cJSON_CreateString (s);
        return 0;
      }
    default:
      return cc_error_at (err, v, "internal: `%s` is not a scalar type", key->name);
    }
}

static cJSON *
node_to_json (const struct cc_node *v)
{
  cJSON *o;

  if (v->kind == CC_NODE_SCALAR)
    return v->is_null ? cJSON_CreateNull () : cJSON_CreateString (v->value);
  o = v->kind == CC_NODE_MAP ? cJSON_CreateObject () : cJSON_CreateArray ();
  for (size_t i = 0; i < v->len; i++)
    {
      if (v->kind == CC_NODE_MAP)
        cJSON_AddItemToObject (o, v->keys[i]->value, node_to_json (v->items[i]));
      else
        cJSON_AddItemToArray (o, node_to_json (v->items[i]));
    }
  return o;
}

static int
norm_list_of (struct cc_norm *n, const struct cc_schema_key *key, const struct cc_node *v, cJSON **out, cc_error_t *err)
{
  cleanup_cjson cJSON *arr = cJSON_CreateArray ();

  if (v->kind != CC_NODE_SEQ)
    return cc_error_at (err, v, "`%s` must be a list, not %s", key->name, cc_node_kind_name (v));
  for (size_t i = 0; i < v->len; i++)
    {
      cJSON *o = NULL;
      if (cc_norm_object (n, key->sub, v->items[i], &o, err) < 0)
        return -1;
      cJSON_AddItemToArray (arr, o);
    }
  *out = steal_pointer (&arr);
  return 0;
}

static int
norm_map_of (struct cc_norm *n, const struct cc_schema_key *key, const struct cc_node *v, cJSON **out, cc_error_t *err)
{
  cleanup_cjson cJSON *obj = cJSON_CreateObject ();

  if (v->kind != CC_NODE_MAP)
    return cc_error_at (err, v, "`%s` must be a map, not %s", key->name, cc_node_kind_name (v));
  for (size_t i = 0; i < v->len; i++)
    {
      cJSON *o = NULL;
      const char *saved = n->service;

      if (strncmp (v->keys[i]->value, "x-", 2) == 0)
        continue;
      if (key->sub == &cc_schema_service)
        n->service = v->keys[i]->value;
      if (cc_norm_object (n, key->sub, v->items[i], &o, err) < 0)
        return -1;
      if (key->sub == &cc_schema_service
          && (cc_norm_service_environment (n, v->items[i], o, err) < 0
              || cc_norm_service_labels (n, v->items[i], o, err) < 0))
        {
          cJSON_Delete (o);
          return -1;
        }
      n->service = saved;
      /* Keys are unique (the loader rejects duplicates): append, no lookup.  */
      cJSON_AddItemToObject (obj, v->keys[i]->value, o);
    }
  *out = steal_pointer (&obj);
  return 0;
}

int
cc_norm_value (struct cc_norm *n, const struct cc_schema_key *key, const struct cc_node *v, cJSON **out,
               cc_error_t *err)
{
  *out = NULL;
  switch (key->type)
    {
    case CC_KEY_STRING_LIST:
    case CC_KEY_LIST:
      *out = string_list (v, key->name, key->type == CC_KEY_STRING_LIST, err);
      return *out ? 0 : -1;
    case CC_KEY_MAPPING:
      return cc_norm_mapping (v, NULL, false, out, err);
    case CC_KEY_OBJECT:
      return cc_norm_object (n, key->sub, v, out, err);
    case CC_KEY_MAP_OF:
      return norm_map_of (n, key, v, out, err);
    case CC_KEY_LIST_OF:
      return norm_list_of (n, key, v, out, err);
    case CC_KEY_ANY:
      *out = node_to_json (v);
      return 0;
    case CC_KEY_CUSTOM:
      return cc_error_at (err, v, "internal: `%s` has no value conversion", key->name);
    default:
      if (want_scalar (v, key->name, "a scalar", err) < 0)
        return -1;
      return norm_scalar (key, v, out, err);
    }
}

/* A top-level map with image or build is a service of the old v1 format.  */
static bool
looks_like_v1_service (const struct cc_node *v)
{
  return v && v->kind == CC_NODE_MAP && (cc_node_map_get (v, "image") || cc_node_map_get (v, "build"));
}

static int
unknown_key (const struct cc_schema_table *table, const struct cc_node *k, const struct cc_node *v, cc_error_t *err)
{
  const char *hint = cc_schema_suggest (table, k->value);

  if (hint)
    return cc_error_at (err, k, "unknown key `%s` in %s: did you mean `%s`?", k->value, table->what, hint);
  if (table == &cc_schema_top && looks_like_v1_service (v))
    return cc_error_at (err, k,
                        "unknown top-level key `%s`: this looks like the old v1 format; "
                        "put services under `services:`",
                        k->value);
  if (table == &cc_schema_top && cc_schema_find (&cc_schema_service, k->value))
    return cc_error_at (err, k, "unknown top-level key `%s`: it belongs inside a service", k->value);
  if (table == &cc_schema_top)
    return cc_error_at (err, k, "unknown top-level key `%s` (services go under `services:`)", k->value);
  return cc_error_at (err, k, "unknown key `%s` in %s", k->value, table->what);
}

/* Go drops a false `bool` field with omitempty; only the `*bool` fields
   (and `required`, which has no omitempty) print false.  */
static bool
keeps_false (const char *key)
{
  static const char *const keep[] = { "init", "attach", "enable_ipv4", "enable_ipv6", "create_host_path", "required" };

  for (size_t i = 0; i < CC_N_ELEMENTS (keep); i++)
    if (strcmp (key, keep[i]) == 0)
      return true;
  return false;
}

static int
norm_key (struct cc_norm *n, const struct cc_schema_key *key, const struct cc_node *k, const struct cc_node *v,
          cJSON *obj, cc_error_t *err)
{
  cJSON *j = NULL;

  if (key->status == CC_KEY_UNSUPPORTED)
    {
      cleanup_free char *what = xasprintf ("`%s`", k->value);
      if (cc_norm_unsupported (n, k, what, err) < 0)
        return -1;
    }
  if (key->status == CC_KEY_SWARM && ! (n->opts && n->opts->keep_unsupported))
    cc_warn_at (k, "`%s` only means something to Swarm: ignored, as Docker Compose ignores it", k->value);
  if (key->type == CC_KEY_CUSTOM)
    return key->fn (n, key, v, obj, err);
  /* `key:` with nothing is the same as leaving the key out.  */
  if (v->kind == CC_NODE_SCALAR && v->is_null && key->type != CC_KEY_MAP_OF && key->type != CC_KEY_OBJECT)
    return 0;
  if (v->kind == CC_NODE_SCALAR && v->is_null)
    {
      cc_json_set (obj, k->value, cJSON_CreateObject ());
      return 0;
    }
  if (cc_norm_value (n, key, v, &j, err) < 0)
    return -1;
  if (cJSON_IsFalse (j) && ! keeps_false (k->value))
    {
      cJSON_Delete (j);
      return 0;
    }
  cc_json_set (obj, k->value, j);
  return 0;
}

int
cc_norm_object (struct cc_norm *n, const struct cc_schema_table *table, const struct cc_node *value, cJSON **out,
                cc_error_t *err)
{
  cleanup_cjson cJSON *obj = cJSON_CreateObject ();

  if (value->kind == CC_NODE_SCALAR && value->is_null)
    {
      *out = steal_pointer (&obj);
      return 0;
    }
  if (value->kind != CC_NODE_MAP)
    {
      bool named = n->service && table == &cc_schema_service;
      return cc_error_at (err, value, "%s%s%s must be a map, not %s", table->what, named ? " " : "",
                          named ? n->service : "", cc_node_kind_name (value));
    }
  for (size_t i = 0; i < value->len; i++)
    {
      const struct cc_node *k = value->keys[i];
      const struct cc_schema_key *key;

      if (strncmp (k->value, "x-", 2) == 0)
        continue;
      key = cc_schema_find (table, k->value);
      if (key == NULL)
        return unknown_key (table, k, value->items[i], err);
      if (norm_key (n, key, k, value->items[i], obj, err) < 0)
        return -1;
    }
  cc_json_order_by_table (obj, table);
  *out = steal_pointer (&obj);
  return 0;
}
