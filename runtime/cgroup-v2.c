/* cgroup v2 (unified): /sys/fs/cgroup/ccompose/<id> (or the
   cgroup_parent), controllers
   enabled top-down as crun's enable_controllers does.  */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

#define ROOT "/sys/fs/cgroup"

static const char *const wanted_controllers[] = { "cpu", "cpuset", "memory", "pids", "io" };

static char *
leaf (const char *id)
{
  return xasprintf (ROOT "/%s", id);
}

/* Controllers the root offers are delegated to ccompose/ and from there
   to each container; one at a time, so a missing one is skipped.  */
static int
enable_controllers (const char *dir, cc_error_t *err)
{
  (void)err;
  for (size_t i = 0; i < CC_N_ELEMENTS (wanted_controllers); i++)
    {
      cleanup_free char *c = xasprintf ("+%s", wanted_controllers[i]);
      cc_cgroup_write (dir, "cgroup.subtree_control", c, NULL);
    }
  return 0;
}

/* What only v1's controllers have: refused by the key's name and the
   file v2 lacks, not dropped.  */
static int
refuse_v1_only (const struct cc_runtime_resources *r, cc_error_t *err)
{
  if (r->memory_swappiness >= 0)
    return cc_error_make (err, ENOTSUP, "mem_swappiness: cgroup v2 has no memory.swappiness");
  if (r->oom_kill_disable)
    return cc_error_make (err, ENOTSUP, "oom_kill_disable: cgroup v2 has no memory.oom_control");
  if (r->cpu_rt_runtime > 0 || r->cpu_rt_period > 0)
    return cc_error_make (err, ENOTSUP,
                          "cpu_rt_runtime: cgroup v2 has no real-time group scheduling (cpu.rt_runtime_us)");
  return 0;
}

static int
write_io_lines (const char *dir, const char *file, const char *key, char *const *entries, cc_error_t *err)
{
  for (char *const *e = entries; e && *e; e++)
    {
      char dev[32];
      cleanup_free char *line = NULL;
      int64_t n;
      if (cc_cgroup_block_device (*e, dev, &n, err) < 0)
        return -1;
      line = key ? xasprintf ("%s %s=%lld", dev, key, (long long)n) : xasprintf ("%s %lld", dev, (long long)n);
      if (cc_cgroup_write (dir, file, line, err) < 0)
        return -1;
    }
  return 0;
}

/* blkio_config on v2's io controller: weights through BFQ's
   io.bfq.weight or blk-iocost's io.weight (neither: no proportional
   scheduler), throttles as io.max lines.  */
