/* Docker's logging drivers as ccompose honours them (issue 15); see
   compose/logging.h.  The option lists are the daemon's ValidateLogOpt
   of each driver: an option a driver does not take is an error there,
   so it is one here, at file:line:col.  */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "compose/logging.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char *const json_file_options[]
    = { "max-size", "max-file", "compress", "labels", "labels-regex", "env", "env-regex", "tag", NULL };
static const char *const local_options[] = { "max-size", "max-file", "compress", NULL };
/* Docker's syslog options, and its dual-logging cache's.  */
static const char *const syslog_options[] = { "syslog-address",
                                              "syslog-facility",
                                              "syslog-format",
                                              "tag",
                                              "labels",
                                              "labels-regex",
                                              "env",
                                              "env-regex",
                                              "cache-disabled",
                                              "cache-max-size",
                                              "cache-max-file",
                                              "cache-compress",
                                              NULL };

static const struct cc_log_driver drivers[] = {
  { "json-file", json_file_options, 0, 1, false, true },
  /* Docker's local driver keeps 5 files of 20 MB, compressed.  */
  { "local", local_options, 20 * 1024 * 1024, 5, true, true },
  /* Docker validates no option of `none`.  */
  { "none", NULL, 0, 1, false, false },
  /* The cache `logs` reads: Docker's local driver defaults.  */
  { "syslog", syslog_options, 20 * 1024 * 1024, 5, true, true },
};

const struct cc_log_driver *
cc_log_driver_find (const char *name)
{
  for (size_t i = 0; i < sizeof (drivers) / sizeof (drivers[0]); i++)
    if (strcmp (drivers[i].name, name ? name : "json-file") == 0)
      return &drivers[i];
  return NULL;
}

bool
cc_log_driver_takes (const struct cc_log_driver *d, const char *option)
{
  if (d->options == NULL || strcmp (option, "mode") == 0 || strcmp (option, "max-buffer-size") == 0)
    return true;
  for (const char *const *o = d->options; *o; o++)
    if (strcmp (*o, option) == 0)
      return true;
  return false;
}

bool
cc_log_parse_bool (const char *text, bool *out)
{
  static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True", NULL };
  static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False", NULL };

  for (size_t i = 0; yes[i]; i++)
    if (strcmp (text, yes[i]) == 0 || strcmp (text, no[i]) == 0)
      {
        *out = strcmp (text, yes[i]) == 0;
        return true;
      }
  return false;
}

/* ---- tag ---------------------------------------------------------------------------- */

static char *
short_id (const char *id)
{
  const char *colon = id ? strchr (id, ':') : NULL;
  const char *hex = colon ? colon + 1 : id ? id : "";

  return xstrndup (hex, 12);
}

static char *
tag_field (const char *field, const struct cc_log_tag_info *i)
{
  static const char *const fields[]
      = { "ID", "FullID", "Name", "ImageName", "ImageID", "ImageFullID", "DaemonName", NULL };
  size_t k = 0;

  while (fields[k] && strcmp (fields[k], field) != 0)
    k++;
  if (fields[k] == NULL)
    return NULL;
  if (i == NULL)
    return xstrdup ("");
  switch (k)
    {
    case 0:
      return short_id (i->id);
    case 1:
      return xstrdup (i->id ?: "");
    case 2:
      return xstrdup (i->name ?: "");
    case 3:
      return xstrdup (i->image_name ?: "");
    case 4:
      return short_id (i->image_id);
    case 5:
      return xstrdup (i->image_id ?: "");
    default:
      return xstrdup ("ccompose");
    }
}

/* The field named by ACTION ("{{ .Name }}" without the braces).  */
static char *
expand_action (const char *action, size_t len, const struct cc_log_tag_info *info, char **why)
{
  cleanup_free char *a = NULL;
  char *start, *end, *v;

  a = xstrndup (action, len);
  start = a + strspn (a, " \t");
  end = start + strlen (start);
  while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
    *--end = '\0';
  v = *start == '.' ? tag_field (start + 1, info) : NULL;
  if (v == NULL)
    *why = xasprintf ("unsupported template action `{{%s}}` (ccompose expands {{.ID}}, {{.FullID}}, {{.Name}}, "
                      "{{.ImageName}}, {{.ImageID}}, {{.ImageFullID}} and {{.DaemonName}})",
                      a);
  return v;
}

char *
cc_log_tag_expand (const char *template, const struct cc_log_tag_info *info, char **why)
{
  struct cc_buf b = { 0 };
  const char *p = template;

  while (*p)
    {
      const char *open = strstr (p, "{{"), *close;
      cleanup_free char *v = NULL;
      if (open == NULL)
        {
          cc_buf_puts (&b, p);
          break;
        }
      cc_buf_append (&b, p, (size_t)(open - p));
      close = strstr (open + 2, "}}");
      if (close == NULL)
        *why = xstrdup ("unclosed `{{` in the template");
      else
        v = expand_action (open + 2, (size_t)(close - open - 2), info, why);
      if (v == NULL)
        {
          cc_buf_reset (&b);
          return NULL;
        }
      cc_buf_puts (&b, v);
      p = close + 2;
    }
  return b.data ? cc_buf_steal (&b) : xstrdup ("");
}

