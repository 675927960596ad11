# Shared helpers for system tests (root, real kernel).  Source it, define
# test_* functions, then call `run_tests`.  Each test runs in its own
# subshell; a test registers its cleanup with `defer CMD`, which runs even
# when the test fails.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CCOMPOSE=${CCOMPOSE_BIN:-$TOP/build/ccompose}
export CCOMPOSE TOP
# up pulls missing images (Docker's default): tests never reach a real
# registry.  docker.io references go to a loopback port nobody listens
# on, so such a pull fails at once; the pull tests point it elsewhere.
export CCOMPOSE_REGISTRY_MIRROR=${CCOMPOSE_REGISTRY_MIRROR:-http://127.0.0.1:1}
# The embedded DNS forwards what it does not know to the host's
# nameservers: tests give it none (those that forward run their own,
# tests/system/dns-helpers.bash), so no query of theirs leaves the machine.
export CCOMPOSE_RESOLV_CONF=${CCOMPOSE_RESOLV_CONF:-$TOP/tests/system/resolv-none.conf}
# The firewall backend: iptc (the legacy tables) unless the caller picks
# one; `make check` runs the network and engine tests again under
# nftables.  Tests read the kernel's rules through fw-save, which knows
# where each backend writes.  Auto-detection has tests of its own.
export CCOMPOSE_FIREWALL=${CCOMPOSE_FIREWALL:-iptc}
FW_SAVE=$TOP/tests/system/fw-save
# The command fw-save needs for the backend in use.
require_firewall_tools() {
  if [ "$CCOMPOSE_FIREWALL" = nftables ]; then
    command -v nft >/dev/null || skip "nft missing (make deps)"
  else
    command -v iptables-legacy-save >/dev/null || skip "iptables-legacy-save missing"
  fi
}

# What findings call the backend's rules ("iptables nat/CCOMPOSE-DNAT").
fw_label() { if [ "$CCOMPOSE_FIREWALL" = nftables ]; then echo nftables; else echo iptables; fi; }

_deferred=()
defer() { _deferred=("$*" "${_deferred[@]}"); }
_residue_failed=
_run_deferred() {
  local c rc=$?
  for c in "${_deferred[@]}"; do
    case $c in
      _residue_check*) eval "$c" || true;;
      *) eval "$c" >/dev/null 2>&1 || true;;
    esac
  done
  _deferred=()
  # A test that passed but left something of ccompose's behind fails.
  [ -z "$_residue_failed" ] || [ "$rc" -ne 0 ] || exit 1
}

# After the test's own cleanup, before its state root goes: nothing of
# this root may remain (ARCHITECTURE.md, "Crash safety"; `ccompose system check`).
_residue_check() {
  local out deadline=$((SECONDS + 5))
  [ -x "$CCOMPOSE" ] || return 0
  # Monitors exit on their own shortly after their container goes.
  while ! out=$("$CCOMPOSE" system check 2>&1); do
    if [ $SECONDS -ge $deadline ]; then
      echo "    FAIL: residue after the test (ccompose system check):" >&2
      printf '%s\n' "$out" | sed 's/^/      /' >&2
      _residue_failed=1
      return 1
    fi
    sleep 0.1
  done
}

fail() { echo "    FAIL: $*" >&2; exit 1; }
skip() { echo "    SKIP: $*" >&2; exit 77; }

assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: expected [$2], got [$1]"; }
assert_contains() { case "$1" in *"$2"*) ;; *) fail "${3:-missing text}: [$2] not in [$1]";; esac; }
assert_not_contains() { case "$1" in *"$2"*) fail "${3:-unexpected text}: [$2] in [$1]";; esac; }
# assert_exit CODE CMD...: run CMD, expect exit CODE; its output is in $OUT.
assert_exit() {
  local want=$1; shift
  OUT=$("$@" 2>&1); local rc=$?
  [ "$rc" = "$want" ] || fail "exit $rc (wanted $want) from: $*
$OUT"
}

# wait_for TIMEOUT_S DESCRIPTION CMD...: poll until CMD succeeds.
wait_for() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    # The condition's last words say what was missing.
    [ $SECONDS -lt $deadline ] || fail "timed out after ${limit}s waiting for $what: $("$@" 2>&1 | tail -c 600)"
    sleep 0.05
  done
}

# A private state root per test, under the prefixes residue checks watch.
# hold SPEC...: one python3 in the test's host namespace ($HOSTNS) holding
# a socket per SPEC, "tcp|udp/4|6/ADDRESS/PORT", until the test ends;
# HOLDER is its pid.
hold() {
  local ready
  ready=$(mktemp -u /tmp/cc-hold.XXXXXX)
  # Not through a function: $! must be the holder itself.
  nsenter --net="/run/netns/$HOSTNS" python3 -c '
import socket, sys, time
held = []
for spec in sys.argv[2:]:
    proto, family, addr, port = spec.split("/")
    s = socket.socket(socket.AF_INET6 if family == "6" else socket.AF_INET,
                      socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    if proto == "tcp":
        s.listen()
    held.append(s)
open(sys.argv[1], "w").close()
time.sleep(600)
' "$ready" "$@" </dev/null >/dev/null 2>&1 &
  HOLDER=$!
  defer "kill $HOLDER; rm -f '$ready'"
  wait_for 5 "python3 holding $*" test -e "$ready"
}

# Roots are named after the test and the checkout: two checkouts on one
# machine may run the same test file at once, and a shared root would
# mix their containers and locks.  A short tag keeps socket paths below
# the 108 bytes of sun_path.
_checkout_tag=$(printf %s "$TOP" | cksum | cut -c1-4)
use_private_state() {
  export CCOMPOSE_STATE_DIR=/run/ccompose-test/$1-$_checkout_tag
  export CCOMPOSE_DATA_DIR=/var/lib/ccompose-test/$1-$_checkout_tag
  mkdir -p "$CCOMPOSE_STATE_DIR" "$CCOMPOSE_DATA_DIR"
  defer "rm -rf '$CCOMPOSE_STATE_DIR' '$CCOMPOSE_DATA_DIR'"
  defer "_residue_check"
}

require_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

run_tests() {
  local t rc start passed=0 failed=0 skipped=0
  for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
    if [ -n "${ONLY:-}" ] && [[ $t != *$ONLY* ]]; then continue; fi
    start=$SECONDS
    ( trap _run_deferred EXIT; "$t" ) </dev/null
    rc=$?
    # The time, as a TAP comment: the CI run has a budget to keep.
    case $rc in
      0) echo "ok $t # $((SECONDS - start)) s"; passed=$((passed + 1));;
      77) echo "skip $t # $((SECONDS - start)) s"; skipped=$((skipped + 1));;
      *) echo "not ok $t # $((SECONDS - start)) s"; failed=$((failed + 1));;
    esac
  done
  echo "# $(basename "$0"): $passed passed, $failed failed, $skipped skipped"
  [ $failed -eq 0 ]
}
