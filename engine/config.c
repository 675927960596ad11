/* Loading the project for a command, and `config`: the loaded model rendered as `docker compose config` prints
   it, or one of its lists (--services, --volumes, --networks, --profiles,
   --images, --hash, --variables, --environment).  A thin facade over compose/: the CLI parses and writes.  */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/engine.h"
#include "image/image.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "network/network.h"

static void
list_keys (struct cc_buf *b, const cJSON *obj)
{
  for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next)
    cc_buf_printf (b, "%s\n", it->string);
}

/* Compose prints a Go map: in no order; sorted here, so scripts can diff.  */
static void
list_sorted_keys (struct cc_buf *b, const cJSON *obj)
{
  cleanup_strv char **keys = NULL;

  for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next)
    cc_strv_append (&keys, it->string);
  cc_strv_sort_unique (keys);
  for (char **k = keys; k && *k; k++)
    cc_buf_printf (b, "%s\n", *k);
}

static void
list_profiles (struct cc_buf *b, const cJSON *services)
{
  cleanup_strv char **all = xzalloc (sizeof (char *));

  for (const cJSON *s = services ? services->child : NULL; s; s = s->next)
    for (const cJSON *p = cJSON_GetObjectItemCaseSensitive (s, "profiles")
                              ? cJSON_GetObjectItemCaseSensitive (s, "profiles")->child
                              : NULL;
         p; p = p->next)
      if (! cc_strv_contains (all, p->valuestring))
        cc_strv_append (&all, p->valuestring);
  cc_strv_sort_unique (all);
  for (char **p = all; *p; p++)
    cc_buf_printf (b, "%s\n", *p);
}

static void
list_images (struct cc_buf *b, const struct cc_project *p)
{
  for (const cJSON *s = cJSON_GetObjectItemCaseSensitive (p->model, "services")->child; s; s = s->next)
    {
      const char *image = cc_json_get_string (s, "image");
      /* A built service without `image:` gets <project>-<service>, as DC names it.  */
      cleanup_free char *built = image ? NULL : cc_paths_built_image_name (p->name, s->string);
      cc_buf_printf (b, "%s\n", image ? image : built);
    }
}

static int
list_hashes (struct cc_buf *b, const struct cc_project *p, const char *which, cc_error_t *err)
{
  cleanup_strv char **names = NULL;

  names = strcmp (which, "*") == 0 ? cc_project_service_names (p) : cc_strv_split (which, ',', true);
  for (char **n = names; n && *n; n++)
    {
      cleanup_free char *h = NULL;
      if (cc_compose_service_hash (p, *n, &h, err) < 0)
        return -1;
      cc_buf_printf (b, "%s %s\n", *n, h);
    }
  return 0;
}

/* Go's text/tabwriter as Compose's table printer sets it up: every cell
   but a line's last padded to its column's widest plus 3, 20 at least.  */
static void
put_table (struct cc_buf *b, char *const *cells, size_t n_cols, size_t n_rows)
{
  size_t width[8] = { 0 };

  for (size_t r = 0; r < n_rows; r++)
    for (size_t c = 0; c + 1 < n_cols && c < CC_N_ELEMENTS (width); c++)
      if (strlen (cells[r * n_cols + c]) + 3 > width[c])
        width[c] = strlen (cells[r * n_cols + c]) + 3;
  for (size_t r = 0; r < n_rows; r++)
    for (size_t c = 0; c < n_cols; c++)
      {
        const char *cell = cells[r * n_cols + c];
        if (c + 1 == n_cols)
          cc_buf_printf (b, "%s\n", cell);
        else
          cc_buf_printf (b, "%-*s", (int)(width[c] < 20 ? 20 : width[c]), cell);
      }
}

static void
variables_table (struct cc_buf *b, const cJSON *vars)
{
  cleanup_strv char **cells = NULL;
  size_t rows = 1;

  cc_strv_append (&cells, "NAME");
  cc_strv_append (&cells, "REQUIRED");
  cc_strv_append (&cells, "DEFAULT VALUE");
  cc_strv_append (&cells, "ALTERNATE VALUE");
  for (const cJSON *v = vars->child; v; v = v->next, rows++)
    {
      cc_strv_append (&cells, v->string);
      cc_strv_append (&cells, cc_json_get_bool (v, "Required", false) ? "true" : "false");
      cc_strv_append (&cells, cc_json_get_string (v, "DefaultValue"));
      cc_strv_append (&cells, cc_json_get_string (v, "PresenceValue"));
    }
  put_table (b, cells, 4, rows);
}

