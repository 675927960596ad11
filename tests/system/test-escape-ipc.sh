#!/usr/bin/env bash
# `ipc: service:x` clones x's /dev/shm mount for its sharer
# (runtime/namespaces.c, clone_donor_shm).  The clone is made by a helper
# with every capability that has joined x's mount namespace, so whatever
# x left at /dev/shm is resolved with the host's powers: a hostile donor
# must not be able to hand its sharer anything but a tmpfs of its own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# The donor swaps its /dev/shm for a symlink to /proc/1/root: under
# `pid: host` that is the host's root for anyone allowed to follow it,
# and the helper is.  The sharer must not start with the host's root.
test_ipc_donor_cannot_hand_the_host_root_to_its_sharer() {
  local marker=/run/ccompose-ipc-marker-$$
  eng_setup ipcesc
  load_images busybox
  echo host-secret >"$marker"
  defer "rm -f '$marker'"
  project ipcesc <<'YAML'
services:
  x:
    image: busybox:1.35
    pid: host
    cap_add: [SYS_ADMIN]
    command: ["sh", "-c", "umount /dev/shm && rmdir /dev/shm && ln -s /proc/1/root /dev/shm && sleep 60"]
    init: true
    healthcheck:
      test: ["CMD", "test", "-L", "/dev/shm"]
      interval: 1s
      retries: 30
  s:
    image: busybox:1.35
    command: ["sleep", "60"]
    init: true
    ipc: service:x
YAML
  cd "$WORK/ipcesc" || fail cd
  # s is made only once x has swapped: `up` makes every container
  # before it starts any, when x's /dev/shm is still its tmpfs.
  assert_exit 0 cc up -d --wait x
  assert_exit 1 cc up -d s
  assert_contains "$OUT" 'container `ipcesc-s-1`: clone the /dev/shm mount of `ipcesc-x-1`' "the refusal names what was refused"
  assert_not_contains "$OUT" 'ipcesc-s-1`: container `ipcesc-s-1' "the container is named once"
  OUT=$(cc exec -T s cat "/dev/shm$marker" 2>&1)
  assert_not_contains "$OUT" "host-secret" "the sharer reads the host's $marker through the donor's /dev/shm"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

run_tests
