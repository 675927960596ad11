#!/usr/bin/env bash
# volumes/: `ccompose volume create|ls|inspect|rm|prune` with Docker's
# flags and output, `ccompose volumes` as Docker Compose's, external
# volumes refused at `up` when missing, the local driver's options (a
# bind of a host path and tmpfs, mounted with mount(2) at the volume's
# first use, unmounted when its last container goes), options refused at
# their file:line:col, what the residue check finds of a volume, and
# `type: image` mounts.
# Each test in a throwaway host namespace with a private state root.
# nfs is not tested: no NFS server runs offline on this machine (the
# kernel's needs nfs-kernel-server and rpcbind); the driver passes
# `type: nfs` and its `o` to mount(2) as Docker's local driver does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# mounted PATH: whether PATH is a mount point in our mount namespace.
mounted() { awk -v p="$1" '$5 == p { found = 1 } END { exit !found }' /proc/self/mountinfo; }

test_volume_commands_behave_as_docker_volume() {
  eng_setup volcmd-$$
  local anon
  assert_exit 0 cc volume create plain
  assert_eq "$OUT" plain
  assert_exit 0 cc volume create --label team=a -o type=tmpfs -o device=tmpfs -o o=size=1m labelled
  assert_exit 0 cc volume create
  anon=$OUT
  [ ${#anon} = 64 ] || fail "an anonymous volume is named by 64 hex digits, not [$anon]"
  # An existing volume: success, as Docker.
  assert_exit 0 cc volume create plain
  assert_exit 0 cc volume ls
  assert_eq "$(head -1 <<<"$OUT")" "DRIVER    VOLUME NAME"
  assert_contains "$OUT" "local     labelled"
  assert_exit 0 cc volume ls -q
  assert_eq "$OUT" "$anon
labelled
plain"
  assert_exit 0 cc volume ls -q -f label=team=a
  assert_eq "$OUT" labelled
  assert_exit 0 cc volume ls --format '{{.Name}}:{{.Driver}}:{{.Label "team"}}' -f name=lab
  assert_eq "$OUT" "labelled:local:a"
  assert_exit 0 cc volume ls --format json -f name=plain
  assert_eq "$(python3 -c 'import json,sys; v=json.loads(sys.stdin.read()); print(v["Name"], v["Driver"], v["Scope"], v["Links"])' <<<"$OUT")" \
    "plain local local N/A"
  assert_exit 0 cc volume inspect labelled
  python3 - "$OUT" "$CCOMPOSE_DATA_DIR" <<'PY' || fail "volume inspect: $OUT"
import json, sys
v = json.loads(sys.argv[1])[0]
assert sorted(v) == ["CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"], v
assert v["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}, v
assert v["Labels"] == {"team": "a"}, v
assert v["Mountpoint"] == sys.argv[2] + "/volumes/labelled/_data", v
PY
  assert_exit 0 cc volume inspect -f '{{.Name}} {{json .Labels}}' labelled plain
  assert_eq "$OUT" 'labelled {"team":"a"}
plain null'
  assert_exit 1 cc volume inspect nope
  assert_contains "$OUT" "no such volume: nope"
  assert_exit 1 cc volume create -o bogus=1 bad
  assert_contains "$OUT" 'invalid option: "bogus"'
  assert_exit 1 cc volume ls -f nonsense=1
  assert_contains "$OUT" "invalid filter 'nonsense'"
  # prune: anonymous volumes only, unless --all.
  assert_exit 0 cc volume prune -f
  assert_contains "$OUT" "Deleted Volumes:
$anon"
  assert_contains "$OUT" "Total reclaimed space: 0B"
  assert_exit 0 cc volume ls -q
  assert_eq "$OUT" "labelled
plain"
  assert_exit 0 cc volume rm plain
  assert_eq "$OUT" plain
  assert_exit 1 cc volume rm plain
  assert_contains "$OUT" "no such volume: plain"
  assert_exit 0 cc volume rm -f plain
  assert_exit 0 cc volume prune -a -f
  assert_contains "$OUT" labelled
  assert_exit 0 cc volume ls -q
  assert_eq "$OUT" ""
}

# An external volume is someone else's: `up` refuses a missing one before
# creating anything, in Docker Compose's words, uses one that exists, and
# neither `down` nor `down -v` removes it.
test_external_volume_missing_is_refused_then_used() {
  eng_setup volext-$$
  load_images busybox
  project volext <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    network_mode: none
    command: ["sleep", "60"]
    volumes: ["shared:/shared"]
volumes:
  shared:
    external: true
    name: cc-shared-$$
YAML
  sed -i "s/\\\$\\\$/$$/" "$WORK/volext/compose.yaml"
  cd "$WORK/volext" || fail "cd"
  assert_exit 1 cc up -d
  assert_contains "$OUT" "external volume \"cc-shared-$$\" not found"
  [ -z "$(ls -A "$CCOMPOSE_STATE_DIR/containers" 2>/dev/null)" ] || fail "a container was created"
  [ ! -e "$CCOMPOSE_STATE_DIR/projects/volext" ] || fail "a state was left by a refused up"
  assert_exit 0 cc volume create "cc-shared-$$"
  echo from-outside >"$CCOMPOSE_DATA_DIR/volumes/cc-shared-$$/_data/f"
  assert_exit 0 cc up -d
  assert_exit 0 cc exec -T app cat /shared/f
  assert_eq "$OUT" from-outside
  # In use: refused, naming the container.
  assert_exit 1 cc volume rm "cc-shared-$$"
  assert_contains "$OUT" "volume is in use - [volext-app-1]"
  assert_exit 0 cc down -v -t 0
  assert_exit 0 cc volume inspect -f '{{.Name}}' "cc-shared-$$"
  assert_exit 0 cc volume rm "cc-shared-$$"
  assert_no_residue
}

# The local driver: a bind of a host path and a tmpfs, each mounted with
# mount(2) on the volume's _data at its first use, recorded before, and
# unmounted when the last container that uses it goes; the host path's
# files stay where they are.
test_driver_opts_bind_and_tmpfs_mount_at_first_use() {
  eng_setup voldrv-$$
  load_images busybox
  mkdir -p "$WORK/src" && echo on-host >"$WORK/src/file"
  project voldrv <<YAML
services:
  a:
    image: busybox:1.35
    init: true
    network_mode: none
    command: ["sleep", "60"]
    volumes: ["tv:/t", "bv:/b"]
  b:
    image: busybox:1.35
    init: true
    network_mode: none
    command: ["sleep", "60"]
    volumes: ["tv:/t"]
volumes:
  tv:
    driver_opts: {type: tmpfs, device: tmpfs, o: "size=2m,nosuid"}
    labels: {kind: scratch}
  bv:
    driver_opts: {type: none, o: bind, device: $WORK/src}
YAML
  cd "$WORK/voldrv" || fail "cd"
  local tv="$CCOMPOSE_DATA_DIR/volumes/voldrv_tv/_data" bv="$CCOMPOSE_DATA_DIR/volumes/voldrv_bv/_data"
  assert_exit 0 cc up -d
  mounted "$tv" || fail "tmpfs volume not mounted"
  mounted "$bv" || fail "bind volume not mounted"
  assert_eq "$(awk -v p="$tv" '$5 == p { print $9 }' /proc/self/mountinfo)" tmpfs
  assert_exit 0 cc exec -T a sh -c 'cat /b/file; echo shared >/t/x; df -k /t | tail -1'
  assert_contains "$OUT" "on-host"
  assert_contains "$OUT" " 2048 "
  assert_exit 0 cc exec -T b cat /t/x
  assert_eq "$OUT" shared
  assert_exit 0 cc volume inspect -f '{{json .Labels}}' voldrv_tv
  assert_eq "$OUT" '{"com.docker.compose.project":"voldrv","com.docker.compose.volume":"tv","kind":"scratch"}'
  # One of two users gone: still mounted; both gone: unmounted.
  assert_exit 0 cc rm -s -f b
  mounted "$tv" || fail "unmounted while a still uses it"
  assert_exit 0 cc down -t 0
  ! mounted "$tv" || fail "tmpfs volume still mounted after down"
  ! mounted "$bv" || fail "bind volume still mounted after down"
  [ -s "$WORK/src/file" ] || fail "the bound host path lost its file"
  assert_exit 0 cc system check
  # A later up mounts them again.
  assert_exit 0 cc up -d
  mounted "$bv" || fail "bind volume not mounted again"
  assert_exit 0 cc down -v -t 0
  ! mounted "$bv" || fail "bind volume still mounted after down -v"
  [ -s "$WORK/src/file" ] || fail "down -v emptied the bound host path"
  [ ! -e "$CCOMPOSE_DATA_DIR/volumes/voldrv_tv" ] || fail "volume left by down -v"
  assert_no_residue
}

# What the local driver cannot honour stops `up` at the volume's line,
# before anything is created; `config` prints it as Docker Compose does.
test_driver_opts_refused_at_their_line() {
  eng_setup volbad-$$
  load_images busybox
  project volbad <<'YAML'
services:
  a:
    image: busybox:1.35
    network_mode: none
    volumes: ["v:/v"]
volumes:
  v:
    driver_opts: {type: tmpfs, size: 1g}
YAML
  cd "$WORK/volbad" || fail "cd"
  assert_exit 0 cc config
  assert_contains "$OUT" "size: 1g"
  assert_exit 1 cc up -d
  assert_contains "$OUT" "compose.yaml:8:5: volume \`v\`: "
  assert_contains "$OUT" "quota size requested but no quota support"
  [ ! -e "$CCOMPOSE_DATA_DIR/volumes/volbad_v" ] || fail "a refused volume was created"
  assert_no_residue
}

# Docker Compose's `volumes`: the project's volumes, or those the named
# services' containers use, in `docker volume ls`'s columns.
test_volumes_lists_the_projects_volumes() {
  eng_setup vols-$$
  load_images busybox
  project vols <<'YAML'
services:
  a:
    image: busybox:1.35
    init: true
    network_mode: none
    command: ["sleep", "60"]
    volumes: ["one:/one"]
  b:
    image: busybox:1.35
    init: true
    network_mode: none
    command: ["sleep", "60"]
    volumes: ["two:/two"]
volumes:
  one:
  two:
YAML
  cd "$WORK/vols" || fail "cd"
  assert_exit 0 cc volume create not-ours
  assert_exit 0 cc up -d
  assert_exit 0 cc volumes
  assert_eq "$OUT" "DRIVER    VOLUME NAME
local     vols_one
local     vols_two"
  assert_exit 0 cc volumes -q b
  assert_eq "$OUT" vols_two
  assert_exit 0 cc volumes --format '{{.Name}}' a
  assert_eq "$OUT" vols_one
  assert_exit 1 cc volumes nope
  assert_contains "$OUT" "no such service: nope"
  assert_exit 0 cc down -v -t 0
  assert_exit 0 cc volume rm not-ours
  assert_no_residue
}

# A crash between a driver mount's record and the end of `up` leaves
# what `down` and `system check --fix` need: nothing stays mounted.
test_a_volume_mount_left_by_a_crash_is_found_and_undone() {
  eng_setup volcrash-$$
  load_images busybox
  project volcrash <<'YAML'
services:
  a:
    image: busybox:1.35
    init: true
    network_mode: none
    command: ["sleep", "60"]
    volumes: ["tv:/t"]
volumes:
  tv:
    driver_opts: {type: tmpfs, device: tmpfs}
YAML
  cd "$WORK/volcrash" || fail "cd"
  local tv="$CCOMPOSE_DATA_DIR/volumes/volcrash_tv/_data" n
  n=$(CCOMPOSE_CRASH_TRACE=1 cc up -d 2>&1 | sed -n 's/^crash-point \([0-9]*\) volume mounted$/\1/p' | head -1)
  [ -n "$n" ] || fail "up has no crash point \`volume mounted\`"
  assert_exit 0 cc down -v -t 0
  { CCOMPOSE_CRASH_AT=$n cc up -d; } >/dev/null 2>&1 && fail "up survived a crash at step $n"
  mounted "$tv" || fail "the crash came before the mount"
  assert_exit 0 cc down -t 0
  ! mounted "$tv" || fail "down left the volume mounted"
  # A user whose project state is gone: the check finds the mount and
  # the user, --fix undoes both.
  { CCOMPOSE_CRASH_AT=$n cc up -d; } >/dev/null 2>&1 && fail "up survived a crash at step $n"
  mounted "$tv" || fail "the second crash came before the mount"
  rm -rf "$CCOMPOSE_STATE_DIR/projects/volcrash"
  assert_exit 1 cc system check
  assert_contains "$OUT" "used by container volcrash-a-1, which no live project has"
  assert_exit 0 cc system check --fix
  ! mounted "$tv" || fail "system check --fix left the volume mounted"
  assert_exit 0 cc system check
  assert_exit 0 cc volume rm volcrash_tv
}


# `type: image`: another image's files, read-only, nosuid and nodev, one
# layer (a bind) or several (a lower-only overlay), pinned while the
# container exists so `image rm` cannot pull them from under it.
test_image_mounts_are_read_only_and_pinned() {
  eng_setup volimg-$$
  load_images busybox
  mkdir -p "$WORK/ctx"
  echo layered >"$WORK/ctx/f"
  printf 'FROM busybox:1.35\nCOPY f /f\n' >"$WORK/ctx/Dockerfile"
  assert_exit 0 cc image build --progress quiet -t two:1 "$WORK/ctx"
  project volimg <<'YAML'
services:
  app:
    image: busybox:1.35
    command: sleep 600
    volumes:
      - {type: image, source: "two:1", target: /two}
      - {type: image, source: "busybox:1.35", target: /one}
YAML
  cd "$WORK/volimg" || fail "cd"
  assert_exit 0 cc up -d
  assert_eq "$(cc exec app cat /two/f)" layered
  assert_exit 0 cc exec app test -x /one/bin/busybox
  assert_exit 1 cc exec app touch /two/new
  assert_exit 1 cc exec app touch /one/new
  assert_exit 0 cc exec app awk '$5 == "/one" || $5 == "/two" { print $5, $6 }' /proc/self/mountinfo
  assert_eq "$(grep -c 'ro,nosuid,nodev' <<<"$OUT")" 2 "image mounts are not ro,nosuid,nodev: $OUT"
  assert_eq "$(ls "$CCOMPOSE_DATA_DIR/images/pins" | grep -c '_volimg-app-1$')" 2
  assert_exit 1 cc image rm two:1
  assert_exit 0 cc down
  assert_eq "$(ls -A "$CCOMPOSE_DATA_DIR/images/pins")" "" "pins left after down"
  assert_exit 0 cc image rm two:1
  # A missing image is refused by name, before anything runs.
  sed -i 's/"two:1"/"nosuch:1"/' compose.yaml
  assert_exit 1 cc up -d
  assert_contains "$OUT" "nosuch:1"
  assert_contains "$OUT" "/two"
  assert_exit 0 cc down
  assert_no_residue
}

# image.subpath (Docker 28): that directory of the image, read-only; a
# subpath the image makes a symlink out of it (`/`, `../../etc`) is
# refused rather than followed (resolved beneath the image's root).
test_image_subpath_mounts_a_directory_and_never_escapes() {
  eng_setup volsub-$$
  load_images busybox
  mkdir -p "$WORK/ctx/data/sub"
  echo inside >"$WORK/ctx/data/sub/f"
  ln -s / "$WORK/ctx/data/root"
  ln -s ../../etc "$WORK/ctx/data/up"
  printf 'FROM busybox:1.35\nCOPY data /data\n' >"$WORK/ctx/Dockerfile"
  assert_exit 0 cc image build --progress quiet -t subimg:1 "$WORK/ctx"
  project volsub <<'YAML'
services:
  app:
    image: busybox:1.35
    command: sleep 600
    volumes:
      - {type: image, source: "subimg:1", target: /sub, image: {subpath: data/sub}}
      - {type: image, source: "busybox:1.35", target: /bin2, image: {subpath: bin}}
YAML
  cd "$WORK/volsub" || fail "cd"
  assert_exit 0 cc up -d
  assert_eq "$(cc exec app cat /sub/f)" inside
  assert_exit 0 cc exec app test -x /bin2/busybox
  assert_exit 1 cc exec app test -e /sub/data
  assert_exit 1 cc exec app touch /sub/new
  assert_exit 0 cc exec app awk '$5 == "/sub" || $5 == "/bin2" { print $5, $6 }' /proc/self/mountinfo
  assert_contains "$OUT" "/bin2 ro,nosuid,nodev"
  assert_eq "$(grep -vc 'ro,nosuid,nodev' <<<"$OUT")" 0 "subpath mounts are not ro,nosuid,nodev: $OUT"
  assert_exit 0 cc down -t 0
  local bad
  for bad in data/root data/up; do
    sed -i "s#subpath: data/[a-z]*}#subpath: $bad}#" compose.yaml
    assert_exit 1 cc up -d
    assert_contains "$OUT" "leads out of the image"
    assert_exit 0 cc down -t 0
  done
  sed -i 's#subpath: data/[a-z]*}#subpath: ../etc}#' compose.yaml
  assert_exit 1 cc config
  assert_contains "$OUT" "compose.yaml:6:74:"
  assert_contains "$OUT" "without \`..\`"
  assert_no_residue
}

run_tests
