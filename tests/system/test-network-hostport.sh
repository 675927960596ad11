#!/usr/bin/env bash
# Host ports the network chooses, at the network layer: containers
# attached in one batch take different ports of one range, a range with
# no free port fails naming it and leaves no record, a container attached
# again keeps its port, `publish` chooses too, and a port held by another
# state root's rule is never chosen.  Everything runs in a throwaway
# network namespace playing the host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/network-helpers.bash"

# dnat_to PORT: the DNAT destination of host port PORT ("" when none).
dnat_to() {
  inh "$FW_SAVE" nat | sed -n "s/.*dport $1 .*\(--to-destination\|dnat ip to\) \([0-9.:]*\).*/\2/p"
}

# member_port CONTAINER: the host port recorded for CONTAINER's first port.
member_port() {
  ccn ls | python3 -c '
import json, sys
for net in json.load(sys.stdin).get("networks", []):
    for m in net.get("members", []):
        if m["container"] == sys.argv[1] and m.get("ports"):
            print(m["ports"][0]["host_port"])' "$1"
}

test_a_batch_takes_different_ports_and_a_full_range_fails_cleanly() {
  net_setup hpbatch
  assert_exit 0 ccn create default
  assert_exit 0 ccn netns-create phpbatch-web-1
  assert_exit 0 ccn netns-create phpbatch-web-2
  assert_exit 0 ccn netns-create phpbatch-web-3
  assert_exit 0 ccn attach default phpbatch-web-1 phpbatch-web-2 --service web --publish 18500-18501:80
  local p1 p2
  p1=$(member_port phpbatch-web-1)
  p2=$(member_port phpbatch-web-2)
  assert_eq "$p1 $p2" "18500 18501"
  [ -n "$(dnat_to 18500)" ] && [ -n "$(dnat_to 18501)" ] || fail "no DNAT for 18500 and 18501"
  [ "$(dnat_to 18500)" != "$(dnat_to 18501)" ] || fail "both ports lead to one container"
  # The range is full: the error names it and the service, nothing is recorded.
  assert_exit 1 ccn attach default phpbatch-web-3 --service web --publish 18500-18501:80
  assert_contains "$OUT" "service \`web\`: no free host port in 0.0.0.0:18500-18501/tcp"
  assert_eq "$(member_port phpbatch-web-3)" ""
  # Attached again, a container keeps its port.
  assert_exit 0 ccn attach default phpbatch-web-2 --service web --publish 18500-18501:80
  assert_eq "$(member_port phpbatch-web-2)" 18501
  # publish chooses too, from the kernel's range of this namespace.
  local lo hi p
  read -r lo hi < <(inh cat /proc/sys/net/ipv4/ip_local_port_range)
  assert_exit 0 ccn publish default phpbatch-web-1 0:8080/udp
  p=$(member_port phpbatch-web-1)
  if [ "$p" -lt "$lo" ] || [ "$p" -gt "$hi" ]; then fail "published on $p, outside $lo-$hi"; fi
  inh "$FW_SAVE" nat | grep -qE -- "udp (-m udp --)?dport $p " || fail "no udp DNAT for $p: $(inh "$FW_SAVE" nat)"
  assert_eq "$(dnat_to 18500)" "" "the replaced port is gone"
  assert_exit 0 ccn down
  assert_eq "$(inh "$FW_SAVE" | grep -c ccompose)" 0 "rules after down"
}

test_another_state_roots_rule_is_never_chosen() {
  net_setup hproot
  # A second state root in the same namespace holds 18600 by its rule only
  # (no listener): the first must see it through the kernel's rules.
  local first=$CCOMPOSE_STATE_DIR
  use_private_state "net-hproot2-$$"
  local second=$CCOMPOSE_STATE_DIR
  assert_exit 0 ccn create default
  assert_exit 0 ccn netns-create phproot-a-1
  assert_exit 0 ccn attach default phproot-a-1 --service a --publish 18600:80
  defer "CCOMPOSE_STATE_DIR='$second' nsenter --net=/run/netns/$HOSTNS '$CCOMPOSE' netdev -p $PROJECT down; umount -l '$second'/netns/* 2>/dev/null"
  export CCOMPOSE_STATE_DIR=$first
  export CCOMPOSE_SUBNET_POOL=10.90.0.0/16:24
  assert_exit 0 ccn create default
  assert_exit 0 ccn netns-create phproot-b-1
  assert_exit 0 ccn attach default phproot-b-1 --service b --publish 18600-18601:80
  assert_eq "$(member_port phproot-b-1)" 18601
  assert_exit 0 ccn down
  CCOMPOSE_STATE_DIR=$second assert_exit 0 ccn down
}

run_tests
