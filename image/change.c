/* `image import --change INSTR`: Dockerfile instructions applied to the
   config of the imported image, as `docker import` does.  The builder's
   frontend parses and evaluates them (builder/builder.h), so a change
   means exactly what the same line means in a Dockerfile: one parser,
   one set of rules for quoting, variables and JSON forms.  The evaluation
   starts from an empty config, as Docker's does: no PATH, no working
   directory unless a change sets them.  */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/builder.h"
#include "image/internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* moby's validCommitCommands (builder/dockerfile/builder.go): what
   `docker import` and `docker commit` accept.  */
static const char *const allowed[] = {
  "CMD", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
};

/* The base the changes are evaluated on: a name no registry is asked
   for; the evaluation gets its config from base_config.  */
#define IMPORT_BASE "ccompose-import-base"

static bool
is_allowed (const char *keyword, size_t len)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (allowed); i++)
    if (strlen (allowed[i]) == len && strncasecmp (keyword, allowed[i], len) == 0)
      return true;
  return false;
}

/* One instruction per change: a newline or a trailing escape would let a
   change run into the next one, or smuggle in a second instruction.  */
static int
check_change (const char *change, cc_error_t *err)
{
  const char *p = change;
  size_t n, len = strlen (change);

  while (isspace ((unsigned char)*p))
    p++;
  n = strcspn (p, " \t");
  if (n == 0)
    return cc_error_make (err, 0, "--change: empty instruction");
  if (strpbrk (change, "\r\n") != NULL)
    return cc_error_make (err, 0, "--change `%s`: one instruction per --change, without newlines", change);
  if (len > 0 && change[len - 1] == '\\')
    return cc_error_make (err, 0, "--change `%s`: a line continuation has no next line here", change);
  if (! is_allowed (p, n))
    return cc_error_make (err, 0,
                          "--change `%s`: %.*s is not a valid change command (CMD, ENTRYPOINT, ENV, EXPOSE, "
                          "HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)",
                          change, (int)n, p);
  return 0;
}

/* OPAQUE is the config blob the changes apply to (commit: the
   container's image), or NULL for import's empty one.  */
static int
base_config (void *opaque, const char *ref, struct cc_builder_image **out, cc_error_t *err)
{
  static const char empty[] = "{\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
  const char *base = opaque ? opaque : empty;
  struct cc_builder_image *img = NULL;

  (void)ref;
  if (cc_builder_image_parse (base, strlen (base), &img, err) < 0)
    return -1;
  *out = img;
  return 0;
}

static char *
changes_text (char *const *changes)
{
  struct cc_buf b = { 0 };

  cc_buf_puts (&b, "FROM " IMPORT_BASE "\n");
  for (size_t i = 0; changes[i]; i++)
    {
      cc_buf_puts (&b, changes[i]);
      cc_buf_puts (&b, "\n");
    }
  return cc_buf_steal (&b);
}

/* The builder names the place of an error `--change:LINE:COL: ...` and
   quotes the line; line 1 is our FROM, so name the change itself.  */
static int
name_the_change (char *const *changes, cc_error_t *err)
{
  cleanup_error cc_error_t orig = steal_pointer (err);
  int line = 0, col = 0, used = 0;
  const char *msg = orig->msg;

  if (sscanf (msg, "--change:%d:%d: %n", &line, &col, &used) < 2 || used == 0 || line < 2
      || (size_t)(line - 2) >= cc_strv_len (changes))
    {
      *err = steal_pointer (&orig);
      return -1;
    }
  return cc_error_make (err, orig->status, "--change `%s`: %.*s", changes[line - 2], (int)strcspn (msg + used, "\n"),
                        msg + used);
}

/* BuildKit gives every stage the default PATH when its base has none;
   docker import's config has only what the changes set.  The default the
   evaluation added goes (the runtime supplies the same one); a PATH a
   change built from $PATH stays, expanded from that default as a
   Dockerfile would.  */
