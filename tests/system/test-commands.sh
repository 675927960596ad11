#!/usr/bin/env bash
# The commands issue 15 adds, against one running project: `cp` with
# Docker's placement rules, tar streams, -a and -L, --index, --dry-run and
# malformed arguments; `cp` never reaching the host through a symlink the
# container planted (the container's paths resolve inside its root); and
# `export`; `events` as Compose prints them, its journal capped and gone
# with `down`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

cmd_setup() {
  eng_setup "$1"
  load_images busybox
  project "$1" <<'YAML'
services:
  box:
    image: busybox:1.35
    command: sleep 600
    tmpfs: [/scratch]
    labels: {ev.mark: one}
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
    deploy:
      replicas: 2
YAML
  cd "$WORK/$1" || fail "cd"
  assert_exit 0 cc up -d
}

# in_box INDEX CMD: a shell command in replica INDEX.
in_box() { local i=$1; shift; cc exec --index "$i" box sh -c "$*"; }

test_cp() {
  cmd_setup cmdcp
  cp_copies_as_docker_does
  cp_never_follows_container_symlinks_out
  export_writes_the_container_files
  stats_reads_the_cgroups
  events_follow_the_containers
  cp_and_export_reach_a_stopped_container
  assert_exit 0 cc down -t 0
  wait_for 10 "destroy events" grep -q '"action":"destroy"' "$WORK/events.json"
  kill $EVENTS_PIDS
  # The journal went with the project's state directory.
  [ ! -e "$CCOMPOSE_STATE_DIR/projects/cmdcp/events.jsonl" ] || fail "events journal left after down"
  assert_no_residue
}

