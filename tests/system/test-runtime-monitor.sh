#!/usr/bin/env bash
# The monitor: json-file logs and rotation, stop with the grace period and
# the SigCgt report, init, restart policies, healthchecks, exec, pause,
# kill.  Every wait polls; grace periods are short.
. "$(dirname "$0")/runtime-common.sh"

test_monitor_is_named_and_detached() {
  setup title
  spec t1 '"args": ["/payload", "sleep", "30"]'
  rt run -d --spec "$SPECS/t1.json" t1 || fail "run"
  local mpid
  mpid=$(state_field t1 monitor_pid)
  assert_contains "$(ps -o args= -p "$mpid")" "ccompose-monitor t1"
  assert_eq "$(ps -o ppid= -p "$mpid" | tr -d ' ')" 1 "the monitor is nobody's child"
  assert_eq "$(ps -o ppid= -p "$(state_field t1 pid)" | tr -d ' ')" "$mpid" "the monitor is the container's parent"
  assert_eq "$(ps -o sid= -p "$mpid" | tr -d ' ')" "$mpid" "the monitor leads its own session"
  finish
}

test_json_file_logs() {
  setup logs
  spec l1 '"args": ["/bin/sh", "-c", "echo out-line; echo err-line >&2; printf \"no-newline\""]'
  run_ctr l1
  local log=$CCOMPOSE_DATA_DIR/containers/l1/l1-json.log
  [ -f "$log" ] || fail "no log file"
  python3 - "$log" <<'PY' || fail "log format: $(cat "$log")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["stream"], r["log"]) for r in recs}
assert ("stdout", "out-line\n") in by, recs
assert ("stderr", "err-line\n") in by, recs
assert ("stdout", "no-newline") in by, recs
for r in recs:
    assert set(r) == {"log", "stream", "time"}, r
    assert r["time"].endswith("Z") and "T" in r["time"], r
PY
  assert_exit 0 rt logs l1
  assert_contains "$OUT" "out-line"
  assert_contains "$OUT" "err-line"
  finish
  [ -e "$CCOMPOSE_DATA_DIR/containers/l1" ] && fail "delete left the logs"
  return 0
}

test_log_rotation() {
  setup rotate
  spec r1 '"args": ["/bin/sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done"], "log": {"max_size": 1000, "max_file": 3}'
  run_ctr r1
  local log=$CCOMPOSE_DATA_DIR/containers/r1/r1-json.log
  [ -f "$log.1" ] && [ -f "$log.2" ] || fail "not rotated: $(ls "$(dirname "$log")")"
  [ -e "$log.3" ] && fail "more files than max_file"
  for f in "$log" "$log.1" "$log.2"; do
    [ "$(stat -c %s "$f")" -le 1000 ] || fail "$f is larger than max_size"
  done
  grep -q '"line-199\\n"' "$log" || fail "the newest line is not in the current file"
  assert_exit 0 rt logs r1
  assert_contains "$OUT" "line-199"
  assert_not_contains "$OUT" "line-0
" "the oldest lines were rotated away"
  finish
}

test_stop_of_pid1_ignoring_sigterm_takes_the_grace_period() {
  setup stopgrace
  spec g1 '"args": ["/payload", "ignore-term"], "stop_grace_ms": 1000'
  rt run -d --spec "$SPECS/g1.json" g1 || fail "run"
  wait_for 5 "the payload to start" grep -q ignoring "$CCOMPOSE_DATA_DIR/containers/g1/g1-json.log"
  assert_exit 0 rt stop g1
  python3 - "$OUT" <<'PY' || fail "report: $OUT"
import json, sys
r = json.loads([l for l in sys.argv[1].splitlines() if l.startswith("{")][0])
assert r["was_running"] and r["killed"] and not r["signal_caught"], r
assert r["elapsed_ms"] >= 1000, r
PY
  assert_contains "$OUT" "no handler for the stop signal"
  assert_eq "$(state_field g1 exit_code)" 137
  assert_eq "$(state_field g1 status)" exited
  finish
}

