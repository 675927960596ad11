#!/usr/bin/env bash
# `ccompose network create|ls|inspect|rm|prune` (issue 15) with Docker's
# flags, output and exit codes: a created network is a real bridge with
# our prefixes and its own subnet, hostile names and subnets are refused
# naming why (and the network a subnet overlaps), a network in use is
# not removed (its users named), and nothing is left after `rm`.  A
# created network serves compose files as an `external: true` network,
# and a missing one fails `up` in Compose's words; external_links name
# a container of another project on a shared network.
# Each test in a throwaway host namespace with a private state root.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# The bridge of the network named $1, from the network module's state.
bridge_of() {
  "$CCOMPOSE" netdev ls | python3 -c '
import json, sys
for n in json.load(sys.stdin).get("networks", []):
    if n.get("full_name") == sys.argv[1]:
        print(n["bridge"])' "$1"
}

test_network_commands_behave_as_docker_network() {
  eng_setup netcmd-$$
  local id br long
  defer "cc network rm -f plain labelled six >/dev/null 2>&1"
  assert_exit 0 cc network create plain
  id=$OUT
  [[ $id =~ ^[0-9a-f]{64}$ ]] || fail "a network id is 64 hex digits, not [$id]"
  assert_exit 0 cc network create --subnet 10.89.77.0/24 --gateway 10.89.77.254 --ip-range 10.89.77.128/25 \
    --label team=a --internal --attachable labelled
  assert_exit 0 cc network create --ipv6 --subnet fd00:cc77::/64 six
  # A real bridge with our prefix, holding the gateway.
  br=$(bridge_of labelled)
  [[ $br == cc* ]] || fail "bridge of labelled: [$br]"
  assert_exit 0 inh ip -o addr show dev "$br"
  assert_contains "$OUT" "10.89.77.254/24"
  assert_exit 0 inh ip -o -6 addr show dev "$(bridge_of six)"
  assert_contains "$OUT" "fd00:cc77::1/64"

  # Refused, naming why.
  assert_exit 1 cc network create plain
  assert_contains "$OUT" "network with name plain already exists"
  assert_exit 1 cc network create --subnet 10.89.78.0/33 badmask
  assert_contains "$OUT" "10.89.78.0/33"
  assert_exit 1 cc network create --subnet 10.89.77.128/25 overlap
  assert_contains "$OUT" "overlaps network \`labelled\`"
  assert_exit 1 cc network create --subnet 10.89.79.0/24 --gateway 10.89.80.1 gwout
  assert_exit 1 cc network create 'a/b'
  assert_contains "$OUT" 'invalid network name "a/b"'
  assert_exit 1 cc network create '../x'
  assert_contains "$OUT" "invalid network name"
  long=$(printf 'n%.0s' {1..200})
  assert_exit 1 cc network create "$long"
  assert_contains "$OUT" "longer than 128 characters"
  assert_exit 1 cc network create -d overlay ov
  assert_contains "$OUT" 'network driver "overlay" is not supported'
  assert_exit 2 cc network create
  assert_exit 0 cc network ls -q
  [ "$(wc -l <<<"$OUT")" = 3 ] || fail "refused networks were made: $OUT"

  # ls and inspect, as Docker's.
  assert_exit 0 cc network ls
  assert_eq "$(head -1 <<<"$OUT" | tr -s ' ')" "NETWORK ID NAME DRIVER SCOPE"
  assert_contains "$OUT" "${id:0:12}"
  assert_exit 0 cc network ls -q --no-trunc -f name=plain
  assert_eq "$OUT" "$id"
  assert_exit 0 cc network ls --format '{{.Name}} {{.Internal}} {{.IPv6}} {{.Labels}}' -f label=team=a
  assert_eq "$OUT" "labelled true false team=a"
  assert_exit 0 cc network ls --format json -f driver=bridge -f name=six
  assert_eq "$(python3 -c 'import json,sys; v=json.loads(sys.stdin.read()); print(v["Name"], v["Scope"], v["IPv6"])' <<<"$OUT")" \
    "six local true"
  assert_exit 1 cc network ls -f bogus=1
  assert_contains "$OUT" "invalid filter 'bogus'"
  assert_exit 0 cc network inspect labelled "${id:0:12}"
  python3 - "$OUT" "$id" <<'PY' || fail "network inspect: $OUT"
import json, sys
v = json.loads(sys.argv[1])
n = v[0]
for k in ("Name", "Id", "Created", "Scope", "Driver", "EnableIPv6", "IPAM", "Internal", "Labels", "Containers"):
    assert k in n, k
assert n["Name"] == "labelled" and n["Scope"] == "local" and n["Driver"] == "bridge", n
assert n["Internal"] is True and n["EnableIPv6"] is False, n
assert n["IPAM"]["Config"] == [{"Subnet": "10.89.77.0/24", "IPRange": "10.89.77.128/25", "Gateway": "10.89.77.254"}], n
assert n["Labels"] == {"team": "a"} and n["Containers"] == {}, n
assert v[1]["Name"] == "plain" and v[1]["Id"] == sys.argv[2], v[1]
PY
  assert_exit 1 cc network inspect nope
  assert_contains "$OUT" "no such network: nope"

  # rm and prune.
  assert_exit 0 cc network rm plain
  assert_eq "$OUT" plain
  assert_exit 1 cc network rm plain
  assert_contains "$OUT" "network plain not found"
  assert_exit 0 cc network rm -f plain
  assert_exit 0 cc network prune -f --filter label=team=a
  assert_eq "$OUT" "Deleted Networks:
labelled"
  assert_exit 0 cc network prune -f
  assert_eq "$OUT" "Deleted Networks:
six"
  assert_exit 0 cc network ls -q
  assert_eq "$OUT" ""
  assert_no_residue
}

