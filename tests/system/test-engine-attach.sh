#!/usr/bin/env bash
# Foreground `up` through a pseudo-terminal: prefixed logs, then the
# Ctrl-C contract: the first stops gracefully what this up runs (saying
# which PID 1 ignores SIGTERM, with a countdown), the second kills.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# pty_up SCRIPT: runs `ccompose up` on a pty; SCRIPT is python acting on
# `child` (pexpect-like helpers below); prints the transcript.
pty_up() {
  python3 - "$HOSTNS" "$CCOMPOSE" "$1" <<'PY'
import os, pty, select, sys, time
ns, ccompose, script = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("nsenter", ["nsenter", "--net=/run/netns/" + ns, ccompose, "--ansi", "never", "up"])
out = b""
def expect(text, timeout=20):
    global out
    end = time.time() + timeout
    while text.encode() not in out:
        if time.time() > end:
            sys.stdout.write(out.decode(errors="replace"))
            sys.exit("timed out waiting for %r" % text)
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
def ctrl_c():
    os.write(fd, b"\x03")
exec(script)
status = None
end = time.time() + 30
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            out += chunk
        except OSError:
            break
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
if status is None:
    _, st = os.waitpid(pid, 0)
    status = os.waitstatus_to_exitcode(st)
sys.stdout.write(out.decode(errors="replace"))
print("\nEXIT=%s" % status)
PY
}

test_ctrl_c_stops_gracefully_then_kills() {
  eng_setup attach
  load_images busybox
  # The stubborn one says it is ready once PID 1 is the program that
  # ignores SIGTERM, not the shell before its exec.
  project attach <<'YAML'
services:
  polite:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "echo polite ready; exec sleep 60"]
  stubborn:
    image: busybox:1.35
    command: ["sh", "-c", "(until grep -q ^sleep /proc/1/cmdline; do :; done; echo stubborn ready) & exec sleep 60"]
    stop_grace_period: 20s
YAML
  cd "$WORK/attach"
  local t0=$SECONDS
  OUT=$(pty_up '
expect("polite-1    | polite ready")
expect("stubborn-1  | stubborn ready")
ctrl_c()
expect("Gracefully stopping")
expect("does not handle SIGTERM")
expect("s left before SIGKILL")
ctrl_c()
expect("Killed")
')
  [ -z "${SHOW:-}" ] || echo "$OUT" >&2
  [ $((SECONDS - t0)) -lt 15 ] || fail "the second Ctrl-C did not kill at once ($((SECONDS - t0)) s)"
  assert_contains "$OUT" "stubborn-1: PID 1 (\`sleep\`) does not handle SIGTERM"
  assert_contains "$OUT" "add \`init: true\`"
  assert_contains "$OUT" "EXIT=130"
  # Stopped, not removed, and the restart policy did not bring them back.
  assert_eq "$(rt_status attach-polite-1)" exited
  assert_eq "$(rt_status attach-stubborn-1)" exited
  assert_exit 0 cc down
  assert_no_residue
}

test_ctrl_c_while_waiting_for_a_dependency_stops_what_started() {
  eng_setup waitint
  load_images busybox
  project waitint <<'YAML'
services:
  db:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 1000}
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    depends_on: {db: {condition: service_healthy}}
YAML
  cd "$WORK/waitint"
  OUT=$(pty_up '
expect("waitint-db-1")
time.sleep(0.5)
ctrl_c()
expect("Gracefully stopping")
')
  assert_contains "$OUT" "interrupted while waiting for container waitint-db-1"
  assert_contains "$OUT" "EXIT=130"
  assert_eq "$(rt_status waitint-db-1)" exited
  assert_exit 0 cc down
  assert_no_residue
}

# `attach: false` leaves a service out of up's stream, as Compose does.
test_attach_ends_when_every_container_exits() {
  eng_setup attachend
  load_images busybox
  project attachend <<'YAML'
services:
  job:
    image: busybox:1.35
    command: ["sh", "-c", "for i in 1 2 3; do echo line $$i; done"]
  quiet:
    image: busybox:1.35
    attach: false
    command: ["echo", "quiet-line"]
YAML
  cd "$WORK/attachend"
  assert_exit 0 timeout 30 nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" --ansi never up --no-log-prefix
  assert_contains "$OUT" "line 1
line 2
line 3"
  # `attach: false` (Compose): the service runs, up's stream leaves it out.
  assert_not_contains "$OUT" quiet-line
  assert_exit 0 cc logs quiet
  assert_contains "$OUT" quiet-line
  assert_exit 0 cc down
  assert_no_residue
}

# `ccompose attach`: output from now on, a Ctrl-C passed to the container,
# and the container's exit code; with --sig-proxy=false Ctrl-C detaches.
test_attach_command_proxies_signals_and_returns_the_exit_code() {
  eng_setup attachcmd
  load_images busybox
  project attachcmd <<'YAML'
services:
  t:
    image: busybox:1.35
    command: ["sh", "-c", "trap 'echo got-int; exit 9' INT; i=0; while true; do i=$$((i+1)); echo tick-$$i; sleep 0.1; done"]
YAML
  cd "$WORK/attachcmd"
  assert_exit 0 cc up -d
  # Detach first: the container must keep running.
  # nsenter execs ccompose, so $! is ccompose itself (a function or
  # subshell would take the signal instead).
  nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" attach --sig-proxy=false t >"$WORK/detached" 2>&1 &
  local pid=$!
  defer "kill $pid 2>/dev/null"
  wait_for 10 "output while attached" grep -q tick- "$WORK/detached"
  kill -INT "$pid"
  wait "$pid"
  assert_eq "$?" 0
  assert_eq "$(rt_status attachcmd-t-1)" running
  # Proxied: the container gets SIGINT, and its exit code is ours.
  nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" attach t >"$WORK/attached" 2>&1 &
  pid=$!
  defer "kill $pid 2>/dev/null"
  wait_for 10 "output while attached" grep -q tick- "$WORK/attached"
  kill -INT "$pid"
  local code=0
  wait "$pid" || code=$?
  assert_eq "$code" 9
  assert_contains "$(cat "$WORK/attached")" got-int
  assert_eq "$(rt_status attachcmd-t-1)" exited
  # Only what came after attaching: not the first tick of the container.
  if grep -qx tick-1 "$WORK/attached"; then fail "attach replayed old output"; fi
  assert_exit 0 cc down -t 0
  assert_no_residue
}

run_tests
