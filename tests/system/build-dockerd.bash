# A private dockerd for the builder's comparisons (tests/system/test-build-diff.sh,
# bench/build), through the shared tests/system/dockerd.bash: inside a
# throwaway network namespace, with private data and exec roots, its own
# socket and cgroup parent, stopped by pid.
#
#   bd_start NAME     -> $BD_NS; returns 1 (reason in $BD_WHY) when dockerd cannot start
#   bd_docker ARGS... -> the docker CLI talking to it, BuildKit on
#   bd_load LAYOUT    -> `docker load` of an OCI layout (converted to a docker archive)
#   bd_stop           -> stop it, remove its roots, litter and namespace
. "$(dirname "${BASH_SOURCE[0]}")/dockerd.bash"

bd_start() {
  DOCKER_RUN=/run/ccompose-bd-$1
  DOCKER_LIB=/var/lib/ccompose-bd-$1
  DOCKER_SOCK=$DOCKER_RUN.sock
  DOCKER_CGROUP=ccompose-bd-docker-$1
  BD_NS=ccbd-$1
  BD_WHY=
  command -v dockerd >/dev/null || { BD_WHY="dockerd is not installed (docker.io)"; return 1; }
  mkdir -p "$DOCKER_RUN"
  dockerd_snapshot "$DOCKER_RUN.before"
  ip netns add "$BD_NS" 2>/dev/null && ip -n "$BD_NS" link set lo up || { BD_WHY="ip netns add failed"; return 1; }
  dockerd_start "$BD_NS" && return 0
  BD_WHY="dockerd did not start: $(dockerd_why)"
  return 1
}

bd_docker() { DOCKER_BUILDKIT=1 docker_cli "$@"; }

bd_stop() {
  [ -n "${BD_NS:-}" ] || return 0
  dockerd_stop
  dockerd_cleanup
  rm -f "$DOCKER_RUN.before"
  ip netns del "$BD_NS" 2>/dev/null
  BD_NS=
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
