/* Merging compose documents with the compose-spec rules (13-merge.md):
   maps merge, sequences append, a few keys replace, keyed lists merge by
   their key whatever their syntax, `!reset` removes and `!override`
   replaces.  The strategy of a key is looked up by its path, with `*`
   standing for a service (or resource) name.  */
#include <stdlib.h>
#include <string.h>

#include "compose/load.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

enum strategy
{
  MERGE,         /* maps merge, sequences append, scalars replace */
  REPLACE,       /* the override wins whole */
  APPEND_UNIQUE, /* sequences append the items not already present */
  BY_KEY,        /* list `K=V` or map: merge by K */
  BY_TARGET,     /* volumes, devices: the mount target identifies an item */
  BY_SOURCE,     /* secrets, configs: the target, or else the source */
  BY_NAME,       /* networks, depends_on: list of names or map by name */
  BY_SUBNET,     /* ipam.config: entries for the same subnet merge */
  BUILD,         /* `build: dir` is `build: {context: dir}` */
  LOGGING,       /* options merge only when the driver stays the same */
};

static const struct
{
  const char *path;
  enum strategy strategy;
} rules[] = {
  /* clang-format off: one rule a line reads as the table it is */
  { "services.*.command", REPLACE },
  { "services.*.entrypoint", REPLACE },
  { "services.*.healthcheck.test", REPLACE },
  { "services.*.ports", APPEND_UNIQUE },
  { "services.*.expose", APPEND_UNIQUE },
  { "services.*.dns", APPEND_UNIQUE },
  { "services.*.dns_search", APPEND_UNIQUE },
  { "services.*.dns_opt", APPEND_UNIQUE },
  { "services.*.tmpfs", APPEND_UNIQUE },
  { "services.*.cap_add", APPEND_UNIQUE },
  { "services.*.cap_drop", APPEND_UNIQUE },
  { "services.*.security_opt", APPEND_UNIQUE },
  { "services.*.profiles", APPEND_UNIQUE },
  { "services.*.external_links", APPEND_UNIQUE },
  { "services.*.links", APPEND_UNIQUE },
  { "services.*.group_add", APPEND_UNIQUE },
  { "services.*.env_file", APPEND_UNIQUE },
  { "services.*.label_file", APPEND_UNIQUE },
  { "services.*.volumes_from", APPEND_UNIQUE },
  { "services.*.environment", BY_KEY },
  { "services.*.labels", BY_KEY },
  { "services.*.annotations", BY_KEY },
  { "services.*.sysctls", BY_KEY },
  { "services.*.extra_hosts", BY_KEY },
  { "services.*.ulimits", BY_KEY },
  { "services.*.build.args", BY_KEY },
  { "services.*.build.labels", BY_KEY },
  { "services.*.build.extra_hosts", BY_KEY },
  { "services.*.build.additional_contexts", BY_KEY },
  { "services.*.deploy.labels", BY_KEY },
  { "networks.*.labels", BY_KEY },
  { "volumes.*.labels", BY_KEY },
  { "services.*.volumes", BY_TARGET },
  { "services.*.devices", BY_TARGET },
  { "services.*.secrets", BY_SOURCE },
  { "services.*.configs", BY_SOURCE },
  { "services.*.networks", BY_NAME },
  { "services.*.depends_on", BY_NAME },
  { "networks.*.ipam.config", BY_SUBNET },
  { "services.*.build", BUILD },
  { "services.*.logging", LOGGING },
  /* clang-format on */
};

/* Names under these paths are user-chosen: the rules match them as `*`.  */
static const char *const named_maps[] = { "services", "networks", "volumes", "secrets", "configs" };

static enum strategy
strategy_for (const char *path)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (rules); i++)
    if (strcmp (rules[i].path, path) == 0)
      return rules[i].strategy;
  return MERGE;
}

static char *
child_path (const char *path, const char *key)
{
  if (*path == '\0')
    return xstrdup (key);
  for (size_t i = 0; i < CC_N_ELEMENTS (named_maps); i++)
    if (strcmp (path, named_maps[i]) == 0)
      return xasprintf ("%s.*", path);
  return xasprintf ("%s.%s", path, key);
}

/* `dns: 8.8.8.8` and `dns: [8.8.8.8]` mean the same: lists from here on.  */
static struct cc_node *
as_list (const struct cc_node *n)
{
  struct cc_node *l;

  if (n->kind == CC_NODE_SEQ)
    return cc_node_dup (n);
  l = cc_node_new_seq (n);
  if (! (n->kind == CC_NODE_SCALAR && n->is_null))
    cc_node_seq_append (l, cc_node_dup (n));
  return l;
}

