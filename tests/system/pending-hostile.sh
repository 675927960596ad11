#!/usr/bin/env bash
# PENDING: hostile inputs compose/ does not refuse yet.  Not named
# test-*.sh, so tests/system/run leaves it out; once compose/ reads only
# regular files (or caps what it reads), move these into test-hostile.sh.
# Run by hand:  bash tests/system/pending-hostile.sh
#
# A layer that fills the data root fails with the wrong cause: "write
# `zeros`: No such file or directory" instead of "No space left on device"
# (the errno is read after libarchive has overwritten it).
. "$(dirname "$0")/lib.sh"

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
