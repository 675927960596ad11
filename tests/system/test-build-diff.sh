#!/usr/bin/env bash
# Differential test of the builder against Docker's BuildKit: each
# Dockerfile of tests/system/build-diff/ (every instruction, multi-stage,
# whiteouts, FROM scratch) is built by ccompose and by `docker build`
# (DOCKER_BUILDKIT=1, Debian's docker.io, dockerd in a throwaway network
# namespace with private roots, started once for the file), from the
# same context and the same base image; the two images must have the
# same config (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts,
# Volumes, Labels, StopSignal, Healthcheck, OnBuild, Shell), the same
# history (created_by, empty_layer) and the same file tree (path, type,
# mode, owner, size, content hash, link target).  Skips with a message
# where dockerd cannot start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-helpers.bash"
. "$(dirname "$0")/build-dockerd.bash"

CASES=$TOP/tests/system/build-diff

# What BuildKit of Docker 20.10 (BuildKit 0.8, Dockerfile frontend 1.2)
# writes differently from the frontend 1.7 that ccompose follows
# (builder/builder.h): its history leaves out COPY/ADD's --chown, and its
# HEALTHCHECK has no start interval.  Against such a daemon, ccompose's
# history is read with those two taken out; a newer daemon gets none.
OLD_FRONTEND=

# compare CASE [BUILD-ARGS...]: build with both, describe both, diff.
compare() {
  local name=$1 dir ours theirs; shift
  dir=$WORK/$name
  cp -a "$CASES/$name" "$dir"
  if [ "$name" = instructions ]; then
    mkdir -p "$WORK/tarsrc/pkg/bin"
    echo tool > "$WORK/tarsrc/pkg/bin/tool"
    chmod 0755 "$WORK/tarsrc/pkg/bin/tool"
    tar -C "$WORK/tarsrc" --owner=0 --group=0 -cf "$dir/archive.tar" pkg
  fi
  build_ok -t "diff-$name:ours" "$@" "$dir"
  bd_docker build -q -t "diff-$name:theirs" "$@" "$dir" >"$WORK/$name.docker.log" 2>&1 ||
    fail "docker build $name failed: $(tail -5 "$WORK/$name.docker.log")"
  bd_docker save -o "$WORK/$name.tar" "diff-$name:theirs" || fail "docker save $name"
  ours=$("$CCOMPOSE" image inspect "diff-$name:ours" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')
  python3 "$CASES/tree.py" store "$CCOMPOSE_DATA_DIR" "$ours" >"$WORK/$name.ours.json" || fail "describe ours"
  python3 "$CASES/tree.py" docker-archive "$WORK/$name.tar" >"$WORK/$name.theirs.json" || fail "describe theirs"
  python3 - "$WORK/$name.ours.json" "$WORK/$name.theirs.json" "$OLD_FRONTEND" <<'PY' >"$WORK/$name.diff"
import json, re, sys
ours, theirs = (json.load(open(p)) for p in sys.argv[1:3])
if sys.argv[3]:
    for h in ours["history"]:
        h["created_by"] = re.sub(r"^((COPY|ADD) )--chown=\S+ ", r"\1", h["created_by"])
        h["created_by"] = re.sub(r'^(HEALTHCHECK &\{.*) "0s"( \S+\})$', r"\1\2", h["created_by"])
def walk(a, b, path):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            walk(a.get(k), b.get(k), path + [k])
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, path + [str(i)])
    elif a != b:
        print("%s: ccompose %s, docker %s" % ("/".join(path), json.dumps(a), json.dumps(b)))
walk(ours, theirs, [])
PY
  [ ! -s "$WORK/$name.diff" ] || fail "ccompose and BuildKit differ on $name:
$(head -40 "$WORK/$name.diff")"
}

# dockerd is started once for the file (and the base image loaded once);
# each test has its own ccompose roots.
BD_READY=
BD_SKIP="needs root"
if [ "$(id -u)" = 0 ]; then
  [ -d "$TOP/samples/images/out/busybox" ] || "$TOP/samples/images/build" busybox >/dev/null 2>&1
  if bd_start "diff-$$"; then
    trap bd_stop EXIT
    if bd_load "$TOP/samples/images/out/busybox"; then
      BD_READY=1
      case $(bd_docker version --format '{{.Server.Version}}' 2>/dev/null) in 20.* | 19.*) OLD_FRONTEND=1 ;; esac
    else
      BD_SKIP="docker load of the busybox sample image failed"
    fi
  else
    BD_SKIP=$BD_WHY
  fi
fi

diff_setup() {
  [ -n "$BD_READY" ] || skip "$BD_SKIP"
  bld_setup diff busybox
}

test_every_instruction_matches_buildkit() {
  diff_setup
  compare instructions --build-arg VERSION=2.5
}

test_multistage_matches_buildkit() {
  diff_setup
  compare multistage --target final
}

test_whiteouts_match_buildkit() {
  diff_setup
  compare whiteouts
}

test_scratch_matches_buildkit() {
  diff_setup
  compare scratch
}

run_tests