cp_copies_as_docker_does() {
  local host=$WORK/host out
  mkdir -p "$host/tree/sub"
  echo one >"$host/tree/a"
  echo two >"$host/tree/sub/b"
  ln -s a "$host/tree/link"
  chown 1234:2345 "$host/tree/a"
  echo file >"$host/file"

  # To every replica without --index; a file into an existing directory.
  assert_exit 0 cc cp "$host/file" box:/tmp
  assert_contains "$OUT" "Copied"
  assert_eq "$(in_box 1 cat /tmp/file)" file
  assert_eq "$(in_box 2 cat /tmp/file)" file
  # A file to a new name, a directory to a new name and into a directory,
  # its content alone with `/.`; symlinks stay symlinks; owners are the
  # container's root without -a, the source's with it.
  assert_exit 0 cc cp --index 1 "$host/file" box:/tmp/renamed
  assert_exit 0 cc cp --index 1 "$host/tree" box:/tmp/newdir
  assert_exit 0 cc cp --index 1 "$host/tree" box:/tmp/newdir
  assert_exit 0 cc cp --index 1 "$host/tree/." box:/tmp/flat
  assert_exit 1 cc cp --index 1 "$host/tree/." box:/tmp/flat/a
  assert_contains "$OUT" "cannot copy directory"
  out=$(in_box 1 'cat /tmp/renamed /tmp/newdir/a /tmp/newdir/sub/b /tmp/newdir/tree/a /tmp/flat/sub/b;
    readlink /tmp/newdir/link; stat -c %u:%g /tmp/newdir/a')
  assert_eq "$(echo $out)" "file one two one two a 0:0"
  assert_exit 0 cc cp -a --index 2 "$host/tree" box:/tmp/owned
  assert_eq "$(in_box 2 stat -c %u:%g /tmp/owned/a)" "1234:2345"
  # Missing parents and sources are errors; nothing half-made.
  assert_exit 1 cc cp --index 1 "$host/file" box:/nosuch/dir/
  assert_contains "$OUT" "does not exist"
  assert_exit 1 cc cp --index 1 box:/nosuch "$host/x"
  [ ! -e "$host/x" ] || fail "a failed copy left $host/x"

  # From the container: a file, a directory, a tar stream each way.
  in_box 1 'mkdir -p /srv/d/e && echo from >/srv/d/f && echo deep >/srv/d/e/g && ln -s /etc/passwd /srv/d/l' ||
    fail "seed the container"
  assert_exit 0 cc cp box:/srv/d/f "$host/got"
  assert_eq "$(cat "$host/got")" from
  assert_exit 0 cc cp box:/srv/d "$host/gotdir"
  assert_eq "$(cat "$host/gotdir/e/g")" deep
  assert_eq "$(readlink "$host/gotdir/l")" /etc/passwd
  out=$(cc cp box:/srv/d - | tar -tf - | sort | tr '\n' ' ')
  assert_eq "$out" "d/ d/e/ d/e/g d/f d/l "
  tar -C "$host/tree" -cf - . | cc cp - box:/tmp/streamed/ >/dev/null 2>&1 &&
    fail "cp - into a missing directory succeeded"
  in_box 1 mkdir /tmp/streamed
  tar -C "$host/tree" -cf - . | cc cp --index 1 - box:/tmp/streamed 2>/dev/null || fail "cp - box:/tmp/streamed"
  assert_eq "$(in_box 1 cat /tmp/streamed/sub/b)" two

  # --dry-run copies nothing.
  assert_exit 0 cc --dry-run cp --index 1 "$host/file" box:/tmp/dry
  assert_contains "$OUT" "DRY-RUN MODE"
  in_box 1 'test ! -e /tmp/dry' || fail "--dry-run copied"

  # Malformed: usage errors (2), before anything is touched.
  local args
  while IFS= read -r args; do
    # shellcheck disable=SC2086
    assert_exit 2 cc cp $args
  done <<CASES
box:/a
box:/a box:/b
$host/file $host/other
--index 0 $host/file box:/tmp
--index x $host/file box:/tmp
box:- $host/x
$host/file box:
--bogus $host/file box:/tmp
CASES
  assert_exit 1 cc cp "$host/file" nosuch:/tmp
}

# The container owns its paths; the host's must stay out of reach.  It
# plants symlinks to a host directory, absolute and through `..`, where a
# copy would land or read if cp joined paths as strings under the
# container's root.
cp_never_follows_container_symlinks_out() {
  local hostdir=$WORK/hostside
  mkdir -p "$hostdir"
  echo host-secret >"$hostdir/secret"
  echo payload >"$WORK/payload"
  in_box 1 "ln -s '$hostdir' /evil && ln -s ../../../../../../..'$hostdir' /tmp/dots &&
    ln -s '$hostdir/secret' /leak && mkdir -p '$hostdir' && echo inside >'$hostdir/secret'" ||
    fail "plant the symlinks"

  # Into the container through its symlinks: they resolve in its root.
  cc cp --index 1 "$WORK/payload" box:/evil/pwned >/dev/null 2>&1
  cc cp --index 1 "$WORK/payload" box:/tmp/dots/pwned2 >/dev/null 2>&1
  [ ! -e "$hostdir/pwned" ] || fail "cp wrote through the container's absolute symlink onto the host"
  [ ! -e "$hostdir/pwned2" ] || fail "cp wrote through the container's .. symlink onto the host"
  assert_eq "$(in_box 1 cat "$hostdir/pwned")" payload
  # Out of the container: -L follows the link inside the container only.
  assert_exit 0 cc cp -L --index 1 box:/leak "$WORK/leaked"
  assert_eq "$(cat "$WORK/leaked")" inside
  assert_exit 0 cc cp --index 1 box:/leak "$WORK/link"
  [ -L "$WORK/link" ] || fail "cp without -L followed the container's symlink"
}

# `export`: the container's own files (what cp put there included), its
# mounts as the empty directories they cover.
export_writes_the_container_files() {
  local list
  assert_exit 0 cc export --index 2 -o "$WORK/box.tar" box
  list=$(tar -tf "$WORK/box.tar") || fail "export wrote no tar"
  assert_contains "$list" "bin/busybox"
  assert_contains "$list" "tmp/owned/sub/b"
  assert_contains "$list" "proc/"
  assert_not_contains "$list" "proc/1/"
  assert_not_contains "$list" "sys/kernel"
  [ "$(cc export --index 2 box | tar -tf - | wc -l)" = "$(echo "$list" | wc -l)" ] ||
    fail "export to stdout differs from -o"
  assert_exit 0 cc --dry-run export -o "$WORK/dry.tar" box
  [ ! -e "$WORK/dry.tar" ] || fail "--dry-run exported"
  assert_exit 2 cc export
  assert_exit 2 cc export box box
  assert_exit 2 cc export --index 0 box
  assert_exit 2 cc export -o '' box
}

# As Docker's: a stopped container's own files are there to copy and
# export.  Its mounts are not (they exist only while it runs), so a path
# on or above one is refused rather than answered with the image's empty
# directory.
cp_and_export_reach_a_stopped_container() {
  echo later >"$WORK/later"
  assert_exit 0 cc stop -t 0 box
  assert_exit 0 cc cp --index 2 "$WORK/later" box:/tmp/later
  assert_exit 0 cc cp --index 2 box:/tmp/owned/sub/b "$WORK/b-at-rest"
  assert_eq "$(cat "$WORK/b-at-rest")" two
  assert_exit 0 cc export --index 2 -o "$WORK/rest.tar" box
  tar -tf "$WORK/rest.tar" | grep -qx "tmp/later" || fail "export of the stopped container lacks what cp put there"
  cp_at_rest_never_follows_container_symlinks_out
  assert_exit 1 cc cp --index 2 box:/scratch/../scratch/x "$WORK/x"
  assert_contains "$OUT" "its mount \`/scratch\` is there only while it runs"
  assert_exit 1 cc cp --index 2 box:/ "$WORK/all"
  assert_exit 1 cc cp --index 2 "$WORK/later" box:/scratch
  [ ! -e "$WORK/x" ] && [ ! -e "$WORK/all" ] || fail "a refused copy left files"
  assert_exit 0 cc start box
  assert_eq "$(in_box 2 cat /tmp/later)" later
  in_box 2 'test ! -e /scratch/later' || fail "cp wrote under the stopped container's tmpfs"
  assert_eq "$(in_box 1 cat "$WORK/hostside/pwned-at-rest")" payload
}

# At rest the container's root is a mount of its layers that ccompose
# made itself: the symlinks replica 1 planted while it ran must resolve
# in that root as they did in the running one, never on the host.
cp_at_rest_never_follows_container_symlinks_out() {
  local hostdir=$WORK/hostside
  cc cp --index 1 "$WORK/payload" box:/evil/pwned-at-rest >/dev/null 2>&1
  cc cp --index 1 "$WORK/payload" box:/tmp/dots/pwned2-at-rest >/dev/null 2>&1
  [ ! -e "$hostdir/pwned-at-rest" ] || fail "cp at rest wrote through the container's absolute symlink onto the host"
  [ ! -e "$hostdir/pwned2-at-rest" ] || fail "cp at rest wrote through the container's .. symlink onto the host"
  assert_exit 0 cc cp -L --index 1 box:/leak "$WORK/leaked-at-rest"
  assert_eq "$(cat "$WORK/leaked-at-rest")" inside
  assert_exit 0 cc cp -L --index 1 box:/tmp/dots/secret "$WORK/dots-at-rest"
  assert_eq "$(cat "$WORK/dots-at-rest")" inside
  assert_exit 0 cc export --index 1 -o "$WORK/evil.tar" box
  tar -tvf "$WORK/evil.tar" | grep -q '^l.* evil -> ' || fail "export at rest did not keep /evil a symlink"
  tar -tf "$WORK/evil.tar" | grep -q '^evil/' && fail "export at rest followed /evil onto the host"
  true
}

# `stats`: a busy loop in one replica shows as its CPU and PIDs, in the
# table, JSON and template formats.
stats_reads_the_cgroups() {
  local out
  cc exec -d --index 1 box sh -c 'while :; do :; done' || fail "start a busy loop"
  out=$(cc stats --no-stream --format json box) || fail "stats --format json"
  [ "$(echo "$out" | wc -l)" = 2 ] || fail "stats: wanted one JSON line per replica: $out"
  echo "$out" | python3 -c '
import json, sys
rows = {r["Name"]: r for r in map(json.loads, sys.stdin)}
one, two = rows["cmdcp-box-1"], rows["cmdcp-box-2"]
for r in (one, two):
    assert set(r) == {"BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name", "NetIO", "PIDs"}, r
    assert r["CPUPerc"].endswith("%") and " / " in r["MemUsage"] and " / " in r["NetIO"], r
    assert not r["MemUsage"].startswith("0B"), r
cpu = lambda r: float(r["CPUPerc"][:-1])
assert cpu(one) > 2 and cpu(one) > cpu(two), (one, two)
assert int(one["PIDs"]) >= 2 and int(two["PIDs"]) >= 1, (one, two)
' || fail "stats JSON: $out"
  out=$(cc stats --no-stream)
  assert_contains "$out" "CONTAINER ID"
  assert_contains "$out" "MEM USAGE / LIMIT"
  assert_contains "$out" "cmdcp-box-2"
  assert_eq "$(cc stats -a --no-stream --format '{{.Name}}' | sort | tr '\n' ' ')" "cmdcp-box-1 cmdcp-box-2 "
  assert_exit 2 cc stats box box
  assert_exit 2 cc stats --format '' box
  assert_exit 2 cc stats --bogus
}

# events_start FILE ARGS...: `events ARGS` into FILE until the test ends,
# once it follows the journal.
events_start() {
  local file=$1 pid; shift
  # Not through a function: $! must be ccompose itself.
  nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" events "$@" >"$file" 2>&1 &
  pid=$!
  EVENTS_PIDS="${EVENTS_PIDS:-} $pid"
  defer "kill $pid 2>/dev/null"
  wait_for 10 "events following the journal" sh -c "ls -l /proc/$pid/fd | grep -q events.jsonl"
}

# `events`: what commands do (kill) and what the monitors see (die,
# start, health_status), as Compose's JSON (keys sorted as Go marshals a
# map) and text lines; past its size limit the journal is emptied and the
# followers go on.
events_follow_the_containers() {
  local json=$WORK/events.json text=$WORK/events.txt id
  local journal=$CCOMPOSE_STATE_DIR/projects/cmdcp/events.jsonl
  # The container's id as its state records it (ps shows 12 digits).
  id=$(python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))["containers"]["cmdcp-box-2"]["id"])' "$CCOMPOSE_STATE_DIR/projects/cmdcp/state.json") ||
    fail "no id of cmdcp-box-2"
  [[ $id =~ ^[0-9a-f]{64}$ ]] || fail "id of cmdcp-box-2: [$id]"
  events_start "$json" --json
  events_start "$text" box
  assert_exit 0 cc kill box
  assert_exit 0 cc start box
  wait_for 10 "kill, die, start and health_status events" python3 -c '
