/* Word expansion as BuildKit's dockerfile frontend 1.7 does it
   (frontend/dockerfile/shell/lex.go), rewritten from its behaviour:

   - `$NAME`, `${NAME}`; a name is letters, digits and `_`, or one
     special parameter (`$@ $* $# $? $- $$ $! $0`), or a run of digits;
   - `${NAME:-word}` `${NAME-word}` default, `${NAME:+word}` `${NAME+word}`
     alternative, `${NAME:?msg}` `${NAME?msg}` error (the 20.10 frontend
     has these); `${NAME#pat}` `${NAME##pat}` `${NAME%pat}` `${NAME%%pat}`
     `${NAME/pat/repl}` `${NAME//pat/repl}` (frontend 1.7), where `*` and
     `?` are wildcards that do not cross a newline (Go's regexp `.`);
     `${NAME:#...}` is refused as later frontends refuse it, and `${NAME#}`
     (a crash in 1.7) trims nothing;
   - single quotes keep everything; double quotes keep everything but `$`
     and the escape character, which escapes only `"`, `$` and itself
     there; outside quotes the escape character escapes anything;
   - the escape character is `\` or the one of `# escape=`;
   - an unset variable is empty (or kept as written with SKIP_UNSET);
   - ProcessWords splits the result at blanks that were not quoted and
     did not come from a variable's value... except that blanks inside a
     variable's value do split, as in BuildKit (`$V` is not quoted).

   Bad bytes read as U+FFFD, as Go's text/scanner reads them.  */
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define LEX_EOF ((int32_t)-1)

struct lex
{
  struct cc_bld_lexer *lx;
  const struct cc_bld_vars *env;
  const char *s;
  size_t n, pos;
  bool raw_escapes;
  int depth;
  cc_error_t *err;
};

struct words
{
  struct cc_buf word;
  char **list;
  size_t n, cap;
  bool in_word;
};

static int32_t
peek (const struct lex *l)
{
  uint32_t r;

  if (l->pos >= l->n)
    return LEX_EOF;
  cc_bld_decode (l->s + l->pos, l->n - l->pos, &r);
  return (int32_t)r;
}

static int32_t
next (struct lex *l)
{
  uint32_t r;

  if (l->pos >= l->n)
    return LEX_EOF;
  l->pos += cc_bld_decode (l->s + l->pos, l->n - l->pos, &r);
  return (int32_t)r;
}

static void
put (struct cc_buf *b, int32_t r)
{
  cc_bld_put_rune (b, r < 0 ? CC_BLD_RUNE_ERROR : (uint32_t)r);
}

static void
words_push (struct words *w)
{
  if (w->n + 1 >= w->cap)
    {
      w->cap = w->cap ? w->cap * 2 : 8;
      w->list = xreallocarray (w->list, w->cap, sizeof (*w->list));
    }
  w->list[w->n++] = cc_buf_steal (&w->word);
  w->list[w->n] = NULL;
  if (w->list[w->n - 1] == NULL)
    w->list[w->n - 1] = xstrdup ("");
}

static void
words_add_raw_char (struct words *w, int32_t r)
{
  put (&w->word, r);
  w->in_word = true;
}

static void
words_add_char (struct words *w, int32_t r)
{
  bool space = r >= 0 && cc_bld_is_space ((uint32_t)r);

  if (space && w->in_word)
    {
      if (w->word.len != 0)
        {
          words_push (w);
          w->in_word = false;
        }
    }
  else if (! space)
    words_add_raw_char (w, r);
}

static void
words_add_string (struct words *w, const char *s)
{
  size_t n = strlen (s);

  for (size_t i = 0; i < n;)
    {
      uint32_t r;
      i += cc_bld_decode (s + i, n - i, &r);
      words_add_char (w, (int32_t)r);
    }
}

static void
words_add_raw_string (struct words *w, const char *s)
{
  cc_buf_puts (&w->word, s);
  w->in_word = true;
}

static char **
words_finish (struct words *w)
{
  char **out;

  if (w->word.len > 0)
    words_push (w);
  cc_buf_reset (&w->word);
  out = w->list ? w->list : xzalloc (sizeof (char *));
  w->list = NULL;
  return out;
}

