#!/usr/bin/env bash
# PENDING: hostile inputs compose/ does not refuse yet.  Not named
# test-*.sh, so tests/system/run leaves it out; once compose/ reads only
# regular files (or caps what it reads), move these into test-hostile.sh.
# Run by hand:  bash tests/system/pending-hostile.sh
#
# A compose file, an env_file or a .env that is a device (/dev/zero,
# /dev/urandom) is read until memory runs out: 1-2 GB within 5 s.  A
# cloned repository with `.env -> /dev/urandom` takes down `ccompose
# config`.  A regular-file check (or a size cap) before reading stops it.
#
# A layer that fills the data root fails with the wrong cause: "write
# `zeros`: No such file or directory" instead of "No space left on device"
# (the errno is read after libarchive has overwritten it).
. "$(dirname "$0")/lib.sh"

# refused DIR [OPTIONS]: `ccompose config` fails clearly within 10 s.
refused() {
  local dir=$1; shift
  OUT=$(timeout 10 env -C "$dir" "$CCOMPOSE" "$@" config 2>&1); local rc=$?
  [ $rc -ne 124 ] || fail "ccompose config ran for 10 s in $dir"
  [ $rc -eq 1 ] || fail "exit $rc (wanted 1) in $dir: $OUT"
}

test_device_files_are_refused() {
  require_root
  use_private_state hostile-pending
  local d=$CCOMPOSE_DATA_DIR
  mkdir -p "$d/compose" "$d/envfile" "$d/dotenv"
  ln -s /dev/zero "$d/compose/compose.yaml"
  refused "$d/compose"
  printf 'services: {s: {image: x, env_file: [/dev/zero]}}\n' > "$d/envfile/compose.yaml"
  refused "$d/envfile"
  printf 'services: {s: {image: x}}\n' > "$d/dotenv/compose.yaml"
  ln -s /dev/urandom "$d/dotenv/.env"
  refused "$d/dotenv"
}

test_full_data_root_says_so() {
  require_root
  use_private_state hostile-pending-bomb
  python3 "$TOP/tests/hostile/make-hostile.py" bomb "$CCOMPOSE_STATE_DIR/bomb" || fail "generate the layout"
  mount -t tmpfs -o size=32m ccompose-test "$CCOMPOSE_DATA_DIR" || fail "mount a small data root"
  defer "umount -l '$CCOMPOSE_DATA_DIR'"
  assert_exit 1 "$CCOMPOSE" image load -i "$CCOMPOSE_STATE_DIR/bomb"
  assert_contains "$OUT" "No space left on device"
}

run_tests
