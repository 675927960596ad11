#!/usr/bin/env bash
# Compose's lifecycle keys: `post_start` and `pre_stop` hooks (command,
# user, privileged, working_dir, environment) run through exec's hardened
# path, a failing post_start fails `up` with the hook's output; and the
# volume options that change how a bind is mounted.  Everything runs in a
# throwaway network namespace playing the host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

caps_of() { cc exec "$1" sh -c 'grep CapEff /proc/self/status'; }

# One up: the post_start hooks ran as written, each field seen from
# inside; pre_stop ran before stop (its trace lands on a host bind).
# The hooks get nothing of ours: stdin /dev/null, stdout and stderr
# pipes, no other descriptor, a session of their own.
test_hooks_run_with_their_fields_and_get_nothing_of_ours() {
  eng_setup hooks
  load_images busybox
  mkdir -p "$WORK/hooks/trace"
  chmod 777 "$WORK/hooks/trace"
  project hooks <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "infinity"]
    volumes: ["./trace:/trace"]
    post_start:
      - command: ["sh", "-c", "echo hook-$$HOOKVAR > /tmp/post; id -u >> /tmp/post; pwd >> /tmp/post"]
        user: "1000"
        working_dir: /etc
        environment: {HOOKVAR: seen}
      - command: sh -c "grep CapEff /proc/self/status > /tmp/priv"
        privileged: true
      - command: ["sh", "-c", "ls -l /proc/self/fd/ > /tmp/fds; cut -d' ' -f6 /proc/self/stat > /tmp/sid; echo $$$$ >> /tmp/sid"]
    pre_stop:
      - command: ["sh", "-c", "echo pre-$$V $$(id -u) $$(pwd) > pre_stop"]
        user: "1000"
        working_dir: /trace
        environment: [V=stop]
      - command: ["sh", "-c", "grep CapEff /proc/self/status | cut -f2 > /trace/pre_stop_caps"]
        privileged: true
YAML
  cd "$WORK/hooks"
  assert_exit 0 cc up -d
  assert_exit 0 cc exec app cat /tmp/post
  assert_eq "$OUT" "hook-seen
