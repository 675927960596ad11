#!/usr/bin/env bash
# Pushing to a registry: tests/system/registry-fixture.py on 127.0.0.1 (an
# ephemeral port) takes pushes as distribution 2.8 does; what ccompose
# pushes, a pull into a second store gets back as the same image.  Blob
# existence checks, chunked uploads, cross-repository mounts, Bearer
# tokens with push scope, and failures in the middle.  No traffic leaves
# 127.0.0.1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-helpers.bash"

SAMPLES=$TOP/samples/images
FIXTURE=$TOP/tests/system/registry-fixture.py

samples_ready() {
  "$SAMPLES/build" "$@" >/dev/null 2>"$CCOMPOSE_STATE_DIR/build.log" ||
    fail "samples/images/build $*: $(tail -5 "$CCOMPOSE_STATE_DIR/build.log")"
}

registry_listening() {
  kill -0 "$REG_PID" 2>/dev/null || fail "the registry fixture died: $(cat "$REG_DIR/stderr")"
  [ -s "$REG_DIR/port" ]
}

# start_registry [FIXTURE OPTIONS]: sets REG (127.0.0.1:PORT) and REG_DIR
# (its request log is $REG_DIR/requests).
start_registry() {
  REG_DIR=$(mktemp -d "$CCOMPOSE_STATE_DIR/registry.XXXXXX")
  python3 "$FIXTURE" --layout "library/busybox=$SAMPLES/out/busybox" --port-file "$REG_DIR/port" \
    --log "$REG_DIR/requests" --store "$REG_DIR/store" "$@" 2>"$REG_DIR/stderr" &
  REG_PID=$!
  defer "kill $REG_PID"
  wait_for 10 "the registry fixture to listen" registry_listening
  REG=127.0.0.1:$(cat "$REG_DIR/port")
}

setup() {
  require_root
  use_private_state "$1"
  samples_ready busybox python web
  export DOCKER_CONFIG=$CCOMPOSE_STATE_DIR/docker
  mkdir -p "$DOCKER_CONFIG"
  OTHER=/var/lib/ccompose-test/$1-other
  defer "rm -rf '$OTHER'"
}

docker_login() {
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$1" "$(printf '%s' "$2" | base64 -w0)" >"$DOCKER_CONFIG/config.json"
}

field() { "$CCOMPOSE" image inspect "$1" | python3 -c "import json,sys; d=json.load(sys.stdin)[0]; print($2)"; }
image_id() { field "$1" 'd["Id"]'; }
manifest_digest() { field "$1" 'd["Metadata"]["ManifestDigest"]'; }
# Requests matching a pattern since the log was last cut.
count() { grep -c -- "$1" "$REG_DIR/requests"; }
cut_log() { : >"$REG_DIR/requests"; }
# in_other CMD...: ccompose with the second store.
in_other() { CCOMPOSE_DATA_DIR=$OTHER "$@"; }

# Nothing of a failed push is left half in the store: no temporary file.
assert_no_temp() {
  assert_eq "$(ls -A "$CCOMPOSE_DATA_DIR/images/tmp" | wc -l)" 0 "temporary files in the store"
}

