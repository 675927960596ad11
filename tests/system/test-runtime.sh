#!/usr/bin/env bash
# The embedded runtime, basics: namespaces, root filesystem, mounts,
# exit codes, errors.  Every test ends with no process, cgroup or mount.
. "$(dirname "$0")/runtime-common.sh"

test_pid1_and_isolated_view() {
  setup basic
  spec c1 '"args": ["/bin/sh", "-c", "echo $$; ps -o pid | wc -l; hostname"], "hostname": "box1"'
  run_ctr c1
  assert_eq "$RC" 0 "exit code"
  assert_eq "$(sed -n 1p <<<"$OUT")" 1 "PID 1"
  # ps header, sh, ps itself and wc: nothing from the host.
  [ "$(sed -n 2p <<<"$OUT")" -le 5 ] || fail "the container sees host processes: $OUT"
  assert_eq "$(sed -n 3p <<<"$OUT")" box1 "hostname"
  finish
}

test_exit_codes() {
  setup exit
  spec e0 '"args": ["/payload", "exit", "0"]'
  spec e3 '"args": ["/payload", "exit", "3"]'
  run_ctr e0; assert_eq "$RC" 0
  run_ctr e3; assert_eq "$RC" 3
  assert_eq "$(state_field e3 exit_code)" 3 "exit code in the state"
  assert_eq "$(state_field e3 status)" exited
  [ -n "$(state_field e3 finished_at)" ] || fail "no finished_at"
  finish
}

test_missing_executable_is_a_clear_error() {
  setup noexec
  spec m1 '"args": ["/no/such/program"]'
  spec m2 '"args": ["nosuchprogram"]'
  run_ctr m1
  assert_eq "$RC" 1
  assert_contains "$OUT" "/no/such/program"
  run_ctr m2
  assert_eq "$RC" 1
  assert_contains "$OUT" "nosuchprogram"
  assert_contains "$OUT" "not found"
  finish
}

test_overlay_rootfs_keeps_lower_untouched() {
  setup overlay
  mkdir -p "$CCOMPOSE_DATA_DIR/upper" "$CCOMPOSE_DATA_DIR/work"
  spec o1 "\"layers\": [\"$ROOTFS\"], \"upper\": \"$CCOMPOSE_DATA_DIR/upper\", \"work\": \"$CCOMPOSE_DATA_DIR/work\", \"args\": [\"/bin/sh\", \"-c\", \"echo new > /created; rm /bin/ls; cat /created\"]"
  run_ctr o1
  assert_eq "$RC" 0 "$OUT"
  assert_eq "$OUT" new
  [ -e "$CCOMPOSE_DATA_DIR/upper/created" ] || fail "write did not land in the upper dir"
  [ -e "$ROOTFS/bin/ls" ] || fail "the lower layer was modified"
  finish
  [ -e "$CCOMPOSE_DATA_DIR/upper" ] && fail "delete left the upper dir"
  return 0
}

test_read_only_root() {
  setup ro
  spec r1 '"args": ["/bin/sh", "-c", "touch /x && echo wrote; touch /tmp/y && echo wrote-tmp; exit 0"], "read_only": true, "mounts": [{"type": "tmpfs", "target": "/tmp"}]'
  run_ctr r1
  assert_not_contains "$OUT" "wrote
" "wrote to a read-only root"
  assert_contains "$OUT" "Read-only file system"
  assert_contains "$OUT" "wrote-tmp"
  [ -e "$ROOTFS/x" ] && fail "file created in the root"
  finish
}

test_masked_and_readonly_paths() {
  setup masked
  spec k1 '"args": ["/bin/sh", "-c", "wc -c < /proc/keys; ls /sys/firmware | wc -l; echo 1 2>/dev/null > /proc/sys/kernel/domainname || echo sysro; grep -c . /proc/timer_list"]'
  run_ctr k1
  assert_eq "$(sed -n 1p <<<"$OUT")" 0 "/proc/keys masked"
  assert_eq "$(sed -n 2p <<<"$OUT")" 0 "/sys/firmware masked"
  assert_contains "$OUT" sysro "/proc/sys read-only"
  assert_eq "$(sed -n '$p' <<<"$OUT")" 0 "/proc/timer_list masked"
  finish
}

