#!/usr/bin/env bash
# External networks (issue 6): project exta defines `shared`, project extb
# declares it `external: true, name: exta_shared`.  extb's containers join
# exta's network and resolve exta's by name and back; extb never creates
# or removes it; a missing one fails before anything is created; `down`
# of either side in either order leaves nothing once both are down, also
# after `up` of extb is killed at any step.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# Two projects: exta (web on `shared` and its default network) and extb
# (app on exta's network and on its own default one).
two_projects() {
  project exta <<'YAML'
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    networks: [shared, default]
networks:
  shared: {}
YAML
  project extb <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    networks: [outside, default]
networks:
  outside:
    external: true
    name: exta_shared
YAML
  # Before eng_down_all (deferred earlier, so run later): extb first, so
  # exta's network has no foreign endpoint left when exta goes.
  defer "cc -p exta down -t 0 >/dev/null 2>&1"
  defer "cc -p extb down -t 0 >/dev/null 2>&1"
}

a() { (cd "$WORK/exta" && cc "$@"); }
b() { (cd "$WORK/extb" && cc "$@"); }

# The subnet of exta's `shared` network, from the network module's state.
shared_subnet() {
  "$CCOMPOSE" netdev ls | python3 -c '
import json, sys
for n in json.load(sys.stdin).get("networks", []):
    if n["project"] == "exta" and n["name"] == "shared":
        print(n["subnet"])'
}

shared_members() {
  "$CCOMPOSE" netdev ls | python3 -c '
import json, sys
for n in json.load(sys.stdin).get("networks", []):
    if n["project"] == "exta" and n["name"] == "shared":
        print(" ".join(sorted(m["container"] for m in n["members"])))'
}

test_containers_on_a_shared_network_resolve_each_other_by_name() {
  eng_setup ext-share-$$
  load_images busybox
  two_projects
  assert_exit 0 a up -d
  assert_exit 0 b up -d
  assert_not_contains "$OUT" "exta_shared" "extb must not create exta's network"
  local subnet ip
  subnet=$(shared_subnet)
  [ -n "$subnet" ] || fail "exta_shared is not recorded"
  assert_eq "$(shared_members)" "exta-web-1 extb-app-1" "members of exta_shared"
  ip=$(b exec -T app sh -c 'grep "[[:space:]]$(hostname)\$" /etc/hosts' | awk '{print $1; exit}')
  python3 -c 'import ipaddress,sys; sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' \
    "$ip" "$subnet" || fail "extb's app has $ip, not an address of exta_shared ($subnet)"
  for name in web exta-web-1; do assert_exit 0 b exec -T app ping -c1 -W2 "$name"; done
  for name in app extb-app-1; do assert_exit 0 a exec -T web ping -c1 -W2 "$name"; done

  # extb goes; exta, its network and its container stay untouched.
  assert_exit 0 b down -t 0
  [ ! -e "$CCOMPOSE_STATE_DIR/projects/extb" ] || fail "extb's state left after its down"
  assert_eq "$(shared_subnet)" "$subnet" "exta_shared must survive extb's down"
  assert_exit 0 a exec -T web cat /etc/hosts
  assert_not_contains "$OUT" "extb-app-1" "extb's container still in exta's hosts file"
  assert_exit 0 a exec -T web ping -c1 -W2 exta-web-1
  assert_exit 1 a exec -T web ping -c1 -W1 extb-app-1
  # A one-off container joins and leaves it too.
  assert_exit 0 b run --rm -T app ping -c1 -W2 exta-web-1
  assert_eq "$(shared_members)" "exta-web-1" "members of exta_shared after run --rm"
  # extb can come back onto it.
  assert_exit 0 b up -d
  assert_exit 0 a exec -T web ping -c1 -W2 app
  assert_exit 0 b down -t 0
  assert_exit 0 a down -t 0
  assert_no_residue
  assert_exit 0 inh "$CCOMPOSE" system check
}

