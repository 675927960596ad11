/* cgroup v1 (legacy) and the hybrid layout: one hierarchy per
   controller under /sys/fs/cgroup/<controller>, each container in
   <controller>/ccompose/<id>.  In the hybrid layout the container also
   joins the controller-less cgroup2 at /sys/fs/cgroup/unified, which
   gives cgroup.kill.  */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/file.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "runtime/internal.h"

#define ROOT "/sys/fs/cgroup"

static const char *const controllers[]
    = { "cpu", "cpuacct", "cpuset", "memory", "pids", "freezer", "devices", "blkio" };

/* Docker's device cgroup: nothing but the standard devices, plus mknod
   of anything (the nodes cannot be opened).  */
static const char *const allowed_devices[] = {
  "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
  "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
};

static char *
ctrl_dir (const char *ctrl, const char *id)
{
  return xasprintf (ROOT "/%s/%s", ctrl, id);
}

static bool
has_controller (const char *ctrl)
{
  cleanup_free char *p = xasprintf (ROOT "/%s/cgroup.procs", ctrl);

  return cc_file_exists (p);
}

/* mem_swappiness and oom_kill_disable: files of v1's memory
   controller alone (cgroup v2 has neither).  */
static int
set_memory_policy (const char *dir, const struct cc_runtime_resources *r, cc_error_t *err)
{
  if (r->memory_swappiness >= 0 && cc_cgroup_write_int (dir, "memory.swappiness", r->memory_swappiness, err) < 0)
    return -1;
  if (r->oom_kill_disable && cc_cgroup_write (dir, "memory.oom_control", "1", err) < 0)
    return -1;
  return 0;
}

static int
set_memory (const char *dir, const struct cc_runtime_resources *r, bool restrict_devices, cc_error_t *err)
{
  int64_t swap = r->memory_swap;

  (void)restrict_devices;
  if (set_memory_policy (dir, r, err) < 0)
    return -1;

  /* What reclaim under host pressure leaves the group (Docker's
     --memory-reservation).  */
  if (r->memory_reservation > 0
      && cc_cgroup_write_int (dir, "memory.soft_limit_in_bytes", r->memory_reservation, err) < 0)
    return -1;
  if (r->memory <= 0)
    return 0;
  if (cc_cgroup_write_int (dir, "memory.limit_in_bytes", r->memory, err) < 0)
    return -1;
  /* Docker: unset means twice the memory; memsw is absent without swap
     accounting, which is not an error (crun ignores ENOENT too).  */
  if (swap == 0)
    swap = 2 * r->memory;
  cleanup_free char *memsw = xasprintf ("%s/memory.memsw.limit_in_bytes", dir);
  if (! cc_file_exists (memsw))
    return 0;
  return cc_cgroup_write_int (dir, "memory.memsw.limit_in_bytes", swap, err);
}

/* The kernel admits a group's real-time runtime only within its
   parent's (sched/rt.c, tg_rt_schedulable): the shared parent gets what
   its children's runtimes add up to, each scaled to its period, as
   Docker's --cpu-rt-runtime on the daemon does by hand.  */
static int
grant_rt_budget (const char *dir, const struct cc_runtime_resources *r, cc_error_t *err)
{
  cleanup_free char *parent = cc_path_dirname (dir);
  cleanup_dir DIR *d = opendir (parent);
  int64_t pperiod = cc_cgroup_read_int (parent, "cpu.rt_period_us");
  int64_t own_period = r->cpu_rt_period > 0 ? r->cpu_rt_period : cc_cgroup_read_int (dir, "cpu.rt_period_us");
  int64_t need = 0;
  struct dirent *de;

  if (d == NULL || pperiod <= 0 || own_period <= 0)
    return cc_error_make (err, errno ? errno : EINVAL, "read the real-time budget of `%s`", parent);
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *child = xasprintf ("%s/%s", parent, de->d_name);
      int64_t rt, per;
      if (de->d_type != DT_DIR || de->d_name[0] == '.' || strcmp (child, dir) == 0)
        continue;
      rt = cc_cgroup_read_int (child, "cpu.rt_runtime_us");
      per = cc_cgroup_read_int (child, "cpu.rt_period_us");
      if (rt > 0 && per > 0)
        need += (rt * pperiod + per - 1) / per;
    }
  need += (r->cpu_rt_runtime * pperiod + own_period - 1) / own_period;
  if (need <= cc_cgroup_read_int (parent, "cpu.rt_runtime_us"))
    return 0;
  if (cc_cgroup_write_int (parent, "cpu.rt_runtime_us", need, err) < 0)
    return cc_error_wrap (err, "cpu_rt_runtime: the host's real-time budget is short");
  return 0;
}

