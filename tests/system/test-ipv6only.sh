#!/usr/bin/env bash
# IPv6-only networks (issue 15, Docker 28's `enable_ipv4: false`): the
# bridge and its containers get no IPv4 address or route, the embedded
# DNS answers AAAA and no A for their names, a container on a second
# network keeps that one's IPv4, there is no IPv4 NAT or forward accept
# for the bridge, ports are published on IPv6, and down leaves nothing.
# One `up` serves every check; the refusals need no `up`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# dns_query CONTAINER NAME TYPE: "RCODE ANSWERS" of the embedded DNS as
# CONTAINER asks it (busybox nslookup does not tell no data from no name).
dns_query() {
  inh nsenter --net="$CCOMPOSE_STATE_DIR/netns/$1" python3 -c '
import socket, struct, sys
name, qtype = sys.argv[1], {"A": 1, "AAAA": 28}[sys.argv[2]]
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", qtype, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, ("127.0.0.11", 53))
r = s.recv(4096)
print(r[3] & 15, struct.unpack(">H", r[6:8])[0])
' "$2" "$3"
}

test_ipv6_only_network() {
  eng_setup v6only
  load_images busybox
  project v6o <<'YAML'
services:
  web:
    image: busybox:1.35
    command: ["sh", "-c", "mkdir -p /www && echo hello-v6only >/www/index.html && exec httpd -f -p 8080 -h /www"]
    networks: [six]
    ports: ["[::]:18580:8080", "[::1]:18581:8080", "18582:8080", "18583:8080/udp", "127.0.0.1:18584:8080"]
  client:
    image: busybox:1.35
    command: ["sleep", "60"]
    networks:
      four: {}
      six: {gw_priority: 1}
networks:
  six:
    enable_ipv4: false
    enable_ipv6: true
    ipam:
      config:
        - subnet: fd98:cc::/64
  four: {}
YAML
  cd "$WORK/v6o"
  assert_exit 0 cc up -d
  # A udp port given no host address is published on IPv6 alone (the
  # relay is tcp), and said so where it is written.
  assert_contains "$OUT" "compose.yaml:6:66:"
  assert_contains "$OUT" "port \`18583:8080/udp\` is published on IPv6 only"
  assert_not_contains "$OUT" "18582:8080/tcp"
  # No IPv4 inside but lo's; no IPv4 route at all.
  assert_exit 0 cc exec web ip -4 -o addr show
  assert_eq "$(printf '%s\n' "$OUT" | awk '{print $2}' | sort -u)" lo
  assert_exit 0 cc exec web ip -4 route show
  assert_eq "$OUT" ""
  assert_exit 0 cc exec web ip -6 -o addr show dev eth0 scope global
  assert_contains "$OUT" "fd98:cc::2/64"
  assert_exit 0 cc exec web ip -6 route show default
  assert_contains "$OUT" "via fd98:cc::1"
  # The bridge has the IPv6 gateway and no IPv4 address.
  local br
  br=$(inh ip -o -6 addr show to fd98:cc::1/128 | awk '{print $2}')
  [ -n "$br" ] || fail "no bridge holds fd98:cc::1: $(inh ip -o addr show)"
  assert_eq "$(inh ip -4 -o addr show dev "$br")" ""
  # A container on a second network keeps that network's IPv4 address
  # and takes its IPv4 default route there, though the IPv6-only one
  # (eth1) outranks it (gw_priority) and gives the IPv6 one.
  assert_exit 0 cc exec client ip -4 -o addr show
  [[ "$OUT" =~ eth0\ +inet\ 10\. ]] || fail "client lost its IPv4 address on the other network: $OUT"
  assert_not_contains "$OUT" "eth1"
  assert_exit 0 cc exec client ip -4 route show default
  assert_contains "$OUT" "dev eth0"
  assert_exit 0 cc exec client ip -6 route show default
  assert_contains "$OUT" "via fd98:cc::1 dev eth1"
  # The hosts file lists the IPv6 address alone.
  assert_exit 0 cc exec web cat /etc/hosts
  assert_contains "$OUT" "fd98:cc::2"
  [ -z "$(printf '%s\n' "$OUT" | grep -E '^[0-9]+\.' | grep -v '^127\.')" ] || fail "an IPv4 line in /etc/hosts: $OUT"
  # The embedded DNS: AAAA, and no A record for the name (no error: the
  # name exists); the client's IPv4 address is on a network web is not
  # on, so web finds none either, while the client finds its own.
  assert_eq "$(dns_query v6o-client-1 web AAAA)" "0 1"
  assert_eq "$(dns_query v6o-client-1 web A)" "0 0"
  assert_eq "$(dns_query v6o-web-1 client AAAA)" "0 1"
  assert_eq "$(dns_query v6o-web-1 client A)" "0 0"
  assert_eq "$(dns_query v6o-client-1 client A)" "0 1"
  # The web server over IPv6 by name (busybox's wget crashes on IPv6).
  local get='printf "GET / HTTP/1.0\r\n\r\n" | nc -w 2 web 8080'
  wait_for 5 "httpd of web by name" cc exec client sh -c "$get"
  assert_exit 0 cc exec client sh -c "$get"
  assert_contains "$OUT" hello-v6only
  # No IPv4 NAT or forward accept for the bridge; the IPv4 drops stay.
  if [ "${CCOMPOSE_FIREWALL:-iptc}" = nftables ]; then
    [ -z "$(inh nft list ruleset | grep -F -- "$br" | grep masquerade | grep -v 'ip6 ')" ] ||
      fail "IPv4 masquerade for $br: $(inh nft list ruleset)"
  else
    assert_eq "$(inh iptables-legacy-save -t nat | grep -F -- "$br")" ""
    assert_eq "$(inh iptables-legacy-save -t filter | grep -F -- "-i $br" | grep ACCEPT)" ""
    assert_contains "$(inh iptables-legacy-save -t filter | grep -F -- "-i $br")" "DROP"
    assert_contains "$(inh ip6tables-legacy-save -t nat | grep -F -- "$br")" "MASQUERADE"
  fi
  # Published ports answer on the host: [::] through the DNAT (to the
  # bridge's address, a local one), ::1 through the monitor's relay.
  for port in 18580 18582; do
    assert_exit 0 inh curl -gsS --max-time 5 "http://[fd98:cc::1]:$port/"
    assert_contains "$OUT" hello-v6only
  done
  assert_exit 0 inh curl -gsS --max-time 5 "http://[::1]:18581/"
  assert_contains "$OUT" hello-v6only
  # IPv4 host ports reach the container's IPv6 address through the
  # monitor's relay, as Docker's userland proxy does.
  for port in 18582 18584; do
    assert_exit 0 inh curl -sS --max-time 5 "http://127.0.0.1:$port/"
    assert_contains "$OUT" hello-v6only
  done
  # ps shows what is published: the udp port on IPv6 alone.
  assert_exit 0 cc ps web
  assert_contains "$OUT" "0.0.0.0:18582->8080/tcp, [::]:18582->8080/tcp, [::]:18583->8080/udp, 127.0.0.1:18584->8080/tcp"
  assert_not_contains "$OUT" "0.0.0.0:18583"
  # The relay's own sockets are no conflict for the service's next
  # container.
  assert_exit 0 cc up -d --force-recreate -t 0 web
  wait_for 5 "relay of the new web" inh curl -sS --max-time 2 "http://127.0.0.1:18582/"
  assert_exit 0 cc down -t 0
  assert_no_residue
  [ -z "$(inh ss -Hltn 'sport >= :18580 and sport <= :18584')" ] || fail "left listening: $(inh ss -Hltn)"
  [ -z "$(inh ip -6 -o addr show scope global)" ] || fail "IPv6 address left: $(inh ip -6 -o addr show scope global)"
}

