/* Each instruction's syntax, in BuildKit 1.7's two steps:

   the parser's line parsers (parser/line_parsers.go) split what follows
   the keyword and the flags: exec forms as JSON arrays (falling back to
   the shell form when the JSON is invalid), ENV/LABEL pairs in the
   `name=value ...` or legacy `name value` form, ARG words, whitespace
   separated words for COPY/ADD/VOLUME/EXPOSE/FROM (quotes are not
   processed there: a COPY source with a blank needs the JSON form),
   the rest of the line for USER/WORKDIR/STOPSIGNAL/MAINTAINER;

   then instructions.Parse checks argument counts and flags (each
   instruction knows its own; ARG, STOPSIGNAL and HEALTHCHECK NONE never
   look at theirs, as in BuildKit), parses HEALTHCHECK durations, RUN
   mounts (CSV, `from` without variables) and the network mode, and
   refuses ONBUILD ONBUILD / ONBUILD FROM / ONBUILD MAINTAINER.  The flags
   of the labs frontend (--exclude, --parents, --security, --device) are
   unknown here as in the stable 1.7 frontend.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const struct
{
  const char *name;
  enum cc_df_kind kind;
} kinds[] = {
  { "FROM", CC_DF_FROM },
  { "ARG", CC_DF_ARG },
  { "ENV", CC_DF_ENV },
  { "LABEL", CC_DF_LABEL },
  { "MAINTAINER", CC_DF_MAINTAINER },
  { "RUN", CC_DF_RUN },
  { "COPY", CC_DF_COPY },
  { "ADD", CC_DF_ADD },
  { "WORKDIR", CC_DF_WORKDIR },
  { "USER", CC_DF_USER },
  { "EXPOSE", CC_DF_EXPOSE },
  { "VOLUME", CC_DF_VOLUME },
  { "CMD", CC_DF_CMD },
  { "ENTRYPOINT", CC_DF_ENTRYPOINT },
  { "HEALTHCHECK", CC_DF_HEALTHCHECK },
  { "STOPSIGNAL", CC_DF_STOPSIGNAL },
  { "SHELL", CC_DF_SHELL },
  { "ONBUILD", CC_DF_ONBUILD },
};

const char *
cc_dockerfile_kind_name (enum cc_df_kind kind)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (kinds); i++)
    if (kinds[i].kind == kind)
      return kinds[i].name;
  return "?";
}

bool
cc_bld_kind_from_name (const char *keyword, enum cc_df_kind *kind)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (kinds); i++)
    if (strcasecmp (kinds[i].name, keyword) == 0)
      {
        *kind = kinds[i].kind;
        return true;
      }
  return false;
}

/* ---- the parser's line parsers ------------------------------------------ */