static int
set_cpu_rt (const char *dir, const struct cc_runtime_resources *r, cc_error_t *err)
{
  cleanup_free char *file = xasprintf ("%s/cpu.rt_runtime_us", dir);

  if (r->cpu_rt_runtime <= 0 && r->cpu_rt_period <= 0)
    return 0;
  if (! cc_file_exists (file))
    return cc_error_make (err, ENOTSUP, "cpu_rt_runtime: the kernel has no real-time group scheduling (no `%s`)", file);
  if (r->cpu_rt_period > 0 && cc_cgroup_write_int (dir, "cpu.rt_period_us", r->cpu_rt_period, err) < 0)
    return -1;
  if (r->cpu_rt_runtime <= 0)
    return 0;
  if (grant_rt_budget (dir, r, err) < 0)
    return -1;
  return cc_cgroup_write_int (dir, "cpu.rt_runtime_us", r->cpu_rt_runtime, err);
}

static int
set_cpu (const char *dir, const struct cc_runtime_resources *r, bool restrict_devices, cc_error_t *err)
{
  (void)restrict_devices;
  if (set_cpu_rt (dir, r, err) < 0)
    return -1;
  if (r->cpu_period > 0 && cc_cgroup_write_int (dir, "cpu.cfs_period_us", r->cpu_period, err) < 0)
    return -1;
  if (r->cpu_quota > 0 && cc_cgroup_write_int (dir, "cpu.cfs_quota_us", r->cpu_quota, err) < 0)
    return -1;
  if (r->cpu_shares > 0 && cc_cgroup_write_int (dir, "cpu.shares", r->cpu_shares, err) < 0)
    return -1;
  return 0;
}

static int
set_cpuset (const char *dir, const struct cc_runtime_resources *r, bool restrict_devices, cc_error_t *err)
{
  (void)restrict_devices;
  if (r->cpuset_cpus && cc_cgroup_write (dir, "cpuset.cpus", r->cpuset_cpus, err) < 0)
    return cc_error_wrap (err, "cpuset");
  return 0;
}

/* blkio_config: the weights need a proportional scheduler (BFQ names
   its files blkio.bfq.*; with none, neither file exists); the
   throttles are the block layer's own.  */
static int
write_device_lines (const char *dir, const char *file, char *const *entries, cc_error_t *err)
{
  for (char *const *e = entries; e && *e; e++)
    {
      char dev[32], line[64];
      int64_t n;
      if (cc_cgroup_block_device (*e, dev, &n, err) < 0)
        return -1;
      snprintf (line, sizeof (line), "%s %lld", dev, (long long)n);
      if (cc_cgroup_write (dir, file, line, err) < 0)
        return -1;
    }
  return 0;
}

static int
set_blkio_weights (const char *dir, const struct cc_runtime_resources *r, cc_error_t *err)
{
  static const char *const weight[] = { "blkio.weight", "blkio.bfq.weight", NULL };
  static const char *const weight_device[] = { "blkio.weight_device", "blkio.bfq.weight_device", NULL };
  const char *wf = cc_cgroup_first_file (dir, weight), *wdf = cc_cgroup_first_file (dir, weight_device);

  if ((r->blkio_weight > 0 && wf == NULL) || (r->blkio_weight_device && *r->blkio_weight_device && wdf == NULL))
    return cc_error_make (err, ENOTSUP,
                          "blkio_config weight: no proportional I/O scheduler (BFQ) on this host: no `%s/blkio.weight` "
                          "or `blkio.bfq.weight`",
                          dir);
  if (r->blkio_weight > 0 && cc_cgroup_write_int (dir, wf, r->blkio_weight, err) < 0)
    return -1;
  return wdf ? write_device_lines (dir, wdf, r->blkio_weight_device, err) : 0;
}

