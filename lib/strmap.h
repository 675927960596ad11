/* A map from strings to pointers, for lookups over what a hostile input
   can make large (YAML anchors, image references): a linear search per
   entry made those quadratic (issue 12, item 10).  Keys are borrowed:
   each must outlive its entry.  */
#ifndef CC_LIB_STRMAP_H
#define CC_LIB_STRMAP_H

#include <stddef.h>

struct cc_strmap_slot
{
  const char *key;
  void *value;
};

struct cc_strmap
{
  struct cc_strmap_slot *slots;
  size_t cap, len;
};

/* The value of KEY, or NULL.  */
void *cc_strmap_get (const struct cc_strmap *m, const char *key);
/* Set KEY (borrowed) to VALUE (not NULL), replacing its value if any.  */
void cc_strmap_put (struct cc_strmap *m, const char *key, void *value);
void cc_strmap_release (struct cc_strmap *m);
#define cleanup_strmap __attribute__ ((cleanup (cc_strmap_release)))

#endif
