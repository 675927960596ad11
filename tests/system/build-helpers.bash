# Helpers for the build system tests (sourced after lib.sh): a private
# state root, a throwaway network namespace the build network lives in,
# the sample base images loaded once per test, and a way to run a built
# image as a container of the runtime (`runtime run` over its layers).

# bld_setup NAME [IMAGE...]: private roots, namespace, sample images.
bld_setup() {
  require_root
  use_private_state "bld-$1"
  BLDNS=ccb-$1-$$
  ip netns add "$BLDNS" || fail "ip netns add $BLDNS"
  defer "ip netns del $BLDNS"
  defer "bld_unmount_all"
  ip -n "$BLDNS" link set lo up
  export CCOMPOSE_SUBNET_POOL=10.89.0.0/16:24
  WORK=$(mktemp -d /tmp/ccb-$1.XXXXXX)
  defer "rm -rf '$WORK'"
  shift
  local n
  for n in "$@"; do
    [ -d "$TOP/samples/images/out/$n" ] || "$TOP/samples/images/build" "$n" >/dev/null 2>&1 ||
      skip "cannot build sample image $n"
    "$CCOMPOSE" image load -i "$TOP/samples/images/out/$n" >/dev/null || fail "image load $n"
  done
}

bld_unmount_all() {
  local f
  for f in "$CCOMPOSE_STATE_DIR"/netns/*; do
    [ -e "$f" ] && umount -l "$f" 2>/dev/null
  done
  return 0
}

# build ARGS...: `image build` in the namespace, plain progress; output in
# $OUT, exit code in $RC.
build() {
  OUT=$(nsenter --net="/run/netns/$BLDNS" "$CCOMPOSE" image build --progress plain "$@" 2>&1)
  RC=$?
}

build_ok() {
  build "$@"
  [ "$RC" = 0 ] || fail "image build $* failed ($RC):
$OUT"
}

# ctx NAME: a context directory $WORK/NAME with the Dockerfile from stdin.
ctx() {
  mkdir -p "$WORK/$1"
  cat > "$WORK/$1/Dockerfile"
  CTX=$WORK/$1
}

# config REF PYTHON-EXPR: a value of the image's config (`c`), printed.
config() {
  "$CCOMPOSE" image inspect "$1" | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]["Config"]
v = eval(sys.argv[1])
print(json.dumps(v, sort_keys=True) if not isinstance(v, str) else v)' "$2"
}

# run_image REF CMD...: run CMD in a container of REF (its layers, env,
# working directory and user); output in $OUT, exit code in $RC.
run_image() {
  local ref=$1 id spec dir; shift
  id=cct-$$-$RANDOM
  dir=$(mktemp -d "$CCOMPOSE_DATA_DIR/run.XXXXXX")
  spec=$dir/spec.json
  "$CCOMPOSE" image inspect "$ref" | python3 -c '
import json, sys
img = json.load(sys.stdin)[0]
c = img["Config"]
d = sys.argv[1]
spec = {"layers": img["GraphDriver"]["Data"]["LowerDir"].split(":"),
        "upper": d + "/upper", "work": d + "/work",
        "args": sys.argv[2:], "env": c.get("Env") or [],
        "cwd": c.get("WorkingDir") or "/"}
if c.get("User"):
    spec["user"] = c["User"]
json.dump(spec, open(d + "/spec.json", "w"))' "$dir" "$@" || fail "inspect $ref"
  mkdir -p "$dir/upper" "$dir/work"
  defer "'$CCOMPOSE' runtime delete '$id'"
  OUT=$("$CCOMPOSE" runtime run --spec "$spec" "$id" 2>&1)
  RC=$?
  "$CCOMPOSE" runtime delete "$id" >/dev/null 2>&1
}

run_image_ok() {
  run_image "$@"
  [ "$RC" = 0 ] || fail "in $1: ${*:2} failed ($RC): $OUT"
}

# layer_tars REF: the layer blobs of REF the build made (uncompressed).
layer_blobs() {
  "$CCOMPOSE" image inspect "$1" | python3 -c '
import json, sys, os
img = json.load(sys.stdin)[0]
for d in img["RootFS"]["Layers"]:
    p = os.path.join(sys.argv[1], "images/blobs/sha256", d[7:])
    if os.path.exists(p):
        print(p)' "$CCOMPOSE_DATA_DIR"
}
