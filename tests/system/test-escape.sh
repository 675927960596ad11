#!/usr/bin/env bash
# The escape suite: from inside a default container, every attempt to reach
# the host fails (tests/system/escape-payload.c has one function per
# attempt); with cap_add or privileged, exactly the documented exceptions
# hold, and even then the host's links, rules, mounts and sysctls are
# unchanged.
# system-run: alone
. "$(dirname "$0")/runtime-common.sh"

make -s -C "$TOP" build/escape-payload >/dev/null 2>&1 || { echo "cannot build the escape payload" >&2; exit 1; }

# The calls Docker's default seccomp profile refuses that the kernel
# itself would let a default container make (runtime/seccomp.c).
SECCOMP_ATTEMPTS="personality vsock af-alg mbind set-mempolicy get-mempolicy mempolicy-home-node move-pages
migrate-pages userfaultfd pidfd-getfd process-madvise quotactl-fd lsm-attr open-tree-attr obsolete-calls i386-legacy swapon"

# Every attempt of a default container.
ALL_ATTEMPTS="mount umount pivot_root module kexec reboot host-processes host-file proc-sys sysrq-trigger sys
cgroup-write link iptables userns ptrace block-device chroot open-by-handle leaked-fds stdio stdio-file session
$SECCOMP_ATTEMPTS"

escape_setup() {
  setup "esc-$1-$$"
  cp "$TOP/build/escape-payload" "$ROOTFS/escape"
  SECRET=$CCOMPOSE_STATE_DIR/host-secret
  echo "host only" > "$SECRET"
  BLOCK=$(awk '$5 == "/" {print $3; exit}' /proc/self/mountinfo)
  case $BLOCK in 0:*|"") BLOCK=$(ls /sys/dev/block | head -1);; esac
  [ -n "$BLOCK" ] || BLOCK=8:0
  block_device_note
  HOST_BEFORE=$(host_snapshot)
}

# The block-device attempt proves something only where the host itself can
# open the device (some sandboxes forbid even that): say so once.
block_device_note() {
  local node=$CCOMPOSE_DATA_DIR/host-disk
  mknod "$node" b "${BLOCK%:*}" "${BLOCK#*:}" 2>/dev/null || return 0
  if ! dd if="$node" of=/dev/null bs=512 count=1 2>/dev/null; then
    echo "    note: the host cannot open block device $BLOCK either; block-device proves nothing here" >&2
  fi
  rm -f "$node"
}

# What a successful escape could change on the host: links, firewall,
# mounts (other tests' private roots and namespaces left out), sysctls.
host_snapshot() {
  ip -o link show | awk -F': ' '{print $2}' | grep -v -e '^cc' -e '^veth' | sort
  iptables-legacy-save 2>/dev/null | grep -v -e '^#' -e CCOMPOSE -e ccompose | sed 's/\[[0-9:]*\]//' | sort
  awk '{print $5}' /proc/self/mountinfo | grep -v -e ccompose -e '^/run/netns' -e '^/proc/sys/fs/binfmt' | sort
  cat /proc/sys/vm/swappiness /proc/sys/kernel/ctrl-alt-del 2>/dev/null
}

assert_host_unchanged() {
  local after
  after=$(host_snapshot)
  [ "$after" = "$HOST_BEFORE" ] || fail "the host changed: $(diff <(echo "$HOST_BEFORE") <(echo "$after"))"
}

# escape_spec ID ATTEMPTS [EXTRA-JSON]: a container running the payload.
escape_spec() {
  local id=$1 attempts=$2 extra=${3:+, $3} args a
  args='"/escape"'
  for a in $attempts; do args+=", \"$a\""; done
  args+=", \"--host-file\", \"$SECRET\", \"--host-pid\", \"$$\", \"--block\", \"$BLOCK\""
  spec "$id" "\"args\": [$args]$extra"
}

assert_blocked() {
  local a
  for a in $1; do assert_contains "$OUT" "blocked $a:" "attempt $a"; done
}

