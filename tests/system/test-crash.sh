#!/usr/bin/env bash
# Crash injection (lib/crash.h): `up` is SIGKILLed at its Nth side-effecting
# step, for every N of the web+redis demo and of a 10-service project;
# after each crash `down` and `ccompose system check` must leave nothing,
# and a following `up` must work.  Also: a monitor or a container killed
# under a running project, a full state directory, `up` racing `down` on
# one project, and two projects started at once.  Everything runs in a
# throwaway namespace playing the host, with a private state root.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

crash_setup() {
  eng_setup "crash-$1-$$"
  unset CCOMPOSE_CRASH_AT CCOMPOSE_CRASH_TRACE
}

# Nothing left: the engine's own view, then the residue check of this root
# from inside the host namespace (links and rules live there).
assert_clean() {
  assert_no_residue
  assert_exit 0 inh "$CCOMPOSE" system check
}

# steps_of CMD...: how many crash points the command passes.
steps_of() {
  CCOMPOSE_CRASH_TRACE=1 "$@" 2>&1 | sed -n 's/^crash-point \([0-9]*\) .*/\1/p' | sort -n | tail -1
}

# campaign WHAT MODE: for N in 1..steps, crash `up -d` at N, then clean up
# and check for residue.  MODE down: `down` cleans; following: `down`,
# then a complete up and down (otherwise the up at N+1, which redoes
# steps 1..N before it dies, and the final complete up stand for it);
# lost: the project's state is deleted and `system check --fix` cleans.
campaign() {
  local what=$1 mode=$2 steps n rc
  steps=$(steps_of cc up -d)
  [ -n "$steps" ] && [ "$steps" -gt 0 ] || fail "$what: up passes no crash point"
  assert_exit 0 cc down -t 0
  assert_clean
  echo "    $what ($mode): $steps steps" >&2
  for ((n = 1; n <= steps; n++)); do
    { CCOMPOSE_CRASH_AT=$n cc up -d; } >/dev/null 2>&1; rc=$?
    [ $rc -ne 0 ] || fail "$what: up survived a crash at step $n"
    if [ "$mode" = lost ]; then
      rm -rf "$CCOMPOSE_STATE_DIR/projects"
      OUT=$(inh "$CCOMPOSE" system check --fix 2>&1) || fail "$what: system check --fix after a crash at step $n: $OUT"
    else
      assert_exit 0 cc down -t 0
    fi
    assert_clean
    if [ "$mode" = following ]; then
      assert_exit 0 cc up -d
      assert_exit 0 cc down -t 0
      assert_clean
    fi
  done
  assert_exit 0 cc up -d
  assert_exit 0 cc ps
  assert_exit 0 cc down -t 0
  assert_clean
}

test_crash_at_every_step_of_web_redis_up() {
  crash_setup demo
  load_images redis web
  cd "$TOP/samples/web-redis"
  campaign web-redis following
}

ten_services() {
  project ten <<'YAML'
name: ten
services:
  s0:
    image: busybox:1.35
    command: ["sleep", "600"]
    init: true
    ports: ["18080:80"]
    networks: [front]
  s1: {image: "busybox:1.35", command: ["sleep", "600"], init: true, networks: [front, back], depends_on: [s0]}
  s2: {image: "busybox:1.35", command: ["sleep", "600"], init: true, networks: [back], depends_on: [s1]}
  s3: {image: "busybox:1.35", command: ["sleep", "600"], init: true, networks: [back]}
  s4: {image: "busybox:1.35", command: ["sleep", "600"], init: true, networks: [front], ports: ["18084:84"]}
  s5: {image: "busybox:1.35", command: ["sleep", "600"], init: true, depends_on: [s4]}
  s6: {image: "busybox:1.35", command: ["sleep", "600"], init: true}
  s7: {image: "busybox:1.35", command: ["sleep", "600"], init: true, networks: [back]}
  s8: {image: "busybox:1.35", command: ["sleep", "600"], init: true, depends_on: [s7, s6]}
  s9: {image: "busybox:1.35", command: ["sleep", "600"], init: true, network_mode: none}
networks:
  front: {}
  back: {}
YAML
}

test_crash_at_every_step_of_ten_service_up() {
  crash_setup ten
  load_images busybox
  ten_services
  cd "$WORK/ten"
  campaign ten-services down
}

# The same crashes, but the project's state is then lost: the residue
# check alone must remove what each partial `up` made.
test_crash_at_every_step_of_ten_service_up_then_lose_state() {
  crash_setup tenlost
  load_images busybox
  ten_services
  cd "$WORK/ten"
  campaign ten-services lost
}

