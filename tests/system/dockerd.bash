# Debian's dockerd (docker.io) beside ccompose, never on the host: shared by
# bench/compose and the Docker coexistence tests (sourced).
#
# dockerd runs inside a throwaway network namespace, with private
# --data-root, --exec-root, pidfile and socket, and a cgroup parent of our
# own: its iptables chains, FORWARD policy DROP, bridge-nf-call sysctls
# and docker0 live and die with the namespace.  `nsenter --net` only: it
# still shares the mount namespace and the cgroups with the host, so the
# caller stops it by PID (dockerd_stop), and removes what it writes
# outside its roots (dockerd_cleanup) when that was not there before
# (dockerd_snapshot).
#
# The caller sets, before dockerd_start:
#   DOCKER_RUN, DOCKER_LIB   private exec/run and data roots
#   DOCKER_SOCK              the API socket
#   DOCKER_CGROUP            cgroup parent (a name under every hierarchy)
#   DOCKERD_ARGS             (optional array) more dockerd options
# and gets DOCKER_PIDFILE and DOCKERD_PID.

# What dockerd and containerd write outside their private roots whatever
# they are told.
DOCKER_LITTER=(/etc/docker/key.json /run/docker /run/containerd /var/lib/docker /var/lib/containerd)
DOCKERD_PID=
DOCKERD_ARGS=()

_docker_pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed'; }

# docker_install PKG...: apt-get install, without letting the packages'
# scripts start dockerd or containerd on the host (policy-rc.d, removed
# again only when we put it there).  Prints the last line of apt-get's
# output on failure.
docker_install() {
  local missing=() p out added=
  for p in "$@"; do _docker_pkg_installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && added=1
  fi
  out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" 2>&1) ||
    out=$(apt-get update -q 2>&1 && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends "${missing[@]}" 2>&1)
  local rc=$?
  [ -z "$added" ] || rm -f /usr/sbin/policy-rc.d
  [ $rc -eq 0 ] || tail -n 1 <<<"$out"
  return $rc
}

# dockerd_snapshot FILE: what exists of DOCKER_LITTER and of our cgroup
# parent before dockerd runs; dockerd_cleanup removes only the rest.
dockerd_snapshot() {
  local p
  for p in "${DOCKER_LITTER[@]}"; do [ -e "$p" ] && echo "$p"; done >"$1"
  ls -d /sys/fs/cgroup/*/"$DOCKER_CGROUP" /sys/fs/cgroup/"$DOCKER_CGROUP" 2>/dev/null >>"$1"
  DOCKER_SNAPSHOT=$1
  return 0
}

# dockerd_start NETNS: dockerd in the network namespace NETNS (under
# /run/netns), in its own session so that a Ctrl-C meant for the caller
# does not kill it before the cleanup took the projects down.  An empty
# config file keeps a host /etc/docker/daemon.json out of it.
dockerd_start() {
  local ns=$1 i
  DOCKER_PIDFILE=$DOCKER_RUN/dockerd.pid
  mkdir -p "$DOCKER_RUN" "$DOCKER_LIB"
  echo '{}' >"$DOCKER_RUN/daemon.json"
  nsenter --net="/run/netns/$ns" setsid dockerd --config-file "$DOCKER_RUN/daemon.json" --data-root "$DOCKER_LIB" \
    --exec-root "$DOCKER_RUN/exec" --pidfile "$DOCKER_PIDFILE" -H "unix://$DOCKER_SOCK" \
    --cgroup-parent "/$DOCKER_CGROUP" "${DOCKERD_ARGS[@]}" >"$DOCKER_RUN/dockerd.log" 2>&1 </dev/null &
  DOCKERD_PID=$!
  for i in $(seq 300); do
    docker_cli info >/dev/null 2>&1 && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}

# Why dockerd did not start, from its log.
dockerd_why() {
  local why
  why=$(grep -m1 -iE 'level=(fatal|error)' "$DOCKER_RUN/dockerd.log" 2>/dev/null | sed 's/.*msg="\([^"]*\)".*/\1/')
  echo "${why:-$(tail -n 1 "$DOCKER_RUN/dockerd.log" 2>/dev/null)}"
}

# Debian's client matches the daemon; another one on PATH may not.
docker_cli() {
  local cli=/usr/bin/docker
  [ -x "$cli" ] || cli=docker
  "$cli" -H "unix://$DOCKER_SOCK" "$@"
}

# _stop_pid PID SECONDS: SIGTERM, then SIGKILL if it outlives SECONDS.
_stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq $(($2 * 10))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
}

dockerd_stop() {
  _stop_pid "$(cat "$DOCKER_PIDFILE" 2>/dev/null)" 20
  _stop_pid "$DOCKERD_PID" 5
  # dockerd stops the containerd it started; this catches one it left.
  _stop_pid "$(cat "$DOCKER_RUN/exec/containerd/containerd.pid" 2>/dev/null)" 10
  DOCKERD_PID=
}

