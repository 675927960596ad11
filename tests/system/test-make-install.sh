#!/usr/bin/env bash
# `make install` and `make uninstall` into a DESTDIR (issue 15): the
# binary, a manual that renders, bash and zsh completions that load and
# complete, and a systemd unit that verifies.
. "$(dirname "$0")/lib.sh"

# The BUILD directory of $CCOMPOSE in this tree (build, build-san).
build_of() {
  case $CCOMPOSE in
    "$TOP"/*/ccompose) local b=${CCOMPOSE#"$TOP"/}; echo "${b%/ccompose}" ;;
    *) return 1 ;;
  esac
}

# complete WORD...: what bash's completion offers for the last word.
complete_line() {
  PATH="$PREFIX_DIR/bin:$PATH" bash -c '
    . "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ccompose
    echo "${COMPREPLY[*]}"' _ "$PREFIX_DIR/share/bash-completion/completions/ccompose" "$@"
}

# zsh_complete WORD...: what the zsh completion offers for the last word.
# compsys's builtins are replaced by functions that print what they are
# given, so the completion's own logic runs as it does under compinit.
zsh_complete() {
  PATH="$PREFIX_DIR/bin:$PATH" zsh -f -c '
    f=$1; shift
    compadd() { [[ $1 == -a ]] && print -rl -- ${(P)2}; }
    _describe() { print -rl -- ${${(P)4}%%:*}; }
    _files() { print -r -- "<files>"; }
    words=("$@"); CURRENT=$#words
    source "$f"' _ "$PREFIX_DIR/share/zsh/site-functions/_ccompose" "$@" | sort | tr '\n' ' '
}

test_install_and_uninstall() {
  local build d unit f left
  build=$(build_of) || skip "CCOMPOSE is not a build of this tree"
  d=$(mktemp -d /tmp/cc-install.XXXXXX)
  defer "rm -rf '$d'"
  PREFIX_DIR=$d/usr/local
  assert_exit 0 make -s -C "$TOP" BUILD="$build" DESTDIR="$d" install
  for f in bin/ccompose share/man/man1/ccompose.1 share/bash-completion/completions/ccompose \
    share/zsh/site-functions/_ccompose lib/systemd/system/ccompose-boot.service; do
    [ -f "$PREFIX_DIR/$f" ] || fail "not installed: $f"
  done
  [ -x "$PREFIX_DIR/bin/ccompose" ] || fail "binary not executable"
  assert_exit 0 "$PREFIX_DIR/bin/ccompose" --version

  # The manual: every command's help, rendered without a warning.
  if command -v man >/dev/null; then
    OUT=$(MANWIDTH=100 man -l "$PREFIX_DIR/share/man/man1/ccompose.1" 2>/tmp/cc-man-err.$$)
    local warn; warn=$(cat /tmp/cc-man-err.$$); rm -f /tmp/cc-man-err.$$
    [ -z "$warn" ] || fail "man warns: $warn"
    assert_contains "$OUT" "ccompose - define and run multi-container applications"
    assert_contains "$OUT" "Usage: ccompose up [OPTIONS] [SERVICE...]"
    assert_contains "$OUT" "boot"
  fi

  # bash: commands, a command's flags, the project's services.
  assert_contains " $(complete_line ccompose u) " " up "
  assert_eq "$(complete_line ccompose up --detac)" "--detach"
  mkdir -p "$d/proj" && printf 'services:\n  web: {image: busybox}\n  db: {image: busybox}\n' >"$d/proj/compose.yaml"
  assert_eq "$(complete_line ccompose -f "$d/proj/compose.yaml" stop "")" "db web"
  # zsh (make deps installs it): the same three cases.
  zsh -n "$PREFIX_DIR/share/zsh/site-functions/_ccompose" || fail "zsh completion does not parse"
  assert_contains " $(zsh_complete ccompose u) " " up "
  assert_contains " $(zsh_complete ccompose up --detac) " " --detach "
  assert_eq "$(zsh_complete ccompose -f "$d/proj/compose.yaml" stop "")" "db web "

  # The unit runs `system boot` once the network is online.
  unit=$PREFIX_DIR/lib/systemd/system/ccompose-boot.service
  grep -qx 'ExecStart=/usr/local/bin/ccompose system boot' "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
  grep -qx 'After=network-online.target.*' "$unit" || fail "not after network-online.target"
  if command -v systemd-analyze >/dev/null; then
    # Verified where the binary is: under DESTDIR.
    mkdir -p "$d/verify"
    sed "s|^ExecStart=/usr/local/|ExecStart=$PREFIX_DIR/|" "$unit" >"$d/verify/ccompose-boot.service"
    assert_exit 0 systemd-analyze verify --man=no "$d/verify/ccompose-boot.service"
  fi

  assert_exit 0 make -s -C "$TOP" BUILD="$build" DESTDIR="$d" uninstall
  left=$(find "$PREFIX_DIR" -type f)
  [ -z "$left" ] || fail "left after uninstall: $left"
}

run_tests
