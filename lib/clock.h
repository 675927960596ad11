/* Wall-clock time as text (lib/clock.c).  */
#ifndef CC_LIB_CLOCK_H
#define CC_LIB_CLOCK_H

/* Now, RFC 3339 in UTC with nanoseconds ("2026-12-07T20:12:13.000000042Z"):
   how the image store and the events journal record when.  */
char *cc_now_rfc3339_nano (void);

#endif
