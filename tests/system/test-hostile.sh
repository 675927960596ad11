#!/usr/bin/env bash
# The hostile input corpus (tests/hostile/): compose files, .env files,
# image archives and container roots built to hurt.  Every case ends in a
# clear error or a safe result, never a crash (exit < 128, no sanitizer
# report) or a hang, and nothing changes outside where it belongs: a
# canary directory next to the inputs stays as it was, and no mount
# appears on the host.  The archive escapes of image loading (traversal,
# symlink and hard-link escapes, whiteouts, digests, truncation) are in
# test-image-hostile.sh; this file adds device nodes.
. "$(dirname "$0")/runtime-common.sh"

HOSTILE=$TOP/tests/hostile
MAKE_HOSTILE=$HOSTILE/make-hostile.py

hostile_setup() {
  setup "hostile-$1-$$"
  VICTIM=$CCOMPOSE_STATE_DIR/victim
  mkdir -p "$VICTIM"
  echo keep > "$VICTIM/keep"
  printf 'ccescape:x:4242:4242::/:/bin/sh\n' > "$VICTIM/passwd"
  MOUNTS_BEFORE=$(host_mounts)
}

host_mounts() { awk '{print $5}' /proc/self/mountinfo | grep -e "$CCOMPOSE_STATE_DIR" -e "$CCOMPOSE_DATA_DIR" | sort; }

assert_nothing_escaped() {
  assert_eq "$(ls -A "$VICTIM" | tr '\n' ' ')" "keep passwd " "canary directory changed"
  assert_eq "$(cat "$VICTIM/keep")" keep "canary file changed"
  assert_eq "$(host_mounts)" "$MOUNTS_BEFORE" "mounts changed on the host"
}

# hostile_run WANT_RC WANT_TEXT CMD...: no crash, no sanitizer report, no
# hang, the wanted exit code and message.
hostile_run() {
  local want=$1 text=$2; shift 2
  OUT=$(timeout 60 "$@" 2>&1); local rc=$?
  [ $rc -ne 124 ] || fail "hung: $*"
  [ $rc -lt 128 ] || fail "crashed with exit $rc: $*
$OUT"
  assert_not_contains "$OUT" "Sanitizer" "sanitizer report from: $*"
  assert_not_contains "$OUT" "runtime error:" "UBSan report from: $*"
  [ "$rc" = "$want" ] || fail "exit $rc (wanted $want) from: $*
$OUT"
  assert_contains "$OUT" "$text" "message from: $*"
}

# hostile_config WANT_RC WANT_TEXT DIR [OPTIONS]: `ccompose config` run from DIR.
hostile_config() {
  local want=$1 text=$2 dir=$3; shift 3
  hostile_run "$want" "$text" env -C "$dir" "$CCOMPOSE" "$@" config
}

test_compose_files_fail_clearly() {
  hostile_setup compose
  local c=$HOSTILE/compose
  hostile_config 1 "expands the document beyond" "$c" -f billion-laughs.yaml
  hostile_config 1 "expands the document beyond" "$c" -f merge-key-bomb.yaml
  hostile_config 1 "NUL byte" "$c" -f nul-byte.yaml
  hostile_config 1 "UTF-8" "$c" -f invalid-utf8.yaml
  hostile_config 1 "UTF-8" "$c" -f overlong-utf8.yaml
  hostile_config 1 "nested deeper" "$c" -f interpolation-deep.yaml
  hostile_config 1 "duplicate key" "$c" -f duplicate-keys.yaml
  hostile_config 1 "unknown anchor" "$c" -f alias-cycle.yaml
  python3 "$MAKE_HOSTILE" deep "$CCOMPOSE_DATA_DIR/deep.yaml" || fail "generate deep.yaml"
  hostile_config 1 "nesting deeper than" "$CCOMPOSE_DATA_DIR" -f deep.yaml
  assert_nothing_escaped
  finish_clean
}

