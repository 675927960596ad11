#!/usr/bin/env bash
# Logging drivers and options (issue 15): json-file's compress, labels,
# labels-regex, env, env-regex and tag; the local driver; none.  One
# shared `up` for every driver; `logs` reads each back as Docker's does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# The log file of container $1.
logfile() { echo "$CCOMPOSE_DATA_DIR/containers/$1/$1-json.log"; }

exited() {
  cc ps -a --format json | python3 -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
rows = rows[0] if len(rows) == 1 and isinstance(rows[0], list) else rows
sys.exit(0 if any(r.get('Name') == '$1' and r.get('State') == 'exited' for r in rows) else 1)"
}

# listen PROTO PORT FILE: a syslog receiver on the test namespace's
# loopback: udp writes each message as a JSON string line in FILE; tcp
# accepts and never reads (a sink that is stuck).
listen() {
  nsenter --net="/run/netns/$HOSTNS" python3 -c '
import json, socket, sys
proto, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    open(out + ".ready", "w").close()
    with open(out, "a") as f:
        while True:
            f.write(json.dumps(s.recv(1 << 20).decode("latin-1")) + "\n")
            f.flush()
s = socket.socket()
s.bind(("127.0.0.1", port))
s.listen(8)
open(out + ".ready", "w").close()
held = []
while True:
    held.append(s.accept()[0])
    open(out + ".accepted", "w").close()
' "$@" >/dev/null 2>&1 &
  defer "kill $!"
  wait_for 5 "the $1 receiver" test -e "$3.ready"
}

test_logging_drivers_and_options() {
  eng_setup logging
  load_images busybox
  listen udp 5514 "$WORK/udp"
  # The label and the variable try to forge a record's fields: attrs are
  # escaped as the text is.
  project lg <<'YAML'
services:
  json:
    image: busybox:1.35
    command: ["sh", "-c", "i=0; while [ $$i -lt 60 ]; do echo line-$$i; i=$$((i+1)); done"]
    labels:
      team: "blue\",\"stream\":\"stderr\"}\n{\"log\":\"forged"
      app.tier: web
      other: x
    environment:
      FOO: bar
      LOG_LEVEL: debug
      SECRET: s3cret
    logging:
      driver: json-file
      options:
        max-size: 1k
        max-file: "3"
        compress: "true"
        labels: team,missing
        labels-regex: "^app\\."
        env: FOO
        env-regex: "^LOG_"
        tag: "{{.Name}}/{{.ID}}/{{.ImageName}}"
  loc:
    image: busybox:1.35
    command: ["sh", "-c", "echo local-out; echo local-err >&2"]
    logging:
      driver: local
  nolog:
    image: busybox:1.35
    command: ["sh", "-c", "echo nothing-kept"]
    logging:
      driver: none
  sl:
    image: busybox:1.35
    command: ["sh", "-c", "echo sys-out; echo sys-err >&2; printf 'x\\r<0>1 - - - forged\\0y\\n'"]
    logging:
      driver: syslog
      options:
        syslog-address: udp://127.0.0.1:5514
        syslog-facility: local0
        syslog-format: rfc5424
        tag: "{{.Name}}"
  slnc:
    image: busybox:1.35
    command: ["sh", "-c", "echo uncached"]
    logging:
      driver: syslog
      options:
        syslog-address: udp://127.0.0.1:5514
        cache-disabled: "true"
YAML
  cd "$WORK/lg"
  assert_exit 0 cc up -d
  wait_for 10 "json to exit" exited lg-json-1
  wait_for 10 "loc to exit" exited lg-loc-1
  wait_for 10 "nolog to exit" exited lg-nolog-1
  wait_for 10 "sl to exit" exited lg-sl-1
  wait_for 10 "slnc to exit" exited lg-slnc-1

  # syslog: Docker's rfc5424 and rfc3164 messages, local0 = 16, info 6 /
  # err 3; the container's bytes cannot start a message of their own.
  local slid
  slid=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['containers']['lg-slnc-1']['id'][:12])" \
    "$CCOMPOSE_STATE_DIR/projects/lg/state.json") || fail "no id in the state"
  wait_for 5 "the syslog messages" grep -q uncached "$WORK/udp"
  python3 - "$WORK/udp" "$slid" "$(inh hostname)" <<'PY' || fail "syslog: $(cat "$WORK/udp")"
