/* ccompose: the one error type, carried up with context.  */
#ifndef CC_LIB_ERROR_H
#define CC_LIB_ERROR_H

#include <stdarg.h>

struct cc_error_s
{
  int status; /* errno-style cause, 0 when there is none */
  char *msg;  /* the whole chain, outermost context first */
};
typedef struct cc_error_s *cc_error_t;

/* Set *ERR (which must be NULL) and return -1; one line to fail:
   return cc_error_make (err, errno, "open `%s`", path);  */
int cc_error_make (cc_error_t *err, int status, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
int cc_error_makev (cc_error_t *err, int status, const char *fmt, va_list ap) __attribute__ ((format (printf, 3, 0)));

/* Prefix the message of *ERR with context and return -1.  */
int cc_error_wrap (cc_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* "msg: strerror(status)", freshly allocated.  */
char *cc_error_string (const cc_error_t err);

/* Print once at the top: "ccompose: msg: strerror".  */
void cc_error_print (cc_error_t *err);

void cc_error_release (cc_error_t *err);

/* Collects errors and keeps going (teardown): each one is appended.  */
void cc_error_append (cc_error_t *list, cc_error_t *err);

static inline void
cleanup_error_fn (cc_error_t *err)
{
  cc_error_release (err);
}
#define cleanup_error __attribute__ ((cleanup (cleanup_error_fn)))

#endif
