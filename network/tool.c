/* `ccompose netdev`: hidden low-level access to network/ for tests,
   benchmarks and debugging (lib/tool.h).  Thin: parse, call network.h,
   print.  */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/finding.h"
#include "lib/strv.h"
#include "lib/tool.h"
#include "lib/xalloc.h"
#include "network/network.h"

/* Reads the state and rule builder directly: debugging views only.  */
int cc_network_debug_state (char **json, cc_error_t *err);
int cc_network_debug_rules (char **text, cc_error_t *err);

static const char usage[]
    = "Usage: ccompose netdev [OPTIONS] COMMAND [ARG...]\n\n"
      "Low-level network operations (tests, benchmarks, debugging)\n\n"
      "Commands:\n"
      "  create NETWORK                 create a network (bridge, subnet, firewall)\n"
      "  rm NETWORK                     remove a network without containers\n"
      "  netns-create NAME              create a persistent network namespace, print its path\n"
      "  netns-rm NAME                  remove it\n"
      "  attach NETWORK CONTAINER...    attach containers (one firewall commit for all)\n"
      "  detach NETWORK CONTAINER...    detach containers\n"
      "  publish NETWORK CONTAINER [PORT...]  replace the published ports\n"
      "  preflight PORT...              check host ports before creating anything\n"
      "  hosts CONTAINER                rewrite the container's hosts file\n"
      "  resolv PATH                    write a resolv.conf (--resolv-kind)\n"
      "  dns start|stop|stats           the project's embedded DNS responder\n"
      "  down                           remove everything of the project\n"
      "  residue                        list (with --fix remove) what belongs to no project\n"
      "  ls                             print the network state\n"
      "  rules                          print the rules the state asks for, in the syntax of\n"
      "                                 the firewall backend in use (iptables-save or nft)\n\n"
      "Options:\n"
      "  -p, --project string     project name (or the global -p)\n"
      "      --subnet CIDR        create: subnet (default: from the pool)\n"
      "      --gateway IP         create: gateway\n"
      "      --ip-range CIDR      create: range for container addresses\n"
      "      --internal           create: no outbound traffic, no published ports\n"
      "      --mtu N              create: bridge and veth MTU\n"
      "      --service NAME       attach, preflight: service name\n"
      "      --number N           attach: replica number (default 1)\n"
      "      --netns PATH         attach: namespace (default: the container's netns-create)\n"
      "      --ip IP              attach: fixed address\n"
      "      --alias NAME         attach: network alias (repeatable)\n"
      "      --hostname NAME      attach: hostname\n"
      "      --extra-host H:IP    attach: extra hosts entry (repeatable; IP may be host-gateway)\n"
      "      --hosts-file PATH    attach: the container's hosts file, kept current\n"
      "      --publish SPEC       attach: [IP:]HOST:CONTAINER[/PROTO] (repeatable)\n"
      "      --dns IP             resolv: nameserver; attach: where the embedded DNS forwards\n"
      "                           (repeatable)\n"
      "      --resolv-kind KIND   resolv: embedded (default), host or none\n"
      "      --dns-search D       resolv: search domain (repeatable)\n"
      "      --dns-opt O          resolv: option (repeatable)\n"
      "      --fix                residue: remove what is found\n"
      "      --live NAME          residue: a project that exists (repeatable; default: all\n"
      "                           projects in the network state)\n"
      "      --no-live            residue: no project exists\n"
      "  -h, --help               show this help\n";

struct opts
{
  cc_net_port_parse_fn parse_port; /* the engine's: compose's grammar */
  cc_net_spawn_fn spawn;           /* the engine's: the runtime's helper program */
  const char *project;
  struct cc_net_spec spec;
  struct cc_net_endpoint ep;
  char **aliases, **extra_hosts, **publish, **dns, **search, **dns_opts, **live;
  const char *resolv_kind;
  bool fix, no_live;
};

static void
opts_release (struct opts *o)
{
  cc_strv_free (o->aliases);
  cc_strv_free (o->extra_hosts);
  cc_strv_free (o->publish);
  cc_strv_free (o->dns);
  cc_strv_free (o->search);
  cc_strv_free (o->dns_opts);
  cc_strv_free (o->live);
}

