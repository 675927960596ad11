# Shared by tests/system/test-runtime*.sh: a busybox rootfs with the
# static test payload, spec files, and the residue check every test ends
# with.  Source it instead of lib.sh.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PAYLOAD=$TOP/build/payload
rt() { "$CCOMPOSE" runtime "$@"; }

# The payload is built once per run, statically, by runtime/module.mk.
make -s -C "$TOP" build/payload >/dev/null 2>&1 || { echo "cannot build the test payload" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "busybox-static is missing (make deps)" >&2; exit 1; }

# setup NAME: a private state root and $ROOTFS, a busybox root with the
# payload at /payload and a few users.  Every container a test makes is
# deleted by `defer`, and checked for residue by `finish`.
setup() {
  require_root
  use_private_state "rt-$1"
  ROOTFS=$CCOMPOSE_DATA_DIR/rootfs
  SPECS=$CCOMPOSE_DATA_DIR/specs
  mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/home/app" "$SPECS"
  cp /bin/busybox "$ROOTFS/bin/busybox"
  chroot "$ROOTFS" /bin/busybox --install -s /bin
  cp "$PAYLOAD" "$ROOTFS/payload"
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' > "$ROOTFS/etc/passwd"
  printf 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n' > "$ROOTFS/etc/group"
  IDS=()
}

# spec ID JSON-FIELDS: write $SPECS/ID.json with the rootfs filled in
# (unless the fields name layers) and register ID for cleanup.
spec() {
  local id=$1 fields=$2
  case $fields in
    *'"layers"'*) echo "{$fields}" > "$SPECS/$id.json";;
    *) echo "{\"rootfs\": \"$ROOTFS\", $fields}" > "$SPECS/$id.json";;
  esac
  defer "'$CCOMPOSE' runtime delete '$id'"
  IDS+=("$id")
}

# run_ctr ID: run the container in the foreground, output in $OUT, exit code in $RC.
run_ctr() {
  OUT=$(rt run --spec "$SPECS/$1.json" "$1" 2>&1); RC=$?
}

state_field() {
  rt state "$1" | python3 -c 'import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d.get(k) if isinstance(d, dict) else None
print("" if d is None else (str(d).lower() if isinstance(d, bool) else d))' "$2"
}

# No process, cgroup or mount may outlive a deleted container.
# assert_no_residue ID CGROUP-NAME MONITOR-PID (the last two read from
# its state before it was deleted).
assert_no_residue() {
  local id=$1 cgname=${2:-$1} mpid=${3:-} c
  # Exited is enough: reaping the orphan is the host init's business.
  [ -n "$mpid" ] && [ -e "/proc/$mpid" ] && ! grep -q '^State:.*Z' "/proc/$mpid/status" 2>/dev/null \
    && grep -q "ccompose-monitor $id" "/proc/$mpid/cmdline" 2>/dev/null && fail "monitor of $id (pid $mpid) still running"
  for c in /sys/fs/cgroup/*/ccompose/"$cgname" /sys/fs/cgroup/ccompose/"$cgname"; do
    [ -e "$c" ] && fail "cgroup $c left behind"
  done
  grep -q "$CCOMPOSE_STATE_DIR\|$CCOMPOSE_DATA_DIR" /proc/self/mountinfo && fail "mount left behind: $(grep "$CCOMPOSE_STATE_DIR\|$CCOMPOSE_DATA_DIR" /proc/self/mountinfo)"
  [ -e "$CCOMPOSE_STATE_DIR/containers/$id" ] && fail "state of $id left behind"
  return 0
}

# finish: delete every container of the test, then check for residue.
finish() {
  local id cgname mpid
  for id in "${IDS[@]}"; do
    cgname=$(state_field "$id" cgroup 2>/dev/null)
    mpid=$(state_field "$id" monitor_pid 2>/dev/null)
    rt delete "$id" || fail "delete $id"
    rt delete "$id" || fail "delete $id twice"
    assert_no_residue "$id" "$cgname" "$mpid"
  done
}

# The container's cgroup directory for a controller, in either layout.
cgroup_v2() { [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; }
cg() {
  local name
  name=$(state_field "$2" cgroup)
  if cgroup_v2; then echo "/sys/fs/cgroup/ccompose/$name"; else echo "/sys/fs/cgroup/$1/ccompose/$name"; fi
}

status_is() { [ "$(state_field "$1" status)" = "$2" ]; }
