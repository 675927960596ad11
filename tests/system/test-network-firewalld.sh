#!/usr/bin/env bash
# Issue 17: ccompose beside firewalld, whose forward chain rejects what
# comes from an interface no zone accepts.  Debian's firewalld runs once
# per file in a throwaway network namespace, on a D-Bus system bus of
# its own (firewalld.bash); ccompose runs in the same namespace, told
# that bus, with the backend make check picks.  Containers reach a
# "remote" server in another namespace through the host namespace's
# forward chain (routed, so br_netfilter plays no part).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"
. "$(dirname "$0")/network-helpers.bash"
. "$(dirname "$0")/firewalld.bash"

FW_NS=ccfwd-$$
FW_READY=

fw_up() {
  [ "$(id -u)" = 0 ] || { FIREWALLD_WHY="needs root"; return; }
  ip netns add "$FW_NS" || { FIREWALLD_WHY="ip netns add $FW_NS failed"; return; }
  ip -n "$FW_NS" link set lo up
  firewalld_start "$FW_NS" "/run/ccfwd-$$" || return
  FW_READY=1
}

fw_down() {
  firewalld_stop
  ip netns del "$FW_NS" 2>/dev/null
  return 0
}

need_firewalld() { [ -n "$FW_READY" ] || skip "$FIREWALLD_WHY"; }

# One busybox service that sleeps; the remote server answers "remote".
fw_project() {
  load_images busybox
  project "$1" <<'YAML'
services:
  a:
    image: busybox:1.35
    init: true
    command: ["sleep", "3600"]
YAML
  cd "$WORK/$1" || fail "cd"
  client_setup "$1"
  local dir
  dir=$(mktemp -d /tmp/ccfwd-www.XXXXXX)
  echo remote >"$dir/index.html"
  nsenter --net="/run/netns/$CLIENTNS" busybox httpd -f -p 8080 -h "$dir" >/dev/null 2>&1 &
  defer "kill $!; rm -rf '$dir'"
  wait_for 5 "the remote server" inclient curl -sf -m 1 http://127.0.0.1:8080/
}

# From a's namespace, without any ccompose command (which would repair).
a_reaches_remote() {
  [ "$(nsenter --net="$CCOMPOSE_STATE_DIR/netns/$1-a-1" curl -s -m 2 http://172.31.99.2:8080/)" = remote ]
}

bridge_of() {
  inh "$CCOMPOSE" netdev ls | python3 -c '
import json, sys
print(" ".join(n["bridge"] for n in json.load(sys.stdin).get("networks", []) if n["project"] == sys.argv[1]))' "$1"
}

zone_of() { fw_zone getZoneOfInterface string:"$1"; }
# cc* interfaces of the trusted zone, at runtime, and in the permanent
# configuration (what a reload reads).
trusted_cc() { fw_zone getInterfaces string:trusted | grep '^cc' | tr '\n' ' ' | sed 's/ $//'; }
trusted_cc_permanent() { fw_permanent trusted getInterfaces | grep '^cc' | tr '\n' ' ' | sed 's/ $//'; }

fw_setup() {
  need_firewalld
  eng_setup "$1-$$"
  export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$FIREWALLD_DIR/bus
  HOSTNS=$FW_NS
}

assert_no_binding() {
  assert_eq "$(trusted_cc)" "" "cc interfaces in the trusted zone $1"
  assert_eq "$(trusted_cc_permanent)" "" "cc interfaces in the permanent trusted zone $1"
}

# One up for the life of a binding (firewalld starts in ~5 s and
# answers slowly: the checks share it).
# - The bridge joins firewalld's trusted zone, at runtime and in the
#   permanent configuration, so a reload of firewalld, which wipes every
#   rule others put in its chains and (FlushAllOnReload, Debian's
#   default) every runtime binding, leaves containers their way out.
# - A firewalld that restarted forgot its runtime zones: system check
#   says so, and the next command puts the bridge back.
# - down takes the bridge out of both.
# - Crash safety: the zone is recorded before firewalld hears of it, so
#   after a crash right after the binding down still takes it out.
test_bridges_join_the_trusted_zone_until_down() {
  local br n
  fw_setup fwdzone
  fw_project fwdzone
  n=$(CCOMPOSE_CRASH_TRACE=1 cc up -d 2>&1 | sed -n 's/^crash-point \([0-9]*\) firewalld zone$/\1/p' | head -n 1)
  [ -n "$n" ] || fail "no crash point after the firewalld zone"
  br=$(bridge_of fwdzone)
  assert_eq "$(zone_of "$br")" trusted "zone of $br"
  assert_eq "$(trusted_cc_permanent)" "$br" "permanent binding"
  wait_for 10 "a reaching the remote server" a_reaches_remote fwdzone
  fw_send $FWD_PATH $FWD.reload >/dev/null || fail "reload firewalld"
  wait_for 10 "firewalld after its reload" _fw_running
  assert_eq "$(zone_of "$br")" trusted "zone of $br after firewalld's reload"
  a_reaches_remote fwdzone || fail "a cannot reach the remote server after firewalld's reload"
  assert_exit 0 inh "$CCOMPOSE" system check

  # What a restart of firewalld without its permanent configuration (or
  # another tool) does.
  fw_zone removeInterface string:trusted string:"$br" >/dev/null || fail "removeInterface"
  fw_permanent trusted removeInterface string:"$br" >/dev/null || fail "permanent removeInterface"
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "missing: firewalld: bridge $br is not in zone trusted"
  assert_exit 0 cc ps
  assert_contains "$OUT" "restoring them"
  assert_eq "$(zone_of "$br")" trusted "zone of $br after ps"
  assert_eq "$(trusted_cc_permanent)" "$br" "permanent binding after ps"

  assert_exit 0 cc down -t 0
  assert_no_binding "after down"
  { CCOMPOSE_CRASH_AT=$n cc up -d; } >/dev/null 2>&1 && fail "up survived a crash at step $n"
  br=$(bridge_of fwdzone)
  assert_eq "$(zone_of "$br")" trusted "zone after the crash"
  assert_exit 0 cc down -t 0
  assert_no_binding "after down after a crash"
  assert_no_residue
}

# A binding nobody records (here: of a bridge that is gone) is residue:
# system check reports it, --fix takes it away.
test_stray_bindings_are_residue() {
  fw_setup fwdstray
  fw_zone addInterface string:trusted string:ccfwdgone0 >/dev/null || fail "addInterface"
  defer "fw_zone removeInterface string:trusted string:ccfwdgone0"
  fw_permanent trusted addInterface string:ccfwdgone1 >/dev/null || fail "permanent addInterface"
  defer "fw_permanent trusted removeInterface string:ccfwdgone1"
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "firewalld zone trusted: interface ccfwdgone0"
  assert_contains "$OUT" "firewalld zone trusted (permanent): interface ccfwdgone1"
  assert_exit 0 inh "$CCOMPOSE" system check --fix
  assert_no_binding "after --fix"
}

trap fw_down EXIT
fw_up
ENG_HOSTNS=$FW_NS
run_tests
