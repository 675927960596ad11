#!/usr/bin/env bash
# `ccompose convert` (issue 18): every case of tests/convert/cases/ and the
# samples convert to their committed manifests and reports, exit as
# documented, and what they write passes the offline checks: strict
# Kubernetes schemas and our semantic lint (tests/convert/validate.mjs,
# installed by `make deps`) and `kubectl kustomize`.
#
# A case is a directory with compose.yaml and: args (global options),
# convert-args (options of convert), env (variables), exit (the expected
# status, 0 when absent), expected.yaml (the stream on stdout) and
# expected.report (stderr).  UPDATE_GOLDEN=1 rewrites the expected files
# (and samples/kubernetes/k8s/ and report.txt, samples/classic/k8s/ and
# k8s-report.txt) instead of comparing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"
. "$(dirname "$0")/registry-helpers.bash"

CASES=$TOP/tests/convert/cases
VALIDATE=$TOP/tests/convert/validate.mjs
SAMPLE=$TOP/samples/kubernetes

need_validator() {
  command -v node >/dev/null || fail "node is missing: make deps"
  [ -d "$TOP/tests/convert/node_modules/kubernetes-models" ] || fail "tests/convert/node_modules is missing: make deps"
  command -v kubectl >/dev/null || fail "kubectl is missing: make deps installs kubernetes-client"
}

# A clean environment (the shell must not leak into interpolation) and an
# empty image store, so no case depends on the images of this machine.
run_case() {
  local dir=$1; shift
  local envs="" args=""
  [ -f "$dir/env" ] && envs=$(cat "$dir/env")
  [ -f "$dir/args" ] && args=$(cat "$dir/args")
  # shellcheck disable=SC2086
  (cd "$dir" && env -i PATH="$PATH" HOME=/nonexistent CCOMPOSE_DATA_DIR="$CCOMPOSE_DATA_DIR" $envs "$CCOMPOSE" $args "$@")
}

convert_args() { [ -f "$1/convert-args" ] && cat "$1/convert-args"; return 0; }

# check_output DIR: the offline checks of a directory `convert -o` wrote.
check_output() {
  local out
  out=$(node "$VALIDATE" "$1" 2>&1) || fail "validate.mjs $1:
$out"
  out=$(kubectl kustomize "$1" 2>&1) || fail "kubectl kustomize $1:
$out"
}

# same EXPECTED_FILE ACTUAL_FILE WHAT: compare, or rewrite under UPDATE_GOLDEN.
same() {
  if [ -n "${UPDATE_GOLDEN:-}" ]; then
    cp "$2" "$1"
    return 0
  fi
  [ -f "$1" ] || fail "$3: no $(basename "$1")"
  diff -u "$1" "$2" >&2 || fail "$3 differs from $(basename "$1")"
}

test_corpus_matches_golden() {
  local d name rc want n=0 tmp
  use_private_state convert-golden
  tmp=$(mktemp -d /tmp/cc-convert.XXXXXX)
  defer "rm -rf '$tmp'"
  for d in "$CASES"/*/; do
    d=${d%/}
    name=$(basename "$d")
    # shellcheck disable=SC2046
    run_case "$d" convert $(convert_args "$d") >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    # Host paths (bind mounts) are absolute: ${DIR} stands for the case's.
    sed "s|$d|\${DIR}|g" "$tmp/$name.out" >"$tmp/$name.yaml"
    sed "s|$d|\${DIR}|g" "$tmp/$name.err" >"$tmp/$name.report"
    want=0
    [ -f "$d/exit" ] && want=$(cat "$d/exit")
    if [ -n "${UPDATE_GOLDEN:-}" ]; then
      [ "$rc" = 0 ] && rm -f "$d/exit" || echo "$rc" >"$d/exit"
      want=$rc
    fi
    [ "$rc" = "$want" ] || fail "$name: exit $rc, wanted $want: $(tail -3 "$tmp/$name.report")"
    same "$d/expected.report" "$tmp/$name.report" "$name: the report"
    if [ "$rc" = 0 ]; then
      same "$d/expected.yaml" "$tmp/$name.yaml" "$name: the manifests"
    else
      [ -s "$tmp/$name.yaml" ] && fail "$name: failed but wrote manifests"
      [ -n "${UPDATE_GOLDEN:-}" ] && rm -f "$d/expected.yaml"
    fi
    n=$((n + 1))
  done
  [ $n -ge 15 ] || fail "only $n cases"
}

test_corpus_output_validates() {
  local d name tmp n=0
  need_validator
  use_private_state convert-validate
  tmp=$(mktemp -d /tmp/cc-convert.XXXXXX)
  defer "rm -rf '$tmp'"
  for d in "$CASES"/*/; do
    d=${d%/}
    name=$(basename "$d")
    [ -f "$d/exit" ] && continue
    # shellcheck disable=SC2046
    run_case "$d" convert $(convert_args "$d") -o "$tmp/$name" 2>/dev/null || fail "$name: convert -o failed"
    check_output "$tmp/$name"
    n=$((n + 1))
  done
  [ $n -ge 10 ] || fail "only $n cases validated"
}