static int
set_blkio (const char *dir, const struct cc_runtime_resources *r, bool restrict_devices, cc_error_t *err)
{
  const struct
  {
    const char *file;
    char *const *entries;
  } throttles[] = {
    { "blkio.throttle.read_bps_device", r->blkio_read_bps },
    { "blkio.throttle.write_bps_device", r->blkio_write_bps },
    { "blkio.throttle.read_iops_device", r->blkio_read_iops },
    { "blkio.throttle.write_iops_device", r->blkio_write_iops },
  };

  (void)restrict_devices;
  if (set_blkio_weights (dir, r, err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (throttles); i++)
    if (write_device_lines (dir, throttles[i].file, throttles[i].entries, err) < 0)
      return -1;
  return 0;
}

static int
set_pids (const char *dir, const struct cc_runtime_resources *r, bool restrict_devices, cc_error_t *err)
{
  (void)restrict_devices;
  if (r->pids_limit > 0)
    return cc_cgroup_write_int (dir, "pids.max", r->pids_limit, err);
  return 0;
}

/* The service's `devices`, each with its own permissions, on top of
   the standard list.  */
static int
allow_service_devices (const char *dir, const struct cc_runtime_resources *r, cc_error_t *err)
{
  for (char *const *e = r->devices; e && *e; e++)
    {
      struct cc_dev_node d;
      char rule[64];
      if (cc_dev_resolve (*e, &d, err) < 0)
        return -1;
      snprintf (rule, sizeof (rule), "%c %u:%u %s", d.type, d.major, d.minor, d.perms);
      if (cc_cgroup_write (dir, "devices.allow", rule, err) < 0)
        return cc_error_wrap (err, "devices");
    }
  return 0;
}

static int
set_devices (const char *dir, const struct cc_runtime_resources *r, bool restrict_devices, cc_error_t *err)
{
  if (! restrict_devices)
    return 0;
  if (cc_cgroup_write (dir, "devices.deny", "a", err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (allowed_devices); i++)
    if (cc_cgroup_write (dir, "devices.allow", allowed_devices[i], err) < 0)
      return -1;
  if (allow_service_devices (dir, r, err) < 0)
    return -1;
  for (char *const *rule = r->device_rules; rule && *rule; rule++)
    if (cc_cgroup_write (dir, "devices.allow", *rule, err) < 0)
      return cc_error_wrap (err, "device_cgroup_rules");
  return 0;
}

static const struct
{
  const char *ctrl;
  int (*apply) (const char *dir, const struct cc_runtime_resources *r, bool restrict_devices, cc_error_t *err);
} appliers[] = {
  { "memory", set_memory }, { "cpu", set_cpu },         { "cpuset", set_cpuset },
  { "pids", set_pids },     { "devices", set_devices }, { "blkio", set_blkio },
};

static int
apply_limits (const char *ctrl, const char *dir, const struct cc_runtime_resources *r, bool restrict_devices,
              cc_error_t *err)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (appliers); i++)
    if (strcmp (ctrl, appliers[i].ctrl) == 0)
      return appliers[i].apply (dir, r, restrict_devices, err);
  return 0;
}

/* A new v1 cpuset starts with no cpus and no memory nodes, and nothing
   may join it until it has some: copy them from the parent.  */
static int
inherit_cpuset (const char *dir, cc_error_t *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  cleanup_free char *parent = cc_path_dirname (dir);

  for (size_t i = 0; i < CC_N_ELEMENTS (files); i++)
    {
      cleanup_free char *mine = xasprintf ("%s/%s", dir, files[i]);
      cleanup_free char *theirs = xasprintf ("%s/%s", parent, files[i]);
      cleanup_free char *value = NULL, *current = NULL;
      if (cc_read_file (mine, &current, NULL, err) < 0)
        return -1;
      if (current[0] != '\n' && current[0] != '\0')
        continue;
      if (cc_read_file (theirs, &value, NULL, err) < 0 || cc_cgroup_write (dir, files[i], value, err) < 0)
        return -1;
    }
  return 0;
}

/* Every cpuset from below ROOT down to ROOT/ID, once the leaf exists:
   until then the last container's teardown elsewhere may remove a
   parent that another `up` makes again, empty, between the copy into
   it and the mkdir below it (a leaf with no cpus refuses every task:
   ENOSPC).  A parent with a child cannot be removed.  */
static int
inherit_cpusets_down (const char *root, const char *id, cc_error_t *err)
{
  cleanup_free char *dir = xstrdup (root);
  cleanup_strv char **parts = cc_strv_split (id, '/', true);

  for (char **p = parts; *p; p++)
    {
      char *next = xasprintf ("%s/%s", dir, *p);
      free (dir);
      dir = next;
      if (inherit_cpuset (dir, err) < 0)
        return -1;
    }
  return 0;
}

