#!/usr/bin/env bash
# `build:` in compose files (issue 13): `ccompose build` and its flags;
# up, create and run build what is missing (--build always, --no-build
# never, pull_policy: build always); images of services without `image:`
# are <project>-<service>; keys the builder cannot honour are refused at
# their file:line:col by the commands that build, never by `config`; and
# samples/classic runs unchanged against a loopback registry.  Builds use
# the builder's own RUN path: no new way into a container.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"
. "$(dirname "$0")/registry-helpers.bash"

has_image() { "$CCOMPOSE" image inspect "$1" >/dev/null 2>&1; }

build_project() {
  project bc <<'YAML'
services:
  app:
    build:
      context: ./app
      args: [GREETING=hello]
      labels: {com.example.greeting: "${GREETING:-unset}"}
      tags: ["bc-extra:1"]
      network: none
    depends_on: [base]
  base:
    build: ./base
  plain:
    image: busybox:1.35
YAML
  mkdir -p "$WORK/bc/app" "$WORK/bc/base"
  printf 'FROM busybox:1.35\nARG GREETING\nRUN echo "$GREETING" > /greeting\nLABEL greeting=$GREETING\n' \
    >"$WORK/bc/app/Dockerfile"
  printf 'FROM busybox:1.35\nCOPY f /f\n' >"$WORK/bc/base/Dockerfile"
  echo base >"$WORK/bc/base/f"
  cd "$WORK/bc" || fail cd
}

label_of() {
  "$CCOMPOSE" image inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"]["Labels"].get(sys.argv[1], ""))' "$2"
}

test_build_command_and_its_flags() {
  eng_setup bcmd
  load_images busybox
  build_project
  # --dry-run builds nothing.
  assert_exit 0 cc --dry-run build
  assert_contains "$OUT" "DRY-RUN MODE"
  has_image bc-app && fail "dry run built bc-app"
  # Only the named service, unless --with-dependencies.
  assert_exit 0 cc build app
  assert_contains "$OUT" "RUN echo \"hello\" > /greeting"
  assert_contains "$OUT" "Service app"
  has_image bc-app || fail "no image bc-app"
  has_image bc-extra:1 || fail "build.tags did not tag bc-extra:1"
  has_image bc-base && fail "base built without --with-dependencies"
  assert_eq "$(label_of bc-app greeting)" "hello" "the file's args"
  assert_eq "$(label_of bc-app com.example.greeting)" "unset" "build.labels"
  assert_exit 0 cc build --with-dependencies app
  has_image bc-base || fail "--with-dependencies did not build base"
  assert_contains "$OUT" "CACHED"
  # --build-arg over the file's args; -q prints no steps.
  assert_exit 0 cc build -q --build-arg GREETING=bye app
  assert_not_contains "$OUT" "RUN echo"
  assert_not_contains "$OUT" "Built"
  assert_eq "$(label_of bc-app greeting)" "bye" "--build-arg"
  GREETING=env assert_exit 0 cc build -q --build-arg GREETING app
  assert_eq "$(label_of bc-app greeting)" "env" "--build-arg KEY from the environment"
  # --no-cache runs every step again.
  assert_exit 0 cc build --no-cache --progress plain app
  assert_not_contains "$OUT" "CACHED"
  # pull: --ignore-buildable skips what can be built.
  assert_exit 0 cc pull --ignore-buildable --policy missing
  assert_not_contains "$OUT" "Service app"
  assert_exit 1 cc build nosuch
  assert_contains "$OUT" "nosuch"
  assert_exit 2 cc build --progress fancy
}

test_up_builds_what_is_missing() {
  eng_setup bcup
  load_images busybox
  project bcup <<'YAML'
services:
  app:
    build: ./app
    command: ["sleep", "600"]
    init: true
  always:
    build: ./app
    pull_policy: build
    command: ["sleep", "600"]
    init: true
YAML
  mkdir -p "$WORK/bcup/app"
  printf 'FROM busybox:1.35\nCOPY f /f\n' >"$WORK/bcup/app/Dockerfile"
  echo one >"$WORK/bcup/app/f"
  cd "$WORK/bcup" || fail cd
  assert_exit 2 cc up -d --build --no-build
  # --no-build: a missing image is an error that says how to build it.
  assert_exit 1 cc up -d --no-build app
  assert_contains "$OUT" "image \`bcup-app\` is not in the local store"
  assert_contains "$OUT" "ccompose build"
  assert_exit 0 cc up -d
  assert_contains "$OUT" "Service app"
  assert_contains "$OUT" "Service always"
  # Present: app is not built again; pull_policy: build always is.
  assert_exit 0 cc up -d
  assert_not_contains "$OUT" "Service app"
  assert_contains "$OUT" "Service always"
  assert_not_contains "$OUT" "Recreated"
  # --build with a changed context: a new image, the container recreated.
  echo two >"$WORK/bcup/app/f"
  assert_exit 0 cc up -d --build app
  assert_contains "$OUT" "Service app"
  assert_contains "$OUT" "Recreate"
  assert_exit 0 cc exec -T app cat /f
  assert_eq "$OUT" "two"
  echo three >"$WORK/bcup/app/f"
  assert_exit 0 cc run --rm -T --build app cat /f
  assert_contains "$OUT" "three"
  assert_exit 0 cc create --no-build app
  assert_exit 0 cc down -t 0
  assert_no_residue
}

