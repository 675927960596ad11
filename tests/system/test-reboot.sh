#!/usr/bin/env bash
# Reboot survival (issue 15): `up -d` records the project under the data
# root; a simulated reboot (every process of the root killed by pid, every
# mount under it gone, the state root emptied, a fresh host namespace) is
# followed by `system boot`, which brings back `always` and
# `unless-stopped` services, never a `restart: no` one, and is idempotent;
# a `down` after a reboot leaves nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

started_at() { "$CCOMPOSE" runtime state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["started_at"])'; }
# The pids of the containers' PID 1 and of their monitors, from the
# runtime's records (never by name).
rt_pids() {
  local n
  for n in "$@"; do "$CCOMPOSE" runtime state "$n" 2>/dev/null; done | python3 -c '
import json, sys
text, dec, i = sys.stdin.read(), json.JSONDecoder(), 0
while i < len(text.rstrip()):
    st, i = dec.raw_decode(text, i)
    while i < len(text) and text[i].isspace(): i += 1
    print(" ".join(str(st[k]) for k in ("pid", "monitor_pid") if st.get(k, 0) > 0))'
}
status_of() { "$CCOMPOSE" runtime state "$1" 2>/dev/null | python3 2>/dev/null -c 'import json,sys; print(json.load(sys.stdin)["status"])' || echo missing; }
is_running() { [ "$(status_of "$1")" = running ]; }
boot_services() {
  python3 -c 'import json,sys; print(" ".join(sorted(json.load(open(sys.argv[1]))["services"])))' \
    "$CCOMPOSE_DATA_DIR/boot/reboot/record.json"
}
# Gone, or a zombie its new parent has yet to reap.
no_pid() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# What a reboot takes away: processes, mounts, cgroups, the state root
# (a tmpfs), and every link and rule of the host namespace.
simulate_reboot() {
  local p pids
  pids=$(rt_pids reboot-always-1 reboot-unless-1 reboot-no-1)
  [ -n "$pids" ] || fail "no pid on record"
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
  for p in $pids; do wait_for 5 "pid $p gone" no_pid "$p"; done
  grep -oE " ($CCOMPOSE_STATE_DIR|$CCOMPOSE_DATA_DIR)/[^ ]*" /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  rmdir /sys/fs/cgroup/*/ccompose/reboot-*-1-* 2>/dev/null
  rm -rf "$CCOMPOSE_STATE_DIR" && mkdir -p "$CCOMPOSE_STATE_DIR"
  ip netns del "$HOSTNS" && ip netns add "$HOSTNS" && ip -n "$HOSTNS" link set lo up
}

test_reboot_brings_back_always_and_unless_stopped() {
  eng_setup reboot
  load_images busybox
  project reboot <<'YAML'
services:
  always:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    restart: always
  unless:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    restart: unless-stopped
    depends_on: [always]
    ports: ["127.0.0.1:18080:80"]
  no:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    restart: "no"
YAML
  cd "$WORK/reboot"
  assert_exit 0 cc up -d
  assert_eq "$(boot_services)" "always unless" "services on record after up"
  assert_exit 0 cc exec always touch /written-before

  simulate_reboot
  [ -z "$(inh "$FW_SAVE" | grep -i ccompose)" ] || fail "the fresh namespace has rules"
  # Until `system boot` runs, what the containers left is not residue.
  assert_exit 0 cc system check
  # A project whose directory went away is reported, the others come back.
  mkdir -p "$CCOMPOSE_DATA_DIR/boot/gone"
  echo '{"project": "gone", "directory": "/nonexistent/gone", "services": {"web": 1}}' \
    >"$CCOMPOSE_DATA_DIR/boot/gone/record.json"
  cd /
  assert_exit 1 cc system boot
  assert_contains "$OUT" 'project `gone`: skipped: project directory `/nonexistent/gone` is gone'
  assert_contains "$OUT" "Project reboot  Started"
  rm -rf "$CCOMPOSE_DATA_DIR/boot/gone"
  is_running reboot-always-1 || fail "always: $(status_of reboot-always-1)"
  is_running reboot-unless-1 || fail "unless-stopped: $(status_of reboot-unless-1)"
  assert_eq "$(status_of reboot-no-1)" missing "restart: no came back"
  inh "$FW_SAVE" | grep -q 'dport 18080' || fail "published port's rules not back"
  assert_exit 0 cc -p reboot exec unless ping -c 1 -W 2 always
  # As Docker restarts the same container: its writable layer is kept.
  assert_exit 0 cc -p reboot exec always test -e /written-before

  # Idempotent: a second boot keeps what runs.
  local t_always t_unless
  t_always=$(started_at reboot-always-1); t_unless=$(started_at reboot-unless-1)
  assert_exit 0 cc system boot
  assert_eq "$(started_at reboot-always-1)" "$t_always" "second boot restarted always"
  assert_eq "$(started_at reboot-unless-1)" "$t_unless" "second boot restarted unless-stopped"

  # Docker's rule: a stopped unless-stopped stays down, always comes back.
  cd "$WORK/reboot"
  assert_exit 0 cc stop -t 0 unless always
  assert_eq "$(boot_services)" "always" "services on record after stop"
  assert_exit 0 cc start
  assert_eq "$(boot_services)" "always unless" "services on record after start"

  # After a second reboot, `down` instead of `system boot` leaves nothing
  # either: what the containers left on the data root goes with the record.
  simulate_reboot
  assert_exit 0 cc down -t 0
  [ ! -e "$CCOMPOSE_DATA_DIR/boot/reboot" ] || fail "down left the boot record"
  assert_no_residue
}

run_tests
