#!/usr/bin/env bash
# IPv6 (issue 17): enable_ipv6 networks with a subnet of the file or of
# the host's ULA /48, ipv6_address, AAAA answers of the embedded DNS, and
# nothing left after down.  One `up` serves every check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# The IPv6 address (without prefix) of eth0 in container C of this test.
addr6_of() { inh nsenter --net="$CCOMPOSE_STATE_DIR/netns/$1" ip -6 -o addr show dev eth0 scope global | awk '{print $4}'; }

test_two_services_talk_over_ipv6_by_name() {
  eng_setup ipv6
  load_images busybox
  project v6 <<'YAML'
services:
  a:
    image: busybox:1.35
    command: ["sleep", "60"]
    networks:
      one: {ipv6_address: "fd99:cc::99"}
      two: {}
  b:
    image: busybox:1.35
    command: ["sh", "-c", "mkdir -p /www && echo hello-v6 >/www/index.html && exec httpd -f -p 8080 -h /www"]
    networks: [one, two]
networks:
  one:
    enable_ipv6: true
    ipam:
      config:
        - subnet: 10.99.0.0/24
        - subnet: fd99:cc::/64
          gateway: fd99:cc::1
  two:
    enable_ipv6: true
YAML
  cd "$WORK/v6"
  assert_exit 0 cc up -d
  # ipv6_address is what a has; b gets the first free address.
  assert_eq "$(addr6_of v6-a-1)" "fd99:cc::99/64"
  assert_eq "$(addr6_of v6-b-1)" "fd99:cc::2/64"
  # The bridge holds the gateway; the default route goes through it.
  assert_exit 0 cc exec a ip -6 route show default
  assert_contains "$OUT" "via fd99:cc::1"
  # The network without a subnet got a /64 of the host's ULA /48.
  assert_exit 0 cc exec a ip -6 -o addr show dev eth1 scope global
  [[ "$OUT" =~ inet6\ fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:: ]] || fail "no ULA address on eth1: $OUT"
  # AAAA from the embedded DNS, then HTTP and ping over IPv6 by name.
  assert_exit 0 cc exec a nslookup -type=AAAA b 127.0.0.11
  assert_contains "$OUT" "fd99:cc::2"
  local get='printf "GET / HTTP/1.0\r\n\r\n" | nc -w 2 fd99:cc::2 8080'
  wait_for 5 "httpd of b over IPv6" cc exec a sh -c "$get"
  assert_exit 0 cc exec a sh -c "$get"
  assert_contains "$OUT" hello-v6
  assert_exit 0 cc exec a ping -6 -c 1 -W 2 b
  assert_contains "$OUT" "fd99:cc::2"
  # Both families in the hosts file, as Docker writes it.
  assert_exit 0 cc exec b cat /etc/hosts
  assert_contains "$OUT" "fd99:cc::2"
  assert_exit 0 cc down -t 0
  assert_no_residue
  assert_exit 0 cc system check
  # The gateway address went with the bridge; forwarding is back as it was.
  [ -z "$(inh ip -6 -o addr show scope global)" ] || fail "IPv6 address left: $(inh ip -6 -o addr show scope global)"
  assert_eq "$(inh cat /proc/sys/net/ipv6/conf/all/forwarding)" 0
}

run_tests
