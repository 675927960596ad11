#!/usr/bin/env bash
# deploy.restart_policy (issue 15), mapped as Docker Compose maps it when
# `restart:` is absent: none -> no, on-failure -> on-failure:max_attempts,
# any -> always; Swarm's delay and window are warned about and ignored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engine-helpers.bash"

# lines FILE: how many runs wrote to FILE.
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
lines_are() { [ "$(lines "$1")" = "$2" ]; }
lines_at_least() { [ "$(lines "$1")" -ge "$2" ]; }

test_deploy_restart_policy_restarts_as_compose_maps_it() {
  eng_setup restart-policy
  load_images busybox
  project rp <<'YAML'
services:
  fail:
    image: busybox:1.35
    command: ["sh", "-c", "echo run >>/out/fail; exit 3"]
    volumes: ["./out:/out"]
    deploy:
      restart_policy: {condition: on-failure, max_attempts: 2, delay: 5s, window: 1m}
  none:
    image: busybox:1.35
    command: ["sh", "-c", "echo run >>/out/none; exit 3"]
    volumes: ["./out:/out"]
    deploy:
      restart_policy: {condition: none}
  any:
    image: busybox:1.35
    command: ["sh", "-c", "echo run >>/out/any; exit 0"]
    volumes: ["./out:/out"]
    deploy:
      restart_policy: {}
YAML
  cd "$WORK/rp"
  mkdir out
  assert_exit 0 cc up -d
  assert_contains "$OUT" "compose.yaml:7:64: \`delay\` only means something to Swarm"
  assert_contains "$OUT" "compose.yaml:7:75: \`window\` only means something to Swarm"
  # on-failure:2: the first run and two restarts, then no more.
  wait_for 20 "three runs of fail" lines_are out/fail 3
  wait_for 10 "fail to stay exited" cc_status_is rp-fail-1 exited
  assert_eq "$(lines out/fail)" 3
  # any: always, even after exit 0.
  wait_for 20 "any restarted" lines_at_least out/any 3
  # none: never.
  assert_eq "$(lines out/none)" 1
  assert_exit 0 cc down -t 0
}

cc_status_is() {
  cc ps -a --format json | python3 -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
rows = rows[0] if len(rows) == 1 and isinstance(rows[0], list) else rows
sys.exit(0 if any(r.get('Name') == '$1' and r.get('State') == '$2' for r in rows) else 1)"
}

run_tests
