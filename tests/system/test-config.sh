#!/usr/bin/env bash
# `ccompose config` against the conformance set in tests/compose/: every
# valid case must print its expected normalized JSON (compared as JSON),
# every invalid file must fail with exit 1 and its file:line:col message.
# No root, no kernel state.
. "$(dirname "$0")/lib.sh"

CASES=$TOP/tests/compose
BATS_TMP=$(mktemp -u /tmp/ccompose-config-test.XXXXXX)

# A clean environment: the shell running the tests must not leak into
# interpolation.  Each case may add variables (NAME/env) and global
# options (NAME/args).
run_case() {
  local dir=$1; shift
  local envs="" args=""
  [ -f "$dir/env" ] && envs=$(cat "$dir/env")
  [ -f "$dir/args" ] && args=$(cat "$dir/args")
  # shellcheck disable=SC2086
  (cd "$dir" && env -i PATH="$PATH" HOME=/nonexistent $envs "$CCOMPOSE" $args "$@")
}

# json_equal EXPECTED_FILE ACTUAL_TEXT DIR: ${DIR} in the expected file
# stands for the case directory (bind sources are absolute).
json_equal() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
expected = json.loads(open(sys.argv[1]).read().replace("${DIR}", sys.argv[3]))
actual = json.loads(sys.argv[2])
if expected != actual:
    def diff(a, b, path="$"):
        if type(a) != type(b):
            print(f"{path}: expected {a!r}, got {b!r}"); return
        if isinstance(a, dict):
            for k in sorted(set(a) | set(b)):
                if k not in b: print(f"{path}.{k}: missing")
                elif k not in a: print(f"{path}.{k}: unexpected {b[k]!r}")
                else: diff(a[k], b[k], f"{path}.{k}")
        elif isinstance(a, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)): diff(x, y, f"{path}[{i}]")
        elif a != b:
            print(f"{path}: expected {a!r}, got {b!r}")
    diff(expected, actual)
    sys.exit(1)
PY
}

test_valid_cases_match_expected_json() {
  local d n=0 out
  for d in "$CASES"/valid/*/; do
    d=${d%/}
    out=$(run_case "$d" config --format json 2>/dev/null) || fail "$(basename "$d"): config failed: $(run_case "$d" config 2>&1 | head -3)"
    json_equal "$d/expected.json" "$out" "$d" || fail "$(basename "$d"): output differs from expected.json"
    n=$((n + 1))
  done
  [ $n -ge 15 ] || fail "only $n valid cases"
}

# Issue 15: the services `config` prints, against Debian's docker-compose
# (1.29) on files of our own (docker-diff/), as compose-diff.py
# normalises both.  docker-compose is installed when missing (as root).
test_config_agrees_with_docker_compose() {
  if ! /usr/bin/python3 -c 'import compose.config' 2>/dev/null; then
    [ "$(id -u)" = 0 ] && . "$TOP/tests/system/dockerd.bash" && docker_install docker-compose >/dev/null ||
      skip "Debian's docker-compose is not installed and cannot be"
  fi
  assert_exit 0 /usr/bin/python3 "$TOP/tests/system/compose-diff.py" "$CCOMPOSE" "$CASES"/docker-diff/*/
}

test_valid_cases_yaml_and_quiet() {
  local d
  for d in "$CASES"/valid/*/; do
    d=${d%/}
    assert_exit 0 run_case "$d" config
    assert_contains "$OUT" "name: $(basename "$d")"
    assert_exit 0 run_case "$d" config -q
    [ -z "$(run_case "$d" config -q 2>/dev/null)" ] || fail "$(basename "$d"): --quiet printed something"
  done
}

# The YAML output must read back (with a YAML 1.1 reader, the strictest
# about plain scalars) to the same model as the JSON output.
test_yaml_reads_back_as_json() {
  local py d
  defer "rm -f '$BATS_TMP.yaml' '$BATS_TMP.json'"
  for py in python3 /usr/bin/python3; do
    "$py" -c 'import yaml' 2>/dev/null && break
    py=""
  done
  [ -n "$py" ] || skip "no python3 yaml module"
  for d in "$CASES"/valid/*/; do
    d=${d%/}
    run_case "$d" config > "$BATS_TMP.yaml" 2>/dev/null || fail "$(basename "$d"): config"
    run_case "$d" config --format json > "$BATS_TMP.json" 2>/dev/null || fail "$(basename "$d"): config json"
    # Docker Compose's YAML leaves out the empty ipam/resources/placement
    # its JSON prints as {}, and the null command/entrypoint.
    "$py" -c 'import json, sys, yaml
def dropped(k, v):
    return (k in ("ipam", "resources", "placement") and v == {}) or (k in ("command", "entrypoint") and v is None)
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if not dropped(k, v)}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
a = yaml.safe_load(open(sys.argv[1])); b = strip(json.load(open(sys.argv[2])))
sys.exit(a != b)' "$BATS_TMP.yaml" "$BATS_TMP.json" || fail "$(basename "$d"): YAML and JSON outputs differ"
  done
}

