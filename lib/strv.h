/* NULL-terminated string vectors (char **), released by cleanup_strv.  */
#ifndef CC_LIB_STRV_H
#define CC_LIB_STRV_H

#include <stdbool.h>
#include <stddef.h>

size_t cc_strv_len (char *const *v);
/* Append an owned copy of S; *V may be NULL.  Each call walks *V to its
   end: for a vector as long as its input (an image's Env, a file's
   lines), use a struct cc_strv_builder.  */
void cc_strv_append (char ***v, const char *s);
/* Append S taking ownership (the same walk).  */
void cc_strv_push (char ***v, char *s);

/* A vector being built, with its length and capacity at hand: appends
   are amortised O(1).  A loop of cc_strv_push was quadratic, and fed by
   what an image or a compose file holds: a config with 200,000 `Env`
   entries took 25 s to load and as long again for every `image ls`
   (issue 12, item 10).  */
struct cc_strv_builder
{
  char **v;
  size_t len, cap;
};
void cc_strv_builder_push (struct cc_strv_builder *b, char *s);
void cc_strv_builder_append (struct cc_strv_builder *b, const char *s);
/* The NULL-terminated vector (never NULL); the builder is left empty.  */
char **cc_strv_builder_steal (struct cc_strv_builder *b);
void cc_strv_builder_release (struct cc_strv_builder *b);
#define cleanup_strv_builder __attribute__ ((cleanup (cc_strv_builder_release)))
char **cc_strv_dup (char *const *v);
bool cc_strv_contains (char *const *v, const char *s);
/* Sort V in place (strcmp order) and drop repeated strings.  */
void cc_strv_sort_unique (char **v);
void cc_strv_free (char **v);
/* Split S at every SEP, keeping empty fields out when SKIP_EMPTY.  */
char **cc_strv_split (const char *s, char sep, bool skip_empty);
char *cc_strv_join (char *const *v, const char *sep);
/* Words of S as a POSIX shell splits them, without expansions (what
   Docker Compose's `run --entrypoint` does with its value): blanks
   separate, '...' is literal, "..." and a backslash quote.  NULL for an
   unclosed quote or a trailing backslash.  */
char **cc_strv_shell_split (const char *s);

#endif
