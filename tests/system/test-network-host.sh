#!/usr/bin/env bash
# Once on the real host namespace: a bridge, two container namespaces, a
# port published on 127.0.0.1 only, then teardown leaves nothing of this
# state root and ip_forward as it was.  Traffic goes only to 127.0.0.1 and
# into the namespaces this test creates.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/network-helpers.bash"

test_published_port_on_the_real_host() {
  require_root
  require_firewall_tools
  use_private_state "net-host-$$"
  HOSTNS=
  PROJECT=phost
  # Checked against the host's real routes; the error would name a clash.
  export CCOMPOSE_SUBNET_POOL=10.89.0.0/16:24
  unset CCOMPOSE_CRASH_AT
  # Another run of the suite may hold a port at the same time.
  local fwd_before port=$((18080 + $$ % 1000))
  fwd_before=$(cat /proc/sys/net/ipv4/ip_forward)
  # Safety nets, in case an assertion fails half way.
  defer "echo $fwd_before > /proc/sys/net/ipv4/ip_forward"
  defer "$CCOMPOSE netdev residue --fix"
  defer "net_unmount_all"
  assert_exit 0 ccn preflight --service web "127.0.0.1:$port:80"
  assert_exit 0 ccn create default
  defer "ccn down"
  local bridge=${OUT%% *}
  [[ $bridge == cc* ]] || fail "bridge name: $OUT"
  [ ${#bridge} -le 15 ] || fail "bridge name too long: $bridge"
  container phost-web-1 default --service web --publish "127.0.0.1:$port:80"
  local webip
  webip=$(awk '{print $3}' <<<"$OUT"); webip=${webip%/*}
  container phost-cli-1 default --service cli
  serve phost-web-1 80 hello-host
  assert_exit 0 fetch curl "http://127.0.0.1:$port/"
  assert_eq "$OUT" hello-host "published port on the host's 127.0.0.1"
  assert_exit 0 fetch inc phost-cli-1 curl "http://$webip/"
  assert_eq "$OUT" hello-host "container to container"
  # The port is now held: preflight from another project names it.
  assert_exit 1 "$CCOMPOSE" netdev -p phost2 preflight --service web "127.0.0.1:$port:80"
  assert_contains "$OUT" "project phost service web"
  assert_exit 0 ccn down
  assert_no_residue
  assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$fwd_before" "ip_forward restored"
  ! ip link show "$bridge" >/dev/null 2>&1 || fail "bridge $bridge left on the host"
}

run_tests
