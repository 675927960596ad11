#!/usr/bin/env bash
# The device and group keys of issue 15 seen from inside running
# containers, one `up` for all: group_add (supplementary groups by name
# through the container's /etc/group, or by number).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

test_device_keys_seen_inside_a_container() {
  eng_setup devk
  load_images busybox
  project devk <<'YAML'
services:
  g:
    image: busybox:1.35
    command: ["sleep", "60"]
    init: true
    user: "1000:1000"
    group_add: [redis, "4242"]
  bad:
    image: busybox:1.35
    command: ["true"]
    group_add: [nosuchgroup]
    profiles: [bad]
YAML
  cd "$WORK/devk" || fail cd
  assert_exit 0 cc up -d
  # group_add: added to the user's groups, in exec as in the container.
  assert_exit 0 cc exec -T g id -G
  assert_eq "$OUT" "1000 101 4242"
  assert_exit 0 cc exec -T g cat /proc/1/status
  assert_contains "$OUT" "Groups:	101 1000 4242"
  assert_exit 1 cc --profile bad up -d bad
  assert_contains "$OUT" "group_add: unable to find group \`nosuchgroup\`"
  assert_exit 0 cc --profile bad down -t 0
  assert_no_residue
}

run_tests