test_stop_of_a_handling_pid1_is_prompt() {
  setup stopfast
  spec h1 '"args": ["/payload", "sleep-term", "30"], "stop_grace_ms": 20000'
  rt run -d --spec "$SPECS/h1.json" h1 || fail "run"
  wait_for 5 "the payload to start" grep -q sleeping "$CCOMPOSE_DATA_DIR/containers/h1/h1-json.log"
  assert_exit 0 rt stop h1
  python3 - "$OUT" <<'PY' || fail "report: $OUT"
import json, sys
r = json.loads([l for l in sys.argv[1].splitlines() if l.startswith("{")][0])
assert r["was_running"] and r["signal_caught"] and not r["killed"], r
assert r["elapsed_ms"] < 10000, r
PY
  assert_eq "$(state_field h1 exit_code)" 0
  finish
}

test_stop_resends_once_a_late_handler_is_there() {
  setup stoplate
  # A namespace's PID 1 drops a signal it has no handler for yet: stopped
  # at once, before its trap exists, it must still get SIGTERM (exit 7
  # from the trap, not 137 after the grace period).
  spec r1 '"args": ["/bin/sh", "-c", "sleep 0.3; trap \"exit 7\" TERM; echo armed; while :; do sleep 0.05; done"], "stop_grace_ms": 20000'
  rt run -d --spec "$SPECS/r1.json" r1 || fail "run"
  assert_exit 0 rt stop r1
  python3 - "$OUT" <<'PY' || fail "report: $OUT"
import json, sys
r = json.loads([l for l in sys.argv[1].splitlines() if l.startswith("{")][0])
assert r["was_running"] and r["signal_caught"] and not r["killed"], r
PY
  assert_eq "$(state_field r1 exit_code)" 7 "the trap ran"
  grep -q armed "$CCOMPOSE_DATA_DIR/containers/r1/r1-json.log" || fail "stopped before the trap was set"
  finish
}

test_init_makes_stop_instant() {
  setup init
  # sleep has no SIGTERM handler; as PID 1 it would ignore it.  Behind the
  # init it is an ordinary process and dies at once.
  spec i1 '"args": ["/payload", "sleep", "30"], "init": true, "stop_grace_ms": 20000'
  rt run -d --spec "$SPECS/i1.json" i1 || fail "run"
  wait_for 5 "the payload to start" grep -q sleeping "$CCOMPOSE_DATA_DIR/containers/i1/i1-json.log"
  assert_exit 0 rt exec i1 /bin/sh -c 'tr "\\0" " " < /proc/1/cmdline'
  assert_contains "$OUT" "/dev/init"
  assert_exit 0 rt stop i1
  python3 - "$OUT" <<'PY' || fail "report: $OUT"
import json, sys
r = json.loads([l for l in sys.argv[1].splitlines() if l.startswith("{")][0])
assert r["was_running"] and r["signal_caught"] and not r["killed"], r
assert r["elapsed_ms"] < 10000, r
PY
  assert_eq "$(state_field i1 exit_code)" 143 "the child's status (SIGTERM) comes through the init"
  finish
}

test_init_reaps_zombies() {
  setup reap
  # The shell orphans a child that exits at once; the init must reap it.
  spec z1 '"args": ["/bin/sh", "-c", "(sleep 0 &) ; sleep 1; ps -o stat,comm | grep -c Z; exit 0"], "init": true'
  run_ctr z1
  assert_eq "$RC" 0
  assert_eq "$(sed -n '$p' <<<"$OUT")" 0 "zombies left"
  finish
}

test_restart_on_failure_counts_and_stops() {
  setup restartfail
  spec f1 '"args": ["/payload", "exit", "3"], "restart": "on-failure:2"'
  rt run -d --spec "$SPECS/f1.json" f1 || fail "run"
  wait_for 10 "the final exit" status_is f1 exited
  assert_eq "$(state_field f1 restart_count)" 2
  assert_eq "$(state_field f1 exit_code)" 3
  spec f2 '"args": ["/payload", "exit", "0"], "restart": "on-failure"'
  rt run -d --spec "$SPECS/f2.json" f2 || fail "run"
  wait_for 10 "the exit" status_is f2 exited
  assert_eq "$(state_field f2 restart_count)" 0 "a clean exit is not restarted"
  finish
}

