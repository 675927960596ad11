#!/usr/bin/env bash
# The embedded DNS at 127.0.0.11 (issue 16): names, aliases, container
# names and replicas as Docker answers them, from busybox's nslookup, the
# C library (ping) and tests/system/dnsq.c; health, scale and removal
# followed; forwarding to the host's nameservers, to dns: servers, through
# systemd-resolved's file; host networking; a responder killed, found by
# system check and brought back; nothing left after down.  Upstreams are
# tests/system/fake-dns.py on addresses of the test's own namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"
. "$(dirname "$0")/dns-helpers.bash"

# web x3, db with an alias and a hostname, cli; dnsq in each.
names_project() {
  load_images busybox
  project "$1" <<YAML
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    scale: 3
    volumes: ["$DNSQ:/dnsq:ro"]
  db:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    hostname: dbhost
    domainname: example.org
    networks:
      default:
        aliases: [database]
    extra_hosts: ["fixed.test:192.0.2.99", "gw.test:host-gateway"]
    dns_search: [corp.test]
    dns_opt: ["timeout:1"]
    volumes: ["$DNSQ:/dnsq:ro"]
  cli:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    volumes: ["$DNSQ:/dnsq:ro"]
YAML
  cd "$WORK/$1"
}

# The address of container $1 on the project's default network.
ip_of() {
  inh "$CCOMPOSE" netdev ls | python3 -c '
import json, sys
for n in json.load(sys.stdin)["networks"]:
    for m in n["members"]:
        if m["container"] == sys.argv[1]:
            print(m["ip"])' "$1"
}

test_names_aliases_containers_and_replicas_resolve() {
  eng_setup dns-names
  names_project dnsa
  assert_exit 0 cc up -d
  local w1 w2 w3 db first second
  w1=$(ip_of dnsa-web-1) w2=$(ip_of dnsa-web-2) w3=$(ip_of dnsa-web-3) db=$(ip_of dnsa-db-1)
  # Every replica of the service, the order turning at each answer.
  assert_exit 0 q cli -n 2 web
  first=$(sed -n 1p <<<"$OUT") second=$(sed -n 2p <<<"$OUT")
  for ip in "$w1" "$w2" "$w3"; do assert_contains "$first" " $ip" "replica $ip"; done
  [ "$(tr ' ' '\n' <<<"$first" | sort)" = "$(tr ' ' '\n' <<<"$second" | sort)" ] || fail "answers differ: $OUT"
  [ "$(awk '{print $2}' <<<"$first")" != "$(awk '{print $2}' <<<"$second")" ] || fail "the order did not turn: $OUT"
  # Service, alias, container name, hostname, <name>.<network>, any case.
  for name in db database dnsa-db-1 dbhost dnsa-db-1.dnsa_default DataBase; do
    assert_exit 0 q cli "$name"
    assert_eq "$OUT" "NOERROR $db" "$name"
  done
  assert_exit 0 q web dnsa-web-3
  assert_eq "$OUT" "NOERROR $w3" "a replica by its container name"
  # No IPv6 yet: a name we know has no AAAA data; PTR of an address.
  assert_exit 0 q cli -q AAAA web
  assert_eq "$OUT" "NOERROR" "AAAA of web"
  assert_exit 0 q cli -q PTR "$(awk -F. '{print $4"."$3"."$2"."$1}' <<<"$db").in-addr.arpa"
  assert_eq "$OUT" "NOERROR dnsa-db-1.dnsa_default" "PTR of db"
  # TCP as well as UDP.
  assert_exit 0 q cli -t database
  assert_eq "$OUT" "NOERROR $db" "over TCP"
  # Not ours and nowhere to forward it (the tests' host has no nameserver).
  assert_exit 0 q cli nosuch.example
  assert_eq "$OUT" "SERVFAIL"
  # The C library through /etc/resolv.conf, and busybox's own client.
  assert_exit 0 cc exec -T cli ping -c1 -W2 database
  assert_contains "$OUT" "PING database ($db)"
  assert_exit 0 cc exec -T cli nslookup web
  for ip in "$w1" "$w2" "$w3"; do assert_contains "$OUT" "$ip" "nslookup web"; done
  # Docker's files: resolv.conf for its internal resolver, hosts with the
  # container's own name and the extra hosts only.
  assert_exit 0 cc exec -T db cat /etc/resolv.conf
  assert_contains "$OUT" "
nameserver 127.0.0.11
search corp.test
options timeout:1 ndots:0
"
  assert_exit 0 cc exec -T db cat /etc/hosts
  assert_contains "$OUT" "192.0.2.99	fixed.test"
  assert_contains "$OUT" "$db	dbhost.example.org dbhost"
  assert_contains "$OUT" "gw.test"
  assert_not_contains "$OUT" "dnsa-web"
  # One responder for the project, with a socket in each namespace.
  assert_eq "$(dns_stat dnsa namespaces)" 5 "namespaces served"
  assert_exit 0 cc down -t 0
  assert_no_residue
  [ ! -e "$CCOMPOSE_STATE_DIR/network/dns/dnsa.pid" ] || fail "the responder's record outlived down"
}