# image/ has no crash points yet: the layer blob is a FIFO the test feeds,
# so `image load` can be SIGKILLed halfway through copying it.  No image
# may appear, the leftovers are collected, and the next load works.
test_image_load_killed_mid_blob() {
  crash_setup imgload
  local layout=$WORK/layout blob tmp=$CCOMPOSE_DATA_DIR/images/tmp load
  blob=$(python3 "$TOP/tests/hostile/make-hostile.py" plain "$layout") || fail "generate the layout"
  mv "$blob" "$WORK/layer.blob"
  mkfifo "$blob"
  "$CCOMPOSE" image load -i "$layout" >"$WORK/load.log" 2>&1 &
  load=$!
  defer "kill -KILL $load"
  # Read-write: opening does not wait for the reader, and 64 KiB fit the pipe.
  exec 3<>"$blob"
  head -c 65536 "$WORK/layer.blob" >&3
  wait_for 10 "the blob copy to start" sh -c "[ \$(cat '$tmp'/* 2>/dev/null | wc -c) -ge 65536 ]"
  kill -KILL $load
  { wait $load; } 2>/dev/null
  exec 3>&-
  assert_exit 0 "$CCOMPOSE" image ls -q
  assert_eq "$OUT" "" "an image appeared from a killed load"
  rm "$blob"
  mv "$WORK/layer.blob" "$blob"
  assert_exit 0 "$CCOMPOSE" image load -i "$layout"
  assert_contains "$OUT" "Loaded image: crash-plain:1"
  assert_exit 0 "$CCOMPOSE" image prune -f
  assert_eq "$(ls -A "$tmp" | wc -l)" 0 "temporary files after prune"
  assert_exit 0 "$CCOMPOSE" image inspect crash-plain:1
  assert_exit 0 "$CCOMPOSE" image rm crash-plain:1
  assert_clean
}

# `image load` killed at each of its steps: the image is either whole or
# absent, a second load completes it, and prune leaves no temporary file.
test_crash_at_every_step_of_image_load() {
  crash_setup imgsteps
  local layout=$WORK/layout tmp=$CCOMPOSE_DATA_DIR/images/tmp steps n
  python3 "$TOP/tests/hostile/make-hostile.py" plain "$layout" >/dev/null || fail "generate the layout"
  steps=$(steps_of "$CCOMPOSE" image load -i "$layout")
  [ -n "$steps" ] && [ "$steps" -gt 0 ] || fail "image load passes no crash point"
  echo "    image load: $steps steps" >&2
  assert_exit 0 "$CCOMPOSE" image rm crash-plain:1
  for ((n = 1; n <= steps; n++)); do
    # (in braces, so that bash's "Killed" notice goes to /dev/null too)
    { CCOMPOSE_CRASH_AT=$n "$CCOMPOSE" image load -i "$layout"; } >/dev/null 2>&1 && fail "load survived a crash at step $n"
    assert_exit 0 "$CCOMPOSE" image ls -q
    if [ -n "$OUT" ]; then
      assert_exit 0 "$CCOMPOSE" image inspect crash-plain:1
    fi
    assert_exit 0 "$CCOMPOSE" image load -i "$layout"
    assert_exit 0 "$CCOMPOSE" image inspect crash-plain:1
    assert_exit 0 "$CCOMPOSE" image rm crash-plain:1
    assert_exit 0 "$CCOMPOSE" image prune -a -f
    assert_eq "$(ls -A "$tmp" "$CCOMPOSE_DATA_DIR/images/layers" "$CCOMPOSE_DATA_DIR/images/blobs/sha256" \
      2>/dev/null | grep -v -e ':$' -e '^$' | wc -l)" 0 "store not empty after a crash at step $n and prune"
  done
  assert_clean
}

# `down` killed at each of its steps: a second `down` finishes the job.
test_crash_at_every_step_of_down() {
  crash_setup down
  load_images busybox
  ten_services
  cd "$WORK/ten"
  local steps n
  assert_exit 0 cc up -d
  steps=$(steps_of cc down -t 0)
  [ -n "$steps" ] && [ "$steps" -gt 0 ] || fail "down passes no crash point"
  assert_clean
  echo "    down: $steps steps" >&2
  for ((n = 1; n <= steps; n++)); do
    assert_exit 0 cc up -d
    { CCOMPOSE_CRASH_AT=$n cc down -t 0; } >/dev/null 2>&1 && fail "down survived a crash at step $n"
    OUT=$(cc down -t 0 2>&1) || fail "down after a crash at step $n failed: $OUT"
    assert_clean
  done
}

# The project's state is lost (deleted by hand, a disk error) while its
# containers run: nothing can `down` it any more, and the residue check
# must find and remove every piece.
test_lost_project_state_is_cleaned_by_system_check() {
  crash_setup lost
  load_images busybox
  ten_services
  cd "$WORK/ten"
  assert_exit 0 cc up -d
  rm -rf "$CCOMPOSE_STATE_DIR/projects/ten"
  assert_exit 1 inh "$CCOMPOSE" system check
  assert_contains "$OUT" "container     ten-s0-1"
  assert_contains "$OUT" "network       network ten_front"
  assert_exit 0 inh "$CCOMPOSE" system check --fix
  # (assert_clean's residue check covers this root's monitors and cgroups)
  assert_clean
}

one_service() {
  project one <<'YAML'
name: one
services:
  app:
    image: busybox:1.35
    command: ["sleep", "600"]
YAML
  cd "$WORK/one"
}

