#!/usr/bin/env bash
# Link groups: a network's bridge and host veths carry the group recorded
# in its state, and teardown deletes them in one RTM_DELLINK naming the
# group, unless the group holds a link that is not ours (then one by one,
# and the foreign link survives).  In throwaway namespaces
# (network-helpers.bash).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/network-helpers.bash"

# state_get PYTHON-EXPR: evaluated with s = the network state.
state_get() {
  inh "$CCOMPOSE" netdev ls | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"
}

# The group of network NAME of the project, from the state.
group_of() {
  state_get "[n.get('group', '') for n in s['networks'] if n['name'] == '$1'][0]"
}

# Names of the links in GROUP, one line each.
links_in_group() {
  inh ip -o link show group "$1" | awk -F': ' '{print $2}' | sed 's/@.*//'
}

# A network with three containers; prints nothing, sets GROUP and LINKS.
three_containers() {
  local c
  assert_exit 0 ccn create default
  defer "ccn down"
  for c in a b c; do container "p$1-$c-1" default --service "$c"; done
  GROUP=$(group_of default)
  [ -n "$GROUP" ] || fail "no group recorded"
  LINKS=$(state_get "'\n'.join(sorted([n['bridge'] for n in s['networks']] + [m['host_veth'] for n in s['networks'] for m in n['members']]))")
}

test_links_carry_the_recorded_group_and_go_in_one_batch() {
  net_setup grp
  three_containers grp
  [ "$GROUP" -ge $((0x01000000)) ] && [ "$GROUP" -le $((0x7fffffff)) ] || fail "group $GROUP out of range"
  # Each link, as the kernel reports it.
  local l
  for l in $LINKS; do
    assert_exit 0 inh ip -d link show dev "$l"
    assert_contains "$OUT" " group $GROUP " "group of $l"
  done
  assert_eq "$(links_in_group "$GROUP" | sort)" "$LINKS" "links in the group"
  # The container ends live in other namespaces and are not in the group.
  assert_exit 0 inc pgrp-a-1 ip -d link show dev eth0
  assert_not_contains "$OUT" "group $GROUP"
  assert_exit 0 inh "$CCOMPOSE" --verbose netdev -p "$PROJECT" down
  assert_contains "$OUT" "network \`pgrp_default\`: links deleted as one group"
  assert_eq "$(links_in_group "$GROUP")" "" "links left in the group"
  for l in $LINKS; do
    assert_exit 1 inh ip link show dev "$l"
  done
  assert_no_residue
  # Again: nothing to do, still success.
  assert_exit 0 ccn down
}

test_foreign_link_in_the_group_survives_teardown() {
  net_setup grpf
  three_containers grpf
  # Named like ours (cc prefix, this test's own name), never recorded.
  local foreign=ccgrpf$$
  foreign=${foreign:0:15}
  inh ip link add "$foreign" type bridge || fail "add $foreign"
  defer "inh ip link del $foreign"
  inh ip link set dev "$foreign" group "$GROUP" || fail "set group of $foreign"
  assert_exit 0 inh "$CCOMPOSE" --verbose netdev -p "$PROJECT" down
  assert_contains "$OUT" "network \`pgrpf_default\`: links deleted one by one"
  assert_exit 0 inh ip -d link show dev "$foreign"
  assert_contains "$OUT" " group $GROUP " "foreign link after teardown"
  assert_eq "$(links_in_group "$GROUP")" "$foreign" "only the foreign link is left in the group"
  local l
  for l in $LINKS; do
    assert_exit 1 inh ip link show dev "$l"
  done
  inh ip link del "$foreign" || fail "del $foreign"
  assert_no_residue
}

# A link that took a recorded name with someone else's alias is not ours
# either: the batch would take it, so the one-by-one path runs.
test_recorded_name_with_a_foreign_alias_is_not_batched() {
  net_setup grpa
  three_containers grpa
  local veth
  veth=$(state_get "[m['host_veth'] for n in s['networks'] for m in n['members']][0]")
  inh ip link set dev "$veth" alias "not ccompose" || fail "set alias of $veth"
  assert_exit 0 inh "$CCOMPOSE" --verbose netdev -p "$PROJECT" down
  assert_contains "$OUT" "links deleted one by one"
  assert_eq "$(links_in_group "$GROUP")" "" "links left in the group"
  assert_no_residue
}

# A network recorded by an older ccompose has no group: its links, even
# when the kernel has them in a group, go one by one by name.
test_network_without_a_recorded_group_is_torn_down_by_name() {
  net_setup grpo
  three_containers grpo
  local f=$CCOMPOSE_STATE_DIR/network/state.json
  python3 - "$f" <<'EOF' || fail "edit state"
import json, sys
p = sys.argv[1]
s = json.load(open(p))
for n in s["networks"]:
    del n["group"]
json.dump(s, open(p, "w"))
EOF
  assert_exit 0 inh "$CCOMPOSE" --verbose netdev -p "$PROJECT" down
  assert_contains "$OUT" "links deleted one by one"
  assert_eq "$(links_in_group "$GROUP")" "" "links left in the group"
  assert_no_residue
}

# down removes each container (and its namespace) before the networks: a
# namespace that still holds a veth of a recorded network stays, doomed,
# until the network's links are gone, so the kernel does not delete the
# pair on its own first.  A detach releases it too, and creating the name
# again starts from a fresh namespace.
test_namespace_removed_before_its_network_waits_for_the_links() {
  net_setup grpn
  three_containers grpn
  local f=$CCOMPOSE_STATE_DIR/netns
  assert_exit 0 ccn netns-rm pgrpn-a-1
  assert_exit 0 ccn netns-rm pgrpn-b-1
  mountpoint -q "$f/pgrpn-a-1" || fail "namespace of a went before its veth"
  assert_exit 0 inc pgrpn-a-1 ip -o link show dev eth0
  assert_eq "$(state_get "sorted(e['name'] for e in s['netns'] if e.get('doomed'))")" "['pgrpn-a-1', 'pgrpn-b-1']" "doomed"
  # A detach deletes b's veth, then its namespace.
  assert_exit 0 ccn detach default pgrpn-b-1
  ! mountpoint -q "$f/pgrpn-b-1" || fail "namespace of b still bound after its detach"
  [ ! -e "$f/pgrpn-b-1" ] || fail "namespace file of b left after its detach"
  # a, doomed, created again: a fresh namespace without the old eth0,
  # which the attach then gives a new veth.
  assert_exit 0 ccn netns-create pgrpn-a-1
  assert_exit 1 inc pgrpn-a-1 ip -o link show dev eth0
  assert_eq "$(state_get "[e['name'] for e in s['netns'] if e.get('doomed')]")" "[]" "doomed after the new create"
  assert_exit 0 ccn attach default pgrpn-a-1 --service a
  assert_exit 0 inc pgrpn-a-1 ip -o addr show dev eth0
  assert_contains "$OUT" "10.89.0."
  assert_exit 0 inh "$CCOMPOSE" --verbose netdev -p "$PROJECT" down
  assert_contains "$OUT" "links deleted as one group"
  assert_eq "$(links_in_group "$GROUP")" "" "links left in the group"
  assert_no_residue
}

run_tests