static int
fail (cc_error_t *err)
{
  return cc_exit_failure (err);
}

static int
parse_ports (const struct opts *o, char *const *specs, struct cc_net_port **out, size_t *n, cc_error_t *err)
{
  size_t count = cc_strv_len (specs);

  *out = xzalloc ((count + 1) * sizeof (**out));
  *n = count;
  for (size_t i = 0; i < count; i++)
    if (o->parse_port (specs[i], &(*out)[i], err) < 0)
      return -1;
  return 0;
}

static int
need_args (int argc, int want, const char *cmd)
{
  if (argc < want)
    return cc_usage_error ("netdev", "`%s` needs %d argument(s)", cmd, want);
  return 0;
}

static int
need_project (struct opts *o)
{
  if (o->project == NULL)
    return cc_usage_error ("netdev", "a project name is required (-p)");
  return 0;
}

static int
do_create (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;
  struct cc_net_info info = { 0 };

  if (need_project (o) || need_args (argc, 1, "create"))
    return CC_EXIT_USAGE;
  o->spec.project = o->project;
  o->spec.name = argv[0];
  if (cc_network_create (&o->spec, &info, &err) < 0)
    {
      cc_error_wrap (&err, "network `%s`", argv[0]);
      return fail (&err);
    }
  printf ("%s %s %s\n", info.bridge, info.subnet, info.gateway);
  cc_net_info_release (&info);
  return CC_EXIT_OK;
}

static int
do_rm (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;

  if (need_project (o) || need_args (argc, 1, "rm"))
    return CC_EXIT_USAGE;
  return cc_network_remove (o->project, argv[0], &err) < 0 ? fail (&err) : CC_EXIT_OK;
}

static int
do_netns_create (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;
  cleanup_free char *path = NULL;

  if (need_args (argc, 1, "netns-create"))
    return CC_EXIT_USAGE;
  if (cc_netns_create (o->project, argv[0], &path, &err) < 0)
    return fail (&err);
  printf ("%s\n", path);
  return CC_EXIT_OK;
}

static int
do_netns_rm (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;

  (void)o;
  if (need_args (argc, 1, "netns-rm"))
    return CC_EXIT_USAGE;
  return cc_netns_remove (argv[0], &err) < 0 ? fail (&err) : CC_EXIT_OK;
}

/* All containers in one batch: one firewall commit per table.  */
static int
do_attach (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;
  cleanup_free struct cc_net_port *ports = NULL;
  cleanup_free struct cc_net_endpoint *eps = NULL;
  cleanup_free struct cc_net_attachment *out = NULL;
  size_t n_ports = 0, n = (size_t)(argc - 1);

  if (need_project (o) || need_args (argc, 2, "attach"))
    return CC_EXIT_USAGE;
  if (parse_ports (o, o->publish, &ports, &n_ports, &err) < 0)
    return fail (&err);
  eps = xzalloc (n * sizeof (*eps));
  out = xzalloc (n * sizeof (*out));
  for (size_t i = 0; i < n; i++)
    {
      eps[i] = o->ep;
      eps[i].project = o->project;
      eps[i].network = argv[0];
      eps[i].container = argv[i + 1];
      eps[i].aliases = o->aliases;
      eps[i].extra_hosts = o->extra_hosts;
      eps[i].dns = o->dns;
      eps[i].ports = ports;
      eps[i].n_ports = n_ports;
    }
  if (cc_network_attach_many (eps, n, out, &err) < 0)
    {
      cc_error_wrap (&err, "attach to network `%s`", argv[0]);
      return fail (&err);
    }
  for (size_t i = 0; i < n; i++)
    {
      printf ("%s %s %s/%d %s\n", argv[i + 1], out[i].ifname, out[i].ip, out[i].prefix, out[i].gateway);
      cc_net_attachment_release (&out[i]);
    }
  return CC_EXIT_OK;
}

static int
do_detach (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;

  if (need_project (o) || need_args (argc, 2, "detach"))
    return CC_EXIT_USAGE;
  return cc_network_detach_many (o->project, argv[0], argv + 1, &err) < 0 ? fail (&err) : CC_EXIT_OK;
}

