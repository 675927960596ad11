/* Helpers over cJSON.  */
#ifndef CC_LIB_JSON_H
#define CC_LIB_JSON_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

static inline void
cleanup_cjson_fn (cJSON **j)
{
  if (*j)
    cJSON_Delete (*j);
}
#define cleanup_cjson __attribute__ ((cleanup (cleanup_cjson_fn)))

int cc_json_parse (const char *text, const char *what, cJSON **out, cc_error_t *err);
int cc_json_load_file (const char *path, cJSON **out, cc_error_t *err);
/* Pretty-printed, written atomically.  */
int cc_json_save_file (const char *path, const cJSON *json, cc_error_t *err);

/* Lookups that tolerate a missing key or a wrong type.  */
const char *cc_json_get_string (const cJSON *obj, const char *key);
int64_t cc_json_get_int (const cJSON *obj, const char *key, int64_t dflt);
bool cc_json_get_bool (const cJSON *obj, const char *key, bool dflt);
/* Whether V (a JSON number or a strtod result) is a finite value that
   converts to int64_t without undefined behaviour; stores it truncated.  */
bool cc_double_to_int64 (double v, int64_t *out);
/* The same conversion, saturated at the int64 range (NaN gives 0): for
   values that were range-checked loosely or need only be sane.  */
int64_t cc_double_clamp_int64 (double v);
/* A JSON array of the strings of V (NULL-terminated, may be NULL).  */
cJSON *cc_json_from_strv (char *const *v);
/* Relink the members of OBJ in key order, in place (Go prints maps
   sorted).  */
void cc_json_sort_keys (cJSON *obj);
/* Add or replace KEY in OBJ.  */
void cc_json_set (cJSON *obj, const char *key, cJSON *value);
void cc_json_set_string (cJSON *obj, const char *key, const char *value);
void cc_json_set_int (cJSON *obj, const char *key, int64_t value);
void cc_json_set_bool (cJSON *obj, const char *key, bool value);

#endif
