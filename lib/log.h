/* Logging with levels, to stderr: the one way code below the CLI speaks
   to the user (errors are returned, not printed).  */
#ifndef CC_LIB_LOG_H
#define CC_LIB_LOG_H

#include <stdbool.h>

enum cc_log_level
{
  CC_LOG_DEBUG,
  CC_LOG_INFO,
  CC_LOG_WARNING,
  CC_LOG_ERROR,
  CC_LOG_FATAL,
};

extern enum cc_log_level cc_log_threshold;

/* Accepts Docker's names: debug, info, warn(ing), error, fatal.  */
int cc_log_set_level (const char *name);
void cc_log (enum cc_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* What a command says on its way, whatever the level: progress lines,
   advice.  To stderr as given, one line each.  */
void cc_notice (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#define cc_debug(...) cc_log (CC_LOG_DEBUG, __VA_ARGS__)
#define cc_info(...) cc_log (CC_LOG_INFO, __VA_ARGS__)
#define cc_warn(...) cc_log (CC_LOG_WARNING, __VA_ARGS__)

#endif
