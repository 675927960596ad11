/* Shared between the files of builder/; other folders use builder.h.  */
#ifndef CC_BUILDER_INTERNAL_H
#define CC_BUILDER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/builder.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xalloc.h"

/* ---- text (text.c): Go's view of strings ---------------------------- */

#define CC_BLD_RUNE_ERROR 0xFFFD

/* Decode the rune at S (N > 0 bytes left) as Go does: an invalid or
   overlong sequence is U+FFFD of width 1.  Returns the width.  */
size_t cc_bld_decode (const char *s, size_t n, uint32_t *rune);
void cc_bld_put_rune (struct cc_buf *b, uint32_t rune);
/* unicode.IsSpace.  */
bool cc_bld_is_space (uint32_t rune);
/* unicode.IsSpace of one byte taken as a rune (Go code that indexes a
   string byte by byte: 0x85 and 0xA0 are spaces there).  */
bool cc_bld_is_space_byte (unsigned char c);
/* unicode.IsLetter / IsDigit, for variable names (ASCII and Latin-1 exact,
   every other letter of the Basic Multilingual Plane approximated).  */
bool cc_bld_is_letter (uint32_t rune);
bool cc_bld_is_digit (uint32_t rune);
/* strings.TrimSpace / TrimLeft(unicode.IsSpace): offsets into S[0..N).  */
void cc_bld_trim_space (const char *s, size_t n, size_t *start, size_t *end);
size_t cc_bld_trim_left (const char *s, size_t n);

/* Go's %q of a string (strconv.Quote), appended to B.  */
void cc_bld_go_quote (struct cc_buf *b, const char *s);
/* %q of a []string: ["a" "b"].  */
void cc_bld_go_quote_strv (struct cc_buf *b, char *const *v);
/* %v of a []string: [a b].  */
void cc_bld_go_strv (struct cc_buf *b, char *const *v);
/* %q of an int: strconv.QuoteRune.  */
void cc_bld_go_quote_rune (struct cc_buf *b, int64_t r);
/* strconv.ParseInt (S, 10, 64): an optional sign and decimal digits,
   nothing else; 0, -1 for bad syntax, -2 out of range.  */
int cc_bld_go_parse_int (const char *s, long long *out);
/* time.Duration.String.  */
void cc_bld_go_duration (struct cc_buf *b, int64_t ns);
/* time.ParseDuration; on failure *ERRMSG gets Go's message.  */
int cc_bld_go_parse_duration (const char *s, int64_t *ns, char **errmsg);

/* The closest of OPTIONS to VAL (Levenshtein distance below 3), or NULL:
   BuildKit's "did you mean" (util/suggest).  */
const char *cc_bld_suggest (const char *val, const char *const *options, size_t n, bool case_sensitive, char **cased);

/* "FILE:LINE:COL: message" followed by the offending line of the file and
   a caret, as compose/ shows positions.  Returns -1.  */