# What cannot be: checked where it is written, before anything exists;
# and `network create --ipv4=false`, whose network a compose file
# declares external.
test_ipv6_only_refusals() {
  eng_setup v6only-bad
  load_images busybox
  local f
  mkdir -p "$WORK/bad"
  cd "$WORK/bad"
  printf 'services:\n  a:\n    image: busybox:1.35\n    networks: [n]\nnetworks:\n  n:\n    enable_ipv4: false\n' >compose.yaml
  assert_exit 1 cc config
  assert_contains "$OUT" "compose.yaml:7:18"
  assert_contains "$OUT" "\`enable_ipv4: false\` needs \`enable_ipv6: true\`"
  printf 'services:\n  a:\n    image: busybox:1.35\n    networks: [n]\nnetworks:\n  n:\n    enable_ipv4: false\n    enable_ipv6: false\n' >compose.yaml
  assert_exit 1 cc config
  assert_contains "$OUT" "IPv4 or IPv6 must be enabled"
  cat >compose.yaml <<'YAML'
services:
  a:
    image: busybox:1.35
    networks: [n]
networks:
  n:
    enable_ipv4: false
    enable_ipv6: true
    ipam:
      config:
        - subnet: fd97:cc::/64
        - subnet: 10.97.0.0/24
YAML
  assert_exit 1 cc config
  assert_contains "$OUT" "compose.yaml:12:19"
  assert_contains "$OUT" "IPv4 subnet \`10.97.0.0/24\` on a network with \`enable_ipv4: false\`"
  cat >compose.yaml <<'YAML'
services:
  a:
    image: busybox:1.35
    networks:
      n: {ipv4_address: 10.97.0.9}
networks:
  n:
    enable_ipv4: false
    enable_ipv6: true
YAML
  assert_exit 1 cc config
  assert_contains "$OUT" "compose.yaml:5:"
  assert_contains "$OUT" "ipv4_address \`10.97.0.9\` on network \`n\`, which has \`enable_ipv4: false\`"
  # An IPv4 host address for a port the container has no IPv4 for.
  cat >compose.yaml <<'YAML'
services:
  a:
    image: busybox:1.35
    networks: [n]
    ports: ["127.0.0.1:18590:80/udp"]
networks:
  n:
    enable_ipv4: false
    enable_ipv6: true
YAML
  assert_exit 0 cc config
  assert_exit 1 cc up -d
  assert_contains "$OUT" "compose.yaml:5:"
  assert_contains "$OUT" "has no IPv4 address to publish it on"
  assert_eq "$(inh ip -o link show | grep -c ' cc')" 0
  # `network create --ipv4=false`, as Docker's flag.
  assert_exit 1 cc network create --ipv4=false ccv6bad
  assert_contains "$OUT" "IPv4 or IPv6 must be enabled"
  assert_exit 1 cc network create --ipv4=false --ipv6 --subnet 10.96.0.0/24 ccv6bad
  assert_contains "$OUT" "needs IPv4"
  assert_exit 0 cc network create --ipv4=false --ipv6 ccv6only
  assert_exit 0 cc network inspect ccv6only
  assert_contains "$OUT" '"EnableIPv4": false'
  assert_contains "$OUT" '"EnableIPv6": true'
  # A compose file's service on it (external) is IPv6-only too, and its
  # IPv4 host port is relayed as on a network of the file.
  cat >compose.yaml <<'YAML'
services:
  e:
    image: busybox:1.35
    command: ["sh", "-c", "mkdir -p /www && echo hello-ext >/www/index.html && exec httpd -f -p 8080 -h /www"]
    networks: [outside]
    ports: ["18591:8080"]
networks:
  outside:
    external: true
    name: ccv6only
YAML
  assert_exit 0 cc up -d
  assert_exit 0 cc exec e ip -4 -o addr show
  assert_eq "$(printf '%s\n' "$OUT" | awk '{print $2}' | sort -u)" lo
  wait_for 5 "relay of e" inh curl -sS --max-time 2 "http://127.0.0.1:18591/"
  assert_exit 0 inh curl -sS --max-time 5 "http://127.0.0.1:18591/"
  assert_contains "$OUT" hello-ext
  assert_exit 0 cc down -t 0
  assert_exit 0 cc network rm ccv6only
  assert_no_residue
}

run_tests
