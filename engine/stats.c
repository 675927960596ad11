/* `stats`: each container's counters as Docker's stats formatter shows
   them.  CPU % needs two readings: the share of the wall-clock time
   between them the container's CPU time grew by (Docker's
   cpu_delta / system_delta * online_cpus comes to the same).  */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/runtime.h"

/* go-units' CustomSize ("%.4g%s"): BytesSize (1024, KiB...) for memory,
   HumanSize (1000, kB...) for network and block I/O.  */
static char *
size_text (double size, double base, const char *const *units)
{
  size_t i = 0;

  while (size >= base && units[i + 1])
    {
      size /= base;
      i++;
    }
  return xasprintf ("%.4g%s", size, units[i]);
}

static const char *const binary_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", NULL };
static const char *const decimal_units[] = { "B", "kB", "MB", "GB", "TB", "PB", NULL };

static char *
pair_text (uint64_t a, uint64_t b, double base, const char *const *units)
{
  cleanup_free char *x = size_text ((double)a, base, units), *y = size_text ((double)b, base, units);
  return xasprintf ("%s / %s", x, y);
}

static uint64_t
host_memory (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), size = sysconf (_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

static int64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static cJSON *
row_of (const char *name, const struct cc_runtime_stats *a, const struct cc_runtime_stats *b, int64_t wall_ns)
{
  cJSON *row = cJSON_CreateObject ();
  uint64_t limit = b->mem_limit ? b->mem_limit : host_memory ();
  double cpu = b->running && wall_ns > 0 && b->cpu_ns > a->cpu_ns
                   ? (double)(b->cpu_ns - a->cpu_ns) * 100.0 / (double)wall_ns
                   : 0.0;
  double mem = b->running && limit ? (double)b->mem_usage * 100.0 / (double)limit : 0.0;
  cleanup_free char *cpu_text = xasprintf ("%.2f%%", cpu), *mem_text = xasprintf ("%.2f%%", mem);
  cleanup_free char *usage = pair_text (b->mem_usage, b->running ? limit : 0, 1024, binary_units);
  cleanup_free char *net = pair_text (b->net_rx, b->net_tx, 1000, decimal_units);
  cleanup_free char *blk = pair_text (b->blk_read, b->blk_write, 1000, decimal_units);
  cleanup_free char *pids = xasprintf ("%llu", (unsigned long long)b->pids);

  cc_json_set_string (row, "BlockIO", blk);
  cc_json_set_string (row, "CPUPerc", cpu_text);
  cc_json_set_string (row, "Container", name);
  cc_json_set_string (row, "ID", name);
  cc_json_set_string (row, "MemPerc", mem_text);
  cc_json_set_string (row, "MemUsage", usage);
  cc_json_set_string (row, "Name", name);
  cc_json_set_string (row, "NetIO", net);
  cc_json_set_string (row, "PIDs", pids);
  return row;
}

/* A container that is gone between two readings reads as stopped.  */
static void
read_all (char *const *names, size_t n, struct cc_runtime_stats *out)
{
  for (size_t i = 0; i < n; i++)
    {
      cc_error_t e = NULL;
      if (cc_runtime_stats (names[i], &out[i], &e) < 0)
        cc_error_release (&e);
    }
}

cJSON *
cc_engine_stats (char *const *names, int64_t interval_ms)
{
  size_t n = cc_strv_len (names);
  cleanup_free struct cc_runtime_stats *a = xreallocarray (NULL, n ?: 1, sizeof (*a));
  cleanup_free struct cc_runtime_stats *b = xreallocarray (NULL, n ?: 1, sizeof (*b));
  cJSON *rows = cJSON_CreateArray ();
  int64_t t0, t1;

  t0 = now_ns ();
  read_all (names, n, a);
  if (interval_ms > 0)
    nanosleep (&(struct timespec){ interval_ms / 1000, (interval_ms % 1000) * 1000000 }, NULL);
  t1 = now_ns ();
  read_all (names, n, b);
  for (size_t i = 0; i < n; i++)
    cJSON_AddItemToArray (rows, row_of (names[i], &a[i], &b[i], t1 - t0));
  return rows;
}
