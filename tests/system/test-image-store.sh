#!/usr/bin/env bash
# The image store beyond OCI layouts: docker-archive and OCI tarballs,
# `image import`, whiteouts as overlayfs sees them, and rm / prune / tag /
# pins removing exactly what nothing refers to.
. "$(dirname "$0")/lib.sh"

SAMPLES=$TOP/samples/images
FIXTURES=$TOP/tests/system/image-fixtures.py

samples_ready() {
  "$SAMPLES/build" "$@" >/dev/null 2>"$CCOMPOSE_STATE_DIR/build.log" ||
    fail "samples/images/build $*: $(tail -5 "$CCOMPOSE_STATE_DIR/build.log")"
}

inspect_field() {
  "$CCOMPOSE" image inspect "$1" | python3 -c "import json,sys; d=json.load(sys.stdin)[0]; print($2)"
}

layer_count() { ls "$CCOMPOSE_DATA_DIR/images/layers" | wc -l; }
blob_count() { ls "$CCOMPOSE_DATA_DIR/images/blobs/sha256" | wc -l; }

# mount_image REF DIR: overlay of REF's layers on DIR/merged.
mount_image() {
  mkdir -p "$2"/{upper,work,merged}
  mount -t overlay overlay -o "lowerdir=$(inspect_field "$1" 'd["GraphDriver"]["Data"]["LowerDir"]'),upperdir=$2/upper,workdir=$2/work" \
    "$2/merged" || fail "mount $1"
  defer "umount '$2/merged' || umount -l '$2/merged'"
}

test_whiteouts_become_overlay_markers() {
  require_root
  use_private_state image-whiteouts
  python3 "$FIXTURES" whiteouts "$CCOMPOSE_STATE_DIR/wh" /nonexistent || fail fixture
  assert_exit 0 "$CCOMPOSE" image load -i "$CCOMPOSE_STATE_DIR/wh"
  local top
  top=$(inspect_field whiteouts 'd["GraphDriver"]["Data"]["LowerDir"].split(":")[0]')
  assert_eq "$(stat -c '%F %t:%T' "$top/etc/a.conf")" "character special file 0:0" "whiteout device"
  python3 -c 'import os,sys; assert os.getxattr(sys.argv[1], "trusted.overlay.opaque") == b"y"' "$top/data" ||
    fail "data/ is not marked opaque"
  mount_image whiteouts "$CCOMPOSE_STATE_DIR/ov"
  local m=$CCOMPOSE_STATE_DIR/ov/merged
  [ ! -e "$m/etc/a.conf" ] || fail "a.conf still visible"
  [ -f "$m/etc/b.conf" ] || fail "b.conf hidden"
  assert_eq "$(ls "$m/data")" "z" "opaque data/"
  [ -f "$m/keep" ] && [ -f "$m/new" ] || fail "keep/new missing"
}

