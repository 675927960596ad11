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

running_are() { [ "$(cc ps --format '{{.Name}}' --filter status=running 2>/dev/null)" = "$1" ]; }
pid_of() { cc ps --format '{{.Pid}}' "$1" 2>/dev/null; }
web_resolves_twice() { [ "$(cc exec -T db nslookup web 2>/dev/null | grep -c '^Address: 10\.')" = 2 ]; }

# up -V, start --wait, restart --no-deps, kill --remove-orphans and run's
# container options over one project.
test_up_start_restart_kill_and_run_flags() {
  eng_setup flags2
  load_images busybox
  project flags2 <<'YAML'
services:
  db:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "rm -f /tmp/ready; sleep 2; touch /tmp/ready; exec sleep 60"]
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 200ms, retries: 30}
  web:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    depends_on: {db: {condition: service_started, restart: true}}
    volumes: [/anon]
  extra:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
YAML
  mkdir -p "$WORK/flags2/data" && echo mounted >"$WORK/flags2/data/f"
  cd "$WORK/flags2"
  assert_exit 0 cc up -d

  # exec: a program that is not there is 126 as in Docker, 127 from a shell.
  assert_exit 126 cc exec -T web /no/such/program
  assert_contains "$OUT" "/no/such/program"
  assert_exit 127 cc exec -T web sh -c /no/such/program

  # -V: a new container, so a new anonymous volume.
  assert_exit 0 cc exec -T web sh -c 'echo kept >/anon/f'
  assert_exit 0 cc up -d -V web
  assert_contains "$OUT" "Recreated"
  assert_exit 1 cc exec -T web cat /anon/f

  # restart takes along the services that depend on it with restart: true;
  # --no-deps only what it names.
  local web_pid
  web_pid=$(pid_of web)
  assert_exit 0 cc restart --no-deps -t 0 db
  assert_eq "$(pid_of web)" "$web_pid" "restart --no-deps restarted web"
  assert_exit 0 cc restart -t 0 db
  [ "$(pid_of web)" != "$web_pid" ] || fail "restart db did not restart web"

  # start --wait returns once the healthcheck passes.
  assert_exit 0 cc stop -t 0 db
  assert_exit 0 cc start --wait --wait-timeout 20 db
  assert_eq "$(cc ps --format '{{.Health}}' db 2>/dev/null)" healthy
  assert_exit 0 cc stop -t 0 db
  assert_exit 1 cc start --wait --wait-timeout 1 db
  assert_contains "$OUT" "not ready"

  # run: --entrypoint split as a shell would, -v, --cap-add, --cap-drop.
  assert_exit 0 cc run --rm --no-deps -v "$WORK/flags2/data:/mnt:ro" --cap-add NET_ADMIN --cap-drop CHOWN \
    --pull never --entrypoint "sh -c 'echo \"EP \$0\"; cat /mnt/f; grep CapEff /proc/self/status'" web one
  assert_contains "$OUT" "EP one"
  assert_contains "$OUT" "mounted"
  python3 -c '
import re, sys
caps = int(re.search(r"CapEff:\s*([0-9a-f]+)", sys.argv[1]).group(1), 16)
assert caps & (1 << 12), "no NET_ADMIN"
assert not caps & 1, "CHOWN kept"
' "$OUT" || fail "run --cap-add/--cap-drop: $OUT"
  # -l labels the one-off; --use-aliases names it as the service's replicas.
  assert_exit 0 cc run -d --no-deps -l team=x --use-aliases --entrypoint "sleep 30" web
  assert_exit 0 cc ps -a --filter label=team=x --format '{{.Service}} {{.Label "com.docker.compose.oneoff"}}'
  assert_eq "$OUT" "web True"
  wait_for 10 "web to resolve to the one-off too" web_resolves_twice

  # kill leaves the orphans alone unless --remove-orphans.
  sed -i '/^  extra:/,$d' compose.yaml
  assert_exit 0 cc kill
  # kill returns once the signal is sent, as Docker's: the exits follow.
  wait_for 10 "only the orphan to run" running_are flags2-extra-1
  assert_exit 0 cc kill --remove-orphans
  wait_for 10 "nothing to run" running_are ""
  assert_exit 0 cc down -v -t 0 --remove-orphans
  assert_no_residue
}

# The global --progress, --compatibility and Compose's variables.
test_global_progress_compatibility_and_variables() {
  eng_setup flags3
  load_images busybox
  project flags3 <<'YAML'
services:
  a:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
    environment: {FROM_ENV: "${FROM_DOTENV:-unset}"}
  b:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
YAML
  echo FROM_DOTENV=dotenv >"$WORK/flags3/.env"
  cd "$WORK/flags3"
  # COMPOSE_DISABLE_ENV_FILE: the project's .env is not read.
  assert_exit 0 cc config --format json
  assert_contains "$OUT" '"FROM_ENV": "dotenv"'
  assert_exit 0 inh env COMPOSE_DISABLE_ENV_FILE=1 "$CCOMPOSE" config --format json
  assert_contains "$OUT" '"FROM_ENV": "unset"'
  assert_exit 2 cc --progress fancy ps
  assert_exit 2 inh env COMPOSE_PROGRESS=fancy "$CCOMPOSE" ps
  # --compatibility: Compose v1's names; --progress json: one event a line.
  assert_exit 0 cc --compatibility --progress json up -d
  assert_contains "$OUT" '{"id":"Container flags3_a_1","status":"Started"}'
  assert_not_contains "$OUT" $'\u2714'
  assert_exit 0 cc ps --format '{{.Name}}'
  assert_eq "$OUT" "flags3_a_1
flags3_b_1"
  # Orphans: warned about, not with COMPOSE_IGNORE_ORPHANS, removed with
  # COMPOSE_REMOVE_ORPHANS; --progress quiet prints no progress.
  sed -i '/^  b:/,$d' compose.yaml
  assert_exit 0 cc --compatibility --progress quiet up -d
  assert_contains "$OUT" "orphan"
  assert_not_contains "$OUT" $'\u2714'
  assert_exit 0 inh env COMPOSE_IGNORE_ORPHANS=true COMPOSE_COMPATIBILITY=1 "$CCOMPOSE" up -d
  assert_not_contains "$OUT" "orphan"
  assert_exit 0 inh env COMPOSE_REMOVE_ORPHANS=true COMPOSE_COMPATIBILITY=1 "$CCOMPOSE" up -d
  assert_exit 0 cc ps -a --format '{{.Name}}'
  assert_eq "$OUT" "flags3_a_1"
  assert_exit 0 cc --all-resources down -t 0
  assert_no_residue
}

run_tests
