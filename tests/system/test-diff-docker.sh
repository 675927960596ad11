#!/usr/bin/env bash
# Issue 15: what containers observe, the same under ccompose as under
# Docker Compose.  One project (diff-docker/compose.yaml), one image
# (diff-docker/image.py: the busybox sample plus a user, groups, a
# directory of the user's and the probe) loaded into both; every service
# runs diff-docker/probe, which prints its environment, ids and groups,
# hostname, hosts and resolv.conf, mounts and their options, volume
# owners and modes, sysctls; each hostname is then checked against the
# id `ps --no-trunc` shows (the first 12 of its 64 hex digits).
# Debian's docker-compose (1.29) drives a dockerd in a throwaway network
# namespace with private roots (dockerd.bash); ccompose runs in the same
# namespace.
#
# Normalisation, applied to both sides before comparing: a default
# hostname (Docker's 12 hex digits of the container id) becomes <ID>
# once checked to be 12 hex digits on both sides; IPv4 addresses become
# <IP>; container and project names <CTR>; Docker 20.10's `fe00::0` and
# `ff00::0` in /etc/hosts are today's engine's `fe00::` and `ff00::`.
# Nothing else is rewritten.  ccompose reads a host resolv.conf of the
# test's own (a loopback nameserver: nothing leaves the machine), so
# only the shape of resolv.conf is compared: addresses are <IP>.
#
# A second project (diff-docker/exits.yaml) compares exit codes (`up
# --abort-on-container-exit`, `run` of a command exiting 7, of a missing
# and of a non-executable program) and what `logs` prints (prefix
# padding, --no-log-prefix, -t timestamps, --no-color); its
# normalisation is at normalise_logs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"
. "$(dirname "$0")/dockerd.bash"

DIR=$TOP/tests/system/diff-docker
DOCKER_NS=ccdd-$$
DOCKER_RUN=/run/ccdd-$$
DOCKER_LIB=/var/lib/ccdd-$$
DOCKER_SOCK=/run/ccdd-$$.sock
DOCKER_CGROUP=ccdd-docker-$$
DOCKER_READY=
DOCKER_WHY=
LAYOUT=/tmp/ccdd-image-$$
SERVICES=(root ids named domain hostnet shared)

docker_up() {
  [ "$(id -u)" = 0 ] || { DOCKER_WHY="needs root"; return; }
  command -v dockerd >/dev/null && command -v docker-compose >/dev/null ||
    docker_install docker.io docker-compose >/dev/null ||
    { DOCKER_WHY="docker.io and docker-compose cannot be installed"; return; }
  [ -d "$TOP/samples/images/out/busybox" ] || "$TOP/samples/images/build" busybox >/dev/null 2>&1 ||
    { DOCKER_WHY="cannot build the busybox sample image"; return; }
  python3 "$DIR/image.py" "$TOP/samples/images/out/busybox" "$LAYOUT" "$DIR/probe" ccdiff:1 ||
    { DOCKER_WHY="cannot write the test image"; return; }
  ip netns add "$DOCKER_NS" || { DOCKER_WHY="ip netns add $DOCKER_NS failed"; return; }
  ip -n "$DOCKER_NS" link set lo up
  dockerd_snapshot "/tmp/ccdd-$$.before"
  dockerd_start "$DOCKER_NS" || { DOCKER_WHY="dockerd did not start: $(dockerd_why)"; return; }
  local changes=() args=() c
  mapfile -t changes < <(oci_rootfs "$LAYOUT" "$DOCKER_RUN/ccdiff.tar")
  for c in "${changes[@]}"; do args+=(--change "$c"); done
  docker_cli import "${args[@]}" "$DOCKER_RUN/ccdiff.tar" ccdiff:1 >/dev/null ||
    { DOCKER_WHY="docker import of the test image failed"; return; }
  DOCKER_READY=1
}

docker_down() {
  [ -z "$DOCKER_READY" ] || dc down -v -t 0 >/dev/null 2>&1
  docker_cli ps -aq 2>/dev/null | xargs -r docker_cli rm -f >/dev/null 2>&1
  dockerd_stop
  dockerd_cleanup
  ip netns del "$DOCKER_NS" 2>/dev/null
  rm -rf "/tmp/ccdd-$$.before" "$LAYOUT"
  return 0
}

need_docker() { [ -n "$DOCKER_READY" ] || skip "$DOCKER_WHY"; }

