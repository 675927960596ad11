#!/usr/bin/env bash
# `ccompose system check [--fix] [--all]`: finds what carries ccompose's
# names but belongs to no live project of the state root, removes it with
# --fix, and leaves other state roots alone.  Network resources are made
# inside a throwaway namespace that plays the host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/network-helpers.bash"

check() { "$CCOMPOSE" system check "$@"; }

res_setup() {
  require_root
  use_private_state "res-$1-$$"
  unset CCOMPOSE_CRASH_AT CCOMPOSE_CRASH_TRACE
}

# The first cgroup hierarchy of this host (v1 pids, hybrid or unified).
cgroup_base() {
  local h
  for h in /sys/fs/cgroup/pids /sys/fs/cgroup/unified /sys/fs/cgroup; do
    if mountpoint -q "$h"; then echo "$h"; return; fi
  done
}

# Cgroup directories of container ID in any hierarchy.
cgroups_of() { ls -d /sys/fs/cgroup/*/ccompose/"$1"* /sys/fs/cgroup/ccompose/"$1"* 2>/dev/null; }

json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

test_usage() {
  assert_exit 2 "$CCOMPOSE" system
  assert_exit 2 "$CCOMPOSE" system bogus
  assert_exit 2 check --format xml
  assert_exit 2 check extra-argument
  assert_exit 0 check --help
  assert_contains "$OUT" "Usage: ccompose system"
}

test_clean_root_reports_nothing() {
  res_setup clean
  assert_exit 0 check
  assert_contains "$OUT" "no residue in $CCOMPOSE_STATE_DIR"
  assert_exit 0 check --format json
  assert_eq "$(json_field 'd["clean"], len(d["roots"][0]["residue"])' <<<"$OUT")" "(True, 0)"
}

test_state_leftovers_found_then_fixed() {
  res_setup files
  mkdir -p "$CCOMPOSE_STATE_DIR/projects/ghost" "$CCOMPOSE_STATE_DIR/containers/ghost-web-1" \
    "$CCOMPOSE_DATA_DIR/containers/ghost-db-1"
  assert_exit 1 check
  assert_contains "$OUT" "project-state"
  assert_contains "$OUT" "container     ghost-web-1"
  assert_contains "$OUT" "logs          $CCOMPOSE_DATA_DIR/containers/ghost-db-1"
  assert_exit 1 check --format json
  assert_eq "$(json_field 'sorted(f["kind"] for f in d["roots"][0]["residue"])' <<<"$OUT")" \
    "['container', 'logs', 'project-state']"
  assert_exit 0 check --fix
  assert_contains "$OUT" "removing"
  for p in projects/ghost containers/ghost-web-1; do
    [ -e "$CCOMPOSE_STATE_DIR/$p" ] && fail "$p survived --fix"
  done
  [ -e "$CCOMPOSE_DATA_DIR/containers/ghost-db-1" ] && fail "log dir survived --fix"
  assert_exit 0 check
}

test_live_project_claims_its_containers() {
  res_setup claimed
  mkdir -p "$CCOMPOSE_STATE_DIR/projects/app" "$CCOMPOSE_STATE_DIR/containers/app-web-1"
  echo '{"project": "app", "containers": {"app-web-1": {"service": "web", "number": 1}}}' \
    > "$CCOMPOSE_STATE_DIR/projects/app/state.json"
  assert_exit 0 check
  rm "$CCOMPOSE_STATE_DIR/projects/app/state.json"
  assert_exit 1 check
  assert_contains "$OUT" "app-web-1"
  assert_exit 0 check --fix
}

test_stray_mount_under_state_root() {
  res_setup mount
  mkdir -p "$CCOMPOSE_STATE_DIR/stray"
  mount -t tmpfs -o size=1m ccompose-test "$CCOMPOSE_STATE_DIR/stray" || fail "mount tmpfs"
  defer "umount '$CCOMPOSE_STATE_DIR/stray'"
  assert_exit 1 check
  assert_contains "$OUT" "mount         $CCOMPOSE_STATE_DIR/stray"
  assert_exit 0 check --fix
  mountpoint -q "$CCOMPOSE_STATE_DIR/stray" && fail "still mounted after --fix"
  assert_exit 0 check
}

test_mount_of_a_claimed_container_is_not_residue() {
  res_setup owned
  local c=$CCOMPOSE_STATE_DIR/containers/app-web-1
  mkdir -p "$CCOMPOSE_STATE_DIR/projects/app" "$c/m"
  echo '{"project": "app", "containers": {"app-web-1": {}}}' > "$CCOMPOSE_STATE_DIR/projects/app/state.json"
  mount -t tmpfs -o size=1m ccompose-test "$c/m" || fail "mount tmpfs"
  defer "umount '$c/m'"
  assert_exit 0 check
  # Unclaimed: the mount goes first, then the container's directory.
  rm -rf "$CCOMPOSE_STATE_DIR/projects/app"
  assert_exit 1 check
  assert_contains "$OUT" "mount         $c/m"
  assert_contains "$OUT" "container     app-web-1"
  assert_exit 0 check --fix
  [ -e "$c" ] && fail "container directory survived --fix"
  return 0
}

# The runtime's cgroup name for ID in this root (lib/paths.c): the id,
# and outside the default root "-" and the FNV-1a hash of the root.
our_cgroup_name() {
  python3 -c 'import sys
h = 2166136261
for c in sys.argv[2].encode(): h = ((h ^ c) * 16777619) & 0xffffffff
print(sys.argv[1] if sys.argv[2] == "/run/ccompose" else "%s-%08x" % (sys.argv[1], h))' "$1" "$CCOMPOSE_STATE_DIR"
}

test_orphan_cgroup_removed_but_not_another_roots() {
  res_setup cgroup
  local base mine recorded theirs=res-theirs-$$-0badc0de other=/run/ccompose-test/res-other-$$
  base=$(cgroup_base)
  [ -n "$base" ] || skip "no cgroup hierarchy mounted"
  mine=$(our_cgroup_name res-orphan-$$)
  recorded=$(CCOMPOSE_STATE_DIR=$other our_cgroup_name res-rec-$$)
  # Ours without a container; another root's (unknown hash); one another root records.
  mkdir -p "$base/ccompose/$mine" "$base/ccompose/$theirs" "$base/ccompose/$recorded" "$other/containers/res-rec-$$"
  defer "rmdir '$base/ccompose/$mine' '$base/ccompose/$theirs' '$base/ccompose/$recorded'; rm -rf '$other'"
  assert_exit 1 check
  assert_contains "$OUT" "$base/ccompose/$mine (no such container in this root)"
  assert_not_contains "$OUT" "$theirs"
  assert_not_contains "$OUT" "$recorded"
  # --all judges what no root records, once, and still not what one does.
  assert_exit 1 check --all
  assert_contains "$OUT" "$base/ccompose/$theirs (no container record in any state root)"
  assert_eq "$(grep -c "$theirs" <<<"$OUT")" 1 "orphan reported once"
  assert_not_contains "$OUT" "$recorded"
  assert_exit 0 check --fix
  [ -d "$base/ccompose/$mine" ] && fail "orphan cgroup survived --fix"
  [ -d "$base/ccompose/$theirs" ] || fail "an unknown root's cgroup was removed without --all"
  [ -d "$base/ccompose/$recorded" ] || fail "another root's cgroup was removed"
  return 0
}

test_other_roots_judged_only_with_all() {
  res_setup mine
  local other=/run/ccompose-test/res-theirs-$$
  mkdir -p "$other/containers" "$other/stray"
  mount -t tmpfs -o size=1m ccompose-test "$other/stray" || fail "mount tmpfs"
  defer "umount '$other/stray'; rm -rf '$other' '/var/lib/ccompose-test/res-theirs-$$'"
  assert_exit 0 check
  assert_not_contains "$OUT" "$other"
  assert_exit 1 check --all
  assert_contains "$OUT" "== state root $other"
  assert_contains "$OUT" "mount         $other/stray"
  mountpoint -q "$other/stray" || fail "a check without --fix unmounted"
  CCOMPOSE_STATE_DIR=$other CCOMPOSE_DATA_DIR=/var/lib/ccompose-test/res-theirs-$$ check --fix >/dev/null
  mountpoint -q "$other/stray" && fail "--fix in that root left the mount"
  return 0
}

test_unclaimed_container_and_monitor_removed() {
  res_setup ctr
  local root=$CCOMPOSE_DATA_DIR/rootfs id=res-ctr-$$
  [ -x /bin/busybox ] || skip "busybox-static missing"
  mkdir -p "$root/bin"
  cp /bin/busybox "$root/bin/busybox"
  chroot "$root" /bin/busybox --install -s /bin
  echo "{\"rootfs\": \"$root\", \"args\": [\"/bin/sleep\", \"600\"]}" > "$CCOMPOSE_DATA_DIR/spec.json"
  defer "'$CCOMPOSE' runtime delete '$id'"
  assert_exit 0 "$CCOMPOSE" runtime run -d --spec "$CCOMPOSE_DATA_DIR/spec.json" "$id"
  pgrep -f "ccompose-monitor $id\$" >/dev/null || fail "no monitor for $id"
  [ -n "$(cgroups_of "$id")" ] || fail "no cgroup for $id"
  assert_exit 1 check
  assert_contains "$OUT" "container     $id (running, no live project claims it)"
  assert_contains "$OUT" "monitor       pid "
  assert_exit 0 check --fix
  pgrep -f "ccompose-monitor $id\$" >/dev/null && fail "monitor of $id survived --fix"
  # Outside the default root the runtime suffixes cgroup names with the root's hash.
  [ -z "$(cgroups_of "$id")" ] || fail "cgroup of $id survived --fix: $(cgroups_of "$id")"
  [ -e "$CCOMPOSE_STATE_DIR/containers/$id" ] && fail "state of $id survived --fix"
  assert_exit 0 check
}

test_unclaimed_network_found_then_fixed() {
  net_setup "res$$"
  local bridge
  assert_exit 0 ccn create default
  bridge=$(inh ip -o link show type bridge | awk -F': ' '{print $2}' | grep '^cc' | head -1)
  [ -n "$bridge" ] || fail "no cc bridge was created"
  # Claimed by a live project: nothing to report.
  mkdir -p "$CCOMPOSE_STATE_DIR/projects/$PROJECT"
  echo "{\"project\": \"$PROJECT\", \"containers\": {}}" > "$CCOMPOSE_STATE_DIR/projects/$PROJECT/state.json"
  assert_exit 0 inh "$CCOMPOSE" system check
  # The project's state is gone: its network is residue.
  rm -rf "$CCOMPOSE_STATE_DIR/projects/$PROJECT"
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "network       network ${PROJECT}_default"
  assert_exit 0 inh "$CCOMPOSE" system check --fix
  inh ip link show "$bridge" >/dev/null 2>&1 && fail "bridge $bridge survived --fix"
  inh "$FW_SAVE" | grep -q CCOMPOSE && fail "firewall chains survived --fix"
  assert_exit 0 inh "$CCOMPOSE" system check
}

# What an image command killed halfway leaves under the store's tmp/ is
# residue, unless a command holding the store's lock is still writing it.
test_image_store_temporary_files() {
  res_setup imgtmp
  local store=$CCOMPOSE_DATA_DIR/images
  mkdir -p "$store/tmp/unpack-x" && : >"$store/lock" && echo partial >"$store/tmp/blob-abc123"
  assert_exit 1 check
  assert_contains "$OUT" "image         $store/tmp/blob-abc123 (temporary file of an interrupted image command)"
  assert_contains "$OUT" "image         $store/tmp/unpack-x"
  # A command at work: flock(1) holds the lock the way the store does.
  assert_exit 0 flock -s "$store/lock" "$CCOMPOSE" system check
  assert_exit 0 check --fix
  assert_eq "$(ls -A "$store/tmp" | wc -l)" 0 "temporary files after --fix"
  assert_exit 0 check
}

run_tests
