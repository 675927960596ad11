/* Image metadata from untrusted archives and registries: OCI/Docker
   manifests, indexes, image configs, and references.  The first input
   byte picks the parser, the rest is the document.  */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "image/internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/xalloc.h"

CC_FUZZ_QUIET_INIT

static void
parse_manifest (const char *s, size_t len, cc_error_t *err)
{
  cleanup_manifest struct cc_manifest m = { 0 };

  cc_manifest_parse (s, len, &m, err);
}

static void
parse_index (const char *s, size_t len, cc_error_t *err)
{
  cleanup_index struct cc_index idx = { 0 };

  if (cc_index_parse (s, len, &idx, err) == 0)
    (void)cc_index_pick_platform (&idx);
}

static void
parse_config (const char *s, size_t len, cc_error_t *err)
{
  cleanup_image_config struct cc_image_config cfg = { 0 };

  cc_image_config_parse (s, len, &cfg, err);
}

static void
parse_kind (const char *s, size_t len, cc_error_t *err)
{
  cleanup_cjson cJSON *doc = cJSON_ParseWithLength (s, len);

  (void)err;
  if (doc)
    (void)cc_manifest_kind (doc);
}

static void
parse_reference (const char *s, size_t len, cc_error_t *err)
{
  cleanup_image_ref struct cc_image_ref ref = { 0 };

  (void)len;
  if (cc_image_ref_parse (s, &ref, err) == 0)
    {
      free (cc_image_ref_string (&ref));
      free (cc_image_ref_familiar_name (&ref));
    }
}

static void (*const parsers[]) (const char *s, size_t len, cc_error_t *err) = {
  parse_manifest, parse_index, parse_config, parse_kind, parse_reference,
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_error cc_error_t err = NULL;
  cleanup_free char *text = NULL;

  if (size < 1 || size > CC_FUZZ_MAX_INPUT)
    return -1;
  text = xmalloc (size);
  memcpy (text, data + 1, size - 1);
  text[size - 1] = '\0';
  parsers[data[0] % CC_N_ELEMENTS (parsers)](text, size - 1, &err);
  return 0;
}
