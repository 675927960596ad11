#!/usr/bin/env bash
# `image save`: what it writes, `docker load` (a private dockerd in a
# throwaway network namespace), skopeo (docker-archive:, oci-archive:,
# oci:) and `ccompose image load` read back as the same images.
. "$(dirname "$0")/lib.sh"

SAMPLES=$TOP/samples/images
FIXTURES=$TOP/tests/system/image-fixtures.py

samples_ready() {
  "$SAMPLES/build" "$@" >/dev/null 2>"$CCOMPOSE_STATE_DIR/build.log" ||
    fail "samples/images/build $*: $(tail -5 "$CCOMPOSE_STATE_DIR/build.log")"
}

setup() {
  require_root
  use_private_state "$1"
  samples_ready busybox python web
  for n in busybox web; do "$CCOMPOSE" image load -q -i "$SAMPLES/out/$n" || fail "load $n"; done
}

image_id() { "$CCOMPOSE" image inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])'; }
diff_ids() { "$CCOMPOSE" image inspect "$1" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)[0]["RootFS"]["Layers"]))'; }
skopeo_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
need_skopeo() { command -v skopeo >/dev/null || skip "skopeo is not installed (make deps)"; }

# ---- a private dockerd -------------------------------------------------
# dockerd.bash: its own network namespace, private roots under this
# test's state, stopped by pid, its litter outside them removed.  It only
# loads images here: no bridge, no rules.
. "$(dirname "$0")/dockerd.bash"