#define DEFAULT_PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void
drop_default_path (cJSON *config)
{
  cJSON *env = cJSON_GetObjectItemCaseSensitive (config, "Env"), *it;

  cJSON_ArrayForEach (it, env)
  {
    if (cJSON_IsString (it) && strcmp (it->valuestring, DEFAULT_PATH_ENV) == 0)
      {
        cJSON_Delete (cJSON_DetachItemViaPointer (env, it));
        break;
      }
  }
  if (env && cJSON_GetArraySize (env) == 0)
    cJSON_DeleteItemFromObjectCaseSensitive (config, "Env");
}

/* Whether the config blob BASE sets PATH itself (then the evaluation
   added nothing to drop).  */
static bool
has_path (const char *base)
{
  cleanup_cjson cJSON *doc = base ? cJSON_Parse (base) : NULL;
  const cJSON *env = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (doc, "config"), "Env"), *it;

  cJSON_ArrayForEach (it, env)
  {
    if (cJSON_IsString (it) && strncmp (it->valuestring, "PATH=", 5) == 0)
      return true;
  }
  return false;
}

static int
evaluate (const char *text, size_t n_changes, const char *base, cJSON **config, cc_error_t *err)
{
  cleanup_dockerfile struct cc_dockerfile *df = NULL;
  cleanup_builder_plan struct cc_builder_plan *plan = NULL;
  cleanup_builder_result struct cc_builder_result *res = NULL;
  cleanup_cjson cJSON *doc = NULL;
  const struct cc_builder_stage_result *st;
  struct cc_builder_opts opts = { 0 };

  if (cc_dockerfile_parse ("--change", text, strlen (text), &df, err) < 0)
    return -1;
  if (df->n_stages != 1 || df->stages[0].n_instrs != n_changes)
    return cc_error_make (err, 0, "--change: each change must be exactly one instruction");
  if (cc_builder_plan_new (df, &opts, &plan, err) < 0
      || cc_builder_evaluate (plan, base_config, (void *)base, &res, err) < 0)
    return -1;
  st = cc_builder_result_stage (res, plan->target);
  if (st == NULL || st->image == NULL)
    return cc_error_make (err, 0, "--change: the evaluation gave no image config");
  doc = cc_builder_image_to_json (st->image);
  *config = cJSON_DetachItemFromObjectCaseSensitive (doc, "config");
  if (*config == NULL)
    *config = cJSON_CreateObject ();
  if (! has_path (base))
    drop_default_path (*config);
  return 0;
}

/* ONBUILD is refused by commit: its triggers would run in the builds of
   images FROM the committed one, which nothing of the container shows
   (issue 15).  */
static int
check_commit_change (const char *change, cc_error_t *err)
{
  const char *p = change;

  while (isspace ((unsigned char)*p))
    p++;
  if (strncasecmp (p, "ONBUILD", 7) == 0 && (p[7] == '\0' || isspace ((unsigned char)p[7])))
    return cc_error_make (err, 0, "--change `%s`: ONBUILD is not supported by commit", change);
  return 0;
}

int
cc_image_changes_apply (const char *base, char *const *changes, bool commit, cJSON **config, cc_error_t *err)
{
  cleanup_free char *text = NULL;

  *config = NULL;
  for (size_t i = 0; changes && changes[i]; i++)
    if (check_change (changes[i], err) < 0 || (commit && check_commit_change (changes[i], err) < 0))
      return -1;
  if (changes == NULL || changes[0] == NULL)
    {
      cleanup_cjson cJSON *doc = base ? cJSON_Parse (base) : NULL;
      cJSON *c = cJSON_DetachItemFromObjectCaseSensitive (doc, "config");
      *config = c ? c : cJSON_CreateObject ();
      return 0;
    }
  text = changes_text (changes);
  if (evaluate (text, cc_strv_len (changes), base, config, err) < 0)
    return name_the_change (changes, err);
  return 0;
}

int
cc_image_changes_config (char *const *changes, cJSON **config, cc_error_t *err)
{
  return cc_image_changes_apply (NULL, changes, false, config, err);
}