# Processes of ours that outlived dockerd: container processes in our
# cgroup parent, shims and docker-proxy with our roots on their command line.
_docker_kill_leftovers() {
  local f pid d
  for f in $(grep -lsaF -e "$DOCKER_RUN" -e "$DOCKER_LIB" /proc/[0-9]*/cmdline); do
    pid=${f#/proc/}
    pid=${pid%/cmdline}
    case $(cat "/proc/$pid/comm" 2>/dev/null) in
      dockerd | containerd | containerd-shim* | runc | docker-proxy) kill -KILL "$pid" 2>/dev/null ;;
    esac
  done
  for d in /sys/fs/cgroup/*/"$DOCKER_CGROUP" /sys/fs/cgroup/"$DOCKER_CGROUP"; do
    [ -d "$d" ] || continue
    for pid in $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u); do
      kill -KILL "$pid" 2>/dev/null
    done
  done
  return 0
}

# After dockerd_stop: leftovers killed, mounts under the private roots
# gone, the roots and what dockerd wrote outside them (and was not there
# at dockerd_snapshot) removed, the cgroups it made removed.
dockerd_cleanup() {
  local p m d
  _docker_kill_leftovers
  findmnt -rn -o TARGET | sort -r | while read -r m; do
    case $m in "$DOCKER_RUN" | "$DOCKER_RUN"/* | "$DOCKER_LIB" | "$DOCKER_LIB"/*) umount -l "$m" 2>/dev/null ;; esac
  done
  rm -rf "$DOCKER_RUN" "$DOCKER_LIB" "$DOCKER_SOCK"
  [ -n "${DOCKER_SNAPSHOT:-}" ] && [ -f "$DOCKER_SNAPSHOT" ] || return 0
  for p in "${DOCKER_LITTER[@]}"; do
    [ -e "$p" ] && ! grep -qxF "$p" "$DOCKER_SNAPSHOT" && rm -rf "$p"
  done
  # Deepest first: rmdir only succeeds on an empty cgroup, as it should.
  for d in /sys/fs/cgroup/*/"$DOCKER_CGROUP" /sys/fs/cgroup/"$DOCKER_CGROUP"; do
    [ -d "$d" ] && ! grep -qxF "$d" "$DOCKER_SNAPSHOT" && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  return 0
}

# oci_rootfs LAYOUT TAR: the layout's layers flattened into one tarball
# for `docker import` / `podman import`; prints the --change lines that
# give the imported image the layout's config (Env, Cmd, WorkingDir...).
oci_rootfs() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys, tarfile
layout, out = sys.argv[1], sys.argv[2]
def blob(digest):
    return os.path.join(layout, "blobs", *digest.split(":"))
def load(path):
    with open(path) as f:
        return json.load(f)
manifest = load(blob(load(os.path.join(layout, "index.json"))["manifests"][0]["digest"]))
config = load(blob(manifest["config"]["digest"])).get("config", {})
# docker import refuses a path twice: a later layer's entry replaces an
# earlier one (the sample layers carry no whiteouts).
layers = [tarfile.open(blob(l["digest"]), "r:*") for l in manifest["layers"]]
entries = {}
for src in layers:
    for m in src:
        entries[os.path.normpath(m.name)] = (src, m)
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as dst:
    for src, m in entries.values():
        dst.addfile(m, src.extractfile(m) if m.isfile() else None)
for e in config.get("Env", []):
    print("ENV " + e)
for key, word in (("Entrypoint", "ENTRYPOINT"), ("Cmd", "CMD")):
    if config.get(key):
        print(word + " " + json.dumps(config[key]))
if config.get("WorkingDir"):
    print("WORKDIR " + config["WorkingDir"])
for port in config.get("ExposedPorts", {}):
    print("EXPOSE " + port)
for vol in config.get("Volumes", {}):
    print("VOLUME " + vol)
PY
}

image_ref() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["io.containerd.image.name"])' \
    "$1/index.json"
}

# import_images DIR CMD... -- IMAGE...: CMD import --change ... TAR REF
# for each sample image, its tarball under DIR.  Errors go to stderr.
import_images() {
  local dir=$1 img tar ref changes=() args c err cmd=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do cmd+=("$1"); shift; done
  shift
  mkdir -p "$dir"
  for img in "$@"; do
    tar=$dir/$img.tar
    mapfile -t changes < <(oci_rootfs "$TOP/samples/images/out/$img" "$tar") && [ -s "$tar" ] || return 1
    ref=$(image_ref "$TOP/samples/images/out/$img") || return 1
    args=()
    for c in "${changes[@]}"; do args+=(--change "$c"); done
    err=$("${cmd[@]}" import "${args[@]}" "$tar" "$ref" 2>&1 >/dev/null) || { echo "$err" >&2; return 1; }
  done
}
