#!/usr/bin/env bash
# A named volume's `subpath` (issue 15): one directory of the volume is
# mounted, resolved beneath the volume when the container starts, so a
# symlink a container planted there (absolute, or climbing with ..)
# leads nowhere on the host, and `..` or an absolute subpath is refused
# when the file loads.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

test_volume_subpath_mounts_a_directory_and_stays_inside() {
  eng_setup subpath
  load_images busybox
  project subpath <<'YAML'
services:
  planter:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "mkdir -p /v/sub && echo inside > /v/sub/f && ln -s /etc /v/abs && ln -s ../../../../../../../etc /v/climb && ln -s sub /v/inner && touch /v/ready && exec sleep 300"]
    volumes: ["data:/v"]
  user:
    image: busybox:1.35
    init: true
    command: ["sleep", "300"]
    depends_on: [planter]
    volumes:
      - {type: volume, source: data, target: /s, volume: {subpath: sub}}
      - {type: volume, source: data, target: /i, volume: {subpath: inner}}
  abs:
    image: busybox:1.35
    profiles: [attack]
    volumes: [{type: volume, source: data, target: /s, volume: {subpath: abs}}]
  climb:
    image: busybox:1.35
    profiles: [attack]
    volumes: [{type: volume, source: data, target: /s, volume: {subpath: climb}}]
volumes:
  data:
YAML
  cd "$WORK/subpath" || fail "cd"
  assert_exit 0 cc up -d planter
  wait_for 10 "the planter's links" cc exec -T planter test -e /v/ready
  assert_exit 0 cc up -d user
  assert_exit 0 cc exec -T user sh -c 'cat /s/f /i/f; echo written > /s/new'
  assert_eq "$OUT" "inside
inside"
  assert_exit 0 cc exec -T planter cat /v/sub/new
  assert_eq "$OUT" written
  # Both at once: up reports every container that failed.
  OUT=$(cc --profile attack up -d abs climb 2>&1) && fail "a subpath through a planted symlink mounted: $OUT"
  assert_contains "$OUT" "volume subpath \`abs\` of"
  assert_contains "$OUT" "volume subpath \`climb\` of"
  assert_contains "$OUT" "leads out of the volume"
  # Refused at load, with its position: `..` and absolute paths.
  local bad
  for bad in ../etc sub/../../etc /etc; do
    cat >"$WORK/subpath/bad.yaml" <<YAML
services:
  x:
    image: busybox:1.35
    volumes:
      - type: volume
        source: data
        target: /s
        volume:
          subpath: $bad
volumes:
  data:
YAML
    assert_exit 1 cc -f bad.yaml config
    assert_contains "$OUT" "bad.yaml:9:20"
    assert_contains "$OUT" "must be a relative path inside the volume"
  done
  assert_exit 0 cc --profile attack down -v -t 0
  assert_no_residue
}

run_tests