test_huge_scalar_is_loaded_whole() {
  hostile_setup huge
  python3 "$MAKE_HOSTILE" huge "$CCOMPOSE_DATA_DIR/huge.yaml" || fail "generate huge.yaml"
  hostile_config 0 "BIG: AAAA" "$CCOMPOSE_DATA_DIR" -f huge.yaml
  [ "${#OUT}" -gt $((16 << 20)) ] || fail "the 16 MiB value was cut: ${#OUT} bytes of output"
  finish_clean
}

test_binary_env_file_fails_clearly() {
  hostile_setup env
  python3 "$MAKE_HOSTILE" env-binary "$CCOMPOSE_DATA_DIR/envbin" || fail "generate the .env"
  hostile_config 1 ".env: NUL byte" "$CCOMPOSE_DATA_DIR/envbin"
  finish_clean
}

# Devices and oversized files are refused before they eat all memory: a
# cloned repository with `.env -> /dev/urandom` must not take the host down.
test_device_files_are_refused() {
  hostile_setup devices
  local d=$CCOMPOSE_DATA_DIR
  mkdir -p "$d/compose" "$d/envfile" "$d/dotenv" "$d/bigenv" "$d/stdin"
  ln -s /dev/zero "$d/compose/compose.yaml"
  hostile_config 1 "not a regular file" "$d/compose"
  printf 'services: {s: {image: x, env_file: [/dev/zero]}}\n' > "$d/envfile/compose.yaml"
  hostile_config 1 "not a regular file" "$d/envfile"
  printf 'services: {s: {image: x}}\n' > "$d/dotenv/compose.yaml"
  ln -s /dev/urandom "$d/dotenv/.env"
  hostile_config 1 "not a regular file" "$d/dotenv"
  printf 'services: {s: {image: x}}\n' > "$d/bigenv/compose.yaml"
  truncate -s 17M "$d/bigenv/.env"
  hostile_config 1 "larger than 16777216 bytes" "$d/bigenv"
  # stdin (`-f -`) may be anything, so it is only capped.
  hostile_run 1 "larger than 67108864 bytes" sh -c 'exec "$1" -f - config < /dev/zero' sh "$CCOMPOSE"
  printf 'services: {s: {image: x}}\n' > "$d/stdin/compose.yaml"
  hostile_run 0 "image: x" sh -c 'cat "$1" | exec "$2" -f - config' sh "$d/stdin/compose.yaml" "$CCOMPOSE"
  assert_nothing_escaped
  finish_clean
}

# Values that would be lines of their own in the container's
# /etc/resolv.conf or /etc/hosts are refused where the file writes them
# (issue 12): `config` and `up` both stop there, before anything exists.
test_injected_resolver_and_hosts_lines_are_refused() {
  hostile_setup inject
  local d=$CCOMPOSE_DATA_DIR/inject
  mkdir -p "$d"
  printf 'services:\n  s:\n    image: x\n    dns: "1.1.1.1\\nnameserver 6.6.6.6"\n' >"$d/compose.yaml"
  hostile_config 1 'compose.yaml:4:10: service `s`: dns `1.1.1.1\nnameserver 6.6.6.6` is not an IP address' "$d"
  hostile_run 1 "compose.yaml:4:10:" env -C "$d" "$CCOMPOSE" up -d
  printf 'services:\n  s:\n    image: x\n    extra_hosts: ["a:1.2.3.4\\n6.6.6.6 evil"]\n' >"$d/compose.yaml"
  hostile_config 1 "compose.yaml:4:19: extra_hosts: the address of \`a\` is not an IP address" "$d"
  hostile_run 1 "compose.yaml:4:19:" env -C "$d" "$CCOMPOSE" up -d
  printf 'services:\n  s:\n    image: x\n    hostname: "s\\n6.6.6.6 evil"\n' >"$d/compose.yaml"
  hostile_config 1 "compose.yaml:4:15: service \`s\`: hostname" "$d"
  printf 'services:\n  s:\n    image: x\n    dns_search: ["a.example\\nnameserver 6.6.6.6"]\n' >"$d/compose.yaml"
  hostile_config 1 "compose.yaml:4:18: service \`s\`: dns_search" "$d"
  printf 'services:\n  s:\n    image: x\n    dns_opt: ["ndots:1\\nnameserver 6.6.6.6"]\n' >"$d/compose.yaml"
  hostile_config 1 "compose.yaml:4:15: service \`s\`: dns_opt" "$d"
  [ -z "$(ls -A "$CCOMPOSE_STATE_DIR/projects" 2>/dev/null)" ] || fail "up created project state"
  assert_nothing_escaped
  finish_clean
}

