/* Docker's logging drivers as ccompose honours them (issue 15): which
   options each takes, the `tag` template and the extra attributes
   (`labels`, `env` and their -regex forms) a record carries.  Pure:
   compose/service.c checks a service's options with it, the engine
   fills the container's spec with it.  */
#ifndef CC_COMPOSE_LOGGING_H
#define CC_COMPOSE_LOGGING_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "compose/service.h"

struct cc_log_driver
{
  const char *name;
  const char *const *options; /* the driver's own; NULL: it takes any (none) */
  int64_t max_size;           /* defaults when the options leave them out */
  int max_file;
  bool compress;
  bool readable; /* `logs` reads it back */
};

/* The driver NAME (NULL: json-file, Docker's default), or NULL when
   ccompose has none of that name.  */
const struct cc_log_driver *cc_log_driver_find (const char *name);

/* Whether D takes OPTION: its own, or `mode` and `max-buffer-size`,
   which every driver takes.  */
bool cc_log_driver_takes (const struct cc_log_driver *d, const char *option);

/* Go's strconv.ParseBool, which Docker reads boolean options with.  */
bool cc_log_parse_bool (const char *text, bool *out);

/* What a `tag` template may name.  */
struct cc_log_tag_info
{
  const char *id;         /* 64 hex */
  const char *name;       /* the container's name */
  const char *image_name; /* as the service names it */
  const char *image_id;   /* "sha256:<64 hex>" */
};

/* TEMPLATE with each {{.Field}} replaced, as Docker's loggerutils
   expands it (fields only: {{.ID}}, {{.FullID}}, {{.Name}},
   {{.ImageName}}, {{.ImageID}}, {{.ImageFullID}}, {{.DaemonName}}).
   NULL and *WHY set for anything else.  INFO NULL: only checks.  */
char *cc_log_tag_expand (const char *template, const struct cc_log_tag_info *info, char **why);

/* syslog-facility: a name or 0-23 (Docker's parseFacility), or -1.  */
int cc_log_syslog_facility (const char *name);
bool cc_log_syslog_format_ok (const char *format);
/* NULL, or why ADDRESS is not one ccompose connects to.  */
char *cc_log_syslog_address_check (const char *address);

/* Checks a `labels-regex` or `env-regex` value; NULL or why not.  */
char *cc_log_regex_check (const char *regex);

/* The attributes Docker adds to each record (its ExtraAttributes): the
   container LABELS (NAME -> string) named by `labels` or matching
   `labels-regex`, the variables of ENV ("NAME=VALUE") named by `env` or
   matching `env-regex`, and TAG when not NULL; "NAME=VALUE", sorted by
   name, NULL when there is none.  */
char **cc_log_attrs (const struct cc_kv_list *options, const cJSON *labels, char *const *env, const char *tag);

#endif
