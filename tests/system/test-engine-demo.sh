#!/usr/bin/env bash
# The web+redis demo end to end, as `make demo` runs it, in a throwaway
# host namespace: up --wait builds the web image, the counter goes up, ps,
# down, no residue.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

test_demo_up_counter_ps_down_leaves_nothing() {
  eng_setup demo
  load_images redis python
  cd "$TOP/samples/web-redis"
  # The web image is built first, from the sample's Dockerfile (its runtime stage).
  assert_exit 0 cc up -d --wait
  assert_contains "$OUT" "[runtime 1/1] FROM base"
  assert_contains "$OUT" "Service web"
  assert_not_contains "$OUT" "[test"
  assert_contains "$OUT" "web-redis-web-1"
  assert_exit 0 inh curl -s -m 5 http://127.0.0.1:5000/
  assert_eq "$OUT" "Hello World! I have been seen 1 times."
  assert_exit 0 inh curl -s -m 5 http://127.0.0.1:5000/
  assert_eq "$OUT" "Hello World! I have been seen 2 times."
  assert_exit 0 cc ps
  assert_contains "$OUT" "web-redis-redis-1"
  assert_contains "$OUT" "(healthy)"
  assert_contains "$OUT" "0.0.0.0:5000->5000/tcp"
  assert_exit 0 cc ps --format json
  assert_contains "$OUT" '"Service":"web"'
  # A second up changes nothing.
  assert_exit 0 cc up -d
  assert_not_contains "$OUT" "Recreated"
  assert_exit 0 cc down
  assert_contains "$OUT" "Network   web-redis_default"
  assert_no_residue
  # Idempotent.
  assert_exit 0 cc down
  # The named volume kept the count; -v removes it.
  [ -d "$CCOMPOSE_DATA_DIR/volumes/web-redis_redis-data" ] || fail "volume removed by plain down"
  assert_exit 0 cc down -v
  [ ! -e "$CCOMPOSE_DATA_DIR/volumes/web-redis_redis-data" ] || fail "volume left by down -v"
}

test_missing_image_names_the_service_and_how_to_load_it() {
  eng_setup noimg
  project noimg <<'YAML'
services:
  app:
    image: not-loaded:1
YAML
  cd "$WORK/noimg"
  assert_exit 1 cc up -d
  assert_contains "$OUT" "service \`app\`: image \`not-loaded:1\` is not in the local store"
  assert_contains "$OUT" "ccompose image load"
  assert_no_residue
}

test_port_conflict_names_its_holder_before_anything_starts() {
  eng_setup port
  load_images busybox
  project port <<'YAML'
services:
  a:
    image: busybox:1.35
    command: ["sleep", "60"]
    ports: ["8099:80"]
YAML
  cd "$WORK/port"
  hold tcp/4/0.0.0.0/8099
  assert_exit 1 cc up -d
  assert_contains "$OUT" "8099"
  assert_contains "$OUT" "python3"
  # Nothing was created.
  [ -z "$(ls -A "$CCOMPOSE_STATE_DIR/containers" 2>/dev/null)" ] || fail "a container was created"
}

run_tests