# docker-compose on the private dockerd, project ccdd.
dc() { (cd "$DIR" && DOCKER_HOST=unix://$DOCKER_SOCK timeout 120 docker-compose -p ccdd "$@"); }
# ccompose, project ccdd.
ccp() { (cd "$DIR" && cc -p ccdd "$@"); }

# A service's log through the docker client: docker-compose's own
# `logs` takes seconds a call (Python).
dc_logs() { docker_cli logs "ccdd_$1_1" 2>&1; }
cc_logs() { ccp logs --no-color --no-log-prefix "$1" 2>/dev/null; }

# probe_out TOOL SERVICE: the probe's output once it is complete.
probe_out() {
  local out
  out=$("$1" "$2") || return 1
  case $out in *"== end"*) sed -n '/^== env$/,$p' <<<"$out" ;; *) return 1 ;; esac
}

# normalise HOSTNAME: the rules of the header, on stdin.
normalise() {
  sed -E -e "s/\b$1\b/<ID>/g" -e 's/\b([0-9]{1,3}\.){3}[0-9]{1,3}\b/<IP>/g' \
    -e 's/ccdd[-_][a-z]+[-_][0-9]+/<CTR>/g' -e 's/^(fe00|ff00)::0 /\1:: /'
}

# observe TOOL OUTDIR: every service's normalised probe output.
observe() {
  local tool=$1 out=$2 s text host
  mkdir -p "$out"
  for s in "${SERVICES[@]}"; do
    wait_for 30 "$tool: $s's probe" probe_out "$tool" "$s"
    text=$(probe_out "$tool" "$s")
    host=$(sed -n 's/^hostname //p' <<<"$text")
    printf '%s\n' "$host" >"$out/$s.hostname"
    [[ $host =~ ^[0-9a-f]{12}$ ]] || host='<none>'
    printf '%s\n' "$text" | normalise "$host" >"$out/$s"
  done
}

# ids_json TOOL: `ps --no-trunc` as JSON, one object a line or one array.
dc_ids_json() { docker_cli ps --no-trunc --format '{{json .}}'; }
cc_ids_json() { ccp ps --no-trunc --format json; }

# observe_ids TOOL OUTDIR: each service's container id, as `ps` shows it,
# in OUTDIR/SERVICE.id.
observe_ids() {
  "$1_ids_json" | python3 -c '
import json, sys
text = sys.stdin.read().strip()
rows = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines() if l]
for r in rows:
    labels = r.get("Labels") or ""
    if isinstance(labels, str):
        labels = dict(kv.split("=", 1) for kv in labels.split(",") if "=" in kv)
    svc = r.get("Service") or labels.get("com.docker.compose.service")
    open(sys.argv[1] + "/" + svc + ".id", "w").write(r["ID"] + "\n")
' "$2" || fail "$1: ps --format json unreadable"
}

# section FILE NAME: one section of a probe's output.
section() { awk -v s="== $2" '$0 == s { on = 1; next } /^== / { on = 0 } on' "$1"; }

# same SERVICE SECTION...: the two sides agree on these sections.
same() {
  local s=$1 sec d
  shift
  for sec in "$@"; do
    d=$(diff -u <(section "$WORK/docker/$s" "$sec") <(section "$WORK/ccompose/$s" "$sec")) ||
      fail "$s: $sec differs from Docker's (- docker, + ccompose):
$d"
  done
}

# Both sides up once; the checks below read what the probes printed.
test_containers_observe_what_docker_shows() {
  need_docker
  local t0=$SECONDS
  eng_setup "ccdd-$$"
  assert_exit 0 "$CCOMPOSE" image load -i "$LAYOUT"
  echo "nameserver 127.0.0.1" >"$WORK/resolv.conf"
  export CCOMPOSE_RESOLV_CONF=$WORK/resolv.conf
  assert_exit 0 dc up -d
  echo "# $((SECONDS - t0)) s: docker-compose up" >&2
  defer "cd '$DIR' && DOCKER_HOST=unix://$DOCKER_SOCK docker-compose -p ccdd down -v -t 0 >/dev/null 2>&1"
  assert_exit 0 ccp up -d
  echo "# $((SECONDS - t0)) s: ccompose up" >&2
  observe dc_logs "$WORK/docker"
  observe cc_logs "$WORK/ccompose"
  observe_ids dc "$WORK/docker"
  observe_ids cc "$WORK/ccompose"
  echo "# $((SECONDS - t0)) s: observed" >&2
  local side s
  for side in docker ccompose; do
    [[ $(cat "$WORK/$side/root.hostname") =~ ^[0-9a-f]{12}$ ]] ||
      fail "$side: the default hostname is no short id: $(cat "$WORK/$side/root.hostname")"
    assert_eq "$(cat "$WORK/$side/shared.hostname")" "$(cat "$WORK/$side/root.hostname")" \
      "$side: service:root's hostname"
    # The hostname is the first 12 of the 64 hex digits of the id `ps`
    # shows; service:root's is root's.
    for s in root ids named; do
      [[ $(cat "$WORK/$side/$s.id") =~ ^[0-9a-f]{64}$ ]] || fail "$side: $s's id: $(cat "$WORK/$side/$s.id")"
      assert_eq "$(cat "$WORK/$side/$s.hostname")" "$(cut -c1-12 "$WORK/$side/$s.id")" "$side: $s's hostname"
    done
    assert_eq "$(cat "$WORK/$side/shared.hostname")" "$(cut -c1-12 "$WORK/$side/root.id")" "$side: shared's hostname"
  done
  # A recreate: a new id, and the hostname follows it.
  assert_exit 0 ccp up -d --no-deps --force-recreate ids
  mkdir -p "$WORK/recreated"
  observe_ids cc "$WORK/recreated"
  [ "$(cat "$WORK/recreated/ids.id")" != "$(cat "$WORK/ccompose/ids.id")" ] || fail "a recreate kept the id"
  assert_exit 0 ccp exec -T ids hostname
  assert_eq "$OUT" "$(cut -c1-12 "$WORK/recreated/ids.id")" "the recreated container's hostname"
  same root env user hostname hosts resolv mounts volume sysctl
  same ids env user hostname hosts resolv mounts volume sysctl
  same named user mounts volume sysctl
  same domain env hostname hosts resolv
  same hostnet env hostname hosts resolv sysctl
  same shared env hostname hosts resolv sysctl
  assert_exit 0 ccp down -v -t 0
}

