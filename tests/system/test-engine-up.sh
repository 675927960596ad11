#!/usr/bin/env bash
# up/down semantics on busybox projects, each in a throwaway host namespace:
# dependency order, conditions, --wait with one-shots, abort and exit codes,
# replicas and names, recreate-on-change, volumes, two projects side by
# side, exec/run exit codes, and a killed `up` followed by `down`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

started_at() { "$CCOMPOSE" runtime state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["started_at"])'; }

test_three_level_chain_starts_in_dependency_order() {
  eng_setup chain
  load_images busybox
  project chain <<'YAML'
x-svc: &svc
  image: busybox:1.35
  init: true
  healthcheck: {test: ["CMD", "test", "-e", "/tmp/ready"], interval: 1s, start_period: 10s}
services:
  a:
    <<: *svc
    command: ["sh", "-c", "sleep 0.3; touch /tmp/ready; exec sleep 60"]
  b:
    <<: *svc
    command: ["sh", "-c", "sleep 0.3; touch /tmp/ready; exec sleep 60"]
    depends_on: {a: {condition: service_healthy}}
  c:
    <<: *svc
    command: ["sh", "-c", "touch /tmp/ready; exec sleep 60"]
    depends_on: {b: {condition: service_healthy}}
YAML
  cd "$WORK/chain"
  assert_exit 0 cc up -d
  local ta tb tc
  ta=$(started_at chain-a-1); tb=$(started_at chain-b-1); tc=$(started_at chain-c-1)
  # RFC 3339 in UTC compares as text; each waited for the previous one's
  # healthcheck, which cannot pass before its 0.3 s sleep.
  [[ "$ta" < "$tb" && "$tb" < "$tc" ]] || fail "start order a=$ta b=$tb c=$tc"
  python3 - "$ta" "$tb" <<'PY' || fail "b started less than 0.3 s after a"
import sys, datetime
a, b = (datetime.datetime.fromisoformat(t[:26]) for t in sys.argv[1:])
sys.exit(0 if (b - a).total_seconds() >= 0.3 else 1)
PY
  assert_exit 0 cc down -t 1
  assert_no_residue
}

test_failed_dependency_names_condition_exit_code_and_logs() {
  eng_setup depfail
  load_images busybox
  project depfail <<'YAML'
services:
  db:
    image: busybox:1.35
    command: ["sh", "-c", "echo db cannot start: missing config; exit 3"]
    healthcheck: {test: ["CMD", "true"], interval: 1s}
  app:
    image: busybox:1.35
    command: ["sleep", "60"]
    depends_on: {db: {condition: service_healthy}}
YAML
  cd "$WORK/depfail"
  assert_exit 1 cc up -d
  assert_contains "$OUT" "dependency failed to start for service \`app\`"
  assert_contains "$OUT" "service_healthy"
  assert_contains "$OUT" "exited (3)"
  assert_contains "$OUT" "db cannot start: missing config"
  assert_exit 0 cc down
  assert_no_residue
}

test_wait_counts_a_one_shot_exiting_0_as_success() {
  eng_setup wait
  load_images busybox
  project wait <<'YAML'
services:
  migrate:
    image: busybox:1.35
    command: ["sh", "-c", "echo migrated"]
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    depends_on: {migrate: {condition: service_completed_successfully}}
  broken:
    image: busybox:1.35
    command: ["sh", "-c", "exit 4"]
    profiles: [broken]
YAML
  cd "$WORK/wait"
  assert_exit 0 cc up -d --wait
  assert_contains "$OUT" "wait-migrate-1"
  assert_eq "$(rt_status wait-app-1)" running
  # A one-shot that fails is a failure of --wait.
  assert_exit 1 cc --profile broken up -d --wait broken
  assert_contains "$OUT" "wait-broken-1 exited with code 4"
  assert_exit 0 cc --profile broken down -t 0
  assert_no_residue
}

