/* Text from files, users and containers, made safe to show on a
   terminal.  */
#ifndef CC_LIB_VISIBLE_H
#define CC_LIB_VISIBLE_H

/* Replace in place, with `?`, whatever would drive a terminal instead of
   showing on it: C0 controls but those in KEEP (such as "\n\t"), DEL,
   the C1 controls U+0080..U+009F (some terminals take U+009B as the
   start of an escape sequence, like ESC [) and invalid UTF-8, whose
   bytes an 8-bit terminal may read as C1 controls.  The text only
   shrinks.  Returns S.  */
char *cc_make_visible (char *s, const char *keep);

#endif
