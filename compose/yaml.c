/* YAML to cc_node with libyaml's event parser.  Anchors are expanded
   into copies (bounded), `<<` merge keys applied, duplicate keys
   rejected; scalars keep their text so the model can type them as
   Docker Compose does (no YAML 1.1 sexagesimal or yes/no surprises).  */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "compose/node.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strmap.h"
#include "lib/xalloc.h"

/* Nesting deeper than any real compose file; the tree is walked
   recursively later, so the bound protects the stack too.  */
#define MAX_DEPTH 64
/* Nodes in one document, counting alias copies: a billion-laughs file
   reaches it after a few levels instead of exhausting memory.  */
#define MAX_NODES 200000
/* Anchors in one document: a compose file has a few dozen; 100,000 of
   them cost 25 s of lookups before the node cap (issue 12, item 10).  */
#define MAX_ANCHORS 10000

static void
cleanup_yaml_parser_fn (yaml_parser_t **p)
{
  if (*p)
    yaml_parser_delete (*p);
}
#define cleanup_yaml_parser __attribute__ ((cleanup (cleanup_yaml_parser_fn)))

struct anchor
{
  char *name;
  struct cc_node *copy; /* owned: the anchored node as it was completed */
  size_t count;
  int depth;
};

struct frame
{
  struct cc_node *node;
  struct cc_node *key;     /* a key waiting for its value */
  struct cc_node **merges; /* values of `<<` keys, applied at the end */
  size_t n_merges;
  char *anchor;
};

struct builder
{
  const char *file;
  struct frame stack[MAX_DEPTH + 1];
  int depth;
  struct anchor **anchors;
  size_t n_anchors;
  struct cc_strmap by_name; /* anchor name -> struct anchor, the latest */
  size_t nodes;
  int documents;
  struct cc_node *root;
};

static void
frame_release (struct frame *f)
{
  cc_node_free (f->node);
  cc_node_free (f->key);
  for (size_t i = 0; i < f->n_merges; i++)
    cc_node_free (f->merges[i]);
  free (f->merges);
  free (f->anchor);
  memset (f, 0, sizeof (*f));
}

static void
builder_release (struct builder *b)
{
  while (b->depth > 0)
    frame_release (&b->stack[--b->depth]);
  for (size_t i = 0; i < b->n_anchors; i++)
    {
      free (b->anchors[i]->name);
      cc_node_free (b->anchors[i]->copy);
      free (b->anchors[i]);
    }
  free (b->anchors);
  cc_strmap_release (&b->by_name);
  cc_node_free (b->root);
}

static int
subtree_depth (const struct cc_node *n)
{
  int d = 0;

  for (size_t i = 0; i < n->len; i++)
    {
      int c = subtree_depth (n->items[i]);
      if (c > d)
        d = c;
    }
  return n->kind == CC_NODE_SCALAR ? 0 : d + 1;
}

static struct anchor *
find_anchor (struct builder *b, const char *name)
{
  return cc_strmap_get (&b->by_name, name);
}

static int
remember_anchor (struct builder *b, const char *name, const struct cc_node *n, cc_error_t *err)
{
  struct anchor *a = find_anchor (b, name);
  size_t count = cc_node_count (n);

  if (b->nodes + count > MAX_NODES)
    return cc_error_at (err, n, "document too large: more than %d nodes", MAX_NODES);
  b->nodes += count;
  if (a == NULL)
    {
      if (b->n_anchors >= MAX_ANCHORS)
        return cc_error_at (err, n, "more than %d anchors (`&%s`)", MAX_ANCHORS, name);
      /* A later anchor with the same name shadows the earlier one.  */
      b->anchors = xreallocarray (b->anchors, b->n_anchors + 1, sizeof (*b->anchors));
      a = b->anchors[b->n_anchors++] = xzalloc (sizeof (*a));
      a->name = xstrdup (name);
      cc_strmap_put (&b->by_name, a->name, a);
    }
  cc_node_free (a->copy);
  a->copy = cc_node_dup (n);
  a->count = count;
  a->depth = subtree_depth (n);
  return 0;
}

static struct cc_node
position (struct builder *b, yaml_mark_t mark)
{
  return (struct cc_node){ .file = b->file, .line = (int)mark.line + 1, .col = (int)mark.column + 1 };
}

static bool
is_null_text (const char *v)
{
  static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

  for (size_t i = 0; i < CC_N_ELEMENTS (nulls); i++)
    if (strcmp (v, nulls[i]) == 0)
      return true;
  return false;
}

static void
apply_tag (struct cc_node *n, const yaml_char_t *tag)
{
  if (tag == NULL)
    return;
  if (strcmp ((const char *)tag, "!reset") == 0)
    n->tag_reset = true;
  else if (strcmp ((const char *)tag, "!override") == 0)
    n->tag_override = true;
  else if (strcmp ((const char *)tag, YAML_STR_TAG) == 0 && n->kind == CC_NODE_SCALAR)
    n->quoted = true;
}

