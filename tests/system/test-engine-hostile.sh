#!/usr/bin/env bash
# What a container (or a stuck command) can do to the host's ccompose
# (issue 12): a 60,000-level directory tree must not stop `down`; writing
# to /etc/hosts must not fill the state root; a full state root must not
# stop `down`; a command waiting on a lock says who holds it.  Everything
# runs in a throwaway namespace playing the host, with a private state
# root (engine-helpers.bash).
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

container_pid() { "$CCOMPOSE" runtime state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'; }

# make_deep DIR N: N directories "d" inside each other below DIR.
make_deep() {
  python3 - "$1" "$2" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
for _ in range(int(sys.argv[2])):
    os.mkdir("d", dir_fd=fd)
    nfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
PY
}

# The data root on a tmpfs of SIZE: the deep tree costs this machine's
# disk about 1 ms per directory.  Deferred calls run last-in first-out:
# the project goes down while the data root is still mounted.
data_root_on_tmpfs() {
  mount -t tmpfs -o "size=$1" ccompose-test "$CCOMPOSE_DATA_DIR" || fail "mount a tmpfs on the data root"
  defer "umount -l '$CCOMPOSE_DATA_DIR'"
  defer "eng_down_all"
}

# Issue 12 item 5: the recursive removal held a descriptor per level, so
# `down` failed with EMFILE (one error line per level), left the tree,
# and a second `down` forgot it.  Now: at most one error line when the
# removal cannot finish (a mount deep inside), the next `down` retries,
# and under `ulimit -n 64` the whole tree goes.
test_down_removes_a_60000_level_tree() {
  eng_setup deep
  data_root_on_tmpfs 1g
  load_images busybox
  one_service deep
  assert_exit 0 cc up -d
  local pid upper=$CCOMPOSE_DATA_DIR/containers/deep-app-1/upper mnt
  pid=$(container_pid deep-app-1)
  [ -n "$pid" ] || fail "no container pid"
  # Through the container's own root: what a process inside would make.
  make_deep "/proc/$pid/root/tmp" 60000 || fail "make the deep tree"
  [ -d "$upper/tmp/d/d/d" ] || fail "the tree is not in the upper directory"
  # A mount 1,000 levels down: the removal must stop there, once.
  mnt=$upper/tmp$(printf '/d%.0s' $(seq 1000))
  mount -t tmpfs -o size=1m ccompose-test "$mnt" || fail "mount inside the tree"
  defer "umount -l '$mnt'"
  OUT=$( (ulimit -n 64 && cc down -t 0) 2>&1); local rc=$?
  [ $rc -eq 1 ] || fail "down over a mount point: exit $rc: ${OUT:0:2000}"
  assert_eq "$(grep -c 'is a mount point' <<<"$OUT")" 1 "error lines naming the mount"
  [ ${#OUT} -lt 2000 ] || fail "down printed ${#OUT} bytes: ${OUT:0:2000}"
  umount "$mnt" || fail "umount"
  local t0=$SECONDS
  OUT=$( (ulimit -n 64 && inh /usr/bin/time -f 'down: %e s, %M KiB max RSS' "$CCOMPOSE" down -t 0) 2>&1); rc=$?
  [ $rc -eq 0 ] || fail "second down: exit $rc: ${OUT:0:2000}"
  echo "    $(grep 'max RSS' <<<"$OUT")" >&2
  [ $((SECONDS - t0)) -lt 120 ] || fail "down took $((SECONDS - t0)) s"
  [ ! -e "$CCOMPOSE_DATA_DIR/containers/deep-app-1" ] || fail "the container's data directory is left"
  assert_no_residue
  assert_exit 0 inh "$CCOMPOSE" system check
}

# state_root_on_tmpfs SIZE: the same for the state root.
state_root_on_tmpfs() {
  mount -t tmpfs -o "size=$1" ccompose-test "$CCOMPOSE_STATE_DIR" || fail "mount a tmpfs on the state root"
  defer "umount -l '$CCOMPOSE_STATE_DIR'"
  defer "eng_down_all"
}

# free_kib DIR: what the filesystem of DIR has left.
free_kib() { df -k --output=avail "$1" | tail -1 | tr -d ' '; }

# fill DIR: a file that takes every free block of DIR's filesystem.
fill() {
  dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null
  [ "$(free_kib "$1")" -eq 0 ] || fail "$1 is not full: $(free_kib "$1") KiB free"
}

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
  # Docker's default hostname: 12 hex digits, as test-diff-docker.sh checks.
  assert_exit 0 cc exec -T app cat /etc/hostname
  [[ $OUT =~ ^[0-9a-f]{12}$ ]] || fail "hostname of other-app-1: [$OUT]"
  assert_exit 0 cc down -t 0
  cd "$WORK/filler"
  assert_exit 0 cc down -t 0
  assert_no_residue
  assert_exit 0 inh "$CCOMPOSE" system check
}

# two_levels NAME: b depends on a, each with 64 KiB of labels, which the
# project's state keeps and the runtime's does not: removing a level
# frees much less of the state root than saving the project's state
# needs.
two_levels() {
  local big
  big=$(head -c 65536 /dev/zero | tr '\0' x)
  project "$1" <<YAML
name: $1
services:
  a:
    image: busybox:1.35
    command: ["sleep", "600"]
    labels: {big: "$big"}
  b:
    image: busybox:1.35
    command: ["sleep", "600"]
    depends_on: [a]
    labels: {big: "$big"}
YAML
  cd "$WORK/$1" || fail "cd $WORK/$1"
}

# A state root filled by anyone (another program on /run): `down` goes on
# through saves that find no space (each of its steps can be done again)
# and removes everything; `up` of another project fails before creating
# anything, naming the full filesystem, and leaves nothing.
test_full_state_root_does_not_stop_down() {
  eng_setup fullroot
  state_root_on_tmpfs 2m
  load_images busybox
  two_levels first
  assert_exit 0 cc up -d
  fill "$CCOMPOSE_STATE_DIR"
  assert_exit 0 cc ps
  assert_contains "$OUT" "first-b-1"
  one_service second
  assert_exit 1 cc up -d
  assert_contains "$OUT" "No space left on device"
  assert_contains "$OUT" "the filesystem mounted on \`$CCOMPOSE_STATE_DIR\` is full"
  assert_eq "$(ls "$CCOMPOSE_STATE_DIR/projects")" "first" "projects after the refused up"
  cd "$WORK/first"
  assert_exit 0 cc down -t 0
  assert_contains "$OUT" "is full"
  rm -f "$CCOMPOSE_STATE_DIR/filler"
  assert_no_residue
  assert_exit 0 inh "$CCOMPOSE" system check
  cd "$WORK/second"
  assert_exit 0 cc up -d
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# Issue 12 item 10: every `up` takes the image store's lock, and while a
# command held it (a hostile image's load, a GC) every `up` of any
# project hung without a word.  Now a command that has waited a second
# says once which lock it waits for and who holds it, then goes on when
# the lock is free.
test_a_command_waiting_on_a_lock_names_the_holder() {
  eng_setup lockwait
  load_images busybox
  one_service waiter
  local lock=$CCOMPOSE_DATA_DIR/images/lock log=$WORK/up.log holder up
  # One process holding it: killing it frees the lock.
  python3 -c 'import fcntl, sys, time; f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(600)' \
    "$lock" </dev/null >/dev/null 2>&1 &
  holder=$!
  defer "kill $holder"
  wait_for 5 "the store lock to be held" sh -c "grep -q 'FLOCK .* WRITE $holder ' /proc/locks"
  cc up -d >"$log" 2>&1 &
  up=$!
  defer "kill $up"
  wait_for 10 "the waiting message" grep -q "waiting for the lock" "$log"
  assert_contains "$(cat "$log")" "waiting for the lock \`$lock\`, held by pid $holder ("
  assert_contains "$(cat "$log")" "python3 -c import fcntl"
  kill "$holder"
  wait "$up" || fail "up after the lock was released: $(cat "$log")"
  assert_eq "$(grep -c 'waiting for the lock' "$log")" 1 "waiting messages"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

run_tests
