/* Crash injection for tests: CCOMPOSE_CRASH_AT=N makes this process
   SIGKILL itself at the Nth side-effecting step (counted across every
   part of one command), so tests can check that what was recorded before
   each step is enough for `down` to clean up.  CCOMPOSE_CRASH_TRACE=1
   prints each step's number and name to stderr, so a campaign can learn
   how many steps a command has.  */
#ifndef CC_LIB_CRASH_H
#define CC_LIB_CRASH_H

void cc_crash_point (const char *what);

#endif