test_push_then_pull_is_the_same_image() {
  setup image-push-roundtrip
  start_registry
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/web" || fail "load web"
  local ref=$REG/demo/web:1 big
  "$CCOMPOSE" image tag ccompose-demo/web "$ref" || fail tag
  # The python layer (18 MB) goes in 4 MB chunks, the small ones whole.
  big=$(field "$ref" 'd["Size"]')
  CCOMPOSE_PUSH_CHUNK_SIZE=4000000 assert_exit 0 "$CCOMPOSE" image push "$ref"
  assert_contains "$OUT" "1: digest: $(manifest_digest "$ref") size: "
  assert_contains "$OUT" "✔ Image $ref Pushed"
  [ "$(count '^PATCH /v2/demo/web/blobs/uploads/')" -ge 4 ] || fail "no chunked upload: $(cat "$REG_DIR/requests")"
  assert_eq "$(count '^POST /v2/demo/web/blobs/uploads/ ')" 3 "uploads started (config, 2 layers)"
  assert_eq "$(count '^PUT /v2/demo/web/blobs/uploads/.*digest=sha256')" 3 "uploads finished"
  assert_eq "$(count '^PUT /v2/demo/web/manifests/1 ')" 1 "manifest put"
  # Pulled into another store: the same image, the same manifest, runs the same.
  in_other "$CCOMPOSE" image pull -q "$ref" || fail "pull back"
  assert_eq "$(in_other image_id "$ref")" "$(image_id "$ref")" "image id after push and pull"
  assert_eq "$(in_other manifest_digest "$ref")" "$(manifest_digest "$ref")" "manifest digest after push and pull"
  [ -f "$(in_other field "$ref" 'd["GraphDriver"]["Data"]["LowerDir"].split(":")[0]')/app/app.py" ] ||
    fail "the pulled image has no app"
  # Pushed again: every blob is there, nothing is uploaded.
  cut_log
  assert_exit 0 "$CCOMPOSE" image push -q "$ref"
  assert_eq "$OUT" "" "push -q output"
  assert_eq "$(count '^HEAD /v2/demo/web/blobs/')" 3 "existence checks"
  assert_eq "$(count '^POST \|^PATCH ')" 0 "uploads of blobs the registry has"
  # To another repository of the registry: mounted from the first one.
  cut_log
  "$CCOMPOSE" image tag "$ref" "$REG/other/web:2" || fail tag
  assert_exit 0 "$CCOMPOSE" image push "$REG/other/web:2"
  assert_contains "$OUT" "Mounted from demo/web"
  assert_eq "$(count '^POST /v2/other/web/blobs/uploads/?mount=sha256:.*&from=demo%2Fweb ')" 3 "mounts"
  assert_eq "$(count '^PATCH \|^PUT /v2/other/web/blobs/')" 0 "uploads instead of mounts"
  in_other "$CCOMPOSE" image pull -q "$REG/other/web:2" || fail "pull the mounted image"
  assert_eq "$(in_other image_id "$REG/other/web:2")" "$(image_id "$ref")" "image id of the mounted copy"
  # Pulled from a registry, pushed to another repository: mounted from where it came.
  in_other "$CCOMPOSE" image pull -q "$REG/library/busybox:1.35" || fail "pull busybox"
  in_other "$CCOMPOSE" image tag "$REG/library/busybox:1.35" "$REG/mine/bb:1" || fail tag
  cut_log
  in_other "$CCOMPOSE" image push -q "$REG/mine/bb:1" || fail "push busybox"
  assert_eq "$(count '^POST /v2/mine/bb/blobs/uploads/?mount=.*&from=library%2Fbusybox ')" 2 "mounts from the source"
  assert_no_temp
}

