#!/usr/bin/env bash
# One state root used from two network namespaces (issue 12 item 4): each
# network records the namespace it was made in, and its rules are only
# ever written there.  `up` in NS2 must not copy NS1's rules into NS2 nor
# the other way round (a DNAT of NS2 would hijack a service of NS1),
# `down` in either leaves the other's rules, each namespace's ip_forward
# comes back to its own earlier value, and `system check` from either
# sees the networks of both.  Both namespaces are throwaway ones; the
# first plays the host of engine-helpers.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# ccompose in the second namespace.
in2() { nsenter --net="/run/netns/$NS2" "$@"; }
cc2() { in2 "$CCOMPOSE" "$@"; }

two_setup() {
  eng_setup "$1"
  NS2=cce-$1-2-$$
  ip netns add "$NS2" || fail "ip netns add $NS2"
  defer "ip netns del $NS2"
  defer "cc2 -p two down -v -t 0"
  ip -n "$NS2" link set lo up
  load_images busybox
  project one <<'YAML'
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "echo one-web-1 >/tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    ports: ["19510:80"]
YAML
  project two <<'YAML'
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "echo two-web-1 >/tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    ports: ["19500:80"]
YAML
}

# A service of the first namespace on its 127.0.0.1:19500.
host_service() {
  local dir
  dir=$(mktemp -d /tmp/cce-www.XXXXXX)
  echo host-service >"$dir/index.html"
  inh busybox httpd -f -p 127.0.0.1:19500 -h "$dir" >/dev/null 2>&1 &
  defer "kill $!; rm -rf '$dir'"
  wait_for 5 "the host service" inh curl -sf -m 1 http://127.0.0.1:19500/
}

rules1() { inh "$FW_SAVE"; }
rules2() { in2 "$FW_SAVE"; }
forward1() { inh cat /proc/sys/net/ipv4/ip_forward; }
forward2() { in2 cat /proc/sys/net/ipv4/ip_forward; }

test_each_namespace_gets_only_its_own_rules() {
  two_setup nsrules
  host_service
  assert_eq "$(forward1)" 0 "ip_forward of the first namespace before"
  assert_eq "$(forward2)" 0 "ip_forward of the second namespace before"
  (cd "$WORK/two" && assert_exit 0 cc2 up -d) || exit 1
  (cd "$WORK/one" && assert_exit 0 cc up -d) || exit 1
  assert_not_contains "$(rules1)" "project two " "the second namespace's rules in the first"
  assert_not_contains "$(rules2)" "project one " "the first namespace's rules in the second"
  assert_contains "$(rules1)" "project one "
  assert_contains "$(rules2)" "project two "
  # The second namespace's DNAT for 19500 does not hijack the first's service.
  assert_eq "$(inh curl -s -m 2 http://127.0.0.1:19500/)" host-service "service of the first namespace"
  wait_for 5 "two's web in the second namespace" in2 curl -sf -m 1 http://127.0.0.1:19500/
  assert_eq "$(in2 curl -s -m 2 http://127.0.0.1:19500/)" two-web-1
  assert_eq "$(inh curl -s -m 2 http://127.0.0.1:19510/)" one-web-1
  # Both live: neither check calls the other namespace's project residue.
  assert_exit 0 inh "$CCOMPOSE" system check
  assert_exit 0 in2 "$CCOMPOSE" system check
  # down in the second namespace leaves the first's rules and forwarding.
  (cd "$WORK/two" && assert_exit 0 cc2 down -t 0) || exit 1
  assert_not_contains "$(rules2)" "ccompose" "rules left in the second namespace"
  assert_contains "$(rules1)" "project one "
  assert_eq "$(forward2)" 0 "ip_forward of the second namespace restored"
  assert_eq "$(forward1)" 1 "ip_forward of the first namespace, still needed"
  assert_eq "$(inh curl -s -m 2 http://127.0.0.1:19510/)" one-web-1
  (cd "$WORK/one" && assert_exit 0 cc down -t 0) || exit 1
  assert_not_contains "$(rules1)" "ccompose" "rules left in the first namespace"
  assert_eq "$(forward1)" 0 "ip_forward of the first namespace restored"
  assert_no_residue
}

