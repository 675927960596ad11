#!/usr/bin/env bash
# cgroup limits, rlimits and sysctls, observed through the kernel's own
# counters (never through timings).
. "$(dirname "$0")/runtime-common.sh"


test_memory_limit_kills_a_hog_and_records_oom() {
  setup oom
  spec m1 '"args": ["/payload", "alloc", "200"], "resources": {"memory": 33554432}'
  run_ctr m1
  assert_eq "$RC" 137 "killed by SIGKILL: $OUT"
  assert_not_contains "$OUT" "allocated"
  assert_eq "$(state_field m1 oom_killed)" true "OOM recorded"
  spec m2 '"args": ["/payload", "alloc", "4"], "resources": {"memory": 33554432}'
  run_ctr m2
  assert_eq "$RC" 0 "a small allocation fits: $OUT"
  assert_eq "$(state_field m2 oom_killed)" false
  finish
}

test_pids_limit_stops_a_fork_bomb() {
  setup pids
  # Bounded: at most 200 forks are attempted, the limit is 16.
  spec p1 '"args": ["/payload", "forks", "200"], "resources": {"pids_limit": 16}'
  run_ctr p1
  assert_contains "$OUT" "fork failed after"
  local n
  n=$(sed -n 's/.*fork failed after \([0-9]*\).*/\1/p' <<<"$OUT")
  [ "$n" -lt 16 ] || fail "forked $n processes under a limit of 16"
  finish
}

test_cpu_quota_throttles_and_shares_apply() {
  setup cpu
  spec c1 '"args": ["/payload", "busy", "20000"], "resources": {"cpu_quota": 10000, "cpu_period": 100000, "cpu_shares": 512}'
  rt create --spec "$SPECS/c1.json" c1 || fail "create"
  rt start c1 || fail "start"
  if cgroup_v2; then
    assert_eq "$(cat "$(cg cpu c1)/cpu.max")" "10000 100000"
    assert_eq "$(cat "$(cg cpu c1)/cpu.weight")" 59 "512 shares as a weight"
  else
    assert_eq "$(cat "$(cg cpu c1)/cpu.cfs_quota_us")" 10000
    assert_eq "$(cat "$(cg cpu c1)/cpu.shares")" 512
  fi
  throttled() { [ "$(awk '/^nr_throttled/ {print $2}' "$(cg cpu c1)/cpu.stat")" -gt 0 ]; }
  wait_for 10 "the cpu quota to throttle" throttled
  rt kill c1 || fail "kill"
  wait_for 10 "the exit" status_is c1 exited
  finish
}

test_limits_in_cgroup_files() {
  setup cgfiles
  spec l1 '"args": ["/payload", "sleep", "30"], "resources": {"memory": 67108864, "memory_swap": 134217728, "pids_limit": 50}'
  rt run -d --spec "$SPECS/l1.json" l1 || fail "run"
  local pid
  pid=$(state_field l1 pid)
  if cgroup_v2; then
    assert_eq "$(cat "$(cg memory l1)/memory.max")" 67108864
  else
    assert_eq "$(cat "$(cg memory l1)/memory.limit_in_bytes")" 67108864
  fi
  assert_eq "$(cat "$(cg pids l1)/pids.max")" 50
  grep -q "^$pid\$" "$(cg memory l1)/cgroup.procs" || fail "PID 1 is not in the memory cgroup"
  grep -q "^$pid\$" "$(cg pids l1)/cgroup.procs" || fail "PID 1 is not in the pids cgroup"
  # The cgroup namespace hides the host path.
  assert_exit 0 rt exec l1 cat /proc/self/cgroup
  assert_contains "$OUT" "memory:/"
  assert_not_contains "$OUT" "ccompose"
  # Its own limits under /sys/fs/cgroup, read-only, as in Docker.
  local pids_max=/sys/fs/cgroup/pids/pids.max
  cgroup_v2 && pids_max=/sys/fs/cgroup/pids.max
  assert_exit 0 rt exec l1 cat $pids_max
  assert_eq "$OUT" 50
  assert_exit 1 rt exec l1 /bin/sh -c "echo 1000 > $pids_max"
  assert_contains "$OUT" "Read-only"
  finish
}

test_ulimits_lower_and_warn_on_raise() {
  setup ulimit
  local hard
  hard=$(ulimit -Hn)
  spec u1 '"args": ["/bin/sh", "-c", "ulimit -Sn; ulimit -Hn"], "ulimits": {"nofile": {"soft": 100, "hard": 200}}'
  run_ctr u1
  assert_eq "$RC" 0 "$OUT"
  assert_eq "$OUT" "100
200"
  spec u2 "\"args\": [\"/bin/sh\", \"-c\", \"ulimit -Hn\"], \"ulimits\": {\"nofile\": {\"soft\": 1024, \"hard\": $((hard * 4))}}"
  run_ctr u2
  assert_eq "$RC" 0 "raising past the hard limit must not fail: $OUT"
  if [ "$(sed -n '$p' <<<"$OUT")" != $((hard * 4)) ]; then
    # Without CAP_SYS_RESOURCE (this host) the hard limit stays, with a warning.
    assert_contains "$OUT" "cannot raise"
    assert_eq "$(sed -n '$p' <<<"$OUT")" "$hard"
  fi
  finish
}

test_namespaced_sysctls_only() {
  setup sysctl
  local before
  before=$(cat /proc/sys/net/ipv4/ip_forward)
  spec s1 '"args": ["/bin/sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni"], "sysctls": {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}'
  run_ctr s1
  assert_eq "$OUT" "1
1234"
  assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$before" "the host's value changed"
  finish
}

# The v2 backend on a hybrid host: in a private mount namespace the
# controller-less cgroup2 hierarchy is mounted on /sys/fs/cgroup, so the
# runtime takes the unified path (create, enter, freeze, kill, destroy,
# the container's own cgroup2 mount).  Limits need controllers it lacks.
test_cgroup_v2_backend_on_the_unified_hierarchy() {
  setup v2
  cgroup_v2 && skip "the host is v2: the other tests cover it"
  [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] || skip "no cgroup2 hierarchy here"
  spec w1 '"args": ["/payload", "sleep", "30"]'
  cat > "$CCOMPOSE_DATA_DIR/v2.sh" <<'SH'
set -eu
rt() { "$CCOMPOSE" runtime "$@"; }
field() { rt state w1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
mount -t cgroup2 none /sys/fs/cgroup
rt run -d --spec "$SPECS/w1.json" w1
dir=/sys/fs/cgroup/ccompose/$(field cgroup)
grep -qx "$(field pid)" "$dir/cgroup.procs"
rt exec w1 cat /proc/self/cgroup | grep -qx '0::/'
rt exec w1 /bin/sh -c 'test -e /sys/fs/cgroup/cgroup.procs'
rt pause w1
grep -qx 'frozen 1' "$dir/cgroup.events"
[ "$(field status)" = paused ]
rt unpause w1
grep -qx 'frozen 0' "$dir/cgroup.events"
rt stop -t 1 w1 >/dev/null
rt delete w1
! [ -e "$dir" ]
echo v2-ok
SH
  OUT=$(SPECS=$SPECS unshare -m --propagation private bash "$CCOMPOSE_DATA_DIR/v2.sh" 2>&1)
  assert_contains "$OUT" v2-ok "the v2 backend: $OUT"
  finish
}

run_tests