static int
make_dirs (const char *ctrl, const char *id, cc_error_t *err)
{
  cleanup_free char *root = xasprintf (ROOT "/%s", ctrl);
  cleanup_free char *dir = ctrl_dir (ctrl, id);
  bool cpuset = strcmp (ctrl, "cpuset") == 0;

  /* No step: a cpuset child can be made under a parent without cpus;
     only a task cannot join it, and the copies come below.  */
  if (cc_cgroup_make (root, id, NULL, err) < 0)
    return -1;
  return cpuset ? inherit_cpusets_down (root, id, err) : 0;
}

static int v1_destroy (const char *id, cc_error_t *err);

/* Teardown collects every failure; the caller may not want them.  */
static int
hand_over (cc_error_t list, cc_error_t *err)
{
  if (list == NULL)
    return 0;
  if (err)
    *err = list;
  else
    cc_error_release (&list);
  return -1;
}

static int
v1_create (const char *id, const struct cc_runtime_resources *r, bool restrict_devices, cc_error_t *err)
{
  /* A stale cgroup of an earlier run would keep its old limits.  */
  if (v1_destroy (id, err) < 0)
    return -1;
  for (size_t i = 0; i < CC_N_ELEMENTS (controllers); i++)
    {
      cleanup_free char *dir = ctrl_dir (controllers[i], id);
      if (! has_controller (controllers[i]))
        continue;
      if (make_dirs (controllers[i], id, err) < 0 || apply_limits (controllers[i], dir, r, restrict_devices, err) < 0)
        return cc_error_wrap (err, "cgroup %s", controllers[i]);
    }
  return 0;
}

/* "0" moves the writing thread alone, so the kernel takes no global
   lock (internal.h says why that matters).  */
static int
v1_enter_self (const char *id, cc_error_t *err)
{
  for (size_t i = 0; i < CC_N_ELEMENTS (controllers); i++)
    {
      cleanup_free char *dir = ctrl_dir (controllers[i], id);
      if (has_controller (controllers[i]) && cc_cgroup_write (dir, "tasks", "0", err) < 0)
        return -1;
    }
  return 0;
}

static int
v1_open_leaf (const char *id, int *fd, cc_error_t *err)
{
  (void)id;
  (void)err;
  *fd = -1;
  return 0;
}

