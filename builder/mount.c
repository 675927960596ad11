/* RUN --mount values (BuildKit 1.7 instructions/commands_runmount.go):
   one CSV record (Go's encoding/csv: `"` quoting with `""` inside, no
   bare quotes in unquoted fields), each field `key=value` or a bare
   flag (ro, rw, readonly, readwrite, required).  Keys are case-
   insensitive; values are substituted like other words at evaluation,
   except `from`, which may not hold a variable at all (a stage alias is
   the way).  Checks run in the order BuildKit runs them, so `required`
   before `type=secret` is an error as there.  Defaults: type bind, read-
   only for bind/secret/ssh and read-write for cache/tmpfs; mode, uid and
   gid only for secret, ssh and cache; `sharing` only for cache.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/internal.h"
#include "lib/cleanup.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const struct
{
  const char *name;
  enum cc_builder_mount_type type;
} mount_types[] = {
  { "bind", CC_MOUNT_BIND },     { "cache", CC_MOUNT_CACHE }, { "tmpfs", CC_MOUNT_TMPFS },
  { "secret", CC_MOUNT_SECRET }, { "ssh", CC_MOUNT_SSH },
};

static const char *
type_name (enum cc_builder_mount_type t)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (mount_types); i++)
    if (mount_types[i].type == t)
      return mount_types[i].name;
  return "?";
}

static const char *const all_keys[] = { "type", "from", "source", "target", "readonly", "id", "sharing", "required",
                                        "mode", "uid",  "gid",    "src",    "dst",      "ro", "rw",      "readwrite" };

/* encoding/csv, first record, default options.  */
static int
csv_fields (const char *s, char ***out, char **errmsg)
{
  struct cc_bld_vec fields = { 0 };
  const char *p = s;

  if (*s == '\0')
    {
      *errmsg = xstrdup ("EOF");
      return -1;
    }
  for (;;)
    {
      cleanup_buf struct cc_buf f = { 0 };
      cc_buf_puts (&f, "");
      if (*p == '"')
        {
          p++;
          for (;;)
            {
              if (*p == '\0')
                {
                  *errmsg = xasprintf ("parse error on line 1, column %zu: extraneous or missing \" in quoted-field",
                                       (size_t)(p - s) + 1);
                  cc_bld_vec_release (&fields);
                  return -1;
                }
              if (*p == '"' && p[1] == '"')
                {
                  cc_buf_putc (&f, '"');
                  p += 2;
                  continue;
                }
              if (*p == '"')
                {
                  p++;
                  break;
                }
              cc_buf_putc (&f, *p++);
            }
          if (*p != ',' && *p != '\0' && *p != '\n' && ! (*p == '\r' && p[1] == '\n'))
            {
              *errmsg = xasprintf ("parse error on line 1, column %zu: extraneous or missing \" in quoted-field",
                                   (size_t)(p - s) + 1);
              cc_bld_vec_release (&fields);
              return -1;
            }
        }
      else
        {
          while (*p && *p != ',' && *p != '\n' && ! (*p == '\r' && p[1] == '\n'))
            {
              if (*p == '"')
                {
                  *errmsg = xasprintf ("parse error on line 1, column %zu: bare \" in non-quoted-field",
                                       (size_t)(p - s) + 1);
                  cc_bld_vec_release (&fields);
                  return -1;
                }
              cc_buf_putc (&f, *p++);
            }
        }
      cc_bld_vec_push (&fields, cc_buf_steal (&f));
      if (*p != ',')
        break;
      p++;
    }
  *out = cc_bld_vec_steal (&fields);
  return 0;
}

static int
parse_bool (const char *s, bool *out)
{
  static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
  static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

  for (size_t i = 0; i < CC_N_ELEMENTS (yes); i++)
    if (strcmp (s, yes[i]) == 0)
      return *out = true, 0;
  for (size_t i = 0; i < CC_N_ELEMENTS (no); i++)
    if (strcmp (s, no[i]) == 0)
      return *out = false, 0;
  return -1;
}

/* strconv.ParseUint (base 8 or 10, 32 bits).  */
static int
parse_uint32 (const char *s, int base, uint32_t *out)
{
  unsigned long long v = 0;

  if (*s == '\0')
    return -1;
  for (const char *p = s; *p; p++)
    {
      int d = *p - '0';
      if (*p == '_' || d < 0 || d >= base)
        return -1;
      v = v * (unsigned)base + (unsigned)d;
      if (v > UINT32_MAX)
        return -1;
    }
  *out = (uint32_t)v;
  return 0;
}

