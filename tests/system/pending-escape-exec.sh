#!/usr/bin/env bash
# PENDING: escapes through `exec` that the runtime does not stop yet.  Not
# named test-*.sh, so tests/system/run leaves it out until runtime/exec.c
# is fixed; then rename it to test-escape-exec.sh.  Run it by hand:
#   bash tests/system/pending-escape-exec.sh
#
# 1. exec hands the caller's open file descriptors to the container
#    process (seen: the calling shell's fd 10 -> /dev/null and
#    fd 251 -> a host pipe).  A descriptor of a host directory would be a
#    way out (CVE-2024-21626); runc and crun close everything above
#    stdio before execve.
# 2. While exec joins the container, /proc/PID/exe of the joining process
#    is the host's ccompose binary and the container's root can open it
#    (CVE-2019-5736); once that inode is no longer running (an upgraded
#    binary, a monitor of the old one) it can be opened for writing.
#    runc makes the joining process non-dumpable (or runs from a sealed
#    memfd copy).
. "$(dirname "$0")/runtime-common.sh"

make -s -C "$TOP" build/escape-payload >/dev/null 2>&1 || { echo "cannot build the escape payload" >&2; exit 1; }

exec_setup() {
  setup "esc-$1"
  cp "$TOP/build/escape-payload" "$ROOTFS/escape"
}

test_exec_leaks_no_descriptor() {
  exec_setup execfds
  spec x1 '"args": ["/payload", "sleep", "60"]'
  assert_exit 0 "$CCOMPOSE" runtime run -d --spec "$SPECS/x1.json" x1
  # An extra descriptor of a host directory, as a careless caller has.
  exec 7<"$CCOMPOSE_STATE_DIR"
  assert_exit 0 "$CCOMPOSE" runtime exec x1 /escape leaked-fds
  exec 7<&-
  assert_contains "$OUT" "blocked leaked-fds: only stdio open"
  finish
}

test_exec_does_not_expose_the_host_binary() {
  exec_setup exe
  spec r1 '"args": ["/escape", "exe-race"]'
  assert_exit 0 "$CCOMPOSE" runtime run -d --spec "$SPECS/r1.json" r1
  wait_for 10 "the watcher" sh -c "'$CCOMPOSE' runtime logs r1 | grep -q watching"
  local i
  for i in $(seq 1 40); do "$CCOMPOSE" runtime exec r1 /payload pid >/dev/null 2>&1; done
  assert_exit 0 "$CCOMPOSE" runtime wait r1
  assert_exit 0 "$CCOMPOSE" runtime logs r1
  assert_contains "$OUT" "blocked exe-race"
  finish
}

run_tests