static int
v1_freeze (const char *id, bool frozen, cc_error_t *err)
{
  cleanup_free char *dir = ctrl_dir ("freezer", id);
  const char *want = frozen ? "FROZEN" : "THAWED";

  if (cc_cgroup_write (dir, "freezer.state", want, err) < 0)
    return -1;
  /* FREEZING is transitional: wait until every task is really stopped.  */
  for (int i = 0; i < 1000; i++)
    {
      cleanup_free char *path = xasprintf ("%s/freezer.state", dir);
      cleanup_free char *state = NULL;
      if (cc_read_file (path, &state, NULL, err) < 0)
        return -1;
      if (strncmp (state, want, strlen (want)) == 0)
        return 0;
      nanosleep (&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
      if (frozen && i % 50 == 49 && cc_cgroup_write (dir, "freezer.state", want, err) < 0)
        return -1;
    }
  return cc_error_make (err, ETIMEDOUT, "freeze cgroup `%s`", dir);
}

static int
v1_is_frozen (const char *id)
{
  cleanup_free char *path = xasprintf (ROOT "/freezer/%s/freezer.state", id);
  cleanup_free char *state = NULL;

  if (cc_read_file (path, &state, NULL, NULL) < 0)
    return -1;
  return strncmp (state, "FROZEN", 6) == 0 || strncmp (state, "FREEZING", 8) == 0;
}

static uint64_t
v1_oom_kills (const char *id)
{
  cleanup_free char *dir = ctrl_dir ("memory", id);

  return cc_cgroup_read_key (dir, "memory.oom_control", "oom_kill");
}

/* A limit this large is no limit (the v1 default is the page-rounded
   maximum of a signed 64-bit value).  */
#define V1_NO_LIMIT (UINT64_C (1) << 62)

static void
v1_stats (const char *id, struct cc_runtime_stats *s)
{
  cleanup_free char *cpu = ctrl_dir ("cpuacct", id), *mem = ctrl_dir ("memory", id);
  cleanup_free char *blk = ctrl_dir ("blkio", id), *pids = ctrl_dir ("pids", id);
  uint64_t inactive = cc_cgroup_read_key (mem, "memory.stat", "total_inactive_file");

  s->cpu_ns = cc_cgroup_read_u64 (cpu, "cpuacct.usage");
  s->mem_usage = cc_cgroup_read_u64 (mem, "memory.usage_in_bytes");
  s->mem_usage = s->mem_usage > inactive ? s->mem_usage - inactive : s->mem_usage;
  s->mem_limit = cc_cgroup_read_u64 (mem, "memory.limit_in_bytes");
  if (s->mem_limit >= V1_NO_LIMIT)
    s->mem_limit = 0;
  s->blk_read = cc_cgroup_sum_io (blk, "blkio.throttle.io_service_bytes", "Read");
  s->blk_write = cc_cgroup_sum_io (blk, "blkio.throttle.io_service_bytes", "Write");
  s->pids = cc_cgroup_read_u64 (pids, "pids.current");
}

/* Without cgroup.kill, signal every member; frozen tasks only die once
   thawed, so thaw after signalling (SIGKILL is queued meanwhile).  */
static int
v1_kill_all (const char *id, int sig, cc_error_t *err)
{
  cleanup_free char *dir = ctrl_dir ("pids", id);

  (void)err;
  cc_cgroup_kill_procs (dir, sig);
  if (v1_is_frozen (id) == 1 && sig == SIGKILL)
    return v1_freeze (id, false, NULL);
  return 0;
}

static int
v1_destroy (const char *id, cc_error_t *err)
{
  cc_error_t list = NULL;

  v1_kill_all (id, SIGKILL, NULL);
  for (size_t i = 0; i < CC_N_ELEMENTS (controllers); i++)
    {
      cleanup_free char *root = xasprintf (ROOT "/%s", controllers[i]);
      cc_error_t one = NULL;
      if (cc_cgroup_remove (root, id, &one) < 0)
        cc_error_append (&list, &one);
    }
  return hand_over (list, err);
}

const struct cc_cgroup_ops cc_cgroup_ops_v1 = {
  .name = "v1",
  .create = v1_create,
  .enter_self = v1_enter_self,
  .open_leaf = v1_open_leaf,
  .destroy = v1_destroy,
  .freeze = v1_freeze,
  .is_frozen = v1_is_frozen,
  .oom_kills = v1_oom_kills,
  .kill_all = v1_kill_all,
  .stats = v1_stats,
};

/* Hybrid: everything as v1, plus the unified leaf.  */

static char *
unified_dir (const char *id)
{
  return xasprintf (ROOT "/unified/%s", id);
}

static int
hybrid_create (const char *id, const struct cc_runtime_resources *r, bool restrict_devices, cc_error_t *err)
{
  cleanup_free char *dir = unified_dir (id);

  if (v1_create (id, r, restrict_devices, err) < 0 || cc_cgroup_rmdir (dir, err) < 0)
    return -1;
  return cc_cgroup_make (ROOT "/unified", id, NULL, err);
}

static int
hybrid_open_leaf (const char *id, int *fd, cc_error_t *err)
{
  cleanup_free char *dir = unified_dir (id);

  return cc_cgroup_open_dir (dir, fd, err);
}

static int
hybrid_kill_all (const char *id, int sig, cc_error_t *err)
{
  cleanup_free char *dir = unified_dir (id);

  if (cc_cgroup_kill_at_once (dir, sig))
    return v1_is_frozen (id) == 1 ? v1_freeze (id, false, err) : 0;
  return v1_kill_all (id, sig, err);
}

static int
hybrid_destroy (const char *id, cc_error_t *err)
{
  cc_error_t list = NULL, one = NULL;

  hybrid_kill_all (id, SIGKILL, NULL);
  if (v1_destroy (id, &one) < 0)
    cc_error_append (&list, &one);
  if (cc_cgroup_remove (ROOT "/unified", id, &one) < 0)
    cc_error_append (&list, &one);
  return hand_over (list, err);
}

const struct cc_cgroup_ops cc_cgroup_ops_hybrid = {
  .name = "hybrid",
  .create = hybrid_create,
  .enter_self = v1_enter_self,
  .open_leaf = hybrid_open_leaf,
  .destroy = hybrid_destroy,
  .freeze = v1_freeze,
  .is_frozen = v1_is_frozen,
  .oom_kills = v1_oom_kills,
  .kill_all = hybrid_kill_all,
  .stats = v1_stats,
};
