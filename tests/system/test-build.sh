#!/usr/bin/env bash
# `ccompose image build`: real builds on the runtime and the store, each
# image run as a container afterwards.  Multi-stage targets build only
# what they need; every instruction's effect is seen inside a container
# and in the config; the cache hits and misses as BuildKit's does; a
# failing RUN says which step, its exit code and its last output;
# secrets never reach a layer; bad input never starts a container; and
# nothing of a build is left behind, whatever happens.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/build-helpers.bash"

test_multistage_target_builds_only_what_it_needs() {
  bld_setup target busybox
  ctx ms <<'EOF'
FROM busybox:1.35 AS stage1
RUN echo one > /one
FROM busybox:1.35 AS unused
RUN echo never-built && exit 1
FROM stage1 AS stage2
COPY --from=stage1 /one /two
RUN cat /one /two
EOF
  build_ok -t ms:1 --target stage1 "$CTX"
  assert_not_contains "$OUT" "never-built"
  assert_not_contains "$OUT" "[stage2"
  build_ok -t ms:2 --target stage2 "$CTX"
  assert_not_contains "$OUT" "[unused"
  assert_contains "$OUT" "[stage1 2/2] RUN echo one > /one"
  assert_contains "$OUT" "CACHED"
  run_image_ok ms:2 cat /one /two
  assert_eq "$OUT" "one
one"
  # The last stage is the default target; the unused one fails when asked for.
  build_ok "$CTX"
  assert_not_contains "$OUT" "never-built"
  build --target unused "$CTX"
  assert_eq "$RC" 1 "target unused"
  assert_contains "$OUT" "never-built"
}

test_every_instruction_seen_in_a_container() {
  bld_setup instr busybox
  ctx all <<'EOF'
# syntax=docker/dockerfile:1
ARG BASE=busybox:1.35
FROM ${BASE}
ARG GREETING=hello
ENV APP_HOME=/srv/app PATH=/srv/app/bin:$PATH
LABEL org.example.name="demo" org.example.greeting=$GREETING
WORKDIR $APP_HOME
COPY --chown=1000:1000 --chmod=750 run.sh bin/
COPY data/ data/
ADD files.tar /opt/unpacked/
RUN echo "$GREETING from $(pwd)" > greeting.txt && ln -s greeting.txt link && ln greeting.txt hard \
 && mkdir -p /srv/app/owned && chown 1000:1000 /srv/app/owned && rm -f /etc/group.bak
RUN rm -rf /srv/app/data/b.txt
RUN adduser -D -u 2000 builder 2>/dev/null || echo 'builder:x:2000:2000::/home/builder:/bin/sh' >> /etc/passwd
USER 2000
RUN id -u > /tmp/who
USER root
EXPOSE 8080/tcp 53/udp
VOLUME /srv/app/state
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD wget -q -O- http://127.0.0.1:8080/ || exit 1
ONBUILD RUN echo triggered
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat greeting.txt"]
EOF
  mkdir -p "$CTX/data" "$CTX/tarsrc/sub"
  printf '#!/bin/sh\necho run\n' > "$CTX/run.sh"
  echo a > "$CTX/data/a.txt"
  echo b > "$CTX/data/b.txt"
  echo inner > "$CTX/tarsrc/sub/inner.txt"
  tar -C "$CTX/tarsrc" -cf "$CTX/files.tar" sub
  build_ok -t instr:1 --build-arg GREETING=hi "$CTX"
  # The config, as `docker image inspect` shows it.
  assert_eq "$(config instr:1 'c["WorkingDir"]')" "/srv/app"
  assert_eq "$(config instr:1 'c["Entrypoint"]')" '["/bin/sh", "-c"]'
  assert_eq "$(config instr:1 'c["Cmd"]')" '["cat greeting.txt"]'
  assert_eq "$(config instr:1 'c["ExposedPorts"]')" '{"53/udp": {}, "8080/tcp": {}}'
  assert_eq "$(config instr:1 'c["Volumes"]')" '{"/srv/app/state": {}}'
  assert_eq "$(config instr:1 'c["StopSignal"]')" "SIGQUIT"
  assert_eq "$(config instr:1 'c["Labels"]["org.example.greeting"]')" "hi"
  assert_eq "$(config instr:1 'c["Healthcheck"]["Retries"]')" "4"
  assert_eq "$(config instr:1 'c["Healthcheck"]["Interval"]')" "5000000000"
  assert_eq "$(config instr:1 'c["OnBuild"]')" '["RUN echo triggered"]'
  assert_contains "$(config instr:1 'c["Env"]')" "APP_HOME=/srv/app"
  assert_eq "$(config instr:1 'c.get("User", "")')" "root"
  # Inside a container of it.
  run_image_ok instr:1 /bin/sh -c 'cat greeting.txt; readlink link; stat -c "%h %a %u:%g %n" hard bin/run.sh owned;
    cat data/a.txt; ls data; cat /opt/unpacked/sub/inner.txt; cat /tmp/who; echo "$APP_HOME"'
  assert_eq "$OUT" "hi from /srv/app
greeting.txt
2 644 0:0 hard
1 750 1000:1000 bin/run.sh
2 755 1000:1000 owned
a
a.txt
inner
2000
/srv/app"
  # A build FROM it runs its ONBUILD trigger first.
  ctx child <<'EOF'
FROM instr:1
RUN echo child
EOF
  build_ok -t instr:2 "$CTX"
  assert_contains "$OUT" "triggered"
}

