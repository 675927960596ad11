/* network/: the one public header (ARCHITECTURE.md, "Parts").  The engine hands in
   names, addresses and ports; this module owns subnets, bridges, veths,
   network namespaces, firewall rules and the hosts/resolv.conf files.

   Every operation takes the network lock, records what it is about to
   create in cc_state_dir()/network/state.json before creating it (links
   and namespaces that belong to one container are then made after the
   lock is released, so parallel containers do not queue for it), and can
   be repeated: a crash at any point leaves enough state for
   cc_network_detach / cc_network_remove / cc_network_teardown_project to
   remove what exists.

   Environment: CCOMPOSE_SUBNET_POOL ("CIDR[:SIZE],..."), CCOMPOSE_NETWORK_CONFIG
   (default /etc/ccompose/network.conf, "subnet_pool = ..."), CCOMPOSE_FIREWALL
   (iptc, the default, or none), XTABLES_LOCKFILE (as iptables).  Rules,
   links and their aliases carry a tag of the state root, so parallel
   roots (tests) never touch each other's.  */
#ifndef CC_NETWORK_H
#define CC_NETWORK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "lib/error.h"

enum cc_net_proto
{
  CC_NET_TCP,
  CC_NET_UDP,
};

/* One published port (range), as the engine hands it over (filled from
   compose's struct cc_port, engine/ports.c).  An empty host_ip binds
   every host address, as Docker Compose does.  Host port 0 asks for a
   free port of the kernel's ephemeral range, a host range onto one
   container port for the first free port of the range: the attach
   chooses it, records it, and reports it in the member's ports.  */
struct cc_net_port
{
  enum cc_net_proto proto;
  char host_ip[INET_ADDRSTRLEN];
  uint16_t host_port, host_port_end;
  uint16_t container_port, container_port_end;
};

/* Whether the attach chooses the host port of P (see above).  */
bool cc_net_port_is_chosen (const struct cc_net_port *p);

/* A compose network, as the engine hands it over.  NULL strings mean
   "choose": the subnet comes from the pool (default 10.89.0.0/16 in /24s)
   and is checked against the live routes and addresses.  */
struct cc_net_spec
{
  const char *project;
  const char *name;      /* compose key: "default", "backend"... */
  const char *full_name; /* compose `name`; NULL = "<project>_<name>" */
  const char *subnet;    /* ipam.config[0].subnet */
  const char *gateway;   /* ipam.config[0].gateway */
  const char *ip_range;  /* ipam.config[0].ip_range */
  bool internal;
  int mtu; /* driver_opts[CC_NET_DRIVER_OPT_MTU]; 0 = kernel default */
  /* enable_ipv6 (issue 17): an IPv6 subnet beside the IPv4 one, from the
     ipam.config entry with an IPv6 subnet, else from the pool's IPv6
     prefixes (the host's ULA /48 by default, ipam.h).  */
  bool ipv6;
  const char *subnet6, *gateway6, *ip_range6;
  /* enable_ipv4: false (issue 15): IPv6 only, as Docker 28's.  The
     network records no IPv4 subnet, its bridge and members get no IPv4
     address, and it has no IPv4 rules.  Needs IPV6.  */
  bool no_ipv4;
  char *const *labels; /* "KEY=VALUE", kept in the network's state; may be NULL */
  /* The bridge driver's options (issue 15; compose/bridge-opts.c reads
     them): containers of the network cannot reach each other (icc),
     no masquerade of its traffic out, the host address of its ports
     published without one, the prefix of its interfaces' names.  */
  bool no_icc, no_masquerade;
  const char *host_binding_ipv4, *iface_prefix;
  char *const *aux_addresses; /* "NAME=IPV4", kept from containers; may be NULL */
  /* `network create`: a network of FULL_NAME already recorded is an
     error (Docker's), not the network to reuse.  */
  bool exclusive;
};

/* The project of the networks `network create` makes (issue 15): they
   belong to no compose project, as Docker's own.  No compose project
   is named so (compose/ allows [a-z0-9][a-z0-9_-]* only); the residue
   check never counts them dead.  */
#define CC_NET_STANDALONE "-"
#define CC_NET_DRIVER_OPT_MTU "com.docker.network.driver.mtu"

struct cc_net_info
{
  char *id; /* Docker's network id: 64 hex digits */
  char *bridge;
  char *subnet; /* CIDR */
  char *gateway;
};
void cc_net_info_release (struct cc_net_info *info);

