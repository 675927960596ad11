/* Pattern matching for COPY sources and .dockerignore.

   cc_builder_path_match is Go's filepath.Match (what BuildKit's copy
   uses for wildcard sources, and what moby/patternmatcher checks each
   .dockerignore pattern with): `*` any run without `/`, `?` one rune but
   `/`, `[...]` / `[^...]` ranges, `\` escaping; a malformed pattern is an
   error even when matching stopped before the malformed part.

   cc_bld_regex_* run the regular expression patternmatcher turns a
   .dockerignore pattern into (a star becomes `[^/]` repeated, `?` one
   `[^/]`, a double star any run of directories or of characters;
   `.+()|{}$` are escaped; `[`, `]`, `^` and `\x` pass through).  Those reach Go's regexp syntax, so a `[...]` there is
   a Go regexp class (`[^a]` matches `/`), `[[:alpha:]]` a POSIX class, `\d` a digit and `.` never a newline.  The
   subset that translation can produce is implemented here as a Thompson NFA, linear in the path; an escape Go's regexp
   would read as something else (`\b`, `\pL`, `\Q`...) is refused as an invalid pattern.  */
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"

/* ---- filepath.Match ------------------------------------------------- */

/* scanChunk: leading stars, then up to the next star outside [...].  */
static void
scan_chunk (const char **pattern, bool *star, const char **chunk, size_t *chunk_len)
{
  const char *p = *pattern;
  bool inrange = false;
  size_t i;

  *star = false;
  while (*p == '*')
    p++, *star = true;
  for (i = 0; p[i]; i++)
    {
      if (p[i] == '\\')
        {
          if (p[i + 1])
            i++;
        }
      else if (p[i] == '[')
        inrange = true;
      else if (p[i] == ']')
        inrange = false;
      else if (p[i] == '*' && ! inrange)
        break;
    }
  *chunk = p;
  *chunk_len = i;
  *pattern = p + i;
}

/* getEsc: one (possibly escaped) rune of a range.  */
static int
get_esc (const char **c, const char *end, uint32_t *r)
{
  const char *p = *c;
  size_t n;

  if (p >= end || *p == '-' || *p == ']')
    return -1;
  if (*p == '\\')
    {
      p++;
      if (p >= end)
        return -1;
    }
  n = cc_bld_decode (p, (size_t)(end - p), r);
  if (*r == CC_BLD_RUNE_ERROR && n == 1)
    return -1;
  p += n;
  if (p >= end)
    return -1;
  *c = p;
  return 0;
}

/* matchChunk: 1 matched (*REST set), 0 not, -1 bad pattern.  */
static int
match_chunk (const char *chunk, size_t clen, const char *s, const char **rest)
{
  const char *c = chunk, *end = chunk + clen;
  bool failed = false;

  while (c < end)
    {
      if (! failed && *s == '\0')
        failed = true;
      if (*c == '[')
        {
          uint32_t r = 0, lo, hi;
          bool negated = false, match = false;
          int nrange = 0;
          if (! failed)
            s += cc_bld_decode (s, strlen (s), &r);
          c++;
          if (c < end && *c == '^')
            negated = true, c++;
          for (;;)
            {
              if (c < end && *c == ']' && nrange > 0)
                {
                  c++;
                  break;
                }
              if (get_esc (&c, end, &lo) < 0)
                return -1;
              hi = lo;
              if (*c == '-')
                {
                  c++;
                  if (get_esc (&c, end, &hi) < 0)
                    return -1;
                }
              if (lo <= r && r <= hi)
                match = true;
              nrange++;
            }
          if (match == negated)
            failed = true;
          continue;
        }
      if (*c == '?')
        {
          if (! failed)
            {
              uint32_t r;
              if (*s == '/')
                failed = true;
              s += cc_bld_decode (s, strlen (s), &r);
            }
          c++;
          continue;
        }
      if (*c == '\\')
        {
          c++;
          if (c >= end)
            return -1;
        }
      if (! failed)
        {
          if (*c != *s)
            failed = true;
          s++;
        }
      c++;
    }
  if (failed)
    return 0;
  *rest = s;
  return 1;
}