test_xattrs_kept_but_not_overlay_ones() {
  require_root
  use_private_state image-xattrs
  python3 "$FIXTURES" xattrs "$CCOMPOSE_STATE_DIR/x" /nonexistent || fail fixture
  assert_exit 0 "$CCOMPOSE" image load -i "$CCOMPOSE_STATE_DIR/x"
  local top
  top=$(inspect_field xattrs 'd["GraphDriver"]["Data"]["LowerDir"]')
  OUT=$(python3 -c '
import os, sys
top = sys.argv[1]
for p in ("d", "d/f"):
    print(p, sorted((n, os.getxattr(os.path.join(top, p), n).decode()) for n in os.listxattr(os.path.join(top, p))))
' "$top") || fail "listxattr"
  assert_contains "$OUT" "d [('user.ccompose', 'dir')]"
  assert_contains "$OUT" "d/f [('user.ccompose', 'kept')]"
  assert_not_contains "$OUT" "trusted.overlay"
}

test_many_layers_fit_one_overlay_mount() {
  require_root
  use_private_state image-many-layers
  python3 "$FIXTURES" many "$CCOMPOSE_STATE_DIR/many" /nonexistent || fail fixture
  assert_exit 0 "$CCOMPOSE" image load -i "$CCOMPOSE_STATE_DIR/many"
  mount_image many "$CCOMPOSE_STATE_DIR/ov"
  assert_eq "$(ls "$CCOMPOSE_STATE_DIR/ov/merged" | wc -l)" 45 "files from 45 layers"
  assert_eq "$(cat "$CCOMPOSE_STATE_DIR/ov/merged/layer44")" 44
}

test_docker_archive_and_oci_tarball() {
  require_root
  use_private_state image-archives
  samples_ready busybox
  local id_oci id_docker
  python3 "$FIXTURES" docker-archive "$SAMPLES/out/busybox" "$CCOMPOSE_STATE_DIR/docker.tar" || fail "docker-archive"
  assert_exit 0 "$CCOMPOSE" image load -i "$CCOMPOSE_STATE_DIR/docker.tar"
  assert_contains "$OUT" "Loaded image: busybox:1.35"
  id_docker=$(inspect_field busybox:1.35 'd["Id"]')
  [ -x "$(inspect_field busybox:1.35 'd["GraphDriver"]["Data"]["LowerDir"]')/bin/busybox" ] || fail "no busybox"
  assert_exit 0 "$CCOMPOSE" image rm busybox:1.35
  assert_eq "$(layer_count)" 0 "layers after rm"
  # The same image as an OCI layout tarball, gzip-compressed, on stdin: same id.
  tar -C "$SAMPLES/out/busybox" -czf "$CCOMPOSE_STATE_DIR/oci.tgz" . || fail tar
  assert_exit 0 bash -c '"$CCOMPOSE" image load <"$1"' _ "$CCOMPOSE_STATE_DIR/oci.tgz"
  assert_contains "$OUT" "Loaded image: busybox:1.35"
  id_oci=$(inspect_field busybox:1.35 'd["Id"]')
  assert_eq "$id_oci" "$id_docker" "image id from both formats"
  assert_eq "$(ls -A "$CCOMPOSE_DATA_DIR/images/tmp" | wc -l)" 0 "tmp entries"
}

test_import_rootfs() {
  require_root
  use_private_state image-import
  samples_ready busybox
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail load
  local root
  root=$(inspect_field busybox:1.35 'd["GraphDriver"]["Data"]["LowerDir"]')
  tar -C "$root" --zstd -cf "$CCOMPOSE_STATE_DIR/rootfs.tar.zst" . || fail tar
  assert_exit 0 "$CCOMPOSE" image import "$CCOMPOSE_STATE_DIR/rootfs.tar.zst" mybox:v1
  [[ $OUT =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed [$OUT]"
  assert_eq "$(inspect_field mybox:v1 'd["RepoTags"][0]')" "mybox:v1"
  mount_image mybox:v1 "$CCOMPOSE_STATE_DIR/ov"
  assert_eq "$(chroot "$CCOMPOSE_STATE_DIR/ov/merged" /bin/sh -c 'echo imported')" imported
  assert_exit 1 "$CCOMPOSE" image import "$CCOMPOSE_STATE_DIR/missing.tar" x:y
  assert_exit 1 "$CCOMPOSE" image import "$CCOMPOSE_STATE_DIR/rootfs.tar.zst" 'Bad:Name'
  assert_contains "$OUT" "invalid reference format"
}

# `image import --change` as docker import: Dockerfile instructions set
# the config (variables, JSON and shell forms as in a Dockerfile); others
# are refused before anything is stored.
test_import_with_changes() {
  require_root
  use_private_state image-import-change
  samples_ready busybox
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail load
  tar -C "$(inspect_field busybox:1.35 'd["GraphDriver"]["Data"]["LowerDir"]')" -cf "$CCOMPOSE_STATE_DIR/rootfs.tar" . ||
    fail tar
  assert_exit 0 "$CCOMPOSE" image import -c 'ENV A=1 PATH=/bin' -c 'ENV B=${A}-2' -c 'WORKDIR /srv' -c 'WORKDIR app' \
    -c 'CMD echo "$B"' -c 'ENTRYPOINT ["/bin/sh", "-c"]' --change 'USER 65534:65534' -c 'EXPOSE 80 53/udp' \
    -c 'LABEL org.example.a=b "with space"=c' -c 'VOLUME ["/data"]' -c 'STOPSIGNAL SIGINT' \
    -c 'HEALTHCHECK --interval=5s CMD true' -c 'onbuild RUN make' -m "made by a test" "$CCOMPOSE_STATE_DIR/rootfs.tar" changed:1
  local cfg='d["Config"]'
  assert_eq "$(inspect_field changed:1 "$cfg['Env']")" "['PATH=/bin', 'A=1', 'B=1-2']"
  assert_eq "$(inspect_field changed:1 "$cfg['WorkingDir']")" "/srv/app"
  assert_eq "$(inspect_field changed:1 "$cfg['Cmd']")" "['/bin/sh', '-c', 'echo \"\$B\"']"
  assert_eq "$(inspect_field changed:1 "$cfg['Entrypoint']")" "['/bin/sh', '-c']"
  assert_eq "$(inspect_field changed:1 "$cfg['User']")" "65534:65534"
  assert_eq "$(inspect_field changed:1 "sorted($cfg['ExposedPorts'])")" "['53/udp', '80/tcp']"
  assert_eq "$(inspect_field changed:1 "$cfg['Labels']")" "{'org.example.a': 'b', 'with space': 'c'}"
  assert_eq "$(inspect_field changed:1 "list($cfg['Volumes'])")" "['/data']"
  assert_eq "$(inspect_field changed:1 "$cfg['StopSignal']")" "SIGINT"
  assert_eq "$(inspect_field changed:1 "$cfg['Healthcheck']")" "{'Test': ['CMD-SHELL', 'true'], 'Interval': 5000000000}"
  assert_eq "$(inspect_field changed:1 "$cfg['OnBuild']")" "['RUN make']"
  assert_eq "$(inspect_field changed:1 'd["Comment"]')" "made by a test"
  # Without changes the config is empty, as docker import's, and inspect
  # shows Docker's always-printed keys with their zero values; standard
  # input works, untagged.
  assert_exit 0 bash -c '"$CCOMPOSE" image import - <"$1"' _ "$CCOMPOSE_STATE_DIR/rootfs.tar"
  assert_eq "$(inspect_field "$OUT" '[k for k, v in d["Config"].items() if v not in ("", None, False)]')" "[]"
  assert_eq "$(inspect_field "$OUT" '"Env" in d["Config"] and "ExposedPorts" not in d["Config"]')" "True"
  assert_eq "$(inspect_field "$OUT" 'd["RepoTags"]')" "[]"
  # Refused: instructions docker import refuses, two instructions in one
  # change, a continuation into nothing, invalid values; nothing stored.
  local before
  before=$(blob_count)
  local bad
  for bad in 'RUN echo pwned' 'COPY / /' 'FROM busybox' 'ARG X=1' 'SHELL ["/bin/bash"]' 'MAINTAINER me'; do
    assert_exit 1 "$CCOMPOSE" image import -c "$bad" "$CCOMPOSE_STATE_DIR/rootfs.tar" bad:1
    assert_contains "$OUT" "--change \`$bad\`: ${bad%% *} is not a valid change command"
  done
  assert_exit 1 "$CCOMPOSE" image import -c "$(printf 'CMD true\nRUN echo pwned')" "$CCOMPOSE_STATE_DIR/rootfs.tar" bad:1
  assert_contains "$OUT" "one instruction per --change"
  assert_exit 1 "$CCOMPOSE" image import -c 'CMD true \' -c 'RUN echo pwned' "$CCOMPOSE_STATE_DIR/rootfs.tar" bad:1
  assert_contains "$OUT" "line continuation"
  assert_exit 1 "$CCOMPOSE" image import -c 'EXPOSE http' "$CCOMPOSE_STATE_DIR/rootfs.tar" bad:1
  assert_contains "$OUT" "--change \`EXPOSE http\`: invalid containerPort: http"
  assert_exit 1 "$CCOMPOSE" image import -c 'STOPSIGNAL SIGNOPE' "$CCOMPOSE_STATE_DIR/rootfs.tar" bad:1
  assert_contains "$OUT" "--change \`STOPSIGNAL SIGNOPE\`: invalid signal"
  assert_exit 1 "$CCOMPOSE" image inspect bad:1
  assert_eq "$(blob_count)" "$before" "blobs after refused imports"
  assert_exit 2 "$CCOMPOSE" image import -c
}

test_rm_and_prune_remove_exactly_the_unreferenced() {
  require_root
  use_private_state image-gc
  samples_ready busybox redis python web
  local n
  for n in busybox redis python web; do "$CCOMPOSE" image load -q -i "$SAMPLES/out/$n" || fail "load $n"; done
  assert_eq "$(layer_count)" 4 "layers: busybox, redis, python, web's app"
  assert_exit 0 "$CCOMPOSE" image tag busybox:1.35 mybox
  assert_exit 0 "$CCOMPOSE" image rm busybox:1.35
  assert_eq "$OUT" "Untagged: busybox:1.35"
  assert_eq "$(layer_count)" 4 "mybox still holds busybox's layer"
  assert_exit 0 "$CCOMPOSE" image rm mybox
  assert_contains "$OUT" "Deleted: sha256:"
  assert_eq "$(layer_count)" 3 "busybox's layer is gone"
  # python's layer is web's base: removing python keeps it.
  local pylayer
  pylayer=$(inspect_field python:3.11-flask 'd["RootFS"]["Layers"][0][7:]')
  assert_exit 0 "$CCOMPOSE" image rm python:3.11-flask
  [ -d "$CCOMPOSE_DATA_DIR/images/layers/$pylayer" ] || fail "shared layer removed"
  assert_exit 1 "$CCOMPOSE" image inspect python:3.11-flask
  assert_contains "$OUT" "no such image"
  # Pinned by a container: rm refuses, -f only untags, the layers stay.
  assert_exit 0 "$CCOMPOSE" image pin ctr1 ccompose-demo/web
  assert_eq "$OUT" "$(inspect_field ccompose-demo/web 'd["GraphDriver"]["Data"]["LowerDir"]')" "pin prints the lowerdir"
  assert_exit 1 "$CCOMPOSE" image pin ../evil ccompose-demo/web
  assert_contains "$OUT" "invalid pin owner"
  assert_exit 1 "$CCOMPOSE" image rm ccompose-demo/web
  assert_contains "$OUT" "container is using it"
  assert_exit 0 "$CCOMPOSE" image rm -f ccompose-demo/web
  assert_eq "$(layer_count)" 3 "pinned layers kept"
  # prune -a takes redis (unused) and keeps the pinned, untagged web.
  assert_exit 0 "$CCOMPOSE" image prune -a -f
  assert_eq "$(layer_count)" 2 "prune keeps pinned layers"
  assert_eq "$("$CCOMPOSE" image ls -q | wc -l)" 1 "the pinned image is listed"
  assert_exit 0 "$CCOMPOSE" image unpin ctr1
  assert_exit 0 "$CCOMPOSE" image prune -f
  assert_contains "$OUT" "Deleted: sha256:"
  assert_contains "$OUT" "Total reclaimed space"
  assert_eq "$(layer_count)" 0 "layers after the last prune"
  assert_eq "$(blob_count)" 0 "blobs after the last prune"
}

test_dangling_after_retag() {
  require_root
  use_private_state image-dangling
  samples_ready busybox redis
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail load
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/redis" || fail load
  assert_exit 0 "$CCOMPOSE" image tag redis:7 busybox:1.35
  assert_exit 0 "$CCOMPOSE" image ls
  assert_contains "$OUT" "<none>"
  assert_exit 0 "$CCOMPOSE" image prune -f
  assert_contains "$OUT" "Deleted: sha256:"
  assert_exit 0 "$CCOMPOSE" image ls --format json
  assert_not_contains "$OUT" "<none>"
  assert_eq "$(layer_count)" 1 "redis's layer only"
  # By id, an image with two references needs -f, as in Docker.
  local id
  id=$(inspect_field redis:7 'd["Id"][7:19]')
  assert_exit 1 "$CCOMPOSE" image rm "$id"
  assert_contains "$OUT" "must be forced"
  assert_exit 0 "$CCOMPOSE" image rm -f "$id"
  assert_contains "$OUT" "Untagged: busybox:1.35"
  assert_contains "$OUT" "Deleted: sha256:"
  assert_eq "$(layer_count)" 0 "no layer left"
}

test_load_moves_a_tag_and_says_so() {
  require_root
  use_private_state image-retag
  samples_ready busybox
  python3 "$FIXTURES" ok "$CCOMPOSE_STATE_DIR/ok" /nonexistent || fail fixture
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail load
  local id
  id=$(inspect_field busybox:1.35 'd["Id"]')
  "$CCOMPOSE" image load -q -i "$CCOMPOSE_STATE_DIR/ok" || fail load
  assert_exit 0 "$CCOMPOSE" image tag hostile busybox:1.35
  assert_exit 0 "$CCOMPOSE" image load -i "$SAMPLES/out/busybox"
  assert_contains "$OUT" "busybox:1.35 now names the loaded image"
  assert_eq "$(inspect_field busybox:1.35 'd["Id"]')" "$id" "busybox:1.35 after the load"
  assert_eq "$(inspect_field hostile 'd["RepoTags"]')" "['hostile:latest']" "the other image keeps its own tag"
}

# steps CMD...: how many crash points CMD passes (CCOMPOSE_CRASH_TRACE).
steps() { CCOMPOSE_CRASH_TRACE=1 "$@" 2>&1 >/dev/null | grep -c '^crash-point '; }

# After a crash anywhere in a load, the store shows the whole image or
# none of it, and the next load and prune put everything right.
test_load_killed_at_every_step() {
  require_root
  use_private_state image-crash-load
  samples_ready busybox
  local n k s=$CCOMPOSE_DATA_DIR/images
  n=$(steps "$CCOMPOSE" image load -i "$SAMPLES/out/busybox")
  [ "$n" -ge 8 ] || fail "only $n crash points in a load"
  "$CCOMPOSE" image prune -a -f >/dev/null || fail "prune"
  for k in $(seq 1 "$n"); do
    assert_exit 137 env CCOMPOSE_CRASH_AT=$k "$CCOMPOSE" image load -i "$SAMPLES/out/busybox"
    assert_exit 0 "$CCOMPOSE" image ls -q
    if [ -n "$OUT" ]; then
      assert_exit 0 "$CCOMPOSE" image inspect busybox:1.35 # visible means whole
    fi
    assert_exit 0 "$CCOMPOSE" image load -i "$SAMPLES/out/busybox"
    [ -x "$(inspect_field busybox:1.35 'd["GraphDriver"]["Data"]["LowerDir"]')/bin/busybox" ] || fail "step $k: no busybox"
    assert_exit 0 "$CCOMPOSE" image rm busybox:1.35
    assert_eq "$(ls -A "$s/tmp" "$s/layers" "$s/blobs/sha256" "$s/l" | grep -v ':$' | grep -c .)" 0 "step $k: store after rm"
  done
}

# A crash in the middle of `image rm` never hurts the image that stays.
test_rm_killed_at_every_step() {
  require_root
  use_private_state image-crash-rm
  samples_ready busybox redis
  local n k
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail load
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/redis" || fail load
  n=$(steps "$CCOMPOSE" image rm busybox:1.35)
  [ "$n" -ge 3 ] || fail "only $n crash points in an rm"
  for k in $(seq 1 "$n"); do
    "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail "step $k: load"
    assert_exit 137 env CCOMPOSE_CRASH_AT=$k "$CCOMPOSE" image rm busybox:1.35
    assert_exit 0 "$CCOMPOSE" image inspect redis:7
    assert_exit 0 "$CCOMPOSE" image prune -f
    "$CCOMPOSE" image rm busybox:1.35 >/dev/null 2>&1 # when the crash came before the untag
    assert_eq "$("$CCOMPOSE" image ls -q | wc -l)" 1 "step $k: images left"
    assert_eq "$(layer_count)" 1 "step $k: layers left"
    [ -x "$(inspect_field redis:7 'd["GraphDriver"]["Data"]["LowerDir"]')/usr/bin/redis-server" ] ||
      fail "step $k: redis broken"
  done
}

test_damaged_image_is_reported_and_repaired_by_a_load() {
  require_root
  use_private_state image-damaged
  samples_ready busybox redis
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail load
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/redis" || fail load
  rm -rf "$CCOMPOSE_DATA_DIR/images/layers/$(inspect_field redis:7 'd["RootFS"]["Layers"][0][7:]')"
  assert_exit 0 "$CCOMPOSE" image ls
  assert_contains "$OUT" "busybox"
  assert_contains "$OUT" "is not unpacked"
  assert_exit 1 "$CCOMPOSE" image inspect redis:7
  assert_contains "$OUT" "load the image again"
  assert_exit 0 "$CCOMPOSE" image load -i "$SAMPLES/out/redis"
  assert_exit 0 "$CCOMPOSE" image inspect redis:7
  # An unreadable config stops GC rather than guess which layers are wanted.
  local cfg layers_before
  cfg=$(inspect_field busybox:1.35 'd["Id"][7:]')
  echo garbage >"$CCOMPOSE_DATA_DIR/images/blobs/sha256/$cfg"
  layers_before=$(layer_count)
  assert_exit 1 "$CCOMPOSE" image prune -f
  assert_contains "$OUT" "garbage collection stopped"
  assert_eq "$(layer_count)" "$layers_before" "layers after a refused GC"
  assert_exit 0 "$CCOMPOSE" image rm busybox:1.35
  assert_exit 0 "$CCOMPOSE" image inspect redis:7
  assert_eq "$(layer_count)" 1 "busybox's layer collected once its image is gone"
}

run_tests
