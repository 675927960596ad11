#!/usr/bin/env bash
# `watch` and develop.watch (issue 15): a sync rule copies host changes
# (deletions too) into the running container as its user, `ignore` and
# `include` patterns hold, `initial_sync` syncs what was there; a restart
# rule restarts it, sync+exec runs its command as told, rebuild builds and
# recreates; Ctrl-C ends the watcher with Compose's 130 and nothing left.
# One `up` serves every check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

in_app() { cc exec -T app "$@"; }
app_has() { [ "$(in_app cat "$1" 2>/dev/null)" = "$2" ]; }
app_lacks() { ! in_app test -e "$1"; }
web_has_v2() { [ "$(cc exec -T web cat /v.txt 2>/dev/null)" = v2 ]; }
stamp_changed() { [ "$(in_app cat /tmp/started 2>/dev/null)" != "$1" ]; }
watch_ready() { grep -q "Watch enabled" "$WORK/watch.log"; }
# Ended: gone, or a zombie its parent (this shell) has yet to reap.
watch_gone() { case "$(ps -o stat= -p "$WATCHER")" in "" | Z*) true ;; *) false ;; esac; }

start_watch() {
  eng_setup watch
  load_images busybox
  mkdir -p "$WORK/w/src" "$WORK/w/conf" "$WORK/w/hooks" "$WORK/w/web" "$WORK/outside"
  echo topsecret > "$WORK/outside/secret"
  echo early > "$WORK/w/src/pre.txt"
  echo early > "$WORK/w/src/pre.tmp"
  printf 'FROM busybox:1.35\nCOPY v.txt /v.txt\n' > "$WORK/w/web/Dockerfile"
  echo v1 > "$WORK/w/web/v.txt"
  project w <<'YAML'
services:
  app:
    image: busybox:1.35
    user: "1000:1000"
    command: ["sh", "-c", "date +%s%N > /tmp/started; exec sleep 3600"]
    # sleep as PID 1 ignores SIGTERM: no grace period to sit out.
    stop_signal: SIGKILL
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
          ignore: ["*.tmp"]
          initial_sync: true
        - path: ./conf
          action: restart
        - path: ./hooks
          action: sync+exec
          target: /hooks
          include: ["*.sh"]
          exec:
            command: ["sh", "-c", "echo \"$$X $$(id -u) $$(pwd) $$(grep CapEff /proc/self/status)\" > /tmp/exec-out"]
            user: "0"
            working_dir: /tmp
            privileged: true
            environment:
              X: "y"
  web:
    build: ./web
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    develop:
      watch:
        - path: ./web
          action: rebuild
YAML
  cd "$WORK/w" || fail "cd"
  assert_exit 0 cc up -d
  # The watcher in the background, as a user's terminal runs it; not
  # through a function: $! must be the watcher itself (nsenter execs it).
  nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" watch --no-up > "$WORK/watch.log" 2>&1 &
  WATCHER=$!
  defer "kill -9 $WATCHER 2>/dev/null"
  wait_for 20 "the watcher" watch_ready
}

# Attack: a symlink the container plants at target/x (to its /etc) is
# replaced, never followed; a host symlink in the watched tree that leads
# out of it is neither followed nor copied.  Run by the test below, on
# its watcher.
sync_stays_in_target() {
  cc exec -T -u 0 app sh -c 'mkdir -p /app && chown 1000:1000 /app' || fail "mkdir /app"
  in_app ln -s /etc /app/x || fail "plant x"
  in_app ln -s /etc /app/y || fail "plant y"
  echo pwned > src/x
  mkdir src/y
  echo pwned > src/y/passwd
  ln -s "$WORK/outside/secret" src/link
  ln -s "$WORK/outside" src/ldir
  echo go > src/trigger
  wait_for 20 "the batch synced" app_has /app/trigger go
  wait_for 20 "y/passwd synced" app_has /app/y/passwd pwned
  assert_eq "$(in_app cat /app/x)" "pwned" "x replaced by the file"
  in_app test -d /etc || fail "the container's /etc is gone"
  [ "$(in_app grep -c pwned /etc/passwd)" = 0 ] || fail "the container's /etc/passwd was written"
  in_app test ! -e /etc/x || fail "wrote into the container's /etc"
  app_lacks /app/link || fail "a host symlink was copied"
  app_lacks /app/ldir || fail "a host directory symlink was followed"
  [ -z "$(in_app grep -rl topsecret /app)" ] || fail "a file outside the watched tree reached the container"
}

