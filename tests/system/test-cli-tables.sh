#!/usr/bin/env bash
# `ccompose images` and `ccompose ls`: their table, quiet and JSON forms,
# to the column, and their usage errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# The expected table lines, padded as Docker Compose pads them.
images_row() { printf '%-28s %-24s %-10s %-14s %s\n' "$@"; }
ls_row() { printf '%-20s %-24s %s\n' "$@"; }

test_images_and_ls_output_forms() {
  eng_setup tables
  load_images busybox
  project tables <<'YAML'
services:
  app:
    image: busybox:1.35
    command: ["sleep", "60"]
  db:
    image: busybox:1.35
    command: ["sleep", "60"]
YAML
  cd "$WORK/tables"
  assert_exit 0 cc create
  local id hex size
  id=$(cc images --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ID"])')
  [[ $id == sha256:* ]] || fail "image id: $id"
  hex=${id#sha256:}
  size=$(cc images --format json | python3 -c 'import json,sys
r = json.load(sys.stdin)
assert [x["ContainerName"] for x in r] == ["tables-app-1", "tables-db-1"], r
assert all(x["Repository"] == "busybox" and x["Tag"] == "1.35" and x["Size"] > 0 for x in r), r
b = r[0]["Size"]
print("%.3gMB" % (b / 1e6) if b >= 1e6 else "%.3gkB" % (b / 1e3))')
  assert_exit 0 cc images
  assert_eq "$OUT" "$(images_row CONTAINER REPOSITORY TAG 'IMAGE ID' SIZE
images_row tables-app-1 busybox 1.35 "${hex:0:12}" "$size"
images_row tables-db-1 busybox 1.35 "${hex:0:12}" "$size")"
  assert_exit 0 cc images -q db
  assert_eq "$OUT" "${hex:0:12}"
  assert_exit 2 cc images --format xml
  assert_contains "$OUT" "invalid --format \`xml\`"

  # Created, not running: only -a lists the project.
  assert_exit 0 cc ls
  assert_eq "$OUT" "$(ls_row NAME STATUS 'CONFIG FILES')"
  assert_exit 0 cc ls -a
  assert_eq "$OUT" "$(ls_row NAME STATUS 'CONFIG FILES'
ls_row tables 'created(2)' "$WORK/tables/compose.yaml")"
  assert_exit 0 cc ls -a -q
  assert_eq "$OUT" tables
  assert_exit 0 cc ls -a --format json
  assert_eq "$OUT" "[{\"Name\":\"tables\",\"Status\":\"created(2)\",\"ConfigFiles\":\"$WORK/tables/compose.yaml\"}]"
  assert_exit 0 cc ls --format json
  assert_eq "$OUT" "[]"
  assert_exit 2 cc ls extra
  assert_contains "$OUT" "unexpected argument \`extra\`"
  assert_exit 0 cc down
  assert_no_residue
}

run_tests