static void
words_release (struct words *w)
{
  cc_buf_reset (&w->word);
  cc_strv_free (w->list);
  w->list = NULL;
}

/* Charge N produced bytes to the lexer's budget.  */
static int
charge (struct lex *l, size_t n)
{
  l->lx->produced += n;
  if (l->lx->produced > CC_LEX_BUDGET)
    return cc_error_make (l->err, 0, "variable expansion produces more than %zu MiB", CC_LEX_BUDGET >> 20);
  return 0;
}

static const char *
get_env (struct lex *l, const char *name)
{
  const char *v = cc_bld_vars_get (l->env, name);

  if (v && l->lx->matches)
    cc_bld_vars_set (l->lx->matches, name, v);
  return v;
}

static int process_stop_on (struct lex *l, int32_t stop, bool raw_escapes, char **result, struct words *w);

static char *
process_name (struct lex *l)
{
  struct cc_buf name = { 0 };

  while (peek (l) != LEX_EOF)
    {
      int32_t ch = peek (l);
      if (name.len == 0 && cc_bld_is_digit ((uint32_t)ch))
        {
          while (peek (l) != LEX_EOF && cc_bld_is_digit ((uint32_t)peek (l)))
            put (&name, next (l));
          break;
        }
      if (name.len == 0 && ch > 0 && ch < 0x80 && strchr ("@*#?-$!0", ch) != NULL)
        {
          put (&name, next (l));
          break;
        }
      if (! cc_bld_is_letter ((uint32_t)ch) && ! cc_bld_is_digit ((uint32_t)ch) && ch != '_')
        break;
      put (&name, next (l));
    }
  return name.data ? cc_buf_steal (&name) : xstrdup ("");
}

static int
process_single_quote (struct lex *l, char **out)
{
  cleanup_buf struct cc_buf b = { 0 };
  int32_t ch = next (l);

  if (l->lx->flags & CC_LEX_RAW_QUOTES)
    put (&b, ch);
  for (;;)
    {
      ch = next (l);
      if (ch == LEX_EOF)
        return cc_error_make (l->err, 0, "unexpected end of statement while looking for matching single-quote");
      if (ch == '\'')
        {
          if (l->lx->flags & CC_LEX_RAW_QUOTES)
            put (&b, ch);
          break;
        }
      put (&b, ch);
    }
  cc_buf_puts (&b, "");
  *out = cc_buf_steal (&b);
  return 0;
}

static int process_dollar (struct lex *l, char **out);

static int
process_double_quote (struct lex *l, char **out)
{
  cleanup_buf struct cc_buf b = { 0 };
  int32_t ch = next (l);

  if (l->lx->flags & CC_LEX_RAW_QUOTES)
    put (&b, ch);
  for (;;)
    {
      int32_t p = peek (l);
      if (p == LEX_EOF)
        return cc_error_make (l->err, 0, "unexpected end of statement while looking for matching double-quote");
      if (p == '"')
        {
          ch = next (l);
          if (l->lx->flags & CC_LEX_RAW_QUOTES)
            put (&b, ch);
          break;
        }
      if (p == '$')
        {
          cleanup_free char *value = NULL;
          if (process_dollar (l, &value) < 0)
            return -1;
          cc_buf_puts (&b, value);
          continue;
        }
      ch = next (l);
      if (ch == l->lx->escape)
        {
          /* Raw escapes keep the escape character, and then write it
             again when it escapes nothing: Go's lexer does.  */
          if (l->raw_escapes)
            put (&b, ch);
          p = peek (l);
          if (p == LEX_EOF)
            continue;
          if (p == '"' || p == '$' || p == l->lx->escape)
            ch = next (l);
        }
      put (&b, ch);
      if (b.len > CC_LEX_WORD_MAX)
        return cc_error_make (l->err, 0, "word longer than %zu MiB", CC_LEX_WORD_MAX >> 20);
    }
  cc_buf_puts (&b, "");
  *out = cc_buf_steal (&b);
  return 0;
}

