/* .dockerignore as Docker and BuildKit apply it: moby/patternmatcher's
   ignorefile reader and matcher, and the walk of tonistiigi/fsutil that
   sends a build context.

   Reading (ignorefile.ReadAll): a line starting with `#` (not after
   blanks) is a comment; lines are trimmed; `!` re-includes; the rest is
   filepath.Clean'ed and loses one leading `/`.  The matcher then trims
   and cleans each pattern again, `!` included, and refuses a pattern
   filepath.Match calls malformed, or a lone `!`.

   Matching (MatchesUsingParentResults): patterns in order, the last that
   matches decides; an exclusion pattern is only tried once something
   matched and a plain one only while nothing does.  A pattern that
   matched a directory matches everything under it (the walker passes
   each directory's results down); at the top, a path's parent
   directories are tried too.  A pattern is compared whole (no `**`,
   `?` or `[`), as a prefix (a trailing `**`), a suffix (a leading `**`) or through
   the regular expression patternmatcher builds (match.c).

   Walking (fsutil): an excluded directory is skipped whole unless an
   exception could re-include something under it; when an exception has
   wildcards before its last element, nothing is skipped.  */
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

enum match_type
{
  M_EXACT,
  M_PREFIX,
  M_SUFFIX,
  M_REGEXP,
};

struct pattern
{
  char *cleaned; /* without `!` */
  bool exclusion;
  enum match_type type;
  struct cc_bld_regex *re;
  size_t n_dirs; /* elements of the pattern */
};

struct cc_dockerignore
{
  struct pattern *p;
  size_t n;
  bool exclusions;
  bool only_prefix_exceptions;
};

/* filepath.Clean, which keeps a leading `..` and turns "" into ".".  */
static char *
go_clean (const char *p)
{
  return cc_bld_path_clean (p);
}

static char *
trim (const char *s)
{
  size_t a, b;

  cc_bld_trim_space (s, strlen (s), &a, &b);
  return xstrndup (s + a, b - a);
}

/* ignorefile.ReadAll on one line; NULL when it is no pattern.  */
static char *
read_line (const char *line)
{
  cleanup_free char *t = NULL;
  cleanup_free char *clean = NULL;
  const char *p;
  bool invert;

  if (line[0] == '#')
    return NULL;
  t = trim (line);
  if (*t == '\0')
    return NULL;
  invert = t[0] == '!';
  p = t;
  if (invert)
    {
      char *rest = trim (t + 1);
      free (t);
      t = rest;
      p = t;
    }
  if (*p)
    {
      clean = go_clean (p);
      p = clean;
      if (strlen (p) > 1 && p[0] == '/')
        p++;
    }
  return invert ? xasprintf ("!%s", p) : xstrdup (p);
}

/* patternmatcher's compile: the type, and the regular expression.  */
static int
compile (struct pattern *pt, cc_error_t *err, const char *name)
{
  cleanup_buf struct cc_buf re = { 0 };
  const char *s = pt->cleaned;
  size_t n = strlen (s), i = 0;
  enum match_type type = M_EXACT;

  cc_buf_putc (&re, '^');
  /* text/scanner skips a byte order mark at the start.  */
  if (n >= 3 && memcmp (s, "\xEF\xBB\xBF", 3) == 0)
    i = 3;
  for (int step = 0; i < n; step++)
    {
      uint32_t ch;
      i += cc_bld_decode (s + i, n - i, &ch);
      if (ch == '*')
        {
          if (i < n && s[i] == '*')
            {
              i++;
              if (i < n && s[i] == '/')
                i++;
              if (i >= n)
                {
                  if (type == M_EXACT)
                    type = M_PREFIX;
                  else
                    {
                      cc_buf_puts (&re, ".*");
                      type = M_REGEXP;
                    }
                }
              else
                {
                  cc_buf_puts (&re, "(.*/)?");
                  type = M_REGEXP;
                }
              if (step == 0)
                type = M_SUFFIX;
            }
          else
            {
              cc_buf_puts (&re, "[^/]*");
              type = M_REGEXP;
            }
        }
      else if (ch == '?')
        {
          cc_buf_puts (&re, "[^/]");
          type = M_REGEXP;
        }
      else if (ch < 0x80 && strchr (".+()|{}$", (int)ch) && ch != 0)
        {
          cc_buf_putc (&re, '\\');
          cc_buf_putc (&re, (char)ch);
        }
      else if (ch == '\\')
        {
          if (i < n)
            {
              uint32_t next;
              i += cc_bld_decode (s + i, n - i, &next);
              cc_buf_putc (&re, '\\');
              cc_bld_put_rune (&re, next);
              type = M_REGEXP;
            }
          else
            cc_buf_putc (&re, '\\');
        }
      else if (ch == '[' || ch == ']')
        {
          cc_buf_putc (&re, (char)ch);
          type = M_REGEXP;
        }
      else
        cc_bld_put_rune (&re, ch);
    }
  pt->type = type;
  if (type == M_REGEXP)
    {
      const char *why = NULL;
      cc_buf_putc (&re, '$');
      pt->re = cc_bld_regex_compile (re.data, &why);
      if (pt->re == NULL)
        return cc_error_make (err, 0, "%s: pattern `%s`: syntax error in pattern (%s)", name, pt->cleaned, why);
    }
  return 0;
}