/* Create (or find) the network: IPAM, bridge, gateway, sysctls, firewall.  */
int cc_network_create (const struct cc_net_spec *spec, struct cc_net_info *info, cc_error_t *err);
/* The network another project declares external by FULL_NAME: its
   owner's project and compose key.  Not found: ENOENT, in Docker's words.  */
int cc_network_find_by_name (const char *full_name, char **project, char **name, cc_error_t *err);
/* Whether the network of FULL_NAME has IPv4: not one `network create
   --ipv4=false` made (issue 15), which compose files declare external.
   Not found or unreadable: true.  */
bool cc_network_has_ipv4 (const char *full_name);
/* Whether the network is still recorded (a teardown may keep it).  */
bool cc_network_exists (const char *project, const char *name);
/* Remove a network with no containers left; missing = success.  */
int cc_network_remove (const char *project, const char *name, cc_error_t *err);

/* `docker network inspect` objects (inspect.c) of every network of the
   state root, sorted by name, in *OUT (an array); *PROJECTS (same order)
   the compose project of each, CC_NET_STANDALONE for `network create`'s.  */
int cc_network_inspect_all (cJSON **out, char ***projects, cc_error_t *err);
/* `network rm`: the network `network create` made under FULL_NAME (or
   its Docker id).  Missing: ENOENT; a compose project's: EPERM naming
   it; with containers: EBUSY naming them.  */
int cc_network_remove_standalone (const char *full_name, cc_error_t *err);

/* One container on one network.  With EXTERNAL_NAME set, NETWORK is
   PROJECT's key for a network it declares external: the container joins
   the network of that full name (another project's), which it never
   creates or removes; detach and teardown of PROJECT take it off again.  */
struct cc_net_endpoint
{
  const char *project, *network;
  const char *external_name;
  const char *container; /* <project>-<service>-<n> */
  const char *service;
  int number;                    /* replica number n */
  bool oneoff;                   /* `run`: known by its own name only, as Docker Compose's */
  const char *netns_path;        /* NULL = cc_netns_path (container) */
  const char *ipv4_address;      /* fixed address, NULL = allocate */
  const char *ipv6_address;      /* on an IPv6 network; NULL = allocate */
  const char *mac_address;       /* of the interface inside; NULL = derived from its IPv4 address */
  const char *ifname;            /* the interface's name inside; NULL = the first free ethN... */
  char *const *reserved_ifnames; /* ...but these, which other networks of the container name */
  char *const *link_local_ips;   /* more addresses on the interface (/16 or /64, as Docker's) */
  bool no_gateway;               /* another network gives the default routes (gw_priority) */
  /* 0: the IPv4 default route as no_gateway says; 1: here, -1: not here,
     where an IPv6-only network gives the IPv6 one (issue 15).  */
  int ipv4_gateway;
  const char *hostname;     /* NULL = none beyond the names above */
  const char *domainname;   /* with the hostname, its line in /etc/hosts */
  char *const *aliases;     /* network aliases, NULL-terminated or NULL */
  char *const *extra_hosts; /* "name:ip" or "name:host-gateway" */
  char *const *dns;         /* `dns:` servers: the embedded DNS forwards there */
  const char *hosts_path;   /* this container's /etc/hosts source; NULL = none */
  const struct cc_net_port *ports;
  size_t n_ports;
  /* Recorded out of the balancer of its published ports until
     cc_network_set_serving says it serves (issue 16: a replica that is
     starting gets no new connection).  */
  bool held;
};

struct cc_net_attachment
{
  char *ifname; /* eth0, eth1... inside the netns */
  char *ip;
  char *gateway;
  int prefix;
};
void cc_net_attachment_release (struct cc_net_attachment *a);

/* veth pair (peer created inside the netns), address, lo up, default route
   via the gateway (first non-internal network only), published ports, the
   container's own hosts file, and the embedded DNS of every project on the
   network told (it answers for the container before this returns).  */
int cc_network_attach (const struct cc_net_endpoint *ep, struct cc_net_attachment *out, cc_error_t *err);
/* N endpoints recorded under one lock, then wired without it, then one
   firewall commit per table and one hosts update; OUT (may be NULL) has N
   entries.  The engine must not attach one container twice at once.  */