/* ---- shell patterns of ${V#pat} ${V%pat} ${V/pat/repl} --------------- */

enum pat_op
{
  PAT_LIT,
  PAT_ANY,  /* ?: one rune but a newline */
  PAT_STAR, /* *: any run of runes without a newline */
};

struct pat
{
  enum pat_op *ops;
  uint32_t *lit;
  size_t n;
};

static void
pat_release (struct pat *p)
{
  free (p->ops);
  free (p->lit);
}

/* convertShellPatternToRegex: `\` before `}` or `/` is dropped, before
   `*`, `?` or `\` it makes them literal, before anything else it is an
   error.  */
static int
pat_compile (struct lex *l, const char *pattern, struct pat *p)
{
  size_t n = strlen (pattern);

  p->ops = xmalloc ((n + 1) * sizeof (*p->ops));
  p->lit = xmalloc ((n + 1) * sizeof (*p->lit));
  p->n = 0;
  for (size_t i = 0; i < n;)
    {
      uint32_t r;
      i += cc_bld_decode (pattern + i, n - i, &r);
      if (r == '*' || r == '?')
        {
          p->ops[p->n] = r == '*' ? PAT_STAR : PAT_ANY;
          p->lit[p->n++] = 0;
          continue;
        }
      if (r == '\\')
        {
          if (i < n && (pattern[i] == '}' || pattern[i] == '/'))
            continue;
          if (i >= n)
            return cc_error_make (l->err, 0, "invalid pattern (%s) in substitution: invalid escape '\\'", pattern);
          i += cc_bld_decode (pattern + i, n - i, &r);
          if (r != '*' && r != '?' && r != '\\')
            {
              cleanup_buf struct cc_buf c = { 0 };
              put (&c, (int32_t)r);
              return cc_error_make (l->err, 0, "invalid pattern (%s) in substitution: invalid escape '\\%s'", pattern,
                                    c.data);
            }
        }
      p->ops[p->n] = PAT_LIT;
      p->lit[p->n++] = r;
    }
  return 0;
}

static void
pat_reverse (struct pat *p)
{
  for (size_t i = 0, j = p->n ? p->n - 1 : 0; i < j; i++, j--)
    {
      enum pat_op o = p->ops[i];
      uint32_t c = p->lit[i];
      p->ops[i] = p->ops[j], p->lit[i] = p->lit[j];
      p->ops[j] = o, p->lit[j] = c;
    }
}

/* The runes of a string, decoded once (Go's regexp sees runes; a bad
   byte is one U+FFFD).  */
struct runes
{
  uint32_t *r;
  size_t *off; /* byte offset of each rune, and of the end */
  size_t n;
};

static void
runes_of (const char *s, struct runes *out)
{
  size_t n = strlen (s);

  out->r = xmalloc ((n + 1) * sizeof (*out->r));
  out->off = xmalloc ((n + 1) * sizeof (*out->off));
  out->n = 0;
  for (size_t i = 0; i < n;)
    {
      out->off[out->n] = i;
      i += cc_bld_decode (s + i, n - i, &out->r[out->n]);
      out->n++;
    }
  out->off[out->n] = n;
}

static void
runes_release (struct runes *r)
{
  free (r->r);
  free (r->off);
}

/* Add pattern position K and what a star there lets through at once.  */
static void
add_state (const struct pat *p, bool *set, size_t k)
{
  while (k <= p->n && ! set[k])
    {
      set[k] = true;
      if (k < p->n && p->ops[k] == PAT_STAR)
        k++;
      else
        break;
    }
}

static bool
step_matches (const struct pat *p, size_t k, uint32_t r)
{
  switch (p->ops[k])
    {
    case PAT_LIT:
      return p->lit[k] == r;
    case PAT_ANY:
    case PAT_STAR:
      return r != '\n';
    }
  return false;
}

/* Match P against runes R from START: the shortest (or longest, GREEDY)
   end where it matches, or -1.  Linear: a set of pattern positions.  */
