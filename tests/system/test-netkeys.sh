#!/usr/bin/env bash
# What a service asks of its interface on each network (issue 15):
# mac_address at service level and per network, interface_name,
# priority (eth0 is the highest), gw_priority (which network gives the
# default route), link_local_ips.  One `up` serves every
# check; the refusals are `config` runs on small files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# ip -o link of interface IF in container C.
link_of() { inh nsenter --net="$CCOMPOSE_STATE_DIR/netns/$1" ip -o link show dev "$2"; }

test_endpoint_keys_seen_inside_a_container() {
  eng_setup netkeys
  load_images busybox
  project nk <<'YAML'
services:
  a:
    image: busybox:1.35
    command: ["sleep", "60"]
    mac_address: "02:42:AC:11:00:0A"
  b:
    image: busybox:1.35
    command: ["sleep", "60"]
    networks:
      default: {}
      back:
        mac_address: 02-42-ac-11-00-0b
  c:
    image: busybox:1.35
    command: ["sleep", "60"]
    networks:
      back: {}
      front: {priority: 10, link_local_ips: [169.254.7.7, "fe80::7"]}
      mid: {interface_name: data0, gw_priority: 5}
networks:
  back: {}
  front: {}
  mid:
    ipam:
      config: [{subnet: 10.89.77.0/24, gateway: 10.89.77.1}]
YAML
  cd "$WORK/nk"
  assert_exit 0 cc up -d
  # The service-level MAC is the primary network's; per network, its own.
  assert_exit 0 cc exec a ip -o link show dev eth0
  assert_contains "$OUT" "link/ether 02:42:ac:11:00:0a"
  # (back comes before default: eth0.)
  assert_contains "$(link_of nk-b-1 eth0)" "link/ether 02:42:ac:11:00:0b"
  # b's other interface keeps the MAC derived from its address.
  assert_contains "$(link_of nk-b-1 eth1)" "link/ether 02:cc:"
  # The neighbour a reaches b over the bridge with those MACs.
  assert_exit 0 cc exec b ping -c 1 -W 2 a
  # c: front (priority 10) is eth0, back the next ethN, mid is data0.
  assert_exit 0 cc exec c ip -o addr show
  assert_contains "$OUT" "eth0    inet 169.254.7.7/16"
  assert_contains "$OUT" "eth0    inet6 fe80::7/64"
  assert_contains "$OUT" "data0    inet 10.89.77."
  assert_exit 0 cc exec c ip -o link show
  assert_contains "$OUT" " eth1@"
  assert_not_contains "$OUT" " eth2@"
  # mid's gw_priority outranks front's priority: its gateway is the default.
  assert_exit 0 cc exec c ip route show default
  assert_eq "$(printf '%s\n' "$OUT" | grep -c default)" 1
  assert_contains "$OUT" "default via 10.89.77.1 dev data0"
  # A second container with a's MAC on a's network: refused, naming a.
  assert_exit 1 cc run --rm --no-deps a true
  assert_contains "$OUT" "mac_address \`02:42:AC:11:00:0A\` is already used by container \`nk-a-1\`"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# refused FILE-TEXT WHERE TEXT: `config` fails at WHERE (line:col) with TEXT.
refused() {
  printf '%s\n' "$1" >"$WORK/bad/compose.yaml"
  assert_exit 1 "$CCOMPOSE" -f "$WORK/bad/compose.yaml" config
  assert_contains "$OUT" "compose.yaml:$2: $3"
}

test_malformed_or_shared_endpoint_keys_are_refused_at_their_line() {
  use_private_state netkeys-bad
  WORK=$(mktemp -d /tmp/cce-netkeys.XXXXXX)
  defer "rm -rf '$WORK'"
  mkdir -p "$WORK/bad"
  refused 'services:
  a:
    image: x
    mac_address: "01:00:5e:00:00:01"' 4:18 'service `a`: mac_address `01:00:5e:00:00:01`: a multicast address'
  refused 'services:
  a:
    image: x
    networks:
      default: {mac_address: "02:42:ac:11:00"}' 5:30 'service `a`: mac_address `02:42:ac:11:00` on network `default`: not a MAC'
  refused 'services:
  a:
    image: x
    mac_address: "02:42:ac:11:00:02"
  b:
    image: x
    mac_address: "02:42:ac:11:00:02"' 7:18 'services `a` and `b` both have mac_address `02:42:ac:11:00:02` on network `default`'
  refused 'services:
  a:
    image: x
    mac_address: "02:42:ac:11:00:02"
    networks:
      default: {mac_address: "02:42:ac:11:00:03"}' 4:18 'service `a`: mac_address `02:42:ac:11:00:02` differs from'
  refused 'services:
  a:
    image: x
    networks:
      default: {interface_name: "a/b"}' 5:33 'service `a`: interface_name `a/b` on network `default`: no `/`'
  refused 'services:
  a:
    image: x
    networks:
      default: {interface_name: "abcdefghijklmnop"}' 5:33 'service `a`: interface_name `abcdefghijklmnop` on network `default`: longer than 15'
  refused 'services:
  a:
    image: x
    networks:
      default: {interface_name: x0}
      two: {interface_name: x0}
networks:
  two: {}' 6:29 'service `a`: interface_name `x0` on networks `default` and `two`'
  refused 'services:
  a:
    image: x
    networks:
      default: {link_local_ips: ["169.254.1.300"]}' 5:33 'service `a`: invalid link_local_ips entry `169.254.1.300`'
}

run_tests