int cc_network_attach_many (const struct cc_net_endpoint *eps, size_t n, struct cc_net_attachment *out,
                            cc_error_t *err);
/* Reverse of attach; missing = success.  */
int cc_network_detach (const char *project, const char *network, const char *container, cc_error_t *err);
/* CONTAINERS (NULL-terminated) in one batch.  */
int cc_network_detach_many (const char *project, const char *network, char *const *containers, cc_error_t *err);
/* Replace the ports published for CONTAINER on NETWORK (N = 0 unpublishes).  */
int cc_network_publish (const char *project, const char *network, const char *container,
                        const struct cc_net_port *ports, size_t n, cc_error_t *err);

/* Issue 16: which containers of PROJECT take new connections of the
   host ports they publish with other replicas: SERVING (CONTAINERS[i],
   OPAQUE) for each of CONTAINERS (NULL-terminated), on every network they
   are on.  SERVING is asked with the network state's lock held, so that
   of two callers the later one decides with what both saw.  The rules
   follow in one commit, only when something changed.  */
typedef bool (*cc_net_serving_fn) (const char *container, void *opaque);
int cc_network_set_serving (const char *project, char *const *containers, cc_net_serving_fn serving, void *opaque,
                            cc_error_t *err);

/* One replica behind a published host port (issue 16).  */
struct cc_net_backend
{
  char *container;
  char *ip;
  unsigned port; /* the container port host port HOST_PORT goes to */
  bool serving;  /* in the balancer: takes new connections */
};
void cc_net_backends_free (struct cc_net_backend *v, size_t n);
/* The containers of PROJECT that publish HOST_PORT/PROTO on HOST_IP (""
   = every address), in the balancer's order.  Reads the state without
   its lock, as cc_network_container_ports.  */
int cc_network_port_backends (const char *project, enum cc_net_proto proto, const char *host_ip, unsigned host_port,
                              struct cc_net_backend **out, size_t *n, cc_error_t *err);

/* TCP connections open to container port PORT in the network namespace
   of process PID (a replica draining before it stops), -1 when PID is
   gone.  */
int cc_network_open_connections (int pid, unsigned port);

/* The ports published for CONTAINER of PROJECT, with the host ports
   chosen at attach: the first network's member that publishes any, or
   none (*N = 0); *IPV6: that member has an IPv6 address, so a port
   without a host address is published on both families (issue 17);
   *IPV4: it has an IPv4 one (not on an IPv6-only network, issue 15).
   Reads the state without its lock (saves are atomic).  */
int cc_network_container_ports (const char *project, const char *container, struct cc_net_port **out, size_t *n,
                                bool *ipv4, bool *ipv6, cc_error_t *err);

/* Before anything is created: every requested host port is free, or the
   error names its holder ("process nginx (pid 42)", "project X service Y").
   Ports already published by PROJECT/SERVICE itself are not conflicts.
   A port whose host port is chosen needs one free port of its range;
   with host port 0 it needs nothing.  */
int cc_network_preflight (const char *project, const char *service, const struct cc_net_port *ports, size_t n,
                          cc_error_t *err);

/* Rewrite the hosts file of CONTAINER in place (inode kept): Docker's
   localhost lines, the extra hosts, its own name and addresses; with
   HOSTNAME (may be NULL) as its hostname from now on.  */
int cc_network_write_hosts (const char *project, const char *container, const char *hostname, cc_error_t *err);
/* The hosts file of a network_mode: host container: the host's, or with
   EXTRA_HOSTS Docker's defaults and those.  */
int cc_network_write_hosts_host_mode (const char *path, char *const *extra_hosts, cc_error_t *err);

/* Which resolv.conf a container gets (Docker's three).  */
enum cc_net_resolv_kind
{
  CC_NET_RESOLV_EMBEDDED, /* on networks: nameserver 127.0.0.11, ndots:0 */
  CC_NET_RESOLV_HOST,     /* network_mode: host: the host's file */
  CC_NET_RESOLV_LEGACY,   /* network_mode: none: the host's servers but loopback ones */
};
/* resolv.conf of KIND from the host's (CCOMPOSE_RESOLV_CONF, default
   /etc/resolv.conf; systemd-resolved's own file when the host's names
   only its stub) with dns / dns_search / dns_opt (each NULL-terminated,
   or NULL) over it.  Written in place, like the hosts file.  */