# Layers stored uncompressed (`image import` of a plain tar, as the
# builder stores its layers) go as a deterministic gzip copy, made once.
test_push_compresses_uncompressed_layers_once() {
  setup image-push-gzip
  start_registry
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail "load busybox"
  tar -C "$(field busybox:1.35 'd["GraphDriver"]["Data"]["LowerDir"]')" -cf "$CCOMPOSE_STATE_DIR/root.tar" . || fail tar
  local ref=$REG/plain/box:1 id diff gz
  "$CCOMPOSE" image import -c 'CMD ["sh"]' "$CCOMPOSE_STATE_DIR/root.tar" "$ref" >/dev/null || fail import
  id=$(image_id "$ref")
  diff=$(field "$ref" 'd["RootFS"]["Layers"][0]')
  assert_exit 0 "$CCOMPOSE" image push -q "$ref"
  OUT=$(curl -sS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/plain/box/manifests/1") ||
    fail "get the pushed manifest"
  gz=$(python3 -c 'import json,sys; l=json.loads(sys.argv[1])["layers"][0]; print(l["mediaType"], l["digest"])' "$OUT")
  assert_contains "$gz" "application/vnd.oci.image.layer.v1.tar+gzip sha256:"
  gz=${gz#* }
  [ "$gz" != "$diff" ] || fail "the layer went uncompressed"
  local blob=$CCOMPOSE_DATA_DIR/images/blobs/sha256/${gz#sha256:}
  assert_eq "sha256:$(gzip -dc "$blob" | sha256sum | cut -d' ' -f1)" "$diff" "the gzip copy holds the layer"
  # gzip -n: no name flag, no time.
  assert_eq "$(od -An -tx1 -j3 -N5 "$blob" | tr -d ' ')" "0000000000" "gzip header flags and mtime"
  # A second push reuses it; a pull back is the same image.
  cut_log
  assert_exit 0 "$CCOMPOSE" image push -q "$ref"
  assert_eq "$(count '^POST \|^PATCH ')" 0 "uploads on the second push"
  in_other "$CCOMPOSE" image pull -q "$ref" || fail "pull back"
  assert_eq "$(in_other image_id "$ref")" "$id" "image id after push and pull"
  # GC keeps the copy while its image lives, and drops it with it.
  "$CCOMPOSE" image prune -f >/dev/null || fail prune
  [ -f "$blob" ] || fail "prune removed the gzip copy of a live layer"
  "$CCOMPOSE" image rm "$ref" >/dev/null || fail rm
  [ ! -f "$blob" ] || fail "the gzip copy outlived its image"
}

test_push_with_a_bearer_token() {
  setup image-push-bearer
  start_registry --auth bearer
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail "load busybox"
  local ref=$REG/team/bb:1
  "$CCOMPOSE" image tag busybox:1.35 "$ref" || fail tag
  assert_exit 1 "$CCOMPOSE" image push "$ref"
  assert_contains "$OUT" "push $ref: token request: 401 Unauthorized from $REG: UNAUTHORIZED: credentials required"
  docker_login "$REG" ccompose:s3cret
  assert_exit 0 "$CCOMPOSE" image push "$ref"
  assert_contains "$(cat "$REG_DIR/requests")" "scope=repository%3Ateam%2Fbb%3Apull%2Cpush Basic"
  assert_contains "$(cat "$REG_DIR/requests")" "PUT /v2/team/bb/manifests/1 Bearer"
  # A mount asks for pull on the repository it mounts from, in the same token.
  cut_log
  "$CCOMPOSE" image tag busybox:1.35 "$REG/team/copy:1" || fail tag
  assert_exit 0 "$CCOMPOSE" image push "$REG/team/copy:1"
  assert_contains "$(cat "$REG_DIR/requests")" "scope=repository%3Ateam%2Fcopy%3Apull%2Cpush&scope=repository%3Ateam%2Fbb%3Apull Basic"
  assert_eq "$(count '^POST /v2/team/copy/blobs/uploads/?mount=')" 2 "mounts with a Bearer token"
  in_other "$CCOMPOSE" image pull -q "$REG/team/copy:1" || fail "pull back"
  assert_eq "$(in_other image_id "$REG/team/copy:1")" "$(image_id busybox:1.35)" "image id"
}

# Upload Locations on another host (storage, as S3-backed registries
# answer): the upload goes there, the registry's credentials do not.
test_push_credentials_stay_with_the_registry() {
  setup image-push-elsewhere
  start_registry --auth bearer --upload-elsewhere
  docker_login "$REG" ccompose:s3cret
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail "load busybox"
  "$CCOMPOSE" image tag busybox:1.35 "$REG/team/bb:1" || fail tag
  CCOMPOSE_PUSH_CHUNK_SIZE=400000 assert_exit 0 "$CCOMPOSE" image push "$REG/team/bb:1"
  [ "$(count '^PATCH /_upload/team/bb/.* -$')" -ge 2 ] || fail "chunks not sent to the upload host: $(cat "$REG_DIR/requests")"
  assert_eq "$(count '^PUT /_upload/team/bb/.*digest=.* -$')" 2 "uploads finished on the upload host"
  assert_eq "$(count '^[A-Z]* /_upload/.* Bearer$')" 0 "credentials sent to the upload host"
  assert_contains "$(cat "$REG_DIR/requests")" "PUT /v2/team/bb/manifests/1 Bearer"
  in_other "$CCOMPOSE" image pull -q "$REG/team/bb:1" || fail "pull back"
  assert_eq "$(in_other image_id "$REG/team/bb:1")" "$(image_id busybox:1.35)" "image id"
}

test_push_with_anonymous_token_is_refused_clearly() {
  setup image-push-anon
  start_registry --auth bearer-public
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail "load busybox"
  "$CCOMPOSE" image tag busybox:1.35 "$REG/team/bb:1" || fail tag
  # An anonymous token may pull, not push: the registry says so, and so do we.
  assert_exit 1 "$CCOMPOSE" image push "$REG/team/bb:1"
  assert_contains "$OUT" "push $REG/team/bb:1: blob sha256:"
  assert_contains "$OUT" "start an upload: 401 Unauthorized from $REG: UNAUTHORIZED"
  assert_no_temp
}

test_push_failures_say_what_failed() {
  setup image-push-fail
  start_registry --fail-patch 2
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail "load busybox"
  local ref=$REG/demo/bb:1
  "$CCOMPOSE" image tag busybox:1.35 "$ref" || fail tag
  # The second chunk of the layer fails: the error names the blob, the
  # bytes and the registry's answer; the upload is cancelled.
  CCOMPOSE_PUSH_CHUNK_SIZE=400000 assert_exit 1 "$CCOMPOSE" image push "$ref"
  assert_contains "$OUT" "push $ref: blob sha256:"
  assert_contains "$OUT" "upload bytes 400000-799999: 500 Internal Server Error from $REG: UNKNOWN: the disk is on fire"
  assert_eq "$(count '^DELETE /v2/demo/bb/blobs/uploads/')" 1 "cancelled uploads"
  assert_eq "$(count '/manifests/')" 0 "a manifest put after a failed blob"
  assert_no_temp
  assert_exit 0 "$CCOMPOSE" image inspect "$ref"
  # Once the registry is well again, the push completes.
  CCOMPOSE_PUSH_CHUNK_SIZE=400000 assert_exit 0 "$CCOMPOSE" image push -q "$ref"
  # What cannot be pushed fails before any traffic.
  cut_log
  assert_exit 1 "$CCOMPOSE" image push "$REG/demo/nosuch:1"
  assert_contains "$OUT" "push $REG/demo/nosuch:1: no such image"
  assert_exit 1 "$CCOMPOSE" image push "$REG/demo/bb@sha256:$(printf '%064d' 0)"
  assert_contains "$OUT" "not a digest"
  assert_exit 1 env CCOMPOSE_PUSH_CHUNK_SIZE=lots "$CCOMPOSE" image push "$ref"
  assert_contains "$OUT" "CCOMPOSE_PUSH_CHUNK_SIZE \`lots\`"
  assert_exit 2 "$CCOMPOSE" image push
  assert_eq "$(cat "$REG_DIR/requests")" "" "requests of pushes refused locally"
  # A mirror serves pulls only: a docker.io name never goes there.
  CCOMPOSE_REGISTRY_MIRROR=http://$REG assert_exit 1 "$CCOMPOSE" image push busybox:1.35
  assert_contains "$OUT" "push busybox:1.35:"
  assert_contains "$OUT" "registry-1.docker.io"
  assert_eq "$(cat "$REG_DIR/requests")" "" "requests to the mirror"
}

test_push_manifest_failure() {
  setup image-push-manifest-fail
  start_registry --fail-manifest-put
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail "load busybox"
  "$CCOMPOSE" image tag busybox:1.35 "$REG/demo/bb:1" || fail tag
  assert_exit 1 "$CCOMPOSE" image push "$REG/demo/bb:1"
  assert_contains "$OUT" "push $REG/demo/bb:1: put the manifest: 500 Internal Server Error from $REG: UNKNOWN"
  assert_no_temp
}

# A pulled Docker schema 2 image saved as an OCI layout: the manifest gets
# the OCI media types, the config and layers keep their digests.
test_save_oci_renames_docker_media_types() {
  setup image-push-save-v2s2
  command -v skopeo >/dev/null || skip "skopeo is not installed (make deps)"
  start_registry
  "$CCOMPOSE" image pull -q "$REG/library/busybox:1.35-v2s2" || fail pull
  local a=$CCOMPOSE_STATE_DIR/v2s2.tar
  assert_exit 0 "$CCOMPOSE" image save --format oci -o "$a" "$REG/library/busybox:1.35-v2s2"
  OUT=$(skopeo inspect --raw "oci-archive:$a:1.35-v2s2") || fail "skopeo: $OUT"
  assert_not_contains "$OUT" "vnd.docker"
  assert_contains "$OUT" '"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip"'
  assert_eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["config"]["digest"])' "$OUT")" \
    "$(image_id "$REG/library/busybox:1.35-v2s2")" "config digest"
}

test_compose_push_pushes_what_services_build() {
  setup image-push-compose
  start_registry
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail "load busybox"
  local dir=$CCOMPOSE_STATE_DIR/project
  mkdir -p "$dir/app"
  echo 'FROM busybox:1.35' >"$dir/app/Dockerfile"
  cat >"$dir/compose.yaml" <<EOF
services:
  app:
    image: $REG/proj/app:1
    build:
      context: ./app
      tags: ["$REG/proj/app:extra"]
    depends_on: [db]
  db:
    image: $REG/proj/db:1
  same:
    image: $REG/proj/app:1
    build: ./app
  web:
    build: ./app
EOF
  "$CCOMPOSE" image tag busybox:1.35 "$REG/proj/app:1" || fail tag
  "$CCOMPOSE" image tag busybox:1.35 "$REG/proj/app:extra" || fail tag
  cd "$dir" || fail cd
  # build: is not supported by ccompose yet; the services still name their images.
  push() { "$CCOMPOSE" --ignore-unsupported push "$@"; }
  assert_exit 0 push
  assert_contains "$OUT" "✔ Image $REG/proj/app:1 Pushed"
  assert_contains "$OUT" "✔ Image $REG/proj/app:extra Pushed"
  assert_eq "$(printf '%s\n' "$OUT" | grep -c "proj/app:1 Pushed")" 1 "a name two services share is pushed once"
  # As Docker Compose: a service without build: is pulled, not pushed.
  assert_contains "$OUT" "Service db: skipped"
  assert_contains "$OUT" "Service web: skipped"
  assert_eq "$(count '^PUT /v2/proj/db/')" 0 "pushes of db"
  assert_exit 0 push -q app
  assert_not_contains "$OUT" "Pushed" "push -q output"
  assert_not_contains "$OUT" "digest:" "push -q output"
  assert_exit 1 push nosuch
  assert_contains "$OUT" "no such service: nosuch"
  # A name not in the store fails the push, unless told to go on.
  sed -i "s|proj/app:extra|proj/app:missing|" compose.yaml
  assert_exit 1 push app
  assert_contains "$OUT" "service app: push $REG/proj/app:missing: no such image"
  assert_exit 0 push --ignore-push-failures app
  assert_contains "$OUT" "warning: service app: push $REG/proj/app:missing: no such image"
  in_other "$CCOMPOSE" image pull -q "$REG/proj/app:1" || fail "pull back"
  assert_eq "$(in_other image_id "$REG/proj/app:1")" "$(image_id busybox:1.35)" "image id"
}

# The real thing: Debian's docker-registry (registry-helpers.bash).
test_push_to_distribution() {
  setup image-push-distribution
  start_distribution
  local reg=$DIST_REG ref
  ref=$reg/demo/web:1
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/web" || fail "load web"
  "$CCOMPOSE" image tag ccompose-demo/web "$ref" || fail tag
  CCOMPOSE_PUSH_CHUNK_SIZE=4000000 assert_exit 0 "$CCOMPOSE" image push "$ref"
  assert_contains "$OUT" "1: digest: $(manifest_digest "$ref")"
  "$CCOMPOSE" image tag "$ref" "$reg/other/web:1" || fail tag
  assert_exit 0 "$CCOMPOSE" image push "$reg/other/web:1"
  assert_contains "$OUT" "Mounted from demo/web"
  assert_exit 0 "$CCOMPOSE" image push "$ref"
  assert_contains "$OUT" "Layer already exists"
  in_other "$CCOMPOSE" image pull -q "$reg/other/web:1" || fail "pull back"
  assert_eq "$(in_other image_id "$reg/other/web:1")" "$(image_id "$ref")" "image id through distribution"
  if command -v skopeo >/dev/null; then
    OUT=$(skopeo inspect --tls-verify=false "docker://$ref") || fail "skopeo inspect: $OUT"
    assert_contains "$OUT" "\"Digest\": \"$(manifest_digest "$ref")\""
  fi
  # A plain layer goes gzip-compressed and comes back as the same image.
  tar -C "$(field "$ref" 'd["GraphDriver"]["Data"]["LowerDir"].split(":")[0]')" -cf "$CCOMPOSE_STATE_DIR/app.tar" . ||
    fail tar
  "$CCOMPOSE" image import "$CCOMPOSE_STATE_DIR/app.tar" "$reg/plain/app:1" >/dev/null || fail import
  assert_exit 0 "$CCOMPOSE" image push -q "$reg/plain/app:1"
  in_other "$CCOMPOSE" image pull -q "$reg/plain/app:1" || fail "pull the plain image"
  assert_eq "$(in_other image_id "$reg/plain/app:1")" "$(image_id "$reg/plain/app:1")" "plain image id"
}

run_tests
