/* ccompose-monitor: the per-container monitor as a program of its own,
   embedded in ccompose like the init and run from the copy `ccompose`
   installs under the data directory (runtime/runtime.c).

   Why not ccompose itself, re-executed: that binary links libcrypto,
   libarchive (with libxml2, ICU and libstdc++), libnl, libiptc and
   libyaml for its other parts, and the dynamic loader relocates their
   data in every process that maps them: about 800 KiB of private memory
   per monitor for code it never runs, which alone broke the issue's
   budget of 1 MiB resident per container.  This program is runtime/ and
   lib/ only (libcjson, libseccomp, libcap), with the same code and the
   same arguments as `ccompose runtime monitor`:

     ccompose-monitor runtime monitor --status-fd FD [--start] ID

   It is also the embedded DNS's responder, one per project (issue 16;
   network/dns-server.c, which needs lib/ and cJSON only), so that one
   program is installed, cleaned and held as the monitor is:

     ccompose-monitor network dns --status-fd FD --lock-fd FD PROJECT

   The responder asks the runtime, through the functions below, whether
   a container may be answered with.  */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "network/network.h"
#include "runtime/runtime.h"

/* Running (a paused container keeps its name, as under Docker), and
   healthy when it has a healthcheck: a replica is answered with once it
   passed one, and no more once it failed its retries.  An endpoint
   without a container at all (`ccompose netdev attach`) is answered
   with: there is nothing to ask about it.  */
static bool
eligible (const char *container)
{
  cleanup_free char *path = cc_runtime_state_path (container);
  cleanup_cjson cJSON *st = NULL;
  const char *status, *health;

  if (access (path, F_OK) < 0 && errno == ENOENT)
    return true;
  if (cc_runtime_state (container, &st, NULL) < 0)
    return false;
  status = cc_json_get_string (st, "status");
  health = cc_json_get_string (cJSON_GetObjectItemCaseSensitive (st, "health"), "Status");
  if (status == NULL || (strcmp (status, "running") != 0 && strcmp (status, "paused") != 0))
    return false;
  return health == NULL || strcmp (health, "healthy") == 0;
}

static const struct cc_net_dns_liveness liveness = {
  .state_path = cc_runtime_state_path,
  .eligible = eligible,
};

static int
monitor_main (int argc, char **argv)
{
  int status_fd;
  bool start_now;
  const char *id;

  /* getopt sees "monitor" as its argv[0], as in runtime/tool.c.  */
  if (cc_runtime_monitor_args (argc - 2, argv + 2, &status_fd, &start_now, &id) < 0)
    return -1;
  return cc_runtime_monitor_main (id, status_fd, start_now, argv);
}

static int
dns_main (int argc, char **argv)
{
  static const struct option opts[] = { { "status-fd", required_argument, NULL, 'f' },
                                        { "lock-fd", required_argument, NULL, 'l' },
                                        { NULL, 0, NULL, 0 } };
  int c, status_fd = -1, lock_fd = -1;

  while ((c = getopt_long (argc - 2, argv + 2, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        status_fd = atoi (optarg);
        break;
      case 'l':
        lock_fd = atoi (optarg);
        break;
      default:
        return -1;
      }
  if (optind + 2 != argc - 1 || lock_fd < 0)
    return -1;
  return cc_network_dns_main (argv[argc - 1], status_fd, lock_fd, &liveness, argv);
}

int
main (int argc, char **argv)
{
  int ret = -1;

  if (argc >= 4 && strcmp (argv[1], "runtime") == 0 && strcmp (argv[2], "monitor") == 0)
    ret = monitor_main (argc, argv);
  else if (argc >= 4 && strcmp (argv[1], "network") == 0 && strcmp (argv[2], "dns") == 0)
    ret = dns_main (argc, argv);
  if (ret >= 0)
    return ret;
  fputs ("Usage: ccompose-monitor runtime monitor --status-fd FD [--start] ID\n"
         "       ccompose-monitor network dns --status-fd FD --lock-fd FD PROJECT\n",
         stderr);
  return 2;
}
