#!/usr/bin/env bash
# The monitor's relay of ports on ::1 (issue 17, runtime/proxy.c) is a
# way into and out of a container, with untrusted peers on both sides: a
# container that accepts and never reads while a client floods it, and
# more connections than the relay takes, cost the monitor bounded memory
# and hold up none of its other work (logs flow, `stop` is prompt); none
# of the relay's descriptors is inside the container.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

PY=/usr/bin/python3

# flood PORT N SECONDS OUT: N connections to [::1]:PORT, each pushed
# into until it takes no more, held open; OUT gets the bytes pushed.
flood() {
  # nsenter execs the program: its pid is the one to kill.
  nsenter --net="/run/netns/$HOSTNS" "$PY" - "$@" >/dev/null 2>&1 <<'PYEOF' &
import socket, sys, time
port, n, secs, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
socks, pushed, chunk = [], 0, b"x" * 65536
for _ in range(n):
    s = socket.socket(socket.AF_INET6)
    s.settimeout(5)
    s.connect(("::1", port))
    s.setblocking(False)
    socks.append(s)
deadline = time.time() + secs
while time.time() < deadline:
    for s in socks:
        try:
            pushed += s.send(chunk)
        except (BlockingIOError, ConnectionError):
            pass
open(out + ".tmp", "w").write(str(pushed))
import os; os.rename(out + ".tmp", out)
time.sleep(600)
PYEOF
  FLOOD_PID=$!
  defer "kill $FLOOD_PID"
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
last_tick() { cc logs sink 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "tick") n = $(i + 1)} END {print n + 0}'; }
tick_after() { [ "$(last_tick)" -gt "$1" ]; }

# Socket inodes of PID's descriptors.
sockets_of() { ls -l "/proc/$1/fd" 2>/dev/null | grep -o 'socket:\[[0-9]*\]' | sort -u; }

test_relay_bounds_a_container_that_never_reads() {
  eng_setup relayx
  load_images busybox
  project rx <<'YAML'
services:
  sink:
    image: busybox:1.35
    command: ["sh", "-c", "nc -ll -p 9000 -e sleep 600 & i=0; while :; do i=$$((i+1)); echo tick $$i; sleep 0.2; done"]
    ports: ["[::1]:18495:9000"]
YAML
  cd "$WORK/rx"
  assert_exit 0 cc up -d
  local state="$CCOMPOSE_STATE_DIR/containers/rx-sink-1/state.json" mon pid before after ns p t0 n
  mon=$(jq -r .monitor_pid "$state")
  pid=$(jq -r .pid "$state")
  wait_for 5 "nc listening in sink" cc exec sink sh -c 'netstat -ltn | grep -q ":9000 "'
  before=$(rss_kb "$mon")
  # 100 connections, more than the relay's 64, each pushed into for 3 s.
  flood 18495 100 3 "$WORK/pushed"
  wait_for 20 "the flood pushed" test -s "$WORK/pushed"
  [ "$(cat "$WORK/pushed")" -gt $((4 << 20)) ] || fail "only $(cat "$WORK/pushed") bytes pushed"
  after=$(rss_kb "$mon")
  [ $((after - before)) -lt $((16 << 10)) ] || fail "the monitor grew from $before to $after kB"
  # The monitor still pumps the logs while every connection is stuck.
  n=$(last_tick)
  wait_for 5 "a log line after tick $n" tick_after "$n"
  # No descriptor of the relay (its listener, its connections) is held by
  # any process of the container.
  ns=$(readlink "/proc/$pid/ns/net")
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$ns" ] || continue
    if [ -n "$(comm -12 <(sockets_of "${p#/proc/}") <(sockets_of "$mon"))" ]; then
      fail "process ${p#/proc/} in the container holds a socket of the relay"
    fi
  done
  # `stop` is prompt, and the relay's port goes with the monitor.
  t0=$SECONDS
  assert_exit 0 cc stop -t 1 sink
  [ $((SECONDS - t0)) -le 5 ] || fail "stop took $((SECONDS - t0)) s"
  wait_for 5 "the relay's port closed" sh -c "! nsenter --net=/run/netns/$HOSTNS ss -Hltn 'sport = :18495' | grep -q ."
  assert_exit 0 cc down -t 0
  assert_no_residue
}

run_tests
