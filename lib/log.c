#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"

enum cc_log_level cc_log_threshold = CC_LOG_WARNING;

static const struct
{
  const char *name;
  enum cc_log_level level;
} levels[] = {
  { "debug", CC_LOG_DEBUG },     { "info", CC_LOG_INFO },   { "warn", CC_LOG_WARNING },
  { "warning", CC_LOG_WARNING }, { "error", CC_LOG_ERROR }, { "fatal", CC_LOG_FATAL },
};

static const char *const prefixes[] = {
  [CC_LOG_DEBUG] = "debug", [CC_LOG_INFO] = "info",   [CC_LOG_WARNING] = "warning",
  [CC_LOG_ERROR] = "error", [CC_LOG_FATAL] = "fatal",
};

int
cc_log_set_level (const char *name)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (levels); i++)
    if (strcasecmp (name, levels[i].name) == 0)
      {
        cc_log_threshold = levels[i].level;
        return 0;
      }
  return -1;
}

void
cc_log (enum cc_log_level level, const char *fmt, ...)
{
  va_list ap;

  if (level < cc_log_threshold)
    return;
  fprintf (stderr, "%s: ", prefixes[level]);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

void
cc_notice (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}
