#include "strv.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

size_t
cc_strv_len (char *const *v)
{
  size_t n = 0;

  while (v && v[n])
    n++;
  return n;
}

void
cc_strv_push (char ***v, char *s)
{
  size_t n = cc_strv_len (*v);

  *v = xreallocarray (*v, n + 2, sizeof (char *));
  (*v)[n] = s;
  (*v)[n + 1] = NULL;
}

void
cc_strv_append (char ***v, const char *s)
{
  cc_strv_push (v, xstrdup (s));
}

void
cc_strv_builder_push (struct cc_strv_builder *b, char *s)
{
  if (b->len + 1 >= b->cap)
    {
      b->cap = b->cap ? 2 * b->cap : 8;
      b->v = xreallocarray (b->v, b->cap, sizeof (char *));
    }
  b->v[b->len++] = s;
  b->v[b->len] = NULL;
}

void
cc_strv_builder_append (struct cc_strv_builder *b, const char *s)
{
  cc_strv_builder_push (b, xstrdup (s));
}

char **
cc_strv_builder_steal (struct cc_strv_builder *b)
{
  char **v = b->v ? b->v : xzalloc (sizeof (char *));

  *b = (struct cc_strv_builder){ 0 };
  return v;
}

void
cc_strv_builder_release (struct cc_strv_builder *b)
{
  cc_strv_free (b->v);
  *b = (struct cc_strv_builder){ 0 };
}

char **
cc_strv_dup (char *const *v)
{
  size_t n = cc_strv_len (v);
  char **r = xzalloc ((n + 1) * sizeof (char *));

  for (size_t i = 0; i < n; i++)
    r[i] = xstrdup (v[i]);
  return r;
}

bool
cc_strv_contains (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

void
cc_strv_free (char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free (v[i]);
  free (v);
}

char **
cc_strv_split (const char *s, char sep, bool skip_empty)
{
  struct cc_strv_builder b = { 0 };
  const char *start = s;

  for (const char *p = s;; p++)
    {
      if (*p != sep && *p != '\0')
        continue;
      if (p > start || ! skip_empty)
        cc_strv_builder_push (&b, xstrndup (start, (size_t)(p - start)));
      if (*p == '\0')
        break;
      start = p + 1;
    }
  return cc_strv_builder_steal (&b);
}

char *
cc_strv_join (char *const *v, const char *sep)
{
  struct cc_buf b = { 0 };

  for (size_t i = 0; v && v[i]; i++)
    {
      if (i)
        cc_buf_puts (&b, sep);
      cc_buf_puts (&b, v[i]);
    }
  return cc_buf_steal (&b);
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

void
cc_strv_sort_unique (char **v)
{
  size_t n = cc_strv_len (v), w = 0;

  qsort (v, n, sizeof (char *), compare_strings);
  for (size_t r = 0; r < n; r++)
    {
      if (w > 0 && strcmp (v[w - 1], v[r]) == 0)
        {
          free (v[r]);
          continue;
        }
      v[w++] = v[r];
    }
  v[w] = NULL;
}

/* One character of S at *I into B; returns false at an unclosed quote
   or a backslash with nothing after it.  */
static bool
shell_word_char (const char *s, size_t *i, struct cc_buf *b)
{
  char q = s[*i];

  if (q == '\\')
    {
      if (s[*i + 1] == '\0')
        return false;
      cc_buf_putc (b, s[*i + 1]);
      *i += 2;
      return true;
    }
  if (q != '\'' && q != '"')
    {
      cc_buf_putc (b, s[(*i)++]);
      return true;
    }
  for ((*i)++; s[*i] && s[*i] != q; (*i)++)
    {
      if (q == '"' && s[*i] == '\\' && s[*i + 1])
        (*i)++;
      cc_buf_putc (b, s[*i]);
    }
  if (s[*i] != q)
    return false;
  (*i)++;
  return true;
}

char **
cc_strv_shell_split (const char *s)
{
  char **v = xzalloc (sizeof (char *));
  size_t i = 0;

  for (;;)
    {
      cleanup_buf struct cc_buf b = { 0 };
      while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')
        i++;
      if (s[i] == '\0')
        return v;
      while (s[i] && s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
        if (! shell_word_char (s, &i, &b))
          {
            cc_strv_free (v);
            return NULL;
          }
      /* '' is a word of its own, empty.  */
      cc_buf_puts (&b, "");
      cc_strv_push (&v, cc_buf_steal (&b));
    }
}
