#!/usr/bin/env bash
# Issue 15's flags, with Docker Compose's semantics: `ps --filter`,
# `--no-trunc`, Go templates and Docker's JSON fields with the
# com.docker.compose.* labels, `ls --filter name=`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

once_exited() { [ "$(cc ps --filter status=exited --format '{{.Name}}')" = flags-once-1 ]; }

# One `up` serves every ps check.
test_ps_filters_formats_and_compose_labels() {
  eng_setup flags
  load_images busybox
  project flags <<'YAML'
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    labels: {team: a}
    depends_on: [db]
    volumes: [data:/data, ./conf:/conf]
  db:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "sleep 60; echo a long command line past twenty characters"]
  once:
    image: busybox:1.35
    command: ["sh", "-c", "exit 3"]
volumes:
  data: {}
YAML
  mkdir -p "$WORK/flags/conf"
  cd "$WORK/flags"
  assert_exit 0 cc up -d
  wait_for 10 "once to exit" once_exited

  # -q: Docker's whole container ids, one per running container.
  assert_exit 0 cc ps -q
  [ "$(grep -cE '^[0-9a-f]{64}$' <<<"$OUT")" = 2 ] || fail "ps -q does not print two 64-hex ids: $OUT"

  # Docker's JSON fields; the id cut to 12, the command quoted and cut to 20.
  local json
  json=$(cc ps --format json --filter service=web 2>/dev/null)
  python3 - "$json" "$WORK/flags" <<'PY' || fail "ps --format json: $json"
import json, re, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines()]
assert len(rows) == 1, rows
r = rows[0]
for k in ["ID", "Name", "Names", "Image", "Command", "Project", "Service", "State", "Status", "Health",
          "ExitCode", "Publishers", "Labels", "Mounts", "LocalVolumes", "Networks", "CreatedAt",
          "RunningFor", "Ports", "Size"]:
    assert k in r, k
assert re.fullmatch(r"[0-9a-f]{12}", r["ID"]), r["ID"]
assert r["Name"] == r["Names"] == "flags-web-1", r
assert r["Command"] == '"sleep 60"', r["Command"]
labels = dict(kv.split("=", 1) for kv in r["Labels"].split(","))
want = {
    "team": "a",
    "com.docker.compose.project": "flags",
    "com.docker.compose.service": "web",
    "com.docker.compose.container-number": "1",
    "com.docker.compose.oneoff": "False",
    "com.docker.compose.depends_on": "db:service_started:false",
    "com.docker.compose.project.working_dir": sys.argv[2],
    "com.docker.compose.project.config_files": sys.argv[2] + "/compose.yaml",
    "com.docker.compose.version": "0.1.0",
}
for k, v in want.items():
    assert labels.get(k) == v, (k, labels.get(k), v)
assert re.fullmatch(r"[0-9a-f]{64}", labels["com.docker.compose.config-hash"]), labels
assert labels["com.docker.compose.image"].startswith("sha256:"), labels
mounts = r["Mounts"].split(",")
assert "flags_data" in mounts and any(m.startswith("/") and m.endswith("\u2026") for m in mounts), mounts
assert r["LocalVolumes"] == "1", r["LocalVolumes"]
assert r["Networks"] == "flags_default", r["Networks"]
PY
  # --no-trunc: the whole id and command.
  json=$(cc ps --format json --no-trunc --filter service=db 2>/dev/null)
  python3 -c '
import json, re, sys
r = json.loads(sys.argv[1])
assert re.fullmatch(r"[0-9a-f]{64}", r["ID"]), r["ID"]
assert r["Command"] == "\"sh -c sleep 60; echo a long command line past twenty characters\"", r["Command"]
' "$json" || fail "ps --no-trunc: $json"
  assert_exit 0 cc ps --filter service=db
  assert_contains "$OUT" '"sh -c sleep 60; ech…"'

  # Go templates, with and without a table.
  assert_exit 0 cc ps --format '{{.Name}} {{.Service}} {{.Label "com.docker.compose.container-number"}}'
  assert_eq "$OUT" "flags-db-1 db 1
flags-web-1 web 1"
  assert_exit 0 cc ps --format 'table {{.Name}}\t{{.State}}' --filter service=web
  assert_eq "$(head -1 <<<"$OUT" | tr -s ' ')" "NAME STATE"
  assert_contains "$OUT" "flags-web-1"

  # Filters: status (as Docker's values, -a implied), service, label; one
  # key twice is either, two keys are both.
  assert_exit 0 cc ps --filter status=exited --format '{{.Name}} {{.ExitCode}}'
  assert_eq "$OUT" "flags-once-1 3"
  assert_exit 0 cc ps --filter status=running --filter status=exited --format '{{.Name}}'
  assert_eq "$OUT" "flags-db-1
flags-once-1
flags-web-1"
  assert_exit 0 cc ps --filter label=team --format '{{.Name}}'
  assert_eq "$OUT" "flags-web-1"
  assert_exit 0 cc ps --filter label=team=b --format '{{.Name}}'
  assert_eq "$OUT" ""
  assert_exit 0 cc ps -a --filter label=com.docker.compose.service=once --format '{{.Name}}'
  assert_eq "$OUT" "flags-once-1"
  assert_exit 0 cc ps --filter service=db --filter status=exited --format '{{.Name}}'
  assert_eq "$OUT" ""
  local bad
  for bad in "--filter status=sleeping" "--filter status" "--filter bogus=1" "--filter label="; do
    # shellcheck disable=SC2086
    assert_exit 2 cc ps $bad
  done
  assert_exit 1 cc ps --format '{{.Nope'
  assert_contains "$OUT" "template"

  # ls --filter name=: a regular expression, as Docker matches it.
  assert_exit 0 cc ls --filter 'name=^fl.gs$' --format json
  assert_contains "$OUT" '"Name":"flags"'
  assert_exit 0 cc ls --filter name=nomatch -q
  assert_eq "$OUT" ""
  assert_exit 2 cc ls --filter status=running
  assert_exit 2 cc ls --filter 'name=('
  assert_exit 0 cc down -v -t 0
  assert_no_residue
}

run_tests