static void
put_json_string (struct cc_buf *b, const char *s)
{
  cleanup_cjson cJSON *str = cJSON_CreateString (s);
  cleanup_free char *text = cJSON_PrintUnformatted (str);

  cc_buf_puts (b, text);
}

/* Go's json.Encoder with a 4-space indent, then Println: as Compose
   prints a map (cmd/formatter), fields in the struct's order.  */
static void
variables_json (struct cc_buf *b, const cJSON *vars)
{
  static const char *const fields[] = { "Name", "DefaultValue", "PresenceValue" };

  if (vars->child == NULL)
    {
      cc_buf_puts (b, "{}\n\n");
      return;
    }
  cc_buf_puts (b, "{\n");
  for (const cJSON *v = vars->child; v; v = v->next)
    {
      cc_buf_puts (b, "    ");
      put_json_string (b, v->string);
      cc_buf_puts (b, ": {\n");
      for (size_t i = 0; i < CC_N_ELEMENTS (fields); i++)
        {
          cc_buf_printf (b, "        \"%s\": ", fields[i]);
          put_json_string (b, cc_json_get_string (v, fields[i]));
          cc_buf_puts (b, ",\n");
        }
      cc_buf_printf (b, "        \"Required\": %s\n    }%s\n",
                     cc_json_get_bool (v, "Required", false) ? "true" : "false", v->next ? "," : "");
    }
  cc_buf_puts (b, "}\n\n");
}

/* A value yaml.v3 prints plain: a word that YAML reads back as that
   string (not a bool, null or number).  */
