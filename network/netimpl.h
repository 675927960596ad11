/* Shared between the sequencers of network/ (network.c, endpoint.c,
   teardown.c, hosts.c, preflight.c).  Internal to network/.  */
#ifndef CC_NETWORK_NETIMPL_H
#define CC_NETWORK_NETIMPL_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"
#include "network/network.h"
#include "network/state.h"

/* Hand the collected LIST over to ERR (appending when ERR holds one).  */
int cc_net_give_errors (cc_error_t *err, cc_error_t *list);
/* The ifalias of our links: "ccompose<tag> project P network N [container C]".  */
char *cc_net_link_alias (const char *project, const char *network, const char *container);

/* options.c (issue 15): the bridge driver's options and aux addresses
   of a network.  Recorded in NET at its creation (aux addresses checked
   against its subnet and gateway); Docker's Options of inspect; the aux
   addresses among the USED ones attach never gives; a FIXED address
   that is one of them refused; the host address of PORTS published
   without one; the prefix of its interfaces' names inside.  */
int cc_net_options_record (cJSON *net, const struct cc_net_spec *spec, cc_error_t *err);
void cc_net_options_inspect (const cJSON *net, cJSON *options);
cJSON *cc_net_options_aux_inspect (const cJSON *net);
void cc_net_options_reserved (const cJSON *net, uint32_t **used, size_t *n);
int cc_net_options_check_fixed (const cJSON *net, const char *fixed, cc_error_t *err);
void cc_net_options_host_binding (const cJSON *net, struct cc_net_port *ports, size_t n);
const char *cc_net_options_iface_prefix (const cJSON *net);

/* netns.c.  Whether a member of a recorded network lives in the namespace
   at PATH.  */
bool cc_net_netns_in_use (const cJSON *root, const char *path);
/* Unbind and forget the namespaces a remove left doomed that no member
   uses any more; errors are collected, the others still go.  */
int cc_net_release_doomed (cJSON *root, cc_error_t *err);

/* The link group recorded for NET, or 0 when it has none we can trust.  */
uint32_t cc_net_group_of (const cJSON *net);

/* With the state lock held.  Both keep going after a failure, report
   every one, and keep the record when something could not be removed.
   cc_net_remove_locked removes NET with the members it still has, their
   links in one kernel batch when the network's link group allows.  */
int cc_net_remove_locked (struct cc_net_state *st, cJSON *net, cc_error_t *err);
int cc_net_detach_locked (struct cc_net_state *st, cJSON *net, cJSON **members, size_t n, cc_error_t *err);

/* probe.c (issue 17).  Whether a packet crosses BRIDGE (of SUBNET, a
   CIDR) between two endpoints of the probe's own: *BLOCKED NULL when it
   does, else what dropped it.  */
int cc_net_probe_bridge (const char *bridge, const char *subnet, char **blocked, cc_error_t *err);
/* When coexist found another firewall's drop (cc_fw_foreign_drops): the
   warning that a packet does not cross NET's bridge, naming what drops
   it; else NULL.  */
char *cc_net_probe_network (const cJSON *net);

/* Debugging views for `ccompose netdev ls|rules`.  */
int cc_network_debug_state (char **json, cc_error_t *err);
int cc_network_debug_rules (char **text, cc_error_t *err);

/* hosts.c */
/* The hosts file of CONTAINER of PROJECT from STATE, or NULL when the
   container is on no network.  Pure.  */
char *cc_hosts_render (const cJSON *state, const char *project, const char *container);
/* A network_mode: host container's, from the host's text.  Pure.  */
char *cc_hosts_render_host_mode (const char *host, char *const *extra_hosts);
/* resolv.conf of KIND from the host's text (NULL = none), read from
   HOST_PATH, and the overrides.  Pure.  */
char *cc_resolv_render (const char *host, const char *host_path, enum cc_net_resolv_kind kind, char *const *dns,
                        char *const *search, char *const *opts);
/* Write CONTAINER's hosts file, if it has one; a container on no network
   is left alone.  */
int cc_hosts_write_one (const cJSON *state, const char *project, const char *container, cc_error_t *err);

#endif
