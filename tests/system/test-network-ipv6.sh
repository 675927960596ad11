#!/usr/bin/env bash
# IPv6 (issue 17): enable_ipv6 networks with a subnet of the file or of
# the host's ULA /48, ipv6_address, AAAA answers of the embedded DNS,
# NAT66 on the way out, ports on ::1 through the monitor's relay, and
# nothing left after down (ip6tables and inet rules, listening sockets
# included).  One `up` serves every check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# The IPv6 address (without prefix) of eth0 in container C of this test.
addr6_of() { inh nsenter --net="$CCOMPOSE_STATE_DIR/netns/$1" ip -6 -o addr show dev eth0 scope global | awk '{print $4}'; }

# A namespace beyond the host's, as a router of the outside world would
# be: PEER6 holds fd42:cc:1::2, on a veth whose host end has fd42:cc:1::1
# (not named cc*: ccompose's rules take those for its own bridges).
# Its web server answers /cgi-bin/src with the source address it saw.
peer6_setup() {
  PEER6=cct6-$$
  ip netns add "$PEER6" || fail "ip netns add $PEER6"
  defer "ip netns del $PEER6"
  ip -n "$HOSTNS" link add t6out type veth peer name t6peer netns "$PEER6" || fail "veth to $PEER6"
  ip -n "$HOSTNS" addr add fd42:cc:1::1/64 dev t6out nodad
  ip -n "$HOSTNS" link set t6out up
  ip -n "$PEER6" addr add fd42:cc:1::2/64 dev t6peer nodad
  ip -n "$PEER6" link set t6peer up
  mkdir -p "$WORK/peer6/cgi-bin"
  printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "from $REMOTE_ADDR"\n' >"$WORK/peer6/cgi-bin/src"
  chmod +x "$WORK/peer6/cgi-bin/src"
  nsenter --net="/run/netns/$PEER6" busybox httpd -f -p "[fd42:cc:1::2]:9966" -h "$WORK/peer6" </dev/null >/dev/null 2>&1 &
  defer "kill $!"
  wait_for 5 "web server in $PEER6" inh busybox wget -qO- "http://[fd42:cc:1::2]:9966/cgi-bin/src"
}

# Other firewalls' IPv6 forward chains that drop, as Docker with
# ip6tables on leaves them (policy DROP, DOCKER-USER first) in the legacy
# tables, and a hand-made nftables one: each needs ccompose's accepts
# where they are not ours.
foreign_ip6_drops() {
  command -v nft >/dev/null || skip "nft missing (make deps)"
  inh ip6tables-legacy -N DOCKER-USER || fail "ip6tables -N DOCKER-USER"
  inh ip6tables-legacy -A FORWARD -j DOCKER-USER || fail "ip6tables -A FORWARD"
  inh ip6tables-legacy -P FORWARD DROP || fail "ip6tables -P FORWARD DROP"
  inh nft add table ip6 hostfw6 || fail "nft add table"
  inh nft add chain ip6 hostfw6 forward '{ type filter hook forward priority 0; policy drop; }' || fail "nft add chain"
}

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
    command:
      - sh
      - -c
      - |
        mkdir -p /www /inner && echo hello-v6 >/www/index.html && echo secret >/inner/index.html
        httpd -p 127.0.0.1:8081 -h /inner
        exec httpd -f -p 8080 -h /www
    networks: [one, two]
    ports: ["18480:8080", "[::]:18481:8080", "[::1]:18482:8080", "[::1]:18483:8081"]
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
  foreign_ip6_drops
  assert_exit 0 cc up -d
  local said=$OUT
  # Accepts in the other firewalls' IPv6 forward chains, whichever
  # backend is ours; the traffic below crosses them.
  assert_contains "$said" "\`ip6 hostfw6 forward\` (nftables) drops forwarded packets by policy"
  assert_contains "$(inh nft list chain ip6 hostfw6 forward)" "ccompose"
  assert_contains "$(inh ip6tables-legacy -S DOCKER-USER)" "ccompose"
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
  # NAT66: a's connection out of its bridge arrives from the host's
  # address, not from fd99:cc::99 (which nothing outside routes back).
  peer6_setup
  assert_exit 0 cc exec a wget -qO- "http://[fd42:cc:1::2]:9966/cgi-bin/src"
  assert_contains "$OUT" "from [fd42:cc:1::1]"
  # The ip6tables side is checked, and repaired by the next command, as
  # the IPv4 one.
  if [ "${CCOMPOSE_FIREWALL:-iptc}" = iptc ]; then
    inh ip6tables-legacy -t nat -F || fail "ip6tables -t nat -F"
    assert_exit 1 inh "$CCOMPOSE" system check
    assert_contains "$OUT" "missing: ip6tables nat/CCOMPOSE-POST"
    assert_exit 0 cc ps
    # A rule of both families has a copy in each: the IPv6 one alone
    # gone is missing too, and comes back with the next command.
    inh ip6tables-legacy -D FORWARD 1 || fail "ip6tables -D FORWARD 1"
    assert_not_contains "$(inh ip6tables-legacy -S FORWARD)" "ccompose"
    assert_exit 1 inh "$CCOMPOSE" system check
    assert_contains "$OUT" "missing: ip6tables filter/FORWARD ccompose"
  fi
  assert_exit 0 cc ps
  # A port without a host address is published on both families: both
  # shown, as Docker Compose shows them; `port` prints one, as Docker's.
  assert_contains "$OUT" "0.0.0.0:18480->8080/tcp, [::]:18480->8080/tcp, [::]:18481->8080/tcp"
  assert_exit 0 cc ps --format json b
  assert_eq "$(printf '%s' "$OUT" | python3 -c '