assert_escaped() {
  local a
  for a in $1; do assert_contains "$OUT" "ESCAPED $a:" "documented exception $a"; done
}

test_default_container_escapes_nothing() {
  escape_setup default
  escape_spec e1 "all"
  # A careless caller's descriptor of a host directory must not reach
  # the container (CVE-2024-21626).
  exec 7<"$CCOMPOSE_STATE_DIR"
  run_ctr e1
  exec 7<&-
  assert_not_contains "$OUT" "ESCAPED"
  assert_blocked "$ALL_ATTEMPTS"
  assert_eq "$RC" 0 "escaped attempts"
  # A host path the rootfs does not have, and the state root itself.
  spec e2 "\"args\": [\"/escape\", \"host-file\", \"--host-file\", \"$TOP/Makefile\"]"
  run_ctr e2
  assert_contains "$OUT" "blocked host-file: No such file or directory"
  spec e3 "\"args\": [\"/bin/ls\", \"$CCOMPOSE_STATE_DIR\"]"
  run_ctr e3
  assert_contains "$OUT" "No such file or directory"
  assert_host_unchanged
  finish_clean
}

# A process that `exec` puts into a running container gets no more, even
# when the caller holds a descriptor of a host directory (CVE-2024-21626).
test_exec_into_container_escapes_nothing() {
  escape_setup exec
  spec x1 '"args": ["/payload", "sleep", "60"]'
  assert_exit 0 "$CCOMPOSE" runtime run -d --spec "$SPECS/x1.json" x1
  exec 7<"$CCOMPOSE_STATE_DIR"
  OUT=$("$CCOMPOSE" runtime exec x1 /escape all --host-file "$SECRET" --host-pid $$ --block "$BLOCK" 2>&1)
  local rc=$?
  assert_not_contains "$OUT" "ESCAPED"
  assert_blocked "$ALL_ATTEMPTS"
  assert_eq "$rc" 0 "escaped attempts"
  OUT=$("$CCOMPOSE" runtime exec -u app x1 /escape all --host-file "$SECRET" --host-pid $$ --block "$BLOCK" 2>&1)
  rc=$?
  exec 7<&-
  assert_not_contains "$OUT" "ESCAPED"
  assert_blocked "$ALL_ATTEMPTS"
  assert_eq "$rc" 0 "escaped attempts as a user"
  assert_host_unchanged
  finish_clean
}

# While exec joins the container, the joining process must not expose the
# host's ccompose binary through /proc/PID/exe (CVE-2019-5736): the
# container watches for new processes while the test runs exec 40 times.
test_exec_does_not_expose_the_host_binary() {
  escape_setup exe
  spec r1 '"args": ["/escape", "exe-race"]'
  assert_exit 0 "$CCOMPOSE" runtime run -d --spec "$SPECS/r1.json" r1
  wait_for 10 "the watcher" sh -c "'$CCOMPOSE' runtime logs r1 | grep -q watching"
  local i
  for i in $(seq 1 40); do "$CCOMPOSE" runtime exec r1 /payload pid >/dev/null 2>&1; done
  assert_exit 0 "$CCOMPOSE" runtime wait r1
  assert_exit 0 "$CCOMPOSE" runtime logs r1
  assert_contains "$OUT" "blocked exe-race"
  finish_clean
}

# The monitor runs healthchecks inside the container: they get no more.
test_healthcheck_escapes_nothing() {
  escape_setup health
  spec h1 "\"args\": [\"/payload\", \"sleep\", \"60\"], \"healthcheck\": {\"test\": [\"CMD\", \"/escape\", \"all\",
    \"--host-file\", \"$SECRET\", \"--host-pid\", \"$$\", \"--block\", \"$BLOCK\"], \"interval_ms\": 200, \"retries\": 1}"
  assert_exit 0 "$CCOMPOSE" runtime run -d --spec "$SPECS/h1.json" h1
  wait_for 20 "a healthcheck result" sh -c "'$CCOMPOSE' runtime state h1 | grep -q ExitCode"
  OUT=$("$CCOMPOSE" runtime state h1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["health"]["Log"][0]["Output"])')
  assert_not_contains "$OUT" "ESCAPED"
  assert_blocked "$ALL_ATTEMPTS"
  assert_host_unchanged
  finish_clean
}

