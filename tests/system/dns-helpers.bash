# Helpers for the embedded DNS tests (sourced after engine-helpers.bash).

make -s -C "$TOP" build/dnsq >/dev/null 2>&1 || { echo "cannot build tests/system/dnsq.c" >&2; exit 1; }
DNSQ=$TOP/build/dnsq

# fake_upstream ADDRESS NAME=IP...: tests/system/fake-dns.py in the test's
# host namespace on ADDRESS:53 (made a local address there first unless
# it is loopback), logging to $UPSTREAM_LOG.
fake_upstream() {
  local addr=$1 ready
  shift
  case $addr in 127.*) ;; *) ip -n "$HOSTNS" addr add "$addr/32" dev lo || fail "address $addr";; esac
  UPSTREAM_LOG=$(mktemp /tmp/cc-dns-log.XXXXXX)
  ready=$(mktemp -u /tmp/cc-dns-ready.XXXXXX)
  # Not through a function: $! must be the server itself.
  nsenter --net="/run/netns/$HOSTNS" python3 "$TOP/tests/system/fake-dns.py" "$addr" "$UPSTREAM_LOG" "$ready" "$@" \
    </dev/null >/dev/null 2>&1 &
  local pid=$!
  defer "kill $pid; rm -f '$UPSTREAM_LOG' '$ready'"
  wait_for 5 "the fake nameserver on $addr" test -e "$ready"
}

# host_resolv TEXT: the host resolv.conf ccompose reads in this test.
host_resolv() {
  export CCOMPOSE_RESOLV_CONF=$WORK/host-resolv.conf
  printf '%s\n' "$1" >"$CCOMPOSE_RESOLV_CONF"
}

# The responder of project $1: its pid from its record.
dns_pid() { awk '{print $1}' "$CCOMPOSE_STATE_DIR/network/dns/$1.pid" 2>/dev/null; }

# dns_stat PROJECT COUNTER: one counter of the responder.
dns_stat() {
  inh "$CCOMPOSE" netdev -p "$1" dns stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

# q SERVICE [ARGS...]: dnsq in the first container of SERVICE.
q() { local s=$1; shift; cc exec -T "$s" /dnsq "$@"; }