static bool
is_plain_word (const char *s)
{
  static const char *const typed[] = { "true", "false", "yes", "no", "on", "off", "null", "y", "n" };

  if (! ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
    return false;
  for (size_t i = 0; i < CC_N_ELEMENTS (typed); i++)
    if (strcasecmp (s, typed[i]) == 0)
      return false;
  return strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./") == strlen (s);
}

static void
put_yaml_string (struct cc_buf *b, const char *s)
{
  if (is_plain_word (s))
    cc_buf_puts (b, s);
  else
    put_json_string (b, s);
}

/* yaml.v3's Marshal of the same map: 4-space indent, lower-cased field
   names; strings quoted (as JSON strings, which YAML reads back) where
   they would read back as something else.  */
static void
variables_yaml (struct cc_buf *b, const cJSON *vars)
{
  static const char *const fields[] = { "Name", "DefaultValue", "PresenceValue" };

  if (vars->child == NULL)
    cc_buf_puts (b, "{}\n");
  for (const cJSON *v = vars->child; v; v = v->next)
    {
      put_yaml_string (b, v->string);
      cc_buf_puts (b, ":\n");
      for (size_t i = 0; i < CC_N_ELEMENTS (fields); i++)
        {
          cleanup_free char *key = xstrdup (fields[i]);
          for (char *c = key; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
          cc_buf_printf (b, "    %s: ", key);
          put_yaml_string (b, cc_json_get_string (v, fields[i]));
          cc_buf_puts (b, "\n");
        }
      cc_buf_printf (b, "    required: %s\n", cc_json_get_bool (v, "Required", false) ? "true" : "false");
    }
}

static int
render_variables (struct cc_buf *b, const struct cc_compose_options *load, const char *format, cc_error_t *err)
{
  cleanup_cjson cJSON *vars = NULL;

  if (cc_compose_variables (load, &vars, err) < 0)
    return -1;
  if (format && strcmp (format, "json") == 0)
    variables_json (b, vars);
  else if (format && strcmp (format, "yaml") == 0)
    variables_yaml (b, vars);
  else
    variables_table (b, vars);
  return 0;
}

static int
render_environment (struct cc_buf *b, const struct cc_compose_options *load, cc_error_t *err)
{
  cleanup_strv char **env = NULL;

  if (cc_compose_environment (load, &env, err) < 0)
    return -1;
  for (char **e = env; *e; e++)
    cc_buf_printf (b, "%s\n", *e);
  return 0;
}

/* --resolve-image-digests: each `image:` pinned to the manifest digest
   ccompose's store holds for it, as Compose pins it from the registry
   (the reference normalized, tag kept).  Nothing is pulled.  */
static int
resolve_digests (struct cc_project *p, cc_error_t *err)
{
  cJSON *services = cJSON_GetObjectItemCaseSensitive (p->model, "services");

  for (cJSON *s = services ? services->child : NULL; s; s = s->next)
    {
      const char *image = cc_json_get_string (s, "image");
      cleanup_image struct cc_image *img = NULL;
      cleanup_free char *ref = NULL;
      cleanup_free char *pinned = NULL;

      if (image == NULL || strchr (image, '@'))
        continue;
      if (cc_image_resolve (image, &img, err) < 0)
        return err && *err && (*err)->status == ENOENT
                   ? cc_error_make (err, 0, "service `%s`: image `%s` is not in the image store (pull it first)",
                                    s->string, image)
                   : cc_error_wrap (err, "service `%s`: image `%s`", s->string, image);
      if ((ref = cc_image_ref_normalize (image, err)) == NULL)
        return -1;
      pinned = xasprintf ("%s@%s", ref, img->manifest_digest);
      cc_json_set_string (s, "image", pinned);
    }
  return 0;
}

/* `config web`: only the named services and what they depend on.  */
static int
restrict_services (struct cc_project *p, char *const *names, cc_error_t *err)
{
  cleanup_strv char **keep = NULL;
  cJSON *services = cJSON_GetObjectItemCaseSensitive (p->model, "services");
  cJSON *s;

  if (names == NULL || *names == NULL)
    return 0;
  if (cc_compose_select (p, names, &keep, err) < 0)
    return -1;
  s = services->child;
  while (s)
    {
      cJSON *next = s->next;
      if (! cc_strv_contains (keep, s->string))
        cJSON_Delete (cJSON_DetachItemViaPointer (services, s));
      s = next;
    }
  return 0;
}

static int
render (struct cc_buf *b, const struct cc_config_opts *o, const struct cc_project *p, cc_error_t *err)
{
  cleanup_free char *text = NULL;

  switch (o->what)
    {
    case CC_CONFIG_SERVICES:
      list_keys (b, cJSON_GetObjectItemCaseSensitive (p->model, "services"));
      return 0;
    case CC_CONFIG_VOLUMES:
      list_keys (b, cJSON_GetObjectItemCaseSensitive (p->model, "volumes"));
      return 0;
    case CC_CONFIG_PROFILES:
      list_profiles (b, cJSON_GetObjectItemCaseSensitive (p->model, "services"));
      return 0;
    case CC_CONFIG_IMAGES:
      list_images (b, p);
      return 0;
    case CC_CONFIG_HASH:
      return list_hashes (b, p, o->hash, err);
    case CC_CONFIG_NETWORKS:
      list_sorted_keys (b, cJSON_GetObjectItemCaseSensitive (p->model, "networks"));
      return 0;
    case CC_CONFIG_MODEL:
    default:
      text = cc_compose_render (p->model, o->json, ! o->no_interpolate);
      cc_buf_puts (b, text);
      return 0;
    }
}

int
cc_engine_config (const struct cc_compose_options *load, const struct cc_config_opts *o, char **text, cc_error_t *err)
{
  cleanup_project struct cc_project *p = NULL;
  cleanup_buf struct cc_buf out = { 0 };
  int ret;

  if (o->what == CC_CONFIG_VARIABLES)
    ret = render_variables (&out, load, o->format, err);
  else if (o->what == CC_CONFIG_ENVIRONMENT)
    ret = render_environment (&out, load, err);
  else
    ret = cc_compose_load (load, &p, err) < 0 || restrict_services (p, load->services, err) < 0
                  || (o->resolve_image_digests && resolve_digests (p, err) < 0) || render (&out, o, p, err) < 0
              ? -1
              : 0;
  if (ret < 0)
    return -1;
  *text = out.data ? steal_pointer (&out.data) : xstrdup ("");
  return 0;
}

/* Any project command puts back firewall rules someone else took away
   (issue 17); a failure there is a warning, not the command's.  */
static void
repair_network (void)
{
  cc_error_t e = NULL;

  if (cc_network_repair (&e) < 0)
    {
      cc_warn ("cannot check the firewall rules of ccompose's networks: %s", e->msg);
      cc_error_release (&e);
    }
}

int
cc_engine_load_project (const struct cc_compose_options *o, struct cc_project **out, cc_error_t *err)
{
  repair_network ();
  return cc_compose_load (o, out, err);
}

char *
cc_engine_config_drift (const struct cc_project *p, const cJSON *entry)
{
  const struct cc_service *svc = cc_project_service (p, cc_json_get_string (entry, "service"));
  const char *recorded = cc_json_get_string (entry, "config_hash");
  cleanup_free char *hash = svc ? cc_compose_service_hash_json (svc->json) : NULL;
  char *why;

  if (hash == NULL || strcmp (hash, recorded ? recorded : "") == 0)
    return NULL;
  why = cc_compose_describe_change (cJSON_GetObjectItemCaseSensitive (entry, "config"), svc->json);
  return why ? why : xstrdup ("configuration changed");
}