/* A bare field (no `=`): only the flags.  */
static int
bare_field (struct cc_builder_mount *m, const char *key, const char *field, bool *ro_auto, cc_error_t *err)
{
  if (strcmp (key, "readonly") == 0 || strcmp (key, "ro") == 0)
    m->readonly = true, *ro_auto = false;
  else if (strcmp (key, "readwrite") == 0 || strcmp (key, "rw") == 0)
    m->readonly = false, *ro_auto = false;
  else if (strcmp (key, "required") == 0)
    {
      if (m->type != CC_MOUNT_SECRET && m->type != CC_MOUNT_SSH)
        return cc_error_make (err, 0, "unexpected key '%s' for mount type '%s'", key, type_name (m->type));
      m->required = true;
    }
  else
    return cc_error_make (err, 0, "invalid field '%s' must be a key=value pair", field);
  return 0;
}

static int
key_value (struct cc_builder_mount *m, const char *key, const char *value, const char *field, bool *ro_auto,
           char **sharing, cc_error_t *err)
{
  bool b;

  if (strcmp (key, "type") == 0)
    {
      for (size_t i = 0; i < CC_N_ELEMENTS (mount_types); i++)
        if (strcasecmp (value, mount_types[i].name) == 0)
          {
            m->type = mount_types[i].type;
            return 0;
          }
      {
        const char *names[CC_N_ELEMENTS (mount_types)];
        cleanup_free char *cased = NULL;
        for (size_t i = 0; i < CC_N_ELEMENTS (mount_types); i++)
          names[i] = mount_types[i].name;
        if (cc_bld_suggest (value, names, CC_N_ELEMENTS (names), true, &cased))
          return cc_error_make (err, 0, "unsupported mount type \"%s\" (did you mean %s?)", value, cased);
        return cc_error_make (err, 0, "unsupported mount type \"%s\"", value);
      }
    }
  if (strcmp (key, "from") == 0)
    return free (m->from_image), m->from_image = xstrdup (value), 0;
  if (strcmp (key, "source") == 0 || strcmp (key, "src") == 0)
    return free (m->source), m->source = xstrdup (value), 0;
  if (strcmp (key, "target") == 0 || strcmp (key, "dst") == 0 || strcmp (key, "destination") == 0)
    return free (m->target), m->target = xstrdup (value), 0;
  if (strcmp (key, "readonly") == 0 || strcmp (key, "ro") == 0 || strcmp (key, "readwrite") == 0
      || strcmp (key, "rw") == 0)
    {
      if (parse_bool (value, &b) < 0)
        return cc_error_make (err, 0, "invalid value for %s: %s", key, value);
      m->readonly = (key[0] == 'r' && key[1] == 'o') || strcmp (key, "readonly") == 0 ? b : ! b;
      *ro_auto = false;
      return 0;
    }
  if (strcmp (key, "required") == 0)
    {
      if (m->type != CC_MOUNT_SECRET && m->type != CC_MOUNT_SSH)
        return cc_error_make (err, 0, "unexpected key '%s' for mount type '%s'", key, type_name (m->type));
      if (parse_bool (value, &m->required) < 0)
        return cc_error_make (err, 0, "invalid value for %s: %s", key, value);
      return 0;
    }
  if (strcmp (key, "size") == 0)
    {
      if (m->type != CC_MOUNT_TMPFS)
        return cc_error_make (err, 0, "unexpected key '%s' for mount type '%s'", key, type_name (m->type));
      if (cc_bld_ram_in_bytes (value, &m->size) < 0)
        return cc_error_make (err, 0, "invalid value for %s: %s", key, value);
      return 0;
    }
  if (strcmp (key, "id") == 0)
    return free (m->id), m->id = xstrdup (value), 0;
  if (strcmp (key, "sharing") == 0)
    {
      static const char *const modes[] = { "shared", "private", "locked" };
      for (size_t i = 0; i < CC_N_ELEMENTS (modes); i++)
        if (strcasecmp (value, modes[i]) == 0)
          {
            m->sharing = (enum cc_builder_sharing)i;
            free (*sharing);
            *sharing = xstrdup (modes[i]);
            return 0;
          }
      {
        cleanup_free char *cased = NULL;
        if (cc_bld_suggest (value, modes, CC_N_ELEMENTS (modes), true, &cased))
          return cc_error_make (err, 0, "unsupported sharing value \"%s\" (did you mean %s?)", value, cased);
        return cc_error_make (err, 0, "unsupported sharing value \"%s\"", value);
      }
    }
  if (strcmp (key, "mode") == 0)
    {
      if (parse_uint32 (value, 8, &m->mode) < 0)
        return cc_error_make (err, 0, "invalid value %s for mode", value);
      m->has_mode = true;
      return 0;
    }
  if (strcmp (key, "uid") == 0 || strcmp (key, "gid") == 0)
    {
      uint32_t v;
      if (parse_uint32 (value, 10, &v) < 0)
        return cc_error_make (err, 0, "invalid value %s for %s", value, key);
      if (key[0] == 'u')
        m->uid = v, m->has_uid = true;
      else
        m->gid = v, m->has_gid = true;
      return 0;
    }
  {
    cleanup_free char *cased = NULL;
    (void)field;
    if (cc_bld_suggest (key, all_keys, CC_N_ELEMENTS (all_keys), true, &cased))
      return cc_error_make (err, 0, "unexpected key '%s' in '%s' (did you mean %s?)", key, field, cased);
    return cc_error_make (err, 0, "unexpected key '%s' in '%s'", key, field);
  }
}