# The effects, observed inside the container; the user's ownership; the
# end by SIGINT with 130 and no temporary file left.
test_watch_syncs_and_restarts() {
  local stamp rc out
  start_watch
  app_has /app/pre.txt early || fail "initial_sync did not sync pre.txt"
  app_lacks /app/pre.tmp || fail "initial_sync synced an ignored file"
  echo hello > src/a.txt
  mkdir -p src/d/e
  echo deep > src/d/e/f.txt
  echo skipped > src/x.tmp
  wait_for 20 "a.txt synced" app_has /app/a.txt hello
  wait_for 20 "d/e/f.txt synced" app_has /app/d/e/f.txt deep
  assert_eq "$(in_app stat -c %u:%g /app/a.txt)" "1000:1000" "synced file owner"
  app_lacks /app/x.tmp || fail "an ignored file was synced"
  echo again > src/a.txt
  wait_for 20 "a.txt updated" app_has /app/a.txt again
  rm src/a.txt
  wait_for 20 "a.txt deleted" app_lacks /app/a.txt
  stamp=$(in_app cat /tmp/started)
  [ -n "$stamp" ] || fail "no start stamp"
  echo x > conf/app.conf
  wait_for 30 "a restart" stamp_changed "$stamp"
  echo notes > hooks/notes.txt
  echo 'echo hi' > hooks/run.sh
  wait_for 20 "the exec of sync+exec" in_app test -s /tmp/exec-out
  out=$(in_app cat /tmp/exec-out)
  assert_contains "$out" "y 0 /tmp CapEff:"
  assert_contains "$out" "000001ff" "privileged exec: the capabilities of a privileged process"
  app_has /hooks/run.sh "echo hi" || fail "run.sh not synced"
  app_lacks /hooks/notes.txt || fail "a file outside \`include\` was synced"
  echo v2 > web/v.txt
  wait_for 60 "the rebuilt web" web_has_v2
  sync_stays_in_target
  [ -z "$(in_app find /app /hooks -name '.ccompose-sync-*')" ] || fail "temporary files left"
  kill -INT "$WATCHER"
  wait_for 10 "the watcher to end" watch_gone
  wait "$WATCHER"; rc=$?
  assert_eq "$rc" 130 "exit status after SIGINT"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# up --watch: attached, logs followed, the rules followed meanwhile;
# Ctrl-C stops the containers and exits 130; -d refuses it, as Compose.
test_up_watch_syncs_while_attached() {
  local rc
  eng_setup upwatch
  load_images busybox
  mkdir -p "$WORK/u/src"
  project u <<'YAML'
services:
  app:
    image: busybox:1.35
    command: ["sh", "-c", "echo app-started; exec sleep 3600"]
    stop_signal: SIGKILL
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
YAML
  cd "$WORK/u" || fail "cd"
  assert_exit 2 cc up -d --watch
  assert_contains "$OUT" "--watch"
  nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" up --watch > "$WORK/watch.log" 2>&1 &
  WATCHER=$!
  defer "kill -9 $WATCHER 2>/dev/null"
  wait_for 30 "the watcher" watch_ready
  wait_for 20 "the attached logs" grep -q "app-started" "$WORK/watch.log"
  echo hello > src/a.txt
  wait_for 20 "a.txt synced" app_has /app/a.txt hello
  kill -INT "$WATCHER"
  wait_for 20 "up to end" watch_gone
  wait "$WATCHER"; rc=$?
  assert_eq "$rc" 130 "exit status after SIGINT"
  assert_eq "$(rt_status u-app-1)" exited "the container stopped"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# Rules Compose refuses: a sync without an absolute target, an unknown action.
test_watch_rules_are_checked() {
  local tmp
  tmp=$(mktemp -d)
  defer "rm -rf '$tmp'"
  printf 'services:\n  a:\n    image: busybox\n    develop:\n      watch:\n        - path: .\n          action: sync\n' \
    > "$tmp/compose.yaml"
  assert_exit 1 env -C "$tmp" "$CCOMPOSE" --dry-run up
  assert_contains "$OUT" "compose.yaml:6:11"
  assert_contains "$OUT" "absolute \`target\`"
  sed -i 's/action: sync/action: teleport/' "$tmp/compose.yaml"
  assert_exit 1 env -C "$tmp" "$CCOMPOSE" --dry-run up
  assert_contains "$OUT" "invalid action \`teleport\`"
  printf 'services:\n  a:\n    image: busybox\n' > "$tmp/compose.yaml"
  assert_exit 1 env -C "$tmp" "$CCOMPOSE" watch --no-up
  assert_contains "$OUT" "none of the selected services is configured for watch"
}

run_tests