int
cc_builder_path_match (const char *pattern, const char *name, bool *matched, cc_error_t *err)
{
  const char *p = pattern;

  *matched = false;
  while (*p)
    {
      bool star;
      const char *chunk, *t = NULL;
      size_t clen;
      int r;

      scan_chunk (&p, &star, &chunk, &clen);
      if (star && clen == 0)
        {
          *matched = strchr (name, '/') == NULL;
          return 0;
        }
      r = match_chunk (chunk, clen, name, &t);
      if (r > 0 && (*t == '\0' || *p))
        {
          name = t;
          continue;
        }
      if (r < 0)
        return cc_error_make (err, 0, "syntax error in pattern `%s`", pattern);
      if (star)
        {
          bool found = false;
          for (size_t i = 0; name[i] && name[i] != '/'; i++)
            {
              r = match_chunk (chunk, clen, name + i + 1, &t);
              if (r > 0)
                {
                  if (*p == '\0' && *t != '\0')
                    continue;
                  name = t;
                  found = true;
                  break;
                }
              if (r < 0)
                return cc_error_make (err, 0, "syntax error in pattern `%s`", pattern);
            }
          if (found)
            continue;
        }
      /* The rest must still be a valid pattern.  */
      while (*p)
        {
          scan_chunk (&p, &star, &chunk, &clen);
          if (match_chunk (chunk, clen, "", &t) < 0)
            return cc_error_make (err, 0, "syntax error in pattern `%s`", pattern);
        }
      return 0;
    }
  *matched = *name == '\0';
  return 0;
}

bool
cc_builder_has_wildcards (const char *path)
{
  for (size_t i = 0; path[i]; i++)
    {
      if (path[i] == '\\')
        {
          if (path[i + 1])
            i++;
        }
      else if (path[i] == '*' || path[i] == '?' || path[i] == '[')
        return true;
    }
  return false;
}

/* ---- the regexp subset ------------------------------------------------ */

struct range
{
  uint32_t lo, hi;
};

struct cclass
{
  struct range *r;
  size_t n;
  bool negated;
};

enum node_op
{
  N_CHAR,  /* one rune in CLASS (or RUNE) */
  N_ANY,   /* any rune but a newline */
  N_SPLIT, /* to OUT and OUT1 */
  N_BEGIN, /* at the start of the text */
  N_END,   /* at the end of the text */
  N_MATCH,
};

struct node
{
  enum node_op op;
  uint32_t rune;
  int cls; /* index into classes, or -1 for RUNE */
  int out, out1;
};

struct cc_bld_regex
{
  struct node *nodes;
  size_t n, cap;
  struct cclass *classes;
  size_t n_classes;
  int start;
};

/* A fragment of the NFA: its start and the dangling exits to patch.  */
struct frag
{
  int start;
  int *holes; /* node index * 2 + (0: out, 1: out1) */
  size_t n_holes;
};

struct rparse
{
  struct cc_bld_regex *re;
  const char *s;
  size_t n, pos;
  const char *error;
};

static int
add_node (struct cc_bld_regex *re, enum node_op op)
{
  if (re->n == re->cap)
    {
      re->cap = re->cap ? re->cap * 2 : 32;
      re->nodes = xreallocarray (re->nodes, re->cap, sizeof (*re->nodes));
    }
  re->nodes[re->n] = (struct node){ op, 0, -1, -1, -1 };
  return (int)re->n++;
}

static void
frag_hole (struct frag *f, int node, int which)
{
  f->holes = xreallocarray (f->holes, f->n_holes + 1, sizeof (*f->holes));
  f->holes[f->n_holes++] = node * 2 + which;
}

static void
patch (struct cc_bld_regex *re, struct frag *f, int to)
{
  for (size_t i = 0; i < f->n_holes; i++)
    {
      struct node *n = &re->nodes[f->holes[i] / 2];
      if (f->holes[i] % 2)
        n->out1 = to;
      else
        n->out = to;
    }
  free (f->holes);
  f->holes = NULL;
  f->n_holes = 0;
}

static struct frag
single (struct cc_bld_regex *re, enum node_op op, uint32_t rune, int cls)
{
  struct frag f = { add_node (re, op), NULL, 0 };

  re->nodes[f.start].rune = rune;
  re->nodes[f.start].cls = cls;
  frag_hole (&f, f.start, 0);
  return f;
}

static int32_t
rpeek (const struct rparse *p)
{
  uint32_t r;

  if (p->pos >= p->n)
    return -1;
  cc_bld_decode (p->s + p->pos, p->n - p->pos, &r);
  return (int32_t)r;
}

static int32_t
rnext (struct rparse *p)
{
  uint32_t r;

  if (p->pos >= p->n)
    return -1;
  p->pos += cc_bld_decode (p->s + p->pos, p->n - p->pos, &r);
  return (int32_t)r;
}