answers_have() { [[ " $(q cli web) " == *" $1 "* ]]; }
answers_lack() { local a; a=$(q cli web) && [[ " $a " != *" $1 "* ]]; }

# Replicas with a healthcheck resolve once healthy, and not while
# unhealthy: within one interval of the failing probe.
test_an_unhealthy_replica_leaves_the_answers() {
  eng_setup dns-health
  load_images busybox
  project dnsh <<YAML
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "touch /tmp/ok; exec sleep 600"]
    scale: 2
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ok"]
      interval: 1s
      retries: 1
      start_period: 0s
      start_interval: 100ms
  cli:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    volumes: ["$DNSQ:/dnsq:ro"]
YAML
  cd "$WORK/dnsh"
  assert_exit 0 cc up -d --wait
  local w1 w2
  w1=$(ip_of dnsh-web-1) w2=$(ip_of dnsh-web-2)
  assert_exit 0 q cli web
  assert_contains "$OUT" "$w1"
  assert_contains "$OUT" "$w2"
  assert_exit 0 cc exec -T --index 2 web rm /tmp/ok
  SECONDS=0
  wait_for 3 "web-2 out of the answers" answers_lack "$w2"
  [ $SECONDS -le 2 ] || fail "web-2 left the answers after $SECONDS s (interval 1 s)"
  assert_exit 0 q cli web
  assert_eq "$OUT" "NOERROR $w1"
  # Healthy again: back.
  assert_exit 0 cc exec -T --index 2 web touch /tmp/ok
  wait_for 3 "web-2 back in the answers" answers_have "$w2"
  # A stopped replica is no answer either; none left is NXDOMAIN.
  assert_exit 0 cc stop -t 0 web
  assert_exit 0 q cli web
  assert_eq "$OUT" "NXDOMAIN"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

