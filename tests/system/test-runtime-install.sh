#!/usr/bin/env bash
# Installing and starting the monitor program: an exec that fails says
# why; programs of other builds are removed once nobody uses them.
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

# Programs of other builds go when a build installs its own, unless a
# live process runs one or an installer holds its lock.
test_old_monitor_programs_go_unless_in_use() {
  setup oldmonitors
  local bin=$CCOMPOSE_DATA_DIR/bin unused=ccompose-monitor-00000000000000aa
  local running=ccompose-monitor-00000000000000bb held=ccompose-monitor-00000000000000cc
  mkdir -p "$bin"
  for f in "$unused" "$running" "$held"; do cp "$PAYLOAD" "$bin/$f"; done
  echo partial > "$bin/ccompose-monitor-00000000000000dd.tmp.1"
  echo other > "$bin/ccompose-monitor-not-a-hash"
  "$bin/$running" sleep 60 >/dev/null &
  local pid=$!
  defer "kill $pid"
  runs_it() { [ "$(readlink "/proc/$pid/exe")" = "$bin/$running" ]; }
  wait_for 5 "the old program to run" runs_it
  local fd
  exec {fd}<"$bin/$held"
  flock -s "$fd" || fail "flock"
  spec o1 '"args": ["/payload", "exit", "0"]'
  assert_exit 0 rt create --spec "$SPECS/o1.json" o1
  [ -e "$bin/$unused" ] && fail "an unused program of another build stayed"
  [ -e "$bin/$running" ] || fail "the program a live process runs went"
  [ -e "$bin/$held" ] || fail "a program held by an installer went"
  [ -e "$bin/ccompose-monitor-00000000000000dd.tmp.1" ] || fail "an install under way lost its file"
  [ -e "$bin/ccompose-monitor-not-a-hash" ] || fail "a file not named like a program went"
  local current
  current=$(readlink "/proc/$(state_field o1 monitor_pid)/exe")
  [ -x "$current" ] || fail "the current program is missing: $current"
  # Once free, they go with the next install; a program that lost its
  # exec bits is installed again.
  kill "$pid" && wait "$pid"
  exec {fd}<&-
  chmod 0444 "$current"
  spec o2 '"args": ["/payload", "exit", "0"]'
  assert_exit 0 rt create --spec "$SPECS/o2.json" o2
  [ -x "$current" ] || fail "the current program was not installed again"
  [ -e "$bin/$running" ] && fail "a program whose process exited stayed"
  [ -e "$bin/$held" ] && fail "a program whose lock was released stayed"
  finish
}

run_tests
