/* The network state: one JSON document under cc_state_dir()/network/,
   guarded by one flock, written atomically, recording every resource
   before it is created.  Internal to network/.

   {"forwarding": [{"host_netns","before"}],
    "networks": [{"project","name","full_name","host_netns","bridge","group","subnet","gateway","internal","mtu",
                  "members": [{"container","project","key","service","number","netns","ifname",
                               "host_veth","ip","hostname","aliases":[],
                               "extra_hosts":[],"hosts_path",
                               "ports":[{"proto","host_ip","host_port",
                                         "host_port_end","container_port",
                                         "container_port_end"}]}]}],
    "netns": [{"name","project","path","doomed"}]}

   "full_name" is the compose `name` (project_name by default), by which
   other projects declare the network external; their containers join it
   as members carrying their own "project" and their compose "key" for
   it (absent: the network's project and name).  "group" is the link
   group of the network's bridge and host veths (absent in networks
   recorded by an older ccompose); "doomed" marks a namespace removed
   while a veth of a recorded network was still in it.  "host_netns" is
   the network namespace the network lives in, and "forwarding" the
   ip_forward ccompose turned on, per namespace (hostns.h).  */
#ifndef CC_NETWORK_STATE_H
#define CC_NETWORK_STATE_H

#include <cJSON.h>

#include "lib/error.h"
#include "network/network.h"

struct cc_net_state
{
  int lock_fd;
  char *path;
  cJSON *root;
  char **dns_notify; /* projects whose members changed (see below) */
};

/* cc_paths_network_dir ()/state.json, read without the lock by `ps` and
   `port` (saves are atomic).  */
char *cc_net_state_file (void);
int cc_net_state_open (struct cc_net_state *st, cc_error_t *err);
int cc_net_state_save (struct cc_net_state *st, cc_error_t *err);
/* Releases the lock, then tells the embedded DNS of every project that
   shares a network with the projects given to cc_net_state_notify_dns
   to read the state again, and waits until they did.  */
void cc_net_state_close (struct cc_net_state *st);
void cc_net_state_notify_dns (struct cc_net_state *st, const char *project);
#define cleanup_net_state __attribute__ ((cleanup (cc_net_state_close)))

/* The first element of the array KEY of OBJ, or NULL: loops read
   `for (m = cc_net_first (net, "members"); m; m = m->next)`.  */
static inline cJSON *
cc_net_first (const cJSON *obj, const char *key)
{
  const cJSON *a = cJSON_GetObjectItemCaseSensitive (obj, key);

  return cJSON_IsArray (a) ? a->child : NULL;
}

/* The array KEY of ROOT, created when missing.  */
cJSON *cc_net_state_array (cJSON *root, const char *key);
cJSON *cc_net_state_find_network (cJSON *root, const char *project, const char *name);
cJSON *cc_net_state_find_member (cJSON *net, const char *container);
/* The network whose full name is FULL_NAME (a network recorded without
   one is known as project_name).  */
cJSON *cc_net_state_find_by_full_name (cJSON *root, const char *full_name);
/* Whether NET lives in the network namespace HOST_NETNS (hostns.h): the
   one it records, or any for a network recorded without one.  */
bool cc_net_lives_in (const cJSON *net, const char *host_netns);
/* Whether NET has IPv4: a network of `enable_ipv4: false` (issue 15)
   records no "subnet", and its members no "ip".  */
bool cc_net_has_ipv4 (const cJSON *net);
/* The project a member belongs to: its own for a member that joined an
   external network, otherwise the network's.  */
const char *cc_net_member_project (const cJSON *net, const cJSON *m);
/* The network and member by which CONTAINER of PROJECT is on what PROJECT
   calls NETWORK: its own network, or another project's it declared
   external.  NULL when it is on neither.  */
cJSON *cc_net_state_find_membership (cJSON *root, const char *project, const char *network, const char *container,
                                     cJSON **net_out);
/* Remove ITEM from the array ARR (by identity) and free it.  */
void cc_net_state_remove (cJSON *arr, cJSON *item);

/* JSON <-> ports.  */
cJSON *cc_net_ports_to_json (const struct cc_net_port *ports, size_t n);
int cc_net_port_from_json (const cJSON *j, struct cc_net_port *out, cc_error_t *err);

#endif
