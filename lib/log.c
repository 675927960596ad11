#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "cleanup.h"
#include "json.h"
#include "xalloc.h"

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

enum cc_progress_mode cc_progress_mode = CC_LOG_PROGRESS_PLAIN;

static const struct
{
  const char *name;
  enum cc_progress_mode mode;
} progress_modes[] = {
  { "auto", CC_LOG_PROGRESS_PLAIN }, { "tty", CC_LOG_PROGRESS_PLAIN },   { "plain", CC_LOG_PROGRESS_PLAIN },
  { "json", CC_LOG_PROGRESS_JSON },  { "quiet", CC_LOG_PROGRESS_QUIET },
};

int
cc_progress_set_mode (const char *name)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (progress_modes); i++)
    if (strcmp (name, progress_modes[i].name) == 0)
      {
        cc_progress_mode = progress_modes[i].mode;
        return 0;
      }
  return -1;
}

static void
progress (const char *kind, const char *name, const char *what, bool aligned)
{
  cleanup_cjson cJSON *o = NULL;
  cleanup_free char *id = NULL, *text = NULL;

  if (cc_progress_mode == CC_LOG_PROGRESS_QUIET)
    return;
  if (cc_progress_mode == CC_LOG_PROGRESS_PLAIN)
    {
      if (aligned)
        fprintf (stderr, " \u2714 %-9s %-32s %s\n", kind, name, what);
      else
        fprintf (stderr, " \u2714 %s %s  %s\n", kind, name, what);
      return;
    }
  o = cJSON_CreateObject ();
  id = xasprintf ("%s %s", kind, name);
  cc_json_set_string (o, "id", id);
  cc_json_set_string (o, "status", what);
  text = cJSON_PrintUnformatted (o);
  fprintf (stderr, "%s\n", text ? text : "{}");
}

void
cc_progress (const char *kind, const char *name, const char *what)
{
  progress (kind, name, what, true);
}

void
cc_progress_compact (const char *kind, const char *name, const char *what)
{
  progress (kind, name, what, false);
}
