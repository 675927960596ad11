#!/usr/bin/env bash
# The device and group keys of issue 15 seen from inside running
# containers, one `up` for all: group_add (supplementary groups by name
# through the container's /etc/group, or by number); devices (a node made
# with the host node's type and numbers, allowed with its permissions
# alone); device_cgroup_rules (a node made with mknod opens only as a
# rule allows). The attacks: a container without `devices` cannot open a
# device it mknods (the default deny list holds); a host path that is no
# device node under /dev, or a symlink to something else, is refused; a
# malformed rule is refused at its file:line:col.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# A block device of the host as "MAJOR MINOR".
host_block_numbers() {
  local d
  for d in /sys/block/*; do
    [ -r "$d/dev" ] && { tr ':' ' ' <"$d/dev" && return 0; }
  done
  return 1
}

test_device_keys_seen_inside_a_container() {
  [ -e /sys/fs/cgroup/cgroup.controllers ] && skip "cgroup v2 host: devices need a device eBPF program ccompose lacks"
  [ -c /dev/loop-control ] && [ -c /dev/fuse ] || skip "no /dev/loop-control or /dev/fuse on this host"
  local blk
  blk=$(host_block_numbers) || blk="8 0"
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
  d:
    image: busybox:1.35
    command: ["sleep", "60"]
    init: true
    devices:
      - /dev/loop-control:/dev/myloop:r
      - source: /dev/null
        target: /dev/sub/mynull
    device_cgroup_rules: ["c 10:229 r"]
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
  # devices: the host node's numbers, in a directory below /dev too; the
  # permissions hold (read, not write), the short form's default is rwm.
  assert_exit 0 cc exec -T d stat -c '%n %F %t:%T %a' /dev/myloop /dev/sub/mynull
  assert_eq "$OUT" "/dev/myloop character special file a:ed 600
/dev/sub/mynull character special file 1:3 666"
  assert_exit 0 cc exec -T d sh -c 'true </dev/myloop && echo opened; true >/dev/myloop || echo nowrite'
  assert_contains "$OUT" "opened"
  assert_contains "$OUT" "Operation not permitted"
  assert_contains "$OUT" "nowrite"
  assert_exit 0 cc exec -T d sh -c 'echo ok >/dev/sub/mynull && echo wrote'
  assert_contains "$OUT" "wrote"
  # device_cgroup_rules: the node the rule names opens as it says.
  assert_exit 0 cc exec -T d sh -c 'mknod /tmp/f c 10 229 && true </tmp/f && echo opened-f; true >/tmp/f || echo nowrite-f'
  assert_contains "$OUT" "opened-f"
  assert_contains "$OUT" "nowrite-f"
  # Without `devices`, a node made with mknod stays closed (root, with
  # CAP_MKNOD as in Docker): the same device, and a block device of the host.
  assert_exit 0 cc exec -T -u 0 g sh -c "mknod /tmp/l c 10 237 && mknod /tmp/f c 10 229 && mknod /tmp/b b $blk &&
    { true </tmp/l || echo closed-l; } && { true </tmp/f || echo closed-f; } && { dd if=/tmp/b of=/dev/null bs=512 count=1 || echo closed-b; }"
  assert_contains "$OUT" "closed-l"
  assert_contains "$OUT" "closed-f"
  assert_contains "$OUT" "closed-b"
  assert_exit 1 cc --profile bad up -d bad
  assert_contains "$OUT" "group_add: unable to find group \`nosuchgroup\`"
  # devices refused: a host file, a device node outside /dev, a symlink
  # under /dev to something that is no device.
  mknod "$WORK/ccnull" c 1 3 || fail mknod
  ln -s /dev/shm "/dev/ccdevlink-$$" || fail "ln"
  defer "rm -f /dev/ccdevlink-$$"
  local bad want
  for bad in "/etc/passwd|which is not under /dev" "$WORK/ccnull|which is not under /dev" \
    "/dev/ccdevlink-$$|is not a character or block device node"; do
    want=${bad#*|}
    bad=${bad%%|*}
    sed -i "/group_add: \[nosuchgroup\]/c\\    devices: [\"$bad:/dev/x\"]" compose.yaml
    sed -i "s|devices: \[\"[^\"]*:/dev/x\"\]|devices: [\"$bad:/dev/x\"]|" compose.yaml
    assert_exit 1 cc --profile bad up -d bad
    assert_contains "$OUT" "$want"
  done
  assert_exit 0 cc --profile bad down -t 0
  cat >bad-rule.yaml <<'YAML'
services:
  r:
    image: busybox:1.35
    device_cgroup_rules: ["c 1:3 rwx"]
YAML
  assert_exit 1 cc -f bad-rule.yaml config
  assert_contains "$OUT" "bad-rule.yaml:4:26: device_cgroup_rules: \`c 1:3 rwx\` is not"
  assert_no_residue
}

run_tests