/* What BuildKit checks once every field is read.  */
static int
check_mount (struct cc_builder_mount *m, bool ro_auto, const char *sharing, cc_error_t *err)
{
  bool file_info = m->type == CC_MOUNT_SECRET || m->type == CC_MOUNT_SSH || m->type == CC_MOUNT_CACHE;

  if (! file_info)
    {
      if (m->has_mode)
        return cc_error_make (err, 0, "mode not allowed for \"%s\" type mounts", type_name (m->type));
      if (m->has_uid)
        return cc_error_make (err, 0, "uid not allowed for \"%s\" type mounts", type_name (m->type));
      if (m->has_gid)
        return cc_error_make (err, 0, "gid not allowed for \"%s\" type mounts", type_name (m->type));
    }
  if (ro_auto)
    m->readonly = ! (m->type == CC_MOUNT_CACHE || m->type == CC_MOUNT_TMPFS);
  if (m->type == CC_MOUNT_SECRET)
    {
      if (m->from_image && *m->from_image)
        return cc_error_make (err, 0, "secret mount should not have a from");
      if (sharing)
        return cc_error_make (err, 0, "secret mount should not define sharing");
      if ((m->source == NULL || ! *m->source) && (m->target == NULL || ! *m->target) && (m->id == NULL || ! *m->id))
        return cc_error_make (err, 0, "invalid secret mount. one of source, target required");
      if (m->source && *m->source && m->id && *m->id)
        return cc_error_make (err, 0, "both source and id can't be set");
    }
  if (sharing && m->type != CC_MOUNT_CACHE)
    return cc_error_make (err, 0, "invalid cache sharing set for %s mount", type_name (m->type));
  return 0;
}

/* `from` may not hold a variable: regexp `\$.`.  */
static bool
has_variable (const char *s)
{
  const char *d = strchr (s, '$');

  while (d && d[1] == '\n')
    d = strchr (d + 1, '$');
  return d && d[1] != '\0';
}

int
cc_bld_mount_parse (const char *value, struct cc_bld_lexer *lx, const struct cc_bld_vars *env,
                    struct cc_builder_mount *m, char **from_raw, cc_error_t *err)
{
  cleanup_strv char **fields = NULL;
  cleanup_free char *errmsg = NULL;
  cleanup_free char *sharing = NULL;
  bool ro_auto = true;

  memset (m, 0, sizeof (*m));
  m->from_stage = -1;
  if (csv_fields (value, &fields, &errmsg) < 0)
    return cc_error_make (err, 0, "failed to parse csv mounts: %s", errmsg);
  for (size_t i = 0; fields[i]; i++)
    {
      const char *eq = strchr (fields[i], '=');
      cleanup_free char *key = eq ? xstrndup (fields[i], (size_t)(eq - fields[i])) : xstrdup (fields[i]);
      cleanup_free char *val = NULL;
      for (char *c = key; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
          *c = (char)(*c - 'A' + 'a');
      if (eq == NULL)
        {
          /* Parse time leaves the flags for later.  */
          if (lx == NULL)
            continue;
          if (bare_field (m, key, fields[i], &ro_auto, err) < 0)
            return -1;
          continue;
        }
      if (lx == NULL)
        {
          if (strcmp (key, "from") != 0)
            continue;
          if (has_variable (eq + 1))
            return cc_error_make (err, 0, "'%s' doesn't support variable expansion, define alias stage instead", key);
          if (from_raw)
            {
              free (*from_raw);
              *from_raw = xstrdup (eq + 1);
            }
          continue;
        }
      if (cc_bld_lex_word (lx, eq + 1, env, &val, err) < 0)
        return -1;
      if (key_value (m, key, val, fields[i], &ro_auto, &sharing, err) < 0)
        return -1;
    }
  if (lx == NULL)
    return 0;
  return check_mount (m, ro_auto, sharing, err);
}

void
cc_bld_mount_release (struct cc_builder_mount *m)
{
  free (m->target);
  free (m->source);
  free (m->from_image);
  free (m->id);
  memset (m, 0, sizeof (*m));
}
