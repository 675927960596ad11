/* Open addressing with linear probing, FNV-1a, at most half full.  */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static size_t
hash (const char *key)
{
  uint64_t h = 14695981039346656037u;

  for (const unsigned char *p = (const unsigned char *)key; *p; p++)
    h = (h ^ *p) * 1099511628211u;
  return (size_t)h;
}

static struct cc_strmap_slot *
find (const struct cc_strmap *m, const char *key)
{
  size_t i = hash (key) & (m->cap - 1);

  while (m->slots[i].key && strcmp (m->slots[i].key, key) != 0)
    i = (i + 1) & (m->cap - 1);
  return &m->slots[i];
}

void *
cc_strmap_get (const struct cc_strmap *m, const char *key)
{
  return m->cap ? find (m, key)->value : NULL;
}

static void
grow (struct cc_strmap *m)
{
  struct cc_strmap old = *m;

  m->cap = old.cap ? 2 * old.cap : 16;
  m->slots = xzalloc (m->cap * sizeof (*m->slots));
  for (size_t i = 0; i < old.cap; i++)
    if (old.slots[i].key)
      *find (m, old.slots[i].key) = old.slots[i];
  free (old.slots);
}

void
cc_strmap_put (struct cc_strmap *m, const char *key, void *value)
{
  struct cc_strmap_slot *s;

  if (2 * (m->len + 1) > m->cap)
    grow (m);
  s = find (m, key);
  if (s->key == NULL)
    m->len++;
  *s = (struct cc_strmap_slot){ key, value };
}

void
cc_strmap_release (struct cc_strmap *m)
{
  free (m->slots);
  *m = (struct cc_strmap){ 0 };
}