import json, re, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
sl = [m for m in msgs if " lg-sl-1 " in m]
head = r"^<(\d+)>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ " + re.escape(sys.argv[3]) + r" lg-sl-1 \d+ lg-sl-1 - "
got = {}
for m in sl:
    r = re.match(head + "(.*)$", m, re.S)
    assert r, m
    got[r.group(2)] = int(r.group(1))
assert got.get("sys-out") == 16 * 8 + 6, got
assert got.get("sys-err") == 16 * 8 + 3, got
assert got.get("x <0>1 - - - forged y") == 134, got
assert len(sl) == 3, sl
nc = [m for m in msgs if "uncached" in m]
assert len(nc) == 1 and re.match(r"^<30>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ " + sys.argv[2] + r"\[\d+\]: uncached$", nc[0]), nc
PY
  # Docker's dual logging: `logs` reads the cache, unless it is disabled.
  assert_exit 0 cc logs --no-log-prefix sl slnc
  assert_contains "$OUT" "sys-out"
  assert_contains "$OUT" "sys-err"
  assert_contains "$OUT" "Can't retrieve logs for \"lg-slnc-1\": configured logging driver does not support reading"
  assert_not_contains "$OUT" "uncached"

  # json-file: rotated files gzipped, every record has Docker's attrs.
  local log id
  log=$(logfile lg-json-1)
  [ -f "$log.1.gz" ] && [ -f "$log.2.gz" ] || fail "not rotated and compressed: $(ls "$(dirname "$log")")"
  [ -e "$log.1" ] || [ -e "$log.3.gz" ] && fail "an uncompressed or extra file: $(ls "$(dirname "$log")")"
  id=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['containers']['lg-json-1']['id'])" \
    "$CCOMPOSE_STATE_DIR/projects/lg/state.json") || fail "no id in the state"
  { zcat "$log.2.gz" "$log.1.gz"; cat "$log"; } >"$WORK/records"
  python3 - "$WORK/records" "$id" <<'PY' || fail "records: $(head -3 "$WORK/records")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs, "no records"
want = {"team": "blue\",\"stream\":\"stderr\"}\n{\"log\":\"forged", "app.tier": "web", "FOO": "bar",
        "LOG_LEVEL": "debug"}
for r in recs:
    assert list(r) == ["log", "stream", "attrs", "time"], r
    assert r["stream"] == "stdout", r
    a = dict(r["attrs"])
    tag = a.pop("tag")
    assert a == want, a
    name, short, image = tag.split("/")
    assert name == "lg-json-1" and len(short) == 12 and image == "busybox:1.35", tag
    assert sys.argv[2].startswith(short), (tag, sys.argv[2])
    assert list(r["attrs"]) == sorted(r["attrs"]), r["attrs"]
assert recs[-1]["log"] == "line-59\n", recs[-1]
PY
  # `logs` reads the compressed files too, oldest first.
  local first
  first=$(zcat "$log.2.gz" | head -1 | python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['log'].strip())")
  assert_exit 0 cc logs --no-log-prefix json
  assert_eq "$(echo "$OUT" | head -1)" "$first"
  assert_eq "$(echo "$OUT" | tail -1)" "line-59"
  assert_eq "$(echo "$OUT" | wc -l)" "$(wc -l <"$WORK/records")"
  assert_exit 0 cc logs --no-log-prefix --tail 2 json
  assert_eq "$OUT" "line-58
line-59"

  # local: kept and read back, both streams.
  assert_exit 0 cc logs --no-log-prefix loc
  assert_contains "$OUT" "local-out"
  assert_contains "$OUT" "local-err"
  assert_exit 0 cc logs --no-log-prefix --since 1h loc
  assert_contains "$OUT" "local-out"

  # none: nothing kept; `logs` warns as Docker Compose does and goes on.
  [ -s "$(logfile lg-nolog-1)" ] && fail "the none driver kept a log"
  grep -rq nothing-kept "$CCOMPOSE_DATA_DIR/containers/lg-nolog-1" 2>/dev/null && fail "output kept somewhere"
  assert_exit 0 cc logs nolog loc
  assert_contains "$OUT" "Can't retrieve logs for \"lg-nolog-1\": configured logging driver does not support reading"
  assert_contains "$OUT" "local-out"
  assert_not_contains "$OUT" "nothing-kept"
  assert_exit 0 cc down -t 0
}

