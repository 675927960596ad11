#!/usr/bin/env bash
# The CLI paths under valgrind: no invalid access, no use of uninitialised
# memory, no definite leak, in the command and in the processes it forks
# (jobs, the middle process of exec).  "Possibly lost" blocks are left
# out: libnl allocates its caches at load time and keeps them.  valgrind
# also lacks pidfd_open, so this runs the runtime's pid fallback.
# system-run: alone
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# vg EXPECTED ARGS...: ccompose ARGS under valgrind exits EXPECTED, clean.
# valgrind cannot run the sanitizer build the suite uses: it runs the
# plain one, which `make check` builds as well.
PLAIN=$TOP/build/ccompose

# The log goes to an inherited descriptor, not a file by name: processes
# that joined a container's mount namespace cannot open the host's path.
vg() {
  local want=$1 rc; shift
  : >"$WORK/vg.log"
  OUT=$(inh valgrind -q --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite \
    --error-exitcode=99 --log-fd=9 "$PLAIN" "$@" 2>&1 9>>"$WORK/vg.log")
  rc=$?
  if grep -qE 'definitely lost|Invalid (read|write|free)|uninitialised|Mismatched' "$WORK/vg.log"; then
    fail "valgrind: ccompose $*:
$(grep -vE 'unhandled amd64-linux syscall|You may be able|README_MISSING|consider this a bug|bug_reports' "$WORK/vg.log" | head -40)"
  fi
  [ "$rc" = "$want" ] || fail "exit $rc (wanted $want) from: ccompose $*
$OUT
$(grep -vE 'unhandled amd64-linux syscall|You may be able|README_MISSING|consider this a bug|bug_reports' "$WORK/vg.log" | head -20)"
}

test_cli_paths_are_valgrind_clean() {
  command -v valgrind >/dev/null || skip "valgrind missing"
  [ -x "$PLAIN" ] || skip "no plain build at $PLAIN (make ccompose)"
  eng_setup valgrind
  load_images busybox
  project valgrind <<'YAML'
services:
  db:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 60s
      start_period: 60s
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "600"]
    depends_on: {db: {condition: service_healthy}}
    ports: ["127.0.0.1:18123:80"]
YAML
  cd "$WORK/valgrind"
  vg 0 config
  vg 0 up -d --wait
  vg 0 ps -a
  vg 0 ps --format json
  vg 0 logs --tail 2
  vg 0 exec -T db true
  vg 3 exec -T db sh -c 'exit 3'
  vg 0 port app 80
  vg 0 top
  vg 0 ls
  vg 0 images
  vg 0 pause app
  vg 0 unpause app
  vg 0 stop app
  vg 0 start app
  vg 0 restart app
  vg 0 run --rm -T db echo one-off
  vg 0 run --rm -T db cat <<<piped-in
  assert_contains "$OUT" piped-in
  vg 0 kill -s SIGKILL app
  vg 137 wait app
  vg 2 up --scale app=-1
  vg 1 -f missing.yaml up
  vg 0 down -v
  vg 0 system check
  assert_no_residue
}

run_tests