static int
add_pattern (struct cc_dockerignore *ig, const char *raw, const char *name, cc_error_t *err)
{
  cleanup_free char *t = trim (raw);
  cleanup_free char *p = NULL;
  struct pattern pt = { 0 };
  const char *body;
  bool ok;

  if (*t == '\0')
    return 0;
  p = go_clean (t);
  body = p;
  if (p[0] == '!')
    {
      if (p[1] == '\0')
        return cc_error_make (err, 0, "%s: illegal exclusion pattern: \"!\"", name);
      pt.exclusion = true;
      ig->exclusions = true;
      body = p + 1;
    }
  if (cc_builder_path_match (body, ".", &ok, NULL) < 0)
    return cc_error_make (err, 0, "%s: pattern `%s`: syntax error in pattern", name, body);
  pt.cleaned = xstrdup (body);
  pt.n_dirs = 1;
  for (const char *c = body; *c; c++)
    pt.n_dirs += *c == '/';
  if (compile (&pt, err, name) < 0)
    {
      free (pt.cleaned);
      return -1;
    }
  ig->p = cc_bld_grow (ig->p, ig->n, sizeof (*ig->p));
  ig->p[ig->n++] = pt;
  return 0;
}

/* patternWithoutTrailingGlob.  */
static char *
without_trailing_glob (const char *p)
{
  size_t n = strlen (p);

  if (n >= 3 && strcmp (p + n - 3, "/**") == 0)
    n -= 3;
  else if (n >= 2 && strcmp (p + n - 2, "/*") == 0)
    n -= 2;
  return xstrndup (p, n);
}

int
cc_dockerignore_parse (const char *name, const char *text, size_t len, struct cc_dockerignore **out, cc_error_t *err)
{
  cleanup_dockerignore struct cc_dockerignore *ig = xzalloc (sizeof (*ig));
  const char *p = text, *end = text + len;
  int line = 0;

  if (name == NULL)
    name = ".dockerignore";
  if (memchr (text, '\0', len) != NULL)
    return cc_error_make (err, 0, "%s: NUL byte: an ignore file is text", name);
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t)(end - p));
      size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
      cleanup_free char *l = NULL;
      cleanup_free char *pattern = NULL;

      line++;
      if (n > CC_DOCKERFILE_LINE_MAX)
        return cc_error_make (err, 0, "%s:%d: line longer than %d bytes", name, line, CC_DOCKERFILE_LINE_MAX);
      /* bufio.ScanLines drops one \r before the newline.  */
      l = xstrndup (p, n > 0 && p[n - 1] == '\r' ? n - 1 : n);
      if (line == 1 && strncmp (l, "\xEF\xBB\xBF", 3) == 0)
        memmove (l, l + 3, strlen (l + 3) + 1);
      pattern = read_line (l);
      if (pattern && add_pattern (ig, pattern, name, err) < 0)
        return cc_error_wrap (err, "line %d", line);
      p = nl ? nl + 1 : end;
    }
  ig->only_prefix_exceptions = true;
  for (size_t i = 0; i < ig->n; i++)
    if (ig->p[i].exclusion)
      {
        cleanup_free char *s = without_trailing_glob (ig->p[i].cleaned);
        if (strpbrk (s, "*[]?^\\") != NULL)
          ig->only_prefix_exceptions = false;
      }
  *out = steal_pointer (&ig);
  return 0;
}

void
cc_dockerignore_free (struct cc_dockerignore *ig)
{
  if (ig == NULL)
    return;
  for (size_t i = 0; i < ig->n; i++)
    {
      free (ig->p[i].cleaned);
      cc_bld_regex_free (ig->p[i].re);
    }
  free (ig->p);
  free (ig);
}

