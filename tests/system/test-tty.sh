#!/usr/bin/env bash
# `tty` and `stdin_open` (issue 15): PID 1 on a pty of the container's own
# devpts whose master the monitor keeps, or a stdin pipe it keeps open;
# the output in the logs, `attach` reaching it with keystrokes, window
# size and the detach keys; and what must not cross: nothing of the
# attaching terminal gets into the container, TIOCSTI only types into the
# container's own terminal, output is never interpreted by the client.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

make -s -C "$TOP" build/escape-payload >/dev/null 2>&1 || { echo "cannot build the escape payload" >&2; exit 1; }

tty_project() {
  eng_setup "$1"
  load_images busybox
  project "$1" <<YAML
services:
  term:
    image: busybox:1.35
    tty: true
    stdin_open: true
    command: ["sh"]
    volumes:
      - $TOP/build/escape-payload:/escape:ro
  pipe:
    image: busybox:1.35
    stdin_open: true
    command: ["sh", "-c", "while read l; do echo got-\$\$l; done"]
  out:
    image: busybox:1.35
    tty: true
    command: ["sh", "-c", "tty; echo out-ready; exec sleep 300"]
  once:
    image: busybox:1.35
    tty: true
    profiles: [once]
    command: ["sh", "-c", "echo once-\$\$((40 + 2)) on \$\$(tty)"]
YAML
  cd "$WORK/$1" || fail "cd"
}

