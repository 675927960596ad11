#!/usr/bin/env bash
# The command-line contract: version, help, usage errors and exit codes.
. "$(dirname "$0")/lib.sh"

test_version_forms() {
  assert_exit 0 "$CCOMPOSE" version
  assert_contains "$OUT" "ccompose version v"
  assert_exit 0 "$CCOMPOSE" -v
  assert_contains "$OUT" "ccompose version v"
  assert_exit 0 "$CCOMPOSE" version --short
  [[ $OUT =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "short version: $OUT"
  assert_exit 0 "$CCOMPOSE" version --format json
  python3 -c 'import json,sys; assert json.loads(sys.argv[1])["version"].startswith("v")' "$OUT" || fail "json: $OUT"
}

test_help_for_every_command() {
  assert_exit 0 "$CCOMPOSE" --help
  local cmds
  cmds=$(awk '/^Commands:/{f=1;next} f && /^  [a-z]/{print $1}' <<<"$OUT")
  [ -n "$cmds" ] || fail "no commands listed"
  for c in $cmds; do
    assert_exit 0 "$CCOMPOSE" "$c" --help
    assert_contains "$OUT" "Usage: ccompose $c"
  done
}

test_usage_errors_exit_2() {
  assert_exit 2 "$CCOMPOSE" no-such-command
  assert_contains "$OUT" "unknown command"
  assert_exit 2 "$CCOMPOSE" --no-such-flag version
  assert_exit 2 "$CCOMPOSE" --ansi sometimes version
  assert_contains "$OUT" "--ansi"
  assert_exit 2 "$CCOMPOSE" --log-level loud version
  assert_exit 2 "$CCOMPOSE" version --format yaml
  assert_exit 2 "$CCOMPOSE"
}

run_tests