/* Drop `!reset` entries from content that has nothing to reset.  */
static void
strip_resets (struct cc_node *n)
{
  for (size_t i = 0; i < n->len;)
    if (n->items[i]->tag_reset && n->kind == CC_NODE_MAP)
      cc_node_map_remove (n, n->keys[i]->value);
    else
      strip_resets (n->items[i++]);
}

static struct cc_node *
fresh_copy (const struct cc_node *n)
{
  struct cc_node *d = cc_node_dup (n);

  strip_resets (d);
  d->tag_override = false;
  return d;
}

static int merge_value (struct cc_node **base, const struct cc_node *over, const char *path, cc_error_t *err);

static void
append_unique (struct cc_node *base, const struct cc_node *over)
{
  cleanup_node struct cc_node *list = as_list (over);

  for (size_t i = 0; i < list->len; i++)
    {
      bool present = false;

      for (size_t j = 0; j < base->len && ! present; j++)
        present = cc_node_equal (base->items[j], list->items[i]);
      if (! present)
        cc_node_seq_append (base, fresh_copy (list->items[i]));
    }
}

/* `K=V` (or `K:V` for extra_hosts), `K` alone meaning null.  */
static void
split_entry (const struct cc_node *item, bool colon_too, struct cc_node *map)
{
  const char *v = item->value, *sep = strchr (v, '=');
  cleanup_free char *key = NULL;
  struct cc_node *value;

  if (sep == NULL && colon_too)
    sep = strchr (v, ':');
  if (sep == NULL)
    {
      value = cc_node_new_scalar ("", item);
      value->is_null = true;
      cc_node_map_set (map, v, value);
      return;
    }
  key = xstrndup (v, (size_t)(sep - v));
  value = cc_node_new_scalar (sep + 1, item);
  value->quoted = true;
  cc_node_map_set (map, key, value);
}

static struct cc_node *
as_map (const struct cc_node *n, const char *path)
{
  struct cc_node *m;
  bool colon_too = strstr (path, "extra_hosts") != NULL;

  if (n->kind == CC_NODE_MAP)
    return cc_node_dup (n);
  m = cc_node_new_map (n);
  for (size_t i = 0; n->kind == CC_NODE_SEQ && i < n->len; i++)
    if (n->items[i]->kind == CC_NODE_SCALAR)
      split_entry (n->items[i], colon_too, m);
  return m;
}

static int
merge_maps (struct cc_node *base, const struct cc_node *over, const char *path, cc_error_t *err)
{
  for (size_t i = 0; i < over->len; i++)
    {
      const char *key = over->keys[i]->value;
      const struct cc_node *ov = over->items[i];
      cleanup_free char *sub = child_path (path, key);
      struct cc_node *existing = cc_node_map_get (base, key);

      if (ov->tag_reset)
        {
          cc_node_map_remove (base, key);
          continue;
        }
      if (existing == NULL)
        {
          cc_node_map_set (base, key, fresh_copy (ov));
          continue;
        }
      for (size_t j = 0; j < base->len; j++)
        if (base->items[j] == existing)
          {
            if (merge_value (&base->items[j], ov, sub, err) < 0)
              return -1;
            break;
          }
    }
  return 0;
}

static int
merge_by_key (struct cc_node **base, const struct cc_node *over, const char *path, cc_error_t *err)
{
  cleanup_node struct cc_node *b = as_map (*base, path);
  cleanup_node struct cc_node *o = as_map (over, path);

  /* Values replace: a null value from the list form is a value too.  */
  for (size_t i = 0; i < o->len; i++)
    {
      if (o->items[i]->tag_reset)
        cc_node_map_remove (b, o->keys[i]->value);
      else
        cc_node_map_set (b, o->keys[i]->value, fresh_copy (o->items[i]));
    }
  (void)err;
  cc_node_free (*base);
  *base = steal_pointer (&b);
  return 0;
}

/* Target of a volume or device: the long form's `target`, or in the
   short form the part after the first `:` up to the next (the whole
   string for an anonymous volume).  */
static char *
mount_target (const struct cc_node *item)
{
  const char *v, *colon, *end;

  if (item->kind == CC_NODE_MAP)
    {
      v = cc_node_map_get_string (item, "target");
      return v ? xstrdup (v) : NULL;
    }
  if (item->kind != CC_NODE_SCALAR)
    return NULL;
  v = item->value;
  colon = strchr (v, ':');
  if (colon == NULL)
    return xstrdup (v);
  end = strchr (colon + 1, ':');
  return end ? xstrndup (colon + 1, (size_t)(end - colon - 1)) : xstrdup (colon + 1);
}

