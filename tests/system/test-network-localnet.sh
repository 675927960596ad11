#!/usr/bin/env bash
# The host's loopback stays out of reach of containers (CVE-2020-8558
# class): bridges route 127.0.0.0/8 (route_localnet) so that ports
# published on 127.0.0.1 work, and a default container (CAP_NET_RAW) could
# send a TCP SYN to 127.0.0.1 in a frame for the gateway's MAC.  The probe
# (tests/system/escape-payload.c, `localnet`) must get no answer from a
# host service bound to 127.0.0.1 only, nor from another project's port
# published on 127.0.0.1, while those ports keep working from the host.
# Runs in a throwaway namespace playing the host (engine-helpers.bash).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

make -s -C "$TOP" build/escape-payload >/dev/null 2>&1 || { echo "cannot build the escape payload" >&2; exit 1; }

victim_project() {
  project victim <<'YAML'
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "echo victim-web-1 >/tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    ports: ["127.0.0.1:19501:80", "19502:80"]
YAML
}

attacker_project() {
  project attacker <<YAML
services:
  probe:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    volumes: ["$TOP/build/escape-payload:/escape:ro"]
YAML
}

# gateway PROJECT SERVICE: the address of the service's gateway (its
# bridge), which is one of the host's addresses.
gateway_of() {
  (cd "$WORK/$1" && cc exec -T "$2" ip route) | awk '/^default/ {print $3}'
}

# http_from PROJECT SERVICE HOST PORT: the body the service gets from
# HOST:PORT (busybox wget crashes in the sample image; nc does not).
http_from() {
  (cd "$WORK/$1" && cc exec -T "$2" sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 $3 $4 | tail -n 1")
}

test_a_default_container_gets_no_answer_from_the_hosts_loopback() {
  eng_setup localnet
  load_images busybox
  # A service of the host on its loopback only.
  hold tcp/4/127.0.0.1/19500
  victim_project
  attacker_project
  (cd "$WORK/victim" && assert_exit 0 cc up -d) || exit 1
  (cd "$WORK/attacker" && assert_exit 0 cc up -d) || exit 1
  wait_for 5 "the victim on 127.0.0.1:19501" inh curl -sf -m 1 http://127.0.0.1:19501/
  cd "$WORK/attacker"
  assert_exit 0 cc exec -T probe /escape localnet --localnet-port 19500 --localnet-port 19501
  assert_contains "$OUT" "blocked localnet: 127.0.0.1:19500 no answer; 127.0.0.1:19501 no answer;"
  # What route_localnet is there for keeps working: the port published on
  # 127.0.0.1 from the host, the other one from another network through
  # the host's address, and hairpin into the publishing container.
  assert_eq "$(inh curl -s -m 2 http://127.0.0.1:19501/)" victim-web-1 "127.0.0.1-published port from the host"
  local gw
  gw=$(gateway_of attacker probe)
  [ -n "$gw" ] || fail "no gateway in the attacker's container"
  assert_eq "$(http_from attacker probe "$gw" 19502)" victim-web-1 \
    "published port from another network through the host's address"
  gw=$(gateway_of victim web)
  assert_eq "$(http_from victim web "$gw" 19502)" victim-web-1 "hairpin"
  # The guard is ours: named like the rest, gone with the networks.
  inh "$FW_SAVE" raw | grep -qE -- '(-d |daddr )127.0.0.0/8 (-i |iifname ")cc' || fail "no loopback guard: $(inh "$FW_SAVE" raw)"
  assert_exit 0 cc down -t 0
  (cd "$WORK/victim" && assert_exit 0 cc down -t 0) || exit 1
  assert_no_residue
  assert_not_contains "$(inh "$FW_SAVE" raw)" "ccompose"
}

run_tests
