# A private dockerd for the builder's comparisons (tests/system/test-build-diff.sh,
# bench/build): inside a throwaway network namespace, with private data
# and exec roots, its own socket and cgroup parent, as bench/compose
# starts it.  One small start/stop pair, to be swapped for the shared
# tests/system/dockerd.bash once that exists.
#
#   bd_start NAME     -> $BD_NS, $BD_SOCK; returns 1 (reason in $BD_WHY) when dockerd cannot start
#   bd_docker ARGS... -> the docker CLI talking to it
#   bd_load LAYOUT    -> `docker load` of an OCI layout (converted to a docker archive)
#   bd_stop           -> stop it, remove its roots and namespace

bd_start() {
  local i
  BD_RUN=/run/ccompose-bd-$1
  BD_LIB=/var/lib/ccompose-bd-$1
  BD_NS=ccbd-$1
  BD_SOCK=$BD_RUN/docker.sock
  BD_WHY=
  command -v dockerd >/dev/null || { BD_WHY="dockerd is not installed (docker.io)"; return 1; }
  mkdir -p "$BD_RUN" "$BD_LIB"
  echo '{}' >"$BD_RUN/daemon.json"
  ip netns add "$BD_NS" 2>/dev/null && ip -n "$BD_NS" link set lo up || { BD_WHY="ip netns add failed"; return 1; }
  # Its own session: a Ctrl-C meant for the caller must not kill it
  # before the caller's cleanup ran.
  nsenter --net="/run/netns/$BD_NS" setsid dockerd --config-file "$BD_RUN/daemon.json" --data-root "$BD_LIB" \
    --exec-root "$BD_RUN/exec" --pidfile "$BD_RUN/dockerd.pid" -H "unix://$BD_SOCK" \
    --cgroup-parent /ccompose-bd-docker >"$BD_RUN/dockerd.log" 2>&1 &
  BD_PID=$!
  for i in $(seq 300); do
    bd_docker info >/dev/null 2>&1 && return 0
    kill -0 "$BD_PID" 2>/dev/null || break
    sleep 0.1
  done
  BD_WHY=$(grep -m1 -iE 'level=(fatal|error)' "$BD_RUN/dockerd.log" | sed 's/.*msg="\([^"]*\)".*/\1/')
  BD_WHY="dockerd did not start: ${BD_WHY:-$(tail -n 1 "$BD_RUN/dockerd.log")}"
  return 1
}

bd_docker() {
  local cli=/usr/bin/docker
  [ -x "$cli" ] || cli=docker
  DOCKER_BUILDKIT=1 "$cli" -H "unix://$BD_SOCK" "$@"
}

_bd_stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
}

bd_stop() {
  local m d
  [ -n "${BD_RUN:-}" ] || return 0
  _bd_stop_pid "$(cat "$BD_RUN/dockerd.pid" 2>/dev/null)"
  _bd_stop_pid "${BD_PID:-}"
  _bd_stop_pid "$(cat "$BD_RUN/exec/containerd/containerd.pid" 2>/dev/null)"
  findmnt -rn -o TARGET | sort -r | while read -r m; do
    case $m in "$BD_RUN"/*|"$BD_LIB"/*|"$BD_RUN"|"$BD_LIB") umount -l "$m" 2>/dev/null;; esac
  done
  for d in /sys/fs/cgroup/*/ccompose-bd-docker /sys/fs/cgroup/ccompose-bd-docker; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  ip netns del "$BD_NS" 2>/dev/null
  rm -rf "$BD_RUN" "$BD_LIB"
  BD_RUN=
  return 0
}

# bd_load LAYOUT: the OCI layout's image, as it is (layers and config),
# into dockerd: docker 20.10 loads docker archives only.
bd_load() {
  local tar
  tar=$(mktemp /tmp/ccbd-load.XXXXXX)
  python3 - "$1" "$tar" <<'PY' || { rm -f "$tar"; return 1; }
import json, os, sys, tarfile, io
layout, out = sys.argv[1], sys.argv[2]
def blob(d):
    return os.path.join(layout, "blobs", *d.split(":"))
index = json.load(open(os.path.join(layout, "index.json")))
desc = index["manifests"][0]
ref = desc["annotations"]["io.containerd.image.name"]
manifest = json.load(open(blob(desc["digest"])))
cfg = manifest["config"]["digest"]
with tarfile.open(out, "w") as t:
    t.add(blob(cfg), arcname=cfg.split(":")[1] + ".json")
    layers = []
    for l in manifest["layers"]:
        name = l["digest"].split(":")[1] + "/layer.tar"
        t.add(blob(l["digest"]), arcname=name)
        layers.append(name)
    data = json.dumps([{"Config": cfg.split(":")[1] + ".json", "RepoTags": [ref.replace("docker.io/library/", "").replace("docker.io/", "")], "Layers": layers}]).encode()
    info = tarfile.TarInfo("manifest.json")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
PY
  bd_docker load -i "$tar" >/dev/null
  local rc=$?
  rm -f "$tar"
  return $rc
}
