#!/usr/bin/env bash
# A SIGKILL at any side-effecting step of network setup, followed by
# teardown, leaves nothing behind: every resource is recorded before it is
# created.  Runs inside throwaway namespaces (network-helpers.bash).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/network-helpers.bash"

# The setup, one ccompose command per line (after net_setup).
define_steps() {
  setup_steps=(
    "create default"
    "netns-create pcrash-web-1"
    "attach default pcrash-web-1 --service web --publish 8080:80 --publish 0:81 --publish 127.0.0.1:18400-18402:82/udp --hosts-file $CCOMPOSE_STATE_DIR/hosts-web"
    "netns-create pcrash-db-1"
    "attach default pcrash-db-1 --service db"
    "create --internal back"
    "attach back pcrash-db-1 --service db"
  )
}

# Run steps 0..K-1 normally.
run_steps() {
  local i
  for ((i = 0; i < $1; i++)); do
    # shellcheck disable=SC2086
    assert_exit 0 ccn ${setup_steps[$i]}
  done
}

# Run step K with CCOMPOSE_CRASH_AT=N; prints its exit status.
crash_step() {
  # shellcheck disable=SC2086
  CCOMPOSE_CRASH_AT=$2 ccn ${setup_steps[$1]} >/dev/null 2>"$CCOMPOSE_STATE_DIR/crash-step.err"
  echo $?
}

test_sigkill_at_every_step_then_teardown_leaves_nothing() {
  net_setup crash
  define_steps
  local k n rc crashes=0
  for ((k = 0; k < ${#setup_steps[@]}; k++)); do
    for ((n = 1; n <= 30; n++)); do
      run_steps "$k"
      rc=$(crash_step "$k" "$n")
      assert_exit 0 ccn down
      ( assert_no_residue ) || fail "after a crash at point $n of step $k (${setup_steps[$k]}), exit $rc: $(cat "$CCOMPOSE_STATE_DIR/crash-step.err")"
      # ccompose turned ip_forward on, so teardown turns it off again.
      assert_eq "$(inh cat /proc/sys/net/ipv4/ip_forward)" 0 "ip_forward after step $k crash $n"
      [ "$rc" = 137 ] || break
      crashes=$((crashes + 1))
    done
    [ "$rc" = 0 ] || fail "step $k (${setup_steps[$k]}) ended with $rc, not a crash or success: $(cat "$CCOMPOSE_STATE_DIR/crash-step.err")"
  done
  # Every command has at least one crash point.
  [ $crashes -ge ${#setup_steps[@]} ] || fail "only $crashes crashes injected"
  echo "    $crashes crash points exercised" >&2
}

test_crash_in_teardown_then_teardown_again() {
  net_setup crash2
  define_steps
  local n rc
  for ((n = 1; n <= 30; n++)); do
    run_steps ${#setup_steps[@]}
    CCOMPOSE_CRASH_AT=$n ccn down >/dev/null 2>&1
    rc=$?
    assert_exit 0 ccn down
    assert_no_residue
    [ $rc = 137 ] || break
  done
  [ $n -gt 1 ] || fail "teardown has no crash point"
}

run_tests