static void
class_add (struct cclass *c, uint32_t lo, uint32_t hi)
{
  c->r = cc_bld_grow (c->r, c->n, sizeof (*c->r));
  c->r[c->n++] = (struct range){ lo, hi };
}

/* \d \s \w and their negations, as ranges (negated ones as complements).  */
static bool
perl_class (struct cclass *c, uint32_t e)
{
  static const struct range digit[] = { { '0', '9' } };
  static const struct range space[] = { { '\t', '\n' }, { '\f', '\r' }, { ' ', ' ' } };
  static const struct range word[] = { { '0', '9' }, { 'A', 'Z' }, { '_', '_' }, { 'a', 'z' } };
  const struct range *r;
  size_t n;
  uint32_t prev = 0;

  switch (e | 0x20)
    {
    case 'd':
      r = digit, n = CC_N_ELEMENTS (digit);
      break;
    case 's':
      r = space, n = CC_N_ELEMENTS (space);
      break;
    case 'w':
      r = word, n = CC_N_ELEMENTS (word);
      break;
    default:
      return false;
    }
  if (e >= 'a')
    {
      for (size_t i = 0; i < n; i++)
        class_add (c, r[i].lo, r[i].hi);
      return true;
    }
  for (size_t i = 0; i < n; i++)
    {
      if (r[i].lo > prev)
        class_add (c, prev, r[i].lo - 1);
      prev = r[i].hi + 1;
    }
  class_add (c, prev, 0x10FFFF);
  return true;
}

/* An escape outside or inside a class: a literal rune into *R, or a
   perl class into C (returns 2).  */
static int
parse_escape (struct rparse *p, struct cclass *c, uint32_t *r)
{
  int32_t e = rnext (p);

  if (e < 0)
    return p->error = "trailing backslash", -1;
  if (e < 0x80 && ! ((e | 0x20) >= 'a' && (e | 0x20) <= 'z') && ! (e >= '0' && e <= '9'))
    return *r = (uint32_t)e, 1;
  switch (e)
    {
    case 'a':
      return *r = 7, 1;
    case 'f':
      return *r = '\f', 1;
    case 't':
      return *r = '\t', 1;
    case 'n':
      return *r = '\n', 1;
    case 'r':
      return *r = '\r', 1;
    case 'v':
      return *r = '\v', 1;
    default:
      if (c && perl_class (c, (uint32_t)e))
        return 2;
      return p->error = "unsupported escape", -1;
    }
}

static const struct
{
  const char *name;
  struct range r[4];
} posix[] = {
  { "alnum", { { '0', '9' }, { 'A', 'Z' }, { 'a', 'z' } } },
  { "alpha", { { 'A', 'Z' }, { 'a', 'z' } } },
  { "ascii", { { 0, 0x7F } } },
  { "blank", { { '\t', '\t' }, { ' ', ' ' } } },
  { "cntrl", { { 0, 0x1F }, { 0x7F, 0x7F } } },
  { "digit", { { '0', '9' } } },
  { "graph", { { '!', '~' } } },
  { "lower", { { 'a', 'z' } } },
  { "print", { { ' ', '~' } } },
  { "punct", { { '!', '/' }, { ':', '@' }, { '[', '`' }, { '{', '~' } } },
  { "space", { { '\t', '\r' }, { ' ', ' ' } } },
  { "upper", { { 'A', 'Z' } } },
  { "word", { { '0', '9' }, { 'A', 'Z' }, { '_', '_' }, { 'a', 'z' } } },
  { "xdigit", { { '0', '9' }, { 'A', 'F' }, { 'a', 'f' } } },
};

static bool
posix_class (struct rparse *p, struct cclass *c)
{
  const char *s = p->s + p->pos;
  bool neg;
  const char *close;

  if (p->pos + 2 > p->n || s[0] != '[' || s[1] != ':')
    return false;
  close = strstr (s + 2, ":]");
  if (close == NULL || close > p->s + p->n)
    return false;
  neg = s[2] == '^';
  for (size_t i = 0; i < CC_N_ELEMENTS (posix); i++)
    {
      size_t l = strlen (posix[i].name);
      if ((size_t)(close - (s + 2 + neg)) != l || strncmp (s + 2 + neg, posix[i].name, l) != 0)
        continue;
      if (! neg)
        for (size_t k = 0; k < 4 && (posix[i].r[k].hi || k == 0); k++)
          class_add (c, posix[i].r[k].lo, posix[i].r[k].hi);
      else
        {
          uint32_t prev = 0;
          for (size_t k = 0; k < 4 && (posix[i].r[k].hi || k == 0); k++)
            {
              if (posix[i].r[k].lo > prev)
                class_add (c, prev, posix[i].r[k].lo - 1);
              prev = posix[i].r[k].hi + 1;
            }
          class_add (c, prev, 0x10FFFF);
        }
      p->pos = (size_t)(close + 2 - p->s);
      return true;
    }
  p->error = "invalid character class range";
  return false;
}

