#!/usr/bin/env bash
# Networking in throwaway namespaces: bridges, veths, names, published
# ports, isolation, teardown.  See network-helpers.bash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/network-helpers.bash"

# Names resolve through the project's embedded DNS at 127.0.0.11 in each
# container's namespace (issue 16); the hosts file holds the container's
# own name only, written once at attach.
test_two_containers_reach_each_other_by_name() {
  net_setup names
  local hw=$CCOMPOSE_STATE_DIR/hosts-web hd=$CCOMPOSE_STATE_DIR/hosts-db
  assert_exit 0 ccn create default
  defer "ccn down"
  assert_exit 0 ccn dns start
  container pnames-web-1 default --service web --hosts-file "$hw"
  assert_contains "$OUT" "eth0 10.89.0.2/24 10.89.0.1"
  container pnames-db-1 default --service db --alias database --hosts-file "$hd"
  assert_contains "$OUT" "eth0 10.89.0.3/24"
  serve pnames-db-1 80 hello-db
  # IP reachability across the bridge.
  assert_exit 0 fetch inc pnames-web-1 curl http://10.89.0.3/
  assert_eq "$OUT" hello-db
  grep -qP '^10\.89\.0\.2\tpnames-web-1$' "$hw" || fail "own name missing from hosts: $(cat "$hw")"
  ! grep -q 'db' "$hw" || fail "a peer in the hosts file: $(cat "$hw")"
  # By name, with resolv.conf bind-mounted as the runtime will do.
  local rc=$CCOMPOSE_STATE_DIR/resolv-web
  assert_exit 0 ccn resolv "$rc"
  assert_exit 0 inc pnames-web-1 unshare -m sh -c "mount --bind '$rc' /etc/resolv.conf && mount --bind '$hw' /etc/hosts && curl -s -m 2 http://db/ && curl -s -m 2 http://database/ && curl -s -m 2 http://pnames-db-1/"
  assert_eq "$OUT" "hello-db
hello-db
hello-db"
  # A third container joins: its name resolves at once, nobody's file
  # is rewritten.
  local before
  before=$(stat -c %Y.%i "$hw")
  container pnames-web-2 default --service web --number 2 --hosts-file "$CCOMPOSE_STATE_DIR/hosts-web2"
  assert_eq "$(stat -c %Y.%i "$hw")" "$before" "the hosts file was rewritten"
  assert_exit 0 inc pnames-db-1 busybox nslookup pnames-web-2 127.0.0.11
  assert_contains "$OUT" "10.89.0.4"
  # Detach: the name goes, and the responder lets go of the namespace.
  assert_exit 0 ccn detach default pnames-web-2
  assert_exit 1 inc pnames-db-1 busybox nslookup pnames-web-2 127.0.0.11
  assert_exit 0 ccn dns stats
  assert_contains "$OUT" '"namespaces":2'
}

test_published_port_loopback_host_address_other_namespace_hairpin() {
  net_setup ports
  client_setup ports
  assert_exit 0 ccn create default
  defer "ccn down"
  container pports-web-1 default --service web --publish 8080:80 --publish 127.0.0.1:8081:80
  container pports-cli-1 default --service cli
  serve pports-web-1 80 hello-web
  assert_exit 0 fetch inh curl http://127.0.0.1:8080/
  assert_eq "$OUT" hello-web "127.0.0.1 from the host"
  assert_exit 0 fetch inh curl http://127.0.0.1:8081/
  assert_eq "$OUT" hello-web "127.0.0.1-bound port"
  assert_exit 0 fetch inh curl http://172.31.99.1:8080/
  assert_eq "$OUT" hello-web "the host's own address"
  assert_exit 0 fetch inclient curl http://172.31.99.1:8080/
  assert_eq "$OUT" hello-web "from another namespace"
  # Bound to 127.0.0.1 only: not reachable from outside.
  assert_exit 7 fetch inclient curl http://172.31.99.1:8081/
  # Hairpin: through the host's address back into the network, and into
  # the very container that publishes the port.
  assert_exit 0 fetch inc pports-cli-1 curl http://172.31.99.1:8080/
  assert_eq "$OUT" hello-web "hairpin from a neighbour"
  assert_exit 0 fetch inc pports-web-1 curl http://172.31.99.1:8080/
  assert_eq "$OUT" hello-web "hairpin to itself"
  # Unpublish: the port stops answering.
  assert_exit 0 ccn publish default pports-web-1
  assert_exit 7 fetch inh curl http://127.0.0.1:8080/
}