static long
pat_match_at (const struct pat *p, const struct runes *r, size_t start, bool greedy)
{
  cleanup_free bool *cur = xzalloc (p->n + 1);
  cleanup_free bool *nxt = xzalloc (p->n + 1);
  long best = -1;

  add_state (p, cur, 0);
  for (size_t i = start;; i++)
    {
      bool any = false;
      if (cur[p->n])
        {
          best = (long)i;
          if (! greedy)
            return best;
        }
      if (i >= r->n)
        break;
      memset (nxt, 0, p->n + 1);
      for (size_t k = 0; k < p->n; k++)
        if (cur[k] && step_matches (p, k, r->r[i]))
          {
            any = true;
            add_state (p, nxt, p->ops[k] == PAT_STAR ? k : k + 1);
          }
      {
        bool *t = cur;
        cur = nxt, nxt = t;
      }
      if (! any)
        break;
    }
  return best;
}

static int
trim_affix (struct lex *l, const char *pattern, const char *value, bool suffix, bool greedy, char **out)
{
  struct pat p = { 0 };
  struct runes r = { 0 };
  cleanup_buf struct cc_buf b = { 0 };
  long end;

  if (pat_compile (l, pattern, &p) < 0)
    {
      pat_release (&p);
      return -1;
    }
  runes_of (value, &r);
  if (charge (l, r.n * (p.n + 1) / 64) < 0)
    goto fail;
  if (suffix)
    {
      /* The shortest (longest) suffix is the shortest (longest) prefix of
         the reversed value, for the reversed pattern.  */
      struct runes rev = { xmalloc ((r.n + 1) * sizeof (uint32_t)), NULL, r.n };
      pat_reverse (&p);
      for (size_t i = 0; i < r.n; i++)
        rev.r[i] = r.r[r.n - 1 - i];
      end = pat_match_at (&p, &rev, 0, greedy);
      free (rev.r);
      cc_buf_append (&b, value, end < 0 ? r.off[r.n] : r.off[r.n - (size_t)end]);
    }
  else
    {
      end = pat_match_at (&p, &r, 0, greedy);
      cc_buf_puts (&b, value + (end < 0 ? 0 : r.off[end]));
    }
  cc_buf_puts (&b, "");
  *out = cc_buf_steal (&b);
  pat_release (&p);
  runes_release (&r);
  return 0;
fail:
  pat_release (&p);
  runes_release (&r);
  return -1;
}

#define NO_THREAD SIZE_MAX

/* Enter pattern position K (and what a star lets through) for a thread
   that started at START, unless an earlier start holds it already.  */
static void
add_thread (const struct pat *p, size_t *set, size_t k, size_t start)
{
  while (k <= p->n && set[k] > start)
    {
      set[k] = start;
      if (k < p->n && p->ops[k] == PAT_STAR)
        k++;
      else
        break;
    }
}

/* The leftmost match at or after FROM, the longest from there (Go's
   leftmost-first with greedy stars): *START, *END in runes; false when
   there is none.  One pass, each pattern position keeping the earliest
   start that reached it, so hostile values stay linear.  */
static bool
pat_find (const struct pat *p, const struct runes *r, size_t from, size_t *start, size_t *end)
{
  cleanup_free size_t *cur = xmalloc ((p->n + 1) * sizeof (size_t));
  cleanup_free size_t *nxt = xmalloc ((p->n + 1) * sizeof (size_t));
  size_t best_s = NO_THREAD, best_e = 0;

  for (size_t k = 0; k <= p->n; k++)
    cur[k] = NO_THREAD;
  for (size_t i = from;; i++)
    {
      bool alive = false;
      if (best_s == NO_THREAD)
        add_thread (p, cur, 0, i);
      if (cur[p->n] != NO_THREAD && (cur[p->n] < best_s || (cur[p->n] == best_s && i > best_e)))
        best_s = cur[p->n], best_e = i;
      if (i >= r->n)
        break;
      for (size_t k = 0; k <= p->n; k++)
        nxt[k] = NO_THREAD;
      for (size_t k = 0; k < p->n; k++)
        if (cur[k] != NO_THREAD && (best_s == NO_THREAD || cur[k] <= best_s) && step_matches (p, k, r->r[i]))
          {
            alive = true;
            add_thread (p, nxt, p->ops[k] == PAT_STAR ? k : k + 1, cur[k]);
          }
      {
        size_t *t = cur;
        cur = nxt, nxt = t;
      }
      if (! alive && best_s != NO_THREAD)
        break;
    }
  if (best_s == NO_THREAD)
    return false;
  *start = best_s, *end = best_e;
  return true;
}

