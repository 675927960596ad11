#include "tool.h"

#include <stdarg.h>
#include <stdio.h>

int
cc_usage_errorv (const char *cmd, const char *fmt, va_list ap)
{
  fprintf (stderr, "ccompose%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, "\nRun 'ccompose%s%s --help' for usage.\n", cmd ? " " : "", cmd ? cmd : "");
  return CC_EXIT_USAGE;
}

int
cc_usage_error (const char *cmd, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = cc_usage_errorv (cmd, fmt, ap);
  va_end (ap);
  return ret;
}

int
cc_exit_failure (cc_error_t *err)
{
  cc_error_print (err);
  cc_error_release (err);
  return CC_EXIT_FAILURE;
}