static int
do_publish (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;
  cleanup_free struct cc_net_port *ports = NULL;
  size_t n = 0;

  if (need_project (o) || need_args (argc, 2, "publish"))
    return CC_EXIT_USAGE;
  if (parse_ports (o, argv + 2, &ports, &n, &err) < 0
      || cc_network_publish (o->project, argv[0], argv[1], ports, n, &err) < 0)
    return fail (&err);
  return CC_EXIT_OK;
}

static int
do_preflight (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;
  cleanup_free struct cc_net_port *ports = NULL;
  size_t n = 0;

  if (need_project (o) || need_args (argc, 1, "preflight"))
    return CC_EXIT_USAGE;
  if (parse_ports (o, argv, &ports, &n, &err) < 0
      || cc_network_preflight (o->project, o->ep.service, ports, n, &err) < 0)
    return fail (&err);
  return CC_EXIT_OK;
}

static int
do_hosts (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;

  if (need_project (o) || need_args (argc, 1, "hosts"))
    return CC_EXIT_USAGE;
  return cc_network_write_hosts (o->project, argv[0], NULL, &err) < 0 ? fail (&err) : CC_EXIT_OK;
}

static int
do_resolv (struct opts *o, int argc, char **argv)
{
  static const struct
  {
    const char *name;
    enum cc_net_resolv_kind kind;
  } kinds[]
      = { { "embedded", CC_NET_RESOLV_EMBEDDED }, { "host", CC_NET_RESOLV_HOST }, { "none", CC_NET_RESOLV_LEGACY } };
  const char *want = o->resolv_kind ? o->resolv_kind : "embedded";
  cc_error_t err = NULL;
  size_t i;

  if (need_args (argc, 1, "resolv"))
    return CC_EXIT_USAGE;
  for (i = 0; i < CC_N_ELEMENTS (kinds) && strcmp (kinds[i].name, want) != 0; i++)
    ;
  if (i == CC_N_ELEMENTS (kinds))
    return cc_usage_error ("netdev", "unknown resolv.conf kind `%s` (embedded, host, none)", want);
  if (cc_network_write_resolv (argv[0], kinds[i].kind, o->dns, o->search, o->dns_opts, &err) < 0)
    return fail (&err);
  return CC_EXIT_OK;
}

/* The embedded DNS's responder of the project, by hand (the engine
   starts it with `up` and stops it with `down`).  */
static int
do_dns (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;
  cleanup_free char *json = NULL;

  if (need_project (o) || need_args (argc, 1, "dns"))
    return CC_EXIT_USAGE;
  if (strcmp (argv[0], "start") == 0)
    return cc_network_dns_ensure (o->project, false, o->spawn, &err) < 0 ? fail (&err) : CC_EXIT_OK;
  if (strcmp (argv[0], "stop") == 0)
    return cc_network_dns_stop (o->project, &err) < 0 ? fail (&err) : CC_EXIT_OK;
  if (strcmp (argv[0], "stats") != 0)
    return cc_usage_error ("netdev", "unknown dns command `%s` (start, stop, stats)", argv[0]);
  if (cc_network_dns_stats (o->project, &json, &err) < 0)
    return fail (&err);
  printf ("%s\n", json);
  return CC_EXIT_OK;
}

static int
do_down (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;

  (void)argc;
  (void)argv;
  if (need_project (o))
    return CC_EXIT_USAGE;
  return cc_network_teardown_project (o->project, &err) < 0 ? fail (&err) : CC_EXIT_OK;
}

static int
do_residue (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;
  cleanup_findings struct cc_findings found = { 0 };
  int ret;

  (void)argc;
  (void)argv;
  /* --live lists the projects that exist; without it every project the
     network state knows counts as live.  */
  if (o->live == NULL && o->no_live)
    o->live = xzalloc (sizeof (char *));
  ret = cc_network_residue (o->fix, o->live, &found, &err);
  for (size_t i = 0; i < found.n; i++)
    {
      cleanup_free char *line = cc_finding_describe (&found.v[i]);
      printf ("%s%s\n", o->fix ? "removed " : "", line);
    }
  if (ret < 0)
    return fail (&err);
  /* Without --fix, residue found is a failure so scripts can test for it.  */
  return found.n && ! o->fix ? CC_EXIT_FAILURE : CC_EXIT_OK;
}

