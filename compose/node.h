/* The YAML document tree with a position on every node.  Loaded by
   yaml.c, rewritten by interpolate.c and merge.c, read by normalize.c.
   Internal to compose/.  */
#ifndef CC_COMPOSE_NODE_H
#define CC_COMPOSE_NODE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

enum cc_node_kind
{
  CC_NODE_SCALAR,
  CC_NODE_SEQ,
  CC_NODE_MAP,
};

struct cc_node
{
  enum cc_node_kind kind;
  const char *file; /* interned: lives as long as the process, never freed by the node */
  int line, col;    /* 1-based, of the node's first character */

  /* CC_NODE_SCALAR */
  char *value;  /* never NULL; "" for an empty or null scalar */
  bool quoted;  /* written in quotes or as a block: always a string, no YAML 1.1 typing */
  bool is_null; /* plain `~`, `null`, `Null`, `NULL` or nothing */

  /* CC_NODE_SEQ: items[0..len); CC_NODE_MAP: keys[i] (scalars) -> items[i] */
  size_t len;
  struct cc_node **keys;
  struct cc_node **items;

  /* Compose-spec merge tags (13-merge.md): `!reset` removes the value
     from the merged result, `!override` replaces it instead of merging.  */
  bool tag_reset;
  bool tag_override;

  /* CC_NODE_SCALAR written in '...' or "..." (not a block scalar): with
     no escapes, its text starts one column after the node's position.  */
  bool flow_quoted;
};

/* Construction; positions are copied from AT (may be NULL).  */
struct cc_node *cc_node_new_scalar (const char *value, const struct cc_node *at);
struct cc_node *cc_node_new_seq (const struct cc_node *at);
struct cc_node *cc_node_new_map (const struct cc_node *at);
void cc_node_seq_append (struct cc_node *seq, struct cc_node *item);
/* Add or replace KEY (takes ownership of VALUE).  */
void cc_node_map_set (struct cc_node *map, const char *key, struct cc_node *value);
void cc_node_map_remove (struct cc_node *map, const char *key);
struct cc_node *cc_node_map_get (const struct cc_node *map, const char *key);
struct cc_node *cc_node_dup (const struct cc_node *n);
void cc_node_free (struct cc_node *n);

static inline void
cleanup_node_fn (struct cc_node **n)
{
  if (*n)
    cc_node_free (*n);
}
#define cleanup_node __attribute__ ((cleanup (cleanup_node_fn)))

/* Intern a file name so nodes can point at it without owning it.  */
const char *cc_node_intern_file (const char *path);
/* Remember the text of FILE so cc_error_at can quote the offending line
   (yaml.c does it for every document it loads).  */
void cc_node_remember_source (const char *file, const char *text, size_t len);
/* Number of nodes in the tree (for budgets against alias bombs).  */
size_t cc_node_count (const struct cc_node *n);
/* Same shape, keys and scalar text (positions and flags aside).  */
bool cc_node_equal (const struct cc_node *a, const struct cc_node *b);
/* Scalar value of KEY in MAP, or NULL when absent or not a scalar.  */
const char *cc_node_map_get_string (const struct cc_node *map, const char *key);

/* Fail at a node's position: "FILE:LINE:COL: MESSAGE", followed by the
   offending source line and a caret when the source is known (every
   file loaded by yaml.c is remembered).  Returns -1.  */
int cc_error_at (cc_error_t *err, const struct cc_node *at, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Turn a position-less error into one at AT: "file:line:col: WHAT: msg"
   (units.c).  */
int cc_error_relocate (cc_error_t *err, const struct cc_node *at, const char *what);
/* Same prefix, for warnings: "warning: FILE:LINE:COL: MESSAGE".  */
void cc_warn_at (const struct cc_node *at, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* yaml.c: load one document with libyaml.  Anchors and aliases are
   expanded (bounded: billion-laughs input is an error), `<<` merge keys
   (a map or a list of maps) applied, duplicate keys are an error.  An
   empty document yields an empty map.  */
/* Caps on what is read from a user's files: generous for any real
   project, but a symlink to /dev/zero or a stray multi-GB file fails
   clearly instead of eating all memory.  */
#define CC_COMPOSE_FILE_MAX ((size_t)64 << 20)
#define CC_ENV_FILE_MAX ((size_t)16 << 20)
int cc_yaml_load_file (const char *path, bool regular_only, struct cc_node **out, cc_error_t *err);
int cc_yaml_load_string (const char *name, const char *text, size_t len, struct cc_node **out, cc_error_t *err);

#endif