# What the builder cannot honour: config prints it, build and up refuse it
# at its line, and nothing is created.
test_refusals_name_the_key_and_create_nothing() {
  eng_setup bcref
  project bcref <<'YAML'
services:
  ssh:
    build:
      context: .
      ssh: [default]
  arm:
    build:
      context: .
      platforms: [linux/s390x]
  cache:
    build:
      context: .
      cache_to: ["type=registry,ref=example/cache"]
  nodir:
    build: ./missing
  nofile:
    build:
      context: .
      dockerfile: Dockerfile.none
YAML
  cd "$WORK/bcref" || fail cd
  printf 'FROM busybox:1.35\n' >Dockerfile
  assert_exit 0 cc config
  assert_contains "$OUT" "linux/s390x"
  local svc want
  for svc in "ssh 5:7: service \`ssh\`: build.ssh" "arm 9:7: service \`arm\`: build.platforms: ccompose builds for the host's platform only" \
    "cache 13:7: service \`cache\`: build.cache_to" "nodir 15:12: service \`nodir\`: build.context: the build context is not a directory" \
    "nofile 19:7: service \`nofile\`: build.dockerfile: no Dockerfile at \`$WORK/bcref/Dockerfile.none\`"; do
    want=${svc#* }
    assert_exit 1 cc build "${svc%% *}"
    assert_contains "$OUT" "compose.yaml:$want"
  done
  assert_exit 1 cc up -d arm
  assert_contains "$OUT" "compose.yaml:9:7"
  assert_no_residue
}

# A Dockerfile that reaches outside its context (`../`, a symlink out)
# gets nothing from there, as Docker's.
test_context_outside_is_refused() {
  eng_setup bcout
  load_images busybox
  project bcout <<'YAML'
services:
  dots:
    build: ./ctx
  link:
    build:
      context: ./ctx
      dockerfile: Dockerfile.link
YAML
  mkdir -p "$WORK/bcout/ctx"
  echo secret >"$WORK/bcout/secret"
  ln -s ../secret "$WORK/bcout/ctx/link"
  printf 'FROM busybox:1.35\nCOPY ../secret /s\n' >"$WORK/bcout/ctx/Dockerfile"
  printf 'FROM busybox:1.35\nCOPY link /s\n' >"$WORK/bcout/ctx/Dockerfile.link"
  cd "$WORK/bcout" || fail cd
  assert_exit 1 cc build dots
  assert_contains "$OUT" "service \`dots\` failed to build"
  assert_contains "$OUT" "not found"
  assert_exit 1 cc build link
  assert_contains "$OUT" "not found"
  has_image bcout-dots && fail "an image from outside the context"
  has_image bcout-link && fail "an image through a symlink out of the context"
  return 0
}

# samples/classic as the issue has it: web built from its Dockerfile,
# redis:alpine pulled from a registry on loopback (the sample redis image
# under that name) through CCOMPOSE_REGISTRY_MIRROR.
test_classic_sample_runs_unchanged() {
  eng_setup classic
  load_images redis python
  start_distribution nsenter --net="/run/netns/$HOSTNS"
  "$CCOMPOSE" image tag redis:7 "$DIST_REG/library/redis:alpine" || fail tag
  cc image push -q "$DIST_REG/library/redis:alpine" >/dev/null || fail "seed the registry"
  "$CCOMPOSE" image rm "$DIST_REG/library/redis:alpine" redis:7 >/dev/null || fail "image rm"
  cp -r "$TOP/samples/classic" "$WORK/classic"
  cd "$WORK/classic" || fail cd
  export CCOMPOSE_REGISTRY_MIRROR=http://$DIST_REG
  assert_exit 0 cc up -d
  assert_contains "$OUT" "Service web"
  has_image classic-web || fail "no image classic-web"
  has_image redis:alpine || fail "redis:alpine not pulled"
  (wait_for 30 "the classic app to answer" inh curl -sf -m 2 -o /dev/null http://127.0.0.1:5000/) ||
    fail "no answer on 5000: $(cc ps -a 2>&1; cc logs 2>&1 | tail -20)"
  assert_exit 0 inh curl -s -m 5 http://127.0.0.1:5000/
  assert_contains "$OUT" "I have been seen"
  assert_exit 0 cc down -t 0
  assert_no_residue
}

run_tests