test_bind_and_tmpfs_mounts() {
  setup mounts
  local host=$CCOMPOSE_DATA_DIR/shared
  mkdir -p "$host"; echo from-host > "$host/in"
  spec b1 "\"args\": [\"/bin/sh\", \"-c\", \"cat /data/in; echo from-ctr > /data/out; echo x 2>/dev/null > /ro/y || echo ro-ok; df -k /scratch | tail -1\"], \"mounts\": [{\"type\": \"bind\", \"source\": \"$host\", \"target\": \"/data\"}, {\"type\": \"bind\", \"source\": \"$host\", \"target\": \"/ro\", \"options\": [\"ro\"]}, {\"type\": \"tmpfs\", \"target\": \"/scratch\", \"options\": [\"size=2m\"]}]"
  run_ctr b1
  assert_contains "$OUT" from-host
  assert_eq "$(cat "$host/out")" from-ctr "bind mount is shared with the host"
  assert_contains "$OUT" ro-ok
  assert_eq "$(awk 'END {print $2}' <<<"$OUT")" 2048 "tmpfs size"
  finish
}

test_symlink_in_image_cannot_redirect_a_mount() {
  setup symlink
  local outside=$CCOMPOSE_DATA_DIR/outside
  mkdir -p "$outside"
  ln -s "$outside" "$ROOTFS/escape"
  spec s1 '"args": ["/bin/sh", "-c", "ls /escape/ >/dev/null 2>&1; echo done"], "mounts": [{"type": "tmpfs", "target": "/escape/inner"}]'
  run_ctr s1
  [ -e "$outside/inner" ] && fail "a mount target was created through the image's symlink, outside the root"
  finish
}

test_dangling_symlink_targets_stay_inside() {
  setup dangling
  local f=$CCOMPOSE_DATA_DIR/files outside=$CCOMPOSE_DATA_DIR/outside-escape
  mkdir -p "$f"
  echo 'nameserver 10.8.8.8' > "$f/resolv.conf"
  echo '10.7.7.7 other' > "$f/hosts"
  # systemd images: a relative link to a file that does not exist yet.
  ln -s ../run/systemd/resolve/stub-resolv.conf "$ROOTFS/etc/resolv.conf"
  # Hostile: an absolute link that points outside on the host.
  ln -s "$outside" "$ROOTFS/etc/hosts"
  spec d1 "\"args\": [\"/bin/sh\", \"-c\", \"cat /etc/resolv.conf /etc/hosts\"], \"resolv_conf\": \"$f/resolv.conf\", \"hosts_file\": \"$f/hosts\""
  run_ctr d1
  assert_eq "$RC" 0 "$OUT"
  assert_contains "$OUT" "nameserver 10.8.8.8"
  assert_contains "$OUT" "10.7.7.7 other"
  [ -e "$outside" ] && fail "a mount target was created outside the root: $outside"
  [ -e "$ROOTFS/run/systemd/resolve/stub-resolv.conf" ] || fail "the link's target was not made inside the root"
  [ -e "$ROOTFS$outside" ] || fail "the absolute link was not followed inside the root"
  finish
}

test_user_switch_and_groups() {
  setup user
  spec u1 '"args": ["/bin/sh", "-c", "id; echo $HOME"], "user": "app"'
  spec u2 '"args": ["/payload", "ids"], "user": "1234:2000"'
  spec u3 '"args": ["/payload", "ids"], "user": "nosuchuser"'
  run_ctr u1
  assert_contains "$OUT" "uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)"
  assert_contains "$OUT" "/home/app"
  run_ctr u2
  assert_eq "$OUT" "1234 2000"
  run_ctr u3
  assert_eq "$RC" 1
  assert_contains "$OUT" "unable to find user"
  finish
}

