#!/usr/bin/env bash
# Ports that name no host port, or a host range onto one container port,
# get a free host port chosen at attach time, as Docker Compose does:
# `port`, `ps` and `ps --format json` show it, traffic reaches the
# container through it, replicas get different ones, `down` removes their
# rules.  Everything runs in a throwaway network namespace playing the
# host; traffic goes only to 127.0.0.1 there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# port_of ARGS...: the host port `ccompose port ARGS` prints.
port_of() {
  assert_exit 0 cc port "$@"
  echo "${OUT##*:}"
}

# dnat_rules PORT: how many DNAT rules of the host namespace match PORT.
dnat_rules() { inh "$FW_SAVE" nat | grep -c -- "dport $1 " || true; }

web_project() {
  project "$1" <<YAML
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "hostname >/tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    ports:
$(cat)
YAML
  cd "$WORK/$1" || fail "cd $1"
}

test_ports_without_a_host_port_get_a_free_ephemeral_one() {
  eng_setup eph-$$
  load_images busybox
  web_project eph <<'PORTS'
      - "80"
      - "127.0.0.1::8080/udp"
      - target: 81
PORTS
  local lo hi p80 p81 pudp
  # Per network namespace: the one ccompose runs in.
  read -r lo hi < <(inh cat /proc/sys/net/ipv4/ip_local_port_range)
  assert_exit 0 cc up -d
  assert_exit 0 cc port web 80
  assert_contains "$OUT" "0.0.0.0:"
  p80=$(port_of web 80)
  p81=$(port_of web 81)
  assert_exit 0 cc port --protocol udp web 8080
  assert_contains "$OUT" "127.0.0.1:"
  pudp=${OUT##*:}
  for p in "$p80" "$p81" "$pudp"; do
    if [ "$p" -lt "$lo" ] || [ "$p" -gt "$hi" ]; then fail "port $p outside the ephemeral range $lo-$hi"; fi
  done
  [ "$p80" != "$p81" ] || fail "two ports of one container share host port $p80"
  # The chosen port reaches the container's listener, from the host itself.
  wait_for 5 "web on its chosen port" inh curl -sf -m 1 "http://127.0.0.1:$p80/"
  # (the page is the container's hostname: a short id, as Docker's)
  assert_exit 0 cc exec -T web hostname
  assert_eq "$(inh curl -s -m 2 "http://127.0.0.1:$p80/")" "$OUT"
  assert_exit 0 cc ps
  assert_contains "$OUT" "0.0.0.0:$p80->80/tcp"
  assert_contains "$OUT" "127.0.0.1:$pudp->8080/udp"
  assert_exit 0 cc ps --format json
  local published
  published=$(printf '%s' "$OUT" | python3 -c '
import json, sys
text = sys.stdin.read().strip()
rows = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines()]
print(" ".join("%s/%s" % (p["TargetPort"], p["PublishedPort"]) for r in rows for p in r["Publishers"]))')
  assert_contains "$published" "80/$p80"
  assert_contains "$published" "8080/$pudp"
  # A second replica gets its own port; the first keeps its own.
  assert_exit 0 cc up -d --scale web=2
  local p2
  p2=$(port_of --index 2 web 80)
  [ "$p2" != "$p80" ] || fail "replicas share host port $p80"
  assert_eq "$(port_of web 80)" "$p80" "replica 1 kept its port"
  wait_for 5 "replica 2 on its port" inh curl -sf -m 1 "http://127.0.0.1:$p2/"
  assert_exit 0 cc exec -T --index 2 web hostname
  assert_eq "$(inh curl -s -m 2 "http://127.0.0.1:$p2/")" "$OUT"
  [ "$(dnat_rules "$p80")" -gt 0 ] || fail "no DNAT rule for $p80"
  # A one-off container's -p without a host port, as Docker's run takes it.
  assert_exit 0 cc run -d --name ephrun -p 127.0.0.1::80 web
  local prun
  # `ps` lists no one-off container: its DNAT rule says which port it got.
  prun=$(inh "$FW_SAVE" nat | grep -E -- '(-d 127.0.0.1/32|daddr 127.0.0.1) .*container ephrun' |
    sed -n 's/.*dport \([0-9]*\) .*/\1/p')
  [ -n "$prun" ] || fail "no chosen port for the one-off container: $(inh "$FW_SAVE" nat)"
  wait_for 5 "the one-off container on $prun" inh curl -sf -m 1 "http://127.0.0.1:$prun/"
  assert_exit 0 cc down -t 0
  for p in "$p80" "$p81" "$pudp" "$p2" "$prun"; do
    assert_eq "$(dnat_rules "$p")" 0 "rules for port $p after down"
  done
  assert_no_residue
}

test_a_host_range_onto_one_port_takes_its_first_free_port() {
  eng_setup ephr-$$
  load_images busybox
  hold tcp/4/0.0.0.0/18000
  web_project ephr <<'PORTS'
      - "18000-18002:80"
PORTS
  # The preflight does not count the held 18000 as a conflict: the range
  # has free ports.
  assert_exit 0 cc up -d
  assert_exit 0 cc port web 80
  assert_eq "$OUT" "0.0.0.0:18001"
  wait_for 5 "web on 18001" inh curl -sf -m 1 http://127.0.0.1:18001/
  assert_eq "$(dnat_rules 18000)" 0 "the held port is not published"
  assert_eq "$(dnat_rules 18002)" 0 "a range onto one port publishes one port"
  # `run -p` takes the range whole too: 18000 held, 18001 web's, so 18002.
  assert_exit 0 cc run -d --name ephrange -p 18000-18002:80 web
  wait_for 5 "the one-off container on 18002" inh curl -sf -m 1 http://127.0.0.1:18002/
  [ "$(dnat_rules 18002)" -gt 0 ] || fail "no DNAT rule for 18002: $(inh "$FW_SAVE" nat)"
  # Two replicas created at once choose under the network lock: never
  # the same port.
  assert_exit 0 cc down -t 0
  assert_exit 0 cc up -d --scale web=2
  local both
  both="$(port_of --index 1 web 80) $(port_of --index 2 web 80)"
  case $both in "18001 18002" | "18002 18001") ;; *) fail "replicas got [$both], not 18001 and 18002" ;; esac
  # A third replica finds the range full: the error names it and the service.
  assert_exit 1 cc up -d --scale web=3
  assert_contains "$OUT" "service \`web\`"
  assert_contains "$OUT" "0.0.0.0:18000-18002/tcp"
  assert_exit 0 cc down -t 0
  assert_eq "$(dnat_rules 18001)" 0 "rules for 18001 after down"
  assert_no_residue
}

