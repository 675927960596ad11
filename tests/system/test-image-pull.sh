#!/usr/bin/env bash
# Pulling from a registry: tests/system/registry-fixture.py serves the
# sample busybox OCI layout over the Docker Registry HTTP API v2 on
# 127.0.0.1 (an ephemeral port), with index/list variants, Basic or Bearer
# auth, blob redirects and tampered blobs.  No traffic leaves 127.0.0.1.
. "$(dirname "$0")/lib.sh"

SAMPLES=$TOP/samples/images
FIXTURE=$TOP/tests/system/registry-fixture.py
LAYOUT=$SAMPLES/out/busybox

samples_ready() {
  "$SAMPLES/build" "$@" >/dev/null 2>"$CCOMPOSE_STATE_DIR/build.log" ||
    fail "samples/images/build $*: $(tail -5 "$CCOMPOSE_STATE_DIR/build.log")"
}

registry_listening() {
  kill -0 "$REG_PID" 2>/dev/null || fail "the registry fixture died: $(cat "$REG_DIR/stderr")"
  [ -s "$REG_DIR/port" ]
}

# start_registry [FIXTURE OPTIONS]: sets REG (127.0.0.1:PORT), REG_DIR
# (its request log is $REG_DIR/requests).
start_registry() {
  REG_DIR=$(mktemp -d "$CCOMPOSE_STATE_DIR/registry.XXXXXX")
  python3 "$FIXTURE" --layout "library/busybox=$LAYOUT" --port-file "$REG_DIR/port" --log "$REG_DIR/requests" "$@" \
    2>"$REG_DIR/stderr" &
  REG_PID=$!
  defer "kill $REG_PID"
  wait_for 10 "the registry fixture to listen" registry_listening
  REG=127.0.0.1:$(cat "$REG_DIR/port")
}

setup() {
  require_root
  use_private_state "$1"
  samples_ready busybox
  export DOCKER_CONFIG=$CCOMPOSE_STATE_DIR/docker
  mkdir -p "$DOCKER_CONFIG"
}

# The manifest and config digests of busybox:1.35 in the OCI layout.
layout_field() {
  python3 - "$LAYOUT" "$1" <<'EOF'
import json, sys
layout, what = sys.argv[1], sys.argv[2]
desc = json.load(open(layout + "/index.json"))["manifests"][0]
if what == "manifest":
    print(desc["digest"])
else:
    m = json.load(open(layout + "/blobs/sha256/" + desc["digest"][7:]))
    print(m["config"]["digest"] if what == "config" else m["layers"][-1]["digest"])
EOF
}

image_id() { "$CCOMPOSE" image inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])'; }
lowerdir() {
  "$CCOMPOSE" image inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["GraphDriver"]["Data"]["LowerDir"])'
}
blob_gets() { grep -c "^GET /v2/library/busybox/blobs/" "$REG_DIR/requests"; }

# Nothing of a failed pull stays: no reference, no image, no blob, no layer, no temp file.
assert_store_empty() {
  local s=$CCOMPOSE_DATA_DIR/images
  assert_exit 0 "$CCOMPOSE" image ls -q
  assert_eq "$OUT" "" "images after a failed pull"
  assert_eq "$(ls -A "$s/tmp" "$s/layers" "$s/blobs/sha256" | grep -v ':$' | grep -c .)" 0 "store files after a failed pull"
}

docker_login() {
  local auth
  auth=$(printf '%s' "$2" | base64 -w0)
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$1" "$auth" >"$DOCKER_CONFIG/config.json"
}

test_pull_by_tag_is_the_loaded_image() {
  setup image-pull-tag
  start_registry
  assert_exit 0 "$CCOMPOSE" image pull "$REG/library/busybox:1.35"
  assert_contains "$OUT" "✔ Image $REG/library/busybox:1.35 Pulled"
  assert_eq "$(image_id "$REG/library/busybox:1.35")" "$(layout_field config)" "pulled image id"
  [ -x "$(lowerdir "$REG/library/busybox:1.35")/bin/busybox" ] || fail "no busybox in the pulled layer"
  # The same blobs as a load of the layout: the same image, manifest and layer.
  local loaded=/var/lib/ccompose-test/image-pull-tag-load
  defer "rm -rf '$loaded'"
  CCOMPOSE_DATA_DIR=$loaded "$CCOMPOSE" image load -q -i "$LAYOUT" || fail "load"
  assert_eq "$(CCOMPOSE_DATA_DIR=$loaded image_id busybox:1.35)" "$(image_id "$REG/library/busybox:1.35")" "id of pull vs load"
  assert_eq "$(ls "$CCOMPOSE_DATA_DIR/images/blobs/sha256" | sort)" "$(ls "$loaded/images/blobs/sha256" | sort)" "blobs"
  # A second pull downloads no blob again, and -q prints nothing.
  local before
  before=$(blob_gets)
  OUT=$("$CCOMPOSE" image pull -q "$REG/library/busybox:1.35" 2>&1) || fail "second pull: $OUT"
  assert_eq "$OUT" "" "quiet pull output"
  assert_eq "$(blob_gets)" "$before" "blob downloads on the second pull"
}