/* `[...]` after the `[`: Go's class syntax (a `]` first is literal).  */
static int
parse_class (struct rparse *p, struct frag *out)
{
  struct cc_bld_regex *re = p->re;
  struct cclass c = { NULL, 0, false };
  bool first = true;

  if (rpeek (p) == '^')
    c.negated = true, rnext (p);
  for (;;)
    {
      int32_t ch = rpeek (p);
      uint32_t lo, hi;
      if (ch < 0)
        {
          free (c.r);
          p->error = "missing closing ]";
          return -1;
        }
      if (ch == ']' && ! first)
        {
          rnext (p);
          break;
        }
      first = false;
      if (ch == '[' && posix_class (p, &c))
        continue;
      if (p->error)
        {
          free (c.r);
          return -1;
        }
      rnext (p);
      if (ch == '\\')
        {
          int e = parse_escape (p, &c, &lo);
          if (e < 0)
            {
              free (c.r);
              return -1;
            }
          if (e == 2)
            continue;
        }
      else
        lo = (uint32_t)ch;
      hi = lo;
      if (rpeek (p) == '-' && p->pos + 1 < p->n && p->s[p->pos + 1] != ']')
        {
          int32_t h;
          rnext (p);
          h = rnext (p);
          if (h == '\\')
            {
              if (parse_escape (p, NULL, &hi) != 1)
                {
                  free (c.r);
                  return -1;
                }
            }
          else
            hi = (uint32_t)h;
          if (hi < lo)
            {
              free (c.r);
              p->error = "invalid character class range";
              return -1;
            }
        }
      class_add (&c, lo, hi);
    }
  re->classes = cc_bld_grow (re->classes, re->n_classes, sizeof (*re->classes));
  re->classes[re->n_classes] = c;
  *out = single (re, N_CHAR, 0, (int)re->n_classes++);
  return 0;
}

static int parse_concat (struct rparse *p, struct frag *out, bool in_group);

static int
parse_atom (struct rparse *p, struct frag *out)
{
  struct cc_bld_regex *re = p->re;
  int32_t ch = rnext (p);

  switch (ch)
    {
    case '(':
      if (parse_concat (p, out, true) < 0)
        return -1;
      if (rnext (p) != ')')
        return p->error = "missing closing )", -1;
      return 0;
    case '[':
      return parse_class (p, out);
    case '.':
      *out = single (re, N_ANY, 0, -1);
      return 0;
    case '^':
      *out = single (re, N_BEGIN, 0, -1);
      return 0;
    case '$':
      *out = single (re, N_END, 0, -1);
      return 0;
    case '\\':
      {
        struct cclass c = { NULL, 0, false };
        uint32_t r;
        int e = parse_escape (p, &c, &r);
        if (e < 0)
          return -1;
        if (e == 2)
          {
            re->classes = cc_bld_grow (re->classes, re->n_classes, sizeof (*re->classes));
            re->classes[re->n_classes] = c;
            *out = single (re, N_CHAR, 0, (int)re->n_classes++);
            return 0;
          }
        *out = single (re, N_CHAR, r, -1);
        return 0;
      }
    case '*':
    case '+':
    case '?':
      return p->error = "missing argument to repetition operator", -1;
    default:
      *out = single (re, N_CHAR, (uint32_t)ch, -1);
      return 0;
    }
}

static void
append (struct cc_bld_regex *re, struct frag *acc, struct frag *f)
{
  if (acc->start < 0)
    {
      *acc = *f;
      return;
    }
  patch (re, acc, f->start);
  acc->holes = f->holes;
  acc->n_holes = f->n_holes;
}

