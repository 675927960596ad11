/* An ordered map of variables with a hash index: the environment of a
   stage and the global ARGs.  Hostile Dockerfiles declare hundreds of
   thousands of variables and reference them as often; a linear lookup
   would make evaluation quadratic.  */
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "lib/xalloc.h"

struct cc_bld_vars
{
  char **keys;
  char **values;
  size_t n, cap;
  size_t *slots; /* index + 1, 0 = empty; a power of two in size */
  size_t n_slots;
  size_t bytes; /* of every KEY=VALUE with its NUL */
};

static size_t
hash (const char *s)
{
  size_t h = 1469598103934665603ULL;

  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static size_t *
find_slot (const struct cc_bld_vars *v, const char *key)
{
  size_t mask = v->n_slots - 1;

  for (size_t i = hash (key) & mask;; i = (i + 1) & mask)
    if (v->slots[i] == 0 || strcmp (v->keys[v->slots[i] - 1], key) == 0)
      return &v->slots[i];
}

static void
rehash (struct cc_bld_vars *v)
{
  free (v->slots);
  v->n_slots = v->n_slots ? v->n_slots * 2 : 16;
  v->slots = xzalloc (v->n_slots * sizeof (*v->slots));
  for (size_t i = 0; i < v->n; i++)
    *find_slot (v, v->keys[i]) = i + 1;
}

struct cc_bld_vars *
cc_bld_vars_new (void)
{
  struct cc_bld_vars *v = xzalloc (sizeof (*v));

  rehash (v);
  return v;
}

struct cc_bld_vars *
cc_bld_vars_dup (const struct cc_bld_vars *src)
{
  struct cc_bld_vars *v = cc_bld_vars_new ();

  for (size_t i = 0; src && i < src->n; i++)
    cc_bld_vars_set (v, src->keys[i], src->values[i]);
  return v;
}

void
cc_bld_vars_free (struct cc_bld_vars *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->n; i++)
    {
      free (v->keys[i]);
      free (v->values[i]);
    }
  free (v->keys);
  free (v->values);
  free (v->slots);
  free (v);
}

void
cc_bld_vars_set (struct cc_bld_vars *v, const char *key, const char *value)
{
  size_t *slot = find_slot (v, key);

  if (*slot)
    {
      v->bytes -= strlen (v->values[*slot - 1]);
      free (v->values[*slot - 1]);
      v->values[*slot - 1] = xstrdup (value);
      v->bytes += strlen (value);
      return;
    }
  if (v->n == v->cap)
    {
      v->cap = v->cap ? v->cap * 2 : 16;
      v->keys = xreallocarray (v->keys, v->cap, sizeof (*v->keys));
      v->values = xreallocarray (v->values, v->cap, sizeof (*v->values));
    }
  v->keys[v->n] = xstrdup (key);
  v->values[v->n] = xstrdup (value);
  v->bytes += strlen (key) + strlen (value) + 2;
  *slot = ++v->n;
  if (v->n * 2 > v->n_slots)
    rehash (v);
}

/* KEY=VALUE, or KEY alone for an empty value (shell.BuildEnvs).  */
void
cc_bld_vars_set_kv (struct cc_bld_vars *v, const char *kv)
{
  const char *eq = strchr (kv, '=');
  char *key;

  if (eq == NULL)
    {
      cc_bld_vars_set (v, kv, "");
      return;
    }
  key = xstrndup (kv, (size_t)(eq - kv));
  cc_bld_vars_set (v, key, eq + 1);
  free (key);
}

const char *
cc_bld_vars_get (const struct cc_bld_vars *v, const char *key)
{
  size_t *slot;

  if (v == NULL)
    return NULL;
  slot = find_slot (v, key);
  return *slot ? v->values[*slot - 1] : NULL;
}

size_t
cc_bld_vars_count (const struct cc_bld_vars *v)
{
  return v ? v->n : 0;
}

const char *
cc_bld_vars_key (const struct cc_bld_vars *v, size_t i)
{
  return v->keys[i];
}

const char *
cc_bld_vars_value (const struct cc_bld_vars *v, size_t i)
{
  return v->values[i];
}

size_t
cc_bld_vars_bytes (const struct cc_bld_vars *v)
{
  return v ? v->bytes : 0;
}

char **
cc_bld_vars_strv (const struct cc_bld_vars *v)
{
  char **out = xzalloc ((cc_bld_vars_count (v) + 1) * sizeof (*out));

  for (size_t i = 0; i < cc_bld_vars_count (v); i++)
    {
      size_t k = strlen (v->keys[i]), n = strlen (v->values[i]);
      out[i] = xmalloc (k + n + 2);
      memcpy (out[i], v->keys[i], k);
      out[i][k] = '=';
      memcpy (out[i] + k + 1, v->values[i], n + 1);
    }
  return out;
}