/* Secrets and configs are identified by their target, which defaults to
   the source name.  */
static char *
source_target (const struct cc_node *item)
{
  const char *v;

  if (item->kind == CC_NODE_SCALAR)
    return xstrdup (item->value);
  if (item->kind != CC_NODE_MAP)
    return NULL;
  v = cc_node_map_get_string (item, "target");
  if (v == NULL)
    v = cc_node_map_get_string (item, "source");
  return v ? xstrdup (v) : NULL;
}

static char *
subnet_of (const struct cc_node *item)
{
  const char *v = item->kind == CC_NODE_MAP ? cc_node_map_get_string (item, "subnet") : NULL;

  return v ? xstrdup (v) : NULL;
}

static int
merge_keyed_list (struct cc_node **base, const struct cc_node *over, const char *path,
                  char *(*key_of) (const struct cc_node *), cc_error_t *err)
{
  cleanup_node struct cc_node *list = as_list (over);
  cleanup_free char *sub = xasprintf ("%s.*", path);

  if ((*base)->kind != CC_NODE_SEQ)
    {
      struct cc_node *l = as_list (*base);
      cc_node_free (*base);
      *base = l;
    }
  for (size_t i = 0; i < list->len; i++)
    {
      cleanup_free char *key = key_of (list->items[i]);
      bool done = false;

      for (size_t j = 0; key && j < (*base)->len && ! done; j++)
        {
          cleanup_free char *bkey = key_of ((*base)->items[j]);

          if (bkey == NULL || strcmp (bkey, key) != 0)
            continue;
          if (merge_value (&(*base)->items[j], list->items[i], sub, err) < 0)
            return -1;
          done = true;
        }
      if (! done)
        cc_node_seq_append (*base, fresh_copy (list->items[i]));
    }
  return 0;
}

/* A list of names becomes a map when the other side is a map; a name
   from the list adds nothing to an entry that exists already.  */
static struct cc_node *
names_as_map (const struct cc_node *n, const char *path)
{
  struct cc_node *m;
  bool depends = strstr (path, "depends_on") != NULL;

  if (n->kind != CC_NODE_SEQ)
    return cc_node_dup (n);
  m = cc_node_new_map (n);
  for (size_t i = 0; i < n->len; i++)
    {
      const struct cc_node *item = n->items[i];
      struct cc_node *value;

      if (item->kind != CC_NODE_SCALAR)
        continue;
      if (depends)
        {
          value = cc_node_new_map (item);
          cc_node_map_set (value, "condition", cc_node_new_scalar ("service_started", item));
        }
      else
        {
          value = cc_node_new_scalar ("", item);
          value->is_null = true;
        }
      cc_node_map_set (m, item->value, value);
    }
  return m;
}

static int
merge_by_name (struct cc_node **base, const struct cc_node *over, const char *path, cc_error_t *err)
{
  cleanup_node struct cc_node *b = NULL;
  cleanup_node struct cc_node *o = NULL;

  if ((*base)->kind == CC_NODE_SEQ && over->kind == CC_NODE_SEQ)
    {
      append_unique (*base, over);
      return 0;
    }
  b = names_as_map (*base, path);
  o = names_as_map (over, path);
  if (b->kind != CC_NODE_MAP || o->kind != CC_NODE_MAP)
    {
      cc_node_free (*base);
      *base = fresh_copy (over);
      return 0;
    }
  /* A name from a list adds nothing to an entry the base has already
     (a listed dependency must not reset a `service_healthy` condition).  */
  for (size_t i = o->len; over->kind == CC_NODE_SEQ && i > 0; i--)
    if (cc_node_map_get (b, o->keys[i - 1]->value))
      cc_node_map_remove (o, o->keys[i - 1]->value);
  if (merge_maps (b, o, path, err) < 0)
    return -1;
  cc_node_free (*base);
  *base = steal_pointer (&b);
  return 0;
}

static struct cc_node *
build_as_map (const struct cc_node *n)
{
  struct cc_node *m;

  if (n->kind != CC_NODE_SCALAR)
    return cc_node_dup (n);
  m = cc_node_new_map (n);
  cc_node_map_set (m, "context", cc_node_dup (n));
  return m;
}

static int
merge_build (struct cc_node **base, const struct cc_node *over, const char *path, cc_error_t *err)
{
  cleanup_node struct cc_node *o = build_as_map (over);
  struct cc_node *b;

  if ((*base)->kind == CC_NODE_SCALAR)
    {
      b = build_as_map (*base);
      cc_node_free (*base);
      *base = b;
    }
  if ((*base)->kind != CC_NODE_MAP || o->kind != CC_NODE_MAP)
    return cc_error_at (err, over, "cannot merge `build`: expected a path or a mapping");
  return merge_maps (*base, o, path, err);
}