test_invalid_cases_fail_with_position() {
  local f n=0 want args
  for f in "$CASES"/invalid/*.yaml; do
    want=$(cat "${f%.yaml}.err")
    args=""
    [ -f "${f%.yaml}.args" ] && args=$(cat "${f%.yaml}.args")
    # shellcheck disable=SC2086
    assert_exit 1 run_case "$CASES/invalid" $args -f "$f" config
    assert_contains "$OUT" "/$want" "$(basename "$f")"
    n=$((n + 1))
  done
  [ $n -ge 40 ] || fail "only $n invalid cases"
}

test_example_is_valid_json() {
  assert_exit 0 run_case "$TOP" -f docker-compose.yml.example config --format json
  python3 -c 'import json,sys; m=json.loads(sys.argv[1]); assert m["name"]=="web-redis"; assert set(m["services"])=={"web","redis"}; assert m["services"]["web"]["depends_on"]["redis"]["condition"]=="service_healthy"' "$OUT" \
    || fail "example JSON: $OUT"
  assert_exit 0 run_case "$TOP" -f docker-compose.yml.example config
  assert_contains "$OUT" "name: web-redis"
}

test_listing_flags() {
  local d=$CASES/valid/profiles
  assert_exit 0 run_case "$d" config --services
  assert_eq "$OUT" "optional-dep
web"
  assert_exit 0 run_case "$d" --profile debug config --services
  assert_eq "$OUT" "debug
optional-dep
web"
  assert_exit 0 run_case "$d" config --profiles
  assert_eq "$OUT" "debug"
  assert_exit 0 run_case "$d" config --images
  assert_eq "$OUT" "busybox
nginx"
  assert_exit 0 run_case "$CASES/valid/volumes" config --volumes
  assert_eq "$(run_case "$CASES/valid/volumes" config --volumes 2>/dev/null)" "cache
labelled
shared"
  # A service named on the command line enables its profile.
  assert_exit 0 run_case "$d" config --services debug
  assert_eq "$OUT" "debug"
}

test_hash_flag() {
  local d=$CASES/valid/depends-on h1 h2
  assert_exit 0 run_case "$d" config --hash '*'
  [ "$(wc -l <<<"$OUT")" = 5 ] || fail "five services expected: $OUT"
  [[ $OUT =~ (^|$'\n')web\ [0-9a-f]{64}($'\n'|$) ]] || fail "hash line format: $OUT"
  assert_exit 0 run_case "$d" config --hash web
  h1=$OUT
  assert_exit 0 run_case "$d" config --hash web
  assert_eq "$OUT" "$h1" "hash must be stable"
  assert_exit 0 run_case "$d" config --hash db,web
  assert_contains "$OUT" "$h1"
  assert_exit 1 run_case "$d" config --hash nope
  assert_contains "$OUT" "no such service"
  # Another image changes the hash.
  h2=$(cd "$d" && sed 's/image: nginx/image: httpd/' compose.yaml | env -i PATH="$PATH" "$CCOMPOSE" -p depends-on -f - config --hash web 2>&1) \
    || fail "stdin config: $h2"
  [ "$h2" != "$h1" ] || fail "hash did not change with the image"
}

test_output_file_and_no_interpolate() {
  local tmp
  tmp=$(mktemp -d)
  defer "rm -rf '$tmp'"
  assert_exit 0 run_case "$CASES/valid/minimal" config --format json -o "$tmp/out.json"
  assert_eq "$OUT" ""
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out.json" || fail "-o wrote no JSON"
  printf 'services:\n  a:\n    image: "${IMAGE:-busybox}"\n' > "$tmp/compose.yaml"
  assert_exit 0 run_case "$tmp" config --no-interpolate
  assert_contains "$OUT" 'image: ${IMAGE:-busybox}'
  assert_exit 0 run_case "$tmp" config
  assert_contains "$OUT" 'image: busybox'
}

# A key ccompose cannot honour: `config` prints it as Docker's does, the
# commands that would run it refuse it at its position, unless
# --ignore-unsupported (then a warning).
test_unsupported_printed_by_config_refused_by_up() {
  local d=$CASES/valid/react-java-mysql f
  use_private_state config-unsupported
  # `up` reads the (private) state root: keep it through env -i.
  dry_up() { local dir=$1; shift; run_case "$dir" "$@" --dry-run up; }
  run_case() {
    (cd "$1" && shift && env -i PATH="$PATH" HOME=/nonexistent CCOMPOSE_STATE_DIR="$CCOMPOSE_STATE_DIR" \
      CCOMPOSE_DATA_DIR="$CCOMPOSE_DATA_DIR" "$CCOMPOSE" "$@")
  }
  assert_exit 0 run_case "$d" config
  assert_contains "$OUT" "secrets:"
  # Its secrets are honoured now (issue 15; test-secrets.sh).
  # (backend's build context is not in the case: nothing to build)
  assert_exit 0 run_case "$d" --dry-run up --no-build
  assert_exit 0 run_case "$CASES/unsupported" -f link-alias.yaml --ignore-unsupported --dry-run up
  assert_contains "$OUT" "warning:"
  for f in "$CASES"/unsupported/*.yaml; do
    assert_exit 0 run_case "$CASES/unsupported" -f "$f" config
    assert_exit 1 dry_up "$CASES/unsupported" -f "$f"
    assert_contains "$OUT" "/$(cat "${f%.yaml}.err")" "$(basename "$f")"
  done
}

# Issue 15: --variables as Compose prints them (compose-go's
# ExtractVariables: defaults, alternate values, required markers, nested
# operands), in its table, JSON and YAML; nothing needs to be set.
test_variables_flag() {
  local tmp
  tmp=$(mktemp -d)
  defer "rm -rf '$tmp'"
  cat > "$tmp/compose.yaml" <<'YAML'
services:
  web:
    image: "${IMAGE:-busybox}"
    command: ["sh", "-c", "echo $$HOME ${PORT:?port please} ${OPT:+--opt=${OPTVAL}}"]
    environment:
      A: $PLAIN
      B: ${NESTED-${INNER:-x}}
YAML
  assert_exit 0 run_case "$tmp" config --variables
  assert_eq "$OUT" "NAME                REQUIRED            DEFAULT VALUE       ALTERNATE VALUE
IMAGE               false               busybox             
INNER               false               x                   
NESTED              false               \${INNER:-x}         
OPT                 false                                   --opt=\${OPTVAL}
OPTVAL              false                                   
PLAIN               false                                   
PORT                true                                    "
  assert_not_contains "$OUT" "HOME"
  assert_exit 0 run_case "$tmp" config --variables --format json
  python3 -c 'import json,sys; m=json.loads(sys.argv[1])
assert sorted(m)==["IMAGE","INNER","NESTED","OPT","OPTVAL","PLAIN","PORT"], m
assert m["PORT"]=={"Name":"PORT","DefaultValue":"","PresenceValue":"","Required":True}, m["PORT"]
assert m["NESTED"]["DefaultValue"]=="${INNER:-x}" and m["OPT"]["PresenceValue"]=="--opt=${OPTVAL}"' "$OUT" \
    || fail "--variables json: $OUT"
  assert_exit 0 run_case "$tmp" config --variables --format yaml
  python3 -c 'import yaml,sys; m=yaml.safe_load(sys.argv[1])
assert m["IMAGE"]=={"name":"IMAGE","defaultvalue":"busybox","presencevalue":"","required":False}, m' "$OUT" \
    || fail "--variables yaml: $OUT"
}

# --environment: the interpolation environment (shell, then .env), sorted;
# --networks: the networks of the model, the implicit default one too.
test_environment_and_networks_flags() {
  local tmp
  tmp=$(mktemp -d)
  defer "rm -rf '$tmp'"
  printf 'services:\n  a:\n    image: busybox\n  b:\n    image: busybox\n    networks: [back]\nnetworks:\n  back:\n' \
    > "$tmp/compose.yaml"
  printf 'FROM_DOTENV=yes\nSHELL_WINS=dotenv\n' > "$tmp/.env"
  (cd "$tmp" && env -i PATH="$PATH" SHELL_WINS=shell "$CCOMPOSE" config --environment) > "$tmp/env.out" \
    || fail "--environment failed"
  assert_contains "$(cat "$tmp/env.out")" "FROM_DOTENV=yes
PATH="
  assert_contains "$(cat "$tmp/env.out")" "SHELL_WINS=shell"
  assert_exit 0 run_case "$tmp" config --networks
  assert_eq "$OUT" "back
default"
}

# --no-normalize, --no-path-resolution, --no-consistency shape the model
# as Compose's do; the engine never sees such a model.
test_model_shaping_flags() {
  local tmp
  tmp=$(mktemp -d)
  defer "rm -rf '$tmp'"
  printf 'services:\n  a:\n    image: busybox\n    volumes: ["./data:/data"]\n    network_mode: "service:b"\n  b:\n    build: ./ctx\n' \
    > "$tmp/compose.yaml"
  assert_exit 0 run_case "$tmp" config --format json
  python3 -c 'import json,sys; m=json.loads(sys.argv[1]); a=m["services"]["a"]; b=m["services"]["b"]
assert a["volumes"][0]["source"]==sys.argv[2]+"/data" and "b" in a["depends_on"], a
assert b["networks"]=={"default":None} and b["build"]["dockerfile"]=="Dockerfile" and m["networks"]["default"]["name"]==m["name"]+"_default"' "$OUT" "$tmp" \
    || fail "normalized model: $OUT"
  assert_exit 0 run_case "$tmp" config --format json --no-normalize --no-path-resolution
  python3 -c 'import json,sys; m=json.loads(sys.argv[1]); a=m["services"]["a"]; b=m["services"]["b"]
assert a["volumes"][0]["source"]=="./data" and b["build"]["context"]=="./ctx", m
assert "depends_on" not in a and "networks" not in b and "dockerfile" not in b["build"] and "networks" not in m, m' "$OUT" \
    || fail "--no-normalize --no-path-resolution: $OUT"
  printf 'services:\n  a:\n    image: busybox\n    networks: [nope]\n    depends_on: [ghost]\n' > "$tmp/compose.yaml"
  assert_exit 1 run_case "$tmp" config
  assert_contains "$OUT" "undefined network"
  assert_exit 0 run_case "$tmp" config --no-consistency
  assert_contains "$OUT" "nope: null"
  assert_contains "$OUT" "ghost:"
}

# --resolve-image-digests pins each image to the manifest digest of
# ccompose's own store, with no network; an image not in the store is an
# error naming it.
test_resolve_image_digests() {
  local tmp digest
  require_root
  use_private_state config-digests
  tmp=$(mktemp -d)
  defer "rm -rf '$tmp'"
  run_case() {
    (cd "$1" && shift && env -i PATH="$PATH" HOME=/nonexistent CCOMPOSE_STATE_DIR="$CCOMPOSE_STATE_DIR" \
      CCOMPOSE_DATA_DIR="$CCOMPOSE_DATA_DIR" "$CCOMPOSE" "$@")
  }
  "$CCOMPOSE" image load -q -i "$TOP/samples/images/out/busybox" >/dev/null || fail "load busybox"
  printf 'services:\n  a:\n    image: busybox:1.35\n  b:\n    image: nosuchimage:1\n' > "$tmp/compose.yaml"
  assert_exit 1 run_case "$tmp" config --resolve-image-digests
  assert_contains "$OUT" "nosuchimage:1"
  assert_contains "$OUT" "not in the image store"
  assert_exit 0 run_case "$tmp" config --resolve-image-digests a
  [[ $OUT =~ image:\ docker\.io/library/busybox:1.35@(sha256:[0-9a-f]{64}) ]] || fail "no digest: $OUT"
  digest=${BASH_REMATCH[1]}
  assert_exit 0 run_case "$tmp" image inspect busybox:1.35
  assert_contains "$OUT" "$digest"
}

test_bad_flags_exit_2() {
  local d=$CASES/valid/minimal
  assert_exit 2 run_case "$d" config --format xml
  assert_contains "$OUT" "--format"
  assert_exit 2 run_case "$d" config --no-such-flag
  assert_exit 2 run_case "$d" config --hash
  assert_exit 2 run_case "$d" config --variables --format xml
  assert_contains "$OUT" "--format"
  assert_exit 0 run_case "$d" config --help
  assert_contains "$OUT" "Usage: ccompose config"
}

test_hostile_inputs_do_not_crash() {
  local tmp f rc
  tmp=$(mktemp -d)
  defer "rm -rf '$tmp'"
  printf 'services: [' > "$tmp/a.yaml"
  printf '\0\1\2' > "$tmp/b.yaml"
  printf 'services:\n  w:\n    image: x\n    ports: ["%s"]\n' "$(printf '1%.0s' {1..5000})" > "$tmp/c.yaml"
  printf 'services:\n  w:\n    image: x\n    environment: {%s}\n' "$(printf 'K%d: v, ' {1..2000})" > "$tmp/d.yaml"
  printf 'services:\n  w:\n    image: x\n    command: "%s"\n' "$(printf '"%.0s' {1..999})" > "$tmp/e.yaml"
  for f in "$tmp"/*.yaml; do
    (cd "$tmp" && env -i PATH="$PATH" "$CCOMPOSE" -f "$f" config >/dev/null 2>&1); rc=$?
    [ $rc -le 1 ] || fail "$(basename "$f"): exit $rc"
  done
}

run_tests
