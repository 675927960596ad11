#!/usr/bin/env bash
# The project commands' contract: usage errors exit 2 with a message,
# hostile and conflicting options are refused before anything is created,
# and `down` finishes even over a corrupt state file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

test_malformed_and_conflicting_options_are_usage_errors() {
  eng_setup usage
  project usage <<'YAML'
services:
  app:
    image: busybox:1.35
YAML
  cd "$WORK/usage"
  local args
  while IFS= read -r args; do
    # shellcheck disable=SC2086
    assert_exit 2 cc $args
    assert_contains "$OUT" "ccompose"
  done <<'CASES'
up --scale app
up --scale app=-1
up --scale =3
up --scale app=99999999999
up -d --abort-on-container-exit
up -d --abort-on-container-failure
up --abort-on-container-failure --abort-on-container-exit
up -V --no-recreate
start --wait-timeout soon
restart --wait
kill --no-deps
run --entrypoint "unclosed app
run --pull sometimes app
run -l =x app
up --wait --exit-code-from app
up --force-recreate --no-recreate
up --always-recreate-deps --no-recreate
up --no-start --wait
up --pull sometimes
up -t never
up --wait-timeout -5
down --rmi some
down -t abc
down app
ps --filter bogus=1
ps --filter status=sleeping
ps --status sleeping
logs --tail many
logs --index 0
logs --since yesterday-ish
exec
exec app
run
run --name ../escape app
kill -s SIGBOGUS
port app
port app 99999
port --protocol sctp app 80
ls --format yaml
images --format xml
top --bogus
attach
attach app app
attach --index 0 app
attach --sig-proxy=maybe app
attach --detach-keys ctrl-1 app
CASES
  # Nothing was created by any of them.
  [ -z "$(ls -A "$CCOMPOSE_STATE_DIR/projects" 2>/dev/null)" ] || fail "a usage error left project state"
}

test_unknown_services_and_projects_fail_cleanly() {
  eng_setup unknown
  project unknown <<'YAML'
services:
  app:
    image: busybox:1.35
YAML
  cd "$WORK/unknown"
  assert_exit 1 cc up -d nosuch
  assert_contains "$OUT" "no such service"
  assert_exit 1 cc logs nosuch
  assert_contains "$OUT" "no such service"
  assert_exit 1 cc -p 'Bad/Name' down
  # down of a project that never existed is a success (idempotent).
  assert_exit 0 cc -p never-existed down
  assert_exit 0 cc ps
  [ -z "$(ls -A "$CCOMPOSE_STATE_DIR/projects" 2>/dev/null)" ] || fail "state left: $(ls "$CCOMPOSE_STATE_DIR/projects")"
}

test_dry_run_changes_nothing() {
  eng_setup dry
  load_images busybox
  project dry <<'YAML'
services:
  app:
    image: busybox:1.35
    command: ["sleep", "60"]
YAML
  cd "$WORK/dry"
  assert_exit 0 cc --dry-run up -d
  assert_contains "$OUT" "create and start container dry-app-1"
  [ -z "$(ls -A "$CCOMPOSE_STATE_DIR/projects" 2>/dev/null)" ] || fail "dry run left state"
  assert_no_residue
}

test_down_rmi_removes_the_images_of_the_services() {
  eng_setup rmi
  load_images busybox
  project rmi <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
YAML
  cd "$WORK/rmi"
  assert_exit 0 cc up -d
  # local: only images without an image: key (built ones); busybox stays.
  assert_exit 0 cc down --rmi local
  assert_exit 0 "$CCOMPOSE" image ls
  assert_contains "$OUT" "busybox"
  assert_exit 0 cc up -d
  assert_exit 0 cc down --rmi all
  assert_contains "$OUT" "busybox:1.35"
  assert_exit 0 "$CCOMPOSE" image ls
  assert_not_contains "$OUT" "busybox"
  assert_no_residue
}

test_down_finishes_over_a_corrupt_state_file() {
  eng_setup corrupt
  load_images busybox
  project corrupt <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    ports: ["8093:80"]
YAML
  cd "$WORK/corrupt"
  assert_exit 0 cc up -d
  printf '{"containers": {"corrupt-app-1": ' >"$CCOMPOSE_STATE_DIR/projects/corrupt/state.json"
  assert_exit 1 cc ps
  assert_contains "$OUT" "state.json"
  assert_exit 0 cc down
  assert_contains "$OUT" "corrupt-app-1"
  assert_no_residue
}

test_pause_unpause_stop_start_rm_walk_the_lifecycle() {
  eng_setup lifecycle
  load_images busybox
  project lifecycle <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    ulimits:
      nofile: {soft: 512, hard: 1024}
YAML
  cd "$WORK/lifecycle"
  assert_exit 0 cc up -d
  # The compose ulimits bind processes started by exec too, as in Docker.
  assert_exit 0 cc exec -T app sh -c 'ulimit -n; ulimit -Hn'
  assert_eq "$OUT" "512
1024"
  assert_exit 0 cc pause app
  assert_contains "$OUT" "lifecycle-app-1  Paused"
  assert_exit 0 cc ps --format '{{.Name}}' --status paused
  assert_eq "$OUT" "lifecycle-app-1"
  # Nothing paused is left to pause: no line, no error.
  assert_exit 0 cc pause
  assert_not_contains "$OUT" "Paused"
  assert_exit 0 cc unpause
  assert_contains "$OUT" "lifecycle-app-1  Unpaused"
  assert_exit 0 cc ps --format '{{.Name}}' --status running
  assert_eq "$OUT" "lifecycle-app-1"
  assert_exit 0 cc stop -t 1
  assert_exit 0 cc ps -a --format '{{.Name}}' --status exited
  assert_eq "$OUT" "lifecycle-app-1"
  assert_exit 0 cc start app
  assert_exit 0 cc ps --format '{{.Name}}' --status running
  assert_eq "$OUT" "lifecycle-app-1"
  assert_exit 1 cc pause nosuch
  assert_exit 0 cc rm -f -s
  assert_exit 0 cc ps -a -q
  assert_eq "$OUT" ""
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# A stop that fails in the pool's child is reported once, by the command,
# with the container and the reason (issue 14, item 4): the child prints
# nothing itself.
test_failed_stop_says_which_and_why() {
  eng_setup stopfail
  load_images busybox
  project stopfail <<'YAML'
services:
  a:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
  b:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
YAML
  cd "$WORK/stopfail"
  assert_exit 0 cc up -d
  # The marker cc_runtime_stop writes first cannot be written over a directory.
  mkdir "$CCOMPOSE_STATE_DIR/containers/stopfail-a-1/stopped"
  defer "rmdir '$CCOMPOSE_STATE_DIR/containers/stopfail-a-1/stopped' 2>/dev/null"
  assert_exit 1 cc stop -t 1
  assert_contains "$OUT" "stop container \`stopfail-a-1\`: container \`stopfail-a-1\`"
  assert_eq "$(grep -c 'stopfail-a-1' <<<"$OUT")" 1 "one line about the failure: $OUT"
  assert_not_contains "$OUT" "failed"
  rmdir "$CCOMPOSE_STATE_DIR/containers/stopfail-a-1/stopped"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

run_tests
