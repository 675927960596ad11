/* A per-service hash of the normalized config, stable across runs and
   key order: what `up` compares to decide whether to recreate.  */
#include <openssl/evp.h>
#include <string.h>

#include "compose/model.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

/* Keys whose change does not need a new container (Docker Compose's
   ServiceHash leaves the same ones out).  */
static const char *const unhashed[] = { "build", "pull_policy", "scale", "depends_on", "profiles" };

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
