# Helpers for the network system tests (sourced after lib.sh).
#
# Each test runs ccompose inside a throwaway network namespace that plays
# the host ("hostns"): bridges, veths and iptables rules are created there,
# so the real host is never touched.  ccompose's own container namespaces
# are files under the private state root.  `nsenter --net` (not `ip netns
# exec`) keeps the mount namespace, so the netns bind mounts ccompose makes
# stay visible after each command.
# Traffic goes only to addresses inside namespaces the test created.

# net_setup NAME: private state root, a host namespace with lo up.
net_setup() {
  require_root
  require_firewall_tools
  # $$: the suite may run while someone else runs it too.
  use_private_state "net-$1-$$"
  HOSTNS=ccnt-$1-$$
  PROJECT=p$1
  ip netns add "$HOSTNS" || fail "ip netns add $HOSTNS"
  defer "ip netns del $HOSTNS"
  # Runs before the namespace goes: unmount whatever netns files are left.
  defer "net_unmount_all"
  ip -n "$HOSTNS" link set lo up
  export CCOMPOSE_SUBNET_POOL=10.89.0.0/16:24
  unset CCOMPOSE_CRASH_AT
}

net_unmount_all() {
  local f
  for f in "$CCOMPOSE_STATE_DIR"/netns/*; do
    [ -e "$f" ] && umount -l "$f" 2>/dev/null
  done
  return 0
}

# Run in the host namespace (the real one when HOSTNS is empty).
inh() {
  if [ -n "${HOSTNS:-}" ]; then nsenter --net="/run/netns/$HOSTNS" "$@"; else "$@"; fi
}
# ccompose netdev with the project.
ccn() { inh "$CCOMPOSE" netdev -p "$PROJECT" "$@"; }
# Run in container C's namespace.
inc() { local c=$1; shift; nsenter --net="$CCOMPOSE_STATE_DIR/netns/$c" "$@"; }

# container NAME NETWORK [attach options]: a netns attached to NETWORK.
container() {
  local c=$1 net=$2; shift 2
  assert_exit 0 ccn netns-create "$c"
  assert_exit 0 ccn attach "$net" "$c" "$@"
}

# serve C PORT TEXT: busybox httpd in C answering TEXT on PORT.
serve() {
  local c=$1 port=$2 text=$3 dir
  dir=$(mktemp -d /tmp/ccnt-www.XXXXXX)
  echo "$text" >"$dir/index.html"
  # Not through a function: $! must be the server itself.
  nsenter --net="$CCOMPOSE_STATE_DIR/netns/$c" busybox httpd -f -p "$port" -h "$dir" >/dev/null 2>&1 &
  local pid=$!
  defer "kill $pid; rm -rf '$dir'"
  wait_for 5 "httpd in $c" inc "$c" curl -sf -m 1 "http://127.0.0.1:$port/"
}

# fetch WHERE-CMD... URL: prints the body, fails fast.
fetch() { "$@" -s -m 2; }

# client namespace CLIENT linked to the host namespace: host 172.31.99.1,
# client 172.31.99.2, so "another host" can reach published ports.
client_setup() {
  CLIENTNS=ccnt-c$$-$1
  ip netns add "$CLIENTNS" || fail "ip netns add $CLIENTNS"
  defer "ip netns del $CLIENTNS"
  ip -n "$HOSTNS" link add tnh0 type veth peer name tnc0 netns "$CLIENTNS"
  ip -n "$HOSTNS" addr add 172.31.99.1/30 dev tnh0
  ip -n "$HOSTNS" link set tnh0 up
  ip -n "$CLIENTNS" addr add 172.31.99.2/30 dev tnc0
  ip -n "$CLIENTNS" link set tnc0 up
  ip -n "$CLIENTNS" link set lo up
  ip -n "$CLIENTNS" route add default via 172.31.99.1
}
inclient() { nsenter --net="/run/netns/$CLIENTNS" "$@"; }

# This state root's tag: its rules' comments and links' aliases carry it.
scope_tag() {
  inh "$CCOMPOSE" netdev ls | python3 -c 'import json,sys; print(json.load(sys.stdin)["scope_tag"])'
}

# Nothing of this state root in the host namespace and the state root.
assert_no_residue() {
  local tag rules links ns
  tag=$(scope_tag) || fail "no scope tag"
  rules=$(inh "$FW_SAVE" | grep -F "ccompose$tag " || true)
  [ -z "$rules" ] || fail "firewall residue: $rules"
  links=$(inh ip -d -o link show | grep -F "alias ccompose$tag " || true)
  [ -z "$links" ] || fail "interface residue: $links"
  if [ -n "${HOSTNS:-}" ]; then
    links=$(inh ip -o link show | awk -F': ' '{print $2}' | grep '^cc' || true)
    [ -z "$links" ] || fail "interface residue: $links"
  fi
  ns=$(ls -A "$CCOMPOSE_STATE_DIR/netns" 2>/dev/null || true)
  [ -z "$ns" ] || fail "netns residue: $ns"
  assert_exit 0 inh "$CCOMPOSE" netdev residue
  assert_eq "$OUT" "" "residue check"
  assert_exit 0 inh "$CCOMPOSE" netdev ls
  assert_not_contains "$OUT" '"bridge"' "state still lists a network"
}