/* regexp.Expand of REPL for a match M (no groups: $0 is the match, any
   other name is empty, $$ is $).  */
static void
expand_template (struct cc_buf *b, const char *repl, const char *m, size_t mlen)
{
  for (const char *p = repl; *p;)
    {
      const char *name, *after;
      size_t nlen = 0;
      if (*p != '$')
        {
          cc_buf_putc (b, *p++);
          continue;
        }
      if (p[1] == '$')
        {
          cc_buf_putc (b, '$');
          p += 2;
          continue;
        }
      name = p + 1 + (p[1] == '{');
      while (name[nlen]
             && (name[nlen] == '_' || (name[nlen] >= '0' && name[nlen] <= '9')
                 || ((name[nlen] | 0x20) >= 'a' && (name[nlen] | 0x20) <= 'z')))
        nlen++;
      after = name + nlen + (p[1] == '{');
      if (nlen == 0 || (p[1] == '{' && name[nlen] != '}'))
        {
          cc_buf_putc (b, *p++);
          continue;
        }
      if (strspn (name, "0123456789") >= nlen && strtoul (name, NULL, 10) == 0)
        cc_buf_append (b, m, mlen);
      p = after;
    }
}

/* regexp.ReplaceAllString (or the first match only, replaced
   literally, as BuildKit does for `${V/pat/repl}`).  */
static int
replace (struct lex *l, const char *pattern, const char *repl, const char *value, bool all, char **out)
{
  struct pat p = { 0 };
  struct runes r = { 0 };
  cleanup_buf struct cc_buf b = { 0 };
  size_t pos = 0, last_end = 0, s, e;
  int ret = -1;

  if (pat_compile (l, pattern, &p) < 0)
    goto out;
  runes_of (value, &r);
  if (charge (l, r.n * (p.n + 1) / 64) < 0)
    goto out;
  while (pos <= r.n && pat_find (&p, &r, pos, &s, &e))
    {
      cc_buf_append (&b, value + r.off[last_end], r.off[s] - r.off[last_end]);
      /* Not for an empty match right after the previous one.  */
      if (e > last_end || s == 0)
        {
          if (all)
            expand_template (&b, repl, value + r.off[s], r.off[e] - r.off[s]);
          else
            cc_buf_puts (&b, repl);
        }
      last_end = e;
      if (charge (l, b.len / 16) < 0)
        goto out;
      if (! all)
        break;
      pos = pos + 1 > e ? pos + 1 : e;
    }
  cc_buf_puts (&b, value + r.off[last_end]);
  *out = cc_buf_steal (&b);
  ret = 0;
out:
  pat_release (&p);
  runes_release (&r);
  return ret;
}

/* ---- ${...} ------------------------------------------------------------ */

static char *
missing (const char *name, const char *ch, const char *word)
{
  return xasprintf ("${%s%s%s}", name, ch, word);
}