1000
/etc"
  assert_exit 0 cc exec app cat /tmp/priv
  local priv=$OUT
  assert_exit 0 caps_of app
  [ "$priv" != "$OUT" ] || fail "privileged hook has the default capabilities: $priv"
  # CAP_SYS_ADMIN (21), which Docker's defaults leave out.
  (((0x${priv##*[[:space:]]} >> 21) & 1)) || fail "privileged hook lacks CAP_SYS_ADMIN: $priv"
  # Escape: ls, run by the hook, holds 0 (/dev/null), 1 (its redirection),
  # 2 (a pipe of ours), 3 (the directory it reads), nothing else.
  assert_exit 0 cc exec app cat /tmp/fds
  local fds
  fds=$(echo "$OUT" | awk '/->/ {print $(NF-2), $NF}' | sed 's/pipe:\[[0-9]*\]/pipe/' | grep -v '^3 /proc/')
  assert_eq "$fds" "0 /dev/null
1 /tmp/fds
2 pipe"
  # Its own session: the session id is its own pid.
  assert_exit 0 cc exec app cat /tmp/sid
  assert_eq "$(echo "$OUT" | sort -u | wc -l)" 1 "the hook is not a session leader: $OUT"
  [ ! -e "$WORK/hooks/trace/pre_stop" ] || fail "pre_stop ran before stop"
  assert_exit 0 cc stop app
  assert_eq "$(cat "$WORK/hooks/trace/pre_stop")" "pre-stop 1000 /trace"
  (((0x$(cat "$WORK/hooks/trace/pre_stop_caps") >> 21) & 1)) || fail "privileged pre_stop lacks CAP_SYS_ADMIN"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# A failing post_start fails `up`, saying what the hook printed.
test_failing_post_start_fails_up_with_its_output() {
  eng_setup hookfail
  load_images busybox
  project hookfail <<'YAML'
services:
  app:
    image: busybox:1.35
    command: ["sleep", "infinity"]
    post_start:
      - command: ["sh", "-c", "echo hook-said-no >&2; exit 3"]
YAML
  cd "$WORK/hookfail"
  assert_exit 1 cc up -d
  assert_contains "$OUT" "post_start hook \`sh\` exited with status 3"
  assert_contains "$OUT" hook-said-no
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# vol_mounts DIR: DIR/{shared,slave,private} shared mounts of the host
# (Docker wants a shared source for rshared), DIR/rec with a tmpfs below.
vol_mounts() {
  local d
  for d in shared slave private; do
    mkdir -p "$1/$d"
    mount --bind "$1/$d" "$1/$d" || fail "bind $1/$d"
    defer "umount -R '$1/$d'"
    mount --make-shared "$1/$d"
  done
  mkdir -p "$1/rec/sub"
  mount -t tmpfs ccompose-test "$1/rec/sub" || fail "tmpfs on $1/rec/sub"
  defer "umount -R '$1/rec/sub'"
  touch "$1/rec/sub/marker"
}

# in_app CMD: a shell command in the running service `app`.
in_app() { cc exec app sh -c "$1"; }

# Bind propagation and recursion as Docker mounts them: rshared carries
# mounts both ways, rslave only from the host, rprivate neither; recursive
# disabled leaves the source's submounts out, writable leaves them
# writable below a read-only bind, readonly does not; :cached is a no-op.
test_bind_propagation_and_recursion_as_docker() {
  eng_setup volopts
  load_images busybox
  project volopts <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    privileged: true
    command: ["sleep", "infinity"]
    volumes:
      - type: bind
        source: ./shared
        target: /shared
        bind: {propagation: rshared}
      - type: bind
        source: ./slave
        target: /slave
        bind: {propagation: rslave}
      - ./private:/private:rprivate
      - type: bind
        source: ./rec
        target: /rec-disabled
        bind: {recursive: disabled}
      - type: bind
        source: ./rec
        target: /rec-writable
        read_only: true
        bind: {recursive: writable}
      - type: bind
        source: ./rec
        target: /rec-readonly
        read_only: true
        bind: {recursive: readonly}
      - ./rec:/rec-cached:cached,z
YAML
  local v="$WORK/volopts"
  vol_mounts "$v"
  cd "$v"
  assert_exit 0 cc up -d
  # Host to container: shared and slave see a mount made now, private not.
  local d
  for d in shared slave private; do
    mkdir -p "$v/$d/fromhost"
    mount -t tmpfs ccompose-test "$v/$d/fromhost" && touch "$v/$d/fromhost/marker"
  done
  assert_exit 0 in_app 'test -e /shared/fromhost/marker && test -e /slave/fromhost/marker'
  assert_exit 1 in_app 'test -e /private/fromhost/marker'
  # Container to host: only through the shared one.
  assert_exit 0 in_app 'for d in shared slave private; do mkdir -p /$d/fromctr; mount -t tmpfs x /$d/fromctr; touch /$d/fromctr/marker; done'
  [ -e "$v/shared/fromctr/marker" ] || fail "rshared: the container's mount did not reach the host"
  [ ! -e "$v/slave/fromctr/marker" ] || fail "rslave: the container's mount reached the host"
  [ ! -e "$v/private/fromctr/marker" ] || fail "rprivate: the container's mount reached the host"
  # Recursion.
  assert_exit 1 in_app 'test -e /rec-disabled/sub/marker'
  assert_exit 0 in_app 'test -e /rec-cached/sub/marker && touch /rec-writable/sub/w'
  assert_exit 1 in_app 'touch /rec-writable/w'
  assert_exit 1 in_app 'touch /rec-readonly/sub/r'
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# volumes_from as Docker: the source's named and anonymous volumes and
# binds at the same targets (not its tmpfs), with the mode asked or the
# source's own; a service's container or a container by name.
test_volumes_from_shares_the_sources_mounts() {
  eng_setup volfrom
  load_images busybox
  mkdir -p "$WORK/volfrom/bound"
  project volfrom <<'YAML'
services:
  src:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "for d in named anon bound-rw; do echo $$d > /$$d/f; done; touch /ready; sleep infinity"]
    volumes: ["data:/named", "/anon", "./bound:/bound:ro", "./bound:/bound-rw"]
    tmpfs: ["/scratch"]
  reader:
    image: busybox:1.35
    init: true
    command: ["sleep", "infinity"]
    volumes_from: ["src:ro"]
  writer:
    image: busybox:1.35
    init: true
    command: ["sleep", "infinity"]
    volumes_from: ["container:volfrom-src-1"]
    depends_on: [src]
volumes:
  data:
YAML
  cd "$WORK/volfrom"
  assert_exit 0 cc up -d
  wait_for 10 "src wrote its files" cc exec src test -e /ready
  assert_exit 0 cc exec reader cat /named/f /anon/f /bound/f
  assert_eq "$OUT" "named
anon
bound-rw"
  assert_exit 1 cc exec reader touch /named/x
  assert_exit 1 cc exec reader touch /bound-rw/x
  assert_exit 1 cc exec reader sh -c 'grep -q " /scratch " /proc/self/mountinfo'
  # The source's own modes: /named rw, /bound ro.
  assert_exit 0 cc exec writer sh -c 'echo w > /anon/w && echo w > /named/w'
  assert_exit 1 cc exec writer touch /bound/x
  assert_exit 0 cc exec src cat /anon/w /named/w
  assert_eq "$OUT" "w
w"
  assert_exit 0 cc down -v -t 0
  assert_no_residue
}

run_tests
