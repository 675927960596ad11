/* libcurl, opened on first use (lib/dynlib.h says why): the functions the
   registry client (image/registry.c) calls.  */
#include <curl/curl.h>
#include <stdarg.h>

#include "lib/dynlib.h"

/* Every libcurl from 7.16 to 8.x has the soname libcurl.so.4; another
   major version would need another soname here.  */
#if LIBCURL_VERSION_MAJOR < 7 || LIBCURL_VERSION_MAJOR > 8
#error "lib/lazy-curl.c opens libcurl.so.4: check the soname of this libcurl"
#endif

struct cc_dynlib cc_dynlib_curl = CC_DYNLIB_INIT ("libcurl.so.4", "pull images", "libcurl4");

CC_DYNLIB_FN (cc_dynlib_curl, CURLcode, curl_global_init, (long flags), (flags))
CC_DYNLIB_FN (cc_dynlib_curl, CURL *, curl_easy_init, (void), ())
CC_DYNLIB_VOID_FN (cc_dynlib_curl, curl_easy_cleanup, (CURL * curl), (curl))
CC_DYNLIB_VOID_FN (cc_dynlib_curl, curl_easy_reset, (CURL * curl), (curl))
CC_DYNLIB_FN (cc_dynlib_curl, CURLcode, curl_easy_perform, (CURL * curl), (curl))
CC_DYNLIB_FN (cc_dynlib_curl, const char *, curl_easy_strerror, (CURLcode code), (code))
CC_DYNLIB_FN (cc_dynlib_curl, char *, curl_easy_escape, (CURL * curl, const char *s, int len), (curl, s, len))
CC_DYNLIB_VOID_FN (cc_dynlib_curl, curl_free, (void *p), (p))
CC_DYNLIB_FN (cc_dynlib_curl, struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s))
CC_DYNLIB_VOID_FN (cc_dynlib_curl, curl_slist_free_all, (struct curl_slist * l), (l))
CC_DYNLIB_FN (cc_dynlib_curl, CURLHcode, curl_easy_header,
              (CURL * curl, const char *name, size_t index, unsigned int origin, int request, struct curl_header **h),
              (curl, name, index, origin, request, h))

/* The two variadic functions take exactly one argument after the option
   (curl.h's macros insist on it); it is passed on with the type libcurl
   reads for the option's range.  The parentheses around the names keep
   curl.h's type-checking macros out.  */

typedef CURLcode (*setopt_fn) (CURL *, CURLoption, ...);
typedef CURLcode (*getinfo_fn) (CURL *, CURLINFO, ...);
typedef void (*any_fn) (void);

CURLcode (curl_easy_setopt) (CURL *curl, CURLoption option, ...)
{
  static void *cache;
  setopt_fn real = (setopt_fn)cc_dynlib_resolve (&cc_dynlib_curl, "curl_easy_setopt", &cache);
  CURLcode rc;
  va_list ap;

  va_start (ap, option);
  if (option < CURLOPTTYPE_OBJECTPOINT)
    rc = real (curl, option, va_arg (ap, long));
  else if (option < CURLOPTTYPE_FUNCTIONPOINT)
    rc = real (curl, option, va_arg (ap, void *));
  else if (option < CURLOPTTYPE_OFF_T)
    rc = real (curl, option, va_arg (ap, any_fn));
  else if (option < CURLOPTTYPE_BLOB)
    rc = real (curl, option, va_arg (ap, curl_off_t));
  else
    rc = real (curl, option, va_arg (ap, void *));
  va_end (ap);
  return rc;
}

CURLcode (curl_easy_getinfo) (CURL *curl, CURLINFO info, ...)
{
  static void *cache;
  getinfo_fn real = (getinfo_fn)cc_dynlib_resolve (&cc_dynlib_curl, "curl_easy_getinfo", &cache);
  CURLcode rc;
  va_list ap;

  /* Every CURLINFO_* argument is a pointer to where the answer goes.  */
  va_start (ap, info);
  rc = real (curl, info, va_arg (ap, void *));
  va_end (ap);
  return rc;
}
