/* NULL-terminated string vectors (char **), released by cleanup_strv.  */
#ifndef CC_LIB_STRV_H
#define CC_LIB_STRV_H

#include <stdbool.h>
#include <stddef.h>

size_t cc_strv_len (char *const *v);
/* Append an owned copy of S; *V may be NULL.  */
void cc_strv_append (char ***v, const char *s);
/* Append S taking ownership.  */
void cc_strv_push (char ***v, char *s);
char **cc_strv_dup (char *const *v);
bool cc_strv_contains (char *const *v, const char *s);
void cc_strv_free (char **v);
/* Split S at every SEP, keeping empty fields out when SKIP_EMPTY.  */
char **cc_strv_split (const char *s, char sep, bool skip_empty);
char *cc_strv_join (char *const *v, const char *sep);

#endif