test_networks_are_isolated_and_internal_has_no_outbound() {
  net_setup iso
  client_setup iso
  assert_exit 0 ccn create front
  defer "ccn down"
  assert_exit 0 ccn create back
  assert_exit 0 ccn create --internal secret
  container piso-a-1 front --service a
  container piso-b-1 back --service b --publish 9000:80
  container piso-s-1 secret --service s
  serve piso-b-1 80 hello-b
  local bip
  bip=$(inh "$CCOMPOSE" netdev ls | python3 -c 'import json,sys; s=json.load(sys.stdin); print([m["ip"] for n in s["networks"] for m in n["members"] if m["container"]=="piso-b-1"][0])')
  # front -> back directly: dropped.
  assert_exit 28 inc piso-a-1 curl -s -m 1 "http://$bip/"
  # ... but back's published port is open to everyone, as in Docker.
  assert_exit 0 fetch inc piso-a-1 curl http://172.31.99.1:9000/
  assert_eq "$OUT" hello-b
  # Outbound: a normal network reaches the client namespace, an internal one does not.
  local cdir
  cdir=$(mktemp -d /tmp/ccnt-www.XXXXXX); echo hello-client >"$cdir/index.html"
  nsenter --net="/run/netns/$CLIENTNS" busybox httpd -f -p 80 -h "$cdir" >/dev/null 2>&1 &
  defer "kill $!; rm -rf '$cdir'"
  wait_for 5 "client httpd" inclient curl -sf -m 1 http://127.0.0.1/
  assert_exit 0 fetch inc piso-a-1 curl http://172.31.99.2/
  assert_eq "$OUT" hello-client
  assert_exit 0 inc piso-s-1 ip route
  assert_not_contains "$OUT" default "internal network must not route out"
  # Even with a route added by hand, the firewall keeps it in.
  local sgw
  sgw=$(awk '/src/ {print $1}' <<<"$OUT" | sed 's|\.0/24$|.1|')
  assert_exit 0 inc piso-s-1 ip route add default via "$sgw"
  assert_exit 28 inc piso-s-1 curl -s -m 1 http://172.31.99.2/
}