import json, sys
text = sys.stdin.read().strip()
rows = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines()]
print(" ".join("%s/%s" % (p["URL"], p["PublishedPort"]) for r in rows for p in r["Publishers"]))')" \
    "0.0.0.0/18480 ::/18480 ::/18481 ::1/18482 ::1/18483"
  assert_exit 0 cc port b 8080
  assert_eq "$OUT" "0.0.0.0:18480"
  # Another project asking for a port published on IPv6 alone hears
  # who holds it, as for an IPv4 one, before anything is created.
  project v6b <<'YAML'
services:
  c:
    image: busybox:1.35
    command: ["sleep", "60"]
    ports: ["[::]:18481:80"]
networks:
  default:
    enable_ipv6: true
YAML
  assert_exit 1 inh sh -c "cd $WORK/v6b && $CCOMPOSE up -d"
  assert_contains "$OUT" "host port [::]:18481/tcp is already used by project v6 service b"
  [ "${CCOMPOSE_FIREWALL:-iptc}" != iptc ] || assert_contains "$(inh ip6tables-legacy -S FORWARD)" "ccompose"
  assert_exit 0 cc ps b
  assert_contains "$OUT" "[::1]:18482->8080/tcp"
  # Published ports over IPv6: one without a host address (both families,
  # as Docker publishes it when the container has IPv6) and one on [::],
  # from outside the host and from the host itself.
  local port
  for port in 18480 18481; do
    assert_exit 0 nsenter --net="/run/netns/$PEER6" busybox wget -qO- "http://[fd42:cc:1::1]:$port/"
    assert_contains "$OUT" hello-v6
    assert_exit 0 inh busybox wget -qO- "http://[fd42:cc:1::1]:$port/"
    assert_contains "$OUT" hello-v6
  done
  # ::1, which the kernel routes nowhere but lo, through the monitor's
  # relay (issue 17): a port on [::1], on [::] and on no address.
  for port in 18480 18481 18482; do
    assert_exit 0 inh curl -gsS --max-time 5 "http://[::1]:$port/"
    assert_contains "$OUT" hello-v6
  done
  # The relay reaches the container's address, never its loopback: the
  # service on 127.0.0.1 inside answers there, and not through [::1].
  assert_exit 0 cc exec b wget -qO- http://127.0.0.1:8081/
  assert_contains "$OUT" secret
  OUT=$(inh curl -gsS --max-time 5 "http://[::1]:18483/" 2>&1) && fail "the container's loopback answered: $OUT"
  assert_not_contains "$OUT" secret
  # The veth goes before the checks of what down left.
  ip -n "$HOSTNS" link del t6out
  assert_exit 0 cc down -t 0
  assert_not_contains "$(inh nft list chain ip6 hostfw6 forward)" "ccompose"
  assert_not_contains "$(inh ip6tables-legacy -S DOCKER-USER)" "ccompose"
  assert_no_residue
  # The relay's sockets went with the monitors.
  [ -z "$(inh ss -Hltn 'sport >= :18480 and sport <= :18483')" ] || fail "left listening: $(inh ss -Hltn)"
  assert_exit 0 cc system check
  # The gateway address went with the bridge; forwarding is back as it was.
  [ -z "$(inh ip -6 -o addr show scope global)" ] || fail "IPv6 address left: $(inh ip -6 -o addr show scope global)"
  assert_eq "$(inh cat /proc/sys/net/ipv6/conf/all/forwarding)" 0
}

run_tests