start_dockerd() {
  [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || skip "dockerd is not installed (docker.io)"
  DOCKER_RUN=$CCOMPOSE_STATE_DIR/docker
  DOCKER_LIB=$CCOMPOSE_DATA_DIR/docker
  DOCKER_SOCK=$DOCKER_RUN.sock
  DOCKER_CGROUP=ccsave-docker-$$
  DOCKERD_ARGS=(--bridge=none --iptables=false --ip-masq=false)
  DOCKERD_NS=ccsave-$$
  dockerd_snapshot "$CCOMPOSE_STATE_DIR/docker.before"
  ip netns add "$DOCKERD_NS" || fail "ip netns add $DOCKERD_NS"
  defer "stop_dockerd"
  ip -n "$DOCKERD_NS" link set lo up
  dockerd_start "$DOCKERD_NS" || fail "dockerd did not start: $(dockerd_why)"
}

stop_dockerd() {
  dockerd_stop
  dockerd_cleanup
  ip netns del "$DOCKERD_NS" 2>/dev/null
  return 0
}

# ---- tests ---------------------------------------------------------------

test_save_docker_archive_reads_back_everywhere() {
  setup image-save-docker
  need_skopeo
  local a=$CCOMPOSE_STATE_DIR/images.tar web_id bb_id
  web_id=$(image_id ccompose-demo/web)
  bb_id=$(image_id busybox:1.35)
  assert_exit 0 "$CCOMPOSE" image save -o "$a" busybox:1.35 ccompose-demo/web
  assert_eq "$OUT" "" "save -o prints nothing"
  # docker-archive: manifest.json names the config and the uncompressed
  # layers by diff id; the same tar is an OCI layout.
  OUT=$(tar -xOf "$a" manifest.json | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    print(e["Config"], " ".join(e["RepoTags"]), " ".join(e["Layers"]))') || fail "manifest.json"
  assert_contains "$OUT" "blobs/sha256/${bb_id#sha256:} busybox:1.35 blobs/sha256/$(diff_ids busybox:1.35 | cut -c8-)"
  assert_contains "$OUT" "blobs/sha256/${web_id#sha256:} ccompose-demo/web:latest"
  tar -tf "$a" | grep -qx oci-layout || fail "no oci-layout"
  assert_eq "$(tar -tf "$a" | sort | uniq -d)" "" "a file twice in the archive"
  # skopeo reads it as a docker-archive (and checks every digest on copy).
  OUT=$(skopeo inspect "docker-archive:$a:ccompose-demo/web:latest") || fail "skopeo inspect: $OUT"
  assert_eq "$(skopeo_field '" ".join(d["Layers"])' <<<"$OUT")" "$(diff_ids ccompose-demo/web)" "layers skopeo sees"
  skopeo copy -q "docker-archive:$a:busybox:1.35" "oci:$CCOMPOSE_STATE_DIR/copy:bb" || fail "skopeo copy"
  # ... and as an OCI layout.
  mkdir "$CCOMPOSE_STATE_DIR/x" && tar -C "$CCOMPOSE_STATE_DIR/x" -xf "$a" || fail untar
  skopeo copy -q "oci:$CCOMPOSE_STATE_DIR/x:1.35" "dir:$CCOMPOSE_STATE_DIR/dir" || fail "skopeo copy oci:"
  # ccompose loads it back as the same images.
  local other=/var/lib/ccompose-test/image-save-docker-2
  defer "rm -rf '$other'"
  CCOMPOSE_DATA_DIR=$other "$CCOMPOSE" image load -q -i "$a" || fail "load the archive"
  assert_eq "$(CCOMPOSE_DATA_DIR=$other image_id ccompose-demo/web)" "$web_id" "web's id after save and load"
  assert_eq "$(CCOMPOSE_DATA_DIR=$other image_id busybox:1.35)" "$bb_id" "busybox's id after save and load"
  # docker load (Docker 20.10 here) takes it: same ids, same names.
  start_dockerd
  OUT=$(docker_cli load -i "$a" 2>&1) || fail "docker load: $OUT"
  assert_contains "$OUT" "Loaded image: busybox:1.35"
  assert_contains "$OUT" "Loaded image: ccompose-demo/web:latest"
  assert_eq "$(docker_cli image inspect -f '{{.Id}}' ccompose-demo/web)" "$web_id" "id in dockerd"
  assert_eq "$(docker_cli image inspect -f '{{join .RootFS.Layers " "}}' busybox:1.35)" "$(diff_ids busybox:1.35)" \
    "layers in dockerd"
}

test_save_oci_keeps_the_blobs() {
  setup image-save-oci
  need_skopeo
  local a=$CCOMPOSE_STATE_DIR/oci.tar digest
  digest=$("$CCOMPOSE" image inspect busybox:1.35 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Metadata"]["ManifestDigest"])')
  # Streamed to a pipe, as docker save without -o.
  "$CCOMPOSE" image save --format oci busybox:1.35 | cat >"$a" || fail "save to a pipe"
  assert_eq "$(tar -tf "$a" | grep -c manifest.json)" 0 "manifest.json in an OCI archive"
  OUT=$(skopeo inspect --raw "oci-archive:$a:1.35") || fail "skopeo inspect: $OUT"
  assert_eq "sha256:$(printf '%s' "$OUT" | sha256sum | cut -d' ' -f1)" "$digest" "the stored manifest, byte for byte"
  assert_contains "$OUT" "application/vnd.oci.image.layer.v1.tar+gzip"
  skopeo copy -q "oci-archive:$a:1.35" "dir:$CCOMPOSE_STATE_DIR/dir" || fail "skopeo copy oci-archive:"
  local other=/var/lib/ccompose-test/image-save-oci-2
  defer "rm -rf '$other'"
  CCOMPOSE_DATA_DIR=$other "$CCOMPOSE" image load -q -i "$a" || fail "load the archive"
  assert_eq "$(CCOMPOSE_DATA_DIR=$other image_id busybox:1.35)" "$(image_id busybox:1.35)" "id after save and load"
  assert_exit 0 env CCOMPOSE_DATA_DIR=$other "$CCOMPOSE" image inspect "busybox@$digest"
}

# Uncompressed layer blobs (an import of a plain tar, as the builder
# stores them) and a layer repeated in an image are saved as they should:
# the blob itself, each file once, the layer list as the config says.
test_save_uncompressed_and_repeated_layers() {
  setup image-save-layers
  need_skopeo
  python3 "$FIXTURES" repeated "$CCOMPOSE_STATE_DIR/rep" "$SAMPLES/out/busybox" || fail fixture
  "$CCOMPOSE" image load -q -i "$CCOMPOSE_STATE_DIR/rep" || fail "load repeated"
  tar -C "$CCOMPOSE_STATE_DIR" -cf "$CCOMPOSE_STATE_DIR/root.tar" rep || fail tar
  "$CCOMPOSE" image import "$CCOMPOSE_STATE_DIR/root.tar" plain:1 >/dev/null || fail import
  local a=$CCOMPOSE_STATE_DIR/l.tar
  assert_exit 0 "$CCOMPOSE" image save -o "$a" repeat plain:1
  OUT=$(tar -xOf "$a" manifest.json | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    print(e["RepoTags"][0], len(e["Layers"]), len(set(e["Layers"])))') || fail manifest.json
  assert_contains "$OUT" "repeat:latest 4 3"
  assert_contains "$OUT" "plain:1 1 1"
  assert_eq "$(tar -xOf "$a" "blobs/sha256/$(diff_ids plain:1 | cut -c8-)" | cmp - "$CCOMPOSE_STATE_DIR/root.tar" && echo same)" \
    same "the plain layer is the imported tar"
  skopeo copy -q "docker-archive:$a:repeat:latest" "oci:$CCOMPOSE_STATE_DIR/copy:r" || fail "skopeo copy"
  local other=/var/lib/ccompose-test/image-save-layers-2
  defer "rm -rf '$other'"
  CCOMPOSE_DATA_DIR=$other "$CCOMPOSE" image load -q -i "$a" || fail "load the archive"
  assert_eq "$(CCOMPOSE_DATA_DIR=$other diff_ids repeat)" "$(diff_ids repeat)" "diff ids after save and load"
}

test_save_failures_leave_no_archive() {
  setup image-save-fail
  local a=$CCOMPOSE_STATE_DIR/x.tar
  assert_exit 1 "$CCOMPOSE" image save -o "$a" busybox:1.35 nosuch:1
  assert_contains "$OUT" "no such image \`nosuch:1\`"
  assert_exit 2 "$CCOMPOSE" image save -o "$a"
  assert_exit 2 "$CCOMPOSE" image save --format tar -o "$a" busybox:1.35
  # A blob damaged in the store is found, not copied into an archive.
  local blob
  blob=$CCOMPOSE_DATA_DIR/images/blobs/sha256/$("$CCOMPOSE" image inspect ccompose-demo/web | python3 -c '
import json, sys
print(json.load(sys.stdin)[0]["Id"][7:])')
  printf ' ' >>"$blob"
  assert_exit 1 "$CCOMPOSE" image save -o "$a" ccompose-demo/web
  assert_contains "$OUT" "is damaged"
  [ ! -e "$a" ] || fail "an archive was left"
  assert_eq "$(ls "$CCOMPOSE_STATE_DIR" | grep -c ccompose-)" 0 "temporary files left"
}

run_tests