in_nxa() { (cd "$WORK/nxa" && cc "$@"); }
in_nxb() { (cd "$WORK/nxb" && cc "$@"); }

# Two projects on one created network, declared external by both.
test_created_network_serves_as_an_external_network() {
  eng_setup netext-$$
  load_images busybox
  local p aip
  for p in nxa nxb; do
    project $p <<YAML
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    networks: [shared, default]
    $([ $p = nxb ] && echo 'external_links: ["nxa-app-1:cache"]')
networks:
  shared:
    external: true
    name: ccshared
YAML
  done
  defer "cc network rm -f ccshared >/dev/null 2>&1"
  defer "cc -p nxa down -t 0 >/dev/null 2>&1"
  defer "cc -p nxb down -t 0 >/dev/null 2>&1"
  # Missing: Compose's words, and nothing is made.
  assert_exit 1 in_nxa up -d
  assert_contains "$OUT" "network ccshared declared as external, but could not be found"
  assert_exit 0 cc network create --subnet 10.89.90.0/24 ccshared
  assert_exit 0 in_nxa up -d
  assert_exit 0 in_nxb up -d
  # external_links: nxb's app knows nxa's container as `cache`.
  assert_exit 0 in_nxb exec -T app ping -c1 -W2 cache
  # Each reaches the other by container name over the created network.
  assert_exit 0 in_nxb exec -T app ping -c1 -W2 nxa-app-1
  assert_exit 0 in_nxa exec -T app ping -c1 -W2 nxb-app-1
  assert_exit 0 cc network inspect -f '{{json .Containers}}' ccshared
  python3 - "$OUT" <<'PY' || fail "members of ccshared: $OUT"
import ipaddress, json, sys
c = json.loads(sys.argv[1])
assert sorted(c) == ["nxa-app-1", "nxb-app-1"], c
for v in c.values():
    assert ipaddress.ip_interface(v["IPv4Address"]).ip in ipaddress.ip_network("10.89.90.0/24"), v
PY
  aip=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["nxa-app-1"]["IPv4Address"].split("/")[0])' "$OUT")
  assert_exit 0 in_nxb exec -T app cat /etc/hosts
  grep -qE "^$aip[[:space:]]+cache\b" <<<"$OUT" || fail "no \`cache\` line for $aip in nxb's hosts: $OUT"
  # Compose projects' networks are listed with Compose's labels.
  assert_exit 0 cc network ls --format '{{.Name}}' -f label=com.docker.compose.project=nxa
  assert_eq "$OUT" "nxa_default"
  # In use: refused, naming who uses it; a project's network is its down's.
  assert_exit 1 cc network rm ccshared
  assert_contains "$OUT" "has active endpoints: nxa-app-1 (project nxa), nxb-app-1 (project nxb)"
  assert_exit 1 cc network rm nxa_default
  assert_contains "$OUT" "belongs to project nxa"
  assert_exit 0 cc network prune -f
  assert_eq "$OUT" ""
  assert_exit 0 in_nxa down -t 0
  # The linked container gone: refused before anything changes.
  assert_exit 1 in_nxb up -d --force-recreate
  assert_contains "$OUT" "external_links: no container \`nxa-app-1\` on a network the service is on"
  assert_exit 0 in_nxb down -t 0
  # The created network outlives the projects, as Docker's does, and
  # the residue check does not count it dead.
  assert_exit 0 inh "$CCOMPOSE" system check
  assert_exit 0 cc network rm ccshared
  assert_no_residue
}

# network_mode: bridge (issue 15): Docker's default network, made on first
# use as `network create bridge` would and kept, as docker0 is: published
# ports work, names do not resolve, addresses do.
test_network_mode_bridge_joins_the_host_wide_default_network() {
  eng_setup netbr-$$
  load_images busybox
  project nbr <<'YAML'
services:
  web:
    image: busybox:1.35
    init: true
    network_mode: bridge
    command: ["sh", "-c", "echo bridged >/tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    ports: ["8097:80"]
  peer:
    image: busybox:1.35
    init: true
    network_mode: bridge
    command: ["sleep", "600"]
YAML
  defer "cc network rm -f bridge >/dev/null 2>&1"
  defer "cc -p nbr down -t 0 >/dev/null 2>&1"
  local wip
  cd "$WORK/nbr"
  assert_exit 0 cc up -d
  wait_for 5 "web on its published port" sh -c "[ \"\$(nsenter --net=/run/netns/$HOSTNS curl -s -m 1 http://127.0.0.1:8097/)\" = bridged ]"
  assert_exit 0 cc network inspect -f '{{json .Containers}}' bridge
  wip=$(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); assert sorted(c)==["nbr-peer-1","nbr-web-1"], c; print(c["nbr-web-1"]["IPv4Address"].split("/")[0])' "$OUT") ||
    fail "members of bridge: $OUT"
  assert_exit 0 cc exec -T peer wget -q -O - "http://$wip/"
  assert_eq "$OUT" bridged
  # No name resolution on Docker's default network.
  assert_exit 0 cc exec -T peer cat /etc/resolv.conf /etc/hosts
  assert_not_contains "$OUT" "127.0.0.11"
  assert_not_contains "$OUT" "nbr-web-1"
  # Its own hostname (the short id) resolves through its hosts, as Docker's.
  assert_exit 0 cc exec -T peer sh -c 'grep -w "$(hostname)" /etc/hosts'
  assert_exit 0 cc down -t 0
  # Kept once empty, as docker0 is; `network rm` removes it.
  assert_exit 0 cc network ls -q -f name=bridge
  [ -n "$OUT" ] || fail "the default bridge network went with the last container"
  assert_exit 0 cc network rm bridge
  cd /
  assert_no_residue
}

run_tests "$@"