test_pull_by_digest() {
  setup image-pull-digest
  start_registry
  local m
  m=$(layout_field manifest)
  assert_exit 0 "$CCOMPOSE" image pull "$REG/library/busybox@$m"
  grep -q "GET /v2/library/busybox/manifests/$m " "$REG_DIR/requests" || fail "not fetched by digest"
  assert_eq "$(image_id "$REG/library/busybox@$m")" "$(layout_field config)" "image by digest"
  assert_exit 1 "$CCOMPOSE" image inspect "$REG/library/busybox:latest"
  # A digest the registry does not have: the error names what was asked.
  local missing=sha256:$(printf '%064d' 0)
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox@$missing"
  assert_contains "$OUT" "pull $REG/library/busybox@$missing: 404 Not Found from $REG: MANIFEST_UNKNOWN"
}

test_pull_index_and_docker_list_pick_amd64() {
  setup image-pull-index
  start_registry
  local id
  id=$(layout_field config)
  assert_exit 0 "$CCOMPOSE" image pull -q "$REG/library/busybox:1.35-index" "$REG/library/busybox:1.35-list" \
    "$REG/library/busybox:1.35-v2s2"
  for t in 1.35-index 1.35-list 1.35-v2s2; do
    assert_eq "$(image_id "$REG/library/busybox:$t")" "$id" "image of $t"
  done
  # The arm64 entry of the index points nowhere: it must not be fetched.
  assert_not_contains "$(cat "$REG_DIR/requests")" "$(python3 -c 'import hashlib; print(hashlib.sha256(b"no such manifest").hexdigest())')"
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:1.35-arm"
  assert_contains "$OUT" "no image for linux/amd64 in the index (it has: linux/arm64)"
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:schema1"
  assert_contains "$OUT" "Docker schema 1 manifest"
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:huge"
  assert_contains "$OUT" "larger than 4194304 bytes"
}

test_pull_basic_auth() {
  setup image-pull-basic
  start_registry --auth basic
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:1.35"
  assert_contains "$OUT" "pull $REG/library/busybox:1.35:"
  assert_contains "$OUT" "401 Unauthorized from $REG"
  assert_contains "$OUT" "no credentials for $REG"
  docker_login "$REG" ccompose:wrong
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:1.35"
  assert_contains "$OUT" "401 Unauthorized from $REG: UNAUTHORIZED"
  assert_store_empty
  docker_login "$REG" ccompose:s3cret
  assert_exit 0 "$CCOMPOSE" image pull "$REG/library/busybox:1.35"
  assert_eq "$(image_id "$REG/library/busybox:1.35")" "$(layout_field config)" "image via Basic auth"
  assert_contains "$(cat "$REG_DIR/requests")" "GET /v2/library/busybox/manifests/1.35 Basic"
}

test_pull_bearer_token_and_blob_redirect() {
  setup image-pull-bearer
  start_registry --auth bearer --redirect
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:1.35"
  assert_contains "$OUT" "token request: 401 Unauthorized from $REG: UNAUTHORIZED: credentials required"
  docker_login "$REG" ccompose:nope
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:1.35"
  assert_contains "$OUT" "401 Unauthorized from $REG: UNAUTHORIZED: wrong credentials"
  assert_store_empty
  docker_login "$REG" ccompose:s3cret
  assert_exit 0 "$CCOMPOSE" image pull "$REG/library/busybox:1.35"
  assert_eq "$(image_id "$REG/library/busybox:1.35")" "$(layout_field config)" "image via a Bearer token"
  local log
  log=$(cat "$REG_DIR/requests")
  assert_contains "$log" "/token?service=ccompose-registry&scope=repository%3Alibrary%2Fbusybox%3Apull Basic"
  assert_contains "$log" "GET /v2/library/busybox/manifests/1.35 Bearer"
  assert_contains "$log" "GET /v2/library/busybox/blobs/$(layout_field layer) Bearer"
  # The redirected blob GETs went to another host name, without credentials.
  assert_contains "$log" "GET /_storage/$(layout_field layer) -"
  assert_not_contains "$log" "_storage/sha256:$(layout_field layer | cut -c8-) Bearer"
}