static int
set_io (const char *dir, const struct cc_runtime_resources *r, cc_error_t *err)
{
  static const char *const weight[] = { "io.bfq.weight", "io.weight", NULL };
  const char *wf = cc_cgroup_first_file (dir, weight);
  bool bfq = wf && strcmp (wf, "io.bfq.weight") == 0;
  const struct
  {
    const char *key;
    char *const *entries;
  } max[] = {
    { "rbps", r->blkio_read_bps },
    { "wbps", r->blkio_write_bps },
    { "riops", r->blkio_read_iops },
    { "wiops", r->blkio_write_iops },
  };

  if ((r->blkio_weight > 0 || (r->blkio_weight_device && *r->blkio_weight_device)) && wf == NULL)
    return cc_error_make (err, ENOTSUP,
                          "blkio_config weight: no proportional I/O scheduler on this host: no `%s/io.bfq.weight` or "
                          "`io.weight`",
                          dir);
  if (r->blkio_weight > 0)
    {
      cleanup_free char *v = xasprintf (bfq ? "%lld" : "default %lld", (long long)r->blkio_weight);
      if (cc_cgroup_write (dir, wf, v, err) < 0)
        return -1;
    }
  if (wf && write_io_lines (dir, wf, NULL, r->blkio_weight_device, err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (max); i++)
    if (write_io_lines (dir, "io.max", max[i].key, max[i].entries, err) < 0)
      return -1;
  return 0;
}

static int
set_limits (const char *dir, const struct cc_runtime_resources *r, cc_error_t *err)
{
  if (refuse_v1_only (r, err) < 0)
    return -1;
  if (r->cpuset_cpus && cc_cgroup_write (dir, "cpuset.cpus", r->cpuset_cpus, err) < 0)
    return -1;
  if (set_io (dir, r, err) < 0)
    return -1;
  if (r->memory > 0 && cc_cgroup_write_int (dir, "memory.max", r->memory, err) < 0)
    return -1;
  /* Docker's --memory-reservation on v2, as runc maps it.  */
  if (r->memory_reservation > 0 && cc_cgroup_write_int (dir, "memory.low", r->memory_reservation, err) < 0)
    return -1;
  /* v2 counts swap alone: memory.swap.max = (memory + swap) - memory;
     unset means as much swap as memory, as in Docker.  */
  if (r->memory > 0)
    {
      cleanup_free char *swapfile = xasprintf ("%s/memory.swap.max", dir);
      int64_t swap = r->memory_swap == 0 ? r->memory : r->memory_swap - r->memory;
      if (cc_file_exists (swapfile))
        {
          if (r->memory_swap < 0 && cc_cgroup_write (dir, "memory.swap.max", "max", err) < 0)
            return -1;
          if (r->memory_swap >= 0 && cc_cgroup_write_int (dir, "memory.swap.max", swap, err) < 0)
            return -1;
        }
    }
  if (r->cpu_quota > 0 || r->cpu_period > 0)
    {
      cleanup_free char *max = NULL;
      int64_t period = r->cpu_period > 0 ? r->cpu_period : 100000;
      max = r->cpu_quota > 0 ? xasprintf ("%" PRId64 " %" PRId64, r->cpu_quota, period)
                             : xasprintf ("max %" PRId64, period);
      if (cc_cgroup_write (dir, "cpu.max", max, err) < 0)
        return -1;
    }
  if (r->cpu_shares > 0
      && cc_cgroup_write_int (dir, "cpu.weight", (int64_t)cc_cgroup_shares_to_weight ((uint64_t)r->cpu_shares), err)
             < 0)
    return -1;
  if (r->pids_limit > 0 && cc_cgroup_write_int (dir, "pids.max", r->pids_limit, err) < 0)
    return -1;
  return 0;
}

int
cc_cgroup_v2_set_limits (const char *dir, const struct cc_runtime_resources *r, cc_error_t *err)
{
  return set_limits (dir, r, err);
}

static int
v2_destroy (const char *id, cc_error_t *err)
{
  cleanup_free char *dir = leaf (id);

  cc_cgroup_kill_at_once (dir, SIGKILL);
  return cc_cgroup_remove (ROOT, id, err);
}

static int
v2_create (const char *id, const struct cc_runtime_resources *r, bool restrict_devices, cc_error_t *err)
{
  cleanup_free char *dir = leaf (id);

  /* Devices on v2 need an eBPF program, which ccompose does not load:
     the minimal /dev holds nothing but the standard nodes, and a device
     the service asks for could not be limited to its permissions.  */
  if (restrict_devices && r->devices && *r->devices)
    return cc_error_make (err, ENOTSUP,
                          "devices: not supported on a cgroup v2 host (ccompose has no device eBPF program to "
                          "allow `%s`)",
                          *r->devices);
  if (restrict_devices && r->device_rules && *r->device_rules)
    return cc_error_make (err, ENOTSUP,
                          "device_cgroup_rules: not supported on a cgroup v2 host (ccompose has no device eBPF "
                          "program to add `%s` to)",
                          *r->device_rules);
  if (v2_destroy (id, err) < 0 || cc_cgroup_make (ROOT, id, enable_controllers, err) < 0)
    return -1;
  return set_limits (dir, r, err);
}

/* Everything is in the leaf, which clone3 places the child in.  */
static int
v2_enter_self (const char *id, cc_error_t *err)
{
  (void)id;
  (void)err;
  return 0;
}

static int
v2_open_leaf (const char *id, int *fd, cc_error_t *err)
{
  cleanup_free char *dir = leaf (id);

  return cc_cgroup_open_dir (dir, fd, err);
}

static int
v2_freeze (const char *id, bool frozen, cc_error_t *err)
{
  cleanup_free char *dir = leaf (id);

  if (cc_cgroup_write (dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  for (int i = 0; i < 1000; i++)
    {
      if ((cc_cgroup_read_key (dir, "cgroup.events", "frozen") == 1) == frozen)
        return 0;
      nanosleep (&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
    }
  return cc_error_make (err, ETIMEDOUT, "freeze cgroup `%s`", dir);
}

static int
v2_is_frozen (const char *id)
{
  cleanup_free char *dir = leaf (id);

  if (! cc_is_dir (dir))
    return -1;
  return cc_cgroup_read_key (dir, "cgroup.events", "frozen") == 1;
}

static uint64_t
v2_oom_kills (const char *id)
{
  cleanup_free char *dir = leaf (id);

  return cc_cgroup_read_key (dir, "memory.events", "oom_kill");
}

static int
v2_kill_all (const char *id, int sig, cc_error_t *err)
{
  cleanup_free char *dir = leaf (id);

  (void)err;
  if (cc_cgroup_kill_at_once (dir, sig))
    return 0;
  cc_cgroup_kill_procs (dir, sig);
  return 0;
}

static void
v2_stats (const char *id, struct cc_runtime_stats *s)
{
  cleanup_free char *dir = leaf (id);
  uint64_t inactive = cc_cgroup_read_key (dir, "memory.stat", "inactive_file");

  s->cpu_ns = cc_cgroup_read_key (dir, "cpu.stat", "usage_usec") * 1000;
  s->mem_usage = cc_cgroup_read_u64 (dir, "memory.current");
  s->mem_usage = s->mem_usage > inactive ? s->mem_usage - inactive : s->mem_usage;
  s->mem_limit = cc_cgroup_read_u64 (dir, "memory.max");
  s->blk_read = cc_cgroup_sum_io (dir, "io.stat", "rbytes");
  s->blk_write = cc_cgroup_sum_io (dir, "io.stat", "wbytes");
  s->pids = cc_cgroup_read_u64 (dir, "pids.current");
}

const struct cc_cgroup_ops cc_cgroup_ops_v2 = {
  .name = "v2",
  .create = v2_create,
  .enter_self = v2_enter_self,
  .open_leaf = v2_open_leaf,
  .destroy = v2_destroy,
  .freeze = v2_freeze,
  .is_frozen = v2_is_frozen,
  .oom_kills = v2_oom_kills,
  .kill_all = v2_kill_all,
  .stats = v2_stats,
};
