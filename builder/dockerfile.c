/* From Dockerfile bytes to instructions, line by line as BuildKit's
   parser (frontend/dockerfile/parser, 1.7) reads them:

   - a UTF-8 byte order mark on the first line is dropped; lines end at
     `\n`, and trailing `\r`s are dropped (CRLF files);
   - parser directives (`# escape=`, `# syntax=`) count only before the
     first instruction, comment or blank line; each at most once;
   - a line whose last non-blank character is the escape character (and
     not an escaped escape character) continues on the next line; comment
     lines and blank lines inside a continuation are skipped (blank ones
     with a warning); a continuation that meets the end of the file ends
     the instruction there (no error, as BuildKit);
   - a `#` after leading blanks makes a comment line; elsewhere `#` is
     ordinary text;
   - RUN, COPY and ADD in shell form (and ONBUILD of them) read heredocs:
     `<<EOF`, `<<-EOF` (tabs before the delimiter allowed), several on one
     line, each body up to its delimiter line;
   - a line longer than 65535 bytes is an error (bufio.Scanner's limit).

   NUL bytes are refused: BuildKit would carry them, but a Dockerfile with
   NUL is no text and every C string would cut it short.  */
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* Where the bytes of a joined (continued) line come from.  */
struct segment
{
  size_t offset; /* in the joined line */
  int line;
  const char *src; /* the first byte of the segment in the source */
  const char *line_start;
};

struct parser
{
  struct cc_dockerfile *df;
  const char *p, *end; /* what is left of the source */
  int line;            /* of the last line read */
  const char *cur;     /* start of the last line read */
  size_t cur_len;      /* its length without the newline */
  size_t cur_full;     /* with the newline */
  /* directives */
  bool directives_done;
  bool seen_escape, seen_syntax;
  /* the instruction being joined */
  struct cc_buf joined;
  struct segment *segs;
  size_t n_segs, cap_segs;
  /* The last position computed, to go on from (flags come in order).  */
  size_t memo_seg;
  const char *memo_at;
  int memo_col;
};

static int
next_line (struct parser *ps, cc_error_t *err)
{
  const char *nl;

  if (ps->p >= ps->end)
    return 0;
  nl = memchr (ps->p, '\n', (size_t)(ps->end - ps->p));
  ps->cur = ps->p;
  ps->cur_len = nl ? (size_t)(nl - ps->p) : (size_t)(ps->end - ps->p);
  ps->cur_full = nl ? ps->cur_len + 1 : ps->cur_len;
  ps->p += ps->cur_full;
  ps->line++;
  if (ps->cur_len > CC_DOCKERFILE_LINE_MAX)
    return cc_bld_error_at (err, ps->df, ps->line, 1, "dockerfile line greater than max allowed size of %d",
                            CC_DOCKERFILE_LINE_MAX);
  return 1;
}

/* bytes.TrimRight(line, "\r\n").  */
static size_t
trim_newline (const char *s, size_t n)
{
  while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
    n--;
  return n;
}

static bool
is_comment (const char *s, size_t n)
{
  size_t i = cc_bld_trim_left (s, n);
  return i < n && s[i] == '#';
}

