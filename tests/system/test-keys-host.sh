#!/usr/bin/env bash
# Service keys of issue 15 that reach into the host, seen from inside
# running containers: cgroup_parent (the cgroups below the given parent,
# one made for the project goes at `down`, one that was there stays),
# `ipc: service:x` sharing x's /dev/shm as Docker's shareable IPC does,
# and `ipc: host` binding the host's /dev/shm as Docker does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# Every mounted cgroup hierarchy (v1 controllers, cgroup2, hybrid's unified).
cgroup_roots() { awk '$9 == "cgroup" || $9 == "cgroup2" {print $5}' /proc/self/mountinfo | sort -u; }

test_cgroup_parent_holds_the_containers_and_goes_when_made() {
  local made=ccparent-$$ kept=ccprexist-$$ r
  eng_setup cgpar
  load_images busybox
  for r in $(cgroup_roots); do
    mkdir -p "$r/$kept" || fail "mkdir $r/$kept"
  done
  defer "for r in \$(awk '\$9 == \"cgroup\" || \$9 == \"cgroup2\" {print \$5}' /proc/self/mountinfo); do rmdir \$r/$made/sub \$r/$made \$r/$kept 2>/dev/null; done; true"
  project cgpar <<YAML
services:
  a:
    image: busybox:1.35
    command: ["sleep", "60"]
    init: true
    cgroup: host
    cgroup_parent: $made/sub
    scale: 2
  b:
    image: busybox:1.35
    command: ["sleep", "60"]
    init: true
    cgroup: host
    cgroup_parent: /$kept
YAML
  cd "$WORK/cgpar" || fail cd
  assert_exit 0 cc up -d
  assert_exit 0 cc exec -T --index 2 a cat /proc/1/cgroup
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    assert_contains "$OUT" "0::/$made/sub/"
  else
    assert_contains "$OUT" ":pids:/$made/sub/"
    assert_contains "$OUT" ":memory:/$made/sub/"
  fi
  # Its own cgroup is what it sees of the hierarchy, as without a parent.
  assert_exit 0 cc exec -T a sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
  assert_eq "$OUT" "max"
  assert_exit 0 cc exec -T b cat /proc/1/cgroup
  assert_contains "$OUT" ":/$kept/"
  assert_exit 0 cc down -t 0
  for r in $(cgroup_roots); do
    [ -e "$r/$made" ] && fail "cgroup residue: $r/$made"
    [ -d "$r/$kept" ] || fail "the parent that was there before went: $r/$kept"
    [ -z "$(find "$r/$kept" -mindepth 1 -type d)" ] || fail "cgroup residue under $r/$kept"
  done
  assert_no_residue
}

# POSIX shared memory lives in /dev/shm, so sharing x's IPC namespace
# shares x's /dev/shm mount too; the sharer's own stays its own.
test_ipc_service_shares_the_donors_dev_shm() {
  eng_setup ipcshm
  load_images busybox
  project ipcshm <<'YAML'
services:
  x:
    image: busybox:1.35
    command: ["sleep", "60"]
    init: true
    shm_size: 8m
  s:
    image: busybox:1.35
    command: ["sleep", "60"]
    init: true
    ipc: service:x
YAML
  cd "$WORK/ipcshm" || fail cd
  assert_exit 0 cc up -d
  assert_exit 0 cc exec -T x sh -c 'echo from-x >/dev/shm/cck6-seg'
  assert_exit 0 cc exec -T s sh -c 'cat /dev/shm/cck6-seg && echo from-s >>/dev/shm/cck6-seg && df -k /dev/shm'
  assert_contains "$OUT" "from-x"
  assert_contains "$OUT" " 8192 "
  assert_exit 0 cc exec -T x cat /dev/shm/cck6-seg
  assert_eq "$OUT" "from-x
from-s"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# ipc: host brings the host's /dev/shm (its files and POSIX segments) and
# nothing else of the host: not a mount below it, before or after the
# container starts, and no setuid file or device works through it.
test_ipc_host_binds_the_hosts_dev_shm_and_nothing_more() {
  local file=/dev/shm/ccipch-$$ sub=/dev/shm/ccipcsub-$$ late=/dev/shm/ccipclate-$$
  eng_setup ipchost
  load_images busybox
  defer "umount $sub 2>/dev/null; umount $late 2>/dev/null; rm -rf $file $sub $late"
  echo from-the-host >"$file"
  mkdir -p "$sub" "$late"
  mount -t tmpfs -o size=64k ccipcsub "$sub" || fail "mount $sub"
  echo below >"$sub/secret"
  project ipchost <<'YAML'
services:
  h:
    image: busybox:1.35
    command: ["sleep", "60"]
    init: true
    ipc: host
YAML
  cd "$WORK/ipchost" || fail cd
  assert_exit 0 cc up -d
  mount -t tmpfs -o size=64k ccipclate "$late" || fail "mount $late"
  echo later >"$late/secret"
  assert_exit 0 cc exec -T h sh -c "cat $file && echo from-h >$file.h && ls -A $sub $late && grep ' /dev/shm' /proc/self/mountinfo"
  defer "rm -f $file.h"
  assert_contains "$OUT" "from-the-host"
  assert_not_contains "$OUT" "secret"
  assert_eq "$(grep -c ' /dev/shm' <<<"$OUT")" 1 "mounts at and below /dev/shm: $OUT"
  grep -q ' /dev/shm .*nosuid,nodev' <<<"$OUT" || fail "the host's /dev/shm is not nosuid,nodev inside: $OUT"
  assert_eq "$(cat "$file.h")" "from-h" "the container's file in the host's /dev/shm"
  # A device node made through it opens nothing (nodev).
  assert_exit 0 cc exec -T h sh -c "mknod $file.dev c 1 3 && { head -c1 $file.dev && echo OPENED || echo refused; }"
  defer "rm -f $file.dev"
  assert_contains "$OUT" "refused"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

run_tests
