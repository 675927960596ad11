#!/usr/bin/env bash
# Installing and starting the monitor program: an exec that fails says
# why.
. "$(dirname "$0")/runtime-common.sh"

# The monitor's directory on a noexec tmpfs, in a mount namespace of the
# test's own: the exec fails with EACCES whatever the installer does, and
# the mount goes with the namespace.
test_failed_exec_of_the_monitor_names_path_and_errno() {
  setup execfail
  spec x1 '"args": ["/payload", "exit", "0"]'
  OUT=$(unshare -m --propagation private bash -c '
    mkdir -p "$CCOMPOSE_DATA_DIR/bin" &&
    mount -t tmpfs -o noexec,size=8m ccompose-test "$CCOMPOSE_DATA_DIR/bin" &&
    "$CCOMPOSE" runtime create --spec "$1" x1' _ "$SPECS/x1.json" 2>&1)
  local rc=$?
  assert_eq "$rc" 1 "create with a noexec monitor directory: $OUT"
  assert_contains "$OUT" "exec \`$CCOMPOSE_DATA_DIR/bin/ccompose-monitor-"
  assert_contains "$OUT" ": Permission denied"
  assert_contains "$OUT" "container \`x1\`"
  assert_not_contains "$OUT" "exited before reporting"
  # The same create once the program is executable works: the failure
  # was the exec, not the spec.
  rt delete x1 || fail "delete after the failed create"
  assert_exit 0 rt create --spec "$SPECS/x1.json" x1
  finish
}

run_tests