test_a_range_with_every_port_taken_fails_before_anything_starts() {
  eng_setup ephf-$$
  load_images busybox
  hold tcp/4/0.0.0.0/18100 tcp/4/0.0.0.0/18101
  web_project ephf <<'PORTS'
      - "127.0.0.1:18100-18101:80"
PORTS
  assert_exit 1 cc up -d
  assert_contains "$OUT" "service \`web\`"
  assert_contains "$OUT" "no free host port in 127.0.0.1:18100-18101/tcp"
  assert_contains "$OUT" "python3"
  [ -z "$(ls -A "$CCOMPOSE_STATE_DIR/containers" 2>/dev/null)" ] || fail "a container was created"
  assert_no_residue
}

# One grammar reads every port; what ccompose cannot publish (sctp, udp
# on the IPv6 loopback) is printed by `config` as Docker prints it and
# refused by `up` and `run` at one place, with its file:line:col, before
# anything is created (issue 14).
test_unpublishable_ports_stop_up_at_their_line() {
  eng_setup ephu-$$
  load_images busybox
  web_project ephu <<'PORTS'
      - "18300:80"
      - "5000/sctp"
PORTS
  assert_exit 0 cc config --format json
  assert_contains "$OUT" '"protocol": "sctp"'
  assert_exit 1 cc up -d
  assert_contains "$OUT" "compose.yaml:8:9: port \`5000/sctp\`: sctp ports cannot be published by ccompose yet"
  [ -z "$(ls -A "$CCOMPOSE_STATE_DIR/containers" 2>/dev/null)" ] || fail "a container was created"
  # The monitor's relay serves ::1 for tcp on a fixed port (issue 17):
  # udp there has no relay yet.
  web_project ephu6 <<'PORTS'
      - "[::1]:18301:80/udp"
PORTS
  assert_exit 0 cc config --format json
  assert_contains "$OUT" '"host_ip": "::1"'
  assert_exit 1 cc up -d
  assert_contains "$OUT" "compose.yaml:7:9: port \`[::1]:18301:80/udp\`: ports on the IPv6 loopback are published by ccompose for tcp on a fixed host port only"
  [ -z "$(ls -A "$CCOMPOSE_STATE_DIR/containers" 2>/dev/null)" ] || fail "a container was created"
  assert_exit 1 cc run --rm -p 5000/sctp web true
  assert_contains "$OUT" "port \`5000/sctp\`: sctp ports cannot be published"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

test_a_fixed_port_keeps_its_behaviour_next_to_chosen_ones() {
  eng_setup ephx-$$
  load_images busybox
  web_project ephx <<'PORTS'
      - "18200:80"
      - "0:80"
PORTS
  assert_exit 0 cc up -d
  wait_for 5 "web on 18200" inh curl -sf -m 1 http://127.0.0.1:18200/
  local p
  assert_exit 0 cc ps
  assert_contains "$OUT" "0.0.0.0:18200->80/tcp"
  p=$(printf '%s' "$OUT" | grep -o '0.0.0.0:[0-9]*->80/tcp' | grep -v 18200 | sed 's/0.0.0.0:\([0-9]*\)-.*/\1/')
  [ -n "$p" ] || fail "no chosen port beside 18200 in: $OUT"
  wait_for 5 "web on $p" inh curl -sf -m 1 "http://127.0.0.1:$p/"
  # A second `up` keeps the chosen port (nothing changed).
  assert_exit 0 cc up -d
  assert_contains "$(cc ps 2>&1)" "0.0.0.0:$p->80/tcp"
  assert_exit 0 cc down -t 0
  assert_eq "$(dnat_rules "$p")" 0 "rules for $p after down"
  assert_no_residue
}

run_tests