static int
do_ls (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;
  cleanup_free char *text = NULL;

  (void)o;
  (void)argc;
  (void)argv;
  if (cc_network_debug_state (&text, &err) < 0)
    return fail (&err);
  fputs (text, stdout);
  return CC_EXIT_OK;
}

static int
do_rules (struct opts *o, int argc, char **argv)
{
  cc_error_t err = NULL;
  cleanup_free char *text = NULL;

  (void)o;
  (void)argc;
  (void)argv;
  if (cc_network_debug_rules (&text, &err) < 0)
    return fail (&err);
  fputs (text, stdout);
  return CC_EXIT_OK;
}

static const struct
{
  const char *name;
  int (*fn) (struct opts *o, int argc, char **argv);
} verbs[] = {
  { "create", do_create },
  { "rm", do_rm },
  { "netns-create", do_netns_create },
  { "netns-rm", do_netns_rm },
  { "attach", do_attach },
  { "detach", do_detach },
  { "publish", do_publish },
  { "preflight", do_preflight },
  { "hosts", do_hosts },
  { "resolv", do_resolv },
  { "dns", do_dns },
  { "down", do_down },
  { "residue", do_residue },
  { "ls", do_ls },
  { "rules", do_rules },
};

enum
{
  OPT_SUBNET = 256,
  OPT_GATEWAY,
  OPT_IP_RANGE,
  OPT_INTERNAL,
  OPT_MTU,
  OPT_SERVICE,
  OPT_NUMBER,
  OPT_NETNS,
  OPT_IP,
  OPT_ALIAS,
  OPT_HOSTNAME,
  OPT_EXTRA_HOST,
  OPT_HOSTS_FILE,
  OPT_PUBLISH,
  OPT_DNS,
  OPT_DNS_SEARCH,
  OPT_DNS_OPT,
  OPT_RESOLV_KIND,
  OPT_FIX,
  OPT_LIVE,
  OPT_NO_LIVE,
};

/* Where each option lands in struct opts.  */
enum field_kind
{
  FIELD_STRING,
  FIELD_LIST,
  FIELD_FLAG,
  FIELD_INT,
};

static const struct
{
  int id;
  enum field_kind kind;
  size_t offset;
} option_fields[] = {
  { 'p', FIELD_STRING, offsetof (struct opts, project) },
  { OPT_SUBNET, FIELD_STRING, offsetof (struct opts, spec.subnet) },
  { OPT_GATEWAY, FIELD_STRING, offsetof (struct opts, spec.gateway) },
  { OPT_IP_RANGE, FIELD_STRING, offsetof (struct opts, spec.ip_range) },
  { OPT_INTERNAL, FIELD_FLAG, offsetof (struct opts, spec.internal) },
  { OPT_MTU, FIELD_INT, offsetof (struct opts, spec.mtu) },
  { OPT_SERVICE, FIELD_STRING, offsetof (struct opts, ep.service) },
  { OPT_NUMBER, FIELD_INT, offsetof (struct opts, ep.number) },
  { OPT_NETNS, FIELD_STRING, offsetof (struct opts, ep.netns_path) },
  { OPT_IP, FIELD_STRING, offsetof (struct opts, ep.ipv4_address) },
  { OPT_ALIAS, FIELD_LIST, offsetof (struct opts, aliases) },
  { OPT_HOSTNAME, FIELD_STRING, offsetof (struct opts, ep.hostname) },
  { OPT_EXTRA_HOST, FIELD_LIST, offsetof (struct opts, extra_hosts) },
  { OPT_HOSTS_FILE, FIELD_STRING, offsetof (struct opts, ep.hosts_path) },
  { OPT_PUBLISH, FIELD_LIST, offsetof (struct opts, publish) },
  { OPT_DNS, FIELD_LIST, offsetof (struct opts, dns) },
  { OPT_DNS_SEARCH, FIELD_LIST, offsetof (struct opts, search) },
  { OPT_DNS_OPT, FIELD_LIST, offsetof (struct opts, dns_opts) },
  { OPT_RESOLV_KIND, FIELD_STRING, offsetof (struct opts, resolv_kind) },
  { OPT_FIX, FIELD_FLAG, offsetof (struct opts, fix) },
  { OPT_LIVE, FIELD_LIST, offsetof (struct opts, live) },
  { OPT_NO_LIVE, FIELD_FLAG, offsetof (struct opts, no_live) },
};