# A FIFO named by the project (env_file, include, extends, its .env)
# would leave `config` waiting for a writer forever: it is refused at the
# key that names it, at once.
test_fifos_are_refused_without_waiting() {
  hostile_setup fifo
  local d=$CCOMPOSE_DATA_DIR/fifo
  mkdir -p "$d" "$d/dotenv"
  mkfifo "$d/pipe" "$d/dotenv/.env"
  printf 'services:\n  s:\n    image: x\n    env_file: [./pipe]\n' >"$d/compose.yaml"
  hostile_config 1 "compose.yaml:4:16: env_file: read \`$d/pipe\`: not a regular file (a FIFO)" "$d"
  printf 'include:\n  - ./pipe\nservices:\n  s:\n    image: x\n' >"$d/compose.yaml"
  hostile_config 1 "compose.yaml:2:5: read \`$d/pipe\`: not a regular file (a FIFO)" "$d"
  printf 'include:\n  - /dev/zero\n' >"$d/compose.yaml"
  hostile_config 1 "compose.yaml:2:5: read \`/dev/zero\`: not a regular file (a character device)" "$d"
  printf 'services:\n  s:\n    extends: {file: ./pipe, service: x}\n' >"$d/compose.yaml"
  hostile_config 1 "compose.yaml:3:14: read \`$d/pipe\`" "$d"
  printf 'services: {s: {image: x}}\n' >"$d/dotenv/compose.yaml"
  hostile_config 1 "not a regular file (a FIFO)" "$d/dotenv"
  # A pipe given on the command line is still read: `--env-file <(...)`.
  hostile_run 0 "image: x" bash -c 'exec "$1" --env-file <(echo A=1) -f "$2" config' sh "$CCOMPOSE" \
    "$d/dotenv/compose.yaml"
  assert_nothing_escaped
  finish_clean
}

# Keys and lines quoted in errors must not drive the user's terminal: an
# escape sequence in a compose file shows as `?`.
test_escape_sequences_are_not_echoed() {
  hostile_setup esc
  local d=$CCOMPOSE_DATA_DIR
  mkdir -p "$d/quoted" "$d/raw"
  printf 'services:\n  web:\n    image: x\n    "\\e[31mred\\e]0;pwned\\a": 1\n' > "$d/quoted/compose.yaml"
  hostile_config 1 'unknown key `?[31mred?]0;pwned?`' "$d/quoted"
  assert_not_contains "$OUT" $'\e' "an ESC byte reached the terminal"
  printf 'services:\n  web:\n    image: x\n    bad\033[2Jkey: 1\n' > "$d/raw/compose.yaml"
  hostile_config 1 "bad?[2Jkey" "$d/raw"
  assert_not_contains "$OUT" $'\e' "an ESC byte reached the terminal"
  finish_clean
}

