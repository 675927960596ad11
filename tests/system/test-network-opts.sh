#!/usr/bin/env bash
# A network's driver_opts and aux_addresses (issue 15), observed inside
# running containers and in the kernel's rules, in one `up`: the MTU of
# the bridge and veths, the interfaces' name prefix, no traffic between
# containers with enable_icc false (the gateway still answers), no
# masquerade of the subnet's way out with enable_ip_masquerade false
# (the project's other network keeps it), ports published without an
# address bound to host_binding_ipv4, an aux address never given to a
# container; `network create -o/--aux-address` the same, refused values
# named.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

test_bridge_driver_opts_and_aux_addresses_take_effect() {
  eng_setup netopts-$$
  load_images busybox
  project nop <<'YAML'
services:
  a:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    networks: [tuned, plain]
  b:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "echo b >/tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    ports: ["8098:80"]
    networks: [tuned]
networks:
  tuned:
    driver_opts:
      com.docker.network.driver.mtu: 1400
      com.docker.network.bridge.enable_icc: "false"
      com.docker.network.bridge.enable_ip_masquerade: "false"
      com.docker.network.bridge.host_binding_ipv4: 127.0.0.1
      com.docker.network.container_iface_prefix: ccif
    ipam:
      config:
        - subnet: 10.89.91.0/24
          aux_addresses:
            router: 10.89.91.2
  plain:
    ipam:
      config:
        - subnet: 10.89.92.0/24
YAML
  defer "cc -p nop down -t 0 >/dev/null 2>&1"
  defer "cc network rm -f ccopts >/dev/null 2>&1"
  local bip nat
  cd "$WORK/nop"
  assert_exit 0 cc up -d
  # MTU and interface names inside; the other network keeps eth.
  assert_exit 0 cc exec -T a cat /sys/class/net/ccif0/mtu /sys/class/net/eth0/mtu
  assert_eq "$OUT" "1400
1500"
  # The aux address went to no container.
  assert_exit 0 cc network inspect -f '{{json .}}' nop_tuned
  bip=$(python3 - "$OUT" <<'PY'
import json, sys
n = json.loads(sys.argv[1])
ips = sorted(c["IPv4Address"].split("/")[0] for c in n["Containers"].values())
assert "10.89.91.2" not in ips and len(ips) == 2, ips
assert n["IPAM"]["Config"][0]["AuxiliaryAddresses"] == {"router": "10.89.91.2"}, n["IPAM"]
o = n["Options"]
assert o["com.docker.network.bridge.enable_icc"] == "false" and o["com.docker.network.driver.mtu"] == "1400", o
print(n["Containers"]["nop-b-1"]["IPv4Address"].split("/")[0])
PY
  ) || fail "network inspect nop_tuned: $OUT"
  # enable_icc false: b is out of a's reach, the gateway is not.
  assert_exit 0 cc exec -T a ping -c1 -W2 10.89.91.1
  assert_exit 1 cc exec -T a ping -c1 -W1 "$bip"
  # host_binding_ipv4: b's port is on 127.0.0.1 only.
  wait_for 5 "b on 127.0.0.1:8098" sh -c "[ \"\$(nsenter --net=/run/netns/$HOSTNS curl -s -m 1 http://127.0.0.1:8098/)\" = b ]"
  assert_exit 0 inh "$FW_SAVE" nat
  nat=$OUT
  grep 8098 <<<"$nat" | grep -q '127\.0\.0\.1' || fail "port 8098 not bound to 127.0.0.1: $nat"
  # enable_ip_masquerade false: no masquerade out of 10.89.91.0/24.
  grep -i masquerade <<<"$nat" | grep '10\.89\.92\.0/24' | grep -q '!' || fail "plain lost its masquerade: $nat"
  ! grep -i masquerade <<<"$nat" | grep '10\.89\.91\.0/24' | grep -q '!' || fail "tuned still masquerades: $nat"
  assert_exit 0 cc down -t 0

  # network create: the same options, refused ones named.
  assert_exit 0 cc network create -o com.docker.network.driver.mtu=1280 --subnet 10.89.93.0/24 \
    --aux-address gw2=10.89.93.7 ccopts
  assert_exit 0 cc network inspect -f '{{json .Options}} {{json .IPAM.Config}}' ccopts
  assert_contains "$OUT" '"com.docker.network.driver.mtu":"1280"'
  assert_contains "$OUT" '"AuxiliaryAddresses":{"gw2":"10.89.93.7"}'
  assert_exit 1 cc network create -o com.docker.network.bridge.enable_icc=maybe ccbad
  assert_contains "$OUT" "enable_icc\`: invalid value \`maybe\`"
  assert_exit 1 cc network create -o com.docker.network.bridge.foo=1 ccbad
  assert_contains "$OUT" "driver option \`com.docker.network.bridge.foo\` is not supported"
  assert_exit 1 cc network create --subnet 10.89.94.0/24 --aux-address r=10.89.95.1 ccbad
  assert_contains "$OUT" "aux address \`10.89.95.1\` of \`r\` is outside subnet 10.89.94.0/24"
  assert_exit 1 cc network create --subnet 10.89.94.0/24 --aux-address r=10.89.94.1 ccbad
  assert_contains "$OUT" "is the gateway"
  assert_exit 0 cc network rm ccopts
  cd /
  assert_no_residue
}

run_tests "$@"