int cc_network_write_resolv (const char *path, enum cc_net_resolv_kind kind, char *const *dns, char *const *search,
                             char *const *opts, cc_error_t *err);

/* Persistent network namespace bound at cc_state_dir()/netns/NAME, lo up.
   Used for bridge networks and network_mode none.  Existing = success.
   cc_netns_remove of a namespace still attached to a network (down removes
   containers before networks) only marks it: it is unbound right after
   the network's links are deleted, by the detach or the network's removal,
   so they go in one kernel batch.  */
int cc_netns_create (const char *project, const char *name, char **path, cc_error_t *err);
int cc_netns_remove (const char *name, cc_error_t *err);
char *cc_netns_path (const char *name);

/* Everything of PROJECT: containers' rules, veths, netns, then networks;
   its containers leave the networks of other projects.  A network of
   PROJECT that containers of other projects still use is kept (EBUSY,
   Docker's "has active endpoints"): PROJECT's own containers leave it and
   a later teardown removes it.  Keeps going after failures and reports
   them all; idempotent.  */
int cc_network_teardown_project (const char *project, cc_error_t *err);

/* Resources with our names (interfaces cc*, chains CCOMPOSE*, netns files,
   state entries) that belong to no live project, in every network
   namespace the root's networks live in.  LIVE = NULL: every project in
   the network state is live.  Findings (lib/finding.h, kind "network")
   are appended to FOUND; with FIX they are removed.  */
struct cc_findings;
int cc_network_residue (bool fix, char *const *live, struct cc_findings *found, cc_error_t *err);

/* Starts the helper program with ARGS after its name and PASS_FD as its
   descriptor 4, and waits for its report on descriptor 3 (the engine
   hands over cc_runtime_spawn_helper).  */
typedef int (*cc_net_spawn_fn) (char *const *args, int pass_fd, cc_error_t *err);

/* `ccompose netdev ...`, the low-level tool (tool.c, lib/tool.h).
   PARSE_PORT reads its -p and publish specs: the one port grammar is
   compose's, which the engine hands in (network/ knows no compose
   file); SPAWN starts the embedded DNS's responder (`dns start`).  */
typedef int (*cc_net_port_parse_fn) (const char *spec, struct cc_net_port *out, cc_error_t *err);
int cc_network_tool (cc_net_port_parse_fn parse_port, cc_net_spawn_fn spawn, const char *project, int argc,
                     char **argv);

/* ---- the embedded DNS at 127.0.0.11 (issue 16; network/dns.h) ---------- */

/* Start PROJECT's responder unless it runs; with ONLY_IF_RECORDED only
   when it ran before (the record is there) and died.  */
int cc_network_dns_ensure (const char *project, bool only_if_recorded, cc_net_spawn_fn spawn, cc_error_t *err);
/* Kill PROJECT's responder and remove its record; none = success.  */
int cc_network_dns_stop (const char *project, cc_error_t *err);
/* The responder's counters, as JSON.  */
int cc_network_dns_stats (const char *project, char **json, cc_error_t *err);
/* Responders of projects not in LIVE (NULL: every project is live), and
   live projects whose responder died ("missing: ..."), one line each in
   *FOUND; FIX stops the first and starts the others again with SPAWN.  */
int cc_network_dns_residue (bool fix, char *const *live, cc_net_spawn_fn spawn, char ***found, cc_error_t *err);

/* What the responder asks about a container before answering with it:
   its state file (a change there means its status may have changed),
   and whether it may be answered with now (running, and healthy when it
   has a healthcheck).  The helper program fills them from the runtime.  */
struct cc_net_dns_liveness
{
  char *(*state_path) (const char *container);
  bool (*eligible) (const char *container);
};
/* The responder's main: `ccompose-monitor network dns --status-fd 3
   --lock-fd 4 PROJECT` (dns-server.c).  */
int cc_network_dns_main (const char *project, int status_fd, int lock_fd, const struct cc_net_dns_liveness *live,
                         char **argv);

/* Self-repair (issue 17): when the firewall rules the networks of this
   namespace need are not all in the kernel (`iptables -F`, `nft flush
   ruleset`, `firewall-cmd --reload`, Docker restarting), or another
   firewall's drop now stands in their way, put them back and say so.
   Cheap when nothing is missing, free when there is no network here.  */
int cc_network_repair (cc_error_t *err);

#endif