test_pull_anonymous_token() {
  setup image-pull-anon-token
  start_registry --auth bearer-public
  assert_exit 0 "$CCOMPOSE" image pull "$REG/library/busybox:1.35"
  assert_contains "$(cat "$REG_DIR/requests")" "scope=repository%3Alibrary%2Fbusybox%3Apull -"
}

test_pull_tampered_blob_leaves_nothing() {
  setup image-pull-tampered
  start_registry --tamper "$(layout_field layer)"
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:1.35"
  assert_contains "$OUT" "pull $REG/library/busybox:1.35: blob digest mismatch: expected $(layout_field layer)"
  assert_store_empty
}

test_pull_oversized_blob_is_cut_short() {
  setup image-pull-padded
  start_registry --pad "$(layout_field layer)"
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:1.35"
  assert_contains "$OUT" "response from $REG larger than $(stat -c %s "$LAYOUT/blobs/sha256/$(layout_field layer | cut -c8-)") bytes"
  assert_store_empty
}

test_hostile_manifests() {
  setup image-pull-hostile
  start_registry
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:loop"
  assert_contains "$OUT" "pull $REG/library/busybox:loop:"
  assert_contains "$OUT" "redirects"
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:lie"
  assert_contains "$OUT" "does not match its Docker-Content-Digest"
  # By digest, the body must hash to what was asked.
  local lie=sha256:$(printf lie | sha256sum | cut -d' ' -f1)
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox@$lie"
  assert_contains "$OUT" "does not match its digest: asked for $lie"
  assert_store_empty
}

test_pull_404_names_the_reference() {
  setup image-pull-404
  start_registry
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:nope"
  assert_contains "$OUT" "pull $REG/library/busybox:nope: 404 Not Found from $REG: MANIFEST_UNKNOWN: manifest unknown"
  assert_exit 1 "$CCOMPOSE" image pull "$REG/nosuch/repo"
  assert_contains "$OUT" "pull $REG/nosuch/repo:latest: 404 Not Found from $REG: NAME_UNKNOWN"
  assert_exit 2 "$CCOMPOSE" image pull
  # One failure among several references: the others are pulled, exit 1.
  assert_exit 1 "$CCOMPOSE" image pull "$REG/library/busybox:nope" "$REG/library/busybox:1.35"
  assert_contains "$OUT" "✔ Image $REG/library/busybox:1.35 Pulled"
  assert_exit 0 "$CCOMPOSE" image rm "$REG/library/busybox:1.35"
  assert_exit 1 "$CCOMPOSE" image pull "$REG/Library/busybox"
  assert_contains "$OUT" "invalid reference format"
  assert_store_empty
}

test_mirror_serves_docker_hub_names() {
  setup image-pull-mirror
  start_registry
  CCOMPOSE_REGISTRY_MIRROR=http://$REG assert_exit 0 "$CCOMPOSE" image pull busybox:1.35
  assert_contains "$OUT" "✔ Image busybox:1.35 Pulled"
  assert_eq "$(image_id busybox:1.35)" "$(layout_field config)" "busybox:1.35 through the mirror"
  assert_contains "$(cat "$REG_DIR/requests")" "GET /v2/library/busybox/manifests/1.35 -"
  # Plain http to a host that is not loopback is refused before any traffic.
  CCOMPOSE_REGISTRY_MIRROR=http://mirror.invalid assert_exit 1 "$CCOMPOSE" image pull busybox:1.35
  assert_contains "$OUT" "plain http only for loopback"
}

