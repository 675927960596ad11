/* Change detection on the normalized config: a per-service hash, stable
   across runs and key order, that `up` compares to decide whether to
   recreate; what changed, in words; whether a recreated container can
   keep its network namespace.  The container's state records the JSON
   it was made from, so these compare JSON with JSON.  */
#include <openssl/evp.h>
#include <string.h>

#include "compose/model.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

/* Keys whose change does not need a new container (Docker Compose's
   ServiceHash leaves the same ones out).  */
static const char *const unhashed[]
    = { "build", "pull_policy", "pull_refresh_after", "scale", "depends_on", "profiles" };

static bool
is_empty_deploy (const cJSON *deploy)
{
  for (const cJSON *it = deploy ? deploy->child : NULL; it; it = it->next)
    if (! cJSON_IsObject (it) || it->child != NULL)
      return false;
  return deploy != NULL;
}

char *
cc_compose_service_hash_json (const cJSON *service)
{
  cleanup_cjson cJSON *copy = cc_json_sorted_copy (service);
  cleanup_free char *text = NULL;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  char *hex;

  for (size_t i = 0; i < CC_N_ELEMENTS (unhashed); i++)
    cJSON_DeleteItemFromObjectCaseSensitive (copy, unhashed[i]);
  cJSON_DeleteItemFromObjectCaseSensitive (cJSON_GetObjectItemCaseSensitive (copy, "deploy"), "replicas");
  /* A deploy that only said how many replicas leaves nothing to compare.  */
  if (is_empty_deploy (cJSON_GetObjectItemCaseSensitive (copy, "deploy")))
    cJSON_DeleteItemFromObjectCaseSensitive (copy, "deploy");
  text = cJSON_PrintUnformatted (copy);
  if (text == NULL || EVP_Digest (text, strlen (text), md, &len, EVP_sha256 (), NULL) != 1)
    abort ();
  hex = xmalloc (2 * len + 1);
  for (unsigned int i = 0; i < len; i++)
    sprintf (hex + 2 * i, "%02x", md[i]);
  return hex;
}

int
cc_compose_service_hash (const struct cc_project *p, const char *service, char **out, cc_error_t *err)
{
  const cJSON *svc = cc_project_service_json (p, service);

  if (svc == NULL)
    return cc_error_make (err, 0, "no such service: `%s`", service);
  *out = cc_compose_service_hash_json (svc);
  return 0;
}

/* ---- what changed -------------------------------------------------------- */

static bool
is_under (const char *path, const char *key)
{
  size_t len = strlen (key);
  return strncmp (path, key, len) == 0 && (path[len] == '\0' || path[len] == '.');
}

/* What the hash leaves out is no change worth naming.  */
static bool
is_unhashed (const char *path)
{
  if (is_under (path, "deploy.replicas"))
    return true;
  for (size_t i = 0; i < CC_N_ELEMENTS (unhashed); i++)
    if (is_under (path, unhashed[i]))
      return true;
  return false;
}

static void describe (struct cc_buf *b, const char *prefix, const cJSON *old, const cJSON *new);

static void
note (struct cc_buf *b, const char *path, const char *what)
{
  if (is_unhashed (path))
    return;
  cc_buf_printf (b, "%s%s %s", b->len ? ", " : "", path, what);
}

static void
describe_key (struct cc_buf *b, const char *prefix, const char *key, const cJSON *o, const cJSON *n)
{
  cleanup_free char *path = *prefix ? xasprintf ("%s.%s", prefix, key) : xstrdup (key);
  bool o_null = o == NULL || cJSON_IsNull (o), n_null = n == NULL || cJSON_IsNull (n);

  if (o_null && n_null)
    return;
  if (o_null)
    note (b, path, "added");
  else if (n_null)
    note (b, path, "removed");
  else if (cJSON_IsObject (o) && cJSON_IsObject (n))
    describe (b, path, o, n);
  else if (! cJSON_Compare (o, n, true))
    note (b, path, "changed");
}

static void
describe (struct cc_buf *b, const char *prefix, const cJSON *old, const cJSON *new)
{
  for (const cJSON *o = old ? old->child : NULL; o; o = o->next)
    describe_key (b, prefix, o->string, o, cJSON_GetObjectItemCaseSensitive (new, o->string));
  for (const cJSON *n = new ? new->child : NULL; n; n = n->next)
    if (! cJSON_HasObjectItem (old, n->string))
      describe_key (b, prefix, n->string, NULL, n);
}

char *
cc_compose_describe_change (const cJSON *old_config, const cJSON *new_config)
{
  struct cc_buf b = { 0 };

  describe (&b, "", old_config, new_config);
  if (b.len == 0)
    {
      cc_buf_reset (&b);
      return NULL;
    }
  return cc_buf_steal (&b);
}

/* What the network namespace, its endpoints and the network files are
   made of: while these are equal, a recreated container can keep them.  */
static const char *const network_keys[]
    = { "networks", "network_mode", "ports",   "hostname",    "domainname", "extra_hosts",
        "dns",      "dns_search",   "dns_opt", "mac_address", "links",      "expose" };

bool
cc_compose_same_network (const cJSON *old_config, const cJSON *new_config)
{
  if (old_config == NULL || new_config == NULL)
    return false;
  for (size_t i = 0; i < CC_N_ELEMENTS (network_keys); i++)
    {
      const cJSON *a = cJSON_GetObjectItemCaseSensitive (old_config, network_keys[i]);
      const cJSON *b = cJSON_GetObjectItemCaseSensitive (new_config, network_keys[i]);
      if ((a == NULL || cJSON_IsNull (a)) && (b == NULL || cJSON_IsNull (b)))
        continue;
      if (a == NULL || b == NULL || ! cJSON_Compare (a, b, true))
        return false;
    }
  return true;
}