monitor_rss_kb() {
  local pid
  pid=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['monitor_pid'])" \
    "$CCOMPOSE_STATE_DIR/containers/$1/state.json") || return 1
  awk '/^VmRSS/ {print $2}' "/proc/$pid/status"
}

cache_size() { stat -c %s "$(logfile "$1")" 2>/dev/null || echo 0; }
cache_over() { [ "$(cache_size "$1")" -gt "$2" ]; }

# The monitor, never the container, talks to the sink: one that reads
# nothing costs the monitor a bounded buffer (non-blocking: the rest is
# dropped, the container runs on), never a hang of `stop`; one that is
# not there fails the start, naming it, as Docker's does.
test_syslog_sink_stuck_or_gone() {
  # Under the sanitizer build ASan's quarantine keeps freed memory (256 MB
  # by default), so the monitor's RSS grew with the lines it had handled,
  # not with what it holds: 67-91 MB while a clean-clone CI loaded the
  # machine.  A small quarantine leaves the bound measuring our buffers.
  local -x ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4
  eng_setup logsink
  load_images busybox
  listen tcp 5601 "$WORK/tcp"
  project sk <<'YAML'
services:
  flood:
    image: busybox:1.35
    command: ["sh", "-c", "yes flood-flood-flood-flood-flood-flood-flood-flood"]
    logging:
      driver: syslog
      options: {syslog-address: "tcp://127.0.0.1:5601", mode: non-blocking, max-buffer-size: 64k,
                cache-max-size: 1m, cache-max-file: "2"}
  held:
    image: busybox:1.35
    command: ["sh", "-c", "yes held-held-held-held-held-held-held-held-held"]
    logging:
      driver: syslog
      options: {syslog-address: "tcp://127.0.0.1:5601"}
  gone:
    image: busybox:1.35
    command: ["true"]
    logging:
      driver: syslog
      options: {syslog-address: "tcp://127.0.0.1:5602"}
YAML
  cd "$WORK/sk"
  assert_exit 0 cc up -d flood held
  # Non-blocking: the output goes on to the cache long past the 64 KiB
  # the stuck sink holds (blocking: the container waits once the kernel's
  # socket buffers are full).
  wait_for 10 "flood to run past the stuck sink" cache_over sk-flood-1 300000
  local rss
  rss=$(monitor_rss_kb sk-flood-1) || fail "no monitor"
  [ "$rss" -lt 65536 ] || fail "the monitor holds ${rss} kB"
  rss=$(monitor_rss_kb sk-held-1) || fail "no monitor"
  [ "$rss" -lt 65536 ] || fail "the monitor of held holds ${rss} kB"
  local t0=$SECONDS
  assert_exit 0 cc stop -t 2
  [ $((SECONDS - t0)) -le 6 ] || fail "stop took $((SECONDS - t0)) s"
  assert_exit 1 cc up -d gone
  assert_contains "$OUT" "failed to connect to syslog \`tcp://127.0.0.1:5602\`"
  assert_exit 0 cc down -t 0
}

# Options a driver does not take are refused where they are written, as
# Docker's daemon refuses them.
test_logging_options_refused_at_their_position() {
  use_private_state logging-refused
  WORK=$(mktemp -d /tmp/cce-logref.XXXXXX)
  defer "rm -rf '$WORK'"
  mkdir "$WORK/p"
  printf 'services:\n  a:\n    image: busybox:1.35\n    logging:\n      driver: local\n      options: {labels: x}\n' \
    >"$WORK/p/compose.yaml"
  assert_exit 1 "$CCOMPOSE" -f "$WORK/p/compose.yaml" up -d
  assert_contains "$OUT" "compose.yaml:6:25: unknown log opt \`labels\` for local log driver"
}

run_tests
