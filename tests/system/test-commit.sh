#!/usr/bin/env bash
# `commit` (issue 15) against one running project: a container's writes
# and deletions (whiteouts, an opaque directory) become a layer, -c
# changes its config, -a and -m its history; the image runs in another
# project's service; a stopped container commits too, untagged; bad
# changes and names are refused.  The container's files are read, never
# changed (their times stay), and it is thawed afterwards, on error too.
# Its upper directory is the container's to shape: a symlink to a host
# file stays a link, a FIFO does not block, a huge sparse file is an
# error (not a full disk), and files swapped for symlinks or devices
# while an unpaused commit reads them never bring host data in.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

commit_setup() {
  eng_setup "$1"
  load_images busybox
  project "$1" <<'YAML'
services:
  box:
    image: busybox:1.35
    command: sleep 600
YAML
  project "$1-run" <<'YAML'
services:
  again:
    image: cctest/committed:1
    pull_policy: never
YAML
  cd "$WORK/$1" || fail "cd"
  assert_exit 0 cc up -d
  SECRET=$WORK/host-secret
  echo "HOSTSECRET-$$" >"$SECRET"
}

in_box() { cc exec box sh -c "$*"; }
# python3 costs ~1 s on a loaded CI machine: these use none.
box_status() { "$CCOMPOSE" runtime state commit-box-1 | tr -d ' \n\t' | grep -o '"status":"[a-z]*"' | cut -d'"' -f4; }
# The blob of REF's top layer.
top_blob() {
  local d
  d=$("$CCOMPOSE" image inspect "$1" | tr -d ' \n\t' | grep -o '"Layers":\[[^]]*\]' | grep -o 'sha256:[0-9a-f]*' | tail -1)
  echo "$CCOMPOSE_DATA_DIR/images/blobs/sha256/${d#sha256:}"
}
# No blob or layer of the store holds the host file's text.
assert_no_secret() {
  ! grep -rqs "HOSTSECRET-$$" "$CCOMPOSE_DATA_DIR/images" || fail "host file content in the image store ($1)"
}

test_commit() {
  commit_setup commit
  commit_keeps_writes_deletions_and_changes
  commit_refuses_bad_changes_and_names
  commit_keeps_hostile_entries_as_entries
  commit_bounds_a_huge_sparse_file
  commit_unpaused_while_files_are_swapped
  commit_a_stopped_container
  cd "$WORK/commit" && assert_exit 0 cc down -t 0
  assert_no_residue
}