int cc_bld_error_at (cc_error_t *err, const struct cc_dockerfile *df, int line, int col, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));
/* The same at an instruction's keyword.  */
int cc_bld_error_instr (cc_error_t *err, const struct cc_df_instr *in, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* An error *ERR already holds, placed at INSTR.  */
int cc_bld_error_wrap_instr (cc_error_t *err, const struct cc_df_instr *in);

/* Growth by doubling for arrays whose capacity is not stored: call
   before writing element N; the capacity is the next power of two.  */
static inline void *
cc_bld_grow (void *arr, size_t n, size_t elem)
{
  if (n == 0)
    return xreallocarray (arr, 2, elem);
  if (n >= 2 && (n & (n - 1)) == 0)
    return xreallocarray (arr, 2 * n, elem);
  return arr;
}

/* A NULL-terminated string vector built in linear time (lib/strv.h's
   append walks the vector each time).  */
struct cc_bld_vec
{
  char **v;
  size_t n, cap;
};
void cc_bld_vec_push (struct cc_bld_vec *vec, char *s);
/* The vector, NULL-terminated, never NULL; VEC is left empty.  */
char **cc_bld_vec_steal (struct cc_bld_vec *vec);
void cc_bld_vec_release (struct cc_bld_vec *vec);
/* Split at every SEP (linear).  */
char **cc_bld_split (const char *s, char sep, bool skip_empty);
/* Go's path.Clean (linear): "" is ".", `..` above / vanishes.  */
char *cc_bld_path_clean (const char *p);

/* ---- variables (vars.c): an ordered map KEY -> VALUE ---------------- */

struct cc_bld_vars;

struct cc_bld_vars *cc_bld_vars_new (void);
struct cc_bld_vars *cc_bld_vars_dup (const struct cc_bld_vars *v);
void cc_bld_vars_free (struct cc_bld_vars *v);
/* Add or replace (keeping the first position, as llb.State.AddEnv).  */
void cc_bld_vars_set (struct cc_bld_vars *v, const char *key, const char *value);
void cc_bld_vars_set_kv (struct cc_bld_vars *v, const char *kv);
const char *cc_bld_vars_get (const struct cc_bld_vars *v, const char *key);
size_t cc_bld_vars_count (const struct cc_bld_vars *v);
const char *cc_bld_vars_key (const struct cc_bld_vars *v, size_t i);
const char *cc_bld_vars_value (const struct cc_bld_vars *v, size_t i);
/* KEY=VALUE, in order.  */
char **cc_bld_vars_strv (const struct cc_bld_vars *v);
/* The size of that, known without building it.  */
size_t cc_bld_vars_bytes (const struct cc_bld_vars *v);

static inline void
cleanup_bld_vars_fn (struct cc_bld_vars **v)
{
  if (*v)
    cc_bld_vars_free (*v);
}
#define cleanup_bld_vars __attribute__ ((cleanup (cleanup_bld_vars_fn)))

/* ---- word expansion (shell.c): BuildKit's shell.Lex ------------------ */

enum
{
  CC_LEX_RAW_QUOTES = 1 << 0,  /* keep quote characters */
  CC_LEX_RAW_ESCAPES = 1 << 1, /* keep escape characters */
  CC_LEX_SKIP_QUOTES = 1 << 2, /* quotes are ordinary characters (heredoc bodies) */
  CC_LEX_SKIP_UNSET = 1 << 3,  /* leave references to unset variables as written */
};

/* Caps that keep hostile input linear: nesting of ${...}, and bytes
   produced by one word and by every expansion of one lexer.  */
#define CC_LEX_MAX_DEPTH 128
#define CC_LEX_WORD_MAX ((size_t)16 << 20)
#define CC_LEX_BUDGET ((size_t)256 << 20)

struct cc_bld_lexer
{
  char escape;
  int flags;
  size_t produced; /* bytes produced so far, against CC_LEX_BUDGET */
  /* Variables looked up and found, when not NULL (ProcessWordWithMatches).  */
  struct cc_bld_vars *matches;
};

/* ProcessWord: substitute variables, remove quotes and escapes.  */
int cc_bld_lex_word (struct cc_bld_lexer *lx, const char *word, const struct cc_bld_vars *env, char **out,
                     cc_error_t *err);
/* ProcessWords: the same, then split at unquoted blanks.  */
int cc_bld_lex_words (struct cc_bld_lexer *lx, const char *word, const struct cc_bld_vars *env, char ***out,
                      cc_error_t *err);

/* ---- parsing internals (dockerfile.c, instructions.c, jsonargs.c) ---- */

/* parser.ParseHeredoc on one word: `<<EOF`, `<<-"EOF"`, `3<<EOF`.
   Returns 1 with *OUT filled, 0 when WORD is no heredoc.  */
int cc_bld_parse_heredoc_word (const char *word, struct cc_df_heredoc *out);
void cc_bld_heredoc_release (struct cc_df_heredoc *h);
/* Leading tabs of every line removed (`<<-`).  */
char *cc_bld_chomp_heredoc (const char *content);

/* A JSON array of strings the way BuildKit reads exec forms: 1 with *OUT
   set, 0 when TEXT is not a valid JSON array (the caller falls back to
   the shell form), -1 for a valid array with something not a string.  */
int cc_bld_json_strings (const char *text, size_t len, char ***out);

/* The parser's part of an instruction (instructions.c): the kind from
   the keyword, and REST (what follows the flags) split as the parser's
   per-instruction line parsers split it.  Syntax errors of the node.  */
int cc_bld_node_parse (struct cc_df_instr *in, const char *rest, bool heredocs, cc_error_t *err);
/* ONBUILD: its ARGS from its trigger node.  */
void cc_bld_node_set_trigger_args (struct cc_df_instr *in);
/* The instruction's part (instructions.Parse): argument counts, flags,
   values checked and typed.  */
int cc_bld_instr_check (struct cc_df_instr *in, cc_error_t *err);
/* Every instruction checked, then grouped into global ARGs and stages.  */
int cc_bld_instructions_check (struct cc_dockerfile *df, cc_error_t *err);
void cc_bld_instr_free (struct cc_df_instr *in);
/* Parse TEXT as instructions without stages (an ONBUILD trigger).  */
int cc_dockerfile_parse_one (const char *text, struct cc_dockerfile **out, cc_error_t *err);
/* The kind of KEYWORD (case-insensitive); false for an unknown one.  */
bool cc_bld_kind_from_name (const char *keyword, enum cc_df_kind *kind);

/* Parse one ONBUILD trigger of a base image: a Dockerfile of its own with
   one instruction, placed at AT for messages.  */
int cc_bld_parse_trigger (const char *expr, const struct cc_df_instr *at, struct cc_dockerfile **file,
                          struct cc_df_instr **out, cc_error_t *err);

/* ---- stage graph helpers (stages.c) --------------------------------- */

/* Index of the stage named NAME (lower-cased compare) among DF's stages,
   the last one of that name, or -1.  */
long cc_bld_stage_by_name (const struct cc_dockerfile *df, const char *name);
/* COPY --from / mount from=: a stage index, or -1 and *IMAGE (normalized)
   for an image.  */
int cc_bld_resolve_from (const struct cc_dockerfile *df, const char *from, const struct cc_df_instr *at, long *stage,
                         char **image, cc_error_t *err);

/* ---- RUN --mount (mount.c) ------------------------------------------ */

/* Parse one --mount value.  With LX and ENV, values are substituted and
   the mount is checked whole (dispatch time); without, only what
   BuildKit checks at parse time (CSV syntax, `from` without `$`) and
   *OUT gets the raw fields.  */
int cc_bld_mount_parse (const char *value, struct cc_bld_lexer *lx, const struct cc_bld_vars *env,
                        struct cc_builder_mount *out, char **from_raw, cc_error_t *err);
void cc_bld_mount_release (struct cc_builder_mount *m);

/* ---- regular expressions (match.c) --------------------------------- */

struct cc_bld_regex;
/* The subset of Go's regexp syntax patternmatcher produces; NULL and
 *ERROR when EXPR is outside it or malformed.  */
struct cc_bld_regex *cc_bld_regex_compile (const char *expr, const char **error);
bool cc_bld_regex_match (const struct cc_bld_regex *re, const char *text);
void cc_bld_regex_free (struct cc_bld_regex *re);

/* ---- formats ----------------------------------------------------------- */

/* docker/go-connections nat.ParsePortSpec: the container ports of SPEC
   ("80", "80/udp", "8000-8002", "127.0.0.1:8080:80"), appended to *PORTS
   as "80/tcp".  *COUNT (may be NULL) gets how many there are before any
   is made; more than MAX fails with -2 and no message.  */
int cc_bld_parse_port_spec (const char *spec, struct cc_bld_vec *ports, size_t max, size_t *count, char **errmsg);
/* moby/sys/signal ParseSignal: a name (SIG optional, any case) or a
   non-zero number.  */
bool cc_bld_valid_signal (const char *s);
/* docker/go-units RAMInBytes.  */
int cc_bld_ram_in_bytes (const char *s, int64_t *out);
/* Normalize "linux/x86_64" to "linux/amd64" (containerd's platforms).  */
char *cc_bld_normalize_platform (const char *spec, char **errmsg);

/* ---- image helpers (config.c) -------------------------------------- */

/* V sorted, each string once (Go maps print and marshal sorted).  */
void cc_bld_sort_unique (char **v);
extern const char *cc_bld_default_path;
void cc_bld_health_free (struct cc_builder_health *h);
struct cc_builder_health *cc_bld_health_dup (const struct cc_builder_health *h);

#endif