# The validator must catch what it is there to catch, or it proves nothing.
test_validator_rejects_broken_manifests() {
  local tmp out
  need_validator
  use_private_state convert-broken
  tmp=$(mktemp -d /tmp/cc-convert.XXXXXX)
  defer "rm -rf '$tmp'"
  run_case "$CASES/underscores" convert -o "$tmp/ok" 2>/dev/null || fail "convert"
  check_output "$tmp/ok"
  cp -r "$tmp/ok" "$tmp/bad"
  sed -i 's/^  replicas: 1$/  replicas: 1\n  portz: 1/' "$tmp/bad/my-db-deployment.yaml"
  sed -i 's/^  name: cache-1$/  name: cache_1/' "$tmp/bad/cache-1-service.yaml"
  sed -i 's/claimName: db-data/claimName: db-data-typo/' "$tmp/bad/my-db-deployment.yaml"
  sed -i 's/targetPort: 80$/targetPort: 81/' "$tmp/bad/web-app-service.yaml"
  out=$(node "$VALIDATE" "$tmp/bad" 2>&1) && fail "validate.mjs passed broken manifests:
$out"
  assert_contains "$out" "unknown field \`portz\`"
  assert_contains "$out" "name \`cache_1\` is not a DNS-1123 label"
  assert_contains "$out" "no PersistentVolumeClaim \`db-data-typo\`"
  assert_contains "$out" "targetPort 81/TCP is not a port"
  # web-app names cache-1, whose Service is now cache_1.
  assert_contains "$out" "names \`cache-1\`, which has no Service"
}

# same_dir COMMITTED FRESH WHAT: compare directories, or rewrite under
# UPDATE_GOLDEN.
same_dir() {
  if [ -n "${UPDATE_GOLDEN:-}" ]; then
    rm -rf "$1" && cp -r "$2" "$1"
  fi
  diff -ru "$1" "$2" >&2 || fail "$3 differs from a fresh conversion"
}

# samples/kubernetes: web+redis with the sample images in the store (their
# EXPOSE ports become the Services' ports), converted to the committed
# directory and report.
convert_sample() {
  (cd "$SAMPLE" && env -i PATH="$PATH" HOME=/nonexistent CCOMPOSE_DATA_DIR="$CCOMPOSE_DATA_DIR" \
    "$CCOMPOSE" -f ../web-redis/compose.yaml -f compose.k8s.yaml convert "$@")
}

test_sample_matches_committed() {
  local tmp
  require_root
  need_validator
  use_private_state convert-sample
  load_images redis web
  tmp=$(mktemp -d /tmp/cc-convert.XXXXXX)
  defer "rm -rf '$tmp'"
  convert_sample -o "$tmp/k8s" 2>"$tmp/report.txt" || fail "convert failed: $(cat "$tmp/report.txt")"
  same_dir "$SAMPLE/k8s" "$tmp/k8s" "samples/kubernetes/k8s"
  same "$SAMPLE/report.txt" "$tmp/report.txt" "the sample's report"
  check_output "$tmp/k8s"
}

