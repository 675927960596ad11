#!/usr/bin/env bash
# Issue 17: ccompose beside another firewall that drops forwarded packets
# (a hand-made nftables ruleset, as firewalld or ufw leave), with
# br_netfilter on and off, and after another tool flushed our rules.  All
# in a throwaway host namespace; run under both backends by make check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# Two busybox services: `a` serves "hi" on port 80, `b` asks it by name.
two_services() {
  load_images busybox
  project "$1" <<'YAML'
services:
  a:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo hi >/www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1:18080:80"]
  b:
    image: busybox:1.35
    init: true
    command: ["sleep", "3600"]
YAML
  cd "$WORK/$1" || fail "cd"
}

# b fetches a's page by name across the bridge (busybox's nc: its
# static wget crashes on this image).
b_reaches_a() {
  local page
  page=$(cc exec b sh -c 'printf "GET / HTTP/1.0\r\n\r\n" | nc -w 2 a 80' 2>/dev/null | tail -n 1)
  [ "$page" = hi ]
}

# The host's own forward chain with policy drop, as a distribution
# firewall has it: nothing forwarded passes unless accepted there.
host_drop_policy() {
  command -v nft >/dev/null || skip "nft missing (make deps)"
  inh nft add table inet hostfw || fail "nft add table"
  inh nft add chain inet hostfw forward '{ type filter hook forward priority 0; policy drop; }' || fail "nft add chain"
}

br_netfilter() {
  inh test -w /proc/sys/net/bridge/bridge-nf-call-iptables ||
    skip "no per-namespace bridge-nf-call-iptables (br_netfilter not loaded)"
  inh sh -c "echo $1 >/proc/sys/net/bridge/bridge-nf-call-iptables" || fail "set bridge-nf-call-iptables"
}

# Without ccompose's accepts in the host's chain this times out in
# silence (the issue); with them, services talk, the warning names the
# chain, and down takes our accepts away again.
check_drop_policy_with_br_netfilter() {
  eng_setup "drop$1"
  br_netfilter "$1"
  host_drop_policy
  two_services "drop$1"
  assert_exit 0 cc up -d
  local said=$OUT
  wait_for 10 "b reaching a by name" b_reaches_a
  assert_contains "$said" "\`inet hostfw forward\` (nftables) drops forwarded packets by policy"
  assert_contains "$said" "ccompose's bridges accepted in \`inet hostfw forward\`"
  # The probe crossed: our accepts suffice, nothing to warn of.
  assert_not_contains "$said" "was dropped"
  assert_exit 0 inh curl -s -m 2 http://127.0.0.1:18080/
  assert_eq "$OUT" "hi"
  assert_contains "$(inh nft list chain inet hostfw forward)" "ccompose"
  # Nothing to report while everything is in place.
  assert_exit 0 inh "$CCOMPOSE" system check
  assert_exit 0 cc down -t 0
  assert_not_contains "$(inh nft list chain inet hostfw forward)" "ccompose"
  assert_contains "$(inh nft list chain inet hostfw forward)" "policy drop"
  assert_no_residue
}

test_forward_drop_policy_with_br_netfilter_on() { check_drop_policy_with_br_netfilter 1; }
test_forward_drop_policy_with_br_netfilter_off() { check_drop_policy_with_br_netfilter 0; }

