# Helpers for the engine system tests (sourced after lib.sh).
#
# Each test runs ccompose inside a throwaway network namespace that plays
# the host, with a private state root: bridges, veths, iptables rules and
# published ports live there, so the real host is never touched and tests
# can publish the same ports side by side.  `nsenter --net` keeps the
# mount namespace, so ccompose's netns bind mounts stay visible.

# eng_setup NAME: private state, host namespace, cleanup that brings every
# project down (and checks nothing is left) even when the test fails.
eng_setup() {
  require_root
  require_firewall_tools
  use_private_state "eng-$1"
  # ENG_HOSTNS: a namespace the test file made (and removes), shared by
  # its tests, e.g. one a dockerd runs in.
  HOSTNS=${ENG_HOSTNS:-cce-$1-$$}
  if [ -z "${ENG_HOSTNS:-}" ]; then
    ip netns add "$HOSTNS" || fail "ip netns add $HOSTNS"
    defer "ip netns del $HOSTNS"
  fi
  defer "eng_unmount_all"
  defer "eng_down_all"
  defer "kill_left_monitors"
  ip -n "$HOSTNS" link set lo up
  export CCOMPOSE_SUBNET_POOL=10.89.0.0/16:24
  WORK=$(mktemp -d /tmp/cce-$1.XXXXXX)
  defer "rm -rf '$WORK'"
}

# Run in the host namespace.
inh() { nsenter --net="/run/netns/$HOSTNS" "$@"; }
# ccompose in the host namespace.
cc() { inh "$CCOMPOSE" "$@"; }

eng_down_all() {
  local p
  for p in $(ls "$CCOMPOSE_STATE_DIR/projects" 2>/dev/null); do
    cc -p "$p" down -v -t 0 >/dev/null 2>&1
  done
  return 0
}

eng_unmount_all() {
  local f
  for f in "$CCOMPOSE_STATE_DIR"/netns/*; do
    [ -e "$f" ] && umount -l "$f" 2>/dev/null
  done
  return 0
}

# load_images NAME...: sample images (built offline on first use).
load_images() {
  local n
  for n in "$@"; do
    [ -d "$TOP/samples/images/out/$n" ] || "$TOP/samples/images/build" "$n" >/dev/null 2>&1 ||
      skip "cannot build sample image $n"
    "$CCOMPOSE" image load -i "$TOP/samples/images/out/$n" >/dev/null || fail "image load $n"
  done
}

# project DIR: a compose file from stdin in $WORK/DIR.
project() {
  mkdir -p "$WORK/$1"
  cat >"$WORK/$1/compose.yaml"
}

# Nothing of ccompose's in the host namespace and the state root.
assert_no_residue() {
  local rules links left
  rules=$(inh "$FW_SAVE" | grep -iE 'ccompose' || true)
  [ -z "$rules" ] || fail "firewall residue: $rules"
  links=$(inh ip -o link show | awk -F': ' '{print $2}' | grep '^cc' || true)
  [ -z "$links" ] || fail "interface residue: $links"
  left=$(ls -A "$CCOMPOSE_STATE_DIR/netns" "$CCOMPOSE_STATE_DIR/containers" "$CCOMPOSE_STATE_DIR/projects" \
    "$CCOMPOSE_DATA_DIR/containers" 2>/dev/null | grep -v '^/' | grep -v '^$' || true)
  [ -z "$left" ] || fail "state residue: $left"
  [ -n "${SKIP_MONITOR_CHECK:-}" ] || wait_for 5 "no monitor of this state root" no_monitor_left
}

# Pids of ccompose processes (the CLI's jobs, and monitors, which run the
# program installed under the data directory) of this test's state root.
our_pids() {
  local bin d
  bin=$(readlink -f "$CCOMPOSE")
  # One find, not a readlink per process: the loop cost a second per
  # residue check on a busy machine.
  for d in $(find /proc -mindepth 2 -maxdepth 2 -name exe \( -lname "$bin" \
    -o -lname "$CCOMPOSE_DATA_DIR/bin/ccompose-monitor-*" \) -printf '%h\n' 2>/dev/null); do
    grep -qsa "CCOMPOSE_STATE_DIR=$CCOMPOSE_STATE_DIR" "$d/environ" && echo "${d#/proc/}"
  done
  return 0
}

# Kill (by pid) the monitors this test's state root left behind.
kill_left_monitors() {
  local p
  for p in $(our_pids); do kill -9 "$p" 2>/dev/null; done
  return 0
}

# No ccompose process (monitor, job) runs with this test's state root.
no_monitor_left() {
  [ -z "$(our_pids)" ]
}

# The container's state from the runtime.
rt_status() { "$CCOMPOSE" runtime state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