# The compose spec resolves relative bind sources against the project
# directory, `..` included (Docker Compose does the same): a safe result is
# the cleaned absolute path, never a path left relative.
test_bind_sources_with_dotdot_are_resolved() {
  hostile_setup dotdot
  hostile_config 0 "source: $HOSTILE/compose/outside" "$HOSTILE/compose/bind-dotdot"
  assert_contains "$OUT" "source: $HOSTILE/b"
  assert_contains "$OUT" "source: $HOSTILE/long"
  assert_not_contains "$OUT" ".."
  finish_clean
}

test_symlinked_compose_files() {
  hostile_setup symlink
  local d=$CCOMPOSE_DATA_DIR/proj
  mkdir -p "$d"
  # A symlinked file is read; its directory (not the target's) is the project's.
  ln -s "$HOSTILE/compose/symlinked/real/compose.yaml" "$d/compose.yaml"
  hostile_config 0 "source: $d/data" "$d"
  # A loop is an error, not a hang.
  ln -s loop-b.yaml "$d/loop-a.yaml"
  ln -s loop-a.yaml "$d/loop-b.yaml"
  hostile_config 1 "symbolic links" "$d" -f loop-a.yaml
  # A dangling link names what is missing.
  ln -s "$d/nowhere.yaml" "$d/dangling.yaml"
  hostile_config 1 "dangling.yaml" "$d" -f dangling.yaml
  assert_nothing_escaped
  finish_clean
}

# Device nodes in a layer are kept (images such as busybox ship them), but
# only root can reach them: the store is closed to other users.
test_image_with_device_nodes_stays_root_only() {
  hostile_setup devices
  local layout=$CCOMPOSE_DATA_DIR/devices node
  python3 "$MAKE_HOSTILE" devices "$layout" 8:0 || fail "generate the layout"
  hostile_run 0 "Loaded image: hostile-devices:1" "$CCOMPOSE" image load -i "$layout"
  node=$(find "$CCOMPOSE_DATA_DIR/images/layers" -name hostdisk | head -1)
  if [ -n "$node" ]; then
    [ -b "$node" ] || fail "hostdisk is not a block device: $(ls -l "$node")"
    setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$node" \
      && fail "an unprivileged host user can reach $node"
  fi
  assert_exit 0 "$CCOMPOSE" image rm hostile-devices:1
  assert_nothing_escaped
  finish_clean
}

# A gzip layer that unpacks 1000 times its size, into a data root too
# small for it: a clear error that names the full disk, and nothing
# half-written stays in the store.
test_decompression_bomb_fills_no_disk() {
  hostile_setup bomb
  local layout=$CCOMPOSE_STATE_DIR/bomb
  python3 "$MAKE_HOSTILE" bomb "$layout" || fail "generate the layout"
  mount -t tmpfs -o size=32m ccompose-test "$CCOMPOSE_DATA_DIR" || fail "mount a small data root"
  defer "umount -l '$CCOMPOSE_DATA_DIR'"
  hostile_run 1 "layer sha256:" "$CCOMPOSE" image load -i "$layout"
  assert_contains "$OUT" "zeros"
  # The real cause, not an errno libarchive left behind.
  assert_contains "$OUT" "No space left on device"
  assert_eq "$(find "$CCOMPOSE_DATA_DIR" -type f ! -name '*lock' | wc -l)" 0 "files left in the store"
  assert_eq "$(df --output=used -k "$CCOMPOSE_DATA_DIR" | tail -1 | tr -d ' ')" 0 "space still used"
  assert_exit 0 "$CCOMPOSE" image ls -q
  assert_eq "$OUT" "" "images listed"
  finish_clean
}

# Container roots that point out of themselves: each path is resolved
# inside the root, so the container fails clearly and the host is untouched.
test_rootfs_passwd_symlink_to_host() {
  hostile_setup passwd
  rm -f "$ROOTFS/etc/passwd"
  ln -s "$VICTIM/passwd" "$ROOTFS/etc/passwd"
  spec pw1 '"args": ["/payload", "ids"], "user": "ccescape"'
  hostile_run 1 "unable to find user \`ccescape\`" "$CCOMPOSE" runtime run --rm --spec "$SPECS/pw1.json" pw1
  assert_not_contains "$OUT" "4242"
  ln -sf "../../../../../../../../../..$VICTIM/passwd" "$ROOTFS/etc/passwd"
  hostile_run 1 "unable to find user \`ccescape\`" "$CCOMPOSE" runtime run --rm --spec "$SPECS/pw1.json" pw1
  assert_nothing_escaped
  finish_clean
}

