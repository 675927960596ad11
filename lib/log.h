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

/* How progress lines are shown (--progress, COMPOSE_PROGRESS): as
   lines (auto, tty and plain alike: no cursor games), one JSON object
   each as Docker Compose's json writer prints them, or not at all.  */
enum cc_progress_mode
{
  CC_LOG_PROGRESS_PLAIN,
  CC_LOG_PROGRESS_JSON,
  CC_LOG_PROGRESS_QUIET,
};
extern enum cc_progress_mode cc_progress_mode;
/* auto, tty, plain, json, quiet; -1 for another name.  */
int cc_progress_set_mode (const char *name);
/* " ✔ Container web-1  Started", or {"id":"Container web-1","status":"Started"}.  */
void cc_progress (const char *kind, const char *name, const char *what);
/* The same with one space between kind and name, two before what (the
   lines of stop, kill, rm, pause: " ✔ Container web-1  Killed").  */
void cc_progress_compact (const char *kind, const char *name, const char *what);

#define cc_debug(...) cc_log (CC_LOG_DEBUG, __VA_ARGS__)
#define cc_info(...) cc_log (CC_LOG_INFO, __VA_ARGS__)
#define cc_warn(...) cc_log (CC_LOG_WARNING, __VA_ARGS__)

#endif