test_restart_always_keeps_netns_until_stopped() {
  setup restartalways
  spec a1 '"args": ["/bin/sh", "-c", "sleep 1; exit 1"], "restart": "always"'
  rt run -d --spec "$SPECS/a1.json" a1 || fail "run"
  local ns1 pid1
  first_ns() { pid1=$(state_field a1 pid) && ns1=$(readlink "/proc/$pid1/ns/net"); }
  wait_for 10 "running" first_ns
  # A later PID 1 (two restarts on) lives in the very same namespace; a
  # run lasts a second, so read the pid and its namespace together.
  restarted_in_same_ns() {
    local pid ns
    [ "$(state_field a1 restart_count)" -ge 2 ] || return 1
    pid=$(state_field a1 pid) && [ "$pid" != "$pid1" ] && ns=$(readlink "/proc/$pid/ns/net") && [ "$ns" = "$ns1" ]
  }
  wait_for 40 "a restarted PID 1 in the first network namespace" restarted_in_same_ns
  assert_exit 0 rt stop -t 1 a1
  status_is a1 exited || fail "still $(state_field a1 status) after stop"
  local n
  n=$(state_field a1 restart_count)
  sleep 0.5
  assert_eq "$(state_field a1 restart_count)" "$n" "restarted after a user stop"
  finish
}

test_stop_during_restart_backoff_is_prompt() {
  setup backoff
  # Exits at once: the backoff doubles quickly towards its one-minute cap.
  spec b1 '"args": ["/payload", "exit", "1"], "restart": "always"'
  rt run -d --spec "$SPECS/b1.json" b1 || fail "run"
  long_backoff() { [ "$(state_field b1 restart_count)" -ge 7 ]; }
  wait_for 30 "a long backoff" long_backoff
  local t0=$SECONDS
  assert_exit 0 rt stop b1
  [ $((SECONDS - t0)) -le 3 ] || fail "stop waited for the backoff"
  assert_eq "$(state_field b1 status)" exited
  finish
}

test_start_again_after_exit() {
  setup startagain
  spec s1 '"args": ["/bin/sh", "-c", "echo run"]'
  run_ctr s1
  assert_eq "$OUT" run
  assert_exit 0 rt start s1
  wait_for 10 "the second exit" status_is s1 exited
  assert_eq "$(rt logs s1 | grep -c run)" 2
  finish
}

test_healthcheck_transitions() {
  setup health
  spec hc '"args": ["/bin/sh", "-c", "touch /tmp/ok; exec /payload sleep 60"], "healthcheck": {"test": ["CMD-SHELL", "echo probing; test -e /tmp/ok"], "interval_ms": 100, "timeout_ms": 2000, "retries": 2}'
  rt run -d --spec "$SPECS/hc.json" hc || fail "run"
  health_is() { [ "$(state_field hc health.Status)" = "$1" ]; }
  wait_for 10 "healthy" health_is healthy
  assert_exit 0 rt exec hc rm /tmp/ok
  wait_for 10 "unhealthy" health_is unhealthy
  [ "$(state_field hc health.FailingStreak)" -ge 2 ] || fail "failing streak"
  rt state hc | python3 -c 'import json,sys
log = json.load(sys.stdin)["health"]["Log"]
assert 1 <= len(log) <= 5, log
assert log[-1]["ExitCode"] == 1 and "probing" in log[-1]["Output"], log[-1]
assert log[-1]["Start"] and log[-1]["End"], log[-1]' || fail "health log"
  assert_exit 0 rt exec hc touch /tmp/ok
  wait_for 10 "healthy again" health_is healthy
  finish
}

test_healthcheck_timeout_and_start_period() {
  setup healthto
  spec ht '"args": ["/payload", "sleep", "60"], "healthcheck": {"test": ["CMD", "/payload", "sleep", "5"], "interval_ms": 100, "timeout_ms": 200, "retries": 1, "start_period_ms": 600000, "start_interval_ms": 100}'
  rt run -d --spec "$SPECS/ht.json" ht || fail "run"
  probed() { rt state ht | grep -q "exceeded timeout"; }
  wait_for 10 "a timed out probe" probed
  # Failures inside the start period do not count.
  assert_eq "$(state_field ht health.Status)" starting
  assert_eq "$(state_field ht health.FailingStreak)" 0
  # A probe past its timeout is killed, not left running in the container.
  few_probes() { [ "$(rt exec ht /bin/sh -c 'ps -o args | grep -c "^/payload sleep 5"')" -le 1 ]; }
  three_timeouts() { [ "$(rt state ht | grep -c "exceeded timeout")" -ge 3 ]; }
  wait_for 10 "three timed out probes" three_timeouts
  few_probes || fail "timed out probes keep running: $(rt exec ht ps -o pid,args)"
  finish
}