# safe_or_refused WANT_TEXT CMD...: exit 0 (the link was followed inside
# the root) or 1 with WANT_TEXT; never a crash or a sanitizer report.
safe_or_refused() {
  local text=$1; shift
  OUT=$(timeout 60 "$@" 2>&1); local rc=$?
  [ $rc -eq 0 ] || [ $rc -eq 1 ] || fail "exit $rc from: $*
$OUT"
  assert_not_contains "$OUT" "Sanitizer" "sanitizer report from: $*"
  [ $rc -eq 0 ] || assert_contains "$OUT" "$text" "message from: $*"
}

test_rootfs_proc_symlink_out_of_root() {
  hostile_setup proc
  rm -rf "$ROOTFS/proc"
  ln -s "$VICTIM" "$ROOTFS/proc"
  spec pr1 '"args": ["/payload", "cat", "/proc/self/comm"]'
  safe_or_refused "/proc" "$CCOMPOSE" runtime run --rm --spec "$SPECS/pr1.json" pr1
  assert_nothing_escaped
  rm "$ROOTFS/proc"
  ln -s "../../../../../../../../..$VICTIM" "$ROOTFS/proc"
  safe_or_refused "/proc" "$CCOMPOSE" runtime run --rm --spec "$SPECS/pr1.json" pr1
  assert_nothing_escaped
  finish_clean
}

test_mount_target_symlink_out_of_root() {
  hostile_setup target
  local src=$CCOMPOSE_DATA_DIR/src
  mkdir -p "$src"
  ln -s "$VICTIM" "$ROOTFS/data"
  ln -s "../../../../../../../../..$VICTIM" "$ROOTFS/data2"
  spec mt1 "\"args\": [\"/bin/ls\", \"/data\"], \"mounts\": [{\"type\": \"tmpfs\", \"target\": \"/data/sub\"}]"
  spec mt2 "\"args\": [\"/bin/ls\", \"/data2\"], \"mounts\": [{\"type\": \"bind\", \"source\": \"$src\", \"target\": \"/data2/b\", \"options\": [\"create_host_path\"]}]"
  spec mt3 "\"args\": [\"/bin/ls\", \"/data\"], \"mounts\": [{\"type\": \"bind\", \"source\": \"$src\", \"target\": \"/data\"}]"
  local id
  for id in mt1 mt2 mt3; do
    OUT=$(timeout 60 "$CCOMPOSE" runtime run --rm --spec "$SPECS/$id.json" "$id" 2>&1); local rc=$?
    [ $rc -lt 128 ] || fail "$id crashed with exit $rc: $OUT"
    assert_not_contains "$OUT" "keep" "$id listed the host's canary directory"
    assert_not_contains "$OUT" "Sanitizer" "$id"
    assert_nothing_escaped
  done
  # A link that stays inside the root is followed there: the mount lands
  # in the container's /tmp.
  ln -s /tmp "$ROOTFS/data3"
  spec mt4 "\"args\": [\"/bin/ls\", \"/tmp\"], \"mounts\": [{\"type\": \"tmpfs\", \"target\": \"/data3/sub\"}]"
  hostile_run 0 "sub" "$CCOMPOSE" runtime run --rm --spec "$SPECS/mt4.json" mt4
  assert_nothing_escaped
  finish_clean
}

# Every test ends with the residue check of its private root.
finish_clean() {
  finish
  assert_exit 0 "$CCOMPOSE" system check
}

run_tests
