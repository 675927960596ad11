#!/usr/bin/env bash
# The port preflight against real sockets: every kind of address a
# listener can take, UDP, ranges and the kernel-side port filter, each
# conflict named with the holder's pid.  Everything runs in a throwaway
# network namespace; nothing is sent anywhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/network-helpers.bash"

# conflicts SPEC: the preflight of SPEC fails and names the holder.
conflicts() {
  assert_exit 1 ccn preflight --service web "$1"
  assert_contains "$OUT" "is already used by process "
  assert_contains "$OUT" "(pid $HOLDER)" "holder of $1"
}

test_listeners_on_every_kind_of_address_are_named_with_their_pid() {
  net_setup pfaddr
  hold tcp/4/127.0.0.1/8080 tcp/4/0.0.0.0/8090 tcp/6/::/8100 tcp/6/::1/8110 tcp/6/::ffff:127.0.0.1/8120
  # A specific address: its own and the wildcard request meet it.
  conflicts 8080:80
  assert_contains "$OUT" "host port 0.0.0.0:8080/tcp is already used by process "
  conflicts 127.0.0.1:8080:80
  assert_exit 0 ccn preflight --service web 127.0.0.2:8080:80
  # The IPv4 wildcard meets every address.
  conflicts 127.0.0.2:8090:80
  # The dual-stack IPv6 wildcard takes IPv4 traffic too.
  conflicts 127.0.0.1:8100:80
  conflicts 8100:80
  # ::1 sees no IPv4 traffic: no conflict.
  assert_exit 0 ccn preflight --service web 8110:80
  # A v4-mapped address is that IPv4 address.
  conflicts 127.0.0.1:8120:80
  assert_exit 0 ccn preflight --service web 127.0.0.2:8120:80
}

test_udp_ports_conflict_only_with_udp() {
  net_setup pfudp
  hold udp/4/127.0.0.1/9000 udp/6/::/9010
  conflicts 9000:80/udp
  assert_contains "$OUT" "host port 0.0.0.0:9000/udp is already used by process "
  conflicts 127.0.0.2:9010:80/udp
  # The same numbers over TCP are free.
  assert_exit 0 ccn preflight --service web 9000:80 9010:80
  assert_exit 0 ccn preflight --service web 127.0.0.2:9000:80/udp
}

test_ranges_and_the_free_port_hint_see_through_the_kernel_filter() {
  net_setup pfrange
  hold tcp/4/0.0.0.0/8200 tcp/4/0.0.0.0/8201 tcp/4/0.0.0.0/8300
  # The hint skips the held ports above the request.
  conflicts 8200:80
  assert_contains "$OUT" "(port 8202 is free)"
  # A range that ends on a held port, one that starts on it.
  conflicts 8190-8200:80-90
  conflicts 8300-8305:80-85
  assert_exit 0 ccn preflight --service web 8202-8299:1202-1299
  # Many ranges at once, the held one last: one filter program of many
  # ranges that the kernel must accept and apply.
  local specs=() p
  for p in $(seq 10000 200 19800); do specs+=("$p:80"); done
  assert_exit 0 ccn preflight --service web "${specs[@]}"
  specs+=("8300:80")
  assert_exit 1 ccn preflight --service web "${specs[@]}"
  assert_contains "$OUT" "host port 0.0.0.0:8300/tcp is already used by process "
  assert_contains "$OUT" "(pid $HOLDER)"
}

# without_sock_diag CMD...: CMD with socket(AF_NETLINK, NETLINK_SOCK_DIAG)
# refused (EPROTONOSUPPORT, as on a kernel without it) by a seccomp filter.
without_sock_diag() {
  python3 -c '
import ctypes, ctypes.util, errno, os, socket, sys
lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2")
class Cmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("a", ctypes.c_uint64), ("b", ctypes.c_uint64)]
EQ, NETLINK_SOCK_DIAG = 4, 4
lib.seccomp_init.restype = ctypes.c_void_p
ctx = ctypes.c_void_p(lib.seccomp_init(0x7fff0000))  # allow the rest
args = (Cmp * 2)(Cmp(0, EQ, socket.AF_NETLINK, 0), Cmp(2, EQ, NETLINK_SOCK_DIAG, 0))
nr = lib.seccomp_syscall_resolve_name(b"socket")
if lib.seccomp_rule_add_array(ctx, 0x00050000 | errno.EPROTONOSUPPORT, nr, 2, args) or lib.seccomp_load(ctx):
    sys.exit("seccomp filter refused")
os.execvp(sys.argv[1], sys.argv[1:])
' "$@"
}

# ccompose netdev in the test's host namespace, without sock_diag.
ccn_no_diag() { without_sock_diag nsenter --net="/run/netns/$HOSTNS" "$CCOMPOSE" netdev -p "$PROJECT" "$@"; }

test_without_sock_diag_proc_net_still_names_the_holders() {
  net_setup pfproc
  python3 -c 'import ctypes.util, sys; sys.exit(ctypes.util.find_library("seccomp") is None)' \
    || skip "libseccomp missing"
  # The filter itself works: nothing can open a sock_diag socket under it.
  assert_exit 1 without_sock_diag python3 -c 'import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 4)'
  assert_contains "$OUT" "Protocol not supported"
  hold tcp/4/127.0.0.1/8080 tcp/6/::/8100 tcp/6/::1/8110 udp/6/::ffff:127.0.0.1/9000
  assert_exit 1 ccn_no_diag preflight --service web 8080:80
  assert_contains "$OUT" "host port 0.0.0.0:8080/tcp is already used by process "
  assert_contains "$OUT" "(pid $HOLDER) (port 8081 is free)"
  assert_exit 1 ccn_no_diag preflight --service web 127.0.0.2:8100:80
  assert_contains "$OUT" "(pid $HOLDER)"
  assert_exit 1 ccn_no_diag preflight --service web 9000:80/udp
  assert_contains "$OUT" "(pid $HOLDER)"
  assert_exit 0 ccn_no_diag preflight --service web 8110:80 127.0.0.2:9000:80/udp
}

test_a_free_port_passes() {
  net_setup pffree
  assert_exit 0 ccn preflight --service web 8080:80 8080:80/udp 127.0.0.1:8081:81 30000-30010:80-90
  assert_eq "$OUT" ""
  # Nothing was created by the checks.
  assert_not_contains "$(inh "$FW_SAVE" 2>/dev/null)" CCOMPOSE
}

run_tests