# on_pty SCRIPT CMD...: CMD on a pseudo-terminal of 24x80; SCRIPT is
# python acting on it: send(bytes), expect(text), resize(rows, cols),
# exited() (its exit code once it ended, within 10 s).  Prints the
# transcript and the exit code.
on_pty() {
  local script=$1
  shift
  python3 - "$script" "$@" <<'PY'
import fcntl, os, pty, select, struct, sys, termios, time
script, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""
def resize(rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
def pump(t):
    global out
    r, _, _ = select.select([fd], [], [], t)
    if r:
        try:
            out += os.read(fd, 65536)
        except OSError:
            return False
    return True
def expect(text, timeout=15):
    end = time.time() + timeout
    while text.encode() not in out and time.time() < end:
        if not pump(0.05):
            break
    if text.encode() not in out:
        sys.stdout.write(out.decode(errors="replace"))
        sys.exit("timed out waiting for %r" % text)
def send(b):
    os.write(fd, b)
def exited(timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        pump(0.05)
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            while pump(0):
                if not select.select([fd], [], [], 0)[0]:
                    break
            return os.waitstatus_to_exitcode(st)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit("still running after %ss" % timeout)
resize(24, 80)
exec(script)
sys.stdout.write(out.decode(errors="replace"))
PY
}

attach_cmd() { echo nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" attach "$@"; }

# What must not cross, typed at a root bash on a terminal that attaches:
# PID 1's stdio and controlling terminal are the container's /dev/pts/0
# (its own devpts instance, not the host's), no descriptor of the
# client's terminal reaches the container, TIOCSTI types only into the
# container's terminal (never into the host's shell: the payload says
# ESCAPED as it pushed into its own one), and output is
# bytes: escape sequences, even the detach keys, pass through untouched
# and neither detach the client nor make it act.
tty_attach_escapes_nothing() {
  local marker=$WORK/typed-by-the-container
  local script
  script=$(cat <<'PY'
import os
send(b"PS1='host''-shell$ '; " + os.environ["ATTACH"].encode() + b"\n")
# Read by attach once bash ran it, and typed into the container's shell.
send(b"echo attached-$((3 * 3))\n")
expect("attached-9")
send(b"/escape stdio leaked-fds session tiocsti --inject 'touch %s; touch /tmp/pushed-$((1 + 1))'\n"
     % os.environ["MARKER"].encode())
expect("session:")
# Its pushes are in the terminal's queue only once it says so: typing
# before that would mix our keys into the pushed line.
expect("tiocsti: ")
# Escape sequences, and the detach keys, as output.
send(b"printf '\\033]0;title\\007\\033[6n\\020\\021after-%s\\n' keys\n")
expect("after-keys")
send(b"echo still-$((2 + 2))-attached\n")
expect("still-4-attached")
send(b"\x10\x11")
expect("host-shell$ ")
send(b'echo "shell-$((40 + 2))-read-on"\n')
expect("shell-42-read-on")
send(b"exit\n")
exited()
PY
)
  OUT=$(ATTACH="$(attach_cmd term)" MARKER=$marker on_pty "$script" bash --norc --noprofile -i) ||
    fail "bash on a pty: $OUT"
  [ ! -e "$marker" ] || fail "the container typed into the host's shell: $OUT"
  assert_contains "$OUT" "blocked stdio: fd 0 -> /dev/pts/0; fd 1 -> /dev/pts/0; fd 2 -> /dev/pts/0;"
  assert_contains "$OUT" "blocked leaked-fds"
  assert_contains "$OUT" "blocked session"
  assert_contains "$OUT" $'\033]0;title\007\033[6n\020\021after-keys'
  # TIOCSTI typed into the container's own terminal, and ran there.
  wait_for 10 "the pushed command in the container" cc exec -T term test -e /tmp/pushed-2
  # Its own devpts: a new instance (ptmxmode), not the host's device.
  assert_exit 0 cc exec -T term sh -c 'stat -c %d /dev/pts/0 /dev/pts/ptmx; grep " /dev/pts " /proc/self/mountinfo'
  local -a devs
  mapfile -t devs <<<"$OUT"
  assert_eq "${devs[0]}" "${devs[1]}" "/dev/pts/0 on the container's devpts"
  [ "${devs[0]}" != "$(stat -c %d /dev/pts/ptmx)" ] || fail "the container's devpts is the host's"
  assert_contains "$OUT" "ptmxmode=666"
}

# tty: the output is logged (one stream, as Docker's), PID 1's terminal
# is the container's /dev/pts/0; `attach` types into it, follows the
# window size, and the detach keys (default or --detach-keys) leave it
# running; `up` shows it; stdin_open without tty keeps a pipe open that
# one attach after another writes into; then what must not cross
# (tty_attach_escapes_nothing), on the same project.
test_tty_and_stdin_open_reach_pid_1_through_attach() {
  tty_project ttyattach
  assert_exit 0 cc up -d
  wait_for 10 "out's first lines" sh -c "cd '$WORK/ttyattach' && nsenter --net=/run/netns/$HOSTNS '$CCOMPOSE' logs out | grep -q out-ready"
  assert_exit 0 cc logs --no-log-prefix out
  assert_contains "$OUT" "/dev/pts/0"
  # Keystrokes, the window size now and after a resize, ctrl-p ctrl-q.
  OUT=$(on_pty '
send(b"stty size; tty\n")
expect("24 80")
expect("/dev/pts/0")
resize(40, 120)
send(b"stty size\n")
expect("40 120")
send(b"echo typed-$((6 * 7))\n")
expect("typed-42")
send(b"\x10\x11")
print("EXIT=%d" % exited())
' $(attach_cmd term)) || fail "attach: $OUT"
  assert_contains "$OUT" "EXIT=0"
  assert_eq "$(rt_status ttyattach-term-1)" running
  # A ctrl-p not followed by ctrl-q goes through; --detach-keys.
  OUT=$(on_pty '
send(b"echo again-\x10x-$((1 + 1))\n")
expect("again-")
expect("-2")
send(b"\x10\x11")
send(b"echo still-attached\n")
expect("still-attached")
send(b"\x01b")
print("EXIT=%d" % exited())
' $(attach_cmd --detach-keys ctrl-a,b term)) || fail "attach --detach-keys: $OUT"
  assert_contains "$OUT" "EXIT=0"
  assert_eq "$(rt_status ttyattach-term-1)" running
  # stdin_open: a pipe that outlives each attach.
  printf 'hello\n\x10\x11' | cc attach pipe || fail "attach pipe"
  wait_for 10 "the first line read" sh -c "cd '$WORK/ttyattach' && nsenter --net=/run/netns/$HOSTNS '$CCOMPOSE' logs pipe | grep -q got-hello"
  printf 'again\n\x10\x11' | cc attach pipe || fail "attach pipe again"
  wait_for 10 "the second line read" sh -c "cd '$WORK/ttyattach' && nsenter --net=/run/netns/$HOSTNS '$CCOMPOSE' logs pipe | grep -q got-again"
  assert_eq "$(rt_status ttyattach-pipe-1)" running
  # up attached shows a tty service's output; run -T gives no terminal.
  assert_exit 0 timeout 30 nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" --ansi never --profile once up --no-log-prefix once
  assert_contains "$OUT" "once-42 on /dev/pts/0"
  assert_exit 1 cc run --rm -T out tty
  assert_contains "$OUT" "not a tty"
  tty_attach_escapes_nothing
  assert_exit 0 cc --profile once down -t 0
  assert_no_residue
}

run_tests
