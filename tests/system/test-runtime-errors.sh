#!/usr/bin/env bash
# Error messages that quote hostile paths reach the terminal without
# their control bytes (lib/error.c filters them as messages are made).
. "$(dirname "$0")/runtime-common.sh"

test_hostile_path_in_an_error_is_not_echoed() {
  setup hostilepath
  local spec_path=$SPECS/$'\e[2J\e]0;pwned\a\r'spec.json
  assert_exit 1 rt create --spec "$spec_path" h1
  assert_contains "$OUT" "$SPECS/?[2J?]0;pwned??spec.json"
  assert_not_contains "$OUT" $'\e' "an ESC byte reached the terminal"
  assert_not_contains "$OUT" $'\r' "a CR reached the terminal"
  # The same bytes in a spec the runtime reads: the message quotes the
  # container's argument.
  spec h2 '"args": ["/no/such/\u001b[31mprogram"]'
  assert_exit 1 rt run --spec "$SPECS/h2.json" h2
  assert_contains "$OUT" "/no/such/?[31mprogram"
  assert_not_contains "$OUT" $'\e' "an ESC byte from the spec reached the terminal"
  finish
}

run_tests
