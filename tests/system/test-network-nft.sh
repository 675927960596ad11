#!/usr/bin/env bash
# The nftables backend writes its rules over netlink (network/nftnl.c),
# not as the nft text that `ccompose netdev rules` prints and the golden
# tests check: the two must be the same rules.  Always under nftables.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/network-helpers.bash"
export CCOMPOSE_FIREWALL=nftables

# nft's listing of a table, handles and counters aside.
list_table() {
  "$@" nft list table inet "$TABLE" | sed -e 's/ # handle [0-9]*//'
}

# Every kind of rule the builder makes: two networks (one internal), a
# port bound to every address, one to 127.0.0.1, a range, udp, a fixed
# subnet whose prefix is not a whole number of bytes.
test_kernel_rules_are_the_printed_rules() {
  local tag scratch text
  net_setup nftsame
  assert_exit 0 ccn create --subnet 10.89.16.0/20 front
  assert_exit 0 ccn create --internal back
  container pnftsame-web-1 front --service web --publish 8080:80 --publish 127.0.0.1:8081:80/udp \
    --publish 9000-9002:7000-7002
  container pnftsame-db-1 back --service db
  container pnftsame-db-2 front --service db --number 2
  tag=$(scope_tag)
  TABLE=ccompose${tag:+-${tag#@}}
  text=$(inh "$CCOMPOSE" netdev -p "$PROJECT" rules | grep -v '^#')
  scratch=ccnt-nfttext-$$
  ip netns add "$scratch" || fail "ip netns add $scratch"
  defer "ip netns del $scratch"
  ip netns exec "$scratch" nft -f - <<<"$text" || fail "nft -f of the printed rules"
  assert_eq "$(list_table inh)" "$(list_table ip netns exec "$scratch")" "kernel rules vs printed rules"
  assert_exit 0 ccn down
  assert_no_residue
}

# Rules of ours put into another table (a drop policy) are found again by
# their comment and first match, and go with the last network.
test_accepts_in_a_foreign_chain_are_read_back() {
  net_setup nftback
  inh nft add table ip hostfw || fail "nft add table"
  inh nft add chain ip hostfw forward '{ type filter hook forward priority 0; policy drop; }' || fail "nft add chain"
  assert_exit 0 ccn create default
  container pnftback-a-1 default --service a
  assert_eq "$(inh nft list chain ip hostfw forward | grep -c 'comment "ccompose')" 2 "accepts in the foreign chain"
  # A second commit finds them in place: nothing doubles.
  container pnftback-b-1 default --service b
  assert_eq "$(inh nft list chain ip hostfw forward | grep -c 'comment "ccompose')" 2 "accepts after another attach"
  # (The check also lists the network: no project state owns it.)
  assert_exit 1 "$CCOMPOSE" system check
  assert_not_contains "$OUT" "missing:"
  assert_exit 0 ccn down
  assert_eq "$(inh nft list chain ip hostfw forward | grep -c 'comment "ccompose')" 0 "accepts after down"
  assert_no_residue
}

run_tests
