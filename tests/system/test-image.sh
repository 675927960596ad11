#!/usr/bin/env bash
# The sample images (samples/images/build, built once and reused) load into
# a private store, and each runs: its layers are mounted as an overlay under
# the test state root and a command runs in a chroot of it.
. "$(dirname "$0")/lib.sh"

SAMPLES=$TOP/samples/images

samples_ready() {
  "$SAMPLES/build" "$@" >/dev/null 2>"$CCOMPOSE_STATE_DIR/build.log" ||
    fail "samples/images/build $*: $(tail -5 "$CCOMPOSE_STATE_DIR/build.log")"
}

# lowerdir REF: the image's layer dirs, top first, from `image inspect`.
lowerdir() {
  "$CCOMPOSE" image inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["GraphDriver"]["Data"]["LowerDir"])'
}

# run_in REF CMD...: mount an overlay of REF and run CMD chrooted into it.
run_in() {
  local ref=$1 ov; shift
  ov=$(mktemp -d "$CCOMPOSE_STATE_DIR/ov.XXXXXX")
  mkdir -p "$ov"/{upper,work,merged}
  mount -t overlay overlay -o "lowerdir=$(lowerdir "$ref"),upperdir=$ov/upper,workdir=$ov/work" "$ov/merged" ||
    fail "mount overlay for $ref"
  defer "umount '$ov/merged' || umount -l '$ov/merged'"
  OUT=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin PYTHONDONTWRITEBYTECODE=1 chroot "$ov/merged" "$@" 2>&1) ||
    fail "in $ref: $* failed: $OUT"
  umount "$ov/merged" || fail "umount"
}

test_busybox_loads_and_runs() {
  require_root
  use_private_state image-busybox
  samples_ready busybox
  assert_exit 0 "$CCOMPOSE" image load -i "$SAMPLES/out/busybox"
  assert_contains "$OUT" "Loaded image: busybox:1.35"
  assert_exit 0 "$CCOMPOSE" image ls
  assert_contains "$OUT" "busybox"
  assert_contains "$OUT" "1.35"
  run_in busybox:1.35 sh -c 'echo hello from $(basename $0)'
  assert_contains "$OUT" "hello from sh"
  run_in docker.io/library/busybox:1.35 sh -c 'command -v httpd nc wget'
  assert_contains "$OUT" "httpd"
}

test_redis_loads_and_runs() {
  require_root
  use_private_state image-redis
  samples_ready redis
  assert_exit 0 "$CCOMPOSE" image load -i "$SAMPLES/out/redis"
  assert_exit 0 "$CCOMPOSE" image inspect redis:7
  assert_contains "$OUT" '"redis-server", "--protected-mode", "no"'
  assert_contains "$OUT" '"6379/tcp"'
  run_in redis:7 redis-server --version
  assert_contains "$OUT" "Redis server v=7."
  run_in redis:7 redis-cli --version
  assert_contains "$OUT" "redis-cli 7."
}

test_python_web_nginx_load_and_run() {
  require_root
  use_private_state image-python
  samples_ready python web nginx
  for n in python web nginx; do
    assert_exit 0 "$CCOMPOSE" image load -q -i "$SAMPLES/out/$n"
  done
  run_in python:3.11-flask python3 -c 'import flask, redis; print("flask", flask.__version__)'
  assert_contains "$OUT" "flask 2."
  run_in ccompose-demo/web cat /app/app.py
  assert_contains "$OUT" "I have been seen"
  run_in nginx:1.22 nginx -t
  assert_contains "$OUT" "syntax is ok"
  # The demo app is one layer on top of python's: that layer is shared.
  local py web
  py=$(lowerdir python:3.11-flask)
  web=$(lowerdir ccompose-demo/web)
  assert_eq "${web#*:}" "$py" "web's lower layer is python's layer"
  assert_eq "$(ls "$CCOMPOSE_DATA_DIR/images/layers" | wc -l)" 3 "layers in the store"
}

test_load_is_reproducible_and_idempotent() {
  require_root
  use_private_state image-idem
  samples_ready busybox
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/busybox" || fail "first load"
  local before
  before=$(cd "$CCOMPOSE_DATA_DIR/images" && find blobs layers -maxdepth 2 | sort)
  assert_exit 0 "$CCOMPOSE" image load -i "$SAMPLES/out/busybox"
  assert_eq "$(cd "$CCOMPOSE_DATA_DIR/images" && find blobs layers -maxdepth 2 | sort)" "$before" "store after a second load"
  assert_eq "$(ls "$CCOMPOSE_DATA_DIR/images/tmp" | wc -l)" 0 "tmp/ is empty"
}

# mount_at REF DIR: an overlay of REF on DIR/merged, unmounted by defer.
mount_at() {
  mkdir -p "$2"/{upper,work,merged}
  mount -t overlay overlay -o "lowerdir=$(lowerdir "$1"),upperdir=$2/upper,workdir=$2/work" "$2/merged" ||
    fail "mount overlay for $1"
  defer "umount '$2/merged' || umount -l '$2/merged'"
}

# The Compose demo, from the images alone: redis and the Flask app, each
# chrooted into its own overlay, in a private network namespace (only lo).
test_demo_web_counts_hits_in_redis() {
  require_root
  use_private_state image-demo
  samples_ready redis web
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/redis" || fail "load redis"
  "$CCOMPOSE" image load -q -i "$SAMPLES/out/web" || fail "load web"
  local r=$CCOMPOSE_STATE_DIR/redis w=$CCOMPOSE_STATE_DIR/web
  mount_at redis:7 "$r"
  mount_at ccompose-demo/web "$w"
  OUT=$(R=$r/merged W=$w/merged LOG=$CCOMPOSE_STATE_DIR timeout 60 unshare -n bash -c '
    ip link set lo up
    chroot "$R" redis-server --protected-mode no --save "" --port 6379 >"$LOG/redis.log" 2>&1 & rp=$!
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin PYTHONDONTWRITEBYTECODE=1 FLASK_APP=/app/app.py REDIS_HOST=127.0.0.1 \
      chroot "$W" sh -c "cd /app && exec python3 -m flask run --host 127.0.0.1 --port 5000" >"$LOG/web.log" 2>&1 & wp=$!
    # Both servers go with this shell, even when timeout ends it.
    trap "kill $rp $wp 2>/dev/null; wait" EXIT TERM
    get() { python3 -c "import urllib.request as u; print(u.urlopen(\"http://127.0.0.1:5000/\", timeout=2).read().decode().strip())"; }
    deadline=$((SECONDS + 40))
    until first=$(get 2>/dev/null); do
      [ $SECONDS -lt $deadline ] || { echo "web never answered"; break; }
      sleep 0.1
    done
    echo "$first"; get
    true')
  local logs
  logs=$(tail -n 5 "$CCOMPOSE_STATE_DIR/redis.log" "$CCOMPOSE_STATE_DIR/web.log" 2>&1)
  assert_contains "$OUT" "Hello World! I have been seen 1 times." "first hit ($logs)"
  assert_contains "$OUT" "Hello World! I have been seen 2 times." "second hit"
}

run_tests