test_abort_on_container_exit_and_exit_code_from() {
  eng_setup abort
  load_images busybox
  project abort <<'YAML'
services:
  server:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
  tests:
    image: busybox:1.35
    command: ["sh", "-c", "sleep 0.3; echo running tests; exit 7"]
  ok:
    image: busybox:1.35
    profiles: [ok]
    command: ["true"]
YAML
  cd "$WORK/abort"
  assert_exit 7 timeout 60 nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" up --exit-code-from tests
  assert_contains "$OUT" "tests-1   | running tests"
  assert_contains "$OUT" "aborting"
  assert_eq "$(rt_status abort-server-1)" exited
  # The code of the container that stopped the others, as Compose (issue 15).
  assert_exit 7 timeout 60 nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" up --abort-on-container-exit
  assert_eq "$(rt_status abort-server-1)" exited
  # A clean exit (ok's) stops nothing with --abort-on-container-failure.
  assert_exit 7 timeout 60 nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" --profile ok up --abort-on-container-failure
  assert_contains "$OUT" "abort-tests-1 exited: aborting"
  assert_eq "$(rt_status abort-server-1)" exited
  assert_exit 0 cc --profile ok down
  assert_no_residue
}

test_scale_three_replicas_resolve_by_name() {
  eng_setup scale
  load_images busybox
  project scale <<'YAML'
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
  client:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
YAML
  cd "$WORK/scale"
  assert_exit 0 cc up -d --scale web=3
  assert_exit 0 cc ps --format '{{.Name}}' web
  assert_eq "$OUT" "scale-web-1
scale-web-2
scale-web-3"
  local n ip
  # Docker's names: the containers' and the service's (not web-<n>,
  # which only ccompose's old hosts files had).
  for n in 1 2 3; do
    assert_exit 0 cc exec -T client ping -c1 -W2 "scale-web-$n"
  done
  assert_exit 1 cc exec -T client ping -c1 -W1 web-1
  assert_exit 0 cc exec -T client ping -c1 -W2 web
  # Scale back down: replicas 2 and 3 go.
  assert_exit 0 cc up -d --scale web=1
  assert_contains "$OUT" "scale-web-3"
  assert_exit 0 cc ps --format '{{.Name}}' web
  assert_eq "$OUT" "scale-web-1"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

test_recreate_touches_only_the_changed_service() {
  eng_setup recreate
  load_images busybox
  project recreate <<'YAML'
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "echo $$DEBUG >/tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    environment: {DEBUG: "0"}
    ports: ["8095:80"]
  db:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
YAML
  cd "$WORK/recreate"
  assert_exit 0 cc up -d
  local db_before web_before
  wait_for 5 "web on its port" sh -c "[ \"\$(nsenter --net=/run/netns/$HOSTNS curl -s -m 1 http://127.0.0.1:8095/)\" = 0 ]"
  db_before=$(started_at recreate-db-1)
  web_before=$(started_at recreate-web-1)
  sed -i 's/DEBUG: "0"/DEBUG: "1"/' compose.yaml
  assert_exit 0 cc --dry-run up -d
  assert_contains "$OUT" "recreate and start container recreate-web-1: web: environment.DEBUG changed"
  assert_contains "$OUT" "keep container recreate-db-1"
  assert_exit 0 cc up -d
  assert_contains "$OUT" "recreate-web-1"
  assert_contains "$OUT" "Recreated: web: environment.DEBUG changed"
  assert_not_contains "$OUT" "recreate-db-1"
  assert_eq "$(started_at recreate-db-1)" "$db_before" "db was restarted"
  [ "$(started_at recreate-web-1)" != "$web_before" ] || fail "web was not recreated"
  assert_exit 0 cc exec -T web sh -c 'echo $DEBUG'
  assert_eq "$OUT" 1
  # The recreated container answers on the published port at once (it kept
  # its namespace, address and MAC: nothing on the path was rewired).
  wait_for 3 "the recreated web on its port" sh -c "[ \"\$(nsenter --net=/run/netns/$HOSTNS curl -s -m 1 http://127.0.0.1:8095/)\" = 1 ]"
  # Its files went with the old container's directory and were made
  # again: its own name and hostname (peers resolve through the
  # embedded DNS, which still answers for it and its peers).
  assert_exit 0 cc exec -T web sh -c 'grep -c "$(hostname)\$" /etc/hosts; [ "$(cat /etc/hostname)" = "$(hostname)" ] && echo same; nslookup recreate-db-1 >/dev/null && nslookup recreate-web-1 >/dev/null && echo resolved'
  assert_eq "$OUT" "1
same
resolved"
  # Orphans: a service removed from the file is named, and kept.
  python3 - <<'PY'
import re
s = open("compose.yaml").read()
open("compose.yaml", "w").write(re.sub(r"  db:\n(    .*\n)+", "", s))
PY
  assert_exit 0 cc up -d
  assert_contains "$OUT" "orphan containers for this project: recreate-db-1 (service db)"
  assert_exit 0 cc up -d --remove-orphans
  assert_contains "$OUT" "recreate-db-1"
  # The same project name from another directory: the warning says whose
  # containers these are.
  mkdir -p "$WORK/elsewhere"
  printf 'name: recreate\nservices:\n  other:\n    image: busybox:1.35\n    command: ["sleep", "60"]\n' \
    >"$WORK/elsewhere/compose.yaml"
  cd "$WORK/elsewhere"
  assert_exit 0 cc up -d --no-start
  assert_contains "$OUT" "created by the project of the same name in \`$WORK/recreate\`"
  assert_exit 0 cc down -t 0 --remove-orphans
  assert_no_residue
}

test_named_volume_survives_down_and_goes_with_down_v() {
  eng_setup vol
  load_images busybox
  project vol <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    volumes: ["data:/data", "./src:/src:ro", {type: tmpfs, target: /scratch}, "etc:/etc"]
volumes:
  data:
  etc:
YAML
  cd "$WORK/vol"
  mkdir src && echo from-host >src/file
  assert_exit 0 cc up -d
  assert_exit 0 cc exec -T app sh -c 'echo kept >/data/f; cat /src/file; mount | grep -c " /scratch type tmpfs"'
  assert_eq "$OUT" "from-host
1"
  assert_exit 1 cc exec -T app sh -c 'echo x >/src/other'
  # An empty named volume is filled from the image on first use, as Docker does.
  [ -s "$CCOMPOSE_DATA_DIR/volumes/vol_etc/_data/passwd" ] || fail "image content not copied into the volume"
  assert_exit 0 cc exec -T app grep -c root /etc/passwd
  assert_exit 0 cc down
  assert_exit 0 cc up -d
  assert_exit 0 cc exec -T app cat /data/f
  assert_eq "$OUT" kept
  assert_exit 0 cc down -v
  [ ! -e "$CCOMPOSE_DATA_DIR/volumes/vol_data" ] || fail "volume left by down -v"
  assert_no_residue
}

# `:ro` and `read_only: true` binds are read-only in the mounts below
# their source too, as in Docker 25 (the runtime side, with the host's
# /proc/sys and a later mount, is in test-escape.sh).
test_read_only_binds_are_read_only_below() {
  eng_setup robind
  load_images busybox
  project robind <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    volumes:
      - ./tree:/short:ro
      - {type: bind, source: ./tree, target: /long, read_only: true}
YAML
  cd "$WORK/robind"
  mkdir -p tree/shm
  mount -t tmpfs -o size=1m ccompose-ro tree/shm || fail "mount tmpfs"
  defer "umount -l '$WORK/robind/tree/shm'"
  assert_exit 0 cc up -d
  assert_exit 1 cc exec -T app touch /short/shm/x
  assert_contains "$OUT" "Read-only file system"
  assert_exit 1 cc exec -T app touch /long/shm/x
  assert_contains "$OUT" "Read-only file system"
  [ -z "$(ls -A tree/shm)" ] || fail "a file landed on the host's tmpfs: $(ls -A tree/shm)"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

test_two_projects_side_by_side_with_the_same_service_names() {
  eng_setup twin
  load_images busybox
  local p
  for p in one two; do
    project $p <<YAML
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "echo $p >/tmp/name; exec httpd -f -p 80 -h /tmp"]
YAML
  done
  sed -i 's|exec httpd|cp /tmp/name /tmp/index.html; exec httpd|' "$WORK/one/compose.yaml" "$WORK/two/compose.yaml"
  sed -i 's|command|ports: ["8081:80"]\n    command|' "$WORK/one/compose.yaml"
  sed -i 's|command|ports: ["8082:80"]\n    command|' "$WORK/two/compose.yaml"
  (cd "$WORK/one" && assert_exit 0 cc up -d) || exit 1
  (cd "$WORK/two" && assert_exit 0 cc up -d) || exit 1
  wait_for 5 "one answers" inh curl -sf -m 1 http://127.0.0.1:8081/
  wait_for 5 "two answers" inh curl -sf -m 1 http://127.0.0.1:8082/
  assert_eq "$(inh curl -s -m 2 http://127.0.0.1:8081/)" one
  assert_eq "$(inh curl -s -m 2 http://127.0.0.1:8082/)" two
  assert_exit 0 cc ls
  assert_contains "$OUT" "one"
  assert_contains "$OUT" "two"
  (cd "$WORK/one" && assert_exit 0 cc down) || exit 1
  assert_eq "$(inh curl -s -m 2 http://127.0.0.1:8082/)" two "two still serves after one is down"
  (cd "$WORK/two" && assert_exit 0 cc down) || exit 1
  assert_no_residue
}

test_exec_and_run_return_the_command_exit_code() {
  eng_setup codes
  load_images busybox
  project codes <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
YAML
  cd "$WORK/codes"
  # run on a project that is not up: it makes its network (and its
  # embedded DNS, which knows the one-off container by its own name, not
  # as a replica of app: Docker Compose without --use-aliases), nothing
  # else.
  assert_exit 4 cc run --rm --no-deps app sh -c 'nslookup "$(hostname)" >/dev/null && ! nslookup app >/dev/null && exit 4'
  assert_exit 0 cc ps -a -q
  assert_eq "$OUT" ""
  assert_exit 0 cc up -d
  assert_exit 0 cc exec -T app true
  assert_exit 3 cc exec -T app sh -c 'exit 3'
  assert_exit 0 cc exec -T -e GREETING=hi -w /tmp -u 1000 app sh -c 'echo $GREETING $(pwd) $(id -u)'
  assert_eq "$OUT" "hi /tmp 1000"
  assert_exit 5 cc run --rm app sh -c 'echo one-off; exit 5'
  assert_contains "$OUT" "one-off"
  # --rm left nothing behind.
  assert_exit 0 cc ps -a --format '{{.Name}}'
  assert_eq "$OUT" "codes-app-1"
  assert_exit 1 cc exec -T nosuch true
  assert_exit 2 cc exec -T
  assert_exit 0 cc down -t 0
  assert_no_residue
}

test_logs_follow_across_a_restart_loses_no_line() {
  eng_setup logs
  load_images busybox
  project logs <<'YAML'
services:
  ticker:
    image: busybox:1.35
    # $$ is a literal $ in compose files.
    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while [ $$i -lt 400 ]; do i=$$((i+1)); echo tick-$$i; sleep 0.01; done"]
YAML
  cd "$WORK/logs"
  assert_exit 0 cc up -d
  cc logs -f --no-log-prefix ticker >"$WORK/followed" 2>&1 &
  local follower=$!
  defer "kill $follower"
  wait_for 10 "first lines" grep -q tick- "$WORK/followed"
  assert_exit 0 cc restart -t 2 ticker
  wait_for 20 "the follower to end with the container" sh -c "! kill -0 $follower"
  # Everything the logs hold, the follower printed, in order.
  assert_exit 0 cc logs --no-log-prefix ticker
  [ "$OUT" = "$(cat "$WORK/followed")" ] || fail "follower lost lines: $(diff <(echo "$OUT") "$WORK/followed" | head)"
  [ "$(grep -c tick- "$WORK/followed")" -gt 400 ] || fail "the restarted run is missing"
  assert_exit 0 cc logs --tail 2 --no-log-prefix ticker
  assert_eq "$(echo "$OUT" | wc -l)" 2
  assert_exit 0 cc down
  assert_no_residue
}

test_sigkill_of_up_at_any_point_then_down_leaves_nothing() {
  eng_setup crash
  load_images busybox
  project crash <<'YAML'
services:
  a:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    ports: ["8090:80"]
    volumes: ["v:/v"]
  b:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    depends_on: [a]
volumes:
  v:
YAML
  cd "$WORK/crash"
  # Known runtime race (reported): a monitor whose
  # `up` was SIGKILLed while it set the container up can miss the kill of
  # `down` and wait forever on its sync socket.  Everything else must go;
  # kill_left_monitors (deferred) reaps such a monitor.
  SKIP_MONITOR_CHECK=1
  local delay
  for delay in 0.005 0.02 0.04 0.08 0.15; do
    nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" up -d </dev/null >/dev/null 2>&1 &
    local pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    assert_exit 0 cc down -v -t 0
    assert_no_residue
  done
}

test_network_mode_host_shares_the_hosts_namespace() {
  eng_setup hostmode
  load_images busybox
  project hostmode <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    network_mode: host
    command: ["sleep", "60"]
YAML
  cd "$WORK/hostmode"
  assert_exit 0 cc up -d
  local want
  want="net:[$(stat -L -c %i "/run/netns/$HOSTNS")]"
  assert_exit 0 cc exec -T app readlink /proc/self/ns/net
  assert_eq "$OUT" "$want" "network_mode: host joins the host's namespace"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# Dependents are created while their dependencies start; only their start
# waits for the condition.  The dependency turns healthy only when the test
# says so, so the order is observed, not raced.
test_dependents_are_created_while_the_dependency_gets_ready() {
  eng_setup overlap
  load_images busybox
  project overlap <<'YAML'
services:
  db:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    healthcheck:
      test: ["CMD", "test", "-e", "/tmp/ready"]
      interval: 60s
      start_period: 60s
      start_interval: 50ms
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    depends_on: {db: {condition: service_healthy}}
YAML
  cd "$WORK/overlap"
  inh "$CCOMPOSE" up -d </dev/null >"$WORK/up.out" 2>&1 &
  local up=$!
  defer "kill $up 2>/dev/null"
  wait_for 20 "app created while db is not healthy yet" sh -c "[ \"\$(\"$CCOMPOSE\" runtime state overlap-app-1 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"status\"])')\" = created ]"
  assert_eq "$(rt_status overlap-db-1)" running
  kill -0 "$up" || fail "up ended before db was healthy: $(cat "$WORK/up.out")"
  assert_exit 0 cc exec -T db touch /tmp/ready
  wait_for 20 "up to finish" sh -c "! kill -0 $up"
  wait "$up" || fail "up failed: $(cat "$WORK/up.out")"
  assert_eq "$(rt_status overlap-app-1)" running
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# A healthcheck that passes at once is seen at once, long before
# start_interval: the start period probes early and backs off.
test_a_quick_healthcheck_is_seen_before_start_interval() {
  eng_setup quickhc
  load_images busybox
  project quickhc <<'YAML'
services:
  db:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 120s
      start_period: 120s
      start_interval: 60s
YAML
  cd "$WORK/quickhc"
  assert_exit 0 cc up -d --wait --wait-timeout 30
  assert_contains "$OUT" "Healthy"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

run_tests