test_teardown_leaves_nothing_and_is_idempotent() {
  net_setup down
  assert_exit 0 ccn create default
  assert_exit 0 ccn create --internal other
  container pdown-web-1 default --service web --publish 8080:80 --hosts-file "$CCOMPOSE_STATE_DIR/h1"
  container pdown-web-1 other --service web
  assert_contains "$OUT" "eth1"
  [ "$(inh cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "ip_forward not enabled"
  # A batch: three containers in one attach (one commit per table), then
  # two of them in one detach.
  local c
  for c in pdown-b-1 pdown-b-2 pdown-b-3; do assert_exit 0 ccn netns-create $c; done
  assert_exit 0 ccn attach default pdown-b-1 pdown-b-2 pdown-b-3 --service b
  [ "$(grep -c ' eth0 10\.89\.0\.' <<<"$OUT")" = 3 ] || fail "batch attach: $OUT"
  assert_exit 0 inc pdown-b-3 ip -o addr show eth0
  assert_contains "$OUT" "10.89.0."
  assert_exit 0 ccn detach default pdown-b-1 pdown-b-3 nobody
  assert_exit 0 inh "$CCOMPOSE" netdev ls
  OUT=$(python3 -c 'import json,sys; s=json.load(sys.stdin); print(" ".join(m["container"] for n in s["networks"] for m in n["members"]))' <<<"$OUT")
  assert_eq "$OUT" "pdown-web-1 pdown-b-2 pdown-web-1" "members after the batch detach"
  # A network with containers is not removed.
  assert_exit 1 ccn rm default
  assert_contains "$OUT" "still has containers: pdown-web-1"
  assert_exit 0 ccn down
  assert_no_residue
  # ccompose turned ip_forward on, so it turns it off again.
  assert_eq "$(inh cat /proc/sys/net/ipv4/ip_forward)" 0 "ip_forward restored"
  assert_exit 0 ccn down
  assert_exit 0 ccn rm default
  assert_exit 0 ccn detach default nobody
}

test_residue_of_a_forgotten_project_is_found_and_removed() {
  net_setup resid
  assert_exit 0 ccn create default
  container presid-web-1 default --service web --publish 8080:80
  # The project's state is lost (as if its files were deleted).
  rm -f "$CCOMPOSE_STATE_DIR/network/state.json"
  assert_exit 1 inh "$CCOMPOSE" netdev residue
  assert_contains "$OUT" "interface cc"
  assert_contains "$OUT" "$(fw_label) nat/CCOMPOSE-DNAT"
  assert_contains "$OUT" "netns"
  assert_exit 0 inh "$CCOMPOSE" netdev residue --fix
  assert_no_residue
}

test_port_conflict_names_its_holder_before_anything_is_created() {
  net_setup pre
  # A process listening in the host namespace.
  local dir
  dir=$(mktemp -d /tmp/ccnt-www.XXXXXX)
  nsenter --net="/run/netns/$HOSTNS" busybox httpd -f -p 127.0.0.1:8080 -h "$dir" >/dev/null 2>&1 &
  defer "kill $!; rm -rf '$dir'"
  wait_for 5 "listener" inh curl -s -m 1 -o /dev/null http://127.0.0.1:8080/
  assert_exit 1 ccn preflight --service web 8080:80
  assert_contains "$OUT" "host port 0.0.0.0:8080/tcp is already used by process busybox (pid "
  assert_contains "$OUT" "port 8081 is free"
  # Another address than the listener's: no conflict.
  assert_exit 0 ccn preflight --service web 127.0.0.2:8080:80
  assert_exit 1 ccn preflight --service web 9000:80 127.0.0.1:9000:90
  assert_contains "$OUT" "requested twice"
  # Nothing was created by the failed checks.
  assert_not_contains "$(inh "$FW_SAVE" 2>/dev/null)" CCOMPOSE
  assert_eq "$(ls -A "$CCOMPOSE_STATE_DIR/netns" 2>/dev/null)" ""
  # A port published by another project names that project and service.
  assert_exit 0 ccn create default
  defer "ccn down"
  container ppre-api-1 default --service api --publish 9000:80
  assert_exit 1 inh "$CCOMPOSE" netdev -p other preflight --service web 9000:80
  assert_contains "$OUT" "already used by project ppre service api"
  # The same service re-publishing its own port is no conflict.
  assert_exit 0 ccn preflight --service api 9000:80
}

test_subnets_avoid_live_routes_and_name_the_clash() {
  net_setup route
  # A VPN-like route over part of the pool, in the test's host namespace.
  ip -n "$HOSTNS" link add tvpn0 type veth peer name tvpn1
  ip -n "$HOSTNS" link set tvpn0 up
  ip -n "$HOSTNS" link set tvpn1 up
  ip -n "$HOSTNS" route add 10.89.0.0/23 dev tvpn0
  assert_exit 0 ccn create default
  defer "ccn down"
  assert_contains "$OUT" "10.89.2.0/24 10.89.2.1"
  assert_exit 1 ccn create --subnet 10.89.1.0/24 clash
  assert_contains "$OUT" "subnet 10.89.1.0/24 overlaps the host route 10.89.0.0/23 dev tvpn0"
  # A pool with nothing free left says which route was in the way.
  assert_exit 1 env CCOMPOSE_SUBNET_POOL=10.89.0.0/23:24 nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" netdev -p "$PROJECT" create full
  assert_contains "$OUT" "no free subnet left in the pool"
  assert_contains "$OUT" "10.89.0.0/23 dev tvpn0"
  # The next network gets the next free /24, and a freed one comes back.
  assert_exit 0 ccn create second
  assert_contains "$OUT" "10.89.3.0/24"
  assert_exit 0 ccn rm default
  assert_exit 0 ccn create third
  assert_contains "$OUT" "10.89.2.0/24"
}

test_reattach_converges_and_none_mode_has_lo_only() {
  net_setup re
  assert_exit 0 ccn create default
  defer "ccn down"
  container pre-web-1 default --service web --publish 8080:80
  local first=$OUT
  local mac
  mac=$(inc pre-web-1 ip -o link show eth0 | grep -o 'link/ether [0-9a-f:]*')
  assert_eq "$mac" "link/ether 02:cc:0a:59:00:02" "MAC derived from 10.89.0.2"
  # Attaching again with other ports updates them, keeps the address, and
  # the recreated interface keeps its MAC (neighbours' ARP caches stay right).
  assert_exit 0 ccn attach default pre-web-1 --service web --publish 8090:80 --alias www
  assert_eq "$OUT" "$first" "same interface and address"
  assert_eq "$(inc pre-web-1 ip -o link show eth0 | grep -o 'link/ether [0-9a-f:]*')" "$mac" "MAC after re-attach"
  assert_exit 0 inh "$CCOMPOSE" netdev rules
  assert_contains "$OUT" "dport 8090"
  assert_not_contains "$OUT" "dport 8080"
  assert_exit 0 inh "$FW_SAVE" nat
  assert_contains "$OUT" "dport 8090"
  assert_not_contains "$OUT" "dport 8080 "
  # network_mode none: a namespace with lo up and nothing else.
  assert_exit 0 ccn netns-create pre-lonely-1
  assert_exit 0 inc pre-lonely-1 ip -o link show
  assert_contains "$OUT" "lo: <LOOPBACK,UP"
  [ "$(wc -l <<<"$OUT")" = 1 ] || fail "more than lo: $OUT"
  # Creating it again is a no-op; removing it twice is fine.
  assert_exit 0 ccn netns-create pre-lonely-1
  assert_exit 0 ccn netns-rm pre-lonely-1
  assert_exit 0 ccn netns-rm pre-lonely-1
  [ ! -e "$CCOMPOSE_STATE_DIR/netns/pre-lonely-1" ] || fail "netns file left"
}

test_mtu_and_a_bridge_mac_that_does_not_move() {
  net_setup mtu
  assert_exit 0 ccn create --mtu 1400 default
  defer "ccn down"
  local bridge=${OUT%% *} mac
  mac=$(inh ip -o link show "$bridge" | grep -o 'link/ether [0-9a-f:]*')
  assert_contains "$(inh ip -o link show "$bridge")" "mtu 1400"
  container pmtu-a-1 default --service a
  assert_contains "$(inc pmtu-a-1 ip -o link show eth0)" "mtu 1400"
  container pmtu-b-1 default --service b
  assert_exit 0 ccn detach default pmtu-a-1
  # The kernel would give the bridge its lowest port MAC; ours is fixed.
  assert_eq "$(inh ip -o link show "$bridge" | grep -o 'link/ether [0-9a-f:]*')" "$mac" "bridge MAC"
  assert_exit 0 inh ip -d link show "$bridge"
  assert_contains "$OUT" "alias ccompose"
}

test_residue_of_projects_that_no_longer_exist() {
  net_setup live
  assert_exit 0 ccn create default
  container plive-web-1 default --service web --publish 8080:80
  assert_exit 0 inh "$CCOMPOSE" netdev -p gone create default
  assert_exit 0 inh "$CCOMPOSE" netdev -p gone netns-create gone-db-1
  assert_exit 0 inh "$CCOMPOSE" netdev -p gone attach default gone-db-1 --service db --publish 9090:80
  # Only plive exists: gone's network and netns are residue.
  assert_exit 1 inh "$CCOMPOSE" netdev residue --live plive
  assert_contains "$OUT" "network gone_default"
  assert_contains "$OUT" "netns $CCOMPOSE_STATE_DIR/netns/gone-db-1"
  assert_not_contains "$OUT" "plive"
  assert_exit 0 inh "$CCOMPOSE" netdev residue --live plive --fix
  assert_exit 0 inh "$CCOMPOSE" netdev residue --live plive
  assert_eq "$OUT" ""
  assert_exit 0 inh "$CCOMPOSE" netdev rules
  assert_contains "$OUT" "project plive"
  assert_not_contains "$OUT" "project gone"
  assert_not_contains "$(inh "$FW_SAVE")" "project gone"
  # No project left at all: everything goes, ip_forward included.
  assert_exit 0 inh "$CCOMPOSE" netdev residue --no-live --fix
  assert_no_residue
  assert_eq "$(inh cat /proc/sys/net/ipv4/ip_forward)" 0 "ip_forward restored"
}

test_usage_errors() {
  net_setup usage
  assert_exit 2 "$CCOMPOSE" netdev
  assert_exit 2 "$CCOMPOSE" netdev frobnicate
  assert_exit 2 "$CCOMPOSE" netdev create
  assert_exit 1 ccn create --subnet 10.89.0.0/33 bad
  assert_contains "$OUT" "prefix"
  assert_exit 1 ccn create --subnet 10.89.0.0/24 --gateway 10.90.0.1 bad
  assert_exit 1 ccn attach nonet c1
  assert_contains "$OUT" "does not exist"
  # An existing network is reused only when the spec matches.
  assert_exit 0 ccn create --subnet 10.89.7.0/24 fixed
  defer "ccn down"
  assert_exit 0 ccn create --subnet 10.89.7.0/24 fixed
  assert_exit 0 ccn create fixed
  assert_exit 1 ccn create --subnet 10.89.8.0/24 fixed
  assert_contains "$OUT" "exists with subnet 10.89.7.0/24, not 10.89.8.0/24"
  # Overlap with one of our own networks is named.
  assert_exit 1 ccn create --subnet 10.89.7.128/25 other
  assert_contains "$OUT" "overlaps network \`pusage_fixed\`"
  assert_exit 1 ccn netns-create ../escape
  assert_exit 1 ccn create "a/b"
  assert_exit 1 ccn attach --publish 70000:80 default c1
  assert_contains "$OUT" "invalid port"
}

run_tests
