#!/usr/bin/env bash
# cgroup membership: a container's PID 1, an exec'd process and a
# healthcheck probe are in the container's cgroup in every hierarchy
# ccompose manages, whichever way they got there (clone3 into the
# cgroup2 leaf plus joining v1 themselves, or the fallbacks), and the
# limits bind what exec starts.
. "$(dirname "${BASH_SOURCE[0]}")/runtime-common.sh"

# Controllers cgroup-v1.c manages; other v1 hierarchies (name=systemd,
# net_cls...) are the host's business.
OURS=" cpu cpuacct cpuset memory pids freezer devices blkio "

layout() {
  if cgroup_v2; then echo v2
  elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then echo hybrid
  else echo v1; fi
}

# is_ours CONTROLLERS: a comma list of a /proc/PID/cgroup line.
is_ours() {
  local c
  for c in ${1//,/ }; do [[ $OURS == *" $c "* ]] && return 0; done
  return 1
}

# expect_cgroups PID CGNAME [LAYOUT]: every hierarchy of the layout has
# PID at /ccompose/CGNAME, seen from the host.
expect_cgroups() {
  local pid=$1 want=/ccompose/$2 lay=${3:-$(layout)} ctrls path v1=0 v2=0
  [ -r "/proc/$pid/cgroup" ] || fail "no process $pid"
  while IFS=: read -r _ ctrls path; do
    if [ -z "$ctrls" ]; then
      [ "$lay" = v1 ] && continue
      v2=$((v2 + 1))
    else
      [ "$lay" = v2 ] && continue
      is_ours "$ctrls" || continue
      v1=$((v1 + 1))
    fi
    [ "$path" = "$want" ] || fail "pid $pid: hierarchy ${ctrls:-cgroup2} has it in $path, not $want: $(cat "/proc/$pid/cgroup")"
  done < "/proc/$pid/cgroup"
  case $lay in
    v2) assert_eq "$v2" 1 "the cgroup2 line of pid $pid";;
    hybrid) assert_eq "$v2" 1 "the cgroup2 line of pid $pid"; [ "$v1" -gt 0 ] || fail "no v1 line for pid $pid";;
    v1) [ "$v1" -gt 0 ] || fail "no v1 line for pid $pid";;
  esac
}

descendants() {
  local c
  for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done
}

# exec_pid PID [BUT]: the payload a `runtime exec` started from PID runs
# (the CLI forks a middle process, which forks the program), not BUT.
exec_pid() {
  local p
  for p in $(descendants "$1"); do
    [ "$p" != "${2:-}" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = payload ] && { echo "$p"; return 0; }
  done
  return 1
}
middle_pid() { ps -o ppid= -p "$(exec_pid "$1")" | tr -d ' '; }

# start_and_check ID [LAYOUT]: PID 1 and a process exec'd into it are in
# the container's cgroups; leaves the exec'd process running (the
# container's deletion ends it).
start_and_check() {
  local id=$1 lay=${2:-} cli inner
  rt run -d --spec "$SPECS/$id.json" "$id" || fail "run $id"
  expect_cgroups "$(state_field "$id" pid)" "$(state_field "$id" cgroup)" $lay
  "$CCOMPOSE" runtime exec "$id" /payload sleep 30 >/dev/null &
  cli=$!
  defer "kill $cli"
  wait_for 10 "the exec'd process" exec_pid "$cli"
  inner=$(exec_pid "$cli")
  expect_cgroups "$inner" "$(state_field "$id" cgroup)" $lay
  # The middle process too: it was born (or moved) into the cgroups.
  expect_cgroups "$(middle_pid "$cli")" "$(state_field "$id" cgroup)" $lay
  # Inside, the cgroup namespace makes the container's cgroup the root.
  assert_exit 0 rt exec "$id" cat /proc/self/cgroup
  assert_eq "$(grep -vc ':/$' <<<"$OUT")" 0 "exec'd cat outside the namespace root: $OUT"
}

test_pid1_and_exec_in_every_hierarchy() {
  setup cgjoin
  spec j1 '"args": ["/payload", "sleep", "30"]'
  start_and_check j1
  finish
}