static int
process_modifier (struct lex *l, const char *name, int32_t ch, bool null_is_unset, const char *chs, char **out)
{
  bool raw = ch == '#' || ch == '%';
  cleanup_free char *word = NULL;
  const char *value;

  if (null_is_unset && raw)
    return cc_error_make (l->err, 0, "unsupported modifier (%s) in substitution", chs);
  if (process_stop_on (l, '}', raw, &word, NULL) < 0)
    {
      if (peek (l) == LEX_EOF)
        {
          cc_error_release (l->err);
          return cc_error_make (l->err, 0, "syntax error: missing '}'");
        }
      return -1;
    }
  value = get_env (l, name);
  if ((l->lx->flags & CC_LEX_SKIP_UNSET) && value == NULL)
    {
      *out = missing (name, chs, word);
      return 0;
    }
  switch (ch)
    {
    case '-':
      *out = xstrdup (value == NULL || (null_is_unset && *value == '\0') ? word : value);
      return 0;
    case '+':
      *out = xstrdup (value == NULL || (null_is_unset && *value == '\0') ? "" : word);
      return 0;
    case '?':
      if (value == NULL)
        return cc_error_make (l->err, 0, "%s: %s", name, *word ? word : "is not allowed to be unset");
      if (null_is_unset && *value == '\0')
        return cc_error_make (l->err, 0, "%s: %s", name, *word ? word : "is not allowed to be empty");
      *out = xstrdup (value);
      return 0;
    case '#':
    case '%':
      {
        bool greedy = word[0] == (char)ch;
        return trim_affix (l, word + (greedy ? 1 : 0), value ? value : "", ch == '%', greedy, out);
      }
    default:
      return cc_error_make (l->err, 0, "unsupported modifier (%s) in substitution", chs);
    }
}

static int
process_replace (struct lex *l, const char *name, char **out)
{
  bool all = peek (l) == '/';
  cleanup_free char *pattern = NULL;
  cleanup_free char *repl = NULL;
  const char *value;

  if (all)
    next (l);
  if (process_stop_on (l, '/', true, &pattern, NULL) < 0)
    {
      if (peek (l) != LEX_EOF)
        return -1;
      cc_error_release (l->err);
      return cc_error_make (l->err, 0, "syntax error: missing '/' in ${}");
    }
  if (process_stop_on (l, '}', true, &repl, NULL) < 0)
    {
      if (peek (l) != LEX_EOF)
        return -1;
      cc_error_release (l->err);
      return cc_error_make (l->err, 0, "syntax error: missing '}'");
    }
  value = get_env (l, name);
  if ((l->lx->flags & CC_LEX_SKIP_UNSET) && value == NULL)
    {
      *out = xasprintf ("${%s/%s/%s}", name, pattern, repl);
      return 0;
    }
  return replace (l, pattern, repl, value ? value : "", all, out);
}

static int
process_braces (struct lex *l, char **out)
{
  cleanup_free char *name = NULL;
  cleanup_buf struct cc_buf chs = { 0 };
  bool null_is_unset = false;
  int32_t ch, p;
  const char *value;

  next (l); /* { */
  p = peek (l);
  if (p == LEX_EOF)
    return cc_error_make (l->err, 0, "syntax error: missing '}'");
  if (p == '{' || p == '}' || p == ':')
    return cc_error_make (l->err, 0, "syntax error: bad substitution");
  name = process_name (l);
  ch = next (l);
  put (&chs, ch);
  switch (ch)
    {
    case '}':
      value = get_env (l, name);
      if (value == NULL && (l->lx->flags & CC_LEX_SKIP_UNSET))
        *out = xasprintf ("${%s}", name);
      else
        *out = xstrdup (value ? value : "");
      return 0;
    case ':':
      null_is_unset = true;
      ch = next (l);
      put (&chs, ch);
      return process_modifier (l, name, ch, null_is_unset, chs.data, out);
    case '+':
    case '-':
    case '?':
    case '#':
    case '%':
      return process_modifier (l, name, ch, null_is_unset, chs.data, out);
    case '/':
      return process_replace (l, name, out);
    default:
      return cc_error_make (l->err, 0, "unsupported modifier (%s) in substitution", chs.data);
    }
}

static int
process_dollar (struct lex *l, char **out)
{
  int ret;

  next (l); /* $ */
  if (peek (l) != '{')
    {
      cleanup_free char *name = process_name (l);
      const char *value;
      if (*name == '\0')
        {
          *out = xstrdup ("$");
          return 0;
        }
      value = get_env (l, name);
      if (value == NULL && (l->lx->flags & CC_LEX_SKIP_UNSET))
        *out = xasprintf ("$%s", name);
      else
        *out = xstrdup (value ? value : "");
      return charge (l, strlen (*out));
    }
  if (++l->depth > CC_LEX_MAX_DEPTH)
    return cc_error_make (l->err, 0, "substitutions nested more than %d deep", CC_LEX_MAX_DEPTH);
  ret = process_braces (l, out);
  l->depth--;
  if (ret == 0)
    ret = charge (l, strlen (*out));
  return ret;
}

