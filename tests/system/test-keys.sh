#!/usr/bin/env bash
# No compose key silently ignored (issue 15): every key of the Compose
# Specification is honoured, refused at its file:line:col, or warned about
# and ignored as Docker Compose ignores Swarm's keys (keys/check.py reads
# the table, keys/keys.tsv); and one running container shows the effect of
# the honoured keys that the table sends here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

test_every_spec_key_is_honoured_refused_or_warned() {
  use_private_state keys-table
  local work
  work=$(mktemp -d /tmp/cc-keys.XXXXXX)
  defer "rm -rf '$work'"
  python3 "$TOP/tests/system/keys/check.py" "$TOP/tests/system/keys/keys.tsv" \
    "$TOP/tests/system/keys/spec-keys.txt" "$CCOMPOSE" "$work" || fail "keys.tsv: see above"
}

# cgroup files as the container sees them (its cgroup namespace): v1 (or
# the hybrid layout) or v2.
cg_file() {
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then echo "/sys/fs/cgroup/$2"; else echo "/sys/fs/cgroup/$1/$3"; fi
}

test_service_keys_seen_inside_a_container() {
  eng_setup keys
  load_images busybox redis
  project keys <<'YAML'
services:
  s:
    image: busybox:1.35
    labels: {keys.b: two, keys.a: one}
    entrypoint: ["/bin/sh", "-c"]
    command: ["echo started; exec sleep 60"]
    hostname: keys-host
    domainname: example.org
    dns: [10.0.0.53]
    dns_search: [example.org]
    dns_opt: ["ndots:3"]
    extra_hosts: ["keys-extra:10.0.0.9"]
    working_dir: /tmp
    user: "1000:1000"
    environment: {FROM_ENV: env}
    env_file: [{path: ./keys.env}, {path: ./missing.env, required: false}, {path: ./raw.env, format: raw}]
    cap_add: [NET_ADMIN]
    cap_drop: [CHOWN]
    security_opt: ["no-new-privileges=true"]
    read_only: true
    tmpfs: [/keys-tmp]
    volumes:
      - {type: tmpfs, target: /keys-tmpfs, tmpfs: {size: 1m, mode: 0o1770}}
    shm_size: 32m
    sysctls: {net.ipv4.ip_unprivileged_port_start: "80"}
    ulimits: {nofile: {soft: 1000, hard: 1000}}
    pids_limit: 50
    mem_limit: 64m
    mem_reservation: 32m
    memswap_limit: 128m
    cpu_shares: 512
    cpus: 0.5
  d:
    image: busybox:1.35
    command: ["sleep", "60"]
    container_name: keys-named
    init: true
    platform: linux/x86_64
    userns_mode: host
    deploy:
      resources:
        limits: {cpus: "0.25", memory: 48m, pids: 40}
        reservations: {memory: 24m}
  r:
    image: redis:7
    command: ["sleep", "60"]
YAML
  cd "$WORK/keys"
  echo "FROM_FILE=file" >keys.env
  # format: raw, as docker run --env-file: quotes, `$` and ` #` kept.
  echo 'FROM_RAW="a $HOME" # b' >raw.env
  assert_exit 0 cc up -d
  local x="cc exec -T s"
  assert_exit 0 $x sh -c 'hostname; cat /proc/sys/kernel/domainname; pwd; id -u; id -g; echo $FROM_ENV $FROM_FILE'
  assert_eq "$OUT" "keys-host
example.org
/tmp
1000
1000
env file"
  assert_exit 0 $x sh -c 'echo "$FROM_RAW"'
  assert_eq "$OUT" '"a $HOME" # b'
  assert_exit 0 $x cat /etc/resolv.conf
  assert_contains "$OUT" "ExtServers: [10.0.0.53]"
  assert_contains "$OUT" "search example.org"
  assert_contains "$OUT" "ndots:3"
  assert_exit 0 $x cat /etc/hosts
  assert_contains "$OUT" "10.0.0.9	keys-extra"
  # cap_add NET_ADMIN (bit 12) in, cap_drop CHOWN (bit 0) out; no_new_privs.
  assert_exit 0 $x cat /proc/self/status
  local bnd
  bnd=$(awk '/^CapBnd/ {print $2}' <<<"$OUT")
  (((0x$bnd >> 12) & 1)) || fail "NET_ADMIN not in the bounding set: $bnd"
  (((0x$bnd & 1) == 0)) || fail "CHOWN still in the bounding set: $bnd"
  assert_contains "$OUT" "NoNewPrivs:	1"
  assert_exit 1 $x touch /keys-ro
  assert_exit 0 $x cat /proc/mounts
  assert_contains "$OUT" "tmpfs /keys-tmp tmpfs"
  grep -q "/keys-tmpfs .*size=1024k,mode=1770" <<<"$OUT" || fail "tmpfs size and mode: $(grep keys-tmpfs <<<"$OUT")"
  grep -q "/dev/shm .*size=32768k" <<<"$OUT" || fail "shm_size: $(grep /dev/shm <<<"$OUT")"
  assert_exit 0 $x cat /proc/sys/net/ipv4/ip_unprivileged_port_start
  assert_eq "$OUT" 80
  assert_exit 0 $x sh -c 'ulimit -n'
  assert_eq "$OUT" 1000
  assert_exit 0 $x cat "$(cg_file pids pids.max pids.max)"
  assert_eq "$OUT" 50
  assert_exit 0 $x cat "$(cg_file memory memory.max memory.limit_in_bytes)" \
    "$(cg_file memory memory.low memory.soft_limit_in_bytes)"
  assert_eq "$OUT" "67108864
33554432"
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    assert_exit 0 $x cat /sys/fs/cgroup/cpu.max
    assert_eq "$OUT" "50000 100000"
  else
    assert_exit 0 $x cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares
    assert_eq "$OUT" "50000
512"
  fi
  # deploy.resources.limits, and init as PID 1.
  assert_exit 0 cc exec -T d cat "$(cg_file pids pids.max pids.max)" "$(cg_file memory memory.max memory.limit_in_bytes)" \
    "$(cg_file memory memory.low memory.soft_limit_in_bytes)"
  assert_eq "$OUT" "40
50331648
25165824"
  assert_exit 0 cc exec -T d cat /proc/1/comm
  assert_not_contains "$OUT" "sleep"
  # platform: the host's, under another of its names; userns_mode: host,
  # the whole id range of the host's user namespace.
  assert_exit 0 cc exec -T d cat /proc/self/uid_map
  assert_eq "$(echo $OUT)" "0 0 4294967295"
  # container_name: the container's name, its hostname, a name the others
  # resolve, what ps shows; a second project cannot take it.
  assert_exit 0 cc exec -T d hostname
  assert_eq "$OUT" keys-named
  # (s's own dns: is an upstream; d asks the project's resolver)
  assert_exit 0 cc exec -T d nslookup keys-named
  grep -q "^Address: 10\." <<<"$OUT" || fail "keys-named does not resolve: $OUT"
  assert_exit 0 cc ps --format json
  assert_contains "$OUT" '"Name":"keys-named"'
  assert_contains "$OUT" 'keys.a=one,keys.b=two"'
  mkdir -p "$WORK/other"
  printf 'services:\n  d:\n    image: busybox:1.35\n    container_name: keys-named\n' >"$WORK/other/compose.yaml"
  assert_exit 1 cc -f "$WORK/other/compose.yaml" up -d
  assert_contains "$OUT" "container name \`keys-named\` is already in use by service \`d\` of project \`keys\`"
  # The image's VOLUME /data: an anonymous volume, as Docker gives one.
  assert_exit 0 cc exec -T r cat /proc/mounts
  grep -q " /data " <<<"$OUT" || fail "no volume at the image's /data: $OUT"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# The keys of build: that the two tests of test-build-compose.sh leave
# out, each seen in the image one build makes: the build's secret (its
# target as the id), the added context, extra_hosts, ulimits, shm_size,
# network: none and target in what RUN saw; no_cache in a second build;
# dockerfile in the other service's label; pull: true asks the registry
# though the store has the base image.
test_build_keys_reach_the_image() {
  eng_setup keysb
  load_images busybox
  project keysb <<'YAML'
secrets:
  tok: {environment: KEYS_TOKEN}
services:
  inl:
    build:
      context: .
      dockerfile_inline: |
        FROM busybox:1.35 AS wanted
        RUN --mount=type=secret,id=tk cat /run/secrets/tk >/keys; echo >>/keys
        COPY --from=extra f /extra-f
        RUN grep keys-bhost /etc/hosts >>/keys; ulimit -n >>/keys; df -k /dev/shm | awk 'NR==2 {print $2}' >>/keys; grep -c : /proc/net/dev >>/keys
        FROM busybox:1.35
        RUN echo last >/stage
      target: wanted
      secrets: [{source: tok, target: tk}]
      additional_contexts: {extra: ./extra}
      extra_hosts: ["keys-bhost:10.0.0.7"]
      ulimits: {nofile: {soft: 900, hard: 900}}
      shm_size: 16m
      network: none
      no_cache: true
  file:
    build: {context: ./ctx, dockerfile: Other.df}
  pulled:
    build: {context: ./ctx, dockerfile: Other.df, pull: true}
YAML
  cd "$WORK/keysb" || fail cd
  mkdir -p extra ctx
  echo added >extra/f
  printf 'FROM busybox:1.35\nLABEL keys.dockerfile=other\n' >ctx/Other.df
  KEYS_TOKEN=s3cret assert_exit 0 cc build inl file
  assert_exit 0 cc run --rm -T inl sh -c 'cat /keys /extra-f; test -e /stage || echo no-stage'
  # (less what run says of the network it makes)
  assert_eq "$(grep -v '✔' <<<"$OUT")" "s3cret
10.0.0.7	keys-bhost
900
16384
1
added
no-stage"
  KEYS_TOKEN=s3cret assert_exit 0 cc build --progress plain inl
  assert_not_contains "$OUT" "CACHED"
  assert_eq "$("$CCOMPOSE" image inspect keysb-file |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"]["Labels"].get("keys.dockerfile"))')" other
  CCOMPOSE_REGISTRY_MIRROR=http://127.0.0.1:9 assert_exit 1 cc build pulled
  assert_contains "$OUT" "127.0.0.1:9"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# The global --dry-run: every command says what it would do to which