# The monitor runs probes the way exec does; a probe that lasts is
# caught from the host.
test_healthcheck_probe_in_the_cgroup() {
  setup cgprobe
  spec hp '"args": ["/payload", "sleep", "30"], "healthcheck": {"test": ["CMD", "/payload", "sleep", "30"], "interval_ms": 100, "timeout_ms": 60000, "retries": 1}'
  rt run -d --spec "$SPECS/hp.json" hp || fail "run"
  local pid1 mpid probe
  pid1=$(state_field hp pid)
  mpid=$(state_field hp monitor_pid)
  wait_for 10 "a running probe" exec_pid "$mpid" "$pid1"
  probe=$(exec_pid "$mpid" "$pid1")
  expect_cgroups "$probe" "$(state_field hp cgroup)"
  expect_cgroups "$(ps -o ppid= -p "$probe" | tr -d ' ')" "$(state_field hp cgroup)"
  finish
}

# The limits bind what exec starts: its processes count against the
# container's pids.max and memory limit.
test_limits_bind_exec() {
  setup cglimits
  spec e1 '"args": ["/payload", "sleep", "30"], "resources": {"memory": 33554432, "pids_limit": 8}'
  rt run -d --spec "$SPECS/e1.json" e1 || fail "run"
  # The payload ends by killing its process group (itself included:
  # 137): exec starts it in a session of its own, never the test's.
  assert_exit 137 rt exec e1 /payload forks 50
  assert_contains "$OUT" "fork failed after"
  local n
  n=$(sed -n 's/.*fork failed after \([0-9]*\).*/\1/p' <<<"$OUT")
  [ "$n" -lt 8 ] || fail "an exec'd process forked $n under a limit of 8"
  assert_exit 137 rt exec e1 /payload alloc 200
  assert_not_contains "$OUT" "allocated"
  finish
}

# clone3 refused as in a container under Docker's default seccomp
# profile (ENOSYS), or as by a kernel before CLONE_INTO_CGROUP (EINVAL):
# the fallback moves the processes by PID instead.
# no_clone3 ERRNO CMD...: run CMD with clone3 failing with ERRNO.
no_clone3() {
  python3 - "$@" <<'PY'
import ctypes, errno, os, sys
lib = ctypes.CDLL("libseccomp.so.2")
lib.seccomp_init.restype = ctypes.c_void_p
ctx = ctypes.c_void_p(lib.seccomp_init(ctypes.c_uint32(0x7FFF0000)))  # SCMP_ACT_ALLOW
nr = lib.seccomp_syscall_resolve_name(b"clone3")
act = 0x00050000 | getattr(errno, sys.argv[1])  # SCMP_ACT_ERRNO
if not ctx or nr < 0 or lib.seccomp_rule_add(ctx, ctypes.c_uint32(act), nr, 0) or lib.seccomp_load(ctx):
    sys.exit("cannot install the seccomp filter")
os.execvp(sys.argv[2], sys.argv[2:])
PY
}

test_fallback_without_clone3() {
  setup cgfallback
  [ "$(layout)" = v1 ] && skip "no cgroup2 leaf: clone3 is not used"
  local e cli
  # The filter works: clone3 (435 on x86-64) fails with ENOSYS.
  if [ "$(uname -m)" = x86_64 ]; then
    assert_eq "$(no_clone3 ENOSYS python3 -c 'import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
print(libc.syscall(435, None, 0), errno.errorcode[ctypes.get_errno()])')" "-1 ENOSYS" "the seccomp filter"
  fi
  for e in ENOSYS EINVAL; do
    spec "f-$e" '"args": ["/payload", "sleep", "30"]'
    no_clone3 "$e" "$CCOMPOSE" runtime run -d --spec "$SPECS/f-$e.json" "f-$e" || fail "run under $e"
    expect_cgroups "$(state_field "f-$e" pid)" "$(state_field "f-$e" cgroup)"
    no_clone3 "$e" "$CCOMPOSE" runtime exec "f-$e" /payload sleep 30 >/dev/null &
    cli=$!
    defer "kill $cli"
    wait_for 10 "the exec'd process" exec_pid "$cli"
    expect_cgroups "$(exec_pid "$cli")" "$(state_field "f-$e" cgroup)"
  done
  finish
}