static int
parse_int (const char *s, int *out)
{
  char *end = NULL;
  long v = strtol (s, &end, 10);

  if (end == s || *end || v < 0 || v > 65535)
    return -1;
  *out = (int)v;
  return 0;
}

static int
parse_option (struct opts *o, int c)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (option_fields); i++)
    {
      char *field = (char *)o + option_fields[i].offset;

      if (option_fields[i].id != c)
        continue;
      switch (option_fields[i].kind)
        {
        case FIELD_STRING:
          *(const char **)field = optarg;
          return 0;
        case FIELD_LIST:
          cc_strv_append ((char ***)field, optarg);
          return 0;
        case FIELD_FLAG:
          *(bool *)field = true;
          return 0;
        case FIELD_INT:
          return parse_int (optarg, (int *)field);
        }
    }
  return -1;
}

int
cc_network_tool (cc_net_port_parse_fn parse_port, cc_net_spawn_fn spawn, const char *project, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "project", required_argument, NULL, 'p' },
    { "subnet", required_argument, NULL, OPT_SUBNET },
    { "gateway", required_argument, NULL, OPT_GATEWAY },
    { "ip-range", required_argument, NULL, OPT_IP_RANGE },
    { "internal", no_argument, NULL, OPT_INTERNAL },
    { "mtu", required_argument, NULL, OPT_MTU },
    { "service", required_argument, NULL, OPT_SERVICE },
    { "number", required_argument, NULL, OPT_NUMBER },
    { "netns", required_argument, NULL, OPT_NETNS },
    { "ip", required_argument, NULL, OPT_IP },
    { "alias", required_argument, NULL, OPT_ALIAS },
    { "hostname", required_argument, NULL, OPT_HOSTNAME },
    { "extra-host", required_argument, NULL, OPT_EXTRA_HOST },
    { "hosts-file", required_argument, NULL, OPT_HOSTS_FILE },
    { "publish", required_argument, NULL, OPT_PUBLISH },
    { "dns", required_argument, NULL, OPT_DNS },
    { "dns-search", required_argument, NULL, OPT_DNS_SEARCH },
    { "dns-opt", required_argument, NULL, OPT_DNS_OPT },
    { "resolv-kind", required_argument, NULL, OPT_RESOLV_KIND },
    { "fix", no_argument, NULL, OPT_FIX },
    { "live", required_argument, NULL, OPT_LIVE },
    { "no-live", no_argument, NULL, OPT_NO_LIVE },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct opts o = { .parse_port = parse_port, .spawn = spawn, .project = project, .ep = { .number = 1 } };
  int c, ret = CC_EXIT_USAGE;

  while ((c = getopt_long (argc, argv, "p:h", long_opts, NULL)) != -1)
    {
      if (c == 'h')
        {
          fputs (usage, stdout);
          opts_release (&o);
          return CC_EXIT_OK;
        }
      if (parse_option (&o, c) < 0)
        {
          opts_release (&o);
          return cc_usage_error ("netdev", "unknown option or invalid number");
        }
    }
  if (optind >= argc)
    ret = cc_usage_error ("netdev", "a command is required");
  else
    {
      size_t i;

      for (i = 0; i < CC_N_ELEMENTS (verbs); i++)
        if (strcmp (verbs[i].name, argv[optind]) == 0)
          break;
      ret = i < CC_N_ELEMENTS (verbs) ? verbs[i].fn (&o, argc - optind - 1, argv + optind + 1)
                                      : cc_usage_error ("netdev", "unknown command `%s`", argv[optind]);
    }
  opts_release (&o);
  return ret;
}
