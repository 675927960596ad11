#!/usr/bin/env bash
# Replicas behind one published port (issue 16): deploy.replicas with
# `ports: ["8080:80"]` publishes one host port that balances new
# connections across the replicas that run and are healthy; one that
# turns unhealthy leaves the balancer within a probe; `down` leaves
# nothing.  One `up` serves several checks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

LB_CLIENT="$TOP/tests/system/lb-client.py"

# lb N: N new connections to the published port from the host namespace.
lb() { inh python3 "$LB_CLIENT" 127.0.0.1 8080 "$@"; }

# backends N: the balancer of host port 8080 has N backends.
backends() { [ "$(inh "$FW_SAVE" nat | grep -cE 'dport 8080 .*(DNAT|dnat)')" = "$1" ]; }

test_replicas_share_one_port_and_follow_health() {
  eng_setup lb
  load_images busybox
  project lb <<'YAML'
services:
  web:
    image: busybox:1.35
    init: true
    command: ["sh", "-c", "hostname >/www/index.html; exec httpd -f -p 80 -h /www"]
    tmpfs: [/www]
    deploy: {replicas: 3}
    ports: ["8080:80"]
    healthcheck: {test: ["CMD", "test", "!", "-e", "/www/sick"], interval: 1s, retries: 1, start_period: 5s}
YAML
  cd "$WORK/lb"
  assert_exit 0 cc up -d --wait
  wait_for 5 "three backends" backends 3
  local out n
  out=$(lb 3000 8)
  echo "$out" | sed 's/^/# /'
  grep -q '^failed 0$' <<<"$out" || fail "failed connections: $out"
  [ "$(grep -vc '^failed' <<<"$out")" = 3 ] || fail "not three replicas answered: $out"
  for n in $(grep -v '^failed' <<<"$out" | awk '{print $1}'); do
    # 20%..46% of 3,000 each (the issue's bounds).
    [ "$n" -ge 600 ] && [ "$n" -le 1380 ] || fail "unbalanced: $out"
  done
  # A replica that turns unhealthy leaves the balancer: its monitor runs
  # the balance at the probe that fails, no ccompose command needed.
  cc exec --index 2 web touch /www/sick
  wait_for 5 "two backends" backends 2
  out=$(lb 300 4)
  grep -q '^failed 0$' <<<"$out" || fail "failed connections: $out"
  grep -q 'lb-web-2' <<<"$out" && fail "the unhealthy replica still got new connections: $out"
  [ "$(grep -vc '^failed' <<<"$out")" = 2 ] || fail "not two replicas answered: $out"
  # Healthy again: back in.
  cc exec --index 2 web rm /www/sick
  wait_for 5 "three backends again" backends 3
  assert_exit 0 cc down -t 1
  assert_no_residue
}

run_tests
