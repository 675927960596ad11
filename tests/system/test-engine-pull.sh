#!/usr/bin/env bash
# up pulls what the store lacks, as Docker Compose does: --pull and
# pull_policy decide.  The registry is tests/system/registry-fixture.py
# serving the sample busybox layout inside the test's network namespace,
# and docker.io is mapped to it with CCOMPOSE_REGISTRY_MIRROR.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

FIXTURE=$TOP/tests/system/registry-fixture.py
LAYOUT=$TOP/samples/images/out/busybox

fixture_listening() { [ -s "$REG_DIR/port" ]; }

start_registry() {
  [ -d "$LAYOUT" ] || "$TOP/samples/images/build" busybox >/dev/null 2>&1 || skip "cannot build sample image busybox"
  REG_DIR=$WORK/registry
  mkdir -p "$REG_DIR"
  # nsenter execs python, so $! is the fixture itself; its output goes to
  # files, never to the test's stdout (a pipe it would hold open).
  nsenter --net="/run/netns/$HOSTNS" python3 "$FIXTURE" --layout "library/busybox=$LAYOUT" \
    --port-file "$REG_DIR/port" --log "$REG_DIR/requests" >"$REG_DIR/stdout" 2>"$REG_DIR/stderr" </dev/null &
  defer "kill $!"
  wait_for 10 "the registry fixture to listen" fixture_listening
  export CCOMPOSE_REGISTRY_MIRROR=http://127.0.0.1:$(cat "$REG_DIR/port")
}

manifest_gets() { cat "$REG_DIR/requests" 2>/dev/null | grep -c "^GET /v2/library/busybox/manifests/"; }

test_up_pulls_missing_images_as_the_policy_says() {
  eng_setup pull
  start_registry
  project pull <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
YAML
  cd "$WORK/pull"
  # never: the store is empty, so up fails before creating anything.
  assert_exit 1 cc up -d --pull never
  assert_contains "$OUT" "image \`busybox:1.35\` is not in the local store"
  assert_eq "$(manifest_gets)" 0
  # The default (missing) pulls once, then uses the store.
  assert_exit 0 cc up -d
  assert_contains "$OUT" "Pulled"
  assert_eq "$(rt_status pull-app-1)" running
  local gets
  gets=$(manifest_gets)
  [ "$gets" -ge 1 ] || fail "no manifest was fetched"
  assert_exit 0 cc up -d
  assert_eq "$(manifest_gets)" "$gets"
  # always asks the registry again; --quiet-pull says nothing of it.
  assert_exit 0 cc up -d --pull always --quiet-pull
  [ "$(manifest_gets)" -gt "$gets" ] || fail "--pull always did not ask the registry"
  case $OUT in *Pulled*) fail "--quiet-pull printed the pull: $OUT" ;; esac
  assert_exit 0 cc down -t 0
  assert_no_residue
}

test_a_failed_pull_says_why_and_creates_nothing() {
  eng_setup pullfail
  start_registry
  project pullfail <<'YAML'
services:
  app:
    image: nothere:1
    command: ["true"]
YAML
  cd "$WORK/pullfail"
  assert_exit 1 cc up -d
  assert_contains "$OUT" "image \`nothere:1\` is not in the local store and could not be pulled"
  assert_contains "$OUT" "404"
  [ -z "$(ls -A "$CCOMPOSE_STATE_DIR/projects" 2>/dev/null)" ] || fail "a failed pull left project state"
  assert_no_residue
}

run_tests