test_missing_external_network_fails_before_anything_is_created() {
  eng_setup ext-missing-$$
  load_images busybox
  two_projects
  assert_exit 1 b up -d
  assert_contains "$OUT" "network exta_shared declared as external, but could not be found"
  assert_contains "$OUT" "bring up the project that defines it"
  assert_no_residue
  # Named by its key when `name:` is absent, as Docker does.
  sed -i '/name: exta_shared/d' "$WORK/extb/compose.yaml"
  assert_exit 1 b up -d
  assert_contains "$OUT" "network outside declared as external, but could not be found"
  assert_no_residue
}

test_external_network_with_its_own_configuration_is_refused() {
  eng_setup ext-keys-$$
  load_images busybox
  two_projects
  assert_exit 0 a up -d
  sed -i 's|external: true|external: true\n    driver: bridge\n    ipam: {config: [{subnet: 10.89.200.0/24}]}|' \
    "$WORK/extb/compose.yaml"
  assert_exit 1 b up -d
  assert_contains "$OUT" "compose.yaml:10:5: conflicting parameters \"external\" and \"driver\" specified for network \`outside\`"
  [ ! -e "$CCOMPOSE_STATE_DIR/projects/extb" ] || fail "extb's state left after a refused up"
  assert_exit 0 a down -t 0
  assert_no_residue
}

# A change of extb's networks recreates its container: it leaves exta's
# network and joins it again once, with its new alias, and scaled
# replicas are all listed.
test_recreate_and_scale_on_a_shared_network() {
  eng_setup ext-recreate-$$
  load_images busybox
  two_projects
  assert_exit 0 a up -d
  assert_exit 0 b up -d
  sed -i 's|networks: \[outside, default\]|networks: {outside: {aliases: [buddy]}, default: {}}|' "$WORK/extb/compose.yaml"
  assert_exit 0 b up -d --scale app=2
  assert_eq "$(shared_members)" "exta-web-1 extb-app-1 extb-app-2" "members of exta_shared after recreate and scale"
  # Docker's names (container, service, aliases): not <service>-<n>,
  # which only ccompose's old hosts files had.
  for name in buddy extb-app-1 extb-app-2 app; do assert_exit 0 a exec -T web ping -c1 -W2 "$name"; done
  assert_exit 1 a exec -T web ping -c1 -W1 app-2
  assert_exit 0 b exec -T --index 2 app ping -c1 -W2 web
  assert_exit 0 b down -t 0
  assert_eq "$(shared_members)" "exta-web-1" "members of exta_shared after extb's down"
  assert_exit 0 a down -t 0
  assert_no_residue
}

# One full name, one network: a third project may not create another
# network under exta's name (Docker refuses it too: wrong labels).
test_a_second_network_of_the_same_name_is_refused() {
  eng_setup ext-clash-$$
  load_images busybox
  two_projects
  project extc <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
networks:
  default:
    name: exta_shared
YAML
  defer "cc -p extc down -t 0 >/dev/null 2>&1"
  assert_exit 0 a up -d
  assert_exit 1 sh -c "cd '$WORK/extc' && nsenter --net=/run/netns/$HOSTNS '$CCOMPOSE' up -d"
  assert_contains "$OUT" "network name \`exta_shared\` is already used by project \`exta\` (network \`shared\`)"
  assert_exit 0 sh -c "cd '$WORK/extc' && nsenter --net=/run/netns/$HOSTNS '$CCOMPOSE' down -t 0"
  assert_exit 0 a down -t 0
  assert_no_residue
}

test_down_of_the_owner_while_another_project_is_attached() {
  eng_setup ext-owner-$$
  load_images busybox
  two_projects
  assert_exit 0 a up -d
  assert_exit 0 b up -d
  # Docker's answer: the network has active endpoints.  exta's container
  # goes anyway, and so does everything else of exta.
  assert_exit 1 a down -t 0
  assert_contains "$OUT" "network exta_shared has active endpoints"
  assert_contains "$OUT" "extb-app-1"
  assert_exit 1 "$CCOMPOSE" runtime state exta-web-1
  [ -n "$(shared_subnet)" ] || fail "exta_shared removed under extb"
  assert_exit 0 b exec -T app cat /etc/hosts
  assert_not_contains "$OUT" "exta-web-1" "exta's removed container still in extb's hosts file"
  assert_exit 0 b exec -T app ping -c1 -W2 extb-app-1
  assert_exit 0 inh "$CCOMPOSE" system check
  # extb leaves; the next down of exta removes the network.
  assert_exit 0 b down -t 0
  assert_exit 0 a down -t 0
  [ -z "$(shared_subnet)" ] || fail "exta_shared left after both downs"
  assert_no_residue
  assert_exit 0 inh "$CCOMPOSE" system check
}

