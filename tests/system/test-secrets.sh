#!/usr/bin/env bash
# A service's secrets and configs (issue 15): each source (file,
# environment, content) reaches the container as a read-only file with
# the owner and mode asked for, a service sees only its own, and nothing
# hostile in a compose file gets past them.  The same `up` shows
# label_file's labels, the annotations and the network's labels.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

test_secrets_and_configs_reach_the_container() {
  eng_setup secrets
  load_images busybox
  project sec <<'YAML'
services:
  a:
    image: busybox:1.35
    command: ["sleep", "60"]
    secrets:
      - fsec
      - {source: esec, target: custom, uid: "1000", gid: "1001", mode: 0400}
    configs:
      - ccfg
      - {source: fcfg, target: /etc/app.conf, uid: "7", gid: "8", mode: 0640}
      - {source: ecfg, target: rel.conf}
  b:
    image: busybox:1.35
    command: ["sleep", "60"]
    configs: [ccfg]
    label_file: [./b.labels]
    labels: {lb.own: own, lb.both: own}
    annotations: {an.b: two, an.a: one}
secrets:
  fsec: {file: ./fsec.txt}
  esec: {environment: SEC_TEST_VALUE}
configs:
  ccfg: {content: "inline value"}
  fcfg: {file: ./app.conf}
  ecfg: {environment: SEC_TEST_VALUE}
networks:
  default: {labels: {nl.a: one}}
YAML
  cd "$WORK/sec"
  printf 'from-file' >fsec.txt
  printf 'conf-file' >app.conf
  printf 'lb.both=file\nlb.file=file\n' >b.labels
  SEC_TEST_VALUE=from-env assert_exit 0 cc up -d
  local x="cc exec -T a"
  assert_exit 0 $x sh -c 'for f in /run/secrets/fsec /run/secrets/custom /ccfg /etc/app.conf /rel.conf; do
    echo "$f $(stat -c "%u %g %a" $f) $(cat $f)"; done'
  assert_eq "$OUT" "/run/secrets/fsec 0 0 444 from-file
/run/secrets/custom 1000 1001 400 from-env
/ccfg 0 0 444 inline value
/etc/app.conf 7 8 640 conf-file
/rel.conf 0 0 444 from-env"
  # Read-only, even for the container's root, and never the host's file.
  assert_exit 1 $x sh -c 'echo x >/run/secrets/fsec'
  assert_exit 1 $x sh -c 'echo x >/etc/app.conf'
  assert_eq "$(cat fsec.txt)" "from-file"
  assert_exit 0 $x sh -c 'grep " /run/secrets/fsec " /proc/self/mountinfo'
  assert_contains "$OUT" " ro,"
  # b was given ccfg only.
  assert_exit 0 cc exec -T b sh -c 'ls /run/secrets 2>&1; cat /ccfg'
  assert_contains "$OUT" "No such file"
  assert_contains "$OUT" "inline value"
  assert_exit 1 cc exec -T b cat /etc/app.conf
  # label_file under the service's own labels, which win.
  assert_exit 0 cc ps --format json b
  assert_contains "$OUT" "lb.both=own"
  assert_contains "$OUT" "lb.file=file"
  assert_contains "$OUT" "lb.own=own"
  assert_not_contains "$OUT" "lb.both=file"
  assert_contains "$OUT" '"Annotations":"an.a=one,an.b=two"'
  # The network ccompose made keeps its labels, beside Docker Compose's.
  assert_exit 0 cc network inspect -f '{{index .Labels "nl.a"}} {{index .Labels "com.docker.compose.network"}}' sec_default
  assert_eq "$OUT" "one default"
  # Everything goes with the containers.
  assert_exit 0 cc down -t 0
  local left
  left=$(find "$CCOMPOSE_DATA_DIR/containers" -mindepth 1 2>/dev/null)
  assert_eq "$left" "" "files left after down"
}

# up of one service that names SOURCE (a top-level secret defined by DEF).
hostile_up() {
  project hostile <<YAML
services:
  s:
    image: busybox:1.35
    command: ["true"]
    secrets: [$1]
secrets:
  $2
YAML
  (cd "$WORK/hostile" && cc up -d 2>&1)
}

test_hostile_secrets_are_refused() {
  eng_setup secrets-hostile
  load_images busybox
  mkdir -p "$WORK/hostile" "$WORK/dir"
  ln -sfn "$WORK/dir" "$WORK/hostile/to-dir"
  ln -sfn /dev/zero "$WORK/hostile/to-dev"
  truncate -s 17M "$WORK/hostile/big"
  local out
  out=$(hostile_up k "k: {file: ./to-dir}")
  assert_contains "$out" "not a regular file (a directory)"
  out=$(hostile_up k "k: {file: ./to-dev}")
  assert_contains "$out" "not a regular file (a character device)"
  out=$(hostile_up k "k: {file: ./big}")
  assert_contains "$out" "larger than 16777216 bytes"
  out=$(hostile_up k 'k: {file: "a\0b"}')
  assert_contains "$out" "NUL character in a scalar"
  out=$(hostile_up k "k: {environment: SEC_TEST_UNSET_VARIABLE}")
  assert_contains "$out" "environment variable \`SEC_TEST_UNSET_VARIABLE\` is not set"
  # A name or target that climbs out of /run/secrets, at its line.
  out=$(hostile_up '"../../etc/owned"' '"../../etc/owned": {content: x}')
  assert_contains "$out" "compose.yaml:5:"
  assert_contains "$out" "must be a path without \`..\`"
  out=$(hostile_up '{source: k, target: ../../../etc/owned}' 'k: {content: x}')
  assert_contains "$out" "compose.yaml:5:"
  assert_contains "$out" "must be a path without \`..\`"
  out=$(hostile_up '{source: k, uid: root}' 'k: {content: x}')
  assert_contains "$out" "uid \`root\` is not a number"
  # No Swarm store: an external secret is refused where it is declared.
  out=$(hostile_up k "k: {external: true}")
  assert_contains "$out" "compose.yaml:7:7:"
  assert_contains "$out" "external secret \`k\`"
  assert_contains "$out" "not supported"
  # No container, no file was made by any of them.
  (cd / && cc -p hostile down -t 0 >/dev/null 2>&1)
  assert_eq "$(find "$CCOMPOSE_DATA_DIR/containers" -mindepth 1 2>/dev/null)" "" "files left"
}

run_tests