/* Options of one logging driver mean nothing to another.  */
static bool
same_logging_driver (const struct cc_node *base, const struct cc_node *over)
{
  const char *a = cc_node_map_get_string (base, "driver");
  const char *b = cc_node_map_get_string (over, "driver");

  return a == NULL || b == NULL || strcmp (a, b) == 0;
}

static const char *
kind_name (enum cc_node_kind k)
{
  static const char *const names[] = { [CC_NODE_SCALAR] = "scalar", [CC_NODE_SEQ] = "list", [CC_NODE_MAP] = "mapping" };

  return names[k];
}

static int
merge_default (struct cc_node **base, const struct cc_node *over, const char *path, cc_error_t *err)
{
  enum cc_node_kind k = (*base)->kind;
  const char *last = strrchr (path, '.');

  if (k == CC_NODE_MAP && over->kind == CC_NODE_MAP)
    return merge_maps (*base, over, path, err);
  if (k == CC_NODE_SEQ && over->kind == CC_NODE_SEQ)
    {
      for (size_t i = 0; i < over->len; i++)
        cc_node_seq_append (*base, fresh_copy (over->items[i]));
      return 0;
    }
  /* As Docker Compose: a collection cannot be overridden by another kind
     (a scalar can: it is simply replaced).  */
  if (k != CC_NODE_SCALAR)
    return cc_error_at (err, over, "cannot override `%s`: a %s here replaces a %s (use !override to replace it)",
                        last ? last + 1 : path, kind_name (over->kind), kind_name (k));
  cc_node_free (*base);
  *base = fresh_copy (over);
  return 0;
}

static int
merge_value (struct cc_node **base, const struct cc_node *over, const char *path, cc_error_t *err)
{
  enum strategy s = strategy_for (path);
  const char *last = strrchr (path, '.');

  /* An empty value (`web:` with nothing under it) overrides nothing.  */
  if (over->kind == CC_NODE_SCALAR && over->is_null && ! over->tag_override)
    return 0;
  /* Extension fields are the user's own: replaced, never merged.  */
  if (strncmp (last ? last + 1 : path, "x-", 2) == 0)
    s = REPLACE;
  if (over->tag_override || s == REPLACE || ((*base)->kind == CC_NODE_SCALAR && (*base)->is_null))
    {
      cc_node_free (*base);
      *base = fresh_copy (over);
      return 0;
    }
  switch (s)
    {
    case APPEND_UNIQUE:
      if ((*base)->kind != CC_NODE_SEQ)
        {
          struct cc_node *l = as_list (*base);
          cc_node_free (*base);
          *base = l;
        }
      append_unique (*base, over);
      return 0;
    case BY_KEY:
      return merge_by_key (base, over, path, err);
    case BY_TARGET:
      return merge_keyed_list (base, over, path, mount_target, err);
    case BY_SOURCE:
      return merge_keyed_list (base, over, path, source_target, err);
    case BY_SUBNET:
      return merge_keyed_list (base, over, path, subnet_of, err);
    case BY_NAME:
      return merge_by_name (base, over, path, err);
    case BUILD:
      return merge_build (base, over, path, err);
    case LOGGING:
      if ((*base)->kind == CC_NODE_MAP && over->kind == CC_NODE_MAP && ! same_logging_driver (*base, over))
        {
          cc_node_free (*base);
          *base = fresh_copy (over);
          return 0;
        }
      return merge_default (base, over, path, err);
    default:
      return merge_default (base, over, path, err);
    }
}

static int
check_maps (const struct cc_node *base, const struct cc_node *override, const char *what, cc_error_t *err)
{
  if (base->kind != CC_NODE_MAP)
    return cc_error_at (err, base, "%s must be a mapping", what);
  if (override->kind != CC_NODE_MAP)
    return cc_error_at (err, override, "%s must be a mapping", what);
  return 0;
}

int
cc_node_merge_services (struct cc_node *base, const struct cc_node *override, cc_error_t *err)
{
  if (check_maps (base, override, "a service definition", err) < 0)
    return -1;
  return merge_maps (base, override, "services.*", err);
}

int
cc_node_merge_documents (struct cc_node *base, const struct cc_node *override, cc_error_t *err)
{
  if (check_maps (base, override, "the top level of a compose file", err) < 0)
    return -1;
  return merge_maps (base, override, "", err);
}