# A failed join is an error of the start or the exec, with its cause:
# an LD_PRELOAD shim refuses to open any v1 `tasks` file.
test_failed_join_is_reported() {
  setup cgfail
  [ "$(layout)" = v2 ] && skip "no v1 hierarchy to join"
  cat > "$CCOMPOSE_DATA_DIR/shim.c" <<'C'
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
static int
refused (const char *path)
{
  size_t n = strlen (path);
  return n > 6 && strcmp (path + n - 6, "/tasks") == 0;
}
#define SHIM(name)                                                        \
  int name (const char *path, int flags, ...)                             \
  {                                                                       \
    static int (*real) (const char *, int, ...);                          \
    va_list ap;                                                           \
    va_start (ap, flags);                                                 \
    mode_t mode = va_arg (ap, mode_t);                                    \
    va_end (ap);                                                          \
    if (refused (path))                                                   \
      return errno = EACCES, -1;                                          \
    if (! real)                                                           \
      real = (int (*) (const char *, int, ...))dlsym (RTLD_NEXT, #name);  \
    return real (path, flags, mode);                                      \
  }
SHIM (open)
SHIM (open64)
C
  cc -shared -fPIC -o "$CCOMPOSE_DATA_DIR/shim.so" "$CCOMPOSE_DATA_DIR/shim.c" -ldl || skip "no C compiler"
  # The sanitizer build (make check) wants its runtime first of all.
  local preload=$CCOMPOSE_DATA_DIR/shim.so asan
  asan=$(ldd "$CCOMPOSE" | awk '/libasan/ { print $3 }')
  [ -n "$asan" ] && preload="$asan $preload"
  spec x1 '"args": ["/payload", "sleep", "30"]'
  assert_exit 1 env LD_PRELOAD="$preload" "$CCOMPOSE" runtime run -d --spec "$SPECS/x1.json" x1
  assert_contains "$OUT" "/tasks"
  assert_contains "$OUT" "Permission denied"
  pgrep -f "ccompose-monitor x1" && fail "the monitor of a failed start lives on"
  spec x2 '"args": ["/payload", "sleep", "30"]'
  rt run -d --spec "$SPECS/x2.json" x2 || fail "run"
  assert_exit 126 env LD_PRELOAD="$preload" "$CCOMPOSE" runtime exec x2 /payload echo reached
  assert_contains "$OUT" "/tasks"
  assert_not_contains "$OUT" "reached"
  finish
}

# in_layout LAYOUT ID PREP: start_and_check ID as seen in LAYOUT, in a
# private mount namespace where the shell command PREP made it so.
in_layout() {
  local lay=$1 id=$2 prep=$3
  cat > "$CCOMPOSE_DATA_DIR/$lay.sh" <<SH
. "\$TESTS/test-runtime-cgroup.sh" --lib
$prep
[ "\$(layout)" = $lay ] || fail "the layout is \$(layout), not $lay"
start_and_check $id $lay
rt stop -t 1 $id >/dev/null
rt delete $id
echo $lay-ok
SH
  OUT=$(TESTS=$TOP/tests/system SPECS=$SPECS unshare -m --propagation private bash "$CCOMPOSE_DATA_DIR/$lay.sh" 2>&1)
  assert_contains "$OUT" "$lay-ok" "the $lay layout: $OUT"
}

# Legacy v1 (no cgroup2 at all), the hybrid host's unified mount hidden:
# the child joins the v1 hierarchies itself, no clone3.
test_legacy_v1_layout() {
  setup cglegacy
  [ "$(layout)" = hybrid ] || skip "needs the hybrid layout to hide its cgroup2 part"
  spec l1 '"args": ["/payload", "sleep", "30"]'
  in_layout v1 l1 "umount -l /sys/fs/cgroup/unified"
  finish
}

# Unified v2, the hybrid host's cgroup2 mounted on /sys/fs/cgroup (as
# test-runtime-limits.sh does): clone3 alone places every process.
test_unified_v2_layout() {
  setup cgunified
  [ "$(layout)" = v2 ] && skip "the host is v2: the other tests cover it"
  [ "$(layout)" = hybrid ] || skip "no cgroup2 hierarchy here"
  spec u1 '"args": ["/payload", "sleep", "30"]'
  in_layout v2 u1 "mount -t cgroup2 none /sys/fs/cgroup"
  finish
}

[ "${1:-}" = --lib ] || run_tests
