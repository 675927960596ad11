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

     ccompose-monitor runtime monitor --status-fd FD [--start] ID  */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

int
main (int argc, char **argv)
{
  static const struct option opts[]
      = { { "status-fd", required_argument, NULL, 'f' }, { "start", no_argument, NULL, 's' }, { NULL, 0, NULL, 0 } };
  int c, status_fd = -1;
  bool start_now = false;

  if (argc < 4 || strcmp (argv[1], "runtime") != 0 || strcmp (argv[2], "monitor") != 0)
    goto usage;
  /* getopt sees "monitor" as its argv[0], as in runtime/tool.c.  */
  while ((c = getopt_long (argc - 2, argv + 2, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        status_fd = atoi (optarg);
        break;
      case 's':
        start_now = true;
        break;
      default:
        goto usage;
      }
  if (optind + 2 != argc - 1)
    goto usage;
  return cc_runtime_monitor_main (argv[argc - 1], status_fd, start_now, argv);

usage:
  fputs ("Usage: ccompose-monitor runtime monitor --status-fd FD [--start] ID\n", stderr);
  return 2;
}
