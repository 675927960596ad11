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

test_logging_drivers_and_options() {
  eng_setup logging
  load_images busybox
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
YAML
  cd "$WORK/lg"
  assert_exit 0 cc up -d
  wait_for 10 "json to exit" exited lg-json-1
  wait_for 10 "loc to exit" exited lg-loc-1
  wait_for 10 "nolog to exit" exited lg-nolog-1

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