import json, sys
seen = [(e["action"], e["id"], e["service"]) for e in map(json.loads, open(sys.argv[1]))]
for want in ("kill", "die", "start", "health_status: healthy"):
    assert (want, sys.argv[2], "box") in seen, (want, seen)
' "$json" "$id"
  python3 -c '
import json, re, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert list(e) == ["action", "attributes", "id", "service", "time", "type"], e
    assert list(e["attributes"]) == sorted(e["attributes"]), e
    assert e["type"] == "container" and e["attributes"]["name"].startswith("cmdcp-box-"), e
    assert e["attributes"]["image"] == "busybox:1.35" and e["attributes"]["ev.mark"] == "one", e
    assert not any(k.startswith("com.docker.compose.") for k in e["attributes"]), e
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?(Z|[+-]\d\d:\d\d)", e["time"]), e
    if e["action"] == "die":
        assert e["attributes"]["exitCode"] == "137", e
    if e["action"] == "kill":
        assert e["attributes"]["signal"] == "9", e
' "$json" || fail "events JSON: $(cat "$json")"
  wait_for 5 "text events" grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{6} container die $id \(.*exitCode=137.*name=cmdcp-box-2" "$text"
  # A restart loop must not fill the state root's tmpfs: past 4 MiB the
  # next writer (here pause, which may not create the file) empties it.
  { head -c 4300000 /dev/zero | tr '\0' x | fold -w 1000; echo; } >>"$journal"
  assert_exit 0 cc pause box
  assert_exit 0 cc unpause box
  wait_for 10 "pause and unpause after the journal was emptied" python3 -c '
import json, sys
seen = [(e["action"], e["id"]) for e in map(json.loads, open(sys.argv[1]))]
assert ("pause", sys.argv[2]) in seen and ("unpause", sys.argv[2]) in seen, seen
' "$json" "$id"
  [ "$(stat -c %s "$journal")" -lt 100000 ] || fail "events journal not capped: $(stat -c %s "$journal") bytes"
  assert_exit 1 cc events nosuch
  assert_exit 2 cc events --bogus
}

run_tests