test_cache_hits_and_misses() {
  bld_setup cache busybox
  ctx c <<'EOF'
FROM busybox:1.35
RUN echo base > /base
COPY app.txt /app.txt
ARG V=1
RUN echo "v=$V" > /v && cat /app.txt
EOF
  echo one > "$CTX/app.txt"
  build_ok -t c:1 "$CTX"
  local id1 id2
  id1=$("$CCOMPOSE" image inspect c:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')
  # Nothing changed: everything cached, the same image id.
  build_ok -t c:1 "$CTX"
  assert_eq "$(grep -c CACHED <<<"$OUT")" "3" "cached steps"
  id2=$("$CCOMPOSE" image inspect c:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')
  assert_eq "$id2" "$id1" "image id of a cached rebuild"
  # A new time on an unchanged file is no change (content, not times).
  touch -d '2001-01-01' "$CTX/app.txt"
  build_ok -t c:1 "$CTX"
  assert_eq "$(grep -c CACHED <<<"$OUT")" "3" "after touch"
  # New content: the COPY and what follows run again, not what precedes.
  echo two > "$CTX/app.txt"
  build_ok -t c:2 "$CTX"
  assert_eq "$(grep -c CACHED <<<"$OUT")" "1" "after a change"
  assert_contains "$OUT" "two"
  # A build arg the RUN sees: only that RUN misses.
  build_ok -t c:3 --build-arg V=2 "$CTX"
  assert_eq "$(grep -c CACHED <<<"$OUT")" "2" "after a build arg"
  run_image_ok c:3 cat /v /app.txt
  assert_eq "$OUT" "v=2
two"
  # --no-cache runs everything.
  build_ok -t c:3 --no-cache --build-arg V=2 "$CTX"
  assert_not_contains "$OUT" "CACHED"
  # .dockerignore: an ignored file cannot be copied, and changing it does
  # not miss.
  printf 'secret.txt\n' > "$CTX/.dockerignore"
  echo s > "$CTX/secret.txt"
  cat >> "$CTX/Dockerfile" <<'EOF'
COPY . /ctx/
EOF
  build_ok -t c:4 "$CTX"
  echo changed > "$CTX/secret.txt"
  build_ok -t c:4 "$CTX"
  assert_eq "$(grep -c CACHED <<<"$OUT")" "4" "ignored file changed"
  run_image_ok c:4 ls /ctx
  assert_not_contains "$OUT" "secret.txt"
  # builder prune forgets the cache.
  assert_exit 0 "$CCOMPOSE" builder prune -a -f
  build_ok -t c:4 "$CTX"
  assert_not_contains "$OUT" "CACHED"
}

test_run_failure_names_step_code_and_output() {
  bld_setup fail busybox
  ctx f <<'EOF'
FROM busybox:1.35
RUN echo fine
RUN echo line-one && echo line-two >&2 && exit 3
RUN echo unreachable
EOF
  build -t f:1 "$CTX"
  assert_eq "$RC" 1
  assert_contains "$OUT" "Dockerfile:3"
  assert_contains "$OUT" "exit code: 3"
  assert_contains "$OUT" "line-two"
  assert_contains "$OUT" 'process "/bin/sh -c echo line-one'
  assert_not_contains "$OUT" "unreachable
"
  assert_exit 0 "$CCOMPOSE" system check
}

test_secret_never_in_a_layer() {
  bld_setup secret busybox
  ctx s <<'EOF'
FROM busybox:1.35
RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /ok
RUN --mount=type=secret,id=token,required=true ls -l /run/secrets/token
EOF
  echo -n "s3cr3t-value" > "$WORK/token"
  build_ok -t s:1 --secret "id=token,src=$WORK/token" "$CTX"
  assert_contains "$OUT" "-r--------"
  run_image_ok s:1 /bin/sh -c 'cat /ok; ls /run/secrets 2>&1; true'
  assert_eq "$(head -1 <<<"$OUT")" "12" "the secret's size, seen by RUN"
  assert_not_contains "$OUT" "token"
  local b
  for b in $(layer_blobs s:1); do
    ! grep -q "s3cr3t-value" "$b" || fail "the secret is in layer $b"
    ! tar -tf "$b" | grep -q "secrets" || fail "a secret mount point is in layer $b"
  done
  ! grep -rq "s3cr3t-value" "$CCOMPOSE_DATA_DIR/images" || fail "the secret is in the store: $(grep -rl "s3cr3t-value" "$CCOMPOSE_DATA_DIR/images")"
  # A required secret that was not given fails the step, before its
  # container is made.
  ctx s2 <<'EOF2'
FROM busybox:1.35
RUN --mount=type=secret,id=token,required=true true
EOF2
  build -t s:2 "$CTX"
  assert_eq "$RC" 1
  assert_contains "$OUT" "secret token: not found"
}

test_dockerfile_error_starts_nothing() {
  bld_setup dferr busybox
  ctx e <<'EOF'
FROM busybox:1.35
RUN echo ok
COPY --frm=x a b
EOF
  build "$CTX"
  assert_eq "$RC" 1
  assert_contains "$OUT" "Dockerfile:3"
  assert_not_contains "$OUT" "RUN echo ok"
  [ ! -d "$CCOMPOSE_DATA_DIR/builder/builds" ] || [ -z "$(ls "$CCOMPOSE_DATA_DIR/builder/builds")" ] ||
    fail "a build record was made"
  [ -z "$("$CCOMPOSE" runtime list 2>/dev/null)" ] || fail "a container was made"
  # A base image that is not there says how to get it.
  ctx m <<'EOF'
FROM example.invalid/nothing:1
RUN true
EOF
  build "$CTX"
  assert_eq "$RC" 1
  assert_contains "$OUT" "ccompose image load"
}

test_sources_outside_the_context_are_refused() {
  bld_setup outside busybox
  echo host-only > "$WORK/outside.txt"
  ctx o <<'EOF'
FROM busybox:1.35
COPY ../outside.txt /x
EOF
  build "$CTX"
  assert_eq "$RC" 1
  assert_contains "$OUT" "not found"
  ctx l <<'EOF'
FROM busybox:1.35
COPY link /x
EOF
  ln -s "$WORK/outside.txt" "$CTX/link"
  build "$CTX"
  assert_eq "$RC" 1
  assert_contains "$OUT" "not found"
  # A symlink inside a copied directory is copied as a symlink, never followed.
  mkdir -p "$CTX/d"
  ln -s "$WORK/outside.txt" "$CTX/d/out"
  cat > "$CTX/Dockerfile" <<'EOF'
FROM busybox:1.35
COPY d /d
EOF
  build_ok -t l:1 "$CTX"
  run_image_ok l:1 readlink /d/out
  assert_eq "$OUT" "$WORK/outside.txt"
  run_image l:1 cat /d/out
  assert_not_contains "$OUT" "host-only"
}

test_add_of_a_hostile_archive_is_refused() {
  bld_setup hostile busybox
  ctx h <<'EOF'
FROM busybox:1.35
ADD evil.tar /dest/
EOF
  python3 - "$CTX/evil.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    data = b"owned\n"
    info = tarfile.TarInfo("../../../../tmp/ccb-escaped")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
EOF
  rm -f /tmp/ccb-escaped
  build "$CTX"
  assert_eq "$RC" 1
  assert_contains "$OUT" ".."
  [ ! -e /tmp/ccb-escaped ] || fail "the archive wrote outside its destination"
}

test_whiteouts_and_opaque_directories_in_layers() {
  bld_setup whiteout busybox
  ctx w <<'EOF'
FROM busybox:1.35
RUN mkdir -p /d/keep /o && echo 1 > /d/gone && echo 2 > /d/keep/k && echo 3 > /o/old
RUN rm /d/gone && rm -rf /o && mkdir /o && echo 4 > /o/new
EOF
  build_ok -t w:1 "$CTX"
  local last
  last=$(layer_blobs w:1 | tail -1)
  tar -tvf "$last" > "$WORK/list"
  assert_contains "$(cat "$WORK/list")" "d/.wh.gone"
  assert_contains "$(cat "$WORK/list")" "o/.wh..wh..opq"
  assert_not_contains "$(cat "$WORK/list")" " proc/"
  run_image_ok w:1 /bin/sh -c 'ls /d /o; cat /o/new'
  assert_eq "$OUT" "/d:
keep

/o:
new
4"
  # Deterministic: the same steps give the same layers.
  local id1 id2
  id1=$("$CCOMPOSE" image inspect w:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RootFS"]["Layers"])')
  assert_exit 0 "$CCOMPOSE" builder prune -a
  build_ok -t w:2 "$CTX"
  assert_not_contains "$OUT" "CACHED"
  id2=$("$CCOMPOSE" image inspect w:2 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RootFS"]["Layers"])')
  assert_eq "$id2" "$id1" "layers of a rebuild without cache"
}

test_run_networks() {
  bld_setup net busybox
  ctx n <<'EOF'
FROM busybox:1.35
RUN ip -o addr show | awk '{print $2}' | sort -u | tr '\n' ' ' > /default-net
RUN --network=none ip -o addr show | awk '{print $2}' | sort -u | tr '\n' ' ' > /none-net
RUN hostname > /hn
EOF
  build_ok -t n:1 "$CTX"
  run_image_ok n:1 cat /default-net /none-net /hn
  assert_contains "$OUT" "eth0"
  assert_contains "$OUT" "buildkitsandbox"
  assert_eq "$(sed -n 2p <<<"$OUT" | grep -c eth0)" "0" "--network=none has no eth0"
  ctx h <<'EOF'
FROM busybox:1.35
RUN --network=host true
EOF
  build "$CTX"
  assert_eq "$RC" 1
  assert_contains "$OUT" "network.host"
}

test_named_build_context() {
  bld_setup named busybox
  mkdir -p "$WORK/extra/sub"
  echo from-extra > "$WORK/extra/sub/x.txt"
  ctx n <<'EOF'
FROM busybox:1.35
COPY --from=extra sub/x.txt /x.txt
EOF
  build_ok -t named:1 --build-context "extra=$WORK/extra" "$CTX"
  run_image_ok named:1 cat /x.txt
  assert_eq "$OUT" "from-extra"
  build_ok -t named:1 --build-context "extra=$WORK/extra" "$CTX"
  assert_contains "$OUT" "CACHED"
  echo changed > "$WORK/extra/sub/x.txt"
  build_ok -t named:2 --build-context "extra=$WORK/extra" "$CTX"
  assert_not_contains "$OUT" "CACHED"
  run_image_ok named:2 cat /x.txt
  assert_eq "$OUT" "changed"
}

test_run_mounts() {
  bld_setup mounts busybox
  ctx m <<'EOF'
FROM busybox:1.35 AS tools
RUN echo tool-v1 > /tool
FROM busybox:1.35
RUN --mount=type=bind,source=data,target=/mnt/data cat /mnt/data/in.txt > /copied \
 && (touch /mnt/data/x 2>/dev/null && echo writable || echo read-only) > /bindmode
RUN --mount=type=bind,source=data,target=/mnt/rw,rw touch /mnt/rw/new && echo ok > /rw
RUN --mount=type=bind,from=tools,source=/tool,target=/t cat /t > /from-stage
RUN --mount=type=cache,target=/cache echo run >> /cache/count && wc -l < /cache/count > /cache-count
RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/f && grep -c " /scratch " /proc/mounts > /tmpfs
EOF
  mkdir -p "$CTX/data"
  echo input > "$CTX/data/in.txt"
  build_ok -t m:1 "$CTX"
  run_image_ok m:1 /bin/sh -c 'cat /copied /bindmode /rw /from-stage /cache-count /tmpfs; ls -d /mnt /t /cache /scratch 2>&1 | grep -c "No such"'
  assert_eq "$OUT" "input
read-only
ok
tool-v1
1
1
4"
  # A rw bind writes to a copy: the context is unchanged.
  [ ! -e "$CTX/data/new" ] || fail "a rw bind wrote into the context"
  # The cache mount outlives the build.
  build_ok -t m:2 --no-cache "$CTX"
  run_image_ok m:2 cat /cache-count
  assert_eq "$OUT" "2"
  # A change in the bound source is a change of the step.
  echo other > "$CTX/data/in.txt"
  build_ok -t m:3 "$CTX"
  run_image_ok m:3 cat /copied
  assert_eq "$OUT" "other"
  ctx s <<'EOF'
FROM busybox:1.35
RUN --mount=type=ssh true
EOF
  build "$CTX"
  assert_eq "$RC" 1
  assert_contains "$OUT" "ssh"
}

test_add_url_with_checksum() {
  bld_setup url busybox
  mkdir -p "$WORK/www"
  echo downloaded > "$WORK/www/file.txt"
  local port=18765 sum
  sum=$(sha256sum "$WORK/www/file.txt" | cut -d' ' -f1)
  nsenter --net="/run/netns/$BLDNS" python3 -m http.server "$port" --bind 127.0.0.1 -d "$WORK/www" >/dev/null 2>&1 &
  local pid=$!
  defer "kill $pid"
  wait_for 10 "the http server" nsenter --net="/run/netns/$BLDNS" python3 -c \
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/file.txt')"
  ctx u <<EOF
FROM busybox:1.35
ADD --checksum=sha256:$sum http://127.0.0.1:$port/file.txt /dl/
EOF
  build_ok -t u:1 "$CTX"
  run_image_ok u:1 stat -c '%a %n' /dl/file.txt
  assert_eq "$OUT" "600 /dl/file.txt"
  ctx bad <<EOF
FROM busybox:1.35
ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 http://127.0.0.1:$port/file.txt /dl/
EOF
  build "$CTX"
  assert_eq "$RC" 1
  assert_contains "$OUT" "digest mismatch"
}

test_samples_build_offline() {
  bld_setup samples busybox python
  build_ok --target=stage1 -t multistage:stage1 "$TOP/samples/multistage"
  assert_not_contains "$OUT" "[stage2"
  build_ok --target=stage2 -t multistage:stage2 "$TOP/samples/multistage"
  run_image_ok multistage:stage2 cat /result.txt
  assert_eq "$OUT" "and stage2 read: made in stage1"
  # The demo's web image: its unit tests, then the slim runtime stage.
  build_ok --target test "$TOP/samples/web-redis"
  assert_contains "$OUT" "Ran 3 tests"
  build_ok --target runtime -t ccompose-demo/web:built "$TOP/samples/web-redis"
  assert_not_contains "$OUT" "[test"
  assert_eq "$(config ccompose-demo/web:built 'c["Cmd"]')" '["python3", "-m", "flask", "run", "--host", "0.0.0.0", "--port", "5000"]'
  run_image_ok ccompose-demo/web:built /bin/sh -c 'ls /app; cd /app && python3 -c "import app; print(app.app.name)"'
  assert_eq "$OUT" "app.py
app"
}

# Ctrl-C (SIGINT) or SIGTERM in the middle of a RUN: the container is
# killed and the build removes everything it made before it dies of the
# signal, so nothing is left for `system check` to find.
test_interrupt_leaves_nothing() {
  bld_setup intr busybox
  ctx i <<'EOF'
FROM busybox:1.35
RUN echo started && sleep 60
EOF
  local sig pid rc
  for sig in INT TERM; do
    env --default-signal=INT nsenter --net="/run/netns/$BLDNS" "$CCOMPOSE" image build --progress plain "$CTX" \
      >"$WORK/intr.log" 2>&1 &
    pid=$!
    wait_for 30 "the RUN step to start" grep -q "started" "$WORK/intr.log"
    kill "-$sig" "$pid"
    wait "$pid"
    rc=$?
    [ "$rc" -gt 128 ] || fail "SIG$sig: the build exited $rc: $(cat "$WORK/intr.log")"
    assert_exit 0 "$CCOMPOSE" system check
    [ -z "$("$CCOMPOSE" runtime list)" ] || fail "SIG$sig: a container is left"
    [ -z "$(ls "$CCOMPOSE_DATA_DIR/builder/builds" 2>/dev/null)" ] || fail "SIG$sig: a build directory is left"
  done
}

test_crash_at_every_step_leaves_nothing() {
  bld_setup crash busybox
  ctx k <<'EOF'
FROM busybox:1.35 AS a
RUN echo a > /a
FROM busybox:1.35 AS b
RUN echo b > /b
FROM a
COPY --from=b /b /b
RUN cat /a /b
EOF
  local n steps out
  steps=$(CCOMPOSE_CRASH_TRACE=1 nsenter --net="/run/netns/$BLDNS" "$CCOMPOSE" image build --no-cache \
    --progress quiet "$CTX" 2>&1 | grep -c '^crash-point')
  [ "$steps" -gt 10 ] || fail "only $steps crash points"
  for n in $(seq 1 "$steps"); do
    (CCOMPOSE_CRASH_AT=$n nsenter --net="/run/netns/$BLDNS" "$CCOMPOSE" image build --no-cache --progress quiet \
      "$CTX" >/dev/null 2>&1; true) 2>/dev/null
    # What the killed build left is found, and removed by the next build
    # or by `system check --fix`, in turn.
    if [ $((n % 2)) = 0 ]; then
      build_ok -t k:0 "$CTX"
    else
      nsenter --net="/run/netns/$BLDNS" "$CCOMPOSE" system check --fix >/dev/null 2>&1
    fi
    out=$(nsenter --net="/run/netns/$BLDNS" "$CCOMPOSE" system check 2>&1) || fail "after a crash at step $n: $out"
    ! grep -q "ccompose-test/bld-crash" /proc/self/mountinfo ||
      fail "a mount is left after a crash at step $n: $(grep bld-crash /proc/self/mountinfo)"
    [ -z "$(ls "$CCOMPOSE_DATA_DIR/builder/builds" 2>/dev/null)" ] || fail "a build directory is left at step $n"
  done
  # And the next build works.
  build_ok -t k:1 "$CTX"
}

run_tests
