#!/usr/bin/env bash
# What a container can do to the host's ccompose (issue 12): writing to
# /etc/hosts must not fill the state root.  Everything runs in a
# throwaway namespace playing the host, with a private state root
# (engine-helpers.bash).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

one_service() {
  project "$1" <<YAML
name: $1
services:
  app:
    image: busybox:1.35
    command: ["sleep", "600"]
    init: true
YAML
  cd "$WORK/$1" || fail "cd $WORK/$1"
}

# The data root on a tmpfs of SIZE.  Deferred calls run last-in
# first-out: the project goes down while the data root is still mounted.
data_root_on_tmpfs() {
  mount -t tmpfs -o "size=$1" ccompose-test "$CCOMPOSE_DATA_DIR" || fail "mount a tmpfs on the data root"
  defer "umount -l '$CCOMPOSE_DATA_DIR'"
  defer "eng_down_all"
}

# state_root_on_tmpfs SIZE: the same for the state root.
state_root_on_tmpfs() {
  mount -t tmpfs -o "size=$1" ccompose-test "$CCOMPOSE_STATE_DIR" || fail "mount a tmpfs on the state root"
  defer "umount -l '$CCOMPOSE_STATE_DIR'"
  defer "eng_down_all"
}

# free_kib DIR: what the filesystem of DIR has left.
free_kib() { df -k --output=avail "$1" | tail -1 | tr -d ' '; }

# Issue 12 item 9: /etc/hosts, /etc/resolv.conf and /etc/hostname were
# writable bind mounts of files under the state root (/run: a small tmpfs
# the whole system shares), so one container could fill it and every
# other project's `up` failed.  They live on the data root now, beside
# the container's upper directory (as Docker keeps them under its data
# directory): 8 MiB written to /etc/hosts leave the 4 MiB state root as
# it was, and another project starts.
test_writing_etc_hosts_does_not_fill_the_state_root() {
  eng_setup etchosts
  state_root_on_tmpfs 4m
  data_root_on_tmpfs 256m
  load_images busybox
  local before
  one_service filler
  assert_exit 0 cc up -d
  before=$(free_kib "$CCOMPOSE_STATE_DIR")
  OUT=$(cc exec -T app sh -c 'dd if=/dev/zero of=/etc/hosts bs=1M count=8 2>&1; echo rc=$?; ls -l /etc/hosts')
  assert_contains "$OUT" "rc=0" "dd into /etc/hosts"
  assert_contains "$OUT" " 8388608 " "size of /etc/hosts"
  [ "$(free_kib "$CCOMPOSE_STATE_DIR")" -ge $((before - 64)) ] ||
    fail "the state root lost $((before - $(free_kib "$CCOMPOSE_STATE_DIR"))) KiB to /etc/hosts"
  for f in hosts resolv.conf hostname; do
    [ -f "$CCOMPOSE_DATA_DIR/containers/filler-app-1/$f" ] || fail "$f is not on the data root"
  done
  one_service other
  assert_exit 0 cc up -d
  assert_exit 0 cc exec -T app cat /etc/hostname
  assert_eq "$OUT" "other-app-1"
  assert_exit 0 cc down -t 0
  cd "$WORK/filler"
  assert_exit 0 cc down -t 0
  assert_no_residue
  assert_exit 0 inh "$CCOMPOSE" system check
}

run_tests