static bool
is_ascii_space (char c)
{
  /* Go's RE2 \s.  */
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* `# key = value`: only before the first other line, each key once.  */
static int
parser_directive (struct parser *ps, const char *s, size_t n, cc_error_t *err)
{
  size_t i = 1, k0, k1, v0, v1;
  cleanup_free char *key = NULL;
  cleanup_free char *value = NULL;

  if (ps->directives_done)
    return 0;
  if (n == 0 || s[0] != '#')
    goto done;
  while (i < n && is_ascii_space (s[i]))
    i++;
  k0 = i;
  if (i >= n || ! ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'))
    goto done;
  while (i < n && (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') || (s[i] >= '0' && s[i] <= '9')))
    i++;
  k1 = i;
  while (i < n && is_ascii_space (s[i]))
    i++;
  if (i >= n || s[i] != '=')
    goto done;
  i++;
  while (i < n && is_ascii_space (s[i]))
    i++;
  v0 = i;
  v1 = n;
  while (v1 > v0 && is_ascii_space (s[v1 - 1]))
    v1--;
  if (v1 == v0)
    goto done;
  key = xstrndup (s + k0, k1 - k0);
  for (char *c = key; *c; c++)
    *c = (char)(*c | 0x20);
  value = xstrndup (s + v0, v1 - v0);
  if (strcmp (key, "escape") == 0)
    {
      if (ps->seen_escape)
        return cc_bld_error_at (err, ps->df, ps->line, 1, "only one escape parser directive can be used");
      ps->seen_escape = true;
      if (strcmp (value, "`") != 0 && strcmp (value, "\\") != 0)
        return cc_bld_error_at (err, ps->df, ps->line, (int)v0 + 1, "invalid escape token '%s' does not match ` or \\",
                                value);
      ps->df->escape = value[0];
      return 0;
    }
  if (strcmp (key, "syntax") == 0)
    {
      if (ps->seen_syntax)
        return cc_bld_error_at (err, ps->df, ps->line, 1, "only one syntax parser directive can be used");
      ps->seen_syntax = true;
      ps->df->syntax = steal_pointer (&value);
      return 0;
    }
done:
  ps->directives_done = true;
  return 0;
}

/* processLine: the newline trimmed, leading blanks too for the first line
   of an instruction, a directive looked for, a comment made empty.  */
static int
process_line (struct parser *ps, const char *s, size_t n, bool strip_left, size_t *start, size_t *len, cc_error_t *err)
{
  size_t i = 0;

  n = trim_newline (s, n);
  if (strip_left)
    i = cc_bld_trim_left (s, n);
  if (parser_directive (ps, s + i, n - i, err) < 0)
    return -1;
  *start = i;
  *len = is_comment (s + i, n - i) ? 0 : n - i;
  return 0;
}

/* trimContinuationCharacter: the escape character at the end (blanks
   after it allowed) continues the line, unless escaped itself.  */
static bool
continues (const struct parser *ps, const char *s, size_t *n)
{
  size_t e = *n;
  char esc = ps->df->escape;

  while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
    e--;
  if (e == 0 || s[e - 1] != esc)
    return false;
  if (e >= 2 && s[e - 2] == esc)
    return false;
  *n = e - 1;
  return true;
}

static void
add_segment (struct parser *ps, const char *src)
{
  if (ps->n_segs == ps->cap_segs)
    {
      ps->cap_segs = ps->cap_segs ? ps->cap_segs * 2 : 8;
      ps->segs = xreallocarray (ps->segs, ps->cap_segs, sizeof (*ps->segs));
    }
  ps->segs[ps->n_segs++] = (struct segment){ ps->joined.len, ps->line, src, ps->cur };
  ps->memo_at = NULL;
}

/* Line and column of byte OFF of the joined line.  */
static void
position_of (struct parser *ps, size_t off, int *line, int *col)
{
  size_t lo = 0, hi = ps->n_segs;
  const struct segment *sg;
  const char *at, *from;
  int c = 1;

  while (hi - lo > 1)
    {
      size_t mid = (lo + hi) / 2;
      if (ps->segs[mid].offset <= off)
        lo = mid;
      else
        hi = mid;
    }
  sg = &ps->segs[lo];
  at = sg->src + (off - sg->offset);
  from = sg->line_start;
  /* Counting from the last position keeps a line of many flags linear.  */
  if (ps->memo_at && ps->memo_seg == lo && ps->memo_at <= at)
    from = ps->memo_at, c = ps->memo_col;
  for (const char *q = from; q < at;)
    {
      uint32_t r;
      q += cc_bld_decode (q, (size_t)(at - q), &r);
      c++;
    }
  ps->memo_seg = lo;
  ps->memo_at = at;
  ps->memo_col = c;
  *line = sg->line;
  *col = c;
}

/* ---- heredocs ---------------------------------------------------------- */

static bool
all_digits (const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

static size_t
count_quotes (const char *s)
{
  size_t n = 0;

  for (; *s; s++)
    n += *s == '\'' || *s == '"';
  return n;
}

int
cc_bld_parse_heredoc_word (const char *word, struct cc_df_heredoc *out)
{
  const char *lt = strstr (word, "<<");
  const char *rest;
  struct cc_bld_lexer lx = { '\\', CC_LEX_SKIP_UNSET, 0, NULL };
  cleanup_bld_vars struct cc_bld_vars *none = cc_bld_vars_new ();
  cleanup_strv char **words = NULL;
  cleanup_strv char **raw = NULL;

  /* ^(\d*)<<(-?)([^<]*)$  */
  if (lt == NULL || ! all_digits (word, (size_t)(lt - word)))
    return 0;
  rest = lt + 2;
  out->chomp = *rest == '-';
  if (out->chomp)
    rest++;
  if (*rest == '\0' || strchr (rest, '<') != NULL)
    return 0;
  if (cc_bld_lex_words (&lx, rest, none, &words, NULL) < 0 || cc_strv_len (words) != 1)
    return 0;
  lx.flags |= CC_LEX_RAW_QUOTES;
  if (cc_bld_lex_words (&lx, rest, none, &raw, NULL) < 0 || cc_strv_len (raw) != 1)
    return 0;
  out->fd = lt == word || (size_t)(lt - word) > 9 ? 0 : (unsigned)strtoul (word, NULL, 10);
  /* A quote anywhere in the delimiter turns expansion off.  */
  out->expand = count_quotes (words[0]) == count_quotes (raw[0]);
  out->name = xstrdup (words[0]);
  out->content = NULL;
  return 1;
}

void
cc_bld_heredoc_release (struct cc_df_heredoc *h)
{
  free (h->name);
  free (h->content);
}

char *
cc_bld_chomp_heredoc (const char *content)
{
  struct cc_buf b = { 0 };
  bool at_line_start = true;

  cc_buf_puts (&b, "");
  for (const char *p = content; *p; p++)
    {
      if (at_line_start && *p == '\t')
        continue;
      at_line_start = *p == '\n';
      cc_buf_putc (&b, *p);
    }
  return cc_buf_steal (&b);
}

/* heredocsFromLine: the heredoc words of LINE, lexed with quotes and
   escapes kept and variables left alone (errors mean none).  */
static int
heredocs_of_line (const char *line, struct cc_df_heredoc **out, size_t *n)
{
  struct cc_bld_lexer lx = { '\\', CC_LEX_RAW_QUOTES | CC_LEX_RAW_ESCAPES | CC_LEX_SKIP_UNSET, 0, NULL };
  cleanup_bld_vars struct cc_bld_vars *none = cc_bld_vars_new ();
  cleanup_strv char **words = NULL;

  *out = NULL, *n = 0;
  if (strstr (line, "<<") == NULL || cc_bld_lex_words (&lx, line, none, &words, NULL) < 0)
    return 0;
  for (size_t i = 0; words[i]; i++)
    {
      struct cc_df_heredoc h = { 0 };
      if (cc_bld_parse_heredoc_word (words[i], &h) != 1)
        continue;
      *out = cc_bld_grow (*out, *n, sizeof (**out));
      (*out)[(*n)++] = h;
    }
  return 0;
}

/* Read each heredoc's body from the lines that follow.  */
static int
read_heredocs (struct parser *ps, struct cc_df_instr *in, int start_line, cc_error_t *err)
{
  for (size_t i = 0; i < in->n_heredocs; i++)
    {
      struct cc_df_heredoc *h = &in->heredocs[i];
      struct cc_buf body = { 0 };
      bool terminated = false;
      int r;

      cc_buf_puts (&body, "");
      while ((r = next_line (ps, err)) > 0)
        {
          const char *s = ps->cur;
          size_t n = trim_newline (s, ps->cur_full);
          if (h->chomp)
            while (n > 0 && *s == '\t')
              s++, n--;
          if (n == strlen (h->name) && memcmp (s, h->name, n) == 0)
            {
              terminated = true;
              break;
            }
          cc_buf_append (&body, ps->cur, ps->cur_full);
        }
      h->content = cc_buf_steal (&body);
      if (r < 0)
        return -1;
      if (! terminated)
        return cc_bld_error_at (err, ps->df, start_line, 1, "unterminated heredoc");
    }
  return 0;
}

/* ---- instructions ------------------------------------------------------ */

static bool
is_re_space (char c)
{
  /* reWhitespace: [\t\v\f\r ]  */
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* extractBuilderFlags: the leading `--name=value` words (quotes and `\`
   processed), and the offset where the arguments start.  */
static size_t
extract_flags (const char *line, size_t base, char ***flags, size_t **offsets)
{
  size_t n = strlen (line), pos = 0, word_start = 0;
  cleanup_buf struct cc_buf word = { 0 };
  enum
  {
    SPACES,
    WORD,
    QUOTE
  } phase
      = SPACES;
  char quote = 0;
  bool blank_ok = false;
  struct cc_bld_vec vec = { 0 };
  size_t ret = n;

  *offsets = NULL;
#define PUSH_FLAG()                                                                                                    \
  do                                                                                                                   \
    {                                                                                                                  \
      cc_buf_puts (&word, "");                                                                                         \
      *offsets = cc_bld_grow (*offsets, vec.n, sizeof (**offsets));                                                    \
      (*offsets)[vec.n] = base + word_start;                                                                           \
      cc_bld_vec_push (&vec, cc_buf_steal (&word));                                                                    \
    }                                                                                                                  \
  while (0)
  for (pos = 0; pos <= n; pos++)
    {
      char ch = pos < n ? line[pos] : 0;
      if (phase == SPACES)
        {
          if (pos == n)
            break;
          if (cc_bld_is_space_byte ((unsigned char)ch))
            continue;
          if (ch != '-' || pos + 1 == n || line[pos + 1] != '-')
            {
              ret = pos;
              break;
            }
          phase = WORD;
          word_start = pos;
        }
      if (pos == n)
        {
          if (! (word.len == 2 && memcmp (word.data, "--", 2) == 0) && (blank_ok || word.len > 0))
            PUSH_FLAG ();
          break;
        }
      if (phase == WORD)
        {
          if (cc_bld_is_space_byte ((unsigned char)ch))
            {
              phase = SPACES;
              if (word.len == 2 && memcmp (word.data, "--", 2) == 0)
                {
                  ret = pos;
                  break;
                }
              if (blank_ok || word.len > 0)
                PUSH_FLAG ();
              cc_buf_reset (&word);
              blank_ok = false;
              continue;
            }
          if (ch == '\'' || ch == '"')
            {
              quote = ch;
              blank_ok = true;
              phase = QUOTE;
              continue;
            }
          if (ch == '\\')
            {
              if (pos + 1 == n)
                continue;
              ch = line[++pos];
            }
          cc_buf_putc (&word, ch);
          continue;
        }
      /* QUOTE */
      if (ch == quote)
        {
          phase = WORD;
          continue;
        }
      if (ch == '\\')
        {
          if (pos + 1 == n)
            {
              phase = WORD;
              continue;
            }
          ch = line[++pos];
        }
      cc_buf_putc (&word, ch);
    }
#undef PUSH_FLAG
  *flags = cc_bld_vec_steal (&vec);
  return ret;
}

/* newNodeFromLine: keyword, flags, the rest; the node's own syntax.  */
static int
new_node (struct parser *ps, const char *line, size_t line_off, bool heredocs, struct cc_df_instr **out,
          cc_error_t *err)
{
  size_t n = strlen (line), a, b, k, rest_at, rs, re;
  cleanup_free size_t *offsets = NULL;
  cleanup_strv char **flags = NULL;
  cleanup_free char *rest = NULL;
  struct cc_df_instr *in = xzalloc (sizeof (*in));
  int ret;

  in->file = ps->df;
  cc_bld_trim_space (line, n, &a, &b);
  k = a;
  while (k < b && ! is_re_space (line[k]))
    k++;
  in->keyword = xstrndup (line + a, k - a);
  position_of (ps, line_off + a, &in->line, &in->col);
  in->end_line = ps->line;
  in->original = xstrdup (line);
  while (k < b && is_re_space (line[k]))
    k++;
  {
    cleanup_free char *args = xstrndup (line + k, b - k);
    rest_at = k + extract_flags (args, k, &flags, &offsets);
  }
  cc_bld_trim_space (line + rest_at, b - rest_at, &rs, &re);
  rest = xstrndup (line + rest_at + rs, re - rs);
  in->flags = steal_pointer (&flags);
  in->flag_lines = xzalloc ((cc_strv_len (in->flags) + 1) * sizeof (int));
  in->flag_cols = xzalloc ((cc_strv_len (in->flags) + 1) * sizeof (int));
  for (size_t i = 0; in->flags[i]; i++)
    position_of (ps, line_off + offsets[i], &in->flag_lines[i], &in->flag_cols[i]);
  ret = cc_bld_node_parse (in, rest, heredocs, err);
  if (ret < 0)
    {
      cc_bld_instr_free (in);
      return -1;
    }
  /* ONBUILD's trigger is a node of its own, at the same place.  */
  if (in->kind == CC_DF_ONBUILD && *rest != '\0')
    {
      size_t sub = rest_at + rs;
      struct cc_df_instr *trigger = NULL;
      if (new_node (ps, rest, line_off + sub, heredocs, &trigger, err) < 0)
        {
          cc_bld_instr_free (in);
          return -1;
        }
      in->trigger = trigger;
      cc_bld_node_set_trigger_args (in);
    }
  *out = in;
  return 0;
}

static bool
can_contain_heredoc (const struct cc_df_instr *in)
{
  if (in->kind == CC_DF_ONBUILD && in->trigger)
    in = in->trigger;
  return ! in->unknown && (in->kind == CC_DF_RUN || in->kind == CC_DF_COPY || in->kind == CC_DF_ADD) && ! in->json;
}

static void
add_instr (struct cc_dockerfile *df, struct cc_df_instr *in)
{
  df->all = cc_bld_grow (df->all, df->n_all, sizeof (*df->all));
  df->all[df->n_all++] = in;
}

/* One instruction: its first line is the current line.  */
static int
read_instruction (struct parser *ps, bool first_line, cc_error_t *err)
{
  size_t start, len;
  int start_line = ps->line, r;
  bool end, empty_continuation = false;
  struct cc_df_instr *in = NULL;
  const char *s = ps->cur;
  size_t n = ps->cur_full;

  if (first_line && n >= 3 && memcmp (s, "\xEF\xBB\xBF", 3) == 0)
    s += 3, n -= 3;
  if (process_line (ps, s, n, true, &start, &len, err) < 0)
    return -1;
  end = ! continues (ps, s + start, &len);
  if (end && len == 0)
    return 0;
  cc_buf_reset (&ps->joined);
  cc_buf_puts (&ps->joined, "");
  ps->n_segs = 0;
  add_segment (ps, s + start);
  cc_buf_append (&ps->joined, s + start, len);
  while (! end && (r = next_line (ps, err)) != 0)
    {
      if (r < 0 || process_line (ps, ps->cur, ps->cur_full, false, &start, &len, err) < 0)
        return -1;
      if (is_comment (ps->cur, ps->cur_full))
        continue;
      if (cc_bld_trim_left (ps->cur, trim_newline (ps->cur, ps->cur_full)) == trim_newline (ps->cur, ps->cur_full))
        {
          empty_continuation = true;
          continue;
        }
      end = ! continues (ps, ps->cur + start, &len);
      add_segment (ps, ps->cur + start);
      cc_buf_append (&ps->joined, ps->cur + start, len);
    }
  if (empty_continuation)
    cc_strv_push (&ps->df->warnings, xasprintf ("%s:%d: empty continuation line found in: %s (empty continuation "
                                                "lines will become errors in a future release)",
                                                ps->df->name, ps->line, ps->joined.data));
  if (new_node (ps, ps->joined.data, 0, ps->df->heredocs, &in, err) < 0)
    return -1;
  add_instr (ps->df, in);
  if (ps->df->heredocs && can_contain_heredoc (in))
    {
      heredocs_of_line (ps->joined.data, &in->heredocs, &in->n_heredocs);
      if (read_heredocs (ps, in, start_line, err) < 0)
        return -1;
      in->end_line = ps->line;
    }
  return 0;
}

/* `# syntax=`: only BuildKit's own Dockerfile frontend can be honoured
   (another one would have to be fetched and run).  Versions before 1.4
   lack heredocs.  */
static int
check_syntax (struct cc_dockerfile *df, cc_error_t *err)
{
  cleanup_free char *image = NULL;
  const char *tag, *p;
  size_t n;
  long major = 1, minor = 99;

  if (df->syntax == NULL)
    return 0;
  n = strcspn (df->syntax, " \t");
  image = xstrndup (df->syntax, n);
  p = image;
  if (strncmp (p, "docker.io/", 10) == 0)
    p += 10;
  if (strncmp (p, "docker/dockerfile", 17) != 0 || (p[17] != '\0' && p[17] != ':' && p[17] != '@'))
    goto unsupported;
  tag = p + 17;
  if (*tag == '@')
    tag = "";
  else if (*tag == ':')
    tag++;
  {
    cleanup_free char *t = xstrndup (tag, strcspn (tag, "@"));
    const char *digest = strchr (tag, '@');
    char *end;
    if (digest
        && (strncmp (digest, "@sha256:", 8) != 0 || strlen (digest + 8) != 64
            || strspn (digest + 8, "0123456789abcdef") != 64))
      goto unsupported;
    if (*t == '\0' || strcmp (t, "latest") == 0)
      goto ok;
    major = strtol (t, &end, 10);
    if (end == t || major != 1)
      goto unsupported;
    if (*end == '.')
      {
        const char *m = end + 1;
        minor = strtol (m, &end, 10);
        if (end == m)
          goto unsupported;
        if (*end == '.')
          {
            m = end + 1;
            (void)strtol (m, &end, 10);
            if (end == m)
              goto unsupported;
          }
      }
    if (*end != '\0')
      goto unsupported;
  }
ok:
  df->heredocs = minor >= 4;
  return 0;
unsupported:
  return cc_bld_error_at (err, df, 1, 1,
                          "unsupported syntax `%s`: ccompose builds with its own Dockerfile frontend "
                          "(docker/dockerfile:1, stable features) and cannot run another one",
                          df->syntax);
}

/* The `# syntax` directive is read before the escape one is applied:
   look for it first, so it can turn heredocs off.  */
static void
prescan_syntax (struct cc_dockerfile *df)
{
  struct parser ps = { .df = df, .p = df->text, .end = df->text + df->len };
  cleanup_error cc_error_t e = NULL;

  while (next_line (&ps, NULL) > 0 && ! ps.directives_done)
    {
      size_t start, len;
      const char *s = ps.cur;
      size_t n = ps.cur_full;
      if (ps.line == 1 && n >= 3 && memcmp (s, "\xEF\xBB\xBF", 3) == 0)
        s += 3, n -= 3;
      if (process_line (&ps, s, n, true, &start, &len, &e) < 0)
        break;
    }
  df->escape = '\\';
}

static int
check_text (struct cc_dockerfile *df, cc_error_t *err)
{
  const char *nul;

  if (df->len == 0)
    return cc_bld_error_at (err, df, 0, 0, "the Dockerfile cannot be empty");
  if (df->len > CC_DOCKERFILE_MAX)
    return cc_bld_error_at (err, df, 0, 0, "larger than %zu MiB", CC_DOCKERFILE_MAX >> 20);
  nul = memchr (df->text, '\0', df->len);
  if (nul)
    {
      int line = 1, col = 1;
      for (const char *q = df->text; q < nul; q++)
        {
          if (*q == '\n')
            line++, col = 1;
          else if (((unsigned char)*q & 0xC0) != 0x80)
            col++;
        }
      return cc_bld_error_at (err, df, line, col, "NUL byte: a Dockerfile is text");
    }
  return 0;
}

int
cc_dockerfile_parse (const char *name, const char *text, size_t len, struct cc_dockerfile **out, cc_error_t *err)
{
  cleanup_dockerfile struct cc_dockerfile *df = xzalloc (sizeof (*df));
  struct parser ps = { 0 };
  int r;

  df->name = xstrdup (name ? name : "Dockerfile");
  /* TEXT need not be NUL-terminated.  */
  df->text = xmalloc (len + 1);
  memcpy (df->text, text, len);
  df->text[len] = '\0';
  df->len = len;
  df->escape = '\\';
  df->heredocs = true;
  df->warnings = xzalloc (sizeof (char *));
  if (check_text (df, err) < 0)
    return -1;
  prescan_syntax (df);
  if (check_syntax (df, err) < 0)
    return -1;
  free (df->syntax);
  df->syntax = NULL;
  ps.df = df;
  ps.p = df->text;
  ps.end = df->text + len;
  while ((r = next_line (&ps, err)) > 0)
    if (read_instruction (&ps, ps.line == 1, err) < 0)
      {
        r = -1;
        break;
      }
  cc_buf_reset (&ps.joined);
  free (ps.segs);
  if (r < 0)
    return -1;
  if (df->n_all == 0)
    return cc_bld_error_at (err, df, ps.line, 1, "file with no instructions");
  if (cc_bld_instructions_check (df, err) < 0)
    return -1;
  *out = steal_pointer (&df);
  return 0;
}

void
cc_dockerfile_free (struct cc_dockerfile *df)
{
  if (df == NULL)
    return;
  for (size_t i = 0; i < df->n_all; i++)
    cc_bld_instr_free (df->all[i]);
  free (df->all);
  for (size_t i = 0; i < df->n_stages; i++)
    {
      free (df->stages[i].base);
      free (df->stages[i].name);
      free (df->stages[i].platform);
      free (df->stages[i].instrs);
    }
  free (df->stages);
  free (df->meta_args);
  cc_strv_free (df->warnings);
  free (df->syntax);
  free (df->text);
  free (df->name);
  free (df);
}

/* An ONBUILD trigger is parsed as a Dockerfile of its own, where the
   default escape character and heredocs apply (BuildKit's
   dispatchOnBuildTriggers).  */
int
cc_bld_parse_trigger (const char *expr, const struct cc_df_instr *at, struct cc_dockerfile **file,
                      struct cc_df_instr **out, cc_error_t *err)
{
  cleanup_error cc_error_t e = NULL;
  cleanup_dockerfile struct cc_dockerfile *df = NULL;

  if (cc_dockerfile_parse_one (expr, &df, &e) < 0)
    return cc_bld_error_instr (err, at, "ONBUILD trigger `%s` of the base image: %s", expr, e->msg);
  if (df->n_all != 1)
    return cc_bld_error_instr (err, at, "onbuild trigger should be a single expression");
  *out = df->all[0];
  *file = steal_pointer (&df);
  return 0;
}

/* A Dockerfile of instructions without stages (ONBUILD triggers).  */
int
cc_dockerfile_parse_one (const char *text, struct cc_dockerfile **out, cc_error_t *err)
{
  cleanup_dockerfile struct cc_dockerfile *df = xzalloc (sizeof (*df));
  struct parser ps = { 0 };
  int r;

  df->name = xstrdup ("ONBUILD");
  df->len = strlen (text);
  df->text = xstrdup (text);
  df->escape = '\\';
  df->heredocs = true;
  df->warnings = xzalloc (sizeof (char *));
  ps.df = df;
  ps.p = df->text;
  ps.end = df->text + df->len;
  ps.directives_done = true;
  while ((r = next_line (&ps, err)) > 0)
    if (read_instruction (&ps, false, err) < 0)
      {
        r = -1;
        break;
      }
  cc_buf_reset (&ps.joined);
  free (ps.segs);
  if (r < 0)
    return -1;
  for (size_t i = 0; i < df->n_all; i++)
    if (cc_bld_instr_check (df->all[i], err) < 0)
      return -1;
  *out = steal_pointer (&df);
  return 0;
}
