#!/usr/bin/env bash
# Issue 17: ccompose beside Docker, as on any Docker host.  One dockerd
# (Debian's docker.io) per file, in a throwaway network namespace with
# private roots (dockerd.bash): there it sets the FORWARD policy to DROP
# and turns on bridge-nf-call-iptables, through the host's iptables
# command (iptables-nft on Debian 12).  ccompose runs in the same
# namespace, with the backend make check picks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"
. "$(dirname "$0")/dockerd.bash"

DOCKER_NS=ccdk-$$
DOCKER_RUN=/run/ccdk-$$
DOCKER_LIB=/var/lib/ccdk-$$
DOCKER_SOCK=/run/ccdk-$$.sock
DOCKER_CGROUP=ccdk-docker-$$
DOCKER_READY=
DOCKER_WHY=

docker_up() {
  [ "$(id -u)" = 0 ] || { DOCKER_WHY="needs root"; return; }
  command -v dockerd >/dev/null || { DOCKER_WHY="dockerd is not installed (docker.io: make deps)"; return; }
  [ -d "$TOP/samples/images/out/busybox" ] || "$TOP/samples/images/build" busybox >/dev/null 2>&1 ||
    { DOCKER_WHY="cannot build the busybox sample image"; return; }
  ip netns add "$DOCKER_NS" || { DOCKER_WHY="ip netns add $DOCKER_NS failed"; return; }
  ip -n "$DOCKER_NS" link set lo up
  dockerd_snapshot "/tmp/ccdk-$$.before"
  dockerd_start "$DOCKER_NS" || { DOCKER_WHY="dockerd did not start: $(dockerd_why)"; return; }
  import_images "$DOCKER_RUN/images" docker_cli -- busybox 2>/dev/null ||
    { DOCKER_WHY="docker import of the busybox sample image failed"; return; }
  DOCKER_READY=1
}

docker_down() {
  docker_cli ps -aq 2>/dev/null | xargs -r docker_cli rm -f >/dev/null 2>&1
  dockerd_stop
  dockerd_cleanup
  ip netns del "$DOCKER_NS" 2>/dev/null
  rm -f "/tmp/ccdk-$$.before"
  return 0
}

need_docker() { [ -n "$DOCKER_READY" ] || skip "$DOCKER_WHY"; }

# Docker's and everyone else's rules in the namespace, ours left out,
# counters dropped: what must be the same before up and after down.  Of
# the legacy tables only rules count: the iptc backend loads them, and
# an empty table stays loaded.
others_rules() {
  inh iptables-save 2>/dev/null | grep -v -e '^#' -e ccompose | sed 's/ \[[0-9]*:[0-9]*\]$//'
  inh iptables-legacy-save 2>/dev/null | grep -e '^-A' | grep -v -e ccompose -e CCOMPOSE
}

docker_page() { inh curl -s -m 2 http://127.0.0.1:18081/; }

# The demo works with dockerd running (web reaches redis by name across
# the bridge, which br_netfilter sends through Docker's FORWARD DROP),
# a Docker container beside it keeps working, Docker's rules are as they
# were after down, and a flush of DOCKER-USER is repaired.
test_web_redis_beside_dockerd() {
  need_docker
  eng_setup "dkdemo-$$"
  assert_contains "$(inh iptables -S FORWARD)" "-P FORWARD DROP" "dockerd's FORWARD policy"
  assert_eq "$(inh cat /proc/sys/net/bridge/bridge-nf-call-iptables)" 1 "dockerd's bridge-nf-call-iptables"
  assert_exit 0 docker_cli run -d --name ccdk-web -p 127.0.0.1:18081:80 busybox:1.35 \
    sh -c 'mkdir -p /www && echo docker >/www/index.html && exec httpd -f -p 80 -h /www'
  defer "docker_cli rm -f ccdk-web"
  wait_for 10 "Docker's container" docker_page
  local before
  before=$(others_rules)
  load_images redis web
  cd "$TOP/samples/web-redis" || fail "cd"
  assert_exit 0 cc up -d --wait
  local said=$OUT
  assert_exit 0 inh curl -s -m 5 http://127.0.0.1:5000/
  assert_eq "$OUT" "Hello World! I have been seen 1 times."
  assert_contains "$said" "drops forwarded packets by policy"
  assert_contains "$said" "DOCKER-USER"
  assert_eq "$(docker_page)" "docker" "Docker's container beside ccompose"
  assert_contains "$(inh iptables -S DOCKER-USER)" "ccompose"
  assert_exit 0 inh "$CCOMPOSE" system check
  # What a Docker restart or a firewall reload does to the chain Docker
  # keeps for its users; the next command puts ours back.
  inh iptables -F DOCKER-USER || fail "iptables -F DOCKER-USER"
  inh iptables -A DOCKER-USER -j RETURN
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "missing:"
  assert_exit 0 cc ps
  assert_contains "$OUT" "restoring them"
  assert_contains "$(inh iptables -S DOCKER-USER)" "ccompose"
  assert_exit 0 inh curl -s -m 5 http://127.0.0.1:5000/
  assert_eq "$OUT" "Hello World! I have been seen 2 times."
  assert_exit 0 cc down -t 0
  assert_no_residue
  assert_eq "$(others_rules)" "$before" "Docker's rules after down"
  assert_eq "$(docker_page)" "docker" "Docker's container after down"
}

trap docker_down EXIT
docker_up
ENG_HOSTNS=$DOCKER_NS
run_tests