/* ---- syslog ------------------------------------------------------------------------- */

int
cc_log_syslog_facility (const char *name)
{
  static const char *const names[]
      = { "kern",   "user",     "mail",   "daemon", "auth",   "syslog", "lpr", "news",   "uucp",
          "cron",   "authpriv", "ftp",    "",       "",       "",       "",    "local0", "local1",
          "local2", "local3",   "local4", "local5", "local6", "local7", NULL };
  char *end;
  long n;

  for (int i = 0; names[i]; i++)
    if (*names[i] && strcmp (names[i], name) == 0)
      return i;
  n = strtol (name, &end, 10);
  return *name && *end == '\0' && n >= 0 && n <= 23 ? (int)n : -1;
}

bool
cc_log_syslog_format_ok (const char *format)
{
  return strcmp (format, "rfc3164") == 0 || strcmp (format, "rfc5424") == 0 || strcmp (format, "rfc5424micro") == 0;
}

char *
cc_log_syslog_address_check (const char *address)
{
  static const char *const schemes[] = { "udp://", "tcp://", "unix://", "unixgram://", NULL };

  if (strncmp (address, "tcp+tls://", 10) == 0)
    return xstrdup ("syslog over TLS (tcp+tls://) is not supported by ccompose");
  for (size_t i = 0; schemes[i]; i++)
    if (strncmp (address, schemes[i], strlen (schemes[i])) == 0)
      return address[strlen (schemes[i])] ? NULL : xasprintf ("syslog address `%s` names nothing", address);
  return xasprintf ("unsupported syslog address `%s` (udp://, tcp://, unix:// or unixgram://)", address);
}

/* ---- extra attributes ----------------------------------------------------------------- */

char *
cc_log_regex_check (const char *regex)
{
  regex_t re;
  int r = regcomp (&re, regex, REG_EXTENDED | REG_NOSUB);
  char msg[256];

  if (r == 0)
    {
      regfree (&re);
      return NULL;
    }
  regerror (r, &re, msg, sizeof (msg));
  return xasprintf ("invalid regular expression `%s`: %s", regex, msg);
}

/* KEY=VALUE into OUT (a JSON object: a later one replaces an earlier,
   as in Docker's map).  */
static void
add_named (cJSON *out, const cJSON *from, const char *names)
{
  cleanup_strv char **list = names ? cc_strv_split (names, ',', true) : NULL;

  for (char **n = list; n && *n; n++)
    {
      const char *v = cc_json_get_string (from, *n);
      if (v)
        cc_json_set_string (out, *n, v);
    }
}

static void
add_matching (cJSON *out, const cJSON *from, const char *regex)
{
  regex_t re;

  if (regex == NULL || *regex == '\0' || regcomp (&re, regex, REG_EXTENDED | REG_NOSUB) != 0)
    return;
  for (const cJSON *it = from ? from->child : NULL; it; it = it->next)
    if (cJSON_IsString (it) && regexec (&re, it->string, 0, NULL, 0) == 0)
      cc_json_set_string (out, it->string, it->valuestring);
  regfree (&re);
}

static cJSON *
env_object (char *const *env)
{
  cJSON *o = cJSON_CreateObject ();

  for (char *const *e = env; e && *e; e++)
    {
      const char *eq = strchr (*e, '=');
      cleanup_free char *name = eq ? xstrndup (*e, (size_t)(eq - *e)) : NULL;
      if (name)
        cc_json_set_string (o, name, eq + 1);
    }
  return o;
}

char **
cc_log_attrs (const struct cc_kv_list *options, const cJSON *labels, char *const *env, const char *tag)
{
  cleanup_cjson cJSON *out = cJSON_CreateObject ();
  cleanup_cjson cJSON *vars = env_object (env);
  cleanup_strv_builder struct cc_strv_builder b = { 0 };

  add_named (out, labels, cc_kv_get (options, "labels"));
  add_matching (out, labels, cc_kv_get (options, "labels-regex"));
  add_named (out, vars, cc_kv_get (options, "env"));
  add_matching (out, vars, cc_kv_get (options, "env-regex"));
  if (tag)
    cc_json_set_string (out, "tag", tag);
  if (out->child == NULL)
    return NULL;
  /* Sorted by name, as Go's json.Marshal writes a map.  */
  cc_json_sort_keys (out);
  for (const cJSON *it = out->child; it; it = it->next)
    cc_strv_builder_push (&b, xasprintf ("%s=%s", it->string, it->valuestring));
  return cc_strv_builder_steal (&b);
}