# convert_in_place NAME [ARG...]: samples/NAME converted as it is, in its
# directory, to the committed samples/NAME/k8s/ and k8s-report.txt, then
# the offline checks.  Warnings name files by absolute path: ${DIR}.
convert_in_place() {
  local tmp dir=$TOP/samples/$1
  shift
  tmp=$(mktemp -d /tmp/cc-convert.XXXXXX)
  defer "rm -rf '$tmp'"
  (cd "$dir" && env -i PATH="$PATH" HOME=/nonexistent CCOMPOSE_DATA_DIR="$CCOMPOSE_DATA_DIR" \
    "$CCOMPOSE" convert -o "$tmp/k8s" "$@" 2>"$tmp/report") || fail "convert failed: $(cat "$tmp/report")"
  sed "s|$dir|\${DIR}|g" "$tmp/report" >"$tmp/report.txt"
  same_dir "$dir/k8s" "$tmp/k8s" "samples/$(basename "$dir")/k8s"
  same "$dir/k8s-report.txt" "$tmp/report.txt" "the report of samples/$(basename "$dir")"
  check_output "$tmp/k8s"
}

# samples/classic, the classic `build: .` file: no --registry, so web's
# image keeps Compose's name and the report says it is unpinned;
# redis:alpine in the store (the sample redis image under that name, as
# the sample's README has it) so its EXPOSE gives redis the Service web
# reaches it by.
test_classic_sample_matches_committed() {
  require_root
  need_validator
  use_private_state convert-classic
  load_images redis
  "$CCOMPOSE" image tag redis:7 redis:alpine || fail "image tag"
  convert_in_place classic
}

# samples/replicas (issue 16): three replicas with a start-first rolling
# update become a Deployment of 3 with maxSurge 1, maxUnavailable 0; Swarm's
# failure_action and monitor have no Kubernetes setting, so the report
# drops them and --allow-lossy writes the rest.
test_replicas_sample_matches_committed() {
  require_root
  need_validator
  use_private_state convert-replicas
  load_images redis web
  convert_in_place replicas --allow-lossy
}

# --registry (issue 18): a service with `build:` is built as `ccompose
# build` builds it, pushed to a registry on loopback (Debian's
# docker-registry) and named by the digest that registry serves; the image
# pulled back by that digest is the one built.  A registry that does not
# answer and a build that fails are errors that write nothing.
registry_project() {
  mkdir -p "$1/app"
  printf 'services:\n  app:\n    build: ./app\n' >"$1/compose.yaml"
  printf 'FROM busybox:1.35\nCOPY hello /hello\nEXPOSE 8080\nCMD ["cat", "/hello"]\n' >"$1/app/Dockerfile"
  echo "built for the cluster" >"$1/app/hello"
}

image_id() { "$CCOMPOSE" image inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])'; }

test_registry_builds_pushes_and_pins() {
  local tmp image digest served other
  require_root
  need_validator
  use_private_state convert-registry
  load_images busybox
  start_distribution
  tmp=$(mktemp -d /tmp/cc-convert.XXXXXX)
  defer "rm -rf '$tmp'"
  other=/var/lib/ccompose-test/convert-registry-other
  defer "rm -rf '$other'"
  registry_project "$tmp/reg"
  cd "$tmp/reg" || fail cd
  assert_exit 0 "$CCOMPOSE" convert --registry "$DIST_REG/team" -o "$tmp/k8s"
  assert_contains "$OUT" "Service app"
  image=$(python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1]))