static bool
is_re_space (char c)
{
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* regexp `[\t\v\f\r ]+` Split, at most MAX pieces (0: all).  */
static char **
split_blanks (const char *s, size_t max)
{
  struct cc_bld_vec out = { 0 };

  if (*s == '\0')
    return cc_bld_vec_steal (&out);
  for (;;)
    {
      size_t w = 0;
      if (max && out.n + 1 == max)
        {
          cc_bld_vec_push (&out, xstrdup (s));
          break;
        }
      while (s[w] && ! is_re_space (s[w]))
        w++;
      cc_bld_vec_push (&out, xstrndup (s, w));
      if (s[w] == '\0')
        break;
      s += w;
      while (is_re_space (*s))
        s++;
    }
  return cc_bld_vec_steal (&out);
}

/* parseWords: words split at blanks, quotes and escapes kept for the
   evaluation to process.  */
static char **
parse_words (const char *rest, char escape)
{
  size_t n = strlen (rest), pos = 0, width = 0;
  enum
  {
    SPACES,
    WORD,
    QUOTE
  } phase
      = SPACES;
  cleanup_buf struct cc_buf word = { 0 };
  struct cc_bld_vec words = { 0 };
  uint32_t ch = 0, quote = 0;
  bool blank_ok = false;

  for (pos = 0; pos <= n; pos += width)
    {
      if (pos != n)
        width = cc_bld_decode (rest + pos, n - pos, &ch);
      if (phase == SPACES)
        {
          if (pos == n)
            break;
          if (cc_bld_is_space (ch))
            continue;
          phase = WORD;
        }
      if (pos == n)
        {
          if (blank_ok || word.len > 0)
            {
              cc_buf_puts (&word, "");
              cc_bld_vec_push (&words, cc_buf_steal (&word));
            }
          break;
        }
      if (phase == WORD)
        {
          if (cc_bld_is_space (ch))
            {
              phase = SPACES;
              if (blank_ok || word.len > 0)
                {
                  cc_buf_puts (&word, "");
                  cc_bld_vec_push (&words, cc_buf_steal (&word));
                }
              cc_buf_reset (&word);
              blank_ok = false;
              continue;
            }
          if (ch == '\'' || ch == '"')
            {
              quote = ch;
              blank_ok = true;
              phase = QUOTE;
            }
          if (ch == (unsigned char)escape)
            {
              if (pos + width == n)
                continue;
              cc_bld_put_rune (&word, ch);
              pos += width;
              width = cc_bld_decode (rest + pos, n - pos, &ch);
            }
          cc_bld_put_rune (&word, ch);
          continue;
        }
      /* QUOTE */
      if (ch == quote)
        phase = WORD;
      if (ch == (unsigned char)escape && quote != '\'')
        {
          if (pos + width == n)
            {
              phase = WORD;
              continue;
            }
          pos += width;
          cc_bld_put_rune (&word, ch);
          width = cc_bld_decode (rest + pos, n - pos, &ch);
        }
      cc_bld_put_rune (&word, ch);
    }
  return cc_bld_vec_steal (&words);
}

static void
add_kv (struct cc_df_instr *in, const char *key, size_t klen, const char *value)
{
  in->kv = cc_bld_grow (in->kv, in->n_kv, sizeof (*in->kv));
  in->kv[in->n_kv].key = xstrndup (key, klen);
  in->kv[in->n_kv].value = value ? xstrdup (value) : NULL;
  in->n_kv++;
}

/* parseNameVal: `KEY name=value ...` or the legacy `KEY name value`.  */
static int
parse_name_val (struct cc_df_instr *in, const char *rest, cc_error_t *err)
{
  cleanup_strv char **words = parse_words (rest, in->file->escape);
  const char *what = in->kind == CC_DF_ENV ? "ENV" : "LABEL";

  if (words[0] == NULL)
    return 0;
  if (strchr (words[0], '=') == NULL)
    {
      cleanup_strv char **parts = split_blanks (rest, 2);
      if (cc_strv_len (parts) < 2)
        return cc_bld_error_instr (err, in, "%s must have two arguments", what);
      add_kv (in, parts[0], strlen (parts[0]), parts[1]);
      return 0;
    }
  for (size_t i = 0; words[i]; i++)
    {
      const char *eq = strchr (words[i], '=');
      if (eq == NULL)
        {
          cleanup_buf struct cc_buf q = { 0 };
          cc_bld_go_quote (&q, words[i]);
          return cc_bld_error_instr (err, in, "Syntax error - can't find = in %s. Must be of the form: name=value",
                                     q.data);
        }
      add_kv (in, words[i], (size_t)(eq - words[i]), eq + 1);
    }
  return 0;
}

static int
parse_maybe_json (struct cc_df_instr *in, const char *rest, bool to_list, cc_error_t *err)
{
  char **list = NULL;
  int r = cc_bld_json_strings (rest, strlen (rest), &list);

  if (r < 0)
    return cc_bld_error_instr (err, in, "when using JSON array syntax, arrays must be comprised of strings only");
  if (r > 0)
    {
      in->args = list;
      in->json = true;
      return 0;
    }
  if (to_list)
    in->args = split_blanks (rest, 0);
  else
    {
      in->args = xzalloc (sizeof (char *));
      if (*rest)
        cc_strv_append (&in->args, rest);
    }
  return 0;
}

/* parseHealthConfig: the type word, then the command as RUN's.  */
static int
parse_health (struct cc_df_instr *in, const char *rest, cc_error_t *err)
{
  size_t sep = 0, next;
  cleanup_strv char **cmd = NULL;

  while (rest[sep] && ! cc_bld_is_space_byte ((unsigned char)rest[sep]))
    sep++;
  for (next = sep; rest[next] && cc_bld_is_space_byte ((unsigned char)rest[next]); next++)
    ;
  if (sep == 0)
    {
      in->args = xzalloc (sizeof (char *));
      return 0;
    }
  if (parse_maybe_json (in, rest + next, false, err) < 0)
    return -1;
  cmd = in->args;
  in->args = xzalloc (sizeof (char *));
  cc_strv_push (&in->args, xstrndup (rest, sep));
  for (size_t i = 0; cmd[i]; i++)
    cc_strv_append (&in->args, cmd[i]);
  return 0;
}

int
cc_bld_node_parse (struct cc_df_instr *in, const char *rest, bool heredocs, cc_error_t *err)
{
  (void)heredocs;
  if (! cc_bld_kind_from_name (in->keyword, &in->kind))
    {
      in->unknown = true;
      in->args = xzalloc (sizeof (char *));
      return 0;
    }
  switch (in->kind)
    {
    case CC_DF_ADD:
    case CC_DF_COPY:
    case CC_DF_VOLUME:
      return parse_maybe_json (in, rest, true, err);
    case CC_DF_CMD:
    case CC_DF_ENTRYPOINT:
    case CC_DF_RUN:
    case CC_DF_SHELL:
      return parse_maybe_json (in, rest, false, err);
    case CC_DF_ARG:
      in->args = parse_words (rest, in->file->escape);
      return 0;
    case CC_DF_ENV:
    case CC_DF_LABEL:
      in->args = xzalloc (sizeof (char *));
      return parse_name_val (in, rest, err);
    case CC_DF_EXPOSE:
    case CC_DF_FROM:
      in->args = split_blanks (rest, 0);
      return 0;
    case CC_DF_HEALTHCHECK:
      return parse_health (in, rest, err);
    case CC_DF_ONBUILD:
      in->args = xzalloc (sizeof (char *));
      return 0;
    case CC_DF_MAINTAINER:
    case CC_DF_STOPSIGNAL:
    case CC_DF_USER:
    case CC_DF_WORKDIR:
      in->args = xzalloc (sizeof (char *));
      if (*rest)
        cc_strv_append (&in->args, rest);
      return 0;
    }
  return 0;
}

/* nodeArgs of ONBUILD: the trigger's keyword, then its arguments.  */
void
cc_bld_node_set_trigger_args (struct cc_df_instr *in)
{
  const struct cc_df_instr *t = in->trigger;
  struct cc_bld_vec v = { 0 };

  cc_bld_vec_push (&v, xstrdup (t->keyword));
  for (size_t i = 0; t->args && t->args[i]; i++)
    cc_bld_vec_push (&v, xstrdup (t->args[i]));
  /* ENV/LABEL pairs come out of the node as key, value, key, value.  */
  for (size_t i = 0; i < t->n_kv; i++)
    {
      cc_bld_vec_push (&v, xstrdup (t->kv[i].key));
      cc_bld_vec_push (&v, xstrdup (t->kv[i].value ? t->kv[i].value : ""));
    }
  cc_strv_free (in->args);
  in->args = cc_bld_vec_steal (&v);
}

/* ---- flags (instructions/bflag.go) ---------------------------------- */

enum flag_type
{
  F_BOOL,
  F_STRING,
  F_STRINGS,
};

struct flagdef
{
  const char *name;
  enum flag_type type;
  /* results */
  bool used;
  char *value;
  struct cc_bld_vec values;
};

static int flag_error (cc_error_t *err, const struct cc_df_instr *in, size_t i, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static int
flag_error (cc_error_t *err, const struct cc_df_instr *in, size_t i, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = xvasprintf (fmt, ap);
  va_end (ap);
  return cc_bld_error_at (err, in->file, in->flag_lines[i], in->flag_cols[i], "%s", msg);
}

static int
parse_one_flag (const struct cc_df_instr *in, size_t i, struct flagdef *defs, size_t n, cc_error_t *err)
{
  const char *arg = in->flags[i] + 2;
  const char *eq = strchr (arg, '=');
  cleanup_free char *name = eq ? xstrndup (arg, (size_t)(eq - arg)) : xstrdup (arg);
  const char *value = eq ? eq + 1 : "";
  struct flagdef *f = NULL;

  for (size_t k = 0; k < n; k++)
    if (strcmp (defs[k].name, name) == 0)
      f = &defs[k];
  if (f == NULL)
    {
      const char *names[8];
      cleanup_free char *cased = NULL;
      for (size_t k = 0; k < n && k < CC_N_ELEMENTS (names); k++)
        names[k] = defs[k].name;
      if (cc_bld_suggest (name, names, n < 8 ? n : 8, true, &cased))
        return flag_error (err, in, i, "unknown flag: %s (did you mean %s?)", name, cased);
      return flag_error (err, in, i, "unknown flag: %s", name);
    }
  if (f->used && f->type != F_STRINGS)
    return flag_error (err, in, i, "duplicate flag specified: %s", name);
  f->used = true;
  switch (f->type)
    {
    case F_BOOL:
      if (eq && *value == '\0')
        return flag_error (err, in, i, "missing a value on flag: %s", name);
      if (*value == '\0' || strcasecmp (value, "true") == 0)
        f->value = "true";
      else if (strcasecmp (value, "false") == 0)
        f->value = "false";
      else
        return flag_error (err, in, i, "expecting boolean value for flag %s, not: %s", name, value);
      break;
    case F_STRING:
      if (eq == NULL)
        return flag_error (err, in, i, "missing a value on flag: %s", name);
      free (f->value);
      f->value = xstrdup (value);
      break;
    case F_STRINGS:
      if (eq == NULL)
        return flag_error (err, in, i, "missing a value on flag: %s", name);
      cc_bld_vec_push (&f->values, xstrdup (value));
      break;
    }
  return 0;
}

/* BFlags.Parse over the instruction's flags, against DEFS.  */
static int
parse_flags (const struct cc_df_instr *in, struct flagdef *defs, size_t n, cc_error_t *err)
{
  for (size_t i = 0; in->flags && in->flags[i]; i++)
    {
      if (strcmp (in->flags[i], "--") == 0)
        return 0;
      if (parse_one_flag (in, i, defs, n, err) < 0)
        return -1;
    }
  return 0;
}

static void
flags_release (struct flagdef *defs, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      if (defs[i].type == F_STRING)
        free (defs[i].value);
      cc_bld_vec_release (&defs[i].values);
    }
}

static char *
flag_string (struct flagdef *f)
{
  return f->used ? steal_pointer (&f->value) : NULL;
}

/* ---- instructions.Parse ----------------------------------------------- */

static size_t
n_args (const struct cc_df_instr *in)
{
  return cc_strv_len (in->args);
}

static bool
valid_stage_name (const char *s)
{
  /* ^[a-z][a-z0-9-_.]*$  */
  if (! (*s >= 'a' && *s <= 'z'))
    return false;
  for (s++; *s; s++)
    if (! ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
      return false;
  return true;
}

static int
check_from (struct cc_df_instr *in, cc_error_t *err)
{
  size_t n = n_args (in);
  struct flagdef defs[] = { { "platform", F_STRING, false, NULL, { 0 } } };
  int ret;

  if (n == 3 && strcasecmp (in->args[1], "as") == 0)
    {
      cleanup_free char *name = xstrdup (in->args[2]);
      for (char *c = name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
          *c = (char)(*c - 'A' + 'a');
      if (! valid_stage_name (name))
        {
          cleanup_buf struct cc_buf q = { 0 };
          cc_bld_go_quote (&q, in->args[2]);
          return cc_bld_error_instr (err, in,
                                     "invalid name for build stage: %s, name can't start with a number or contain "
                                     "symbols",
                                     q.data);
        }
    }
  else if (n != 1)
    return cc_bld_error_instr (err, in, "FROM requires either one or three arguments");
  ret = parse_flags (in, defs, 1, err);
  if (ret == 0)
    in->flag_platform = flag_string (&defs[0]);
  flags_release (defs, 1);
  return ret;
}

static int
check_kvs (struct cc_df_instr *in, const char *what, cc_error_t *err)
{
  if (parse_flags (in, NULL, 0, err) < 0)
    return -1;
  if (in->n_kv == 0)
    return cc_bld_error_instr (err, in, "%s requires at least one argument", what);
  for (size_t i = 0; i < in->n_kv; i++)
    if (*in->kv[i].key == '\0')
      return cc_bld_error_instr (err, in, "%s names can not be blank", what);
  return 0;
}

static int
check_arg (struct cc_df_instr *in, cc_error_t *err)
{
  if (n_args (in) < 1)
    return cc_bld_error_instr (err, in, "ARG requires at least one argument");
  for (size_t i = 0; in->args[i]; i++)
    {
      const char *eq = strchr (in->args[i], '=');
      if (eq == in->args[i])
        return cc_bld_error_instr (err, in, "ARG names can not be blank");
      add_kv (in, in->args[i], eq ? (size_t)(eq - in->args[i]) : strlen (in->args[i]), eq ? eq + 1 : NULL);
    }
  return 0;
}

static int
exactly_one (struct cc_df_instr *in, const char *what, cc_error_t *err)
{
  if (n_args (in) != 1)
    return cc_bld_error_instr (err, in, "%s requires exactly one argument", what);
  return parse_flags (in, NULL, 0, err);
}

static int
at_least_one (struct cc_df_instr *in, const char *what, cc_error_t *err)
{
  if (n_args (in) == 0)
    return cc_bld_error_instr (err, in, "%s requires at least one argument", what);
  return parse_flags (in, NULL, 0, err);
}

/* parseSourcesAndDest's checks: no heredoc as the destination.  */
static int
check_sources (struct cc_df_instr *in, const char *what, cc_error_t *err)
{
  struct cc_df_heredoc h = { 0 };
  size_t n = n_args (in);

  if (cc_bld_parse_heredoc_word (in->args[n - 1], &h) == 1)
    {
      cc_bld_heredoc_release (&h);
      return cc_bld_error_instr (err, in, "%s cannot accept a heredoc as a destination", what);
    }
  return 0;
}

static int
check_copy (struct cc_df_instr *in, cc_error_t *err)
{
  bool add = in->kind == CC_DF_ADD;
  const char *what = add ? "ADD" : "COPY";
  struct flagdef copy_defs[] = {
    { "chown", F_STRING, false, NULL, { 0 } },
    { "from", F_STRING, false, NULL, { 0 } },
    { "chmod", F_STRING, false, NULL, { 0 } },
    { "link", F_BOOL, false, NULL, { 0 } },
  };
  struct flagdef add_defs[] = {
    { "chown", F_STRING, false, NULL, { 0 } },    { "chmod", F_STRING, false, NULL, { 0 } },
    { "link", F_BOOL, false, NULL, { 0 } },       { "keep-git-dir", F_BOOL, false, NULL, { 0 } },
    { "checksum", F_STRING, false, NULL, { 0 } },
  };
  struct flagdef *defs = add ? add_defs : copy_defs;
  size_t n = add ? CC_N_ELEMENTS (add_defs) : CC_N_ELEMENTS (copy_defs);
  int ret = -1;

  if (n_args (in) < 2)
    return cc_bld_error_instr (err, in,
                               "%s requires at least two arguments, but only one was provided. Destination could "
                               "not be determined",
                               what);
  if (parse_flags (in, defs, n, err) < 0 || check_sources (in, what, err) < 0)
    goto out;
  for (size_t i = 0; i < n; i++)
    {
      if (strcmp (defs[i].name, "chown") == 0)
        in->flag_chown = flag_string (&defs[i]);
      else if (strcmp (defs[i].name, "from") == 0)
        in->flag_from = flag_string (&defs[i]);
      else if (strcmp (defs[i].name, "chmod") == 0)
        in->flag_chmod = flag_string (&defs[i]);
      else if (strcmp (defs[i].name, "checksum") == 0)
        in->flag_checksum = flag_string (&defs[i]);
      else if (strcmp (defs[i].name, "link") == 0)
        in->flag_link = defs[i].used && strcmp (defs[i].value, "true") == 0;
      else if (strcmp (defs[i].name, "keep-git-dir") == 0)
        in->flag_keep_git_dir = defs[i].used && strcmp (defs[i].value, "true") == 0;
    }
  ret = 0;
out:
  flags_release (defs, n);
  return ret;
}

static int
check_run (struct cc_df_instr *in, cc_error_t *err)
{
  struct flagdef defs[] = {
    { "mount", F_STRINGS, false, NULL, { 0 } },
    { "network", F_STRING, false, NULL, { 0 } },
  };
  int ret = -1;

  if (parse_flags (in, defs, CC_N_ELEMENTS (defs), err) < 0)
    goto out;
  in->flag_mounts = defs[0].used ? cc_bld_vec_steal (&defs[0].values) : NULL;
  for (size_t i = 0; in->flag_mounts && in->flag_mounts[i]; i++)
    {
      struct cc_builder_mount m = { 0 };
      cleanup_free char *from = NULL;
      cleanup_error cc_error_t e = NULL;
      int r = cc_bld_mount_parse (in->flag_mounts[i], NULL, NULL, &m, &from, &e);
      cc_bld_mount_release (&m);
      if (r < 0)
        {
          cc_bld_error_instr (err, in, "%s", e->msg);
          goto out;
        }
    }
  in->flag_network = defs[1].used ? steal_pointer (&defs[1].value) : NULL;
  if (in->flag_network && strcmp (in->flag_network, "default") != 0 && strcmp (in->flag_network, "none") != 0
      && strcmp (in->flag_network, "host") != 0)
    {
      cleanup_buf struct cc_buf q = { 0 };
      cc_bld_go_quote (&q, in->flag_network);
      cc_bld_error_instr (err, in, "invalid network mode %s", q.data);
      goto out;
    }
  ret = 0;
out:
  flags_release (defs, CC_N_ELEMENTS (defs));
  return ret;
}

/* parseOptInterval: empty is 0, otherwise a Go duration of at least 1ms
   (or exactly 0).  */
static int
health_duration (struct cc_df_instr *in, struct flagdef *f, int64_t *out, cc_error_t *err)
{
  cleanup_free char *msg = NULL;

  *out = 0;
  if (! f->used || *f->value == '\0')
    return 0;
  if (cc_bld_go_parse_duration (f->value, out, &msg) < 0)
    return cc_bld_error_instr (err, in, "%s", msg);
  if (*out != 0 && *out < 1000000)
    return cc_bld_error_instr (err, in, "Interval \"%s\" cannot be less than 1ms", f->name);
  return 0;
}

static int
health_retries (struct cc_df_instr *in, struct flagdef *f, int *out, cc_error_t *err)
{
  long long v;
  int r;

  *out = 0;
  if (! f->used || *f->value == '\0')
    return 0;
  r = cc_bld_go_parse_int (f->value, &v);
  if (r == -1)
    {
      cleanup_buf struct cc_buf q = { 0 };
      cc_bld_go_quote (&q, f->value);
      return cc_bld_error_instr (err, in, "strconv.ParseInt: parsing %s: invalid syntax", q.data);
    }
  if (r == -2 || v > INT32_MAX || v < INT32_MIN)
    {
      cleanup_buf struct cc_buf q = { 0 };
      cc_bld_go_quote (&q, f->value);
      return cc_bld_error_instr (err, in, "strconv.ParseInt: parsing %s: value out of range", q.data);
    }
  if (v < 0)
    return cc_bld_error_instr (err, in, "--retries cannot be negative (%lld)", v);
  *out = (int)v;
  return 0;
}

static int
check_health (struct cc_df_instr *in, cc_error_t *err)
{
  struct flagdef defs[] = {
    { "interval", F_STRING, false, NULL, { 0 } },     { "timeout", F_STRING, false, NULL, { 0 } },
    { "start-period", F_STRING, false, NULL, { 0 } }, { "start-interval", F_STRING, false, NULL, { 0 } },
    { "retries", F_STRING, false, NULL, { 0 } },
  };
  struct cc_builder_health *h;
  cleanup_free char *type = NULL;
  int ret = -1;

  if (n_args (in) == 0)
    return cc_bld_error_instr (err, in, "HEALTHCHECK requires at least one argument");
  type = xstrdup (in->args[0]);
  for (char *c = type; *c; c++)
    if (*c >= 'a' && *c <= 'z')
      *c = (char)(*c - 'a' + 'A');
  h = in->health = xzalloc (sizeof (*h));
  h->test = xzalloc (sizeof (char *));
  if (strcmp (type, "NONE") == 0)
    {
      if (n_args (in) != 1)
        return cc_bld_error_instr (err, in, "HEALTHCHECK NONE takes no arguments");
      cc_strv_append (&h->test, "NONE");
      return 0;
    }
  if (parse_flags (in, defs, CC_N_ELEMENTS (defs), err) < 0)
    goto out;
  if (strcmp (type, "CMD") != 0)
    {
      cleanup_buf struct cc_buf q = { 0 };
      cc_bld_go_quote (&q, type);
      cc_bld_error_instr (err, in, "Unknown type %s in HEALTHCHECK (try CMD)", q.data);
      goto out;
    }
  if (n_args (in) < 2)
    {
      cc_bld_error_instr (err, in, "Missing command after HEALTHCHECK CMD");
      goto out;
    }
  cc_strv_append (&h->test, in->json ? "CMD" : "CMD-SHELL");
  if (in->json)
    for (size_t i = 1; in->args[i]; i++)
      cc_strv_append (&h->test, in->args[i]);
  else
    {
      cleanup_free char *joined = cc_strv_join (in->args + 1, " ");
      cc_strv_append (&h->test, joined);
    }
  if (health_duration (in, &defs[0], &h->interval_ns, err) < 0
      || health_duration (in, &defs[1], &h->timeout_ns, err) < 0
      || health_duration (in, &defs[2], &h->start_period_ns, err) < 0
      || health_duration (in, &defs[3], &h->start_interval_ns, err) < 0
      || health_retries (in, &defs[4], &h->retries, err) < 0)
    goto out;
  ret = 0;
out:
  flags_release (defs, CC_N_ELEMENTS (defs));
  return ret;
}

static int
check_volume (struct cc_df_instr *in, cc_error_t *err)
{
  if (at_least_one (in, "VOLUME", err) < 0)
    return -1;
  for (size_t i = 0; in->args[i]; i++)
    {
      size_t a, b;
      cc_bld_trim_space (in->args[i], strlen (in->args[i]), &a, &b);
      if (a == b)
        return cc_bld_error_instr (err, in, "VOLUME specified can not be an empty string");
      if (a > 0 || b < strlen (in->args[i]))
        {
          char *t = xstrndup (in->args[i] + a, b - a);
          free (in->args[i]);
          in->args[i] = t;
        }
    }
  return 0;
}

static int
check_shell (struct cc_df_instr *in, cc_error_t *err)
{
  if (parse_flags (in, NULL, 0, err) < 0)
    return -1;
  if (n_args (in) == 0)
    return cc_bld_error_instr (err, in, "SHELL requires at least one argument");
  if (! in->json)
    return cc_bld_error_instr (err, in, "SHELL requires the arguments to be in JSON form");
  return 0;
}

/* The expression the image stores: the line without `ONBUILD`, with the
   heredoc bodies after it.  */
static void
onbuild_expression (struct cc_df_instr *in)
{
  const char *p = in->original;
  struct cc_buf b = { 0 };

  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\f' || *p == '\r')
    p++;
  if (strncasecmp (p, "onbuild", 7) == 0)
    {
      p += 7;
      while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\f' || *p == '\r')
        p++;
    }
  cc_buf_puts (&b, p);
  for (size_t i = 0; i < in->n_heredocs; i++)
    {
      cc_buf_putc (&b, '\n');
      cc_buf_puts (&b, in->heredocs[i].content);
      cc_buf_puts (&b, in->heredocs[i].name);
    }
  in->onbuild = cc_buf_steal (&b);
}

static int
check_onbuild (struct cc_df_instr *in, cc_error_t *err)
{
  cleanup_free char *trigger = NULL;
  size_t a, b;

  if (at_least_one (in, "ONBUILD", err) < 0)
    return -1;
  cc_bld_trim_space (in->args[0], strlen (in->args[0]), &a, &b);
  trigger = xstrndup (in->args[0] + a, b - a);
  for (char *c = trigger; *c; c++)
    if (*c >= 'a' && *c <= 'z')
      *c = (char)(*c - 'a' + 'A');
  if (strcmp (trigger, "ONBUILD") == 0)
    return cc_bld_error_instr (err, in, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (strcmp (trigger, "MAINTAINER") == 0 || strcmp (trigger, "FROM") == 0)
    return cc_bld_error_instr (err, in, "%s isn't allowed as an ONBUILD trigger", trigger);
  onbuild_expression (in);
  return 0;
}

static int
unknown_instruction (struct cc_df_instr *in, cc_error_t *err)
{
  const char *names[CC_N_ELEMENTS (kinds)];
  cleanup_free char *cased = NULL;

  for (size_t i = 0; i < CC_N_ELEMENTS (kinds); i++)
    names[i] = kinds[i].name;
  if (cc_bld_suggest (in->keyword, names, CC_N_ELEMENTS (kinds), false, &cased))
    return cc_bld_error_instr (err, in, "unknown instruction: %s (did you mean %s?)", in->keyword, cased);
  return cc_bld_error_instr (err, in, "unknown instruction: %s", in->keyword);
}

int
cc_bld_instr_check (struct cc_df_instr *in, cc_error_t *err)
{
  if (in->unknown)
    return unknown_instruction (in, err);
  switch (in->kind)
    {
    case CC_DF_FROM:
      return check_from (in, err);
    case CC_DF_ARG:
      return check_arg (in, err);
    case CC_DF_ENV:
      return check_kvs (in, "ENV", err);
    case CC_DF_LABEL:
      return check_kvs (in, "LABEL", err);
    case CC_DF_MAINTAINER:
      return exactly_one (in, "MAINTAINER", err);
    case CC_DF_ADD:
    case CC_DF_COPY:
      return check_copy (in, err);
    case CC_DF_ONBUILD:
      return check_onbuild (in, err);
    case CC_DF_WORKDIR:
      return exactly_one (in, "WORKDIR", err);
    case CC_DF_RUN:
      return check_run (in, err);
    case CC_DF_CMD:
    case CC_DF_ENTRYPOINT:
      return parse_flags (in, NULL, 0, err);
    case CC_DF_HEALTHCHECK:
      return check_health (in, err);
    case CC_DF_EXPOSE:
      return at_least_one (in, "EXPOSE", err);
    case CC_DF_USER:
      return exactly_one (in, "USER", err);
    case CC_DF_VOLUME:
      return check_volume (in, err);
    case CC_DF_STOPSIGNAL:
      if (n_args (in) != 1)
        return cc_bld_error_instr (err, in, "STOPSIGNAL requires exactly one argument");
      return 0;
    case CC_DF_SHELL:
      return check_shell (in, err);
    }
  return 0;
}

static void
add_to_stage (struct cc_df_stage *st, struct cc_df_instr *in)
{
  st->instrs = cc_bld_grow (st->instrs, st->n_instrs, sizeof (*st->instrs));
  st->instrs[st->n_instrs++] = in;
}

static void
new_stage (struct cc_dockerfile *df, struct cc_df_instr *in)
{
  struct cc_df_stage *st;

  df->stages = cc_bld_grow (df->stages, df->n_stages, sizeof (*df->stages));
  st = &df->stages[df->n_stages++];
  memset (st, 0, sizeof (*st));
  st->from = in;
  st->base = xstrdup (in->args[0]);
  if (cc_strv_len (in->args) == 3)
    {
      st->name = xstrdup (in->args[2]);
      for (char *c = st->name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
          *c = (char)(*c - 'A' + 'a');
    }
  st->platform = in->flag_platform ? xstrdup (in->flag_platform) : NULL;
}

int
cc_bld_instructions_check (struct cc_dockerfile *df, cc_error_t *err)
{
  for (size_t i = 0; i < df->n_all; i++)
    {
      struct cc_df_instr *in = df->all[i];
      if (cc_bld_instr_check (in, err) < 0)
        return -1;
      if (in->kind == CC_DF_FROM)
        new_stage (df, in);
      else if (df->n_stages > 0)
        add_to_stage (&df->stages[df->n_stages - 1], in);
      else if (in->kind == CC_DF_ARG)
        {
          df->meta_args = cc_bld_grow (df->meta_args, df->n_meta_args, sizeof (*df->meta_args));
          df->meta_args[df->n_meta_args++] = in;
        }
      else
        return cc_bld_error_instr (err, in, "no build stage in current context");
    }
  return 0;
}

void
cc_bld_instr_free (struct cc_df_instr *in)
{
  if (in == NULL)
    return;
  free (in->keyword);
  free (in->original);
  cc_strv_free (in->args);
  for (size_t i = 0; i < in->n_kv; i++)
    {
      free (in->kv[i].key);
      free (in->kv[i].value);
    }
  free (in->kv);
  for (size_t i = 0; i < in->n_heredocs; i++)
    cc_bld_heredoc_release (&in->heredocs[i]);
  free (in->heredocs);
  cc_strv_free (in->flags);
  free (in->flag_lines);
  free (in->flag_cols);
  free (in->flag_from);
  free (in->flag_chown);
  free (in->flag_chmod);
  free (in->flag_checksum);
  free (in->flag_network);
  cc_strv_free (in->flag_mounts);
  free (in->flag_platform);
  cc_bld_health_free (in->health);
  free (in->onbuild);
  cc_bld_instr_free (in->trigger);
  free (in);
}
