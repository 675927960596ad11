# A real registry for the system tests (sourced after lib.sh): Debian's
# docker-registry (CNCF distribution 2.8) on an ephemeral port of
# 127.0.0.1, filesystem storage under the test's state, stopped when the
# test ends.  Used by test-image-push.sh and test-build-compose.sh.

distribution_listening() {
  kill -0 "$DIST_PID" 2>/dev/null || fail "docker-registry died: $(tail -3 "$DIST_DIR/log")"
  grep -q 'listening on 127.0.0.1:' "$DIST_DIR/log"
}

# start_distribution [PREFIX...]: runs it under PREFIX (e.g. nsenter into
# a test's namespace: its loopback is the one there); sets DIST_REG
# (127.0.0.1:PORT) and DIST_DIR.
start_distribution() {
  command -v docker-registry >/dev/null || skip "docker-registry is not installed (make deps)"
  DIST_DIR=$CCOMPOSE_STATE_DIR/distribution
  mkdir -p "$DIST_DIR"
  printf 'version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:0\n' \
    "$DIST_DIR/data" >"$DIST_DIR/config.yml"
  "$@" docker-registry serve "$DIST_DIR/config.yml" >"$DIST_DIR/log" 2>&1 &
  DIST_PID=$!
  defer "kill $DIST_PID"
  wait_for 20 "docker-registry to listen" distribution_listening
  DIST_REG=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$DIST_DIR/log" | head -1 | cut -d' ' -f3)
}