print(d["spec"]["template"]["spec"]["containers"][0]["image"])' "$tmp/k8s/app-deployment.yaml") || fail "read the image"
  [[ $image == "$DIST_REG/team/app@sha256:"* ]] || fail "not pinned by digest: $image"
  digest=${image#*@}
  assert_contains "$OUT" "converted     service app: build: built, pushed and pinned: image \`$image\`"
  # The digest is the registry's: its Docker-Content-Digest for the tag.
  served=$(curl -sS -m 5 -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$DIST_REG/v2/team/app/manifests/latest" | tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" {print $2}')
  assert_eq "$served" "$digest" "the digest the registry serves"
  # The built image's EXPOSE gave app its Service.
  [ -f "$tmp/k8s/app-service.yaml" ] || fail "no Service from the built image's EXPOSE"
  check_output "$tmp/k8s"
  # Pulled back by digest into an empty store: the image built here.
  CCOMPOSE_DATA_DIR=$other "$CCOMPOSE" image pull -q "$image" >/dev/null || fail "pull $image"
  assert_eq "$(CCOMPOSE_DATA_DIR=$other image_id "$image")" "$(image_id reg-app)" "the image pulled by digest"
  # On stdout only the manifests (build progress goes to stderr); the
  # cached build pushes the same image: the same digest.
  "$CCOMPOSE" convert --registry "$DIST_REG/team" >"$tmp/stream.yaml" 2>/dev/null || fail "convert to stdout"
  python3 -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$tmp/stream.yaml" ||
    fail "stdout is not only YAML: $(head -5 "$tmp/stream.yaml")"
  assert_contains "$(cat "$tmp/stream.yaml")" "image: $image" "a second conversion"
  # Errors: nothing written.
  assert_exit 1 "$CCOMPOSE" convert --registry 127.0.0.1:1/team -o "$tmp/unreachable"
  assert_contains "$OUT" "service \`app\`: build and push \`127.0.0.1:1/team/app\`"
  [ -e "$tmp/unreachable" ] && fail "a conversion whose push failed wrote manifests"
  echo 'COPY missing /missing' >>app/Dockerfile
  assert_exit 1 "$CCOMPOSE" convert --registry "$DIST_REG/team" -o "$tmp/broken"
  assert_contains "$OUT" "service \`app\` failed to build"
  [ -e "$tmp/broken" ] && fail "a conversion whose build failed wrote manifests"
  return 0
}

# The issue's acceptance: 3 replicas, the limits asked for, port 80 ->
# targetPort 5000, read back with a YAML reader.
test_sample_has_replicas_limits_and_port() {
  local tmp
  require_root
  use_private_state convert-accept
  load_images redis web
  tmp=$(mktemp -d /tmp/cc-convert.XXXXXX)
  defer "rm -rf '$tmp'"
  convert_sample -o "$tmp/k8s" 2>/dev/null || fail "convert failed"
  python3 - "$tmp/k8s" <<'PY' || fail "the web+redis manifests lack what compose.k8s.yaml asks"
import sys, yaml
d = sys.argv[1]
dep = yaml.safe_load(open(f"{d}/web-deployment.yaml"))
svc = yaml.safe_load(open(f"{d}/web-service.yaml"))
redis = yaml.safe_load(open(f"{d}/redis-service.yaml"))
c = dep["spec"]["template"]["spec"]["containers"][0]
assert dep["spec"]["replicas"] == 3, dep["spec"]["replicas"]
assert c["resources"] == {"limits": {"cpu": "500m", "memory": "256Mi"},
                          "requests": {"cpu": "250m", "memory": "128Mi"}}, c["resources"]
assert {"port": 80, "targetPort": 5000} in [{k: p[k] for k in ("port", "targetPort")} for p in svc["spec"]["ports"]]
# redis has no ports in compose: its image's EXPOSE 6379 gives its Service one.
assert [p["port"] for p in redis["spec"]["ports"]] == [6379], redis["spec"]
PY
}

test_web_redis_sample_validates() {
  local tmp
  need_validator
  use_private_state convert-webredis
  tmp=$(mktemp -d /tmp/cc-convert.XXXXXX)
  defer "rm -rf '$tmp'"
  (cd "$TOP/samples/web-redis" && env -i PATH="$PATH" HOME=/nonexistent CCOMPOSE_DATA_DIR="$CCOMPOSE_DATA_DIR" \
    "$CCOMPOSE" convert -o "$tmp/k8s" 2>"$tmp/report") || fail "convert: $(cat "$tmp/report")"
  check_output "$tmp/k8s"
  # No image in this store: redis' Service is headless, and the report says why.
  assert_contains "$(cat "$tmp/report")" "its Service is headless"
}

# A dropped key fails the command and writes nothing; --allow-lossy
# writes; the JSON report counts what the text report counts.
test_lossy_writes_nothing_unless_allowed() {
  local tmp
  use_private_state convert-lossy
  tmp=$(mktemp -d /tmp/cc-convert.XXXXXX)
  defer "rm -rf '$tmp'"
  assert_exit 1 run_case "$CASES/bind-mounts" convert -o "$tmp/out" --report "$tmp/report.json"
  assert_contains "$OUT" "service web: volumes[0]: bind mount of \`./site\`"
  assert_contains "$OUT" "nothing written"
  [ -e "$tmp/out" ] && fail "a lossy conversion wrote $tmp/out"
  python3 - "$tmp/report.json" <<'PY' || fail "report JSON"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["counts"]["dropped"] == 3, r["counts"]
assert r["counts"]["dropped"] == sum(k["status"] == "dropped" for k in r["keys"])
assert all(k["status"] in ("converted", "approximated", "dropped") and k["scope"] and k["detail"] for k in r["keys"])
PY
  assert_exit 0 run_case "$CASES/bind-mounts" convert -o "$tmp/out" --allow-lossy
  [ -f "$tmp/out/web-deployment.yaml" ] || fail "--allow-lossy wrote nothing"
  assert_exit 1 run_case "$CASES/bind-mounts" config --format kubernetes
}

test_config_format_kubernetes_is_convert() {
  local a b
  use_private_state convert-config
  a=$(run_case "$CASES/env-secrets" convert 2>/dev/null) || fail "convert"
  b=$(run_case "$CASES/env-secrets" config --format kubernetes 2>/dev/null) || fail "config --format kubernetes"
  assert_eq "$b" "$a" "config --format kubernetes"
}

# Stable output: the same bytes every time, so it can be committed.
test_output_is_stable() {
  local a b
  use_private_state convert-stable
  a=$(run_case "$CASES/networks-policies" convert --network-policies 2>&1) || fail "convert"
  b=$(run_case "$CASES/networks-policies" convert --network-policies 2>&1) || fail "convert"
  assert_eq "$b" "$a" "a second conversion"
}

# -o DIR again: files the first conversion wrote and the second does not
# are removed; a kustomization.yaml of someone else's is never touched.
test_output_dir_is_kept_in_step() {
  local tmp
  use_private_state convert-dir
  tmp=$(mktemp -d /tmp/cc-convert.XXXXXX)
  defer "rm -rf '$tmp'"
  assert_exit 0 run_case "$CASES/underscores" convert -o "$tmp/k8s"
  touch "$tmp/k8s/mine.yaml"
  assert_exit 0 run_case "$CASES/underscores" convert -o "$tmp/k8s" 'Cache_1'
  [ -f "$tmp/k8s/cache-1-deployment.yaml" ] || fail "the selected service is gone"
  [ -e "$tmp/k8s/web-app-deployment.yaml" ] && fail "a stale file was kept"
  [ -f "$tmp/k8s/mine.yaml" ] || fail "a file convert did not write was removed"
  mkdir "$tmp/other"
  echo "resources: [x.yaml]" >"$tmp/other/kustomization.yaml"
  assert_exit 1 run_case "$CASES/underscores" convert -o "$tmp/other"
  assert_contains "$OUT" "was not written by ccompose convert"
  assert_eq "$(cat "$tmp/other/kustomization.yaml")" "resources: [x.yaml]" "the foreign kustomization.yaml"
}

test_usage_errors() {
  use_private_state convert-usage
  assert_exit 2 run_case "$CASES/underscores" convert --service-type Ingress
  assert_exit 2 run_case "$CASES/underscores" convert --bind-mounts nfs
  assert_exit 2 run_case "$CASES/underscores" convert --namespace Bad_NS
  assert_exit 2 run_case "$CASES/underscores" convert --to nomad
  assert_exit 1 run_case "$CASES/underscores" convert nosuchservice
}

run_tests
