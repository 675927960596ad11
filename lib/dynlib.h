/* Libraries opened on first use.  libcurl, libarchive and libcrypto
   bring about forty libraries with them, and the dynamic loader would
   map and relocate all of them before main() in every invocation
   (~7 ms of `ccompose version`'s 9 ms), although only a pull, a layer
   extraction or a hash needs them.  lib/lazy-<library>.c defines each
   function the code calls, under the library's own name and with its
   header's prototype, as a trampoline to the real one, resolved once;
   callers do not change.  */
#ifndef CC_LIB_DYNLIB_H
#define CC_LIB_DYNLIB_H

#include <pthread.h>

#include "lib/error.h"

struct cc_dynlib
{
  const char *soname;  /* "libcurl.so.4": the ABI the headers describe */
  const char *purpose; /* "pull images": what is lost without it */
  const char *package; /* "libcurl4": the Debian package that ships it */
  pthread_mutex_t lock;
  void *handle; /* set once under LOCK, read with __atomic */
};

#define CC_DYNLIB_INIT(soname, purpose, package)                                                                       \
  {                                                                                                                    \
    soname, purpose, package, PTHREAD_MUTEX_INITIALIZER, NULL                                                          \
  }

extern struct cc_dynlib cc_dynlib_curl;
extern struct cc_dynlib cc_dynlib_archive;
extern struct cc_dynlib cc_dynlib_crypto;
extern struct cc_dynlib cc_dynlib_dbus;

/* Open LIB unless it is open already; a caller with an error path calls
   this before the library's first function, so that a missing library
   is an error it reports rather than the trampolines' exit.  */
int cc_dynlib_load (struct cc_dynlib *lib, cc_error_t *err);

/* *OUT = the address of NAME in LIB, opening LIB first.  */
int cc_dynlib_lookup (struct cc_dynlib *lib, const char *name, void **out, cc_error_t *err);

/* What a trampoline calls: the address of NAME, remembered in *CACHE.  A
   library or symbol that cannot be loaded is an installation error:
   say which, and what to install, and exit(1).  */
void *cc_dynlib_resolve (struct cc_dynlib *lib, const char *name, void **cache);

/* One trampoline: `CC_DYNLIB_FN (lib, ret, name, (params), (args))`.
   PARAMS repeats the header's prototype, which the compiler checks.  */
#define CC_DYNLIB_FN(lib, ret, name, params, args)                                                                     \
  ret name params                                                                                                      \
  {                                                                                                                    \
    static void *fn_;                                                                                                  \
    return ((ret (*) params)cc_dynlib_resolve (&lib, #name, &fn_))args;                                                \
  }

#define CC_DYNLIB_VOID_FN(lib, name, params, args)                                                                     \
  void name params                                                                                                     \
  {                                                                                                                    \
    static void *fn_;                                                                                                  \
    ((void (*) params)cc_dynlib_resolve (&lib, #name, &fn_)) args;                                                     \
  }

#endif