test_default_container_as_non_root_escapes_nothing() {
  escape_setup user
  escape_spec u1 "all" '"user": "app"'
  run_ctr u1
  assert_not_contains "$OUT" "ESCAPED"
  assert_blocked "$ALL_ATTEMPTS"
  assert_host_unchanged
  finish_clean
}

test_cap_net_admin_changes_only_its_own_network() {
  escape_setup netadmin
  escape_spec n1 "link iptables mount module kexec host-processes host-file" '"cap_add": ["NET_ADMIN"]'
  run_ctr n1
  assert_escaped "link iptables"
  assert_blocked "mount module kexec host-processes host-file"
  assert_host_unchanged
  finish_clean
}

test_cap_sys_admin_mounts_only_in_its_namespace() {
  escape_setup sysadmin
  escape_spec s1 "mount module kexec reboot host-processes host-file chroot pivot_root swapon" '"cap_add": ["SYS_ADMIN"]'
  run_ctr s1
  assert_escaped "mount"
  # Docker's profile refuses pivot_root and swapon even then.
  assert_blocked "module kexec reboot host-processes host-file chroot pivot_root swapon"
  assert_host_unchanged
  finish_clean
}

# CAP_SYS_NICE gives back what it gives back in Docker: the memory
# policy calls, not moving another process's pages.
test_cap_sys_nice_allows_memory_policy_like_docker() {
  escape_setup sysnice
  escape_spec m1 "mbind set-mempolicy get-mempolicy mempolicy-home-node move-pages migrate-pages personality vsock" \
    '"cap_add": ["SYS_NICE"]'
  run_ctr m1
  assert_escaped "mbind set-mempolicy get-mempolicy mempolicy-home-node"
  assert_blocked "move-pages migrate-pages personality vsock"
  assert_host_unchanged
  finish_clean
}

test_privileged_keeps_namespaces() {
  escape_setup priv
  escape_spec p1 "mount link proc-sys sys userns host-processes host-file chroot" '"privileged": true'
  run_ctr p1
  assert_escaped "mount link proc-sys sys userns"
  assert_blocked "host-processes host-file chroot"
  assert_host_unchanged
  finish_clean
}

# The commands users type (issue 12): `exec`, `exec -d` and `run` of a
# compose service whose /escape is the payload.  The engine helpers are
# sourced here, in the test's own subshell: they bring their own
# assert_no_residue and run ccompose in a throwaway network namespace.
compose_setup() {
  . "$TOP/tests/system/engine-helpers.bash"
  eng_setup "esc-$1"
  load_images busybox
  project "$1" <<YAML
services:
  svc:
    image: busybox:1.35
    command: ["sleep", "300"]
    volumes:
      - $TOP/build/escape-payload:/escape:ro
YAML
  cd "$WORK/$1" || fail "cd"
  assert_exit 0 cc up -d
}

