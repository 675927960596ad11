/* The network namespace a network lives in: the one its bridge, the host
   ends of its veths, its iptables rules and the ip_forward it needs are
   in.  One state root may be used from several namespaces (`ip netns exec
   NS ccompose up`); each network records the namespace it was made in, so
   that rules are only ever written there (issue 12 item 4).  Internal to
   network/.

   A namespace is named by "DEV:INO", the st_dev and st_ino of its nsfs
   file (/proc/thread-self/ns/net): what the kernel compares namespaces
   by.  A network recorded without one (an older ccompose) lives in every
   namespace, as it used to.  */
#ifndef CC_NETWORK_HOSTNS_H
#define CC_NETWORK_HOSTNS_H

#include <cJSON.h>
#include <stdbool.h>

#include "lib/error.h"

/* The calling thread's namespace, or NULL when /proc cannot tell.  */
char *cc_hostns_current (void);
/* Whether NET (a network record) lives in the namespace HERE.  */
bool cc_hostns_is_here (const cJSON *net, const char *here);
/* Whether the namespace ID can still be found (see CC_HOSTNS_GONE).  */
bool cc_hostns_exists (const char *id);
/* "net:[INO]", and where it can be found: "net:[INO] (/run/netns/x)".  */
char *cc_hostns_describe (const char *id);
/* The error for changing NET from a namespace it does not live in.  */
int cc_hostns_refuse (const cJSON *net, const char *here, cc_error_t *err);

/* Entering another network's namespace, on the calling thread only
   (setns of a network namespace is per thread), to remove what a network
   has there.  HOME is the thread's own namespace while away, -1 at home.  */
struct cc_hostns_visit
{
  int home;
};
#define CC_HOSTNS_VISIT_INIT                                                                                           \
  {                                                                                                                    \
    -1                                                                                                                 \
  }
enum
{
  CC_HOSTNS_ENTERED = 0,
  /* No namespace file, no bind mount and no process has it any more: it
     is gone, and everything a network had in it went with it.  */
  CC_HOSTNS_GONE = 1,
};
/* Enter ID (NULL or the current one: stay).  CC_HOSTNS_ENTERED,
   CC_HOSTNS_GONE, or -1.  */
int cc_hostns_enter (const char *id, struct cc_hostns_visit *v, cc_error_t *err);
/* Back home; a thread that cannot go back aborts rather than go on
   changing the wrong namespace.  */
void cc_hostns_leave (struct cc_hostns_visit *v);
#define cleanup_hostns_visit __attribute__ ((cleanup (cc_hostns_leave)))

/* Whether a network of ROOT lives in the namespace ID.  */
bool cc_hostns_has_network (const cJSON *root, const char *id);
/* The namespaces ROOT records networks or ip_forward changes in, the
   current one first; NULL-terminated.  */
char **cc_hostns_recorded (const cJSON *root);

/* ip_forward, per namespace: "forwarding": [{"host_netns", "before",
   "before6"}] records the value a namespace had before ccompose turned
   it on ("before6": IPv6's all.forwarding), so that it comes back when
   the last network there goes.  */
struct cc_net_state;
/* Turn it on in the current namespace (IPv6's too with IPV6); the
   earlier value is saved first.  */
int cc_hostns_forwarding_on (struct cc_net_state *st, bool ipv6, cc_error_t *err);
/* Whether the current namespace has an entry and no network left.  */
bool cc_hostns_forwarding_unneeded (const cJSON *root);
/* When unneeded: write the earlier value back, drop the entry (the
   caller saves).  */
int cc_hostns_forwarding_restore (cJSON *root, cc_error_t *err);
/* Whether the namespace ID has an entry.  */
bool cc_hostns_forwarding_recorded (const cJSON *root, const char *id);
/* Drop the entry of the namespace ID, which is gone (the caller saves).  */
void cc_hostns_forwarding_forget (cJSON *root, const char *id);
/* "ip_forward_changed" of an older ccompose, which ran in one namespace:
   an entry for the current one, with the 0 it then restored.  */
void cc_hostns_migrate (cJSON *root);

#endif