test_a_project_is_changed_only_where_its_network_lives() {
  two_setup nswhere
  (cd "$WORK/two" && assert_exit 0 cc2 up -d) || exit 1
  # An up from the other namespace that would change the network (a
  # port more) is refused and names the namespace.
  sed -i 's/ports: \["19500:80"\]/ports: ["19500:80", "19501:80"]/' "$WORK/two/compose.yaml"
  (cd "$WORK/two" && assert_exit 1 cc up -d && echo "$OUT" >"$WORK/out") || exit 1
  OUT=$(cat "$WORK/out")
  assert_contains "$OUT" "lives in network namespace net:["
  assert_contains "$OUT" "/run/netns/$NS2"
  assert_not_contains "$(rules1)" "ccompose" "a refused up wrote rules"
  assert_eq "$(forward1)" 0 "a refused up turned ip_forward on"
  # down from the other namespace removes what lives in the second one.
  (cd "$WORK/two" && assert_exit 0 cc down -t 0) || exit 1
  assert_not_contains "$(rules2)" "ccompose" "rules left in the second namespace"
  assert_eq "$(in2 ip -o link show | grep -c ': cc')" 0 "links left in the second namespace"
  assert_eq "$(forward2)" 0 "ip_forward of the second namespace restored"
  assert_not_contains "$(rules1)" "ccompose" "rules written into the first namespace"
  assert_no_residue
}

test_system_check_sees_the_networks_of_both_namespaces() {
  two_setup nscheck
  (cd "$WORK/two" && assert_exit 0 cc2 up -d) || exit 1
  (cd "$WORK/one" && assert_exit 0 cc up -d) || exit 1
  # The second project's state is lost: its network in the second
  # namespace is residue, found from the first namespace.
  (cd "$WORK/two" && cc2 kill >/dev/null 2>&1)
  rm -f "$CCOMPOSE_STATE_DIR/projects/two/state.json"
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "network two_default"
  assert_not_contains "$OUT" "one_default"
  assert_exit 0 inh "$CCOMPOSE" system check --fix
  assert_not_contains "$(rules2)" "ccompose" "rules left in the second namespace"
  assert_eq "$(in2 ip -o link show | grep -c ': cc')" 0 "links left in the second namespace"
  assert_eq "$(forward2)" 0 "ip_forward of the second namespace restored"
  assert_contains "$(rules1)" "project one " "the live project's rules"
  assert_eq "$(forward1)" 1 "ip_forward of the first namespace, still needed"
  # Residue of a live network in the other namespace is seen as well.
  (cd "$WORK/two" && assert_exit 0 cc2 up -d) || exit 1
  local tag
  tag=$(scope_tag)
  if [ "$CCOMPOSE_FIREWALL" = nftables ]; then
    in2 nft add rule inet "ccompose${tag:+-${tag#@}}" "CCOMPOSE-DNAT${tag:+-${tag#@}}" tcp dport 19999 \
      dnat ip to 10.89.9.9:80 comment "\"ccompose$tag project ghost service web container ghost-web-1\""
  else
    in2 iptables-legacy -t nat -A "CCOMPOSE-DNAT${tag:+-${tag#@}}" -p tcp --dport 19999 \
      -m comment --comment "ccompose$tag project ghost service web container ghost-web-1" \
      -j DNAT --to-destination 10.89.9.9:80
  fi || fail "planting a stray rule"
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "project ghost service web container ghost-web-1 in network namespace net:["
  assert_contains "$OUT" "(/run/netns/$NS2)"
  assert_exit 0 inh "$CCOMPOSE" system check --fix
  assert_not_contains "$(rules2)" "project ghost" "stray rule left in the second namespace"
  assert_contains "$(rules2)" "project two " "the live project's rules in the second namespace"
  (cd "$WORK/two" && assert_exit 0 cc2 down -t 0) || exit 1
  (cd "$WORK/one" && assert_exit 0 cc down -t 0) || exit 1
  assert_no_residue
}

# scope_tag: this state root's tag (network-helpers.bash has one too).
scope_tag() {
  inh "$CCOMPOSE" netdev ls | python3 -c 'import json,sys; print(json.load(sys.stdin)["scope_tag"])'
}

run_tests