/* processStopOn: read until STOP (consumed) or the end; the result, and
   the words when W is not NULL.  */
static int
process_stop_on (struct lex *l, int32_t stop, bool raw_escapes, char **result, struct words *w)
{
  cleanup_buf struct cc_buf res = { 0 };
  struct words local = { 0 };
  bool saved = l->raw_escapes;
  int ret = 0;

  if (w == NULL)
    w = &local;
  l->raw_escapes = raw_escapes;
  for (;;)
    {
      int32_t ch = peek (l);
      if (ch == LEX_EOF)
        break;
      if (stop != LEX_EOF && ch == stop)
        {
          next (l);
          goto done;
        }
      if (ch == '$' || (! (l->lx->flags & CC_LEX_SKIP_QUOTES) && (ch == '\'' || ch == '"')))
        {
          cleanup_free char *tmp = NULL;
          ret = ch == '$'    ? process_dollar (l, &tmp)
                : ch == '\'' ? process_single_quote (l, &tmp)
                             : process_double_quote (l, &tmp);
          if (ret < 0)
            goto out;
          cc_buf_puts (&res, tmp);
          if (ch == '$')
            words_add_string (w, tmp);
          else
            words_add_raw_string (w, tmp);
        }
      else
        {
          ch = next (l);
          if (ch == l->lx->escape)
            {
              if (l->raw_escapes)
                {
                  words_add_raw_char (w, ch);
                  put (&res, ch);
                }
              ch = next (l);
              if (ch == LEX_EOF)
                break;
              words_add_raw_char (w, ch);
            }
          else
            words_add_char (w, ch);
          put (&res, ch);
        }
      if (res.len > CC_LEX_WORD_MAX)
        {
          ret = cc_error_make (l->err, 0, "word longer than %zu MiB", CC_LEX_WORD_MAX >> 20);
          goto out;
        }
    }
  if (stop != LEX_EOF)
    {
      cleanup_buf struct cc_buf c = { 0 };
      put (&c, stop);
      ret = cc_error_make (l->err, 0, "unexpected end of statement while looking for matching %s", c.data);
      goto out;
    }
done:
  cc_buf_puts (&res, "");
  *result = cc_buf_steal (&res);
out:
  if (w == &local)
    words_release (&local);
  l->raw_escapes = saved;
  return ret;
}

static int
process (struct cc_bld_lexer *lx, const char *word, const struct cc_bld_vars *env, char **result, char ***words,
         cc_error_t *err)
{
  cleanup_error cc_error_t e = NULL;
  struct lex l = { lx, env, word, strlen (word), 0, (lx->flags & CC_LEX_RAW_ESCAPES) != 0, 0, &e };
  struct words w = { 0 };
  cleanup_free char *res = NULL;

  /* text/scanner drops a byte order mark at the very start.  */
  if (l.n >= 3 && memcmp (word, "\xEF\xBB\xBF", 3) == 0)
    l.pos = 3;
  if (process_stop_on (&l, LEX_EOF, l.raw_escapes, &res, &w) < 0)
    {
      cleanup_buf struct cc_buf q = { 0 };
      words_release (&w);
      cc_bld_go_quote (&q, word);
      return cc_error_make (err, 0, "failed to process %s: %s", q.data, e ? e->msg : "error");
    }
  if (words)
    *words = words_finish (&w);
  else
    words_release (&w);
  if (result)
    *result = steal_pointer (&res);
  return 0;
}

int
cc_bld_lex_word (struct cc_bld_lexer *lx, const char *word, const struct cc_bld_vars *env, char **out, cc_error_t *err)
{
  return process (lx, word, env, out, NULL, err);
}

int
cc_bld_lex_words (struct cc_bld_lexer *lx, const char *word, const struct cc_bld_vars *env, char ***out,
                  cc_error_t *err)
{
  return process (lx, word, env, NULL, out, err);
}