size_t
cc_dockerignore_count (const struct cc_dockerignore *ig)
{
  return ig ? ig->n : 0;
}

void
cc_dockerignore_state_release (struct cc_dockerignore_state *st)
{
  free (st->matched);
  st->matched = NULL;
}

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && strcmp (s + a - b, suffix) == 0;
}

static bool
pattern_match (const struct pattern *pt, const char *path)
{
  size_t n = strlen (pt->cleaned);

  switch (pt->type)
    {
    case M_EXACT:
      return strcmp (path, pt->cleaned) == 0;
    case M_PREFIX:
      return strncmp (path, pt->cleaned, n - 2) == 0;
    case M_SUFFIX:
      {
        const char *suffix = pt->cleaned + 2;
        if (has_suffix (path, suffix))
          return true;
        return suffix[0] == '/' && strcmp (path, suffix + 1) == 0;
      }
    case M_REGEXP:
      return cc_bld_regex_match (pt->re, path);
    }
  return false;
}

/* Whether PT matches a parent directory of PATH (the top-level rule).  */
static bool
parent_matches (const struct pattern *pt, const char *path)
{
  cleanup_free char *dir = cc_path_dirname (path);
  char *p;

  if (strcmp (dir, ".") == 0 || strcmp (dir, "") == 0 || strchr (path, '/') == NULL)
    return false;
  for (p = dir;; p++)
    {
      if (*p == '/' || *p == '\0')
        {
          char saved = *p;
          *p = '\0';
          if (pattern_match (pt, dir))
            return true;
          *p = saved;
          if (saved == '\0')
            break;
        }
    }
  return false;
}

int
cc_dockerignore_walk (const struct cc_dockerignore *ig, const char *path, const struct cc_dockerignore_state *parent,
                      bool *excluded, struct cc_dockerignore_state *state, cc_error_t *err)
{
  bool matched = false;
  bool *info = xzalloc ((ig->n + 1) * sizeof (bool));
  bool have_parent = parent && parent->matched;

  (void)err;
  for (size_t i = 0; i < ig->n; i++)
    {
      const struct pattern *pt = &ig->p[i];
      bool m = have_parent && parent->matched[i];
      if (! m)
        {
          if (pt->exclusion != matched)
            continue;
          m = pattern_match (pt, path);
          if (! m && ! have_parent)
            m = parent_matches (pt, path);
        }
      info[i] = m;
      if (m)
        matched = ! pt->exclusion;
    }
  *excluded = matched;
  if (state)
    {
      free (state->matched);
      state->matched = info;
    }
  else
    free (info);
  return 0;
}

bool
cc_dockerignore_can_skip_dir (const struct cc_dockerignore *ig, const char *dir)
{
  cleanup_free char *slash = xasprintf ("%s/", dir);

  if (! ig->only_prefix_exceptions)
    return false;
  if (! ig->exclusions)
    return true;
  for (size_t i = 0; i < ig->n; i++)
    if (ig->p[i].exclusion)
      {
        cleanup_free char *s = without_trailing_glob (ig->p[i].cleaned);
        cleanup_free char *with = xasprintf ("%s/", s);
        if (strncmp (with, slash, strlen (slash)) == 0)
          return false;
      }
  return true;
}

int
cc_dockerignore_excludes (const struct cc_dockerignore *ig, const char *path, bool *excluded, cc_error_t *err)
{
  struct cc_dockerignore_state st = { NULL };
  cleanup_free char *copy = xstrdup (path);
  int ret = 0;

  *excluded = false;
  /* Walk down as the context walker does, directory by directory.  */
  for (char *p = copy;; p++)
    {
      if (*p == '/' || *p == '\0')
        {
          char saved = *p;
          struct cc_dockerignore_state next = { NULL };
          *p = '\0';
          ret = cc_dockerignore_walk (ig, copy, &st, excluded, &next, err);
          cc_dockerignore_state_release (&st);
          st = next;
          if (ret < 0)
            break;
          if (saved == '\0')
            break;
          if (*excluded && cc_dockerignore_can_skip_dir (ig, copy))
            break;
          *p = saved;
        }
    }
  cc_dockerignore_state_release (&st);
  return ret;
}

char **
cc_dockerignore_candidates (const char *dockerfile_path, const char *context_dir)
{
  char **out = xzalloc (sizeof (char *));

  if (dockerfile_path && *dockerfile_path)
    cc_strv_push (&out, xasprintf ("%s.dockerignore", dockerfile_path));
  cc_strv_push (&out, cc_path_join (context_dir ? context_dir : ".", ".dockerignore"));
  return out;
}