# container and does nothing (issue 15: stop, kill, rm... really acted).
test_dry_run_of_every_command_changes_nothing() {
  eng_setup keysdry
  load_images busybox
  project dry <<'YAML'
services:
  app:
    image: busybox:1.35
    init: true
    command: ["sleep", "60"]
  later:
    image: 127.0.0.1:9/dry/later:1
    build: {context: ., dockerfile_inline: "FROM busybox:1.35"}
    command: ["sleep", "60"]
    profiles: [later]
YAML
  cd "$WORK/dry"
  assert_exit 0 cc up -d
  local pid c
  pid=$("$CCOMPOSE" runtime state dry-app-1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
  for c in stop kill pause restart "rm -f -s" pull "run --rm app touch /tmp/ran" "exec -T app touch /tmp/ran"; do
    # shellcheck disable=SC2086
    assert_exit 0 cc --dry-run $c
    assert_contains "$OUT" "DRY-RUN MODE" "--dry-run $c"
  done
  # Nothing to start: start says nothing and does nothing.
  assert_exit 0 cc --dry-run start
  # create does not create, push reaches no registry (port 9 is closed:
  # a real push would fail), down leaves the project as it is.
  assert_exit 0 cc --profile later --dry-run create later
  assert_contains "$OUT" "DRY-RUN MODE"
  assert_exit 0 cc --profile later --dry-run push later
  assert_contains "$OUT" "DRY-RUN MODE"
  assert_exit 0 cc --dry-run down -v
  assert_contains "$OUT" "DRY-RUN MODE"
  assert_exit 0 cc ps -a --format json
  assert_not_contains "$OUT" "later"
  # unpause of a paused service leaves it paused.
  assert_exit 0 cc pause
  assert_exit 0 cc --dry-run unpause
  assert_contains "$OUT" "DRY-RUN MODE"
  assert_eq "$(rt_status dry-app-1)" paused
  assert_exit 0 cc unpause
  # Still the first process: nothing stopped, killed or restarted it.
  assert_eq "$(rt_status dry-app-1)" running
  assert_eq "$("$CCOMPOSE" runtime state dry-app-1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')" "$pid"
  assert_exit 1 cc exec -T app test -e /tmp/ran
  assert_exit 0 cc ps -a --format json
  assert_not_contains "$OUT" "app-run"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

run_tests
