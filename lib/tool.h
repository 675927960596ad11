/* The low-level tools, `ccompose runtime ...` and `ccompose netdev ...`:
   hidden commands for tests, benchmarks and debugging that drive one
   part's own API directly (a container without a project, a bridge
   without a container).  Each part parses its tool's subcommands next to
   the API they exercise (runtime/tool.c, network/tool.c); the engine
   registers them (engine/tools.c) and the CLI hands them its arguments.  */
#ifndef CC_LIB_TOOL_H
#define CC_LIB_TOOL_H

#include <stdarg.h>

#include "error.h"

/* Exit codes, as Docker Compose's: 0 success, 1 failure, 2 usage error.  */
enum
{
  CC_EXIT_OK = 0,
  CC_EXIT_FAILURE = 1,
  CC_EXIT_USAGE = 2,
};

/* A tool: ARGV[0] is its name; PROJECT is the global -p (may be NULL).  */
typedef int (*cc_tool_fn) (const char *project, int argc, char **argv);

/* "ccompose CMD: MSG" and a hint on stderr; returns CC_EXIT_USAGE.  */
int cc_usage_error (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
int cc_usage_errorv (const char *cmd, const char *fmt, va_list ap) __attribute__ ((format (printf, 2, 0)));
/* Print *ERR once, release it, return CC_EXIT_FAILURE.  */
int cc_exit_failure (cc_error_t *err);

#endif