steps_of() {
  CCOMPOSE_CRASH_TRACE=1 "$@" 2>&1 | sed -n 's/^crash-point \([0-9]*\) .*/\1/p' | sort -n | tail -1
}

test_killed_up_of_the_joining_project_leaves_nothing_after_down() {
  eng_setup ext-crash-$$
  load_images busybox
  two_projects
  unset CCOMPOSE_CRASH_AT CCOMPOSE_CRASH_TRACE
  assert_exit 0 a up -d
  local steps n
  steps=$(cd "$WORK/extb" && steps_of cc up -d)
  [ -n "$steps" ] && [ "$steps" -gt 0 ] || fail "up of extb passes no crash point"
  echo "    up of extb: $steps steps" >&2
  assert_exit 0 b down -t 0
  for ((n = 1; n <= steps; n++)); do
    (cd "$WORK/extb" && CCOMPOSE_CRASH_AT=$n cc up -d) >/dev/null 2>&1 && fail "up survived a crash at step $n"
    assert_exit 0 b down -t 0
    "$CCOMPOSE" netdev ls | grep -q '"extb' && fail "extb left in the network state after a crash at step $n"
    assert_exit 0 inh "$CCOMPOSE" system check
  done
  assert_exit 0 a exec -T web ping -c1 -W2 exta-web-1
  assert_exit 0 a down -t 0
  assert_no_residue
  assert_exit 0 inh "$CCOMPOSE" system check
}

# A crash in either project's `down` while both are up: the next downs
# (the joining project's first) leave nothing, and the owner's network
# stays whole until its own down.
test_killed_down_of_either_project_leaves_nothing_after_down() {
  eng_setup ext-crash-down-$$
  load_images busybox
  two_projects
  unset CCOMPOSE_CRASH_AT CCOMPOSE_CRASH_TRACE
  local side steps n
  for side in b a; do
    assert_exit 0 a up -d
    assert_exit 0 b up -d
    steps=$(cd "$WORK/ext$side" && steps_of cc down -t 0)
    [ -n "$steps" ] && [ "$steps" -gt 0 ] || fail "down of ext$side passes no crash point"
    echo "    down of ext$side: $steps steps" >&2
    for ((n = 1; n <= steps; n++)); do
      assert_exit 0 a up -d
      assert_exit 0 b up -d
      (cd "$WORK/ext$side" && CCOMPOSE_CRASH_AT=$n cc down -t 0) >/dev/null 2>&1 &&
        fail "down of ext$side survived a crash at step $n"
      if [ $side = b ]; then
        [ -n "$(shared_subnet)" ] || fail "exta_shared lost in a crash of extb's down at step $n"
        assert_exit 0 a exec -T web ping -c1 -W2 exta-web-1
      fi
      assert_exit 0 b down -t 0
      assert_exit 0 a down -t 0
      assert_no_residue
      assert_exit 0 inh "$CCOMPOSE" system check
    done
  done
}

# extb's state is lost while its container sits on exta's network: the
# residue check names the endpoint and --fix takes it off, exta untouched.
test_residue_check_finds_endpoints_of_a_lost_project() {
  eng_setup ext-lost-$$
  load_images busybox
  two_projects
  assert_exit 0 a up -d
  assert_exit 0 b up -d
  rm -rf "$CCOMPOSE_STATE_DIR/projects/extb"
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "endpoint of extb-app-1 on network exta_shared"
  assert_exit 0 inh "$CCOMPOSE" system check --fix
  assert_exit 0 inh "$CCOMPOSE" system check
  assert_exit 0 a exec -T web cat /etc/hosts
  assert_not_contains "$OUT" "extb-app-1" "the lost container is still in exta's hosts file"
  assert_exit 0 a exec -T web ping -c1 -W2 exta-web-1
  assert_exit 0 a down -t 0
  assert_no_residue
}

run_tests "$@"
