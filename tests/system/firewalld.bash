# Debian's firewalld, confined: a D-Bus system bus of its own (a private
# dbus-daemon on a socket under /run/ccfwd-*), firewalld in a throwaway
# network namespace with its configuration in a private directory
# (--system-config), no pid file, logging to a file.  Its rules live in
# that namespace; nothing of the host's bus, firewall or /etc/firewalld
# is touched.  What it writes outside its directories (/run/firewalld,
# its temporary files) is removed afterwards when it was not there
# before.  Sourced by tests after lib.sh.
#
#   firewalld_install           apt-get install, disabled for systemd
#   firewalld_start NS DIR      bus and daemon; FIREWALLD_WHY on failure
#   firewalld_stop              both, by pid, and their litter
#   in_fw CMD...                CMD on firewalld's bus
#   fw_zone, fw_permanent       firewalld's methods (dbus-send), below
#
# The tests talk to firewalld with dbus-send, not firewall-cmd: each
# firewall-cmd is a Python start (~1 s on a loaded machine).

FIREWALLD_PID=
FIREWALLD_BUS_PID=
FIREWALLD_DIR=
FIREWALLD_WHY=
_FIREWALLD_TMP_MADE=

_fw_pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed'; }

# Installs firewalld without letting its scripts start it, and disables
# the systemd unit (and its D-Bus activation alias) its postinst enables:
# a developer's machine must not boot into a firewalld it never asked
# for.  Prints the last line of apt-get's output on failure.
firewalld_install() {
  local out added= rc
  _fw_pkg_installed firewalld && return 0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && added=1
  fi
  out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends firewalld 2>&1) ||
    out=$(apt-get update -q 2>&1 && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends firewalld 2>&1)
  rc=$?
  [ -z "$added" ] || rm -f /usr/sbin/policy-rc.d
  [ $rc -eq 0 ] || { tail -n 1 <<<"$out"; return $rc; }
  DPKG_MAINTSCRIPT_PACKAGE=firewalld deb-systemd-helper disable firewalld.service >/dev/null 2>&1
  return 0
}

in_fw() { DBUS_SYSTEM_BUS_ADDRESS="unix:path=$FIREWALLD_DIR/bus" "$@"; }

FWD=org.fedoraproject.FirewallD1
FWD_PATH=/org/fedoraproject/FirewallD1
# fw_send PATH METHOD ARGS...: the strings and object paths of the reply.
fw_send() {
  local path=$1 method=$2
  shift 2
  in_fw dbus-send --system --print-reply --dest=$FWD "$path" "$method" "$@" |
    sed -En -e 's/^ *(variant +)?string "(.*)"$/\2/p' -e 's/^ *object path "(.*)"$/\1/p'
  return "${PIPESTATUS[0]}"
}
# fw_zone METHOD ARGS...: a method of the runtime zones.
fw_zone() { local m=$1; shift; fw_send $FWD_PATH $FWD.zone."$m" "$@"; }
# fw_permanent ZONE METHOD ARGS...: a method of ZONE's permanent
# configuration (what a reload reads).
fw_permanent() {
  local path m=$2
  path=$(fw_send $FWD_PATH/config $FWD.config.getZoneByName string:"$1") || return
  shift 2
  fw_send "$path" $FWD.config.zone."$m" "$@"
}
_fw_running() {
  [ "$(fw_send $FWD_PATH org.freedesktop.DBus.Properties.Get string:$FWD string:state 2>/dev/null)" = RUNNING ]
}

firewalld_start() {
  local ns=$1 i
  FIREWALLD_DIR=$2
  command -v firewalld >/dev/null || { FIREWALLD_WHY="firewalld is not installed (make deps)"; return 1; }
  command -v dbus-daemon >/dev/null || { FIREWALLD_WHY="dbus-daemon is not installed"; return 1; }
  [ -e /run/firewalld ] || _FIREWALLD_TMP_MADE=1
  mkdir -p "$FIREWALLD_DIR/etc" || { FIREWALLD_WHY="mkdir $FIREWALLD_DIR"; return 1; }
  # Everyone may talk to everyone: the bus serves this test only.
  cat >"$FIREWALLD_DIR/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$FIREWALLD_DIR/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
  # The packaged defaults, with the nftables backend that Debian 12's
  # firewalld uses.
  sed -e 's/^FirewallBackend=.*/FirewallBackend=nftables/' /etc/firewalld/firewalld.conf \
    >"$FIREWALLD_DIR/etc/firewalld.conf" 2>/dev/null ||
    echo FirewallBackend=nftables >"$FIREWALLD_DIR/etc/firewalld.conf"
  dbus-daemon --config-file="$FIREWALLD_DIR/bus.conf" --nofork --nopidfile >"$FIREWALLD_DIR/bus.log" 2>&1 &
  FIREWALLD_BUS_PID=$!
  for i in $(seq 50); do [ -S "$FIREWALLD_DIR/bus" ] && break; sleep 0.1; done
  [ -S "$FIREWALLD_DIR/bus" ] || { FIREWALLD_WHY="dbus-daemon did not start: $(tail -n 1 "$FIREWALLD_DIR/bus.log")"; return 1; }
  # Not through in_fw: $! must be firewalld itself (nsenter execs it).
  DBUS_SYSTEM_BUS_ADDRESS="unix:path=$FIREWALLD_DIR/bus" nsenter --net="/run/netns/$ns" \
    firewalld --nofork --nopid --system-config "$FIREWALLD_DIR/etc" --log-target file \
    --log-file "$FIREWALLD_DIR/firewalld.log" >"$FIREWALLD_DIR/firewalld.out" 2>&1 &
  FIREWALLD_PID=$!
  for i in $(seq 300); do _fw_running && return 0; kill -0 "$FIREWALLD_PID" 2>/dev/null || break; sleep 0.1; done
  FIREWALLD_WHY="firewalld did not start: $(tail -n 1 "$FIREWALLD_DIR/firewalld.out" "$FIREWALLD_DIR/firewalld.log" 2>/dev/null | tail -n 1)"
  return 1
}

_fw_stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
}

firewalld_stop() {
  _fw_stop_pid "$FIREWALLD_PID"
  _fw_stop_pid "$FIREWALLD_BUS_PID"
  FIREWALLD_PID= FIREWALLD_BUS_PID=
  [ -z "$_FIREWALLD_TMP_MADE" ] || rm -rf /run/firewalld
  [ -z "$FIREWALLD_DIR" ] || rm -rf "$FIREWALLD_DIR"
  return 0
}
