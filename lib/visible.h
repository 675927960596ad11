/* Text from files, users and containers, made safe to show on a
   terminal.  */
#ifndef CC_LIB_VISIBLE_H
#define CC_LIB_VISIBLE_H

#include <stdbool.h>
#include <stddef.h>

/* Replace in place, with `?`, whatever would drive a terminal instead of
   showing on it: C0 controls but those in KEEP (such as "\n\t"), DEL,
   the C1 controls U+0080..U+009F (some terminals take U+009B as the
   start of an escape sequence, like ESC [) and invalid UTF-8, whose
   bytes an 8-bit terminal may read as C1 controls.  The text only
   shrinks.  Returns S.  */
char *cc_make_visible (char *s, const char *keep);

/* Length of the well-formed UTF-8 sequence at P (N bytes left), 0 when
   there is none.  */
size_t cc_utf8_sequence_len (const unsigned char *p, size_t n);
/* Whether the LEN-byte character at P would drive a terminal (the rules
   above; KEEP lists the C0 controls that may stay).  */
bool cc_is_terminal_control (const unsigned char *p, size_t len, const char *keep);

#endif