# A drop no accept of ours can undo: a chain that runs before the others
# drops whatever crosses a cc* bridge.  `up` sends one packet across the
# new bridge, sees it dropped, and names the rule and chain that did it;
# `system check` says the same while the project lives.
test_probe_names_the_chain_that_drops() {
  command -v nft >/dev/null || skip "nft missing (make deps)"
  eng_setup probe
  br_netfilter 1
  host_drop_policy
  inh nft add chain inet hostfw early '{ type filter hook forward priority -10; policy accept; }' || fail "chain"
  inh nft add rule inet hostfw early iifname "cc*" oifname "cc*" counter drop || fail "rule"
  two_services probe
  assert_exit 0 cc up -d
  local said=$OUT
  assert_contains "$said" "network probe_default: a packet between two endpoints on bridge"
  assert_contains "$said" "was dropped; the rule with handle "
  assert_contains "$said" "in the nftables chain \`inet hostfw early\` (priority -10) drops it"
  # What the probe says is so: services cannot talk.
  b_reaches_a && fail "b reaches a: the drop rule does not drop"
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "in the nftables chain \`inet hostfw early\` (priority -10) drops it"
  # Nothing of the probe is left: links (assert_no_residue) and tracer.
  assert_not_contains "$(inh nft list tables)" "ccprobe"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# Bridged frames meet the bridge family's forward hook whatever
# br_netfilter says, and no accept of ours goes there: `up` names that
# chain and its policy.
test_probe_names_a_bridge_drop_policy() {
  command -v nft >/dev/null || skip "nft missing (make deps)"
  eng_setup probebr
  br_netfilter 0
  inh nft add table bridge hostbr || fail "nft add table"
  inh nft add chain bridge hostbr forward '{ type filter hook forward priority 0; policy drop; }' || fail "chain"
  load_images busybox
  project probebr <<'YAML'
services:
  a:
    image: busybox:1.35
    command: ["sleep", "3600"]
YAML
  cd "$WORK/probebr" || fail "cd"
  assert_exit 0 cc up -d
  assert_contains "$OUT" "network probebr_default: a packet between two endpoints on bridge"
  assert_contains "$OUT" "the nftables chain \`bridge hostbr forward\` (priority 0, policy drop) has no accept for it"
  assert_exit 0 cc down -t 0
  assert_not_contains "$(inh nft list tables)" "ccprobe"
  assert_no_residue
}

# A drop in the legacy tables alone (iptables-legacy), which nftables'
# trace does not see: `up` names the rule whose counter its packet moved.
test_probe_names_a_legacy_drop() {
  eng_setup probelegacy
  br_netfilter 1
  inh iptables-legacy -P FORWARD DROP || fail "iptables -P FORWARD DROP"
  inh iptables-legacy -t mangle -A FORWARD -i cc+ -o cc+ -j DROP || fail "iptables -t mangle -A FORWARD"
  load_images busybox
  project probelegacy <<'YAML'
services:
  a:
    image: busybox:1.35
    command: ["sleep", "3600"]
YAML
  cd "$WORK/probelegacy" || fail "cd"
  assert_exit 0 cc up -d
  assert_contains "$OUT" "network probelegacy_default: a packet between two endpoints on bridge"
  assert_contains "$OUT" "dropped; the rule 1 in the iptables-legacy chain \`mangle FORWARD\`"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# firewalld's layout: policy accept, and a last rule that rejects what
# nothing before it accepted.
test_forward_chain_ending_in_a_reject() {
  command -v nft >/dev/null || skip "nft missing (make deps)"
  eng_setup reject
  br_netfilter 1
  inh nft add table inet hostfw || fail "nft add table"
  inh nft add chain inet hostfw filter_FORWARD '{ type filter hook forward priority 10; policy accept; }' || fail "chain"
  inh nft add rule inet hostfw filter_FORWARD ct state established,related accept || fail "rule"
  inh nft add rule inet hostfw filter_FORWARD reject with icmpx type admin-prohibited || fail "rule"
  two_services reject
  assert_exit 0 cc up -d
  local said=$OUT
  wait_for 10 "b reaching a by name" b_reaches_a
  assert_contains "$said" "\`inet hostfw filter_FORWARD\` (nftables) drops forwarded packets it does not accept"
  assert_exit 0 cc down -t 0
  assert_not_contains "$(inh nft list chain inet hostfw filter_FORWARD)" "ccompose"
  assert_no_residue
}

# Another tool flushes our rules (`iptables -F`, `nft flush`): the next
# ccompose command notices, says so, and puts them back; system check
# calls missing rules of a live project a problem.
test_flushed_rules_come_back_with_the_next_command() {
  eng_setup flush
  host_drop_policy
  two_services flush
  assert_exit 0 cc up -d
  wait_for 10 "b reaching a by name" b_reaches_a
  local tag a_ip
  a_ip=$(cc exec b ping -c1 -W1 a | sed -n 's/^PING a (\([0-9.]*\)).*/\1/p')
  [ -n "$a_ip" ] || fail "no address for a"
  [ -e "$CCOMPOSE_STATE_DIR/netns/flush-b-1" ] || fail "no netns file for flush-b-1"
  tag=$(inh "$CCOMPOSE" netdev ls | python3 -c 'import json,sys; print(json.load(sys.stdin)["scope_tag"])')
  if [ "$CCOMPOSE_FIREWALL" = nftables ]; then
    inh nft delete table inet "ccompose${tag:+-${tag#@}}" || fail "delete our table"
  else
    inh iptables-legacy -F || fail "iptables -F"
    inh iptables-legacy -t nat -F || fail "iptables -t nat -F"
  fi
  inh nft flush chain inet hostfw forward || fail "flush the host's chain"
  # Not through ccompose, which would repair first.
  nsenter --net="$CCOMPOSE_STATE_DIR/netns/flush-b-1" curl -s -m 2 "http://$a_ip/" &&
    fail "b still reaches a with our rules flushed: the test proves nothing"
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "missing: $(fw_label) filter/FORWARD ccompose$tag jump"
  assert_contains "$OUT" "missing: \`inet hostfw forward\` (nftables) drops forwarded packets by policy"
  assert_exit 0 cc ps
  assert_contains "$OUT" "restoring them"
  wait_for 10 "b reaching a by name again" b_reaches_a
  assert_exit 0 inh curl -s -m 2 http://127.0.0.1:18080/
  assert_eq "$OUT" "hi"
  assert_exit 0 inh "$CCOMPOSE" system check
  # Nothing missing: nothing said.
  assert_exit 0 cc ps
  assert_not_contains "$OUT" "restoring"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# The backend follows the host's `iptables` when nothing asks for one;
# the network configuration file and CCOMPOSE_FIREWALL override it.
test_backend_choice() {
  eng_setup choice
  local conf=$WORK/network.conf want
  case $(readlink /etc/alternatives/iptables 2>/dev/null) in
    *nft*) want=nftables ;;
    *legacy*) want=iptc ;;
    *) want=iptc ;;
  esac
  assert_exit 0 inh env -u CCOMPOSE_FIREWALL CCOMPOSE_NETWORK_CONFIG=/nonexistent "$CCOMPOSE" netdev rules
  assert_contains "$OUT" "# firewall backend: $want ("
  echo "firewall = nftables" >"$conf"
  assert_exit 0 inh env -u CCOMPOSE_FIREWALL CCOMPOSE_NETWORK_CONFIG="$conf" "$CCOMPOSE" netdev rules
  assert_contains "$OUT" "# firewall backend: nftables"
  echo "firewall = iptc" >"$conf"
  assert_exit 0 inh env -u CCOMPOSE_FIREWALL CCOMPOSE_NETWORK_CONFIG="$conf" "$CCOMPOSE" netdev rules
  assert_contains "$OUT" "# firewall backend: iptc"
  assert_exit 0 inh env CCOMPOSE_FIREWALL=nftables CCOMPOSE_NETWORK_CONFIG="$conf" "$CCOMPOSE" netdev rules
  assert_contains "$OUT" "# firewall backend: nftables"
  echo "firewall = pf" >"$conf"
  assert_exit 1 inh env -u CCOMPOSE_FIREWALL CCOMPOSE_NETWORK_CONFIG="$conf" "$CCOMPOSE" netdev rules
  assert_contains "$OUT" "unknown firewall backend \`pf\`"
}

# A project brought up with one backend and changed with the other: the
# first one's rules go, nothing of ours is left in either.
test_switching_backends_leaves_nothing_behind() {
  command -v nft >/dev/null || skip "nft missing (make deps)"
  eng_setup switch
  two_services switch
  assert_exit 0 inh env CCOMPOSE_FIREWALL=iptc "$CCOMPOSE" up -d
  assert_contains "$(inh iptables-legacy-save)" "ccompose"
  assert_exit 0 inh env CCOMPOSE_FIREWALL=nftables "$CCOMPOSE" up -d
  assert_contains "$OUT" "leftover iptables-legacy rules of the iptc backend"
  assert_not_contains "$(inh iptables-legacy-save)" "ccompose"
  assert_contains "$(inh nft list ruleset)" "ccompose"
  wait_for 10 "b reaching a by name" b_reaches_a
  assert_exit 0 inh env CCOMPOSE_FIREWALL=iptc "$CCOMPOSE" down -t 0
  assert_not_contains "$(inh nft list ruleset)" "ccompose"
  assert_not_contains "$(inh iptables-legacy-save)" "ccompose"
  assert_no_residue
}

run_tests