test_exec_exit_code_user_and_env() {
  setup exec
  spec x1 '"args": ["/payload", "sleep", "60"], "env": ["FROM_SPEC=1"]'
  rt run -d --spec "$SPECS/x1.json" x1 || fail "run"
  assert_exit 7 rt exec x1 /payload exit 7
  assert_exit 0 rt exec -u app -e EXTRA=2 x1 /bin/sh -c 'id -u; echo $FROM_SPEC$EXTRA; ps -o pid,comm | grep -c payload'
  assert_eq "$(sed -n 1p <<<"$OUT")" 1000
  assert_eq "$(sed -n 2p <<<"$OUT")" 12
  assert_eq "$(sed -n 3p <<<"$OUT")" 1 "exec sees the container's processes"
  assert_exit 0 rt exec -w /tmp/newdir -e FROM_SPEC=over x1 /bin/sh -c 'pwd; echo $FROM_SPEC'
  assert_eq "$OUT" "/tmp/newdir
over" "working directory (made when missing) and an overridden variable"
  assert_exit 126 rt exec x1 /no/such/thing
  assert_contains "$OUT" "/no/such/thing"
  # Said once, by the command: the process that could not start reports
  # to its parent instead of printing (issue 14, item 4).
  assert_eq "$(grep -c '^ccompose: exec: `/no/such/thing`' <<<"$OUT")" 1 "the reason, once"
  assert_exit 126 rt exec -t x1 /no/such/thing
  assert_contains "$OUT" "ccompose: exec: \`/no/such/thing\`"
  assert_exit 0 rt exec x1 /payload status CapEff
  assert_contains "$OUT" 00000000a80425fb
  # The pty belongs to the container's devpts, so tty names it.
  assert_exit 0 rt exec -t x1 /bin/sh -c 'tty; exit 0'
  assert_contains "$OUT" /dev/pts/
  assert_exit 4 rt exec -t x1 /bin/sh -c 'exit 4'

  finish
  assert_exit 1 rt exec x1 /bin/true
}

# exec's stdio are pipes we relay (issue 12): stdout and stderr apart,
# binary data and large outputs whole, stdin until its EOF, a reader that
# goes away (EPIPE) ends only its stream, and a process left behind
# neither keeps exec waiting nor reaches our stdout afterwards.
test_exec_relays_stdio_through_pipes() {
  setup relay
  spec x1 '"args": ["/payload", "sleep", "120"]'
  rt run -d --spec "$SPECS/x1.json" x1 || fail "run"
  local dir=$CCOMPOSE_DATA_DIR/relay want got rc t0
  mkdir -p "$dir"
  rt exec x1 /bin/sh -c 'echo out; echo err >&2; exit 5' >"$dir/out" 2>"$dir/err"
  assert_eq "$?" 5 "exit code"
  assert_eq "$(cat "$dir/out")" out "stdout"
  assert_eq "$(cat "$dir/err")" err "stderr"
  # 50 MB of random bytes in and out again.
  head -c 50000000 /dev/urandom >"$dir/blob"
  want=$(md5sum <"$dir/blob" | cut -d' ' -f1)
  t0=$SECONDS
  got=$(rt exec x1 cat <"$dir/blob" | md5sum | cut -d' ' -f1)
  assert_eq "$got" "$want" "50 MB through exec cat"
  [ $((SECONDS - t0)) -lt 30 ] || fail "50 MB took $((SECONDS - t0)) s"
  got=$(rt exec x1 /bin/sh -c 'cat >/dev/null; echo "stdin ended"' <"$dir/blob")
  assert_eq "$got" "stdin ended" "EOF of stdin reaches the program"
  # A reader that stops after 10 bytes: yes gets EPIPE and dies of
  # SIGPIPE (128+13), the shell goes on, and stderr still comes through.
  timeout 20 "$CCOMPOSE" runtime exec x1 /bin/sh -c 'yes; echo "after yes" >&2' 2>"$dir/err" | head -c 10 >"$dir/head"
  rc=${PIPESTATUS[0]}
  assert_eq "$(cat "$dir/head")" "$(printf 'y\ny\ny\ny\ny')" "what head read"
  assert_eq "$(cat "$dir/err")" "after yes" "stderr after stdout's reader went"
  assert_eq "$rc" 0 "exec after its stdout's reader went (124: it hung)"
  timeout 20 "$CCOMPOSE" runtime exec x1 yes | head -c 4 >/dev/null
  rc=${PIPESTATUS[0]}
  assert_eq "$rc" 141 "a program killed by SIGPIPE"
  # A background process writing forever: exec returns with the
  # shell, and the writer, cut off, stops (the pipe is gone).
  t0=$SECONDS
  got=$(timeout 20 "$CCOMPOSE" runtime exec x1 /bin/sh -c '(trap "" PIPE; while echo bg; do :; done; touch /tmp/bg-cut) & echo fg')
  rc=$?
  assert_eq "$rc" 0 "exec with a background writer (124: it hung)"
  # The writer may get its first lines out before the shell's own: what
  # matters is that the shell's output arrived.
  grep -qx fg <<<"$got" || fail "the shell's own output is missing: $(head -n 3 <<<"$got")"
  wait_for 10 "the background writer to be cut off" rt exec x1 test -e /tmp/bg-cut
  finish
}