test_scale_up_and_down_is_followed() {
  eng_setup dns-scale
  names_project dnss
  assert_exit 0 cc up -d --scale web=1
  assert_exit 0 q cli web
  assert_eq "$(wc -w <<<"$OUT")" 2 "one replica: $OUT"
  assert_exit 0 cc up -d --scale web=4
  assert_exit 0 q cli web
  assert_eq "$(wc -w <<<"$OUT")" 5 "four replicas: $OUT"
  local w4
  w4=$(ip_of dnss-web-4)
  assert_contains "$OUT" " $w4"
  assert_exit 0 cc up -d --scale web=2
  assert_exit 0 q cli web
  assert_eq "$(wc -w <<<"$OUT")" 3 "two replicas: $OUT"
  assert_not_contains "$OUT" " $w4"
  assert_exit 0 q cli dnss-web-4
  assert_eq "$OUT" "SERVFAIL" "a removed replica's name"
  # The removed replicas' namespaces are let go of.
  assert_eq "$(dns_stat dnss namespaces)" 4 "namespaces served"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

forwarding_project() {
  load_images busybox
  project "$1" <<YAML
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    volumes: ["$DNSQ:/dnsq:ro"]
  own:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    dns: [192.0.2.53]
    volumes: ["$DNSQ:/dnsq:ro"]
  hidden:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    networks: [inside]
    volumes: ["$DNSQ:/dnsq:ro"]
networks:
  inside:
    internal: true
YAML
  cd "$WORK/$1"
}

test_forwarding_to_the_hosts_and_the_services_nameservers() {
  eng_setup dns-fwd
  host_resolv "nameserver 127.0.0.5
search host.test"
  fake_upstream 127.0.0.5 example.test=192.0.2.7
  local host_log=$UPSTREAM_LOG
  fake_upstream 192.0.2.53 override.test=192.0.2.8
  local own_log=$UPSTREAM_LOG
  forwarding_project dnsf
  assert_exit 0 cc up -d
  # The host's nameserver, reached from the host's namespace.
  assert_exit 0 q app example.test
  assert_eq "$OUT" "NOERROR 192.0.2.7"
  assert_exit 0 q app -t example.test
  assert_eq "$OUT" "NOERROR 192.0.2.7" "forwarded over TCP"
  assert_exit 0 q app nosuch.test
  assert_eq "$OUT" "NXDOMAIN"
  # (nothing answers pings there: the name is what counts)
  OUT=$(cc exec -T app ping -c1 -W1 example.test 2>&1)
  assert_contains "$OUT" "PING example.test (192.0.2.7)"
  # Names of ours never leave.
  assert_exit 0 q app own
  ! grep -q -e ' own ' -e ' app ' "$host_log" || fail "a local name was forwarded: $(cat "$host_log")"
  # dns: servers, from the container's own namespace, and only them.
  assert_exit 0 q own override.test
  assert_eq "$OUT" "NOERROR 192.0.2.8"
  assert_exit 0 q own example.test
  assert_eq "$OUT" "NXDOMAIN" "the service's server, not the host's"
  grep -q '^udp override.test 1$' "$own_log" || fail "override.test not asked of 192.0.2.53: $(cat "$own_log")"
  assert_exit 0 cc exec -T own cat /etc/resolv.conf
  assert_contains "$OUT" "nameserver 127.0.0.11
search host.test"
  assert_contains "$OUT" "# ExtServers: [192.0.2.53]"
  # Only on an internal network: local names, nothing forwarded.
  assert_exit 0 q hidden hidden
  assert_contains "$OUT" "NOERROR 10."
  : >"$host_log"
  assert_exit 0 q hidden example.test
  assert_eq "$OUT" "SERVFAIL"
  [ ! -s "$host_log" ] || fail "forwarded for an internal-only container: $(cat "$host_log")"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# The host's resolv.conf names only systemd-resolved's stub: the real
# servers are in systemd-resolved's own file, as Docker reads them.
test_systemd_resolved_stub_is_read_through() {
  eng_setup dns-stub
  host_resolv "nameserver 127.0.0.53
options edns0 trust-ad
search stub.test"
  export CCOMPOSE_RESOLVED_CONF=$WORK/resolved.conf
  printf 'nameserver 127.0.0.5\nsearch real.test\n' >"$CCOMPOSE_RESOLVED_CONF"
  fake_upstream 127.0.0.5 example.test=192.0.2.7
  forwarding_project dnsr
  assert_exit 0 cc up -d app
  assert_exit 0 q app example.test
  assert_eq "$OUT" "NOERROR 192.0.2.7"
  assert_exit 0 cc exec -T app cat /etc/resolv.conf
  assert_contains "$OUT" "search real.test"
  assert_contains "$OUT" "# Based on host file: '$CCOMPOSE_RESOLVED_CONF' (internal resolver)"
  assert_contains "$OUT" "# ExtServers: [host(127.0.0.5)]"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# network_mode: host keeps the host's resolver and hosts file; dns_search
# still applies.  No responder is needed for it.
test_host_networking_keeps_the_hosts_resolver() {
  eng_setup dns-host
  host_resolv "nameserver 127.0.0.5
search host.test"
  load_images busybox
  project dnsn <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    network_mode: host
    dns_opt: [rotate]
YAML
  cd "$WORK/dnsn"
  assert_exit 0 cc up -d
  assert_exit 0 cc exec -T app cat /etc/resolv.conf
  assert_eq "$OUT" "# Generated by ccompose
nameserver 127.0.0.5
search host.test
options rotate"
  assert_exit 0 cc exec -T app cat /etc/hosts
  assert_eq "$OUT" "$(cat /etc/hosts)" "the host's hosts file"
  [ ! -e "$CCOMPOSE_STATE_DIR/network/dns/dnsn.pid" ] || fail "a responder for a project without networks"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

responder_gone() { ! inh "$CCOMPOSE" netdev -p "$1" dns stats; }

# A responder that dies: system check says so, the next command on the
# project (exec here) starts it again; system check --fix does too.
test_a_killed_responder_is_reported_and_restarted() {
  eng_setup dns-kill
  names_project dnsk
  assert_exit 0 cc up -d
  local pid
  pid=$(dns_pid dnsk)
  [ -n "$pid" ] && kill -0 "$pid" || fail "no responder running: $pid"
  kill -9 "$pid"
  wait_for 5 "the responder gone" sh -c "! kill -0 $pid 2>/dev/null || grep -q zombie /proc/$pid/status"
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "dns           missing: DNS responder of project dnsk (not running)"
  # Any command on the project brings it back before it runs.
  assert_exit 0 q cli db
  assert_contains "$OUT" "NOERROR 10."
  [ "$(dns_pid dnsk)" != "$pid" ] || fail "the responder was not started again"
  assert_exit 0 inh "$CCOMPOSE" system check
  # And system check --fix.
  kill -9 "$(dns_pid dnsk)"
  wait_for 5 "the responder gone" responder_gone dnsk
  assert_exit 0 inh "$CCOMPOSE" system check --fix
  assert_contains "$OUT" "missing: DNS responder of project dnsk"
  assert_exit 0 q cli db
  assert_contains "$OUT" "NOERROR 10."
  assert_exit 0 cc down -t 0
  assert_no_residue
  assert_exit 0 inh "$CCOMPOSE" system check
}

# A project whose state is lost: its responder is residue, which
# system check --fix kills; a responder whose record is removed goes by
# itself.
test_the_responder_of_a_lost_project_is_residue() {
  eng_setup dns-lost
  names_project dnsl
  assert_exit 0 cc up -d
  local pid
  pid=$(dns_pid dnsl)
  rm -rf "$CCOMPOSE_STATE_DIR/projects/dnsl"
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "dns           DNS responder of project dnsl (pid $pid), which is gone"
  assert_exit 0 inh "$CCOMPOSE" system check --fix
  ! kill -0 "$pid" 2>/dev/null || grep -q zombie "/proc/$pid/status" || fail "the responder outlived --fix"
  assert_exit 0 inh "$CCOMPOSE" system check
  assert_no_residue
  # Started by hand, then its record deleted (its state root going):
  # it notices within seconds and exits.
  assert_exit 0 inh "$CCOMPOSE" netdev -p lone dns start
  pid=$(dns_pid lone)
  rm -f "$CCOMPOSE_STATE_DIR/network/dns/lone.pid"
  wait_for 8 "the orphaned responder exits" sh -c "! kill -0 $pid 2>/dev/null || grep -q zombie /proc/$pid/status"
  rm -f "$CCOMPOSE_STATE_DIR/network/dns/lone.sock"
  # A project named anything (netdev -p): both ends find its files.
  assert_exit 0 inh "$CCOMPOSE" netdev -p 'odd name/x' dns start
  assert_exit 0 inh "$CCOMPOSE" netdev -p 'odd name/x' dns stats
  assert_contains "$OUT" '"project":"odd name/x"'
  assert_exit 0 inh "$CCOMPOSE" netdev -p 'odd name/x' dns stop
  assert_no_residue
}

run_tests "$@"