commit_keeps_writes_deletions_and_changes() {
  local id upper before after
  in_box 'echo hello >/tmp/new && mkdir -p /srv/d && echo deep >/srv/d/f && chown 1234:2345 /srv/d/f &&
    rm /etc/ld.so.conf && rm -rf /usr/share/initramfs-tools/hooks && mkdir /usr/share/initramfs-tools/hooks &&
    echo mine >/usr/share/initramfs-tools/hooks/mine && touch -d @1000000000 /tmp/new' ||
    fail "writing in the container"
  upper=$(find "$CCOMPOSE_DATA_DIR" "$CCOMPOSE_STATE_DIR" -maxdepth 5 -type d -name upper -path '*commit-box-1*' | head -1)
  [ -d "$upper" ] || fail "no upper directory found for commit-box-1"
  # find's own reading of a directory updates its access time once
  # (relatime): a first walk, so that the one to compare sees them set.
  find "$upper" >/dev/null
  before=$(find "$upper" -printf '%p %T@ %A@\n' | sort)
  assert_exit 0 cc commit -a 'Jo <jo@example.org>' -m 'first commit' -c 'ENV A=b' \
    -c 'CMD ["sh", "-c", "echo cmd-ran; sleep 600"]' box cctest/committed:1
  id=$OUT
  [[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "commit printed [$id], not an image id"
  after=$(find "$upper" -printf '%p %T@ %A@\n' | sort)
  [ "$before" = "$after" ] || fail "commit changed the container's files: $(diff <(echo "$before") <(echo "$after"))"
  assert_eq "$(box_status)" running "container after commit"
  "$CCOMPOSE" image inspect busybox:1.35 cctest/committed:1 | python3 -c '
import json, sys
base, d = json.load(sys.stdin)
assert d["Id"] == sys.argv[1], d["Id"]
assert (d["Author"], d["Comment"]) == ("Jo <jo@example.org>", "first commit"), d
env = d["Config"]["Env"]
assert "A=b" in env and any(e.startswith("PATH=") for e in env), env
assert d["Config"]["Cmd"] == ["sh", "-c", "echo cmd-ran; sleep 600"], d["Config"]
assert d["RootFS"]["Layers"][:-1] == base["RootFS"]["Layers"], d["RootFS"]
' "$id" || fail "the committed image"
  assert_contains "$("$CCOMPOSE" image ls)" "cctest/committed"

  # The image runs in a service of another project.
  cd "$WORK/commit-run" || fail "cd"
  assert_exit 0 cc up -d
  wait_for 10 "the committed CMD" sh -c "'$CCOMPOSE' logs again 2>&1 | grep -q cmd-ran"
  local seen
  seen=$(cc exec again sh -c 'cat /tmp/new /srv/d/f /usr/share/initramfs-tools/hooks/mine; echo "A=$A";
    stat -c "%u:%g" /srv/d/f; stat -c %Y /tmp/new;
    [ -e /etc/ld.so.conf ] && echo ldconf-still-there; ls /usr/share/initramfs-tools/hooks') || fail "exec in again"
  assert_eq "$seen" "hello
deep
mine
A=b
1234:2345
1000000000
mine"
  assert_contains "$(cc images)" "cctest/committed"
  assert_exit 0 cc down -t 0
  cd "$WORK/commit" || fail "cd"
}

commit_refuses_bad_changes_and_names() {
  assert_exit 1 cc commit -c 'ONBUILD RUN true' box
  assert_contains "$OUT" "ONBUILD is not supported by commit"
  assert_exit 1 cc commit -c 'RUN true' box
  assert_contains "$OUT" "RUN is not a valid change command"
  assert_exit 1 cc commit -c 'ENV' box
  assert_contains "$OUT" "--change \`ENV\`"
  assert_exit 1 cc commit -c 'EXPOSE notaport' box
  assert_exit 1 cc commit box 'Bad:Name'
  assert_contains "$OUT" "invalid reference"
  assert_exit 1 cc commit box "x@sha256:$(printf '%064d' 0)"
  assert_contains "$OUT" "digest"
  assert_exit 1 cc commit nosuch
  assert_exit 2 cc commit
  assert_exit 2 cc commit box a b
  assert_exit 2 cc commit --pause=maybe box
  assert_exit 2 cc commit --index 0 box
  assert_exit 0 cc --dry-run commit box cctest/dry:1
  assert_exit 1 "$CCOMPOSE" image inspect cctest/dry:1
  assert_eq "$(box_status)" running "container after refused commits"
}

# A symlink to a host file is stored as that symlink; a FIFO and a device
# as entries, never opened (the FIFO would block the commit).
commit_keeps_hostile_entries_as_entries() {
  in_box "ln -s /etc/shadow /tmp/shadow-link && ln -s '$SECRET' /tmp/secret-link && mkfifo /tmp/fifo &&
    mknod /tmp/zero c 1 5" || fail "planting entries"
  assert_exit 0 timeout 30 "$CCOMPOSE" commit box cctest/hostile:1
  local blob
  blob=$(top_blob cctest/hostile:1)
  [ -f "$blob" ] || fail "no layer blob $blob"
  tar -tvf "$blob" >"$WORK/hostile.lst" || fail "layer is no tar"
  grep -q '^l.* tmp/shadow-link -> /etc/shadow$' "$WORK/hostile.lst" || fail "shadow link: $(cat "$WORK/hostile.lst")"
  grep -q "^l.* tmp/secret-link -> $SECRET\$" "$WORK/hostile.lst" || fail "secret link: $(cat "$WORK/hostile.lst")"
  grep -q '^p.* tmp/fifo$' "$WORK/hostile.lst" || fail "fifo: $(cat "$WORK/hostile.lst")"
  grep -q '^c.* 1,5 .*tmp/zero$' "$WORK/hostile.lst" || fail "device: $(cat "$WORK/hostile.lst")"
  assert_no_secret "symlinks"
  in_box 'rm /tmp/shadow-link /tmp/secret-link /tmp/fifo /tmp/zero'
}

# A file of 1 TiB that takes no disk: its tar would; the commit fails,
# the container runs on, nothing of it is left in the store.
commit_bounds_a_huge_sparse_file() {
  local free
  free=$(df -B1 --output=avail "$CCOMPOSE_DATA_DIR" | tail -1)
  [ "$free" -lt $((1 << 40)) ] || skip "more than 1 TiB free"
  in_box 'truncate -s 1099511627776 /tmp/huge' || fail "truncate"
  assert_exit 1 timeout 30 "$CCOMPOSE" commit box cctest/huge:1
  assert_contains "$OUT" "tmp/huge"
  assert_contains "$OUT" "free for the layer"
  assert_eq "$(box_status)" running "container after a failed commit"
  [ -z "$(ls -A "$CCOMPOSE_DATA_DIR/images/tmp")" ] || fail "left in the store's tmp: $(ls "$CCOMPOSE_DATA_DIR/images/tmp")"
  in_box 'rm /tmp/huge'
}

# --pause=false: the container swaps a regular file for a symlink to a
# host file, a FIFO and /dev/zero's device while commits read it.  Each
# commit succeeds or fails on the swap; none blocks, none follows the link
# or opens what was swapped in (a regular file of zeros would show it).
commit_unpaused_while_files_are_swapped() {
  in_box "echo real >/tmp/r.file; ln -s '$SECRET' /tmp/r.link; mkfifo /tmp/r.fifo; mknod /tmp/r.dev c 1 5;
    nohup sh -c 'while :; do for k in link file fifo file dev file; do
      cp -a /tmp/r.\$k /tmp/r.new && mv -f /tmp/r.new /tmp/race; done; done' >/dev/null 2>&1 &" ||
    fail "starting the swapper"
  local i ok=0 blob
  for i in 1 2 3 4 5; do
    timeout 30 "$CCOMPOSE" commit --pause=false box "cctest/race:$i" >"$WORK/race.out" 2>&1
    case $? in
      0)
        ok=$((ok + 1))
        blob=$(top_blob "cctest/race:$i")
        tar -xOf "$blob" tmp/race 2>/dev/null | od -c | grep -q '\\0' && fail "a device was read into tmp/race"
        ;;
      1) grep -qE "replaced|shrank|No such file" "$WORK/race.out" || fail "commit $i: $(cat "$WORK/race.out")" ;;
      *) fail "commit $i: exit $? $(cat "$WORK/race.out")" ;;
    esac
  done
  [ $ok -gt 0 ] || fail "no commit got through the swaps"
  assert_no_secret "swapped files"
  assert_eq "$(box_status)" running "container after unpaused commits"
}

# A stopped container commits from its upper directory at rest; without
# a name the image is untagged, found by its id.
commit_a_stopped_container() {
  in_box 'echo later >/tmp/later' || fail "write"
  assert_exit 0 cc stop -t 0 box
  assert_exit 0 cc commit -c 'WORKDIR /tmp' box
  local id=$OUT
  [[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "commit printed [$id]"
  "$CCOMPOSE" image inspect "$id" | tr -d ' \n\t' | grep -q '"RepoTags":\[\]' || fail "a tagged image"
  "$CCOMPOSE" image inspect "$id" | tr -d ' \n\t' | grep -q '"WorkingDir":"/tmp"' || fail "WORKDIR not applied"
  local blob
  blob=$(top_blob "$id")
  assert_eq "$(tar -xOf "$blob" tmp/later)" "later" "the stopped container's file"
}

run_tests