# The exit-code and log project (diff-docker/exits.yaml) on either side.
dcx() { (cd "$DIR" && DOCKER_HOST=unix://$DOCKER_SOCK timeout 120 docker-compose -f exits.yaml -p ccdx "$@"); }
ccx() { (cd "$DIR" && cc -f exits.yaml -p ccdx "$@"); }

# normalise_logs: a `logs` output in a comparable form, on stdin.
# Compose v1 (Debian's docker-compose) names a container `fails_1` where
# v2, the reference, names it `fails-1`: the same length, so the padding
# compares unchanged.  A `-t` timestamp of Docker's shape (RFC 3339, UTC,
# nine fixed digits) becomes <TIME>; any other shape stays to differ.
# v1 opens `logs` with an "Attaching to" line v2 does not print: dropped.
# Lines of two containers interleave in no fixed order: sorted.
normalise_logs() {
  sed -E -e '/^Attaching to /d' -e 's/^([a-z-]+)_([0-9]+)( +\| )/\1-\2\3/' \
    -e 's/(^| )[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z /\1<TIME> /' | sort
}

# exit_of TOOL ARGS...: the exit code of TOOL ARGS.
exit_of() {
  "$@" >/dev/null 2>&1
  echo $?
}

# observe_exits TOOL OUTDIR: exit codes and `logs` outputs of the project.
observe_exits() {
  local tool=$1 out=$2 flags
  mkdir -p "$out"
  {
    echo "abort $(exit_of "$tool" up --abort-on-container-exit)"
    echo "run-7 $(exit_of "$tool" run --rm -T --no-deps fails sh -c 'exit 7')"
    echo "run-missing $(exit_of "$tool" run --rm -T --no-deps fails /no/such/program)"
    echo "run-not-executable $(exit_of "$tool" run --rm -T --no-deps fails /etc/passwd)"
  } >"$out/exits"
  for flags in "--no-color" "--no-color -t" "--no-color --no-log-prefix"; do
    # shellcheck disable=SC2086 # the flags are words
    "$tool" logs $flags 2>&1 | normalise_logs >"$out/logs $flags"
  done
}

# One project, run to its abort on both sides: the codes `up` and `run`
# exit with, and what `logs` prints after.
test_exit_codes_and_log_format_match_docker() {
  need_docker
  local t0=$SECONDS f d
  eng_setup "ccdx-$$"
  assert_exit 0 "$CCOMPOSE" image load -i "$LAYOUT"
  defer "cd '$DIR' && DOCKER_HOST=unix://$DOCKER_SOCK docker-compose -f exits.yaml -p ccdx down -v -t 0 >/dev/null 2>&1"
  defer "cd '$DIR' && nsenter --net=/run/netns/$HOSTNS '$CCOMPOSE' -f exits.yaml -p ccdx down -t 0"
  # The two sides share nothing: observed at once.
  observe_exits dcx "$WORK/docker" &
  observe_exits ccx "$WORK/ccompose"
  wait
  echo "# $((SECONDS - t0)) s: observed" >&2
  cat "$WORK/docker/exits" >&2
  assert_eq "$(sed -n 's/^abort //p' "$WORK/docker/exits")" 7 "docker-compose up --abort-on-container-exit"
  for f in "$WORK/docker"/*; do
    d=$(diff -u "$f" "$WORK/ccompose/${f##*/}") ||
      fail "${f##*/}: ccompose differs from Docker (- docker, + ccompose):
$d"
  done
  grep -q '^fails-1 *| out line$' "$WORK/docker/logs --no-color" || fail "no line of fails-1 in Docker's logs"
  assert_exit 0 ccx down -t 0
}

# The commit project (diff-docker/commit.yaml) on either side.
dcc() { (cd "$DIR" && DOCKER_HOST=unix://$DOCKER_SOCK timeout 120 docker-compose -f commit.yaml -p ccdc "$@"); }
ccc() { (cd "$DIR" && cc -f commit.yaml -p ccdc "$@"); }

# commit_view: an image's config (from `image inspect` on stdin) and its
# top layer's file list (the tar at $1), in a comparable form: Compose's
# own labels (com.docker.compose.*) differ between v1 and v2 and go, and
# so do the image's org.opencontainers.* (`docker import` of the test
# image does not carry them); lists that are sets are sorted; a
# healthcheck field either side leaves out counts as 0.  Docker binds its
# init at /sbin/docker-init, made in the container's layer; ccompose's is
# at /dev/init, in /dev's tmpfs: those two lines go from Docker's list.
commit_view() {
  python3 -c '
import json, sys, tarfile, os
doc = json.load(sys.stdin)
c = (doc[0] if isinstance(doc, list) else doc)["Config"]
out = {}
out["Env"] = sorted(c.get("Env") or [])
for k in ("Cmd", "Entrypoint", "WorkingDir", "User", "StopSignal"):
    out[k] = c.get(k) or None
out["Labels"] = {k: v for k, v in (c.get("Labels") or {}).items()
                 if not k.startswith(("com.docker.compose.", "org.opencontainers."))}
out["ExposedPorts"] = sorted(c.get("ExposedPorts") or {})
out["Volumes"] = sorted(c.get("Volumes") or {})
h = c.get("Healthcheck") or {}
out["Healthcheck"] = {k: h.get(k) or 0 for k in ("Test", "Interval", "Timeout", "StartPeriod", "Retries")}
for k, v in out.items():
    print(k, json.dumps(v, sort_keys=True))
with tarfile.open(sys.argv[1]) as t:
    for n in sorted(os.path.normpath(m.name) for m in t):
        if n not in ("sbin", "sbin/docker-init"):
            print("layer", n)
' "$1"
}

# The top layer of Docker's image REF, extracted from `docker save` to FILE.
docker_top_layer() {
  local dir=$WORK/save
  mkdir -p "$dir" && docker_cli save "$1" | tar -xf - -C "$dir" || return 1
  cp "$dir/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][-1])' "$dir/manifest.json")" "$2"
}

# One container, the same commands, committed on either side: the
# image's config fields and its layer's files agree (Docker's layer
# leaves out its init layer: the /etc files and the empty mount points
# it made).
test_commit_matches_docker() {
  need_docker
  local blob
  eng_setup "ccdc-$$"
  assert_exit 0 "$CCOMPOSE" image load -i "$LAYOUT"
  defer "cd '$DIR' && DOCKER_HOST=unix://$DOCKER_SOCK docker-compose -f commit.yaml -p ccdc down -v -t 0 >/dev/null 2>&1"
  defer "cd '$DIR' && nsenter --net=/run/netns/$HOSTNS '$CCOMPOSE' -f commit.yaml -p ccdc down -v -t 0"
  assert_exit 0 dcc up -d
  assert_exit 0 ccc up -d
  wait_for 20 "docker's box made its change" docker_cli exec ccdc_box_1 test -d /opt/new/sub
  wait_for 20 "ccompose's box made its change" ccc exec -T box test -d /opt/new/sub
  assert_exit 0 docker_cli commit ccdc_box_1 ccdccommit:1
  assert_exit 0 docker_top_layer ccdccommit:1 "$WORK/docker-layer.tar"
  assert_exit 0 ccc commit box ccdccommit:1
  blob=$("$CCOMPOSE" image inspect ccdccommit:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RootFS"]["Layers"][-1].split(":")[1])')
  docker_cli image inspect ccdccommit:1 | commit_view "$WORK/docker-layer.tar" >"$WORK/commit.docker" ||
    fail "docker's committed image"
  "$CCOMPOSE" image inspect ccdccommit:1 | commit_view "$CCOMPOSE_DATA_DIR/images/blobs/sha256/$blob" \
    >"$WORK/commit.ccompose" || fail "ccompose's committed image"
  local d
  d=$(diff -u "$WORK/commit.docker" "$WORK/commit.ccompose") ||
    fail "the committed image differs from Docker's (- docker, + ccompose):
$d"
  grep -q '^layer tmp/made$' "$WORK/commit.ccompose" || fail "no tmp/made in the layer: $(cat "$WORK/commit.ccompose")"
  assert_exit 0 ccc down -v -t 0
}

trap docker_down EXIT
docker_up
ENG_HOSTNS=$DOCKER_NS
run_tests
