/* Reading and following container logs (engine/logs.c).  Part of the
   engine's public interface, kept apart from engine.h for its size.  */
#ifndef CC_ENGINE_LOGS_H
#define CC_ENGINE_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

struct cc_log_line
{
  const char *container;
  int index;          /* position of the container in the list given */
  const char *stream; /* stdout | stderr */
  const char *time;   /* RFC 3339, or NULL */
  const char *text;   /* without the newline; LEN bytes */
  size_t len;
};

typedef void (*cc_log_fn) (void *opaque, const struct cc_log_line *line);

struct cc_log_opts
{
  bool follow;
  bool keep_following;       /* follow even when every container has stopped */
  int64_t settle_ms;         /* every container stopped this long: the follow ends */
  int64_t tail;              /* < 0: everything */
  const char *since, *until; /* RFC 3339 bounds, or NULL */
  cc_log_fn fn;
  bool (*should_stop) (void *opaque);
  void *opaque;
};

/* The label Compose prints container NAME's lines under (ENTRY: its
   record in the project's state): its name without the project
   ("web-1"), or the whole name when it is not the default one (a
   container_name, a one-off container).  */
struct cJSON;
char *cc_engine_log_label (const char *project, const char *name, const struct cJSON *entry);

/* Print the logs of NAMES through FN; with FOLLOW, go on until every
   container stopped for good (or SHOULD_STOP says so).  */
int cc_engine_logs (char *const *names, const struct cc_log_opts *o, cc_error_t *err);

/* `up` without -d: cc_engine_up, then the logs of the containers it runs
   (attach.c).  Ctrl-C during either stops what this up started (a second
   one kills); so does the first container to stop with ABORT_ON_EXIT
   (to fail, with ABORT_ON_FAILURE).  Returns 0, 130 after Ctrl-C, the
   exit code of EXIT_CODE_FROM's container when given, else that of the
   container that stopped the others, or -1.  */
struct cc_watch_opts;
struct cc_up_attach
{
  char **attach, **no_attach;           /* --attach (NULL: every service), --no-attach */
  bool abort_on_exit, abort_on_failure; /* the latter: only an exit other than 0 */
  const char *exit_code_from;
  int64_t timeout_ms; /* stop timeout; < 0: each container's */
  /* Before the first line: "service-N" of each attached container (the
     line's index) and the index of its service in the project.  */
  void (*attaching) (void *opaque, char *const *labels, const int *service_index);
  cc_log_fn print;
  void *opaque;
  const char *since; /* set by the engine: when this up began */
  /* --watch: the develop.watch rules followed while attached (NULL: not) */
  const struct cc_watch_opts *watch;
};
struct cc_project;
struct cc_up_opts;
int cc_engine_up_attached (const struct cc_project *p, struct cc_up_opts *up, struct cc_up_attach *o, cc_error_t *err);

/* `attach`: the output of running container NAME from now on through FN
   until it stops; a signal to us is passed on to it (SIG_PROXY) or ends
   the attach.  A container with a terminal or a kept stdin is reached
   through its monitor instead: our stdin in (unless NO_STDIN) until
   DETACH_KEYS (NULL: ctrl-p,ctrl-q), its output as bytes to our stdout
   (FN unused).  Its exit code, or 0 when it still runs (control.c).  */
struct cc_attach_opts
{
  bool sig_proxy;
  bool no_stdin;
  const char *detach_keys;
  cc_log_fn fn;
  void *opaque;
};
int cc_engine_attach (const char *name, const struct cc_attach_opts *o, cc_error_t *err);
/* Checks Docker's --detach-keys syntax.  */
int cc_engine_check_detach_keys (const char *keys, cc_error_t *err);

#endif
