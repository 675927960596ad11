#!/usr/bin/env bash
# The cgroup keys of issue 15 seen from inside running containers: CPU
# quota and period, cpuset, real-time runtime, swappiness, the OOM
# killer's switch and score, block I/O throttles, and `cgroup: host`
# (the host's cgroup namespace, yet only the container's own cgroups under
# /sys/fs/cgroup); what this host cannot honour fails naming the key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# A block device of the host and its major:minor (decimal).
first_block_device() {
  local d
  for d in /sys/block/*; do
    [ -b "/dev/${d##*/}" ] && { echo "/dev/${d##*/} $(cat "$d/dev")" && return 0; }
  done
  return 1
}

# A v1 controller's file as the container sees it.
v1() { echo "/sys/fs/cgroup/$1/$2"; }

test_cgroup_keys_seen_inside_a_container() {
  [ -e /sys/fs/cgroup/cgroup.controllers ] && skip "cgroup v2 host: the v1 files are unit-tested (test-runtime-cgroup.c)"
  local blk dev
  read -r blk dev <<<"$(first_block_device)" || skip "no block device"
  eng_setup cgns
  load_images busybox
  project cgns <<YAML
services:
  c:
    image: busybox:1.35
    command: ["sleep", "60"]
    init: true
    cpu_period: 50000
    cpu_quota: 25000
    cpuset: "0"
    cpu_rt_period: 100000
    cpu_rt_runtime: 1000
    mem_limit: 32m
    mem_swappiness: 10
    oom_kill_disable: true
    oom_score_adj: 100
    cgroup: host
    blkio_config:
      device_read_bps: [{path: $blk, rate: 1mb}]
      device_write_iops: [{path: $blk, rate: 70}]
  p:
    image: busybox:1.35
    command: ["sleep", "60"]
    init: true
    cgroup: private
YAML
  cd "$WORK/cgns" || fail cd
  assert_exit 0 cc up -d
  local x="cc exec -T c"
  assert_exit 0 $x cat "$(v1 cpu cpu.cfs_period_us)" "$(v1 cpu cpu.cfs_quota_us)" "$(v1 cpuset cpuset.cpus)" \
    "$(v1 cpu cpu.rt_period_us)" "$(v1 cpu cpu.rt_runtime_us)" "$(v1 memory memory.swappiness)"
  assert_eq "$OUT" "50000
25000
0
100000
1000
10"
  assert_exit 0 $x cat "$(v1 memory memory.oom_control)" /proc/1/oom_score_adj
  assert_contains "$OUT" "oom_kill_disable 1"
  assert_contains "$OUT" "100"
  assert_exit 0 $x cat "$(v1 blkio blkio.throttle.read_bps_device)" "$(v1 blkio blkio.throttle.write_iops_device)"
  assert_eq "$OUT" "$dev 1048576
$dev 70"
  # cgroup: host: the host's cgroup namespace (the full path shows) ...
  assert_exit 0 $x cat /proc/self/cgroup
  assert_contains "$OUT" ":/ccompose/"
  # ... but not the host's hierarchy: its own cgroup is all there is.
  assert_exit 0 $x ls /sys/fs/cgroup/memory /sys/fs/cgroup/cpu
  assert_not_contains "$OUT" "ccompose"
  assert_not_contains "$OUT" "slice"
  assert_exit 1 $x sh -c 'echo 1 >/sys/fs/cgroup/memory/memory.limit_in_bytes'
  # cgroup: private (the default): its own namespace, the root at home.
  assert_exit 0 cc exec -T p cat /proc/self/cgroup
  assert_not_contains "$OUT" "ccompose"
  assert_contains "$OUT" ":memory:/"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# What the host cannot honour is refused naming the key: a proportional
# I/O weight without BFQ, an OOM score below the caller's without
# CAP_SYS_RESOURCE; a bad value fails at its file:line:col.
test_cgroup_keys_the_host_cannot_honour() {
  eng_setup cgno
  load_images busybox
  project cgno <<'YAML'
services:
  w:
    image: busybox:1.35
    command: ["true"]
    blkio_config: {weight: 300}
YAML
  cd "$WORK/cgno" || fail cd
  if [ -e /sys/fs/cgroup/blkio/blkio.weight ] || [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
    assert_exit 0 cc up -d
  else
    assert_exit 1 cc up -d
    assert_contains "$OUT" "blkio_config weight: no proportional I/O scheduler"
  fi
  assert_exit 0 cc down -t 0
  local eff
  eff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
  if ((((0x$eff >> 24) & 1) == 0)); then
    sed -i 's/blkio_config: {weight: 300}/oom_score_adj: -500/' compose.yaml
    assert_exit 1 cc up -d
    assert_contains "$OUT" "oom_score_adj: write \`-500\`"
    assert_contains "$OUT" "CAP_SYS_RESOURCE"
    assert_exit 0 cc down -t 0
  fi
  sed -i 's/oom_score_adj: -500/cpu_period: 10/; s/blkio_config: {weight: 300}/cpu_period: 10/' compose.yaml
  assert_exit 1 cc config
  assert_contains "$OUT" "compose.yaml:5:17: \`cpu_period\` must be between 1000 and 1000000"
  assert_no_residue
}

# pid/ipc `service:x` join x's namespaces (x starts first: an implicit
# dependency) and see x's processes, never the host's; `host` shares the
# host's (uts: host keeps the host's name); network_mode container:NAME
# joins that container's network namespace.
test_namespaces_shared_with_a_service_or_the_host() {
  eng_setup nsh
  load_images busybox
  project nsh <<'YAML'
services:
  y:
    image: busybox:1.35
    command: ["sleep", "61"]
    pid: service:x
    ipc: service:x
  x:
    image: busybox:1.35
    command: ["sleep", "60"]
    ipc: shareable
  h:
    image: busybox:1.35
    command: ["sleep", "62"]
    pid: host
    ipc: host
    uts: host
YAML
  cd "$WORK/nsh" || fail cd
  assert_exit 0 cc config
  assert_contains "$OUT" "depends_on:"
  assert_exit 0 cc up -d
  local ns x_ns
  for ns in pid ipc; do
    assert_exit 0 cc exec -T x readlink /proc/self/ns/$ns
    x_ns=$OUT
    assert_exit 0 cc exec -T y readlink /proc/self/ns/$ns
    assert_eq "$OUT" "$x_ns" "y shares x's $ns namespace"
    assert_exit 0 cc exec -T h readlink /proc/self/ns/$ns
    assert_eq "$OUT" "$(readlink /proc/self/ns/$ns)" "h shares the host's $ns namespace"
  done
  # y sees x's sleep and its own, nothing of the host (this shell, the
  # monitors); x's own pid namespace is not the host's.
  assert_exit 0 cc exec -T y sh -c 'cat /proc/[0-9]*/cmdline | tr "\0" " "'
  assert_contains "$OUT" "sleep 60"
  assert_contains "$OUT" "sleep 61"
  assert_not_contains "$OUT" "ccompose"
  assert_not_contains "$OUT" "sleep 62"
  for ns in pid ipc; do
    assert_exit 0 cc exec -T x readlink /proc/self/ns/$ns
    [ "$OUT" != "$(readlink /proc/self/ns/$ns)" ] || fail "x is in the host's $ns namespace"
  done
  # h, in the host's: this very shell, and the host's name.
  assert_exit 0 cc exec -T h sh -c "test -d /proc/$$ && hostname"
  assert_eq "$OUT" "$(hostname)"
  assert_exit 0 cc exec -T h readlink /proc/self/ns/uts
  assert_eq "$OUT" "$(readlink /proc/self/ns/uts)"
  # network_mode container:NAME: the same network namespace as x.
  mkdir -p "$WORK/nshc"
  printf 'services:\n  c:\n    image: busybox:1.35\n    command: ["sleep", "63"]\n    network_mode: container:nsh-x-1\n' \
    >"$WORK/nshc/compose.yaml"
  assert_exit 0 cc -f "$WORK/nshc/compose.yaml" up -d
  assert_exit 0 cc exec -T x readlink /proc/self/ns/net
  x_ns=$OUT
  assert_exit 0 cc -f "$WORK/nshc/compose.yaml" exec -T c readlink /proc/self/ns/net
  assert_eq "$OUT" "$x_ns" "c joins x's network namespace"
  assert_exit 0 cc -f "$WORK/nshc/compose.yaml" down -t 0
  assert_exit 0 cc down -t 0
  assert_no_residue
}

run_tests