static int
parse_concat (struct rparse *p, struct frag *out, bool in_group)
{
  struct cc_bld_regex *re = p->re;
  struct frag acc = { -1, NULL, 0 };

  for (;;)
    {
      struct frag f;
      int32_t ch = rpeek (p);
      if (ch < 0 || (in_group && ch == ')'))
        break;
      if (ch == '|')
        return p->error = "alternation is not supported", -1;
      if (parse_atom (p, &f) < 0)
        {
          free (acc.holes);
          return -1;
        }
      ch = rpeek (p);
      if (ch == '*' || ch == '?' || ch == '+')
        {
          int split = add_node (re, N_SPLIT);
          rnext (p);
          re->nodes[split].out = f.start;
          if (ch == '?')
            {
              frag_hole (&f, split, 1);
              f.start = split;
            }
          else
            {
              /* x* loops through the split; x+ enters x first.  */
              patch (re, &f, split);
              f.start = ch == '*' ? split : f.start;
              frag_hole (&f, split, 1);
            }
          ch = rpeek (p);
          if (ch == '*' || ch == '?' || ch == '+')
            {
              free (f.holes);
              free (acc.holes);
              return p->error = "invalid nested repetition operator", -1;
            }
        }
      append (re, &acc, &f);
    }
  if (acc.start < 0)
    {
      /* An empty expression: a split straight through.  */
      acc.start = add_node (re, N_SPLIT);
      frag_hole (&acc, acc.start, 0);
      frag_hole (&acc, acc.start, 1);
    }
  *out = acc;
  return 0;
}

struct cc_bld_regex *
cc_bld_regex_compile (const char *expr, const char **error)
{
  struct cc_bld_regex *re = xzalloc (sizeof (*re));
  struct rparse p = { re, expr, strlen (expr), 0, NULL };
  struct frag f;

  if (parse_concat (&p, &f, false) < 0 || p.pos != p.n)
    {
      *error = p.error ? p.error : "unexpected )";
      cc_bld_regex_free (re);
      return NULL;
    }
  patch (re, &f, add_node (re, N_MATCH));
  re->start = f.start;
  return re;
}

void
cc_bld_regex_free (struct cc_bld_regex *re)
{
  if (re == NULL)
    return;
  for (size_t i = 0; i < re->n_classes; i++)
    free (re->classes[i].r);
  free (re->classes);
  free (re->nodes);
  free (re);
}

static bool
class_has (const struct cclass *c, uint32_t r)
{
  bool in = false;

  for (size_t i = 0; i < c->n && ! in; i++)
    in = c->r[i].lo <= r && r <= c->r[i].hi;
  return in != c->negated;
}

/* Follow splits and assertions from node K at text position POS.  */
static void
closure (const struct cc_bld_regex *re, int k, bool at_begin, bool at_end, unsigned char *set, int *stack)
{
  size_t n = 0;

  stack[n++] = k;
  while (n > 0)
    {
      int i = stack[--n];
      const struct node *nd;
      if (i < 0 || set[i])
        continue;
      set[i] = 1;
      nd = &re->nodes[i];
      if (nd->op == N_SPLIT)
        {
          stack[n++] = nd->out1;
          stack[n++] = nd->out;
        }
      else if ((nd->op == N_BEGIN && at_begin) || (nd->op == N_END && at_end))
        stack[n++] = nd->out;
    }
}

bool
cc_bld_regex_match (const struct cc_bld_regex *re, const char *text)
{
  size_t len = strlen (text), pos = 0;
  cleanup_free unsigned char *cur = xzalloc (re->n);
  cleanup_free unsigned char *nxt = xzalloc (re->n);
  cleanup_free int *stack = xmalloc ((2 * re->n + 2) * sizeof (int));

  closure (re, re->start, true, len == 0, cur, stack);
  while (pos < len)
    {
      uint32_t r;
      bool any = false;
      pos += cc_bld_decode (text + pos, len - pos, &r);
      memset (nxt, 0, re->n);
      for (size_t i = 0; i < re->n; i++)
        {
          const struct node *nd = &re->nodes[i];
          bool ok;
          if (! cur[i])
            continue;
          if (nd->op == N_ANY)
            ok = r != '\n';
          else if (nd->op == N_CHAR)
            ok = nd->cls >= 0 ? class_has (&re->classes[nd->cls], r) : nd->rune == r;
          else
            continue;
          if (ok)
            {
              closure (re, nd->out, false, pos == len, nxt, stack);
              any = true;
            }
        }
      {
        unsigned char *t = cur;
        cur = nxt, nxt = t;
      }
      if (! any)
        return false;
    }
  for (size_t i = 0; i < re->n; i++)
    if (cur[i] && re->nodes[i].op == N_MATCH)
      return true;
  return false;
}