test_malformed_specs_are_refused() {
  setup badspec
  echo '{"rootfs": "/", "args": []}' > "$SPECS/bad1.json"
  assert_exit 1 rt run --spec "$SPECS/bad1.json" bad1
  assert_contains "$OUT" "args"
  echo '{"rootfs": "/", "args": ["/bin/true"], "bogus": 1}' > "$SPECS/bad2.json"
  assert_exit 1 rt run --spec "$SPECS/bad2.json" bad2
  assert_contains "$OUT" "bogus"
  echo '{"rootfs": "/", "args": ["/bin/true"], "sysctls": {"kernel.panic": "1"}}' > "$SPECS/bad3.json"
  assert_exit 1 rt run --spec "$SPECS/bad3.json" bad3
  assert_contains "$OUT" "not namespaced"
  echo '{"rootfs": "/", "args": ["/bin/true"]}' > "$SPECS/bad4.json"
  assert_exit 1 rt run --spec "$SPECS/bad4.json" "../escape"
  [ -e "$CCOMPOSE_STATE_DIR/escape" ] && fail "id escaped the state dir"
  assert_exit 1 rt state no-such-container
  assert_exit 2 rt exec
  assert_exit 2 rt exec only-an-id
  assert_exit 2 rt kill -s SIGBOGUS x
  assert_exit 2 rt stop -t -1 x
  assert_exit 2 rt stop -t abc x
  assert_exit 2 rt bogus x
  assert_exit 2 rt run --spec "$SPECS/bad4.json"
  assert_exit 2 rt start a b
  assert_exit 0 rt delete never-existed
  return 0
}

test_etc_files_domainname_and_new_netns() {
  setup etc
  local f=$CCOMPOSE_DATA_DIR/files
  mkdir -p "$f"
  printf '127.0.0.1 localhost\n10.1.2.3 db\n' > "$f/hosts"
  echo 'nameserver 10.9.9.9' > "$f/resolv.conf"
  echo box2 > "$f/hostname"
  spec e1 "\"args\": [\"/bin/sh\", \"-c\", \"grep db /etc/hosts; cat /etc/resolv.conf /etc/hostname; hostname; cat /proc/sys/kernel/domainname; grep -c : /proc/net/dev; cat /sys/class/net/lo/flags\"], \"hostname\": \"box2\", \"domainname\": \"example.org\", \"hosts_file\": \"$f/hosts\", \"resolv_conf\": \"$f/resolv.conf\", \"hostname_file\": \"$f/hostname\""
  run_ctr e1
  assert_eq "$RC" 0 "$OUT"
  assert_contains "$OUT" "10.1.2.3 db"
  assert_contains "$OUT" "nameserver 10.9.9.9"
  assert_eq "$(grep -c box2 <<<"$OUT")" 2 "/etc/hostname and the kernel hostname"
  assert_contains "$OUT" "example.org"
  # A new network namespace: only lo, and it is up.
  assert_eq "$(sed -n '$p' <<<"$OUT")" 0x9 "lo is up"
  assert_eq "$(tail -2 <<<"$OUT" | head -1)" 1 "only lo"
  finish
}

test_host_network() {
  setup hostnet
  spec h1 '"args": ["/bin/sh", "-c", "grep -c : /proc/net/dev"], "netns": "host"'
  run_ctr h1
  assert_eq "$RC" 0 "$OUT"
  assert_eq "$OUT" "$(grep -c : /proc/net/dev)" "the host's interfaces"
  local pid
  spec h2 '"args": ["/payload", "sleep", "30"], "netns": "host"'
  rt run -d --spec "$SPECS/h2.json" h2 || fail "run"
  pid=$(state_field h2 pid)
  assert_eq "$(readlink /proc/$pid/ns/net)" "$(readlink /proc/self/ns/net)" "same network namespace as the host"
  echo '{"rootfs": "/", "args": ["/bin/true"], "netns": "host", "sysctls": {"net.ipv4.ip_forward": "1"}}' > "$SPECS/bad.json"
  assert_exit 1 rt run --spec "$SPECS/bad.json" h3
  assert_contains "$OUT" "host's network namespace"
  finish
}

test_joins_the_given_netns() {
  setup netns
  command -v nsenter >/dev/null && command -v ip >/dev/null || skip "needs nsenter and ip"
  local ns=$CCOMPOSE_STATE_DIR/netns
  touch "$ns"
  defer "umount '$ns'"
  unshare --net="$ns" true || fail "create a network namespace"
  nsenter --net="$ns" ip link add cctest0 type veth peer name cctest1 || fail "add a veth pair"
  spec n1 "\"args\": [\"/bin/sh\", \"-c\", \"grep -c cctest0 /proc/net/dev\"], \"netns\": \"$ns\""
  run_ctr n1
  assert_eq "$OUT" 1 "the container is in the given namespace"
  ip link show cctest0 >/dev/null 2>&1 && fail "the test link leaked to the host"
  umount "$ns" || fail "the netns handle stays ours to remove"
  finish
}

run_tests
