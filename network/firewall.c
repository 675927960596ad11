/* Backend selection: callers never branch on the backend.  An nftables
   backend is one more entry in this table.  */
#include "network/firewall.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "network/hostns.h"
#include "network/state.h"

static int
none_apply (const struct cc_fw_ruleset *rs, cc_error_t *err)
{
  (void)rs;
  (void)err;
  return 0;
}

static int
none_list_dnat (struct cc_fw_dnat **out, size_t *n, cc_error_t *err)
{
  (void)err;
  *out = NULL;
  *n = 0;
  return 0;
}

static int
none_list_ours (const char *tag, char ***out, cc_error_t *err)
{
  (void)tag;
  (void)err;
  *out = NULL;
  return 0;
}

/* "none" leaves the firewall alone: containers still talk on their
   bridge, published ports do not work, and nothing guards the loopback.  */
static const struct cc_firewall_ops none_ops = { "none", none_apply, none_list_ours, none_list_dnat, false };

static const struct cc_firewall_ops *const backends[] = { &cc_firewall_iptc_ops, &none_ops };

const struct cc_firewall_ops *
cc_firewall (cc_error_t *err)
{
  const char *want = getenv ("CCOMPOSE_FIREWALL");

  if (want == NULL || *want == '\0')
    return backends[0];
  for (size_t i = 0; i < CC_N_ELEMENTS (backends); i++)
    if (strcmp (backends[i]->name, want) == 0)
      return backends[i];
  cc_error_make (err, EINVAL, "unknown firewall backend `%s` (CCOMPOSE_FIREWALL: iptc, none)", want);
  return NULL;
}

int
cc_firewall_sync (const cJSON *state, cc_error_t *err)
{
  cleanup_fw_ruleset struct cc_fw_ruleset rs = { 0 };
  const struct cc_firewall_ops *ops = cc_firewall (err);
  cleanup_free char *here = cc_hostns_current ();

  /* Tables are per namespace: only the networks that live in this one
     have rules here (issue 12 item 4).  */
  if (ops == NULL || cc_fw_build (state, cc_net_scope_tag (), here, &rs, err) < 0)
    return -1;
  return ops->apply (&rs, err);
}