container_field() { "$CCOMPOSE" runtime state one-app-1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

test_monitor_killed_while_container_runs() {
  crash_setup monitor
  load_images busybox
  one_service
  assert_exit 0 cc up -d
  local mon pid
  mon=$(container_field monitor_pid)
  pid=$(container_field pid)
  [ -n "$mon" ] && kill -0 "$mon" || fail "no monitor pid recorded"
  kill -KILL "$mon"
  wait_for 10 "the monitor to die" sh -c "! kill -0 $mon"
  assert_exit 0 cc ps -a
  assert_contains "$OUT" "one-app-1"
  # No exit was recorded: no made-up code, no "20784 days ago" from time 0.
  assert_contains "$OUT" "Exited (unknown)"
  assert_not_contains "$OUT" "days ago"
  assert_exit 0 cc down -t 0
  # The container outlived its monitor; down must not leave it running.
  kill -0 "$pid" 2>/dev/null && fail "container process $pid survived down"
  assert_clean
}

test_container_killed_with_sigkill() {
  crash_setup sigkill
  load_images busybox
  one_service
  assert_exit 0 cc up -d
  local pid
  pid=$(container_field pid)
  [ -n "$pid" ] && kill -0 "$pid" || fail "no container pid recorded"
  kill -KILL "$pid"
  wait_for 10 "the exit to be recorded" sh -c "'$CCOMPOSE' runtime state one-app-1 | grep -q '\"exited\"'"
  assert_exit 0 cc ps -a
  assert_contains "$OUT" "137"
  assert_exit 0 cc down -t 0
  assert_clean
}

test_full_state_directory() {
  crash_setup full
  load_images busybox
  one_service
  mount -t tmpfs -o size=512k ccompose-test "$CCOMPOSE_STATE_DIR" || fail "mount a small tmpfs"
  defer "umount -l '$CCOMPOSE_STATE_DIR'"
  # Deferred calls run last-in first-out: bring the project down while
  # its state is still mounted.
  defer "eng_down_all"
  # Leave a few kilobytes: enough to start, not to finish.
  dd if=/dev/zero of="$CCOMPOSE_STATE_DIR/filler" bs=1k count=500 2>/dev/null
  OUT=$(cc up -d 2>&1); local rc=$?
  [ $rc -ne 0 ] || fail "up succeeded on a full state directory"
  [ $rc -lt 128 ] || fail "up crashed on a full state directory: $OUT"
  assert_contains "$OUT" "No space left on device"
  rm -f "$CCOMPOSE_STATE_DIR/filler"
  # The state written before the disk filled is enough to clean up.
  assert_exit 0 cc down -t 0
  assert_clean
  assert_exit 0 cc up -d
  assert_exit 0 cc down -t 0
  assert_clean
}

test_up_and_down_race_on_one_project() {
  crash_setup race
  load_images busybox
  ten_services
  cd "$WORK/ten"
  local i
  for i in 1 2 3; do
    cc up -d >"$WORK/up.log" 2>&1 &
    local up=$!
    defer "kill $up"
    cc down -t 0 >"$WORK/down.log" 2>&1 || fail "down failed while up ran: $(cat "$WORK/down.log")"
    wait $up
    # The lock serialized them: either everything is up or nothing is.
    if [ -d "$CCOMPOSE_STATE_DIR/projects/ten" ]; then
      assert_exit 0 cc ps -q
      assert_eq "$(wc -l <<<"$OUT")" 10 "containers after up won the race"
    fi
    assert_exit 0 cc down -t 0
    assert_clean
  done
}

test_two_projects_start_at_once() {
  crash_setup two
  load_images busybox
  local p
  for p in left right; do
    project "$p" <<YAML
services:
  web:
    image: busybox:1.35
    command: ["sleep", "600"]
    ports: ["$([ $p = left ] && echo 18181 || echo 18282):80"]
  db:
    image: busybox:1.35
    command: ["sleep", "600"]
YAML
  done
  (cd "$WORK/left" && cc up -d) >"$WORK/left.log" 2>&1 &
  local l=$!
  (cd "$WORK/right" && cc up -d) >"$WORK/right.log" 2>&1 &
  local r=$!
  wait $l || fail "left failed: $(cat "$WORK/left.log")"
  wait $r || fail "right failed: $(cat "$WORK/right.log")"
  local subnets
  subnets=$(inh "$CCOMPOSE" netdev ls 2>/dev/null | grep -o '10\.[0-9.]*/[0-9]*' | sort)
  [ "$(wc -l <<<"$subnets")" -ge 2 ] || fail "expected two subnets, got: $subnets"
  [ -z "$(uniq -d <<<"$subnets")" ] || fail "subnet used twice: $subnets"
  assert_exit 0 "$CCOMPOSE" runtime list
  assert_contains "$OUT" "left-web-1"
  assert_contains "$OUT" "right-web-1"
  (cd "$WORK/left" && cc down -t 0) >/dev/null 2>&1 || fail "left down"
  (cd "$WORK/right" && cc down -t 0) >/dev/null 2>&1 || fail "right down"
  assert_clean
}

run_tests