static bool
is_merge_key (const struct cc_node *key)
{
  return ! key->quoted && strcmp (key->value, "<<") == 0;
}

static int
check_merge_value (const struct cc_node *v, cc_error_t *err)
{
  if (v->kind == CC_NODE_MAP)
    return 0;
  if (v->kind == CC_NODE_SEQ)
    {
      for (size_t i = 0; i < v->len; i++)
        if (v->items[i]->kind != CC_NODE_MAP)
          return cc_error_at (err, v->items[i], "merge key `<<` needs mappings, not a %s",
                              v->items[i]->kind == CC_NODE_SEQ ? "sequence" : "scalar");
      return 0;
    }
  return cc_error_at (err, v, "merge key `<<` needs a mapping or a list of mappings");
}

/* Hand a completed node to its parent (or make it the root).  */
static int
add_node (struct builder *b, struct cc_node *n, cc_error_t *err)
{
  cleanup_node struct cc_node *node = n;
  struct frame *f;

  if (b->depth == 0)
    {
      b->root = steal_pointer (&node);
      return 0;
    }
  f = &b->stack[b->depth - 1];
  if (f->node->kind == CC_NODE_SEQ)
    {
      cc_node_seq_append (f->node, steal_pointer (&node));
      return 0;
    }
  if (f->key == NULL)
    {
      if (node->kind != CC_NODE_SCALAR)
        return cc_error_at (err, node, "mapping keys must be scalars, not a %s",
                            node->kind == CC_NODE_SEQ ? "sequence" : "mapping");
      f->key = steal_pointer (&node);
      return 0;
    }
  if (is_merge_key (f->key))
    {
      if (check_merge_value (node, err) < 0)
        return -1;
      cc_node_free (steal_pointer (&f->key));
      f->merges = xreallocarray (f->merges, f->n_merges + 1, sizeof (*f->merges));
      f->merges[f->n_merges++] = steal_pointer (&node);
      return 0;
    }
  cc_node_seq_append (f->node, steal_pointer (&node)); /* grows keys too */
  f->node->keys[f->node->len - 1] = steal_pointer (&f->key);
  return 0;
}

struct key_ref
{
  const char *value;
  size_t index;
};

