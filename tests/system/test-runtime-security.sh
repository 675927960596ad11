#!/usr/bin/env bash
# Capabilities, seccomp, no_new_privileges: what the process really holds.
. "$(dirname "$0")/runtime-common.sh"

capeff() { sed -n 's/^CapEff:[[:space:]]*//p' <<<"$1"; }

test_default_capabilities_are_dockers() {
  setup caps
  spec c1 '"args": ["/payload", "status", "CapEff"]'
  run_ctr c1
  # CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
  # NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
  assert_eq "$(capeff "$OUT")" 00000000a80425fb "Docker's 14 default capabilities"
  finish
}

test_cap_add_drop_all_and_privileged() {
  setup capmod
  spec d1 '"args": ["/payload", "status", "CapEff"], "cap_drop": ["ALL"]'
  spec d2 '"args": ["/payload", "status", "CapEff"], "cap_drop": ["ALL"], "cap_add": ["NET_ADMIN"]'
  spec d3 '"args": ["/payload", "status", "CapEff"], "cap_drop": ["CHOWN", "KILL"]'
  spec d4 '"args": ["/payload", "status", "CapEff"], "privileged": true'
  spec d5 '"args": ["/payload", "status", "CapEff"], "user": "app"'
  run_ctr d1; assert_eq "$(capeff "$OUT")" 0000000000000000
  run_ctr d2; assert_eq "$(capeff "$OUT")" 0000000000001000 "NET_ADMIN is bit 12"
  run_ctr d3; assert_eq "$(capeff "$OUT")" 00000000a80425da "CHOWN (0) and KILL (5) dropped"
  run_ctr d4
  # Everything the host bounding set allows.
  assert_eq "$(capeff "$OUT")" "$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)"
  run_ctr d5; assert_eq "$(capeff "$OUT")" 0000000000000000 "non-root loses caps at exec, as in Docker"
  finish
}

test_seccomp_blocks_dangerous_calls() {
  setup seccomp
  spec s1 '"args": ["/bin/sh", "-c", "/payload userns; /payload clone-newuser; /payload keyctl; /payload ptrace; /payload mount; grep Seccomp: /proc/self/status"]'
  spec s2 '"args": ["/bin/sh", "-c", "/payload userns; /payload clone-newuser; /payload keyctl; /payload ptrace"], "seccomp": false'
  run_ctr s1
  assert_contains "$OUT" "unshare: Operation not permitted"
  assert_contains "$OUT" "clone-newuser: Operation not permitted"
  assert_contains "$OUT" "keyctl: Operation not permitted"
  assert_contains "$OUT" "ptrace: Operation not permitted"
  assert_contains "$OUT" "mount: Operation not permitted"
  assert_contains "$OUT" "Seccomp:	2"
  # The same calls succeed unconfined: it is the filter that refused them.
  run_ctr s2
  assert_contains "$OUT" "unshare: ok"
  assert_contains "$OUT" "clone-newuser: ok"
  assert_contains "$OUT" "keyctl: ok"
  assert_contains "$OUT" "ptrace: ok"
  finish
}

# The compiled filter is kept in the data directory and loaded from there
# by later containers and execs; a damaged copy is built anew, never
# trusted or fatal.
test_seccomp_filter_is_kept_and_a_damaged_copy_rebuilt() {
  setup seccache
  local probe='/payload userns; /payload keyctl; grep Seccomp: /proc/self/status'
  spec k1 "\"args\": [\"/bin/sh\", \"-c\", \"$probe\"]"
  spec k2 "\"args\": [\"/bin/sh\", \"-c\", \"$probe\"]"
  spec k3 '"args": ["/bin/sleep", "30"]'
  run_ctr k1
  assert_contains "$OUT" "unshare: Operation not permitted"
  local kept
  kept=$(ls "$CCOMPOSE_DATA_DIR"/cache/seccomp-*.bpf 2>/dev/null)
  [ -n "$kept" ] || fail "no kept filter in $CCOMPOSE_DATA_DIR/cache"
  [ $(( $(stat -c %s "$kept") % 8 )) -eq 0 ] || fail "the kept filter is not whole BPF instructions"
  # Eight zero bytes: whole instructions the kernel refuses.
  head -c 8 /dev/zero >"$kept"
  run_ctr k2
  assert_eq "$RC" 0 "a damaged kept filter failed the container: $OUT"
  assert_contains "$OUT" "unshare: Operation not permitted"
  assert_contains "$OUT" "keyctl: Operation not permitted"
  assert_contains "$OUT" "Seccomp:	2"
  # An odd size is not even tried: the monitor builds and keeps it again.
  printf 'xyz' >"$kept"
  rt run -d --spec "$SPECS/k3.json" k3 || fail "run k3"
  [ $(( $(stat -c %s "$kept") % 8 )) -eq 0 ] && [ "$(stat -c %s "$kept")" -gt 8 ] || fail "the filter was not kept again"
  assert_exit 0 rt exec k3 /bin/sh -c "$probe"
  assert_contains "$OUT" "keyctl: Operation not permitted"
  assert_contains "$OUT" "Seccomp:	2"
  rt stop -t 1 k3 >/dev/null
  finish
}

test_cap_sys_admin_allows_mount_like_docker() {
  setup admin
  spec a1 '"args": ["/payload", "mount"], "cap_add": ["SYS_ADMIN"]'
  run_ctr a1
  assert_contains "$OUT" "mount: ok"
  finish
}

test_no_new_privileges() {
  setup nnp
  spec n1 '"args": ["/payload", "status", "NoNewPrivs"], "no_new_privileges": true'
  spec n2 '"args": ["/payload", "status", "NoNewPrivs"]'
  run_ctr n1; assert_contains "$OUT" "NoNewPrivs:	1"
  run_ctr n2; assert_contains "$OUT" "NoNewPrivs:	0"
  finish
}

test_device_cgroup_and_minimal_dev() {
  setup dev
  spec v1 '"args": ["/bin/sh", "-c", "ls /dev | tr \"\\n\" \" \"; echo; mknod /tmp/sda b 8 0 && (head -c1 /tmp/sda >/dev/null 2>&1 && echo read-disk || echo denied)"]'
  run_ctr v1
  assert_contains "$OUT" "null"
  assert_not_contains "$OUT" "sda "
  assert_contains "$OUT" "denied"
  finish
}

run_tests