test_compose_pull_pulls_the_services() {
  setup image-pull-compose
  start_registry
  local dir=$CCOMPOSE_STATE_DIR/project
  mkdir -p "$dir/web"
  echo 'FROM busybox:1.35' >"$dir/web/Dockerfile"
  cat >"$dir/compose.yaml" <<EOF
services:
  app:
    image: $REG/library/busybox:1.35
    depends_on: [db]
  db:
    image: $REG/library/busybox:1.35-index
  same:
    image: $REG/library/busybox:1.35
  web:
    build: ./web
  built:
    image: $REG/library/busybox:built-here
    build: ./web
EOF
  cd "$dir" || fail cd
  pull() { "$CCOMPOSE" pull "$@"; }
  assert_exit 0 pull app
  assert_contains "$OUT" "✔ Image $REG/library/busybox:1.35 Pulled"
  assert_not_contains "$OUT" "1.35-index"
  assert_exit 0 pull --include-deps app
  assert_contains "$OUT" "✔ Image $REG/library/busybox:1.35-index Pulled"
  assert_exit 0 pull
  assert_eq "$(printf '%s\n' "$OUT" | grep -c "busybox:1.35 Pulled")" 1 "an image two services share is pulled once"
  assert_contains "$OUT" "Service web: skipped"
  # An image the service can build is no pull failure (as Docker Compose).
  assert_contains "$OUT" "warning: service built: pull $REG/library/busybox:built-here: 404 Not Found"
  # --policy missing: what the store has is not asked for again.
  local before
  before=$(grep -c "/manifests/" "$REG_DIR/requests")
  assert_exit 0 pull --policy missing app same
  assert_eq "$(grep -c "/manifests/" "$REG_DIR/requests")" "$before" "manifest requests with --policy missing"
  assert_exit 2 pull --policy sometimes
  assert_exit 0 pull -q
  assert_not_contains "$OUT" "Pulled" "pull -q output"
  assert_not_contains "$OUT" "skipped" "pull -q output"
  assert_exit 1 pull nosuch
  assert_contains "$OUT" "no such service: nosuch"
  sed -i "s|busybox:1.35-index|busybox:gone|" compose.yaml
  assert_exit 1 pull
  assert_contains "$OUT" "service db: pull $REG/library/busybox:gone: 404 Not Found"
  assert_exit 0 pull --ignore-pull-failures
  assert_contains "$OUT" "warning: service db"
}

# `up` may pull several services' images at once: pulls that share blobs
# and layers must not trip over each other.
test_parallel_pulls_share_blobs() {
  setup image-pull-parallel
  start_registry --redirect
  local t pids=() rc=0
  for t in 1.35 1.35-index 1.35-list 1.35-v2s2; do
    "$CCOMPOSE" image pull -q "$REG/library/busybox:$t" 2>"$CCOMPOSE_STATE_DIR/pull-$t.err" &
    pids+=($!)
  done
  for t in "${pids[@]}"; do wait "$t" || rc=1; done
  [ $rc -eq 0 ] || fail "a parallel pull failed: $(cat "$CCOMPOSE_STATE_DIR"/pull-*.err)"
  assert_eq "$("$CCOMPOSE" image ls -q)" "$(layout_field config | cut -c8-19)" "one image"
  assert_eq "$(ls "$CCOMPOSE_DATA_DIR/images/layers" | wc -l)" 1 "one unpacked layer"
  assert_eq "$(ls -A "$CCOMPOSE_DATA_DIR/images/tmp" | wc -l)" 0 "temporary files left"
}

steps() { CCOMPOSE_CRASH_TRACE=1 "$@" 2>&1 >/dev/null | grep -c '^crash-point '; }

# Killed at any step, a pull leaves the whole image or nothing visible,
# and what it left behind goes with the next GC.
test_pull_killed_at_every_step() {
  setup image-pull-crash
  start_registry
  local n k s=$CCOMPOSE_DATA_DIR/images ref=$REG/library/busybox:1.35
  n=$(steps "$CCOMPOSE" image pull "$ref")
  [ "$n" -ge 6 ] || fail "only $n crash points in a pull"
  "$CCOMPOSE" image rm "$ref" >/dev/null || fail "rm"
  for k in $(seq 1 "$n"); do
    assert_exit 137 env CCOMPOSE_CRASH_AT=$k "$CCOMPOSE" image pull "$ref"
    assert_exit 0 "$CCOMPOSE" image ls -q
    if [ -n "$OUT" ]; then
      assert_exit 0 "$CCOMPOSE" image inspect "$ref" # visible means whole
    fi
    assert_exit 0 "$CCOMPOSE" image pull -q "$ref"
    [ -x "$(lowerdir "$ref")/bin/busybox" ] || fail "step $k: no busybox"
    assert_exit 0 "$CCOMPOSE" image rm "$ref"
    assert_eq "$(ls -A "$s/tmp" "$s/layers" "$s/blobs/sha256" | grep -v ':$' | grep -c .)" 0 "step $k: store after rm"
  done
}

run_tests