test_pause_unpause_and_kill() {
  setup pause
  spec p1 '"args": ["/payload", "sleep", "60"]'
  rt run -d --spec "$SPECS/p1.json" p1 || fail "run"
  assert_exit 0 rt pause p1
  assert_eq "$(state_field p1 status)" paused
  if cgroup_v2; then
    grep -qx "frozen 1" "$(cg freezer p1)/cgroup.events" || fail "not frozen"
  else
    assert_eq "$(cat "$(cg freezer p1)/freezer.state")" FROZEN
  fi
  assert_exit 1 rt pause p1
  assert_exit 0 rt unpause p1
  assert_eq "$(state_field p1 status)" running
  assert_exit 0 rt kill -s KILL p1
  wait_for 10 "the exit" status_is p1 exited
  assert_eq "$(state_field p1 exit_code)" 137
  assert_exit 1 rt kill p1
  finish
}

test_create_start_stop_of_created() {
  setup created
  spec c1 '"args": ["/payload", "ignore-term"], "stop_grace_ms": 20000'
  rt create --spec "$SPECS/c1.json" c1 || fail "create"
  assert_eq "$(state_field c1 status)" created
  assert_exit 0 rt list
  assert_eq "$OUT" c1
  # Nothing of the user's ran: no grace period to wait out.
  assert_exit 0 rt stop c1
  assert_contains "$OUT" '"was_running":false'
  assert_eq "$(state_field c1 status)" exited
  spec c2 '"args": ["/payload", "echo", "hi"]'
  rt create --spec "$SPECS/c2.json" c2 || fail "create"
  [ -z "$(rt logs c2)" ] || fail "a created container ran"
  assert_exit 0 rt start c2
  wait_for 10 "the exit" status_is c2 exited
  assert_eq "$(rt logs c2)" hi
  assert_exit 1 rt create --spec "$SPECS/c2.json" c2
  assert_contains "$OUT" "already exists"
  # A created PID 1 that died: start never waits forever.  Depending on
  # whether the monitor recorded the death first, it reports it or runs
  # the container again (start of an exited container).
  spec c3 '"args": ["/payload", "echo", "again"]'
  rt create --spec "$SPECS/c3.json" c3 || fail "create"
  kill -9 "$(state_field c3 pid)"
  OUT=$(timeout 20 "$CCOMPOSE" runtime start c3 2>&1)
  case $? in
    0) wait_for 10 "the second run" status_is c3 exited; assert_eq "$(rt logs c3)" again;;
    1) assert_contains "$OUT" "exited before it started";;
    *) fail "start of a dead created container: $OUT";;
  esac
  finish
}

test_delete_of_running_container() {
  setup delete
  spec d1 '"args": ["/bin/sh", "-c", "/payload sleep 60 & /payload sleep 60"], "restart": "always"'
  rt run -d --spec "$SPECS/d1.json" d1 || fail "run"
  local pid
  pid=$(state_field d1 pid)
  assert_exit 0 rt delete d1
  kill -0 "$pid" 2>/dev/null && fail "PID 1 survived delete"
  pgrep -f "payload sleep 60" >/dev/null && fail "a container process survived delete"
  finish
}

run_tests
