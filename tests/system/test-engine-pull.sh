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

# repositories.json: when each reference was last pulled, and when its
# image came into the store; AGE sets both to 2020 (never a sleep).
age_pull() {
  python3 - "$CCOMPOSE_DATA_DIR/images/repositories.json" <<'PY'
import json, sys
path = sys.argv[1]
repos = json.load(open(path))
for ref in repos.get("pulled", {}):
    repos["pulled"][ref] = "2020-01-01T00:00:00.000000000Z"
for image in repos["images"].values():
    image["loaded"] = "2020-01-01T00:00:00.000000000Z"
json.dump(repos, open(path, "w"))
PY
}
pulled_at() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pulled"][sys.argv[2]])' \
  "$CCOMPOSE_DATA_DIR/images/repositories.json" docker.io/library/busybox:1.35; }

# Compose's refresh rule (pull_refresh_after, every_<d>, daily, weekly):
# pull when the image is missing or its last pull is older than the
# period; --dry-run says so and pulls nothing; a due refresh the registry
# cannot serve fails `up`, as Docker Compose's does.
test_pull_refresh_pulls_only_a_stale_image() {
  eng_setup pullper
  start_registry
  project pullper <<'YAML'
services:
  app:
    image: busybox:1.35
    pull_refresh_after: 1h
    init: true
    command: ["sleep", "60"]
YAML
  cd "$WORK/pullper"
  assert_exit 0 cc --dry-run up
  assert_contains "$OUT" "DRY-RUN MODE -  Image busybox:1.35  Pulled"
  assert_eq "$(manifest_gets)" 0 "manifest GETs of a dry run"
  assert_exit 0 cc up -d
  assert_eq "$(manifest_gets)" 1 "manifest GETs of the first up"
  local first
  first=$(pulled_at)
  # Fresh: neither up nor run asks the registry, a dry run says nothing.
  assert_exit 0 cc up -d
  assert_exit 0 cc run --rm app true
  assert_exit 0 cc --dry-run up
  case $OUT in *Pulled*) fail "a dry run would pull a fresh image: $OUT" ;; esac
  assert_eq "$(manifest_gets)" 1 "manifest GETs with a fresh image"
  # Aged past the period: a dry run says it, up pulls and notes when.
  age_pull
  assert_exit 0 cc --dry-run up
  assert_contains "$OUT" "DRY-RUN MODE -  Image busybox:1.35  Pulled"
  assert_eq "$(manifest_gets)" 1 "manifest GETs of a dry run"
  assert_exit 0 cc up -d
  assert_eq "$(manifest_gets)" 2 "manifest GETs once stale"
  [ "$(pulled_at)" \> "$first" ] || fail "the pull time was not renewed: $(pulled_at) after $first"
  # every_<d> the same; stale with the registry gone, up fails.
  sed -i 's/pull_refresh_after: 1h/pull_policy: every_1h/' compose.yaml
  age_pull
  CCOMPOSE_REGISTRY_MIRROR=http://127.0.0.1:1 assert_exit 1 cc up -d
  assert_contains "$OUT" "pull docker.io/library/busybox:1.35"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

run_tests