static int
compare_keys (const void *a, const void *b)
{
  const struct key_ref *x = a, *y = b;
  int c = strcmp (x->value, y->value);

  if (c)
    return c;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorting keeps this O(n log n) on a hostile map with many keys.  The
   error is at the earliest second occurrence, naming the first.  */
static int
check_duplicate_keys (const struct cc_node *map, cc_error_t *err)
{
  cleanup_free struct key_ref *refs = NULL;
  size_t dup = SIZE_MAX, first = 0;

  if (map->len < 2)
    return 0;
  refs = xreallocarray (NULL, map->len, sizeof (*refs));
  for (size_t i = 0; i < map->len; i++)
    refs[i] = (struct key_ref){ map->keys[i]->value, i };
  qsort (refs, map->len, sizeof (*refs), compare_keys);
  for (size_t i = 1; i < map->len; i++)
    if (strcmp (refs[i].value, refs[i - 1].value) == 0 && refs[i].index < dup)
      {
        dup = refs[i].index;
        first = refs[i - 1].index;
      }
  if (dup == SIZE_MAX)
    return 0;
  return cc_error_at (err, map->keys[dup], "duplicate key `%s` (first defined at line %d)", map->keys[dup]->value,
                      map->keys[first]->line);
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* Keys already in MAP are looked up in a sorted copy: merging two big
   maps stays O(n log n) instead of quadratic.  */
static void
merge_one (struct cc_node *map, const struct cc_node *src)
{
  cleanup_free const char **present = xreallocarray (NULL, map->len + 1, sizeof (char *));
  size_t n = map->len;

  for (size_t i = 0; i < n; i++)
    present[i] = map->keys[i]->value;
  qsort (present, n, sizeof (char *), compare_strings);
  for (size_t i = 0; i < src->len; i++)
    {
      const char *key = src->keys[i]->value;

      if (bsearch (&key, present, n, sizeof (char *), compare_strings))
        continue;
      cc_node_seq_append (map, cc_node_dup (src->items[i]));
      map->keys[map->len - 1] = cc_node_dup (src->keys[i]);
    }
}

/* YAML merge keys: explicit keys win, then the merged maps in the order
   they are listed (an earlier map wins over a later one).  */
static void
apply_merges (struct frame *f)
{
  for (size_t m = 0; m < f->n_merges; m++)
    {
      const struct cc_node *v = f->merges[m];

      if (v->kind == CC_NODE_MAP)
        merge_one (f->node, v);
      else
        for (size_t i = 0; i < v->len; i++)
          merge_one (f->node, v->items[i]);
    }
}

static int
count_node (struct builder *b, const struct cc_node *at, cc_error_t *err)
{
  if (++b->nodes > MAX_NODES)
    return cc_error_at (err, at, "document too large: more than %d nodes", MAX_NODES);
  return 0;
}

static int
on_scalar (struct builder *b, yaml_event_t *ev, cc_error_t *err)
{
  struct cc_node at = position (b, ev->start_mark);
  cleanup_node struct cc_node *n = NULL;
  const char *text = (const char *)ev->data.scalar.value;

  if (strlen (text) != ev->data.scalar.length)
    return cc_error_at (err, &at, "NUL character in a scalar");
  if (count_node (b, &at, err) < 0)
    return -1;
  n = cc_node_new_scalar (text, &at);
  n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
  n->flow_quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE
                   || ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
  n->is_null = ! n->quoted && is_null_text (text);
  if (n->is_null)
    n->value[0] = '\0';
  apply_tag (n, ev->data.scalar.tag);
  if (ev->data.scalar.anchor && remember_anchor (b, (const char *)ev->data.scalar.anchor, n, err) < 0)
    return -1;
  return add_node (b, steal_pointer (&n), err);
}

static int
on_alias (struct builder *b, yaml_event_t *ev, cc_error_t *err)
{
  struct cc_node at = position (b, ev->start_mark);
  const char *name = (const char *)ev->data.alias.anchor;
  struct anchor *a = find_anchor (b, name);

  /* An anchor is remembered when its node is complete, so an alias
     inside its own anchored node (a recursive document) lands here.  */
  if (a == NULL)
    return cc_error_at (err, &at, "unknown anchor `%s`", name);
  if (b->nodes + a->count > MAX_NODES)
    return cc_error_at (err, &at, "alias `*%s` expands the document beyond %d nodes", name, MAX_NODES);
  if (b->depth + a->depth > MAX_DEPTH)
    return cc_error_at (err, &at, "alias `*%s` nests deeper than %d levels", name, MAX_DEPTH);
  b->nodes += a->count;
  return add_node (b, cc_node_dup (a->copy), err);
}

static int
on_start (struct builder *b, yaml_event_t *ev, cc_error_t *err)
{
  struct cc_node at = position (b, ev->start_mark);
  bool is_map = ev->type == YAML_MAPPING_START_EVENT;
  const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
  struct frame *f;

  if (b->depth >= MAX_DEPTH)
    return cc_error_at (err, &at, "nesting deeper than %d levels", MAX_DEPTH);
  if (count_node (b, &at, err) < 0)
    return -1;
  f = &b->stack[b->depth++];
  f->node = is_map ? cc_node_new_map (&at) : cc_node_new_seq (&at);
  apply_tag (f->node, is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
  f->anchor = anchor ? xstrdup ((const char *)anchor) : NULL;
  return 0;
}

static int
on_end (struct builder *b, cc_error_t *err)
{
  struct frame *f = &b->stack[b->depth - 1];
  cleanup_node struct cc_node *n = NULL;
  cleanup_free char *anchor = NULL;
  int ret = 0;

  if (f->node->kind == CC_NODE_MAP)
    {
      ret = check_duplicate_keys (f->node, err);
      if (ret == 0)
        apply_merges (f);
    }
  n = steal_pointer (&f->node);
  anchor = steal_pointer (&f->anchor);
  frame_release (f);
  b->depth--;
  if (ret < 0)
    return ret;
  if (anchor && remember_anchor (b, anchor, n, err) < 0)
    return -1;
  return add_node (b, steal_pointer (&n), err);
}

static int
on_event (struct builder *b, yaml_event_t *ev, cc_error_t *err)
{
  struct cc_node at = position (b, ev->start_mark);

  switch (ev->type)
    {
    case YAML_DOCUMENT_START_EVENT:
      if (++b->documents > 1)
        return cc_error_at (err, &at, "more than one YAML document in a file is not supported");
      return 0;
    case YAML_SCALAR_EVENT:
      return on_scalar (b, ev, err);
    case YAML_ALIAS_EVENT:
      return on_alias (b, ev, err);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      return on_start (b, ev, err);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      return on_end (b, err);
    default:
      return 0;
    }
}

/* Line and column of a byte offset, for libyaml's reader errors which
   carry only an offset.  */
static struct cc_node
offset_position (const char *file, const char *text, size_t len, size_t offset)
{
  struct cc_node at = { .file = file, .line = 1, .col = 1 };

  for (size_t i = 0; i < offset && i < len; i++)
    {
      if (text[i] == '\n')
        {
          at.line++;
          at.col = 1;
        }
      else if (((unsigned char)text[i] & 0xC0) != 0x80)
        at.col++;
    }
  return at;
}

/* The byte at a libyaml mark (line and column count characters).  */
static char
char_at (const char *text, size_t len, yaml_mark_t mark)
{
  size_t i = 0;

  for (size_t line = 0; line < mark.line && i < len; i++)
    if (text[i] == '\n')
      line++;
  for (size_t col = 0; col < mark.column && i < len; col++)
    for (i++; i < len && ((unsigned char)text[i] & 0xC0) == 0x80; i++)
      ;
  return i < len ? text[i] : '\0';
}

/* libyaml's context ("while parsing a block mapping") and where it
   started when that is another line.  */
static const char *
context_text (const yaml_parser_t *p, char *buf, size_t size)
{
  if (p->context == NULL)
    return "";
  if (p->context_mark.line != p->problem_mark.line)
    snprintf (buf, size, " %s started at line %zu", p->context, p->context_mark.line + 1);
  else
    snprintf (buf, size, " %s", p->context);
  return buf;
}

static int
parser_error (const yaml_parser_t *p, const char *file, const char *text, size_t len, cc_error_t *err)
{
  char context[128];
  struct cc_node at;
  const char *problem = p->problem ? p->problem : "invalid YAML";

  switch (p->error)
    {
    case YAML_READER_ERROR:
      at = offset_position (file, text, len, p->problem_offset);
      if (p->problem_value != -1)
        return cc_error_at (err, &at, "%s (byte 0x%02x)", problem, (unsigned)p->problem_value);
      return cc_error_at (err, &at, "%s", problem);
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR:
      at = (struct cc_node){ .file = file,
                             .line = (int)p->problem_mark.line + 1,
                             .col = (int)p->problem_mark.column + 1 };
      return cc_error_at (err, &at, "%s%s%s", problem, context_text (p, context, sizeof (context)),
                          char_at (text, len, p->problem_mark) == '\t' ? " (YAML indents with spaces, not tabs)" : "");
    default:
      at = (struct cc_node){ .file = file };
      return cc_error_at (err, &at, "%s", problem);
    }
}

static int
check_no_nul (const char *file, const char *text, size_t len, cc_error_t *err)
{
  const char *nul = memchr (text, '\0', len);
  struct cc_node at;

  if (nul == NULL)
    return 0;
  at = offset_position (file, text, len, (size_t)(nul - text));
  return cc_error_at (err, &at, "NUL byte in the file: not a text file?");
}

static int
parse_events (struct builder *b, yaml_parser_t *parser, const char *text, size_t len, cc_error_t *err)
{
  for (;;)
    {
      yaml_event_t ev;
      bool done;
      int ret;

      if (! yaml_parser_parse (parser, &ev))
        return parser_error (parser, b->file, text, len, err);
      done = ev.type == YAML_STREAM_END_EVENT;
      ret = on_event (b, &ev, err);
      yaml_event_delete (&ev);
      if (ret < 0)
        return ret;
      if (done)
        return 0;
    }
}

int
cc_yaml_load_string (const char *name, const char *text, size_t len, struct cc_node **out, cc_error_t *err)
{
  yaml_parser_t parser_storage;
  cleanup_yaml_parser yaml_parser_t *parser = NULL;
  struct builder b = { .file = cc_node_intern_file (name) };
  struct cc_node at = { .file = b.file, .line = 1, .col = 1 };
  int ret;

  cc_node_remember_source (b.file, text, len);
  if (check_no_nul (b.file, text, len, err) < 0)
    return -1;
  if (! yaml_parser_initialize (&parser_storage))
    return cc_error_make (err, ENOMEM, "initialize the YAML parser");
  parser = &parser_storage;
  yaml_parser_set_input_string (parser, (const unsigned char *)text, len);
  yaml_parser_set_encoding (parser, YAML_UTF8_ENCODING);
  ret = parse_events (&b, parser, text, len, err);
  if (ret == 0 && (b.root == NULL || (b.root->kind == CC_NODE_SCALAR && b.root->is_null)))
    {
      /* An empty file (or only comments) is an empty compose file.  */
      cc_node_free (b.root);
      b.root = cc_node_new_map (&at);
    }
  if (ret == 0)
    *out = steal_pointer (&b.root);
  builder_release (&b);
  return ret;
}

int
cc_yaml_load_file (const char *path, bool regular_only, struct cc_node **out, cc_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  int ret = regular_only ? cc_read_regular_file_max (path, CC_COMPOSE_FILE_MAX, &text, &len, err)
                         : cc_read_file_max (path, CC_COMPOSE_FILE_MAX, &text, &len, err);

  if (ret < 0)
    return -1;
  return cc_yaml_load_string (path, text, len, out, err);
}
