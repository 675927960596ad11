/* Link groups: one per network, so its links go in one kernel batch.  The
   group delete is the kernel's (rtnl_group_dellink, then one
   unregister_netdevice_many), and it takes every link of the group with
   it, ours or not: hence the check that the group holds nothing else.  */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/paths.h"
#include "lib/strv.h"
#include "network/link.h"

uint32_t
cc_net_group_derive (const char *tag, const char *project, const char *network, const char *bridge)
{
  /* The bridge name is unique on the host when the network is recorded
     (salted on a clash), so two networks rarely share a group; when they
     do, the check below sends the teardown down the slow path.  */
  const char *parts[] = { "group", tag, project, network, bridge };
  uint64_t h = cc_paths_hash (parts, CC_N_ELEMENTS (parts));

  return CC_NET_GROUP_MIN + (uint32_t)(h % ((uint64_t)CC_NET_GROUP_MAX - CC_NET_GROUP_MIN + 1));
}

bool
cc_net_group_is_valid (double recorded)
{
  return isfinite (recorded) && recorded == floor (recorded) && recorded >= CC_NET_GROUP_MIN
         && recorded <= CC_NET_GROUP_MAX;
}

static bool
is_one_of_ours (const char *name, const char *alias, const struct cc_net_link *ours, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (ours[i].name && ours[i].alias && strcmp (ours[i].name, name) == 0 && strcmp (ours[i].alias, alias) == 0)
      return true;
  return false;
}

/* The name says the link is recorded, the alias says ccompose made it for
   this network of this state root: a foreign link that took a recorded
   name after a crash, or that someone put in our group, fails one.  */
bool
cc_net_group_is_ours (char *const *names, char *const *aliases, const struct cc_net_link *ours, size_t n)
{
  for (size_t i = 0; names && names[i]; i++)
    if (aliases == NULL || aliases[i] == NULL || ! is_one_of_ours (names[i], aliases[i], ours, n))
      return false;
  return true;
}

int
cc_net_group_delete_checked (struct nl_sock *sk, uint32_t group, const struct cc_net_link *ours, size_t n,
                             bool *batched, cc_error_t *err)
{
  cleanup_strv char **names = NULL, **aliases = NULL;

  *batched = false;
  if (group < CC_NET_GROUP_MIN || group > CC_NET_GROUP_MAX)
    return 0;
  if (cc_nl_links_in_group (sk, group, &names, &aliases, err) < 0)
    return -1;
  if (! cc_net_group_is_ours (names, aliases, ours, n))
    return 0;
  /* Nothing left in the group (a repeated teardown): nothing to batch.  */
  *batched = true;
  if (names == NULL)
    return 0;
  return cc_nl_group_delete (sk, group, err);
}