compose_finish() {
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# shell_on_pty LINE: an interactive bash on a pseudo-terminal, as a user
# types LINE; prints the transcript once bash read what came after.  A
# container that pushes characters into the terminal's input (TIOCSTI)
# has this bash run them, as root, on the host.
shell_on_pty() {
  python3 - "$1" <<'PY'
import os, pty, select, sys, time
line = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.environ["PS1"] = "$ "
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
out = b""
def expect(text, timeout=30):
    global out
    end = time.time() + timeout
    while text.encode() not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    if text.encode() not in out:
        sys.stdout.write(out.decode(errors="replace"))
        sys.exit("timed out waiting for %r" % text)
# What bash prints, not what the terminal echoes of the line typed.
os.write(fd, (line + '; echo "exec-$((40 + 2))-returned"\n').encode())
expect("exec-42-returned")
os.write(fd, b'echo "shell-$((40 + 2))-read-on"\n')
expect("shell-42-read-on")
os.write(fd, b"exit\n")
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
PY
}

# `exec` without a terminal, typed at a root shell on a terminal (issue
# 12, item 1): the command gets pipes, its own session and no
# controlling terminal, so TIOCSTI has no terminal of the host to type
# into, as root or as a user, with -T or with a piped stdout.
test_exec_cannot_type_into_the_callers_terminal() {
  compose_setup tiocsti
  local marker=$WORK/typed-by-the-container how
  local exec="cd '$WORK/tiocsti' && nsenter --net=/run/netns/$HOSTNS '$CCOMPOSE' exec"
  local payload="/escape tiocsti session stdio --inject 'touch $marker'"
  for how in "-T svc $payload" "-T -u 1000 svc $payload" "svc $payload | cat"; do
    OUT=$(shell_on_pty "$exec $how") || fail "the shell on a terminal: $OUT"
    [ ! -e "$marker" ] || fail "exec $how: the container typed into the host's shell: $OUT"
    assert_not_contains "$OUT" "ESCAPED" "exec $how"
    assert_contains "$OUT" "blocked tiocsti: fd 0: Inappropriate ioctl" "exec $how"
    assert_contains "$OUT" "/dev/tty: No such device or address" "exec $how"
    assert_contains "$OUT" "no controlling terminal" "exec $how"
    assert_contains "$OUT" "blocked stdio: fd 0 -> pipe:[" "exec $how"
  done
  compose_finish
}

# `exec ... >> file` (issue 12, item 2): the file stays the caller's.
# The container cannot read what the file held before, change its mode
# or owner through /proc/self/fd/1, and a process it leaves behind can
# no longer write to it once exec returned.
test_exec_cannot_reach_a_file_its_output_goes_to() {
  compose_setup hostfile
  local log=$WORK/host.log user rcs=
  echo "earlier content, root only" >"$log"
  chmod 600 "$log"
  for user in 0 1000; do
    cc exec -T -u $user svc /escape stdio stdio-file session >>"$log" 2>&1
    rcs+="$? "
  done
  OUT=$(cat "$log")
  assert_not_contains "$OUT" "ESCAPED"
  assert_eq "$rcs" "0 0 " "exit codes (escaped attempts) as root and as a user"
  assert_contains "$OUT" "blocked stdio: fd 0 -> pipe:[" "stdin"
  assert_contains "$OUT" "fd 1 -> pipe:[" "stdout"
  assert_contains "$OUT" "fd 2 -> pipe:[" "stderr"
  assert_contains "$OUT" "blocked stdio-file: no stdio is a file"
  assert_eq "$(stat -c %a:%u:%g "$log")" 600:0:0 "mode and owner of the host file"
  # A process left behind: after exec returned, its writes fail.
  cc exec -T svc sh -c '(trap "" PIPE; sleep 1; echo late; touch /tmp/bg-done) & echo now' >>"$log"
  wait_for 10 "the background process" cc exec -T svc test -e /tmp/bg-done
  OUT=$(cat "$log")
  assert_contains "$OUT" "now"
  assert_not_contains "$OUT" "late" "a background process wrote to the host file after exec returned"
  compose_finish
}

# `exec -d` and `run` (with stdin from a host file, or none) give the same:
# the container's /dev/null or pipes, never a descriptor of the host, and
# a session of its own.
test_exec_detached_and_run_get_no_host_descriptor() {
  compose_setup detached
  local log=$WORK/host.log user
  echo "earlier content, root only" >"$log"
  chmod 600 "$log"
  for user in 0 1000; do
    assert_exit 0 cc exec -d -u $user svc /escape stdio stdio-file session --report /tmp/report-$user
    wait_for 10 "the report of exec -d as $user" cc exec -T svc grep -q session /tmp/report-$user
    OUT=$(cc exec -T svc cat /tmp/report-$user)
    assert_not_contains "$OUT" "ESCAPED" "exec -d as $user"
    assert_contains "$OUT" "blocked stdio: fd 0 -> /dev/null; fd 1 -> /dev/null; fd 2 -> /dev/null;" "exec -d"
    OUT=$(cc run --rm -T -u $user svc /escape stdio stdio-file session <"$log" 2>&1)
    assert_eq "$?" 0 "run -T as $user: $OUT"
    assert_contains "$OUT" "blocked stdio: fd 0 -> pipe:[" "run with stdin from a host file"
    assert_not_contains "$OUT" "ESCAPED" "run -T as $user"
    OUT=$(cc run --rm -T --interactive=false -u $user svc /escape stdio stdio-file session 2>&1)
    assert_eq "$?" 0 "run -T -i=false as $user: $OUT"
    assert_contains "$OUT" "blocked stdio: fd 0 -> /dev/null;" "run without stdin"
    assert_not_contains "$OUT" "ESCAPED" "run --interactive=false as $user"
  done
  assert_eq "$(stat -c %a:%u:%g "$log")" 600:0:0 "mode and owner of the host file"
  compose_finish
}

# ro_tree: a host tree with mounts below it, as `/:/host:ro` brings the
# host's /dev/shm and /proc/sys: a tmpfs, a tmpfs inside that, and a bind
# of /proc/sys, all in a shared mount (as / is on most hosts) so that a
# later mount there propagates.  Private to the test, under a name the
# host snapshot leaves out; the container only looks (statvfs, a new
# file, an open for writing), never writes a sysctl.
ro_tree() {
  RO_SRC=$(mktemp -d /tmp/ccompose-ro.XXXXXX)
  defer "rmdir '$RO_SRC'"
  mount --bind "$RO_SRC" "$RO_SRC" && mount --make-rshared "$RO_SRC" || fail "make $RO_SRC a shared mount"
  defer "umount -l '$RO_SRC'"
  defer "rmdir '$RO_SRC/shm' '$RO_SRC/sys' '$RO_SRC/late'; rm -f '$RO_SRC/file'"
  mkdir "$RO_SRC/shm" "$RO_SRC/sys" "$RO_SRC/late"
  echo top >"$RO_SRC/file"
  mount -t tmpfs -o size=1m ccompose-ro "$RO_SRC/shm" || fail "mount tmpfs"
  defer "umount -l '$RO_SRC/shm'"
  mkdir "$RO_SRC/shm/deeper"
  mount -t tmpfs -o size=1m ccompose-ro "$RO_SRC/shm/deeper" || fail "mount tmpfs"
  defer "umount -l '$RO_SRC/shm/deeper'"
  mount --bind /proc/sys "$RO_SRC/sys" || fail "bind /proc/sys"
  defer "umount -l '$RO_SRC/sys'"
  RO_BEFORE=$(ls -laR "$RO_SRC/shm"; cat "$RO_SRC/file")
}

# A read-only bind is read-only in every mount below it, as in Docker 25
# (mount_setattr AT_RECURSIVE): no new file lands on the host's tmpfs, no
# sysctl file opens for writing.  A mount the host adds below the source
# later does not reach the container at all (the bind is private).
test_read_only_bind_is_read_only_below() {
  escape_setup robind
  ro_tree
  local m="\"mounts\": [{\"type\": \"bind\", \"source\": \"$RO_SRC\", \"target\": \"/host\", \"options\": [\"ro\"]}]"
  escape_spec b1 "ro-bind" "$m"
  run_ctr b1
  assert_blocked "ro-bind"
  assert_contains "$OUT" "4 mounts at or below /host, all read-only"
  spec b2 "\"args\": [\"/payload\", \"sleep\", \"60\"], $m"
  assert_exit 0 "$CCOMPOSE" runtime run -d --spec "$SPECS/b2.json" b2
  mount -t tmpfs -o size=1m ccompose-ro "$RO_SRC/late" || fail "mount tmpfs"
  defer "umount -l '$RO_SRC/late'"
  OUT=$("$CCOMPOSE" runtime exec b2 /escape ro-bind 2>&1)
  assert_blocked "ro-bind"
  assert_contains "$OUT" "4 mounts at or below /host, all read-only"
  # Opened for writing, nothing written: the host's sysctl never changes.
  OUT=$("$CCOMPOSE" runtime exec b2 /bin/sh -c ': >>/host/sys/fs/lease-break-time' 2>&1)
  assert_contains "$OUT" "Read-only file system"
  umount "$RO_SRC/late"
  assert_eq "$(ls -laR "$RO_SRC/shm"; cat "$RO_SRC/file")" "$RO_BEFORE" "the host tree"
  assert_host_unchanged
  finish_clean
}

# ---- the embedded DNS (issue 16): a new way into the host --------------

# dns_setup NAME COMPOSE-BODY: like compose_setup, with dnsq at /dnsq in
# the services of COMPOSE-BODY (a `services:` map of busybox sleepers).
dns_setup() {
  . "$TOP/tests/system/engine-helpers.bash"
  . "$TOP/tests/system/dns-helpers.bash"
  eng_setup "esc-$1"
  load_images busybox
  project "$1" <<<"$2"
  cd "$WORK/$1" || fail "cd"
}

# sleeper NAME [EXTRA-YAML-LINES]: one service of a dns_setup project.
sleeper() {
  printf '  %s:\n    image: busybox:1.35\n    init: true\n    command: ["sleep", "600"]\n    volumes: ["%s:/dnsq:ro"]\n%s\n' \
    "$1" "$TOP/build/dnsq" "${2:-}"
}

# A container floods 127.0.0.11 with junk, oversized and malformed
# messages and holds as many TCP connections as it can: the responder
# drops and counts them, keeps running, and its neighbour still resolves
# over UDP and TCP.
test_dns_flood_and_malformed_messages_stop_nothing() {
  dns_setup dnsflood "services:
$(sleeper evil)
$(sleeper good)"
  assert_exit 0 cc up -d
  local pid
  pid=$(dns_pid dnsflood)
  # No header; a response (QR set); opcode STATUS; two questions; a
  # pointer loop in the question; a 64-byte label; a 5000-byte datagram
  # and TCP message; a length prefix of 65535 over TCP.
  assert_exit 0 cc exec -T evil /dnsq -f 20000 -x ffff
  for hex in 123481800001000000000000037765620000010001 123400000001000000000000c00c00010001 \
    123410000001000000000000037765620000010001 123400000002000000000000037765620000010001 \
    12340000000100000000000040616161000001000100; do
    assert_exit 0 cc exec -T evil /dnsq -f 2000 -x "$hex"
  done
  assert_exit 0 cc exec -T evil /dnsq -o 5000
  assert_eq "$OUT" "none" "a 5000-byte datagram got an answer"
  assert_exit 0 cc exec -T evil /dnsq -t -o 5000
  assert_eq "$OUT" "none" "a 5000-byte TCP message got an answer"
  assert_exit 0 cc exec -T evil /dnsq -t -x ffff0000
  assert_exit 0 cc exec -T evil /dnsq -x 123410000001000000000000037765620000010001
  assert_eq "$OUT" "NOTIMP" "opcode STATUS"
  assert_exit 0 cc exec -T evil /dnsq -x 123400000002000000000000037765620000010001
  assert_eq "$OUT" "FORMERR" "two questions"
  # 200 connections held: the evil namespace has 16; the others are
  # closed at once, and the good container's share is untouched.
  cc exec -T evil /dnsq -H 200 -w 4000 >"$WORK/held" 2>&1 &
  local holder=$!
  sleep 1
  assert_exit 0 cc exec -T good /dnsq -t evil
  assert_contains "$OUT" "NOERROR 10."
  assert_exit 0 cc exec -T good /dnsq evil
  assert_contains "$OUT" "NOERROR 10."
  wait $holder
  assert_eq "$(cat "$WORK/held")" "held 16" "connections one namespace may hold"
  # Still the same process, still answering, the junk counted.
  assert_eq "$(dns_pid dnsflood)" "$pid" "the responder was restarted"
  assert_exit 0 cc exec -T evil /dnsq good
  assert_contains "$OUT" "NOERROR 10."
  [ "$(dns_stat dnsflood dropped_malformed)" -ge 1000 ] || fail "malformed messages not counted: $(dns_stat dnsflood dropped_malformed)"
  [ "$(dns_stat dnsflood dropped_oversized)" -ge 2 ] || fail "oversized messages not counted"
  compose_finish
}

# A container asks for the names of another project it shares no
# network with, by every name Docker would answer: nothing of theirs
# comes back, and the other project's responder has no socket in its
# namespace.
test_dns_answers_only_the_networks_a_container_is_on() {
  dns_setup dnsmine "services:
$(sleeper spy)"
  project dnstheirs <<YAML
services:
$(sleeper secret "    networks:
      default:
        aliases: [vault]")
YAML
  defer "cc -p dnstheirs down -t 0"
  # Theirs first: our responder starts knowing every network of the root.
  (cd "$WORK/dnstheirs" && cc up -d) >/dev/null 2>&1 || fail "up of dnstheirs"
  assert_exit 0 cc up -d
  local ip
  ip=$(inh "$CCOMPOSE" netdev ls | python3 -c '
import json, sys
for n in json.load(sys.stdin)["networks"]:
    for m in n["members"]:
        if m["container"] == "dnstheirs-secret-1":
            print(m["ip"])')
  [ -n "$ip" ] || fail "no address for dnstheirs-secret-1"
  for name in secret vault dnstheirs-secret-1 dnstheirs-secret-1.dnstheirs_default secret.dnstheirs_default; do
    assert_exit 0 cc exec -T spy /dnsq "$name"
    assert_not_contains "$OUT" "$ip" "$name"
  done
  assert_exit 0 cc exec -T spy /dnsq -q PTR "$(awk -F. '{print $4"."$3"."$2"."$1}' <<<"$ip").in-addr.arpa"
  assert_not_contains "$OUT" "dnstheirs"
  assert_eq "$(dns_stat dnstheirs namespaces)" 1 "namespaces dnstheirs's responder serves"
  (cd "$WORK/dnstheirs" && cc down -t 0) >/dev/null 2>&1
  compose_finish
}

# The responder forwards from the host's namespace: a container must not
# make it reach the host's loopback services.  A DNS server and a web
# server listen on the host's 127.0.0.1; the host's resolv.conf names no
# server.  dns: [127.0.0.1] in the compose file is the container's own
# loopback (Docker's rule), not the host's; nothing a container sends
# picks an address or a port; a message that is no DNS query goes
# nowhere.
test_dns_is_no_relay_to_the_hosts_loopback() {
  dns_setup dnsrelay "services:
$(sleeper plain)
$(sleeper pointed "    dns: [127.0.0.1, 127.0.0.1]")"
  fake_upstream 127.0.0.1 secret.test=192.0.2.66
  local log=$UPSTREAM_LOG
  assert_exit 0 cc up -d
  assert_exit 0 cc exec -T pointed /dnsq secret.test
  assert_eq "$OUT" "SERVFAIL" "dns: 127.0.0.1 reached the host's loopback"
  assert_exit 0 cc exec -T pointed /dnsq -t secret.test
  assert_eq "$OUT" "SERVFAIL" "dns: 127.0.0.1 over TCP reached the host's loopback"
  assert_exit 0 cc exec -T plain /dnsq secret.test
  assert_eq "$OUT" "SERVFAIL"
  # An HTTP request, and a DNS response, sent to 127.0.0.11.
  assert_exit 0 cc exec -T plain /dnsq -t -x 474554202f20485454502f312e300d0a0d0a
  assert_exit 0 cc exec -T plain /dnsq -x 1234818000010001000000000673656372657404746573740000010001
  [ ! -s "$log" ] || fail "the host's loopback DNS server was reached: $(cat "$log")"
  compose_finish
}

# The host's resolv.conf names a resolver on the host's loopback (as
# systemd-resolved's stub or a local dnsmasq): containers get DNS answers
# from it, as under Docker, and nothing else: only well-formed queries
# reach it, under the responder's IDs.
test_dns_reaches_a_host_loopback_resolver_with_queries_only() {
  dns_setup dnsloop "services:
$(sleeper app)"
  host_resolv "nameserver 127.0.0.5"
  fake_upstream 127.0.0.5 example.test=192.0.2.7
  local log=$UPSTREAM_LOG
  assert_exit 0 cc up -d
  assert_exit 0 cc exec -T app /dnsq example.test
  assert_eq "$OUT" "NOERROR 192.0.2.7"
  : >"$log"
  assert_exit 0 cc exec -T app /dnsq -f 200 -x ffffffffffffffffffffffffffff
  assert_exit 0 cc exec -T app /dnsq -t -x 474554202f20485454502f312e300d0a0d0a
  assert_exit 0 cc exec -T app /dnsq -x 1234818000010001000000000673656372657404746573740000010001
  sleep 0.5
  [ ! -s "$log" ] || fail "what reached the host's resolver: $(cat "$log")"
  compose_finish
}

# Every test ends with the residue check of its private root.
# A RUN step of a build is a container like any other: the escape payload,
# copied in by the Dockerfile, reaches nothing of the host, and the build
# network it runs on changes nothing outside its namespace.
test_build_run_step_escapes_nothing() {
  escape_setup build
  local ns=ccb-esc-$$ ctx=$CCOMPOSE_DATA_DIR/ctx
  [ -d "$TOP/samples/images/out/busybox" ] || "$TOP/samples/images/build" busybox >/dev/null 2>&1 ||
    skip "cannot build the busybox sample image"
  assert_exit 0 "$CCOMPOSE" image load -i "$TOP/samples/images/out/busybox"
  ip netns add "$ns" || fail "ip netns add"
  defer "ip netns del $ns"
  defer "for f in '$CCOMPOSE_STATE_DIR'/netns/*; do umount -l \"\$f\"; done"
  ip -n "$ns" link set lo up
  mkdir -p "$ctx"
  cp "$TOP/build/escape-payload" "$ctx/escape"
  cat > "$ctx/Dockerfile" <<EOF
FROM busybox:1.35
COPY escape /escape
RUN /escape all --host-file $SECRET --host-pid $$ --block $BLOCK
USER nobody
RUN /escape all --host-file $SECRET --host-pid $$ --block $BLOCK
EOF
  exec 7<"$CCOMPOSE_STATE_DIR"
  OUT=$(CCOMPOSE_SUBNET_POOL=10.89.0.0/16:24 nsenter --net="/run/netns/$ns" "$CCOMPOSE" image build --progress plain \
    -t esc:1 "$ctx" 2>&1)
  local rc=$?
  exec 7<&-
  assert_not_contains "$OUT" "ESCAPED"
  assert_blocked "$ALL_ATTEMPTS"
  assert_eq "$rc" 0 "escaped attempts (build output: $OUT)"
  assert_eq "$(grep -c "blocked host-file" <<<"$OUT")" "2" "root and user RUN both ran"
  assert_host_unchanged
  finish_clean
}

finish_clean() {
  finish
  assert_exit 0 "$CCOMPOSE" system check
}

run_tests
