#!/usr/bin/env bash
# `ccompose run` attached like `docker compose run`: stdin piped through
# (-T), a terminal of the container's own on a pseudo-terminal (window
# size, Ctrl-C to the container's foreground process, exit code, our
# terminal restored), -d and </dev/null unchanged, conflicting flags.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

run_setup() {
  eng_setup "$1"
  load_images busybox
  project "$1" <<'YAML'
services:
  svc:
    image: busybox:1.35
    command: ["sleep", "60"]
YAML
  cd "$WORK/$1"
}

# pty_cc SCRIPT ARGS...: `ccompose ARGS` on a pseudo-terminal of 30x100;
# SCRIPT is python acting on it (expect, send, resize); prints the
# transcript, EXIT=<status> and whether the terminal's mode came back.
pty_cc() {
  local script=$1
  shift
  python3 - "$HOSTNS" "$CCOMPOSE" "$script" "$@" <<'PY'
import fcntl, os, pty, select, signal, struct, sys, termios, time
ns, ccompose, script = sys.argv[1:4]
args = sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("nsenter", ["nsenter", "--net=/run/netns/" + ns, ccompose] + args)
def resize(rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
resize(30, 100)
# The mode the CLI found (read before it had the time to change it), to
# compare with the one it leaves.
before = termios.tcgetattr(fd)
out = b""
def pump(t=0.1):
    global out
    r, _, _ = select.select([fd], [], [], t)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return False
        if not chunk:
            return False
        out += chunk
    return True
def expect(text, timeout=20):
    end = time.time() + timeout
    while text.encode() not in out:
        if time.time() > end:
            sys.stdout.write(out.decode(errors="replace"))
            sys.exit("timed out waiting for %r" % text)
        if not pump():
            break
    if text.encode() not in out:
        sys.stdout.write(out.decode(errors="replace"))
        sys.exit("ended before %r" % text)
def send(text):
    os.write(fd, text.encode())
exec(script)
status = None
end = time.time() + 30
while time.time() < end:
    alive = pump()
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
if status is None:
    os.kill(pid, 9)
    _, st = os.waitpid(pid, 0)
    status = "timeout"
while pump(0):
    pass
after = termios.tcgetattr(fd)
sys.stdout.write(out.decode(errors="replace"))
print("\nEXIT=%s" % status)
print("MODE=%s" % ("restored" if before == after else "changed: %r -> %r" % (before, after)))
PY
}

test_piped_stdin_and_exit_code() {
  run_setup runpipe
  local out rc
  out=$(printf 'a\nb\n' | cc run --rm -T svc sh -c 'cat; exit 3')
  rc=$?
  assert_eq "$rc" 3 "exit code of the command"
  assert_eq "$out" "$(printf 'a\nb')" "stdin reached the container"
  # Without -T, stdin not a terminal: still attached, no terminal.
  out=$(echo hello | cc run --rm svc sh -c 'cat; [ -t 0 ] && echo tty || echo notty')
  assert_eq "$out" "$(printf 'hello\nnotty')"
  # Stdin at EOF at once: the command reads nothing and goes on.
  out=$(cc run --rm svc sh -c 'cat; echo after' </dev/null)
  assert_eq "$out" "after"
  # A large input arrives whole, EOF included.
  out=$(head -c 300000 /dev/zero | tr '\0' x | cc run --rm -T svc wc -c)
  assert_eq "$(echo $out)" 300000
  # -i=false: stdin is not attached.
  out=$(echo ignored | cc run --rm --interactive=false svc sh -c 'cat; echo done')
  assert_eq "$out" "done"
  assert_exit 0 cc down
  assert_no_residue
}

test_terminal_tty_size_exit_and_mode() {
  run_setup runtty
  OUT=$(pty_cc '
expect("# ")
send("tty; stty size\r")
expect("/dev/pts/")
expect("30 100")
resize(40, 120)
time.sleep(0.3)
send("stty size\r")
expect("40 120")
send("exit 5\r")
' run --rm svc sh)
  [ -z "${SHOW:-}" ] || echo "$OUT" >&2
  assert_contains "$OUT" "/dev/pts/0"
  assert_contains "$OUT" "30 100"
  assert_contains "$OUT" "40 120"
  assert_contains "$OUT" "EXIT=5"
  assert_contains "$OUT" "MODE=restored"
  # --rm removed it.
  assert_eq "$(ls "$CCOMPOSE_STATE_DIR/containers" 2>/dev/null | grep -c run)" 0
  # The terminal's output is in the container's log, as in Docker.
  OUT=$(pty_cc '
expect("# ")
send("echo logged-$((6*7))\r")
expect("logged-42")
send("exit\r")
' run --name runtty-kept svc sh)
  assert_contains "$OUT" "EXIT=0"
  assert_contains "$("$CCOMPOSE" runtime logs runtty-kept)" "logged-42"
  assert_exit 0 cc down
  assert_no_residue
}

# A signal to the CLI goes to PID 1 (Docker's sig-proxy), with or without
# a terminal; the CLI returns the container's code, the terminal restored.
test_signals_to_the_cli_reach_pid_1() {
  run_setup runsig
  OUT=$(pty_cc '
expect("ready")
os.kill(pid, signal.SIGTERM)
expect("got-term")
' run --rm svc sh -c 'trap "echo got-term; exit 6" TERM; echo ready; while :; do sleep 0.1; done')
  [ -z "${SHOW:-}" ] || echo "$OUT" >&2
  assert_contains "$OUT" "EXIT=6"
  assert_contains "$OUT" "MODE=restored"
  # Without a terminal (-T) too, while the output streams from the log.
  # nsenter execs ccompose, so $! is the CLI itself.
  nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" run --rm -T svc \
    sh -c 'trap "echo got-int; exit 7" INT; echo ready; while :; do sleep 0.1; done' >"$WORK/out" 2>&1 </dev/null &
  local pid=$! code=0
  defer "kill -9 $pid 2>/dev/null"
  wait_for 20 "the command's output" grep -q ready "$WORK/out"
  kill -INT "$pid"
  wait "$pid" || code=$?
  assert_eq "$code" 7 "exit code after a proxied SIGINT"
  assert_contains "$(cat "$WORK/out")" got-int
  assert_exit 0 cc down
  assert_no_residue
}

# The CLI killed: the program keeps its terminal and runs on, logged.
test_terminal_outlives_a_killed_cli() {
  run_setup runkill
  OUT=$(pty_cc '
expect("started")
os.kill(pid, 9)
' run --name runkill-one svc sh -c 'echo started; sleep 1; echo after-cli; sleep 30')
  [ -z "${SHOW:-}" ] || echo "$OUT" >&2
  assert_contains "$OUT" "EXIT=-9"
  wait_for 10 "output after the CLI died" sh -c "'$CCOMPOSE' runtime logs runkill-one | grep -q after-cli"
  assert_eq "$(rt_status runkill-one)" running
  assert_eq "$(ls -A "$CCOMPOSE_STATE_DIR/containers" | grep -c attach)" 0
  assert_exit 0 cc down -t 0
  assert_no_residue
}

test_ctrl_c_reaches_the_foreground_process() {
  run_setup runint
  local t0=$SECONDS
  OUT=$(pty_cc '
expect("# ")
send("sleep 30\r")
time.sleep(0.5)
send("\x03")
send("echo rc=$?\r")
expect("rc=130")
send("echo still here\r")
expect("still here")
send("exit\r")
' run --rm svc sh)
  [ -z "${SHOW:-}" ] || echo "$OUT" >&2
  [ $((SECONDS - t0)) -lt 20 ] || fail "Ctrl-C did not interrupt sleep"
  assert_contains "$OUT" "rc=130"
  assert_contains "$OUT" "EXIT=0"
  assert_contains "$OUT" "MODE=restored"
  assert_exit 0 cc down
  assert_no_residue
}

# `exec -t` shares the terminal code with run: a tty of the container's,
# the window size, the exit code, our terminal restored.
test_exec_terminal_shares_the_relay() {
  run_setup runexec
  assert_exit 0 cc up -d
  OUT=$(pty_cc '
expect("# ")
send("tty; stty size; exit 7\r")
' exec svc sh)
  [ -z "${SHOW:-}" ] || echo "$OUT" >&2
  assert_contains "$OUT" "/dev/pts/"
  assert_contains "$OUT" "30 100"
  assert_contains "$OUT" "EXIT=7"
  assert_contains "$OUT" "MODE=restored"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

test_detach_and_flags() {
  run_setup rundet
  local name out
  # -d: detached, stdin /dev/null even with -t (Docker allows -d -t).
  name=$(echo unread | cc run -d -t svc sh -c 'cat; echo eof; sleep 30')
  [ -n "$name" ] || fail "no name printed"
  wait_for 10 "detached output" sh -c "'$CCOMPOSE' runtime logs '$name' 2>/dev/null | grep -q eof"
  out=$("$CCOMPOSE" runtime logs "$name" 2>&1)
  assert_not_contains "$out" "unread"
  assert_eq "$(rt_status "$name")" running
  # A terminal forced without one: the command sees a tty, output relayed.
  out=$(echo 'echo typed' | cc run --rm -t svc sh -c '[ -t 0 ] && echo has-tty; read l; echo "got $l"' 2>&1)
  assert_contains "$out" "has-tty"
  assert_contains "$out" "got echo typed"
  # Conflicting and malformed flags are usage errors; nothing is created.
  OUT=$(cc run -t -T svc true 2>&1)
  assert_eq "$?" 2
  assert_contains "$OUT" "--tty and --no-TTY can't be used together"
  OUT=$(cc run --interactive=maybe svc true 2>&1)
  assert_eq "$?" 2
  assert_contains "$OUT" "invalid --interactive value"
  assert_eq "$(ls -A "$CCOMPOSE_STATE_DIR/containers" | grep -c run)" 1
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# Hostile input: binary stdin arrives byte for byte; endless input to a
# command that closes its stdin does not hang; a missing command with a
# terminal asked for fails at once, leaving nothing behind.
test_binary_endless_and_failing_input() {
  run_setup runhostile
  local want got out rc
  # timeout runs a program, not the cc function.
  local ccx=(timeout 20 nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE")
  head -c 200000 /dev/urandom >"$WORK/blob"
  want=$(md5sum <"$WORK/blob" | cut -d' ' -f1)
  got=$(cc run --rm -T svc md5sum <"$WORK/blob" | cut -d' ' -f1)
  assert_eq "$got" "$want" "binary stdin"
  out=$("${ccx[@]}" run --rm -T svc sh -c 'exec 0<&-; echo closed; exit 4' </dev/zero)
  rc=$?
  assert_eq "$rc" 4 "endless stdin, stdin closed by the command"
  assert_eq "$out" closed
  out=$(echo | "${ccx[@]}" run --rm -t svc /nonexistent 2>&1)
  rc=$?
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "missing command: exit $rc"
  assert_contains "$out" "exec: \`/nonexistent\` in the container"
  assert_eq "$(ls -A "$CCOMPOSE_STATE_DIR/containers" | grep -c -e run -e attach)" 0
  assert_exit 0 cc down
  assert_no_residue
}

# Images that repeat a layer (BuildKit's empty layers; an A, B, A stack)
# run: overlayfs refuses one directory twice ("Too many levels of
# symbolic links"), and the tree equals the layers applied in order.
test_image_with_repeated_layers_runs() {
  eng_setup runrepeat
  load_images busybox
  python3 "$TOP/tests/system/image-fixtures.py" repeated "$WORK/repeat" "$TOP/samples/images/out/busybox" ||
    fail fixture
  "$CCOMPOSE" image load -q -i "$WORK/repeat" || fail "load the repeated-layer images"
  project runrepeat <<'YAML'
services:
  empty:
    image: repeat-empty
  aba:
    image: repeat
YAML
  cd "$WORK/runrepeat" || fail cd
  local out
  out=$(cc run --rm -T empty echo ran 2>"$WORK/err") || fail "empty layer twice: $(cat "$WORK/err")"
  assert_eq "$out" ran
  # A, B, A: A's f wins over B's, A's a-only is back after B deleted it,
  # B's own file stays.
  out=$(cc run --rm -T aba sh -c 'cat /r/f /r/a-only /r/b-only' 2>"$WORK/err") || fail "A, B, A: $(cat "$WORK/err")"
  assert_eq "$out" "$(printf 'A\na\nb')"
  assert_exit 0 cc down
  assert_no_residue
}

run_tests
